/* Unit tests for config/duration: Go time.Duration text both ways, checked
 * against the values Go's own ParseDuration and String() give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config/duration.h"

#define NS ((sg_dur)1)
#define US ((sg_dur)1000)
#define MS SG_DUR_MS(1)
#define SEC SG_DUR_S(1)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct parse_case {
	const char *in;
	sg_dur want;
};

struct reject_case {
	const char *in;
	const char *why;
};

struct format_case {
	sg_dur d;
	const char *want;
};

static void expect_parses(const struct parse_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char why[64] = "";
		sg_dur got = SG_DUR_UNSET;
		int rc = sg_dur_parse(c[i].in, &got, why, sizeof(why));

		if (rc != 0 || got != c[i].want)
			fail_msg("\"%s\": rc %d (%s), got %lld, want %lld", c[i].in, rc, why,
				 (long long)got, (long long)c[i].want);
	}
}

/* Also checks that *out is left alone on failure. */
static void expect_rejects(const struct reject_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char why[64] = "";
		sg_dur got = 42;
		int rc = sg_dur_parse(c[i].in, &got, why, sizeof(why));

		if (rc != -1 || strcmp(why, c[i].why) != 0 || got != 42)
			fail_msg("\"%s\": rc %d, why \"%s\" (want \"%s\"), out %lld", c[i].in, rc,
				 why, c[i].why, (long long)got);
	}
}

static void test_duration_parses_go_syntax(void **state)
{
	static const struct parse_case cases[] = {
		{ "0", 0 },
		{ "+0", 0 },
		{ "-0", 0 },
		{ "0s", 0 },
		{ "-0s", 0 },
		{ "-0.1ns", 0 }, /* rounds to zero before the sign is looked at, as in Go */
		{ "5s", 5 * SEC },
		{ "30s", 30 * SEC },
		{ "1478s", 1478 * SEC },
		{ "+5s", 5 * SEC },
		{ "300ms", 300 * MS },
		{ "10m0s", 10 * MIN },
		{ "1h2m3s", HOUR + 2 * MIN + 3 * SEC },
		{ "10ns", 10 * NS },
		{ "11us", 11 * US },
		{ "12\u00b5s", 12 * US },
		{ "12\u03bcs", 12 * US },
		{ "13ms", 13 * MS },
		{ "14s", 14 * SEC },
		{ "15m", 15 * MIN },
		{ "16h", 16 * HOUR },
		{ "3h30m", 3 * HOUR + 30 * MIN },
		{ "10.5s4m", 4 * MIN + 10 * SEC + 500 * MS },
		{ "1h2m3s4ms5us6ns", HOUR + 2 * MIN + 3 * SEC + 4 * MS + 5 * US + 6 * NS },
		{ "39h9m14.425s", 39 * HOUR + 9 * MIN + 14 * SEC + 425 * MS },
		{ "1s1s", 2 * SEC },
		{ "52763797000ns", 52763797000 * NS },
		{ "9007199254740993ns", (INT64_C(1) << 53) + 1 },
		{ "9223372036854775807ns", INT64_MAX },
		{ "9223372036s854ms775us807ns", INT64_MAX },
		{ "2562047h47m16.854775807s", INT64_MAX },
	};

	expect_parses(cases, ARRAY_LEN(cases));
}

static void test_duration_parses_fractions(void **state)
{
	static const struct parse_case cases[] = {
		{ "1.5s", 1500 * MS },
		{ "1.5h", HOUR + 30 * MIN },
		{ "5.0s", 5 * SEC },
		{ "5.6s", 5 * SEC + 600 * MS },
		{ "5.s", 5 * SEC },
		{ ".5s", 500 * MS },
		{ "1.0s", SEC },
		{ "1.00s", SEC },
		{ "1.004s", SEC + 4 * MS },
		{ "1.0040s", SEC + 4 * MS },
		{ "100.00100s", 100 * SEC + MS },
		{ "1.000000001s", SEC + 1 },
		{ "0.5ns", 0 },
		{ "1.9ns", 1 },
		{ "9223372036854775.807us", INT64_MAX },
		/* Go's float64 fraction path, nanosecond for nanosecond. */
		{ "0.3333333333333333333h", 20 * MIN },
		{ "0.100000000000000000000h", 6 * MIN },
		{ "0.830103483285477580700h", 49 * MIN + 48 * SEC + 372539827 * NS },
	};

	expect_parses(cases, ARRAY_LEN(cases));
}

