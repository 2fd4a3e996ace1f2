/* The HTTP/1.1 proxy state machine, one struct client per downstream
 * connection. A request goes: head -> (small body buffered) -> attempts
 * (pick endpoint, connect or reuse, send, wait for the response head) ->
 * response head -> body relay -> next request or close. The states and
 * the moves between them are in enter().
 *
 * One timer per client folds its deadlines (idle, request, attempt,
 * connect, backoff): it is armed at the earliest and the callback checks
 * which one passed, so an early wake-up is harmless.
 *
 * Why this file is longer than a module should be (about 2,100 lines):
 * besides the connection it still holds the two HTTP/1 body relays (a
 * request body to the backend, a response body to the client), each in
 * three engines with chunk framing kept in userspace and the socket map's
 * EOF rules, and the 1xx/101/CONNECT decisions on a response head. The
 * relays are the next thing to move out (beside user/tcp/tunnel.c), once the
 * backend exchange is protocol-neutral: an HTTP/2 backend relays its body
 * from frames, not from a socket. */
#include "user/http1/proxy.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "policy/failure.h"
#include "policy/idle.h"
#include "policy/route.h"
#include "user/core/attempt.h"
#include "user/base/buf.h"
#include "user/core/filter.h"
#include "user/codec/h1.h"
#include "user/core/h1backend.h"
#include "user/codec/h2.h"
#include "user/http2/h2proxy.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/base/net.h"
#include "user/core/request.h"
#include "user/tls/tls.h"
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
	C_TUNNEL,  /* TCP route or upgraded connection: both ways until EOF */
	C_CLOSING, /* flushing a final response, then the lingering close */
	C_LINGER,  /* response sent and FIN too: dropping input until EOF */
};

/* The states a connection may go to from each one (enter):
 *
 *   accept -> HEAD, or TUNNEL for a TCP route
 *   HEAD -> BODY     a small body is read whole first (replay)
 *   HEAD, BODY -> ATTEMPT
 *   ATTEMPT -> RESP  a response head came
 *   RESP -> TUNNEL   it was a 101, or a CONNECT's 2xx
 *   any but LINGER -> HEAD or CLOSING   answered (by a backend or the
 *                    gateway): the next request, or the lingering close
 *   CLOSING -> LINGER                   the answer is out, then a FIN
 *
 * A tunnel and a lingering connection only ever close. */
#define TO(s) (1u << (s))
static const unsigned next_states[] = {
	[C_HEAD] = TO(C_BODY) | TO(C_ATTEMPT) | TO(C_HEAD) | TO(C_CLOSING),
	[C_BODY] = TO(C_ATTEMPT) | TO(C_HEAD) | TO(C_CLOSING),
	[C_ATTEMPT] = TO(C_RESP) | TO(C_HEAD) | TO(C_CLOSING),
	[C_RESP] = TO(C_TUNNEL) | TO(C_HEAD) | TO(C_CLOSING),
	[C_TUNNEL] = 0,
	[C_CLOSING] = TO(C_LINGER),
	[C_LINGER] = 0,
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
 * PROXY_WARM_MS after a request, for the next) or while it is a tunnel:
 * an idle keep-alive connection holds none of it. */
struct request {
	/* The head, parsed in the client's `in`. Its header slots, and the
	 * response's, are allocated with it (alloc_slots). */
	struct sg_h1_req req;
	/* The request (user/core/request.h): its route, plan, log fields and
	 * tries (rq.at: endpoint, deadlines, the backend connection at.conn;
	 * at.replayable: the body is whole in `in`). A TCP route's tunnel
	 * keeps its backend connection there too. */
	struct sg_request rq;
	struct sg_h1backend bx; /* this try's request and response head on at.conn */
	/* Body relays and the chunk scanners of chunked bodies. */
	struct sg_pump req_pump, resp_pump;
	struct chunk_relay req_chunks, resp_chunks;
	/* A TCP route, or the connection after a 101 or a CONNECT's 2xx:
	 * req_pump up and resp_pump down. */
	struct sg_tunnel tunnel;
	/* An HTTP/2 backend (at.h2). The response comes from its frames
	 * (h2_resp), written chunked when it has no length (h2_chunked);
	 * h2_unconsumed body bytes are passed on but not yet given back to
	 * its flow control (the client's socket had not taken them all). A
	 * body not whole in hand streams from `in` after the head, read from
	 * the client as the backend's window allows: h2_up_left bytes of a
	 * Content-Length body, or h2_up_chunks decodes it; h2_up_wait: the
	 * client has nothing more yet. A replayed body is sent from h2_up_off. */
	bool h2_resp, h2_chunked, h2_up_wait;
	size_t h2_unconsumed, h2_up_off;
	uint64_t h2_up_left;
	struct sg_h1_chunked h2_up_chunks;
	/* The chunked body's trailer lines (an HTTP/2 backend gets them),
	 * and fields parsed from a copy. */
	struct sg_h2_kept h2_trailers;
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

	bool req_pumping, req_done;
	bool resp_pumping, resp_done;
	enum sg_h1_body resp_body;
};

static void client_close(struct client *c);
static void client_abort(struct client *c);
static void fail_request(struct client *c, enum sg_fail kind, int err);
static void read_request_head(struct client *c);
static void update_io(struct client *c);
static void settle(struct client *c);
static void close_lingering(struct client *c);
static void drive_response(struct client *c);
static void h2_flushed(struct client *c);
static void drive_request_body(struct client *c);
static void consume_request(struct client *c);
static void start_upgraded_tunnel(struct client *c, size_t extra_len);
static void redrive(struct client *c);
static int client_queue(struct client *c, const struct iovec *iov, size_t cnt);
static void note_progress(struct client *c);

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now(const struct client *c)
{
	return sg_loop_now(c->ctx->loop);
}

static uint64_t ms(sg_dur d)
{
	return sg_dur_to_ms_ceil(d);
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	char *grown;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	/* The first allocation may be one a finished request left. */
	grown = *buf ? realloc(*buf, ncap) : sg_mem_alloc(ncap);
	if (!grown)
		return -1;
	*buf = grown;
	*cap = ncap;
	return 0;
}

/* Header slots for a head about to be parsed, kept while its request is in
 * flight and PROXY_WARM_MS after (keep_warm). An idle keep-alive
 * connection holds none: 256 slots are 8 KiB, and they were most of what an
 * idle connection cost. Not zeroed: the parser writes a slot before
 * counting it. Slots kept from an earlier head are taken when there are
 * enough of them (a reload may have raised the bound). */
static int alloc_slots(struct sg_h1_header **slots, size_t *cap, size_t n)
{
	if (*slots && *cap >= n)
		return 0;
	sg_mem_free(*slots);
	*cap = 0;
	*slots = sg_mem_alloc(n * sizeof(**slots));
	if (!*slots)
		return -1;
	*cap = n;
	return 0;
}

/* Free header slots; the head they belonged to then reads as one without
 * headers. */
static void free_slots(struct sg_h1_header **slots, size_t *cap, size_t *used)
{
	sg_mem_free(*slots);
	*slots = NULL;
	*cap = *used = 0;
}

static void free_all_slots(struct client *c)
{
	free_slots(&c->r->req.headers, &c->r->req.headers_cap, &c->r->req.nheaders);
	free_slots(&c->r->bx.resp.headers, &c->r->bx.resp.headers_cap, &c->r->bx.resp.nheaders);
}

static const struct sg_attempt_ops attempt_ops;
static const struct sg_request_sink sink;

/* The connection's request state, allocated with the first byte of a head
 * (or when a TCP route's tunnel starts). False when out of memory. */
static bool request_new(struct client *c)
{
	struct sg_frontend *f = c->ctx;

	if (c->r)
		return true;
	c->r = sg_mem_calloc(1, sizeof(*c->r));
	if (!c->r)
		return false;
	sg_request_init(&c->r->rq, &sink, c, f, c->bind, c->ip, &attempt_ops);
	return true;
}

/* The connection waits idle (or is gone): its request state goes, with the
 * header slots and the backend exchange's buffers. Its backend connection
 * and relays are already released. */
static void request_free(struct client *c)
{
	if (!c->r)
		return;
	sg_request_free(&c->r->rq);
	free_all_slots(c);
	sg_h1backend_free(&c->r->bx);
	sg_h2_kept_free(&c->r->h2_trailers);
	sg_mem_free(c->r);
	c->r = NULL;
}

/* Grow the client's input buffer. A complete request head (head_len != 0)
 * sits at its start and c->r->req's spans point into it: when the buffer moves
 * they are re-pointed here (same bytes, same result), and nowhere else: each
 * try's request, the mirrors and the access log are made from them after a
 * body grew the buffer. */
static int grow_in(struct client *c, size_t need)
{
	if (need <= c->in_cap)
		return 0;
	if (grow(&c->in, &c->in_cap, need) == -1)
		return -1;
	if (c->r && c->r->req.head_len)
		sg_h1_parse_request(c->in, c->in_len, SG_H1_MAX_HEADERS, &c->r->req);
	return 0;
}

/* Body bytes moved to the backend (`in`) or to the client by `engine`. */
static void count_body(struct client *c, bool in, enum sg_relay_engine engine, uint64_t n)
{
	static const enum sg_stat by_engine[] = {
		[SG_RELAY_COPY] = SG_STAT_BYTES_COPY,
		[SG_RELAY_SPLICE] = SG_STAT_BYTES_SPLICE,
		[SG_RELAY_SOCKMAP] = SG_STAT_BYTES_SOCKMAP,
	};

	if (in)
		c->r->rq.bytes_in += n;
	else
		c->r->rq.bytes_out += n;
	sg_stats_add(c->ctx->stats, by_engine[engine], n);
}

/* Release a pump, counting the bytes it moved once. The client's socket
 * is open here (client_close releases the pumps before it closes it), so
 * its batched reads end here too. The backend's may be closed already: a
 * response's batch ends before its connection can go back to the pool
 * (the pump's DONE, finish_request), never here. */
static void pump_done(struct client *c, struct sg_pump *p)
{
	bool up = p == &c->r->req_pump;

	if (up) {
		sg_pump_unbatch(p);
		c->batch_at = 0;
	} else {
		c->resp_batch_at = 0;
	}
	/* An adapting pump may have spliced some of its bytes; a body that
	 * was mostly spliced says so in the access log. */
	count_body(c, up, p->engine == SG_RELAY_SPLICE ? SG_RELAY_COPY : p->engine,
		   p->moved - p->spliced);
	if (p->spliced)
		count_body(c, up, SG_RELAY_SPLICE, p->spliced);
	if (!up && p->adapt)
		c->r->rq.engine = p->spliced > p->moved / 2 ? SG_RELAY_SPLICE : SG_RELAY_COPY;
	p->moved = p->spliced = 0;
	sg_pump_release(p);
}

/* Small bodies go through the copy engine whatever the configured one:
 * splice(2) needs a pipe pair per stream, which costs more than copying a
 * few KiB (measured: W1 in `make bench`), and pairing sockets in the
 * socket map costs a dozen map operations. */
#define PROXY_SPLICE_MIN (64 * 1024)

/* Sets up pump p to move `budget` bytes from src to dst (the client and
 * its backend, either way), choosing the engine: once either socket is in
 * the socket map everything is read with recv() (the sockmap engine when
 * the pair is paired, copy after a failed pairing); otherwise the worker's
 * engine for that direction, falling back to splice(2) when that is sockmap
 * and the sockets cannot be paired. Chunked bodies never get a kernel
 * budget: their framing is parsed here. */
