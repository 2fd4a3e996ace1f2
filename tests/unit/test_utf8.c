/* Unit tests of config/utf8.c: a sequence measured (valid one to four
 * bytes, overlong forms, surrogates, past U+10FFFF, truncated, stray
 * continuation bytes), the well-formed span, and the lossy copy (one
 * U+FFFD a maximal ill-formed subpart, NUL kept or replaced, measured
 * with no output), and a cut that splits no character. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "config/utf8.h"

#define LEN(s) sg_utf8_len(s, sizeof(s) - 1)

static void test_utf8_measures_valid_sequences(void **state)
{
	(void)state;
	assert_int_equal(LEN("a"), 1);
	assert_int_equal(sg_utf8_len("\0", 1), 1);
	assert_int_equal(LEN("\x7f"), 1);
	assert_int_equal(LEN("\xc2\x80"), 2);	      /* U+0080 */
	assert_int_equal(LEN("\xdf\xbf"), 2);	      /* U+07FF */
	assert_int_equal(LEN("\xe0\xa0\x80"), 3);     /* U+0800 */
	assert_int_equal(LEN("\xed\x9f\xbf"), 3);     /* U+D7FF */
	assert_int_equal(LEN("\xee\x80\x80"), 3);     /* U+E000 */
	assert_int_equal(LEN("\xef\xbf\xbd"), 3);     /* U+FFFD */
	assert_int_equal(LEN("\xf0\x90\x80\x80"), 4); /* U+10000 */
	assert_int_equal(LEN("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
	assert_int_equal(LEN("\xc3\xa9tail"), 2);     /* one sequence only */
	assert_int_equal(sg_utf8_len("", 0), 0);
}

static void test_utf8_refuses_malformed_sequences(void **state)
{
	(void)state;
	assert_int_equal(LEN("\x80"), 0); /* a stray continuation byte */
	assert_int_equal(LEN("\xbf"), 0);
	assert_int_equal(LEN("\xc0\x80"), 0);		  /* overlong NUL */
	assert_int_equal(LEN("\xc1\xbf"), 0);		  /* overlong U+007F */
	assert_int_equal(LEN("\xe0\x9f\xbf"), 0);	  /* overlong U+07FF */
	assert_int_equal(LEN("\xf0\x8f\xbf\xbf"), 0);	  /* overlong U+FFFF */
	assert_int_equal(LEN("\xed\xa0\x80"), 0);	  /* U+D800 */
	assert_int_equal(LEN("\xed\xbf\xbf"), 0);	  /* U+DFFF */
	assert_int_equal(LEN("\xf4\x90\x80\x80"), 0);	  /* U+110000 */
	assert_int_equal(LEN("\xf5\x80\x80\x80"), 0);	  /* a lead byte past F4 */
	assert_int_equal(LEN("\xf8\x88\x80\x80\x80"), 0); /* five bytes */
	assert_int_equal(LEN("\xff"), 0);
	assert_int_equal(LEN("\xc3"), 0);		 /* truncated */
	assert_int_equal(LEN("\xe2\x82"), 0);		 /* truncated */
	assert_int_equal(LEN("\xf0\x9f\x98"), 0);	 /* truncated */
	assert_int_equal(sg_utf8_len("\xc3\xa9", 1), 0); /* cut by n */
	assert_int_equal(LEN("\xc3("), 0);		 /* not a continuation byte */
	assert_int_equal(LEN("\xe2\x28\xa1"), 0);
}

static void test_utf8_span_stops_at_the_first_bad_sequence(void **state)
{
	(void)state;
	assert_int_equal(sg_utf8_span("", 0), 0);
	assert_int_equal(sg_utf8_span("ab\xc3\xa9\0z", 6), 6); /* NUL is UTF-8 */
	assert_int_equal(sg_utf8_span("ab\xc3\xa9\xed\xa0\x80z", 8), 4);
	assert_int_equal(sg_utf8_span("\x80", 1), 0);
	assert_int_equal(sg_utf8_span("abc\xe2\x82", 5), 3); /* truncated at the end */
}

/* One U+FFFD for each maximal subpart of an ill-formed sequence, as
 * Rust's from_utf8_lossy (agentgateway's) reads it: the longest start of
 * a well-formed sequence there, else one byte. Measuring gives what
 * writing does. */
static void test_utf8_lossy_replaces_each_maximal_subpart(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* the Rust documentation's example */
		{ "Hello \xf0\x90\x80World", "Hello \xef\xbf\xbdWorld" },
		{ "a\xc3\xa9\x80"
		  "b",
		  "a\xc3\xa9\xef\xbf\xbd"
		  "b" },			  /* a stray continuation */
		{ "\xe2\x82", "\xef\xbf\xbd" },	  /* cut short at the end */
		{ "\xe2\x82(", "\xef\xbf\xbd(" }, /* cut short by a byte */
		{ "\xf0\x9f\x98", "\xef\xbf\xbd" },
		{ "\xc3", "\xef\xbf\xbd" },
		/* no well-formed sequence starts so: each byte its own */
		{ "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" },		    /* overlong */
		{ "\xe0\x9f\xbf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* U+D800 */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf5\x80", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
		/* the subpart stops where the sequence goes wrong */
		{ "\xf4\x8f\xbf", "\xef\xbf\xbd" },
		{ "\xed\x9f\xc3\xa9", "\xef\xbf\xbd\xc3\xa9" },
		{ "\xf0\x9f\x98\xf0\x9f\x98\x80", "\xef\xbf\xbd\xf0\x9f\x98\x80" },
		/* valid text: the same bytes */
		{ "h\xc3\xa9llo \xf0\x9f\x98\x80", "h\xc3\xa9llo \xf0\x9f\x98\x80" },
		{ "", "" },
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in), n = sg_utf8_lossy(out, cases[i].in, len, 0);

		out[n] = '\0';
		assert_string_equal(out, cases[i].want);
		assert_int_equal(sg_utf8_lossy(NULL, cases[i].in, len, 0), n);
	}
}

