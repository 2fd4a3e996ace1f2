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

#endif
