/* Route filters in the standalone dialect (config/filters.h). */
#include "config/filters.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cel.h"
#include "config/headers.h"
#include "config/origin.h"
#include "config/transform.h"

/* ---- header modifiers -------------------------------------------------- */

/* {name: value, ...} into kvs. */
static int f_header_map(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_header_kvs *kvs = dst;
	int ret = 0;

	if (sg_header_map_check(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *v = sg_map_val(n, i);
		const char *name = sg_map_key(n, i)->str;
		struct sg_header_kv *kv;

		if (v->kind != SG_NODE_SCALAR || sg_node_is_null(v)) {
			ret = sg_expected(c, v, sg_path_key(c, path, name), "a string");
			continue;
		}
		if (sg_check_header(c, v, path, name, v->str) == -1) {
			ret = -1;
			continue;
		}
		kv = sg_arena_push(c->a, &kvs->v, &kvs->n, &kvs->cap, sizeof(*kv));
		if (!kv)
			return -1;
		*kv = (struct sg_header_kv){ name, v->str };
	}
	return ret;
}

static const struct sg_field hdrmod_fields[] = {
	{ "add", f_header_map, offsetof(struct sg_hdrmod, add) },
	{ "set", f_header_map, offsetof(struct sg_hdrmod, set) },
	{ "remove", sg_f_header_names, offsetof(struct sg_hdrmod, remove) },
	{ 0 },
};

static int hdrmod(struct sg_pctx *c, const struct sg_node *n, const struct sg_hdrmod **out,
		  const char *path)
{
	struct sg_hdrmod *m = sg_arena_alloc(c->a, sizeof(*m));

	if (!m)
		return -1;
	*out = m;
	return sg_parse_fields(c, n, hdrmod_fields, m, path);
}

int sg_f_request_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters *f = dst;

	return hdrmod(c, n, &f->request_headers, path);
}

int sg_f_response_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters *f = dst;

	return hdrmod(c, n, &f->response_headers, path);
}

/* ---- authority and path ------------------------------------------------ */

static int f_scheme(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const char **scheme = dst;

	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (*scheme && strcmp(*scheme, "http") != 0 && strcmp(*scheme, "https") != 0) {
		sg_diag_err(c->d, n, "%s: \"%s\" is not a scheme: expected http or https", path,
			    *scheme);
		return -1;
	}
	return 0;
}

/* {full: "h:p"} | {host: h} | {port: p} | auto | none */
static int f_authority(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "full", sg_f_str, offsetof(struct sg_authority, value) },
		{ "host", sg_f_str, offsetof(struct sg_authority, value) },
		{ "port", sg_f_port, offsetof(struct sg_authority, port) },
		{ 0 },
	};
	struct sg_authority *a = dst;
	const char *key;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "auto")) {
		a->kind = SG_AUTHORITY_AUTO;
		return 0;
	}
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "none")) {
		a->kind = SG_AUTHORITY_NONE;
		return 0;
	}
	if (n->kind != SG_NODE_MAP || sg_map_len(n) != 1)
		return sg_expected(c, n, path,
				   "one of {full: host:port}, {host: name}, {port: n}, auto, none");
	if (sg_parse_fields(c, n, fields, a, path) == -1)
		return -1;
	key = sg_map_key(n, 0)->str;
	a->kind = !strcmp(key, "full")	 ? SG_AUTHORITY_FULL
		  : !strcmp(key, "host") ? SG_AUTHORITY_HOST
					 : SG_AUTHORITY_PORT;
	return 0;
}

