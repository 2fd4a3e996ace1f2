/* ASCII case folding eight bytes at a time, for the names and tokens HTTP
 * compares on every request (field names, connection tokens): no call,
 * and no cost that depends on where the strings lie, as libc's
 * vectorised strncasecmp has (a page-crossing check per call, about 40
 * to 60 instructions for a ten-byte name). */
#ifndef SG_BASE_ASCII_H
#define SG_BASE_ASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* w with each byte from 'A' to 'Z' lowered, every other byte as it was.
 * Per byte: its low seven bits plus 0x3f carry into bit 7 from 'A' up,
 * plus 0x25 from past 'Z' up; neither sum leaves its byte. A byte with
 * bit 7 set is no letter. The letters' bit 7, moved to bit 5, is the
 * 0x20 that lowers them. */
static inline uint64_t sg_ascii_lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, top = ones * 0x80;
	uint64_t low7 = w & ~top;
	uint64_t upper = (low7 + ones * (0x80 - 'A')) & ~(low7 + ones * (0x7f - 'Z')) & ~w & top;

	return w | (upper >> 2);
}

/* The first n bytes of p (n from 1 to 8) as one word, read without going
 * past p + n: two loads that may overlap, so the same bytes give the
 * same word. */
static inline uint64_t sg_ascii_word(const char *p, size_t n)
{
	uint32_t a, b;
	uint16_t c, d;

	if (n >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		return w;
	}
	if (n >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return a | (uint64_t)b << 32;
	}
	if (n >= 2) {
		memcpy(&c, p, 2);
		memcpy(&d, p + n - 2, 2);
		return c | (uint64_t)d << 16;
	}
	return (unsigned char)p[0];
}

/* Whether a[0..n) and b[0..n) are the same but for ASCII case
 * (strncasecmp(a, b, n) == 0 for strings without NUL). */
static inline bool sg_ascii_same(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (sg_ascii_lower8(sg_ascii_word(a + i, 8)) !=
		    sg_ascii_lower8(sg_ascii_word(b + i, 8)))
			return false;
	if (i == n)
		return true;
	/* The last bytes: the word ending at n (it overlaps the ones
	 * compared, when there were any), else the whole of a short one. */
	if (n >= 8)
		return sg_ascii_lower8(sg_ascii_word(a + n - 8, 8)) ==
		       sg_ascii_lower8(sg_ascii_word(b + n - 8, 8));
	return sg_ascii_lower8(sg_ascii_word(a, n)) == sg_ascii_lower8(sg_ascii_word(b, n));
}

#endif
