/* log.h — the one log sink: human text or a JSON event stream on stderr,
 * mirrored to a build log file; registered secrets are redacted everywhere. */
#pragma once

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* verbosity: -1 quiet (warnings and errors only), 0 normal, 1+ debug. */
void log_setup(enum log_format format, int verbosity);
enum log_format log_get_format(void);
/* Mirror every message (at every level) to this file, created 0640 or
 * appended to. -errno on failure; -EINVAL when path is not a regular file
 * (a symlink is never followed: -ELOOP). */
int log_open_file(const char *path);
void log_close_file(void);

/* Never print this value: every message containing it is redacted. */
void log_add_secret(const char *secret);
void log_forget_secrets(void);
/* Copy of s with every registered secret replaced by "********". */
char *log_redact(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Structured events. event: "start", "done", "failed", "skipped". */
void log_stage(const char *stage, const char *event, double seconds);
/* A file or directory the build left for the user to look at (kind:
 * "failure bundle"): "KIND: PATH", or a JSON event of type "artifact". */
void log_artifact(const char *kind, const char *path);
/* Progress of long work: done/total in unit ("bytes", "percent", ...);
 * total 0 when unknown. Rate-limited on a terminal, one line per call else. */
void log_progress(const char *stage, uint64_t done, uint64_t total, const char *unit);
/* A line of guest console output (only in the log file and at -v). */
void log_console(const char *stage, const char *line);

/* The problems of a usage error as one message: one line each, redacted,
 * control characters escaped (a value cannot forge a line), at most
 * LOG_PROBLEMS_MAX of them and a count of the rest. Caller frees. */
#define LOG_PROBLEMS_MAX 50u
char *log_problem_lines(char *const *problems);
