/* The standalone dialect's services: and workloads: (agentgateway's
 * discovery records, written by hand): a service is a hostname in a
 * namespace with ports; its endpoints are the workloads that name it. A
 * route backend `service: {name: "ns/hostname", port}` is resolved here
 * to those endpoints, as agentgateway picks them: healthy workloads of
 * capacity 1, the workload's own port map first, then the service's. */
#include "config/localsvc.h"

#include <arpa/inet.h>
#include <string.h>

/* A key agentgateway's discovery types have for its mesh (HBONE tunnels,
 * waypoints, SPIFFE identities, locality-aware balancing), which a
 * gateway that dials workloads directly in plain TCP cannot honour. */
static int f_mesh(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	sg_diag_err(c->d, n,
		    "%s: not supported (a mesh setting of agentgateway's discovery records: "
		    "splicegate dials a service's workloads directly, in plain TCP)",
		    path);
	return -1;
}

/* "network/IP", agentgateway's NetworkAddress (network may be empty). */
static int f_vips(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *v = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i];
		const char *slash = it->kind == SG_NODE_SCALAR ? strchr(it->str, '/') : NULL;
		unsigned char buf[16];
		const char **slot;

		if (!slash || (inet_pton(AF_INET, slash + 1, buf) != 1 &&
			       inet_pton(AF_INET6, slash + 1, buf) != 1)) {
			ret = sg_expected(c, it, sg_path_idx(c, path, i),
					  "\"network/IP\" such as \"/10.0.0.1\"");
			continue;
		}
		if (!(slot = sg_arena_push(c->a, &v->v, &v->n, &v->cap, sizeof(*slot))))
			return -1;
		*slot = it->str;
	}
	return ret;
}

/* A map key that is a port number: 80 or "80" (agentgateway reads its
 * YAML as JSON, whose keys are strings). */
static int key_port(struct sg_pctx *c, const struct sg_node *k, uint16_t *out, const char *path)
{
	unsigned long v = 0;
	const char *s = k->kind == SG_NODE_SCALAR ? k->str : "";

	for (const char *p = s; *p && v <= 65535; p++)
		v = *p >= '0' && *p <= '9' ? v * 10 + (unsigned long)(*p - '0') : 65536;
	if (!*s || !v || v > 65535)
		return sg_expected(c, k, path, "a port number from 1 to 65535");
	*out = (uint16_t)v;
	return 0;
}

/* A map of port numbers to port numbers ({80: 8080}) into pairs. */
static int port_map(struct sg_pctx *c, const struct sg_node *n, struct sg_port_pair **v,
		    size_t *cnt, size_t *cap, const char *path)
{
	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i);
		const char *p = sg_path_key(c, path, k->kind == SG_NODE_SCALAR ? k->str : "?");
		struct sg_port_pair *pp = sg_arena_push(c->a, v, cnt, cap, sizeof(*pp));

		if (!pp || key_port(c, k, &pp->port, p) == -1 ||
		    sg_f_port(c, sg_map_val(n, i), &pp->target, p) == -1)
			return -1;
	}
	return 0;
}

static int f_svc_ports(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_service *s = dst;
	struct sg_port_pair *v = NULL;
	size_t cnt = 0, cap = 0;

	if (port_map(c, n, &v, &cnt, &cap, path) == -1)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		struct sg_service_port *sp =
			sg_arena_push(c->a, &s->ports, &s->nports, &s->capports, sizeof(*sp));

		if (!sp)
			return -1;
		sp->name = "";
		sp->port = v[i].port;
		sp->target_port = v[i].target;
	}
	return 0;
}

/* appProtocols {port: Http11 | Http2 | Grpc}: the HTTP version spoken to
 * the port's endpoints (agentgateway's port_is_http2). Given after ports. */
