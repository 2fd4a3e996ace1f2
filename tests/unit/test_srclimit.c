/* user/core/srclimit.c: per-source connection counts and event rates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "user/core/srclimit.h"

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

/* Units taken n at a time against the caller's bound: a take that would
 * pass it counts nothing, another source has its own, a release makes
 * room (request bodies held per address, in KiB). */
static void test_srclimit_take_n_against_a_bound(void **state)
{
	struct sg_srclimit *s = sg_srclimit_new(1);

	(void)state;
	assert_non_null(s);
	assert_true(sg_srclimit_take_n(s, "10.0.0.1", 2048, 4096));
	assert_true(sg_srclimit_take_n(s, "10.0.0.1", 2048, 4096));
	assert_false(sg_srclimit_take_n(s, "10.0.0.1", 1, 4096));
	assert_int_equal(sg_srclimit_count(s, "10.0.0.1"), 4096);
	assert_false(sg_srclimit_take_n(s, "10.0.0.2", 4097, 4096));
	assert_int_equal(sg_srclimit_count(s, "10.0.0.2"), 0);
	assert_true(sg_srclimit_take_n(s, "10.0.0.2", 4096, 4096));
	sg_srclimit_release_n(s, "10.0.0.1", 2048);
	assert_true(sg_srclimit_take_n(s, "10.0.0.1", 1000, 4096));
	assert_int_equal(sg_srclimit_count(s, "10.0.0.1"), 3048);
	sg_srclimit_release_n(s, "10.0.0.1", 3048);
	assert_int_equal(sg_srclimit_count(s, "10.0.0.1"), 0);
	sg_srclimit_free(s);
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

/* An IPv6 client holds a /64 and may connect from any address in it: the
 * /64 is the source. An IPv4-mapped address is its IPv4 one (a dual-stack
 * listener's view of an IPv4 client). */
static void test_srclimit_ipv6_counts_per_64(void **state)
{
	struct sg_srclimit *s = sg_srclimit_new(2);

	assert_true(sg_srclimit_take(s, "2001:db8:1:2::1"));
	assert_true(sg_srclimit_take(s, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
	assert_false(sg_srclimit_take(s, "2001:db8:1:2:ffff::3"));
	assert_true(sg_srclimit_take(s, "2001:db8:1:3::1"));
	assert_int_equal(sg_srclimit_count(s, "2001:db8:1:2::9"), 2);
	sg_srclimit_release(s, "2001:db8:1:2::77");
	assert_int_equal(sg_srclimit_count(s, "2001:db8:1:2::1"), 1);
	assert_true(sg_srclimit_take(s, "::ffff:192.0.2.1"));
	assert_true(sg_srclimit_take(s, "192.0.2.1"));
	assert_false(sg_srclimit_take(s, "::ffff:192.0.2.1"));
	assert_int_equal(sg_srclimit_count(s, "192.0.2.1"), 2);
	assert_true(sg_srclimit_take(s, "192.0.2.2"));
	sg_srclimit_free(s);
}

static void test_srcrate_counts_per_address_per_window(void **state)
{
	struct sg_srcrate *r = sg_srcrate_new(10000, 16);

	assert_non_null(r);
	for (unsigned i = 1; i <= 5; i++)
		assert_int_equal(sg_srcrate_add(r, "10.0.0.1", 1000 + i), i);
	assert_int_equal(sg_srcrate_add(r, "10.0.0.2", 1100), 1);
	/* The window began at the address's first event (1001): the last ms
	 * of it still counts, the next starts a new one. */
	assert_int_equal(sg_srcrate_add(r, "10.0.0.1", 11000), 6);
	assert_int_equal(sg_srcrate_add(r, "10.0.0.1", 11001), 1);
	assert_int_equal(sg_srcrate_add(r, "10.0.0.1", 11002), 2);
	/* A caller whose cached clock lags the last one's stays in the window. */
	assert_int_equal(sg_srcrate_add(r, "10.0.0.1", 10990), 3);
	sg_srcrate_free(r);
}

/* The reset count is per source as the connection count is: an IPv6
 * client's /64, so reconnecting from another address in it does not start
 * the count anew. */
static void test_srcrate_ipv6_counts_per_64(void **state)
{
	struct sg_srcrate *r = sg_srcrate_new(10000, 16);

	assert_int_equal(sg_srcrate_add(r, "2001:db8:1:2::1", 1000), 1);
	assert_int_equal(sg_srcrate_add(r, "2001:db8:1:2::2", 1001), 2);
	assert_int_equal(sg_srcrate_add(r, "2001:db8:1:3::1", 1002), 1);
	assert_int_equal(sg_srcrate_add(r, "::ffff:192.0.2.1", 1003), 1);
	assert_int_equal(sg_srcrate_add(r, "192.0.2.1", 1004), 2);
	sg_srcrate_free(r);
}

static void test_srcrate_bounded_table_makes_room_from_ended_windows(void **state)
{
	struct sg_srcrate *r = sg_srcrate_new(2000, 3);

	assert_int_equal(sg_srcrate_add(r, "a", 5000), 1);
	assert_int_equal(sg_srcrate_add(r, "b", 5000), 1);
	assert_int_equal(sg_srcrate_add(r, "c", 6500), 1);
	/* Full, and every window still running (swept at 6600): "d" is not
	 * counted, the others still are. */
	assert_int_equal(sg_srcrate_add(r, "d", 6600), 0);
	assert_int_equal(sg_srcrate_add(r, "a", 6700), 2);
	/* No second sweep within a second of the last. */
	assert_int_equal(sg_srcrate_add(r, "d", 7100), 0);
	/* a's and b's windows are over at 7000: the sweep at 7700 makes room
	 * for d, and c (window until 8500) keeps its count. */
	assert_int_equal(sg_srcrate_add(r, "d", 7700), 1);
	assert_int_equal(sg_srcrate_add(r, "c", 7800), 2);
	assert_int_equal(sg_srcrate_add(r, "e", 7900), 1);
	assert_int_equal(sg_srcrate_add(r, "f", 8000), 0); /* full again */
	assert_int_equal(sg_srcrate_add(r, "f", 8800), 1); /* c swept */
	assert_int_equal(sg_srcrate_add(r, "d", 8900), 2);
	sg_srcrate_free(r); /* LeakSanitizer: every entry freed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srclimit_caps_each_source_alone),
		cmocka_unit_test(test_srclimit_release_lets_one_more_in),
		cmocka_unit_test(test_srclimit_take_n_against_a_bound),
		cmocka_unit_test(test_srclimit_many_sources_share_buckets),
		cmocka_unit_test(test_srclimit_ipv6_counts_per_64),
		cmocka_unit_test(test_srcrate_counts_per_address_per_window),
		cmocka_unit_test(test_srcrate_ipv6_counts_per_64),
		cmocka_unit_test(test_srcrate_bounded_table_makes_room_from_ended_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
