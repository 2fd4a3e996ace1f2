/* user/core/filter.c: path rewriting and redirect Locations by the Gateway API
 * spec tables and conformance cases, header edit composition, CORS, and
 * whole plans over parsed HTTP/1 heads. */
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

#include "config/cel.h"
#include "config/duration.h"
#include "user/core/filter.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "tests/unit/httpdate.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct sg_match prefix_match(const char *p)
{
	return (struct sg_match){ .path_kind = SG_PATH_PREFIX, .path = p };
}

/* ---- paths ----------------------------------------------------------------- */

struct path_case {
	const char *match; /* PathPrefix; NULL: an Exact match on the path */
	enum sg_pathmod_kind kind;
	const char *value, *in, *out; /* out NULL: cannot apply */
};

static void expect_paths(const struct path_case *c, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct sg_match m = c[i].match ? prefix_match(c[i].match)
					       : (struct sg_match){ .path_kind = SG_PATH_EXACT,
								    .path = c[i].in };
		struct sg_pathmod pm = { c[i].kind, c[i].value };
		char out[256];
		ssize_t len =
			sg_filter_rewrite_path(&pm, &m, c[i].in, strlen(c[i].in), out, sizeof(out));
		const char *got = len >= 0 ? out : NULL;

		if (got == c[i].out || (got && c[i].out && !strcmp(got, c[i].out)))
			continue;
		print_message("match %s, %s %s, %s: got %s, want %s\n", c[i].match,
			      c[i].kind == SG_PATHMOD_FULL ? "full" : "prefix", c[i].value, c[i].in,
			      got ? got : "(error)", c[i].out ? c[i].out : "(error)");
		bad++;
	}
	assert_int_equal(bad, 0);
}

/* HTTPPathModifier's table in the Gateway API spec, every row. */
static void test_filter_prefix_rewrite_spec_table(void **unused)
{
	static const struct path_case cases[] = {
		{ "/foo", SG_PATHMOD_PREFIX, "/xyz", "/foo/bar", "/xyz/bar" },
		{ "/foo", SG_PATHMOD_PREFIX, "/xyz/", "/foo/bar", "/xyz/bar" },
		{ "/foo/", SG_PATHMOD_PREFIX, "/xyz", "/foo/bar", "/xyz/bar" },
		{ "/foo/", SG_PATHMOD_PREFIX, "/xyz/", "/foo/bar", "/xyz/bar" },
		{ "/foo", SG_PATHMOD_PREFIX, "/xyz", "/foo", "/xyz" },
		{ "/foo", SG_PATHMOD_PREFIX, "/xyz", "/foo/", "/xyz/" },
		{ "/foo", SG_PATHMOD_PREFIX, "", "/foo/bar", "/bar" },
		{ "/foo", SG_PATHMOD_PREFIX, "", "/foo/", "/" },
		{ "/foo", SG_PATHMOD_PREFIX, "", "/foo", "/" },
		{ "/foo", SG_PATHMOD_PREFIX, "/", "/foo/", "/" },
		{ "/foo", SG_PATHMOD_PREFIX, "/", "/foo", "/" },
	};

	(void)unused;
	expect_paths(cases, ARRAY_LEN(cases));
}

/* agentgateway's rewrite tests, and what cannot apply. */
static void test_filter_prefix_rewrite_edges(void **unused)
{
	static const struct path_case cases[] = {
		{ "/api", SG_PATHMOD_PREFIX, "/v1", "/api/users/123", "/v1/users/123" },
		{ "/api", SG_PATHMOD_PREFIX, "/v1", "/api", "/v1" },
		{ "/api/", SG_PATHMOD_PREFIX, "/v1/", "/api/users", "/v1/users" },
		{ "/api/", SG_PATHMOD_PREFIX, "/v1/", "/api", "/v1/" },
		{ "/api", SG_PATHMOD_PREFIX, "/", "/api/users", "/users" },
		{ "/api", SG_PATHMOD_PREFIX, "", "/api?debug=true", "/?debug=true" },
		{ "/api", SG_PATHMOD_PREFIX, "/v1", "/api/x?a=%2F&b", "/v1/x?a=%2F&b" },
		{ "/", SG_PATHMOD_PREFIX, "/v1", "/x/y", "/v1/x/y" },
		{ "/api", SG_PATHMOD_PREFIX, "/v1", "/apiary", NULL },
		{ "/api", SG_PATHMOD_PREFIX, "/v1", "/api%2Fv1", NULL },
		{ NULL, SG_PATHMOD_PREFIX, "/v1", "/exact", NULL },
		{ NULL, SG_PATHMOD_FULL, "/new-exact", "/exact?q", "/new-exact?q" },
		{ "/full/one", SG_PATHMOD_FULL, "/one", "/full/one/two", "/one" },
		{ "/full/one", SG_PATHMOD_FULL, "", "/full/one/two", "/" },
	};

	(void)unused;
	expect_paths(cases, ARRAY_LEN(cases));
}

