/* RuleSets (authorization, networkAuthorization): each rule a CEL
 * expression, compiled here once and kept with the config. */
#include "config/ruleset.h"

#include <string.h>

#include "config/filters.h"

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

int sg_f_mcp_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters *f = dst;
	struct sg_authz *a = sg_arena_alloc(c->a, sizeof(*a));

	if (!a)
		return -1;
	f->mcp_authz = a;
	return sg_authz_parse(c, n, a, path);
}

/* ---- the AgentgatewayPolicy form ------------------------------------------ */

/* traffic.authorization as read: the action's list, the expressions. */
struct agp_authz {
	size_t mode; /* 0 Allow (the default), 1 Deny, 2 Require */
	const struct sg_node *exprs;
};

static int f_action(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const actions[] = { "Allow", "Deny", "Require" };
	struct agp_authz *k = dst;

	for (k->mode = 0; n->kind == SG_NODE_SCALAR && k->mode < 3; k->mode++)
		if (!strcmp(n->str, actions[k->mode]))
			return 0;
	return sg_expected(c, n, path, "Allow, Deny or Require");
}

static int f_match(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct agp_authz *k = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	if (n->n < 1 || n->n > 256)
		return sg_expected(c, n, path, "1 to 256 CEL expressions");
	k->exprs = n;
	return 0;
}

static int f_policy(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "matchExpressions", f_match, 0, true },
		{ 0 },
	};

	if (sg_need_map(c, n, path) == -1)
		return -1;
	return sg_parse_fields(c, n, fields, dst, path);
}

int sg_f_agp_authorization(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "action", f_action, 0 },
		{ "policy", f_policy, 0, true },
		{ 0 },
	};
	struct agp_authz k = { 0 };
	struct sg_authz *a = sg_arena_alloc(c->a, sizeof(*a));
	struct sg_authz_rules *list;
	const char *at;
	int ret = 0;

	if (!a)
		return -1;
	if (sg_need_map(c, n, path) == -1 || sg_parse_fields(c, n, fields, &k, path) == -1)
		return -1;
	list = k.mode == 1 ? &a->deny : k.mode == 2 ? &a->require : &a->allow;
	at = sg_path_key(c, sg_path_key(c, path, "policy"), "matchExpressions");
	for (size_t i = 0; i < k.exprs->n; i++) {
		const struct sg_node *e = k.exprs->items[i];
		const char *key = sg_path_idx(c, at, i);
		const struct sg_cel **slot;

		if (e->kind != SG_NODE_SCALAR || sg_node_is_null(e) || !e->str[0]) {
			ret = sg_expected(c, e, key, "a CEL expression");
			continue;
		}
		slot = sg_arena_push(c->a, &list->v, &list->n, &list->cap, sizeof(*slot));
		if (!slot)
			return -1;
		if (sg_cel_field(c, e, e->str, slot, key) == -1)
			ret = -1;
	}
	*(const struct sg_authz **)dst = a;
	return ret;
}
