/* Unit tests of config/regex.c through a loaded config and
 * sg_regex_match: a match is of the whole value, Perl-style classes
 * mean what agentgateway's regex crate reads, values longer than the
 * stack copy, a match shared by two routes compiled once, every bad
 * expression of a load reported. (test_route.c holds routing by regex
 * and the refusals' exact messages.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/regex.h"

/* A config of one route per pattern (path regexes); NULL on a load error
 * (d keeps the lines). */
static struct sg_cfg *load(struct sg_diag *d, const char *const *patterns, size_t n)
{
	char text[8192];
	size_t o = 0;

	o += (size_t)snprintf(text, sizeof(text),
			      "binds:\n- port: 8080\n  listeners:\n  - protocol: HTTP\n"
			      "    routes:\n");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "    - backends: [{host: 127.0.0.1:8000}]\n"
				      "      matches: [{path: {regex: '%s'}}]\n",
				      patterns[i]);
	assert_true(o < sizeof(text));
	sg_diag_init(d);
	return sg_cfg_load_text("t.yaml", text, d);
}

/* The compiled form of route i's path regex. */
static const void *re_of(const struct sg_cfg *c, size_t i)
{
	return c->binds[0].listeners[0].routes[i].matches[0].re;
}

static bool matches(const void *re, const char *s)
{
	return sg_regex_match(re, s, strlen(s));
}

/* The whole value, and the whole alternation, or nothing; a span that is
 * not NUL-terminated is read to its length only. */
static void test_regex_whole_value(void **unused)
{
	static const char *const p[] = { "/a|/b", "/v[0-9]+" };
	struct sg_diag d;
	struct sg_cfg *c = load(&d, p, 2);

	assert_non_null(c);
	assert_true(matches(re_of(c, 0), "/a"));
	assert_true(matches(re_of(c, 0), "/b"));
	assert_false(matches(re_of(c, 0), "/ab"));
	assert_false(matches(re_of(c, 0), "x/a"));
	assert_false(matches(re_of(c, 0), ""));
	assert_true(matches(re_of(c, 1), "/v12"));
	assert_false(matches(re_of(c, 1), "/v12/"));
	assert_true(sg_regex_match(re_of(c, 1), "/v12/x", 4));	/* "/v12" */
	assert_true(sg_regex_match(re_of(c, 1), "/v12/x", 3));	/* "/v1" */
	assert_false(sg_regex_match(re_of(c, 1), "/v12/x", 2)); /* "/v" */
	assert_false(sg_regex_match(NULL, "/v1", 3));		/* no expression matches nothing */
	sg_cfg_unref(c);
	sg_diag_free(&d);
}

/* What agentgateway's patterns mean: \d is a digit (not the letter d),
 * \w a word character, (?i) any case, (?:) a group, a lazy repetition
 * the greedy one (the same for a whole-value match), \t a tab. */
static void test_regex_perl_classes(void **unused)
{
	static const char *const p[] = { "/\\d+", "/[\\w-]+", "(?i)/abc", "/(?:x|y)+?z", "/a\\tb" };
	struct sg_diag d;
	struct sg_cfg *c = load(&d, p, 5);

	assert_non_null(c);
	assert_true(matches(re_of(c, 0), "/2026"));
	assert_false(matches(re_of(c, 0), "/ddd"));
	assert_true(matches(re_of(c, 1), "/a_b-9"));
	assert_false(matches(re_of(c, 1), "/a.b"));
	assert_true(matches(re_of(c, 2), "/ABC"));
	assert_true(matches(re_of(c, 2), "/aBc"));
	assert_true(matches(re_of(c, 3), "/xyxz"));
	assert_false(matches(re_of(c, 3), "/z"));
	assert_true(matches(re_of(c, 4), "/a\tb"));
	assert_false(matches(re_of(c, 4), "/atb"));
	sg_cfg_unref(c);
	sg_diag_free(&d);
}

/* A value longer than the matcher's stack copy (1 KiB) is matched whole
 * all the same. */
