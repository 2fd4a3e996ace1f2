/* CEL over one request: the context an expression reads (struct
 * sg_cel_ctx callbacks over the parsed head and what authentication
 * proved) and the evaluation of each transformation value. */
#include "user/core/celreq.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config/cel.h"
#include "config/node.h"
#include "user/auth/jwt.h"
#include "user/base/json.h"
#include "user/base/loop.h"
#include "user/base/net.h"
#include "user/core/authn.h"
#include "user/core/preface.h"
#include "user/tls/tls.h"

static bool text(struct sg_cel_val *out, const char *p, size_t n)
{
	out->type = SG_CEL_STRING;
	out->s.p = p;
	out->s.n = n;
	return true;
}

/* A body held whole as CEL bytes, as agentgateway's; false: not held
 * (absent). */
static bool bytes(struct sg_cel_val *out, bool held, struct sg_h1_span b)
{
	if (!held)
		return false;
	text(out, b.p ? b.p : "", b.len);
	out->type = SG_CEL_BYTES;
	return true;
}

/* ---- what authentication proved, as CEL values ------------------------------ */

/* A JSON value as CEL's: numbers with no fraction that fit are ints, as
 * agentgateway's serde_json values read. NULL when memory ran out. */
static bool from_json(struct sg_cel_run *run, const struct sg_json *j, struct sg_cel_val *out)
{
	struct sg_cel_val *v = NULL;
	size_t n = 0, k = 0;
	const char *t;
	long long i;
	char *end;
	double d = 0;

	switch (sg_json_type(j)) {
	case SG_JSON_FALSE:
	case SG_JSON_TRUE:
		*out = (struct sg_cel_val){ .type = SG_CEL_BOOL,
					    .b = sg_json_type(j) == SG_JSON_TRUE };
		return true;
	case SG_JSON_NUMBER:
		sg_json_num(j, &d);
		/* an integer as written (sg_json_parse_exact's text), not as
		 * its double: past 2^53 two of them share one */
		if ((t = sg_json_num_text(j)) && !strpbrk(t, ".eE") &&
		    (errno = 0, i = strtoll(t, &end, 10), !errno && !*end))
			*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = i };
		else if (d == trunc(d) && fabs(d) < 9.2e18)
			*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = (int64_t)d };
		else
			*out = (struct sg_cel_val){ .type = SG_CEL_DOUBLE, .d = d };
		return true;
	case SG_JSON_STRING:
		return text(out, sg_json_str(j), strlen(sg_json_str(j)));
	case SG_JSON_ARRAY:
	case SG_JSON_OBJECT:
		break;
	default:
		*out = (struct sg_cel_val){ .type = SG_CEL_NULL };
		return true;
	}
	for (const struct sg_json *m = sg_json_first(j); m; m = sg_json_next(m))
		n++;
	if (sg_json_type(j) == SG_JSON_OBJECT)
		n *= 2;
	if (!sg_cel_step(run, n * sizeof(*v)) || (n && !(v = sg_cel_alloc(run, n * sizeof(*v)))))
		return false;
	for (const struct sg_json *m = sg_json_first(j); m; m = sg_json_next(m)) {
		if (sg_json_type(j) == SG_JSON_OBJECT)
			text(&v[k++], sg_json_key(m), strlen(sg_json_key(m)));
		if (!from_json(run, m, &v[k++]))
			return false;
	}
	*out = (struct sg_cel_val){
		.type = sg_json_type(j) == SG_JSON_OBJECT ? SG_CEL_MAP : SG_CEL_LIST,
		.list = { n ? v : NULL, sg_json_type(j) == SG_JSON_OBJECT ? n / 2 : n }
	};
	return true;
}

/* A YAML scalar as JSON would read it: a plain true, false, null, integer
 * or number is one; anything else (quoted ones too) is a string. */
static void from_scalar(const struct sg_node *n, struct sg_cel_val *out)
{
	const char *s = n->str;
	char *end;

	if (n->plain && sg_node_is_null(n)) {
		*out = (struct sg_cel_val){ .type = SG_CEL_NULL };
	} else if (n->plain && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		*out = (struct sg_cel_val){ .type = SG_CEL_BOOL, .b = s[0] == 't' };
	} else if (n->plain && *s) {
		long long i = strtoll(s, &end, 10);
		double d;

		if (!*end) {
			*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = i };
			return;
		}
		d = strtod(s, &end);
		if (!*end) {
			*out = (struct sg_cel_val){ .type = SG_CEL_DOUBLE, .d = d };
			return;
		}
		text(out, s, strlen(s));
	} else {
		text(out, s, strlen(s));
	}
}

