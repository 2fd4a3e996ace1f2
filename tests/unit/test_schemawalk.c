/* Issue 68's schema walk: no field of agentgateway's standalone schema,
 * or of the Gateway API and agentgateway CRDs, is taken by the loader and
 * then ignored.
 *
 * tests/schema/fields.jsonl (scripts/schema-walk.py writes it from the
 * upstream commits its first line names) lists every field with a minimal
 * config holding it: a template and the edits that put the field in. For
 * each, the config is loaded with the field, without it and with another
 * value where the table gives one ("alt"), and the field is
 *   refused   when loading names it, or a key or kind above it, as not
 *             supported, not implemented, not a field, "expected nothing
 *             here", "expected no ...", "only ... is supported" or an
 *             unknown field (a check after reading may name the key
 *             alone), or refuses the shape above it
 *             (a map where splicegate takes only a list);
 *   dumped    when it loads and config_dump differs from the one without
 *             it or the one with the other value;
 *   needed    when it loads and the config without it does not;
 *   checked   when loading rejects the walk's sample for its value, by
 *             the field's own name (a field taken and ignored takes any
 *             value; the sample is rejected where, say, a file must
 *             exist or a CEL expression must name a variable);
 *   container when it loads, its sample is an empty map or list and
 *             config_dump is the same without it (its own fields are
 *             walked: a default section, as frontendPolicies: {});
 *   listed    when tests/schema/honoured.txt names it with the test that
 *             covers it (a field config_dump does not show, a value the
 *             walk's sample does not change, a sample the loader rejects
 *             for its value);
 *   undecided when loading rejects the sample for another reason than the
 *             field (a sibling's or a section's sample is wrong) and
 *             tests/schema/undecided.txt lists it: the walk has not
 *             decided it yet; the list only shrinks;
 * and anything else fails the test, printed with what loading said. A
 * field honoured.txt lists with test "-" is accepted and ignored on
 * purpose, and counted so.
 * SG_SCHEMA_DIR overrides tests/schema (the run is from the tree's top);
 * SG_SCHEMA_VERBOSE=1 prints every field's class. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/json.h"

enum verdict {
	REFUSED,
	DUMPED,
	NEEDED,
	CHECKED,
	CONTAINER,
	LISTED,
	ON_PURPOSE,
	UNDECIDED,
	IGNORED,
	NCLASS
};
static const char *const verdict_name[] = {
	"refused",   "dumped", "needed", "checked", "container", "listed", "ignored-on-purpose",
	"undecided", "ignored"
};

/* One of the lists: "KIND FIELD" keys, each with its test. */
struct list {
	char **key, **test;
	bool *used;
	size_t n;
};

