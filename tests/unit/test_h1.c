/* Unit tests for user/h1: head parsing (with the smuggling vectors it must
 * refuse), body framing, the chunked boundary scanner and the head writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"
#include "tests/unit/httpdate.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct vector {
	const char *name;
	const char *head;
	size_t len; /* 0 = strlen(head); set for heads holding a NUL */
};

#define WITH_NUL(name, head)                                                                       \
	{                                                                                          \
		name, head, sizeof(head) - 1                                                       \
	}

/* Header slots for the heads under test: one request and one response at a
 * time, with room for as many headers as the codec ever takes. */
static struct sg_h1_header req_slots[SG_H1_MAX_HEADERS], resp_slots[SG_H1_MAX_HEADERS];

static size_t vector_len(const struct vector *v)
{
	return v->len ? v->len : strlen(v->head);
}

static void expect_span(struct sg_h1_span s, const char *want)
{
	if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
		fail_msg("span \"%.*s\", want \"%s\"", (int)s.len, s.p, want);
}

/* out[0..n) is want, where want's "date: DATE" stands for a Date line
 * holding the time now (user/base/httpdate.h). */
static void expect_output(const char *out, ssize_t n, const char *want)
{
	char got[8192];
	const char *date;
	size_t len = n > 0 ? (size_t)n : 0;

	assert_true(len < sizeof(got));
	memcpy(got, out, len);
	got[len] = '\0';
	date = strstr(got, "\r\ndate: ");
	if (date && len - (size_t)(date - got) >= 8 + SG_HTTP_DATE_LEN &&
	    http_date_is_now(date + 8)) {
		memcpy(got + (date - got) + 8, "DATE", 4);
		memmove(got + (date - got) + 12, date + 8 + SG_HTTP_DATE_LEN,
			len - (size_t)(date - got) - 8 - SG_HTTP_DATE_LEN + 1);
		len -= SG_HTTP_DATE_LEN - 4;
	}
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("wrote %zd bytes:\n%.*s\nwant %zu bytes:\n%s", n, n > 0 ? (int)n : 0, out,
			 strlen(want), want);
}

static enum sg_h1_result parse_req(const char *s, struct sg_h1_req *req)
{
	return sg_h1_parse_request(s, strlen(s), SG_H1_MAX_HEADERS, req);
}

static enum sg_h1_result parse_resp(const char *s, struct sg_h1_resp *resp)
{
	return sg_h1_parse_response(s, strlen(s), SG_H1_MAX_HEADERS, resp);
}

/* ---- request heads -------------------------------------------------------- */

/* Line ends are found sixteen bytes at a time (SSE2; eight in a word
 * elsewhere): a bare LF as the last line and an obs-fold (both of which
 * llhttp lets through) are refused, and the same head without them parsed,
 * wherever they fall in a block. */
static void test_h1_line_ends_at_every_offset(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char buf[256];

	for (int k = 0; k < 24; k++) {
		const char *pad = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv";

		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nX: %.*s\r\n\r\n", k, pad);
		assert_int_equal(parse_req(buf, &req), SG_H1_DONE);
		assert_int_equal(req.head_len, strlen(buf));
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nX: %.*s\r\n\n", k, pad);
		if (parse_req(buf, &req) != SG_H1_INVALID)
			fail_msg("bare LF as the last line after %d bytes of value: not refused",
				 k);
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nX: %.*s\r\n b\r\n\r\n", k,
			 pad);
		if (parse_req(buf, &req) != SG_H1_INVALID)
			fail_msg("obs-fold after %d bytes of value: not refused", k);
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nX: %.*s\r\n\tb\r\n\r\n", k, pad);
		if (parse_resp(buf, &resp) != SG_H1_INVALID)
			fail_msg("response obs-fold after %d bytes of value: not refused", k);
		snprintf(buf, sizeof(buf),
			 "HTTP/1.1 200 OK\r\nX: %.*s\r\nContent-Length: 0\r\n\r\n", k, pad);
		assert_int_equal(parse_resp(buf, &resp), SG_H1_DONE);
	}
}

static const char sample_req[] = "POST /api/v1/items?q=1 HTTP/1.1\r\n"
				 "Host: example.com\r\n"
				 "User-Agent: test/1.0\r\n"
				 "X-Spaces:   padded value  \r\n"
				 "Empty:\r\n"
				 "Content-Length: 5\r\n"
				 "\r\n";

/* RFC 9110 §5.6.3: the OWS after a Content-Length value may hold tabs
 * (issue 63: "5 \t" was answered 400); the value is the digits. */
static void test_h1_request_content_length_ows(void **unused)
{
	static const char head[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 \t\r\n\r\n";
	static const char split[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\t6\r\n\r\n";
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };

	assert_int_equal(sg_h1_parse_request(head, strlen(head), 100, &req), SG_H1_DONE);
	assert_int_equal(req.content_length, 5);
	expect_span(req.headers[1].value, "5");
	assert_int_equal(sg_h1_parse_request(split, strlen(split), 100, &req), SG_H1_INVALID);
}

/* Several Cookie lines become one, their values joined with "; " in the
 * first line's place (an empty one adds nothing), the other fields kept in
 * order: a credential or a strip reads every cookie, not the first
 * line's alone. One line: nothing to do. */
static void test_h1_request_cookies_joined(void **unused)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX-A: 1\r\n"
				   "cookie: \r\nCOOKIE: b=2; c=3\r\nX-B: 2\r\n\r\n";
	static const char one[] = "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n\r\n";
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char *joined;

	assert_int_equal(sg_h1_parse_request(head, strlen(head), 100, &req), SG_H1_DONE);
	assert_int_equal(req.cookies, 3);
	assert_int_equal(sg_h1_join_cookies(&req, &joined), 0);
	assert_non_null(joined);
	assert_int_equal(req.nheaders, 4);
	expect_span(req.headers[0].name, "Host");
	expect_span(req.headers[1].name, "Cookie");
	expect_span(req.headers[1].value, "a=1; b=2; c=3");
	expect_span(req.headers[2].name, "X-A");
	expect_span(req.headers[3].name, "X-B");
	expect_span(*sg_h1_header(&req, "cookie"), "a=1; b=2; c=3");
	free(joined);

	assert_int_equal(sg_h1_parse_request(one, strlen(one), 100, &req), SG_H1_DONE);
	assert_int_equal(req.cookies, 1);
	assert_int_equal(sg_h1_join_cookies(&req, &joined), 0);
	assert_null(joined);
	expect_span(req.headers[1].value, "a=1");
}

static void test_h1_request_parses_head(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char buf[256];

	snprintf(buf, sizeof(buf), "%shello", sample_req);
	assert_int_equal(sg_h1_parse_request(buf, strlen(buf), 100, &req), SG_H1_DONE);
	expect_span(req.method, "POST");
	expect_span(req.target, "/api/v1/items?q=1");
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.nheaders, 5);
	expect_span(req.headers[0].name, "Host");
	expect_span(req.headers[0].value, "example.com");
	expect_span(req.headers[2].value, "padded value");
	expect_span(req.headers[3].value, "");
	expect_span(*sg_h1_header(&req, "user-agent"), "test/1.0");
	assert_null(sg_h1_header(&req, "accept"));
	assert_int_equal(req.content_length, 5);
	assert_false(req.chunked);
	assert_true(req.keep_alive);
	assert_int_equal(req.head_len, strlen(sample_req));
	assert_int_equal(sg_h1_request_body(&req), SG_H1_BODY_LENGTH);
}

static void test_h1_request_partial_at_every_split(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	size_t len = strlen(sample_req);

	for (size_t i = 0; i < len; i++)
		if (sg_h1_parse_request(sample_req, i, 100, &req) != SG_H1_PARTIAL)
			fail_msg("%zu of %zu bytes: not PARTIAL", i, len);
	assert_int_equal(sg_h1_parse_request(sample_req, len, 100, &req), SG_H1_DONE);
	assert_int_equal(req.head_len, len);
}

