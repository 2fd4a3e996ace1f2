/* Unit tests for user/mcp/mcphttp.c, an MCP target over streamable HTTP
 * and the legacy HTTP+SSE transport, on the test's loop: the target is a
 * loopback listener the test answers by hand (tests/unit/httpserve.h)
 * while the module's threads ask it. What the target gets (each POST's
 * head and body, initialize's Mcp-Session-Id and protocol version on
 * every later one, the GET stream's request, the DELETE that ends the
 * session) and what the owner is told: a JSON or event-stream answer's
 * messages in order with the request's id, then `failed`; why a POST
 * failed (a status and its JSON-RPC message, a content type, no message,
 * a refused connect); a 404 to the session ending it; a notification
 * answered before the next POST goes; the bytes waiting bounded; the GET
 * stream's messages (id 0), opened again until a 4xx; a legacy target's
 * POSTs sent where its stream's endpoint event says and answered on the
 * stream, whose end is the target's; an event or a JSON answer with a
 * NUL byte in its data refused as malformed (the request fails, a legacy
 * target's stream ends). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "httpserve.h"
#include "loopback.h"

#include "user/base/loop.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcphttp.h"

struct henv {
	struct sg_loop *loop;
	int lfd; /* the target's listener */
	uint16_t port;
	int refused; /* bound, not listening */
	uint16_t refused_port;
	struct sg_mcp_target t;
	struct sg_mcp_http *h;
	char asked[8192]; /* the last request the target got */
	size_t len, head_len;
	/* What the ops were told: each message "<id> <text>\n". */
	char msgs[8192];
	size_t mlen;
	int nmsgs, nfailed, ngone;
	uint64_t failed_id;
	char failed[256], gone[256];
};

static void on_message(void *arg, const char *msg, size_t len, uint64_t id)
{
	struct henv *e = arg;

	e->mlen += (size_t)snprintf(e->msgs + e->mlen, sizeof(e->msgs) - e->mlen, "%llu %.*s\n",
				    (unsigned long long)id, (int)len, msg);
	e->nmsgs++;
}

static void on_failed(void *arg, uint64_t id, const char *why)
{
	struct henv *e = arg;

	e->nfailed++;
	e->failed_id = id;
	snprintf(e->failed, sizeof(e->failed), "%s", why);
}

static void on_gone(void *arg, const char *why)
{
	struct henv *e = arg;

	e->ngone++;
	snprintf(e->gone, sizeof(e->gone), "%s", why);
}

static const struct sg_mcp_http_ops ops = {
	.message = on_message,
	.failed = on_failed,
	.gone = on_gone,
};

