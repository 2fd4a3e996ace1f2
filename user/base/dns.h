/* Name lookups off the event loop. getaddrinfo() blocks for as long as the
 * resolver takes (seconds when a name server does not answer), and a worker
 * that blocks stops serving every connection it owns. A worker's lookups
 * go to a thread of its own, started with the first one; the answers come
 * back through an eventfd the worker's loop watches, and each query's
 * callback runs on the loop. The thread does one lookup at a time. */
#ifndef SG_DNS_H
#define SG_DNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "user/base/loop.h"

struct sg_dns;

/* The addresses a name resolved to, in getaddrinfo()'s order (RFC 6724:
 * ::1 before 127.0.0.1 for "localhost" on a stock Debian), at most
 * SG_DNS_MAX_ADDRS of them. */
#define SG_DNS_MAX_ADDRS 4
struct sg_dns_addrs {
	unsigned n;
	socklen_t len[SG_DNS_MAX_ADDRS];
	struct sockaddr_storage ss[SG_DNS_MAX_ADDRS];
};

/* One lookup, owned by the caller, which keeps it alive until its callback
 * has run or it was cancelled. */
struct sg_dns_query {
	char host[256];
	uint16_t port;
	void (*done)(struct sg_dns_query *q); /* on the loop, once */
	void *data;

	/* The answer, valid in done(): err 0 and the addresses (at least
	 * one), or an errno value (SG_FAIL_DNS(..) of policy/failure.h: the name
	 * does not resolve). */
	int err;
	struct sg_dns_addrs addrs;

	struct sg_dns_query *next; /* private */
};

/* getaddrinfo() for a TCP connect to host:port, blocking: the addresses
 * into *out. `flags` adds AI_* flags (AI_NUMERICHOST: IP literals only,
 * which never asks a resolver). Returns 0 (out->n >= 1) or an errno value
 * (SG_FAIL_DNS(EAI_*) of policy/failure.h when host does not resolve). */
int sg_dns_lookup(const char *host, uint16_t port, int flags, struct sg_dns_addrs *out);

/* A resolver for the loop's thread, holding at most `max` lookups at once
 * (queued, under way or answered and not yet handed back; 0: no bound).
 * NULL only when out of memory. */
struct sg_dns *sg_dns_new(struct sg_loop *loop, unsigned max);
/* Queued lookups are dropped (no callback). A lookup under way finishes in
 * its thread, which then exits by itself: this never waits for a name
 * server. */
void sg_dns_free(struct sg_dns *d);

/* Queues q (host and port set, at most 255 bytes of host). Returns 0, or
 * -1 with errno (ENAMETOOLONG; EAGAIN: the resolver holds its `max`
 * lookups; or what starting the thread or the eventfd failed with). */
int sg_dns_query(struct sg_dns *d, struct sg_dns_query *q);
/* q's callback will not run; its memory is the caller's again at once,
 * even while the thread is looking it up. */
void sg_dns_cancel(struct sg_dns *d, struct sg_dns_query *q);

#endif
