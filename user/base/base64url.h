/* base64url (RFC 4648 §5) without padding, as JWS (RFC 7515 §2) and
 * HTTP2-Settings (RFC 7540 §3.2.1) write it, and base64 (§4). No I/O. */
#ifndef SG_BASE64URL_H
#define SG_BASE64URL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Decode in[0..len) into out[0..cap). Returns the decoded length, or -1
 * on a character outside the alphabet ('=' included), a length that
 * cannot end a byte (len % 4 == 1), a last character with bits set past
 * the last byte (not the canonical encoding) or a short out (cap of
 * len * 3 / 4 always fits). */
ssize_t sg_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* The same into a new buffer (malloc'd, the caller's), NUL-terminated
 * after its *out_len bytes; NULL when in is not base64url or memory ran
 * out. */
unsigned char *sg_base64url_decode_new(const char *in, size_t len, size_t *out_len);

/* The same for base64's standard alphabet (+ and /), with its '=' padding
 * (none, or to a multiple of 4): Basic credentials (RFC 7617). */
ssize_t sg_base64_decode_std(const char *in, size_t len, uint8_t *out, size_t cap);

/* in[0..len) encoded into out, NUL-terminated: base64url without padding
 * (out holds (len * 4 + 2) / 3 + 1), base64 with it (4 * ((len + 2) / 3)
 * + 1). Returns the length written, NUL not counted. */
size_t sg_base64url_encode(const uint8_t *in, size_t len, char *out);
size_t sg_base64_encode_std(const uint8_t *in, size_t len, char *out);

#endif
