/* JSON through cJSON, the one file that includes it. struct sg_json is
 * never defined: a pointer to one is a pointer to a cJSON item, converted
 * at this module's edge, so a tree costs what cJSON's costs. */
#include "user/base/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "config/node.h"
#include "user/base/buf.h"

/* cJSON's allocation hooks are never changed (only this file could), so
 * what it prints is malloc'd and callers free() it. */

static const cJSON *in(const struct sg_json *v)
{
	return (const cJSON *)(const void *)v;
}

static cJSON *mut(struct sg_json *v)
{
	return (cJSON *)(void *)v;
}

static struct sg_json *out(cJSON *c)
{
	return (struct sg_json *)(void *)c;
}

struct sg_json *sg_json_object(void)
{
	return out(cJSON_CreateObject());
}

struct sg_json *sg_json_array(void)
{
	return out(cJSON_CreateArray());
}

struct sg_json *sg_json_string(const char *s)
{
	return s ? out(cJSON_CreateString(s)) : NULL;
}

struct sg_json *sg_json_number(double v)
{
	return out(cJSON_CreateNumber(v));
}

/* A number printed as `text`, whose value is v: a raw item of cJSON's
 * (it prints its text as it is), which the lookups read as a number. */
static struct sg_json *number_raw(const char *text, double v)
{
	cJSON *c = cJSON_CreateRaw(text);

	if (c)
		c->valuedouble = v;
	return out(c);
}

struct sg_json *sg_json_float(double v)
{
	char text[40];

	if (v != v || v - v != 0) /* NaN, infinities */
		return sg_json_null();
	for (int digits = 1; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, v);
		if (strtod(text, NULL) == v)
			break;
	}
	if (!strpbrk(text, ".e"))
		strcat(text, ".0");
	return number_raw(text, v);
}

struct sg_json *sg_json_bool(bool v)
{
	return out(cJSON_CreateBool(v));
}

struct sg_json *sg_json_null(void)
{
	return out(cJSON_CreateNull());
}

void sg_json_free(struct sg_json *v)
{
	cJSON_Delete(mut(v));
}

int sg_json_add(struct sg_json *obj, const char *key, struct sg_json *item)
{
	if (!obj || !key || !item || obj == item) {
		sg_json_free(item);
		return -EINVAL;
	}
	if (!cJSON_AddItemToObject(mut(obj), key, mut(item))) {
		sg_json_free(item); /* only the key's copy can have failed */
		return -ENOMEM;
	}
	return 0;
}

int sg_json_set(struct sg_json *obj, const char *key, struct sg_json *item)
{
	if (!obj || !key || !item || obj == item) {
		sg_json_free(item);
		return -EINVAL;
	}
	if (!cJSON_GetObjectItemCaseSensitive(in(obj), key))
		return sg_json_add(obj, key, item);
	if (!cJSON_ReplaceItemInObjectCaseSensitive(mut(obj), key, mut(item))) {
		sg_json_free(item);
		return -ENOMEM;
	}
	return 0;
}

int sg_json_push(struct sg_json *arr, struct sg_json *item)
{
	if (!arr || !item || arr == item) {
		sg_json_free(item);
		return -EINVAL;
	}
	if (!cJSON_AddItemToArray(mut(arr), mut(item))) {
		sg_json_free(item);
		return -EINVAL;
	}
	return 0;
}

int sg_json_add_str(struct sg_json *obj, const char *key, const char *s)
{
	if (!s)
		return -EINVAL;
	return sg_json_add(obj, key, sg_json_string(s));
}

int sg_json_add_num(struct sg_json *obj, const char *key, double v)
{
	return sg_json_add(obj, key, sg_json_number(v));
}

int sg_json_add_bool(struct sg_json *obj, const char *key, bool v)
{
	return sg_json_add(obj, key, sg_json_bool(v));
}

