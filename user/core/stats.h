/* Counters and histograms for /metrics: each worker owns one struct
 * sg_stats and bumps it on its own thread; the admin thread reads them all
 * when scraped. */
#ifndef SG_STATS_H
#define SG_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/failure.h"
#include "user/core/lb.h"
#include "user/relay/relay.h"
#include "user/relay/splice.h"

enum sg_stat {
	SG_STAT_CONNECTIONS,	       /* client connections accepted */
	SG_STAT_RETRIES,	       /* attempts after the first */
	SG_STAT_TIMEOUT_REQUEST,       /* 504 request timeout */
	SG_STAT_TIMEOUT_BACKEND,       /* per-try timeouts */
	SG_STAT_TIMEOUT_CONNECT,       /* connect timeouts */
	SG_STAT_TIMEOUT_IDLE,	       /* connections closed by http1IdleTimeout */
	SG_STAT_TIMEOUT_H2_PING,       /* h2 connections whose PING went unacked */
	SG_STAT_TIMEOUT_HEAD,	       /* 408: request head not complete in time */
	SG_STAT_TIMEOUT_BODY,	       /* body relays cut: no byte moved in time */
	SG_STAT_TIMEOUT_RESPONSE_IDLE, /* ... within the route's responseIdleTimeout */
	SG_STAT_REFUSED_SOURCE,	       /* connections over --max-connections-per-source */
	SG_STAT_REFUSED_MAX_CONN,      /* connections over their bind's maxConnections */
	SG_STAT_REFUSED_NETAUTHZ,      /* connections networkAuthorization refused */
	SG_STAT_REFUSED_MAX_REQ,       /* requests answered 503 over maxConcurrentRequests */
	SG_STAT_H2_RESET_FLOOD,	       /* h2 connections closed for resetting too many streams */
	SG_STAT_H2_FRAME_FLOOD,	       /* ... for frames without progress (PRIORITY, ...) */
	SG_STAT_H2_SLEEPS,	       /* idle h2 sessions put to sleep (sg_h2_sleep) */
	SG_STAT_H2_WAKES,	       /* ... woken by their client again */
	SG_STAT_TLS_NO_SNI,	       /* TLS passthrough: ClientHello without SNI, closed */
	SG_STAT_TLS_NO_ROUTE,	       /* ... SNI that no route takes, closed */
	SG_STAT_TLS_BAD_HELLO,	       /* ... not a (whole) ClientHello, or over 16 KiB, closed */
	SG_STAT_TIMEOUT_TLS_HELLO,     /* ... no ClientHello within the timeout, closed */
	SG_STAT_PROXY_BAD,	       /* PROXY protocol header malformed or missing, closed */
	SG_STAT_TIMEOUT_PROXY,	       /* ... not whole within 5 s, closed */
	SG_STAT_TLS_HANDSHAKES,	       /* HTTPS: handshakes completed */
	SG_STAT_TLS_RESUMED,	       /* ... of which resumed a session (ticket) */
	SG_STAT_TLS_FAILED,	       /* ... failed (bad hello, no certificate for SNI, ...) */
	SG_STAT_TIMEOUT_TLS_HANDSHAKE, /* ... not done within handshakeTimeout */
	SG_STAT_BACKEND_CONNECTS,      /* new backend connections */
	SG_STAT_POOL_REUSE,	       /* requests sent on a pooled connection */
	SG_STAT_BYTES_COPY,	       /* body bytes moved by the copy engine */
	SG_STAT_BYTES_SPLICE,	       /* body bytes moved by splice(2) */
	SG_STAT_BYTES_SOCKMAP,	       /* body bytes moved through the socket map */
	SG_STAT_SOCKMAP_FALLBACKS,     /* connections kept in userspace: pairing failed */
	SG_STAT_MIRROR_SENT,	       /* mirror copies written whole (user/core/mirror.c) */
	SG_STAT_MIRROR_FAILED,	       /* ... whose connect or write failed, or timed out */
	SG_STAT_MIRROR_DROPPED,	       /* ... not sent: over a bound */
	SG_STAT_MIRROR_LOOPED,	       /* ... not sent: the request is a copy itself */
	SG_STAT_MIRROR_LIMITED,	       /* ... not sent: over the mirror's copies a second */
	SG_STAT_SPANS_EXPORTED,	       /* spans a collector took (user/core/trace.c) */
	SG_STAT_SPANS_DROPPED,	       /* ... let go: queue full, or their export failed */
	SG_STAT_TRACE_EXPORT_FAILED,   /* exports that failed (connect, status, timeout) */
	SG_STAT__COUNT,
};

