/* CEL's text to a checked tree: the lexer, a precedence-climbing parser
 * and the checker that resolves names (variables, context fields,
 * functions, macros) once at load, so evaluation (config/cel.c) never
 * looks a name up. Internal to the CEL module. */
#ifndef SG_CELPARSE_H
#define SG_CELPARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/arena.h"
#include "config/cel.h"

enum sg_cel_kind {
	SG_CELK_LIT,	 /* lit */
	SG_CELK_IDENT,	 /* name in lit.s; gone after checking */
	SG_CELK_LOCAL,	 /* a comprehension's variable: slot */
	SG_CELK_ATTR,	 /* a context leaf: attr */
	SG_CELK_HEADERS, /* request.headers or response.headers (response) */
	SG_CELK_HEADER,	 /* one header of them: lowercase name in lit.s */
	SG_CELK_SELECT,	 /* a.field, field in lit.s */
	SG_CELK_HAS,	 /* has(a.field), field in lit.s */
	SG_CELK_INDEX,	 /* a[b] */
	SG_CELK_CALL,	 /* fn; receiver (or NULL) in a, args[0..nargs) */
	SG_CELK_LIST,	 /* args */
	SG_CELK_MAP,	 /* args: key, value, key, value... */
	SG_CELK_COND,	 /* a ? b : c */
	SG_CELK_AND,
	SG_CELK_OR,
	SG_CELK_NOT,
	SG_CELK_NEG,
	SG_CELK_BIN, /* op: a op b */
	SG_CELK_COMP /* fn (a macro): over a, variable slot, b (predicate or
		      * transform), c (map's transform after a filter) */
};

enum sg_cel_op {
	SG_CELOP_EQ,
	SG_CELOP_NE,
	SG_CELOP_LT,
	SG_CELOP_LE,
	SG_CELOP_GT,
	SG_CELOP_GE,
	SG_CELOP_IN,
	SG_CELOP_ADD,
	SG_CELOP_SUB,
	SG_CELOP_MUL,
	SG_CELOP_DIV,
	SG_CELOP_MOD,
};

/* Functions and macros, by what the checker resolved the name to. */
enum sg_cel_fn {
	SG_CELF_SIZE,
	SG_CELF_CONTAINS,
	SG_CELF_STARTS_WITH,
	SG_CELF_ENDS_WITH,
	SG_CELF_MATCHES,
	SG_CELF_LOWER_ASCII,
	SG_CELF_UPPER_ASCII,
	SG_CELF_SPLIT,
	SG_CELF_JOIN,
	SG_CELF_REPLACE,
	SG_CELF_TRIM,
	SG_CELF_INDEX_OF,
	SG_CELF_LAST_INDEX_OF,
	SG_CELF_SUBSTRING,
	SG_CELF_CHAR_AT,
	SG_CELF_STRIP_PREFIX,
	SG_CELF_STRIP_SUFFIX,
	SG_CELF_INT,
	SG_CELF_UINT,
	SG_CELF_DOUBLE,
	SG_CELF_STRING,
	SG_CELF_BYTES,
	SG_CELF_BOOL,
	SG_CELF_DURATION,
	SG_CELF_TIMESTAMP,
	SG_CELF_TYPE,
	SG_CELF_DYN,
	SG_CELF_GET_FULL_YEAR,
	SG_CELF_GET_MONTH,
	SG_CELF_GET_DAY_OF_YEAR,
	SG_CELF_GET_DAY_OF_MONTH,
	SG_CELF_GET_DATE,
	SG_CELF_GET_DAY_OF_WEEK,
	SG_CELF_GET_HOURS,
	SG_CELF_GET_MINUTES,
	SG_CELF_GET_SECONDS,
	SG_CELF_GET_MILLISECONDS,
	SG_CELF_UNREDACTED,
	SG_CELF_DEFAULT,
	SG_CELF_COALESCE,
	SG_CELF_REGEX_REPLACE,
	SG_CELF_FAIL,
	SG_CELF_MERGE,
	SG_CELF_BASE64_ENCODE,
	SG_CELF_BASE64_DECODE,
	SG_CELF_URL_ENCODE,
	SG_CELF_URL_DECODE,
	SG_CELF_JSON,
	SG_CELF_TO_JSON,
	SG_CELF_UNVALIDATED_JWT_PAYLOAD,
	SG_CELF_IS_IP,
	SG_CELF_CIDR_CONTAINS_IP, /* cidr("...").containsIP(x): cidr in re */
	SG_CELF_MATH_GREATEST,
	SG_CELF_MATH_LEAST,
	SG_CELF_MATH_ABS,
	SG_CELF_RANDOM,
	SG_CELF_FORM_ENCODE,
	/* macros (SG_CELK_COMP) */
	SG_CELF_ALL,
	SG_CELF_EXISTS,
	SG_CELF_EXISTS_ONE,
	SG_CELF_MAP,
	SG_CELF_FILTER,
	SG_CELF_WITH,
	SG_CELF_FILTER_KEYS,
	SG_CELF_MAP_VALUES,
};

/* A node of the tree; in the compiled expression's arena. */
struct sg_cel_node {
	enum sg_cel_kind kind;
	uint8_t op;	 /* enum sg_cel_op */
	uint8_t fn;	 /* enum sg_cel_fn */
	uint8_t slot;	 /* SG_CELK_LOCAL, SG_CELK_COMP */
	uint8_t attr;	 /* enum sg_cel_attr */
	bool response;	 /* SG_CELK_HEADERS, SG_CELK_HEADER */
	uint16_t height; /* 1 for a leaf */
	unsigned col;	 /* 1-based, in the source */
	struct sg_cel_val lit;
	struct sg_cel_node *a, *b, *c;
	struct sg_cel_node **args;
	uint32_t nargs;
	/* A pattern compiled at load (matches, regexReplace), or a cidr
	 * (containsIP): owned by the expression. */
	const void *re;
};

struct sg_cel {
	struct sg_arena arena;
	struct sg_cel_node *root;
	unsigned needs;
	const char *src;
	void **regexes; /* to free with the expression */
	size_t nregexes, capregexes;
};

/* A CIDR as compiled by the checker for containsIP. */
struct sg_cel_cidr {
	uint8_t addr[16];
	unsigned bits; /* prefix length */
	bool v6;
};

/* Parse and check e->src into e->root and e->needs. Returns 0; -EINVAL
 * with *err; -ENOMEM. Whatever was allocated stays e's. */
int sg_celparse(struct sg_cel *e, struct sg_cel_err *err);

/* An address's 4 or 16 bytes; false when `s` (n bytes) is not one. */
bool sg_celparse_ip(const char *s, size_t n, uint8_t out[16], bool *v6);

#endif
