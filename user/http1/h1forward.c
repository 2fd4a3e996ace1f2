/* An HTTP/1 client's request forwarded to an HTTP/1 backend, and its
 * response: the try's request built as bytes for the attempt's exchange
 * (user/core/h1backend.h: head, a small body with it, a larger one
 * relayed here once the head is out), the final response head judged
 * (retry, held, 101, a CONNECT's 2xx) and the connection the exchange
 * offers taken, then both bodies relayed in the worker's engine (copy,
 * splice(2), the socket map) with chunk framing kept here. A response the
 * request module holds is not taken: it comes as messages (h1h2.c). */
#include "user/http1/h1forward.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/failure.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/tls/tls.h"
#include "user/http1/h1h2.h"
#include "user/http1/h1tunnel.h"
#include "user/relay/engine.h"

/* ---- the body relays' pumps ------------------------------------------------- */

/* Body bytes moved to the backend (`in`) or to the client by `engine`. */
void h1c_count_body(struct client *c, bool in, enum sg_relay_engine engine, uint64_t n)
{
	if (in)
		c->r->rq.bytes_in += n;
	else
		c->r->rq.bytes_out += n;
	sg_stats_relayed(c->ctx->stats, engine, n);
}

/* Release a pump, counting the bytes it moved once. The client's socket
 * is open here (client_close releases the pumps before it closes it), so
 * its batched reads end here too. The backend's may be closed already: a
 * response's batch ends before its connection can go back to the pool
 * (the pump's DONE, finish_request), never here. */
void h1c_pump_done(struct client *c, struct sg_pump *p)
{
	bool up = p == &c->r->req_pump;

	if (up) {
		sg_pump_unbatch(p);
		c->batch_at = 0;
		c->r->rq.bytes_in += p->moved;
	} else {
		c->resp_batch_at = 0;
		c->r->rq.bytes_out += p->moved;
	}
	/* An adapting pump may have spliced some of its bytes; a body that
	 * was mostly spliced says so in the access log. */
	if (!up && p->adapt)
		c->r->rq.engine = p->spliced > p->moved / 2 ? SG_RELAY_SPLICE : SG_RELAY_COPY;
	sg_tunnel_count(p, c->ctx->stats);
	sg_pump_release(p);
}

/* Sets up pump p to move `budget` bytes between the client and its
 * backend, either way, in the engine user/relay/engine.h chooses. Chunked
 * bodies never get a kernel budget: their framing is parsed here. */
enum sg_relay_engine h1c_init_pump(struct client *c, struct sg_pump *p, bool to_backend,
				   uint64_t budget, bool chunked)
{
	struct sg_backend_conn *u = c->r->rq.at.conn;
	const struct sg_relay_sock client = { c->io.fd, &c->ck, &c->io, c->tls };
	const struct sg_relay_sock backend = { u->fd, &u->k, &u->io, u->tls };
	const struct sg_relay_what what = {
		.to_backend = to_backend,
		.tunnel = c->state == C_TUNNEL,
		.promoted = c->r->tunnel.promoted,
		.chunked = chunked,
		.budget = budget,
	};

	return sg_tunnel_pump(p, &c->ctx->relays, &client, &backend, &what, c->ctx->stats, c->ip);
}

/* ---- the request out, the response in ---------------------------------------- */

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

/* The try's request goes out as bytes (the request body is relayed as it
 * came, framing and all): the parsed head (whose spans grow_in keeps
 * pointing into `in`), a body in hand with it, or after it the body relay
 * (h1c_written). */
