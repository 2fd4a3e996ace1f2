/* Tracing: a request's trace context and spans, and their export (the
 * contract is trace.h). */
#include "user/core/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "policy/route.h"
#include "policy/traceparent.h"
#include "user/base/log.h"
#include "user/codec/otlpjson.h"
#include "user/codec/otlppb.h"
#include "user/core/h1backend.h"
#include "user/core/svccall.h"

static const char export_path[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/* An ended span, its text its own (the request it came from is gone by
 * the time it is sent). */
struct span_rec {
	struct sg_trace_ctx ctx;
	uint8_t parent[8];
	int kind;
	uint64_t start_ns, end_ns, head_ns; /* Unix ns; head_ns 0: no response head */
	uint16_t status;
	unsigned attempt; /* client spans: tries before this one */
	bool failed;
	char name[96];
	char method[24], host[128], path[256], endpoint[SG_ENDPOINT_TEXT_SIZE];
	char listener[128], route[128], src[64], version[16], error[192];
	char tracestate[256];
	/* The server span's own attributes removed by name (a bit per
	 * std_keys entry), and those its tracing fields added: key and value
	 * in extra, each NUL-terminated (a value that is not a string is
	 * JSON: an integer becomes an int attribute). */
	uint32_t removed;
	uint8_t nadded;
	struct {
		uint16_t key, val;
		bool num;
	} added[SG_TRACE_MAX_FIELDS];
	char extra[SG_TRACE_FIELDS_BYTES];
};

/* The attributes a span carries of its own, as a field's `remove` names
 * them. */
enum {
	K_METHOD,
	K_SCHEME,
	K_VERSION,
	K_HOST,
	K_PATH,
	K_LISTENER,
	K_ROUTE,
	K_SRC,
	K_ENDPOINT,
	K_RESEND,
	K_STATUS,
	K_ERROR,
	K_KEYS
};
static const char *const std_keys[K_KEYS] = {
	[K_METHOD] = "http.request.method",
	[K_SCHEME] = "url.scheme",
	[K_VERSION] = "network.protocol.version",
	[K_HOST] = "http.host",
	[K_PATH] = "url.path",
	[K_LISTENER] = "listener",
	[K_ROUTE] = "route",
	[K_SRC] = "src.addr",
	[K_ENDPOINT] = "endpoint",
	[K_RESEND] = "http.request.resend_count",
	[K_STATUS] = "http.response.status_code",
	[K_ERROR] = "error.type",
};

/* Where spans go: a copy of the config's (a reload frees the config while
 * spans for it are queued), and the resource they are exported under. */
struct target {
	char *addr, *authority, *path;
	uint16_t port;
	enum sg_otlp_protocol protocol;
	bool tls; /* checked against tls_cfg, or the system's CAs and addr */
	/* The collector's backendTLS, a copy of the config's (its strings
	 * malloc'd); has_tls_cfg false: the system's CAs. */
	struct sg_backend_tls tls_cfg;
	bool has_tls_cfg;
	char **headers; /* name, value, ...; nheaders entries */
	size_t nheaders;
	/* service.name first, then the other resources; their keys and
	 * strings are copies, owned in strs (two a resource at most) */
	struct sg_otlp_attr *res;
	size_t nres;
	char **strs;
	size_t nstrs;
};

/* The export in flight. */
struct export
{
	struct sg_tracer *t;
	struct sg_h2b_stream *h2;
	struct sg_backend_conn *u;
	struct sg_h1x *h1;
	bool connected, over;
	struct sg_timer timer;
	struct sg_closing closing;
	struct sg_h1_req req;
	struct sg_h1_header lines[24];
	char clen[24];
	char *body;
	size_t body_len, body_off;
	size_t nspans;
	uint16_t status;
	int grpc_status; /* -1: none */
};

struct sg_tracer {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_h2b_pool *h2pool;
	struct sg_stats *stats;
	struct span_rec *q; /* ring of SG_TRACE_QUEUE, NULL until the first span */
	size_t head, n;
	struct target target; /* addr NULL: none yet */
	struct sg_timer timer;
	struct export *inflight;
	/* xorshift state for ids and sampling, seeded from getrandom(2):
	 * ids must differ between workers and runs, which the worker's
	 * endpoint-choice state (fixed seeds) does not give. */
	uint64_t rng;
};

/* A request's trace: the server span under way and the open try's. */
struct sg_trace {
	struct sg_tracer *t;
	const struct sg_tracing *cfg;
	bool sampled;	 /* exported (the flags' sampled bit) */
	bool has_parent; /* the client sent a valid traceparent */
	bool try_open;
	struct span_rec server, try_;
	/* Under a span filter (the frontend policy's `filter`): the ended
	 * tries' spans, held until the request's end decides (malloc'd). */
	struct span_rec *held;
	size_t nheld;
	char tp[SG_TRACEPARENT_LEN + 1];
	char trace_hex[33], span_hex[17];
};

static uint64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (!s)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* ---- the queue ----------------------------------------------------------- */

static void flush(struct sg_tracer *t);

/* The service.name of c's resource: a string resource of that name, else
 * "splicegate". */
static const char *service_name(const struct sg_tracing *c)
{
	for (size_t i = 0; i < c->nresources; i++)
		if (!strcmp(c->resources[i].name, "service.name") && !c->resources[i].num)
			return c->resources[i].value;
	return "splicegate";
}

/* Whether c's resource i is what g holds at res[k]. */
static bool same_resource(const struct sg_otlp_attr *a, const struct sg_trace_resource *r)
{
	return !strcmp(a->key, r->name) &&
	       (r->num ? !a->str && a->num == strtoll(r->value, NULL, 10)
		       : a->str && !strcmp(a->str, r->value));
}

/* Whether two strings, either of them NULL, are the same. */
static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return (!a && !b) || (a && b && alen == blen && !memcmp(a, b, alen));
}

