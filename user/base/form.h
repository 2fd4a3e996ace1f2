/* application/x-www-form-urlencoded (the HTML form encoding, as RFC 6749
 * appendix B uses it for OAuth): what query parameters, token requests and
 * Basic client credentials carry. No I/O. */
#ifndef SG_FORM_H
#define SG_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* s[0..len) encoded onto out[0..cap) at *n, NUL-terminated, as the WHATWG
 * URL standard's serializer does (agentgateway's url::form_urlencoded):
 * A-Z a-z 0-9 * - . _ as they are, space as '+', every other byte as %XX
 * (sg_pct_append with SG_PCT_FORM). False when it does not fit (out then
 * holds a part, NUL-terminated). */
bool sg_form_append(char *out, size_t cap, size_t *n, const char *s, size_t len);

/* s[0..len) decoded into out[0..cap) ('+' as space, %XX as its byte; a
 * '%' not followed by two hex digits stays as it is): the length, or -1
 * when it does not fit. */
ssize_t sg_form_decode(const char *s, size_t len, char *out, size_t cap);

#endif