static void test_utf8_lossy_nul_kept_or_replaced(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(sg_utf8_lossy(out, "a\0b", 3, 0), 3);
	assert_memory_equal(out, "a\0b", 3);
	assert_int_equal(sg_utf8_lossy(out, "a\0\0b\xff", 5, SG_UTF8_LOSSY_NUL), 11);
	assert_memory_equal(out,
			    "a\xef\xbf\xbd\xef\xbf\xbd"
			    "b\xef\xbf\xbd",
			    11);
	assert_int_equal(sg_utf8_lossy(NULL, "a\0\0b\xff", 5, SG_UTF8_LOSSY_NUL), 11);
}

/* A cut at most max bytes long splits no character: a 2- or 4-byte one
 * across the bound is left out whole; one ending at it stays; a run of
 * stray continuation bytes moves it back three at most. */
static void test_utf8_cut_splits_no_character(void **state)
{
	(void)state;
	assert_int_equal(sg_utf8_cut("abc", 3, 3), 3);
	assert_int_equal(sg_utf8_cut("ab", 2, 5), 2);
	assert_int_equal(sg_utf8_cut("abcd", 4, 3), 3);
	assert_int_equal(sg_utf8_cut("ab\xc3\xa9", 4, 3), 2);
	assert_int_equal(sg_utf8_cut("ab\xc3\xa9z", 5, 4), 4);
	assert_int_equal(sg_utf8_cut("a\xf0\x9f\x98\x80", 5, 4), 1);
	assert_int_equal(sg_utf8_cut("a\xf0\x9f\x98\x80", 5, 2), 1);
	assert_int_equal(sg_utf8_cut("\xf0\x9f\x98\x80", 4, 1), 0);
	assert_int_equal(sg_utf8_cut("ab\x80\x80\x80\x80\x80", 7, 6), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_measures_valid_sequences),
		cmocka_unit_test(test_utf8_refuses_malformed_sequences),
		cmocka_unit_test(test_utf8_span_stops_at_the_first_bad_sequence),
		cmocka_unit_test(test_utf8_lossy_replaces_each_maximal_subpart),
		cmocka_unit_test(test_utf8_lossy_nul_kept_or_replaced),
		cmocka_unit_test(test_utf8_cut_splits_no_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
