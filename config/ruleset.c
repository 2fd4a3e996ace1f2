/* RuleSets (authorization, networkAuthorization): each rule a CEL
 * expression, compiled here once and kept with the config. */
#include "config/ruleset.h"

#include <string.h>

#include "config/filters.h"
#include "config/transform.h"

/* One rule: "expr" (allow), or {allow|deny|require: expr}. */
static int rule(struct sg_pctx *c, const struct sg_node *n, struct sg_authz *a, const char *path)
{
	static const char *const modes[] = { "allow", "deny", "require" };
	struct sg_authz_rules *lists[] = { &a->allow, &a->deny, &a->require };
	const struct sg_node *v = n;
	const char *key = path;
	size_t mode = 0;
	const struct sg_cel **slot;

	if (n->kind == SG_NODE_MAP) {
		for (mode = 0;
		     mode < 3 && (sg_map_len(n) != 1 || strcmp(sg_map_key(n, 0)->str, modes[mode]));
		     mode++)
			;
		if (mode == 3)
			return sg_expected(c, n, path,
					   "a CEL expression, or one of {allow: ...}, {deny: ...}, "
					   "{require: ...}");
		v = sg_map_val(n, 0);
		key = sg_path_key(c, path, modes[mode]);
	}
	if (v->kind != SG_NODE_SCALAR || sg_node_is_null(v))
		return sg_expected(c, v, key, "a CEL expression");
	slot = sg_arena_push(c->a, &lists[mode]->v, &lists[mode]->n, &lists[mode]->cap,
			     sizeof(*slot));
	if (!slot)
		return -1;
	return sg_cel_field(c, v, v->str, slot, key);
}

static int f_rules(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (rule(c, n->items[i], dst, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	return ret;
}

int sg_authz_parse(struct sg_pctx *c, const struct sg_node *n, struct sg_authz *a, const char *path)
{
	static const struct sg_field fields[] = {
		{ "rules", f_rules, 0, true },
		{ 0 },
	};

	return sg_parse_fields(c, n, fields, a, path);
}

int sg_f_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters *f = dst;
	struct sg_authz *a = sg_arena_alloc(c->a, sizeof(*a));

	if (!a)
		return -1;
	f->authz = a;
	return sg_authz_parse(c, n, a, path);
}
