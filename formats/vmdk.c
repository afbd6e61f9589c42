/* vmdk.c — streamOptimized VMDK writer. The calling thread reads 1 MiB
 * chunks of the source (skipping holes), worker threads deflate the grains
 * in them, and one writer thread stores the results strictly in order, fills
 * the grain tables and hashes the output as it goes. */
#include "vmdk.h"

#include <endian.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cleanup.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "signals.h"
#include "strbuf.h"
#include "tmpl.h"
#include "util.h"

#define SECTOR 512u
#define GRAIN_BYTES (VMDK_GRAIN_SECTORS * SECTOR)
#define JOB_GRAINS 16u
#define JOB_BYTES (GRAIN_BYTES * JOB_GRAINS)
#define GT_BYTES (VMDK_GTES_PER_GT * 4u)
#define GRAINS_PER_GT ((uint64_t)VMDK_GTES_PER_GT)

enum slot_state { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint64_t first_grain;
	unsigned n_grains;
	unsigned char *in;
	unsigned char *out;
	size_t out_len;
	uint32_t grain_len[JOB_GRAINS]; /* bytes stored per grain (0: all zero) */
};

struct vmdk_ctx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot *slots;
	unsigned n_slots;
	uint64_t n_filled, next_compress, next_write;
	bool input_done;
	int error;          /* first negative errno from any thread */
	int level;
	size_t grain_out_max;
	struct outfile *out;
	uint64_t start;     /* out->pos where the VMDK begins */
	uint64_t cur_gt;    /* index of the grain table being filled */
	bool gt_used;
	uint32_t gt[VMDK_GTES_PER_GT];
	uint32_t *gd;
	uint64_t n_gts;
	uint32_t tables_written;
	uint64_t grains_written;
};

static void put_le64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	static const unsigned char z[64];
	if (memcmp(p, z, sizeof(z)) != 0)
		return false;
	return memcmp(p, p + sizeof(z), n - sizeof(z)) == 0;
}

static void set_error(struct vmdk_ctx *c, int r)
{
	pthread_mutex_lock(&c->lock);
	if (c->error == 0)
		c->error = r;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static int compress_slot(struct vmdk_ctx *c, z_stream *z, struct slot *s)
{
	unsigned char *o = s->out;
	for (unsigned g = 0; g < s->n_grains; g++) {
		const unsigned char *in = s->in + (size_t)g * GRAIN_BYTES;
		if (all_zero(in, GRAIN_BYTES)) {
			s->grain_len[g] = 0;
			continue;
		}
		if (deflateReset(z) != Z_OK)
			return -EIO;
		z->next_in = (unsigned char *)in;
		z->avail_in = GRAIN_BYTES;
		z->next_out = o + 12;
		z->avail_out = (uInt)(c->grain_out_max - 12);
		if (deflate(z, Z_FINISH) != Z_STREAM_END)
			return -EIO;
		size_t clen = z->total_out;
		put_le64(o, (s->first_grain + g) * VMDK_GRAIN_SECTORS);
		put_le32(o + 8, (uint32_t)clen);
		size_t total = 12 + clen;
		size_t padded = (total + SECTOR - 1) / SECTOR * SECTOR;
		memset(o + total, 0, padded - total);
		s->grain_len[g] = (uint32_t)padded;
		o += padded;
	}
	s->out_len = (size_t)(o - s->out);
	return 0;
}

static void *worker_main(void *arg)
{
	struct vmdk_ctx *c = arg;
	z_stream z = {0};
	if (deflateInit(&z, c->level) != Z_OK) {
		set_error(c, -ENOMEM);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->error && c->next_compress >= c->n_filled && !c->input_done)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->error || c->next_compress >= c->n_filled)
			break;
		struct slot *s = &c->slots[c->next_compress % c->n_slots];
		c->next_compress++;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&c->lock);
		int r = compress_slot(c, &z, s);
		pthread_mutex_lock(&c->lock);
		if (r < 0) {
			if (c->error == 0)
				c->error = r;
			pthread_cond_broadcast(&c->cond);
			break;
		}
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	deflateEnd(&z);
	return NULL;
}

static uint64_t cur_sector(const struct vmdk_ctx *c)
{
	return (c->out->pos - c->start) / SECTOR;
}

static int write_marker(struct vmdk_ctx *c, uint64_t num_sectors, uint32_t type)
{
	struct vmdk_marker m;
	memset(&m, 0, sizeof(m));
	m.num_sectors = htole64(num_sectors);
	m.type = htole32(type);
	return outfile_write(c->out, &m, sizeof(m));
}