static void test_regex_long_value(void **unused)
{
	static const char *const p[] = { "/a+", "/a{1,3}" };
	size_t len = 5000;
	char *v = malloc(len + 1);
	struct sg_diag d;
	struct sg_cfg *c = load(&d, p, 2);

	assert_non_null(c);
	assert_non_null(v);
	v[0] = '/';
	memset(v + 1, 'a', len - 1);
	v[len] = '\0';
	assert_true(sg_regex_match(re_of(c, 0), v, len));
	assert_false(sg_regex_match(re_of(c, 1), v, len));
	v[len - 1] = 'b';
	assert_false(sg_regex_match(re_of(c, 0), v, len));
	free(v);
	sg_cfg_unref(c);
	sg_diag_free(&d);
}

/* An HTTPRoute with two parents is two routes sharing one match: its
 * expression is compiled once. */
static void test_regex_shared_match_compiled_once(void **unused)
{
	static const char text[] = "apiVersion: gateway.networking.k8s.io/v1\n"
				   "kind: Gateway\n"
				   "metadata: {name: gw}\n"
				   "spec: {listeners: [{name: a, port: 8080, protocol: HTTP},\n"
				   "                   {name: b, port: 8081, protocol: HTTP}]}\n"
				   "---\n"
				   "apiVersion: gateway.networking.k8s.io/v1\n"
				   "kind: HTTPRoute\n"
				   "metadata: {name: r}\n"
				   "spec:\n"
				   "  parentRefs: [{name: gw}]\n"
				   "  rules: [{matches: [{path: {type: RegularExpression, "
				   "value: '/v[0-9]'}}]}]\n";
	struct sg_diag d;
	struct sg_cfg *c;

	sg_diag_init(&d);
	c = sg_cfg_load_text("t.yaml", text, &d);
	assert_non_null(c);
	assert_int_equal(c->nbinds, 2);
	assert_int_equal(c->nregexes, 1);
	assert_ptr_equal(c->binds[0].listeners[0].routes[0].matches[0].re,
			 c->binds[1].listeners[0].routes[0].matches[0].re);
	assert_true(matches(c->binds[1].listeners[0].routes[0].matches[0].re, "/v1"));
	sg_cfg_unref(c);
	sg_diag_free(&d);
}

/* One load names every bad expression, each once, in order. */
static void test_regex_every_error_reported(void **unused)
{
	static const char *const p[] = { "/ok", "/a(", "/fine[0-9]", "/\\p{L}" };
	struct sg_diag d;
	struct sg_cfg *c = load(&d, p, 4);

	assert_null(c);
	assert_int_equal(d.errors, 2);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.lines[0], "routes[1].matches[0].path.regex: expected a valid "
					   "regular expression, got \"/a(\""));
	assert_non_null(strstr(d.lines[1], "routes[3].matches[0].path.regex: expected a valid "
					   "regular expression, got \"/\\p{L}\" (the escape \\p is "
					   "not supported)"));
	sg_diag_free(&d);
}

/* A backreference is refused by name at load: RE2 and Rust's regex have
 * none, and glibc's matcher recursed without bound on "(|)(\1\1)*". */
static void test_regex_backreference_refused(void **unused)
{
	static const char *const p[] = { "/(|)(\\1\\1)*", "/[\\1]" };
	struct sg_diag d;
	struct sg_cfg *c = load(&d, p, 2);

	assert_null(c);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.lines[0], "routes[0].matches[0].path.regex: expected a valid "
					   "regular expression, got \"/(|)(\\1\\1)*\" "
					   "(backreferences (\\1) are not supported)"));
	sg_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_whole_value),
		cmocka_unit_test(test_regex_perl_classes),
		cmocka_unit_test(test_regex_long_value),
		cmocka_unit_test(test_regex_shared_match_compiled_once),
		cmocka_unit_test(test_regex_every_error_reported),
		cmocka_unit_test(test_regex_backreference_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
