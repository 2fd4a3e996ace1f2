/* Percent-encoding (the contract is pct.h). */
#include "config/pct.h"

/* Whether c stays as it is under keep. */
static bool kept(unsigned char c, enum sg_pct_keep keep)
{
	bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

	switch (keep) {
	case SG_PCT_FORM:
		return alnum || c == '*' || c == '-' || c == '.' || c == '_';
	case SG_PCT_UNRESERVED:
		return alnum || c == '-' || c == '.' || c == '_' || c == '~';
	case SG_PCT_ALNUM:
		return alnum;
	case SG_PCT_GRPC:
		return c > ' ' && c < 0x7f && c != '%';
	case SG_PCT_QUOTED:
		return c > ' ' && c < 0x7f && c != '"' && c != '\\';
	}
	return false;
}

/* What c is written as: 1 byte (itself, or '+' for a form's space) or 3. */
static size_t width(unsigned char c, enum sg_pct_keep keep)
{
	return kept(c, keep) || (c == ' ' && keep == SG_PCT_FORM) ? 1 : 3;
}

bool sg_pct_append(char *out, size_t cap, size_t *n, const char *s, size_t len,
		   enum sg_pct_keep keep)
{
	static const char hex[] = "0123456789ABCDEF";
	bool fit = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = width(c, keep);

		if (*n + w >= cap) {
			fit = false;
			break;
		}
		if (w == 3) {
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		} else {
			out[(*n)++] = c == ' ' && keep == SG_PCT_FORM ? '+' : (char)c;
		}
	}
	if (*n < cap)
		out[*n] = '\0';
	return fit;
}

size_t sg_pct_len(const char *s, size_t len, enum sg_pct_keep keep)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += width((unsigned char)s[i], keep);
	return n;
}