/* A YAML node (an API key's metadata) as CEL's value, into the run's
 * memory; `extra` more map entries are left free at the front. */
static bool from_node(struct sg_cel_run *run, const struct sg_node *n, size_t extra,
		      struct sg_cel_val *out)
{
	size_t len = n ? (n->kind == SG_NODE_MAP ? sg_map_len(n) : n->n) : 0;
	size_t cells = n && n->kind == SG_NODE_SEQ ? len : 2 * (len + extra);
	struct sg_cel_val *v = NULL;

	if (n && n->kind == SG_NODE_SCALAR) {
		from_scalar(n, out);
		return true;
	}
	if (!sg_cel_step(run, cells * sizeof(*v)) ||
	    (cells && !(v = sg_cel_alloc(run, cells * sizeof(*v)))))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (n->kind == SG_NODE_SEQ) {
			if (!from_node(run, n->items[i], 0, &v[i]))
				return false;
			continue;
		}
		text(&v[2 * (extra + i)], sg_map_key(n, i)->str, strlen(sg_map_key(n, i)->str));
		if (!from_node(run, sg_map_val(n, i), 0, &v[2 * (extra + i) + 1]))
			return false;
	}
	*out = (struct sg_cel_val){ .type = n && n->kind == SG_NODE_SEQ ? SG_CEL_LIST : SG_CEL_MAP,
				    .list = { cells ? v : NULL,
					      n && n->kind == SG_NODE_SEQ ? len : len + extra } };
	return true;
}

/* apiKey: {key, <metadata's entries>} (agentgateway flattens them); key
 * is the key when the config gives it, a secret ("<redacted>" but to
 * unredacted(), as agentgateway's), absent for a hashed one. */
static bool api_key(struct sg_cel_run *run, const struct sg_api_key *k, struct sg_cel_val *out)
{
	const struct sg_node *md =
		k->metadata && k->metadata->kind == SG_NODE_MAP ? k->metadata : NULL;
	struct sg_cel_val *v;

	if (!from_node(run, md, k->key ? 1 : 0, out))
		return false;
	if (k->key) {
		v = (struct sg_cel_val *)(uintptr_t)out->list.v;
		text(&v[0], "key", 3);
		return sg_cel_secret(run, k->key, strlen(k->key), &v[1]);
	}
	return true;
}

static bool basic_auth(struct sg_cel_run *run, const char *user, struct sg_cel_val *out)
{
	struct sg_cel_val *v = sg_cel_alloc(run, 2 * sizeof(*v));

	if (!v)
		return false;
	text(&v[0], "username", 8);
	text(&v[1], user, strlen(user));
	*out = (struct sg_cel_val){ .type = SG_CEL_MAP, .list = { v, 1 } };
	return true;
}

/* jwt, apiKey, basicAuth or extauthz (i 0, 1, 2, 3), made once per
 * evaluation. */
static bool proved(struct sg_celreq *c, int i, struct sg_cel_val *out)
{
	const struct sg_authn *a = c->v->authn;
	struct sg_cel_val *slot = &c->proved[i];
	bool ok;

	if (!c->made[i]) {
		if (i == 0)
			ok = a && a->jwt && from_json(&c->run, sg_jwt_claims_json(a->jwt), slot);
		else if (i == 1)
			ok = a && a->apikey && api_key(&c->run, a->apikey, slot);
		else if (i == 2)
			ok = a && a->basic_user && basic_auth(&c->run, a->basic_user, slot);
		else
			ok = a && a->extauthz && from_json(&c->run, a->extauthz, slot);
		if (!ok)
			return false; /* absent (or over the run's bound): tried again */
		c->made[i] = true;
	}
	*out = *slot;
	return true;
}