int sg_json_add_null(struct sg_json *obj, const char *key)
{
	return sg_json_add(obj, key, sg_json_null());
}

struct sg_json *sg_json_add_object(struct sg_json *obj, const char *key)
{
	struct sg_json *o = sg_json_object();

	return sg_json_add(obj, key, o) == 0 ? o : NULL;
}

struct sg_json *sg_json_add_array(struct sg_json *obj, const char *key)
{
	struct sg_json *a = sg_json_array();

	return sg_json_add(obj, key, a) == 0 ? a : NULL;
}

void sg_json_remove(struct sg_json *obj, const char *key)
{
	if (obj && key)
		cJSON_DeleteItemFromObjectCaseSensitive(mut(obj), key);
}

struct sg_json *sg_json_parse(const char *text)
{
	return text ? out(cJSON_ParseWithOpts(text, NULL, true)) : NULL;
}

/* ---- numbers as written ------------------------------------------------- */

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the JSON number at s (RFC 8259's grammar: no leading
 * zero, no "1.", no "+1"); 0 when none starts there. */
static size_t number_len(const char *s)
{
	const char *p = s + (*s == '-');

	if (*p == '0')
		p++;
	else if (digit(*p))
		while (digit(*p))
			p++;
	else
		return 0;
	if (*p == '.') {
		if (!digit(*++p))
			return 0;
		while (digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p += p[1] == '+' || p[1] == '-' ? 2 : 1;
		if (!digit(*p))
			return 0;
		while (digit(*p))
			p++;
	}
	return (size_t)(p - s);
}

/* A number cJSON prints as it is written: a whole one of 15 digits at
 * most (its double holds it, printed with %d or %1.15g), not -0. */
static bool prints_as_written(const char *s, size_t n)
{
	size_t neg = s[0] == '-';

	if (n - neg > 15 || (n - neg > 1 && s[neg] == '0') || (neg && s[1] == '0'))
		return false;
	for (size_t i = neg; i < n; i++)
		if (!digit(s[i]))
			return false;
	return true;
}

/* The next number's text after *p in a JSON text: the first '-' or digit
 * outside a string (nothing else in JSON holds one). */
static const char *next_number(const char *p)
{
	for (; *p; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return p;
		} else if (*p == '-' || digit(*p)) {
			return p;
		}
	}
	return p;
}

/* Each number in item and its siblings, and below them, in the order of
 * the text (cJSON keeps it), matched with the next number of the text at
 * *p: one that cJSON would print otherwise keeps its text (a raw item
 * with the same double). -EINVAL: a number out of JSON's grammar, which
 * cJSON's strtod took; -ENOMEM. */
static int keep_numbers(cJSON *item, const char **p)
{
	for (; item; item = item->next) {
		const char *s;
		size_t n;
		char *text;
		int rc;

		if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
			if ((rc = keep_numbers(item->child, p)))
				return rc;
			continue;
		}
		if (!cJSON_IsNumber(item))
			continue;
		s = next_number(*p);
		n = strspn(s, "0123456789+-.eE");
		if (!n || number_len(s) != n)
			return -EINVAL;
		*p = s + n;
		if (prints_as_written(s, n))
			continue;
		if (!(text = strndup(s, n)))
			return -ENOMEM;
		item->type = cJSON_Raw;
		item->valuestring = text;
	}
	return 0;
}

struct sg_json *sg_json_parse_exact(const char *text)
{
	cJSON *root = text ? cJSON_ParseWithOpts(text, NULL, true) : NULL;
	const char *p = text;

	if (root && keep_numbers(root, &p)) {
		cJSON_Delete(root);
		return NULL;
	}
	return out(root);
}

/* ---- serde_json's pretty layout ------------------------------------------ */

/* What agentgateway's admin prints: two-space indent, one member a line,
 * "key": value, empty containers as [] and {}. cJSON's own pretty printer
 * differs (tabs, "[{" on one line), so only leaves and keys are printed by
 * cJSON, which gets escaping and the number format right. */
