/* HTTP/2 without a session (the contract is h2head.h): the SETTINGS a
 * frontend policy asks for; an HTTP/2
 * request's fields as an HTTP/1 head, an HTTP/1 response or answer as
 * HTTP/2 fields, the head written for an HTTP/1 backend as an HTTP/2
 * request, kept trailers, the client preface and the h2c upgrade. No
 * nghttp2 here: user/codec/h2.c is the session. */
#include "user/codec/h2head.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "user/base/base64url.h"
#include "user/base/buf.h"

/* ---- SETTINGS ---------------------------------------------------------------- */

static uint32_t clamp(int64_t v, uint32_t lo, uint32_t hi)
{
	if (v < (int64_t)lo)
		return lo;
	if (v > (int64_t)hi)
		return hi;
	return (uint32_t)v;
}

void sg_h2head_settings_from_policy(const struct sg_frontend_http *h, struct sg_h2_settings *out)
{
	memset(out, 0, sizeof(*out));
	out->v[out->n++] =
		(struct sg_h2_setting){ SG_H2_SET_MAX_CONCURRENT_STREAMS, SG_H2_MAX_STREAMS };
	if (h->http2_window_size != SG_UNSET)
		out->v[out->n++] =
			(struct sg_h2_setting){ SG_H2_SET_INITIAL_WINDOW_SIZE,
						clamp(h->http2_window_size, 0, SG_H2_MAX_WINDOW) };
	if (h->http2_frame_size != SG_UNSET)
		out->v[out->n++] =
			(struct sg_h2_setting){ SG_H2_SET_MAX_FRAME_SIZE,
						clamp(h->http2_frame_size, SG_H2_MIN_FRAME,
						      SG_H2_MAX_FRAME) };
	if (h->http2_connection_window_size != SG_UNSET)
		out->connection_window = clamp(h->http2_connection_window_size,
					       SG_H2_MIN_CONN_WINDOW, SG_H2_MAX_WINDOW);
}

/* ---- heads ----------------------------------------------------------------- */

static bool field_is(const struct sg_h2_field *f, const char *lit)
{
	return f->name_len == strlen(lit) && memcmp(f->name, lit, f->name_len) == 0;
}

static struct sg_h1_span span(const char *p, size_t len)
{
	return (struct sg_h1_span){ p, len };
}

int64_t sg_h2head_content_length(const char *p, size_t len)
{
	size_t used = 0;
	int64_t v = sg_h1_decimal(p, len, &used);

	return used == len ? v : -1;
}

/* Cookie fields joined with "; " into store, empty ones left out (they
 * hold no cookie-pair, and "a=1; ; b=2" is no cookie-string: RFC 6265
 * §4.2.1), as HTTP/1's lines are joined; returns the length or -1. */
static ssize_t join_cookies(const struct sg_h2_field *f, size_t n, char *store, size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (!f[i].value_len || !field_is(&f[i], "cookie"))
			continue;
		if ((len ? 2 : 0) + f[i].value_len > cap - len)
			return -1;
		if (len) {
			memcpy(store + len, "; ", 2);
			len += 2;
		}
		memcpy(store + len, f[i].value, f[i].value_len);
		len += f[i].value_len;
	}
	return (ssize_t)len;
}

static int add_header(struct sg_h1_req *req, struct sg_h1_span name, struct sg_h1_span value)
{
	if (req->nheaders == SG_H1_MAX_HEADERS || req->nheaders == req->headers_cap)
		return -E2BIG;
	req->headers[req->nheaders++] = (struct sg_h1_header){ name, value };
	return 0;
}

/* :path is origin-form, or "*" for OPTIONS (RFC 9113 §8.3.1). A fragment
 * ('#') is in no form (RFC 9110 §7.1), and a byte outside visible ASCII
 * (from 0x80 up: UTF-8 must be percent-encoded) in no URI: refused as over
 * HTTP/1 (user/codec/h1.c), not routed on nor forwarded; agentgateway's h2
 * crate refuses such a :path too (http::uri::PathAndQuery). One pass over
 * the path for both. */