/* jwt.rawToken: the verified token, a secret. */
static bool raw_token(struct sg_celreq *c, struct sg_cel_val *out)
{
	const struct sg_authn *a = c->v->authn;
	const char *tok;
	size_t len;

	if (!a || !a->jwt)
		return false;
	tok = sg_jwt_claims_token(a->jwt, &len);
	return sg_cel_secret(&c->run, tok, len, out);
}

static bool str(struct sg_cel_val *out, const char *s)
{
	return s && text(out, s, strlen(s));
}

/* backend: {name, type, protocol}, as agentgateway's schema/cel.md names
 * them ("static" for host:port, "service", "unknown"). */
static bool backend(struct sg_celreq *c, struct sg_cel_val *out)
{
	const struct sg_backend_ref *b = c->v->backend;
	struct sg_cel_val *v;
	const char *type;
	char *name;
	int n;

	if (!b || !(v = sg_cel_alloc(&c->run, 6 * sizeof(*v))) ||
	    !(name = sg_cel_alloc(&c->run, 512)))
		return false;
	if (b->kind == SG_BREF_SERVICE) {
		type = "service";
		n = snprintf(name, 512, "service/%s/%s:%u", b->svc->ns, b->svc->hostname, b->port);
	} else {
		type = b->kind == SG_BREF_HOST ? "static" : "unknown";
		n = snprintf(name, 512, "%s", b->host ? b->host : "");
	}
	text(&v[0], "name", 4);
	text(&v[1], name, n < 0 ? 0 : n >= 512 ? 511 : (size_t)n);
	text(&v[2], "type", 4);
	str(&v[3], type);
	text(&v[4], "protocol", 8);
	str(&v[5], "http");
	*out = (struct sg_cel_val){ .type = SG_CEL_MAP, .list = { v, 3 } };
	return true;
}

/* source.identity: {trustDomain, namespace, serviceAccount} of the
 * certificate's Istio identity; absent without one. */
static bool identity(struct sg_celreq *c, const struct sg_tls_peer *p, struct sg_cel_val *out)
{
	static const char *const keys[] = { "trustDomain", "namespace", "serviceAccount" };
	struct sg_cel_val *v;

	if (!p->identity[0] || !(v = sg_cel_alloc(&c->run, 6 * sizeof(*v))))
		return false;
	for (int k = 0; k < 3; k++) {
		str(&v[2 * k], keys[k]);
		text(&v[2 * k + 1], p->identity[k], p->identity_len[k]);
	}
	*out = (struct sg_cel_val){ .type = SG_CEL_MAP, .list = { v, 3 } };
	return true;
}

/* source.*'s client certificate fields (agentgateway's TlsInfo): absent
 * without TLS or without a certificate from the client. */
static bool peer_attr(struct sg_celreq *c, enum sg_cel_attr a, struct sg_cel_val *out)
{
	const struct sg_tls_peer *p = c->v->tls ? sg_tls_peer(c->v->tls) : NULL;
	struct sg_cel_val *v;

	if (!p)
		return false;
	switch (a) {
	case SG_CEL_SRC_ISSUER:
		return str(out, p->issuer);
	case SG_CEL_SRC_SUBJECT:
		return str(out, p->subject);
	case SG_CEL_SRC_SUBJECT_CN:
		return str(out, p->subject_cn);
	case SG_CEL_SRC_SPIFFE_ID:
		return str(out, p->spiffe_id);
	case SG_CEL_SRC_CERTIFICATE:
		return str(out, p->pem);
	case SG_CEL_SRC_IDENTITY:
		return identity(c, p, out);
	default: /* SG_CEL_SRC_SUBJECT_ALT_NAMES */
		if (!(v = sg_cel_alloc(&c->run, (p->nsans ? p->nsans : 1) * sizeof(*v))))
			return false;
		for (size_t i = 0; i < p->nsans; i++)
			str(&v[i], p->sans[i]);
		*out = (struct sg_cel_val){ .type = SG_CEL_LIST, .list = { v, p->nsans } };
		return true;
	}
}

static void mcp_field(struct sg_celreq_field *f, size_t *n, const char *name, const char *v)
{
	f[(*n)++] = (struct sg_celreq_field){ name, v, strlen(v), true };
}