static void test_duration_rejects_empty(void **state)
{
	static const struct reject_case cases[] = {
		{ "", "empty" },
	};
	sg_dur got = 42;

	expect_rejects(cases, ARRAY_LEN(cases));
	assert_int_equal(sg_dur_parse(NULL, &got, NULL, 0), -1);
	assert_int_equal(got, 42);
}

static void test_duration_rejects_missing_number(void **state)
{
	static const struct reject_case cases[] = {
		{ "+", "expected number" },    { "-", "expected number" },
		{ "s", "expected number" },    { ".", "expected number" },
		{ "-.", "expected number" },   { ".s", "expected number" },
		{ "+.s", "expected number" },  { " 1s", "expected number" },
		{ "1s.s", "expected number" }, { "--1s", "expected number" },
	};

	expect_rejects(cases, ARRAY_LEN(cases));
}

static void test_duration_rejects_missing_unit(void **state)
{
	static const struct reject_case cases[] = {
		{ "1", "missing unit" },     { "3", "missing unit" },
		{ "00", "missing unit" },    { "0.0", "missing unit" },
		{ "1.5", "missing unit" },   { "1h30", "missing unit" },
		{ "1..5s", "missing unit" }, { "1.5.5s", "missing unit" },
	};

	expect_rejects(cases, ARRAY_LEN(cases));
}

static void test_duration_rejects_unknown_unit(void **state)
{
	static const struct reject_case cases[] = {
		{ "1d", "unknown unit \"d\"" },
		{ "1S", "unknown unit \"S\"" },
		{ "1sec", "unknown unit \"sec\"" },
		{ "1s ", "unknown unit \"s \"" },
		{ "1 s", "unknown unit \" s\"" },
		{ "1h2x3s", "unknown unit \"x\"" },
		/* Bytes that would garble a log line are escaped. */
		{ "1\u00b5", "unknown unit \"\\xc2\\xb5\"" },
		{ "1s\n", "unknown unit \"s\\x0a\"" },
		{ "1\"\\", "unknown unit \"\\\"\\\\\"" },
	};

	expect_rejects(cases, ARRAY_LEN(cases));
}

static void test_duration_rejects_negative(void **state)
{
	static const struct reject_case cases[] = {
		{ "-5s", "negative duration" },
		{ "-1ns", "negative duration" },
		{ "-2m3.4s", "negative duration" },
		{ "-9223372036854775807ns", "negative duration" },
		{ "-9223372036854775808ns", "negative duration" },
		/* A broken spelling is reported before the sign. */
		{ "-1x", "unknown unit \"x\"" },
	};

	expect_rejects(cases, ARRAY_LEN(cases));
}

static void test_duration_rejects_overflow(void **state)
{
	static const struct reject_case cases[] = {
		{ "3000000h", "overflow" },
		{ "2562048h", "overflow" },
		{ "2562047h47m16.854775808s", "overflow" },
		{ "9223372036854775808ns", "overflow" },
		{ "9223372036854775.808us", "overflow" },
		{ "9223372036854ms775us808ns", "overflow" },
		{ "99999999999999999999ns", "overflow" },
		{ "-99999999999999999999ns", "overflow" },
		/* Each part fits in 2^63; the unsigned sum must not wrap to 0. */
		{ "9223372036854775808ns9223372036854775808ns", "overflow" },
	};

	expect_rejects(cases, ARRAY_LEN(cases));
}

static void test_duration_truncates_reason(void **state)
{
	char why[8];
	sg_dur got;

	memset(why, 'x', sizeof(why));
	assert_int_equal(sg_dur_parse("1parsec", &got, why, sizeof(why)), -1);
	assert_string_equal(why, "unknown");
	memset(why, 'x', sizeof(why));
	assert_int_equal(sg_dur_parse("1", &got, why, 5), -1);
	assert_string_equal(why, "miss");
	memset(why, 'x', sizeof(why));
	assert_int_equal(sg_dur_parse("1", &got, why, 0), -1);
	assert_int_equal(why[0], 'x');
	assert_int_equal(sg_dur_parse("1x", &got, NULL, 0), -1);
	assert_int_equal(sg_dur_parse("1x", &got, why, 1), -1);
	assert_string_equal(why, "");
}

