/* Unit tests of backendAuth (config/backendauth.c, user/core/backendcred.c)
 * through a real config's plans, route then backend, as a try makes them:
 * the key at the default location (Authorization: Bearer) replacing the
 * client's; at a header with its own prefix, a query parameter (the
 * client's of that name replaced, the value form-encoded) and a cookie
 * (the client's other cookies kept); a backend's own backendAuth over its
 * route's; passthrough sending on the token jwtAuth verified and stripped
 * (no token verified: nothing); a key read from a file, trimmed;
 * oauthTokenExchange's token in place of the subject and actor tokens
 * (user/auth/oauthtoken.c's answers read and kept as agentgateway
 * keeps them); and the shapes refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/jwt.h"
#include "user/auth/jwtsign.h"
#include "user/auth/oauthtoken.h"
#include "user/core/authn.h"
#include "user/core/filter.h"
#include "tests/unit/edtoken.h"

#define NOW 1800000000

static const char *cookie_hdr, *auth_hdr, *exchanged;

static const char *lookup(void *ctx, const char *name, size_t *len)
{
	const char *v = !strcasecmp(name, "cookie")	     ? cookie_hdr
			: !strcasecmp(name, "authorization") ? auth_hdr
							     : NULL;

	(void)ctx;
	if (!v)
		return NULL;
	*len = strlen(v);
	return v;
}

static struct sg_cfg *load(const char *policies, const char *backend_policies)
{
	char text[4096];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies: %s\n"
		 "      backends: [{host: 127.0.0.1:1%s%s}]\n",
		 policies, backend_policies ? ", policies: " : "",
		 backend_policies ? backend_policies : "");
	sg_diag_init(&d);
	c = sg_cfg_load_text("a.yaml", text, &d);
	if (!c || sg_jwt_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

/* The try's plan of GET target for c's first route and backend. */
static enum sg_filter_result try_plan(const struct sg_cfg *c, struct sg_filter_plan *p,
				      struct sg_authn *a, const char *target)
{
	const struct sg_route *r = &c->binds[0].listeners[0].routes[0];
	struct sg_filter_input in = {
		.scheme = "http",
		.method = { "GET", 3 },
		.target = { target, strlen(target) },
		.header = lookup,
		.authn = a,
		.route = r,
		.backend = &r->backends.v[0],
		.exchanged = exchanged,
	};
	enum sg_filter_result res;

	a->now = NOW;
	sg_filter_plan_reset(p);
	res = sg_filter_plan_request(p, &r->eff_filters, &in);
	if (res != SG_FILTER_FORWARD)
		return res;
	return sg_filter_plan_backend(p, &r->backends.v[0].filters, &in);
}

/* The value of the line `name` the backend's request gets added ("" if
 * none), and whether the client's own is dropped. */
static const char *added(const struct sg_filter_plan *p, const char *name, char *buf, size_t cap)
{
	struct sg_h1_edit e;

	sg_filter_request_edit(p, &e);
	buf[0] = '\0';
	for (size_t i = 0; i < e.nadd; i++)
		if (e.add[i].name.len == strlen(name) &&
		    !strncasecmp(e.add[i].name.p, name, e.add[i].name.len))
			snprintf(buf, cap, "%.*s", (int)e.add[i].value.len, e.add[i].value.p);
	return buf;
}

static const char *target_of(const struct sg_filter_plan *p, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.*s", (int)p->target.len, p->target.p ? p->target.p : "");
	return buf;
}

