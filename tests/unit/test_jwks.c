/* user/auth/jwks: JWKS texts into keys, as agentgateway's jwtAuth reads
 * them. Four keys made by OpenSSL at test time (tests/unit/jwkmake.h) load
 * with their ids, in order, allow the algorithms of their family or the
 * one their alg names, and verify their own signatures only; what is
 * refused says why, as agentgateway says it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/auth/jwks.h"

#include "tests/unit/jwkmake.h"

static int setup(void **state)
{
	(void)state;
	return keys_make();
}

static int teardown(void **state)
{
	(void)state;
	keys_free();
	return 0;
}

/* Which algorithms key kid of k verifies, as a mask of enum sg_jwk_alg. */
static unsigned allowed(const struct sg_jwks *k, const char *kid)
{
	const struct sg_jwk *key = sg_jwks_find(k, kid);
	unsigned m = 0;

	assert_non_null(key);
	for (int a = 0; a <= SG_JWK_UNKNOWN; a++)
		if (sg_jwk_allows(key, (enum sg_jwk_alg)a))
			m |= 1u << a;
	return m;
}

#define BIT(a) (1u << SG_JWK_##a)

/* msg signed by key (md NULL: Ed25519) into sig; its length. */
static size_t sign(EVP_PKEY *key, const EVP_MD *md, const char *msg, unsigned char *sig, size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = cap;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)msg, strlen(msg)),
			 1);
	EVP_MD_CTX_free(ctx);
	return len;
}

static void test_jwks_loads_each_family(void **state)
{
	static char text[8192] = "{\"keys\":[";
	const char *msg = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";
	unsigned char sig[512];
	char err[256] = "";
	struct sg_jwks *k = NULL;
	size_t len;

	(void)state;
	jwk(rsa, "rsa", NULL, text, sizeof(text));
	jwk(ec256, "ec256", NULL, text, sizeof(text));
	jwk(ec384, "ec384", "ES384", text, sizeof(text));
	jwk(ed, "ed", NULL, text, sizeof(text));
	jwk(rsa, "ps256only", "PS256", text, sizeof(text));
	strcat(text, "]}");
	assert_int_equal(sg_jwks_parse(text, strlen(text), &k, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(sg_jwks_count(k), 5);
	assert_string_equal(sg_jwks_kid(k, 0), "rsa");
	assert_string_equal(sg_jwks_kid(k, 4), "ps256only");
	assert_null(sg_jwks_find(k, "nope"));
	assert_null(sg_jwks_find(NULL, "rsa"));

	assert_int_equal(allowed(k, "rsa"), BIT(RS256) | BIT(RS384) | BIT(RS512) | BIT(PS256) |
						    BIT(PS384) | BIT(PS512));
	assert_int_equal(allowed(k, "ec256"), BIT(ES256) | BIT(ES384));
	assert_int_equal(allowed(k, "ec384"), BIT(ES384));
	assert_int_equal(allowed(k, "ed"), BIT(EDDSA));
	assert_int_equal(allowed(k, "ps256only"), BIT(PS256));

	/* The keys are the ones written: their signatures verify, and a bit
	 * changed in the signature or the message does not. */
	len = sign(rsa, EVP_sha256(), msg, sig, sizeof(sig));
	assert_true(
		sg_jwk_verify(sg_jwks_find(k, "rsa"), SG_JWK_RS256, msg, strlen(msg), sig, len));
	assert_false(sg_jwk_verify(sg_jwks_find(k, "rsa"), SG_JWK_RS256, msg, strlen(msg) - 1, sig,
				   len));
	sig[len / 2] ^= 1;
	assert_false(
		sg_jwk_verify(sg_jwks_find(k, "rsa"), SG_JWK_RS256, msg, strlen(msg), sig, len));
	len = sign(ed, NULL, msg, sig, sizeof(sig));
	assert_true(sg_jwk_verify(sg_jwks_find(k, "ed"), SG_JWK_EDDSA, msg, strlen(msg), sig, len));
	sig[0] ^= 1;
	assert_false(
		sg_jwk_verify(sg_jwks_find(k, "ed"), SG_JWK_EDDSA, msg, strlen(msg), sig, len));
	/* ES384 by a P-256 key: the curve is the key's, never the header's. */
	memset(sig, 1, 96);
	assert_false(
		sg_jwk_verify(sg_jwks_find(k, "ec256"), SG_JWK_ES384, msg, strlen(msg), sig, 96));
	sg_jwks_free(k);
}

/* Two keys with one kid: the last in the JWKS is the one that verifies,
 * as agentgateway's map of kids keeps the last. */
static void test_jwks_kid_twice_last_wins(void **state)
{
	static char text[8192] = "{\"keys\":[";
	const char *msg = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0";
	unsigned char sig[512];
	char err[256] = "";
	struct sg_jwks *k = NULL;
	size_t len;

	(void)state;
	jwk(rsa, "k", NULL, text, sizeof(text));
	jwk(ed, "k", NULL, text, sizeof(text));
	strcat(text, "]}");
	assert_int_equal(sg_jwks_parse(text, strlen(text), &k, err, sizeof(err)), 0);
	assert_int_equal(allowed(k, "k"), BIT(EDDSA));
	len = sign(ed, NULL, msg, sig, sizeof(sig));
	assert_true(sg_jwk_verify(sg_jwks_find(k, "k"), SG_JWK_EDDSA, msg, strlen(msg), sig, len));
	sg_jwks_free(k);
}

/* The names a header's or a key's alg may hold: the signatures verified,
 * HMAC known and never verified, anything else unknown. */
static void test_jwks_alg_names(void **state)
{
	(void)state;
	assert_int_equal(sg_jwk_alg_of("RS256"), SG_JWK_RS256);
	assert_int_equal(sg_jwk_alg_of("PS512"), SG_JWK_PS512);
	assert_int_equal(sg_jwk_alg_of("EdDSA"), SG_JWK_EDDSA);
	assert_int_equal(sg_jwk_alg_of("HS384"), SG_JWK_HMAC);
	assert_int_equal(sg_jwk_alg_of("none"), SG_JWK_UNKNOWN);
	assert_int_equal(sg_jwk_alg_of("rs256"), SG_JWK_UNKNOWN);
}

static void test_jwks_refused(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[]", "not a JWKS (a JSON object with a \"keys\" array)" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		  "key 0: the key is missing the `kid` attribute" },
		{ "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}",
		  "key \"h\": unsupported kty (supported: RSA, EC, OKP[Ed25519])" },
		{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"secp256k1\",\"x\":\"AA\","
		  "\"y\":\"AA\"}]}",
		  "key \"e\": crv must be P-256, P-384 or P-521" },
		{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-521\",\"x\":\"AA\"}]}",
		  "key \"e\": x and y must be base64url" },
		{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":"
		  "\"AA\"}]}",
		  "key \"e\": x and y must be base64url coordinates of the curve" },
		{ "{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"o\",\"crv\":\"X25519\",\"x\":\"AA\"}]}",
		  "key \"o\": crv must be Ed25519" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":"
		  "\"HS256\"}]}",
		  "key \"r\": its alg is not a public-key signature" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":"
		  "\"ES256\"}]}",
		  "key \"r\": its alg does not fit its kty" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"@@\",\"e\":\"AQAB\"}]}",
		  "key \"r\": n and e must be base64url" },
	};
	char err[256];
	struct sg_jwks *k = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
			sg_jwks_parse(cases[i].text, strlen(cases[i].text), &k, err, sizeof(err)),
			-EINVAL);
		assert_string_equal(err, cases[i].want);
	}
	assert_int_equal(sg_jwks_parse("{\"keys\":[]}", 11, &k, err, sizeof(err)), 0);
	assert_int_equal(sg_jwks_count(k), 0);
	sg_jwks_free(k);
}

