/* config.tracing and frontendPolicies.tracing (the contract is
 * tracing.h): the OTLP collector's address, protocol and headers, the
 * two samplings, and the span fields, resources and filter. */
#include "config/tracing.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/accesslog.h"
#include "config/cel.h"
#include "config/diag.h"
#include "config/hostname.h"
#include "config/localsvc.h"
#include "config/tlsconf.h"

#define DEFAULT_PATH "/v1/traces"

/* What is read: the settings (t first, so a field's dst is both), and the
 * two paths that make t.path. */
struct tin {
	struct sg_tracing t;
	const char *url_path; /* otlpEndpoint's, NULL: none or "/" */
	const char *path;     /* `path`, NULL: not given */
};

static struct tin *new_tracing(struct sg_pctx *c, void *dst, bool frontend)
{
	struct tin *in = sg_arena_alloc(c->a, sizeof(*in));

	if (!in)
		return NULL;
	memset(in, 0, sizeof(*in));
	in->t.protocol = SG_OTLP_GRPC;
	in->t.client = 1.0;
	in->t.frontend = frontend;
	*(const struct sg_tracing **)dst = &in->t;
	return in;
}

/* "host:port" (a bracketed IPv6 literal allowed) into to (host and
 * endpoint); default_port when the port is left out (0: required). */
static int authority(struct sg_pctx *c, const struct sg_node *n, const char *s, size_t len,
		     unsigned default_port, struct sg_policy_service *to, const char *path,
		     const char *what)
{
	const char *colon = NULL;
	unsigned long port = default_port;
	size_t alen = len;
	char *addr;

	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == ':' || s[i - 1] == ']') {
			colon = s[i - 1] == ':' ? s + i - 1 : NULL;
			break;
		}
	if (colon) {
		char *end;

		alen = (size_t)(colon - s);
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (end != s + len || colon + 1 == end || errno)
			port = 0;
	}
	if (!port || port > 65535 || !alen ||
	    (s[0] == '[' ? alen < 3 || s[alen - 1] != ']' : !sg_host_addr_valid(s, alen)))
		return sg_expected(c, n, path, what);
	to->host = sg_arena_strndup(c->a, s, len);
	addr = s[0] == '[' ? sg_arena_strndup(c->a, s + 1, alen - 2)
			   : sg_arena_strndup(c->a, s, alen);
	if (!to->host || !addr)
		return -1;
	to->ep = (struct sg_endpoint){ addr, (uint16_t)port };
	return 0;
}

/* otlpEndpoint: http://host[:port][/path] (port 80 by default), or
 * https:// (443; over TLS); the path goes before `path` for OTLP/HTTP. */
static int f_endpoint(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char what[] = "a URL such as \"http://localhost:4317\"";
	struct tin *in = dst;
	struct sg_tracing *t = &in->t;
	const char *s = n->str, *host, *slash;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_SCALAR)
		return sg_expected(c, n, path, what);
	t->tls = !strncmp(s, "https://", 8);
	if (!t->tls && strncmp(s, "http://", 7))
		return sg_expected(c, n, path, what);
	host = s + (t->tls ? 8 : 7);
	slash = strchr(host, '/');
	if (authority(c, n, host, slash ? (size_t)(slash - host) : strlen(host), t->tls ? 443 : 80,
		      &t->to, path, what) == -1)
		return -1;
	t->endpoint = sg_arena_strndup(c->a, s, slash ? (size_t)(slash - s) : strlen(s));
	if (slash && slash[1]) /* the URL's own path is the one posted to */
		in->url_path = slash;
	return t->endpoint ? 0 : -1;
}

/* "host:port" into the struct sg_policy_service at dst. */
static int f_service_host(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const char what[] = "\"host:port\" such as \"localhost:4317\"";

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n))
		return sg_expected(c, n, path, what);
	return authority(c, n, n->str, strlen(n->str), 0, dst, path, what);
}

/* A frontend policy's host: "host:port". */
static int f_host(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tracing *t = dst;

	if (f_service_host(c, n, &t->to, path) == -1)
		return -1;
	t->endpoint = n->str;
	return 0;
}

/* grpc or http (protobuf), agentgateway's two; and OpenTelemetry's own
 * names for OTLP/HTTP's two encodings (OTEL_EXPORTER_OTLP_PROTOCOL):
 * http/protobuf, the same as http, and http/json, which agentgateway
 * has no value for. */
