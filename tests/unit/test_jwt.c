/* user/auth/jwt: JWT verification against keys made by OpenSSL at test
 * time (tests/unit/jwkmake.h: RSA 2048, P-256, P-384, Ed25519), tokens signed
 * here with them: every algorithm verifies; the refusals (alg confusion,
 * none, expired, not yet valid, wrong issuer and audience, missing claims,
 * unknown kid, malformed and oversized tokens) give agentgateway's texts;
 * the per-worker cache; and user/core/authn's credential locations and
 * what it strips. Configs are real YAML (jwtAuth with the JWKS inline). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config/auth.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/jwt.h"
#include "user/base/json.h"
#include "user/core/authn.h"
#include "user/core/filter.h"

#include "tests/unit/jwkmake.h"

#define NOW 1800000000 /* the clock of every case, Unix seconds */

/* ---- keys and tokens, made here ------------------------------------------- */

static void b64u_str(const char *s, char *out)
{
	b64u((const unsigned char *)s, strlen(s), out);
}

/* A JWKS of the four keys, kids rsa, ec256, ec384, ed, and rs256only (the
 * RSA key again, with alg RS256). */
static char *jwks_text(void)
{
	static char out[8192];

	strcpy(out, "{\"keys\":[");
	jwk(rsa, "rsa", NULL, out, sizeof(out));
	jwk(ec256, "ec256", NULL, out, sizeof(out));
	jwk(ec384, "ec384", NULL, out, sizeof(out));
	jwk(ed, "ed", NULL, out, sizeof(out));
	jwk(rsa, "rs256only", "RS256", out, sizeof(out));
	strcat(out, "]}");
	return out;
}

/* A token: header {"alg", "kid"} (kid NULL: none), payload `claims`,
 * signed with the key for alg ("HS256": an HMAC whose secret is the RSA
 * public key's PEM, the confusion attack; "none": no signature). */
static char *mint(const char *alg, const char *kid, const char *claims)
{
	static char tok[24576], p64[20480];
	char head[256], h64[400], s64[1100];
	unsigned char sig[1024], raw[200];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = NULL;
	EVP_PKEY *k = rsa;

	if (kid)
		snprintf(head, sizeof(head), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
	else
		snprintf(head, sizeof(head), "{\"alg\":\"%s\"}", alg);
	b64u_str(head, h64);
	b64u_str(claims, p64);
	snprintf(tok, sizeof(tok), "%s.%s", h64, p64);
	if (!strcmp(alg, "none")) {
		strcat(tok, ".");
		EVP_MD_CTX_free(ctx);
		return tok;
	}
	if (!strcmp(alg, "HS256")) {
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem;
		long pemlen;
		unsigned int maclen = 0;

		PEM_write_bio_PUBKEY(bio, rsa);
		pemlen = BIO_get_mem_data(bio, &pem);
		HMAC(EVP_sha256(), pem, (int)pemlen, (unsigned char *)tok, strlen(tok), sig,
		     &maclen);
		siglen = maclen;
		BIO_free(bio);
	} else {
		if (alg[1] == 'S' && alg[0] != 'P') /* RS, ES */
			md = strstr(alg, "256")	  ? EVP_sha256()
			     : strstr(alg, "384") ? EVP_sha384()
						  : EVP_sha512();
		if (alg[0] == 'P')
			md = strstr(alg, "256")	  ? EVP_sha256()
			     : strstr(alg, "384") ? EVP_sha384()
						  : EVP_sha512();
		if (!strcmp(alg, "ES256"))
			k = ec256;
		if (!strcmp(alg, "ES384"))
			k = ec384;
		if (!strcmp(alg, "EdDSA"))
			k = ed;
		assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, k), 1);
		if (alg[0] == 'P') {
			EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
		}
		assert_int_equal(
			EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)tok, strlen(tok)), 1);
		if (alg[0] == 'E' && alg[1] == 'S') {
			siglen = ecdsa_raw(sig, siglen, k == ec256 ? 32 : 48, raw);
			memcpy(sig, raw, siglen);
		}
	}
	EVP_MD_CTX_free(ctx);
	b64u(sig, siglen, s64);
	strcat(tok, ".");
	strcat(tok, s64);
	return tok;
}

