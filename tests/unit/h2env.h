/* For the unit tests of the HTTP/2 frontend (test_h2proxy, test_h2stream):
 * the client is one end of a socketpair handed to sg_h2proxy_accept,
 * spoken to by the project's own HTTP/2 codec as a client session
 * (user/codec/h2.h); the backend a loopback listener the test answers by
 * hand between loop passes; what each stream and each backend connection
 * received. Include after cmocka.h. */
#ifndef SG_TEST_H2ENV_H
#define SG_TEST_H2ENV_H

#include "capture.h"
#include "loopback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/fields.h"
#include "user/base/loop.h"
#include "user/codec/h2.h"
#include "user/core/admit.h"
#include "user/core/backend.h"
#include "user/core/frontend.h"
#include "user/core/stats.h"
#include "user/http2/h2proxy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One stream as the client sees it. */
struct stream {
	int32_t id;
	char status[8];
	char fields[1024]; /* the final head's regular fields, "name=value;" each */
	char body[8192];
	size_t body_len, unconsumed;
	int heads;
	bool ended;	/* END_STREAM came (on a head or after DATA) */
	bool closed;	/* the session closed it */
	uint32_t code;	/* its RST_STREAM code, if it was reset */
	bool trailered; /* a head after the final one: trailers */
	char trailers[512];
	const char *send; /* the request body to send, NULL: none */
	size_t sent;
};

/* A backend connection: what it received. */
struct side {
	int fd;
	char in[8192];
	size_t len;
	bool eof;
};

struct env {
	struct sg_loop *loop;
	struct sg_stats stats;
	struct sg_frontend f;
	int backend; /* listening */
	uint16_t port;
	int refused; /* bound, not listening */
	uint16_t refused_port;
	struct side be[4]; /* backend connections, in accept order */
	int nbe;
	int fd; /* the client's end */
	struct sg_h2_session *client;
	char out[65536]; /* client bytes not written yet */
	size_t out_len;
	bool client_eof;
	int goaways;
	struct stream st[4];
	struct test_capture log; /* the access log, while captured */
};

/* ---- the client --------------------------------------------------------------- */

static inline int c_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct stream *s = stream;
	char *to = s->heads ? s->trailers : s->fields;
	size_t cap = s->heads ? sizeof(s->trailers) : sizeof(s->fields);
	size_t at = strlen(to);

	if (f->name_len == 7 && !memcmp(f->name, ":status", 7)) {
		if (f->value_len < sizeof(s->status))
			snprintf(s->status, sizeof(s->status), "%.*s", (int)f->value_len, f->value);
		return 0;
	}
	if (f->name_len == 4 && !memcmp(f->name, "date", 4))
		return 0; /* the gateway's own, the time now */
	snprintf(to + at, cap - at, "%.*s=%.*s;", (int)f->name_len, f->name, (int)f->value_len,
		 f->value);
	return 0;
}

static inline int c_head(void *conn, void *stream, bool end_stream)
{
	struct stream *s = stream;

	/* An interim head (1xx) is not counted as the final one. */
	if (s->status[0] == '1' && !s->heads) {
		s->status[0] = '\0';
		s->fields[0] = '\0';
		return 0;
	}
	if (s->heads)
		s->trailered = true;
	s->heads++;
	s->ended |= end_stream;
	return 0;
}

static inline int c_data(void *conn, void *stream, const char *p, size_t len)
{
	struct stream *s = stream;

	assert_true(s->body_len + len < sizeof(s->body));
	memcpy(s->body + s->body_len, p, len);
	s->body_len += len;
	s->body[s->body_len] = '\0';
	s->unconsumed += len;
	return 0;
}

static inline int c_end(void *conn, void *stream)
{
	((struct stream *)stream)->ended = true;
	return 0;
}

static inline void c_closed(void *conn, void *stream, uint32_t code)
{
	struct stream *s = stream;

	s->closed = true;
	s->code = code;
}

static inline void c_ping_ack(void *conn)
{
}

