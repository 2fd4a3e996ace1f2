/* htpasswd users and their hashes (the contract is htpasswd.h). */
#include "user/auth/htpasswd.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/diag.h"

/* The longest password checked: more is refused unread (bcrypt reads 72
 * bytes at most anyway). */
#define PW_MAX 1024

struct entry {
	char *user, *hash;
};

struct sg_htpasswd {
	struct entry *v;
	size_t n;
};

void sg_htpasswd_free(struct sg_htpasswd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].user);
		free(h->v[i].hash);
	}
	free(h->v);
	free(h);
}

static bool prefixed(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool supported(const char *hash)
{
	return prefixed(hash, "$2a$") || prefixed(hash, "$2b$") || prefixed(hash, "$2y$") ||
	       prefixed(hash, "$5$") || prefixed(hash, "$6$") || prefixed(hash, "$apr1$") ||
	       prefixed(hash, "{SHA}");
}

/* One "user:hash" line into h (the line's bytes, no newline). */
static int add_line(struct sg_htpasswd *h, const char *p, size_t len, size_t lineno, char *err,
		    size_t errlen)
{
	const char *colon = memchr(p, ':', len);
	struct entry *e = &h->v[h->n];

	if (!colon || colon == p) {
		snprintf(err, errlen, "line %zu: expected user:hash", lineno);
		return -EINVAL;
	}
	e->user = strndup(p, (size_t)(colon - p));
	e->hash = strndup(colon + 1, len - (size_t)(colon + 1 - p));
	if (!e->user || !e->hash) {
		free(e->user);
		free(e->hash);
		return -ENOMEM;
	}
	h->n++;
	if (!supported(e->hash)) {
		snprintf(err, errlen,
			 "line %zu: user %.64s: unsupported hash (bcrypt $2y$, SHA-crypt $5$ or "
			 "$6$, "
			 "apr1 MD5 $apr1$, {SHA})",
			 lineno, e->user);
		return -EINVAL;
	}
	return 0;
}

int sg_htpasswd_parse(const char *text, size_t len, struct sg_htpasswd **out, char *err,
		      size_t errlen)
{
	struct sg_htpasswd *h = calloc(1, sizeof(*h));
	const char *p = text, *end = text + len;
	size_t lines = 1, lineno = 0;
	int rc = -ENOMEM;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (!h || !(h->v = calloc(lines, sizeof(*h->v))))
		goto fail;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		lineno++;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n && p[0] != '#' && (rc = add_line(h, p, n, lineno, err, errlen)) < 0)
			goto fail;
		p = nl ? nl + 1 : end;
	}
	*out = h;
	return 0;
fail:
	sg_htpasswd_free(h);
	return rc;
}

int sg_htpasswd_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->nbasics; i++) {
		const struct sg_basic_auth *b = cfg->basics[i];
		struct sg_htpasswd *h = NULL;
		char why[256];

		if (b->rt->p)
			continue;
		if (sg_htpasswd_parse(b->htpasswd, b->htpasswd_len, &h, why, sizeof(why)) < 0) {
			sg_diag_err(d, b->at, "basicAuth: htpasswd%s%s: %s",
				    b->htpasswd_file ? " " : "",
				    b->htpasswd_file ? b->htpasswd_file : "", why);
			ret = -1;
			continue;
		}
		b->rt->p = h;
		b->rt->release = (void (*)(void *))sg_htpasswd_free;
	}
	return ret;
}

/* ---- hashes ------------------------------------------------------------------ */

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *to64(char *out, unsigned long v, int n)
{
	while (n-- > 0) {
		*out++ = itoa64[v & 0x3f];
		v >>= 6;
	}
	return out;
}

static void md5_add(EVP_MD_CTX *c, const void *p, size_t len)
{
	EVP_DigestUpdate(c, p, len);
}

static void md5_end(EVP_MD_CTX *c, unsigned char out[16])
{
	unsigned int n = 16;

	EVP_DigestFinal_ex(c, out, &n);
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
}

