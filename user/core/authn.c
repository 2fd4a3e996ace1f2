/* A route's jwtAuth on one request (the contract is authn.h): where the
 * credential is, agentgateway's modes, and what is stripped. */
#include "user/core/authn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/auth.h"
#include "config/utf8.h"
#include "user/auth/apikey.h"
#include "user/auth/htpasswd.h"
#include "user/base/base64url.h"
#include "user/base/json.h"
#include "user/base/form.h"
#include "user/base/log.h"
#include "user/core/mcpauthn.h"
#include "user/core/oidcflow.h"

void sg_authn_init(struct sg_authn *a, struct sg_jwt_cache **cache)
{
	a->cache = cache;
}

void sg_authn_reset(struct sg_authn *a)
{
	sg_jwt_claims_put(a->jwt);
	a->jwt = NULL;
	a->apikey = NULL;
	a->basic_user = NULL;
	sg_oidc_pending_free(a->exchange);
	a->exchange = NULL;
	sg_mcp_oauth_free(a->mcp_oauth);
	a->mcp_oauth = NULL;
	sg_json_free(a->extauthz);
	a->extauthz = NULL;
}

/* ---- where the credential is --------------------------------------------- */

/* Room on the stack for a credential decoded: a query parameter's value
 * (a longer one is given undecoded: a JWT is base64url, nothing to
 * decode), Basic's user:password. */
#define CRED_BUF 8192

/* Whether query pair key k[0..len) decodes to `name`. */
static bool key_is(const char *k, size_t len, const char *name)
{
	char buf[256];
	ssize_t n = sg_form_decode(k, len, buf, sizeof(buf));

	return n >= 0 && (size_t)n == strlen(name) && !memcmp(buf, name, (size_t)n);
}

/* One item of a list split by `sep` (a query's pairs by '&', a Cookie's by
 * ';'), spaces around it trimmed when `trim`: the whole item, and the
 * length of its key (up to '='; the whole when it has no '='). */
struct pair {
	const char *p;
	size_t len, klen;
};