struct walk {
	struct sg_json *head; /* the first line: templates, preamble */
	struct list honoured, undecided;
	size_t count[NCLASS];
	bool verbose;
};

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		fail_msg("%s: cannot open (run from the tree's top, or set SG_SCHEMA_DIR)", path);
	do {
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static struct sg_json *copy(const struct sg_json *v)
{
	char *s = sg_json_print(v, SG_JSON_COMPACT);
	struct sg_json *c;

	assert_non_null(s);
	c = sg_json_parse(s);
	free(s);
	assert_non_null(c);
	return c;
}

/* The member of container v at step (a key, or an index of a list). */
static struct sg_json *child(const struct sg_json *v, const struct sg_json *step)
{
	struct sg_json *c;
	double idx;

	if (sg_json_type(step) == SG_JSON_STRING)
		return sg_json_type(v) == SG_JSON_OBJECT ? sg_json_get(v, sg_json_str(step)) : NULL;
	if (sg_json_num(step, &idx) || sg_json_type(v) != SG_JSON_ARRAY)
		return NULL;
	c = sg_json_first(v);
	for (long i = (long)idx; c && i > 0; i--)
		c = sg_json_next(c);
	return c;
}

/* Put `item` (taken) at `steps` of doc, making the containers on the
 * way; a NULL item deletes what is there. */
static void edit(struct sg_json *doc, const struct sg_json *steps, struct sg_json *item)
{
	const struct sg_json *step = sg_json_first(steps), *next;
	struct sg_json *cur = doc;

	for (; (next = sg_json_next(step)); step = next) {
		struct sg_json *c = child(cur, step);

		if (!c) {
			c = sg_json_type(next) == SG_JSON_STRING ? sg_json_object()
								 : sg_json_array();
			if (sg_json_type(step) == SG_JSON_STRING)
				assert_int_equal(sg_json_add(cur, sg_json_str(step), c), 0);
			else
				assert_int_equal(sg_json_push(cur, c), 0);
		}
		cur = c;
	}
	if (sg_json_type(step) == SG_JSON_STRING) {
		if (item)
			assert_int_equal(sg_json_set(cur, sg_json_str(step), item), 0);
		else
			sg_json_remove(cur, sg_json_str(step));
	} else {
		assert_non_null(item); /* the generator never deletes from a list */
		assert_null(child(cur, step));
		assert_int_equal(sg_json_push(cur, item), 0);
	}
}

/* The config text of doc: the resource after the preamble for a kind. */
static char *render(const struct walk *w, const char *kind, const struct sg_json *doc)
{
	char *text = sg_json_print(doc, SG_JSON_COMPACT), *all;
	size_t len;

	assert_non_null(text);
	if (!*kind)
		return text;
	len = strlen(text) + 2;
	all = malloc(len);
	assert_non_null(all);
	*all = '\0';
	for (const struct sg_json *p = sg_json_first(sg_json_get(w->head, "preamble")); p;
	     p = sg_json_next(p)) {
		char *s = sg_json_print(p, SG_JSON_COMPACT);

		len += strlen(s) + 5;
		all = realloc(all, len);
		assert_non_null(all);
		strcat(strcat(all, s), "\n---\n");
		free(s);
	}
	strcat(strcat(all, text), "\n");
	free(text);
	return all;
}

/* Load text: the dump (NULL when it does not load) and the first error. */
static char *load(const char *text, char ***errs, size_t *nerrs)
{
	struct sg_diag d;
	struct sg_cfg *c;
	char *json = NULL;

	sg_diag_init(&d);
	c = sg_cfg_load_text("t.yaml", text, &d);
	if (c) {
		json = sg_dump_config(c);
		assert_non_null(json);
		sg_cfg_unref(c);
	}
	if (errs) {
		*errs = d.lines;
		*nerrs = d.n;
		d.lines = NULL;
		d.n = 0;
	}
	sg_diag_free(&d);
	return json;
}

/* The path the loader's messages give steps[0..n): "a.b[0].c". */
static char *path_of(const struct sg_json *steps, size_t n)
{
	char buf[4096] = "";
	size_t len = 0;
	const struct sg_json *s = sg_json_first(steps);

	for (size_t i = 0; s && i < n; i++, s = sg_json_next(s)) {
		double idx;

		if (sg_json_type(s) == SG_JSON_STRING)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? "." : "", sg_json_str(s));
		else if (!sg_json_num(s, &idx))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "[%ld]", (long)idx);
		assert_true(len < sizeof(buf));
	}
	return strdup(buf);
}

/* steps[i - 1]. */
static const struct sg_json *last_step(const struct sg_json *steps, size_t i)
{
	const struct sg_json *s = sg_json_first(steps);

	while (s && --i)
		s = sg_json_next(s);
	return s;
}

/* Whether message m (location stripped) refuses the field at steps, or
 * a key or the kind above it, by name. */
static bool refuses(const char *m, const char *kind, const struct sg_json *steps)
{
	size_t n = 0;
	bool yes = false;

	if (*kind) {
		char got[128];

		snprintf(got, sizeof(got), "got \"%s\"", kind);
		if (!strncmp(m, "kind: ", 6) && strstr(m, got))
			return true;
		snprintf(got, sizeof(got), "kind: %s is not supported (", kind);
		if (!strncmp(m, got, strlen(got)))
			return true;
	}
	for (const struct sg_json *s = sg_json_first(steps); s; s = sg_json_next(s))
		n++;
	for (size_t i = 0; !yes && i <= n; i++) {
		char *p = path_of(steps, i), *q = path_of(steps, i + 1);
		size_t lp = strlen(p);
		const char *key = i < n ? q + strlen(p) + (*p ? 1 : 0) : NULL;
		char unknown[512];

		/* "P: not supported (why)", "P: ... is not implemented", "P:
		 * expected nothing here (why)", a shape refused ("P: expected a
		 * list, got a map": agentgateway's single-object form) */
		if (i > 0 && !strncmp(m, p, lp) && !strncmp(m + lp, ": ", 2) &&
		    (strstr(m, "not supported") || strstr(m, "not implemented") ||
		     strstr(m, "not a field of") || strstr(m, ": expected nothing here") ||
		     strstr(m, ": expected no ") || strstr(m, ": expected a list, got a map")))
			yes = true;
		/* "P: only {host: ...} is supported here": the other forms
		 * refused */
		if (i > 0 && !strncmp(m, p, lp) && !strncmp(m + lp, ": only ", 7) &&
		    strstr(m, "is supported"))
			yes = true;
		/* a check made after reading, naming the key alone: "KEY: ...
		 * is not supported (...)" */
		if (i > 0 && sg_json_type(last_step(steps, i)) == SG_JSON_STRING) {
			const char *k = sg_json_str(last_step(steps, i));

			if (!strncmp(m, k, strlen(k)) && !strncmp(m + strlen(k), ": ", 2) &&
			    strstr(m, "not supported"))
				yes = true;
		}
		/* a union member refused by its discriminator: "P.type: \"X\" is
		 * not supported" */
		if (i > 0 && !strncmp(m, p, lp) && !strncmp(m + lp, ".type: ", 7) &&
		    strstr(m, "not supported"))
			yes = true;
		if (key && *key != '[') {
			snprintf(unknown, sizeof(unknown), "%s: unknown field \"%s\"",
				 *p ? p : "(top level)", key);
			yes = yes || !strncmp(m, unknown, strlen(unknown));
		}
		free(p);
		free(q);
	}
	return yes;
}

