/* config_dump: the model as agentgateway's admin prints it, field for field
 * (seeds 000, 002, 004): binds -> listeners -> routes, policies with
 * key/name/target/policy and the hTTP/tCP variant names, nulls kept. */
#include "admin/dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cel.h"
#include "config/auth.h"
#include "config/mcpauthconf.h"
#include "admin/dumppolicy.h"
#include "admin/mcpdump.h"
#include "policy/status.h"
#include "user/auth/jwt.h"
#include "user/auth/oidc.h"
#include "user/base/json.h"

static struct sg_json *opt_int(int64_t v)
{
	return v == SG_UNSET ? sg_json_null() : sg_json_number((double)v);
}

static struct sg_json *str_or_null(const char *s)
{
	return s ? sg_json_string(s) : sg_json_null();
}

static struct sg_json *status_code(uint16_t code)
{
	const char *reason = sg_status_reason(code);
	char buf[64];

	snprintf(buf, sizeof(buf), "%u %s", code, reason ? reason : "<unknown status code>");
	return sg_json_string(buf);
}

/* ---- policies ---------------------------------------------------------- */

static struct sg_json *keepalive(const struct sg_keepalive *k)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_bool(o, "enabled", k->enabled);
	sg_json_add(o, "time", sg_dump_dur(k->time));
	sg_json_add(o, "interval", sg_dump_dur(k->interval));
	sg_json_add_num(o, "retries", k->retries);
	return o;
}

static struct sg_json *frontend_http(const struct sg_frontend_http *h)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_num(o, "maxBufferSize", (double)h->max_buffer_size);
	sg_json_add(o, "http1MaxHeaders", opt_int(h->http1_max_headers));
	sg_json_add(o, "http1IdleTimeout", sg_dump_dur(h->http1_idle_timeout));
	sg_json_add(o, "http2WindowSize", opt_int(h->http2_window_size));
	sg_json_add(o, "http2ConnectionWindowSize", opt_int(h->http2_connection_window_size));
	sg_json_add(o, "http2FrameSize", opt_int(h->http2_frame_size));
	sg_json_add(o, "http2KeepaliveInterval", sg_dump_dur(h->http2_keepalive_interval));
	sg_json_add(o, "http2KeepaliveTimeout", sg_dump_dur(h->http2_keepalive_timeout));
	/* Newer than the dumps the guides show: printed only when set, so
	 * theirs stay byte for byte. */
	if (h->max_connection_duration != SG_DUR_UNSET)
		sg_json_add(o, "maxConnectionDuration", sg_dump_dur(h->max_connection_duration));
	if (h->max_concurrent_requests != SG_UNSET)
		sg_json_add_num(o, "maxConcurrentRequests", (double)h->max_concurrent_requests);
	if (!h->path.normalize)
		sg_json_add_bool(o, "normalizePath", false);
	if (!h->path.merge_slashes)
		sg_json_add_bool(o, "mergeSlashes", false);
	if (h->path.escaped_slashes != SG_SLASHES_KEEP)
		sg_json_add_str(o, "pathWithEscapedSlashesAction",
				h->path.escaped_slashes == SG_SLASHES_REJECT
					? "REJECT_REQUEST"
					: "UNESCAPE_AND_FORWARD");
	return o;
}

static const char *tls_version_name(enum sg_tls_version v)
{
	return v == SG_TLS_1_3 ? "TLS_V1_3" : "TLS_V1_2";
}

/* agentgateway's frontend::TLS: alpn is an Option<Vec<Vec<u8>>>, which
 * serde prints as lists of byte values; the rest only when set. */
static struct sg_json *frontend_tls(const struct sg_frontend_tls *t)
{
	struct sg_json *o = sg_json_object();

	sg_json_add(o, "handshakeTimeout", sg_dump_dur(t->handshake_timeout));
	if (t->has_alpn) {
		struct sg_json *alpn = sg_json_add_array(o, "alpn");

		for (size_t i = 0; i < t->alpn.n; i++) {
			struct sg_json *bytes = sg_json_array();

			for (const char *c = t->alpn.v[i]; *c; c++)
				sg_json_push(bytes, sg_json_number((unsigned char)*c));
			sg_json_push(alpn, bytes);
		}
	} else {
		sg_json_add_null(o, "alpn");
	}
	if (t->min_version)
		sg_json_add_str(o, "minVersion", tls_version_name(t->min_version));
	if (t->max_version)
		sg_json_add_str(o, "maxVersion", tls_version_name(t->max_version));
	if (t->suites.names.n) {
		struct sg_json *a = sg_json_add_array(o, "cipherSuites");

		for (size_t i = 0; i < t->suites.names.n; i++)
			sg_json_push(a, sg_json_string(t->suites.names.v[i]));
	}
	return o;
}

/* Timeouts print only what is set (agentgateway skips None). */
static struct sg_json *timeout(const struct sg_timeout *t)
{
	struct sg_json *o = sg_json_object();

	if (t->request != SG_DUR_UNSET)
		sg_json_add(o, "requestTimeout", sg_dump_dur(t->request));
	if (t->backend_request != SG_DUR_UNSET)
		sg_json_add(o, "backendRequestTimeout", sg_dump_dur(t->backend_request));
	if (t->response_idle != SG_DUR_UNSET)
		sg_json_add(o, "responseIdleTimeout", sg_dump_dur(t->response_idle));
	return o;
}

/* Gateway API's sessionPersistence in its current shape (type,
 * absoluteTimeout, cookie {name, path, lifetimeType} | header {name}),
 * plus idleTimeout, with the name in force (a generated one too). */
static struct sg_json *session(const struct sg_session *s)
{
	struct sg_json *o = sg_json_object(), *part;

	sg_json_add_str(o, "type", s->kind == SG_SESSION_HEADER ? "Header" : "Cookie");
	if (s->absolute != SG_DUR_UNSET)
		sg_json_add(o, "absoluteTimeout", sg_dump_dur(s->absolute));
	if (s->idle != SG_DUR_UNSET)
		sg_json_add(o, "idleTimeout", sg_dump_dur(s->idle));
	part = sg_json_object();
	sg_json_add_str(part, "name", s->name);
	if (s->kind == SG_SESSION_HEADER) {
		sg_json_add(o, "header", part);
		return o;
	}
	sg_json_add_str(part, "path", s->path);
	sg_json_add_str(part, "lifetimeType", s->permanent ? "Permanent" : "Session");
	sg_json_add(o, "cookie", part);
	return o;
}

static struct sg_json *retry(const struct sg_retry *r)
{
	struct sg_json *o = sg_json_object(), *codes = sg_json_array();

	sg_json_add_num(o, "attempts", r->attempts);
	if (r->backoff != SG_DUR_UNSET)
		sg_json_add(o, "backoff", sg_dump_dur(r->backoff));
	for (size_t i = 0; i < r->codes.n; i++)
		sg_json_push(codes, status_code(r->codes.v[i]));
	sg_json_add(o, "codes", codes);
	if (r->precondition)
		sg_json_add_str(o, "precondition", sg_cel_source(r->precondition));
	if (r->condition)
		sg_json_add_str(o, "condition", sg_cel_source(r->condition));
	return o;
}

static struct sg_json *backend_tcp(const struct sg_backend_tcp *t, const struct sg_global *g)
{
	struct sg_json *o = sg_json_object();

	sg_json_add(o, "keepalives",
		    keepalive(t->has_keepalives ? &t->keepalives : &g->keepalives));
	sg_json_add(o, "connectTimeout",
		    sg_dump_dur(t->connect_timeout != SG_DUR_UNSET ? t->connect_timeout
								   : g->connect_timeout));
	return o;
}

static struct sg_json *backend_http(const struct sg_backend_http *h)
{
	struct sg_json *o = sg_json_object();

	if (h->version == SG_HTTP_VERSION_UNSET)
		sg_json_add_null(o, "version");
	else
		sg_json_add(
			o, "version",
			sg_json_string(h->version == SG_HTTP_VERSION_2 ? "HTTP/2.0" : "HTTP/1.1"));
	if (h->request_timeout != SG_DUR_UNSET)
		sg_json_add(o, "requestTimeout", sg_dump_dur(h->request_timeout));
	return o;
}

/* agentgateway's health::Policy: unset fields are skipped, scores 0..1. */
static struct sg_json *health(const struct sg_health_policy *h)
{
	struct sg_json *o = sg_json_object(), *ev;

