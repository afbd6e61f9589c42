/* test_vmdk.c — the streamOptimized VMDK writer, field by field on small
 * disks (empty, one grain, a partial last grain, > 4 GiB with holes), and
 * read back through qemu-img (a strict reader) and vmdkinfo as oracles. */
#include <check.h>
#include <endian.h>
#include <zlib.h>

#include "formats_util.h"
#include "err.h"
#include "log.h"
#include "outfile.h"
#include "util.h"
#include "vmdk.h"
#include "unit_run.h"

#define GRAIN 65536u

struct layout {
	struct vmdk_header head, foot;
	char descriptor[VMDK_DESCRIPTOR_SECTORS * 512 + 1];
	uint64_t n_grains, n_gts, n_gd, file_size;
	uint64_t gd_sector;            /* where the GD data starts */
	uint64_t last_lba;
	uint32_t gd[256];
	uint64_t gt_sectors[64];       /* data sector of each GT seen, in order */
	uint64_t first_grain_sector;
	uint32_t first_grain_csize;
};

static unsigned char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	ck_assert_int_eq(read_file(path, &data, len), 0);
	return (unsigned char *)data;
}

static uint64_t le64_at(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t le32_at(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static void check_header(const struct vmdk_header *h, uint64_t sectors, uint64_t gd_offset)
{
	ck_assert_uint_eq(le32toh(h->magic), 0x564d444b);
	ck_assert_int_eq(memcmp(h, "KDMV", 4), 0);
	ck_assert_uint_eq(le32toh(h->version), 3);
	ck_assert_uint_eq(le32toh(h->flags), 0x00030001);
	ck_assert_uint_eq(le64toh(h->capacity), sectors);
	ck_assert_uint_eq(le64toh(h->grain_size), 128);
	ck_assert_uint_eq(le64toh(h->descriptor_offset), 1);
	ck_assert_uint_eq(le64toh(h->descriptor_size), 20);
	ck_assert_uint_eq(le32toh(h->num_gtes_per_gt), 512);
	ck_assert_uint_eq(le64toh(h->rgd_offset), 0);
	ck_assert_uint_eq(le64toh(h->gd_offset), gd_offset);
	ck_assert_uint_eq(le64toh(h->overhead), 128);
	ck_assert_uint_eq(h->unclean_shutdown, 0);
	ck_assert_int_eq(h->single_end_line_char, '\n');
	ck_assert_int_eq(h->non_end_line_char, ' ');
	ck_assert_int_eq(h->double_end_line_char1, '\r');
	ck_assert_int_eq(h->double_end_line_char2, '\n');
	ck_assert_uint_eq(le16toh(h->compress_algorithm), 1);
}

/* Walk the whole file; assert every structural rule; compare every grain
 * with the source. */
static void parse(const char *vmdk, const char *src, uint64_t size, struct layout *L)
{
	memset(L, 0, sizeof(*L));
	size_t len;
	unsigned char *f = slurp(vmdk, &len);
	int sfd = open(src, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(sfd, 0);
	unsigned char *want = malloc(GRAIN);
	L->file_size = len;
	uint64_t sectors = (size + 511) / 512;
	ck_assert_uint_eq(len % 512, 0);
	memcpy(&L->head, f, 512);
	check_header(&L->head, sectors, VMDK_GD_AT_END);
	memcpy(L->descriptor, f + 512, VMDK_DESCRIPTOR_SECTORS * 512);
	for (size_t i = 512 + strlen(L->descriptor); i < 128 * 512; i++)
		ck_assert_msg(f[i] == 0, "padding after descriptor at %zu", i);

	uint64_t pos = 128 * 512, prev_lba = 0;
	bool seen_grain = false, gt_open = false;
	uint64_t gt_index = UINT64_MAX;
	uint32_t gt_expect[512];
	memset(gt_expect, 0, sizeof(gt_expect));
	unsigned char *grain = malloc(GRAIN);
	for (;;) {
		ck_assert_uint_le(pos + 512, len);
		uint64_t val = le64_at(f + pos);
		uint32_t size32 = le32_at(f + pos + 8);
		if (size32 != 0) {
			/* grain marker: LBA ascending, grain aligned, zlib data */
			ck_assert_msg(!seen_grain || val > prev_lba, "grains out of order");
			ck_assert_uint_eq(val % 128, 0);
			ck_assert_uint_lt(val, sectors);
			if (val / 128 / 512 != gt_index) {
				ck_assert_msg(!gt_open, "grain of a new table before the previous table");
				gt_index = val / 128 / 512;
			}
			gt_open = true;
			gt_expect[(val / 128) % 512] = (uint32_t)(pos / 512);
			if (!seen_grain) {
				L->first_grain_sector = pos / 512;
				L->first_grain_csize = size32;
			}
			ck_assert_int_eq(f[pos + 12], 0x78); /* zlib header (RFC 1950) */
			uLongf dlen = GRAIN;
			ck_assert_int_eq(uncompress(grain, &dlen, f + pos + 12, size32), Z_OK);
			ck_assert_uint_eq(dlen, GRAIN);
			uint64_t off = val * 512;
			memset(want, 0, GRAIN);
			ssize_t got = pread(sfd, want, off + GRAIN > size ? size - off : GRAIN, (off_t)off);
			ck_assert_int_ge(got, 0);
			for (uint64_t i = 0; i < GRAIN; i++) {
				if (grain[i] != want[i])
					ck_abort_msg("grain at LBA %llu differs at byte %llu", (unsigned long long)val,
						     (unsigned long long)i);
			}
			int zero = 1;
			for (uint64_t i = 0; i < GRAIN && zero; i++)
				zero = grain[i] == 0;
			ck_assert_msg(!zero, "an all-zero grain was stored");
			uint64_t total = 12 + size32, padded = (total + 511) / 512 * 512;
			for (uint64_t i = total; i < padded; i++)
				ck_assert_int_eq(f[pos + i], 0);
			prev_lba = val, seen_grain = true, L->last_lba = val;
			L->n_grains++;
			pos += padded;
			continue;
		}
		uint32_t type = le32_at(f + pos + 12);
		for (int i = 16; i < 512; i++)
			ck_assert_int_eq(f[pos + i], 0);
		if (type == VMDK_MARKER_GT) {
			ck_assert_uint_eq(val, 4);
			ck_assert_msg(gt_open, "empty grain table written");
			ck_assert_uint_lt(L->n_gts, 64);
			L->gt_sectors[L->n_gts++] = pos / 512 + 1;
			for (int i = 0; i < 512; i++)
				ck_assert_uint_eq(le32_at(f + pos + 512 + 4 * i), gt_expect[i]);
			memset(gt_expect, 0, sizeof(gt_expect));
			gt_open = false;
			pos += 512 + 4 * 512;
		} else if (type == VMDK_MARKER_GD) {
			ck_assert_msg(!gt_open, "grains without a grain table");
			uint64_t n_gts = (sectors + 128 * 512 - 1) / (128 * 512);
			ck_assert_uint_eq(val, (n_gts * 4 + 511) / 512);
			L->gd_sector = pos / 512 + 1;
			L->n_gd = n_gts;
			uint64_t k = 0;
			for (uint64_t i = 0; i < n_gts; i++) {
				uint32_t e = le32_at(f + pos + 512 + 4 * i);
				if (i < 256)
					L->gd[i] = e;
				if (e) {
					ck_assert_uint_lt(k, L->n_gts);
					ck_assert_uint_eq(e, L->gt_sectors[k]);
					k++;
				}
			}
			ck_assert_uint_eq(k, L->n_gts);
			for (uint64_t i = 512 + 4 * n_gts; i < 512 + val * 512; i++)
				ck_assert_int_eq(f[pos + i], 0);
			pos += 512 + val * 512;
		} else if (type == VMDK_MARKER_FOOTER) {
			ck_assert_uint_eq(val, 1);
			ck_assert_uint_ne(L->gd_sector, 0);
			memcpy(&L->foot, f + pos + 512, 512);
			check_header(&L->foot, sectors, L->gd_sector);
			/* the footer differs from the header only in gdOffset */
			struct vmdk_header h = L->head;
			h.gd_offset = L->foot.gd_offset;
			ck_assert_int_eq(memcmp(&h, &L->foot, 512), 0);
			pos += 1024;
		} else {
			ck_assert_uint_eq(type, VMDK_MARKER_EOS);
			ck_assert_uint_eq(val, 0);
			ck_assert_uint_ne(le64toh(L->foot.magic), 0);
			pos += 512;
			ck_assert_uint_eq(pos, len); /* end-of-stream is the last sector */
			break;
		}
	}
	free(grain);
	free(want);
	free(f);
	close(sfd);
}

static void write_vmdk(const char *src, uint64_t size, const char *dst, unsigned threads, struct vmdk_stats *st)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	struct outfile o;
	ck_assert_int_eq(outfile_open(&o, dst), 0);
	struct vmdk_options opt = {.extent_name = "disk.vmdk", .threads = threads};
	int r = vmdk_write(fd, size, &o, &opt, st);
	ck_assert_msg(r == 0, "vmdk_write: %s", err_message());
	ck_assert_int_eq(outfile_finish(&o), 0);
	ck_assert_int_eq(outfile_commit(&o), 0);
	outfile_abort(&o);
	close(fd);
	/* the digest computed while writing is the file's digest */
}

static void oracles(const char *vmdk, const char *src)
{
	char out[4096];
	char *check[] = {"qemu-img", "check", "-f", "vmdk", (char *)vmdk, NULL};
	ck_assert_msg(fu_run(check, out, sizeof(out)) == 0, "qemu-img check: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "No errors were found"));
	char *info[] = {"qemu-img", "info", "--output=json", (char *)vmdk, NULL};
	ck_assert_msg(fu_run(info, out, sizeof(out)) == 0, "qemu-img info: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"create-type\": \"streamOptimized\""));
	ck_assert_ptr_nonnull(strstr(out, "\"compressed\": true"));
	ck_assert_msg(fu_qemu_compare(src, "raw", vmdk, "vmdk", out, sizeof(out)) == 0, "qemu-img compare: %s", out);
	char *vi[] = {"vmdkinfo", (char *)vmdk, NULL};
	ck_assert_msg(fu_run(vi, out, sizeof(out)) == 0, "vmdkinfo: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "Stream optimized"));
}

START_TEST(empty_disk)
{
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, 1 << 20);
	struct vmdk_stats st;
	write_vmdk(src, 1 << 20, dst, 2, &st);
	struct layout L;
	parse(dst, src, 1 << 20, &L);
	ck_assert_uint_eq(L.n_grains, 0);
	ck_assert_uint_eq(L.n_gts, 0);
	ck_assert_uint_eq(L.n_gd, 1);
	ck_assert_uint_eq(L.gd[0], 0);
	/* header+descriptor (128 sectors), GD marker, GD, footer marker, footer, EOS */
	ck_assert_uint_eq(L.file_size, (128 + 1 + 1 + 1 + 1 + 1) * 512);
	ck_assert_uint_eq(L.gd_sector, 129);
	ck_assert_uint_eq(st.file_size, L.file_size);
	ck_assert_uint_eq(st.grains_written, 0);
	ck_assert_uint_eq(st.bytes_read, 0);
	ck_assert_ptr_nonnull(strstr(L.descriptor, "# Disk DescriptorFile\n"));
	ck_assert_int_eq(strncmp(L.descriptor, "# Disk DescriptorFile\n", 22), 0);
	ck_assert_ptr_nonnull(strstr(L.descriptor, "createType=\"streamOptimized\""));
	ck_assert_ptr_nonnull(strstr(L.descriptor, "\nRW 2048 SPARSE \"disk.vmdk\"\n"));
	ck_assert_ptr_nonnull(strstr(L.descriptor, "ddb.toolsVersion = \"2147483647\""));
	ck_assert_ptr_nonnull(strstr(L.descriptor, "ddb.adapterType = \"lsilogic\""));
	oracles(dst, src);
	fu_rm_rf(d);
	free(d), free(src), free(dst);
}
END_TEST

START_TEST(one_grain)
{
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, 1 << 20);
	fu_pattern(src, 3 * GRAIN, GRAIN, 7);
	struct vmdk_stats st;
	write_vmdk(src, 1 << 20, dst, 1, &st);
	struct layout L;
	parse(dst, src, 1 << 20, &L);
	ck_assert_uint_eq(L.n_grains, 1);
	ck_assert_uint_eq(L.last_lba, 3 * 128);
	ck_assert_uint_eq(L.first_grain_sector, 128);
	ck_assert_uint_eq(L.n_gts, 1);
	uint64_t grain_sectors = (12 + L.first_grain_csize + 511) / 512;
	ck_assert_uint_eq(L.gt_sectors[0], 128 + grain_sectors + 1);
	ck_assert_uint_eq(L.gd[0], L.gt_sectors[0]);
	ck_assert_uint_eq(L.gd_sector, L.gt_sectors[0] + 4 + 1);
	ck_assert_uint_eq(L.file_size, (L.gd_sector + 1 + 1 + 1 + 1) * 512);
	ck_assert_uint_eq(st.grains_written, 1);
	ck_assert_uint_eq(st.grain_tables, 1);
	oracles(dst, src);
	fu_rm_rf(d);
	free(d), free(src), free(dst);
}
END_TEST

START_TEST(partial_last_grain)
{
	/* 3 grains + 3 sectors: the last grain is partial and holds data */
	uint64_t size = 3 * GRAIN + 3 * 512;
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, size);
	fu_pattern(src, 0, 1000, 1);
	fu_pattern(src, 3 * GRAIN, 3 * 512, 2);
	struct vmdk_stats st;
	write_vmdk(src, size, dst, 2, &st);
	struct layout L;
	parse(dst, src, size, &L);
	ck_assert_uint_eq(le64toh(L.head.capacity), size / 512);
	ck_assert_uint_eq(L.n_grains, 2);
	ck_assert_uint_eq(L.last_lba, 3 * 128);
	ck_assert_ptr_nonnull(strstr(L.descriptor, "\nRW 387 SPARSE \"disk.vmdk\"\n"));
	oracles(dst, src);
	fu_rm_rf(d);
	free(d), free(src), free(dst);
}
END_TEST

