/* The HTTP/1 frontend's connection, shared by the files of user/http1/
 * and by nothing else: proxy.c (the connection: keep-alive, lingering
 * close, timers, events), h1head.c (a request's head and a held body),
 * h1tunnel.c (tunnels after a 101 or a CONNECT), h1forward.c (a request to an
 * HTTP/1 backend and its response, both bodies relayed) and h1h2.c (the
 * messages of an HTTP/2 backend). Their shared functions are h1c_*. */
#ifndef SG_H1CONN_H
#define SG_H1CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <sys/uio.h>

#include "config/cfg.h"
#include "policy/idle.h"
#include "user/base/buf.h"
#include "user/base/list.h"
#include "user/base/loop.h"
#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"
#include "user/codec/h2.h"
#include "user/core/attempt.h"
#include "user/core/frontend.h"
#include "user/core/h1backend.h"
#include "user/core/request.h"
#include "user/relay/relay.h"
#include "user/tcp/tunnel.h"

#define PROXY_HEAD_MAX (64 * 1024)   /* request or response head */
#define PROXY_REPLAY_MAX (64 * 1024) /* bodies kept for retries */
#define PROXY_OUT_MAX (PROXY_HEAD_MAX + PROXY_REPLAY_MAX + 4096)
#define PROXY_DEFAULT_MAX_HEADERS 100

enum client_state {
	C_HEAD,	   /* waiting for a request head (idle timer runs) */
	C_BODY,	   /* buffering a small request body */
	C_ATTEMPT, /* tries: backoff, connect, request sent, waiting for a response head */
	C_RESP,	   /* relaying the response */
	C_TUNNEL,  /* after a 101 or a CONNECT's 2xx: both ways until EOF */
	C_CLOSING, /* flushing a final response, then the lingering close */
	C_LINGER,  /* response sent and FIN too: dropping input until EOF */
};

/* A chunked body relayed as-is: the scanner finds where it ends. Or, to
 * an HTTP/1.0 client (which knows no chunks, RFC 9112 6.1), decoded: its
 * data alone, the close ending it. */
struct chunk_relay {
	struct sg_h1_chunked scan;
	bool done, decode;
};

/* What a connection holds only while a request is in flight (from the
 * first byte of its head until the connection waits idle again: for
 * PROXY_WARM_MS after a request, for the next) or while it is a tunnel
 * after one: an idle keep-alive connection holds none of it. */
struct request {
	/* The head, parsed in the client's `in`. Its header slots, and the
	 * response's, are allocated with it (alloc_slots). */
	struct sg_h1_req req;
	/* The request (user/core/request.h): its route, plan, log fields and
	 * tries (rq.at: endpoint, deadlines, the backend connection at.conn;
	 * at.replayable: the body is whole in `in`); a tunnel after it keeps
	 * that backend connection. */
	struct sg_request rq;
	/* The try's exchange on at.conn (user/core/h1backend.h): the request
	 * out, the response heads in; kept with r for the next request
	 * (attempt ops->h1x). */
	struct sg_h1x ex;
	/* Body relays and the chunk scanners of chunked bodies. */
	struct sg_pump req_pump, resp_pump;
	struct chunk_relay req_chunks, resp_chunks;
	/* The connection after a 101 or a CONNECT's 2xx: req_pump up and
	 * resp_pump down. */
	struct sg_tunnel tunnel;
	/* An HTTP/2 backend (at.h2). The response comes from its frames
	 * (RESP_MESSAGES), written chunked when it has no length (h2_chunked);
	 * h2_unconsumed body bytes are passed on but not yet given back to
	 * its flow control (the client's socket had not taken them all). A
	 * body not whole in hand streams from `in` after the head, read from
	 * the client as the backend's window allows: h2_up_left bytes of a
	 * Content-Length body, or h2_up_chunks decodes it (REQ_PULL_WAIT: the
	 * client has nothing more yet). A replayed body is sent from
	 * h2_up_off. */
	bool h2_chunked;
	size_t h2_unconsumed, h2_up_off;
	uint64_t h2_up_left;
	struct sg_h1_chunked h2_up_chunks;
	/* The chunked body's trailer lines (an HTTP/2 backend gets them),
	 * and fields parsed from a copy. */
	struct sg_h2_kept h2_trailers;
	/* Bytes of held responses read, from either backend: the body
	 * watchdog's progress (they move nowhere else while held). */
	uint64_t resp_moved;
	/* The head's Cookie lines joined (sg_h1_join_cookies), which its one
	 * Cookie line points at; NULL: it had at most one. */
	char *cookie_joined;
};

/* How the request's body goes on after its head, one way at a time
 * (REQ_NONE: none follows it, it was whole in hand, or it is over, and
 * while an HTTP/2 backend's stream pulls it and has not run dry). */
enum req_way {
	REQ_NONE,
	REQ_PUMP,      /* bytes: to the HTTP/1 backend's socket by req_pump, in
			* the relay's engine (a tunnel's upstream too) */
	REQ_PULL_WAIT, /* messages: an HTTP/2 backend's stream pulled it and the
			* client had no byte more; its EPOLLIN resumes the pull
			* (h1h2.c) */
};

/* Where the response's body comes from and how it goes on: one way at a
 * time, for the response in flight (RESP_NONE before its head, after its
 * body, and for a response without one). */
enum resp_way {
	RESP_NONE,
	RESP_PUMP,     /* from the HTTP/1 backend's socket by resp_pump, in the
			 * relay's engine (a tunnel's downstream too) */
	RESP_MESSAGES, /* from messages: the exchange's (an HTTP/2 backend's
			 * frames, an HTTP/1 backend's body decoded when the
			 * request module held it) or the gateway's own
			 * service (a held one answered whole too); their end
			 * gives the window back (h1c_h2_flushed) */
};