static int send_request(struct client *c)
{
	struct request *r = c->r;
	struct sg_h1_edit edit;
	struct drops_expect de;
	struct sg_h1_span body;
	char extra[256];
	/* Upgrade is hop-by-hop: it is dropped from the copied headers and
	 * re-added here when the client asked for it (less h2c). Only then is
	 * a 101 an answer. */
	c->upgrade_sent = sg_h1_upgrade_offer(&r->req, extra, sizeof(extra)) > 0;
	sg_filter_request_edit(&r->rq.plan, &edit);
	/* A body read whole before the first try goes with the head: the
	 * client already had its 100 (got_request_head), and a backend asked
	 * to wait would only send another. */
	if (r->rq.at.replayable && c->req_body == SG_H1_BODY_LENGTH) {
		de = (struct drops_expect){ edit.drops, edit.arg };
		edit.drops = drop_expect;
		edit.arg = &de;
	}
	body = sg_request_body(&r->rq, c->in + r->req.head_len,
			       r->rq.at.replayable ? c->body_len : 0);
	return sg_attempt_send_bytes(&r->rq.at, &r->req, &edit, c->ip, extra, body.p, body.len,
				     !r->rq.at.replayable && c->req_body != SG_H1_BODY_NONE,
				     c->upgrade_sent || c->is_connect);
}

/* The try's plan is made (user/core/request.c): this try's copy of the request
 * goes out on its connection, or as a stream to an HTTP/2 backend. */
void h1c_conn_send(struct sg_request *rq)
{
	struct client *c = rq->owner;
	int rc;

	if (rq->at.h2) {
		h1c_send_h2(c);
		return;
	}
	rc = send_request(c);
	if (rc < 0)
		h1c_fail_request(c, SG_FAIL_CONNECT, -rc);
}

