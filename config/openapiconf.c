/* An openapi target's document made tools (the contract is
 * openapiconf.h). The document is a YAML tree (JSON being YAML), read as
 * agentgateway's yamlviajson reads it into the openapiv3 crate's types;
 * each tool's JSON is written here as serde writes those types back
 * (preserve_order): a schema's fields in the crate's order, those it
 * does not know dropped, defaults left out, numbers of f64 fields as f64s
 * print. */
#include "config/openapiconf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/tlsconf.h"
#include "config/utf8.h"

/* Schemas nested in one another (references followed included), and
 * parameters of one operation, at most. */
#define OA_DEPTH_MAX 128
#define OA_PARAMS_MAX 256

/* ---- JSON text ------------------------------------------------------------- */

/* A text being written (malloc'd); full once past SG_OPENAPI_TOOLS_MAX or
 * out of memory, and written no further. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		if (o->len + n > SG_OPENAPI_TOOLS_MAX || !(p = realloc(o->p, cap))) {
			o->full = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts0(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* s as a JSON string, escaped as serde_json escapes it. */
static void put_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[7] = "\\u00";
		const char *e = NULL;

		if (ch == '"')
			e = "\\\"";
		else if (ch == '\\')
			e = "\\\\";
		else if (ch == '\n')
			e = "\\n";
		else if (ch == '\r')
			e = "\\r";
		else if (ch == '\t')
			e = "\\t";
		else if (ch == '\b')
			e = "\\b";
		else if (ch == '\f')
			e = "\\f";
		else if (ch < 0x20) {
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			esc[6] = '\0';
			e = esc;
		}
		if (!e)
			continue;
		put(o, run, (size_t)(s - run));
		puts0(o, e);
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
	put(o, "\"", 1);
}

