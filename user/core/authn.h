/* Who is calling: a route's jwtAuth, basicAuth and apiKey on one request, for HTTP/1 and HTTP/2
 * clients alike, as a step of the route's filter plan (after CORS, before
 * the rate limits, as agentgateway orders them). The credential is read
 * where the policy's location says (a header with its prefix, a query
 * parameter, a cookie), verified through the worker's cache
 * (user/auth/jwt.h), and taken out of the request the backend gets; its
 * claims stay on the request for the phases after (CEL's `jwt`). */
#ifndef SG_AUTHN_H
#define SG_AUTHN_H

#include <stdint.h>

#include "config/cfg.h"
#include "user/auth/jwt.h"
#include "user/core/filter.h"

/* A request's authentication state, embedded in struct sg_request (which
 * owns it). Zeroed = nothing verified, no cache (sg_authn_init). */
struct sg_authn {
	/* The worker's cache of verified tokens, made on first use (the
	 * worker frees it); NULL: tokens are verified uncached. */
	struct sg_jwt_cache **cache;
	/* The clock, Unix seconds, read once per request that needs it; 0:
	 * read time(2). Tests set it. */
	int64_t now;
	/* The verified token's claims (a reference), NULL: none. */
	struct sg_jwt_claims *jwt;
	/* The API key presented, with its metadata (the config's), NULL:
	 * none. */
	const struct sg_api_key *apikey;
	/* The user basicAuth proved (the config's copy), NULL: none. */
	const char *basic_user;
	/* An OIDC login's callback whose code is exchanged when the request
	 * starts (user/core/oidcflow.h), NULL: none. */
	struct sg_oidc_pending *exchange;
	/* What mcpAuthentication asks its authorization server when the
	 * request starts (user/core/mcpauthn.h), NULL: none. */
	struct sg_mcp_oauth *mcp_oauth;
	/* The gRPC extAuthz service's dynamic_metadata for this request
	 * (user/core/authzcall.c; CEL's `extauthz`), owned; NULL: none. */
	struct sg_json *extauthz;
};

/* a's cache is *cache (a worker's sg_frontend.jwt_cache). */
void sg_authn_init(struct sg_authn *a, struct sg_jwt_cache **cache);

/* What the request proved is forgotten (between requests, at the end),
 * and an OIDC code exchange or an MCP authorization server's call it did
 * not start. */
void sg_authn_reset(struct sg_authn *a);

/* jwtAuth j on the request `in` describes (a NULL: verified uncached, the
 * claims not kept), inside plan p: SG_FILTER_FORWARD (a valid token's
 * claims kept in a->jwt and the token stripped from what the backend
 * gets; or no token and a mode that lets it pass; or a bad one in
 * permissive mode, kept as sent), SG_FILTER_REFUSED (p->refusal
 * SG_FAIL_JWT, p->cause agentgateway's text, a `www-authenticate: Bearer`
 * line on the answer), or SG_FILTER_NOMEM. */
enum sg_filter_result sg_authn_jwt(struct sg_authn *a, struct sg_filter_plan *p,
				   const struct sg_jwt_auth *j, const struct sg_filter_input *in);

/* sg_authn_jwt whose refusal carries `www-authenticate: <scheme>` (NULL:
 * no challenge; the caller adds its own). */
enum sg_filter_result sg_authn_jwt_as(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_jwt_auth *j, const struct sg_filter_input *in,
				      const char *scheme);

/* apiKey k, as sg_authn_jwt: a known key passes (a->apikey set, the key
 * stripped), an unknown one is refused (permissive: passes, kept) with
 * "invalid credentials", none in strict mode with "no API Key found"
 * (p->refusal SG_FAIL_APIKEY; no challenge, as agentgateway answers). */
enum sg_filter_result sg_authn_apikey(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_api_keys *k,
				      const struct sg_filter_input *in);

/* basicAuth b, as sg_authn_jwt: base64 "user:password" a user of b's
 * htpasswd passes (a->basic_user set, the credentials stripped); else
 * refused (p->refusal SG_FAIL_BASIC: "no basic authentication credentials
 * found" in strict mode, "invalid credentials") with `www-authenticate:
 * Basic realm="<realm>"` (realm default "Restricted"); read from
 * Proxy-Authorization, SG_FAIL_BASIC_PROXY (407) with
 * `proxy-authenticate: ...` instead, as agentgateway. */
enum sg_filter_result sg_authn_basic(struct sg_authn *a, struct sg_filter_plan *p,
				     const struct sg_basic_auth *b,
				     const struct sg_filter_input *in);

/* Every cookie of the request whose name starts with `prefix` is taken out
 * of what the backend gets (the Cookie line as the plan has it so far
 * rewritten, or dropped when none is left; none such: nothing done). 0 or
 * -ENOMEM. */
int sg_authn_strip_cookies(struct sg_filter_plan *p, const char *prefix,
			   const struct sg_filter_input *in);

/* The pieces, for their tests. The credential `loc` names in a request
 * with target `target` (origin-form) and header lookup `in`: true with
 * *out (into buf[0..cap) when it had to be decoded: a query parameter),
 * false when there is none. A value that does not fit buf is given
 * undecoded, longer than cap. */
bool sg_authn_credential(const struct sg_cred_location *loc, const struct sg_filter_input *in,
			 char *buf, size_t cap, struct sg_h1_span *out);

#endif
