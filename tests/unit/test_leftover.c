/* test_leftover.c — what killed builds leave behind: work directories and
 * temporary outputs that nobody holds locked (a child process holds the
 * "live" ones, then is killed with SIGKILL) are removed; live, brand-new,
 * kept and foreign-looking ones stay. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "installdata_test.h"
#include "leftover.h"
#include "log.h"
#include "unit_run.h"

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void touch(const char *path, time_t age)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct timespec t[2] = {{.tv_sec = time(NULL) - age}, {.tv_sec = time(NULL) - age}};
	ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* A process that holds an flock on PATH until it is killed. */
static pid_t hold_lock(const char *path)
{
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		for (;;)
			pause();
	}
	char c;
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void kill_hard(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* a work directory NAME under PARENT holding a disk and, unless NO_LOCK,
 * a lock file AGE seconds old */
static char *workdir(const char *parent, const char *name, time_t age, bool no_lock)
{
	char *dir = test_path(parent, name);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char *disk = test_path(dir, "disk.qcow2");
	touch(disk, age);
	free(disk);
	if (!no_lock) {
		char *lock = test_path(dir, LEFTOVER_LOCK);
		touch(lock, age);
		free(lock);
	}
	return dir;
}

START_TEST(work_directories)
{
	char *parent = test_tmpdir();
	char *dead = workdir(parent, "hnbuild-ubuntu24-amd64-aa-111111", 60, false);
	char *live = workdir(parent, "hnbuild-rhel9-amd64-bb-222222", 60, false);
	char *killed = workdir(parent, "hnbuild-rhel9-arm64-cc-333333", 60, false);
	char *fresh = workdir(parent, "hnbuild-ubuntu22-amd64-dd-444444", 0, false);
	char *kept = workdir(parent, "hnbuild-ubuntu20-amd64-ee-555555", 60, true);
	char *other = workdir(parent, "other-ff-666666", 60, false);
	char *live_lock = test_path(live, LEFTOVER_LOCK), *killed_lock = test_path(killed, LEFTOVER_LOCK);
	pid_t a = hold_lock(live_lock), b = hold_lock(killed_lock);
	kill_hard(b); /* the kernel drops its lock: a build killed with SIGKILL */

	ck_assert_int_eq(leftover_sweep_workdirs(parent, "hnbuild-"), 2);
	ck_assert(!exists(dead));
	ck_assert(!exists(killed));
	ck_assert(exists(live_lock));
	ck_assert(exists(fresh));
	ck_assert(exists(kept));
	ck_assert(exists(other));
	kill_hard(a);
	ck_assert_int_eq(leftover_sweep_workdirs(parent, "hnbuild-"), 1);
	ck_assert(!exists(live));
	ck_assert_int_eq(leftover_sweep_workdirs(parent, "hnbuild-"), 0);
	ck_assert_int_eq(leftover_sweep_workdirs("/nonexistent", "hnbuild-"), 0);
	test_sh("rm -rf '%s'", parent);
	free(parent), free(dead), free(live), free(killed), free(fresh), free(kept), free(other);
	free(live_lock), free(killed_lock);
}
END_TEST

START_TEST(own_lock_and_keep)
{
	char *parent = test_tmpdir();
	char *dir = workdir(parent, "hnbuild-x-amd64-aa-777777", 60, true);
	int fd = leftover_lock_dir(dir);
	ck_assert_int_ge(fd, 0);
	char *lock = test_path(dir, LEFTOVER_LOCK);
	struct timespec t[2] = {{.tv_sec = time(NULL) - 60}, {.tv_sec = time(NULL) - 60}};
	ck_assert_int_eq(utimensat(AT_FDCWD, lock, t, 0), 0);
	/* a second lock on the same directory fails while the first is held */
	ck_assert_int_lt(leftover_lock_dir(dir), 0);
	ck_assert_int_eq(leftover_sweep_workdirs(parent, "hnbuild-"), 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	/* kept on purpose: no lock file, never swept */
	leftover_keep_dir(dir, fd);
	ck_assert(!exists(lock));
	ck_assert_int_eq(leftover_sweep_workdirs(parent, "hnbuild-"), 0);
	ck_assert(exists(dir));
	test_sh("rm -rf '%s'", parent);
	free(parent), free(dir), free(lock);
}
END_TEST

START_TEST(temporary_outputs)
{
	char *dir = test_tmpdir();
	const char *names[] = {
	    ".eks-hybrid-rhel9-amd64.qcow2.tmp-AbC123", /* dead: removed */
	    ".SHA256SUMS.tmp-x1y2z3",			/* dead: removed */
	    ".eks-hybrid-rhel9-amd64.ova.tmp-LiVe01",	/* held by a live writer */
	    ".eks-hybrid-rhel9-amd64.raw.tmp-n3wn3w",	/* too young */
	    "eks-hybrid-rhel9-amd64.qcow2",		/* a finished output */
	    ".notes.tmp-short",				/* not our pattern */
	    "x.tmp-AbC123",				/* not hidden: not ours */
	};
	time_t ages[] = {60, 60, 60, 0, 60, 60, 60};
	char *paths[7];
	for (int i = 0; i < 7; i++) {
		paths[i] = test_path(dir, names[i]);
		touch(paths[i], ages[i]);
	}
	pid_t w = hold_lock(paths[2]);
	ck_assert_int_eq(leftover_sweep_outputs(dir), 2);
	for (int i = 0; i < 7; i++)
		ck_assert_msg(exists(paths[i]) == (i >= 2), "%s", names[i]);
	kill_hard(w);
	ck_assert_int_eq(leftover_sweep_outputs(dir), 1);
	ck_assert(!exists(paths[2]));
	test_sh("rm -rf '%s'", dir);
	for (int i = 0; i < 7; i++)
		free(paths[i]);
	free(dir);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("leftover");
	TCase *tc = tcase_create("leftover");
	tcase_add_test(tc, work_directories);
	tcase_add_test(tc, own_lock_and_keep);
	tcase_add_test(tc, temporary_outputs);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
