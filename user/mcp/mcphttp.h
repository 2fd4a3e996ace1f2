/* An MCP target over streamable HTTP (MCP 2025-06-18): each message the
 * hub sends it is POSTed (Accept: application/json, text/event-stream)
 * by the gateway's own HTTP client (user/core/jwksfetch.h) on a short
 * thread of its own, and each JSON-RPC message of the answer (the JSON
 * body, or each event of its SSE stream) comes back on the hub's loop.
 * The target's Mcp-Session-Id, from its initialize answer, goes on every
 * later request with the protocol version it agreed; closing the target
 * ends that session with a DELETE. The shape is stdio.h's child: send,
 * a message callback, a gone callback; plus a failed callback, since a
 * POST can fail while the target lives on. */
#ifndef SG_MCP_MCPHTTP_H
#define SG_MCP_MCPHTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/base/loop.h"

struct sg_mcp_http;

/* POSTs in flight to one target at most (more wait, in order), and in
 * the whole process (each one a thread). */
#define SG_MCP_HTTP_PER_TARGET 8
#define SG_MCP_HTTP_THREADS_MAX 128
/* Targets' GET streams open at once in the whole process, at most (each
 * a thread, counted in SG_MCP_HTTP_THREADS_MAX too). */
#define SG_MCP_HTTP_LISTENERS_MAX 64
/* The DELETE that ends a target's session gives up after this. */
#define SG_MCP_HTTP_DELETE_MS 2000

/* Called on the target's loop, never from inside a call of this module's
 * API; the target may be closed from any of them. */
struct sg_mcp_http_ops {
	/* One JSON-RPC message of an answer (at most SG_JSONRPC_MAX bytes,
	 * not NUL-terminated), in the order the target sent them; id: the
	 * request whose POST it answered (0: a notification's or a
	 * response's POST, or the target's GET stream). */
	void (*message)(void *arg, const char *msg, size_t len, uint64_t id);
	/* The POST of request `id` (never 0) failed or its answer held no
	 * response to it: why is "connect 127.0.0.1:3001: Connection
	 * refused", "it answered 500", ... (valid during the call). Told
	 * after the answer's messages, also when one of them was that
	 * response: the owner tells the two apart by its ids. */
	void (*failed)(void *arg, uint64_t id, const char *why);
	/* The target ended its session (404 to its Mcp-Session-Id; an sse
	 * target's stream ended): every later send is refused (-EPIPE), and
	 * no callback follows. why: valid during the call. */
	void (*gone)(void *arg, const char *why);
};

/* A target t (SG_MCP_HTTP) on `loop`: nothing is sent until the first
 * sg_mcp_http_send. An SG_MCP_SSE target (MCP's legacy HTTP+SSE
 * transport) opens its event stream at once: its session, whose first
 * event names where the POSTs go (they wait for it); each POST is only
 * accepted, the answers coming on the stream (ops->message, id 0; a
 * request's failure is then the owner's bound to wait); the stream's end
 * is the target's (ops->gone). Returns 0 with *out the caller's
 * (sg_mcp_http_close), or -ENOMEM. */
int sg_mcp_http_open(struct sg_loop *loop, const struct sg_mcp_target *t,
		     const struct sg_mcp_http_ops *ops, void *arg, struct sg_mcp_http **out);

/* Post msg[0..len) (copied): a request with the hub's id `id` (its
 * answer's messages and, failing, ops->failed(id) follow), or with id 0 a
 * notification or a response, whose POST is answered before any later
 * message is posted (so notifications/initialized reaches the target
 * before the requests after it). `init`: it is initialize (its answer's
 * session id and protocol version are kept). Returns 0; -EPIPE once the
 * target is gone; -ENOBUFS when more than SG_JSONRPC_MAX bytes wait
 * already; -ENOMEM. A POST that cannot start at once (the bounds above)
 * waits its turn. */
int sg_mcp_http_send(struct sg_mcp_http *h, const char *msg, size_t len, uint64_t id, bool init);

/* on: the target's GET stream (messages outside any request, MCP's
 * "listening for messages from the server") is opened and read, each
 * message to ops->message (id 0) as it comes, and opened again a moment
 * after it ends, until off; a target that answers the GET with a 4xx
 * (405: it offers none) is not asked again. Past SG_MCP_HTTP_LISTENERS_MAX
 * it waits its turn. off: it is closed. NULL is fine. */
void sg_mcp_http_listen(struct sg_mcp_http *h, bool on);

/* The target let go: POSTs in flight stopped (their threads end where they
 * wait), those waiting dropped, no callback follows; the target's session,
 * if it gave one, ended with a DELETE (best effort, on a thread of its own,
 * within SG_MCP_HTTP_DELETE_MS). h freed after the loop's dispatch. NULL
 * is fine. */
void sg_mcp_http_close(struct sg_mcp_http *h);

/* Waits (up to ms) until no thread of this module runs: the process's end
 * calls it once every target is closed. Returns the threads still running. */
unsigned sg_mcp_http_wait(int ms);

#endif