static int flush_gt(struct vmdk_ctx *c)
{
	if (!c->gt_used)
		return 0;
	int r = write_marker(c, GT_BYTES / SECTOR, VMDK_MARKER_GT);
	if (r < 0)
		return r;
	c->gd[c->cur_gt] = (uint32_t)cur_sector(c);
	uint32_t le[VMDK_GTES_PER_GT];
	for (unsigned i = 0; i < VMDK_GTES_PER_GT; i++)
		le[i] = htole32(c->gt[i]);
	r = outfile_write(c->out, le, sizeof(le));
	if (r < 0)
		return r;
	memset(c->gt, 0, sizeof(c->gt));
	c->gt_used = false;
	c->tables_written++;
	return 0;
}

static int store_slot(struct vmdk_ctx *c, struct slot *s)
{
	uint64_t gt_index = s->first_grain / GRAINS_PER_GT;
	if (gt_index != c->cur_gt) {
		int r = flush_gt(c);
		if (r < 0)
			return r;
		c->cur_gt = gt_index;
	}
	if (s->out_len == 0)
		return 0;
	uint64_t sector = cur_sector(c);
	if (sector + s->out_len / SECTOR > UINT32_MAX)
		return -EFBIG; /* grain table entries are 32-bit sector offsets */
	for (unsigned g = 0; g < s->n_grains; g++) {
		if (!s->grain_len[g])
			continue;
		c->gt[(s->first_grain + g) % GRAINS_PER_GT] = (uint32_t)sector;
		sector += s->grain_len[g] / SECTOR;
		c->gt_used = true;
		c->grains_written++;
	}
	return outfile_write(c->out, s->out, s->out_len);
}

static void *writer_main(void *arg)
{
	struct vmdk_ctx *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct slot *s = &c->slots[c->next_write % c->n_slots];
		while (!c->error && !(c->next_write < c->n_filled && s->state == SLOT_DONE) &&
		       !(c->input_done && c->next_write >= c->n_filled))
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->error || c->next_write >= c->n_filled)
			break;
		pthread_mutex_unlock(&c->lock);
		int r = store_slot(c, s);
		pthread_mutex_lock(&c->lock);
		if (r < 0) {
			if (c->error == 0)
				c->error = r;
			pthread_cond_broadcast(&c->cond);
			break;
		}
		s->state = SLOT_FREE;
		c->next_write++;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	err_clear(); /* the message lives in this thread; vmdk_write records its own */
	return NULL;
}

/* Where is the next data at or after off? Caches the current data extent. */
struct extent_cursor {
	int fd;
	uint64_t data_start, data_end;
	bool valid, no_more;
};

static int chunk_has_data(struct extent_cursor *x, uint64_t off, uint64_t end, uint64_t *next_data)
{
	*next_data = off;
	if (x->no_more)
		return 0;
	if (!x->valid || off >= x->data_end) {
		off_t d = lseek(x->fd, (off_t)off, SEEK_DATA);
		if (d < 0) {
			if (errno == ENXIO) {
				x->no_more = true;
				return 0;
			}
			if (errno != EINVAL)
				return -errno;
			x->data_start = 0, x->data_end = UINT64_MAX; /* no hole support */
		} else {
			off_t h = lseek(x->fd, d, SEEK_HOLE);
			x->data_start = (uint64_t)d;
			x->data_end = h < 0 ? UINT64_MAX : (uint64_t)h;
		}
		x->valid = true;
	}
	if (x->data_start < end && x->data_end > off)
		return 1;
	*next_data = x->data_start;
	return 0;
}

static int read_full(int fd, unsigned char *buf, size_t len, uint64_t off, uint64_t *bytes_read)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(buf + got, 0, len - got);
	*bytes_read += got;
	return 0;
}

static int render_descriptor(const struct vmdk_options *opt, uint64_t sectors, char **out)
{
	const char *name = opt->extent_name ? opt->extent_name : "disk.vmdk";
	const char *adapter = opt->adapter_type ? opt->adapter_type : "lsilogic";
	if (strpbrk(name, "\"\n\r") || strpbrk(adapter, "\"\n\r"))
		return err_fail(-EINVAL, "VMDK extent name \"%s\" cannot contain quotes or newlines", name);
	/* Content ids derived from name and size: the same input gives the same
	 * bytes (reproducible builds); they only need to differ between disks. */
	unsigned char md[32];
	unsigned int mdlen = 0;
	_cleanup_free_ char *seed = NULL;
	if (asprintf(&seed, "%s/%llu", name, (unsigned long long)sectors) < 0)
		return -ENOMEM;
	EVP_Digest(seed, strlen(seed), md, &mdlen, EVP_sha256(), NULL);
	char hex[65];
	sha256_hex(md, hex);
	char cid[9], long_cid[33], sectors_s[24], cyl_s[16];
	memcpy(cid, hex, 8), cid[8] = '\0';
	memcpy(long_cid, hex + 8, 32), long_cid[32] = '\0';
	snprintf(sectors_s, sizeof(sectors_s), "%llu", (unsigned long long)sectors);
	uint64_t cyl = sectors / (255 * 63);
	snprintf(cyl_s, sizeof(cyl_s), "%llu", (unsigned long long)(cyl > 65535 ? 65535 : cyl ? cyl : 1));
	const struct tmpl_var vars[] = {
		{"cid", cid}, {"long_cid", long_cid}, {"sectors", sectors_s}, {"extent", name},
		{"adapter", adapter}, {"cylinders", cyl_s}, {NULL, NULL},
	};
	const char *t = embedded_get("formats/templates/vmdk-descriptor.txt", NULL);
	if (!t)
		return err_fail(-ENOENT, "Embedded template formats/templates/vmdk-descriptor.txt is missing");
	return tmpl_text(t, vars, out);
}

