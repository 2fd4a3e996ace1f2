/* HTTP/1.x codec: parses message heads into views over the caller's buffer,
 * finds where chunked bodies end and writes proxied heads into caller buffers.
 * No I/O and no allocation (header slots are the caller's). */
#ifndef SG_H1_H
#define SG_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "user/base/ascii.h"
#include "user/base/buf.h"

#define SG_H1_MAX_HEADERS 256

/* The decimal digits of v, written at the end of tmp: returns where they
 * begin (they end at tmp + SG_H1_DIGITS_MAX). For numbers written on every
 * request (statuses, lengths, ports), without printf's format machinery. */
#define SG_H1_DIGITS_MAX 20 /* UINT64_MAX has 20 */
char *sg_h1_digits(char tmp[SG_H1_DIGITS_MAX], uint64_t v);

/* A span of the caller's buffer (not NUL-terminated). */
struct sg_h1_span {
	const char *p;
	size_t len;
};

/* Values exclude leading and trailing whitespace. */
struct sg_h1_header {
	struct sg_h1_span name;
	struct sg_h1_span value;
};

/* A parsed request head. Spans point into the buffer given to the parser
 * and stay valid while that buffer is unchanged. The caller owns the header
 * slots headers[0..headers_cap) and sets both fields before parsing (the
 * parsers keep them); NULL and 0 are a valid view of a head without headers,
 * which every reader below accepts. */
struct sg_h1_req {
	struct sg_h1_span method;
	struct sg_h1_span target;
	uint8_t minor; /* HTTP/1.<minor> */
	struct sg_h1_header *headers;
	size_t headers_cap;
	size_t nheaders;	/* used slots, <= headers_cap */
	int64_t content_length; /* -1 = none */
	bool chunked;
	bool keep_alive;
	size_t head_len; /* bytes of the head, including the blank line */
	uint8_t cookies; /* Cookie field lines (counted up to 255) */
};

/* A parsed response head; spans point into the parser's buffer and header
 * slots are the caller's, as above. */
struct sg_h1_resp {
	uint16_t status; /* 100..599 */
	struct sg_h1_span reason;
	uint8_t minor; /* HTTP/1.<minor> */
	struct sg_h1_header *headers;
	size_t headers_cap;
	size_t nheaders;	/* used slots, <= headers_cap */
	int64_t content_length; /* -1 = none, or overridden by Transfer-Encoding */
	bool chunked;
	/* The backend connection may carry another response afterwards. False
	 * whenever the body could be close-delimited (so also for a HEAD
	 * response without framing headers) or the framing headers conflict. */
	bool keep_alive;
	size_t head_len; /* bytes of the head, including the blank line */
	/* From an HTTP/2 backend, whose codec let through only lowercase
	 * names and no connection-specific field but "te: trailers" (RFC 9113
	 * §8.2.2): nothing to lowercase, and nothing else to take out. */
	bool h2;
};

enum sg_h1_result {
	SG_H1_DONE = 1,	      /* head complete: head_len is set */
	SG_H1_PARTIAL = 0,    /* need more bytes */
	SG_H1_INVALID = -1,   /* malformed: 400 (502 for a response) */
	SG_H1_TOO_LARGE = -2, /* more than max_headers headers: 431 */
};

/* How a body is delimited. */
enum sg_h1_body {
	SG_H1_BODY_NONE,
	SG_H1_BODY_LENGTH,  /* content_length bytes */
	SG_H1_BODY_CHUNKED, /* find the end with sg_h1_chunked_scan() */
	SG_H1_BODY_CLOSE,   /* until EOF: the connection cannot be reused */
};