/* v as serde_json prints an f64 (ryu's layout): 1.0, 0.5, 1e16, 1.5e-7. */
static void put_f64(struct out *o, double v)
{
	char buf[40], d[24], res[64];
	int prec, e, n = 0, kk, r = 0;

	if (!isfinite(v)) {
		puts0(o, "null");
		return;
	}
	if (v == 0) {
		puts0(o, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	for (const char *p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			d[n++] = *p;
	while (n > 1 && d[n - 1] == '0')
		n--;
	d[n] = '\0';
	e = atoi(strchr(buf, 'e') + 1);
	kk = e + 1; /* where the point goes among the digits */
	if (v < 0)
		res[r++] = '-';
	if (kk >= n && kk <= 16) {
		r += snprintf(res + r, sizeof(res) - (size_t)r, "%s%.*s.0", d, kk - n,
			      "0000000000000000");
	} else if (kk > 0 && kk <= 16) {
		r += snprintf(res + r, sizeof(res) - (size_t)r, "%.*s.%s", kk, d, d + kk);
	} else if (kk > -5 && kk <= 0) {
		r += snprintf(res + r, sizeof(res) - (size_t)r, "0.%.*s%s", -kk, "0000", d);
	} else if (n == 1) {
		r += snprintf(res + r, sizeof(res) - (size_t)r, "%se%d", d, kk - 1);
	} else {
		r += snprintf(res + r, sizeof(res) - (size_t)r, "%c.%se%d", d[0], d + 1, kk - 1);
	}
	put(o, res, (size_t)r);
}

/* ---- scalars as YAML's core schema reads them ------------------------------------ */

enum scal { SC_NULL, SC_BOOL, SC_INT, SC_FLOAT, SC_STR, SC_MAP, SC_SEQ };

static bool digits(const char **s)
{
	const char *p = *s;

	while (**s >= '0' && **s <= '9')
		(*s)++;
	return *s > p;
}

static enum scal scal_of(const struct sg_node *n)
{
	const char *s, *p;
	bool whole;

	if (!n)
		return SC_NULL;
	if (n->kind == SG_NODE_MAP)
		return SC_MAP;
	if (n->kind == SG_NODE_SEQ)
		return SC_SEQ;
	if (!n->plain)
		return SC_STR;
	if (sg_node_is_null(n))
		return SC_NULL;
	s = n->str;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "false") ||
	    !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return SC_BOOL;
	p = s + (*s == '-' || *s == '+');
	if (!strcasecmp(p, ".inf") || (p == s && !strcasecmp(p, ".nan")))
		return SC_FLOAT;
	whole = digits(&p);
	if (!*p && whole)
		return SC_INT;
	if (*p == '.') {
		p++;
		if (!digits(&p) && !whole)
			return SC_STR;
	} else if (!whole) {
		return SC_STR;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '-' || *p == '+';
		if (!digits(&p))
			return SC_STR;
	}
	return *p ? SC_STR : SC_FLOAT;
}

static bool is_true(const struct sg_node *n)
{
	return scal_of(n) == SC_BOOL && (n->str[0] == 't' || n->str[0] == 'T');
}

/* An integer scalar that fits an i64 into *v. */
static bool as_i64(const struct sg_node *n, long long *v)
{
	char *end;

	if (scal_of(n) != SC_INT)
		return false;
	errno = 0;
	*v = strtoll(n->str, &end, 10);
	return errno == 0 && !*end;
}

static double as_f64(const struct sg_node *n)
{
	const char *s = n->str, *p = s + (*s == '-' || *s == '+');

	if (!strcasecmp(p, ".inf"))
		return *s == '-' ? -INFINITY : INFINITY;
	if (!strcasecmp(p, ".nan"))
		return NAN;
	return strtod(s, NULL);
}

/* Any value as serde_json::Value prints it. */
static void put_value(struct out *o, const struct sg_node *n)
{
	long long i;

	switch (scal_of(n)) {
	case SC_NULL:
		puts0(o, "null");
		return;
	case SC_BOOL:
		puts0(o, is_true(n) ? "true" : "false");
		return;
	case SC_INT:
		if (as_i64(n, &i)) {
			char b[24];

			put(o, b, (size_t)snprintf(b, sizeof(b), "%lld", i));
		} else { /* past i64: an f64 */
			put_f64(o, as_f64(n));
		}
		return;
	case SC_FLOAT:
		put_f64(o, as_f64(n));
		return;
	case SC_STR:
		put_str(o, n->str);
		return;
	case SC_SEQ:
		put(o, "[", 1);
		for (size_t k = 0; k < n->n; k++) {
			if (k)
				put(o, ",", 1);
			put_value(o, n->items[k]);
		}
		put(o, "]", 1);
		return;
	case SC_MAP:
		break;
	}
	put(o, "{", 1);
	for (size_t k = 0; k < sg_map_len(n); k++) {
		if (k)
			put(o, ",", 1);
		put_str(o, sg_map_key(n, k)->str);
		put(o, ":", 1);
		put_value(o, sg_map_val(n, k));
	}
	put(o, "}", 1);
}

/* ---- the conversion --------------------------------------------------------------- */

struct conv {
	struct sg_arena *a;
	struct sg_diag *d;
	const struct sg_node *components;
	char where[160]; /* the operation or component being read, for errors */
	/* references being resolved into a body, outermost first */
	const struct sg_node *refs[OA_DEPTH_MAX];
	size_t nrefs;
	unsigned depth;
	bool failed;
};

static int fail(struct conv *cv, const struct sg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct conv *cv, const struct sg_node *at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (cv->failed) /* the first error says enough; the rest follow from it */
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sg_diag_err(cv->d, at, "openapi schema: %s%s%s", cv->where, cv->where[0] ? ": " : "", msg);
	cv->failed = true;
	return -1;
}

static const struct sg_node *get(const struct sg_node *map, const char *key)
{
	const struct sg_node *v = map && map->kind == SG_NODE_MAP ? sg_map_get(map, key) : NULL;

	return v && scal_of(v) == SC_NULL ? NULL : v; /* null reads as absent (Option) */
}

static const char *const scal_names[] = { "null",     "a boolean", "an integer", "a number",
					  "a string", "a map",	   "a list" };

/* n (present) is a string, else an error. */
static int need_str(struct conv *cv, const struct sg_node *n, const char *key)
{
	if (scal_of(n) == SC_STR)
		return 0;
	return fail(cv, n, "%s: expected a string, got %s", key, scal_names[scal_of(n)]);
}

static int need(struct conv *cv, const struct sg_node *n, const char *key, enum scal want)
{
	enum scal s = scal_of(n);

	if (s == want || (want == SC_FLOAT && s == SC_INT))
		return 0;
	return fail(cv, n, "%s: expected %s, got %s", key, scal_names[want], scal_names[s]);
}

/* The map `#/components/<kind>/NAME` names, following references to
 * references; `what` names the kind as agentgateway's errors do. NULL
 * after an error. */
static const struct sg_node *resolve(struct conv *cv, const struct sg_node *n, const char *kind)
{
	char prefix[48];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "#/components/%s/", kind);

	for (unsigned hops = 0; n && get(n, "$ref"); hops++) {
		const struct sg_node *ref = get(n, "$ref"), *all;

		if (need_str(cv, ref, "$ref"))
			return NULL;
		if (strncmp(ref->str, prefix, plen)) {
			fail(cv, ref,
			     "$ref \"%s\": only references to %s are supported "
			     "(other documents, paths and forms are not)",
			     ref->str, prefix);
			return NULL;
		}
		if (!cv->components) {
			fail(cv, ref, "$ref \"%s\": the document has no components", ref->str);
			return NULL;
		}
		all = get(cv->components, kind);
		if (!(n = get(all, ref->str + plen))) {
			fail(cv, ref, "$ref \"%s\": missing reference: no such %s", ref->str, kind);
			return NULL;
		}
		if (n->kind != SG_NODE_MAP) {
			fail(cv, n, "%s: expected a map, got %s", ref->str, scal_names[scal_of(n)]);
			return NULL;
		}
		if (hops == OA_DEPTH_MAX) {
			fail(cv, ref, "$ref \"%s\": its references form a loop", ref->str);
			return NULL;
		}
	}
	return n;
}

/* ---- schemas ---------------------------------------------------------------------- */

enum vt {
	V_STRING,
	V_NUMBER,
	V_BOOL,
	V_USIZE,
	V_SCHEMA,
	V_SCHEMAS,
	V_PROPS,
	V_STRS,
	V_ADDL,
	V_SEQ
};
enum { K_STR = 1, K_NUM = 2, K_INT = 4, K_BOOL = 8, K_OBJ = 16, K_ARR = 32, K_ALL = 63 };

/* The keys of a schema's kind (the crate's RawAnySchema), in AnySchema's
 * order, with the typed kinds that take each. */
static const struct kkey {
	const char *key;
	enum vt vt;
	unsigned kinds;
} kkeys[] = {
	{ "type", V_STRING, K_ALL },
	{ "pattern", V_STRING, K_STR },
	{ "multipleOf", V_NUMBER, K_NUM | K_INT },
	{ "exclusiveMinimum", V_BOOL, K_NUM | K_INT },
	{ "exclusiveMaximum", V_BOOL, K_NUM | K_INT },
	{ "minimum", V_NUMBER, K_NUM | K_INT },
	{ "maximum", V_NUMBER, K_NUM | K_INT },
	{ "properties", V_PROPS, K_OBJ },
	{ "required", V_STRS, K_OBJ },
	{ "additionalProperties", V_ADDL, K_OBJ },
	{ "minProperties", V_USIZE, K_OBJ },
	{ "maxProperties", V_USIZE, K_OBJ },
	{ "items", V_SCHEMA, K_ARR },
	{ "minItems", V_USIZE, K_ARR },
	{ "maxItems", V_USIZE, K_ARR },
	{ "uniqueItems", V_BOOL, K_ARR },
	{ "enum", V_SEQ, K_STR | K_NUM | K_INT | K_BOOL },
	{ "format", V_STRING, K_STR | K_NUM | K_INT },
	{ "minLength", V_USIZE, K_STR },
	{ "maxLength", V_USIZE, K_STR },
	{ "oneOf", V_SCHEMAS, 0 },
	{ "allOf", V_SCHEMAS, 0 },
	{ "anyOf", V_SCHEMAS, 0 },
	{ "not", V_SCHEMA, 0 },
};
#define NKKEYS (sizeof(kkeys) / sizeof(kkeys[0]))

/* The typed kinds' fields, in their structs' order (StringType, ...). */
static const char *const str_order[] = {
	"format", "pattern", "enum", "minLength", "maxLength", NULL
};
static const char *const num_order[] = {
	"format", "multipleOf", "exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum",
	"enum",	  NULL
};
static const char *const obj_order[] = { "properties",	  "required",	   "additionalProperties",
					 "minProperties", "maxProperties", NULL };
static const char *const arr_order[] = { "items", "minItems", "maxItems", "uniqueItems", NULL };
static const char *const bool_order[] = { "enum", NULL };

enum kind {
	KD_STR,
	KD_NUM,
	KD_INT,
	KD_BOOL,
	KD_OBJ,
	KD_ARR,
	KD_ONE,
	KD_ALL,
	KD_ANYOF,
	KD_NOT,
	KD_ANY
};

/* A schema position's value is of its field's type (serde's errors). */
static int check_vt(struct conv *cv, const struct sg_node *v, const struct kkey *k)
{
	long long i;

	switch (k->vt) {
	case V_STRING:
		return need_str(cv, v, k->key);
	case V_NUMBER:
		return need(cv, v, k->key, SC_FLOAT);
	case V_BOOL:
		return need(cv, v, k->key, SC_BOOL);
	case V_USIZE:
		if (as_i64(v, &i) && i >= 0)
			return 0;
		return fail(cv, v, "%s: expected a non-negative integer", k->key);
	case V_SCHEMA:
	case V_PROPS:
		return need(cv, v, k->key, SC_MAP);
	case V_ADDL:
		return scal_of(v) == SC_BOOL ? 0 : need(cv, v, k->key, SC_MAP);
	case V_SCHEMAS:
	case V_SEQ:
		return need(cv, v, k->key, SC_SEQ);
	case V_STRS:
		if (need(cv, v, k->key, SC_SEQ))
			return -1;
		for (size_t j = 0; j < v->n; j++)
			if (need_str(cv, v->items[j], k->key))
				return -1;
		return 0;
	}
	return 0;
}

/* Every value of enum e reads as `want` (null aside). */
static bool enum_all(const struct sg_node *e, enum scal want)
{
	long long i;

	for (size_t j = 0; e && j < e->n; j++) {
		enum scal s = scal_of(e->items[j]);

		if (s == SC_NULL)
			continue;
		if (want == SC_INT ? !as_i64(e->items[j], &i)
				   : !(s == want || (want == SC_FLOAT && s == SC_INT)))
			return false;
	}
	return true;
}

/* Which of the crate's SchemaKind variants n deserializes into. */
static enum kind kind_of(const struct sg_node *n)
{
	const struct sg_node *type = get(n, "type"), *e = get(n, "enum");
	unsigned mask = K_ALL, present = 0;
	const char *only = NULL;
	long long i;

	for (size_t k = 1; k < NKKEYS; k++)
		if (get(n, kkeys[k].key)) {
			mask &= kkeys[k].kinds;
			present++;
			only = kkeys[k].key;
		}
	if (!type) {
		if (present != 1)
			return KD_ANY;
		return !strcmp(only, "oneOf")	? KD_ONE
		       : !strcmp(only, "allOf") ? KD_ALL
		       : !strcmp(only, "anyOf") ? KD_ANYOF
		       : !strcmp(only, "not")	? KD_NOT
						: KD_ANY;
	}
	if (!strcmp(type->str, "string") && (mask & K_STR) && enum_all(e, SC_STR))
		return KD_STR;
	if (!strcmp(type->str, "number") && (mask & K_NUM) && enum_all(e, SC_FLOAT))
		return KD_NUM;
	if (!strcmp(type->str, "integer") && (mask & K_INT) && enum_all(e, SC_INT) &&
	    (!get(n, "multipleOf") || as_i64(get(n, "multipleOf"), &i)) &&
	    (!get(n, "minimum") || as_i64(get(n, "minimum"), &i)) &&
	    (!get(n, "maximum") || as_i64(get(n, "maximum"), &i)))
		return KD_INT;
	if (!strcmp(type->str, "boolean") && (mask & K_BOOL) && enum_all(e, SC_BOOL))
		return KD_BOOL;
	if (!strcmp(type->str, "object") && (mask & K_OBJ))
		return KD_OBJ;
	if (!strcmp(type->str, "array") && (mask & K_ARR))
		return KD_ARR;
	return KD_ANY;
}

static void emit_schema(struct conv *cv, struct out *o, const struct sg_node *n, bool nested,
			const struct sg_node *desc);

/* A ReferenceOr<Schema> position: a reference is followed when `follow`
 * (a body's, agentgateway's resolve_nested_schema), else written as it is. */
static void emit_ref_or(struct conv *cv, struct out *o, const struct sg_node *n, bool follow)
{
	const struct sg_node *ref = get(n, "$ref"), *target;

	if (!ref) {
		emit_schema(cv, o, n, follow, NULL);
		return;
	}
	if (!follow) {
		if (need_str(cv, ref, "$ref"))
			return;
		puts0(o, "{\"$ref\":");
		put_str(o, ref->str);
		put(o, "}", 1);
		return;
	}
	if (!(target = resolve(cv, n, "schemas")))
		return;
	for (size_t i = 0; i < cv->nrefs; i++)
		if (cv->refs[i] == target) {
			fail(cv, ref,
			     "$ref \"%s\": the schema refers to itself: recursive schemas are "
			     "not supported in a request body",
			     ref->str);
			return;
		}
	if (cv->nrefs == OA_DEPTH_MAX) {
		fail(cv, ref, "$ref \"%s\": references nested deeper than %d", ref->str,
		     OA_DEPTH_MAX);
		return;
	}
	cv->refs[cv->nrefs++] = target;
	emit_schema(cv, o, target, true, NULL);
	cv->nrefs--;
}

static void emit_schemas(struct conv *cv, struct out *o, const struct sg_node *seq, bool follow)
{
	put(o, "[", 1);
	for (size_t i = 0; i < seq->n && !cv->failed; i++) {
		if (i)
			put(o, ",", 1);
		if (need(cv, seq->items[i], "a schema", SC_MAP))
			return;
		emit_ref_or(cv, o, seq->items[i], follow);
	}
	put(o, "]", 1);
}

/* Field `key` of n (present, of its type), as kind k writes it. */
static void emit_field(struct conv *cv, struct out *o, const struct sg_node *n, const char *key,
		       enum kind k, bool nested)
{
	const struct sg_node *v = get(n, key);
	long long i;

	if (!strcmp(key, "properties")) {
		put(o, "{", 1);
		for (size_t j = 0; j < sg_map_len(v) && !cv->failed; j++) {
			if (j)
				put(o, ",", 1);
			put_str(o, sg_map_key(v, j)->str);
			put(o, ":", 1);
			if (need(cv, sg_map_val(v, j), "properties", SC_MAP))
				return;
			emit_ref_or(cv, o, sg_map_val(v, j), nested);
		}
		put(o, "}", 1);
	} else if (!strcmp(key, "items") || !strcmp(key, "not")) {
		emit_ref_or(cv, o, v, nested);
	} else if (!strcmp(key, "additionalProperties")) {
		/* never followed, even in a body (resolve_nested_schema skips it) */
		if (scal_of(v) == SC_BOOL)
			put_value(o, v);
		else
			emit_ref_or(cv, o, v, false);
	} else if (!strcmp(key, "oneOf") || !strcmp(key, "allOf") || !strcmp(key, "anyOf")) {
		emit_schemas(cv, o, v, nested);
	} else if (!strcmp(key, "enum") && (k == KD_NUM || k == KD_INT)) {
		put(o, "[", 1);
		for (size_t j = 0; j < v->n; j++) {
			if (j)
				put(o, ",", 1);
			if (k == KD_NUM && scal_of(v->items[j]) != SC_NULL)
				put_f64(o, as_f64(v->items[j]));
			else
				put_value(o, v->items[j]);
		}
		put(o, "]", 1);
	} else if ((!strcmp(key, "multipleOf") || !strcmp(key, "minimum") ||
		    !strcmp(key, "maximum")) &&
		   !(k == KD_INT && as_i64(v, &i))) {
		put_f64(o, as_f64(v)); /* f64 fields but the integer kind's */
	} else {
		put_value(o, v);
	}
}

/* Whether field `key` of n is written: serde's skip_serializing_if (empty
 * lists and maps; a typed kind's false booleans). */
static bool written(const struct sg_node *n, const char *key, enum kind k)
{
	const struct sg_node *v = get(n, key);

	if (!v)
		return false;
	if ((v->kind == SG_NODE_SEQ || v->kind == SG_NODE_MAP) && !v->n &&
	    strcmp(key, "additionalProperties") && strcmp(key, "items") && strcmp(key, "not"))
		return false;
	if (k != KD_ANY && scal_of(v) == SC_BOOL &&
	    (!strcmp(key, "exclusiveMinimum") || !strcmp(key, "exclusiveMaximum") ||
	     !strcmp(key, "uniqueItems")))
		return is_true(v);
	return true;
}

static bool first_key(struct out *o, bool *first, const char *key)
{
	if (!*first)
		put(o, ",", 1);
	*first = false;
	put_str(o, key);
	put(o, ":", 1);
	return true;
}

/* SchemaData's fields (nullable ... default, then the x- extensions); desc:
 * a parameter's description, in place of the schema's own. */
static void emit_data(struct conv *cv, struct out *o, const struct sg_node *n,
		      const struct sg_node *desc, bool *first)
{
	static const char *const flags[] = { "nullable", "readOnly", "writeOnly", "deprecated" };
	static const char *const rest[] = { "externalDocs", "example",	     "title",
					    "description",  "discriminator", "default" };

	for (size_t i = 0; i < 4; i++) {
		const struct sg_node *v = n->kind == SG_NODE_MAP ? sg_map_get(n, flags[i]) : NULL;

		if (v && need(cv, v, flags[i], SC_BOOL))
			return;
		if (v && is_true(v) && first_key(o, first, flags[i]))
			puts0(o, "true");
	}
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		const struct sg_node *v = get(n, rest[i]);

		if (!v)
			continue;
		if ((!strcmp(rest[i], "title") || !strcmp(rest[i], "description")) &&
		    need_str(cv, v, rest[i]))
			return;
		if ((!strcmp(rest[i], "externalDocs") || !strcmp(rest[i], "discriminator")) &&
		    need(cv, v, rest[i], SC_MAP))
			return;
		first_key(o, first, rest[i]);
		put_value(o, !strcmp(rest[i], "description") && desc ? desc : v);
	}
	for (size_t i = 0; i < sg_map_len(n); i++)
		if (!strncmp(sg_map_key(n, i)->str, "x-", 2) &&
		    first_key(o, first, sg_map_key(n, i)->str))
			put_value(o, sg_map_val(n, i));
}

