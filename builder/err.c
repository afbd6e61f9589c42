/* err.c — the per-thread last-error slot behind err.h. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static __thread char *last_message;
static __thread int last_exit = EXIT_BUILD_FAILED;

static void err_store(int exit_code, int errnum, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_vaddf(&sb, fmt, ap);
	if (errnum)
		sb_addf(&sb, ": %s", strerror(errnum));
	free(last_message);
	last_message = sb_detach(&sb, NULL);
	last_exit = exit_code;
}

int err_fail(int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(EXIT_BUILD_FAILED, 0, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

int err_fail_errno(int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(EXIT_BUILD_FAILED, r < 0 ? -r : r, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

int err_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(EXIT_USAGE, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int err_verify(int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_store(EXIT_VERIFY, 0, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EBADMSG;
}

int err_interrupted(const char *fmt, ...)
{
	struct strbuf what = STRBUF_INIT;
	sb_init(&what);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&what, fmt, ap);
	va_end(ap);
	free(last_message);
	last_message = NULL;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "interrupted during %s", what.buf);
	sb_release(&what);
	last_message = sb_detach(&sb, NULL);
	last_exit = EXIT_INTERRUPTED;
	return -EINTR;
}

const char *err_message(void) { return last_message; }

int err_exit_code(void) { return last_exit; }

void err_clear(void)
{
	free(last_message);
	last_message = NULL;
	last_exit = EXIT_BUILD_FAILED;
}

void err_save(struct err_saved *saved)
{
	saved->message = last_message;
	saved->exit_code = last_exit;
	last_message = NULL;
	last_exit = EXIT_BUILD_FAILED;
}

void err_restore(struct err_saved *saved, const char *fallback)
{
	free(last_message);
	if (saved->message) {
		last_message = saved->message;
		last_exit = saved->exit_code;
	} else {
		last_message = strdup(fallback);
		last_exit = EXIT_BUILD_FAILED;
	}
	saved->message = NULL;
}

void err_append(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_adds(&sb, last_message ? last_message : "");
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(last_message);
	last_message = sb_detach(&sb, NULL);
}