static int f_app_protocols(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_service *s = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i), *v = sg_map_val(n, i);
		const char *p = sg_path_key(c, path, k->kind == SG_NODE_SCALAR ? k->str : "?");
		struct sg_service_port *sp = NULL;
		uint16_t port;

		if (key_port(c, k, &port, p) == -1)
			return -1;
		for (size_t j = 0; j < s->nports; j++)
			if (s->ports[j].port == port)
				sp = &s->ports[j];
		if (!sp) {
			sg_diag_err(c->d, k, "%s: not a port of the service's ports", p);
			return -1;
		}
		if (v->kind == SG_NODE_SCALAR &&
		    (!strcmp(v->str, "Tls") || !strcmp(v->str, "Tcp"))) {
			sg_diag_err(c->d, v,
				    "%s: \"%s\" is not supported (a service's HTTP routes speak "
				    "Http11, Http2 or Grpc to it)",
				    p, v->str);
			return -1;
		}
		if (v->kind != SG_NODE_SCALAR ||
		    (strcmp(v->str, "Http11") && strcmp(v->str, "Http2") && strcmp(v->str, "Grpc")))
			return sg_expected(c, v, p, "Http11, Http2, Grpc, Tls or Tcp");
		sp->app_protocol = v->str;
		sp->h2c = strcmp(v->str, "Http11") != 0;
	}
	return 0;
}

struct svc_in {
	struct sg_service s;
	const struct sg_node *ports, *app;
};

static const struct sg_field svc_fields[] = {
	{ "name", sg_f_str, offsetof(struct svc_in, s.name), true },
	{ "namespace", sg_f_str, offsetof(struct svc_in, s.ns), true },
	{ "hostname", sg_f_str, offsetof(struct svc_in, s.hostname), true },
	{ "vips", f_vips, offsetof(struct svc_in, s.vips), true },
	{ "ports", sg_f_node, offsetof(struct svc_in, ports), true },
	{ "appProtocols", sg_f_node, offsetof(struct svc_in, app) },
	{ "subjectAltNames", f_mesh, 0 },
	{ "waypoint", f_mesh, 0 },
	{ "weightedWaypoints", f_mesh, 0 },
	{ "loadBalancer", f_mesh, 0 },
	{ "ipFamilies", f_mesh, 0 },
	{ "ingressUseWaypoint", f_mesh, 0 },
	{ 0 },
};

static const struct sg_service *find(const struct sg_cfg *cfg, const char *ns, const char *hostname)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct sg_service *s = &cfg->services[i];

		if (s->local && !strcmp(s->ns, ns) && !strcmp(s->hostname, hostname))
			return s;
	}
	return NULL;
}

static int parse_service(struct sg_pctx *c, const struct sg_node *n, struct sg_cfg *cfg,
			 const char *path)
{
	struct svc_in in = { 0 };
	struct sg_service *s;

	if (sg_parse_fields(c, n, svc_fields, &in, path) == -1 ||
	    f_svc_ports(c, in.ports, &in.s, sg_path_key(c, path, "ports")) == -1 ||
	    (in.app && f_app_protocols(c, in.app, &in.s, sg_path_key(c, path, "appProtocols"))))
		return -1;
	if (find(cfg, in.s.ns, in.s.hostname)) {
		sg_diag_err(c->d, sg_map_get(n, "hostname"),
			    "%s.hostname: service %s/%s is given twice", path, in.s.ns,
			    in.s.hostname);
		return -1;
	}
	if (!(s = sg_arena_push(c->a, &cfg->services, &cfg->nservices, &cfg->capservices,
				sizeof(*s))))
		return -1;
	*s = in.s;
	s->local = true;
	s->at = n;
	return 0;
}

/* ---- workloads ---------------------------------------------------------- */

static int f_ips(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_strs *v = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i];
		unsigned char buf[16];
		const char **slot;

		if (it->kind != SG_NODE_SCALAR || (inet_pton(AF_INET, it->str, buf) != 1 &&
						   inet_pton(AF_INET6, it->str, buf) != 1))
			return sg_expected(c, it, sg_path_idx(c, path, i), "an IP address");
		if (!(slot = sg_arena_push(c->a, &v->v, &v->n, &v->cap, sizeof(*slot))))
			return -1;
		*slot = it->str;
	}
	return 0;
}

static int f_status(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "Healthy"))
		*(bool *)dst = false;
	else if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, "Unhealthy"))
		*(bool *)dst = true;
	else
		return sg_expected(c, n, path, "Healthy or Unhealthy");
	return 0;
}

/* capacity: 1 (agentgateway's default) or 0 (no traffic); a weight
 * between endpoints is not implemented. */
