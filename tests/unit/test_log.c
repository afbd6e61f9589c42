/* test_log.c — the build log file: created 0640, appended to, never opened
 * through a planted symlink or as a FIFO (issue 20.9), and redacted. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "unit_run.h"

static char dir[] = "/tmp/hnbuild-test-log-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }
static void teardown(void)
{
	log_close_file();
	rm_rf(dir);
	strcpy(dir, "/tmp/hnbuild-test-log-XXXXXX");
}

START_TEST(new_log_is_0640_and_appends)
{
	char *p = path_join(dir, "b.build.log");
	umask(0);
	ck_assert_int_eq(log_open_file(p), 0);
	log_info("first line");
	log_close_file();
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(log_open_file(p), 0);
	log_info("second line");
	log_close_file();
	char *text = NULL;
	size_t n;
	ck_assert_int_eq(read_file(p, &text, &n), 0);
	ck_assert_ptr_nonnull(strstr(text, "first line"));
	ck_assert_ptr_nonnull(strstr(text, "second line"));
	free(text);
	free(p);
}
END_TEST

/* Issue 20.9: a hard link planted under the log's name is not appended to. */
START_TEST(planted_hard_link_is_refused)
{
	char *target = path_join(dir, "other"), *p = path_join(dir, "h.build.log");
	ck_assert_int_eq(write_file_atomic(target, "untouched\n", 10, 0644), 0);
	ck_assert_int_eq(link(target, p), 0);
	ck_assert_int_eq(log_open_file(p), -EINVAL);
	log_info("must not land in the other file");
	char *text = NULL;
	size_t n;
	ck_assert_int_eq(read_file(target, &text, &n), 0);
	ck_assert_str_eq(text, "untouched\n");
	free(text);
	free(target);
	free(p);
}
END_TEST

START_TEST(planted_symlink_is_not_followed)
{
	char *target = path_join(dir, "elsewhere"), *p = path_join(dir, "b.build.log");
	ck_assert_int_eq(write_file_atomic(target, "untouched\n", 10, 0644), 0);
	ck_assert_int_eq(symlink(target, p), 0);
	ck_assert_int_eq(log_open_file(p), -ELOOP);
	log_info("must not land in the target");
	char *text = NULL;
	size_t n;
	ck_assert_int_eq(read_file(target, &text, &n), 0);
	ck_assert_str_eq(text, "untouched\n");
	free(text);
	/* a dangling one is not created through either */
	char *dangling = path_join(dir, "d.build.log"), *nowhere = path_join(dir, "nowhere");
	ck_assert_int_eq(symlink(nowhere, dangling), 0);
	ck_assert_int_eq(log_open_file(dangling), -ELOOP);
	ck_assert_int_eq(access(nowhere, F_OK), -1);
	free(dangling);
	free(nowhere);
	free(target);
	free(p);
}
END_TEST

START_TEST(fifo_is_refused_without_hanging)
{
	char *p = path_join(dir, "f.build.log");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	alarm(10); /* the old fopen() blocked here for good */
	ck_assert_int_eq(log_open_file(p), -ENXIO); /* no reader */
	int rd = open(p, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	ck_assert_int_eq(log_open_file(p), -EINVAL); /* a reader: still not a regular file */
	alarm(0);
	close(rd);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, new_log_is_0640_and_appends);
	tcase_add_test(tc, planted_symlink_is_not_followed);
	tcase_add_test(tc, planted_hard_link_is_refused);
	tcase_add_test(tc, fifo_is_refused_without_hanging);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
