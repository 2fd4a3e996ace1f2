/* user/base/ascii.h: case folding a word at a time, against libc's
 * strncasecmp, exhaustively where it can be: every byte value, every
 * length up to 24, the difference at every place, and spans that end at
 * the last byte of a mapped page (a read past them would fault); '_' read
 * as '-' only where asked; and user/codec/h1.h's comparisons with a
 * literal (folded inline) and with a string known only when running
 * (libc) giving the same answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "user/base/ascii.h"
#include "user/codec/h1.h"

/* Every byte value lowered as tolower() in the C locale would. */
static void test_ascii_lower8_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		for (unsigned at = 0; at < 8; at++) {
			/* c at one place, 'Z' + 1 - at ('Z', 'Y', ... then '[')
			 * at the others: letters and not around it. */
			uint64_t fill = 0x0101010101010101ull * (unsigned)('Z' + 1 - at),
				 w = (fill & ~(0xffull << (8 * at))) | (uint64_t)c << (8 * at),
				 want = 0;

			for (unsigned i = 0; i < 8; i++) {
				unsigned b = (unsigned)(w >> (8 * i)) & 0xff;

				want |= (uint64_t)(b >= 'A' && b <= 'Z' ? b + 32 : b) << (8 * i);
			}
			assert_int_equal(sg_ascii_lower8(w), want);
		}
	}
}

/* Two bytes that differ at one place, every pair of values, every length
 * and place: the answer strncasecmp gives (no NUL in either: HTTP spans
 * may hold none, and strncasecmp would stop there). */
static void test_ascii_is_as_strncasecmp(void **state)
{
	char a[24], b[24];

	(void)state;
	for (size_t n = 1; n <= sizeof(a); n++) {
		for (size_t at = 0; at < n; at++) {
			for (unsigned x = 1; x < 256; x++) {
				for (unsigned y = 1; y < 256; y += (n > 3 ? 7 : 1)) {
					memset(a, 'k', n);
					memset(b, 'K', n);
					a[at] = (char)x;
					b[at] = (char)y;
					assert_int_equal(sg_ascii_is(a, b, n, false),
							 strncasecmp(a, b, n) == 0);
				}
			}
		}
	}
	assert_true(sg_ascii_is("", "x", 0, false));
	assert_true(sg_ascii_is("Content-Length", "content-length", 14, false));
	assert_false(sg_ascii_is("content-lengtH", "content-lengti", 14, false));
	assert_false(sg_ascii_is("Transfer-Encoding", "transfer-encodinG ", 18, false));
	/* '^' and '~', '@' and '`', '[' and '{' differ only in 0x20 too. */
	assert_false(sg_ascii_is("a^", "a~", 2, false));
	assert_false(sg_ascii_is("@", "`", 1, false));
	assert_false(sg_ascii_is("[\\]_", "{|}\x7f", 4, false));
}

/* A span that ends at the end of a mapped page, before an unmapped one:
 * no length reads past it. */
static void test_ascii_is_reads_nothing_past_the_end(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	for (size_t n = 1; n <= 24; n++) {
		char *end = m + page - n;

		memset(end, 'X', n);
		assert_true(sg_ascii_is(end, end, n, false));
		assert_true(sg_ascii_is(end, "xxxxxxxxxxxxxxxxxxxxxxxx", n, false));
	}
	munmap(m, (size_t)page * 2);
}

/* Only '_' becomes '-', at any place of the word, whatever is beside it. */
static void test_ascii_dash8_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		for (unsigned at = 0; at < 8; at++) {
			uint64_t fill = 0x0101010101010101ull * (at % 2 ? '_' : 'a'),
				 w = (fill & ~(0xffull << (8 * at))) | (uint64_t)c << (8 * at),
				 want = 0;

			for (unsigned i = 0; i < 8; i++) {
				unsigned b = (unsigned)(w >> (8 * i)) & 0xff;

				want |= (uint64_t)(b == '_' ? '-' : b) << (8 * i);
			}
			assert_int_equal(sg_ascii_dash8(w), want);
		}
	}
}

/* The names the gateway decides itself, spelt with '_', match with dash
 * and only with it; no other byte stands in for '-'. */
static void test_ascii_is_dash(void **state)
{
	(void)state;
	assert_true(sg_ascii_is("Content_Length", "content-length", 14, true));
	assert_true(sg_ascii_is("CONTENT-LENGTH", "content-length", 14, true));
	assert_false(sg_ascii_is("Content_Length", "content-length", 14, false));
	assert_false(sg_ascii_is("Content~Length", "content-length", 14, true));
	assert_false(sg_ascii_is("Content\rLength", "content-length", 14, true));
	assert_false(sg_ascii_is("Content\x7fLength", "content-length", 14, true));
	assert_true(sg_ascii_is("x_splicegate_mirror", "x-splicegate-mirror", 19, true));
	assert_true(sg_ascii_is("T_", "t-", 2, true));
	assert_false(sg_ascii_is("te", "t-", 2, true));
}

/* sg_h1_span_is folds inline for a literal and calls libc for a string
 * it cannot count when compiling: the same answers. */
static void test_h1_span_is_literal_and_not(void **state)
{
	static const char *names[] = { "Host",
				       "host",
				       "HOST",
				       "hosT",
				       "hose",
				       "hostx",
				       "hos",
				       "Transfer-Encoding",
				       "transfer_encoding",
				       "" };
	const char *volatile runtime = "host";
	const char *volatile te = "transfer-encoding";

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sg_h1_span s = { names[i], strlen(names[i]) };

		assert_int_equal(sg_h1_span_is(s, "host"), sg_h1_span_is(s, (const char *)runtime));
		assert_int_equal(sg_h1_span_is(s, "transfer-encoding"),
				 sg_h1_span_is(s, (const char *)te));
	}
	assert_true(sg_h1_span_is((struct sg_h1_span){ "HoSt", 4 }, "host"));
	assert_false(sg_h1_span_is((struct sg_h1_span){ "Host", 3 }, "host"));
}

/* A literal lookup and a lookup by a string known only when running find
 * the same field, the first of its name. */
static void test_h1_find_literal_and_not(void **state)
{
	struct sg_h1_header h[] = {
		{ { "Accept", 6 }, { "a", 1 } },
		{ { "HOST", 4 }, { "first", 5 } },
		{ { "host", 4 }, { "second", 6 } },
	};
	const char *volatile runtime = "host";

	(void)state;
	assert_ptr_equal(sg_h1_find_in(h, 3, "host"), &h[1].value);
	assert_ptr_equal(sg_h1_find_in(h, 3, (const char *)runtime), &h[1].value);
	assert_ptr_equal(sg_h1_find(h, 3, "Host"), &h[1].value);
	assert_null(sg_h1_find_in(h, 3, "upgrade"));
	assert_null(sg_h1_find_in(h, 1, "host"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_lower8_every_byte),
		cmocka_unit_test(test_ascii_is_as_strncasecmp),
		cmocka_unit_test(test_ascii_is_reads_nothing_past_the_end),
		cmocka_unit_test(test_ascii_dash8_every_byte),
		cmocka_unit_test(test_ascii_is_dash),
		cmocka_unit_test(test_h1_span_is_literal_and_not),
		cmocka_unit_test(test_h1_find_literal_and_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
