/* backendAuth oauthTokenExchange's keys (the contract is tokenxconf.h). */
#include "config/tokenxconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/auth.h"
#include "config/backendauth.h"
#include "config/extauthz.h"
#include "config/transform.h"

#define URN_ACCESS "urn:ietf:params:oauth:token-type:access_token"
#define URN_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"

/* What the cache keeps when it is not told (agentgateway's defaults). */
#define CACHE_ENTRIES 8192
#define CACHE_TTL SG_DUR_S(300)

static int refused(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *why)
{
	sg_diag_err(c->d, n, "%s: not supported (%s)", path, why);
	return -1;
}

static int f_host(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_token_exchange *t = dst;

	return sg_service_host(c, n, path, &t->to.host, &t->to.ep);
}

static int f_target(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "give the token endpoint as host: \"addr:port\"");
}

int sg_f_tokenx_path(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (**(const char **)dst && **(const char **)dst != '/')
		return sg_expected(c, n, path, "a path that starts with /");
	if (strpbrk(*(const char **)dst, " \t\r\n#"))
		return sg_expected(c, n, path, "a path without spaces, controls or a fragment");
	return 0;
}

static int f_grant(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_tokenx_grant *g = dst;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "tokenExchange"))
		*g = SG_TOKENX_EXCHANGE;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "jwtBearer"))
		*g = SG_TOKENX_JWT_BEARER;
	else
		return sg_expected(c, n, path, "tokenExchange or jwtBearer");
	return 0;
}

/* RFC 8693's token type identifiers are absolute URIs without a
 * fragment: a scheme (a letter, then letters, digits, + - .), a colon,
 * something after it, no '#', no space. */
static bool absolute_uri(const char *s)
{
	const char *p = s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':' && p[1] && !strpbrk(s, "# \t\r\n");
}

static int f_token_type(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (!absolute_uri(*(const char **)dst))
		return sg_expected(c, n, path,
				   "a token type URN such as "
				   "urn:ietf:params:oauth:token-type:access_token");
	return 0;
}

/* requestedTokenType: one of the types agentgateway asks for. */
static int f_requested(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char *const known[] = { URN_ACCESS, "urn:ietf:params:oauth:token-type:jwt",
					     "urn:ietf:params:oauth:token-type:id_token" };
	const char **s = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_f_str(c, n, dst, path) == -1)
		return -1;
	if (!strcmp(*s, URN_ID_JAG))
		return refused(c, n, path,
			       "requestedTokenType id-jag is only supported by "
			       "backendAuth.crossAppAccess");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(*s, known[i]))
			return 0;
	return sg_expected(c, n, path,
			   "urn:ietf:params:oauth:token-type:access_token, :jwt or :id_token "
			   "(custom token types are only supported for subjectToken and "
			   "actorToken)");
}

/* A location to read a token from: header, queryParameter or cookie. */
static int f_source(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_cred_location(c, n, dst, path);
}

static int f_subject(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "source", f_source, offsetof(struct sg_token_exchange, subject) },
		{ "tokenType", f_token_type, offsetof(struct sg_token_exchange, subject_type) },
		{ 0 },
	};

	((struct sg_token_exchange *)dst)->subject_given = true;
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_may_act(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	bool on = false;

	(void)dst;
	if (sg_f_bool(c, n, &on, path) == -1 || !on)
		return on ? -1 : 0;
	return refused(c, n, path, "the subject's may_act claim is not checked");
}

static int f_actor(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "source", f_source, offsetof(struct sg_token_exchange, actor_at), true },
		{ "tokenType", f_token_type, offsetof(struct sg_token_exchange, actor_type) },
		{ "enforceMayAct", f_may_act, 0 },
		{ 0 },
	};
	struct sg_token_exchange *t = dst;

	if (sg_node_is_null(n))
		return 0;
	t->actor = true;
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_method(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_tokenx_client *m = dst;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "clientSecretBasic"))
		*m = SG_TOKENX_CLIENT_BASIC;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "clientSecretPost"))
		*m = SG_TOKENX_CLIENT_POST;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "privateKeyJwt"))
		return refused(c, n, path, "privateKeyJwt client assertions are not implemented");
	else
		return sg_expected(c, n, path, "clientSecretBasic or clientSecretPost");
	return 0;
}

