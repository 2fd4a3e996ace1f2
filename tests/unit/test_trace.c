/* user/core/trace.c: a request's trace (its ids, the parent a client's
 * traceparent gives, the sampling), its spans as a collector decodes
 * them off the wire (OTLP/HTTP protobuf and JSON, from a real export to a
 * loopback collector this test answers), and the queue's bound and
 * drop counts. A real loop on a fake clock: the flush and the export's
 * timeout come when the test moves the time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fakeclock.h"
#include "httpserve.h"
#include "loopback.h"
#include "pbread.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/loop.h"
#include "user/core/backend.h"
#include "user/core/frontend.h"
#include "user/core/stats.h"
#include "user/core/trace.h"

/* A client's traceparent: its trace, its span (the server span's parent). */
#define CLIENT_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define CLIENT_SPAN "00f067aa0ba902b7"

struct env {
	struct sg_loop *loop;
	struct fake_clock fc;
	struct sg_stats stats;
	struct sg_pool *pool;
	struct sg_tracer *t;
	struct sg_cfg *cfgs[2];
	int collector; /* listening; the test accepts and answers by hand */
	uint16_t port;
	int refused; /* bound, not listening: a collector that is down */
	uint16_t refused_port;
	/* the request's head and its parse */
	char head[1024];
	struct sg_h1_header slots[16];
	struct sg_h1_req req;
	/* what the collector got: the POST's head, then its body */
	char post[256 * 1024];
	size_t head_len, post_len;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	fake_clock_start(e->loop, &e->fc);
	sg_stats_init(&e->stats);
	e->pool = sg_pool_new(e->loop);
	assert_non_null(e->pool);
	e->t = sg_tracer_new(e->loop, e->pool, NULL, &e->stats);
	assert_non_null(e->t);
	e->collector = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_tracer_free(e->t);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_pool_free(e->pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	for (int i = 0; i < 2; i++)
		sg_cfg_unref(e->cfgs[i]);
	sg_stats_destroy(&e->stats);
	close(e->collector);
	close(e->refused);
	free(e);
	return 0;
}

/* Config i from `fmt` (printf) with one listener after it: that
 * listener's tracing. */
__attribute__((format(printf, 3, 4))) static const struct sg_tracing *tracing(struct env *e, int i,
									      const char *fmt, ...)
{
	char text[2048];
	struct sg_diag d;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s",
		 "binds:\n- port: 8080\n  listeners:\n  - name: web\n    routes: []\n");
	sg_diag_init(&d);
	e->cfgs[i] = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->cfgs[i])
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	assert_non_null(e->cfgs[i]->binds[0].listeners[0].tracing);
	return e->cfgs[i]->binds[0].listeners[0].tracing;
}

/* The first config is let go (a reload). */
static void unload(struct env *e)
{
	sg_cfg_unref(e->cfgs[0]);
	e->cfgs[0] = NULL;
}

/* config.tracing to the test's collector, with `more` keys. */
#define CONFIG(e, more)                                                                            \
	tracing(e, 0, "config:\n  tracing:\n    otlpEndpoint: http://127.0.0.1:%u\n" more,         \
		(e)->port)

/* The request's head `text`, parsed into e->req. */
static const struct sg_h1_req *request(struct env *e, const char *text)
{
	assert_true(strlen(text) < sizeof(e->head));
	strcpy(e->head, text);
	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(e->head, strlen(text), 16, &e->req), SG_H1_DONE);
	return &e->req;
}

#define GET "GET /app/x?q=1 HTTP/1.1\r\nHost: web.example\r\n"

/* The request's access log entry, as the request module fills it: on
 * listener web, route app, endpoint, from 192.0.2.7. */
static struct sg_access_entry entry(const struct env *e, uint16_t status, const char *endpoint)
{
	const struct sg_h1_span *host = sg_h1_header(&e->req, "host");

	return (struct sg_access_entry){
		.listener = "web",
		.route = "app",
		.endpoint = endpoint,
		.src = "192.0.2.7",
		.method = e->req.method.p,
		.method_len = e->req.method.len,
		.target = e->req.target.p,
		.target_len = e->req.target.len,
		.host = host ? host->p : NULL,
		.host_len = host ? host->len : 0,
		.minor = e->req.minor,
		.status = status,
	};
}

