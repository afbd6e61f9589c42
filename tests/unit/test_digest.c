/* test_digest.c — streaming digests against known vectors and sha*sum,
 * verification failures (exit 3), and checksum files in GNU and BSD form. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "err.h"
#include "installdata_test.h"
#include "util.h"
#include "unit_run.h"

START_TEST(known_vectors)
{
	char *dir = test_tmpdir(), *f = test_path(dir, "abc");
	test_write(f, "abc");
	char hex[DIGEST_HEX_MAX];
	ck_assert_int_eq(digest_file(f, CHECKSUM_MD5, NULL, hex), 0);
	ck_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
	ck_assert_int_eq(digest_file(f, CHECKSUM_SHA1, NULL, hex), 0);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_int_eq(digest_file(f, CHECKSUM_SHA256, NULL, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(digest_file(f, CHECKSUM_SHA512, NULL, hex), 0);
	ck_assert_str_eq(
	    hex,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f");
	ck_assert_int_eq(digest_buffer("abc", 3, CHECKSUM_SHA256, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_lt(digest_file(f, CHECKSUM_NONE, NULL, hex), 0);
	ck_assert_int_eq(digest_file("/nonexistent/file", CHECKSUM_SHA256, NULL, hex), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent/file"));
	ck_assert(digest_hex_equal("ABCdef", "abcDEF"));
	ck_assert(!digest_hex_equal("abc", "abcd"));
	ck_assert(!digest_hex_equal(NULL, "abc"));
	ck_assert_int_eq(digest_algo_for_hex_len(64), CHECKSUM_SHA256);
	ck_assert_int_eq(digest_algo_for_hex_len(63), CHECKSUM_NONE);
	ck_assert_str_eq(digest_algo_name(CHECKSUM_SHA512), "sha512");
	rm_rf(dir);
	free(f);
	free(dir);
}
END_TEST

START_TEST(large_file_matches_sha256sum)
{
	char *dir = test_tmpdir(), *f = test_path(dir, "big");
	/* 3 MiB + 17 bytes: crosses the 1 MiB read buffer several times. */
	ck_assert_int_eq(test_sh("head -c 3145745 /dev/urandom > %s", f), 0);
	char hex[DIGEST_HEX_MAX];
	ck_assert_int_eq(digest_file(f, CHECKSUM_SHA256, "verify", hex), 0);
	ck_assert_int_eq(test_sh("echo '%s  %s' | sha256sum -c --quiet -", hex, f), 0);
	ck_assert_int_eq(digest_file(f, CHECKSUM_SHA512, NULL, hex), 0);
	ck_assert_int_eq(test_sh("echo '%s  %s' | sha512sum -c --quiet -", hex, f), 0);
	rm_rf(dir);
	free(f);
	free(dir);
}
END_TEST

