/* fetch.c — libcurl downloads to a file or memory, with resume, retries and
 * verified TLS; the only place hnbuild talks HTTP to fetch inputs. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "signals.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"

void fetch_options_init(struct fetch_options *opt)
{
	*opt = (struct fetch_options){
	    .stage = NULL,
	    .ca_file = NULL,
	    .retries = 4,
	    .backoff_ms = 1000,
	    .connect_timeout = 30,
	    .stall_timeout = 60,
	    .allow_http = false,
	};
}

bool fetch_is_url(const char *s)
{
	return s && (strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0);
}

char *fetch_local_path(const char *s)
{
	if (!s || fetch_is_url(s))
		return NULL;
	if (strncasecmp(s, "file://", 7) == 0) {
		const char *p = s + 7;
		/* file://localhost/x and file:///x */
		if (strncasecmp(p, "localhost/", 10) == 0)
			p += 9;
		if (*p != '/')
			return NULL;
		_cleanup_free_ char *raw = xstrdup(p);
		int n = 0;
		char *dec = curl_easy_unescape(NULL, raw, 0, &n);
		if (!dec)
			return NULL;
		char *r = xstrdup(dec);
		curl_free(dec);
		return r;
	}
	if (strstr(s, "://"))
		return NULL;
	return xstrdup(s);
}

char *fetch_display_url(const char *url)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end ? scheme_end + 3 : url;
	sb_add(&sb, url, (size_t)(host - url));
	size_t auth_len = strcspn(host, "/?#");
	const char *at = memrchr(host, '@', auth_len);
	if (at)
		host = at + 1;
	size_t keep = strcspn(host, "?#");
	sb_add(&sb, host, keep);
	if (host[keep])
		sb_adds(&sb, "?…");
	return sb_detach(&sb, NULL);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct transfer {
	FILE *file;	    /* file sink, or NULL */
	struct strbuf *mem; /* memory sink, or NULL */
	size_t max;	    /* memory sink limit */
	uint64_t offset;    /* bytes already on disk when this attempt started */
	bool too_big;
	uint64_t reported; /* last dlnow passed to log_progress */
	const char *stage;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	if (t->mem) {
		if (t->mem->len + n > t->max) {
			t->too_big = true;
			return 0;
		}
		sb_add(t->mem, ptr, n);
		return n;
	}
	return fwrite(ptr, 1, n, t->file);
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)ultotal;
	(void)ulnow;
	struct transfer *t = userdata;
	/* Ctrl-C: stop the transfer; the caller reports the interruption. */
	if (signals_interrupted())
		return 1;
	/* curl calls this often, also when nothing moved: report changes only. */
	if (t->stage && dlnow > 0 && (uint64_t)dlnow != t->reported) {
		t->reported = (uint64_t)dlnow;
		log_progress(t->stage, t->offset + (uint64_t)dlnow,
			     dltotal > 0 ? t->offset + (uint64_t)dltotal : 0, "bytes");
	}
	return 0;
}

static void curl_cleanupp(CURL **c)
{
	if (*c)
		curl_easy_cleanup(*c);
}

/* libcurl's own order: the lowercase name first; http_proxy has no
 * uppercase form (CGI's HTTP_PROXY header). */
static const char *const proxy_vars[][2] = {{"https_proxy", "HTTPS_PROXY"}, {"http_proxy", NULL},
					    {"all_proxy", "ALL_PROXY"}};
static char *host_proxy[ARRAY_SIZE(proxy_vars)];

static bool url_has_password(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *at = strchr(p, '@');
	return at && memchr(p, ':', (size_t)(at - p));
}

void fetch_take_host_proxy(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(proxy_vars); i++) {
		for (size_t k = 0; k < 2 && proxy_vars[i][k]; k++) {
			const char *v = getenv(proxy_vars[i][k]);
			if (!v || !*v || !url_has_password(v))
				continue;
			if (!host_proxy[i])
				host_proxy[i] = xstrdup(v);
			unsetenv(proxy_vars[i][k]);
		}
	}
}

void fetch_apply_host_proxy(void *curl, const char *url)
{
	const char *p = NULL;
	if (!strncasecmp(url, "https://", 8))
		p = host_proxy[0];
	else if (!strncasecmp(url, "http://", 7))
		p = host_proxy[1];
	if (!p)
		p = host_proxy[2];
	if (p)
		curl_easy_setopt((CURL *)curl, CURLOPT_PROXY, p);
}

enum attempt_result { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_RESTART, ATTEMPT_FATAL };

