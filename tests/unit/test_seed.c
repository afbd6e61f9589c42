/* test_seed.c — the seed ISO: label and files read back by xorriso and
 * libarchive, identical bytes for identical input (across time and time
 * zones), bad labels and names refused, nothing left behind on error. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "installdata_test.h"
#include "installer.h"
#include "runcmd.h"
#include "seed.h"
#include "unit_run.h"

static const struct seed_file files[] = {
    {"user-data", "#cloud-config\nautoinstall:\n  version: 1\n", 40},
    {"meta-data", "instance-id: hnbuild-install\n", 29},
};

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	ck_assert_int_eq(read_file(path, &data, len), 0);
	return data;
}

START_TEST(label_and_files_read_back)
{
	char *dir = test_tmpdir();
	char *iso = test_path(dir, "seed.iso");
	ck_assert_int_eq(seed_iso_write(iso, "CIDATA", files, 2), 0);
	ck_assert_int_eq(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q '^Volume Id    : CIDATA$'", iso), 0);
	ck_assert_int_ne(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q '^Volume Id    : OEMDRV$'", iso), 0);

	/* libarchive reads the Rock Ridge names and contents back. */
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	ck_assert_int_eq(archive_read_open_filename(a, iso, 10240), ARCHIVE_OK);
	struct archive_entry *e;
	int seen = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		char buf[256] = {0};
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf) - 1);
		if (strcmp(name, "user-data") == 0) {
			ck_assert_int_eq(n, 40);
			ck_assert_str_eq(buf, files[0].data);
			seen |= 1;
		} else if (strcmp(name, "meta-data") == 0) {
			ck_assert_str_eq(buf, files[1].data);
			seen |= 2;
		} else {
			ck_abort_msg("unexpected entry %s", name);
		}
		ck_assert_int_eq(archive_entry_mtime(e), 0);
	}
	ck_assert_int_eq(seen, 3);
	archive_read_free(a);
	rm_rf(dir);
	free(iso);
	free(dir);
}
END_TEST

START_TEST(deterministic_bytes)
{
	char *dir = test_tmpdir();
	char *a = test_path(dir, "a.iso"), *b = test_path(dir, "b.iso"), *c = test_path(dir, "c.iso"),
	     *d = test_path(dir, "d.iso");
	ck_assert_int_eq(seed_iso_write(a, "CIDATA", files, 2), 0);
	/* Later, in another time zone, with the files given in another order. */
	struct timespec ts = {1, 100000000};
	nanosleep(&ts, NULL);
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	struct seed_file reversed[] = {files[1], files[0]};
	ck_assert_int_eq(seed_iso_write(b, "CIDATA", reversed, 2), 0);
	unsetenv("TZ");
	tzset();
	size_t la, lb;
	char *da = slurp(a, &la), *db = slurp(b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(da, db, la) == 0);
	/* Different content gives different bytes (the comparison can fail). */
	struct seed_file other[] = {files[0], {"meta-data", "instance-id: other\n", 19}};
	ck_assert_int_eq(seed_iso_write(c, "CIDATA", other, 2), 0);
	size_t lc;
	char *dc = slurp(c, &lc);
	ck_assert(lc != la || memcmp(da, dc, la) != 0);
	/* SOURCE_DATE_EPOCH sets the stamps. */
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	ck_assert_int_eq(seed_iso_write(d, "CIDATA", files, 2), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	ck_assert_int_eq(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q '^Creation Time: 2023111422132000$'",
		    d),
	    0);
	ck_assert_int_eq(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q '^Creation Time: 1970010100000000$'",
		    a),
	    0);
	free(da);
	free(db);
	free(dc);
	rm_rf(dir);
	free(a);
	free(b);
	free(c);
	free(d);
	free(dir);
}
END_TEST

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(bad_input_refused_nothing_left)
{
	char *dir = test_tmpdir();
	char *iso = test_path(dir, "seed.iso");
	ck_assert_int_eq(seed_iso_write(iso, "cidata", files, 2), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	ck_assert_int_eq(seed_iso_write(iso, "", files, 2), -EINVAL);
	ck_assert_int_eq(seed_iso_write(iso, "A_LABEL_THAT_IS_LONGER_THAN_32_CHARS", files, 2), -EINVAL);
	struct seed_file bad[] = {{"../ks.cfg", "x", 1}};
	ck_assert_int_eq(seed_iso_write(iso, "OEMDRV", bad, 1), -EINVAL);
	struct seed_file dup[] = {files[0], files[0]};
	ck_assert_int_eq(seed_iso_write(iso, "CIDATA", dup, 2), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "twice"));
	ck_assert_uint_eq(count_entries(dir), 0);
	/* An unwritable destination fails with the path named. */
	ck_assert_int_lt(seed_iso_write("/nonexistent-dir/seed.iso", "OEMDRV", files, 1), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent-dir/seed.iso"));
	/* And a good one leaves exactly one file. */
	struct seed_file ks[] = {{"ks.cfg", "text\npoweroff\n", 14}};
	ck_assert_int_eq(seed_iso_write(iso, "OEMDRV", ks, 1), 0);
	ck_assert_uint_eq(count_entries(dir), 1);
	rm_rf(dir);
	free(iso);
	free(dir);
}
END_TEST

/* raw image of `size` bytes with `bytes` written at `off`, converted to qcow2 */
static char *disk_with(const char *dir, const char *name, size_t off, const char *bytes, size_t n)
{
	char *raw = test_path(dir, "head.img");
	char *qcow = test_path(dir, name);
	FILE *f = fopen(raw, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 1 << 20), 0);
	if (n) {
		ck_assert_int_eq(fseek(f, (long)off, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
	}
	ck_assert_int_eq(fclose(f), 0);
	char *argv[] = {"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow, NULL};
	ck_assert_int_eq(runcmd(argv), 0);
	unlink(raw);
	free(raw);
	return qcow;
}

/* An installer that powered off without installing leaves a disk with no
 * partition table; every real install leaves GPT or msdos. */
START_TEST(disk_label_tells_an_installed_disk)
{
	char *dir = test_tmpdir();
	const char *label = "unset";
	char *empty = disk_with(dir, "empty.qcow2", 0, NULL, 0);
	ck_assert_int_eq(installer_disk_label(empty, dir, &label), 0);
	ck_assert_ptr_null(label);
	char *mbr = disk_with(dir, "mbr.qcow2", 510, "\x55\xaa", 2);
	ck_assert_int_eq(installer_disk_label(mbr, dir, &label), 0);
	ck_assert_str_eq(label, "msdos");
	char both[10] = "\x55\xaa"
			"EFI PART";
	char *gpt = disk_with(dir, "gpt.qcow2", 510, both, 10);
	ck_assert_int_eq(installer_disk_label(gpt, dir, &label), 0);
	ck_assert_str_eq(label, "gpt");
	/* Only the images remain: the scratch copy is removed. */
	ck_assert_uint_eq(count_entries(dir), 3);
	/* A missing image is an error naming it. */
	char *missing = test_path(dir, "missing.qcow2");
	ck_assert_int_lt(installer_disk_label(missing, dir, &label), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "missing.qcow2"));
	rm_rf(dir);
	free(missing);
	free(gpt);
	free(mbr);
	free(empty);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seed");
	TCase *tc = tcase_create("seed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, label_and_files_read_back);
	tcase_add_test(tc, deterministic_bytes);
	tcase_add_test(tc, bad_input_refused_nothing_left);
	tcase_add_test(tc, disk_label_tells_an_installed_disk);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