/* One request traced whole with no try (a direct answer) and ended with
 * `status`, kept. */
static void one(struct env *e, const struct sg_tracing *cfg, uint16_t status)
{
	struct sg_trace *tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL);
	struct sg_access_entry a = entry(e, status, NULL);

	assert_non_null(tr);
	sg_trace_end(tr, &a, NULL, 0, true);
	sg_trace_free(tr);
}

static uint64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the collector ---------------------------------------------------------- */

/* The collector's next export (after loop passes, the fake clock moving
 * 5 ms each when nothing comes), answered `answer`: e->post its head,
 * then its body at e->head_len. */
static void collect(struct env *e, const char *answer)
{
	e->post_len = test_http_serve(e->loop, e->collector, answer, e->post, sizeof(e->post),
				      &e->head_len);
}

/* Loop passes (5 ms of the fake clock each when nothing comes) until
 * `cond` holds, for at most 20 s of it. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 4000 && !(cond); r_++)                                       \
			sg_loop_run_once((e)->loop, 5);                                            \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

#define COUNT(e, which) ((e)->stats.counters[SG_STAT_##which])

#define OK "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

/* ---- the export read back as protobuf ------------------------------------ */

/* A span as a collector decodes it: ids in hex (parent "" for a root),
 * its attributes "key=string" or "key=#int" joined by "; ", its events'
 * names joined by ",". */
struct span {
	char trace[33], id[17], parent[17];
	char state[64], name[96];
	uint64_t kind, flags, start, end;
	char attrs[1024];
	char events[64];
	uint64_t code;
	char message[192];
};

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void text(const struct fld *f, char *out, size_t cap)
{
	assert_int_equal(f->w, 2);
	assert_true(f->n < cap);
	memcpy(out, f->p, f->n);
	out[f->n] = '\0';
}

/* KeyValue kv appended to list as "key=value" or "key=#n". */
static void keyvalue(const struct fld *kv, char *list, size_t cap)
{
	struct fld k[2], v[1];
	size_t o = strlen(list);
	char key[128], val[512];

	assert_int_equal(walk(kv->p, kv->n, k, 2), 2);
	text(&k[0], key, sizeof(key));
	assert_int_equal(walk(k[1].p, k[1].n, v, 1), 1);
	if (v[0].f == 1) {
		text(&v[0], val, sizeof(val));
		snprintf(list + o, cap - o, "%s%s=%s", o ? "; " : "", key, val);
	} else {
		assert_int_equal(v[0].f, 3); /* int_value */
		snprintf(list + o, cap - o, "%s%s=#%" PRId64, o ? "; " : "", key, (int64_t)v[0].v);
	}
}

static void span_of(const struct fld *m, struct span *s)
{
	struct fld f[40], sub[4];
	size_t n = walk(m->p, m->n, f, 40), o;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		switch (f[i].f) {
		case 1:
			assert_int_equal(f[i].n, 16);
			hex(f[i].p, 16, s->trace);
			break;
		case 2:
			assert_int_equal(f[i].n, 8);
			hex(f[i].p, 8, s->id);
			break;
		case 3:
			text(&f[i], s->state, sizeof(s->state));
			break;
		case 4:
			assert_int_equal(f[i].n, 8);
			hex(f[i].p, 8, s->parent);
			break;
		case 5:
			text(&f[i], s->name, sizeof(s->name));
			break;
		case 6:
			s->kind = f[i].v;
			break;
		case 7:
			s->start = f[i].v;
			break;
		case 8:
			s->end = f[i].v;
			break;
		case 9:
			keyvalue(&f[i], s->attrs, sizeof(s->attrs));
			break;
		case 11: /* Event {time_unix_nano 1, name 2} */
			assert_int_equal(walk(f[i].p, f[i].n, sub, 4), 2);
			o = strlen(s->events);
			snprintf(s->events + o, sizeof(s->events) - o, "%s%.*s", o ? "," : "",
				 (int)sub[1].n, (const char *)sub[1].p);
			assert_true(sub[0].v >= s->start && sub[0].v <= s->end);
			break;
		case 15: /* Status {message 2, code 3} */
			for (size_t k = 0, m2 = walk(f[i].p, f[i].n, sub, 4); k < m2; k++)
				if (sub[k].f == 2)
					text(&sub[k], s->message, sizeof(s->message));
				else
					s->code = sub[k].v;
			break;
		case 16:
			s->flags = f[i].v;
			break;
		default:
			fail_msg("span field %u", f[i].f);
		}
	}
}

