/* MCP authentication's OAuth documents (the contract is mcpoauth.h), as
 * agentgateway's mcp/auth.rs and types/agent.rs write them. */
#include "user/auth/mcpoauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mcpauthconf.h"
#include "user/base/json.h"

#define URL_MAX 2048 /* the URLs written into documents */

bool sg_mcpoauth_under(const char *path, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(path, prefix, n) && (len == n || path[n] == '/');
}

/* An absolute URI's scheme://authority, into out; false when u is not
 * one. */
bool sg_mcpoauth_origin(const char *u, char *out, size_t cap)
{
	const char *s = u ? strstr(u, "://") : NULL;
	size_t alen;

	if (!s || s == u || strcspn(u, ":/?#") != (size_t)(s - u))
		return false;
	alen = strcspn(s + 3, "/?#");
	if (!alen)
		return false;
	return snprintf(out, cap, "%.*s", (int)(s + 3 + alen - u), u) < (int)cap;
}

/* A copy of JSON value v (printed, parsed again); NULL when out of
 * memory. */
static struct sg_json *copy(const struct sg_json *v)
{
	char *text = sg_json_print(v, SG_JSON_COMPACT);
	struct sg_json *c = text ? sg_json_parse(text) : NULL;

	free(text);
	return c;
}

/* doc's member `key`: extra's value of that name when it has one (the
 * user's, as agentgateway lets them override it, in the computed one's
 * place), else `value`. */
static void member(struct sg_json *doc, const struct sg_json *extra, const char *key,
		   struct sg_json *value)
{
	const struct sg_json *own = sg_json_get(extra, key);

	if (own) {
		sg_json_free(value);
		value = copy(own);
	}
	sg_json_add(doc, key, value);
}

char *sg_mcpoauth_resource_metadata(const struct sg_mcp_authn *m, const char *url)
{
	static const char *const computed[] = { "resource", "authorization_servers",
						"mcp_protocol_version", "resource_type" };
	struct sg_json *doc = sg_json_object(), *extra = sg_json_of_map(m->metadata, true);
	struct sg_json *servers = sg_json_array();
	char *text = NULL;

	if (!doc || !extra || !servers)
		goto out;
	/* With a provider the gateway is the authorization server clients
	 * talk to (it adapts the provider's). */
	sg_json_push(servers, sg_json_string(m->provider != SG_MCP_IDP_NONE ? url : m->issuer));
	member(doc, extra, computed[0], sg_json_string(url));
	member(doc, extra, computed[1], servers);
	servers = NULL;
	member(doc, extra, computed[2], sg_json_string(SG_MCPOAUTH_PROTOCOL_VERSION));
	member(doc, extra, computed[3], sg_json_string("mcp-server"));
	for (const struct sg_json *e = sg_json_first(extra); e; e = sg_json_next(e)) {
		const char *key = sg_json_key(e);
		size_t k = 0;

		while (k < 4 && strcmp(key, computed[k]))
			k++;
		if (k == 4)
			sg_json_add(doc, key, copy(e));
	}
	text = sg_json_print(doc, SG_JSON_COMPACT);
out:
	sg_json_free(servers);
	sg_json_free(extra);
	sg_json_free(doc);
	return text;
}

/* The issuer without its trailing slashes: n bytes of it. */
static size_t trimmed(const char *issuer)
{
	size_t n = strlen(issuer);

	while (n && issuer[n - 1] == '/')
		n--;
	return n;
}

/* The issuer's authorization-server metadata URL, RFC 8414's (the
 * well-known name between its origin and its path), as agentgateway's
 * authorization_server_metadata_url writes it. */
static int as_metadata_url(const char *issuer, char *out, size_t cap)
{
	char origin[1024];
	const char *rest;
	size_t n;

	if (!sg_mcpoauth_origin(issuer, origin, sizeof(origin)))
		return snprintf(out, cap, "%.*s" SG_MCPOAUTH_ASM, (int)trimmed(issuer), issuer);
	rest = issuer + strlen(origin);
	n = strcspn(rest, "?#");
	if (!n || (n == 1 && rest[0] == '/'))
		return snprintf(out, cap, "%s" SG_MCPOAUTH_ASM, origin);
	return snprintf(out, cap, "%s" SG_MCPOAUTH_ASM "%.*s", origin, (int)n, rest);
}

