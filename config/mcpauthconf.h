/* agentgateway's mcpAuthentication policy in the standalone config (its
 * LocalMcpAuthentication, schema/config.json), parsed into struct
 * sg_mcp_authn. */
#ifndef SG_MCPAUTHCONF_H
#define SG_MCPAUTHCONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* mcpAuthentication into ((struct sg_filters *)dst)->mcp_authn: issuer,
 * audiences and resourceMetadata (a map) required; provider {auth0 |
 * keycloak | okta | descope | authentik: {}} (entra refused by name);
 * jwks as jwtAuth's (omitted: the URL agentgateway derives from the
 * issuer and provider); mode (default strict); authorizationLocation;
 * jwtValidationOptions; clientId; clientSecret. Refused on a route that
 * has jwtAuth. */
int sg_f_mcp_authentication(struct sg_pctx *c, const struct sg_node *n, void *dst,
			    const char *path);

/* The JWKS URL agentgateway derives for issuer and provider p when jwks is
 * not given, into the arena; NULL when out of memory. */
const char *sg_mcp_authn_jwks_url(struct sg_arena *a, const char *issuer, enum sg_mcp_idp p);

/* A Descope agentic issuer, SCHEME://HOST[:PORT]/v1/apps/agentic/PROJECT/
 * SERVER[/...], in parts (pointers into it): its scheme's length, host
 * (without port), origin (scheme://host:port) length, project and server. */
struct sg_mcp_descope {
	size_t scheme_len, host_len, origin_len, project_len, server_len;
	const char *host, *project, *server;
};
bool sg_mcp_descope_issuer(const char *issuer, struct sg_mcp_descope *out);

/* "auth0", "keycloak", ... as the config names provider p; NULL: none. */
const char *sg_mcp_idp_name(enum sg_mcp_idp p);

#endif
