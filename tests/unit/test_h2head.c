/* Unit tests of user/codec/h2head.c: HTTP/2 without a session (SETTINGS
 * from a policy, heads both ways, the preface, the h2c upgrade check,
 * base64url), moved from test_h2.c with the module. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config/fields.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "user/base/pages.h"
#include "user/base/slab.h"
#include "tests/unit/httpdate.h"

#include <nghttp2/nghttp2.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Header slots for the heads under test: one request and one response at a
 * time, with room for as many headers as the codec ever takes. */
static struct sg_h1_header req_slots[SG_H1_MAX_HEADERS], resp_slots[SG_H1_MAX_HEADERS];

static void expect_span(struct sg_h1_span s, const char *want)
{
	if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
		fail_msg("span \"%.*s\", want \"%s\"", (int)s.len, s.p, want);
}

static struct sg_h2_field field(const char *name, const char *value)
{
	return (struct sg_h2_field){ name, strlen(name), value, strlen(value) };
}

static uint32_t setting(const struct sg_h2_settings *s, uint16_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return s->v[i].value;
	return UINT32_MAX; /* not sent */
}

/* ---- SETTINGS -------------------------------------------------------------- */

static void test_h2_settings_defaults_send_only_max_streams(void **unused)
{
	struct sg_frontend_http h;
	struct sg_h2_settings s;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(setting(&s, SG_H2_SET_MAX_CONCURRENT_STREAMS), SG_H2_MAX_STREAMS);
	assert_int_equal(setting(&s, SG_H2_SET_INITIAL_WINDOW_SIZE), UINT32_MAX);
	assert_int_equal(setting(&s, SG_H2_SET_MAX_FRAME_SIZE), UINT32_MAX);
	assert_int_equal(s.connection_window, 0);
}

