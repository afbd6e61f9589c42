/* signals.c — the interrupt flag behind signals.h. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool signals_interrupted(void) { return interrupted != 0; }

void signals_set_interrupted(bool on) { interrupted = on ? 1 : 0; }

int signals_flock(int fd, int op)
{
	for (;;) {
		if (flock(fd, op) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		if (signals_interrupted())
			return -EINTR;
	}
}
