/* mcpAuthentication on one request (the contract is mcpauthn.h): the
 * token, checked by the jwtAuth step (user/core/authn.c) with the MCP
 * challenge in place of its own; the well-known documents; and the
 * authorization server's, asked on a thread (user/core/fetchcall.h). */
#include "user/core/mcpauthn.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/pct.h"
#include "user/auth/mcpoauth.h"
#include "user/base/log.h"
#include "user/core/fetchcall.h"
#include "user/core/request.h"

#define REGISTRATION "client-registration"
#define URL_MAX 2048 /* the URLs the authorization server is asked at */

static const char unauthorized[] =
	"{\"error\":\"unauthorized\",\"error_description\":\"JWT token required\"}";

bool sg_mcp_authn_well_known(const char *path, size_t len)
{
	return sg_mcpoauth_under(path, len, SG_MCPOAUTH_PRM) ||
	       sg_mcpoauth_under(path, len, SG_MCPOAUTH_ASM);
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* scheme://host of the request, into out (no Host: ""). */
static void origin_of(const struct sg_filter_input *in, char *out, size_t cap)
{
	char scheme[32];

	out[0] = '\0';
	if (!in->host.len)
		return;
	sg_filter_scheme(in, scheme, sizeof(scheme));
	snprintf(out, cap, "%s://%.*s", scheme, (int)in->host.len, in->host.p);
}

ssize_t sg_mcp_authn_challenge(const struct sg_mcp_authn *m, const struct sg_filter_input *in,
			       const char *path, size_t len, char *out, size_t cap)
{
	char base[1024];
	int w;
	size_t n;

	if (!sg_mcpoauth_origin(m->resource, base, sizeof(base)))
		origin_of(in, base, sizeof(base));
	w = snprintf(out, cap, "Bearer resource_metadata=\"%s" SG_MCPOAUTH_PRM, base);
	if (w < 0 || (size_t)w >= cap)
		return -1;
	/* a client's path may hold '"', '\\', controls and raw bytes: as
	 * they came, they would end the parameter early or make the header
	 * unreadable */
	n = (size_t)w;
	if (!sg_pct_append(out, cap, &n, path, len, SG_PCT_QUOTED) || n + 1 >= cap)
		return -1;
	out[n++] = '"';
	out[n] = '\0';
	return (ssize_t)n;
}

char *sg_mcp_authn_metadata(const struct sg_mcp_authn *m, const struct sg_filter_input *in,
			    const char *path, size_t len)
{
	char origin[1024], *url, *doc;
	size_t plen = strlen(SG_MCPOAUTH_PRM);

	origin_of(in, origin, sizeof(origin));
	if (!(url = malloc(strlen(origin) + len + 1)))
		return NULL;
	/* The request's URL without the prefix (and without its query). */
	sprintf(url, "%s%.*s", origin, (int)(len - plen), path + plen);
	doc = sg_mcpoauth_resource_metadata(m, url);
	free(url);
	return doc;
}

/* ---- answers -------------------------------------------------------------- */

static struct sg_h1_span span(const char *s)
{
	return (struct sg_h1_span){ s, s ? strlen(s) : 0 };
}

static int line(struct sg_filter_plan *p, const char *name, const char *value)
{
	return sg_filter_plan_response_line(p, span(name), span(value));
}

static enum sg_filter_result metadata(struct sg_filter_plan *p, const struct sg_mcp_authn *m,
				      const struct sg_filter_input *in, const char *path,
				      size_t len)
{
	char *doc = sg_mcp_authn_metadata(m, in, path, len);
	const char *kept = doc ? sg_filter_plan_keep(p, doc, strlen(doc)) : NULL;

	p->body = (struct sg_h1_span){ kept, kept ? strlen(doc) : 0 };
	free(doc);
	if (!kept || line(p, "content-type", "application/json") ||
	    line(p, "access-control-allow-origin", "*") ||
	    line(p, "access-control-allow-methods", "GET, OPTIONS") ||
	    line(p, "access-control-allow-headers", "content-type"))
		return SG_FILTER_NOMEM;
	p->status = 200;
	return SG_FILTER_ANSWER;
}

/* A failure of the facade: 500, empty (agentgateway's StatusCode into a
 * response). */
static enum sg_filter_result server_error(struct sg_filter_plan *p, const char *why)
{
	SG_WARN("mcpAuthentication: %s", why);
	p->status = 500;
	p->body = (struct sg_h1_span){ "", 0 };
	return SG_FILTER_ANSWER;
}

/* The 401 with its challenge and JSON body (jwtAuth's refusal kept:
 * SG_FAIL_JWT and why, for the log). */
static enum sg_filter_result challenge(struct sg_filter_plan *p, const struct sg_mcp_authn *m,
				       const struct sg_filter_input *in, const char *path,
				       size_t len)
{
	char value[2400];
	ssize_t n = sg_mcp_authn_challenge(m, in, path, len, value, sizeof(value));
	const char *kept = n > 0 ? sg_filter_plan_keep(p, value, (size_t)n) : NULL;

	if (!kept || line(p, "www-authenticate", kept) ||
	    line(p, "content-type", "application/json"))
		return SG_FILTER_NOMEM;
	p->refusal_body = (struct sg_h1_span){ unauthorized, sizeof(unauthorized) - 1 };
	return SG_FILTER_REFUSED;
}

/* ---- what the authorization server is asked ---------------------------------- */

enum oauth_kind {
	OAUTH_METADATA, /* GET its metadata, adapt it */
	OAUTH_REGISTER, /* POST the registration on */
	OAUTH_MOCK,	/* answer the registration from clientId */
	OAUTH_TOKEN,	/* POST a token request on (entra) */
};

/* A deferred step: made by the plan (in the request's authn), then the
 * request's while its call is under way. */
struct sg_mcp_oauth {
	enum oauth_kind kind;
	const struct sg_mcp_authn *m; /* the request's config holds it */
	char *url;		      /* what is asked; NULL: OAUTH_MOCK */
	char *current;		      /* the request's own URL */
	char *authorization;	      /* OAUTH_TOKEN: the request's, to pass on; NULL: none */
	struct sg_request *r;
	struct sg_fetchcall *call;
};

static atomic_int in_flight;

void sg_mcp_oauth_free(struct sg_mcp_oauth *o)
{
	if (!o)
		return;
	free(o->url);
	free(o->current);
	free(o->authorization);
	free(o);
}

void sg_mcp_authn_cancel(struct sg_mcp_oauth *o)
{
	if (!o)
		return;
	sg_fetchcall_cancel(o->call);
	sg_mcp_oauth_free(o);
}

/* The step of `kind` asking `url` (NULL: none) for the request of `in`,
 * left in a for the request's start. */
static enum sg_filter_result defer(struct sg_authn *a, enum oauth_kind kind,
				   const struct sg_mcp_authn *m, const char *url,
				   const struct sg_filter_input *in)
{
	struct sg_mcp_oauth *o = a ? calloc(1, sizeof(*o)) : NULL;
	char origin[1024];

	if (!o)
		return SG_FILTER_NOMEM;
	origin_of(in, origin, sizeof(origin));
	o->kind = kind;
	o->m = m;
	o->url = url ? strdup(url) : NULL;
	o->current = malloc(strlen(origin) + in->target.len + 1);
	if ((url && !o->url) || !o->current) {
		sg_mcp_oauth_free(o);
		return SG_FILTER_NOMEM;
	}
	sprintf(o->current, "%s%.*s", origin, (int)in->target.len, in->target.p);
	sg_mcp_oauth_free(a->mcp_oauth);
	a->mcp_oauth = o;
	return SG_FILTER_DEFER;
}

static enum sg_filter_result registration(struct sg_authn *a, struct sg_filter_plan *p,
					  const struct sg_mcp_authn *m,
					  const struct sg_filter_input *in)
{
	char url[URL_MAX];
	int n;

	if (m->client_id)
		return defer(a, OAUTH_MOCK, m, NULL, in);
	n = sg_mcpoauth_registration_url(m, url, sizeof(url));
	if (n < 0 || n >= URL_MAX)
		return server_error(p, m->provider == SG_MCP_IDP_AUTHENTIK
					       ? "authentik does not support Dynamic Client "
						 "Registration; set clientId to a pre-registered "
						 "public client"
				       : m->provider == SG_MCP_IDP_ENTRA
					       ? "Entra ID does not support Dynamic Client "
						 "Registration (RFC 7591); set clientId to a "
						 "pre-registered app registration"
					       : "no registration endpoint for the issuer");
	return defer(a, OAUTH_REGISTER, m, url, in);
}

/* Entra's authorize endpoint at the gateway: 302 to Entra's, the
 * request's query less its `resource`. */
static enum sg_filter_result entra_authorize(struct sg_filter_plan *p, const struct sg_mcp_authn *m,
					     const struct sg_filter_input *in, size_t len)
{
	const char *q = len < in->target.len ? in->target.p + len + 1 : "";
	char *to = sg_mcpoauth_entra_authorize(m, q,
					       len < in->target.len ? in->target.len - len - 1 : 0);
	const char *kept = to ? sg_filter_plan_keep(p, to, strlen(to)) : NULL;

	free(to);
	if (!kept)
		return server_error(p, "entra: the issuer names no tenant");
	if (line(p, "location", kept))
		return SG_FILTER_NOMEM;
	p->status = 302;
	p->body = (struct sg_h1_span){ "", 0 };
	return SG_FILTER_ANSWER;
}

/* Entra's token endpoint at the gateway: a POST goes on to Entra's (its
 * form less `resource`, clientSecret added for clientId's user grants,
 * the request's Authorization passed on); other methods 405. */
static enum sg_filter_result entra_token(struct sg_authn *a, struct sg_filter_plan *p,
					 const struct sg_mcp_authn *m,
					 const struct sg_filter_input *in)
{
	const char *auth;
	char url[URL_MAX];
	size_t alen = 0;
	int n;
	enum sg_filter_result res;

	if (in->method.len != 4 || memcmp(in->method.p, "POST", 4)) {
		if (line(p, "allow", "POST"))
			return SG_FILTER_NOMEM;
		p->status = 405;
		p->body = (struct sg_h1_span){ "", 0 };
		return SG_FILTER_ANSWER;
	}
	n = sg_mcpoauth_entra_token_url(m, url, sizeof(url));
	if (n < 0 || n >= URL_MAX)
		return server_error(p, "entra: the issuer names no tenant");
	res = defer(a, OAUTH_TOKEN, m, url, in);
	auth = in->header ? in->header(in->ctx, "authorization", &alen) : NULL;
	if (res == SG_FILTER_DEFER && auth && !(a->mcp_oauth->authorization = strndup(auth, alen)))
		return SG_FILTER_NOMEM;
	return res;
}

enum sg_filter_result sg_mcp_authn_request(struct sg_authn *a, struct sg_filter_plan *p,
					   const struct sg_mcp_authn *m,
					   const struct sg_filter_input *in)
{
	const char *path = in->target.p, *q = memchr(path, '?', in->target.len);
	size_t len = q ? (size_t)(q - path) : in->target.len;
	enum sg_filter_result res;
	char url[URL_MAX];
	int n;

	if (!sg_mcp_authn_well_known(path, len)) {
		res = sg_authn_jwt_as(a, p, &m->jwt, in, NULL);
		if (res == SG_FILTER_REFUSED)
			return challenge(p, m, in, path, len);
		if (res != SG_FILTER_FORWARD)
			return res;
	}
	/* agentgateway's handle_mcp_request, in its order */
	if (ends_with(path, len, REGISTRATION))
		return registration(a, p, m, in);
	if (sg_mcpoauth_under(path, len, SG_MCPOAUTH_PRM))
		return metadata(p, m, in, path, len);
	if (!sg_mcpoauth_under(path, len, SG_MCPOAUTH_ASM))
		return SG_FILTER_FORWARD;
	if (m->provider == SG_MCP_IDP_ENTRA && len > strlen(SG_MCPOAUTH_ASM) &&
	    ends_with(path, len, "/authorize"))
		return entra_authorize(p, m, in, len);
	if (m->provider == SG_MCP_IDP_ENTRA && len > strlen(SG_MCPOAUTH_ASM) &&
	    ends_with(path, len, "/token"))
		return entra_token(a, p, m, in);
	n = sg_mcpoauth_metadata_url(m, url, sizeof(url));
	if (n < 0 || n >= URL_MAX)
		return server_error(p, "the issuer's metadata URL is too long");
	return defer(a, OAUTH_METADATA, m, url, in);
}

/* ---- the answers to the deferred steps ------------------------------------------- */

/* r answered `status` with `lines` (n of them; then the route's response
 * lines: its CORS) and body[0..len). r may be gone after. */
static void answer(struct sg_request *r, uint16_t status, struct sg_h1_header *lines, size_t n,
		   size_t cap, const char *body, size_t len)
{
	struct sg_h1_edit route, edit = { 0 };

	sg_filter_response_edit(&r->plan, &route);
	for (size_t i = 0; i < route.nadd && n < cap; i++)
		lines[n++] = route.add[i];
	edit.add = lines;
	edit.nadd = n;
	edit.nfill = route.nfill;
	sg_request_answer(r, status, &edit, body, len, false);
}

#define LINES_MAX 40

static void failed(struct sg_request *r, const char *what, const char *why)
{
	struct sg_h1_header lines[LINES_MAX];

	SG_WARN("mcpAuthentication: %s: %s", what, why);
	answer(r, 500, lines, 0, LINES_MAX, "", 0);
}

static void cors_lines(struct sg_h1_header *lines, size_t *n, const char *methods)
{
	lines[(*n)++] = (struct sg_h1_header){ span("access-control-allow-origin"), span("*") };
	lines[(*n)++] =
		(struct sg_h1_header){ span("access-control-allow-methods"), span(methods) };
	lines[(*n)++] =
		(struct sg_h1_header){ span("access-control-allow-headers"), span("content-type") };
}

static void answered(void *arg, int rc, const struct sg_fetched *got, const char *err)
{
	struct sg_mcp_oauth *o = arg;
	struct sg_request *r = o->r;
	struct sg_h1_header lines[LINES_MAX];
	size_t n = 0;
	char *doc;

	r->mcp_call = NULL; /* answering r must not cancel o again */
	o->call = NULL;
	if (rc < 0) {
		failed(r, o->url, err);
	} else if (got->len > SG_MCP_AUTHN_ANSWER_MAX) {
		failed(r, o->url, "answer too large");
	} else if (o->kind == OAUTH_TOKEN) { /* Entra's answer as it came */
		if (got->content_type[0])
			lines[n++] = (struct sg_h1_header){ span("content-type"),
							    span(got->content_type) };
		answer(r, got->status, lines, n, LINES_MAX, got->body, got->len);
	} else if (o->kind == OAUTH_REGISTER) {
		if (got->content_type[0])
			lines[n++] = (struct sg_h1_header){ span("content-type"),
							    span(got->content_type) };
		cors_lines(lines, &n, "POST, OPTIONS");
		answer(r, got->status, lines, n, LINES_MAX, got->body, got->len);
	} else if (!(doc = sg_mcpoauth_as_metadata(o->m, o->current, got->body))) {
		failed(r, o->url, "not the metadata document the provider needs");
	} else {
		lines[n++] =
			(struct sg_h1_header){ span("content-type"), span("application/json") };
		cors_lines(lines, &n, "GET, OPTIONS");
		answer(r, 200, lines, n, LINES_MAX, doc, strlen(doc));
		free(doc);
	}
	sg_mcp_oauth_free(o);
}

struct sg_mcp_oauth *sg_mcp_authn_start(struct sg_request *r)
{
	struct sg_mcp_oauth *o = r->authn.mcp_oauth;
	struct sg_mirror_request held = { 0 };
	struct sg_h1_header lines[LINES_MAX];
	struct sg_fetch f = { .url = o->url, .max_body = SG_MCP_AUTHN_ANSWER_MAX + 1 };
	char *text, *form = NULL, *headers = NULL;
	int err;

	r->authn.mcp_oauth = NULL;
	o->r = r;
	if (o->kind != OAUTH_METADATA) {
		r->sink->held_body(r, &held);
		if (!held.body_whole) {
			failed(r, o->current, "the registration's body is over the bound");
			sg_mcp_oauth_free(o);
			return NULL;
		}
	}
	if (o->kind == OAUTH_MOCK) {
		text = sg_mcpoauth_mock_registration(o->m->client_id, held.body, held.body_len);
		lines[0] = (struct sg_h1_header){ span("content-type"), span("application/json") };
		if (text)
			answer(r, 201, lines, 1, LINES_MAX, text, strlen(text));
		else
			failed(r, o->current, "out of memory");
		free(text);
		sg_mcp_oauth_free(o);
		return NULL;
	}
	if (o->kind == OAUTH_REGISTER) {
		f.method = "POST";
		f.headers = "Content-Type: application/json\r\n";
		f.body = held.body;
		f.body_len = held.body_len;
	}
	if (o->kind == OAUTH_TOKEN) {
		form = sg_mcpoauth_entra_token_form(o->m, held.body, held.body_len,
						    o->authorization != NULL);
		headers = malloc(80 + (o->authorization ? strlen(o->authorization) : 0));
		if (!form || !headers) {
			failed(r, o->current, "out of memory");
			free(form);
			free(headers);
			sg_mcp_oauth_free(o);
			return NULL;
		}
		sprintf(headers, "Content-Type: application/x-www-form-urlencoded\r\n%s%s%s",
			o->authorization ? "Authorization: " : "",
			o->authorization ? o->authorization : "", o->authorization ? "\r\n" : "");
		f.method = "POST";
		f.headers = headers;
		f.body = form;
		f.body_len = strlen(form);
	}
	/* the call copies what it is given */
	o->call = sg_fetchcall_start(r->ctx->loop, &f, answered, o, &in_flight,
				     SG_MCP_AUTHN_CALLS_MAX);
	err = errno;
	free(form);
	free(headers);
	if (o->call)
		return o;
	if (err == EAGAIN)
		sg_request_fail(r, SG_FAIL_OVERLOAD, 0);
	else
		failed(r, o->url, strerror(err));
	sg_mcp_oauth_free(o);
	return NULL;
}
