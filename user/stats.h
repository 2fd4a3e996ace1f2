/* Counters for /metrics: each worker owns one struct sg_stats and bumps
 * it on its own thread; the admin thread reads them all when scraped. */
#ifndef SG_STATS_H
#define SG_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "user/splice.h"

enum sg_stat {
	SG_STAT_CONNECTIONS,	   /* client connections accepted */
	SG_STAT_RETRIES,	   /* attempts after the first */
	SG_STAT_TIMEOUT_REQUEST,   /* 504 request timeout */
	SG_STAT_TIMEOUT_BACKEND,   /* per-try timeouts */
	SG_STAT_TIMEOUT_CONNECT,   /* connect timeouts */
	SG_STAT_TIMEOUT_IDLE,	   /* connections closed by http1IdleTimeout */
	SG_STAT_TIMEOUT_H2_PING,   /* h2 connections whose PING went unacked */
	SG_STAT_TIMEOUT_HEAD,	   /* 408: request head not complete in time */
	SG_STAT_TIMEOUT_BODY,	   /* body relays cut: no byte moved in time */
	SG_STAT_REFUSED_SOURCE,	   /* connections over --max-connections-per-source */
	SG_STAT_H2_RESET_FLOOD,	   /* h2 connections closed for resetting too many streams */
	SG_STAT_TLS_NO_SNI,	   /* TLS passthrough: ClientHello without SNI, closed */
	SG_STAT_TLS_NO_ROUTE,	   /* ... SNI that no route takes, closed */
	SG_STAT_TLS_BAD_HELLO,	   /* ... not a (whole) ClientHello, or over 16 KiB, closed */
	SG_STAT_TIMEOUT_TLS_HELLO, /* ... no ClientHello within the timeout, closed */
	SG_STAT_BACKEND_CONNECTS,  /* new backend connections */
	SG_STAT_POOL_REUSE,	   /* requests sent on a pooled connection */
	SG_STAT_BYTES_COPY,	   /* body bytes moved by the copy engine */
	SG_STAT_BYTES_SPLICE,	   /* body bytes moved by splice(2) */
	SG_STAT_BYTES_SOCKMAP,	   /* body bytes moved through the socket map */
	SG_STAT_SOCKMAP_FALLBACKS, /* connections kept in userspace: pairing failed */
	SG_STAT_MIRROR_SENT,	   /* mirror copies written whole (user/mirror.c) */
	SG_STAT_MIRROR_FAILED,	   /* ... whose connect or write failed, or timed out */
	SG_STAT_MIRROR_DROPPED,	   /* ... not sent: over a bound */
	SG_STAT__COUNT,
};

/* One (listener, route, status) request counter; strings owned. */
struct sg_stat_req {
	char *listener, *route;
	uint16_t status;
	uint64_t count;
};

/* Owned by a worker. `counters` are atomics; `reqs` is guarded by `lock`. */
struct sg_stats {
	_Atomic uint64_t counters[SG_STAT__COUNT];
	_Atomic int64_t active; /* open client connections */
	pthread_mutex_t lock;
	struct sg_stat_req *reqs;
	size_t nreqs, capreqs;
};

void sg_stats_init(struct sg_stats *s);
void sg_stats_destroy(struct sg_stats *s);
void sg_stats_add(struct sg_stats *s, enum sg_stat which, uint64_t n);
/* Count one answered request. An allocation failure loses the count, never
 * the request. */
void sg_stats_request(struct sg_stats *s, const char *listener, const char *route, uint16_t status);

/* Prometheus text exposition of several workers' stats plus the gateway's
 * own gauges, malloc'd. */
struct sg_stats_extra {
	uint64_t reloads_ok, reloads_failed;
	unsigned workers;
	const struct sg_splice_counters *verdicts; /* NULL: BPF not in use */
};
char *sg_stats_render(struct sg_stats *const *all, size_t n, const struct sg_stats_extra *x);

#endif