/* Schema n (a map, not a reference) as the crate writes it back. nested:
 * its references are followed (a body's). */
static void emit_schema(struct conv *cv, struct out *o, const struct sg_node *n, bool nested,
			const struct sg_node *desc)
{
	static const char *const *const orders[] = { str_order,	 num_order, num_order,
						     bool_order, obj_order, arr_order };
	static const char *const types[] = { "string",	"number", "integer",
					     "boolean", "object", "array" };
	static const char *const combs[] = { "oneOf", "allOf", "anyOf", "not" };
	bool first = true;
	enum kind k;

	if (cv->failed || o->full)
		return;
	if (n->kind != SG_NODE_MAP) {
		fail(cv, n, "a schema: expected a map, got %s", scal_names[scal_of(n)]);
		return;
	}
	if (++cv->depth > OA_DEPTH_MAX) {
		fail(cv, n, "schemas nested deeper than %d", OA_DEPTH_MAX);
		return;
	}
	for (size_t i = 0; i < NKKEYS; i++)
		if (get(n, kkeys[i].key) && check_vt(cv, get(n, kkeys[i].key), &kkeys[i]))
			goto out;
	k = kind_of(n);
	put(o, "{", 1);
	emit_data(cv, o, n, desc, &first);
	if (k <= KD_ARR) {
		first_key(o, &first, "type");
		put_str(o, types[k]);
		for (const char *const *f = orders[k]; *f; f++)
			if (written(n, *f, k) && first_key(o, &first, *f))
				emit_field(cv, o, n, *f, k, nested);
	} else if (k != KD_ANY) {
		first_key(o, &first, combs[k - KD_ONE]);
		emit_field(cv, o, n, combs[k - KD_ONE], k, nested);
	} else {
		for (size_t i = 0; i < NKKEYS; i++)
			if (written(n, kkeys[i].key, k) && first_key(o, &first, kkeys[i].key))
				emit_field(cv, o, n, kkeys[i].key, k, nested);
	}
	if (desc && !get(n, "description") && first_key(o, &first, "description"))
		put_value(o, desc);
	put(o, "}", 1);
out:
	cv->depth--;
}