/* ---- redirects --------------------------------------------------------------- */

struct redirect_case {
	const char *scheme, *hostname;
	uint16_t port;
	uint16_t listener;
	const char *match, *path_prefix, *in, *want;
};

static void expect_redirects(const struct redirect_case *c, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct sg_match m = prefix_match(c[i].match ? c[i].match : "/");
		struct sg_redirect r = { .scheme = c[i].scheme };
		char full[64];
		struct sg_filter_input in = {
			.scheme = "http",
			.listener_port = c[i].listener,
			.target = { c[i].in, strlen(c[i].in) },
			.host = { "test.com:8080", 13 },
			.match = &m,
		};
		char out[256];

		if (c[i].hostname && c[i].port) {
			r.authority.kind = SG_AUTHORITY_FULL;
			snprintf(full, sizeof(full), "%s:%u", c[i].hostname, c[i].port);
			r.authority.value = full;
		} else if (c[i].hostname) {
			r.authority = (struct sg_authority){ SG_AUTHORITY_HOST, c[i].hostname, 0 };
		} else if (c[i].port) {
			r.authority = (struct sg_authority){ SG_AUTHORITY_PORT, NULL, c[i].port };
		}
		if (c[i].path_prefix)
			r.path = (struct sg_pathmod){ SG_PATHMOD_PREFIX, c[i].path_prefix };
		if (sg_filter_redirect_location(&r, &in, out, sizeof(out)) < 0)
			strcpy(out, "(error)");
		if (!strcmp(out, c[i].want))
			continue;
		print_message("case %zu (%s): got %s, want %s\n", i, c[i].in, out, c[i].want);
		bad++;
	}
	assert_int_equal(bad, 0);
}

/* HTTPRouteRedirect{Path,HostAndStatus,Port,Scheme} and the whole
 * HTTPRouteRedirectPortAndScheme matrix for HTTP listeners on 80 and 8080
 * (a Kubernetes hostname with a port is the "full" authority, whose
 * default port is not written either). */
static void test_filter_redirect_locations(void **unused)
{
	static const struct redirect_case cases[] = {
		{ NULL, NULL, 0, 8080, "/original-prefix", "/replacement-prefix",
		  "/original-prefix/lemon", "http://test.com:8080/replacement-prefix/lemon" },
		{ NULL, "example.org", 0, 8080, NULL, NULL, "/hostname-redirect",
		  "http://example.org:8080/hostname-redirect" },
		{ NULL, NULL, 8083, 8080, NULL, NULL, "/port", "http://test.com:8083/port" },
		{ NULL, "example.org", 8083, 8080, NULL, NULL, "/p", "http://example.org:8083/p" },
		{ "https", NULL, 0, 8080, NULL, NULL, "/scheme", "https://test.com/scheme" },
		{ "https", "example.org", 0, 8080, NULL, NULL, "/s?q=1",
		  "https://example.org/s?q=1" },
		/* listener 80 */
		{ NULL, "example.org", 0, 80, NULL, NULL, "/a", "http://example.org/a" },
		{ NULL, "example.org", 80, 80, NULL, NULL, "/a", "http://example.org/a" },
		{ NULL, "example.org", 8080, 80, NULL, NULL, "/a", "http://example.org:8080/a" },
		{ "https", "example.org", 0, 80, NULL, NULL, "/a", "https://example.org/a" },
		{ "https", "example.org", 443, 80, NULL, NULL, "/a", "https://example.org/a" },
		{ "https", "example.org", 8443, 80, NULL, NULL, "/a",
		  "https://example.org:8443/a" },
		/* listener 8080 */
		{ NULL, "example.org", 0, 8080, NULL, NULL, "/a", "http://example.org:8080/a" },
		{ "https", "example.org", 0, 8080, NULL, NULL, "/a", "https://example.org/a" },
		/* port only: the scheme's default is not written */
		{ NULL, NULL, 80, 8080, NULL, NULL, "/a", "http://test.com/a" },
		{ "https", NULL, 8443, 8080, NULL, NULL, "/a", "https://test.com:8443/a" },
		{ "https", NULL, 443, 8080, NULL, NULL, "/a", "https://test.com/a" },
		{ NULL, NULL, 0, 8080, "/api", "/v1", "/apiary", "(error)" },
	};

	(void)unused;
	expect_redirects(cases, ARRAY_LEN(cases));
}

