/* test_guestinfo.c — gzip+base64 and base64 guestinfo encodings: known
 * vectors, round trips, determinism and rejection of damaged input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "guestinfo.h"
#include "userdata_test.h"
#include "unit_run.h"

START_TEST(base64_known_vectors)
{
	char *out = NULL;
	ck_assert_int_eq(guestinfo_encode("hello", 5, GUESTINFO_BASE64, &out), 0);
	ck_assert_str_eq(out, "aGVsbG8=");
	free(out);
	ck_assert_int_eq(guestinfo_encode("", 0, GUESTINFO_BASE64, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(guestinfo_encode("ab", 2, GUESTINFO_BASE64, &out), 0);
	ck_assert_str_eq(out, "YWI=");
	free(out);

	size_t n = 0;
	ck_assert_int_eq(guestinfo_decode("aGVsbG8=", GUESTINFO_BASE64, &out, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(out, "hello");
	free(out);
	ck_assert_int_eq(guestinfo_decode("YWI=\n", GUESTINFO_BASE64, &out, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out, "ab");
	free(out);
	ck_assert_str_eq(guestinfo_encoding_name(GUESTINFO_GZIP_BASE64), "gzip+base64");
	ck_assert_str_eq(guestinfo_encoding_name(GUESTINFO_BASE64), "base64");
}
END_TEST

START_TEST(gzip_base64_round_trip_and_shape)
{
	const char *text = "#cloud-config\nruncmd:\n- [echo, hello]\n";
	char *enc = NULL, *dec = NULL;
	ck_assert_int_eq(guestinfo_encode(text, strlen(text), GUESTINFO_GZIP_BASE64, &enc), 0);
	/* One line, base64 alphabet only, and a gzip header (1f 8b 08) = "H4sI". */
	ck_assert(strncmp(enc, "H4sI", 4) == 0);
	ck_assert(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
		  strlen(enc));
	size_t n = 0;
	ck_assert_int_eq(guestinfo_decode(enc, GUESTINFO_GZIP_BASE64, &dec, &n), 0);
	ck_assert_uint_eq(n, strlen(text));
	ck_assert_str_eq(dec, text);
	free(dec);

	/* Deterministic: same input, same bytes (mtime 0). */
	char *again = NULL;
	ck_assert_int_eq(guestinfo_encode(text, strlen(text), GUESTINFO_GZIP_BASE64, &again), 0);
	ck_assert_str_eq(enc, again);
	free(again);

	/* And what the standard tools make of it: base64 -d | gunzip. */
	char *path = ud_tmpfile(enc, ".b64");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "base64 -d %s | gunzip -c > %s.out", path, path);
	ck_assert_int_eq(ud_run(cmd), 0);
	char *outpath = NULL, *content = NULL;
	size_t len = 0;
	ck_assert(asprintf(&outpath, "%s.out", path) > 0);
	ck_assert_int_eq(read_file(outpath, &content, &len), 0);
	ck_assert_str_eq(content, text);
	unlink(outpath);
	unlink(path);
	free(content);
	free(outpath);
	free(path);
	free(enc);
}
END_TEST

START_TEST(large_binary_round_trip)
{
	size_t len = 300000;
	unsigned char *data = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	char *enc = NULL, *dec = NULL;
	size_t n = 0;
	ck_assert_int_eq(guestinfo_encode(data, len, GUESTINFO_GZIP_BASE64, &enc), 0);
	ck_assert_int_eq(guestinfo_decode(enc, GUESTINFO_GZIP_BASE64, &dec, &n), 0);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(dec, data, len) == 0);
	free(enc);
	free(dec);
	ck_assert_int_eq(guestinfo_encode(data, len, GUESTINFO_BASE64, &enc), 0);
	ck_assert_uint_eq(strlen(enc), 4 * ((len + 2) / 3));
	ck_assert_int_eq(guestinfo_decode(enc, GUESTINFO_BASE64, &dec, &n), 0);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(dec, data, len) == 0);
	free(enc);
	free(dec);
	free(data);
}
END_TEST

START_TEST(damaged_input_is_rejected)
{
	char *out = NULL;
	/* Bad alphabet, bad length, misplaced padding, embedded space. */
	ck_assert_int_eq(guestinfo_decode("aGV*bG8=", GUESTINFO_BASE64, &out, NULL), -EBADMSG);
	ck_assert_int_eq(guestinfo_decode("aGVsbG8", GUESTINFO_BASE64, &out, NULL), -EBADMSG);
	ck_assert_int_eq(guestinfo_decode("aG=sbG8=", GUESTINFO_BASE64, &out, NULL), -EBADMSG);
	ck_assert_int_eq(guestinfo_decode("aGVs bG8=", GUESTINFO_BASE64, &out, NULL), -EBADMSG);
	ck_assert_ptr_nonnull(err_message());
	/* Valid base64 but not gzip. */
	ck_assert_int_eq(guestinfo_decode("aGVsbG8=", GUESTINFO_GZIP_BASE64, &out, NULL), -EBADMSG);
	/* Truncated gzip stream. */
	char *enc = NULL;
	const char *text = "a fairly long text that compresses into more than a few bytes of deflate";
	ck_assert_int_eq(guestinfo_encode(text, strlen(text), GUESTINFO_GZIP_BASE64, &enc), 0);
	size_t cut = (strlen(enc) / 2) & ~(size_t)3;
	enc[cut] = '\0';
	ck_assert_int_eq(guestinfo_decode(enc, GUESTINFO_GZIP_BASE64, &out, NULL), -EBADMSG);
	free(enc);
	err_clear();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guestinfo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, base64_known_vectors);
	tcase_add_test(tc, gzip_base64_round_trip_and_shape);
	tcase_add_test(tc, large_binary_round_trip);
	tcase_add_test(tc, damaged_input_is_rejected);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