/* The POST's body (ExportTraceServiceRequest): its one ResourceSpans'
 * resource attributes into res, its scope's spans into out (at most
 * cap). Returns how many spans. */
static size_t decode(const struct env *e, char *res, size_t rcap, struct span *out, size_t cap)
{
	const uint8_t *b = (const uint8_t *)e->post + e->head_len;
	struct fld top[2], rs[2], attrs[8], ss[16], scope[2];
	size_t n, k = 0;
	char name[32];

	assert_int_equal(walk(b, e->post_len - e->head_len, top, 2), 1);
	assert_int_equal(top[0].f, 1);
	assert_int_equal(walk(top[0].p, top[0].n, rs, 2), 2);
	res[0] = '\0';
	n = walk(field(rs, 2, 1)->p, field(rs, 2, 1)->n, attrs, 8);
	for (size_t i = 0; i < n; i++)
		keyvalue(&attrs[i], res, rcap);
	n = walk(field(rs, 2, 2)->p, field(rs, 2, 2)->n, ss, 16);
	assert_int_equal(walk(ss[0].p, ss[0].n, scope, 2), 1); /* the scope's name alone */
	text(&scope[0], name, sizeof(name));
	assert_string_equal(name, "splicegate");
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(ss[i].f, 2);
		assert_true(k < cap);
		span_of(&ss[i], &out[k++]);
	}
	return k;
}

/* ---- ids and sampling ------------------------------------------------------- */

static bool is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n &&
	       strspn(s, "0") != n; /* an all-zero id is invalid */
}

/* A request without traceparent starts a trace: new ids, a sampled
 * traceparent for its try whose span is the try's own (the server span's
 * child), and the access log gets the trace and the server span. */
static void test_trace_new_trace_ids(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "    randomSampling: true\n");
	struct sg_trace *tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL);
	struct sg_access_entry a = entry(e, 200, "127.0.0.1:9");
	char tp[64], first[33];
	const char *p;

	assert_non_null(tr);
	p = sg_trace_try(tr, 0, "127.0.0.1:9", "GET", 3, 0, NULL);
	assert_int_equal(strlen(p), 55);
	snprintf(tp, sizeof(tp), "%s", p);
	sg_trace_head(tr, 200);
	sg_trace_end(tr, &a, NULL, 0, true);
	assert_true(is_hex(a.trace_id, 32));
	assert_true(is_hex(a.span_id, 16));
	assert_memory_equal(tp, "00-", 3);
	assert_memory_equal(tp + 3, a.trace_id, 32);
	assert_true(tp[35] == '-' && tp[52] == '-');
	assert_string_equal(tp + 53, "01");
	tp[52] = '\0';
	assert_true(is_hex(tp + 36, 16));
	assert_string_not_equal(tp + 36, a.span_id);
	snprintf(first, sizeof(first), "%s", a.trace_id);
	sg_trace_free(tr);
	assert_int_equal(sg_tracer_queued(e->t), 2); /* the try's span, the server's */

	/* the next request is another trace */
	tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL);
	a = entry(e, 200, NULL);
	sg_trace_end(tr, &a, NULL, 0, true);
	assert_true(is_hex(a.trace_id, 32));
	assert_string_not_equal(a.trace_id, first);
	sg_trace_free(tr);
	assert_int_equal(sg_tracer_queued(e->t), 3);
}

/* A client's traceparent is continued: its trace id, its flags; its
 * span is the parent (checked on the wire below). One whose sampled flag
 * is off is traced (ids for the log, the flag passed on) but not
 * exported; one that is not valid is as none. */
