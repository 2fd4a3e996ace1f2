/* The YAML reader: libyaml's event stream -> sg_node trees. This is the only
 * file that includes yaml.h. Anchors and aliases are resolved here, so the
 * rest of config/ sees plain trees (an alias shares the anchored node). */
#include "config/node.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
	const char *name;
	struct sg_node *node;
};

struct reader {
	struct sg_arena *a;
	struct sg_diag *d;
	const char *file;
	yaml_parser_t parser;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	/* Collections being read, outermost first: an alias to one of them
	 * would make the tree a cycle. */
	struct sg_node *open[SG_YAML_MAX_DEPTH + 1];
	int nopen;
	size_t written; /* nodes the text spells out */
	size_t aliased; /* nodes its aliases add (SG_YAML_MAX_ALIASED) */
};

static bool too_many(const struct reader *r)
{
	return r->written + r->aliased > SG_YAML_MAX_NODES;
}

static struct sg_node *new_node(struct reader *r, enum sg_node_kind kind, const yaml_event_t *ev)
{
	struct sg_node *n;

	if (++r->written, too_many(r)) {
		sg_diag_err_at(r->d, r->file, (unsigned)ev->start_mark.line + 1,
			       (unsigned)ev->start_mark.column + 1,
			       "YAML too large: more than %d nodes (aliases expanded) in one text",
			       SG_YAML_MAX_NODES);
		return NULL;
	}
	n = sg_arena_alloc(r->a, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->weight = 1;
	n->height = 1;
	n->file = r->file;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;
	return n;
}

static int remember_anchor(struct reader *r, const yaml_char_t *name, struct sg_node *n)
{
	struct anchor *slot;

	if (!name)
		return 0;
	slot = sg_arena_push(r->a, &r->anchors, &r->nanchors, &r->capanchors, sizeof(*slot));
	if (!slot)
		return -1;
	slot->name = sg_arena_strdup(r->a, (const char *)name);
	slot->node = n;
	return slot->name ? 0 : -1;
}

static struct sg_node *find_anchor(struct reader *r, const char *name)
{
	/* Later anchors shadow earlier ones of the same name, as YAML says. */
	for (size_t i = r->nanchors; i-- > 0;)
		if (strcmp(r->anchors[i].name, name) == 0)
			return r->anchors[i].node;
	return NULL;
}

static int next_event(struct reader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return 0;
	sg_diag_err_at(r->d, r->file, (unsigned)r->parser.problem_mark.line + 1,
		       (unsigned)r->parser.problem_mark.column + 1, "invalid YAML: %s%s%s",
		       r->parser.problem ? r->parser.problem : "syntax error",
		       r->parser.context ? " " : "", r->parser.context ? r->parser.context : "");
	return -1;
}

static struct sg_node *parse_node(struct reader *r, yaml_event_t *ev, int depth);

static int add_child(struct reader *r, struct sg_node *parent, struct sg_node *child)
{
	struct sg_node **slot =
		sg_arena_push(r->a, &parent->items, &parent->n, &parent->cap, sizeof(*slot));

	if (!slot)
		return -1;
	*slot = child;
	return 0;
}

static int duplicate_key(struct reader *r, const struct sg_node *first, const struct sg_node *key)
{
	sg_diag_err(r->d, key, "invalid YAML: duplicate key \"%s\" (first at %s:%u:%u)", key->str,
		    first->file, first->line, first->col);
	return -1;
}

/* FNV-1a. */
static size_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* Keys are strings, each at most once (YAML forbids repeats; the readers
 * would otherwise see the first in lookups and the last in field tables).
 * An open-addressing set of the keys seen, so that a map of 100,000 keys
 * costs 100,000 probes, not 5 billion comparisons. */
static int check_keys(struct reader *r, const struct sg_node *n)
{
	const struct sg_node *small[64], **set = small;
	size_t cap = 64, nkeys = n->n / 2;
	int ret = 0;

	while (cap < 2 * nkeys)
		cap *= 2;
	if (cap > 64 && !(set = calloc(cap, sizeof(*set))))
		return -1; /* sg_yaml_parse reports the lack of memory */
	if (set == small)
		memset(small, 0, sizeof(small));
	for (size_t i = 0; i < n->n && ret == 0; i += 2) {
		const struct sg_node *key = n->items[i];
		size_t h;

		if (key->kind != SG_NODE_SCALAR) {
			sg_diag_err(r->d, key, "map keys must be plain strings");
			ret = -1;
			break;
		}
		for (h = hash_str(key->str) & (cap - 1); set[h]; h = (h + 1) & (cap - 1)) {
			if (strcmp(set[h]->str, key->str) == 0) {
				ret = duplicate_key(r, set[h], key);
				break;
			}
		}
		set[h] = key;
	}
	if (set != small)
		free(set);
	return ret;
}

/* Reads children until the matching end event. Takes ownership of nothing:
 * every event it reads it deletes. */
static struct sg_node *parse_collection(struct reader *r, struct sg_node *n, yaml_event_type_t end,
					int depth)
{
	struct sg_node *ret = NULL;

	r->open[r->nopen++] = n; /* depth <= SG_YAML_MAX_DEPTH: parse_node checked */
	for (;;) {
		yaml_event_t ev;
		struct sg_node *child;

		if (next_event(r, &ev) == -1)
			goto out;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		child = parse_node(r, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child || add_child(r, n, child) == -1)
			goto out;
		n->weight += child->weight; /* <= SG_YAML_MAX_NODES: counted as read */
		if (child->height >= n->height)
			n->height = child->height + 1;
	}
	if (n->kind == SG_NODE_MAP && check_keys(r, n) == -1)
		goto out;
	ret = n;
out:
	r->nopen--;
	return ret;
}

/* An alias shares the anchored node; one inside that node's own
 * collection would make a cycle, which YAML loaders reject. Placed at
 * `depth`, the node's levels count from there: aliases must not nest the
 * tree deeper than its text may. */
static struct sg_node *parse_alias(struct reader *r, const yaml_event_t *ev, int depth)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct sg_node *n = find_anchor(r, name);
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;

