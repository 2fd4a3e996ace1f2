/* What every client connection of a worker shares, whichever protocol it
 * speaks (user/http1/proxy.c: HTTP/1, user/http2/h2proxy.c: HTTP/2,
 * user/tcp/tcpconn.c: TCP routes): the
 * worker's context (loop, backend pool, config in force, counters, engine
 * choice, limits) and the access log line each request leaves. */
#ifndef SG_FRONTEND_H
#define SG_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "policy/failure.h"
#include "user/core/a2a.h"
#include "user/core/filter.h"
#include "user/codec/h1.h"
#include "user/base/list.h"
#include "user/base/loop.h"
#include "user/core/mirror.h"
#include "user/relay/engine.h"
#include "user/relay/relay.h"
#include "user/base/slab.h"
#include "user/relay/sockmap.h"
#include "user/core/admit.h"
#include "user/core/srclimit.h"
#include "user/core/stats.h"
#include "user/core/backend.h"
#include "user/core/attempt.h"
#include "user/core/h2backend.h"
#include "user/core/celreq.h"

struct client;
struct h2conn;

enum sg_access_log {
	SG_ACCESS_LOG_TEXT, /* agentgateway-like key=value line */
	SG_ACCESS_LOG_JSON,
	SG_ACCESS_LOG_OFF,
};

/* How the gateway was started, the same for every worker. */
struct sg_frontend_opts {
	enum sg_relay_engine engine; /* for response bodies of 64 KiB and more */
	enum sg_relay_engine upload; /* for request bodies of 64 KiB and more */
	enum sg_relay_engine tunnel; /* for TCP routes and tunnels (101, CONNECT) */
	/* auto: a tunnel starts on `tunnel` (the copy engine) and moves into the
	 * socket map once its traffic looks interactive (user/tcp/tunnel.c). */
	bool tunnel_promote;
	/* auto: a bulk body (SG_RELAY_BUF_MAX or more, plain sockets) starts
	 * on `engine` or `upload` (copy) and is spliced while its worker is
	 * saturated (user/relay/relay.h, `adapt`); so is a tunnel over plain sockets
	 * until it moves into the socket map. */
	bool relays_adapt;
	enum sg_access_log access_log;
	bool access_log_fixed; /* --access-log was given: config.logging does not change it */
	/* A tunnel with no byte moving either way for this long is closed; 0:
	 * never. Spliced bytes count by the kernel's last-activity stamps. */
	uint64_t tunnel_idle_ms;
	/* A request head whose first byte came this long ago and is still
	 * incomplete is answered 408 (slowloris); 0: never. */
	uint64_t head_timeout_ms;
	/* A request in flight whose body (either way) moved no byte for this
	 * long is cut: 408 when nothing was answered yet, else both sides
	 * closed. Spliced bytes count by the kernel's stamps; 0: never. */
	uint64_t body_idle_ms;
	/* HTTP/2 backends' PING keepalive interval and ack timeout (ms; 0
	 * interval: none). */
	uint64_t backend_ping_ms, backend_pong_ms;
	/* Backend connections older than this take no more requests; 0: no
	 * limit. */
	uint64_t backend_max_age_ms;
	/* Open client connections per address (shared by every worker); NULL:
	 * no limit. */
	struct sg_srclimit *srclimit;
	/* HTTP/2 streams reset before their answer, per address over
	 * SG_H2P_SOURCE_RESET_WINDOW_MS (shared by every worker); NULL: not
	 * counted per address. */
	struct sg_srcrate *resets;
	/* Request bodies held for routes' expressions, in KiB per address
	 * (shared by every worker; user/core/request.c); NULL: not bounded. */
	struct sg_srclimit *held;
	unsigned held_max; /* ... in maxBufferSizes (--held-bodies-per-source) */
	/* Connections and requests per port (shared by every worker); NULL:
	 * none counted, none refused. */
	struct sg_admit *admit;
	/* Each worker's loop keeps polling until this long after its last
	 * event before it blocks (sg_loop_set_busy_poll); 0: never. */
	uint64_t busy_poll_ns;
	/* Each worker's loop naps this long before a wait that would block,
	 * while busy (sg_loop_set_coalesce); 0: never. */
	uint64_t coalesce_ns;
};

