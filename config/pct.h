/* Percent-encoding (RFC 3986 section 2.1, upper-case hex) with the kept
 * sets the gateway's callers need, so that each spelling of "which bytes
 * stay as they are" is written once. No I/O. */
#ifndef SG_PCT_H
#define SG_PCT_H

#include <stdbool.h>
#include <stddef.h>

/* Which bytes stay as they are; every other byte becomes %XX. */
enum sg_pct_keep {
	/* application/x-www-form-urlencoded as the WHATWG URL standard
	 * writes it (agentgateway's url::form_urlencoded): A-Z a-z 0-9
	 * * - . _ kept, space as '+' */
	SG_PCT_FORM,
	/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ */
	SG_PCT_UNRESERVED,
	/* A-Z a-z 0-9 only (the percent-encoding crate's NON_ALPHANUMERIC) */
	SG_PCT_ALNUM,
	/* a grpc-message value: visible ASCII and nothing else but '%'
	 * (agentgateway's CONTROLS + ' ' + '%', every byte past 0x7e) */
	SG_PCT_GRPC,
	/* a URL already percent-encoded, put inside an HTTP quoted-string:
	 * visible ASCII but '"' and '\\' */
	SG_PCT_QUOTED,
};

/* s[0..len) encoded onto out[0..cap) at *n, NUL-terminated. True when all
 * of it fit; false when a byte's encoding (and the NUL) did not: out then
 * holds, NUL-terminated, the part before that byte, and *n its length. */
bool sg_pct_append(char *out, size_t cap, size_t *n, const char *s, size_t len,
		   enum sg_pct_keep keep);

/* The length s[0..len) takes encoded (no NUL). */
size_t sg_pct_len(const char *s, size_t len, enum sg_pct_keep keep);

#endif