static void test_trace_client_parent(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "");
	struct sg_trace *tr;
	struct sg_access_entry a;
	const char *tp;

	tr = sg_trace_begin(
		e->t, cfg,
		request(e, GET "traceparent: 00-" CLIENT_TRACE "-" CLIENT_SPAN "-01\r\n\r\n"),
		NULL);
	assert_non_null(tr);
	tp = sg_trace_try(tr, 0, "127.0.0.1:9", "GET", 3, 0, NULL);
	assert_memory_equal(tp, "00-" CLIENT_TRACE "-", 36);
	assert_memory_not_equal(tp + 36, CLIENT_SPAN, 16);
	assert_string_equal(tp + 52, "-01");
	a = entry(e, 200, "127.0.0.1:9");
	sg_trace_end(tr, &a, NULL, 0, true);
	assert_string_equal(a.trace_id, CLIENT_TRACE);
	assert_string_not_equal(a.span_id, CLIENT_SPAN);
	sg_trace_free(tr);
	assert_int_equal(sg_tracer_queued(e->t), 2);

	/* not sampled by the client: ids, "-00" on, nothing queued */
	tr = sg_trace_begin(
		e->t, cfg,
		request(e, GET "traceparent: 00-" CLIENT_TRACE "-" CLIENT_SPAN "-00\r\n\r\n"),
		NULL);
	assert_non_null(tr);
	tp = sg_trace_try(tr, 0, "127.0.0.1:9", "GET", 3, 0, NULL);
	assert_memory_equal(tp, "00-" CLIENT_TRACE "-", 36);
	assert_string_equal(tp + 52, "-00");
	assert_null(sg_trace_fields(tr));
	sg_trace_call(tr, "tools/call", 1, 2, NULL, 0, NULL);
	a = entry(e, 200, "127.0.0.1:9");
	sg_trace_end(tr, &a, NULL, 0, true);
	assert_string_equal(a.trace_id, CLIENT_TRACE);
	sg_trace_free(tr);
	assert_int_equal(sg_tracer_queued(e->t), 2);

	/* an all-zero trace id is no traceparent: randomSampling (0) says */
	assert_null(sg_trace_begin(
		e->t, cfg,
		request(e, GET "traceparent: 00-00000000000000000000000000000000-" CLIENT_SPAN
			       "-01\r\n\r\n"),
		NULL));
}

/* randomSampling for requests without traceparent, clientSampling for
 * those with: numbers, booleans, and an expression over the request. */
static void test_trace_sampling(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg;
	struct sg_celreq_view v;
	struct sg_trace *tr;
	unsigned traced = 0;

	cfg = CONFIG(e, "");
	assert_null(sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL)); /* default 0 */
	unload(e);

	cfg = CONFIG(e, "    randomSampling: true\n    clientSampling: false\n");
	assert_null(sg_trace_begin(
		e->t, cfg,
		request(e, GET "traceparent: 00-" CLIENT_TRACE "-" CLIENT_SPAN "-01\r\n\r\n"),
		NULL));
	sg_trace_free(tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL));
	assert_non_null(tr);
	unload(e);

	/* a probability: about half of 2000 (the bounds are 9 deviations
	 * out) */
	cfg = CONFIG(e, "    randomSampling: 0.5\n");
	for (int i = 0; i < 2000; i++) {
		tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL);
		traced += tr != NULL;
		sg_trace_free(tr);
	}
	assert_in_range(traced, 800, 1200);
	unload(e);

	/* an expression, evaluated over the request's view (none: 0) */
	cfg = CONFIG(e, "    randomSampling: 'request.headers[\"x-trace\"] == \"yes\"'\n");
	request(e, GET "x-trace: yes\r\n\r\n");
	v = (struct sg_celreq_view){ .scheme = "http",
				     .method = e->req.method,
				     .target = e->req.target,
				     .sock = -1,
				     .req = &e->req };
	tr = sg_trace_begin(e->t, cfg, &e->req, &v);
	assert_non_null(tr);
	sg_trace_free(tr);
	assert_null(sg_trace_begin(e->t, cfg, &e->req, NULL));
	request(e, GET "x-trace: no\r\n\r\n");
	assert_null(sg_trace_begin(e->t, cfg, &e->req, &v));
	assert_int_equal(sg_tracer_queued(e->t), 0); /* begun and freed: nothing to send */
}

/* ---- the export -------------------------------------------------------- */

/* A request continuing the client's trace, retried once (503, then 200),
 * exported as OTLP/HTTP protobuf: the POST the collector gets, and its
 * three spans as the collector decodes them, the tries' first. */
