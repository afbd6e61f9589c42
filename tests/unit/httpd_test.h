/* httpd_test.h — a tiny loopback HTTP/1.1 server thread for the download
 * tests: serves one body, honours "Range: bytes=N-" (unless told not to),
 * can cut the first response short or answer with an error status, and
 * counts what it served. Binds 127.0.0.1 on a free port. */
#pragma once

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct httpd {
	int fd;
	int port;
	pthread_t thread;
	volatile int stop;
	const char *body;
	size_t len;
	size_t drop_after; /* >0: the first response sends only this many body bytes, then closes */
	bool ignore_range; /* answer 200 with the whole body even to Range requests */
	int status;	   /* non-zero: answer every request with this status and no body */
	int requests;
	int range_requests;
	size_t body_bytes_sent;
	pthread_mutex_t lock;
};

static inline void httpd_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static inline void httpd_serve_one(struct httpd *h, int c)
{
	char req[4096];
	size_t got = 0;
	while (got < sizeof(req) - 1) {
		ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	pthread_mutex_lock(&h->lock);
	int nreq = ++h->requests;
	pthread_mutex_unlock(&h->lock);
	char head[512];
	if (h->status) {
		int n =
		    snprintf(head, sizeof(head),
			     "HTTP/1.1 %d Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", h->status);
		httpd_send_all(c, head, (size_t)n);
		return;
	}
	size_t from = 0;
	const char *range = strcasestr(req, "\r\nRange: bytes=");
	if (range && !h->ignore_range) {
		from = strtoull(range + 15, NULL, 10);
		pthread_mutex_lock(&h->lock);
		h->range_requests++;
		pthread_mutex_unlock(&h->lock);
	}
	int n;
	if (from >= h->len && range && !h->ignore_range) {
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes "
			     "*/%zu\r\nContent-Length: 0\r\n"
			     "Connection: close\r\n\r\n",
			     h->len);
		httpd_send_all(c, head, (size_t)n);
		return;
	}
	if (from)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
			     "%zu-%zu/%zu\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n",
			     from, h->len - 1, h->len, h->len - from);
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", h->len);
	httpd_send_all(c, head, (size_t)n);
	size_t send_len = h->len - from;
	if (nreq == 1 && h->drop_after && h->drop_after < send_len)
		send_len = h->drop_after;
	httpd_send_all(c, h->body + from, send_len);
	pthread_mutex_lock(&h->lock);
	h->body_bytes_sent += send_len;
	pthread_mutex_unlock(&h->lock);
}

static inline void *httpd_main(void *arg)
{
	struct httpd *h = arg;
	while (!h->stop) {
		struct pollfd p = {h->fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(h->fd, NULL, NULL);
		if (c < 0)
			continue;
		httpd_serve_one(h, c);
		shutdown(c, SHUT_RDWR);
		close(c);
	}
	return NULL;
}

static inline void httpd_start(struct httpd *h, const char *body, size_t len)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->body = body;
	h->len = len;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(h->fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(h->fd, 16), 0);
	socklen_t al = sizeof(a);
	getsockname(h->fd, (struct sockaddr *)&a, &al);
	h->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&h->thread, NULL, httpd_main, h), 0);
}

static inline void httpd_stop(struct httpd *h)
{
	h->stop = 1;
	pthread_join(h->thread, NULL);
	close(h->fd);
	pthread_mutex_destroy(&h->lock);
}

/* A loopback port nobody listens on (bound, then released). */
static inline int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	return ntohs(a.sin_port);
}
