/* Unit tests for user/core/h1backend.c's exchange (sg_h1x), the HTTP/1
 * backend path of both frontends, on a real loop over a socketpair: the
 * test plays the backend on one end and reads exactly what the gateway
 * wrote; the exchange owns the other end. Messages: framing each way
 * (Content-Length, chunked, close-delimited, HEAD, interim heads), failures
 * before the head, a streamed body that waits for its owner, the owner's
 * room, and an owner that closes the exchange from inside a callback.
 * Bytes (user/http1/'s): the owner's request written as it built it, the
 * connection offered at the final head and taken with the bytes after it,
 * or not taken and the body decoded, a body the owner relays in its turns,
 * a 101 offered only to a request that may tunnel, EOF while passed bytes
 * are on their way, and the owner's storage kept from one exchange to the
 * next. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/core/backend.h"
#include "user/base/buf.h"
#include "user/core/exchange.h"
#include "user/codec/h1.h"
#include "user/core/h1backend.h"
#include "user/base/loop.h"

/* The exchange's owner: what it was told, in order. */
struct owner {
	struct sg_loop *loop;
	struct sg_backend_conn u; /* the gateway's end of the socketpair */
	int peer;		  /* the backend's end */
	struct sg_h1x *x;
	struct sg_h1_req req;
	struct sg_h1_header slots[32];

	int heads, interim, ends, fails;
	uint16_t status;
	bool head_end;
	struct sg_buf data;
	int end_err, fail_err;
	enum sg_xfail why;
	bool reusable_at_end;

	/* The request body the owner gives, and whether it waits. */
	const char *body[4];
	size_t nbody, body_next;
	bool body_eof_after, body_waits;

	bool room;	      /* it takes response bytes */
	bool offer_space;     /* it offers its buffer for body bytes (space) */
	size_t space_want[8]; /* the sizes asked for, in order */
	size_t nwant;
	int in_place;	    /* data calls whose bytes were read into it */
	bool close_in_data; /* it closes the exchange at the first data */

	char got_trailers[256];		/* "name=value;" each, as end gave them */
	const struct sg_h2_field *give; /* the request's trailers it gives */
	size_t ngive;

	/* Bytes mode: whether it takes the connection at an offered head, and
	 * what it took; written and writable calls; the body it writes
	 * itself in its turns; what early_eof answers, and how often. */
	bool take;
	int offered, written, writable, early_eofs;
	char taken[256];
	size_t ntaken;
	const char *own_body;
	bool eof_wait;
	/* The owner's storage, and whether it could begin another exchange
	 * in it from inside the head callback (it may not: that one is
	 * still inside a call). */
	struct sg_h1x own;
	int init_in_head; /* -1: not tried */
};

static const struct sg_exchange_ops ops;

static void on_failed(void *data, enum sg_xfail why, int err)
{
	struct owner *o = data;

	o->fails++;
	o->why = why;
	o->fail_err = err;
}

static void on_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct owner *o = data;

	if (resp->status < 200 && resp->status != 101) {
		o->interim++;
		return;
	}
	o->heads++;
	o->status = resp->status;
	o->head_end = end;
	if (o->init_in_head >= 0)
		o->init_in_head = sg_h1x_init(&o->own, o->loop, &o->u, &ops, o, 1024);
	if (!sg_h1x_offering(o->x))
		return;
	o->offered++;
	if (o->take) {
		enum sg_h1_body body;
		const char *p = sg_h1x_take(o->x, &o->ntaken, &body);

		assert_int_equal(body, resp->status == 101 ? SG_H1_BODY_NONE : SG_H1_BODY_LENGTH);

		assert_true(o->ntaken < sizeof(o->taken));
		memcpy(o->taken, p, o->ntaken);
		sg_h1x_close(o->x);
		o->x = NULL;
	}
}

static void on_data(void *data, const char *p, size_t n)
{
	struct owner *o = data;

	if (p == sg_buf_tail(&o->data))
		o->in_place++;
	assert_int_equal(sg_buf_append(&o->data, p, n), 0);
	if (o->close_in_data) {
		sg_h1x_close(o->x);
		o->x = NULL;
	}
}

