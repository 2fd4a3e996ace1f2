/* JWT verification with OpenSSL 3 (the contract is jwt.h). The order of
 * the checks is jsonwebtoken's, which agentgateway uses: the header (alg
 * known, kid given and known), the alg allowed for that key, the
 * signature, then the claims. */
#include "user/auth/jwt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "config/auth.h"
#include "config/diag.h"
#include "user/base/base64url.h"
#include "user/auth/jwksremote.h"
#include "user/base/json.h"

/* s[0..len), base64url, decoded into a new buffer (NUL-terminated, *out_len
 * bytes before the NUL), or NULL when it is not base64url or memory ran
 * out. */
static unsigned char *b64url_decode(const char *s, size_t len, size_t *out_len)
{
	unsigned char *out = malloc(len * 3 / 4 + 1);
	ssize_t n = out ? sg_base64url_decode(s, len, out, len * 3 / 4) : -1;

	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*out_len = (size_t)n;
	return out;
}

/* ---- algorithms ----------------------------------------------------------- */

enum alg {
	ALG_RS256,
	ALG_RS384,
	ALG_RS512,
	ALG_PS256,
	ALG_PS384,
	ALG_PS512,
	ALG_ES256,
	ALG_ES384,
	ALG_EDDSA,
	ALG_N,
	ALG_HMAC = ALG_N, /* known to jsonwebtoken, never verified here */
	ALG_UNKNOWN,
};

static const char *const alg_names[ALG_N] = { "RS256", "RS384", "RS512", "PS256", "PS384",
					      "PS512", "ES256", "ES384", "EdDSA" };

static enum alg alg_of(const char *s)
{
	for (int i = 0; i < ALG_N; i++)
		if (!strcmp(s, alg_names[i]))
			return (enum alg)i;
	if (!strcmp(s, "HS256") || !strcmp(s, "HS384") || !strcmp(s, "HS512"))
		return ALG_HMAC;
	return ALG_UNKNOWN;
}

#define ALGS_RSA                                                                                   \
	((1u << ALG_RS256) | (1u << ALG_RS384) | (1u << ALG_RS512) | (1u << ALG_PS256) |           \
	 (1u << ALG_PS384) | (1u << ALG_PS512))
#define ALGS_EC ((1u << ALG_ES256) | (1u << ALG_ES384))
#define ALGS_OKP (1u << ALG_EDDSA)

static const EVP_MD *alg_md(enum alg a)
{
	switch (a) {
	case ALG_RS256:
	case ALG_PS256:
	case ALG_ES256:
		return EVP_sha256();
	case ALG_RS384:
	case ALG_PS384:
	case ALG_ES384:
		return EVP_sha384();
	case ALG_RS512:
	case ALG_PS512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* ---- JWKS ----------------------------------------------------------------- */

struct jwk {
	char *kid;
	EVP_PKEY *pkey;
	unsigned algs; /* 1 << enum alg it verifies */
	int ec_bits;   /* EC: 256 or 384 */
};

struct sg_jwks {
	struct jwk *keys;
	size_t n;
};

void sg_jwks_free(struct sg_jwks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].kid);
		EVP_PKEY_free(k->keys[i].pkey);
	}
	free(k->keys);
	free(k);
}

size_t sg_jwks_count(const struct sg_jwks *k)
{
	return k ? k->n : 0;
}

const char *sg_jwks_kid(const struct sg_jwks *k, size_t i)
{
	return k->keys[i].kid;
}

