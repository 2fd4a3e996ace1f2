/* Unit tests for user/core/h2backend.c, HTTP/2 to backends, on a real loop with
 * real loopback sockets. The backend is an HTTP/2 server made of the
 * gateway's own server session (user/codec/h2.c over nghttp2) on the same loop:
 * it records each stream's request and answers by its path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loopback.h"
#include "tests/unit/httpdate.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/core/backend.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "user/core/h2backend.h"
#include "user/base/loop.h"
#include "user/core/stats.h"

#include "h2server.h"

/* ---- the backend -------------------------------------------------------- */

static const char big_body[] = "0123456789abcdef";

/* Answer by path: /hold waits; /refuse resets with REFUSED_STREAM;
 * /goaway answers after a GOAWAY; /trailers answers with trailers; else
 * 200 with "hello" and a content-length. */
static void answer_by_path(struct sstream *s)
{
	struct sconn *c = s->conn;
	struct sg_h2_field f[2] = { { ":status", 7, "200", 3 }, { "content-length", 14, "5", 1 } };

	if (!strcmp(s->path, "/hold"))
		return;
	if (!strcmp(s->path, "/refuse")) {
		sg_h2_reset(c->h2, s->id, SG_H2_REFUSED_STREAM);
		return;
	}
	if (!strcmp(s->path, "/goaway"))
		sg_h2_goaway(c->h2, SG_H2_NO_ERROR, NULL);
	if (!strcmp(s->path, "/200k") || !strcmp(s->path, "/1m")) {
		static char m1[1024 * 1024];

		s->resp = m1;
		s->resp_len = s->path[1] == '2' ? 200 * 1024 : sizeof(m1);
		assert_int_equal(sg_h2_respond(c->h2, s->id, f, 1, true), 0);
		return;
	}
	if (!strcmp(s->path, "/fields")) {
		struct sg_h2_field more[] = { { ":status", 7, "200", 3 },
					      { "x-a", 3, "v: with: colons", 15 },
					      { "te", 2, "trailers", 8 },
					      { "x-empty", 7, "", 0 },
					      { "content-length", 14, "5", 1 } };

		s->resp = "hello";
		s->resp_len = 5;
		assert_int_equal(
			sg_h2_respond(c->h2, s->id, more, sizeof(more) / sizeof(more[0]), true), 0);
		return;
	}
	if (!strcmp(s->path, "/trailers")) {
		s->resp = big_body;
		s->resp_len = strlen(big_body);
		assert_int_equal(sg_h2_respond(c->h2, s->id, f, 1, true), 0);
		return;
	}
	s->resp = "hello";
	s->resp_len = 5;
	assert_int_equal(sg_h2_respond(c->h2, s->id, f, 2, true), 0);
}

/* /trailers' answer ends with trailers. */
static int trailers_by_path(struct sstream *s, int32_t id)
{
	struct sconn *c = s->conn;
	struct sg_h2_field t[2] = { { "grpc-status", 11, "0", 1 }, { "x-two", 5, "two", 3 } };

	if (strcmp(s->path, "/trailers") != 0)
		return 0;
	assert_int_equal(sg_h2_trailers(c->h2, id, t, 2), 0);
	return 1;
}

/* ---- the gateway's side: one owner per stream ---------------------------- */

struct owner {
	struct sg_h2b_stream *s;
	int ready, failed, heads, ends;
	bool head_end;
	bool keep; /* data is held, never given back (consumed) */
	size_t kept;
	/* Else data is passed on, the window asked to grow by as much (or by
	 * `widen` when set, SIZE_MAX: not at all), until `keep_after` bytes
	 * came (0: always): then held. */
	size_t widen, keep_after;
	enum sg_xfail why;
	int err;
	uint16_t status;
	int64_t content_length;
	struct sg_buf data;
	char fields[256]; /* the head's fields, "name=value;" each */
	bool h2_head;	  /* the head said it came from HTTP/2 */
	char trailers[256];
	const char *body; /* request body */
	size_t body_off;
};

