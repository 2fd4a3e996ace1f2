/* Unit tests of OIDC login (user/auth/oidc.c, user/core/oidcflow.c' step, the
 * oidc policy's keys in config/oidcconf.c): the sealed cookies and the JSON in
 * them, PKCE against RFC 7636's vector, the cookie names, the return path,
 * the discovery document and token answer; then a real config's filter
 * plan (explicit provider, an Ed25519 JWKS made here): a login's 302 and
 * transaction cookie, its callback checked (deferred to the exchange, or
 * refused with agentgateway's words), a session verified with its claims
 * kept and the agw_oidc_ cookies stripped, an expired one sent to log in,
 * a preflight passed; and the config's rules refused by name. The code
 * exchange itself runs in e2e (http-auth-oidc) against a real provider. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/jwt.h"
#include "user/auth/oidc.h"
#include "user/base/base64url.h"
#include "user/base/json.h"
#include "user/core/authn.h"
#include "user/core/filter.h"
#include "user/core/oidcflow.h"
#include "tests/unit/edtoken.h"

#define NOW 1800000000 /* Unix seconds, every case's clock */
#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct sg_oidc_key key;

static void test_oidc_key(void **state)
{
	struct sg_oidc_key k;
	char err[200];

	(void)state;
	assert_int_equal(sg_oidc_key_parse(" " SECRET "\n", &k, err, sizeof(err)), 0);
	assert_int_equal(k.k[0], 0x00);
	assert_int_equal(k.k[1], 0x11);
	assert_int_equal(k.k[31], 0xff);
	assert_int_equal(sg_oidc_key_parse("abcd", &k, err, sizeof(err)), -1);
	assert_string_equal(err, "expected 32 bytes (64 hex characters, e.g. `openssl rand -hex "
				 "32`), got 4 characters");
	assert_int_equal(sg_oidc_key_parse("zz112233445566778899aabbccddeeff00112233445566778899a"
					   "abbccddeeff",
					   &k, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "not hexadecimal at character 1");
}

static void test_oidc_seal_open(void **state)
{
	struct sg_oidc_key other = key;
	char *s = sg_oidc_seal(&key, "{\"a\":1}", 7), *o, *t;
	size_t n = 0, len;

	(void)state;
	assert_non_null(s);
	len = strlen(s);
	/* base64 of a 12-byte nonce, 7 bytes, a 16-byte tag */
	assert_int_equal(len, 4 * ((12 + 7 + 16 + 2) / 3));
	o = sg_oidc_open(&key, s, len, &n);
	assert_non_null(o);
	assert_int_equal(n, 7);
	assert_string_equal(o, "{\"a\":1}");
	free(o);
	t = strdup(s);
	t[20] = t[20] == 'A' ? 'B' : 'A'; /* one ciphertext or nonce bit */
	assert_null(sg_oidc_open(&key, t, len, &n));
	other.k[0] ^= 1;
	assert_null(sg_oidc_open(&other, s, len, &n));
	assert_null(sg_oidc_open(&key, "!!!!", 4, &n));
	assert_null(sg_oidc_open(&key, "AAAA", 4, &n)); /* shorter than nonce + tag */
	free(t);
	t = sg_oidc_seal(&key, "{\"a\":1}", 7);
	assert_string_not_equal(t, s); /* a new nonce each time */
	free(t);
	free(s);
}

static void test_oidc_pkce_and_names(void **state)
{
	char ch[44], s[SG_OIDC_NAME_CHARS], t[SG_OIDC_NAME_CHARS], r[SG_OIDC_VERIFIER_CHARS];

	(void)state;
	/* RFC 7636 appendix B */
	sg_oidc_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch);
	assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	/* SHA-256("route/x") begins 07a56ffb5d373de6 */
	sg_oidc_cookie_names("route/x", s, t);
	assert_string_equal(s, "agw_oidc_s_07a56ffb5d373de6");
	assert_string_equal(t, "agw_oidc_t_07a56ffb5d373de6");
	sg_oidc_random(r, 32);
	assert_int_equal(strlen(r), 43);
	assert_int_equal(
		strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	sg_oidc_random(r, 16);
	assert_int_equal(strlen(r), 22);
}

static void test_oidc_return_path(void **state)
{
	static const struct {
		const char *t;
		bool ok;
	} cases[] = {
		{ "/", true },		 { "/a/b?c=d&e", true }, { "//evil.example/", false },
		{ "/\\evil", false },	 { "/%2Fevil", false },	 { "/%5Cevil", false },
		{ "https://x/", false }, { "", false },		 { "/%2", true },
	};
	char cookie[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sg_oidc_local_target(cases[i].t, strlen(cases[i].t)), cases[i].ok);
	assert_int_equal(sg_oidc_set_cookie(cookie, sizeof(cookie), "n", "v", true, 300), 56);
	assert_string_equal(cookie, "n=v; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=300");
	assert_int_equal(sg_oidc_set_cookie(cookie, 10, "n", "v", true, 300), -1);
}

static void test_oidc_json(void **state)
{
	const struct sg_oidc_txn t = { "route/x", "id1", "c1", "n1", "v1", "/back?x=1", NOW + 300 };
	const struct sg_oidc_session s = { "route/x", "a.b.c", NOW + 60, NULL };
	struct sg_oidc_txn t2;
	struct sg_oidc_session s2;
	char *json = sg_oidc_txn_encode(&t), *id, *csrf, *st;

	(void)state;
	assert_string_equal(json, "{\"policyId\":\"route/x\",\"transactionId\":\"id1\","
				  "\"csrfState\":\"c1\",\"nonce\":\"n1\",\"pkceVerifier\":\"v1\","
				  "\"originalUri\":\"/back?x=1\",\"expiresAtUnix\":1800000300}");
	assert_int_equal(sg_oidc_txn_decode(json, &t2), 0);
	assert_string_equal(t2.original, "/back?x=1");
	assert_string_equal(t2.verifier, "v1");
	assert_int_equal(t2.expires, NOW + 300);
	sg_oidc_txn_free(&t2);
	free(json);
	assert_int_equal(sg_oidc_txn_decode("{\"policyId\":\"route/x\"}", &t2), -1);
	assert_int_equal(sg_oidc_txn_decode("[1]", &t2), -1);
	json = sg_oidc_session_encode(&s);
	assert_string_equal(json, "{\"policyId\":\"route/x\",\"rawIdToken\":\"a.b.c\","
				  "\"expiresAtUnix\":1800000060}");
	assert_int_equal(sg_oidc_session_decode(json, &s2), 0);
	assert_string_equal(s2.id_token, "a.b.c");
	assert_int_equal(s2.expires, NOW + 60);
	sg_oidc_session_free(&s2);
	free(json);
	st = sg_oidc_state_encode("id1", "c1");
	/* base64url of {"transactionId":"id1","csrfState":"c1"} */
	assert_string_equal(st, "eyJ0cmFuc2FjdGlvbklkIjoiaWQxIiwiY3NyZlN0YXRlIjoiYzEifQ");
	assert_int_equal(sg_oidc_state_decode(st, strlen(st), &id, &csrf), 0);
	assert_string_equal(id, "id1");
	assert_string_equal(csrf, "c1");
	free(id);
	free(csrf);
	free(st);
	assert_int_equal(sg_oidc_state_decode("bm90LWpzb24", 11, &id, &csrf), -1);
	assert_int_equal(sg_oidc_state_decode("*", 1, &id, &csrf), -1);
}

static void test_oidc_provider_documents(void **state)
{
	static const char ok[] =
		"{\"issuer\":\"https://idp\",\"authorization_endpoint\":\"https://idp/auth\","
		"\"token_endpoint\":\"https://idp/token\",\"jwks_uri\":\"https://idp/jwks\"}";
	struct sg_oidc_discovered d;
	char err[300];
	char *tok;

	(void)state;
	assert_int_equal(sg_oidc_discovery_parse(ok, strlen(ok), "https://idp", &d, err, 300), 0);
	assert_string_equal(d.authorization_endpoint, "https://idp/auth");
	assert_string_equal(d.token_endpoint, "https://idp/token");
	assert_string_equal(d.jwks_uri, "https://idp/jwks");
	assert_false(d.post); /* no methods listed: client_secret_basic */
	sg_oidc_discovered_free(&d);
	assert_int_equal(sg_oidc_discovery_parse(ok, strlen(ok), "https://other", &d, err, 300),
			 -1);
	assert_string_equal(err, "oidc discovery issuer mismatch: expected https://other, got "
				 "https://idp");
	{
		static const char post[] =
			"{\"issuer\":\"i\",\"authorization_endpoint\":\"http://"
			"a\",\"token_endpoint\":"
			"\"http://t\",\"jwks_uri\":\"http://j\",\"token_endpoint_auth_methods_"
			"supported\":[\"private_key_jwt\",\"client_secret_post\"]}";
		static const char none[] =
			"{\"issuer\":\"i\",\"authorization_endpoint\":\"http://"
			"a\",\"token_endpoint\":"
			"\"http://t\",\"jwks_uri\":\"http://j\",\"token_endpoint_auth_methods_"
			"supported\":[\"private_key_jwt\"]}";
		static const char no_jwks[] = "{\"issuer\":\"i\",\"authorization_endpoint\":"
					      "\"http://a\",\"token_endpoint\":\"http://t\"}";
		static const char ftp[] = "{\"issuer\":\"i\",\"authorization_endpoint\":\"ftp://"
					  "a\",\"token_endpoint\":"
					  "\"http://t\",\"jwks_uri\":\"http://j\"}";

		assert_int_equal(sg_oidc_discovery_parse(post, strlen(post), "i", &d, err, 300), 0);
		assert_true(d.post);
		sg_oidc_discovered_free(&d);
		assert_int_equal(sg_oidc_discovery_parse(none, strlen(none), "i", &d, err, 300),
				 -1);
		assert_string_equal(err, "token endpoint auth methods must include "
					 "client_secret_basic or client_secret_post");
		assert_int_equal(
			sg_oidc_discovery_parse(no_jwks, strlen(no_jwks), "i", &d, err, 300), -1);
		assert_string_equal(err, "no jwks_uri");
		assert_int_equal(sg_oidc_discovery_parse(ftp, strlen(ftp), "i", &d, err, 300), -1);
		assert_string_equal(err, "invalid authorization_endpoint: ftp://a");
		assert_int_equal(sg_oidc_discovery_parse("<html>", 6, "i", &d, err, 300), -1);
		assert_string_equal(err, "not a JSON object");
	}
	tok = sg_oidc_token_answer("{\"access_token\":\"x\",\"id_token\":\"h.p.s\"}", 39);
	assert_string_equal(tok, "h.p.s");
	free(tok);
	assert_null(sg_oidc_token_answer("{\"access_token\":\"x\"}", 20));
}

/* ---- a real config's plan -------------------------------------------------- */

static EVP_PKEY *ed;
static struct sg_cfg *cfg;
static const struct sg_filters *filters;
static char cookie_hdr[8192];
static const char *origin_hdr, *acrm_hdr;

static const char *lookup(void *ctx, const char *name, size_t *len)
{
	const char *v = !strcasecmp(name, "cookie")			     ? cookie_hdr
			: !strcasecmp(name, "origin")			     ? origin_hdr
			: !strcasecmp(name, "access-control-request-method") ? acrm_hdr
									     : NULL;

	(void)ctx;
	if (!v || !*v)
		return NULL;
	*len = strlen(v);
	return v;
}

static int setup(void **state)
{
	char jwks[256], text[2048];
	struct sg_diag d;
	char err[100];

	(void)state;
	assert_int_equal(sg_oidc_key_parse(SECRET, &key, err, sizeof(err)), 0);
	ed = ed_key(jwks, sizeof(jwks));
	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - name: app\n"
		 "      policies:\n        oidc:\n          issuer: https://idp.example\n"
		 "          authorizationEndpoint: https://idp.example/authorize?tenant=t\n"
		 "          tokenEndpoint: https://idp.example/token\n"
		 "          jwks: '%s'\n"
		 "          clientId: web\n          clientSecret: s\n"
		 "          redirectURI: https://app.example/cb\n"
		 "          scopes: [email, openid, email]\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 jwks);
	setenv("OIDC_COOKIE_SECRET", SECRET, 1);
	sg_diag_init(&d);
	cfg = sg_cfg_load_text("a.yaml", text, &d);
	if (!cfg || sg_oidc_prepare(cfg, &d) < 0 || sg_jwt_prepare(cfg, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	filters = &cfg->binds[0].listeners[0].routes[0].eff_filters;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sg_cfg_free(cfg);
	EVP_PKEY_free(ed);
	return 0;
}

/* The plan of `method target` with the cookie header set beforehand. */
static enum sg_filter_result plan(struct sg_filter_plan *p, struct sg_authn *a, const char *method,
				  const char *target)
{
	struct sg_filter_input in = {
		.scheme = "https",
		.method = { method, strlen(method) },
		.target = { target, strlen(target) },
		.header = lookup,
		.authn = a,
	};

	a->now = NOW;
	sg_filter_plan_reset(p);
	return sg_filter_plan_request(p, filters, &in);
}

/* The response line `name` of p's answer ("" if none). */
static const char *answer_line(struct sg_filter_plan *p, const char *name, char *buf, size_t cap)
{
	struct sg_h1_edit e;

	sg_filter_response_edit(p, &e);
	for (size_t i = 0; i < e.nadd; i++)
		if (e.add[i].name.len == strlen(name) &&
		    !strncasecmp(e.add[i].name.p, name, e.add[i].name.len)) {
			snprintf(buf, cap, "%.*s", (int)e.add[i].value.len, e.add[i].value.p);
			return buf;
		}
	return "";
}

/* The query parameter `name` of url into out. */
static void param(const char *url, const char *name, char *out, size_t cap)
{
	char k[64];
	const char *at;

	snprintf(k, sizeof(k), "%s=", name);
	at = strstr(url, k);
	assert_non_null(at);
	at += strlen(k);
	snprintf(out, cap, "%.*s", (int)strcspn(at, "&"), at);
}

static void test_oidc_login_then_callback(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	char loc[4096], set[4096], st[512], ch[64], tc[4096], target[1024], *json;
	const char *eq;
	struct sg_oidc_txn t;
	size_t n;

	(void)state;
	cookie_hdr[0] = '\0';
	assert_int_equal(plan(&p, &a, "GET", "/page?x=1"), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 302);
	answer_line(&p, "location", loc, sizeof(loc));
	{
		static const char want[] =
			"https://idp.example/authorize?tenant=t&response_type=code&client_id=web&"
			"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid+email&state=";

		assert_int_equal(strncmp(loc, want, strlen(want)), 0);
	}
	assert_non_null(strstr(loc, "&code_challenge_method=S256"));
	answer_line(&p, "set-cookie", set, sizeof(set));
	assert_int_equal(strncmp(set, "agw_oidc_t_", 11), 0);
	assert_non_null(strstr(set, "; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=300"));
	/* what the transaction cookie holds */
	eq = strchr(set, '=');
	snprintf(tc, sizeof(tc), "%.*s", (int)(strchr(set, ';') - eq - 1), eq + 1);
	json = sg_oidc_open(&key, tc, strlen(tc), &n);
	assert_non_null(json);
	assert_int_equal(sg_oidc_txn_decode(json, &t), 0);
	free(json);
	assert_string_equal(t.original, "/page?x=1");
	assert_int_equal(t.expires, NOW + 300);
	param(loc, "code_challenge", ch, sizeof(ch));
	{
		char want[44];

		sg_oidc_challenge(t.verifier, want);
		assert_string_equal(ch, want);
	}
	param(loc, "state", st, sizeof(st));

	/* the callback with that cookie: deferred to the exchange */
	snprintf(cookie_hdr, sizeof(cookie_hdr), "other=1; %.*s", (int)(strchr(set, ';') - set),
		 set);
	snprintf(target, sizeof(target), "/cb?state=%s&code=c%%2B1&iss=x", st);
	assert_int_equal(plan(&p, &a, "GET", target), SG_FILTER_DEFER);
	assert_non_null(a.exchange);
	sg_authn_reset(&a);
	assert_null(a.exchange);

	/* refusals, in agentgateway's words */
	snprintf(target, sizeof(target), "/cb?state=%s&error=access_denied", st);
	assert_int_equal(plan(&p, &a, "GET", target), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_OIDC);
	assert_string_equal(p.cause, "oidc provider returned callback error 'access_denied'");
	{
		char *forged = sg_oidc_state_encode(t.id, "nope");

		snprintf(target, sizeof(target), "/cb?state=%s&code=c", forged);
		free(forged);
	}
	assert_int_equal(plan(&p, &a, "GET", target), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "csrf mismatch");
	snprintf(target, sizeof(target), "/cb?state=%s&code=c", st);
	a.now = NOW + 301;
	{
		struct sg_filter_input in = {
			.scheme = "https",
			.method = { "GET", 3 },
			.target = { target, strlen(target) },
			.header = lookup,
			.authn = &a,
		};

		sg_filter_plan_reset(&p);
		assert_int_equal(sg_filter_plan_request(&p, filters, &in), SG_FILTER_REFUSED);
		assert_string_equal(p.cause, "invalid transaction");
	}
	cookie_hdr[0] = '\0';
	assert_int_equal(plan(&p, &a, "GET", target), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "missing transaction");
	assert_int_equal(plan(&p, &a, "GET", "/cb?state=bm90&code=c"), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "invalid callback");
	/* not a callback (no code, no error), or not GET: a login */
	snprintf(target, sizeof(target), "/cb?state=%s", st);
	assert_int_equal(plan(&p, &a, "GET", target), SG_FILTER_ANSWER);
	snprintf(target, sizeof(target), "/cb?state=%s&code=c", st);
	assert_int_equal(plan(&p, &a, "POST", target), SG_FILTER_ANSWER);
	sg_oidc_txn_free(&t);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

/* A cookie header with other=1, the session of token `tok` expiring at
 * `expires`, and a stray transaction cookie. */
static void session_cookie(const char *tok, int64_t expires)
{
	const struct sg_oidc_session s = { filters->oidc->policy_id, tok, expires, NULL };
	const struct sg_oidc_ready *rd = filters->oidc->rt->p;
	char *json, *sealed;

	json = sg_oidc_session_encode(&s);
	sealed = sg_oidc_seal(&key, json, strlen(json));
	snprintf(cookie_hdr, sizeof(cookie_hdr), "other=1; %s=%s; %s.x=y", rd->session_cookie,
		 sealed, rd->txn_prefix);
	free(json);
	free(sealed);
}

static void test_oidc_session(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_h1_edit e;
	char *tok =
		ed_mint(ed, "{\"iss\":\"https://idp.example\",\"aud\":\"web\",\"sub\":\"alice\","
			    "\"email\":\"a@example.com\",\"exp\":1800000600}");
	char *wrong =
		ed_mint(ed, "{\"iss\":\"https://idp.example\",\"aud\":\"other\",\"sub\":\"x\","
			    "\"exp\":1800000600}");

	(void)state;
	session_cookie(tok, NOW + 600);
	assert_int_equal(plan(&p, &a, "GET", "/page"), SG_FILTER_FORWARD);
	assert_non_null(a.jwt);
	assert_string_equal(sg_json_str(sg_json_get(sg_jwt_claims_json(a.jwt), "email")),
			    "a@example.com");
	sg_filter_request_edit(&p, &e);
	assert_true(e.drops(e.arg, "cookie", 6));
	assert_int_equal(e.nadd, 1);
	assert_memory_equal(e.add[0].name.p, "cookie", 6);
	assert_int_equal(e.add[0].value.len, 7);
	assert_memory_equal(e.add[0].value.p, "other=1", 7);
	sg_authn_reset(&a);

	session_cookie(tok, NOW); /* the session's own expiry passed */
	assert_int_equal(plan(&p, &a, "GET", "/page"), SG_FILTER_ANSWER);
	session_cookie(wrong, NOW + 600); /* another audience's token */
	assert_int_equal(plan(&p, &a, "GET", "/page"), SG_FILTER_ANSWER);
	cookie_hdr[0] = '\0';
	origin_hdr = "https://x.example";
	acrm_hdr = "GET";
	assert_int_equal(plan(&p, &a, "OPTIONS", "/page"), SG_FILTER_FORWARD);
	acrm_hdr = "";
	assert_int_equal(plan(&p, &a, "OPTIONS", "/page"), SG_FILTER_ANSWER);
	origin_hdr = acrm_hdr = NULL;
	free(tok);
	free(wrong);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

/* The config's rules: each refused by name. */
static void refused(const char *oidc, const char *want)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies:\n"
		 "        oidc: {issuer: https://i, clientId: c, clientSecret: s, %s}\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 oidc);
	refused_text(text, want);
}

static void test_oidc_config_rules(void **state)
{
	(void)state;
	refused("redirectURI: https://a/", "expected a URL with an explicit, non-root path");
	refused("redirectURI: https://a", "expected a URL with an explicit, non-root path");
	refused("redirectURI: https://a/cb?x=1", "expected a URL without query parameters");
	refused("redirectURI: 'https://a/cb#f'", "expected a URL without a fragment");
	refused("redirectURI: https://u@a/cb", "expected a URL without userinfo");
	refused("redirectURI: https://a/x/../cb", "expected a path without dot segments");
	refused("redirectURI: https://a/x%2Fcb", "expected a path without dot segments or encoded");
	refused("redirectURI: ftp://a/cb", "expected an http or https URL");
	refused("redirectURI: https://a/cb, tokenEndpoint: https://i/t",
		"authorizationEndpoint, tokenEndpoint, and jwks must either all be set or all be "
		"omitted");
	refused("redirectURI: https://a/cb, tokenEndpointAuth: clientSecretPost",
		"tokenEndpointAuth must be omitted unless authorizationEndpoint, tokenEndpoint, "
		"and jwks are configured explicitly");
	refused("redirectURI: https://a/cb, authorizationEndpoint: https://i/a, tokenEndpoint: "
		"https://i/t, jwks: {url: https://i/j}, discovery: {url: https://i/d}",
		"oidc discovery must be omitted when authorizationEndpoint");
	refused("redirectURI: https://a/cb, tokenEndpointAuth: basic",
		"expected clientSecretBasic or clientSecretPost");
	refused("redirectURI: https://a/cb, scopes: ['a b']", "expected a scope without spaces");
	refused("redirectURI: https://a/cb, cookieName: x", "cookieName");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oidc_key),
		cmocka_unit_test(test_oidc_seal_open),
		cmocka_unit_test(test_oidc_pkce_and_names),
		cmocka_unit_test(test_oidc_return_path),
		cmocka_unit_test(test_oidc_json),
		cmocka_unit_test(test_oidc_provider_documents),
		cmocka_unit_test(test_oidc_login_then_callback),
		cmocka_unit_test(test_oidc_session),
		cmocka_unit_test(test_oidc_config_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
