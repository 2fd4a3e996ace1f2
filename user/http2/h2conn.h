/* The HTTP/2 frontend's connection and streams, shared by the files of
 * user/http2/ and by nothing else: h2proxy.c (the connection: the
 * session's callbacks, reads, flushes, keepalive and idle timers, floods
 * and resets) and h2stream.c (a stream as a request: its head, the request
 * module's sink, the attempt's exchange, the response as DATA with its
 * flow-control budgets). Their shared functions are h2c_*.
 *
 * Re-entry: session callbacks run inside sg_h2_recv/sg_h2_pending, where the
 * session must not be driven again; `busy` defers flushing and closing the
 * connection until the session returns. Streams and connections are freed
 * from the loop's close queue, never inside a callback. */
#ifndef SG_H2CONN_H
#define SG_H2CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "config/cfg.h"
#include "user/base/buf.h"
#include "user/base/list.h"
#include "user/base/loop.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "user/core/attempt.h"
#include "user/core/frontend.h"
#include "user/core/request.h"
#include "user/tls/tls.h"

#define H2P_HEAD_MAX (64 * 1024)   /* request fields, or a response head */
#define H2P_REPLAY_MAX (64 * 1024) /* bodies kept for retries */
#define H2P_READ_CHUNK 16384
#define H2P_FLUSH_BATCH (64 * 1024) /* session bytes gathered for one send */
/* Response bytes one connection's streams may buffer together, in
 * maxBufferSize units (2 MiB by default: 8 MiB a connection). */
#define H2P_CONN_BUDGET 4
#define H2P_DEFAULT_PING_TIMEOUT_MS 20000 /* hyper's, which agentgateway uses */
#define H2P_MAX_RESPONSE_FIELDS (SG_H1_MAX_HEADERS + 1)
/* A connection with no stream for this long gives its session's spare pages
 * back (sg_h2_trim, 8 KiB and more) and puts the session to sleep
 * (sg_h2_sleep: nghttp2's 4 KiB and more, once the client acknowledges
 * the SETTINGS that takes). Not at once: the madvise and the page
 * faults after it cut one-at-a-time requests to a fifth of their rate
 * (h2load -c 32 -m 1 against a direct response, two workers: 10,000 req/s
 * against 50,000-68,000; tests/README.md, "Idle HTTP/2"). */
#define H2P_TRIM_MS 1000

/* One HTTP/2 client connection. Owned by the worker's loop (listed in
 * ctx->h2conns); freed in the close queue. Owns its streams. */
struct h2conn {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg; /* the config the connection began on (a reference) */
	const struct sg_bind *bind;
	const struct sg_frontend_http *fhttp; /* SETTINGS, keepalive, buffers */
	struct sg_list link;		      /* in ctx->h2conns */
	struct sg_io io;
	struct sg_tls *tls; /* HTTPS (ALPN h2); NULL = h2c */
	struct sg_timer timer;
	struct sg_closing closing;
	/* A flush after the loop's pass (flush_later): the answers an HTTP/2
	 * backend's frames make in one pass leave in one write. */
	struct sg_deferred later;
	struct sg_h2_session *h2;
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */
	uint16_t port;		   /* and its port */
	bool closed;
	int busy;	   /* inside the session: flush and close wait */
	bool flush_wanted; /* asked for while busy */
	bool close_wanted; /* asked for while busy */
	bool asleep;	   /* the session slept when last looked at (note_sleep) */

	struct sg_buf out; /* bytes for the client that did not fit in the socket yet */

	struct sg_list streams; /* h2stream.link, newest first */
	size_t nstreams;

	/* Deadlines in loop ms, 0 = none. */
	uint64_t rx_at;	  /* last bytes from the client */
	uint64_t pong_by; /* the PING in flight must be acked by then */
	uint64_t idle_at; /* no stream open since a while */
	uint64_t trim_at; /* no stream open for H2P_TRIM_MS: sg_h2_trim */
	uint64_t age_at;  /* maxConnectionDuration: GOAWAY then, 0 = none or sent */
	/* A header block the client began and has not finished must end by
	 * then (--request-head-timeout, as an HTTP/1 head), 0 = none open */
	uint64_t head_at;
	uint64_t ping_ms, pong_ms, idle_ms;
	size_t max_buffer; /* response bytes buffered per stream */
	/* Response bytes buffered by all its streams, and the most they may
	 * hold together (H2P_CONN_BUDGET streams' worth): past it no backend
	 * of this connection is read until the client takes some. */
	size_t buffered, budget;
	/* What the windows of its streams' HTTP/2 backends grew past their
	 * first (backend_may_send): counted against the budget too. A
	 * stream that never reads holds its backend's first window (64 KiB)
	 * at most, so a connection's streams hold buffered + widened + 64
	 * KiB each. */
	size_t widened;
	bool over_budget;
	/* Request bodies its streams hold whole for their routes'
	 * expressions (sg_request.body_wanted), together: at most the budget
	 * (past it the stream that would grow them is refused). */
	size_t held;
	bool starts_pending; /* a stream waits for its first attempt (start_waiting) */