	if (h->unhealthy_expression)
		sg_json_add_str(o, "unhealthyExpression", h->unhealthy_expression);
	if (!h->has_eviction)
		return o;
	ev = sg_json_add_object(o, "eviction");
	if (!ev)
		return o;
	if (h->duration != SG_DUR_UNSET)
		sg_json_add(ev, "duration", sg_dump_dur(h->duration));
	if (h->restore_health >= 0)
		sg_json_add_num(ev, "restoreHealth", h->restore_health);
	if (h->consecutive_failures != SG_UNSET)
		sg_json_add_num(ev, "consecutiveFailures", (double)h->consecutive_failures);
	if (h->health_threshold >= 0)
		sg_json_add_num(ev, "healthThreshold", h->health_threshold);
	return o;
}

/* {"frontend": {"hTTP": ...}} and friends: one variant inside one group. */
static struct sg_json *variant(const char *group, const char *name, struct sg_json *inner)
{
	struct sg_json *outer = sg_json_object(), *mid = sg_json_object();

	sg_json_add(mid, name, inner);
	sg_json_add(outer, group, mid);
	return outer;
}

/* ---- route filters, as agentgateway prints them ----------------------- */

static struct sg_json *header_map(const struct sg_header_kvs *kvs)
{
	struct sg_json *o = sg_json_object();

	for (size_t i = 0; i < kvs->n; i++)
		sg_json_add_str(o, kvs->v[i].name, kvs->v[i].value);
	return o;
}

static struct sg_json *hdrmod(const struct sg_hdrmod *m)
{
	struct sg_json *o = sg_json_object();

	if (m->add.n)
		sg_json_add(o, "add", header_map(&m->add));
	if (m->set.n)
		sg_json_add(o, "set", header_map(&m->set));
	if (m->remove.n)
		sg_json_add(o, "remove", sg_dump_strs(&m->remove));
	return o;
}

static void add_authority(struct sg_json *o, const struct sg_authority *a)
{
	struct sg_json *v;

	switch (a->kind) {
	case SG_AUTHORITY_UNSET:
		return;
	case SG_AUTHORITY_AUTO:
	case SG_AUTHORITY_NONE:
		sg_json_add_str(o, "authority", a->kind == SG_AUTHORITY_AUTO ? "auto" : "none");
		return;
	case SG_AUTHORITY_PORT:
		v = sg_json_add_object(o, "authority");
		sg_json_add_num(v, "port", a->port);
		return;
	default:
		v = sg_json_add_object(o, "authority");
		sg_json_add_str(v, a->kind == SG_AUTHORITY_FULL ? "full" : "host", a->value);
		return;
	}
}

static void add_pathmod(struct sg_json *o, const struct sg_pathmod *p)
{
	if (p->kind == SG_PATHMOD_UNSET)
		return;
	sg_json_add_str(sg_json_add_object(o, "path"),
			p->kind == SG_PATHMOD_FULL ? "full" : "prefix", p->value);
}

static struct sg_json *redirect(const struct sg_redirect *r)
{
	struct sg_json *o = sg_json_object();

	if (r->scheme)
		sg_json_add_str(o, "scheme", r->scheme);
	add_authority(o, &r->authority);
	add_pathmod(o, &r->path);
	if (r->status)
		sg_json_add_num(o, "status", r->status);
	return o;
}

static struct sg_json *rewrite(const struct sg_rewrite *rw)
{
	struct sg_json *o = sg_json_object();

	add_authority(o, &rw->authority);
	add_pathmod(o, &rw->path);
	return o;
}

/* RFC 4648 base64 with padding (serde_base64). */
static struct sg_json *base64(const char *p, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	struct sg_json *v;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t n = (uint32_t)(unsigned char)p[i] << 16;

		if (i + 1 < len)
			n |= (uint32_t)(unsigned char)p[i + 1] << 8;
		if (i + 2 < len)
			n |= (unsigned char)p[i + 2];
		*o++ = abc[n >> 18 & 63];
		*o++ = abc[n >> 12 & 63];
		*o++ = i + 1 < len ? abc[n >> 6 & 63] : '=';
		*o++ = i + 2 < len ? abc[n & 63] : '=';
	}
	*o = '\0';
	v = sg_json_string(out);
	free(out);
	return v;
}

static struct sg_json *log_add(const struct sg_transform_exprs *l);

static struct sg_json *direct_one(const struct sg_direct *d)
{
	struct sg_json *o = sg_json_object();

	if (d->condition)
		sg_json_add_str(o, "condition", sg_cel_source(d->condition));
	if (d->body_len)
		sg_json_add(o, "body", base64(d->body, d->body_len));
	if (d->body_expr)
		sg_json_add_str(o, "bodyExpression", sg_cel_source(d->body_expr));
	if (d->headers)
		sg_json_add(o, "headers", log_add(&d->headers->set));
	sg_json_add_num(o, "status", d->status);
	return o;
}

/* {status, body}, or {conditional: [{condition, status, body}, ...]}. */
static struct sg_json *direct(const struct sg_direct *d)
{
	struct sg_json *o, *l;

	if (!d->conditional)
		return direct_one(d);
	o = sg_json_object();
	l = sg_json_add_array(o, "conditional");
	for (; d; d = d->next)
		sg_json_push(l, direct_one(d));
	return o;
}

/* {"name": "ns/hostname", "port": p} of a Service backend. */
static struct sg_json *service_ref(const struct sg_backend_ref *br)
{
	struct sg_json *svc = sg_json_object();
	char name[512];

	snprintf(name, sizeof(name), "%s/%s", br->svc->ns, br->svc->hostname);
	sg_json_add_str(svc, "name", name);
	sg_json_add_num(svc, "port", br->port);
	return svc;
}

static struct sg_json *mirror_backend(const struct sg_backend_ref *br)
{
	struct sg_json *o = sg_json_object();

	switch (br->kind) {
	case SG_BREF_SERVICE:
		sg_json_add(o, "service", service_ref(br));
		return o;
	case SG_BREF_INVALID:
		sg_json_free(o);
		return sg_json_string("invalid");
	default:
		sg_json_add_str(o, "inlineBackend", br->host);
		return o;
	}
}

static struct sg_json *mirrors(const struct sg_mirrors *ms)
{
	struct sg_json *arr = sg_json_array();

	for (size_t i = 0; i < ms->n; i++) {
		struct sg_json *o = sg_json_object();

		sg_json_add(o, "backend", mirror_backend(ms->v[i].backend));
		sg_json_add(o, "percentage", sg_json_float(ms->v[i].percentage));
		sg_json_push(arr, o);
	}
	return arr;
}

/* A list, or ["*"] when it holds "*". */
static struct sg_json *cors_list(const struct sg_strs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->v[i], "*")) {
			struct sg_json *star = sg_json_array();

			sg_json_push(star, sg_json_string("*"));
			return star;
		}
	}
	return sg_dump_strs(l);
}

static struct sg_json *cors(const struct sg_cors *c)
{
	struct sg_json *o = sg_json_object();
	char age[24];

	sg_json_add_bool(o, "allowCredentials", c->allow_credentials);
	if (c->allow_headers.n)
		sg_json_add(o, "allowHeaders", cors_list(&c->allow_headers));
	if (c->allow_methods.n)
		sg_json_add(o, "allowMethods", cors_list(&c->allow_methods));
	if (c->allow_origins.n)
		sg_json_add(o, "allowOrigins", cors_list(&c->allow_origins));
	if (c->expose_headers.n)
		sg_json_add(o, "exposeHeaders", cors_list(&c->expose_headers));
	if (c->max_age == SG_DUR_UNSET) {
		sg_json_add_null(o, "maxAge");
	} else {
		snprintf(age, sizeof(age), "%llu", (unsigned long long)(c->max_age / 1000000000));
		sg_json_add_str(o, "maxAge", age);
	}
	return o;
}

/* localRateLimit's list, each as agentgateway's RateLimitSpec prints. */
static struct sg_json *ratelimits(const struct sg_ratelimits *l)
{
	struct sg_json *a = sg_json_array();

