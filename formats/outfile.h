/* outfile.h — an output file written under a temporary name in its final
 * directory, hashed (SHA-256) as it is written, sparse where zeros are
 * skipped, and renamed to its final name only when the caller commits. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outfile {
	char *final_path;
	char *tmp_path;   /* NULL once committed or aborted */
	int fd;
	void *sha;        /* EVP_MD_CTX */
	uint64_t pos;     /* bytes written or skipped so far */
	bool finished;
	char sha256[65];  /* lowercase hex, set by outfile_finish */
};

/* Create "<dir>/.<name>.tmp-XXXXXX" for final path "<dir>/<name>", mode 0644.
 * Records an error naming the directory. */
int outfile_open(struct outfile *o, const char *final_path);
/* Append len bytes (full write, EINTR-safe) and hash them. */
int outfile_write(struct outfile *o, const void *buf, size_t len);
/* Append len zero bytes as a hole (hashed as zeros, not written). */
int outfile_skip_zeros(struct outfile *o, uint64_t len);
/* Hash len bytes that were written to o->fd by someone else (e.g. a tool). */
int outfile_hash_only(struct outfile *o, const void *buf, size_t len);
/* Set the file size to pos (materialising a trailing hole), fsync, close and
 * compute the digest. The file stays under its temporary name. */
int outfile_finish(struct outfile *o);
/* Rename the finished file to its final name. */
int outfile_commit(struct outfile *o);
/* Remove the temporary file (if any) and free everything. Safe to call
 * after commit and more than once. */
void outfile_abort(struct outfile *o);
static inline void outfile_abortp(struct outfile *o) { outfile_abort(o); }
#define _cleanup_outfile_ __attribute__((cleanup(outfile_abortp)))

/* SHA-256 of a whole file as lowercase hex (65 bytes with NUL). */
int sha256_file(const char *path, char hex[65], uint64_t *size);
void sha256_hex(const unsigned char digest[32], char hex[65]);
