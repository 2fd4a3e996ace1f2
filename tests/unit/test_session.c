/* Unit tests for policy/session.c: session values, their expiry, the
 * Cookie header's reading and the Set-Cookie a session is given in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config/cfg.h"
#include "policy/session.h"

static struct sg_session cookie(sg_dur absolute, sg_dur idle, bool permanent)
{
	return (struct sg_session){ .kind = SG_SESSION_COOKIE,
				    .name = "sticky",
				    .path = "/",
				    .absolute = absolute,
				    .idle = idle,
				    .permanent = permanent };
}

static bool parse(const char *v, struct sg_session_token *t)
{
	return sg_session_parse(v, strlen(v), t);
}

static void test_session_value_round_trip(void **state)
{
	struct sg_session_token t = { 0x0123456789abcdefull, 1700000000123ull, 1700000005000ull },
				u;
	char v[SG_SESSION_VALUE_MAX];
	size_t n = sg_session_format(&t, v);

	assert_string_equal(v, "0123456789abcdef.18bcfe5687b.18bcfe57b88");
	assert_int_equal(n, strlen(v));
	assert_true(parse(v, &u));
	assert_memory_equal(&t, &u, sizeof(t));
	t = (struct sg_session_token){ UINT64_MAX, UINT64_MAX, UINT64_MAX };
	assert_int_equal(sg_session_format(&t, v), SG_SESSION_VALUE_MAX - 1);
	assert_true(parse(v, &u));
	assert_true(u.id == UINT64_MAX && u.seen == UINT64_MAX);
}

static void test_session_value_rejects_the_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		".",
		"0123456789abcdef",
		"0123456789abcdef.1",
		"0123456789abcdef.1.",
		"0123456789abcdef..1",
		"0123456789ABCDEF.1.1",			/* ours are lowercase */
		"123456789abcdef.1.1",			/* the id has 16 digits */
		"00123456789abcdef.1.1",		/* not 17 */
		"0123456789abcdef.1.1.1",		/* three fields */
		"0123456789abcdef.1.1 ",		/* nothing after */
		"0123456789abcdef.10000000000000000.1", /* 17 digits overflow */
		"0123456789abcdef.2.1",			/* seen before issued */
		"0000000000000000.1.1",			/* id 0 is nobody's */
		"0123456789abcdeg.1.1",
		"0123456789abcdef.-1.1",
		"0123456789abcdef.0.0f", /* one spelling: no leading zero (a fuzzer's find) */
		"0123456789abcdef.01.1",
		"10.0.0.1:8080",
	};
	struct sg_session_token t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(parse(bad[i], &t));
	/* A length shorter than the text: only those bytes count. */
	assert_false(sg_session_parse("0123456789abcdef.1.1", 18, &t));
}

static void test_session_expiry(void **state)
{
	struct sg_session none = cookie(SG_DUR_UNSET, SG_DUR_UNSET, false);
	struct sg_session zero = cookie(0, 0, false);
	struct sg_session abs = cookie(SG_DUR_S(10), SG_DUR_UNSET, false);
	struct sg_session idle = cookie(SG_DUR_UNSET, SG_DUR_MS(1500), false);
	struct sg_session_token t = { 1, 1000000, 1005000 };

	/* No timeout: a session for good (0s reads as none, as in
	 * Kubernetes' dialect). */
	assert_true(sg_session_live(&none, &t, 1000000 + 100ull * 86400000));
	assert_true(sg_session_live(&zero, &t, 1000000 + 100ull * 86400000));
	/* absoluteTimeout counts from the issue, whatever was seen since. */
	assert_true(sg_session_live(&abs, &t, 1009999));
	assert_false(sg_session_live(&abs, &t, 1010000));
	/* idleTimeout counts from the last response that renewed it. */
	assert_true(sg_session_live(&idle, &t, 1006499));
	assert_false(sg_session_live(&idle, &t, 1006500));
	/* Times from a clock a little ahead are taken; far ahead, not. */
	assert_true(sg_session_live(&abs, &t, 1005000 - SG_SESSION_SKEW_MS));
	assert_false(sg_session_live(&abs, &t, 1005000 - SG_SESSION_SKEW_MS - 1));
	assert_false(sg_session_live(&none, &t, 1000000 - SG_SESSION_SKEW_MS - 1));
}