static enum sg_relay_engine init_pump(struct client *c, struct sg_pump *p, bool to_backend,
				      uint64_t budget, bool chunked)
{
	bool tunnel = c->state == C_TUNNEL;
	struct sg_backend_conn *u = c->r->rq.at.conn;
	int src = to_backend ? c->io.fd : u->fd, dst = to_backend ? u->fd : c->io.fd;
	struct sg_ksock *ksrc = to_backend ? &c->ck : &u->k, *kdst = to_backend ? &u->k : &c->ck;
	bool in_map = sg_ksock_kernel(&c->ck) || sg_ksock_kernel(&u->k);
	enum sg_relay_engine e = tunnel	      ? c->ctx->tunnel
				 : to_backend ? c->ctx->upload
					      : c->ctx->engine;

	if (tunnel && c->r->tunnel.promoted)
		e = SG_RELAY_SOCKMAP;
	if ((budget < PROXY_SPLICE_MIN && !tunnel) || chunked)
		e = SG_RELAY_COPY;
	if (c->tls || u->tls) {
		/* Records are decrypted here: only the copy engine sees the
		 * plaintext (no kTLS on this kernel), on either side. */
		sg_pump_init(p, SG_RELAY_COPY, src, dst, chunked ? 0 : budget);
		sg_pump_set_tls(p, to_backend ? c->tls : u->tls, to_backend ? u->tls : c->tls);
		return SG_RELAY_COPY;
	}
	if (!c->ctx->kmap && e == SG_RELAY_SOCKMAP)
		e = SG_RELAY_SPLICE;
	if ((in_map || e == SG_RELAY_SOCKMAP) && !c->ck.failed && !u->k.failed) {
		int rc = sg_sockmap_pair(c->ctx->kmap, &c->ck, c->io.fd, &c->io, &u->k, u->fd,
					 &u->io);

		if (rc == 0) {
			sg_pump_init_sockmap(p, sg_sockmap_splice(c->ctx->kmap), src, ksrc, dst,
					     kdst, chunked ? 0 : budget);
			return SG_RELAY_SOCKMAP;
		}
		sg_stats_add(c->ctx->stats, SG_STAT_SOCKMAP_FALLBACKS, 1);
		SG_DEBUG("%s: sockmap pairing failed (%s): this connection stays in userspace",
			 c->ip, strerror(-rc));
		in_map = true;
	}
	if (in_map)
		e = SG_RELAY_COPY;
	else if (e == SG_RELAY_SOCKMAP)
		e = SG_RELAY_SPLICE;
	sg_pump_init(p, e, src, dst, chunked ? 0 : budget);
	/* A body of known length, either way (a tunnel's bytes come as they
	 * come). */
	p->batch = !tunnel && !chunked && !in_map;
	/* auto: a bulk body, or a tunnel until it is promoted, is spliced
	 * while the worker is saturated: held to half a CPU, one iperf3
	 * stream ran 2.17 GB/s spliced against 1.76 copied (0.22 s of proxy
	 * CPU per GB against 0.29; scripts/BENCH.md "Tunnels spliced while
	 * saturated"). */
	p->adapt = c->ctx->relays_adapt && e == SG_RELAY_COPY &&
		   (tunnel || (p->batch && budget >= SG_RELAY_BUF_MAX && budget != UINT64_MAX));
	return e;
}

static void rearm_timer(struct client *c)
{
	uint64_t due = 0, cand[] = { c->idle_at,
				     c->r ? sg_attempt_due(&c->r->rq.at) : 0,
				     c->kick_at,
				     c->batch_at,
				     c->resp_batch_at,
				     c->head_at,
				     c->r ? c->r->rq.body_idle.due : 0,
				     c->warm_at };

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (cand[i] && (!due || cand[i] < due))
			due = cand[i];
	/* Moved earlier only. A timer armed before what is now due fires
	 * early, finds nothing due (timer_fired acts on deadlines that
	 * passed) and is armed again: a connection's deadlines move later
	 * with each request (the next warm and idle deadline), and a fire
	 * every PROXY_WARM_MS costs less than two heap moves a request. */
	if (due && (!sg_timer_armed(&c->timer) || due < c->timer.due))
		sg_timer_arm(c->ctx->loop, &c->timer, due);
}

/* A sockmap pump waits for the kernel to finish writing its destination:
 * poll again in a millisecond (the kernel's worker is that fast). */
static void kick(struct client *c)
{
	c->kick_at = now(c) + 1;
}

/* A head read got EOF from socket fd (counters k): true when bytes passed
 * before the FIN are still on their way (sg_ksock_eof): a kick reads
 * again. False when the EOF is real, or when the bytes stopped coming
 * (errno ECONNABORTED): the caller closes either way. */
static bool early_eof(struct client *c, struct sg_ksock *k, int fd)
{
	if (!c->ctx->kmap || sg_ksock_eof(sg_sockmap_splice(c->ctx->kmap), k, fd) != 1)
		return false;
	kick(c);
	return true;
}

/* Queue bytes to the client and try to write them now, in one sendmsg()
 * (a response head and a small body that came with it: one segment).
 * `flags`: MSG_MORE for a connection's last bytes when the FIN follows at
 * once (see got_response_head). */
