/* Form encoding (the contract is form.h). */
#include "user/base/form.h"

#include "config/hex.h"

bool sg_form_append(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

		if (*n + 3 >= cap)
			return false;
		if (plain) {
			out[(*n)++] = (char)c;
		} else if (c == ' ') {
			out[(*n)++] = '+';
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		}
	}
	if (*n < cap)
		out[*n] = '\0';
	return true;
}

ssize_t sg_form_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len && sg_hex_digit(s[i + 1]) >= 0 &&
			   sg_hex_digit(s[i + 2]) >= 0) {
			c = (char)(sg_hex_digit(s[i + 1]) * 16 + sg_hex_digit(s[i + 2]));
			i += 2;
		}
		if (n == cap)
			return -1;
		out[n++] = c;
	}
	return (ssize_t)n;
}