static int setup(void **state)
{
	struct henv *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	e->lfd = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	e->t = (struct sg_mcp_target){
		.name = "remote",
		.kind = SG_MCP_HTTP,
		.host = "127.0.0.1",
		.addr = "127.0.0.1",
		.port = e->port,
		.path = "/mcp",
	};
	assert_int_equal(sg_mcp_http_open(e->loop, &e->t, &ops, e, &e->h), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct henv *e = *state;

	sg_mcp_http_close(e->h);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	assert_int_equal(sg_mcp_http_wait(5000), 0);
	sg_loop_free(e->loop);
	close(e->lfd);
	close(e->refused);
	free(e);
	return 0;
}

/* The target's next request, answered `answer`. */
static void serve(struct henv *e, const char *answer)
{
	e->len = test_http_serve(e->loop, e->lfd, answer, e->asked, sizeof(e->asked), &e->head_len);
}

/* Loop passes until `cond` holds, for at most 5 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int u_ = 0; u_ < 1000 && !(cond); u_++)                                       \
			sg_loop_run_once((e)->loop, 5);                                            \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

#define INIT                                                                                       \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":" \
	"\"2025-06-18\"}}"
#define INIT_OK                                                                                    \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-06-18\","            \
	"\"capabilities\":{}}}"
#define NOTE "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
#define PING(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"ping\"}"
#define JSON "Content-Type: application/json\r\n"
#define SSE "Content-Type: text/event-stream\r\n"

/* What a POST of `body` to /mcp looks like with the session's lines
 * `session` ("" before one). */
static const char *post_of(const struct henv *e, const char *session, const char *body)
{
	static char out[2048];

	snprintf(out, sizeof(out),
		 "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: application/json, "
		 "text/event-stream\r\nUser-Agent: splicegate\r\n" JSON "%sContent-Length: %zu\r\n"
		 "\r\n%s",
		 e->port, session, strlen(body), body);
	return out;
}

#define SESSION "Mcp-Session-Id: s-1\r\nMCP-Protocol-Version: 2025-06-18\r\n"

/* The target's initialize answered with session s-1. */
static void initialized(struct henv *e)
{
	assert_int_equal(sg_mcp_http_send(e->h, INIT, strlen(INIT), 1, true), 0);
	serve(e, test_http_answer("200 OK", JSON "Mcp-Session-Id: s-1\r\n", INIT_OK));
	assert_string_equal(e->asked, post_of(e, "", INIT));
	UNTIL(e, e->nfailed == 1);
	/* its response, then (the owner tells them apart by id) failed */
	assert_string_equal(e->msgs, "1 " INIT_OK "\n");
	assert_int_equal(e->failed_id, 1);
	e->nmsgs = e->nfailed = 0;
	e->mlen = 0;
	e->msgs[0] = '\0';
}

static void test_mcphttp_session_on_every_later_post(void **state)
{
	struct henv *e = *state;

	initialized(e);
	/* A notification's POST: accepted, nothing told. */
	assert_int_equal(sg_mcp_http_send(e->h, NOTE, strlen(NOTE), 0, false), 0);
	serve(e, test_http_answer("202 Accepted", "", ""));
	assert_string_equal(e->asked, post_of(e, SESSION, NOTE));
	assert_int_equal(sg_mcp_http_send(e->h, PING(2), strlen(PING(2)), 2, false), 0);
	serve(e, test_http_answer("200 OK", JSON, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}"));
	assert_string_equal(e->asked, post_of(e, SESSION, PING(2)));
	UNTIL(e, e->nfailed == 1);
	assert_string_equal(e->msgs, "2 {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
	/* A later answer's session id is not taken: initialize's alone. */
	assert_int_equal(sg_mcp_http_send(e->h, PING(3), strlen(PING(3)), 3, false), 0);
	serve(e, test_http_answer("200 OK", JSON "Mcp-Session-Id: other\r\n",
				  "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}"));
	UNTIL(e, e->nfailed == 2);
	assert_int_equal(sg_mcp_http_send(e->h, PING(4), strlen(PING(4)), 4, false), 0);
	serve(e, test_http_answer("200 OK", JSON, "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}"));
	assert_string_equal(e->asked, post_of(e, SESSION, PING(4)));
	UNTIL(e, e->nfailed == 3);
}

static void test_mcphttp_event_stream_answer(void **state)
{
	struct henv *e = *state;

	/* Each event's message, in order, with the request's id. */
	assert_int_equal(sg_mcp_http_send(e->h, PING(2), strlen(PING(2)), 2, false), 0);
	serve(e, test_http_answer(
			 "200 OK", SSE,
			 "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
			 "message\",\"params\":{}}\n\n: a comment\n\n"
			 "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n\n"));
	UNTIL(e, e->nfailed == 1);
	assert_string_equal(e->msgs,
			    "2 {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
			    "\"params\":{}}\n2 {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
	assert_int_equal(e->failed_id, 2);
	assert_string_equal(e->failed, "its answer held no response to the request");
}

/* A ping with id `id`, answered `answer`: failed is told, why, and no
 * message. */
static void post_fails(struct henv *e, uint64_t id, const char *answer, const char *why)
{
	char ping[64];
	int n = e->nfailed;

	snprintf(ping, sizeof(ping), "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"ping\"}",
		 (unsigned long long)id);
	assert_int_equal(sg_mcp_http_send(e->h, ping, strlen(ping), id, false), 0);
	serve(e, answer);
	UNTIL(e, e->nfailed == n + 1);
	assert_int_equal(e->failed_id, id);
	assert_string_equal(e->failed, why);
	assert_int_equal(e->nmsgs + e->ngone, 0);
}

static void test_mcphttp_failed_posts(void **state)
{
	struct henv *e = *state;
	struct sg_mcp_http *down;
	struct sg_mcp_target t = e->t;
	char want[128];

	/* A status that is not 2xx: its JSON-RPC error's message, if any. */
	post_fails(
		e, 3,
		test_http_answer("500 Internal Server Error", JSON,
				 "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-1,\"message\":"
				 "\"boom\"}}"),
		"it answered 500: boom");
	post_fails(e, 4, test_http_answer("503 Service Unavailable", "", "busy"),
		   "it answered 503");
	/* A 404 without a session is one more failure (with one, the end). */
	post_fails(e, 5, test_http_answer("404 Not Found", "", ""), "it answered 404");
	/* Neither JSON nor a stream; nothing at all. */
	post_fails(e, 6, test_http_answer("200 OK", "Content-Type: text/html\r\n", "<p>"),
		   "it answered 200 with Content-Type \"text/html\"");
	post_fails(e, 7, test_http_answer("202 Accepted", "", ""), "it answered with no message");
	/* A target that refuses connections. */
	t.port = e->refused_port;
	assert_int_equal(sg_mcp_http_open(e->loop, &t, &ops, e, &down), 0);
	assert_int_equal(sg_mcp_http_send(down, PING(8), strlen(PING(8)), 8, false), 0);
	UNTIL(e, e->nfailed == 6);
	assert_int_equal(e->failed_id, 8);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%u: Connection refused", e->refused_port);
	assert_string_equal(e->failed, want);
	sg_mcp_http_close(down);
}

/* The target's next request answered 200 with Content-Type `type` and
 * body[0..len) (which may hold NULs), its connection closed. */
static void serve_bytes(struct henv *e, const char *type, const char *body, size_t len)
{
	size_t alen, head_len;
	char out[1024];
	int fd = test_http_take(e->loop, e->lfd, e->asked, sizeof(e->asked), &alen, &head_len);
	int n = snprintf(out, sizeof(out),
			 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 type, len);

	assert_true(n > 0 && (size_t)n + len <= sizeof(out));
	memcpy(out + n, body, len);
	assert_int_equal(write(fd, out, (size_t)n + len), (ssize_t)((size_t)n + len));
	close(fd);
}

/* An event whose data holds a NUL byte after the response's JSON: no
 * message, the request fails at once saying why (it read as the
 * response, which the owner then dropped: the call failed with no word
 * of why). A JSON answer with one fails the same way. */
static void test_mcphttp_nul_in_an_event_is_malformed(void **state)
{
	static const char ev[] = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,"
				 "\"result\":{}}\0junk\n\n";
	static const char json[] = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\0";
	struct henv *e = *state;

	assert_int_equal(sg_mcp_http_send(e->h, PING(2), strlen(PING(2)), 2, false), 0);
	serve_bytes(e, "text/event-stream", ev, sizeof(ev) - 1);
	UNTIL(e, e->nfailed == 1);
	assert_int_equal(e->failed_id, 2);
	assert_string_equal(e->failed, "it sent an event whose data holds a NUL byte");
	assert_int_equal(sg_mcp_http_send(e->h, PING(3), strlen(PING(3)), 3, false), 0);
	serve_bytes(e, "application/json", json, sizeof(json) - 1);
	UNTIL(e, e->nfailed == 2);
	assert_int_equal(e->failed_id, 3);
	assert_string_equal(e->failed, "it sent a message with a NUL byte in it");
	assert_int_equal(e->nmsgs + e->ngone, 0);
}

static void test_mcphttp_session_ended_by_404(void **state)
{
	struct henv *e = *state;

	initialized(e);
	assert_int_equal(sg_mcp_http_send(e->h, PING(2), strlen(PING(2)), 2, false), 0);
	serve(e, test_http_answer("404 Not Found", "", ""));
	UNTIL(e, e->ngone == 1);
	assert_string_equal(e->gone, "its session ended (404)");
	assert_int_equal(e->nfailed + e->nmsgs, 0);
	assert_int_equal(sg_mcp_http_send(e->h, PING(3), strlen(PING(3)), 3, false), -EPIPE);
	sg_mcp_http_listen(e->h, true); /* nothing to listen to */
	for (int i = 0; i < 20; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC), -1);
}

static void test_mcphttp_notification_answered_before_the_next(void **state)
{
	struct henv *e = *state;
	size_t len, head_len;
	int fd;

	assert_int_equal(sg_mcp_http_send(e->h, NOTE, strlen(NOTE), 0, false), 0);
	assert_int_equal(sg_mcp_http_send(e->h, PING(2), strlen(PING(2)), 2, false), 0);
	fd = test_http_take(e->loop, e->lfd, e->asked, sizeof(e->asked), &len, &head_len);
	assert_string_equal(e->asked, post_of(e, "", NOTE));
	/* The request waits for the notification's answer. */
	for (int i = 0; i < 40; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	{
		const char *a = test_http_answer("202 Accepted", "", "");

		assert_int_equal(write(fd, a, strlen(a)), (ssize_t)strlen(a));
	}
	close(fd);
	serve(e, test_http_answer("200 OK", JSON, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}"));
	assert_string_equal(e->asked, post_of(e, "", PING(2)));
	UNTIL(e, e->nfailed == 1);
}

static void test_mcphttp_bounded_waiting(void **state)
{
	struct henv *e = *state;
	size_t size = SG_JSONRPC_MAX / 4;
	char *big = malloc(size);
	int n = 0;

	/* The target answers nothing: SG_MCP_HTTP_PER_TARGET POSTs go, the
	 * rest wait, SG_JSONRPC_MAX bytes of them at most. */
	assert_non_null(big);
	memset(big, ' ', size);
	big[0] = '{';
	big[size - 1] = '}';
	while (n < 20 && sg_mcp_http_send(e->h, big, size, (uint64_t)n + 1, false) == 0)
		n++;
	assert_int_equal(n, SG_MCP_HTTP_PER_TARGET + 4);
	assert_int_equal(sg_mcp_http_send(e->h, big, size, 99, false), -ENOBUFS);
	assert_int_equal(sg_mcp_http_send(e->h, PING(100), strlen(PING(100)), 100, false),
			 -ENOBUFS);
	free(big);
	/* Closed, its threads end where they wait (the teardown waits). */
}

static void test_mcphttp_close_deletes_the_session(void **state)
{
	struct henv *e = *state;
	char want[256];

	initialized(e);
	sg_mcp_http_close(e->h);
	e->h = NULL;
	serve(e, test_http_answer("200 OK", "", ""));
	snprintf(want, sizeof(want),
		 "DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: application/json\r\n"
		 "User-Agent: splicegate\r\nMcp-Session-Id: s-1\r\n\r\n",
		 e->port);
	assert_string_equal(e->asked, want);
	assert_int_equal(sg_mcp_http_wait(3000), 0);
	assert_int_equal(e->nfailed + e->nmsgs + e->ngone, 0);
}

/* The target got its GET stream's request, with the session's lines. */
static void get_asked(const struct henv *e, const char *session)
{
	assert_int_equal(strncmp(e->asked, "GET /mcp HTTP/1.1\r\n", 19), 0);
	assert_non_null(strstr(e->asked, "\r\nAccept: text/event-stream\r\n"));
	assert_non_null(strstr(e->asked, session));
	assert_int_equal(e->len, e->head_len); /* no body */
}

static void test_mcphttp_listens_to_its_get_stream(void **state)
{
	struct henv *e = *state;

	initialized(e);
	sg_mcp_http_listen(e->h, true);
	serve(e,
	      test_http_answer("200 OK", SSE,
			       "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"a\"}\n\n"
			       "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"b\"}\n\n"));
	get_asked(e, SESSION);
	UNTIL(e, e->nmsgs == 2);
	assert_string_equal(e->msgs, "0 {\"jsonrpc\":\"2.0\",\"method\":\"a\"}\n"
				     "0 {\"jsonrpc\":\"2.0\",\"method\":\"b\"}\n");
	/* Ended, opened again a moment later; a 405 says it offers none. */
	serve(e, test_http_answer("405 Method Not Allowed", "", ""));
	get_asked(e, SESSION);
	for (int i = 0; i < 500; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	assert_int_equal(e->nfailed + e->ngone, 0);
}

static void test_mcphttp_legacy_sse_target(void **state)
{
	struct henv *e = *state;
	struct sg_mcp_target t = e->t;
	struct sg_mcp_http *h;
	size_t len, head_len;
	const char *head = "HTTP/1.1 200 OK\r\n" SSE "\r\n"
			   "event: endpoint\ndata: /messages?session=9\n\n";
	const char *ev = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n\n";
	int fd;

	/* Its stream opened at once; the POSTs wait for its endpoint. */
	t.kind = SG_MCP_SSE;
	t.path = "/sse";
	assert_int_equal(sg_mcp_http_open(e->loop, &t, &ops, e, &h), 0);
	assert_int_equal(sg_mcp_http_send(h, PING(2), strlen(PING(2)), 2, false), 0);
	fd = test_http_take(e->loop, e->lfd, e->asked, sizeof(e->asked), &len, &head_len);
	assert_int_equal(strncmp(e->asked, "GET /sse HTTP/1.1\r\n", 19), 0);
	assert_non_null(strstr(e->asked, "\r\nAccept: text/event-stream\r\n"));
	assert_null(strstr(e->asked, "Mcp-Session-Id"));
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	/* The POST goes there, is only accepted; its answer comes on the
	 * stream, with no request's id. */
	serve(e, test_http_answer("202 Accepted", "", ""));
	assert_int_equal(strncmp(e->asked, "POST /messages?session=9 HTTP/1.1\r\n", 35), 0);
	assert_string_equal(e->asked + e->head_len, PING(2));
	assert_int_equal(write(fd, ev, strlen(ev)), (ssize_t)strlen(ev));
	UNTIL(e, e->nmsgs == 1);
	assert_string_equal(e->msgs, "0 {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
	assert_int_equal(e->nfailed, 0);
	/* The stream's end is the target's. */
	close(fd);
	UNTIL(e, e->ngone == 1);
	assert_string_equal(e->gone, "its event stream ended");
	assert_int_equal(sg_mcp_http_send(h, PING(3), strlen(PING(3)), 3, false), -EPIPE);
	sg_mcp_http_close(h);
}

/* A legacy target's answer (on its stream) whose data holds a NUL byte:
 * the stream is malformed and, being the session, ends it saying why at
 * once (the answer was dropped and its call waited for its bound). */
static void test_mcphttp_legacy_nul_ends_the_stream(void **state)
{
	static const char ev[] = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,"
				 "\"result\":{}}\0junk\n\n";
	struct henv *e = *state;
	struct sg_mcp_target t = e->t;
	struct sg_mcp_http *h;
	size_t len, head_len;
	const char *head = "HTTP/1.1 200 OK\r\n" SSE "\r\n"
			   "event: endpoint\ndata: /messages?session=9\n\n";
	int fd;

	t.kind = SG_MCP_SSE;
	t.path = "/sse";
	assert_int_equal(sg_mcp_http_open(e->loop, &t, &ops, e, &h), 0);
	assert_int_equal(sg_mcp_http_send(h, PING(2), strlen(PING(2)), 2, false), 0);
	fd = test_http_take(e->loop, e->lfd, e->asked, sizeof(e->asked), &len, &head_len);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	serve(e, test_http_answer("202 Accepted", "", ""));
	assert_int_equal(write(fd, ev, sizeof(ev) - 1), (ssize_t)(sizeof(ev) - 1));
	UNTIL(e, e->ngone == 1);
	assert_string_equal(e->gone,
			    "its event stream ended: it sent an event whose data holds a NUL byte");
	assert_int_equal(e->nmsgs, 0);
	close(fd);
	sg_mcp_http_close(h);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_mcphttp_##name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(session_on_every_later_post),
		T(event_stream_answer),
		T(failed_posts),
		T(session_ended_by_404),
		T(notification_answered_before_the_next),
		T(bounded_waiting),
		T(close_deletes_the_session),
		T(listens_to_its_get_stream),
		T(legacy_sse_target),
		T(nul_in_an_event_is_malformed),
		T(legacy_nul_ends_the_stream),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
