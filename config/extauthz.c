/* extAuthz as agentgateway's standalone config writes it (the contract is
 * config/extauthz.h). */
#include "config/extauthz.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config/duration.h"
#include "config/headers.h"
#include "config/hostname.h"
#include "config/node.h"
#include "config/transform.h"

/* A key splicegate does not implement, refused with why. */
static int refused(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *why)
{
	sg_diag_err(c->d, n, "%s: not supported (%s)", path, why);
	return -1;
}

int sg_ext_authz_pseudo(const char *name, size_t len)
{
	static const char *const names[] = { ":method", ":scheme", ":authority", ":path",
					     ":status" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == strlen(names[i]) && !memcmp(name, names[i], len))
			return (int)i;
	return -1;
}

/* metadata (an AgentgatewayPolicy's http.responseMetadata and
 * grpc.requestMetadata): {name: expression}; http's over the request and
 * the service's allowing answer, grpc's over the request. */
static int f_metadata(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_cel_map_how how = { 0 };

	return sg_cel_map(c, n, &((struct sg_ext_authz *)dst)->metadata, path, &how);
}

/* One CEL expression into the const struct sg_cel * at dst. */
static int f_expr(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || !n->str[0])
		return sg_expected(c, n, path, "a CEL expression");
	return sg_cel_field(c, n, n->str, dst, path);
}

static int f_target(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "give the authorization service as host: \"addr:port\"");
}

/* cache.key: a list of CEL expressions (the CRD: 1 to 16). */
static int f_cache_key(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_ext_authz_cache *k = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	if (n->n > 16)
		return sg_expected(c, n, path, "at most 16 expressions");
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_cel **slot =
			sg_arena_push(c->a, &k->key, &k->nkey, &k->capkey, sizeof(*slot));

		if (!slot || f_expr(c, n->items[i], slot, sg_path_idx(c, path, i)) == -1)
			return -1;
	}
	return 0;
}

/* cache.ttl: a duration ("5m", compiled as duration("5m"), as
 * agentgateway reads one) or a CEL expression giving a duration, a
 * timestamp or seconds since the Unix epoch. */
static int f_cache_ttl(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_dur d;
	char why[128];

	if (n->kind == SG_NODE_SCALAR && n->str && sg_dur_parse(n->str, &d, why, sizeof(why)) == 0)
		return sg_cel_field(c, n, sg_arena_printf(c->a, "duration(\"%s\")", n->str), dst,
				    path);
	return f_expr(c, n, dst, path);
}

static int f_cache_max(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_u32(c, n, dst, path) == -1)
		return -1;
	if (!*(uint32_t *)dst)
		*(uint32_t *)dst =
			SG_EXT_AUTHZ_CACHE_ENTRIES; /* agentgateway's: 0 is the default */
	return 0;
}

/* cache {key, ttl, maxEntries} into x->cache; the entries live in its
 * rt (user/auth/authzcache.c), listed with the config. */
static int f_cache(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "key", f_cache_key, 0, true },
		{ "ttl", f_cache_ttl, offsetof(struct sg_ext_authz_cache, ttl), true },
		{ "maxEntries", f_cache_max, offsetof(struct sg_ext_authz_cache, max_entries) },
		{ 0 },
	};
	struct sg_ext_authz *x = dst;
	struct sg_ext_authz_cache *k = sg_arena_alloc(c->a, sizeof(*k));
	const struct sg_ext_authz_cache **slot;

	if (!k || !(k->rt = sg_arena_alloc(c->a, sizeof(*k->rt))))
		return -1;
	k->max_entries = SG_EXT_AUTHZ_CACHE_ENTRIES;
	if (sg_parse_fields(c, n, fields, k, path) == -1)
		return -1;
	if (!c->cfg)
		return refused(c, n, path, "no CEL here");
	slot = sg_arena_push(&c->cfg->arena, &c->cfg->authz_caches, &c->cfg->nauthz_caches,
			     &c->cfg->capauthz_caches, sizeof(*slot));
	if (!slot)
		return -1;
	*slot = k;
	x->cache = k;
	return 0;
}

