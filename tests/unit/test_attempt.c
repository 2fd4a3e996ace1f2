/* Unit tests for user/core/attempt.c, the attempt engine, on a real loop with
 * real loopback sockets: endpoint choice, connect failures, retries on a
 * status, the per-try and request deadlines, backoff cut by the request
 * deadline, and the free retry of a stale pooled connection. The owner
 * here records what the engine asks of it instead of speaking HTTP, but
 * for one that sends its request in bytes through the try's exchange and
 * takes the connection the exchange offers (user/http1/'s way). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/core/attempt.h"
#include "user/base/loop.h"
#include "user/core/stats.h"
#include "user/core/backend.h"

#define MAX_TRIES 8

/* The engine's owner: what it was asked to do, in order. */
struct owner {
	struct sg_attempt at;
	struct sg_timer timer;
	int sends, waits, drops, fails;
	enum sg_fail kind;
	char tried[MAX_TRIES]
		  [SG_ENDPOINT_TEXT_SIZE]; /* endpoint of each try that reached a socket */
	uint64_t failed_at;
};

struct env {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_stats stats;
	uint64_t rng;
	struct sg_cfg *cfg;
	struct owner o;
	int listener, closed[2]; /* a listening socket; two bound, not listening */
	uint16_t port, closed_port[2];
};

static void rearm(struct owner *o)
{
	uint64_t due = sg_attempt_due(&o->at);

	if (due)
		sg_timer_arm(o->at.loop, &o->timer, due);
	else
		sg_timer_stop(o->at.loop, &o->timer);
}

static void on_send(struct sg_attempt *a)
{
	struct owner *o = a->owner;

	if (o->sends < MAX_TRIES)
		snprintf(o->tried[o->sends], sizeof(o->tried[0]), "%s", a->endpoint);
	o->sends++;
	sg_io_set(a->loop, &a->conn->io, 0); /* nothing is written: the test decides */
	rearm(o);
}

static void on_fail(struct sg_attempt *a, enum sg_fail kind, int err)
{
	struct owner *o = a->owner;

	(void)err;
	o->fails++;
	o->kind = kind;
	o->failed_at = sg_loop_now(a->loop);
	rearm(o);
}

static void on_dropped(struct sg_attempt *a)
{
	((struct owner *)a->owner)->drops++;
}

static void on_wait(struct sg_attempt *a)
{
	struct owner *o = a->owner;

	o->waits++;
	if (a->conn && !a->connected)
		sg_io_set(a->loop, &a->conn->io, EPOLLOUT);
	rearm(o);
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct owner *o = io->data;

	(void)loop;
	(void)revents;
	if (!o->at.connected)
		sg_attempt_connected(&o->at);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct owner *o = t->data;

	if (!sg_attempt_expire(&o->at, sg_loop_now(loop)))
		rearm(o);
}

static const struct sg_attempt_ops ops = {
	.send = on_send,
	.fail = on_fail,
	.dropped = on_dropped,
	.wait = on_wait,
	.on_io = on_io,
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	e->pool = sg_pool_new(e->loop);
	assert_non_null(e->pool);
	sg_stats_init(&e->stats);
	e->listener = test_loopback(true, 0, &e->port);
	e->closed[0] = test_loopback(false, 0, &e->closed_port[0]);
	e->closed[1] = test_loopback(false, 0, &e->closed_port[1]);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_attempt_end(&e->o.at);
	sg_timer_stop(e->loop, &e->o.timer);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_pool_free(e->pool);
	sg_loop_free(e->loop);
	sg_stats_destroy(&e->stats);
	sg_cfg_unref(e->cfg);
	close(e->listener);
	close(e->closed[0]);
	close(e->closed[1]);
	free(e);
	return 0;
}

/* A standalone config of one route with `policies` (YAML lines at the
 * route's policies: indent, may be "") and the backends `hosts`; the owner
 * begins a request on it. */
