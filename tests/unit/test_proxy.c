/* Unit tests of the HTTP/1 request path (user/proxy.c with the attempt
 * engine and the backend exchange under it), through its public API on a
 * real loop: the client is one end of a socketpair handed to
 * sg_proxy_accept, the backend a loopback listener the test answers by
 * hand between loop passes. What is asserted is what each side sees: exact
 * bytes, statuses, bodies, closes, and timing with generous bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/backend.h"
#include "user/frontend.h"
#include "user/loop.h"
#include "user/proxy.h"
#include "user/stats.h"

#define BUF 65536

struct side {
	int fd;
	char in[BUF];
	size_t len;
	bool eof;
};

struct env {
	struct sg_loop *loop;
	struct sg_stats stats;
	struct sg_frontend f;
	int listener; /* the backend's */
	uint16_t port;
	struct side client;
	struct side be[4]; /* backend connections, in accept order */
	int nbe;
};

static int setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	sg_stats_init(&e->stats);
	e->f.loop = e->loop;
	e->f.pool = sg_pool_new(e->loop);
	e->f.engine = e->f.tunnel = SG_RELAY_COPY;
	e->f.stats = &e->stats;
	e->f.access_log = SG_ACCESS_LOG_OFF;
	e->listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(e->listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(e->listener, 16), 0);
	assert_int_equal(getsockname(e->listener, (struct sockaddr *)&a, &len), 0);
	e->port = ntohs(a.sin_port);
	e->client.fd = -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_proxy_close_all(&e->f);
	sg_loop_run_once(e->loop, 0);
	sg_pool_free(e->f.pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	sg_cfg_unref(e->f.cfg);
	sg_stats_destroy(&e->stats);
	if (e->client.fd >= 0)
		close(e->client.fd);
	for (int i = 0; i < e->nbe; i++)
		close(e->be[i].fd);
	close(e->listener);
	free(e);
	return 0;
}

/* Load the config (one HTTP route to the test's backend, with `policies`
 * as YAML lines at the route's policies: indent) and connect a client. */
static void start(struct env *e, const char *policies)
{
	char text[2048];
	struct sg_diag d;
	struct sockaddr_storage peer = { 0 };
	struct sockaddr_in *p4 = (struct sockaddr_in *)&peer;
	int sv[2];

	snprintf(text, sizeof(text),
		 "binds:\n"
		 "- port: 8080\n"
		 "  listeners:\n"
		 "  - protocol: HTTP\n"
		 "    routes:\n"
		 "    - name: r\n"
		 "%s"
		 "      backends:\n"
		 "      - host: 127.0.0.1:%u\n",
		 policies, e->port);
	sg_diag_init(&d);
	e->f.cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->f.cfg)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	p4->sin_family = AF_INET;
	p4->sin_addr.s_addr = htonl(0x7f000001);
	e->client.fd = sv[0];
	sg_proxy_accept(&e->f, &e->f.cfg->binds[0], sv[1], &peer);
}

/* Read what is there on s (non-blocking); EOF is only a read of 0. */
static void take(struct side *s)
{
	for (;;) {
		ssize_t n = read(s->fd, s->in + s->len, sizeof(s->in) - 1 - s->len);

		if (n > 0) {
			s->len += (size_t)n;
			s->in[s->len] = '\0';
			continue;
		}
		if (n == 0)
			s->eof = true;
		else
			assert_true(errno == EAGAIN || errno == ECONNRESET);
		return;
	}
}

/* One round: a loop pass, then every side's bytes and new backend
 * connections taken. */