int sg_service_host(struct sg_pctx *c, const struct sg_node *n, const char *path, const char **host,
		    struct sg_endpoint *ep)
{
	const char *s = n->kind == SG_NODE_SCALAR ? n->str : NULL;
	const char *colon = s ? strrchr(s, ':') : NULL;
	unsigned long port = 0;
	char *end = NULL, *addr;
	size_t alen;

	if (colon && colon > s && colon[1])
		port = strtoul(colon + 1, &end, 10);
	if (!port || port > 65535 || *end)
		return sg_expected(c, n, path, "\"address:port\" such as \"127.0.0.1:9000\"");
	alen = (size_t)(colon - s);
	if (s[0] == '[' ? alen < 3 || s[alen - 1] != ']' : !sg_host_addr_valid(s, alen))
		return sg_expected(c, n, path, "\"address:port\" such as \"127.0.0.1:9000\"");
	*host = sg_arena_strdup(c->a, s);
	addr = sg_arena_strdup(c->a, s); /* the endpoint's address, cut at the colon */
	if (!*host || !addr)
		return -1;
	addr[alen] = '\0';
	if (addr[0] == '[') { /* the endpoint's address is the bare IPv6 literal */
		addr[alen - 1] = '\0';
		addr++;
	}
	*ep = (struct sg_endpoint){ addr, (uint16_t)port };
	return 0;
}

int sg_service_url(struct sg_pctx *c, const struct sg_node *n, const char *path, const char **host,
		   struct sg_endpoint *ep)
{
	struct sg_node h;

	if (n->kind != SG_NODE_SCALAR || strncmp(n->str, "http://", 7) || strchr(n->str + 7, '/'))
		return sg_expected(c, n, path, "\"http://address:port\" with no path");
	h = *n;
	h.str = n->str + 7;
	return sg_service_host(c, &h, path, host, ep);
}

/* host: "addr:port", or "unix:/path" (agentgateway's Target::UnixSocket:
 * the service listens on that unix socket). */
static int f_host(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_ext_authz *x = dst;
	const char *sock;

	if (n->kind != SG_NODE_SCALAR || !n->str || strncmp(n->str, "unix:", 5))
		return sg_service_host(c, n, path, &x->to.host, &x->to.ep);
	sock = n->str + 5;
	if (sock[0] != '/' || strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return sg_expected(c, n, path,
				   "\"unix:/path/to/socket\" (an absolute path under 108 bytes)");
	x->unix_socket = true;
	x->to.host = sg_arena_strdup(c->a, n->str);
	x->to.ep = (struct sg_endpoint){ sg_arena_strdup(c->a, sock), 0 };
	return x->to.host && x->to.ep.addr ? 0 : -1;
}

/* A list of header names, lower-case (pseudo-headers such as ":path"
 * kept as written). */
static int f_names(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *v = dst;

	if (sg_f_strs(c, n, dst, path) == -1)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		char *s = sg_cfg_lower(c, v->v[i]);

		if (!s)
			return -1;
		if (!s[0])
			return sg_expected(c, n, path, "header names");
		v->v[i] = s;
	}
	return 0;
}

/* grpc.context: a map of strings, kept as key, value pairs. */
static int f_context(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *v = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i), *val = sg_map_val(n, i);
		const char **slot;

		if (val->kind != SG_NODE_SCALAR)
			return sg_expected(c, val, sg_path_key(c, path, k->str), "a string");
		for (int j = 0; j < 2; j++) {
			slot = sg_arena_push(c->a, &v->v, &v->n, &v->cap, sizeof(*v->v));
			if (!slot)
				return -1;
			*slot = j ? val->str : k->str;
		}
	}
	return 0;
}

/* A name addRequestHeaders may set: a header's, or a pseudo-header's. */
static int add_name(struct sg_pctx *c, const struct sg_node *key, const struct sg_node *at,
		    const char *path, const char *name)
{
	(void)key;
	if (name[0] == ':' && sg_ext_authz_pseudo(name, strlen(name)) < 0) {
		sg_diag_err(c->d, at,
			    "%s: \"%s\" is not a header name nor one of the pseudo-headers "
			    ":method, :scheme, :authority, :path, :status",
			    path, name);
		return -1;
	}
	return name[0] == ':' ? 0 : sg_check_header(c, at, path, name, NULL);
}

