/* jwtAuth as agentgateway's standalone config writes it (its LocalJwtConfig,
 * schema/config.json), parsed into struct sg_jwt_auth; and the auth
 * policies not implemented yet, refused by name. */
#include "config/auth.h"

#include <string.h>

#include "config/node.h"
#include "config/tlsconf.h"

const char *sg_auth_mode_name(enum sg_auth_mode m)
{
	switch (m) {
	case SG_AUTH_STRICT:
		return "strict";
	case SG_AUTH_PERMISSIVE:
		return "permissive";
	case SG_AUTH_OPTIONAL:
		break;
	}
	return "optional";
}

static int f_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const enum sg_auth_mode modes[] = { SG_AUTH_STRICT, SG_AUTH_OPTIONAL,
						   SG_AUTH_PERMISSIVE };

	if (n->kind == SG_NODE_SCALAR)
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(n->str, sg_auth_mode_name(modes[i]))) {
				*(enum sg_auth_mode *)dst = modes[i];
				return 0;
			}
	return sg_expected(c, n, path, "strict, optional or permissive");
}

/* ---- location ------------------------------------------------------------ */

/* A header name as HTTP/1 and HTTP/2 heads are matched: lower-case. */
static int f_header_name(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	char *s;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || !n->str[0])
		return sg_expected(c, n, path, "a header name");
	s = sg_arena_strdup(c->a, n->str);
	if (!s)
		return -1;
	for (char *p = s; *p; p++) {
		if (*p <= ' ' || *p == ':' || (unsigned char)*p >= 0x7f)
			return sg_expected(c, n, path, "a header name");
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	*(const char **)dst = s;
	return 0;
}

static int f_loc_header(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", f_header_name, offsetof(struct sg_cred_location, name), true },
		{ "prefix", sg_f_str, offsetof(struct sg_cred_location, prefix) },
		{ 0 },
	};
	struct sg_cred_location *l = dst;

	l->where = SG_CRED_HEADER;
	l->prefix = NULL;
	return sg_parse_fields(c, n, fields, l, path);
}

static int f_loc_named(struct sg_pctx *c, const struct sg_node *n, struct sg_cred_location *l,
		       enum sg_cred_where where, const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct sg_cred_location, name), true },
		{ 0 },
	};

	l->where = where;
	l->prefix = NULL;
	if (sg_parse_fields(c, n, fields, l, path) == -1)
		return -1;
	if (!l->name[0])
		return sg_expected(c, sg_map_get(n, "name"), sg_path_key(c, path, "name"),
				   "a name");
	return 0;
}

static int f_loc_query(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_loc_named(c, n, dst, SG_CRED_QUERY, path);
}

static int f_loc_cookie(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_loc_named(c, n, dst, SG_CRED_COOKIE, path);
}

static int f_loc_expression(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: CEL expressions are not supported (use header, queryParameter "
		    "or cookie)",
		    path);
	return -1;
}

/* location: exactly one of header {name, prefix}, queryParameter {name},
 * cookie {name} (expression: refused). */
static int f_location(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "header", f_loc_header, 0 },
		{ "queryParameter", f_loc_query, 0 },
		{ "cookie", f_loc_cookie, 0 },
		{ "expression", f_loc_expression, 0 },
		{ 0 },
	};

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1)
		return sg_expected(c, n, path,
				   "a map with exactly one of header, queryParameter, cookie");
	return sg_parse_fields(c, n, fields, dst, path);
}

/* ---- providers ----------------------------------------------------------- */

/* jwks: the JWKS text inline, or {file: path} (read now), or {url}:
 * refused, the keys are not fetched yet. */
static int f_jwks(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_jwt_provider *p = dst;
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		p->jwks = n->str;
		p->jwks_len = strlen(n->str);
		return 0;
	}
	if (n->kind == SG_NODE_MAP && sg_map_get(n, "url") && sg_map_len(n) == 1) {
		sg_diag_err(c->d, sg_map_get(n, "url"),
			    "%s: not supported (remote JWKS are not fetched yet): give the keys "
			    "inline or as a file",
			    sg_path_key(c, path, "url"));
		return -1;
	}
	if (!file || sg_map_len(n) != 1 || file->kind != SG_NODE_SCALAR || sg_node_is_null(file))
		return sg_expected(c, n, path, "a JWKS as a string, or {file: PATH}");
	p->jwks_file = file->str;
	return sg_conf_read_file(c, file, sg_path_key(c, path, "file"), file->str, &p->jwks,
				 &p->jwks_len);
}

