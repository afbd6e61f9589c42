/* runcmd.c — posix_spawn a tool with an argv array and report its failure
 * in one line. */
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "signals.h"
#include "strbuf.h"

extern char **environ;

/* A SIGTERM sent to hnbuild alone (kill PID, a CI job's limit) does not
 * reach the tool: pass it on once, so a long qemu-img ends with the build. */
static void pass_on_interrupt(pid_t pid, bool *passed)
{
	if (signals_interrupted() && !*passed) {
		kill(pid, SIGTERM);
		*passed = true;
	}
}

int runcmd(char *const argv[])
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_fail_errno(-errno, "Failed to run %s", argv[0]);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	pid_t pid;
	log_debug("Running %s", argv[0]);
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return err_fail_errno(-r, "Failed to run %s", argv[0]);
	}
	struct strbuf err = STRBUF_INIT;
	sb_init(&err);
	char buf[4096];
	bool passed = false;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			pass_on_interrupt(pid, &passed);
			continue;
		}
		if (n <= 0)
			break;
		if (err.len < 65536)
			sb_add(&err, buf, (size_t)n);
	}
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		pass_on_interrupt(pid, &passed);
	if (signals_interrupted()) {
		sb_release(&err);
		return err_interrupted("%s", argv[0]);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		sb_release(&err);
		return 0;
	}
	while (err.len && (err.buf[err.len - 1] == '\n' || err.buf[err.len - 1] == ' '))
		err.buf[--err.len] = '\0';
	const char *last = strrchr(err.buf, '\n');
	last = last ? last + 1 : err.buf;
	if (WIFEXITED(st))
		r = err_fail(-EIO, "%s failed (exit %d): %s", argv[0], WEXITSTATUS(st), *last ? last : "no message");
	else
		r = err_fail(-EIO, "%s was killed by signal %d", argv[0], WTERMSIG(st));
	sb_release(&err);
	return r;
}
