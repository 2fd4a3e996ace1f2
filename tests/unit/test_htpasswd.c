/* user/auth/htpasswd: Apache's apr1 MD5 against a vector from `openssl
 * passwd -apr1`; users checked with bcrypt and SHA-crypt hashes made here
 * by libcrypt, apr1 and {SHA} ones; the lines refused; and user/core/authn's
 * basicAuth step (credentials, modes, the challenge, agentgateway's
 * texts, stripping). Configs are real YAML. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "policy/failure.h"
#include "user/auth/htpasswd.h"
#include "user/core/authn.h"
#include "user/core/filter.h"
#include "tests/unit/authstep.h"

static void test_htpasswd_apr1_vector(void **state)
{
	char out[64];

	/* printf x | openssl passwd -apr1 -stdin -salt abcdefgh */
	assert_int_equal(sg_apr1_crypt("x", 1, "$apr1$abcdefgh$", out, sizeof(out)), 37);
	assert_string_equal(out, "$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.");
	/* the salt is read up to '$' or 8 characters */
	assert_true(sg_apr1_crypt("x", 1, "$apr1$abcdefghij$zz", out, sizeof(out)) > 0);
	assert_string_equal(out, "$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.");
	assert_int_equal(sg_apr1_crypt("x", 1, "$1$abc$", out, sizeof(out)), -1);
}

static char text[4096];

/* A config whose route has basicAuth over `text` (the htpasswd lines),
 * prepared; NULL with the errors in *err when it does not load. */
static struct sg_cfg *load(const char *mode, char **err)
{
	char yaml[8192], quoted[4096 + 64];
	struct sg_diag d;
	struct sg_cfg *c;
	size_t q = 0;

	for (const char *p = text; *p; p++) { /* a YAML double-quoted string */
		if (*p == '\n') {
			quoted[q++] = '\\';
			quoted[q++] = 'n';
		} else {
			if (*p == '"' || *p == '\\')
				quoted[q++] = '\\';
			quoted[q++] = *p;
		}
	}
	quoted[q] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies:\n        basicAuth: {mode: %s, htpasswd: \"%s\"}\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 mode, quoted);
	sg_diag_init(&d);
	c = sg_cfg_load_text("b.yaml", yaml, &d);
	if (c && sg_htpasswd_prepare(c, &d) < 0) {
		sg_cfg_free(c);
		c = NULL;
	}
	*err = sg_diag_join(&d);
	sg_diag_free(&d);
	return c;
}

/* load() that must succeed. */
static struct sg_cfg *must_load(const char *mode)
{
	char *err;
	struct sg_cfg *c = load(mode, &err);

	assert_string_equal(err, "");
	free(err);
	assert_non_null(c);
	return c;
}

static const struct sg_basic_auth *basic_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.basic;
}

static const char *check(const struct sg_cfg *c, const char *user, const char *pw)
{
	const char *u = sg_htpasswd_check(basic_of(c), user, strlen(user), pw, strlen(pw));

	return u ? u : "-";
}

static void test_htpasswd_formats(void **state)
{
	char bcrypt[128], sha512[128], sha256[128], *err;
	struct sg_cfg *c;

	strcpy(bcrypt, crypt("pw-b", crypt_gensalt("$2b$", 4, NULL, 0)));
	strcpy(sha512, crypt("pw-6", crypt_gensalt("$6$", 0, NULL, 0)));
	strcpy(sha256, crypt("pw-5", crypt_gensalt("$5$", 0, NULL, 0)));
	snprintf(text, sizeof(text),
		 "# users\n\nbob:%s\r\nsix:%s\nfive:%s\nann:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\n"
		 "hal:{SHA}1zulpJ1c34JRp2eSTBZadq7HzbU=\n",
		 bcrypt, sha512, sha256);
	c = load("strict", &err);
	assert_string_equal(err, "");
	free(err);
	assert_non_null(c);
	assert_string_equal(check(c, "bob", "pw-b"), "bob");
	assert_string_equal(check(c, "six", "pw-6"), "six");
	assert_string_equal(check(c, "five", "pw-5"), "five");
	assert_string_equal(check(c, "ann", "x"), "ann");
	assert_string_equal(check(c, "hal", "pw-h"), "hal");
	assert_string_equal(check(c, "bob", "pw-6"), "-");
	assert_string_equal(check(c, "six", ""), "-");
	assert_string_equal(check(c, "ann", "xx"), "-");
	assert_string_equal(check(c, "hal", "pw-"), "-");
	assert_string_equal(check(c, "nobody", "pw-b"), "-");
	assert_string_equal(check(c, "bo", "pw-b"), "-");
	sg_cfg_free(c);
}

/* A user on two lines has the second line's password, as agentgateway's
 * map of users keeps the last. */
static void test_htpasswd_user_twice_last_wins(void **state)
{
	char *err;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "ann:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\n"
		 "ann:{SHA}1zulpJ1c34JRp2eSTBZadq7HzbU=\n");
	c = load("strict", &err);
	assert_string_equal(err, "");
	free(err);
	assert_non_null(c);
	assert_string_equal(check(c, "ann", "pw-h"), "ann");
	assert_string_equal(check(c, "ann", "x"), "-");
	sg_cfg_free(c);
}

