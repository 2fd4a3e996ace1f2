/* Form encoding (the contract is form.h). */
#include "user/base/form.h"

#include "config/hex.h"
#include "config/pct.h"

bool sg_form_append(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	return sg_pct_append(out, cap, n, s, len, SG_PCT_FORM);
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