static void on_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct owner *o = data;

	for (size_t i = 0; i < n; i++)
		snprintf(o->got_trailers + strlen(o->got_trailers),
			 sizeof(o->got_trailers) - strlen(o->got_trailers), "%.*s=%.*s;",
			 (int)t[i].name_len, t[i].name, (int)t[i].value_len, t[i].value);
	o->ends++;
	o->end_err = err;
	o->reusable_at_end = sg_h1x_reusable(o->x);
}

static ssize_t on_body(void *data, char *buf, size_t len, bool *eof)
{
	struct owner *o = data;
	size_t n;

	*eof = false;
	if (o->body_next == o->nbody) {
		if (o->body_waits)
			return -EAGAIN;
		*eof = true;
		return 0;
	}
	n = strlen(o->body[o->body_next]);
	assert_true(n <= len);
	memcpy(buf, o->body[o->body_next++], n);
	*eof = o->body_next == o->nbody && !o->body_waits;
	return (ssize_t)n;
}

static bool on_room(void *data)
{
	return ((struct owner *)data)->room;
}

static char *on_space(void *data, size_t want)
{
	struct owner *o = data;

	if (!o->offer_space)
		return NULL;
	if (o->nwant < 8)
		o->space_want[o->nwant++] = want;
	assert_int_equal(sg_buf_reserve(&o->data, want), 0);
	return sg_buf_tail(&o->data);
}

static size_t on_trailers(void *data, const struct sg_h2_field **t)
{
	struct owner *o = data;

	*t = o->give;
	return o->ngive;
}

static void on_written(void *data)
{
	((struct owner *)data)->written++;
}

/* Its turn: the body it relays itself goes, then it asks no more. */
static void on_writable(void *data)
{
	struct owner *o = data;
	size_t n = strlen(o->own_body);

	o->writable++;
	assert_int_equal(send(o->u.fd, o->own_body, n, 0), (ssize_t)n);
	sg_h1x_want_write(o->x, false);
}

static bool on_early_eof(void *data)
{
	struct owner *o = data;

	o->early_eofs++;
	o->u.k.eof_wait = o->eof_wait; /* as sg_ksock_eof marks it */
	return o->eof_wait;
}

static const struct sg_exchange_ops ops = {
	.written = on_written,
	.writable = on_writable,
	.early_eof = on_early_eof,
	.trailers = on_trailers,
	.failed = on_failed,
	.head = on_head,
	.data = on_data,
	.end = on_end,
	.body = on_body,
	.room = on_room,
	.space = on_space,
};

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct owner *o = io->data;

	(void)loop;
	sg_h1x_io(o->x, revents);
}

static int setup(void **state)
{
	struct owner *o = calloc(1, sizeof(*o));
	int sv[2];

	assert_non_null(o);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	o->loop = sg_loop_new();
	assert_non_null(o->loop);
	o->u.fd = sv[0];
	o->u.io.fd = sv[0];
	o->u.io.cb = on_io;
	o->u.io.data = o;
	o->peer = sv[1];
	o->room = true;
	o->init_in_head = -1;
	o->x = sg_h1x_new(o->loop, &o->u, &ops, o, 1024);
	assert_non_null(o->x);
	*state = o;
	return 0;
}

static int teardown(void **state)
{
	struct owner *o = *state;

	sg_h1x_close(o->x);
	sg_h1x_free(&o->own);
	sg_io_set(o->loop, &o->u.io, 0);
	close(o->u.fd);
	if (o->peer >= 0)
		close(o->peer);
	sg_buf_free(&o->data);
	sg_loop_free(o->loop);
	free(o);
	return 0;
}

static void parse(struct owner *o, const char *text)
{
	o->req.headers = o->slots;
	o->req.headers_cap = 32;
	assert_int_equal(sg_h1_parse_request(text, strlen(text), 32, &o->req), SG_H1_DONE);
}

/* Run the loop until cond holds (or 2 s pass); cond is evaluated once per
 * round (it may read). */