static int f_required_claims(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	static const char *const names[] = { "exp", "nbf", "aud", "iss", "sub" };
	unsigned *req = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	*req = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i];
		size_t k = 0;

		if (it->kind != SG_NODE_SCALAR)
			return sg_expected(c, it, sg_path_idx(c, path, i), "a claim name");
		while (k < sizeof(names) / sizeof(names[0]) && strcmp(names[k], it->str))
			k++;
		if (k < sizeof(names) / sizeof(names[0]))
			*req |= 1u << k;
		else /* agentgateway warns and ignores it too */
			sg_diag_warn(c->d, it,
				     "%s: %s is not enforced (only exp, nbf, aud, iss, sub are)",
				     sg_path_idx(c, path, i), it->str);
	}
	return 0;
}

static int f_validation(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "requiredClaims", f_required_claims, offsetof(struct sg_jwt_provider, required) },
		{ 0 },
	};

	return sg_parse_fields(c, n, fields, dst, path);
}

#define PROVIDER_FIELDS                                                                            \
	{ "issuer", sg_f_str, offsetof(struct sg_jwt_provider, issuer), true },                    \
		{ "audiences", sg_f_strs, offsetof(struct sg_jwt_provider, audiences) },           \
		{ "jwks", f_jwks, 0, true },                                                       \
	{                                                                                          \
		"jwtValidationOptions", f_validation, 0                                            \
	}

static int parse_provider(struct sg_pctx *c, const struct sg_node *n, struct sg_jwt_auth *j,
			  const struct sg_field *fields, const char *path)
{
	struct sg_jwt_provider *p =
		sg_arena_push(c->a, &j->providers, &j->nproviders, &j->capproviders, sizeof(*p));

	if (!p)
		return -1;
	p->required = SG_JWT_CLAIM_EXP;
	p->at = n;
	return sg_parse_fields(c, n, fields, p, path);
}

static int f_providers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = { PROVIDER_FIELDS, { 0 } };
	struct sg_jwt_auth *j = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	j->multi = true;
	for (size_t i = 0; i < n->n; i++)
		if (parse_provider(c, n->items[i], j, fields, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	return ret;
}

static int f_mode_j(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_mode(c, n, &((struct sg_jwt_auth *)dst)->mode, path);
}

static int f_location_j(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_location(c, n, &((struct sg_jwt_auth *)dst)->location, path);
}

/* The single shape: the provider's keys beside mode and location. */
static int f_single(struct sg_pctx *c, const struct sg_node *n, struct sg_jwt_auth *j,
		    const char *path)
{
	static const struct sg_field fields[] = {
		PROVIDER_FIELDS,
		{ "mode", NULL, 0 },
		{ "location", NULL, 0 },
		{ 0 },
	};

	return parse_provider(c, n, j, fields, path);
}

int sg_f_jwt_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field multi[] = {
		{ "mode", f_mode_j, 0 },
		{ "location", f_location_j, 0 },
		{ "providers", f_providers, 0, true },
		{ 0 },
	};
	struct sg_jwt_auth *j = sg_arena_alloc(c->a, sizeof(*j));
	int ret;

	if (!j || !(j->rt = sg_arena_alloc(c->a, sizeof(*j->rt))))
		return -1;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	j->at = n;
	j->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	if (sg_map_get(n, "providers")) {
		ret = sg_parse_fields(c, n, multi, j, path);
	} else {
		ret = f_single(c, n, j, path);
		if (sg_map_get(n, "mode") &&
		    f_mode_j(c, sg_map_get(n, "mode"), j, sg_path_key(c, path, "mode")) == -1)
			ret = -1;
		if (sg_map_get(n, "location") &&
		    f_location_j(c, sg_map_get(n, "location"), j,
				 sg_path_key(c, path, "location")) == -1)
			ret = -1;
	}
	if (ret == 0 && !j->nproviders)
		return sg_expected(c, n, sg_path_key(c, path, "providers"),
				   "at least one provider");
	((struct sg_filters *)dst)->jwt = j;
	return ret;
}

/* ---- the rest, refused ----------------------------------------------------- */

int sg_f_auth_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *key, *why;
	} refused[] = {
		{ "authorization", "CEL authorization rules are not implemented yet" },
		{ "apiKey", "API key authentication is not implemented yet" },
		{ "basicAuth", "basic authentication is not implemented yet" },
		{ "extAuthz", "external authorization is not implemented yet" },
		{ "oidc", "OIDC login is not implemented yet" },
	};
	const char *dot = strrchr(path, '.');
	const char *key = dot ? dot + 1 : path;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(refused[i].key, key)) {
			sg_diag_err(c->d, n, "%s: not supported (%s)", path, refused[i].why);
			return -1;
		}
	sg_diag_err(c->d, n, "%s: not supported", path);
	return -1;
}
