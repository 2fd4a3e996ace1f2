/* The HTTP/1.1 frontend's connection, one struct client per downstream
 * connection (user/http1/h1conn.h). A request goes: head -> (small body
 * buffered) -> the request module (user/core/request.h: routed, admitted,
 * planned) -> attempts (h1forward.c to an HTTP/1 backend, h1h2.c to an
 * HTTP/2 one) -> response head -> body relay -> next request or close. The
 * states and the moves between them are in h1c_enter(). This file keeps
 * the connection: pipelining, keep-alive, the lingering close, the timer,
 * the I/O interest and its events; reading a request's head and a held
 * body is h1head.c's, tunnels (after a 101 or a CONNECT's 2xx)
 * h1tunnel.c's. A TCP route's connection is not one of these: it is
 * user/tcp/tcpconn.c's.
 *
 * One timer per client folds its deadlines (idle, request, attempt,
 * connect, backoff): it is armed at the earliest and the callback checks
 * which one passed, so an early wake-up is harmless. */
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
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/base/net.h"
#include "user/core/request.h"
#include "user/tls/tls.h"
#include "user/tcp/tunnel.h"
#include "user/http1/h1conn.h"
#include "user/http1/h1forward.h"
#include "user/http1/h1head.h"
#include "user/http1/h1h2.h"
#include "user/http1/h1tunnel.h"

/* The states a connection may go to from each one (enter):
 *
 *   accept -> HEAD
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

static void update_io(struct client *c);
static void redrive(struct client *c);
static void note_progress(struct client *c);

/* ---- small helpers ------------------------------------------------------ */

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
int h1c_alloc_slots(struct sg_h1_header **slots, size_t *cap, size_t n)
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

void h1c_free_all_slots(struct client *c)
{
	free_slots(&c->r->req.headers, &c->r->req.headers_cap, &c->r->req.nheaders);
	free_slots(&c->r->ex.hx.resp.headers, &c->r->ex.hx.resp.headers_cap,
		   &c->r->ex.hx.resp.nheaders);
}

static const struct sg_attempt_ops attempt_ops;
static const struct sg_request_sink sink;

/* The connection's request state, allocated with the first byte of a
 * head. False when out of memory. */
bool h1c_request_new(struct client *c)
{
	struct sg_frontend *f = c->ctx;

	if (c->r)
		return true;
	c->r = sg_mem_calloc(1, sizeof(*c->r));
	if (!c->r)
		return false;
	sg_request_init(&c->r->rq, &sink, c, f, c->bind, c->ip, c->port, c->io.fd, &attempt_ops);
	c->r->rq.tls = c->tls;
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
	h1c_free_all_slots(c);
	sg_h1x_free(&c->r->ex);
	sg_h2head_kept_free(&c->r->h2_trailers);
	free(c->r->cookie_joined);
	sg_mem_free(c->r);
	c->r = NULL;
}

/* A span that pointed into the input buffer at `old` (cap bytes), moved
 * to `now`; one elsewhere (the plan's: a normalised target, a Content-
 * Length the request module wrote) stays. */
static void follow(struct sg_h1_span *s, uintptr_t old, size_t cap, char *now)
{
	uintptr_t p = (uintptr_t)s->p;

	if (s->p && p >= old && p < old + cap)
		s->p = now + (p - old);
}

/* Grow the client's input buffer. A complete request head (head_len != 0)
 * sits at its start and c->r->req's spans point into it: when the buffer moves
 * they are moved with it here, and nowhere else: each try's request, the
 * mirrors and the access log are made from them after a body grew the
 * buffer. Parsing the head again would undo what the request module made
 * of it (its normalised path, a held body's framing) and leave the client's
 * own target (rq.raw_target) pointing at the old buffer. */
