/* The HTTP/2 side of an exchange with a backend (h2c: cleartext, prior
 * knowledge), for every frontend (user/http1/proxy.c, user/http2/h2proxy.c), beside
 * the HTTP/1 one (user/core/h1backend.c). Per worker, requests to one endpoint
 * share a multiplexed connection (a second one opens when the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS is reached); a GOAWAY from the backend
 * drains its connection; idle connections close after poolIdleTimeout.
 *
 * One request is one struct sg_h2b_stream. Its owner (the attempt engine,
 * user/core/attempt.c) is told when the connection is ready for the request and
 * when the try failed before a response head; the response (interim heads,
 * the final head as an HTTP/1 view, body bytes, trailers) goes to the
 * frontend's callbacks. Flow control: the backend's window for a stream
 * reopens only as the frontend reports bytes passed on (sg_h2b_consume),
 * which bounds what a slow client makes the gateway buffer. */
#ifndef SG_H2BACKEND_H
#define SG_H2BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "user/core/backend.h"
#include "user/core/exchange.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "user/base/loop.h"
#include "user/core/stats.h"

struct sg_h2b_pool;
struct sg_h2b_stream;

/* Failures and callbacks: struct sg_exchange_ops (user/core/exchange.h);
 * SG_XFAIL_TLS's cause is sg_h2b_tls_cause. Response body bytes are given
 * back with sg_h2b_consume, and the request body resumed with
 * sg_h2b_resume. */

/* `pages` (the worker's, NULL: none) lends each connection's session its
 * arena (sg_h2_client_new). */
struct sg_h2b_pool *sg_h2b_pool_new(struct sg_loop *loop, struct sg_pool *tcp,
				    struct sg_pages *pages);
/* PING keepalive (off by default): a connection that received nothing for
 * interval_ms is sent a PING, and closed when the ack does not come within
 * timeout_ms (a connection an L4 balancer dropped silently), counted in
 * stats as SG_STAT_TIMEOUT_H2_PING. interval_ms 0: none. */
void sg_h2b_pool_keepalive(struct sg_h2b_pool *p, uint64_t interval_ms, uint64_t timeout_ms,
			   struct sg_stats *stats);
/* Closes every connection; streams still open are failed first. */
void sg_h2b_pool_free(struct sg_h2b_pool *p);
/* Connections open, and streams open on them (for /stats and tests). */
size_t sg_h2b_pool_conns(const struct sg_h2b_pool *p);

/* A stream to endpoint `ep` ("addr:port" in key) on a connection with room,
 * else on a new one (*reused false). *ready: the connection is up, send at
 * once; else ops->ready (or ops->failed) comes later. idle_ms: the
 * connection closes after this long without a stream (0: as soon as it has
 * none). NULL with *err on failure. */
struct sg_tls_client;
struct sg_h2b_stream *sg_h2b_open(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				  const char *key, const struct sg_keepalive *ka, uint64_t idle_ms,
				  const struct sg_exchange_ops *ops, void *data, bool *ready,
				  bool *reused, int *err);
/* The same to a backend spoken to over TLS: a new connection's handshake
 * runs after its connect (client context tc, which the connection holds a
 * reference to; certificate checked against sni) and must choose h2 by
 * ALPN. key must tell the TLS settings apart (user/core/attempt.c adds their
 * hash). */
struct sg_h2b_stream *sg_h2b_open_tls(struct sg_h2b_pool *p, const struct sg_endpoint *ep,
				      const char *key, const struct sg_keepalive *ka,
				      uint64_t idle_ms, struct sg_tls_client *tc, const char *sni,
				      const struct sg_exchange_ops *ops, void *data, bool *ready,
				      bool *reused, int *err);
/* Why stream s failed with SG_XFAIL_TLS ("certificate verify failed: ..."). */
const char *sg_h2b_tls_cause(const struct sg_h2b_stream *s);

/* Send the request: `req` as the gateway writes it to an HTTP/1 backend
 * (edit, client_ip, attempt, extra as in sg_h1_write_request_edit),
 * translated to HTTP/2; body: DATA from ops->body follows. Returns 0 or a
 * negative errno (the stream is unusable: close it). */
int sg_h2b_send(struct sg_h2b_stream *s, const struct sg_h1_req *req, const struct sg_h1_edit *edit,
		const char *client_ip, unsigned attempt, const char *extra, bool body);
/* ops->body has bytes (or the end) again. */
void sg_h2b_resume(struct sg_h2b_stream *s);
/* n response body bytes were passed on: the backend may send that many
 * more, and, for a stream whose window has not grown to its most (256
 * KiB; it starts at 64 KiB), up to `widen` bytes more besides. Returns
 * by how much the window grew. */
size_t sg_h2b_consume(struct sg_h2b_stream *s, size_t n, size_t widen);
/* The owner is done with s: a stream not ended is reset (CANCEL). No
 * callback follows; s is freed. NULL is ignored. */
void sg_h2b_close(struct sg_h2b_stream *s);

#endif
