/* config_dump: the model as agentgateway's admin prints it, field for field
 * (seeds 000, 002, 004): binds -> listeners -> routes, policies with
 * key/name/target/policy and the hTTP/tCP variant names, nulls kept. */
#include "admin/dump.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/duration.h"
#include "policy/status.h"

static cJSON *dur(sg_dur d)
{
	char buf[SG_DUR_STRLEN];

	if (d == SG_DUR_UNSET)
		return cJSON_CreateNull();
	return cJSON_CreateString(sg_dur_format(d, buf));
}

static cJSON *opt_int(int64_t v)
{
	return v == SG_UNSET ? cJSON_CreateNull() : cJSON_CreateNumber((double)v);
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *status_code(uint16_t code)
{
	const char *reason = sg_status_reason(code);
	char buf[64];

	snprintf(buf, sizeof(buf), "%u %s", code, reason ? reason : "<unknown status code>");
	return cJSON_CreateString(buf);
}

static cJSON *strs(const struct sg_strs *s)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s->v[i]));
	return arr;
}

/* ---- policies ---------------------------------------------------------- */

static cJSON *keepalive(const struct sg_keepalive *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "enabled", k->enabled);
	cJSON_AddItemToObject(o, "time", dur(k->time));
	cJSON_AddItemToObject(o, "interval", dur(k->interval));
	cJSON_AddNumberToObject(o, "retries", k->retries);
	return o;
}

static cJSON *frontend_http(const struct sg_frontend_http *h)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "maxBufferSize", (double)h->max_buffer_size);
	cJSON_AddItemToObject(o, "http1MaxHeaders", opt_int(h->http1_max_headers));
	cJSON_AddItemToObject(o, "http1IdleTimeout", dur(h->http1_idle_timeout));
	cJSON_AddItemToObject(o, "http2WindowSize", opt_int(h->http2_window_size));
	cJSON_AddItemToObject(o, "http2ConnectionWindowSize",
			      opt_int(h->http2_connection_window_size));
	cJSON_AddItemToObject(o, "http2FrameSize", opt_int(h->http2_frame_size));
	cJSON_AddItemToObject(o, "http2KeepaliveInterval", dur(h->http2_keepalive_interval));
	cJSON_AddItemToObject(o, "http2KeepaliveTimeout", dur(h->http2_keepalive_timeout));
	/* Newer than the dumps the guides show: printed only when set, so
	 * theirs stay byte for byte. */
	if (h->max_connection_duration != SG_DUR_UNSET)
		cJSON_AddItemToObject(o, "maxConnectionDuration", dur(h->max_connection_duration));
	return o;
}

/* Timeouts print only what is set (agentgateway skips None). */
static cJSON *timeout(const struct sg_timeout *t)
{
	cJSON *o = cJSON_CreateObject();

	if (t->request != SG_DUR_UNSET)
		cJSON_AddItemToObject(o, "requestTimeout", dur(t->request));
	if (t->backend_request != SG_DUR_UNSET)
		cJSON_AddItemToObject(o, "backendRequestTimeout", dur(t->backend_request));
	return o;
}

static cJSON *retry(const struct sg_retry *r)
{
	cJSON *o = cJSON_CreateObject(), *codes = cJSON_CreateArray();

	cJSON_AddNumberToObject(o, "attempts", r->attempts);
	if (r->backoff != SG_DUR_UNSET)
		cJSON_AddItemToObject(o, "backoff", dur(r->backoff));
	for (size_t i = 0; i < r->codes.n; i++)
		cJSON_AddItemToArray(codes, status_code(r->codes.v[i]));
	cJSON_AddItemToObject(o, "codes", codes);
	return o;
}

static cJSON *backend_tcp(const struct sg_backend_tcp *t, const struct sg_global *g)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "keepalives",
			      keepalive(t->has_keepalives ? &t->keepalives : &g->keepalives));
	cJSON_AddItemToObject(
		o, "connectTimeout",
		dur(t->connect_timeout != SG_DUR_UNSET ? t->connect_timeout : g->connect_timeout));
	return o;
}

static cJSON *backend_http(const struct sg_backend_http *h)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNullToObject(o, "version");
	if (h->request_timeout != SG_DUR_UNSET)
		cJSON_AddItemToObject(o, "requestTimeout", dur(h->request_timeout));
	return o;
}

