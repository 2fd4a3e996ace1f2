/* Unit tests of user/core/request.c, one request's life for every frontend,
 * on a real loop, a real config and real loopback backends: the frontend
 * is a fake sink that records what the request module asks of it (the
 * answers the gateway makes, a cut, a try's send), and what is asserted
 * is what a client would see through it (status, edit lines, exact body),
 * what a backend would receive, the stats and the access log line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture.h"
#include "loopback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/loop.h"
#include "user/core/admit.h"
#include "user/core/backend.h"
#include "user/core/frontend.h"
#include "user/core/mirror.h"
#include "user/core/request.h"
#include "user/core/stats.h"

#define NREQ 2 /* requests a case keeps at once */

/* What the sink was asked, across the case's requests. */
struct seen {
	int answers, cuts, sends, failed, routed, held, responds, releases;
	char fields[256];   /* a held response's header names as respond got them */
	char trailers[256]; /* and its trailers, "name: value\n" each */
	uint16_t status;
	char lines[1024]; /* the answer's edit lines, "name: value\n" each */
	char body[512];
	size_t body_len;
	bool text;
	char sent[2048]; /* the last try's request head, as a backend gets it */
};

struct env;

/* A request's owner, the frontend's per-request object. */
struct fake {
	struct env *e;
	size_t i; /* its index in e->r */
};

struct env {
	struct sg_loop *loop;
	struct sg_stats stats;
	struct sg_frontend f;
	struct sg_cfg *cfgs[3]; /* the case's configs, f.cfg one of them */
	struct sg_request r[NREQ];
	struct fake fake[NREQ];
	struct sg_timer timer[NREQ];
	/* Each request's head: the bytes and their parse. */
	char head[NREQ][512];
	struct sg_h1_header slots[NREQ][32];
	struct sg_h1_req req[NREQ];
	uint64_t moved[NREQ]; /* body bytes moved (the sink's progress) */
	const char *held;     /* the body the frontend holds (NULL: none) */
	struct seen seen;
	int backend; /* a listening loopback socket */
	uint16_t port;
	int refused; /* bound, not listening: its port refuses every connect */
	uint16_t refused_port;
	struct test_capture log; /* the access log, while captured */
};

/* ---- the fake frontend ---------------------------------------------------- */

static struct env *env_of(const struct sg_request *r)
{
	return ((const struct fake *)r->owner)->e;
}

static size_t index_of(const struct sg_request *r)
{
	return ((const struct fake *)r->owner)->i;
}

/* An answer's edit lines and body, as the sink got them. */
static void keep(struct seen *s, const struct sg_h1_edit *edit, const char *body, size_t len)
{
	size_t o = 0;

	s->lines[0] = '\0';
	for (size_t i = 0; i < sg_h1_edit_lines(edit, NULL); i++)
		o += (size_t)snprintf(s->lines + o, sizeof(s->lines) - o, "%.*s: %.*s\n",
				      (int)edit->add[i].name.len, edit->add[i].name.p,
				      (int)edit->add[i].value.len, edit->add[i].value.p);
	assert_true(len < sizeof(s->body));
	if (len)
		memcpy(s->body, body, len);
	s->body[len] = '\0';
	s->body_len = len;
}

static void sink_answer(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
			const char *body, size_t len, bool text)
{
	struct seen *s = &env_of(r)->seen;

	s->answers++;
	s->status = status;
	s->text = text;
	keep(s, edit, body, len);
	r->phase = SG_REQUEST_DONE;
}

/* A held response, whole: its status, header names, edit and body. */
static void sink_respond(struct sg_request *r, const struct sg_h1_resp *resp,
			 const struct sg_h1_edit *edit, const char *body, size_t len,
			 const struct sg_h2_field *t, size_t nt)
{
	struct seen *s = &env_of(r)->seen;
	size_t o = 0;

	s->trailers[0] = '\0';
	for (size_t i = 0; i < nt; i++)
		o += (size_t)snprintf(s->trailers + o, sizeof(s->trailers) - o, "%.*s: %.*s\n",
				      (int)t[i].name_len, t[i].name, (int)t[i].value_len,
				      t[i].value);
	o = 0;

	s->responds++;
	s->status = resp->status;
	s->fields[0] = '\0';
	for (size_t i = 0; i < resp->nheaders; i++)
		o += (size_t)snprintf(s->fields + o, sizeof(s->fields) - o, "%.*s\n",
				      (int)resp->headers[i].name.len, resp->headers[i].name.p);
	keep(s, edit, body, len);
	sg_request_response_head(r, resp, edit); /* as a frontend does */
	r->phase = SG_REQUEST_DONE;
}

/* A response head with `status` and no fields went to the client. */
static void head_sent(struct sg_request *r, uint16_t status)
{
	struct sg_h1_resp resp = { .status = status, .content_length = -1 };

	sg_request_response_head(r, &resp, NULL);
}

/* A held response released past the bound: its head transformed as a
 * frontend does it, and its first bytes. */
static void sink_release(struct sg_request *r, const struct sg_h1_resp *resp, const char *body,
			 size_t len)
{
	struct seen *s = &env_of(r)->seen;
	struct sg_h1_edit edit;

	s->releases++;
	s->status = resp->status;
	sg_request_transform_response(r, resp);
	sg_filter_response_edit(&r->plan, &edit);
	keep(s, &edit, body, len);
	r->phase = SG_REQUEST_RESPONSE;
}

static void sink_cut(struct sg_request *r)
{
	env_of(r)->seen.cuts++;
}

/* The try's copy of the request, written as the HTTP/1 frontend writes it
 * to its backend (the try's plan's edit). */
static void sink_send(struct sg_request *r)
{
	struct seen *s = &env_of(r)->seen;
	struct sg_h1_edit edit;
	ssize_t n;

	s->sends++;
	sg_filter_request_edit(&r->plan, &edit);
	sg_attempt_default_host(r->at.backend, r->req, &edit);
	n = sg_h1_write_request_edit(r->req, &edit, r->ip, r->at.n, NULL, s->sent,
				     sizeof(s->sent) - 1);
	assert_true(n > 0);
	s->sent[n] = '\0';
	sg_io_set(r->at.loop, &r->at.conn->io, 0); /* nothing more: the case decides */
}

static void sink_failed(struct sg_request *r)
{
	env_of(r)->seen.failed++;
}

static void sink_held_body(const struct sg_request *r, struct sg_mirror_request *m)
{
	const char *held = env_of(r)->held;

	env_of(r)->seen.held++;
	m->body = held;
	m->body_len = held ? strlen(held) : 0;
	m->body_whole = true;
}

static uint64_t sink_progress(const struct sg_request *r)
{
	return env_of(r)->moved[index_of(r)];
}

static void sink_routed(struct sg_request *r)
{
	env_of(r)->seen.routed++;
}

static const struct sg_request_sink sink = {
	.answer = sink_answer,
	.cut = sink_cut,
	.send = sink_send,
	.failed = sink_failed,
	.respond = sink_respond,
	.release = sink_release,
	.held_body = sink_held_body,
	.progress = sink_progress,
	.routed = sink_routed,
};

/* The attempt engine's owner side, as a frontend that refreshes its timer
 * and I/O mask when asked. */
static void rearm(struct sg_request *r)
{
	struct sg_timer *t = &env_of(r)->timer[index_of(r)];
	uint64_t due = sg_attempt_due(&r->at);

	if (due)
		sg_timer_arm(r->ctx->loop, t, due);
	else
		sg_timer_stop(r->ctx->loop, t);
}

static struct sg_request *of_owner(void *owner)
{
	struct fake *o = owner;

	return &o->e->r[o->i];
}

