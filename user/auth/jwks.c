/* JWKS parsed into OpenSSL 3 public keys (the contract is jwks.h). */
#include "user/auth/jwks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "user/base/base64url.h"
#include "user/base/json.h"

/* ---- algorithms ----------------------------------------------------------- */

static const char *const alg_names[SG_JWK_N] = { "RS256", "RS384", "RS512", "PS256", "PS384",
						 "PS512", "ES256", "ES384", "EdDSA" };

enum sg_jwk_alg sg_jwk_alg_of(const char *s)
{
	for (int i = 0; i < SG_JWK_N; i++)
		if (!strcmp(s, alg_names[i]))
			return (enum sg_jwk_alg)i;
	if (!strcmp(s, "HS256") || !strcmp(s, "HS384") || !strcmp(s, "HS512"))
		return SG_JWK_HMAC;
	return SG_JWK_UNKNOWN;
}

#define ALGS_RSA                                                                                   \
	((1u << SG_JWK_RS256) | (1u << SG_JWK_RS384) | (1u << SG_JWK_RS512) |                      \
	 (1u << SG_JWK_PS256) | (1u << SG_JWK_PS384) | (1u << SG_JWK_PS512))
#define ALGS_EC ((1u << SG_JWK_ES256) | (1u << SG_JWK_ES384))
#define ALGS_OKP (1u << SG_JWK_EDDSA)

/* ---- JWKS ----------------------------------------------------------------- */

struct sg_jwk {
	char *kid;
	EVP_PKEY *pkey;
	unsigned algs; /* 1 << enum sg_jwk_alg it verifies */
	int ec_bits;   /* EC: 256 or 384 (521: weak) */
	/* A key no signature is taken from: an RSA key rsa_usable refuses,
	 * a P-521 key (no pkey) */
	bool weak;
};

struct sg_jwks {
	struct sg_jwk *keys;
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

const struct sg_jwk *sg_jwks_find(const struct sg_jwks *k, const char *kid)
{
	for (size_t i = k ? k->n : 0; i-- > 0;)
		if (!strcmp(k->keys[i].kid, kid))
			return &k->keys[i];
	return NULL;
}

/* A base64url member of a JWK, decoded; NULL when missing or bad. */
static unsigned char *member(const struct sg_json *o, const char *name, size_t *len)
{
	const char *s = sg_json_str(sg_json_get(o, name));

	return s ? sg_base64url_decode_new(s, strlen(s), len) : NULL;
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

/* The RSA keys agentgateway's verifier (jsonwebtoken on aws-lc-rs, its
 * RSA_PKCS1_2048_8192 and RSA_PSS_2048_8192 parameters) takes a
 * signature from: a modulus of 2048 to 8192 bits, odd, and an odd exponent
 * of at least 3 below it. OpenSSL checks none of this: with e = 1 a
 * "signature" is the padded digest itself, which anyone can write, and a
 * 512-bit modulus is factored in hours. Such a key still loads (as
 * agentgateway's does, and a remote set's other keys stay usable), but
 * verifies nothing. */
static bool rsa_usable(const BIGNUM *n, const BIGNUM *e)
{
	int bits = BN_num_bits(n);

	return bits >= 2048 && bits <= 8192 && BN_is_odd(n) && BN_is_odd(e) &&
	       BN_num_bits(e) >= 2 && BN_cmp(e, n) < 0;
}

static EVP_PKEY *rsa_key(const struct sg_json *o, bool *weak, const char **why)
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
		*weak = pkey && !rsa_usable(bn, be);
	}
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

/* An EC key. One on P-521 loads with no pkey, weak: agentgateway's
 * jsonwebtoken reads the curve (and not its coordinates) but has no ES512,
 * so such a key verifies nothing there either, and an issuer's set that
 * holds one beside the keys it signs with must not be refused whole. */
static EVP_PKEY *ec_key(const struct sg_json *o, int *bits, bool *weak, const char **why)
{
	const char *crv = sg_json_str(sg_json_get(o, "crv"));
	size_t xlen = 0, ylen = 0, w;
	unsigned char *x = member(o, "x", &xlen), *y = member(o, "y", &ylen);
	unsigned char point[1 + 2 * 48];
	OSSL_PARAM_BLD *b = NULL;
	EVP_PKEY *pkey = NULL;
	const char *group;

	*why = "crv must be P-256, P-384 or P-521";
	if (crv && !strcmp(crv, "P-256")) {
		group = "prime256v1";
		w = 32;
	} else if (crv && !strcmp(crv, "P-384")) {
		group = "secp384r1";
		w = 48;
	} else if (crv && !strcmp(crv, "P-521")) {
		*bits = 521;
		*why = "x and y must be base64url";
		*weak = x && y;
		goto out;
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
static int parse_key(const struct sg_json *o, struct sg_jwk *k, const char **why)
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
		k->pkey = rsa_key(o, &k->weak, why);
	} else if (!strcmp(kty, "EC")) {
		family = ALGS_EC;
		k->pkey = ec_key(o, &k->ec_bits, &k->weak, why);
	} else if (!strcmp(kty, "OKP")) {
		family = ALGS_OKP;
		k->pkey = okp_key(o, why);
	} else {
		*why = "unsupported kty (supported: RSA, EC, OKP[Ed25519])";
		return -1;
	}
	if (!k->pkey && !k->weak)
		return -1;
	k->algs = family;
	if (alg) {
		enum sg_jwk_alg a = sg_jwk_alg_of(alg);

		if (a < SG_JWK_N && !(family & (1u << a))) {
			*why = "its alg does not fit its kty";
			return -1;
		}
		if (a == SG_JWK_HMAC || !strcmp(alg, "none")) {
			*why = "its alg is not a public-key signature";
			return -1;
		}
		if (a < SG_JWK_N)
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
		struct sg_jwk *k = &ks->keys[ks->n];
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

/* ---- signatures ----------------------------------------------------------- */

bool sg_jwk_allows(const struct sg_jwk *k, enum sg_jwk_alg a)
{
	return a < SG_JWK_N && (k->algs & (1u << a));
}

static const EVP_MD *alg_md(enum sg_jwk_alg a)
{
	switch (a) {
	case SG_JWK_RS256:
	case SG_JWK_PS256:
	case SG_JWK_ES256:
		return EVP_sha256();
	case SG_JWK_RS384:
	case SG_JWK_PS384:
	case SG_JWK_ES384:
		return EVP_sha384();
	case SG_JWK_RS512:
	case SG_JWK_PS512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

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

bool sg_jwk_verify(const struct sg_jwk *k, enum sg_jwk_alg a, const char *msg, size_t msglen,
		   const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	bool ok = false;

	if (!ctx)
		return false;
	if (k->weak)
		goto out;
	if (a == SG_JWK_ES256 || a == SG_JWK_ES384) {
		size_t half = a == SG_JWK_ES256 ? 32 : 48;

		if (k->ec_bits != (int)half * 8 || !(der = ecdsa_der(sig, siglen, half, &der_len)))
			goto out;
		sig = der;
		siglen = (size_t)der_len;
	}
	if (EVP_DigestVerifyInit(ctx, &pctx, alg_md(a), NULL, k->pkey) != 1)
		goto out;
	if (a == SG_JWK_PS256 || a == SG_JWK_PS384 || a == SG_JWK_PS512) {
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