static int f_secret(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_node_is_null(n))
		return 0;
	return sg_backend_auth_secret(c, n, dst, path);
}

/* The privateKeyJwt method's own keys. */
static int f_pkjwt(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "privateKeyJwt client assertions are not implemented");
}

static int f_client(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "clientId", sg_f_str, offsetof(struct sg_token_exchange, client_id), true },
		{ "clientSecret", f_secret, offsetof(struct sg_token_exchange, client_secret) },
		{ "method", f_method, offsetof(struct sg_token_exchange, client) },
		{ "signingKey", f_pkjwt, 0 },
		{ "certificate", f_pkjwt, 0 },
		{ "certificateHeader", f_pkjwt, 0 },
		{ "alg", f_pkjwt, 0 },
		{ "kid", f_pkjwt, 0 },
		{ "assertionAudience", f_pkjwt, 0 },
		{ 0 },
	};
	struct sg_token_exchange *t = dst;

	if (sg_node_is_null(n))
		return 0;
	t->client = SG_TOKENX_CLIENT_BASIC; /* no method: clientSecretBasic */
	if (sg_parse_fields(c, n, fields, dst, path) == -1)
		return -1;
	if (t->client == SG_TOKENX_CLIENT_BASIC && !t->client_secret)
		return sg_expected(c, n, sg_path_key(c, path, "clientSecret"),
				   "a client secret (clientSecretBasic sends one)");
	return 0;
}

/* A name of the grant's own fields, which additionalParams may not set. */
static int not_reserved(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *val,
			const char *path, const char *name)
{
	static const char *const reserved[] = {
		"grant_type",
		"subject_token",
		"subject_token_type",
		"actor_token",
		"actor_token_type",
		"assertion",
		"audience",
		"resource",
		"scope",
		"requested_token_type",
		"client_id",
		"client_secret",
		"client_assertion",
		"client_assertion_type",
	};

	(void)val;
	for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
		if (!strcasecmp(name, reserved[k])) {
			sg_diag_err(c->d, key,
				    "%s: additional parameter \"%s\" overrides a reserved OAuth "
				    "parameter",
				    path, name);
			return -1;
		}
	return 0;
}

/* additionalParams: {name: CEL}, in key order (agentgateway's BTreeMap);
 * no name of the grant's own fields. */
int sg_f_tokenx_params(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_cel_map_how how = { .name_ok = not_reserved, .sorted = true };

	return sg_cel_map(c, n, dst, path, &how);
}

static int f_out(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_cred_location(c, n, dst, path);
}

static int f_cache_max(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_token_exchange *t = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_f_u32(c, n, &t->cache.max_entries, path) == -1)
		return -1;
	t->cache_off = !t->cache.max_entries;
	return 0;
}

static int f_cache_ttl(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_dur *d = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_f_dur(c, n, d, path) == -1)
		return -1;
	if (!*d)
		*d = CACHE_TTL; /* agentgateway: zero is the default */
	return 0;
}

static int f_cache(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "maxEntries", f_cache_max, 0 },
		{ "defaultTtl", f_cache_ttl, offsetof(struct sg_token_exchange, default_ttl) },
		{ 0 },
	};

	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, dst, path);
}