static int client_writev(struct client *c, const struct iovec *iov, size_t cnt, int flags)
{
	size_t total = 0, sent = 0;
	ssize_t n;

	for (size_t i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (!c->out.len) {
		n = sg_sock_sendv(c->tls, c->io.fd, iov, cnt, MSG_NOSIGNAL | flags);
		sg_ksock_wrote(&c->ck, n);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		sent = n > 0 ? (size_t)n : 0;
		if (sent == total)
			return 0;
	}
	if (sg_buf_reserve(&c->out, total - sent) < 0)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;

		sg_buf_append(&c->out, (const char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
		sent -= skip;
	}
	return 0;
}

static int client_write(struct client *c, const char *data, size_t len)
{
	struct iovec v = { .iov_base = (void *)(uintptr_t)data, .iov_len = len };

	return client_writev(c, &v, 1, 0);
}

/* 1 = all written, 0 = still pending, -1 = error. */
static int client_flush(struct client *c)
{
	while (c->out.len) {
		ssize_t n = sg_sock_send(c->tls, c->io.fd, sg_buf_data(&c->out), c->out.len,
					 MSG_NOSIGNAL);

		sg_ksock_wrote(&c->ck, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		sg_buf_consume(&c->out, (size_t)n);
	}
	return 1;
}

static bool client_out_pending(const struct client *c)
{
	return c->out.len > 0;
}

/* True when nothing is queued for the client any more; otherwise the client
 * was closed (write error) or waits for EPOLLOUT. */
static bool flushed(struct client *c)
{
	int f = client_out_pending(c) ? client_flush(c) : 1;

	if (f == -1)
		client_close(c);
	return f == 1;
}

/* The one place a connection changes state. What a state waits for (its
 * sockets' events, its timer) is not set here but derived from it at the
 * end of the dispatch (settle). */
static void enter(struct client *c, enum client_state next)
{
	/* The phase of the request in flight, as its watchdog reads it. */
	static const enum sg_request_phase phase[] = {
		[C_HEAD] = SG_REQUEST_HEAD,	  [C_BODY] = SG_REQUEST_BODY,
		[C_ATTEMPT] = SG_REQUEST_ATTEMPT, [C_RESP] = SG_REQUEST_RESPONSE,
		[C_TUNNEL] = SG_REQUEST_DONE,	  [C_CLOSING] = SG_REQUEST_DONE,
		[C_LINGER] = SG_REQUEST_DONE,
	};

	assert(next_states[c->state] & TO(next));
	c->state = next;
	if (c->r)
		c->r->rq.phase = phase[next];
}

/* ---- the backend side of an attempt ------------------------------------ */

/* The attempt closed its backend connection: what this try wrote and read
 * there, and a request body relay to it, go too. */
static void backend_dropped(struct sg_attempt *a)
{
	struct client *c = a->owner;

	c->request_written = false;
	c->r->h2_up_wait = false;
	c->r->h2_unconsumed = 0;
	sg_h1backend_reset(&c->r->bx);
	if (c->req_pumping)
		pump_done(c, &c->r->req_pump);
	c->req_pumping = false;
}

static void release_backend(struct client *c)
{
	sg_h1backend_reset(&c->r->bx);
	sg_attempt_release(&c->r->rq.at, c->resp_keep_alive && c->req_done, &c->cfg->global);
}

/* ---- responses the gateway makes itself -------------------------------- */

/* The Connection field of a head to the client: close, or keep-alive for
 * an HTTP/1.0 client that asked for it (else its connection closes) and
 * keeps it: it may wait for the close otherwise (ApacheBench -k). */
static enum sg_h1_conn conn_field(const struct client *c, bool close)
{
	if (close)
		return SG_H1_CONN_CLOSE;
	return c->r && !c->r->req.minor ? SG_H1_CONN_KEEP_ALIVE : SG_H1_CONN_NONE;
}

/* Closing after a final response: flush it, send FIN, then read and drop
 * whatever the client still sends for a moment before closing. Closing a
 * socket with unread input sends RST, which can destroy the response
 * before the client reads it (the lingering close of HTTP servers). */
#define PROXY_LINGER_MS 1000

/* A client that said this request is its last ("Connection: close", or
 * HTTP/1.0 without keep-alive) and sent nothing after it has no reason to
 * send more: it is closed at once when nothing waits unread (the FIN
 * follows the response), as nginx's `lingering_close auto` does, instead
 * of waiting for its FIN. A new connection per request (W2 in
 * scripts/BENCH.md) saves a wake-up and three syscalls that way. */
static bool said_last(const struct client *c)
{
	return !c->r->req.keep_alive && c->req_done && c->state == C_CLOSING &&
	       c->in_len <= c->r->req.head_len + c->body_len;
}

static void close_lingering(struct client *c)
{
	char buf[4096];

	if (!flushed(c))
		return;
	if (c->state != C_LINGER) {
		if (said_last(c)) {
			ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_PEEK);

			if (n == -1 && errno == EAGAIN) {
				client_close(c);
				return;
			}
		}
		enter(c, C_LINGER);
		if (c->tls)
			sg_tls_close_notify(c->tls);
		shutdown(c->io.fd, SHUT_WR);
		c->r->rq.at.request_at = c->r->rq.at.try_at = c->r->rq.at.connect_at =
			c->r->rq.at.backoff_at = 0;
		c->head_at = 0;
		sg_idle_stop(&c->r->rq.body_idle);
		c->idle_at = now(c) + PROXY_LINGER_MS;
	}
	/* Drop what the client still sends, 64 KiB per wake-up so that one
	 * client cannot hold the loop, until its EOF or PROXY_LINGER_MS
	 * (idle_at). Closing with its bytes unread would reset the
	 * connection, which can destroy the answer before the client reads
	 * it. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->io.fd, buf, sizeof(buf), 0);

		sg_ksock_read(&c->ck, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
	}
}

/* A keep-alive connection that waits idle keeps no buffer it does not need
 * (nginx frees its buffers while a connection waits too): the next read
 * allocates again, and only when bytes are there (EPOLLIN). What an idle
 * connection costs is then the struct and the kernel's socket. Called with
 * nothing in `in`. */
static void release_idle_buffers(struct client *c)
{
	sg_mem_free(c->in);
	c->in = NULL;
	c->in_cap = 0;
	request_free(c);
	if (!c->out.len) {
		sg_buf_free(&c->out);
		if (c->tls)
			sg_tls_idle(c->tls);
	}
}

/* How long a finished request's state and buffers (the request struct,
 * its header slots, `in`, the backend request's buffer, the TLS session's
 * record buffers) wait for the connection's next request before they are
 * released. A busy keep-alive connection's next request comes within a
 * round trip and finds them (no allocation, no zeroing, no TLS buffer
 * allocation); one that waits longer is idle and keeps none. */
#define PROXY_WARM_MS 200

/* The request is over: keep what it used for the next one, for
 * PROXY_WARM_MS unless a next head comes (release_idle_buffers then, from
 * the timer). The slots are kept empty: the finished heads read as heads
 * without headers. */
static void keep_warm(struct client *c)
{
	c->r->bx.resp.nheaders = 0;
	c->r->req.nheaders = 0;
	sg_h2_kept_free(&c->r->h2_trailers);
	c->warm_at = now(c) + PROXY_WARM_MS;
}

/* The frontend settings this connection's requests follow. */
static const struct sg_frontend_http *fhttp(const struct client *c)
{
	if (c->listener)
		return c->listener->fhttp;
	return c->bind->nlisteners ? c->bind->listeners[0].fhttp : &c->cfg->default_fhttp;
}

/* maxConnectionDuration in ms, 0: none. */
static uint64_t max_age(const struct client *c)
{
	sg_dur d = fhttp(c)->max_connection_duration;

	return d > 0 ? ms(d) : 0;
}

/* Older than maxConnectionDuration: its current response is its last. */
static bool too_old(const struct client *c)
{
	return max_age(c) && now(c) - c->born >= max_age(c);
}

/* The connection waits for a head: http1IdleTimeout counts from `since`
 * (the connect, or the end of the last response), and a connection that
 * reaches maxConnectionDuration meanwhile is closed then. */
static void wait_idle(struct client *c, uint64_t since)
{
	c->idle_at = since + ms(fhttp(c)->http1_idle_timeout);
	if (max_age(c) && c->born + max_age(c) < c->idle_at)
		c->idle_at = c->born + max_age(c);
}

static void finish_request(struct client *c)
{
	sg_request_release(&c->r->rq);
	c->r->rq.at.request_at = c->r->rq.at.try_at = c->r->rq.at.connect_at =
		c->r->rq.at.backoff_at = 0;
	c->kick_at = c->head_at = 0;
	sg_idle_stop(&c->r->rq.body_idle);
	if (c->resp_pumping)
		sg_pump_unbatch(&c->r->resp_pump); /* before its socket may be pooled */
	if (c->r->rq.at.conn || c->r->rq.at.h2)
		release_backend(c);
	c->r->h2_resp = c->r->h2_chunked = c->r->h2_up_wait = false;
	c->r->h2_unconsumed = 0;
	if (c->req_pumping)
		pump_done(c, &c->r->req_pump);
	if (c->resp_pumping)
		pump_done(c, &c->r->resp_pump);
	c->req_pumping = c->resp_pumping = false;
	sg_request_log(&c->r->rq, 0, 0); /* a next head that does not parse is answered whole */
	c->r->rq.resp_started = c->resp_done = false;
	if (c->client_close || !c->req_done || c->ctx->draining || too_old(c)) {
		enter(c, C_CLOSING);
		close_lingering(c);
		return;
	}
	consume_request(c);
	sg_filter_plan_reset(&c->r->rq.plan);
	keep_warm(c); /* for pipelined bytes' head, or the next to come */
	enter(c, C_HEAD);
	wait_idle(c, now(c));
	if (c->in_len)
		read_request_head(c);
}

/* The gateway's failure answer to the request in flight (user/core/request.h):
 * every failure of an HTTP/1 request goes through here. */
static void fail_request(struct client *c, enum sg_fail kind, int err)
{
	sg_request_fail(&c->r->rq, kind, err);
}

/* ---- the request module's sink (user/core/request.h) ---------------------------- */

/* An answer the gateway makes, whole: the route's response filters, when
 * it was routed, apply to it too, as agentgateway applies them to its
 * errors (the failure text goes without them when they do not fit). A
 * direct response's body may be larger than the stack's buffer. */
static void conn_answer(struct sg_request *rq, uint16_t status, const struct sg_h1_edit *edit,
			const char *body, size_t len, bool text)
{
	struct client *c = rq->owner;
	char small[4096];
	struct sg_buf big = { 0 };
	char *out = small;
	size_t cap = sizeof(small);
	enum sg_h1_conn conn;
	bool close;
	ssize_t n;

	if (too_old(c))
		c->client_close = true;
	close = !c->req_done || c->client_close;
	conn = conn_field(c, close);
	n = text ? sg_h1_write_simple(status, NULL, edit, body, conn, out, cap)
		 : sg_h1_write_answer(status, edit, body, len, conn, out, cap);
	for (int i = 0; n < 0 && !text && i < 4; i++) {
		cap = (1024 + len) << (2 * i);
		if (sg_buf_reserve(&big, cap) < 0)
			break;
		out = sg_buf_tail(&big);
		n = sg_h1_write_answer(status, edit, body, len, conn, out, cap);
	}
	if (n < 0 && text)
		n = sg_h1_write_simple(status, NULL, NULL, body, conn, out, cap);
	/* A HEAD request gets the head alone (RFC 9110 9.3.2): the body would
	 * be read as the start of the next response. */
	if (n >= 0 && rq->is_head)
		n -= (ssize_t)len;
	if (n < 0 || client_write(c, out, (size_t)n) == -1) {
		sg_buf_free(&big);
		client_close(c);
		return;
	}
	sg_buf_free(&big);
	if (close)
		c->client_close = true;
	if (!c->closed)
		finish_request(c);
}

/* Part of a response went out: the only honest signal left. */
static void conn_cut(struct sg_request *rq)
{
	client_close(rq->owner);
}

static void conn_held_body(const struct sg_request *rq, struct sg_mirror_request *m)
{
	const struct client *c = rq->owner;

	m->body = c->in + c->r->req.head_len;
	m->body_len = rq->at.replayable ? c->body_len : 0;
	m->body_whole = rq->at.replayable || c->req_body == SG_H1_BODY_NONE;
}

static uint64_t body_progress(const struct client *c);

static uint64_t conn_progress(const struct sg_request *rq)
{
	return body_progress(rq->owner);
}

/* The connection follows the listener its request was routed to. */
static void routed(struct sg_request *rq)
{
	struct client *c = rq->owner;

	c->listener = rq->listener;
}

/* ---- attempts ---------------------------------------------------------- */

/* An edit's drops, and Expect. */
struct drops_expect {
	bool (*drops)(const void *arg, const char *name, size_t len);
	const void *arg;
};

static bool drop_expect(const void *arg, const char *name, size_t len)
{
	const struct drops_expect *d = arg;

	return (len == 6 && !strncasecmp(name, "expect", 6)) ||
	       (d->drops && d->drops(d->arg, name, len));
}

/* This try's request, from the parsed head (whose spans grow_in keeps
 * pointing into `in`). */
static int build_request_out(struct client *c)
{
	struct sg_h1_edit edit;
	struct drops_expect de;
	char extra[256];
	/* Upgrade is hop-by-hop: it is dropped from the copied headers and
	 * re-added here when the client asked for it (less h2c). Only then is
	 * a 101 an answer. */
	c->upgrade_sent = sg_h1_upgrade_offer(&c->r->req, extra, sizeof(extra)) > 0;
	sg_filter_request_edit(&c->r->rq.plan, &edit);
	/* A body read whole before the first try goes with the head: the
	 * client already had its 100 (got_request_head), and a backend asked
	 * to wait would only send another. */
	if (c->r->rq.at.replayable && c->req_body == SG_H1_BODY_LENGTH) {
		de = (struct drops_expect){ edit.drops, edit.arg };
		edit.drops = drop_expect;
		edit.arg = &de;
	}
	sg_attempt_default_host(c->r->rq.at.backend, &c->r->req, &edit);
	return sg_h1backend_build(&c->r->bx, &c->r->req, &edit, c->ip, c->r->rq.at.n, extra,
				  c->in + c->r->req.head_len,
				  c->r->rq.at.replayable ? c->body_len : 0);
}

static void on_backend_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents);
static void write_backend(struct client *c);
static void send_h2(struct client *c);
static void h2_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
static void h2_data(struct sg_attempt *a, const char *p, size_t n);
static void h2_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err);
static ssize_t h2_body(struct sg_attempt *a, char *buf, size_t len, bool *eof);
static size_t h2_trailers(struct sg_attempt *a, const struct sg_h2_field **t);

/* The try's plan is made (user/core/request.c): this try's copy of the request
 * goes out on its connection, or as a stream to an HTTP/2 backend. */
static void conn_send(struct sg_request *rq)
{
	struct client *c = rq->owner;

	if (rq->at.h2) {
		send_h2(c);
		return;
	}
	if (build_request_out(c) < 0) {
		fail_request(c, SG_FAIL_CONNECT, ENOMEM);
		return;
	}
	write_backend(c);
}

/* An HTTP/2 backend's failure comes outside our dispatch. */
static void conn_failed(struct sg_request *rq)
{
	settle(rq->owner);
}

static const struct sg_request_sink sink = {
	.answer = conn_answer,
	.cut = conn_cut,
	.send = conn_send,
	.failed = conn_failed,
	.held_body = conn_held_body,
	.progress = conn_progress,
	.routed = routed,
};

static const struct sg_attempt_ops attempt_ops = {
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = backend_dropped,
	.wait = NULL, /* every dispatch ends in settle() */
	.on_io = on_backend_io,
	.head = h2_head,
	.data = h2_data,
	.end = h2_end,
	.body = h2_body,
	.trailers = h2_trailers,
};

/* The request goes to its route's backends: the first try starts. */
static void forward(struct client *c)
{
	enter(c, C_ATTEMPT);
	sg_request_start(&c->r->rq);
}

/* The request head (and buffered body) went out: stream any larger body. */
static void request_sent(struct client *c)
{
	size_t early;

	c->request_written = true;
	if (c->r->rq.at.replayable)
		c->r->rq.bytes_in = c->body_len;
	if (c->r->rq.at.replayable || c->req_body == SG_H1_BODY_NONE) {
		c->req_done = true;
		return;
	}
	/* Body bytes that arrived with the head go first. */
	early = c->in_len - c->r->req.head_len;
	if (c->req_body == SG_H1_BODY_LENGTH) {
		uint64_t len = (uint64_t)c->r->req.content_length;
		size_t take = early < len ? early : (size_t)len;

		init_pump(c, &c->r->req_pump, true, len, false);
		c->req_pumping = true; /* from here a failure releases the pump */
		if (take &&
		    sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, take) == -1) {
			fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->body_len = take;
	} else {
		bool done = false;
		ssize_t used;

		init_pump(c, &c->r->req_pump, true, 0, true);
		c->req_pumping = true;
		memset(&c->r->req_chunks, 0, sizeof(c->r->req_chunks));
		c->body_len = 0;
		used = sg_h1_chunked_scan(&c->r->req_chunks.scan, c->in + c->r->req.head_len, early,
					  &done);
		if (used < 0) {
			fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->r->req_pump.budget = (uint64_t)used;
		if (used &&
		    sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, (size_t)used)) {
			fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->r->req_chunks.done = done;
		/* What follows the body is the next request: keep it behind
		 * the head, where consume_request expects it. */
		memmove(c->in + c->r->req.head_len, c->in + c->r->req.head_len + used,
			early - (size_t)used);
		c->in_len -= (size_t)used;
	}
	c->req_pumping = true;
	drive_request_body(c);
}

static void write_backend(struct client *c)
{
	int rc = sg_h1backend_send(&c->r->bx, c->r->rq.at.conn);

	if (rc < 0)
		sg_attempt_write_failed(&c->r->rq.at, -rc, c->r->bx.out_off > 0);
	else if (rc == 1)
		request_sent(c);
}

/* The backend answers before the request body all went to it (RFC 9112
 * §9.6): the rest of the body cannot be told apart from a next request, so
 * this response is the connection's last and must say so in its head
 * (response_done would close it all the same, unannounced). The kernel may
 * have moved the whole upload already, its ring event still queued: look
 * first, as response_done does. The caller checks c->closed and c->state. */
static bool upload_unfinished(struct client *c)
{
	if (c->req_done)
		return false;
	if (c->req_pumping && c->r->req_pump.engine == SG_RELAY_SOCKMAP)
		drive_request_body(c);
	return !c->closed && !c->req_done;
}

/* The bytes of buf[0..len) that belong to the chunked body relayed by
 * `cr`, how many as the scanner counts them (-1: malformed); they are left
 * at the start of buf and their number in *out: all of them as they are,
 * or when decoding, the chunks' data alone (framing and trailers dropped). */
static ssize_t chunk_body(struct chunk_relay *cr, char *buf, size_t len, size_t *out)
{
	ssize_t used = 0;

	*out = 0;
	if (!cr->decode) {
		used = sg_h1_chunked_scan(&cr->scan, buf, len, &cr->done);
		*out = used > 0 ? (size_t)used : 0;
		return used;
	}
	while ((size_t)used < len && !cr->done) {
		struct sg_h1_span data;
		ssize_t n = sg_h1_chunked_decode(&cr->scan, buf + used, len - (size_t)used, &data,
						 &cr->done);

		if (n < 0)
			return -1;
		memmove(buf + *out, data.p, data.len);
		*out += data.len;
		used += n;
	}
	return used;
}

/* resp without its header `name` (lowercase; a framing header whose
 * framing the gateway changes), in `out` with header slots `slots`. */
static void without_header(const struct sg_h1_resp *resp, const char *name, struct sg_h1_resp *out,
			   struct sg_h1_header *slots)
{
	size_t len = strlen(name);

	*out = *resp;
	out->headers = slots;
	out->nheaders = 0;
	for (size_t i = 0; i < resp->nheaders; i++)
		if (resp->headers[i].name.len != len ||
		    strncasecmp(resp->headers[i].name.p, name, len))
			slots[out->nheaders++] = resp->headers[i];
}

/* A complete response head from the backend. */
static void got_response_head(struct client *c)
{
	char head[PROXY_HEAD_MAX + 256];
	struct sg_h1_edit edit;
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	struct sg_h1_resp unchunked;
	size_t extra_len, whole = 0;
	struct iovec iov[2];
	bool tunnel, whole_response, last, deferred, dechunk;
	ssize_t n;

	if (c->r->bx.resp.status == 101 && !c->upgrade_sent) {
		/* A tunnel nobody asked for would carry the client's next
		 * bytes to the backend unparsed: an invalid response. */
		SG_WARN("%s: backend sent 101 to a request without Upgrade", c->ip);
		sg_attempt_failed(&c->r->rq.at, SG_FAIL_BAD_RESPONSE, EPROTO);
		return;
	}
	if (c->r->bx.resp.status >= 100 && c->r->bx.resp.status < 200 &&
	    c->r->bx.resp.status != 101) {
		/* Interim: pass it on (an HTTP/1.0 client knows none, RFC 9110
		 * §15.2), its hop-by-hop fields dropped as a final head's, and
		 * keep waiting for the final head. */
		n = c->r->req.minor
			    ? sg_h1_write_response_edit(&c->r->bx.resp, NULL, SG_H1_CONN_NONE, NULL,
							head, sizeof(head))
			    : 0;
		if (n < 0 || (n > 0 && client_write(c, head, (size_t)n) == -1)) {
			client_close(c);
			return;
		}
		sg_h1backend_skip_head(&c->r->bx);
		return;
	}
	if (sg_attempt_took_status(&c->r->rq.at, c->r->bx.resp.status))
		return;
	tunnel = c->r->bx.resp.status == 101 || (c->is_connect && c->r->bx.resp.status / 100 == 2);
	/* RFC 9110 §9.3.6: framing headers in a 2xx to CONNECT mean nothing. */
	c->resp_body =
		tunnel ? SG_H1_BODY_NONE : sg_h1_response_body(&c->r->bx.resp, c->r->rq.is_head);
	c->resp_keep_alive = c->r->bx.resp.keep_alive && c->resp_body != SG_H1_BODY_CLOSE;
	/* An HTTP/1.0 client gets a chunked body's data, delimited by the
	 * close (RFC 9112 6.1: no Transfer-Encoding to a 1.0 request). */
	dechunk = !c->r->req.minor && c->resp_body == SG_H1_BODY_CHUNKED;
	if (c->resp_body == SG_H1_BODY_CLOSE || dechunk || !c->r->req.keep_alive ||
	    c->ctx->draining || too_old(c) || (!tunnel && upload_unfinished(c)))
		c->client_close = true;
	if (c->closed || c->state != C_ATTEMPT)
		return;
	sg_filter_response_edit(&c->r->rq.plan, &edit);
	if (dechunk)
		without_header(&c->r->bx.resp, "transfer-encoding", &unchunked, slots);
	/* A 101 keeps the backend's Upgrade and says "connection: upgrade"
	 * (RFC 9110 §7.8: a client fails the switch without them, RFC 6455
	 * §4.1); other hop-by-hop fields go as always. */
	n = sg_h1_write_response_edit(
		dechunk ? &unchunked : &c->r->bx.resp, &edit,
		tunnel ? SG_H1_CONN_NONE : conn_field(c, c->client_close),
		c->r->bx.resp.status == 101 ? "connection: upgrade\r\n" : NULL, head, sizeof(head));
	/* A small body that came whole with the head leaves with it. */
	if (c->resp_body == SG_H1_BODY_LENGTH && c->r->bx.resp.content_length < PROXY_SPLICE_MIN &&
	    c->r->bx.in_len - c->r->bx.resp.head_len >= (size_t)c->r->bx.resp.content_length)
		whole = (size_t)c->r->bx.resp.content_length;
	whole_response =
		c->resp_body == SG_H1_BODY_NONE || (c->resp_body == SG_H1_BODY_LENGTH &&
						    whole == (size_t)c->r->bx.resp.content_length);
	/* The whole response in this write, and the connection closes after
	 * it with nothing more to read: MSG_MORE holds the segment back for
	 * the few microseconds until close_lingering() sends the FIN, which the kernel
	 * then adds to it (one segment to the client instead of two). */
	last = c->client_close && c->req_done && !tunnel && whole_response;
	iov[0] = (struct iovec){ .iov_base = head, .iov_len = n > 0 ? (size_t)n : 0 };
	iov[1] = (struct iovec){ .iov_base = c->r->bx.in + c->r->bx.resp.head_len,
				 .iov_len = whole };
	if (n < 0) {
		fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
		return;
	}
	/* A whole response that the connection outlives leaves after the
	 * loop's pass, with every other response of the pass: a client on
	 * another core is woken once for all of them, not once each. */
	deferred = !last && !tunnel && whole_response;
	if ((deferred ? client_queue(c, iov, 2) : client_writev(c, iov, 2, last ? MSG_MORE : 0)) ==
	    -1) {
		client_close(c);
		return;
	}
	c->r->rq.resp_started = true;
	sg_request_response_head(&c->r->rq, c->r->bx.resp.status);
	enter(c, C_RESP);
	extra_len = c->r->bx.in_len - c->r->bx.resp.head_len - whole;
	if (whole) {
		count_body(c, false, SG_RELAY_COPY, whole);
		c->r->rq.engine = SG_RELAY_COPY;
		c->resp_body = SG_H1_BODY_NONE;
		if (extra_len)
			c->resp_keep_alive = false; /* more than its response */
		extra_len = 0;
	}
	if (tunnel) {
		start_upgraded_tunnel(c, extra_len);
		return;
	}
	switch (c->resp_body) {
	case SG_H1_BODY_NONE:
		c->resp_done = true;
		break;
	case SG_H1_BODY_LENGTH:
		c->r->rq.engine = init_pump(c, &c->r->resp_pump, false,
					    (uint64_t)c->r->bx.resp.content_length, false);
		break;
	case SG_H1_BODY_CLOSE:
		c->r->rq.engine = init_pump(c, &c->r->resp_pump, false, UINT64_MAX, false);
		break;
	case SG_H1_BODY_CHUNKED:
		/* chunk framing is parsed here */
		c->r->rq.engine = init_pump(c, &c->r->resp_pump, false, 0, true);
		memset(&c->r->resp_chunks, 0, sizeof(c->r->resp_chunks));
		c->r->resp_chunks.decode = dechunk;
		break;
	}
	if (c->resp_body != SG_H1_BODY_NONE) {
		c->resp_pumping = true;
		if (extra_len && c->resp_body != SG_H1_BODY_CHUNKED) {
			uint64_t budget = c->r->resp_pump.budget;
			size_t take = extra_len < budget ? extra_len : (size_t)budget;

			if (sg_pump_prime(&c->r->resp_pump, c->r->bx.in + c->r->bx.resp.head_len,
					  take) == -1) {
				client_close(c);
				return;
			}
		} else if (extra_len) {
			char *body = c->r->bx.in + c->r->bx.resp.head_len;
			size_t out;

			if (chunk_body(&c->r->resp_chunks, body, extra_len, &out) < 0) {
				client_close(c);
				return;
			}
			c->r->resp_pump.budget = (uint64_t)out;
			if (out && sg_pump_prime(&c->r->resp_pump, body, out) == -1) {
				client_close(c);
				return;
			}
		}
	}
	c->r->bx.in_len = 0;
	if (!deferred)
		drive_response(c);
}

/* A response head over PROXY_HEAD_MAX: the attempt failed with an invalid
 * response (503), in the log as such. */
static void response_too_large(struct client *c)
{
	SG_WARN("%s: backend response head over %d KiB", c->ip, PROXY_HEAD_MAX / 1024);
	fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
}

static void read_backend_head(struct client *c)
{
	while (!c->closed && c->state == C_ATTEMPT && c->r->rq.at.conn) {
		int err;

		if (alloc_slots(&c->r->bx.resp.headers, &c->r->bx.resp.headers_cap,
				SG_H1_MAX_HEADERS) == -1) {
			fail_request(c, SG_FAIL_BAD_RESPONSE, ENOMEM);
			return;
		}
		switch (sg_h1backend_recv_head(&c->r->bx, c->r->rq.at.conn, PROXY_HEAD_MAX, &err)) {
		case SG_H1BACKEND_MORE:
			return;
		case SG_H1BACKEND_HEAD:
			/* After a 1xx passed on, the loop reads the next head,
			 * which may be in hand already. */
			got_response_head(c);
			continue;
		case SG_H1BACKEND_EOF:
			if (!err && early_eof(c, &c->r->rq.at.conn->k, c->r->rq.at.conn->fd))
				return;
			sg_attempt_read_failed(&c->r->rq.at, err);
			return;
		case SG_H1BACKEND_INVALID:
			sg_attempt_failed(&c->r->rq.at, SG_FAIL_BAD_RESPONSE, EPROTO);
			return;
		case SG_H1BACKEND_TOO_LARGE:
			response_too_large(c);
			return;
		case SG_H1BACKEND_NOMEM:
			fail_request(c, SG_FAIL_BAD_RESPONSE, ENOMEM);
			return;
		}
	}
}

/* ---- body relays ------------------------------------------------------- */

/* One step of a chunked relay: flush what was scanned, then read and scan
 * more. Bytes after the body's end are the next message's: they are put in
 * the input buffer of `keep` (the client, for requests) or dropped (NULL). */
static enum sg_pump_status chunked_run(struct sg_pump *p, struct chunk_relay *cr,
				       struct client *keep, int *side)
{
	char buf[16384];

	for (int rounds = 0; rounds < 64; rounds++) {
		enum sg_pump_status st = sg_pump_run(p, SG_PUMP_SLICE, side);
		ssize_t n, used;
		size_t out;

		if (st != SG_PUMP_DONE)
			return st;
		if (cr->done)
			return SG_PUMP_DONE;
		n = sg_pump_recv(p, buf, sizeof(buf));
		if (n == -1 && errno == EAGAIN)
			return SG_PUMP_WANT_READ;
		if (n == -1 && errno == EINPROGRESS)
			return SG_PUMP_WAIT;
		if (n <= 0) {
			*side = 0;
			if (n == 0)
				errno = EPIPE;
			return n == 0 ? SG_PUMP_EOF : SG_PUMP_ERROR;
		}
		used = chunk_body(cr, buf, (size_t)n, &out);
		if (used < 0) {
			*side = 0;
			errno = EPROTO;
			return SG_PUMP_ERROR;
		}
		p->budget = (uint64_t)out;
		if (out && sg_pump_prime(p, buf, out) == -1) {
			*side = 1;
			errno = ENOMEM;
			return SG_PUMP_ERROR;
		}
		/* Decoding left buf[used..n) as it was. */
		if (keep && (size_t)n > (size_t)used) {
			if (grow_in(keep, keep->in_len + (size_t)n - (size_t)used) == -1)
				return SG_PUMP_ERROR;
			memcpy(keep->in + keep->in_len, buf + used, (size_t)n - (size_t)used);
			keep->in_len += (size_t)n - (size_t)used;
		}
	}
	return SG_PUMP_AGAIN;
}

/* Bytes a sockmap pump read past the end of a body. A request's are the
 * next pipelined request: they go behind the buffered ones. Returns -1 when
 * they cannot be kept. */
static int take_extra(struct client *c, struct sg_pump *p)
{
	const char *data;
	size_t n = p->engine == SG_RELAY_SOCKMAP ? sg_pump_extra(p, &data) : 0;

	if (!n)
		return 0;
	if (p == &c->r->resp_pump) {
		/* The backend sent more than its response: never reuse it. */
		c->resp_keep_alive = false;
		return 0;
	}
	if (grow_in(c, c->in_len + n) == -1)
		return -1;
	memcpy(c->in + c->in_len, data, n);
	c->in_len += n;
	return 0;
}

static void response_done(struct client *c)
{
	c->resp_done = true;
	if (c->req_pumping && !c->req_done && c->r->req_pump.engine == SG_RELAY_SOCKMAP) {
		/* The kernel may have moved the whole upload already, its
		 * ring event still queued: look before calling it unfinished.
		 * Waiting for the drain barrier, the kick brings us back. */
		drive_request_body(c);
		if (c->closed || (c->req_pumping && !c->req_done && c->kick_at))
			return;
	}
	if (c->req_pumping && !c->req_done) {
		/* The backend answered before the upload finished: the rest of
		 * the request body cannot be told apart from a next request. */
		c->client_close = true;
		c->resp_keep_alive = false;
	}
	if (c->state == C_RESP && client_out_pending(c))
		return; /* EPOLLOUT brings us back */
	finish_request(c);
}

static void drive_response(struct client *c)
{
	enum sg_pump_status st;
	int side = 0;

	if (c->closed || c->state != C_RESP || !flushed(c))
		return;
	if (c->r->h2_resp) {
		h2_flushed(c);
		return;
	}
	if (c->resp_done || !c->resp_pumping) {
		response_done(c);
		return;
	}
	if (c->resp_body == SG_H1_BODY_CHUNKED) {
		st = chunked_run(&c->r->resp_pump, &c->r->resp_chunks, NULL, &side);
	} else {
		st = sg_pump_run(&c->r->resp_pump, SG_PUMP_SLICE, &side);
		c->resp_batch_at = st == SG_PUMP_WANT_READ && sg_pump_batching(&c->r->resp_pump)
					   ? now(c) + SG_RELAY_BATCH_MS
					   : 0;
	}
	switch (st) {
	case SG_PUMP_DONE:
		c->resp_pumping = false;
		take_extra(c, &c->r->resp_pump);
		pump_done(c, &c->r->resp_pump);
		response_done(c);
		return;
	case SG_PUMP_EOF:
		if (c->resp_body == SG_H1_BODY_CLOSE) {
			c->resp_keep_alive = false;
			c->resp_pumping = false;
			pump_done(c, &c->r->resp_pump);
			response_done(c);
			return;
		}
		client_close(c); /* truncated body: its length tells the client */
		return;
	case SG_PUMP_ERROR:
		SG_DEBUG("%s: response body (%s): %s side: %s", c->ip,
			 sg_relay_engine_name(c->r->resp_pump.engine), side ? "client" : "backend",
			 strerror(errno));
		/* The backend failed mid-body: a body with a length or chunks
		 * tells the client it was cut; a close-delimited one only by
		 * an abortive close. */
		if (!side && c->resp_body == SG_H1_BODY_CLOSE)
			client_abort(c);
		else
			client_close(c);
		return;
	case SG_PUMP_WAIT:
		kick(c);
		return;
	default:
		return;
	}
}

static void drive_request_body(struct client *c)
{
	enum sg_pump_status st;
	int side = 0;

	if (c->closed || !c->req_pumping || c->req_done)
		return;
	if (c->req_body == SG_H1_BODY_CHUNKED) {
		/* Bytes after the body are appended to `in`, behind the head. */
		st = chunked_run(&c->r->req_pump, &c->r->req_chunks, c, &side);
	} else {
		st = sg_pump_run(&c->r->req_pump, SG_PUMP_SLICE, &side);
		c->batch_at = st == SG_PUMP_WANT_READ && sg_pump_batching(&c->r->req_pump)
				      ? now(c) + SG_RELAY_BATCH_MS
				      : 0;
	}
	switch (st) {
	case SG_PUMP_DONE:
		c->req_done = true;
		c->req_pumping = false;
		if (take_extra(c, &c->r->req_pump) == -1) {
			client_close(c);
			return;
		}
		pump_done(c, &c->r->req_pump);
		return;
	case SG_PUMP_EOF:
	case SG_PUMP_ERROR:
		if (st == SG_PUMP_ERROR)
			SG_DEBUG("%s: request body (%s): %s side: %s", c->ip,
				 sg_relay_engine_name(c->r->req_pump.engine),
				 side ? "backend" : "client", strerror(errno));
		if (st == SG_PUMP_ERROR && side == 0 && errno == EPROTO && !c->r->rq.resp_started) {
			/* Bad chunk framing after the head: the client gets
			 * its 400, the backend never sees the rest. */
			c->req_done = false;
			fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		if (side == 0 || c->r->rq.resp_started) {
			client_close(c);
			return;
		}
		/* The backend stopped reading; its response may still come. */
		pump_done(c, &c->r->req_pump);
		c->req_pumping = false;
		c->client_close = true;
		return;
	case SG_PUMP_WAIT:
		kick(c);
		return;
	default:
		return;
	}
}

/* ---- an HTTP/2 backend (user/core/h2backend.c) ------------------------------ */

/* This try's request on the attempt's stream: the head as an HTTP/1
 * backend would get it (without an upgrade offer: Upgrade is HTTP/1's),
 * the body from `in`. */
static void send_h2(struct client *c)
{
	struct request *r = c->r;
	struct sg_h1_edit edit;
	int rc;

	c->upgrade_sent = false;
	r->h2_up_off = 0;
	r->h2_up_wait = false;
	if (!r->rq.at.replayable && c->req_body == SG_H1_BODY_LENGTH)
		r->h2_up_left = (uint64_t)r->req.content_length;
	memset(&r->h2_up_chunks, 0, sizeof(r->h2_up_chunks));
	sg_buf_reset(&r->h2_trailers.lines);
	sg_filter_request_edit(&r->rq.plan, &edit);
	rc = sg_attempt_send(&r->rq.at, &r->req, &edit, c->ip, c->req_body != SG_H1_BODY_NONE);
	if (rc < 0) {
		fail_request(c, SG_FAIL_CONNECT, -rc);
		return;
	}
	c->request_written = true;
	if (r->rq.at.replayable) {
		c->r->rq.bytes_in = c->body_len;
		c->req_done = true;
	}
	settle(c);
}

static void on_client_later(struct sg_deferred *d)
{
	struct client *c = (struct client *)((char *)d - offsetof(struct client, later));

	if (c->closed || !c->r)
		return; /* a closed client's free waits until this ran (loop.h) */
	drive_response(c);
	settle(c);
}

/* Queue bytes for the client, written once the loop's pass is over: the
 * head, body and last chunk an HTTP/2 backend's frames bring in one read
 * go in one write. */
static int client_queue(struct client *c, const struct iovec *iov, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (sg_buf_append(&c->out, iov[i].iov_base, iov[i].iov_len) < 0)
			return -1;
	sg_loop_after_pass(c->ctx->loop, &c->later, on_client_later);
	return 0;
}

/* Take n body bytes from `in` after the head (the rest moves up). */
static void take_in(struct client *c, size_t n)
{
	size_t head = c->r->req.head_len;

	memmove(c->in + head, c->in + head + n, c->in_len - head - n);
	c->in_len -= n;
}

/* The streamed request body's next bytes: from `in` after the head, read
 * from the client when that is empty. */
static ssize_t h2_upload(struct client *c, char *buf, size_t len, bool *eof)
{
	struct request *r = c->r;

	for (int rounds = 0; rounds < 64; rounds++) {
		size_t head = r->req.head_len, avail = c->in_len - head;
		ssize_t n;

		if (avail && c->req_body == SG_H1_BODY_LENGTH) {
			size_t take = avail < len ? avail : len;

			if (take > r->h2_up_left)
				take = (size_t)r->h2_up_left;
			memcpy(buf, c->in + head, take);
			take_in(c, take);
			r->h2_up_left -= take;
			count_body(c, true, SG_RELAY_COPY, take);
			*eof = c->req_done = r->h2_up_left == 0;
			return (ssize_t)take;
		}
		if (avail) {
			struct sg_h1_span d;
			bool done = false;
			ssize_t used = sg_h1_chunked_decode_trailers(&r->h2_up_chunks, c->in + head,
								     avail < len ? avail : len, &d,
								     &done, &r->h2_trailers.lines);

			if (used < 0) {
				fail_request(c, SG_FAIL_BAD_REQUEST, 0);
				return -EPROTO;
			}
			/* d points into what is taken: copy it out first. */
			memcpy(buf, d.p, d.len);
			take_in(c, (size_t)used);
			count_body(c, true, SG_RELAY_COPY, d.len);
			*eof = c->req_done = done;
			if (d.len || done)
				return (ssize_t)d.len;
			if (used)
				continue;
		}
		if (grow_in(c, c->in_len + 16384) == -1)
			return -ENOMEM;
		n = sg_sock_recv(c->tls, c->io.fd, c->in + c->in_len, 16384, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* The backend's flush asks, outside our dispatch: the
			 * client's mask must say EPOLLIN now. */
			r->h2_up_wait = true;
			settle(c);
			return -EAGAIN;
		}
		client_close(c); /* gone before its body ended */
		return -EPIPE;
	}
	r->h2_up_wait = true; /* enough for one call: the next event resumes */
	settle(c);
	return -EAGAIN;
}

static size_t h2_trailers(struct sg_attempt *a, const struct sg_h2_field **t)
{
	return sg_h2_kept_fields(&((struct client *)a->owner)->r->h2_trailers, t);
}

static ssize_t h2_body(struct sg_attempt *a, char *buf, size_t len, bool *eof)
{
	struct client *c = a->owner;
	struct request *r = c->r;
	size_t n;

	if (!r->rq.at.replayable)
		return h2_upload(c, buf, len, eof);
	n = c->body_len - r->h2_up_off;
	if (n > len)
		n = len;
	memcpy(buf, c->in + r->req.head_len + r->h2_up_off, n);
	r->h2_up_off += n;
	*eof = r->h2_up_off == c->body_len;
	return (ssize_t)n;
}

/* The client's socket took every byte passed on: the backend may send as
 * many more; at the end of the response, the request is done. */
static void h2_flushed(struct client *c)
{
	if (c->r->h2_unconsumed) {
		/* one stream a client: its window grows as it reads */
		sg_attempt_consume(&c->r->rq.at, c->r->h2_unconsumed, c->r->h2_unconsumed);
		c->r->h2_unconsumed = 0;
	}
	if (c->resp_done)
		response_done(c);
}

static void h2_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct client *c = a->owner;
	struct request *r = c->r;
	char head[PROXY_HEAD_MAX + 256];
	static const char chunked[] = "Transfer-Encoding: chunked\r\n";
	static const char zero_length[] = "Content-Length: 0\r\n";
	struct sg_h1_edit edit;
	ssize_t n;

	if (resp->status < 200) {
		/* Interim: passed on to an HTTP/1.1 client (RFC 9110 §15.2). */
		n = sg_h1_write_response_edit(resp, NULL, SG_H1_CONN_NONE, NULL, head,
					      sizeof(head));
		if (r->req.minor && n > 0 && client_write(c, head, (size_t)n) == -1)
			client_close(c);
		settle(c);
		return;
	}
	if (sg_attempt_took_status(a, resp->status)) {
		settle(c);
		return;
	}
	/* The framing the client gets: none for a head that ended the stream
	 * (a Content-Length 0 said if the backend gave none), the backend's
	 * length, else chunks; chunks too for a client that asked for
	 * trailers (TE: trailers), which only they can carry. */
	bool bodyless = c->r->rq.is_head || resp->status == 204 || resp->status == 304;
	bool te_trailers = r->req.minor &&
			   sg_h1_headers_list(r->req.headers, r->req.nheaders, "te", "trailers");
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	struct sg_h1_resp chunked_resp;
	const char *extra = NULL;

	sg_filter_response_edit(&r->rq.plan, &edit);
	if (bodyless || (end && resp->content_length <= 0)) {
		c->resp_body = SG_H1_BODY_NONE;
		if (!bodyless && resp->content_length < 0)
			extra = zero_length;
	} else if (resp->content_length >= 0 && !(te_trailers && !end)) {
		c->resp_body = SG_H1_BODY_LENGTH;
	} else if (r->req.minor) {
		c->resp_body = SG_H1_BODY_CHUNKED;
		extra = chunked;
		without_header(resp, "content-length", &chunked_resp, slots);
		chunked_resp.content_length = -1;
		resp = &chunked_resp;
	} else {
		c->resp_body = SG_H1_BODY_CLOSE;
	}
	r->h2_chunked = c->resp_body == SG_H1_BODY_CHUNKED;
	if (c->resp_body == SG_H1_BODY_CLOSE || !r->req.keep_alive || c->ctx->draining ||
	    too_old(c) || !c->req_done)
		c->client_close = true;
	n = sg_h1_write_response_edit(resp, &edit, conn_field(c, c->client_close), extra, head,
				      sizeof(head));
	if (n < 0) {
		fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
		settle(c);
		return;
	}
	if (client_queue(c, &(struct iovec){ head, (size_t)n }, 1) == -1) {
		client_close(c);
		return;
	}
	r->h2_resp = true;
	c->r->rq.resp_started = true;
	c->r->rq.engine = SG_RELAY_COPY;
	sg_request_response_head(&c->r->rq, resp->status);
	enter(c, C_RESP);
	settle(c);
}

static void h2_data(struct sg_attempt *a, const char *p, size_t n)
{
	struct client *c = a->owner;
	struct request *r = c->r;
	char line[SG_H1_CHUNK_LINE];
	struct iovec iov[3] = {
		{ line, 0 },
		{ (void *)(uintptr_t)p, n },
		{ (void *)(uintptr_t) "\r\n", 0 },
	};

	if (c->closed || c->resp_body == SG_H1_BODY_NONE) {
		sg_attempt_consume(a, n, 0);
		return;
	}
	if (r->h2_chunked) {
		iov[0].iov_len = sg_h1_chunk_size_line(n, line);
		iov[2].iov_len = 2;
	}
	if (client_queue(c, iov, 3) == -1) {
		client_close(c);
		return;
	}
	count_body(c, false, SG_RELAY_COPY, n);
	r->h2_unconsumed += n;
	if (!client_out_pending(c))
		h2_flushed(c);
	settle(c);
}

/* The response's end: the last chunk with the trailers (an HTTP/1.1
 * chunked body carries them, RFC 9112 §7.1.2); trailers of a body with a
 * length have no place and are dropped. Cut after its head (err): the
 * client must see it cut. */
static void h2_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err)
{
	struct client *c = a->owner;
	struct sg_buf end = { 0 };
	int rc = 0;

	if (err) {
		client_close(c);
		return;
	}
	if (c->r->h2_chunked) {
		rc |= sg_buf_append(&end, "0\r\n", 3);
		for (size_t i = 0; i < n; i++) {
			rc |= sg_buf_append(&end, t[i].name, t[i].name_len);
			rc |= sg_buf_append(&end, ": ", 2);
			rc |= sg_buf_append(&end, t[i].value, t[i].value_len);
			rc |= sg_buf_append(&end, "\r\n", 2);
		}
		rc |= sg_buf_append(&end, "\r\n", 2);
		if (rc || client_queue(c, &(struct iovec){ sg_buf_data(&end), end.len }, 1) == -1) {
			sg_buf_free(&end);
			client_close(c);
			return;
		}
		sg_buf_free(&end);
	}
	c->resp_done = true;
	if (!client_out_pending(c))
		h2_flushed(c);
	settle(c);
}

/* ---- the client side --------------------------------------------------- */

static size_t max_headers(const struct client *c)
{
	const struct sg_frontend_http *h =
		c->bind->nlisteners ? c->bind->listeners[0].fhttp : &c->cfg->default_fhttp;
	size_t n = PROXY_DEFAULT_MAX_HEADERS;

	/* The codec never takes more: no slot is allocated past it. */
	if (h->http1_max_headers > 0)
		n = (size_t)h->http1_max_headers;
	return n < SG_H1_MAX_HEADERS ? n : SG_H1_MAX_HEADERS;
}

/* The client speaks HTTP/2 (the preface, or an h2c upgrade of `upgrade`):
 * user/http2/h2proxy.c takes the socket and the bytes read past that request's
 * head, and this client goes away without closing it (close(-1) is a
 * harmless EBADF). Only ever on a connection's first request, so no byte of
 * it went through a body relay or the socket map. */
static void switch_to_h2(struct client *c, const struct sg_h1_req *upgrade)
{
	size_t used = upgrade ? upgrade->head_len : 0;
	int fd = c->io.fd;

	struct sg_tls *tls = c->tls;

	c->io.fd = -1;
	c->tls = NULL;
	c->src_held = false; /* the HTTP/2 connection releases it */
	sg_h2proxy_accept(c->ctx, c->cfg, c->bind, fd, tls, c->ip, c->in + used, c->in_len - used,
			  upgrade, c->born, &c->io);
	client_close(c);
}

/* Whether the chunked body bytes that arrived with the head are well framed
 * so far; the rest is checked as it is relayed. */
static bool chunked_prefix_ok(const struct client *c)
{
	struct sg_h1_chunked scan = { 0 };
	bool done;

	return sg_h1_chunked_scan(&scan, c->in + c->r->req.head_len, c->in_len - c->r->req.head_len,
				  &done) >= 0;
}

/* Each request on a kept-alive connection is served by the config in force
 * when its head arrives, on the bind of the same port (user/core/request.h):
 * with its port gone from the new config the connection keeps the config
 * it has. Nothing of the previous request's config is kept (listener,
 * route, backend). */
static void follow_config(struct client *c)
{
	const struct sg_bind *b = sg_request_follow_config(c->ctx, c->cfg, c->bind);

	if (!b)
		return;
	c->listener = c->r->rq.listener = NULL;
	c->r->rq.match = NULL;
	c->r->rq.at.route = NULL;
	c->r->rq.at.backend = NULL;
	c->bind = c->r->rq.bind = b;
	sg_cfg_unref(c->cfg);
	c->cfg = sg_cfg_ref(c->ctx->cfg);
}

/* A complete request head is in `in`. */
static void got_request_head(struct client *c)
{
	struct sg_request_head h;

	follow_config(c);
	/* h2c is cleartext only (RFC 9113 3.1): over TLS, ALPN says h2. */
	if (!c->served && !c->tls && sg_h2_upgrade_request(&c->r->req)) {
		switch_to_h2(c, &c->r->req);
		return;
	}

	c->served = true;
	c->idle_at = c->head_at = c->warm_at = 0;
	c->resp_done = false;
	c->is_connect = c->r->req.method.len == 7 && !memcmp(c->r->req.method.p, "CONNECT", 7);
	/* Bytes after a CONNECT head are the tunnel's, never a next request:
	 * unless a 2xx opens the tunnel, the connection ends with the answer. */
	c->client_close = !c->r->req.keep_alive || c->is_connect;
	c->req_body = sg_h1_request_body(&c->r->req);
	c->req_done = c->req_body == SG_H1_BODY_NONE;
	h = (struct sg_request_head){
		.req = &c->r->req,
		.cfg = c->cfg,
		.bind = c->bind,
		.sni_listener = c->tls ? sg_tls_listener_key(c->tls) : NULL,
		/* A body small enough is read whole before the first try:
		 * it can be sent again. */
		.replayable = c->req_body == SG_H1_BODY_NONE ||
			      (c->req_body == SG_H1_BODY_LENGTH &&
			       c->r->req.content_length <= PROXY_REPLAY_MAX),
		.engine = c->ctx->engine,
	};
	if (!sg_request_begin(&c->r->rq, &h))
		return;
	c->body_len = 0;
	if (c->r->rq.at.replayable && c->req_body == SG_H1_BODY_LENGTH) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* The body is read here before any backend sees the request,
		 * so the gateway itself tells a waiting client to send it. */
		if (sg_h1_expects_continue(&c->r->req) &&
		    c->in_len - c->r->req.head_len < (size_t)c->r->req.content_length &&
		    client_write(c, cont, sizeof(cont) - 1) == -1) {
			client_close(c);
			return;
		}
		enter(c, C_BODY);
		read_request_head(c); /* reads the body into `in` */
		return;
	}
	/* Chunk framing that came with the head is checked before a backend
	 * sees the request: a malformed body is refused, not half forwarded. */
	if (c->req_body == SG_H1_BODY_CHUNKED && !chunked_prefix_ok(c)) {
		c->req_done = false;
		fail_request(c, SG_FAIL_BAD_REQUEST, 0);
		return;
	}
	forward(c);
}