static void test_trace_export_protobuf(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg =
		CONFIG(e, "    otlpProtocol: http\n    headers: {x-tenant: t1}\n");
	uint64_t before = unix_ns(), after;
	struct sg_trace *tr;
	struct sg_access_entry a;
	char tp1[64], tp2[64], expect[512], res[256];
	struct span s[4];

	tr = sg_trace_begin(e->t, cfg,
			    request(e, GET "traceparent: 00-" CLIENT_TRACE "-" CLIENT_SPAN
					   "-01\r\ntracestate: k=v\r\n\r\n"),
			    NULL);
	assert_non_null(tr);
	snprintf(tp1, sizeof(tp1), "%s", sg_trace_try(tr, 0, "127.0.0.1:9001", "GET", 3, 0, NULL));
	snprintf(tp2, sizeof(tp2), "%s",
		 sg_trace_try(tr, 1, "127.0.0.1:9002", "GET", 3, 503, NULL));
	sg_trace_head(tr, 200);
	a = entry(e, 200, "127.0.0.1:9002");
	sg_trace_end(tr, &a, NULL, 0, true);
	after = unix_ns();
	assert_int_equal(sg_tracer_queued(e->t), 3);

	collect(e, OK); /* after SG_TRACE_FLUSH_MS */
	UNTIL(e, COUNT(e, SPANS_EXPORTED) == 3);
	snprintf(expect, sizeof(expect),
		 "POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1:%u\r\n"
		 "content-type: application/x-protobuf\r\nx-tenant: t1\r\n"
		 "content-length: %zu\r\n\r\n",
		 e->port, e->post_len - e->head_len);
	assert_int_equal(e->head_len, strlen(expect));
	assert_memory_equal(e->post, expect, e->head_len);
	assert_int_equal(decode(e, res, sizeof(res), s, 4), 3);
	assert_string_equal(res, "service.name=splicegate");

	/* the first try: failed, retried on its 503 */
	tp1[52] = '\0';
	assert_string_equal(s[0].trace, CLIENT_TRACE);
	assert_string_equal(s[0].id, tp1 + 36);
	assert_string_equal(s[0].parent, a.span_id);
	assert_string_equal(s[0].state, "k=v");
	assert_string_equal(s[0].name, "GET");
	assert_int_equal(s[0].kind, 3); /* SPAN_KIND_CLIENT */
	assert_int_equal(s[0].flags, 1);
	assert_string_equal(s[0].attrs, "http.request.method=GET; endpoint=127.0.0.1:9001; "
					"http.request.resend_count=#0; "
					"http.response.status_code=#503; error.type=retried");
	assert_string_equal(s[0].events, "");
	assert_int_equal(s[0].code, 2); /* STATUS_CODE_ERROR */
	assert_string_equal(s[0].message, "retried");
	/* the second: its response head went to the client */
	tp2[52] = '\0';
	assert_string_equal(s[1].id, tp2 + 36);
	assert_string_equal(s[1].parent, a.span_id);
	assert_string_equal(s[1].attrs, "http.request.method=GET; endpoint=127.0.0.1:9002; "
					"http.request.resend_count=#1; "
					"http.response.status_code=#200");
	assert_string_equal(s[1].events, "response.head");
	assert_int_equal(s[1].code, 0);
	assert_string_equal(s[1].message, "");
	/* the server span: the client's span its parent */
	assert_string_equal(s[2].trace, CLIENT_TRACE);
	assert_string_equal(s[2].id, a.span_id);
	assert_string_equal(s[2].parent, CLIENT_SPAN);
	assert_string_equal(s[2].state, "k=v");
	assert_string_equal(s[2].name, "GET app");
	assert_int_equal(s[2].kind, 2); /* SPAN_KIND_SERVER */
	assert_int_equal(s[2].flags, 1);
	assert_string_equal(s[2].attrs,
			    "http.request.method=GET; url.scheme=http; "
			    "network.protocol.version=1.1; http.host=web.example; "
			    "url.path=/app/x?q=1; listener=web; route=app; src.addr=192.0.2.7; "
			    "endpoint=127.0.0.1:9002; http.response.status_code=#200");
	assert_string_equal(s[2].events, "response.head,response.end");
	assert_int_equal(s[2].code, 0);
	/* the times: the tries in order, within the server span's, now */
	assert_true(before <= s[2].start && s[2].start <= s[0].start);
	assert_true(s[0].start <= s[0].end && s[0].end <= s[1].start);
	assert_true(s[1].start <= s[1].end && s[1].end <= s[2].end && s[2].end <= after);

	assert_int_equal(COUNT(e, SPANS_EXPORTED), 3);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 0);
	assert_int_equal(COUNT(e, TRACE_EXPORT_FAILED), 0);
	assert_int_equal(sg_tracer_queued(e->t), 0);
	sg_trace_free(tr);
}