	for (size_t i = 0; i < l->n; i++) {
		struct sg_json *o = sg_json_object();

		sg_json_add_num(o, "maxTokens", (double)l->v[i].max_tokens);
		sg_json_add_num(o, "tokensPerFill", (double)l->v[i].tokens_per_fill);
		sg_json_add(o, "fillInterval", sg_dump_dur(l->v[i].fill_interval));
		sg_json_add_str(o, "type", l->v[i].tokens ? "tokens" : "requests");
		sg_json_push(a, o);
	}
	return a;
}

/* [[name, expression], ...] */
static struct sg_json *transform_exprs(const struct sg_transform_exprs *l)
{
	struct sg_json *a = sg_json_array();

	for (size_t i = 0; i < l->n; i++) {
		struct sg_json *pair = sg_json_array();

		sg_json_push(pair, sg_json_string(l->v[i].name));
		sg_json_push(pair, sg_json_string(sg_cel_source(l->v[i].expr)));
		sg_json_push(a, pair);
	}
	return a;
}

/* One side as agentgateway's TransformerConfig: empty lists left out. */
static struct sg_json *transform_side(const struct sg_transform_side *s)
{
	struct sg_json *o = sg_json_object();

	if (s->add.n)
		sg_json_add(o, "add", transform_exprs(&s->add));
	if (s->set.n)
		sg_json_add(o, "set", transform_exprs(&s->set));
	if (s->remove.n)
		sg_json_add(o, "remove", sg_dump_strs(&s->remove));
	if (s->body)
		sg_json_add_str(o, "body", sg_cel_source(s->body));
	return o;
}

static struct sg_json *transform(const struct sg_transform *t)
{
	struct sg_json *o = sg_json_object();

	sg_json_add(o, "request", transform_side(&t->request));
	sg_json_add(o, "response", transform_side(&t->response));
	return o;
}

/* An access log's fields as agentgateway's OrderedStringMap, a direct
 * response's headers: {name: source}. */
static struct sg_json *log_add(const struct sg_transform_exprs *l)
{
	struct sg_json *o = sg_json_object();

	for (size_t i = 0; i < l->n; i++)
		sg_json_add_str(o, l->v[i].name, sg_cel_source(l->v[i].expr));
	return o;
}

static struct sg_json *cel_or_null(const struct sg_cel *e)
{
	return e ? sg_json_string(sg_cel_source(e)) : sg_json_null();
}

/* frontendPolicies.accessLog as agentgateway's LoggingPolicy. */
static struct sg_json *access_log(const struct sg_log_policy *p)
{
	struct sg_json *o = sg_json_object();

	sg_json_add(o, "filter", cel_or_null(p->filter));
	sg_json_add(o, "add", log_add(&p->add));
	sg_json_add(o, "remove", sg_dump_strs(&p->remove));
	return o;
}

/* config.logging as agentgateway's telemetry::log::Config. */
static struct sg_json *logging(const struct sg_logging *l)
{
	struct sg_json *o = sg_json_object(), *f;

	sg_json_add(o, "filter", cel_or_null(l->access.filter));
	f = sg_json_add_object(o, "fields");
	sg_json_add(f, "remove", sg_dump_strs(&l->access.remove));
	sg_json_add(f, "add", log_add(&l->access.add));
	sg_json_add_str(o, "level", l->level ? l->level : "info");
	sg_json_add_str(o, "format", l->format == SG_LOG_FORMAT_JSON ? "json" : "text");
	return o;
}

/* A tracing header's value as agentgateway prints it: authorization's
 * hidden. */
static struct sg_json *trace_headers(const struct sg_strs *h)
{
	struct sg_json *o = sg_json_object();

	for (size_t i = 0; i + 1 < h->n; i += 2)
		sg_json_add_str(o, h->v[i],
				strcmp(h->v[i], "authorization") ? h->v[i + 1] : "<redacted>");
	return o;
}

/* An OTLP protocol as the config names it: agentgateway's grpc and http,
 * or http/json (splicegate's: OpenTelemetry's name). */
static const char *protocol_name(enum sg_otlp_protocol p)
{
	return p == SG_OTLP_GRPC ? "grpc" : p == SG_OTLP_HTTP ? "http" : "http/json";
}

/* config.tracing as agentgateway's trc::Config (snake_case, as it
 * serialises it; no fields are taken, so none are printed). */
static struct sg_json *tracing(const struct sg_tracing *t)
{
	struct sg_json *o = sg_json_object(), *f;

	sg_json_add_str(o, "endpoint", t->endpoint);
	sg_json_add(o, "headers", trace_headers(&t->headers));
	sg_json_add_str(o, "protocol", protocol_name(t->protocol));
	f = sg_json_add_object(o, "fields");
	sg_json_add(f, "remove", sg_dump_strs(&t->fields.remove));
	sg_json_add(f, "add", log_add(&t->fields.add));
	sg_json_add(o, "random_sampling", str_or_null(t->random_text));
	sg_json_add(o, "client_sampling", str_or_null(t->client_text));
	sg_json_add_str(o, "path", t->path);
	return o;
}

/* frontendPolicies.tracing as its TracingConfig reads: the target, the
 * path and protocol, the sampling overrides. */
static struct sg_json *frontend_tracing(const struct sg_tracing *t)
{
	struct sg_json *o = sg_json_object();
	struct sg_json *res;

	if (t->to.ref_at)
		sg_dump_service_target(o, &t->to);
	else if (t->backend)
		sg_json_add_str(o, "backend", t->backend);
	else
		sg_json_add_str(o, "host", t->endpoint);
	if (t->policy_tls)
		sg_json_add(sg_json_add_object(o, "policies"), "backendTLS",
			    sg_dump_backend_tls(t->policy_tls));
	sg_json_add(o, "attributes", log_add(&t->fields.add));
	res = sg_json_add_object(o, "resources");
	for (size_t i = 0; i < t->nresources; i++)
		sg_json_add_str(res, t->resources[i].name, sg_cel_source(t->resources[i].expr));
	sg_json_add(o, "remove", sg_dump_strs(&t->fields.remove));
	sg_json_add(o, "randomSampling", str_or_null(t->random_text));
	sg_json_add(o, "clientSampling", str_or_null(t->client_text));
	if (t->fields.filter)
		sg_json_add_str(o, "filter", sg_cel_source(t->fields.filter));
	sg_json_add_str(o, "path", t->path);
	sg_json_add_str(o, "protocol", protocol_name(t->protocol));
	return o;
}

/* csrf as agentgateway prints it (its set of origins; here in the order
 * the config gives them). */
static struct sg_json *csrf(const struct sg_csrf *c)
{
	struct sg_json *o = sg_json_object();

	sg_json_add(o, "additionalOrigins", sg_dump_strs(&c->additional_origins));
	return o;
}

/* jwtAuth as agentgateway prints it: its mode, each provider's issuer and
 * key ids (never the keys), its location. */
static struct sg_json *jwt_auth(const struct sg_jwt_auth *j)
{
	struct sg_json *o = sg_json_object(), *ps;

	sg_json_add_str(o, "mode", sg_auth_mode_name(j->mode));
	ps = sg_json_add_array(o, "providers");
	for (size_t i = 0; i < j->nproviders; i++) {
		const struct sg_jwks *k = sg_jwt_keys(j, i);
		struct sg_json *p = sg_json_object(), *kids;

		sg_json_add_str(p, "issuer", j->providers[i].issuer);
		kids = sg_json_add_array(p, "keys");
		for (size_t n = 0; n < sg_jwks_count(k); n++)
			sg_json_push(kids, sg_json_string(sg_jwks_kid(k, n)));
		sg_json_push(ps, p);
	}
	sg_json_add(o, "location", sg_dump_location(&j->location));
	return o;
}

/* mcpAuthentication as agentgateway prints it: the route's jwtAuth (the
 * token's verifier) with the MCP part beside it; resourceMetadata's keys
 * in order, the client secret redacted. */
static struct sg_json *mcp_authn(const struct sg_mcp_authn *m)
{
	struct sg_json *o = jwt_auth(&m->jwt), *mcp = sg_json_add_object(o, "mcp"), *idp;

