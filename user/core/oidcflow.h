/* OIDC browser login on a route (agentgateway's oidc policy), for HTTP/1
 * and HTTP/2 clients alike, as a step of the route's filter plan (after
 * CORS, before jwtAuth, as agentgateway orders them):
 *
 *   - a request whose session cookie holds a valid ID token passes, its
 *     claims on the request (CEL's `jwt`), every agw_oidc_ cookie taken
 *     out of what the backend gets;
 *   - a CORS preflight passes;
 *   - the provider's redirect back to redirectURI (GET, with state and
 *     code or error) is checked against its transaction cookie (CSRF
 *     state, expiry), then its code is exchanged at the token endpoint
 *     (PKCE verifier, client secret) off the worker's loop; the ID token,
 *     verified (signature, issuer, audience, expiry, nonce), becomes the
 *     session cookie and the browser goes back where it was (302);
 *   - any other request starts a login: 302 to the authorization
 *     endpoint with a new transaction cookie.
 *
 * The provider's endpoints come from discovery when the config goes in
 * force (a provider that cannot be discovered refuses the config, as
 * agentgateway refuses it), or from the config; cookies are sealed with
 * OIDC_COOKIE_SECRET. */
#ifndef SG_OIDCFLOW_H
#define SG_OIDCFLOW_H

#include <stdbool.h>

#include "config/cfg.h"
#include "user/core/authn.h"
#include "user/core/filter.h"

struct sg_request;

/* The policy o on the request `in` describes, inside plan p (a: where the
 * claims go): SG_FILTER_FORWARD (a session, or a preflight), SG_FILTER_ANSWER
 * (a login begins: p's 302), SG_FILTER_REFUSED (a callback the gateway
 * did not start: SG_FAIL_OIDC with why), SG_FILTER_DEFER (a valid
 * callback: its code is exchanged when the request starts, a->exchange
 * holds what it needs), SG_FILTER_NOMEM. */
enum sg_filter_result sg_oidc_request(struct sg_authn *a, struct sg_filter_plan *p,
				      const struct sg_oidc *o, const struct sg_filter_input *in);

/* The deferred code exchange of r (r->authn.exchange) starts: the token
 * endpoint is asked on a thread of its own; the answer comes back on r's
 * loop and ends r with sg_request_answer (302 with the session cookie) or
 * sg_request_denied. Returns the exchange under way (the request keeps
 * it), or NULL when r was answered already (no thread could start). */
struct sg_oidc_exchange *sg_oidc_exchange_start(struct sg_request *r);

/* r is over before the answer: nothing more is heard of x (its thread
 * finishes alone). NULL: nothing. */
void sg_oidc_exchange_cancel(struct sg_oidc_exchange *x);

/* A deferred exchange never started (its request ended first). */
void sg_oidc_pending_free(struct sg_oidc_pending *p);

#endif