static void test_h2_settings_from_policy(void **unused)
{
	struct sg_frontend_http h;
	struct sg_h2_settings s;

	sg_frontend_http_defaults(&h);
	h.http2_window_size = 1048576;
	h.http2_connection_window_size = 4194304;
	h.http2_frame_size = 32768;
	sg_h2head_settings_from_policy(&h, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(setting(&s, SG_H2_SET_INITIAL_WINDOW_SIZE), 1048576);
	assert_int_equal(setting(&s, SG_H2_SET_MAX_FRAME_SIZE), 32768);
	assert_int_equal(s.connection_window, 4194304);
}

static void test_h2_settings_clamped_to_protocol_limits(void **unused)
{
	struct sg_frontend_http h;
	struct sg_h2_settings s;

	sg_frontend_http_defaults(&h);
	h.http2_window_size = (int64_t)1 << 40;
	h.http2_connection_window_size = 1000; /* below the initial 65535 */
	h.http2_frame_size = 100;
	sg_h2head_settings_from_policy(&h, &s);
	assert_int_equal(setting(&s, SG_H2_SET_INITIAL_WINDOW_SIZE), 0x7fffffff);
	assert_int_equal(setting(&s, SG_H2_SET_MAX_FRAME_SIZE), 16384);
	assert_int_equal(s.connection_window, 65535);
	h.http2_frame_size = (int64_t)1 << 30;
	h.http2_connection_window_size = (int64_t)1 << 40;
	sg_h2head_settings_from_policy(&h, &s);
	assert_int_equal(setting(&s, SG_H2_SET_MAX_FRAME_SIZE), 16777215);
	assert_int_equal(s.connection_window, 0x7fffffff);
}

/* ---- requests ---------------------------------------------------------------- */

static void test_h2_request_head_to_http1(void **unused)
{
	struct sg_h2_field f[] = {
		field(":method", "POST"),
		field(":scheme", "http"),
		field(":authority", "a.example:8080"),
		field(":path", "/up?x=1"),
		field("cookie", "a=1"),
		field("content-length", "12"),
		field("cookie", ""), /* an empty crumb adds no "; " */
		field("cookie", "b=2"),
		field("x-forwarded-for", "10.0.0.1"),
		field("accept", "*/*"),
	};
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[64], out[512];
	ssize_t n;

	assert_int_equal(sg_h2head_request_head(f, ARRAY_LEN(f), store, sizeof(store), &req), 0);
	expect_span(req.method, "POST");
	expect_span(req.target, "/up?x=1");
	assert_int_equal(req.content_length, 12);
	assert_true(req.keep_alive);
	expect_span(*sg_h1_header(&req, "host"), "a.example:8080");
	expect_span(*sg_h1_header(&req, "cookie"), "a=1; b=2");
	/* What an HTTP/1.1 backend receives for it, on a second attempt. */
	n = sg_h1_write_request(&req, "127.0.0.1", 1, "transfer-encoding: chunked\r\n", out,
				sizeof(out));
	assert_true(n > 0);
	assert_string_equal((out[n] = '\0', out), "POST /up?x=1 HTTP/1.1\r\n"
						  "host: a.example:8080\r\n"
						  "cookie: a=1; b=2\r\n"
						  "content-length: 12\r\n"
						  "accept: */*\r\n"
						  "X-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n"
						  "x-retry-attempt: 1\r\n"
						  "transfer-encoding: chunked\r\n"
						  "\r\n");
}

static void test_h2_request_head_host_without_authority(void **unused)
{
	struct sg_h2_field with_host[] = { field(":method", "GET"), field(":path", "/"),
					   field("host", "b.example") };
	struct sg_h2_field both[] = { field(":method", "GET"), field(":path", "/"),
				      field(":authority", "a.example"),
				      field("host", "b.example") };
	struct sg_h2_field none[] = { field(":method", "GET"), field(":path", "/") };
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	assert_int_equal(sg_h2head_request_head(with_host, 3, store, sizeof(store), &req), 0);
	expect_span(*sg_h1_header(&req, "host"), "b.example");
	assert_int_equal(req.nheaders, 1);
	/* RFC 9113 §8.3.1: a Host that names another entity than
	 * :authority makes the request malformed (an intermediary must not
	 * forward it): 400. */
	assert_int_equal(sg_h2head_request_head(both, 4, store, sizeof(store), &req), -EINVAL);
	assert_int_equal(sg_h2head_request_head(none, 2, store, sizeof(store), &req), 0);
	assert_null(sg_h1_header(&req, "host"));
	assert_int_equal(req.content_length, -1);
}

/* Host and :authority compared after scheme-based normalization (RFC 3986
 * §6.2.3, as RFC 9113 §8.3.1 asks of a proxy): the host's case, the
 * scheme's default port and an empty port do not make them differ. The
 * backend gets one Host, :authority's. */
static void test_h2_request_head_host_agreeing_with_authority(void **unused)
{
	static const char *const same[][3] = {
		{ "http", "a.example", "a.example" },
		{ "http", "A.Example", "a.example" },
		{ "http", "a.example:80", "a.example" },
		{ "https", "a.example", "a.example:443" },
		{ "http", "a.example:", "a.example:80" },
		{ "https", "[::1]:443", "[::1]" },
		{ "http", "a.example:8080", "A.EXAMPLE:8080" },
	};
	static const char *const other[][3] = {
		{ "http", "a.example", "b.example" },
		{ "http", "a.example:8080", "a.example" },
		{ "https", "a.example:80", "a.example" },
		{ "http", "a.example", "a.example:443" },
		{ "http", "a.example", "a.example.evil" },
		{ "http", "a.example", "" },
		{ "http", "a.example:8080", "a.example:08080" },
	};
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct sg_h2_field f[] = { field(":method", "GET"), field(":scheme", same[i][0]),
					   field(":path", "/"), field(":authority", same[i][1]),
					   field("host", same[i][2]) };

		if (sg_h2head_request_head(f, 5, store, sizeof(store), &req) != 0)
			fail_msg("%s: %s and %s refused", same[i][0], same[i][1], same[i][2]);
		expect_span(*sg_h1_header(&req, "host"), same[i][1]);
		assert_int_equal(req.nheaders, 1);
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		struct sg_h2_field f[] = { field(":method", "GET"), field(":scheme", other[i][0]),
					   field(":path", "/"), field(":authority", other[i][1]),
					   field("host", other[i][2]) };

		if (sg_h2head_request_head(f, 5, store, sizeof(store), &req) != -EINVAL)
			fail_msg("%s: %s and %s accepted", other[i][0], other[i][1], other[i][2]);
	}
	/* Without :authority, two Host fields must agree as well. */
	struct sg_h2_field two[] = { field(":method", "GET"), field(":path", "/"),
				     field("host", "a.example"), field("host", "b.example") };
	assert_int_equal(sg_h2head_request_head(two, 4, store, sizeof(store), &req), -EINVAL);
}

