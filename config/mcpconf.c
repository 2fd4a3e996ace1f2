/* agentgateway's MCP configuration read into struct sg_mcp_backend (the
 * contract is mcpconf.h): the forms crates/agentgateway/src/types/
 * local.rs reads (LocalMcpBackend, LocalMcpTarget, LocalSimpleMcpConfig),
 * with the ones splicegate lacks refused by name. */
#include "config/mcpconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/backendauth.h"
#include "config/hostname.h"
#include "config/openapiconf.h"
#include "config/refuse.h"
#include "config/tlsconf.h"

/* ---- a target ------------------------------------------------------------ */

static int f_env(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *env = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i), *v = sg_map_val(n, i);
		const char **slot;

		if (v->kind != SG_NODE_SCALAR || !k->str[0] || strchr(k->str, '='))
			return sg_expected(c, v, sg_path_key(c, path, k->str),
					   "a string value under a name without \"=\"");
		slot = sg_arena_push(c->a, &env->v, &env->n, &env->cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = sg_arena_printf(c->a, "%s=%s", k->str, v->str);
	}
	return 0;
}

static const struct sg_field stdio_fields[] = {
	{ "cmd", sg_f_str, offsetof(struct sg_mcp_target, cmd), true },
	{ "args", sg_f_strs, offsetof(struct sg_mcp_target, args) },
	{ "env", f_env, offsetof(struct sg_mcp_target, env) },
	{ "clearEnv", sg_f_bool, offsetof(struct sg_mcp_target, clear_env) },
	{ 0 },
};

static int f_stdio(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_target *t = dst;

	t->kind = SG_MCP_STDIO;
	if (sg_parse_fields(c, n, stdio_fields, t, path) == -1)
		return -1;
	if (!t->cmd[0])
		return sg_expected(c, sg_map_get(n, "cmd"), sg_path_key(c, path, "cmd"),
				   "a program to run");
	return 0;
}

/* "http[s]://host[:port][/path]" (no scheme: http); https is spoken
 * over TLS, the server's certificate checked against the system's CAs. */
static int host_uri(struct sg_pctx *c, const struct sg_node *at, struct sg_mcp_target *t,
		    const char *path)
{
	const char *s = t->host, *end, *colon;
	unsigned long port = 80;

	if (!strncmp(s, "https://", 8)) {
		t->tls = true;
		port = 443;
		s += 8;
	} else if (!strncmp(s, "http://", 7)) {
		s += 7;
	}
	end = s + strcspn(s, "/");
	colon = memchr(s, ':', (size_t)(end - s));
	if (s[0] == '[') /* [v6]:port */
		colon = (end = strchr(s, ']')) ? (end[1] == ':' ? end + 1 : NULL) : NULL,
		end = s + strcspn(s, "/");
	if (colon) {
		char *stop;

		port = strtoul(colon + 1, &stop, 10);
		if (stop != end || port == 0 || port > 65535)
			goto bad;
	}
	t->path = *end ? sg_arena_strdup(c->a, end) : "/";
	end = colon ? colon : end;
	if (s[0] == '[' && end - s >= 3 && end[-1] == ']')
		t->addr = sg_arena_strndup(c->a, s + 1, (size_t)(end - s - 2));
	else if (sg_host_addr_valid(s, (size_t)(end - s)))
		t->addr = sg_arena_strndup(c->a, s, (size_t)(end - s));
	else
		goto bad;
	t->port = (uint16_t)port;
	return 0;
bad:
	return sg_expected(c, at, path,
			   "a URI such as \"http://127.0.0.1:3001/mcp\", or host, port and path");
}

static const struct sg_field http_fields[] = {
	{ "host", sg_f_str, offsetof(struct sg_mcp_target, host), true },
	{ "port", sg_f_port, offsetof(struct sg_mcp_target, port) },
	{ "path", sg_f_str, offsetof(struct sg_mcp_target, path) },
	{ "backend", sg_f_refused, 0 },
	{ 0 },
};