/* One HTTP attempt. Returns ATTEMPT_* and records an error for the last. */
static enum attempt_result attempt(const char *url, const char *shown, const struct fetch_options *opt,
				   struct transfer *t, int *r)
{
	_cleanup_(curl_cleanupp) CURL *c = curl_easy_init();
	if (!c) {
		*r = err_fail(-ENOMEM, "Failed to start a download of %s", shown);
		return ATTEMPT_FATAL;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	fetch_apply_host_proxy(c, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, opt->allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, opt->allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (opt->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, opt->ca_file);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)opt->connect_timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)opt->stall_timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "hnbuild/" HNBUILD_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	if (t->offset > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->offset);

	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (t->file && fflush(t->file) != 0) {
		*r = err_fail_errno(-errno, "Failed to write the download of %s", shown);
		return ATTEMPT_FATAL;
	}
	if (rc == CURLE_OK)
		return ATTEMPT_OK;
	if (rc == CURLE_ABORTED_BY_CALLBACK && signals_interrupted()) {
		*r = err_interrupted("the download");
		return ATTEMPT_FATAL;
	}
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		if (code == 416 && t->offset > 0) {
			/* Nothing left to fetch: the partial file is complete (its digest decides). */
			return ATTEMPT_OK;
		}
		*r = err_fail(-EIO, "Download of %s failed: HTTP %ld", shown, code);
		return (code >= 500 || code == 429 || code == 408) ? ATTEMPT_RETRY : ATTEMPT_FATAL;
	case CURLE_RANGE_ERROR:
		/* The server cannot resume: start over from byte 0. */
		*r = err_fail(-EIO, "Download of %s cannot be resumed: %s", shown, why);
		return t->offset > 0 ? ATTEMPT_RESTART : ATTEMPT_FATAL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		*r = err_verify(-EPERM, "TLS verification failed for %s: %s", shown, why);
		return ATTEMPT_FATAL;
	case CURLE_UNSUPPORTED_PROTOCOL:
		*r = err_usage("Cannot download %s: only https:// URLs are accepted here", shown);
		return ATTEMPT_FATAL;
	case CURLE_WRITE_ERROR:
		if (t->too_big) {
			*r = err_fail(-EFBIG, "Download of %s is larger than %zu bytes", shown, t->max);
			return ATTEMPT_FATAL;
		}
		*r = err_fail(-EIO, "Failed to write the download of %s", shown);
		return ATTEMPT_FATAL;
	case CURLE_URL_MALFORMAT:
		*r = err_usage("Malformed URL %s", shown);
		return ATTEMPT_FATAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*r = err_fail(-EIO, "Download of %s failed: %s", shown, why);
		return ATTEMPT_RETRY;
	default:
		*r = err_fail(-EIO, "Download of %s failed: %s", shown, why);
		return ATTEMPT_FATAL;
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int run_transfer(const char *url, const struct fetch_options *opt, struct transfer *t)
{
	pthread_once(&curl_once, curl_init_once);
	_cleanup_free_ char *shown = fetch_display_url(url);
	if (!fetch_is_url(url))
		return err_usage("Not an http(s) URL: %s", shown);
	if (!opt->allow_http && strncasecmp(url, "https://", 8) != 0)
		return err_usage("Refusing plain http for %s: use https", shown);
	unsigned delay = opt->backoff_ms ? opt->backoff_ms : 1;
	bool restarted = false;
	int r = 0;
	for (unsigned i = 0;;) {
		if (t->file) {
			struct stat st;
			t->offset = fstat(fileno(t->file), &st) == 0 ? (uint64_t)st.st_size : 0;
		}
		if (t->mem)
			sb_reset(t->mem);
		t->reported = 0;
		enum attempt_result a = attempt(url, shown, opt, t, &r);
		if (a == ATTEMPT_OK) {
			err_clear();
			return 0;
		}
		if (a == ATTEMPT_RESTART && !restarted && t->file) {
			restarted = true;
			log_warn("%s; downloading it from the start", err_message());
			if (fflush(t->file) != 0 || ftruncate(fileno(t->file), 0) < 0)
				return err_fail_errno(-errno, "Failed to truncate the partial download of %s",
						      shown);
			continue;
		}
		if (a != ATTEMPT_RETRY || i >= opt->retries)
			return r;
		i++;
		log_warn("%s; retrying in %.1f s (%u of %u)", err_message(), delay / 1000.0, i, opt->retries);
		sleep_ms(delay);
		delay = delay > UINT32_MAX / 2 ? delay : delay * 2;
	}
}

int fetch_url(const char *url, const char *path, const struct fetch_options *opt)
{
	struct fetch_options defaults;
	if (!opt) {
		fetch_options_init(&defaults);
		opt = &defaults;
	}
	_cleanup_fclose_ FILE *f = fopen(path, "abe");
	if (!f)
		return err_fail_errno(-errno, "Failed to open %s", path);
	struct transfer t = {.file = f, .stage = opt->stage};
	int r = run_transfer(url, opt, &t);
	if (r < 0)
		return r;
	if (fclose(TAKE_PTR(f)) != 0)
		return err_fail_errno(-errno, "Failed to write %s", path);
	return 0;
}

int fetch_to_memory(const char *url, const struct fetch_options *opt, size_t max, char **data, size_t *len)
{
	struct fetch_options defaults;
	if (!opt) {
		fetch_options_init(&defaults);
		opt = &defaults;
	}
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	struct transfer t = {.mem = &sb, .max = max, .stage = opt->stage};
	int r = run_transfer(url, opt, &t);
	if (r < 0)
		return r;
	*data = sb_detach(&sb, len);
	return 0;
}