/* Parse the request head at the start of buf[0..len). The header count is
 * bounded by the smallest of `max_headers`, SG_H1_MAX_HEADERS and
 * req->headers_cap; past it the result is SG_H1_TOO_LARGE. Bytes after head_len are not
 * looked at (a body or a pipelined request). Strict: CRLF line endings only,
 * no obs-fold, no NUL, field names are tokens (no space before the colon);
 * the method is any token; the target has no control character or space
 * and is origin-form, "*" (OPTIONS only), authority-form host:port (CONNECT
 * only) or absolute-form http(s)://authority[/path]; HTTP/1.0 or 1.1;
 * Transfer-Encoding only as one "chunked" (no other coding, no second line),
 * never beside Content-Length, never in HTTP/1.0; one Content-Length;
 * exactly one Host in HTTP/1.1, at most one in HTTP/1.0, empty or a valid
 * uri-host[:port]. An absolute-form target is read as RFC 9112 §3.2.2 says:
 * target becomes its origin-form part ("/" when its path is empty, a span
 * that is not in buf) and its authority replaces the Host value (or is added
 * as a "Host" header to an HTTP/1.0 request without one). Anything else is
 * SG_H1_INVALID. *req is overwritten either way, except headers and
 * headers_cap, which are kept. */
enum sg_h1_result sg_h1_parse_request(const char *buf, size_t len, size_t max_headers,
				      struct sg_h1_req *req);

/* The request line of buf[0..len) alone, as sg_h1_parse_request reads it:
 * *req overwritten but for headers and headers_cap, with method, target
 * (origin-form) and minor; *line_len the line's bytes with any empty lines
 * before it and its CRLF; *authority an absolute-form target's authority
 * (p NULL for the other forms). SG_H1_PARTIAL while the line is coming. */
enum sg_h1_result sg_h1_request_line(const char *buf, size_t len, struct sg_h1_req *req,
				     size_t *line_len, struct sg_h1_span *authority);

/* Parse the response head at the start of buf[0..len), as above: CRLF line
 * endings only, no obs-fold, field names are tokens, values hold no control
 * but HTAB; "HTTP/1.0" or "HTTP/1.1", a three-digit status from 100 to 599;
 * one Content-Length of digits. A response with Transfer-Encoding and
 * Content-Length follows Transfer-Encoding and gets keep_alive = false (RFC
 * 9112 §6.3) instead of being refused. A head that cannot begin with
 * HTTP/1.x is SG_H1_INVALID as soon as that shows. */
enum sg_h1_result sg_h1_parse_response(const char *buf, size_t len, size_t max_headers,
				       struct sg_h1_resp *resp);

/* Whether a and b hold the same bytes but for ASCII case (names, tokens);
 * the lengths, compared first, tell most apart. Inline: the HTTP/2 path
 * checks every field of every request against a handful of names. */
static inline bool sg_h1_span_same(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

/* sg_h1_span_same with a NUL-terminated name. With a literal the compiler
 * counts its length and the comparison is a word or two of folding
 * (user/base/ascii.h), not a call. */
SG_ASCII_INLINE bool sg_h1_span_is(struct sg_h1_span s, const char *lit)
{
	size_t n = strlen(lit);

	if (__builtin_constant_p(n))
		return s.len == n && sg_ascii_is(s.p, lit, n, false);
	return sg_h1_span_same(s, (struct sg_h1_span){ lit, n });
}

/* n bytes of src into dst (the same place, or one that does not overlap),
 * ASCII letters lowercased: a field name as HTTP/2 sends it. */
static inline void sg_h1_lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? (char)(src[i] - 'A' + 'a') : src[i];
}

/* Whether the comma-separated list has `token` (case-insensitive), skipping
 * the empty elements RFC 9110 §5.6.1 allows and the whitespace around each. */
bool sg_h1_list_has(struct sg_h1_span list, struct sg_h1_span token);

/* The names a head's Connection fields list (RFC 9110 §7.6.1: each names a
 * field of this hop only), read once per head rather than for every field
 * a writer asks about; past SG_H1_CONN_NAMES_MAX of them the fields are
 * read again for each name. headers[0..nheaders) must outlive it. */
#define SG_H1_CONN_NAMES_MAX 8
struct sg_h1_conn_names {
	const struct sg_h1_header *headers;
	size_t nheaders;
	size_t first; /* the first Connection field; nheaders: none */
	bool all;     /* names[0..n) holds every listed name */
	size_t n;
	struct sg_h1_span names[SG_H1_CONN_NAMES_MAX];
};
void sg_h1_conn_names(struct sg_h1_conn_names *c, const struct sg_h1_header *h, size_t n);
/* Whether the Connection fields list `name` (case-insensitive). */
bool sg_h1_conn_lists(const struct sg_h1_conn_names *c, struct sg_h1_span name);

