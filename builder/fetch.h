/* fetch.h — downloads with libcurl: resume with Range, retries with backoff,
 * TLS always verified, progress through log_progress. file:// URLs and plain
 * paths are local and never go through here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct fetch_options {
	const char *stage;	  /* log_progress stage name; NULL: no progress */
	const char *ca_file;	  /* extra trusted CA bundle (PEM); NULL: the system's */
	unsigned retries;	  /* attempts after the first on transient failures */
	unsigned backoff_ms;	  /* delay before the first retry; doubles each time */
	unsigned connect_timeout; /* seconds */
	unsigned stall_timeout;	  /* seconds without a byte before the attempt is abandoned */
	bool allow_http;	  /* accept plain http:// (only when the content is digest-verified) */
};

/* Defaults: 4 retries from 1 s, 30 s connect, 60 s stall, https only. */
void fetch_options_init(struct fetch_options *opt);

/* The host's proxy variables (https_proxy, HTTPS_PROXY, http_proxy,
 * all_proxy, ALL_PROXY) are for hnbuild's own downloads only. One that
 * holds a password is taken out of the environment, so that no tool hnbuild
 * starts (QEMU, qemu-img, libguestfs) sees it, and is handed to libcurl
 * directly (fetch_apply_host_proxy). Call once, before starting anything. */
void fetch_take_host_proxy(void);
/* Set CURLOPT_PROXY on c for url from what fetch_take_host_proxy took. */
void fetch_apply_host_proxy(void *curl, const char *url);

/* http:// or https:// (case-insensitive). */
bool fetch_is_url(const char *s);
/* The local path for a plain path or a file:// URL (caller frees); NULL
 * for anything else. */
char *fetch_local_path(const char *s);
/* The URL as it may appear in messages: no user:password@, no ?query or
 * #fragment (pre-signed URLs carry tokens there). Caller frees. */
char *fetch_display_url(const char *url);

/* Download url to path. If path already holds a partial download it is
 * resumed with a Range request (restarted when the server ignores it).
 * Transient failures (connect, timeouts, 5xx, 429) are retried with backoff.
 * Errors name the display URL; a TLS certificate the CA bundle does not
 * trust is an err_verify (exit 3) and not retried. */
int fetch_url(const char *url, const char *path, const struct fetch_options *opt);

/* Download a small resource (at most max bytes) into memory, NUL-terminated. */
int fetch_to_memory(const char *url, const struct fetch_options *opt, size_t max, char **data, size_t *len);
