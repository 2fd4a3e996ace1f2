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
 * alternately in `items` (n counts both). */
struct sg_node {
	enum sg_node_kind kind;
	const char *file;
	unsigned line, col;
	const char *str; /* scalar text, NUL-terminated */
	bool plain;	 /* unquoted scalar: "null", "~", "" mean null */
	struct sg_node **items;
	size_t n, cap;
};

/* Parse every document of `text` (named `file` in diagnostics). Appends the
 * document roots to *docs (arena-backed; ndocs and cap as for sg_arena_push).
 * Empty documents are skipped. Returns 0, or -1 after recording the YAML
 * syntax error in `d`. */
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