/* ---- operations ----------------------------------------------------------------- */

enum loc { LOC_PATH, LOC_QUERY, LOC_HEADER, LOC_N };
static const char *const loc_names[] = { "path", "query", "header" };
/* each location's one style (the only one agentgateway writes) */
static const char *const loc_styles[] = { "simple", "form", "simple" };

struct param {
	const struct sg_node *p; /* the parameter, its reference followed */
	enum loc loc;
	const char *name;
};

struct op {
	struct param params[OA_PARAMS_MAX];
	size_t n;
};

/* Parameter n of an operation (or of its path) into op: an operation's
 * takes the place of its path's of the same name and location (a
 * header's name read without case), as agentgateway merges them. */
static int add_param(struct conv *cv, struct op *op, const struct sg_node *n)
{
	const struct sg_node *p = resolve(cv, n, "parameters"), *in, *name, *v;
	struct param *slot = NULL;
	enum loc loc;

	if (!p)
		return -1;
	if (p->kind != SG_NODE_MAP)
		return fail(cv, p, "a parameter: expected a map");
	in = get(p, "in");
	name = get(p, "name");
	if (!in || need_str(cv, in, "in"))
		return in ? -1 : fail(cv, p, "a parameter: missing field `in`");
	if (!name || need_str(cv, name, "name"))
		return name ? -1 : fail(cv, p, "a parameter: missing field `name`");
	for (loc = 0; loc < LOC_N && strcmp(in->str, loc_names[loc]); loc++)
		;
	if (!strcmp(in->str, "cookie"))
		return fail(cv, in,
			    "parameter \"%s\": cookie parameters are not supported (agentgateway "
			    "refuses them on an operation and drops them on a path)",
			    name->str);
	if (loc == LOC_N)
		return fail(cv, in, "parameter \"%s\": in: expected query, header, path or cookie",
			    name->str);
	if (get(p, "content"))
		return fail(cv, get(p, "content"),
			    "parameter \"%s\": content is not supported for parameters (give a "
			    "schema)",
			    name->str);
	if (!get(p, "schema"))
		return fail(cv, p, "parameter \"%s\": a schema is needed", name->str);
	if ((v = get(p, "style")) && (need_str(cv, v, "style") || strcmp(v->str, loc_styles[loc])))
		return cv->failed ? -1
				  : fail(cv, v,
					 "parameter \"%s\": style %s is not supported (a %s "
					 "parameter is sent as style %s)",
					 name->str, v->str, loc_names[loc], loc_styles[loc]);
	if ((v = get(p, "explode")) &&
	    (need(cv, v, "explode", SC_BOOL) || is_true(v) != (loc == LOC_QUERY)))
		return cv->failed ? -1
				  : fail(cv, v,
					 "parameter \"%s\": explode: %s is not supported (a %s "
					 "parameter is sent with explode %s)",
					 name->str, v->str, loc_names[loc],
					 loc == LOC_QUERY ? "true" : "false");
	if ((v = get(p, "allowReserved")) && is_true(v))
		return fail(cv, v, "parameter \"%s\": allowReserved is not supported", name->str);
	if ((v = get(p, "required")) && need(cv, v, "required", SC_BOOL))
		return -1;
	if ((v = get(p, "description")) && need_str(cv, v, "description"))
		return -1;
	for (size_t i = 0; i < op->n; i++)
		if (op->params[i].loc == loc &&
		    (loc == LOC_HEADER ? !strcasecmp(op->params[i].name, name->str)
				       : !strcmp(op->params[i].name, name->str)))
			slot = &op->params[i];
	if (!slot) {
		if (op->n == OA_PARAMS_MAX)
			return fail(cv, p, "more than %d parameters", OA_PARAMS_MAX);
		slot = &op->params[op->n++];
	}
	*slot = (struct param){ p, loc, name->str };
	return 0;
}

