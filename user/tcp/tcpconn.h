/* A TCP route's connection: a client of a TCP listener, or of a TLS
 * listener whose TCPRoute or TLSRoute was chosen by SNI (passed through, or
 * its TLS terminated here), relayed whole to one backend of the route:
 * the backend connected, then bytes both ways (user/tcp/tunnel.h) until
 * each side has closed. */
#ifndef SG_TCPCONN_H
#define SG_TCPCONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "user/base/loop.h"
#include "user/core/frontend.h"

struct sg_tls;

/* Take ownership of an accepted, non-blocking socket `fd` on TCP bind
 * `bind`, from `peer` (as accept4() gave it): admitted (sg_frontend_admit;
 * refused, the socket is closed unread), counted, its listener's TCP
 * keepalives set, then relayed to a backend of the listener's route. On
 * any failure the socket is closed. */
void sg_tcpconn_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		       const struct sockaddr_storage *peer);

/* Take a TLS listener's connection whose route r (NULL: none, the
 * connection is closed) user/tlspass.c chose by SNI: fd, a reference to
 * `cfg` (which bind and r belong to) and, when src_held,
 * the admission hold of `ip` (sg_frontend_admit); all owned here
 * afterwards (released on failure). It connects a backend of r and relays
 * both ways, exactly like a TCP route: in mode Passthrough (tls NULL)
 * from the hello on, still unread in the socket; in mode Terminate
 * (user/tlsterm.c) the plaintext of session `tls`, whose handshake's io
 * `from` hands its interest in fd over (sg_io_adopt). A dynamic backend
 * of r is `sni` (the hello's name; NULL: none, the connection is closed)
 * at `port`. */
void sg_tcpconn_start(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		      const struct sg_tcp_route *r, int fd, struct sg_tls *tls, struct sg_io *from,
		      const char *ip, bool src_held, const char *sni, uint16_t port);

/* Close every TCP route connection of ctx (at shutdown, or when a drain's
 * grace period ran out). A drain alone leaves them be: each has no
 * request to finish, so it runs until its ends close, and counts in
 * ctx->stats->active meanwhile. */
void sg_tcpconn_close_all(struct sg_frontend *ctx);

#endif