/* The request head (and buffered body) went out: stream any larger body. */
void h1c_written(struct sg_attempt *a)
{
	struct client *c = a->owner;
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

		h1c_init_pump(c, &c->r->req_pump, true, len, false);
		c->req_way = REQ_PUMP; /* from here a failure releases the pump */
		if (take &&
		    sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, take) == -1) {
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->body_len = take;
	} else {
		bool done = false;
		ssize_t used;

		h1c_init_pump(c, &c->r->req_pump, true, 0, true);
		c->req_way = REQ_PUMP;
		memset(&c->r->req_chunks, 0, sizeof(c->r->req_chunks));
		c->body_len = 0;
		used = sg_h1_chunked_scan(&c->r->req_chunks.scan, c->in + c->r->req.head_len, early,
					  &done);
		if (used < 0) {
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->r->req_pump.budget = (uint64_t)used;
		if (used &&
		    sg_pump_prime(&c->r->req_pump, c->in + c->r->req.head_len, (size_t)used)) {
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		c->r->req_chunks.done = done;
		/* What follows the body is the next request: keep it behind
		 * the head, where h1c_consume_request expects it. */
		memmove(c->in + c->r->req.head_len, c->in + c->r->req.head_len + used,
			early - (size_t)used);
		c->in_len -= (size_t)used;
	}
	c->req_way = REQ_PUMP;
	h1c_drive_request_body(c);
}

void h1c_writable(struct sg_attempt *a)
{
	h1c_drive_request_body(a->owner);
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
	if (c->req_way == REQ_PUMP && c->r->req_pump.engine == SG_RELAY_SOCKMAP)
		h1c_drive_request_body(c);
	return !c->closed && !c->req_done;
}

/* The bytes of buf[0..len) that belong to the chunked body relayed by
 * `cr`, how many as the scanner counts them (-1: malformed); they are left
 * at the start of buf and their number in *out: all of them as they are,
 * or when decoding (an HTTP/1.0 client's), the chunks' data alone (framing
 * and trailers dropped). */
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
void h1c_without_header(const struct sg_h1_resp *resp, const char *name, struct sg_h1_resp *out,
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

/* A final response head from an HTTP/1 backend that is the answer, whose
 * exchange offers its connection: taken, the body (or the tunnel) is
 * relayed here. */
/* The response body after its head: a pump for its framing (c->resp_body),
 * primed with the `extra` bytes that came after the head. 0, or -1 with
 * the client closed. */
static int start_body(struct client *c, const struct sg_h1_resp *resp, char *extra,
		      size_t extra_len, bool dechunk)
{
	switch (c->resp_body) {
	case SG_H1_BODY_NONE:
		c->resp_done = true;
		return 0;
	case SG_H1_BODY_LENGTH:
		c->r->rq.engine = h1c_init_pump(c, &c->r->resp_pump, false,
						(uint64_t)resp->content_length, false);
		break;
	case SG_H1_BODY_CLOSE:
		c->r->rq.engine = h1c_init_pump(c, &c->r->resp_pump, false, UINT64_MAX, false);
		break;
	case SG_H1_BODY_CHUNKED:
		/* chunk framing is parsed here */
		c->r->rq.engine = h1c_init_pump(c, &c->r->resp_pump, false, 0, true);
		memset(&c->r->resp_chunks, 0, sizeof(c->r->resp_chunks));
		c->r->resp_chunks.decode = dechunk;
		break;
	}
	c->resp_way = RESP_PUMP;
	if (extra_len && c->resp_body != SG_H1_BODY_CHUNKED) {
		uint64_t budget = c->r->resp_pump.budget;
		size_t take = extra_len < budget ? extra_len : (size_t)budget;

		if (sg_pump_prime(&c->r->resp_pump, extra, take) == -1)
			goto fail;
	} else if (extra_len) {
		size_t out;

		if (chunk_body(&c->r->resp_chunks, extra, extra_len, &out) < 0)
			goto fail;
		c->r->resp_pump.budget = (uint64_t)out;
		if (out && sg_pump_prime(&c->r->resp_pump, extra, out) == -1)
			goto fail;
	}
	return 0;
fail:
	h1c_client_close(c);
	return -1;
}

static void got_response_head(struct client *c, const struct sg_h1_resp *resp, bool tunnel)
{
	char head[PROXY_HEAD_MAX + 256];
	struct sg_h1_edit edit;
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	struct sg_h1_resp unchunked;
	size_t extra_len, whole = 0;
	struct iovec iov[2];
	bool whole_response, last, deferred, dechunk;
	enum sg_h1_body body;
	ssize_t n;
	/* The bytes after the head are in the exchange's buffer until this
	 * returns: each way below copies or sends them. */
	char *extra = sg_attempt_take(&c->r->rq.at, &extra_len, &body);

	/* RFC 9110 §9.3.6: framing headers in a 2xx to CONNECT mean nothing. */
	c->resp_body = tunnel ? SG_H1_BODY_NONE : body;
	c->resp_keep_alive = resp->keep_alive && c->resp_body != SG_H1_BODY_CLOSE;
	/* An HTTP/1.0 client gets a chunked body's data, delimited by the
	 * close (RFC 9112 6.1: no Transfer-Encoding to a 1.0 request). */
	dechunk = !c->r->req.minor && c->resp_body == SG_H1_BODY_CHUNKED;
	if (c->resp_body == SG_H1_BODY_CLOSE || dechunk || !c->r->req.keep_alive ||
	    c->ctx->draining || h1c_too_old(c) || (!tunnel && upload_unfinished(c)))
		c->client_close = true;
	if (c->closed || c->state != C_ATTEMPT)
		return;
	sg_request_transform_response(&c->r->rq, resp);
	sg_filter_response_edit(&c->r->rq.plan, &edit);
	if (dechunk)
		h1c_without_header(resp, "transfer-encoding", &unchunked, slots);
	/* A 101 keeps the backend's Upgrade and says "connection: upgrade"
	 * (RFC 9110 §7.8: a client fails the switch without them, RFC 6455
	 * §4.1); other hop-by-hop fields go as always. */
	n = sg_h1_write_response_edit(dechunk ? &unchunked : resp, &edit,
				      tunnel ? SG_H1_CONN_NONE : h1c_conn_field(c, c->client_close),
				      resp->status == 101 ? "connection: upgrade\r\n" : NULL, head,
				      sizeof(head));
	/* A small body that came whole with the head leaves with it. */
	if (c->resp_body == SG_H1_BODY_LENGTH && resp->content_length < SG_RELAY_SPLICE_MIN &&
	    extra_len >= (size_t)resp->content_length)
		whole = (size_t)resp->content_length;
	whole_response = c->resp_body == SG_H1_BODY_NONE || (c->resp_body == SG_H1_BODY_LENGTH &&
							     whole == (size_t)resp->content_length);
	/* The whole response in this write, and the connection closes after
	 * it with nothing more to read: MSG_MORE holds the segment back for
	 * the few microseconds until h1c_close_lingering() sends the FIN, which the kernel
	 * then adds to it (one segment to the client instead of two). */
	last = c->client_close && c->req_done && !tunnel && whole_response;
	iov[0] = (struct iovec){ .iov_base = head, .iov_len = n > 0 ? (size_t)n : 0 };
	iov[1] = (struct iovec){ .iov_base = extra, .iov_len = whole };
	if (n < 0) {
		h1c_fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
		return;
	}
	/* A whole response that the connection outlives leaves after the
	 * loop's pass, with every other response of the pass: a client on
	 * another core is woken once for all of them, not once each. */
	deferred = !last && !tunnel && whole_response;
	if ((deferred ? h1c_client_queue(c, iov, 2)
		      : h1c_client_writev(c, iov, 2, last ? MSG_MORE : 0)) == -1) {
		h1c_client_close(c);
		return;
	}
	c->r->rq.resp_started = true;
	sg_request_response_head(&c->r->rq, dechunk ? &unchunked : resp, &edit);
	h1c_enter(c, C_RESP);
	extra_len -= whole;
	if (whole) {
		h1c_count_body(c, false, SG_RELAY_COPY, whole);
		c->r->rq.engine = SG_RELAY_COPY;
		c->resp_body = SG_H1_BODY_NONE;
		if (extra_len)
			c->resp_keep_alive = false; /* more than its response */
		extra_len = 0;
	}
	if (tunnel) {
		h1c_start_upgraded_tunnel(c, extra, extra_len);
		return;
	}
	if (start_body(c, resp, extra, extra_len, dechunk) == -1)
		return;
	if (!deferred)
		h1c_drive_response(c);
}

void h1c_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct client *c = a->owner;
	bool tunnel;

	if (!sg_attempt_offered(a)) {
		h1c_h2_head(a, resp, end); /* interim, or an HTTP/2 backend's */
		return;
	}
	tunnel = resp->status == 101 || (c->is_connect && resp->status / 100 == 2);
	/* Held, its body comes decoded, as an HTTP/2 backend's does: not taken. */
	if (!h1c_head_retried_or_held(c, resp, tunnel))
		got_response_head(c, resp, tunnel);
}

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
			if (h1c_grow_in(keep, keep->in_len + (size_t)n - (size_t)used) == -1)
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
	if (h1c_grow_in(c, c->in_len + n) == -1)
		return -1;
	memcpy(c->in + c->in_len, data, n);
	c->in_len += n;
	return 0;
}

