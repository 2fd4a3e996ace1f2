/* HTTP/1.1 to a backend: one request out, one response head in
 * (user/core/h1backend.h). Bytes are counted in the connection's socket-map
 * state: a pooled connection may be in the map since a body was moved
 * through the kernel on it (user/relay/sockmap.h). */
#include "user/core/h1backend.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "user/base/buf.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/codec/h1chunk.h"
#include "user/tls/tls.h"

#define H1BACKEND_READ 4096 /* bytes asked of each recv() of a head */

static void drop_out(struct sg_h1backend *x)
{
	sg_mem_free(x->out);
	x->out = NULL;
	x->out_cap = 0;
}

/* No request bytes pending: a small buffer stays for the next request. */
static void end_out(struct sg_h1backend *x)
{
	x->out_len = x->out_off = 0;
	if (x->out_cap > SG_H1BACKEND_OUT_KEEP)
		drop_out(x);
}

int sg_h1backend_build(struct sg_h1backend *x, const struct sg_h1_req *req,
		       const struct sg_h1_edit *edit, const char *client_ip, unsigned attempt,
		       const char *extra, const char *body, size_t body_len)
{
	size_t cap = sg_h1_request_room(req, edit, extra) + body_len;
	ssize_t n;

	x->out_len = x->out_off = 0;
	x->heard = false;
	if (cap > x->out_cap) {
		drop_out(x);
		x->out = sg_mem_alloc(cap);
		if (!x->out)
			return -ENOMEM;
		x->out_cap = cap;
	}
	n = sg_h1_write_request_edit(req, edit, client_ip, attempt, extra, x->out, cap);
	if (n < 0)
		return -EMSGSIZE;
	x->out_len = (size_t)n;
	if (body_len) {
		memcpy(x->out + x->out_len, body, body_len);
		x->out_len += body_len;
	}
	return 0;
}

int sg_h1backend_send(struct sg_h1backend *x, struct sg_backend_conn *u)
{
	while (x->out_off < x->out_len) {
		ssize_t n = sg_sock_send(u->tls, u->fd, x->out + x->out_off,
					 x->out_len - x->out_off, MSG_NOSIGNAL);

		sg_ksock_wrote(&u->k, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1)
			return -errno;
		x->out_off += (size_t)n;
	}
	end_out(x);
	return 1;
}

/* Parse the bytes in hand: SG_H1BACKEND_MORE when they are not a whole head
 * yet. */
static enum sg_h1backend_head parse(struct sg_h1backend *x, size_t max)
{
	if (!x->in_len)
		return SG_H1BACKEND_MORE;
	switch (sg_h1_parse_response(x->in, x->in_len, x->resp.headers_cap, &x->resp)) {
	case SG_H1_PARTIAL:
		return x->in_len > max ? SG_H1BACKEND_TOO_LARGE : SG_H1BACKEND_MORE;
	case SG_H1_DONE:
		return x->resp.head_len > max ? SG_H1BACKEND_TOO_LARGE : SG_H1BACKEND_HEAD;
	default:
		return SG_H1BACKEND_INVALID;
	}
}

/* Room for `more` bytes after x->in_len. The growth is sg_buf's; `in`
 * stays three plain fields because user/http1/proxy.c reads x->in and x->in_len
 * directly (an sg_buf once proxy.c is converted). */
static int reserve(struct sg_h1backend *x, size_t more)
{
	struct sg_buf b = { .data = x->in, .len = x->in_len, .cap = x->in_cap };
	int rc = sg_buf_reserve(&b, more);

	x->in = b.data;
	x->in_cap = b.cap;
	return rc;
}