static bool next_item(const char **s, const char *end, char sep, bool trim, struct pair *pr)
{
	const char *at, *eq;

	while (trim && *s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
	if (*s >= end)
		return false;
	at = memchr(*s, sep, (size_t)(end - *s));
	pr->p = *s;
	pr->len = (size_t)((at ? at : end) - *s);
	*s = at ? at + 1 : end;
	while (trim && pr->len && (pr->p[pr->len - 1] == ' ' || pr->p[pr->len - 1] == '\t'))
		pr->len--;
	eq = memchr(pr->p, '=', pr->len);
	pr->klen = eq ? (size_t)(eq - pr->p) : pr->len;
	return true;
}

static bool next_pair(const char **q, const char *end, struct pair *pr)
{
	return next_item(q, end, '&', false, pr);
}

static bool next_cookie(const char **c, const char *end, struct pair *pr)
{
	return next_item(c, end, ';', true, pr);
}

static bool from_query(const char *name, struct sg_h1_span target, char *buf, size_t cap,
		       struct sg_h1_span *out)
{
	const char *q = memchr(target.p, '?', target.len), *end = target.p + target.len;
	struct pair pr;

	if (!q)
		return false;
	for (q++; next_pair(&q, end, &pr);) {
		const char *v = pr.p + pr.klen + (pr.klen < pr.len);
		size_t vlen = pr.len - pr.klen - (pr.klen < pr.len);
		ssize_t n;

		if (!key_is(pr.p, pr.klen, name))
			continue;
		n = vlen < cap ? sg_form_decode(v, vlen, buf, cap) : -1;
		*out = n >= 0 ? (struct sg_h1_span){ buf, (size_t)n }
			      : (struct sg_h1_span){ v, vlen };
		return true;
	}
	return false;
}

static bool from_cookie(const char *name, const struct sg_filter_input *in, struct sg_h1_span *out)
{
	size_t len = 0;
	const char *c = in->header(in->ctx, "cookie", &len), *end = c ? c + len : NULL;
	size_t nlen = strlen(name);
	struct pair pr;

	while (c && next_cookie(&c, end, &pr)) {
		const char *v = pr.p + pr.klen + 1;
		size_t vlen = pr.len - pr.klen - 1;

		if (pr.klen == pr.len || pr.klen != nlen || memcmp(pr.p, name, nlen))
			continue;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		*out = (struct sg_h1_span){ v, vlen };
		return true;
	}
	return false;
}

/* Header value v[0..len) after `prefix` (case-insensitive, a tab taken
 * for a space of it; NULL: none), when it starts with it. agentgateway
 * wants the space itself, but a line "Bearer<TAB>token" it does not
 * verify still carries a token a lenient backend reads. */
static bool after_prefix(const char *v, size_t len, const char *prefix, struct sg_h1_span *out)
{
	size_t plen = prefix ? strlen(prefix) : 0;

	if (len < plen)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (!(prefix[i] == ' ' && v[i] == '\t') && strncasecmp(v + i, prefix + i, 1))
			return false;
	*out = (struct sg_h1_span){ v + plen, len - plen };
	return true;
}

bool sg_authn_credential(const struct sg_cred_location *loc, const struct sg_filter_input *in,
			 char *buf, size_t cap, struct sg_h1_span *out)
{
	const char *v;
	size_t len = 0;

	switch (loc->where) {
	case SG_CRED_QUERY:
		return from_query(loc->name, in->target, buf, cap, out);
	case SG_CRED_COOKIE:
		return from_cookie(loc->name, in, out);
	case SG_CRED_HEADER:
		break;
	}
	v = in->header(in->ctx, loc->name, &len);
	if (!v)
		return false;
	if (after_prefix(v, len, loc->prefix, out))
		return true;
	/* The first line lacks the prefix ("Basic ..." before "Bearer ..."):
	 * a later line that has it is the credential. agentgateway reads the
	 * first line alone, so that an optional policy let the request pass
	 * with the later token unverified, to a backend that may trust it. */
	for (size_t i = 0; in->req && i < in->req->nheaders; i++)
		if (sg_h1_span_is(in->req->headers[i].name, loc->name) &&
		    after_prefix(in->req->headers[i].value.p, in->req->headers[i].value.len,
				 loc->prefix, out))
			return true;
	return false;
}

/* ---- stripping it ----------------------------------------------------------- */

/* The target without the query parameters called `name`. */
static int strip_query(struct sg_filter_plan *p, const char *name, struct sg_h1_span target)
{
	const char *q = memchr(target.p, '?', target.len), *end = target.p + target.len;
	char *out = malloc(target.len + 1);
	size_t n, kept = 0;
	struct pair pr;
	int rc;

	if (!out)
		return -ENOMEM;
	n = (size_t)(q - target.p);
	memcpy(out, target.p, n);
	for (q++; next_pair(&q, end, &pr);) {
		if (key_is(pr.p, pr.klen, name))
			continue;
		out[n++] = kept++ ? '&' : '?';
		memcpy(out + n, pr.p, pr.len);
		n += pr.len;
	}
	rc = sg_filter_plan_target(p, out, n);
	free(out);
	return rc;
}

/* The Cookie line without the cookies called `name` (prefix: whose names
 * start with it); none left: no line. The line is the one the plan has
 * so far, so that a second step that strips cookies (the oidc cookies
 * on every route, then a jwtAuth's cookie) does not bring back what the
 * first took out. */
static int strip_cookie(struct sg_filter_plan *p, const char *name, bool prefix,
			const struct sg_filter_input *in)
{
	static const struct sg_h1_span cookie = { "cookie", 6 };
	size_t len = 0, n = 0, nlen = strlen(name);
	const char *c = sg_filter_plan_request_value(p, in, "cookie", &len), *end;
	char *out;
	struct pair pr;
	bool removed = false;
	int rc;

	/* most requests: no such cookie, nothing to copy */
	if (!c || !memmem(c, len, name, nlen))
		return 0;
	if (!(out = malloc(len + 1)))
		return -ENOMEM;
	end = c + len;
	while (next_cookie(&c, end, &pr)) {
		if ((prefix ? pr.klen >= nlen : pr.klen == nlen) && pr.klen < pr.len &&
		    !memcmp(pr.p, name, nlen)) {
			removed = true;
			continue;
		}
		if (n) {
			memcpy(out + n, "; ", 2);
			n += 2;
		}
		memcpy(out + n, pr.p, pr.len);
		n += pr.len;
	}
	rc = removed ? sg_filter_plan_request_set(p, cookie, n ? out : NULL, n) : 0;
	free(out);
	return rc;
}

int sg_authn_strip_cookies(struct sg_filter_plan *p, const char *prefix,
			   const struct sg_filter_input *in)
{
	return strip_cookie(p, prefix, true, in);
}

static int strip(struct sg_filter_plan *p, const struct sg_cred_location *loc,
		 const struct sg_filter_input *in)
{
	switch (loc->where) {
	case SG_CRED_QUERY:
		return strip_query(p, loc->name, in->target);
	case SG_CRED_COOKIE:
		return strip_cookie(p, loc->name, false, in);
	case SG_CRED_HEADER:
		break;
	}
	return sg_filter_plan_request_line(p, (struct sg_h1_span){ loc->name, strlen(loc->name) },
					   NULL, 0);
}

/* ---- the step ------------------------------------------------------------------ */

/* Refused as `kind` because of `why`, with challenge `scheme` (NULL: none)
 * in header `name`. */
static enum sg_filter_result refuse_in(struct sg_filter_plan *p, enum sg_fail kind, const char *why,
				       struct sg_h1_span name, const char *scheme)
{
	p->refusal = kind;
	p->cause = sg_filter_plan_keep(p, why, strlen(why));
	if (!p->cause ||
	    (scheme && sg_filter_plan_response_line(
			       p, name, (struct sg_h1_span){ scheme, strlen(scheme) }) < 0))
		return SG_FILTER_NOMEM;
	return SG_FILTER_REFUSED;
}

static enum sg_filter_result refuse(struct sg_filter_plan *p, enum sg_fail kind, const char *why,
				    const char *scheme)
{
	static const struct sg_h1_span name = { "www-authenticate", 16 };

	return refuse_in(p, kind, why, name, scheme);
}

static enum sg_filter_result refuse_jwt(struct sg_filter_plan *p, const struct sg_jwt_result *r,
					const char *scheme)
{
	char why[160];

	return refuse(p, SG_FAIL_JWT, sg_jwt_describe(r, why, sizeof(why)), scheme);
}

enum sg_filter_result sg_authn_jwt(struct sg_authn *a, struct sg_filter_plan *p,
				   const struct sg_jwt_auth *j, const struct sg_filter_input *in)
{
	return sg_authn_jwt_as(a, p, j, in, "Bearer");
}

enum sg_filter_result sg_authn_jwt_as(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_jwt_auth *j, const struct sg_filter_input *in,
				      const char *scheme)
{
	char buf[CRED_BUF + 1];
	struct sg_jwt_result r;
	struct sg_jwt_claims *claims = NULL;
	struct sg_h1_span tok;
	int64_t now = a && a->now ? a->now : (int64_t)time(NULL);
	int rc;

	if (!sg_authn_credential(&j->location, in, buf, sizeof(buf), &tok)) {
		if (j->mode != SG_AUTH_STRICT)
			return SG_FILTER_FORWARD;
		r = (struct sg_jwt_result){ .err = SG_JWT_MISSING };
		return refuse_jwt(p, &r, scheme);
	}
	if (a && a->cache && !*a->cache)
		*a->cache = sg_jwt_cache_new();
	if (a && a->cache && *a->cache)
		rc = sg_jwt_check(*a->cache, j, tok.p, tok.len, now, &claims, &r);
	else
		rc = sg_jwt_verify(j, tok.p, tok.len, now, &claims, &r);
	if (rc < 0) {
		if (j->mode == SG_AUTH_PERMISSIVE)
			return SG_FILTER_FORWARD;
		return refuse_jwt(p, &r, scheme);
	}
	if (strip(p, &j->location, in) < 0) {
		sg_jwt_claims_put(claims);
		return SG_FILTER_NOMEM;
	}
	if (!a) {
		sg_jwt_claims_put(claims);
		return SG_FILTER_FORWARD;
	}
	/* These claims replace any the request had (a listener's oidc or
	 * jwtAuth); what else it proved (the listener's basicAuth, apiKey,
	 * extAuthz) stays, as agentgateway's request extensions do. */
	sg_jwt_claims_put(a->jwt);
	a->jwt = claims;
	return SG_FILTER_FORWARD;
}

enum sg_filter_result sg_authn_apikey(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_api_keys *k, const struct sg_filter_input *in)
{
	char buf[CRED_BUF + 1];
	const struct sg_api_key *found;
	struct sg_h1_span key;

	if (!sg_authn_credential(&k->location, in, buf, sizeof(buf), &key))
		return k->mode == SG_AUTH_STRICT
			       ? refuse(p, SG_FAIL_APIKEY, "no API Key found", NULL)
			       : SG_FILTER_FORWARD;
	found = sg_apikey_find(k, key.p, key.len);
	if (!found)
		return k->mode == SG_AUTH_PERMISSIVE
			       ? SG_FILTER_FORWARD
			       : refuse(p, SG_FAIL_APIKEY, "invalid credentials", NULL);
	if (strip(p, &k->location, in) < 0)
		return SG_FILTER_NOMEM;
	if (a)
		a->apikey = found;
	return SG_FILTER_FORWARD;
}

/* The challenge a basicAuth refusal carries, in the plan's storage: 401
 * with WWW-Authenticate, or, when the credentials are read from
 * Proxy-Authorization (the gateway a forward proxy), 407 with
 * Proxy-Authenticate (RFC 9110 §11.7.1), as agentgateway answers. */
static enum sg_filter_result refuse_basic(struct sg_filter_plan *p, const struct sg_basic_auth *b,
					  const char *why)
{
	static const struct sg_h1_span www = { "www-authenticate", 16 },
				       proxy = { "proxy-authenticate", 18 };
	bool to_proxy = b->location.where == SG_CRED_HEADER &&
			!strcasecmp(b->location.name, "proxy-authorization");
	char scheme[512];
	const char *kept;

	snprintf(scheme, sizeof(scheme), "Basic realm=\"%.400s\"",
		 b->realm ? b->realm : "Restricted");
	kept = sg_filter_plan_keep(p, scheme, strlen(scheme));
	if (!kept)
		return SG_FILTER_NOMEM;
	return to_proxy ? refuse_in(p, SG_FAIL_BASIC_PROXY, why, proxy, kept)
			: refuse_in(p, SG_FAIL_BASIC, why, www, kept);
}

enum sg_filter_result sg_authn_basic(struct sg_authn *a, struct sg_filter_plan *p,
				     const struct sg_basic_auth *b,
				     const struct sg_filter_input *in)
{
	char buf[CRED_BUF + 1];
	uint8_t plain[CRED_BUF];
	struct sg_h1_span cred;
	const char *user = NULL, *colon;
	ssize_t n;

	if (!sg_authn_credential(&b->location, in, buf, sizeof(buf), &cred))
		return b->mode == SG_AUTH_STRICT
			       ? refuse_basic(p, b, "no basic authentication credentials found")
			       : SG_FILTER_FORWARD;
	n = sg_base64_decode_std(cred.p, cred.len, plain, sizeof(plain));
	/* text, as agentgateway reads it (String::from_utf8): other bytes
	 * are invalid credentials whatever a hash says of them */
	if (n > 0 && sg_utf8_span((const char *)plain, (size_t)n) != (size_t)n) {
		explicit_bzero(plain, (size_t)n);
		n = -1;
	}
	colon = n > 0 ? memchr(plain, ':', (size_t)n) : NULL;
	if (colon)
		user = sg_htpasswd_check(b, (const char *)plain, (size_t)(colon - (char *)plain),
					 colon + 1,
					 (size_t)n - (size_t)(colon + 1 - (char *)plain));
	if (n > 0)
		explicit_bzero(plain, (size_t)n);
	if (!user)
		return refuse_basic(p, b, "invalid credentials");
	if (strip(p, &b->location, in) < 0)
		return SG_FILTER_NOMEM;
	if (a)
		a->basic_user = user;
	return SG_FILTER_FORWARD;
}