static int f_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *name;
		enum sg_otlp_protocol p;
	} names[] = {
		{ "grpc", SG_OTLP_GRPC },
		{ "http", SG_OTLP_HTTP },
		{ "http/protobuf", SG_OTLP_HTTP },
		{ "http/json", SG_OTLP_HTTP_JSON },
	};
	enum sg_otlp_protocol *p = dst;

	if (sg_node_is_null(n))
		return 0;
	for (size_t i = 0; n->kind == SG_NODE_SCALAR && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n->str, names[i].name)) {
			*p = names[i].p;
			return 0;
		}
	return sg_expected(c, n, path, "grpc, http (http/protobuf) or http/json");
}

static int f_path(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_SCALAR || n->str[0] != '/' || strpbrk(n->str, " \t\r\n?#"))
		return sg_expected(c, n, path, "a path such as \"/v1/traces\"");
	*(const char **)dst = n->str;
	return 0;
}

/* headers: {name: value}; names as HTTP field names, kept lower-case. */
static int f_headers(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *h = dst;

	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i), *v = sg_map_val(n, i);
		const char **slot;
		char *name;

		if (!*k->str || strpbrk(k->str, " \t\r\n:()<>@,;\\\"/[]?={}"))
			return sg_expected(c, k, path, "a header name");
		if (v->kind != SG_NODE_SCALAR || strpbrk(v->str, "\r\n"))
			return sg_expected(c, v, sg_path_key(c, path, k->str),
					   "a header value on one line");
		if (!(name = sg_arena_strdup(c->a, k->str)))
			return -1;
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (int j = 0; j < 2; j++) {
			slot = sg_arena_push(c->a, &h->v, &h->n, &h->cap, sizeof(*slot));
			if (!slot)
				return -1;
			*slot = j ? v->str : name;
		}
	}
	return 0;
}

/* What a sampling expression cannot read: it is decided as the request
 * is routed, before anything else happened to it. */
#define SAMPLING_LACKS                                                                             \
	(SG_CEL_NEED_REQ_BODY | SG_CEL_NEED_RESPONSE | SG_CEL_NEED_RESP_HEADERS |                  \
	 SG_CEL_NEED_RESP_BODY | SG_CEL_NEED_JWT | SG_CEL_NEED_API_KEY | SG_CEL_NEED_BASIC_AUTH |  \
	 SG_CEL_NEED_BACKEND | SG_CEL_NEED_MCP | SG_CEL_NEED_TIME | SG_CEL_NEED_EXTAUTHZ)

/* true, false, or a probability from 0.0 to 1.0 (a number, or a string
 * holding one, as agentgateway's StringBoolFloat); any other string is a
 * CEL expression over the request's head (*expr). */
static int sampling(struct sg_pctx *c, const struct sg_node *n, double *out, const char **text,
		    const struct sg_cel **expr, const char *path)
{
	const char *s = n->str;
	char *end;
	double v;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_SCALAR)
		return sg_expected(c, n, path, "true, false or a number from 0.0 to 1.0");
	*text = s;
	if (!strcmp(s, "true") || !strcmp(s, "false")) {
		*out = s[0] == 't' ? 1.0 : 0.0;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != s && !*end && !errno && isfinite(v)) {
		if (v < 0.0 || v > 1.0)
			return sg_expected(c, n, path, "a number from 0.0 to 1.0");
		*out = v;
		return 0;
	}
	if (sg_cel_field(c, n, s, expr, path) == -1)
		return -1;
	if (sg_cel_needs(*expr) & SAMPLING_LACKS) {
		sg_diag_err(
			c->d, n,
			"%s: a sampling expression reads the request's head as it is routed: not "
			"its body, authentication, backend, times nor a response",
			path);
		return -1;
	}
	return 0;
}

static int f_random(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tracing *t = dst;

	return sampling(c, n, &t->random, &t->random_text, &t->random_expr, path);
}

static int f_client(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tracing *t = dst;

	return sampling(c, n, &t->client, &t->client_text, &t->client_expr, path);
}

/* A resource attribute's value: e evaluated now, over no request. */
static int resource_value(struct sg_pctx *c, const struct sg_node *at, const struct sg_cel *e,
			  struct sg_trace_resource *r, const char *path)
{
	static const struct sg_cel_ctx none;
	struct sg_cel_run run;
	struct sg_cel_val v;
	const char *s;
	size_t n;
	int ret = 0;