/* {"frontend": {"hTTP": ...}} and friends: one variant inside one group. */
static cJSON *variant(const char *group, const char *name, cJSON *inner)
{
	cJSON *outer = cJSON_CreateObject(), *mid = cJSON_CreateObject();

	cJSON_AddItemToObject(mid, name, inner);
	cJSON_AddItemToObject(outer, group, mid);
	return outer;
}

static cJSON *traffic(const char *name, cJSON *inner)
{
	cJSON *outer = cJSON_CreateObject(), *mid = cJSON_CreateObject();

	cJSON_AddStringToObject(mid, "phase", "route");
	cJSON_AddItemToObject(mid, name, inner);
	cJSON_AddItemToObject(outer, "traffic", mid);
	return outer;
}

static cJSON *policy_body(const struct sg_policy *p, const struct sg_global *g)
{
	switch (p->kind) {
	case SG_POL_FRONTEND_HTTP:
		return variant("frontend", "hTTP", frontend_http(&p->u.fhttp));
	case SG_POL_FRONTEND_TCP: {
		cJSON *tcp = cJSON_CreateObject();

		cJSON_AddItemToObject(tcp, "keepalives", keepalive(&p->u.ftcp.keepalives));
		return variant("frontend", "tCP", tcp);
	}
	case SG_POL_TIMEOUT:
		return traffic("timeout", timeout(&p->u.timeout));
	case SG_POL_RETRY:
		return traffic("retry", retry(&p->u.retry));
	case SG_POL_BACKEND_TCP:
		return variant("backend", "tcp", backend_tcp(&p->u.btcp, g));
	case SG_POL_BACKEND_HTTP:
		return variant("backend", "http", backend_http(&p->u.bhttp));
	}
	return cJSON_CreateNull();
}

static cJSON *target(const struct sg_target *t)
{
	cJSON *o = cJSON_CreateObject(), *inner = cJSON_CreateObject();

	switch (t->kind) {
	case SG_TARGET_GATEWAY:
		cJSON_AddStringToObject(inner, "gatewayName", t->name);
		cJSON_AddStringToObject(inner, "gatewayNamespace", t->ns);
		cJSON_AddItemToObject(inner, "listenerName", str_or_null(t->section));
		cJSON_AddItemToObject(o, "gateway", inner);
		break;
	case SG_TARGET_ROUTE:
		cJSON_AddStringToObject(inner, "name", t->name);
		cJSON_AddStringToObject(inner, "namespace", t->ns);
		if (t->section)
			cJSON_AddStringToObject(inner, "ruleName", t->section);
		cJSON_AddStringToObject(inner, "kind", "HTTPRoute");
		cJSON_AddItemToObject(o, "route", inner);
		break;
	case SG_TARGET_SERVICE: {
		cJSON *svc = cJSON_CreateObject();
		char host[512];

		snprintf(host, sizeof(host), "%s.%s.svc.cluster.local", t->name, t->ns);
		cJSON_AddStringToObject(svc, "hostname", host);
		cJSON_AddStringToObject(svc, "namespace", t->ns);
		if (t->port)
			cJSON_AddNumberToObject(svc, "port", t->port);
		cJSON_AddItemToObject(inner, "service", svc);
		cJSON_AddItemToObject(o, "backend", inner);
		break;
	}
	}
	return o;
}

static cJSON *policy(const struct sg_policy *p, const struct sg_cfg *cfg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "key", p->key);
	if (p->src_kind) {
		cJSON *name = cJSON_CreateObject();

		cJSON_AddStringToObject(name, "kind", p->src_kind);
		cJSON_AddStringToObject(name, "name", p->src_name);
		cJSON_AddStringToObject(name, "namespace", p->src_ns);
		cJSON_AddItemToObject(o, "name", name);
	} else {
		cJSON_AddNullToObject(o, "name");
	}
	cJSON_AddItemToObject(o, "target", target(&p->target));
	cJSON_AddItemToObject(o, "policy", policy_body(p, &cfg->global));
	return o;
}

