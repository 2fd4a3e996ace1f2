/* The configuration model: what both dialects parse into. Immutable once
 * sg_cfg_load() (config/build.h) returns it; everything hangs off one arena
 * and is released with sg_cfg_free(). Reload builds a whole new struct
 * sg_cfg. */
#ifndef SG_CFG_H
#define SG_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/arena.h"
#include "config/diag.h"
#include "config/duration.h"

#define SG_UNSET (-1) /* integer option not configured (dumped as null) */

/* Arena-backed arrays used across the model. */
struct sg_strs {
	const char **v;
	size_t n, cap;
};

struct sg_codes {
	uint16_t *v;
	size_t n, cap;
};

struct sg_backend_ref;
struct sg_brefs {
	struct sg_backend_ref *v;
	size_t n, cap;
};

enum sg_proto {
	SG_PROTO_HTTP,
	SG_PROTO_TCP,
};

/* TCP keepalive probes (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT). */
struct sg_keepalive {
	bool enabled;
	sg_dur time;
	sg_dur interval;
	uint32_t retries;
};

/* Frontend HTTP settings of a Gateway (or of standalone binds). */
struct sg_frontend_http {
	int64_t max_buffer_size;
	int64_t http1_max_headers; /* SG_UNSET */
	sg_dur http1_idle_timeout;
	int64_t http2_window_size;	      /* SG_UNSET */
	int64_t http2_connection_window_size; /* SG_UNSET */
	int64_t http2_frame_size;	      /* SG_UNSET */
	sg_dur http2_keepalive_interval;      /* SG_DUR_UNSET */
	sg_dur http2_keepalive_timeout;	      /* SG_DUR_UNSET */
	/* A client connection older than this is closed after its current
	 * response (HTTP/1 "Connection: close"); SG_DUR_UNSET: never. */
	sg_dur max_connection_duration;
};

struct sg_frontend_tcp {
	struct sg_keepalive keepalives;
};

/* Route timeouts. SG_DUR_UNSET = not set; 0 = explicitly no timeout. */
struct sg_timeout {
	sg_dur request;
	sg_dur backend_request;
};

/* Retries: `attempts` counts retries (attempts + 1 tries in all). */
struct sg_retry {
	uint32_t attempts;
	sg_dur backoff; /* SG_DUR_UNSET = retry at once */
	struct sg_codes codes;
};

/* A backend's own settings (standalone inline policies, or an
 * AgentgatewayPolicy `backend:` section aimed at a Service). */
struct sg_backend_tcp {
	bool has_keepalives;
	struct sg_keepalive keepalives;
	sg_dur connect_timeout; /* SG_DUR_UNSET */
};

struct sg_backend_http {
	sg_dur request_timeout; /* SG_DUR_UNSET */
};

/* ---- policies, as agentgateway lists them ------------------------------ */

enum sg_pol_kind {
	SG_POL_FRONTEND_HTTP,
	SG_POL_FRONTEND_TCP,
	SG_POL_TIMEOUT,
	SG_POL_RETRY,
	SG_POL_BACKEND_TCP,
	SG_POL_BACKEND_HTTP,
};

enum sg_target_kind {
	SG_TARGET_GATEWAY, /* ns/name, section = listener or NULL */
	SG_TARGET_ROUTE,   /* ns/name, section = rule name or NULL */
	SG_TARGET_SERVICE, /* ns/name, port 0 = every port */
};

struct sg_target {
	enum sg_target_kind kind;
	const char *ns;
	const char *name;
	const char *section;
	uint16_t port;
};

/* One targeted policy. `src_kind` is NULL for the standalone dialect's
 * frontendPolicies (dumped as "name": null). */
struct sg_policy {
	const char *key;
	const char *src_kind, *src_name, *src_ns;
	struct sg_target target;
	enum sg_pol_kind kind;
	union {
		struct sg_frontend_http fhttp;
		struct sg_frontend_tcp ftcp;
		struct sg_timeout timeout;
		struct sg_retry retry;
		struct sg_backend_tcp btcp;
		struct sg_backend_http bhttp;
	} u;
	bool attached; /* its target exists */
	const struct sg_node *at;
};

/* ---- services (Kubernetes Service + EndpointSlice, resolved locally) --- */

struct sg_endpoint {
	const char *addr; /* IP literal or DNS name */
	uint16_t port;
};

struct sg_service_port {
	const char *name;
	uint16_t port;
	uint16_t target_port;
	const char *target_port_name; /* named targetPort, resolved per slice */
};

