/* Tests for policy/status.c: reason phrases as config_dump prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "policy/status.h"

static void test_status_known_reasons(void **state)
{
	assert_string_equal(sg_status_reason(200), "OK");
	assert_string_equal(sg_status_reason(503), "Service Unavailable");
	assert_string_equal(sg_status_reason(100), "Continue");
	assert_string_equal(sg_status_reason(511), "Network Authentication Required");
	assert_string_equal(sg_status_reason(203), "Non Authoritative Information");
}

static void test_status_unassigned_is_null(void **state)
{
	assert_null(sg_status_reason(517));
	assert_null(sg_status_reason(0));
	assert_null(sg_status_reason(599));
	assert_null(sg_status_reason(99));
}

static void test_status_table_is_sorted(void **state)
{
	/* Binary search needs order: every code 100..599 that has a reason
	 * must be found (the table's own entries are probed). */
	static const uint16_t sample[] = { 101, 102, 206, 208, 226, 308, 418, 421, 451, 508, 510 };

	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++)
		assert_non_null(sg_status_reason(sample[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_known_reasons),
		cmocka_unit_test(test_status_unassigned_is_null),
		cmocka_unit_test(test_status_table_is_sorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