/* ---- header edits -------------------------------------------------------------- */

static struct sg_header_kv kv(const char *n, const char *v)
{
	return (struct sg_header_kv){ n, v };
}

/* "name=value;..." of e's added lines, and "!name;..." of its drops. */
static const char *show(const struct sg_header_edit *e, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < e->ndrop; i++)
		len += (size_t)snprintf(buf + len, cap - len, "!%.*s;", (int)e->drop[i].len,
					e->drop[i].p);
	for (size_t i = 0; i < e->nadd; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%.*s=%.*s;", (int)e->add[i].name.len,
					e->add[i].name.p, (int)e->add[i].value.len,
					e->add[i].value.p);
	return buf;
}

static void test_filter_header_edit_order_and_composition(void **unused)
{
	struct sg_header_kv route_add[] = { kv("X-A", "1"), kv("X-B", "2"), kv("Host", "h") };
	struct sg_header_kv route_set[] = { kv("x-b", "3") };
	const char *route_remove[] = { "X-C", "host" };
	struct sg_hdrmod route = { .add = { route_add, 3, 3 },
				   .set = { route_set, 1, 1 },
				   .remove = { route_remove, 2, 2 } };
	const char *backend_remove[] = { "x-a" };
	struct sg_header_kv backend_add[] = { kv("X-D", "4") };
	struct sg_hdrmod backend = { .add = { backend_add, 1, 1 },
				     .remove = { backend_remove, 1, 1 } };
	struct sg_header_edit e = { 0 };
	char buf[512];

	(void)unused;
	/* add, then set (replaces the added X-B too), then remove; host is
	 * never a header edit. */
	assert_int_equal(sg_header_edit_apply(&e, &route), 0);
	assert_string_equal(show(&e, buf, sizeof(buf)), "!x-b;!X-C;X-A=1;x-b=3;");
	assert_true(sg_header_edit_drops(&e, "X-B", 3));
	assert_true(sg_header_edit_drops(&e, "x-c", 3));
	assert_false(sg_header_edit_drops(&e, "x-a", 3));
	assert_false(sg_header_edit_drops(&e, "host", 4));
	/* The backend's after the route's: its remove takes the route's add. */
	assert_int_equal(sg_header_edit_apply(&e, &backend), 0);
	assert_string_equal(show(&e, buf, sizeof(buf)), "!x-b;!X-C;!x-a;x-b=3;X-D=4;");
	assert_int_equal(sg_header_edit_render(&e, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "x-b: 3\r\nX-D: 4\r\n");
	assert_int_equal(sg_header_edit_render(&e, buf, 16), -1);
	sg_header_edit_reset(&e);
	assert_int_equal(e.nadd + e.ndrop, 0);
}

/* ---- whole plans over parsed heads ------------------------------------------- */

struct head {
	struct sg_h1_header slots[32];
	struct sg_h1_req req;
	struct sg_filter_input in;
};

static void parse(struct head *h, const char *text, const struct sg_match *m)
{
	static const struct sg_bind http_8080 = { .port = 8080, .proto = SG_PROTO_HTTP };

	h->req = (struct sg_h1_req){ .headers = h->slots, .headers_cap = 32 };
	assert_int_equal(sg_h1_parse_request(text, strlen(text), 32, &h->req), SG_H1_DONE);
	sg_filter_input_init(&h->in, &h->req, m, &http_8080);
}

/* The request head a backend gets with the plan's edit. */
static const char *forwarded(struct head *h, const struct sg_filter_plan *p, char *out, size_t cap)
{
	struct sg_h1_edit e;
	ssize_t n;

	sg_filter_request_edit(p, &e);
	n = sg_h1_write_request_edit(&h->req, &e, NULL, 0, NULL, out, cap - 1);
	assert_true(n > 0);
	out[n] = '\0';
	return out;
}

static struct sg_h1_span lit(const char *s)
{
	return (struct sg_h1_span){ s, strlen(s) };
}

static void line_is(const struct sg_h1_header *h, const char *name, const char *value)
{
	assert_int_equal(h->name.len, strlen(name));
	assert_memory_equal(h->name.p, name, h->name.len);
	assert_int_equal(h->value.len, strlen(value));
	assert_memory_equal(h->value.p, value, h->value.len);
}

/* The scheme the client used (MCP's resource metadata, A2A's agent
 * card): X-Forwarded-Proto's first value that is not empty, lowercased,
 * when it is a scheme; anything else (blanks inside, ':', none) is the
 * listener's, as agentgateway's forwarded_scheme has it. */
static void test_filter_scheme_forwarded(void **unused)
{
	static const struct {
		const char *proto, *want;
	} cases[] = {
		{ NULL, "http" },
		{ "HTTPS, http", "https" },
		{ " , \thttps ,http", "https" },
		{ "wss", "wss" },
		{ ",,", "http" },
		{ "https x", "http" },
		{ "ht tp", "http" },
		{ "javascript:alert(1)//", "http" },
		{ "https://evil.example", "http" },
		{ "a-very-long-scheme-name-past-the-room", "http" },
	};
	char text[256], scheme[16];
	struct head h;

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: a\r\n%s%s%s\r\n",
			 cases[i].proto ? "X-Forwarded-Proto: " : "",
			 cases[i].proto ? cases[i].proto : "", cases[i].proto ? "\r\n" : "");
		parse(&h, text, NULL);
		sg_filter_scheme(&h.in, scheme, sizeof(scheme));
		assert_string_equal(scheme, cases[i].want);
	}
}

