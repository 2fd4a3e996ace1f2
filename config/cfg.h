/* The configuration model: what both dialects parse into. Immutable once
 * sg_cfg_load() (config/build.h) returns it, but for the token buckets of
 * local rate limits (struct sg_ratelimit, atomics the workers share);
 * everything hangs off one arena and is released with sg_cfg_free().
 * Reload builds a whole new struct sg_cfg. */
#ifndef SG_CFG_H
#define SG_CFG_H

#include <stdatomic.h>
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
	SG_PROTO_TLS,	/* TLS passthrough: routed by the ClientHello's SNI, never decrypted */
	SG_PROTO_HTTPS, /* TLS terminated here, then HTTP/1.1 or HTTP/2 (ALPN) */
};

/* TCP keepalive probes (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT). */
struct sg_keepalive {
	bool enabled;
	sg_dur time;
	sg_dur interval;
	uint32_t retries;
};

/* Frontend HTTP settings of a Gateway (or of standalone binds). */
/* What a percent-encoded slash or backslash (%2F, %5C) in a request path
 * becomes: Envoy's path_with_escaped_slashes_action (KEEP_UNCHANGED,
 * REJECT_REQUEST, UNESCAPE_AND_FORWARD). */
enum sg_escaped_slashes {
	SG_SLASHES_KEEP,
	SG_SLASHES_REJECT,
	SG_SLASHES_DECODE,
};

/* How request paths are normalised before routing (policy/pathnorm.h):
 * Envoy's normalize_path and merge_slashes (both on by default here). */
struct sg_path_rules {
	bool normalize;
	bool merge_slashes;
	enum sg_escaped_slashes escaped_slashes;
};

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
	/* Requests in progress at once on the bind (HTTP/1 requests and
	 * HTTP/2 streams of every worker); more are answered 503. SG_UNSET:
	 * no bound. */
	int64_t max_concurrent_requests;
	struct sg_path_rules path;
};

struct sg_frontend_tcp {
	struct sg_keepalive keepalives;
	/* Client connections open at once on the bind (every worker, every
	 * protocol); more are closed unread at accept. SG_UNSET: no bound. */
	int64_t max_connections;
};

/* A TLS protocol version bound; SG_TLS_UNSET = the library's choice
 * (TLS 1.2 is the floor whatever is asked). */
enum sg_tls_version {
	SG_TLS_UNSET,
	SG_TLS_1_2,
	SG_TLS_1_3,
};

/* Cipher suites named in config, in the order given, as the TLS library
 * names them: TLS 1.3 suites and TLS 1.2 ones apart (`names` keeps the
 * IANA names, for the dump). n == 0: the library's defaults. */
struct sg_tls_suites {
	const char *tls13, *tls12; /* "A:B" lists; "" = none of that version */
	struct sg_strs names;
};

/* frontendPolicies.tls (agentgateway's frontend::TLS): the handshake of
 * every HTTPS listener of the gateway. */
struct sg_frontend_tls {
	sg_dur handshake_timeout; /* default 15 s */
	bool has_alpn;
	struct sg_strs alpn; /* offered in order; default h2, http/1.1 */
	enum sg_tls_version min_version, max_version;
	struct sg_tls_suites suites;
};

/* The serving certificate of an HTTPS listener: from files (standalone
 * `tls: {cert, key, root}`) or a kubernetes.io/tls Secret. The PEM bytes
 * are read when the config is, so a file that changes later is only seen
 * by the next reload. */
struct sg_tls_cert {
	const char *cert_path, *key_path, *root_path; /* NULL: from a Secret / none */
	const char *secret;			      /* "ns/name", Kubernetes */
	const struct sg_node *secret_at;	      /* that Secret's document */
	const char *cert_pem, *key_pem, *root_pem;    /* root: client CA (mTLS), or NULL */
	size_t cert_len, key_len, root_len;
	/* With root: a client that presents no certificate, or one the CA
	 * did not sign, is served too (Gateway spec.tls validation mode
	 * AllowInsecureFallback); its certificate is no identity then. */
	bool root_optional;
	/* tls.mode: dynamicCa: cert and key are a CA's, which signs a leaf
	 * for each handshake's SNI (user/tls/tlsmint.h); never served. */
	bool dynamic_ca;
	/* The listener's own bounds (standalone minTLSVersion, ...); the
	 * frontend policy's apply where these are unset. */
	enum sg_tls_version min_version, max_version;
	struct sg_tls_suites suites;
};

/* Route timeouts. SG_DUR_UNSET = not set; 0 = explicitly no timeout. */
struct sg_timeout {
	sg_dur request;
	sg_dur backend_request;
	/* After the response head, the longest the body (either way) may go
	 * without a byte: standalone responseIdleTimeout, AgentgatewayPolicy
	 * traffic.timeouts.responseIdle. SG_DUR_UNSET = --body-idle-timeout. */
	sg_dur response_idle;
};

/* Retries: `attempts` counts retries (attempts + 1 tries in all). */
struct sg_cel;
struct sg_retry {
	uint32_t attempts;
	sg_dur backoff; /* SG_DUR_UNSET = retry at once */
	struct sg_codes codes;
	/* agentgateway's CEL (standalone): precondition, over the request
	 * before its first try (false: no retry); condition, over each
	 * response (true: retried as a listed code is). NULL: none. */
	const struct sg_cel *precondition, *condition;
};

/* A backend's own settings (standalone inline policies, or an
 * AgentgatewayPolicy `backend:` section aimed at a Service). */
struct sg_backend_tcp {
	bool has_keepalives;
	struct sg_keepalive keepalives;
	sg_dur connect_timeout; /* SG_DUR_UNSET */
};

/* The HTTP version spoken to a backend (agentgateway's backend
 * `http.version`). */
enum sg_http_version {
	SG_HTTP_VERSION_UNSET, /* HTTP/1.1, unless a Service port asks for h2c */
	SG_HTTP_VERSION_1_1,
	SG_HTTP_VERSION_2, /* h2c: prior knowledge, without TLS */
};

struct sg_backend_http {
	sg_dur request_timeout; /* SG_DUR_UNSET */
	enum sg_http_version version;
};

/* TLS to a backend: agentgateway's backendTLS policy (standalone
 * `policies.backendTLS`, AgentgatewayPolicy `backend.tls`) and Gateway
 * API's BackendTLSPolicy. The backend's certificate is verified unless
 * `insecure`: against root_pem (NULL: the system's CAs) and, unless
 * `insecure_host`, against the subjectAltNames given, else `hostname`,
 * else the endpoint's host. */
struct sg_backend_tls {
	const char *root_path, *cert_path, *key_path; /* standalone files; NULL otherwise */
	const char *root_pem, *cert_pem, *key_pem;    /* NULL: none (root: system CAs) */
	size_t root_len, cert_len, key_len;
	const char *hostname; /* SNI and the name verified; NULL: the endpoint's host */
	bool insecure, insecure_host;
	bool has_alpn;
	struct sg_strs alpn; /* NULL list: h2 for HTTP/2 backends, http/1.1 else */
	struct sg_strs sans; /* subjectAltNames accepted instead of the hostname */
	/* Set when its references did not resolve (a missing ConfigMap):
	 * every connect fails with this text, as agentgateway's invalid
	 * root does, and the status says so. NULL: usable. */
	const char *invalid;
	const struct sg_node *at; /* standalone: where it is written */
};

/* One comparison of an unhealthy expression: `response.code OP value`.
 * The terms of an expression are ORs of ANDs: a term with `or_before`
 * starts a new AND group. */
enum sg_code_op {
	SG_CODE_EQ,
	SG_CODE_NE,
	SG_CODE_LT,
	SG_CODE_LE,
	SG_CODE_GT,
	SG_CODE_GE,
};

struct sg_code_cmp {
	enum sg_code_op op;
	uint16_t value;
	bool or_before;
};

/* agentgateway's backend `health` policy: which responses are unhealthy
 * and when an endpoint is evicted for it. Scores are 0..1 (the Kubernetes
 * dialect's 0..100 divided by 100, as agentgateway's controller does). */
struct sg_health_policy {
	/* As written, NULL: a 5xx or no response at all is unhealthy. */
	const char *unhealthy_expression;
	struct sg_code_cmp *terms; /* the expression, parsed */
	size_t nterms;
	bool has_eviction;	      /* an `eviction` section was given */
	sg_dur duration;	      /* SG_DUR_UNSET: 3s */
	double restore_health;	      /* < 0: not set (health kept) */
	int64_t consecutive_failures; /* SG_UNSET */
	double health_threshold;      /* < 0: not set */
};

/* frontendPolicies.proxyProtocol (AgentgatewayPolicy frontend.proxyProtocol):
 * the PROXY protocol header a load balancer writes before the connection's
 * own bytes. */
#define SG_PROXY_V1 1u /* the values of SG_PP_V1 and SG_PP_V2 (user/codec/proxyproto.h) */
#define SG_PROXY_V2 2u
struct sg_frontend_proxy {
	unsigned versions; /* SG_PROXY_V1 | SG_PROXY_V2; 0: none */
	bool optional;	   /* mode optional: a connection without one is served as it is */
};

/* ---- policies, as agentgateway lists them ------------------------------ */