static void fill_header(struct vmdk_header *h, uint64_t sectors, uint64_t gd_offset)
{
	memset(h, 0, sizeof(*h));
	h->magic = htole32(VMDK_MAGIC);
	h->version = htole32(3);
	h->flags = htole32(VMDK_FLAGS);
	h->capacity = htole64(sectors);
	h->grain_size = htole64(VMDK_GRAIN_SECTORS);
	h->descriptor_offset = htole64(1);
	h->descriptor_size = htole64(VMDK_DESCRIPTOR_SECTORS);
	h->num_gtes_per_gt = htole32(VMDK_GTES_PER_GT);
	h->rgd_offset = 0;
	h->gd_offset = htole64(gd_offset);
	h->overhead = htole64(VMDK_OVERHEAD_SECTORS);
	h->single_end_line_char = '\n';
	h->non_end_line_char = ' ';
	h->double_end_line_char1 = '\r';
	h->double_end_line_char2 = '\n';
	h->compress_algorithm = htole16(1);
}

static int write_head(struct vmdk_ctx *c, const struct vmdk_options *opt, uint64_t sectors)
{
	_cleanup_free_ char *desc = NULL;
	int r = render_descriptor(opt, sectors, &desc);
	if (r < 0)
		return r;
	size_t dlen = strlen(desc);
	if (dlen >= VMDK_DESCRIPTOR_SECTORS * SECTOR)
		return err_fail(-E2BIG, "VMDK descriptor too large (%zu bytes)", dlen);
	_cleanup_free_ unsigned char *head = xcalloc(VMDK_OVERHEAD_SECTORS, SECTOR);
	struct vmdk_header h;
	fill_header(&h, sectors, VMDK_GD_AT_END);
	memcpy(head, &h, sizeof(h));
	memcpy(head + SECTOR, desc, dlen);
	return outfile_write(c->out, head, (size_t)VMDK_OVERHEAD_SECTORS * SECTOR);
}

