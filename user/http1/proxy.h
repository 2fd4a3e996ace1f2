/* Client connections on HTTP listeners: HTTP/1.1 proxying with routing,
 * request and per-try timeouts, retries, backend pooling; a connection's
 * tunnel after a 101 or a CONNECT. (A TCP listener's connections are
 * user/tcp/tcpconn.h's.) */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "user/core/frontend.h"

/* Take ownership of an accepted, non-blocking socket `fd` on HTTP bind `bind`, from
 * `peer` (as accept4() gave it). On failure the socket is closed. The
 * listener set TCP_NODELAY, which the socket inherits. */
void sg_proxy_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		     const struct sockaddr_storage *peer);
/* Take an HTTPS connection whose handshake user/tlsterm.c completed (ALPN
 * chose HTTP/1.1, or nothing): fd and its session `tls`, a reference to
 * `cfg` (which bind belongs to), the admission hold (sg_frontend_admit)
 * when src_held; all
 * owned here afterwards. `born`: when the client connected (loop ms), for
 * the idle timeout. Served as any HTTP/1 connection, bodies by copy. `from`:
 * the handshake's io, whose interest in fd the connection takes over
 * (sg_io_adopt). */
struct sg_tls;
void sg_proxy_accept_tls(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
			 int fd, struct sg_tls *tls, const char *ip, uint16_t port, bool src_held,
			 uint64_t born, struct sg_io *from);
/* Graceful drain: idle keep-alive connections close now, busy ones after
 * their response; ctx->stats->active reaches 0 when all are done. */
void sg_proxy_drain(struct sg_frontend *ctx);
/* Close every client connection of ctx (at shutdown). */
void sg_proxy_close_all(struct sg_frontend *ctx);

#endif