	sg_cel_run_init(&run, &none);
	sg_cel_eval(e, &run, &v);
	if (v.type == SG_CEL_ERROR) {
		sg_diag_err(
			c->d, at,
			"%s: %s (a resource attribute is evaluated once, when the config loads, "
			"over no request)",
			path, run.why[0] ? run.why : "the expression failed");
		ret = -1;
	} else if (sg_cel_to_text(&run, &v, &s, &n) == -1 || memchr(s, '\0', n)) {
		sg_diag_err(c->d, at,
			    "%s: a %s is not supported as a resource attribute: give a string or a "
			    "number",
			    path, sg_cel_type_name(v.type));
		ret = -1;
	} else if (!(r->value = sg_arena_strndup(c->a, s, n))) {
		ret = -1;
	} else {
		r->num = v.type == SG_CEL_INT || (v.type == SG_CEL_UINT && v.u <= INT64_MAX);
	}
	sg_cel_run_done(&run);
	return ret;
}

/* One resource attribute, name = expression node v, into t. */
static int resource(struct sg_pctx *c, struct sg_tracing *t, const struct sg_node *name_at,
		    const char *name, const struct sg_node *v, const char *path)
{
	const char *key = sg_path_key(c, path, name);
	struct sg_trace_resource *r;
	const struct sg_cel *e;

	if (!*name)
		return sg_expected(c, name_at, path, "an attribute name");
	if (v->kind != SG_NODE_SCALAR || sg_node_is_null(v))
		return sg_expected(c, v, key, "a CEL expression");
	if (sg_cel_field(c, v, v->str, &e, key) == -1)
		return -1;
	r = sg_arena_push(c->a, &t->resources, &t->nresources, &t->capresources, sizeof(*r));
	if (!r)
		return -1;
	r->name = name;
	r->expr = e;
	return resource_value(c, v, e, r, key);
}

/* resources: {attribute name: expression}. */
static int f_resources(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	if (sg_node_is_null(n))
		return 0;
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++)
		if (resource(c, dst, sg_map_key(n, i), sg_map_key(n, i)->str, sg_map_val(n, i),
			     path) == -1)
			ret = -1;
	return ret;
}

/* The Kubernetes form: resources: [{name, expression}]. */
static int f_resources_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	int ret = 0;

	if (sg_node_is_null(n))
		return 0;
	if (n->kind != SG_NODE_SEQ)
		return sg_expected(c, n, path, "a list of {name, expression}");
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i], *name, *expr;
		const char *ip = sg_path_idx(c, path, i);

		if (it->kind != SG_NODE_MAP || sg_map_len(it) != 2 ||
		    !(name = sg_map_get(it, "name")) || !(expr = sg_map_get(it, "expression")) ||
		    name->kind != SG_NODE_SCALAR) {
			ret = sg_expected(c, it, ip, "{name, expression}");
			continue;
		}
		if (resource(c, dst, name, name->str, expr, ip) == -1)
			ret = -1;
	}
	return ret;
}

/* service: {name: "ns/hostname", port}, an entry of the top-level
 * services:: the collector is its first endpoint (config/localsvc.c). */
static int f_service(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tracing *t = dst;
	struct sg_backend_ref br = { 0 };

	if (sg_localsvc_ref(c, n, c->cfg, &br, path) == -1)
		return -1;
	if (!br.neps) {
		sg_diag_err(c->d, n,
			    "%s: service %s/%s has no healthy workload on port %u to send spans "
			    "to",
			    path, br.svc->ns, br.svc->hostname, br.port);
		return -1;
	}
	t->to.ep = br.eps[0];
	t->to.svc = br.svc;
	t->to.svc_port = br.port;
	t->to.ref_at = n;
	t->to.host = sg_arena_printf(c->a, "%s:%u", br.svc->hostname, br.port);
	return t->to.host ? 0 : -1;
}

/* backend: the name of a top-level backends: entry, resolved once they
 * are all read (sg_tracing_resolve). */
static int f_backend(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tracing *t = dst;

	if (n->kind != SG_NODE_SCALAR || sg_node_is_null(n) || !*n->str)
		return sg_expected(c, n, path, "the name of a top-level backends: entry");
	t->backend = n->str;
	t->backend_at = n;
	return 0;
}

static int f_policy_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	const struct sg_backend_tls *tls = sg_parse_backend_tls(c, n, path);

	*(const struct sg_backend_tls **)dst = tls;
	return tls ? 0 : -1;
}

