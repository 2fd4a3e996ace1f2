/* user/auth/jwtsign.c: keys of each algorithm's type made here, a token
 * signed for a fixed time, its header and claims exactly as agentgateway
 * writes them, its signature checked with the public key (ECDSA's r || s
 * turned back into DER), and a key of the wrong type refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/jwtsign.h"
#include "user/base/base64url.h"

#define NOW 1800000000u

/* A new key: EC on `curve`, or RSA (curve NULL), as PEM (malloc'd). */
static char *pem_key(const char *curve, EVP_PKEY **out)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)
			    : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	assert_non_null(k);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)len);
	BIO_free(bio);
	*out = k;
	return pem;
}

/* A one-signer config around j. */
static void prepare(struct sg_cfg *cfg, struct sg_jwt_sign *j, int want)
{
	static const struct sg_jwt_sign *list[1];
	struct sg_diag d;

	list[0] = j;
	cfg->signers = list;
	cfg->nsigners = 1;
	sg_diag_init(&d);
	assert_int_equal(sg_jwtsign_prepare(cfg, &d), want);
	sg_diag_free(&d);
}

static char *decoded(const char *s, size_t len)
{
	char *out = calloc(1, len + 1);

	assert_true(sg_base64url_decode(s, len, (uint8_t *)out, len) >= 0);
	return out;
}

/* tok's signature over its first two parts, checked with k. */
static void verify(const char *tok, EVP_PKEY *k, const EVP_MD *md, bool ecdsa, bool pss)
{
	const char *last = strrchr(tok, '.');
	size_t slen = strlen(last + 1);
	unsigned char *sig = malloc(slen), *der = NULL;
	ssize_t n = sg_base64url_decode(last + 1, slen, sig, slen);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t dlen = (size_t)n;

	assert_true(n > 0);
	if (ecdsa) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		int half = (int)n / 2;

		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, half, NULL),
						BN_bin2bn(sig + half, half, NULL)),
				 1);
		dlen = (size_t)i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	}
	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k), 1);
	if (pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestVerify(ctx, der ? der : sig, dlen, (const unsigned char *)tok,
					  (size_t)(last - tok)),
			 1);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	free(sig);
}

struct alg_case {
	enum sg_jws_alg alg;
	const char *name, *curve;
	bool pss;
};

static void test_jwtsign_algorithms(void **unused)
{
	static const struct alg_case cases[] = {
		{ SG_JWS_ES256, "ES256", "P-256", false },
		{ SG_JWS_ES384, "ES384", "P-384", false },
		{ SG_JWS_RS256, "RS256", NULL, false },
		{ SG_JWS_RS512, "RS512", NULL, false },
		{ SG_JWS_PS256, "PS256", NULL, true },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct alg_case *t = &cases[i];
		struct sg_cfg_rt rt = { 0 };
		struct sg_cfg cfg = { 0 };
		EVP_PKEY *k;
		char *pem = pem_key(t->curve, &k), *tok, *part, want[256];
		struct sg_jwt_sign j = { .key_pem = pem,
					 .key_len = strlen(pem),
					 .alg = t->alg,
					 .kid = "k\"1",
					 .claims = "\"aud\":\"x\",\"n\":1",
					 .ttl = SG_DUR_MS(1500),
					 .rt = &rt };
		const EVP_MD *md = t->alg == SG_JWS_ES384   ? EVP_sha384()
				   : t->alg == SG_JWS_RS512 ? EVP_sha512()
							    : EVP_sha256();

		prepare(&cfg, &j, 0);
		tok = sg_jwtsign_token(&j, NOW);
		assert_non_null(tok);
		part = decoded(tok, (size_t)(strchr(tok, '.') - tok));
		snprintf(want, sizeof(want), "{\"typ\":\"JWT\",\"alg\":\"%s\",\"kid\":\"k\\\"1\"}",
			 t->name);
		assert_string_equal(part, want);
		free(part);
		part = decoded(strchr(tok, '.') + 1,
			       (size_t)(strrchr(tok, '.') - strchr(tok, '.') - 1));
		/* iat 10 s back; exp after a ttl of 1.5 s rounded up to 2 */
		assert_string_equal(
			part, "{\"aud\":\"x\",\"n\":1,\"iat\":1799999990,\"exp\":1800000002}");
		free(part);
		verify(tok, k, md, t->curve != NULL, t->pss);
		free(tok);
		rt.release(rt.p);
		EVP_PKEY_free(k);
		free(pem);
	}
}

/* No claims, no kid, the default ttl (300 s). */
static void test_jwtsign_defaults(void **unused)
{
	struct sg_cfg_rt rt = { 0 };
	struct sg_cfg cfg = { 0 };
	EVP_PKEY *k;
	char *pem = pem_key("P-256", &k), *tok, *part;
	struct sg_jwt_sign j = { .key_pem = pem,
				 .key_len = strlen(pem),
				 .alg = SG_JWS_ES256,
				 .claims = "",
				 .ttl = SG_DUR_UNSET,
				 .rt = &rt };

	(void)unused;
	prepare(&cfg, &j, 0);
	tok = sg_jwtsign_token(&j, NOW);
	part = decoded(strchr(tok, '.') + 1, (size_t)(strrchr(tok, '.') - strchr(tok, '.') - 1));
	assert_string_equal(part, "{\"iat\":1799999990,\"exp\":1800000300}");
	free(part);
	part = decoded(tok, (size_t)(strchr(tok, '.') - tok));
	assert_string_equal(part, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}");
	free(part);
	free(tok);
	rt.release(rt.p);
	EVP_PKEY_free(k);
	free(pem);
}

/* A key of another type than alg's, or no key at all. */
static void test_jwtsign_wrong_keys(void **unused)
{
	struct sg_cfg_rt rt = { 0 };
	struct sg_cfg cfg = { 0 };
	EVP_PKEY *k;
	char *pem = pem_key("P-384", &k);
	struct sg_jwt_sign j = {
		.key_pem = pem, .key_len = strlen(pem), .alg = SG_JWS_ES256, .claims = "", .rt = &rt
	};

	(void)unused;
	prepare(&cfg, &j, -1); /* P-384 for ES256 */
	j.alg = SG_JWS_RS256;
	prepare(&cfg, &j, -1);
	j.key_pem = "not a key";
	j.key_len = 9;
	prepare(&cfg, &j, -1);
	assert_null(rt.p);
	assert_null(sg_jwtsign_token(&j, NOW)); /* never prepared */
	EVP_PKEY_free(k);
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwtsign_algorithms),
		cmocka_unit_test(test_jwtsign_defaults),
		cmocka_unit_test(test_jwtsign_wrong_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