static bool target_ok(const struct sg_h1_req *req)
{
	for (size_t i = 0; i < req->target.len; i++)
		if ((unsigned char)(req->target.p[i] - 0x21) >= 0x5e || req->target.p[i] == '#')
			return false;
	if (req->target.len == 1 && req->target.p[0] == '*')
		return req->method.len == 7 && !memcmp(req->method.p, "OPTIONS", 7);
	return req->target.p[0] == '/';
}

/* An authority as scheme-based normalization (RFC 3986 §6.2.3) reads it:
 * an empty port, or the default one of `scheme` (http 80, https 443), is
 * no port. The host's case is left to the comparison. */
static struct sg_h1_span authority_norm(const char *p, size_t len, struct sg_h1_span scheme)
{
	const char *end = len && p[0] == '[' ? memchr(p, ']', len) : NULL;
	const char *colon = memchr(end ? end : p, ':', len - (size_t)((end ? end : p) - p));
	size_t host = colon ? (size_t)(colon - p) : len, plen = colon ? len - host - 1 : 0;

	if (colon &&
	    (!plen || (sg_h1_span_is(scheme, "http") && plen == 2 && !memcmp(colon + 1, "80", 2)) ||
	     (sg_h1_span_is(scheme, "https") && plen == 3 && !memcmp(colon + 1, "443", 3))))
		len = host;
	return span(p, len);
}

/* Whether Host field x names the entity `h` (:authority, or the first
 * Host) does (RFC 9113 §8.3.1: else the request is malformed, and a proxy
 * must compare them after scheme-based normalization). Only a request
 * with a Host field pays for it: HTTP/2 clients send :authority alone. */
static bool same_entity(const struct sg_h2_field *f, size_t n, const struct sg_h2_field *h,
			const struct sg_h2_field *x)
{
	struct sg_h1_span scheme = { "", 0 }, a, b;

	if (x == h)
		return true;
	for (size_t i = 0; i < n && f[i].name_len && f[i].name[0] == ':'; i++)
		if (field_is(&f[i], ":scheme"))
			scheme = span(f[i].value, f[i].value_len);
	a = authority_norm(h->value, h->value_len, scheme);
	b = authority_norm(x->value, x->value_len, scheme);
	return a.len == b.len && (!a.len || strncasecmp(a.p, b.p, a.len) == 0);
}

int sg_h2head_request_head(const struct sg_h2_field *f, size_t n, char *store, size_t cap,
			   struct sg_h1_req *req)
{
	const struct sg_h2_field *authority = NULL, *host = NULL;
	bool cookie_done = false;
	ssize_t cookie_len;
	int err = 0;

	*req = (struct sg_h1_req){
		.headers = req->headers,
		.headers_cap = req->headers_cap,
		.minor = 1,
		.content_length = -1,
		.keep_alive = true,
	};
	for (size_t i = 0; i < n; i++) {
		if (field_is(&f[i], ":method"))
			req->method = span(f[i].value, f[i].value_len);
		else if (field_is(&f[i], ":path"))
			req->target = span(f[i].value, f[i].value_len);
		else if (field_is(&f[i], ":authority"))
			authority = &f[i];
		else if (field_is(&f[i], "host") && !host)
			host = &f[i];
	}
	/* A method spelt as no HTTP/1 client may send it is refused here
	 * too: the HTTP/1 backend's answer to "head" is framed as HEAD's. */
	if (!req->method.len || !req->target.len || !target_ok(req) ||
	    !sg_h1_method_ok(req->method))
		return -EINVAL;
	if (authority || host) {
		const struct sg_h2_field *h = authority ? authority : host;

		/* the same Host rules as for HTTP/1 (RFC 9113 §8.3.1) */
		if (h->value_len && !sg_h1_authority_valid(h->value, h->value_len, false))
			return -EINVAL;

		err = add_header(req, span("host", 4), span(h->value, h->value_len));
	}
	cookie_len = join_cookies(f, n, store, cap);
	if (cookie_len < 0)
		return -E2BIG;
	for (size_t i = 0; i < n && !err; i++) {
		const struct sg_h2_field *x = &f[i];

		if (x->name_len && x->name[0] == ':')
			continue;
		if (field_is(x, "host")) {
			if (!same_entity(f, n, authority ? authority : host, x))
				return -EINVAL;
			continue; /* already first, from :authority or itself */
		}
		if (field_is(x, "cookie")) {
			if (!cookie_done)
				err = add_header(req, span(x->name, x->name_len),
						 span(store, (size_t)cookie_len));
			cookie_done = true;
			continue;
		}
		/* One, that the gateway reads: the body of a request whose
		 * length it cannot read goes chunked to an HTTP/1 backend,
		 * and this field would go beside that. */
		if (field_is(x, "content-length") &&
		    (req->content_length >= 0 ||
		     (req->content_length = sg_h2head_content_length(x->value, x->value_len)) < 0))
			return -EINVAL;
		err = add_header(req, span(x->name, x->name_len), span(x->value, x->value_len));
	}
	return err;
}