	sg_json_add_str(mcp, "issuer", m->issuer);
	sg_json_add(mcp, "audiences", sg_dump_strs(&m->audiences));
	if (m->provider != SG_MCP_IDP_NONE) {
		idp = sg_json_add_object(mcp, "provider");
		sg_json_add_object(idp, sg_mcp_idp_name(m->provider));
	} else {
		sg_json_add_null(mcp, "provider");
	}
	sg_json_add(mcp, "resourceMetadata", sg_json_of_map(m->metadata, false));
	sg_json_add(mcp, "jwtValidator", jwt_auth(&m->jwt));
	sg_json_add_str(mcp, "mode", sg_auth_mode_name(m->jwt.mode));
	if (m->client_id)
		sg_json_add_str(mcp, "clientId", m->client_id);
	else
		sg_json_add_null(mcp, "clientId");
	if (m->client_secret)
		sg_json_add_str(mcp, "clientSecret", "<redacted>");
	return o;
}

/* apiKey as agentgateway prints it: the keys redacted. */
static struct sg_json *api_keys(const struct sg_api_keys *k)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "users", "<redacted>");
	sg_json_add_str(o, "mode", sg_auth_mode_name(k->mode));
	sg_json_add(o, "location", sg_dump_location(&k->location));
	return o;
}

/* basicAuth as agentgateway prints it: the htpasswd redacted. */
static struct sg_json *basic_auth(const struct sg_basic_auth *b)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "htpasswd", "<redacted>");
	if (b->realm)
		sg_json_add_str(o, "realm", b->realm);
	else
		sg_json_add_null(o, "realm");
	sg_json_add_str(o, "mode", sg_auth_mode_name(b->mode));
	sg_json_add(o, "authorizationLocation", sg_dump_location(&b->location));
	return o;
}

/* oidc as agentgateway prints its compiled policy: the client secret
 * redacted, the endpoints as discovered (null before: `check`). */
static struct sg_json *oidc(const struct sg_oidc *o)
{
	const struct sg_oidc_ready *rd = o->rt ? o->rt->p : NULL;
	struct sg_json *j = sg_json_object(), *p, *c, *s, *sc;
	const char *scope = o->scope;

	sg_json_add_str(j, "policyId", o->policy_id ? o->policy_id : "");
	p = sg_json_add_object(j, "provider");
	sg_json_add_str(p, "issuer", o->issuer);
	if (rd && rd->authorization_endpoint) {
		sg_json_add_str(p, "authorizationEndpoint", rd->authorization_endpoint);
		sg_json_add_str(p, "tokenEndpoint", rd->token_endpoint);
	} else {
		sg_json_add_null(p, "authorizationEndpoint");
		sg_json_add_null(p, "tokenEndpoint");
	}
	sg_json_add(p, "idTokenValidator", jwt_auth(&o->validator));
	c = sg_json_add_object(j, "client");
	sg_json_add_str(c, "clientId", o->client_id);
	sg_json_add_str(c, "clientSecret", "<redacted>");
	sg_json_add_str(c, "tokenEndpointAuth",
			(rd ? rd->post : o->client_auth == SG_OIDC_SECRET_POST)
				? "clientSecretPost"
				: "clientSecretBasic");
	sg_json_add_str(j, "redirectUri", o->redirect_uri);
	s = sg_json_add_object(j, "session");
	if (rd) {
		sg_json_add_str(s, "cookieName", rd->session_cookie);
		sg_json_add_str(s, "transactionCookiePrefix", rd->txn_prefix);
	}
	sg_json_add_str(s, "sameSite", "lax");
	sg_json_add_str(s, "secure", "auto");
	sg_json_add_str(s, "ttl", "1h");
	sg_json_add_str(s, "transactionTtl", "5m");
	sg_json_add_str(s, "encoder", "aes");
	sc = sg_json_add_array(j, "scopes");
	while (scope && *scope) {
		size_t n = strcspn(scope, " ");
		char one[256];

		snprintf(one, sizeof(one), "%.*s", (int)n, scope);
		sg_json_push(sc, sg_json_string(one));
		scope += n + (scope[n] == ' ');
	}
	return j;
}

/* remoteRateLimit as agentgateway's standalone config writes it: the
 * descriptors' values as the expressions' text. */
static struct sg_json *remote_rl(const struct sg_remote_rl *l)
{
	struct sg_json *o = sg_json_object(), *ds, *d, *es, *e;

	sg_json_add_str(o, "domain", l->domain);
	sg_dump_service_target(o, &l->to);
	ds = sg_json_add_array(o, "descriptors");
	for (size_t i = 0; i < l->nd; i++) {
		d = sg_json_object();
		es = sg_json_add_array(d, "entries");
		for (size_t k = 0; k < l->d[i].n; k++) {
			e = sg_json_object();
			sg_json_add_str(e, "key", l->d[i].entries[k].key);
			sg_json_add_str(e, "value", sg_cel_source(l->d[i].entries[k].value));
			sg_json_push(es, e);
		}
		sg_json_add_str(d, "type", "requests");
		sg_json_push(ds, d);
	}
	sg_json_add_str(o, "failureMode", l->fail_open ? "failOpen" : "failClosed");
	sg_json_add(sg_json_add_object(sg_json_add_object(o, "policies"), "http"), "requestTimeout",
		    sg_dump_dur(l->timeout));
	return o;
}

/* An expression's text into o[key] (null when there is none, as
 * agentgateway prints an unset Option). */
static void add_cel(struct sg_json *o, const char *key, const struct sg_cel *e)
{
	if (e)
		sg_json_add_str(o, key, sg_cel_source(e));
	else
		sg_json_add_null(o, key);
}

/* {name: expression} as written into o[key], when there is any (as
 * agentgateway skips an empty map). */
static void add_exprs(struct sg_json *o, const char *key, const struct sg_transform_exprs *l)
{
	struct sg_json *v = l->n ? sg_json_add_object(o, key) : NULL;

	for (size_t i = 0; i < l->n; i++)
		sg_json_add_str(v, l->v[i].name, sg_cel_source(l->v[i].expr));
}

/* The http protocol's expressions, as written. */
static void ext_authz_http(struct sg_json *proto, const struct sg_ext_authz *x)
{
	struct sg_json *v;

	add_cel(proto, "path", x->path);
	add_cel(proto, "redirect", x->redirect);
	add_cel(proto, "body", x->body_expr);
	if (x->response.n) {
		v = sg_json_add_array(proto, "includeResponseHeaders");
		for (size_t i = 0; i < x->response.n; i++)
			sg_json_push(v, sg_json_string(x->response.v[i]));
	}
	add_exprs(proto, "addRequestHeaders", &x->add_headers.set);
	add_exprs(proto, "metadata", &x->metadata);
}

/* extAuthz as agentgateway prints it: the service, the protocol, the
 * failure mode, what is sent, the cache (nothing in it is secret). */
static struct sg_json *ext_authz(const struct sg_ext_authz *x)
{
	struct sg_json *o = sg_json_object(), *proto, *v;

	sg_dump_service_target(o, &x->to);
	proto = sg_json_add_object(sg_json_add_object(o, "protocol"), x->http ? "http" : "grpc");
	if (x->http)
		ext_authz_http(proto, x);
	if (!x->http && x->context.n) {
		v = sg_json_add_object(proto, "context");
		for (size_t i = 0; i + 1 < x->context.n; i += 2)
			sg_json_add_str(v, x->context.v[i], x->context.v[i + 1]);
	}
	if (!x->http)
		add_exprs(proto, "metadata", &x->metadata);
	if (x->failure == SG_EXT_AUTHZ_STATUS)
		sg_json_add_num(sg_json_add_object(o, "failureMode"), "denyWithStatus",
				x->deny_status);
	else
		sg_json_add_str(o, "failureMode",
				x->failure == SG_EXT_AUTHZ_ALLOW ? "allow" : "deny");
	if (x->headers.n) {
		v = sg_json_add_array(o, "includeRequestHeaders");
		for (size_t i = 0; i < x->headers.n; i++)
			sg_json_push(v, sg_json_string(x->headers.v[i]));
	}
	if (x->body) {
		v = sg_json_add_object(o, "includeRequestBody");
		sg_json_add_num(v, "maxRequestBytes", x->body_max);
		sg_json_add_bool(v, "allowPartialMessage", x->body_partial);
		sg_json_add_bool(v, "packAsBytes", x->body_raw);
	}
	if (x->cache) {
		v = sg_json_add_object(o, "cache");
		proto = sg_json_add_array(v, "key");
		for (size_t i = 0; i < x->cache->nkey; i++)
			sg_json_push(proto, sg_json_string(sg_cel_source(x->cache->key[i])));
		add_cel(v, "ttl", x->cache->ttl);
		sg_json_add_num(v, "maxEntries", x->cache->max_entries);
	}
	sg_json_add(sg_json_add_object(sg_json_add_object(o, "policies"), "http"), "requestTimeout",
		    sg_dump_dur(x->timeout));
	return o;
}