struct buf {
	struct sg_buf out;
	bool failed; /* out of memory: `out` is incomplete */
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (!b->failed && sg_buf_append(&b->out, s, n) < 0)
		b->failed = true;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_indent(struct buf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		put(b, "  ", 2);
}

static void put_leaf(struct buf *b, const cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);

	if (!s) {
		b->failed = true;
		return;
	}
	put_str(b, s);
	free(s);
}

/* A member's name, escaped as a string value is. */
static void put_key(struct buf *b, const char *key)
{
	cJSON *k = cJSON_CreateString(key);

	if (!k) {
		b->failed = true;
		return;
	}
	put_leaf(b, k);
	cJSON_Delete(k);
}

static void render(struct buf *b, const cJSON *item, int depth)
{
	bool obj = cJSON_IsObject(item);

	if (!obj && !cJSON_IsArray(item)) {
		put_leaf(b, item);
		return;
	}
	if (!item->child) {
		put_str(b, obj ? "{}" : "[]");
		return;
	}
	put_str(b, obj ? "{\n" : "[\n");
	for (const cJSON *c = item->child; c; c = c->next) {
		put_indent(b, depth + 1);
		if (obj) {
			put_key(b, c->string);
			put_str(b, ": ");
		}
		render(b, c, depth + 1);
		put_str(b, c->next ? ",\n" : "\n");
	}
	put_indent(b, depth);
	put_str(b, obj ? "}" : "]");
}

static char *print_indent(const cJSON *item)
{
	struct buf b = { 0 };

	render(&b, item, 0);
	put(&b, "", 1); /* the terminating NUL */
	if (b.failed) {
		sg_buf_free(&b.out);
		return NULL;
	}
	return b.out.data; /* never consumed from: the allocation starts with it */
}

char *sg_json_print(const struct sg_json *v, enum sg_json_style style)
{
	if (!v)
		return NULL;
	switch (style) {
	case SG_JSON_COMPACT:
		return cJSON_PrintUnformatted(in(v));
	case SG_JSON_TABS:
		return cJSON_Print(in(v));
	case SG_JSON_INDENT:
		return print_indent(in(v));
	}
	return NULL;
}

/* ---- lookups ---------------------------------------------------------------- */

enum sg_json_type sg_json_type(const struct sg_json *v)
{
	const cJSON *c = in(v);

	if (cJSON_IsNull(c))
		return SG_JSON_NULL;
	if (cJSON_IsFalse(c))
		return SG_JSON_FALSE;
	if (cJSON_IsTrue(c))
		return SG_JSON_TRUE;
	if (cJSON_IsNumber(c) || cJSON_IsRaw(c)) /* raw: a number as written */
		return SG_JSON_NUMBER;
	if (cJSON_IsString(c))
		return SG_JSON_STRING;
	if (cJSON_IsArray(c))
		return SG_JSON_ARRAY;
	if (cJSON_IsObject(c))
		return SG_JSON_OBJECT;
	return SG_JSON_INVALID;
}

struct sg_json *sg_json_get(const struct sg_json *obj, const char *key)
{
	if (!cJSON_IsObject(in(obj)) || !key)
		return NULL;
	return out(cJSON_GetObjectItemCaseSensitive(in(obj), key));
}

struct sg_json *sg_json_first(const struct sg_json *v)
{
	const cJSON *c = in(v);

	return cJSON_IsArray(c) || cJSON_IsObject(c) ? out(c->child) : NULL;
}

struct sg_json *sg_json_next(const struct sg_json *v)
{
	return v ? out(in(v)->next) : NULL;
}

const char *sg_json_key(const struct sg_json *v)
{
	return v ? in(v)->string : NULL;
}

const char *sg_json_str(const struct sg_json *v)
{
	return cJSON_IsString(in(v)) ? in(v)->valuestring : NULL;
}