static int add_params(struct conv *cv, struct op *op, const struct sg_node *seq)
{
	if (!seq)
		return 0;
	if (need(cv, seq, "parameters", SC_SEQ))
		return -1;
	for (size_t i = 0; i < seq->n; i++)
		if (add_param(cv, op, seq->items[i]))
			return -1;
	return 0;
}

/* The request body's schema as `"body":...` (none written when the
 * operation has none); *required, *octet as it says. */
static int emit_body(struct conv *cv, struct out *o, const struct sg_node *rb, bool *required,
		     bool *octet)
{
	const struct sg_node *b, *content, *json, *schema, *req;
	char types[160] = "";

	*required = *octet = false;
	if (!rb)
		return 0;
	if (!(b = resolve(cv, rb, "requestBodies")))
		return -1;
	if ((req = get(b, "required")) && need(cv, req, "requestBody.required", SC_BOOL))
		return -1;
	content = get(b, "content");
	if (content && need(cv, content, "requestBody.content", SC_MAP))
		return -1;
	if ((json = get(content, "application/json"))) {
		if (!(schema = get(json, "schema")))
			return fail(cv, json, "requestBody: application/json has no schema");
		puts0(o, "\"body\":");
		emit_ref_or(cv, o, schema, true);
	} else if (content && sg_map_get(content, "application/octet-stream")) {
		*octet = true;
		puts0(o, "\"body\":{\"type\":\"string\",\"format\":\"byte\","
			 "\"description\":\"Base64-encoded binary content\"}");
	} else {
		for (size_t i = 0; content && i < sg_map_len(content); i++)
			snprintf(types + strlen(types), sizeof(types) - strlen(types), "%s%s",
				 i ? ", " : "", sg_map_key(content, i)->str);
		return fail(cv, content ? content : b,
			    "requestBody: only application/json and application/octet-stream "
			    "bodies are supported, it has %s",
			    types[0] ? types : "none");
	}
	*required = req && is_true(req);
	return cv->failed ? -1 : 0;
}