/* Drop the finished request from `in`, keeping pipelined bytes. */
static void consume_request(struct client *c)
{
	size_t used = c->r->req.head_len + c->body_len;

	if (used > c->in_len)
		used = c->in_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->r->req.head_len = 0;
	c->body_len = 0;
}

/* A head past PROXY_HEAD_MAX: 414 when its request line alone is (RFC
 * 9112 §3: a server that receives a request-target longer than any URI it
 * wishes to parse answers 414), else 431. */
static enum sg_fail too_large(const struct client *c)
{
	size_t n = c->in_len < PROXY_HEAD_MAX ? c->in_len : PROXY_HEAD_MAX;

	return memchr(c->in, '\n', n) ? SG_FAIL_HEAD_TOO_LARGE : SG_FAIL_URI_TOO_LONG;
}

static void try_parse(struct client *c)
{
	if (c->state == C_HEAD && !c->head_at && c->ctx->head_timeout_ms) {
		c->head_at = now(c) + c->ctx->head_timeout_ms;
	}
	if (c->state == C_HEAD && !c->served) {
		int h2 = sg_h2_preface(c->in, c->in_len);

		if (h2 == 0)
			return; /* so far a prefix of the HTTP/2 preface */
		if (h2 == 1) {
			switch_to_h2(c, NULL);
			return;
		}
	}
	if (c->state == C_HEAD) {
		if (alloc_slots(&c->r->req.headers, &c->r->req.headers_cap, max_headers(c)) == -1) {
			client_close(c);
			return;
		}
		switch (sg_h1_parse_request(c->in, c->in_len, max_headers(c), &c->r->req)) {
		case SG_H1_PARTIAL:
			if (c->in_len > PROXY_HEAD_MAX) {
				c->req_done = false;
				fail_request(c, too_large(c), 0);
			}
			return;
		case SG_H1_INVALID:
			c->req_done = false;
			fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		case SG_H1_TOO_LARGE:
			c->req_done = false;
			fail_request(c, SG_FAIL_HEAD_TOO_LARGE, 0);
			return;
		case SG_H1_DONE:
			if (c->r->req.head_len > PROXY_HEAD_MAX) {
				c->req_done = false;
				fail_request(c, too_large(c), 0);
				return;
			}
			got_request_head(c);
			return;
		}
	}
	if (c->state == C_BODY) {
		size_t have = c->in_len - c->r->req.head_len;

		if (have < (size_t)c->r->req.content_length)
			return;
		c->body_len = (size_t)c->r->req.content_length;
		c->req_done = true;
		forward(c);
	}
}