int h1c_grow_in(struct client *c, size_t need)
{
	uintptr_t old = (uintptr_t)c->in;
	size_t cap = c->in_cap;
	struct sg_h1_req *q;

	if (need <= c->in_cap)
		return 0;
	if (grow(&c->in, &c->in_cap, need) == -1)
		return -1;
	if (!c->r || !c->r->req.head_len || (uintptr_t)c->in == old)
		return 0;
	q = &c->r->req;
	follow(&q->method, old, cap, c->in);
	follow(&q->target, old, cap, c->in);
	follow(&c->r->rq.raw_target, old, cap, c->in);
	for (size_t i = 0; i < q->nheaders; i++) {
		follow(&q->headers[i].name, old, cap, c->in);
		follow(&q->headers[i].value, old, cap, c->in);
	}
	return 0;
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
void h1c_kick(struct client *c)
{
	c->kick_at = h1c_now(c) + 1;
}

/* A head read got EOF from socket fd (counters k): true when bytes passed
 * before the FIN are still on their way (sg_ksock_eof): a kick reads
 * again. False when the EOF is real, or when the bytes stopped coming
 * (errno ECONNABORTED): the caller closes either way. */
bool h1c_early_eof(struct client *c, struct sg_ksock *k, int fd)
{
	if (!c->ctx->relays.kmap ||
	    sg_ksock_eof(sg_sockmap_splice(c->ctx->relays.kmap), k, fd) != 1)
		return false;
	h1c_kick(c);
	return true;
}

/* Queue bytes to the client and try to write them now, in one sendmsg()
 * (a response head and a small body that came with it: one segment).
 * `flags`: MSG_MORE for a connection's last bytes when the FIN follows at
 * once (see got_response_head). */
int h1c_client_writev(struct client *c, const struct iovec *iov, size_t cnt, int flags)
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

int h1c_client_write(struct client *c, const char *data, size_t len)
{
	struct iovec v = { .iov_base = (void *)(uintptr_t)data, .iov_len = len };

	return h1c_client_writev(c, &v, 1, 0);
}

/* 1 = all written, 0 = still pending, -1 = error. */
int h1c_client_flush(struct client *c)
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

bool h1c_client_out_pending(const struct client *c)
{
	return c->out.len > 0;
}

/* True when nothing is queued for the client any more; otherwise the client
 * was closed (write error) or waits for EPOLLOUT. */
bool h1c_flushed(struct client *c)
{
	int f = h1c_client_out_pending(c) ? h1c_client_flush(c) : 1;

	if (f == -1)
		h1c_client_close(c);
	return f == 1;
}

/* The one place a connection changes state. What a state waits for (its
 * sockets' events, its timer) is not set here but derived from it at the
 * end of the dispatch (settle). */
void h1c_enter(struct client *c, enum client_state next)
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
	c->r->h2_unconsumed = 0;
	if (c->req_way == REQ_PUMP)
		h1c_pump_done(c, &c->r->req_pump);
	c->req_way = REQ_NONE;
}

static void release_backend(struct client *c)
{
	sg_attempt_release(&c->r->rq.at, c->resp_keep_alive && c->req_done, &c->cfg->global);
}

/* ---- responses the gateway makes itself -------------------------------- */

/* The Connection field of a head to the client: close, or keep-alive for
 * an HTTP/1.0 client that asked for it (else its connection closes) and
 * keeps it: it may wait for the close otherwise (ApacheBench -k). */
enum sg_h1_conn h1c_conn_field(const struct client *c, bool close)
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