size_t sg_celreq_mcp_fields(const struct sg_celreq_mcp *m, struct sg_celreq_field *out)
{
	size_t n = 0;
	const char *name = NULL;

	if (m->method)
		mcp_field(out, &n, "mcp.method.name", m->method);
	if (m->kind && m->target && m->target[0])
		mcp_field(out, &n, "mcp.target", m->target);
	if (m->kind) {
		mcp_field(out, &n, "mcp.resource.type", m->kind);
		name = !strcmp(m->kind, "tool")	    ? "gen_ai.tool.name"
		       : !strcmp(m->kind, "prompt") ? "gen_ai.prompt.name"
						    : "mcp.resource.uri";
	}
	if (name && m->name)
		mcp_field(out, &n, name, m->name);
	if (m->session)
		mcp_field(out, &n, "mcp.session.id", m->session);
	return n;
}

static bool str_or_empty(struct sg_cel_val *out, const char *s)
{
	return text(out, s ? s : "", s ? strlen(s) : 0);
}

/* mcp: agentgateway's MCPInfo, {methodName, sessionId, <kind>: {target,
 * name}}, each member only when known. */
static bool mcp(struct sg_celreq *c, struct sg_cel_val *out)
{
	const struct sg_celreq_mcp *m = c->v->mcp;
	struct sg_cel_val *v, *t;
	size_t n = 0;

	/* the members' keys and values at v[0..6), the kind's map at v[6..10) */
	if (!m || !(v = sg_cel_alloc(&c->run, 10 * sizeof(*v))))
		return false;
	t = &v[6];
	if (m->method) {
		text(&v[2 * n], "methodName", 10);
		str(&v[2 * n++ + 1], m->method);
	}
	if (m->session) {
		text(&v[2 * n], "sessionId", 9);
		str(&v[2 * n++ + 1], m->session);
	}
	if (m->kind) {
		str(&v[2 * n], m->kind);
		text(&t[0], "target", 6);
		str_or_empty(&t[1], m->target);
		text(&t[2], "name", 4);
		str_or_empty(&t[3], m->name);
		v[2 * n++ + 1] = (struct sg_cel_val){ .type = SG_CEL_MAP, .list = { t, 2 } };
	}
	*out = (struct sg_cel_val){ .type = SG_CEL_MAP, .list = { v, n } };
	return true;
}

static bool version(const struct sg_celreq_view *v, struct sg_cel_val *out)
{
	if (v->version)
		return str(out, v->version);
	if (!v->req)
		return false;
	return str(out, v->req->minor ? "HTTP/1.1" : "HTTP/1.0");
}

/* request.uri: the absolute URI, scheme://host then the target (the
 * target alone without a Host, or when it is not origin-form), in the
 * run's memory. */
static bool uri(struct sg_celreq *c, struct sg_cel_val *out)
{
	const struct sg_celreq_view *v = c->v;
	size_t slen = strlen(v->scheme), n = slen + 3 + v->host.len + v->target.len;
	char *p;

	if (!v->host.len || !v->target.len || v->target.p[0] != '/')
		return text(out, v->target.p, v->target.len);
	if (!(p = sg_cel_alloc(&c->run, n)))
		return false;
	memcpy(p, v->scheme, slen);
	memcpy(p + slen, "://", 3);
	memcpy(p + slen + 3, v->host.p, v->host.len);
	memcpy(p + slen + 3 + v->host.len, v->target.p, v->target.len);
	return text(out, p, n);
}

/* source.rawAddress and rawPort (the TCP peer, whatever a PROXY protocol
 * header said) and destination.address and port (where the connection
 * arrived: a PROXY protocol header's destination when one named it), read
 * when an expression asks. */
static bool sock_addr(struct sg_celreq *c, bool local, bool port, struct sg_cel_val *out)
{
	struct sockaddr_storage ss;
	char *ip;

	if (c->v->sock < 0 || (local ? sg_preface_local_addr(c->v->frontend, c->v->sock, &ss)
				     : sg_net_sock_addr(c->v->sock, false, &ss)) == -1)
		return false;
	if (port) {
		*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = sg_net_port(&ss) };
		return true;
	}
	if (!(ip = sg_cel_alloc(&c->run, INET6_ADDRSTRLEN)))
		return false;
	return str(out, sg_net_ip_str(&ss, ip, INET6_ADDRSTRLEN));
}