/* ---- configs ---------------------------------------------------------------- */

static struct sg_cfg *cfg;

/* A config with one route whose jwtAuth is `policy` (YAML flow map text
 * that names the JWKS as %s), compiled. */
static struct sg_cfg *load(const char *policy)
{
	static char text[16384], pol[12000];
	struct sg_diag d;
	const char *at = strstr(policy, "%s");
	struct sg_cfg *c;

	snprintf(pol, sizeof(pol), "%.*s%s%s", (int)(at - policy), policy, jwks_text(), at + 2);
	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies:\n        jwtAuth: %s\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 pol);
	sg_diag_init(&d);
	c = sg_cfg_load_text("jwt.yaml", text, &d);
	if (!c || sg_jwt_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static const struct sg_jwt_auth *jwt_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.jwt;
}

#define ISS "\"iss\":\"https://issuer.example\""
#define BASIC "{issuer: https://issuer.example, audiences: [api, other], jwks: '%s'}"

static int setup(void **state)
{
	if (keys_make() == -1)
		return -1;
	cfg = load(BASIC);
	return 0;
}

static int teardown(void **state)
{
	sg_cfg_free(cfg);
	keys_free();
	return 0;
}

/* What verifying tok at NOW says: "ok sub=<sub>" or agentgateway's text. */
static const char *verdict(const struct sg_jwt_auth *j, const char *tok)
{
	static char out[256];
	struct sg_jwt_claims *c = NULL;
	struct sg_jwt_result r;

	if (sg_jwt_verify(j, tok, strlen(tok), NOW, &c, &r) == 0) {
		snprintf(out, sizeof(out), "ok sub=%s",
			 sg_jwt_claims_sub(c) ? sg_jwt_claims_sub(c) : "-");
		sg_jwt_claims_put(c);
		return out;
	}
	return sg_jwt_describe(&r, out, sizeof(out));
}

/* ---- cases --------------------------------------------------------------------- */

static void test_jwt_every_algorithm_verifies(void **state)
{
	static const struct {
		const char *alg, *kid;
	} cases[] = {
		{ "RS256", "rsa" },	  { "RS384", "rsa" },	{ "RS512", "rsa" },
		{ "PS256", "rsa" },	  { "PS384", "rsa" },	{ "PS512", "rsa" },
		{ "ES256", "ec256" },	  { "ES384", "ec384" }, { "EdDSA", "ed" },
		{ "RS256", "rs256only" },
	};
	char claims[256];

	snprintf(claims, sizeof(claims), "{" ISS ",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":%d}",
		 NOW + 3600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v = verdict(jwt_of(cfg), mint(cases[i].alg, cases[i].kid, claims));

		if (strcmp(v, "ok sub=alice"))
			fail_msg("%s with key %s: %s", cases[i].alg, cases[i].kid, v);
	}
}