/* The input schema of an operation: {"required":[...],"properties":{...},
 * "type":"object"} as agentgateway's JsonSchema writes it, `body` first,
 * then the path, query and header objects of those it has. */
static int emit_input(struct conv *cv, struct out *o, const struct op *op, const struct sg_node *rb,
		      bool *octet)
{
	bool body_req, any[LOC_N] = { 0 }, req[LOC_N] = { 0 }, first = true;
	struct out body = { 0 };
	int rc = emit_body(cv, &body, rb, &body_req, octet);

	for (size_t i = 0; i < op->n; i++) {
		const struct sg_node *r = get(op->params[i].p, "required");

		any[op->params[i].loc] = true;
		req[op->params[i].loc] |= r && is_true(r);
	}
	puts0(o, "{\"required\":[");
	if (body.len && body_req) {
		puts0(o, "\"body\"");
		first = false;
	}
	for (int l = 0; l < LOC_N; l++)
		if (req[l]) {
			puts0(o, first ? "\"" : ",\"");
			puts0(o, loc_names[l]);
			puts0(o, "\"");
			first = false;
		}
	puts0(o, "],\"properties\":{");
	if (body.len)
		put(o, body.p, body.len);
	first = !body.len;
	free(body.p);
	for (int l = 0; l < LOC_N && !rc; l++) {
		bool f = true;

		if (!any[l])
			continue;
		puts0(o, first ? "\"" : ",\"");
		first = false;
		puts0(o, loc_names[l]);
		puts0(o, "\":{\"required\":[");
		for (size_t i = 0; i < op->n; i++) {
			const struct sg_node *r = get(op->params[i].p, "required");

			if (op->params[i].loc == (enum loc)l && r && is_true(r)) {
				if (!f)
					put(o, ",", 1);
				f = false;
				put_str(o, op->params[i].name);
			}
		}
		puts0(o, "],\"properties\":{");
		f = true;
		for (size_t i = 0; i < op->n && !cv->failed; i++) {
			const struct sg_node *schema;

			if (op->params[i].loc != (enum loc)l)
				continue;
			if (!f)
				put(o, ",", 1);
			f = false;
			put_str(o, op->params[i].name);
			put(o, ":", 1);
			/* the parameter's schema: its reference followed, not those
			 * inside it (agentgateway's resolve_schema) */
			if (!(schema = resolve(cv, get(op->params[i].p, "schema"), "schemas")))
				return -1;
			emit_schema(cv, o, schema, false, get(op->params[i].p, "description"));
		}
		puts0(o, "},\"type\":\"object\"}");
	}
	puts0(o, "},\"type\":\"object\"}");
	return rc || cv->failed ? -1 : 0;
}

