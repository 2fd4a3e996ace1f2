/* Session persistence, the pure part (config/cfg.h struct sg_session):
 * what a session names and how it is written in a cookie or a header, when
 * it has expired, and how a Cookie header is read. The request module
 * (user/core/request.c) reads the request's session and writes the
 * response's; the endpoint choice (user/core/lb.h) looks the named
 * endpoint up in the route's current set.
 *
 * A session names its endpoint by a 64-bit hash of the endpoint's identity
 * (its backend: a Service's namespace, name and port, or a host as
 * written; and its address and port), never by its address: the value
 * cannot send a request anywhere but to an endpoint of the route as it is
 * now, it survives a reload or a restart that keeps the endpoint (every
 * host computes the same hash), and it shows nothing of the backend's
 * addresses. */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/cfg.h"

/* What a session value carries: the endpoint, when the session began
 * and when a response last renewed it (Unix time in ms: it must mean the
 * same after a restart and on another host). */
struct sg_session_token {
	uint64_t id;
	uint64_t issued, seen;
};

/* The longest value sg_session_format writes, with its NUL:
 * "<16 hex>.<up to 16 hex>.<up to 16 hex>". */
#define SG_SESSION_VALUE_MAX 51

/* A session issued at `now` is honoured though its clock reads up to this
 * far ahead of ours (the hosts of a fleet disagree a little). */
#define SG_SESSION_SKEW_MS 60000

/* The identity hash of endpoint ep of backend b (never 0). */
uint64_t sg_session_id(const struct sg_backend_ref *b, const struct sg_endpoint *ep);

/* t as a value (hex fields joined by dots: id, issued, seen) into out,
 * NUL-terminated; returns its length. */
size_t sg_session_format(const struct sg_session_token *t, char out[SG_SESSION_VALUE_MAX]);

/* v[0..len) read back into *t: exactly what sg_session_format writes
 * (lowercase hex, id of 16 digits, the times of 1 to 16 without a leading
 * zero, seen not before issued, id not 0). False, *t unspecified, for anything else. */
bool sg_session_parse(const char *v, size_t len, struct sg_session_token *t);

/* Whether t is still a session under s at `now_ms` (Unix ms): its
 * absoluteTimeout not passed since it was issued, its idleTimeout not
 * passed since it was last seen, and neither time further ahead than
 * SG_SESSION_SKEW_MS. Without timeouts, always. */
bool sg_session_live(const struct sg_session *s, const struct sg_session_token *t, uint64_t now_ms);

/* The value of the cookie called `name` in one Cookie header's value
 * hdr[0..len) (RFC 6265 §4.2.1: "a=b; c=d"; spaces around the pairs
 * tolerated, a double-quoted value unquoted): in *v, *vlen, borrowed from
 * hdr. False when it has none of that name. The first one counts. */
bool sg_session_cookie(const char *hdr, size_t len, const char *name, const char **v, size_t *vlen);

/* The Set-Cookie value for session value val[0..len) under cookie
 * settings s: "name=val; Path=p", "; Max-Age=N" (absoluteTimeout in whole
 * seconds, at least 1) for a Permanent cookie, then "; HttpOnly;
 * SameSite=Strict" and, for a client on TLS (`secure`), "; Secure", as the
 * GEP's security-by-default asks. Into out[0..cap), NUL-terminated;
 * returns its length, or -1 when it does not fit. */
#define SG_SESSION_COOKIE_MAX 1400 /* a Set-Cookie value with the longest name and path */
ssize_t sg_session_set_cookie(const struct sg_session *s, const char *val, size_t len, bool secure,
			      char *out, size_t cap);

#endif
