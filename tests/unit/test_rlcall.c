/* user/core/rlcall.c: a route's remoteRateLimit asked about a request
 * over gRPC, on a real loop: the request module (tests/unit/reqenv.h, a
 * fake sink) begins requests on real config, the rate limit service is
 * an HTTP/2 server of the test's (tests/unit/h2server.h) on a loopback
 * port that reads the RateLimitRequest as Envoy's service would and
 * answers ShouldRateLimit as each case says. What the client sees: the
 * try going on with the service's request lines, a 429 with its lines
 * and body, 500 "rate limit failed" or a pass by the failure mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "h2server.h"
#include "pbread.h"
#include "reqenv.h"

#include "user/codec/pbwire.h"
#include "user/core/h2backend.h"
#include "user/core/rlcall.h"

/* What the service answers. */
enum mode {
	RLS_OK,	      /* OK, with lines for the request and its response, and a limit */
	RLS_PLAIN,    /* OK alone */
	RLS_OVER,     /* OVER_LIMIT, with a line, a limit and a body */
	RLS_HOLD,     /* nothing */
	RLS_GRPC_ERR, /* OK's message, then grpc-status 14 (UNAVAILABLE) */
	RLS_HTTP_ERR, /* 503: not gRPC */
	RLS_UNKNOWN,  /* overall_code UNKNOWN */
};

/* The service: its server, and what the cases read of it. */
struct rls {
	struct server srv;
	enum mode mode;
	char *answer; /* the framed RateLimitResponse being sent */
	size_t answer_len;
};

static struct rls *rls_of(const struct sstream *s)
{
	return (struct rls *)((char *)s->conn->srv - offsetof(struct rls, srv));
}

/* The RateLimitResponse of `mode` (rls.proto's numbers), framed. */
static void response(struct rls *q)
{
	struct sg_pbw w = { 0 };
	size_t st, lim, dur, h;

	assert_int_equal(sg_pbw_grpc_begin(&w), 0);
	sg_pbw_uint(&w, 1,
		    q->mode == RLS_OVER	     ? 2
		    : q->mode == RLS_UNKNOWN ? 0
					     : 1); /* overall_code */
	if (q->mode == RLS_OK || q->mode == RLS_OVER) {
		st = sg_pbw_begin(&w, 2); /* statuses: {code, current_limit, remaining, reset} */
		sg_pbw_uint(&w, 1, q->mode == RLS_OK ? 1 : 2);
		lim = sg_pbw_begin(&w, 2);
		sg_pbw_uint(&w, 1, 10); /* requests_per_unit */
		sg_pbw_uint(&w, 2, 2);	/* MINUTE */
		sg_pbw_end(&w, lim);
		sg_pbw_uint(&w, 3, q->mode == RLS_OK ? 7 : 0);
		dur = sg_pbw_begin(&w, 4);
		sg_pbw_uint(&w, 1, 42);
		sg_pbw_end(&w, dur);
		sg_pbw_end(&w, st);
		h = sg_pbw_begin(&w, 3); /* response_headers_to_add */
		sg_pbw_str(&w, 1, "x-rl-response");
		sg_pbw_str(&w, 2, "r1");
		sg_pbw_end(&w, h);
		h = sg_pbw_begin(&w, 3); /* a line the gateway's own framing owns */
		sg_pbw_str(&w, 1, "content-length");
		sg_pbw_str(&w, 2, "999");
		sg_pbw_end(&w, h);
	}
	if (q->mode == RLS_OK) {
		h = sg_pbw_begin(&w, 4); /* request_headers_to_add, raw_value */
		sg_pbw_str(&w, 1, "x-rl-request");
		sg_pbw_str(&w, 3, "q1");
		sg_pbw_end(&w, h);
	}
	if (q->mode == RLS_OVER)
		sg_pbw_str(&w, 5, "slow down"); /* raw_body */
	assert_int_equal(sg_pbw_grpc_done(&w, &q->answer, &q->answer_len), 0);
}

static void rls_answer(struct sstream *s)
{
	struct rls *q = rls_of(s);
	struct sg_h2_field ok[2] = { { ":status", 7, "200", 3 },
				     { "content-type", 12, "application/grpc", 16 } };
	struct sg_h2_field http[1] = { { ":status", 7, "503", 3 } };

	switch (q->mode) {
	case RLS_HOLD:
		return;
	case RLS_HTTP_ERR:
		assert_int_equal(sg_h2_respond(s->conn->h2, s->id, http, 1, false), 0);
		return;
	default:
		free(q->answer);
		response(q);
		s->resp = q->answer;
		s->resp_len = q->answer_len;
		assert_int_equal(sg_h2_respond(s->conn->h2, s->id, ok, 2, true), 0);
	}
}