#define RUN_UNTIL(o, cond)                                                                         \
	do {                                                                                       \
		bool ok_ = false;                                                                  \
		for (int i_ = 0; i_ < 200 && !(ok_ = (cond)); i_++)                                \
			sg_loop_run_once((o)->loop, 10);                                           \
		assert_true(ok_);                                                                  \
	} while (0)

/* Everything the gateway wrote so far, as the backend reads it. */
static size_t backend_read(struct owner *o, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(o->peer, buf + got, cap - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static void backend_write(struct owner *o, const char *s)
{
	assert_int_equal(send(o->peer, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* A GET without a body, sent, and read whole by the backend. */
static void send_get(struct owner *o)
{
	char buf[4096];

	parse(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, false), 0);
	backend_read(o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "GET / HTTP/1.1\r\n"));
}

static void test_content_length_in_pieces(void **state)
{
	struct owner *o = *state;
	char buf[4096];

	parse(o, "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, false), 0);
	backend_read(o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "GET /a?b=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "192.0.2.7"));
	assert_non_null(strstr(buf, "\r\n\r\n"));
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel");
	RUN_UNTIL(o, o->heads == 1 && o->data.len == 3);
	assert_int_equal(o->status, 200);
	assert_false(o->head_end);
	backend_write(o, "lo worl");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->data.len, 10);
	assert_memory_equal(sg_buf_data(&o->data), "hello worl", 10);
	assert_int_equal(o->end_err, 0);
	assert_true(o->reusable_at_end);
	assert_int_equal(o->fails, 0);
}

static void test_chunked_response_with_trailers(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "5\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 1\r\nContent-Length: 9\r\n"
			 "X-Case:  A b \r\nConnection: x\r\n\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->data.len, 11);
	assert_memory_equal(sg_buf_data(&o->data), "hello world", 11);
	assert_int_equal(o->end_err, 0);
	assert_true(o->reusable_at_end);
	/* The trailers reach the owner as fields, lowercase, without the
	 * ones that may not be trailers. */
	assert_string_equal(o->got_trailers, "x-sum=1;x-case=A b;");
}

static void test_bytes_after_body_not_reusable(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->data.len, 2);
	assert_false(o->reusable_at_end);
}

/* An owner that offers its buffer gets a Content-Length body read into it
 * (no copy), asked for one byte past the body's end, so that bytes after
 * the body still make the connection not reusable. */
static void test_body_read_in_place(void **state)
{
	struct owner *o = *state;

	o->offer_space = true;
	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
	RUN_UNTIL(o, o->heads == 1);
	backend_write(o, "hello");
	RUN_UNTIL(o, o->data.len == 5);
	assert_int_equal(o->in_place, 1);
	/* 10 + 1 (until "hello" came), then the 5 left + 1 */
	assert_true(o->nwant >= 2);
	assert_int_equal(o->space_want[0], 11);
	assert_int_equal(o->space_want[o->nwant - 1], 6);
	backend_write(o, " worl");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->in_place, 2);
	assert_memory_equal(sg_buf_data(&o->data), "hello worl", 10);
	assert_true(o->reusable_at_end);
}

static void test_bytes_after_body_read_in_place_not_reusable(void **state)
{
	struct owner *o = *state;

	o->offer_space = true;
	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
	RUN_UNTIL(o, o->heads == 1);
	backend_write(o, "okEXTRA");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->in_place, 1);
	assert_int_equal(o->data.len, 2);
	assert_memory_equal(sg_buf_data(&o->data), "ok", 2);
	assert_false(o->reusable_at_end);
}

static void test_close_delimited(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
	RUN_UNTIL(o, o->data.len == 13);
	assert_int_equal(o->ends, 0);
	shutdown(o->peer, SHUT_WR);
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->end_err, 0);
	assert_false(o->reusable_at_end);
}

static void test_body_cut_short(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
	shutdown(o->peer, SHUT_WR);
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->data.len, 5);
	assert_int_equal(o->end_err, EPIPE);
}

static void test_bad_chunk_framing(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->end_err, EPROTO);
}

