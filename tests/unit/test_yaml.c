/* Unit tests for the YAML reader (sg_yaml_parse in config/node.c): 1-based
 * positions, documents, anchors and aliases, and the errors it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "config/arena.h"
#include "config/diag.h"
#include "config/node.h"

/* The time bounds below hold for an optimised build with room to spare;
 * under AddressSanitizer the same work takes several times as long. They
 * are CPU time, which a busy neighbour does not stretch: on the wall
 * clock, 40,000 HTTPRoutes took 68 s under ASan beside a busy core. */
#ifdef __SANITIZE_ADDRESS__
#define TIME_SCALE 4.0
#else
#define TIME_SCALE 1.0
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One parse: the arena and diagnostics live until teardown. */
struct yfix {
	struct sg_arena arena;
	struct sg_diag diag;
	struct sg_node **docs;
	size_t ndocs, cap;
	int rc;
};

static int yfix_setup(void **state)
{
	struct yfix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	sg_arena_init(&f->arena);
	sg_diag_init(&f->diag);
	*state = f;
	return 0;
}

static int yfix_teardown(void **state)
{
	struct yfix *f = *state;

	sg_diag_free(&f->diag);
	sg_arena_free(&f->arena);
	free(f);
	return 0;
}

static void yfix_reset(struct yfix *f)
{
	sg_diag_free(&f->diag);
	sg_arena_free(&f->arena);
	f->docs = NULL;
	f->ndocs = f->cap = 0;
	f->rc = 0;
}

static int parse(struct yfix *f, const char *text)
{
	f->rc = sg_yaml_parse(&f->arena, "y.yaml", text, strlen(text), &f->docs, &f->ndocs, &f->cap,
			      &f->diag);
	return f->rc;
}

/* Parses `text`, which must be valid, into exactly `ndocs` documents. */
static void parse_ok(struct yfix *f, const char *text, size_t ndocs)
{
	if (parse(f, text) != 0 || f->diag.n != 0)
		fail_msg("parse failed: %s", f->diag.n ? f->diag.lines[0] : "(no message)");
	if (f->ndocs != ndocs)
		fail_msg("%zu documents, want %zu", f->ndocs, ndocs);
}

/* Parses `text`, which must fail with exactly the one line `want`. */
static void parse_fails(struct yfix *f, const char *text, const char *want)
{
	int rc = parse(f, text);

	if (rc != -1 || f->diag.n != 1 || f->diag.errors != 1 ||
	    strcmp(f->diag.lines[0], want) != 0)
		fail_msg("text:\n%s\nrc %d, %zu lines, first: %s\nwant: %s", text, rc, f->diag.n,
			 f->diag.n ? f->diag.lines[0] : "(none)", want);
}

/* The node at `path` below `n`: keys separated by '.', list indexes in
 * brackets ("list[1].x"); "" is `n` itself. NULL when absent. */
static const struct sg_node *node_at(const struct sg_node *n, const char *path)
{
	const char *p = path;

	while (n && *p) {
		if (*p == '.') {
			p++;
		} else if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);

			if (n->kind != SG_NODE_SEQ || *end != ']' || i >= n->n)
				return NULL;
			n = n->items[i];
			p = end + 1;
		} else {
			size_t len = strcspn(p, ".[");
			char key[64];

			if (len >= sizeof(key))
				return NULL;
			memcpy(key, p, len);
			key[len] = '\0';
			n = sg_map_get(n, key);
			p += len;
		}
	}
	return n;
}

struct pos_case {
	const char *path;
	enum sg_node_kind kind;
	unsigned line, col;
	const char *str; /* scalars only */
};

static void expect_positions(const struct sg_node *root, const struct pos_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sg_node *got = node_at(root, c[i].path);

		if (!got)
			fail_msg("\"%s\": no such node", c[i].path);
		if (got->kind != c[i].kind || got->line != c[i].line || got->col != c[i].col)
			fail_msg("\"%s\": kind %d at %u:%u, want kind %d at %u:%u", c[i].path,
				 got->kind, got->line, got->col, c[i].kind, c[i].line, c[i].col);
		if (strcmp(got->file, "y.yaml") != 0)
			fail_msg("\"%s\": file \"%s\"", c[i].path, got->file);
		if (c[i].str && (!got->str || strcmp(got->str, c[i].str) != 0))
			fail_msg("\"%s\": \"%s\", want \"%s\"", c[i].path,
				 got->str ? got->str : "(null)", c[i].str);
	}
}