START_TEST(large_with_holes)
{
	/* 5 GiB + 64 KiB: data in table 0, around the 4 GiB line, and the last
	 * grain; everything else holes or all-zero data. */
	uint64_t size = (5ull << 30) + GRAIN;
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, size);
	fu_pattern(src, 0, 3 * GRAIN + 100, 11);
	fu_pattern(src, (4ull << 30) - 2 * GRAIN + 77, 5 * GRAIN, 12);
	fu_pattern(src, size - GRAIN, GRAIN, 13);
	/* written zeros (not a hole) must be detected and skipped */
	{
		int fd = open(src, O_WRONLY);
		char *z = calloc(1, 4 * GRAIN);
		ck_assert_int_eq(pwrite(fd, z, 4 * GRAIN, (off_t)(2ull << 30)), 4 * GRAIN);
		close(fd);
		free(z);
	}
	struct vmdk_stats st;
	write_vmdk(src, size, dst, 2, &st);
	struct layout L;
	parse(dst, src, size, &L);
	ck_assert_uint_eq(L.n_gd, 161); /* ceil((5 GiB + 64 KiB) / 32 MiB) */
	ck_assert_uint_eq(L.n_grains, 4 + 6 + 1);
	ck_assert_uint_eq(L.n_gts, 4); /* tables 0, 127, 128, 160 */
	ck_assert_uint_ne(L.gd[0], 0);
	ck_assert_uint_eq(L.gd[1], 0);
	ck_assert_uint_eq(L.gd[64], 0); /* the all-zero data at 2 GiB */
	ck_assert_uint_eq(L.last_lba, (size - GRAIN) / 512);
	ck_assert_uint_le(st.bytes_read, 64ull << 20); /* holes were not read */
	oracles(dst, src);
	fu_rm_rf(d);
	free(d), free(src), free(dst);
}
END_TEST

