/* agentgateway's mcpAuthentication on one request, for HTTP/1 and HTTP/2
 * clients alike, as a step of the route's filter plan (where jwtAuth
 * runs: agentgateway makes the policy the route's jwtAuth). The MCP
 * authorization spec's resource server, and with a provider a facade of
 * an authorization server that does not follow the spec:
 *
 *   - a path ending in client-registration registers a client: answered
 *     201 from clientId when it is set (agentgateway's mock registration:
 *     the client's redirect_uris back), else POSTed (its body, as JSON) to
 *     the provider's registration endpoint, whose answer comes back with
 *     CORS lines (authentik without clientId: 500);
 *   - /.well-known/oauth-protected-resource[/PATH] is answered with the
 *     protected-resource metadata (RFC 9728): `resource` (this URL without
 *     the well-known prefix), `authorization_servers` ([issuer]; with a
 *     provider, [the resource URL]: the gateway), mcp_protocol_version,
 *     resource_type, then resourceMetadata's keys in snake case;
 *   - /.well-known/oauth-authorization-server[/PATH] is answered with the
 *     issuer's authorization-server metadata (RFC 8414's URL; a provider's
 *     OIDC discovery document), fetched now and, with a provider, adapted:
 *     the issuer the gateway's URL, auth0 and okta an audience on the
 *     authorization endpoint, keycloak, okta, descope and authentik a
 *     registration endpoint at the gateway;
 *   - any other request needs a token as the policy's jwtAuth wants it; one
 *     without a valid token is answered 401, JSON
 *     {"error":"unauthorized","error_description":"JWT token required"},
 *     with `WWW-Authenticate: Bearer resource_metadata="<base>/.well-known/
 *     oauth-protected-resource<path>"` (base: resourceMetadata.resource's
 *     scheme and authority, else the request's).
 *
 * The two well-known documents need no token. What the authorization
 * server is asked is asked when the request starts (its body read), on a
 * thread of its own (user/core/fetchcall.h); one that cannot be asked, or
 * whose document is not what the provider needs, is answered 500, empty,
 * as agentgateway answers it. The request's scheme is x-forwarded-proto's
 * first value when it has one (agentgateway's apply_forwarded_scheme),
 * else the listener's. */
#ifndef SG_MCPAUTHN_H
#define SG_MCPAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "user/core/authn.h"
#include "user/core/filter.h"

struct sg_request;

/* Calls to authorization servers under way at once, in the process; more
 * are answered 503. */
#define SG_MCP_AUTHN_CALLS_MAX 64
/* The largest document or registration answer read from them. */
#define SG_MCP_AUTHN_ANSWER_MAX (256 * 1024)

/* m on the request `in` describes, inside plan p (a: where the claims,
 * or the call to make, go): SG_FILTER_FORWARD (a valid token, or none
 * where the mode lets it pass; its claims in a->jwt, the token stripped),
 * SG_FILTER_ANSWER (the protected-resource metadata, or a 500),
 * SG_FILTER_REFUSED (p->refusal SG_FAIL_JWT with the challenge and JSON
 * body above), SG_FILTER_DEFER (a->mcp_oauth: what to ask when the
 * request starts), SG_FILTER_NOMEM. */
enum sg_filter_result sg_mcp_authn_request(struct sg_authn *a, struct sg_filter_plan *p,
					   const struct sg_mcp_authn *m,
					   const struct sg_filter_input *in);

/* The deferred step of r (r->authn.mcp_oauth, taken) begins: answered
 * now (a registration from clientId, or a failure) and NULL returned, or
 * the call under way returned (the request keeps it): it ends r with
 * sg_request_answer. */
struct sg_mcp_oauth *sg_mcp_authn_start(struct sg_request *r);

/* r is over first: nothing more is heard of o's call. NULL: nothing. */
void sg_mcp_authn_cancel(struct sg_mcp_oauth *o);

/* A deferred step never started (its request ended first). NULL is fine. */
void sg_mcp_oauth_free(struct sg_mcp_oauth *o);

/* The pieces, for their tests. */

/* Whether path[0..len) is one of the well-known OAuth documents' (the
 * prefix alone or followed by '/'), which need no token. */
bool sg_mcp_authn_well_known(const char *path, size_t len);

/* The WWW-Authenticate value for a request of `in` to path[0..len) into
 * out[0..cap), NUL-terminated; its length, or -1 when it does not fit. */
ssize_t sg_mcp_authn_challenge(const struct sg_mcp_authn *m, const struct sg_filter_input *in,
			       const char *path, size_t len, char *out, size_t cap);

/* The protected-resource metadata document for a request of `in` to
 * path[0..len) (under /.well-known/oauth-protected-resource), compact
 * JSON, malloc'd; NULL when out of memory. */
char *sg_mcp_authn_metadata(const struct sg_mcp_authn *m, const struct sg_filter_input *in,
			    const char *path, size_t len);

#endif