/* The first line and column of a document are 1, and every level below. */
static const char pos_text[] = "name: top\n"		       /* 1 */
			       "block:\n"		       /* 2 */
			       "  inner: 'quoted'\n"	       /* 3 */
			       "  deeper:\n"		       /* 4 */
			       "    k: v\n"		       /* 5 */
			       "list:\n"		       /* 6 */
			       "- one\n"		       /* 7 */
			       "- key: a\n"		       /* 8 */
			       "  other: b\n"		       /* 9 */
			       "-   - nested\n"		       /* 10 */
			       "flow: {a: 1, b: [x, \"y\"]}\n" /* 11 */
			       "indented:\n"		       /* 12 */
			       "  - i0\n"		       /* 13 */
			       "literal: |\n"		       /* 14 */
			       "  text\n";		       /* 15 */

static void test_yaml_records_scalar_positions(void **state)
{
	static const struct pos_case cases[] = {
		{ "name", SG_NODE_SCALAR, 1, 7, "top" },
		{ "block.inner", SG_NODE_SCALAR, 3, 10, "quoted" },
		{ "block.deeper.k", SG_NODE_SCALAR, 5, 8, "v" },
		{ "list[0]", SG_NODE_SCALAR, 7, 3, "one" },
		{ "list[1].key", SG_NODE_SCALAR, 8, 8, "a" },
		{ "list[1].other", SG_NODE_SCALAR, 9, 10, "b" },
		{ "list[2][0]", SG_NODE_SCALAR, 10, 7, "nested" },
		{ "flow.a", SG_NODE_SCALAR, 11, 11, "1" },
		{ "flow.b[0]", SG_NODE_SCALAR, 11, 18, "x" },
		{ "flow.b[1]", SG_NODE_SCALAR, 11, 21, "y" },
		{ "indented[0]", SG_NODE_SCALAR, 13, 5, "i0" },
		{ "literal", SG_NODE_SCALAR, 14, 10, "text\n" },
	};
	struct yfix *f = *state;
	const struct sg_node *root;

	parse_ok(f, pos_text, 1);
	root = f->docs[0];
	expect_positions(root, cases, ARRAY_LEN(cases));
	/* Keys are scalars with their own positions. */
	assert_int_equal(sg_map_len(root), 6);
	assert_string_equal(sg_map_key(root, 0)->str, "name");
	assert_int_equal(sg_map_key(root, 0)->line, 1);
	assert_int_equal(sg_map_key(root, 0)->col, 1);
	assert_string_equal(sg_map_key(root, 3)->str, "flow");
	assert_int_equal(sg_map_key(root, 3)->line, 11);
	assert_int_equal(sg_map_key(root, 3)->col, 1);
	/* Quoted and plain scalars are told apart. */
	assert_false(node_at(root, "block.inner")->plain);
	assert_true(node_at(root, "name")->plain);
	assert_false(node_at(root, "flow.b[1]")->plain);
}

static void test_yaml_records_map_positions(void **state)
{
	/* A block map starts at its first key, a flow map at its brace. */
	static const struct pos_case cases[] = {
		{ "", SG_NODE_MAP, 1, 1, NULL },
		{ "block", SG_NODE_MAP, 3, 3, NULL },
		{ "block.deeper", SG_NODE_MAP, 5, 5, NULL },
		{ "list[1]", SG_NODE_MAP, 8, 3, NULL },
		{ "flow", SG_NODE_MAP, 11, 7, NULL },
	};
	struct yfix *f = *state;

	parse_ok(f, pos_text, 1);
	expect_positions(f->docs[0], cases, ARRAY_LEN(cases));
}

