/* test_png.c — a PPM screenshot written as a PNG: the chunks a viewer
 * needs, pixels that decompress to the PPM's rows, and what is refused. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "png.h"
#include "unit_run.h"
#include "util.h"

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

START_TEST(ppm_becomes_a_png_with_the_same_pixels)
{
	/* 2x2: red, green / blue, white; a comment in the header */
	static const unsigned char ppm[] = "P6\n# screendump\n2 2\n255\n"
					   "\xff\x00\x00\x00\xff\x00"
					   "\x00\x00\xff\xff\xff\xff";
	char dir[] = "/tmp/hnbuild-test-png-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = path_join(dir, "s.png");
	ck_assert_int_eq(png_write_from_ppm(path, ppm, sizeof(ppm) - 1), 0);
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(path, &data, &len), 0);
	const unsigned char *u = (const unsigned char *)data;
	ck_assert_int_eq(memcmp(u, "\x89PNG\r\n\x1a\n", 8), 0);
	ck_assert_uint_eq(be32(u + 8), 13);
	ck_assert_int_eq(memcmp(u + 12, "IHDR", 4), 0);
	ck_assert_uint_eq(be32(u + 16), 2);
	ck_assert_uint_eq(be32(u + 20), 2);
	ck_assert_uint_eq(u[24], 8);
	ck_assert_uint_eq(u[25], 2);
	/* IHDR's CRC covers its type and data */
	ck_assert_uint_eq(be32(u + 29), (unsigned)crc32(0, u + 12, 17));
	size_t idat = 33;
	unsigned zlen = be32(u + idat);
	ck_assert_int_eq(memcmp(u + idat + 4, "IDAT", 4), 0);
	unsigned char raw[14];
	uLongf rlen = sizeof(raw);
	ck_assert_int_eq(uncompress(raw, &rlen, u + idat + 8, zlen), Z_OK);
	ck_assert_uint_eq(rlen, 14);
	/* each row: filter byte 0, then the PPM's row */
	ck_assert_int_eq(memcmp(raw, "\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\xff\xff\xff\xff", 14), 0);
	ck_assert_int_eq(memcmp(u + len - 8, "IEND\xae\x42\x60\x82", 8), 0);
	ck_assert_uint_eq(len, idat + 12 + zlen + 12);
	free(data);
	unlink(path);
	free(path);
	rmdir(dir);
}
END_TEST

START_TEST(what_is_not_an_8_bit_ppm_is_refused)
{
	static const char *const bad[] = {
	    "P5\n2 2\n255\n....",                 /* greyscale */
	    "P6\n2 2\n65535\n" "012345678901",   /* 16 bits a channel */
	    "P6\n2 2\n255\n" "0123",             /* fewer pixels than the header says */
	    "P6\n0 2\n255\n",                    /* no width */
	    "P6\n2\n",                           /* no height */
	    "",
	};
	char dir[] = "/tmp/hnbuild-test-png-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = path_join(dir, "s.png");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(png_write_from_ppm(path, (const unsigned char *)bad[i], strlen(bad[i])) == -EINVAL,
			      "case %zu accepted", i);
		ck_assert(access(path, F_OK) < 0);
	}
	free(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("png");
	TCase *tc = tcase_create("png");
	tcase_add_test(tc, ppm_becomes_a_png_with_the_same_pixels);
	tcase_add_test(tc, what_is_not_an_8_bit_ppm_is_refused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
