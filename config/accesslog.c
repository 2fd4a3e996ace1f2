/* The access log's configuration (config/accesslog.h): a filter and fields
 * as CEL, compiled here once; config.logging's level and format. */
#include "config/accesslog.h"

#include <string.h>

#include "config/cel.h"
#include "config/diag.h"
#include "config/transform.h"

/* An access log (or span attribute) expression reads the whole context:
 * a route whose listener logs request.body or response.body holds them,
 * and response.headers are the head the client got, kept for the line
 * (resolve.c). */
static int log_expr(struct sg_pctx *c, const struct sg_node *n, const struct sg_cel **out,
		    const char *path)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a CEL expression");
	return sg_cel_field(c, n, n->str, out, path) == -1 ? -1 : 0;
}

int sg_f_log_filter(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_node_is_null(n))
		return 0;
	return log_expr(c, n, dst, path);
}

/* A field's name: any but the empty one. */
static int field_name(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *val,
		      const char *path, const char *name)
{
	(void)val;
	return *name ? 0 : sg_expected(c, key, path, "a field name");
}

/* add: {field name: expression}, in order. */
int sg_f_log_add(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_cel_map_how how = { .name_ok = field_name };

	return sg_cel_map(c, n, dst, path, &how);
}

static int f_remove(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_node_is_null(n) ? 0 : sg_f_strs(c, n, dst, path);
}

static int f_expression(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return log_expr(c, n, dst, path);
}

int sg_f_log_add_list(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct sg_transform_expr, name), true },
		{ "expression", f_expression, offsetof(struct sg_transform_expr, expr), true },
		{ 0 },
	};
	struct sg_transform_exprs *l = dst;
	int ret = 0;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_SEQ)
		return sg_expected(c, n, path, "a list of {name, expression}");
	for (size_t i = 0; i < n->n; i++) {
		struct sg_transform_expr *x =
			sg_arena_push(c->a, &l->v, &l->n, &l->cap, sizeof(*x));

		if (!x)
			return -1;
		memset(x, 0, sizeof(*x));
		if (sg_parse_fields(c, n->items[i], fields, x, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	}
	return ret;
}

int sg_f_log_attributes(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "remove", f_remove, offsetof(struct sg_log_policy, remove) },
		{ "add", sg_f_log_add_list, offsetof(struct sg_log_policy, add) },
		{ 0 },
	};
	return sg_node_is_null(n) ? 0 : sg_parse_fields(c, n, fields, dst, path);
}

static int f_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: not supported by splicegate (its access log is written to stdout only)",
		    path);
	return -1;
}

/* A policy into the const struct sg_log_policy * at dst (allocated in
 * c's arena, empty for null), its keys `fields`. */
static int policy(struct sg_pctx *c, const struct sg_node *n, const struct sg_field *fields,
		  void *dst, const char *path)
{
	struct sg_log_policy *p = sg_arena_alloc(c->a, sizeof(*p));

	if (!p)
		return -1;
	*(const struct sg_log_policy **)dst = p;
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, p, path);
}

int sg_f_access_log(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "filter", sg_f_log_filter, offsetof(struct sg_log_policy, filter) },
		{ "add", sg_f_log_add, offsetof(struct sg_log_policy, add) },
		{ "remove", f_remove, offsetof(struct sg_log_policy, remove) },
		{ "otlp", f_refused, 0 },
		{ "database", f_refused, 0 },
		{ 0 },
	};
	return policy(c, n, fields, dst, path);
}

int sg_f_access_log_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "filter", sg_f_log_filter, offsetof(struct sg_log_policy, filter) },
		{ "attributes", sg_f_log_attributes, 0 },
		{ "otlp", f_refused, 0 },
		{ 0 },
	};
	return policy(c, n, fields, dst, path);
}

int sg_f_log_fields(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "add", sg_f_log_add, offsetof(struct sg_log_policy, add) },
		{ "remove", f_remove, offsetof(struct sg_log_policy, remove) },
		{ 0 },
	};
	return sg_node_is_null(n) ? 0 : sg_parse_fields(c, n, fields, dst, path);
}

/* One level for the whole gateway: "info", or a list of one. */
static int f_level(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	const struct sg_node *v = n->kind == SG_NODE_SEQ && n->n == 1 ? n->items[0] : n;

	if (sg_node_is_null(n))
		return 0;
	if (v->kind == SG_NODE_SCALAR && strchr(v->str, '=')) {
		sg_diag_err(c->d, v,
			    "%s: per-module levels (\"%s\") are not supported by splicegate: give "
			    "one level, error, warn, info or debug",
			    path, v->str);
		return -1;
	}
	for (size_t i = 0; v->kind == SG_NODE_SCALAR && i < sizeof(levels) / sizeof(*levels); i++)
		if (!strcmp(v->str, levels[i])) {
			*(const char **)dst = levels[i];
			return 0;
		}
	return sg_expected(c, v, path, "a level: error, warn, info or debug");
}

static int f_format(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_log_format *f = dst;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "text"))
		*f = SG_LOG_FORMAT_TEXT;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "json"))
		*f = SG_LOG_FORMAT_JSON;
	else
		return sg_expected(c, n, path, "text or json");
	return 0;
}

int sg_f_logging(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "filter", sg_f_log_filter, offsetof(struct sg_logging, access.filter) },
		{ "fields", sg_f_log_fields, offsetof(struct sg_logging, access) },
		{ "level", f_level, offsetof(struct sg_logging, level) },
		{ "format", f_format, offsetof(struct sg_logging, format) },
		{ "database", f_refused, 0 },
		{ 0 },
	};
	struct sg_logging *l;

	if (sg_node_is_null(n))
		return 0;
	if (!(l = sg_arena_alloc(c->a, sizeof(*l))))
		return -1;
	*(const struct sg_logging **)dst = l;
	return sg_parse_fields(c, n, fields, l, path);
}

bool sg_log_policy_reads(const struct sg_log_policy *p, unsigned need)
{
	if (!p)
		return false;
	if (p->filter && (sg_cel_needs(p->filter) & need))
		return true;
	for (size_t i = 0; i < p->add.n; i++)
		if (sg_cel_needs(p->add.v[i].expr) & need)
			return true;
	return false;
}

static bool has_any(const struct sg_log_policy *p)
{
	return p && (p->filter || p->add.n || p->remove.n);
}

const struct sg_log_policy *sg_log_policy_merge(struct sg_arena *a, const struct sg_log_policy *pol,
						const struct sg_logging *global)
{
	const struct sg_log_policy *g = global ? &global->access : NULL;
	struct sg_log_policy *m;

	if (!has_any(g))
		return has_any(pol) ? pol : NULL;
	if (!has_any(pol))
		return g;
	if (!(m = sg_arena_alloc(a, sizeof(*m))))
		return pol;
	m->filter = pol->filter ? pol->filter : g->filter;
	m->add = pol->add.n ? pol->add : g->add;
	m->remove = pol->remove.n ? pol->remove : g->remove;
	return m;
}