static void on_wait(struct sg_attempt *a)
{
	struct sg_request *r = of_owner(a->owner);

	if (a->conn && !a->connected)
		sg_io_set(a->loop, &a->conn->io, EPOLLOUT);
	rearm(r);
}

static void on_dropped(struct sg_attempt *a)
{
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_request *r = of_owner(io->data);

	if (!r->at.connected)
		sg_attempt_connected(&r->at);
}

static void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_request *r = t->data;

	if (!sg_attempt_expire(&r->at, sg_loop_now(loop)))
		rearm(r);
}

static const struct sg_attempt_ops ops = {
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = on_dropped,
	.wait = on_wait,
	.on_io = on_io,
};

/* ---- the environment ------------------------------------------------------ */

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	sg_stats_init(&e->stats);
	e->f.loop = e->loop;
	e->f.pool = sg_pool_new(e->loop);
	e->f.admit = sg_admit_new();
	assert_non_null(e->f.admit);
	e->f.engine = e->f.upload = e->f.tunnel = SG_RELAY_COPY;
	e->f.stats = &e->stats;
	e->f.access_log = SG_ACCESS_LOG_OFF;
	e->f.rng = 0x9e3779b97f4a7c15ULL;
	e->f.mirroring = sg_mirroring_new(e->loop, e->f.pool, NULL, &e->stats);
	assert_non_null(e->f.mirroring);
	e->backend = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	test_capture_init(&e->log);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < NREQ; i++) {
		if (!e->r[i].sink)
			continue;
		sg_request_free(&e->r[i]);
		sg_request_release(&e->r[i]);
		sg_timer_stop(e->loop, &e->timer[i]);
	}
	sg_mirroring_free(e->f.mirroring);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_pool_free(e->f.pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	for (int i = 0; i < 3; i++)
		sg_cfg_unref(e->cfgs[i]);
	sg_admit_free(e->f.admit);
	sg_stats_destroy(&e->stats);
	test_capture_end(&e->log, NULL, 0); /* a case that failed while capturing */
	close(e->backend);
	close(e->refused);
	free(e);
	return 0;
}

/* Config i of the case, from `fmt` (printf: each %1$u is the test's
 * backend's port, %2$u a port that refuses connects). */
__attribute__((format(printf, 3, 4))) static struct sg_cfg *config(struct env *e, int i,
								   const char *fmt, ...)
{
	char text[4096];
	struct sg_diag d;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sg_diag_init(&d);
	e->cfgs[i] = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->cfgs[i])
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	return e->cfgs[i];
}

/* One bind with a listener for web.example: a direct response, a
 * redirect, a route to the test's backend (whose backend policy edits the
 * request), one to a port that refuses (tried three times), one with a
 * responseIdleTimeout, one with a local rate limit of one token, one
 * retried on 503, one mirrored to the test's backend (its own backend
 * refuses). `top`: YAML before binds: (may be ""). */
#define WEB_CONFIG(top)                                                                            \
	top "binds:\n"                                                                             \
	    "- port: 8080\n"                                                                       \
	    "  listeners:\n"                                                                       \
	    "  - name: web\n"                                                                      \
	    "    hostname: web.example\n"                                                          \
	    "    protocol: HTTP\n"                                                                 \
	    "    routes:\n"                                                                        \
	    "    - name: direct\n"                                                                 \
	    "      matches: [{path: {pathPrefix: /direct}}]\n"                                     \
	    "      policies:\n"                                                                    \
	    "        directResponse: {body: \"hello!\", status: 418}\n"                            \
	    "        responseHeaderModifier: {add: {X-Direct: \"yes\"}}\n"                         \
	    "    - name: redirect\n"                                                               \
	    "      matches: [{path: {pathPrefix: /old}}]\n"                                        \
	    "      policies:\n"                                                                    \
	    "        requestRedirect: {scheme: https, authority: {host: example.org}, "            \
	    "status: 301}\n"                                                                       \
	    "    - name: app\n"                                                                    \
	    "      matches: [{path: {pathPrefix: /app}}]\n"                                        \
	    "      policies:\n"                                                                    \
	    "        requestHeaderModifier: {add: {X-Route: r}}\n"                                 \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "        policies:\n"                                                                  \
	    "          requestHeaderModifier: {add: {X-Backend: b}, remove: [X-Route]}\n"          \
	    "    - name: dead\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /dead}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        retry: {attempts: 2, backoff: 1ms}\n"                                         \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%2$u\n"                                                       \
	    "    - name: slow\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /slow}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        timeout: {responseIdleTimeout: 200ms}\n"                                      \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: limited\n"                                                                \
	    "      matches: [{path: {pathPrefix: /limited}}]\n"                                    \
	    "      policies:\n"                                                                    \
	    "        localRateLimit: [{maxTokens: 1, tokensPerFill: 1, fillInterval: 1h}]\n"       \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: again\n"                                                                  \
	    "      matches: [{path: {pathPrefix: /again}}]\n"                                      \
	    "      policies:\n"                                                                    \
	    "        retry: {attempts: 1, codes: [503]}\n"                                         \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: mirrored\n"                                                               \
	    "      matches: [{path: {pathPrefix: /mirrored}}]\n"                                   \
	    "      policies:\n"                                                                    \
	    "        requestMirror: {backend: {host: 127.0.0.1:%1$u}, percentage: 1}\n"            \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%2$u\n"                                                       \
	    "    - name: cond\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /cond}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        retry:\n"                                                                     \
	    "          attempts: 3\n"                                                              \
	    "          codes: [503]\n"                                                             \
	    "          precondition: 'request.method == \"GET\"'\n"                                \
	    "          condition: 'response.headers[\"x-failed\"] == \"yes\"'\n"                   \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: expr\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /expr}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        directResponse:\n"                                                            \
	    "          status: 200\n"                                                              \
	    "          bodyExpression: '{\"path\": request.path, \"n\": 1}'\n"                     \
	    "          headers: {X-Method: request.method, X-None: "                               \
	    "'request.headers[\"x-none\"]'}\n"                                                     \
	    "    - name: broken\n"                                                                 \
	    "      matches: [{path: {pathPrefix: /broken}}]\n"                                     \
	    "      policies:\n"                                                                    \
	    "        directResponse: {status: 200, bodyExpression: "                               \
	    "'request.headers[\"x-none\"]'}\n"                                                     \
	    "    - name: bodyx\n"                                                                  \
	    "      matches: [{path: {pathPrefix: /bodyx}}]\n"                                      \
	    "      policies:\n"                                                                    \
	    "        authorization: {rules: ['size(request.body) == 0 || "                         \
	    "json(request.body).user != \"mallory\"']}\n"                                          \
	    "        transformations:\n"                                                           \
	    "          request:\n"                                                                 \
	    "            set: {x-user: json(request.body).user}\n"                                 \
	    "            body: '{\"who\": json(request.body).user}'\n"                             \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: held\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /held}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        transformations:\n"                                                           \
	    "          response:\n"                                                                \
	    "            set: {x-n: 'string(size(response.body))', x-p: "                          \
	    "'string(response.bodyPrefix)'}\n"                                                     \
	    "            body: '{\"a\": json(response.body).a, \"n\": size(response.body)}'\n"     \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"                                                       \
	    "    - name: peek\n"                                                                   \
	    "      matches: [{path: {pathPrefix: /peek}}]\n"                                       \
	    "      policies:\n"                                                                    \
	    "        transformations:\n"                                                           \
	    "          response:\n"                                                                \
	    "            set: {x-n: 'string(size(response.body))', x-p: "                          \
	    "'string(response.bodyPrefix)'}\n"                                                     \
	    "      backends:\n"                                                                    \
	    "      - host: 127.0.0.1:%1$u\n"

/* The web config in force, with `top` before its binds. */
#define START(e, top) start(e, config(e, 0, WEB_CONFIG(top), (e)->port, (e)->refused_port))

