/* The OAuth documents of MCP authentication (agentgateway's
 * mcpAuthentication, user/core/mcpauthn.h): the protected-resource metadata
 * the gateway serves (RFC 9728), an authorization server's metadata as a
 * provider's adaptation rewrites it, the mock client registration, and
 * where an authorization server is asked. JSON in, JSON out; no I/O. */
#ifndef SG_MCPOAUTH_H
#define SG_MCPOAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

#define SG_MCPOAUTH_PRM "/.well-known/oauth-protected-resource"
#define SG_MCPOAUTH_ASM "/.well-known/oauth-authorization-server"
/* The MCP revision agentgateway's metadata names. */
#define SG_MCPOAUTH_PROTOCOL_VERSION "2025-06-18"

/* Whether path[0..len) is `prefix`, or `prefix` then "/...". */
bool sg_mcpoauth_under(const char *path, size_t len, const char *prefix);

/* An absolute URI's scheme://authority into out[0..cap); false when u is
 * none (or it does not fit). */
bool sg_mcpoauth_origin(const char *u, char *out, size_t cap);

/* RFC 9728's document for m's resource at `url` (the request's URL
 * without the well-known prefix and query), as agentgateway's
 * to_rfc_json writes it: resource, authorization_servers ([issuer]; with
 * a provider [url]), mcp_protocol_version, resource_type, then
 * resourceMetadata's keys in key order, in snake case (one named as a
 * computed one replaces it in place). Compact JSON, malloc'd; NULL when
 * out of memory. */
char *sg_mcpoauth_resource_metadata(const struct sg_mcp_authn *m, const char *url);

/* The authorization-server metadata `doc` (JSON text) as a request for
 * `url` (its scheme, host, path and query; under /.well-known/oauth-
 * authorization-server) gets it: adapted to m's provider (the issuer the
 * gateway's URL; auth0 and okta the first audience on the authorization
 * endpoint; keycloak, okta, descope, authentik a registration endpoint at
 * `url`/client-registration; entra that one, its authorization and token
 * endpoints at `url`/authorize and `url`/token, and S256 among its
 * code_challenge_methods_supported), compact JSON, malloc'd. NULL: not JSON, or
 * a document that lacks what the adaptation needs, or out of memory. */
char *sg_mcpoauth_as_metadata(const struct sg_mcp_authn *m, const char *url, const char *doc);

/* agentgateway's mock registration answer for clientId `id` to a
 * registration body[0..len) (any bytes): its redirect_uris back. Malloc'd;
 * NULL when out of memory. */
char *sg_mcpoauth_mock_registration(const char *id, const char *body, size_t len);

/* Where m's authorization server keeps its metadata (RFC 8414's URL; the
 * OIDC discovery document for keycloak, okta, descope, authentik), and
 * where a registration goes (Keycloak's path under the issuer; okta's
 * org; descope's management endpoint), into out[0..cap): snprintf's
 * count, or -1 when the provider has none (authentik's and entra's
 * registration; an entra issuer without a tenant). Entra's metadata is
 * its v2.0 OpenID configuration (config/mcpauthconf.h's authority). */
int sg_mcpoauth_metadata_url(const struct sg_mcp_authn *m, char *out, size_t cap);
int sg_mcpoauth_registration_url(const struct sg_mcp_authn *m, char *out, size_t cap);

/* Entra ID refuses RFC 8707's `resource` parameter, which MCP clients
 * send; the gateway's endpoints take it out (agentgateway's
 * entra_authorize and entra_token). */

/* Where the gateway's authorize endpoint sends a request whose query is
 * q[0..len) (without its '?'): Entra's authorization endpoint with that
 * query less its `resource` parameters (the others as written).
 * Malloc'd; NULL: the issuer names no tenant, or out of memory. */
char *sg_mcpoauth_entra_authorize(const struct sg_mcp_authn *m, const char *q, size_t len);

/* Entra's token endpoint into out[0..cap): snprintf's count, -1: the
 * issuer names no tenant. */
int sg_mcpoauth_entra_token_url(const struct sg_mcp_authn *m, char *out, size_t cap);

/* A token request's form body[0..len) as it goes on to Entra: less its
 * `resource` parameters, and with m's clientSecret added when the request
 * has no credential of its own (no client_secret; `authorized` false: no
 * Authorization header), is for m's clientId and asks a user's grant
 * (authorization_code, refresh_token), each named once and exactly (no
 * %00 in a name or value): the endpoint needs no token, so a
 * client_credentials grant never gets the gateway's secret. Malloc'd;
 * NULL when out of memory. */
char *sg_mcpoauth_entra_token_form(const struct sg_mcp_authn *m, const char *body, size_t len,
				   bool authorized);

#endif