static void cookie_is(const char *hdr, const char *name, const char *want)
{
	const char *v = NULL;
	size_t n = 0;
	bool found = sg_session_cookie(hdr, strlen(hdr), name, &v, &n);

	if (!want) {
		assert_false(found);
		return;
	}
	assert_true(found);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void test_session_cookie_header(void **state)
{
	cookie_is("sticky=abc", "sticky", "abc");
	cookie_is("a=1; sticky=abc; b=2", "sticky", "abc");
	cookie_is("a=1;sticky=abc;b=2", "sticky", "abc");
	cookie_is("  sticky=abc  ;b=2", "sticky", "abc");
	cookie_is("sticky=\"abc\"", "sticky", "abc");
	cookie_is("sticky=", "sticky", "");
	cookie_is("sticky=one; sticky=two", "sticky", "one"); /* the first counts */
	cookie_is("xsticky=abc; stickyx=def", "sticky", NULL);
	cookie_is("Sticky=abc", "sticky", NULL); /* names are case-sensitive */
	cookie_is("sticky", "sticky", NULL);
	cookie_is("", "sticky", NULL);
	cookie_is(";;;", "sticky", NULL);
	cookie_is("a=b=c; sticky=x=y", "sticky", "x=y");
}

static void test_session_set_cookie(void **state)
{
	struct sg_session s = cookie(SG_DUR_S(3600), SG_DUR_UNSET, false);
	char out[SG_SESSION_COOKIE_MAX];

	/* Session lifetime: no Max-Age, no Expires (the conformance test's
	 * check), whatever the absoluteTimeout. */
	assert_int_equal(sg_session_set_cookie(&s, "v1", 2, false, out, sizeof(out)),
			 strlen("sticky=v1; Path=/; HttpOnly; SameSite=Strict"));
	assert_string_equal(out, "sticky=v1; Path=/; HttpOnly; SameSite=Strict");
	s.permanent = true;
	s.path = "/app";
	assert_true(sg_session_set_cookie(&s, "v1", 2, true, out, sizeof(out)) > 0);
	assert_string_equal(
		out, "sticky=v1; Path=/app; Max-Age=3600; HttpOnly; SameSite=Strict; Secure");
	s.absolute = SG_DUR_MS(200); /* under a second: at least one */
	assert_true(sg_session_set_cookie(&s, "v1", 2, false, out, sizeof(out)) > 0);
	assert_string_equal(out, "sticky=v1; Path=/app; Max-Age=1; HttpOnly; SameSite=Strict");
	assert_int_equal(sg_session_set_cookie(&s, "v1", 2, false, out, 10), -1);
}

static void test_session_id_names_backend_and_endpoint(void **state)
{
	struct sg_service svc = { .ns = "ns", .name = "web" },
			  other = { .ns = "ns", .name = "api" };
	struct sg_endpoint a = { "10.0.0.1", 8080 }, b = { "10.0.0.2", 8080 },
			   a2 = { "10.0.0.1", 8081 };
	struct sg_backend_ref s1 = {
		.kind = SG_BREF_SERVICE, .svc = &svc, .port = 80, .weight = 1
	};
	struct sg_backend_ref s2 = s1, s3 = { .kind = SG_BREF_SERVICE, .svc = &other, .port = 80 };
	struct sg_backend_ref h = { .kind = SG_BREF_HOST, .host = "10.0.0.1:8080" };
	uint64_t id = sg_session_id(&s1, &a);

	/* The same everywhere and always: weights and policies do not count. */
	s2.weight = 0;
	assert_true(id != 0);
	assert_true(sg_session_id(&s2, &a) == id);
	assert_true(sg_session_id(&s1, &b) != id);
	assert_true(sg_session_id(&s1, &a2) != id);
	assert_true(sg_session_id(&s3, &a) != id);
	s2.port = 81;
	assert_true(sg_session_id(&s2, &a) != id);
	assert_true(sg_session_id(&h, &a) != id);
	/* Pinned: a change here breaks every session issued before it. */
	assert_true(sg_session_id(&h, &a) == sg_session_id(&h, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_value_round_trip),
		cmocka_unit_test(test_session_value_rejects_the_malformed),
		cmocka_unit_test(test_session_expiry),
		cmocka_unit_test(test_session_cookie_header),
		cmocka_unit_test(test_session_set_cookie),
		cmocka_unit_test(test_session_id_names_backend_and_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
