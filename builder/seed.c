/* seed.c — writes the CIDATA/OEMDRV seed ISO with libarchive, byte for byte
 * reproducible so the phase cache can key on it. */
#include "seed.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "strbuf.h"
#include "util.h"

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

static time_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long v;
	if (s && parse_uint(s, 0, INT32_MAX, &v) == 0)
		return (time_t)v;
	return 0;
}

static int cmp_seed_file(const void *a, const void *b)
{
	return strcmp(((const struct seed_file *)a)->name, ((const struct seed_file *)b)->name);
}

static bool label_valid(const char *label)
{
	size_t n = strlen(label);
	if (n == 0 || n > 32)
		return false;
	for (const char *p = label; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static bool name_valid(const char *name)
{
	return !str_empty(name) && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strlen(name) <= 64;
}

#define SECTOR 2048
#define MAX_SEED_SIZE (64u << 20)

struct iso_buf {
	unsigned char *data;
	size_t len;
	struct tm when;
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 7-byte directory-record time: years since 1900, month, day, h, m, s, GMT offset. */
static void set_short_time(unsigned char *p, const struct tm *t)
{
	p[0] = (unsigned char)t->tm_year;
	p[1] = (unsigned char)(t->tm_mon + 1);
	p[2] = (unsigned char)t->tm_mday;
	p[3] = (unsigned char)t->tm_hour;
	p[4] = (unsigned char)t->tm_min;
	p[5] = (unsigned char)t->tm_sec;
	p[6] = 0;
}

/* 17-byte volume descriptor time "YYYYMMDDHHMMSScc" + GMT offset; all-zero
 * digits mean "not specified" and stay so. */
static void set_long_time(unsigned char *p, const struct tm *t)
{
	if (p[0] == '0' && p[1] == '0' && p[2] == '0' && p[3] == '0')
		return;
	char tmp[80];
	snprintf(tmp, sizeof(tmp), "%04d%02d%02d%02d%02d%02d00", t->tm_year + 1900, t->tm_mon + 1, t->tm_mday,
		 t->tm_hour, t->tm_min, t->tm_sec);
	memcpy(p, tmp, 16);
	p[16] = 0;
}

static bool in_buf(const struct iso_buf *b, uint64_t off, uint64_t n)
{
	return off <= b->len && n <= b->len - off;
}

/* System Use entries (SUSP/Rock Ridge): TF time stamps, following CE. */
static int fix_susp(struct iso_buf *b, uint64_t off, uint64_t n, int depth)
{
	if (depth > 8 || !in_buf(b, off, n))
		return -EBADMSG;
	while (n >= 4) {
		unsigned char *e = b->data + off;
		unsigned len = e[2];
		if (len < 4 || len > n)
			break;
		if (e[0] == 'T' && e[1] == 'F' && len >= 5) {
			unsigned flags = e[4];
			unsigned size = (flags & 0x80) ? 17 : 7;
			unsigned pos = 5;
			for (unsigned bit = 0; bit < 7; bit++) {
				if (!(flags & (1u << bit)))
					continue;
				if (pos + size > len)
					return -EBADMSG;
				if (size == 7)
					set_short_time(e + pos, &b->when);
				else
					set_long_time(e + pos, &b->when);
				pos += size;
			}
		} else if (e[0] == 'C' && e[1] == 'E' && len >= 28) {
			int r = fix_susp(b, (uint64_t)le32(e + 4) * SECTOR + le32(e + 12), le32(e + 20),
					 depth + 1);
			if (r < 0)
				return r;
		} else if (e[0] == 'S' && e[1] == 'T') {
			break;
		}
		off += len;
		n -= len;
	}
	return 0;
}

static int fix_directory(struct iso_buf *b, uint32_t lba, uint32_t size, int depth)
{
	uint64_t start = (uint64_t)lba * SECTOR;
	if (depth > 8 || !in_buf(b, start, size))
		return -EBADMSG;
	for (uint64_t off = start; off < start + size;) {
		unsigned char *rec = b->data + off;
		unsigned len = rec[0];
		if (len == 0) {
			off = (off / SECTOR + 1) * SECTOR;
			continue;
		}
		if (len < 34 || off + len > start + size)
			return -EBADMSG;
		set_short_time(rec + 18, &b->when);
		unsigned name_len = rec[32];
		unsigned su = 33 + name_len + ((name_len & 1) ? 0 : 1);
		if (su < len) {
			int r = fix_susp(b, off + su, len - su, 0);
			if (r < 0)
				return r;
		}
		bool is_dir = rec[25] & 2;
		bool self_or_parent = name_len == 1 && rec[33] <= 1;
		if (is_dir && !self_or_parent) {
			int r = fix_directory(b, le32(rec + 2), le32(rec + 10), depth + 1);
			if (r < 0)
				return r;
		}
		off += len;
	}
	return 0;
}

/* libarchive's ISO9660 writer stamps the volume descriptors, the root
 * directory, the Rock Ridge records of directories and its information block
 * with the current time.
 * Reset every time stamp in the image to the fixed build time, so the same
 * input gives the same bytes. */
static int normalize_times(int fd, time_t when, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_fail_errno(-errno, "Failed to stat %s", path);
	if (st.st_size > (off_t)MAX_SEED_SIZE || st.st_size < 18 * SECTOR)
		return err_fail(-EFBIG, "Seed image %s has an unexpected size %lld", path,
				(long long)st.st_size);
	struct iso_buf b = {.len = (size_t)st.st_size};
	_cleanup_free_ unsigned char *data = xcalloc(1, b.len);
	b.data = data;
	gmtime_r(&when, &b.when);
	if (pread(fd, data, b.len, 0) != (ssize_t)b.len)
		return err_fail_errno(-EIO, "Failed to read back %s", path);
	int r = 0;
	for (uint64_t sector = 16; r == 0 && (sector + 1) * SECTOR <= b.len; sector++) {
		unsigned char *vd = data + sector * SECTOR;
		if (memcmp(vd + 1, "CD001", 5) != 0) {
			r = -EBADMSG;
			break;
		}
		if (vd[0] == 255) {
			/* libarchive's information block follows: "INFO <ctime>" in local time. */
			unsigned char *info = vd + SECTOR;
			char stamp[32];
			if ((sector + 2) * SECTOR <= b.len && memcmp(info, "INFO ", 5) == 0 &&
			    asctime_r(&b.when, stamp) && strlen(stamp) == 25)
				memcpy(info + 5, stamp, 25);
			break;
		}
		if (vd[0] != 1 && vd[0] != 2)
			continue;
		for (unsigned f = 813; f <= 864; f += 17)
			set_long_time(vd + f, &b.when);
		set_short_time(vd + 156 + 18, &b.when);
		r = fix_directory(&b, le32(vd + 156 + 2), le32(vd + 156 + 10), 0);
	}
	if (r < 0)
		return err_fail(r, "Seed image %s has an unexpected layout", path);
	if (pwrite(fd, data, b.len, 0) != (ssize_t)b.len)
		return err_fail_errno(-EIO, "Failed to write %s", path);
	return 0;
}

static int write_entries(struct archive *a, const char *label, const struct seed_file *sorted, size_t n,
			 time_t when, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_(entry_freep) struct archive_entry *e = archive_entry_new();
		if (!e)
			return err_fail(-ENOMEM, "Out of memory writing %s", path);
		archive_entry_set_pathname(e, sorted[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0444);
		archive_entry_set_size(e, (la_int64_t)sorted[i].len);
		archive_entry_set_mtime(e, when, 0);
		archive_entry_set_atime(e, when, 0);
		archive_entry_set_ctime(e, when, 0);
		archive_entry_set_birthtime(e, when, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			return err_fail(-EIO, "Failed to add %s to seed %s (%s): %s", sorted[i].name, label,
					path, archive_error_string(a));
		if (sorted[i].len &&
		    archive_write_data(a, sorted[i].data, sorted[i].len) != (la_ssize_t)sorted[i].len)
			return err_fail(-EIO, "Failed to write %s into seed %s (%s): %s", sorted[i].name,
					label, path, archive_error_string(a));
	}
	return 0;
}

int seed_iso_write(const char *path, const char *label, const struct seed_file *files, size_t n)
{
	if (!label_valid(label))
		return err_usage("Invalid seed volume label '%s' (A-Z, 0-9, _; at most 32)", label);
	_cleanup_free_ struct seed_file *sorted = xcalloc(n, sizeof(*sorted));
	for (size_t i = 0; i < n; i++) {
		if (!name_valid(files[i].name))
			return err_usage("Invalid seed file name '%s'", files[i].name ? files[i].name : "");
		sorted[i] = files[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_seed_file);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1].name, sorted[i].name) == 0)
			return err_usage("Seed file %s given twice", sorted[i].name);

	_cleanup_strbuf_ struct strbuf tmp = STRBUF_INIT;
	sb_init(&tmp);
	sb_addf(&tmp, "%s.tmp.XXXXXX", path);
	_cleanup_close_ int fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0)
		return err_fail_errno(-errno, "Failed to create %s", tmp.buf);

	time_t when = source_date_epoch();
	int r = 0;
	{
		_cleanup_(archive_freep) struct archive *a = archive_write_new();
		_cleanup_strbuf_ struct strbuf vol = STRBUF_INIT;
		sb_init(&vol);
		sb_addf(&vol, "volume-id=%s", label);
		if (!a || archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
		    archive_write_set_options(a, sb_str(&vol)) != ARCHIVE_OK ||
		    archive_write_set_options(a, "rockridge=strict,joliet,!pad") != ARCHIVE_OK ||
		    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
			r = err_fail(-EIO, "Failed to set up the ISO9660 writer for %s: %s", path,
				     a ? archive_error_string(a) : "out of memory");
			goto out;
		}
		if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
			r = err_fail(-EIO, "Failed to open %s: %s", tmp.buf, archive_error_string(a));
			goto out;
		}
		r = write_entries(a, label, sorted, n, when, path);
		if (r < 0)
			goto out;
		if (archive_write_close(a) != ARCHIVE_OK) {
			r = err_fail(-EIO, "Failed to finish seed %s: %s", path, archive_error_string(a));
			goto out;
		}
	}
	r = normalize_times(fd, when, path);
	if (r < 0)
		goto out;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		r = err_fail_errno(-errno, "Failed to write %s", tmp.buf);
		goto out;
	}
	if (close(TAKE_FD(fd)) < 0) {
		r = err_fail_errno(-errno, "Failed to write %s", tmp.buf);
		goto out;
	}
	if (rename(tmp.buf, path) < 0)
		r = err_fail_errno(-errno, "Failed to rename %s to %s", tmp.buf, path);
out:
	if (r < 0)
		unlink(tmp.buf);
	return r;
}
