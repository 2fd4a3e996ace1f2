/* Unit tests for policy/route (route selection, endpoint picking) and the
 * config regexes it relies on, over configs loaded from YAML in both
 * dialects so that the parsers' output is what gets matched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config/build.h"
#include "config/cfg.h"
#include "policy/route.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DRAWS 10000

struct loaded {
	struct sg_cfg *cfg;
	struct sg_diag diag;
};

/* A request: `target` is path[?query], `headers` "name: value" lines. */
struct req {
	const char *host;
	const char *method;
	const char *target;
	const char *headers;
	const char *want; /* route (or HTTPRoute rule) name, NULL = 404 */
};

static int loaded_setup(void **state)
{
	struct loaded *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	sg_diag_init(&l->diag);
	*state = l;
	return 0;
}

static void loaded_reset(struct loaded *l)
{
	sg_cfg_free(l->cfg);
	l->cfg = NULL;
	sg_diag_free(&l->diag);
}

static int loaded_teardown(void **state)
{
	loaded_reset(*state);
	free(*state);
	return 0;
}

static void print_diag(const struct sg_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s\n", d->lines[i]);
}

/* The first listener of `text`, which must load cleanly as t.yaml. */
static const struct sg_listener *load_listener(struct loaded *l, const char *text)
{
	loaded_reset(l);
	l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag);
	if (!l->cfg || l->diag.n) {
		print_diag(&l->diag);
		fail_msg("load failed: %zu errors", l->diag.errors);
	}
	assert_true(l->cfg->nbinds > 0 && l->cfg->binds[0].nlisteners > 0);
	return &l->cfg->binds[0].listeners[0];
}

/* The header lookup the data path provides: case-insensitive names. */
static const char *lookup(void *ctx, const char *name, size_t *len)
{
	const char *line = ctx;
	size_t nlen = strlen(name);

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t llen = eol ? (size_t)(eol - line) : strlen(line);

		if (llen > nlen + 1 && !strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ')
				v++;
			*len = (size_t)(line + llen - v);
			return v;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static const char *select_name(const struct sg_listener *l, const struct req *r)
{
	const char *q = strchr(r->target, '?');
	const char *method = r->method ? r->method : "GET";
	struct sg_route_input in = {
		.host = r->host,
		.host_len = r->host ? strlen(r->host) : 0,
		.path = r->target,
		.path_len = q ? (size_t)(q - r->target) : strlen(r->target),
		.query = q ? q + 1 : "",
		.query_len = q ? strlen(q + 1) : 0,
		.method = method,
		.method_len = strlen(method),
		.header = lookup,
		.ctx = (void *)(uintptr_t)r->headers,
	};
	const struct sg_route *rt = sg_route_select(l, &in);

	if (!rt)
		return NULL;
	return rt->rule_name ? rt->rule_name : rt->name;
}

static void expect_routes(struct loaded *l, const char *text, const struct req *c, size_t n)
{
	const struct sg_listener *lis = load_listener(l, text);
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const char *got = select_name(lis, &c[i]);

		if (got == c[i].want || (got && c[i].want && !strcmp(got, c[i].want)))
			continue;
		print_message("%s %s (host %s, headers \"%s\"): got %s, want %s\n",
			      c[i].method ? c[i].method : "GET", c[i].target,
			      c[i].host ? c[i].host : "-", c[i].headers ? c[i].headers : "",
			      got ? got : "404", c[i].want ? c[i].want : "404");
		bad++;
	}
	if (bad)
		fail_msg("%d of %zu requests", bad, n);
}

/* ---- hostnames ---------------------------------------------------------- */

static const char hosts_yaml[] = "binds:\n"
				 "- port: 8080\n"
				 "  listeners:\n"
				 "  - protocol: HTTP\n"
				 "    routes:\n"
				 "    - name: any\n"
				 "      backends: [{host: 127.0.0.1:8000}]\n"
				 "    - name: wild\n"
				 "      hostnames: ['*.example.com']\n"
				 "      backends: [{host: 127.0.0.1:8000}]\n"
				 "    - name: wild-api\n"
				 "      hostnames: ['*.api.example.com']\n"
				 "      backends: [{host: 127.0.0.1:8000}]\n"
				 "    - name: exact\n"
				 "      hostnames: [other.test, www.example.com]\n"
				 "      matches: [{path: {pathPrefix: /app}}]\n"
				 "      backends: [{host: 127.0.0.1:8000}]\n"
				 "    - name: upper\n"
				 "      hostnames: [Upper.Example.COM]\n"
				 "      backends: [{host: 127.0.0.1:8000}]\n";

static void test_route_hostname_precedence(void **state)
{
	static const struct req cases[] = {
		{ "www.example.com", NULL, "/app", NULL, "exact" },
		{ "a.example.com", NULL, "/app", NULL, "wild" },
		{ "x.api.example.com", NULL, "/", NULL, "wild-api" },
		{ "x.y.api.example.com", NULL, "/", NULL, "wild-api" },
		/* One or more labels; the bare domain is not covered. */
		{ "a.b.example.com", NULL, "/", NULL, "wild" },
		{ "example.com", NULL, "/", NULL, "any" },
		{ "api.example.com", NULL, "/", NULL, "wild" },
		{ "unknown.test", NULL, "/", NULL, "any" },
		{ "upper.example.com", NULL, "/", NULL, "upper" },
		{ NULL, NULL, "/", NULL, "any" },
		/* A hostname rank with no matching path falls through. */
		{ "www.example.com", NULL, "/other", NULL, "wild" },
		{ "other.test", NULL, "/other", NULL, "any" },
		{ "other.test", NULL, "/app/x", NULL, "exact" },
	};

	expect_routes(*state, hosts_yaml, cases, ARRAY_LEN(cases));
}

static void test_route_hostname_ignores_port_and_case(void **state)
{
	static const struct req cases[] = {
		{ "www.example.com:8080", NULL, "/app", NULL, "exact" },
		{ "WWW.Example.Com:8080", NULL, "/app", NULL, "exact" },
		{ "A.EXAMPLE.COM:443", NULL, "/", NULL, "wild" },
		{ "[::1]:8080", NULL, "/", NULL, "any" },
		{ "[::1]", NULL, "/", NULL, "any" },
		{ "www.example.com.evil:80", NULL, "/app", NULL, "any" },
	};

	expect_routes(*state, hosts_yaml, cases, ARRAY_LEN(cases));
}

static void test_route_hostname_without_routes_is_404(void **state)
{
	static const char text[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: only\n"
				   "      hostnames: [a.test, '*.b.test']\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct req cases[] = {
		{ "a.test", NULL, "/", NULL, "only" }, { "x.b.test", NULL, "/", NULL, "only" },
		{ "b.test", NULL, "/", NULL, NULL },   { "xa.test", NULL, "/", NULL, NULL },
		{ NULL, NULL, "/", NULL, NULL },
	};

	expect_routes(*state, text, cases, ARRAY_LEN(cases));
}

/* ---- paths -------------------------------------------------------------- */

static void test_route_path_exact_before_prefix_longest_first(void **state)
{
	static const char text[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: root\n"
				   "      matches: [{path: {pathPrefix: /}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: foo-re\n"
				   "      matches: [{path: {regex: '/foo/[0-9]+'}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: foo\n"
				   "      matches: [{path: {pathPrefix: /foo}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: foo-bar\n"
				   "      matches: [{path: {pathPrefix: /foo/bar/}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: foo-exact\n"
				   "      matches: [{path: {exact: /foo}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct req cases[] = {
		{ NULL, NULL, "/foo", NULL, "foo-exact" },
		{ NULL, NULL, "/foo/", NULL, "foo" },
		{ NULL, NULL, "/foo/1", NULL, "foo" },
		{ NULL, NULL, "/foo/bar", NULL, "foo-bar" },
		{ NULL, NULL, "/foo/bar/", NULL, "foo-bar" },
		{ NULL, NULL, "/foo/bar/baz", NULL, "foo-bar" },
		{ NULL, NULL, "/", NULL, "root" },
		{ NULL, NULL, "/x?foo", NULL, "root" },
	};

	expect_routes(*state, text, cases, ARRAY_LEN(cases));
}

/* The match that chose the route is the best of its matches: a prefix
 * rewrite replaces that match's prefix. */
static void test_route_select_reports_the_best_match(void **state)
{
	static const char text[] =
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - protocol: HTTP\n"
		"    routes:\n"
		"    - name: api\n"
		"      matches: [{path: {pathPrefix: /api}}, {path: {pathPrefix: /api/v1}},\n"
		"                {path: {exact: /api/v1/x}}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct {
		const char *target, *want;
	} cases[] = {
		{ "/api/v2", "/api" },
		{ "/api/v1/y", "/api/v1" },
		{ "/api/v1/x", "/api/v1/x" },
		{ "/other", NULL },
	};
	const struct sg_listener *l = load_listener(*state, text);

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sg_route_input in = {
			.host = "",
			.path = cases[i].target,
			.path_len = strlen(cases[i].target),
			.query = "",
			.method = "GET",
			.method_len = 3,
		};
		const struct sg_match *m = NULL;
		const struct sg_route *r = sg_route_select_match(l, &in, &m);

		if (!cases[i].want) {
			assert_null(r);
			assert_null(m);
			continue;
		}
		assert_non_null(r);
		assert_non_null(m);
		assert_string_equal(m->path, cases[i].want);
	}
}

