/* jwtAuth as agentgateway's standalone config writes it (its LocalJwtConfig,
 * schema/config.json), parsed into struct sg_jwt_auth; and the auth
 * policies not implemented yet, refused by name. */
#include "config/auth.h"

#include <string.h>

#include "config/hex.h"
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

int sg_f_auth_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_mode(c, n, dst, path);
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

int sg_f_cred_location(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
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

/* jwks {url}: an http:// or https:// URL with a host (user/core/jwksfetch.c
 * fetches it once the config is in force). */
static int f_jwks_url(struct sg_pctx *c, const struct sg_node *n, struct sg_jwt_provider *p,
		      const char *path)
{
	const char *u = n->kind == SG_NODE_SCALAR && !sg_node_is_null(n) ? n->str : "";
	const char *host = !strncmp(u, "https://", 8)  ? u + 8
			   : !strncmp(u, "http://", 7) ? u + 7
						       : NULL;

	if (!host || !host[0] || host[0] == '/' || strpbrk(u, " \t\r\n#"))
		return sg_expected(c, n, path, "an http:// or https:// URL");
	p->jwks_url = u;
	return 0;
}

int sg_f_jwks(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_jwt_provider *p = dst;
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		p->jwks = n->str;
		p->jwks_len = strlen(n->str);
		return 0;
	}
	if (n->kind == SG_NODE_MAP && sg_map_get(n, "url") && sg_map_len(n) == 1)
		return f_jwks_url(c, sg_map_get(n, "url"), p, sg_path_key(c, path, "url"));
	if (!file || sg_map_len(n) != 1 || file->kind != SG_NODE_SCALAR || sg_node_is_null(file))
		return sg_expected(c, n, path, "a JWKS as a string, {file: PATH} or {url: URL}");
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

int sg_f_jwt_validation(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_validation(c, n, dst, path);
}

#define PROVIDER_FIELDS                                                                            \
	{ "issuer", sg_f_str, offsetof(struct sg_jwt_provider, issuer), true },                    \
		{ "audiences", sg_f_strs, offsetof(struct sg_jwt_provider, audiences) },           \
		{ "jwks", sg_f_jwks, 0, true },                                                    \
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
	return sg_f_cred_location(c, n, &((struct sg_jwt_auth *)dst)->location, path);
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
	if (((struct sg_filters *)dst)->mcp_authn) {
		sg_diag_err(c->d, n, "%s: %s", path, SG_AUTH_JWT_OR_MCP);
		return -1;
	}
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

/* ---- AgentgatewayPolicy traffic.jwtAuthentication ----------------------- */

/* The CRD's modes: Strict (its default), Optional, Permissive. */
static int f_agp_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const names[] = { "Optional", "Strict", "Permissive" };
	static const enum sg_auth_mode modes[] = { SG_AUTH_OPTIONAL, SG_AUTH_STRICT,
						   SG_AUTH_PERMISSIVE };

	for (size_t i = 0; n->kind == SG_NODE_SCALAR && i < 3; i++)
		if (!strcmp(n->str, names[i])) {
			((struct sg_jwt_auth *)dst)->mode = modes[i];
			return 0;
		}
	return sg_expected(c, n, path, "Strict, Optional or Permissive");
}

static int f_agp_url(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_jwks_url(c, n, dst, path);
}

/* cacheDuration: at least 5m (the CRD's rule); the keys' refresh period. */
static int f_agp_cache(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_dur d;

	if (sg_f_dur(c, n, &d, path) == -1)
		return -1;
	if (d < (sg_dur)300 * 1000000000)
		return sg_expected(c, n, path, "a duration of at least 5m");
	((struct sg_jwt_provider *)dst)->jwks_refresh_ms = d / 1000000;
	return 0;
}

static int f_agp_backend_ref(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	sg_diag_err(c->d, n, "%s: not supported (a JWKS is fetched from a url, not a backendRef)",
		    path);
	return -1;
}

