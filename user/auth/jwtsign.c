/* backendAuth jwtSign: one EVP_PKEY per jwtSign, a JWS per try (the
 * contract is jwtsign.h). */
#include "user/auth/jwtsign.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config/backendauth.h"
#include "user/base/base64url.h"

#define ISSUED_AT_BACKDATE 10 /* s: validators whose clocks trail ours */
#define DEFAULT_TTL 300	      /* s */

static void key_free(void *p)
{
	EVP_PKEY_free(p);
}

static bool is_rsa(enum sg_jws_alg alg)
{
	return alg != SG_JWS_ES256 && alg != SG_JWS_ES384;
}

/* Whether key k can sign with alg; why not into why. */
static bool fits(EVP_PKEY *k, enum sg_jws_alg alg, const char **why)
{
	char group[64] = "";

	if (is_rsa(alg)) {
		*why = "an RSA key";
		return EVP_PKEY_is_a(k, "RSA") ||
		       (alg == SG_JWS_PS256 && EVP_PKEY_is_a(k, "RSA-PSS"));
	}
	*why = alg == SG_JWS_ES256 ? "an EC key on P-256" : "an EC key on P-384";
	if (!EVP_PKEY_is_a(k, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    NULL))
		return false;
	return !strcmp(group, alg == SG_JWS_ES256 ? "prime256v1" : "secp384r1");
}

int sg_jwtsign_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->nsigners; i++) {
		const struct sg_jwt_sign *j = cfg->signers[i];
		BIO *bio;
		EVP_PKEY *k;
		const char *want;

		if (j->rt->p)
			continue;
		bio = BIO_new_mem_buf(j->key_pem, (int)j->key_len);
		k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (!k) {
			sg_diag_err(
				d, j->at,
				"jwtSign.signingKey: failed to parse it (a PEM private key, RSA "
				"or EC)");
			ret = -1;
			continue;
		}
		if (!fits(k, j->alg, &want)) {
			sg_diag_err(d, j->at, "jwtSign.signingKey: alg %s signs with %s",
				    sg_jws_alg_name(j->alg), want);
			EVP_PKEY_free(k);
			ret = -1;
			continue;
		}
		j->rt->p = k;
		j->rt->release = key_free;
	}
	return ret;
}

static const EVP_MD *digest(enum sg_jws_alg alg)
{
	switch (alg) {
	case SG_JWS_RS384:
	case SG_JWS_ES384:
		return EVP_sha384();
	case SG_JWS_RS512:
		return EVP_sha512();
	default:
		return EVP_sha256();
	}
}

/* An ECDSA signature's DER into JWS's r || s, each `half` bytes. */
static bool raw_ecdsa(const unsigned char *der, size_t len, unsigned char *out, int half)
{
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)len);
	const BIGNUM *r, *s;
	bool ok;

	if (!es)
		return false;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, out, half) == half && BN_bn2binpad(s, out + half, half) == half;
	ECDSA_SIG_free(es);
	return ok;
}

/* The signature of in[0..len) by k, base64url-encoded into out (room for
 * 1024 bytes); its length, 0 on failure. */
static size_t sign(EVP_PKEY *k, enum sg_jws_alg alg, const char *in, size_t len, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[1024], raw[96];
	size_t siglen = sizeof(sig), n = 0;
	int half = alg == SG_JWS_ES256 ? 32 : 48;

	if (!ctx || EVP_DigestSignInit(ctx, &pctx, digest(alg), NULL, k) != 1)
		goto out;
	if (alg == SG_JWS_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)in, len) != 1 ||
	    siglen > sizeof(sig) ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)in, len) != 1)
		goto out;
	if (is_rsa(alg))
		n = sg_base64url_encode(sig, siglen, out);
	else if (raw_ecdsa(sig, siglen, raw, half))
		n = sg_base64url_encode(raw, (size_t)(2 * half), out);
out:
	EVP_MD_CTX_free(ctx);
	return n;
}

/* s as JSON string content (escapes; no quotes) into out (6 bytes a byte). */
static size_t escape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)sprintf(out + n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
	return n;
}

char *sg_jwtsign_token(const struct sg_jwt_sign *j, uint64_t now_s)
{
	EVP_PKEY *k = j->rt ? j->rt->p : NULL;
	uint64_t ttl = j->ttl == SG_DUR_UNSET
			       ? DEFAULT_TTL
			       : (uint64_t)((j->ttl + SG_DUR_S(1) - 1) / SG_DUR_S(1));
	size_t kidlen = j->kid ? strlen(j->kid) : 0, clen = strlen(j->claims);
	size_t hcap = 64 + 6 * kidlen, pcap = clen + 64;
	char *header = malloc(hcap), *payload = malloc(pcap), *out = NULL;
	size_t hlen, plen, n;

	if (!k || !header || !payload)
		goto done;
	hlen = (size_t)snprintf(header, hcap, "{\"typ\":\"JWT\",\"alg\":\"%s\"",
				sg_jws_alg_name(j->alg));
	if (j->kid) {
		hlen += (size_t)snprintf(header + hlen, hcap - hlen, ",\"kid\":\"");
		hlen += escape(j->kid, header + hlen);
		hlen += (size_t)snprintf(header + hlen, hcap - hlen, "\"");
	}
	hlen += (size_t)snprintf(header + hlen, hcap - hlen, "}");
	plen = (size_t)snprintf(
		payload, pcap, "{%s%s\"iat\":%llu,\"exp\":%llu}", j->claims, clen ? "," : "",
		(unsigned long long)(now_s > ISSUED_AT_BACKDATE ? now_s - ISSUED_AT_BACKDATE : 0),
		(unsigned long long)(now_s + ttl));
	/* base64url grows 4/3; the signature's encoding is 1366 at most */
	if (!(out = malloc(2 * (hlen + plen) + 1400)))
		goto done;
	n = sg_base64url_encode((const uint8_t *)header, hlen, out);
	out[n++] = '.';
	n += sg_base64url_encode((const uint8_t *)payload, plen, out + n);
	out[n] = '\0';
	{
		size_t slen = sign(k, j->alg, out, n, out + n + 1);

		if (!slen) {
			free(out);
			out = NULL;
			goto done;
		}
		out[n] = '.';
		out[n + 1 + slen] = '\0';
	}
done:
	free(header);
	free(payload);
	return out;
}