enum sg_pol_kind {
	SG_POL_FRONTEND_HTTP,
	SG_POL_FRONTEND_TCP,
	SG_POL_FRONTEND_TLS,
	SG_POL_FRONTEND_PROXY,
	SG_POL_TIMEOUT,
	SG_POL_RETRY,
	SG_POL_BACKEND_TCP,
	SG_POL_BACKEND_HTTP,
	SG_POL_BACKEND_HEALTH,
	SG_POL_BACKEND_TLS,
	SG_POL_BACKEND_AUTH, /* backend.auth */
	/* AgentgatewayPolicy traffic filters (route phase) */
	SG_POL_REQUEST_HEADERS,
	SG_POL_RESPONSE_HEADERS,
	SG_POL_CORS,
	SG_POL_DIRECT,
	SG_POL_HOST_REWRITE,	 /* hostRewrite {mode: Auto|None} */
	SG_POL_LOCAL_RATE_LIMIT, /* rateLimit.local */
	SG_POL_CSRF,
	SG_POL_REMOTE_RATE_LIMIT,   /* rateLimit.global */
	SG_POL_JWT,		    /* traffic.jwtAuthentication */
	SG_POL_BASIC,		    /* traffic.basicAuthentication */
	SG_POL_API_KEYS,	    /* traffic.apiKeyAuthentication */
	SG_POL_EXT_AUTHZ,	    /* traffic.extAuth */
	SG_POL_AUTHZ,		    /* traffic.authorization */
	SG_POL_FRONTEND_ACCESS_LOG, /* frontendPolicies.accessLog */
	SG_POL_FRONTEND_NETAUTHZ,   /* frontendPolicies.networkAuthorization */
	SG_POL_FRONTEND_TRACING,    /* frontendPolicies.tracing */
	SG_POL_OIDC,		    /* oidc: a standalone listener's, or a targeted policy's */
	/* Standalone targeted policies (top-level policies:) of the route
	 * filters an AgentgatewayPolicy has no key for. */
	SG_POL_REDIRECT,    /* requestRedirect */
	SG_POL_URL_REWRITE, /* urlRewrite */
	SG_POL_MIRROR,	    /* requestMirror */
	SG_POL_TRANSFORM,   /* transformations */
	SG_POL_DELAY,	    /* delay */
	SG_POL_A2A,	    /* a2a: a backend policy, no value */
};

enum sg_target_kind {
	SG_TARGET_GATEWAY, /* ns/name, section = listener or NULL */
	/* ns/name, section = rule name or NULL; route_kind 0: a standalone
	 * route (its own ns and name; agentgateway's RouteName without kind) */
	SG_TARGET_ROUTE,
	SG_TARGET_SERVICE,     /* ns/name, port 0 = every port */
	SG_TARGET_LISTENERSET, /* ns/name (kind ListenerSet), section = its listener or NULL */
	/* A standalone backend by agentgateway's name for it (a route's host
	 * or dynamic backend: "<route key>/backend<i>", namespace ""); section
	 * names a part of it (none has one here). */
	SG_TARGET_BACKEND,
};

struct sg_target {
	enum sg_target_kind kind;
	unsigned route_kind; /* SG_TARGET_ROUTE: SG_KIND_HTTPROUTE or SG_KIND_GRPCROUTE */
	const char *ns;
	const char *name;
	const char *section;
	/* SG_TARGET_SERVICE: its port (0: every port); SG_TARGET_GATEWAY: the
	 * listener's port (a standalone listener's own policy), 0: any. */
	uint16_t port;
	/* SG_TARGET_SERVICE: a standalone service's hostname as the policy
	 * wrote it; NULL: a Kubernetes Service (name.ns.svc.cluster.local). */
	const char *hostname;
};

/* One targeted policy. `src_kind` is NULL for the standalone dialect's
 * frontendPolicies (dumped as "name": null), "Local" for its top-level
 * policies: (config/targeted.c), whose target must name something. */
struct sg_policy {
	const char *key;
	const char *src_kind, *src_name, *src_ns;
	struct sg_target target;
	enum sg_pol_kind kind;
	union {
		struct sg_frontend_http fhttp;
		struct sg_frontend_tcp ftcp;
		struct sg_frontend_tls ftls;
		struct sg_frontend_proxy fproxy;
		struct sg_timeout timeout;
		struct sg_retry retry;
		struct sg_backend_tcp btcp;
		struct sg_backend_http bhttp;
		const struct sg_health_policy *health;
		const struct sg_backend_tls *btls;
		const struct sg_backend_auth *backend_auth;
		const struct sg_hdrmod *hdrmod;
		const struct sg_cors *cors;
		const struct sg_direct *direct;
		const struct sg_rewrite *rewrite;
		const struct sg_redirect *redirect;
		const struct sg_mirrors *mirrors;
		const struct sg_transform *transform;
		const struct sg_delay *delay;
		const struct sg_ratelimits *ratelimits;
		const struct sg_authz *netauthz;
		const struct sg_authz *authz;
		const struct sg_csrf *csrf;
		const struct sg_jwt_auth *jwt;
		const struct sg_basic_auth *basic;
		const struct sg_api_keys *apikeys;
		const struct sg_ext_authz *ext_authz;
		const struct sg_oidc *oidc;
		const struct sg_log_policy *access;
		const struct sg_remote_rl *remote_rl;
		const struct sg_tracing *tracing;
	} u;
	bool attached; /* its target exists */
	/* A traffic policy of agentgateway's gateway phase (AgentgatewayPolicy
	 * traffic.phase PreRouting): it runs on its listeners before a route is
	 * chosen (sg_listener.gw_filters), not merged into their routes'. */
	bool gateway_phase;
	const struct sg_node *at;
	/* "Local" policies: where their target is written ("policies[2].target
	 * .route") and its map, for the error when it names nothing. */
	const char *target_path;
	const struct sg_node *target_at;
};

/* ---- services (Kubernetes Service + EndpointSlice, resolved locally) --- */

struct sg_endpoint {
	const char *addr; /* IP literal or DNS name */
	uint16_t port;
	/* The client named it (a dynamic backend's Host or SNI): a name is
	 * looked up on the worker's resolver for such names, apart from the
	 * configured ones' and bounded (user/core/backend.c). */
	bool client_named;
};

/* The longest addr (a host name: 253 characters, RFC 1123 as
 * config/hostname.c checks it) and the size of "addr:port" with its NUL:
 * what the gateway's names and keys for an endpoint are sized for, so two
 * long names never share a key by being cut short. */
#define SG_ENDPOINT_ADDR_MAX 253
#define SG_ENDPOINT_TEXT_SIZE (SG_ENDPOINT_ADDR_MAX + 7)

struct sg_service_port {
	const char *name;
	uint16_t port;
	uint16_t target_port;
	const char *target_port_name; /* named targetPort, resolved per slice */
	bool h2c;		      /* appProtocol kubernetes.io/h2c */
	/* A standalone service's appProtocols value for the port as written
	 * (Http11, Http2, Grpc); NULL: none. */
	const char *app_protocol;
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
	/* A standalone services: entry (config/localsvc.c): its endpoints are
	 * the workloads: that name it; vips as written ("network/IP"), shown
	 * by config_dump (agentgateway routes by endpoint, not by VIP). */
	bool local;
	struct sg_strs vips;
	const struct sg_node *at;
};

/* A standalone workloads: entry (agentgateway's LocalWorkload): an
 * endpoint of each service it names, at its first address, on the port
 * its map gives for the service port (else the service's target port). */
struct sg_port_pair {
	uint16_t port, target;
};

struct sg_workload_svc {
	const char *ns, *hostname; /* written "ns/hostname" */
	struct sg_port_pair *ports;
	size_t nports, capports;
};

struct sg_workload {
	const char *uid, *name, *ns;
	const char *hostname; /* the endpoint's address when it has no IP */
	struct sg_strs ips;   /* workloadIps as written */
	bool unhealthy;	      /* status: Unhealthy (no traffic) */
	uint32_t capacity;    /* 1 (0: no traffic) */
	struct sg_workload_svc *svcs;
	size_t nsvcs, capsvcs;
	const struct sg_node *at;
};

/* A service a policy calls (an authorizer, a rate limit service, a trace
 * collector): its "addr:port" as written, or an AgentgatewayPolicy's
 * backendRef to a Service, which config/k8s.c resolves from ref_at to the
 * Service's first endpoint for svc_port. */
