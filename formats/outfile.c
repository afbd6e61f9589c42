/* outfile.c — temporary-name output files with on-the-fly SHA-256; nothing
 * appears under the final name until outfile_commit. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

static const unsigned char zero_block[1 << 16];

void sha256_hex(const unsigned char digest[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

int outfile_open(struct outfile *o, const char *final_path)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	const char *slash = strrchr(final_path, '/');
	_cleanup_free_ char *dir = slash ? strndup(final_path, (size_t)(slash - final_path)) : xstrdup(".");
	const char *base = slash ? slash + 1 : final_path;
	if (!dir)
		return err_fail_errno(-ENOMEM, "Failed to allocate");
	struct strbuf tmp = STRBUF_INIT;
	sb_init(&tmp);
	sb_addf(&tmp, "%s/.%s.tmp-XXXXXX", *dir ? dir : "/", base);
	int fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		sb_release(&tmp);
		return err_fail_errno(r, "Cannot create an output file in %s", *dir ? dir : "/");
	}
	(void)fchmod(fd, 0644);
	/* held while the file is written: a killed build's file is unlocked (leftover.h) */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	o->fd = fd;
	o->tmp_path = sb_detach(&tmp, NULL);
	o->final_path = xstrdup(final_path);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		outfile_abort(o);
		return err_fail(-ENOMEM, "Failed to set up SHA-256");
	}
	o->sha = ctx;
	return 0;
}

int outfile_hash_only(struct outfile *o, const void *buf, size_t len)
{
	/* Every writer passes each chunk through here: Ctrl-C/SIGTERM ends a
	 * long export at the next chunk, and the temporary goes with it. */
	if (signals_interrupted())
		return err_interrupted("the write of %s", o->final_path);
	if (EVP_DigestUpdate(o->sha, buf, len) != 1)
		return err_fail(-EIO, "SHA-256 update failed");
	return 0;
}

int outfile_write(struct outfile *o, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t w = pwrite(o->fd, p, left, (off_t)o->pos);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_fail_errno(-errno, "Failed to write %s", o->final_path);
		}
		p += w;
		left -= (size_t)w;
		o->pos += (uint64_t)w;
	}
	return outfile_hash_only(o, buf, len);
}

int outfile_skip_zeros(struct outfile *o, uint64_t len)
{
	o->pos += len;
	while (len > 0) {
		size_t n = len < sizeof(zero_block) ? (size_t)len : sizeof(zero_block);
		int r = outfile_hash_only(o, zero_block, n);
		if (r < 0)
			return r;
		len -= n;
	}
	return 0;
}

int outfile_finish(struct outfile *o)
{
	if (o->finished)
		return 0;
	if (ftruncate(o->fd, (off_t)o->pos) < 0)
		return err_fail_errno(-errno, "Failed to size %s", o->final_path);
	if (fsync(o->fd) < 0)
		return err_fail_errno(-errno, "Failed to write %s", o->final_path);
	int fd = TAKE_FD(o->fd);
	if (close(fd) < 0)
		return err_fail_errno(-errno, "Failed to write %s", o->final_path);
	unsigned char digest[32];
	unsigned int dlen = 0;
	if (EVP_DigestFinal_ex(o->sha, digest, &dlen) != 1 || dlen != 32)
		return err_fail(-EIO, "SHA-256 final failed");
	sha256_hex(digest, o->sha256);
	o->finished = true;
	return 0;
}

int outfile_commit(struct outfile *o)
{
	if (!o->finished)
		return err_fail(-EINVAL, "Output %s committed before it was finished", o->final_path);
	if (rename(o->tmp_path, o->final_path) < 0)
		return err_fail_errno(-errno, "Failed to rename %s to %s", o->tmp_path, o->final_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp_path)
		unlink(o->tmp_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
	free(o->final_path);
	o->final_path = NULL;
	EVP_MD_CTX_free(o->sha);
	o->sha = NULL;
}

int sha256_file(const char *path, char hex[65], uint64_t *size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fail_errno(-errno, "Cannot open %s", path);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_fail(-ENOMEM, "Failed to set up SHA-256");
	}
	size_t bufsize = 1 << 20;
	_cleanup_free_ unsigned char *buf = malloc(bufsize);
	uint64_t total = 0;
	int r = buf ? 0 : -ENOMEM;
	while (r == 0) {
		ssize_t n = read(fd, buf, bufsize);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = err_fail_errno(-errno, "Failed to read %s", path);
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	unsigned char digest[32];
	unsigned int dlen = 0;
	if (r == 0 && EVP_DigestFinal_ex(ctx, digest, &dlen) == 1) {
		sha256_hex(digest, hex);
		if (size)
			*size = total;
	} else if (r == 0) {
		r = err_fail(-EIO, "SHA-256 of %s failed", path);
	}
	EVP_MD_CTX_free(ctx);
	return r;
}