static void test_h2_request_head_rejects(void **unused)
{
	struct sg_h2_field no_path[] = { field(":method", "GET"), field(":authority", "a") };
	struct sg_h2_field no_method[] = { field(":path", "/") };
	struct sg_h2_field connect[] = { field(":method", "CONNECT"), field(":path", "a:443") };
	struct sg_h2_field *many = calloc(SG_H1_MAX_HEADERS + 3, sizeof(*many));
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	assert_int_equal(sg_h2head_request_head(no_path, 2, store, sizeof(store), &req), -EINVAL);
	assert_int_equal(sg_h2head_request_head(no_method, 1, store, sizeof(store), &req), -EINVAL);
	assert_int_equal(sg_h2head_request_head(connect, 2, store, sizeof(store), &req), -EINVAL);
	assert_non_null(many);
	many[0] = field(":method", "GET");
	many[1] = field(":path", "/");
	for (size_t i = 2; i < SG_H1_MAX_HEADERS + 2; i++)
		many[i] = field("x", "y");
	assert_int_equal(
		sg_h2head_request_head(many, SG_H1_MAX_HEADERS + 2, store, sizeof(store), &req), 0);
	many[SG_H1_MAX_HEADERS + 2] = field("x", "y");
	assert_int_equal(
		sg_h2head_request_head(many, SG_H1_MAX_HEADERS + 3, store, sizeof(store), &req),
		-E2BIG);
	free(many);
}

/* issue 15: :authority (or host) follows the HTTP/1 Host rules; :path "*"
 * is valid for OPTIONS only. */
static void test_h2_request_head_host_rules_and_asterisk(void **unused)
{
	static const char *const bad[] = { "x/admin", "x, y", "x y", "a@x", "x:8o" };
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct sg_h2_field a[] = { field(":method", "GET"), field(":path", "/"),
					   field(":authority", bad[i]) };
		struct sg_h2_field h[] = { field(":method", "GET"), field(":path", "/"),
					   field("host", bad[i]) };

		if (sg_h2head_request_head(a, 3, store, sizeof(store), &req) != -EINVAL ||
		    sg_h2head_request_head(h, 3, store, sizeof(store), &req) != -EINVAL)
			fail_msg("Host \"%s\" was taken", bad[i]);
	}
	struct sg_h2_field star[] = { field(":method", "OPTIONS"), field(":path", "*"),
				      field(":authority", "[::1]:80") };
	assert_int_equal(sg_h2head_request_head(star, 3, store, sizeof(store), &req), 0);
	expect_span(req.target, "*");
	star[0] = field(":method", "GET");
	assert_int_equal(sg_h2head_request_head(star, 3, store, sizeof(store), &req), -EINVAL);
}

/* A standard method in another case is refused as over HTTP/1: an HTTP/1
 * backend's answer to "head" was framed as HEAD's (no body), so the body
 * a backend sent for it was left on the connection for the next request. */