/* A base64url member of a JWK, decoded; NULL when missing or bad. */
static unsigned char *member(const struct sg_json *o, const char *name, size_t *len)
{
	const char *s = sg_json_str(sg_json_get(o, name));

	return s ? b64url_decode(s, strlen(s), len) : NULL;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(const struct sg_json *o, const char **why)
{
	size_t nlen, elen;
	unsigned char *n = member(o, "n", &nlen), *e = member(o, "e", &elen);
	BIGNUM *bn = n ? BN_bin2bn(n, (int)nlen, NULL) : NULL;
	BIGNUM *be = e ? BN_bin2bn(e, (int)elen, NULL) : NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	*why = "n and e must be base64url";
	if (bn && be && b && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be)) {
		*why = "not an RSA public key";
		pkey = from_params("RSA", b);
	}
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

static EVP_PKEY *ec_key(const struct sg_json *o, int *bits, const char **why)
{
	const char *crv = sg_json_str(sg_json_get(o, "crv"));
	size_t xlen = 0, ylen = 0, w;
	unsigned char *x = member(o, "x", &xlen), *y = member(o, "y", &ylen);
	unsigned char point[1 + 2 * 48];
	OSSL_PARAM_BLD *b = NULL;
	EVP_PKEY *pkey = NULL;
	const char *group;

	*why = "crv must be P-256 or P-384";
	if (crv && !strcmp(crv, "P-256")) {
		group = "prime256v1";
		w = 32;
	} else if (crv && !strcmp(crv, "P-384")) {
		group = "secp384r1";
		w = 48;
	} else {
		goto out;
	}
	*bits = (int)w * 8;
	*why = "x and y must be base64url coordinates of the curve";
	if (!x || !y || xlen != w || ylen != w)
		goto out;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, w);
	memcpy(point + 1 + w, y, w);
	b = OSSL_PARAM_BLD_new();
	*why = "not a point of the curve";
	if (b && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * w))
		pkey = from_params("EC", b);
out:
	OSSL_PARAM_BLD_free(b);
	free(x);
	free(y);
	return pkey;
}

static EVP_PKEY *okp_key(const struct sg_json *o, const char **why)
{
	const char *crv = sg_json_str(sg_json_get(o, "crv"));
	size_t xlen = 0;
	unsigned char *x;
	EVP_PKEY *pkey = NULL;

	*why = "crv must be Ed25519";
	if (!crv || strcmp(crv, "Ed25519"))
		return NULL;
	x = member(o, "x", &xlen);
	*why = "x must be a base64url Ed25519 public key";
	if (x && xlen == 32)
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
	free(x);
	return pkey;
}

/* One key of a JWKS into k; why says what is wrong when it returns -1. */
static int parse_key(const struct sg_json *o, struct jwk *k, const char **why)
{
	const char *kty = sg_json_str(sg_json_get(o, "kty"));
	const char *alg = sg_json_str(sg_json_get(o, "alg"));
	unsigned family;

	if (!kty) {
		*why = "no kty";
		return -1;
	}
	if (!strcmp(kty, "RSA")) {
		family = ALGS_RSA;
		k->pkey = rsa_key(o, why);
	} else if (!strcmp(kty, "EC")) {
		family = ALGS_EC;
		k->pkey = ec_key(o, &k->ec_bits, why);
	} else if (!strcmp(kty, "OKP")) {
		family = ALGS_OKP;
		k->pkey = okp_key(o, why);
	} else {
		*why = "unsupported kty (supported: RSA, EC, OKP[Ed25519])";
		return -1;
	}
	if (!k->pkey)
		return -1;
	k->algs = family;
	if (alg) {
		enum alg a = alg_of(alg);

		if (a < ALG_N && !(family & (1u << a))) {
			*why = "its alg does not fit its kty";
			return -1;
		}
		if (a == ALG_HMAC || !strcmp(alg, "none")) {
			*why = "its alg is not a public-key signature";
			return -1;
		}
		if (a < ALG_N)
			k->algs = 1u << a;
	}
	return 0;
}

int sg_jwks_parse(const char *text, size_t len, struct sg_jwks **out, char *err, size_t errlen)
{
	char *copy = malloc(len + 1);
	struct sg_json *root = NULL;
	const struct sg_json *keys, *it;
	struct sg_jwks *ks = calloc(1, sizeof(*ks));
	size_t n = 0;
	int rc = -ENOMEM;

	if (!copy || !ks)
		goto fail;
	memcpy(copy, text, len);
	copy[len] = '\0';
	root = sg_json_parse(copy);
	keys = sg_json_get(root, "keys");
	rc = -EINVAL;
	if (sg_json_type(keys) != SG_JSON_ARRAY) {
		snprintf(err, errlen, "not a JWKS (a JSON object with a \"keys\" array)");
		goto fail;
	}
	for (it = sg_json_first(keys); it; it = sg_json_next(it))
		n++;
	ks->keys = calloc(n ? n : 1, sizeof(*ks->keys));
	if (!ks->keys) {
		rc = -ENOMEM;
		goto fail;
	}
	for (it = sg_json_first(keys); it; it = sg_json_next(it)) {
		const char *kid = sg_json_str(sg_json_get(it, "kid"));
		struct jwk *k = &ks->keys[ks->n];
		const char *why = NULL;

		if (!kid) {
			snprintf(err, errlen, "key %zu: the key is missing the `kid` attribute",
				 ks->n);
			goto fail;
		}
		k->kid = strdup(kid);
		ks->n++;
		if (!k->kid) {
			rc = -ENOMEM;
			goto fail;
		}
		if (parse_key(it, k, &why) < 0) {
			snprintf(err, errlen, "key \"%.64s\": %s", kid, why);
			goto fail;
		}
	}
	sg_json_free(root);
	free(copy);
	*out = ks;
	return 0;
fail:
	sg_json_free(root);
	free(copy);
	sg_jwks_free(ks);
	return rc;
}