/* mcp: {host} (a URI) or {host, port, path}, as McpBackendHost reads it. */
static int f_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_target *t = dst;
	const struct sg_node *host;

	t->kind = SG_MCP_HTTP;
	if (sg_parse_fields(c, n, http_fields, t, path) == -1)
		return -1;
	host = sg_map_get(n, "host");
	if (!t->port && !t->path)
		return host_uri(c, host, t, sg_path_key(c, path, "host"));
	if (!t->port || !t->path) {
		sg_diag_err(c->d, n,
			    "%s: if port or path is set, both must be set; otherwise, "
			    "use only host",
			    path);
		return -1;
	}
	if (!sg_host_addr_valid(t->host, strlen(t->host)))
		return sg_expected(c, host, sg_path_key(c, path, "host"),
				   "a host name or an IPv4 address");
	t->addr = t->host;
	return 0;
}

/* sse: the same McpBackendHost, the legacy transport spoken to it. */
static int f_sse(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int rc = f_http(c, n, dst, path);

	((struct sg_mcp_target *)dst)->kind = SG_MCP_SSE;
	return rc;
}

/* openapi: McpBackendHost's forms (where the API is; a URI's path is
 * unused: the document's server URL gives the operations' prefix) and the
 * document, read now. */
static int f_openapi(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_target *t = dst;
	const struct sg_node *schema = n->kind == SG_NODE_MAP ? sg_map_get(n, "schema") : NULL;
	struct sg_node *host = NULL;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (!schema || sg_node_is_null(schema))
		return sg_expected(c, n, sg_path_key(c, path, "schema"),
				   "the OpenAPI document: {file: PATH} or inline");
	/* host, port, path (and backend, refused) as an mcp target's */
	if (!(host = sg_arena_alloc(c->a, sizeof(*host))))
		return -1;
	*host = *n;
	host->items = sg_arena_alloc(c->a, (n->n + 1) * sizeof(*host->items));
	if (!host->items)
		return -1;
	host->n = 0;
	for (size_t i = 0; i < sg_map_len(n); i++)
		if (strcmp(sg_map_key(n, i)->str, "schema")) {
			host->items[host->n++] = n->items[2 * i];
			host->items[host->n++] = n->items[2 * i + 1];
		}
	host->cap = host->n;
	if (f_http(c, host, t, path) == -1)
		return -1;
	t->kind = SG_MCP_OPENAPI;
	return sg_openapi_schema(c, schema, t, sg_path_key(c, path, "schema"));
}

/* ---- a target's policies --------------------------------------------------- */

static int f_target_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_backend_tls *tls = sg_parse_backend_tls(c, n, path);

	((struct sg_mcp_target *)dst)->backend_tls = tls;
	return tls ? 0 : -1;
}

/* backendAuth, of the kinds whose credentials are the config's own: the
 * gateway's own requests to a target belong to a session, not to one
 * client request with a verified token (passthrough), and jwtSign's key
 * lives with a config a session outlives. */
static int f_target_auth(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_filters f = { 0 };
	const char *kind;

	if (sg_f_backend_auth(c, n, &f, path) == -1)
		return -1;
	kind = f.backend_auth->kind == SG_BACKEND_AUTH_PASSTHROUGH ? "passthrough"
	       : f.backend_auth->kind == SG_BACKEND_AUTH_JWT_SIGN  ? "jwtSign"
								   : NULL;
	if (kind) {
		sg_diag_err(c->d, sg_map_get(n, kind),
			    "%s.%s: not supported on an MCP target (its requests are the "
			    "gateway's, for a session, not a client's): use key or credentials",
			    path, kind);
		return -1;
	}
	((struct sg_mcp_target *)dst)->backend_auth = f.backend_auth;
	return 0;
}

/* A policy of SimpleLocalBackendPolicies the gateway's MCP client does not
 * take. */
static int f_target_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported on an MCP target (its policies take backendTLS and "
		    "backendAuth)",
		    path);
	return -1;
}

static const struct sg_field target_policy_fields[] = {
	{ "backendTLS", f_target_tls, 0 },
	{ "backendAuth", f_target_auth, 0 },
	{ "requestHeaderModifier", f_target_refused, 0 },
	{ "transformations", f_target_refused, 0 },
	{ "http", f_target_refused, 0 },
	{ "tcp", f_target_refused, 0 },
	{ "backendTunnel", f_target_refused, 0 },
	{ 0 },
};

static int f_target_policies(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, target_policy_fields, dst, path);
}