/* http.addRequestHeaders {name: expression}: set on the check request (a
 * pseudo-header's name sets that part of it: :method its method, :path
 * its target, :authority, as "host", its Host). */
static int f_add_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_cel_map_how how = { .name_ok = add_name, .lower = true };
	struct sg_ext_authz *x = dst;

	x->add_headers.present = true;
	if (sg_header_map_check(c, n, path) == -1)
		return -1;
	return sg_cel_map(c, n, &x->add_headers.set, path, &how);
}

/* A protocol's settings (null: none), http marking the HTTP one. */
static int protocol_fields(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path,
			   const struct sg_field *fields, bool http)
{
	if (http)
		((struct sg_ext_authz *)dst)->http = true;
	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_grpc(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "context", f_context, offsetof(struct sg_ext_authz, context) },
		{ "metadata", f_metadata, 0 },
		{ 0 },
	};

	return protocol_fields(c, n, dst, path, fields, false);
}

static int f_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "includeResponseHeaders", f_names, offsetof(struct sg_ext_authz, response) },
		{ "path", f_expr, offsetof(struct sg_ext_authz, path) },
		{ "redirect", f_expr, offsetof(struct sg_ext_authz, redirect) },
		{ "body", f_expr, offsetof(struct sg_ext_authz, body_expr) },
		{ "addRequestHeaders", f_add_headers, 0 },
		{ "metadata", f_metadata, 0 },
		{ 0 },
	};

	return protocol_fields(c, n, dst, path, fields, true);
}

/* protocol: exactly one of grpc, http. */
static int f_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "grpc", f_grpc, 0 },
		{ "http", f_http, 0 },
		{ 0 },
	};

	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_len(n) != 1)
		return sg_expected(c, n, path, "a map with exactly one of grpc, http");
	return sg_parse_fields(c, n, fields, dst, path);
}

/* failureMode: allow | deny | {denyWithStatus: 100..599}. */
static int f_failure(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_ext_authz *x = dst;
	const struct sg_node *st = n->kind == SG_NODE_MAP && sg_map_len(n) == 1
					   ? sg_map_get(n, "denyWithStatus")
					   : NULL;
	char *end = NULL;
	unsigned long v;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "allow")) {
		x->failure = SG_EXT_AUTHZ_ALLOW;
		return 0;
	}
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "deny")) {
		x->failure = SG_EXT_AUTHZ_DENY;
		return 0;
	}
	if (!st || st->kind != SG_NODE_SCALAR)
		return sg_expected(c, n, path, "allow, deny or {denyWithStatus: <status>}");
	v = strtoul(st->str, &end, 10);
	if (*end || !st->str[0] || v < 100 || v > 599)
		return sg_expected(c, st, sg_path_key(c, path, "denyWithStatus"),
				   "an HTTP status from 100 to 599");
	x->failure = SG_EXT_AUTHZ_STATUS;
	x->deny_status = (uint16_t)v;
	return 0;
}

static int f_body(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "maxRequestBytes", sg_f_u32, offsetof(struct sg_ext_authz, body_max) },
		{ "allowPartialMessage", sg_f_bool, offsetof(struct sg_ext_authz, body_partial) },
		{ "packAsBytes", sg_f_bool, offsetof(struct sg_ext_authz, body_raw) },
		{ 0 },
	};
	struct sg_ext_authz *x = dst;

	if (sg_node_is_null(n))
		return 0;
	x->body = true;
	if (sg_parse_fields(c, n, fields, dst, path) == -1)
		return -1;
	if (x->body_max > SG_EXT_AUTHZ_BODY_MAX)
		return sg_expected(
			c, sg_map_get(n, "maxRequestBytes"),
			sg_path_key(c, path, "maxRequestBytes"),
			"at most 1048576 bytes (the body is held while the service decides)");
	if (!x->body_max)
		x->body_max = SG_EXT_AUTHZ_BODY_DEFAULT;
	return 0;
}

static int f_policy_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "requestTimeout", sg_f_dur, 0 },
		{ 0 },
	};

	return sg_parse_fields(c, n, fields, dst, path);
}

static int f_policy_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "a policy service's connection takes only http.requestTimeout");
}