static void read_request_head(struct client *c)
{
	if (!request_new(c)) {
		client_close(c);
		return;
	}
	if (c->state == C_HEAD && c->in_len && c->r->req.head_len == 0)
		try_parse(c);
	else if (c->state == C_BODY)
		try_parse(c);
	while (!c->closed && (c->state == C_HEAD || c->state == C_BODY)) {
		ssize_t n;

		if (grow_in(c, c->in_len + 4096) == -1) {
			client_close(c);
			return;
		}
		n = sg_sock_recv(c->tls, c->io.fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		sg_ksock_read(&c->ck, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == 0 && early_eof(c, &c->ck, c->io.fd))
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		/* A request answered inside this loop (by the gateway: a filter's
		 * answer, a 404) may have released the request state while the
		 * connection waits for the next head, which just came. */
		if (!request_new(c)) {
			client_close(c);
			return;
		}
		try_parse(c);
	}
}

/* ---- TCP routes -------------------------------------------------------- */

static void drive_tunnel(struct client *c);
static void tunnel_pumps(struct client *c);
static void begin_tunnel(struct client *c);

static void on_tunnel_up(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	if (!c->r->rq.at.connected) {
		int err = sg_backend_connect_error(c->r->rq.at.conn);

		if (err == EINPROGRESS)
			return; /* the name's next address */
		if (err) {
			client_close(c);
			return;
		}
		c->r->rq.at.connected = true;
		c->r->rq.at.connect_at = 0;
		begin_tunnel(c);
	}
	drive_tunnel(c);
	settle(c);
}

/* Both pumps are idle: close their pipes and pair the sockets (init_pump
 * chooses the socket map for a promoted tunnel). */
static void promote_tunnel(struct client *c)
{
	pump_done(c, &c->r->req_pump);
	pump_done(c, &c->r->resp_pump);
	tunnel_pumps(c);
	SG_DEBUG("%s: interactive tunnel: %s from now on", c->ip,
		 sg_relay_engine_name(c->r->rq.engine));
}

static void drive_tunnel(struct client *c)
{
	if (c->closed || !c->r->rq.at.connected)
		return;
	if (client_out_pending(c) && client_flush(c) == -1) {
		client_close(c);
		return;
	}
	if (client_out_pending(c))
		return;
	switch (sg_tunnel_run(&c->r->tunnel, now(c))) {
	case SG_TUNNEL_OPEN:
		return;
	case SG_TUNNEL_KICK:
		kick(c);
		return;
	case SG_TUNNEL_PROMOTE:
		promote_tunnel(c);
		drive_tunnel(c);
		return;
	case SG_TUNNEL_DONE:
		client_close(c);
		return;
	case SG_TUNNEL_ERROR:
		/* A reset (or a failed write) on one side is passed on as a
		 * reset on both: an aborted stream must not look finished to
		 * the other end (a FIN would). */
		if (c->r->rq.at.conn && c->r->rq.at.conn->fd >= 0)
			sg_net_reset_on_close(c->r->rq.at.conn->fd);
		client_abort(c);
		return;
	}
}

/* A tunnel's two pumps (a promoted one's on the socket map). */
static void tunnel_pumps(struct client *c)
{
	c->r->rq.engine = init_pump(c, &c->r->req_pump, true, UINT64_MAX, false);
	init_pump(c, &c->r->resp_pump, false, UINT64_MAX, false);
	c->req_pumping = c->resp_pumping = true;
}

/* The backend is connected: both directions relayed until EOF, for TCP
 * routes and upgrades alike. */
static void begin_tunnel(struct client *c)
{
	tunnel_pumps(c);
	sg_tunnel_begin(&c->r->tunnel, &c->r->req_pump, &c->r->resp_pump, c->ctx->tunnel_promote,
			now(c));
	if (c->bind->proto == SG_PROTO_TLS)
		sg_tunnel_tls(&c->r->tunnel);
	sg_idle_stop(&c->r->rq.body_idle); /* a tunnel has --tunnel-idle-timeout instead */
	if (c->ctx->tunnel_idle_ms)
		c->idle_at = now(c) + c->ctx->tunnel_idle_ms;
}

/* Milliseconds since a byte last moved, `idle` as userspace saw it: for
 * sockets in the socket map the kernel's last-activity stamp (every skb
 * the verdict sees, redirected or passed) may be later, so a stream the
 * kernel moves alone is not idle. */
static uint64_t kernel_idle(struct client *c, const struct sg_ksock *k, int fd, uint64_t idle)
{
	struct sg_splice_sock ss;

	if (c->ctx->kmap && k->in_map &&
	    sg_splice_sock(sg_sockmap_splice(c->ctx->kmap), fd, &ss) == 0 &&
	    ss.idle_ns / 1000000 < idle)
		return ss.idle_ns / 1000000;
	return idle;
}

/* `idle` as userspace saw it, made shorter by what the kernel moved alone
 * on either socket of the request (sg_idle_quiet_fn). */
static uint64_t kernel_quiet(void *arg, uint64_t idle)
{
	struct client *c = arg;

	idle = kernel_idle(c, &c->ck, c->io.fd, idle);
	return c->r->rq.at.conn ? kernel_idle(c, &c->r->rq.at.conn->k, c->r->rq.at.conn->fd, idle)
				: idle;
}

static uint64_t quiet_ms(struct client *c, uint64_t since)
{
	return kernel_quiet(c, now(c) - since);
}

/* ---- body progress (--body-idle-timeout) ------------------------------- */

/* Bytes this request has read or written so far, either way; it only
 * matters whether it changed. */
static uint64_t body_progress(const struct client *c)
{
	const struct request *r = c->r;

	return c->in_len + c->out.off +
	       (r ? r->bx.in_len + r->req_pump.moved + r->req_pump.pending + r->resp_pump.moved +
				r->resp_pump.pending
		  : 0);
}

/* After each I/O event: a body that moved was active now, so the
 * deadline counts from its last byte, not from the last check. */
static void note_progress(struct client *c)
{
	if (!c->closed && c->r)
		sg_request_note_progress(&c->r->rq);
}

/* After 101 Switching Protocols both directions are opaque bytes until
 * either side closes: the same relay as a TCP route. */
static void start_upgraded_tunnel(struct client *c, size_t extra_len)
{
	size_t early = c->in_len - c->r->req.head_len;

	enter(c, C_TUNNEL);
	c->client_close = true;
	begin_tunnel(c);
	if (c->closed)
		return;
	if ((early && sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, early) == -1) ||
	    (extra_len && sg_pump_prime(&c->r->resp_pump, c->r->bx.in + c->r->bx.resp.head_len,
					extra_len) == -1)) {
		client_close(c);
		return;
	}
	c->in_len = c->r->req.head_len;
	c->r->bx.in_len = 0;
	free_all_slots(c); /* a tunnel reads no header again */
	c->r->rq.at.conn->io.cb = on_tunnel_up;
	drive_tunnel(c);
}