START_TEST(digest_while_writing)
{
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, 8 << 20);
	fu_pattern(src, 1 << 20, 3 << 20, 5);
	int fd = open(src, O_RDONLY);
	struct outfile o;
	ck_assert_int_eq(outfile_open(&o, dst), 0);
	ck_assert_int_ne(access(dst, F_OK), 0); /* nothing under the final name yet */
	struct vmdk_options opt = {.extent_name = "disk.vmdk", .threads = 2};
	ck_assert_int_eq(vmdk_write(fd, 8 << 20, &o, &opt, NULL), 0);
	ck_assert_int_eq(outfile_finish(&o), 0);
	ck_assert_int_ne(access(dst, F_OK), 0);
	char want[65];
	uint64_t sz;
	ck_assert_int_eq(sha256_file(o.tmp_path, want, &sz), 0);
	ck_assert_str_eq(o.sha256, want);
	ck_assert_int_eq(outfile_commit(&o), 0);
	ck_assert_int_eq(access(dst, F_OK), 0);
	outfile_abort(&o);
	close(fd);
	/* same input, same bytes (reproducible) with a different thread count */
	char *dst2 = fu_path(d, "again.vmdk");
	write_vmdk(src, 8 << 20, dst2, 1, NULL);
	char again[65];
	ck_assert_int_eq(sha256_file(dst2, again, NULL), 0);
	ck_assert_str_eq(again, want);
	fu_rm_rf(d);
	free(d), free(src), free(dst), free(dst2);
}
END_TEST