/* One operation made a tool into t (its slot pushed); *total counts the
 * JSON written. */
static int operation(struct conv *cv, struct sg_mcp_target *t, size_t *cap, const char *path,
		     const struct sg_node *item, const char *method, const struct sg_node *opn,
		     size_t *total)
{
	const struct sg_node *id = get(opn, "operationId"), *sum = get(opn, "summary"),
			     *desc = get(opn, "description");
	struct sg_openapi_tool *tool;
	struct out o = { 0 };
	struct op *op;
	char title[80];
	bool octet = false;
	int rc = -1;

	snprintf(cv->where, sizeof(cv->where), "paths.\"%s\".%s", path, method);
	if (need(cv, opn, method, SC_MAP))
		return -1;
	if (!id)
		return fail(cv, opn, "information required: operation_id is required for %s", path);
	if (need_str(cv, id, "operationId") || (sum && need_str(cv, sum, "summary")) ||
	    (desc && need_str(cv, desc, "description")))
		return -1;
	if (get(opn, "servers"))
		return fail(cv, get(opn, "servers"),
			    "servers: an operation's own servers are not supported (the "
			    "document's one server is used)");
	for (size_t i = 0; i < t->ntools; i++)
		if (!strcmp(t->tools[i].name, id->str))
			return fail(cv, id, "operationId \"%s\" names another operation too",
				    id->str);
	if (!(op = calloc(1, sizeof(*op))))
		return fail(cv, opn, "out of memory");
	if (add_params(cv, op, get(item, "parameters")) ||
	    add_params(cv, op, get(opn, "parameters")))
		goto out;
	puts0(&o, "{\"name\":");
	put_str(&o, id->str);
	if (sum && sum->str[0]) {
		size_t n = sg_utf8_cut(sum->str, strlen(sum->str), 64);

		memcpy(title, sum->str, n);
		title[n] = '\0';
		puts0(&o, ",\"title\":");
		put_str(&o, title);
	}
	puts0(&o, ",\"description\":");
	put_str(&o, desc ? desc->str : sum ? sum->str : id->str);
	puts0(&o, ",\"inputSchema\":");
	if (emit_input(cv, &o, op, get(opn, "requestBody"), &octet))
		goto out;
	put(&o, "}", 1);
	*total += o.len;
	if (o.full || *total > SG_OPENAPI_TOOLS_MAX) {
		fail(cv, opn, "the document's tools come to more than %u MiB of JSON",
		     SG_OPENAPI_TOOLS_MAX >> 20);
		goto out;
	}
	tool = sg_arena_push(cv->a, &t->tools, &t->ntools, cap, sizeof(*tool));
	if (!tool)
		goto out;
	tool->name = id->str;
	tool->json = sg_arena_strndup(cv->a, o.p, o.len);
	tool->path = path;
	tool->octet = octet;
	for (size_t i = 0; method[i]; i++)
		title[i] = (char)(method[i] - 'a' + 'A'), title[i + 1] = '\0';
	tool->method = sg_arena_strdup(cv->a, title);
	for (size_t i = 0; i < op->n; i++)
		if (op->params[i].loc == LOC_HEADER) {
			const char **h = sg_arena_push(cv->a, &tool->headers.v, &tool->headers.n,
						       &tool->headers.cap, sizeof(*h));
			if (h)
				*h = op->params[i].name;
		}
	rc = tool->json && tool->method ? 0 : -1;
out:
	free(op);
	free(o.p);
	return rc;
}

const char *sg_openapi_server_prefix(struct sg_arena *a, const char *url)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *s = strstr(url, "://"), *p;
	size_t scheme = strspn(url, alpha), n;

	if (scheme)
		scheme = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789+.-");
	if (s)
		p = strchr(s + 3, '/');
	else if (!strncmp(url, "//", 2))
		p = strchr(url + 2, '/');
	else if (scheme && url[scheme] == ':') /* a URL with no authority: its path */
		p = url + scheme + 1;
	else
		return sg_arena_strdup(a, url); /* a relative path, as it is */
	if (!p)
		return "";
	n = strcspn(p, "?#");
	while (n > 0 && p[n - 1] == '/')
		n--;
	return sg_arena_strndup(a, p, n);
}

