/* user/core/svccall: an HTTP extAuthz check's head as agentgateway's
 * check_http sets it, line by line: pseudo-headers set the method, the
 * target and the Host (a value that is not one leaves them), "host" is
 * the authority, :scheme and :status change nothing; another name
 * replaces the lines of its name, a value that failed (or holds a
 * control byte) removes them; framing lines are never set; a full head
 * says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "user/core/svccall.h"

static struct sg_h1_span sp(const char *s)
{
	return (struct sg_h1_span){ s, s ? strlen(s) : 0 };
}

static void assert_span(struct sg_h1_span got, const char *want)
{
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.p, want, got.len);
}

#define CHECK_HEAD(c, lines)                                                                       \
	struct sg_h1_header lines[4];                                                              \
	struct sg_svc_check c = { sp("GET"), sp("/x"), sp("authz:9000"), lines, 0, 4 }

static void test_svccall_pseudo_headers_set_the_head(void **state)
{
	CHECK_HEAD(c, lines);

	(void)state;
	assert_true(sg_svc_check_set(&c, sp(":method"), sp("POST")));
	assert_true(sg_svc_check_set(&c, sp(":path"), sp("/realms/r/token?x=1")));
	assert_true(sg_svc_check_set(&c, sp(":authority"), sp("local-tailscaled.sock")));
	assert_true(sg_svc_check_set(&c, sp(":scheme"), sp("https")));
	assert_true(sg_svc_check_set(&c, sp(":status"), sp("204")));
	assert_span(c.method, "POST");
	assert_span(c.target, "/realms/r/token?x=1");
	assert_span(c.authority, "local-tailscaled.sock");
	assert_int_equal(c.n, 0);
	assert_true(sg_svc_check_set(&c, sp("Host"), sp("idp.example:8443")));
	assert_span(c.authority, "idp.example:8443");
	assert_int_equal(c.n, 0);
}

static void test_svccall_pseudo_values_that_are_not_kept(void **state)
{
	static const char *const bad[][2] = {
		{ ":method", "PO ST" },	    { ":method", "" },	  { ":path", "token" },
		{ ":path", "/a b" },	    { ":path", "" },	  { ":authority", "a/b" },
		{ ":authority", "a\r\nb" }, { ":authority", "" }, { "host", "a?b" },
	};
	CHECK_HEAD(c, lines);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(sg_svc_check_set(&c, sp(bad[i][0]), sp(bad[i][1])));
	assert_true(sg_svc_check_set(&c, sp(":method"), (struct sg_h1_span){ NULL, 0 }));
	assert_span(c.method, "GET");
	assert_span(c.target, "/x");
	assert_span(c.authority, "authz:9000");
	assert_int_equal(c.n, 0);
}

static void test_svccall_lines_replaced_and_removed(void **state)
{
	CHECK_HEAD(c, lines);

	(void)state;
	assert_true(sg_svc_check_set(&c, sp("x-a"), sp("1")));
	assert_true(sg_svc_check_set(&c, sp("authorization"), sp("Bearer t")));
	assert_true(sg_svc_check_set(&c, sp("X-A"), sp("2")));
	assert_int_equal(c.n, 2);
	assert_span(c.lines[0].name, "authorization");
	assert_span(c.lines[1].name, "X-A");
	assert_span(c.lines[1].value, "2");
	/* A value that failed, or is no field value: the lines go. */
	assert_true(sg_svc_check_set(&c, sp("authorization"), (struct sg_h1_span){ NULL, 0 }));
	assert_true(sg_svc_check_set(&c, sp("x-a"), sp("bad\nvalue")));
	assert_int_equal(c.n, 0);
	/* The gateway's own lines are never set. */
	assert_true(sg_svc_check_set(&c, sp("content-length"), sp("5")));
	assert_true(sg_svc_check_set(&c, sp("transfer-encoding"), sp("chunked")));
	assert_int_equal(c.n, 0);
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "a", "b", "c", "d" };

		assert_true(sg_svc_check_set(&c, sp(names[i]), sp("v")));
	}
	assert_false(sg_svc_check_set(&c, sp("e"), sp("v")));
	assert_true(sg_svc_check_set(&c, sp("d"), sp("w"))); /* replaced: there is room */
	assert_int_equal(c.n, 4);
	assert_span(c.lines[3].value, "w");
}

static void test_svccall_origin_form(void **state)
{
	(void)state;
	assert_true(sg_svc_origin_form(sp("/")));
	assert_true(sg_svc_origin_form(sp("/localapi/v0/whois?addr=127.0.0.1")));
	assert_false(sg_svc_origin_form(sp("")));
	assert_false(sg_svc_origin_form(sp("http://a/")));
	assert_false(sg_svc_origin_form(sp("/a\tb")));
	assert_false(sg_svc_origin_form(sp("/a\x7f")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svccall_pseudo_headers_set_the_head),
		cmocka_unit_test(test_svccall_pseudo_values_that_are_not_kept),
		cmocka_unit_test(test_svccall_lines_replaced_and_removed),
		cmocka_unit_test(test_svccall_origin_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