/* A RuleSet as agentgateway prints it: {"rules": {"allow": [...], "deny":
 * [...], "require": [...]}}, each list only when it has rules. */
static struct sg_json *rule_set(const struct sg_authz *a)
{
	static const char *const names[] = { "allow", "deny", "require" };
	const struct sg_authz_rules *lists[] = { &a->allow, &a->deny, &a->require };
	struct sg_json *o = sg_json_object(), *rules = sg_json_add_object(o, "rules");

	for (size_t i = 0; i < 3; i++) {
		struct sg_json *l = lists[i]->n ? sg_json_add_array(rules, names[i]) : NULL;

		for (size_t j = 0; j < lists[i]->n; j++)
			sg_json_push(l, sg_json_string(sg_cel_source(lists[i]->v[j])));
	}
	return o;
}

static struct sg_json *delay(const struct sg_delay *d)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "duration", sg_cel_source(d->duration));
	return o;
}

/* One inlinePolicies entry per filter of f, in f's order. */
static void push_filters(struct sg_json *inl, const struct sg_filters *f)
{
	for (size_t i = 0; i < f->norder; i++) {
		struct sg_json *p = sg_json_object();

		switch ((enum sg_filter_kind)f->order[i]) {
		case SG_FILTER_REQUEST_HEADERS:
			sg_json_add(p, "requestHeaderModifier", hdrmod(f->request_headers));
			break;
		case SG_FILTER_RESPONSE_HEADERS:
			sg_json_add(p, "responseHeaderModifier", hdrmod(f->response_headers));
			break;
		case SG_FILTER_REDIRECT:
			sg_json_add(p, "requestRedirect", redirect(f->redirect));
			break;
		case SG_FILTER_REWRITE:
			sg_json_add(p, "urlRewrite", rewrite(f->rewrite));
			break;
		case SG_FILTER_MIRROR:
			sg_json_add(p, "requestMirror", mirrors(&f->mirrors));
			break;
		case SG_FILTER_DIRECT:
			sg_json_add(p, "directResponse", direct(f->direct));
			break;
		case SG_FILTER_CORS:
			sg_json_add(p, "cors", cors(f->cors));
			break;
		case SG_FILTER_CSRF:
			sg_json_add(p, "csrf", csrf(f->csrf));
			break;
		case SG_FILTER_LOCAL_RATE_LIMIT:
			sg_json_add(p, "localRateLimit", ratelimits(f->ratelimits));
			break;
		case SG_FILTER_TRANSFORM:
			sg_json_add(p, "transformations", transform(f->transform));
			break;
		case SG_FILTER_JWT:
			sg_json_add(p, "jwtAuth", jwt_auth(f->jwt));
			break;
		case SG_FILTER_BASIC:
			sg_json_add(p, "basicAuth", basic_auth(f->basic));
			break;
		case SG_FILTER_OIDC:
			sg_json_add(p, "oidc", oidc(f->oidc));
			break;
		case SG_FILTER_API_KEY:
			sg_json_add(p, "apiKey", api_keys(f->apikeys));
			break;
		case SG_FILTER_EXT_AUTHZ:
			sg_json_add(p, "extAuthz", ext_authz(f->ext_authz));
			break;
		case SG_FILTER_REMOTE_RATE_LIMIT:
			sg_json_add(p, "remoteRateLimit", remote_rl(f->remote_rl));
			break;
		case SG_FILTER_AUTHZ:
			sg_json_add(p, "authorization", rule_set(f->authz));
			break;
		case SG_FILTER_DELAY:
			sg_json_add(p, "delay", delay(f->delay));
			break;
		case SG_FILTER_A2A:
			sg_json_add_object(p, "a2a");
			break;
		case SG_FILTER_BACKEND_AUTH:
			sg_json_add(p, "backendAuth", sg_dump_backend_auth(f->backend_auth));
			break;
		case SG_FILTER_MCP_AUTHZ:
			sg_json_add(p, "mcpAuthorization", rule_set(f->mcp_authz));
			break;
		case SG_FILTER_MCP_AUTHN:
			sg_json_add(p, "jwtAuth", mcp_authn(f->mcp_authn));
			break;
		case SG_FILTER_KINDS:
			break;
		}
		sg_json_push(inl, p);
	}
}

static struct sg_json *traffic(const struct sg_policy *p, const char *name, struct sg_json *inner)
{
	struct sg_json *outer, *mid;

	/* aimed at a backend, agentgateway makes it a backend policy */
	if (p->target.kind == SG_TARGET_SERVICE || p->target.kind == SG_TARGET_BACKEND)
		return variant("backend", name, inner);
	outer = sg_json_object();
	mid = sg_json_object();

	sg_json_add_str(mid, "phase", p->gateway_phase ? "gateway" : "route");
	sg_json_add(mid, name, inner);
	sg_json_add(outer, "traffic", mid);
	return outer;
}

static struct sg_json *policy_body(const struct sg_policy *p, const struct sg_global *g)
{
	switch (p->kind) {
	case SG_POL_FRONTEND_HTTP:
		return variant("frontend", "hTTP", frontend_http(&p->u.fhttp));
	case SG_POL_FRONTEND_TCP: {
		struct sg_json *tcp = sg_json_object();

		sg_json_add(tcp, "keepalives", keepalive(&p->u.ftcp.keepalives));
		/* Newer than the guides' dumps: printed only when set. */
		if (p->u.ftcp.max_connections != SG_UNSET)
			sg_json_add_num(tcp, "maxConnections", (double)p->u.ftcp.max_connections);
		return variant("frontend", "tCP", tcp);
	}
	case SG_POL_FRONTEND_TLS:
		return variant("frontend", "tLS", frontend_tls(&p->u.ftls));
	case SG_POL_FRONTEND_ACCESS_LOG:
		return variant("frontend", "accessLog", access_log(p->u.access));
	case SG_POL_FRONTEND_PROXY: {
		struct sg_json *pp = sg_json_object();
		unsigned v = p->u.fproxy.versions;

		sg_json_add_str(pp, "version",
				v == (SG_PROXY_V1 | SG_PROXY_V2) ? "all"
				: v == SG_PROXY_V1		 ? "v1"
								 : "v2");
		sg_json_add_str(pp, "mode", p->u.fproxy.optional ? "optional" : "strict");
		return variant("frontend", "proxy", pp);
	}
	case SG_POL_FRONTEND_NETAUTHZ:
		return variant("frontend", "networkAuthorization", rule_set(p->u.netauthz));
	case SG_POL_FRONTEND_TRACING:
		return variant("frontend", "tracing", frontend_tracing(p->u.tracing));
	case SG_POL_TIMEOUT:
		return traffic(p, "timeout", timeout(&p->u.timeout));
	case SG_POL_RETRY:
		return traffic(p, "retry", retry(&p->u.retry));
	case SG_POL_BACKEND_TCP:
		return variant("backend", "tcp", backend_tcp(&p->u.btcp, g));
	case SG_POL_BACKEND_HTTP:
		return variant("backend", "http", backend_http(&p->u.bhttp));
	case SG_POL_BACKEND_HEALTH:
		return variant("backend", "health", health(p->u.health));
	case SG_POL_BACKEND_TLS:
		return variant("backend", "backendTLS", sg_dump_backend_tls(p->u.btls));
	case SG_POL_BACKEND_AUTH:
		return variant("backend", "backendAuth", sg_dump_backend_auth(p->u.backend_auth));
	case SG_POL_A2A:
		return variant("backend", "a2a", sg_json_object());
	case SG_POL_REQUEST_HEADERS:
		return traffic(p, "requestHeaderModifier", hdrmod(p->u.hdrmod));
	case SG_POL_RESPONSE_HEADERS:
		return traffic(p, "responseHeaderModifier", hdrmod(p->u.hdrmod));
	case SG_POL_CORS:
		return traffic(p, "cors", cors(p->u.cors));
	case SG_POL_DIRECT:
		return traffic(p, "directResponse", direct(p->u.direct));
	case SG_POL_LOCAL_RATE_LIMIT:
		return traffic(p, "localRateLimit", ratelimits(p->u.ratelimits));
	case SG_POL_CSRF:
		return traffic(p, "csrf", csrf(p->u.csrf));
	case SG_POL_REMOTE_RATE_LIMIT:
		return traffic(p, "remoteRateLimit", remote_rl(p->u.remote_rl));
	case SG_POL_JWT:
		return traffic(p, "jwtAuth", jwt_auth(p->u.jwt));
	case SG_POL_BASIC:
		return traffic(p, "basicAuth", basic_auth(p->u.basic));
	case SG_POL_API_KEYS:
		return traffic(p, "apiKey", api_keys(p->u.apikeys));
	case SG_POL_EXT_AUTHZ:
		return traffic(p, "extAuthz", ext_authz(p->u.ext_authz));
	case SG_POL_OIDC:
		return traffic(p, "oidc", oidc(p->u.oidc));
	case SG_POL_AUTHZ:
		return traffic(p, "authorization", rule_set(p->u.authz));
	case SG_POL_REDIRECT:
		return traffic(p, "requestRedirect", redirect(p->u.redirect));
	case SG_POL_URL_REWRITE:
		return traffic(p, "urlRewrite", rewrite(p->u.rewrite));
	case SG_POL_MIRROR:
		return traffic(p, "requestMirror", mirrors(p->u.mirrors));
	case SG_POL_TRANSFORM:
		return traffic(p, "transformations", transform(p->u.transform));
	case SG_POL_DELAY:
		return traffic(p, "delay", delay(p->u.delay));
	case SG_POL_HOST_REWRITE:
		return traffic(p, "hostRewrite",
			       sg_json_string(p->u.rewrite->authority.kind == SG_AUTHORITY_AUTO
						      ? "auto"
						      : "none"));
	}
	return sg_json_null();
}