static void test_jwt_refusals(void **state)
{
#define E(x) "the token is invalid or malformed: Error(" x ")"
	static const struct {
		const char *alg, *kid, *claims, *want;
	} cases[] = {
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":1799999939}",
		  E("ExpiredSignature") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":1799999941}", "ok sub=-" },
		{ "ES256", "ec256",
		  "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"nbf\":1800000061}",
		  E("ImmatureSignature") },
		{ "ES256", "ec256",
		  "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"nbf\":1800000059}", "ok sub=-" },
		{ "ES256", "ec256",
		  "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"iat\":1800000100}",
		  E("ImmatureSignature") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"nope\",\"exp\":1900000000}",
		  E("InvalidAudience") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":[\"x\",\"other\"],\"exp\":1900000000}",
		  "ok sub=-" },
		{ "ES256", "ec256", "{" ISS ",\"exp\":1900000000}",
		  E("MissingRequiredClaim(\"aud\")") },
		{ "ES256", "ec256",
		  "{\"iss\":\"https://evil.example\",\"aud\":\"api\",\"exp\":1900000000}",
		  E("InvalidIssuer") },
		{ "ES256", "ec256", "{\"aud\":\"api\",\"exp\":1900000000}",
		  E("MissingRequiredClaim(\"iss\")") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\"}",
		  E("MissingRequiredClaim(\"exp\")") },
		/* a required claim of another type is missing, as jsonwebtoken
		 * reads it (an exp that is no u64, an aud list with a number) */
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":\"soon\"}",
		  E("MissingRequiredClaim(\"exp\")") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":-5}",
		  E("MissingRequiredClaim(\"exp\")") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":[\"api\",5],\"exp\":1900000000}",
		  E("MissingRequiredClaim(\"aud\")") },
		{ "ES256", "ec256", "{\"iss\":7,\"aud\":\"api\",\"exp\":1900000000}",
		  E("MissingRequiredClaim(\"iss\")") },
		{ "ES256", "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"nbf\":\"x\"}",
		  E("InvalidClaimFormat(\"nbf\")") },
		{ "ES256", "ec256", "[1]", E("Json") },
		/* the RSA public key as an HMAC secret: never an HMAC verifier */
		{ "HS256", "rsa", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  E("InvalidAlgorithm") },
		{ "none", "rsa", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  "the token header is malformed: Error(InvalidAlgorithmName)" },
		/* an EC alg with an RSA key's kid, PS256 against an RS256-only key */
		{ "ES256", "rsa", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  E("InvalidAlgorithm") },
		{ "PS256", "rs256only", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  E("InvalidAlgorithm") },
		/* ES256 signed by the P-256 key but naming the P-384 one */
		{ "ES256", "ec384", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  E("InvalidSignature") },
		{ "RS256", NULL, "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  "the token header does not specify a `kid`" },
		{ "RS256", "k9", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  "token uses the unknown key \"k9\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v =
			verdict(jwt_of(cfg), mint(cases[i].alg, cases[i].kid, cases[i].claims));

		if (strcmp(v, cases[i].want))
			fail_msg("case %zu (%s %s): got \"%s\", want \"%s\"", i, cases[i].alg,
				 cases[i].claims, v, cases[i].want);
	}
#undef E
}