/* A policy the exporter's connection does not take. */
static int f_policy_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported (a tracing collector's connection takes backendTLS only, "
		    "and a top-level backend serves as a tracing collector alone)",
		    path);
	return -1;
}

/* policies, of the collector's connection (a tracing policy's
 * SimpleLocalBackendPolicies, a top-level backend's LocalBackendPolicies,
 * whose other keys a route's backend takes): backendTLS into the const
 * struct sg_backend_tls * at dst, the others refused by name. */
static int f_policies(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "backendTLS", f_policy_tls, 0 },
		{ "requestHeaderModifier", f_policy_refused, 0 },
		{ "transformations", f_policy_refused, 0 },
		{ "backendAuth", f_policy_refused, 0 },
		{ "http", f_policy_refused, 0 },
		{ "tcp", f_policy_refused, 0 },
		{ "backendTunnel", f_policy_refused, 0 },
		{ "responseHeaderModifier", f_policy_refused, 0 },
		{ "requestRedirect", f_policy_refused, 0 },
		{ "health", f_policy_refused, 0 },
		{ "extAuthz", f_policy_refused, 0 },
		{ "authorization", f_policy_refused, 0 },
		{ "mcpAuthorization", f_policy_refused, 0 },
		{ "mcpGuardrails", f_policy_refused, 0 },
		{ "a2a", f_policy_refused, 0 },
		{ "inferenceRouting", f_policy_refused, 0 },
		{ "sessionAffinity", f_policy_refused, 0 },
		{ "ai", f_policy_refused, 0 },
		{ 0 },
	};

	if (sg_node_is_null(n))
		return 0;
	return sg_parse_fields(c, n, fields, dst, path);
}

/* The POST's path: otlpEndpoint's own path when it has one (as
 * agentgateway takes it), else `path`, else /v1/traces. */
static int finish(struct sg_pctx *c, const struct sg_node *n, struct tin *in, const char *what,
		  const char *where, const char *alt)
{
	struct sg_tracing *t = &in->t;

	if (t->endpoint && (t->to.ref_at || t->backend)) {
		sg_diag_err(c->d, n, "%s: give exactly one of %s and %s", what, where, alt);
		return -1;
	}
	if (!t->endpoint && !t->to.ref_at && !t->backend) {
		sg_diag_err(c->d, n, "%s: expected %s%s%s", what, where, alt ? " or " : "",
			    alt ? alt : "");
		return -1;
	}
	t->path = in->url_path ? in->url_path : in->path ? in->path : DEFAULT_PATH;
	t->backend_tls = t->policy_tls;
	t->tls = t->tls || t->policy_tls;
	return 0;
}

/* A tracing map (config.tracing, or a frontend policy's when `frontend`)
 * of keys `fields` into dst; `where`: the key that names the collector,
 * `alt`: the one that may name it instead (NULL: none). */
static int parse(struct sg_pctx *c, const struct sg_node *n, const struct sg_field *fields,
		 void *dst, const char *path, bool frontend, const char *where, const char *alt)
{
	struct tin *in;

	if (sg_node_is_null(n))
		return 0;
	if (!(in = new_tracing(c, dst, frontend)))
		return -1;
	if (sg_parse_fields(c, n, fields, in, path) == -1)
		return -1;
	return finish(c, n, in, path, where, alt);
}

int sg_f_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "otlpEndpoint", f_endpoint, 0 },
		{ "otlpProtocol", f_protocol, offsetof(struct tin, t.protocol) },
		{ "headers", f_headers, offsetof(struct tin, t.headers) },
		{ "randomSampling", f_random, 0 },
		{ "clientSampling", f_client, 0 },
		{ "path", f_path, offsetof(struct tin, path) },
		{ "fields", sg_f_log_fields, offsetof(struct tin, t.fields) },
		{ 0 },
	};
	return parse(c, n, fields, dst, path, false, "otlpEndpoint", NULL);
}

/* protocol: HTTP or GRPC, as the CRD spells them. */
static int f_protocol_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	enum sg_otlp_protocol *p = dst;

	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "GRPC"))
		*p = SG_OTLP_GRPC;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "HTTP"))
		*p = SG_OTLP_HTTP;
	else
		return sg_expected(c, n, path, "HTTP or GRPC");
	return 0;
}

/* backendRef: left for config/k8s.c, which has the Services. */
static int f_backend_ref(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct tin *in = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	in->t.to.ref_at = n;
	return 0;
}