/* Route r of listener l (a TCP listener's first, or the one TLS
 * passthrough chose by SNI; NULL: none) to one of its backends. */
static void start_tunnel(struct client *c, const struct sg_listener *l,
			 const struct sg_tcp_route *r)
{
	size_t bi, ei;
	int err;

	c->state = C_TUNNEL; /* its first state (sg_proxy_accept) */
	c->listener = l;
	if (!request_new(c)) {
		client_close(c);
		return;
	}
	if (!r || !sg_route_pick(&r->backends, sg_route_random(&c->ctx->rng), 0, &bi, &ei)) {
		client_close(c);
		return;
	}
	c->r->rq.at.backend = &r->backends.v[bi];
	c->r->rq.at.conn = sg_backend_connect(c->ctx->pool, &c->r->rq.at.backend->eps[ei],
					      &c->r->rq.at.backend->eff_keepalive, &err);
	if (!c->r->rq.at.conn) {
		client_close(c);
		return;
	}
	if (c->r->rq.at.backend->eff_connect_timeout > 0)
		c->r->rq.at.connect_at = now(c) + ms(c->r->rq.at.backend->eff_connect_timeout);
	c->r->rq.at.conn->io.cb = on_tunnel_up;
	c->r->rq.at.conn->io.data = c;
}