/* A loop time (CLOCK_MONOTONIC ns, the loop's) as a timestamp: the wall
 * clock's offset from the monotonic one, read once per evaluation so that
 * the times an expression reads keep their order, added to it. */
static bool timestamp(struct sg_celreq *c, uint64_t at_ns, struct sg_cel_val *out)
{
	struct timespec wall;

	if (!at_ns)
		return false;
	if (!c->wall_offset) {
		uint64_t mono = sg_clock_ns();

		clock_gettime(CLOCK_REALTIME, &wall);
		c->wall_offset = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec - (int64_t)mono;
	}
	out->type = SG_CEL_TIMESTAMP;
	out->i = (int64_t)at_ns + c->wall_offset;
	return true;
}

/* env.podName, namespace and gateway: the process's POD_NAME, NAMESPACE
 * and GATEWAY, as agentgateway reads them, once; unset or empty: absent. */
static const char *env_vals[3];
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void env_read(void)
{
	static const char *const names[3] = { "POD_NAME", "NAMESPACE", "GATEWAY" };

	for (size_t i = 0; i < 3; i++) {
		const char *s = getenv(names[i]);

		env_vals[i] = s && *s ? s : NULL;
	}
}

static bool env(size_t i, struct sg_cel_val *out)
{
	pthread_once(&env_once, env_read);
	return str(out, env_vals[i]);
}

static bool attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	struct sg_celreq *c = ud;
	const struct sg_celreq_view *v = c->v;
	const char *q;

	switch (a) {
	case SG_CEL_REQ_METHOD:
		return text(out, v->method.p, v->method.len);
	case SG_CEL_REQ_PATH:
		q = memchr(v->target.p, '?', v->target.len);
		return text(out, v->target.p, q ? (size_t)(q - v->target.p) : v->target.len);
	case SG_CEL_REQ_PATH_AND_QUERY:
		return text(out, v->target.p, v->target.len);
	case SG_CEL_REQ_BODY: /* bytes, as agentgateway's */
		return bytes(out, v->has_body, v->body);
	case SG_CEL_RESP_BODY:
		return bytes(out, v->has_resp_body, v->resp_body);
	case SG_CEL_REQ_BODY_PREFIX: /* a request body over the bound is refused (413) */
		return bytes(out, v->has_body, v->body);
	case SG_CEL_RESP_BODY_PREFIX:
		return bytes(out, v->has_resp_body || v->resp_prefix, v->resp_body);
	case SG_CEL_REQ_HOST:
		return v->host.len && text(out, v->host.p, v->host.len);
	case SG_CEL_REQ_SCHEME:
		return text(out, v->scheme, strlen(v->scheme));
	case SG_CEL_REQ_URI:
		return uri(c, out);
	case SG_CEL_REQ_START_TIME:
		return timestamp(c, v->start_ns, out);
	case SG_CEL_REQ_END_TIME:
		return timestamp(c, v->end_ns, out);
	case SG_CEL_SRC_ADDRESS:
		return v->client_ip && text(out, v->client_ip, strlen(v->client_ip));
	case SG_CEL_SRC_PORT:
		if (!v->client_port)
			return false;
		*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = v->client_port };
		return true;
	case SG_CEL_SRC_RAW_ADDRESS:
	case SG_CEL_SRC_RAW_PORT:
		return sock_addr(c, false, a == SG_CEL_SRC_RAW_PORT, out);
	case SG_CEL_DST_ADDRESS:
	case SG_CEL_DST_PORT:
		return sock_addr(c, true, a == SG_CEL_DST_PORT, out);
	case SG_CEL_ENV_POD_NAME:
		return env(0, out);
	case SG_CEL_ENV_NAMESPACE:
		return env(1, out);
	case SG_CEL_ENV_GATEWAY:
		return env(2, out);
	case SG_CEL_RESP_CODE:
		if (!v->resp && !v->status)
			return false;
		out->type = SG_CEL_INT;
		out->i = v->resp ? v->resp->status : v->status;
		return true;
	case SG_CEL_JWT:
		return proved(c, 0, out);
	case SG_CEL_JWT_RAW_TOKEN:
		return raw_token(c, out);
	case SG_CEL_API_KEY:
		return proved(c, 1, out);
	case SG_CEL_BASIC_AUTH:
		return proved(c, 2, out);
	case SG_CEL_EXTAUTHZ:
		return proved(c, 3, out);
	case SG_CEL_REQ_VERSION:
		return version(v, out);
	case SG_CEL_BACKEND:
		return backend(c, out);
	case SG_CEL_MCP:
		return mcp(c, out);
	case SG_CEL_SRC_SUBJECT_ALT_NAMES:
	case SG_CEL_SRC_ISSUER:
	case SG_CEL_SRC_SUBJECT:
	case SG_CEL_SRC_SUBJECT_CN:
	case SG_CEL_SRC_SPIFFE_ID:
	case SG_CEL_SRC_CERTIFICATE:
	case SG_CEL_SRC_IDENTITY:
		return peer_attr(c, a, out);
	case SG_CEL_PROXY_BIND:
		return v->bind && str(out, v->bind->key);
	case SG_CEL_PROXY_GATEWAY_NAME:
		return v->listener && str(out, v->listener->gw_name);
	case SG_CEL_PROXY_GATEWAY_NAMESPACE:
		return v->listener && str(out, v->listener->gw_ns);
	case SG_CEL_PROXY_LISTENER_NAME:
		return v->listener && str(out, v->listener->name);
	case SG_CEL_PROXY_ROUTE_NAME:
		return v->route && str(out, v->route->name);
	case SG_CEL_PROXY_ROUTE_NAMESPACE:
		return v->route && str(out, v->route->ns);
	case SG_CEL_PROXY_ROUTE_KIND:
		return v->route &&
		       str(out, v->route->hr_kind == SG_KIND_GRPCROUTE ? "GRPCRoute" : "HTTPRoute");
	case SG_CEL_PROXY_ROUTE_RULE:
		return v->route && str(out, v->route->rule_name);
	default:
		return false; /* not kept for this phase */
	}
}

