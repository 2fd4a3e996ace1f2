/* For the unit tests of the request module (test_request, test_reqheld)
 * and of what it hands requests to (test_mcpsvc, test_tokenx...):
 * requests on a real loop, a real config and real loopback backends, the
 * frontend a fake sink that records what the module asks of it (the
 * answers the gateway makes, a cut, a try's send). Include after
 * cmocka.h. */
#ifndef SG_TEST_REQENV_H
#define SG_TEST_REQENV_H

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
#include "user/auth/jwt.h"
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
	char body[4096];
	size_t body_len;
	bool text;
	char sent[2048]; /* the last try's request head, as a backend gets it */
	/* A response the gateway writes itself through the attempt's message
	 * ops (an MCP service's event stream): heads and ends, the head's
	 * fields in `lines`, the body's bytes, the end's error. */
	int heads, ends, end_err;
	char stream[8192]; /* its first bytes */
	size_t stream_len; /* all of them */
	char last[512];	   /* the last piece (an event), when it fits */
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
	char head[NREQ][2048];
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

static inline struct env *env_of(const struct sg_request *r)
{
	return ((const struct fake *)r->owner)->e;
}

static inline size_t index_of(const struct sg_request *r)
{
	return ((const struct fake *)r->owner)->i;
}

/* An answer's edit lines and body, as the sink got them. */
static inline void keep(struct seen *s, const struct sg_h1_edit *edit, const char *body, size_t len)
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

static inline void sink_answer(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
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
static inline void sink_respond(struct sg_request *r, const struct sg_h1_resp *resp,
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
static inline void head_sent(struct sg_request *r, uint16_t status)
{
	struct sg_h1_resp resp = { .status = status, .content_length = -1 };

	sg_request_response_head(r, &resp, NULL);
}

/* A held response released past the bound: its head transformed as a
 * frontend does it, and its first bytes. */
static inline void sink_release(struct sg_request *r, const struct sg_h1_resp *resp, const char *body,
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

static inline void sink_cut(struct sg_request *r)
{
	env_of(r)->seen.cuts++;
}

/* The try's copy of the request, written as the HTTP/1 frontend writes it
 * to its backend (the try's plan's edit). */
static inline void sink_send(struct sg_request *r)
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

static inline void sink_failed(struct sg_request *r)
{
	env_of(r)->seen.failed++;
}

static inline void sink_held_body(const struct sg_request *r, struct sg_mirror_request *m)
{
	const char *held = env_of(r)->held;

	env_of(r)->seen.held++;
	m->body = held;
	m->body_len = held ? strlen(held) : 0;
	m->body_whole = true;
}

static inline uint64_t sink_progress(const struct sg_request *r)
{
	return env_of(r)->moved[index_of(r)];
}

static inline void sink_routed(struct sg_request *r)
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
static inline void rearm(struct sg_request *r)
{
	struct sg_timer *t = &env_of(r)->timer[index_of(r)];
	uint64_t due = sg_attempt_due(&r->at);

	if (due)
		sg_timer_arm(r->ctx->loop, t, due);
	else
		sg_timer_stop(r->ctx->loop, t);
}

static inline struct sg_request *of_owner(void *owner)
{
	struct fake *o = owner;

	return &o->e->r[o->i];
}

static inline void on_wait(struct sg_attempt *a)
{
	struct sg_request *r = of_owner(a->owner);

	if (a->conn && !a->connected)
		sg_io_set(a->loop, &a->conn->io, EPOLLOUT);
	rearm(r);
}

static inline void on_dropped(struct sg_attempt *a)
{
}

static inline void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_request *r = of_owner(io->data);

	if (!r->at.connected)
		sg_attempt_connected(&r->at);
}

static inline void on_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_request *r = t->data;

	if (!sg_attempt_expire(&r->at, sg_loop_now(loop)))
		rearm(r);
}

/* A response the gateway writes itself (user/mcp/mcpsvc.c's streams):
 * recorded, and each body byte passed on to the client at once, as a
 * frontend with room in its socket does. */
static inline void msg_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct sg_request *r = of_owner(a->owner);
	struct seen *s = &env_of(r)->seen;
	size_t o = 0;

	s->heads++;
	s->status = resp->status;
	s->lines[0] = '\0';
	for (size_t i = 0; i < resp->nheaders; i++)
		o += (size_t)snprintf(s->lines + o, sizeof(s->lines) - o, "%.*s: %.*s\n",
				      (int)resp->headers[i].name.len, resp->headers[i].name.p,
				      (int)resp->headers[i].value.len, resp->headers[i].value.p);
	sg_request_response_head(r, resp, NULL);
	r->phase = end ? SG_REQUEST_DONE : SG_REQUEST_RESPONSE;
}

