/* HTTPRoute filters into the model (config/hrfilter.h). */
#include "config/hrfilter.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/filters.h"
#include "config/k8s.h"

/* ---- header modifiers -------------------------------------------------- */

struct header_in {
	const char *name, *value;
};

static const struct sg_field header_fields[] = {
	{ "name", sg_f_str, offsetof(struct header_in, name), true },
	{ "value", sg_f_str, offsetof(struct header_in, value), true },
	{ 0 },
};

/* HTTPHeaderFilter's lists hold 16 entries at most (the CRD's MaxItems). */
#define HR_MAX_HEADERS 16

static bool kvs_has(const struct sg_header_kvs *kvs, const char *name)
{
	for (size_t i = 0; i < kvs->n; i++)
		if (!strcasecmp(kvs->v[i].name, name))
			return true;
	return false;
}

static int too_many(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	sg_diag_err(c->d, n, "%s: %zu headers, at most %d", path, n->n, HR_MAX_HEADERS);
	return -1;
}

/* [{name, value}] appended to kvs, as the API server takes them (a list
 * keyed by name: the same name twice is refused; a value is never empty);
 * a name equivalent to one already there (another case) is skipped: the
 * first entry wins (Gateway API HTTPHeader). */
static int f_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_header_kvs *kvs = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	if (n->n > HR_MAX_HEADERS)
		return too_many(c, n, path);
	for (size_t i = 0; i < n->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		struct header_in in = { 0 };
		struct sg_header_kv *kv;

		if (sg_parse_fields(c, n->items[i], header_fields, &in, p) ||
		    sg_check_header(c, n->items[i], p, in.name, in.value))
			return -1;
		if (!in.value[0])
			return sg_expected(c, sg_map_get(n->items[i], "value"),
					   sg_path_key(c, p, "value"),
					   "a value (at least 1 character)");
		for (size_t j = 0; j < i; j++) {
			const struct sg_node *was = sg_map_get(n->items[j], "name");

			if (was && was->kind == SG_NODE_SCALAR && !strcmp(was->str, in.name)) {
				sg_diag_err(c->d, n->items[i], "%s: Duplicate value: name \"%s\"",
					    p, in.name);
				return -1;
			}
		}
		if (kvs_has(kvs, in.name))
			continue;
		kv = sg_arena_push(c->a, &kvs->v, &kvs->n, &kvs->cap, sizeof(*kv));
		if (!kv)
			return -1;
		*kv = (struct sg_header_kv){ in.name, in.value };
	}
	return 0;
}

static int f_remove(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind == SG_NODE_SEQ && n->n > HR_MAX_HEADERS)
		return too_many(c, n, path);
	return sg_f_header_names(c, n, dst, path);
}

static const struct sg_field hdrmod_fields[] = {
	{ "add", f_headers, offsetof(struct sg_hdrmod, add) },
	{ "set", f_headers, offsetof(struct sg_hdrmod, set) },
	{ "remove", f_remove, offsetof(struct sg_hdrmod, remove) },
	{ 0 },
};

int sg_hr_header_filter(struct sg_pctx *c, const struct sg_node *n, const char *path,
			struct sg_hdrmod **m)
{
	if (!*m && !(*m = sg_arena_alloc(c->a, sizeof(**m))))
		return -1;
	return sg_parse_fields(c, n, hdrmod_fields, *m, path);
}

/* ---- redirect and rewrite ---------------------------------------------- */

struct path_in {
	const char *type, *full, *prefix;
};

static const struct sg_field path_fields[] = {
	{ "type", sg_f_str, offsetof(struct path_in, type), true },
	{ "replaceFullPath", sg_f_str, offsetof(struct path_in, full) },
	{ "replacePrefixMatch", sg_f_str, offsetof(struct path_in, prefix) },
	{ 0 },
};

/* The value without its trailing "/" (agentgateway's translation). */
static const char *trimmed(struct sg_pctx *c, const char *v)
{
	size_t n = strlen(v);

	while (n && v[n - 1] == '/')
		n--;
	return sg_arena_strndup(c->a, v, n);
}

static bool one_prefix_match(const struct sg_hr_rule *rule)
{
	return rule->nmatches == 1 && rule->matches[0].path_kind == SG_PATH_PREFIX;
}