/* {full: /p} | {prefix: /p} */
static int f_pathmod(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "full", sg_f_str, offsetof(struct sg_pathmod, value) },
		{ "prefix", sg_f_str, offsetof(struct sg_pathmod, value) },
		{ 0 },
	};
	struct sg_pathmod *p = dst;

	if (n->kind != SG_NODE_MAP || sg_map_len(n) != 1)
		return sg_expected(c, n, path, "one of {full: /path}, {prefix: /path}");
	if (sg_parse_fields(c, n, fields, p, path) == -1)
		return -1;
	if (!p->value) {
		p->value = "";
	} else if (*p->value && *p->value != '/') {
		sg_diag_err(c->d, sg_map_val(n, 0),
			    "%s: \"%s\" is not a path: it must start with /", path, p->value);
		return -1;
	}
	p->kind = !strcmp(sg_map_key(n, 0)->str, "full") ? SG_PATHMOD_FULL : SG_PATHMOD_PREFIX;
	return 0;
}

static int f_redirect_status(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	uint32_t v = 0;

	if (sg_f_u32(c, n, &v, path) == -1)
		return -1;
	if (v < 300 || v > 399) {
		sg_diag_err(c->d, n, "%s: %u is not a redirect status (300-399)", path, v);
		return -1;
	}
	*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

int sg_f_request_redirect(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "scheme", f_scheme, offsetof(struct sg_redirect, scheme) },
		{ "authority", f_authority, offsetof(struct sg_redirect, authority) },
		{ "path", f_pathmod, offsetof(struct sg_redirect, path) },
		{ "status", f_redirect_status, offsetof(struct sg_redirect, status) },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_redirect *r = sg_arena_alloc(c->a, sizeof(*r));

	if (!r)
		return -1;
	f->redirect = r;
	return sg_parse_fields(c, n, fields, r, path);
}

int sg_f_url_rewrite(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "authority", f_authority, offsetof(struct sg_rewrite, authority) },
		{ "path", f_pathmod, offsetof(struct sg_rewrite, path) },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_rewrite *rw = sg_arena_alloc(c->a, sizeof(*rw));

	if (!rw)
		return -1;
	f->rewrite = rw;
	return sg_parse_fields(c, n, fields, rw, path);
}

/* ---- direct response and CORS ------------------------------------------ */

static int f_status(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint32_t v = 0;

	if (sg_f_u32(c, n, &v, path) == -1)
		return -1;
	if (v < 200 || v > 599) {
		sg_diag_err(c->d, n, "%s: %u is not a final status (200-599)", path, v);
		return -1;
	}
	*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

static int f_condition(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "a CEL expression");
	return sg_cel_field(c, n, n->str, dst, path);
}

/* What a direct response's expressions cannot read: it answers the
 * request (its body held whole for one that reads it), no response. */
#define DIRECT_LACKS (SG_CEL_NEED_RESPONSE | SG_CEL_NEED_RESP_HEADERS | SG_CEL_NEED_RESP_BODY)
#define DIRECT_LACKS_WHY "a direct response reads the request: not a response"

static int f_body_expression(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	const struct sg_cel **e = dst;

	if (f_condition(c, n, dst, path) == -1)
		return -1;
	if (sg_cel_needs(*e) & DIRECT_LACKS) {
		sg_diag_err(c->d, n, "%s: %s", path, DIRECT_LACKS_WHY);
		return -1;
	}
	return 0;
}

/* headers: {name: expression}, each line set on the answer. */
static int f_direct_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_transform_side *s = sg_arena_alloc(c->a, sizeof(*s));

	if (!s)
		return -1;
	*(const struct sg_transform_side **)dst = s;
	if (sg_f_cel_headers(c, n, &s->set, path) == -1)
		return -1;
	for (size_t i = 0; i < s->set.n; i++)
		if (sg_cel_needs(s->set.v[i].expr) & DIRECT_LACKS) {
			sg_diag_err(c->d, sg_map_val(n, i), "%s: %s",
				    sg_path_key(c, path, sg_map_key(n, i)->str), DIRECT_LACKS_WHY);
			return -1;
		}
	s->present = true;
	return 0;
}

