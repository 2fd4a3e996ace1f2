/* Unit tests of policy/traceparent.c: W3C traceparent values read and
 * refused as the spec's test cases have them, a child written. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "policy/traceparent.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static int parse(const char *s, struct sg_trace_ctx *c)
{
	return sg_traceparent_parse(s, strlen(s), c);
}

/* The spec's example read, and written back the same. */
static void test_traceparent_round_trip(void **unused)
{
	struct sg_trace_ctx c;
	char out[SG_TRACEPARENT_LEN + 1], hex[33];

	assert_int_equal(parse(TP, &c), 0);
	assert_int_equal(c.flags, SG_TRACE_SAMPLED);
	sg_trace_hex(c.trace_id, 16, hex);
	assert_string_equal(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
	sg_trace_hex(c.span_id, 8, hex);
	assert_string_equal(hex, "00f067aa0ba902b7");
	sg_traceparent_format(&c, out);
	assert_string_equal(out, TP);
}

/* A later version: at least 55 bytes, a '-' after the flags, the first
 * four fields read; ff never. */
static void test_traceparent_future_version(void **unused)
{
	struct sg_trace_ctx c;

	assert_int_equal(parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c), 0);
	assert_int_equal(parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what", &c),
			 0);
	assert_int_equal(c.flags, 0);
	assert_int_equal(parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x", &c),
			 -EINVAL);
	assert_int_equal(parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &c),
			 -EINVAL);
}

static void test_traceparent_refuses(void **unused)
{
	static const char *const bad[] = {
		"",
		TP "-",							   /* 00 is 55 exactly */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",  /* short */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* uppercase */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero parent */
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
		"0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	};
	struct sg_trace_ctx c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &c) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

/* A child keeps the trace, takes a new span id and the sampling decision;
 * without a parent, a new trace; zero draws are never an id. */
static void test_traceparent_child(void **unused)
{
	struct sg_trace_ctx parent, child;
	char out[SG_TRACEPARENT_LEN + 1];

	assert_int_equal(parse(TP, &parent), 0);
	sg_trace_child(&parent, 1, 2, 0x1122334455667788ull, false, &child);
	sg_traceparent_format(&child, out);
	assert_string_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-1122334455667788-00");
	sg_trace_child(NULL, 0xa, 0, 0, true, &child);
	sg_traceparent_format(&child, out);
	assert_string_equal(out, "00-000000000000000a0000000000000001-0000000000000001-01");
	assert_int_equal(parse(out, &parent), 0);
}

/* Probability 0 and 1 whatever the draw; in between, the draw's top 53
 * bits as a fraction, and about p of uniform draws. */
static void test_traceparent_sampled(void **unused)
{
	uint64_t x = 88172645463325252ull;
	unsigned hits = 0;

	(void)unused;
	assert_false(sg_trace_sampled(0.0, 0));
	assert_false(sg_trace_sampled(-1.0, 0));
	assert_true(sg_trace_sampled(1.0, UINT64_MAX));
	assert_true(sg_trace_sampled(0.5, 0));
	assert_true(sg_trace_sampled(0.5, (uint64_t)1 << 62));
	assert_false(sg_trace_sampled(0.5, (uint64_t)1 << 63));
	assert_false(sg_trace_sampled(0.25, (uint64_t)1 << 62));
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hits += sg_trace_sampled(0.1, x);
	}
	assert_in_range(hits, 9000, 11000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traceparent_round_trip),
		cmocka_unit_test(test_traceparent_future_version),
		cmocka_unit_test(test_traceparent_refuses),
		cmocka_unit_test(test_traceparent_child),
		cmocka_unit_test(test_traceparent_sampled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