static void test_htpasswd_lines_refused(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "bob:plain\n",
		  "line 1: user bob: unsupported hash (bcrypt $2y$, SHA-crypt $5$ or $6$, "
		  "apr1 MD5 $apr1$, {SHA})" },
		{ "ok:{SHA}x\nno-colon\n", "line 2: expected user:hash" },
		{ ":{SHA}x\n", "line 1: expected user:hash" },
		{ "des:abJnggxhB/yWI\n",
		  "line 1: user des: unsupported hash (bcrypt $2y$, SHA-crypt "
		  "$5$ or $6$, apr1 MD5 $apr1$, {SHA})" },
	};
	char want[512], *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(text, cases[i].text);
		assert_null(load("optional", &err));
		snprintf(want, sizeof(want), "b.yaml:6:20: basicAuth: htpasswd: %s\n",
			 cases[i].want);
		assert_string_equal(err, want);
		free(err);
	}
	assert_null(load("permissive", &err)); /* not one of basicAuth's modes */
	free(err);
}

static void test_authn_basic_step(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_cfg *strict, *optional;
	char *err;

	strcpy(text, "ann:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\n");
	strict = load("strict", &err);
	free(err);
	optional = load("optional", &err);
	free(err);
	auth_header = "authorization";
	/* ann:x */
	assert_int_equal(auth_step(strict, &a, &p, "Basic YW5uOng="), SG_FILTER_FORWARD);
	assert_string_equal(a.basic_user, "ann");
	assert_true(sg_header_edit_drops(&p.request, "authorization", 13));
	sg_authn_reset(&a);
	assert_int_equal(auth_step(strict, &a, &p, "basic YW5uOng"),
			 SG_FILTER_FORWARD); /* no padding */
	sg_authn_reset(&a);
	assert_int_equal(auth_step(strict, &a, &p, NULL), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_BASIC);
	assert_string_equal(p.cause, "no basic authentication credentials found");
	assert_int_equal(p.response.nadd, 1);
	assert_memory_equal(p.response.add[0].value.p, "Basic realm=\"Restricted\"",
			    p.response.add[0].value.len);
	/* ann:y, not base64, no colon */
	for (size_t i = 0; i < 3; i++) {
		static const char *bad[] = { "Basic YW5uOnk=", "Basic !!!!", "Basic YW5u" };

		assert_int_equal(auth_step(optional, &a, &p, bad[i]), SG_FILTER_REFUSED);
		assert_string_equal(p.cause, "invalid credentials");
		assert_null(a.basic_user);
	}
	assert_int_equal(auth_step(optional, &a, &p, NULL), SG_FILTER_FORWARD);
	assert_int_equal(auth_step(optional, &a, &p, "Bearer abc"), SG_FILTER_FORWARD);
	sg_filter_plan_reset(&p);
	sg_cfg_free(strict);
	sg_cfg_free(optional);
}

/* Credentials are text: "lat:caf\xe9" (Latin-1) is refused whatever the
 * hash says, as agentgateway refuses what is not UTF-8 (String::from_utf8)
 * before it looks at the user; "utf:café" in UTF-8 passes. */
static void test_authn_basic_not_utf8(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_cfg *c;

	strcpy(text,
	       "lat:{SHA}0vUrxEBomPxyLAtOMU+bRvyFzeQ=\nutf:{SHA}9CRFKpZzkYxvCbDN01sgvo5q59c=\n");
	c = must_load("strict");
	auth_header = "authorization";
	assert_int_equal(auth_step(c, &a, &p, "Basic dXRmOmNhZsOp"), SG_FILTER_FORWARD);
	assert_string_equal(a.basic_user, "utf");
	sg_authn_reset(&a);
	assert_int_equal(auth_step(c, &a, &p, "Basic bGF0OmNhZuk="), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "invalid credentials");
	assert_null(a.basic_user);
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
}

/* Read from Proxy-Authorization, the credentials are the gateway's as a
 * forward proxy's: a refusal is 407 with Proxy-Authenticate (RFC 9110
 * §11.7.1), as agentgateway answers, so that a client that waits for
 * that challenge (a browser, curl --proxy-anyauth) sends them. */
static void test_authn_basic_proxy_challenge(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_cfg *c;

	strcpy(text, "ann:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\n");
	c = must_load("strict, authorizationLocation: {header: {name: Proxy-Authorization, "
		      "prefix: 'Basic '}}");
	auth_header = "proxy-authorization";
	assert_int_equal(auth_step(c, &a, &p, "Basic YW5uOng="), SG_FILTER_FORWARD);
	assert_string_equal(a.basic_user, "ann");
	sg_authn_reset(&a);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(auth_step(c, &a, &p, i ? "Basic YW5uOnk=" : NULL),
				 SG_FILTER_REFUSED);
		assert_int_equal(sg_fail_status(p.refusal), 407);
		assert_string_equal(p.cause, i ? "invalid credentials"
					       : "no basic authentication credentials found");
		assert_int_equal(p.response.nadd, 1);
		assert_memory_equal(p.response.add[0].name.p, "proxy-authenticate", 18);
		assert_memory_equal(p.response.add[0].value.p, "Basic realm=\"Restricted\"",
				    p.response.add[0].value.len);
	}
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
	auth_header = "authorization";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_htpasswd_apr1_vector),
		cmocka_unit_test(test_htpasswd_formats),
		cmocka_unit_test(test_htpasswd_user_twice_last_wins),
		cmocka_unit_test(test_htpasswd_lines_refused),
		cmocka_unit_test(test_authn_basic_step),
		cmocka_unit_test(test_authn_basic_proxy_challenge),
		cmocka_unit_test(test_authn_basic_not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
