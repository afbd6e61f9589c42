/* digest.h — streaming file digests with OpenSSL EVP, and the checksum files
 * (GNU sha256sum or BSD "SHA256 (name) = hex" style) that `file:` refers to. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

/* Room for the longest hex digest (SHA-512) and its NUL. */
#define DIGEST_HEX_MAX 129

/* "md5", "sha1", "sha256", "sha512"; "none"/"file" for the others. */
const char *digest_algo_name(enum checksum_algo algo);
/* The algorithm whose hex digest has this many characters, or CHECKSUM_NONE. */
enum checksum_algo digest_algo_for_hex_len(size_t len);

/* Digest of a whole file, read in a stream. progress_stage non-NULL reports
 * progress through log_progress. hex receives lowercase hex. */
int digest_file(const char *path, enum checksum_algo algo, const char *progress_stage,
		char hex[static DIGEST_HEX_MAX]);
int digest_buffer(const void *data, size_t len, enum checksum_algo algo, char hex[static DIGEST_HEX_MAX]);
/* Hex digests equal, ignoring case. */
bool digest_hex_equal(const char *a, const char *b);

/* Digest the file and compare. On mismatch records err_verify (exit 3)
 * naming `what` and both digests and returns -EBADMSG. */
int digest_verify_file(const char *path, const char *what, enum checksum_algo algo, const char *expected_hex,
		       const char *progress_stage);

/* Find the digest of `name` (a basename) in the text of a checksum file.
 * want: the algorithm required, or CHECKSUM_NONE to take it from the line
 * (BSD tag or hex length). `source` names the file in errors (exit 3 when
 * the name is missing or the line is malformed). */
int digest_parse_checksum_file(const char *text, const char *source, const char *name,
			       enum checksum_algo want, enum checksum_algo *algo_out, char **hex_out);

/* Resolve a `file:` reference: read the checksum file (local path, file://
 * or an https URL, TLS verified) and return the digest for basename `name`. */
int digest_resolve_ref(const char *ref, const char *name, enum checksum_algo want,
		       enum checksum_algo *algo_out, char **hex_out);