	if (!n) {
		sg_diag_err_at(r->d, r->file, line, col, "alias *%s names no anchor", name);
		return NULL;
	}
	for (int i = 0; i < r->nopen; i++) {
		if (r->open[i] == n) {
			sg_diag_err_at(r->d, r->file, line, col,
				       "alias *%s refers to a node that contains it", name);
			return NULL;
		}
	}
	/* n is closed (not open above), so its weight and height are final. */
	if (depth + (int)n->height - 1 > SG_YAML_MAX_DEPTH) {
		sg_diag_err_at(r->d, r->file, line, col,
			       "alias *%s nests the YAML deeper than %d levels", name,
			       SG_YAML_MAX_DEPTH);
		return NULL;
	}
	r->aliased += n->weight;
	if (r->aliased > r->written + SG_YAML_MAX_ALIASED) {
		sg_diag_err_at(
			r->d, r->file, line, col,
			"alias *%s: aliases expand this YAML by %zu nodes, more than the %zu "
			"nodes it spells out plus %d (an alias bomb?); write the repeated "
			"parts out",
			name, r->aliased, r->written, SG_YAML_MAX_ALIASED);
		return NULL;
	}
	if (too_many(r)) {
		sg_diag_err_at(r->d, r->file, line, col,
			       "YAML too large: more than %d nodes (aliases expanded) in one text",
			       SG_YAML_MAX_NODES);
		return NULL;
	}
	return n;
}

static struct sg_node *parse_scalar(struct reader *r, const yaml_event_t *ev)
{
	struct sg_node *n = new_node(r, SG_NODE_SCALAR, ev);

	if (!n)
		return NULL;
	n->str =
		sg_arena_strndup(r->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!n->str || remember_anchor(r, ev->data.scalar.anchor, n) == -1)
		return NULL;
	return n;
}

static struct sg_node *parse_node(struct reader *r, yaml_event_t *ev, int depth)
{
	struct sg_node *n;

