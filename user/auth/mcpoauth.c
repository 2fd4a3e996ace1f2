/* MCP authentication's OAuth documents (the contract is mcpoauth.h), as
 * agentgateway's mcp/auth.rs and types/agent.rs write them. */
#include "user/auth/mcpoauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mcpauthconf.h"
#include "user/base/form.h"
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
	char authority[1024];

	switch (m->provider) {
	case SG_MCP_IDP_ENTRA: /* the v2.0 document, whatever the issuer's version */
		if (!sg_mcp_entra_authority(m->issuer, authority, sizeof(authority)))
			return -1;
		return snprintf(out, cap, "%s/v2.0/.well-known/openid-configuration", authority);
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
	case SG_MCP_IDP_ENTRA:
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

/* Entra's adaptation: it refuses RFC 8707's `resource` parameter
 * (AADSTS9010010), which MCP clients send, so its authorization and token
 * endpoints are the gateway's (`url`/authorize, `url`/token), which take
 * it out; it has no registration (the gateway's, from clientId); it does
 * PKCE with S256 but its document does not say so. */
static bool entra_adapt(const char *url, struct sg_json *doc, const char *reg)
{
	char ep[URL_MAX + 32];
	struct sg_json *methods;

	snprintf(ep, sizeof(ep), "%s/authorize", url);
	if (!set_str(doc, "authorization_endpoint", ep, false))
		return false;
	snprintf(ep, sizeof(ep), "%s/token", url);
	if (!set_str(doc, "token_endpoint", ep, false) ||
	    !set_str(doc, "registration_endpoint", reg, true))
		return false;
	if (sg_json_get(doc, "code_challenge_methods_supported"))
		return true;
	if (!(methods = sg_json_array()))
		return false;
	sg_json_push(methods, sg_json_string("S256"));
	return sg_json_set(doc, "code_challenge_methods_supported", methods) == 0;
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
	case SG_MCP_IDP_ENTRA:
		ok = entra_adapt(url, doc, reg);
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

/* ---- Entra's authorization and token endpoints, through the gateway -------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* s[0..len) form-decoded ('+' a space, %XX a byte) into out[0..cap),
 * NUL-terminated; false when it does not fit, or holds a NUL (%00), which
 * a C string would end at: "grant_type%00" is not grant_type, for Entra
 * no more than for us. */
static bool form_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
			 hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (n + 1 >= cap || c == '\0')
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* One parameter of a query or form: name=value, both as written. */
struct param {
	const char *name, *value;
	size_t nlen, vlen;
};

/* The parameter at s[*at..len), *at moved past it and its '&'; false at
 * the end. */
static bool next_param(const char *s, size_t len, size_t *at, struct param *p)
{
	size_t end, eq;

	while (*at < len && s[*at] == '&')
		(*at)++;
	if (*at >= len)
		return false;
	end = *at;
	while (end < len && s[end] != '&')
		end++;
	for (eq = *at; eq < end && s[eq] != '='; eq++)
		;
	p->name = s + *at;
	p->nlen = eq - *at;
	p->value = eq < end ? s + eq + 1 : s + end;
	p->vlen = eq < end ? end - eq - 1 : 0;
	*at = end;
	return true;
}

/* Whether p's decoded name is `name`; with `value`, its decoded value
 * into value[0..cap) ("" when it does not fit or holds a NUL). */
static bool param_is(const struct param *p, const char *name, char *value, size_t cap)
{
	char n[64];

	if (!form_decode(p->name, p->nlen, n, sizeof(n)) || strcmp(n, name))
		return false;
	if (value && !form_decode(p->value, p->vlen, value, cap))
		value[0] = '\0';
	return true;
}

/* s[0..len)'s parameters but `resource`, as written, '&' between them,
 * into out (room for len + 1 bytes): its length. */
static size_t without_resource(const char *s, size_t len, char *out)
{
	struct param p;
	size_t at = 0, n = 0;

	while (next_param(s, len, &at, &p)) {
		if (param_is(&p, "resource", NULL, 0))
			continue;
		if (n)
			out[n++] = '&';
		memcpy(out + n, p.name, (size_t)(p.value + p.vlen - p.name));
		n += (size_t)(p.value + p.vlen - p.name);
	}
	out[n] = '\0';
	return n;
}

char *sg_mcpoauth_entra_authorize(const struct sg_mcp_authn *m, const char *q, size_t len)
{
	char authority[1024], *rest = malloc(len + 1), *out = NULL;
	size_t n;

	if (!rest || !sg_mcp_entra_authority(m->issuer, authority, sizeof(authority)))
		goto done;
	n = without_resource(q, len, rest);
	if ((out = malloc(strlen(authority) + n + 32)))
		sprintf(out, "%s/oauth2/v2.0/authorize%s%s", authority, n ? "?" : "", rest);
done:
	free(rest);
	return out;
}

int sg_mcpoauth_entra_token_url(const struct sg_mcp_authn *m, char *out, size_t cap)
{
	char authority[1024];

	if (!sg_mcp_entra_authority(m->issuer, authority, sizeof(authority)))
		return -1;
	return snprintf(out, cap, "%s/oauth2/v2.0/token", authority);
}

char *sg_mcpoauth_entra_token_form(const struct sg_mcp_authn *m, const char *body, size_t len,
				   bool authorized)
{
	const char *secret = m->client_secret;
	char client_id[512] = "", grant[64] = "", *out;
	bool has_secret = false;
	size_t ids = 0, grants = 0, at = 0, n, cap;
	struct param p;

	while (next_param(body, len, &at, &p)) {
		has_secret |= param_is(&p, "client_secret", NULL, 0);
		ids += param_is(&p, "client_id", client_id, sizeof(client_id));
		grants += param_is(&p, "grant_type", grant, sizeof(grant));
	}
	/* The secret belongs to clientId's registration, and the endpoint
	 * needs no token: a user's grant for that client alone gets it. A
	 * client_id or grant_type sent twice (RFC 6749 §3.2: never) gets
	 * none: which one Entra reads is not ours to guess, and the other may
	 * be client_credentials. */
	if (authorized || has_secret || !secret || !m->client_id || ids != 1 || grants != 1 ||
	    strcmp(client_id, m->client_id) ||
	    (strcmp(grant, "authorization_code") && strcmp(grant, "refresh_token")))
		secret = NULL;
	cap = len + (secret ? 3 * strlen(secret) + 16 : 0) + 1;
	if (!(out = malloc(cap)))
		return NULL;
	n = without_resource(body, len, out);
	if (secret) {
		n += (size_t)sprintf(out + n, "%sclient_secret=", n ? "&" : "");
		sg_form_append(out, cap, &n, secret, strlen(secret));
	}
	return out;
}
