/* A client certificate's fields as agentgateway's CEL reads them (user/tls/
 * tlspeer.h): names as its x509 parser prints them, the subject alt names,
 * the SPIFFE ID and the Istio identity among them, the PEM. */
#include "user/tls/tlspeer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* sg_tls_peer_read's answer and what it owns. */
struct tls_peer {
	struct sg_tls_peer pub;
	char *issuer, *subject, *subject_cn, *pem;
	char **sans; /* spiffe_id points into these */
	size_t nsans;
};

void sg_tls_peer_free(struct sg_tls_peer *pub)
{
	struct tls_peer *p = (struct tls_peer *)pub;

	if (!p)
		return;
	for (size_t i = 0; i < p->nsans; i++)
		free(p->sans[i]);
	free(p->sans);
	free(p->issuer);
	free(p->subject);
	free(p->subject_cn);
	free(p->pem);
	free(p);
}

/* What memory BIO b holds, as a malloc'd string. */
static char *bio_text(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

/* A name as agentgateway's x509 parser prints it: "C=US, O=Org, CN=name",
 * short names, in the certificate's order, UTF-8 kept. */
static char *name_text(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b && X509_NAME_print_ex(b, name, 0,
				    XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
					    (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)) >= 0)
		s = bio_text(b);
	BIO_free(b);
	return s;
}

/* The first CN of `name` in UTF-8; NULL: none. */
static char *cn_text(const X509_NAME *name)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *u = NULL;
	char *s;
	int n;

	if (i < 0 || (n = ASN1_STRING_to_UTF8(
			      &u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)))) < 0)
		return NULL;
	s = strndup((const char *)u, (size_t)n);
	OPENSSL_free(u);
	return s;
}

/* A subject alt name as text: a DNS name or URI as it is, an IP address
 * as inet_ntop writes it; NULL for the other kinds. */
static char *san_text(const GENERAL_NAME *g)
{
	const ASN1_STRING *v;
	char ip[INET6_ADDRSTRLEN];

	switch (g->type) {
	case GEN_DNS:
		v = g->d.dNSName;
		break;
	case GEN_URI:
		v = g->d.uniformResourceIdentifier;
		break;
	case GEN_IPADD:
		v = g->d.iPAddress;
		if (ASN1_STRING_length(v) != 4 && ASN1_STRING_length(v) != 16)
			return NULL;
		if (!inet_ntop(ASN1_STRING_length(v) == 4 ? AF_INET : AF_INET6,
			       ASN1_STRING_get0_data(v), ip, sizeof(ip)))
			return NULL;
		return strdup(ip);
	default:
		return NULL;
	}
	return strndup((const char *)ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
}

bool sg_tls_istio_identity(const char *uri, const char *part[3], size_t len[3])
{
	const char *at[5], *end;
	size_t n[5];
	int k = 0;

	if (strncmp(uri, "spiffe://", 9))
		return false;
	at[0] = uri + 9;
	for (;;) {
		end = strchr(at[k], '/');
		n[k] = end ? (size_t)(end - at[k]) : strlen(at[k]);
		if (!end || k == 4)
			break;
		at[++k] = end + 1;
	}
	if (k != 4 || end || n[1] != 2 || memcmp(at[1], "ns", 2) || n[3] != 2 ||
	    memcmp(at[3], "sa", 2))
		return false; /* not five parts, or not ns and sa between */
	for (k = 0; k < 3; k++) {
		part[k] = at[2 * k];
		len[k] = n[2 * k];
	}
	return true;
}

/* The subject alt names, and among them the SPIFFE ID and the Istio
 * identity (the first of each). */
static bool peer_sans(struct tls_peer *p, X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0;

	p->sans = calloc(n > 0 ? (size_t)n : 1, sizeof(*p->sans));
	for (int i = 0; p->sans && i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char *s = san_text(g);

		if (!s)
			continue;
		p->sans[p->nsans++] = s;
		/* as agentgateway: the SPIFFE ID among all of them, the
		 * identity among the URIs */
		if (!p->pub.spiffe_id && !strncmp(s, "spiffe://", 9))
			p->pub.spiffe_id = s;
		if (!p->pub.identity[0] && g->type == GEN_URI)
			sg_tls_istio_identity(s, p->pub.identity, p->pub.identity_len);
	}
	GENERAL_NAMES_free(gens);
	return p->sans != NULL;
}

/* The fields of x. */
static struct sg_tls_peer *read_cert(X509 *x)
{
	struct tls_peer *p = calloc(1, sizeof(*p));
	BIO *b;

	if (!p)
		return NULL;
	p->issuer = name_text(X509_get_issuer_name(x));
	p->subject = name_text(X509_get_subject_name(x));
	p->subject_cn = cn_text(X509_get_subject_name(x));
	if ((b = BIO_new(BIO_s_mem())) && PEM_write_bio_X509(b, x))
		p->pem = bio_text(b);
	BIO_free(b);
	if (!p->issuer || !p->subject || !p->pem || !peer_sans(p, x)) {
		sg_tls_peer_free(&p->pub);
		return NULL;
	}
	p->pub.issuer = p->issuer;
	p->pub.subject = p->subject;
	p->pub.subject_cn = p->subject_cn;
	p->pub.pem = p->pem;
	p->pub.sans = (const char *const *)p->sans;
	p->pub.nsans = p->nsans;
	return &p->pub;
}

struct sg_tls_peer *sg_tls_peer_read(const unsigned char *der, size_t len)
{
	X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &der, (long)len) : NULL;
	struct sg_tls_peer *p = x ? read_cert(x) : NULL;

	X509_free(x);
	ERR_clear_error();
	return p;
}