static void start(struct env *e, struct sg_cfg *cfg)
{
	e->f.cfg = cfg;
	for (size_t i = 0; i < NREQ; i++) {
		e->fake[i] = (struct fake){ e, i };
		sg_request_init(&e->r[i], &sink, &e->fake[i], &e->f, &cfg->binds[0], "192.0.2.7",
				40000, -1, &ops);
		sg_timer_init(&e->timer[i], on_timer, &e->r[i]);
	}
}

/* Request i's head `text` (parsed) begins on the config in force: what
 * sg_request_begin says. */
static bool begin(struct env *e, int i, const char *text)
{
	struct sg_request_head h;

	assert_true(strlen(text) < sizeof(e->head[i]));
	strcpy(e->head[i], text);
	e->req[i] = (struct sg_h1_req){ .headers = e->slots[i], .headers_cap = 32 };
	assert_int_equal(sg_h1_parse_request(e->head[i], strlen(text), 32, &e->req[i]), SG_H1_DONE);
	h = (struct sg_request_head){
		.req = &e->req[i],
		.cfg = e->f.cfg,
		.bind = &e->f.cfg->binds[0],
		.replayable = true,
		.engine = SG_RELAY_COPY,
	};
	return sg_request_begin(&e->r[i], &h);
}

/* Loop passes until `cond` holds, for at most 3 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			sg_loop_run_once((e)->loop, 5);                                            \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

/* How many (listener, route, status) requests the stats counted. */
static uint64_t counted(struct env *e, const char *listener, const char *route, uint16_t status)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->stats.nreqs; i++) {
		const struct sg_stat_req *q = &e->stats.reqs[i];

		if (!strcmp(q->listener, listener) && !strcmp(q->route, route) &&
		    q->status == status)
			n += q->count;
	}
	return n;
}

/* Every request the stats counted, whatever its labels. */
static uint64_t counted_all(struct env *e)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->stats.nreqs; i++)
		n += e->stats.reqs[i].count;
	return n;
}

/* The access log goes to a pipe until test_capture_end(&e->log) reads it. */
static void capture_log(struct env *e, enum sg_access_log how)
{
	e->f.access_log = how;
	test_capture_start(&e->log, STDOUT_FILENO);
}

/* ---- routing ---------------------------------------------------------------- */

/* A routed request is forwarded: nothing is answered, its listener and
 * route are the ones its Host and path choose, the routed hook ran once
 * and the body watchdog runs with --body-idle-timeout. */
static void test_request_routed_and_forwarded(void **state)
{
	struct env *e = *state;

	e->f.body_idle_ms = 5000;
	START(e, "");
	assert_true(begin(e, 0, "GET /app/x HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.routed, 1);
	assert_int_equal(e->seen.answers + e->seen.cuts + e->seen.sends, 0);
	assert_non_null(e->r[0].listener);
	assert_string_equal(e->r[0].listener->key, "bind/8080/web");
	assert_non_null(e->r[0].at.route);
	assert_string_equal(e->r[0].at.route->key, "bind/8080/web/app");
	assert_true(e->r[0].held);
	assert_false(e->r[0].is_head);
	assert_int_equal(e->r[0].status, 0);
	assert_int_equal(e->r[0].body_idle.limit, 5000);
	assert_false(e->r[0].route_idle);
	assert_int_equal(e->stats.requests_active, 1);
	assert_int_equal(counted_all(e), 0); /* counted when answered */
}

/* A path no route takes: 404 with the failure text, counted under its
 * listener with no route. */
static void test_request_no_route_404(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /nothing HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.routed, 1);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.body, "route not found");
	assert_true(e->seen.text);
	assert_string_equal(e->seen.lines, "");
	assert_string_equal(e->r[0].listener->key, "bind/8080/web");
	assert_null(e->r[0].at.route);
	assert_int_equal(counted(e, "bind/8080/web", "", 404), 1);
	assert_int_equal(counted_all(e), 1);
}

/* A Host that no listener of the bind takes: 404, counted under the bind. */
static void test_request_host_without_listener_404(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /app HTTP/1.1\r\nHost: other.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.body, "route not found");
	assert_null(e->r[0].listener);
	assert_null(e->r[0].at.route);
	assert_int_equal(counted(e, "bind/8080", "", 404), 1);
	assert_int_equal(counted_all(e), 1);
}

/* Requests in turn on one struct sg_request (an HTTP/1 connection's),
 * ended as the frontends end one (logged, released, its plan reset): the
 * second, with no route, gets no line of the first's route response edit,
 * and each is counted and logged once. */
static void test_request_in_turn_forget_the_last(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_string_equal(e->seen.lines, "X-Direct: yes\n");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 2);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.lines, "");
	assert_null(e->r[0].at.route);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log,
			    "info  request gateway=default/default listener=bind/8080/web "
			    "route=bind/8080/web/direct endpoint=- src.addr=192.0.2.7 "
			    "http.method=GET http.host=web.example http.path=/direct "
			    "http.version=HTTP/1.1 http.status=418 protocol=HTTP attempts=1 "
			    "duration=0ms bytes_in=0 bytes_out=0 engine=copy\n"
			    "info  request gateway=default/default listener=bind/8080/web "
			    "route=- endpoint=- src.addr=192.0.2.7 http.method=GET "
			    "http.host=web.example http.path=/none http.version=HTTP/1.1 "
			    "http.status=404 protocol=HTTP attempts=1 duration=0ms bytes_in=0 "
			    "bytes_out=0 engine=copy reason=no_route error=\"route not found\"\n");
	assert_int_equal(counted_all(e), 2);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 0);
}

/* ---- admission -------------------------------------------------------------- */

/* maxConcurrentRequests 1: a second request while the first is in
 * progress gets 503 "request limit exceeded" (counted as refused); once
 * the first is released, another is let in. */
static void test_request_admission_503_and_release(void **state)
{
	struct env *e = *state;

	START(e, "frontendPolicies:\n  http: {maxConcurrentRequests: 1}\n");
	assert_true(begin(e, 0, "GET /app/1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);

	assert_false(begin(e, 1, "GET /app/2 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "request limit exceeded");
	assert_true(e->seen.text);
	assert_false(e->r[1].held);
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 503), 1);
	sg_request_release(&e->r[1]); /* not held: gives nothing back */
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);

	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_request_release(&e->r[0]); /* once */
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 0);

	assert_true(begin(e, 1, "GET /app/3 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_true(e->r[1].held);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
}

/* ---- the route's own answers --------------------------------------------- */

/* A directResponse: its status and exact body, the route's response edit,
 * not the gateway's failure text; no try. */
static void test_request_direct_response(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /direct/x HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 418);
	assert_string_equal(e->seen.body, "hello!");
	assert_int_equal(e->seen.body_len, 6);
	assert_false(e->seen.text);
	assert_string_equal(e->seen.lines, "X-Direct: yes\n");
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/direct", 418), 1);
}

/* directResponse's CEL: bodyExpression (a map is written as JSON) and
 * headers (a line whose expression fails is left out); a body expression
 * that fails answers 500, agentgateway's invalid filter configuration. */
static void test_request_direct_response_expressions(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /expr HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.body, "{\"path\":\"/expr\",\"n\":1}");
	assert_string_equal(e->seen.lines, "x-method: GET\n");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_false(begin(e, 0, "GET /broken HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 2);
	assert_int_equal(e->seen.status, 500);
	assert_true(e->seen.text);
	assert_int_equal(e->seen.sends, 0);
}

/* A route whose expressions read request.body: its filters wait for the
 * body (begin plans nothing), then run over it at start: an
 * authorization rule refuses by it (403), a transformation sets a header
 * from it and replaces it, and the head the backend gets says the new
 * body's length. A declared length over maxBufferSize is answered 413
 * before any of it is read. */
static void test_request_body_held_for_expressions(void **state)
{
	struct env *e = *state;

	START(e, "frontendPolicies:\n  http: {maxBufferSize: 64}\n");
	assert_false(begin(
		e, 0, "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nContent-Length: 65\r\n\r\n"));
	assert_int_equal(e->seen.status, 413);
	assert_string_equal(e->seen.body, "payload too large");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(
		e, 0, "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nContent-Length: 18\r\n\r\n"));
	assert_true(e->r[0].body_wanted && e->r[0].at.replayable);
	assert_int_equal(e->r[0].body_max, 64);
	e->held = "{\"user\":\"mallory\"}";
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.status, 403);
	assert_string_equal(e->seen.body, "authorization failed");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 0,
			  "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nTransfer-Encoding: "
			  "chunked\r\n\r\n"));
	e->held = "{\"user\":\"alice\"}";
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 2);
	assert_true(!strncmp(e->seen.sent, "POST /bodyx HTTP/1.1\r\n", 22));
	assert_non_null(strstr(e->seen.sent, "\r\ncontent-length: 15\r\n"));
	assert_null(strstr(e->seen.sent, "Transfer-Encoding"));
	assert_non_null(strstr(e->seen.sent, "\r\nx-user: alice\r\n"));
	assert_true(e->r[0].plan.body_set);
	assert_int_equal(e->r[0].plan.new_body.len, 15);
	assert_memory_equal(e->r[0].plan.new_body.p, "{\"who\":\"alice\"}", 15);
	sg_request_free(&e->r[0]);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	start(e, e->f.cfg);

	/* no body came, none goes (the expression failed: empty): the head
	 * gets no content-length */
	assert_true(begin(e, 0, "GET /bodyx HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	e->held = NULL;
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 2);
	assert_null(strstr(e->seen.sent, "content-length"));
	assert_int_equal(e->r[0].plan.new_body.len, 0);
}

