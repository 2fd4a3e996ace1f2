/* An HTTP/1 client's request to an HTTP/2 backend (user/core/h2backend.c):
 * the request goes as a stream, its body read from the client as the
 * stream's window allows. Responses that come as the exchange's messages
 * (head, data and end: an HTTP/2 backend's, an HTTP/1 backend's that the
 * request module holds, and interim heads from either) are written to
 * the client as HTTP/1 (chunked when it has no length), with the
 * backend's flow control given back as the client takes the bytes. */
#include "user/http1/h1h2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/failure.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/http1/h1forward.h"
#include "user/tls/tls.h"

/* This try's request on the attempt's stream: the head as an HTTP/1
 * backend would get it (without an upgrade offer: Upgrade is HTTP/1's),
 * the body from `in`. */
void h1c_send_h2(struct client *c)
{
	struct request *r = c->r;
	struct sg_h1_edit edit;
	int rc;

	c->upgrade_sent = false;
	r->h2_up_off = 0;
	c->req_way = REQ_NONE;
	if (!r->rq.at.replayable && c->req_body == SG_H1_BODY_LENGTH)
		r->h2_up_left = (uint64_t)r->req.content_length;
	memset(&r->h2_up_chunks, 0, sizeof(r->h2_up_chunks));
	sg_buf_reset(&r->h2_trailers.lines);
	sg_filter_request_edit(&r->rq.plan, &edit);
	rc = sg_attempt_send(&r->rq.at, &r->req, &edit, c->ip,
			     c->req_body != SG_H1_BODY_NONE || r->rq.plan.body_set);
	if (rc < 0) {
		h1c_fail_request(c, SG_FAIL_CONNECT, -rc);
		return;
	}
	c->request_written = true;
	if (r->rq.at.replayable) {
		c->r->rq.bytes_in = c->body_len;
		c->req_done = true;
	}
	h1c_settle(c);
}

static void on_client_later(struct sg_deferred *d)
{
	struct client *c = (struct client *)((char *)d - offsetof(struct client, later));

	if (c->closed || !c->r)
		return; /* a closed client's free waits until this ran (loop.h) */
	h1c_drive_response(c);
	h1c_settle(c);
}

/* Queue bytes for the client, written once the loop's pass is over: the
 * head, body and last chunk an HTTP/2 backend's frames bring in one read
 * go in one write. */
int h1c_client_queue(struct client *c, const struct iovec *iov, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (sg_buf_append(&c->out, iov[i].iov_base, iov[i].iov_len) < 0)
			return -1;
	sg_loop_after_pass(c->ctx->loop, &c->later, on_client_later);
	return 0;
}

bool h1c_te_trailers(const struct client *c)
{
	const struct sg_h1_req *q = &c->r->req;

	return q->minor && sg_h1_headers_list(q->headers, q->nheaders, "te", "trailers");
}

int h1c_queue_last_chunk(struct client *c, const struct sg_h2_field *t, size_t n)
{
	int rc = sg_buf_append(&c->out, "0\r\n", 3);

	for (size_t i = 0; i < n; i++)
		if (sg_h1_trailer_allowed(t[i].name, t[i].name_len))
			rc |= sg_buf_append(&c->out, t[i].name, t[i].name_len) |
			      sg_buf_append(&c->out, ": ", 2) |
			      sg_buf_append(&c->out, t[i].value, t[i].value_len) |
			      sg_buf_append(&c->out, "\r\n", 2);
	rc |= sg_buf_append(&c->out, "\r\n", 2);
	sg_loop_after_pass(c->ctx->loop, &c->later, on_client_later);
	return rc < 0 ? -1 : 0;
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
			h1c_count_body(c, true, SG_RELAY_COPY, take);
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
				h1c_fail_request(c, SG_FAIL_BAD_REQUEST, 0);
				return -EPROTO;
			}
			/* d points into what is taken: copy it out first. */
			memcpy(buf, d.p, d.len);
			take_in(c, (size_t)used);
			h1c_count_body(c, true, SG_RELAY_COPY, d.len);
			*eof = c->req_done = done;
			if (d.len || done)
				return (ssize_t)d.len;
			if (used)
				continue;
		}
		if (h1c_grow_in(c, c->in_len + 16384) == -1)
			return -ENOMEM;
		n = sg_sock_recv(c->tls, c->io.fd, c->in + c->in_len, 16384, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* The backend's flush asks, outside our dispatch: the
			 * client's mask must say EPOLLIN now. */
			c->req_way = REQ_PULL_WAIT;
			h1c_settle(c);
			return -EAGAIN;
		}
		h1c_client_close(c); /* gone before its body ended */
		return -EPIPE;
	}
	c->req_way = REQ_PULL_WAIT; /* enough for one call: the next event resumes */
	h1c_settle(c);
	return -EAGAIN;
}

