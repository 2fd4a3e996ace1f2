/* A YAML document as a tree of nodes that remember where they came from
 * (file:line:col, 1-based), so every later error can point at its source. */
#ifndef SG_NODE_H
#define SG_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/arena.h"
#include "config/diag.h"

enum sg_node_kind {
	SG_NODE_SCALAR,
	SG_NODE_MAP,
	SG_NODE_SEQ,
};

/* Owned by the arena it was loaded into. A map stores key and value nodes
 * alternately in `items` (n counts both). An alias shares the anchored
 * node, so a tree may hold one node in several places. */
struct sg_node {
	enum sg_node_kind kind;
	const char *file;
	unsigned line, col;
	const char *str; /* scalar text, NUL-terminated */
	bool plain;	 /* unquoted scalar: "null", "~", "" mean null */
	struct sg_node **items;
	size_t n, cap;
	size_t weight;	 /* nodes in this subtree with every alias expanded, itself included */
	unsigned height; /* its levels with every alias expanded: 1 for a scalar */
};

/* What one text (a file, one POST /config body) may expand to. Every
 * reader of the tree walks aliases as if they were written out, so an
 * alias counts as the whole subtree it names: a "billion laughs" text of a
 * few KB would otherwise expand to billions of nodes. The nodes aliases
 * add may outnumber the nodes the text spells out by SG_YAML_MAX_ALIASED
 * at most (what a text expands to stays within twice its size plus a
 * constant), and a text has SG_YAML_MAX_NODES nodes at most in all. */
#define SG_YAML_MAX_NODES 1000000
#define SG_YAML_MAX_ALIASED 10000
#define SG_YAML_MAX_DEPTH 64

/* Parse every document of `text` (named `file` in diagnostics). Appends the
 * document roots to *docs (arena-backed; ndocs and cap as for sg_arena_push).
 * Empty documents are skipped. Returns 0, or -1 after recording the error
 * in `d`: YAML syntax, a repeated key, nesting deeper than
 * SG_YAML_MAX_DEPTH, or a text over the node limits above (each named at
 * file:line:col). Time and memory are linear in len and the nodes the text
 * expands to. */
int sg_yaml_parse(struct sg_arena *a, const char *file, const char *text, size_t len,
		  struct sg_node ***docs, size_t *ndocs, size_t *cap, struct sg_diag *d);

/* Helpers over the tree. */
const char *sg_node_kind_name(const struct sg_node *n);
bool sg_node_is_null(const struct sg_node *n);
size_t sg_map_len(const struct sg_node *map);
const struct sg_node *sg_map_key(const struct sg_node *map, size_t i);
const struct sg_node *sg_map_val(const struct sg_node *map, size_t i);
/* The value under `key`, or NULL when absent (maps only). */
const struct sg_node *sg_map_get(const struct sg_node *map, const char *key);

#endif
