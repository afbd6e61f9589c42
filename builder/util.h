/* util.h — small helpers shared by every module: string vectors, size and
 * duration parsing, files written atomically, temporary directories. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NULL-terminated vector of owned strings. A NULL strv is an empty one.
 * strv_push appends in O(log n), to NULL or to a list strv_push built
 * (never to a list from libguestfs or elsewhere). */
void strv_push(char ***v, const char *s);
size_t strv_len(char *const *v);
void strv_free(char **v);
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);

char *xstrdup(const char *s);      /* NULL-safe; aborts on OOM */
void *xcalloc(size_t n, size_t size);
/* Replace *dst with a copy of s (freeing the old value). */
void str_set(char **dst, const char *s);
bool str_empty(const char *s);
bool str_startswith(const char *s, const char *prefix);

/* "20G", "512M", "1T", "4096" (bytes) -> bytes. Returns -EINVAL on junk. */
int parse_size(const char *s, uint64_t *bytes);
/* "90m", "2h", "7d", "45s", "3600" (seconds) -> seconds. */
int parse_duration(const char *s, unsigned *seconds);
/* Decimal integer within [min, max]. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);

/* Read a whole file (NUL-terminated). Returns 0 or -errno. */
/* Is s well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF)? YAML, kickstart and JSON outputs need it. */
bool utf8_valid(const char *s);
/* Open a file to read that must be a regular file or a block device: a
 * FIFO, socket or character device is -EINVAL (a directory -EISDIR), and
 * opening never blocks. The fd, or -errno. */
int open_input(const char *path);
/* Read a whole file (NUL-terminated; caller frees): -EFBIG past max bytes,
 * READ_FILE_MAX for read_file, SECRET_FILE_MAX for a password or key. */
#define READ_FILE_MAX (64u << 20)
#define SECRET_FILE_MAX (64u << 10)
int read_file(const char *path, char **data, size_t *len);
int read_file_max(const char *path, size_t max, char **data, size_t *len);
/* Write data to path via a temporary file in the same directory, fsync and
 * rename; mode applies to the new file. Nothing is left under path on error. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p */
int mkdir_p(const char *path, unsigned mode);
/* Remove a directory tree (no symlink following). Missing is fine. */
int rm_rf(const char *path);
/* Join a/b into a new string. */
char *path_join(const char *a, const char *b);
/* Random lowercase hex of n bytes of entropy (2n chars), from OpenSSL. */
char *random_hex(size_t n);
/* Monotonic seconds. */
double now_monotonic(void);