static struct sg_json *target(const struct sg_target *t)
{
	struct sg_json *o = sg_json_object(), *inner = sg_json_object();

	switch (t->kind) {
	case SG_TARGET_GATEWAY:
		sg_json_add_str(inner, "gatewayName", t->name);
		sg_json_add_str(inner, "gatewayNamespace", t->ns);
		sg_json_add(inner, "listenerName", str_or_null(t->section));
		sg_json_add(o, "gateway", inner);
		break;
	case SG_TARGET_ROUTE:
		sg_json_add_str(inner, "name", t->name);
		sg_json_add_str(inner, "namespace", t->ns);
		if (t->section)
			sg_json_add_str(inner, "ruleName", t->section);
		if (t->route_kind) /* none: a standalone route */
			sg_json_add_str(inner, "kind", sg_route_kind_name(t->route_kind));
		sg_json_add(o, "route", inner);
		break;
	case SG_TARGET_LISTENERSET: /* agentgateway's ListenerSetTarget */
		sg_json_add_str(inner, "name", t->name);
		sg_json_add_str(inner, "namespace", t->ns);
		if (t->section)
			sg_json_add_str(inner, "section", t->section);
		sg_json_add(o, "listenerSet", inner);
		break;
	case SG_TARGET_BACKEND: { /* agentgateway's BackendTarget::Backend */
		struct sg_json *be = sg_json_object();

		sg_json_add_str(be, "name", t->name);
		sg_json_add_str(be, "namespace", t->ns);
		if (t->section)
			sg_json_add_str(be, "section", t->section);
		sg_json_add(inner, "backend", be);
		sg_json_add(o, "backend", inner);
		break;
	}
	case SG_TARGET_SERVICE: {
		struct sg_json *svc = sg_json_object();
		char host[512];

		if (t->hostname)
			snprintf(host, sizeof(host), "%s", t->hostname);
		else
			snprintf(host, sizeof(host), "%s.%s.svc.cluster.local", t->name, t->ns);
		sg_json_add_str(svc, "hostname", host);
		sg_json_add_str(svc, "namespace", t->ns);
		if (t->port)
			sg_json_add_num(svc, "port", t->port);
		sg_json_add(inner, "service", svc);
		sg_json_add(o, "backend", inner);
		break;
	}
	}
	return o;
}

static struct sg_json *policy(const struct sg_policy *p, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "key", p->key);
	if (p->src_kind) {
		struct sg_json *name = sg_json_object();

		sg_json_add_str(name, "kind", p->src_kind);
		sg_json_add_str(name, "name", p->src_name);
		sg_json_add_str(name, "namespace", p->src_ns);
		sg_json_add(o, "name", name);
	} else {
		sg_json_add_null(o, "name");
	}
	sg_json_add(o, "target", target(&p->target));
	sg_json_add(o, "policy", policy_body(p, &cfg->global));
	return o;
}

static int policy_cmp(const void *a, const void *b)
{
	const struct sg_policy *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

/* Sorted by key, as agentgateway's store sorts them. */
static struct sg_json *policies(const struct sg_cfg *cfg)
{
	const struct sg_policy **sorted = calloc(cfg->npolicies + 1, sizeof(*sorted));
	struct sg_json *arr = sg_json_array();

	if (!sorted)
		return arr;
	for (size_t i = 0; i < cfg->npolicies; i++)
		sorted[i] = &cfg->policies[i];
	qsort(sorted, cfg->npolicies, sizeof(*sorted), policy_cmp);
	for (size_t i = 0; i < cfg->npolicies; i++)
		sg_json_push(arr, policy(sorted[i], cfg));
	free(sorted);
	return arr;
}

/* ---- routes ------------------------------------------------------------- */

static struct sg_json *kv_matches(const struct sg_kv_match *kv, size_t n)
{
	struct sg_json *arr = sg_json_array();

	for (size_t i = 0; i < n; i++) {
		struct sg_json *o = sg_json_object(), *v = sg_json_object();

		sg_json_add_str(o, "name", kv[i].name);
		sg_json_add_str(v, kv[i].regex ? "regex" : "exact", kv[i].value);
		sg_json_add(o, "value", v);
		sg_json_push(arr, o);
	}
	return arr;
}

static struct sg_json *match(const struct sg_match *m)
{
	static const char *const path_keys[] = {
		[SG_PATH_PREFIX] = "pathPrefix",
		[SG_PATH_EXACT] = "exact",
		[SG_PATH_REGEX] = "regex",
	};
	struct sg_json *o = sg_json_object(), *path = sg_json_object();

	if (m->nheaders)
		sg_json_add(o, "headers", kv_matches(m->headers, m->nheaders));
	sg_json_add_str(path, path_keys[m->path_kind], m->path);
	sg_json_add(o, "path", path);
	if (m->method)
		sg_json_add_str(o, "method", m->method);
	if (m->nquery)
		sg_json_add(o, "query", kv_matches(m->query, m->nquery));
	return o;
}

static struct sg_json *backend_ref(const struct sg_backend_ref *br, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_num(o, "weight", br->weight);
	if (br->kind == SG_BREF_SERVICE) {
		sg_json_add(o, "service", service_ref(br));
	} else if (br->kind == SG_BREF_INVALID) {
		sg_json_add(o, "invalid", sg_json_object());
	} else if (br->kind == SG_BREF_MCP) {
		sg_json_add(o, "mcp", sg_dump_mcp(br->mcp));
	} else if (br->kind == SG_BREF_DYNAMIC) {
		sg_json_add(o, "dynamic", sg_json_object());
	} else if (br->kind == SG_BREF_GROUP) {
		sg_json_add_str(o, "routeGroup", br->group);
	} else {
		sg_json_add_str(o, "host", br->host);
	}
	if (br->http || br->tcp || br->health || br->tls || br->filters.norder) {
		struct sg_json *inl = sg_json_array(), *p;

		if (br->http) {
			p = sg_json_object();
			sg_json_add(p, "http", backend_http(br->http));
			sg_json_push(inl, p);
		}
		if (br->tcp) {
			p = sg_json_object();
			sg_json_add(p, "tcp", backend_tcp(br->tcp, &cfg->global));
			sg_json_push(inl, p);
		}
		if (br->health) {
			p = sg_json_object();
			sg_json_add(p, "health", health(br->health));
			sg_json_push(inl, p);
		}
		push_filters(inl, &br->filters);
		/* agentgateway lists backendTLS after the filters. */
		if (br->tls) {
			p = sg_json_object();
			sg_json_add(p, "backendTLS", sg_dump_backend_tls(br->tls));
			sg_json_push(inl, p);
		}
		sg_json_add(o, "inlinePolicies", inl);
	}
	return o;
}

static struct sg_json *backend_refs(const struct sg_brefs *brefs, const struct sg_cfg *cfg)
{
	struct sg_json *arr = sg_json_array();

	for (size_t i = 0; i < brefs->n; i++)
		sg_json_push(arr, backend_ref(&brefs->v[i], cfg));
	return arr;
}

static struct sg_json *route(const struct sg_route *r, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object(), *arr;

	sg_json_add_str(o, "key", r->key);
	sg_json_add_str(o, "name", r->name);
	sg_json_add_str(o, "namespace", r->ns);
	if (r->rule_name)
		sg_json_add_str(o, "ruleName", r->rule_name);
	if (r->hostnames.n)
		sg_json_add(o, "hostnames", sg_dump_strs(&r->hostnames));
	arr = sg_json_add_array(o, "matches");
	for (size_t i = 0; i < r->nmatches; i++)
		sg_json_push(arr, match(&r->matches[i]));
	if (r->backends.n)
		sg_json_add(o, "backends", backend_refs(&r->backends, cfg));
	if (r->has_timeout || r->has_retry || r->filters.norder || r->session) {
		struct sg_json *inl = sg_json_add_array(o, "inlinePolicies"), *p;

		push_filters(inl, &r->filters);
		if (r->has_timeout) {
			p = sg_json_object();
			sg_json_add(p, "timeout", timeout(&r->timeout));
			sg_json_push(inl, p);
		}
		if (r->has_retry) {
			p = sg_json_object();
			sg_json_add(p, "retry", retry(&r->retry));
			sg_json_push(inl, p);
		}
		if (r->session) {
			p = sg_json_object();
			sg_json_add(p, "sessionPersistence", session(r->session));
			sg_json_push(inl, p);
		}
	}
	return o;
}

static struct sg_json *tcp_route(const struct sg_tcp_route *r, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "key", r->key);
	sg_json_add_str(o, "name", r->name);
	sg_json_add_str(o, "namespace", r->ns);
	if (r->hostnames.n)
		sg_json_add(o, "hostnames", sg_dump_strs(&r->hostnames));
	if (r->backends.n)
		sg_json_add(o, "backends", backend_refs(&r->backends, cfg));
	return o;
}