static bool same_strs(const struct sg_strs *a, const struct sg_strs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* Whether a's backendTLS settings (a copy) are c's (NULL: none). */
static bool same_tls(const struct target *a, const struct sg_backend_tls *c)
{
	const struct sg_backend_tls *t = &a->tls_cfg;

	if (!c || !a->has_tls_cfg)
		return !c && !a->has_tls_cfg;
	return same_bytes(t->root_pem, t->root_len, c->root_pem, c->root_len) &&
	       same_bytes(t->cert_pem, t->cert_len, c->cert_pem, c->cert_len) &&
	       same_bytes(t->key_pem, t->key_len, c->key_pem, c->key_len) &&
	       same_str(t->hostname, c->hostname) && same_str(t->invalid, c->invalid) &&
	       t->insecure == c->insecure && t->insecure_host == c->insecure_host &&
	       t->has_alpn == c->has_alpn && same_strs(&t->alpn, &c->alpn) &&
	       same_strs(&t->sans, &c->sans);
}

static bool same_target(const struct target *a, const struct sg_tracing *c)
{
	size_t k = 1;

	if (!a->addr || strcmp(a->addr, c->to.ep.addr) || a->port != c->to.ep.port ||
	    a->protocol != c->protocol || a->tls != c->tls || !same_tls(a, c->backend_tls) ||
	    strcmp(a->path, c->path) || a->nheaders != c->headers.n ||
	    strcmp(a->res[0].str, service_name(c)))
		return false;
	for (size_t i = 0; i < a->nheaders; i++)
		if (strcmp(a->headers[i], c->headers.v[i]))
			return false;
	for (size_t i = 0; i < c->nresources; i++) {
		if (!strcmp(c->resources[i].name, "service.name"))
			continue;
		if (k == a->nres || !same_resource(&a->res[k++], &c->resources[i]))
			return false;
	}
	return k == a->nres;
}

static void strs_free(struct sg_strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)(uintptr_t)l->v[i]);
	free(l->v);
}

/* A malloc'd copy of s[0..n) and a NUL (NULL: s is), counted in *bad
 * when memory is short. */