void h1c_response_done(struct client *c)
{
	c->resp_done = true;
	if (c->req_way == REQ_PUMP && !c->req_done && c->r->req_pump.engine == SG_RELAY_SOCKMAP) {
		/* The kernel may have moved the whole upload already, its
		 * ring event still queued: look before calling it unfinished.
		 * Waiting for the drain barrier, the kick brings us back. */
		h1c_drive_request_body(c);
		if (c->closed || (c->req_way == REQ_PUMP && !c->req_done && c->kick_at))
			return;
	}
	if (c->req_way == REQ_PUMP && !c->req_done) {
		/* The backend answered before the upload finished: the rest of
		 * the request body cannot be told apart from a next request. */
		c->client_close = true;
		c->resp_keep_alive = false;
	}
	if (c->state == C_RESP && h1c_client_out_pending(c))
		return; /* EPOLLOUT brings us back */
	h1c_finish_request(c);
}

void h1c_drive_response(struct client *c)
{
	enum sg_pump_status st;
	int side = 0;

	if (c->closed || c->state != C_RESP || !h1c_flushed(c))
		return;
	if (c->resp_way == RESP_MESSAGES) {
		h1c_h2_flushed(c);
		return;
	}
	if (c->resp_done || c->resp_way != RESP_PUMP) {
		h1c_response_done(c);
		return;
	}
	if (c->resp_body == SG_H1_BODY_CHUNKED) {
		st = chunked_run(&c->r->resp_pump, &c->r->resp_chunks, NULL, &side);
	} else {
		st = sg_pump_run(&c->r->resp_pump, SG_PUMP_SLICE, &side);
		c->resp_batch_at = st == SG_PUMP_WANT_READ && sg_pump_batching(&c->r->resp_pump)
					   ? h1c_now(c) + SG_RELAY_BATCH_MS
					   : 0;
	}
	switch (st) {
	case SG_PUMP_DONE:
		c->resp_way = RESP_NONE;
		take_extra(c, &c->r->resp_pump);
		h1c_pump_done(c, &c->r->resp_pump);
		h1c_response_done(c);
		return;
	case SG_PUMP_EOF:
		if (c->resp_body == SG_H1_BODY_CLOSE) {
			c->resp_keep_alive = false;
			c->resp_way = RESP_NONE;
			h1c_pump_done(c, &c->r->resp_pump);
			h1c_response_done(c);
			return;
		}
		h1c_client_close(c); /* truncated body: its length tells the client */
		return;
	case SG_PUMP_ERROR:
		SG_DEBUG("%s: response body (%s): %s side: %s", c->ip,
			 sg_relay_engine_name(c->r->resp_pump.engine), side ? "client" : "backend",
			 strerror(errno));
		/* The backend failed mid-body: a body with a length or chunks
		 * tells the client it was cut; a close-delimited one only by
		 * an abortive close. */
		if (!side && c->resp_body == SG_H1_BODY_CLOSE)
			h1c_client_abort(c);
		else
			h1c_client_close(c);
		return;
	case SG_PUMP_WAIT:
		h1c_kick(c);
		return;
	default:
		return;
	}
}

