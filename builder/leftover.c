/* leftover.c — finding and removing what killed builds left behind, by
 * flock: the kernel drops a dead process's locks, so an unlocked lock file
 * (or temporary output) that is not brand new belongs to nobody. */
#include "leftover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

int leftover_lock_dir(const char *dir)
{
	_cleanup_free_ char *path = path_join(dir, LEFTOVER_LOCK);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void leftover_keep_dir(const char *dir, int fd)
{
	_cleanup_free_ char *path = path_join(dir, LEFTOVER_LOCK);
	(void)unlink(path);
	if (fd >= 0)
		close(fd);
}

/* PATH is a regular file of ours, older than LEFTOVER_MIN_AGE, that no
 * process holds locked. */
static bool abandoned(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return false;
	if (time(NULL) - st.st_mtime < LEFTOVER_MIN_AGE)
		return false;
	return flock(fd, LOCK_EX | LOCK_NB) == 0; /* released when fd closes */
}

/* ".NAME.tmp-XXXXXX", as outfile_open names its temporary files */
static bool temporary_output(const char *name)
{
	const char *t = strstr(name, ".tmp-");
	return name[0] == '.' && t && t > name + 1 && strlen(t) == 11 && !strchr(t + 5, '.');
}

/* Remove the entries of DIR that nobody holds: with PREFIX, this user's
 * directories PREFIX* by their lock file; without, temporary outputs by
 * themselves. WHAT names them in the log. */
static int sweep(const char *dir, const char *prefix, const char *what)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int removed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (prefix ? !str_startswith(de->d_name, prefix) : !temporary_output(de->d_name))
			continue;
		_cleanup_free_ char *path = path_join(dir, de->d_name);
		_cleanup_free_ char *lock = prefix ? path_join(path, LEFTOVER_LOCK) : xstrdup(path);
		struct stat st;
		if (lstat(path, &st) < 0 || (prefix && (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())) ||
		    !abandoned(lock))
			continue;
		if (rm_rf(path) == 0) {
			log_info("Removed %s, %s of a build that was killed", path, what);
			removed++;
		} else {
			log_warn("Cannot remove %s, %s of a build that was killed", path, what);
		}
	}
	closedir(d);
	return removed;
}

int leftover_sweep_workdirs(const char *parent, const char *prefix)
{
	return sweep(parent, prefix, "the work directory");
}

int leftover_sweep_outputs(const char *dir)
{
	return sweep(dir, NULL, "a half-written output");
}