static void begin(struct env *e, const char *policies, const char *hosts)
{
	char text[2048];
	struct sg_diag d;

	if (e->cfg) { /* the test's previous request */
		sg_attempt_end(&e->o.at);
		sg_timer_stop(e->loop, &e->o.timer);
		sg_cfg_unref(e->cfg);
	}
	sg_diag_init(&d);

	snprintf(text, sizeof(text),
		 "binds:\n"
		 "- port: 8080\n"
		 "  listeners:\n"
		 "  - protocol: HTTP\n"
		 "    routes:\n"
		 "    - name: r\n"
		 "%s"
		 "      backends:\n"
		 "%s",
		 policies, hosts);
	e->cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->cfg)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	memset(&e->o, 0, sizeof(e->o));
	sg_timer_init(&e->o.timer, on_timer, &e->o);
	sg_attempt_init(&e->o.at, &ops, &e->o, e->loop, e->pool, NULL, &e->stats, &e->rng);
	sg_attempt_begin(&e->o.at, e->cfg->binds[0].listeners[0].key,
			 &e->cfg->binds[0].listeners[0].routes[0], true, &e->cfg->global);
	rearm(&e->o);
}

/* Run the loop until `done` or 3 s pass. */
#define RUN_UNTIL(e, done)                                                                         \
	do {                                                                                       \
		for (int i_ = 0; i_ < 300 && !(done); i_++)                                        \
			sg_loop_run_once((e)->loop, 10);                                           \
	} while (0)

static uint64_t counter(struct env *e, enum sg_stat which)
{
	return e->stats.counters[which];
}

static void test_attempt_connects_then_sends(void **state)
{
	struct env *e = *state;
	char hosts[128], want[32];

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e, "", hosts);
	sg_attempt_start(&e->o.at);
	assert_int_equal(e->o.sends, 0); /* connecting */
	assert_non_null(e->o.at.conn);
	RUN_UNTIL(e, e->o.sends);
	assert_int_equal(e->o.sends, 1);
	assert_int_equal(e->o.fails, 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u", e->port);
	assert_string_equal(e->o.tried[0], want);
	assert_int_equal(e->o.at.n, 0);
	assert_int_equal(counter(e, SG_STAT_BACKEND_CONNECTS), 1);
	/* The answer: no deadline and no try follows. */
	assert_false(sg_attempt_took_status(&e->o.at, 200));
	assert_int_equal(sg_attempt_due(&e->o.at), 0);
}

static uint64_t observed(const struct sg_series *se, enum sg_hist_kind h)
{
	uint64_t n = 0;

	for (size_t i = 0; i < SG_HIST_SLOTS; i++)
		n += se->hist[h].n[i];
	return n;
}

/* A request's metrics: its listener and route's series, the connect and
 * the try timed, then the request, its bytes and retries once it is over
 * (once only); the active requests gauge follows it. */
static void test_attempt_times_the_request(void **state)
{
	struct env *e = *state;
	struct sg_series *se;
	char hosts[128];

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e, "", hosts);
	se = e->o.at.series;
	assert_ptr_equal(se, sg_stats_series(&e->stats, e->cfg->binds[0].listeners[0].key,
					     e->cfg->binds[0].listeners[0].routes[0].key));
	assert_int_equal(e->stats.requests_active, 1);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends);
	assert_int_equal(observed(se, SG_HIST_CONNECT), 1);
	assert_int_equal(observed(se, SG_HIST_ATTEMPT), 0);
	assert_false(sg_attempt_took_status(&e->o.at, 200));
	assert_int_equal(observed(se, SG_HIST_ATTEMPT), 1);
	assert_int_equal(observed(se, SG_HIST_REQUEST), 0);
	sg_attempt_over(&e->o.at, 10, 20);
	sg_attempt_over(&e->o.at, 10, 20);
	assert_int_equal(observed(se, SG_HIST_REQUEST), 1);
	assert_int_equal(se->counters[SG_SERIES_REQUEST_BYTES], 10);
	assert_int_equal(se->counters[SG_SERIES_RESPONSE_BYTES], 20);
	assert_int_equal(se->counters[SG_SERIES_RETRIES], 0);
	assert_int_equal(e->stats.requests_active, 0);
	/* A request that ends without being over leaves the gauge too. */
	sg_attempt_begin(&e->o.at, "l", &e->cfg->binds[0].listeners[0].routes[0], true,
			 &e->cfg->global);
	assert_int_equal(e->stats.requests_active, 1);
	sg_attempt_end(&e->o.at);
	assert_int_equal(e->stats.requests_active, 0);
	assert_int_equal(
		observed(sg_stats_series(&e->stats, "l", e->o.at.route->key), SG_HIST_REQUEST), 0);
}