/* ---- a jwtAuth's keys, compiled once per config --------------------------- */

/* What rt->p holds: each provider's keys (a remote provider's: NULL, its
 * remote's instead), and an id no other compiled jwtAuth has (cache
 * entries name it, not a pointer that may be reused). */
struct compiled {
	uint64_t id;
	size_t n;
	struct sg_jwks_remote **remote; /* NULL: no remote provider */
	struct sg_jwks *keys[];
};

static void compiled_free(void *p)
{
	struct compiled *c = p;

	for (size_t i = 0; i < c->n; i++) {
		sg_jwks_free(c->keys[i]);
		if (c->remote)
			sg_jwks_remote_release(c->remote[i]);
	}
	free(c->remote);
	free(c);
}

/* Provider i's keys: its own, or its remote's as last fetched. */
static const struct sg_jwks *keys_of(const struct compiled *c, size_t i)
{
	if (c->remote && c->remote[i])
		return sg_jwks_remote_keys(c->remote[i]);
	return c->keys[i];
}

/* A remote provider: its remote made (not fetching yet). */
static int compile_remote(struct compiled *c, size_t i, const struct sg_jwt_provider *p,
			  struct sg_diag *d)
{
	if (!c->remote && !(c->remote = calloc(c->n, sizeof(c->remote[0]))))
		goto nomem;
	if (!(c->remote[i] = sg_jwks_remote_new(p->jwks_url, p->jwks_refresh_ms)))
		goto nomem;
	return 0;
nomem:
	sg_diag_err(d, p->at, "jwtAuth: out of memory");
	return -1;
}

static int compile(const struct sg_jwt_auth *j, struct sg_diag *d)
{
	struct compiled *c = calloc(1, sizeof(*c) + j->nproviders * sizeof(c->keys[0]));
	char why[256];
	int ret = 0;

	if (!c) {
		sg_diag_err(d, j->at, "jwtAuth: out of memory");
		return -1;
	}
	if (RAND_bytes((unsigned char *)&c->id, sizeof(c->id)) != 1)
		c->id = (uint64_t)(uintptr_t)c;
	c->n = j->nproviders;
	for (size_t i = 0; i < j->nproviders; i++) {
		const struct sg_jwt_provider *p = &j->providers[i];

		if (p->jwks_url) {
			if (compile_remote(c, i, p, d) < 0)
				ret = -1;
		} else if (sg_jwks_parse(p->jwks, p->jwks_len, &c->keys[i], why, sizeof(why)) < 0) {
			sg_diag_err(d, p->at, "jwtAuth: issuer %s: jwks%s%s: %s", p->issuer,
				    p->jwks_file ? " " : "", p->jwks_file ? p->jwks_file : "", why);
			ret = -1;
		}
	}
	if (ret < 0) {
		compiled_free(c);
		return -1;
	}
	j->rt->p = c;
	j->rt->release = compiled_free;
	return 0;
}

int sg_jwt_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->njwts; i++)
		if (!cfg->jwts[i]->rt->p && compile(cfg->jwts[i], d) < 0)
			ret = -1;
	return ret;
}

const struct sg_jwks *sg_jwt_keys(const struct sg_jwt_auth *j, size_t i)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	return c && i < c->n ? keys_of(c, i) : NULL;
}

struct sg_jwks_remote *sg_jwt_remote(const struct sg_jwt_auth *j, size_t i)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	return c && c->remote && i < c->n ? c->remote[i] : NULL;
}

/* ---- results --------------------------------------------------------------- */

static int refuse(struct sg_jwt_result *r, enum sg_jwt_error err, const char *detail)
{
	r->err = err;
	r->detail = detail;
	return -1;
}