static void round_once(struct env *e)
{
	int fd;

	sg_loop_run_once(e->loop, 5);
	while ((fd = accept4(e->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(e->nbe < 4);
		memset(&e->be[e->nbe], 0, sizeof(e->be[0]));
		e->be[e->nbe++].fd = fd;
	}
	take(&e->client);
	for (int i = 0; i < e->nbe; i++)
		take(&e->be[i]);
}

/* Rounds until `cond` holds, for at most 3 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			round_once(e);                                                             \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

static void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Whether `text` was received on s so far. */
static bool has(const struct side *s, const char *text)
{
	return strstr(s->in, text) != NULL;
}

static void forget(struct side *s)
{
	s->len = 0;
	s->in[0] = '\0';
}

static uint64_t now_ms(struct env *e)
{
	sg_loop_update_time(e->loop);
	return sg_loop_now(e->loop);
}

static void test_proxy_keep_alive_reuses_the_backend_connection(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "GET /a HTTP/1.1\r\n", 17));
	assert_true(has(&e->be[0], "\r\nHost: x\r\n"));
	assert_true(has(&e->be[0], "\r\nx-forwarded-for: 127.0.0.1\r\n") ||
		    has(&e->be[0], "\r\nX-Forwarded-For: 127.0.0.1\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, has(&e->client, "\r\n\r\nok"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	forget(&e->client);
	forget(&e->be[0]);
	say(e->client.fd, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, has(&e->be[0], "\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "GET /b HTTP/1.1\r\n", 17));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye");
	UNTIL(e, has(&e->client, "bye"));
	assert_int_equal(e->nbe, 1); /* one backend connection for both */
	assert_false(e->client.eof);
	assert_int_equal(e->stats.counters[SG_STAT_POOL_REUSE], 1);
}

static void test_proxy_pipelined_requests_answered_in_order(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "GET /1 ", 7));
	assert_false(has(&e->be[0], "GET /2")); /* one request at a time */
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
	UNTIL(e, has(&e->be[0], "GET /2 "));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
	UNTIL(e, has(&e->client, "second"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
					  "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
}

/* Body bytes in the same write as the head reach the backend whole, for
 * Content-Length and for chunked framing (relayed as it came). */
static void test_proxy_early_body(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
			  "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "5\r\nworld\r\n0\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\nhello"));
	assert_true(has(&e->be[0], "\r\nContent-Length: 5\r\n"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	UNTIL(e, has(&e->be[0], "5\r\nworld\r\n0\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "POST /c HTTP/1.1\r\n", 18));
	assert_true(has(&e->be[0], "\r\n\r\n5\r\nworld\r\n0\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	UNTIL(e, has(&e->client, "201 Created"));
}

/* A request the gateway refuses gets its 400 and then the FIN; bytes the
 * client sent after it are read and dropped (lingering close), so the
 * answer is not destroyed by a reset. No backend is involved. */
static void test_proxy_bad_request_lingering_close(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nmore bytes after");
	UNTIL(e, e->client.eof);
	assert_true(!strncmp(e->client.in, "HTTP/1.1 400 Bad Request\r\n", 26));
	assert_true(has(&e->client, "\r\n\r\nbad request"));
	assert_int_equal(e->nbe, 0);
}

static void test_proxy_connection_close_honoured(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
	UNTIL(e, e->client.eof);
	assert_true(has(&e->client, "\r\nconnection: close\r\n") ||
		    has(&e->client, "\r\nConnection: close\r\n"));
	assert_true(has(&e->client, "\r\n\r\nz"));
}

/* A listed status is retried on the route's policy: the client sees the
 * second answer, the backend two requests, the second marked. */
static void test_proxy_retry_on_listed_status(void **state)
{
	struct env *e = *state;

	start(e,
	      "      policies:\n        retry:\n          attempts: 1\n          codes: [503]\n");
	say(e->client.fd, "GET /r HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
	UNTIL(e, has(&e->be[0], "\r\n\r\n") || (e->nbe == 2 && has(&e->be[1], "\r\n\r\n")));
	{
		struct side *b = has(&e->be[0], "\r\n\r\n") ? &e->be[0] : &e->be[1];

		assert_true(has(b, "\r\nx-retry-attempt: 1\r\n"));
		say(b->fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	}
	UNTIL(e, has(&e->client, "\r\n\r\nok"));
	assert_true(!strncmp(e->client.in, "HTTP/1.1 200 OK\r\n", 17));
	assert_false(has(&e->client, "busy"));
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 1);
}

/* A silent backend: 504 at the per-try timeout (no retry policy). */
static void test_proxy_per_try_timeout(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	start(e, "      policies:\n        timeout:\n          backendRequestTimeout: 200ms\n");
	t0 = now_ms(e);
	say(e->client.fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, has(&e->client, "upstream call timeout"));
	assert_true(!strncmp(e->client.in, "HTTP/1.1 504 Gateway Timeout\r\n", 30));
	assert_in_range(now_ms(e) - t0, 150, 2000);
}

/* HEAD: the head's Content-Length describes a body that never comes; the
 * connection goes on with the next request. */
static void test_proxy_head_has_no_body(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
	forget(&e->client);
	say(e->client.fd, "GET /g HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ng");
	UNTIL(e, has(&e->client, "\r\n\r\ng"));
}

/* A response without framing ends when the backend closes; the client's
 * connection closes after it (nothing else can tell it where it ended). */
static void test_proxy_close_delimited_response(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
	shutdown(e->be[0].fd, SHUT_WR);
	UNTIL(e, e->client.eof);
	assert_true(!strncmp(e->client.in, "HTTP/1.1 200 OK\r\n", 17));
	assert_true(has(&e->client, "\r\n\r\nuntil the end"));
}

/* An interim 103 is passed on to an HTTP/1.1 client before the final head. */
static void test_proxy_interim_response_passed_on(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
	UNTIL(e, has(&e->client, "\r\n\r\nx"));
	assert_string_equal(e->client.in, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
					  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
}

/* Bytes that are not a response head: 503, invalid response. */
static void test_proxy_invalid_response(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /bad HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "SMTP ready\r\n\r\n");
	UNTIL(e, has(&e->client, "invalid response"));
	assert_true(!strncmp(e->client.in, "HTTP/1.1 503 Service Unavailable\r\n", 34));
	assert_true(has(&e->client, "\r\n\r\nupstream call failed: invalid response: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proxy_keep_alive_reuses_the_backend_connection,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_pipelined_requests_answered_in_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_early_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_bad_request_lingering_close, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_proxy_connection_close_honoured, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_proxy_retry_on_listed_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_per_try_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_head_has_no_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_close_delimited_response, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_proxy_interim_response_passed_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_proxy_invalid_response, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
