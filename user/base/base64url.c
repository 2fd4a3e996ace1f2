/* base64, both alphabets (the contract is base64url.h). */
#include "user/base/base64url.h"

#include <stdbool.h>
#include <stdlib.h>

static int value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static ssize_t decode(const char *in, size_t len, bool url, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t bits = 0, n = 0;

	if (len % 4 == 1)
		return -1; /* 6 bits cannot end a byte */
	for (size_t i = 0; i < len; i++) {
		int v = value(in[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* base64url's last character may carry bits past the last byte: set,
	 * they write the same bytes another way (RFC 4648 §3.5), and a JWS
	 * signature would have many encodings (jsonwebtoken refuses them) */
	if (url && (acc & ((1u << bits) - 1)))
		return -1;
	return (ssize_t)n;
}

ssize_t sg_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	return decode(in, len, true, out, cap);
}

unsigned char *sg_base64url_decode_new(const char *in, size_t len, size_t *out_len)
{
	unsigned char *out = malloc(len * 3 / 4 + 1);
	ssize_t n = out ? decode(in, len, true, out, len * 3 / 4) : -1;

	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*out_len = (size_t)n;
	return out;
}

ssize_t sg_base64_decode_std(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t pad = 0;

	while (len && in[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad && (len + pad) % 4)
		return -1;
	return decode(in, len, false, out, cap);
}

static size_t encode(const uint8_t *in, size_t len, bool url, char *out)
{
	const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[n++] = abc[v >> 18];
		out[n++] = abc[(v >> 12) & 63];
		out[n++] = abc[(v >> 6) & 63];
		out[n++] = abc[v & 63];
	}
	if (i < len) { /* one or two bytes left: two or three characters */
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[n++] = abc[v >> 18];
		out[n++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[n++] = abc[(v >> 6) & 63];
		while (!url && n % 4)
			out[n++] = '=';
	}
	out[n] = '\0';
	return n;
}

size_t sg_base64url_encode(const uint8_t *in, size_t len, char *out)
{
	return encode(in, len, true, out);
}

size_t sg_base64_encode_std(const uint8_t *in, size_t len, char *out)
{
	return encode(in, len, false, out);
}