static int policy_cmp(const void *a, const void *b)
{
	const struct sg_policy *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

/* Sorted by key, as agentgateway's store sorts them. */
static cJSON *policies(const struct sg_cfg *cfg)
{
	const struct sg_policy **sorted = calloc(cfg->npolicies + 1, sizeof(*sorted));
	cJSON *arr = cJSON_CreateArray();

	if (!sorted)
		return arr;
	for (size_t i = 0; i < cfg->npolicies; i++)
		sorted[i] = &cfg->policies[i];
	qsort(sorted, cfg->npolicies, sizeof(*sorted), policy_cmp);
	for (size_t i = 0; i < cfg->npolicies; i++)
		cJSON_AddItemToArray(arr, policy(sorted[i], cfg));
	free(sorted);
	return arr;
}

/* ---- routes ------------------------------------------------------------- */

static cJSON *kv_matches(const struct sg_kv_match *kv, size_t n)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *v = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", kv[i].name);
		cJSON_AddStringToObject(v, kv[i].regex ? "regex" : "exact", kv[i].value);
		cJSON_AddItemToObject(o, "value", v);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *match(const struct sg_match *m)
{
	static const char *const path_keys[] = {
		[SG_PATH_PREFIX] = "pathPrefix",
		[SG_PATH_EXACT] = "exact",
		[SG_PATH_REGEX] = "regex",
	};
	cJSON *o = cJSON_CreateObject(), *path = cJSON_CreateObject();

	if (m->nheaders)
		cJSON_AddItemToObject(o, "headers", kv_matches(m->headers, m->nheaders));
	cJSON_AddStringToObject(path, path_keys[m->path_kind], m->path);
	cJSON_AddItemToObject(o, "path", path);
	if (m->method)
		cJSON_AddStringToObject(o, "method", m->method);
	if (m->nquery)
		cJSON_AddItemToObject(o, "query", kv_matches(m->query, m->nquery));
	return o;
}

static cJSON *backend_ref(const struct sg_backend_ref *br, const struct sg_cfg *cfg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "weight", br->weight);
	if (br->kind == SG_BREF_SERVICE) {
		cJSON *svc = cJSON_CreateObject();
		char name[512];

		snprintf(name, sizeof(name), "%s/%s", br->svc->ns, br->svc->hostname);
		cJSON_AddStringToObject(svc, "name", name);
		cJSON_AddNumberToObject(svc, "port", br->port);
		cJSON_AddItemToObject(o, "service", svc);
	} else if (br->kind == SG_BREF_INVALID) {
		cJSON_AddItemToObject(o, "invalid", cJSON_CreateObject());
	} else {
		cJSON_AddStringToObject(o, "host", br->host);
	}
	if (br->http || br->tcp) {
		cJSON *inl = cJSON_CreateArray(), *p;

		if (br->http) {
			p = cJSON_CreateObject();
			cJSON_AddItemToObject(p, "http", backend_http(br->http));
			cJSON_AddItemToArray(inl, p);
		}
		if (br->tcp) {
			p = cJSON_CreateObject();
			cJSON_AddItemToObject(p, "tcp", backend_tcp(br->tcp, &cfg->global));
			cJSON_AddItemToArray(inl, p);
		}
		cJSON_AddItemToObject(o, "inlinePolicies", inl);
	}
	return o;
}

static cJSON *backend_refs(const struct sg_brefs *brefs, const struct sg_cfg *cfg)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < brefs->n; i++)
		cJSON_AddItemToArray(arr, backend_ref(&brefs->v[i], cfg));
	return arr;
}

static cJSON *route(const struct sg_route *r, const struct sg_cfg *cfg)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "key", r->key);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "namespace", r->ns);
	if (r->rule_name)
		cJSON_AddStringToObject(o, "ruleName", r->rule_name);
	if (r->hostnames.n)
		cJSON_AddItemToObject(o, "hostnames", strs(&r->hostnames));
	arr = cJSON_AddArrayToObject(o, "matches");
	for (size_t i = 0; i < r->nmatches; i++)
		cJSON_AddItemToArray(arr, match(&r->matches[i]));
	if (r->backends.n)
		cJSON_AddItemToObject(o, "backends", backend_refs(&r->backends, cfg));
	if (r->has_timeout || r->has_retry) {
		cJSON *inl = cJSON_AddArrayToObject(o, "inlinePolicies"), *p;

		if (r->has_timeout) {
			p = cJSON_CreateObject();
			cJSON_AddItemToObject(p, "timeout", timeout(&r->timeout));
			cJSON_AddItemToArray(inl, p);
		}
		if (r->has_retry) {
			p = cJSON_CreateObject();
			cJSON_AddItemToObject(p, "retry", retry(&r->retry));
			cJSON_AddItemToArray(inl, p);
		}
	}
	return o;
}

