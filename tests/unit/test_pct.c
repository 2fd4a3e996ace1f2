/* Unit tests of config/pct.c: each named kept set against every byte
 * (the sets the sites wrote by hand before: form, RFC 3986 unreserved,
 * alphanumerics, grpc-message, a path in a quoted-string), space as '+'
 * only in a form, upper-case hex, a buffer that does not fit and the
 * length measured. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/pct.h"

/* Every byte encoded under keep at once: it fits, and its length is
 * what sg_pct_len measures. */
static void all(enum sg_pct_keep keep)
{
	char out[256 * 3 + 1], in[256];
	size_t n = 0;

	for (int c = 0; c < 256; c++)
		in[c] = (char)c;
	assert_true(sg_pct_append(out, sizeof(out), &n, in, sizeof(in), keep));
	assert_int_equal(n, strlen(out));
	assert_int_equal(n, sg_pct_len(in, sizeof(in), keep));
}

/* The bytes keep writes as one byte (themselves, or '+' for a form's
 * space), in byte order. */
static const char *kept(enum sg_pct_keep keep)
{
	static char out[257];
	size_t k = 0;

	all(keep);
	for (int c = 0; c < 256; c++) {
		char in = (char)c, e[4];
		size_t n = 0;

		assert_true(sg_pct_append(e, sizeof(e), &n, &in, 1, keep));
		if (n == 1)
			out[k++] = e[0];
		else
			assert_true(n == 3 && e[0] == '%' &&
				    (unsigned char)strtol(e + 1, NULL, 16) == c);
	}
	out[k] = '\0';
	return out;
}

#define DIGITS "0123456789"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"

static void test_pct_keeps_each_set(void **state)
{
	(void)state;
	assert_string_equal(kept(SG_PCT_FORM), "+*-." DIGITS UPPER "_" LOWER); /* '+': space */
	assert_string_equal(kept(SG_PCT_UNRESERVED), "-." DIGITS UPPER "_" LOWER "~");
	assert_string_equal(kept(SG_PCT_ALNUM), DIGITS UPPER LOWER);
	assert_string_equal(kept(SG_PCT_GRPC), "!\"#$&'()*+,-./0123456789:;<=>?@"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
					       "abcdefghijklmnopqrstuvwxyz{|}~");
	assert_string_equal(kept(SG_PCT_QUOTED), "!#$%&'()*+,-./0123456789:;<=>?@"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
						 "abcdefghijklmnopqrstuvwxyz{|}~");
}

static void test_pct_escapes_upper_hex(void **state)
{
	char out[64];
	size_t n = 0;

	(void)state;
	assert_true(sg_pct_append(out, sizeof(out), &n, "a b\xc3\xa9\x7f\n%", 8, SG_PCT_FORM));
	assert_string_equal(out, "a+b%C3%A9%7F%0A%25");
	n = 0;
	assert_true(sg_pct_append(out, sizeof(out), &n, "a b", 3, SG_PCT_UNRESERVED));
	assert_string_equal(out, "a%20b");
	assert_true(sg_pct_append(out, sizeof(out), &n, "~", 1, SG_PCT_ALNUM)); /* appended */
	assert_string_equal(out, "a%20b%7E");
	assert_int_equal(n, 8);
	assert_int_equal(sg_pct_len("a b", 3, SG_PCT_FORM), 3);
	assert_int_equal(sg_pct_len("a b", 3, SG_PCT_GRPC), 5);
}

/* What does not fit stops before the byte whose encoding (and the NUL)
 * would not: the part that fit stays, NUL-terminated; a buffer of 0
 * bytes is not written. */
static void test_pct_stops_at_a_whole_escape(void **state)
{
	char out[8];
	size_t n = 0;

	(void)state;
	assert_true(sg_pct_append(out, 4, &n, "abc", 3, SG_PCT_ALNUM)); /* exactly */
	assert_string_equal(out, "abc");
	n = 0;
	assert_false(sg_pct_append(out, 6, &n, "ab/c", 4, SG_PCT_ALNUM));
	assert_string_equal(out, "ab%2F");
	assert_int_equal(n, 5);
	n = 0;
	assert_false(sg_pct_append(out, 5, &n, "ab/c", 4, SG_PCT_ALNUM));
	assert_string_equal(out, "ab");
	assert_int_equal(n, 2);
	n = 0;
	memcpy(out, "xyz", 4);
	assert_false(sg_pct_append(out, 0, &n, "a", 1, SG_PCT_ALNUM));
	assert_string_equal(out, "xyz");
	assert_true(sg_pct_append(out, 1, &n, "", 0, SG_PCT_ALNUM));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_keeps_each_set),
		cmocka_unit_test(test_pct_escapes_upper_hex),
		cmocka_unit_test(test_pct_stops_at_a_whole_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