int sg_f_frontend_tracing_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path)
{
	static const struct sg_field fields[] = {
		{ "url", f_endpoint, 0 },
		{ "backendRef", f_backend_ref, 0 },
		{ "protocol", f_protocol_k8s, offsetof(struct tin, t.protocol) },
		{ "path", f_path, offsetof(struct tin, path) },
		{ "attributes", sg_f_log_attributes, offsetof(struct tin, t.fields) },
		{ "resources", f_resources_k8s, 0 },
		{ "randomSampling", f_random, 0 },
		{ "clientSampling", f_client, 0 },
		{ "filter", sg_f_log_filter, offsetof(struct tin, t.fields.filter) },
		{ 0 },
	};
	return parse(c, n, fields, dst, path, true, "url", "backendRef");
}

int sg_f_frontend_tracing(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "host", f_host, 0 },
		{ "protocol", f_protocol, offsetof(struct tin, t.protocol) },
		{ "path", f_path, offsetof(struct tin, path) },
		{ "randomSampling", f_random, 0 },
		{ "clientSampling", f_client, 0 },
		{ "service", f_service, 0 },
		{ "backend", f_backend, 0 },
		{ "policies", f_policies, offsetof(struct tin, t.policy_tls) },
		{ "attributes", sg_f_log_add, offsetof(struct tin, t.fields.add) },
		{ "resources", f_resources, 0 },
		{ "remove", sg_f_strs, offsetof(struct tin, t.fields.remove) },
		{ "filter", sg_f_log_filter, offsetof(struct tin, t.fields.filter) },
		{ 0 },
	};
	return parse(c, n, fields, dst, path, true, "host", "backend");
}

/* ---- standalone top-level backends: --------------------------------------- */

/* An entry's forms other than host (agentgateway's FullLocalBackend):
 * refused by name. */
static int f_form_refused(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported (a top-level backend is a tracing collector here: give "
		    "host: \"host:port\")",
		    path);
	return -1;
}

int sg_named_backends_parse(struct sg_pctx *c, const struct sg_node *n, struct sg_cfg *cfg,
			    const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct sg_named_backend, name), true },
		{ "host", f_service_host, offsetof(struct sg_named_backend, to) },
		{ "policies", f_policies, offsetof(struct sg_named_backend, tls) },
		{ "internal", f_form_refused, 0 },
		{ "mcp", f_form_refused, 0 },
		{ "ai", f_form_refused, 0 },
		{ "aws", f_form_refused, 0 },
		{ 0 },
	};
	int ret = 0;

	if (!n || sg_node_is_null(n))
		return 0;
	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const char *ip = sg_path_idx(c, path, i);
		struct sg_named_backend *b =
			sg_arena_push(c->a, &cfg->named_backends, &cfg->nnamed_backends,
				      &cfg->capnamed_backends, sizeof(*b));

		if (!b)
			return -1;
		b->at = n->items[i];
		if (sg_parse_fields(c, n->items[i], fields, b, ip) == -1) {
			ret = -1;
			continue;
		}
		if (!b->to.host) { /* after the other forms, which are refused by name */
			sg_diag_err(c->d, n->items[i], "%s: missing required field \"host\"", ip);
			ret = -1;
			continue;
		}
		for (size_t j = 0; j + 1 < cfg->nnamed_backends; j++)
			if (cfg->named_backends[j].name &&
			    !strcmp(cfg->named_backends[j].name, b->name)) {
				sg_diag_err(c->d, sg_map_get(n->items[i], "name"),
					    "%s.name: backend \"%s\" is already defined", ip,
					    b->name);
				ret = -1;
			}
	}
	return ret;
}

int sg_tracing_resolve(struct sg_pctx *c, struct sg_tracing *t, const struct sg_cfg *cfg,
		       const char *path)
{
	if (!t || !t->backend)
		return 0;
	for (size_t i = 0; i < cfg->nnamed_backends; i++) {
		const struct sg_named_backend *b = &cfg->named_backends[i];

		if (!b->name || strcmp(b->name, t->backend))
			continue;
		t->to = b->to;
		if (!t->backend_tls)
			t->backend_tls = b->tls;
		t->tls = t->tls || b->tls;
		return 0;
	}
	sg_diag_err(c->d, t->backend_at,
		    "%s.backend: no backend named \"%s\" in the top-level backends: list", path,
		    t->backend);
	return -1;
}