static cJSON *tcp_route(const struct sg_tcp_route *r, const struct sg_cfg *cfg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "key", r->key);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "namespace", r->ns);
	if (r->backends.n)
		cJSON_AddItemToObject(o, "backends", backend_refs(&r->backends, cfg));
	return o;
}

static cJSON *listener(const struct sg_listener *l, const struct sg_cfg *cfg)
{
	cJSON *o = cJSON_CreateObject(), *routes, *tcp;

	cJSON_AddStringToObject(o, "key", l->key);
	cJSON_AddStringToObject(o, "gatewayName", l->gw_name);
	cJSON_AddStringToObject(o, "gatewayNamespace", l->gw_ns);
	cJSON_AddStringToObject(o, "listenerName", l->name);
	cJSON_AddStringToObject(o, "hostname", l->hostname);
	cJSON_AddStringToObject(o, "protocol", l->proto == SG_PROTO_TCP ? "TCP" : "HTTP");
	routes = cJSON_AddObjectToObject(o, "routes");
	for (size_t i = 0; i < l->nroutes; i++)
		cJSON_AddItemToObject(routes, l->routes[i].key, route(&l->routes[i], cfg));
	tcp = cJSON_AddObjectToObject(o, "tcpRoutes");
	for (size_t i = 0; i < l->ntcp_routes; i++)
		cJSON_AddItemToObject(tcp, l->tcp_routes[i].key, tcp_route(&l->tcp_routes[i], cfg));
	return o;
}

static cJSON *binds(const struct sg_cfg *cfg)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < cfg->nbinds; i++) {
		const struct sg_bind *b = &cfg->binds[i];
		cJSON *o = cJSON_CreateObject(), *ls;
		char addr[32];

		snprintf(addr, sizeof(addr), "0.0.0.0:%u", b->port);
		cJSON_AddStringToObject(o, "key", b->key);
		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddStringToObject(o, "protocol", b->proto == SG_PROTO_TCP ? "tcp" : "http");
		ls = cJSON_AddObjectToObject(o, "listeners");
		for (size_t j = 0; j < b->nlisteners; j++)
			cJSON_AddItemToObject(ls, b->listeners[j].key,
					      listener(&b->listeners[j], cfg));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* ---- services, global config -------------------------------------------- */

static cJSON *service(const struct sg_service *s)
{
	cJSON *o = cJSON_CreateObject(), *ports, *vips = cJSON_CreateArray(), *eps;

	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "namespace", s->ns);
	cJSON_AddStringToObject(o, "hostname", s->hostname);
	if (s->cluster_ip)
		cJSON_AddItemToArray(vips, cJSON_CreateString(s->cluster_ip));
	cJSON_AddItemToObject(o, "vips", vips);
	ports = cJSON_AddObjectToObject(o, "ports");
	for (size_t i = 0; i < s->nports; i++) {
		char key[8];

		snprintf(key, sizeof(key), "%u", s->ports[i].port);
		cJSON_AddNumberToObject(ports, key, s->ports[i].target_port);
	}
	if (s->external_name)
		cJSON_AddStringToObject(o, "externalName", s->external_name);
	eps = cJSON_AddArrayToObject(o, "endpoints");
	for (size_t i = 0; i < s->nslice_eps; i++) {
		cJSON *ep = cJSON_CreateObject();

		cJSON_AddStringToObject(ep, "address", s->slice_eps[i].addr);
		cJSON_AddNumberToObject(ep, "port", s->slice_eps[i].port);
		cJSON_AddItemToArray(eps, ep);
	}
	return o;
}