/* What a worker gives its client connections. Owned by the worker. */
struct sg_jwt_cache;

struct sg_request;

/* A service the gateway is itself for a route's backend (agentgateway's
 * `mcp` backend: user/mcp/mcp.h), set by the wiring: core/ reaches it
 * only through this. serve takes a request routed to such a backend
 * whose body is whole in hand and answers it later with
 * sg_request_answer; it returns the call, which cancel ends (the request
 * is over first: no answer follows), or NULL when it answered already. */
struct sg_request_service {
	void *(*serve)(void *arg, struct sg_request *r);
	void (*cancel)(void *call);
	void *arg;
};

struct sg_frontend {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_h2b_pool *h2pool; /* HTTP/2 backends' shared connections */
	struct sg_pages *pages;	    /* HTTP/2 sessions' arenas (user/codec/h2.h) */
	struct sg_cfg *cfg;	    /* in force for new connections (a reference) */
	/* The engines of bodies and tunnels (struct sg_frontend_opts's
	 * engine, upload, tunnel and relays_adapt) and the kernel path
	 * (kmap, NULL without BPF), as every relay's setup takes them. */
	struct sg_relay_engines relays;
	bool tunnel_promote;	      /* see struct sg_frontend_opts */
	uint64_t tunnel_idle_ms;      /* see struct sg_frontend_opts */
	uint64_t head_timeout_ms;     /* see struct sg_frontend_opts */
	uint64_t body_idle_ms;	      /* see struct sg_frontend_opts */
	struct sg_srclimit *srclimit; /* see struct sg_frontend_opts */
	struct sg_srcrate *resets;    /* see struct sg_frontend_opts */
	struct sg_srclimit *held;     /* see struct sg_frontend_opts */
	unsigned held_max;	      /* see struct sg_frontend_opts */
	struct sg_admit *admit;	      /* see struct sg_frontend_opts */
	uint64_t rng;		      /* xorshift state for endpoint choice */
	struct sg_list clients;	      /* HTTP/1 clients (user/http1/proxy.c); sg_list_init it */
	struct sg_slab client_mem;    /* where they live (zeroed: empty; sg_slab_release) */
	struct sg_list tcpconns;      /* TCP route clients (user/tcp/tcpconn.c); sg_list_init it */
	struct sg_slab tcpconn_mem;   /* where they live (as client_mem) */
	struct sg_list h2conns;	      /* HTTP/2 clients (user/http2/h2proxy.c); sg_list_init it */
	struct sg_slab h2conn_mem;    /* where they live (as client_mem) */
	struct sg_slab h2session_mem; /* and their sessions' structs (user/codec/h2.h) */
	struct sg_list handshakes;    /* HTTPS clients in their TLS handshake (tlsterm.c) */
	struct sg_list hellos;	      /* TLS passthrough clients before their route
					 * (user/tlspass.c); sg_list_init it */
	struct sg_list prefaces;      /* clients before their PROXY protocol header
					 * (user/core/preface.c); sg_list_init it */
	/* The destinations PROXY protocol headers named, by their
	 * connection's fd (user/core/preface.c); NULL: none yet. */
	struct sg_preface_dst *pp_dsts;
	size_t npp_dsts;
	struct sg_stats *stats;		/* the worker's counters */
	unsigned rl_calls;		/* remoteRateLimit calls under way (user/core/rlcall.c) */
	struct sg_mirroring *mirroring; /* RequestMirror copies; NULL: none are sent */
	struct sg_tracer *tracer;	/* spans' export (user/core/trace.h); NULL: none */
	struct sg_jwt_cache *jwt_cache; /* verified tokens (user/auth/jwt.h); NULL: none yet */
	struct sg_request_service mcp;	/* serve NULL: no MCP here (answered 503) */
	/* A tunnelProtocol: connect bind's client, its CONNECT to `port`
	 * answered 200: `fd` (owned by the callee, closed when no bind takes
	 * it), from `peer`, enters the bind of that port as if accepted
	 * there, `port` its destination port. Set by the wiring
	 * (user/worker.c), which knows the binds' sockets and certificates. */
	void (*reenter)(void *arg, int fd, const struct sockaddr_storage *peer, uint16_t port);
	void *reenter_arg;
	bool draining; /* finish what is in flight, keep nothing alive */
	enum sg_access_log access_log;
	/* --access-log was given (or stdout is gone): config.logging's
	 * format and level do not change access_log. */
	bool access_log_fixed;
	/* The access log's time of day, formatted once a second. */
	int64_t log_sec;
	char log_stamp[32];
};

