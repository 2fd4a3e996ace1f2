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
		{ "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":"
		  "\"AA\"}]}",
		  "key \"e\": crv must be P-256 or P-384" },
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwks_loads_each_family),
		cmocka_unit_test(test_jwks_alg_names),
		cmocka_unit_test(test_jwks_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
