/* The reference the HTTP/1 head fuzzers hold user/codec/h1.c's parsers against:
 * llhttp 8 (strict) reading the fields, as the gateway read them before
 * user/codec/h1.c read them itself, and the checks llhttp does not make, each
 * done byte by byte here, apart from the code they check. */
#ifndef SG_FUZZ_H1_REF_H
#define SG_FUZZ_H1_REF_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "user/codec/h1.h"

/* What llhttp's callbacks fill: the caller's header slots. */
struct ref {
	struct sg_h1_header *headers;
	size_t *n;
	size_t max;
	bool too_many;
	struct sg_h1_span *reason; /* a response's, else NULL */
};

static int ref_status(llhttp_t *p, const char *at, size_t len)
{
	*((struct ref *)p->data)->reason = (struct sg_h1_span){ at, len };
	return 0;
}

static int ref_field(llhttp_t *p, const char *at, size_t len)
{
	struct ref *r = p->data;

	if (*r->n >= r->max) {
		r->too_many = true;
		return -1;
	}
	r->headers[(*r->n)++] = (struct sg_h1_header){ { at, len }, { at + len, 0 } };
	return 0;
}

/* llhttp strips a value's leading whitespace, not its trailing. */
static int ref_value(llhttp_t *p, const char *at, size_t len)
{
	struct ref *r = p->data;

	while (len && (at[len - 1] == ' ' || at[len - 1] == '\t'))
		len--;
	r->headers[*r->n - 1].value = (struct sg_h1_span){ at, len };
	return 0;
}

/* Stop at the head's end: llhttp_get_error_pos is then past its blank line. */
static int ref_done(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;
}

static void ref_init(llhttp_t *p, llhttp_settings_t *settings, llhttp_type_t type, struct ref *r)
{
	llhttp_settings_init(settings);
	if (r->reason)
		settings->on_status = ref_status;
	settings->on_header_field = ref_field;
	settings->on_header_value = ref_value;
	settings->on_headers_complete = ref_done;
	llhttp_init(p, type, settings);
	p->data = r;
}

/* CRLF only, no NUL, no obs-fold. */
static bool ref_lines(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!b[i] || (b[i] == '\n' && (!i || b[i - 1] != '\r')) ||
		    (b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n')) ||
		    (b[i] == '\n' && i + 1 < n && (b[i + 1] == ' ' || b[i + 1] == '\t')))
			return false;
	}
	return true;
}

static bool ref_token(struct sg_h1_span s)
{
	if (!s.len)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!(c < 0x80 && isalnum(c)) && !(c && strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return true;
}

static bool ref_names(const struct sg_h1_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ref_token(h[i].name))
			return false;
	return true;
}

static bool ref_named(struct sg_h1_span name, const char *want)
{
	return name.len == strlen(want) && !strncasecmp(name.p, want, name.len);
}

/* How many fields are named `name`; *last the value of the last one. */
static size_t ref_count(const struct sg_h1_header *h, size_t n, const char *name,
			struct sg_h1_span *last)
{
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		if (ref_named(h[i].name, name)) {
			found++;
			if (last)
				*last = h[i].value;
		}
	}
	return found;
}

/* Whether a Connection or Proxy-Connection field lists `token`, its
 * elements taken without the SP and HTAB around them (RFC 9110 §5.6.1;
 * llhttp's flags miss "close" followed by a tab). */
static bool ref_connection(const struct sg_h1_header *h, size_t n, const char *token)
{
	size_t tlen = strlen(token);

	for (size_t i = 0; i < n; i++) {
		struct sg_h1_span v = h[i].value;
		size_t a = 0;

		if (!ref_named(h[i].name, "connection") &&
		    !ref_named(h[i].name, "proxy-connection"))
			continue;
		while (a <= v.len) {
			size_t b = a, s, e;

			while (b < v.len && v.p[b] != ',')
				b++;
			for (s = a; s < b && (v.p[s] == ' ' || v.p[s] == '\t');)
				s++;
			for (e = b; e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t');)
				e--;
			if (e - s == tlen && !strncasecmp(v.p + s, token, tlen))
				return true;
			a = b + 1;
		}
	}
	return false;
}

/* RFC 9110 §5.6.3: the whitespace after a Content-Length value may hold
 * tabs, which llhttp refuses and the gateway takes (issue 63). The
 * reference reads a copy in which those tabs are spaces: the same length,
 * so that every span maps back to buf (ref_back). NULL: no such tab. */
static char *ref_cl_ows(const char *buf, size_t len)
{
	char *copy = NULL;

	for (size_t i = 0; i + 15 <= len; i++) {
		size_t e = i, k;

		if ((i && buf[i - 1] != '\n') || strncasecmp(buf + i, "content-length:", 15))
			continue;
		while (e < len && buf[e] != '\r' && buf[e] != '\n')
			e++;
		for (k = e; k > i + 15 && (buf[k - 1] == ' ' || buf[k - 1] == '\t'); k--) {
			if (buf[k - 1] != '\t')
				continue;
			if (!copy) {
				copy = malloc(len);
				if (!copy)
					abort();
				memcpy(copy, buf, len);
			}
			copy[k - 1] = ' ';
		}
	}
	return copy;
}

/* Moves the spans of headers h[0..n) (and *extra) that point into
 * from[0..len) to the same places in to. */
static void ref_back(struct sg_h1_header *h, size_t n, struct sg_h1_span *extra, const char *from,
		     size_t len, const char *to)
{
	struct sg_h1_span *spans[2];

	for (size_t i = 0; i <= n; i++) {
		spans[0] = i < n ? &h[i].name : extra;
		spans[1] = i < n ? &h[i].value : NULL;
		for (size_t k = 0; k < 2; k++) {
			uintptr_t p = spans[k] ? (uintptr_t)spans[k]->p : 0;

			if (p >= (uintptr_t)from && p <= (uintptr_t)from + len)
				spans[k]->p = to + (p - (uintptr_t)from);
		}
	}
}

/* Same length and, when not empty, the same place. */
static bool same_place(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && (!a.len || a.p == b.p);
}

#endif
