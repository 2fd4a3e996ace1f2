/* JWT verification (the contract is jwt.h; keys and signatures: jwks.h).
 * The order of the checks is jsonwebtoken's, which agentgateway uses: the
 * header (alg known, kid given and known), the alg allowed for that key,
 * the signature, then the claims. */
#include "user/auth/jwt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "config/auth.h"
#include "config/diag.h"
#include "user/base/base64url.h"
#include "user/auth/jwks.h"
#include "user/auth/jwksremote.h"
#include "user/base/json.h"

/* ---- a jwtAuth's keys, compiled once per config --------------------------- */

/* What rt->p holds: each provider's keys (a remote provider's: NULL, its
 * remote's instead), and an id no other compiled jwtAuth has (cache
 * entries name it, not a pointer that may be reused). */
struct compiled {
	uint64_t id;
	size_t n;
	struct sg_jwks_remote **remote; /* NULL: no remote provider */
	struct sg_jwks *keys[];
};

static void compiled_free(void *p)
{
	struct compiled *c = p;

	for (size_t i = 0; i < c->n; i++) {
		sg_jwks_free(c->keys[i]);
		if (c->remote)
			sg_jwks_remote_release(c->remote[i]);
	}
	free(c->remote);
	free(c);
}

/* Provider i's keys: its own, or its remote's as last fetched. */
static const struct sg_jwks *keys_of(const struct compiled *c, size_t i)
{
	if (c->remote && c->remote[i])
		return sg_jwks_remote_keys(c->remote[i]);
	return c->keys[i];
}

/* A remote provider: its remote made (not fetching yet). */
static int compile_remote(struct compiled *c, size_t i, const struct sg_jwt_provider *p,
			  struct sg_diag *d)
{
	if (!c->remote && !(c->remote = calloc(c->n, sizeof(c->remote[0]))))
		goto nomem;
	if (!(c->remote[i] = sg_jwks_remote_new(p->jwks_url, p->jwks_refresh_ms)))
		goto nomem;
	return 0;
nomem:
	sg_diag_err(d, p->at, "jwtAuth: out of memory");
	return -1;
}

static int compile(const struct sg_jwt_auth *j, struct sg_diag *d)
{
	struct compiled *c = calloc(1, sizeof(*c) + j->nproviders * sizeof(c->keys[0]));
	char why[256];
	int ret = 0;

	if (!c) {
		sg_diag_err(d, j->at, "jwtAuth: out of memory");
		return -1;
	}
	if (RAND_bytes((unsigned char *)&c->id, sizeof(c->id)) != 1)
		c->id = (uint64_t)(uintptr_t)c;
	c->n = j->nproviders;
	for (size_t i = 0; i < j->nproviders; i++) {
		const struct sg_jwt_provider *p = &j->providers[i];

		if (p->jwks_url) {
			if (compile_remote(c, i, p, d) < 0)
				ret = -1;
		} else if (sg_jwks_parse(p->jwks, p->jwks_len, &c->keys[i], why, sizeof(why)) < 0) {
			sg_diag_err(d, p->at, "jwtAuth: issuer %s: jwks%s%s: %s", p->issuer,
				    p->jwks_file ? " " : "", p->jwks_file ? p->jwks_file : "", why);
			ret = -1;
		}
	}
	if (ret < 0) {
		compiled_free(c);
		return -1;
	}
	j->rt->p = c;
	j->rt->release = compiled_free;
	return 0;
}

int sg_jwt_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->njwts; i++)
		if (!cfg->jwts[i]->rt->p && compile(cfg->jwts[i], d) < 0)
			ret = -1;
	return ret;
}

const struct sg_jwks *sg_jwt_keys(const struct sg_jwt_auth *j, size_t i)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	return c && i < c->n ? keys_of(c, i) : NULL;
}

struct sg_jwks_remote *sg_jwt_remote(const struct sg_jwt_auth *j, size_t i)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	return c && c->remote && i < c->n ? c->remote[i] : NULL;
}

/* ---- results --------------------------------------------------------------- */

static int refuse(struct sg_jwt_result *r, enum sg_jwt_error err, const char *detail)
{
	r->err = err;
	r->detail = detail;
	return -1;
}

const char *sg_jwt_describe(const struct sg_jwt_result *r, char *buf, size_t len)
{
	switch (r->err) {
	case SG_JWT_OK:
		snprintf(buf, len, "ok");
		break;
	case SG_JWT_MISSING:
		snprintf(buf, len, "no bearer token found");
		break;
	case SG_JWT_BAD_HEADER:
		snprintf(buf, len, "the token header is malformed: %s", r->detail);
		break;
	case SG_JWT_NO_KID:
		snprintf(buf, len, "the token header does not specify a `kid`");
		break;
	case SG_JWT_UNKNOWN_KID:
		snprintf(buf, len, "token uses the unknown key \"%s\"", r->kid);
		break;
	case SG_JWT_INVALID:
		snprintf(buf, len, "the token is invalid or malformed: %s", r->detail);
		break;
	}
	return buf;
}