const char *sg_jwt_describe(const struct sg_jwt_result *r, char *buf, size_t len)
{
	switch (r->err) {
	case SG_JWT_OK:
		snprintf(buf, len, "ok");
		break;
	case SG_JWT_MISSING:
		snprintf(buf, len, "no bearer token found");
		break;
	case SG_JWT_BAD_HEADER:
		snprintf(buf, len, "the token header is malformed: %s", r->detail);
		break;
	case SG_JWT_NO_KID:
		snprintf(buf, len, "the token header does not specify a `kid`");
		break;
	case SG_JWT_UNKNOWN_KID:
		snprintf(buf, len, "token uses the unknown key \"%s\"", r->kid);
		break;
	case SG_JWT_INVALID:
		snprintf(buf, len, "the token is invalid or malformed: %s", r->detail);
		break;
	}
	return buf;
}

/* ---- claims ----------------------------------------------------------------- */

struct sg_jwt_claims {
	int refs;
	struct sg_json *json;
	const char *sub;
	bool has_exp, has_nbf;
	double exp, nbf;
	/* The token as it came (backendAuth passthrough sends it on), and
	 * with the compiled jwtAuth's id the cache's key. */
	char *token;
	size_t len;
	uint64_t id;
};

const struct sg_json *sg_jwt_claims_json(const struct sg_jwt_claims *c)
{
	return c->json;
}

const char *sg_jwt_claims_sub(const struct sg_jwt_claims *c)
{
	return c->sub;
}

const char *sg_jwt_claims_token(const struct sg_jwt_claims *c, size_t *len)
{
	*len = c->len;
	return c->token;
}

void sg_jwt_claims_put(struct sg_jwt_claims *c)
{
	if (!c || --c->refs > 0)
		return;
	sg_json_free(c->json);
	free(c->token);
	free(c);
}

static const char *const claim_names[] = { "exp", "nbf", "aud", "iss", "sub" };

/* exp and nbf at `now`, for a fresh token and a cached one alike. */
static int check_times(const struct sg_jwt_claims *c, int64_t now, struct sg_jwt_result *r)
{
	if (c->has_exp && c->exp < (double)(now - SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ExpiredSignature)");
	if (c->has_nbf && c->nbf > (double)(now + SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ImmatureSignature)");
	return 0;
}

static bool audience_ok(const struct sg_jwt_provider *p, const struct sg_json *aud)
{
	const struct sg_json *it = aud;
	bool list = sg_json_type(aud) == SG_JSON_ARRAY;

	for (it = list ? sg_json_first(aud) : aud; it; it = list ? sg_json_next(it) : NULL) {
		const char *s = sg_json_str(it);

		for (size_t i = 0; s && i < p->audiences.n; i++)
			if (!strcmp(s, p->audiences.v[i]))
				return true;
	}
	return false;
}

/* The payload's claims as provider p wants them. */
static int check_claims(const struct sg_jwt_provider *p, struct sg_jwt_claims *c, int64_t now,
			struct sg_jwt_result *r)
{
	static const char *const missing[] = {
		"Error(MissingRequiredClaim(\"exp\"))", "Error(MissingRequiredClaim(\"nbf\"))",
		"Error(MissingRequiredClaim(\"aud\"))", "Error(MissingRequiredClaim(\"iss\"))",
		"Error(MissingRequiredClaim(\"sub\"))",
	};
	unsigned required =
		p->required | SG_JWT_CLAIM_ISS | (p->audiences.n ? SG_JWT_CLAIM_AUD : 0);
	const struct sg_json *exp = sg_json_get(c->json, "exp");
	const struct sg_json *nbf = sg_json_get(c->json, "nbf");
	const struct sg_json *iat = sg_json_get(c->json, "iat");
	const struct sg_json *aud = sg_json_get(c->json, "aud");
	double iat_v = 0;

	for (size_t i = 0; i < sizeof(claim_names) / sizeof(claim_names[0]); i++)
		if ((required & (1u << i)) && !sg_json_get(c->json, claim_names[i]))
			return refuse(r, SG_JWT_INVALID, missing[i]);
	if ((exp && sg_json_num(exp, &c->exp) < 0) || (nbf && sg_json_num(nbf, &c->nbf) < 0) ||
	    (iat && sg_json_num(iat, &iat_v) < 0))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidClaimFormat)");
	c->has_exp = exp != NULL;
	c->has_nbf = nbf != NULL;
	if (check_times(c, now, r) < 0)
		return -1;
	/* a token issued in the future (beyond the leeway) is not valid yet */
	if (iat && iat_v > (double)(now + SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ImmatureSignature)");
	if (!sg_json_str(sg_json_get(c->json, "iss")) ||
	    strcmp(sg_json_str(sg_json_get(c->json, "iss")), p->issuer))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidIssuer)");
	if (p->audiences.n && !audience_ok(p, aud))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidAudience)");
	c->sub = sg_json_str(sg_json_get(c->json, "sub"));
	return 0;
}