static void test_jwt_malformed_tokens(void **state)
{
	static char big[SG_JWT_MAX_TOKEN + 16];
	char tampered[8192], *dot;
	const char *good = mint("RS256", "rsa", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}");
	static const struct {
		const char *tok, *want;
	} cases[] = {
		{ "", "the token header is malformed: Error(InvalidToken)" },
		{ "abc", "the token header is malformed: Error(InvalidToken)" },
		{ "a.b", "the token header is malformed: Error(InvalidToken)" },
		{ "a.b.c.d", "the token header is malformed: Error(InvalidToken)" },
		{ "!!!.e30.e30", "the token header is malformed: Error(InvalidToken)" },
		{ "bm90IGpzb24.e30.e30", "the token header is malformed: Error(InvalidToken)" },
		{ "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYSJ9.e30.***",
		  "the token is invalid or malformed: Error(Base64(InvalidByte))" },
		{ "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYSJ9.e30.AAAA",
		  "the token is invalid or malformed: Error(InvalidSignature)" },
		/* ES256 with a 3-byte signature: r and s (32 bytes each) are
		 * not read past it (fuzz_jwt found it; ASan read out of
		 * bounds) */
		{ "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjMjU2In0.e30.AAAA",
		  "the token is invalid or malformed: Error(InvalidSignature)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(verdict(jwt_of(cfg), cases[i].tok), cases[i].want);
	memset(big, 'a', sizeof(big) - 1);
	big[10] = big[20] = '.';
	assert_string_equal(verdict(jwt_of(cfg), big),
			    "the token header is malformed: Error(InvalidToken)");
	/* the signature's last character with a bit set past its bytes: the
	 * same signature written another way (jsonwebtoken's base64 refuses
	 * it, InvalidLastSymbol), which made one token many */
	strcpy(tampered, good);
	assert_int_equal((strlen(tampered) - (size_t)(strrchr(tampered, '.') + 1 - tampered)) % 4,
			 2);
	assert_non_null(strchr("AQgw", tampered[strlen(tampered) - 1]));
	tampered[strlen(tampered) - 1]++;
	assert_string_equal(verdict(jwt_of(cfg), tampered),
			    "the token is invalid or malformed: Error(Base64(InvalidByte))");
	/* the payload changed after signing */
	strcpy(tampered, good);
	dot = strchr(tampered, '.');
	dot[1] = dot[1] == 'e' ? 'f' : 'e';
	assert_string_equal(verdict(jwt_of(cfg), tampered),
			    "the token is invalid or malformed: Error(InvalidSignature)");
	/* A token past 8 KiB (an Entra ID token with many groups) is
	 * verified, as agentgateway verifies any its header limits let in
	 * (last: mint's buffer, which good is, is overwritten). */
	{
		char claims[14000];
		int n = snprintf(claims, sizeof(claims),
				 "{" ISS ",\"aud\":\"api\",\"sub\":\"g\",\"exp\":1900000000,"
				 "\"groups\":[");

		for (int i = 0; i < 300; i++)
			n += snprintf(claims + n, sizeof(claims) - (size_t)n, "%s\"group-%036d\"",
				      i ? "," : "", i);
		snprintf(claims + n, sizeof(claims) - (size_t)n, "]}");
		assert_true(strlen(mint("RS256", "rsa", claims)) > 16000);
		assert_string_equal(verdict(jwt_of(cfg), mint("RS256", "rsa", claims)), "ok sub=g");
	}
}

/* Tokens signed ES256 by the P-256 key: header kid, payload claims, and
 * what verifying each says. */
struct es256_case {
	const char *kid, *claims, *want;
};

static void es256_cases(const struct es256_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = verdict(jwt_of(cfg), mint("ES256", cases[i].kid, cases[i].claims));

		if (strcmp(v, cases[i].want))
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i, cases[i].claims, v,
				 cases[i].want);
	}
}

/* A string with a NUL in it (JSON's \u0000) reads, through cJSON, as what
 * comes before the NUL: "api\u0000evil" would be the audience "api", which
 * agentgateway (serde) tells apart. Such a token is refused whole; an
 * escaped backslash before "u0000" is no NUL. */
static void test_jwt_refuses_a_nul_in_its_strings(void **state)
{
#define E(x) "the token is invalid or malformed: Error(" x ")"
	static const struct es256_case cases[] = {
		{ "ec256", "{" ISS ",\"aud\":\"api\\u0000evil\",\"exp\":1900000000}", E("Json") },
		{ "ec256", "{" ISS ",\"aud\":[\"x\",\"other\\u0000\"],\"exp\":1900000000}",
		  E("Json") },
		{ "ec256",
		  "{\"iss\":\"https://issuer.example\\u0000.evil\",\"aud\":\"api\",\"exp\":"
		  "1900000000}",
		  E("Json") },
		{ "ec256",
		  "{" ISS ",\"aud\":\"api\",\"sub\":\"alice\\u0000admin\",\"exp\":1900000000}",
		  E("Json") },
		{ "ec256", "{" ISS ",\"aud\":\"api\",\"\\u0000role\":\"x\",\"exp\":1900000000}",
		  E("Json") },
		/* a backslash, then "u0000": six characters, no NUL */
		{ "ec256", "{" ISS ",\"aud\":\"api\",\"sub\":\"a\\\\u0000\",\"exp\":1900000000}",
		  "ok sub=a\\u0000" },
		/* the header's kid: the key "ec256" is not "ec256\0x" */
		{ "ec256\\u0000x", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  "the token header is malformed: Error(InvalidToken)" },
	};

	es256_cases(cases, sizeof(cases) / sizeof(cases[0]));
#undef E
}

/* A member twice: cJSON reads the first, agentgateway's jsonwebtoken
 * refuses a header's alg or kid twice and a payload's exp, nbf, sub, iss
 * or aud twice (serde's duplicate field), and a backend or another
 * reader may take the last. Refused. */