/* Duration histograms, kept per (listener, route) series. Bucket bounds are
 * agentgateway's (its telemetry/metrics.rs), so are the metric names. */
enum sg_hist_kind {
	SG_HIST_REQUEST, /* request head complete -> request over (its log line) */
	SG_HIST_CONNECT, /* backend connect started -> socket writable */
	SG_HIST_ATTEMPT, /* one try: started -> response head, or failed */
	SG_HIST__COUNT,
};

/* Bucket slots: the most finite bounds a histogram has (14), plus +Inf. */
#define SG_HIST_SLOTS 15

/* One histogram. n[i] counts observations in bucket i alone (rendered
 * cumulative); the slot after the last finite bound is +Inf. */
struct sg_hist {
	_Atomic uint64_t n[SG_HIST_SLOTS];
	_Atomic uint64_t sum_ns;
};

/* (listener, route) series a worker keeps; the routes of the config, so
 * bounded, and capped all the same: a pair past the cap (route churn over
 * many reloads) is counted in the overflow series, labelled "_other". */
#define SG_STATS_SERIES 256

/* What one (listener, route) pair has done. Claimed and written by its
 * worker only; `used` is set (release) once the labels are in, and the
 * labels never change after that, so a scrape reads it without a lock. */
enum sg_series_counter {
	SG_SERIES_REQUEST_BYTES,  /* request body bytes, client to backend */
	SG_SERIES_RESPONSE_BYTES, /* response body bytes, backend to client */
	SG_SERIES_RETRIES,	  /* tries after the first, counted when a request is over */
	SG_SERIES__COUNT,
};

struct sg_series {
	_Atomic bool used;
	uint32_t hash;
	char *listener, *route; /* owned; NULL in the overflow series */
	struct sg_hist hist[SG_HIST__COUNT];
	_Atomic uint64_t counters[SG_SERIES__COUNT];
};

/* Counted failure kinds: every enum sg_fail value. */
#define SG_STATS_FAIL_KINDS (SG_FAIL_BODIES_HELD + 1)

/* Request counters kept per worker in its (listener, route, status) table;
 * past this many entries new pairs count as ("_other", "_other"). */
#define SG_STATS_REQS_MAX 4096

/* One (listener, route, status) request counter; strings owned. */
struct sg_stat_req {
	char *listener, *route;
	uint16_t status;
	uint64_t count;
};

/* MCP calls counted per worker by (listener, route, method, resource
 * type, target, name), agentgateway's mcp_requests labels; past this many
 * entries new ones count as all "_other". */
#define SG_STATS_MCP_MAX 512
#define SG_STATS_MCP_LABELS 6

struct sg_stat_mcp {
	char *labels[SG_STATS_MCP_LABELS]; /* owned */
	uint64_t count;
};

/* Owned by a worker. `counters`, `failures`, `requests_active` and the
 * series are atomics with one writer (the worker); `reqs` is guarded by
 * `lock`. */