/* In s, each Unix time past 10^18 ns (now's, not the test's own)
 * checked within [lo, hi] and written "T". */
static void untime(char *s, uint64_t lo, uint64_t hi)
{
	char *p = s;

	while ((p = strstr(p, "UnixNano\":\""))) {
		char *digits = p + 11, *end;
		uint64_t ns = strtoull(digits, &end, 10);

		p = digits;
		if (ns < 1000000000000000000ull)
			continue;
		assert_in_range(ns, lo, hi);
		*digits = 'T';
		memmove(digits + 1, end, strlen(end) + 1);
	}
}

/* OTLP/HTTP JSON, compared whole: a new trace's server span with the
 * tracing fields' attributes (an integer's value an int, anything else
 * a string) and its own removed by name, a failed request's status, and
 * a call the gateway made for the request (an MCP target's). */
static void test_trace_export_json_exact(void **state)
{
	static const struct sg_celreq_field f[] = {
		{ "user", "ann", 3, true },
		{ "n", "3", 1, false },
		{ "obj", "{\"a\":1}", 7, false },
	};
	static const char *const call[] = { "mcp.method.name", "tools/call", "gen_ai.tool.name",
					    "echo" };
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "    otlpProtocol: http/json\n"
						 "    randomSampling: true\n"
						 "    fields:\n"
						 "      add: {user: '\"ann\"'}\n"
						 "      remove: [src.addr, url.scheme, route]\n");
	uint64_t before = unix_ns();
	struct sg_trace *tr;
	struct sg_access_entry a;
	char expect[4096], id[17];
	const char *p;

	tr = sg_trace_begin(e->t, cfg, request(e, "POST /app HTTP/1.0\r\n\r\n"), NULL);
	assert_non_null(tr);
	assert_ptr_equal(sg_trace_fields(tr), &cfg->fields);
	sg_trace_call(tr, "tools/call echo", 1000, 2000, call, 2, "target down");
	a = entry(e, 502, NULL);
	a.reason = "backend_connect";
	a.error = "upstream connect error";
	sg_trace_end(tr, &a, f, 3, true);

	collect(e, OK);
	UNTIL(e, COUNT(e, SPANS_EXPORTED) == 2);
	untime(e->post + e->head_len, before, unix_ns());
	assert_non_null(strstr(e->post, "\r\ncontent-type: application/json\r\n"));
	/* the call's span id, new */
	p = strstr(e->post + e->head_len, "\"spanId\":\"");
	assert_non_null(p);
	snprintf(id, sizeof(id), "%.16s", p + 10);
	assert_true(is_hex(id, 16));
	assert_string_not_equal(id, a.span_id);
	snprintf(expect, sizeof(expect),
		 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"splicegate\"}}]},"
		 "\"scopeSpans\":[{\"scope\":{\"name\":\"splicegate\"},\"spans\":["
		 "{\"traceId\":\"%1$s\",\"spanId\":\"%3$s\",\"parentSpanId\":\"%2$s\",\"flags\":1,"
		 "\"name\":\"tools/call echo\",\"kind\":3,\"startTimeUnixNano\":\"1000\","
		 "\"endTimeUnixNano\":\"2000\",\"attributes\":["
		 "{\"key\":\"error.type\",\"value\":{\"stringValue\":\"target down\"}},"
		 "{\"key\":\"mcp.method.name\",\"value\":{\"stringValue\":\"tools/call\"}},"
		 "{\"key\":\"gen_ai.tool.name\",\"value\":{\"stringValue\":\"echo\"}}],"
		 "\"status\":{\"message\":\"target down\",\"code\":2}},"
		 "{\"traceId\":\"%1$s\",\"spanId\":\"%2$s\",\"flags\":1,\"name\":\"POST app\","
		 "\"kind\":2,\"startTimeUnixNano\":\"T\",\"endTimeUnixNano\":\"T\",\"attributes\":["
		 "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"POST\"}},"
		 "{\"key\":\"network.protocol.version\",\"value\":{\"stringValue\":\"1.0\"}},"
		 "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/app\"}},"
		 "{\"key\":\"listener\",\"value\":{\"stringValue\":\"web\"}},"
		 "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"502\"}},"
		 "{\"key\":\"error.type\",\"value\":{\"stringValue\":\"upstream connect error\"}},"
		 "{\"key\":\"user\",\"value\":{\"stringValue\":\"ann\"}},"
		 "{\"key\":\"n\",\"value\":{\"intValue\":\"3\"}},"
		 "{\"key\":\"obj\",\"value\":{\"stringValue\":\"{\\\"a\\\":1}\"}}],"
		 "\"status\":{\"message\":\"upstream connect error\",\"code\":2}}]}]}]}",
		 a.trace_id, a.span_id, id);
	assert_string_equal(e->post + e->head_len, expect);
	assert_int_equal(COUNT(e, SPANS_EXPORTED), 2);
	sg_trace_free(tr); /* a's ids are its */
}