/* Whether any of the headers h[0..n) named `name` lists `token` in its
 * comma-separated value (case-insensitive). */
bool sg_h1_headers_list(const struct sg_h1_header *h, size_t n, const char *name,
			const char *token);

/* The value of the first of h[0..n) named `name` (case-insensitive), or
 * NULL. */
const struct sg_h1_span *sg_h1_find(const struct sg_h1_header *h, size_t n, const char *name);

/* sg_h1_find, inline for a literal name (each lookup a word or two of
 * folding per field of the same length; several run on every request). */
SG_ASCII_INLINE const struct sg_h1_span *sg_h1_find_in(const struct sg_h1_header *h, size_t n,
						       const char *name)
{
	if (!__builtin_constant_p(strlen(name)))
		return sg_h1_find(h, n, name);
	for (size_t i = 0; i < n; i++)
		if (sg_h1_span_is(h[i].name, name))
			return &h[i].value;
	return NULL;
}

/* The value of header `name` (case-insensitive, first match), or NULL. */
SG_ASCII_INLINE const struct sg_h1_span *sg_h1_header(const struct sg_h1_req *req, const char *name)
{
	return sg_h1_find_in(req->headers, req->nheaders, name);
}

SG_ASCII_INLINE const struct sg_h1_span *sg_h1_resp_header(const struct sg_h1_resp *resp,
							   const char *name)
{
	return sg_h1_find_in(resp->headers, resp->nheaders, name);
}

/* sg_h1_header as the route and filter inputs' header callback takes it:
 * req is a struct sg_h1_req; the value's bytes, *len of them, or NULL. */
const char *sg_h1_header_lookup(void *req, const char *name, size_t *len);

/* A request with several Cookie lines (req->cookies > 1) gets one, as an
 * HTTP/2 request's crumbs are joined (RFC 9113 §8.2.3; RFC 6265 §5.4 has a
 * client send one): their values joined with "; " in *joined (malloc'd,
 * the caller's to free once the request is done), which the first line's
 * value points at, the later lines taken out. So that every reader sees
 * every cookie: credentials, strips, CEL, the backend. 0 (nothing to do:
 * *joined NULL), or -ENOMEM with the request unchanged. */
int sg_h1_join_cookies(struct sg_h1_req *req, char **joined);

/* Request body framing: chunked, Content-Length (0 -> NONE), else NONE. */
enum sg_h1_body sg_h1_request_body(const struct sg_h1_req *req);

/* How the response body is framed (RFC 9112 §6.3): none after a HEAD request
 * or for 1xx, 204, 304; chunked; Content-Length (0 -> NONE); else until EOF,
 * which also covers a Transfer-Encoding other than a final chunked and a 2xx
 * to CONNECT (a tunnel) sent, as required, without framing headers. */
enum sg_h1_body sg_h1_response_body(const struct sg_h1_resp *resp, bool request_was_head);

/* As sg_h1_response_body() for the request `req` was answered with; a 2xx to
 * CONNECT is SG_H1_BODY_CLOSE (a tunnel) whatever framing headers it has. */
enum sg_h1_body sg_h1_response_body_for(const struct sg_h1_resp *resp, const struct sg_h1_req *req);

/* Whether p[0..len) is an RFC 3986 uri-host with an optional ":port" (up
 * to 5 digits; required when need_port): a reg-name or IPv4 address
 * (unreserved, pct-encoded, sub-delims) or an IP-literal in brackets. No
 * userinfo, path, space or comma list. */
bool sg_h1_authority_valid(const char *p, size_t len, bool need_port);

/* The decimal number p[0..len) begins with (a Content-Length's digits:
 * leading zeros taken, at most 2^63-1), with *used set to the digits read;
 * -1 when p does not begin with a digit or the number is larger. */
int64_t sg_h1_decimal(const char *p, size_t len, size_t *used);

/* Whether method m, a token, may be forwarded: any but a standard method
 * spelt in another case ("head", "Connect"), which a backend may read as
 * that method while the gateway frames its answer as another's. */
bool sg_h1_method_ok(struct sg_h1_span m);

/* The upgrade to offer a backend for `req`: "connection: upgrade\r\n" and
 * "upgrade: <protocols>\r\n" with the protocols the client asked for, less
 * h2c (HTTP/2 is the gateway's to take, never a backend's). Written to
 * out[0..cap) and NUL-terminated; returns its length, 0 when nothing is to
 * be offered (no upgrade asked, only h2c, or it does not fit). */