static void o_ready(void *data)
{
	struct owner *o = data;

	o->ready++;
}

static void o_failed(void *data, enum sg_xfail why, int err)
{
	struct owner *o = data;

	o->failed++;
	o->why = why;
	o->err = err;
}

static void o_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct owner *o = data;

	o->heads++;
	o->head_end = end;
	o->status = resp->status;
	o->content_length = resp->content_length;
	o->h2_head = resp->h2;
	o->fields[0] = '\0';
	for (size_t i = 0; i < resp->nheaders; i++) {
		size_t at = strlen(o->fields);

		snprintf(o->fields + at, sizeof(o->fields) - at, "%.*s=%.*s;",
			 (int)resp->headers[i].name.len, resp->headers[i].name.p,
			 (int)resp->headers[i].value.len, resp->headers[i].value.p);
	}
}

static void o_data(void *data, const char *p, size_t n)
{
	struct owner *o = data;

	if (o->keep || (o->keep_after && o->data.len >= o->keep_after)) {
		/* a frontend still holding them when the stream ends */
		o->kept += n;
		return;
	}
	assert_int_equal(sg_buf_append(&o->data, p, n), 0);
	sg_h2b_consume(o->s, n, o->widen == SIZE_MAX ? 0 : o->widen ? o->widen : n);
}

static void o_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct owner *o = data;
	size_t used = 0;

	o->ends++;
	o->err = err;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(o->trailers + used, sizeof(o->trailers) - used,
					 "%.*s=%.*s;", (int)t[i].name_len, t[i].name,
					 (int)t[i].value_len, t[i].value);
}

static ssize_t o_body(void *data, char *buf, size_t len, bool *eof)
{
	struct owner *o = data;
	size_t n = strlen(o->body) - o->body_off;

	if (n > len)
		n = len;
	memcpy(buf, o->body + o->body_off, n);
	o->body_off += n;
	*eof = o->body_off == strlen(o->body);
	return (ssize_t)n;
}

static const struct sg_exchange_ops owner_ops = {
	.ready = o_ready,
	.failed = o_failed,
	.head = o_head,
	.data = o_data,
	.end = o_end,
	.body = o_body,
};

struct env {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_h2b_pool *h2;
	struct server srv;
	struct sg_endpoint ep;
	char key[32];
	struct sg_keepalive ka;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->loop = sg_loop_new();
	e->pool = sg_pool_new(e->loop);
	e->h2 = sg_h2b_pool_new(e->loop, e->pool, NULL);
	server_start(&e->srv, e->loop, answer_by_path, trailers_by_path);
	e->ep.addr = "127.0.0.1";
	e->ep.port = e->srv.port;
	snprintf(e->key, sizeof(e->key), "127.0.0.1:%u", e->srv.port);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_h2b_pool_free(e->h2);
	sg_pool_free(e->pool);
	server_free(&e->srv);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	free(e);
	return 0;
}

/* Run the loop until cond holds (at most 2 s). */
#define RUN_UNTIL(e, cond)                                                                         \
	do {                                                                                       \
		for (int i_ = 0; i_ < 400 && !(cond); i_++)                                        \
			sg_loop_run_once((e)->loop, 5);                                            \
		assert_true(cond);                                                                 \
	} while (0)

static void open_stream(struct env *e, struct owner *o, uint64_t idle_ms, bool *reused)
{
	bool ready = false, r = false;
	int err = 0;

	o->s = sg_h2b_open(e->h2, &e->ep, e->key, &e->ka, idle_ms, &owner_ops, o, &ready, &r, &err);
	assert_non_null(o->s);
	if (ready)
		o->ready++;
	if (reused)
		*reused = r;
}

/* A request head as a frontend has it: parsed HTTP/1. */
static void parse_req(const char *text, struct sg_h1_req *req, struct sg_h1_header *slots)
{
	req->headers = slots;
	req->headers_cap = 32;
	assert_int_equal(sg_h1_parse_request(text, strlen(text), 32, req), SG_H1_DONE);
}