static void test_h2_request_head_refuses_method_case(void **unused)
{
	static const char *const bad[] = { "head", "Head", "get", "Connect", "options" };
	static const char *const good[] = { "HEAD", "GET", "PROPFIND", "purge" };
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct sg_h2_field f[] = { field(":method", bad[i]), field(":path", "/"),
					   field(":authority", "a") };

		if (sg_h2head_request_head(f, 3, store, sizeof(store), &req) != -EINVAL)
			fail_msg(":method \"%s\" was taken", bad[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct sg_h2_field f[] = { field(":method", good[i]), field(":path", "/"),
					   field(":authority", "a") };

		assert_int_equal(sg_h2head_request_head(f, 3, store, sizeof(store), &req), 0);
		expect_span(req.method, good[i]);
	}
}

/* Each of bad[0..n) as :path is refused (-EINVAL), and `good` is taken
 * as the request's target. */
static void paths_refused(const char *const *bad, size_t n, const char *good)
{
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	for (size_t i = 0; i < n; i++) {
		struct sg_h2_field f[] = { field(":method", "GET"), field(":path", bad[i]),
					   field(":authority", "a") };

		if (sg_h2head_request_head(f, 3, store, sizeof(store), &req) != -EINVAL)
			fail_msg(":path \"%s\" was taken", bad[i]);
	}
	struct sg_h2_field ok[] = { field(":method", "GET"), field(":path", good),
				    field(":authority", "a") };
	assert_int_equal(sg_h2head_request_head(ok, 3, store, sizeof(store), &req), 0);
	expect_span(req.target, good);
}

/* A fragment is in no request-target form (RFC 9110 §7.1): refused as over
 * HTTP/1, never routed on nor forwarded ("/admin#x" missed an exact route
 * /admin and went to another route's backend, which may read "/admin"). */
static void test_h2_request_head_refuses_fragment(void **unused)
{
	static const char *const bad[] = { "/admin#x", "/a?b#c", "/#" };

	paths_refused(bad, ARRAY_LEN(bad), "/a%23b");
}

/* A :path byte from 0x80 up is in no URI (UTF-8 is percent-encoded):
 * refused as over HTTP/1, as agentgateway's h2 crate refuses it. */
static void test_h2_request_head_refuses_non_ascii_path(void **unused)
{
	static const char *const bad[] = { "/caf\xc3\xa9", "/a\x80", "/a?q=\xff" };

	paths_refused(bad, ARRAY_LEN(bad), "/caf%C3%A9~!$'");
}

/* content-length is read as HTTP/1 reads it (leading zeros, up to 2^63-1),
 * and one the gateway cannot read is refused: before, a value of 19 digits
 * or more was -1, so the body went chunked to an HTTP/1 backend with the
 * client's content-length beside "transfer-encoding: chunked". */
static void test_h2_request_head_content_length(void **unused)
{
	struct sg_h2_field f[] = { field(":method", "POST"), field(":path", "/"),
				   field(":authority", "a"),
				   field("content-length", "0000000000000000005"),
				   field("content-length", "5") };
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	char store[16];

	assert_int_equal(sg_h2head_request_head(f, 4, store, sizeof(store), &req), 0);
	assert_int_equal(req.content_length, 5);
	/* two, as nghttp2 refuses them too */
	assert_int_equal(sg_h2head_request_head(f, 5, store, sizeof(store), &req), -EINVAL);
	f[3] = field("content-length", "9223372036854775808");
	assert_int_equal(sg_h2head_request_head(f, 4, store, sizeof(store), &req), -EINVAL);
	assert_int_equal(sg_h2head_content_length("9223372036854775807", 19), INT64_MAX);
	assert_int_equal(sg_h2head_content_length("99999999999999999999", 20), -1);
	assert_int_equal(sg_h2head_content_length("", 0), -1);
	assert_int_equal(sg_h2head_content_length("1 ", 2), -1);
}

/* The caller's slots bound the fields too. */
static void test_h2_request_head_stops_at_headers_cap(void **unused)
{
	struct sg_h2_field f[] = { field(":method", "GET"), field(":path", "/"),
				   field(":authority", "a"), field("x", "1") };
	struct sg_h1_header one[1];
	struct sg_h1_req req = { .headers = one, .headers_cap = 1 };
	char store[16];

	assert_int_equal(sg_h2head_request_head(f, 3, store, sizeof(store), &req), 0);
	assert_ptr_equal(req.headers, one);
	expect_span(req.headers[0].value, "a");
	assert_int_equal(sg_h2head_request_head(f, 4, store, sizeof(store), &req), -E2BIG);
	assert_ptr_equal(req.headers, one);
}

/* ---- responses --------------------------------------------------------------- */

static void expect_fields(const struct sg_h2_field *f, ssize_t n, const char *const *want,
			  size_t nwant)
{
	assert_int_equal(n, (ssize_t)nwant / 2);
	for (size_t i = 0; i < nwant / 2; i++) {
		if (f[i].name_len != strlen(want[2 * i]) ||
		    memcmp(f[i].name, want[2 * i], f[i].name_len) ||
		    f[i].value_len != strlen(want[2 * i + 1]) ||
		    memcmp(f[i].value, want[2 * i + 1], f[i].value_len))
			fail_msg("field %zu: \"%.*s: %.*s\", want \"%s: %s\"", i,
				 (int)f[i].name_len, f[i].name, (int)f[i].value_len, f[i].value,
				 want[2 * i], want[2 * i + 1]);
	}
}

/* What an HTTP/2 backend gets for an HTTP/1 client's request: the head the
 * gateway writes for an HTTP/1 backend, in fields. */
static void test_h2_request_from_written_head(void **unused)
{
	const char head[] = "POST /up?x=1 HTTP/1.1\r\n"
			    "Accept: */*\r\n"
			    "Host: a.example:8080\r\n"
			    "Connection: keep-alive, X-Hop\r\n"
			    "X-Hop: gone\r\n"
			    "Keep-Alive: timeout=5\r\n"
			    "TE: trailers\r\n"
			    "Transfer-Encoding: chunked\r\n"
			    "X-Forwarded-For: 10.0.0.1\r\n"
			    "Cookie: a=1\r\n"
			    "\r\n";
	static const char *const want[] = {
		":method",	   "POST",
		":scheme",	   "http",
		":authority",	   "a.example:8080",
		":path",	   "/up?x=1",
		"accept",	   "*/*",
		"cookie",	   "a=1",
		"x-forwarded-for", "10.0.0.1, 192.0.2.1",
		"x-retry-attempt", "2",
	};
	/* the head an HTTP/1 backend would get, its names lowercased */
	static const char written[] = "POST /up?x=1 HTTP/1.1\r\n"
				      "accept: */*\r\n"
				      "host: a.example:8080\r\n"
				      "transfer-encoding: chunked\r\n"
				      "cookie: a=1\r\n"
				      "x-forwarded-for: 10.0.0.1, 192.0.2.1\r\n"
				      "x-retry-attempt: 2\r\n"
				      "\r\n";
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h1_header slots[8];
	struct sg_h1_lines lines = { .v = slots, .cap = ARRAY_LEN(slots) };
	struct sg_h2_field f[16];
	char out[512];
	ssize_t len;

	assert_int_equal(sg_h1_parse_request(head, strlen(head), 100, &req), SG_H1_DONE);
	len = sg_h1_write_request_lines(&req, NULL, "192.0.2.1", 2, NULL, out, sizeof(out), &lines);
	assert_int_equal(len, strlen(written));
	assert_memory_equal(out, written, strlen(written));
	assert_int_equal(lines.n, 6);
	expect_fields(f, sg_h2head_request_from_lines(&lines, f, ARRAY_LEN(f)), want,
		      ARRAY_LEN(want));
	/* one field fewer than it needs, plus the room it counts on */
	assert_int_equal(sg_h2head_request_from_lines(&lines, f, 4 + 5), -1);
	/* fewer line slots than lines, or lines and an `extra` not taken apart */
	lines.cap = 5;
	assert_int_equal(sg_h1_write_request_lines(&req, NULL, "192.0.2.1", 2, NULL, out,
						   sizeof(out), &lines),
			 -1);
	lines.cap = ARRAY_LEN(slots);
	assert_int_equal(sg_h1_write_request_lines(&req, NULL, "192.0.2.1", 2, "A: b\r\n", out,
						   sizeof(out), &lines),
			 -1);
}

/* No Host: no :authority. */
static void test_h2_request_from_lines_without_host(void **unused)
{
	static const char *const want[] = { ":method", "GET", ":scheme", "http",
					    ":path",   "/",   "x-a",	 "1" };
	const char head[] = "GET / HTTP/1.0\r\nx-A: 1\r\n\r\n"; /* 1.1 needs a Host */
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h1_header slots[4];
	struct sg_h1_lines lines = { .v = slots, .cap = ARRAY_LEN(slots) };
	struct sg_h2_field f[8];
	char out[128];

	assert_int_equal(sg_h1_parse_request(head, strlen(head), 100, &req), SG_H1_DONE);
	assert_true(sg_h1_write_request_lines(&req, NULL, NULL, 0, NULL, out, sizeof(out), &lines) >
		    0);
	expect_fields(f, sg_h2head_request_from_lines(&lines, f, ARRAY_LEN(f)), want,
		      ARRAY_LEN(want));
	assert_int_equal(sg_h2head_request_from_lines(&lines, f, 4), -1);
}

static void test_h2_response_fields_drop_hop_by_hop(void **unused)
{
	const char head[] = "HTTP/1.1 200 OK\r\n"
			    "Content-Type: text/plain\r\n"
			    "Connection: keep-alive, X-Hop\r\n"
			    "Keep-Alive: timeout=5\r\n"
			    "X-Hop: gone\r\n"
			    "Proxy-Connection: close\r\n"
			    "Upgrade: websocket\r\n"
			    "TE: trailers\r\n"
			    "Content-Length: 5\r\n"
			    "Set-Cookie: a=1\r\n"
			    "Set-Cookie: b=2\r\n"
			    "\r\n";
	static const char *const want[] = { ":status",	      "200", "content-type", "text/plain",
					    "content-length", "5",   "set-cookie",   "a=1",
					    "set-cookie",     "b=2" };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h2_field f[16];
	char store[256];
	ssize_t n;

	assert_int_equal(sg_h1_parse_response(head, strlen(head), 100, &resp), SG_H1_DONE);
	n = sg_h2head_response_fields(&resp, NULL, store, sizeof(store), f, ARRAY_LEN(f));
	expect_fields(f, n, want, ARRAY_LEN(want));
}

/* A head from an HTTP/2 backend: its lowercase names are used as they are
 * (the store holds only the status), and only "te" is taken out. */
static void test_h2_response_fields_from_h2_keep_their_names(void **unused)
{
	struct sg_h1_header h[] = {
		{ { "content-type", 12 }, { "text/plain", 10 } },
		{ { "te", 2 }, { "trailers", 8 } },
		{ { "content-length", 14 }, { "5", 1 } },
	};
	static const char *const want[] = { ":status",	      "200", "content-type", "text/plain",
					    "content-length", "5" };
	struct sg_h1_resp resp = {
		.status = 200, .headers = h, .headers_cap = 3, .nheaders = 3, .h2 = true
	};
	struct sg_h2_field f[8];
	char store[3];

	expect_fields(f,
		      sg_h2head_response_fields(&resp, NULL, store, sizeof(store), f, ARRAY_LEN(f)),
		      want, ARRAY_LEN(want));
	assert_ptr_equal(f[1].name, h[0].name.p);
	assert_ptr_equal(f[2].name, h[2].name.p);
	/* the same head from HTTP/1 needs room for its lowercased names */
	resp.h2 = false;
	assert_int_equal(
		sg_h2head_response_fields(&resp, NULL, store, sizeof(store), f, ARRAY_LEN(f)), -1);
}

static void test_h2_response_fields_chunked_loses_framing(void **unused)
{
	const char head[] = "HTTP/1.1 404 Not Found\r\n"
			    "Transfer-Encoding: chunked\r\n"
			    "Content-Length: 10\r\n"
			    "X-Backend: b1\r\n"
			    "\r\n";
	static const char *const want[] = { ":status", "404", "x-backend", "b1" };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h2_field f[8];
	char store[64];

	assert_int_equal(sg_h1_parse_response(head, strlen(head), 100, &resp), SG_H1_DONE);
	expect_fields(f,
		      sg_h2head_response_fields(&resp, NULL, store, sizeof(store), f, ARRAY_LEN(f)),
		      want, ARRAY_LEN(want));
	/* Too small a store or field array is an error, not a truncation. */
	assert_int_equal(sg_h2head_response_fields(&resp, NULL, store, 8, f, ARRAY_LEN(f)), -1);
	assert_int_equal(sg_h2head_response_fields(&resp, NULL, store, sizeof(store), f, 1), -1);
}

static bool drops_server(const void *arg, const char *name, size_t len)
{
	(void)arg;
	return (len == 6 && !strncasecmp(name, "server", 6)) ||
	       (len == 14 && !strncasecmp(name, "content-length", 14));
}

/* A route filter's edit: dropped fields go, added ones come lowercased at
 * the end; framing and connection-specific ones can be neither. */
static void test_h2_response_fields_edit_and_answer(void **unused)
{
	const char head[] =
		"HTTP/1.1 200 OK\r\nServer: b\r\nContent-Length: 2\r\nX-Kept: k\r\n\r\n";
	static const struct sg_h1_header add[] = {
		{ { "X-Header-Set", 12 }, { "v", 1 } },
		{ { "Connection", 10 }, { "close", 5 } },
		{ { "Location", 8 }, { "https://example.org/", 20 } },
	};
	static const char *const want[] = {
		":status", "200",      "content-length",      "2", "x-kept", "k", "x-header-set",
		"v",	   "location", "https://example.org/"
	};
	static const char *const answer[] = { ":status",	"302",
					      "x-header-set",	"v",
					      "location",	"https://example.org/",
					      "content-length", "17" };
	struct sg_h1_edit edit = { .drops = drops_server, .add = add, .nadd = 3 };
	struct sg_h1_resp resp = { .headers = resp_slots, .headers_cap = SG_H1_MAX_HEADERS };
	struct sg_h2_field f[16];
	char store[256];

	assert_int_equal(sg_h1_parse_response(head, strlen(head), 100, &resp), SG_H1_DONE);
	expect_fields(
		f, sg_h2head_response_fields(&resp, &edit, store, sizeof(store), f, ARRAY_LEN(f)),
		want, ARRAY_LEN(want));
	expect_fields(
		f, sg_h2head_answer_fields(302, &edit, 17, store, sizeof(store), f, ARRAY_LEN(f)),
		answer, ARRAY_LEN(answer));
	for (size_t cap = 0; cap < 3 + 12 + 8 + 14 + 2; cap++)
		assert_int_equal(
			sg_h2head_answer_fields(302, &edit, 17, store, cap, f, ARRAY_LEN(f)), -1);
	assert_int_equal(sg_h2head_answer_fields(302, &edit, 17, store, sizeof(store), f, 3), -1);
	/* a 204 has no content-length (RFC 9110 §8.6) */
	{
		static const char *const nocontent[] = { ":status", "204" };

		expect_fields(f,
			      sg_h2head_answer_fields(204, NULL, 0, store, sizeof(store), f,
						      ARRAY_LEN(f)),
			      nocontent, ARRAY_LEN(nocontent));
	}
}

/* ---- preface, upgrade, base64url --------------------------------------------- */

static void test_h2_preface(void **unused)
{
	const char *p = SG_H2_PREFACE;

	assert_int_equal(sg_h2head_preface(p, SG_H2_PREFACE_LEN), 1);
	assert_int_equal(sg_h2head_preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4", 28), 1);
	for (size_t i = 1; i < SG_H2_PREFACE_LEN; i++)
		assert_int_equal(sg_h2head_preface(p, i), 0);
	assert_int_equal(sg_h2head_preface("POST / HTTP/1.1\r\n", 17), -1);
	assert_int_equal(sg_h2head_preface("PUT", 3), -1);
	assert_int_equal(sg_h2head_preface("PRI * HTTP/1.1\r\n\r\n", 18), -1);
}

static void test_h2_upgrade_request(void **unused)
{
	static const struct {
		const char *head;
		bool want;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
		  true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n"
		  "Upgrade: websocket, H2C\r\nHTTP2-Settings: \r\n\r\n",
		  true },
		/* no HTTP2-Settings, or two */
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
		  "HTTP2-Settings: \r\nHTTP2-Settings: \r\n\r\n",
		  false },
		/* Connection does not list upgrade */
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
		  "HTTP2-Settings: \r\n\r\n",
		  false },
		/* a body stays HTTP/1.1 */
		{ "POST / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
		  "HTTP2-Settings: \r\nContent-Length: 3\r\n\r\n",
		  false },
		{ "GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
		  "HTTP2-Settings: \r\n\r\n",
		  false },
		/* settings that do not decode, or are not whole, or out of
		 * range (ENABLE_PUSH 2, MAX_FRAME_SIZE 100, a window of 2^31):
		 * served as HTTP/1.1 rather than closed */
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: !!!*\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAA\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: AAIAAAAC\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: AAUAAABk\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "Upgrade: h2c\r\nHTTP2-Settings: AASAAAAA\r\n\r\n",
		  false },
	};
	struct sg_h1_req req = { .headers = req_slots, .headers_cap = SG_H1_MAX_HEADERS };

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(
			sg_h1_parse_request(cases[i].head, strlen(cases[i].head), 100, &req),
			SG_H1_DONE);
		if (sg_h2head_upgrade_request(&req) != cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
	}
}

