/* HTTP/1.1 to a backend: one request out, one response head in
 * (user/h1backend.h). Bytes are counted in the connection's socket-map
 * state: a pooled connection may be in the map since a body was moved
 * through the kernel on it (user/sockmap.h). */
#include "user/h1backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "user/buf.h"
#include "user/tls.h"

#define H1BACKEND_READ 4096 /* bytes asked of each recv() of a head */

int sg_h1backend_build(struct sg_h1backend *x, const struct sg_h1_req *req,
		       const struct sg_h1_edit *edit, const char *client_ip, unsigned attempt,
		       const char *extra, const char *body, size_t body_len)
{
	size_t cap = sg_h1_request_room(req, edit, extra) + body_len;
	ssize_t n;

	free(x->out);
	x->out_len = x->out_off = 0;
	x->out = malloc(cap);
	if (!x->out)
		return -ENOMEM;
	n = sg_h1_write_request_edit(req, edit, client_ip, attempt, extra, x->out, cap);
	if (n < 0) {
		free(x->out);
		x->out = NULL;
		return -EMSGSIZE;
	}
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
	free(x->out);
	x->out = NULL;
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
 * stays three plain fields because user/proxy.c reads x->in and x->in_len
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
	free(x->out);
	x->out = NULL;
	x->out_len = x->out_off = 0;
	x->in_len = 0;
}

void sg_h1backend_free(struct sg_h1backend *x)
{
	sg_h1backend_reset(x);
	free(x->in);
	x->in = NULL;
	x->in_cap = 0;
}