/* Where the provider's metadata is: OIDC discovery for the providers
 * without RFC 8414, RFC 8414's URL for the others. */
int sg_mcpoauth_metadata_url(const struct sg_mcp_authn *m, char *out, size_t cap)
{
	switch (m->provider) {
	case SG_MCP_IDP_KEYCLOAK:
	case SG_MCP_IDP_OKTA:
	case SG_MCP_IDP_DESCOPE:
	case SG_MCP_IDP_AUTHENTIK:
		return snprintf(out, cap, "%.*s/.well-known/openid-configuration",
				(int)trimmed(m->issuer), m->issuer);
	case SG_MCP_IDP_NONE:
	case SG_MCP_IDP_AUTH0:
		break;
	}
	return as_metadata_url(m->issuer, out, cap);
}

/* Where a registration goes: Okta's org, Descope's management endpoint,
 * else Keycloak's form under the issuer. -1: the provider has none. */
int sg_mcpoauth_registration_url(const struct sg_mcp_authn *m, char *out, size_t cap)
{
	size_t n = trimmed(m->issuer);
	struct sg_mcp_descope d;
	char origin[1024];

	switch (m->provider) {
	case SG_MCP_IDP_OKTA:
		if (!sg_mcpoauth_origin(m->issuer, origin, sizeof(origin)))
			return -1;
		return snprintf(out, cap, "%s/oauth2/v1/clients", origin);
	case SG_MCP_IDP_DESCOPE:
		if (!sg_mcp_descope_issuer(m->issuer, &d))
			return -1;
		return snprintf(out, cap, "%.*s/v1/mgmt/mcp/client/%.*s/%.*s/register",
				(int)d.origin_len, m->issuer, (int)d.project_len, d.project,
				(int)d.server_len, d.server);
	case SG_MCP_IDP_AUTHENTIK:
		return -1;
	case SG_MCP_IDP_NONE:
	case SG_MCP_IDP_AUTH0:
	case SG_MCP_IDP_KEYCLOAK:
		break;
	}
	return snprintf(out, cap, "%.*s/clients-registrations/openid-connect", (int)n, m->issuer);
}

/* doc's string member `key` gets `suffix` appended; false when it has
 * none (or memory ran out). */
static bool append_to(struct sg_json *doc, const char *key, const char *suffix)
{
	const char *v = sg_json_str(sg_json_get(doc, key));
	char *s;
	bool ok;

	if (!v || !(s = malloc(strlen(v) + strlen(suffix) + 1)))
		return false;
	sprintf(s, "%s%s", v, suffix);
	ok = sg_json_set(doc, key, sg_json_string(s)) == 0;
	free(s);
	return ok;
}

/* doc's member `key` becomes the string `v` (in place, or appended when
 * `add` and doc has none); false when it has none and !add. */
static bool set_str(struct sg_json *doc, const char *key, const char *v, bool add)
{
	if (!add && sg_json_type(sg_json_get(doc, key)) != SG_JSON_STRING)
		return false;
	return sg_json_set(doc, key, sg_json_string(v)) == 0;
}

/* The gateway as the issuer of a metadata request for `url`: its origin
 * and the path after the well-known name ("" : the origin alone). */
static char *gateway_issuer(const char *url)
{
	char origin[1024], *out;
	const char *path, *rest;
	size_t plen;

	if (!sg_mcpoauth_origin(url, origin, sizeof(origin)))
		return NULL;
	path = url + strlen(origin);
	plen = strcspn(path, "?#");
	if (!sg_mcpoauth_under(path, plen, SG_MCPOAUTH_ASM))
		return NULL;
	rest = path + strlen(SG_MCPOAUTH_ASM);
	if (!(out = malloc(strlen(origin) + plen + 1)))
		return NULL;
	sprintf(out, "%s%.*s", origin, (int)(plen - strlen(SG_MCPOAUTH_ASM)), rest);
	return out;
}