	/* Rapid reset (CVE-2023-44487): streams the client reset before their
	 * answer, in the window that began at reset_window. */
	unsigned resets;
	uint64_t reset_window;
};

/* Where a request field sits in h2stream.hbuf (offsets: its bytes may
 * move). */
struct field_pos {
	uint32_t name, name_len, value, value_len;
};

/* One stream. Owned by its connection; freed in the close queue. Owns its
 * backend connection while an attempt or the response body runs. */
struct h2stream {
	struct h2conn *conn;
	struct sg_list link; /* in conn->streams */
	int32_t id;
	/* The request: its phase (SG_REQUEST_DONE: answered or reset, waiting
	 * for the session to close it), route, plan, tries, log fields. */
	struct sg_request rq;
	bool closed;
	bool start_pending; /* its first attempt waits: for the end of the input, or a dial */
	struct sg_timer timer;
	struct sg_closing closing;

	/* The request head: fields packed in hbuf, then the HTTP/1 view the
	 * backend gets (spans into hbuf and store). */
	struct sg_buf hbuf;
	char *store;
	struct field_pos *pos;
	size_t npos, pos_cap;
	bool head_too_large;
	struct sg_h1_req req;
	/* Header slots of req, as many as its fields can make (a stream
	 * allocated with room for the most a head may have would be 8 KiB
	 * more, zeroed for every request). */
	struct sg_h1_header *req_slots;

	/* The request body: the whole of it when replayable, else the bytes
	 * not yet written to the backend. */
	struct sg_buf body;
	size_t unconsumed; /* received, not yet given back to flow control */
	/* Response bytes sent on to the client and not yet given back to an
	 * HTTP/2 backend stream's window: held while the stream has no room
	 * (its own or the connection's budget), which bounds what the backend
	 * can send it to one window more. */
	size_t withheld;
	size_t widened; /* its HTTP/2 backend stream's window grew by this */
	size_t held;	/* its body's part of conn->held */
	bool req_end;	/* the client ended its side */
	bool streaming; /* body passed to the backend as it arrives */
	bool req_sent;	/* the whole request is with the backend */

	struct sg_cfg *cfg; /* the config in force when the head came, when
			     * it is not the connection's (a reference) */

	/* The response (rq.resp_started: HEADERS submitted). */
	bool resp_eof;	    /* every body byte is in rbuf */
	bool deferred;	    /* the session waits for body bytes */
	struct sg_buf rbuf; /* decoded body bytes not yet taken by the session */
	bool draining;	    /* rbuf was full: no reading until it is half empty */

	/* The backend's response, from the exchange (HTTP/1 or HTTP/2 alike,
	 * user/core/exchange.h): body bytes in rbuf, given back to the exchange
	 * as the client takes them; trailers passed on at the end (fields and
	 * their bytes, one allocation). The request body goes from `body`
	 * (a replay from up_off); up_wait: the exchange waits for more. */
	bool up_wait;
	size_t up_off;
	/* A streamed body sent to an HTTP/2 backend is kept (retained) while
	 * it fits H2P_REPLAY_MAX, so a try can be made again as for a whole
	 * body; up_high: the bytes sent on some try (counted, given back). */
	bool retain;
	size_t up_high;
	/* The request's trailers (an HTTP/2 backend gets them): as lines,
	 * then as fields into them. Allocated with the first one (a gRPC
	 * client's stream has them): 1 KiB that every other stream would
	 * zero and carry. */
	struct sg_h2_kept *req_trailers;
	struct sg_h2_field *trailers;
	size_t ntrailers;

	/* Body bytes either way, for the request's watchdog (client DATA in,
	 * bytes to the backend, from the backend, to the session). */
	uint64_t moved;
};

/* The loop's time, ms. */
static inline uint64_t h2c_now(const struct h2conn *c)
{
	return sg_loop_now(c->ctx->loop);
}

/* ---- h2proxy.c's, for h2stream.c ------------------------------------------- */

/* Write what the session has for the client now (not inside the session:
 * then after it returns); after the loop's pass (h2c_flush_later), so that
 * the answers one pass makes leave in one write. */
void h2c_conn_flush(struct h2conn *c);
void h2c_flush_later(struct h2conn *c);
/* The connection's timer and idle deadlines from its streams. */
void h2c_conn_rearm(struct h2conn *c);

#endif