/* ---- events ------------------------------------------------------------ */

/* Register what the current state waits for, on both sockets. */
static void update_io(struct client *c)
{
	uint32_t cev = 0, uev = 0;
	struct sg_loop *loop = c->ctx->loop;

	if (c->closed)
		return;
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		cev = EPOLLIN;
		break;
	case C_ATTEMPT:
		if (c->r->h2_up_wait)
			cev |= EPOLLIN;
		if (!c->r->rq.at.conn)
			break;
		/* EPOLLRDHUP too: the mask a pooled connection keeps, so that
		 * taking it from the pool and giving it back cost nothing. */
		uev = !c->r->rq.at.connected ? sg_backend_connect_events(c->r->rq.at.conn)
		      : sg_h1backend_pending(&c->r->bx) ? EPOLLOUT
							: EPOLLIN | EPOLLRDHUP;
		if (c->request_written && c->req_pumping && !c->req_done) {
			if (c->r->req_pump.pending)
				uev |= EPOLLOUT;
			else
				cev |= EPOLLIN;
		}
		break;
	case C_RESP:
		if (c->r->h2_up_wait)
			cev |= EPOLLIN;
		/* Bytes queued for after the pass need no EPOLLOUT yet. */
		if ((client_out_pending(c) && !sg_deferred_queued(&c->later)) ||
		    (c->resp_pumping && c->r->resp_pump.pending))
			cev |= EPOLLOUT;
		else if (c->resp_pumping && c->r->rq.at.conn)
			uev |= EPOLLIN | EPOLLRDHUP;
		if (c->req_pumping && !c->req_done && c->r->rq.at.conn) {
			if (c->r->req_pump.pending)
				uev |= EPOLLOUT;
			else
				cev |= EPOLLIN;
		}
		break;
	case C_TUNNEL:
		if (!c->r->rq.at.connected) {
			uev = EPOLLOUT;
			break;
		}
		sg_tunnel_events(&c->r->tunnel, &cev, &uev);
		if (client_out_pending(c))
			cev |= EPOLLOUT;
		break;
	case C_CLOSING:
		cev = EPOLLOUT;
		break;
	case C_LINGER:
		cev = EPOLLIN;
		break;
	}
	/* While nothing is read from the client, still hear it leave: an
	 * attempt for a client that is gone is abandoned, and so is a
	 * response whose backend went quiet mid-body (it may stay quiet for
	 * ever, holding both sockets). (Only then: a half-closed client stays
	 * RDHUP-readable, which would spin.) */
	if (c->state == C_ATTEMPT || (c->state == C_RESP && !cev))
		if (!(cev & EPOLLIN))
			cev |= EPOLLRDHUP;
	/* While its request is served the client is watched with EPOLLRDHUP
	 * alone (pipelined bytes must not wake us), between requests with
	 * EPOLLIN: switching costs two epoll_ctl a request, so EPOLLIN stays
	 * until it fires (client_woke_lazily), which a client that waits for
	 * its response never makes it do. */
	if (cev & EPOLLIN)
		c->narrowed = false;
	c->lazy_in = cev == EPOLLRDHUP && !c->narrowed && c->io.events == EPOLLIN &&
		     c->state != C_TUNNEL; /* a tunnel the kernel carries: EPOLLIN would wake */
	if (c->lazy_in)
		cev = EPOLLIN;
	/* A socket that read EOF with passed bytes still on their way is read
	 * again on the kick timer: at EOF it is readable for ever. */
	if (c->ck.eof_wait)
		cev &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (c->r && c->r->rq.at.conn && c->r->rq.at.conn->k.eof_wait)
		uev &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (sg_io_set(loop, &c->io, cev) == -1) {
		client_close(c);
		return;
	}
	if (!c->r || !c->r->rq.at.conn)
		return;
	/* The response is all in and the connection waits for
	 * finish_request to give it back: it stays registered as the pool
	 * keeps it, parked, so that the way back costs no epoll_ctl. */
	if (c->state == C_RESP && c->resp_done && !uev && !(c->req_pumping && !c->req_done))
		sg_io_park(&c->r->rq.at.conn->io);
	else if (sg_io_set(loop, &c->r->rq.at.conn->io, uev) == -1)
		client_close(c);
}

/* The end of every dispatch (an event on either socket, the timer, the
 * accept): the timer is armed at the earliest deadline and each socket
 * registered for what the state now waits for. Nothing in between does
 * either. */
static void settle(struct client *c)
{
	if (c->closed)
		return;
	rearm_timer(c);
	update_io(c);
}