static const char *dup_bytes(const char *s, size_t n, bool *bad)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = malloc(n + 1))) {
		*bad = true;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void strs_copy(struct sg_strs *d, const struct sg_strs *s, bool *bad)
{
	*d = (struct sg_strs){ 0 };
	if (!s->n)
		return;
	if (!(d->v = calloc(s->n, sizeof(*d->v)))) {
		*bad = true;
		return;
	}
	d->cap = s->n;
	for (; d->n < s->n; d->n++)
		d->v[d->n] = dup_bytes(s->v[d->n], strlen(s->v[d->n]), bad);
}

/* g's own copy of backendTLS settings c (what a client context is made
 * from; the files' names are not kept). -ENOMEM: some are missing. */
static int tls_copy(struct target *g, const struct sg_backend_tls *c)
{
	struct sg_backend_tls *t = &g->tls_cfg;
	bool bad = false;

	*t = (struct sg_backend_tls){
		.root_pem = dup_bytes(c->root_pem, c->root_len, &bad),
		.cert_pem = dup_bytes(c->cert_pem, c->cert_len, &bad),
		.key_pem = dup_bytes(c->key_pem, c->key_len, &bad),
		.root_len = c->root_len,
		.cert_len = c->cert_len,
		.key_len = c->key_len,
		.hostname = c->hostname ? dup_bytes(c->hostname, strlen(c->hostname), &bad) : NULL,
		.insecure = c->insecure,
		.insecure_host = c->insecure_host,
		.has_alpn = c->has_alpn,
		.invalid = c->invalid ? dup_bytes(c->invalid, strlen(c->invalid), &bad) : NULL,
	};
	strs_copy(&t->alpn, &c->alpn, &bad);
	strs_copy(&t->sans, &c->sans, &bad);
	g->has_tls_cfg = true;
	return bad ? -ENOMEM : 0;
}

static void tls_free(struct target *g)
{
	struct sg_backend_tls *t = &g->tls_cfg;

	free((void *)(uintptr_t)t->root_pem);
	free((void *)(uintptr_t)t->cert_pem);
	free((void *)(uintptr_t)t->key_pem);
	free((void *)(uintptr_t)t->hostname);
	free((void *)(uintptr_t)t->invalid);
	strs_free(&t->alpn);
	strs_free(&t->sans);
}

static void target_free(struct target *g)
{
	tls_free(g);
	for (size_t i = 0; i < g->nheaders; i++)
		free(g->headers[i]);
	free(g->headers);
	for (size_t i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	free(g->strs);
	free(g->res);
	free(g->addr);
	free(g->authority);
	free(g->path);
	memset(g, 0, sizeof(*g));
}

/* A copy of s owned by g; NULL when out of memory. */
static const char *own(struct target *g, const char *s)
{
	char *c = strdup(s);

	if (c)
		g->strs[g->nstrs++] = c;
	return c;
}

/* g's copy of resource attribute key = value (num: an integer's digits);
 * false when out of memory. */
static bool add_resource(struct target *g, const char *key, const char *value, bool num)
{
	struct sg_otlp_attr *a = &g->res[g->nres];

	if (!(a->key = own(g, key)))
		return false;
	g->nres++;
	if (num)
		a->num = strtoll(value, NULL, 10);
	else if (!(a->str = own(g, value)))
		return false;
	return true;
}

static int target_set(struct target *g, const struct sg_tracing *c)
{
	target_free(g);
	g->addr = strdup(c->to.ep.addr);
	g->authority = strdup(c->to.host);
	g->path = strdup(c->path);
	g->headers = calloc(c->headers.n ? c->headers.n : 1, sizeof(*g->headers));
	g->res = calloc(c->nresources + 1, sizeof(*g->res));
	g->strs = calloc(2 * (c->nresources + 1), sizeof(*g->strs));
	g->port = c->to.ep.port;
	g->protocol = c->protocol;
	g->tls = c->tls;
	if (!g->addr || !g->authority || !g->path || !g->headers || !g->res || !g->strs ||
	    !add_resource(g, "service.name", service_name(c), false) ||
	    (c->backend_tls && tls_copy(g, c->backend_tls) < 0))
		goto nomem;
	for (size_t i = 0; i < c->headers.n; i++, g->nheaders++)
		if (!(g->headers[i] = strdup(c->headers.v[i])))
			goto nomem;
	for (size_t i = 0; i < c->nresources; i++)
		if (strcmp(c->resources[i].name, "service.name") &&
		    !add_resource(g, c->resources[i].name, c->resources[i].value,
				  c->resources[i].num))
			goto nomem;
	return 0;
nomem:
	target_free(g);
	return -ENOMEM;
}

/* r queued for cfg's collector; dropped (counted) when the queue is full
 * or memory is short. Spans for another collector than the queued ones'
 * (a reload changed it) replace them: those are dropped. */
static void enqueue(struct sg_tracer *t, const struct sg_tracing *cfg, const struct span_rec *r)
{
	if (!t->q && !(t->q = malloc(SG_TRACE_QUEUE * sizeof(*t->q)))) {
		sg_stats_add(t->stats, SG_STAT_SPANS_DROPPED, 1);
		return;
	}
	if (!same_target(&t->target, cfg)) {
		sg_stats_add(t->stats, SG_STAT_SPANS_DROPPED, t->n);
		t->n = 0;
		if (target_set(&t->target, cfg) < 0) {
			sg_stats_add(t->stats, SG_STAT_SPANS_DROPPED, 1);
			return;
		}
	}
	if (t->n == SG_TRACE_QUEUE) {
		sg_stats_add(t->stats, SG_STAT_SPANS_DROPPED, 1);
		return;
	}
	t->q[(t->head + t->n++) % SG_TRACE_QUEUE] = *r;
	if (t->n >= SG_TRACE_BATCH && !t->inflight)
		flush(t);
	else if (!sg_timer_armed(&t->timer))
		sg_timer_arm(t->loop, &t->timer, sg_loop_now(t->loop) + SG_TRACE_FLUSH_MS);
}

size_t sg_tracer_queued(const struct sg_tracer *t)
{
	return t ? t->n : 0;
}

/* ---- the export ------------------------------------------------------------ */

static void free_export(struct sg_closing *cl)
{
	struct export *x = (struct export *)((char *)cl - offsetof(struct export, closing));

	free(x->body);
	free(x);
}

/* The export is over: counted, its connection closed; the next batch is
 * sent when spans wait. */
static void export_done(struct export *x, bool ok, const char *why)
{
	struct sg_tracer *t = x->t;

	if (x->over)
		return;
	x->over = true;
	sg_timer_stop(t->loop, &x->timer);
	sg_h2b_close(x->h2);
	x->h2 = NULL;
	sg_h1x_close(x->h1);
	x->h1 = NULL;
	if (x->u)
		sg_backend_close(x->u);
	x->u = NULL;
	if (ok) {
		sg_stats_add(t->stats, SG_STAT_SPANS_EXPORTED, x->nspans);
	} else {
		SG_DEBUG("tracing: export of %zu spans to %s failed: %s", x->nspans,
			 t->target.authority, why);
		sg_stats_add(t->stats, SG_STAT_TRACE_EXPORT_FAILED, 1);
		sg_stats_add(t->stats, SG_STAT_SPANS_DROPPED, x->nspans);
	}
	t->inflight = NULL;
	sg_loop_defer_close(t->loop, &x->closing, free_export);
	if (t->n && !sg_timer_armed(&t->timer))
		sg_timer_arm(t->loop, &t->timer, sg_loop_now(t->loop) + SG_TRACE_FLUSH_MS);
}

static void x_ready(void *data)
{
	struct export *x = data;

	if (sg_h2b_send(x->h2, &x->req, NULL, NULL, 0, NULL, true) < 0)
		export_done(x, false, "the request could not be sent");
}

static void x_failed(void *data, enum sg_xfail why, int err)
{
	(void)why;
	export_done(data, false, sg_fail_cause(err));
}

static void x_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct export *x = data;

	(void)end;
	if (resp->status < 200)
		return;
	x->status = resp->status;
	x->grpc_status = sg_svc_grpc_in_head(resp, x->grpc_status);
}

/* The collector's answer body is read and let go. */
static void x_data(void *data, const char *p, size_t n)
{
	struct export *x = data;

	(void)p;
	if (x->h2)
		sg_h2b_consume(x->h2, n, 0);
	else
		sg_h1x_consume(x->h1);
}

static void x_end(void *data, const struct sg_h2_field *tr, size_t n, int err)
{
	struct export *x = data;
	char why[64];

	if (x->over)
		return;
	x->grpc_status = sg_svc_grpc_in_trailers(tr, n, x->grpc_status);
	if (err) {
		export_done(x, false, "the answer was cut");
		return;
	}
	snprintf(why, sizeof(why), "status %u, grpc-status %d", x->status, x->grpc_status);
	if (x->t->target.protocol == SG_OTLP_GRPC)
		export_done(x, x->status == 200 && x->grpc_status == 0, why);
	else
		export_done(x, x->status >= 200 && x->status <= 299, why);
}

static ssize_t x_body(void *data, char *buf, size_t len, bool *eof)
{
	struct export *x = data;

	return sg_svc_body(x->body, x->body_len, &x->body_off, buf, len, eof);
}

static const struct sg_exchange_ops ops = {
	.ready = x_ready,
	.failed = x_failed,
	.head = x_head,
	.data = x_data,
	.end = x_end,
	.body = x_body,
};

static void on_export_timeout(struct sg_loop *loop, struct sg_timer *tm)
{
	(void)loop;
	export_done(tm->data, false, "no answer within the timeout");
}

/* The worker's client context for a collector over TLS: its backendTLS
 * settings or the system's CAs, ALPN h2 for gRPC; NULL with why. *key:
 * the settings' hash. */
static struct sg_tls_client *tls_client(struct sg_tracer *t, bool h2, uint64_t *key, char *why,
					size_t len)
{
	static const struct sg_backend_tls system_cas;
	const struct target *g = &t->target;

	return sg_pool_tls_client(t->pool, g->has_tls_cfg ? &g->tls_cfg : &system_cas, h2, key, why,
				  len);
}

/* The name the collector's certificate is checked against, and the SNI:
 * its backendTLS hostname, else the address. */
static const char *tls_host(const struct target *g)
{
	return g->has_tls_cfg && g->tls_cfg.hostname ? g->tls_cfg.hostname : g->addr;
}

/* One step of an https:// collector's handshake on x->u: 1 done, 0
 * waiting (the I/O mask set), -1 the export failed. */
static int handshake(struct export *x)
{
	struct sg_tracer *t = x->t;
	struct sg_tls_client *tc = NULL;
	uint64_t key;
	char why[160];
	int rc;

	if (!x->u->tls && !(tc = tls_client(t, false, &key, why, sizeof(why))))
		rc = -1;
	else
		rc = sg_backend_tls_step(x->u, tc, tls_host(&t->target), why, sizeof(why));
	if (rc == 0 && sg_io_set(t->loop, &x->u->io, sg_backend_connect_events(x->u)) == -1) {
		snprintf(why, sizeof(why), "%s", sg_fail_cause(errno));
		rc = -1;
	}
	if (rc < 0)
		export_done(x, false, why);
	return rc;
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct export *x = io->data;
	int err;

	(void)loop;
	if (x->over)
		return;
	if (x->connected) {
		sg_h1x_io(x->h1, revents);
		return;
	}
	err = x->u->tls ? 0 : sg_backend_connect_error(x->u); /* a handshake runs */
	if (err == EINPROGRESS)
		return;
	if (err) {
		x_failed(x, SG_XFAIL_CONNECT, err);
		return;
	}
	if (x->t->target.tls && handshake(x) != 1)
		return;
	x->connected = true;
	x->h1 = sg_h1x_new(x->t->loop, x->u, &ops, x, 16 * 1024);
	if (!x->h1 || sg_h1x_send(x->h1, &x->req, NULL, NULL, 0, true) < 0)
		export_done(x, false, "the request could not be sent");
}

/* The POST's head: method, path, content-type, Host (HTTP), the
 * configured headers, content-length. */
static void make_head(struct export *x)
{
	const struct target *g = &x->t->target;
	bool grpc = g->protocol == SG_OTLP_GRPC;
	size_t k = 0;

	x->req = (struct sg_h1_req){
		.method = { "POST", 4 },
		.target = grpc ? (struct sg_h1_span){ export_path, sizeof(export_path) - 1 }
			       : (struct sg_h1_span){ g->path, strlen(g->path) },
		.minor = 1,
		.headers = x->lines,
		.headers_cap = sizeof(x->lines) / sizeof(x->lines[0]),
		.content_length = (int64_t)x->body_len,
		.keep_alive = grpc,
	};
	/* HTTP/2: the :authority a gRPC server requires */
	x->lines[k++] =
		(struct sg_h1_header){ { "host", 4 }, { g->authority, strlen(g->authority) } };
	if (grpc) {
		x->lines[k++] =
			(struct sg_h1_header){ { "content-type", 12 }, { "application/grpc", 16 } };
		x->lines[k++] = (struct sg_h1_header){ { "te", 2 }, { "trailers", 8 } };
	} else {
		x->lines[k++] = (struct sg_h1_header){
			{ "content-type", 12 },
			g->protocol == SG_OTLP_HTTP_JSON
				? (struct sg_h1_span){ "application/json", 16 }
				: (struct sg_h1_span){ "application/x-protobuf", 22 }
		};
		x->lines[k++] = (struct sg_h1_header){ { "connection", 10 }, { "close", 5 } };
	}
	for (size_t i = 0; i + 1 < g->nheaders && k < x->req.headers_cap - 1; i += 2)
		x->lines[k++] =
			(struct sg_h1_header){ { g->headers[i], strlen(g->headers[i]) },
					       { g->headers[i + 1], strlen(g->headers[i + 1]) } };
	snprintf(x->clen, sizeof(x->clen), "%zu", x->body_len);
	x->lines[k++] =
		(struct sg_h1_header){ { "content-length", 14 }, { x->clen, strlen(x->clen) } };
	x->req.nheaders = k;
}

/* Attribute k of r's own, unless its tracing fields removed it. */
static void attr_str(struct sg_otlp_span *s, const struct span_rec *r, int k, const char *v)
{
	if (!(r->removed & 1u << k))
		sg_otlp_attr_str(s, std_keys[k], v);
}

/* A record as the encoder's span (views into r). */
static void to_otlp(const struct span_rec *r, struct sg_otlp_span *s)
{
	*s = (struct sg_otlp_span){
		.name = r->name,
		.trace_state = r->tracestate[0] ? r->tracestate : NULL,
		.kind = r->kind,
		.start_ns = r->start_ns,
		.end_ns = r->end_ns,
		.status = r->failed ? SG_OTLP_STATUS_ERROR : SG_OTLP_STATUS_UNSET,
		.message = r->failed && r->error[0] ? r->error : NULL,
		.flags = r->ctx.flags,
	};
	memcpy(s->trace_id, r->ctx.trace_id, 16);
	memcpy(s->span_id, r->ctx.span_id, 8);
	memcpy(s->parent_id, r->parent, 8);
	attr_str(s, r, K_METHOD, r->method);
	if (r->kind == SG_OTLP_KIND_SERVER) {
		attr_str(s, r, K_SCHEME, "http");
		attr_str(s, r, K_VERSION, r->version);
		attr_str(s, r, K_HOST, r->host[0] ? r->host : NULL);
		attr_str(s, r, K_PATH, r->path);
		attr_str(s, r, K_LISTENER, r->listener[0] ? r->listener : NULL);
		attr_str(s, r, K_ROUTE, r->route[0] ? r->route : NULL);
		attr_str(s, r, K_SRC, r->src);
		attr_str(s, r, K_ENDPOINT, r->endpoint[0] ? r->endpoint : NULL);
	} else {
		attr_str(s, r, K_ENDPOINT, r->endpoint);
		if (!(r->removed & 1u << K_RESEND))
			sg_otlp_attr_int(s, std_keys[K_RESEND], r->attempt);
	}
	if (r->status && !(r->removed & 1u << K_STATUS))
		sg_otlp_attr_int(s, std_keys[K_STATUS], r->status);
	if (r->failed)
		attr_str(s, r, K_ERROR, r->error[0] ? r->error : "error");
	for (size_t i = 0; i < r->nadded; i++) {
		const char *v = r->extra + r->added[i].val;

		if (r->added[i].num)
			sg_otlp_attr_int(s, r->extra + r->added[i].key, strtoll(v, NULL, 10));
		else
			sg_otlp_attr_str(s, r->extra + r->added[i].key, v);
	}
	if (r->head_ns) {
		s->events[s->nevents++] = (struct sg_otlp_event){ "response.head", r->head_ns };
		if (r->kind == SG_OTLP_KIND_SERVER)
			s->events[s->nevents++] =
				(struct sg_otlp_event){ "response.end", r->end_ns };
	}
}

/* Up to SG_TRACE_BATCH queued spans go in one export. */
static void flush(struct sg_tracer *t)
{
	struct sg_otlp_span *spans;
	struct export *x;
	size_t n = t->n < SG_TRACE_BATCH ? t->n : SG_TRACE_BATCH;
	bool ready = false, reused, grpc = t->target.protocol == SG_OTLP_GRPC;
	int err = 0;

	if (!n || t->inflight)
		return;
	spans = malloc(n * sizeof(*spans));
	x = calloc(1, sizeof(*x));
	if (!spans || !x) {
		free(spans);
		free(x);
		sg_timer_arm(t->loop, &t->timer, sg_loop_now(t->loop) + SG_TRACE_FLUSH_MS);
		return;
	}
	for (size_t i = 0; i < n; i++)
		to_otlp(&t->q[(t->head + i) % SG_TRACE_QUEUE], &spans[i]);
	err = t->target.protocol == SG_OTLP_HTTP_JSON
		      ? sg_otlpjson_export(spans, n, t->target.res, t->target.nres, NULL, &x->body,
					   &x->body_len)
		      : sg_otlppb_export(spans, n, t->target.res, t->target.nres, NULL, grpc,
					 &x->body, &x->body_len);
	free(spans);
	t->head = (t->head + n) % SG_TRACE_QUEUE;
	t->n -= n;
	x->t = t;
	x->nspans = n;
	x->grpc_status = -1;
	t->inflight = x;
	sg_timer_init(&x->timer, on_export_timeout, x);
	if (err < 0) {
		export_done(x, false, "out of memory");
		return;
	}
	sg_timer_arm(t->loop, &x->timer, sg_loop_now(t->loop) + SG_TRACE_EXPORT_TIMEOUT_MS);
	make_head(x);
	err = 0;
	if (grpc) {
		static const struct sg_keepalive ka;
		struct sg_endpoint ep = { t->target.addr, t->target.port };
		char key[SG_ENDPOINT_TEXT_SIZE + 32], why[160];
		struct sg_tls_client *tc = NULL;
		uint64_t tls_key = 0;

		if (t->target.tls && !(tc = tls_client(t, true, &tls_key, why, sizeof(why)))) {
			export_done(x, false, why);
			return;
		}
		/* "#tls" and the TLS settings' hash: the pool keeps connections
		 * made otherwise apart */
		if (tc)
			snprintf(key, sizeof(key), "%s:%u#tls%016" PRIx64, ep.addr, ep.port,
				 tls_key);
		else
			snprintf(key, sizeof(key), "%s:%u", ep.addr, ep.port);
		x->h2 = tc ? sg_h2b_open_tls(t->h2pool, &ep, key, &ka, 60000, tc,
					     tls_host(&t->target), &ops, x, &ready, &reused, &err)
			   : sg_h2b_open(t->h2pool, &ep, key, &ka, 60000, &ops, x, &ready, &reused,
					 &err);
		if (!x->h2)
			export_done(x, false, sg_fail_cause(err));
		else if (ready)
			x_ready(x);
		return;
	} else {
		static const struct sg_keepalive ka;
		struct sg_endpoint ep = { t->target.addr, t->target.port };

		x->u = sg_backend_connect(t->pool, &ep, &ka, &err);
		if (!x->u) {
			export_done(x, false, sg_fail_cause(err));
			return;
		}
		x->u->io.cb = on_io;
		x->u->io.data = x;
		if (sg_io_set(t->loop, &x->u->io, sg_backend_connect_events(x->u)) == -1)
			export_done(x, false, sg_fail_cause(errno));
	}
}

static void on_flush(struct sg_loop *loop, struct sg_timer *tm)
{
	(void)loop;
	flush(tm->data);
}

struct sg_tracer *sg_tracer_new(struct sg_loop *loop, struct sg_pool *pool,
				struct sg_h2b_pool *h2pool, struct sg_stats *stats)
{
	struct sg_tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->pool = pool;
	t->h2pool = h2pool;
	t->stats = stats;
	sg_timer_init(&t->timer, on_flush, t);
	if (getrandom(&t->rng, sizeof(t->rng), 0) != sizeof(t->rng))
		t->rng = (uint64_t)unix_ns() ^ (uint64_t)(uintptr_t)t;
	return t;
}

void sg_tracer_free(struct sg_tracer *t)
{
	if (!t)
		return;
	/* the export first: its end arms the flush timer again when spans
	 * wait */
	if (t->inflight)
		export_done(t->inflight, false, "the worker stops");
	sg_timer_stop(t->loop, &t->timer);
	target_free(&t->target);
	free(t->q);
	free(t);
}

/* ---- a request's trace ----------------------------------------------------- */

/* Whether a draw from rng falls under probability p (no draw at 0 or
 * 1). */
static bool draw(uint64_t *rng, double p)
{
	return p >= 1.0 || (p > 0.0 && sg_trace_sampled(p, sg_route_random(rng)));
}

/* The probability p, or expression e's over v when it is one. */
static double probability(double p, const struct sg_cel *e, const struct sg_celreq_view *v)
{
	return !e ? p : v ? sg_celreq_probability(e, v) : 0;
}

struct sg_trace *sg_trace_begin(struct sg_tracer *t, const struct sg_tracing *cfg,
				const struct sg_h1_req *req, const struct sg_celreq_view *v)
{
	uint64_t *rng = &t->rng;
	const struct sg_h1_span *tp = sg_h1_header(req, "traceparent"), *ts;
	struct sg_trace_ctx parent;
	bool has_parent = tp && sg_traceparent_parse(tp->p, tp->len, &parent) == 0;
	struct sg_trace *tr;

	if (!draw(rng, has_parent ? probability(cfg->client, cfg->client_expr, v)
				  : probability(cfg->random, cfg->random_expr, v)))
		return NULL;
	if (!(tr = calloc(1, sizeof(*tr))))
		return NULL;
	tr->t = t;
	tr->cfg = cfg;
	tr->has_parent = has_parent;
	/* a new trace is sampled; a client's keeps its own flag */
	sg_trace_child(has_parent ? &parent : NULL, sg_route_random(rng), sg_route_random(rng),
		       sg_route_random(rng), has_parent ? parent.flags & SG_TRACE_SAMPLED : true,
		       &tr->server.ctx);
	tr->sampled = tr->server.ctx.flags & SG_TRACE_SAMPLED;
	if (has_parent)
		memcpy(tr->server.parent, parent.span_id, 8);
	if (has_parent && (ts = sg_h1_header(req, "tracestate")))
		copy(tr->server.tracestate, sizeof(tr->server.tracestate), ts->p, ts->len);
	tr->server.kind = SG_OTLP_KIND_SERVER;
	tr->server.start_ns = unix_ns();
	sg_trace_hex(tr->server.ctx.trace_id, 16, tr->trace_hex);
	sg_trace_hex(tr->server.ctx.span_id, 8, tr->span_hex);
	return tr;
}

/* An ended try's span: queued, or under a span filter held for the
 * request's end (one that cannot be held is dropped, counted). */
static void settle(struct sg_trace *tr, const struct span_rec *s)
{
	struct span_rec *more;

	if (!tr->cfg->fields.filter) {
		enqueue(tr->t, tr->cfg, s);
		return;
	}
	if (!(more = realloc(tr->held, (tr->nheld + 1) * sizeof(*more)))) {
		sg_stats_add(tr->t->stats, SG_STAT_SPANS_DROPPED, 1);
		return;
	}
	tr->held = more;
	tr->held[tr->nheld++] = *s;
}

/* The open try's span ends (status: its response's, 0: none; error:
 * why it failed, NULL: it did not) and is queued when sampled. */
static void end_try(struct sg_trace *tr, uint16_t status, const char *error)
{
	if (!tr->try_open)
		return;
	tr->try_open = false;
	tr->try_.end_ns = unix_ns();
	tr->try_.status = status;
	tr->try_.failed = error != NULL;
	copy(tr->try_.error, sizeof(tr->try_.error), error, error ? strlen(error) : 0);
	if (tr->sampled)
		settle(tr, &tr->try_);
}

const char *sg_trace_try(struct sg_trace *tr, unsigned attempt, const char *endpoint,
			 const char *method, size_t method_len, uint16_t retried_status,
			 const char *retried_why)
{
	struct span_rec *s = &tr->try_;

	end_try(tr, retried_status, retried_why ? retried_why : "retried");
	memset(s, 0, sizeof(*s));
	sg_trace_child(&tr->server.ctx, 0, 0, sg_route_random(&tr->t->rng), tr->sampled, &s->ctx);
	memcpy(s->parent, tr->server.ctx.span_id, 8);
	memcpy(s->tracestate, tr->server.tracestate, sizeof(s->tracestate));
	s->kind = SG_OTLP_KIND_CLIENT;
	s->attempt = attempt;
	s->start_ns = unix_ns();
	copy(s->method, sizeof(s->method), method, method_len);
	copy(s->name, sizeof(s->name), method, method_len);
	copy(s->endpoint, sizeof(s->endpoint), endpoint, strlen(endpoint));
	tr->try_open = true;
	sg_traceparent_format(&s->ctx, tr->tp);
	return tr->tp;
}

void sg_trace_head(struct sg_trace *tr, uint16_t status)
{
	tr->server.head_ns = unix_ns();
	if (tr->try_open)
		tr->try_.head_ns = tr->server.head_ns;
	end_try(tr, status, NULL);
}

/* The tracing fields' removals and additions onto the server span: an
 * addition that no longer fits SG_TRACE_FIELDS_BYTES is left out. */
static void fields(struct span_rec *s, const struct sg_log_policy *p,
		   const struct sg_celreq_field *f, size_t nf)
{
	size_t used = 0;

	s->removed = 0;
	for (size_t i = 0; i < p->remove.n; i++)
		for (int k = 0; k < K_KEYS; k++)
			if (!strcmp(p->remove.v[i], std_keys[k]))
				s->removed |= 1u << k;
	s->nadded = 0;
	for (size_t i = 0; i < nf && s->nadded < SG_TRACE_MAX_FIELDS; i++) {
		size_t kl = strlen(f[i].name), need = kl + 1 + f[i].n + 1;
		bool num = !f[i].str && f[i].n && f[i].n < 20 &&
			   strspn(f[i].v, "-0123456789") == f[i].n;

		if (used + need > sizeof(s->extra) || memchr(f[i].v, '\0', f[i].n))
			continue;
		s->added[s->nadded].key = (uint16_t)used;
		memcpy(s->extra + used, f[i].name, kl + 1);
		s->added[s->nadded].val = (uint16_t)(used + kl + 1);
		memcpy(s->extra + used + kl + 1, f[i].v, f[i].n);
		s->extra[used + need - 1] = '\0';
		s->added[s->nadded++].num = num;
		used += need;
	}
}

void sg_trace_call(struct sg_trace *tr, const char *name, uint64_t start_ns, uint64_t end_ns,
		   const char *const *attrs, size_t nattrs, const char *error)
{
	struct span_rec s;
	size_t used = 0;

	if (!tr || !tr->sampled)
		return;
	memset(&s, 0, sizeof(s));
	sg_trace_child(&tr->server.ctx, 0, 0, sg_route_random(&tr->t->rng), tr->sampled, &s.ctx);
	memcpy(s.parent, tr->server.ctx.span_id, 8);
	memcpy(s.tracestate, tr->server.tracestate, sizeof(s.tracestate));
	s.kind = SG_OTLP_KIND_CLIENT;
	s.start_ns = start_ns;
	s.end_ns = end_ns;
	/* not an HTTP try: none of a try's own attributes */
	s.removed = 1u << K_METHOD | 1u << K_ENDPOINT | 1u << K_RESEND;
	copy(s.name, sizeof(s.name), name, strlen(name));
	for (size_t i = 0; i < nattrs && s.nadded < SG_TRACE_MAX_FIELDS; i++) {
		const char *k = attrs[2 * i], *v = attrs[2 * i + 1];
		size_t kl = strlen(k), vl = strlen(v);

		if (used + kl + vl + 2 > sizeof(s.extra))
			continue;
		s.added[s.nadded].key = (uint16_t)used;
		memcpy(s.extra + used, k, kl + 1);
		s.added[s.nadded++].val = (uint16_t)(used + kl + 1);
		memcpy(s.extra + used + kl + 1, v, vl + 1);
		used += kl + vl + 2;
	}
	s.failed = error != NULL;
	copy(s.error, sizeof(s.error), error, error ? strlen(error) : 0);
	settle(tr, &s);
}

const struct sg_log_policy *sg_trace_fields(const struct sg_trace *tr)
{
	const struct sg_log_policy *p = tr ? &tr->cfg->fields : NULL;

	return p && tr->sampled && (p->add.n || p->remove.n || p->filter) ? p : NULL;
}

void sg_trace_end(struct sg_trace *tr, struct sg_access_entry *e, const struct sg_celreq_field *f,
		  size_t nf, bool keep)
{
	struct span_rec *s = &tr->server;

	e->trace_id = tr->trace_hex;
	e->span_id = tr->span_hex;
	end_try(tr, 0, e->reason ? e->reason : "the request ended first");
	if (!tr->sampled || !keep)
		return;
	for (size_t i = 0; i < tr->nheld; i++)
		enqueue(tr->t, tr->cfg, &tr->held[i]);
	s->end_ns = unix_ns();
	s->status = e->status;
	s->failed = e->reason != NULL || e->status >= 500;
	copy(s->error, sizeof(s->error), e->error ? e->error : NULL,
	     e->error ? strlen(e->error) : 0);
	copy(s->method, sizeof(s->method), e->method, e->method_len);
	copy(s->host, sizeof(s->host), e->host, e->host_len);
	copy(s->path, sizeof(s->path), e->target, e->target_len);
	copy(s->listener, sizeof(s->listener), e->listener, e->listener ? strlen(e->listener) : 0);
	copy(s->route, sizeof(s->route), e->route, e->route ? strlen(e->route) : 0);
	copy(s->src, sizeof(s->src), e->src, e->src ? strlen(e->src) : 0);
	copy(s->endpoint, sizeof(s->endpoint), e->endpoint, e->endpoint ? strlen(e->endpoint) : 0);
	snprintf(s->version, sizeof(s->version), "%s",
		 e->version && !strcmp(e->version, "HTTP/2") ? "2"
		 : e->minor				     ? "1.1"
							     : "1.0");
	/* agentgateway's name: "METHOD route" (the route's key here) */
	snprintf(s->name, sizeof(s->name), "%.*s %s", (int)e->method_len,
		 e->method ? e->method : "", e->route ? e->route : "unknown");
	fields(s, &tr->cfg->fields, f, nf);
	enqueue(tr->t, tr->cfg, s);
}

void sg_trace_free(struct sg_trace *tr)
{
	if (tr)
		free(tr->held);
	free(tr);
}
