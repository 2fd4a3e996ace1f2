/* OIDC login's pieces without I/O (the contract is oidc.h), with OpenSSL
 * 3's AES-256-GCM, SHA-256 and random bytes. */
#include "user/auth/oidc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"
#include "config/hex.h"
#include "user/base/base64url.h"
#include "user/base/json.h"

#define NONCE_LEN 12
#define TAG_LEN 16

int sg_oidc_key_parse(const char *hex, struct sg_oidc_key *k, char *err, size_t errlen)
{
	size_t len;

	while (*hex == ' ' || *hex == '\t' || *hex == '\n')
		hex++;
	len = strlen(hex);
	while (len && (hex[len - 1] == ' ' || hex[len - 1] == '\t' || hex[len - 1] == '\n'))
		len--;
	if (len != 2 * sizeof(k->k)) {
		snprintf(err, errlen,
			 "expected 32 bytes (64 hex characters, e.g. `openssl rand -hex 32`), "
			 "got %zu characters",
			 len);
		return -1;
	}
	for (size_t i = 0; i < sizeof(k->k); i++) {
		int hi = sg_hex_digit(hex[2 * i]), lo = sg_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "not hexadecimal at character %zu", 2 * i + 1);
			return -1;
		}
		k->k[i] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}

/* ---- sealed values ------------------------------------------------------ */

char *sg_oidc_seal(const struct sg_oidc_key *k, const char *plain, size_t len)
{
	size_t raw_len = NONCE_LEN + len + TAG_LEN;
	uint8_t *raw = malloc(raw_len);
	char *out = malloc(4 * ((raw_len + 2) / 3) + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	bool ok;

	ok = raw && out && ctx && len <= INT32_MAX && RAND_bytes(raw, NONCE_LEN) == 1 &&
	     EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->k, raw) == 1 &&
	     EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &n, (const uint8_t *)plain, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, raw + NONCE_LEN + len) == 1;
	if (ok)
		sg_base64_encode_std(raw, raw_len, out);
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

char *sg_oidc_open(const struct sg_oidc_key *k, const char *in, size_t len, size_t *outlen)
{
	uint8_t *raw = malloc(len / 4 * 3 + 3);
	ssize_t raw_len = raw ? sg_base64_decode_std(in, len, raw, len / 4 * 3 + 3) : -1;
	EVP_CIPHER_CTX *ctx = NULL;
	char *out = NULL;
	size_t clen;
	int n = 0, fin = 0;
	bool ok;

	if (raw_len < NONCE_LEN + TAG_LEN)
		goto done;
	clen = (size_t)raw_len - NONCE_LEN - TAG_LEN;
	out = malloc(clen + 1);
	ctx = EVP_CIPHER_CTX_new();
	ok = out && ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->k, raw) == 1 &&
	     EVP_DecryptUpdate(ctx, (uint8_t *)out, &n, raw + NONCE_LEN, (int)clen) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + clen) == 1 &&
	     EVP_DecryptFinal_ex(ctx, (uint8_t *)out + n, &fin) == 1;
	if (!ok) {
		free(out);
		out = NULL;
		goto done;
	}
	out[clen] = '\0';
	*outlen = clen;
done:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	return out;
}

/* ---- random values, PKCE, names -------------------------------------------- */

void sg_oidc_random(char *out, size_t nbytes)
{
	uint8_t b[32];

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (RAND_bytes(b, (int)nbytes) != 1)
		abort(); /* no secure randomness: nothing safe to hand out */
	sg_base64url_encode(b, nbytes, out);
}

void sg_oidc_challenge(const char *verifier, char out[44])
{
	uint8_t md[32];
	unsigned int n = 0;

	EVP_Digest(verifier, strlen(verifier), md, &n, EVP_sha256(), NULL);
	sg_base64url_encode(md, sizeof(md), out);
}