static int pathmod(struct sg_pctx *c, const struct sg_node *n, const char *path,
		   const struct sg_hr_rule *rule, struct sg_pathmod *out)
{
	struct path_in in = { 0 };

	if (sg_parse_fields(c, n, path_fields, &in, path) == -1)
		return -1;
	if (!strcmp(in.type, "ReplaceFullPath") && in.full && !in.prefix) {
		*out = (struct sg_pathmod){ SG_PATHMOD_FULL, trimmed(c, in.full) };
		return 0;
	}
	if (!strcmp(in.type, "ReplacePrefixMatch") && in.prefix && !in.full) {
		if (!one_prefix_match(rule)) {
			sg_diag_err(
				c->d, n,
				"%s: ReplacePrefixMatch needs a rule with exactly one match, of "
				"type PathPrefix",
				path);
			return -1;
		}
		*out = (struct sg_pathmod){ SG_PATHMOD_PREFIX, trimmed(c, in.prefix) };
		return 0;
	}
	return sg_expected(c, n, path,
			   "{type: ReplaceFullPath, replaceFullPath: /p} or "
			   "{type: ReplacePrefixMatch, replacePrefixMatch: /p}");
}

struct redirect_in {
	const char *scheme, *hostname;
	const struct sg_node *path;
	uint16_t port;
	uint32_t status;
};

/* A redirect's or rewrite's hostname (Gateway API PreciseHostname): a host
 * name in lowercase, without the trailing dot a Location or Host would
 * carry on. */
static int f_precise_hostname(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	const char *const *h = dst;

	if (sg_f_hostname(c, n, dst, path) == -1)
		return -1;
	if (!sg_k8s_hostname_ok(*h, false))
		return sg_expected(c, n, path,
				   "a host name in lowercase, with no trailing dot "
				   "(PreciseHostname)");
	return 0;
}

static const struct sg_field redirect_fields[] = {
	{ "scheme", sg_f_str, offsetof(struct redirect_in, scheme) },
	{ "hostname", f_precise_hostname, offsetof(struct redirect_in, hostname) },
	{ "path", sg_f_node, offsetof(struct redirect_in, path) },
	{ "port", sg_f_port, offsetof(struct redirect_in, port) },
	{ "statusCode", sg_f_u32, offsetof(struct redirect_in, status) },
	{ 0 },
};

/* hostname and port as agentgateway's authority: both -> full. */
static struct sg_authority authority(struct sg_pctx *c, const char *hostname, uint16_t port)
{
	if (hostname && port)
		return (struct sg_authority){ SG_AUTHORITY_FULL,
					      sg_arena_printf(c->a, "%s:%u", hostname, port), 0 };
	if (port)
		return (struct sg_authority){ SG_AUTHORITY_PORT, NULL, port };
	if (hostname)
		return (struct sg_authority){ SG_AUTHORITY_HOST, hostname, 0 };
	return (struct sg_authority){ SG_AUTHORITY_UNSET, NULL, 0 };
}

static int redirect(struct sg_pctx *c, const struct sg_node *n, const char *path,
		    const struct sg_hr_rule *rule, struct sg_filters *f)
{
	struct redirect_in in = { .status = 302 };
	struct sg_redirect *r = sg_arena_alloc(c->a, sizeof(*r));

	if (!r || sg_parse_fields(c, n, redirect_fields, &in, path) == -1)
		return -1;
	if (in.scheme && strcmp(in.scheme, "http") && strcmp(in.scheme, "https"))
		return sg_expected(c, sg_map_get(n, "scheme"), sg_path_key(c, path, "scheme"),
				   "http or https");
	if (in.status != 301 && in.status != 302 && in.status != 303 && in.status != 307 &&
	    in.status != 308)
		return sg_expected(c, sg_map_get(n, "statusCode"),
				   sg_path_key(c, path, "statusCode"), "301, 302, 303, 307 or 308");
	r->scheme = in.scheme;
	r->authority = authority(c, in.hostname, in.port);
	r->status = (uint16_t)in.status;
	if (in.path && pathmod(c, in.path, sg_path_key(c, path, "path"), rule, &r->path) == -1)
		return -1;
	f->redirect = r;
	return 0;
}

struct rewrite_in {
	const char *hostname;
	const struct sg_node *path;
};

static const struct sg_field rewrite_fields[] = {
	{ "hostname", f_precise_hostname, offsetof(struct rewrite_in, hostname) },
	{ "path", sg_f_node, offsetof(struct rewrite_in, path) },
	{ 0 },
};

static int rewrite(struct sg_pctx *c, const struct sg_node *n, const char *path,
		   const struct sg_hr_rule *rule, struct sg_filters *f)
{
	struct rewrite_in in = { 0 };
	struct sg_rewrite *rw = sg_arena_alloc(c->a, sizeof(*rw));

	if (!rw || sg_parse_fields(c, n, rewrite_fields, &in, path) == -1)
		return -1;
	rw->authority = authority(c, in.hostname, 0);
	if (in.path && pathmod(c, in.path, sg_path_key(c, path, "path"), rule, &rw->path) == -1)
		return -1;
	f->rewrite = rw;
	return 0;
}