/* ---- signatures ----------------------------------------------------------- */

/* ES256/384's r||s (RFC 7518 §3.4) as the DER OpenSSL verifies. */
static unsigned char *ecdsa_der(const unsigned char *sig, size_t len, size_t half, int *der_len)
{
	ECDSA_SIG *es;
	BIGNUM *br, *bs;
	unsigned char *der = NULL;

	*der_len = -1;
	/* Its length first: r and s are read from it. */
	if (len != 2 * half)
		return NULL;
	es = ECDSA_SIG_new();
	br = BN_bin2bn(sig, (int)half, NULL);
	bs = BN_bin2bn(sig + half, (int)half, NULL);
	if (es && br && bs && ECDSA_SIG_set0(es, br, bs) == 1) {
		br = bs = NULL; /* es owns them */
		*der_len = i2d_ECDSA_SIG(es, &der);
	}
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? der : NULL;
}

static bool verify_sig(const struct jwk *k, enum alg a, const char *msg, size_t msglen,
		       const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	bool ok = false;

	if (!ctx)
		return false;
	if (a == ALG_ES256 || a == ALG_ES384) {
		size_t half = a == ALG_ES256 ? 32 : 48;

		if (k->ec_bits != (int)half * 8 || !(der = ecdsa_der(sig, siglen, half, &der_len)))
			goto out;
		sig = der;
		siglen = (size_t)der_len;
	}
	if (EVP_DigestVerifyInit(ctx, &pctx, alg_md(a), NULL, k->pkey) != 1)
		goto out;
	if (a == ALG_PS256 || a == ALG_PS384 || a == ALG_PS512) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg_md(a)) != 1)
			goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg, msglen) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ---- a token ------------------------------------------------------------- */

/* The key kid names among j's providers (the first that has it), with its
 * provider. */
static const struct jwk *find_key(const struct sg_jwt_auth *j, const char *kid,
				  const struct sg_jwt_provider **p)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	for (size_t i = 0; c && i < c->n; i++) {
		const struct sg_jwks *ks = keys_of(c, i);

		for (size_t k = 0; ks && k < ks->n; k++)
			if (!strcmp(ks->keys[k].kid, kid)) {
				*p = &j->providers[i];
				return &ks->keys[k];
			}
	}
	/* a kid no key has: a remote JWKS may have rotated, fetch it again */
	for (size_t i = 0; c && c->remote && i < c->n; i++)
		if (c->remote[i])
			sg_jwks_remote_kick(c->remote[i]);
	return NULL;
}

/* The cache's key for c: its id, changed by each fetch of a remote
 * provider's keys (a token verified with a key since withdrawn is verified
 * again). */
static uint64_t cache_id(const struct compiled *c)
{
	uint64_t id = c->id;

	for (size_t i = 0; c->remote && i < c->n; i++)
		if (c->remote[i])
			id += sg_jwks_remote_version(c->remote[i]) * 0x9e3779b97f4a7c15ULL;
	return id;
}

/* A JSON object out of base64url part s[0..len), or NULL. */
static struct sg_json *json_part(const char *s, size_t len)
{
	size_t n;
	unsigned char *text = b64url_decode(s, len, &n);
	struct sg_json *v = NULL;

	if (text && strlen((char *)text) == n)
		v = sg_json_parse((char *)text);
	free(text);
	if (v && sg_json_type(v) != SG_JSON_OBJECT) {
		sg_json_free(v);
		v = NULL;
	}
	return v;
}

/* The header: alg and kid, the key and its provider. */
static int read_header(const struct sg_jwt_auth *j, const char *token, size_t hlen,
		       const struct jwk **key, const struct sg_jwt_provider **p, enum alg *a,
		       struct sg_jwt_result *r)
{
	struct sg_json *h = json_part(token, hlen);
	const char *alg = sg_json_str(sg_json_get(h, "alg"));
	const char *kid = sg_json_str(sg_json_get(h, "kid"));
	int ret = 0;

