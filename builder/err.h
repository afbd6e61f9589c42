/* err.h — library code records what went wrong (with context) here and
 * returns a negative errno; only main prints it and picks the exit code. */
#pragma once

/* Exit codes, documented in --help and README. */
enum {
	EXIT_OK = 0,
	EXIT_BUILD_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_VERIFY = 3,
	EXIT_INTERRUPTED = 130,
};

/* Record a build failure (exit 1). Returns r, which must be negative. */
int err_fail(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with ": <strerror(-r)>" appended. */
int err_fail_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record a usage/configuration error (exit 2). Returns -EINVAL. */
int err_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record an input verification failure (exit 3). Returns r. */
int err_verify(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record an interruption (exit 130). Returns -EINTR. */
int err_interrupted(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last recorded message, or NULL; and its exit code (1 if none recorded). */
const char *err_message(void);
int err_exit_code(void);
void err_clear(void);
/* Add text to the end of the recorded message; its exit code stays. */
void err_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keep the recorded error across clean-up work that may record its own:
 * err_save() takes it out (the slot is cleared), err_restore() puts it back
 * exactly (message and exit code), replacing whatever the clean-up left.
 * With no error saved, err_restore() records `fallback` as a failure. */
struct err_saved {
	char *message;
	int exit_code;
};
void err_save(struct err_saved *saved);
void err_restore(struct err_saved *saved, const char *fallback);
