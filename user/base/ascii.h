/* ASCII case folding a word at a time, for comparing a field name or token
 * with a literal on every request: the literal's words are constants once
 * inlined, the name's are at most two loads, and nothing is called. libc's
 * vectorised strncasecmp costs 40 to 60 instructions for a ten-byte name,
 * more or less with where the strings happen to lie.
 *
 * Only for a length known when compiling: with a length that varies the
 * loop below is no cheaper than libc's (measured, 4565ef0). */
#ifndef SG_BASE_ASCII_H
#define SG_BASE_ASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SG_ASCII_INLINE static inline __attribute__((always_inline))

/* w with each byte from 'A' to 'Z' lowered, every other byte as it was.
 * Per byte: its low seven bits plus 0x3f carry into bit 7 from 'A' up,
 * plus 0x25 from past 'Z' up; neither sum leaves its byte. A byte with
 * bit 7 set is no letter. The letters' bit 7, moved to bit 5, is the
 * 0x20 that lowers them. */
SG_ASCII_INLINE uint64_t sg_ascii_lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, top = ones * 0x80;
	uint64_t low7 = w & ~top;
	uint64_t upper = (low7 + ones * (0x80 - 'A')) & ~(low7 + ones * (0x7f - 'Z')) & ~w & top;

	return w | (upper >> 2);
}

/* w with each '_' byte made '-', every other byte as it was: nginx's and
 * the gateway's reading of "Content_Length" as the name it imitates.
 * x's zero bytes are the underscores; a byte's low seven bits plus 0x7f
 * set its bit 7 unless they are all zero. */
SG_ASCII_INLINE uint64_t sg_ascii_dash8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, top = ones * 0x80;
	uint64_t x = w ^ (ones * '_');
	uint64_t underscore = ~(((x & ~top) + ~top) | x) & top;

	return w ^ ((underscore >> 7) * ('_' ^ '-'));
}

/* The first n bytes of p (n from 1 to 8) as one word, read without going
 * past p + n: two loads that may overlap, so the same bytes give the
 * same word. */
SG_ASCII_INLINE uint64_t sg_ascii_word(const char *p, size_t n)
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

/* p's word, lowered, and with dash its '_' read as '-'. */
SG_ASCII_INLINE uint64_t sg_ascii_fold(const char *p, size_t n, bool dash)
{
	uint64_t w = sg_ascii_lower8(sg_ascii_word(p, n));

	return dash ? sg_ascii_dash8(w) : w;
}

/* Whether p[0..n) is lit[0..n) but for ASCII case (strncasecmp(p, lit, n)
 * == 0 for bytes without NUL), with dash '_' in p read as '-' (lit then
 * has no '_'). n and lit must be known when compiling: then each word
 * of lit is a constant and the loop is unrolled. */
SG_ASCII_INLINE bool sg_ascii_is(const char *p, const char *lit, size_t n, bool dash)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (sg_ascii_fold(p + i, 8, dash) != sg_ascii_fold(lit + i, 8, false))
			return false;
	if (i == n)
		return true;
	/* The last bytes: the word ending at n (it overlaps the ones
	 * compared, when there were any), else the whole of a short one. */
	if (n >= 8)
		return sg_ascii_fold(p + n - 8, 8, dash) == sg_ascii_fold(lit + n - 8, 8, false);
	return sg_ascii_fold(p, n, dash) == sg_ascii_fold(lit, n, false);
}

#endif