static int f_agp_remote(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "url", f_agp_url, 0, true },
		{ "cacheDuration", f_agp_cache, 0 },
		{ "backendRef", f_agp_backend_ref, 0 },
		{ "jwksPath", f_agp_backend_ref, 0 },
		{ 0 },
	};

	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_agp_inline(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_jwt_provider *p = dst;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || strlen(n->str) < 2)
		return sg_expected(c, n, path, "a JWKS as a string");
	p->jwks = n->str;
	p->jwks_len = strlen(n->str);
	return 0;
}

/* jwks: exactly one of inline (the JWKS text) and remote {url,
 * cacheDuration}. */
static int f_agp_jwks(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "inline", f_agp_inline, 0 },
		{ "remote", f_agp_remote, 0 },
		{ 0 },
	};

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1)
		return sg_expected(c, n, path, "a map with exactly one of inline, remote");
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_agp_providers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "issuer", sg_f_str, offsetof(struct sg_jwt_provider, issuer), true },
		{ "audiences", sg_f_strs, offsetof(struct sg_jwt_provider, audiences) },
		{ "jwks", f_agp_jwks, 0, true },
		{ 0 },
	};
	struct sg_jwt_auth *j = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	if (n->n < 1 || n->n > 64)
		return sg_expected(c, n, path, "1 to 64 providers");
	j->multi = true;
	for (size_t i = 0; i < n->n; i++)
		if (parse_provider(c, n->items[i], j, fields, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	return ret;
}

static int f_agp_mcp(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: not supported in the Kubernetes dialect yet (the standalone "
		    "mcpAuthentication policy has it)",
		    path);
	return -1;
}

int sg_f_agp_jwt_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "mode", f_agp_mode, 0 },
		{ "providers", f_agp_providers, 0, true },
		{ "location", f_location_j, 0 },
		{ "mcp", f_agp_mcp, 0 },
		{ 0 },
	};
	struct sg_jwt_auth *j = sg_arena_alloc(c->a, sizeof(*j));

	if (!j || !(j->rt = sg_arena_alloc(c->a, sizeof(*j->rt))))
		return -1;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	j->at = n;
	j->mode = SG_AUTH_STRICT;
	j->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	*(const struct sg_jwt_auth **)dst = j;
	return sg_parse_fields(c, n, fields, j, path);
}

/* ---- apiKey ------------------------------------------------------------------ */

/* keyHash "sha256:<64 hex digits>" into the key's hash. */
static int f_key_hash(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_api_key *k = dst;
	const char *h = n->kind == SG_NODE_SCALAR ? n->str : "";

	if (strncmp(h, "sha256:", 7) || strlen(h + 7) != 64)
		return sg_expected(c, n, path, "sha256:<64 hex digits>");
	for (size_t i = 0; i < 32; i++) {
		int hi = sg_hex_digit(h[7 + 2 * i]), lo = sg_hex_digit(h[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return sg_expected(c, n, path, "sha256:<64 hex digits>");
		k->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int f_models_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n, "%s: not supported (no LLM backends)", path);
	return -1;
}

static int f_api_key(struct sg_pctx *c, const struct sg_node *n, struct sg_api_keys *k,
		     const char *path)
{
	static const struct sg_field fields[] = {
		{ "key", sg_f_str, offsetof(struct sg_api_key, key) },
		{ "keyHash", f_key_hash, 0 },
		{ "metadata", sg_f_node, offsetof(struct sg_api_key, metadata) },
		{ "allowedModels", f_models_refused, 0 },
		{ 0 },
	};
	struct sg_api_key *key = sg_arena_push(c->a, &k->v, &k->n, &k->cap, sizeof(*key));

	if (!key || sg_parse_fields(c, n, fields, key, path) == -1)
		return -1;
	if (!key->key == !sg_map_get(n, "keyHash"))
		return sg_expected(c, n, path, "a map with exactly one of key, keyHash");
	if (key->key && !key->key[0])
		return sg_expected(c, sg_map_get(n, "key"), sg_path_key(c, path, "key"),
				   "a key that is not empty");
	return 0;
}

static int f_keys(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (f_api_key(c, n->items[i], dst, sg_path_idx(c, path, i)) == -1)
			ret = -1;
	return ret;
}

static int f_mode_k(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return f_mode(c, n, &((struct sg_api_keys *)dst)->mode, path);
}

static int f_location_k(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_cred_location(c, n, &((struct sg_api_keys *)dst)->location, path);
}

int sg_api_key_text(struct sg_pctx *c, struct sg_api_keys *k, const char *text, size_t len,
		    const char *file, const char *path)
{
	struct sg_node **docs = NULL;
	size_t ndocs = 0, cap = 0, i = 0;
	struct sg_api_key *key;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < len && text[i] == '{') {
		if (sg_yaml_parse(c->a, file, text, len, &docs, &ndocs, &cap, c->d) == -1)
			return -1;
		if (ndocs != 1 || docs[0]->kind != SG_NODE_MAP) {
			sg_diag_err(
				c->d, ndocs ? docs[0] : NULL,
				"%s: expected a key, or one JSON object {key | keyHash, metadata}",
				path);
			return -1;
		}
		return f_api_key(c, docs[0], k, path);
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (!len) {
		sg_diag_err(c->d, NULL, "%s: an empty key", path);
		return -1;
	}
	if (!(key = sg_arena_push(c->a, &k->v, &k->n, &k->cap, sizeof(*key))) ||
	    !(key->key = sg_arena_strndup(c->a, text, len)))
		return -1;
	return 0;
}

int sg_f_api_keys(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "keys", f_keys, 0, true },
		{ "mode", f_mode_k, 0 },
		{ "location", f_location_k, 0 },
		{ 0 },
	};
	struct sg_api_keys *k = sg_arena_alloc(c->a, sizeof(*k));

	if (!k || !(k->rt = sg_arena_alloc(c->a, sizeof(*k->rt))))
		return -1;
	k->at = n;
	k->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	((struct sg_filters *)dst)->apikeys = k;
	return sg_parse_fields(c, n, fields, k, path);
}