/* The head the policies after extAuthz read: the received lines the
 * route's edits replace or remove left out, the lines they add after
 * the rest (bounded by the room given). */
static void test_filter_plan_headers_as_edited(void **unused)
{
	struct sg_filter_plan p = { 0 };
	struct sg_h1_header out[8];
	struct head h;

	(void)unused;
	parse(&h, "GET / HTTP/1.1\r\nHost: a\r\nX-Authz-User: mallory\r\nX-Remove-Me: 1\r\n\r\n",
	      NULL);
	assert_int_equal(sg_filter_plan_request_line(&p, lit("x-authz-user"), "alice", 5), 0);
	assert_int_equal(sg_filter_plan_request_line(&p, lit("x-remove-me"), NULL, 0), 0);
	assert_int_equal(sg_filter_plan_headers(&p, &h.req, out, 8), 2);
	line_is(&out[0], "Host", "a");
	line_is(&out[1], "x-authz-user", "alice");
	assert_int_equal(sg_filter_plan_headers(&p, &h.req, out, 1), 1);
	sg_filter_plan_reset(&p);
	assert_int_equal(sg_filter_plan_headers(&p, &h.req, out, 8), 3);
}

static void test_filter_plan_modifies_rewrites_and_lifts_host(void **unused)
{
	struct sg_header_kv add[] = { kv("X-Header-Add", "add-appends-values") };
	struct sg_header_kv set[] = { kv("host", "lifted.example") };
	struct sg_hdrmod mod = { .add = { add, 1, 1 }, .set = { set, 1, 1 } };
	struct sg_rewrite rw = { .path = { SG_PATHMOD_PREFIX, "/one" } };
	struct sg_filters f = { .request_headers = &mod, .rewrite = &rw };
	struct sg_match m = prefix_match("/prefix/one");
	struct sg_filter_plan p = { 0 };
	struct head h;
	char out[512];

	(void)unused;
	parse(&h, "GET /prefix/one/two?q=1 HTTP/1.1\r\nHost: a:8080\r\nX-Header-Add: v\r\n\r\n",
	      &m);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	assert_int_equal(sg_filter_plan_backend(&p, NULL, &h.in), SG_FILTER_FORWARD);
	assert_string_equal(forwarded(&h, &p, out, sizeof(out)),
			    "GET /one/two?q=1 HTTP/1.1\r\nHost: lifted.example\r\n"
			    "X-Header-Add: v\r\nX-Header-Add: add-appends-values\r\n\r\n");
	sg_filter_plan_reset(&p);

	/* urlRewrite's hostname beats the lifted Host (it comes after). */
	rw.authority = (struct sg_authority){ SG_AUTHORITY_HOST, "one.example.org", 0 };
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	assert_string_equal(forwarded(&h, &p, out, sizeof(out)),
			    "GET /one/two?q=1 HTTP/1.1\r\nHost: one.example.org\r\n"
			    "X-Header-Add: v\r\nX-Header-Add: add-appends-values\r\n\r\n");
	sg_filter_plan_reset(&p);

	/* A prefix rewrite on a route its match does not fit: 500. */
	m = (struct sg_match){ .path_kind = SG_PATH_EXACT, .path = "/prefix/one/two" };
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FAILED);
	sg_filter_plan_reset(&p);
}

