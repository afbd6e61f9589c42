/* png.c — a PPM screenshot written as a PNG: signature, IHDR, one zlib
 * IDAT of filter-0 scanlines, IEND (PNG specification, ISO/IEC 15948). */
#include "png.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "strbuf.h"
#include "util.h"

/* Width, height and pixel offset of a P6 image with maxval 255. */
static int ppm_header(const unsigned char *p, size_t len, unsigned *w, unsigned *h, size_t *data)
{
	if (len < 2 || p[0] != 'P' || p[1] != '6')
		return -EINVAL;
	unsigned long v[3];
	size_t i = 2;
	for (int k = 0; k < 3; k++) {
		/* whitespace and # comments between the fields */
		while (i < len && (isspace(p[i]) || p[i] == '#')) {
			if (p[i] == '#')
				while (i < len && p[i] != '\n')
					i++;
			else
				i++;
		}
		if (i >= len || !isdigit(p[i]))
			return -EINVAL;
		v[k] = 0;
		while (i < len && isdigit(p[i])) {
			v[k] = v[k] * 10 + (unsigned long)(p[i] - '0');
			if (v[k] > 65535)
				return -EINVAL;
			i++;
		}
	}
	/* exactly one whitespace byte before the pixels */
	if (i >= len || !isspace(p[i]) || v[0] == 0 || v[1] == 0 || v[2] != 255)
		return -EINVAL;
	i++;
	if ((len - i) / 3 / v[0] < v[1])
		return -EINVAL;
	*w = (unsigned)v[0];
	*h = (unsigned)v[1];
	*data = i;
	return 0;
}

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

static void chunk(struct strbuf *sb, const char type[4], const unsigned char *data, size_t len)
{
	unsigned char b[4];
	put32(b, (uint32_t)len);
	sb_add(sb, (const char *)b, 4);
	size_t start = sb->len;
	sb_add(sb, type, 4);
	if (len)
		sb_add(sb, (const char *)data, len);
	uLong crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, (const Bytef *)sb_str(sb) + start, (uInt)(sb->len - start));
	put32(b, (uint32_t)crc);
	sb_add(sb, (const char *)b, 4);
}

int png_write_from_ppm(const char *path, const unsigned char *ppm, size_t len)
{
	unsigned w, h;
	size_t off;
	if (ppm_header(ppm, len, &w, &h, &off) < 0)
		return -EINVAL;
	size_t row = (size_t)w * 3;
	size_t raw_len = (row + 1) * h;
	unsigned char *raw = malloc(raw_len);
	uLongf z_len = compressBound((uLong)raw_len);
	unsigned char *z = malloc(z_len);
	if (!raw || !z)
		abort();
	for (unsigned y = 0; y < h; y++) {
		raw[y * (row + 1)] = 0; /* filter: none */
		memcpy(raw + y * (row + 1) + 1, ppm + off + y * row, row);
	}
	int zr = compress2(z, &z_len, raw, (uLong)raw_len, 6);
	free(raw);
	if (zr != Z_OK) {
		free(z);
		return -ENOMEM;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_add(&sb, "\x89PNG\r\n\x1a\n", 8);
	unsigned char ihdr[13];
	put32(ihdr, w);
	put32(ihdr + 4, h);
	ihdr[8] = 8;  /* bits per channel */
	ihdr[9] = 2;  /* truecolour RGB */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering */
	ihdr[12] = 0; /* no interlace */
	chunk(&sb, "IHDR", ihdr, sizeof(ihdr));
	chunk(&sb, "IDAT", z, z_len);
	chunk(&sb, "IEND", NULL, 0);
	free(z);
	int r = write_file_atomic(path, sb_str(&sb), sb.len, 0600);
	sb_release(&sb);
	return r;
}
