/* The access log (user/core/frontend.h): one line per request, text or JSON,
 * for HTTP/1 and HTTP/2 alike; admission, the bounds every frontend
 * checks at accept and at a request head; and the connections' slabs. */
#include "user/core/frontend.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/route.h"
#include "user/base/log.h"
#include "user/core/authorize.h"

/* The length of the UTF-8 sequence at p[0..len) (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t len)
{
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	uint32_t cp;

	if (!n || p[0] > 0xf4 || len < n)
		return 0;
	cp = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A value for a log line: at most 1 KiB of it, '"', '\\' and control
 * bytes escaped and bytes that are not UTF-8 replaced (U+FFFD), so that a
 * JSON line stays one line of valid JSON and a text line one line, whatever
 * a request target or a resource's name holds. */
static void log_value(const char *v, size_t len, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t o = 0;

	for (size_t i = 0; i < len && i < 1024 && o + 8 < cap;) {
		size_t n = p[i] < 0x80 ? 1 : utf8_len(p + i, len - i);

		if (p[i] == '"' || p[i] == '\\') {
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
	out[o] = '\0';
}

/* log_value of a listener's or route's name (none: empty). */
static void log_name(const char *name, char *out, size_t cap)
{
	log_value(name ? name : "", name ? strlen(name) : 0, out, cap);
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

/* The escaped values of an entry's names and texts (log_value). */
struct access_text {
	char gw[520], l[600], r[600], path[1200], host[600], src[64], version[12], error[600];
};

static void access_text(const struct sg_access_entry *e, struct access_text *t)
{
	log_value(e->target, e->target_len, t->path, sizeof(t->path));
	log_value(e->host, e->host ? e->host_len : 0, t->host, sizeof(t->host));
	log_name(e->listener, t->l, sizeof(t->l));
	log_name(e->route, t->r, sizeof(t->r));
	log_name(e->src, t->src, sizeof(t->src));
	log_name(e->error, t->error, sizeof(t->error));
	if (e->gw_name)
		snprintf(t->gw, sizeof(t->gw), "%s/%s", e->gw_ns ? e->gw_ns : "", e->gw_name);
	else
		t->gw[0] = '\0';
	if (e->version)
		snprintf(t->version, sizeof(t->version), "%s", e->version);
	else
		snprintf(t->version, sizeof(t->version), "HTTP/1.%u", e->minor);
}

static const char *dash(const char *v)
{
	return v && *v ? v : "-";
}

void sg_frontend_log(struct sg_frontend *ctx, const struct sg_access_entry *e)
{
	const char *m = e->method ? e->method : "";
	int mlen = (int)e->method_len;
	struct access_text t;
	char line[6144];
	int n;

	if (e->at)
		sg_attempt_over(e->at, e->bytes_in, e->bytes_out);
	if (ctx->access_log == SG_ACCESS_LOG_OFF)
		return;
	access_text(e, &t);
	if (ctx->access_log == SG_ACCESS_LOG_JSON)
		n = snprintf(line, sizeof(line),
			     "{\"time\":\"%s\",\"level\":\"info\",\"gateway\":\"%s\","
			     "\"listener\":\"%s\",\"route\":\"%s\",\"endpoint\":\"%s\","
			     "\"src.addr\":\"%s\",\"http.method\":\"%.*s\",\"http.host\":\"%s\","
			     "\"http.path\":\"%s\",\"http.version\":\"%s\",\"http.status\":%u,"
			     "\"protocol\":\"%s\",\"attempts\":%u,\"duration_ms\":%llu,"
			     "\"bytes_in\":%llu,\"bytes_out\":%llu,\"engine\":\"%s\"%s%s%s%s%s}\n",
			     stamp(ctx), t.gw, t.l, t.r, e->endpoint, t.src, mlen, m, t.host,
			     t.path, t.version, e->status, dash(e->protocol), e->attempts,
			     (unsigned long long)e->duration_ms, (unsigned long long)e->bytes_in,
			     (unsigned long long)e->bytes_out, sg_relay_engine_name(e->engine),
			     e->reason ? ",\"reason\":\"" : "", e->reason ? e->reason : "",
			     e->reason ? "\",\"error\":\"" : "", t.error, e->reason ? "\"" : "");
	else
		n = snprintf(line, sizeof(line),
			     "%s info  request gateway=%s listener=%s route=%s endpoint=%s "
			     "src.addr=%s http.method=%.*s http.host=%s http.path=%s "
			     "http.version=%s http.status=%u protocol=%s attempts=%u "
			     "duration=%llums bytes_in=%llu bytes_out=%llu engine=%s%s%s%s%s%s\n",
			     stamp(ctx), dash(t.gw), dash(t.l), dash(t.r), dash(e->endpoint),
			     dash(t.src), mlen, m, dash(t.host), t.path, t.version, e->status,
			     dash(e->protocol), e->attempts, (unsigned long long)e->duration_ms,
			     (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out,
			     sg_relay_engine_name(e->engine), e->reason ? " reason=" : "",
			     e->reason ? e->reason : "", e->reason ? " error=\"" : "", t.error,
			     e->reason ? "\"" : "");
	if (n > 0 && write(STDOUT_FILENO, line,
			   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) == -1)
		ctx->access_log = SG_ACCESS_LOG_OFF; /* stdout is gone: stop trying */
}

bool sg_frontend_admit(struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip,
		       uint16_t port)
{
	if (bind->netauthz && !sg_authz_connection(bind->netauthz, ip, port)) {
		sg_stats_add(ctx->stats, SG_STAT_REFUSED_NETAUTHZ, 1);
		SG_DEBUG("%s:%u: refused by networkAuthorization, closed", ip, port);
		return false;
	}
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
	struct sg_slab *slabs[] = { &ctx->client_mem, &ctx->h2conn_mem, &ctx->h2session_mem };
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
					 const struct sg_match **match, enum sg_fail *why)
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
	return sg_route_select_match(*listener, &in, match);
}