/* A field that means something only on one HTTP/1 connection; conn (or
 * NULL) holds the names the head's Connection fields list. */
static bool connection_specific(const struct sg_h1_conn_names *conn, struct sg_h1_span name)
{
	bool fixed = false;

	switch (name.len) { /* one comparison a field at most, but for length 10 */
	case 2:
		fixed = sg_h1_span_is(name, "te");
		break;
	case 7:
		fixed = sg_h1_span_is(name, "upgrade");
		break;
	case 10:
		fixed = sg_h1_span_is(name, "connection") || sg_h1_span_is(name, "keep-alive");
		break;
	case 16:
		fixed = sg_h1_span_is(name, "proxy-connection");
		break;
	case 17:
		fixed = sg_h1_span_is(name, "transfer-encoding");
		break;
	}
	return fixed || (conn && sg_h1_conn_lists(conn, name));
}

/* Fields being written to out[0..max), their names lowercased into
 * store[0..cap). */
struct fields {
	char *store;
	size_t cap, used;
	struct sg_h2_field *out;
	size_t max, n;
	bool full;
};

/* A field whose name is already lowercase: no copy. */
static void add_lower_field(struct fields *f, struct sg_h1_span name, const char *value, size_t len)
{
	if (f->n == f->max) {
		f->full = true;
		return;
	}
	f->out[f->n++] = (struct sg_h2_field){ name.p, name.len, value, len };
}

static void add_field(struct fields *f, struct sg_h1_span name, const char *value, size_t len)
{
	char *lower = f->store + f->used;

	if (f->n == f->max || name.len > f->cap - f->used) {
		f->full = true;
		return;
	}
	sg_h1_lower(lower, name.p, name.len);
	f->used += name.len;
	f->out[f->n++] = (struct sg_h2_field){ lower, name.len, value, len };
}

/* ":status" with its digits in store. */
static void add_status(struct fields *f, uint16_t status)
{
	if (f->max == 0 || f->cap < 3 || status > 999) {
		f->full = true;
		return;
	}
	f->store[0] = (char)('0' + status / 100);
	f->store[1] = (char)('0' + status / 10 % 10);
	f->store[2] = (char)('0' + status % 10);
	f->out[f->n++] = (struct sg_h2_field){ ":status", 7, f->store, 3 };
	f->used = 3;
}

/* A route filter's added lines that the forwarded response `resp` gets
 * (sg_h1_edit_lines), except connection-specific and framing ones (the
 * gateway's own). */
static void add_edit(struct fields *f, const struct sg_h1_edit *e, const struct sg_h1_resp *resp)
{
	size_t n = sg_h1_edit_lines(e, resp);

	for (size_t i = 0; i < n; i++) {
		struct sg_h1_span name = e->add[i].name;

		if (connection_specific(NULL, name) || sg_h1_span_is(name, "content-length") ||
		    sg_h1_span_is(name, "host"))
			continue;
		add_field(f, name, e->add[i].value.p, e->add[i].value.len);
	}
}