/* Whether message m is about the value at steps (or inside it). */
static bool rejects_value(const char *m, const struct sg_json *steps)
{
	size_t n = 0;
	char *p;
	bool yes;

	for (const struct sg_json *s = sg_json_first(steps); s; s = sg_json_next(s))
		n++;
	p = path_of(steps, n);
	yes = !strncmp(m, p, strlen(p)) && strchr(":.[", m[strlen(p)]);
	free(p);
	return yes;
}

/* "t.yaml:1:2: message" -> "message". */
static const char *message(const char *line)
{
	const char *m = line;

	if (!strncmp(m, "t.yaml:", 7)) {
		m += 7;
		for (int colons = 0; *m && colons < 2; m++)
			colons += *m == ':';
		while (*m == ' ')
			m++;
	}
	return m;
}

static const struct sg_json *value_at(const struct sg_json *doc, const struct sg_json *steps)
{
	for (const struct sg_json *s = sg_json_first(steps); doc && s; s = sg_json_next(s))
		doc = child(doc, s);
	return doc;
}

static bool empty(const struct sg_json *v)
{
	return (sg_json_type(v) == SG_JSON_OBJECT || sg_json_type(v) == SG_JSON_ARRAY) &&
	       !sg_json_first(v);
}

/* The test l names for the field (NULL: not listed). */
static const char *listed(struct list *l, const char *kind, const char *field)
{
	char key[4096];

	snprintf(key, sizeof(key), "%s %s", *kind ? kind : "-", field);
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->key[i], key)) {
			l->used[i] = true;
			return l->test[i];
		}
	return NULL;
}

/* LISTED, ON_PURPOSE (test "-") or IGNORED. */
static enum verdict honoured(struct walk *w, const char *kind, const char *field)
{
	const char *t = listed(&w->honoured, kind, field);

