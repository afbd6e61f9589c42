/* raw.c — the raw output: a sparse copy of the disk (holes and all-zero
 * blocks are not written), hashed as a whole while it is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "export.h"
#include "format.h"
#include "log.h"
#include "util.h"

#define BLOCK (64u << 10)

static bool block_zero(const unsigned char *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int raw_format_write(const struct export_source *src, const struct export_target *dst,
			    struct export_output *out)
{
	if (asprintf(&out->name, "%s.raw", dst->base_name) < 0)
		return err_fail(-ENOMEM, "Out of memory");
	_cleanup_free_ char *path = path_join(dst->dir, out->name);
	int r = outfile_open(&out->file, path);
	if (r < 0)
		return r;
	size_t bufsize = 1u << 20;
	_cleanup_free_ unsigned char *buf = malloc(bufsize);
	uint64_t size = src->virtual_size, off = 0;
	while (off < size) {
		off_t d = lseek(src->raw_fd, (off_t)off, SEEK_DATA);
		uint64_t data = d < 0 ? size : (uint64_t)d;
		if (d < 0 && errno != ENXIO)
			data = off; /* no hole support: read everything */
		if (data > size)
			data = size;
		if (data > off) {
			r = outfile_skip_zeros(&out->file, data - off);
			if (r < 0)
				return r;
			off = data;
			continue;
		}
		size_t want = size - off < bufsize ? (size_t)(size - off) : bufsize;
		ssize_t n = pread(src->raw_fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_fail_errno(-errno, "Failed to read %s", src->path);
		if (n == 0) { /* past the end of a short file: zeros */
			r = outfile_skip_zeros(&out->file, size - off);
			if (r < 0)
				return r;
			break;
		}
		for (size_t i = 0; i < (size_t)n; i += BLOCK) {
			size_t len = (size_t)n - i < BLOCK ? (size_t)n - i : BLOCK;
			r = block_zero(buf + i, len) ? outfile_skip_zeros(&out->file, len)
						     : outfile_write(&out->file, buf + i, len);
			if (r < 0)
				return r;
		}
		off += (uint64_t)n;
	}
	return outfile_finish(&out->file);
}

const struct format_ops format_raw_ops = {
	.name = "raw",
	.ext = "raw",
	.bit = FORMAT_RAW,
	.needs_raw = true,
	.write = raw_format_write,
};