static void test_route_path_prefix_is_segment_wise(void **state)
{
	static const char text[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: foo\n"
				   "      matches: [{path: {pathPrefix: /foo}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: bar\n"
				   "      matches: [{path: {pathPrefix: /bar/}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct req cases[] = {
		{ NULL, NULL, "/foo", NULL, "foo" },	 { NULL, NULL, "/foo/", NULL, "foo" },
		{ NULL, NULL, "/foo/x/y", NULL, "foo" }, { NULL, NULL, "/foobar", NULL, NULL },
		{ NULL, NULL, "/fo", NULL, NULL },	 { NULL, NULL, "/Foo", NULL, NULL },
		{ NULL, NULL, "/bar", NULL, "bar" },	 { NULL, NULL, "/barn", NULL, NULL },
		{ NULL, NULL, "/", NULL, NULL },
	};

	expect_routes(*state, text, cases, ARRAY_LEN(cases));
}

static void test_route_regex_is_anchored_and_last(void **state)
{
	static const char text[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: item-any\n"
				   "      matches: [{path: {regex: '/item/.*'}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: item-num\n"
				   "      matches: [{path: {regex: '/item/[0-9]+'}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: item-42\n"
				   "      matches: [{path: {exact: /item/42}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n"
				   "    - name: alt\n"
				   "      matches: [{path: {regex: '/a|/b'}}]\n"
				   "      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct req cases[] = {
		/* The longer pattern first, as agentgateway orders regexes. */
		{ NULL, NULL, "/item/7", NULL, "item-num" },
		{ NULL, NULL, "/item/abc", NULL, "item-any" },
		{ NULL, NULL, "/item/42", NULL, "item-42" },
		{ NULL, NULL, "/item/7/x", NULL, "item-any" },
		{ NULL, NULL, "/x/item/7", NULL, NULL },
		/* The whole alternation is anchored, not just its ends. */
		{ NULL, NULL, "/a", NULL, "alt" },
		{ NULL, NULL, "/b", NULL, "alt" },
		{ NULL, NULL, "/ab", NULL, NULL },
		{ NULL, NULL, "/xb", NULL, NULL },
		{ NULL, NULL, "/a?x=1", NULL, "alt" },
		{ NULL, NULL, "/nothing", NULL, NULL },
	};

	expect_routes(*state, text, cases, ARRAY_LEN(cases));
}

/* Patterns as agentgateway's Rust regex reads them: \d, \w, \s (in
 * brackets too), "(?:", a leading "(?i)", control escapes. glibc alone
 * took "\d" for the letter d. */
static void test_route_regex_perl_classes(void **state)
{
	static const char text[] =
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - protocol: HTTP\n"
		"    routes:\n"
		"    - name: digits\n"
		"      matches: [{path: {regex: '/v\\d+/\\w+'}}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: class\n"
		"      matches: [{path: {regex: '/c/[\\d_]+(?:/[\\w-]+)?'}}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: lazy\n"
		"      matches: [{path: {regex: '/l/a+?b?\?'}}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: icase\n"
		"      matches: [{path: {regex: '(?i)/ABC\\D'}}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: control\n"
		"      matches: [{path: {pathPrefix: /h},\n"
		"                 headers: [{name: x-t, value: {regex: 'a\\tb\\s\\d'}}]}]\n"
		"      backends: [{host: 127.0.0.1:8000}]\n";
	static const struct req cases[] = {
		{ NULL, NULL, "/v12/x_y", NULL, "digits" },
		{ NULL, NULL, "/vd/x", NULL, NULL },
		{ NULL, NULL, "/v1/x-y", NULL, NULL },
		{ NULL, NULL, "/c/1_2", NULL, "class" },
		{ NULL, NULL, "/c/1_2/a-b", NULL, "class" },
		{ NULL, NULL, "/c/d", NULL, NULL },
		{ NULL, NULL, "/l/aa", NULL, "lazy" },
		{ NULL, NULL, "/l/ab", NULL, "lazy" },
		{ NULL, NULL, "/l/", NULL, NULL },
		{ NULL, NULL, "/abcx", NULL, "icase" },
		{ NULL, NULL, "/AbC7", NULL, NULL },
		{ NULL, NULL, "/h", "x-t: a\tb 1", "control" },
		{ NULL, NULL, "/h", "x-t: atb 1", NULL },
		{ NULL, NULL, "/h", "x-t: a\tb x", NULL },
	};

	expect_routes(*state, text, cases, ARRAY_LEN(cases));
}