/* The provider's adaptations of doc (an object), agentgateway's. */
static bool adapt(const struct sg_mcp_authn *m, const char *url, struct sg_json *doc)
{
	char reg[URL_MAX + 32], aud[URL_MAX];
	bool ok = true;

	snprintf(reg, sizeof(reg), "%s/client-registration", url);
	snprintf(aud, sizeof(aud), "?audience=%s", m->audiences.n ? m->audiences.v[0] : "");
	switch (m->provider) {
	case SG_MCP_IDP_AUTH0:
		/* No RFC 8707: the first audience on the authorization URL. */
		ok = m->audiences.n
			     ? append_to(doc, "authorization_endpoint", aud)
			     : sg_json_str(sg_json_get(doc, "authorization_endpoint")) != NULL;
		break;
	case SG_MCP_IDP_OKTA:
		ok = m->audiences.n
			     ? append_to(doc, "authorization_endpoint", aud)
			     : sg_json_str(sg_json_get(doc, "authorization_endpoint")) != NULL;
		/* Okta's registration has no CORS: through the gateway. */
		if (ok && sg_json_str(sg_json_get(doc, "registration_endpoint")))
			ok = set_str(doc, "registration_endpoint", reg, false);
		break;
	case SG_MCP_IDP_DESCOPE:
		if (sg_json_str(sg_json_get(doc, "registration_endpoint")))
			ok = set_str(doc, "registration_endpoint", reg, false);
		break;
	case SG_MCP_IDP_KEYCLOAK:
		/* Keycloak's registration has no CORS: through the gateway. */
		ok = set_str(doc, "registration_endpoint", reg, false);
		break;
	case SG_MCP_IDP_AUTHENTIK:
		/* No registration at all: the gateway's, from clientId. */
		ok = set_str(doc, "registration_endpoint", reg, true);
		break;
	case SG_MCP_IDP_NONE:
		return true; /* the issuer's document as it is */
	}
	if (ok) {
		char *issuer = gateway_issuer(url);

		ok = !issuer || set_str(doc, "issuer", issuer, true);
		free(issuer);
	}
	return ok;
}

char *sg_mcpoauth_as_metadata(const struct sg_mcp_authn *m, const char *url, const char *doc)
{
	struct sg_json *root = sg_json_parse(doc);
	char *text = NULL;

	if (sg_json_type(root) == SG_JSON_OBJECT ? adapt(m, url, root)
						 : m->provider == SG_MCP_IDP_NONE && root)
		text = sg_json_print(root, SG_JSON_COMPACT);
	sg_json_free(root);
	return text;
}

char *sg_mcpoauth_mock_registration(const char *id, const char *body, size_t len)
{
	struct sg_json *o = sg_json_object(), *grants = sg_json_array(), *types = sg_json_array();
	char *text = NULL, *raw = malloc(len + 1);
	struct sg_json *in = NULL;
	const struct sg_json *uris;

	if (!o || !grants || !types || !raw)
		goto out;
	memcpy(raw, body ? body : "", len);
	raw[len] = '\0';
	in = sg_json_parse(raw);
	uris = sg_json_get(in, "redirect_uris");
	sg_json_add_str(o, "client_id", id);
	sg_json_add_num(o, "client_id_issued_at", 0);
	sg_json_add_str(o, "token_endpoint_auth_method", "none");
	sg_json_push(grants, sg_json_string("authorization_code"));
	sg_json_add(o, "grant_types", grants);
	grants = NULL;
	sg_json_push(types, sg_json_string("code"));
	sg_json_add(o, "response_types", types);
	types = NULL;
	sg_json_add(o, "redirect_uris",
		    sg_json_type(uris) == SG_JSON_ARRAY ? copy(uris) : sg_json_array());
	text = sg_json_print(o, SG_JSON_COMPACT);
out:
	sg_json_free(in);
	sg_json_free(grants);
	sg_json_free(types);
	sg_json_free(o);
	free(raw);
	return text;
}
