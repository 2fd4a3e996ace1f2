/* backendAuth oauthTokenExchange in the configuration: agentgateway's
 * OAuthTokenExchangeAuth, the token endpoint and the grant's fields. */
#ifndef SG_TOKENXCONF_H
#define SG_TOKENXCONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* oauthTokenExchange into the struct sg_backend_auth at dst (kind and
 * exchange): host (the endpoint, "addr:port"; :443 speaks TLS), path,
 * policies ({http: {requestTimeout}}, 10 s by default), grantType
 * (tokenExchange | jwtBearer), subjectToken {source, tokenType},
 * actorToken {source, tokenType}, audiences, scopes, resources,
 * requestedTokenType, clientAuth {clientId, clientSecret, method:
 * clientSecretBasic | clientSecretPost}, additionalParams (CEL),
 * authorizationLocation and cache {maxEntries, defaultTtl}, checked as
 * agentgateway's validate_load checks them. Refused by name: a service
 * or backend target, privateKeyJwt, actorToken.enforceMayAct, a CEL
 * expression as a location, requestedTokenType id-jag (crossAppAccess's).
 * The cache joins c->cfg's extAuthz caches (user/auth/authzcache.h). */
int sg_f_token_exchange(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* For another form of the same settings (an AgentgatewayPolicy's
 * backend.auth.oauthTokenExchange, config/k8s.c): an exchange with
 * agentgateway's defaults (n: where it is written; NULL: out of memory);
 * once its fields are read, its checks and its cache (0 or -1 after an
 * error); path (starts with '/') and additionalParams as read here; and
 * a token type's URN: agentgateway's CRD names (AccessToken, Jwt,
 * IdToken, IdJag) translated, an absolute URI as it is, NULL for
 * anything else. */
struct sg_token_exchange *sg_token_exchange_new(struct sg_pctx *c, const struct sg_node *n);
int sg_token_exchange_done(struct sg_pctx *c, const struct sg_node *n, struct sg_token_exchange *t,
			   const char *path);
int sg_f_tokenx_path(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_tokenx_params(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
const char *sg_tokenx_type_urn(const char *name);

#endif