/* ---- mirror and CORS --------------------------------------------------- */

struct fraction_in {
	uint32_t numerator, denominator;
};

static const struct sg_field fraction_fields[] = {
	{ "numerator", sg_f_u32, offsetof(struct fraction_in, numerator), true },
	{ "denominator", sg_f_u32, offsetof(struct fraction_in, denominator) },
	{ 0 },
};

struct mirror_in {
	const struct sg_node *bref, *fraction;
	int64_t percent;
};

static const struct sg_field mirror_fields[] = {
	{ "backendRef", sg_f_node, offsetof(struct mirror_in, bref), true },
	{ "percent", sg_f_i64, offsetof(struct mirror_in, percent) },
	{ "fraction", sg_f_node, offsetof(struct mirror_in, fraction) },
	{ 0 },
};

static int mirror(struct sg_pctx *c, const struct sg_node *n, const char *path,
		  const struct sg_hr_rule *rule, struct sg_filters *f)
{
	struct mirror_in in = { .percent = -1 };
	struct fraction_in fr = { 0, 100 };
	struct sg_mirror *m;
	double share = 1.0;

	if (sg_parse_fields(c, n, mirror_fields, &in, path) == -1)
		return -1;
	if (in.fraction && in.percent >= 0) {
		sg_diag_err(c->d, n, "%s: percent and fraction are exclusive", path);
		return -1;
	}
	if (in.fraction) {
		if (sg_parse_fields(c, in.fraction, fraction_fields, &fr,
				    sg_path_key(c, path, "fraction")) == -1)
			return -1;
		if (fr.denominator == 0 || fr.numerator > fr.denominator)
			return sg_expected(c, in.fraction, sg_path_key(c, path, "fraction"),
					   "numerator <= denominator, denominator >= 1");
		share = (double)fr.numerator / fr.denominator;
	} else if (in.percent >= 0) {
		if (in.percent > 100)
			return sg_expected(c, sg_map_get(n, "percent"),
					   sg_path_key(c, path, "percent"), "0 to 100");
		share = (double)in.percent / 100;
	}
	if (share == 0)
		return 0; /* agentgateway sends no mirror at 0% */
	m = sg_arena_push(c->a, &f->mirrors.v, &f->mirrors.n, &f->mirrors.cap, sizeof(*m));
	if (!m || !(m->backend = sg_arena_alloc(c->a, sizeof(*m->backend))))
		return -1;
	m->percentage = share;
	return rule->resolve(rule->ctx, in.bref, sg_path_key(c, path, "backendRef"), m->backend);
}

static const struct sg_field cors_fields[] = {
	{ "allowOrigins", sg_f_origins, offsetof(struct sg_cors, allow_origins) },
	{ "allowMethods", sg_f_strs, offsetof(struct sg_cors, allow_methods) },
	{ "allowHeaders", sg_f_strs, offsetof(struct sg_cors, allow_headers) },
	{ "exposeHeaders", sg_f_strs, offsetof(struct sg_cors, expose_headers) },
	{ "allowCredentials", sg_f_bool, offsetof(struct sg_cors, allow_credentials) },
	{ "maxAge", sg_f_ignore, 0 }, /* seconds: read below */
	{ 0 },
};

int sg_hr_cors(struct sg_pctx *c, const struct sg_node *n, const char *path,
	       const struct sg_cors **out)
{
	struct sg_cors *cr = sg_arena_alloc(c->a, sizeof(*cr));
	const struct sg_node *age = n->kind == SG_NODE_MAP ? sg_map_get(n, "maxAge") : NULL;
	uint32_t secs = 5; /* the API server's default */

	if (!cr || sg_parse_fields(c, n, cors_fields, cr, path) == -1)
		return -1;
	if (age && sg_f_u32(c, age, &secs, sg_path_key(c, path, "maxAge")) == -1)
		return -1;
	cr->max_age = SG_DUR_S(secs);
	*out = cr;
	return sg_cors_lowercase(c, cr);
}

/* ---- the filter list --------------------------------------------------- */