START_TEST(verify_mismatch_is_exit_3)
{
	char *dir = test_tmpdir(), *f = test_path(dir, "abc");
	test_write(f, "abc");
	ck_assert_int_eq(
	    digest_verify_file(f, "x.iso", CHECKSUM_SHA256,
			       "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", NULL),
	    0);
	err_clear();
	ck_assert_int_eq(
	    digest_verify_file(f, "x.iso", CHECKSUM_SHA256,
			       "0000000000000000000000000000000000000000000000000000000000000000", NULL),
	    -EBADMSG);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_str_eq(err_message(),
			 "Checksum mismatch for x.iso: expected "
			 "sha256:0000000000000000000000000000000000000000000000000000000000000000, got "
			 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* A digest of the wrong length for the algorithm is a usage error. */
	ck_assert_int_eq(digest_verify_file(f, "x.iso", CHECKSUM_SHA512, "abcd", NULL), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	rm_rf(dir);
	free(f);
	free(dir);
}
END_TEST

#define H256 "c3514bf0056180d09376462a7a1b4f213c1d6e8ea67fae5c25099c6fd3d8274b"
#define H256B "e240e4b801f7bb68c20d1356b60968ad0c33a41d00d828e74ceb3364a0317be9"
#define H512                                                                                                 \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd45" \
	"4d4423643ce80e2a9ac94fa54ca49f"

START_TEST(checksum_files)
{
	const char *gnu = "# comment\n" H256B " *ubuntu-24.04.3-desktop-amd64.iso\n" H256
			  " *ubuntu-24.04.3-live-server-amd64.iso\r\n";
	enum checksum_algo algo;
	char *hex = NULL;
	ck_assert_int_eq(digest_parse_checksum_file(gnu, "SHA256SUMS", "ubuntu-24.04.3-live-server-amd64.iso",
						    CHECKSUM_NONE, &algo, &hex),
			 0);
	ck_assert_int_eq(algo, CHECKSUM_SHA256);
	ck_assert_str_eq(hex, H256);
	free(hex);

	const char *bsd = "SHA512 (rhel-9.4-x86_64-dvd.iso) = " H512 "\nSHA256 (rhel-9.4-x86_64-dvd.iso) = "
			  "C3514BF0056180D09376462A7A1B4F213C1D6E8EA67FAE5C25099C6FD3D8274B\n";
	ck_assert_int_eq(digest_parse_checksum_file(bsd, "CHECKSUM", "rhel-9.4-x86_64-dvd.iso",
						    CHECKSUM_SHA256, &algo, &hex),
			 0);
	ck_assert_int_eq(algo, CHECKSUM_SHA256);
	ck_assert_str_eq(hex, H256); /* lowercased */
	free(hex);
	ck_assert_int_eq(digest_parse_checksum_file(bsd, "CHECKSUM", "rhel-9.4-x86_64-dvd.iso", CHECKSUM_NONE,
						    &algo, &hex),
			 0);
	ck_assert_int_eq(algo, CHECKSUM_SHA512);
	free(hex);

	const char *dotted = H256 "  ./isos/x.iso\n";
	ck_assert_int_eq(digest_parse_checksum_file(dotted, "sums", "x.iso", CHECKSUM_NONE, &algo, &hex), 0);
	free(hex);

	/* Missing name, wrong algorithm, malformed line: exit 3 naming the file. */
	ck_assert_int_eq(
	    digest_parse_checksum_file(gnu, "SHA256SUMS", "other.iso", CHECKSUM_NONE, &algo, &hex), -ENOENT);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_str_eq(err_message(), "SHA256SUMS has no checksum for other.iso");
	ck_assert_int_eq(digest_parse_checksum_file(gnu, "SHA256SUMS", "ubuntu-24.04.3-live-server-amd64.iso",
						    CHECKSUM_SHA512, &algo, &hex),
			 -ENOENT);
	ck_assert_int_eq(
	    digest_parse_checksum_file("zzzz  x.iso\n", "sums", "x.iso", CHECKSUM_NONE, &algo, &hex),
	    -EBADMSG);
	ck_assert_str_eq(err_message(), "sums:1: malformed checksum line for x.iso");
	/* A name that merely contains the wanted one does not match. */
	ck_assert_int_eq(
	    digest_parse_checksum_file(H256 "  xx.iso\n", "sums", "x.iso", CHECKSUM_NONE, &algo, &hex),
	    -ENOENT);
}
END_TEST

/* TEXT copied so that its terminator is the last byte before a PROT_NONE
 * page: reading one byte past it faults, with or without ASan. */
static char *guarded(const char *text, void **map, size_t *map_len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = strlen(text) + 1;
	ck_assert_uint_le(len, (size_t)page);
	*map_len = 2 * (size_t)page;
	*map = mmap(NULL, *map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(*map, MAP_FAILED);
	ck_assert_int_eq(mprotect((char *)*map + page, (size_t)page, PROT_NONE), 0);
	char *p = (char *)*map + page - len;
	memcpy(p, text, len);
	return p;
}

/* Issue 20.3: "SHA256 (good.iso) =" and blanks, no newline: the blank skip
 * ran past the line, and a '\0' counted as a hex digit. */
START_TEST(checksum_line_without_digest_stays_in_bounds)
{
	const char *cases[] = {
	    "SHA256 (good.iso) =                                            ",
	    "SHA256 (good.iso) =",
	    "SHA256 (good.iso) = \t ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		void *map;
		size_t map_len;
		char *text = guarded(cases[i], &map, &map_len);
		enum checksum_algo algo;
		char *hex = NULL;
		ck_assert_int_eq(
		    digest_parse_checksum_file(text, "CHECKSUM", "good.iso", CHECKSUM_NONE, &algo, &hex),
		    -EBADMSG);
		ck_assert_str_eq(err_message(), "CHECKSUM:1: malformed checksum line for good.iso");
		ck_assert_ptr_null(hex);
		munmap(map, map_len);
	}
}
END_TEST

/* Issue 20.14: a FIFO given as a file to digest ends at once, exit 3. */
START_TEST(fifo_is_not_read)
{
	char path[] = "/tmp/hnbuild-test-fifo-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(path));
	char *fifo = path_join(path, "x.iso");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	char hex[DIGEST_HEX_MAX];
	alarm(10); /* open() used to wait for a writer */
	ck_assert_int_eq(digest_file(fifo, CHECKSUM_SHA256, NULL, hex), -EINVAL);
	alarm(0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_ptr_nonnull(strstr(err_message(), "is not a regular file or block device"));
	unlink(fifo);
	rmdir(path);
	free(fifo);
}
END_TEST

START_TEST(resolve_references)
{
	char *dir = test_tmpdir(), *sums = test_path(dir, "SHA256SUMS");
	test_write(sums, H256 " *x.iso\n");
	enum checksum_algo algo;
	char *hex = NULL;
	ck_assert_int_eq(digest_resolve_ref(sums, "x.iso", CHECKSUM_NONE, &algo, &hex), 0);
	ck_assert_str_eq(hex, H256);
	free(hex);
	struct strbuf url = STRBUF_INIT;
	sb_init(&url);
	sb_addf(&url, "file://%s", sums);
	ck_assert_int_eq(digest_resolve_ref(sb_str(&url), "x.iso", CHECKSUM_SHA256, &algo, &hex), 0);
	ck_assert_str_eq(hex, H256);
	free(hex);
	sb_release(&url);
	ck_assert_int_eq(digest_resolve_ref("/nonexistent/SUMS", "x.iso", CHECKSUM_NONE, &algo, &hex),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent/SUMS"));
	/* Checksum files are never taken over plain http. */
	ck_assert_int_eq(
	    digest_resolve_ref("http://127.0.0.1:1/SHA256SUMS", "x.iso", CHECKSUM_NONE, &algo, &hex),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "plain http"));
	rm_rf(dir);
	free(sums);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, known_vectors);
	tcase_add_test(tc, large_file_matches_sha256sum);
	tcase_add_test(tc, verify_mismatch_is_exit_3);
	tcase_add_test(tc, checksum_files);
	tcase_add_test(tc, checksum_line_without_digest_stays_in_bounds);
	tcase_add_test(tc, fifo_is_not_read);
	tcase_add_test(tc, resolve_references);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
