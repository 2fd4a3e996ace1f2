/* Unit tests of user/http1/h1h2.c, an HTTP/1 client's request to an
 * HTTP/2 backend, through the HTTP/1 frontend's public API on a real loop
 * (tests/unit/h1env.h): the backend is the project's own HTTP/2 server
 * session (user/codec/h2.h) driven by hand on each accepted connection.
 * What is asserted is the exact HTTP/1 bytes the client gets (a length
 * kept, chunks when there is none, trailers in the last chunk, a length 0
 * said for an empty answer) and what the backend's stream received (the
 * fields, the body decoded from the client's chunks, its trailers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h1env.h"

#include <string.h>

#include "user/codec/h2.h"

/* ---- the HTTP/2 backend --------------------------------------------------- */

struct bstream {
	int32_t id;
	char method[16], path[64], authority[64];
	char fields[512];   /* regular fields, "name=value;" each */
	char trailers[256]; /* the same, for its trailers */
	char body[4096];
	size_t body_len;
	bool headed, ended;
	const char *resp; /* the answer's body */
	size_t resp_off;
};

struct bconn {
	struct sg_h2_session *h2;
	size_t fed; /* bytes of be[i].in given to the session */
	struct bstream st[4];
	int nst;
};

static struct bconn bconns[4];

static void *b_open(void *conn, int32_t id)
{
	struct bconn *b = conn;
	struct bstream *s;

	assert_true(b->nst < 4);
	s = &b->st[b->nst++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	return s;
}

static void copy_to(char *dst, size_t cap, const struct sg_h2_field *f)
{
	snprintf(dst, cap, "%.*s", (int)f->value_len, f->value);
}

static int b_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct bstream *s = stream;
	char *to = s->headed ? s->trailers : s->fields;
	size_t cap = s->headed ? sizeof(s->trailers) : sizeof(s->fields), at = strlen(to);

	(void)conn;
	if (f->name_len == 7 && !memcmp(f->name, ":method", 7))
		copy_to(s->method, sizeof(s->method), f);
	else if (f->name_len == 5 && !memcmp(f->name, ":path", 5))
		copy_to(s->path, sizeof(s->path), f);
	else if (f->name_len == 10 && !memcmp(f->name, ":authority", 10))
		copy_to(s->authority, sizeof(s->authority), f);
	else if (f->name_len && f->name[0] != ':')
		snprintf(to + at, cap - at, "%.*s=%.*s;", (int)f->name_len, f->name,
			 (int)f->value_len, f->value);
	return 0;
}

/* Answer by path: /len 200 "hello" with its length; /nolen "wikipedia"
 * without one; /trailers the same and trailers; /empty 200 without a
 * length ending with the head; anything else 404 with a length. */
static void b_answer(struct bconn *b, struct bstream *s)
{
	struct sg_h2_field f[2] = { { ":status", 7, "200", 3 }, { "content-length", 14, "5", 1 } };

	if (!strcmp(s->path, "/len")) {
		s->resp = "hello";
		assert_int_equal(sg_h2_respond(b->h2, s->id, f, 2, true), 0);
	} else if (!strcmp(s->path, "/nolen") || !strcmp(s->path, "/trailers")) {
		s->resp = "wikipedia";
		assert_int_equal(sg_h2_respond(b->h2, s->id, f, 1, true), 0);
	} else if (!strcmp(s->path, "/empty")) {
		assert_int_equal(sg_h2_respond(b->h2, s->id, f, 1, false), 0);
	} else {
		f[0].value = "404";
		f[1].value = "4";
		s->resp = "nope";
		assert_int_equal(sg_h2_respond(b->h2, s->id, f, 2, true), 0);
	}
}

static int b_head(void *conn, void *stream, bool end)
{
	struct bstream *s = stream;

	s->headed = true;
	if (end) {
		s->ended = true;
		b_answer(conn, s);
	}
	return 0;
}