static bool edit_drops(const struct sg_h1_edit *e, struct sg_h1_span name)
{
	return e && e->drops && !sg_h1_span_is(name, "content-length") &&
	       e->drops(e->arg, name.p, name.len);
}

static ssize_t fields_done(const struct fields *f)
{
	return f->full ? -1 : (ssize_t)f->n;
}

ssize_t sg_h2head_response_fields(const struct sg_h1_resp *resp, const struct sg_h1_edit *edit,
				  char *store, size_t cap, struct sg_h2_field *out, size_t max)
{
	bool te = !resp->h2 && sg_h1_resp_header(resp, "transfer-encoding") != NULL;
	struct fields f = { .store = store, .cap = cap, .out = out, .max = max };
	struct sg_h1_conn_names conn;

	if (!resp->h2)
		sg_h1_conn_names(&conn, resp->headers, resp->nheaders);
	add_status(&f, resp->status);
	for (size_t i = 0; i < resp->nheaders && !f.full; i++) {
		const struct sg_h1_header *h = &resp->headers[i];

		if (resp->h2 ? sg_h1_span_is(h->name, "te")
			     : connection_specific(&conn, h->name) ||
				       (te && sg_h1_span_is(h->name, "content-length")))
			continue;
		if (edit_drops(edit, h->name))
			continue;
		if (resp->h2)
			add_lower_field(&f, h->name, h->value.p, h->value.len);
		else
			add_field(&f, h->name, h->value.p, h->value.len);
	}
	add_edit(&f, edit, resp);
	return fields_done(&f);
}

ssize_t sg_h2head_request_from_lines(const struct sg_h1_lines *l, struct sg_h2_field *out,
				     size_t max)
{
	static const struct sg_h1_span host = { "host", 4 };
	const struct sg_h1_header *authority = NULL;
	size_t k = 0;

	for (size_t i = 0; i < l->n && !authority; i++)
		if (sg_h1_span_same(l->v[i].name, host))
			authority = &l->v[i];
	if (max < 4 + l->n)
		return -1;
	out[k++] = (struct sg_h2_field){ ":method", 7, l->method.p, l->method.len };
	out[k++] = (struct sg_h2_field){ ":scheme", 7, "http", 4 };
	if (authority)
		out[k++] = (struct sg_h2_field){ ":authority", 10, authority->value.p,
						 authority->value.len };
	out[k++] = (struct sg_h2_field){ ":path", 5, l->target.p, l->target.len };
	for (size_t i = 0; i < l->n; i++) {
		const struct sg_h1_header *h = &l->v[i];

		if (sg_h1_span_same(h->name, host) || connection_specific(NULL, h->name))
			continue;
		out[k++] = (struct sg_h2_field){ h->name.p, h->name.len, h->value.p, h->value.len };
	}
	return (ssize_t)k;
}

ssize_t sg_h2head_fields_from_lines(char *lines, size_t len, struct sg_h2_field *out, size_t max)
{
	char *p = lines, *end = lines + len;
	size_t n = 0;

	while (p < end && n < max) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		char *colon = memchr(p, ':', (size_t)(end - p));
		char *v, *ve;

		if (!eol)
			eol = end;
		if (!colon || colon > eol)
			return -1;
		sg_h1_lower(p, p, (size_t)(colon - p));
		v = colon + 1;
		ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		out[n++] = (struct sg_h2_field){ p, (size_t)(colon - p), v, (size_t)(ve - v) };
		p = eol + 1;
	}
	return (ssize_t)n;
}

ssize_t sg_h2head_answer_fields(uint16_t status, const struct sg_h1_edit *edit, size_t body_len,
				char *store, size_t cap, struct sg_h2_field *out, size_t max)
{
	struct fields f = { .store = store, .cap = cap, .out = out, .max = max };
	static const struct sg_h1_span content_length = { "content-length", 14 };

	add_status(&f, status);
	add_edit(&f, edit, NULL);
	/* RFC 9110 §8.6: none in a 204; a 304's would be the 200's */
	if (!f.full && status != 204 && status != 304) {
		/* the digits go to store after the names already there */
		char *digits = store + f.used;
		int len = snprintf(digits, cap - f.used, "%zu", body_len);

		if (len < 0 || (size_t)len >= cap - f.used)
			return -1;
		f.used += (size_t)len;
		add_field(&f, content_length, digits, (size_t)len);
	}
	return fields_done(&f);
}