/* Two endpoints that refuse, one retry: each is tried once (the untried
 * one first), then the client is answered with the connect failure. */
static void test_attempt_connect_refused_tries_the_other_endpoint(void **state)
{
	struct env *e = *state;
	char hosts[256];

	snprintf(hosts, sizeof(hosts),
		 "      - host: 127.0.0.1:%u\n"
		 "      - host: 127.0.0.1:%u\n",
		 e->closed_port[0], e->closed_port[1]);
	begin(e, "      policies:\n        retry:\n          attempts: 1\n          codes: [503]\n",
	      hosts);
	for (int round = 0; round < 8; round++) {
		char first[SG_ENDPOINT_TEXT_SIZE] = "";

		e->o.fails = e->o.drops = 0;
		e->o.at.n = 0;
		e->o.at.tried = 0;
		sg_attempt_start(&e->o.at);
		snprintf(first, sizeof(first), "%s", e->o.at.endpoint);
		RUN_UNTIL(e, e->o.fails);
		assert_int_equal(e->o.fails, 1);
		assert_int_equal(e->o.kind, SG_FAIL_CONNECT);
		assert_int_equal(e->o.at.n, 1);
		assert_string_not_equal(e->o.at.endpoint, first);
		assert_null(e->o.at.conn);
	}
	assert_int_equal(e->o.sends, 0);
	assert_int_equal(counter(e, SG_STAT_RETRIES), 8);
	/* Every refused try is a failure of kind connect, and was timed. */
	assert_int_equal(e->stats.failures[SG_FAIL_CONNECT], 16);
	assert_int_equal(observed(e->o.at.series, SG_HIST_ATTEMPT), 16);
	assert_int_equal(observed(e->o.at.series, SG_HIST_CONNECT), 0);
}

/* An invalid backendRef's share (half the weight here) gets 500 no valid
 * backends on its request's first draw, and only there: a request first
 * drawn to the valid backend, whose connect is refused, is retried there
 * and answered 503 connect. Retries drew the invalid backend again and
 * answered 500 too: 3 requests in 4, not 1 in 2. */
static void test_attempt_retry_keeps_out_of_the_invalid_share(void **state)
{
	struct env *e = *state;
	const struct sg_listener *l;
	struct sg_backend_ref *v;
	char hosts[256];
	unsigned no_backend = 0;

	snprintf(hosts, sizeof(hosts),
		 "      - host: 127.0.0.1:%u\n"
		 "      - host: 127.0.0.1:%u\n",
		 e->closed_port[0], e->closed_port[1]);
	begin(e, "      policies:\n        retry:\n          attempts: 1\n", hosts);
	l = &e->cfg->binds[0].listeners[0];
	/* The second as a Kubernetes backendRef that does not resolve. */
	v = (struct sg_backend_ref *)&l->routes[0].backends.v[1];
	v->kind = SG_BREF_INVALID;
	v->neps = 0;
	for (int round = 0; round < 400; round++) {
		e->o.fails = 0;
		sg_attempt_begin(&e->o.at, l->key, &l->routes[0], true, &e->cfg->global);
		sg_attempt_start(&e->o.at);
		RUN_UNTIL(e, e->o.fails);
		assert_int_equal(e->o.fails, 1);
		if (e->o.kind == SG_FAIL_NO_BACKEND)
			no_backend++;
		else
			assert_int_equal(e->o.kind, SG_FAIL_CONNECT);
	}
	assert_in_range(no_backend, 160, 240);
}

