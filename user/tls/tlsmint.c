/* Leaf certificates signed per host name by a configured CA (see
 * user/tls/tlsmint.h): OpenSSL 3's X509 builder, one EC P-256 key for all
 * leaves, a ring of cached leaves. */
#include "user/tls/tlsmint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "config/cfg.h"

#define MINT_BEFORE_S (60 * 60)	    /* valid from an hour back: clocks differ */
#define MINT_AFTER_S (24 * 60 * 60) /* a day: the cache remints long before */

struct leaf {
	char name[SG_ENDPOINT_ADDR_MAX + 1]; /* "": an empty slot */
	unsigned char *der;
	size_t len;
	uint64_t made; /* loop ms */
};

struct sg_tls_mint {
	X509 *ca;
	EVP_PKEY *ca_key, *key;
	unsigned char *key_der;
	size_t key_len;
	struct leaf cache[SG_TLS_MINT_CACHE];
	size_t next; /* the slot the next new name takes: the oldest */
};

static void lib_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", e ? buf : "");
	ERR_clear_error();
}

static int mint(struct sg_tls_mint *m, const char *name, struct leaf *l);

void sg_tls_mint_free(struct sg_tls_mint *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < SG_TLS_MINT_CACHE; i++)
		OPENSSL_free(m->cache[i].der);
	OPENSSL_free(m->key_der);
	X509_free(m->ca);
	EVP_PKEY_free(m->ca_key);
	EVP_PKEY_free(m->key);
	free(m);
}

/* The CA and its key, checked: they match and the certificate may sign. */
static int load_ca(struct sg_tls_mint *m, const char *ca, size_t ca_len, const char *key,
		   size_t key_len, char *err, size_t errlen)
{
	BIO *b = BIO_new_mem_buf(ca, (int)ca_len);

	m->ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!m->ca) {
		lib_error(err, errlen, "the CA certificate: no PEM certificate");
		return -1;
	}
	b = BIO_new_mem_buf(key, (int)key_len);
	m->ca_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!m->ca_key) {
		lib_error(err, errlen,
			  "the CA key: no PEM private key (an encrypted one is not supported)");
		return -1;
	}
	if (X509_check_private_key(m->ca, m->ca_key) != 1) {
		lib_error(err, errlen, "the CA key does not match the CA certificate");
		return -1;
	}
	if (X509_check_ca(m->ca) < 1) {
		snprintf(err, errlen,
			 "the certificate is not a CA's (no CA:TRUE basic constraint)");
		return -1;
	}
	return 0;
}

struct sg_tls_mint *sg_tls_mint_new(const char *ca, size_t ca_len, const char *key, size_t key_len,
				    char *err, size_t errlen)
{
	struct sg_tls_mint *m = calloc(1, sizeof(*m));
	unsigned char *der = NULL;
	int n;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (load_ca(m, ca, ca_len, key, key_len, err, errlen) == -1)
		goto fail;
	if (!(m->key = EVP_EC_gen("P-256"))) {
		lib_error(err, errlen, "the leaves' key");
		goto fail;
	}
	if ((n = i2d_PrivateKey(m->key, &der)) <= 0) {
		lib_error(err, errlen, "the leaves' key");
		goto fail;
	}
	m->key_der = der;
	m->key_len = (size_t)n;
	/* One leaf now, so that a CA that cannot sign fails the config, not
	 * each handshake. */
	if (mint(m, "splicegate.invalid", &m->cache[0]) == -1) {
		snprintf(err, errlen, "the CA cannot sign a certificate with its key");
		goto fail;
	}
	return m;
fail:
	sg_tls_mint_free(m);
	return NULL;
}

void sg_tls_mint_key(const struct sg_tls_mint *m, const unsigned char **der, size_t *len)
{
	*der = m->key_der;
	*len = m->key_len;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = e && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

/* A random positive 64-bit serial (RFC 5280 §4.1.2.2: unique per CA). */
static bool set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	bool ok = bn && BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
		  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

	BN_free(bn);
	return ok;
}

/* The leaf for `name`, signed now, into l (DER). */
static int mint(struct sg_tls_mint *m, const char *name, struct leaf *l)
{
	char san[sizeof(l->name) + 8];
	X509 *x = X509_new();
	X509V3_CTX ctx;
	unsigned char *der = NULL;
	int id = EVP_PKEY_get_id(m->ca_key), n = -1;
	/* EdDSA signs the message itself: no digest (RFC 8410). */
	const EVP_MD *md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();

	snprintf(san, sizeof(san), "DNS:%s", name);
	if (!x || X509_set_version(x, X509_VERSION_3) != 1 || !set_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -MINT_BEFORE_S) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), MINT_AFTER_S) ||
	    X509_set_pubkey(x, m->key) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				       (const unsigned char *)name, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(m->ca)) != 1)
		goto out;
	X509V3_set_ctx(&ctx, m->ca, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, &ctx, NID_subject_alt_name, san) ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    /* the CA's key id, when it has one (a CA without signs all the
	     * same: OpenSSL refuses "keyid" then) */
	    (X509_get0_subject_key_id(m->ca) &&
	     !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) ||
	    X509_sign(x, m->ca_key, md) <= 0 || (n = i2d_X509(x, &der)) <= 0)
		goto out;
	OPENSSL_free(l->der);
	l->der = der;
	l->len = (size_t)n;
out:
	X509_free(x);
	ERR_clear_error();
	return n > 0 ? 0 : -1;
}

/* Only a host name goes into a certificate: letters, digits, '-', '.'
 * (the SNI was checked as one already; a comma would be another SAN). */
static bool plain_name(const char *name, size_t len)
{
	if (!len || len >= sizeof(((struct leaf *)0)->name))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

int sg_tls_mint_leaf(struct sg_tls_mint *m, const char *name, uint64_t now_ms,
		     const unsigned char **der, size_t *len)
{
	size_t nlen = strlen(name);
	struct leaf *l = NULL;

	if (!plain_name(name, nlen))
		return -1;
	for (size_t i = 0; i < SG_TLS_MINT_CACHE && !l; i++)
		if (!strcasecmp(m->cache[i].name, name))
			l = &m->cache[i];
	if (l && now_ms - l->made <= SG_TLS_MINT_TTL_MS)
		goto found;
	if (!l) {
		l = &m->cache[m->next];
		m->next = (m->next + 1) % SG_TLS_MINT_CACHE;
		l->name[0] = '\0'; /* empty until the leaf is made */
	}
	if (mint(m, name, l) == -1)
		return -1;
	memcpy(l->name, name, nlen + 1);
	l->made = now_ms;
found:
	*der = l->der;
	*len = l->len;
	return 0;
}
