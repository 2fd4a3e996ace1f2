/* Fuzz target: the HTTP/1 response-head parser and the head the gateway
 * writes to a client from what it parsed. Properties: every span lies in
 * the head; the head ends with CRLF CRLF and does not depend on the bytes
 * after it; the written head parses again to the same status, reason and
 * body framing, so a client never reads the body differently than the
 * gateway did; and the parser takes a head exactly when llhttp with the
 * gateway's checks takes it (tests/fuzz/h1_ref.h and ref_parse below, how
 * response heads were read before user/codec/h1.c read them itself), reading the
 * same fields. An HTTP-date read from any field (as Retry-After's is read
 * for an eviction) is written back as a date that reads the same. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/h1_ref.h"
#include "user/base/httpdate.h"
#include "user/codec/h1.h"

#define MAX_HEADERS 100

static bool in_head(struct sg_h1_span s, const char *buf, size_t head_len)
{
	return !s.len || (s.p >= buf && s.p + s.len <= buf + head_len);
}

static bool same_span(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0);
}

static void check_date(struct sg_h1_span v)
{
	char text[SG_HTTP_DATE_LEN + 1];
	time_t t, back;

	if (!sg_http_date_parse(v.p, v.len, &t))
		return;
	FUZZ_CHECK(v.len >= 24 && v.len <= 33);
	sg_http_date_format(t, text);
	FUZZ_CHECK(sg_http_date_parse(text, SG_HTTP_DATE_LEN, &back) && back == t);
}

static void check_parsed(const struct sg_h1_resp *resp, const char *buf, size_t len)
{
	FUZZ_CHECK(resp->head_len >= 4 && resp->head_len <= len);
	FUZZ_CHECK(memcmp(buf + resp->head_len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(resp->status >= 100 && resp->status <= 599);
	FUZZ_CHECK(in_head(resp->reason, buf, resp->head_len));
	FUZZ_CHECK(resp->minor <= 1 && resp->nheaders <= MAX_HEADERS);
	for (size_t i = 0; i < resp->nheaders; i++) {
		FUZZ_CHECK(resp->headers[i].name.len);
		FUZZ_CHECK(in_head(resp->headers[i].name, buf, resp->head_len));
		FUZZ_CHECK(in_head(resp->headers[i].value, buf, resp->head_len));
		check_date(resp->headers[i].value);
	}
	FUZZ_CHECK(resp->content_length >= -1);
	FUZZ_CHECK(!(resp->chunked && resp->content_length >= 0));
}

static void check_prefix(const struct sg_h1_resp *resp, const char *buf)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };

	FUZZ_CHECK(sg_h1_parse_response(buf, resp->head_len, MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == resp->head_len);
	FUZZ_CHECK(sg_h1_parse_response(buf, resp->head_len - 1, MAX_HEADERS, &again) ==
		   SG_H1_PARTIAL);
}

static void check_written(const struct sg_h1_resp *resp, bool close)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	size_t cap = resp->head_len + 256;
	char *out = malloc(cap);
	ssize_t n;

	FUZZ_CHECK(out);
	n = sg_h1_write_response(resp, close, NULL, out, cap);
	FUZZ_CHECK(n > 0 && (size_t)n <= cap);
	FUZZ_CHECK(sg_h1_write_response(resp, close, NULL, out, (size_t)n - 1) == -1);
	FUZZ_CHECK(sg_h1_parse_response(out, (size_t)n, SG_H1_MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == (size_t)n);
	FUZZ_CHECK(again.status == resp->status);
	FUZZ_CHECK(same_span(again.reason, resp->reason));
	for (int head = 0; head < 2; head++)
		FUZZ_CHECK(sg_h1_response_body(&again, head) == sg_h1_response_body(resp, head));
	if (sg_h1_response_body(resp, false) == SG_H1_BODY_LENGTH)
		FUZZ_CHECK(again.content_length == resp->content_length);
	if (close)
		FUZZ_CHECK(!again.keep_alive);
	free(out);
}

/* ---- the reference: llhttp 8, strict, Content-Length beside
 * Transfer-Encoding let through, and the checks llhttp does not make, each
 * done byte by byte here ---- */

/* The last coding of the last Transfer-Encoding field, without the
 * whitespace around it, is "chunked". */
static bool ref_chunked(const struct sg_h1_resp *resp, bool *te)
{
	struct sg_h1_span v;
	size_t start;

	*te = ref_count(resp->headers, resp->nheaders, "transfer-encoding", &v) > 0;
	if (!*te)
		return false;
	start = v.len;
	while (start && v.p[start - 1] != ',')
		start--;
	while (start < v.len && (v.p[start] == ' ' || v.p[start] == '\t'))
		start++;
	return v.len - start == 7 && !strncasecmp(v.p + start, "chunked", 7);
}

/* "chunked" codings over every Transfer-Encoding field, compared without
 * the whitespace around each (more than one is refused: RFC 9112 §6.1). */
static unsigned ref_chunkeds(const struct sg_h1_resp *resp)
{
	unsigned n = 0;

	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct sg_h1_span *nm = &resp->headers[i].name, *v = &resp->headers[i].value;

		if (nm->len != 17 || strncasecmp(nm->p, "transfer-encoding", 17))
			continue;
		for (size_t a = 0, b = 0; b <= v->len; b++) {
			size_t x = a, y = b;

			if (b < v->len && v->p[b] != ',')
				continue;
			while (x < y && (v->p[x] == ' ' || v->p[x] == '\t'))
				x++;
			while (y > x && (v->p[y - 1] == ' ' || v->p[y - 1] == '\t'))
				y--;
			n += y - x == 7 && !strncasecmp(v->p + x, "chunked", 7);
			a = b + 1;
		}
	}
	return n;
}