static void test_backendauth_key_locations(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	char buf[512];
	struct sg_cfg *c;

	(void)state;
	auth_hdr = "Bearer client";
	cookie_hdr = "a=1; api=old; b=2";
	c = load("{backendAuth: {key: s3cret}}", NULL);
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "authorization", buf, sizeof(buf)), "Bearer s3cret");
	assert_true(sg_header_edit_drops(&p.request, "authorization", 13));
	sg_cfg_free(c);

	c = load("{backendAuth: {key: {value: k1, location: {header: {name: X-Api-Key, "
		 "prefix: 'Key '}}}, credentials: [{location: {queryParameter: {name: api}}, "
		 "key: 'a b&c'}, {location: {cookie: {name: api}}, key: k3}]}}",
		 NULL);
	assert_int_equal(try_plan(c, &p, &a, "/x?api=client&y=1"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "x-api-key", buf, sizeof(buf)), "Key k1");
	assert_string_equal(added(&p, "authorization", buf, sizeof(buf)), "");
	assert_string_equal(target_of(&p, buf, sizeof(buf)), "/x?y=1&api=a+b%26c");
	/* the client's however it spells the name: a backend decodes it too,
	 * and might read the client's first */
	assert_int_equal(try_plan(c, &p, &a, "/x?ap%69=client&y=1&api"), SG_FILTER_FORWARD);
	assert_string_equal(target_of(&p, buf, sizeof(buf)), "/x?y=1&api=a+b%26c");
	assert_string_equal(added(&p, "cookie", buf, sizeof(buf)), "a=1; b=2; api=k3");
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	sg_cfg_free(c);

	/* a backend's own over its route's */
	c = load("{backendAuth: {key: route}}", "{backendAuth: {key: backend}}");
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "authorization", buf, sizeof(buf)), "Bearer backend");
	sg_cfg_free(c);
	sg_filter_plan_reset(&p);
	auth_hdr = cookie_hdr = NULL;
}

static void test_backendauth_key_file(void **state)
{
	char path[] = "/tmp/sg-backendauth-XXXXXX", pol[256], buf[128];
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	int fd = mkstemp(path);
	struct sg_cfg *c;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "  from-file\n", 12), 12);
	close(fd);
	snprintf(pol, sizeof(pol), "{backendAuth: {key: {file: %s}}}", path);
	c = load(pol, NULL);
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "authorization", buf, sizeof(buf)), "Bearer from-file");
	sg_cfg_free(c);
	sg_filter_plan_reset(&p);
	unlink(path);
}

static void test_backendauth_passthrough(void **state)
{
	char jwks[256], pol[1024], buf[2048], bearer[2100], *tok;
	EVP_PKEY *k = ed_key(jwks, sizeof(jwks));
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_cfg *c;

	(void)state;
	snprintf(pol, sizeof(pol),
		 "{jwtAuth: {mode: optional, issuer: i, jwks: '%s'}, backendAuth: {passthrough: "
		 "{location: {header: {name: x-user-token}}}}}",
		 jwks);
	c = load(pol, NULL);
	tok = ed_mint(k, "{\"iss\":\"i\",\"sub\":\"u\",\"exp\":1800000600}");
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	auth_hdr = bearer;
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "x-user-token", buf, sizeof(buf)), tok);
	assert_true(sg_header_edit_drops(&p.request, "authorization", 13));
	sg_authn_reset(&a);
	auth_hdr = NULL; /* optional: no token, nothing to pass */
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "x-user-token", buf, sizeof(buf)), "");
	sg_authn_reset(&a);
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
	free(tok);
	EVP_PKEY_free(k);
}

/* agentgateway's examples/traffic-jwt-sign demo key (EC P-256), as a
 * YAML double-quoted string's content. */
#define DEMO_KEY                                                                                   \
	"-----BEGIN PRIVATE KEY-----\\n"                                                           \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLzzSCp9GwtSu9U6R\\n"                      \
	"3OIveZe93Vs7jy2IpOT2/Ieu+jWhRANCAASqHIGiZTO9Qgwnm2jKlomX/cRAthGw\\n"                      \
	"Zr+wQ4bp3GVScNiij/+XFnsEzZb2kTx00l5t5H9uEFlVwD6/vZ14TEQu\\n"                              \
	"-----END PRIVATE KEY-----\\n"

/* jwtSign: a token in the Authorization header by default (its header
 * and claims as agentgateway writes them), or where location says; a key
 * of another type than alg's is an error when the config is prepared. */