static cJSON *global(const struct sg_global *g)
{
	cJSON *o = cJSON_CreateObject(), *be;

	cJSON_AddStringToObject(o, "adminAddr", g->admin_addr);
	cJSON_AddStringToObject(o, "statsAddr", g->stats_addr);
	cJSON_AddStringToObject(o, "readinessAddr", g->readiness_addr);
	cJSON_AddItemToObject(o, "connectionTerminationDeadline", dur(g->drain_timeout));
	be = cJSON_AddObjectToObject(o, "backend");
	cJSON_AddItemToObject(be, "keepalives", keepalive(&g->keepalives));
	cJSON_AddItemToObject(be, "connectTimeout", dur(g->connect_timeout));
	cJSON_AddItemToObject(be, "poolIdleTimeout", dur(g->pool_idle_timeout));
	cJSON_AddItemToObject(be, "poolMaxSize", opt_int(g->pool_max_size));
	return o;
}

/* Standalone host backends, listed once each as agentgateway lists its
 * opaque backends. */
static void host_backends(const struct sg_brefs *brefs, const char *route_key, cJSON *arr)
{
	for (size_t i = 0; i < brefs->n; i++) {
		cJSON *o, *inner;
		char name[512];

		if (brefs->v[i].kind != SG_BREF_HOST)
			continue;
		o = cJSON_CreateObject();
		inner = cJSON_AddObjectToObject(o, "host");
		snprintf(name, sizeof(name), "%s/backend%zu", route_key, i);
		cJSON_AddStringToObject(inner, "name", name);
		cJSON_AddStringToObject(inner, "target", brefs->v[i].host);
		cJSON_AddItemToArray(arr, o);
	}
}

static cJSON *backends(const struct sg_cfg *cfg)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t b = 0; b < cfg->nbinds; b++) {
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++)
				host_backends(&l->routes[r].backends, l->routes[r].key, arr);
			for (size_t r = 0; r < l->ntcp_routes; r++)
				host_backends(&l->tcp_routes[r].backends, l->tcp_routes[r].key,
					      arr);
		}
	}
	return arr;
}

static cJSON *dump_json(const struct sg_cfg *cfg)
{
	cJSON *root = cJSON_CreateObject(), *svcs;

	cJSON_AddItemToObject(root, "binds", binds(cfg));
	cJSON_AddItemToObject(root, "policies", policies(cfg));
	cJSON_AddItemToObject(root, "backends", backends(cfg));
	svcs = cJSON_AddArrayToObject(root, "services");
	for (size_t i = 0; i < cfg->nservices; i++)
		cJSON_AddItemToArray(svcs, service(&cfg->services[i]));
	cJSON_AddArrayToObject(root, "workloads");
	cJSON_AddItemToObject(root, "config", global(&cfg->global));
	return root;
}

/* serde_json's pretty layout, which agentgateway prints: two-space indent,
 * one item per line, "key": value, empty containers as [] and {}. cJSON's
 * own pretty printer differs (tabs, "[{" on one line), so only leaves are
 * printed by cJSON, which gets escaping and number format right. */
struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 4096;
		char *grown;

		while (ncap < o->len + n + 1)
			ncap *= 2;
		grown = realloc(o->buf, ncap);
		if (!grown) {
			o->failed = true;
			return;
		}
		o->buf = grown;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void indent(struct out *o, int depth)
{
	for (int i = 0; i < depth; i++)
		put(o, "  ", 2);
}

static void leaf(struct out *o, const cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);

	if (!s) {
		o->failed = true;
		return;
	}
	puts_(o, s);
	cJSON_free(s);
}

static void render(struct out *o, const cJSON *item, int depth)
{
	bool obj = cJSON_IsObject(item);

	if (!obj && !cJSON_IsArray(item)) {
		leaf(o, item);
		return;
	}
	if (!item->child) {
		puts_(o, obj ? "{}" : "[]");
		return;
	}
	puts_(o, obj ? "{\n" : "[\n");
	for (const cJSON *c = item->child; c; c = c->next) {
		indent(o, depth + 1);
		if (obj) {
			cJSON *key = cJSON_CreateString(c->string);

			leaf(o, key);
			cJSON_Delete(key);
			puts_(o, ": ");
		}
		render(o, c, depth + 1);
		puts_(o, c->next ? ",\n" : "\n");
	}
	indent(o, depth);
	puts_(o, obj ? "}" : "]");
}

char *sg_dump_config(const struct sg_cfg *cfg)
{
	cJSON *root = dump_json(cfg);
	struct out o = { 0 };

	if (!root)
		return NULL;
	render(&o, root, 0);
	puts_(&o, "\n");
	cJSON_Delete(root);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
