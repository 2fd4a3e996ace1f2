/* Tests for policy/failure.c: the gateway's own answers are byte-exact and
 * only the failures DESIGN §3 names are retryable. */
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "policy/failure.h"

static void test_failure_statuses_and_bodies(void **state)
{
	static const struct {
		enum sg_fail kind;
		const char *cause;
		uint16_t status;
		const char *body;
		bool retryable;
	} cases[] = {
		{ SG_FAIL_NO_ROUTE, NULL, 404, "route not found", false },
		{ SG_FAIL_NO_BACKEND, NULL, 500, "no valid backends", false },
		{ SG_FAIL_REQUEST_TIMEOUT, NULL, 504, "request timeout", false },
		{ SG_FAIL_ATTEMPT_TIMEOUT, "x", 504, "upstream call timeout", true },
		{ SG_FAIL_CONNECT_TIMEOUT, "x", 504, "upstream call timeout", true },
		{ SG_FAIL_CONNECT, "connection refused", 503,
		  "upstream call failed: connect: connection refused", true },
		{ SG_FAIL_RESET, "connection reset by peer", 503,
		  "upstream call failed: reset: connection reset by peer", true },
		{ SG_FAIL_CLOSED, NULL, 503, "upstream call failed: closed: unknown", true },
		{ SG_FAIL_BAD_RESPONSE, "Protocol error", 503,
		  "upstream call failed: invalid response: Protocol error", true },
		{ SG_FAIL_BAD_REQUEST, NULL, 400, "bad request", false },
		{ SG_FAIL_HEAD_TOO_LARGE, NULL, 431, "request header fields too large", false },
		{ SG_FAIL_FILTER, NULL, 500, "invalid filter configuration", false },
		{ SG_FAIL_OVERLOAD, NULL, 503, "request limit exceeded", false },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sg_fail_status(cases[i].kind), cases[i].status);
		assert_string_equal(sg_fail_body(cases[i].kind, cases[i].cause, buf, sizeof(buf)),
				    cases[i].body);
		assert_int_equal(sg_fail_retryable(cases[i].kind), cases[i].retryable);
	}
}

static void test_failure_body_truncates_safely(void **state)
{
	char buf[16];

	sg_fail_body(SG_FAIL_CONNECT, "connection refused", buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void test_failure_retry_on_listed_status_only(void **state)
{
	uint16_t codes[] = { 503, 517 };
	struct sg_retry r = { .attempts = 1, .codes = { codes, 2, 2 } };

	assert_true(sg_retry_on_status(&r, 503));
	assert_true(sg_retry_on_status(&r, 517));
	assert_false(sg_retry_on_status(&r, 500));
	r.codes.n = 0;
	assert_false(sg_retry_on_status(&r, 503));
}

static void test_failure_cause_texts(void **state)
{
	char buf[128];

	assert_string_equal(sg_fail_cause(ECONNREFUSED), "connection refused");
	assert_string_equal(sg_fail_cause(ECONNRESET), "connection reset by peer");
	assert_string_equal(sg_fail_cause(0), "connection closed before response headers");
	assert_string_equal(sg_fail_cause(ETIMEDOUT), strerror(ETIMEDOUT));
	assert_string_equal(
		sg_fail_body(SG_FAIL_CONNECT, sg_fail_cause(ECONNREFUSED), buf, sizeof(buf)),
		"upstream call failed: connect: connection refused");
	/* A name that does not resolve says so, not "host unreachable". */
	assert_string_equal(sg_fail_body(SG_FAIL_CONNECT, sg_fail_cause(SG_FAIL_DNS(EAI_NONAME)),
					 buf, sizeof(buf)),
			    "upstream call failed: connect: dns: name does not resolve");
	assert_string_equal(sg_fail_cause(SG_FAIL_DNS(EAI_AGAIN)),
			    "dns: no answer from a name server (temporary failure)");
	assert_string_equal(sg_fail_name(SG_FAIL_ATTEMPT_TIMEOUT), "attempt_timeout");
	assert_string_equal(sg_fail_name(SG_FAIL_CONNECT_TIMEOUT), "connect_timeout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_statuses_and_bodies),
		cmocka_unit_test(test_failure_body_truncates_safely),
		cmocka_unit_test(test_failure_retry_on_listed_status_only),
		cmocka_unit_test(test_failure_cause_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
