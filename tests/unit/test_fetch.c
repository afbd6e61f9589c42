/* test_fetch.c — downloads against loopback servers: whole files, resume
 * after a cut connection and from an earlier partial file, servers that
 * ignore Range, HTTP errors (retried or not), an unreachable host, plain
 * http refused, TLS verification (a self-signed openssl s_server is
 * rejected unless its certificate is trusted), URL redaction. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "err.h"
#include "fetch.h"
#include "httpd_test.h"
#include "installdata_test.h"
#include "unit_run.h"

#define BODY_LEN (3u << 20)
static char *body;

static void make_body(void)
{
	body = malloc(BODY_LEN);
	unsigned x = 12345;
	for (size_t i = 0; i < BODY_LEN; i++) {
		x = x * 1103515245u + 12345u;
		body[i] = (char)(x >> 16);
	}
}

static struct fetch_options quick(unsigned retries)
{
	struct fetch_options o;
	fetch_options_init(&o);
	o.retries = retries;
	o.backoff_ms = 10;
	o.connect_timeout = 5;
	o.stall_timeout = 10;
	o.allow_http = true;
	return o;
}

static char *url_of(const struct httpd *h, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "http://127.0.0.1:%d%s", h->port, path);
	return sb_detach(&sb, NULL);
}

static void assert_file_is_body(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(path, &data, &len), 0);
	ck_assert_uint_eq(len, BODY_LEN);
	ck_assert(memcmp(data, body, BODY_LEN) == 0);
	free(data);
}

START_TEST(whole_file)
{
	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso"), *url = url_of(&h, "/x.iso");
	struct fetch_options o = quick(0);
	ck_assert_int_eq(fetch_url(url, out, &o), 0);
	assert_file_is_body(out);
	ck_assert_int_eq(h.requests, 1);
	ck_assert_int_eq(h.range_requests, 0);
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

START_TEST(resume_after_cut_connection)
{
	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	h.drop_after = 1u << 20;
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso"), *url = url_of(&h, "/x.iso");
	struct fetch_options o = quick(2);
	ck_assert_int_eq(fetch_url(url, out, &o), 0);
	assert_file_is_body(out);
	ck_assert_int_eq(h.requests, 2);
	ck_assert_int_eq(h.range_requests, 1);
	/* Only the missing part was sent again. */
	ck_assert_uint_eq(h.body_bytes_sent, BODY_LEN);
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

