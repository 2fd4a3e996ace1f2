/* JSON documents: build, parse, look up and print. The one wrapper of
 * cJSON (its types never leave user/base/json.c); struct sg_json is opaque. */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stdbool.h>

/* One JSON value and, for an array or an object, its members. A value is
 * owned by whoever created or parsed it until it is added to a container,
 * which then owns it; sg_json_free releases a root and all it holds. */
struct sg_json;

enum sg_json_type {
	SG_JSON_INVALID, /* NULL, or not a value (never returned otherwise) */
	SG_JSON_NULL,
	SG_JSON_FALSE,
	SG_JSON_TRUE,
	SG_JSON_NUMBER,
	SG_JSON_STRING,
	SG_JSON_ARRAY,
	SG_JSON_OBJECT,
};

enum sg_json_style {
	SG_JSON_COMPACT, /* one line, no spaces: {"a":[1,2]} */
	SG_JSON_TABS,	 /* cJSON's layout: tab indents, "key":\tvalue, [{ on one line */
	SG_JSON_INDENT,	 /* serde_json's pretty layout: two spaces, one member a line */
};

/* New values, owned by the caller; NULL when out of memory (or, for
 * sg_json_string, when s is NULL). The string is copied. Numbers are
 * doubles, printed with 15 significant digits, or 17 when 15 would not
 * read back the same double: 3000000000, 1e+20, 0.1, 0.33333333333333331;
 * NaN and infinities print as null. */
struct sg_json *sg_json_object(void);
struct sg_json *sg_json_array(void);
struct sg_json *sg_json_string(const char *s);
struct sg_json *sg_json_number(double v);
/* A floating-point number printed as serde_json prints an f64: the
 * shortest digits that read back the same double, with ".0" when they
 * would read as an integer (1.0, 0.5, 0.35). */
struct sg_json *sg_json_float(double v);
struct sg_json *sg_json_bool(bool v);
struct sg_json *sg_json_null(void);

/* Release v and everything in it. NULL is fine; a value inside a
 * container is released with its root, never alone. */
void sg_json_free(struct sg_json *v);

/* Append `item` to object `obj` under `key` (copied; an existing member
 * of that name stays: see sg_json_remove), or to array `arr`. Always takes
 * `item`: when it cannot be added it is freed. Returns 0; -EINVAL when a
 * container or item is NULL, -ENOMEM. */
int sg_json_add(struct sg_json *obj, const char *key, struct sg_json *item);
int sg_json_push(struct sg_json *arr, struct sg_json *item);

/* Member `key` of obj becomes `item`, where the old one was (serde_json's
 * insert with preserve_order), or appended when obj has none. Takes item
 * as sg_json_add does. */
int sg_json_set(struct sg_json *obj, const char *key, struct sg_json *item);

/* sg_json_add of a new string (s NULL: nothing is added, -EINVAL), number,
 * bool or null. */
int sg_json_add_str(struct sg_json *obj, const char *key, const char *s);
int sg_json_add_num(struct sg_json *obj, const char *key, double v);
int sg_json_add_bool(struct sg_json *obj, const char *key, bool v);
int sg_json_add_null(struct sg_json *obj, const char *key);
/* A new empty object or array added under `key`, owned by obj; NULL when
 * it could not be added. */
struct sg_json *sg_json_add_object(struct sg_json *obj, const char *key);
struct sg_json *sg_json_add_array(struct sg_json *obj, const char *key);

/* Remove and free the first member of obj named `key` (case-sensitive),
 * if there is one. */
void sg_json_remove(struct sg_json *obj, const char *key);

/* Parse one JSON text (NUL-terminated): one value, with whitespace only
 * around it, as serde_json reads a document (agentgateway refuses
 * `{"a":1} trailing`, so do we). Returns a new root, the caller's, or NULL
 * when the text is not JSON or memory ran out. */
struct sg_json *sg_json_parse(const char *text);

/* sg_json_parse, but each number prints again as it was written where
 * its double would print otherwise (9007199254740993, 1.5, 1e2, -0): a
 * JSON-RPC id goes back to its client byte for byte. Lookups read such a
 * number as any other (its double; sg_json_num_text its text). A number
 * outside JSON's grammar, which cJSON reads (01, 1., -01), makes the text
 * none (NULL), as serde_json refuses it. */
struct sg_json *sg_json_parse_exact(const char *text);

/* v as text in `style`, no trailing newline; malloc'd (free()), NULL when
 * v is NULL or memory ran out. Strings are escaped as JSON wants (", \,
 * control characters as \n, \t, ... or \u00XX); other UTF-8 is kept. */
char *sg_json_print(const struct sg_json *v, enum sg_json_style style);

/* Lookups. Each takes NULL (and returns SG_JSON_INVALID or NULL), so a
 * path of lookups needs one check at its end. The results belong to the
 * root they were found in. */
enum sg_json_type sg_json_type(const struct sg_json *v);
/* Object member `key` (case-sensitive; the first of that name), or NULL
 * when obj is not an object or has none. */
struct sg_json *sg_json_get(const struct sg_json *obj, const char *key);
/* The first member of an array or object (NULL when empty or not a
 * container), and the one after `v` in its container. */
struct sg_json *sg_json_first(const struct sg_json *v);
struct sg_json *sg_json_next(const struct sg_json *v);
/* The name of object member `v`, or NULL (array elements, roots). */
const char *sg_json_key(const struct sg_json *v);
/* The text of a string, or NULL when v is not a string. */
const char *sg_json_str(const struct sg_json *v);
/* The value of a number into *out. Returns 0, or -EINVAL when v is not a
 * number. */
int sg_json_num(const struct sg_json *v, double *out);
/* The text of number v as sg_json_parse_exact kept it (or as sg_json_float
 * wrote it); NULL when v prints from its double (or is no number). */
const char *sg_json_num_text(const struct sg_json *v);

/* A config node (config/node.h) as JSON: maps as objects (a key written
 * twice: the last), sequences as arrays, plain scalars as YAML's core
 * schema reads them (integers, booleans, null; the rest strings). A new
 * root, the caller's; NULL when out of memory. */
struct sg_node;
struct sg_json *sg_json_of_node(const struct sg_node *n);
/* Map `map` as an object whose members are in the order of their keys
 * (byte order, as a Rust BTreeMap keeps them; a key written twice: the
 * last), each key in snake case when snake_case ("scopesSupported" ->
 * "scopes_supported", as serde's heck writes it). Not a map: an empty
 * object. NULL when out of memory. */
struct sg_json *sg_json_of_map(const struct sg_node *map, bool snake_case);

#endif