struct sg_policy_service {
	const char *host;	      /* "addr:port", or name.ns.svc.cluster.local:port */
	struct sg_endpoint ep;	      /* where the calls go */
	const struct sg_service *svc; /* the backendRef's Service (NULL: host) */
	uint16_t svc_port;
	const struct sg_node *ref_at; /* the backendRef (NULL: host) */
	bool unresolved;	      /* it named no endpoint: every call fails */
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

/* ---- route filters (HTTPRoute filters, agentgateway route policies) --- */

/* A header name and value as the config wrote them (case kept). */
struct sg_header_kv {
	const char *name;
	const char *value;
};

struct sg_header_kvs {
	struct sg_header_kv *v;
	size_t n, cap;
};

/* requestHeaderModifier / responseHeaderModifier. Applied as agentgateway
 * does: add (a new field line, existing ones kept), then set (replaces every
 * line of that name), then remove; names case-insensitive. The Kubernetes
 * dialect keeps the first of entries whose names are equal (Gateway API)
 * and merges a rule's several modifiers of one side into one. */
struct sg_hdrmod {
	struct sg_header_kvs add, set;
	struct sg_strs remove;
};

/* agentgateway's HostRedirect: {"full": "h:p"} | {"host": h} | {"port": p}
 * | "auto" | "none". */
enum sg_authority_kind {
	SG_AUTHORITY_UNSET, /* not given: the request's authority */
	SG_AUTHORITY_FULL,
	SG_AUTHORITY_HOST,
	SG_AUTHORITY_PORT,
	SG_AUTHORITY_AUTO,
	SG_AUTHORITY_NONE,
};

struct sg_authority {
	enum sg_authority_kind kind;
	const char *value; /* FULL, HOST */
	uint16_t port;	   /* PORT */
};

/* agentgateway's PathRedirect: {"full": p} | {"prefix": p}. */
enum sg_pathmod_kind {
	SG_PATHMOD_UNSET,
	SG_PATHMOD_FULL,
	SG_PATHMOD_PREFIX, /* replaces the matched PathPrefix */
};

struct sg_pathmod {
	enum sg_pathmod_kind kind;
	const char *value; /* Kubernetes: trailing '/' trimmed, as agentgateway */
};

struct sg_redirect {
	const char *scheme; /* "http", "https", NULL = the request's */
	struct sg_authority authority;
	struct sg_pathmod path;
	uint16_t status; /* 0 = not given (302 at run time, not dumped) */
};

struct sg_rewrite {
	struct sg_authority authority;
	struct sg_pathmod path;
};

struct sg_transform_side;
struct sg_direct {
	uint16_t status;
	const char *body; /* bytes as configured (dumped base64); may be NULL */
	size_t body_len;
	/* agentgateway's conditional form: this answer is made when
	 * `condition` (CEL) is true, else `next` is tried; a request no entry
	 * takes is forwarded. condition NULL: always (the fallback). */
	const struct sg_cel *condition;
	const struct sg_direct *next;
	bool conditional; /* written as conditional: (config_dump's shape) */
	/* bodyExpression: the body from CEL over the request (a string or
	 * bytes as they are, anything else as JSON); NULL: body. headers:
	 * response lines set from CEL (its `set`); NULL: none. */
	const struct sg_cel *body_expr;
	const struct sg_transform_side *headers;
};

/* delay (fault injection): the latency added before a request is forwarded
 * or answered by the route, from a CEL expression giving a duration or a
 * number of milliseconds (a duration as written is compiled as
 * duration("..."), as agentgateway does); not positive: none. */
struct sg_delay {
	const struct sg_cel *duration;
};

/* A copy of the request sent to `backend` for a `percentage` (0..1) of
 * requests; its answer is discarded. The backend is resolved like a
 * route's (eps filled). */
struct sg_mirror {
	struct sg_backend_ref *backend;
	double percentage;
};

struct sg_mirrors {
	struct sg_mirror *v;
	size_t n, cap;
};

struct sg_cors {
	bool allow_credentials;
	struct sg_strs allow_headers, allow_methods, allow_origins, expose_headers;
	sg_dur max_age; /* SG_DUR_UNSET = not given (dumped null) */
};

/* agentgateway's localRateLimit: a token bucket that starts full, gains
 * tokens_per_fill tokens at the end of each fill_interval and holds
 * max_tokens at most. A request takes a token from each limit of its
 * route that counts requests, and without one gets 429 (policy/ratelimit.h).
 * A limit of `tokens` counts an LLM's tokens, which no request here has:
 * it is kept and printed, and limits nothing. */
struct sg_ratelimit {
	uint64_t max_tokens, tokens_per_fill;
	sg_dur fill_interval; /* > 0 */
	bool tokens;	      /* type: tokens (else requests) */
	/* The bucket, shared by every worker: the tokens in it, and when the
	 * next fill is due (CLOCK_MONOTONIC ns; 0: no token taken yet, the
	 * first take starts the clock). A reload carries both over to the
	 * same limit in the new config (sg_ratelimits_carry). */
	_Atomic uint64_t available, refill_at;
};

struct sg_ratelimits {
	struct sg_ratelimit *v;
	size_t n, cap;
};

/* agentgateway's csrf: a request of a method other than GET, HEAD and
 * OPTIONS is refused (403) unless Sec-Fetch-Site says same-origin or none,
 * or (without Sec-Fetch-Site) it has no Origin or its Origin is the
 * target's own "<scheme>://<Host>", or its Origin is one of these. */
struct sg_csrf {
	struct sg_strs additional_origins;
};

/* transformations (config/transform.c): header values from CEL
 * expressions (config/cel.h, owned by the config's cels). Names lowercase. */
struct sg_cel;
struct sg_transform_expr {
	const char *name;
	const struct sg_cel *expr;
};

struct sg_transform_exprs {
	struct sg_transform_expr *v;
	size_t n, cap;
};

struct sg_transform_side {
	bool present;
	struct sg_transform_exprs add, set;
	struct sg_strs remove;
	/* `body`: the body the request gets, from CEL (a string or bytes as
	 * they are, anything else as JSON; an error: empty), after the
	 * header edits; NULL: the body as it came. Request side only. */
	const struct sg_cel *body;
};

struct sg_transform {
	struct sg_transform_side request, response;
};

/* An access log's CEL (frontendPolicies.accessLog, config.logging; config/
 * accesslog.c): which requests leave a line, and the fields added to it
 * (in order; a name the line has is replaced) or removed from it. */
struct sg_log_policy {
	const struct sg_cel *filter; /* NULL: every request */
	struct sg_transform_exprs add;
	struct sg_strs remove;
};

enum sg_log_format {
	SG_LOG_FORMAT_UNSET,
	SG_LOG_FORMAT_TEXT,
	SG_LOG_FORMAT_JSON,
};

/* config.logging: the access log's CEL, the log level and the format. */
struct sg_logging {
	struct sg_log_policy access;
	const char *level; /* error|warn|info|debug; NULL: not given */
	enum sg_log_format format;
};

/* Where and how spans go (config.tracing, frontendPolicies.tracing;
 * config/tracing.c), and which requests are traced. */
enum sg_otlp_protocol {
	SG_OTLP_GRPC,	   /* agentgateway's default */
	SG_OTLP_HTTP,	   /* OTLP/HTTP, protobuf body ("http", "http/protobuf") */
	SG_OTLP_HTTP_JSON, /* OTLP/HTTP, JSON body ("http/json") */
};

/* An OTLP resource attribute (frontendPolicies.tracing.resources): its
 * expression's value, taken once when the config loads, as agentgateway
 * takes it (over no request): a string, an integer (num: value holds its
 * digits), or a bool or double as CEL's string() writes it. */
struct sg_trace_resource {
	const char *name, *value;
	bool num;
	const struct sg_cel *expr; /* what the dump prints */
};

struct sg_tracing {
	/* "http://host:port" (otlpEndpoint), or the policy's host; NULL: a
	 * backendRef (to.ref_at). */
	const char *endpoint;
	struct sg_policy_service to; /* to.host: the Host or :authority sent */
	/* HTTP: the POST's path (otlpEndpoint's own path when it has one,
	 * else `path`, else /v1/traces); gRPC: unused. */
	const char *path;
	enum sg_otlp_protocol protocol;
	/* https://, or a backendTLS policy: the collector is spoken to over
	 * TLS, its certificate checked against backend_tls's settings, or
	 * the system's CAs and the endpoint's host (SNI too) without one. */
	bool tls;
	/* frontendPolicies.tracing.policies.backendTLS as written (NULL:
	 * none), and the one in force: that, else its `backend`'s. */
	const struct sg_backend_tls *policy_tls, *backend_tls;
	/* frontendPolicies.tracing.backend: the top-level backends: entry
	 * named (config/tracing.c resolves it into `to`); NULL: none. */
	const char *backend;
	const struct sg_node *backend_at;
	struct sg_strs headers; /* name, value, name, value... (names lower-case) */
	/* Sampling probabilities in [0, 1]: a request with a valid traceparent
	 * is traced with `client` (default 1), one without with `random`
	 * (default 0). The written forms are kept for the dump (NULL: not
	 * given). */
	double random, client;
	const char *random_text, *client_text;
	/* A sampling given as any other CEL expression, evaluated over the
	 * request's head when it is routed (true or false, or a probability
	 * as an int or double, clamped to [0, 1]; anything else is 0), in
	 * place of the number above; NULL: the number. */
	const struct sg_cel *random_expr, *client_expr;
	/* The resource's attributes besides service.name ("splicegate"
	 * unless one of these names it, as a string). */
	struct sg_trace_resource *resources;
	size_t nresources, capresources;
	bool frontend; /* frontendPolicies.tracing (dumped in its shape) */
	/* fields (config.tracing) or attributes and remove (the frontend
	 * policy): the server span's attributes added from CEL, and its own
	 * attributes removed by name; the frontend policy's `filter`: a
	 * trace whose ended request it does not hold for is not exported. */
	struct sg_log_policy fields;
};

/* A standalone top-level backends: entry (agentgateway's FullLocalBackend,
 * its host form), which frontendPolicies.tracing's `backend` names: where
 * it is and its policies.backendTLS, the one policy a collector's
 * connection takes (config/tracing.c). */
struct sg_named_backend {
	const char *name;
	struct sg_policy_service to;
	const struct sg_backend_tls *tls; /* NULL: none */
	const struct sg_node *at;
};

/* agentgateway's RuleSet (authorization, networkAuthorization): CEL rules,
 * compiled at load (config/authz.c; the expressions are the config's
 * cels), decided by policy/authz.c. */
struct sg_authz_rules {
	const struct sg_cel **v;
	size_t n, cap;
};

struct sg_authz {
	struct sg_authz_rules allow, deny, require;
};

/* ---- who is calling: authentication policies ------------------------- */

/* agentgateway's modes of jwtAuth (and apiKey, basicAuth): optional (its
 * default) checks a credential when there is one; strict wants one;
 * permissive lets a request with a bad one pass, unauthenticated. */
enum sg_auth_mode {
	SG_AUTH_OPTIONAL,
	SG_AUTH_STRICT,
	SG_AUTH_PERMISSIVE,
};

/* agentgateway's AuthorizationLocation: where the credential is read
 * (and what is stripped before the backend). */
enum sg_cred_where {
	SG_CRED_HEADER, /* name, prefix (NULL: the whole value) */
	SG_CRED_QUERY,	/* a query parameter called name */
	SG_CRED_COOKIE, /* a cookie called name */
};

struct sg_cred_location {
	enum sg_cred_where where;
	const char *name;   /* header names lower-case */
	const char *prefix; /* SG_CRED_HEADER; matched case-insensitively */
};

/* What user/ builds of a config object once, before the config is in
 * force (a JWKS's keys), and releases with it: p, by release(p).
 * Arena-allocated beside its object, which stays const. */
struct sg_cfg_rt {
	void *p;
	void (*release)(void *p);
	bool listed; /* in its config's list (config/resolve.c) */
};

/* Claims a provider wants present (jwtValidationOptions.requiredClaims). */
enum {
	SG_JWT_CLAIM_EXP = 1 << 0,
	SG_JWT_CLAIM_NBF = 1 << 1,
	SG_JWT_CLAIM_AUD = 1 << 2,
	SG_JWT_CLAIM_ISS = 1 << 3,
	SG_JWT_CLAIM_SUB = 1 << 4,
};

/* One trusted issuer: its `iss`, the audiences one of which `aud` must
 * name (none: aud is not checked), the JWKS text (inline, or a file's
 * read at load) or its URL, and the claims it requires (default exp). */
struct sg_jwt_provider {
	const char *issuer;
	struct sg_strs audiences;
	const char *jwks;
	size_t jwks_len;
	const char *jwks_file; /* NULL: inline */
	/* {url}: fetched and refreshed by the gateway (jwks NULL). */
	const char *jwks_url;
	/* The refresh period when the answer names none (an AgentgatewayPolicy's
	 * cacheDuration); 0: agentgateway's 15 min. */
	int64_t jwks_refresh_ms;
	unsigned required; /* SG_JWT_CLAIM_* */
	const struct sg_node *at;
};

/* agentgateway's jwtAuth (LocalJwtConfig): `issuer`, `audiences`, `jwks`
 * and `jwtValidationOptions` at its top (single) or a list of
 * `providers` (multi), with `mode` and `location`. rt: the providers'
 * keys, as user/auth/jwt.c compiles them. */
struct sg_jwt_auth {
	enum sg_auth_mode mode;
	struct sg_cred_location location;
	bool multi;
	struct sg_jwt_provider *providers;
	size_t nproviders, capproviders;
	struct sg_cfg_rt *rt;
	const struct sg_node *at;
};

/* One key agentgateway's apiKey accepts: inline (key) or as the hex of its
 * SHA-256 (keyHash "sha256:<hex>", decoded into hash), with the metadata a
 * request that presents it carries (a node of the config; NULL: none). */
struct sg_api_key {
	const char *key; /* NULL: given as keyHash */
	uint8_t hash[32];
	const struct sg_node *metadata;
};

/* agentgateway's apiKey (LocalAPIKeys): keys, mode, location. rt: every
 * key's SHA-256, as user/auth/apikey.c computes them. */
struct sg_api_keys {
	enum sg_auth_mode mode;
	struct sg_cred_location location;
	struct sg_api_key *v;
	size_t n, cap;
	struct sg_cfg_rt *rt;
	const struct sg_node *at;
};

/* agentgateway's basicAuth (LocalBasicAuth): an htpasswd text (inline, or a
 * file's read at load), the realm of the challenge (NULL: "Restricted"),
 * the mode (strict or optional), where the credentials are. rt: the users
 * and their hashes, as user/auth/htpasswd.c parses them. */
struct sg_basic_auth {
	const char *htpasswd;
	size_t htpasswd_len;
	const char *htpasswd_file; /* NULL: inline */
	const char *realm;
	enum sg_auth_mode mode;
	struct sg_cred_location location;
	struct sg_cfg_rt *rt;
	const struct sg_node *at;
};

/* agentgateway's oidc (LocalOidcConfig): a browser's request without a
 * session is sent to log in at the provider (the authorization-code flow
 * with PKCE, state and nonce); the provider sends it back to redirectURI,
 * whose code the gateway exchanges for an ID token; the token, verified,
 * becomes the session, an encrypted cookie. The provider's endpoints and
 * keys come from discovery (the issuer's, or `discovery`), or are given
 * explicitly (authorizationEndpoint, tokenEndpoint and jwks together). */
enum sg_oidc_client_auth {
	SG_OIDC_SECRET_BASIC, /* clientSecretBasic */
	SG_OIDC_SECRET_POST,  /* clientSecretPost */
};

struct sg_oidc {
	const char *issuer;
	/* discovery: an {url} (NULL: the issuer's well-known document) or
	 * the document itself, inline or a {file}'s (read at load) */
	const char *discovery_url;
	const char *discovery;
	size_t discovery_len;
	/* The explicit mode's (NULL: discovered): both, with the jwks. */
	const char *authorization_endpoint, *token_endpoint;
	bool explicit_auth; /* tokenEndpointAuth given */
	enum sg_oidc_client_auth client_auth;
	const char *client_id, *client_secret;
	const char *redirect_uri;  /* as written */
	const char *callback_path; /* its path, where the provider sends the browser back */
	bool https;		   /* its scheme's: the cookies are Secure */
	const char *scope;	   /* "openid" and the scopes, once each, space-separated */
	/* Which route's it is ("route/" and the key of the first route that
	 * has it, set when the config resolves; NULL: no route has it): its
	 * cookies' names derive from it. */
	const char *policy_id;
	/* The ID token's verifier: a jwtAuth of one provider (the issuer,
	 * audience clientId, the jwks given or discovered), strict. Its
	 * provider is the explicit jwks's, or, in discovery mode, has none
	 * until discovery named jwks_uri (nproviders 0 before). */
	struct sg_jwt_auth validator;
	struct sg_jwt_provider provider;
	/* What user/ prepared: the endpoints discovered, the cookie key. */
	struct sg_cfg_rt *rt;
	const struct sg_node *at;
};

/* agentgateway's mcpAuthentication (LocalMcpAuthentication): the MCP
 * authorization spec's resource server. A token is checked as a jwtAuth of
 * one provider (its issuer, audiences, jwks, jwtValidationOptions, mode
 * default strict, authorizationLocation); a request without a valid one
 * gets 401 with a `WWW-Authenticate: Bearer resource_metadata=...` that
 * names the protected-resource metadata (RFC 9728) the gateway serves
 * under /.well-known/oauth-protected-resource. A provider adapts an
 * authorization server that does not follow the spec: the gateway serves
 * (fetched and rewritten) authorization-server metadata and proxies client
 * registration (user/core/mcpauthn.h). */
enum sg_mcp_idp {
	SG_MCP_IDP_NONE,
	SG_MCP_IDP_AUTH0,
	SG_MCP_IDP_KEYCLOAK,
	SG_MCP_IDP_OKTA,
	SG_MCP_IDP_DESCOPE,
	SG_MCP_IDP_AUTHENTIK,
	SG_MCP_IDP_ENTRA,
};

struct sg_mcp_authn {
	const char *issuer;
	struct sg_strs audiences;
	enum sg_mcp_idp provider;
	/* resourceMetadata as written (a map, printed and served from it);
	 * its `resource` when that is a string, else NULL. */
	const struct sg_node *metadata;
	const char *resource;
	const char *client_id, *client_secret; /* NULL: not given */
	/* The token's verifier: one provider (jwks as given, or the URL the
	 * issuer and provider derive), mode and authorizationLocation. */
	struct sg_jwt_auth jwt;
	struct sg_jwt_provider jwt_provider;
	const struct sg_node *at;
};

/* agentgateway's backendAuth (BackendAuth): credentials the gateway puts
 * on the request each try's backend gets, at a location (default the
 * authorization header with prefix "Bearer "): the caller's own verified
 * JWT (passthrough), a configured key, and further credentials each at
 * its own location. */
enum sg_backend_auth_kind {
	SG_BACKEND_AUTH_NONE,	     /* credentials only */
	SG_BACKEND_AUTH_PASSTHROUGH, /* the token jwtAuth (or oidc) verified, if any */
	SG_BACKEND_AUTH_KEY,
	SG_BACKEND_AUTH_JWT_SIGN,	/* a JWT the gateway signs for each try (jwtSign) */
	SG_BACKEND_AUTH_TOKEN_EXCHANGE, /* a token a token endpoint gives for the caller's */
};

/* jwtSign's algorithms (agentgateway's JwtSigningAlg). */
enum sg_jws_alg {
	SG_JWS_RS256, /* the default */
	SG_JWS_RS384,
	SG_JWS_RS512,
	SG_JWS_PS256,
	SG_JWS_ES256,
	SG_JWS_ES384,
};

/* backendAuth jwtSign: a short-lived JWT signed with key_pem for each try
 * (user/auth/jwtsign.c, which parses the key before the config goes in
 * force: rt), its claims the configured ones (a JSON object's members,
 * keys in order, no iat, exp or nbf) with iat (10 s back) and exp (iat's
 * now + ttl) added. */
struct sg_jwt_sign {
	const char *key_pem; /* PEM, inline or read from its file */
	size_t key_len;
	enum sg_jws_alg alg;
	const char *kid;    /* NULL: none */
	const char *claims; /* the JSON object's members, no braces; "": none */
	sg_dur ttl;	    /* SG_DUR_UNSET: 300 s */
	struct sg_cfg_rt *rt;
	const struct sg_node *at;
};

struct sg_backend_cred {
	struct sg_cred_location location;
	const char *value; /* NULL: passthrough's */
	bool explicit_location;
};

/* extAuthz's cache (ExtAuthz.cache, AgentgatewayPolicy extAuth.cache):
 * the service's answers kept per key, the values of `key`'s expressions
 * over the request, for as long as `ttl` says (a duration, a timestamp,
 * or seconds since the Unix epoch; a plain duration in the config is
 * compiled as duration("...")). `rt` holds the entries (user/core/
 * authzcache.c), shared by the workers, released with the config; the
 * token exchange's cache is one too, without key or ttl. */
struct sg_ext_authz_cache {
	const struct sg_cel **key;
	size_t nkey, capkey;
	const struct sg_cel *ttl;
	uint32_t max_entries; /* 10000 when not given */
	struct sg_cfg_rt *rt;
};

/* backendAuth oauthTokenExchange (agentgateway's OAuthTokenExchangeAuth):
 * before a try, the caller's token (subject, read from its location) is
 * traded at a token endpoint for one the backend takes, by RFC 8693's
 * token exchange or RFC 7523's jwt-bearer grant; answers are kept in a
 * cache (user/core/tokenx.c). */
enum sg_tokenx_grant {
	SG_TOKENX_EXCHANGE,   /* tokenExchange: subject_token (the default) */
	SG_TOKENX_JWT_BEARER, /* jwtBearer: assertion */
};

enum sg_tokenx_client {
	SG_TOKENX_CLIENT_NONE,	/* no client authentication */
	SG_TOKENX_CLIENT_BASIC, /* clientSecretBasic: Authorization: Basic */
	SG_TOKENX_CLIENT_POST,	/* clientSecretPost: client_id, client_secret in the form */
};

struct sg_token_exchange {
	struct sg_policy_service to; /* the token endpoint: "addr:port" (443: https) */
	const char *path;	     /* "" : "/" */
	sg_dur timeout;		     /* policies.http.requestTimeout; 10 s */
	enum sg_tokenx_grant grant;
	struct sg_cred_location subject; /* default: authorization, "Bearer " */
	const char *subject_type;	 /* a token type URN */
	bool subject_given;		 /* subjectToken written (for the dump) */
	bool actor;			 /* actorToken given */
	struct sg_cred_location actor_at;
	const char *actor_type;
	struct sg_strs audiences, scopes, resources;
	const char *requested_type; /* NULL: not sent */
	enum sg_tokenx_client client;
	const char *client_id, *client_secret; /* secret NULL: post without one */
	/* additionalParams: form fields whose values are CEL over the
	 * request (strings), in key order. */
	struct sg_transform_exprs params;
	struct sg_cred_location out; /* authorizationLocation */
	/* cache: maxEntries 0 turns it off (no cache.rt); default_ttl when the
	 * endpoint gives no expires_in. */
	struct sg_ext_authz_cache cache;
	bool cache_off;
	sg_dur default_ttl;
	const struct sg_node *at;
};

struct sg_backend_auth {
	enum sg_backend_auth_kind kind;
	bool legacy; /* written {key: VALUE}, agentgateway's older shape */
	struct sg_backend_cred main;
	struct sg_backend_cred *creds;
	size_t ncreds, capcreds;
	const struct sg_jwt_sign *sign;		  /* SG_BACKEND_AUTH_JWT_SIGN */
	const struct sg_token_exchange *exchange; /* SG_BACKEND_AUTH_TOKEN_EXCHANGE */
	const struct sg_node *at;
};

/* agentgateway's extAuthz (ExtAuthz): an authorization service at `host`
 * asked about each request, over gRPC (envoy.service.auth.v3.Authorization/
 * Check, h2c) or HTTP/1.1, before the request goes to its backend. */
enum sg_ext_authz_failure {
	SG_EXT_AUTHZ_DENY,   /* the service cannot decide: 403 */
	SG_EXT_AUTHZ_ALLOW,  /* ... the request passes */
	SG_EXT_AUTHZ_STATUS, /* ... answered deny_status */
};

struct sg_ext_authz {
	struct sg_policy_service to;
	bool http; /* protocol http, else grpc */
	/* http: the check request's path, the redirect for a 401 or 403,
	 * its body (instead of the request's), and headers added to it (as
	 * `set`; a pseudo-header name such as ":method" sets that part of
	 * the check request, agentgateway's HeaderOrPseudo); NULL or empty:
	 * none. */
	const struct sg_cel *path, *redirect, *body_expr;
	bool url_path; /* path came from an AgentgatewayPolicy's url */
	struct sg_transform_side add_headers;
	/* metadata (an AgentgatewayPolicy's http.responseMetadata or
	 * grpc.requestMetadata): http's, each name's expression over the
	 * request and the service's allowing answer (response.code,
	 * .headers, .body), CEL's `extauthz` after it; grpc's, over the
	 * request, the Check call's metadata_context.filter_metadata; n 0:
	 * none. */
	struct sg_transform_exprs metadata;
	/* host "unix:/path": the service listens on that unix socket (to.ep
	 * is {path, 0}; its Host is the socket file's name, as agentgateway's
	 * Target::UnixSocket). */
	bool unix_socket;
	const struct sg_ext_authz_cache *cache; /* NULL: every request is asked about */
	struct sg_strs context;			/* grpc.context: key, value, key, value... */
	struct sg_strs headers;	 /* includeRequestHeaders, lower-case (n 0: the default) */
	struct sg_strs response; /* http.includeResponseHeaders, lower-case */
	bool body;		 /* includeRequestBody given */
	uint32_t body_max;	 /* its maxRequestBytes (0 in config: 8192) */
	bool body_partial;	 /* allowPartialMessage */
	bool body_raw;		 /* packAsBytes */
	enum sg_ext_authz_failure failure;
	uint16_t deny_status;
	sg_dur timeout; /* policies.http.requestTimeout, default 2s */
	const struct sg_node *at;
};

/* agentgateway's remoteRateLimit (RemoteRateLimit) and AgentgatewayPolicy
 * traffic.rateLimit.global: a rate limit service at `host` asked over
 * gRPC (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit, h2c)
 * whether each request is over a limit, with descriptors whose values are
 * CEL expressions over the request. */
struct sg_rl_entry {
	const char *key;
	const struct sg_cel *value; /* must give a string */
};

struct sg_rl_descriptor {
	struct sg_rl_entry *entries;
	size_t n, cap;
};

struct sg_remote_rl {
	const char *domain;
	struct sg_policy_service to;
	struct sg_rl_descriptor *d;
	size_t nd, capd;
	bool fail_open; /* failureMode failOpen; else failClosed: 500 */
	sg_dur timeout; /* policies.http.requestTimeout, default 2s */
	const struct sg_node *at;
};

enum sg_filter_kind {
	SG_FILTER_REQUEST_HEADERS,
	SG_FILTER_RESPONSE_HEADERS,
	SG_FILTER_REDIRECT,
	SG_FILTER_REWRITE,
	SG_FILTER_MIRROR,
	SG_FILTER_DIRECT,
	SG_FILTER_CORS,
	SG_FILTER_CSRF, /* route policies, not Gateway API filters */
	SG_FILTER_LOCAL_RATE_LIMIT,
	SG_FILTER_TRANSFORM,
	SG_FILTER_JWT,		     /* jwtAuth, a route policy */
	SG_FILTER_API_KEY,	     /* apiKey, a route policy */
	SG_FILTER_BASIC,	     /* basicAuth, a route policy */
	SG_FILTER_OIDC,		     /* oidc, a route policy */
	SG_FILTER_EXT_AUTHZ,	     /* extAuthz, a route policy */
	SG_FILTER_AUTHZ,	     /* authorization, a route policy */
	SG_FILTER_REMOTE_RATE_LIMIT, /* remoteRateLimit, a route policy */
	SG_FILTER_DELAY,	     /* delay, a route policy */
	SG_FILTER_A2A,		     /* a2a, a route policy */
	SG_FILTER_BACKEND_AUTH,	     /* backendAuth, a route or backend policy */
	SG_FILTER_MCP_AUTHZ,	     /* mcpAuthorization, a route or backend policy */
	SG_FILTER_MCP_AUTHN,	     /* mcpAuthentication, a route policy */
	SG_FILTER_KINDS,
};

/* The filters of a route (all kinds) or of one of its backends (header
 * modifiers, redirect, mirrors). NULL / 0 = not configured. */
struct sg_filters {
	const struct sg_hdrmod *request_headers, *response_headers;
	const struct sg_redirect *redirect;
	const struct sg_rewrite *rewrite;
	struct sg_mirrors mirrors;
	const struct sg_direct *direct;
	const struct sg_cors *cors;
	const struct sg_ratelimits *ratelimits; /* NULL = none */
	const struct sg_csrf *csrf;
	const struct sg_transform *transform;
	const struct sg_jwt_auth *jwt;	      /* NULL = none */
	const struct sg_api_keys *apikeys;    /* NULL = none */
	const struct sg_basic_auth *basic;    /* NULL = none */
	const struct sg_oidc *oidc;	      /* NULL = none */
	const struct sg_ext_authz *ext_authz; /* NULL = none */
	const struct sg_authz *authz;	      /* NULL = none */
	const struct sg_authz *mcp_authz;     /* mcpAuthorization; NULL = none */
	const struct sg_mcp_authn *mcp_authn; /* mcpAuthentication; NULL = none */
	const struct sg_remote_rl *remote_rl; /* NULL = none */
	const struct sg_delay *delay;	      /* NULL = none */
	/* The backend's credentials: a backend's own, else its route's. */
	const struct sg_backend_auth *backend_auth;
	/* agentgateway's a2a policy (user/core/a2a.h): agent cards rewritten,
	 * calls logged. */
	bool a2a;
	/* The config has an oidc policy: every route's requests lose their
	 * agw_oidc_ cookies (the sealed sessions, bearer credentials for the
	 * routes that have it), as agentgateway strips them on every route. */
	bool oidc_cookies;
	/* The order config_dump lists them in `inlinePolicies`, before
	 * timeout and retry, as agentgateway does: its fixed order in the
	 * standalone dialect, its HTTPRoute translation order in Kubernetes
	 * (filters.order[0..norder) are enum sg_filter_kind values). */
	uint8_t order[SG_FILTER_KINDS];
	uint8_t norder;
};

enum sg_bref_kind {
	SG_BREF_HOST,	 /* "addr:port" from the standalone dialect */
	SG_BREF_SERVICE, /* a Service port */
	SG_BREF_INVALID, /* a Kubernetes backendRef that does not resolve:
			  * its share of the weight gets 500 (Gateway API) */
	SG_BREF_MCP,	 /* agentgateway's `mcp` backend: the gateway serves MCP */
	SG_BREF_DYNAMIC, /* agentgateway's `dynamic` TCP backend: the connection's
			  * SNI at its destination port, no endpoint here */
	SG_BREF_GROUP,	 /* agentgateway's `routeGroup`: the request is routed
			  * again among a route group's routes (no endpoint) */
};

/* One target of an `mcp` backend: a child process spoken to over its
 * stdin and stdout, an MCP server over streamable HTTP or over the
 * legacy HTTP+SSE transport (`sse`), or an HTTP API an OpenAPI document
 * describes (`openapi`), whose operations are its tools. */
enum sg_mcp_kind {
	SG_MCP_STDIO,
	SG_MCP_HTTP,
	SG_MCP_SSE,
	SG_MCP_OPENAPI,
};

/* One operation of an `openapi` target's document, made a tool as
 * agentgateway makes it (config/openapiconf.h). */
struct sg_openapi_tool {
	const char *name;   /* its operationId */
	const char *json;   /* the tool as tools/list shows it: {name, title?,
			     * description, inputSchema}, compact JSON */
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* the path template as written ("/pet/{petId}") */
	/* its header parameters' names, as written: the only headers a call
	 * may set */
	struct sg_strs headers;
	bool octet; /* its body is application/octet-stream (base64 in the call) */
};

struct sg_mcp_target {
	const char *name; /* [A-Za-z0-9_-]+, unique in its backend */
	enum sg_mcp_kind kind;
	/* stdio: the program (looked up in PATH as execvp does), its
	 * arguments, the environment added ("NAME=value"), clearEnv. */
	const char *cmd;
	struct sg_strs args, env;
	bool clear_env;
	/* mcp, sse: where, and the request path ("/" when the URI has none;
	 * an sse target's is its event stream's). */
	const char *host; /* as written */
	const char *addr; /* the address part, brackets removed */
	uint16_t port;
	const char *path;
	bool tls; /* an https:// URI */
	/* mcp, sse: the target's `policies` (agentgateway's
	 * SimpleLocalBackendPolicies, of which these two are taken): TLS
	 * with these settings whatever the URI's scheme, and credentials on
	 * each of its requests (key and credentials kinds). NULL: none. */
	const struct sg_backend_tls *backend_tls;
	const struct sg_backend_auth *backend_auth;
	/* openapi: its document's operations, and the path of its one server
	 * URL that prefixes theirs ("" none). host, addr, port and tls as an
	 * mcp target's (its path unused). */
	const struct sg_openapi_tool *tools;
	size_t ntools;
	const char *api_prefix;
	const struct sg_node *at;
};

/* agentgateway's `mcp` backend (LocalMcpBackend). */
struct sg_mcp_backend {
	struct sg_mcp_target *targets;
	size_t n, cap;
	bool stateless;	    /* statefulMode: stateless */
	bool prefix_always; /* prefixMode: always (else conditional) */
	bool prefix_set;    /* prefixMode written */
	bool fail_open;	    /* failureMode: failOpen */
	bool fail_set;	    /* failureMode written */
	bool dns_rebinding; /* dnsRebindingProtection */
};

/* Whether m's names reach its clients as "<target>_<name>": with more than
 * one target, or prefixMode always (agentgateway's rule). */
static inline bool sg_mcp_prefixed(const struct sg_mcp_backend *m)
{
	return m->prefix_always || m->n > 1;
}

/* A route's backend with what the data path needs, resolved at load. */
struct sg_backend_ref {
	enum sg_bref_kind kind;
	uint32_t weight;
	const char *host;		       /* SG_BREF_HOST: as written */
	const struct sg_service *svc;	       /* SG_BREF_SERVICE */
	uint16_t port;			       /* service port, or the host's port */
	const struct sg_backend_http *http;    /* inline policy, NULL = none */
	const struct sg_backend_tcp *tcp;      /* inline policy, NULL = none */
	const struct sg_health_policy *health; /* inline policy, NULL = none */
	const struct sg_backend_tls *tls;      /* inline backendTLS, NULL = none */
	const struct sg_mcp_backend *mcp;      /* SG_BREF_MCP */
	/* SG_BREF_HOST and SG_BREF_DYNAMIC of a standalone route:
	 * agentgateway's name for it, "<route key>/backend<i>" (config_dump's
	 * backends, policies' backend targets); NULL: other kinds. */
	const char *name;
	/* Its a2a: its own, else a policy's aimed at it (config/resolve.c). */
	bool eff_a2a;
	/* SG_BREF_GROUP: the group's name as written, and its routes as this
	 * backend reaches them (config/resolve.c copies the group's routes
	 * for each delegating backend, their policies resolved through the
	 * routes that delegate; policy/route.h sg_route_follow). */
	const char *group;
	struct sg_route *sub;
	size_t nsub;
	struct sg_endpoint *eps; /* where to connect */
	size_t neps, capeps;
	/* Effective, filled by policy/ resolve. */
	sg_dur eff_connect_timeout;
	struct sg_keepalive eff_keepalive;
	sg_dur eff_request_timeout; /* backend http.requestTimeout or SG_DUR_UNSET */
	bool h2c;		    /* its Service port's appProtocol is kubernetes.io/h2c */
	bool eff_h2;		    /* spoken to in HTTP/2 (h2c, prior knowledge) */
	/* The Host a request that came without one is forwarded with: `host`
	 * as written, or the Service's "hostname:port"; NULL: none (an
	 * invalid backendRef). In the config's arena. */
	const char *eff_authority;
	/* The inline health policy, else an AgentgatewayPolicy's; NULL: none
	 * (endpoints are scored, never evicted). */
	const struct sg_health_policy *eff_health;
	/* The inline backendTLS, else a BackendTLSPolicy's or an
	 * AgentgatewayPolicy's; NULL: plain TCP. HTTP routes, and the routes
	 * of a TLS listener that terminates (sg_listener_terminates_tls). */
	const struct sg_backend_tls *eff_tls;
	/* Its own backendAuth, else an AgentgatewayPolicy's backend.auth on
	 * its Service; NULL: its route's, if any. */
	const struct sg_backend_auth *eff_backend_auth;
	/* backendRef filters / backend policies: header modifiers, redirect,
	 * mirrors (applied after the route's, for the try this backend
	 * serves). */
	struct sg_filters filters;
	/* What a try applies: `filters`, with the kinds they lack from a
	 * standalone policy aimed at this backend (config/resolve.c); NULL
	 * until resolved (sg_bref_filters). */
	const struct sg_filters *eff_filters;
	const struct sg_node *at;
};

/* The filters a try to br applies (sg_backend_ref.eff_filters). */
static inline const struct sg_filters *sg_bref_filters(const struct sg_backend_ref *br)
{
	return br->eff_filters ? br->eff_filters : &br->filters;
}

/* Session persistence of a route (Gateway API sessionPersistence on an
 * HTTPRoute or GRPCRoute rule; the standalone route policy of the same
 * name): the response names the endpoint that served it in a cookie or a
 * header, and later requests naming it go there while it stays in the
 * route's endpoint set and is not evicted (policy/session.h). One per
 * rule, shared by the routes made from it. */
#define SG_SESSION_PATH_MAX 1024
enum sg_session_kind {
	SG_SESSION_COOKIE,
	SG_SESSION_HEADER,
};

struct sg_session {
	enum sg_session_kind kind;
	/* The cookie's or header's name: as written, else one made from
	 * the rule's identity (a unique name, as Gateway API asks). */
	const char *name;
	bool name_set;	  /* written in the config */
	const char *path; /* the cookie's Path: as written (SG_SESSION_PATH_MAX bytes
			   * at most, Gateway API's bound), default "/" */
	/* absoluteTimeout, idleTimeout; SG_DUR_UNSET or 0: none. */
	sg_dur absolute, idle;
	bool permanent; /* cookie lifetimeType Permanent: Max-Age is `absolute` */
	const struct sg_node *at;
};

/* One route: in the Kubernetes dialect, one (rule, match, listener) of an
 * HTTPRoute; in the standalone dialect, one route of a listener. */
struct sg_route {
	const char *key;
	const char *name, *ns;
	const char *rule_name;	     /* NULL when the rule has none */
	const char *hr_ns, *hr_name; /* the HTTPRoute or GRPCRoute, for policy targets */
	unsigned hr_kind;	     /* which: SG_KIND_HTTPROUTE or SG_KIND_GRPCROUTE */
	/* When its resource was created: 0 loaded from files, k applied k-th
	 * (Gateway API's creationTimestamp, for ties between routes). */
	unsigned era;
	struct sg_strs hostnames;
	struct sg_match *matches;
	size_t nmatches, capmatches;
	struct sg_brefs backends;
	/* Inline policies (HTTPRoute timeouts/retry, standalone policies). */
	bool has_timeout, has_retry;
	struct sg_timeout timeout;
	struct sg_retry retry;
	struct sg_filters filters;
	/* Standalone route-level backendTLS: every backend without its own
	 * takes it (sg_backend_ref.tls) when the route is read. NULL: none. */
	const struct sg_backend_tls *backend_tls;
	/* Session persistence; NULL: none (the request path pays one branch). */
	const struct sg_session *session;
	/* A backend is a routeGroup (config/resolve.c): the request draws a
	 * backend when it is routed (sg_route_follow); false: one branch. */
	bool delegates;
	/* A route group's copy: the route that delegated to it; NULL: a
	 * listener's route (or a group's own, as written). */
	const struct sg_route *parent;
	/* What its plan waits for (sg_transform_defer), 0: nothing.
	 * SG_ROUTE_DEFER_BODY: the body, held whole up to maxBufferSize
	 * (an expression reads request.body, or a transformation replaces
	 * it); SG_ROUTE_DEFER_AUTHZ: its extAuthz's verdict, before the
	 * filters that follow it in agentgateway's order (authorization on;
	 * every route with an extAuthz). SG_ROUTE_DEFER_RESP_BODY: not the
	 * plan but its response, held whole up to maxBufferSize before it
	 * goes to the client (a response transformation reads response.body
	 * or replaces the body). */
	uint8_t defer;
	/* Effective, filled by policy/ resolve. */
	struct sg_filters eff_filters; /* inline ones, else AgentgatewayPolicy's */
	struct sg_timeout eff_timeout;
	const struct sg_retry *eff_retry; /* NULL = no retries */
	const struct sg_node *at;
};

#define SG_ROUTE_DEFER_BODY 1u
#define SG_ROUTE_DEFER_AUTHZ 2u
#define SG_ROUTE_DEFER_RESP_BODY 4u
/* Its responses held for its listener's access log (SG_ROUTE_HOLD_LOG) or
 * tracing fields (SG_ROUTE_HOLD_TRACE) that read response.body: held as
 * for SG_ROUTE_DEFER_RESP_BODY, their body kept until the line is
 * written. */
#define SG_ROUTE_HOLD_LOG 8u
#define SG_ROUTE_HOLD_TRACE 16u
#define SG_ROUTE_HOLD_RESP (SG_ROUTE_DEFER_RESP_BODY | SG_ROUTE_HOLD_LOG | SG_ROUTE_HOLD_TRACE)
/* The response head the client got kept for its listener's access log
 * (SG_ROUTE_HEAD_LOG) or tracing fields (SG_ROUTE_HEAD_TRACE) that read
 * response.headers, until the line is written. */
#define SG_ROUTE_HEAD_LOG 32u
#define SG_ROUTE_HEAD_TRACE 64u
/* Its listener's access log or tracing fields read request.body: while
 * the line is written (or the request traced) its request body is held
 * as for SG_ROUTE_DEFER_BODY, and kept until the line is written. */
#define SG_ROUTE_LOG_REQ_BODY 128u

/* A route of a TCP listener (TCPRoute, standalone tcpRoutes) or of a TLS
 * passthrough listener (TLSRoute, standalone tcpRoutes with hostnames). */
struct sg_tcp_route {
	const char *key;
	const char *name, *ns;
	unsigned era; /* as sg_route's */
	bool k8s;     /* a TCPRoute or TLSRoute: ties go by era, then ns/name */
	/* SNI names it serves (exact or "*.suffix"), TLS listeners only; none:
	 * any name the listener takes. */
	struct sg_strs hostnames;
	struct sg_brefs backends;
	const struct sg_node *at;
};

/* A standalone routeGroups: entry (agentgateway's LocalRouteGroup): HTTP
 * routes that a route delegates to with a backend `routeGroup: NAME`.
 * These routes are the group's as written (config_dump lists them); the
 * request path uses the copies each delegating backend holds
 * (sg_backend_ref.sub). */
/* How many routeGroup backends one request may pass through, and how
 * many routes the copies of all groups may add up to (config/resolve.c):
 * bounds on a config, which is refused past them. */
#define SG_ROUTE_GROUP_DEPTH 16
#define SG_ROUTE_GROUP_COPIES 65536
struct sg_route_group {
	const char *name;
	const char *key; /* "routegroup/NAME": its routes' keys start with it */
	struct sg_route *routes;
	size_t nroutes, caproutes;
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
#define SG_KIND_TLSROUTE 4u
#define SG_KIND_GRPCROUTE 8u /* an HTTP or HTTPS listener's, beside HTTPRoute */

struct sg_listener {
	const char *key;
	const char *gw_name, *gw_ns;
	/* The ListenerSet (kind ListenerSet or XListenerSet) it comes from,
	 * attached to Gateway gw_ns/gw_name; NULL: the Gateway's own. */
	const char *ls_kind, *ls_ns, *ls_name;
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
	const struct sg_frontend_tcp *ftcp;	/* NULL = keepalive not set */
	const struct sg_frontend_tls *ftls;	/* never NULL after resolve */
	const struct sg_frontend_proxy *fproxy; /* NULL = no PROXY header */
	/* The access log's filter and fields (its accessLog policy over
	 * config.logging's, piece by piece); NULL: neither has any. */
	const struct sg_log_policy *access;
	const struct sg_authz *netauthz; /* NULL = no networkAuthorization */
	/* The gateway phase's policies (PreRouting: cors, oidc, jwt, basic,
	 * apikeys, ext_authz, authz), run on each request before its route is
	 * chosen; NULL: none (resolve). With an ext_authz, gw_filters holds
	 * what runs before the service is asked (its authz NULL), and
	 * gw_after the authorization that runs on its verdict; else gw_after
	 * is NULL. */
	const struct sg_filters *gw_filters, *gw_after;
	/* Its requests' tracing (frontendPolicies.tracing, else
	 * config.tracing); NULL: not traced. */
	const struct sg_tracing *tracing;
	/* HTTPS listeners, TLS ones in mode Terminate; NULL otherwise */
	const struct sg_tls_cert *tls;
	/* An HTTPS listener whose certificateRefs do not resolve: its
	 * ResolvedRefs False reason and message (tls is NULL then, and the
	 * listener serves nothing). NULL = resolved. */
	const char *tls_reason, *tls_message;
	/* The client CAs of its Gateway's spec.tls.frontend validation
	 * (Kubernetes): none resolved (tls_reason says why, tls is NULL:
	 * Accepted False, NoValidCACertificate), or some did not (ca_reason
	 * and ca_message: ResolvedRefs False, the others serve). */
	bool no_valid_ca;
	const char *ca_reason, *ca_message;
	/* What its connections to the backends of a BackendTLSPolicy present
	 * (its Gateway's spec.tls.backend.clientCertificateRef: cert_pem and
	 * key_pem, or `invalid` when that does not resolve); NULL: nothing. */
	const struct sg_backend_tls *backend_client;
	/* allowedRoutes (Kubernetes dialect; standalone listeners allow all
	 * their inline routes). */
	enum sg_from from;
	const struct sg_node *selector; /* LabelSelector, SG_FROM_SELECTOR */
	unsigned kinds;			/* SG_KIND_* the listener accepts */
	bool invalid_kinds;		/* allowedRoutes.kinds named one it cannot */
	/* Gateway listeners on one port with the same hostname are
	 * indistinct (Gateway API: Conflicted, HostnameConflict): none of
	 * them takes routes, requests or connections. A ListenerSet's
	 * listener loses to one before it in precedence (the Gateway's,
	 * then older ListenerSets'), which keeps serving. */
	bool conflicted;
	uint32_t attached_routes; /* route resources attached (status) */
	const struct sg_node *at;
};

struct sg_bind {
	const char *key; /* "bind/<port>" */
	uint16_t port;
	enum sg_proto proto;
	/* tunnelProtocol: connect (an egress proxy, no listeners): each
	 * request is a CONNECT whose connection then enters the bind of the
	 * port it names. */
	bool connect;
	/* mode: internal: no socket; reached only through a CONNECT bind. */
	bool internal;
	struct sg_listener *listeners;
	size_t nlisteners, caplisteners;
	/* The admission bounds of its listeners' frontend policies, the
	 * smallest where they differ (resolve; a connection is counted before
	 * its listener is known). 0: none. */
	uint32_t max_connections, max_requests;
	/* The PROXY protocol its listeners expect, read before anything else
	 * (the strictest where they differ: resolve). versions 0: none. */
	struct sg_frontend_proxy proxy;
	/* networkAuthorization, decided at accept: the first of its
	 * listeners' (resolve; the standalone dialect gives one to all). */
	const struct sg_authz *netauthz;
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
	sg_dur drain_timeout;		  /* connectionTerminationDeadline */
	const struct sg_logging *logging; /* NULL: config.logging not given */
	const struct sg_tracing *tracing; /* NULL: config.tracing not given */
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
	const char *kind; /* Gateway, ListenerSet, XListenerSet (policies: their target's) */
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
	/* A ListenerSet its Gateway does not take (Accepted and Programmed
	 * False: NotAllowed, ParentNotAccepted); reason NULL when it is
	 * attached: its listeners then say the rest. */
	struct sg_condition detached;
	/* A Gateway's spec.tls: ResolvedRefs of its backend client
	 * certificate, InsecureFrontendValidationMode where a validation
	 * allows insecure fallback; type NULL: not shown. */
	struct sg_condition gw_resolved, gw_insecure;
};

/* A Kubernetes resource's identity. In cfg->resources also its document
 * (in the config's arena) and status; NULL elsewhere. */
struct sg_res_id {
	const char *kind, *ns, *name;
	/* A deleted one (sg_cfg_input.deleted): the change number of its
	 * deletion. Its documents in sources of a lower era (and in files)
	 * are left out; one applied after is a new resource. */
	unsigned before;
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
	/* An applied body's change number (the store's, from 1: the era its
	 * new resources are created in, sg_route.era; deletions' `before`
	 * count the same way); 0 for a file. */
	unsigned era;
	/* The namespace of its resources that name none (apply -n), owned;
	 * NULL: "default". */
	char *ns;
};

/* What a config is built from: sources in order, where a resource in a
 * source at index >= replace_from replaces an earlier one of the same
 * identity (apply), while duplicates before it are errors (files); and
 * resources removed by delete. */
struct sg_cfg_input {
	const struct sg_source *srcs;
	size_t nsrcs;
	size_t replace_from;
	/* sorted by sg_res_id_cmp: looked up once a document */
	const struct sg_res_id *deleted;
	size_t ndeleted;
};

/* A Gateway's spec.tls.backend client certificate as its Secret gives it
 * (config/k8s.c lists those whose PEM blocks are there):
 * sg_tls_vet_secrets loads each and, when it does not load or its key is
 * not its certificate's, makes the Gateway's ResolvedRefs False (the
 * connections that present it fail all the same). */
struct sg_gw_client {
	const struct sg_backend_tls *t;
	struct sg_condition *resolved; /* the Gateway's, in its status */
	const struct sg_node *at;      /* its clientCertificateRef */
	const char *gw_ns, *gw_name;
	const char *secret; /* "ns/name" */
};

/* A Gateway listener taken for its status alone: it serves nothing. */
struct sg_bad_listener {
	const char *gw_ns, *gw_name, *name;
	/* "UnsupportedProtocol" (a protocol other than HTTP, HTTPS, TCP and
	 * TLS): not accepted; or "ProtocolConflict" (its port is another
	 * protocol's). */
	const char *reason, *message;
	const char *ls_kind, *ls_ns, *ls_name; /* as sg_listener's */
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
	struct sg_workload *workloads; /* standalone workloads: */
	size_t nworkloads, capworkloads;
	struct sg_named_backend *named_backends; /* standalone backends: */
	size_t nnamed_backends, capnamed_backends;
	struct sg_route_group *groups; /* standalone routeGroups: */
	size_t ngroups, capgroups;
	struct sg_frontend_http default_fhttp;
	struct sg_frontend_tls default_ftls;
	/* The Kubernetes resources in force, in load order. */
	struct sg_res_id *resources;
	size_t nresources, capresources;
	struct sg_bad_listener *bad_listeners;
	size_t nbad_listeners, capbad_listeners;
	/* Every compiled regex of the tree (owned; the arena holds the
	 * regex_t, regfree runs in sg_cfg_free). */
	void **regexes;
	size_t nregexes, capregexes;
	/* Every compiled CEL expression (owned, sg_cel_free in sg_cfg_free). */
	struct sg_cel **cels;
	size_t ncels, capcels;
	/* Every jwtAuth of the tree (config/resolve.c lists them): user/
	 * compiles their keys before the config goes in force (their rt,
	 * released in sg_cfg_free). */
	const struct sg_jwt_auth **jwts;
	size_t njwts, capjwts;
	/* Every apiKey of the tree, as jwts (user/auth/apikey.c). */
	const struct sg_api_keys **apikeys;
	size_t napikeys, capapikeys;
	/* Every basicAuth of the tree, as jwts (user/auth/htpasswd.c). */
	const struct sg_basic_auth **basics;
	size_t nbasics, capbasics;
	/* Every extAuthz cache, as parsed (config/extauthz.c lists them):
	 * user/auth/authzcache.c makes their stores (rt). */
	const struct sg_ext_authz_cache **authz_caches;
	size_t nauthz_caches, capauthz_caches;
	/* Every oidc of the tree, as parsed (config/oidcconf.c lists them, its
	 * routes name them: config/resolve.c); user/core/oidcflow.c prepares them
	 * (their ID token verifiers are in jwts). */
	struct sg_oidc **oidcs;
	size_t noidcs, capoidcs;
	/* Every backendAuth jwtSign, as parsed (config/backendauth.c lists
	 * them): user/auth/jwtsign.c parses their keys (rt). */
	const struct sg_jwt_sign **signers;
	size_t nsigners, capsigners;
	/* Every standalone backendTLS with a root or client certificate file
	 * (config/tlsconf.c lists them): sg_tls_check loads them before the
	 * config goes in force. */
	const struct sg_backend_tls **btls_files;
	size_t nbtls_files, capbtls_files;
	/* Every Gateway's backend client certificate, as above. */
	struct sg_gw_client *gw_clients;
	size_t ngw_clients, capgw_clients;
};

/* Release cfg and everything it holds (NULL is fine). */
void sg_cfg_free(struct sg_cfg *cfg);
/* Shared ownership across worker threads: a loaded config starts with one
 * reference; the last unref frees it. */
struct sg_cfg *sg_cfg_ref(struct sg_cfg *cfg);
void sg_cfg_unref(struct sg_cfg *cfg);

/* A listener protocol as the config spells it: "HTTP", "TCP", "TLS". */
const char *sg_proto_name(enum sg_proto proto);

/* Whether l is a TLS listener in mode Terminate: it has a certificate, or
 * one that did not resolve (it then serves nothing; never passthrough). */
static inline bool sg_listener_terminates_tls(const struct sg_listener *l)
{
	return l->proto == SG_PROTO_TLS && (l->tls || l->tls_reason);
}

/* The route kind SG_KIND_* as the Gateway API names it ("TLSRoute"). */
const char *sg_route_kind_name(unsigned kind);

/* "httproute.gateway.networking.k8s.io" for kind HTTPRoute, as kubectl
 * names resources. */
const char *sg_res_type(const char *kind);

/* Resources' identities by kind, then namespace, then name (strcmp's
 * order). */
int sg_res_id_cmp(const struct sg_res_id *a, const struct sg_res_id *b);

#endif