size_t sg_h1_upgrade_offer(const struct sg_h1_req *req, char *out, size_t cap);

/* The client asks to switch protocols: Connection lists "upgrade" and an
 * Upgrade header is present. */
bool sg_h1_wants_upgrade(const struct sg_h1_req *req);

/* An HTTP/1.1 request with "Expect: 100-continue" (ignored in HTTP/1.0,
 * RFC 9110 §10.1.1). */
bool sg_h1_expects_continue(const struct sg_h1_req *req);

/* RFC 9110 §5.6.2 tchar, by byte: what a field name (and a method) is
 * made of; shared with the chunked trailers' reader (h1chunk.c). */
extern const bool sg_h1_tchar[256];

/* A field that no HTTP parser checked (a service's answer in protobuf, a
 * token from JSON) before the gateway writes it into a head: the name is
 * one or more tchars, the value has no control byte but HTAB (RFC 9110
 * §5.1, §5.5), so that neither can end its line and start another. */
bool sg_h1_value_ok(const char *p, size_t n);
bool sg_h1_field_ok(struct sg_h1_span name, struct sg_h1_span value);

/* Whether a field may travel in a trailer section the gateway passes on
 * between HTTP/1 and HTTP/2: not a framing, routing or hop-by-hop field
 * (Content-Length, Host, Transfer-Encoding, Connection, Keep-Alive, TE,
 * Upgrade, Trailer...; RFC 9110 6.5.1, RFC 9113 8.2.2). */
bool sg_h1_trailer_allowed(const char *name, size_t len);

/* The writers below fill out[0..cap) and return the length written, or -1 if
 * it does not fit (out's contents are then unspecified). Nothing is
 * NUL-terminated. `extra`, when not NULL, is whole header lines each ending
 * in CRLF, copied before the blank line.
 *
 * Hop-by-hop headers are dropped: Connection, Keep-Alive, Proxy-Connection,
 * TE, HTTP2-Settings, every header named in a Connection header, every name
 * with '_' that reads as one of those or as Content-Length,
 * Transfer-Encoding or Upgrade once '_' is '-' ("Content_Length": a backend
 * that folds '_' into '-' would read it as framing), and Upgrade unless `extra`
 * lists "upgrade" in a Connection line and carries no Upgrade line itself
 * (so an upgrade is forwarded either with the received Upgrade header or with
 * the one in `extra`, never both). Host, Content-Length and Transfer-Encoding
 * are never dropped because Connection names them: the body is forwarded
 * as-is and must keep its framing. Trailer is kept. */

/* Request head for a backend: "<method> <target> HTTP/1.1", the other
 * headers in received order and case, then "X-Forwarded-For: <received
 * values>, <client_ip>" (received ones are joined; client_ip NULL adds
 * nothing), then "x-retry-attempt: <attempt>" when attempt > 0 (replacing
 * any the client sent), then extra. No Host is added when none came. */
ssize_t sg_h1_write_request(const struct sg_h1_req *req, const char *client_ip, unsigned attempt,
			    const char *extra, char *out, size_t cap);

/* What a route's filters (user/core/filter.c) change in a head as it is
 * written. Headers the gateway owns are neither dropped nor added through
 * it: the hop-by-hop ones above, Host (changed only through `host`),
 * Content-Length and Transfer-Encoding (a body keeps its framing). */
struct sg_h1_edit {
	struct sg_h1_span target; /* requests: p NULL = as received */
	struct sg_h1_span host;	  /* requests: the Host value, p NULL = as received */
	/* Whether a received header is not written (NULL: none is). */
	bool (*drops)(const void *arg, const char *name, size_t len);
	const void *arg;
	/* Lines written after the received headers, before `extra`. The
	 * last nfill of them are a set that only fills in: a response that
	 * came with a field of any of their names keeps its own and gets
	 * none of them (the gateway's own answers get them all). */
	const struct sg_h1_header *add;
	size_t nadd, nfill;
};

/* How many of e's added lines a forwarded response resp gets: all of
 * them, or without the last e->nfill when resp has a field (any case) of
 * one of their names. resp NULL: an answer of the gateway's own, all. */