static struct sg_json *listener(const struct sg_listener *l, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object(), *routes, *tcp;

	sg_json_add_str(o, "key", l->key);
	sg_json_add_str(o, "gatewayName", l->gw_name);
	sg_json_add_str(o, "gatewayNamespace", l->gw_ns);
	sg_json_add_str(o, "listenerName", l->name);
	if (l->ls_kind) { /* agentgateway's ListenerName.listenerSet */
		struct sg_json *set = sg_json_add_object(o, "listenerSet");

		sg_json_add_str(set, "name", l->ls_name);
		sg_json_add_str(set, "namespace", l->ls_ns);
	}
	sg_json_add_str(o, "hostname", l->hostname);
	/* agentgateway's ListenerProtocol::TLS(Option<ServerTLSConfig>): a
	 * passthrough listener has no TLS config of its own, one that
	 * terminates has its ServerTLSConfig as HTTPS has. */
	if (l->proto == SG_PROTO_TLS && !l->tls) {
		sg_json_add_null(sg_json_add_object(o, "protocol"), "TLS");
	} else if (l->proto == SG_PROTO_TLS || l->proto == SG_PROTO_HTTPS) {
		/* ServerTLSConfig prints only where its certificate comes from. */
		struct sg_json *tls =
			sg_json_add_object(sg_json_add_object(o, "protocol"),
					   l->proto == SG_PROTO_TLS ? "TLS" : "HTTPS");

		sg_json_add_str(tls, "certificateSource",
				l->tls && l->tls->dynamic_ca ? "DynamicCa" : "Static");
	} else
		sg_json_add_str(o, "protocol", sg_proto_name(l->proto));
	routes = sg_json_add_object(o, "routes");
	for (size_t i = 0; i < l->nroutes; i++)
		sg_json_add(routes, l->routes[i].key, route(&l->routes[i], cfg));
	tcp = sg_json_add_object(o, "tcpRoutes");
	for (size_t i = 0; i < l->ntcp_routes; i++)
		sg_json_add(tcp, l->tcp_routes[i].key, tcp_route(&l->tcp_routes[i], cfg));
	return o;
}

/* agentgateway's RoutesDump: the routes no listener holds. splicegate
 * has no mesh routes; its route groups print as agentgateway's do, each
 * a map of its routes by key. Printed when there is a route group
 * (agentgateway prints it always; dumps without one stay as they were). */
static struct sg_json *route_groups(const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object(), *groups;

	sg_json_add_object(o, "httpMesh");
	sg_json_add_object(o, "tcpMesh");
	groups = sg_json_add_object(o, "routeGroups");
	for (size_t g = 0; g < cfg->ngroups; g++) {
		const struct sg_route_group *rg = &cfg->groups[g];
		struct sg_json *set = sg_json_add_object(groups, rg->name);

		for (size_t r = 0; r < rg->nroutes; r++)
			sg_json_add(set, rg->routes[r].key, route(&rg->routes[r], cfg));
	}
	return o;
}

static struct sg_json *binds(const struct sg_cfg *cfg)
{
	struct sg_json *arr = sg_json_array();

	for (size_t i = 0; i < cfg->nbinds; i++) {
		const struct sg_bind *b = &cfg->binds[i];
		struct sg_json *o = sg_json_object(), *ls;
		char addr[32];

		snprintf(addr, sizeof(addr), "0.0.0.0:%u", b->port);
		sg_json_add_str(o, "key", b->key);
		sg_json_add_str(o, "address", addr);
		sg_json_add_str(o, "protocol",
				b->proto == SG_PROTO_TCP				 ? "tcp"
				: b->proto == SG_PROTO_TLS || b->proto == SG_PROTO_HTTPS ? "tls"
											 : "http");
		sg_json_add_str(o, "tunnelProtocol", b->connect ? "connect" : "direct");
		sg_json_add_str(o, "mode", b->internal ? "internal" : "standard");
		ls = sg_json_add_object(o, "listeners");
		for (size_t j = 0; j < b->nlisteners; j++)
			sg_json_add(ls, b->listeners[j].key, listener(&b->listeners[j], cfg));
		sg_json_push(arr, o);
	}
	return arr;
}

/* ---- services, global config -------------------------------------------- */

static struct sg_json *service(const struct sg_service *s)
{
	struct sg_json *o = sg_json_object(), *ports, *vips = sg_json_array(), *eps;

	sg_json_add_str(o, "name", s->name);
	sg_json_add_str(o, "namespace", s->ns);
	sg_json_add_str(o, "hostname", s->hostname);
	if (s->cluster_ip)
		sg_json_push(vips, sg_json_string(s->cluster_ip));
	sg_json_add(o, "vips", vips);
	ports = sg_json_add_object(o, "ports");
	for (size_t i = 0; i < s->nports; i++) {
		char key[8];

		snprintf(key, sizeof(key), "%u", s->ports[i].port);
		sg_json_add_num(ports, key, s->ports[i].target_port);
	}
	if (s->external_name)
		sg_json_add_str(o, "externalName", s->external_name);
	eps = sg_json_add_array(o, "endpoints");
	for (size_t i = 0; i < s->nslice_eps; i++) {
		struct sg_json *ep = sg_json_object();

		sg_json_add_str(ep, "address", s->slice_eps[i].addr);
		sg_json_add_num(ep, "port", s->slice_eps[i].port);
		sg_json_push(eps, ep);
	}
	return o;
}

/* A service port's key in a JSON map ("8080"). */
static const char *port_key(char *buf, size_t size, uint16_t port)
{
	snprintf(buf, size, "%u", port);
	return buf;
}

/* A standalone workload's port map for s, or NULL when it names s not. */
static const struct sg_workload_svc *workload_svc(const struct sg_workload *w,
						  const struct sg_service *s)
{
	for (size_t i = 0; i < w->nsvcs; i++)
		if (!strcmp(w->svcs[i].ns, s->ns) && !strcmp(w->svcs[i].hostname, s->hostname))
			return &w->svcs[i];
	return NULL;
}

static struct sg_json *port_pairs(const struct sg_port_pair *v, size_t n)
{
	struct sg_json *o = sg_json_object();
	char key[8];