static void send_get(struct owner *o, const char *path)
{
	char text[256];
	static struct sg_h1_header slots[32];
	struct sg_h1_req req = { 0 };

	snprintf(text, sizeof(text),
		 "GET %s HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, x-hop\r\n"
		 "X-Hop: 1\r\nTE: trailers\r\nX-Keep: yes\r\n\r\n",
		 path);
	parse_req(text, &req, slots);
	assert_int_equal(sg_h2b_send(o->s, &req, NULL, "192.0.2.1", 0, NULL, false), 0);
}

static void cleanup(struct owner *o)
{
	sg_h2b_close(o->s);
	sg_buf_free(&o->data);
}

/* One request: the backend sees an HTTP/2 request translated from the
 * HTTP/1 head (authority from Host, connection-specific fields dropped, TE:
 * trailers kept, the body); the owner gets the head, the body, the end. */
static void test_request_response(void **state)
{
	struct env *e = *state;
	static struct sg_h1_header slots[32];
	struct sg_h1_req req = { 0 };
	struct owner o = { .body = "the request body" };
	bool reused = true;

	open_stream(e, &o, 1000, &reused);
	assert_false(reused);
	RUN_UNTIL(e, o.ready == 1);
	parse_req("POST /up?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nContent-Length: 16\r\n\r\n",
		  &req, slots);
	assert_int_equal(sg_h2b_send(o.s, &req, NULL, "192.0.2.1", 0, NULL, true), 0);
	RUN_UNTIL(e, o.ends == 1);
	assert_int_equal(e->srv.nconns, 1);
	assert_int_equal(e->srv.nstreams, 1);
	assert_string_equal(e->srv.streams[0]->method, "POST");
	assert_string_equal(e->srv.streams[0]->path, "/up?q=1");
	assert_string_equal(e->srv.streams[0]->authority, "example.test:8080");
	assert_int_equal(e->srv.streams[0]->body.len, 16);
	assert_memory_equal(sg_buf_data(&e->srv.streams[0]->body), "the request body", 16);
	assert_int_equal(o.heads, 1);
	assert_int_equal(o.status, 200);
	assert_int_equal(o.content_length, 5);
	assert_int_equal(o.data.len, 5);
	assert_memory_equal(sg_buf_data(&o.data), "hello", 5);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.failed, 0);
	cleanup(&o);
}

/* The head's fields reach the owner as the backend sent them, a value
 * with colons and an empty one included, marked as HTTP/2's. */
static void test_response_fields(void **state)
{
	struct env *e = *state;
	static struct sg_h1_header slots[32];
	struct sg_h1_req req = { 0 };
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	parse_req("GET /fields HTTP/1.1\r\nHost: example.test\r\n\r\n", &req, slots);
	assert_int_equal(sg_h2b_send(o.s, &req, NULL, NULL, 0, NULL, false), 0);
	RUN_UNTIL(e, o.ends == 1);
	assert_int_equal(o.heads, 1);
	assert_int_equal(o.status, 200);
	assert_true(o.h2_head);
	/* and the Date the test's server (user/codec/h2.c's, the gateway's) adds */
	static const char want[] =
		"x-a=v: with: colons;te=trailers;x-empty=;content-length=5;date=";

	assert_memory_equal(o.fields, want, strlen(want));
	assert_true(http_date_is_now(o.fields + strlen(want)));
	assert_string_equal(o.fields + strlen(want) + SG_HTTP_DATE_LEN, ";");
	assert_int_equal(o.content_length, 5);
	assert_int_equal(o.data.len, 5);
	assert_int_equal(o.failed, 0);
	cleanup(&o);
}

/* Trailers come to the owner's end; TE: trailers reached the backend. */
static void test_trailers(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/trailers");
	RUN_UNTIL(e, o.ends == 1);
	assert_string_equal(e->srv.streams[0]->te, "trailers");
	assert_int_equal(o.content_length, -1);
	assert_int_equal(o.data.len, strlen(big_body));
	assert_string_equal(o.trailers, "grpc-status=0;x-two=two;");
	cleanup(&o);
}

