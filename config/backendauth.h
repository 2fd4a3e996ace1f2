/* agentgateway's backendAuth policy in the configuration: the credentials
 * a route's or a backend's requests carry to the backend. */
#ifndef SG_BACKENDAUTH_CONF_H
#define SG_BACKENDAUTH_CONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* backendAuth into ((struct sg_filters *)dst)->backend_auth, in any of
 * agentgateway's shapes: {key: VALUE} (the older one: VALUE a string or
 * {file}), {passthrough: {location}}, {key: {value: VALUE, location}},
 * {jwtSign: {signingKey, alg, kid, claims, ttl, location}} (the key read
 * now, parsed by user/auth/jwtsign.c; listed in c->cfg->signers),
 * {oauthTokenExchange: {...}} (config/tokenxconf.h), either with or
 * without {credentials: [{location, key: VALUE}]}. Values read from a
 * file are trimmed. The kinds that need a cloud provider or a token
 * service splicegate does not speak (gcp, aws, azure, copilot,
 * crossAppAccess) are refused by name. */
int sg_f_backend_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* A FileOrInline secret at n: the string, or {file: PATH} read now, one
 * line, trimmed as agentgateway trims one, into *out. 0, or -1 with the
 * error in c. */
int sg_backend_auth_secret(struct sg_pctx *c, const struct sg_node *n, const char **out,
			   const char *path);

/* "RS256", "ES256", ... as agentgateway spells alg. */
const char *sg_jws_alg_name(enum sg_jws_alg alg);

/* A backendAuth kind splicegate does not implement (gcp, aws, azure: a
 * cloud-provider key; the rest: a token service), refused by its name, in
 * either dialect. */
int sg_f_backend_auth_refused(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path);

#endif
