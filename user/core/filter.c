/* Route filters at run time (user/core/filter.h): header edits, path and host
 * rewriting, redirects, direct responses and CORS, as plans the frontends
 * follow. Semantics: Gateway API's HTTPRoute filters and agentgateway's
 * route policies (config/filters-spec.md has the sources). */
#include "user/core/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/duration.h"
#include "config/origin.h"
#include "policy/ratelimit.h"
#include "user/auth/oidc.h"
#include "user/core/authn.h"
#include "user/base/loop.h"
#include "user/base/mem.h"
#include "user/core/authorize.h"
#include "user/core/backendcred.h"
#include "user/core/mcpauthn.h"
#include "user/core/oidcflow.h"
#include "user/core/celreq.h"

/* ---- header edits ------------------------------------------------------ */

static bool span_is(struct sg_h1_span s, const char *name, size_t len)
{
	return s.len == len && strncasecmp(s.p, name, len) == 0;
}

static struct sg_h1_span span_of(const char *s)
{
	return (struct sg_h1_span){ s, s ? strlen(s) : 0 };
}

static int push_drop(struct sg_header_edit *e, struct sg_h1_span name)
{
	if (sg_mem_grow((void **)&e->drop, &e->capdrop, e->ndrop, sizeof(*e->drop)) < 0)
		return -ENOMEM;
	e->drop[e->ndrop++] = name;
	return 0;
}

static int push_add(struct sg_header_edit *e, struct sg_h1_span name, struct sg_h1_span value)
{
	if (sg_mem_grow((void **)&e->add, &e->capadd, e->nadd, sizeof(*e->add)) < 0)
		return -ENOMEM;
	e->add[e->nadd++] = (struct sg_h1_header){ name, value };
	return 0;
}

/* Forget the lines added so far that are called `name`. */
static void unadd(struct sg_header_edit *e, struct sg_h1_span name)
{
	size_t kept = 0;

	for (size_t i = 0; i < e->nadd; i++)
		if (!span_is(e->add[i].name, name.p, name.len))
			e->add[kept++] = e->add[i];
	e->nadd = kept;
}

static bool is_host(const char *name)
{
	return strcasecmp(name, "host") == 0;
}

int sg_header_edit_apply(struct sg_header_edit *e, const struct sg_hdrmod *m)
{
	for (size_t i = 0; i < m->add.n; i++)
		if (!is_host(m->add.v[i].name) &&
		    push_add(e, span_of(m->add.v[i].name), span_of(m->add.v[i].value)) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < m->set.n; i++) {
		struct sg_h1_span name = span_of(m->set.v[i].name);

		if (is_host(m->set.v[i].name))
			continue;
		unadd(e, name);
		if (push_drop(e, name) < 0 || push_add(e, name, span_of(m->set.v[i].value)) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < m->remove.n; i++) {
		struct sg_h1_span name = span_of(m->remove.v[i]);

		if (is_host(m->remove.v[i]))
			continue;
		unadd(e, name);
		if (push_drop(e, name) < 0)
			return -ENOMEM;
	}
	return 0;
}

bool sg_header_edit_drops(const struct sg_header_edit *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->ndrop; i++)
		if (span_is(e->drop[i], name, len))
			return true;
	return false;
}

bool sg_header_edit_adds(const struct sg_header_edit *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->nadd; i++)
		if (span_is(e->add[i].name, name, len))
			return true;
	return false;
}

ssize_t sg_header_edit_render(const struct sg_header_edit *e, char *out, size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < e->nadd; i++) {
		int n = snprintf(out + len, cap - len, "%.*s: %.*s\r\n", (int)e->add[i].name.len,
				 e->add[i].name.p, (int)e->add[i].value.len, e->add[i].value.p);

		if (n < 0 || (size_t)n >= cap - len)
			return -1;
		len += (size_t)n;
	}
	if (cap == 0)
		return -1;
	out[len] = '\0';
	return (ssize_t)len;
}