/* A route filter that adds "te: trailers" to a request whose client asked
 * for trailers sends one TE field, not two (TE is the gateway's: the
 * filter's line is dropped, the client's "trailers" is sent). */
static void test_te_once_with_a_filter(void **state)
{
	static const struct sg_h1_header te = { { "te", 2 }, { "trailers", 8 } };
	struct env *e = *state;
	static struct sg_h1_header slots[32];
	struct sg_h1_req req = { 0 };
	struct sg_h1_edit edit = { .add = &te, .nadd = 1 };
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	parse_req("GET /x HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\n\r\n", &req, slots);
	assert_int_equal(sg_h2b_send(o.s, &req, &edit, "192.0.2.1", 0, NULL, false), 0);
	RUN_UNTIL(e, o.ends == 1);
	assert_string_equal(e->srv.streams[0]->te, "trailers");
	assert_int_equal(e->srv.streams[0]->nte, 1);
	cleanup(&o);
}

/* Three requests to one endpoint share one connection; after their ends
 * a fourth still does (reused). */
static void test_multiplexed(void **state)
{
	struct env *e = *state;
	struct owner o[4] = { 0 };
	bool reused = false;

	for (int i = 0; i < 3; i++)
		open_stream(e, &o[i], 1000, NULL);
	RUN_UNTIL(e, o[0].ready && o[1].ready && o[2].ready);
	for (int i = 0; i < 3; i++)
		send_get(&o[i], "/x");
	RUN_UNTIL(e, o[0].ends && o[1].ends && o[2].ends);
	assert_int_equal(e->srv.nconns, 1);
	assert_int_equal(e->srv.nstreams, 3);
	assert_int_equal(sg_h2b_pool_conns(e->h2), 1);
	for (int i = 0; i < 3; i++)
		cleanup(&o[i]);
	open_stream(e, &o[3], 1000, &reused);
	assert_true(reused);
	assert_int_equal(o[3].ready, 1); /* up already: send at once */
	send_get(&o[3], "/x");
	RUN_UNTIL(e, o[3].ends == 1);
	assert_int_equal(e->srv.nconns, 1);
	cleanup(&o[3]);
}

/* recv, as every caller in this binary sees it (this definition comes
 * before libc's): counts the reads of sockets connected to `eagain_port`
 * (the gateway's side of the backend connections) that found nothing. */
static uint16_t eagain_port;
static unsigned eagain_reads;

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;
	int err;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "recv");
	n = real(fd, buf, len, flags);
	err = errno;
	if (n == -1 && err == EAGAIN && eagain_port &&
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && peer.sin_family == AF_INET &&
	    ntohs(peer.sin_port) == eagain_port)
		eagain_reads++;
	errno = err;
	return n;
}

/* Each answer is read without a read that only finds the socket empty: a
 * short read of a plain socket took everything, and epoll says when more
 * comes. Twenty requests one after another on one connection. */
static void test_no_empty_reads(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	eagain_port = e->srv.port;
	eagain_reads = 0;
	for (int i = 0; i < 20; i++) {
		o = (struct owner){ 0 };
		open_stream(e, &o, 1000, NULL);
		RUN_UNTIL(e, o.ready == 1);
		send_get(&o, "/x");
		RUN_UNTIL(e, o.ends == 1);
		assert_int_equal(o.status, 200);
		assert_int_equal(o.data.len, 5);
		cleanup(&o);
	}
	eagain_port = 0;
	assert_int_equal(e->srv.nconns, 1);
	assert_int_equal(e->srv.nstreams, 20);
	assert_int_equal(eagain_reads, 0);
}

/* A backend that allows one stream at a time: a second request while the
 * first is held opens a second connection. */