static inline ssize_t c_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct stream *s = stream;
	size_t left = s->send ? strlen(s->send) - s->sent : 0;
	size_t n = left < len ? left : len;

	if (n)
		memcpy(buf, s->send + s->sent, n);
	s->sent += n;
	*eof = n == left;
	return (ssize_t)n;
}

static inline void c_goaway(void *conn, int32_t last_id, uint32_t code)
{
	((struct env *)conn)->goaways++;
}

static const struct sg_h2_callbacks client_cb = {
	.field = c_field,
	.head = c_head,
	.data = c_data,
	.end = c_end,
	.closed = c_closed,
	.ping_ack = c_ping_ack,
	.body = c_body,
	.goaway = c_goaway,
};

/* The client's frames out, what came from the gateway in, body bytes
 * given back to the windows. */
static inline void client_io(struct env *e)
{
	const char *d;
	ssize_t n;
	char buf[16384];

	while ((n = sg_h2_pending(e->client, &d)) > 0) {
		assert_true(e->out_len + (size_t)n <= sizeof(e->out));
		memcpy(e->out + e->out_len, d, (size_t)n);
		e->out_len += (size_t)n;
	}
	assert_int_equal(n, 0);
	if (e->out_len) {
		n = write(e->fd, e->out, e->out_len);
		if (n > 0) {
			memmove(e->out, e->out + n, e->out_len - (size_t)n);
			e->out_len -= (size_t)n;
		} else {
			assert_true(errno == EAGAIN);
		}
	}
	while (!e->client_eof) {
		n = read(e->fd, buf, sizeof(buf));
		if (n > 0) {
			assert_int_equal(sg_h2_recv(e->client, buf, (size_t)n), 0);
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			e->client_eof = true; /* the gateway closed the connection */
		else
			assert_int_equal(errno, EAGAIN);
		break;
	}
	for (size_t i = 0; i < ARRAY_LEN(e->st); i++)
		if (e->st[i].unconsumed && e->st[i].id > 0) {
			sg_h2_consume(e->client, e->st[i].id, e->st[i].unconsumed);
			e->st[i].unconsumed = 0;
		}
}

/* Stream i asks `method` `path` with `body` (NULL: none) and more
 * fields (name, value pairs, NULL-terminated). */
static inline int32_t ask(struct env *e, int i, const char *method, const char *path, const char *body,
		   ...)
{
	struct sg_h2_field f[12] = {
		{ ":method", 7, method, strlen(method) },
		{ ":scheme", 7, "http", 4 },
		{ ":authority", 10, "web.example", 11 },
		{ ":path", 5, path, strlen(path) },
	};
	size_t n = 4;
	const char *name;
	va_list ap;

	va_start(ap, body);
	while ((name = va_arg(ap, const char *)) && n < ARRAY_LEN(f)) {
		const char *value = va_arg(ap, const char *);

		f[n++] = (struct sg_h2_field){ name, strlen(name), value, strlen(value) };
	}
	va_end(ap);
	memset(&e->st[i], 0, sizeof(e->st[i]));
	e->st[i].send = body;
	e->st[i].id = sg_h2_request(e->client, f, n, body != NULL, &e->st[i]);
	assert_true(e->st[i].id > 0);
	return e->st[i].id;
}

/* ---- the gateway and the backend ------------------------------------------ */

static inline void take(struct side *s)
{
	ssize_t n;

	if (s->fd < 0)
		return;
	while ((n = read(s->fd, s->in + s->len, sizeof(s->in) - 1 - s->len)) > 0) {
		s->len += (size_t)n;
		s->in[s->len] = '\0';
	}
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		s->eof = true;
	else
		assert_true(errno == EAGAIN);
}

/* One round: a loop pass, the client's I/O, new backend connections and
 * what they received. */
static inline void round_once(struct env *e)
{
	int fd;

	client_io(e);
	sg_loop_run_once(e->loop, 5);
	while ((fd = accept4(e->backend, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(e->nbe < (int)ARRAY_LEN(e->be));
		memset(&e->be[e->nbe], 0, sizeof(e->be[0]));
		e->be[e->nbe++].fd = fd;
	}
	for (int i = 0; i < e->nbe; i++)
		take(&e->be[i]);
	client_io(e);
}

/* Rounds until `cond` holds, for at most 3 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			round_once(e);                                                             \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

static inline void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static inline int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	sg_stats_init(&e->stats);
	e->f.loop = e->loop;
	e->f.pool = sg_pool_new(e->loop);
	e->f.relays.download = e->f.relays.upload = e->f.relays.tunnel = SG_RELAY_COPY;
	e->f.stats = &e->stats;
	e->f.access_log = SG_ACCESS_LOG_OFF;
	e->f.rng = 0x9e3779b97f4a7c15ULL;
	sg_list_init(&e->f.clients);
	sg_list_init(&e->f.tcpconns);
	sg_list_init(&e->f.h2conns);
	e->backend = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	e->fd = -1;
	test_capture_init(&e->log);
	*state = e;
	return 0;
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	sg_h2proxy_close_all(&e->f);
	sg_loop_run_once(e->loop, 0);
	sg_pool_free(e->f.pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	/* Every connection and session the case made was freed. */
	assert_int_equal(sg_frontend_release_mem(&e->f), 0);
	sg_cfg_unref(e->f.cfg);
	sg_admit_free(e->f.admit);
	sg_stats_destroy(&e->stats);
	test_capture_end(&e->log, NULL, 0); /* a case that failed while capturing */
	if (e->client)
		sg_h2_session_free(e->client);
	if (e->fd >= 0)
		close(e->fd);
	for (int i = 0; i < e->nbe; i++)
		if (e->be[i].fd >= 0)
			close(e->be[i].fd);
	close(e->backend);
	close(e->refused);
	free(e);
	return 0;
}

/* The config in force and a client connected over HTTP/2 (prior
 * knowledge): one listener for web.example, /app to the test's backend
 * (with `app`, YAML lines at its route's indent, may be ""), /dead to a
 * port that refuses, /direct answered by the route; `top`: YAML before
 * binds: (may be ""). */
static inline void start_route(struct env *e, const char *top, const char *app)
{
	char text[2048];
	struct sg_diag d;
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	int sv[2];

	snprintf(text, sizeof(text),
		 "%s"
		 "binds:\n"
		 "- port: 8080\n"
		 "  listeners:\n"
		 "  - name: web\n"
		 "    hostname: web.example\n"
		 "    protocol: HTTP\n"
		 "    routes:\n"
		 "    - name: app\n"
		 "      matches: [{path: {pathPrefix: /app}}]\n"
		 "      backends: [{host: 127.0.0.1:%u}]\n"
		 "%s"
		 "    - name: dead\n"
		 "      matches: [{path: {pathPrefix: /dead}}]\n"
		 "      backends: [{host: 127.0.0.1:%u}]\n"
		 "    - name: direct\n"
		 "      matches: [{path: {pathPrefix: /direct}}]\n"
		 "      policies:\n"
		 "        directResponse: {body: \"hello!\", status: 418}\n",
		 top, e->port, app, e->refused_port);
	sg_diag_init(&d);
	e->f.cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->f.cfg)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	e->fd = sv[0];
	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_client_new(&client_cb, e, &set, NULL, &e->client), 0);
	sg_loop_update_time(e->loop);
	/* As the HTTP/1 frontend admits a connection before it hands it
	 * over: the HTTP/2 one releases it. */
	assert_true(sg_frontend_admit(&e->f, &e->f.cfg->binds[0], "192.0.2.7", 40000));
	sg_h2proxy_accept(&e->f, e->f.cfg, &e->f.cfg->binds[0], sv[1], NULL, "192.0.2.7", 40000,
			  NULL, 0, NULL, sg_loop_now(e->loop), NULL);
	assert_int_equal(e->stats.active, 1);
}

static inline void start_with(struct env *e, const char *top)
{
	start_route(e, top, "");
}

static inline void start(struct env *e)
{
	start_with(e, "");
}

/* The access log goes to a pipe until test_capture_end(&e->log) reads it. */
static inline void capture_log(struct env *e)
{
	e->f.access_log = SG_ACCESS_LOG_TEXT;
	test_capture_start(&e->log, STDOUT_FILENO);
}

#endif