/* Append src's drops and lines to dst. */
static int edit_append(struct sg_header_edit *dst, const struct sg_header_edit *src)
{
	for (size_t i = 0; i < src->ndrop; i++)
		if (push_drop(dst, src->drop[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < src->nadd; i++)
		if (push_add(dst, src->add[i].name, src->add[i].value) < 0)
			return -ENOMEM;
	return 0;
}

int sg_header_edit_copy(struct sg_header_edit *dst, const struct sg_header_edit *src)
{
	dst->ndrop = dst->nadd = 0;
	return edit_append(dst, src);
}

void sg_header_edit_reset(struct sg_header_edit *e)
{
	free(e->drop);
	free(e->add);
	*e = (struct sg_header_edit){ 0 };
}

/* ---- paths and authorities --------------------------------------------- */

/* Bytes written to a caller's buffer, NUL-terminated; full = did not fit. */
struct out {
	char *p;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static ssize_t done(const struct out *o)
{
	return o->full ? -1 : (ssize_t)o->len;
}

/* The matched PathPrefix without its trailing slashes; NULL when the match
 * is not a PathPrefix. */
static const char *prefix_of(const struct sg_match *m, size_t *len)
{
	const char *p = m ? m->path : "/";

	if (m && m->path_kind != SG_PATH_PREFIX)
		return NULL;
	*len = strlen(p);
	while (*len && p[*len - 1] == '/')
		(*len)--;
	return p;
}

ssize_t sg_filter_rewrite_path(const struct sg_pathmod *pm, const struct sg_match *m,
			       const char *target, size_t len, char *out, size_t cap)
{
	const char *q = memchr(target, '?', len);
	size_t plen = q ? (size_t)(q - target) : len;
	struct out o = { out, cap, 0, cap == 0 };
	const char *prefix, *rest, *n;
	size_t prefix_len, rest_len, nlen;

	if (cap)
		out[0] = '\0';
	switch (pm->kind) {
	case SG_PATHMOD_UNSET:
		put(&o, target, len);
		return done(&o);
	case SG_PATHMOD_FULL:
		puts_(&o, *pm->value ? pm->value : "/");
		break;
	case SG_PATHMOD_PREFIX:
		prefix = prefix_of(m, &prefix_len);
		if (!prefix || plen < prefix_len || memcmp(target, prefix, prefix_len) != 0)
			return -2;
		rest = target + prefix_len;
		rest_len = plen - prefix_len;
		/* The prefix ends at a segment boundary. */
		if (prefix_len && rest_len && rest[0] != '/')
			return -2;
		n = pm->value;
		nlen = strlen(n);
		if (nlen && n[nlen - 1] == '/' && rest_len && rest[0] == '/')
			nlen--;
		put(&o, n, nlen);
		if (rest_len && rest[0] != '/' && (nlen == 0 || n[nlen - 1] != '/'))
			put(&o, "/", 1);
		put(&o, rest, rest_len);
		if (o.len == 0)
			put(&o, "/", 1);
		break;
	}
	if (q)
		put(&o, q, len - plen);
	return done(&o);
}

/* The host part of an authority (an IPv6 literal keeps its brackets). */
static struct sg_h1_span host_part(struct sg_h1_span a)
{
	const char *colon;

	if (a.len && a.p[0] == '[') {
		const char *end = memchr(a.p, ']', a.len);

		return (struct sg_h1_span){ a.p, end ? (size_t)(end - a.p) + 1 : a.len };
	}
	colon = memchr(a.p, ':', a.len);
	return (struct sg_h1_span){ a.p, colon ? (size_t)(colon - a.p) : a.len };
}

static uint16_t default_port(const char *scheme)
{
	return strcmp(scheme, "https") == 0 ? 443 : 80;
}

/* "host" or "host:port", the port left out when it is the scheme's. */
static void put_authority(struct out *o, struct sg_h1_span host, uint16_t port, const char *scheme)
{
	char digits[8];

	put(o, host.p, host.len);
	if (port && port != default_port(scheme)) {
		snprintf(digits, sizeof(digits), ":%u", port);
		puts_(o, digits);
	}
}

/* A "host:port" authority as given, less a port that is the scheme's
 * default (Gateway API: "SHOULD NOT" write it). */
static void put_full(struct out *o, struct sg_h1_span a, const char *scheme)
{
	struct sg_h1_span host = host_part(a);
	char digits[8];

	snprintf(digits, sizeof(digits), ":%u", default_port(scheme));
	if (a.len == host.len + strlen(digits) && !memcmp(a.p + host.len, digits, strlen(digits)))
		put(o, host.p, host.len);
	else
		put(o, a.p, a.len);
}

ssize_t sg_filter_redirect_location(const struct sg_redirect *r, const struct sg_filter_input *in,
				    char *out, size_t cap)
{
	const char *scheme = r->scheme ? r->scheme : in->scheme;
	struct out o = { out, cap, 0, cap == 0 };
	struct sg_h1_span host = host_part(in->host);
	/* Gateway API: without a port, the scheme's when the redirect sets
	 * one, else the listener's. */
	uint16_t port = r->scheme ? default_port(scheme) : in->listener_port;
	ssize_t n;

	puts_(&o, scheme);
	puts_(&o, "://");
	switch (r->authority.kind) {
	case SG_AUTHORITY_FULL:
		put_full(&o, span_of(r->authority.value), scheme);
		break;
	case SG_AUTHORITY_HOST:
		put_authority(&o, span_of(r->authority.value), port, scheme);
		break;
	case SG_AUTHORITY_PORT:
		put_authority(&o, host, r->authority.port, scheme);
		break;
	default:
		put_authority(&o, host, port, scheme);
		break;
	}
	if (o.full)
		return -1;
	n = sg_filter_rewrite_path(&r->path, in->match, in->target.p, in->target.len, out + o.len,
				   cap - o.len);
	return n < 0 ? n : (ssize_t)o.len + n;
}

/* ---- plans ------------------------------------------------------------- */

/* Storage of cap bytes kept by the plan until reset, or NULL. */
static char *room(struct sg_filter_plan *p, size_t cap)
{
	char *c;

	if (sg_mem_grow((void **)&p->owned, &p->capowned, p->nowned, sizeof(*p->owned)) < 0)
		return NULL;
	c = malloc(cap ? cap : 1);
	if (c)
		p->owned[p->nowned++] = c;
	return c;
}

char *sg_filter_plan_room(struct sg_filter_plan *p, size_t cap)
{
	return room(p, cap);
}

/* A NUL-terminated copy of s[0..len) kept by the plan, or NULL. */
static char *keep(struct sg_filter_plan *p, const char *s, size_t len)
{
	char *c = room(p, len + 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

static char *keep_for(void *p, const char *s, size_t len)
{
	return s ? keep(p, s, len) : room(p, len);
}

/* The rate limit's x-ratelimit-* lines are the response edit's last
 * SG_FILTER_LIMIT_LINES (sg_filter_response_edit's nfill: they only fill
 * in what a response lacks). What is added once they are in goes before
 * them: fill_lift takes them off the end (returning how many), and
 * fill_restore puts them back after whatever came meanwhile. */
static size_t fill_lift(struct sg_filter_plan *p)
{
	size_t fill = p->limits ? SG_FILTER_LIMIT_LINES : 0;

	if (p->response.nadd < fill)
		fill = 0; /* not in yet (sg_filter_plan_backend puts them last) */
	p->response.nadd -= fill;
	return fill;
}

static int fill_restore(struct sg_filter_plan *p, size_t fill)
{
	for (size_t i = 0; i < fill; i++)
		if (push_add(&p->response, p->limits->lines[i].name, p->limits->lines[i].value) < 0)
			return -ENOMEM;
	return 0;
}

/* A transformation side's edits, evaluated over the request (and resp):
 * its body into the request's (resp NULL) or the response's. */
static int transform(struct sg_filter_plan *p, struct sg_header_edit *e,
		     const struct sg_transform_side *s, const struct sg_filter_input *in,
		     const struct sg_h1_resp *resp)
{
	struct sg_h1_span *body = resp ? &p->resp_new_body : &p->new_body;
	struct sg_celreq_view v;
	struct sg_hdrmod m;

	sg_celreq_view_of(&v, in, resp);
	if (sg_celreq_headers(s, &v, &m, keep_for, p) < 0 || sg_header_edit_apply(e, &m) < 0)
		return -ENOMEM;
	if (!s->body)
		return 0;
	/* The body as agentgateway makes it: after the header edits, and
	 * empty when the expression fails. */
	switch (sg_celreq_body(s->body, &v, keep_for, p, body)) {
	case 0:
		break;
	case -ENOMEM:
		return -ENOMEM;
	default:
		*body = (struct sg_h1_span){ "", 0 };
	}
	if (resp)
		p->resp_body_set = true;
	else
		p->body_set = true;
	return 0;
}

int sg_filter_transform_response(struct sg_filter_plan *p, const struct sg_transform *t,
				 const struct sg_filter_input *in, const struct sg_h1_resp *resp)
{
	size_t fill;
	int rc;

	if (!t || !t->response.present || p->response_transformed)
		return 0;
	p->response_transformed = true;
	fill = fill_lift(p);
	rc = transform(p, &p->response, &t->response, in, resp);
	return fill_restore(p, fill) < 0 ? -ENOMEM : rc;
}

void sg_filter_plan_reset(struct sg_filter_plan *p)
{
	for (size_t i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	sg_header_edit_reset(&p->request);
	sg_header_edit_reset(&p->response);
	sg_header_edit_reset(&p->route_request);
	sg_header_edit_reset(&p->route_response);
	sg_header_edit_reset(&p->cors);
	*p = (struct sg_filter_plan){ 0 };
}

int sg_filter_plan_request_line(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
				size_t len)
{
	const char *v = value ? keep(p, value, len) : NULL;

	if ((value && !v) || push_drop(&p->route_request, name) < 0)
		return -ENOMEM;
	return v ? push_add(&p->route_request, name, (struct sg_h1_span){ v, len }) : 0;
}

int sg_filter_plan_request_add(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			       size_t len)
{
	const char *v = keep(p, value, len);

	return v ? push_add(&p->route_request, name, (struct sg_h1_span){ v, len }) : -ENOMEM;
}

int sg_filter_plan_request_set(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			       size_t len)
{
	unadd(&p->route_request, name);
	return sg_filter_plan_request_line(p, name, value, len);
}

const char *sg_filter_plan_request_value(const struct sg_filter_plan *p,
					 const struct sg_filter_input *in, const char *name,
					 size_t *len)
{
	const struct sg_header_edit *e = &p->route_request;
	size_t nlen = strlen(name);

	for (size_t i = e->nadd; i-- > 0;)
		if (span_is(e->add[i].name, name, nlen)) {
			*len = e->add[i].value.len;
			return e->add[i].value.p;
		}
	if (sg_header_edit_drops(e, name, nlen))
		return NULL;
	return in->header ? in->header(in->ctx, name, len) : NULL;
}

int sg_filter_plan_target(struct sg_filter_plan *p, const char *target, size_t len)
{
	const char *t = keep(p, target, len);

	if (!t)
		return -ENOMEM;
	p->target = (struct sg_h1_span){ t, len };
	return 0;
}

int sg_filter_plan_response_line(struct sg_filter_plan *p, struct sg_h1_span name,
				 struct sg_h1_span value)
{
	return push_add(&p->route_response, name, value);
}

const char *sg_filter_plan_keep(struct sg_filter_plan *p, const char *s, size_t len)
{
	return keep(p, s, len);
}

int sg_filter_response_add(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			   size_t len)
{
	const char *v = keep(p, value, len);
	size_t fill = fill_lift(p);
	int rc;

	rc = v ? push_add(&p->response, name, (struct sg_h1_span){ v, len }) : -ENOMEM;
	return fill_restore(p, fill) < 0 ? -ENOMEM : rc;
}

/* The Host a requestHeaderModifier gives (set beats add), if any. */
static const char *lifted_host(const struct sg_hdrmod *m)
{
	const char *host = NULL;

	for (size_t i = 0; i < m->add.n; i++)
		if (is_host(m->add.v[i].name))
			host = m->add.v[i].value;
	for (size_t i = 0; i < m->set.n; i++)
		if (is_host(m->set.v[i].name))
			host = m->set.v[i].value;
	return host;
}

/* The request as the filters so far left it. */
static struct sg_filter_input current(const struct sg_filter_plan *p,
				      const struct sg_filter_input *in)
{
	struct sg_filter_input now = *in;

	if (p->target.p)
		now.target = p->target;
	if (p->host.p)
		now.host = p->host;
	return now;
}

static enum sg_filter_result rewrite(struct sg_filter_plan *p, const struct sg_rewrite *rw,
				     const struct sg_filter_input *in)
{
	struct sg_filter_input now = current(p, in);
	size_t cap = now.target.len + (rw->path.value ? strlen(rw->path.value) : 0) + 8;
	char *buf;
	ssize_t n;

	if (rw->path.kind != SG_PATHMOD_UNSET) {
		buf = room(p, cap);
		if (!buf)
			return SG_FILTER_NOMEM;
		n = sg_filter_rewrite_path(&rw->path, in->match, now.target.p, now.target.len, buf,
					   cap);
		if (n < 0)
			return n == -2 ? SG_FILTER_FAILED : SG_FILTER_NOMEM;
		p->target = (struct sg_h1_span){ buf, (size_t)n };
	}
	switch (rw->authority.kind) {
	case SG_AUTHORITY_AUTO:
		p->auto_host = true;
		break;
	case SG_AUTHORITY_FULL:
	case SG_AUTHORITY_HOST:
		p->host = span_of(rw->authority.value);
		p->auto_host = false;
		break;
	case SG_AUTHORITY_PORT: {
		struct out o = { room(p, now.host.len + 8), now.host.len + 8, 0, false };

		if (!o.p)
			return SG_FILTER_NOMEM;
		put_authority(&o, host_part(now.host), rw->authority.port, in->scheme);
		p->host = (struct sg_h1_span){ o.p, o.len };
		p->auto_host = false;
		break;
	}
	default:
		break;
	}
	return SG_FILTER_FORWARD;
}

static enum sg_filter_result redirect(struct sg_filter_plan *p, const struct sg_redirect *r,
				      const struct sg_filter_input *in)
{
	struct sg_filter_input now = current(p, in);
	size_t cap = now.host.len + now.target.len + 64;
	ssize_t n;
	char *buf;

	/* Without a Host (HTTP/1.0) only a redirect naming its host has one:
	 * the request lacks what the answer needs, 400 (not the route's
	 * fault, which 500 would say). */
	if (!now.host.len && r->authority.kind != SG_AUTHORITY_FULL &&
	    r->authority.kind != SG_AUTHORITY_HOST) {
		p->refusal = SG_FAIL_BAD_REQUEST;
		return SG_FILTER_REFUSED;
	}

	if (r->authority.value)
		cap += strlen(r->authority.value);
	if (r->path.value)
		cap += strlen(r->path.value);
	buf = room(p, cap);
	if (!buf)
		return SG_FILTER_NOMEM;
	n = sg_filter_redirect_location(r, &now, buf, cap);
	if (n < 0)
		return n == -2 ? SG_FILTER_FAILED : SG_FILTER_NOMEM;
	p->location = (struct sg_h1_span){ buf, (size_t)n };
	p->status = r->status ? r->status : 302;
	p->body = (struct sg_h1_span){ NULL, 0 };
	return SG_FILTER_ANSWER;
}

/* ---- CORS -------------------------------------------------------------- */

static bool origin_allowed(const struct sg_cors *c, struct sg_h1_span origin)
{
	for (size_t i = 0; i < c->allow_origins.n; i++)
		if (sg_origin_match(c->allow_origins.v[i], origin.p, origin.len))
			return true;
	return false;
}

static bool lists_star(const struct sg_strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], "*") == 0)
			return true;
	return false;
}

/* A list joined with "," into plan storage; "*" answers with `echo` (the
 * request's own value) when credentials are allowed, as a literal "*" is
 * not honoured by browsers then. */
static struct sg_h1_span cors_list(struct sg_filter_plan *p, const struct sg_cors *c,
				   const struct sg_strs *l, struct sg_h1_span echo)
{
	size_t cap = 1;
	struct out o;

	if (lists_star(l))
		return c->allow_credentials ? echo : span_of("*");
	for (size_t i = 0; i < l->n; i++)
		cap += strlen(l->v[i]) + 1;
	o = (struct out){ room(p, cap), cap, 0, false };
	if (!o.p)
		return (struct sg_h1_span){ NULL, 0 };
	o.p[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			put(&o, ",", 1);
		puts_(&o, l->v[i]);
	}
	return (struct sg_h1_span){ o.p, o.len };
}

static struct sg_h1_span request_header(const struct sg_filter_input *in, const char *name)
{
	size_t len = 0;
	const char *v = in->header ? in->header(in->ctx, name, &len) : NULL;

	return (struct sg_h1_span){ v, v ? len : 0 };
}

static int cors_line(struct sg_filter_plan *p, const char *name, struct sg_h1_span value)
{
	if (!value.p)
		return -ENOMEM;
	return value.len ? push_add(&p->cors, span_of(name), value) : 0;
}

/* CORS before anything else: a preflight is answered here; an allowed
 * origin's actual request gets its lines in p->cors. */
static enum sg_filter_result cors(struct sg_filter_plan *p, const struct sg_cors *c,
				  const struct sg_filter_input *in)
{
	struct sg_h1_span origin = request_header(in, "origin");
	struct sg_h1_span method = request_header(in, "access-control-request-method");
	bool preflight = span_is(in->method, "OPTIONS", 7) && origin.p && method.len;
	char age[24];
	int rc = 0;

	if (!origin.p)
		return SG_FILTER_FORWARD;
	/* A route's CORS after a gateway-phase one (traffic.phase PreRouting)
	 * replaces its lines rather than repeat them. */
	p->cors.nadd = 0;
	p->preflight = preflight;
	if (!origin_allowed(c, origin)) {
		if (!preflight)
			return SG_FILTER_FORWARD;
		p->status = 200;
		return SG_FILTER_ANSWER;
	}
	origin.p = keep(p, origin.p, origin.len);
	rc |= cors_line(p, "access-control-allow-origin", origin);
	if (c->allow_credentials)
		rc |= cors_line(p, "access-control-allow-credentials", span_of("true"));
	/* On preflights too: Gateway API's CORS conformance expects it. */
	rc |= cors_line(p, "access-control-expose-headers",
			cors_list(p, c, &c->expose_headers, span_of("*")));
	if (!preflight)
		return rc ? SG_FILTER_NOMEM : SG_FILTER_FORWARD;
	method.p = keep(p, method.p, method.len);
	rc |= cors_line(p, "access-control-allow-methods",
			cors_list(p, c, &c->allow_methods, method));
	{
		struct sg_h1_span asked = request_header(in, "access-control-request-headers");

		asked.p = keep(p, asked.p ? asked.p : "", asked.len);
		rc |= cors_line(p, "access-control-allow-headers",
				cors_list(p, c, &c->allow_headers, asked));
	}
	if (c->max_age != SG_DUR_UNSET) {
		snprintf(age, sizeof(age), "%llu",
			 (unsigned long long)sg_dur_to_ms_ceil(c->max_age) / 1000);
		rc |= cors_line(p, "access-control-max-age", span_of(keep(p, age, strlen(age))));
	}
	p->status = 200;
	return rc ? SG_FILTER_NOMEM : SG_FILTER_ANSWER;
}

/* ---- localRateLimit ---------------------------------------------------- */

/* A token from each of the route's limits (policy/ratelimit.h), and the
 * lines that say what is left (agentgateway's x-ratelimit-* fields). */
static enum sg_filter_result limit(struct sg_filter_plan *p, const struct sg_ratelimits *l)
{
	static const char *const names[SG_FILTER_LIMIT_LINES] = { "x-ratelimit-limit",
								  "x-ratelimit-remaining",
								  "x-ratelimit-reset" };
	struct sg_ratelimit_status st;
	bool ok = sg_ratelimits_take(l, sg_clock_ns(), &st);
	const uint64_t values[SG_FILTER_LIMIT_LINES] = { st.limit, st.remaining, st.reset_s };
	struct sg_filter_limits *fl;

	if (ok && !st.limit)
		return SG_FILTER_FORWARD; /* only limits of tokens */
	fl = (struct sg_filter_limits *)(void *)room(p, sizeof(*fl));
	if (!fl)
		return SG_FILTER_NOMEM;
	for (size_t i = 0; i < SG_FILTER_LIMIT_LINES; i++) {
		int n = snprintf(fl->text[i], sizeof(fl->text[i]), "%llu",
				 (unsigned long long)values[i]);

		fl->lines[i] =
			(struct sg_h1_header){ span_of(names[i]), { fl->text[i], (size_t)n } };
	}
	p->limits = fl;
	if (ok)
		return SG_FILTER_FORWARD;
	p->refusal = SG_FAIL_RATE_LIMIT;
	return SG_FILTER_REFUSED;
}

/* ---- csrf -------------------------------------------------------------- */

/* Byte for byte: methods and these fields' values are case-sensitive. */
static bool span_eq(struct sg_h1_span s, const char *text)
{
	return s.p && s.len == strlen(text) && !memcmp(s.p, text, s.len);
}

static bool safe_method(struct sg_h1_span m)
{
	return span_eq(m, "GET") || span_eq(m, "HEAD") || span_eq(m, "OPTIONS");
}

static bool trusted_origin(const struct sg_csrf *c, struct sg_h1_span origin)
{
	for (size_t i = 0; i < c->additional_origins.n; i++)
		if (span_eq(origin, c->additional_origins.v[i]))
			return true;
	return false;
}

/* Whether origin is the request's own "<scheme>://<Host>" (bytes as
 * agentgateway compares them). */
static bool same_origin(const struct sg_filter_input *in, struct sg_h1_span origin)
{
	size_t n = strlen(in->scheme);

	return in->host.len && origin.len == n + 3 + in->host.len &&
	       !memcmp(origin.p, in->scheme, n) && !memcmp(origin.p + n, "://", 3) &&
	       !memcmp(origin.p + n + 3, in->host.p, in->host.len);
}

/* agentgateway's csrf check (config/cfg.h struct sg_csrf). */
static enum sg_filter_result csrf(struct sg_filter_plan *p, const struct sg_csrf *c,
				  const struct sg_filter_input *in)
{
	struct sg_h1_span site = request_header(in, "sec-fetch-site");
	struct sg_h1_span origin = request_header(in, "origin");

	if (safe_method(in->method))
		return SG_FILTER_FORWARD;
	if (span_eq(origin, "null"))
		origin.p = NULL; /* an opaque origin is none */
	if (site.p) {
		if (span_eq(site, "same-origin") || span_eq(site, "none") ||
		    trusted_origin(c, origin))
			return SG_FILTER_FORWARD;
	} else if (!origin.p || same_origin(in, origin) || trusted_origin(c, origin)) {
		return SG_FILTER_FORWARD;
	}
	p->refusal = SG_FAIL_CSRF;
	return SG_FILTER_REFUSED;
}

/* ---- the plan ---------------------------------------------------------- */

/* The CORS lines, replacing any lines or received fields of their names. */
static int add_cors(struct sg_header_edit *e, const struct sg_header_edit *cors)
{
	for (size_t i = 0; i < cors->nadd; i++) {
		unadd(e, cors->add[i].name);
		if (push_drop(e, cors->add[i].name) < 0)
			return -ENOMEM;
	}
	return edit_append(e, cors);
}

/* The edits of one try: the route's, then the backend's modifiers (b may
 * be NULL); the response's Location first (an answer) and CORS lines last.
 * A preflight's answer has the CORS lines alone (agentgateway answers it
 * before response modifiers are chosen). */
static int build_edits(struct sg_filter_plan *p, const struct sg_filters *b)
{
	if (sg_header_edit_copy(&p->request, &p->route_request) < 0)
		return -ENOMEM;
	p->response.ndrop = p->response.nadd = 0;
	if (p->preflight && p->status)
		return add_cors(&p->response, &p->cors);
	if (p->location.p && push_add(&p->response, span_of("location"), p->location) < 0)
		return -ENOMEM;
	if (edit_append(&p->response, &p->route_response) < 0)
		return -ENOMEM;
	if (b && b->request_headers && sg_header_edit_apply(&p->request, b->request_headers) < 0)
		return -ENOMEM;
	if (b && b->response_headers && sg_header_edit_apply(&p->response, b->response_headers) < 0)
		return -ENOMEM;
	if (add_cors(&p->response, &p->cors) < 0)
		return -ENOMEM;
	for (size_t i = 0; p->limits && i < SG_FILTER_LIMIT_LINES; i++)
		if (push_add(&p->response, p->limits->lines[i].name, p->limits->lines[i].value) < 0)
			return -ENOMEM;
	return 0;
}

/* A plan's result with its edits built (b: the backend's filters). */
static enum sg_filter_result settle(struct sg_filter_plan *p, const struct sg_filters *b,
				    enum sg_filter_result res)
{
	if (res < 0)
		return res;
	return build_edits(p, b) < 0 ? SG_FILTER_NOMEM : res;
}

/* The first answer of d's list whose condition holds (one without is
 * the fallback); none: the request is forwarded. */
static enum sg_filter_result direct(struct sg_filter_plan *p, const struct sg_direct *d,
				    const struct sg_filter_input *in)
{
	struct sg_celreq_view v;

	sg_celreq_view_of(&v, in, NULL);
	for (; d; d = d->next)
		if (!d->condition || sg_celreq_true(d->condition, &v))
			break;
	if (!d)
		return SG_FILTER_FORWARD;
	if (d->headers && transform(p, &p->route_response, d->headers, in, NULL) < 0)
		return SG_FILTER_NOMEM;
	p->body = (struct sg_h1_span){ d->body, d->body_len };
	if (d->body_expr) {
		int rc = sg_celreq_body(d->body_expr, &v, keep_for, p, &p->body);

		if (rc == -ENOMEM)
			return SG_FILTER_NOMEM;
		if (rc) {
			p->refusal = SG_FAIL_FILTER;
			return SG_FILTER_REFUSED;
		}
	}
	p->status = d->status;
	p->direct = true;
	return SG_FILTER_ANSWER;
}

/* CORS, OIDC and authentication: what agentgateway runs before extAuthz. */
static enum sg_filter_result early_plan(struct sg_filter_plan *p, const struct sg_filters *f,
					const struct sg_filter_input *in)
{
	enum sg_filter_result res;

	if (f->response_headers && sg_header_edit_apply(&p->route_response, f->response_headers))
		return SG_FILTER_NOMEM;
	if (f->cors && (res = cors(p, f->cors, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->oidc && (res = sg_oidc_request(in->authn, p, f->oidc, in)) != SG_FILTER_FORWARD)
		return res;
	/* A session cookie lets anyone who holds it in: no backend sees one,
	 * whichever route it is for (agentgateway's apply_request_policies). */
	if (f->oidc_cookies && sg_authn_strip_cookies(p, SG_OIDC_COOKIE_PREFIX, in) < 0)
		return SG_FILTER_NOMEM;
	if (f->jwt && (res = sg_authn_jwt(in->authn, p, f->jwt, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->mcp_authn &&
	    (res = sg_mcp_authn_request(in->authn, p, f->mcp_authn, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->basic && (res = sg_authn_basic(in->authn, p, f->basic, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->apikeys &&
	    (res = sg_authn_apikey(in->authn, p, f->apikeys, in)) != SG_FILTER_FORWARD)
		return res;
	return SG_FILTER_FORWARD;
}

/* Authorization, local rate limits, CSRF, header and path edits,
 * transformations, redirects and direct responses: what follows extAuthz. */
static enum sg_filter_result late_plan(struct sg_filter_plan *p, const struct sg_filters *f,
				       const struct sg_filter_input *in)
{
	enum sg_filter_result res;
	const char *host;

	if (f->authz && (res = sg_authz_request(p, f->authz, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->ratelimits && (res = limit(p, f->ratelimits)) != SG_FILTER_FORWARD)
		return res;
	if (f->csrf && (res = csrf(p, f->csrf, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->request_headers) {
		if (sg_header_edit_apply(&p->route_request, f->request_headers) < 0)
			return SG_FILTER_NOMEM;
		if ((host = lifted_host(f->request_headers)))
			p->host = span_of(host);
	}
	if (f->transform && f->transform->request.present &&
	    transform(p, &p->route_request, &f->transform->request, in, NULL) < 0)
		return SG_FILTER_NOMEM;
	if (f->rewrite && (res = rewrite(p, f->rewrite, in)) != SG_FILTER_FORWARD)
		return res;
	if (f->redirect)
		return redirect(p, f->redirect, in);
	if (f->direct)
		return direct(p, f->direct, in);
	return SG_FILTER_FORWARD;
}

enum sg_filter_result sg_filter_plan_part(struct sg_filter_plan *p, const struct sg_filters *f,
					  const struct sg_filter_input *in,
					  enum sg_filter_part part)
{
	enum sg_filter_result res = SG_FILTER_FORWARD;

	if (f && part != SG_FILTER_LATE)
		res = early_plan(p, f, in);
	if (f && part != SG_FILTER_EARLY && res == SG_FILTER_FORWARD)
		res = late_plan(p, f, in);

	p->route_host = p->host;
	p->route_target = p->target;
	p->route_auto_host = p->auto_host;
	return settle(p, NULL, res);
}

enum sg_filter_result sg_filter_plan_backend(struct sg_filter_plan *p, const struct sg_filters *f,
					     const struct sg_filter_input *in)
{
	const struct sg_backend_auth *auth;
	enum sg_filter_result res;
	const char *host;

	p->host = p->route_host;
	p->target = p->route_target;
	p->auto_host = p->route_auto_host;
	if (f && f->rewrite && (res = rewrite(p, f->rewrite, in)) != SG_FILTER_FORWARD)
		return settle(p, f, res);
	if (p->auto_host && in->backend_host.len)
		p->host = in->backend_host;
	if (f && f->request_headers && (host = lifted_host(f->request_headers)))
		p->host = span_of(host);
	if (f && f->redirect)
		return settle(p, f, redirect(p, f->redirect, in));
	res = settle(p, f, SG_FILTER_FORWARD);
	auth = sg_filter_backend_auth(in->route, in->backend);
	if (res == SG_FILTER_FORWARD && auth && sg_backend_auth_apply(p, auth, in) < 0)
		return SG_FILTER_NOMEM;
	return res;
}

size_t sg_filter_plan_headers(const struct sg_filter_plan *p, const struct sg_h1_req *req,
			      struct sg_h1_header *out, size_t cap)
{
	const struct sg_header_edit *e = &p->route_request;
	size_t n = 0;

	for (size_t i = 0; i < req->nheaders && n < cap; i++)
		if (!sg_header_edit_drops(e, req->headers[i].name.p, req->headers[i].name.len))
			out[n++] = req->headers[i];
	for (size_t i = 0; i < e->nadd && n < cap; i++)
		out[n++] = e->add[i];
	return n;
}

/* ---- for the frontends ------------------------------------------------- */

void sg_filter_input_init(struct sg_filter_input *in, struct sg_h1_req *req,
			  const struct sg_match *match, const struct sg_bind *bind)
{
	const struct sg_h1_span *host = sg_h1_header(req, "host");
	uint16_t listener_port = bind->port;

	*in = (struct sg_filter_input){
		.scheme = bind->proto == SG_PROTO_HTTPS ? "https" : "http",
		.listener_port = listener_port,
		.method = req->method,
		.target = req->target,
		.host = host ? *host : (struct sg_h1_span){ "", 0 },
		.match = match,
		.header = sg_h1_header_lookup,
		.ctx = req,
		.req = req,
		.sock = -1,
		.bind = bind,
	};
}

/* Whether s[0..n) is a URI scheme as the http crate takes one: letters,
 * digits, '+', '-' and '.' (no ':', so no "https://x"). */
static bool scheme_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

void sg_filter_scheme(const struct sg_filter_input *in, char *out, size_t cap)
{
	size_t len = 0, b = 0, e = 0;
	const char *v = in->header ? in->header(in->ctx, "x-forwarded-proto", &len) : NULL;

	/* the first value that is not empty once its blanks are trimmed */
	while (v && b < len) {
		const char *comma = memchr(v + b, ',', len - b);
		size_t next = comma ? (size_t)(comma - v) + 1 : len;

		e = comma ? next - 1 : len;
		while (b < e && (v[b] == ' ' || v[b] == '\t'))
			b++;
		while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > b)
			break;
		b = next;
	}
	if (b < e && e - b < cap && scheme_chars(v + b, e - b)) {
		for (size_t i = 0; i < e - b; i++)
			out[i] = (char)(v[b + i] >= 'A' && v[b + i] <= 'Z' ? v[b + i] + 32
									   : v[b + i]);
		out[e - b] = '\0';
		return;
	}
	snprintf(out, cap, "%s", in->scheme ? in->scheme : "http");
}

struct sg_h1_span sg_filter_backend_host(const struct sg_backend_ref *br)
{
	switch (br->kind) {
	case SG_BREF_HOST:
		return host_part(span_of(br->host));
	case SG_BREF_SERVICE:
		return span_of(br->svc->hostname);
	default:
		return (struct sg_h1_span){ "", 0 };
	}
}

static bool drops(const void *arg, const char *name, size_t len)
{
	return sg_header_edit_drops(arg, name, len);
}

void sg_filter_request_edit(const struct sg_filter_plan *p, struct sg_h1_edit *e)
{
	*e = (struct sg_h1_edit){
		.target = p->target,
		.host = p->host,
		.drops = p->request.ndrop ? drops : NULL,
		.arg = &p->request,
		.add = p->request.add,
		.nadd = p->request.nadd,
	};
}

void sg_filter_response_edit(const struct sg_filter_plan *p, struct sg_h1_edit *e)
{
	*e = (struct sg_h1_edit){
		.drops = p->response.ndrop ? drops : NULL,
		.arg = &p->response,
		.add = p->response.add,
		.nadd = p->response.nadd,
		.nfill = p->limits ? SG_FILTER_LIMIT_LINES : 0,
	};
}
