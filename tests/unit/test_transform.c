/* config/transform.c's sg_cel_map, the {name: CEL expression} maps of
 * transformations, access log fields, extAuthz metadata and token
 * exchange parameters: names kept in the map's order or sorted, lowered
 * when asked, refused names and empty expressions reported one by one
 * with the rest still read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/arena.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/node.h"
#include "config/transform.h"

struct env {
	struct sg_cfg *cfg;
	struct sg_arena a;
	struct sg_diag d;
	struct sg_pctx c;
	struct sg_transform_exprs l;
};

/* The YAML value in text through sg_cel_map: its result. */
static int map(struct env *e, const char *text, const struct sg_cel_map_how *how)
{
	struct sg_node **docs = NULL;
	size_t ndocs = 0, cap = 0;
	char doc[256];

	memset(e, 0, sizeof(*e));
	e->cfg = calloc(1, sizeof(*e->cfg));
	assert_non_null(e->cfg);
	sg_arena_init(&e->cfg->arena);
	sg_arena_init(&e->a);
	sg_diag_init(&e->d);
	e->c = (struct sg_pctx){ .a = &e->a, .d = &e->d, .cfg = e->cfg };
	snprintf(doc, sizeof(doc), "m: %s", text);
	assert_int_equal(
		sg_yaml_parse(&e->a, "t.yaml", doc, strlen(doc), &docs, &ndocs, &cap, &e->d), 0);
	assert_int_equal(ndocs, 1);
	return sg_cel_map(&e->c, sg_map_get(docs[0], "m"), &e->l, "m", how);
}

static void done(struct env *e)
{
	sg_diag_free(&e->d);
	sg_arena_free(&e->a);
	sg_cfg_free(e->cfg);
}

static int no_x(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *val,
		const char *path, const char *name)
{
	(void)val;
	if (strcmp(name, "x"))
		return 0;
	sg_diag_err(c->d, key, "%s: no x", path);
	return -1;
}

static void test_cel_map_in_order_and_sorted(void **state)
{
	static const struct sg_cel_map_how as_written = { 0 }, sorted = { .sorted = true };
	static const char *text = "{c: '1', A: '2', b: '3', B: '4'}";
	struct env e;

	(void)state;
	assert_int_equal(map(&e, text, &as_written), 0);
	assert_int_equal(e.l.n, 4);
	assert_string_equal(e.l.v[0].name, "c");
	assert_string_equal(e.l.v[1].name, "A");
	assert_string_equal(e.l.v[2].name, "b");
	assert_string_equal(e.l.v[3].name, "B");
	done(&e);
	assert_int_equal(map(&e, text, &sorted), 0);
	assert_int_equal(e.l.n, 4);
	assert_string_equal(e.l.v[0].name, "A");
	assert_string_equal(e.l.v[1].name, "B");
	assert_string_equal(e.l.v[2].name, "b");
	assert_string_equal(e.l.v[3].name, "c");
	/* each name with its own expression */
	for (size_t i = 0; i < 4; i++)
		assert_non_null(e.l.v[i].expr);
	assert_ptr_not_equal(e.l.v[0].expr, e.l.v[1].expr);
	done(&e);
}

static void test_cel_map_lowered(void **state)
{
	static const struct sg_cel_map_how lower = { .lower = true };
	struct env e;

	(void)state;
	assert_int_equal(map(&e, "{X-Trace-ID: request.path}", &lower), 0);
	assert_int_equal(e.l.n, 1);
	assert_string_equal(e.l.v[0].name, "x-trace-id");
	done(&e);
}

/* A refused name, an empty expression and one that does not compile are
 * each reported; the good entries are still kept. */
static void test_cel_map_errors_each_reported(void **state)
{
	static const struct sg_cel_map_how how = { .name_ok = no_x };
	struct env e;

	(void)state;
	assert_int_equal(map(&e, "{a: '1', x: '2', e: '', f: 'request.', g: [1], b: '3'}", &how),
			 -1);
	assert_int_equal(e.d.errors, 4);
	assert_non_null(strstr(e.d.lines[0], "m: no x"));
	assert_non_null(strstr(e.d.lines[1], "m.e: expected a CEL expression"));
	assert_non_null(strstr(e.d.lines[2], "m.f: column"));
	assert_non_null(strstr(e.d.lines[3], "m.g: expected a CEL expression"));
	assert_string_equal(e.l.v[0].name, "a");
	assert_string_equal(e.l.v[e.l.n - 1].name, "b");
	done(&e);
}

static void test_cel_map_null_is_none(void **state)
{
	static const struct sg_cel_map_how how = { 0 };
	struct env e;

	(void)state;
	assert_int_equal(map(&e, "null", &how), 0);
	assert_int_equal(e.l.n, 0);
	done(&e);
	assert_int_equal(map(&e, "[a]", &how), -1);
	assert_non_null(strstr(e.d.lines[0], "m: expected a map"));
	done(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cel_map_in_order_and_sorted),
		cmocka_unit_test(test_cel_map_lowered),
		cmocka_unit_test(test_cel_map_errors_each_reported),
		cmocka_unit_test(test_cel_map_null_is_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