	for (size_t i = 0; i < n; i++)
		sg_json_add_num(o, port_key(key, sizeof(key), v[i].port), v[i].target);
	return o;
}

/* A standalone services: entry in agentgateway's Service shape. Its
 * endpoints are one priority group (agentgateway's EndpointSet): the
 * healthy workloads that name it, keyed by uid, without agentgateway's
 * live counters (health, latency, requests), which splicegate keeps
 * elsewhere. */
static struct sg_json *local_service(const struct sg_service *s, const struct sg_cfg *cfg)
{
	struct sg_json *o = sg_json_object(), *ports, *app, *group, *active;
	char key[8];

	sg_json_add_str(o, "name", s->name);
	sg_json_add_str(o, "namespace", s->ns);
	sg_json_add_str(o, "hostname", s->hostname);
	sg_json_add(o, "vips", sg_dump_strs(&s->vips));
	ports = sg_json_add_object(o, "ports");
	app = sg_json_object();
	for (size_t i = 0; i < s->nports; i++) {
		port_key(key, sizeof(key), s->ports[i].port);
		sg_json_add_num(ports, key, s->ports[i].target_port);
		if (s->ports[i].app_protocol)
			sg_json_add_str(app, key, s->ports[i].app_protocol);
	}
	sg_json_add(o, "appProtocols", app);
	group = sg_json_object();
	active = sg_json_add_object(group, "active");
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		const struct sg_workload *w = &cfg->workloads[i];
		const struct sg_workload_svc *ws = workload_svc(w, s);
		struct sg_json *e, *ep;

		if (!ws || w->unhealthy)
			continue;
		e = sg_json_add_object(active, w->uid);
		ep = sg_json_add_object(e, "endpoint");
		sg_json_add_str(ep, "workloadUid", w->uid);
		sg_json_add(ep, "port", port_pairs(ws->ports, ws->nports));
		sg_json_add_str(ep, "status", "Healthy");
		sg_json_add_num(e, "capacity", w->capacity);
	}
	sg_json_add_object(group, "rejected");
	sg_json_push(sg_json_add_array(o, "endpoints"), group);
	sg_json_add_array(o, "subjectAltNames");
	return o;
}

/* A standalone workloads: entry in agentgateway's Workload shape (the
 * fields it prints when they are not their defaults). */
static struct sg_json *workload(const struct sg_workload *w)
{
	struct sg_json *o = sg_json_object(), *svcs;

	sg_json_add(o, "workloadIps", sg_dump_strs(&w->ips));
	sg_json_add_str(o, "protocol", "TCP");
	sg_json_add_str(o, "networkMode", "Standard");
	if (*w->uid)
		sg_json_add_str(o, "uid", w->uid);
	sg_json_add_str(o, "name", w->name);
	sg_json_add_str(o, "namespace", w->ns);
	if (w->hostname && *w->hostname)
		sg_json_add_str(o, "hostname", w->hostname);
	sg_json_add_str(o, "status", w->unhealthy ? "Unhealthy" : "Healthy");
	sg_json_add_str(o, "clusterId", "");
	if (w->nsvcs) {
		svcs = sg_json_add_object(o, "services");
		for (size_t i = 0; i < w->nsvcs; i++) {
			char name[2 * SG_ENDPOINT_TEXT_SIZE];

			snprintf(name, sizeof(name), "%s/%s", w->svcs[i].ns, w->svcs[i].hostname);
			sg_json_add(svcs, name, port_pairs(w->svcs[i].ports, w->svcs[i].nports));
		}
	}
	sg_json_add_num(o, "capacity", w->capacity);
	return o;
}

static struct sg_json *global(const struct sg_global *g)
{
	struct sg_json *o = sg_json_object(), *be;

	sg_json_add_str(o, "adminAddr", g->admin_addr);
	sg_json_add_str(o, "statsAddr", g->stats_addr);
	sg_json_add_str(o, "readinessAddr", g->readiness_addr);
	sg_json_add(o, "connectionTerminationDeadline", sg_dump_dur(g->drain_timeout));
	be = sg_json_add_object(o, "backend");
	sg_json_add(be, "keepalives", keepalive(&g->keepalives));
	sg_json_add(be, "connectTimeout", sg_dump_dur(g->connect_timeout));
	sg_json_add(be, "poolIdleTimeout", sg_dump_dur(g->pool_idle_timeout));
	sg_json_add(be, "poolMaxSize", opt_int(g->pool_max_size));
	/* Printed when given (agentgateway prints its defaults too; the
	 * dumps of configs without it stay as they were). */
	if (g->logging)
		sg_json_add(o, "logging", logging(g->logging));
	if (g->tracing)
		sg_json_add(o, "tracing", tracing(g->tracing));
	return o;
}

/* Standalone host backends, listed once each as agentgateway lists its
 * opaque backends, and its dynamic ones. */
static void host_backends(const struct sg_brefs *brefs, struct sg_json *arr)
{
	for (size_t i = 0; i < brefs->n; i++) {
		struct sg_json *o, *inner;

		if (!brefs->v[i].name)
			continue;
		o = sg_json_object();
		inner = sg_json_add_object(o,
					   brefs->v[i].kind == SG_BREF_HOST ? "host" : "dynamic");
		sg_json_add_str(inner, "name", brefs->v[i].name);
		if (brefs->v[i].kind == SG_BREF_HOST)
			sg_json_add_str(inner, "target", brefs->v[i].host);
		else /* its target expression: none, the SNI at the destination port */
			sg_json_add_null(inner, "target");
		sg_json_push(arr, o);
	}
}

/* The standalone top-level backends: entries, first, as agentgateway
 * lists a named host backend: its name, its target, its backendTLS. */
static void named_backends(const struct sg_cfg *cfg, struct sg_json *arr)
{
	for (size_t i = 0; i < cfg->nnamed_backends; i++) {
		const struct sg_named_backend *b = &cfg->named_backends[i];
		struct sg_json *o = sg_json_object(), *inner = sg_json_add_object(o, "host");

		sg_json_add_str(inner, "name", b->name);
		sg_json_add_str(inner, "target", b->to.host);
		if (b->tls) {
			struct sg_json *p = sg_json_object();

			sg_json_add(p, "backendTLS", sg_dump_backend_tls(b->tls));
			sg_json_push(sg_json_add_array(o, "inlinePolicies"), p);
		}
		sg_json_push(arr, o);
	}
}

static struct sg_json *backends(const struct sg_cfg *cfg)
{
	struct sg_json *arr = sg_json_array();

	named_backends(cfg, arr);

	for (size_t b = 0; b < cfg->nbinds; b++) {
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++)
				host_backends(&l->routes[r].backends, arr);
			for (size_t r = 0; r < l->ntcp_routes; r++)
				host_backends(&l->tcp_routes[r].backends, arr);
		}
	}
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t r = 0; r < cfg->groups[g].nroutes; r++)
			host_backends(&cfg->groups[g].routes[r].backends, arr);
	return arr;
}

static struct sg_json *dump_json(const struct sg_cfg *cfg)
{
	struct sg_json *root = sg_json_object(), *svcs, *wls;

	sg_json_add(root, "binds", binds(cfg));
	if (cfg->ngroups)
		sg_json_add(root, "routes", route_groups(cfg));
	sg_json_add(root, "policies", policies(cfg));
	sg_json_add(root, "backends", backends(cfg));
	svcs = sg_json_add_array(root, "services");
	for (size_t i = 0; i < cfg->nservices; i++)
		sg_json_push(svcs, cfg->services[i].local ? local_service(&cfg->services[i], cfg)
							  : service(&cfg->services[i]));
	wls = sg_json_add_array(root, "workloads");
	for (size_t i = 0; i < cfg->nworkloads; i++)
		sg_json_push(wls, workload(&cfg->workloads[i]));
	sg_json_add(root, "config", global(&cfg->global));
	return root;
}

/* serde_json's pretty layout, which agentgateway prints, and a newline. */
char *sg_dump_config(const struct sg_cfg *cfg)
{
	struct sg_json *root = dump_json(cfg);
	char *json = sg_json_print(root, SG_JSON_INDENT), *grown;
	size_t len;

	sg_json_free(root);
	if (!json)
		return NULL;
	len = strlen(json);
	grown = realloc(json, len + 2);
	if (!grown) {
		free(json);
		return NULL;
	}
	memcpy(grown + len, "\n", 2);
	return grown;
}
