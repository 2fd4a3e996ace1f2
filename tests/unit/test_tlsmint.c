/* user/tls/tlsmint.c: leaves signed per host name by a CA made here,
 * checked with OpenSSL's verifier as a client would; the cache; what it
 * refuses. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "user/tls/tlsmint.h"

struct pem {
	char *cert, *key;
	size_t cert_len, key_len;
};

/* A self-signed certificate and its key, as PEM; `ca` gives it CA:TRUE. */
static void make_cert(struct pem *out, bool ca)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	BIO *b;
	char *p;
	long n;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"unit-ca", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	out->cert = strndup(p, (size_t)n);
	out->cert_len = (size_t)n;
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	out->key = strndup(p, (size_t)n);
	out->key_len = (size_t)n;
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void pem_free(struct pem *p)
{
	free(p->cert);
	free(p->key);
}

/* Whether DER leaf verifies under CA (PEM) for host name `name`. */
static bool verifies(const unsigned char *der, size_t len, const struct pem *ca, const char *name)
{
	BIO *b = BIO_new_mem_buf(ca->cert, (int)ca->cert_len);
	X509 *root = PEM_read_bio_X509(b, NULL, NULL, NULL);
	X509 *leaf = d2i_X509(NULL, &der, (long)len);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	bool ok;

	X509_STORE_add_cert(st, root);
	X509_STORE_CTX_init(xs, st, leaf, NULL);
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(xs), name, 0);
	X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(xs), X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(xs) == 1;
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	X509_free(leaf);
	X509_free(root);
	BIO_free(b);
	return ok;
}

static void test_tlsmint_signs_a_leaf_per_name(void **state)
{
	struct pem ca;
	char err[256];
	struct sg_tls_mint *m;
	const unsigned char *der, *der2, *key;
	size_t len, len2, klen;
	unsigned char first[4096];

	(void)state;
	make_cert(&ca, true);
	m = sg_tls_mint_new(ca.cert, ca.cert_len, ca.key, ca.key_len, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(sg_tls_mint_leaf(m, "pypi.org", 1000, &der, &len), 0);
	assert_true(verifies(der, len, &ca, "pypi.org"));
	assert_false(verifies(der, len, &ca, "example.com"));
	assert_true(len <= sizeof(first));
	memcpy(first, der, len);
	/* The key certified is the mint's one key. */
	sg_tls_mint_key(m, &key, &klen);
	{
		const unsigned char *p = der, *k = key;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		EVP_PKEY *pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &k, (long)klen);

		assert_non_null(pk);
		assert_int_equal(X509_check_private_key(x, pk), 1);
		X509_free(x);
		EVP_PKEY_free(pk);
	}
	/* Another name, its own leaf; the first again from the cache. */
	assert_int_equal(sg_tls_mint_leaf(m, "github.com", 2000, &der2, &len2), 0);
	assert_true(verifies(der2, len2, &ca, "github.com"));
	assert_int_equal(sg_tls_mint_leaf(m, "PyPI.org", 1000 + SG_TLS_MINT_TTL_MS, &der, &len), 0);
	assert_memory_equal(der, first, len);
	/* Past its time, signed again (a new serial). */
	assert_int_equal(sg_tls_mint_leaf(m, "pypi.org", 1001 + SG_TLS_MINT_TTL_MS, &der, &len), 0);
	assert_true(verifies(der, len, &ca, "pypi.org"));
	assert_false(len == sizeof(first) && !memcmp(der, first, len));
	sg_tls_mint_free(m);
	pem_free(&ca);
}

static void test_tlsmint_cache_is_bounded(void **state)
{
	struct pem ca;
	char err[256], name[64];
	struct sg_tls_mint *m;
	const unsigned char *der;
	size_t len;

	(void)state;
	make_cert(&ca, true);
	m = sg_tls_mint_new(ca.cert, ca.cert_len, ca.key, ca.key_len, err, sizeof(err));
	assert_non_null(m);
	for (int i = 0; i < SG_TLS_MINT_CACHE + 10; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		assert_int_equal(sg_tls_mint_leaf(m, name, 5, &der, &len), 0);
		assert_true(verifies(der, len, &ca, name));
	}
	/* The oldest went; asked again, it is signed again and still good. */
	assert_int_equal(sg_tls_mint_leaf(m, "h0.example", 6, &der, &len), 0);
	assert_true(verifies(der, len, &ca, "h0.example"));
	sg_tls_mint_free(m);
	pem_free(&ca);
}

static void test_tlsmint_refuses(void **state)
{
	struct pem ca, other, leaf;
	char err[256];
	struct sg_tls_mint *m;
	const unsigned char *der;
	size_t len;

	(void)state;
	make_cert(&ca, true);
	make_cert(&other, true);
	make_cert(&leaf, false);
	assert_null(
		sg_tls_mint_new(ca.cert, ca.cert_len, other.key, other.key_len, err, sizeof(err)));
	assert_non_null(strstr(err, "the CA key does not match the CA certificate"));
	assert_null(sg_tls_mint_new(leaf.cert, leaf.cert_len, leaf.key, leaf.key_len, err,
				    sizeof(err)));
	assert_string_equal(err, "the certificate is not a CA's (no CA:TRUE basic constraint)");
	assert_null(sg_tls_mint_new("x", 1, ca.key, ca.key_len, err, sizeof(err)));
	assert_non_null(strstr(err, "no PEM certificate"));
	m = sg_tls_mint_new(ca.cert, ca.cert_len, ca.key, ca.key_len, err, sizeof(err));
	assert_non_null(m);
	/* Only host names go into a certificate. */
	assert_int_equal(sg_tls_mint_leaf(m, "", 1, &der, &len), -1);
	assert_int_equal(sg_tls_mint_leaf(m, "a.test,DNS:b.test", 1, &der, &len), -1);
	assert_int_equal(sg_tls_mint_leaf(m, "a b", 1, &der, &len), -1);
	sg_tls_mint_free(m);
	pem_free(&ca);
	pem_free(&other);
	pem_free(&leaf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsmint_signs_a_leaf_per_name),
		cmocka_unit_test(test_tlsmint_cache_is_bounded),
		cmocka_unit_test(test_tlsmint_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