/* ---- method, headers, query --------------------------------------------- */

static const char kv_yaml[] =
	"binds:\n"
	"- port: 8080\n"
	"  listeners:\n"
	"  - protocol: HTTP\n"
	"    routes:\n"
	"    - name: plain\n"
	"      matches: [{path: {pathPrefix: /api}}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: plain-again\n"
	"      matches: [{path: {pathPrefix: /api}}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: get\n"
	"      matches: [{path: {pathPrefix: /api}, method: GET}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: h1\n"
	"      matches: [{path: {pathPrefix: /api},\n"
	"                 headers: [{name: x-a, value: {exact: yes}}]}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: h2\n"
	"      matches: [{path: {pathPrefix: /api},\n"
	"                 headers: [{name: x-a, value: {exact: yes}},\n"
	"                           {name: x-b, value: {regex: 'v[0-9]'}}]}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: get-h1\n"
	"      matches: [{path: {pathPrefix: /api}, method: GET,\n"
	"                 headers: [{name: x-a, value: {exact: yes}}]}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: q1\n"
	"      matches: [{path: {pathPrefix: /api}, query: [{name: q, value: {exact: '1'}}]}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n"
	"    - name: q2\n"
	"      matches: [{path: {pathPrefix: /api}, query: [{name: q, value: {exact: '1'}},\n"
	"                                                  {name: r, value: {regex: '[0-9]'}}]}]\n"
	"      backends: [{host: 127.0.0.1:8000}]\n";

static void test_route_method_beats_headers_beat_query(void **state)
{
	static const struct req cases[] = {
		{ NULL, "POST", "/api", NULL, "plain" },
		{ NULL, "GET", "/api", NULL, "get" },
		{ NULL, "get", "/api", NULL, "plain" },
		{ NULL, "POST", "/api", "x-a: yes", "h1" },
		{ NULL, "POST", "/api", "x-a: yes\nx-b: v7", "h2" },
		{ NULL, "GET", "/api", "x-a: yes", "get-h1" },
		{ NULL, "GET", "/api", "x-a: yes\nx-b: v7", "get-h1" },
		{ NULL, "POST", "/api?q=1", "x-a: yes", "h1" },
		{ NULL, "POST", "/api?q=1&r=2", "x-a: yes", "h1" },
		{ NULL, "GET", "/api?q=1&r=2", NULL, "get" },
	};

	expect_routes(*state, kv_yaml, cases, ARRAY_LEN(cases));
}

static void test_route_header_matches(void **state)
{
	static const struct req cases[] = {
		{ NULL, "POST", "/api", "X-A: yes", "h1" },
		{ NULL, "POST", "/api", "x-a: YES", "plain" },
		{ NULL, "POST", "/api", "x-a: yes!", "plain" },
		{ NULL, "POST", "/api", "x-b: v7", "plain" },
		{ NULL, "POST", "/api", "x-a: yes\nx-b: v7x", "h1" },
		{ NULL, "POST", "/api", "x-a: yes\nx-b: xv7", "h1" },
		{ NULL, "POST", "/api", "x-a: yes\nX-B: v0", "h2" },
	};

	expect_routes(*state, kv_yaml, cases, ARRAY_LEN(cases));
}

static void test_route_query_matches(void **state)
{
	static const struct req cases[] = {
		{ NULL, "POST", "/api?q=1", NULL, "q1" },
		{ NULL, "POST", "/api?r=2&q=1", NULL, "q2" },
		{ NULL, "POST", "/api?q=1&r=22", NULL, "q1" },
		{ NULL, "POST", "/api?q=1&r", NULL, "q1" },
		/* The first q decides. */
		{ NULL, "POST", "/api?q=2&q=1", NULL, "plain" },
		{ NULL, "POST", "/api?q=1&q=2", NULL, "q1" },
		{ NULL, "POST", "/api?qq=1&Q=1", NULL, "plain" },
		{ NULL, "POST", "/api?q", NULL, "plain" },
		{ NULL, "POST", "/api?x=1&q=1&", NULL, "q1" },
		/* Names and values compare decoded (agentgateway's
		 * form_urlencoded); a '%' without two hex digits is itself. */
		{ NULL, "POST", "/api?%71=%31", NULL, "q1" },
		{ NULL, "POST", "/api?q=1%", NULL, "plain" },
		{ NULL, "POST", "/api?q=%3", NULL, "plain" },
		/* A decoded NUL does not end a value for a regex: r=2%00x
		 * is not a match of [0-9] (issue 63), nor is q=1%00 of '1'. */
		{ NULL, "POST", "/api?q=1&r=2", NULL, "q2" },
		{ NULL, "POST", "/api?q=1&r=2%00x", NULL, "q1" },
		{ NULL, "POST", "/api?q=1%00&r=2", NULL, "plain" },
	};
	char longq[1200];
	struct req more[] = { { NULL, "POST", longq, NULL, "q1" } };

	expect_routes(*state, kv_yaml, cases, ARRAY_LEN(cases));
	/* A query longer than the decoder's stack buffer. */
	snprintf(longq, sizeof(longq), "/api?x=%0900d&q=%%31", 0);
	expect_routes(*state, kv_yaml, more, ARRAY_LEN(more));
}

static void test_route_ties_go_to_config_order(void **state)
{
	static const struct req cases[] = {
		{ NULL, "POST", "/api/x", NULL, "plain" },
		{ NULL, "POST", "/apix", NULL, NULL },
	};

	expect_routes(*state, kv_yaml, cases, ARRAY_LEN(cases));
}

/* ---- Kubernetes dialect --------------------------------------------------- */

