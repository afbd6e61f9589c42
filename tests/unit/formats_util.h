/* formats_util.h — helpers shared by the formats tests (test_vmdk, test_ova,
 * test_ovf, test_export): scratch directories, sparse disks, running the
 * oracle tools (qemu-img, vmdkinfo, xmllint) with an argv, no shell. */
#pragma once

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static inline char *fu_mkdtemp(void)
{
	char *d = strdup("/var/tmp/hnbuild-formats-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static inline char *fu_path(const char *dir, const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

/* Run argv; stdout+stderr go to out (if non-NULL, up to outlen-1 bytes).
 * Returns the exit status, or -1 on signal. */
static inline int fu_run(char *const argv[], char *out, size_t outlen)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	ck_assert_msg(r == 0, "cannot run %s", argv[0]);
	size_t got = 0;
	char sink[4096];
	for (;;) {
		char *dst = out && got + 1 < outlen ? out + got : sink;
		size_t room = out && got + 1 < outlen ? outlen - 1 - got : sizeof(sink);
		ssize_t n = read(fds[0], dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			got += (size_t)n;
	}
	if (out && outlen)
		out[got] = '\0';
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A sparse file of size bytes. */
static inline void fu_sparse(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* Write len bytes of a deterministic pattern (seeded) at off. */
static inline void fu_pattern(const char *path, uint64_t off, size_t len, unsigned seed)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unsigned char *b = malloc(len);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		/* half text-like (compressible), half noise */
		b[i] = (i / 4096) % 2 ? (unsigned char)x : (unsigned char)("hnbuild "[i % 8]);
	}
	ck_assert_int_eq(pwrite(fd, b, len, (off_t)off), (ssize_t)len);
	free(b);
	close(fd);
}

static inline void fu_rm_rf(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};
	fu_run(argv, NULL, 0);
}

/* qemu-img compare: 0 when the images hold the same bytes. */
static inline int fu_qemu_compare(const char *a, const char *a_fmt, const char *b, const char *b_fmt, char *out,
				  size_t outlen)
{
	char *argv[] = {"qemu-img", "compare", "-f", (char *)a_fmt, "-F", (char *)b_fmt, (char *)a, (char *)b, NULL};
	return fu_run(argv, out, outlen);
}