struct sg_stats {
	_Atomic uint64_t counters[SG_STAT__COUNT];
	_Atomic int64_t active;		 /* open client connections */
	_Atomic int64_t requests_active; /* requests begun and not over */
	/* Tries that ended without a response, and requests given up before
	 * a try could start, by failure kind (user/core/attempt.c). */
	_Atomic uint64_t failures[SG_STATS_FAIL_KINDS];
	pthread_mutex_t lock;
	struct sg_stat_req *reqs;
	size_t nreqs, capreqs;
	struct sg_stat_mcp *mcp; /* guarded by lock too */
	size_t nmcp, capmcp;
	/* Hashed by (listener, route), linear probing; the last one is the
	 * overflow series. */
	struct sg_series series[SG_STATS_SERIES + 1];
	/* The series of the worker's last lookup (not the overflow one),
	 * compared first: a route's requests come in runs, and hashing both
	 * labels for every request was 2 % of a small one's instructions. */
	struct sg_series *last;
};

void sg_stats_init(struct sg_stats *s);
void sg_stats_destroy(struct sg_stats *s);
void sg_stats_add(struct sg_stats *s, enum sg_stat which, uint64_t n);
/* n body or tunnel bytes moved by relay `engine` (SG_STAT_BYTES_COPY, _SPLICE
 * or _SOCKMAP). */
void sg_stats_relayed(struct sg_stats *s, enum sg_relay_engine engine, uint64_t n);
/* Count one answered request. An allocation failure loses the count, never
 * the request. */
void sg_stats_request(struct sg_stats *s, const char *listener, const char *route, uint16_t status);

/* Count one MCP call (agentgateway_mcp_requests_total): its JSON-RPC
 * method (a name from a list the caller keeps, so the label is bounded),
 * what it touched (kind "tool", "prompt", "resource"), the target and the
 * name there; NULL or "": "unknown". An allocation failure loses the
 * count. */
void sg_stats_mcp(struct sg_stats *s, const char *listener, const char *route, const char *method,
		  const char *kind, const char *target, const char *name);

/* The series of (listener, route) in s (NULL counts as ""), claimed on
 * first use with copies of both labels. Only s's worker may call it. When
 * SG_STATS_SERIES pairs are taken, or a copy fails, it is the overflow
 * series. Never NULL; the series lives as long as s. */
struct sg_series *sg_stats_series(struct sg_stats *s, const char *listener, const char *route);
/* One observation of `ns` nanoseconds into se's histogram `h`; no lock, no
 * allocation. Only the owning worker may call it. */
void sg_stats_observe(struct sg_series *se, enum sg_hist_kind h, uint64_t ns);
/* A request of se is over after `ns`: its duration, its body bytes each
 * way and the retries it took. Only the owning worker may call it. */
void sg_stats_request_over(struct sg_series *se, uint64_t ns, uint64_t request_bytes,
			   uint64_t response_bytes, unsigned retries);
/* The active requests gauge moves by `delta` (+1 begun, -1 over). */
void sg_stats_requests_active(struct sg_stats *s, int delta);
/* One failure of `kind` (see struct sg_stats). */
void sg_stats_failure(struct sg_stats *s, enum sg_fail kind);

/* Prometheus text exposition of several workers' stats plus the gateway's
 * own gauges, malloc'd. */
struct sg_stats_extra {
	uint64_t reloads_ok, reloads_failed;
	unsigned workers;
	const char *version; /* splicegate_build_info's; NULL: "unknown" */
	/* The last config change's outcome, and when the last one that went
	 * in force did (s since the epoch). */
	bool reload_last_ok;
	int64_t reload_ok_at;
	const struct sg_splice_counters *verdicts; /* NULL: BPF not in use */
	/* The workers' endpoint state (`workers` of them, NULL entries
	 * skipped), or NULL: passive health evictions. */
	struct sg_lb *const *lbs;
	/* The MCP service's targets (user/mcp/mcpsvc.h), when it ever ran:
	 * processes restarted after they went, and running now. */
	bool mcp;
	uint64_t mcp_restarts, mcp_processes;
};
char *sg_stats_render(struct sg_stats *const *all, size_t n, const struct sg_stats_extra *x);

#endif
