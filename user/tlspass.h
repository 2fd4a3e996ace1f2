/* TLS listeners: a connection on a TLS bind waits here for its
 * ClientHello, read with MSG_PEEK only (user/tls/tlshello.c parses it), and is
 * routed by its SNI. On a listener in mode Passthrough the chosen route's
 * connection then goes to user/tcp/tcpconn.c, bytes untouched, exactly as
 * a TCP listener's; on one in mode Terminate its
 * handshake comes first (user/tlsterm.c: the hello is still unread), then
 * the same tunnel with the plaintext. */
#ifndef SG_TLSPASS_H
#define SG_TLSPASS_H

#include <sys/socket.h>

#include "config/cfg.h"
#include "user/core/frontend.h"

/* The ClientHello must be in within this long of the client's connect
 * when --request-head-timeout is 0 (agentgateway's handshakeTimeout
 * default); otherwise that timeout bounds it. */
#define SG_TLSPASS_HELLO_TIMEOUT_MS 15000

/* Take ownership of an accepted, non-blocking socket `fd` on TLS bind
 * `bind` (of ctx->cfg), from `peer`, made to `port` (the bind's own, or
 * the one a CONNECT named: a dynamic backend's destination port); `srv`
 * holds the certificates of the bind's listeners in mode Terminate (NULL:
 * none). It is closed when over
 * --max-connections-per-source, when its ClientHello is malformed, has no
 * SNI (unless a listener in mode Terminate takes any name), names no
 * route, or is not in within the timeout (each counted in /metrics);
 * otherwise it becomes a tunnel to the route's backend. */
struct sg_tls_server;
void sg_tlspass_accept(struct sg_frontend *ctx, struct sg_tls_server *srv,
		       const struct sg_bind *bind, int fd, const struct sockaddr_storage *peer,
		       uint16_t port);

/* Close every connection of ctx still waiting for its ClientHello (at
 * shutdown, or when a drain's grace period ends). */
void sg_tlspass_close_all(struct sg_frontend *ctx);

#endif