/* s goes into a request line as it is: no space, no control byte. */
static bool visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static const char *const methods[] = { "get",	  "put",  "post",  "delete",
				       "options", "head", "patch", "trace" };

/* The document's one server (or none): t->api_prefix. */
static int servers(struct conv *cv, const struct sg_node *doc, struct sg_mcp_target *t)
{
	const struct sg_node *s = get(doc, "servers"), *url;

	t->api_prefix = "";
	if (!s || (s->kind == SG_NODE_SEQ && !s->n))
		return 0;
	if (need(cv, s, "servers", SC_SEQ))
		return -1;
	if (s->n > 1)
		return fail(cv, s, "servers: multiple servers are not supported");
	url = get(s->items[0], "url");
	if (!url)
		return fail(cv, s->items[0], "servers[0]: missing field `url`");
	if (need_str(cv, url, "servers[0].url"))
		return -1;
	t->api_prefix = sg_openapi_server_prefix(cv->a, url->str);
	if (t->api_prefix && !visible(t->api_prefix))
		return fail(cv, url,
			    "servers[0].url: a path of spaces or control characters cannot "
			    "be sent");
	return t->api_prefix ? 0 : -1;
}

int sg_openapi_tools(struct sg_arena *a, struct sg_diag *d, const struct sg_node *doc,
		     struct sg_mcp_target *t)
{
	struct conv cv = { .a = a, .d = d };
	const struct sg_node *paths, *info;
	size_t cap = 0, total = 0;

	t->tools = NULL;
	t->ntools = 0;
	if (scal_of(doc) != SC_MAP)
		return fail(&cv, doc, "expected an OpenAPI document (a map), got %s",
			    scal_names[scal_of(doc)]);
	if (!get(doc, "openapi") || need_str(&cv, get(doc, "openapi"), "openapi"))
		return cv.failed ? -1 : fail(&cv, doc, "missing field `openapi`");
	if (!(info = get(doc, "info")) || need(&cv, info, "info", SC_MAP))
		return cv.failed ? -1 : fail(&cv, doc, "missing field `info`");
	if (!get(info, "title") || !get(info, "version") ||
	    need_str(&cv, get(info, "title"), "info.title") ||
	    need_str(&cv, get(info, "version"), "info.version"))
		return cv.failed ? -1 : fail(&cv, info, "info: missing field `title` or `version`");
	if (!(paths = get(doc, "paths")) || need(&cv, paths, "paths", SC_MAP))
		return cv.failed ? -1 : fail(&cv, doc, "missing field `paths`");
	cv.components = get(doc, "components");
	if (cv.components && need(&cv, cv.components, "components", SC_MAP))
		return -1;
	if (servers(&cv, doc, t))
		return -1;
	for (size_t i = 0; i < sg_map_len(paths); i++) {
		const char *path = sg_map_key(paths, i)->str;
		const struct sg_node *item = sg_map_val(paths, i);

		if (path[0] != '/') /* an extension (x-...) */
			continue;
		snprintf(cv.where, sizeof(cv.where), "paths.\"%s\"", path);
		if (need(&cv, item, "a path item", SC_MAP))
			return -1;
		if (!visible(path))
			return fail(&cv, sg_map_key(paths, i),
				    "a path of spaces or control characters cannot be sent");
		if (get(item, "$ref"))
			return fail(&cv, get(item, "$ref"), "unsupported reference: %s", path);
		if (get(item, "servers"))
			return fail(&cv, get(item, "servers"),
				    "servers: a path's own servers are not supported (the "
				    "document's one server is used)");
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			if (get(item, methods[m]) && operation(&cv, t, &cap, path, item, methods[m],
							       get(item, methods[m]), &total))
				return -1;
	}
	return cv.failed ? -1 : 0;
}

/* ---- the target's schema key ----------------------------------------------------- */

int sg_openapi_schema(struct sg_pctx *c, const struct sg_node *n, struct sg_mcp_target *t,
		      const char *path)
{
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;
	const char *text, *name;
	struct sg_node **docs = NULL;
	size_t len, ndocs = 0, cap = 0;

	if (n->kind == SG_NODE_MAP && sg_map_get(n, "url")) {
		sg_diag_err(c->d, sg_map_get(n, "url"),
			    "%s.url: fetching the schema from a URL is not supported: give it "
			    "as a file or inline",
			    path);
		return -1;
	}
	if (n->kind == SG_NODE_MAP && (sg_map_len(n) != 1 || !file || file->kind != SG_NODE_SCALAR))
		return sg_expected(c, n, path, "{file: PATH}, or the document inline as a string");
	if (file) {
		if (sg_conf_read_file_max(c, file, sg_path_key(c, path, "file"), file->str,
					  SG_OPENAPI_DOC_MAX, &text, &len))
			return -1;
		name = file->str;
	} else if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		text = n->str;
		len = strlen(text);
		name = sg_arena_printf(c->a, "%s:%u:%u (%s, inline)", n->file, n->line, n->col,
				       path);
	} else {
		return sg_expected(c, n, path, "{file: PATH}, or the document inline as a string");
	}
	if (!name || sg_yaml_parse(c->a, name, text, len, &docs, &ndocs, &cap, c->d))
		return -1;
	if (ndocs != 1) {
		sg_diag_err(c->d, n, "%s: expected one OpenAPI document, found %zu", path, ndocs);
		return -1;
	}
	return sg_openapi_tools(c->a, c->d, docs[0], t);
}