/* ---- claims ----------------------------------------------------------------- */

struct sg_jwt_claims {
	int refs;
	struct sg_json *json;
	const char *sub;
	bool has_exp, has_nbf;
	double exp, nbf;
	/* The token as it came (backendAuth passthrough sends it on), and
	 * with the compiled jwtAuth's id the cache's key. */
	char *token;
	size_t len;
	uint64_t id;
};

const struct sg_json *sg_jwt_claims_json(const struct sg_jwt_claims *c)
{
	return c->json;
}

const char *sg_jwt_claims_sub(const struct sg_jwt_claims *c)
{
	return c->sub;
}

const char *sg_jwt_claims_token(const struct sg_jwt_claims *c, size_t *len)
{
	*len = c->len;
	return c->token;
}

void sg_jwt_claims_put(struct sg_jwt_claims *c)
{
	if (!c || --c->refs > 0)
		return;
	sg_json_free(c->json);
	free(c->token);
	free(c);
}

static const char *const claim_names[] = { "exp", "nbf", "aud", "iss", "sub" };

/* exp and nbf at `now`, for a fresh token and a cached one alike. */
static int check_times(const struct sg_jwt_claims *c, int64_t now, struct sg_jwt_result *r)
{
	if (c->has_exp && c->exp < (double)(now - SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ExpiredSignature)");
	if (c->has_nbf && c->nbf > (double)(now + SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ImmatureSignature)");
	return 0;
}

/* Whether v, the value of claim_names[i], reads as jsonwebtoken reads
 * that claim (its TryParse::Parsed): exp and nbf a u64 (a number from 0,
 * a fraction rounded), aud and iss a string or a list of strings, sub a
 * string. Anything else is as good as absent for a required claim. */
static bool parsed(const struct sg_json *v, size_t i)
{
	double d;

	if (i < 2)
		return sg_json_num(v, &d) == 0 && d >= 0 && d < 18446744073709551616.0;
	if (i < 4 && sg_json_type(v) == SG_JSON_ARRAY) {
		for (const struct sg_json *it = sg_json_first(v); it; it = sg_json_next(it))
			if (!sg_json_str(it))
				return false;
		return true;
	}
	return sg_json_str(v) != NULL;
}

static bool audience_ok(const struct sg_jwt_provider *p, const struct sg_json *aud)
{
	const struct sg_json *it = aud;
	bool list = sg_json_type(aud) == SG_JSON_ARRAY;

	for (it = list ? sg_json_first(aud) : aud; it; it = list ? sg_json_next(it) : NULL) {
		const char *s = sg_json_str(it);

		for (size_t i = 0; s && i < p->audiences.n; i++)
			if (!strcmp(s, p->audiences.v[i]))
				return true;
	}
	return false;
}

/* The payload's claims as provider p wants them. */
static int check_claims(const struct sg_jwt_provider *p, struct sg_jwt_claims *c, int64_t now,
			struct sg_jwt_result *r)
{
	static const char *const missing[] = {
		"Error(MissingRequiredClaim(\"exp\"))", "Error(MissingRequiredClaim(\"nbf\"))",
		"Error(MissingRequiredClaim(\"aud\"))", "Error(MissingRequiredClaim(\"iss\"))",
		"Error(MissingRequiredClaim(\"sub\"))",
	};
	unsigned required =
		p->required | SG_JWT_CLAIM_ISS | (p->audiences.n ? SG_JWT_CLAIM_AUD : 0);
	const struct sg_json *exp = sg_json_get(c->json, "exp");
	const struct sg_json *nbf = sg_json_get(c->json, "nbf");
	const struct sg_json *iat = sg_json_get(c->json, "iat");
	const struct sg_json *aud = sg_json_get(c->json, "aud");
	double iat_v = 0;

	for (size_t i = 0; i < sizeof(claim_names) / sizeof(claim_names[0]); i++)
		if ((required & (1u << i)) && !parsed(sg_json_get(c->json, claim_names[i]), i))
			return refuse(r, SG_JWT_INVALID, missing[i]);
	if (exp && (!parsed(exp, 0) || sg_json_num(exp, &c->exp) < 0))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidClaimFormat(\"exp\"))");
	if (nbf && (!parsed(nbf, 1) || sg_json_num(nbf, &c->nbf) < 0))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidClaimFormat(\"nbf\"))");
	if (iat && sg_json_num(iat, &iat_v) < 0)
		return refuse(r, SG_JWT_INVALID, "Error(InvalidClaimFormat(\"iat\"))");
	c->has_exp = exp != NULL;
	c->has_nbf = nbf != NULL;
	if (check_times(c, now, r) < 0)
		return -1;
	/* a token issued in the future (beyond the leeway) is not valid yet */
	if (iat && iat_v > (double)(now + SG_JWT_LEEWAY_S))
		return refuse(r, SG_JWT_INVALID, "Error(ImmatureSignature)");
	if (!sg_json_str(sg_json_get(c->json, "iss")) ||
	    strcmp(sg_json_str(sg_json_get(c->json, "iss")), p->issuer))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidIssuer)");
	if (p->audiences.n && !audience_ok(p, aud))
		return refuse(r, SG_JWT_INVALID, "Error(InvalidAudience)");
	c->sub = sg_json_str(sg_json_get(c->json, "sub"));
	return 0;
}

/* ---- a token ------------------------------------------------------------- */

/* The key kid names among j's providers (the first that has it), with its
 * provider. */
static const struct sg_jwk *find_key(const struct sg_jwt_auth *j, const char *kid,
				     const struct sg_jwt_provider **p)
{
	const struct compiled *c = j->rt ? j->rt->p : NULL;

	for (size_t i = 0; c && i < c->n; i++) {
		const struct sg_jwk *k = sg_jwks_find(keys_of(c, i), kid);

		if (k) {
			*p = &j->providers[i];
			return k;
		}
	}
	/* a kid no key has: a remote JWKS may have rotated, fetch it again */
	for (size_t i = 0; c && c->remote && i < c->n; i++)
		if (c->remote[i])
			sg_jwks_remote_kick(c->remote[i]);
	return NULL;
}

/* The cache's key for c: its id, changed by each fetch of a remote
 * provider's keys (a token verified with a key since withdrawn is verified
 * again). */
static uint64_t cache_id(const struct compiled *c)
{
	uint64_t id = c->id;

	for (size_t i = 0; c->remote && i < c->n; i++)
		if (c->remote[i])
			id += sg_jwks_remote_version(c->remote[i]) * 0x9e3779b97f4a7c15ULL;
	return id;
}

/* Whether JSON text s writes a NUL (\u0000) in a string. The parser's
 * strings end at it: "api\u0000evil" would read as the audience "api" (and
 * a claim CEL compares likewise), where agentgateway sees another string.
 * A backslash escapes the character after it, so "\\u0000" is none. */
static bool writes_nul(const char *s)
{
	for (; (s = strchr(s, '\\')) && s[1]; s += 2)
		if (!strncmp(s + 1, "u0000", 5))
			return true;
	return false;
}

/* A JSON object out of base64url part s[0..len), or NULL (also when a
 * string of it holds a NUL, raw or escaped). */
static struct sg_json *json_part(const char *s, size_t len)
{
	size_t n;
	unsigned char *text = sg_base64url_decode_new(s, len, &n);
	struct sg_json *v = NULL;

	if (text && strlen((char *)text) == n && !writes_nul((char *)text))
		v = sg_json_parse_exact((char *)text); /* a claim's int past 2^53 as written */
	free(text);
	if (v && sg_json_type(v) != SG_JSON_OBJECT) {
		sg_json_free(v);
		v = NULL;
	}
	return v;
}

/* Whether object o has one of names[0..n) (n <= 32) as a member twice:
 * cJSON reads the first, agentgateway's jsonwebtoken refuses the members
 * it reads when repeated (serde's duplicate field), and another reader
 * may take the last. */
static bool repeats(const struct sg_json *o, const char *const *names, size_t n)
{
	uint32_t seen = 0;

	for (const struct sg_json *m = sg_json_first(o); m; m = sg_json_next(m))
		for (size_t i = 0; i < n; i++) {
			if (strcmp(sg_json_key(m), names[i]))
				continue;
			if (seen & (1u << i))
				return true;
			seen |= 1u << i;
		}
	return false;
}

/* The header: alg and kid, the key and its provider. */
static int read_header(const struct sg_jwt_auth *j, const char *token, size_t hlen,
		       const struct sg_jwk **key, const struct sg_jwt_provider **p,
		       enum sg_jwk_alg *a, struct sg_jwt_result *r)
{
	static const char *const read[] = { "alg", "kid" };
	struct sg_json *h = json_part(token, hlen);
	const char *alg = sg_json_str(sg_json_get(h, "alg"));
	const char *kid = sg_json_str(sg_json_get(h, "kid"));
	int ret = 0;

	if (!h || repeats(h, read, 2))
		ret = refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidToken)");
	else if (!alg || (*a = sg_jwk_alg_of(alg)) == SG_JWK_UNKNOWN)
		ret = refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidAlgorithmName)");
	else if (!kid)
		ret = refuse(r, SG_JWT_NO_KID, NULL);
	else if (!(*key = find_key(j, kid, p))) {
		snprintf(r->kid, sizeof(r->kid), "%.64s", kid);
		ret = refuse(r, SG_JWT_UNKNOWN_KID, NULL);
	} else if (!sg_jwk_allows(*key, *a))
		ret = refuse(r, SG_JWT_INVALID, "Error(InvalidAlgorithm)");
	sg_json_free(h);
	return ret;
}