static void test_filter_plan_answers_redirect_and_direct(void **unused)
{
	struct sg_header_kv radd[] = { kv("X-Resp", "r") };
	struct sg_hdrmod resp = { .add = { radd, 1, 1 } };
	struct sg_redirect r = { .scheme = "https",
				 .authority = { SG_AUTHORITY_HOST, "example.org", 0 },
				 .status = 301 };
	struct sg_direct d = { 418, "hello!", 6 };
	struct sg_filters f = { .redirect = &r, .direct = &d, .response_headers = &resp };
	struct sg_filter_plan p = { 0 };
	struct sg_h1_edit e;
	struct head h;
	char out[512];
	ssize_t n;

	(void)unused;
	parse(&h, "GET /old?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", NULL);
	/* The redirect wins over the direct response (it comes first). */
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 301);
	sg_filter_response_edit(&p, &e);
	n = sg_h1_write_answer(p.status, &e, p.body.p, p.body.len, false, out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	/* the filter's fields, then the gateway's (a Date: user/base/httpdate.h) */
	assert_true(n > 41);
	assert_true(http_date_is_now(out + n - 33));
	memcpy(out + n - 33, "DATE", 5);
	assert_string_equal(out, "HTTP/1.1 301 Moved Permanently\r\n"
				 "location: https://example.org/old?x=1\r\nX-Resp: r\r\n"
				 "content-length: 0\r\ndate: DATE");
	sg_filter_plan_reset(&p);

	f.redirect = NULL;
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 418);
	assert_int_equal(p.body.len, 6);
	assert_memory_equal(p.body.p, "hello!", 6);
	sg_filter_plan_reset(&p);

	/* A backend's redirect answers the try it is chosen for. */
	f.direct = NULL;
	r.status = 0;
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	f.redirect = &r;
	assert_int_equal(sg_filter_plan_backend(&p, &f, &h.in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 302);
	sg_filter_plan_reset(&p);

	/* An HTTP/1.0 request without Host meets a redirect that names no
	 * host: the request is at fault, 400 (issue 63: it was 500). */
	r.authority = (struct sg_authority){ SG_AUTHORITY_UNSET, NULL, 0 };
	parse(&h, "GET /old HTTP/1.0\r\n\r\n", NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_BAD_REQUEST);
	sg_filter_plan_reset(&p);
}

/* "name: value|..." of the response lines a plan gives. */
static const char *response_lines(const struct sg_filter_plan *p, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->response.nadd; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%.*s: %.*s|",
					(int)p->response.add[i].name.len, p->response.add[i].name.p,
					(int)p->response.add[i].value.len,
					p->response.add[i].value.p);
	return buf;
}

