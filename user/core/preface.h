/* What a connection says before its protocol: the PROXY protocol header a
 * load balancer writes to name the client it forwards (user/codec/
 * proxyproto.h). A bind whose listeners expect one hands each accepted
 * connection here first; the header is consumed and nothing after it, so
 * the ClientHello, the request or a TCP route's bytes are where the next
 * stage looks for them. */
#ifndef SG_CORE_PREFACE_H
#define SG_CORE_PREFACE_H

#include <stdint.h>
#include <sys/socket.h>

#include "user/core/frontend.h"

/* How long a connection may take to send its header: agentgateway's 5 s. */
#define SG_PREFACE_TIMEOUT_MS 5000

/* The connection's next stage: fd, and the client's address (the header's
 * source, or the connection's own peer when the header names none). */
typedef void (*sg_preface_next)(void *owner, uint16_t port, int fd,
				const struct sockaddr_storage *peer);

/* Reads fd's header as bind->proxy asks, then calls next(owner, port, fd,
 * peer). A connection without a valid header in time (or, mode strict,
 * without one at all) is counted, logged at debug and closed; others are
 * unaffected. */
void sg_preface_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		       const struct sockaddr_storage *peer, sg_preface_next next, void *owner);

/* Closes every connection still waiting for its header (drain, exit). */
void sg_preface_close_all(struct sg_frontend *ctx);

/* Where the client's connection on fd arrived, as a request reads it
 * (CEL's destination.*, ext_authz's destination): the destination its
 * PROXY protocol header named, when one did (agentgateway's local_addr),
 * else fd's own address. ctx may be NULL (fd's own). Returns 0, or -1 as
 * sg_net_sock_addr. */
int sg_preface_local_addr(const struct sg_frontend *ctx, int fd, struct sockaddr_storage *ss);

/* Frees what ctx keeps of headers (at the worker's exit, after its
 * connections). */
void sg_preface_free(struct sg_frontend *ctx);

#endif