/* agentgateway's validate_load, and the cache joining the config's list. */
static int settle(struct sg_pctx *c, const struct sg_node *n, struct sg_token_exchange *t,
		  const char *path)
{
	const struct sg_ext_authz_cache **slot;

	if (t->grant == SG_TOKENX_JWT_BEARER && t->requested_type) {
		sg_diag_err(c->d, sg_map_get(n, "requestedTokenType"),
			    "%s.requestedTokenType: only valid with the token-exchange grant",
			    path);
		return -1;
	}
	if (t->grant == SG_TOKENX_JWT_BEARER && t->actor) {
		sg_diag_err(c->d, sg_map_get(n, "actorToken"),
			    "%s.actorToken: only valid with the token-exchange grant", path);
		return -1;
	}
	if (t->cache_off || !c->cfg)
		return 0;
	if (!(t->cache.rt = sg_arena_alloc(c->a, sizeof(*t->cache.rt))))
		return -1;
	slot = sg_arena_push(&c->cfg->arena, &c->cfg->authz_caches, &c->cfg->nauthz_caches,
			     &c->cfg->capauthz_caches, sizeof(*slot));
	if (!slot)
		return -1;
	*slot = &t->cache;
	return 0;
}

struct sg_token_exchange *sg_token_exchange_new(struct sg_pctx *c, const struct sg_node *n)
{
	const struct sg_cred_location bearer = { SG_CRED_HEADER, "authorization", "Bearer " };
	struct sg_token_exchange *t = sg_arena_alloc(c->a, sizeof(*t));

	if (t)
		*t = (struct sg_token_exchange){
			.path = "",
			.timeout = SG_DUR_S(10),
			.subject = bearer,
			.subject_type = URN_ACCESS,
			.actor_type = URN_ACCESS,
			.out = bearer,
			.cache = { .max_entries = CACHE_ENTRIES },
			.default_ttl = CACHE_TTL,
			.at = n,
		};
	return t;
}

int sg_token_exchange_done(struct sg_pctx *c, const struct sg_node *n, struct sg_token_exchange *t,
			   const char *path)
{
	if (settle(c, n, t, path) == -1)
		return -1;
	if (!t->timeout)
		return sg_expected(c, n, sg_path_key(c, path, "policies.http.requestTimeout"),
				   "a duration above zero");
	return 0;
}

const char *sg_tokenx_type_urn(const char *name)
{
	static const struct {
		const char *name, *urn;
	} types[] = {
		{ "AccessToken", URN_ACCESS },
		{ "Jwt", "urn:ietf:params:oauth:token-type:jwt" },
		{ "IdToken", "urn:ietf:params:oauth:token-type:id_token" },
		{ "IdJag", URN_ID_JAG },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(name, types[i].name))
			return types[i].urn;
	return absolute_uri(name) ? name : NULL;
}

int sg_f_token_exchange(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "host", f_host, 0, true },
		{ "service", f_target, 0 },
		{ "backend", f_target, 0 },
		{ "policies", sg_f_service_policies, offsetof(struct sg_token_exchange, timeout) },
		{ "path", sg_f_tokenx_path, offsetof(struct sg_token_exchange, path) },
		{ "grantType", f_grant, offsetof(struct sg_token_exchange, grant) },
		{ "subjectToken", f_subject, 0 },
		{ "actorToken", f_actor, 0 },
		{ "audiences", sg_f_strs, offsetof(struct sg_token_exchange, audiences) },
		{ "scopes", sg_f_strs, offsetof(struct sg_token_exchange, scopes) },
		{ "resources", sg_f_strs, offsetof(struct sg_token_exchange, resources) },
		{ "requestedTokenType", f_requested,
		  offsetof(struct sg_token_exchange, requested_type) },
		{ "clientAuth", f_client, 0 },
		{ "additionalParams", sg_f_tokenx_params,
		  offsetof(struct sg_token_exchange, params) },
		{ "authorizationLocation", f_out, offsetof(struct sg_token_exchange, out) },
		{ "cache", f_cache, 0 },
		{ 0 },
	};
	struct sg_backend_auth *b = dst;
	struct sg_token_exchange *t = sg_token_exchange_new(c, n);

	if (!t || sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_parse_fields(c, n, fields, t, path) == -1 ||
	    sg_token_exchange_done(c, n, t, path) == -1)
		return -1;
	b->kind = SG_BACKEND_AUTH_TOKEN_EXCHANGE;
	b->exchange = t;
	return 0;
}