void sg_oidc_cookie_names(const char *policy_id, char session[SG_OIDC_NAME_CHARS],
			  char transaction[SG_OIDC_NAME_CHARS])
{
	uint8_t md[32];
	unsigned int n = 0;
	char hex[17];

	EVP_Digest(policy_id, strlen(policy_id), md, &n, EVP_sha256(), NULL);
	for (size_t i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(session, SG_OIDC_NAME_CHARS, SG_OIDC_COOKIE_PREFIX "s_%s", hex);
	snprintf(transaction, SG_OIDC_NAME_CHARS, SG_OIDC_COOKIE_PREFIX "t_%s", hex);
}

/* Whether t[0..len) starts a local path: '/', not "//", no backslash. */
static bool local(const char *t, size_t len)
{
	return len && t[0] == '/' && !(len > 1 && t[1] == '/') && !memchr(t, '\\', len);
}

bool sg_oidc_local_target(const char *t, size_t len)
{
	char d[SG_OIDC_MAX_RETURN];
	size_t n = 0;

	if (len > SG_OIDC_MAX_RETURN || !local(t, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (c == '%' && i + 2 < len && sg_hex_digit(t[i + 1]) >= 0 &&
		    sg_hex_digit(t[i + 2]) >= 0) {
			c = (char)(sg_hex_digit(t[i + 1]) * 16 + sg_hex_digit(t[i + 2]));
			i += 2;
		}
		d[n++] = c;
	}
	return local(d, n);
}

int sg_oidc_set_cookie(char *out, size_t cap, const char *name, const char *value, bool secure,
		       long max_age)
{
	int n = snprintf(out, cap, "%s=%s; HttpOnly; SameSite=Lax%s; Path=/; Max-Age=%ld", name,
			 value, secure ? "; Secure" : "", max_age);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* ---- the JSON sealed in cookies ------------------------------------------------ */

static char *print(struct sg_json *o, bool ok)
{
	char *s = ok ? sg_json_print(o, SG_JSON_COMPACT) : NULL;

	sg_json_free(o);
	return s;
}

/* Where decoded strings are copied: one block for all of them. */
struct store {
	char *p;
	size_t n, cap;
};

/* String member `key` of o, copied into st; NULL: none (or no room). */
static const char *member(const struct sg_json *o, const char *key, struct store *st)
{
	const char *s = sg_json_str(sg_json_get(o, key));
	size_t len = s ? strlen(s) + 1 : 0;
	char *at;

	if (!s || st->n + len > st->cap)
		return NULL;
	at = st->p + st->n;
	memcpy(at, s, len);
	st->n += len;
	return at;
}

/* A store as big as json's text (no string of it is longer). */
static bool store_for(struct store *st, const char *json)
{
	st->cap = strlen(json) + 1;
	st->n = 0;
	st->p = malloc(st->cap);
	return st->p != NULL;
}

/* A Unix time in seconds: whole, before the year 5000. */
static bool number(const struct sg_json *o, const char *key, int64_t *out)
{
	double v;

	if (sg_json_num(sg_json_get(o, key), &v) < 0 || v < 0 || v >= 1e11 ||
	    v != (double)(int64_t)v)
		return false;
	*out = (int64_t)v;
	return true;
}

char *sg_oidc_txn_encode(const struct sg_oidc_txn *t)
{
	struct sg_json *o = sg_json_object();
	bool ok = o && !sg_json_add_str(o, "policyId", t->policy) &&
		  !sg_json_add_str(o, "transactionId", t->id) &&
		  !sg_json_add_str(o, "csrfState", t->csrf) &&
		  !sg_json_add_str(o, "nonce", t->nonce) &&
		  !sg_json_add_str(o, "pkceVerifier", t->verifier) &&
		  !sg_json_add_str(o, "originalUri", t->original) &&
		  !sg_json_add_num(o, "expiresAtUnix", (double)t->expires);

	return print(o, ok);
}

void sg_oidc_txn_free(struct sg_oidc_txn *t)
{
	free(t->store);
	*t = (struct sg_oidc_txn){ 0 };
}

int sg_oidc_txn_decode(const char *json, struct sg_oidc_txn *t)
{
	struct sg_json *o = sg_json_parse(json);
	struct store st = { 0 };
	bool ok;

	*t = (struct sg_oidc_txn){ 0 };
	ok = o && sg_json_type(o) == SG_JSON_OBJECT && store_for(&st, json) &&
	     (t->policy = member(o, "policyId", &st)) &&
	     (t->id = member(o, "transactionId", &st)) && (t->csrf = member(o, "csrfState", &st)) &&
	     (t->nonce = member(o, "nonce", &st)) &&
	     (t->verifier = member(o, "pkceVerifier", &st)) &&
	     (t->original = member(o, "originalUri", &st)) &&
	     number(o, "expiresAtUnix", &t->expires);
	sg_json_free(o);
	t->store = st.p;
	if (!ok)
		sg_oidc_txn_free(t);
	return ok ? 0 : -1;
}

char *sg_oidc_session_encode(const struct sg_oidc_session *s)
{
	struct sg_json *o = sg_json_object();
	bool ok = o && !sg_json_add_str(o, "policyId", s->policy) &&
		  !sg_json_add_str(o, "rawIdToken", s->id_token) &&
		  (!s->expires || !sg_json_add_num(o, "expiresAtUnix", (double)s->expires));

	return print(o, ok);
}

void sg_oidc_session_free(struct sg_oidc_session *s)
{
	free(s->store);
	*s = (struct sg_oidc_session){ 0 };
}

int sg_oidc_session_decode(const char *json, struct sg_oidc_session *s)
{
	struct sg_json *o = sg_json_parse(json);
	struct store st = { 0 };
	bool ok;

	*s = (struct sg_oidc_session){ 0 };
	ok = o && sg_json_type(o) == SG_JSON_OBJECT && store_for(&st, json) &&
	     (s->policy = member(o, "policyId", &st)) &&
	     (s->id_token = member(o, "rawIdToken", &st)) &&
	     (!sg_json_get(o, "expiresAtUnix") || number(o, "expiresAtUnix", &s->expires));
	sg_json_free(o);
	s->store = st.p;
	if (!ok)
		sg_oidc_session_free(s);
	return ok ? 0 : -1;
}

/* ---- state ------------------------------------------------------------------------ */

char *sg_oidc_state_encode(const char *id, const char *csrf)
{
	struct sg_json *o = sg_json_object();
	char *json, *out;
	size_t len;

	if (!o || sg_json_add_str(o, "transactionId", id) || sg_json_add_str(o, "csrfState", csrf))
		json = NULL;
	else
		json = sg_json_print(o, SG_JSON_COMPACT);
	sg_json_free(o);
	if (!json)
		return NULL;
	len = strlen(json);
	out = malloc((len * 4 + 2) / 3 + 1);
	if (out)
		sg_base64url_encode((const uint8_t *)json, len, out);
	free(json);
	return out;
}

int sg_oidc_state_decode(const char *s, size_t len, char **id, char **csrf)
{
	char json[512];
	ssize_t n = len < 600 ? sg_base64url_decode(s, len, (uint8_t *)json, sizeof(json) - 1) : -1;
	struct sg_json *o;

	*id = *csrf = NULL;
	if (n < 0)
		return -1;
	json[n] = '\0';
	o = sg_json_parse(json);
	if (o && sg_json_type(o) == SG_JSON_OBJECT) {
		const char *a = sg_json_str(sg_json_get(o, "transactionId"));
		const char *b = sg_json_str(sg_json_get(o, "csrfState"));

		*id = a ? strdup(a) : NULL;
		*csrf = b ? strdup(b) : NULL;
	}
	sg_json_free(o);
	if (*id && *csrf)
		return 0;
	free(*id);
	free(*csrf);
	*id = *csrf = NULL;
	return -1;
}

/* ---- what the provider says ------------------------------------------------------------ */

static bool http_url(const char *u)
{
	return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7)) &&
	       u[strncmp(u, "https://", 8) ? 7 : 8] && !strpbrk(u, " \t\r\n");
}

void sg_oidc_discovered_free(struct sg_oidc_discovered *d)
{
	free(d->authorization_endpoint);
	free(d->token_endpoint);
	free(d->jwks_uri);
	*d = (struct sg_oidc_discovered){ 0 };
}

/* The client authentication among token_endpoint_auth_methods_supported
 * (absent: client_secret_basic, the default of OpenID Discovery): 0
 * basic, 1 post, -1 neither. */
static int client_auth(const struct sg_json *methods)
{
	bool post = false;

	if (!methods)
		return 0;
	for (const struct sg_json *m = sg_json_first(methods); m; m = sg_json_next(m)) {
		const char *s = sg_json_str(m);

		if (s && !strcmp(s, "client_secret_basic"))
			return 0;
		post = post || (s && !strcmp(s, "client_secret_post"));
	}
	return post ? 1 : -1;
}

int sg_oidc_discovery_parse(const char *text, size_t len, const char *issuer,
			    struct sg_oidc_discovered *d, char *err, size_t errlen)
{
	char *copy = strndup(text, len);
	struct sg_json *o = copy ? sg_json_parse(copy) : NULL;
	static const char *const keys[] = { "issuer", "authorization_endpoint", "token_endpoint",
					    "jwks_uri" };
	const char *v[4];
	int rc = -1, auth;

	*d = (struct sg_oidc_discovered){ 0 };
	free(copy);
	if (!o || sg_json_type(o) != SG_JSON_OBJECT) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	for (size_t i = 0; i < 4; i++)
		if (!(v[i] = sg_json_str(sg_json_get(o, keys[i])))) {
			snprintf(err, errlen, "no %s", keys[i]);
			goto done;
		}
	if (strcmp(v[0], issuer)) {
		snprintf(err, errlen, "oidc discovery issuer mismatch: expected %s, got %.200s",
			 issuer, v[0]);
		goto done;
	}
	for (size_t i = 1; i < 4; i++)
		if (!http_url(v[i])) {
			snprintf(err, errlen, "invalid %s: %.200s", keys[i], v[i]);
			goto done;
		}
	auth = client_auth(sg_json_get(o, "token_endpoint_auth_methods_supported"));
	if (auth < 0) {
		snprintf(err, errlen,
			 "token endpoint auth methods must include client_secret_basic or "
			 "client_secret_post");
		goto done;
	}
	d->post = auth == 1;
	d->authorization_endpoint = strdup(v[1]);
	d->token_endpoint = strdup(v[2]);
	d->jwks_uri = strdup(v[3]);
	if (!d->authorization_endpoint || !d->token_endpoint || !d->jwks_uri) {
		snprintf(err, errlen, "out of memory");
		sg_oidc_discovered_free(d);
		goto done;
	}
	rc = 0;
done:
	sg_json_free(o);
	return rc;
}

char *sg_oidc_token_answer(const char *text, size_t len)
{
	char *copy = strndup(text, len);
	struct sg_json *o = copy ? sg_json_parse(copy) : NULL;
	const char *t = o && sg_json_type(o) == SG_JSON_OBJECT
				? sg_json_str(sg_json_get(o, "id_token"))
				: NULL;
	char *out = t && *t ? strdup(t) : NULL;

	free(copy);
	sg_json_free(o);
	return out;
}

/* ---- made ready with the config --------------------------------------------- */

/* The gateway's client, which fetches discovery documents; NULL: they are
 * not fetched (`check`, the tests). */
static sg_jwks_get_fn fetch;

static void ready_free(void *p)
{
	struct sg_oidc_ready *r = p;

	free(r->authorization_endpoint);
	free(r->token_endpoint);
	free(r->jwks_uri);
	OPENSSL_cleanse(&r->key, sizeof(r->key));
	free(r);
}

/* The provider's endpoints, from o's discovery document (its text, or
 * fetched) into r; o's ID token verifier gets the jwks_uri. */
static int discover(struct sg_oidc *o, struct sg_oidc_ready *r, struct sg_diag *d)
{
	struct sg_oidc_discovered found;
	char *body = NULL;
	const char *text = o->discovery;
	size_t len = o->discovery_len;
	char why[512];

	if (!text) {
		int64_t ttl;

		if (fetch(o->discovery_url, &body, &len, &ttl, why, sizeof(why)) < 0) {
			sg_diag_err(d, o->at, "oidc: discovery document %s: %s", o->discovery_url,
				    why);
			return -1;
		}
		text = body;
	}
	if (sg_oidc_discovery_parse(text, len, o->issuer, &found, why, sizeof(why)) < 0) {
		sg_diag_err(d, o->at, "oidc: discovery document %s: %s",
			    o->discovery_url ? o->discovery_url : "(inline)", why);
		free(body);
		return -1;
	}
	free(body);
	r->authorization_endpoint = found.authorization_endpoint;
	r->token_endpoint = found.token_endpoint;
	r->jwks_uri = found.jwks_uri;
	r->post = found.post;
	/* The verifier is compiled after this (sg_jwt_prepare), with the
	 * remote jwks named now: the config is not shared yet. */
	o->provider.jwks_url = r->jwks_uri;
	o->validator.nproviders = 1;
	return 0;
}

static int prepare(struct sg_oidc *o, const char *secret, struct sg_diag *d)
{
	struct sg_oidc_ready *r = calloc(1, sizeof(*r));
	char why[200];

	if (!r) {
		sg_diag_err(d, o->at, "oidc: out of memory");
		return -1;
	}
	sg_oidc_cookie_names(o->policy_id, r->session_cookie, r->txn_prefix);
	if (secret && sg_oidc_key_parse(secret, &r->key, why, sizeof(why)) < 0) {
		sg_diag_err(d, o->at,
			    "oidc: invalid OIDC session cookie key OIDC_COOKIE_SECRET: %s", why);
		goto fail;
	}
	r->keyed = secret != NULL;
	if (o->authorization_endpoint) { /* explicit */
		r->authorization_endpoint = strdup(o->authorization_endpoint);
		r->token_endpoint = strdup(o->token_endpoint);
		r->post = o->client_auth == SG_OIDC_SECRET_POST;
		if (!r->authorization_endpoint || !r->token_endpoint) {
			sg_diag_err(d, o->at, "oidc: out of memory");
			goto fail;
		}
	} else if ((o->discovery || fetch) && discover(o, r, d) < 0) { /* `check`: not fetched */
		goto fail;
	}
	o->rt->p = r;
	o->rt->release = ready_free;
	return 0;
fail:
	ready_free(r);
	return -1;
}

void sg_oidc_set_fetch(sg_jwks_get_fn get)
{
	fetch = get;
}

int sg_oidc_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	const char *secret = getenv("OIDC_COOKIE_SECRET");
	int ret = 0;

	if (secret && !*secret)
		secret = NULL;
	for (size_t i = 0; i < cfg->noidcs; i++) {
		struct sg_oidc *o = cfg->oidcs[i]; /* not shared yet */

		if (o->rt->p || !o->policy_id) /* prepared, or on no route */
			continue;
		if (!secret && fetch) {
			sg_diag_err(d, o->at,
				    "oidc: OIDC_COOKIE_SECRET is required when oidc is "
				    "configured (64 hex characters: `openssl rand -hex 32`)");
			ret = -1;
			continue;
		}
		if (prepare(o, secret, d) < 0)
			ret = -1;
	}
	return ret;
}
