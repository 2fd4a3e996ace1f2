/* The access log (user/core/frontend.h): one line per request, text or JSON,
 * for HTTP/1 and HTTP/2 alike; admission, the bounds every frontend
 * checks at accept and at a request head; and the connections' slabs. */
#include "user/core/frontend.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/utf8.h"
#include "policy/route.h"
#include "user/base/log.h"
#include "user/core/a2a.h"
#include "user/core/authorize.h"
#include "user/core/celreq.h"

/* A value for a log line into out[0..cap) (NUL-terminated), its length
 * returned: at most 1 KiB of it, control bytes escaped and bytes that
 * are not UTF-8 replaced (U+FFFD), and '"' and '\\' escaped unless `raw`
 * (JSON text already), so that a JSON line stays one line of valid JSON
 * and a text line one line, whatever a request target or a resource's
 * name holds. */
static size_t log_value(const char *v, size_t len, char *out, size_t cap, bool raw)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t o = 0;

	for (size_t i = 0; i < len && i < 1024 && o + 8 < cap;) {
		size_t n = p[i] < 0x80 ? 1 : sg_utf8_len(v + i, len - i);

		if (!raw && (p[i] == '"' || p[i] == '\\')) {
			o += (size_t)snprintf(out + o, cap - o, "\\%c", p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", p[i]);
		} else if (!n) {
			o += (size_t)snprintf(out + o, cap - o, "\\ufffd");
			n = 1;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	if (cap)
		out[o] = '\0';
	return o;
}

/* The time of day, as the gateway's other log lines give it, into
 * ctx->log_stamp: the seconds formatted once a second, the milliseconds
 * each time. */
static const char *stamp(struct sg_frontend *ctx)
{
	struct timespec ts;
	struct tm tm;
	unsigned ms;
	char *p = ctx->log_stamp + 20; /* past "YYYY-MM-DDTHH:MM:SS." */

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != ctx->log_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(ctx->log_stamp, sizeof(ctx->log_stamp), "%Y-%m-%dT%H:%M:%S.", &tm);
		ctx->log_sec = ts.tv_sec;
	}
	ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
	p[0] = (char)('0' + ms / 100);
	p[1] = (char)('0' + ms / 10 % 10);
	p[2] = (char)('0' + ms % 10);
	p[3] = 'Z';
	p[4] = '\0';
	return ctx->log_stamp;
}

/* One field of a line, in the order agentgateway writes them. */
enum field_kind {
	FIELD_TEXT, /* a string, escaped */
	FIELD_NUM,
	FIELD_JSON, /* JSON text as it is (an added list, map, number) */
};

struct field {
	const char *name, *json; /* the text format's key, the JSON one */
	enum field_kind kind;
	const char *s; /* FIELD_TEXT, FIELD_JSON (not NUL-terminated) */
	size_t n;
	unsigned long long num; /* FIELD_NUM */
	bool dash;		/* text: "-" for an empty value */
	bool quote;		/* text: the value in quotes */
	const char *unit;	/* text: after a number ("ms") */
};

#define LINE_MAX_FIELDS 64

struct line {
	char buf[8192];
	size_t n;
};

static void add(struct line *l, const char *s, size_t n)
{
	if (l->n + n < sizeof(l->buf)) {
		memcpy(l->buf + l->n, s, n);
		l->n += n;
	}
}

static void adds(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

static void add_value(struct line *l, const char *v, size_t len, bool raw)
{
	l->n += log_value(v ? v : "", v ? len : 0, l->buf + l->n, sizeof(l->buf) - l->n, raw);
}

static void add_field(struct line *l, const struct field *f, bool json)
{
	char num[24];

	add(l, json ? ",\"" : " ", json ? 2 : 1);
	if (json) {
		add_value(l, f->json, strlen(f->json), false);
		add(l, "\":", 2);
	} else {
		adds(l, f->name);
		add(l, "=", 1);
	}
	switch (f->kind) {
	case FIELD_NUM:
		snprintf(num, sizeof(num), "%llu", f->num);
		adds(l, num);
		if (!json && f->unit)
			adds(l, f->unit);
		return;
	case FIELD_JSON:
		add_value(l, f->s, f->n, true);
		return;
	case FIELD_TEXT:
		if (!json && f->dash && !f->n) {
			add(l, "-", 1);
			return;
		}
		if (json || f->quote)
			add(l, "\"", 1);
		add_value(l, f->s, f->n, false);
		if (json || f->quote)
			add(l, "\"", 1);
	}
}

static bool listed(const struct sg_strs *names, const char *a, const char *b)
{
	for (size_t i = 0; names && i < names->n; i++)
		if (!strcmp(names->v[i], a) || !strcmp(names->v[i], b))
			return true;
	return false;
}

/* Whether the policy removes, or an added field replaces, field f. */
static bool dropped(const struct sg_access_entry *e, const struct field *f)
{
	if (listed(e->remove, f->name, f->json))
		return true;
	for (size_t i = 0; i < e->nadded; i++)
		if (!strcmp(e->added[i].name, f->name) || !strcmp(e->added[i].name, f->json))
			return true;
	return false;
}

static struct field text(const char *name, const char *json, const char *s, size_t n, bool dash)
{
	return (struct field){
		.name = name, .json = json, .kind = FIELD_TEXT, .s = s, .n = n, .dash = dash
	};
}

static struct field name_field(const char *name, const char *v)
{
	return text(name, name, v, v ? strlen(v) : 0, true);
}

static struct field num(const char *name, const char *json, unsigned long long v)
{
	return (struct field){ .name = name, .json = json, .kind = FIELD_NUM, .num = v };
}

/* An MCP call's fields (user/core/celreq.h's), as text fields. Returns
 * how many (at most SG_CELREQ_MCP_FIELDS). */
static size_t mcp_fields(const struct sg_celreq_mcp *m, struct field *f)
{
	struct sg_celreq_field c[SG_CELREQ_MCP_FIELDS];
	size_t n = sg_celreq_mcp_fields(m, c);

	for (size_t i = 0; i < n; i++)
		f[i] = name_field(c[i].name, c[i].v);
	return n;
}

/* An a2a call's fields, those it has, in agentgateway's order (its error
 * code a number). Returns how many (at most 6). */
static size_t a2a_fields(const struct sg_a2a_log *a, struct field *f)
{
	size_t n = 0;

	f[n++] = name_field("a2a.method", a->method);
	if (a->answered)
		f[n++] = name_field("a2a.response.outcome", a->outcome);
	if (a->has_code) {
		f[n] = name_field("a2a.response.error_code", a->code_text);
		f[n++].kind = FIELD_JSON;
	}
	if (a->kind[0])
		f[n++] = name_field("a2a.result.kind", a->kind);
	if (a->state[0])
		f[n++] = name_field("a2a.task.state", a->state);
	if (a->context[0])
		f[n++] = name_field("a2a.context.id", a->context);
	return n;
}

/* e's fields in agentgateway's order; gw and version: room for those two
 * texts. Returns how many. */
static size_t fields(const struct sg_access_entry *e, struct field *f, char *gw, size_t gwcap,
		     char *version, size_t vcap)
{
	size_t n = 0;

	if (e->gw_name)
		snprintf(gw, gwcap, "%s/%s", e->gw_ns ? e->gw_ns : "", e->gw_name);
	else
		gw[0] = '\0';
	if (e->version)
		snprintf(version, vcap, "%s", e->version);
	else
		snprintf(version, vcap, "HTTP/1.%u", e->minor);
	f[n++] = name_field("gateway", gw);
	f[n++] = name_field("listener", e->listener);
	f[n++] = name_field("route", e->route);
	f[n++] = name_field("endpoint", e->endpoint);
	f[n++] = name_field("src.addr", e->src);
	f[n++] = text("http.method", "http.method", e->method, e->method_len, false);
	f[n++] = text("http.host", "http.host", e->host, e->host ? e->host_len : 0, true);
	f[n++] = text("http.path", "http.path", e->target, e->target_len, false);
	f[n++] = name_field("http.version", version);
	f[n++] = num("http.status", "http.status", e->status);
	if (e->trace_id) {
		f[n++] = name_field("trace.id", e->trace_id);
		f[n++] = name_field("span.id", e->span_id);
	}
	f[n++] = name_field("protocol", e->protocol);
	f[n++] = num("attempts", "attempts", e->attempts);
	f[n] = num("duration", "duration_ms", e->duration_ms);
	f[n++].unit = "ms";
	f[n++] = num("bytes_in", "bytes_in", e->bytes_in);
	f[n++] = num("bytes_out", "bytes_out", e->bytes_out);
	f[n++] = name_field("engine", sg_relay_engine_name(e->engine));
	if (e->mcp)
		n += mcp_fields(e->mcp, f + n);
	if (e->a2a)
		n += a2a_fields(e->a2a, f + n);
	if (e->reason) {
		f[n++] = name_field("reason", e->reason);
		f[n] = name_field("error", e->error);
		f[n].dash = false;
		f[n++].quote = true;
	}
	for (size_t i = 0; i < e->nadded && n < LINE_MAX_FIELDS; i++) {
		f[n] = text(e->added[i].name, e->added[i].name, e->added[i].v, e->added[i].n,
			    false);
		if (!e->added[i].str)
			f[n].kind = FIELD_JSON;
		n++;
	}
	return n;
}

void sg_frontend_log(struct sg_frontend *ctx, const struct sg_access_entry *e)
{
	bool json = e->format == SG_ACCESS_LOG_JSON;
	struct field f[LINE_MAX_FIELDS];
	char gw[520], version[16];
	struct line l;
	size_t n, builtin;

	if (e->at)
		sg_attempt_over(e->at, e->bytes_in, e->bytes_out);
	if (e->format == SG_ACCESS_LOG_OFF)
		return;
	n = fields(e, f, gw, sizeof(gw), version, sizeof(version));
	builtin = n - (e->nadded < n ? e->nadded : n);
	l.n = 0;
	if (json) {
		add(&l, "{\"time\":\"", 9);
		adds(&l, stamp(ctx));
		adds(&l, "\",\"level\":\"info\"");
	} else {
		adds(&l, stamp(ctx));
		adds(&l, " info  request");
	}
	for (size_t i = 0; i < n; i++)
		if (i >= builtin || !(e->nadded || e->remove) || !dropped(e, &f[i]))
			add_field(&l, &f[i], json);
	if (json)
		add(&l, "}", 1);
	if (l.n + 1 >= sizeof(l.buf))
		l.n = sizeof(l.buf) - 2; /* cut: still one line */
	l.buf[l.n++] = '\n';
	/* One line, one write(2) to stdout (the --access-log-file when there
	 * is one). Logging stops for good when stdout is gone; a full disk
	 * only loses lines. */
	if (write(STDOUT_FILENO, l.buf, l.n) == -1 && (errno == EPIPE || errno == EBADF)) {
		ctx->access_log = SG_ACCESS_LOG_OFF;
		ctx->access_log_fixed = true;
	}
}

enum sg_access_log sg_frontend_log_format(const struct sg_frontend *ctx,
					  const struct sg_logging *logging)
{
	if (ctx->access_log_fixed || !logging)
		return ctx->access_log;
	if (logging->level && (!strcmp(logging->level, "warn") || !strcmp(logging->level, "error")))
		return SG_ACCESS_LOG_OFF;
	if (logging->format == SG_LOG_FORMAT_JSON)
		return SG_ACCESS_LOG_JSON;
	if (logging->format == SG_LOG_FORMAT_TEXT)
		return SG_ACCESS_LOG_TEXT;
	return ctx->access_log;
}

bool sg_frontend_admit(struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip,
		       uint16_t port)
{
	if (bind->netauthz && !sg_authz_connection(bind->netauthz, ip, port)) {
		sg_stats_add(ctx->stats, SG_STAT_REFUSED_NETAUTHZ, 1);
		SG_DEBUG("%s:%u: refused by networkAuthorization, closed", ip, port);
		return false;
	}
	return sg_frontend_hold(ctx, bind, ip);
}

bool sg_frontend_hold(struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip)
{
	if (ctx->srclimit && !sg_srclimit_take(ctx->srclimit, ip)) {
		sg_stats_add(ctx->stats, SG_STAT_REFUSED_SOURCE, 1);
		SG_DEBUG("%s: over --max-connections-per-source, closed", ip);
		return false;
	}
	if (!sg_admit_take(ctx->admit, SG_ADMIT_CONN, bind->port, bind->max_connections)) {
		if (ctx->srclimit)
			sg_srclimit_release(ctx->srclimit, ip);
		sg_stats_add(ctx->stats, SG_STAT_REFUSED_MAX_CONN, 1);
		SG_DEBUG("%s: port %u has maxConnections (%u) open, closed", ip, bind->port,
			 bind->max_connections);
		return false;
	}
	return true;
}

void sg_frontend_release(struct sg_frontend *ctx, uint16_t port, const char *ip)
{
	if (ctx->srclimit)
		sg_srclimit_release(ctx->srclimit, ip);
	sg_admit_release(ctx->admit, SG_ADMIT_CONN, port);
}

void *sg_frontend_conn_alloc(struct sg_frontend *ctx, struct sg_slab *slab, size_t size,
			     struct sg_cfg *cfg, const struct sg_bind *bind, int fd, const char *ip,
			     bool src_held)
{
	void *conn = sg_slab_alloc(slab, size);

	if (!conn) {
		close(fd);
		if (src_held)
			sg_frontend_release(ctx, bind->port, ip);
		sg_cfg_unref(cfg);
		return NULL;
	}
	ctx->stats->active++;
	return conn;
}

bool sg_frontend_admit_request(struct sg_frontend *ctx, const struct sg_bind *bind)
{
	if (sg_admit_take(ctx->admit, SG_ADMIT_REQ, bind->port, bind->max_requests))
		return true;
	sg_stats_add(ctx->stats, SG_STAT_REFUSED_MAX_REQ, 1);
	return false;
}

void sg_grpc_failure(enum sg_fail kind, int err, const char *cause,
		     const struct sg_filter_limits *limits, struct sg_grpc_failure *g,
		     struct sg_h1_edit *edit)
{
	size_t nmore = limits ? SG_FILTER_LIMIT_LINES : 0;

	char body[512];

	sg_fail_body(kind, cause ? cause : sg_fail_cause(err), body, sizeof(body));
	snprintf(g->status, sizeof(g->status), "%u", sg_fail_grpc_status(kind));
	sg_grpc_message(body, g->msg, sizeof(g->msg));
	g->add[0] = (struct sg_h1_header){ { "content-type", 12 }, { "application/grpc", 16 } };
	g->add[1] =
		(struct sg_h1_header){ { "grpc-status", 11 }, { g->status, strlen(g->status) } };
	g->add[2] = (struct sg_h1_header){ { "grpc-message", 12 }, { g->msg, strlen(g->msg) } };
	if (limits)
		memcpy(g->add + 3, limits->lines, sizeof(limits->lines));
	memset(edit, 0, sizeof(*edit));
	edit->add = g->add;
	edit->nadd = 3 + nmore;
}

size_t sg_frontend_release_mem(struct sg_frontend *ctx)
{
	struct sg_slab *slabs[] = { &ctx->client_mem, &ctx->tcpconn_mem, &ctx->h2conn_mem,
				    &ctx->h2session_mem };
	size_t left = 0;

	for (size_t i = 0; i < sizeof(slabs) / sizeof(slabs[0]); i++) {
		sg_slab_release(slabs[i]);
		left += slabs[i]->live;
	}
	return left;
}

const struct sg_route *sg_frontend_route(const struct sg_bind *bind, const struct sg_h1_req *req,
					 const char *sni_listener,
					 const struct sg_listener **listener,
					 const struct sg_match **match, uint64_t *rng,
					 enum sg_fail *why)
{
	const struct sg_h1_span *host = sg_h1_header(req, "host");
	const char *q = memchr(req->target.p, '?', req->target.len);
	struct sg_route_input in = {
		.host = host ? host->p : "",
		.host_len = host ? host->len : 0,
		.path = req->target.p,
		.path_len = q ? (size_t)(q - req->target.p) : req->target.len,
		.query = q ? q + 1 : "",
		.query_len = q ? req->target.len - (size_t)(q + 1 - req->target.p) : 0,
		.method = req->method.p,
		.method_len = req->method.len,
		.header = sg_h1_header_lookup,
		.ctx = (void *)(uintptr_t)req,
	};
	bool connect = req->method.len == 7 && !memcmp(req->method.p, "CONNECT", 7);

	if (connect || (req->target.len == 1 && req->target.p[0] == '*')) {
		in.path = "/";
		in.path_len = 1;
		in.query = "";
		in.query_len = 0;
	}
	*why = SG_FAIL_NO_ROUTE;
	*listener = sg_route_listener(bind, host ? host->p : NULL, host ? host->len : 0);
	if (!*listener)
		return NULL;
	/* Gateway API (Listener.hostname) and agentgateway: the certificate
	 * and the listener's TLS policy (client certificates) were the SNI's
	 * listener's; a Host another listener takes would bypass them. 421
	 * tells the client to connect again for it. */
	if (sni_listener && strcmp(sni_listener, (*listener)->key)) {
		*why = SG_FAIL_MISDIRECTED;
		*listener = NULL;
		return NULL;
	}
	return sg_route_follow(sg_route_select_match(*listener, &in, match), &in, rng, match);
}