/* A requestRedirect: the status and Location, no body. */
static void test_request_redirect(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /old/page?q=1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 301);
	assert_string_equal(e->seen.lines, "location: https://example.org/old/page?q=1\n");
	assert_int_equal(e->seen.body_len, 0);
	assert_false(e->seen.text);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/redirect", 301), 1);
}

/* HEAD is flagged, so that the frontend answers with the head alone. */
static void test_request_head_flag(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "HEAD /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_true(e->r[0].is_head);
	assert_int_equal(e->seen.status, 418);
	assert_false(begin(e, 1, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_false(e->r[1].is_head);
}

/* ---- failures ----------------------------------------------------------------- */

/* A gRPC caller's failure: 200 with content-type, grpc-status and a
 * percent-encoded grpc-message, no body. */
static void test_request_grpc_failure(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0,
			   "POST /pkg.Svc/Call HTTP/1.1\r\nHost: web.example\r\n"
			   "Content-Type: application/grpc+proto\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines, "content-type: application/grpc\n"
					   "grpc-status: 12\n"
					   "grpc-message: route%20not%20found\n");
	assert_int_equal(e->seen.body_len, 0);
	assert_false(e->seen.text);
	assert_int_equal(counted(e, "bind/8080/web", "", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* A failure once part of the response went out: the response is cut,
 * nothing is answered, the status it began with stays counted alone. */
static void test_request_failure_after_response_began_cuts(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_true(begin(e, 0, "GET /app HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	head_sent(&e->r[0], 200);
	e->r[0].resp_started = true;
	sg_request_fail(&e->r[0], SG_FAIL_RESET, ECONNRESET);
	assert_int_equal(e->seen.cuts, 1);
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(e->r[0].status, 200);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* ---- counted and logged once ------------------------------------------------- */

/* A request answered is counted once with its status and leaves one
 * access log line with what the client saw, however often it is logged;
 * the active requests gauge goes back to 0 once. */
static void test_request_counted_and_logged_once(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct/a?b=c HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->stats.requests_active, 1);
	e->r[0].bytes_in = 3;
	e->r[0].bytes_out = 5;
	sg_request_log(&e->r[0], 2, 4);
	sg_request_log(&e->r[0], 2, 4);
	assert_null(e->r[0].req);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "info  request gateway=default/default listener=bind/8080/web "
				 "route=bind/8080/web/direct endpoint=- src.addr=192.0.2.7 "
				 "http.method=GET http.host=web.example http.path=/direct/a?b=c "
				 "http.version=HTTP/1.1 http.status=418 protocol=HTTP attempts=1 "
				 "duration=0ms bytes_in=5 bytes_out=9 engine=copy\n");
	assert_int_equal(e->stats.requests_active, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/direct", 418), 1);
	assert_int_equal(counted_all(e), 1);
}

/* The JSON line of a request no listener took: empty names. */
static void test_request_logged_json_without_listener(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_JSON);
	assert_false(begin(e, 0, "DELETE /x HTTP/1.1\r\nHost: nobody.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log,
			    "{\"level\":\"info\",\"gateway\":\"\",\"listener\":\"\","
			    "\"route\":\"\",\"endpoint\":\"\",\"src.addr\":\"192.0.2.7\","
			    "\"http.method\":\"DELETE\",\"http.host\":\"nobody.example\","
			    "\"http.path\":\"/x\",\"http.version\":\"HTTP/1.1\","
			    "\"http.status\":404,\"protocol\":\"HTTP\",\"attempts\":1,"
			    "\"duration_ms\":0,\"bytes_in\":0,\"bytes_out\":0,\"engine\":\"copy\","
			    "\"reason\":\"no_route\",\"error\":\"route not found\"}\n");
}

/* frontendPolicies.accessLog: its filter leaves out the request it is
 * false for (still counted), its fields are added at the end of the line
 * (a name the line has is replaced there) and its removed names are gone. */
static void test_request_log_policy_text(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "frontendPolicies:\n"
		 "  accessLog:\n"
		 "    filter: 'request.path.startsWith(\"/direct\")'\n"
		 "    add:\n"
		 "      user: 'request.headers[\"x-user\"]'\n"
		 "      http.host: '\"hidden\"'\n"
		 "      code: 'response.code + 1'\n"
		 "      missing: 'request.headers[\"x-none\"]'\n"
		 "    remove: [src.addr, duration, engine]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(
		begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\nX-User: ann\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "info  request gateway=default/default listener=bind/8080/web "
				 "route=bind/8080/web/direct endpoint=- http.method=GET "
				 "http.path=/direct http.version=HTTP/1.1 http.status=418 "
				 "protocol=HTTP attempts=1 bytes_in=0 bytes_out=0 user=ann "
				 "http.host=hidden code=419\n");
	assert_int_equal(counted_all(e), 2);
}

/* config.logging: its format (json) and fields when no accessLog policy
 * has any; numbers, lists and maps are JSON, strings escaped. */
static void test_request_log_policy_json_from_config(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "config:\n"
		 "  logging:\n"
		 "    format: json\n"
		 "    fields:\n"
		 "      add:\n"
		 "        n: '1 + 2'\n"
		 "        l: '[1, \"a\\\"b\", true]'\n"
		 "        m: '{\"k\": request.method}'\n"
		 "      remove: [gateway, listener, route, endpoint, src.addr, http.host,\n"
		 "               http.version, protocol, attempts, duration, bytes_in,\n"
		 "               bytes_out, engine, reason, error]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "PUT /q\"x HTTP/1.1\r\nHost: nobody.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "{\"level\":\"info\",\"http.method\":\"PUT\","
				 "\"http.path\":\"/q\\\"x\",\"http.status\":404,\"n\":3,"
				 "\"l\":[1,\"a\\\"b\",true],\"m\":{\"k\":\"PUT\"}}\n");
}

/* The context beyond the head: source.port (the connection's), request.uri,
 * env.* (POD_NAME, NAMESPACE and GATEWAY, as agentgateway reads them; an
 * unset one is absent) and the request's start and end times. */
static void test_request_log_policy_context(void **state)
{
	struct env *e = *state;
	char log[2048];

	setenv("POD_NAME", "pod-7", 1);
	unsetenv("NAMESPACE");
	START(e, "config:\n"
		 "  logging:\n"
		 "    format: json\n"
		 "    fields:\n"
		 "      add:\n"
		 "        port: source.port\n"
		 "        uri: request.uri\n"
		 "        pod: env.podName\n"
		 "        ns: 'default(env.namespace, \"none\")'\n"
		 "        times: 'request.startTime <= request.endTime &&\n"
		 "          request.endTime - request.startTime < duration(\"60s\") &&\n"
		 "          request.startTime > timestamp(\"2026-01-01T00:00:00Z\")'\n"
		 "      remove: [gateway, listener, route, endpoint, src.addr, http.host,\n"
		 "               http.version, protocol, attempts, duration, bytes_in,\n"
		 "               bytes_out, engine, reason, error]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct?a=1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "{\"level\":\"info\",\"http.method\":\"GET\","
				 "\"http.path\":\"/direct?a=1\",\"http.status\":418,\"port\":40000,"
				 "\"uri\":\"http://web.example/direct?a=1\",\"pod\":\"pod-7\","
				 "\"ns\":\"none\",\"times\":true}\n");
}

/* config.logging level warn: no request line (agentgateway's are info);
 * --access-log given (fixed) keeps its own format over config.logging's. */
static void test_request_log_level_and_fixed_format(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "config:\n  logging: {level: warn}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	assert_string_equal(log, "");
	assert_int_equal(counted_all(e), 1);

	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	capture_log(e, SG_ACCESS_LOG_TEXT);
	e->f.access_log_fixed = true;
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " info  request gateway="));
}

/* A request that never began (no head yet) logs nothing. */
static void test_request_not_begun_not_logged(void **state)
{
	struct env *e = *state;
	char log[256];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "");
}

/* A route's local rate limit: the first request takes the token and is
 * forwarded; the next is answered 429 with the failure text and the
 * x-ratelimit-* lines; a gRPC caller's gets grpc-status 14 with them. */
static void test_request_rate_limit_refused_429(void **state)
{
	struct env *e = *state;
	static const char lines[] = "x-ratelimit-limit: 1\n"
				    "x-ratelimit-remaining: 0\n"
				    "x-ratelimit-reset: ";
	unsigned long reset;

	START(e, "");
	assert_true(begin(e, 0, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_false(begin(e, 1, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 429);
	assert_string_equal(e->seen.body, "rate limit exceeded");
	assert_true(e->seen.text);
	assert_true(!strncmp(e->seen.lines, lines, sizeof(lines) - 1));
	reset = strtoul(e->seen.lines + sizeof(lines) - 1, NULL, 10);
	assert_true(reset >= 1 && reset <= 3600);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/limited", 429), 1);

	sg_request_log(&e->r[1], 0, 0);
	sg_request_release(&e->r[1]);
	sg_filter_plan_reset(&e->r[1].plan);
	assert_false(begin(e, 1,
			   "POST /limited/S/M HTTP/1.1\r\nHost: web.example\r\n"
			   "Content-Type: application/grpc\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(e->seen.status, 200);
	assert_false(e->seen.text);
	assert_true(!strncmp(e->seen.lines,
			     "content-type: application/grpc\n"
			     "grpc-status: 14\n"
			     "grpc-message: rate%20limit%20exceeded\n"
			     "x-ratelimit-limit: 1\n"
			     "x-ratelimit-remaining: 0\n",
			     strlen("content-type: application/grpc\n"
				    "grpc-status: 14\n"
				    "grpc-message: rate%20limit%20exceeded\n"
				    "x-ratelimit-limit: 1\n"
				    "x-ratelimit-remaining: 0\n")));
}

/* ---- tries ----------------------------------------------------------------------- */

/* The first try reaches the backend: its backend's plan is made on top
 * of the route's (X-Route added by the route, removed by the backend,
 * X-Backend added), then the sink sends; the response head is counted,
 * and the log line names the endpoint. */
static void test_request_try_runs_backend_plan_and_sends(void **state)
{
	struct env *e = *state;
	char log[2048], want[128];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /app/y HTTP/1.1\r\nHost: web.example\r\nX-Route: c\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->r[0].phase, SG_REQUEST_ATTEMPT);
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 0);
	assert_non_null(e->r[0].at.backend);
	assert_true(!strncmp(e->seen.sent, "GET /app/y HTTP/1.1\r\nHost: web.example\r\n", 40));
	assert_null(strstr(e->seen.sent, "X-Route"));
	assert_non_null(strstr(e->seen.sent, "\r\nX-Backend: b\r\n"));
	assert_false(sg_attempt_took_status(&e->r[0].at, 200));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 11);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	snprintf(want, sizeof(want), " endpoint=127.0.0.1:%u ", e->port);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log,
			       " http.method=GET http.host=web.example http.path=/app/y "
			       "http.version=HTTP/1.1 http.status=200 protocol=HTTP attempts=1 "));
	assert_non_null(strstr(log, " bytes_in=0 bytes_out=11 engine=copy\n"));
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* Every try refused (retry attempts 2: three tries): the request fails
 * with the last cause, 503 with its text, through the sink's answer and
 * its failed hook; the log counts the three tries. */
static void test_request_tries_exhausted_503(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /dead HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(e->seen.failed, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "upstream call failed: connect: connection refused");
	assert_true(e->seen.text);
	assert_int_equal(e->r[0].at.n, 2);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_non_null(strstr(log, " http.status=503 protocol=HTTP attempts=3 "));
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/dead", 503), 1);
	assert_int_equal(counted_all(e), 1);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 2);
}

/* A response status the route's retry policy lists: the try is given up
 * and the next one sends again, numbered (x-retry-attempt: 1); the one
 * taken is counted once, and the log says two tries. */
static void test_request_retry_on_status(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /again HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_null(strstr(e->seen.sent, "x-retry-attempt"));
	assert_true(sg_attempt_took_status(&e->r[0].at, 503));
	UNTIL(e, e->seen.sends == 2);
	assert_int_equal(e->r[0].at.n, 1);
	assert_non_null(strstr(e->seen.sent, "\r\nx-retry-attempt: 1\r\n"));
	assert_false(sg_attempt_took_status(&e->r[0].at, 200));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_non_null(strstr(log, " route=bind/8080/web/again "));
	assert_non_null(strstr(log, " http.status=200 protocol=HTTP attempts=2 "));
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(counted_all(e), 1);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 1);
}

/* retry.condition: a response it holds for is retried as a listed code
 * is (a 200 saying it failed in a header); precondition false (a POST)
 * leaves the request one try, even for a listed code. */
static void test_request_retry_condition_and_precondition(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[8];
	struct sg_h1_resp failed = { .headers = slots, .headers_cap = 4 };
	struct sg_h1_resp ok = { .headers = slots + 4, .headers_cap = 2 };
	struct sg_h1_resp busy = { .headers = slots + 6, .headers_cap = 2 };
	static const char failed_text[] = "HTTP/1.1 200 OK\r\nX-Failed: yes\r\n\r\n";
	static const char ok_text[] = "HTTP/1.1 200 OK\r\nX-Failed: no\r\n\r\n";
	static const char busy_text[] = "HTTP/1.1 503 Busy\r\n\r\n";

	assert_int_equal(sg_h1_parse_response(failed_text, strlen(failed_text), 4, &failed),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_parse_response(ok_text, strlen(ok_text), 2, &ok), SG_H1_DONE);
	assert_int_equal(sg_h1_parse_response(busy_text, strlen(busy_text), 2, &busy), SG_H1_DONE);
	START(e, "");
	assert_true(begin(e, 0, "GET /cond HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_true(sg_request_took_response(&e->r[0], &failed));
	UNTIL(e, e->seen.sends == 2);
	assert_true(sg_request_took_response(&e->r[0], &busy));
	UNTIL(e, e->seen.sends == 3);
	assert_false(sg_request_took_response(&e->r[0], &ok));
	assert_int_equal(e->r[0].at.n, 2);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	/* Another request (the first one's connection stays with it, as its
	 * frontend would keep it until the response is over). */
	assert_true(begin(e, 1, "POST /cond HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[1]);
	UNTIL(e, e->seen.sends == 4);
	assert_false(sg_request_took_response(&e->r[1], &busy));
	assert_int_equal(e->r[1].at.n, 0);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 2);
}

/* The route's requestMirror: one copy when the first try starts, with
 * the held body asked for once, to the mirror backend, counted as sent
 * once that answers and closes; the request's own try goes on (its
 * backend refuses: 503 as if no mirror were there). */
static void test_request_route_mirror_sent_once(void **state)
{
	struct env *e = *state;
	char copy[1024] = "";
	size_t len = 0;
	int fd = -1;

	START(e, "");
	assert_true(begin(e, 0, "GET /mirrored/m HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.held, 1);
	for (int i = 0; i < 600 && !strstr(copy, "\r\n\r\n"); i++) {
		ssize_t n;

		sg_loop_run_once(e->loop, 5);
		if (fd < 0)
			fd = accept4(e->backend, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0 && (n = read(fd, copy + len, sizeof(copy) - 1 - len)) > 0)
			copy[len += (size_t)n] = '\0';
	}
	assert_true(fd >= 0);
	assert_true(!strncmp(copy, "GET /mirrored/m HTTP/1.1\r\nHost: web.example\r\n", 45));
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 503);
	assert_int_equal(e->seen.held, 1);
	assert_int_equal(write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38), 38);
	close(fd);
	UNTIL(e, e->stats.counters[SG_STAT_MIRROR_SENT] == 1);
	assert_int_equal(e->stats.counters[SG_STAT_MIRROR_FAILED], 0);
}

/* ---- a reload ------------------------------------------------------------------ */

/* A long-lived connection's next head follows the config in force to its
 * bind of the same port; nothing when its config is in force, or when the
 * new config has no such port. */
static void test_request_follow_config(void **state)
{
	struct env *e = *state;
	const struct sg_cfg *old = config(e, 0, WEB_CONFIG(""), e->port, e->refused_port);
	struct sg_cfg *two = config(e, 1,
				    "binds:\n"
				    "- port: 9090\n"
				    "  listeners:\n"
				    "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n"
				    "- port: 8080\n"
				    "  listeners:\n"
				    "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n",
				    e->port);
	struct sg_cfg *gone = config(e, 2,
				     "binds:\n"
				     "- port: 9090\n"
				     "  listeners:\n"
				     "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n",
				     e->port);
	const struct sg_bind *b;

	e->f.cfg = e->cfgs[0];
	assert_null(sg_request_follow_config(&e->f, old, &old->binds[0]));
	e->f.cfg = two;
	b = sg_request_follow_config(&e->f, old, &old->binds[0]);
	assert_ptr_equal(b, &two->binds[1]);
	assert_int_equal(b->port, 8080);
	assert_null(sg_request_follow_config(&e->f, two, &two->binds[1]));
	e->f.cfg = gone;
	assert_null(sg_request_follow_config(&e->f, old, &old->binds[0]));
	e->f.cfg = NULL; /* the case's configs are unref'd by teardown */
}

/* ---- fault injection (delay, conditional directResponse) ------------------- */

#define FAULT_CONFIG                                                                               \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: web\n"                                                                          \
	"    protocol: HTTP\n"                                                                     \
	"    routes:\n"                                                                            \
	"    - name: late\n"                                                                       \
	"      matches: [{path: {pathPrefix: /late}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        delay: {duration: '\"x-ms\" in request.headers ? 0 : 150'}\n"                     \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"                                               \
	"    - name: gate\n"                                                                       \
	"      matches: [{path: {pathPrefix: /gate}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        directResponse:\n"                                                                \
	"          conditional:\n"                                                                 \
	"          - {condition: 'request.headers[\"x-fail\"] == \"1\"', status: 503, body: "      \
	"boom}\n"                                                                                  \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"                                               \
	"    - name: held\n"                                                                       \
	"      matches: [{path: {pathPrefix: /held}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        delay: {duration: 100ms}\n"                                                       \
	"        directResponse: {status: 200, body: late}\n"

/* A delay is a timer on the loop: sg_request_start returns with nothing
 * sent, the try goes out once it passed; a zero delay sends at once. */
static void test_request_delay_on_the_loop(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	start(e, config(e, 0, FAULT_CONFIG, e->port));
	assert_true(begin(e, 0, "GET /late HTTP/1.1\r\nHost: a\r\n\r\n"));
	t0 = sg_loop_now(e->loop);
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.sends, 0);
	assert_true(sg_timer_armed(&e->r[0].delay));
	UNTIL(e, e->seen.sends == 1);
	assert_true(sg_loop_now(e->loop) >= t0 + 150);
	assert_int_equal(e->seen.answers, 0);
	sg_request_log(&e->r[0], 0, 0);
	sg_attempt_drop(&e->r[0].at);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 1, "GET /late HTTP/1.1\r\nHost: a\r\nx-ms: 0\r\n\r\n"));
	sg_request_start(&e->r[1]);
	assert_false(sg_timer_armed(&e->r[1].delay));
}

/* directResponse's conditional form: the entry whose condition holds
 * answers with its status and exact body; none: forwarded. A route's
 * directResponse waits for its delay. A request failed during its delay
 * (here, its log written) stops the timer. */
static void test_request_conditional_answer_and_delayed_answer(void **state)
{
	struct env *e = *state;

	start(e, config(e, 0, FAULT_CONFIG, e->port));
	assert_false(begin(e, 0, "GET /gate HTTP/1.1\r\nHost: a\r\nx-fail: 1\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "boom");
	sg_request_log(&e->r[0], 0, 0);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_true(begin(e, 1, "GET /gate HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	sg_request_log(&e->r[1], 0, 0);
	sg_filter_plan_reset(&e->r[1].plan);

	assert_true(begin(e, 0, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.answers, 1);
	UNTIL(e, e->seen.answers == 2);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.body, "late");
	assert_int_equal(e->seen.sends, 0);
	sg_request_log(&e->r[0], 0, 0);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 1, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n"));
	sg_request_start(&e->r[1]);
	assert_true(sg_timer_armed(&e->r[1].delay));
	sg_request_fail(&e->r[1], SG_FAIL_REQUEST_TIMEOUT, 0);
	assert_false(sg_timer_armed(&e->r[1].delay));
	assert_int_equal(e->seen.status, 504);
}

/* ---- the body watchdog ------------------------------------------------------- */

/* --body-idle-timeout: no stall before the deadline; at it with no byte
 * moved while a body flows, a stall, and the timeout answers 408 (counted
 * under its own counter); a byte moved in time moves the deadline on. */
static void test_request_body_watchdog(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	e->f.body_idle_ms = 100;
	START(e, "");
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\n"
			  "Content-Length: 10\r\n\r\n"));
	t0 = e->r[0].started;
	e->r[0].phase = SG_REQUEST_BODY;
	assert_int_equal(e->r[0].body_idle.due, t0 + 100);
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 99, false, NULL, NULL));
	/* A byte moved at t0 + 50: the deadline is 100 ms after it. */
	e->moved[0] = 1;
	sg_idle_note(&e->r[0].body_idle, t0 + 50, sink_progress(&e->r[0]));
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 100, false, NULL, NULL));
	assert_int_equal(e->r[0].body_idle.due, t0 + 150);
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 149, false, NULL, NULL));
	assert_true(sg_request_body_stalled(&e->r[0], t0 + 150, false, NULL, NULL));
	sg_request_body_timeout(&e->r[0]);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 408);
	assert_string_equal(e->seen.body, "request body timeout");
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_BODY], 1);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_RESPONSE_IDLE], 0);
	assert_int_equal(e->r[0].body_idle.due, 0);
}