/* The frontend policy's filter: a trace whose request it does not hold
 * for exports nothing, its tries' spans held back with it; one it holds
 * for exports them all; its resources go on the export. */
static void test_trace_filter_and_resources(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg =
		tracing(e, 0,
			"frontendPolicies:\n  tracing:\n    host: 127.0.0.1:%u\n"
			"    protocol: http\n    randomSampling: true\n"
			"    filter: 'response.code >= 500'\n"
			"    resources: {service.name: '\"edge\"', deployment.environment: "
			"'\"prod\"', shard: '7'}\n",
			e->port);
	struct sg_trace *tr;
	struct sg_access_entry a;
	struct span s[4];
	char res[256];

	for (int keep = 0; keep < 2; keep++) {
		tr = sg_trace_begin(e->t, cfg, request(e, GET "\r\n"), NULL);
		assert_ptr_equal(sg_trace_fields(tr), &cfg->fields);
		sg_trace_try(tr, 0, "127.0.0.1:9001", "GET", 3, 0, NULL);
		sg_trace_try(tr, 1, "127.0.0.1:9002", "GET", 3, 0, "connection refused");
		assert_int_equal(sg_tracer_queued(e->t), 0); /* held */
		a = entry(e, 503, "127.0.0.1:9002");
		a.reason = "backend_connect";
		sg_trace_end(tr, &a, NULL, 0, keep);
		sg_trace_free(tr);
		assert_int_equal(sg_tracer_queued(e->t), keep ? 3 : 0);
	}
	collect(e, OK);
	UNTIL(e, COUNT(e, SPANS_EXPORTED) == 3);
	assert_int_equal(decode(e, res, sizeof(res), s, 4), 3);
	assert_string_equal(res, "service.name=edge; deployment.environment=prod; shard=#7");
	assert_string_equal(s[0].attrs, "http.request.method=GET; endpoint=127.0.0.1:9001; "
					"http.request.resend_count=#0; "
					"error.type=connection refused");
	/* the last try, open at the end, ends with the request's failure */
	assert_string_equal(s[1].attrs, "http.request.method=GET; endpoint=127.0.0.1:9002; "
					"http.request.resend_count=#1; "
					"error.type=backend_connect");
	assert_int_equal(s[2].kind, 2); /* SPAN_KIND_SERVER */
	assert_string_equal(
		s[2].attrs,
		"http.request.method=GET; url.scheme=http; "
		"network.protocol.version=1.1; http.host=web.example; "
		"url.path=/app/x?q=1; listener=web; route=app; src.addr=192.0.2.7; "
		"endpoint=127.0.0.1:9002; http.response.status_code=#503; error.type=error");
	assert_int_equal(s[2].code, 2); /* STATUS_CODE_ERROR */
	assert_string_equal(s[2].message, "");
}

/* ---- the queue -------------------------------------------------------------- */

/* While an export is in flight (a collector that takes the connection
 * and never answers), spans queue up to SG_TRACE_QUEUE and those past it
 * are dropped, counted; the export's timeout drops its batch, counted,
 * and the next batch goes after SG_TRACE_FLUSH_MS. */