static void test_filter_cors(void **unused)
{
	const char *origins[] = { "https://example.com", "https://*.example.org" };
	const char *methods[] = { "GET", "POST" };
	const char *headers[] = { "x-custom" };
	const char *expose[] = { "x-exposed" };
	struct sg_cors c = { .allow_credentials = true,
			     .allow_origins = { origins, 2, 2 },
			     .allow_methods = { methods, 2, 2 },
			     .allow_headers = { headers, 1, 1 },
			     .expose_headers = { expose, 1, 1 },
			     .max_age = SG_DUR_S(100) };
	struct sg_header_kv radd[] = { kv("X-Resp", "r") };
	struct sg_hdrmod resp = { .add = { radd, 1, 1 } };
	struct sg_filters f = { .cors = &c };
	struct sg_filters backend = { .response_headers = &resp };
	struct sg_filter_plan p = { 0 };
	struct head h;
	char buf[1024];

	(void)unused;
	parse(&h,
	      "OPTIONS /c HTTP/1.1\r\nHost: a\r\nOrigin: https://example.com\r\n"
	      "Access-Control-Request-Method: POST\r\n\r\n",
	      NULL);
	f.response_headers = &resp; /* not on a preflight's answer */
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_ANSWER);
	f.response_headers = NULL;
	assert_int_equal(p.status, 200);
	assert_string_equal(response_lines(&p, buf, sizeof(buf)),
			    "access-control-allow-origin: https://example.com|"
			    "access-control-allow-credentials: true|"
			    "access-control-expose-headers: x-exposed|"
			    "access-control-allow-methods: GET,POST|"
			    "access-control-allow-headers: x-custom|"
			    "access-control-max-age: 100|");
	sg_filter_plan_reset(&p);

	/* An origin not allowed: the preflight is answered, without lines. */
	parse(&h,
	      "OPTIONS /c HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\n"
	      "Access-Control-Request-Method: POST\r\n\r\n",
	      NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_ANSWER);
	assert_string_equal(response_lines(&p, buf, sizeof(buf)), "");
	sg_filter_plan_reset(&p);

	/* An actual request from a wildcard-allowed origin: forwarded, its
	 * CORS lines after the backend's response modifier. */
	parse(&h, "GET /c HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.org\r\n\r\n", NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	radd[0] = kv("Access-Control-Allow-Origin", "*"); /* replaced by CORS's */
	assert_int_equal(sg_filter_plan_backend(&p, &backend, &h.in), SG_FILTER_FORWARD);
	assert_true(sg_header_edit_drops(&p.response, "access-control-allow-origin", 27));
	assert_string_equal(response_lines(&p, buf, sizeof(buf)),
			    "access-control-allow-origin: https://app.example.org|"
			    "access-control-allow-credentials: true|"
			    "access-control-expose-headers: x-exposed|");
	radd[0] = kv("X-Resp", "r");
	sg_filter_plan_reset(&p);

	/* No Origin, or "*.example.org" asked by example.org itself: nothing. */
	parse(&h, "GET /c HTTP/1.1\r\nHost: a\r\nOrigin: https://example.org\r\n\r\n", NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	assert_string_equal(response_lines(&p, buf, sizeof(buf)), "");
	sg_filter_plan_reset(&p);
}

/* A forwarded response head with the plan's edit, over HTTP/1 and as
 * HTTP/2 fields ("name: value|" each), from the backend's head `text`. */
static void forwarded_response(const struct sg_filter_plan *p, const char *text, char *h1,
			       size_t cap1, char *h2, size_t cap2)
{
	struct sg_h1_header slots[16];
	struct sg_h1_resp resp = { .headers = slots, .headers_cap = 16 };
	struct sg_h2_field f[32];
	char store[512];
	struct sg_h1_edit e;
	ssize_t n;
	size_t len = 0;

	assert_int_equal(sg_h1_parse_response(text, strlen(text), 16, &resp), SG_H1_DONE);
	sg_filter_response_edit(p, &e);
	n = sg_h1_write_response_edit(&resp, &e, SG_H1_CONN_NONE, NULL, h1, cap1 - 1);
	assert_true(n > 0);
	h1[n] = '\0';
	n = sg_h2head_response_fields(&resp, &e, store, sizeof(store), f, 32);
	assert_true(n > 0);
	h2[0] = '\0';
	for (ssize_t i = 0; i < n; i++)
		len += (size_t)snprintf(h2 + len, cap2 - len, "%.*s: %.*s|", (int)f[i].name_len,
					f[i].name, (int)f[i].value_len, f[i].value);
}

/* localRateLimit: after CORS (a preflight takes no token), a token a
 * request; the x-ratelimit-* lines come last, after CORS's, on every
 * response; without a token the plan says LIMITED (the frontends answer
 * 429 with the plan's lines). A forwarded response that has any
 * x-ratelimit-* field of its own keeps its own and gets none of ours. */
static void test_filter_local_rate_limit(void **unused)
{
	const char *origins[] = { "*" };
	struct sg_cors c = { .allow_origins = { origins, 1, 1 }, .max_age = SG_DUR_UNSET };
	struct sg_header_kv radd[] = { kv("X-Resp", "r") };
	struct sg_hdrmod resp = { .add = { radd, 1, 1 } };
	struct sg_ratelimit rl = { .max_tokens = 2,
				   .tokens_per_fill = 1,
				   .fill_interval = SG_DUR_S(3600) };
	struct sg_ratelimits rls = { &rl, 1, 1 };
	struct sg_filters f = { .cors = &c, .response_headers = &resp, .ratelimits = &rls };
	struct sg_filter_plan p = { 0 };
	struct head h;
	char buf[1024], h1[1024], h2[1024];

	(void)unused;
	atomic_init(&rl.available, 2);
	atomic_init(&rl.refill_at, 0);
	parse(&h,
	      "OPTIONS /c HTTP/1.1\r\nHost: a\r\nOrigin: https://o.example\r\n"
	      "Access-Control-Request-Method: GET\r\n\r\n",
	      NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_ANSWER);
	assert_int_equal(atomic_load(&rl.available), 2);
	assert_null(strstr(response_lines(&p, buf, sizeof(buf)), "ratelimit"));
	sg_filter_plan_reset(&p);

	parse(&h, "GET /c HTTP/1.1\r\nHost: a\r\nOrigin: https://o.example\r\n\r\n", NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	assert_int_equal(sg_filter_plan_backend(&p, NULL, &h.in), SG_FILTER_FORWARD);
	assert_string_equal(
		response_lines(&p, buf, sizeof(buf)),
		"X-Resp: r|access-control-allow-origin: https://o.example|x-ratelimit-limit: 2|"
		"x-ratelimit-remaining: 1|x-ratelimit-reset: 3600|");
	forwarded_response(&p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", h1, sizeof(h1), h2,
			   sizeof(h2));
	assert_non_null(strstr(h1, "x-ratelimit-limit: 2\r\nx-ratelimit-remaining: 1\r\n"
				   "x-ratelimit-reset: 3600\r\n"));
	assert_non_null(strstr(h2, "x-ratelimit-limit: 2|x-ratelimit-remaining: 1|"
				   "x-ratelimit-reset: 3600|"));
	forwarded_response(
		&p, "HTTP/1.1 200 OK\r\nX-RateLimit-Remaining: 7\r\nContent-Length: 0\r\n\r\n", h1,
		sizeof(h1), h2, sizeof(h2));
	assert_non_null(strstr(h1, "X-RateLimit-Remaining: 7\r\n"));
	assert_null(strstr(h1, "x-ratelimit-"));
	assert_non_null(strstr(h1, "X-Resp: r\r\n")); /* the other lines stay */
	assert_string_equal(h2, ":status: 200|x-ratelimit-remaining: 7|content-length: 0|"
				"x-resp: r|access-control-allow-origin: https://o.example|");
	sg_filter_plan_reset(&p);

	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	sg_filter_plan_reset(&p);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_RATE_LIMIT);
	assert_string_equal(
		response_lines(&p, buf, sizeof(buf)),
		"X-Resp: r|access-control-allow-origin: https://o.example|x-ratelimit-limit: 2|"
		"x-ratelimit-remaining: 0|x-ratelimit-reset: 3599|");
	sg_filter_plan_reset(&p);
}

/* A response transformation's lines go in before the rate limit's, which
 * stay the edit's last (nfill) and so fill in only what a response lacks:
 * a backend's own X-RateLimit-Remaining keeps ours out, and the
 * transformation's lines stay whatever the response has. Before, they
 * went after ours, took the fill-in place, and a response with any
 * x-ratelimit-* field lost them while it gained our x-ratelimit-limit. */
static void test_filter_rate_limit_lines_stay_last(void **unused)
{
	struct sg_ratelimit rl = { .max_tokens = 2,
				   .tokens_per_fill = 1,
				   .fill_interval = SG_DUR_S(3600) };
	struct sg_ratelimits rls = { &rl, 1, 1 };
	struct sg_cel_err err;
	struct sg_cel *add_e, *set_e;
	struct sg_transform_expr adds[1], sets[1];
	struct sg_transform t = { 0 };
	struct sg_filters f = { .ratelimits = &rls };
	struct sg_filter_plan p = { 0 };
	struct sg_h1_header slots[16];
	struct sg_h1_resp resp = { .headers = slots, .headers_cap = 16 };
	struct head h;
	const char *backend = "HTTP/1.1 200 OK\r\nX-RateLimit-Remaining: 7\r\nx-t: orig\r\n"
			      "Content-Length: 0\r\n\r\n";
	char buf[1024], h1[1024], h2[1024];

	(void)unused;
	assert_int_equal(sg_cel_compile("'v'", &add_e, &err), 0);
	assert_int_equal(sg_cel_compile("'s'", &set_e, &err), 0);
	adds[0] = (struct sg_transform_expr){ "x-t", add_e };
	sets[0] = (struct sg_transform_expr){ "x-s", set_e };
	t.response = (struct sg_transform_side){ .present = true,
						 .add = { adds, 1, 1 },
						 .set = { sets, 1, 1 } };
	f.transform = &t;
	atomic_init(&rl.available, 2);
	atomic_init(&rl.refill_at, 0);
	parse(&h, "GET /c HTTP/1.1\r\nHost: a\r\n\r\n", NULL);
	assert_int_equal(sg_filter_plan_request(&p, &f, &h.in), SG_FILTER_FORWARD);
	assert_int_equal(sg_filter_plan_backend(&p, NULL, &h.in), SG_FILTER_FORWARD);
	assert_int_equal(sg_h1_parse_response(backend, strlen(backend), 16, &resp), SG_H1_DONE);
	assert_int_equal(sg_filter_transform_response(&p, &t, &h.in, &resp), 0);
	assert_string_equal(response_lines(&p, buf, sizeof(buf)),
			    "x-t: v|x-s: s|x-ratelimit-limit: 2|x-ratelimit-remaining: 1|"
			    "x-ratelimit-reset: 3600|");
	forwarded_response(&p, backend, h1, sizeof(h1), h2, sizeof(h2));
	assert_non_null(strstr(h1, "X-RateLimit-Remaining: 7\r\n"));
	assert_null(strstr(h1, "x-ratelimit-"));
	assert_non_null(strstr(h1, "x-t: orig\r\n"));
	assert_non_null(strstr(h1, "x-t: v\r\n"));
	assert_non_null(strstr(h1, "x-s: s\r\n"));
	assert_null(strstr(h2, "x-ratelimit-limit"));
	assert_non_null(strstr(h2, "x-t: v|"));
	forwarded_response(&p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", h1, sizeof(h1), h2,
			   sizeof(h2));
	assert_non_null(strstr(h1, "x-t: v\r\nx-s: s\r\nx-ratelimit-limit: 2\r\n"
				   "x-ratelimit-remaining: 1\r\nx-ratelimit-reset: 3600\r\n"));
	sg_filter_plan_reset(&p);
	sg_cel_free(add_e);
	sg_cel_free(set_e);
}

/* csrf, agentgateway's cases: safe methods pass; Sec-Fetch-Site
 * same-origin or none passes, any other value only from a trusted Origin;
 * without it, no Origin ("null" is none), the target's own origin
 * (<scheme>://<Host>, byte for byte) or a trusted one passes. A refusal is
 * SG_FILTER_REFUSED with SG_FAIL_CSRF (403). */
static void test_filter_csrf(void **unused)
{
	static const struct {
		const char *head; /* request line and fields, before the blank line */
		enum sg_filter_result want;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://evil", SG_FILTER_FORWARD },
		{ "HEAD / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://evil", SG_FILTER_FORWARD },
		{ "OPTIONS / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://evil", SG_FILTER_FORWARD },
		{ "PROPFIND / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://evil", SG_FILTER_REFUSED },
		{ "POST / HTTP/1.1\r\nHost: a:8080", SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://a:8080", SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nOrigin: null", SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://evil", SG_FILTER_REFUSED },
		{ "DELETE / HTTP/1.1\r\nHost: a:8080\r\nOrigin: https://a:8080",
		  SG_FILTER_REFUSED },
		{ "PUT / HTTP/1.1\r\nHost: a:8080\r\nOrigin: http://A:8080", SG_FILTER_REFUSED },
		{ "POST / HTTP/1.0\r\nOrigin: http://a:8080", SG_FILTER_REFUSED },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nOrigin: https://partner.example",
		  SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nSec-Fetch-Site: same-origin\r\n"
		  "Origin: http://evil",
		  SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nSec-Fetch-Site: none", SG_FILTER_FORWARD },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nSec-Fetch-Site: cross-site",
		  SG_FILTER_REFUSED },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nSec-Fetch-Site: same-site\r\n"
		  "Origin: http://a:8080",
		  SG_FILTER_REFUSED },
		{ "POST / HTTP/1.1\r\nHost: a:8080\r\nSec-Fetch-Site: cross-site\r\n"
		  "Origin: https://partner.example",
		  SG_FILTER_FORWARD },
	};
	const char *trusted[] = { "https://partner.example" };
	struct sg_csrf c = { .additional_origins = { trusted, 1, 1 } };
	struct sg_filters f = { .csrf = &c };
	struct sg_filter_plan p = { 0 };
	char text[512];
	struct head h;
	int bad = 0;

	(void)unused;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum sg_filter_result got;

		snprintf(text, sizeof(text), "%s\r\n\r\n", cases[i].head);
		parse(&h, text, NULL);
		got = sg_filter_plan_request(&p, &f, &h.in);
		if (got != cases[i].want ||
		    (got == SG_FILTER_REFUSED && p.refusal != SG_FAIL_CSRF)) {
			print_message("%s: got %d, want %d\n", cases[i].head, got, cases[i].want);
			bad++;
		}
		sg_filter_plan_reset(&p);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(sg_fail_status(SG_FAIL_CSRF), 403);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_prefix_rewrite_spec_table),
		cmocka_unit_test(test_filter_prefix_rewrite_edges),
		cmocka_unit_test(test_filter_redirect_locations),
		cmocka_unit_test(test_filter_header_edit_order_and_composition),
		cmocka_unit_test(test_filter_plan_headers_as_edited),
		cmocka_unit_test(test_filter_plan_modifies_rewrites_and_lifts_host),
		cmocka_unit_test(test_filter_plan_answers_redirect_and_direct),
		cmocka_unit_test(test_filter_cors),
		cmocka_unit_test(test_filter_local_rate_limit),
		cmocka_unit_test(test_filter_rate_limit_lines_stay_last),
		cmocka_unit_test(test_filter_csrf),
		cmocka_unit_test(test_filter_scheme_forwarded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