static void test_yaml_records_seq_positions(void **state)
{
	/* A block list starts at its first dash, a flow list at its bracket. */
	static const struct pos_case cases[] = {
		{ "list", SG_NODE_SEQ, 7, 1, NULL },
		{ "list[2]", SG_NODE_SEQ, 10, 5, NULL },
		{ "flow.b", SG_NODE_SEQ, 11, 17, NULL },
		{ "indented", SG_NODE_SEQ, 13, 3, NULL },
	};
	struct yfix *f = *state;
	const struct sg_node *list;

	parse_ok(f, pos_text, 1);
	expect_positions(f->docs[0], cases, ARRAY_LEN(cases));
	list = node_at(f->docs[0], "list");
	assert_int_equal(list->n, 3);
	assert_int_equal(node_at(f->docs[0], "list[2]")->n, 1);
}

static void test_yaml_counts_lines_across_documents(void **state)
{
	/* Lines count from the start of the text, not of the document. */
	static const char text[] = "a: 1\n"	   /* 1 */
				   "---\n"	   /* 2 */
				   "# comment\n"   /* 3 */
				   "b:\n"	   /* 4 */
				   "  - 2\n"	   /* 5 */
				   "--- {c: 3}\n"; /* 6 */
	static const struct pos_case second[] = {
		{ "", SG_NODE_MAP, 4, 1, NULL },
		{ "b", SG_NODE_SEQ, 5, 3, NULL },
		{ "b[0]", SG_NODE_SCALAR, 5, 5, "2" },
	};
	static const struct pos_case third[] = {
		{ "", SG_NODE_MAP, 6, 5, NULL },
		{ "c", SG_NODE_SCALAR, 6, 9, "3" },
	};
	struct yfix *f = *state;

	parse_ok(f, text, 3);
	expect_positions(f->docs[1], second, ARRAY_LEN(second));
	expect_positions(f->docs[2], third, ARRAY_LEN(third));
}

static void test_yaml_reads_multiple_documents(void **state)
{
	static const char text[] = "kind: A\n"
				   "---\n"
				   "kind: B\n"
				   "...\n"
				   "---\n"
				   "- kind: C\n"
				   "---\n"
				   "plain scalar\n";
	static const char *const want[] = { "A", "B" };
	struct yfix *f = *state;

	parse_ok(f, text, 4);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		assert_int_equal(f->docs[i]->kind, SG_NODE_MAP);
		assert_string_equal(sg_map_get(f->docs[i], "kind")->str, want[i]);
	}
	assert_int_equal(f->docs[2]->kind, SG_NODE_SEQ);
	assert_string_equal(node_at(f->docs[2], "[0].kind")->str, "C");
	assert_int_equal(f->docs[3]->kind, SG_NODE_SCALAR);
	assert_string_equal(f->docs[3]->str, "plain scalar");
}

static void test_yaml_appends_to_earlier_documents(void **state)
{
	struct yfix *f = *state;

	parse_ok(f, "a: 1\n", 1);
	assert_int_equal(sg_yaml_parse(&f->arena, "second.yaml", "b: 2\n---\nc: 3\n", 14, &f->docs,
				       &f->ndocs, &f->cap, &f->diag),
			 0);
	assert_int_equal(f->ndocs, 3);
	assert_string_equal(f->docs[0]->file, "y.yaml");
	assert_non_null(sg_map_get(f->docs[0], "a"));
	assert_string_equal(f->docs[1]->file, "second.yaml");
	assert_non_null(sg_map_get(f->docs[1], "b"));
	assert_non_null(sg_map_get(f->docs[2], "c"));
}

static void test_yaml_skips_empty_documents(void **state)
{
	static const struct {
		const char *text;
		size_t ndocs;
	} cases[] = {
		{ "", 0 },
		{ "\n\n", 0 },
		{ "# only a comment\n", 0 },
		{ "---\n", 0 },
		{ "---\n---\n---\n", 0 },
		{ "---\n...\n", 0 },
		{ "~\n", 0 },
		{ "null\n", 0 },
		{ "---\nnull\n---\nNULL\n---\n~\n", 0 },
		{ "---\n---\na: 1\n---\n", 1 },
		{ "a: 1\n---\n# nothing\n---\nb: 2\n", 2 },
		/* A quoted "null" is a string, not an empty document. */
		{ "'null'\n", 1 },
	};
	struct yfix *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yfix_reset(f);
		if (parse(f, cases[i].text) != 0 || f->diag.n != 0 || f->ndocs != cases[i].ndocs)
			fail_msg("\"%s\": rc %d, %zu lines, %zu documents, want %zu", cases[i].text,
				 f->rc, f->diag.n, f->ndocs, cases[i].ndocs);
		for (size_t d = 0; d < f->ndocs; d++)
			assert_false(sg_node_is_null(f->docs[d]));
	}
}

