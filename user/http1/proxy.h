/* Client connections on HTTP and TCP listeners: HTTP/1.1 proxying with
 * routing, request and per-try timeouts, retries, backend pooling; TCP
 * routes as whole-connection relays. */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "user/core/frontend.h"

/* Take ownership of an accepted, non-blocking socket `fd` on `bind`, from
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
/* Take a TLS connection whose route user/tlspass.c chose by SNI: fd, a
 * reference to `cfg`, which bind, l and r belong to, and, when src_held,
 * the admission hold of `ip` (sg_frontend_admit); all owned here
 * afterwards (released on failure). It connects a backend of r and relays
 * both ways, exactly like a TCP route: in mode Passthrough (tls NULL)
 * from the hello on, still unread in the socket; in mode Terminate the
 * plaintext of session `tls`, whose handshake's io `from` hands its
 * interest in fd over (sg_io_adopt). A dynamic backend of r is `sni` (the
 * hello's name; NULL: none, the connection is closed) at `port`. */
void sg_proxy_tunnel(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		     const struct sg_listener *l, const struct sg_tcp_route *r, int fd,
		     struct sg_tls *tls, struct sg_io *from, const char *ip, bool src_held,
		     const char *sni, uint16_t port);
/* Graceful drain: idle keep-alive connections close now, busy ones after
 * their response; ctx->stats->active reaches 0 when all are done. */
void sg_proxy_drain(struct sg_frontend *ctx);
/* Close every client connection of ctx (at shutdown). */
void sg_proxy_close_all(struct sg_frontend *ctx);

#endif
