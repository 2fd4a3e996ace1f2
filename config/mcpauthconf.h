/* agentgateway's mcpAuthentication policy in the standalone config (its
 * LocalMcpAuthentication, schema/config.json), parsed into struct
 * sg_mcp_authn. */
#ifndef SG_MCPAUTHCONF_H
#define SG_MCPAUTHCONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* mcpAuthentication into ((struct sg_filters *)dst)->mcp_authn: issuer,
 * audiences and resourceMetadata (a map) required; provider {auth0 |
 * keycloak | okta | descope | authentik | entra: {}}; jwks as jwtAuth's
 * (omitted: the URL agentgateway derives from the issuer and provider;
 * entra's issuer must then name a tenant); mode (default strict);
 * authorizationLocation;
 * jwtValidationOptions; clientId; clientSecret. Refused on a route that
 * has jwtAuth. */
int sg_f_mcp_authentication(struct sg_pctx *c, const struct sg_node *n, void *dst,
			    const char *path);

/* The JWKS URL agentgateway derives for issuer and provider p when jwks is
 * not given, into the arena; NULL when out of memory, or for entra an
 * issuer that names no tenant. */
const char *sg_mcp_authn_jwks_url(struct sg_arena *a, const char *issuer, enum sg_mcp_idp p);

/* A Descope agentic issuer, SCHEME://HOST[:PORT]/v1/apps/agentic/PROJECT/
 * SERVER[/...], in parts (pointers into it): its scheme's length, host
 * (without port), origin (scheme://host:port) length, project and server. */
struct sg_mcp_descope {
	size_t scheme_len, host_len, origin_len, project_len, server_len;
	const char *host, *project, *server;
};
bool sg_mcp_descope_issuer(const char *issuer, struct sg_mcp_descope *out);

/* Entra ID's authority for its issuer, as agentgateway derives it:
 * https://HOST/TENANT, HOST the issuer's (without its port; the v1
 * issuers' sts.windows.net is login.microsoftonline.com) and TENANT its
 * path's first segment, into out[0..cap). false: the issuer is not a URL
 * with a host and a tenant, or it does not fit. Its OpenID configuration
 * is AUTHORITY/v2.0/.well-known/openid-configuration, its endpoints
 * AUTHORITY/oauth2/v2.0/authorize and .../token, its keys
 * AUTHORITY/discovery/v2.0/keys. */
bool sg_mcp_entra_authority(const char *issuer, char *out, size_t cap);

/* "auth0", "keycloak", ... as the config names provider p; NULL: none. */
const char *sg_mcp_idp_name(enum sg_mcp_idp p);

#endif