static void test_yaml_resolves_aliases(void **state)
{
	static const char text[] = "base: &b\n"
				   "  timeout: 1s\n"
				   "  codes: &c [503, 504]\n"
				   "copy: *b\n"
				   "codes: *c\n"
				   "name: &n gw\n"
				   "again: *n\n"
				   "list:\n"
				   "- *b\n"
				   "- *n\n";
	struct yfix *f = *state;
	const struct sg_node *root, *base;

	parse_ok(f, text, 1);
	root = f->docs[0];
	base = sg_map_get(root, "base");
	/* An alias is the anchored node itself, with the anchor's position. */
	assert_ptr_equal(sg_map_get(root, "copy"), base);
	assert_ptr_equal(node_at(root, "list[0]"), base);
	assert_ptr_equal(sg_map_get(root, "codes"), node_at(root, "base.codes"));
	assert_ptr_equal(sg_map_get(root, "again"), sg_map_get(root, "name"));
	assert_ptr_equal(node_at(root, "list[1]"), sg_map_get(root, "name"));
	assert_string_equal(node_at(root, "copy.timeout")->str, "1s");
	assert_string_equal(node_at(root, "codes[1]")->str, "504");
	assert_string_equal(node_at(root, "again")->str, "gw");
	assert_int_equal(node_at(root, "again")->line, 6);
	assert_int_equal(node_at(root, "again")->col, 7);
}

static void test_yaml_later_anchor_shadows_earlier(void **state)
{
	struct yfix *f = *state;

	parse_ok(f, "a: &x one\nb: *x\nc: &x two\nd: *x\n", 1);
	assert_string_equal(sg_map_get(f->docs[0], "b")->str, "one");
	assert_string_equal(sg_map_get(f->docs[0], "d")->str, "two");
}

static void test_yaml_rejects_bad_aliases(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "a: *nope\n", "y.yaml:1:4: alias *nope names no anchor" },
		/* Anchors do not cross documents. */
		{ "a: &x 1\n---\nb: *x\n", "y.yaml:3:4: alias *x names no anchor" },
		/* An alias inside its own anchor would make the tree a cycle. */
		{ "a: &x\n  b: *x\n", "y.yaml:2:6: alias *x refers to a node that contains it" },
		{ "binds: &b\n- port: 1\n  listeners: *b\n",
		  "y.yaml:3:14: alias *b refers to a node that contains it" },
		{ "- &l [1, [2, *l]]\n",
		  "y.yaml:1:14: alias *l refers to a node that contains it" },
	};
	struct yfix *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yfix_reset(f);
		parse_fails(f, cases[i].text, cases[i].want);
	}
}

static void test_yaml_rejects_duplicate_keys(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "a: 1\na: 2\n",
		  "y.yaml:2:1: invalid YAML: duplicate key \"a\" (first at y.yaml:1:1)" },
		{ "spec:\n  port: 1\n  name: x\n  port: 2\n",
		  "y.yaml:4:3: invalid YAML: duplicate key \"port\" (first at y.yaml:2:3)" },
		{ "- {k: 1, k: 1}\n",
		  "y.yaml:1:10: invalid YAML: duplicate key \"k\" (first at y.yaml:1:4)" },
		/* Quoting does not make a key different. */
		{ "k: 1\n\"k\": 2\n",
		  "y.yaml:2:1: invalid YAML: duplicate key \"k\" (first at y.yaml:1:1)" },
	};
	struct yfix *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yfix_reset(f);
		parse_fails(f, cases[i].text, cases[i].want);
	}
	/* The same key in two maps is fine. */
	yfix_reset(f);
	parse_ok(f, "a: {k: 1}\nb: {k: 2}\n", 1);
}