static void test_interim_then_final_and_head(void **state)
{
	struct owner *o = *state;
	char buf[4096];

	parse(o, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, false), 0);
	backend_read(o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "HEAD / HTTP/1.1\r\n"));
	/* A HEAD's answer has no body whatever its Content-Length says. */
	backend_write(o,
		      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
		      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->interim, 2);
	assert_int_equal(o->heads, 1);
	assert_true(o->head_end);
	assert_int_equal(o->data.len, 0);
	assert_true(o->reusable_at_end);
}

static void test_101_is_invalid(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_INVALID);
	assert_int_equal(o->heads + o->ends, 0);
}

static void test_failures_before_head(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "NOT HTTP AT ALL\r\n\r\n");
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_INVALID);
}

/* EOF before a byte of the response: the connection was lost unanswered
 * (SG_XFAIL_LOST: the attempt may send a GET again); after a byte of it,
 * a reset exchange. */
static void test_eof_before_head(void **state)
{
	struct owner *o = *state;

	send_get(o);
	shutdown(o->peer, SHUT_WR);
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_LOST);
	assert_int_equal(o->fail_err, 0);
}

static void test_eof_inside_head(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\n");
	shutdown(o->peer, SHUT_WR);
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_RESET);
	assert_int_equal(o->fail_err, 0);
}

static void test_unsent_to_closed_peer(void **state)
{
	struct owner *o = *state;

	close(o->peer);
	o->peer = -1;
	parse(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, false), 0);
	assert_int_equal(o->fails, 1);
	assert_int_equal(o->why, SG_XFAIL_UNSENT);
	assert_int_equal(o->fail_err, EPIPE);
}

static void test_head_too_large(void **state)
{
	struct owner *o = *state;
	char big[2048];

	send_get(o);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	backend_write(o, "HTTP/1.1 200 OK\r\nX-Big: ");
	backend_write(o, big); /* over the 1024 bytes this exchange allows */
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_TOO_LARGE);
}

/* A body without a length goes chunked, a piece per pull; the exchange
 * waits for its owner and goes on at resume. */
static void test_streamed_chunked_body(void **state)
{
	struct owner *o = *state;
	char buf[4096];
	const char *want = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

	parse(o, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	o->body[0] = "hello";
	o->nbody = 1;
	o->body_waits = true;
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, true), 0);
	RUN_UNTIL(o, backend_read(o, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "POST /up HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "transfer-encoding: chunked\r\n"));
	assert_string_equal(strstr(buf, "\r\n\r\n") + 4, "5\r\nhello\r\n");
	/* Nothing more until the owner has more. */
	sg_loop_run_once(o->loop, 20);
	assert_int_equal(backend_read(o, buf, sizeof(buf)), 0);
	o->body[1] = " world";
	o->nbody = 2;
	o->body_waits = false;
	sg_h1x_resume(o->x);
	RUN_UNTIL(o, backend_read(o, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want + strlen("5\r\nhello\r\n"));
	backend_write(o, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->status, 201);
	assert_true(o->reusable_at_end);
}

/* The owner's request trailers go in the last chunk, but those that may
 * not be trailers. */
static void test_request_trailers(void **state)
{
	static const struct sg_h2_field give[] = {
		{ "x-t", 3, "1", 1 },
		{ "host", 4, "evil", 4 },
		{ "grpc-status", 11, "0", 1 },
	};
	struct owner *o = *state;
	char buf[4096];

	parse(o, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	o->body[0] = "hello";
	o->nbody = 1;
	o->give = give;
	o->ngive = 3;
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, true), 0);
	RUN_UNTIL(o, backend_read(o, buf, sizeof(buf)) > 0);
	assert_string_equal(strstr(buf, "\r\n\r\n") + 4,
			    "5\r\nhello\r\n0\r\nx-t: 1\r\ngrpc-status: 0\r\n\r\n");
}

/* A body with a Content-Length goes as it is, with the head. */
static void test_length_body_with_head(void **state)
{
	struct owner *o = *state;
	char buf[4096];

	parse(o, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
	o->body[0] = "hello";
	o->body[1] = " world";
	o->nbody = 2;
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, true), 0);
	/* One write: head and body, in the same call. */
	assert_true(backend_read(o, buf, sizeof(buf)) > 0);
	assert_string_equal(strstr(buf, "\r\n\r\n") + 4, "hello world");
	assert_null(strstr(buf, "chunked"));
}