static void test_h1_request_pipelined_stops_at_first(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char first[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
	const char both[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";

	assert_int_equal(parse_req(both, &req), SG_H1_DONE);
	assert_int_equal(req.head_len, strlen(first));
	expect_span(req.target, "/a");
	assert_int_equal(sg_h1_request_body(&req), SG_H1_BODY_NONE);
	assert_int_equal(parse_req(both + req.head_len, &req), SG_H1_DONE);
	expect_span(req.target, "/b");
	assert_int_equal(req.head_len, strlen(both) - strlen(first));
}

/* RFC 9112 §2.2: empty lines before the request line are skipped, and
 * count as bytes of the head. */
static void test_h1_request_head_len_counts_leading_crlf(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	assert_int_equal(parse_req("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &req), SG_H1_DONE);
	assert_int_equal(req.head_len, 29);
}

static void test_h1_request_too_many_headers(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char three[] = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
	const char four[] = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	char big[SG_H1_MAX_HEADERS * 8 + 64];
	size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");

	assert_int_equal(sg_h1_parse_request(three, strlen(three), 3, &req), SG_H1_DONE);
	assert_int_equal(sg_h1_parse_request(four, strlen(four), 3, &req), SG_H1_TOO_LARGE);
	/* Already too many before the head ends. */
	assert_int_equal(sg_h1_parse_request(four, strlen(four) - 4, 3, &req), SG_H1_TOO_LARGE);
	/* A larger max_headers is clamped to the array. */
	for (int i = 0; i < SG_H1_MAX_HEADERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X: %d\r\n", i % 10);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	assert_int_equal(sg_h1_parse_request(big, n, 100000, &req), SG_H1_TOO_LARGE);
}

/* The caller's slots bound the count too, below max_headers, and parsing
 * keeps them. */
static void test_h1_request_stops_at_headers_cap(void **unused)
{
	struct sg_h1_header two[2];
	struct sg_h1_req req = { .headers = two, .headers_cap = 2 };
	const char ok[] = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n";
	const char over[] = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";

	assert_int_equal(parse_req(ok, &req), SG_H1_DONE);
	assert_ptr_equal(req.headers, two);
	assert_int_equal(req.headers_cap, 2);
	expect_span(req.headers[1].value, "1");
	assert_int_equal(parse_req(over, &req), SG_H1_TOO_LARGE);
	assert_ptr_equal(req.headers, two);
	assert_int_equal(req.headers_cap, 2);
}

/* No slots at all: a head without headers parses, one with a header is too
 * large, and every reader takes the empty view. */
static void test_h1_without_slots(void **unused)
{
	struct sg_h1_req req = { 0 };
	struct sg_h1_resp resp = { 0 };
	char out[256];
	ssize_t n;

	assert_int_equal(parse_req("GET / HTTP/1.0\r\n\r\n", &req), SG_H1_DONE);
	assert_null(req.headers);
	assert_int_equal(req.nheaders, 0);
	assert_null(sg_h1_header(&req, "host"));
	assert_false(sg_h1_wants_upgrade(&req));
	assert_false(sg_h1_expects_continue(&req));
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &req), SG_H1_TOO_LARGE);
	assert_int_equal(parse_resp("HTTP/1.1 204 No Content\r\n\r\n", &resp), SG_H1_DONE);
	assert_null(sg_h1_resp_header(&resp, "content-length"));
	assert_int_equal(sg_h1_response_body(&resp, false), SG_H1_BODY_NONE);
	n = sg_h1_write_response(&resp, true, NULL, out, sizeof(out));
	expect_output(out, n, "HTTP/1.1 204 No Content\r\ndate: DATE\r\nconnection: close\r\n\r\n");
}

static const struct vector smuggling[] = {
	{ "CL with TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			"Transfer-Encoding: chunked\r\n\r\n" },
	{ "TE with CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
			"Content-Length: 5\r\n\r\n" },
	{ "CL with TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			     "Transfer-Encoding: gzip\r\n\r\n" },
	{ "differing CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			  "Content-Length: 6\r\n\r\n" },
	{ "CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n" },
	{ "same CL twice", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			   "Content-Length: 5\r\n\r\n" },
	{ "DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\177b\r\n\r\n" },
	{ "two Hosts in any case", "GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n" },
	{ "TE in HTTP/1.0 with CL", "POST / HTTP/1.0\r\nContent-Length: 1\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n" },
	{ "CL negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n" },
	{ "CL plus sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n" },
	{ "CL empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n" },
	{ "CL hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n" },
	{ "CL past int64", "POST / HTTP/1.1\r\nHost: h\r\n"
			   "Content-Length: 18446744073709551615\r\n\r\n" },
	{ "CL overflow", "POST / HTTP/1.1\r\nHost: h\r\n"
			 "Content-Length: 99999999999999999999999\r\n\r\n" },
	{ "TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n" },
	{ "TE chunked, gzip", "POST / HTTP/1.1\r\nHost: h\r\n"
			      "Transfer-Encoding: chunked, gzip\r\n\r\n" },
	{ "TE chunked then gzip line",
	  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: gzip\r\n\r\n" },
	{ "TE chunked twice", "POST / HTTP/1.1\r\nHost: h\r\n"
			      "Transfer-Encoding: chunked, chunked\r\n\r\n" },
	{ "TE xchunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n" },
	{ "TE chunkedx", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkedx\r\n\r\n" },
	{ "TE quoted", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n" },
	{ "TE with params",
	  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n" },
	{ "TE empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n" },
	{ "TE space before colon", "POST / HTTP/1.1\r\nHost: h\r\n"
				   "Transfer-Encoding : chunked\r\n\r\n" },
	{ "TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" },
	{ "bare LF everywhere", "GET / HTTP/1.1\nHost: h\n\n" },
	{ "bare LF after request line", "GET / HTTP/1.1\nHost: h\r\n\r\n" },
	{ "bare LF in header line", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n" },
	{ "bare LF as last line", "GET / HTTP/1.1\r\nHost: h\r\n\n" },
	{ "bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n" },
	{ "obs-fold space", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n" },
	{ "obs-fold tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n" },
	{ "obs-fold of TE", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n"
			    "Content-Length: 3\r\n\r\n" },
	{ "space before first header", "GET / HTTP/1.1\r\n Host: h\r\n\r\n" },
	WITH_NUL("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"),
	WITH_NUL("NUL in name", "GET / HTTP/1.1\r\nHost: h\r\nX\0: ab\r\n\r\n"),
	WITH_NUL("NUL in target", "GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"),
	{ "control char in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n" },
	{ "no colon", "GET / HTTP/1.1\r\nHost: h\r\nX\r\n\r\n" },
	/* found by tests/fuzz/fuzz_h1_request: llhttp takes it as a header
	 * with an empty name, which was forwarded as ": v" */
	{ "empty name", "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n:\t\tv\t\r\n\r\n" },
	{ "empty name first", "GET / HTTP/1.1\r\n: v\r\nHost: h\r\n\r\n" },
	{ "HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n" },
	{ "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" },
	{ "two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n" },
	{ "HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n" },
	{ "HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n" },
	{ "HTTP/0.9", "GET /\r\n\r\n" },
	{ "space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "lowercase method", "get / HTTP/1.1\r\nHost: h\r\n\r\n" },
	/* found by tests/e2e/smuggle-*: llhttp took these names and the
	 * writers forwarded them to a backend that may read them otherwise */
	{ "space in name", "GET / HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n" },
	{ "space before colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n" },
	{ "tab before colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A\t: b\r\n\r\n" },
	{ "separator in name", "GET / HTTP/1.1\r\nHost: h\r\nX(A): b\r\n\r\n" },
	/* Only a plain "chunked" is a request coding the gateway forwards:
	 * a backend may not see chunks behind another coding. */
	{ "TE gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
			      "Transfer-Encoding: gzip, chunked\r\n\r\n" },
	{ "TE identity, chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
				  "Transfer-Encoding: identity, chunked\r\n\r\n" },
	{ "TE chunked, identity", "POST / HTTP/1.1\r\nHost: h\r\n"
				  "Transfer-Encoding: chunked, identity\r\n\r\n" },
	{ "TE identity line then chunked line",
	  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n" },
	{ "TE chunked on two lines", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n" },
	{ "TE , chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n" },
	/* issue 15: RFC 9112 §3.2 and RFC 9110 §7.2 want 400 for these */
	{ "Host with a path", "GET / HTTP/1.1\r\nHost: x/admin\r\n\r\n" },
	{ "Host list", "GET / HTTP/1.1\r\nHost: x, y\r\n\r\n" },
	{ "Host with a space", "GET / HTTP/1.1\r\nHost: x y\r\n\r\n" },
	{ "Host with userinfo", "GET / HTTP/1.1\r\nHost: a@x\r\n\r\n" },
	{ "Host with a query", "GET / HTTP/1.1\r\nHost: x?y\r\n\r\n" },
	{ "Host port not digits", "GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n" },
	{ "Host port too long", "GET / HTTP/1.1\r\nHost: x:123456\r\n\r\n" },
	{ "Host two colons", "GET / HTTP/1.1\r\nHost: x:1:2\r\n\r\n" },
	{ "Host bad IP-literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n" },
	{ "Host port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n" },
	{ "Host bad pct-encoding", "GET / HTTP/1.1\r\nHost: x%zz\r\n\r\n" },
	{ "Host obs-text", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n" },
	{ "Host gen-delims", "GET / HTTP/1.1\r\nHost: a#b\r\n\r\n" },
	{ "Host quote", "GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n" },
	{ "TAB in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "CTL in target", "GET /a\001b HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "DEL in target", "GET /a\177b HTTP/1.1\r\nHost: h\r\n\r\n" },
	/* Not in RFC 3986; hyper's http::Uri refuses it (agentgateway: 400). */
	{ "obs-text in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "0x80 in target", "GET /a\x80 HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "0xff in query", "GET /a?q=\xff HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "TAB before version", "GET /\tHTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "* with GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "absolute-form ftp", "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "absolute-form userinfo", "GET http://a@h/x HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "absolute-form empty authority", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "CONNECT without port", "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "head in lower case", "head / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "Connect in mixed case", "Connect h:1 HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "small letter last", "PATCh / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "delete in lower case", "delete / HTTP/1.1\r\nHost: h\r\n\r\n" },
	/* A fragment is in no request-target form (RFC 9112 §3.2). */
	{ "fragment", "GET /direct#x HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "fragment in absolute-form", "GET http://h/#x HTTP/1.1\r\nHost: h\r\n\r\n" },
};

static void test_h1_request_rejects_smuggling_vectors(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	for (size_t i = 0; i < ARRAY_LEN(smuggling); i++) {
		const struct vector *v = &smuggling[i];
		enum sg_h1_result rc =
			sg_h1_parse_request(v->head, vector_len(v), SG_H1_MAX_HEADERS, &req);

		if (rc != SG_H1_INVALID)
			fail_msg("%s: got %d, want SG_H1_INVALID", v->name, rc);
	}
}

static const struct vector accepted[] = {
	{ "chunked any case", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n" },
	{ "HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n" },
	{ "obs-text in value", "GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n" },
	{ "tab in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\r\n\r\n" },
	{ "CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" },
	{ "absolute-form", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n" },
	/* issue 15: valid requests that were refused */
	{ "Content-Length with trailing OWS", "POST / HTTP/1.1\r\nHost: h\r\n"
					      "Content-Length: 5 \r\n\r\n" },
	{ "extension method", "PURGEX / HTTP/1.1\r\nHost: h\r\n\r\n" },
	/* No standard method in another case: a method of its own. */
	{ "extension method in small letters", "purge / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "a standard name and more", "GETs / HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "Host IPv6 literal", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n" },
	{ "Host pct-encoded, sub-delims", "GET / HTTP/1.1\r\nHost: a%2Db!$&'()*+,;=\r\n\r\n" },
	{ "Host unreserved", "GET / HTTP/1.1\r\nHost: Az09-._~\r\n\r\n" },
	{ "Host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n" },
	{ "Host empty port", "GET / HTTP/1.1\r\nHost: h:\r\n\r\n" },
};

static void test_h1_request_accepts_valid_edges(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	for (size_t i = 0; i < ARRAY_LEN(accepted); i++) {
		const struct vector *v = &accepted[i];
		enum sg_h1_result rc =
			sg_h1_parse_request(v->head, vector_len(v), SG_H1_MAX_HEADERS, &req);

		if (rc != SG_H1_DONE || req.head_len != vector_len(v))
			fail_msg("%s: got %d, head_len %zu", v->name, rc, req.head_len);
	}
}

static void test_h1_request_body_framing(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	assert_int_equal(
		parse_req("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &req),
		SG_H1_DONE);
	assert_true(req.chunked);
	assert_int_equal(req.content_length, -1);
	assert_int_equal(sg_h1_request_body(&req), SG_H1_BODY_CHUNKED);
	assert_int_equal(parse_req("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &req),
			 SG_H1_DONE);
	assert_int_equal(req.content_length, 0);
	assert_int_equal(sg_h1_request_body(&req), SG_H1_BODY_NONE);
	assert_int_equal(parse_req("POST / HTTP/1.1\r\nHost: h\r\n\r\n", &req), SG_H1_DONE);
	assert_int_equal(req.content_length, -1);
	assert_int_equal(sg_h1_request_body(&req), SG_H1_BODY_NONE);
}

static void test_h1_request_keep_alive(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &req),
			 SG_H1_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse_req("GET / HTTP/1.0\r\n\r\n", &req), SG_H1_DONE);
	assert_int_equal(req.minor, 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse_req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req),
			 SG_H1_DONE);
	assert_true(req.keep_alive);
}

/* What a request head says of its body and its connection, each read once
 * in the pass over its fields (user/codec/h1.c read_fields): Connection and
 * Proxy-Connection tokens with the SP and HTAB around them taken off, a
 * Transfer-Encoding "chunked" likewise (llhttp's flags, which the gateway
 * read before, missed a token followed by a tab). */
static const struct {
	const char *head;
	bool keep_alive, chunked;
	int64_t content_length;
} request_cases[] = {
	{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, false, -1 },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\t\r\n\r\n", false, false, -1 },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive,\tCLOSE \r\n\r\n", false, false,
	  -1 },
	{ "GET / HTTP/1.1\r\nHost: h\r\nProxy-Connection: close\r\n\r\n", false, false, -1 },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true, false, -1 },
	{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false, -1 },
	{ "GET / HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n", true, false, -1 },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", true, false, -1 },
	{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\t\r\n\r\n", true, true, -1 },
	{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED \r\n\r\n", true, true, -1 },
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007 \r\n\r\n", true, false, 7 },
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n", true, false,
	  INT64_MAX },
};

static void test_h1_request_framing_and_keep_alive_table(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };

	for (size_t i = 0; i < ARRAY_LEN(request_cases); i++) {
		const char *head = request_cases[i].head;

		if (parse_req(head, &req) != SG_H1_DONE)
			fail_msg("%s: not parsed", head);
		if (req.keep_alive != request_cases[i].keep_alive ||
		    req.chunked != request_cases[i].chunked ||
		    req.content_length != request_cases[i].content_length)
			fail_msg("%s: keep_alive %d, chunked %d, content_length %lld", head,
				 req.keep_alive, req.chunked, (long long)req.content_length);
		assert_int_equal(req.head_len, strlen(head));
	}
}

static void test_h1_request_upgrade_and_continue(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	assert_int_equal(
		parse_req("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
			  "Upgrade: websocket\r\n\r\n",
			  &req),
		SG_H1_DONE);
	assert_true(sg_h1_wants_upgrade(&req));
	assert_int_equal(
		parse_req("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", &req),
		SG_H1_DONE);
	assert_false(sg_h1_wants_upgrade(&req));
	assert_int_equal(
		parse_req("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n", &req),
		SG_H1_DONE);
	assert_false(sg_h1_wants_upgrade(&req));
	assert_int_equal(parse_req("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
				   "Content-Length: 3\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	assert_true(sg_h1_expects_continue(&req));
	assert_int_equal(parse_req("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", &req),
			 SG_H1_DONE);
	assert_false(sg_h1_expects_continue(&req));
	assert_int_equal(parse_req("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n"
				   "Content-Length: 3\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	assert_false(sg_h1_expects_continue(&req));
}

/* ---- response heads ------------------------------------------------------- */

static const char sample_resp[] = "HTTP/1.1 404 Not Found Here\r\n"
				  "Content-Type: text/plain\r\n"
				  "Content-Length: 9\r\n"
				  "\r\n";

static void test_h1_response_parses_head(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char buf[256];

	snprintf(buf, sizeof(buf), "%snot found", sample_resp);
	assert_int_equal(parse_resp(buf, &resp), SG_H1_DONE);
	assert_int_equal(resp.status, 404);
	expect_span(resp.reason, "Not Found Here");
	assert_int_equal(resp.minor, 1);
	assert_int_equal(resp.nheaders, 2);
	expect_span(*sg_h1_resp_header(&resp, "content-type"), "text/plain");
	assert_int_equal(resp.content_length, 9);
	assert_false(resp.chunked);
	assert_true(resp.keep_alive);
	assert_int_equal(resp.head_len, strlen(sample_resp));

	assert_int_equal(parse_resp("HTTP/1.1 204\r\n\r\n", &resp), SG_H1_DONE);
	assert_int_equal(resp.status, 204);
	assert_int_equal(resp.reason.len, 0);
	assert_int_equal(parse_resp("HTTP/1.0 200 OK\r\n\r\nbody until close", &resp), SG_H1_DONE);
	assert_int_equal(resp.minor, 0);
	assert_false(resp.keep_alive);
}

static void test_h1_response_partial_at_every_split(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	size_t len = strlen(sample_resp);

	for (size_t i = 0; i < len; i++)
		if (sg_h1_parse_response(sample_resp, i, 100, &resp) != SG_H1_PARTIAL)
			fail_msg("%zu of %zu bytes: not PARTIAL", i, len);
	assert_int_equal(sg_h1_parse_response(sample_resp, len, 100, &resp), SG_H1_DONE);
	assert_int_equal(resp.head_len, len);
	/* A backend that answers with anything but HTTP/1.x is refused at
	 * once, not waited for. */
	assert_int_equal(sg_h1_parse_response("<html>", 6, 100, &resp), SG_H1_INVALID);
	assert_int_equal(sg_h1_parse_response("HTTP/1.2", 8, 100, &resp), SG_H1_INVALID);
	assert_int_equal(sg_h1_parse_response("\r\nHTTP/1.", 9, 100, &resp), SG_H1_PARTIAL);
}

static void test_h1_response_cl_with_te_is_chunked_and_closes(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	assert_true(resp.chunked);
	assert_false(resp.keep_alive);
	assert_int_equal(resp.content_length, -1);
	assert_int_equal(sg_h1_response_body(&resp, false), SG_H1_BODY_CHUNKED);

	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
				    "Content-Length: 5\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	assert_false(resp.chunked);
	assert_false(resp.keep_alive);
	assert_int_equal(sg_h1_response_body(&resp, false), SG_H1_BODY_CLOSE);

	assert_int_equal(parse_resp("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
				    "Connection: keep-alive\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	assert_true(resp.chunked);
	assert_false(resp.keep_alive);
}

static const struct vector bad_responses[] = {
	{ "status 99", "HTTP/1.1 099 Odd\r\n\r\n" },
	{ "status 600", "HTTP/1.1 600 Odd\r\n\r\n" },
	{ "two-digit status", "HTTP/1.1 20 OK\r\n\r\n" },
	{ "differing CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n" },
	{ "obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n" },
	{ "bare LF", "HTTP/1.1 200 OK\nX: a\r\n\r\n" },
	{ "bare LF last line", "HTTP/1.1 200 OK\r\nX: a\r\n\n" },
	WITH_NUL("NUL in value", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"),
	{ "HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n" },
	{ "not HTTP", "ICY 200 OK\r\n\r\n" },
	/* found by tests/fuzz/fuzz_h1_response (reduced) */
	{ "empty name", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n:a 4g\"x-Length: 10\r\n\r\n" },
	/* a cache behind the gateway may take "Content-Length : 5" as framing */
	{ "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n" },
	{ "space in name", "HTTP/1.1 200 OK\r\nX A: b\r\n\r\n" },
	/* RFC 9112 §4: three digits (llhttp took 00200 and 2000 as numbers) */
	{ "status with leading zeros", "HTTP/1.1 00200 OK\r\n\r\n" },
	{ "four-digit status", "HTTP/1.1 2000 OK\r\n\r\n" },
	{ "status then a letter", "HTTP/1.1 200x OK\r\n\r\n" },
	{ "two spaces before status", "HTTP/1.1  200 OK\r\n\r\n" },
	{ "HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n" },
	/* RFC 9112 §6.1: chunked at most once, in one field or over two */
	{ "chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, Chunked\r\n\r\n" },
	{ "chunked in two fields", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
				   "Transfer-Encoding: gzip, chunked\r\n\r\n" },
	{ "lowercase version", "http/1.1 200 OK\r\n\r\n" },
	{ "control in value", "HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n" },
	{ "DEL in value", "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n" },
	{ "bare CR", "HTTP/1.1 200 OK\rX: 1\r\n\r\n" },
	{ "no colon", "HTTP/1.1 200 OK\r\nX\r\n\r\n" },
	{ "empty CL", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n" },
	{ "CL list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n" },
	{ "CL sign", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n" },
	{ "two equal CLs", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n" },
	{ "CL past INT64_MAX", "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n" },
};

/* What a response head leaves of the connection: reused only when its body
 * is delimited and Connection allows it (the cases llhttp read before the
 * gateway read response heads itself, and two it missed). */
static const struct {
	const char *head;
	bool keep_alive;
	int64_t content_length;
} keep_alive_cases[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5 \r\n\r\n", true, 5 },
	{ "HTTP/1.1 200 OK\r\nContent-Length:\t05\r\n\r\n", true, 5 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5 \t\r\n\r\n", true, 5 }, /* OWS: RFC 9110 */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", true, INT64_MAX },
	{ "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, 0 },
	{ "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", false,
	  0 },
	{ "HTTP/1.1 200 OK\r\nConnection: CLOSE \r\nContent-Length: 0\r\n\r\n", false, 0 },
	{ "HTTP/1.1 200 OK\r\nConnection: close\t\r\nContent-Length: 0\r\n\r\n", false, 0 },
	{ "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", true, 0 },
	{ "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n", false, 0 },
	{ "HTTP/1.0 200 OK\r\nConnection: foo,Keep-Alive\r\nContent-Length: 0\r\n\r\n", true, 0 },
	{ "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n", true, -1 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", false,
	  -1 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", false, -1 },
	{ "HTTP/1.1 304 Not Modified\r\n\r\n", true, -1 },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", true, -1 },
	{ "HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", false, -1 },
	{ "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", true, 0 },
};

static void test_h1_response_keep_alive_table(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };

	for (size_t i = 0; i < ARRAY_LEN(keep_alive_cases); i++) {
		const char *head = keep_alive_cases[i].head;

		if (parse_resp(head, &resp) != SG_H1_DONE)
			fail_msg("%s: not parsed", head);
		if (resp.keep_alive != keep_alive_cases[i].keep_alive ||
		    resp.content_length != keep_alive_cases[i].content_length)
			fail_msg("%s: keep_alive %d, content_length %lld", head, resp.keep_alive,
				 (long long)resp.content_length);
		assert_int_equal(resp.head_len, strlen(head));
	}
}

static void test_h1_response_rejects_malformed(void **unused)
{
	const char two[] = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	for (size_t i = 0; i < ARRAY_LEN(bad_responses); i++) {
		const struct vector *v = &bad_responses[i];
		enum sg_h1_result rc =
			sg_h1_parse_response(v->head, vector_len(v), SG_H1_MAX_HEADERS, &resp);

		if (rc != SG_H1_INVALID)
			fail_msg("%s: got %d, want SG_H1_INVALID", v->name, rc);
	}
	assert_int_equal(sg_h1_parse_response(two, strlen(two), 1, &resp), SG_H1_TOO_LARGE);
}

struct framing_case {
	const char *head;
	bool head_request;
	enum sg_h1_body want;
};

static const struct framing_case framing[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, SG_H1_BODY_NONE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, SG_H1_BODY_NONE },
	{ "HTTP/1.1 200 OK\r\n\r\n", true, SG_H1_BODY_NONE },
	{ "HTTP/1.1 100 Continue\r\n\r\n", false, SG_H1_BODY_NONE },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", false,
	  SG_H1_BODY_NONE },
	{ "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false, SG_H1_BODY_NONE },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, SG_H1_BODY_NONE },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", false, SG_H1_BODY_LENGTH },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, SG_H1_BODY_NONE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, SG_H1_BODY_CHUNKED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false,
	  SG_H1_BODY_CHUNKED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, SG_H1_BODY_CLOSE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, SG_H1_BODY_CLOSE },
	/* Whitespace around the value is not part of it (RFC 9110 §5.5):
	 * the writers drop it, so the client reads chunks here too (found by
	 * fuzz_h1_response). */
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n", false, SG_H1_BODY_CHUNKED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,chunked \r\n\r\n", false,
	  SG_H1_BODY_CHUNKED },
	{ "HTTP/1.1 200 OK\r\n\r\n", false, SG_H1_BODY_CLOSE },
	{ "HTTP/1.0 200 OK\r\n\r\n", false, SG_H1_BODY_CLOSE },
};

static void test_h1_response_body_framing_table(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	for (size_t i = 0; i < ARRAY_LEN(framing); i++) {
		const struct framing_case *c = &framing[i];
		enum sg_h1_body got;

		assert_int_equal(parse_resp(c->head, &resp), SG_H1_DONE);
		got = sg_h1_response_body(&resp, c->head_request);
		if (got != c->want)
			fail_msg("%s(HEAD %d): got %d, want %d", c->head, c->head_request, got,
				 c->want);
	}
	/* Without framing headers the body may run to EOF: no reuse. */
	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\n\r\n", &resp), SG_H1_DONE);
	assert_false(resp.keep_alive);
}

static void test_h1_response_body_for_request(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h1_header connect_slots[1], head_slots[1];
	struct sg_h1_req connect = { .headers = connect_slots, .headers_cap = 1 };
	struct sg_h1_req head = { .headers = head_slots, .headers_cap = 1 };

	assert_int_equal(parse_req("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", &connect),
			 SG_H1_DONE);
	assert_int_equal(parse_req("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &head), SG_H1_DONE);
	assert_int_equal(parse_resp("HTTP/1.1 200 Connection Established\r\n\r\n", &resp),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_response_body_for(&resp, &connect), SG_H1_BODY_CLOSE);
	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", &resp),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_response_body_for(&resp, &connect), SG_H1_BODY_CLOSE);
	assert_int_equal(sg_h1_response_body_for(&resp, &head), SG_H1_BODY_NONE);
	assert_int_equal(parse_resp("HTTP/1.1 407 Auth\r\nContent-Length: 5\r\n\r\n", &resp),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_response_body_for(&resp, &connect), SG_H1_BODY_LENGTH);
}

/* ---- chunked bodies ------------------------------------------------------- */

/* Body then the start of the next message. */
static const char chunked_body[] = "5\r\nhello\r\n"
				   "1A;name=value;q=\"quoted; \\\"x\"\r\n"
				   "abcdefghijklmnopqrstuvwxyz\r\n"
				   "000a  ;ext\r\n"
				   "0123456789\r\n"
				   "0\r\n"
				   "Checksum: abc\r\n"
				   "X-Trailer:\tvalue with spaces \r\n"
				   "\r\n";
static const char next_message[] = "GET /next HTTP/1.1\r\n";

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64: deterministic splits, so a failure reproduces. */
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Feeds buf in pieces whose sizes come from `piece`; returns the body length
 * found, or -1 on error. When use_skip, chunk data is moved with
 * sg_h1_chunked_skip() as the splice engine would. */
static ssize_t scan_in_pieces(const char *buf, size_t len, size_t (*piece)(void), bool use_skip)
{
	struct sg_h1_chunked st = { 0 };
	size_t off = 0;
	bool done = false;

	while (off < len && !done) {
		size_t n = piece();
		uint64_t left = sg_h1_chunked_data_left(&st);
		ssize_t got;

		if (n > len - off)
			n = len - off;
		if (use_skip && left) {
			n = n < left ? n : (size_t)left;
			sg_h1_chunked_skip(&st, n);
			off += n;
			continue;
		}
		got = sg_h1_chunked_scan(&st, buf + off, n, &done);
		if (got < 0)
			return -1;
		assert_true(got == (ssize_t)n || done);
		off += (size_t)got;
	}
	return done ? (ssize_t)off : -2;
}

static size_t one(void)
{
	return 1;
}

static size_t random_piece(void)
{
	return (size_t)(rng() % 17);
}

static size_t everything(void)
{
	return SIZE_MAX;
}

static void test_h1_chunked_same_boundary_for_any_split(void **unused)
{
	char buf[sizeof(chunked_body) + sizeof(next_message)];
	size_t body = strlen(chunked_body);
	size_t len = (size_t)snprintf(buf, sizeof(buf), "%s%s", chunked_body, next_message);

	assert_int_equal(scan_in_pieces(buf, len, everything, false), body);
	assert_int_equal(scan_in_pieces(buf, len, one, false), body);
	assert_int_equal(scan_in_pieces(buf, len, one, true), body);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(scan_in_pieces(buf, len, random_piece, false), body);
		assert_int_equal(scan_in_pieces(buf, len, random_piece, true), body);
	}
}

static void test_h1_chunked_stops_at_end_of_body(void **unused)
{
	struct sg_h1_chunked st = { 0 };
	const char body[] = "3\r\nabc\r\n0\r\n\r\nNEXT";
	bool done = false;

	assert_int_equal(sg_h1_chunked_scan(&st, body, strlen(body), &done), strlen(body) - 4);
	assert_true(done);
	/* Once done, nothing more belongs to the body. */
	assert_int_equal(sg_h1_chunked_scan(&st, "NEXT", 4, &done), 0);
	assert_true(done);
}

static void test_h1_chunked_trailers(void **unused)
{
	const char body[] = "0\r\nA: 1\r\nB-c: two words\r\n\r\n";
	struct sg_h1_chunked st = { 0 };
	bool done = false;

	assert_int_equal(sg_h1_chunked_scan(&st, body, strlen(body) - 1, &done), strlen(body) - 1);
	assert_false(done);
	assert_int_equal(sg_h1_chunked_scan(&st, "\n", 1, &done), 1);
	assert_true(done);
}

static const struct vector bad_chunks[] = {
	{ "no size", "\r\nabc\r\n0\r\n\r\n" },
	{ "bad hex", "g\r\nabc\r\n0\r\n\r\n" },
	{ "0x prefix", "0x3\r\nabc\r\n0\r\n\r\n" },
	{ "negative", "-3\r\nabc\r\n0\r\n\r\n" },
	{ "size over 2^62", "4000000000000001\r\n" },
	{ "size overflowing 64 bits", "100000000000000000\r\n" },
	{ "bare LF after size", "3\nabc\r\n0\r\n\r\n" },
	{ "CR without LF after size", "3\rabc\r\n0\r\n\r\n" },
	{ "whitespace then CRLF", "3 \r\nabc\r\n0\r\n\r\n" },
	{ "missing CRLF after data", "3\r\nabcd\r\n0\r\n\r\n" },
	{ "LF only after data", "3\r\nabc\n0\r\n\r\n" },
	{ "bare LF in extension", "3;a\nb\r\nabc\r\n0\r\n\r\n" },
	WITH_NUL("NUL in extension", "3;a\0\r\nabc\r\n0\r\n\r\n"),
	{ "bare LF ends trailers", "0\r\nA: 1\r\n\n" },
	{ "bare LF in trailer", "0\r\nA: 1\nB: 2\r\n\r\n" },
	{ "obs-fold in trailers", "0\r\nA: 1\r\n 2\r\n\r\n" },
	{ "trailer without name", "0\r\n: 1\r\n\r\n" },
	{ "trailer without colon", "0\r\nA 1\r\n\r\n" },
	{ "final CR without LF", "0\r\n\rX" },
};

static void test_h1_chunked_rejects_malformed(void **unused)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_chunks); i++) {
		const struct vector *v = &bad_chunks[i];
		struct sg_h1_chunked st = { 0 };
		bool done = false;

		if (sg_h1_chunked_scan(&st, v->head, vector_len(v), &done) != -1)
			fail_msg("%s: accepted", v->name);
		/* The error sticks. */
		assert_int_equal(sg_h1_chunked_scan(&st, "0\r\n\r\n", 5, &done), -1);
	}
}

static void test_h1_chunked_bounds_extensions_and_trailers(void **unused)
{
	static char buf[80000];
	struct sg_h1_chunked st = { 0 };
	size_t n;
	bool done;

	/* 4 KiB of extension is fine; one byte more is not. */
	n = (size_t)snprintf(buf, sizeof(buf), "1;");
	memset(buf + n, 'e', 4095);
	n += 4095;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\nx\r\n0\r\n\r\n");
	assert_int_equal(sg_h1_chunked_scan(&st, buf, n, &done), n);
	assert_true(done);
	memset(&st, 0, sizeof(st));
	memmove(buf + 3, buf + 2, n - 2);
	buf[2] = 'e';
	assert_int_equal(sg_h1_chunked_scan(&st, buf, n + 1, &done), -1);

	/* Trailers: 64 KiB, counted from the last chunk line's end. */
	memset(&st, 0, sizeof(st));
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\nX: ");
	memset(buf + n, 'v', 65536 - 7);
	n += 65536 - 7;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n\r\n");
	assert_int_equal(sg_h1_chunked_scan(&st, buf, n, &done), n);
	assert_true(done);
	memset(&st, 0, sizeof(st));
	memmove(buf + 7, buf + 6, n - 6);
	buf[6] = 'v';
	assert_int_equal(sg_h1_chunked_scan(&st, buf, n + 1, &done), -1);

	/* The largest chunk allowed still scans. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(sg_h1_chunked_scan(&st, "4000000000000000\r\n", 18, &done), 18);
	assert_int_equal(sg_h1_chunked_data_left(&st), UINT64_C(1) << 62);
}

/* Decoding yields exactly the data bytes, whatever the pieces the body
 * comes in, stops at the end of the body and refuses bad framing. */
static void decode_in_pieces(const char *body, size_t piece, char *out, size_t *out_len,
			     size_t *consumed, bool *done)
{
	struct sg_h1_chunked st = { 0 };
	size_t len = strlen(body), i = 0;

	*out_len = 0;
	*done = false;
	while (i < len && !*done) {
		size_t n = len - i < piece ? len - i : piece, j = 0;

		while (j < n && !*done) {
			struct sg_h1_span d;
			ssize_t used = sg_h1_chunked_decode(&st, body + i + j, n - j, &d, done);

			assert_true(used > 0);
			memcpy(out + *out_len, d.p, d.len);
			*out_len += d.len;
			j += (size_t)used;
		}
		i += j;
	}
	*consumed = i;
}

static void test_h1_chunked_decode(void **state)
{
	static const char body[] = "5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
				   "0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n";
	char out[64], line[SG_H1_CHUNK_LINE];
	struct sg_h1_chunked st = { 0 };
	struct sg_h1_span d;
	size_t out_len, consumed;
	bool done;

	(void)state;
	for (size_t piece = 1; piece <= sizeof(body); piece++) {
		decode_in_pieces(body, piece, out, &out_len, &consumed, &done);
		assert_true(done);
		assert_int_equal(out_len, 31);
		assert_memory_equal(out, "helloabcdefghijklmnopqrstuvwxyz", 31);
		assert_int_equal(consumed, strlen(body) - strlen("GET / HTTP/1.1\r\n"));
	}
	assert_int_equal(sg_h1_chunked_decode(&st, "zz\r\n", 4, &d, &done), -1);
	assert_int_equal(sg_h1_chunk_size_line(26, line), 4);
	assert_memory_equal(line, "1a\r\n", 4);
	assert_int_equal(sg_h1_chunk_size_line(0, line), 3);
}

static void test_h1_chunked_data_left_and_skip(void **unused)
{
	struct sg_h1_chunked st = { 0 };
	bool done = false;

	assert_int_equal(sg_h1_chunked_data_left(&st), 0);
	assert_int_equal(sg_h1_chunked_scan(&st, "1f4\r", 4, &done), 4);
	assert_int_equal(sg_h1_chunked_data_left(&st), 0);
	assert_int_equal(sg_h1_chunked_scan(&st, "\nab", 3, &done), 3);
	assert_int_equal(sg_h1_chunked_data_left(&st), 498);
	sg_h1_chunked_skip(&st, 400);
	assert_int_equal(sg_h1_chunked_data_left(&st), 98);
	sg_h1_chunked_skip(&st, 0);
	sg_h1_chunked_skip(&st, 98);
	assert_int_equal(sg_h1_chunked_data_left(&st), 0);
	assert_int_equal(sg_h1_chunked_scan(&st, "\r\n0\r\n\r\n", 7, &done), 7);
	assert_true(done);
}

/* ---- head writers --------------------------------------------------------- */

static const char proxied_req[] = "POST /up?x=1 HTTP/1.1\r\n"
				  "host: Example.COM\r\n"
				  "Connection: keep-alive, X-Hop, upgrade\r\n"
				  "X-Hop: secret\r\n"
				  "Keep-Alive: timeout=5\r\n"
				  "Proxy-Connection: keep-alive\r\n"
				  "TE: trailers\r\n"
				  "Trailer: Checksum\r\n"
				  "Upgrade: websocket\r\n"
				  "X-Forwarded-For: 10.0.0.1\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "x-MiXeD-CaSe: Value\r\n"
				  "X-Forwarded-For: 10.0.0.2\r\n"
				  "\r\n";

static void test_h1_write_request_drops_hop_by_hop(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[1024];
	ssize_t n;

	assert_int_equal(parse_req(proxied_req, &req), SG_H1_DONE);
	n = sg_h1_write_request(&req, "192.0.2.7", 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "POST /up?x=1 HTTP/1.1\r\n"
		      "host: Example.COM\r\n"
		      "Trailer: Checksum\r\n"
		      "Transfer-Encoding: chunked\r\n"
		      "x-MiXeD-CaSe: Value\r\n"
		      "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\n"
		      "\r\n");
}

static void test_h1_write_request_adds_xff_and_attempt(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(
		parse_req("GET / HTTP/1.0\r\nAccept: */*\r\nx-retry-attempt: 7\r\n\r\n", &req),
		SG_H1_DONE);
	n = sg_h1_write_request(&req, "2001:db8::1", 2, NULL, out, sizeof(out));
	expect_output(out, n,
		      "GET / HTTP/1.1\r\n"
		      "Accept: */*\r\n"
		      "X-Forwarded-For: 2001:db8::1\r\n"
		      "x-retry-attempt: 2\r\n"
		      "\r\n");
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "GET / HTTP/1.1\r\n"
		      "Accept: */*\r\n"
		      "x-retry-attempt: 7\r\n"
		      "\r\n");
}

static void test_h1_write_request_connection_cannot_strip_framing(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(parse_req("POST / HTTP/1.1\r\nHost: h\r\n"
				   "Connection: Content-Length, host, x-forwarded-for\r\n"
				   "X-Forwarded-For: 6.6.6.6\r\nContent-Length: 2\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	n = sg_h1_write_request(&req, "192.0.2.7", 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "POST / HTTP/1.1\r\n"
		      "Host: h\r\n"
		      "Content-Length: 2\r\n"
		      "X-Forwarded-For: 192.0.2.7\r\n"
		      "\r\n");
}

static void test_h1_write_request_upgrade(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char ws[] = "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
			  "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n";
	char out[512];
	ssize_t n;

	assert_int_equal(parse_req(ws, &req), SG_H1_DONE);
	n = sg_h1_write_request(&req, "192.0.2.7", 0,
				"Connection: upgrade\r\nUpgrade: websocket\r\n", out, sizeof(out));
	expect_output(out, n,
		      "GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\n"
		      "X-Forwarded-For: 192.0.2.7\r\n"
		      "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
	n = sg_h1_write_request(&req, "192.0.2.7", 0, "Connection: upgrade\r\n", out, sizeof(out));
	expect_output(
		out, n,
		"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n"
		"X-Forwarded-For: 192.0.2.7\r\n"
		"Connection: upgrade\r\n\r\n");
	n = sg_h1_write_request(&req, "192.0.2.7", 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\n"
		      "X-Forwarded-For: 192.0.2.7\r\n\r\n");
}

static void test_h1_write_request_too_small(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[1024];
	ssize_t full;

	assert_int_equal(parse_req(proxied_req, &req), SG_H1_DONE);
	full = sg_h1_write_request(&req, "192.0.2.7", 3, "X-Extra: 1\r\n", out, sizeof(out));
	assert_true(full > 0);
	for (size_t cap = 0; cap < (size_t)full; cap++)
		if (sg_h1_write_request(&req, "192.0.2.7", 3, "X-Extra: 1\r\n", out, cap) != -1)
			fail_msg("cap %zu of %zd: fitted", cap, full);
	assert_int_equal(
		sg_h1_write_request(&req, "192.0.2.7", 3, "X-Extra: 1\r\n", out, (size_t)full),
		full);
	assert_int_equal(sg_h1_write_request(&req, "192.0.2.7", 3, NULL, NULL, 0), -1);
}

static void test_h1_write_response(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(
		parse_resp("HTTP/1.0 200 Fine Thanks\r\nServer: b\r\nConnection: keep-alive, "
			   "X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: 1\r\n"
			   "content-length: 3\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
			   &resp),
		SG_H1_DONE);
	n = sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 Fine Thanks\r\nServer: b\r\ncontent-length: 3\r\n"
		      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\ndate: DATE\r\n\r\n");
	n = sg_h1_write_response(&resp, true, NULL, out, sizeof(out));
	expect_output(
		out, n,
		"HTTP/1.1 200 Fine Thanks\r\nServer: b\r\ncontent-length: 3\r\n"
		"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\ndate: DATE\r\nconnection: close\r\n\r\n");
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(sg_h1_write_response(&resp, true, NULL, out, cap), -1);

	/* Both framing headers: Content-Length must not reach the client. */
	assert_int_equal(parse_resp("HTTP/1.1 502 \r\nContent-Length: 5\r\n"
				    "Transfer-Encoding: chunked\r\nTrailer: X\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response(&resp, true, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 502 \r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n"
		      "date: DATE\r\nconnection: close\r\n\r\n");

	assert_int_equal(parse_resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				    "Upgrade: websocket\r\nSec-WebSocket-Accept: a\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response(&resp, false, "Connection: upgrade\r\n", out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		      "Sec-WebSocket-Accept: a\r\nConnection: upgrade\r\n\r\n");

	/* No Content-Length in a 1xx or 204 and no Transfer-Encoding in
	 * those or a 304 (RFC 9110 8.6, RFC 9112 6.1); a 304 keeps its
	 * Content-Length; an interim head loses its hop-by-hop fields. */
	static const struct {
		const char *in, *out;
	} bodyless[] = {
		{ "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n",
		  "HTTP/1.1 204 No Content\r\nX-A: 1\r\ndate: DATE\r\n\r\n" },
		{ "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
		  "HTTP/1.1 204 No Content\r\nX-A: 1\r\ndate: DATE\r\n\r\n" },
		{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n",
		  "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"x\"\r\ndate: "
		  "DATE\r\n\r\n" },
		{ "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nETag: \"x\"\r\n\r\n",
		  "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\ndate: DATE\r\n\r\n" },
		{ "HTTP/1.1 103 Early Hints\r\nConnection: x-a\r\nX-A: s\r\nKeep-Alive: 5\r\n"
		  "Content-Length: 3\r\nLink: </s.css>\r\n\r\n",
		  "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" },
	};

	for (size_t i = 0; i < ARRAY_LEN(bodyless); i++) {
		assert_int_equal(parse_resp(bodyless[i].in, &resp), SG_H1_DONE);
		n = sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
		expect_output(out, n, bodyless[i].out);
	}
}

/* The names Connection lists are read once per head: across two Connection
 * headers, with empty elements and whitespace, and past the eight the
 * writer keeps (where it reads the headers again). */
static void test_h1_write_response_connection_lists(void **unused)
{
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[1024];
	ssize_t n;

	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nConnection: , X-A ,,\tx-b\r\n"
				    "X-A: 1\r\nX-B: 2\r\nX-AB: 3\r\nConnection: X-C\r\n"
				    "X-C: 4\r\nContent-Length: 0\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 OK\r\nX-AB: 3\r\nContent-Length: 0\r\ndate: DATE\r\n\r\n");

	assert_int_equal(
		parse_resp("HTTP/1.1 200 OK\r\nConnection: a1, a2, a3, a4, a5\r\n"
			   "Connection: a6, a7, a8, a9, X-Tenth\r\nA1: 1\r\n"
			   "X-Tenth: 10\r\nA9: 9\r\nX-Kept: k\r\nContent-Length: 0\r\n\r\n",
			   &resp),
		SG_H1_DONE);
	n = sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 OK\r\nX-Kept: k\r\nContent-Length: 0\r\ndate: DATE\r\n\r\n");
}

/* A drop predicate over a NULL-terminated list of names. */
static bool drops_listed(const void *arg, const char *name, size_t len)
{
	for (const char *const *n = arg; *n; n++)
		if (strlen(*n) == len && !strncasecmp(*n, name, len))
			return true;
	return false;
}

static void test_h1_write_request_edit(void **unused)
{
	static const char *const dropped[] = { "x-gone", "content-length", "x-forwarded-for",
					       NULL };
	static const struct sg_h1_header add[] = {
		{ { "X-Added", 7 }, { "a", 1 } },
		{ { "Transfer-Encoding", 17 }, { "gzip", 4 } }, /* framing: never added */
		{ { "Connection", 10 }, { "close", 5 } },	/* hop-by-hop: never added */
		{ { "X-Added", 7 }, { "b", 1 } },
	};
	struct sg_h1_edit edit = {
		.target = { "/new?q=1", 8 },
		.host = { "rewritten.example", 17 },
		.drops = drops_listed,
		.arg = dropped,
		.add = add,
		.nadd = 4,
	};
	static const struct sg_h1_header set_xff[] = { { { "X-Forwarded-For", 15 },
							 { "10.1.1.1", 8 } } };
	struct sg_h1_edit set = {
		.drops = drops_listed, .arg = dropped, .add = set_xff, .nadd = 1
	};
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(parse_req("POST /old?q=1 HTTP/1.1\r\nX-Gone: 1\r\nhost: h:81\r\n"
				   "X-FORWARDED-FOR: 6.6.6.6\r\nContent-Length: 2\r\n"
				   "x-gone: 2\r\nX-Kept: k\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	n = sg_h1_write_request_edit(&req, &edit, "192.0.2.7", 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "POST /new?q=1 HTTP/1.1\r\n"
		      "host: rewritten.example\r\n"
		      "Content-Length: 2\r\n"
		      "X-Kept: k\r\n"
		      "X-Forwarded-For: 192.0.2.7\r\n"
		      "X-Added: a\r\nX-Added: b\r\n\r\n");

	/* A set of X-Forwarded-For (received dropped, a line added) is the
	 * whole field: no client address before it. */
	assert_int_equal(
		parse_req("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n", &req),
		SG_H1_DONE);
	n = sg_h1_write_request_edit(&req, &set, "192.0.2.7", 0, NULL, out, sizeof(out));
	expect_output(out, n, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n");

	/* No Host came (HTTP/1.0): the edit's is added. */
	assert_int_equal(parse_req("GET / HTTP/1.0\r\n\r\n", &req), SG_H1_DONE);
	edit.nadd = 0;
	n = sg_h1_write_request_edit(&req, &edit, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "GET /new?q=1 HTTP/1.1\r\nHost: rewritten.example\r\n\r\n");
}

static void test_h1_write_response_edit_and_answer(void **unused)
{
	static const char *const dropped[] = { "server", "transfer-encoding", NULL };
	static const struct sg_h1_header add[] = {
		{ { "location", 8 }, { "https://example.org/x", 21 } },
		{ { "Content-Length", 14 }, { "9", 1 } }, /* framing: never added */
	};
	struct sg_h1_edit edit = { .drops = drops_listed, .arg = dropped, .add = add, .nadd = 2 };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nServer: b\r\nTransfer-Encoding: "
				    "chunked\r\nX-Kept: 1\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response_edit(&resp, &edit, true, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kept: 1\r\n"
		      "date: DATE\r\nconnection: close\r\nlocation: https://example.org/x\r\n\r\n");

	n = sg_h1_write_answer(301, &edit, NULL, 0, false, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 301 Moved Permanently\r\nlocation: https://example.org/x\r\n"
		      "content-length: 0\r\ndate: DATE\r\n\r\n");
	n = sg_h1_write_answer(200, NULL, "hello!", 6, true, out, sizeof(out));
	expect_output(
		out, n,
		"HTTP/1.1 200 OK\r\ncontent-length: 6\r\ndate: DATE\r\nconnection: close\r\n\r\n"
		"hello!");
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(sg_h1_write_answer(200, NULL, "hello!", 6, true, out, cap), -1);
	/* RFC 9110 §8.6: no Content-Length in a 204, nor a 304 of ours */
	n = sg_h1_write_answer(204, NULL, "", 0, false, out, sizeof(out));
	expect_output(out, n, "HTTP/1.1 204 No Content\r\ndate: DATE\r\n\r\n");
	n = sg_h1_write_answer(304, NULL, "", 0, false, out, sizeof(out));
	expect_output(out, n, "HTTP/1.1 304 Not Modified\r\ndate: DATE\r\n\r\n");
}

/* RFC 9110 §6.6.1: a final response gets the Date its origin did not
 * send; one it sent, or one a filter sets, is the only one. */
static void test_h1_write_response_date(void **unused)
{
	static const struct sg_h1_header set_date[] = {
		{ { "Date", 4 }, { "Mon, 07 Nov 1994 08:49:37 GMT", 29 } },
	};
	struct sg_h1_edit edit = { .add = set_date, .nadd = 1 };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				    "Content-Length: 0\r\n\r\n",
				    &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		      "Content-Length: 0\r\n\r\n");
	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &resp),
			 SG_H1_DONE);
	n = sg_h1_write_response_edit(&resp, &edit, false, NULL, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		      "Date: Mon, 07 Nov 1994 08:49:37 GMT\r\n\r\n");
	n = sg_h1_write_answer(302, &edit, NULL, 0, false, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 302 Found\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
		      "content-length: 0\r\n\r\n");
}

static void test_h1_write_simple(void **unused)
{
	char out[256];
	ssize_t n;

	n = sg_h1_write_simple(504, NULL, NULL, "request timeout", false, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 504 Gateway Timeout\r\ncontent-type: text/plain\r\n"
		      "content-length: 15\r\ndate: DATE\r\n\r\nrequest timeout");
	n = sg_h1_write_simple(400, NULL, NULL, NULL, true, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"
		      "content-length: 0\r\ndate: DATE\r\nconnection: close\r\n\r\n");
	n = sg_h1_write_simple(503, "Busy", NULL, "upstream call failed: connect: refused", true,
			       out, sizeof(out));
	expect_output(
		out, n,
		"HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\ncontent-length: 38\r\n"
		"date: DATE\r\nconnection: close\r\n\r\nupstream call failed: connect: refused");
	/* A route's response filters: their lines after the length; a
	 * content-type they set replaces the gateway's. */
	static const char *const drop_ctype[] = { "content-type", NULL };
	static const struct sg_h1_header adds[] = { { { "X-R", 3 }, { "r", 1 } },
						    { { "Content-Type", 12 }, { "a/b", 3 } } };
	struct sg_h1_edit edit = { .add = adds, .nadd = 1 };

	n = sg_h1_write_simple(503, NULL, &edit, "x", false, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n"
		      "content-length: 1\r\nX-R: r\r\ndate: DATE\r\n\r\nx");
	edit = (struct sg_h1_edit){
		.drops = drops_listed, .arg = drop_ctype, .add = adds, .nadd = 2
	};
	n = sg_h1_write_simple(503, NULL, &edit, "x", false, out, sizeof(out));
	expect_output(out, n,
		      "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 1\r\nX-R: r\r\n"
		      "Content-Type: a/b\r\ndate: DATE\r\n\r\nx");
	n = sg_h1_write_simple(503, "Busy", NULL, "upstream call failed: connect: refused", true,
			       out, sizeof(out));
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(sg_h1_write_simple(503, "Busy", NULL,
						    "upstream call failed: connect: refused", true,
						    out, cap),
				 -1);
}

/* RFC 9112 §3.2.2: the authority of an absolute-form target replaces Host,
 * and the backend gets the origin-form with that Host. */
static void test_h1_request_absolute_form_replaces_host(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(parse_req("GET HTTP://a.example:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n"
				   "X: y\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	expect_span(req.target, "/p?q=1");
	expect_span(*sg_h1_header(&req, "host"), "a.example:8080");
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "GET /p?q=1 HTTP/1.1\r\nHost: a.example:8080\r\nX: y\r\n\r\n");

	assert_int_equal(parse_req("GET https://[::1] HTTP/1.0\r\n\r\n", &req), SG_H1_DONE);
	expect_span(req.target, "/");
	expect_span(*sg_h1_header(&req, "host"), "[::1]");
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n");
}

static void test_h1_request_extension_method_and_asterisk(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[256];
	ssize_t n;

	assert_int_equal(parse_req("\r\nPURGEX /a HTTP/1.1\r\nHost: h\r\n\r\n", &req), SG_H1_DONE);
	expect_span(req.method, "PURGEX");
	expect_span(req.target, "/a");
	assert_int_equal(parse_req("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req), SG_H1_DONE);
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
	/* RFC 9112 §3.2.4: an absolute-form OPTIONS without a path is for
	 * the server as a whole: "*", not "/". */
	assert_int_equal(parse_req("OPTIONS http://a.example:81 HTTP/1.1\r\nHost: h\r\n\r\n", &req),
			 SG_H1_DONE);
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, "OPTIONS * HTTP/1.1\r\nHost: a.example:81\r\n\r\n");
	assert_int_equal(parse_req("OPTIONS http://a.example/ HTTP/1.1\r\nHost: h\r\n\r\n", &req),
			 SG_H1_DONE);
	expect_span(req.target, "/");
	assert_int_equal(
		parse_req("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 \r\n\r\n", &req),
		SG_H1_DONE);
	assert_int_equal(req.content_length, 5);
}

/* A request line is PARTIAL until its CRLF, and a bad byte in it is
 * refused before the line is whole. */
static void test_h1_request_line_in_pieces(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char *whole = "PURGEX /a HTTP/1.1\r\nHost: h\r\n\r\n";

	for (size_t i = 0; i < strlen(whole); i++)
		if (sg_h1_parse_request(whole, i, SG_H1_MAX_HEADERS, &req) != SG_H1_PARTIAL)
			fail_msg("prefix of %zu bytes: not PARTIAL", i);
	assert_int_equal(sg_h1_parse_request("GET /\t", 6, SG_H1_MAX_HEADERS, &req), SG_H1_INVALID);
	assert_int_equal(sg_h1_parse_request("GET / HTTP/2", 12, SG_H1_MAX_HEADERS, &req),
			 SG_H1_INVALID);
}

/* nginx's underscores_in_headers off, for the names that matter: a
 * backend folding '_' into '-' must not see framing or hop-by-hop fields. */
static void test_h1_write_request_drops_underscore_aliases(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[512];
	ssize_t n;

	assert_int_equal(
		parse_req(
			"POST / HTTP/1.1\r\nHost: h\r\nContent_Length: 40\r\n"
			"Transfer_Encoding: chunked\r\nkeep_alive: 1\r\nProxy_Connection: x\r\n"
			"Up_grade: x\r\nUpgrade_: y\r\nUPGRADE: websocket\r\n"
			"HTTP2-Settings: AAMAAABkAAQAAP__\r\nX_Ok: 1\r\nContent-Length: 0\r\n\r\n",
			&req),
		SG_H1_DONE);
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n,
		      "POST / HTTP/1.1\r\nHost: h\r\nUp_grade: x\r\nUpgrade_: y\r\nX_Ok: 1\r\n"
		      "Content-Length: 0\r\n\r\n");
}

/* Names as long as the gateway's own (hop-by-hop, framing, Upgrade) but
 * not them, beside "TE" and "Keep-ALIVE" in capitals: only those two go. */
static const char same_lengths[] = "Tx: 1\r\nHosx: 2\r\nUpgradx: 3\r\nConnectiox: 4\r\n"
				   "Keep-Alivx: 5\r\nContent-Lengtx: 6\r\nHttp2-Settingx: 7\r\n"
				   "Proxy-Connectiox: 8\r\nTransfer-Encodinx: 9\r\n\r\n";

static void test_h1_write_request_keeps_names_as_long_as_its_own(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char in[512], want[512], out[512];
	ssize_t n;

	snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nKeep-ALIVE: 1\r\n%s",
		 same_lengths);
	snprintf(want, sizeof(want), "GET / HTTP/1.1\r\nHost: h\r\n%s", same_lengths);
	assert_int_equal(parse_req(in, &req), SG_H1_DONE);
	n = sg_h1_write_request(&req, NULL, 0, NULL, out, sizeof(out));
	expect_output(out, n, want);
}

/* h2c is the gateway's to take: never offered to a backend. */
static void test_h1_upgrade_offer_drops_h2c(void **unused)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char out[256], small[20];
	ssize_t n;

	assert_int_equal(parse_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, "
				   "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAA\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_upgrade_offer(&req, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	n = sg_h1_write_request(&req, NULL, 0, out, out + 64, sizeof(out) - 64);
	expect_output(out + 64, n, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");

	assert_int_equal(parse_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n"
				   "Upgrade: H2C, websocket ,foo/2\r\n\r\n",
				   &req),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_upgrade_offer(&req, out, sizeof(out)),
			 strlen("connection: upgrade\r\nupgrade: websocket, foo/2\r\n"));
	assert_string_equal(out, "connection: upgrade\r\nupgrade: websocket, foo/2\r\n");
	assert_int_equal(sg_h1_upgrade_offer(&req, small, sizeof(small)), 0);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", &req),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_upgrade_offer(&req, out, sizeof(out)), 0);
}

/* List fields (RFC 9110 §5.6.1): elements split at commas, whitespace
 * around each ignored, empty ones skipped, names compared without case;
 * a token is never found inside another element. */
static void test_h1_list_has_elements_only(void **unused)
{
	struct sg_h1_span up = { "h2c", 3 }, close = { "close", 5 };
	const struct {
		const char *list;
		bool h2c;
	} cases[] = {
		{ "h2c", true },	 { "websocket, H2C", true }, { " ,, \th2c\t ,", true },
		{ "h2c2, xh2c", false }, { "h2 c", false },	     { "", false },
		{ ",,", false },	 { "h2c;q=1", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_h1_span list = { cases[i].list, strlen(cases[i].list) };

		if (sg_h1_list_has(list, up) != cases[i].h2c)
			fail_msg("\"%s\": h2c %s", cases[i].list,
				 cases[i].h2c ? "not found" : "found");
		assert_false(sg_h1_list_has(list, close));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1_request_parses_head),
		cmocka_unit_test(test_h1_request_cookies_joined),
		cmocka_unit_test(test_h1_request_content_length_ows),
		cmocka_unit_test(test_h1_request_partial_at_every_split),
		cmocka_unit_test(test_h1_request_pipelined_stops_at_first),
		cmocka_unit_test(test_h1_request_head_len_counts_leading_crlf),
		cmocka_unit_test(test_h1_request_too_many_headers),
		cmocka_unit_test(test_h1_request_stops_at_headers_cap),
		cmocka_unit_test(test_h1_without_slots),
		cmocka_unit_test(test_h1_request_rejects_smuggling_vectors),
		cmocka_unit_test(test_h1_request_accepts_valid_edges),
		cmocka_unit_test(test_h1_request_body_framing),
		cmocka_unit_test(test_h1_request_keep_alive),
		cmocka_unit_test(test_h1_request_framing_and_keep_alive_table),
		cmocka_unit_test(test_h1_request_upgrade_and_continue),
		cmocka_unit_test(test_h1_response_parses_head),
		cmocka_unit_test(test_h1_response_partial_at_every_split),
		cmocka_unit_test(test_h1_response_cl_with_te_is_chunked_and_closes),
		cmocka_unit_test(test_h1_response_rejects_malformed),
		cmocka_unit_test(test_h1_response_keep_alive_table),
		cmocka_unit_test(test_h1_response_body_framing_table),
		cmocka_unit_test(test_h1_response_body_for_request),
		cmocka_unit_test(test_h1_chunked_same_boundary_for_any_split),
		cmocka_unit_test(test_h1_chunked_stops_at_end_of_body),
		cmocka_unit_test(test_h1_chunked_trailers),
		cmocka_unit_test(test_h1_chunked_rejects_malformed),
		cmocka_unit_test(test_h1_chunked_bounds_extensions_and_trailers),
		cmocka_unit_test(test_h1_chunked_data_left_and_skip),
		cmocka_unit_test(test_h1_chunked_decode),
		cmocka_unit_test(test_h1_line_ends_at_every_offset),
		cmocka_unit_test(test_h1_write_request_drops_hop_by_hop),
		cmocka_unit_test(test_h1_write_request_adds_xff_and_attempt),
		cmocka_unit_test(test_h1_write_request_connection_cannot_strip_framing),
		cmocka_unit_test(test_h1_write_request_upgrade),
		cmocka_unit_test(test_h1_write_request_too_small),
		cmocka_unit_test(test_h1_write_response),
		cmocka_unit_test(test_h1_write_response_connection_lists),
		cmocka_unit_test(test_h1_write_response_date),
		cmocka_unit_test(test_h1_write_simple),
		cmocka_unit_test(test_h1_write_request_edit),
		cmocka_unit_test(test_h1_write_response_edit_and_answer),
		cmocka_unit_test(test_h1_request_absolute_form_replaces_host),
		cmocka_unit_test(test_h1_request_extension_method_and_asterisk),
		cmocka_unit_test(test_h1_request_line_in_pieces),
		cmocka_unit_test(test_h1_write_request_drops_underscore_aliases),
		cmocka_unit_test(test_h1_write_request_keeps_names_as_long_as_its_own),
		cmocka_unit_test(test_h1_upgrade_offer_drops_h2c),
		cmocka_unit_test(test_h1_list_has_elements_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