/* While the request waits for a response head (no body flowing), the
 * deadline passing is no stall; the route's responseIdleTimeout replaces
 * --body-idle-timeout and is counted as such. */
static void test_request_body_watchdog_route_idle(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	e->f.body_idle_ms = 100;
	START(e, "");
	assert_true(begin(e, 0, "GET /slow HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	t0 = e->r[0].started;
	assert_true(e->r[0].route_idle);
	assert_int_equal(e->r[0].body_idle.limit, 200);
	e->r[0].phase = SG_REQUEST_ATTEMPT;
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 200, false, NULL, NULL));
	/* The quiet time restarted; the response body then flows, idle. */
	e->r[0].phase = SG_REQUEST_RESPONSE;
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 399, false, NULL, NULL));
	assert_true(sg_request_body_stalled(&e->r[0], t0 + 400, false, NULL, NULL));
	e->r[0].resp_started = true;
	sg_request_body_timeout(&e->r[0]);
	assert_int_equal(e->seen.cuts, 1);
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_RESPONSE_IDLE], 1);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_BODY], 0);
}

/* A parsed response head (its slots the case's). */
static void response(struct sg_h1_resp *resp, struct sg_h1_header *slots, const char *text)
{
	*resp = (struct sg_h1_resp){ .headers = slots, .headers_cap = 4 };
	assert_int_equal(sg_h1_parse_response(text, strlen(text), 4, resp), SG_H1_DONE);
}