static void test_backendauth_jwt_sign(void **state)
{
	char pol[1024], buf[2048], want[512], *dot;
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_diag d;
	struct sg_cfg *c;

	(void)state;
	snprintf(pol, sizeof(pol),
		 "{backendAuth: {jwtSign: {signingKey: \"%s\", alg: ES256, kid: demo-key-1, "
		 "claims: {sub: MYACCOUNT, aud: 'http://127.0.0.1:8080', n: 1}, ttl: 60s}}}",
		 DEMO_KEY);
	c = load(pol, NULL);
	sg_diag_init(&d);
	assert_int_equal(sg_jwtsign_prepare(c, &d), 0);
	sg_diag_free(&d);
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	added(&p, "authorization", buf, sizeof(buf));
	/* {"typ":"JWT","alg":"ES256","kid":"demo-key-1"} */
	snprintf(want, sizeof(want), "Bearer %s.",
		 "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiIsImtpZCI6ImRlbW8ta2V5LTEifQ");
	assert_int_equal(strncmp(buf, want, strlen(want)), 0);
	dot = strchr(buf + strlen(want), '.');
	assert_non_null(dot);
	assert_int_equal(strlen(dot + 1), 86); /* r || s, 64 bytes */
	sg_cfg_free(c);

	c = load("{backendAuth: {jwtSign: {signingKey: \"" DEMO_KEY "\", location: "
		 "{queryParameter: {name: token}}}}}",
		 NULL);
	sg_diag_init(&d);
	assert_int_equal(sg_jwtsign_prepare(c, &d), -1); /* RS256 by default: an RSA key */
	assert_non_null(strstr(d.lines[0], "jwtSign.signingKey: alg RS256 signs with an RSA key"));
	sg_diag_free(&d);
	sg_cfg_free(c);
	sg_filter_plan_reset(&p);
}