static const char k8s_yaml[] =
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: Gateway\n"
	"metadata: {name: gw, namespace: ns}\n"
	"spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata: {name: any, namespace: ns}\n"
	"spec:\n"
	"  parentRefs: [{name: gw}]\n"
	"  rules:\n"
	"  - name: versioned\n"
	"    matches: [{path: {type: RegularExpression, value: '/v[0-9]+/.*'}}]\n"
	"  - name: env\n"
	"    matches:\n"
	"    - path: {type: PathPrefix, value: /}\n"
	"      headers: [{name: x-env, type: RegularExpression, value: 'prod|canary'}]\n"
	"      queryParams: [{name: debug, value: '1'}]\n"
	"  - name: exact-first\n"
	"    matches:\n"
	"    - path: {type: RegularExpression, value: '/v1/.*'}\n"
	"    - path: {type: Exact, value: /v1/status}\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata: {name: www, namespace: ns}\n"
	"spec:\n"
	"  parentRefs: [{name: gw}]\n"
	"  hostnames: [www.example.com]\n"
	"  rules: [{name: app, matches: [{path: {type: PathPrefix, value: /app}}]}]\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata: {name: wild, namespace: ns}\n"
	"spec:\n"
	"  parentRefs: [{name: gw}]\n"
	"  hostnames: ['*.example.com']\n"
	"  rules: [{name: wild-rule}]\n";

static void test_route_kubernetes_dialect(void **state)
{
	static const struct req cases[] = {
		{ "www.example.com", NULL, "/app/x", NULL, "app" },
		{ "www.example.com", NULL, "/v1/x", NULL, "wild-rule" },
		{ "b.example.com:80", NULL, "/", NULL, "wild-rule" },
		{ "other.test", NULL, "/v1/x", NULL, "versioned" },
		{ "other.test", NULL, "/v12/", NULL, "versioned" },
		{ "other.test", NULL, "/v/x", NULL, NULL },
		{ "other.test", NULL, "/x?debug=1", "x-env: prod", "env" },
		{ "other.test", NULL, "/x?debug=1", "x-env: canary", "env" },
		{ "other.test", NULL, "/x?debug=1", "x-env: prodx", NULL },
		{ "other.test", NULL, "/x?debug=0", "x-env: prod", NULL },
		{ "other.test", NULL, "/x", NULL, NULL },
		/* A route's matches are ORed; its best one ranks it. */
		{ "other.test", NULL, "/v1/status", NULL, "exact-first" },
	};

	expect_routes(*state, k8s_yaml, cases, ARRAY_LEN(cases));
}

/* ---- invalid regexes ------------------------------------------------------ */

struct err_case {
	const char *what;
	const char *text;
	const char *want; /* the one diagnostic line */
};

static void expect_load_error(struct loaded *l, const struct err_case *c, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		loaded_reset(l);
		l->cfg = sg_cfg_load_text("t.yaml", c[i].text, &l->diag);
		if (!l->cfg && l->diag.n == 1 && l->diag.errors == 1 &&
		    !strcmp(l->diag.lines[0], c[i].want))
			continue;
		print_message("%s: cfg %p, %zu lines, want \"%s\"\n", c[i].what, (void *)l->cfg,
			      l->diag.n, c[i].want);
		print_diag(&l->diag);
		bad++;
	}
	if (bad)
		fail_msg("%d of %zu cases", bad, n);
}

#define STANDALONE_ROUTE(match)                                                                    \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - protocol: HTTP\n"                                                                     \
	"    routes:\n"                                                                            \
	"    - backends: [{host: 127.0.0.1:8000}]\n"                                               \
	"      matches: [" match "]\n"

#define K8S_ROUTE(match)                                                                           \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw}\n"                                                                   \
	"spec: {listeners: [{name: a, port: 8080, protocol: HTTP},\n"                              \
	"                   {name: b, port: 8081, protocol: HTTP}]}\n"                             \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata: {name: r}\n"                                                                    \
	"spec:\n"                                                                                  \
	"  parentRefs: [{name: gw}]\n"                                                             \
	"  rules: [{matches: [" match "]}]\n"

#define PATH_KEY "binds[0].listeners[0].routes[0].matches[0].path"
#define RULE_KEY "spec.rules[0].matches[0]"

