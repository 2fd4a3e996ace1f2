/* JSON Web Key Sets (RFC 7517) as agentgateway's jwtAuth reads them, into
 * OpenSSL 3 public keys (RSA, EC P-256 and P-384, Ed25519), and JWS
 * signatures (RFC 7518 §3) verified with them. The token verifier
 * (user/auth/jwt.h) and the fetcher of remote sets
 * (user/auth/jwksremote.h) both stand on this file. No I/O. */
#ifndef SG_JWKS_H
#define SG_JWKS_H

#include <stdbool.h>
#include <stddef.h>

/* The JWS signature algorithms (RFC 7518 §3.1) a key may verify, then the
 * ones only named. */
enum sg_jwk_alg {
	SG_JWK_RS256,
	SG_JWK_RS384,
	SG_JWK_RS512,
	SG_JWK_PS256,
	SG_JWK_PS384,
	SG_JWK_PS512,
	SG_JWK_ES256,
	SG_JWK_ES384,
	SG_JWK_EDDSA,
	SG_JWK_N,
	SG_JWK_HMAC = SG_JWK_N, /* known to jsonwebtoken, never verified here */
	SG_JWK_UNKNOWN,
};

/* The algorithm a JOSE header's or a JWK's "alg" names. */
enum sg_jwk_alg sg_jwk_alg_of(const char *name);

/* One key of a set. */
struct sg_jwk;

/* One JWKS's keys. */
struct sg_jwks;

/* Parse a JWKS text ({"keys": [...]}, len bytes, need not be NUL-
 * terminated). Every key needs a kid and kty RSA (n, e), EC (crv P-256 or
 * P-384, x, y; P-521: loaded, verifying nothing) or OKP (crv Ed25519, x);
 * its `alg`, when it names a
 * signature algorithm, must fit its kty and is the only one the key
 * verifies, else the key's family does. Returns 0 with *out (the caller's,
 * sg_jwks_free), or -EINVAL with why in err[0..errlen) ("key \"k1\": ..."),
 * -ENOMEM. */
int sg_jwks_parse(const char *text, size_t len, struct sg_jwks **out, char *err, size_t errlen);
void sg_jwks_free(struct sg_jwks *k);
/* Its keys' ids in JWKS order (i < sg_jwks_count). */
size_t sg_jwks_count(const struct sg_jwks *k);
const char *sg_jwks_kid(const struct sg_jwks *k, size_t i);
/* The key of k (NULL: none) whose kid is kid, or NULL. Of several with
 * that kid, the last in the JWKS, as agentgateway's map of kids keeps. */
const struct sg_jwk *sg_jwks_find(const struct sg_jwks *k, const char *kid);

/* Whether k verifies signatures by a: its family's algorithms, or the one
 * its alg names. */
bool sg_jwk_allows(const struct sg_jwk *k, enum sg_jwk_alg a);
/* Whether sig[0..siglen) is k's signature by a (one k allows) of
 * msg[0..msglen): a JWS signature as RFC 7518 §3 writes it (ES256/384 as
 * r || s, of the key's own curve only). An RSA key agentgateway's verifier
 * would not take (a modulus outside 2048..8192 bits, an exponent that is
 * even, 1, or not below it) verifies no signature. */
bool sg_jwk_verify(const struct sg_jwk *k, enum sg_jwk_alg a, const char *msg, size_t msglen,
		   const unsigned char *sig, size_t siglen);

#endif
