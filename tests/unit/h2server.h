/* For the unit tests that need an HTTP/2 server on their own loop
 * (test_h2backend, test_rlcall): the gateway's own server session
 * (user/codec/h2.c over nghttp2) on a loopback listener, recording each
 * stream's request and answering as the test says. Include after
 * cmocka.h. */
#ifndef SG_TEST_H2SERVER_H
#define SG_TEST_H2SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

#include "user/base/buf.h"
#include "user/base/loop.h"
#include "user/codec/h2.h"

#define MAX_CONNS 8
#define MAX_STREAMS 320

struct sstream {
	struct sconn *conn;
	int32_t id;
	char method[16], path[128], authority[64], te[16];
	char fields[512]; /* the regular fields, "name=value;" each */
	unsigned nte; /* te fields received */
	bool has_connection_header;
	struct sg_buf body;
	bool ended;
	uint32_t closed_code;
	bool closed;
	/* the answer */
	const char *resp;
	size_t resp_len, resp_off;
};

struct sconn {
	struct server *srv;
	int fd;
	struct sg_io io;
	struct sg_h2_session *h2;
};

struct server {
	struct sg_loop *loop;
	int lfd;
	uint16_t port;
	struct sg_io lio;
	struct sconn conns[MAX_CONNS];
	size_t nconns;
	struct sstream *streams[MAX_STREAMS];
	size_t nstreams;
	uint32_t max_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS announced */
	/* The test's answer to a stream whose request ended (it may wait:
	 * answer later with sg_h2_respond and sconn_flush), and its trailers
	 * once the answer's body is sent (1: sent some, 0: none). */
	void (*answer)(struct sstream *s);
	int (*trailers)(struct sstream *s, int32_t id);
};

static inline void sconn_flush(struct sconn *c)
{
	const char *p;
	ssize_t n;

	while ((n = sg_h2_pending(c->h2, &p)) > 0)
		assert_int_equal(send(c->fd, p, (size_t)n, MSG_NOSIGNAL), n);
}

static inline void *s_open(void *conn, int32_t id)
{
	struct sconn *c = conn;
	struct sstream *s = calloc(1, sizeof(*s));

	assert_true(c->srv->nstreams < MAX_STREAMS);
	s->conn = c;
	s->id = id;
	c->srv->streams[c->srv->nstreams++] = s;
	return s;
}

static inline void copy_value(char *dst, size_t cap, const struct sg_h2_field *f)
{
	size_t n = f->value_len < cap - 1 ? f->value_len : cap - 1;

	memcpy(dst, f->value, n);
	dst[n] = '\0';
}

static inline int s_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct sstream *s = stream;

	(void)conn;
	if (f->name_len == 7 && !memcmp(f->name, ":method", 7))
		copy_value(s->method, sizeof(s->method), f);
	else if (f->name_len == 5 && !memcmp(f->name, ":path", 5))
		copy_value(s->path, sizeof(s->path), f);
	else if (f->name_len == 10 && !memcmp(f->name, ":authority", 10))
		copy_value(s->authority, sizeof(s->authority), f);
	else if (f->name_len == 2 && !memcmp(f->name, "te", 2)) {
		copy_value(s->te, sizeof(s->te), f);
		s->nte++;
	}
	if (f->name_len && f->name[0] != ':') {
		size_t at = strlen(s->fields);

		snprintf(s->fields + at, sizeof(s->fields) - at, "%.*s=%.*s;", (int)f->name_len,
			 f->name, (int)f->value_len, f->value);
	}
	return 0;
}


static inline int s_head(void *conn, void *stream, bool end)
{
	struct sstream *s = stream;

	(void)conn;
	s->ended = end;
	if (end)
		s->conn->srv->answer(s);
	return 0;
}

static inline int s_data(void *conn, void *stream, const char *p, size_t len)
{
	struct sconn *c = conn;
	struct sstream *s = stream;

	assert_int_equal(sg_buf_append(&s->body, p, len), 0);
	sg_h2_consume(c->h2, s->id, len);
	return 0;
}

