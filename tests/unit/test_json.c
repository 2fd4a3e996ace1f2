/* Unit tests for user/json: building, the three print layouts byte for byte
 * (config_dump, /resources and `splicegate get` depend on them), parsing,
 * lookups, string escapes and number formats. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/json.h"

/* Print v in `style`, compare with want, free the text. */
static void expect_print(const struct sg_json *v, enum sg_json_style style, const char *want)
{
	char *got = sg_json_print(v, style);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* {"s":"x","n":42,"t":true,"f":false,"z":null,"a":[1,"two",{}],"o":{"k":[]}} */
static struct sg_json *sample(void)
{
	struct sg_json *root = sg_json_object(), *a, *o;

	assert_non_null(root);
	assert_int_equal(sg_json_add_str(root, "s", "x"), 0);
	assert_int_equal(sg_json_add_num(root, "n", 42), 0);
	assert_int_equal(sg_json_add_bool(root, "t", true), 0);
	assert_int_equal(sg_json_add_bool(root, "f", false), 0);
	assert_int_equal(sg_json_add_null(root, "z"), 0);
	a = sg_json_add_array(root, "a");
	assert_non_null(a);
	assert_int_equal(sg_json_push(a, sg_json_number(1)), 0);
	assert_int_equal(sg_json_push(a, sg_json_string("two")), 0);
	assert_int_equal(sg_json_push(a, sg_json_object()), 0);
	o = sg_json_object();
	assert_non_null(sg_json_add_array(o, "k"));
	assert_int_equal(sg_json_add(root, "o", o), 0);
	return root;
}

static void test_json_builds_in_order(void **state)
{
	struct sg_json *root = sample();
	const char *keys[] = { "s", "n", "t", "f", "z", "a", "o" };
	enum sg_json_type types[] = { SG_JSON_STRING, SG_JSON_NUMBER, SG_JSON_TRUE,  SG_JSON_FALSE,
				      SG_JSON_NULL,   SG_JSON_ARRAY,  SG_JSON_OBJECT };
	size_t i = 0;

	assert_int_equal(sg_json_type(root), SG_JSON_OBJECT);
	for (const struct sg_json *m = sg_json_first(root); m; m = sg_json_next(m), i++) {
		assert_true(i < 7);
		assert_string_equal(sg_json_key(m), keys[i]);
		assert_int_equal(sg_json_type(m), types[i]);
	}
	assert_int_equal(i, 7);
	sg_json_free(root);
}

static void test_json_prints_compact(void **state)
{
	struct sg_json *root = sample();

	expect_print(root, SG_JSON_COMPACT,
		     "{\"s\":\"x\",\"n\":42,\"t\":true,\"f\":false,\"z\":null,"
		     "\"a\":[1,\"two\",{}],\"o\":{\"k\":[]}}");
	sg_json_free(root);
}

/* cJSON's layout, which /resources, /stats and `get -o json` print. */
static void test_json_prints_tabs(void **state)
{
	struct sg_json *root = sample(), *empty = sg_json_object(), *list = sg_json_array();

	expect_print(root, SG_JSON_TABS,
		     "{\n"
		     "\t\"s\":\t\"x\",\n"
		     "\t\"n\":\t42,\n"
		     "\t\"t\":\ttrue,\n"
		     "\t\"f\":\tfalse,\n"
		     "\t\"z\":\tnull,\n"
		     "\t\"a\":\t[1, \"two\", {\n"
		     "\t\t}],\n"
		     "\t\"o\":\t{\n"
		     "\t\t\"k\":\t[]\n"
		     "\t}\n"
		     "}");
	expect_print(empty, SG_JSON_TABS, "{\n}");
	expect_print(list, SG_JSON_TABS, "[]");
	sg_json_free(root);
	sg_json_free(empty);
	sg_json_free(list);
}

/* serde_json's pretty layout, which config_dump prints. */
static void test_json_prints_indent(void **state)
{
	struct sg_json *root = sample(), *empty = sg_json_object(), *s = sg_json_string("x");

	expect_print(root, SG_JSON_INDENT,
		     "{\n"
		     "  \"s\": \"x\",\n"
		     "  \"n\": 42,\n"
		     "  \"t\": true,\n"
		     "  \"f\": false,\n"
		     "  \"z\": null,\n"
		     "  \"a\": [\n"
		     "    1,\n"
		     "    \"two\",\n"
		     "    {}\n"
		     "  ],\n"
		     "  \"o\": {\n"
		     "    \"k\": []\n"
		     "  }\n"
		     "}");
	expect_print(empty, SG_JSON_INDENT, "{}");
	expect_print(s, SG_JSON_INDENT, "\"x\"");
	sg_json_free(root);
	sg_json_free(empty);
	sg_json_free(s);
}

/* ", \ and control characters are escaped, in values and in keys; "/",
 * DEL and UTF-8 are not. */
static void test_json_escapes_strings(void **state)
{
	const char *raw = "q\"b\\n\nt\tr\rf\fb\bc\x01/\x7f\xc3\xa9";
	const char *esc = "\"q\\\"b\\\\n\\nt\\tr\\rf\\fb\\bc\\u0001/\x7f\xc3\xa9\"";
	struct sg_json *s = sg_json_string(raw), *o = sg_json_object(), *back;
	char want[128];

	expect_print(s, SG_JSON_COMPACT, esc);
	assert_int_equal(sg_json_add_str(o, raw, "v"), 0);
	snprintf(want, sizeof(want), "{\n  %s: \"v\"\n}", esc);
	expect_print(o, SG_JSON_INDENT, want);
	snprintf(want, sizeof(want), "{%s:\"v\"}", esc);
	expect_print(o, SG_JSON_COMPACT, want);

	/* and read back to the same bytes, \u escapes included */
	back = sg_json_parse(esc);
	assert_string_equal(sg_json_str(back), raw);
	sg_json_free(back);
	back = sg_json_parse("\"\\u00e9\\/\\u0041\"");
	assert_string_equal(sg_json_str(back), "\xc3\xa9/A");
	sg_json_free(back);
	sg_json_free(s);
	sg_json_free(o);
}

static void test_json_formats_numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ -1, "-1" },
		{ 443, "443" },
		{ 2147483647.0, "2147483647" },
		{ 2147483648.0, "2147483648" },
		{ -2147483649.0, "-2147483649" },
		{ 3000000000.0, "3000000000" },
		{ 4294967296.0, "4294967296" },
		{ 1e20, "1e+20" },
		{ 1.5, "1.5" },
		{ 0.1, "0.1" },
		{ 1.0 / 3, "0.33333333333333331" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_json *n = sg_json_number(cases[i].v);

		expect_print(n, SG_JSON_COMPACT, cases[i].want);
		sg_json_free(n);
	}
	for (int i = 0; i < 2; i++) {
		struct sg_json *n = sg_json_number(i ? INFINITY : NAN);

		expect_print(n, SG_JSON_COMPACT, "null");
		sg_json_free(n);
	}
}

