/* mcpAuthentication as agentgateway's standalone config writes it (the
 * contract is mcpauthconf.h): its keys into struct sg_mcp_authn, whose
 * token verifier is a jwtAuth of one provider built here, so that user/
 * compiles and checks it as every other jwtAuth. */
#include "config/mcpauthconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/auth.h"
#include "config/node.h"

static const char *const idp_names[] = {
	[SG_MCP_IDP_AUTH0] = "auth0",	      [SG_MCP_IDP_KEYCLOAK] = "keycloak",
	[SG_MCP_IDP_OKTA] = "okta",	      [SG_MCP_IDP_DESCOPE] = "descope",
	[SG_MCP_IDP_AUTHENTIK] = "authentik", [SG_MCP_IDP_ENTRA] = "entra",
};

#define NIDPS (sizeof(idp_names) / sizeof(idp_names[0]))

const char *sg_mcp_idp_name(enum sg_mcp_idp p)
{
	return p > SG_MCP_IDP_NONE && (size_t)p < NIDPS ? idp_names[p] : NULL;
}

bool sg_mcp_descope_issuer(const char *issuer, struct sg_mcp_descope *out)
{
	const char *s = strstr(issuer, "://"), *host, *path, *seg[5];
	size_t slen[5];

	if (!s)
		return false;
	host = s + 3;
	path = host + strcspn(host, "/?#");
	if (*path != '/')
		return false;
	for (size_t i = 0; i < 5; i++) {
		path++;
		seg[i] = path;
		slen[i] = strcspn(path, "/?#");
		path += slen[i];
		if (!slen[i] || (i < 4 && *path != '/'))
			return false;
	}
	if (slen[0] != 2 || memcmp(seg[0], "v1", 2) || slen[1] != 4 || memcmp(seg[1], "apps", 4) ||
	    slen[2] != 7 || memcmp(seg[2], "agentic", 7))
		return false;
	*out = (struct sg_mcp_descope){
		.scheme_len = (size_t)(s - issuer),
		.host = host,
		.host_len = strcspn(host, ":/?#"),
		.origin_len = (size_t)(host + strcspn(host, "/?#") - issuer),
		.project = seg[3],
		.project_len = slen[3],
		.server = seg[4],
		.server_len = slen[4],
	};
	return true;
}

bool sg_mcp_entra_authority(const char *issuer, char *out, size_t cap)
{
	const char *s = strstr(issuer, "://"), *host, *end, *tenant;
	size_t hlen, tlen;
	int n;

	if (!s)
		return false;
	host = s + 3;
	end = host + strcspn(host, "/?#");
	hlen = *host == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?#");
	if (!hlen || hlen > (size_t)(end - host) || *end != '/')
		return false;
	tenant = end + strspn(end, "/");
	tlen = strcspn(tenant, "/?#");
	if (!tlen)
		return false;
	if (hlen == 15 && !strncasecmp(host, "sts.windows.net", 15)) {
		host = "login.microsoftonline.com";
		hlen = strlen(host);
	}
	n = snprintf(out, cap, "https://%.*s/%.*s", (int)hlen, host, (int)tlen, tenant);
	return n > 0 && (size_t)n < cap;
}

/* Descope's agentic issuers keep their keys at the project's:
 * https://HOST/PROJECT (no port, as agentgateway writes it). NULL: not
 * such an issuer. */
static const char *descope_base(struct sg_arena *a, const char *issuer)
{
	struct sg_mcp_descope d;

	if (!sg_mcp_descope_issuer(issuer, &d))
		return NULL;
	return sg_arena_printf(a, "%.*s://%.*s/%.*s", (int)d.scheme_len, issuer, (int)d.host_len,
			       d.host, (int)d.project_len, d.project);
}

const char *sg_mcp_authn_jwks_url(struct sg_arena *a, const char *issuer, enum sg_mcp_idp p)
{
	const char *base;
	size_t n = strlen(issuer);

	switch (p) {
	case SG_MCP_IDP_KEYCLOAK:
		return sg_arena_printf(a, "%s/protocol/openid-connect/certs", issuer);
	case SG_MCP_IDP_AUTHENTIK:
		while (n && issuer[n - 1] == '/')
			n--;
		return sg_arena_printf(a, "%.*s/jwks/", (int)n, issuer);
	case SG_MCP_IDP_DESCOPE:
		if ((base = descope_base(a, issuer)))
			return sg_arena_printf(a, "%s/.well-known/jwks.json", base);
		break;
	case SG_MCP_IDP_ENTRA: {
		char authority[1024];

		if (!sg_mcp_entra_authority(issuer, authority, sizeof(authority)))
			return NULL;
		return sg_arena_printf(a, "%s/discovery/v2.0/keys", authority);
	}
	case SG_MCP_IDP_NONE:
	case SG_MCP_IDP_AUTH0:
	case SG_MCP_IDP_OKTA:
		break;
	}
	return sg_arena_printf(a, "%s/.well-known/jwks.json", issuer);
}