int sg_json_num(const struct sg_json *v, double *num)
{
	if (!cJSON_IsNumber(in(v)) && !cJSON_IsRaw(in(v)))
		return -EINVAL;
	*num = in(v)->valuedouble;
	return 0;
}

const char *sg_json_num_text(const struct sg_json *v)
{
	return cJSON_IsRaw(in(v)) ? in(v)->valuestring : NULL;
}

/* ---- YAML nodes -------------------------------------------------------- */

/* A plain scalar as YAML's core schema reads it: integers and booleans
 * keep their type, null stays null, everything else is a string. */
static struct sg_json *scalar_json(const struct sg_node *n)
{
	const char *s = n->str;
	char *end;

	if (!n->plain)
		return sg_json_string(s);
	if (sg_node_is_null(n))
		return sg_json_null();
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return sg_json_bool(!strcmp(s, "true"));
	if ((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')) {
		long long v = strtoll(s, &end, 10);

		if (*end == '\0' && (s[0] != '0' || s[1] == '\0'))
			return sg_json_number((double)v);
	}
	return sg_json_string(s);
}

struct sg_json *sg_json_of_node(const struct sg_node *n)
{
	struct sg_json *o;

	switch (n->kind) {
	case SG_NODE_SCALAR:
		return scalar_json(n);
	case SG_NODE_SEQ:
		o = sg_json_array();
		for (size_t i = 0; i < n->n; i++)
			sg_json_push(o, sg_json_of_node(n->items[i]));
		return o;
	case SG_NODE_MAP:
		break;
	}
	o = sg_json_object();
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const char *key = sg_map_key(n, i)->str;

		sg_json_remove(o, key);
		sg_json_add(o, key, sg_json_of_node(sg_map_val(n, i)));
	}
	return o;
}

/* serde's snake case (the heck crate's): words split where a lower-case
 * letter or digit meets an upper-case one, before the last capital of a
 * run that a lower-case letter follows, and at any other character; joined
 * by '_', lower-cased. */
static void snake(const char *s, char *out, size_t cap)
{
	size_t n = 0, len = strlen(s);
	bool sep = false;

	for (size_t i = 0; i < len && n + 2 < cap; i++) {
		unsigned char ch = (unsigned char)s[i], prev = i ? (unsigned char)s[i - 1] : 0,
			      next = i + 1 < len ? (unsigned char)s[i + 1] : 0;
		bool up = ch >= 'A' && ch <= 'Z',
		     alnum = up || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum) {
			sep = n > 0;
			continue;
		}
		if (up && n &&
		    ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') ||
		     (prev >= 'A' && prev <= 'Z' && next >= 'a' && next <= 'z')))
			sep = true;
		if (sep)
			out[n++] = '_';
		sep = false;
		out[n++] = (char)(up ? ch - 'A' + 'a' : ch);
	}
	out[n] = '\0';
}

struct sg_json *sg_json_of_map(const struct sg_node *map, bool snake_case)
{
	size_t n = map->kind == SG_NODE_MAP ? sg_map_len(map) : 0, *idx;
	struct sg_json *o = sg_json_object();
	char key[256];

	if (!o || !n)
		return o;
	if (!(idx = malloc(n * sizeof(*idx)))) {
		sg_json_free(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) /* insertion sort: a handful of keys */
		for (size_t k = idx[i] = i; k > 0 && strcmp(sg_map_key(map, idx[k - 1])->str,
							    sg_map_key(map, idx[k])->str) > 0;
		     k--) {
			size_t t = idx[k];

			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const char *name = sg_map_key(map, idx[i])->str;

		if (snake_case) {
			snake(name, key, sizeof(key));
			name = key;
		}
		sg_json_remove(o, name);
		sg_json_add(o, name, sg_json_of_node(sg_map_val(map, idx[i])));
	}
	free(idx);
	return o;
}