static inline int s_end(void *conn, void *stream)
{
	struct sstream *s = stream;

	(void)conn;
	s->ended = true;
	s->conn->srv->answer(s);
	return 0;
}

static inline void s_closed(void *conn, void *stream, uint32_t code)
{
	struct sstream *s = stream;

	(void)conn;
	s->closed = true;
	s->closed_code = code;
}

static inline void s_ping_ack(void *conn)
{
	(void)conn;
}

static inline ssize_t s_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct sstream *s = stream;
	size_t n = s->resp_len - s->resp_off;

	(void)conn;
	if (n > len)
		n = len;
	memcpy(buf, s->resp + s->resp_off, n);
	s->resp_off += n;
	*eof = s->resp_off == s->resp_len;
	return (ssize_t)n;
}


static inline int s_trailers(void *conn, void *stream, int32_t id)
{
	struct sstream *s = stream;

	(void)conn;
	return s->conn->srv->trailers ? s->conn->srv->trailers(s, id) : 0;
}

static const struct sg_h2_callbacks server_cb = {
	.open = s_open,
	.field = s_field,
	.head = s_head,
	.data = s_data,
	.end = s_end,
	.closed = s_closed,
	.ping_ack = s_ping_ack,
	.body = s_body,
	.trailers = s_trailers,
};

static inline void on_sconn(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sconn *c = io->data;
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	(void)revents;
	if (n <= 0) {
		sg_io_set(loop, io, 0);
		close(c->fd);
		c->fd = -1;
		return;
	}
	assert_int_equal(sg_h2_recv(c->h2, buf, (size_t)n), 0);
	sconn_flush(c);
}

static inline void on_accept(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct server *srv = io->data;
	struct sg_h2_settings set = { .n = 0 };
	struct sconn *c;
	int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)revents;
	if (fd < 0)
		return;
	assert_true(srv->nconns < MAX_CONNS);
	c = &srv->conns[srv->nconns++];
	c->srv = srv;
	c->fd = fd;
	if (srv->max_streams)
		set.v[set.n++] = (struct sg_h2_setting){ SG_H2_SET_MAX_CONCURRENT_STREAMS,
							 srv->max_streams };
	assert_int_equal(sg_h2_session_new(&server_cb, c, &set, NULL, NULL, &c->h2), 0);
	c->io.cb = on_sconn;
	c->io.data = c;
	assert_int_equal(sg_io_attach(loop, &c->io, fd), 0);
	assert_int_equal(sg_io_set(loop, &c->io, EPOLLIN), 0);
	sconn_flush(c);
}

static inline void server_free(struct server *srv)
{
	for (size_t i = 0; i < srv->nconns; i++) {
		if (srv->conns[i].fd >= 0) {
			sg_io_set(srv->loop, &srv->conns[i].io, 0);
			close(srv->conns[i].fd);
		}
		sg_h2_session_free(srv->conns[i].h2);
	}
	for (size_t i = 0; i < srv->nstreams; i++) {
		sg_buf_free(&srv->streams[i]->body);
		free(srv->streams[i]);
	}
	sg_io_set(srv->loop, &srv->lio, 0);
	close(srv->lfd);
}

/* srv listens on a loopback port of its own (srv->port) on `loop`,
 * answering with `answer` (and `trailers`, NULL: none). */
static inline void server_start(struct server *srv, struct sg_loop *loop,
				void (*answer)(struct sstream *s),
				int (*trailers)(struct sstream *s, int32_t id))
{
	srv->loop = loop;
	srv->answer = answer;
	srv->trailers = trailers;
	srv->lfd = test_loopback(true, SOCK_NONBLOCK, &srv->port);
	srv->lio.cb = on_accept;
	srv->lio.data = srv;
	assert_int_equal(sg_io_attach(loop, &srv->lio, srv->lfd), 0);
	assert_int_equal(sg_io_set(loop, &srv->lio, EPOLLIN), 0);
}


#endif
