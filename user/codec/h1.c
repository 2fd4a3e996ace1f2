/* The head parsers and the head writers (chunked bodies are h1chunk.c).
 * Each parse call starts at the head's first byte and reads the head in one
 * pass, each line's end found with its bytes checked. */
#include "user/codec/h1.h"

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/hex.h"
#include "policy/status.h"
#include "user/base/httpdate.h"
#include "user/base/log.h"

/* ---- head parsing --------------------------------------------------------- */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The value with the whitespace around it taken off. */
static struct sg_h1_span trimmed(struct sg_h1_span v)
{
	while (v.len && is_ows(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len && is_ows(v.p[v.len - 1]))
		v.len--;
	return v;
}

/* The next element of the comma-separated list at *p (before end), without
 * the whitespace around it (possibly empty, RFC 9110 §5.6.1); *p moves past
 * its comma. */
static struct sg_h1_span list_item(const char **p, const char *end)
{
	const char *comma = memchr(*p, ',', (size_t)(end - *p));
	const char *stop = comma ? comma : end;
	struct sg_h1_span item = trimmed((struct sg_h1_span){ *p, (size_t)(stop - *p) });

	*p = comma ? comma + 1 : end;
	return item;
}

#ifdef __SSE2__
#include <emmintrin.h>

#define LINE_STEP 16

/* A mask of the bytes of p[0..16) that are NUL, CR or LF, bit i for p[i]. */
static unsigned line_bytes(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()),
				   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));

	return (unsigned)_mm_movemask_epi8(hit);
}

static size_t line_byte_at(uint64_t m)
{
	return (size_t)__builtin_ctzll(m);
}

/* A mask of the bytes of p[0..16) that a field line cannot hold (controls
 * but HTAB, and DEL: the line's CR among them), bit i for p[i]. */
static unsigned ctl_bytes(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i low = _mm_set1_epi8(0x1f);
	__m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low); /* v <= 0x1f */
	__m128i hit = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), ctl),
				   _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));

	return (unsigned)_mm_movemask_epi8(hit);
}
#else
#define LINE_STEP 8

/* A mask of the bytes of p[0..8) that are NUL, CR or LF, in their high
 * bits: a byte b of x is zero exactly when (x - 0x01..) & ~x has b's high
 * bit set or a lower byte is zero too (the borrow), so the lowest bit set
 * is exact: it marks the first such byte. */
static uint64_t line_bytes(const char *p)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones << 7;
	uint64_t w, cr, lf;

	memcpy(&w, p, 8);
	w = le64toh(w);
	cr = w ^ (ones * '\r');
	lf = w ^ (ones * '\n');
	return (((w - ones) & ~w) | ((cr - ones) & ~cr) | ((lf - ones) & ~lf)) & highs;
}

static size_t line_byte_at(uint64_t m)
{
	return (size_t)__builtin_ctzll(m) / 8;
}
#endif

/* The first NUL, CR or LF in buf[i..len), or len: sixteen bytes at a time
 * (SSE2; eight in a word elsewhere). A head is mostly field text: byte by
 * byte, this scan was most of the parse's own time beside llhttp's. */
static size_t line_stop(const char *buf, size_t i, size_t len)
{
	while (i + LINE_STEP <= len) {
		uint64_t m = line_bytes(buf + i);

		if (m)
			return i + line_byte_at(m);
		i += LINE_STEP;
	}
	while (i < len && buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\0')
		i++;
	return i;
}

const struct sg_h1_span *sg_h1_find(const struct sg_h1_header *h, size_t n, const char *name)
{
	struct sg_h1_span want = { name, strlen(name) }; /* counted once */

	for (size_t i = 0; i < n; i++)
		if (sg_h1_span_same(h[i].name, want))
			return &h[i].value;
	return NULL;
}

/* ---- request line and authority ------------------------------------------ */

/* RFC 9110 §5.6.2 tchar, looked up: every byte of every field name is one.
 * The punctuation, in ASCII order: ! # $ % & ' * + - . ^ _ ` | ~ */
const bool sg_h1_tchar[256] = {
	['0' ... '9'] = true,  ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['!'] = true,
	['#' ... '\''] = true, ['*' ... '+'] = true, ['-' ... '.'] = true, ['^' ... '`'] = true,
	['|'] = true,	       ['~'] = true,
};

static bool is_tchar(unsigned char c)
{
	return sg_h1_tchar[c];
}

bool sg_h1_value_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return false;
	return true;
}

bool sg_h1_field_ok(struct sg_h1_span name, struct sg_h1_span value)
{
	if (!name.len)
		return false;
	for (size_t i = 0; i < name.len; i++)
		if (!is_tchar((unsigned char)name.p[i]))
			return false;
	return sg_h1_value_ok(value.p, value.len);
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* RFC 3986 unreserved and sub-delims, looked up (every Host of every
 * request is read through it): letters, digits and, in ASCII order,
 * ! $ & ' ( ) * + , - . ; = _ ~ */
static const bool reg_name_char[256] = {
	['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['!'] = true,
	['$'] = true,	      ['&' ... '.'] = true, [';'] = true,	  ['='] = true,
	['_'] = true,	      ['~'] = true,
};

/* RFC 3986 reg-name and IPv4address: unreserved, pct-encoded, sub-delims. */
static size_t reg_name_len(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%' && i + 2 < len && is_hex((unsigned char)p[i + 1]) &&
		    is_hex((unsigned char)p[i + 2])) {
			i += 3;
			continue;
		}
		if (!reg_name_char[c])
			break;
		i++;
	}
	return i;
}

/* IP-literal: "[" IPv6address or IPvFuture "]"; only its alphabet is
 * checked, the address itself is the backend's to read. */
static size_t ip_literal_len(const char *p, size_t len)
{
	size_t i = 1;

	while (i < len &&
	       (is_hex((unsigned char)p[i]) || p[i] == ':' || p[i] == '.' || (p[i] | 0x20) == 'v'))
		i++;
	return i > 1 && i < len && p[i] == ']' ? i + 1 : 0;
}

bool sg_h1_authority_valid(const char *p, size_t len, bool need_port)
{
	size_t host = len && p[0] == '[' ? ip_literal_len(p, len) : reg_name_len(p, len);
	size_t port;

	if (!host)
		return false;
	if (host == len)
		return !need_port;
	if (p[host] != ':')
		return false;
	port = len - host - 1;
	for (size_t i = host + 1; i < len; i++)
		if (!is_digit((unsigned char)p[i]))
			return false;
	return port <= 5 && (port || !need_port);
}

