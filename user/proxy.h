/* Client connections on HTTP and TCP listeners: HTTP/1.1 proxying with
 * routing, request and per-try timeouts, retries, backend pooling; TCP
 * routes as whole-connection relays. */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "user/loop.h"
#include "user/relay.h"
#include "user/stats.h"
#include "user/upstream.h"
#include "user/srclimit.h"

struct client;
struct h2conn;

enum sg_access_log {
	SG_ACCESS_LOG_TEXT, /* agentgateway-like key=value line */
	SG_ACCESS_LOG_JSON,
	SG_ACCESS_LOG_OFF,
};

/* How the gateway was started, the same for every worker. */
struct sg_proxy_opts {
	enum sg_relay_engine engine; /* for bodies of 64 KiB and more */
	enum sg_relay_engine tunnel; /* for TCP routes and tunnels (101, CONNECT) */
	/* auto: a tunnel starts on `tunnel` (splice(2)) and moves into the
	 * socket map once its traffic looks interactive (user/proxy.c). */
	bool tunnel_promote;
	enum sg_access_log access_log;
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
	/* Open client connections per address (shared by every worker); NULL:
	 * no limit. */
	struct sg_srclimit *srclimit;
};

/* What a worker gives its connections. Owned by the worker. */
struct sg_proxy_ctx {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_cfg *cfg;	      /* in force for new connections (a reference) */
	enum sg_relay_engine engine;  /* for bodies of 64 KiB and more */
	enum sg_relay_engine tunnel;  /* for TCP routes and tunnels (101, CONNECT) */
	bool tunnel_promote;	      /* see struct sg_proxy_opts */
	uint64_t tunnel_idle_ms;      /* see struct sg_proxy_opts */
	uint64_t head_timeout_ms;     /* see struct sg_proxy_opts */
	uint64_t body_idle_ms;	      /* see struct sg_proxy_opts */
	struct sg_srclimit *srclimit; /* see struct sg_proxy_opts */
	struct sg_sockmap *kmap;      /* the kernel path, NULL without BPF */
	uint64_t rng;		      /* xorshift state for endpoint choice */
	struct client *clients;	      /* every open client, for shutdown */
	struct h2conn *h2conns;	      /* HTTP/2 clients (user/h2proxy.c) */
	struct sg_stats *stats;	      /* the worker's counters */
	bool draining;		      /* finish what is in flight, keep nothing alive */
	enum sg_access_log access_log;
};

/* Take ownership of an accepted, non-blocking socket `fd` on `bind`, from
 * `peer` (as accept4() gave it). On failure the socket is closed. The
 * listener set TCP_NODELAY, which the socket inherits. */
void sg_proxy_accept(struct sg_proxy_ctx *ctx, const struct sg_bind *bind, int fd,
		     const struct sockaddr_storage *peer);
/* Graceful drain: idle keep-alive connections close now, busy ones after
 * their response; ctx->stats->active reaches 0 when all are done. */
void sg_proxy_drain(struct sg_proxy_ctx *ctx);
/* Close every client connection of ctx (at shutdown). */
void sg_proxy_close_all(struct sg_proxy_ctx *ctx);

/* One request as the access log shows it; NULL listener/route print as
 * "-" (text) or "" (JSON), an empty endpoint as "-" (text). */
struct sg_access_entry {
	const char *listener, *route, *endpoint;
	const char *method, *target; /* not NUL-terminated */
	size_t method_len, target_len;
	uint16_t status;
	unsigned attempts;
	uint64_t duration_ms, bytes_in, bytes_out;
	enum sg_relay_engine engine;
};

/* Writes e's line to stdout (text or JSON, as ctx->access_log says) with
 * one write(2), so lines from several workers never interleave; stops
 * logging for good when stdout is gone. HTTP/1 and HTTP/2 share it. */
void sg_proxy_access_log(struct sg_proxy_ctx *ctx, const struct sg_access_entry *e);

#endif