static void test_backendauth_token_exchange(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	char buf[512];
	struct sg_cfg *c;

	(void)state;
	/* the default locations: the caller's bearer out, the token in */
	auth_hdr = "Bearer caller";
	exchanged = "T1";
	c = load("{backendAuth: {oauthTokenExchange: {host: '127.0.0.1:2'}}}", NULL);
	assert_int_equal(try_plan(c, &p, &a, "/x"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "authorization", buf, sizeof(buf)), "Bearer T1");
	assert_true(sg_header_edit_drops(&p.request, "authorization", 13));
	sg_cfg_free(c);

	/* subject in a cookie, actor in the query: both taken out; the token
	 * in a header of its own, the caller's Authorization left alone */
	cookie_hdr = "a=1; sid=s; b=2";
	c = load("{backendAuth: {oauthTokenExchange: {host: '127.0.0.1:2', subjectToken: "
		 "{source: {cookie: {name: sid}}}, actorToken: {source: {queryParameter: {name: "
		 "act}}}, authorizationLocation: {header: {name: x-up}}}}}",
		 NULL);
	assert_int_equal(try_plan(c, &p, &a, "/x?act=a&y=1"), SG_FILTER_FORWARD);
	assert_string_equal(added(&p, "x-up", buf, sizeof(buf)), "T1");
	assert_string_equal(target_of(&p, buf, sizeof(buf)), "/x?y=1");
	/* the actor token as the exchange read it (%61ct is act): out too */
	assert_int_equal(try_plan(c, &p, &a, "/x?%61ct=a&y=1"), SG_FILTER_FORWARD);
	assert_string_equal(target_of(&p, buf, sizeof(buf)), "/x?y=1");
	assert_string_equal(added(&p, "cookie", buf, sizeof(buf)), "a=1; b=2");
	assert_false(sg_header_edit_drops(&p.request, "authorization", 13));
	/* the only cookie: the line goes */
	cookie_hdr = "sid=s";
	assert_int_equal(try_plan(c, &p, &a, "/x?act=a"), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_string_equal(added(&p, "cookie", buf, sizeof(buf)), "");
	assert_string_equal(target_of(&p, buf, sizeof(buf)), "/x");
	sg_cfg_free(c);
	sg_filter_plan_reset(&p);
	auth_hdr = cookie_hdr = exchanged = NULL;
}

/* The token endpoint's answers, as agentgateway reads them. */
static void test_backendauth_token_answers(void **state)
{
	char why[256], *tok;
	int64_t exp;

	(void)state;
	assert_int_equal(sg_oauth_token_answer(200,
					       "{\"access_token\":\"a\",\"token_type\":\"bearer\","
					       "\"expires_in\":60}",
					       NULL, &tok, &exp, why, sizeof(why)),
			 0);
	assert_string_equal(tok, "a");
	assert_int_equal(exp, 60);
	free(tok);
	assert_int_equal(sg_oauth_token_answer(200,
					       "{\"access_token\":\"a\",\"token_type\":\"Bearer\","
					       "\"expires_in\":1e300}",
					       NULL, &tok, &exp, why, sizeof(why)),
			 0);
	assert_int_equal(exp, 1000000000000); /* bounded, not a cast of 1e300 */
	free(tok);
	assert_int_equal(sg_oauth_token_answer(400, "{}", NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_INVALID_REQUEST);
	assert_int_equal(sg_oauth_token_answer(403, "{}", NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	assert_string_equal(why, "token exchange returned status 403 Forbidden");
	assert_int_equal(sg_oauth_token_answer(599, "{}", NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	/* an unassigned code as agentgateway prints it, where it was "(null)" */
	assert_string_equal(why, "token exchange returned status 599 <unknown status code>");
	/* the token goes into an Authorization header: a CR LF in it would
	 * start lines of the endpoint's choosing on the backend's request */
	assert_int_equal(sg_oauth_token_answer(200,
					       "{\"access_token\":\"tok\\r\\nx-smuggled: yes\","
					       "\"token_type\":\"Bearer\"}",
					       NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	assert_null(tok);
	assert_string_equal(why, "token exchange response's access_token holds a byte outside "
				 "%x20-7E (RFC 6749 A.12)");
	assert_int_equal(sg_oauth_token_answer(200, "{\"access_token\":\"a\"}", NULL, &tok, &exp,
					       why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	assert_string_equal(why, "token exchange response missing token_type");
	assert_int_equal(sg_oauth_token_answer(200,
					       "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
					       NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	assert_string_equal(why, "token exchange response contained an empty access_token");
	assert_int_equal(sg_oauth_token_answer(200,
					       "{\"access_token\":\"a\",\"token_type\":\"Bearer\","
					       "\"issued_token_type\":\"urn:x:a\"}",
					       "urn:x:b", &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);
	assert_string_equal(why,
			    "token exchange returned issued_token_type urn:x:a, expected urn:x:b");
	assert_int_equal(sg_oauth_token_answer(200, "[1]", NULL, &tok, &exp, why, sizeof(why)),
			 SG_FAIL_BACKEND_AUTH);

	/* kept until 15 s before expiry; the default ttl without expires_in;
	 * never past the subject JWT's exp ({"exp":1000} here) */
	assert_int_equal(sg_oauth_token_keep_ms(60, 300000, "opaque", 6, 900), 45000);
	assert_int_equal(sg_oauth_token_keep_ms(-1, 300000, "opaque", 6, 900), 285000);
	assert_int_equal(sg_oauth_token_keep_ms(10, 300000, "opaque", 6, 900), 0);
	assert_int_equal(sg_oauth_token_keep_ms(3600, 300000, "e30.eyJleHAiOjEwMDB9.s", 23, 900),
			 85000);
	assert_int_equal(sg_oauth_token_keep_ms(3600, 300000, "e30.eyJleHAiOjEwMDB9.s", 23, 990),
			 0);
}

static void refused(const char *pol, const char *want)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies: {backendAuth: "
		 "%s}\n      backends: [{host: 127.0.0.1:1}]\n",
		 pol);
	refused_text(text, want);
}

static void test_backendauth_refused(void **state)
{
	(void)state;
	refused("{gcp: {}}", "backendAuth.gcp: not supported (a cloud-provider key)");
	refused("{aws: {}}", "backendAuth.aws: not supported (a cloud-provider key)");
	refused("{crossAppAccess: {}}", "backendAuth.crossAppAccess: not supported "
					"(backend credentials from a token service)");
	refused("{oauthTokenExchange: {}}",
		"backendAuth.oauthTokenExchange: missing required field \"host\"");
	refused("{oauthTokenExchange: {host: 'a:1', service: {name: x, port: 1}}}",
		"oauthTokenExchange.service: not supported (give the token endpoint as host");
	refused("{oauthTokenExchange: {host: 'a:1', path: token}}",
		"oauthTokenExchange.path: expected a path that starts with /");
	refused("{oauthTokenExchange: {host: 'a:1', grantType: jwtBearer, actorToken: {source: "
		"{header: {name: x}}}}}",
		"oauthTokenExchange.actorToken: only valid with the token-exchange grant");
	refused("{oauthTokenExchange: {host: 'a:1', actorToken: {tokenType: 'urn:x:y'}}}",
		"actorToken: missing required field \"source\"");
	refused("{oauthTokenExchange: {host: 'a:1', actorToken: {source: {header: {name: x}}, "
		"enforceMayAct: true}}}",
		"actorToken.enforceMayAct: not supported (the subject's may_act claim is not "
		"checked)");
	refused("{oauthTokenExchange: {host: 'a:1', requestedTokenType: "
		"'urn:ietf:params:oauth:token-type:id-jag'}}",
		"requestedTokenType: not supported (requestedTokenType id-jag is only supported by "
		"backendAuth.crossAppAccess)");
	refused("{oauthTokenExchange: {host: 'a:1', subjectToken: {tokenType: access_token}}}",
		"subjectToken.tokenType: expected a token type URN");
	refused("{oauthTokenExchange: {host: 'a:1', clientAuth: {clientId: c}}}",
		"clientAuth.clientSecret: expected a client secret");
	refused("{oauthTokenExchange: {host: 'a:1', subjectToken: {source: {expression: x}}}}",
		"CEL expressions are not supported");
	refused("{oauthTokenExchange: {host: 'a:1'}, key: k}",
		"backendAuth: one of passthrough, key, jwtSign or oauthTokenExchange");
	refused("{jwtSign: {}}", "backendAuth.jwtSign: missing required field \"signingKey\"");
	refused("{jwtSign: {signingKey: k, claims: {exp: 1}}}",
		"backendAuth.jwtSign.claims.exp: the claim is reserved for the signer and cannot "
		"be configured");
	refused("{jwtSign: {signingKey: k, ttl: 500ms}}",
		"backendAuth.jwtSign.ttl: jwtSign ttl must be at least one second");
	refused("{jwtSign: {signingKey: k, alg: HS256}}",
		"backendAuth.jwtSign.alg: expected RS256, RS384, RS512, PS256, ES256 or ES384");
	refused("{passthrough: {}, key: k}",
		"backendAuth: one of passthrough, key, jwtSign or oauthTokenExchange");
	refused("{}", "expected passthrough, key, jwtSign, oauthTokenExchange or credentials");
	refused("{key: {value: k, location: {expression: 'x'}}}",
		"CEL expressions are not supported");
	refused("{credentials: [{key: k}]}", "location");
	refused("{key: ''}", "expected a secret of one line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backendauth_key_locations),
		cmocka_unit_test(test_backendauth_key_file),
		cmocka_unit_test(test_backendauth_passthrough),
		cmocka_unit_test(test_backendauth_jwt_sign),
		cmocka_unit_test(test_backendauth_token_exchange),
		cmocka_unit_test(test_backendauth_token_answers),
		cmocka_unit_test(test_backendauth_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
