/* For the tests that need a real signed JWT and a config that must be
 * refused (test_oidc, test_backendauth): an Ed25519 key made here, its JWK,
 * tokens it signs, and a config text's errors. */
#ifndef SG_TEST_EDTOKEN_H
#define SG_TEST_EDTOKEN_H

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/diag.h"
#include "user/base/base64url.h"

/* A new Ed25519 key; its public half as a JWKS of one key, kid k1, into
 * jwks[0..cap). */
static inline EVP_PKEY *ed_key(char *jwks, size_t cap)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	char x[64];

	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	assert_int_equal(EVP_PKEY_keygen(pc, &k), 1);
	EVP_PKEY_CTX_free(pc);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &publen), 1);
	sg_base64url_encode(pub, publen, x);
	snprintf(jwks, cap, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k1\",\"x\":\"%s\"}]}",
		 x);
	return k;
}

/* An EdDSA token of `claims` signed by k, kid k1 (malloc'd). */
static inline char *ed_mint(EVP_PKEY *k, const char *claims)
{
	const char *head = "{\"alg\":\"EdDSA\",\"kid\":\"k1\"}";
	char *out = malloc(4096);
	unsigned char sig[64];
	size_t n, siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	n = sg_base64url_encode((const uint8_t *)head, strlen(head), out);
	out[n++] = '.';
	n += sg_base64url_encode((const uint8_t *)claims, strlen(claims), out + n);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)out, n), 1);
	EVP_MD_CTX_free(md);
	out[n++] = '.';
	sg_base64url_encode(sig, siglen, out + n);
	return out;
}

/* The config `text` does not load, and its errors say `want`. */
static inline void refused_text(const char *text, const char *want)
{
	struct sg_diag d;
	struct sg_cfg *c;
	char *got;

	sg_diag_init(&d);
	c = sg_cfg_load_text("a.yaml", text, &d);
	got = sg_diag_join(&d);
	if (c || !strstr(got, want))
		fail_msg("got '%s', want '%s'", got, want);
	free(got);
	sg_cfg_free(c);
	sg_diag_free(&d);
}

#endif