static void test_duration_prints_like_go(void **state)
{
	static const struct format_case cases[] = {
		{ 0, "0s" },
		{ 1, "1ns" },
		{ 100, "100ns" },
		{ 999, "999ns" },
		{ US, "1\u00b5s" },
		{ 1100, "1.1\u00b5s" },
		{ 1001, "1.001\u00b5s" },
		{ 999999, "999.999\u00b5s" },
		{ 2200 * US, "2.2ms" },
		{ 500 * MS, "500ms" },
		{ MS + 1, "1.000001ms" },
		{ 1500 * MS, "1.5s" },
		{ 3300 * MS, "3.3s" },
		{ SEC + 1, "1.000000001s" },
		{ 59 * SEC, "59s" },
		{ MIN, "1m0s" },
		{ MIN + 500 * MS, "1m0.5s" },
		{ 90 * SEC, "1m30s" },
		{ 4 * MIN + 5 * SEC, "4m5s" },
		{ 4 * MIN + 5001 * MS, "4m5.001s" },
		{ 10 * MIN, "10m0s" },
		{ 8 * MIN + 1, "8m0.000000001s" },
		{ HOUR, "1h0m0s" },
		{ 2 * HOUR, "2h0m0s" },
		{ HOUR + 2 * MIN + 3 * SEC, "1h2m3s" },
		{ 5 * HOUR + 6 * MIN + 7001 * MS, "5h6m7.001s" },
		{ 100 * HOUR + 1, "100h0m0.000000001s" },
		{ INT64_MAX, "2562047h47m16.854775807s" },
		{ -SEC, "-1s" },
		{ SG_DUR_UNSET, "-1ns" },
		{ -1500 * US, "-1.5ms" },
		{ INT64_MIN, "-2562047h47m16.854775808s" },
	};
	char buf[SG_DUR_STRLEN];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_ptr_equal(sg_dur_format(cases[i].d, buf), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%lld: got \"%s\", want \"%s\"", (long long)cases[i].d, buf,
				 cases[i].want);
	}
}

/* Fixed-seed xorshift so a failure reproduces. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void expect_round_trip(sg_dur d)
{
	char buf[SG_DUR_STRLEN], why[64] = "";
	sg_dur got = SG_DUR_UNSET;

	sg_dur_format(d, buf);
	if (sg_dur_parse(buf, &got, why, sizeof(why)) != 0 || got != d)
		fail_msg("%lld -> \"%s\" -> %lld (%s)", (long long)d, buf, (long long)got, why);
}

static void test_duration_round_trips(void **state)
{
	static const sg_dur fixed[] = {
		0,	   1,	     999,      US,  1001, MS,	    MS + 1,    SEC - 1,
		SEC,	   SEC + 1,  MIN - 1,  MIN, HOUR, HOUR + 1, INT64_MAX, INT64_MAX - 1,
		1500 * MS, 90 * SEC, 2 * HOUR,
	};
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		expect_round_trip(fixed[i]);
	/* Random magnitudes from 1ns to 2^63-1, so every print branch is hit. */
	for (int i = 0; i < 100000; i++) {
		uint64_t r = next_rand(&seed);

		expect_round_trip((sg_dur)((r >> 1) >> (r % 63)));
	}
}

static void test_duration_ms_ceil(void **state)
{
	static const struct {
		sg_dur d;
		uint64_t want;
	} cases[] = {
		{ 0, 0 },
		{ 1, 1 },
		{ 999999, 1 },
		{ MS, 1 },
		{ MS + 1, 2 },
		{ 1500 * MS, 1500 },
		{ 1500 * MS + 1, 1501 },
		{ HOUR, 3600000 },
		{ INT64_MAX, 9223372036855ULL },
		{ SG_DUR_UNSET, 0 },
		{ INT64_MIN, 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(sg_dur_to_ms_ceil(cases[i].d), cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parses_go_syntax),
		cmocka_unit_test(test_duration_parses_fractions),
		cmocka_unit_test(test_duration_rejects_empty),
		cmocka_unit_test(test_duration_rejects_missing_number),
		cmocka_unit_test(test_duration_rejects_missing_unit),
		cmocka_unit_test(test_duration_rejects_unknown_unit),
		cmocka_unit_test(test_duration_rejects_negative),
		cmocka_unit_test(test_duration_rejects_overflow),
		cmocka_unit_test(test_duration_truncates_reason),
		cmocka_unit_test(test_duration_prints_like_go),
		cmocka_unit_test(test_duration_round_trips),
		cmocka_unit_test(test_duration_ms_ceil),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