static void test_yaml_rejects_non_scalar_keys(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "? [a, b]\n: c\n", "y.yaml:1:3: map keys must be plain strings" },
		{ "{[x]: 1}\n", "y.yaml:1:2: map keys must be plain strings" },
		{ "? {a: 1}\n: c\n", "y.yaml:1:3: map keys must be plain strings" },
	};
	struct yfix *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yfix_reset(f);
		parse_fails(f, cases[i].text, cases[i].want);
	}
}

static void test_yaml_reports_syntax_error_location(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "a: b\n c: d\n",
		  "y.yaml:2:3: invalid YAML: mapping values are not allowed in this context" },
		{ "key: [a, b\n",
		  "y.yaml:2:1: invalid YAML: did not find expected ',' or ']' while parsing a flow "
		  "sequence" },
		{ "binds:\n- port: 8080\n  listeners: [\n",
		  "y.yaml:4:1: invalid YAML: did not find expected node content while parsing a "
		  "flow "
		  "node" },
		{ "a: 1\n---\nb: 2\n\tc: 3\n",
		  "y.yaml:4:1: invalid YAML: found a tab character that violates indentation while "
		  "scanning a plain scalar" },
		{ "a: @b\n",
		  "y.yaml:1:4: invalid YAML: found character that cannot start any token "
		  "while scanning for the next token" },
		{ "a: 'open\n", "y.yaml:2:1: invalid YAML: found unexpected end of stream while "
				"scanning a quoted "
				"scalar" },
		{ "- a\nb: c\n",
		  "y.yaml:2:1: invalid YAML: did not find expected '-' indicator while parsing a "
		  "block collection" },
		{ "a: &\n", "y.yaml:1:5: invalid YAML: did not find expected alphabetic or numeric "
			    "character while scanning an anchor" },
	};
	struct yfix *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		yfix_reset(f);
		parse_fails(f, cases[i].text, cases[i].want);
	}
}

static void test_yaml_error_keeps_earlier_documents(void **state)
{
	/* The documents before a syntax error are still handed back; the
	 * caller decides (the loader gives up on the whole text). */
	struct yfix *f = *state;

	parse_fails(f, "a: 1\n---\nb: [\n",
		    "y.yaml:4:1: invalid YAML: did not find expected "
		    "node content while parsing a flow node");
	assert_int_equal(f->ndocs, 1);
	assert_non_null(sg_map_get(f->docs[0], "a"));
}

static void test_yaml_rejects_deep_nesting(void **state)
{
	char text[256];
	char *p = text;
	struct yfix *f = *state;

	/* 64 levels below the root are fine, the 65th is not. */
	for (int i = 0; i < 65; i++)
		*p++ = '[';
	for (int i = 0; i < 65; i++)
		*p++ = ']';
	*p = '\0';
	parse_ok(f, text, 1);

	yfix_reset(f);
	p = text;
	for (int i = 0; i < 66; i++)
		*p++ = '[';
	for (int i = 0; i < 66; i++)
		*p++ = ']';
	*p = '\0';
	parse_fails(f, text, "y.yaml:1:66: YAML nested deeper than 64 levels");
}

#define OPEN "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
#define CLOSE "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"

/* An alias counts as the levels of the node it names, from where it
 * stands: chained anchors once nested a tree about 1,100 levels deep in a
 * 3 KB text, past what JSON readers take (config_dump). */
static void test_yaml_rejects_deep_nesting_by_alias(void **state)
{
	struct yfix *f = *state;
	char text[512];

	/* *a (40 levels) under 20 more: 60 below the root */
	snprintf(text, sizeof(text), "a: &a %.40s%.40s\nb: %.20s*a%.20s\n", OPEN, CLOSE, OPEN,
		 CLOSE);
	parse_ok(f, text, 1);
	yfix_reset(f);
	/* under 30 more: 70 */
	snprintf(text, sizeof(text), "a: &a %.40s%.40s\nb: %.30s*a%.30s\n", OPEN, CLOSE, OPEN,
		 CLOSE);
	parse_fails(f, text, "y.yaml:2:34: alias *a nests the YAML deeper than 64 levels");
}