static int rls_trailers(struct sstream *s, int32_t id)
{
	struct sg_h2_field t[1] = { { "grpc-status", 11,
				      rls_of(s)->mode == RLS_GRPC_ERR ? "14" : "0",
				      rls_of(s)->mode == RLS_GRPC_ERR ? 2 : 1 } };

	assert_int_equal(sg_h2_trailers(s->conn->h2, id, t, 1), 0);
	return 1;
}

/* ---- the environment ------------------------------------------------------ */

struct rlenv {
	struct env *e; /* reqenv.h's */
	struct rls rls;
};

static int rl_setup(void **state)
{
	struct rlenv *t = calloc(1, sizeof(*t));
	void *e;

	assert_non_null(t);
	setup(&e);
	t->e = e;
	t->e->f.h2pool = sg_h2b_pool_new(t->e->loop, t->e->f.pool, NULL);
	assert_non_null(t->e->f.h2pool);
	server_start(&t->rls.srv, t->e->loop, rls_answer, rls_trailers);
	*state = t;
	return 0;
}

static int rl_teardown(void **state)
{
	struct rlenv *t = *state;
	struct env *e = t->e;

	free_requests(e); /* and their calls, before the HTTP/2 pool they use */
	sg_loop_run_once(e->loop, 0);
	sg_h2b_pool_free(e->f.h2pool);
	server_free(&t->rls.srv);
	free(t->rls.answer);
	teardown((void **)&t->e);
	free(t);
	return 0;
}

/* Routes to the test's backend behind remoteRateLimit: /ok asks the
 * service with two descriptors (the second's value a number), /nostr
 * with none that is whole (a double has no text), /text with values of
 * every type (those with no text, and a string that is not UTF-8, leave
 * their descriptors out), /dead and /deadopen a port that refuses,
 * /slow within 100 ms. %1$u the backend, %2$u the refusing port, %3$u
 * the service. */
#define RL(name, prefix, policy)                                                                   \
	"    - name: " name "\n"                                                                   \
	"      matches: [{path: {pathPrefix: " prefix "}}]\n"                                      \
	"      policies:\n"                                                                        \
	"        remoteRateLimit: " policy "\n"                                                    \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"

/* /text's descriptors: an entry value of each type. */
#define RL_TEXT                                                                                    \
	"{domain: agw, host: '127.0.0.1:%3$u', descriptors: ["                                     \
	"{entries: [{key: u, value: 2u}]}, "                                                       \
	"{entries: [{key: b, value: 'request.method == \"GET\"'}]}, "                              \
	"{entries: [{key: y, value: 'b\"ab\"'}]}, "                                                \
	"{entries: [{key: m, value: '{\"a\": \"b\"}'}]}, "                                         \
	"{entries: [{key: t, value: 'duration(\"1s\")'}]}, "                                       \
	"{entries: [{key: h, value: 'request.headers[\"x-user\"]'}]}]}"

/* /heavy's: an entry past the expression's memory bound, then one that
 * is not. */
#define TEN "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
#define RL_HEAVY                                                                                   \
	"{domain: agw, host: '127.0.0.1:%3$u', descriptors: ["                                     \
	"{entries: [{key: n, value: 'size(" TEN ".map(a, " TEN ".map(b, " TEN ".map(c, " TEN       \
	".map(d, " TEN ")))))'}]}, "                                                               \
	"{entries: [{key: path, value: request.path}]}]}"

static const char rl_config[] =
	"binds:\n- port: 8080\n  listeners:\n  - name: web\n    protocol: HTTP\n    routes:\n" RL(
		"ok", "/ok",
		"{domain: agw, host: '127.0.0.1:%3$u', descriptors: [{entries: [{key: path, "
		"value: request.path}, {key: remote_address, value: source.address}]}, "
		"{entries: [{key: port, value: source.port}]}]}")
		RL("nostr", "/nostr",
		   "{domain: agw, host: '127.0.0.1:%3$u', descriptors: [{entries: [{key: a, value: "
		   "'\"x\"'}, {key: half, value: '1.5'}]}]}")
			RL("dead", "/dead",
			   "{domain: agw, host: '127.0.0.1:%2$u', descriptors: [{entries: [{key: "
			   "a, value: '\"x\"'}]}]}")
				RL("deadopen", "/deadopen",
				   "{domain: agw, host: '127.0.0.1:%2$u', failureMode: failOpen, "
				   "descriptors: [{entries: [{key: a, value: '\"x\"'}]}]}")
					RL("slow", "/slow",
					   "{domain: agw, host: '127.0.0.1:%3$u', descriptors: "
					   "[{entries: [{key: a, value: '\"x\"'}]}], policies: "
					   "{http: "
					   "{requestTimeout: 100ms}}}") RL("text", "/text", RL_TEXT)
						RL("heavy", "/heavy", RL_HEAVY);

