/* log.c — text or JSON log lines on stderr and the build log file, with
 * secret redaction applied before anything is written. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

static enum log_format log_format = LOG_FORMAT_TEXT;
static int log_verbosity;
static FILE *log_file;
static char **secrets;
static size_t n_secrets;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_line_open;

void log_setup(enum log_format format, int verbosity)
{
	log_format = format;
	log_verbosity = verbosity;
}

enum log_format log_get_format(void) { return log_format; }

int log_open_file(const char *path)
{
	/* A build log is a regular file we create (O_EXCL, 0640) or one of our
	 * own we append to: never through a planted symlink, never a FIFO
	 * (O_NONBLOCK: no hang) or a device, never a file that is someone
	 * else's or has a second name (a planted hard link). */
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	bool created = true;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0640);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(path, flags);
	}
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (!created && (st.st_uid != geteuid() || st.st_nlink != 1)) || fcntl(fd, F_SETFL, O_APPEND) < 0) {
		close(fd);
		return -EINVAL;
	}
	FILE *f = fdopen(fd, "ae");
	if (!f) {
		int e = -errno;
		close(fd);
		return e;
	}
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void log_close_file(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

void log_add_secret(const char *secret)
{
	/* Redacting one- to three-letter strings would shred every message;
	 * spec validation refuses secrets that short. */
	if (!secret || strlen(secret) < 4)
		return;
	pthread_mutex_lock(&log_lock);
	char **ns = realloc(secrets, (n_secrets + 1) * sizeof(*ns));
	if (!ns)
		abort();
	secrets = ns;
	secrets[n_secrets++] = strdup(secret);
	pthread_mutex_unlock(&log_lock);
}

void log_forget_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	n_secrets = 0;
	pthread_mutex_unlock(&log_lock);
}

static char *redact_locked(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	while (*s) {
		size_t hit = 0;
		for (size_t i = 0; i < n_secrets && !hit; i++) {
			size_t n = strlen(secrets[i]);
			if (n && strncmp(s, secrets[i], n) == 0)
				hit = n;
		}
		if (hit) {
			sb_adds(&sb, "********");
			s += hit;
		} else {
			sb_addc(&sb, *s++);
		}
	}
	return sb_detach(&sb, NULL);
}

char *log_redact(const char *s)
{
	pthread_mutex_lock(&log_lock);
	char *r = redact_locked(s);
	pthread_mutex_unlock(&log_lock);
	return r;
}

static void json_string(struct strbuf *sb, const char *s)
{
	sb_add_json_str(sb, s ? s : "");
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_WARN: return "warning";
	default: return "error";
	}
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write one finished line (already redacted) to stderr and/or the file. */
static void emit_locked(int to_stderr, const char *text_line, const char *json_line)
{
	if (to_stderr) {
		if (progress_line_open) {
			fputc('\n', stderr);
			progress_line_open = 0;
		}
		fputs(log_format == LOG_FORMAT_JSON ? json_line : text_line, stderr);
		fputc('\n', stderr);
		fflush(stderr);
	}
	if (log_file) {
		fputs(log_format == LOG_FORMAT_JSON ? json_line : text_line, log_file);
		fputc('\n', log_file);
		fflush(log_file);
	}
}

