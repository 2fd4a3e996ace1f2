/* Connections in their TLS handshake: the session is set up on the
 * accepted socket (user/tls/tls.c chooses the certificate by SNI), bounded by
 * the frontend TLS policy's handshakeTimeout. An HTTPS connection is then
 * handed to the HTTP/2 frontend when ALPN chose h2 and to the HTTP/1 one
 * otherwise; one on a TLS listener in mode Terminate to the tunnel of the
 * route user/tlspass.c chose, which relays the plaintext. */
#ifndef SG_TLSTERM_H
#define SG_TLSTERM_H

#include <sys/socket.h>

#include "config/cfg.h"
#include "user/core/frontend.h"
#include "user/tls/tls.h"

/* Take ownership of an accepted, non-blocking socket `fd` on HTTPS bind
 * `bind` (of ctx->cfg) served by `srv`, from `peer`. Closed when over
 * --max-connections-per-source, when its handshake fails or does not end
 * within the timeout (each counted in /metrics). */
void sg_tlsterm_accept(struct sg_frontend *ctx, struct sg_tls_server *srv,
		       const struct sg_bind *bind, int fd, const struct sockaddr_storage *peer);

/* Take over `fd`, the config reference `cfg` and the admission hold of
 * `ip` (closed and released on failure): its handshake with `srv` starts
 * now, bounded from `born` (the client's connect, loop ms). `route`, a
 * TLS bind's: the tunnel after it (user/tcp/tcpconn.h), whose dynamic
 * backend is the handshake's SNI at dst_port, where the client connected
 * (as agentgateway's TCP proxy takes it, terminated or not); NULL: HTTPS. */
void sg_tlsterm_adopt(struct sg_frontend *ctx, struct sg_tls_server *srv, struct sg_cfg *cfg,
		      const struct sg_bind *bind, const struct sg_tcp_route *route, int fd,
		      const char *ip, uint16_t port, uint16_t dst_port, uint64_t born);

/* Close every connection of ctx still in its handshake (at shutdown, or
 * when a drain's grace period ends). */
void sg_tlsterm_close_all(struct sg_frontend *ctx);

#endif
