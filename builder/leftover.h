/* leftover.h — what a build ended by SIGKILL, a crash or the OOM killer
 * leaves behind (its work directory, half-written outputs), found and
 * removed by the next build. A live build holds an flock on a lock file in
 * its work directory and on every temporary output; what nobody holds is
 * left over. */
#pragma once

/* The lock file a live build keeps locked in its work directory. */
#define LEFTOVER_LOCK ".hnbuild.lock"
/* Nothing younger than this (seconds) is touched: it may be in the making. */
#define LEFTOVER_MIN_AGE 10

/* Create and lock DIR/LEFTOVER_LOCK; returns the descriptor (close-on-exec,
 * so no child inherits the lock) or a negative errno. */
int leftover_lock_dir(const char *dir);
/* A work directory that is kept on purpose (--on-error keep|abort): drop
 * its lock file so that no later sweep removes it, and close FD. */
void leftover_keep_dir(const char *dir, int fd);
/* Remove the directories PARENT/PREFIX* of this user that hold an unlocked
 * lock file; returns how many were removed. */
int leftover_sweep_workdirs(const char *parent, const char *prefix);
/* Remove this user's unlocked temporary outputs (".NAME.tmp-XXXXXX") in
 * DIR; returns how many were removed. */
int leftover_sweep_outputs(const char *dir);
