/* backendAuth jwtSign (agentgateway's JwtSignAuth): the signing key of
 * each jwtSign of a config parsed once before the config goes in force,
 * and a short-lived JWT signed with it for each try. */
#ifndef SG_JWTSIGN_H
#define SG_JWTSIGN_H

#include <stdint.h>

#include "config/cfg.h"
#include "config/diag.h"

/* Parse the key of each of cfg's jwtSigns (cfg->signers) into its rt,
 * released with the config. A key that is not a PEM private key, or not
 * of alg's type (RSA for RS* and PS256, EC P-256 for ES256, P-384 for
 * ES384), is an error at its jwtSign. Returns 0, or -1 after recording
 * errors in d. */
int sg_jwtsign_prepare(const struct sg_cfg *cfg, struct sg_diag *d);

/* A JWT signed by j's key: header {"typ":"JWT","alg":ALG[,"kid":KID]},
 * claims j's with "iat" (now_s - 10) and "exp" (now_s + ttl, 300 s by
 * default; whole seconds rounded up). Returns it (malloc'd, the caller
 * frees it), or NULL when out of memory or j's key is not prepared. */
char *sg_jwtsign_token(const struct sg_jwt_sign *j, uint64_t now_s);

#endif