static bool header(void *ud, bool response, size_t i, struct sg_cel_header *h)
{
	const struct sg_celreq_view *v = ((const struct sg_celreq *)ud)->v;
	const struct sg_h1_header *list = NULL;
	size_t n = 0;

	if (response && v->resp) {
		list = v->resp->headers;
		n = v->resp->nheaders;
	} else if (!response && v->req) {
		list = v->req->headers;
		n = v->req->nheaders;
	}
	if (i >= n)
		return false;
	h->name = list[i].name.p;
	h->nlen = list[i].name.len;
	h->value = list[i].value.p;
	h->vlen = list[i].value.len;
	return true;
}

static int eval_list(const struct sg_transform_exprs *l, struct sg_cel_run *run,
		     struct sg_header_kvs *out, sg_celreq_keep_fn keep, void *arg)
{
	out->n = out->cap = 0;
	out->v = l->n ? (struct sg_header_kv *)(void *)keep(arg, NULL, l->n * sizeof(*out->v))
		      : NULL;
	if (l->n && !out->v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct sg_cel_val val;
		const char *s;
		size_t n;
		char *copy;

		sg_cel_eval(l->v[i].expr, run, &val);
		if (sg_cel_to_text(run, &val, &s, &n) || !sg_h1_value_ok(s, n))
			continue;
		if (!(copy = keep(arg, s, n)))
			return -ENOMEM;
		out->v[out->n++] = (struct sg_header_kv){ l->v[i].name, copy };
	}
	out->cap = out->n;
	return 0;
}

void sg_celreq_view_of(struct sg_celreq_view *v, const struct sg_filter_input *in,
		       const struct sg_h1_resp *resp)
{
	*v = (struct sg_celreq_view){
		.scheme = in->scheme,
		.method = in->method,
		.target = in->target,
		.host = in->host,
		.client_ip = in->client_ip,
		.client_port = in->client_port,
		.sock = in->sock,
		.frontend = in->frontend,
		.req = in->req,
		.resp = resp,
		.authn = in->authn,
		.seed = in->seed,
		.bind = in->bind,
		.listener = in->listener,
		.route = in->route,
		.backend = in->backend,
		.start_ns = in->start_ns,
		.tls = in->tls,
		.body = in->body,
		.has_body = in->has_body,
		.resp_body = in->resp_body,
		.has_resp_body = in->has_resp_body,
		.resp_prefix = in->resp_prefix,
	};
}

