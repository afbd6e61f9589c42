/* guestinfo.h — the encodings cloud-init's VMware datasource (and
 * Bottlerocket) accept in guestinfo.userdata / guestinfo.metadata:
 * "base64" and "gzip+base64". Encoding is deterministic (gzip mtime 0). */
#pragma once

#include <stddef.h>

enum guestinfo_encoding {
	GUESTINFO_BASE64,
	GUESTINFO_GZIP_BASE64,
};

/* "base64" or "gzip+base64": the value of guestinfo.*.encoding. */
const char *guestinfo_encoding_name(enum guestinfo_encoding enc);

/* Encode len bytes of data into a NUL-terminated single-line string.
 * Returns 0 or -errno (with err_fail recorded). */
int guestinfo_encode(const void *data, size_t len, enum guestinfo_encoding enc, char **out);

/* The reverse: strict base64 (no whitespace except a trailing newline),
 * then gunzip for GUESTINFO_GZIP_BASE64. The result is NUL-terminated;
 * out_len (optional) excludes the NUL. Returns 0 or -EBADMSG. */
int guestinfo_decode(const char *text, enum guestinfo_encoding enc, char **out, size_t *out_len);

/* gzip (RFC 1952, level 9, mtime 0) and gunzip on memory. */
int guestinfo_gzip(const void *data, size_t len, unsigned char **out, size_t *out_len);
int guestinfo_gunzip(const void *data, size_t len, char **out, size_t *out_len);
