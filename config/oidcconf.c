/* The oidc policy's keys (the contract is oidcconf.h), with agentgateway's
 * rules for the explicit provider keys and for redirectURI. */
#include "config/oidcconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/auth.h"
#include "config/hex.h"
#include "config/tlsconf.h"

/* An error at `at` in words of its own: -1. */
__attribute__((format(printf, 3, 4))) static int refuse(struct sg_pctx *c, const struct sg_node *at,
							const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sg_diag_err(c->d, at, "%s", msg);
	return -1;
}

/* An absolute http:// or https:// URL with a host. */
static bool http_url(const char *u)
{
	const char *host = !strncmp(u, "https://", 8)  ? u + 8
			   : !strncmp(u, "http://", 7) ? u + 7
						       : NULL;

	return host && host[0] && host[0] != '/' && host[0] != '?' && !strpbrk(u, " \t\r\n");
}

static int f_endpoint(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || !http_url(n->str))
		return sg_expected(c, n, path, "an absolute http or https URL");
	*(const char **)dst = n->str;
	return 0;
}

/* discovery: the document inline, {file} (read now) or {url}. */
static int f_discovery(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_oidc *o = dst;
	const struct sg_node *one =
		n->kind == SG_NODE_MAP && sg_map_len(n) == 1
			? (sg_map_get(n, "url") ? sg_map_get(n, "url") : sg_map_get(n, "file"))
			: NULL;

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		o->discovery = n->str;
		o->discovery_len = strlen(n->str);
		return 0;
	}
	if (!one || one->kind != SG_NODE_SCALAR || sg_node_is_null(one))
		return sg_expected(c, n, path,
				   "a discovery document as a string, {file: PATH} or {url: URL}");
	if (one == sg_map_get(n, "url"))
		return f_endpoint(c, one, &o->discovery_url, sg_path_key(c, path, "url"));
	return sg_conf_read_file(c, one, sg_path_key(c, path, "file"), one->str, &o->discovery,
				 &o->discovery_len);
}

static int f_client_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_oidc *o = dst;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "clientSecretBasic"))
		o->client_auth = SG_OIDC_SECRET_BASIC;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "clientSecretPost"))
		o->client_auth = SG_OIDC_SECRET_POST;
	else
		return sg_expected(c, n, path, "clientSecretBasic or clientSecretPost");
	o->explicit_auth = true;
	return 0;
}

static int f_jwks(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_jwks(c, n, &((struct sg_oidc *)dst)->provider, path);
}

/* Whether path segment s[0..len), percent-decoded, is "." or ".." or
 * holds a slash or backslash; or its escapes are broken (*bad). */
static bool unsafe_segment(const char *s, size_t len, bool *bad)
{
	char d[3];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '%') {
			if (i + 2 >= len + 0 || sg_hex_digit(s[i + 1]) < 0 ||
			    sg_hex_digit(s[i + 2]) < 0) {
				*bad = true;
				return true;
			}
			ch = (char)(sg_hex_digit(s[i + 1]) * 16 + sg_hex_digit(s[i + 2]));
			i += 2;
		}
		if (ch == '/' || ch == '\\')
			return true;
		if (n < sizeof(d))
			d[n] = ch;
		n++;
	}
	return (n == 1 && d[0] == '.') || (n == 2 && d[0] == '.' && d[1] == '.');
}

/* redirectURI, as agentgateway's RedirectUri::parse takes it. */
static int f_redirect(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_oidc *o = dst;
	const char *u, *a, *p, *seg;
	bool bad = false;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, "an absolute http or https URL");
	u = n->str;
	if (!strncmp(u, "https://", 8))
		o->https = true;
	else if (strncmp(u, "http://", 7))
		return sg_expected(c, n, path, "an http or https URL (redirectURI)");
	a = u + (o->https ? 8 : 7);
	p = a + strcspn(a, "/?#");
	if (p == a || strpbrk(u, " \t\r\n"))
		return sg_expected(c, n, path, "a URL with a host (redirectURI)");
	if (memchr(a, '@', (size_t)(p - a)))
		return sg_expected(c, n, path, "a URL without userinfo (redirectURI)");
	if (strchr(u, '#'))
		return sg_expected(c, n, path, "a URL without a fragment (redirectURI)");
	if (strchr(u, '?'))
		return sg_expected(c, n, path, "a URL without query parameters (redirectURI)");
	if (!*p || !strcmp(p, "/"))
		return sg_expected(c, n, path,
				   "a URL with an explicit, non-root path (redirectURI)");
	for (seg = p + 1;; seg += strcspn(seg, "/") + 1) {
		if (unsafe_segment(seg, strcspn(seg, "/"), &bad))
			return sg_expected(c, n, path,
					   bad ? "a path with valid percent-encoding (redirectURI)"
					       : "a path without dot segments or encoded slashes "
						 "(redirectURI)");
		if (!seg[strcspn(seg, "/")])
			break;
	}
	o->redirect_uri = u;
	o->callback_path = p;
	return 0;
}