	return !t ? IGNORED : strcmp(t, "-") ? LISTED : ON_PURPOSE;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static enum verdict classify(struct walk *w, const struct sg_json *f, char **why)
{
	const char *kind = sg_json_str(sg_json_get(f, "kind"));
	const char *field = sg_json_str(sg_json_get(f, "field"));
	const struct sg_json *steps = sg_json_get(f, "steps");
	const struct sg_json *tmpl = sg_json_get(sg_json_get(w->head, "templates"),
						 sg_json_str(sg_json_get(f, "template")));
	const struct sg_json *alt = sg_json_get(f, "alt");
	struct sg_json *doc = copy(tmpl), *base;
	char **errs, *text, *dump, *bdump;
	size_t nerrs;
	enum verdict v;

	for (const struct sg_json *e = sg_json_first(sg_json_get(f, "edits")); e;
	     e = sg_json_next(e))
		edit(doc, sg_json_first(e),
		     sg_json_next(sg_json_first(e)) ? copy(sg_json_next(sg_json_first(e))) : NULL);
	base = copy(doc);
	edit(base, steps, NULL);
	text = render(w, kind, doc);
	dump = load(text, &errs, &nerrs);
	*why = NULL;
	if (!dump) {
		v = IGNORED;
		for (size_t i = 0; i < nerrs && v != REFUSED; i++)
			if (refuses(message(errs[i]), kind, steps)) {
				v = REFUSED;
				if (w->verbose)
					*why = strdup(errs[i]);
			}
		for (size_t i = 0; i < nerrs && v == IGNORED; i++)
			if (rejects_value(message(errs[i]), steps)) {
				v = CHECKED;
				if (w->verbose)
					*why = strdup(errs[i]);
			}
		if (v == IGNORED && listed(&w->undecided, kind, field))
			v = UNDECIDED;
		if (v == IGNORED || (v == UNDECIDED && w->verbose))
			*why = strdup(nerrs ? errs[0] : "(no message)");
		free_lines(errs, nerrs);
		goto out;
	}
	free_lines(errs, nerrs);
	free(text);
	text = render(w, kind, base);
	bdump = load(text, NULL, NULL);
	if (alt) { /* and with the other value */
		struct sg_json *other = copy(doc);
		char *otext, *odump;

		edit(other, steps, copy(alt));
		otext = render(w, kind, other);
		odump = load(otext, NULL, NULL);
		if (odump && strcmp(dump, odump)) {
			free(bdump);
			bdump = odump; /* differs: dumped */
			odump = NULL;
		}
		free(odump);
		free(otext);
		sg_json_free(other);
	}
	if (!bdump)
		v = NEEDED;
	else if (strcmp(dump, bdump))
		v = DUMPED;
	else if (empty(value_at(doc, steps)))
		v = CONTAINER;
	else if ((v = honoured(w, kind, field)) == IGNORED)
		*why = strdup("loads, and config_dump is the same without it");
	free(bdump);
out:
	free(dump);
	free(text);
	sg_json_free(doc);
	sg_json_free(base);
	return v;
}

/* A list: "KIND FIELD TEST  # why" lines ("-" for the standalone file's
 * kind); the test named must exist (from the tree's top), or be "-". */
static void read_list(struct list *l, const char *dir, const char *name)
{
	char path[4096];
	char *text, *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = read_all(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind[256], field[2048], test[512];

		if (*line == '#' || !*line)
			continue;
		if (sscanf(line, "%255s %2047s %511s", kind, field, test) != 3)
			fail_msg("%s: \"%s\": expected KIND FIELD TEST", path, line);
		if (strcmp(test, "-") && access(test, F_OK))
			fail_msg("%s: \"%s\": no test %s", path, line, test);
		l->key = realloc(l->key, (l->n + 1) * sizeof(*l->key));
		l->test = realloc(l->test, (l->n + 1) * sizeof(*l->test));
		assert_non_null(l->key);
		assert_non_null(l->test);
		assert_true(asprintf(&l->key[l->n], "%s %s", kind, field) > 0);
		l->test[l->n++] = strdup(test);
	}
	free(text);
	l->used = calloc(l->n + 1, sizeof(bool));
	assert_non_null(l->used);
}

/* Entries of l the walk did not use (printed), then l freed. */
static size_t list_done(struct list *l, const char *name)
{
	size_t stale = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (!l->used[i]) {
			printf("%s: \"%s\" is listed but the walk did not need it\n", name,
			       l->key[i]);
			stale++;
		}
		free(l->key[i]);
		free(l->test[i]);
	}
	free(l->key);
	free(l->test);
	free(l->used);
	return stale;
}

static void test_schema_walk(void **unused)
{
	const char *dir = getenv("SG_SCHEMA_DIR") ? getenv("SG_SCHEMA_DIR") : "tests/schema";
	char path[4096], *text, *line, *save = NULL;
	struct walk w = { .verbose = getenv("SG_SCHEMA_VERBOSE") != NULL };
	size_t total = 0, stale = 0;
	double want;

	(void)unused;
	snprintf(path, sizeof(path), "%s/fields.jsonl", dir);
	text = read_all(path);
	read_list(&w.honoured, dir, "honoured.txt");
	read_list(&w.undecided, dir, "undecided.txt");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sg_json *f = sg_json_parse(line);
		enum verdict cls;
		char *why;

		assert_non_null(f);
		if (!w.head) {
			w.head = f;
			continue;
		}
		cls = classify(&w, f, &why);
		w.count[cls]++;
		total++;
		if (cls == IGNORED || w.verbose)
			printf("%-8s %s %s%s%s\n", verdict_name[cls],
			       *sg_json_str(sg_json_get(f, "kind"))
				       ? sg_json_str(sg_json_get(f, "kind"))
				       : "-",
			       sg_json_str(sg_json_get(f, "field")), why ? "  : " : "",
			       why ? why : "");
		free(why);
		sg_json_free(f);
	}
	assert_non_null(w.head);
	assert_int_equal(sg_json_num(sg_json_get(w.head, "fields"), &want), 0);
	assert_int_equal(total, (size_t)want);
	stale = list_done(&w.honoured, "honoured.txt") + list_done(&w.undecided, "undecided.txt");
	printf("schema walk: %zu fields: %zu refused, %zu honoured (%zu in config_dump, %zu "
	       "needed, %zu value checked, %zu sections, %zu listed), %zu not decided, %zu "
	       "accepted and ignored on purpose, %zu accepted and ignored\n",
	       total, w.count[REFUSED],
	       w.count[DUMPED] + w.count[NEEDED] + w.count[CHECKED] + w.count[LISTED] +
		       w.count[CONTAINER],
	       w.count[DUMPED], w.count[NEEDED], w.count[CHECKED], w.count[CONTAINER],
	       w.count[LISTED], w.count[UNDECIDED], w.count[ON_PURPOSE], w.count[IGNORED]);
	sg_json_free(w.head);
	free(text);
	assert_int_equal(w.count[IGNORED], 0);
	assert_int_equal(stale, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