static void test_json_parses_numbers(void **state)
{
	static const struct {
		const char *in;
		double want;
	} cases[] = {
		{ "0", 0 },
		{ "-12", -12 },
		{ "1e3", 1000 },
		{ "2.5E-1", 0.25 },
		{ "4294967296", 4294967296.0 },
	};
	struct sg_json *s = sg_json_parse("\"7\"");
	double got = -1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_json *n = sg_json_parse(cases[i].in);

		assert_int_equal(sg_json_type(n), SG_JSON_NUMBER);
		assert_int_equal(sg_json_num(n, &got), 0);
		assert_true(got == cases[i].want);
		sg_json_free(n);
	}
	/* a string of digits is not a number */
	assert_int_equal(sg_json_num(s, &got), -EINVAL);
	assert_int_equal(sg_json_num(NULL, &got), -EINVAL);
	sg_json_free(s);
}

/* sg_json_parse_exact: a number prints again as it was written, read as
 * its double; one outside JSON's grammar is no JSON. */
static void test_json_parse_exact_keeps_numbers(void **state)
{
	static const char *const kept[] = {
		"[9007199254740993,1.5,0.1,-0,1E2,1e-7,123456789012345,1234567890123456,-3,0]",
		"{\"a\":{\"b\":[\"-1 \\\"2\",18446744073709551617]},\"c\":-2.50}",
	};
	static const char *const refused[] = { "01", "[1.]", "{\"a\":-01}", "[1,+1]", "0.e1" };
	struct sg_json *j;
	double d = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		j = sg_json_parse_exact(kept[i]);
		assert_non_null(j);
		expect_print(j, SG_JSON_COMPACT, kept[i]);
		sg_json_free(j);
	}
	j = sg_json_parse_exact("[9007199254740993,7]");
	assert_int_equal(sg_json_type(sg_json_first(j)), SG_JSON_NUMBER);
	assert_int_equal(sg_json_num(sg_json_first(j), &d), 0);
	assert_true(d == 9007199254740992.0);
	assert_string_equal(sg_json_num_text(sg_json_first(j)), "9007199254740993");
	assert_null(sg_json_num_text(sg_json_next(sg_json_first(j)))); /* 7 prints as 7 */
	sg_json_free(j);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_null(sg_json_parse_exact(refused[i]));
}