/* "openid", then the scopes, each once, space-separated. */
static int scopes(struct sg_pctx *c, const struct sg_node *n, struct sg_oidc *o, const char *path)
{
	struct sg_strs s = { 0 };
	size_t len = sizeof("openid");
	char *out;

	if (n && sg_f_strs(c, n, &s, path) == -1)
		return -1;
	for (size_t i = 0; i < s.n; i++)
		len += strlen(s.v[i]) + 1;
	if (!(out = sg_arena_alloc(c->a, len)))
		return -1;
	strcpy(out, "openid");
	for (size_t i = 0; i < s.n; i++) {
		bool seen = !strcmp(s.v[i], "openid");

		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(s.v[k], s.v[i]);
		if (seen)
			continue;
		if (!s.v[i][0] || strpbrk(s.v[i], " \t\r\n\""))
			return sg_expected(c, n->items[i], sg_path_idx(c, path, i),
					   "a scope without spaces or quotes");
		strcat(out, " ");
		strcat(out, s.v[i]);
	}
	o->scope = out;
	return 0;
}

/* The ID token's verifier: strict, one provider (the issuer, audience
 * clientId), whose jwks is the explicit one or the discovered one. */
static int validator(struct sg_pctx *c, struct sg_oidc *o, bool explicit_provider)
{
	struct sg_jwt_auth *j = &o->validator;
	const char **aud;

	if (!(j->rt = sg_arena_alloc(c->a, sizeof(*j->rt))))
		return -1;
	j->mode = SG_AUTH_STRICT;
	j->location = (struct sg_cred_location){ SG_CRED_HEADER, "authorization", "Bearer " };
	j->providers = &o->provider;
	j->nproviders = explicit_provider ? 1 : 0;
	j->capproviders = 1;
	j->at = o->at;
	o->provider.issuer = o->issuer;
	o->provider.required = SG_JWT_CLAIM_EXP;
	o->provider.at = o->at;
	aud = sg_arena_push(c->a, &o->provider.audiences.v, &o->provider.audiences.n,
			    &o->provider.audiences.cap, sizeof(*aud));
	if (!aud)
		return -1;
	*aud = o->client_id;
	return 0;
}

int sg_f_oidc(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "issuer", sg_f_str, offsetof(struct sg_oidc, issuer), true },
		{ "discovery", f_discovery, 0 },
		{ "authorizationEndpoint", f_endpoint,
		  offsetof(struct sg_oidc, authorization_endpoint) },
		{ "tokenEndpoint", f_endpoint, offsetof(struct sg_oidc, token_endpoint) },
		{ "tokenEndpointAuth", f_client_auth, 0 },
		{ "jwks", f_jwks, 0 },
		{ "clientId", sg_f_str, offsetof(struct sg_oidc, client_id), true },
		{ "clientSecret", sg_f_str, offsetof(struct sg_oidc, client_secret), true },
		{ "redirectURI", f_redirect, 0, true },
		{ "scopes", NULL, 0 },
		{ 0 },
	};
	struct sg_oidc *o = sg_arena_alloc(c->a, sizeof(*o));
	const struct sg_node *sc;
	unsigned explicit_keys;
	int ret;

	if (!o || !(o->rt = sg_arena_alloc(c->a, sizeof(*o->rt))))
		return -1;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	o->at = n;
	ret = sg_parse_fields(c, n, fields, o, path);
	sc = sg_map_get(n, "scopes");
	if (scopes(c, sc && !sg_node_is_null(sc) ? sc : NULL, o, sg_path_key(c, path, "scopes")) ==
	    -1)
		ret = -1;
	if (ret == -1)
		return -1;
	explicit_keys = !!o->authorization_endpoint + !!o->token_endpoint +
			!!(o->provider.jwks || o->provider.jwks_url);
	/* agentgateway's words for its three rules */
	if (o->explicit_auth && explicit_keys != 3)
		return refuse(c, sg_map_get(n, "tokenEndpointAuth"),
			      "%s: tokenEndpointAuth must be omitted unless authorizationEndpoint, "
			      "tokenEndpoint, and jwks are configured explicitly",
			      path);
	if (explicit_keys == 3 && (o->discovery || o->discovery_url))
		return refuse(c, sg_map_get(n, "discovery"),
			      "%s: oidc discovery must be omitted when authorizationEndpoint, "
			      "tokenEndpoint, and jwks are configured explicitly",
			      path);
	if (explicit_keys != 0 && explicit_keys != 3)
		return refuse(
			c, n,
			"%s: authorizationEndpoint, tokenEndpoint, and jwks must either all be "
			"set or all be omitted",
			path);
	if (!explicit_keys && !o->discovery && !o->discovery_url) {
		size_t len = strlen(o->issuer);

		while (len && o->issuer[len - 1] == '/')
			len--;
		o->discovery_url = sg_arena_printf(c->a, "%.*s/.well-known/openid-configuration",
						   (int)len, o->issuer);
		if (!http_url(o->discovery_url))
			return sg_expected(c, n, sg_path_key(c, path, "issuer"),
					   "an http or https issuer URL (its discovery document "
					   "is fetched from it)");
	}
	if (validator(c, o, explicit_keys == 3) == -1)
		return -1;
	if (c->cfg) { /* the tree's list, which its routes name (config/resolve.c) */
		struct sg_oidc **slot =
			sg_arena_push(&c->cfg->arena, &c->cfg->oidcs, &c->cfg->noidcs,
				      &c->cfg->capoidcs, sizeof(*slot));

		if (!slot)
			return -1;
		*slot = o;
	}
	((struct sg_filters *)dst)->oidc = o;
	return 0;
}