void h1c_close_lingering(struct client *c)
{
	char buf[4096];

	if (!h1c_flushed(c))
		return;
	if (c->state != C_LINGER) {
		if (said_last(c)) {
			ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_PEEK);

			if (n == -1 && errno == EAGAIN) {
				h1c_client_close(c);
				return;
			}
		}
		h1c_enter(c, C_LINGER);
		if (c->tls)
			sg_tls_close_notify(c->tls);
		shutdown(c->io.fd, SHUT_WR);
		c->r->rq.at.request_at = c->r->rq.at.try_at = c->r->rq.at.connect_at =
			c->r->rq.at.backoff_at = 0;
		c->head_at = 0;
		sg_idle_stop(&c->r->rq.body_idle);
		c->idle_at = h1c_now(c) + PROXY_LINGER_MS;
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
			h1c_client_close(c);
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
	c->r->ex.hx.resp.nheaders = 0;
	c->r->req.nheaders = 0;
	sg_h2head_kept_free(&c->r->h2_trailers);
	c->warm_at = h1c_now(c) + PROXY_WARM_MS;
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
bool h1c_too_old(const struct client *c)
{
	return max_age(c) && h1c_now(c) - c->born >= max_age(c);
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

void h1c_finish_request(struct client *c)
{
	sg_request_release(&c->r->rq);
	c->r->rq.at.request_at = c->r->rq.at.try_at = c->r->rq.at.connect_at =
		c->r->rq.at.backoff_at = 0;
	c->kick_at = c->head_at = 0;
	sg_idle_stop(&c->r->rq.body_idle);
	if (c->resp_way == RESP_PUMP)
		sg_pump_unbatch(&c->r->resp_pump); /* before its socket may be pooled */
	if (c->r->rq.at.conn || c->r->rq.at.h2)
		release_backend(c);
	c->r->h2_chunked = false;
	c->r->h2_unconsumed = 0;
	if (c->req_way == REQ_PUMP)
		h1c_pump_done(c, &c->r->req_pump);
	if (c->resp_way == RESP_PUMP)
		h1c_pump_done(c, &c->r->resp_pump);
	c->req_way = REQ_NONE;
	c->resp_way = RESP_NONE;
	sg_request_log(&c->r->rq, 0, 0); /* a next head that does not parse is answered whole */
	c->r->rq.resp_started = c->resp_done = false;
	if (c->client_close || !c->req_done || c->ctx->draining || h1c_too_old(c)) {
		h1c_enter(c, C_CLOSING);
		h1c_close_lingering(c);
		return;
	}
	h1c_consume_request(c);
	sg_filter_plan_reset(&c->r->rq.plan);
	keep_warm(c); /* for pipelined bytes' head, or the next to come */
	h1c_enter(c, C_HEAD);
	wait_idle(c, h1c_now(c));
	if (c->in_len)
		h1c_read_request(c);
}

/* The gateway's failure answer to the request in flight (user/core/request.h):
 * every failure of an HTTP/1 request goes through here. */
void h1c_fail_request(struct client *c, enum sg_fail kind, int err)
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

	if (h1c_too_old(c))
		c->client_close = true;
	close = !c->req_done || c->client_close;
	conn = h1c_conn_field(c, close);
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
	if (n < 0 || h1c_client_write(c, out, (size_t)n) == -1) {
		sg_buf_free(&big);
		h1c_client_close(c);
		return;
	}
	sg_buf_free(&big);
	if (close)
		c->client_close = true;
	if (!c->closed)
		h1c_finish_request(c);
}

/* A held response, whole (user/core/request.h): its head with the
 * route's edit and its Content-Length, then its body, in one write after
 * the loop's pass; with trailers, to a client that takes them, one chunk
 * and the last chunk carrying them in place of the Content-Length. The
 * response is over. */
static void conn_respond(struct sg_request *rq, const struct sg_h1_resp *resp,
			 const struct sg_h1_edit *edit, const char *body, size_t len,
			 const struct sg_h2_field *t, size_t nt)
{
	struct client *c = rq->owner;
	char head[PROXY_HEAD_MAX + 256], length[48], line[SG_H1_CHUNK_LINE];
	bool chunked = nt && h1c_te_trailers(c);
	struct iovec iov[4];
	size_t k = 0;
	ssize_t n;

	if (!c->r->req.keep_alive || c->ctx->draining || h1c_too_old(c) || !c->req_done)
		c->client_close = true;
	if (chunked)
		snprintf(length, sizeof(length), "transfer-encoding: chunked\r\n");
	else
		snprintf(length, sizeof(length), "content-length: %zu\r\n", len);
	n = sg_h1_write_response_edit(resp, edit, h1c_conn_field(c, c->client_close), length, head,
				      sizeof(head));
	if (n < 0) {
		h1c_fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
		return;
	}
	iov[k++] = (struct iovec){ head, (size_t)n };
	if (chunked && len)
		iov[k++] = (struct iovec){ line, sg_h1_chunk_size_line(len, line) };
	iov[k++] = (struct iovec){ (void *)(uintptr_t)body, len };
	if (chunked && len)
		iov[k++] = (struct iovec){ (void *)(uintptr_t) "\r\n", 2 };
	if (h1c_client_queue(c, iov, k) == -1 ||
	    (chunked && h1c_queue_last_chunk(c, t, nt) == -1)) {
		h1c_client_close(c);
		return;
	}
	rq->resp_started = true;
	rq->engine = SG_RELAY_COPY;
	h1c_count_body(c, false, SG_RELAY_COPY, len);
	sg_request_response_head(rq, resp, edit);
	/* Its body came as messages (from either backend, or the gateway's
	 * MCP service): the end of the response gives them back
	 * (h1c_h2_flushed). */
	c->resp_way = RESP_MESSAGES;
	c->resp_body = SG_H1_BODY_NONE;
	c->resp_done = true;
	if (c->state != C_RESP)
		h1c_enter(c, C_RESP);
}

/* A held response past maxBufferSize goes as it came, from the
 * backend's messages. */
static void conn_release(struct sg_request *rq, const struct sg_h1_resp *resp, const char *body,
			 size_t len)
{
	h1c_h2_release(rq->owner, resp, body, len);
}

/* Part of a response went out: the only honest signal left. */
static void conn_cut(struct sg_request *rq)
{
	h1c_client_close(rq->owner);
}

static void conn_held_body(const struct sg_request *rq, struct sg_mirror_request *m)
{
	const struct client *c = rq->owner;

	struct sg_h1_span b = sg_request_body(rq, c->in + c->r->req.head_len,
					      rq->at.replayable ? c->body_len : 0);

	m->body = b.p;
	m->body_len = b.len;
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

static void on_backend_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents);

/* An HTTP/2 backend's failure comes outside our dispatch. */
static void conn_failed(struct sg_request *rq)
{
	h1c_settle(rq->owner);
}

static const struct sg_request_sink sink = {
	.answer = conn_answer,
	.cut = conn_cut,
	.send = h1c_conn_send,
	.failed = conn_failed,
	.respond = conn_respond,
	.release = conn_release,
	.held_body = conn_held_body,
	.progress = conn_progress,
	.routed = routed,
};

/* The try's exchange: kept in r, with its response head's header slots,
 * from one request to the next. */
static struct sg_h1x *conn_exchange(struct sg_attempt *a)
{
	struct client *c = a->owner;
	struct sg_h1_resp *resp = &c->r->ex.hx.resp;

	if (h1c_alloc_slots(&resp->headers, &resp->headers_cap, SG_H1_MAX_HEADERS) == -1)
		return NULL;
	return &c->r->ex;
}

/* The end of an event on the backend connection that the attempt
 * dispatched (its connect, its exchange): as at the end of this frontend's
 * own. */
static void conn_settle(struct sg_attempt *a)
{
	struct client *c = a->owner;

	note_progress(c);
	h1c_settle(c);
}

/* An HTTP/1 backend's body that comes decoded (a held response released
 * past maxBufferSize) is read while the client's socket took the last. */
static bool conn_room(struct sg_attempt *a)
{
	struct client *c = a->owner;

	return c->r->rq.held_resp || !h1c_client_out_pending(c);
}

static bool conn_early_eof(struct sg_attempt *a)
{
	return h1c_early_eof(a->owner, &a->conn->k, a->conn->fd);
}

static const struct sg_attempt_ops attempt_ops = {
	.prepare = sg_request_try_prepare,
	.send = sg_request_try_send,
	.fail = sg_request_try_failed,
	.dropped = backend_dropped,
	.wait = NULL, /* every dispatch ends in h1c_settle() */
	.settle = conn_settle,
	.on_io = on_backend_io,
	.h1x = conn_exchange,
	.written = h1c_written,
	.writable = h1c_writable,
	.early_eof = conn_early_eof,
	.room = conn_room,
	.head = h1c_head,
	.data = h1c_h2_data,
	.end = h1c_h2_end,
	.body = h1c_h2_body,
	.trailers = h1c_h2_trailers,
};

/* ---- body progress (--body-idle-timeout) ------------------------------- */

/* Bytes this request has read or written so far, either way; it only
 * matters whether it changed. */
static uint64_t body_progress(const struct client *c)
{
	const struct request *r = c->r;

	return c->in_len + c->out.off +
	       (r ? r->ex.hx.in_len + r->req_pump.moved + r->req_pump.pending + r->resp_pump.moved +
				r->resp_pump.pending + r->resp_moved
		  : 0);
}

/* After each I/O event: a body that moved was active now, so the
 * deadline counts from its last byte, not from the last check. */
static void note_progress(struct client *c)
{
	if (!c->closed && c->r && c->r->rq.body_idle.due)
		sg_idle_note(&c->r->rq.body_idle, h1c_now(c), body_progress(c));
}

/* ---- events ------------------------------------------------------------ */

/* What c's state asks of its two sockets: the client's events in *cev,
 * the backend connection's in *uev (both 0 on entry). */
static void wanted_events(const struct client *c, uint32_t *cev, uint32_t *uev)
{
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		*cev = EPOLLIN;
		break;
	case C_ATTEMPT:
		if (c->req_way == REQ_PULL_WAIT)
			*cev |= EPOLLIN;
		if (c->request_written && c->req_way == REQ_PUMP && !c->req_done) {
			if (c->r->req_pump.pending)
				*uev |= EPOLLOUT;
			else
				*cev |= EPOLLIN;
		}
		break;
	case C_RESP:
		if (c->req_way == REQ_PULL_WAIT)
			*cev |= EPOLLIN;
		/* Bytes queued for after the pass need no EPOLLOUT yet. */
		if ((h1c_client_out_pending(c) && !sg_deferred_queued(&c->later)) ||
		    (c->resp_way == RESP_PUMP && c->r->resp_pump.pending))
			*cev |= EPOLLOUT;
		else if (c->resp_way == RESP_PUMP && c->r->rq.at.conn)
			*uev |= EPOLLIN | EPOLLRDHUP;
		if (c->req_way == REQ_PUMP && !c->req_done && c->r->rq.at.conn) {
			if (c->r->req_pump.pending)
				*uev |= EPOLLOUT;
			else
				*cev |= EPOLLIN;
		}
		break;
	case C_TUNNEL:
		sg_tunnel_events(&c->r->tunnel, cev, uev);
		if (h1c_client_out_pending(c))
			*cev |= EPOLLOUT;
		break;
	case C_CLOSING:
		*cev = EPOLLOUT;
		break;
	case C_LINGER:
		*cev = EPOLLIN;
		break;
	}
	/* While nothing is read from the client, still hear it leave: an
	 * attempt for a client that is gone is abandoned, and so is a
	 * response whose backend went quiet mid-body (it may stay quiet for
	 * ever, holding both sockets). (Only then: a half-closed client stays
	 * RDHUP-readable, which would spin.) */
	if (c->state == C_ATTEMPT || (c->state == C_RESP && !*cev))
		if (!(*cev & EPOLLIN))
			*cev |= EPOLLRDHUP;
}