/* Without room the exchange stops reading; consume lets it go on. */
static void test_room(void **state)
{
	struct owner *o = *state;

	send_get(o);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nab");
	RUN_UNTIL(o, o->data.len == 2);
	o->room = false;
	backend_write(o, "cdefgh");
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(o->loop, 10);
	assert_int_equal(o->data.len, 2);
	assert_int_equal(o->ends, 0);
	o->room = true;
	sg_h1x_consume(o->x);
	RUN_UNTIL(o, o->ends == 1);
	assert_memory_equal(sg_buf_data(&o->data), "abcdefgh", 8);
}

/* The owner may close the exchange from inside its callback (a client
 * that went away): nothing more is said, and nothing is touched after. */
static void test_close_inside_callback(void **state)
{
	struct owner *o = *state;
	char buf[4096];

	parse(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	o->close_in_data = true;
	assert_int_equal(sg_h1x_send(o->x, &o->req, NULL, "192.0.2.7", 0, false), 0);
	backend_read(o, buf, sizeof(buf));
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
	RUN_UNTIL(o, o->data.len == 2);
	assert_null(o->x);
	backend_write(o, "cd");
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(o->loop, 10);
	assert_int_equal(o->data.len, 2);
	assert_int_equal(o->ends, 0);
}

/* ---- bytes mode ------------------------------------------------------------ */

/* The owner's request bytes, sent; the backend reads them whole. */
static void send_bytes(struct owner *o, const char *text, const char *body, bool body_given,
		       bool tunnel)
{
	char buf[4096];

	parse(o, text);
	assert_int_equal(sg_h1backend_build(&o->x->hx, &o->req, NULL, "192.0.2.7", 0, NULL, body,
					    body ? strlen(body) : 0),
			 0);
	sg_h1x_send_bytes(o->x, &o->req, body_given, tunnel);
	assert_int_equal(o->written, 1);
	backend_read(o, buf, sizeof(buf));
	assert_non_null(strstr(buf, " HTTP/1.1\r\n"));
	if (body)
		assert_non_null(strstr(buf, body));
}

/* Interim heads are said and skipped; the final one offers the connection,
 * which the owner takes with the body bytes that came after the head;
 * nothing more is said, and the rest of the body is the owner's to read. */
static void test_bytes_taken_at_final_head(void **state)
{
	struct owner *o = *state;
	char rest[16];

	o->take = true;
	send_bytes(o, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", "abc", false,
		   false);
	backend_write(o, "HTTP/1.1 100 Continue\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
	RUN_UNTIL(o, o->offered == 1);
	assert_int_equal(o->interim, 1);
	assert_int_equal(o->status, 200);
	assert_null(o->x);
	assert_int_equal(o->ntaken, 5);
	assert_memory_equal(o->taken, "hello", 5);
	backend_write(o, "world");
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(o->loop, 10);
	assert_int_equal(o->data.len, 0);
	assert_int_equal(o->ends + o->fails, 0);
	assert_int_equal(recv(o->u.fd, rest, sizeof(rest), 0), 5);
	assert_memory_equal(rest, "world", 5);
}

/* Not taken, the offered response goes on as messages: its body decoded. */
static void test_bytes_not_taken_body_decoded(void **state)
{
	struct owner *o = *state;

	send_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL, false, false);
	backend_write(o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->offered, 1);
	assert_int_equal(o->data.len, 5);
	assert_memory_equal(sg_buf_data(&o->data), "abcde", 5);
	assert_int_equal(o->end_err, 0);
	assert_true(o->reusable_at_end);
}

/* A body the owner relays itself: after its head is written, the owner
 * asks for its turn and writes the body there; the response then comes. */
static void test_bytes_body_given_in_turns(void **state)
{
	struct owner *o = *state;
	char buf[64];

	o->own_body = "0123456789";
	send_bytes(o, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", NULL, true,
		   false);
	assert_int_equal(o->writable, 0);
	sg_h1x_want_write(o->x, true);
	RUN_UNTIL(o, o->writable == 1);
	assert_int_equal(backend_read(o, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "0123456789");
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(o->loop, 10);
	assert_int_equal(o->writable, 1); /* it asked no more */
	backend_write(o, "HTTP/1.1 204 No Content\r\n\r\n");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->status, 204);
	assert_true(o->head_end);
}

/* A 101 is a final head offered to a request that may tunnel; to one that
 * may not, it is invalid (a tunnel nobody asked for). */
static void test_bytes_101(void **state)
{
	struct owner *o = *state;

	o->take = true;
	send_bytes(o, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", NULL, false,
		   true);
	backend_write(o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nframe");
	RUN_UNTIL(o, o->offered == 1);
	assert_int_equal(o->status, 101);
	assert_int_equal(o->ntaken, 5);
	assert_memory_equal(o->taken, "frame", 5);

	o->x = sg_h1x_new(o->loop, &o->u, &ops, o, 1024);
	o->written = 0;
	send_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL, false, false);
	backend_write(o, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
	RUN_UNTIL(o, o->fails == 1);
	assert_int_equal(o->why, SG_XFAIL_INVALID);
	assert_int_equal(o->offered, 1);
}

/* EOF before a head while bytes passed to the connection are on their
 * way: the owner says to wait, the exchange stops reading, and reads
 * again when told; with nothing more, the connection was lost. */
static void test_bytes_early_eof(void **state)
{
	struct owner *o = *state;

	send_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL, false, false);
	o->eof_wait = true;
	shutdown(o->peer, SHUT_WR);
	RUN_UNTIL(o, o->early_eofs == 1);
	for (int i = 0; i < 5; i++)
		sg_loop_run_once(o->loop, 10);
	assert_int_equal(o->fails, 0);
	o->eof_wait = false;
	sg_h1x_io(o->x, EPOLLIN);
	assert_int_equal(o->early_eofs, 2);
	assert_int_equal(o->fails, 1);
	assert_int_equal(o->why, SG_XFAIL_LOST);
}

/* The owner's storage: an exchange begins in it, its buffers stay for the
 * next; while one is still inside a call, another may not begin there. */
static void test_owner_storage(void **state)
{
	struct owner *o = *state;
	struct sg_h1_header slots[16];
	char *in;

	sg_h1x_close(o->x); /* parks the connection's interest */
	o->u.io.cb = on_io; /* as the attempt sets it for each try */
	o->own.hx.resp.headers = slots;
	o->own.hx.resp.headers_cap = 16;
	assert_true(sg_h1x_init(&o->own, o->loop, &o->u, &ops, o, 1024));
	o->x = &o->own;
	o->init_in_head = 0;
	send_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL, false, false);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	RUN_UNTIL(o, o->ends == 1);
	assert_int_equal(o->init_in_head, 0); /* refused: busy */
	assert_memory_equal(sg_buf_data(&o->data), "ok", 2);
	in = o->own.hx.in;
	assert_non_null(in);
	sg_h1x_close(&o->own);
	o->u.io.cb = on_io;

	o->init_in_head = -1;
	assert_true(sg_h1x_init(&o->own, o->loop, &o->u, &ops, o, 1024));
	assert_ptr_equal(o->own.hx.in, in);
	assert_int_equal(o->own.hx.in_len, 0);
	o->written = 0;
	send_bytes(o, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n", NULL, false, false);
	backend_write(o, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
	RUN_UNTIL(o, o->ends == 2);
	assert_memory_equal(sg_buf_data(&o->data), "oktwo", 5);
	sg_h1x_close(&o->own);
	o->x = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_content_length_in_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_response_with_trailers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bytes_after_body_not_reusable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_read_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_after_body_read_in_place_not_reusable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_delimited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_cut_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chunk_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interim_then_final_and_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_101_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_before_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_before_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_inside_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsent_to_closed_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_chunked_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_trailers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length_body_with_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_inside_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_taken_at_final_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_not_taken_body_decoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_body_given_in_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_101, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_early_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_storage, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