/* ---- basicAuth ---------------------------------------------------------------- */

/* htpasswd: the text inline, or {file: path} (read now). */
static int f_htpasswd(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_basic_auth *b = dst;
	const struct sg_node *file = n->kind == SG_NODE_MAP ? sg_map_get(n, "file") : NULL;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		b->htpasswd = n->str;
		b->htpasswd_len = strlen(n->str);
		return 0;
	}
	if (!file || sg_map_len(n) != 1 || file->kind != SG_NODE_SCALAR || sg_node_is_null(file))
		return sg_expected(c, n, path, "htpasswd lines as a string, or {file: PATH}");
	b->htpasswd_file = file->str;
	return sg_conf_read_file(c, file, sg_path_key(c, path, "file"), file->str, &b->htpasswd,
				 &b->htpasswd_len);
}

/* basicAuth's modes: strict or optional (agentgateway's BasicAuthMode has
 * no permissive). */
static int f_mode_b(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_auth_mode *m = &((struct sg_basic_auth *)dst)->mode;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "permissive"))
		return sg_expected(c, n, path, "strict or optional");
	return f_mode(c, n, m, path);
}

static int f_location_b(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_cred_location(c, n, &((struct sg_basic_auth *)dst)->location, path);
}

int sg_f_basic_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "htpasswd", f_htpasswd, 0, true },
		{ "realm", sg_f_str, offsetof(struct sg_basic_auth, realm) },
		{ "mode", f_mode_b, 0 },
		{ "authorizationLocation", f_location_b, 0 },
		{ 0 },
	};
	struct sg_basic_auth *b = sg_arena_alloc(c->a, sizeof(*b));

	if (!b || !(b->rt = sg_arena_alloc(c->a, sizeof(*b->rt))))
		return -1;
	b->at = n;
	b->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Basic " };
	((struct sg_filters *)dst)->basic = b;
	return sg_parse_fields(c, n, fields, b, path);
}

/* ---- the rest, refused ----------------------------------------------------- */

int sg_f_auth_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *key, *why;
	} refused[] = {
		{ "authorization", "CEL authorization rules are not implemented yet" },
		{ "networkAuthorization", "its rules are CEL, not implemented yet" },
		{ "extAuthz", "external authorization is not implemented yet" },
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
