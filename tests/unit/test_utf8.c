/* Unit tests of config/utf8.c: a sequence measured (valid one to four
 * bytes, overlong forms, surrogates, past U+10FFFF, truncated, stray
 * continuation bytes), the well-formed span, and the lossy copy (one
 * U+FFFD a bad byte, NUL kept or replaced, measured with no output). */
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

/* Each byte that begins no well-formed sequence is one U+FFFD (a
 * truncated 3-byte sequence is two); measuring gives what writing does. */
static void test_utf8_lossy_replaces_each_bad_byte(void **state)
{
	static const char in[] = "a\xc3\xa9\x80"
				 "b\xe2\x82"
				 "c\xed\xa0\x80\xf4\x90\x80\x80"
				 "\xf0\x9f\x98\x80";
	static const char want[] = "a\xc3\xa9\xef\xbf\xbd"
				   "b\xef\xbf\xbd\xef\xbf\xbd"
				   "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				   "\xf0\x9f\x98\x80";
	char out[128];
	size_t n;

	(void)state;
	n = sg_utf8_lossy(out, in, sizeof(in) - 1, 0);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	assert_int_equal(sg_utf8_lossy(NULL, in, sizeof(in) - 1, 0), n);
	/* valid text: the same bytes */
	assert_int_equal(sg_utf8_lossy(out, "h\xc3\xa9llo", 6, 0), 6);
	assert_memory_equal(out, "h\xc3\xa9llo", 6);
	assert_int_equal(sg_utf8_lossy(out, "", 0, 0), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_measures_valid_sequences),
		cmocka_unit_test(test_utf8_refuses_malformed_sequences),
		cmocka_unit_test(test_utf8_span_stops_at_the_first_bad_sequence),
		cmocka_unit_test(test_utf8_lossy_replaces_each_bad_byte),
		cmocka_unit_test(test_utf8_lossy_nul_kept_or_replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