struct sg_celreq_mcp;

/* One request as the access log shows it; NULL names print as "-" (text)
 * or "" (JSON), an empty endpoint as "-" (text). */
struct sg_access_entry {
	const char *listener, *route, *endpoint;
	const char *gw_ns, *gw_name;	    /* the listener's Gateway (NULL: standalone) */
	const char *src;		    /* the client's "ip:port" ("[ip]:port") */
	const char *method, *target, *host; /* not NUL-terminated; host NULL: none */
	size_t method_len, target_len, host_len;
	const char *version; /* NULL: HTTP/1.<minor> */
	uint8_t minor;
	const char *protocol; /* the listener's: HTTP, HTTPS */
	uint16_t status;
	unsigned attempts;
	uint64_t duration_ms, bytes_in, bytes_out;
	enum sg_relay_engine engine;
	/* The gateway's failure, when it answered or cut the request itself:
	 * its name (sg_fail_name) and the text the client was told with its
	 * cause; NULL: none. */
	const char *reason, *error;
	/* A traced request's trace and span ids (32 and 16 hex digits);
	 * NULL: not traced. */
	const char *trace_id, *span_id;
	struct sg_attempt *at;	   /* the request's, for its metrics; NULL: none */
	enum sg_access_log format; /* how the line is written; OFF: none is */
	/* The access log policy's: the fields added (a name the line has is
	 * replaced, at the end of the line) and the names removed. */
	const struct sg_celreq_field *added;
	size_t nadded;
	const struct sg_strs *remove; /* NULL: none */
	/* An MCP call's method, session and what it touched (user/core/
	 * celreq.h), logged as agentgateway's mcp.* and gen_ai.* fields; NULL:
	 * not one. */
	const struct sg_celreq_mcp *mcp;
	/* An a2a route's call (user/core/a2a.h), logged as agentgateway's
	 * a2a.* fields; NULL: not one. */
	const struct sg_a2a_log *a2a;
};

/* The request is over: its metrics are observed (sg_attempt_over on e->at,
 * whether or not lines are logged), then e's line goes to stdout (text or
 * JSON, as e->format says) with one write(2), so lines from several
 * workers never interleave; logging stops for good when stdout is gone.
 * HTTP/1 and HTTP/2 share it. */
void sg_frontend_log(struct sg_frontend *ctx, const struct sg_access_entry *e);

/* How the access log is written for a request under `logging` (its
 * config's; NULL: none): --access-log when given, else config.logging's
 * format, and no line when its level is warn or error (agentgateway's
 * request lines are info). */
enum sg_access_log sg_frontend_log_format(const struct sg_frontend *ctx,
					  const struct sg_logging *logging);

/* The gateway's failure `kind` (err: its cause) answered to a gRPC request
 * (policy/failure.h's sg_grpc_request): a 200 without body whose lines,
 * content-type application/grpc, grpc-status and grpc-message, are
 * edit->add (the bytes live in g), then a local rate limit's x-ratelimit-*
 * lines (`limits`, the plan's; NULL: none). Both frontends write it as
 * their own answers (sg_h1_write_answer, sg_h2head_answer_fields). */