int sg_h2head_preface(const char *p, size_t len)
{
	size_t n = len < SG_H2_PREFACE_LEN ? len : SG_H2_PREFACE_LEN;

	if (memcmp(p, SG_H2_PREFACE, n) != 0)
		return -1;
	return n == SG_H2_PREFACE_LEN ? 1 : 0;
}

/* An HTTP2-Settings value the session's upgrade (sg_h2_upgrade) takes: base64url of
 * whole 6-byte settings (at most 256 bytes of them), each value in its
 * range (RFC 9113 §6.5.2). */
static bool upgrade_settings_ok(struct sg_h1_span v)
{
	uint8_t p[256];
	ssize_t n = sg_h2head_base64url_decode(v.p, v.len, p, sizeof(p));

	if (n < 0 || n % 6)
		return false;
	for (ssize_t i = 0; i < n; i += 6) {
		uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
		uint32_t val = (uint32_t)p[i + 2] << 24 | (uint32_t)p[i + 3] << 16 |
			       (uint32_t)p[i + 4] << 8 | p[i + 5];

		if ((id == SG_H2_SET_ENABLE_PUSH && val > 1) ||
		    (id == SG_H2_SET_INITIAL_WINDOW_SIZE && val > 0x7fffffffu) ||
		    (id == SG_H2_SET_MAX_FRAME_SIZE && (val < 16384 || val > 16777215)))
			return false;
	}
	return true;
}

bool sg_h2head_upgrade_request(const struct sg_h1_req *req)
{
	const struct sg_h1_span *up = sg_h1_header(req, "upgrade");
	const struct sg_h1_span *settings = NULL;
	size_t n = 0;

	if (req->minor != 1 || !up || !sg_h1_wants_upgrade(req) ||
	    !sg_h1_list_has(*up, span("h2c", 3)) || sg_h1_request_body(req) != SG_H1_BODY_NONE)
		return false;
	for (size_t i = 0; i < req->nheaders; i++)
		if (sg_h1_span_is(req->headers[i].name, "http2-settings")) {
			settings = &req->headers[i].value;
			n++;
		}
	return n == 1 && upgrade_settings_ok(*settings);
}

ssize_t sg_h2head_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	while (len && in[len - 1] == '=')
		len--;
	return sg_base64url_decode(in, len, out, cap);
}

/* ---- kept trailers ---------------------------------------------------------- */

int sg_h2head_kept_add(struct sg_h2_kept *k, const struct sg_h2_field *f, size_t max)
{
	if (k->lines.len + f->name_len + f->value_len + 4 > max)
		return 0;
	if (sg_buf_append(&k->lines, f->name, f->name_len) < 0 ||
	    sg_buf_append(&k->lines, ": ", 2) < 0 ||
	    sg_buf_append(&k->lines, f->value, f->value_len) < 0 ||
	    sg_buf_append(&k->lines, "\r\n", 2) < 0)
		return -ENOMEM;
	return 0;
}

size_t sg_h2head_kept_fields(struct sg_h2_kept *k, const struct sg_h2_field **t)
{
	ssize_t n;

	if (!k->lines.len)
		return 0;
	sg_buf_reset(&k->parsed);
	if (sg_buf_append(&k->parsed, sg_buf_data(&k->lines), k->lines.len) < 0)
		return 0;
	n = sg_h2head_fields_from_lines(sg_buf_data(&k->parsed), k->parsed.len, k->f,
					SG_H2_KEPT_TRAILERS);
	*t = k->f;
	return n > 0 ? (size_t)n : 0;
}

void sg_h2head_kept_free(struct sg_h2_kept *k)
{
	sg_buf_free(&k->lines);
	sg_buf_free(&k->parsed);
}