static void test_trace_queue_bound(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "    otlpProtocol: http\n    randomSampling: 1\n");
	uint64_t t0;

	for (int i = 0; i < SG_TRACE_BATCH; i++)
		one(e, cfg, 200);
	assert_int_equal(sg_tracer_queued(e->t), 0); /* a full batch goes at once */
	for (int i = 0; i < SG_TRACE_QUEUE + 5; i++)
		one(e, cfg, 200);
	assert_int_equal(sg_tracer_queued(e->t), SG_TRACE_QUEUE);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 5);

	t0 = e->fc.now;
	for (int i = 0; i < 200 && !COUNT(e, TRACE_EXPORT_FAILED); i++)
		sg_loop_run_once(e->loop, 50);
	assert_in_range(e->fc.now - t0, (SG_TRACE_EXPORT_TIMEOUT_MS - 50) * FAKE_MS,
			(SG_TRACE_EXPORT_TIMEOUT_MS + 100) * FAKE_MS);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 5 + SG_TRACE_BATCH);
	assert_int_equal(COUNT(e, SPANS_EXPORTED), 0);
	assert_int_equal(sg_tracer_queued(e->t), SG_TRACE_QUEUE);
	t0 = e->fc.now;
	for (int i = 0; i < 100 && sg_tracer_queued(e->t) == SG_TRACE_QUEUE; i++)
		sg_loop_run_once(e->loop, 50);
	assert_in_range(e->fc.now - t0, (SG_TRACE_FLUSH_MS - 50) * FAKE_MS,
			(SG_TRACE_FLUSH_MS + 100) * FAKE_MS);
	assert_int_equal(sg_tracer_queued(e->t), SG_TRACE_QUEUE - SG_TRACE_BATCH);
	assert_int_equal(COUNT(e, TRACE_EXPORT_FAILED), 1);
}

/* The worker stops while an export is in flight and spans wait: the
 * export is stopped and counted, the waiting spans let go, and nothing
 * of the tracer is left on the loop (a flush timer armed again would
 * fire on freed memory: the sanitized build sees it). */
static void test_trace_free_while_exporting(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "    otlpProtocol: http\n    randomSampling: 1\n");

	for (int i = 0; i < SG_TRACE_BATCH + 3; i++)
		one(e, cfg, 200);
	assert_int_equal(sg_tracer_queued(e->t), 3);
	sg_tracer_free(e->t);
	e->t = NULL;
	assert_int_equal(COUNT(e, TRACE_EXPORT_FAILED), 1);
	assert_int_equal(COUNT(e, SPANS_DROPPED), SG_TRACE_BATCH);
	for (int i = 0; i < 100; i++)
		sg_loop_run_once(e->loop, 50); /* past SG_TRACE_FLUSH_MS */
}

/* An export a collector refuses (500) or that finds it down drops its
 * spans, counted; a reload that points tracing at another collector
 * drops those queued for the old one. No span is lost uncounted. */
static void test_trace_export_failures(void **state)
{
	struct env *e = *state;
	const struct sg_tracing *cfg = CONFIG(e, "    otlpProtocol: http\n    randomSampling: 1\n");
	const struct sg_tracing *down =
		tracing(e, 1,
			"config:\n  tracing: {otlpEndpoint: 'http://127.0.0.1:%u', "
			"otlpProtocol: http, randomSampling: 1}\n",
			e->refused_port);

	one(e, cfg, 200);
	one(e, cfg, 200);
	collect(e, "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
	UNTIL(e, COUNT(e, TRACE_EXPORT_FAILED) == 1);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 2);
	assert_int_equal(COUNT(e, SPANS_EXPORTED), 0);

	one(e, cfg, 200);
	one(e, down, 200); /* another collector: the one queued for the first is dropped */
	assert_int_equal(sg_tracer_queued(e->t), 1);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 3);
	UNTIL(e, COUNT(e, TRACE_EXPORT_FAILED) == 2);
	assert_int_equal(COUNT(e, SPANS_DROPPED), 4);
	assert_int_equal(COUNT(e, SPANS_EXPORTED), 0);
	assert_int_equal(sg_tracer_queued(e->t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trace_new_trace_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_client_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_sampling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_export_protobuf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_export_json_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_filter_and_resources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_queue_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_export_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_free_while_exporting, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