START_TEST(write_error_is_reported)
{
	/* a source that cannot be read, and an output that cannot be written */
	char *d = fu_mkdtemp(), *src = fu_path(d, "src.raw"), *dst = fu_path(d, "disk.vmdk");
	fu_sparse(src, 4 << 20);
	fu_pattern(src, 0, 1 << 20, 3);
	int dirfd = open(d, O_RDONLY | O_DIRECTORY);
	struct outfile o;
	ck_assert_int_eq(outfile_open(&o, dst), 0);
	struct vmdk_options opt = {.extent_name = "disk.vmdk", .threads = 2};
	ck_assert_int_lt(vmdk_write(dirfd, 4 << 20, &o, &opt, NULL), 0); /* EISDIR on read */
	ck_assert_ptr_nonnull(strstr(err_message(), "source disk"));
	outfile_abort(&o);
	ck_assert_int_ne(access(dst, F_OK), 0);

	int fd = open(src, O_RDONLY);
	ck_assert_int_eq(outfile_open(&o, dst), 0);
	close(o.fd);
	o.fd = open("/dev/full", O_WRONLY);
	ck_assert_int_lt(vmdk_write(fd, 4 << 20, &o, &opt, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "No space left"));
	outfile_abort(&o);
	close(fd);
	close(dirfd);
	/* bad extent names */
	ck_assert_int_eq(outfile_open(&o, dst), 0);
	fd = open(src, O_RDONLY);
	struct vmdk_options bad = {.extent_name = "a\"b.vmdk"};
	ck_assert_int_lt(vmdk_write(fd, 4 << 20, &o, &bad, NULL), 0);
	outfile_abort(&o);
	close(fd);
	fu_rm_rf(d);
	free(d), free(src), free(dst);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("vmdk");
	TCase *tc = tcase_create("vmdk");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, empty_disk);
	tcase_add_test(tc, one_grain);
	tcase_add_test(tc, partial_last_grain);
	tcase_add_test(tc, large_with_holes);
	tcase_add_test(tc, digest_while_writing);
	tcase_add_test(tc, write_error_is_reported);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