static int f_capacity(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	uint32_t v;

	if (sg_f_u32(c, n, &v, path) == -1)
		return -1;
	if (v > 1) {
		sg_diag_err(c->d, n,
			    "%s: %u is not supported (endpoints weighted by capacity are not "
			    "implemented: 1, or 0 for no traffic)",
			    path, v);
		return -1;
	}
	*(uint32_t *)dst = v;
	return 0;
}

/* One of a few values of which only `ok` is implemented. */
static int only(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *ok,
		const char *others)
{
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, ok))
		return 0;
	if (n->kind == SG_NODE_SCALAR && strstr(others, n->str) && *n->str) {
		sg_diag_err(c->d, n, "%s: \"%s\" is not supported (only %s)", path, n->str, ok);
		return -1;
	}
	return sg_expected(c, n, path, others);
}

static int f_protocol(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return only(c, n, path, "TCP", "TCP, HBONE or LegacyIstioMtls");
}

static int f_network_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return only(c, n, path, "Standard", "Standard or HostNetwork");
}

/* services: {"ns/hostname": {servicePort: targetPort}}. */
static int f_wl_services(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_workload *w = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const struct sg_node *k = sg_map_key(n, i);
		const char *slash = k->kind == SG_NODE_SCALAR ? strchr(k->str, '/') : NULL;
		const char *p = sg_path_key(c, path, k->kind == SG_NODE_SCALAR ? k->str : "?");
		struct sg_workload_svc *ws;

		if (!slash || slash == k->str || !slash[1]) {
			sg_expected(c, k, p, "a service as \"namespace/hostname\"");
			return -1;
		}
		if (!(ws = sg_arena_push(c->a, &w->svcs, &w->nsvcs, &w->capsvcs, sizeof(*ws))))
			return -1;
		ws->ns = sg_arena_strndup(c->a, k->str, (size_t)(slash - k->str));
		ws->hostname = slash + 1;
		if (!ws->ns ||
		    port_map(c, sg_map_val(n, i), &ws->ports, &ws->nports, &ws->capports, p) == -1)
			return -1;
	}
	return 0;
}

static const struct sg_field wl_fields[] = {
	{ "workloadIps", f_ips, offsetof(struct sg_workload, ips), true },
	{ "uid", sg_f_str, offsetof(struct sg_workload, uid) },
	{ "name", sg_f_str, offsetof(struct sg_workload, name) },
	{ "namespace", sg_f_str, offsetof(struct sg_workload, ns), true },
	{ "hostname", sg_f_str, offsetof(struct sg_workload, hostname) },
	{ "status", f_status, offsetof(struct sg_workload, unhealthy) },
	{ "capacity", f_capacity, offsetof(struct sg_workload, capacity) },
	{ "services", f_wl_services, 0, true },
	{ "protocol", f_protocol, 0 },
	{ "networkMode", f_network_mode, 0 },
	{ "waypoint", f_mesh, 0 },
	{ "networkGateway", f_mesh, 0 },
	{ "trustDomain", f_mesh, 0 },
	{ "serviceAccount", f_mesh, 0 },
	{ "network", f_mesh, 0 },
	{ "workloadName", f_mesh, 0 },
	{ "workloadType", f_mesh, 0 },
	{ "canonicalName", f_mesh, 0 },
	{ "canonicalRevision", f_mesh, 0 },
	{ "node", f_mesh, 0 },
	{ "authorizationPolicies", f_mesh, 0 },
	{ "clusterId", f_mesh, 0 },
	{ "locality", f_mesh, 0 },
	{ "hboneMtlsPort", f_mesh, 0 },
	{ 0 },
};

static int parse_workload(struct sg_pctx *c, const struct sg_node *n, struct sg_cfg *cfg,
			  const char *path)
{
	struct sg_workload w = { .capacity = 1, .name = "", .uid = "" }, *slot;

	if (sg_parse_fields(c, n, wl_fields, &w, path) == -1)
		return -1;
	/* agentgateway keys workloads by uid: a second one would replace the
	 * first (uid "" included) */
	for (size_t i = 0; i < cfg->nworkloads; i++)
		if (!strcmp(cfg->workloads[i].uid, w.uid)) {
			sg_diag_err(c->d, sg_map_get(n, "uid") ? sg_map_get(n, "uid") : n,
				    "%s.uid: workload uid \"%s\" is given twice (each workload "
				    "needs a uid of its own)",
				    path, w.uid);
			return -1;
		}
	if (!(slot = sg_arena_push(c->a, &cfg->workloads, &cfg->nworkloads, &cfg->capworkloads,
				   sizeof(*slot))))
		return -1;
	w.at = n;
	*slot = w;
	return 0;
}