static inline void msg_data(struct sg_attempt *a, const char *p, size_t n)
{
	struct seen *s = &env_of(of_owner(a->owner))->seen;
	size_t kept = s->stream_len < sizeof(s->stream) - 1 ? s->stream_len : sizeof(s->stream) - 1;
	size_t copy = n < sizeof(s->stream) - 1 - kept ? n : sizeof(s->stream) - 1 - kept;

	memcpy(s->stream + kept, p, copy);
	s->stream[kept + copy] = '\0';
	s->stream_len += n;
	snprintf(s->last, sizeof(s->last), "%.*s", n < sizeof(s->last) ? (int)n : 0, p);
	sg_attempt_consume(a, n, 0);
}

static inline void msg_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err)
{
	struct sg_request *r = of_owner(a->owner);
	struct seen *s = &env_of(r)->seen;

	(void)t;
	(void)n;
	s->ends++;
	s->end_err = err;
	r->phase = SG_REQUEST_DONE;
}

static const struct sg_attempt_ops ops = {
	.prepare = sg_request_try_prepare, /* as both frontends (a token exchange's hold) */
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = on_dropped,
	.wait = on_wait,
	.on_io = on_io,
	.head = msg_head,
	.data = msg_data,
	.end = msg_end,
};

/* ---- the environment ------------------------------------------------------ */

static inline int setup(void **state)
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
	e->f.relays.download = e->f.relays.upload = e->f.relays.tunnel = SG_RELAY_COPY;
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

/* Request i is over now, before its answer (its client went): freed and
 * let go, so that what comes for it later reaches nobody. */
static inline void drop(struct env *e, int i)
{
	sg_request_free(&e->r[i]);
	sg_request_release(&e->r[i]);
	sg_timer_stop(e->loop, &e->timer[i]);
	e->r[i].sink = NULL;
}

/* The case's requests that are still held are freed and let go. */
static inline void free_requests(struct env *e)
{
	for (int i = 0; i < NREQ; i++)
		if (e->r[i].sink)
			drop(e, i);
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	free_requests(e);
	sg_mirroring_free(e->f.mirroring);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_pool_free(e->f.pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	for (int i = 0; i < 3; i++)
		sg_cfg_unref(e->cfgs[i]);
	sg_admit_free(e->f.admit);
	sg_jwt_cache_free(e->f.jwt_cache); /* as the worker: tokens a session verified */
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

static inline void start(struct env *e, struct sg_cfg *cfg)
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
static inline bool begin(struct env *e, int i, const char *text)
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

/* Request i's head `text` begins and starts: its route's steps run (an
 * authorization, a rate limit service, the first try). */
static inline void begin_start(struct env *e, int i, const char *text)
{
	assert_true(begin(e, i, text));
	sg_request_start(&e->r[i]);
}

/* Request i's head `text` (its lines, without the blank line that ends
 * it) begins with `body` whole in hand, as a frontend holds the body of a
 * route that reads it (an MCP backend's), and starts. */
static inline void begin_body(struct env *e, int i, const char *text, const char *body)
{
	char head[sizeof(e->head[0])];

	assert_true((size_t)snprintf(head, sizeof(head), "%sContent-Length: %zu\r\n\r\n", text,
				     strlen(body)) < sizeof(head));
	e->held = body;
	begin_start(e, i, head);
}

/* Request i is over (logged, its attempt and calls stopped, let go) and
 * the requests are made ready for the case's next; what the sink saw is
 * forgotten. */
static inline void finish(struct env *e, int i)
{
	sg_request_log(&e->r[i], 0, 0);
	sg_request_free(&e->r[i]);
	sg_request_release(&e->r[i]);
	sg_timer_stop(e->loop, &e->timer[i]); /* start makes it anew */
	start(e, e->f.cfg);
	e->seen = (struct seen){ 0 };
}

/* Loop passes (of up to 5 ms) until `cond` holds, for at most `ms`. */
#define UNTIL_MS(e, cond, ms)                                                                      \
	do {                                                                                       \
		for (int r_ = 0; r_ < (ms) / 5 && !(cond); r_++)                                   \
			sg_loop_run_once((e)->loop, 5);                                            \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

/* The same for at most 3 s. */
#define UNTIL(e, cond) UNTIL_MS(e, cond, 3000)

/* How many (listener, route, status) requests the stats counted. */
static inline uint64_t counted(struct env *e, const char *listener, const char *route, uint16_t status)
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
static inline uint64_t counted_all(struct env *e)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->stats.nreqs; i++)
		n += e->stats.reqs[i].count;
	return n;
}

/* The access log goes to a pipe until test_capture_end(&e->log) reads it. */
static inline void capture_log(struct env *e, enum sg_access_log how)
{
	e->f.access_log = how;
	test_capture_start(&e->log, STDOUT_FILENO);
}

#endif