static void test_jwt_refuses_a_claim_twice(void **state)
{
#define E(x) "the token is invalid or malformed: Error(" x ")"
	static const struct es256_case cases[] = {
		{ "ec256", "{" ISS ",\"aud\":\"api\",\"aud\":\"evil\",\"exp\":1900000000}",
		  E("Json") },
		{ "ec256",
		  "{" ISS ",\"iss\":\"https://evil.example\",\"aud\":\"api\",\"exp\":1900000000}",
		  E("Json") },
		{ "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"exp\":1700000000}",
		  E("Json") },
		{ "ec256", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"nbf\":1,\"nbf\":1}",
		  E("Json") },
		{ "ec256",
		  "{" ISS
		  ",\"aud\":\"api\",\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":1900000000}",
		  E("Json") },
		{ "ec256",
		  "{" ISS ",\"aud\":\"api\",\"exp\":1900000000,\"iat\":1,\"iat\":1900000000}",
		  E("Json") },
		/* twice in a nested object is another member's business */
		{ "ec256",
		  "{" ISS
		  ",\"aud\":\"api\",\"sub\":\"s\",\"exp\":1900000000,\"o\":{\"sub\":1,\"sub\":2}}",
		  "ok sub=s" },
		/* the header's kid twice: the first named the signing key */
		{ "ec256\",\"kid\":\"rsa", "{" ISS ",\"aud\":\"api\",\"exp\":1900000000}",
		  "the token header is malformed: Error(InvalidToken)" },
	};

	es256_cases(cases, sizeof(cases) / sizeof(cases[0]));
#undef E
}

static void test_jwt_config_refuses_a_bad_jwks(void **state)
{
	struct sg_diag d;
	struct sg_cfg *c;
	char *text;

	sg_diag_init(&d);
	c = sg_cfg_load_text(
		"bad.yaml",
		"binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		"    - policies:\n        jwtAuth: {issuer: i, jwks: '{\"keys\": 1}'}\n"
		"      backends: [{host: 127.0.0.1:1}]\n",
		&d);
	assert_non_null(c);
	assert_int_equal(sg_jwt_prepare(c, &d), -1);
	text = sg_diag_join(&d);
	assert_string_equal(text, "bad.yaml:6:18: jwtAuth: issuer i: jwks: not a JWKS (a JSON "
				  "object with a \"keys\" array)\n");
	free(text);
	sg_cfg_free(c);
	sg_diag_free(&d);
}

static void test_jwt_multi_providers_and_required_claims(void **state)
{
	struct sg_cfg *c = load("{mode: strict, providers: ["
				"{issuer: a, jwks: '{\"keys\":[]}'},"
				"{issuer: b, jwks: '%s', jwtValidationOptions: "
				"{requiredClaims: [sub]}}]}");
	const struct sg_jwt_auth *j = jwt_of(c);

	assert_int_equal(j->mode, SG_AUTH_STRICT);
	assert_true(j->multi);
	/* the key is provider b's: its issuer and its required claims */
	assert_string_equal(verdict(j, mint("EdDSA", "ed", "{\"iss\":\"b\",\"sub\":\"s\"}")),
			    "ok sub=s");
	assert_string_equal(verdict(j, mint("EdDSA", "ed", "{\"iss\":\"a\",\"sub\":\"s\"}")),
			    "the token is invalid or malformed: Error(InvalidIssuer)");
	assert_string_equal(verdict(j, mint("EdDSA", "ed", "{\"iss\":\"b\",\"exp\":1900000000}")),
			    "the token is invalid or malformed: "
			    "Error(MissingRequiredClaim(\"sub\"))");
	/* a sub that is no string is none (it passed before) */
	assert_string_equal(verdict(j, mint("EdDSA", "ed", "{\"iss\":\"b\",\"sub\":null}")),
			    "the token is invalid or malformed: "
			    "Error(MissingRequiredClaim(\"sub\"))");
	assert_string_equal(verdict(j, mint("EdDSA", "ed", "{\"iss\":\"b\",\"sub\":[\"s\"]}")),
			    "the token is invalid or malformed: "
			    "Error(MissingRequiredClaim(\"sub\"))");
	/* exp not required, but checked when present: it must be a time */
	assert_string_equal(
		verdict(j, mint("EdDSA", "ed", "{\"iss\":\"b\",\"sub\":\"s\",\"exp\":\"soon\"}")),
		"the token is invalid or malformed: Error(InvalidClaimFormat(\"exp\"))");
	assert_int_equal(sg_jwks_count(sg_jwt_keys(j, 0)), 0);
	assert_int_equal(sg_jwks_count(sg_jwt_keys(j, 1)), 5);
	assert_string_equal(sg_jwks_kid(sg_jwt_keys(j, 1), 3), "ed");
	sg_cfg_free(c);
}