static int write_tail(struct vmdk_ctx *c, uint64_t sectors)
{
	int r = flush_gt(c);
	if (r < 0)
		return r;
	uint64_t gd_sectors = (c->n_gts * 4 + SECTOR - 1) / SECTOR;
	r = write_marker(c, gd_sectors, VMDK_MARKER_GD);
	if (r < 0)
		return r;
	uint64_t gd_offset = cur_sector(c);
	_cleanup_free_ uint32_t *gd = xcalloc(gd_sectors * SECTOR / 4, 4);
	for (uint64_t i = 0; i < c->n_gts; i++)
		gd[i] = htole32(c->gd[i]);
	r = outfile_write(c->out, gd, gd_sectors * SECTOR);
	if (r < 0)
		return r;
	r = write_marker(c, 1, VMDK_MARKER_FOOTER);
	if (r < 0)
		return r;
	struct vmdk_header h;
	fill_header(&h, sectors, gd_offset);
	r = outfile_write(c->out, &h, sizeof(h));
	if (r < 0)
		return r;
	return write_marker(c, 0, VMDK_MARKER_EOS);
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

int vmdk_write(int src_fd, uint64_t virtual_size, struct outfile *out, const struct vmdk_options *opt,
	       struct vmdk_stats *stats)
{
	uint64_t sectors = (virtual_size + SECTOR - 1) / SECTOR;
	uint64_t bytes = sectors * SECTOR;
	uint64_t n_grains = (sectors + VMDK_GRAIN_SECTORS - 1) / VMDK_GRAIN_SECTORS;
	unsigned threads = opt->threads ? opt->threads : online_cpus();
	struct vmdk_ctx c = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
		.level = opt->level > 0 && opt->level <= 9 ? opt->level : VMDK_DEFAULT_LEVEL,
		.out = out,
		.start = out->pos,
		.cur_gt = UINT64_MAX,
		.n_gts = (n_grains + GRAINS_PER_GT - 1) / GRAINS_PER_GT,
	};
	if (c.n_gts > UINT32_MAX / 4)
		return err_fail(-EFBIG, "Disk of %llu bytes is too large for a VMDK", (unsigned long long)bytes);
	c.gd = xcalloc(c.n_gts ? c.n_gts : 1, sizeof(uint32_t));
	c.grain_out_max = (12 + compressBound(GRAIN_BYTES) + SECTOR - 1) / SECTOR * SECTOR;
	c.n_slots = 2 * threads + 2;
	c.slots = xcalloc(c.n_slots, sizeof(struct slot));
	for (unsigned i = 0; i < c.n_slots; i++) {
		c.slots[i].in = malloc(JOB_BYTES);
		c.slots[i].out = malloc(c.grain_out_max * JOB_GRAINS);
		if (!c.slots[i].in || !c.slots[i].out)
			abort();
	}

	int r = write_head(&c, opt, sectors);
	if (r < 0)
		c.error = r;
	pthread_t writer, workers[64];
	unsigned started = 0;
	bool writer_started = false;
	if (r == 0 && pthread_create(&writer, NULL, writer_main, &c) == 0)
		writer_started = true;
	else if (r == 0)
		r = err_fail(-EAGAIN, "Failed to start the VMDK writer thread");
	for (unsigned i = 0; r == 0 && i < threads; i++) {
		if (pthread_create(&workers[i], NULL, worker_main, &c) != 0) {
			r = err_fail(-EAGAIN, "Failed to start VMDK compression threads");
			break;
		}
		started++;
	}
	if (r < 0)
		set_error(&c, r);

	/* Read side (this thread): fill slots in order, skipping holes. */
	struct extent_cursor x = {.fd = src_fd};
	uint64_t bytes_read = 0, last_progress = 0;
	uint64_t n_jobs = (bytes + JOB_BYTES - 1) / JOB_BYTES;
	for (uint64_t j = 0; r == 0 && j < n_jobs; j++) {
		uint64_t off = j * JOB_BYTES;
		uint64_t len = bytes - off < JOB_BYTES ? bytes - off : JOB_BYTES;
		uint64_t next_data;
		int has = chunk_has_data(&x, off, off + len, &next_data);
		if (has < 0) {
			r = err_fail_errno(has, "Failed to map the source disk");
			set_error(&c, r);
			break;
		}
		if (!has) {
			if (x.no_more)
				break;
			if (next_data / JOB_BYTES > j + 1)
				j = next_data / JOB_BYTES - 1;
			continue;
		}
		pthread_mutex_lock(&c.lock);
		struct slot *s = &c.slots[c.n_filled % c.n_slots];
		while (!c.error && s->state != SLOT_FREE)
			pthread_cond_wait(&c.cond, &c.lock);
		bool failed = c.error != 0;
		pthread_mutex_unlock(&c.lock);
		if (failed)
			break;
		s->first_grain = off / GRAIN_BYTES;
		s->n_grains = (unsigned)((len + GRAIN_BYTES - 1) / GRAIN_BYTES);
		r = read_full(src_fd, s->in, (size_t)s->n_grains * GRAIN_BYTES, off, &bytes_read);
		if (r < 0) {
			r = err_fail_errno(r, "Failed to read the source disk");
			set_error(&c, r);
			break;
		}
		if (len < (uint64_t)s->n_grains * GRAIN_BYTES) /* partial last grain */
			memset(s->in + len, 0, (size_t)s->n_grains * GRAIN_BYTES - len);
		pthread_mutex_lock(&c.lock);
		s->state = SLOT_FILLED;
		c.n_filled++;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.lock);
		if (opt->progress_stage && off - last_progress >= (256u << 20)) {
			log_progress(opt->progress_stage, off, bytes, "bytes");
			last_progress = off;
		}
	}
	pthread_mutex_lock(&c.lock);
	c.input_done = true;
	pthread_cond_broadcast(&c.cond);
	pthread_mutex_unlock(&c.lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (writer_started)
		pthread_join(writer, NULL);
	/* Errors of the other threads were recorded on those threads. */
	if (r == 0 && c.error == -EINTR && signals_interrupted())
		r = err_interrupted("the export"); /* the writer thread stopped at the signal */
	else if (r == 0 && c.error)
		r = err_fail_errno(c.error, "Failed to write the VMDK %s", out->final_path);
	if (r == 0)
		r = write_tail(&c, sectors);
	if (r == 0 && opt->progress_stage)
		log_progress(opt->progress_stage, bytes, bytes, "bytes");
	if (stats) {
		stats->grains_written = c.grains_written;
		stats->bytes_read = bytes_read;
		stats->file_size = out->pos - c.start;
		stats->grain_tables = c.tables_written;
	}
	for (unsigned i = 0; i < c.n_slots; i++) {
		free(c.slots[i].in);
		free(c.slots[i].out);
	}
	free(c.slots);
	free(c.gd);
	return r;
}
