/* Web origins (RFC 6454): a CORS allowOrigins entry is checked when the
 * config loads and a request's Origin is compared with it by component
 * (scheme, host, port with the scheme's default), never byte for byte or
 * by a pattern over the whole text. Pure functions over the caller's
 * bytes. */
#ifndef SG_ORIGIN_H
#define SG_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An origin's parts, spans into the text it was read from. */
struct sg_origin {
	const char *scheme, *host;
	size_t scheme_len, host_len;
	uint16_t port; /* the one written, else the scheme's default; 0: none */
	bool any_host; /* a pattern's host "*" */
	bool wildcard; /* a pattern's "*." host: host is what follows the "*." */
};

/* Reads s[0..len) as "scheme://host[:port]" and nothing else (no path,
 * query, fragment or userinfo): a scheme of RFC 3986 §3.1, a host name,
 * IPv4 address or bracketed IPv6 address (config/hostname.h), a port of 1
 * to 65535. `pattern`: the host may also be "*" or "*." followed by a host
 * name. 0, or -1 when s is not that. */
int sg_origin_parse(const char *s, size_t len, bool pattern, struct sg_origin *o);

/* Whether `entry` (NUL-terminated) can be a CORS allowOrigins entry: "*",
 * or an origin pattern as above. */
bool sg_origin_entry_valid(const char *entry);

/* Whether a request's Origin value origin[0..len) is allowed by `entry`:
 * "*" allows any; else the same scheme and host (ASCII case ignored) and
 * the same port once defaults are applied (http 80, https 443), where a
 * "*." host matches one or more whole labels before the rest. An Origin
 * that is not an origin ("null", a path, a stray character) matches no
 * other entry. */
bool sg_origin_match(const char *entry, const char *origin, size_t len);

#endif