size_t h1c_h2_trailers(struct sg_attempt *a, const struct sg_h2_field **t)
{
	return sg_h2head_kept_fields(&((struct client *)a->owner)->r->h2_trailers, t);
}

ssize_t h1c_h2_body(struct sg_attempt *a, char *buf, size_t len, bool *eof)
{
	struct client *c = a->owner;
	struct request *r = c->r;
	struct sg_h1_span b;
	size_t n;

	if (!r->rq.at.replayable)
		return h2_upload(c, buf, len, eof);
	b = sg_request_body(&r->rq, c->in + r->req.head_len, c->body_len);
	n = b.len - r->h2_up_off;
	if (n > len)
		n = len;
	memcpy(buf, b.p + r->h2_up_off, n);
	r->h2_up_off += n;
	*eof = r->h2_up_off == b.len;
	return (ssize_t)n;
}

/* The client's socket took every byte passed on: the backend may send as
 * many more; at the end of the response, the request is done. */
void h1c_h2_flushed(struct client *c)
{
	if (c->r->h2_unconsumed) {
		/* one stream a client: its window grows as it reads */
		sg_attempt_consume(&c->r->rq.at, c->r->h2_unconsumed, c->r->h2_unconsumed);
		c->r->h2_unconsumed = 0;
	}
	if (c->resp_done)
		h1c_response_done(c);
}

/* The final head to the client, transformed, as it came: `end`, it
 * ended the stream. */
static void relay_head(struct client *c, const struct sg_h1_resp *resp, bool end)
{
	struct request *r = c->r;
	char head[PROXY_HEAD_MAX + 256];
	static const char chunked[] = "Transfer-Encoding: chunked\r\n";
	static const char zero_length[] = "Content-Length: 0\r\n";
	struct sg_h1_edit edit;
	ssize_t n;

	/* The framing the client gets: none for a head that ended the stream
	 * (a Content-Length 0 said if the backend gave none), the backend's
	 * length, else chunks; chunks too for a client that asked for
	 * trailers (TE: trailers), which only they can carry. */
	bool bodyless = c->r->rq.is_head || resp->status == 204 || resp->status == 304;
	bool te_trailers = h1c_te_trailers(c);
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	struct sg_h1_resp chunked_resp;
	const char *extra = NULL;

	sg_request_transform_response(&r->rq, resp);
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
		h1c_without_header(resp, "content-length", &chunked_resp, slots);
		chunked_resp.content_length = -1;
		resp = &chunked_resp;
	} else {
		c->resp_body = SG_H1_BODY_CLOSE;
	}
	/* An HTTP/1 backend's chunks come decoded: its Transfer-Encoding goes
	 * with the framing chosen above. */
	if ((c->resp_body == SG_H1_BODY_CHUNKED || c->resp_body == SG_H1_BODY_CLOSE) &&
	    sg_h1_resp_header(resp, "transfer-encoding")) {
		struct sg_h1_resp as_is = *resp;

		h1c_without_header(&as_is, "transfer-encoding", &chunked_resp, slots);
		resp = &chunked_resp;
	}
	r->h2_chunked = c->resp_body == SG_H1_BODY_CHUNKED;
	if (c->resp_body == SG_H1_BODY_CLOSE || !r->req.keep_alive || c->ctx->draining ||
	    h1c_too_old(c) || !c->req_done)
		c->client_close = true;
	n = sg_h1_write_response_edit(resp, &edit, h1c_conn_field(c, c->client_close), extra, head,
				      sizeof(head));
	if (n < 0) {
		h1c_fail_request(c, SG_FAIL_BAD_RESPONSE, EMSGSIZE);
		return;
	}
	if (h1c_client_queue(c, &(struct iovec){ head, (size_t)n }, 1) == -1) {
		h1c_client_close(c);
		return;
	}
	c->resp_way = RESP_MESSAGES;
	c->r->rq.resp_started = true;
	c->r->rq.engine = SG_RELAY_COPY;
	sg_request_response_head(&c->r->rq, resp, &edit);
	h1c_enter(c, C_RESP);
}