	if (!h)
		ret = refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidToken)");
	else if (!alg || (*a = alg_of(alg)) == ALG_UNKNOWN)
		ret = refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidAlgorithmName)");
	else if (!kid)
		ret = refuse(r, SG_JWT_NO_KID, NULL);
	else if (!(*key = find_key(j, kid, p))) {
		snprintf(r->kid, sizeof(r->kid), "%.64s", kid);
		ret = refuse(r, SG_JWT_UNKNOWN_KID, NULL);
	} else if (*a >= ALG_N || !((*key)->algs & (1u << *a)))
		ret = refuse(r, SG_JWT_INVALID, "Error(InvalidAlgorithm)");
	sg_json_free(h);
	return ret;
}

int sg_jwt_verify(const struct sg_jwt_auth *j, const char *token, size_t len, int64_t now,
		  struct sg_jwt_claims **out, struct sg_jwt_result *r)
{
	const char *dot1 = memchr(token, '.', len), *dot2;
	const struct sg_jwt_provider *p = NULL;
	const struct jwk *key = NULL;
	struct sg_jwt_claims *c;
	unsigned char *sig;
	size_t siglen;
	enum alg a = ALG_UNKNOWN;

	*r = (struct sg_jwt_result){ SG_JWT_OK, NULL, "" };
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (len > SG_JWT_MAX_TOKEN || !dot2 ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		return refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidToken)");
	if (read_header(j, token, (size_t)(dot1 - token), &key, &p, &a, r) < 0)
		return -1;
	sig = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &siglen);
	if (!sig)
		return refuse(r, SG_JWT_INVALID, "Error(Base64(InvalidByte))");
	if (!verify_sig(key, a, token, (size_t)(dot2 - token), sig, siglen)) {
		free(sig);
		return refuse(r, SG_JWT_INVALID, "Error(InvalidSignature)");
	}
	free(sig);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->token = malloc(len ? len : 1))) {
		free(c);
		return refuse(r, SG_JWT_INVALID, "Error(OutOfMemory)");
	}
	memcpy(c->token, token, len);
	c->len = len;
	c->refs = 1;
	c->json = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!c->json) {
		sg_jwt_claims_put(c);
		return refuse(r, SG_JWT_INVALID, "Error(Json)");
	}
	if (check_claims(p, c, now, r) < 0) {
		sg_jwt_claims_put(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* ---- the cache ------------------------------------------------------------- */

struct sg_jwt_cache {
	struct sg_jwt_claims *slot[SG_JWT_CACHE_SLOTS];
	uint64_t hits, verified;
};

struct sg_jwt_cache *sg_jwt_cache_new(void)
{
	return calloc(1, sizeof(struct sg_jwt_cache));
}

void sg_jwt_cache_free(struct sg_jwt_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SG_JWT_CACHE_SLOTS; i++)
		sg_jwt_claims_put(c->slot[i]);
	free(c);
}

void sg_jwt_cache_counts(const struct sg_jwt_cache *c, uint64_t *hits, uint64_t *verified)
{
	*hits = c->hits;
	*verified = c->verified;
}

/* FNV-1a: the slot of a token (a collision only costs a verification). */
static size_t slot_of(const char *s, size_t len, uint64_t id)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ id;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) % SG_JWT_CACHE_SLOTS;
}

int sg_jwt_check(struct sg_jwt_cache *cache, const struct sg_jwt_auth *j, const char *token,
		 size_t len, int64_t now, struct sg_jwt_claims **out, struct sg_jwt_result *r)
{
	const struct compiled *comp = j->rt ? j->rt->p : NULL;
	uint64_t id = comp ? cache_id(comp) : 0;
	size_t s = slot_of(token, len, id);
	struct sg_jwt_claims *c = cache->slot[s];

	*r = (struct sg_jwt_result){ SG_JWT_OK, NULL, "" };
	if (c && c->id == id && c->len == len && !memcmp(c->token, token, len)) {
		cache->hits++;
		if (check_times(c, now, r) < 0)
			return -1;
		c->refs++;
		*out = c;
		return 0;
	}
	cache->verified++;
	if (sg_jwt_verify(j, token, len, now, &c, r) < 0)
		return -1;
	c->id = id;
	sg_jwt_claims_put(cache->slot[s]);
	cache->slot[s] = c;
	c->refs++;
	*out = c;
	return 0;
}
