/* user/base/ascii.h: case folding eight bytes at a time, against libc's
 * strncasecmp, exhaustively where it can be: every byte value, every
 * length up to 24, the difference at every place, and spans that end at
 * the last byte of a mapped page (a read past them would fault). */
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
static void test_ascii_same_as_strncasecmp(void **state)
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
					assert_int_equal(sg_ascii_same(a, b, n),
							 strncasecmp(a, b, n) == 0);
				}
			}
		}
	}
	assert_true(sg_ascii_same("", "x", 0));
	assert_true(sg_ascii_same("Content-Length", "content-length", 14));
	assert_false(sg_ascii_same("content-lengtH", "content-lengti", 14));
	assert_false(sg_ascii_same("Transfer-Encoding", "transfer-encodinG ", 18));
	/* '^' and '~', '@' and '`', '[' and '{' differ only in 0x20 too. */
	assert_false(sg_ascii_same("a^", "a~", 2));
	assert_false(sg_ascii_same("@", "`", 1));
	assert_false(sg_ascii_same("[\\]_", "{|}\x7f", 4));
}

/* A span that ends at the end of a mapped page, before an unmapped one:
 * no length reads past it. */
static void test_ascii_same_reads_nothing_past_the_end(void **state)
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
		assert_true(sg_ascii_same(end, end, n));
		assert_true(sg_ascii_same(end, "xxxxxxxxxxxxxxxxxxxxxxxx", n));
	}
	munmap(m, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_lower8_every_byte),
		cmocka_unit_test(test_ascii_same_as_strncasecmp),
		cmocka_unit_test(test_ascii_same_reads_nothing_past_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