/* A listed status is retried while attempts last; then it is the answer. */
static void test_attempt_retries_a_listed_status(void **state)
{
	struct env *e = *state;
	char hosts[128];

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e, "      policies:\n        retry:\n          attempts: 2\n          codes: [500]\n",
	      hosts);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends == 1);
	assert_false(sg_attempt_took_status(&e->o.at, 503)); /* not listed */
	begin(e, "      policies:\n        retry:\n          attempts: 2\n          codes: [500]\n",
	      hosts);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends == 1);
	assert_true(sg_attempt_took_status(&e->o.at, 500));
	assert_int_equal(e->o.at.n, 1);
	RUN_UNTIL(e, e->o.sends == 2);
	assert_true(sg_attempt_took_status(&e->o.at, 500));
	RUN_UNTIL(e, e->o.sends == 3);
	assert_int_equal(e->o.at.n, 2);
	assert_false(sg_attempt_took_status(&e->o.at, 500)); /* attempts spent */
	assert_int_equal(e->o.fails, 0);
	/* A request whose body could not be kept is never sent twice. */
	begin(e, "      policies:\n        retry:\n          attempts: 2\n          codes: [500]\n",
	      hosts);
	e->o.at.replayable = false;
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends == 1);
	assert_false(sg_attempt_took_status(&e->o.at, 500));
}

/* A silent backend: each try ends at the per-try timeout, the last one
 * answers 504 after about two of them. */
static void test_attempt_per_try_timeout(void **state)
{
	struct env *e = *state;
	char hosts[128];
	uint64_t t0;

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e,
	      "      policies:\n        timeout:\n          backendRequestTimeout: 100ms\n"
	      "        retry:\n          attempts: 1\n          codes: [503]\n",
	      hosts);
	t0 = sg_loop_now(e->loop);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.fails);
	assert_int_equal(e->o.fails, 1);
	assert_int_equal(e->o.kind, SG_FAIL_ATTEMPT_TIMEOUT);
	assert_int_equal(e->o.sends, 2);
	assert_int_equal(counter(e, SG_STAT_TIMEOUT_BACKEND), 2);
	assert_in_range(e->o.failed_at - t0, 190, 1500);
}

/* The request deadline is one budget over every try and backoff: a 1 s
 * backoff after a retried status is cut at 300 ms by it. */
static void test_attempt_backoff_cut_by_request_deadline(void **state)
{
	struct env *e = *state;
	char hosts[128];
	uint64_t t0;

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e,
	      "      policies:\n        timeout:\n          requestTimeout: 300ms\n"
	      "        retry:\n          attempts: 3\n          backoff: 1s\n          codes: "
	      "[500]\n",
	      hosts);
	t0 = sg_loop_now(e->loop);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends == 1);
	assert_true(sg_attempt_took_status(&e->o.at, 500));
	assert_null(e->o.at.conn); /* backing off */
	assert_true(e->o.at.backoff_at > e->o.at.request_at);
	RUN_UNTIL(e, e->o.fails);
	assert_int_equal(e->o.kind, SG_FAIL_REQUEST_TIMEOUT);
	assert_int_equal(e->o.sends, 1);
	assert_in_range(e->o.failed_at - t0, 290, 900);
	assert_int_equal(counter(e, SG_STAT_TIMEOUT_REQUEST), 1);
}

/* A pooled connection that fails before the backend took a byte is tried
 * again on a fresh one, once, without counting a try; a second such
 * failure is an ordinary one. */
static void test_attempt_stale_pooled_connection(void **state)
{
	struct env *e = *state;
	char hosts[128];

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e, "", hosts);
	sg_attempt_start(&e->o.at);
	RUN_UNTIL(e, e->o.sends == 1);
	e->o.at.conn->reused = true; /* as if taken from the pool */
	sg_attempt_write_failed(&e->o.at, EPIPE, false);
	assert_int_equal(e->o.fails, 0);
	assert_int_equal(e->o.at.n, 0);
	assert_true(e->o.at.stale_retry_used);
	RUN_UNTIL(e, e->o.sends == 2);
	e->o.at.conn->reused = true;
	sg_attempt_write_failed(&e->o.at, ECONNRESET, false);
	assert_int_equal(e->o.fails, 1);
	assert_int_equal(e->o.kind, SG_FAIL_RESET);
	assert_int_equal(counter(e, SG_STAT_RETRIES), 0);
}

/* A route whose only backend has no endpoint: answered without a try. */
static void test_attempt_no_endpoint(void **state)
{
	struct env *e = *state;
	char hosts[128];

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n        weight: 0\n", e->port);
	begin(e, "", hosts);
	sg_attempt_start(&e->o.at);
	assert_int_equal(e->o.fails, 1);
	assert_int_equal(e->o.kind, SG_FAIL_NO_BACKEND);
	assert_int_equal(counter(e, SG_STAT_BACKEND_CONNECTS), 0);
}

