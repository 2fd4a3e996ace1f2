/* Tests for policy/pathnorm.c: request paths normalised before routing,
 * table by table (RFC 3986 §6.2.2 and §5.2.4, Envoy's merge_slashes and
 * path_with_escaped_slashes_action). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy/pathnorm.h"

static const struct sg_path_rules defaults = { .normalize = true, .merge_slashes = true };

/* A path and its form; NULL: refused. */
struct row {
	const char *in, *out;
};

static void check(const struct sg_path_rules *rules, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rows[i].in), olen = 0;
		char out[256];
		enum sg_pathnorm_result res;

		res = sg_pathnorm(rows[i].in, len, rules, out, &olen);
		if (!rows[i].out) {
			if (res != SG_PATHNORM_REJECT)
				fail_msg("%s: expected refused, got %.*s", rows[i].in, (int)olen,
					 out);
			continue;
		}
		if (res == SG_PATHNORM_REJECT)
			fail_msg("%s: refused, expected %s", rows[i].in, rows[i].out);
		if (olen != strlen(rows[i].out) || memcmp(out, rows[i].out, olen))
			fail_msg("%s: got %.*s, expected %s", rows[i].in, (int)olen, out,
				 rows[i].out);
		assert_int_equal(res, strcmp(rows[i].in, rows[i].out) ? SG_PATHNORM_CHANGED
								      : SG_PATHNORM_SAME);
		/* What needed no look needs no change. */
		if (!sg_pathnorm_needed(rows[i].in, len, rules))
			assert_int_equal(res, SG_PATHNORM_SAME);
	}
}

/* The spellings of issue 63's rate-limit bypass, and the rest of RFC 3986
 * §5.2.4's cases. */
static void test_pathnorm_dot_segments(void **state)
{
	static const struct row rows[] = {
		{ "/rl", "/rl" },
		{ "/x/../rl", "/rl" },
		{ "//rl", "/rl" },
		{ "/./rl", "/rl" },
		{ "/%72l", "/rl" },
		{ "/%2e/rl", "/rl" },
		{ "/api/../admin", "/admin" },
		{ "/api/%2e%2e/admin", "/admin" },
		{ "/api/%2E%2E/admin", "/admin" },
		{ "/api/.%2e/admin", "/admin" },
		{ "/api/x/../../admin", "/admin" },
		{ "/..", "/" },
		{ "/../../a", "/a" },
		{ "/a/..", "/" },
		{ "/a/.", "/a/" },
		{ "/a/./b/", "/a/b/" },
		{ "/a/b/../c/./d", "/a/c/d" },
		{ "/.", "/" },
		{ "/", "/" },
		{ "/.hidden/..x/x..", "/.hidden/..x/x.." },
		{ "/a/...", "/a/..." },
		{ "/a/b/c/../../../..", "/" },
	};

	check(&defaults, rows, sizeof(rows) / sizeof(rows[0]));
}

/* Unreserved escapes decoded, the others' digits uppercased; a stray '%'
 * refused (it could stand before digits a decoded escape makes). */
static void test_pathnorm_escapes(void **state)
{
	static const struct row rows[] = {
		{ "/%41%7a%30%2D%5f%7E", "/Az0-_~" },
		{ "/a%20b", "/a%20b" },
		{ "/a%3fb%3Fc", "/a%3Fb%3Fc" },
		{ "/%25", "/%25" },
		{ "/%2541", "/%2541" },
		{ "/a%2fb", "/a%2Fb" },
		{ "/a%5cb", "/a%5Cb" },
		{ "/%e2%82%ac", "/%E2%82%AC" },
		{ "/%", NULL },
		{ "/%4", NULL },
		{ "/%zz", NULL },
		{ "/%%34%31", NULL },
		{ "/a%2", NULL },
	};

	check(&defaults, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_pathnorm_slashes(void **state)
{
	static const struct row merged[] = {
		{ "//", "/" },
		{ "/a//b///c", "/a/b/c" },
		{ "/a//../b", "/b" },
		{ "/a/b//", "/a/b/" },
	};
	static const struct row kept[] = {
		{ "//", "//" },
		{ "/a//b", "/a//b" },
		{ "/a//../b", "/a/b" },
	};
	struct sg_path_rules r = defaults;

	check(&defaults, merged, sizeof(merged) / sizeof(merged[0]));
	r.merge_slashes = false;
	check(&r, kept, sizeof(kept) / sizeof(kept[0]));
}

/* %2F and %5C: kept (uppercased), refused or decoded, whether or not the
 * rest is normalised; decoded, they merge and end dot segments too. */
static void test_pathnorm_escaped_slashes(void **state)
{
	static const struct row refused[] = {
		{ "/a%2fb", NULL },
		{ "/a%5Cb", NULL },
		{ "/a%252fb", "/a%252fb" },
	};
	static const struct row decoded[] = {
		{ "/a%2fb", "/a/b" },
		{ "/a%5Cb", "/a\\b" },
		{ "/a%2F%2Fb", "/a/b" },
		{ "/a%2f..%2fb", "/b" },
	};
	static const struct row raw_decoded[] = {
		{ "/a%2fb/../%41", "/a/b/../%41" },
		{ "/%zz%2f", "/%zz/" },
	};
	struct sg_path_rules r = defaults;

	r.escaped_slashes = SG_SLASHES_REJECT;
	r.normalize = false;
	check(&r, refused, sizeof(refused) / sizeof(refused[0]));
	r.normalize = true;
	r.escaped_slashes = SG_SLASHES_DECODE;
	check(&r, decoded, sizeof(decoded) / sizeof(decoded[0]));
	r.normalize = false;
	r.merge_slashes = false;
	check(&r, raw_decoded, sizeof(raw_decoded) / sizeof(raw_decoded[0]));
}

/* Everything off: nothing changes, whatever the path holds. */
static void test_pathnorm_off(void **state)
{
	static const struct row rows[] = {
		{ "/x/../rl", "/x/../rl" },
		{ "//rl", "//rl" },
		{ "/%72l%2f%", "/%72l%2f%" },
	};
	struct sg_path_rules off = { 0 };

	check(&off, rows, sizeof(rows) / sizeof(rows[0]));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_false(sg_pathnorm_needed(rows[i].in, strlen(rows[i].in), &off));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pathnorm_dot_segments),
		cmocka_unit_test(test_pathnorm_escapes),
		cmocka_unit_test(test_pathnorm_slashes),
		cmocka_unit_test(test_pathnorm_escaped_slashes),
		cmocka_unit_test(test_pathnorm_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
