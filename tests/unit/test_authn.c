/* Unit tests of user/core/authn.c beyond each credential's own check
 * (test_jwt, test_apikey, test_htpasswd): where a credential is found (a
 * header and its prefix, a form-encoded query parameter, a quoted cookie,
 * a value too long to decode) and exactly what the backend then gets
 * without it (the target, the Cookie line), through the apiKey step of a
 * real config's filter plan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/apikey.h"
#include "user/core/authn.h"
#include "user/core/filter.h"

/* The request's headers, name and value, up to 4. */
static const char *hdrs[4][2];

static const char *lookup(void *ctx, const char *name, size_t *len)
{
	(void)ctx;
	for (size_t i = 0; i < 4 && hdrs[i][0]; i++)
		if (!strcasecmp(hdrs[i][0], name)) {
			*len = strlen(hdrs[i][1]);
			return hdrs[i][1];
		}
	return NULL;
}

static struct sg_filter_input input(const char *target, struct sg_authn *a)
{
	return (struct sg_filter_input){
		.scheme = "http",
		.method = { "GET", 3 },
		.target = { target, strlen(target) },
		.header = lookup,
		.authn = a,
	};
}

/* A config whose one route has apiKey with key "k 1" and `location`. */
static struct sg_cfg *load(const char *location)
{
	char text[1024];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies:\n        apiKey: {mode: strict, location: %s, keys: [{key: k "
		 "1}]}\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 location);
	sg_diag_init(&d);
	c = sg_cfg_load_text("a.yaml", text, &d);
	if (!c || sg_apikey_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static enum sg_filter_result step(const struct sg_cfg *c, struct sg_filter_plan *p,
				  const char *target)
{
	struct sg_authn a = { 0 };
	struct sg_filter_input in = input(target, &a);
	enum sg_filter_result r;

	sg_filter_plan_reset(p);
	r = sg_filter_plan_request(p, &c->binds[0].listeners[0].routes[0].eff_filters, &in);
	sg_authn_reset(&a);
	return r;
}

/* The target the backend gets after the plan p. */
static void target_is(struct sg_filter_plan *p, const char *want)
{
	struct sg_h1_edit e;

	sg_filter_request_edit(p, &e);
	assert_non_null(e.target.p);
	assert_int_equal(e.target.len, strlen(want));
	assert_memory_equal(e.target.p, want, e.target.len);
}

static void test_authn_header_prefix_is_case_blind(void **state)
{
	struct sg_cred_location loc = { SG_CRED_HEADER, "authorization", "Bearer " };
	struct sg_filter_input in = input("/", NULL);
	struct sg_h1_span out;
	char buf[16];

	(void)state;
	hdrs[0][0] = "Authorization", hdrs[0][1] = "BEARER tok";
	assert_true(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "tok", 3);
	hdrs[0][1] = "Bear"; /* shorter than the prefix */
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	hdrs[0][0] = NULL;
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
}

/* A query value is form-decoded into buf; one that does not fit is given
 * as sent (longer than cap, so a check against it fails); a key without
 * '=' is an empty value. */
static void test_authn_query_decoding(void **state)
{
	struct sg_cred_location loc = { SG_CRED_QUERY, "k", NULL };
	struct sg_filter_input in = input("/p?x=1&k=a+b%2fc&k=second", NULL);
	struct sg_h1_span out;
	char buf[8];

	(void)state;
	assert_true(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.p, "a b/c", 5); /* the first one */
	in = input("/p?k=0123456789abcdef", NULL);
	assert_true(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 16);
	assert_memory_equal(out.p, "0123456789abcdef", 16);
	in = input("/p?a&k", NULL);
	assert_true(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 0);
	in = input("/p?kk=1&K=2", NULL);
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	in = input("/p", NULL);
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
}

/* Cookies are split on ';' with spaces trimmed; a quoted value loses its
 * quotes; a cookie whose name only starts with the one asked is not it. */
static void test_authn_cookie_lookup(void **state)
{
	struct sg_cred_location loc = { SG_CRED_COOKIE, "t", NULL };
	struct sg_filter_input in = input("/", NULL);
	struct sg_h1_span out;
	char buf[8];

	(void)state;
	hdrs[0][0] = "cookie", hdrs[0][1] = "tt=no;t ;  t=\"v 1\" ; z=2";
	assert_true(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "v 1", 3);
	hdrs[0][1] = "tt=no; x=t";
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
	hdrs[0][0] = NULL;
	assert_false(sg_authn_credential(&loc, &in, buf, sizeof(buf), &out));
}

/* A verified key in the query is taken out of the target the backend gets
 * (every pair of that name, the others in order); when it was the only
 * pair, the '?' goes too. */
static void test_authn_query_key_stripped(void **state)
{
	struct sg_cfg *c = load("{queryParameter: {name: key}}");
	struct sg_filter_plan p = { 0 };

	(void)state;
	assert_int_equal(step(c, &p, "/x?a=1&key=k+1&b=2&key=other"), SG_FILTER_FORWARD);
	target_is(&p, "/x?a=1&b=2");
	assert_int_equal(step(c, &p, "/x?key=k%201"), SG_FILTER_FORWARD);
	target_is(&p, "/x");
	assert_int_equal(step(c, &p, "/x?key=k2&a=1"), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "invalid credentials");
	assert_int_equal(step(c, &p, "/x?a=1"), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "no API Key found");
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
}

/* A verified key in a cookie: the Cookie line the backend gets keeps the
 * others, "; "-joined; none left, no Cookie line at all. */
static void test_authn_cookie_key_stripped(void **state)
{
	struct sg_cfg *c = load("{cookie: {name: key}}");
	struct sg_filter_plan p = { 0 };

	(void)state;
	hdrs[0][0] = "cookie", hdrs[0][1] = "a=1;key=k 1;  b=2";
	assert_int_equal(step(c, &p, "/"), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_int_equal(p.request.nadd, 1);
	assert_int_equal(p.request.add[0].value.len, strlen("a=1; b=2"));
	assert_memory_equal(p.request.add[0].value.p, "a=1; b=2", p.request.add[0].value.len);
	hdrs[0][1] = "key=\"k 1\"";
	assert_int_equal(step(c, &p, "/"), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_int_equal(p.request.nadd, 0);
	hdrs[0][0] = NULL;
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
}

/* On a config with an oidc policy, a route without one hands its backend
 * none of the agw_oidc_ cookies either (sealed sessions: whoever holds
 * one is let in), and a cookie credential stripped after them does not
 * bring them back: one Cookie line, without any of them. */
static void test_authn_oidc_cookies_stripped_on_every_route(void **state)
{
	static const char text[] =
		"binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		"    - matches: [{path: {pathPrefix: /open}}]\n"
		"      policies:\n"
		"        apiKey: {location: {cookie: {name: key}}, keys: [{key: k 1}]}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - policies:\n"
		"        oidc: {issuer: 'http://127.0.0.1:1', clientId: c, clientSecret: s,\n"
		"          redirectURI: 'http://127.0.0.1:8080/cb',\n"
		"          authorizationEndpoint: 'http://127.0.0.1:1/auth',\n"
		"          tokenEndpoint: 'http://127.0.0.1:1/token',\n"
		"          jwks: {url: 'http://127.0.0.1:1/keys'}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n";
	struct sg_filter_plan p = { 0 };
	struct sg_diag d;
	struct sg_cfg *c;

	(void)state;
	sg_diag_init(&d);
	c = sg_cfg_load_text("a.yaml", text, &d);
	if (!c || sg_apikey_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	hdrs[0][0] = "cookie";
	hdrs[0][1] = "a=1; agw_oidc_s_0123456789abcdef=SEALED; key=k 1; "
		     "agw_oidc_t_0123456789abcdef.id=T; b=2";
	assert_int_equal(step(c, &p, "/open"), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_int_equal(p.request.nadd, 1);
	assert_int_equal(p.request.add[0].value.len, strlen("a=1; b=2"));
	assert_memory_equal(p.request.add[0].value.p, "a=1; b=2", p.request.add[0].value.len);
	/* no such cookie: the line as it came */
	hdrs[0][1] = "a=1; b=2";
	assert_int_equal(step(c, &p, "/open"), SG_FILTER_FORWARD);
	assert_false(sg_header_edit_drops(&p.request, "cookie", 6));
	assert_int_equal(p.request.nadd, 0);
	hdrs[0][0] = NULL;
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
}

/* A header key: the header is dropped, nothing else changes. */
static void test_authn_header_key_stripped(void **state)
{
	struct sg_cfg *c = load("{header: {name: x-key}}");
	struct sg_filter_plan p = { 0 };

	(void)state;
	hdrs[0][0] = "X-Key", hdrs[0][1] = "k 1";
	assert_int_equal(step(c, &p, "/q?key=k+1"), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.request, "x-key", 5));
	assert_int_equal(p.request.nadd, 0);
	{
		struct sg_h1_edit e;

		sg_filter_request_edit(&p, &e);
		assert_null(e.target.p); /* the target as sent */
	}
	hdrs[0][0] = NULL;
	sg_filter_plan_reset(&p);
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authn_header_prefix_is_case_blind),
		cmocka_unit_test(test_authn_query_decoding),
		cmocka_unit_test(test_authn_cookie_lookup),
		cmocka_unit_test(test_authn_query_key_stripped),
		cmocka_unit_test(test_authn_cookie_key_stripped),
		cmocka_unit_test(test_authn_header_key_stripped),
		cmocka_unit_test(test_authn_oidc_cookies_stripped_on_every_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
