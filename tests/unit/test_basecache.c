/* test_basecache.c — the installed-base cache: every key input changes the
 * key; an install is published only by commit (a killed install leaves no
 * entry that looks complete); a second build of the same key waits for the
 * first and then reuses its base; prune removes what it says, never a base
 * a build holds; the cache is private (0700/0600). */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basecache.h"
#include "cleanup.h"
#include "err.h"
#include "installdata_test.h"
#include "log.h"
#include "unit_run.h"

static const char *const ISO = "5c1f1e2a0d8b6c7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a";

static struct basecache_key_params params(const struct basecache_file *files)
{
	return (struct basecache_key_params){
		.os = "ubuntu24", .arch = "amd64", .firmware = "uefi", .disk_size = 4ull << 30, .iso_sha256 = ISO,
		.cmdline = "autoinstall ds=nocloud console=ttyS0", .files = files, .n_files = 2,
	};
}

static void key_of(const struct basecache_key_params *p, char hex[65])
{
	struct basecache_key k;
	ck_assert_int_eq(basecache_key_make(p, &k), 0);
	memcpy(hex, k.hex, 65);
	basecache_key_free(&k);
}

START_TEST(every_input_changes_the_key)
{
	struct basecache_file files[2] = {{"user-data", "#cloud-config\nautoinstall: {}\n", 29}, {"meta-data", "x", 1}};
	struct basecache_key_params p = params(files);
	char base[65], again[65], other[65];
	key_of(&p, base);
	key_of(&p, again);
	ck_assert_str_eq(base, again);
	ck_assert_uint_eq(strspn(base, "0123456789abcdef"), 64);

	struct basecache_key_params q;
#define DIFFERS(change)                                                                                        \
	do {                                                                                                   \
		q = p;                                                                                         \
		change;                                                                                        \
		key_of(&q, other);                                                                             \
		ck_assert_msg(strcmp(base, other), "the key ignores: %s", #change);                           \
	} while (0)
	DIFFERS(q.os = "ubuntu22");
	DIFFERS(q.arch = "arm64");
	DIFFERS(q.firmware = "bios");
	DIFFERS(q.disk_size = 5ull << 30);
	DIFFERS(q.iso_sha256 = "0c1f1e2a0d8b6c7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a");
	DIFFERS(q.cmdline = "autoinstall ds=nocloud console=ttyAMA0");
	struct basecache_file changed[2] = {{"user-data", "#cloud-config\nautoinstall: {} \n", 30}, files[1]};
	DIFFERS(q.files = changed);
	struct basecache_file renamed[2] = {{"ks.cfg", files[0].data, files[0].len}, files[1]};
	DIFFERS(q.files = renamed);
	DIFFERS(q.n_files = 1);
#undef DIFFERS
	/* The inputs are recorded, never the install data themselves. */
	struct basecache_key k;
	ck_assert_int_eq(basecache_key_make(&p, &k), 0);
	ck_assert_ptr_nonnull(strstr(k.inputs.buf, "input iso-sha256 5c1f"));
	ck_assert_ptr_null(strstr(k.inputs.buf, "autoinstall:"));
	basecache_key_free(&k);
	q = p;
	q.iso_sha256 = "abc";
	ck_assert_int_lt(basecache_key_make(&q, &k), 0);
}
END_TEST

static void done_with(char *cache, struct basecache_key *k)
{
	basecache_key_free(k);
	test_sh("rm -rf '%s'", cache);
	free(cache);
}

static struct basecache_key test_key(const char *tag)
{
	struct basecache_file files[2] = {{"user-data", tag, strlen(tag)}, {"meta-data", "x", 1}};
	struct basecache_key_params p = params(files);
	struct basecache_key k;
	ck_assert_int_eq(basecache_key_make(&p, &k), 0);
	return k;
}

static void fake_install(const char *disk, size_t bytes)
{
	int fd = open(disk, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	char buf[4096];
	memset(buf, 'b', sizeof(buf));
	for (size_t i = 0; i < bytes; i += sizeof(buf))
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
	close(fd);
}

static unsigned mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(install_commit_hit_private)
{
	char *cache = test_tmpdir();
	struct basecache_key k = test_key("one");
	struct basecache_entry e;
	ck_assert_int_eq(basecache_acquire(cache, &k, &e), 0);
	ck_assert(!e.hit);
	ck_assert_ptr_nonnull(e.tmp);
	ck_assert(!basecache_has(cache, k.hex));
	fake_install(e.disk, 8192);
	ck_assert_int_eq(basecache_commit(&e, &k, "ubuntu24", "amd64"), 0);
	ck_assert(e.hit);
	ck_assert(basecache_has(cache, k.hex));
	_cleanup_free_ char *bases = basecache_dir(cache);
	ck_assert_uint_eq(mode_of(bases), 0700);
	ck_assert_uint_eq(mode_of(e.disk), 0600);
	_cleanup_free_ char *info = path_join(e.dir, "info");
	ck_assert_uint_eq(mode_of(info), 0600);
	basecache_release(&e);

	struct basecache_entry again;
	ck_assert_int_eq(basecache_acquire(cache, &k, &again), 0);
	ck_assert(again.hit);
	ck_assert_ptr_null(again.tmp);
	ck_assert_ptr_nonnull(strstr(again.disk, k.hex));

	/* list shows it, in use while held */
	struct basecache_item *items;
	size_t n;
	ck_assert_int_eq(basecache_list(cache, &items, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(items[0].key, k.hex);
	ck_assert_str_eq(items[0].os, "ubuntu24");
	ck_assert(items[0].in_use);
	ck_assert_ptr_nonnull(strstr(items[0].inputs, "disk-size=4294967296"));
	basecache_items_free(items, n);
	/* prune leaves a base in use */
	unsigned removed;
	uint64_t freed;
	ck_assert_int_eq(basecache_prune(cache, 0, 0, &removed, &freed), 0);
	ck_assert_uint_eq(removed, 0);
	ck_assert(basecache_has(cache, k.hex));
	basecache_release(&again);
	ck_assert_int_eq(basecache_prune(cache, 0, 0, &removed, &freed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_uint_ge(freed, 8192);
	ck_assert(!basecache_has(cache, k.hex));
	done_with(cache, &k);
}
END_TEST

START_TEST(killed_install_leaves_nothing_complete)
{
	char *cache = test_tmpdir();
	struct basecache_key k = test_key("killed");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct basecache_entry e;
		if (basecache_acquire(cache, &k, &e) < 0 || e.hit)
			_exit(1);
		fake_install(e.disk, 4096);
		raise(SIGKILL); /* mid-install: no commit, no release */
		_exit(2);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert(!basecache_has(cache, k.hex));
	_cleanup_free_ char *bases = basecache_dir(cache);
	ck_assert_int_eq(test_sh("ls '%s' | grep -q '\\.tmp-'", bases), 0);
	/* the next install of the key sweeps the dead one's directory */
	struct basecache_entry e;
	ck_assert_int_eq(basecache_acquire(cache, &k, &e), 0);
	ck_assert(!e.hit);
	ck_assert_int_eq(test_sh("test $(ls '%s' | grep -c '\\.tmp-') = 1", bases), 0);
	basecache_release(&e);
	ck_assert_int_eq(test_sh("ls '%s' | grep -q '\\.tmp-'", bases), 1);
	done_with(cache, &k);
}
END_TEST

/* Two builds, one key: the second waits for the first's install and uses
 * its base instead of installing again. */
START_TEST(concurrent_same_key_installs_once)
{
	char *cache = test_tmpdir();
	struct basecache_key k = test_key("concurrent");
	struct basecache_entry first;
	ck_assert_int_eq(basecache_acquire(cache, &k, &first), 0);
	ck_assert(!first.hit);
	int res[2];
	ck_assert_int_eq(pipe(res), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(res[0]);
		/* a build of its own: not the parent's lock description */
		close(first.lock_fd);
		struct basecache_entry second;
		int r = basecache_acquire(cache, &k, &second);
		char c = r < 0 ? 'E' : second.hit ? 'H' : 'I';
		(void)!write(res[1], &c, 1);
		_exit(0);
	}
	close(res[1]);
	/* the second build is waiting: nothing to read yet */
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	ck_assert_int_eq(fcntl(res[0], F_SETFL, O_NONBLOCK), 0);
	char c = 0;
	ck_assert_int_eq(read(res[0], &c, 1), -1);
	fake_install(first.disk, 4096);
	ck_assert_int_eq(basecache_commit(&first, &k, "rhel9", "arm64"), 0);
	ck_assert_int_eq(fcntl(res[0], F_SETFL, 0), 0);
	ck_assert_int_eq(read(res[0], &c, 1), 1);
	ck_assert_msg(c == 'H', "the waiting build did not reuse the base (%c)", c);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	basecache_release(&first);
	close(res[0]);
	done_with(cache, &k);
}
END_TEST

START_TEST(prune_by_age_and_size)
{
	char *cache = test_tmpdir();
	const char *tags[3] = {"old", "middle", "new"};
	char keys[3][65];
	for (int i = 0; i < 3; i++) {
		struct basecache_key k = test_key(tags[i]);
		struct basecache_entry e;
		ck_assert_int_eq(basecache_acquire(cache, &k, &e), 0);
		fake_install(e.disk, 1 << 20);
		ck_assert_int_eq(basecache_commit(&e, &k, "ubuntu24", "amd64"), 0);
		/* last use: old 10 days ago, middle 2 days, new now */
		_cleanup_free_ char *lu = path_join(e.dir, "last-use");
		time_t t = time(NULL) - (i == 0 ? 10 * 86400 : i == 1 ? 2 * 86400 : 0);
		struct timespec tv[2] = {{.tv_sec = t}, {.tv_sec = t}};
		ck_assert_int_eq(utimensat(AT_FDCWD, lu, tv, 0), 0);
		memcpy(keys[i], k.hex, 65);
		basecache_release(&e);
		basecache_key_free(&k);
	}
	unsigned removed;
	uint64_t freed;
	ck_assert_int_eq(basecache_prune(cache, 7 * 86400, 0, &removed, &freed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!basecache_has(cache, keys[0]));
	ck_assert(basecache_has(cache, keys[1]) && basecache_has(cache, keys[2]));
	/* 1.5 MiB allowed: the least recently used of the two goes */
	ck_assert_int_eq(basecache_prune(cache, 0, 3 << 19, &removed, &freed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!basecache_has(cache, keys[1]));
	ck_assert(basecache_has(cache, keys[2]));
	test_sh("rm -rf '%s'", cache);
	free(cache);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("basecache");
	TCase *tc = tcase_create("basecache");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, every_input_changes_the_key);
	tcase_add_test(tc, install_commit_hit_private);
	tcase_add_test(tc, killed_install_leaves_nothing_complete);
	tcase_add_test(tc, concurrent_same_key_installs_once);
	tcase_add_test(tc, prune_by_age_and_size);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