/* Register what the current state waits for, on both sockets. */
static void update_io(struct client *c)
{
	uint32_t cev = 0, uev = 0;
	struct sg_loop *loop = c->ctx->loop;

	if (c->closed)
		return;
	wanted_events(c, &cev, &uev);
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
		h1c_client_close(c);
		return;
	}
	if (!c->r || !c->r->rq.at.conn)
		return;
	/* Until this frontend takes the connection at the response head (and
	 * for a held response's, which it does not take), its interest is
	 * the attempt's and its exchange's: only the upload relayed to it
	 * asks for EPOLLOUT there. */
	if (c->r->rq.at.h1 || c->state == C_ATTEMPT) {
		sg_attempt_want_write(&c->r->rq.at, uev & EPOLLOUT);
		return;
	}
	/* The response is all in and the connection waits for
	 * finish_request to give it back: it stays registered as the pool
	 * keeps it, parked, so that the way back costs no epoll_ctl. */
	if (c->state == C_RESP && c->resp_done && !uev && !(c->req_way == REQ_PUMP && !c->req_done))
		sg_io_park(&c->r->rq.at.conn->io);
	else if (sg_io_set(loop, &c->r->rq.at.conn->io, uev) == -1)
		h1c_client_close(c);
}

/* The end of every dispatch (an event on either socket, the timer, the
 * accept): the timer is armed at the earliest deadline and each socket
 * registered for what the state now waits for. Nothing in between does
 * either. */