static void test_yaml_tells_null_from_strings(void **state)
{
	static const struct {
		const char *path;
		bool null;
	} cases[] = {
		{ "empty", true },	   { "tilde", true },	  { "lower", true },
		{ "title", true },	   { "upper", true },	  { "quoted_null", false },
		{ "quoted_empty", false }, { "word", false },	  { "zero", false },
		{ "map", false },	   { "emptymap", false }, { "list", false },
	};
	static const char text[] = "empty:\n"
				   "tilde: ~\n"
				   "lower: null\n"
				   "title: Null\n"
				   "upper: NULL\n"
				   "quoted_null: 'null'\n"
				   "quoted_empty: \"\"\n"
				   "word: nil\n"
				   "zero: 0\n"
				   "map: {a: 1}\n"
				   "emptymap: {}\n"
				   "list: []\n";
	struct yfix *f = *state;

	parse_ok(f, text, 1);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct sg_node *n = sg_map_get(f->docs[0], cases[i].path);

		assert_non_null(n);
		if (sg_node_is_null(n) != cases[i].null)
			fail_msg("%s: null %d, want %d", cases[i].path, !cases[i].null,
				 cases[i].null);
	}
	assert_true(sg_node_is_null(NULL));
	assert_string_equal(sg_node_kind_name(sg_map_get(f->docs[0], "tilde")), "null");
	assert_string_equal(sg_node_kind_name(sg_map_get(f->docs[0], "word")), "a scalar");
	assert_string_equal(sg_node_kind_name(sg_map_get(f->docs[0], "map")), "a map");
	assert_string_equal(sg_node_kind_name(sg_map_get(f->docs[0], "list")), "a list");
	assert_string_equal(sg_node_kind_name(NULL), "null");
}

static void test_yaml_map_lookups(void **state)
{
	struct yfix *f = *state;
	const struct sg_node *root, *list;

	parse_ok(f, "b: 2\na: 1\nlist: [x]\n", 1);
	root = f->docs[0];
	assert_int_equal(sg_map_len(root), 3);
	assert_string_equal(sg_map_key(root, 1)->str, "a");
	assert_string_equal(sg_map_val(root, 1)->str, "1");
	assert_string_equal(sg_map_get(root, "b")->str, "2");
	assert_null(sg_map_get(root, "missing"));
	list = sg_map_get(root, "list");
	/* Lists and scalars are not maps. */
	assert_int_equal(sg_map_len(list), 0);
	assert_null(sg_map_get(list, "x"));
	assert_null(sg_map_get(sg_map_get(root, "a"), "a"));
	assert_null(sg_map_get(NULL, "a"));
}

/* A malloc'd text: `head`, then `item` n times, then `tail`. */
static char *repeat(const char *head, const char *item, size_t n, const char *tail)
{
	size_t hl = strlen(head), il = strlen(item), tl = strlen(tail);
	char *text = malloc(hl + il * n + tl + 1), *p = text;

	assert_non_null(text);
	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += il)
		memcpy(p, item, il);
	memcpy(p, tail, tl + 1);
	return text;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_yaml_weighs_expanded_nodes(void **state)
{
	struct yfix *f = *state;

	/* root 1 + a: key 1 + [1, 2] 3 + b: key 1 + [*x, *x] 1 + 2 * 3 */
	parse_ok(f, "a: &x [1, 2]\nb: [*x, *x]\n", 1);
	assert_int_equal(f->docs[0]->weight, 13);
	assert_int_equal(sg_map_get(f->docs[0], "a")->weight, 3);
	assert_int_equal(sg_map_get(f->docs[0], "b")->weight, 7);
}

/* The classic "billion laughs": 10^9 nodes from a few hundred bytes, every
 * reader of the tree walking them. Refused at the alias that takes the
 * aliases past the nodes written plus SG_YAML_MAX_ALIASED: the 8th *c
 * (110 + 10 * 111 + 8 * 1111 = 10108 > 19 + 10000). */
static void test_yaml_rejects_alias_bomb(void **state)
{
	static const char bomb[] = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
				   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
				   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
				   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
				   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
				   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
				   "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct yfix *f = *state;

	parse_fails(f, bomb,
		    "y.yaml:4:36: alias *c: aliases expand this YAML by 10108 nodes, more than "
		    "the 19 nodes it spells out plus 10000 (an alias bomb?); write the repeated "
		    "parts out");
}