	if (depth > SG_YAML_MAX_DEPTH) {
		sg_diag_err_at(r->d, r->file, (unsigned)ev->start_mark.line + 1,
			       (unsigned)ev->start_mark.column + 1,
			       "YAML nested deeper than %d levels", SG_YAML_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return parse_scalar(r, ev);
	case YAML_ALIAS_EVENT:
		return parse_alias(r, ev, depth);
	case YAML_SEQUENCE_START_EVENT:
		n = new_node(r, SG_NODE_SEQ, ev);
		if (!n || remember_anchor(r, ev->data.sequence_start.anchor, n) == -1)
			return NULL;
		return parse_collection(r, n, YAML_SEQUENCE_END_EVENT, depth);
	case YAML_MAPPING_START_EVENT:
		n = new_node(r, SG_NODE_MAP, ev);
		if (!n || remember_anchor(r, ev->data.mapping_start.anchor, n) == -1)
			return NULL;
		return parse_collection(r, n, YAML_MAPPING_END_EVENT, depth);
	default:
		sg_diag_err_at(r->d, r->file, (unsigned)ev->start_mark.line + 1,
			       (unsigned)ev->start_mark.column + 1, "unexpected YAML event");
		return NULL;
	}
}

/* One document: DOCUMENT-START already read; reads up to DOCUMENT-END. */
static int parse_document(struct reader *r, struct sg_node **root)
{
	yaml_event_t ev;

	*root = NULL;
	r->nanchors = 0; /* anchors do not cross documents */
	if (next_event(r, &ev) == -1)
		return -1;
	if (ev.type != YAML_DOCUMENT_END_EVENT) {
		*root = parse_node(r, &ev, 0);
		yaml_event_delete(&ev);
		if (!*root)
			return -1;
		if (next_event(r, &ev) == -1)
			return -1;
	}
	yaml_event_delete(&ev);
	return 0;
}

static int parse_stream(struct reader *r, struct sg_node ***docs, size_t *ndocs, size_t *cap)
{
	for (;;) {
		yaml_event_t ev;
		yaml_event_type_t type;
		struct sg_node *root, **slot;

		if (next_event(r, &ev) == -1)
			return -1;
		type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue; /* STREAM_START */
		if (parse_document(r, &root) == -1)
			return -1;
		if (!root || sg_node_is_null(root))
			continue;
		slot = sg_arena_push(r->a, docs, ndocs, cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = root;
	}
}

int sg_yaml_parse(struct sg_arena *a, const char *file, const char *text, size_t len,
		  struct sg_node ***docs, size_t *ndocs, size_t *cap, struct sg_diag *d)
{
	struct reader r = { .a = a, .d = d, .file = file };
	size_t errors = d->errors;
	int ret;

	if (!yaml_parser_initialize(&r.parser)) {
		sg_diag_err(d, NULL, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	ret = parse_stream(&r, docs, ndocs, cap);
	yaml_parser_delete(&r.parser);
	if (ret == -1 && d->errors == errors)
		sg_diag_err(d, NULL, "%s: out of memory", file);
	return ret;
}

const char *sg_node_kind_name(const struct sg_node *n)
{
	if (!n || sg_node_is_null(n))
		return "null";
	switch (n->kind) {
	case SG_NODE_MAP:
		return "a map";
	case SG_NODE_SEQ:
		return "a list";
	default:
		return "a scalar";
	}
}

bool sg_node_is_null(const struct sg_node *n)
{
	if (!n)
		return true;
	if (n->kind != SG_NODE_SCALAR || !n->plain)
		return false;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

size_t sg_map_len(const struct sg_node *map)
{
	return map->kind == SG_NODE_MAP ? map->n / 2 : 0;
}

const struct sg_node *sg_map_key(const struct sg_node *map, size_t i)
{
	return map->items[2 * i];
}

const struct sg_node *sg_map_val(const struct sg_node *map, size_t i)
{
	return map->items[2 * i + 1];
}

const struct sg_node *sg_map_get(const struct sg_node *map, const char *key)
{
	if (!map || map->kind != SG_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i += 2)
		if (strcmp(map->items[i]->str, key) == 0)
			return map->items[i + 1];
	return NULL;
}