void h1c_drive_request_body(struct client *c)
{
	enum sg_pump_status st;
	int side = 0;

	if (c->closed || c->req_way != REQ_PUMP || c->req_done)
		return;
	if (c->req_body == SG_H1_BODY_CHUNKED) {
		/* Bytes after the body are appended to `in`, behind the head. */
		st = chunked_run(&c->r->req_pump, &c->r->req_chunks, c, &side);
	} else {
		st = sg_pump_run(&c->r->req_pump, SG_PUMP_SLICE, &side);
		c->batch_at = st == SG_PUMP_WANT_READ && sg_pump_batching(&c->r->req_pump)
				      ? h1c_now(c) + SG_RELAY_BATCH_MS
				      : 0;
	}
	switch (st) {
	case SG_PUMP_DONE:
		c->req_done = true;
		c->req_way = REQ_NONE;
		if (take_extra(c, &c->r->req_pump) == -1) {
			h1c_client_close(c);
			return;
		}
		h1c_pump_done(c, &c->r->req_pump);
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
			h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
			return;
		}
		if (side == 0 || c->r->rq.resp_started) {
			h1c_client_close(c);
			return;
		}
		/* The backend stopped reading; its response may still come. */
		h1c_pump_done(c, &c->r->req_pump);
		c->req_way = REQ_NONE;
		c->client_close = true;
		return;
	case SG_PUMP_WAIT:
		h1c_kick(c);
		return;
	default:
		return;
	}
}
