/* For the unit tests of JWKS and JWT (test_jwks, test_jwt): four keys
 * made by OpenSSL at test time (RSA 2048, P-256, P-384, Ed25519) and their
 * public parts written as JWKs. Include after cmocka.h. */
#ifndef SG_TEST_JWKMAKE_H
#define SG_TEST_JWKMAKE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

static EVP_PKEY *rsa, *ec256, *ec384, *ed;

static void b64u(const unsigned char *p, size_t n, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = al[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = al[v & 63];
	}
	out[o] = '\0';
}

/* The public part of k as a JWK (kid, optional alg) appended to out. */
static void jwk(EVP_PKEY *k, const char *kid, const char *alg, char *out, size_t cap)
{
	unsigned char buf[600];
	char a[900], b[900];
	size_t n = 0;
	size_t used = strlen(out);
	char extra[64] = "";

	if (alg)
		snprintf(extra, sizeof(extra), ",\"alg\":\"%s\"", alg);
	if (EVP_PKEY_is_a(k, "RSA")) {
		BIGNUM *bn = NULL;

		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
		n = (size_t)BN_bn2bin(bn, buf);
		BN_free(bn);
		b64u(buf, n, a);
		snprintf(out + used, cap - used,
			 "%s{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"AQAB\"%s}",
			 used > 9 ? "," : "", kid, a, extra);
	} else if (EVP_PKEY_is_a(k, "ED25519")) {
		n = 32;
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, buf, &n), 1);
		b64u(buf, n, a);
		snprintf(out + used, cap - used,
			 "%s{\"kty\":\"OKP\",\"kid\":\"%s\",\"crv\":\"Ed25519\",\"x\":\"%s\"%s}",
			 used > 9 ? "," : "", kid, a, extra);
	} else {
		size_t w = EVP_PKEY_get_bits(k) / 8;

		assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf,
								 sizeof(buf), &n),
				 1);
		b64u(buf + 1, w, a);
		b64u(buf + 1 + w, w, b);
		snprintf(out + used, cap - used,
			 "%s{\"kty\":\"EC\",\"kid\":\"%s\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%"
			 "s\"%s}",
			 used > 9 ? "," : "", kid, w == 32 ? "P-256" : "P-384", a, b, extra);
	}
}

/* An ECDSA signature: DER (r, s) to JWS's r || s, each w bytes (out may
 * be der). */
static size_t ecdsa_raw(const unsigned char *der, size_t len, size_t w, unsigned char *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *sv;

	assert_non_null(s);
	ECDSA_SIG_get0(s, &r, &sv);
	BN_bn2binpad(r, out, (int)w);
	BN_bn2binpad(sv, out + w, (int)w);
	ECDSA_SIG_free(s);
	return 2 * w;
}

/* Makes the four keys: 0, or -1 (a test setup's failure). */
static int keys_make(void)
{
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return rsa && ec256 && ec384 && ed ? 0 : -1;
}

static void keys_free(void)
{
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ed);
}

#endif