static void test_stream_limit_opens_another(void **state)
{
	struct env *e = *state;
	struct owner a = { 0 }, b = { 0 };
	bool reused = true;

	e->srv.max_streams = 1;
	open_stream(e, &a, 1000, NULL);
	RUN_UNTIL(e, a.ready == 1);
	send_get(&a, "/hold");
	RUN_UNTIL(e, e->srv.nstreams == 1); /* and the backend's SETTINGS came */
	open_stream(e, &b, 1000, &reused);
	assert_false(reused);
	RUN_UNTIL(e, b.ready == 1);
	send_get(&b, "/x");
	RUN_UNTIL(e, b.ends == 1);
	assert_int_equal(e->srv.nconns, 2);
	assert_int_equal(sg_h2b_pool_conns(e->h2), 2);
	cleanup(&a);
	cleanup(&b);
}

/* REFUSED_STREAM from the backend: the owner is told the request was not
 * processed (safe to send again). */
static void test_refused(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/refuse");
	RUN_UNTIL(e, o.failed == 1);
	assert_int_equal(o.why, SG_XFAIL_REFUSED);
	assert_int_equal(o.heads, 0);
	cleanup(&o);
}

/* A GOAWAY drains the connection: its stream finishes, the next request
 * goes on a new connection. */
static void test_goaway_drains(void **state)
{
	struct env *e = *state;
	struct owner a = { 0 }, b = { 0 };
	bool reused = true;

	open_stream(e, &a, 1000, NULL);
	RUN_UNTIL(e, a.ready == 1);
	send_get(&a, "/goaway");
	RUN_UNTIL(e, a.ends == 1);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.err, 0);
	cleanup(&a);
	open_stream(e, &b, 1000, &reused);
	assert_false(reused);
	RUN_UNTIL(e, b.ready == 1);
	send_get(&b, "/x");
	RUN_UNTIL(e, b.ends == 1);
	assert_int_equal(e->srv.nconns, 2);
	cleanup(&b);
}

/* Closing a stream before its response cancels it at the backend. */
static void test_close_cancels(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/hold");
	RUN_UNTIL(e, e->srv.nstreams == 1);
	sg_h2b_close(o.s);
	o.s = NULL;
	RUN_UNTIL(e, e->srv.streams[0]->closed);
	assert_int_equal(e->srv.streams[0]->closed_code, SG_H2_CANCEL);
	assert_int_equal(o.failed + o.ends, 0); /* no callback after close */
	cleanup(&o);
}

/* A connection lost mid-response: the response is cut (end with an
 * error); lost before it: the try failed as reset. */
static void test_connection_lost(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/hold");
	RUN_UNTIL(e, e->srv.nstreams == 1);
	shutdown(e->srv.conns[0].fd, SHUT_RDWR);
	RUN_UNTIL(e, o.failed == 1);
	assert_int_equal(o.why, SG_XFAIL_RESET);
	assert_int_equal(sg_h2b_pool_conns(e->h2), 0);
	cleanup(&o);
}

/* Nothing listens: the try failed to connect. */
static void test_connect_refused(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };
	uint16_t port;
	int fd = test_loopback(false, 0, &port);

	e->ep.port = port;
	snprintf(e->key, sizeof(e->key), "127.0.0.1:%u", port);
	open_stream(e, &o, 1000, NULL);
	RUN_UNTIL(e, o.failed == 1);
	assert_int_equal(o.why, SG_XFAIL_CONNECT);
	assert_int_equal(o.err, ECONNREFUSED);
	assert_int_equal(o.ready, 0);
	cleanup(&o);
	close(fd);
}