static const struct sg_field direct_fields[] = {
	{ "body", sg_f_str, offsetof(struct sg_direct, body) },
	{ "status", f_status, offsetof(struct sg_direct, status), true },
	{ "bodyExpression", f_body_expression, offsetof(struct sg_direct, body_expr) },
	{ "headers", f_direct_headers, offsetof(struct sg_direct, headers) },
	{ "condition", f_condition, offsetof(struct sg_direct, condition) },
	{ 0 },
};

/* One answer of directResponse; `conditional` admits its condition. */
static struct sg_direct *direct_one(struct sg_pctx *c, const struct sg_node *n, const char *path,
				    bool conditional)
{
	struct sg_direct *d = sg_arena_alloc(c->a, sizeof(*d));

	if (!d)
		return NULL;
	d->conditional = conditional;
	if (sg_parse_fields(c, n, direct_fields, d, path) == -1)
		return NULL;
	if (!conditional && sg_map_get(n, "condition")) {
		sg_diag_err(c->d, sg_map_get(n, "condition"),
			    "%s.condition: a condition belongs in an entry of conditional", path);
		return NULL;
	}
	d->body_len = d->body ? strlen(d->body) : 0;
	if (d->body_len && d->body_expr) {
		sg_diag_err(c->d, sg_map_get(n, "bodyExpression"),
			    "%s.bodyExpression: body and bodyExpression may not both be set", path);
		return NULL;
	}
	return d;
}

/* conditional: [{condition, status, body}, ...]: the first whose
 * condition holds answers; an entry without one is the last. */
static const struct sg_direct *direct_conditional(struct sg_pctx *c, const struct sg_node *n,
						  const char *path)
{
	const struct sg_direct *head = NULL;
	struct sg_direct *last = NULL;

	if (sg_need_seq(c, n, path) == -1)
		return NULL;
	if (!n->n) {
		sg_expected(c, n, path, "at least one entry");
		return NULL;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *at = sg_path_idx(c, path, i);
		struct sg_direct *d = direct_one(c, n->items[i], at, true);

		if (!d)
			return NULL;
		if (!d->condition && i + 1 < n->n) {
			sg_diag_err(c->d, n->items[i],
				    "%s: an entry without a condition must be the last", at);
			return NULL;
		}
		if (last)
			last->next = d;
		else
			head = d;
		last = d;
	}
	return head;
}

int sg_f_direct_response(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_node *cond = n->kind == SG_NODE_MAP ? sg_map_get(n, "conditional") : NULL;
	struct sg_filters *f = dst;

	if (cond && sg_map_len(n) != 1) {
		sg_diag_err(c->d, n,
			    "%s: conditional stands alone (its entries say status and body)", path);
		return -1;
	}
	if (cond && !c->cfg) {
		sg_diag_err(c->d, cond, "%s.conditional: CEL expressions are not supported here",
			    path);
		return -1;
	}
	f->direct = cond ? direct_conditional(c, cond, sg_path_key(c, path, "conditional"))
			 : direct_one(c, n, path, false);
	return f->direct ? 0 : -1;
}

static int lowercase(struct sg_pctx *c, struct sg_strs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *s = sg_arena_strdup(c->a, l->v[i]);

		if (!s)
			return -1;
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		l->v[i] = s;
	}
	return 0;
}

int sg_cors_lowercase(struct sg_pctx *c, struct sg_cors *cors)
{
	return lowercase(c, &cors->allow_headers) | lowercase(c, &cors->expose_headers);
}

int sg_f_origins(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = sg_f_strs(c, n, dst, path);

	for (size_t i = 0; ret == 0 && i < n->n; i++)
		if (!sg_origin_entry_valid(n->items[i]->str))
			ret = sg_expected(c, n->items[i], sg_path_idx(c, path, i),
					  "\"*\" or an origin: scheme://host[:port], the host "
					  "may be \"*\" or beginning with \"*.\", nothing after");
	return ret;
}