static const struct sg_field target_fields[] = {
	{ "name", sg_f_str, offsetof(struct sg_mcp_target, name), true },
	{ "stdio", f_stdio, 0 },
	{ "mcp", f_http, 0 },
	{ "sse", f_sse, 0 },
	{ "openapi", f_openapi, 0 },
	{ "policies", f_target_policies, 0 },
	{ 0 },
};

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '-' && *s != '_')
			return false;
	return true;
}

static int target(struct sg_pctx *c, struct sg_mcp_backend *m, const struct sg_node *n,
		  const char *path)
{
	struct sg_mcp_target *t = sg_arena_push(c->a, &m->targets, &m->n, &m->cap, sizeof(*t));
	int forms;

	if (!t)
		return -1;
	t->at = n;
	t->kind = (enum sg_mcp_kind) - 1;
	if (sg_parse_fields(c, n, target_fields, t, path) == -1)
		return -1;
	forms = !!sg_map_get(n, "stdio") + !!sg_map_get(n, "mcp") + !!sg_map_get(n, "sse") +
		!!sg_map_get(n, "openapi");
	if (forms != 1) {
		sg_diag_err(c->d, n, "%s: expected exactly one of stdio, mcp, sse or openapi",
			    path);
		return -1;
	}
	if (t->kind == SG_MCP_STDIO && sg_map_get(n, "policies") &&
	    !sg_node_is_null(sg_map_get(n, "policies"))) {
		sg_diag_err(c->d, sg_map_get(n, "policies"),
			    "%s.policies: not supported on a stdio target (it has no backend "
			    "connection)",
			    path);
		return -1;
	}
	if (!name_ok(t->name))
		return sg_expected(c, sg_map_get(n, "name"), sg_path_key(c, path, "name"),
				   "a name of letters, digits, \"-\" and \"_\"");
	for (size_t i = 0; i + 1 < m->n; i++) /* one that failed to parse has no name */
		if (m->targets[i].name && !strcmp(m->targets[i].name, t->name)) {
			sg_diag_err(c->d, sg_map_get(n, "name"),
				    "%s.name: \"%s\" names another target of this backend", path,
				    t->name);
			return -1;
		}
	return 0;
}

/* ---- the backend ---------------------------------------------------------- */

static int f_targets(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	if (!n->n)
		return sg_expected(c, n, path, "at least one target");
	for (size_t i = 0; i < n->n; i++)
		if (target(c, dst, n->items[i], sg_path_idx(c, path, i)) == -1)
			ret = -1;
	return ret;
}

/* A scalar that is one of two words: *set, and *second when it is the
 * second. */
static int two_words(struct sg_pctx *c, const struct sg_node *n, const char *path,
		     const char *first, const char *second, bool *out)
{
	char what[96];

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, first)) {
		*out = false;
		return 0;
	}
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, second)) {
		*out = true;
		return 0;
	}
	snprintf(what, sizeof(what), "%s or %s", first, second);
	return sg_expected(c, n, path, what);
}

static int f_stateful(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return two_words(c, n, path, "stateful", "stateless",
			 &((struct sg_mcp_backend *)dst)->stateless);
}

static int f_prefix(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_backend *m = dst;

	m->prefix_set = true;
	return two_words(c, n, path, "conditional", "always", &m->prefix_always);
}

static int f_failure(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_mcp_backend *m = dst;

	m->fail_set = true;
	return two_words(c, n, path, "failClosed", "failOpen", &m->fail_open);
}

static const struct sg_field backend_fields[] = {
	{ "targets", f_targets, 0, true },
	{ "statefulMode", f_stateful, 0 },
	{ "prefixMode", f_prefix, 0 },
	{ "failureMode", f_failure, 0 },
	{ "dnsRebindingProtection", sg_f_bool, offsetof(struct sg_mcp_backend, dns_rebinding) },
	{ 0 },
};

int sg_f_mcp_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_backend_ref *br = dst;
	struct sg_mcp_backend *m = sg_arena_alloc(c->a, sizeof(*m));

	if (!m)
		return -1;
	br->kind = SG_BREF_MCP;
	br->mcp = m;
	return sg_parse_fields(c, n, backend_fields, m, path);
}
