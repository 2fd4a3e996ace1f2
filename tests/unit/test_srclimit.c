/* user/srclimit.c: per-source connection counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "user/srclimit.h"

static void test_srclimit_caps_each_source_alone(void **state)
{
	struct sg_srclimit *s = sg_srclimit_new(2);

	assert_non_null(s);
	assert_true(sg_srclimit_take(s, "10.0.0.1"));
	assert_true(sg_srclimit_take(s, "10.0.0.1"));
	assert_false(sg_srclimit_take(s, "10.0.0.1"));
	assert_true(sg_srclimit_take(s, "10.0.0.2"));
	assert_true(sg_srclimit_take(s, "::1"));
	assert_int_equal(sg_srclimit_count(s, "10.0.0.1"), 2);
	assert_int_equal(sg_srclimit_count(s, "10.0.0.2"), 1);
	sg_srclimit_free(s);
}

static void test_srclimit_release_lets_one_more_in(void **state)
{
	struct sg_srclimit *s = sg_srclimit_new(1);

	assert_true(sg_srclimit_take(s, "192.0.2.7"));
	assert_false(sg_srclimit_take(s, "192.0.2.7"));
	sg_srclimit_release(s, "192.0.2.7");
	assert_int_equal(sg_srclimit_count(s, "192.0.2.7"), 0);
	assert_true(sg_srclimit_take(s, "192.0.2.7"));
	/* A release of an address with nothing open changes nothing. */
	sg_srclimit_release(s, "192.0.2.8");
	assert_int_equal(sg_srclimit_count(s, "192.0.2.7"), 1);
	sg_srclimit_free(s); /* frees the entry still open (LeakSanitizer) */
}

static void test_srclimit_many_sources_share_buckets(void **state)
{
	struct sg_srclimit *s = sg_srclimit_new(3);
	char ip[32];

	for (int i = 0; i < 20000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_true(sg_srclimit_take(s, ip));
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(sg_srclimit_count(s, ip), 1);
		sg_srclimit_release(s, ip);
		assert_int_equal(sg_srclimit_count(s, ip), 0);
	}
	sg_srclimit_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srclimit_caps_each_source_alone),
		cmocka_unit_test(test_srclimit_release_lets_one_more_in),
		cmocka_unit_test(test_srclimit_many_sources_share_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