int sg_f_cors(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "allowCredentials", sg_f_bool, offsetof(struct sg_cors, allow_credentials) },
		{ "allowHeaders", sg_f_header_names, offsetof(struct sg_cors, allow_headers) },
		{ "allowMethods", sg_f_strs, offsetof(struct sg_cors, allow_methods) },
		{ "allowOrigins", sg_f_origins, offsetof(struct sg_cors, allow_origins) },
		{ "exposeHeaders", sg_f_header_names, offsetof(struct sg_cors, expose_headers) },
		{ "maxAge", sg_f_dur, offsetof(struct sg_cors, max_age) },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_cors *cors = sg_arena_alloc(c->a, sizeof(*cors));

	if (!cors)
		return -1;
	cors->max_age = SG_DUR_UNSET;
	f->cors = cors;
	if (sg_parse_fields(c, n, fields, cors, path) == -1)
		return -1;
	return sg_cors_lowercase(c, cors);
}

/* ---- localRateLimit ---------------------------------------------------- */

struct sg_ratelimit *sg_ratelimit_add(struct sg_pctx *c, struct sg_ratelimits *l,
				      const struct sg_node *at, const char *path)
{
	struct sg_ratelimit *rl;

	if (l->n == SG_MAX_RATELIMITS) {
		sg_diag_err(c->d, at, "%s: at most %d rate limits", path, SG_MAX_RATELIMITS);
		return NULL;
	}
	return sg_arena_push(c->a, &l->v, &l->n, &l->cap, sizeof(*rl));
}

int sg_ratelimit_check(struct sg_pctx *c, struct sg_ratelimit *rl, const struct sg_node *at,
		       const char *path)
{
	if (rl->fill_interval <= 0) {
		sg_diag_err(c->d, at, "%s: fillInterval must be longer than 0", path);
		return -1;
	}
	if (rl->max_tokens < rl->tokens_per_fill) {
		sg_diag_err(c->d, at,
			    "%s: maxTokens (%llu) cannot be less than tokensPerFill (%llu)", path,
			    (unsigned long long)rl->max_tokens,
			    (unsigned long long)rl->tokens_per_fill);
		return -1;
	}
	atomic_init(&rl->available, rl->max_tokens);
	return 0;
}

/* One standalone localRateLimit entry, as agentgateway reads it: the two
 * counts default to 0, fillInterval is required, type is "requests" (the
 * default) or "tokens". */
struct ratelimit_in {
	int64_t max_tokens, tokens_per_fill;
	sg_dur fill_interval;
	const char *type;
};

static int f_ratelimit(struct sg_pctx *c, const struct sg_node *n, struct sg_ratelimits *l,
		       const char *path)
{
	static const struct sg_field fields[] = {
		{ "maxTokens", sg_f_i64, offsetof(struct ratelimit_in, max_tokens) },
		{ "tokensPerFill", sg_f_i64, offsetof(struct ratelimit_in, tokens_per_fill) },
		{ "fillInterval", sg_f_dur, offsetof(struct ratelimit_in, fill_interval), true },
		{ "type", sg_f_str, offsetof(struct ratelimit_in, type) },
		{ 0 },
	};
	struct ratelimit_in in = { .type = "requests" };
	struct sg_ratelimit *rl;

	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return -1;
	if (strcmp(in.type, "requests") && strcmp(in.type, "tokens"))
		return sg_expected(c, sg_map_get(n, "type"), sg_path_key(c, path, "type"),
				   "requests or tokens");
	rl = sg_ratelimit_add(c, l, n, path);
	if (!rl)
		return -1;
	rl->max_tokens = (uint64_t)in.max_tokens;
	rl->tokens_per_fill = (uint64_t)in.tokens_per_fill;
	rl->fill_interval = in.fill_interval;
	rl->tokens = !strcmp(in.type, "tokens");
	return sg_ratelimit_check(c, rl, n, path);
}