static void test_json_parses_documents(void **state)
{
	const char *text = "{ \"items\": [ {\"name\": \"a\"}, {\"name\": \"b\"} ],\n"
			   "  \"kind\": \"List\", \"ok\": true, \"none\": null }";
	struct sg_json *doc = sg_json_parse(text), *items;
	const char *names[] = { "a", "b" };
	size_t i = 0;

	assert_int_equal(sg_json_type(doc), SG_JSON_OBJECT);
	items = sg_json_get(doc, "items");
	assert_int_equal(sg_json_type(items), SG_JSON_ARRAY);
	for (const struct sg_json *it = sg_json_first(items); it; it = sg_json_next(it), i++) {
		assert_null(sg_json_key(it)); /* array elements have no name */
		assert_string_equal(sg_json_str(sg_json_get(it, "name")), names[i]);
	}
	assert_int_equal(i, 2);
	assert_string_equal(sg_json_str(sg_json_get(doc, "kind")), "List");
	assert_int_equal(sg_json_type(sg_json_get(doc, "ok")), SG_JSON_TRUE);
	assert_int_equal(sg_json_type(sg_json_get(doc, "none")), SG_JSON_NULL);
	expect_print(doc, SG_JSON_COMPACT,
		     "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"kind\":\"List\","
		     "\"ok\":true,\"none\":null}");
	sg_json_free(doc);
}

static void test_json_rejects_invalid_text(void **state)
{
	const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "nul", "\"open", "{'a': 1}", "-" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(sg_json_parse(bad[i]));
	assert_null(sg_json_parse(NULL));
}

/* One JSON text is one value: anything but whitespace after it makes it
 * no JSON (serde_json's "trailing characters"). */