static int b_data(void *conn, void *stream, const char *p, size_t len)
{
	struct bconn *b = conn;
	struct bstream *s = stream;

	assert_true(s->body_len + len < sizeof(s->body));
	memcpy(s->body + s->body_len, p, len);
	s->body_len += len;
	sg_h2_consume(b->h2, s->id, len);
	return 0;
}

static int b_end(void *conn, void *stream)
{
	struct bstream *s = stream;

	s->ended = true;
	b_answer(conn, s);
	return 0;
}

static void b_closed(void *conn, void *stream, uint32_t code)
{
	(void)conn, (void)stream, (void)code;
}

static void b_ping_ack(void *conn)
{
	(void)conn;
}

static ssize_t b_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct bstream *s = stream;
	size_t left = strlen(s->resp) - s->resp_off, n = left < len ? left : len;

	(void)conn;
	memcpy(buf, s->resp + s->resp_off, n);
	s->resp_off += n;
	*eof = n == left;
	return (ssize_t)n;
}

static int b_trailers(void *conn, void *stream, int32_t id)
{
	struct bconn *b = conn;
	struct bstream *s = stream;
	struct sg_h2_field t[1] = { { "x-sum", 5, "abc", 3 } };

	if (strcmp(s->path, "/trailers"))
		return 0;
	assert_int_equal(sg_h2_trailers(b->h2, id, t, 1), 0);
	return 1;
}

static int b_trailer(void *conn, void *stream, const struct sg_h2_field *f)
{
	return b_field(conn, stream, f);
}

static const struct sg_h2_callbacks backend_cb = {
	.open = b_open,
	.field = b_field,
	.head = b_head,
	.data = b_data,
	.end = b_end,
	.closed = b_closed,
	.ping_ack = b_ping_ack,
	.body = b_body,
	.trailers = b_trailers,
	.trailer = b_trailer,
};

/* A round of the frontend's loop, then each backend connection's session
 * reads what came and writes what it has. */
static void h2_round(struct env *e)
{
	round_once(e);
	for (int i = 0; i < e->nbe; i++) {
		struct bconn *b = &bconns[i];
		const char *d;
		ssize_t n;

		if (!b->h2) {
			struct sg_h2_settings set = { .n = 0 };

			assert_int_equal(
				sg_h2_session_new(&backend_cb, b, &set, NULL, NULL, &b->h2), 0);
		}
		if (e->be[i].len > b->fed) {
			assert_int_equal(
				sg_h2_recv(b->h2, e->be[i].in + b->fed, e->be[i].len - b->fed), 0);
			b->fed = e->be[i].len;
		}
		while ((n = sg_h2_pending(b->h2, &d)) > 0)
			assert_int_equal(send(e->be[i].fd, d, (size_t)n, MSG_NOSIGNAL), n);
	}
}

#define H2_UNTIL(e, cond)                                                                          \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			h2_round(e);                                                               \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

#define H2_HOST                                                                                    \
	"      - host: 127.0.0.1:%u\n"                                                             \
	"        policies:\n"                                                                      \
	"          http: {version: HTTP/2.0}\n"

/* The frontend with a pool of HTTP/2 backend connections, as a worker's. */
static int h2_setup(void **state)
{
	struct env *e;

	memset(bconns, 0, sizeof(bconns));
	setup(state);
	e = *state;
	e->f.h2pool = sg_h2b_pool_new(e->loop, e->f.pool, NULL);
	assert_non_null(e->f.h2pool);
	return 0;
}

static int h2_teardown(void **state)
{
	for (size_t i = 0; i < 4; i++)
		if (bconns[i].h2)
			sg_h2_session_free(bconns[i].h2);
	return teardown(state);
}

/* The test's backend, spoken to in HTTP/2. */
static void start_h2(struct env *e)
{
	char hosts[256];

	snprintf(hosts, sizeof(hosts), H2_HOST, e->port);
	start_config(e, "", "", hosts);
}

/* ---- cases -------------------------------------------------------------------- */

/* A GET becomes a stream (method, path, the Host as :authority, the
 * client's other fields lowercased); the answer's length is kept. */