static int level_visible(enum log_level level)
{
	if (level >= LOG_WARN)
		return 1;
	if (level == LOG_INFO)
		return log_verbosity >= 0;
	return log_verbosity >= 1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, text = STRBUF_INIT, json = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_init(&raw);
	sb_vaddf(&raw, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	char *msg = redact_locked(sb_str(&raw));
	sb_init(&text);
	if (level == LOG_WARN)
		sb_adds(&text, "warning: ");
	else if (level == LOG_ERROR)
		sb_adds(&text, "error: ");
	sb_add_printable(&text, msg, true); /* no control character reaches a terminal */
	sb_init(&json);
	sb_addf(&json, "{\"time\":%.3f,\"type\":\"log\",\"level\":\"%s\",\"message\":", now_seconds(),
		level_name(level));
	json_string(&json, msg);
	sb_addc(&json, '}');
	emit_locked(level_visible(level), sb_str(&text), sb_str(&json));
	pthread_mutex_unlock(&log_lock);
	free(msg);
	sb_release(&raw);
	sb_release(&text);
	sb_release(&json);
}

void log_stage(const char *stage, const char *event, double seconds)
{
	struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;
	sb_init(&text);
	sb_init(&json);
	if (seconds > 0)
		sb_addf(&text, "==> %s: %s (%.1f s)", stage, event, seconds);
	else
		sb_addf(&text, "==> %s: %s", stage, event);
	sb_addf(&json, "{\"time\":%.3f,\"type\":\"stage\",\"stage\":", now_seconds());
	json_string(&json, stage);
	sb_adds(&json, ",\"event\":");
	json_string(&json, event);
	sb_addf(&json, ",\"seconds\":%.3f}", seconds);
	pthread_mutex_lock(&log_lock);
	emit_locked(log_verbosity >= 0 || strcmp(event, "failed") == 0, sb_str(&text), sb_str(&json));
	pthread_mutex_unlock(&log_lock);
	sb_release(&text);
	sb_release(&json);
}

void log_artifact(const char *kind, const char *path)
{
	struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;
	sb_init(&text);
	sb_init(&json);
	sb_addf(&text, "%s: %s", kind, path);
	sb_addf(&json, "{\"time\":%.3f,\"type\":\"artifact\",\"kind\":", now_seconds());
	json_string(&json, kind);
	sb_adds(&json, ",\"path\":");
	json_string(&json, path);
	sb_adds(&json, "}");
	pthread_mutex_lock(&log_lock);
	emit_locked(true, sb_str(&text), sb_str(&json));
	pthread_mutex_unlock(&log_lock);
	sb_release(&text);
	sb_release(&json);
}

void log_progress(const char *stage, uint64_t done, uint64_t total, const char *unit)
{
	static double last_emit;
	double now = now_seconds();
	int tty = isatty(STDERR_FILENO);
	int final = total && done >= total;

	pthread_mutex_lock(&log_lock);
	if (log_verbosity < 0) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	/* Terminals redraw at most 10 times a second; logs get one line per 5 s. */
	double gap = (tty && log_format == LOG_FORMAT_TEXT) ? 0.1 : 5.0;
	if (!final && now - last_emit < gap) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	last_emit = now;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	if (log_format == LOG_FORMAT_JSON) {
		sb_addf(&sb, "{\"time\":%.3f,\"type\":\"progress\",\"stage\":", now);
		json_string(&sb, stage);
		sb_addf(&sb, ",\"done\":%llu,\"total\":%llu,\"unit\":", (unsigned long long)done,
			(unsigned long long)total);
		json_string(&sb, unit);
		sb_addc(&sb, '}');
		fprintf(stderr, "%s\n", sb_str(&sb));
	} else {
		if (total)
			sb_addf(&sb, "    %s: %llu/%llu %s (%.0f%%)", stage, (unsigned long long)done,
				(unsigned long long)total, unit, 100.0 * (double)done / (double)total);
		else
			sb_addf(&sb, "    %s: %llu %s", stage, (unsigned long long)done, unit);
		if (tty) {
			fprintf(stderr, "\r\033[K%s", sb_str(&sb));
			progress_line_open = !final;
			if (final)
				fputc('\n', stderr);
		} else {
			fprintf(stderr, "%s\n", sb_str(&sb));
		}
	}
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	sb_release(&sb);
}

void log_console(const char *stage, const char *line)
{
	struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;
	pthread_mutex_lock(&log_lock);
	char *clean = redact_locked(line);
	sb_init(&text);
	sb_init(&json);
	sb_addf(&text, "[%s console] %s", stage, clean);
	sb_addf(&json, "{\"time\":%.3f,\"type\":\"console\",\"stage\":", now_seconds());
	json_string(&json, stage);
	sb_adds(&json, ",\"line\":");
	json_string(&json, clean);
	sb_addc(&json, '}');
	emit_locked(log_verbosity >= 1, sb_str(&text), sb_str(&json));
	pthread_mutex_unlock(&log_lock);
	free(clean);
	sb_release(&text);
	sb_release(&json);
}

char *log_problem_lines(char *const *problems)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	size_t n = 0;
	for (; problems && problems[n]; n++) {
		if (n >= LOG_PROBLEMS_MAX)
			continue;
		char *red = log_redact(problems[n]);
		if (n)
			sb_addc(&sb, '\n');
		sb_add_printable(&sb, red, false);
		free(red);
	}
	if (n > LOG_PROBLEMS_MAX)
		sb_addf(&sb, "\n... and %zu more problems (the first %u are shown)", n - LOG_PROBLEMS_MAX,
			LOG_PROBLEMS_MAX);
	return sb_detach(&sb, NULL);
}
