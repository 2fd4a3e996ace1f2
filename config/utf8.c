/* UTF-8 measured, checked and made lossy (the contract is utf8.h). */
#include "config/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

size_t sg_utf8_len(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t len = !n			     ? 0
		     : s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	uint32_t cp;

	if (!len || len > n)
		return 0;
	cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* sg_utf8_span, stopping at a NUL too when nul_bad. */
static size_t span(const char *s, size_t n, bool nul_bad)
{
	size_t k = 0, len;

	while (k < n && !(nul_bad && !s[k]) && (len = sg_utf8_len(s + k, n - k)))
		k += len;
	return k;
}

size_t sg_utf8_span(const char *s, size_t n)
{
	return span(s, n, false);
}

size_t sg_utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	for (int k = 0; k < 3 && max && ((unsigned char)s[max] & 0xc0) == 0x80; k++)
		max--;
	return max;
}

/* How many bytes at s[0..n) one U+FFFD stands for, s beginning no
 * well-formed sequence: the maximal subpart (Unicode 15 section 3.9,
 * what Rust's from_utf8_lossy replaces), the longest start of a
 * well-formed sequence there, else the one byte. */
static size_t bad_len(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t need = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
		      : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		      : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						     : 1;
	/* the second byte's range; the rest take 80-BF */
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	size_t k = 1;

	for (; k < need && k < n && s[k] >= lo && s[k] <= hi; k++) {
		lo = 0x80;
		hi = 0xbf;
	}
	return k;
}

size_t sg_utf8_lossy(char *out, const char *s, size_t n, unsigned flags)
{
	static const char replacement[3] = { '\xef', '\xbf', '\xbd' }; /* U+FFFD */
	size_t k = 0, o = 0;

	while (k < n) {
		size_t good = span(s + k, n - k, flags & SG_UTF8_LOSSY_NUL);

		if (out)
			memcpy(out + o, s + k, good);
		o += good;
		k += good;
		if (k == n)
			break;
		if (out)
			memcpy(out + o, replacement, sizeof(replacement));
		o += sizeof(replacement);
		k += bad_len(s + k, n - k);
	}
	return o;
}