static void test_h1h2_length_kept(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "GET /len HTTP/1.1\r\nHost: web.example\r\nX-Mine: 1\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "hello"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
	assert_int_equal(bconns[0].nst, 1);
	assert_string_equal(bconns[0].st[0].method, "GET");
	assert_string_equal(bconns[0].st[0].path, "/len");
	assert_string_equal(bconns[0].st[0].authority, "web.example");
	assert_non_null(strstr(bconns[0].st[0].fields, "x-mine=1;"));
	assert_null(strstr(bconns[0].st[0].fields, "host="));
}

/* No length from the backend: chunks to an HTTP/1.1 client, the last one
 * when the stream ends; the connection stays for the next request, which
 * goes as another stream on the same backend connection. */
static void test_h1h2_no_length_chunked(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "GET /nolen HTTP/1.1\r\nHost: x\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "0\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					  "9\r\nwikipedia\r\n0\r\n\r\n");
	forget(&e->client);
	say(e->client.fd, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "hello"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
	assert_int_equal(e->nbe, 1);
	assert_int_equal(bconns[0].nst, 2);
}

/* The backend's trailers reach a client that asked for them (TE:
 * trailers) in the last chunk. */
static void test_h1h2_trailers_in_the_last_chunk(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "0\r\nx-sum: abc\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					  "9\r\nwikipedia\r\n0\r\nx-sum: abc\r\n\r\n");
}

/* An HTTP/1.0 client gets a body without length delimited by the close
 * (the status line says HTTP/1.1, as to every client, RFC 9110 §2.5). */
static void test_h1h2_http10_close_delimited(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "GET /nolen HTTP/1.0\r\nHost: x\r\n\r\n");
	H2_UNTIL(e, e->client.eof);
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nwikipedia");
}

/* A head that ends the stream without a length: "Content-Length: 0" is
 * said, and the connection is kept. */
static void test_h1h2_empty_answer_says_length_0(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "\r\n\r\n"));
	h2_round(e);
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_false(e->client.eof);
}

/* A chunked upload reaches the stream as its bytes alone, the client's
 * trailer section as the stream's trailers; a Content-Length upload as it
 * is. */
static void test_h1h2_uploads(void **state)
{
	struct env *e = *state;

	start_h2(e);
	say(e->client.fd, "POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Check: 9\r\n\r\n");
	H2_UNTIL(e, has(&e->client, "hello"));
	assert_int_equal(bconns[0].nst, 1);
	assert_string_equal(bconns[0].st[0].method, "POST");
	assert_int_equal(bconns[0].st[0].body_len, 9);
	assert_memory_equal(bconns[0].st[0].body, "wikipedia", 9);
	assert_string_equal(bconns[0].st[0].trailers, "x-check=9;");
	assert_null(strstr(bconns[0].st[0].fields, "transfer-encoding"));

	forget(&e->client);
	say(e->client.fd, "PUT /len HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsix by");
	H2_UNTIL(e, has(&e->client, "hello"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
	assert_int_equal(bconns[0].nst, 2);
	assert_string_equal(bconns[0].st[1].method, "PUT");
	assert_int_equal(bconns[0].st[1].body_len, 6);
	assert_memory_equal(bconns[0].st[1].body, "six by", 6);
	assert_non_null(strstr(bconns[0].st[1].fields, "content-length=6;"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h1h2_length_kept, h2_setup, h2_teardown),
		cmocka_unit_test_setup_teardown(test_h1h2_no_length_chunked, h2_setup, h2_teardown),
		cmocka_unit_test_setup_teardown(test_h1h2_trailers_in_the_last_chunk, h2_setup,
						h2_teardown),
		cmocka_unit_test_setup_teardown(test_h1h2_http10_close_delimited, h2_setup,
						h2_teardown),
		cmocka_unit_test_setup_teardown(test_h1h2_empty_answer_says_length_0, h2_setup,
						h2_teardown),
		cmocka_unit_test_setup_teardown(test_h1h2_uploads, h2_setup, h2_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