/* An idle connection closes after idle_ms without a stream. */
static void test_idle_close(void **state)
{
	struct env *e = *state;
	struct owner o = { 0 };

	open_stream(e, &o, 50, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/x");
	RUN_UNTIL(e, o.ends == 1);
	cleanup(&o);
	assert_int_equal(sg_h2b_pool_conns(e->h2), 1);
	RUN_UNTIL(e, sg_h2b_pool_conns(e->h2) == 0);
	RUN_UNTIL(e, e->srv.conns[0].fd == -1); /* the backend saw it close */
}

/* Rounds enough for a backend with window to send: what came by then is
 * all it may send. */
static void settle(struct env *e)
{
	for (int i = 0; i < 20; i++)
		sg_loop_run_once(e->loop, 1);
}

/* A stream whose owner passes nothing on holds the backend's first window
 * of it (64 KiB), whatever the response's size, and those bytes go back
 * to the connection's window when it ends: 300 streams' 64 KiB, 19 MiB in
 * all, more than the 16 MiB connection window, all arrive on one
 * connection. */
static void test_window_returned_at_close(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 300; i++) {
		struct owner o = { .keep = true };

		open_stream(e, &o, 1000, NULL);
		RUN_UNTIL(e, o.ready == 1);
		send_get(&o, "/200k");
		RUN_UNTIL(e, o.kept == 64 * 1024);
		settle(e);
		assert_int_equal(o.kept, 64 * 1024);
		assert_int_equal(o.ends, 0);
		cleanup(&o);
	}
	assert_int_equal(e->srv.nconns, 1);
}

/* A stream's window grows by what its owner lets it as bytes are passed
 * on, to 256 KiB at most. An owner passes on the first 64 KiB, then holds
 * what comes: with no growth the backend sends 64 KiB more (the window
 * given back); grown by 192 KiB from the first DATA on, 256 KiB in all,
 * of which 192 KiB more (the 64 KiB passed on are given back once half
 * the window is: nghttp2 gathers WINDOW_UPDATEs); asked to grow by 1 MiB,
 * the same. */
static void test_window_grows_as_let(void **state)
{
	static const struct {
		size_t widen, held;
	} cases[] = {
		{ SIZE_MAX, 64 * 1024 },
		{ 192 * 1024, 192 * 1024 },
		{ 1024 * 1024, 192 * 1024 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct env *e = *state;
		struct owner o = { .widen = cases[i].widen, .keep_after = 64 * 1024 };

		open_stream(e, &o, 1000, NULL);
		RUN_UNTIL(e, o.ready == 1);
		send_get(&o, "/1m");
		RUN_UNTIL(e, o.kept == cases[i].held);
		settle(e);
		assert_int_equal(o.data.len, 64 * 1024);
		assert_int_equal(o.kept, cases[i].held);
		cleanup(&o);
	}
}

/* PING keepalive: a backend that acks stays connected past several
 * intervals; one that stops reading is closed once the ack is late, and
 * counted. */
static void test_keepalive(void **state)
{
	struct env *e = *state;
	struct sg_stats stats;
	struct owner o = { 0 };
	uint64_t t0;

	sg_stats_init(&stats);
	sg_h2b_pool_keepalive(e->h2, 30, 100, &stats);
	open_stream(e, &o, 10000, NULL);
	RUN_UNTIL(e, o.ready == 1);
	send_get(&o, "/x");
	RUN_UNTIL(e, o.ends == 1);
	cleanup(&o);
	t0 = sg_loop_now(e->loop);
	RUN_UNTIL(e, sg_loop_now(e->loop) >= t0 + 200); /* six intervals, acked */
	assert_int_equal(sg_h2b_pool_conns(e->h2), 1);
	assert_int_equal(stats.counters[SG_STAT_TIMEOUT_H2_PING], 0);
	/* The backend goes silent: no read, no ack. */
	sg_io_set(e->loop, &e->srv.conns[0].io, 0);
	t0 = sg_loop_now(e->loop);
	RUN_UNTIL(e, sg_h2b_pool_conns(e->h2) == 0);
	assert_true(sg_loop_now(e->loop) - t0 >= 100);
	assert_true(sg_loop_now(e->loop) - t0 < 1000);
	assert_int_equal(stats.counters[SG_STAT_TIMEOUT_H2_PING], 1);
	sg_stats_destroy(&stats);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_te_once_with_a_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiplexed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_empty_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_limit_opens_another, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goaway_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_returned_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_grows_as_let, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