static const struct kind {
	const char *type, *key;
	enum sg_filter_kind kind;
	bool repeats, on_backend;
} kinds[] = {
	{ "RequestHeaderModifier", "requestHeaderModifier", SG_FILTER_REQUEST_HEADERS, false,
	  true },
	{ "ResponseHeaderModifier", "responseHeaderModifier", SG_FILTER_RESPONSE_HEADERS, false,
	  true },
	{ "RequestRedirect", "requestRedirect", SG_FILTER_REDIRECT, false, true },
	{ "URLRewrite", "urlRewrite", SG_FILTER_REWRITE, false, true },
	{ "RequestMirror", "requestMirror", SG_FILTER_MIRROR, true, true },
	{ "CORS", "cors", SG_FILTER_CORS, false, false },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Which kind filter n is; its body (the one key besides `type`) must be
 * that kind's. */
static const struct kind *filter_kind(struct sg_pctx *c, const struct sg_node *n, const char *path,
				      const struct sg_hr_rule *rule, const struct sg_node **body)
{
	const struct sg_node *type = n->kind == SG_NODE_MAP ? sg_map_get(n, "type") : NULL;

	if (sg_need_map(c, n, path) == -1)
		return NULL;
	if (!type || type->kind != SG_NODE_SCALAR) {
		sg_diag_err(c->d, n, "%s: missing required field \"type\"", path);
		return NULL;
	}
	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(type->str, kinds[i].type))
			continue;
		*body = sg_map_get(n, kinds[i].key);
		if (!*body || sg_map_len(n) != 2) {
			sg_diag_err(c->d, n, "%s: a %s filter has type and %s, and nothing else",
				    path, kinds[i].type, kinds[i].key);
			return NULL;
		}
		if (rule->backend_level && !kinds[i].on_backend) {
			sg_diag_err(c->d, type,
				    "%s.type: %s is not supported on a backendRef (header "
				    "modifiers, RequestRedirect, URLRewrite and RequestMirror are)",
				    path, type->str);
			return NULL;
		}
		return &kinds[i];
	}
	sg_diag_err(c->d, type,
		    "%s.type: \"%s\" is not supported: expected RequestHeaderModifier, "
		    "ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror or CORS",
		    path, type->str);
	return NULL;
}

/* A rule's header modifiers, merged while its filters are read. */
struct merged {
	struct sg_hdrmod *request, *response;
};

static int one_filter(struct sg_pctx *c, const struct kind *k, const struct sg_node *body,
		      const char *path, const struct sg_hr_rule *rule, struct merged *mods,
		      struct sg_filters *f)
{
	const char *p = sg_path_key(c, path, k->key);

	switch (k->kind) {
	case SG_FILTER_REQUEST_HEADERS:
		return sg_hr_header_filter(c, body, p, &mods->request);
	case SG_FILTER_RESPONSE_HEADERS:
		return sg_hr_header_filter(c, body, p, &mods->response);
	case SG_FILTER_REDIRECT:
		return redirect(c, body, p, rule, f);
	case SG_FILTER_REWRITE:
		return rewrite(c, body, p, rule, f);
	case SG_FILTER_MIRROR:
		return mirror(c, body, p, rule, f);
	case SG_FILTER_CORS:
		return sg_hr_cors(c, body, p, &f->cors);
	default:
		return -1;
	}
}

int sg_hr_filters(struct sg_pctx *c, const struct sg_node *filters, const char *path,
		  const struct sg_hr_rule *rule, struct sg_filters *out)
{
	bool seen[SG_FILTER_KINDS] = { false };
	struct merged mods = { NULL, NULL };

	if (sg_need_seq(c, filters, path) == -1)
		return -1;
	for (size_t i = 0; i < filters->n; i++) {
		const char *p = sg_path_idx(c, path, i);
		const struct sg_node *body = NULL;
		const struct kind *k = filter_kind(c, filters->items[i], p, rule, &body);

		if (!k)
			return -1;
		if (seen[k->kind] && !k->repeats) {
			sg_diag_err(c->d, filters->items[i], "%s: a second %s filter (one at most)",
				    p, k->type);
			return -1;
		}
		seen[k->kind] = true;
		if (one_filter(c, k, body, p, rule, &mods, out) == -1)
			return -1;
		if (k->kind == SG_FILTER_REDIRECT || k->kind == SG_FILTER_REWRITE ||
		    k->kind == SG_FILTER_CORS)
			sg_filters_list(out, k->kind);
	}
	if (seen[SG_FILTER_REDIRECT] && seen[SG_FILTER_REWRITE]) {
		sg_diag_err(c->d, filters, "%s: RequestRedirect and URLRewrite cannot be combined",
			    path);
		return -1;
	}
	if (seen[SG_FILTER_REDIRECT] && rule->has_backends && !rule->backend_level) {
		sg_diag_err(c->d, filters,
			    "%s: RequestRedirect filter must not be used together with backendRefs",
			    path);
		return -1;
	}
	out->request_headers = mods.request;
	out->response_headers = mods.response;
	if (out->request_headers)
		sg_filters_list(out, SG_FILTER_REQUEST_HEADERS);
	if (out->response_headers)
		sg_filters_list(out, SG_FILTER_RESPONSE_HEADERS);
	if (out->mirrors.n)
		sg_filters_list(out, SG_FILTER_MIRROR);
	return 0;
}