static void test_json_refuses_trailing_characters(void **state)
{
	const char *bad[] = { "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}", "1 2", "[]]",
			      "{\"method\":\"x\"}garbage" };
	struct sg_json *doc = sg_json_parse(" \t{\"a\":1}\r\n ");

	expect_print(doc, SG_JSON_COMPACT, "{\"a\":1}");
	sg_json_free(doc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(sg_json_parse(bad[i]));
}

static void test_json_looks_up_safely(void **state)
{
	struct sg_json *doc = sg_json_parse("{\"a\":{\"b\":\"c\"},\"A\":1,\"l\":[\"x\"]}");

	assert_string_equal(sg_json_str(sg_json_get(sg_json_get(doc, "a"), "b")), "c");
	/* case-sensitive; missing keys and non-objects give NULL, and NULL
	 * goes through every lookup */
	assert_int_equal(sg_json_type(sg_json_get(doc, "A")), SG_JSON_NUMBER);
	assert_null(sg_json_get(doc, "B"));
	assert_null(sg_json_get(sg_json_get(doc, "l"), "x"));
	assert_null(sg_json_get(sg_json_get(sg_json_get(doc, "nope"), "b"), "c"));
	assert_null(sg_json_get(doc, NULL));
	assert_null(sg_json_str(sg_json_get(doc, "A")));
	assert_null(sg_json_str(NULL));
	assert_null(sg_json_first(sg_json_get(sg_json_get(doc, "a"), "b")));
	assert_null(sg_json_first(NULL));
	assert_null(sg_json_next(NULL));
	assert_null(sg_json_key(doc));
	assert_null(sg_json_key(NULL));
	assert_int_equal(sg_json_type(NULL), SG_JSON_INVALID);
	assert_null(sg_json_print(NULL, SG_JSON_COMPACT));
	sg_json_free(doc);
}

/* Members keep their order and duplicates: a lookup finds the first, and
 * sg_json_remove removes the first (what /resources does to replace one). */
static void test_json_removes_first_duplicate(void **state)
{
	struct sg_json *o = sg_json_object();

	assert_int_equal(sg_json_add_str(o, "k", "1"), 0);
	assert_int_equal(sg_json_add_str(o, "m", "2"), 0);
	assert_int_equal(sg_json_add_str(o, "k", "3"), 0);
	assert_string_equal(sg_json_str(sg_json_get(o, "k")), "1");
	sg_json_remove(o, "k");
	expect_print(o, SG_JSON_COMPACT, "{\"m\":\"2\",\"k\":\"3\"}");
	sg_json_remove(o, "absent");
	sg_json_remove(NULL, "k");
	expect_print(o, SG_JSON_COMPACT, "{\"m\":\"2\",\"k\":\"3\"}");
	sg_json_free(o);
}

/* An item that cannot be added is freed, not leaked (the sanitizer build
 * checks), and the container is left as it was. */
static void test_json_add_takes_the_item(void **state)
{
	struct sg_json *o = sg_json_object(), *a = sg_json_array();

	assert_int_equal(sg_json_add(NULL, "k", sg_json_string("lost")), -EINVAL);
	assert_int_equal(sg_json_add(o, NULL, sg_json_string("lost")), -EINVAL);
	assert_int_equal(sg_json_add(o, "k", NULL), -EINVAL);
	assert_int_equal(sg_json_push(NULL, sg_json_object()), -EINVAL);
	assert_int_equal(sg_json_push(a, NULL), -EINVAL);
	assert_int_equal(sg_json_add_str(o, "k", NULL), -EINVAL);
	assert_null(sg_json_string(NULL));
	assert_null(sg_json_add_object(NULL, "k"));
	assert_null(sg_json_add_array(NULL, "k"));
	expect_print(o, SG_JSON_COMPACT, "{}");
	expect_print(a, SG_JSON_COMPACT, "[]");
	sg_json_free(o);
	sg_json_free(a);
	sg_json_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_builds_in_order),
		cmocka_unit_test(test_json_prints_compact),
		cmocka_unit_test(test_json_prints_tabs),
		cmocka_unit_test(test_json_prints_indent),
		cmocka_unit_test(test_json_escapes_strings),
		cmocka_unit_test(test_json_formats_numbers),
		cmocka_unit_test(test_json_parses_numbers),
		cmocka_unit_test(test_json_parse_exact_keeps_numbers),
		cmocka_unit_test(test_json_parses_documents),
		cmocka_unit_test(test_json_rejects_invalid_text),
		cmocka_unit_test(test_json_refuses_trailing_characters),
		cmocka_unit_test(test_json_looks_up_safely),
		cmocka_unit_test(test_json_removes_first_duplicate),
		cmocka_unit_test(test_json_add_takes_the_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