void sg_celreq_begin(struct sg_celreq *c, const struct sg_celreq_view *v)
{
	memset(c->made, 0, sizeof(c->made));
	c->wall_offset = 0;
	c->v = v;
	c->ctx = (struct sg_cel_ctx){
		.ud = c,
		.attr = attr,
		.header = header,
		.seed = v->seed ? v->seed : (uintptr_t)v->req ^ v->target.len,
	};
	sg_cel_run_init(&c->run, &c->ctx);
}

void sg_celreq_end(struct sg_celreq *c)
{
	sg_cel_run_done(&c->run);
}

bool sg_celreq_true(const struct sg_cel *e, const struct sg_celreq_view *v)
{
	struct sg_celreq c;
	struct sg_cel_val val;
	bool yes;

	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	yes = sg_cel_true(&val);
	sg_celreq_end(&c);
	return yes;
}

double sg_celreq_probability(const struct sg_cel *e, const struct sg_celreq_view *v)
{
	struct sg_celreq c;
	struct sg_cel_val val;
	double p = 0;

	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	switch (val.type) {
	case SG_CEL_BOOL:
		p = val.b ? 1 : 0;
		break;
	case SG_CEL_INT:
		p = val.i >= 1 ? 1 : 0;
		break;
	case SG_CEL_UINT:
		p = val.u >= 1 ? 1 : 0;
		break;
	case SG_CEL_DOUBLE:
		p = val.d >= 1 ? 1 : val.d > 0 ? val.d : 0; /* NaN: 0 */
		break;
	default:
		break;
	}
	sg_celreq_end(&c);
	return p;
}

#define DAY_MS (24ull * 3600 * 1000)

uint64_t sg_celreq_ms(const struct sg_cel *e, const struct sg_celreq_view *v)
{
	struct sg_celreq c;
	struct sg_cel_val val;
	double ms = 0;

	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	switch (val.type) {
	case SG_CEL_DURATION: /* ns */
		ms = (double)val.i / 1e6;
		break;
	case SG_CEL_INT:
		ms = (double)val.i;
		break;
	case SG_CEL_UINT:
		ms = (double)val.u;
		break;
	case SG_CEL_DOUBLE:
		ms = val.d;
		break;
	default:
		break;
	}
	sg_celreq_end(&c);
	if (!(ms > 0)) /* NaN too */
		return 0;
	if (ms >= (double)DAY_MS)
		return DAY_MS;
	return (uint64_t)ms + ((double)(uint64_t)ms < ms);
}

int sg_celreq_headers(const struct sg_transform_side *s, const struct sg_celreq_view *v,
		      struct sg_hdrmod *m, sg_celreq_keep_fn keep, void *arg)
{
	struct sg_celreq c;
	int rc;

	memset(m, 0, sizeof(*m));
	m->remove = s->remove;
	sg_celreq_begin(&c, v);
	rc = eval_list(&s->add, &c.run, &m->add, keep, arg);
	if (!rc)
		rc = eval_list(&s->set, &c.run, &m->set, keep, arg);
	sg_celreq_end(&c);
	return rc;
}

/* ---- the access log's policy --------------------------------------------- */

bool sg_celreq_log_filter(struct sg_celreq *l, const struct sg_log_policy *p,
			  const struct sg_celreq_view *v)
{
	struct sg_cel_val val;

	sg_celreq_begin(l, v);
	if (!p->filter)
		return true;
	sg_cel_eval(p->filter, &l->run, &val);
	return sg_cel_true(&val);
}

/* A growing text in the run's memory (JSON of a list or map). */
struct text {
	struct sg_cel_run *run;
	char *p;
	size_t n, cap;
	bool failed;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t cap = (t->n + n + 1) * 2;
		char *g = sg_cel_alloc(t->run, cap);

		if (!g) {
			t->failed = true;
			return;
		}
		if (t->n)
			memcpy(g, t->p, t->n);
		t->p = g;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

/* A JSON string; bytes past 0x7f go as they are (the log line's writer
 * replaces what is not UTF-8). */
static void put_string(struct text *t, const char *s, size_t n)
{
	put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(t, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(t, esc, 6);
		} else {
			put(t, s + i, 1);
		}
	}
	put(t, "\"", 1);
}