int sg_localsvc_parse(struct sg_pctx *c, const struct sg_node *services,
		      const struct sg_node *workloads, struct sg_cfg *cfg)
{
	int ret = 0;

	if (services && sg_need_seq(c, services, "services") == -1)
		ret = -1;
	else
		for (size_t i = 0; services && i < services->n; i++)
			if (parse_service(c, services->items[i], cfg,
					  sg_path_idx(c, "services", i)) == -1)
				ret = -1;
	if (workloads && sg_need_seq(c, workloads, "workloads") == -1)
		return -1;
	for (size_t i = 0; workloads && i < workloads->n; i++)
		if (parse_workload(c, workloads->items[i], cfg, sg_path_idx(c, "workloads", i)) ==
		    -1)
			ret = -1;
	return ret;
}

/* ---- service: references ------------------------------------------------ */

struct ref_in {
	const char *name;
	uint16_t port;
};

static const struct sg_field ref_fields[] = {
	{ "name", sg_f_str, offsetof(struct ref_in, name), true },
	{ "port", sg_f_port, offsetof(struct ref_in, port), true },
	{ 0 },
};

/* The port w's map gives for service s's port (0: none). */
static uint16_t wl_port(const struct sg_workload *w, const struct sg_service *s, uint16_t port,
			bool *member)
{
	*member = false;
	for (size_t i = 0; i < w->nsvcs; i++) {
		const struct sg_workload_svc *ws = &w->svcs[i];

		if (strcmp(ws->ns, s->ns) || strcmp(ws->hostname, s->hostname))
			continue;
		*member = true;
		for (size_t j = 0; j < ws->nports; j++)
			if (ws->ports[j].port == port)
				return ws->ports[j].target;
	}
	return 0;
}

int sg_localsvc_ref(struct sg_pctx *c, const struct sg_node *n, const struct sg_cfg *cfg,
		    struct sg_backend_ref *br, const char *path)
{
	struct ref_in in = { 0 };
	const struct sg_service *s;
	const struct sg_service_port *sp = NULL;
	const char *slash, *ns;
	bool mapped = false;

	if (sg_parse_fields(c, n, ref_fields, &in, path) == -1)
		return -1;
	slash = strchr(in.name, '/');
	ns = slash ? sg_arena_strndup(c->a, in.name, (size_t)(slash - in.name)) : NULL;
	s = ns ? find(cfg, ns, slash + 1) : NULL;
	if (!s) {
		sg_diag_err(c->d, sg_map_get(n, "name"),
			    "%s.name: no service \"%s\" in the top-level services: list (a "
			    "service is named \"namespace/hostname\")",
			    path, in.name);
		return -1;
	}
	for (size_t i = 0; i < s->nports; i++)
		if (s->ports[i].port == in.port)
			sp = &s->ports[i];
	br->kind = SG_BREF_SERVICE;
	br->svc = s;
	br->port = in.port;
	br->h2c = sp && sp->h2c;
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		const struct sg_workload *w = &cfg->workloads[i];
		bool member;
		uint16_t target = wl_port(w, s, in.port, &member);
		struct sg_endpoint *ep;

		if (!member)
			continue;
		if (!target && sp)
			target = sp->target_port;
		mapped = mapped || target;
		if (!target || w->unhealthy || !w->capacity || (!w->ips.n && !w->hostname))
			continue;
		if (!(ep = sg_arena_push(c->a, &br->eps, &br->neps, &br->capeps, sizeof(*ep))))
			return -1;
		ep->addr = w->ips.n ? w->ips.v[0] : w->hostname;
		ep->port = target;
	}
	if (!sp && !mapped) {
		sg_diag_err(c->d, sg_map_get(n, "port"),
			    "%s.port: service %s/%s has no port %u (and no workload maps it)", path,
			    s->ns, s->hostname, in.port);
		return -1;
	}
	return 0;
}