/* Any token is a method (RFC 9110 §9.1), but methods are case-sensitive:
 * "head" or "Connect" is refused, as a backend that reads it as HEAD or
 * CONNECT would frame its response otherwise than we do. The standard
 * names are all capitals, so only a method with a small letter can be one
 * in another case: every request's method is scanned once, and the names
 * are compared only for such a method. */
bool sg_h1_method_ok(struct sg_h1_span m)
{
	static const struct {
		const char *name;
		size_t len;
	} standard[] = { { "GET", 3 },	   { "HEAD", 4 },   { "POST", 4 },
			 { "PUT", 3 },	   { "DELETE", 6 }, { "CONNECT", 7 },
			 { "OPTIONS", 7 }, { "TRACE", 5 },  { "PATCH", 5 } };
	size_t i = 0;

	while (i < m.len && !(m.p[i] >= 'a' && m.p[i] <= 'z'))
		i++;
	if (i == m.len)
		return true;
	for (i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
		if (m.len == standard[i].len && sg_ascii_is(m.p, standard[i].name, m.len, false))
			return false;
	return true;
}

/* "<method> SP <target> SP HTTP/1.<0|1> CRLF" (RFC 9112 §3): the method is
 * any token (extension methods included), the target any run of visible
 * ASCII (RFC 3986 has no other byte: UTF-8 is percent-encoded), so a TAB,
 * another control character, a byte from 0x80 up (obs-text, which hyper's
 * http::Uri refuses too: agentgateway answers 400) or a second space in
 * it is refused. Sets method, target and minor; *line_len includes the
 * CRLF. */
static enum sg_h1_result request_line(const char *buf, size_t len, struct sg_h1_req *req,
				      size_t *line_len)
{
	static const char version[] = "HTTP/1.";
	size_t i = 0, start;

	/* RFC 9112 §2.2: empty lines before the request line are skipped */
	while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
		i += 2;
	for (start = i; i < len && is_tchar((unsigned char)buf[i]); i++)
		;
	if (i == len)
		return SG_H1_PARTIAL;
	if (i == start || buf[i] != ' ')
		return SG_H1_INVALID;
	req->method = (struct sg_h1_span){ buf + start, i - start };
	if (!sg_h1_method_ok(req->method))
		return SG_H1_INVALID;
	start = ++i;
	/* 0x21-0x7e in one comparison: below it wraps around */
	while (i < len && (unsigned char)(buf[i] - 0x21) < 0x5e)
		i++;
	if (i == len)
		return SG_H1_PARTIAL;
	if (i == start || buf[i] != ' ')
		return SG_H1_INVALID;
	req->target = (struct sg_h1_span){ buf + start, i - start };
	start = ++i;
	/* "HTTP/1.", the minor digit, CRLF: checked as far as it has come */
	for (; i < len && i - start < 10; i++) {
		size_t k = i - start;
		bool ok = k < 7	   ? buf[i] == version[k]
			  : k == 7 ? buf[i] == '0' || buf[i] == '1'
				   : buf[i] == "\r\n"[k - 8];

		if (!ok)
			return SG_H1_INVALID;
	}
	if (i - start < 10)
		return SG_H1_PARTIAL;
	req->minor = (uint8_t)(buf[start + 7] - '0');
	*line_len = i;
	return SG_H1_DONE;
}

/* The request-target forms of RFC 9112 §3.2. An absolute-form target
 * ("http://a.example:8080/p?q", scheme http or https) leaves its authority
 * in *authority and the origin-form rest in req->target ("/" when the path
 * is empty, "*" for OPTIONS (§3.2.4); "http://a?q", with no path before the
 * query, is refused as it has no origin-form in the buffer). A fragment
 * ('#') is in no form: refused, not routed on nor forwarded. */
static bool target_form(struct sg_h1_req *req, struct sg_h1_span *authority)
{
	struct sg_h1_span t = req->target;
	size_t skip, end;

	if (memchr(t.p, '#', t.len))
		return false;
	if (sg_h1_span_is(req->method, "CONNECT"))
		return sg_h1_authority_valid(t.p, t.len, true);
	if (t.len == 1 && t.p[0] == '*')
		return sg_h1_span_is(req->method, "OPTIONS");
	if (t.p[0] == '/')
		return true;
	if (t.len > 7 && !strncasecmp(t.p, "http://", 7))
		skip = 7;
	else if (t.len > 8 && !strncasecmp(t.p, "https://", 8))
		skip = 8;
	else
		return false;
	for (end = skip; end < t.len && t.p[end] != '/' && t.p[end] != '?'; end++)
		;
	*authority = (struct sg_h1_span){ t.p + skip, end - skip };
	if (!sg_h1_authority_valid(authority->p, authority->len, false))
		return false;
	if (end < t.len && t.p[end] == '?')
		return false;
	req->target = end < t.len ? (struct sg_h1_span){ t.p + end, t.len - end }
		      : sg_h1_span_is(req->method, "OPTIONS") ? (struct sg_h1_span){ "*", 1 }
							      : (struct sg_h1_span){ "/", 1 };
	return true;
}

/* The one Host the request is routed by and forwarded with (RFC 9112
 * §3.2): an absolute-form target's authority replaces the received value
 * (or becomes the Host of an HTTP/1.0 request that had none); then the
 * value must be empty or a uri-host with an optional port (RFC 9110 §7.2),
 * so "x/admin", "x y", "x, y" and "a@x" are refused. */
static enum sg_h1_result host_rules(struct sg_h1_req *req, size_t max_headers,
				    struct sg_h1_span authority)
{
	struct sg_h1_header *h = NULL;

	for (size_t i = 0; i < req->nheaders; i++)
		if (sg_h1_span_is(req->headers[i].name, "host"))
			h = &req->headers[i];
	if (authority.p && !h) {
		if (req->nheaders >= max_headers)
			return SG_H1_TOO_LARGE;
		h = &req->headers[req->nheaders++];
		h->name = (struct sg_h1_span){ "Host", 4 };
	}
	if (authority.p)
		h->value = authority;
	if (h && h->value.len && !sg_h1_authority_valid(h->value.p, h->value.len, false))
		return SG_H1_INVALID;
	return SG_H1_DONE;
}

enum sg_h1_result sg_h1_request_line(const char *buf, size_t len, struct sg_h1_req *req,
				     size_t *line_len, struct sg_h1_span *authority)
{
	enum sg_h1_result rc;

	*req = (struct sg_h1_req){
		.headers = req->headers,
		.headers_cap = req->headers_cap,
		.content_length = -1,
	};
	*authority = (struct sg_h1_span){ NULL, 0 };
	rc = request_line(buf, len, req, line_len);
	if (rc == SG_H1_DONE && !target_form(req, authority))
		return SG_H1_INVALID;
	return rc;
}

/* ---- response heads ------------------------------------------------------- */

/* The fields of both heads are read here rather than by llhttp (which the
 * gateway used for both until 2026-11-27): a 250-byte nginx response head
 * took llhttp 3.7k instructions and the line and name checks 1.6k more; in
 * one pass that finds each line's end and checks its bytes together, 2.5k.
 * The pass takes what llhttp 8 (strict; for responses, Content-Length
 * beside Transfer-Encoding let through) with those checks took, and reads
 * the same fields from it, but for these: a status code is three digits
 * (llhttp took 00200), "close" followed by a tab is "close", and "chunked"
 * followed by one is "chunked" (llhttp's flags missed both tabs).
 * tests/fuzz/fuzz_h1_response.c and fuzz_h1_request.c hold llhttp's
 * reading beside it. */

/* A field value's bytes (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text. */
static const bool value_char[256] = {
	['\t'] = true,
	[' ' ... '~'] = true,
	[0x80 ... 0xff] = true,
};

/* The first byte of buf[i..len) that a field line cannot hold (its CR, or
 * a NUL, LF, other control or DEL), or len: sixteen bytes at a time with
 * SSE2, so that a field value is checked in the scan that finds its end. */
static size_t field_stop(const char *buf, size_t i, size_t len)
{
#ifdef __SSE2__
	while (i + 16 <= len) {
		unsigned m = ctl_bytes(buf + i);

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < len && value_char[(unsigned char)buf[i]])
		i++;
	return i;
}

/* What the fields say of the body, the connection and the host. */
struct fields {
	bool content_length, chunked; /* chunked: the last coding of the last TE */
	unsigned chunkeds;	      /* "chunked" codings in all TE fields */
	bool close, keep_alive;	      /* Connection (or Proxy-Connection) tokens */
	unsigned te_fields, hosts;    /* Transfer-Encoding and Host fields seen */
	unsigned cookies;	      /* Cookie fields seen */
	struct sg_h1_span te_value;   /* the last Transfer-Encoding's */
	uint64_t length;
};

/* How many codings of a Transfer-Encoding value are "chunked". */
static unsigned count_chunked(struct sg_h1_span v)
{
	unsigned n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= v.len; i++)
		if (i == v.len || v.p[i] == ',') {
			n += sg_h1_span_same(trimmed((struct sg_h1_span){ v.p + start, i - start }),
					     (struct sg_h1_span){ "chunked", 7 });
			start = i + 1;
		}
	return n;
}