int sg_f_local_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters *f = dst;
	struct sg_ratelimits *l = sg_arena_alloc(c->a, sizeof(*l));
	int ret = 0;

	if (!l)
		return -1;
	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (f_ratelimit(c, n->items[i], l, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	/* An empty list is no policy (agentgateway skips it). */
	if (l->n)
		f->ratelimits = l;
	return ret;
}

/* ---- csrf --------------------------------------------------------------- */

int sg_f_csrf(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "additionalOrigins", sg_f_strs, offsetof(struct sg_csrf, additional_origins) },
		{ 0 },
	};
	struct sg_csrf *csrf = sg_arena_alloc(c->a, sizeof(*csrf));

	if (!csrf)
		return -1;
	((struct sg_filters *)dst)->csrf = csrf;
	if (sg_parse_fields(c, n, fields, csrf, path) == -1)
		return -1;
	if (csrf->additional_origins.n > SG_FILTER_MAX_HEADERS)
		return sg_expected(c, sg_map_get(n, "additionalOrigins"),
				   sg_path_key(c, path, "additionalOrigins"), "at most 64 origins");
	return 0;
}

/* ---- order ------------------------------------------------------------- */

void sg_filters_list(struct sg_filters *f, enum sg_filter_kind kind)
{
	for (size_t i = 0; i < f->norder; i++)
		if (f->order[i] == kind)
			return;
	f->order[f->norder++] = (uint8_t)kind;
}

bool sg_filters_any(const struct sg_filters *f)
{
	return f->request_headers || f->response_headers || f->redirect || f->rewrite ||
	       f->mirrors.n || f->direct || f->cors || f->csrf || f->ratelimits || f->transform ||
	       f->jwt || f->apikeys || f->basic || f->ext_authz || f->remote_rl || f->delay ||
	       f->mcp_authn;
}

void sg_filters_standalone_order(struct sg_filters *f)
{
	f->norder = 0;
	if (f->request_headers)
		sg_filters_list(f, SG_FILTER_REQUEST_HEADERS);
	if (f->response_headers)
		sg_filters_list(f, SG_FILTER_RESPONSE_HEADERS);
	if (f->redirect)
		sg_filters_list(f, SG_FILTER_REDIRECT);
	if (f->rewrite)
		sg_filters_list(f, SG_FILTER_REWRITE);
	if (f->mirrors.n)
		sg_filters_list(f, SG_FILTER_MIRROR);
	if (f->direct)
		sg_filters_list(f, SG_FILTER_DIRECT);
	if (f->cors)
		sg_filters_list(f, SG_FILTER_CORS);
	/* agentgateway's split_policies: mcpAuthentication's jwtAuth right
	 * after cors */
	if (f->mcp_authn)
		sg_filters_list(f, SG_FILTER_MCP_AUTHN);
	if (f->csrf)
		sg_filters_list(f, SG_FILTER_CSRF);
	if (f->ratelimits)
		sg_filters_list(f, SG_FILTER_LOCAL_RATE_LIMIT);
	if (f->transform)
		sg_filters_list(f, SG_FILTER_TRANSFORM);
	if (f->jwt)
		sg_filters_list(f, SG_FILTER_JWT);
	if (f->basic)
		sg_filters_list(f, SG_FILTER_BASIC);
	if (f->oidc)
		sg_filters_list(f, SG_FILTER_OIDC);
	if (f->apikeys)
		sg_filters_list(f, SG_FILTER_API_KEY);
	if (f->ext_authz)
		sg_filters_list(f, SG_FILTER_EXT_AUTHZ);
	if (f->remote_rl)
		sg_filters_list(f, SG_FILTER_REMOTE_RATE_LIMIT);
	if (f->authz)
		sg_filters_list(f, SG_FILTER_AUTHZ);
	if (f->delay)
		sg_filters_list(f, SG_FILTER_DELAY);
	if (f->a2a)
		sg_filters_list(f, SG_FILTER_A2A);
	if (f->backend_auth)
		sg_filters_list(f, SG_FILTER_BACKEND_AUTH);
	if (f->mcp_authz)
		sg_filters_list(f, SG_FILTER_MCP_AUTHZ);
}
