/* agentgateway's `transformations` policy: request and response headers
 * set, added or removed, the values CEL expressions (config/cel.h)
 * compiled when the config loads. */
#ifndef SG_TRANSFORM_H
#define SG_TRANSFORM_H

#include "config/cfg.h"
#include "config/fields.h"

/* A route's `transformations: {request: {set, add, remove, body},
 * response: {set, add, remove, body}}` into the struct sg_filters at dst
 * (its `transform`). A value that does not compile is refused at its
 * column; `replace` and `metadata` are refused by name. Compiled
 * expressions are cfg's (c->cfg, freed by sg_cfg_free). Returns 0, or -1
 * after an error in c->d. */
int sg_f_transformations(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* s lowercased (ASCII), in the config's arena (NULL: out of memory). */
char *sg_cfg_lower(struct sg_pctx *c, const char *s);

/* How sg_cel_map takes a map's names. */
struct sg_cel_map_how {
	/* NULL: any name; else -1 for a name refused, after its error (key
	 * and val are the name's and its expression's nodes). */
	int (*name_ok)(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *val,
		       const char *path, const char *name);
	bool lower;  /* names kept lowercased (header names) */
	bool sorted; /* kept by name, as agentgateway's BTreeMap; else in the map's order */
};

/* A map {name: CEL expression} (null: none) into l: each expression
 * compiled (none or an empty one refused as "a CEL expression"), each
 * name as `how` says. Every entry is read and every error reported;
 * returns 0, or -1 after an error in c->d. */
int sg_cel_map(struct sg_pctx *c, const struct sg_node *n, struct sg_transform_exprs *l,
	       const char *path, const struct sg_cel_map_how *how);

/* {header name: expression, ...} into the struct sg_transform_exprs at
 * dst: names checked and lowercased, expressions compiled. */
int sg_f_cel_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* What a route with filters f waits for before its plan runs
 * (SG_ROUTE_DEFER_* bits of sg_route.defer): the request body, held
 * whole, when its expressions read request.body or its request
 * transformation replaces the body; its extAuthz's verdict, for the part
 * after it (authorization on), whenever it has one; and the response
 * body, held whole, when its response transformation reads response.body
 * or replaces the body. */
unsigned sg_transform_defer(const struct sg_filters *f);

#endif