/* Aliases may add up to the nodes written plus 10000: [*x] * 101 adds
 * 10100 nodes to 104 written, one more alias is one too many. */
static void test_yaml_bounds_alias_expansion(void **state)
{
	char *x = repeat("a: &x [", "0, ", 98, "0]\n"); /* 99 scalars: weight 100 */
	char *ok = repeat(x, "", 0, "b: [*x");
	char *text;
	struct yfix *f = *state;

	text = repeat(ok, ", *x", 100, "]\n");
	parse_ok(f, text, 1);
	assert_int_equal(f->docs[0]->weight, 104 + 101 * 100);
	free(text);

	yfix_reset(f);
	text = repeat(ok, ", *x", 101, "]\n");
	parse_fails(f, text,
		    "y.yaml:2:409: alias *x: aliases expand this YAML by 10200 nodes, more than "
		    "the 104 nodes it spells out plus 10000 (an alias bomb?); write the repeated "
		    "parts out");
	free(text);
	free(ok);
	free(x);
}

/* SG_YAML_MAX_NODES in one text, aliases or not. */
static void test_yaml_rejects_too_many_nodes(void **state)
{
	/* A list of 999,999 scalars: 1,000,000 nodes. */
	char *text = repeat("[", "0,", 999998, "0]");
	struct yfix *f = *state;

	parse_ok(f, text, 1);
	assert_int_equal(f->docs[0]->weight, 1000000);
	free(text);

	yfix_reset(f);
	text = repeat("[", "0,", 999999, "0]");
	parse_fails(f, text,
		    "y.yaml:1:2000000: YAML too large: more than 1000000 nodes (aliases expanded) "
		    "in one text");
	free(text);
}

/* Repeated keys are found with a set, not by comparing every pair: 100,000
 * keys took 16 s with the pairwise check. */
static void test_yaml_checks_big_maps_in_linear_time(void **state)
{
	char *keys = malloc(100000 * 16 + 16), *p = keys;
	struct yfix *f = *state;
	double t0;

	assert_non_null(keys);
	for (int i = 0; i < 100000; i++)
		p += sprintf(p, "k%d: %d\n", i, i);
	t0 = cpu_s();
	parse_ok(f, keys, 1);
	if (cpu_s() - t0 > 3.0 * TIME_SCALE)
		fail_msg("100,000 keys took %.1f s", cpu_s() - t0);
	assert_int_equal(sg_map_len(f->docs[0]), 100000);

	yfix_reset(f);
	strcpy(p, "k5: again\n");
	parse_fails(f, keys,
		    "y.yaml:100001:1: invalid YAML: duplicate key \"k5\" (first at y.yaml:6:1)");
	free(keys);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, yfix_setup, yfix_teardown)
	const struct CMUnitTest tests[] = {
		T(test_yaml_records_scalar_positions),
		T(test_yaml_records_map_positions),
		T(test_yaml_records_seq_positions),
		T(test_yaml_counts_lines_across_documents),
		T(test_yaml_reads_multiple_documents),
		T(test_yaml_appends_to_earlier_documents),
		T(test_yaml_skips_empty_documents),
		T(test_yaml_resolves_aliases),
		T(test_yaml_later_anchor_shadows_earlier),
		T(test_yaml_rejects_bad_aliases),
		T(test_yaml_rejects_duplicate_keys),
		T(test_yaml_rejects_non_scalar_keys),
		T(test_yaml_reports_syntax_error_location),
		T(test_yaml_error_keeps_earlier_documents),
		T(test_yaml_rejects_deep_nesting),
		T(test_yaml_rejects_deep_nesting_by_alias),
		T(test_yaml_tells_null_from_strings),
		T(test_yaml_map_lookups),
		T(test_yaml_weighs_expanded_nodes),
		T(test_yaml_rejects_alias_bomb),
		T(test_yaml_bounds_alias_expansion),
		T(test_yaml_rejects_too_many_nodes),
		T(test_yaml_checks_big_maps_in_linear_time),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
