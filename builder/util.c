/* util.c — string vectors, parsers for sizes and durations, atomic file
 * writes and directory helpers used across hnbuild. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *r = strdup(s);
	if (!r)
		abort();
	return r;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void str_set(char **dst, const char *s)
{
	char *n = xstrdup(s);
	free(*dst);
	*dst = n;
}

bool str_empty(const char *s) { return !s || !*s; }

bool str_startswith(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* A list that strv_push built holds its n strings in an allocation of
 * pow2ceil(n + 1) slots, every slot after the strings NULL. Slot 2^k - 1
 * for the largest such index below the allocation is then in bounds and
 * NULL, so probing 0, 1, 3, 7, ... finds a NULL without leaving the list,
 * and a binary search between the last two probes finds the first one:
 * O(log n) reads per push, and a reallocation only when the list doubles
 * (it used to read the whole list and reallocate on every push). */
static size_t strv_pushed_len(char *const *v)
{
	if (!v || !v[0])
		return 0;
	size_t lo = 0, hi = 1; /* v[lo] is a string; first NULL is in (lo, hi] */
	while (v[hi]) {
		lo = hi;
		hi = 2 * hi + 1;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid])
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

void strv_push(char ***v, const char *s)
{
	size_t n = strv_pushed_len(*v);
	/* n + 1 slots are in use (strings and the NULL); the allocation is
	 * full exactly when n + 1 is a power of two */
	if (is_pow2(n + 1)) {
		size_t cap = 2 * (n + 1);
		char **nv = realloc(*v, cap * sizeof(*nv));
		if (!nv)
			abort();
		memset(nv + n + 1, 0, (cap - n - 1) * sizeof(*nv));
		*v = nv;
	}
	(*v)[n] = xstrdup(s);
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **strv_copy(char *const *v)
{
	char **r = NULL;
	for (size_t i = 0; v && v[i]; i++)
		strv_push(&r, v[i]);
	return r;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int parse_uint(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	if (str_empty(s) || *s == '-' || *s == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	if (str_empty(s) || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || v < 0)
		return -EINVAL;
	uint64_t mult = 1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	double total = v * (double)mult;
	if (total > 1.8e19)
		return -ERANGE;
	*bytes = (uint64_t)total;
	return 0;
}

int parse_duration(const char *s, unsigned *seconds)
{
	if (str_empty(s) || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned long long mult = 1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60, end++;
	else if (*end == 'h')
		mult = 3600, end++;
	else if (*end == 'd')
		mult = 86400, end++;
	if (*end || v > UINT_MAX / mult || v == 0) /* v * mult must not wrap first */
		return -EINVAL;
	*seconds = (unsigned)(v * mult);
	return 0;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : 4;
		if (n == 4 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
			return false; /* a stray continuation byte, an overlong or out-of-range lead */
		unsigned cp = n ? *p & (0x3f >> n) : *p;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

int open_input(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		int e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return e;
	}
	return fd;
}

int read_file(const char *path, char **data, size_t *len) { return read_file_max(path, READ_FILE_MAX, data, len); }

int read_file_max(const char *path, size_t max, char **data, size_t *len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (n > max - sb.len) { /* /dev/zero as a password file, say */
			sb_release(&sb);
			return -EFBIG;
		}
		sb_add(&sb, buf, n);
	}
	if (ferror(f)) {
		sb_release(&sb);
		return -EIO;
	}
	*data = sb_detach(&sb, len);
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	struct strbuf tmp = STRBUF_INIT;
	sb_init(&tmp);
	sb_addf(&tmp, "%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		sb_release(&tmp);
		return r;
	}
	int r = 0;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	const char *p = data;
	size_t left = len;
	while (r == 0 && left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp.buf, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp.buf);
	sb_release(&tmp);
	return r;
}

int mkdir_p(const char *path, unsigned mode)
{
	if (!*path)
		return -ENOENT; /* as mkdir("") */
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_rf_at(int parent, const char *name)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int q = rm_rf_at(dirfd(d), de->d_name);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0 && errno != ENOENT)
		r = -errno;
	return r;
}

int rm_rf(const char *path) { return rm_rf_at(AT_FDCWD, path); }

char *path_join(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_adds(&sb, a);
	if (sb.len && sb.buf[sb.len - 1] != '/')
		sb_addc(&sb, '/');
	sb_adds(&sb, b[0] == '/' ? b + 1 : b);
	return sb_detach(&sb, NULL);
}

char *random_hex(size_t n)
{
	unsigned char *raw = xcalloc(n, 1);
	if (RAND_bytes(raw, (int)n) != 1)
		abort();
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%02x", raw[i]);
	free(raw);
	return sb_detach(&sb, NULL);
}

double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