int sg_f_service_policies(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "http", f_policy_http, 0 },
		{ "requestHeaderModifier", f_policy_refused, 0 },
		{ "transformations", f_policy_refused, 0 },
		{ "backendTLS", f_policy_refused, 0 },
		{ "backendAuth", f_policy_refused, 0 },
		{ "tcp", f_policy_refused, 0 },
		{ "backendTunnel", f_policy_refused, 0 },
		{ 0 },
	};

	return sg_parse_fields(c, n, fields, dst, path);
}

int sg_f_ext_authz(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "host", f_host, 0, true },
		{ "service", f_target, 0 },
		{ "backend", f_target, 0 },
		{ "protocol", f_protocol, 0 },
		{ "failureMode", f_failure, 0 },
		{ "includeRequestHeaders", f_names, offsetof(struct sg_ext_authz, headers) },
		{ "includeRequestBody", f_body, 0 },
		{ "cache", f_cache, 0 },
		{ "policies", sg_f_service_policies, offsetof(struct sg_ext_authz, timeout) },
		{ 0 },
	};
	struct sg_ext_authz *x = sg_arena_alloc(c->a, sizeof(*x));

	if (!x)
		return -1;
	x->at = n;
	x->timeout = SG_DUR_MS(2000);
	((struct sg_filters *)dst)->ext_authz = x;
	if (sg_parse_fields(c, n, fields, x, path) == -1)
		return -1;
	if (!x->timeout)
		return sg_expected(c, n, sg_path_key(c, path, "policies.http.requestTimeout"),
				   "a duration above zero");
	if (x->unix_socket && !x->http)
		return refused(c, sg_map_get(n, "host"), sg_path_key(c, path, "host"),
			       "a service on a unix socket is asked over the HTTP protocol only: "
			       "gRPC over a unix socket is not implemented");
	return 0;
}

/* ---- AgentgatewayPolicy traffic.extAuth ---------------------------------- */

/* url: "http://address:port[/path]", the service asked. A path is the
 * HTTP protocol's check path (agentgateway's controller makes it the
 * CEL string literal http.path; with grpc it is an error, in
 * sg_f_agp_ext_authz). */
static int f_agp_url(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_ext_authz *x = dst;
	const char *slash, *src;
	struct sg_node h;
	char *lit, *o, *origin;

	if (n->kind == SG_NODE_SCALAR && !strncmp(n->str, "https://", 8))
		return refused(c, n, path, "TLS to the authorization service is not implemented");
	if (n->kind != SG_NODE_SCALAR || !n->str || strncmp(n->str, "http://", 7) ||
	    strpbrk(n->str + 7, "?#@"))
		return sg_expected(c, n, path, "\"http://address:port\" with an optional path");
	slash = strchr(n->str + 7, '/');
	h = *n;
	if (!slash)
		return sg_service_url(c, n, path, &x->to.host, &x->to.ep);
	origin = sg_arena_strndup(c->a, n->str, (size_t)(slash - n->str));
	if (!origin)
		return -1;
	h.str = origin;
	if (sg_service_url(c, &h, path, &x->to.host, &x->to.ep) == -1)
		return -1;
	/* The path as a CEL string literal, quoted as Go's strconv.Quote does
	 * for these characters. */
	lit = o = sg_arena_alloc(c->a, 2 * strlen(slash) + 3);
	if (!lit)
		return -1;
	*o++ = '"';
	for (src = slash; *src; src++) {
		if (*src == '"' || *src == '\\')
			*o++ = '\\';
		*o++ = *src;
	}
	*o++ = '"';
	*o = '\0';
	x->url_path = true;
	return sg_cel_field(c, n, lit, &x->path, path);
}

/* backendRef {name, port, namespace, group, kind}: a Service, resolved
 * by config/k8s.c (which has the Services) from ref_at. */
static int f_agp_backend_ref(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	struct sg_ext_authz *x = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	x->to.ref_at = n;
	return 0;
}

/* forwardBody {maxSize}: the request's body, at most maxSize bytes (a
 * Kubernetes quantity: 1024, 1Ki, 1M), sent with the question; a longer
 * one is sent cut (allowPartialMessage, as agentgateway's controller
 * translates it). */