static void test_route_invalid_regex_is_a_load_error(void **state)
{
	/* One line per bad expression even when, as in K8S_ROUTE, the match
	 * is shared by the routes of two listeners. */
	static const struct err_case cases[] = {
		{ "standalone path", STANDALONE_ROUTE("{path: {regex: '/a[b'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"/a[b\" (Unmatched [, [^, [:, [., or [=)" },
		{ "standalone header",
		  STANDALONE_ROUTE("{headers: [{name: x, value: {regex: '(a'}}]}"),
		  "t.yaml:7:53: binds[0].listeners[0].routes[0].matches[0].headers[0].value.regex: "
		  "expected a valid regular expression, got \"(a\" (Unmatched ( or \\()" },
		{ "standalone query",
		  STANDALONE_ROUTE("{query: [{name: q, value: {regex: 'x{2,1}'}}]}"),
		  "t.yaml:7:51: binds[0].listeners[0].routes[0].matches[0].query[0].value.regex: "
		  "expected a valid regular expression, got \"x{2,1}\" (Invalid content of "
		  "\\{\\})" },
		/* glibc would take the ')' as a literal and unanchor the rest. */
		{ "kubernetes path", K8S_ROUTE("{path: {type: RegularExpression, value: 'a)|b'}}"),
		  "t.yaml:12:62: " RULE_KEY ".path.value: expected a valid regular expression, "
		  "got \"a)|b\" (Unmatched ) or \\))" },
		{ "kubernetes header",
		  K8S_ROUTE("{headers: [{name: x, type: RegularExpression, value: '*a'}]}"),
		  "t.yaml:12:75: " RULE_KEY ".headers[0].value: expected a valid regular "
		  "expression, got \"*a\" (Invalid preceding regular expression)" },
		{ "kubernetes query",
		  K8S_ROUTE("{queryParams: [{name: q, type: RegularExpression, value: "
			    "'[[:nope:]]'}]}"),
		  "t.yaml:12:79: " RULE_KEY ".queryParams[0].value: expected a valid regular "
		  "expression, got \"[[:nope:]]\" (Invalid character class name)" },
		/* Found by tests/fuzz/fuzz_config: each '+' doubles what glibc's
		 * regcomp builds; the input it found had dozens and took 2 GiB. */
		{ "stacked repetitions", STANDALONE_ROUTE("{path: {regex: '1s++0+++++++++++'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"1s++0+++++++++++\" (repetitions expand it past 2000 "
		  "elements)" },
		{ "nested repetitions",
		  STANDALONE_ROUTE("{path: {regex: '(((((((((((a+)+)+)+)+)+)+)+)+)+)+)+'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"(((((((((((a+)+)+)+)+)+)+)+)+)+)+)+\" (repetitions expand it past 2000 "
		  "elements)" },
		/* What the translation cannot say is refused, never taken as
		 * a literal letter. */
		{ "unsupported escape", STANDALONE_ROUTE("{path: {regex: '/\\p{L}'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"/\\p{L}\" (the escape \\p is not supported)" },
		{ "inline flags", STANDALONE_ROUTE("{path: {regex: '/a(?s).'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"/a(?s).\" (\"(?\" groups other than \"(?:\" and a leading \"(?i)\" are "
		  "not supported)" },
		/* Found by tests/fuzz/fuzz_cel: a loop over a group of loops
		 * took glibc's regcomp 28 s without being long. */
		{ "nested loops", STANDALONE_ROUTE("{path: {regex: '((a*)*){1000}'}}"),
		  "t.yaml:7:32: " PATH_KEY ".regex: expected a valid regular expression, got "
		  "\"((a*)*){1000}\" (repetitions expand it past 2000 elements)" },
		{ "bounds multiply",
		  K8S_ROUTE("{path: {type: RegularExpression, value: '(/a{1,100}){1,100}'}}"),
		  "t.yaml:12:62: " RULE_KEY ".path.value: expected a valid regular expression, "
		  "got \"(/a{1,100}){1,100}\" (repetitions expand it past 2000 elements)" },
	};

	expect_load_error(*state, cases, ARRAY_LEN(cases));
}

static void test_route_valid_regex_edge_cases_load(void **state)
{
	static const char *const ok[] = {
		STANDALONE_ROUTE("{path: {regex: '/[)]x'}}"),
		STANDALONE_ROUTE("{path: {regex: '/\\)'}}"),
		STANDALONE_ROUTE("{path: {regex: '/[]a]'}}"),
		STANDALONE_ROUTE("{path: {regex: '/[[:alpha:]]+'}}"),
		K8S_ROUTE("{path: {type: RegularExpression, value: '(/a|/b)(/c)?'}}"),
		/* within the expansion bound */
		STANDALONE_ROUTE("{path: {regex: '/a{1,1999}'}}"), /* exactly 2000 */
		STANDALONE_ROUTE("{path: {regex: '/v[0-9]+/[a-z0-9-]{1,64}(/[a-z]+)*/?'}}"),
		STANDALONE_ROUTE("{path: {regex: '/x{2}{3}{4}a+b+\\{[a-z]{,9}'}}"),
	};

	for (size_t i = 0; i < ARRAY_LEN(ok); i++)
		load_listener(*state, ok[i]);
}

/* ---- endpoint picking ----------------------------------------------------- */

/* splitmix64: a fixed, well-mixed sequence, so bounds are reproducible. */
static uint64_t next_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char weights_yaml[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - protocol: HTTP\n"
				   "    routes:\n"
				   "    - backends:\n"
				   "      - {host: 127.0.0.1:8001, weight: 1}\n"
				   "      - {host: 127.0.0.1:8002, weight: 0}\n"
				   "      - {host: 127.0.0.1:8003, weight: 3}\n"
				   "    - backends:\n"
				   "      - {host: 127.0.0.1:8001, weight: 0}\n"
				   "    - backends: []\n";

/* Draw DRAWS picks and count them per backend (at most 4). */
static void count_picks(const struct sg_brefs *bs, uint64_t tried, size_t counts[4])
{
	uint64_t seed = 42;

	memset(counts, 0, 4 * sizeof(counts[0]));
	for (int i = 0; i < DRAWS; i++) {
		size_t bi = 99, ei = 99;

		assert_true(sg_route_pick(bs, next_rnd(&seed), tried, &bi, &ei));
		assert_true(bi < bs->n && bi < 4);
		assert_true(ei < bs->v[bi].neps);
		counts[bi]++;
	}
}

static void test_route_pick_follows_weights(void **state)
{
	const struct sg_listener *l = load_listener(*state, weights_yaml);
	size_t counts[4];

	count_picks(&l->routes[0].backends, 0, counts);
	/* Expected 2500 / 0 / 7500; the bounds allow about 10 sigma. */
	assert_in_range(counts[0], 2100, 2900);
	assert_int_equal(counts[1], 0);
	assert_in_range(counts[2], 7100, 7900);
}

static void test_route_pick_needs_a_weighted_endpoint(void **state)
{
	const struct sg_listener *l = load_listener(*state, weights_yaml);
	size_t bi = 7, ei = 7;

	assert_false(sg_route_pick(&l->routes[1].backends, 1, 0, &bi, &ei));
	assert_false(sg_route_pick(&l->routes[2].backends, 1, 0, &bi, &ei));
	assert_int_equal(bi, 7);
	assert_int_equal(ei, 7);
}

static void test_route_pick_prefers_untried_backends(void **state)
{
	const struct sg_listener *l = load_listener(*state, weights_yaml);
	const struct sg_brefs *bs = &l->routes[0].backends;
	size_t counts[4];

	/* The heavy backend failed: everything goes to the light one. */
	count_picks(bs, SG_ROUTE_TRIED_BIT(2, 0), counts);
	assert_int_equal(counts[0], DRAWS);
	/* Everything tried: weights again, still never weight 0. */
	count_picks(bs, SG_ROUTE_TRIED_BIT(0, 0) | SG_ROUTE_TRIED_BIT(2, 0), counts);
	assert_in_range(counts[0], 2100, 2900);
	assert_int_equal(counts[1], 0);
	assert_in_range(counts[2], 7100, 7900);
}

static const char endpoints_yaml[] =
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: svc, namespace: ns}\n"
	"spec: {ports: [{name: web, port: 80, targetPort: 8000}]}\n"
	"---\n"
	"apiVersion: discovery.k8s.io/v1\n"
	"kind: EndpointSlice\n"
	"metadata:\n"
	"  name: svc-1\n"
	"  namespace: ns\n"
	"  labels: {kubernetes.io/service-name: svc}\n"
	"addressType: IPv4\n"
	"endpoints: [{addresses: [127.0.0.2, 127.0.0.3, 127.0.0.4]}]\n"
	"ports: [{name: web, port: 8000}]\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: Gateway\n"
	"metadata: {name: gw, namespace: ns}\n"
	"spec: {listeners: [{name: l, port: 8080, protocol: HTTP}]}\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata: {name: r, namespace: ns}\n"
	"spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: svc, "
	"port: 80}]}]}\n";

static void count_endpoints(const struct sg_brefs *bs, uint64_t tried, size_t counts[3])
{
	uint64_t seed = 7;

	memset(counts, 0, 3 * sizeof(counts[0]));
	for (int i = 0; i < DRAWS; i++) {
		size_t bi = 99, ei = 99;

		assert_true(sg_route_pick(bs, next_rnd(&seed), tried, &bi, &ei));
		assert_int_equal(bi, 0);
		assert_true(ei < 3);
		counts[ei]++;
	}
}

static void test_route_pick_spreads_and_avoids_tried_endpoints(void **state)
{
	const struct sg_listener *l = load_listener(*state, endpoints_yaml);
	const struct sg_brefs *bs = &l->routes[0].backends;
	size_t counts[3];

	assert_int_equal(bs->n, 1);
	assert_int_equal(bs->v[0].neps, 3);
	count_endpoints(bs, 0, counts);
	for (size_t i = 0; i < 3; i++)
		assert_in_range(counts[i], 2900, 3800);
	count_endpoints(bs, SG_ROUTE_TRIED_BIT(0, 0) | SG_ROUTE_TRIED_BIT(0, 2), counts);
	assert_int_equal(counts[1], DRAWS);
	count_endpoints(bs, SG_ROUTE_TRIED_BIT(0, 1), counts);
	assert_int_equal(counts[1], 0);
	assert_in_range(counts[0], 4500, 5500);
	count_endpoints(bs, 0x7, counts);
	for (size_t i = 0; i < 3; i++)
		assert_in_range(counts[i], 2900, 3800);
}

/* Listener isolation: the most specific listener hostname wins, whatever
 * the order the listeners are written in (exact over wildcard, longer
 * wildcard over shorter, then the catch-all). */
static void test_route_listener_most_specific(void **state)
{
	struct sg_listener ls[] = { { .hostname = "*.example.com" },
				    { .hostname = "*.foo.example.com" },
				    { .hostname = "bar.foo.example.com" },
				    { .hostname = "" } };
	struct sg_listener rev[] = { { .hostname = "" },
				     { .hostname = "bar.foo.example.com" },
				     { .hostname = "*.foo.example.com" },
				     { .hostname = "*.example.com" } };
	struct sg_bind b = { .listeners = ls, .nlisteners = 4 };
	struct sg_bind r = { .listeners = rev, .nlisteners = 4 };
	struct sg_bind wild = { .listeners = ls, .nlisteners = 2 };

	assert_ptr_equal(sg_route_listener(&b, "bar.foo.example.com", 19), &ls[2]);
	assert_ptr_equal(sg_route_listener(&b, "baz.foo.example.com", 19), &ls[1]);
	assert_ptr_equal(sg_route_listener(&b, "x.example.com:80", 16), &ls[0]);
	assert_ptr_equal(sg_route_listener(&b, "foo.example.com", 15), &ls[0]);
	assert_ptr_equal(sg_route_listener(&b, "example.com", 11), &ls[3]);
	assert_ptr_equal(sg_route_listener(&r, "bar.foo.example.com", 19), &rev[1]);
	assert_ptr_equal(sg_route_listener(&r, "baz.foo.example.com", 19), &rev[2]);
	assert_ptr_equal(sg_route_listener(&r, "x.example.com", 13), &rev[3]);
	assert_ptr_equal(sg_route_listener(&wild, "a.b.foo.example.com", 19), &ls[1]);
	assert_null(sg_route_listener(&wild, "example.org", 11));
}

/* An invalid backendRef, or a Service without a ready endpoint, keeps its
 * share of the weight: a request's first draw that lands on it picks
 * nothing (the caller answers 500), whatever was tried; the others' share
 * does not grow. A request that drew before (lb->again: its retry) had
 * its share: it never lands there. */
static void test_route_pick_invalid_backend_by_weight(void **state)
{
	struct sg_endpoint ep = { "127.0.0.1", 80 };
	struct sg_backend_ref v[] = {
		{ .kind = SG_BREF_INVALID, .weight = 1 },
		{ .kind = SG_BREF_SERVICE, .weight = 3, .eps = &ep, .neps = 1 },
	};
	struct sg_brefs bs = { v, 2, 2 };
	struct sg_route_lb again = { .again = true };
	size_t bi = 9, ei = 9, fails;

	for (int empty = 0; empty < 2; empty++) {
		if (empty)
			v[0] = (struct sg_backend_ref){ .kind = SG_BREF_SERVICE, .weight = 1 };
		for (uint64_t tried = 0; tried < 2; tried++) {
			fails = 0;
			for (uint64_t rnd = 0; rnd < 4000; rnd++) {
				if (!sg_route_pick(&bs, rnd * 0x9e3779b97f4a7c15ull,
						   tried * SG_ROUTE_TRIED_BIT(1, 0), &bi, &ei))
					fails++;
				else
					assert_int_equal(bi, 1);
			}
			assert_in_range(fails, 800, 1200);
		}
		for (uint64_t rnd = 0; rnd < 4000; rnd++) {
			assert_true(sg_route_pick_lb(&bs, rnd * 0x9e3779b97f4a7c15ull,
						     SG_ROUTE_TRIED_BIT(1, 0), &again, &bi, &ei));
			assert_int_equal(bi, 1);
		}
		bs.n = 1;
		assert_false(sg_route_pick(&bs, 12345, 0, &bi, &ei));
		bs.n = 2;
	}
}

/* A TCP listener's route: of TCPRoutes the oldest, then by namespace/name;
 * standalone ones keep their order. */
static void test_route_tcp_oldest(void **state)
{
	struct sg_tcp_route v[] = {
		{ .name = "b", .ns = "ns", .era = 2, .k8s = true },
		{ .name = "z", .ns = "ns", .era = 1, .k8s = true },
		{ .name = "a", .ns = "ns", .era = 1, .k8s = true },
	};
	struct sg_listener l = { .tcp_routes = v, .ntcp_routes = 3 };

	assert_ptr_equal(sg_route_tcp(&l), &v[2]);
	v[2].era = 3;
	assert_ptr_equal(sg_route_tcp(&l), &v[1]);
	for (size_t i = 0; i < 3; i++)
		v[i].k8s = false;
	assert_ptr_equal(sg_route_tcp(&l), &v[0]);
	l.ntcp_routes = 0;
	assert_null(sg_route_tcp(&l));
}

/* The listener for a Host / :authority: exact, then wildcard, then "". */
static void test_route_listener_by_host(void **state)
{
	struct sg_listener ls[] = { { .hostname = "" },
				    { .hostname = "*.example" },
				    { .hostname = "a.example" },
				    { .hostname = "*.b.example" } };
	struct sg_bind b = { .listeners = ls, .nlisteners = 4 };
	struct sg_bind none = { .listeners = ls + 2, .nlisteners = 1 };

	assert_ptr_equal(sg_route_listener(&b, "A.Example:8080", 14), &ls[2]);
	assert_ptr_equal(sg_route_listener(&b, "a.example.:8080", 15), &ls[2]); /* FQDN */
	assert_ptr_equal(sg_route_listener(&b, "x.b.example.", 12), &ls[3]);
	assert_ptr_equal(sg_route_listener(&b, "x.b.example", 11), &ls[3]); /* longest wildcard */
	assert_ptr_equal(sg_route_listener(&b, "x.c.example", 11), &ls[1]);
	assert_ptr_equal(sg_route_listener(&b, "example", 7), &ls[0]);
	assert_ptr_equal(sg_route_listener(&b, ".example", 8), &ls[0]); /* needs a label */
	assert_ptr_equal(sg_route_listener(&b, "[::1]:8080", 10), &ls[0]);
	assert_ptr_equal(sg_route_listener(&b, NULL, 0), &ls[0]);
	assert_ptr_equal(sg_route_listener(&none, "a.example", 9), &ls[2]);
	assert_null(sg_route_listener(&none, "b.example", 9));
	assert_null(sg_route_listener(&none, NULL, 0));
}

/* ---- TLS passthrough: the route by SNI ---------------------------------- */

static const char *tls_yaml = "binds:\n"
			      "- port: 8443\n"
			      "  listeners:\n"
			      "  - protocol: TLS\n"
			      "    tcpRoutes:\n"
			      "    - name: wide\n"
			      "      hostnames: ['*.example.com']\n"
			      "      backends: [{host: '127.0.0.1:1'}]\n"
			      "    - name: exact\n"
			      "      hostnames: [a.example.com, other.example]\n"
			      "      backends: [{host: '127.0.0.1:2'}]\n"
			      "    - name: narrow\n"
			      "      hostnames: ['*.b.example.com']\n"
			      "      backends: [{host: '127.0.0.1:3'}]\n"
			      "    - name: any\n"
			      "      backends: [{host: '127.0.0.1:4'}]\n"
			      "    - name: any2\n"
			      "      backends: [{host: '127.0.0.1:5'}]\n";

static const char *tls_route_name(const struct sg_listener *l, const char *sni)
{
	const struct sg_tcp_route *r = sg_route_tls(l, sni);

	return r ? r->name : NULL;
}

/* Exact name, then the longest matching wildcard, then a route without
 * names (the first of them); names compare case-insensitively. */
static void test_route_tls_sni_precedence(void **state)
{
	const struct sg_listener *l = load_listener(*state, tls_yaml);

	assert_int_equal(l->proto, SG_PROTO_TLS);
	assert_string_equal(tls_route_name(l, "a.example.com"), "exact");
	assert_string_equal(tls_route_name(l, "A.EXAMPLE.com"), "exact");
	assert_string_equal(tls_route_name(l, "other.example"), "exact");
	assert_string_equal(tls_route_name(l, "c.example.com"), "wide");
	assert_string_equal(tls_route_name(l, "x.y.example.com"), "wide");
	assert_string_equal(tls_route_name(l, "x.b.example.com"), "narrow");
	assert_string_equal(tls_route_name(l, "b.example.com"), "wide");
	assert_string_equal(tls_route_name(l, "example.com"), "any"); /* "*." needs a label */
	assert_string_equal(tls_route_name(l, "unknown.test"), "any");
}

/* Without a catch-all route an unknown name has no route; without SNI a
 * connection has neither listener nor route. */
static void test_route_tls_unknown_name_and_no_sni(void **state)
{
	const char *yaml = "binds:\n"
			   "- port: 8443\n"
			   "  listeners:\n"
			   "  - protocol: TLS\n"
			   "    tcpRoutes:\n"
			   "    - name: a\n"
			   "      hostnames: [a.example]\n"
			   "      backends: [{host: '127.0.0.1:1'}]\n";
	const struct sg_listener *l = load_listener(*state, yaml), *got = l;
	const struct sg_bind *b = &((struct loaded *)*state)->cfg->binds[0];

	assert_null(tls_route_name(l, "b.example"));
	assert_null(tls_route_name(l, "xa.example"));
	assert_non_null(sg_route_sni(b, "a.example", &got));
	assert_ptr_equal(got, l);
	assert_null(sg_route_sni(b, "b.example", &got));
	assert_ptr_equal(got, l);
	assert_null(sg_route_sni(b, NULL, &got));
	assert_null(got);
}

/* Kubernetes: TLS listeners on one port chosen by their hostname first,
 * then the TLSRoute by its hostnames; a TLSRoute whose hostnames miss a
 * listener's does not attach there. */
static void test_route_tls_kubernetes_listeners(void **state)
{
	const char *yaml = "apiVersion: gateway.networking.k8s.io/v1\n"
			   "kind: Gateway\n"
			   "metadata: {name: gw, namespace: default}\n"
			   "spec:\n"
			   "  gatewayClassName: agentgateway\n"
			   "  listeners:\n"
			   "  - {name: one, port: 8443, protocol: TLS, hostname: one.example,\n"
			   "     tls: {mode: Passthrough}}\n"
			   "  - {name: wild, port: 8443, protocol: TLS, hostname: '*.example',\n"
			   "     tls: {mode: Passthrough}}\n"
			   "---\n"
			   "apiVersion: v1\n"
			   "kind: Service\n"
			   "metadata: {name: s, namespace: default}\n"
			   "spec: {clusterIP: 127.0.0.1, ports: [{port: 443, targetPort: 9443}]}\n"
			   "---\n"
			   "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
			   "kind: TLSRoute\n"
			   "metadata: {name: r1, namespace: default}\n"
			   "spec:\n"
			   "  parentRefs: [{name: gw}]\n"
			   "  hostnames: [one.example, two.example]\n"
			   "  rules: [{backendRefs: [{name: s, port: 443}]}]\n"
			   "---\n"
			   "apiVersion: gateway.networking.k8s.io/v1\n"
			   "kind: TLSRoute\n"
			   "metadata: {name: r2, namespace: default}\n"
			   "spec:\n"
			   "  parentRefs: [{name: gw, sectionName: wild}]\n"
			   "  hostnames: ['*.example']\n"
			   "  rules: [{backendRefs: [{name: s, port: 443, weight: 3}]}]\n";
	const struct sg_listener *l;
	const struct sg_tcp_route *r;
	const struct sg_bind *b;

	load_listener(*state, yaml);
	b = &((struct loaded *)*state)->cfg->binds[0];
	assert_int_equal(b->proto, SG_PROTO_TLS);
	assert_int_equal(b->nlisteners, 2);
	/* r1 attaches to both (two.example is under *.example), r2 to wild. */
	assert_int_equal(b->listeners[0].ntcp_routes, 1);
	assert_int_equal(b->listeners[1].ntcp_routes, 2);
	r = sg_route_sni(b, "one.example", &l);
	assert_ptr_equal(l, &b->listeners[0]);
	assert_string_equal(r->name, "r1");
	assert_int_equal(r->backends.v[0].eps[0].port, 9443);
	r = sg_route_sni(b, "two.example", &l);
	assert_ptr_equal(l, &b->listeners[1]);
	assert_string_equal(r->name, "r1");
	r = sg_route_sni(b, "three.example", &l);
	assert_ptr_equal(l, &b->listeners[1]);
	assert_string_equal(r->name, "r2");
	assert_int_equal(r->backends.v[0].weight, 3);
	assert_null(sg_route_sni(b, "one.other", &l));
	assert_null(l);
}

/* ---- route groups ------------------------------------------------------- */

static const char groups_yaml[] = "binds:\n"
				  "- port: 8080\n"
				  "  listeners:\n"
				  "  - routes:\n"
				  "    - name: top\n"
				  "      matches: [{path: {pathPrefix: /api}}]\n"
				  "      backends: [{routeGroup: api}]\n"
				  "    - name: half\n"
				  "      matches: [{path: {pathPrefix: /half}}]\n"
				  "      backends: [{routeGroup: api, weight: 1},\n"
				  "                 {host: 127.0.0.1:8001, weight: 3}]\n"
				  "    - name: plain\n"
				  "      backends: [{host: 127.0.0.1:8000}]\n"
				  "routeGroups:\n"
				  "- name: api\n"
				  "  routes:\n"
				  "  - name: v1\n"
				  "    matches: [{path: {pathPrefix: /api/v1}}]\n"
				  "    backends: [{routeGroup: v1}]\n"
				  "  - name: any\n"
				  "    matches: [{path: {pathPrefix: /half}}]\n"
				  "    backends: [{host: 127.0.0.1:8002}]\n"
				  "- name: v1\n"
				  "  routes:\n"
				  "  - name: users\n"
				  "    hostnames: [users.example]\n"
				  "    matches: [{path: {pathPrefix: /api/v1}}]\n"
				  "    backends: [{host: 127.0.0.1:8003}]\n"
				  "  - name: exact\n"
				  "    matches: [{path: {exact: /api/v1/me}}]\n"
				  "    backends: [{host: 127.0.0.1:8004}]\n";

/* The route the request ends on, after its delegations ("404": none). */
static const char *follow_name(const struct sg_listener *l, const char *host, const char *path,
			       uint64_t *rng)
{
	struct sg_route_input in = {
		.host = host,
		.host_len = strlen(host),
		.path = path,
		.path_len = strlen(path),
		.method = "GET",
		.method_len = 3,
	};
	const struct sg_match *m = NULL;
	const struct sg_route *r = sg_route_follow(sg_route_select_match(l, &in, &m), &in, rng, &m);

	if (!r) {
		assert_null(m);
		return "404";
	}
	assert_non_null(m);
	return r->name;
}

/* Delegation through two groups: within a group the hostname and match
 * precedence of a listener's routes; no match in a group is a 404; a
 * route without a group backend draws nothing. */
static void test_route_follow_groups(void **state)
{
	const struct sg_listener *l = load_listener(*state, groups_yaml);
	uint64_t rng = 42, before;

	assert_string_equal(follow_name(l, "a.example", "/api/v1/me", &rng), "exact");
	assert_string_equal(follow_name(l, "users.example", "/api/v1/me", &rng), "users");
	assert_string_equal(follow_name(l, "a.example", "/api/v1/x", &rng), "404");
	assert_string_equal(follow_name(l, "a.example", "/api/other", &rng), "404");
	before = rng;
	assert_string_equal(follow_name(l, "a.example", "/else", &rng), "plain");
	assert_true(rng == before);
}

/* A route with a group and a host backend: the group is drawn for its
 * weight, and the attempts' draw never picks it. */
static void test_route_follow_mixed_weights(void **state)
{
	const struct sg_listener *l = load_listener(*state, groups_yaml);
	const struct sg_route *half = &l->routes[1];
	uint64_t rng = 7;
	int delegated = 0;
	size_t bi, ei;

	assert_true(half->delegates);
	for (int i = 0; i < DRAWS; i++) {
		const char *got = follow_name(l, "a.example", "/half", &rng);

		if (!strcmp(got, "any"))
			delegated++;
		else
			assert_string_equal(got, "half");
	}
	/* 1 in 4, generously */
	assert_in_range(delegated, DRAWS / 4 - DRAWS / 20, DRAWS / 4 + DRAWS / 20);
	for (int i = 0; i < 100; i++) {
		assert_true(sg_route_pick(&half->backends, sg_route_random(&rng), 0, &bi, &ei));
		assert_int_equal(bi, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, loaded_setup, loaded_teardown)
		T(test_route_hostname_precedence),
		T(test_route_hostname_ignores_port_and_case),
		T(test_route_hostname_without_routes_is_404),
		T(test_route_path_exact_before_prefix_longest_first),
		T(test_route_select_reports_the_best_match),
		T(test_route_path_prefix_is_segment_wise),
		T(test_route_regex_is_anchored_and_last),
		T(test_route_regex_perl_classes),
		T(test_route_tcp_oldest),
		T(test_route_method_beats_headers_beat_query),
		T(test_route_header_matches),
		T(test_route_query_matches),
		T(test_route_ties_go_to_config_order),
		T(test_route_kubernetes_dialect),
		T(test_route_invalid_regex_is_a_load_error),
		T(test_route_valid_regex_edge_cases_load),
		T(test_route_pick_follows_weights),
		T(test_route_pick_needs_a_weighted_endpoint),
		T(test_route_pick_prefers_untried_backends),
		T(test_route_pick_spreads_and_avoids_tried_endpoints),
		T(test_route_tls_sni_precedence),
		T(test_route_tls_unknown_name_and_no_sni),
		T(test_route_tls_kubernetes_listeners),
		T(test_route_follow_groups),
		T(test_route_follow_mixed_weights),
#undef T
		cmocka_unit_test(test_route_listener_by_host),
		cmocka_unit_test(test_route_listener_most_specific),
		cmocka_unit_test(test_route_pick_invalid_backend_by_weight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