void h1c_settle(struct client *c)
{
	if (c->closed)
		return;
	rearm_timer(c);
	update_io(c);
}

/* An event on the backend connection this frontend took (sg_attempt_take). */
static void backend_io(struct client *c, uint32_t revents)
{
	if (c->state == C_RESP) {
		if ((revents & EPOLLOUT) && c->req_way == REQ_PUMP)
			h1c_drive_request_body(c);
		if (!c->closed)
			h1c_drive_response(c);
	}
}

static void on_backend_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct client *c = io->data;

	if (c->closed || !c->r || !c->r->rq.at.conn || io != &c->r->rq.at.conn->io)
		return;
	backend_io(c, revents);
	note_progress(c);
	h1c_settle(c);
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
		h1c_read_request(c);
		return;
	case C_ATTEMPT:
		if (c->req_way == REQ_PULL_WAIT && (revents & EPOLLIN)) {
			c->req_way = REQ_NONE;
			sg_attempt_resume(&c->r->rq.at);
			return;
		}
		if (c->req_way == REQ_PUMP && (revents & EPOLLIN)) {
			h1c_drive_request_body(c);
			return;
		}
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			h1c_client_close(c); /* client gave up: abandon the attempt */
		return;
	case C_RESP:
		if (c->req_way == REQ_PULL_WAIT && (revents & EPOLLIN)) {
			c->req_way = REQ_NONE;
			sg_attempt_resume(&c->r->rq.at);
			if (c->closed)
				return;
		}
		if (c->req_way != REQ_PUMP && (io->events == EPOLLRDHUP || c->lazy_in) &&
		    (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
			h1c_client_close(c); /* gone while the backend is quiet */
			return;
		}
		if ((revents & EPOLLIN) && c->req_way == REQ_PUMP)
			h1c_drive_request_body(c);
		if (!c->closed)
			h1c_drive_response(c);
		return;
	case C_TUNNEL:
		h1c_drive_tunnel(c);
		return;
	case C_CLOSING:
	case C_LINGER:
		h1c_close_lingering(c);
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
	h1c_settle(c);
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
	uint64_t n = h1c_now(c);

	if (c->idle_at && n >= c->idle_at && c->state == C_TUNNEL &&
	    sg_tunnel_idle_over(&c->r->tunnel, &c->idle_at, n, c->ctx->tunnel_idle_ms,
				h1c_kernel_quiet, c)) {
		sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
		h1c_client_close(c);
		return;
	}
	if (c->idle_at && n >= c->idle_at && c->state == C_HEAD && h1c_too_old(c) &&
	    request_waiting(c)) {
		c->idle_at = 0; /* EPOLLIN reads it; head_at bounds it */
	} else if (c->idle_at && n >= c->idle_at) {
		if (c->state == C_HEAD && !h1c_too_old(c))
			sg_stats_add(c->ctx->stats, SG_STAT_TIMEOUT_IDLE, 1);
		h1c_client_close(c); /* idle: no response, as agentgateway does */
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
			h1c_fail_request(c, SG_FAIL_HEAD_TIMEOUT, 0);
			return;
		}
	}
	if (c->r &&
	    sg_request_body_stalled(&c->r->rq, n, c->req_way == REQ_PUMP, h1c_kernel_quiet, c)) {
		c->req_done = false;
		sg_request_body_timeout(&c->r->rq); /* closes when the response began */
		return;
	}
	if (c->state != C_TUNNEL && c->r && sg_attempt_expire(&c->r->rq.at, n))
		return;
	if (c->batch_at && n >= c->batch_at) {
		/* The body slowed down: what it sent is read now, and from
		 * now on as it comes (level-triggered: EPOLLIN at once). */
		c->batch_at = 0;
		if (c->req_way == REQ_PUMP)
			sg_pump_unbatch(&c->r->req_pump);
	}
	if (c->resp_batch_at && n >= c->resp_batch_at) {
		c->resp_batch_at = 0;
		if (c->resp_way == RESP_PUMP)
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
	h1c_settle(c);
}

