/* Unit tests of user/worker.c, a worker thread with its own loop and
 * listening sockets: it serves a request on the port its config names,
 * moves its listeners when handed a new config, refuses new connections
 * once draining while a request in flight gets its whole answer, and
 * says why it cannot start on a port another socket holds. Real sockets
 * throughout: the client and the backend are the test's, blocking with
 * generous timeouts, on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dialer.h"
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/core/stats.h"
#include "user/worker.h"

#define DATE "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"

static struct sg_cfg *config(uint16_t port, uint16_t backend)
{
	char text[512];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: %u\n  listeners:\n  - routes:\n"
		 "    - name: r\n      backends: [{host: 127.0.0.1:%u}]\n",
		 port, backend);
	sg_diag_init(&d);
	c = sg_cfg_load_text("w.yaml", text, &d);
	sg_diag_free(&d);
	assert_non_null(c);
	return c;
}

/* The backend's next connection, accepted within WAIT_MS. */
static int backend_accept(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int fd;

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* GET path through port, answered by the backend listening on lfd:
 * the bytes the client got, in buf. */
static void get(uint16_t port, int lfd, const char *path, char *buf, size_t cap)
{
	char req[128], head[2048];
	int c = dial_until(port, true), b;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	say(c, req);
	b = backend_accept(lfd);
	read_until(b, head, sizeof(head), "\r\n\r\n");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n", path);
	assert_true(!strncmp(head, req, strlen(req)));
	say(b, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" DATE "\r\nok");
	read_until(c, buf, cap, "\r\n\r\nok");
	close(b);
	close(c);
}

static struct sg_worker *start(struct sg_cfg *cfg)
{
	struct sg_frontend_opts opts = { .access_log = SG_ACCESS_LOG_OFF };
	char err[256] = "";
	struct sg_worker *w = sg_worker_start(cfg, &opts, NULL, NULL, NULL, 0, err, sizeof(err));

	if (!w)
		fail_msg("worker: %s", err);
	return w;
}

/* The request is answered on the config's port, and counted by (listener,
 * route, status) in the worker's stats. */
static void test_worker_serves_its_port(void **state)
{
	uint16_t bport, port = free_port();
	int lfd = test_loopback(true, 0, &bport);
	struct sg_cfg *cfg = config(port, bport);
	struct sg_worker *w = start(cfg);
	struct sg_stats *st = sg_worker_stats(w);
	char buf[1024];
	uint64_t n = 0;

	(void)state;
	get(port, lfd, "/w", buf, sizeof(buf));
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" DATE "\r\nok");
	for (uint64_t end = now_ms() + WAIT_MS; !n && now_ms() < end; usleep(5000)) {
		pthread_mutex_lock(&st->lock);
		for (size_t i = 0; i < st->nreqs; i++)
			if (st->reqs[i].status == 200 && strstr(st->reqs[i].route, "/r"))
				n += st->reqs[i].count;
		pthread_mutex_unlock(&st->lock);
	}
	assert_int_equal(n, 1);
	sg_worker_stop(w);
	sg_cfg_unref(cfg);
	close(lfd);
}

/* A new config on another port: the old one refuses, the new one serves. */
static void test_worker_update_moves_its_listener(void **state)
{
	uint16_t bport, a = free_port(), b;
	int lfd = test_loopback(true, 0, &bport);
	struct sg_cfg *first = config(a, bport), *second;
	struct sg_worker *w = start(first);
	char buf[1024];

	(void)state;
	do
		b = free_port();
	while (b == a);
	second = config(b, bport);
	get(a, lfd, "/a", buf, sizeof(buf));
	sg_worker_update(w, second);
	dial_until(a, false);
	get(b, lfd, "/b", buf, sizeof(buf));
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" DATE "\r\nok");
	sg_worker_stop(w);
	sg_cfg_unref(first);
	sg_cfg_unref(second);
	close(lfd);
}

/* Draining: new connections are refused at once, the request in flight
 * gets its whole answer, told the connection closes, then EOF. */
static void test_worker_drain_finishes_what_is_in_flight(void **state)
{
	uint16_t bport, port = free_port();
	int lfd = test_loopback(true, 0, &bport);
	struct sg_cfg *cfg = config(port, bport);
	struct sg_worker *w = start(cfg);
	char buf[1024], head[1024];
	int c = dial_until(port, true), b;

	(void)state;
	say(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
	b = backend_accept(lfd);
	read_until(b, head, sizeof(head), "\r\n\r\n");
	sg_worker_drain(w, WAIT_MS);
	dial_until(port, false);
	say(b, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n" DATE "\r\nslow");
	read_until(c, buf, sizeof(buf), NULL);
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n" DATE
				 "connection: close\r\n\r\nslow");
	sg_worker_stop(w);
	close(b);
	close(c);
	sg_cfg_unref(cfg);
	close(lfd);
}

/* A port another socket holds (without SO_REUSEPORT): no worker, and the
 * reason names the address. */
static void test_worker_taken_port_refused(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sg_frontend_opts opts = { .access_log = SG_ACCESS_LOG_OFF };
	struct sg_cfg *cfg;
	char err[256] = "", want[64];

	(void)state;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	cfg = config(ntohs(a.sin_port), 1);
	assert_null(sg_worker_start(cfg, &opts, NULL, NULL, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "listen 0.0.0.0:%u: Address already in use",
		 ntohs(a.sin_port));
	assert_string_equal(err, want);
	sg_cfg_unref(cfg);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_serves_its_port),
		cmocka_unit_test(test_worker_update_moves_its_listener),
		cmocka_unit_test(test_worker_drain_finishes_what_is_in_flight),
		cmocka_unit_test(test_worker_taken_port_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