/* A request without Host (HTTP/1.0 allows it) is forwarded with the
 * backend's authority (config/resolve.c makes it: test_resolve); one with a
 * Host, or an edit that sets one, is left alone. */
static void test_attempt_default_host(void **state)
{
	struct sg_h1_header slots[8];
	struct sg_h1_req bare = { .headers = slots, .headers_cap = 8 };
	struct sg_h1_header hslots[8];
	struct sg_h1_req with = { .headers = hslots, .headers_cap = 8 };
	const char bare_head[] = "GET / HTTP/1.0\r\n\r\n";
	const char with_head[] = "GET / HTTP/1.0\r\nHost: mine\r\n\r\n";
	struct sg_backend_ref service = { .kind = SG_BREF_SERVICE,
					  .eff_authority =
						  "httpbin.httpbin.svc.cluster.local:8000" };
	struct sg_backend_ref invalid = { .kind = SG_BREF_INVALID };
	struct sg_h1_edit e = { 0 };

	(void)state;
	assert_int_equal(sg_h1_parse_request(bare_head, strlen(bare_head), 8, &bare), SG_H1_DONE);
	assert_int_equal(sg_h1_parse_request(with_head, strlen(with_head), 8, &with), SG_H1_DONE);
	sg_attempt_default_host(NULL, &bare, &e); /* no try yet: nothing to say */
	assert_null(e.host.p);
	sg_attempt_default_host(&invalid, &bare, &e);
	assert_null(e.host.p);
	sg_attempt_default_host(&service, &bare, &e);
	assert_int_equal(e.host.len, strlen("httpbin.httpbin.svc.cluster.local:8000"));
	assert_memory_equal(e.host.p, "httpbin.httpbin.svc.cluster.local:8000", e.host.len);
	e = (struct sg_h1_edit){ 0 };
	sg_attempt_default_host(&service, &with, &e);
	assert_null(e.host.p);
	e = (struct sg_h1_edit){ .host = { "rewritten", 9 } };
	sg_attempt_default_host(&service, &bare, &e);
	assert_memory_equal(e.host.p, "rewritten", 9);
}

/* ---- an owner that sends bytes and takes the connection ------------------ */

struct bytes_owner {
	struct sg_attempt at;
	struct sg_h1x own; /* the exchange it keeps for its tries */
	struct sg_h1_header slots[16];
	struct sg_h1_req req;
	struct sg_h1_header req_slots[8];
	int sends, written, heads, fails;
	bool own_used[4]; /* whether each try's exchange was the owner's */
	uint16_t status;
	char taken[64]; /* the body bytes that came with the final head */
};

static struct sg_h1x *b_h1x(struct sg_attempt *a)
{
	return &((struct bytes_owner *)a->owner)->own;
}

static void b_send(struct sg_attempt *a)
{
	struct bytes_owner *o = a->owner;
	struct sg_h1_edit edit = { 0 };

	if (o->sends < 4)
		o->own_used[o->sends] = a->h1 == &o->own;
	o->sends++;
	assert_int_equal(
		sg_attempt_send_bytes(a, &o->req, &edit, "192.0.2.9", NULL, NULL, 0, false, false),
		0);
}

static void b_written(struct sg_attempt *a)
{
	((struct bytes_owner *)a->owner)->written++;
}

static void b_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct bytes_owner *o = a->owner;
	enum sg_h1_body body;
	size_t n;
	char *p;

	(void)end;
	o->heads++;
	o->status = resp->status;
	assert_true(sg_attempt_offered(a));
	if (sg_attempt_took_status(a, resp->status))
		return; /* retried, from inside the exchange's call */
	p = sg_attempt_take(a, &n, &body);
	assert_int_equal(body, SG_H1_BODY_LENGTH);
	assert_true(n < sizeof(o->taken));
	memcpy(o->taken, p, n);
	assert_null(a->h1);
}

static void b_fail(struct sg_attempt *a, enum sg_fail kind, int err)
{
	(void)kind;
	(void)err;
	((struct bytes_owner *)a->owner)->fails++;
}