static int f_agp_forward_body(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	static const struct sg_field fields[] = {
		{ "maxSize", sg_f_byte_size, offsetof(struct sg_ext_authz, body_max), true },
		{ 0 },
	};
	struct sg_ext_authz *x = dst;

	if (sg_parse_fields(c, n, fields, x, path) == -1)
		return -1;
	x->body = true;
	x->body_partial = true;
	if (x->body_max > SG_EXT_AUTHZ_BODY_MAX || !x->body_max)
		return sg_expected(c, sg_map_get(n, "maxSize"), sg_path_key(c, path, "maxSize"),
				   "1 to 1Mi bytes (the body is held while the service decides)");
	return 0;
}

/* failureMode: FailClosed (the default: 403) or FailOpen. */
static int f_agp_failure(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_ext_authz *x = dst;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "FailOpen"))
		x->failure = SG_EXT_AUTHZ_ALLOW;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "FailClosed"))
		x->failure = SG_EXT_AUTHZ_DENY;
	else
		return sg_expected(c, n, path, "FailClosed or FailOpen");
	return 0;
}

/* grpc.requestMetadata and http.responseMetadata: the standalone
 * metadata, at most 64 (the CRD's bound). */
static int f_agp_metadata(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind == SG_NODE_MAP && sg_map_len(n) > 64)
		return sg_expected(c, n, path, "at most 64 entries");
	return f_metadata(c, n, dst, path);
}

static int f_agp_grpc(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "contextExtensions", f_context, offsetof(struct sg_ext_authz, context) },
		{ "requestMetadata", f_agp_metadata, 0 },
		{ 0 },
	};

	return protocol_fields(c, n, dst, path, fields, false);
}

static int f_agp_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "allowedRequestHeaders", f_names, offsetof(struct sg_ext_authz, headers) },
		{ "allowedResponseHeaders", f_names, offsetof(struct sg_ext_authz, response) },
		{ "path", f_expr, offsetof(struct sg_ext_authz, path) },
		{ "redirect", f_expr, offsetof(struct sg_ext_authz, redirect) },
		{ "body", f_expr, offsetof(struct sg_ext_authz, body_expr) },
		{ "addRequestHeaders", f_add_headers, 0 },
		{ "responseMetadata", f_agp_metadata, 0 },
		{ 0 },
	};

	return protocol_fields(c, n, dst, path, fields, true);
}

int sg_f_agp_ext_authz(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "url", f_agp_url, 0 },
		{ "backendRef", f_agp_backend_ref, 0 },
		{ "failureMode", f_agp_failure, 0 },
		{ "grpc", f_agp_grpc, 0 },
		{ "http", f_agp_http, 0 },
		{ "forwardBody", f_agp_forward_body, 0 },
		{ "cache", f_cache, 0 },
		{ 0 },
	};
	struct sg_ext_authz *x = sg_arena_alloc(c->a, sizeof(*x));
	const struct sg_node *http;

	if (!x)
		return -1;
	x->at = n;
	x->timeout = SG_DUR_MS(2000);
	*(struct sg_ext_authz **)dst = x;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	if (sg_map_get(n, "conditional"))
		return refused(c, sg_map_get(n, "conditional"), sg_path_key(c, path, "conditional"),
			       "conditional extAuth is not implemented");
	if (sg_parse_fields(c, n, fields, x, path) == -1)
		return -1;
	http = sg_map_get(n, "http");
	if (sg_map_get(n, "grpc") && http) {
		sg_diag_err(c->d, n, "%s: give at most one of grpc and http", path);
		return -1;
	}
	if (!sg_map_get(n, "url") == !x->to.ref_at) {
		sg_diag_err(c->d, n, "%s: give exactly one of url and backendRef", path);
		return -1;
	}
	if (x->url_path && !x->http)
		return sg_expected(c, sg_map_get(n, "url"), sg_path_key(c, path, "url"),
				   "no path with grpc (a url path is only valid with http)");
	if (x->url_path && http && http->kind == SG_NODE_MAP && sg_map_get(http, "path")) {
		sg_diag_err(c->d, sg_map_get(http, "path"),
			    "%s.http.path: may not be set when url includes a path", path);
		return -1;
	}
	if (x->body_expr && sg_map_get(n, "forwardBody")) {
		sg_diag_err(c->d, sg_map_get(n, "forwardBody"),
			    "%s.forwardBody: cannot be used with http.body", path);
		return -1;
	}
	return 0;
}
