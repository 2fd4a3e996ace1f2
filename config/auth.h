/* Authentication policies in the configuration, in agentgateway's shapes:
 * jwtAuth (LocalJwtConfig) with its providers, mode and location; apiKey
 * (LocalAPIKeys) with its keys, inline or hashed. The
 * policies splicegate does not implement yet are refused by name. */
#ifndef SG_AUTH_H
#define SG_AUTH_H

#include "config/cfg.h"
#include "config/fields.h"

/* A JWT longer than this is refused unread: the most a request head
 * holds (64 KiB), as agentgateway's are bounded by its header limits
 * alone. An Entra ID or Keycloak token with many groups or roles passes
 * 8 KiB. */
#define SG_JWT_MAX_TOKEN (64 * 1024)

/* jwtAuth into ((struct sg_filters *)dst)->jwt: {mode, location, issuer,
 * audiences, jwks, jwtValidationOptions} or {mode, location, providers:
 * [{issuer, audiences, jwks, jwtValidationOptions}]}; jwks inline (a
 * string), {file} (read now) or {url} (http or https; fetched once the
 * config is in force). A CEL `expression` location is refused by name. The keys themselves are checked by
 * user/auth/jwt.c before the config goes in force. */
int sg_f_jwt_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A credential's location into *(struct sg_cred_location *)dst: exactly
 * one of header {name, prefix}, queryParameter {name}, cookie {name} (a
 * CEL expression is refused by name). */
int sg_f_cred_location(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A provider's jwks into *(struct sg_jwt_provider *)dst: the JWKS text
 * inline, or {file: path} (read now), or {url} (http or https; fetched by
 * the gateway). */
int sg_f_jwks(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* An AgentgatewayPolicy's traffic.jwtAuthentication into *(const struct
 * sg_jwt_auth **)dst, as the CRD writes it: {mode: Strict (default) |
 * Optional | Permissive, providers: [{issuer, audiences, jwks: {inline:
 * TEXT} | {remote: {url, cacheDuration >= 5m}}}], location}; remote's
 * backendRef and jwksPath, and mcp, are refused by name. */
int sg_f_agp_jwt_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* apiKey into ((struct sg_filters *)dst)->apikeys: {keys: [{key, metadata}
 * | {keyHash: "sha256:<64 hex>", metadata}], mode, location} (location's
 * default: the authorization header with prefix "Bearer "). allowedModels
 * (for LLM backends) is refused by name. */
int sg_f_api_keys(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* One API key as a Kubernetes Secret's entry holds it (AgentgatewayPolicy
 * apiKeyAuthentication), added to k: the key itself, or a JSON object
 * {key | keyHash, metadata} (parsed as `file` in diagnostics). Returns 0,
 * or -1 after an error at `path`. */
int sg_api_key_text(struct sg_pctx *c, struct sg_api_keys *k, const char *text, size_t len,
		    const char *file, const char *path);

/* basicAuth into ((struct sg_filters *)dst)->basic: {htpasswd: TEXT |
 * {file}, realm, mode: strict | optional, authorizationLocation} (the
 * location's default: the authorization header with prefix "Basic "). The
 * htpasswd lines are checked by user/auth/htpasswd.c. */
int sg_f_basic_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A policy splicegate does not implement (networkAuthorization;
 * AgentgatewayPolicy's traffic.jwtAuthentication, ...): an error naming it
 * and why. */
int sg_f_auth_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A mode ("strict", "optional", "permissive") into *(enum sg_auth_mode *)dst. */
int sg_f_auth_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* jwtValidationOptions {requiredClaims} into *(struct sg_jwt_provider *)dst. */
int sg_f_jwt_validation(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* Why a route may not have both jwtAuth and mcpAuthentication:
 * agentgateway makes both one jwtAuth policy of the route, and one of
 * them would be dropped unsaid. */
#define SG_AUTH_JWT_OR_MCP                                                                         \
	"a route takes jwtAuth or mcpAuthentication, not both (agentgateway makes each the "       \
	"route's one jwtAuth policy)"

/* "strict" | "optional" | "permissive", as agentgateway prints them. */
const char *sg_auth_mode_name(enum sg_auth_mode m);

#endif