static void b_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	(void)loop;
	(void)io;
	(void)revents;
}

static const struct sg_attempt_ops bytes_ops = {
	.send = b_send,
	.fail = b_fail,
	.on_io = b_io,
	.h1x = b_h1x,
	.written = b_written,
	.head = b_head,
};

/* The backend's side of one try: accept it, read the request whole, and
 * answer `resp`. Returns the request's bytes in buf. */
static void serve_one(struct env *e, struct bytes_owner *o, int want_sends, const char *resp,
		      char *buf, size_t cap)
{
	int fd = -1;
	size_t got = 0;

	for (int i = 0; i < 300 && fd < 0; i++) {
		fd = accept4(e->listener, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			sg_loop_run_once(e->loop, 10);
	}
	assert_true(fd >= 0);
	RUN_UNTIL(e, o->sends == want_sends && o->written == want_sends);
	for (int i = 0; i < 300 && !strstr(buf, "\r\n\r\n"); i++) {
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);

		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
		sg_loop_run_once(e->loop, 10);
	}
	assert_int_equal(send(fd, resp, strlen(resp), 0), (ssize_t)strlen(resp));
	close(fd); /* the exchange has read it, or will: a FIN after the answer */
}

/* An owner that keeps its exchange: the first try runs in it; a status
 * retry begun from inside the head callback drops that try and connects
 * anew, and runs in the owner's exchange again once connected (the call
 * it began in is over by then; one that takes a pooled connection at once
 * finds the exchange still inside it and runs in an allocated one:
 * test_h1backend's test_owner_storage); the final head offers the
 * connection, which the owner takes with the bytes after the head. */
static void test_attempt_bytes_owner_retry_in_head(void **state)
{
	struct env *e = *state;
	struct bytes_owner o;
	char hosts[128], buf[2048] = "";
	const char *text = "GET /r HTTP/1.1\r\nHost: x\r\n\r\n";

	snprintf(hosts, sizeof(hosts), "      - host: 127.0.0.1:%u\n", e->port);
	begin(e, "      policies:\n        retry:\n          attempts: 2\n          codes: [500]\n",
	      hosts);
	memset(&o, 0, sizeof(o));
	o.own.hx.resp.headers = o.slots;
	o.own.hx.resp.headers_cap = 16;
	o.req.headers = o.req_slots;
	o.req.headers_cap = 8;
	assert_int_equal(sg_h1_parse_request(text, strlen(text), 8, &o.req), SG_H1_DONE);
	sg_attempt_init(&o.at, &bytes_ops, &o, e->loop, e->pool, NULL, &e->stats, &e->rng);
	sg_attempt_begin(&o.at, e->cfg->binds[0].listeners[0].key,
			 &e->cfg->binds[0].listeners[0].routes[0], true, &e->cfg->global);
	sg_attempt_start(&o.at);

	serve_one(e, &o, 1, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "GET /r HTTP/1.1\r\n"));
	RUN_UNTIL(e, o.heads == 1);
	assert_int_equal(o.status, 500);
	buf[0] = '\0';
	serve_one(e, &o, 2, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", buf, sizeof(buf));
	assert_non_null(strstr(buf, "GET /r HTTP/1.1\r\n"));
	RUN_UNTIL(e, o.heads == 2);
	assert_int_equal(o.status, 200);
	assert_true(o.own_used[0]);
	assert_true(o.own_used[1]);
	assert_int_equal(counter(e, SG_STAT_BACKEND_CONNECTS), 2);
	assert_string_equal(o.taken, "body");
	assert_int_equal(o.fails, 0);
	assert_int_equal(o.at.n, 1);
	sg_attempt_end(&o.at);
	sg_loop_run_once(e->loop, 0);
	sg_h1x_free(&o.own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attempt_connects_then_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_times_the_request, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_attempt_connect_refused_tries_the_other_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_retries_a_listed_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attempt_per_try_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_backoff_cut_by_request_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attempt_stale_pooled_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attempt_no_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_retry_keeps_out_of_the_invalid_share,
						setup, teardown),
		cmocka_unit_test(test_attempt_default_host),
		cmocka_unit_test_setup_teardown(test_attempt_bytes_owner_retry_in_head, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