/* v as JSON: str is set when it is a plain string (written as the line's
 * format writes strings). False: null, an error, or nothing JSON has. */
static bool put_json(struct text *t, const struct sg_cel_val *v, int depth)
{
	const char *s;
	size_t n;

	switch (v->type) {
	case SG_CEL_NULL:
		put(t, "null", 4);
		return depth > 0;
	case SG_CEL_ERROR:
	case SG_CEL_TYPE:
		return false;
	case SG_CEL_LIST:
	case SG_CEL_MAP: {
		bool map = v->type == SG_CEL_MAP;

		if (depth > 16)
			return false;
		put(t, map ? "{" : "[", 1);
		for (size_t i = 0; i < v->list.n; i++) {
			const struct sg_cel_val *item = map ? &v->list.v[2 * i] : &v->list.v[i];

			if (i)
				put(t, ",", 1);
			if (map) {
				if (sg_cel_to_text(t->run, item, &s, &n))
					return false;
				put_string(t, s, n);
				put(t, ":", 1);
				item++;
			}
			if (!put_json(t, item, depth + 1))
				return false;
		}
		put(t, map ? "}" : "]", 1);
		return true;
	}
	default:
		if (sg_cel_to_text(t->run, v, &s, &n))
			return false;
		if (v->type == SG_CEL_BOOL || v->type == SG_CEL_INT || v->type == SG_CEL_UINT ||
		    (v->type == SG_CEL_DOUBLE && isfinite(v->d)))
			put(t, s, n);
		else
			put_string(t, s, n);
		return true;
	}
}

int sg_celreq_body(const struct sg_cel *e, const struct sg_celreq_view *v, sg_celreq_keep_fn keep,
		   void *arg, struct sg_h1_span *out)
{
	struct sg_celreq c;
	struct text t = { .run = &c.run };
	struct sg_cel_val val;
	const char *s = NULL;
	size_t n = 0;
	int rc = -EINVAL;

	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	if (val.type == SG_CEL_STRING || val.type == SG_CEL_BYTES) {
		s = val.s.p;
		n = val.s.n;
	} else if (put_json(&t, &val, 1) && !t.failed) {
		s = t.p;
		n = t.n;
	}
	if (s && !n) {
		*out = (struct sg_h1_span){ "", 0 };
		rc = 0;
	} else if (s) {
		char *copy = keep(arg, s, n);

		*out = (struct sg_h1_span){ copy, n };
		rc = copy ? 0 : -ENOMEM;
	}
	sg_celreq_end(&c);
	return rc;
}

struct sg_json *sg_celreq_json_fields(const struct sg_transform_exprs *l,
				      const struct sg_celreq_view *v)
{
	struct sg_json *o = sg_json_object();
	struct sg_celreq c;

	if (!o)
		return NULL;
	sg_celreq_begin(&c, v);
	for (size_t i = 0; i < l->n; i++) {
		struct text t = { .run = &c.run };
		struct sg_cel_val val;
		struct sg_json *j;

		sg_cel_eval(l->v[i].expr, &c.run, &val);
		if (!put_json(&t, &val, 1) || t.failed || !(j = sg_json_parse(t.p)))
			continue;
		if (sg_json_set(o, l->v[i].name, j) < 0) {
			sg_json_free(o);
			o = NULL;
			break;
		}
	}
	sg_celreq_end(&c);
	return o;
}

size_t sg_celreq_log_fields(struct sg_celreq *l, const struct sg_log_policy *p,
			    struct sg_celreq_field *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < p->add.n && k < cap; i++) {
		struct text t = { .run = &l->run };
		struct sg_cel_val val;
		struct sg_celreq_field *f = &out[k];

		sg_cel_eval(p->add.v[i].expr, &l->run, &val);
		f->name = p->add.v[i].name;
		f->str = val.type == SG_CEL_STRING || val.type == SG_CEL_BYTES ||
			 val.type == SG_CEL_DURATION || val.type == SG_CEL_TIMESTAMP;
		if (f->str) {
			if (sg_cel_to_text(&l->run, &val, &f->v, &f->n))
				continue;
		} else {
			if (!put_json(&t, &val, 0) || t.failed)
				continue;
			f->v = t.p;
			f->n = t.n;
		}
		k++;
	}
	return k;
}