struct sg_service {
	const char *ns, *name;
	const char *hostname; /* name.ns.svc.cluster.local */
	const char *cluster_ip;
	const char *external_name;
	struct sg_service_port *ports;
	size_t nports, capports;
	/* Endpoints gathered from EndpointSlices, per service port name. */
	struct sg_slice_ep {
		const char *addr;
		const char *port_name;
		uint16_t port;
	} * slice_eps;
	size_t nslice_eps, capslice_eps;
	const struct sg_node *at;
};

/* ---- routing ----------------------------------------------------------- */

enum sg_path_kind {
	SG_PATH_PREFIX,
	SG_PATH_EXACT,
	SG_PATH_REGEX,
};

struct sg_kv_match {
	const char *name;
	const char *value;
	bool regex;
	/* When `regex`: the compiled value (config/regex), and where it was
	 * written, for its error (set by the dialect parsers). */
	const void *re;
	const struct sg_node *re_at;
	const char *re_key;
};

struct sg_match {
	enum sg_path_kind path_kind;
	const char *path;
	const char *method; /* NULL = any */
	struct sg_kv_match *headers;
	size_t nheaders, capheaders;
	struct sg_kv_match *query;
	size_t nquery, capquery;
	/* SG_PATH_REGEX: as in struct sg_kv_match. */
	const void *re;
	const struct sg_node *re_at;
	const char *re_key;
};

enum sg_bref_kind {
	SG_BREF_HOST,	 /* "addr:port" from the standalone dialect */
	SG_BREF_SERVICE, /* a Service port */
	SG_BREF_INVALID, /* a Kubernetes backendRef that does not resolve:
			  * its share of the weight gets 500 (Gateway API) */
};

/* A route's backend with what the data path needs, resolved at load. */
struct sg_backend_ref {
	enum sg_bref_kind kind;
	uint32_t weight;
	const char *host;		    /* SG_BREF_HOST: as written */
	const struct sg_service *svc;	    /* SG_BREF_SERVICE */
	uint16_t port;			    /* service port, or the host's port */
	const struct sg_backend_http *http; /* inline policy, NULL = none */
	const struct sg_backend_tcp *tcp;   /* inline policy, NULL = none */
	struct sg_endpoint *eps;	    /* where to connect */
	size_t neps, capeps;
	/* Effective, filled by policy/ resolve. */
	sg_dur eff_connect_timeout;
	struct sg_keepalive eff_keepalive;
	sg_dur eff_request_timeout; /* backend http.requestTimeout or SG_DUR_UNSET */
	const struct sg_node *at;
};

/* One route: in the Kubernetes dialect, one (rule, match, listener) of an
 * HTTPRoute; in the standalone dialect, one route of a listener. */
struct sg_route {
	const char *key;
	const char *name, *ns;
	const char *rule_name;	     /* NULL when the rule has none */
	const char *hr_ns, *hr_name; /* the HTTPRoute, for policy targets */
	struct sg_strs hostnames;
	struct sg_match *matches;
	size_t nmatches, capmatches;
	struct sg_brefs backends;
	/* Inline policies (HTTPRoute timeouts/retry, standalone policies). */
	bool has_timeout, has_retry;
	struct sg_timeout timeout;
	struct sg_retry retry;
	/* Effective, filled by policy/ resolve. */
	struct sg_timeout eff_timeout;
	const struct sg_retry *eff_retry; /* NULL = no retries */
	const struct sg_node *at;
};

struct sg_tcp_route {
	const char *key;
	const char *name, *ns;
	struct sg_brefs backends;
	const struct sg_node *at;
};

/* Who may attach routes to a Gateway listener (allowedRoutes). */
enum sg_from {
	SG_FROM_SAME, /* the Gateway's namespace (the Gateway API default) */
	SG_FROM_ALL,
	SG_FROM_SELECTOR, /* namespaces whose labels match `selector` */
};

#define SG_KIND_HTTPROUTE 1u
#define SG_KIND_TCPROUTE 2u