/* Whether the last coding of a Transfer-Encoding value is "chunked". */
static bool ends_chunked(struct sg_h1_span v)
{
	size_t start = v.len;

	while (start && v.p[start - 1] != ',')
		start--;
	return sg_h1_span_same(trimmed((struct sg_h1_span){ v.p + start, v.len - start }),
			       (struct sg_h1_span){ "chunked", 7 });
}

int64_t sg_h1_decimal(const char *p, size_t len, size_t *used)
{
	size_t i = 0;
	int64_t n = 0;

	for (; i < len && is_digit((unsigned char)p[i]); i++) {
		int d = p[i] - '0';

		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*used = i;
	return i ? n : -1;
}

/* Content-Length: digits, then only OWS (RFC 9110 §5.6.3: spaces and
 * tabs; llhttp refuses a tab there); one field. */
static bool content_length(struct fields *f, struct sg_h1_span v)
{
	size_t i;
	int64_t n;

	if (f->content_length || (n = sg_h1_decimal(v.p, v.len, &i)) < 0)
		return false;
	for (; i < v.len; i++)
		if (!is_ows(v.p[i]))
			return false;
	f->content_length = true;
	f->length = (uint64_t)n;
	return true;
}

/* Connection's tokens that decide keep-alive, the list read once. */
static void connection_tokens(struct fields *f, struct sg_h1_span v)
{
	const char *p = v.p, *end = v.p + v.len;

	while (p < end) {
		struct sg_h1_span item = list_item(&p, end);

		f->close |= sg_h1_span_is(item, "close");
		f->keep_alive |= sg_h1_span_is(item, "keep-alive");
	}
}

/* One field line, buf[at..end) with its CRLF after it: "name: value" (the
 * value's bytes were checked by field_stop). */
static bool field_line(const char *buf, size_t at, size_t end, struct sg_h1_header *h,
		       struct fields *f)
{
	struct sg_h1_span raw;
	size_t i = at;

	while (i < end && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == at || i == end || buf[i] != ':')
		return false;
	h->name = (struct sg_h1_span){ buf + at, i - at };
	for (i++; i < end && is_ows(buf[i]);)
		i++;
	raw = (struct sg_h1_span){ buf + i, end - i }; /* trailing whitespace kept */
	h->value = trimmed(raw);
	switch (h->name.len) {
	case 4:
		f->hosts += sg_h1_span_is(h->name, "host");
		break;
	case 6:
		f->cookies += sg_h1_span_is(h->name, "cookie");
		break;
	case 10:
		if (sg_h1_span_is(h->name, "connection"))
			connection_tokens(f, h->value);
		break;
	case 14:
		if (sg_h1_span_is(h->name, "content-length") && !content_length(f, raw))
			return false;
		break;
	case 16:
		if (sg_h1_span_is(h->name, "proxy-connection"))
			connection_tokens(f, h->value);
		break;
	case 17:
		if (sg_h1_span_is(h->name, "transfer-encoding")) {
			f->te_fields++;
			f->te_value = h->value;
			f->chunked = ends_chunked(h->value);
			f->chunkeds += count_chunked(h->value);
		}
		break;
	}
	return true;
}

/* Whether buf[0..len) can still begin "HTTP/1.0 " or "HTTP/1.1 ". */
static enum sg_h1_result version_prefix(const char *buf, size_t len)
{
	static const char want[] = "HTTP/1.";
	size_t n = len < 9 ? len : 9;

	for (size_t i = 0; i < n; i++) {
		bool ok = i < 7	   ? buf[i] == want[i]
			  : i == 7 ? buf[i] == '0' || buf[i] == '1'
				   : buf[i] == ' ';

		if (!ok)
			return SG_H1_INVALID;
	}
	return len < 9 ? SG_H1_PARTIAL : SG_H1_DONE;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]", buf[0..end) (its CRLF after it); the
 * reason is any bytes but the line's end, as llhttp takes them. */
static bool status_line(const char *buf, size_t end, struct sg_h1_resp *resp)
{
	unsigned status = 0;

	if (end < 12 || version_prefix(buf, end) != SG_H1_DONE)
		return false;
	for (size_t i = 9; i < 12; i++) {
		if (!is_digit((unsigned char)buf[i]))
			return false;
		status = status * 10 + (unsigned)(buf[i] - '0');
	}
	if (status < 100 || status > 599 || (end > 12 && buf[12] != ' '))
		return false;
	resp->status = (uint16_t)status;
	resp->minor = (uint8_t)(buf[7] - '0');
	resp->reason = end > 12 ? (struct sg_h1_span){ buf + 13, end - 13 }
				: (struct sg_h1_span){ buf + 12, 0 };
	return true;
}

/* Keep-alive and the body's framing (RFC 9112 §6.3, §9.3): Transfer-Encoding
 * overrides Content-Length, and a backend that sends both, or chunks in
 * HTTP/1.0, is not trusted to delimit the next response. A body that only
 * the close can end (no length, or a last coding other than chunked) leaves
 * the connection unusable, as does "close" (or, in HTTP/1.0, no
 * "keep-alive"). */
static void response_framing(const struct fields *f, struct sg_h1_resp *resp)
{
	bool bodyless = resp->status < 200 || resp->status == 204 || resp->status == 304;
	bool te = f->te_fields > 0, delimited = te ? f->chunked : f->content_length;

	resp->chunked = te && f->chunked;
	if (f->content_length && !te)
		resp->content_length = (int64_t)f->length;
	resp->keep_alive = (resp->minor ? !f->close : f->keep_alive) && (bodyless || delimited);
	if (te && (f->content_length || resp->minor == 0))
		resp->keep_alive = false;
}

/* The field lines from buf[at..len) to the blank line that ends the head,
 * into headers[0..cap) (*n of them), what they say into *f, and *head_len
 * past the blank line: CRLF line endings only, no obs-fold, and no
 * control but HTAB in a line (each found in the scan for its end). */
static enum sg_h1_result read_fields(const char *buf, size_t at, size_t len, size_t cap,
				     struct sg_h1_header *headers, size_t *n, struct fields *f,
				     size_t *head_len)
{
	for (;;) {
		size_t end;

		if (at < len && is_ows(buf[at]))
			return SG_H1_INVALID; /* obs-fold */
		end = field_stop(buf, at, len);
		if (end == len || (buf[end] == '\r' && end + 1 == len))
			/* one field too many is refused before its line ends */
			return end > at && *n == cap ? SG_H1_TOO_LARGE : SG_H1_PARTIAL;
		if (buf[end] != '\r' || buf[end + 1] != '\n')
			return SG_H1_INVALID; /* NUL, bare LF, bare CR or a control */
		if (end == at) {
			*head_len = end + 2; /* what follows is the body's */
			return SG_H1_DONE;
		}
		if (*n == cap)
			return SG_H1_TOO_LARGE;
		if (!field_line(buf, at, end, &headers[(*n)++], f))
			return SG_H1_INVALID;
		at = end + 2;
	}
}

static size_t headers_max(size_t max_headers, size_t headers_cap)
{
	size_t cap = max_headers < SG_H1_MAX_HEADERS ? max_headers : SG_H1_MAX_HEADERS;

	return cap < headers_cap ? cap : headers_cap;
}

enum sg_h1_result sg_h1_parse_response(const char *buf, size_t len, size_t max_headers,
				       struct sg_h1_resp *resp)
{
	size_t cap = headers_max(max_headers, resp->headers_cap);
	struct fields f = { 0 };
	enum sg_h1_result rc;
	size_t at = 0, end;

	*resp = (struct sg_h1_resp){
		.headers = resp->headers,
		.headers_cap = resp->headers_cap,
		.content_length = -1,
	};
	/* Empty lines before the status line are passed over, as llhttp does. */
	while (at + 2 <= len && buf[at] == '\r' && buf[at + 1] == '\n')
		at += 2;
	/* The reason phrase may hold controls, as llhttp lets it. */
	end = line_stop(buf, at, len);
	if (end == len || (buf[end] == '\r' && end + 1 == len))
		/* A line still coming: refused as soon as it cannot be a
		 * status line (anything but HTTP/1.x first). */
		return version_prefix(buf + at, end - at) == SG_H1_INVALID ? SG_H1_INVALID
									   : SG_H1_PARTIAL;
	if (buf[end] != '\r' || buf[end + 1] != '\n' || !status_line(buf + at, end - at, resp))
		return SG_H1_INVALID;
	rc = read_fields(buf, end + 2, len, cap, resp->headers, &resp->nheaders, &f,
			 &resp->head_len);
	/* RFC 9112 §6.1: chunked is applied once; twice, the body's end is
	 * not what a client that decodes once would see. */
	if (rc == SG_H1_DONE && f.chunkeds > 1)
		return SG_H1_INVALID;
	if (rc == SG_H1_DONE)
		response_framing(&f, resp);
	return rc;
}

/* A request's body framing, keep-alive and Host (RFC 9112 §3.2, §6.1, §6.3,
 * §9.3). Transfer-Encoding only as one field "chunked": we decode no other
 * coding, and a backend that does not know "identity, chunked" or "gzip,
 * chunked" may not see chunks where we do (§6.1 lets a server refuse
 * them); never beside Content-Length nor in HTTP/1.0, where a backend may
 * delimit the body otherwise than we do. Routing and the backend must
 * agree on one Host: exactly one in HTTP/1.1, at most one in 1.0. */
static bool request_framing(const struct fields *f, struct sg_h1_req *req)
{
	if (f->te_fields && (f->te_fields != 1 || !sg_h1_span_is(f->te_value, "chunked") ||
			     f->content_length || req->minor == 0))
		return false;
	req->chunked = f->te_fields > 0;
	if (f->content_length)
		req->content_length = (int64_t)f->length;
	req->keep_alive = req->minor ? !f->close : f->keep_alive;
	return f->hosts == 1 || (f->hosts == 0 && req->minor == 0);
}

enum sg_h1_result sg_h1_parse_request(const char *buf, size_t len, size_t max_headers,
				      struct sg_h1_req *req)
{
	size_t cap = headers_max(max_headers, req->headers_cap), line_len;
	struct sg_h1_span authority;
	struct fields f = { 0 };
	enum sg_h1_result rc = sg_h1_request_line(buf, len, req, &line_len, &authority);

	if (rc != SG_H1_DONE)
		return rc;
	rc = read_fields(buf, line_len, len, cap, req->headers, &req->nheaders, &f, &req->head_len);
	if (rc != SG_H1_DONE)
		return rc;
	if (!request_framing(&f, req))
		return SG_H1_INVALID;
	req->cookies = f.cookies < 255 ? (uint8_t)f.cookies : 255;
	return host_rules(req, cap, authority);
}

int sg_h1_join_cookies(struct sg_h1_req *req, char **joined)
{
	struct sg_h1_header *first = NULL;
	size_t len = 0, n = 0, kept = 0;
	char *out;

	*joined = NULL;
	if (req->cookies < 2)
		return 0;
	for (size_t i = 0; i < req->nheaders; i++)
		if (sg_h1_span_is(req->headers[i].name, "cookie"))
			len += req->headers[i].value.len + 2;
	if (!(out = malloc(len + 1)))
		return -ENOMEM;
	for (size_t i = 0; i < req->nheaders; i++) {
		struct sg_h1_header *h = &req->headers[i];

		if (!sg_h1_span_is(h->name, "cookie")) {
			req->headers[kept++] = *h;
			continue;
		}
		if (h->value.len) {
			if (n) {
				memcpy(out + n, "; ", 2);
				n += 2;
			}
			memcpy(out + n, h->value.p, h->value.len);
			n += h->value.len;
		}
		if (!first) {
			first = &req->headers[kept];
			req->headers[kept++] = *h;
		}
	}
	out[n] = '\0';
	first->value = (struct sg_h1_span){ out, n };
	req->nheaders = kept;
	req->cookies = 1;
	*joined = out;
	return 0;
}

const char *sg_h1_header_lookup(void *req, const char *name, size_t *len)
{
	const struct sg_h1_span *v = sg_h1_header(req, name);

	if (!v)
		return NULL;
	*len = v->len;
	return v->p;
}

size_t sg_h1_edit_fill(const struct sg_h1_edit *e, const struct sg_h1_resp *resp)
{
	size_t fixed = e->nadd - (e->nfill < e->nadd ? e->nfill : e->nadd);

	for (size_t i = fixed; i < e->nadd; i++)
		for (size_t j = 0; j < resp->nheaders; j++)
			if (sg_h1_span_same(resp->headers[j].name, e->add[i].name))
				return fixed;
	return e->nadd;
}

/* ---- framing and header values ------------------------------------------- */

bool sg_h1_list_has(struct sg_h1_span list, struct sg_h1_span token)
{
	const char *p = list.p, *end = list.p + list.len;

	while (p < end) {
		struct sg_h1_span item = list_item(&p, end);

		if (item.len && sg_h1_span_same(item, token))
			return true;
	}
	return false;
}

static bool list_has(const char *p, size_t len, const char *token)
{
	return sg_h1_list_has((struct sg_h1_span){ p, len },
			      (struct sg_h1_span){ token, strlen(token) });
}

/* Whether any header `name` lists `token`. */
bool sg_h1_headers_list(const struct sg_h1_header *h, size_t n, const char *name, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (sg_h1_span_is(h[i].name, name) && list_has(h[i].value.p, h[i].value.len, token))
			return true;
	return false;
}

enum sg_h1_body sg_h1_request_body(const struct sg_h1_req *req)
{
	if (req->chunked)
		return SG_H1_BODY_CHUNKED;
	return req->content_length > 0 ? SG_H1_BODY_LENGTH : SG_H1_BODY_NONE;
}

enum sg_h1_body sg_h1_response_body(const struct sg_h1_resp *resp, bool request_was_head)
{
	if (request_was_head || resp->status / 100 == 1 || resp->status == 204 ||
	    resp->status == 304)
		return SG_H1_BODY_NONE;
	if (resp->chunked)
		return SG_H1_BODY_CHUNKED;
	/* A coding other than a final chunked cannot be delimited but by EOF. */
	if (sg_h1_resp_header(resp, "transfer-encoding"))
		return SG_H1_BODY_CLOSE;
	if (resp->content_length >= 0)
		return resp->content_length ? SG_H1_BODY_LENGTH : SG_H1_BODY_NONE;
	return SG_H1_BODY_CLOSE;
}

enum sg_h1_body sg_h1_response_body_for(const struct sg_h1_resp *resp, const struct sg_h1_req *req)
{
	/* RFC 9110 §9.3.6: a client ignores framing headers in a 2xx to CONNECT. */
	if (sg_h1_span_is(req->method, "CONNECT") && resp->status / 100 == 2)
		return SG_H1_BODY_CLOSE;
	return sg_h1_response_body(resp, sg_h1_span_is(req->method, "HEAD"));
}

bool sg_h1_wants_upgrade(const struct sg_h1_req *req)
{
	const struct sg_h1_span *up = sg_h1_header(req, "upgrade");

	return up && up->len &&
	       sg_h1_headers_list(req->headers, req->nheaders, "connection", "upgrade");
}

bool sg_h1_expects_continue(const struct sg_h1_req *req)
{
	return req->minor >= 1 &&
	       sg_h1_headers_list(req->headers, req->nheaders, "expect", "100-continue");
}

/* ---- head writers --------------------------------------------------------- */

/* A writer's view of the caller's buffer, on the writer's stack: once
 * something does not fit, nothing more is written and the writer returns -1. */
struct out {
	char *p;
	size_t len;
	size_t cap;
	bool full;
	/* Where each header line went (NULL: not asked), names lowercased. */
	struct sg_h1_lines *lines;
	size_t line_at; /* where the line being written begins */
	size_t name_len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	if (n) /* s may be NULL for an empty span */
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_span(struct out *o, struct sg_h1_span s)
{
	put(o, s.p, s.len);
}

/* Decimal digits by hand: this runs for every head written with a
 * Content-Length, where printf's format machinery showed in profiles. */
char *sg_h1_digits(char tmp[SG_H1_DIGITS_MAX], uint64_t v)
{
	char *p = tmp + SG_H1_DIGITS_MAX;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

static void put_uint(struct out *o, uint64_t v)
{
	char tmp[SG_H1_DIGITS_MAX];
	const char *d = sg_h1_digits(tmp, v);

	put(o, d, (size_t)(tmp + sizeof(tmp) - d));
}

/* A header line begins: "name: ". */
static void line_begin(struct out *o, struct sg_h1_span name)
{
	o->line_at = o->len;
	o->name_len = name.len;
	put_span(o, name);
	if (o->lines && !o->full)
		sg_h1_lower(o->p + o->line_at, o->p + o->line_at, name.len);
	put(o, ": ", 2);
}

/* The line's value is written: its CRLF, and its place in o->lines. */
static void line_end(struct out *o)
{
	struct sg_h1_lines *l = o->lines;
	size_t value_at = o->line_at + o->name_len + 2;

	if (l && !o->full) {
		if (l->n == l->cap)
			o->full = true;
		else
			l->v[l->n++] =
				(struct sg_h1_header){ { o->p + o->line_at, o->name_len },
						       { o->p + value_at, o->len - value_at } };
	}
	put(o, "\r\n", 2);
}

static void put_header(struct out *o, const struct sg_h1_header *h)
{
	line_begin(o, h->name);
	put_span(o, h->value);
	line_end(o);
}

static ssize_t finish(struct out *o)
{
	put(o, "\r\n", 2);
	return o->full ? -1 : (ssize_t)o->len;
}

/* Whether a line of `extra` is field `name`, optionally listing `token`. */
static bool extra_has(const char *extra, const char *name, const char *token)
{
	size_t nlen = strlen(name);

	for (const char *line = extra; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		const char *end = eol ? eol : line + strlen(line);
		const char *colon = memchr(line, ':', (size_t)(end - line));

		if (colon && (size_t)(colon - line) == nlen && strncasecmp(line, name, nlen) == 0 &&
		    (!token || list_has(colon + 1, (size_t)(end - colon - 1), token)))
			return true;
		line = eol ? eol + 2 : NULL;
	}
	return false;
}

/* The received Upgrade goes on only when extra announces the upgrade without
 * bringing its own Upgrade line. */
static bool keeps_upgrade(const char *extra)
{
	return extra_has(extra, "connection", "upgrade") && !extra_has(extra, "upgrade", NULL);
}

/* Each element of a Connection value, whitespace around it taken off. */
static void conn_names_add(struct sg_h1_conn_names *c, struct sg_h1_span list)
{
	const char *p = list.p, *end = list.p + list.len;

	while (p < end && c->all) {
		struct sg_h1_span item = list_item(&p, end);

		if (item.len && c->n == SG_H1_CONN_NAMES_MAX)
			c->all = false;
		else if (item.len)
			c->names[c->n++] = item;
	}
}

void sg_h1_conn_names(struct sg_h1_conn_names *c, const struct sg_h1_header *h, size_t n)
{
	*c = (struct sg_h1_conn_names){ .headers = h, .nheaders = n, .first = n, .all = true };
	for (size_t i = 0; i < n; i++) {
		if (!sg_h1_span_is(h[i].name, "connection"))
			continue;
		if (c->first == n)
			c->first = i;
		conn_names_add(c, h[i].value);
	}
}

bool sg_h1_conn_lists(const struct sg_h1_conn_names *c, struct sg_h1_span name)
{
	if (!c->all) {
		for (size_t i = c->first; i < c->nheaders; i++) {
			const struct sg_h1_header *h = &c->headers[i];

			if (sg_h1_span_is(h->name, "connection") && sg_h1_list_has(h->value, name))
				return true;
		}
		return false;
	}
	for (size_t i = 0; i < c->n; i++)
		if (sg_h1_span_same(c->names[i], name))
			return true;
	return false;
}

/* A head's hop-by-hop rules, read once per head. */
struct hop_rules {
	struct sg_h1_conn_names conn;
	bool keep_upgrade;
};

static void hop_rules_of(struct hop_rules *r, const struct sg_h1_header *h, size_t n,
			 bool keep_upgrade)
{
	sg_h1_conn_names(&r->conn, h, n);
	r->keep_upgrade = keep_upgrade;
}

#define LIT(s)                                                                                     \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}

/* The names whose fate the gateway decides itself: hop-by-hop ones (RFC
 * 9110 §7.6.1, and HTTP/2's settings), the framing ones it writes, and
 * Upgrade. */
enum hop_name { HN_OTHER, HN_FIXED, HN_FRAMING, HN_UPGRADE };

/* Whether name is lit (lowercase, of name.len bytes) but for ASCII case,
 * '_' read as '-'. A macro: the literal's length must be a constant where
 * it is compared (user/base/ascii.h). */
#define same_folded(name, lit) sg_ascii_is((name).p, lit, sizeof(lit) - 1, true)

/* What name is, '_' read as '-': "Content_Length", "Keep_Alive"... are
 * what nginx drops (underscores_in_headers off) because a backend may fold
 * '_' into '-' and take them for the real header. Its length tells all
 * names but one pair apart, so each header costs one comparison at most
 * (this ran for every header of every request and response). */
static enum hop_name hop_name_of(struct sg_h1_span name)
{
	switch (name.len) {
	case 2:
		return same_folded(name, "te") ? HN_FIXED : HN_OTHER;
	case 4:
		return same_folded(name, "host") ? HN_FRAMING : HN_OTHER;
	case 7:
		return same_folded(name, "upgrade") ? HN_UPGRADE : HN_OTHER;
	case 10:
		return same_folded(name, "connection") || same_folded(name, "keep-alive")
			       ? HN_FIXED
			       : HN_OTHER;
	case 14:
		return same_folded(name, "content-length")   ? HN_FRAMING
		       : same_folded(name, "http2-settings") ? HN_FIXED
							     : HN_OTHER;
	case 16:
		return same_folded(name, "proxy-connection") ? HN_FIXED : HN_OTHER;
	case 17:
		return same_folded(name, "transfer-encoding") ? HN_FRAMING : HN_OTHER;
	case 19:
		/* user/core/mirror.h's SG_MIRROR_MARK: the gateway's alone to
		 * write (on mirror copies), never passed on from a client. */
		return same_folded(name, "x-splicegate-mirror") ? HN_FIXED : HN_OTHER;
	}
	return HN_OTHER;
}

/* One of those names spelt with '_'. */
static bool underscore_alias(struct sg_h1_span name, enum hop_name kind)
{
	return kind != HN_OTHER && memchr(name.p, '_', name.len);
}

/* Whether a received header stays on this hop; kind is hop_name_of(name). */
static bool hop_by_hop(const struct hop_rules *r, struct sg_h1_span name, enum hop_name kind)
{
	if (underscore_alias(name, kind))
		return true;
	switch (kind) {
	case HN_UPGRADE:
		return !r->keep_upgrade;
	case HN_FRAMING:
		return false;
	case HN_FIXED:
		return true;
	case HN_OTHER:
		break;
	}
	return sg_h1_conn_lists(&r->conn, name);
}

/* Whether the edit drops a received header. Those the gateway owns stay:
 * their fate is decided above (hop-by-hop) or by the edit's own fields
 * (Host), and the body's framing is never touched. */
static bool edit_drops(const struct sg_h1_edit *e, struct sg_h1_span name, enum hop_name kind)
{
	if (!e || !e->drops || (kind == HN_FRAMING && !underscore_alias(name, kind)))
		return false;
	return e->drops(e->arg, name.p, name.len);
}

/* The edit's lines that the forwarded response `resp` gets
 * (sg_h1_edit_lines), except those naming a header the gateway owns. */
static void put_added(struct out *o, const struct sg_h1_edit *e, const struct sg_h1_resp *resp)
{
	size_t n = sg_h1_edit_lines(e, resp);

	for (size_t i = 0; i < n; i++) {
		if (hop_name_of(e->add[i].name) != HN_OTHER)
			continue;
		put_header(o, &e->add[i]);
	}
}

/* Whether the edit sets X-Forwarded-For (drops the received ones and adds
 * its own): its lines are then the whole field, as a set means (Gateway
 * API), not lines after the client's address. */
static bool edit_sets_xff(const struct sg_h1_edit *e)
{
	if (!edit_drops(e, (struct sg_h1_span)LIT("X-Forwarded-For"), HN_OTHER))
		return false;
	for (size_t i = 0; i < e->nadd; i++)
		if (sg_h1_span_is(e->add[i].name, "x-forwarded-for"))
			return true;
	return false;
}

/* Received X-Forwarded-For values in order, then the client's address
 * (nothing when the edit sets the field). */
static void put_xff(struct out *o, const struct hop_rules *r, const struct sg_h1_edit *e,
		    const char *client_ip)
{
	bool first = true;

	if (edit_sets_xff(e))
		return;

	for (size_t i = 0; i < r->conn.nheaders; i++) {
		const struct sg_h1_header *h = &r->conn.headers[i];

		if (!sg_h1_span_is(h->name, "x-forwarded-for") || !h->value.len ||
		    hop_by_hop(r, h->name, HN_OTHER) || edit_drops(e, h->name, HN_OTHER))
			continue;
		if (first)
			line_begin(o, (struct sg_h1_span)LIT("X-Forwarded-For"));
		else
			put(o, ", ", 2);
		put_span(o, h->value);
		first = false;
	}
	if (client_ip && *client_ip) {
		if (first)
			line_begin(o, (struct sg_h1_span)LIT("X-Forwarded-For"));
		else
			put(o, ", ", 2);
		put_str(o, client_ip);
		first = false;
	}
	if (!first)
		line_end(o);
}

ssize_t sg_h1_write_request(const struct sg_h1_req *req, const char *client_ip, unsigned attempt,
			    const char *extra, char *out, size_t cap)
{
	return sg_h1_write_request_edit(req, NULL, client_ip, attempt, extra, out, cap);
}

bool sg_h1_trailer_allowed(const char *name, size_t len)
{
	struct sg_h1_span n = { name, len };

	return hop_name_of(n) == HN_OTHER && !sg_h1_span_is(n, "trailer");
}

ssize_t sg_h1_write_request_edit(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
				 const char *client_ip, unsigned attempt, const char *extra,
				 char *out, size_t cap)
{
	return sg_h1_write_request_lines(req, edit, client_ip, attempt, extra, out, cap, NULL);
}

ssize_t sg_h1_write_request_lines(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
				  const char *client_ip, unsigned attempt, const char *extra,
				  char *out, size_t cap, struct sg_h1_lines *lines)
{
	struct hop_rules r;
	struct out o = { .p = out, .cap = cap, .lines = lines };
	struct sg_h1_span target = edit && edit->target.p ? edit->target : req->target;
	bool new_host = edit && edit->host.p;

	if (lines && extra)
		return -1;
	hop_rules_of(&r, req->headers, req->nheaders, keeps_upgrade(extra));
	if (lines) {
		lines->n = 0;
		lines->method = (struct sg_h1_span){ out, req->method.len };
		lines->target = (struct sg_h1_span){ out + req->method.len + 1, target.len };
	}
	put_span(&o, req->method);
	put(&o, " ", 1);
	put_span(&o, target);
	put_str(&o, " HTTP/1.1\r\n");
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sg_h1_header *h = &req->headers[i];
		enum hop_name kind = hop_name_of(h->name);

		if (sg_h1_span_is(h->name, "x-forwarded-for") || hop_by_hop(&r, h->name, kind) ||
		    edit_drops(edit, h->name, kind))
			continue;
		/* the gateway's count is the one the backend must see */
		if (attempt && sg_h1_span_is(h->name, "x-retry-attempt"))
			continue;
		if (new_host && sg_h1_span_is(h->name, "host")) {
			put_header(&o, &(struct sg_h1_header){ h->name, edit->host });
			new_host = false;
			continue;
		}
		put_header(&o, h);
	}
	if (new_host)
		put_header(&o, &(struct sg_h1_header){ { "Host", 4 }, edit->host });
	put_xff(&o, &r, edit, client_ip);
	if (attempt) {
		line_begin(&o, (struct sg_h1_span)LIT("x-retry-attempt"));
		put_uint(&o, attempt);
		line_end(&o);
	}
	put_added(&o, edit, NULL);
	if (extra)
		put_str(&o, extra);
	return finish(&o);
}

size_t sg_h1_request_room(const struct sg_h1_req *req, const struct sg_h1_edit *edit,
			  const char *extra)
{
	size_t n = req->method.len + req->target.len + (extra ? strlen(extra) : 0) + 1024;

	for (size_t i = 0; i < req->nheaders; i++)
		n += req->headers[i].name.len + req->headers[i].value.len + 4;
	if (!edit)
		return n;
	n += edit->target.len + edit->host.len + 8;
	for (size_t i = 0; i < edit->nadd; i++)
		n += edit->add[i].name.len + edit->add[i].value.len + 4;
	return n;
}

/* The Date of a final response whose fields have none (RFC 9110 §6.6.1:
 * the origin's answers carry one, and a response forwarded without one
 * gets the time it was received). */
static void put_date(struct out *o, uint16_t status, bool has_date)
{
	if (status < 200 || has_date)
		return;
	put_str(o, "date: ");
	put(o, sg_http_date(), SG_HTTP_DATE_LEN);
	put(o, "\r\n", 2);
}

static bool adds_date(const struct sg_h1_edit *e)
{
	for (size_t i = 0; e && i < e->nadd; i++)
		if (sg_h1_span_is(e->add[i].name, "date"))
			return true;
	return false;
}

static void put_conn(struct out *o, enum sg_h1_conn conn)
{
	if (conn == SG_H1_CONN_CLOSE)
		put_str(o, "connection: close\r\n");
	else if (conn == SG_H1_CONN_KEEP_ALIVE)
		put_str(o, "connection: keep-alive\r\n");
}

ssize_t sg_h1_write_response(const struct sg_h1_resp *resp, enum sg_h1_conn conn, const char *extra,
			     char *out, size_t cap)
{
	return sg_h1_write_response_edit(resp, NULL, conn, extra, out, cap);
}

ssize_t sg_h1_write_response_edit(const struct sg_h1_resp *resp, const struct sg_h1_edit *edit,
				  enum sg_h1_conn conn, const char *extra, char *out, size_t cap)
{
	struct hop_rules r;
	bool te = sg_h1_resp_header(resp, "transfer-encoding") != NULL;
	/* RFC 9110 8.6, RFC 9112 6.1: no Content-Length in a 1xx or 204, no
	 * Transfer-Encoding in those or a 304 (the body is none anyway). */
	bool no_length = resp->status < 200 || resp->status == 204;
	bool no_te = no_length || resp->status == 304;
	bool has_date = adds_date(edit);
	struct out o = { .p = out, .cap = cap };

	hop_rules_of(&r, resp->headers, resp->nheaders, keeps_upgrade(extra));
	put_str(&o, "HTTP/1.1 ");
	put_uint(&o, resp->status);
	put(&o, " ", 1);
	put_span(&o, resp->reason);
	put(&o, "\r\n", 2);
	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct sg_h1_header *h = &resp->headers[i];
		enum hop_name kind = hop_name_of(h->name);

		bool length = kind == HN_FRAMING && sg_h1_span_is(h->name, "content-length");

		if (hop_by_hop(&r, h->name, kind) || ((te || no_length) && length) ||
		    (no_te && kind == HN_FRAMING && sg_h1_span_is(h->name, "transfer-encoding")) ||
		    edit_drops(edit, h->name, kind))
			continue;
		has_date |= h->name.len == 4 && same_folded(h->name, "date");
		put_header(&o, h);
	}
	put_date(&o, resp->status, has_date);
	put_conn(&o, conn);
	put_added(&o, edit, resp);
	if (extra)
		put_str(&o, extra);
	return finish(&o);
}

/* Canonical phrases, shared with config_dump's status codes. */
static const char *reason_phrase(uint16_t status)
{
	const char *r = sg_status_reason(status);

	return r ? r : "Unknown";
}

ssize_t sg_h1_write_simple(uint16_t status, const char *reason, const struct sg_h1_edit *edit,
			   const char *body, enum sg_h1_conn conn, char *out, size_t cap)
{
	static const struct sg_h1_span ctype = { "content-type", 12 };
	struct out o = { .p = out, .cap = cap };
	size_t body_len = body ? strlen(body) : 0;

	put_str(&o, "HTTP/1.1 ");
	put_uint(&o, status);
	put(&o, " ", 1);
	put_str(&o, reason ? reason : reason_phrase(status));
	put(&o, "\r\n", 2);
	if (!edit_drops(edit, ctype, HN_OTHER))
		put_str(&o, "content-type: text/plain\r\n");
	put_str(&o, "content-length: ");
	put_uint(&o, body_len);
	put(&o, "\r\n", 2);
	put_added(&o, edit, NULL);
	put_date(&o, status, adds_date(edit));
	put_conn(&o, conn);
	put(&o, "\r\n", 2);
	put(&o, body, body_len);
	return o.full ? -1 : (ssize_t)o.len;
}

ssize_t sg_h1_write_answer(uint16_t status, const struct sg_h1_edit *edit, const char *body,
			   size_t len, enum sg_h1_conn conn, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };

	put_str(&o, "HTTP/1.1 ");
	put_uint(&o, status);
	put(&o, " ", 1);
	put_str(&o, reason_phrase(status));
	put(&o, "\r\n", 2);
	put_added(&o, edit, NULL);
	/* RFC 9110 §8.6: none in a 204; a 304's would be the 200's */
	if (status != 204 && status != 304) {
		put_str(&o, "content-length: ");
		put_uint(&o, len);
		put(&o, "\r\n", 2);
	}
	put_date(&o, status, adds_date(edit));
	put_conn(&o, conn);
	put(&o, "\r\n", 2);
	put(&o, body, len);
	return o.full ? -1 : (ssize_t)o.len;
}

size_t sg_h1_upgrade_offer(const struct sg_h1_req *req, char *out, size_t cap)
{
	const struct sg_h1_span *up = sg_h1_header(req, "upgrade");
	struct out o = { .p = out, .cap = cap ? cap - 1 : 0 };
	const char *p, *end;
	bool any = false;

	if (!cap || !sg_h1_wants_upgrade(req))
		goto none;
	put_str(&o, "connection: upgrade\r\nupgrade: ");
	for (p = up->p, end = up->p + up->len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct sg_h1_span item = { p, (size_t)((comma ? comma : end) - p) };

		while (item.len && is_ows(*item.p))
			item.p++, item.len--;
		while (item.len && is_ows(item.p[item.len - 1]))
			item.len--;
		p = comma ? comma + 1 : end;
		if (!item.len || sg_h1_span_is(item, "h2c"))
			continue;
		put_str(&o, any ? ", " : "");
		put_span(&o, item);
		any = true;
	}
	put_str(&o, "\r\n");
	if (!any || o.full)
		goto none;
	out[o.len] = '\0';
	return o.len;
none:
	if (cap)
		out[0] = '\0';
	return 0;
}