static void test_jwt_cache_hits_and_expiry(void **state)
{
	struct sg_jwt_cache *cache = sg_jwt_cache_new();
	struct sg_cfg *other = load(BASIC);
	char tok[4096];
	struct sg_jwt_claims *c1 = NULL, *c2 = NULL, *c3 = NULL;
	struct sg_jwt_result r;
	uint64_t hits, verified, before;

	strcpy(tok, mint("ES256", "ec256",
			 "{" ISS ",\"aud\":\"api\",\"sub\":\"bo\",\"exp\":1800000100}"));
	assert_int_equal(sg_jwt_check(cache, jwt_of(cfg), tok, strlen(tok), NOW, &c1, &r), 0);
	assert_int_equal(sg_jwt_check(cache, jwt_of(cfg), tok, strlen(tok), NOW + 1, &c2, &r), 0);
	assert_ptr_equal(c1, c2);
	assert_string_equal(sg_jwt_claims_sub(c2), "bo");
	assert_string_equal(sg_json_str(sg_json_get(sg_jwt_claims_json(c2), "aud")), "api");
	sg_jwt_cache_counts(cache, &hits, &verified);
	assert_int_equal(hits, 1);
	assert_int_equal(verified, 1);
	/* the same token for another jwtAuth is verified again */
	assert_int_equal(sg_jwt_check(cache, jwt_of(other), tok, strlen(tok), NOW, &c3, &r), 0);
	sg_jwt_cache_counts(cache, &hits, &verified);
	assert_int_equal(verified, 2);
	sg_jwt_claims_put(c3);
	/* a cached token expires as a fresh one does */
	assert_int_equal(sg_jwt_check(cache, jwt_of(cfg), tok, strlen(tok), NOW + 161, &c3, &r),
			 -1);
	assert_int_equal(r.err, SG_JWT_INVALID);
	assert_string_equal(r.detail, "Error(ExpiredSignature)");
	/* a failure is not cached: each check verifies again */
	sg_jwt_cache_counts(cache, &hits, &before);
	tok[strlen(tok) - 2] ^= 1;
	assert_int_equal(sg_jwt_check(cache, jwt_of(cfg), tok, strlen(tok), NOW, &c3, &r), -1);
	assert_int_equal(sg_jwt_check(cache, jwt_of(cfg), tok, strlen(tok), NOW, &c3, &r), -1);
	sg_jwt_cache_counts(cache, &hits, &verified);
	assert_int_equal(verified, before + 2);
	sg_jwt_claims_put(c1);
	sg_jwt_claims_put(c2);
	sg_jwt_cache_free(cache);
	sg_cfg_free(other);
}

/* ---- user/core/authn: locations and stripping ------------------------------------ */

static const char *hdrs[4][2];

static const char *lookup(void *ctx, const char *name, size_t *len)
{
	for (size_t i = 0; i < 4 && hdrs[i][0]; i++)
		if (!strcasecmp(hdrs[i][0], name)) {
			*len = strlen(hdrs[i][1]);
			return hdrs[i][1];
		}
	return NULL;
}

static struct sg_filter_input input(const char *target)
{
	return (struct sg_filter_input){
		.scheme = "http",
		.method = { "GET", 3 },
		.target = { target, strlen(target) },
		.header = lookup,
	};
}

