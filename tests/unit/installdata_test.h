/* installdata_test.h — helpers shared by the ISO / seed / install-data unit
 * tests: temporary directories, golden files, running tools, making ISOs. */
#pragma once

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "golden_test.h"
#include "strbuf.h"
#include "util.h"

static inline char *test_tmpdir(void)
{
	char tmpl[] = "/tmp/hnbuild-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static inline char *test_path(const char *dir, const char *name)
{
	return path_join(dir, name);
}

static inline void test_write(const char *path, const char *text)
{
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/* Run a shell command, quietly; returns its exit status. */
static inline int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int test_sh(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	int st = system(sb_str(&sb));
	sb_release(&sb);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Compare with tests/golden/<name>; HNBUILD_UPDATE_GOLDEN=1 rewrites it. */
static inline void test_golden(const char *name, const char *actual)
{
	char *path = path_join("tests/golden", name);
	if (golden_update())
		ck_assert_int_eq(write_file_atomic(path, actual, strlen(actual), 0644), 0);
	char *expected = NULL;
	size_t len = 0;
	ck_assert_msg(read_file(path, &expected, &len) == 0, "missing golden file %s", path);
	if (strcmp(expected, actual) != 0) {
		char *got = NULL;
		size_t n = strlen(path) + 8;
		got = malloc(n);
		snprintf(got, n, "%s.actual", path);
		write_file_atomic(got, actual, strlen(actual), 0644);
		ck_abort_msg(
		    "%s differs from the rendered output (written to %s; HNBUILD_UPDATE_GOLDEN=1 updates)",
		    path, got);
	}
	free(expected);
	free(path);
}

/* An ISO9660 image of dir with label, via xorriso (Rock Ridge + Joliet). */
static inline void test_make_iso(const char *dir, const char *label, const char *out)
{
	ck_assert_int_eq(
	    test_sh("xorriso -as mkisofs -quiet -V '%s' -J -r -o '%s' '%s' >/dev/null 2>&1", label, out, dir),
	    0);
}