enum sg_h1backend_head sg_h1backend_recv_head(struct sg_h1backend *x, struct sg_backend_conn *u,
					      size_t max, int *err)
{
	enum sg_h1backend_head r = parse(x, max);

	*err = 0;
	while (r == SG_H1BACKEND_MORE) {
		ssize_t n;

		if (reserve(x, H1BACKEND_READ) < 0)
			return SG_H1BACKEND_NOMEM;
		n = sg_sock_recv(u->tls, u->fd, x->in + x->in_len, x->in_cap - x->in_len, 0);
		sg_ksock_read(&u->k, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return SG_H1BACKEND_MORE;
		if (n <= 0) {
			*err = n == 0 ? 0 : errno;
			return SG_H1BACKEND_EOF;
		}
		x->in_len += (size_t)n;
		x->heard = true;
		r = parse(x, max);
	}
	return r;
}

void sg_h1backend_skip_head(struct sg_h1backend *x)
{
	memmove(x->in, x->in + x->resp.head_len, x->in_len - x->resp.head_len);
	x->in_len -= x->resp.head_len;
}

void sg_h1backend_reset(struct sg_h1backend *x)
{
	end_out(x);
	x->in_len = 0;
	x->heard = false;
}

void sg_h1backend_free(struct sg_h1backend *x)
{
	sg_h1backend_reset(x);
	drop_out(x);
	sg_mem_free_sized(x->in, x->in_cap);
	x->in = NULL;
	x->in_cap = 0;
}

/* ---- the whole exchange ---------------------------------------------------- */

#define H1X_PULL 16384		  /* request body bytes asked of ops->body at once */
#define H1X_OUT_BATCH (64 * 1024) /* bytes gathered before a send */
#define H1X_READ (64 * 1024)	  /* response body bytes read at once */
/* ... into the owner's buffer (space): it holds them anyway, and fewer,
 * larger reads are fewer window updates to the backend. 1 MiB, as nginx's
 * largest proxy buffer: with 256 KiB reads the origin spent 0.20 s of CPU
 * per GB sending a TLS download to us, 0.10-0.17 with 1 MiB (nginx 1 MiB
 * 0.07-0.13; scripts/BENCH.md, "The origin's cost of a reader"). */
#define H1X_READ_OWNED (1024 * 1024)

/* sg_h1x_new's: the exchange with its own header slots after it. Never
 * zeroed: the parser writes the slots it hands out (zeroing these 8 KiB
 * was 3% of an h2c request's CPU, perf). */
struct h1x_alloc {
	struct sg_h1x x;
	struct sg_h1_header slots[SG_H1_MAX_HEADERS];
};

/* A zeroed exchange's own fields. */
static void x_set(struct sg_h1x *x, struct sg_loop *loop, struct sg_backend_conn *u,
		  const struct sg_exchange_ops *ops, void *data, size_t head_max)
{
	x->loop = loop;
	x->u = u;
	x->ops = ops;
	x->data = data;
	x->head_max = head_max;
}

struct sg_h1x *sg_h1x_new(struct sg_loop *loop, struct sg_backend_conn *u,
			  const struct sg_exchange_ops *ops, void *data, size_t head_max)
{
	struct h1x_alloc *m = malloc(sizeof(*m));
	struct sg_h1x *x = m ? &m->x : NULL;

	if (!x)
		return NULL;
	memset(x, 0, sizeof(*x));
	x_set(x, loop, u, ops, data, head_max);
	x->hx.resp.headers = m->slots;
	x->hx.resp.headers_cap = SG_H1_MAX_HEADERS;
	return x;
}

bool sg_h1x_init(struct sg_h1x *x, struct sg_loop *loop, struct sg_backend_conn *u,
		 const struct sg_exchange_ops *ops, void *data, size_t head_max)
{
	if (x->busy)
		return false;
	/* Its buffers (and the response's header slots) stay, emptied. */
	memset(x, 0, offsetof(struct sg_h1x, owned));
	sg_h1backend_reset(&x->hx);
	sg_buf_reset(&x->out);
	sg_buf_reset(&x->trailers);
	x_set(x, loop, u, ops, data, head_max);
	x->owned = true;
	return true;
}

void sg_h1x_free(struct sg_h1x *x)
{
	sg_h1backend_free(&x->hx);
	sg_buf_free(&x->out);
	sg_buf_free(&x->trailers);
}

static void x_free(struct sg_h1x *x)
{
	if (x->owned)
		return; /* the owner's storage: its buffers stay for the next */
	sg_h1x_free(x);
	free(x);
}

void sg_h1x_close(struct sg_h1x *x)
{
	if (!x)
		return;
	if (x->u)
		sg_io_park(&x->u->io); /* the pool or a close sets it next */
	x->dead = true;
	x->u = NULL;
	if (!x->busy)
		x_free(x);
}

/* The last word: nothing is said after failed or end. */
static void fail(struct sg_h1x *x, enum sg_xfail why, int err)
{
	x->dead = true;
	x->ops->failed(x->data, why, err);
}

static void end(struct sg_h1x *x, int err)
{
	x->dead = true;
	x->ops->end(x->data, NULL, 0, err);
}

/* The body ended: its trailer lines go to the owner as fields, names in
 * lowercase (HTTP/2's), those that may not be trailers left out. */
static void end_with_trailers(struct sg_h1x *x)
{
	char *lines = sg_buf_data(&x->trailers);
	struct sg_h2_field *t = NULL;
	size_t cap = 1, n = 0;
	ssize_t got = 0;

	for (size_t i = 0; i < x->trailers.len; i++)
		cap += lines[i] == '\n';
	if (x->trailers.len) {
		if (!(t = malloc(cap * sizeof(*t)))) {
			x->dead = true;
			x->ops->end(x->data, NULL, 0, ENOMEM);
			return;
		}
		/* every line has its colon: the chunk scanner took no other */
		got = sg_h2head_fields_from_lines(lines, x->trailers.len, t, cap);
	}
	for (ssize_t i = 0; i < got; i++)
		if (sg_h1_trailer_allowed(t[i].name, t[i].name_len))
			t[n++] = t[i];
	x->dead = true;
	x->ops->end(x->data, t, n, 0);
	free(t);
}

/* The last chunk, with the owner's trailers (RFC 9112 §7.1.2) that may
 * be trailers (names as HTTP/2 gave them, lowercase). */
static int last_chunk(struct sg_h1x *x)
{
	const struct sg_h2_field *t = NULL;
	size_t n = x->ops->trailers ? x->ops->trailers(x->data, &t) : 0;

	if (sg_buf_append(&x->out, "0\r\n", 3) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sg_h1_trailer_allowed(t[i].name, t[i].name_len) &&
		    (sg_buf_append(&x->out, t[i].name, t[i].name_len) < 0 ||
		     sg_buf_append(&x->out, ": ", 2) < 0 ||
		     sg_buf_append(&x->out, t[i].value, t[i].value_len) < 0 ||
		     sg_buf_append(&x->out, "\r\n", 2) < 0))
			return -1;
	return sg_buf_append(&x->out, "\r\n", 2);
}

/* Pull body bytes into `out`, framed, while the batch has room. Returns
 * -1 when the exchange is over (out of memory: failed). */
static int pull(struct sg_h1x *x)
{
	while (x->body_open && !x->up_wait && x->out.len < H1X_OUT_BATCH) {
		char tmp[H1X_PULL];
		bool eof = false;
		ssize_t n;

		if (x->chunked) {
			n = x->ops->body(x->data, tmp, sizeof(tmp), &eof);
		} else {
			if (sg_buf_reserve(&x->out, H1X_PULL) < 0)
				goto nomem;
			n = x->ops->body(x->data, sg_buf_tail(&x->out), H1X_PULL, &eof);
		}
		if (x->dead)
			return -1;
		if (n == -EAGAIN || (n == 0 && !eof)) {
			x->up_wait = true;
			break;
		}
		if (n < 0)
			n = 0, eof = true;
		if (!x->chunked) {
			sg_buf_commit(&x->out, (size_t)n);
		} else if (n > 0) {
			char line[SG_H1_CHUNK_LINE];
			size_t len = sg_h1_chunk_size_line((size_t)n, line);

			if (sg_buf_append(&x->out, line, len) < 0 ||
			    sg_buf_append(&x->out, tmp, (size_t)n) < 0 ||
			    sg_buf_append(&x->out, "\r\n", 2) < 0)
				goto nomem;
		}
		if (eof) {
			x->body_open = false;
			if (x->chunked && last_chunk(x) < 0)
				goto nomem;
		}
	}
	return 0;
nomem:
	fail(x, SG_XFAIL_NOMEM, ENOMEM);
	return -1;
}

/* Write the head, then the body as it comes. Returns -1 when the exchange
 * is over. */
static int write_request(struct sg_h1x *x)
{
	while (!x->write_broken) {
		ssize_t n;

		if (pull(x) < 0)
			return -1;
		if (!x->out.len) {
			x->req_written = !x->body_open;
			break;
		}
		n = sg_sock_send(x->u->tls, x->u->fd, sg_buf_data(&x->out), x->out.len,
				 MSG_NOSIGNAL);
		sg_ksock_wrote(&x->u->k, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1 && x->head_left) {
			fail(x, x->taken ? SG_XFAIL_WRITE : SG_XFAIL_UNSENT, errno);
			return -1;
		}
		if (n == -1) {
			/* The backend stopped reading the body: its answer may
			 * still come (and the connection is not used again). */
			x->write_broken = true;
			break;
		}
		x->taken = true;
		x->head_left -= (size_t)n < x->head_left ? (size_t)n : x->head_left;
		sg_buf_consume(&x->out, (size_t)n);
	}
	if (!x->out.len || x->write_broken)
		sg_buf_free(&x->out);
	return 0;
}

/* Bytes mode: the owner's bytes, then its body relay's turns. Returns -1
 * when the exchange is over. */
static int write_bytes(struct sg_h1x *x, uint32_t revents)
{
	int rc;

	if (!sg_h1backend_pending(&x->hx)) {
		if (x->body_given && x->owner_out && (revents & EPOLLOUT)) {
			x->ops->writable(x->data);
			return x->dead ? -1 : 0;
		}
		return 0;
	}
	if (!(revents & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		return 0;
	rc = sg_h1backend_send(&x->hx, x->u);
	if (rc < 0) {
		fail(x, x->hx.out_off ? SG_XFAIL_WRITE : SG_XFAIL_UNSENT, -rc);
		return -1;
	}
	if (rc == 0)
		return 0;
	x->taken = true;
	x->req_written = !x->body_given;
	x->ops->written(x->data);
	return x->dead ? -1 : 0;
}

static bool room(struct sg_h1x *x)
{
	return !x->ops->room || x->ops->room(x->data);
}

/* Decoded body bytes to the owner. Returns -1 when the exchange is over. */
static int deliver(struct sg_h1x *x, const char *p, size_t n)
{
	if (!n)
		return 0;
	x->ops->data(x->data, p, n);
	return x->dead ? -1 : 0;
}

/* Response body bytes as read. Returns -1 when the exchange is over. */
static int body_in(struct sg_h1x *x, const char *p, size_t n)
{
	bool done = false;
	size_t take, i = 0;

	switch (x->body) {
	case SG_H1_BODY_LENGTH:
		take = n < x->left ? n : (size_t)x->left;
		x->left -= take;
		x->keep_alive &= take == n; /* bytes after the body */
		if (deliver(x, p, take) < 0)
			return -1;
		done = x->left == 0;
		break;
	case SG_H1_BODY_CHUNKED:
		while (i < n && !done) {
			struct sg_h1_span d;
			ssize_t used = sg_h1_chunked_decode_trailers(&x->chunks, p + i, n - i, &d,
								     &done, &x->trailers);

			if (used < 0) {
				end(x, EPROTO);
				return -1;
			}
			i += (size_t)used;
			if (deliver(x, d.p, d.len) < 0)
				return -1;
		}
		x->keep_alive &= i == n;
		break;
	case SG_H1_BODY_CLOSE:
		return deliver(x, p, n);
	case SG_H1_BODY_NONE:
		x->keep_alive &= n == 0;
		done = true;
		break;
	}
	if (done) {
		end_with_trailers(x);
		return -1;
	}
	return 0;
}

/* Response heads as far as they came; at the final one the owner is told,
 * and the bytes after it are the body's. Returns -1 when the exchange is
 * over. */
static int read_head(struct sg_h1x *x)
{
	while (!x->have_head) {
		size_t extra;
		int err;

		switch (sg_h1backend_recv_head(&x->hx, x->u, x->head_max, &err)) {
		case SG_H1BACKEND_MORE:
			return 0;
		case SG_H1BACKEND_HEAD:
			break;
		case SG_H1BACKEND_EOF:
			if (!err && x->ops->early_eof && x->ops->early_eof(x->data))
				return x->dead ? -1 : 0;
			fail(x, x->hx.heard ? SG_XFAIL_RESET : SG_XFAIL_LOST, err);
			return -1;
		case SG_H1BACKEND_INVALID:
			fail(x, SG_XFAIL_INVALID, EPROTO);
			return -1;
		case SG_H1BACKEND_TOO_LARGE:
			fail(x, SG_XFAIL_TOO_LARGE, EMSGSIZE);
			return -1;
		case SG_H1BACKEND_NOMEM:
			fail(x, SG_XFAIL_NOMEM, ENOMEM);
			return -1;
		}
		if (x->hx.resp.status == 101 && !x->tunnel) {
			/* A tunnel nobody asked for would carry the client's
			 * next bytes to the backend unparsed; no message
			 * exchange becomes one. */
			SG_WARN("backend %.*s sent 101 to a request without Upgrade",
				(int)strcspn(x->u->key, "#"), x->u->key);
			fail(x, SG_XFAIL_INVALID, EPROTO);
			return -1;
		}
		if (x->hx.resp.status < 200 && x->hx.resp.status != 101) {
			x->ops->head(x->data, &x->hx.resp, false);
			if (x->dead)
				return -1;
			sg_h1backend_skip_head(&x->hx);
			continue;
		}
		x->have_head = true;
		x->body = sg_h1_response_body_for(&x->hx.resp, x->req);
		x->keep_alive = x->hx.resp.keep_alive && x->body != SG_H1_BODY_CLOSE;
		x->left = x->body == SG_H1_BODY_LENGTH ? (uint64_t)x->hx.resp.content_length : 0;
		x->offering = x->bytes;
		x->ops->head(x->data, &x->hx.resp, x->body == SG_H1_BODY_NONE);
		x->offering = false;
		if (x->dead)
			return -1;
		extra = x->hx.in_len - x->hx.resp.head_len;
		x->hx.in_len = 0;
		/* The buffer is not written again while its bytes go out. */
		return body_in(x, x->hx.in + x->hx.resp.head_len, extra);
	}
	return 0;
}

/* Where the next read of a body goes: the owner's buffer, when it offers
 * room and the body has a length (a chunked one's framing is taken out of
 * what was read, which must then be the exchange's own), else `own`; *len
 * is how many bytes to read. */
static char *read_place(struct sg_h1x *x, char *own, size_t *len)
{
	char *p;

	*len = H1X_READ;
	if (x->body != SG_H1_BODY_LENGTH || !x->ops->space)
		return own;
	*len = H1X_READ_OWNED;
	/* One byte past the body says whether the backend sent more than it
	 * said it would (then its connection is not used again). */
	if (x->left < H1X_READ_OWNED)
		*len = (size_t)x->left + 1;
	p = x->ops->space(x->data, *len);
	if (!p)
		*len = H1X_READ;
	return p ? p : own;
}

/* Body bytes from the backend while the owner has room. Returns -1 when
 * the exchange is over. */
static int read_body(struct sg_h1x *x)
{
	char own[H1X_READ];

	while (room(x)) {
		size_t len;
		char *buf = read_place(x, own, &len);
		ssize_t n = sg_sock_recv(x->u->tls, x->u->fd, buf, len, 0);

		sg_ksock_read(&x->u->k, n);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == 0 && x->body == SG_H1_BODY_CLOSE) {
			end(x, 0);
			return -1;
		}
		if (n <= 0) {
			/* Cut short: the client must see it. */
			end(x, n == 0 ? EPIPE : errno);
			return -1;
		}
		if (body_in(x, buf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* What the exchange waits for on its connection. */
static void watch(struct sg_h1x *x)
{
	uint32_t ev = 0;

	if (x->dead)
		return;
	if (x->out.len && !x->write_broken)
		ev |= EPOLLOUT;
	/* EPOLLRDHUP too: the mask a pooled connection keeps, so that taking
	 * it from the pool and giving it back cost no epoll_ctl. */
	if (!x->have_head || room(x))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (x->bytes) {
		/* The owner's bytes first: no head is read before they are out. */
		if (sg_h1backend_pending(&x->hx))
			ev = EPOLLOUT;
		else if (x->owner_out)
			ev |= EPOLLOUT;
	}
	/* At EOF with passed bytes on their way (early_eof), the socket is
	 * readable for ever: the owner reads again later. */
	if (x->u->k.eof_wait)
		ev &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (sg_io_set(x->loop, &x->u->io, ev) == -1) {
		if (x->have_head)
			end(x, errno);
		else
			fail(x, SG_XFAIL_RESET, errno);
	}
}

static void enter(struct sg_h1x *x)
{
	x->busy++;
}

/* Leave a call that may have made callbacks; x may be gone after it. */
static void leave(struct sg_h1x *x)
{
	if (--x->busy == 0 && x->dead && !x->u)
		x_free(x);
}

/* One step each way, as far as the socket allows. */
static void step(struct sg_h1x *x, uint32_t revents)
{
	bool in = revents & (EPOLLIN | EPOLLHUP | EPOLLERR);

	enter(x);
	if (x->bytes) {
		if (write_bytes(x, revents) < 0)
			goto out;
		if (sg_h1backend_pending(&x->hx))
			in = false;
	} else if ((revents & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && write_request(x) < 0) {
		goto out;
	}
	if (in && !x->have_head && read_head(x) < 0)
		goto out;
	if (in && x->have_head && read_body(x) < 0)
		goto out;
	watch(x);
out:
	leave(x);
}

int sg_h1x_send(struct sg_h1x *x, const struct sg_h1_req *req, const struct sg_h1_edit *edit,
		const char *client_ip, unsigned attempt, bool body)
{
	bool chunked = body && req->content_length < 0;
	const char *extra = chunked ? "transfer-encoding: chunked\r\n" : NULL;
	ssize_t n;

	/* The head goes first in `out`, so that a body in hand leaves with it
	 * (pull appends it). */
	sg_buf_reset(&x->out);
	if (sg_buf_reserve(&x->out, sg_h1_request_room(req, edit, extra)) < 0)
		return -ENOMEM;
	n = sg_h1_write_request_edit(req, edit, client_ip, attempt, extra, sg_buf_tail(&x->out),
				     sg_buf_room(&x->out));
	if (n < 0)
		return -EMSGSIZE;
	sg_buf_commit(&x->out, (size_t)n);
	x->head_left = (size_t)n;
	x->req = req;
	x->chunked = chunked;
	x->body_open = body;
	step(x, EPOLLOUT);
	return 0;
}

void sg_h1x_send_bytes(struct sg_h1x *x, const struct sg_h1_req *req, bool body_given, bool tunnel)
{
	x->bytes = true;
	x->req = req;
	x->body_given = body_given;
	x->tunnel = tunnel;
	step(x, EPOLLOUT);
}

void sg_h1x_want_write(struct sg_h1x *x, bool want)
{
	if (!x || x->dead || x->owner_out == want)
		return;
	x->owner_out = want;
	enter(x);
	watch(x);
	leave(x);
}

char *sg_h1x_take(struct sg_h1x *x, size_t *n, enum sg_h1_body *body)
{
	char *p = x->hx.in + x->hx.resp.head_len;

	*n = x->hx.in_len - x->hx.resp.head_len;
	*body = x->body;
	x->offering = false;
	x->dead = true;
	x->u = NULL; /* its interest stays as it is, for the owner to set */
	return p;
}

void sg_h1x_resume(struct sg_h1x *x)
{
	if (!x || x->dead || !x->up_wait)
		return;
	x->up_wait = false;
	step(x, EPOLLOUT);
}

void sg_h1x_consume(struct sg_h1x *x)
{
	if (!x || x->dead || !x->have_head)
		return;
	enter(x);
	watch(x);
	leave(x);
}

void sg_h1x_io(struct sg_h1x *x, uint32_t revents)
{
	if (x && !x->dead)
		step(x, revents);
}

bool sg_h1x_reusable(const struct sg_h1x *x)
{
	/* A body the owner relayed itself is its to vouch for (at release). */
	return x->have_head && x->keep_alive && (x->req_written || x->body_given) &&
	       !x->write_broken && !x->out.len;
}
