/* HTTP/2 client connections (h2c, by prior knowledge or by an HTTP/1.1
 * "Upgrade: h2c"): every stream is proxied to an HTTP/1.1 backend with the
 * HTTP/1 proxy's routing, timeouts, retries, pool, failure answers, access
 * log and counters; PING keepalive and SETTINGS from the frontend policy. */
#ifndef SG_H2PROXY_H
#define SG_H2PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/codec/h1.h"
#include "user/core/frontend.h"

/* Rapid reset (CVE-2023-44487) across reconnects: an address whose
 * connections reset more than SG_H2P_MAX_SOURCE_RESETS streams before their
 * answer within SG_H2P_SOURCE_RESET_WINDOW_MS has each of its connections
 * sent GOAWAY at its next such reset; SG_H2P_SOURCE_RESET_SOURCES addresses
 * are followed at once (struct sg_frontend.resets). */
#define SG_H2P_SOURCE_RESET_WINDOW_MS 10000
#define SG_H2P_MAX_SOURCE_RESETS 200
#define SG_H2P_SOURCE_RESET_SOURCES 65536

/* Take over client socket `fd` of `bind` (a listener of `cfg`, of which the
 * connection takes a reference) from the HTTP/1 proxy, which found it
 * speaking HTTP/2. in[0..len) are the bytes already read and not consumed:
 * the client preface and what followed, or, when `upgrade` is the request
 * that asked for h2c, whatever came after its head. That request (no body)
 * is answered "101 Switching Protocols" and served as stream 1; its spans
 * are copied before this returns, as are `in` and `ip` (the client's
 * address, for X-Forwarded-For; the connection's admission hold
 * (sg_frontend_admit) is the HTTP/2 connection's to release). `born` is when the client connected
 * (loop milliseconds): the idle timeout of a connection that opens no
 * stream counts from then. `tls`: the session of an HTTPS connection whose
 * ALPN chose h2 (owned here afterwards), NULL for h2c. The connection counts in
 * ctx->stats->active. On failure the socket is closed. `from`: the previous
 * owner's io, whose interest in fd the connection takes over
 * (sg_io_adopt); NULL when none is registered. */
struct sg_tls;
void sg_h2proxy_accept(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		       int fd, struct sg_tls *tls, const char *ip, uint16_t port, const char *in,
		       size_t len, const struct sg_h1_req *upgrade, uint64_t born,
		       struct sg_io *from);

/* Graceful drain: GOAWAY on every HTTP/2 connection of ctx; open streams
 * finish, then each connection closes. */
void sg_h2proxy_drain(struct sg_frontend *ctx);
/* Close every HTTP/2 connection of ctx now (at shutdown). */
void sg_h2proxy_close_all(struct sg_frontend *ctx);

#endif
