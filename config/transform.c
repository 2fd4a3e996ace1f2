/* transformations: each header value a CEL expression, compiled here once
 * and kept with the config; user/core/transform.c evaluates them. */
#include <errno.h>
#include <string.h>

#include "config/cel.h"
#include "config/headers.h"
#include "config/transform.h"

char *sg_cfg_lower(struct sg_pctx *c, const char *s)
{
	char *o = sg_arena_strdup(c->a, s);

	for (char *p = o; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return o;
}

int sg_cel_map(struct sg_pctx *c, const struct sg_node *n, struct sg_transform_exprs *l,
	       const char *path, const struct sg_cel_map_how *how)
{
	int ret = 0;

	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i), *v = sg_map_val(n, i);
		const char *name = k->str, *key = sg_path_key(c, path, name);
		size_t at = l->n;

		if (v->kind != SG_NODE_SCALAR || sg_node_is_null(v) || !v->str[0]) {
			ret = sg_expected(c, v, key, "a CEL expression");
			continue;
		}
		if (how->name_ok && how->name_ok(c, k, v, path, name) == -1) {
			ret = -1;
			continue;
		}
		if (how->lower && !(name = sg_cfg_lower(c, name)))
			return -1;
		if (!sg_arena_push(c->a, &l->v, &l->n, &l->cap, sizeof(*l->v)))
			return -1;
		while (how->sorted && at > 0 && strcmp(l->v[at - 1].name, name) > 0) {
			l->v[at] = l->v[at - 1];
			at--;
		}
		l->v[at] = (struct sg_transform_expr){ .name = name };
		if (sg_cel_field(c, v, v->str, &l->v[at].expr, key) == -1)
			ret = -1;
	}
	return ret;
}

static int header_name(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *val,
		       const char *path, const char *name)
{
	(void)key;
	return sg_check_header(c, val, path, name, NULL);
}

int sg_f_cel_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_cel_map_how how = { .name_ok = header_name, .lower = true };

	if (sg_header_map_check(c, n, path) == -1)
		return -1;
	return sg_cel_map(c, n, dst, path, &how);
}

static int f_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported by splicegate (header set, add and remove, and body, "
		    "are)",
		    path);
	return -1;
}

/* body: one expression over the request (or the response), its body held
 * whole. */
static int f_body(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a CEL expression");
	return sg_cel_field(c, n, n->str, dst, path);
}

static const struct sg_field request_fields[] = {
	{ "add", sg_f_cel_headers, offsetof(struct sg_transform_side, add) },
	{ "set", sg_f_cel_headers, offsetof(struct sg_transform_side, set) },
	{ "remove", sg_f_header_names, offsetof(struct sg_transform_side, remove) },
	{ "body", f_body, offsetof(struct sg_transform_side, body) },
	{ "replace", f_refused, 0 },
	{ "metadata", f_refused, 0 },
	{ 0 },
};

static const struct sg_field response_fields[] = {
	{ "add", sg_f_cel_headers, offsetof(struct sg_transform_side, add) },
	{ "set", sg_f_cel_headers, offsetof(struct sg_transform_side, set) },
	{ "remove", sg_f_header_names, offsetof(struct sg_transform_side, remove) },
	{ "body", f_body, offsetof(struct sg_transform_side, body) },
	{ "replace", f_refused, 0 },
	{ "metadata", f_refused, 0 },
	{ 0 },
};

static int side(struct sg_pctx *c, const struct sg_node *n, struct sg_transform_side *s,
		const char *path, const struct sg_field *fields)
{
	int ret;

	s->present = true;
	ret = sg_parse_fields(c, n, fields, s, path);
	for (size_t i = 0; i < s->remove.n; i++)
		if (!(s->remove.v[i] = sg_cfg_lower(c, s->remove.v[i])))
			return -1;
	return ret;
}

static int f_request(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return side(c, n, dst, path, request_fields);
}

static int f_response(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return side(c, n, dst, path, response_fields);
}

int sg_f_transformations(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "request", f_request, offsetof(struct sg_transform, request) },
		{ "response", f_response, offsetof(struct sg_transform, response) },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_transform *t = sg_arena_alloc(c->a, sizeof(*t));
	int ret;

	if (!t)
		return -1;
	if (n->kind == SG_NODE_MAP && sg_map_get(n, "conditional")) {
		sg_diag_err(c->d, sg_map_get(n, "conditional"),
			    "%s.conditional: conditional policies are not supported by splicegate",
			    path);
		return -1;
	}
	ret = sg_parse_fields(c, n, fields, t, path);
	f->transform = t;
	return ret;
}

static bool exprs_read(const struct sg_transform_exprs *l, unsigned need)
{
	for (size_t i = 0; i < l->n; i++)
		if (sg_cel_needs(l->v[i].expr) & need)
			return true;
	return false;
}

static bool rules_read(const struct sg_authz_rules *l, unsigned need)
{
	for (size_t i = 0; i < l->n; i++)
		if (sg_cel_needs(l->v[i]) & need)
			return true;
	return false;
}

static bool cel_reads(const struct sg_cel *e, unsigned need)
{
	return e && (sg_cel_needs(e) & need);
}

/* Whether the expressions f's route plan evaluates (authorization rules,
 * the request transformation, direct responses, and the delay that
 * follows them) read `need`. */
static bool plan_reads(const struct sg_filters *f, unsigned need)
{
	const struct sg_transform *t = f->transform;
	const struct sg_authz *z = f->authz;

	if (t && (cel_reads(t->request.body, need) || exprs_read(&t->request.add, need) ||
		  exprs_read(&t->request.set, need)))
		return true;
	if (z && (rules_read(&z->allow, need) || rules_read(&z->deny, need) ||
		  rules_read(&z->require, need)))
		return true;
	if (f->delay && cel_reads(f->delay->duration, need))
		return true;
	for (const struct sg_direct *d = f->direct; d; d = d->next)
		if (cel_reads(d->condition, need) || cel_reads(d->body_expr, need) ||
		    (d->headers && exprs_read(&d->headers->set, need)))
			return true;
	return false;
}

unsigned sg_transform_defer(const struct sg_filters *f)
{
	const struct sg_transform *t = f->transform;
	unsigned defer = 0;

	if ((t && t->request.body) || plan_reads(f, SG_CEL_NEED_REQ_BODY) ||
	    (t && (exprs_read(&t->response.add, SG_CEL_NEED_REQ_BODY) ||
		   exprs_read(&t->response.set, SG_CEL_NEED_REQ_BODY) ||
		   cel_reads(t->response.body, SG_CEL_NEED_REQ_BODY))))
		defer |= SG_ROUTE_DEFER_BODY;
	if (t && (t->response.body || exprs_read(&t->response.add, SG_CEL_NEED_RESP_BODY) ||
		  exprs_read(&t->response.set, SG_CEL_NEED_RESP_BODY)))
		defer |= SG_ROUTE_DEFER_RESP_BODY;
	if (f->ext_authz) /* agentgateway asks the service before authorization */
		defer |= SG_ROUTE_DEFER_AUTHZ;
	return defer;
}