/* provider: one of agentgateway's McpIDP, as {name: {}}. */
static int f_provider(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_mcp_idp *p = dst;
	const struct sg_node *k, *v;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_MAP || sg_map_len(n) != 1)
		return sg_expected(c, n, path,
				   "a map with one of auth0, keycloak, okta, descope, authentik, "
				   "entra");
	k = sg_map_key(n, 0);
	v = sg_map_val(n, 0);
	for (size_t i = 1; i < NIDPS; i++)
		if (!strcmp(k->str, idp_names[i])) {
			if (!sg_node_is_null(v) && (v->kind != SG_NODE_MAP || sg_map_len(v)))
				return sg_expected(c, v, sg_path_key(c, path, k->str), "{}");
			*p = (enum sg_mcp_idp)i;
			return 0;
		}
	return sg_expected(c, k, path, "one of auth0, keycloak, okta, descope, authentik, entra");
}

/* resourceMetadata: any map (served with its keys in snake_case); its
 * `resource`, a string, is where the challenge points. */
static int f_metadata(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_authn *m = dst;
	const struct sg_node *r;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	m->metadata = n;
	r = sg_map_get(n, "resource");
	if (r && r->kind == SG_NODE_SCALAR && !sg_node_is_null(r))
		m->resource = r->str;
	return 0;
}

static bool http_url(const char *u)
{
	const char *host = !strncmp(u, "https://", 8)  ? u + 8
			   : !strncmp(u, "http://", 7) ? u + 7
						       : NULL;

	return host && host[0] && host[0] != '/' && !strpbrk(u, " \t\r\n#");
}

int sg_f_mcp_authentication(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "issuer", sg_f_str, offsetof(struct sg_mcp_authn, issuer), true },
		{ "audiences", sg_f_strs, offsetof(struct sg_mcp_authn, audiences), true },
		{ "provider", f_provider, offsetof(struct sg_mcp_authn, provider) },
		{ "resourceMetadata", f_metadata, 0, true },
		{ "jwks", sg_f_jwks, offsetof(struct sg_mcp_authn, jwt_provider) },
		{ "mode", sg_f_auth_mode, offsetof(struct sg_mcp_authn, jwt.mode) },
		{ "authorizationLocation", sg_f_cred_location,
		  offsetof(struct sg_mcp_authn, jwt.location) },
		{ "jwtValidationOptions", sg_f_jwt_validation,
		  offsetof(struct sg_mcp_authn, jwt_provider) },
		{ "clientId", sg_f_str, offsetof(struct sg_mcp_authn, client_id) },
		{ "clientSecret", sg_f_str, offsetof(struct sg_mcp_authn, client_secret) },
		{ 0 },
	};
	struct sg_filters *f = dst;
	struct sg_mcp_authn *m = sg_arena_alloc(c->a, sizeof(*m));
	struct sg_jwt_provider *p;

	if (!m || !(m->jwt.rt = sg_arena_alloc(c->a, sizeof(*m->jwt.rt))))
		return -1;
	if (f->jwt) {
		sg_diag_err(c->d, n, "%s: %s", path, SG_AUTH_JWT_OR_MCP);
		return -1;
	}
	p = &m->jwt_provider;
	m->at = n;
	m->jwt.at = n;
	m->jwt.mode = SG_AUTH_STRICT;
	m->jwt.location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	m->jwt.providers = p;
	m->jwt.nproviders = m->jwt.capproviders = 1;
	p->required = SG_JWT_CLAIM_EXP;
	p->at = n;
	if (sg_parse_fields(c, n, fields, m, path) == -1)
		return -1;
	p->issuer = m->issuer;
	p->audiences = m->audiences;
	if (!p->jwks && !p->jwks_url) {
		p->jwks_url = sg_mcp_authn_jwks_url(c->a, m->issuer, m->provider);
		if (!p->jwks_url && m->provider == SG_MCP_IDP_ENTRA) {
			sg_diag_err(c->d, sg_map_get(n, "issuer"),
				    "%s.jwks: not given, and the issuer \"%s\" names no Entra "
				    "tenant to derive it from (expected "
				    "https://login.microsoftonline.com/<tenant>/v2.0 or "
				    "https://sts.windows.net/<tenant>/)",
				    path, m->issuer);
			return -1;
		}
		if (!p->jwks_url)
			return -1;
		if (!http_url(p->jwks_url)) {
			sg_diag_err(
				c->d, sg_map_get(n, "issuer"),
				"%s.jwks: not given, and the URL derived from the issuer, \"%s\", "
				"is not an http:// or https:// URL",
				path, p->jwks_url);
			return -1;
		}
	}
	f->mcp_authn = m;
	return 0;
}