START_TEST(resume_partial_file_and_complete_file)
{
	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso"), *url = url_of(&h, "/x.iso");
	ck_assert_int_eq(write_file_atomic(out, body, 1000, 0644), 0);
	struct fetch_options o = quick(0);
	ck_assert_int_eq(fetch_url(url, out, &o), 0);
	assert_file_is_body(out);
	ck_assert_int_eq(h.range_requests, 1);
	ck_assert_uint_eq(h.body_bytes_sent, BODY_LEN - 1000);
	/* Already complete: the server answers 416 and the file stays as is. */
	ck_assert_int_eq(fetch_url(url, out, &o), 0);
	assert_file_is_body(out);
	ck_assert_int_eq(h.requests, 2);
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

START_TEST(server_ignoring_range_restarts)
{
	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	h.ignore_range = true;
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso"), *url = url_of(&h, "/x.iso");
	test_write(out, "stale bytes from some other download");
	struct fetch_options o = quick(0);
	ck_assert_int_eq(fetch_url(url, out, &o), 0);
	assert_file_is_body(out);
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

START_TEST(http_errors)
{
	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso"), *url = url_of(&h, "/x.iso");
	struct fetch_options o = quick(2);
	h.status = 404;
	ck_assert_int_lt(fetch_url(url, out, &o), 0);
	ck_assert_int_eq(h.requests, 1); /* not retried */
	ck_assert_msg(strstr(err_message(), "HTTP 404") && strstr(err_message(), url), "%s", err_message());
	ck_assert_int_eq(err_exit_code(), 1);
	h.status = 503;
	h.requests = 0;
	ck_assert_int_lt(fetch_url(url, out, &o), 0);
	ck_assert_int_eq(h.requests, 3); /* first try and two retries */
	ck_assert_ptr_nonnull(strstr(err_message(), "HTTP 503"));
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

START_TEST(unreachable_and_refused_http)
{
	char *dir = test_tmpdir(), *out = test_path(dir, "x.iso");
	struct fetch_options o = quick(1);
	double t0 = now_monotonic();
	ck_assert_int_lt(fetch_url("https://user:hunter2@127.0.0.1:1/iso/x.iso?token=s3cr3t", out, &o), 0);
	ck_assert(now_monotonic() - t0 < 10);
	ck_assert_msg(strstr(err_message(), "https://127.0.0.1:1/iso/x.iso?…"), "%s", err_message());
	ck_assert_ptr_null(strstr(err_message(), "hunter2"));
	ck_assert_ptr_null(strstr(err_message(), "s3cr3t"));
	ck_assert_int_eq(err_exit_code(), 1);

	struct httpd h;
	httpd_start(&h, body, BODY_LEN);
	char *url = url_of(&h, "/x.iso");
	o.allow_http = false;
	ck_assert_int_eq(fetch_url(url, out, &o), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	ck_assert_int_eq(h.requests, 0);
	/* Memory downloads have a size cap. */
	char *data = NULL;
	size_t len = 0;
	o.allow_http = true;
	ck_assert_int_eq(fetch_to_memory(url, &o, 1024, &data, &len), -EFBIG);
	ck_assert_int_eq(fetch_to_memory(url, &o, BODY_LEN, &data, &len), 0);
	ck_assert_uint_eq(len, BODY_LEN);
	free(data);
	httpd_stop(&h);
	rm_rf(dir);
	free(dir);
	free(out);
	free(url);
}
END_TEST

static pid_t start_tls_server(const char *dir, int port)
{
	ck_assert_int_eq(
	    test_sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		    "-keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 "
		    "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		    dir),
	    0);
	char accept[64], cert[512], key[512];
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", cert, "-key", key,
		       "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	/* Wait until it listens. */
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return pid;
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	ck_abort_msg("openssl s_server did not start");
	return -1;
}

START_TEST(tls_is_verified)
{
	char *dir = test_tmpdir();
	int port = free_port();
	pid_t pid = start_tls_server(dir, port);
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	struct fetch_options o = quick(2);
	o.allow_http = false;
	char *data = NULL;
	size_t len = 0;
	/* Self-signed: rejected, exit 3, not retried. */
	ck_assert_int_lt(fetch_to_memory(url, &o, 1 << 20, &data, &len), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), "TLS verification failed") && strstr(err_message(), url), "%s",
		      err_message());
	/* Trusted through an explicit CA bundle: accepted. */
	char *ca = test_path(dir, "cert.pem");
	o.ca_file = ca;
	ck_assert_int_eq(fetch_to_memory(url, &o, 1 << 20, &data, &len), 0);
	ck_assert_ptr_nonnull(strstr(data, "<HTML>"));
	free(data);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	rm_rf(dir);
	free(ca);
	free(dir);
}
END_TEST

START_TEST(paths_and_display)
{
	char *p = fetch_local_path("file:///tmp/a%20b.iso");
	ck_assert_str_eq(p, "/tmp/a b.iso");
	free(p);
	p = fetch_local_path("file://localhost/srv/x.iso");
	ck_assert_str_eq(p, "/srv/x.iso");
	free(p);
	p = fetch_local_path("isos/x.iso");
	ck_assert_str_eq(p, "isos/x.iso");
	free(p);
	ck_assert_ptr_null(fetch_local_path("https://example.com/x.iso"));
	ck_assert_ptr_null(fetch_local_path("ftp://example.com/x.iso"));
	ck_assert_ptr_null(fetch_local_path("file://host/x.iso"));
	ck_assert(fetch_is_url("HTTPS://example.com/"));
	ck_assert(!fetch_is_url("/x.iso"));
	char *d = fetch_display_url("https://u:p@mirror.example.com:8443/a/x.iso?X-Amz-Signature=abc#f");
	ck_assert_str_eq(d, "https://mirror.example.com:8443/a/x.iso?…");
	free(d);
	d = fetch_display_url("https://mirror.example.com/a@b/x.iso");
	ck_assert_str_eq(d, "https://mirror.example.com/a@b/x.iso");
	free(d);
}
END_TEST

int main(void)
{
	make_body();
	Suite *s = suite_create("fetch");
	TCase *tc = tcase_create("fetch");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, whole_file);
	tcase_add_test(tc, resume_after_cut_connection);
	tcase_add_test(tc, resume_partial_file_and_complete_file);
	tcase_add_test(tc, server_ignoring_range_restarts);
	tcase_add_test(tc, http_errors);
	tcase_add_test(tc, unreachable_and_refused_http);
	tcase_add_test(tc, tls_is_verified);
	tcase_add_test(tc, paths_and_display);
	suite_add_tcase(s, tc);
	int failed = unit_run(s);
	free(body);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
