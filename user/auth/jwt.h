/* JSON Web Tokens (RFC 7519) verified as agentgateway's jwtAuth verifies
 * them, with OpenSSL 3: a compact JWS checked against the key its `kid`
 * names in the providers' JWKS (user/auth/jwks.h; RS256/384/512,
 * PS256/384/512, ES256/384, EdDSA; `none` and HMAC never), then its claims
 * (iss, aud, exp, nbf, iat with 60 s of leeway, the required ones).
 * Verified claims are kept, reference-counted, in a per-worker cache keyed
 * by the token, so that a token seen again costs a lookup. No I/O; no
 * HTTP. */
#ifndef SG_JWT_H
#define SG_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/auth/jwks.h"

struct sg_diag;
struct sg_json;
struct sg_jwks_remote;

/* Clock skew allowed on exp, nbf and iat (jsonwebtoken's default). */
#define SG_JWT_LEEWAY_S 60

/* Compiles the keys of every jwtAuth of cfg (cfg->jwts) not compiled yet,
 * into their rt (released with cfg). Call before cfg is shared with the
 * workers. Returns 0, or -1 after recording each JWKS that does not load
 * in d ("file:line:col: ...jwks: key \"k\": why"): such a config must not
 * go in force. */
int sg_jwt_prepare(const struct sg_cfg *cfg, struct sg_diag *d);
/* Provider i's keys of j once prepared, else NULL (a remote provider's:
 * as last fetched, NULL before; valid for SG_JWKS_RETIRE_MS). */
const struct sg_jwks *sg_jwt_keys(const struct sg_jwt_auth *j, size_t i);
/* Provider i's remote (jwks {url}) once prepared, else NULL: its fetching
 * is started by the gateway when the config goes in force
 * (user/core/jwksfetch.h). */
struct sg_jwks_remote *sg_jwt_remote(const struct sg_jwt_auth *j, size_t i);

/* Why a token was refused: agentgateway's TokenError. */
enum sg_jwt_error {
	SG_JWT_OK,
	SG_JWT_MISSING,	    /* no bearer token found */
	SG_JWT_BAD_HEADER,  /* the token header is malformed: <detail> */
	SG_JWT_NO_KID,	    /* the token header does not specify a `kid` */
	SG_JWT_UNKNOWN_KID, /* token uses the unknown key "<kid>" */
	SG_JWT_INVALID,	    /* the token is invalid or malformed: <detail> */
};

struct sg_jwt_result {
	enum sg_jwt_error err;
	/* jsonwebtoken's error as agentgateway prints it: "Error(ExpiredSignature)" */
	const char *detail;
	char kid[68]; /* SG_JWT_UNKNOWN_KID's, cut at 64 bytes */
};

/* agentgateway's text of r (TokenError's Display) into buf. Returns buf. */
const char *sg_jwt_describe(const struct sg_jwt_result *r, char *buf, size_t len);

/* A verified token's claims. Reference-counted by one thread (a worker):
 * the cache holds one, each request that uses it another. */
struct sg_jwt_claims;

/* The payload as parsed (an object; owned by c); its "sub" (NULL: none). */
const struct sg_json *sg_jwt_claims_json(const struct sg_jwt_claims *c);
const char *sg_jwt_claims_sub(const struct sg_jwt_claims *c);
/* The token the claims were verified from (not NUL-terminated: *len
 * bytes). */
const char *sg_jwt_claims_token(const struct sg_jwt_claims *c, size_t *len);
/* Drop a reference (NULL is fine). */
void sg_jwt_claims_put(struct sg_jwt_claims *c);

/* Verify token[0..len) against j's providers at `now` (Unix seconds):
 * 0 with *out (a new reference, the caller's), or -1 with why in *r. No
 * cache. */
int sg_jwt_verify(const struct sg_jwt_auth *j, const char *token, size_t len, int64_t now,
		  struct sg_jwt_claims **out, struct sg_jwt_result *r);

/* A worker's cache of verified tokens: SG_JWT_CACHE_SLOTS entries, one
 * per slot of the token's hash (a newer token takes the slot). Failures
 * are not cached. One thread. */
#define SG_JWT_CACHE_SLOTS 256
struct sg_jwt_cache;
struct sg_jwt_cache *sg_jwt_cache_new(void);
void sg_jwt_cache_free(struct sg_jwt_cache *c);

/* sg_jwt_verify through cache c: a token j verified before is taken from
 * it, its exp and nbf checked again at `now`. */
int sg_jwt_check(struct sg_jwt_cache *c, const struct sg_jwt_auth *j, const char *token, size_t len,
		 int64_t now, struct sg_jwt_claims **out, struct sg_jwt_result *r);

/* Cache counters, for tests: hits and verifications. */
void sg_jwt_cache_counts(const struct sg_jwt_cache *c, uint64_t *hits, uint64_t *verified);

#endif