struct sg_listener {
	const char *key;
	const char *gw_name, *gw_ns;
	const char *name;
	const char *hostname; /* "" = any */
	enum sg_proto proto;
	uint16_t port;
	struct sg_route *routes;
	size_t nroutes, caproutes;
	struct sg_tcp_route *tcp_routes;
	size_t ntcp_routes, captcp_routes;
	/* Effective frontend policy, filled by policy/ resolve (never NULL
	 * after resolve: defaults when nothing is attached). */
	const struct sg_frontend_http *fhttp;
	const struct sg_frontend_tcp *ftcp; /* NULL = keepalive not set */
	/* allowedRoutes (Kubernetes dialect; standalone listeners allow all
	 * their inline routes). */
	enum sg_from from;
	const struct sg_node *selector; /* LabelSelector, SG_FROM_SELECTOR */
	unsigned kinds;			/* SG_KIND_* the listener accepts */
	bool invalid_kinds;		/* allowedRoutes.kinds named one it cannot */
	uint32_t attached_routes;	/* route resources attached (status) */
	const struct sg_node *at;
};

struct sg_bind {
	const char *key; /* "bind/<port>" */
	uint16_t port;
	enum sg_proto proto;
	struct sg_listener *listeners;
	size_t nlisteners, caplisteners;
};

/* `config:` of the standalone dialect. */
struct sg_global {
	const char *admin_addr;
	const char *stats_addr;
	const char *readiness_addr;
	sg_dur connect_timeout;
	sg_dur pool_idle_timeout;
	/* Idle connections kept per endpoint (poolMaxSize); SG_UNSET: any
	 * number. More may be open; the rest close when they go idle. */
	int64_t pool_max_size;
	struct sg_keepalive keepalives;
	sg_dur drain_timeout; /* connectionTerminationDeadline */
};

/* A Gateway API condition, as `status.conditions[]` prints it. */
struct sg_condition {
	const char *type; /* Accepted, ResolvedRefs, Programmed */
	bool status;
	const char *reason;
	const char *message;
};

/* One parentRef of a route as its status shows it. */
struct sg_parent_status {
	const char *kind;		 /* Gateway (policies: their target's kind) */
	const char *ns, *name, *section; /* the Gateway and listener as written */
	uint16_t port;			 /* 0 = not given */
	struct sg_condition accepted, resolved;
};

/* What the Gateway API status of a resource says, filled while building:
 * routes have parents; an AgentgatewayPolicy has one ancestor per target
 * (the parents array again, with `accepted` only). */
struct sg_res_status {
	struct sg_parent_status *parents;
	size_t nparents, capparents;
	struct sg_condition resolved; /* routes: ResolvedRefs for every parent */
};

/* A Kubernetes resource's identity. In cfg->resources also its document
 * (in the config's arena) and status; NULL elsewhere. */
struct sg_res_id {
	const char *kind, *ns, *name;
	const struct sg_node *doc;
	const struct sg_res_status *status;
};

/* The largest config text: one file, or one POST /config body (4 MiB). */
#define SG_CFG_MAX_TEXT (4 << 20)

/* One text the config is built from (a file, or a body given to apply). */
struct sg_source {
	char *name;
	char *text;
	size_t len;
};

/* What a config is built from: sources in order, where a resource in a
 * source at index >= replace_from replaces an earlier one of the same
 * identity (apply), while duplicates before it are errors (files); and
 * resources removed by delete. */
struct sg_cfg_input {
	const struct sg_source *srcs;
	size_t nsrcs;
	size_t replace_from;
	const struct sg_res_id *deleted;
	size_t ndeleted;
};

struct sg_cfg {
	_Atomic int refs; /* sg_cfg_ref/unref: connections keep the tree they began on */
	struct sg_arena arena;
	struct sg_global global;
	struct sg_bind *binds;
	size_t nbinds, capbinds;
	struct sg_policy *policies;
	size_t npolicies, cappolicies;
	struct sg_service *services;
	size_t nservices, capservices;
	struct sg_frontend_http default_fhttp;
	/* The Kubernetes resources in force, in load order. */
	struct sg_res_id *resources;
	size_t nresources, capresources;
	/* Every compiled regex of the tree (owned; the arena holds the
	 * regex_t, regfree runs in sg_cfg_free). */
	void **regexes;
	size_t nregexes, capregexes;
};

/* Release cfg and everything it holds (NULL is fine). */
void sg_cfg_free(struct sg_cfg *cfg);
/* Shared ownership across worker threads: a loaded config starts with one
 * reference; the last unref frees it. */
struct sg_cfg *sg_cfg_ref(struct sg_cfg *cfg);
void sg_cfg_unref(struct sg_cfg *cfg);

/* "httproute.gateway.networking.k8s.io" for kind HTTPRoute, as kubectl
 * names resources. */
const char *sg_res_type(const char *kind);

#endif