/* One downstream connection. Owned by the worker's loop; freed in the
 * close queue. Owns its backend connection while an attempt or the response
 * runs. */
struct client {
	struct sg_frontend *ctx;
	struct sg_cfg *cfg;  /* the config this connection began on (a reference) */
	struct sg_list link; /* in ctx->clients */
	const struct sg_bind *bind;
	struct sg_io io;
	struct sg_tls *tls; /* an HTTPS client's session; NULL = plain TCP */
	struct sg_timer timer;
	struct sg_closing closing;
	/* A write after the loop's pass (client_queue): a response from an
	 * HTTP/2 backend's frames leaves in one segment. */
	struct sg_deferred later;
	enum client_state state;
	bool closed;
	bool aborted;		   /* closed with RST, no close_notify: see client_abort */
	bool src_held;		   /* admitted (sg_frontend_admit): release once */
	bool served;		   /* a request head was complete on it */
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */
	uint16_t port;		   /* and its port */
	/* EPOLLIN left registered while the client is not read (update_io),
	 * and whether pipelined bytes made us narrow it to EPOLLRDHUP. */
	bool lazy_in, narrowed;

	/* Bytes read from the client not yet consumed (head, body, pipelined). */
	char *in;
	size_t in_len, in_cap;
	/* Bytes to the client that did not fit in the socket yet. */
	struct sg_buf out;

	/* Deadlines in loop ms, 0 = none (the request's own are in `at`).
	 * kick_at: a sockmap pump waits for the kernel to finish writing
	 * (SG_PUMP_WAIT). batch_at / resp_batch_at: the request's / the
	 * response's body is read in batches (SG_RELAY_LOWAT) and what came
	 * meanwhile is read by then. */
	uint64_t idle_at, kick_at, batch_at, resp_batch_at;
	/* warm_at: a finished request's buffers and state, kept for the
	 * next, are released then if no next request began
	 * (release_idle_buffers). */
	uint64_t warm_at;
	/* head_at: the head that began arriving must be complete by then
	 * (--request-head-timeout). */
	uint64_t head_at;
	uint64_t born; /* when the client's connection was established */

	struct sg_ksock ck; /* the client socket's sockmap counters */

	/* The request in flight, NULL while the connection waits idle. Its
	 * body watchdog (r->rq.body_idle) sees userspace's bytes through
	 * note_progress and the kernel's at the check (kernel_quiet); a
	 * tunnel keeps its own (struct sg_tunnel). */
	struct request *r;
	/* The listener its last request was routed to, whose settings the
	 * connection follows while it waits for the next. */
	const struct sg_listener *listener;
	enum sg_h1_body req_body;
	size_t body_len;   /* buffered body bytes after the head */
	bool client_close; /* close after this response */
	bool is_connect;   /* CONNECT: a 2xx turns the connection into a tunnel */
	bool upgrade_sent; /* this attempt offered the backend an upgrade: a 101 may come */

	bool request_written; /* request head (and buffered body) fully written */
	bool resp_keep_alive;

	enum req_way req_way;
	bool req_done; /* the request's body went whole (or it has none) */
	enum resp_way resp_way;
	bool resp_done; /* its last byte came (from any way) */
	enum sg_h1_body resp_body;
};

/* ---- proxy.c's, for the other files of http1/ ---------------------------- */

/* The loop's time, ms: inline, as every deadline reads it. */
static inline uint64_t h1c_now(const struct client *c)
{
	return sg_loop_now(c->ctx->loop);
}

/* The one place a connection changes state (next_states says where to). */
void h1c_enter(struct client *c, enum client_state next);
/* Bytes to the client: written now as far as the socket takes them, the
 * rest kept in c->out; -1 when the connection failed (then close it). */
int h1c_client_write(struct client *c, const char *data, size_t len);
int h1c_client_writev(struct client *c, const struct iovec *iov, size_t cnt, int flags);
bool h1c_client_out_pending(const struct client *c);
bool h1c_flushed(struct client *c);
/* Close now (RST with h1c_client_abort: a cut close-delimited body);
 * freed from the loop's close queue. */
void h1c_client_close(struct client *c);
void h1c_client_abort(struct client *c);
/* The response's last byte is out: the lingering close. */
void h1c_close_lingering(struct client *c);
/* The Connection field of a head to the client. */
enum sg_h1_conn h1c_conn_field(const struct client *c, bool close);
/* Older than maxConnectionDuration: its current response is its last. */
bool h1c_too_old(const struct client *c);
/* The request failed: the request module answers (user/core/request.h). */
void h1c_fail_request(struct client *c, enum sg_fail kind, int err);
/* The client has its whole answer: the next request, or the close. */
void h1c_finish_request(struct client *c);
/* The connection's request state, allocated with the first byte of a
 * head; false when out of memory.
 * Header slots of its heads freed. Bytes in c->out written now. */
bool h1c_request_new(struct client *c);
void h1c_free_all_slots(struct client *c);
int h1c_client_flush(struct client *c);
/* Grow `in` to `need` bytes, re-pointing the parsed head's spans. */
int h1c_grow_in(struct client *c, size_t need);
/* Header slots for a head about to be parsed (kept while warm). */
int h1c_alloc_slots(struct sg_h1_header **slots, size_t *cap, size_t n);
/* A socket read 0: whether it is an early EOF the kernel path still
 * delivers (true: wait for it), else the peer is gone. */
bool h1c_early_eof(struct client *c, struct sg_ksock *k, int fd);
/* A sockmap pump waits for the kernel: look again soon. */
void h1c_kick(struct client *c);
/* The end of a dispatch: timers and I/O interest from the state. */
void h1c_settle(struct client *c);

#endif
