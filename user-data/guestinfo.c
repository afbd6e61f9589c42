/* guestinfo.c — gzip (zlib) and base64 (OpenSSL EVP) for guestinfo values. */
#include "guestinfo.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cleanup.h"
#include "err.h"
#include "strbuf.h"
#include "util.h"

const char *guestinfo_encoding_name(enum guestinfo_encoding enc)
{
	return enc == GUESTINFO_GZIP_BASE64 ? "gzip+base64" : "base64";
}

int guestinfo_gzip(const void *data, size_t len, unsigned char **out, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0, no name. */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return err_fail(-ENOMEM, "Failed to initialise gzip compression");
	size_t cap = deflateBound(&zs, (uLong)len) + 32;
	unsigned char *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return err_fail(-ENOMEM, "Failed to allocate %zu bytes for gzip output", cap);
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	int zr = deflate(&zs, Z_FINISH);
	if (zr != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return err_fail(-EIO, "gzip compression failed (zlib error %d)", zr);
	}
	*out_len = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return 0;
}

int guestinfo_gunzip(const void *data, size_t len, char **out, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return err_fail(-ENOMEM, "Failed to initialise gzip decompression");
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	unsigned char chunk[16384];
	int zr;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			inflateEnd(&zs);
			return err_fail(-EBADMSG, "Not valid gzip data (zlib error %d)", zr);
		}
		sb_add(&sb, chunk, sizeof(chunk) - zs.avail_out);
		if (zr == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			inflateEnd(&zs);
			return err_fail(-EBADMSG, "Truncated gzip data");
		}
	} while (zr != Z_STREAM_END);
	bool trailing = zs.avail_in != 0;
	inflateEnd(&zs);
	if (trailing)
		return err_fail(-EBADMSG, "Unexpected data after the end of the gzip stream");
	*out = sb_detach(&sb, out_len);
	return 0;
}

static char *base64_encode(const unsigned char *data, size_t len)
{
	/* EVP_EncodeBlock writes 4 bytes per 3 (padded) and a NUL, no newlines. */
	char *out = xcalloc(4 * ((len + 2) / 3) + 1, 1);
	if (len > 0)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static bool is_base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

static int base64_decode(const char *text, unsigned char **out, size_t *out_len)
{
	size_t n = strlen(text);
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n % 4 != 0)
		return err_fail(-EBADMSG, "Not valid base64: length %zu is not a multiple of 4", n);
	size_t pad = 0;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (c == '=') {
			if (i < n - 2 || (i == n - 2 && text[n - 1] != '='))
				return err_fail(-EBADMSG, "Not valid base64: '=' at offset %zu", i);
			pad++;
		} else if (!is_base64_char(c)) {
			return err_fail(-EBADMSG, "Not valid base64: unexpected character at offset %zu", i);
		}
	}
	unsigned char *buf = xcalloc(3 * (n / 4) + 1, 1);
	if (n > 0) {
		int r = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n);
		if (r < 0) {
			free(buf);
			return err_fail(-EBADMSG, "Not valid base64");
		}
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		*out_len = (size_t)r - pad;
	} else {
		*out_len = 0;
	}
	*out = buf;
	return 0;
}

int guestinfo_encode(const void *data, size_t len, enum guestinfo_encoding enc, char **out)
{
	if (enc == GUESTINFO_BASE64) {
		*out = base64_encode(data, len);
		return 0;
	}
	_cleanup_free_ unsigned char *gz = NULL;
	size_t gz_len = 0;
	int r = guestinfo_gzip(data, len, &gz, &gz_len);
	if (r < 0)
		return r;
	*out = base64_encode(gz, gz_len);
	return 0;
}

int guestinfo_decode(const char *text, enum guestinfo_encoding enc, char **out, size_t *out_len)
{
	_cleanup_free_ unsigned char *raw = NULL;
	size_t raw_len = 0;
	int r = base64_decode(text, &raw, &raw_len);
	if (r < 0)
		return r;
	if (enc == GUESTINFO_BASE64) {
		raw[raw_len] = '\0';
		if (out_len)
			*out_len = raw_len;
		*out = (char *)TAKE_PTR(raw);
		return 0;
	}
	size_t n = 0;
	r = guestinfo_gunzip(raw, raw_len, out, &n);
	if (r < 0)
		return r;
	if (out_len)
		*out_len = n;
	return 0;
}