int sg_jwt_verify(const struct sg_jwt_auth *j, const char *token, size_t len, int64_t now,
		  struct sg_jwt_claims **out, struct sg_jwt_result *r)
{
	static const char *const read_claims[] = { "exp", "nbf", "iat", "aud", "iss", "sub" };
	const char *dot1 = memchr(token, '.', len), *dot2;
	const struct sg_jwt_provider *p = NULL;
	const struct sg_jwk *key = NULL;
	struct sg_jwt_claims *c;
	unsigned char *sig;
	size_t siglen;
	enum sg_jwk_alg a = SG_JWK_UNKNOWN;

	*r = (struct sg_jwt_result){ SG_JWT_OK, NULL, "" };
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (len > SG_JWT_MAX_TOKEN || !dot2 ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		return refuse(r, SG_JWT_BAD_HEADER, "Error(InvalidToken)");
	if (read_header(j, token, (size_t)(dot1 - token), &key, &p, &a, r) < 0)
		return -1;
	sig = sg_base64url_decode_new(dot2 + 1, len - (size_t)(dot2 + 1 - token), &siglen);
	if (!sig)
		return refuse(r, SG_JWT_INVALID, "Error(Base64(InvalidByte))");
	if (!sg_jwk_verify(key, a, token, (size_t)(dot2 - token), sig, siglen)) {
		free(sig);
		return refuse(r, SG_JWT_INVALID, "Error(InvalidSignature)");
	}
	free(sig);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->token = malloc(len ? len : 1))) {
		free(c);
		return refuse(r, SG_JWT_INVALID, "Error(OutOfMemory)");
	}
	memcpy(c->token, token, len);
	c->len = len;
	c->refs = 1;
	c->json = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!c->json ||
	    repeats(c->json, read_claims, sizeof(read_claims) / sizeof(read_claims[0]))) {
		sg_jwt_claims_put(c);
		return refuse(r, SG_JWT_INVALID, "Error(Json)");
	}
	if (check_claims(p, c, now, r) < 0) {
		sg_jwt_claims_put(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* ---- the cache ------------------------------------------------------------- */

struct sg_jwt_cache {
	struct sg_jwt_claims *slot[SG_JWT_CACHE_SLOTS];
	uint64_t hits, verified;
};

struct sg_jwt_cache *sg_jwt_cache_new(void)
{
	return calloc(1, sizeof(struct sg_jwt_cache));
}

void sg_jwt_cache_free(struct sg_jwt_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SG_JWT_CACHE_SLOTS; i++)
		sg_jwt_claims_put(c->slot[i]);
	free(c);
}

void sg_jwt_cache_counts(const struct sg_jwt_cache *c, uint64_t *hits, uint64_t *verified)
{
	*hits = c->hits;
	*verified = c->verified;
}

/* FNV-1a: the slot of a token (a collision only costs a verification). */
static size_t slot_of(const char *s, size_t len, uint64_t id)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ id;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) % SG_JWT_CACHE_SLOTS;
}

int sg_jwt_check(struct sg_jwt_cache *cache, const struct sg_jwt_auth *j, const char *token,
		 size_t len, int64_t now, struct sg_jwt_claims **out, struct sg_jwt_result *r)
{
	const struct compiled *comp = j->rt ? j->rt->p : NULL;
	uint64_t id = comp ? cache_id(comp) : 0;
	size_t s = slot_of(token, len, id);
	struct sg_jwt_claims *c = cache->slot[s];

	*r = (struct sg_jwt_result){ SG_JWT_OK, NULL, "" };
	if (c && c->id == id && c->len == len && !memcmp(c->token, token, len)) {
		cache->hits++;
		if (check_times(c, now, r) < 0)
			return -1;
		c->refs++;
		*out = c;
		return 0;
	}
	cache->verified++;
	if (sg_jwt_verify(j, token, len, now, &c, r) < 0)
		return -1;
	c->id = id;
	sg_jwt_claims_put(cache->slot[s]);
	cache->slot[s] = c;
	c->refs++;
	*out = c;
	return 0;
}