static void test_h2_base64url_decode(void **unused)
{
	uint8_t out[32];
	/* curl's HTTP2-Settings: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW
	 * 33554432, ENABLE_PUSH 0. */
	const uint8_t want[] = { 0, 3, 0, 0, 0, 100, 0, 4, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0 };

	assert_int_equal(
		sg_h2head_base64url_decode("AAMAAABkAAQCAAAAAAIAAAAA", 24, out, sizeof(out)), 18);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(sg_h2head_base64url_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(sg_h2head_base64url_decode("-_8", 3, out, sizeof(out)), 2);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(sg_h2head_base64url_decode("-_8=", 4, out, sizeof(out)), 2);
	assert_int_equal(sg_h2head_base64url_decode("+/8", 3, out, sizeof(out)),
			 -1); /* base64, not url */
	assert_int_equal(sg_h2head_base64url_decode("AAAAA", 5, out, sizeof(out)), -1);
	assert_int_equal(sg_h2head_base64url_decode("AAAA", 4, out, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2_settings_defaults_send_only_max_streams),
		cmocka_unit_test(test_h2_settings_from_policy),
		cmocka_unit_test(test_h2_settings_clamped_to_protocol_limits),
		cmocka_unit_test(test_h2_request_head_to_http1),
		cmocka_unit_test(test_h2_request_head_host_without_authority),
		cmocka_unit_test(test_h2_request_head_host_agreeing_with_authority),
		cmocka_unit_test(test_h2_request_head_rejects),
		cmocka_unit_test(test_h2_request_head_host_rules_and_asterisk),
		cmocka_unit_test(test_h2_request_head_refuses_method_case),
		cmocka_unit_test(test_h2_request_head_refuses_fragment),
		cmocka_unit_test(test_h2_request_head_refuses_non_ascii_path),
		cmocka_unit_test(test_h2_request_head_content_length),
		cmocka_unit_test(test_h2_request_head_stops_at_headers_cap),
		cmocka_unit_test(test_h2_request_from_written_head),
		cmocka_unit_test(test_h2_request_from_lines_without_host),
		cmocka_unit_test(test_h2_response_fields_drop_hop_by_hop),
		cmocka_unit_test(test_h2_response_fields_from_h2_keep_their_names),
		cmocka_unit_test(test_h2_response_fields_chunked_loses_framing),
		cmocka_unit_test(test_h2_response_fields_edit_and_answer),
		cmocka_unit_test(test_h2_preface),
		cmocka_unit_test(test_h2_upgrade_request),
		cmocka_unit_test(test_h2_base64url_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