struct sg_grpc_failure {
	struct sg_h1_header add[3 + SG_FILTER_LIMIT_LINES];
	char status[8];
	char msg[768];
};
/* A connection accepted on `bind` from `ip` (its address as text): counted
 * in the per-source table (--max-connections-per-source) and against the
 * bind's maxConnections. True: it may be served, and whoever ends it calls
 * sg_frontend_release once. False: it is over a bound, counted as refused
 * in ctx->stats and held nowhere; the caller closes it unread. */
bool sg_frontend_admit(struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip,
		       uint16_t port);
/* sg_frontend_admit's counts without its networkAuthorization: a
 * connection still waiting for its PROXY protocol header holds a place in
 * the per-source table, as its TCP peer `ip`, and in the bind's
 * maxConnections (user/core/preface.c). True: held, released with
 * sg_frontend_release; false: refused and counted, nothing held. */
bool sg_frontend_hold(struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip);
/* A connection sg_frontend_admit (or sg_frontend_hold) let in on `port`
 * is gone. */
void sg_frontend_release(struct sg_frontend *ctx, uint16_t port, const char *ip);
/* A zeroed object of `size` bytes from `slab` (ctx's client_mem or
 * tcpconn_mem) for a client connection on `fd` that holds the reference
 * `cfg` and, when src_held, the admission hold of `ip` on bind: counted in
 * ctx->stats->active (its close takes it off again). NULL when out of
 * memory: then fd is closed and both holds are released. */
void *sg_frontend_conn_alloc(struct sg_frontend *ctx, struct sg_slab *slab, size_t size,
			     struct sg_cfg *cfg, const struct sg_bind *bind, int fd, const char *ip,
			     bool src_held);
/* A request head is complete on `bind`: true when it is under the bind's
 * maxConcurrentRequests (the caller then calls sg_admit_release(ctx->admit,
 * SG_ADMIT_REQ, port) when the request is over), false when it is to be
 * answered SG_FAIL_OVERLOAD (counted as refused here). */
bool sg_frontend_admit_request(struct sg_frontend *ctx, const struct sg_bind *bind);

/* Unmaps the slabs the worker's connections live in (client_mem,
 * tcpconn_mem, h2conn_mem, h2session_mem), once each is empty: how many
 * objects are still out (0: all four released; a slab with some is left
 * mapped). */
size_t sg_frontend_release_mem(struct sg_frontend *ctx);

/* Route request `req` (HTTP/1, or an HTTP/2 stream's head as HTTP/1) that
 * came on `bind`: *listener by its Host (NULL: none, and no route), then
 * its route (NULL: none, and *why says the answer: SG_FAIL_NO_ROUTE, or
 * SG_FAIL_MISDIRECTED when the connection's TLS handshake chose listener
 * `sni_listener` (a key; NULL: not TLS) and the Host is another's), *match
 * the rule that chose it. A route with routeGroup backends is followed
 * to the route that serves the request (sg_route_follow, drawing from
 * *rng). A CONNECT's authority-form target and OPTIONS * have no path:
 * routes see "/". */
const struct sg_route *sg_frontend_route(const struct sg_bind *bind, const struct sg_h1_req *req,
					 const char *sni_listener,
					 const struct sg_listener **listener,
					 const struct sg_match **match, uint64_t *rng,
					 enum sg_fail *why);

/* The gRPC answer to failure `kind` (cause: its text's end, NULL: err's
 * socket error as sg_fail_cause says it). */
void sg_grpc_failure(enum sg_fail kind, int err, const char *cause,
		     const struct sg_filter_limits *limits, struct sg_grpc_failure *g,
		     struct sg_h1_edit *edit);

#endif