static struct env *started(struct rlenv *t)
{
	struct env *e = t->e;

	start(e, config(e, 0, rl_config, e->port, e->refused_port, t->rls.srv.port));
	return e;
}

/* The service's one stream's RateLimitRequest: "domain; key=value,...;
 * ..." (a descriptor each). */
static const char *asked(struct rlenv *t)
{
	static char out[512];
	struct sstream *s;
	struct fld top[8], d[8], en[2];
	size_t n, o = 0;
	const uint8_t *b;

	assert_int_equal(t->rls.srv.nstreams, 1);
	s = t->rls.srv.streams[0];
	b = (const uint8_t *)s->body.data + s->body.off;
	assert_true(s->body.len > 5);
	assert_int_equal(b[0], 0); /* not compressed */
	assert_int_equal((size_t)b[1] << 24 | (size_t)b[2] << 16 | (size_t)b[3] << 8 | b[4],
			 s->body.len - 5);
	n = walk(b + 5, s->body.len - 5, top, 8);
	for (size_t i = 0; i < n; i++) {
		if (top[i].f == 1) { /* domain */
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s", (int)top[i].n,
					      (const char *)top[i].p);
			continue;
		}
		assert_int_equal(top[i].f, 2); /* a descriptor: entries {key, value} */
		o += (size_t)snprintf(out + o, sizeof(out) - o, ";");
		for (size_t k = 0, m = walk(top[i].p, top[i].n, d, 8); k < m; k++) {
			assert_int_equal(walk(d[k].p, d[k].n, en, 2), 2);
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s=%.*s",
					      k ? "," : " ", (int)en[0].n, (const char *)en[0].p,
					      (int)en[1].n, (const char *)en[1].p);
		}
	}
	return out;
}

/* Request 0 to `path` begins and starts (its route's steps: the
 * service is asked). */
static void ask(struct env *e, const char *path)
{
	char head[128];

	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: web.example\r\n\r\n", path);
	begin_start(e, 0, head);
}

/* ---- cases ------------------------------------------------------------------ */

/* OK: the descriptors evaluated over the request (a number as its
 * text) went to ShouldRateLimit as a gRPC call; the request
 * goes on to its try with the service's request line, and its response
 * will carry the service's response line and the limit's x-ratelimit-*
 * (a line the gateway's framing owns is not taken). */
static void test_rlcall_ok_goes_on(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);
	struct sg_h1_edit edit;

	ask(e, "/ok/x?y=1");
	UNTIL(e, e->seen.sends == 1);
	assert_string_equal(asked(t), "agw; path=/ok/x,remote_address=192.0.2.7; port=40000");
	assert_string_equal(t->rls.srv.streams[0]->method, "POST");
	assert_string_equal(t->rls.srv.streams[0]->path,
			    "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit");
	assert_string_equal(t->rls.srv.streams[0]->fields, "content-type=application/grpc;"
							   "content-length=73;te=trailers;");
	assert_int_equal(e->seen.answers, 0);
	assert_non_null(strstr(e->seen.sent, "\r\nx-rl-request: q1\r\n"));
	sg_filter_response_edit(&e->r[0].plan, &edit);
	keep(&e->seen, &edit, NULL, 0); /* its lines as an answer's */
	assert_string_equal(e->seen.lines, "x-rl-response: r1\n"
					   "x-ratelimit-limit: 10\n"
					   "x-ratelimit-remaining: 7\n"
					   "x-ratelimit-reset: 42\n");
	assert_int_equal(e->f.rl_calls, 0);
}

/* OK without a status that names a limit, nor lines: the request goes
 * on as it came, its response gets nothing. */
static void test_rlcall_ok_plain(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);
	struct sg_h1_edit edit;

	t->rls.mode = RLS_PLAIN;
	ask(e, "/ok");
	UNTIL(e, e->seen.sends == 1);
	assert_null(strstr(e->seen.sent, "x-rl"));
	sg_filter_response_edit(&e->r[0].plan, &edit);
	assert_int_equal(edit.nadd, 0);
}

/* OVER_LIMIT: 429 with the service's line, the limit's and its body; no
 * try. */
static void test_rlcall_over_limit_429(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	t->rls.mode = RLS_OVER;
	ask(e, "/ok");
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 429);
	assert_string_equal(e->seen.lines, "x-rl-response: r1\n"
					   "x-ratelimit-limit: 10\n"
					   "x-ratelimit-remaining: 0\n"
					   "x-ratelimit-reset: 42\n");
	assert_string_equal(e->seen.body, "slow down");
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/ok", 429), 1);
	assert_int_equal(e->f.rl_calls, 0);
}