static void test_authn_credential_locations(void **state)
{
	struct sg_cred_location bearer = { SG_CRED_HEADER, "authorization", "Bearer " };
	struct sg_cred_location raw = { SG_CRED_HEADER, "x-token", NULL };
	struct sg_cred_location query = { SG_CRED_QUERY, "access token", NULL };
	struct sg_cred_location cookie = { SG_CRED_COOKIE, "tok", NULL };
	struct sg_filter_input in = input("/p?a=1&access+token=x%2Ey&b");
	struct sg_h1_span out;
	char buf[64];

	hdrs[0][0] = "authorization", hdrs[0][1] = "bEaReR abc";
	hdrs[1][0] = "x-token", hdrs[1][1] = "raw";
	hdrs[2][0] = "cookie", hdrs[2][1] = "a=1; tok=\"c.d\"; z=2";
	assert_true(sg_authn_credential(&bearer, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "abc", 3);
	assert_true(sg_authn_credential(&raw, &in, buf, sizeof(buf), &out));
	assert_memory_equal(out.p, "raw", 3);
	assert_true(sg_authn_credential(&query, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "x.y", 3);
	assert_true(sg_authn_credential(&cookie, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "c.d", 3);
	hdrs[0][1] = "Basic abc"; /* another scheme: no bearer token */
	assert_false(sg_authn_credential(&bearer, &in, buf, sizeof(buf), &out));
	/* ...but a later Authorization line with one: that is the token
	 * (else an optional jwtAuth let it through unverified) */
	{
		struct sg_h1_header lines[] = {
			{ { "Authorization", 13 }, { "Basic abc", 9 } },
			{ { "x-other", 7 }, { "Bearer no", 9 } },
			{ { "authorization", 13 }, { "bearer d.e.f", 12 } },
		};
		struct sg_h1_req req = { .headers = lines, .nheaders = 3 };

		in.req = &req;
		assert_true(sg_authn_credential(&bearer, &in, buf, sizeof(buf), &out));
		assert_int_equal(out.len, 5);
		assert_memory_equal(out.p, "d.e.f", 5);
		lines[2].value = (struct sg_h1_span){ "Basic xyz", 9 };
		assert_false(sg_authn_credential(&bearer, &in, buf, sizeof(buf), &out));
		/* a tab where the prefix has its space: a token all the same
		 * (a lenient backend reads one there) */
		lines[2].value = (struct sg_h1_span){ "Bearer\tg.h.i", 12 };
		assert_true(sg_authn_credential(&bearer, &in, buf, sizeof(buf), &out));
		assert_int_equal(out.len, 5);
		assert_memory_equal(out.p, "g.h.i", 5);
	}
	in = input("/p?b=access+token");
	assert_false(sg_authn_credential(&query, &in, buf, sizeof(buf), &out));
	memset(hdrs, 0, sizeof(hdrs));
}

static void test_authn_strips_what_it_verified(void **state)
{
	struct sg_cfg *c = load("{issuer: https://issuer.example, jwks: '%s', "
				"location: {queryParameter: {name: t}}}");
	struct sg_cfg *ck = load("{issuer: https://issuer.example, jwks: '%s', "
				 "location: {cookie: {name: t}}}");
	char target[4096], cookie[4096];
	const char *tok = mint("EdDSA", "ed", "{" ISS ",\"sub\":\"q\",\"exp\":1900000000}");
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };
	struct sg_filter_input in;
	struct sg_h1_edit e;

	snprintf(target, sizeof(target), "/x?a=1&t=%s&b=2", tok);
	in = input(target);
	assert_int_equal(
		sg_filter_plan_request(&p, &c->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_FORWARD); /* no state: verified, nothing kept */
	in.authn = &a;
	sg_filter_plan_reset(&p);
	assert_int_equal(
		sg_filter_plan_request(&p, &c->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_FORWARD);
	assert_string_equal(sg_jwt_claims_sub(a.jwt), "q");
	sg_filter_request_edit(&p, &e);
	assert_int_equal(e.target.len, strlen("/x?a=1&b=2"));
	assert_memory_equal(e.target.p, "/x?a=1&b=2", e.target.len);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);

	snprintf(cookie, sizeof(cookie), "a=1; t=%s; b=2", tok);
	hdrs[0][0] = "cookie", hdrs[0][1] = cookie;
	in = input("/x");
	in.authn = &a;
	assert_int_equal(
		sg_filter_plan_request(&p, &ck->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_int_equal(p.request.nadd, 1);
	assert_int_equal(p.request.add[0].value.len, strlen("a=1; b=2"));
	assert_memory_equal(p.request.add[0].value.p, "a=1; b=2", p.request.add[0].value.len);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
	/* a bad token: refused with agentgateway's text and a challenge */
	hdrs[0][1] = "t=e30.e30.e30";
	assert_int_equal(
		sg_filter_plan_request(&p, &ck->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_JWT);
	assert_string_equal(p.cause, "the token header is malformed: Error(InvalidAlgorithmName)");
	assert_null(a.jwt);
	assert_int_equal(p.response.nadd, 1);
	assert_memory_equal(p.response.add[0].name.p, "www-authenticate", 16);
	assert_memory_equal(p.response.add[0].value.p, "Bearer", 6);
	sg_filter_plan_reset(&p);
	memset(hdrs, 0, sizeof(hdrs));
	sg_cfg_free(c);
	sg_cfg_free(ck);
}

/* A route's jwtAuth adds its claims to what the request proved before it
 * (a listener's basicAuth, apiKey, extAuthz: the gateway phase), as
 * agentgateway's request extensions keep them; a later token's claims
 * replace an earlier one's. */
static void test_authn_jwt_keeps_what_came_before(void **state)
{
	struct sg_cfg *c = load("{issuer: https://issuer.example, jwks: '%s'}");
	static const struct sg_api_key key = { "k", { 0 }, NULL };
	char bearer[4096];
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW, .basic_user = "alice", .apikey = &key };
	struct sg_filter_input in = input("/x");

	(void)state;
	a.extauthz = sg_json_object();
	in.authn = &a;
	hdrs[0][0] = "authorization";
	hdrs[0][1] = bearer;
	snprintf(bearer, sizeof(bearer), "Bearer %s",
		 mint("EdDSA", "ed", "{" ISS ",\"sub\":\"one\",\"exp\":1900000000}"));
	assert_int_equal(
		sg_filter_plan_request(&p, &c->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_FORWARD);
	assert_string_equal(sg_jwt_claims_sub(a.jwt), "one");
	assert_string_equal(a.basic_user, "alice");
	assert_ptr_equal(a.apikey, &key);
	assert_non_null(a.extauthz);
	sg_filter_plan_reset(&p);
	snprintf(bearer, sizeof(bearer), "Bearer %s",
		 mint("EdDSA", "ed", "{" ISS ",\"sub\":\"two\",\"exp\":1900000000}"));
	assert_int_equal(
		sg_filter_plan_request(&p, &c->binds[0].listeners[0].routes[0].eff_filters, &in),
		SG_FILTER_FORWARD);
	assert_string_equal(sg_jwt_claims_sub(a.jwt), "two");
	assert_string_equal(a.basic_user, "alice");
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
	memset(hdrs, 0, sizeof(hdrs));
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwt_every_algorithm_verifies),
		cmocka_unit_test(test_jwt_refusals),
		cmocka_unit_test(test_jwt_malformed_tokens),
		cmocka_unit_test(test_jwt_refuses_a_nul_in_its_strings),
		cmocka_unit_test(test_jwt_refuses_a_claim_twice),
		cmocka_unit_test(test_jwt_config_refuses_a_bad_jwks),
		cmocka_unit_test(test_jwt_multi_providers_and_required_claims),
		cmocka_unit_test(test_jwt_cache_hits_and_expiry),
		cmocka_unit_test(test_authn_credential_locations),
		cmocka_unit_test(test_authn_strips_what_it_verified),
		cmocka_unit_test(test_authn_jwt_keeps_what_came_before),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