/* Runs whatever relays the state has, as an event on both sockets would. */
static void redrive(struct client *c)
{
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		h1c_read_request(c);
		return;
	case C_ATTEMPT:
		h1c_drive_request_body(c);
		if (!c->closed && c->state == C_ATTEMPT && c->r->rq.at.conn &&
		    c->r->rq.at.conn->k.eof_wait)
			sg_attempt_read_again(&c->r->rq.at);
		return;
	case C_RESP:
		h1c_drive_request_body(c);
		if (!c->closed)
			h1c_drive_response(c);
		return;
	case C_TUNNEL:
		h1c_drive_tunnel(c);
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
void h1c_client_abort(struct client *c)
{
	c->aborted = true;
	h1c_client_close(c);
}

void h1c_client_close(struct client *c)
{
	if (c->closed)
		return;
	if (c->r && c->state != C_HEAD && c->state != C_LINGER && c->state != C_TUNNEL)
		/* a request cut short is logged with what it got */
		sg_request_log(&c->r->rq, c->req_way == REQ_PUMP ? c->r->req_pump.moved : 0,
			       c->resp_way == RESP_PUMP ? c->r->resp_pump.moved : 0);
	c->closed = true;
	if (c->r)
		sg_request_release(&c->r->rq);
	sg_timer_stop(c->ctx->loop, &c->timer);
	if (c->r)
		sg_attempt_end(&c->r->rq.at);
	if (c->req_way == REQ_PUMP)
		h1c_pump_done(c, &c->r->req_pump);
	if (c->resp_way == RESP_PUMP)
		h1c_pump_done(c, &c->r->resp_pump);
	sg_io_set(c->ctx->loop, &c->io, 0); /* before the close: sg_io_set says why */
	if (c->ctx->relays.kmap)
		sg_sockmap_forget(c->ctx->relays.kmap, &c->ck, c->io.fd);
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
				 const struct sg_bind *bind, int fd, const char *ip, uint16_t port,
				 bool src_held)
{
	struct client *c = sg_frontend_conn_alloc(ctx, &ctx->client_mem, sizeof(*c), cfg, bind, fd,
						  ip, src_held);

	if (!c)
		return NULL;
	c->src_held = src_held;
	c->ctx = ctx;
	c->cfg = cfg;
	c->bind = bind;
	c->io.fd = fd;
	c->io.cb = on_client_io;
	c->io.data = c;
	sg_timer_init(&c->timer, on_client_timer, c);
	sg_list_insert_head(&ctx->clients, &c->link);
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	c->port = port;
	return c;
}

void sg_proxy_accept(struct sg_frontend *ctx, const struct sg_bind *bind, int fd,
		     const struct sockaddr_storage *peer)
{
	struct client *c;
	const struct sg_listener *l = bind->nlisteners ? &bind->listeners[0] : NULL;
	char ip[INET6_ADDRSTRLEN]; /* the client's address, as text */

	sg_net_ip_str(peer, ip, sizeof(ip));
	if (!sg_frontend_admit(ctx, bind, ip, sg_net_port(peer))) {
		/* Closed unread: the reset tells the client at once. */
		close(fd);
		return;
	}
	c = client_new(ctx, sg_cfg_ref(ctx->cfg), bind, fd, ip, sg_net_port(peer), true);
	if (!c)
		return;
	sg_stats_add(ctx->stats, SG_STAT_CONNECTIONS, 1);
	if (l && l->ftcp)
		sg_net_keepalive(fd, &l->ftcp->keepalives);
	/* The idle timeout counts from the client's connect: the kernel may
	 * have held the connection a while (deferred accept, the accept
	 * queue). */
	c->state = C_HEAD; /* its first state */
	c->born = h1c_now(c) - sg_net_accept_age_ms(fd);
	wait_idle(c, c->born);
	h1c_settle(c);
}

void sg_proxy_accept_tls(struct sg_frontend *ctx, struct sg_cfg *cfg, const struct sg_bind *bind,
			 int fd, struct sg_tls *tls, const char *ip, uint16_t port, bool src_held,
			 uint64_t born, struct sg_io *from)
{
	struct client *c = client_new(ctx, cfg, bind, fd, ip, port, src_held);

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
	h1c_settle(c);
}

void sg_proxy_close_all(struct sg_frontend *ctx)
{
	while (!sg_list_empty(&ctx->clients))
		h1c_client_close(SG_LIST_ENTRY(sg_list_first(&ctx->clients), struct client, link));
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
			h1c_client_close(c);
	}
}