static void backend_io(struct client *c, uint32_t revents)
{
	if (c->state == C_ATTEMPT) {
		if (!c->r->rq.at.connected) {
			sg_attempt_connected(&c->r->rq.at);
			return;
		}
		if (sg_h1backend_pending(&c->r->bx)) {
			write_backend(c);
			if (c->closed || c->state != C_ATTEMPT || sg_h1backend_pending(&c->r->bx))
				return;
		}
		if ((revents & EPOLLOUT) && c->req_pumping)
			drive_request_body(c);
		if (!c->closed && c->state == C_ATTEMPT &&
		    (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			read_backend_head(c);
		return;
	}
	if (c->state == C_RESP) {
		if ((revents & EPOLLOUT) && c->req_pumping)
			drive_request_body(c);
		if (!c->closed)
			drive_response(c);
	}
}

static void on_backend_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	if (c->closed || !c->r || !c->r->rq.at.conn || io != &c->r->rq.at.conn->io)
		return;
	backend_io(c, revents);
	note_progress(c);
	settle(c);
}

/* EPOLLIN fired while it was only left registered (update_io): the client
 * is gone (EOF or an error: reported as EPOLLRDHUP, as the narrow mask
 * would have), or sent bytes ahead of its response (pipelining): narrow
 * to EPOLLRDHUP now and drop the event. Returns the events to handle. */
static uint32_t client_woke_lazily(struct client *c, uint32_t revents)
{
	char b;
	ssize_t n = sg_sock_recv(c->tls, c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		return (revents & ~(uint32_t)EPOLLIN) | EPOLLRDHUP;
	c->narrowed = true;
	return revents & ~(uint32_t)EPOLLIN;
}

static void client_io(struct client *c, struct sg_io *io, uint32_t revents)
{
	if (c->lazy_in && (revents & EPOLLIN)) {
		revents = client_woke_lazily(c, revents);
		if (!revents)
			return;
	}
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		read_request_head(c);
		return;
	case C_ATTEMPT:
		if (c->r->h2_up_wait && (revents & EPOLLIN)) {
			c->r->h2_up_wait = false;
			sg_attempt_resume(&c->r->rq.at);
			return;
		}
		if (c->req_pumping && (revents & EPOLLIN)) {
			drive_request_body(c);
			return;
		}
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			client_close(c); /* client gave up: abandon the attempt */
		return;
	case C_RESP:
		if (c->r->h2_up_wait && (revents & EPOLLIN)) {
			c->r->h2_up_wait = false;
			sg_attempt_resume(&c->r->rq.at);
			if (c->closed)
				return;
		}
		if (!c->req_pumping && (io->events == EPOLLRDHUP || c->lazy_in) &&
		    (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
			client_close(c); /* gone while the backend is quiet */
			return;
		}
		if ((revents & EPOLLIN) && c->req_pumping)
			drive_request_body(c);
		if (!c->closed)
			drive_response(c);
		return;
	case C_TUNNEL:
		drive_tunnel(c);
		return;
	case C_CLOSING:
	case C_LINGER:
		close_lingering(c);
		return;
	}
}

static void on_client_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	if (c->closed)
		return;
	client_io(c, io, revents);
	note_progress(c);
	settle(c);
}

/* Bytes of a next request have come, read or not: past
 * maxConnectionDuration that request is served (its response carries
 * Connection: close) rather than cut by a close that crossed it. */
static bool request_waiting(const struct client *c)
{
	int queued = 0;

	return c->in_len > 0 || (ioctl(c->io.fd, FIONREAD, &queued) == 0 && queued > 0);
}

/* The client's timer: the first deadline that passed acts. */
static void timer_fired(struct client *c)
{
	uint64_t n = now(c);

	if (c->idle_at && n >= c->idle_at && c->state == C_TUNNEL) {
		uint64_t idle = quiet_ms(c, c->r->tunnel.active_at), limit = c->ctx->tunnel_idle_ms;

		if (idle < limit) {
			c->idle_at = n + (limit - idle);
		} else {
			sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
			client_close(c);
			return;
		}
	}
	if (c->idle_at && n >= c->idle_at && c->state == C_HEAD && too_old(c) &&
	    request_waiting(c)) {
		c->idle_at = 0; /* EPOLLIN reads it; head_at bounds it */
	} else if (c->idle_at && n >= c->idle_at) {
		if (c->state == C_HEAD && !too_old(c))
			sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
		client_close(c); /* idle: no response, as agentgateway does */
		return;
	}
	if (c->warm_at && n >= c->warm_at) {
		c->warm_at = 0;
		if (c->state == C_HEAD && !c->in_len)
			release_idle_buffers(c); /* no next request came: it waits idle */
	}
	if (c->head_at && n >= c->head_at) {
		c->head_at = 0;
		if (c->state == C_HEAD) {
			sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_HEAD, 1);
			c->req_done = false;
			fail_request(c, SG_FAIL_HEAD_TIMEOUT, 0);
			return;
		}
	}
	if (c->r && sg_request_body_stalled(&c->r->rq, n, c->req_pumping, kernel_quiet, c)) {
		c->req_done = false;
		sg_request_body_timeout(&c->r->rq); /* closes when the response began */
		return;
	}
	if (c->state == C_TUNNEL && c->r->rq.at.connect_at && n >= c->r->rq.at.connect_at) {
		sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_CONNECT, 1);
		client_close(c);
		return;
	}
	if (c->state != C_TUNNEL && c->r && sg_attempt_expire(&c->r->rq.at, n))
		return;
	if (c->batch_at && n >= c->batch_at) {
		/* The body slowed down: what it sent is read now, and from
		 * now on as it comes (level-triggered: EPOLLIN at once). */
		c->batch_at = 0;
		if (c->req_pumping)
			sg_pump_unbatch(&c->r->req_pump);
	}
	if (c->resp_batch_at && n >= c->resp_batch_at) {
		c->resp_batch_at = 0;
		if (c->resp_pumping)
			sg_pump_unbatch(&c->r->resp_pump);
	}
	if (c->kick_at && n >= c->kick_at) {
		c->kick_at = 0;
		redrive(c);
	}
}

static void on_client_timer(struct sg_loop *loop, struct sg_timer *t)
{
	struct client *c = t->data;

	timer_fired(c);
	settle(c);
}

/* Runs whatever relays the state has, as an event on both sockets would. */
static void redrive(struct client *c)
{
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		read_request_head(c);
		return;
	case C_ATTEMPT:
		drive_request_body(c);
		if (!c->closed && c->state == C_ATTEMPT && c->r->rq.at.conn &&
		    c->r->rq.at.conn->k.eof_wait)
			read_backend_head(c);
		return;
	case C_RESP:
		drive_request_body(c);
		if (!c->closed)
			drive_response(c);
		return;
	case C_TUNNEL:
		drive_tunnel(c);
		return;
	default:
		return;
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static void client_free(struct sg_closing *cl)
{
	struct client *c = (struct client *)((char *)cl - offsetof(struct client, closing));

	sg_mem_free(c->in);
	sg_buf_free(&c->out);
	request_free(c);
	sg_cfg_unref(c->cfg);
	sg_slab_free(c);
}

/* A close-delimited response body was cut (the backend reset, or a TLS
 * backend closed without close_notify): the client must not take what it
 * got for the whole body, and has no length to check it by, so the
 * connection ends with RST and, over TLS, without the close_notify that
 * would say the data ended (RFC 9112 §9.8, RFC 8446 §6.1). Bytes not yet
 * sent go with it. */
static void client_abort(struct client *c)
{
	c->aborted = true;
	client_close(c);
}

static void client_close(struct client *c)
{
	if (c->closed)
		return;
	if (c->r && c->state != C_HEAD && c->state != C_LINGER && c->state != C_TUNNEL)
		/* a request cut short is logged with what it got */
		sg_request_log(&c->r->rq, c->req_pumping ? c->r->req_pump.moved : 0,
			       c->resp_pumping ? c->r->resp_pump.moved : 0);
	c->closed = true;
	if (c->r)
		sg_request_release(&c->r->rq);
	sg_timer_stop(c->ctx->loop, &c->timer);
	if (c->r)
		sg_attempt_end(&c->r->rq.at);
	if (c->req_pumping)
		pump_done(c, &c->r->req_pump);
	if (c->resp_pumping)
		pump_done(c, &c->r->resp_pump);
	sg_io_forget(&c->io); /* the close below drops the interest */
	if (c->ctx->kmap)
		sg_sockmap_forget(c->ctx->kmap, &c->ck, c->io.fd);
	if (c->aborted)
		sg_net_reset_on_close(c->io.fd);
	else if (c->tls && c->state != C_LINGER)
		sg_tls_close_notify(c->tls);
	sg_tls_free(c->tls);
	c->tls = NULL;
	close(c->io.fd);
	if (c->src_held)
		sg_frontend_release(c->ctx, c->bind->port, c->ip);
	c->ctx->stats->active--;
	sg_list_remove(&c->link);
	sg_loop_defer_close(c->ctx->loop, &c->closing, client_free);
}

/* A client connection on fd, owning fd, the cfg reference and the
 * per-source hold; NULL (all three released) when out of memory. */
static struct client *client_new(struct sg_frontend *ctx, struct sg_cfg *cfg,
				 const struct sg_bind *bind, int fd, const char *ip, bool src_held)
{
	struct client *c = sg_slab_alloc(&ctx->client_mem, sizeof(*c));

	if (!c) {
		close(fd);
		if (src_held)
			sg_frontend_release(ctx, bind->port, ip);
		sg_cfg_unref(cfg);
		return NULL;
	}
	c->src_held = src_held;
	c->ctx = ctx;
	c->cfg = cfg;
	c->bind = bind;
	c->io.fd = fd;
	c->io.cb = on_client_io;
	c->io.data = c;
	sg_timer_init(&c->timer, on_client_timer, c);
	ctx->stats->active++;
	sg_list_insert_head(&ctx->clients, &c->link);
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	return c;
}

void sg_proxy_tunnel(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
		     const struct sg_listener *l, const struct sg_tcp_route *r, int fd,
		     const char *ip, bool src_held)
{
	struct client *c = client_new(ctx, cfg, bind, fd, ip, src_held);

	if (!c)
		return;
	start_tunnel(c, l, r);
	settle(c);
}

void sg_proxy_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		     const struct sockaddr_storage *peer)
{
	struct client *c;
	const struct sg_listener *l = bind->nlisteners ? &bind->listeners[0] : NULL;
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */

	sg_net_ip_str(peer, ip, sizeof(ip));
	if (!sg_frontend_admit(ctx, bind, ip)) {
		/* Closed unread: the reset tells the client at once. */
		close(fd);
		return;
	}
	c = client_new(ctx, sg_cfg_ref(ctx->cfg), bind, fd, ip, true);
	if (!c)
		return;
	sg_stats_add(ctx->stats, SG_STAT_CONNECTIONS, 1);
	if (l && l->ftcp)
		sg_net_keepalive(fd, &l->ftcp->keepalives);
	if (bind->proto == SG_PROTO_TCP) {
		start_tunnel(c, l, l ? sg_route_tcp(l) : NULL);
	} else {
		/* The idle timeout counts from the client's connect: the kernel
		 * may have held the connection a while (deferred accept, the
		 * accept queue). */
		c->state = C_HEAD; /* its first state */
		c->born = now(c) - sg_net_accept_age_ms(fd);
		wait_idle(c, c->born);
	}
	settle(c);
}

void sg_proxy_accept_tls(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
			 int fd, struct sg_tls *tls, const char *ip, bool src_held, uint64_t born,
			 struct sg_io *from)
{
	struct client *c = client_new(ctx, cfg, bind, fd, ip, src_held);

	if (!c) {
		sg_tls_free(tls);
		return;
	}
	sg_io_adopt(ctx->loop, &c->io, from); /* failing, settle registers it */
	c->tls = tls;
	sg_tls_watch(tls, ctx->loop, &c->io);
	c->state = C_HEAD;
	c->born = born;
	wait_idle(c, born);
	settle(c);
}

void sg_proxy_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->clients))
		client_close(SG_LIST_ENTRY(sg_list_first(&ctx->clients), struct client, link));
}

/* Drain: close connections waiting for a request with nothing read yet;
 * the others close after their current response (finish_request checks
 * ctx->draining). */
void sg_proxy_drain(struct sg_frontend *ctx)
{
	struct sg_list *l, *tmp;

	ctx->draining = true;
	SG_LIST_FOR_EACH_SAFE(l, tmp, &ctx->clients) {
		struct client *c = SG_LIST_ENTRY(l, struct client, link);

		if (c->state == C_HEAD && c->in_len == 0)
			client_close(c);
	}
}