/* Entry values as agentgateway's as_str gives them: uint and bool as
 * their text, bytes in base64; a map, a duration and a header that is
 * not UTF-8 (obs-text, which a service refuses in a protobuf string, the
 * whole call with it) leave their descriptors out, not the others. */
static void test_rlcall_entry_text(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	begin_start(e, 0, "GET /text HTTP/1.1\r\nHost: web.example\r\nx-user: b\xe9la\r\n\r\n");
	UNTIL(e, e->seen.sends == 1);
	assert_string_equal(asked(t), "agw; u=2; b=true; y=YWI=");
}

/* A descriptor's expression past its bounds (splicegate's; agentgateway
 * has none, and would have asked with it): the service cannot be asked
 * what agentgateway would ask, so failClosed answers 500, rather than the
 * request passing unlimited (before, that descriptor and every one after
 * it were left out, the run being over its bound, and nothing was
 * asked). */
static void test_rlcall_entry_past_bounds(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	ask(e, "/heavy");
	UNTIL(e, e->seen.answers == 1 || e->seen.sends == 1);
	assert_int_equal(e->seen.status, 500);
	assert_string_equal(e->seen.body, "rate limit failed");
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(t->rls.srv.nstreams, 0);
	assert_int_equal(e->f.rl_calls, 0);
}

/* No descriptor left whole: nothing is asked, the request goes on. */
static void test_rlcall_nothing_to_ask(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	ask(e, "/nostr");
	UNTIL(e, e->seen.sends == 1);
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(e->loop, 1);
	assert_int_equal(t->rls.srv.nstreams, 0);
	assert_int_equal(t->rls.srv.nconns, 0);
}

/* The service cannot decide (down, an HTTP answer, a failed call, an
 * UNKNOWN code, no answer in time): failClosed answers 500 "rate limit
 * failed", failOpen lets the request on. */
static void test_rlcall_undecided(void **state)
{
	static const struct {
		enum mode mode;
		const char *path;
	} cases[] = {
		{ RLS_OK, "/dead" },	{ RLS_HTTP_ERR, "/ok" }, { RLS_GRPC_ERR, "/ok" },
		{ RLS_UNKNOWN, "/ok" }, { RLS_HOLD, "/slow" },
	};
	struct rlenv *t = *state;
	struct env *e = started(t);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t->rls.mode = cases[i].mode;
		ask(e, cases[i].path);
		UNTIL(e, e->seen.answers == 1);
		assert_int_equal(e->seen.status, 500);
		assert_string_equal(e->seen.body, "rate limit failed");
		assert_int_equal(e->seen.sends, 0);
		assert_int_equal(e->f.rl_calls, 0);
		finish(e, 0);
	}
	ask(e, "/deadopen");
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 0);
}

/* More than SG_RLCALL_MAX_INFLIGHT calls of the worker under way: as if
 * the service could not be asked, nothing sent to it. */
static void test_rlcall_inflight_bound(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	e->f.rl_calls = SG_RLCALL_MAX_INFLIGHT;
	ask(e, "/ok");
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 500);
	assert_int_equal(e->f.rl_calls, SG_RLCALL_MAX_INFLIGHT);
	assert_int_equal(t->rls.srv.nstreams, 0);
	e->f.rl_calls = 0;
}

/* The request is over before the verdict: the call stops (the service's
 * stream is reset), the worker's count goes down, and a late answer
 * reaches nobody. */
static void test_rlcall_cancel(void **state)
{
	struct rlenv *t = *state;
	struct env *e = started(t);

	t->rls.mode = RLS_HOLD;
	ask(e, "/ok");
	UNTIL(e, t->rls.srv.nstreams == 1 && t->rls.srv.streams[0]->ended);
	assert_int_equal(e->f.rl_calls, 1);
	sg_request_free(&e->r[0]);
	assert_int_equal(e->f.rl_calls, 0);
	UNTIL(e, t->rls.srv.streams[0]->closed);
	assert_int_equal(t->rls.srv.streams[0]->closed_code, SG_H2_CANCEL);
	sg_request_release(&e->r[0]);
	e->r[0].sink = NULL;
	assert_int_equal(e->seen.answers + e->seen.sends, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rlcall_ok_goes_on, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_ok_plain, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_over_limit_429, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_entry_past_bounds, rl_setup,
						rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_nothing_to_ask, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_undecided, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_inflight_bound, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_cancel, rl_setup, rl_teardown),
		cmocka_unit_test_setup_teardown(test_rlcall_entry_text, rl_setup, rl_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