void h1c_h2_head(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end)
{
	struct client *c = a->owner;
	char head[PROXY_HEAD_MAX + 256];
	ssize_t n;

	if (resp->status < 200) {
		/* Interim: passed on to an HTTP/1.1 client (RFC 9110 §15.2). */
		n = sg_h1_write_response_edit(resp, NULL, SG_H1_CONN_NONE, NULL, head,
					      sizeof(head));
		if (c->r->req.minor && n > 0 && h1c_client_write(c, head, (size_t)n) == -1)
			h1c_client_close(c);
		h1c_settle(c);
		return;
	}
	if (!h1c_head_retried_or_held(c, resp, false))
		relay_head(c, resp, end);
	h1c_settle(c);
}

bool h1c_head_retried_or_held(struct client *c, const struct sg_h1_resp *resp, bool tunnel)
{
	if (sg_request_took_response(&c->r->rq, resp))
		return true;
	if (tunnel || !sg_request_hold_response(&c->r->rq, resp))
		return false;
	/* The body comes to h1c_h2_data for the request module (user/core/
	 * request.h), which answers at its end; the body watchdog watches it
	 * meanwhile (resp_moved). An HTTP/1 backend's exchange decides its
	 * connection's reuse (an HTTP/2 stream's has none to reuse). */
	c->r->rq.phase = SG_REQUEST_RESPONSE;
	c->resp_keep_alive = true;
	return true;
}

void h1c_h2_release(struct client *c, const struct sg_h1_resp *resp, const char *body, size_t len)
{
	relay_head(c, resp, false);
	if (!c->closed && c->state == C_RESP && len)
		h1c_h2_data(&c->r->rq.at, body, len);
}

/* Body bytes of a held response: given back to the backend at once (the
 * request module bounds what it keeps); once released, the rest goes on
 * as any response's. */
static void held_data(struct client *c, struct sg_attempt *a, const char *p, size_t n)
{
	const char *rest;
	size_t nrest;

	c->r->resp_moved += n;
	switch (sg_request_response_data(&c->r->rq, p, n, &rest, &nrest)) {
	case SG_REQUEST_HELD:
		sg_attempt_consume(a, n, 0);
		break;
	case SG_REQUEST_RELEASED:
		sg_attempt_consume(a, n - nrest, 0);
		if (nrest)
			h1c_h2_data(a, rest, nrest);
		break;
	case SG_REQUEST_GONE:
		break;
	}
}

void h1c_h2_data(struct sg_attempt *a, const char *p, size_t n)
{
	struct client *c = a->owner;
	struct request *r = c->r;
	char line[SG_H1_CHUNK_LINE];
	struct iovec iov[3] = {
		{ line, 0 },
		{ (void *)(uintptr_t)p, n },
		{ (void *)(uintptr_t) "\r\n", 0 },
	};

	if (r->rq.held_resp && !c->closed) {
		held_data(c, a, p, n);
		h1c_settle(c);
		return;
	}
	if (c->closed || c->resp_body == SG_H1_BODY_NONE) {
		sg_attempt_consume(a, n, 0);
		return;
	}
	if (r->h2_chunked) {
		iov[0].iov_len = sg_h1_chunk_size_line(n, line);
		iov[2].iov_len = 2;
	}
	if (h1c_client_queue(c, iov, 3) == -1) {
		h1c_client_close(c);
		return;
	}
	h1c_count_body(c, false, SG_RELAY_COPY, n);
	r->h2_unconsumed += n;
	if (!h1c_client_out_pending(c))
		h1c_h2_flushed(c);
	h1c_settle(c);
}

/* The response's end: the last chunk with the trailers (an HTTP/1.1
 * chunked body carries them, RFC 9112 §7.1.2); trailers of a body with a
 * length have no place and are dropped. Cut after its head (err): the
 * client must see it cut. */
void h1c_h2_end(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err)
{
	struct client *c = a->owner;

	if (c->r->rq.held_resp && !c->closed) {
		sg_request_response_end(&c->r->rq, err, t, n);
		h1c_settle(c);
		return;
	}
	if (err) {
		h1c_client_close(c);
		return;
	}
	if (c->r->h2_chunked && h1c_queue_last_chunk(c, t, n) == -1) {
		h1c_client_close(c);
		return;
	}
	c->resp_done = true;
	if (!h1c_client_out_pending(c))
		h1c_h2_flushed(c);
	h1c_settle(c);
}