size_t sg_h1_edit_fill(const struct sg_h1_edit *e, const struct sg_h1_resp *resp);
static inline size_t sg_h1_edit_lines(const struct sg_h1_edit *e, const struct sg_h1_resp *resp)
{
	if (!e)
		return 0;
	return e->nfill && resp ? sg_h1_edit_fill(e, resp) : e->nadd;
}

/* sg_h1_write_request with a route's edit (NULL = none): the target and
 * Host replaced (a Host is added where none came), received headers it
 * drops left out (X-Forwarded-For too: then only client_ip is sent, unless
 * the edit also adds X-Forwarded-For lines, a set, which are then the
 * whole field), its lines added. */
ssize_t sg_h1_write_request_edit(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
				 const char *client_ip, unsigned attempt, const char *extra,
				 char *out, size_t cap);

/* A written request head's parts, for a backend that takes them apart
 * (HTTP/2): the method and target, and each header line's name and value
 * in order, in v[0..cap) (the caller's slots), all pointing into the text. */
struct sg_h1_lines {
	struct sg_h1_span method, target;
	struct sg_h1_header *v;
	size_t n, cap;
};

/* sg_h1_write_request_edit, also telling where each part went (`lines`,
 * NULL: nothing): names are then written lowercase, as HTTP/2 sends them,
 * and there is no `extra` (-1: its lines would not be taken apart). -1
 * also when there are more header lines than lines->cap. */
ssize_t sg_h1_write_request_lines(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
				  const char *client_ip, unsigned attempt, const char *extra,
				  char *out, size_t cap, struct sg_h1_lines *lines);

/* Bytes that are always enough for sg_h1_write_request_edit(req, edit,
 * client_ip, attempt, extra): req's head, the edit's target, Host and
 * lines, extra, and room for what the gateway adds (X-Forwarded-For's
 * client address, x-retry-attempt). */
size_t sg_h1_request_room(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
			  const char *extra);

/* The Connection field a head the gateway writes to a client carries. */
enum sg_h1_conn {
	SG_H1_CONN_NONE,       /* none: HTTP/1.1 connections persist */
	SG_H1_CONN_CLOSE,      /* "connection: close" */
	SG_H1_CONN_KEEP_ALIVE, /* "connection: keep-alive": to an HTTP/1.0
				* client that asked and is kept (RFC 9112 9.3) */
};

/* Response head for the client: "HTTP/1.1 <status> <reason as received>",
 * the other headers in order and case, the `conn` field, then extra.
 * Content-Length is dropped when Transfer-Encoding is present (RFC 9112
 * §6.3), and from a 1xx or 204; Transfer-Encoding from a 1xx, 204 or 304
 * (RFC 9110 8.6, RFC 9112 6.1). */
ssize_t sg_h1_write_response(const struct sg_h1_resp *resp, enum sg_h1_conn conn, const char *extra,
			     char *out, size_t cap);

/* sg_h1_write_response with a route's edit (NULL = none): received
 * headers it drops left out, its lines added before `extra`. */
ssize_t sg_h1_write_response_edit(const struct sg_h1_resp *resp, const struct sg_h1_edit *edit,
				  enum sg_h1_conn conn, const char *extra, char *out, size_t cap);

/* A whole answer a route's filter makes (redirect, direct response, CORS
 * preflight): the status line with the standard reason phrase, the edit's
 * lines (a Location among them), "content-length" (not for a 204 or a
 * 304, whose len is 0), the `conn` field, then body[0..len). No
 * Content-Type is added. */
ssize_t sg_h1_write_answer(uint16_t status, const struct sg_h1_edit *edit, const char *body,
			   size_t len, enum sg_h1_conn conn, char *out, size_t cap);

/* A whole response made by the gateway: status line with `reason` or, when
 * NULL, the standard reason phrase; "content-type: text/plain" (unless
 * the edit sets its own), "content-length", a route's response edit
 * (NULL: none; its lines), the `conn` field; then body (NULL for none). */
ssize_t sg_h1_write_simple(uint16_t status, const char *reason, const struct sg_h1_edit *edit,
			   const char *body, enum sg_h1_conn conn, char *out, size_t cap);

#endif