/* RFC 9112 §4: the status code is three digits (llhttp also takes 00200). */
static bool ref_three_digits(const char *b, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && b[i] == '\r' && b[i + 1] == '\n')
		i += 2;
	return i + 13 <= n && isdigit((unsigned char)b[i + 9]) &&
	       isdigit((unsigned char)b[i + 10]) && isdigit((unsigned char)b[i + 11]) &&
	       (b[i + 12] == ' ' || b[i + 12] == '\r');
}

static enum sg_h1_result ref_parse(const char *buf, size_t len, size_t max, struct sg_h1_resp *resp)
{
	struct ref r = { resp->headers, &resp->nheaders,
			 max < resp->headers_cap ? max : resp->headers_cap, false, &resp->reason };
	llhttp_settings_t settings;
	llhttp_errno_t err;
	llhttp_t p;
	bool te, cl, conn_ok, bodyless;
	const char *in;
	char *copy;
	size_t at;

	*resp = (struct sg_h1_resp){ .headers = resp->headers,
				     .headers_cap = resp->headers_cap,
				     .content_length = -1 };
	ref_init(&p, &settings, HTTP_RESPONSE, &r);
	llhttp_set_lenient_chunked_length(&p, 1);
	copy = ref_cl_ows(buf, len);
	in = copy ? copy : buf;
	err = llhttp_execute(&p, in, len);
	at = err == HPE_PAUSED ? (size_t)(llhttp_get_error_pos(&p) - in) : 0;
	ref_back(resp->headers, resp->nheaders, &resp->reason, in, len, buf);
	free(copy);
	if (err != HPE_PAUSED)
		return r.too_many ? SG_H1_TOO_LARGE : err == HPE_OK ? SG_H1_PARTIAL : SG_H1_INVALID;
	resp->head_len = at;
	if (p.http_major != 1 || !ref_lines(buf, resp->head_len) ||
	    !ref_three_digits(buf, resp->head_len) || p.status_code < 100 || p.status_code > 599 ||
	    ((p.flags & F_CONTENT_LENGTH) && p.content_length > (uint64_t)INT64_MAX))
		return SG_H1_INVALID;
	if (!ref_names(resp->headers, resp->nheaders) || ref_chunkeds(resp) > 1)
		return SG_H1_INVALID;
	resp->status = p.status_code;
	resp->minor = p.http_minor;
	resp->chunked = ref_chunked(resp, &te);
	cl = (p.flags & F_CONTENT_LENGTH) != 0;
	if (cl && !te)
		resp->content_length = (int64_t)p.content_length;
	/* llhttp_should_keep_alive, but a final "chunked" followed by a tab
	 * delimits the body as any other, and "close" followed by one is
	 * "close": llhttp's flags miss both. */
	conn_ok = p.http_minor ? !ref_connection(resp->headers, resp->nheaders, "close")
			       : ref_connection(resp->headers, resp->nheaders, "keep-alive");
	bodyless = p.status_code < 200 || p.status_code == 204 || p.status_code == 304;
	resp->keep_alive = conn_ok && (bodyless || (te ? resp->chunked : cl));
	if (te && (cl || p.http_minor == 0))
		resp->keep_alive = false;
	return SG_H1_DONE;
}

/* The parser and the reference agree on whether the head is taken and, when
 * it is, on every field read from it. */
static void check_reference(const char *buf, size_t len, enum sg_h1_result rc,
			    const struct sg_h1_resp *resp)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp ref = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	enum sg_h1_result want = ref_parse(buf, len, MAX_HEADERS, &ref);

	if (rc != SG_H1_DONE && want != SG_H1_DONE)
		return; /* refused, or not yet taken: how soon may differ */
	FUZZ_CHECK(rc == want);
	FUZZ_CHECK(resp->head_len == ref.head_len && resp->status == ref.status &&
		   resp->minor == ref.minor && same_place(resp->reason, ref.reason));
	FUZZ_CHECK(resp->nheaders == ref.nheaders);
	for (size_t i = 0; i < resp->nheaders; i++)
		FUZZ_CHECK(same_place(resp->headers[i].name, ref.headers[i].name) &&
			   same_place(resp->headers[i].value, ref.headers[i].value));
	FUZZ_CHECK(resp->content_length == ref.content_length && resp->chunked == ref.chunked &&
		   resp->keep_alive == ref.keep_alive);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp resp = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char *buf = (const char *)data;
	enum sg_h1_result rc = sg_h1_parse_response(buf, size, MAX_HEADERS, &resp);

	FUZZ_CHECK(rc == SG_H1_DONE || rc == SG_H1_PARTIAL || rc == SG_H1_INVALID ||
		   rc == SG_H1_TOO_LARGE);
	check_reference(buf, size, rc, &resp);
	if (rc != SG_H1_DONE)
		return 0;
	check_parsed(&resp, buf, size);
	check_prefix(&resp, buf);
	check_written(&resp, false);
	check_written(&resp, true);
	return 0;
}