/* An issuer's set may hold a P-521 key beside the ones it signs with
 * (Keycloak's ES512 provider): agentgateway loads the set, that key
 * verifying nothing (jsonwebtoken has no ES512). Here too: the set loads,
 * its other keys verify, the P-521 key takes no ES256 or ES384 signature
 * (not even one by itself). */
static void test_jwks_p521_key_loads_and_verifies_nothing(void **state)
{
	const char *msg = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImUifQ.eyJpc3MiOiJ4In0";
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	static char text[8192] = "{\"keys\":[";
	unsigned char pt[1 + 2 * 66], sig[512];
	char x[100], y[100], err[256] = "";
	struct sg_jwks *k = NULL;
	size_t n = 0, len, used;

	(void)state;
	assert_non_null(p521);
	assert_int_equal(
		EVP_PKEY_get_octet_string_param(p521, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n),
		1);
	assert_int_equal(n, sizeof(pt));
	b64u(pt + 1, 66, x);
	b64u(pt + 1 + 66, 66, y);
	used = strlen(text);
	snprintf(text + used, sizeof(text) - used,
		 "{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-521\",\"alg\":\"ES512\",\"use\":"
		 "\"sig\",\"x\":\"%s\",\"y\":\"%s\"}",
		 x, y);
	jwk(ec256, "ec256", NULL, text, sizeof(text));
	strcat(text, "]}");
	assert_int_equal(sg_jwks_parse(text, strlen(text), &k, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(sg_jwks_count(k), 2);
	assert_int_equal(allowed(k, "e"), BIT(ES256) | BIT(ES384));
	len = sign(ec256, EVP_sha256(), msg, sig, sizeof(sig));
	len = ecdsa_raw(sig, len, 32, sig);
	assert_true(
		sg_jwk_verify(sg_jwks_find(k, "ec256"), SG_JWK_ES256, msg, strlen(msg), sig, len));
	assert_false(sg_jwk_verify(sg_jwks_find(k, "e"), SG_JWK_ES256, msg, strlen(msg), sig, len));
	len = sign(p521, EVP_sha256(), msg, sig, sizeof(sig));
	len = ecdsa_raw(sig, len, 66, sig);
	assert_false(sg_jwk_verify(sg_jwks_find(k, "e"), SG_JWK_ES256, msg, strlen(msg), sig, len));
	assert_false(sg_jwk_verify(sg_jwks_find(k, "e"), SG_JWK_ES384, msg, strlen(msg), sig, len));
	sg_jwks_free(k);
	EVP_PKEY_free(p521);
}

/* One RSA key as a JWKS, n and e given in bytes. */
static struct sg_jwks *rsa_set(const unsigned char *n, size_t nlen, const unsigned char *e,
			       size_t elen)
{
	static char text[4096], a[1400], b[64];
	char err[256] = "";
	struct sg_jwks *k = NULL;

	b64u(n, nlen, a);
	b64u(e, elen, b);
	snprintf(text, sizeof(text),
		 "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"%s\",\"e\":\"%s\"}]}", a, b);
	assert_int_equal(sg_jwks_parse(text, strlen(text), &k, err, sizeof(err)), 0);
	return k;
}

/* RSA keys agentgateway's verifier (aws-lc-rs: 2048 to 8192 bits, an odd
 * exponent of at least 3) takes no signature from load, but verify
 * nothing: with e = 1 the PKCS#1 v1.5 padding of the digest is itself a
 * "signature" anyone writes without a private key; a 1024-bit key's own
 * signatures are refused too. */
static void test_jwks_weak_rsa_verifies_nothing(void **state)
{
	static const unsigned char sha256_info[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						     0x01, 0x05, 0x00, 0x04, 0x20 };
	const char *msg = "eyJhbGciOiJSUzI1NiIsImtpZCI6InIifQ.eyJpc3MiOiJ4In0";
	unsigned char n[1024], e65537[] = { 1, 0, 1 }, one[] = { 1 };
	unsigned char em[256], sig[512];
	unsigned int mdlen = 0;
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	BIGNUM *bn = NULL;
	struct sg_jwks *k;
	size_t nlen, len;

	(void)state;
	assert_non_null(small);
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	nlen = (size_t)BN_bn2bin(bn, n);
	BN_free(bn);
	assert_int_equal(nlen, sizeof(em));

	/* The 2048-bit key with e = 65537 verifies its own signature... */
	k = rsa_set(n, nlen, e65537, sizeof(e65537));
	len = sign(rsa, EVP_sha256(), msg, sig, sizeof(sig));
	assert_true(sg_jwk_verify(sg_jwks_find(k, "r"), SG_JWK_RS256, msg, strlen(msg), sig, len));
	sg_jwks_free(k);

	/* ...its modulus with e = 1 takes the forged EM = 00 01 FF.. 00
	 * DigestInfo H(msg) from anyone: no more. */
	memset(em, 0xff, sizeof(em));
	em[0] = 0;
	em[1] = 1;
	em[sizeof(em) - 32 - sizeof(sha256_info) - 1] = 0;
	memcpy(em + sizeof(em) - 32 - sizeof(sha256_info), sha256_info, sizeof(sha256_info));
	assert_int_equal(
		EVP_Digest(msg, strlen(msg), em + sizeof(em) - 32, &mdlen, EVP_sha256(), NULL), 1);
	k = rsa_set(n, nlen, one, sizeof(one));
	assert_false(sg_jwk_verify(sg_jwks_find(k, "r"), SG_JWK_RS256, msg, strlen(msg), em,
				   sizeof(em)));
	sg_jwks_free(k);

	/* A 1024-bit key: its own signature is refused. */
	bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(small, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	nlen = (size_t)BN_bn2bin(bn, n);
	BN_free(bn);
	k = rsa_set(n, nlen, e65537, sizeof(e65537));
	len = sign(small, EVP_sha256(), msg, sig, sizeof(sig));
	assert_int_equal(len, 128);
	assert_false(sg_jwk_verify(sg_jwks_find(k, "r"), SG_JWK_RS256, msg, strlen(msg), sig, len));
	sg_jwks_free(k);
	EVP_PKEY_free(small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwks_loads_each_family),
		cmocka_unit_test(test_jwks_kid_twice_last_wins),
		cmocka_unit_test(test_jwks_alg_names),
		cmocka_unit_test(test_jwks_refused),
		cmocka_unit_test(test_jwks_weak_rsa_verifies_nothing),
		cmocka_unit_test(test_jwks_p521_key_loads_and_verifies_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