/* Request i on `path` is sent and its response head `resp` is the answer;
 * whether the request module holds it. */
static bool held_answer(struct env *e, int i, const char *path, const struct sg_h1_resp *resp)
{
	char head[128];
	int sends = e->seen.sends;

	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: web.example\r\n\r\n", path);
	assert_true(begin(e, i, head));
	sg_request_start(&e->r[i]);
	UNTIL(e, e->seen.sends == sends + 1);
	assert_false(sg_request_took_response(&e->r[i], resp));
	return sg_request_hold_response(&e->r[i], resp);
}

/* A route whose response transformation reads response.body holds the
 * response whatever its framing: its body, handed over in pieces, is
 * read whole by the header expressions and replaced by the body one, and
 * the frontend gets the head without its framing fields (it writes the
 * new body's Content-Length) and the trailers that ended it. A HEAD
 * request's response, a 204 (its response.body empty bytes) and any
 * response of a route that reads no body are not held; a body cut short
 * is answered 503. */
static void test_request_response_held_and_transformed(void **state)
{
	static const struct sg_h2_field trailers[] = {
		{ "grpc-status", 11, "5", 1 },
		{ "grpc-message", 12, "gone", 4 },
	};
	struct env *e = *state;
	struct sg_h1_header slots[3][4];
	struct sg_h1_resp chunked, empty, plain;
	struct sg_h1_edit edit;
	const char *rest;
	size_t nrest;

	response(&chunked, slots[0],
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n");
	response(&empty, slots[1], "HTTP/1.1 204 No Content\r\n\r\n");
	response(&plain, slots[2], "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
	START(e, "");
	assert_true(held_answer(e, 0, "/held", &chunked));
	assert_int_equal(sg_request_response_data(&e->r[0], "{\"a\":", 5, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[0], "\"x\"}", 4, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(e->seen.responds, 0);
	sg_request_response_end(&e->r[0], 0, trailers, 2);
	assert_int_equal(e->seen.responds, 1);
	assert_null(e->r[0].held_resp);
	assert_string_equal(e->seen.trailers, "grpc-status: 5\ngrpc-message: gone\n");
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.fields, "Content-Type\n");
	assert_string_equal(e->seen.body, "{\"a\":\"x\",\"n\":9}");
	assert_non_null(strstr(e->seen.lines, "x-n: 9\n"));
	assert_non_null(strstr(e->seen.lines, "x-p: {\"a\":\"x\"}\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	/* a body cut short: nothing went to the client, which gets 503 */
	assert_true(held_answer(e, 1, "/held", &plain));
	assert_int_equal(sg_request_response_data(&e->r[1], "{}", 2, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[1], EPIPE, NULL, 0);
	assert_null(e->r[1].held_resp);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "upstream call failed: closed: broken pipe");
	sg_request_log(&e->r[1], 0, 0);
	sg_request_release(&e->r[1]);
	sg_filter_plan_reset(&e->r[1].plan);
	sg_request_free(&e->r[0]);
	sg_request_free(&e->r[1]);
	start(e, e->f.cfg);

	assert_false(held_answer(e, 0, "/held", &empty));
	/* its response.body is empty bytes, as agentgateway's */
	sg_request_transform_response(&e->r[0], &empty);
	sg_filter_response_edit(&e->r[0].plan, &edit);
	keep(&e->seen, &edit, NULL, 0);
	assert_non_null(strstr(e->seen.lines, "x-n: 0\n"));
	assert_false(held_answer(e, 1, "/app", &plain));
	assert_int_equal(e->seen.responds + e->seen.releases, 1);
	sg_request_release(&e->r[0]);
	sg_request_release(&e->r[1]);
	sg_request_free(&e->r[0]);
	sg_request_free(&e->r[1]);
	start(e, e->f.cfg);
	assert_true(begin(e, 0, "HEAD /held HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 5);
	assert_false(sg_request_took_response(&e->r[0], &plain));
	assert_false(sg_request_hold_response(&e->r[0], &plain));
}

/* Past maxBufferSize (8 here), as agentgateway: response.body is absent
 * and the response goes as it came, its first 8 bytes given to the
 * frontend with the head (response.bodyPrefix reads them), the rest of
 * the bytes that passed the bound left to it; a route whose
 * transformation replaces the body keeps reading and replaces it all the
 * same (its expression failing on response.body: empty). */
static void test_request_response_past_the_bound(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[4];
	struct sg_h1_resp resp;
	const char *rest;
	size_t nrest;

	response(&resp, slots, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	START(e, "frontendPolicies:\n  http: {maxBufferSize: 8}\n");
	assert_true(held_answer(e, 0, "/peek", &resp));
	assert_int_equal(sg_request_response_data(&e->r[0], "0123456", 7, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[0], "789abc", 6, &rest, &nrest),
			 SG_REQUEST_RELEASED);
	assert_int_equal(nrest, 5);
	assert_memory_equal(rest, "89abc", 5);
	assert_null(e->r[0].held_resp);
	assert_int_equal(e->seen.releases, 1);
	assert_string_equal(e->seen.body, "01234567");
	assert_string_equal(e->seen.lines, "x-p: 01234567\n");
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(held_answer(e, 1, "/held", &resp));
	assert_int_equal(sg_request_response_data(&e->r[1], "0123456789", 10, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[1], "more", 4, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[1], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_int_equal(e->seen.releases, 1);
	assert_string_equal(e->seen.body, "");
	assert_string_equal(e->seen.lines, "x-p: 01234567\n");
}

/* An access log reading response.body holds the responses of its
 * listener's routes and reads them once they went out: the whole body;
 * past maxBufferSize (8 here) no response.body (the field is left out)
 * and the first 8 bytes as response.bodyPrefix; a 204's is empty bytes;
 * an event stream is not held (neither field); the gateway's own answer
 * (a direct response here) is read as it was written; a response the
 * frontend can hold no more of goes as it came, as past the bound. */
/* Request 0 was logged: it is done with, and the next begins afresh. */
static void logged_next(struct env *e)
{
	sg_request_release(&e->r[0]);
	sg_request_free(&e->r[0]);
	start(e, e->f.cfg);
}

static void test_request_log_reads_response_body(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[3][4];
	struct sg_h1_resp plain, empty, sse;
	const char *rest;
	size_t nrest;
	char log[4096];

	response(&plain, slots[0], "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	response(&empty, slots[1], "HTTP/1.1 204 No Content\r\n\r\n");
	response(&sse, slots[2], "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream\r\n\r\n");
	START(e, "frontendPolicies:\n"
		 "  http: {maxBufferSize: 8}\n"
		 "  accessLog:\n"
		 "    add: {size: 'size(response.body)', pre: 'string(response.bodyPrefix)'}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "abc", 3, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[0], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_string_equal(e->seen.body, "abc");
	assert_non_null(e->r[0].log_resp);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_resp);
	logged_next(e);

	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "0123456789", 10, &rest, &nrest),
			 SG_REQUEST_RELEASED);
	assert_int_equal(e->seen.releases, 1);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(held_answer(e, 0, "/app", &empty));
	head_sent(&e->r[0], 204);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(held_answer(e, 0, "/app", &sse)); /* a stream goes as it comes */
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	/* the frontend can hold no more (an HTTP/2 connection's budget): it
	 * goes as it came, what was held first; a transformation's fails */
	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "xy", 2, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_unhold(&e->r[0]), SG_REQUEST_RELEASED);
	assert_int_equal(e->seen.releases, 2);
	assert_string_equal(e->seen.body, "xy");
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	assert_true(held_answer(e, 0, "/held", &plain));
	assert_int_equal(sg_request_response_unhold(&e->r[0]), SG_REQUEST_GONE);
	assert_int_equal(e->seen.status, 503);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " size=3 pre=abc\n"));
	assert_non_null(strstr(log, " pre=01234567\n"));
	assert_null(strstr(log, "size=10"));
	assert_non_null(strstr(log, " size=0 pre=\n"));
	assert_non_null(strstr(log, " engine=copy\n"));	      /* the stream's line: neither field */
	assert_non_null(strstr(log, " size=6 pre=hello!\n")); /* the direct response's */
	assert_non_null(strstr(log, " pre=xy\n"));
}

/* An access log reading response.headers reads the head the client got,
 * once it went out: a forwarded one's fields less those the route's
 * edits removed, plus theirs; a held one's with its new Content-Length;
 * the gateway's own answer's (its edit's lines, its length, text/plain
 * for a failure's text). A field the head lacks is left out. Nothing is
 * kept on a listener whose log does not read them. */
static void test_request_log_reads_response_headers(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[2][4];
	struct sg_h1_resp plain, json;
	struct sg_h1_edit edit;
	const char *rest;
	size_t nrest;
	char log[4096];

	response(&plain, slots[0],
		 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
		 "Content-Length: 3\r\n\r\n");
	response(&json, slots[1],
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n");
	START(e, "frontendPolicies:\n"
		 "  accessLog:\n"
		 "    filter: '\"content-length\" in response.headers'\n"
		 "    add: {ct: 'response.headers[\"content-type\"]', "
		 "len: 'response.headers[\"content-length\"]', "
		 "xn: 'response.headers[\"x-n\"]', xd: 'response.headers[\"x-direct\"]'}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	/* forwarded as it came */
	assert_false(held_answer(e, 0, "/app", &plain));
	sg_request_transform_response(&e->r[0], &plain);
	sg_filter_response_edit(&e->r[0].plan, &edit);
	sg_request_response_head(&e->r[0], &plain, &edit);
	assert_non_null(e->r[0].log_head);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_head);
	logged_next(e);

	/* held and transformed: x-n added, the new body's length */
	assert_true(held_answer(e, 0, "/held", &json));
	assert_int_equal(sg_request_response_data(&e->r[0], "{\"a\": 1}", 8, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[0], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_string_equal(e->seen.body, "{\"a\":1,\"n\":8}");
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	/* the gateway's own answers: a direct response and a failure */
	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	/* (its one token: a head without a Content-Length, the filter
	 * leaves its line out) */
	assert_false(held_answer(e, 0, "/limited", &json));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	assert_false(begin(e, 0, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.status, 429);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, "http.path=/app "));
	assert_non_null(strstr(log, " ct=text/html len=3\n"));
	assert_non_null(strstr(log, " ct=application/json len=13 xn=8\n"));
	assert_non_null(strstr(log, " len=6 xd=yes\n"));
	assert_non_null(strstr(log, "http.status=429 "));
	assert_non_null(strstr(log, " ct=text/plain len=19\n"));
	assert_null(strstr(log, "http.path=/limited http.version=HTTP/1.1 http.status=200"));
}

/* An access log reading request.body: the listener's routes hold the
 * body while the line is written (not with the log off), up to
 * maxBufferSize (a declared length over it is answered 413), and the
 * line reads the copy kept for it once the frontend's is gone. */
static void test_request_log_reads_request_body(void **state)
{
	struct env *e = *state;
	char log[4096];

	START(e, "frontendPolicies:\n"
		 "  http: {maxBufferSize: 64}\n"
		 "  accessLog:\n"
		 "    add: {b: 'string(request.body)', n: 'size(request.body)'}\n");
	/* the log off: nothing is held */
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			  "5\r\n\r\n"));
	assert_false(e->r[0].body_wanted);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			  "5\r\n\r\n"));
	assert_true(e->r[0].body_wanted && e->r[0].at.replayable);
	e->held = "hello";
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	e->held = NULL; /* the frontend's is gone */
	head_sent(&e->r[0], 200);
	assert_non_null(e->r[0].log_body);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_body);
	logged_next(e);

	/* no body: empty bytes */
	assert_true(begin(e, 0, "GET /app HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 2);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(begin(e, 0,
			   "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			   "65\r\n\r\n"));
	assert_int_equal(e->seen.status, 413);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, "http.method=POST http.host=web.example http.path=/app "));
	assert_non_null(strstr(log, " b=hello n=5\n"));
	assert_non_null(strstr(log, "http.method=GET http.host=web.example http.path=/app "));
	assert_non_null(strstr(log, " b= n=0\n"));
	assert_non_null(strstr(log, "http.status=413 "));
}

/* A listener whose log reads no response.headers keeps no head. */
static void test_request_log_keeps_no_head_unasked(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[4];
	struct sg_h1_resp plain;

	response(&plain, slots, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	START(e, "frontendPolicies:\n  accessLog:\n    add: {c: 'response.code'}\n");
	assert_false(held_answer(e, 0, "/app", &plain));
	sg_request_response_head(&e->r[0], &plain, NULL);
	assert_null(e->r[0].log_head);
	sg_request_log(&e->r[0], 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_routed_and_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_no_route_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_host_without_listener_404, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_in_turn_forget_the_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_admission_503_and_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_direct_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_held_for_expressions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_delay_on_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_conditional_answer_and_delayed_answer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_head_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_grpc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_failure_after_response_began_cuts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_counted_and_logged_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_logged_json_without_listener, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_json_from_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_direct_response_expressions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_retry_condition_and_precondition,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_level_and_fixed_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_not_begun_not_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_try_runs_backend_plan_and_sends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_tries_exhausted_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_rate_limit_refused_429, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_retry_on_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_route_mirror_sent_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_follow_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_watchdog_route_idle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_response_held_and_transformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_response_past_the_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_response_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_response_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_keeps_no_head_unasked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_request_body, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