/* The MD5-crypt algorithm (Poul-Henning Kamp's) with Apache's magic. */
ssize_t sg_apr1_crypt(const char *pw, size_t len, const char *setting, char *out, size_t cap)
{
	static const char magic[] = "$apr1$";
	const char *salt = setting + 6;
	size_t slen = 0;
	unsigned char f[16];
	EVP_MD_CTX *c;
	char *o;

	if (!prefixed(setting, magic) || cap < 40)
		return -1;
	while (slen < 8 && salt[slen] && salt[slen] != '$')
		slen++;
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	md5_add(c, pw, len);
	md5_add(c, salt, slen);
	md5_add(c, pw, len);
	md5_end(c, f);
	md5_add(c, pw, len);
	md5_add(c, magic, 6);
	md5_add(c, salt, slen);
	for (size_t n = len; n > 0; n -= n > 16 ? 16 : n)
		md5_add(c, f, n > 16 ? 16 : n);
	for (size_t i = len; i; i >>= 1)
		md5_add(c, (i & 1) ? "" : pw, 1);
	md5_end(c, f);
	for (int i = 0; i < 1000; i++) {
		if (i & 1)
			md5_add(c, pw, len);
		else
			md5_add(c, f, 16);
		if (i % 3)
			md5_add(c, salt, slen);
		if (i % 7)
			md5_add(c, pw, len);
		if (i & 1)
			md5_add(c, f, 16);
		else
			md5_add(c, pw, len);
		md5_end(c, f);
	}
	EVP_MD_CTX_free(c);
	o = out + snprintf(out, cap, "%s%.*s$", magic, (int)slen, salt);
	o = to64(o, (unsigned long)f[0] << 16 | (unsigned long)f[6] << 8 | f[12], 4);
	o = to64(o, (unsigned long)f[1] << 16 | (unsigned long)f[7] << 8 | f[13], 4);
	o = to64(o, (unsigned long)f[2] << 16 | (unsigned long)f[8] << 8 | f[14], 4);
	o = to64(o, (unsigned long)f[3] << 16 | (unsigned long)f[9] << 8 | f[15], 4);
	o = to64(o, (unsigned long)f[4] << 16 | (unsigned long)f[10] << 8 | f[5], 4);
	o = to64(o, f[11], 2);
	*o = '\0';
	return o - out;
}

/* {SHA}: base64 of the password's SHA-1 (htpasswd -s). */
static ssize_t sha1_b64(const char *pw, size_t len, char *out, size_t cap)
{
	unsigned char d[20];
	unsigned int n = 0;

	if (cap < 5 + 29 || EVP_Digest(pw, len, d, &n, EVP_sha1(), NULL) != 1)
		return -1;
	memcpy(out, "{SHA}", 5);
	return 5 + EVP_EncodeBlock((unsigned char *)out + 5, d, (int)n);
}

/* Whether pw[0..len) is the password of `hash`. */
static bool matches(const char *hash, const char *pw, size_t len)
{
	char buf[PW_MAX + 1], got[CRYPT_OUTPUT_SIZE];
	struct crypt_data *cd;
	ssize_t n = -1;
	bool ok;

	if (len > PW_MAX || memchr(pw, '\0', len))
		return false;
	if (prefixed(hash, "$apr1$")) {
		n = sg_apr1_crypt(pw, len, hash, got, sizeof(got));
	} else if (prefixed(hash, "{SHA}")) {
		n = sha1_b64(pw, len, got, sizeof(got));
	} else if ((cd = calloc(1, sizeof(*cd)))) {
		const char *r;

		memcpy(buf, pw, len);
		buf[len] = '\0';
		r = crypt_rn(buf, hash, cd, sizeof(*cd));
		if (r && r[0] != '*' && strlen(r) < sizeof(got)) {
			strcpy(got, r);
			n = (ssize_t)strlen(got);
		}
		OPENSSL_cleanse(cd, sizeof(*cd));
		free(cd);
		OPENSSL_cleanse(buf, sizeof(buf));
	}
	ok = n > 0 && (size_t)n == strlen(hash) && CRYPTO_memcmp(got, hash, (size_t)n) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

const char *sg_htpasswd_check(const struct sg_basic_auth *b, const char *user, size_t ulen,
			      const char *pw, size_t plen)
{
	const struct sg_htpasswd *h = b->rt ? b->rt->p : NULL;

	for (size_t i = h ? h->n : 0; i-- > 0;)
		if (strlen(h->v[i].user) == ulen && !memcmp(h->v[i].user, user, ulen))
			return matches(h->v[i].hash, pw, plen) ? h->v[i].user : NULL;
	return NULL;
}
