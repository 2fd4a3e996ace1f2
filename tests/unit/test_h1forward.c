/* Unit tests of user/http1/h1forward.c, an HTTP/1 client's request to an
 * HTTP/1 backend and its response: the try's request written (head, a
 * small body with it, a larger one relayed), the response head judged
 * (1xx, 101, a CONNECT's 2xx, invalid, too large), both bodies relayed
 * with their framing kept, through the frontend's public API on a real
 * loop (tests/unit/h1env.h): what is asserted is the exact bytes each side
 * received and the body bytes counted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h1env.h"

#include <stdlib.h>
#include <string.h>

#include "user/codec/h1.h"
#include "user/http1/h1forward.h"

/* An interim 103 is passed on to an HTTP/1.1 client before the final head. */
static void test_h1forward_interim_response_passed_on(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
	UNTIL(e, has(&e->client, "\r\n\r\nx"));
	assert_string_equal(e->client.in, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
					  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
	assert_int_equal(e->client.dates, 1); /* the final head's, not the 103's */
}

/* Bytes that are not a response head: 503, invalid response. */
static void test_h1forward_invalid_response(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /bad HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\n"));
	say(e->be[0].fd, "SMTP ready\r\n\r\n");
	UNTIL(e, has(&e->client, "invalid response"));
	assert_true(starts(&e->client, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_true(has(&e->client, "\r\n\r\nupstream call failed: invalid response: "));
}

/* A Content-Length body that follows its head in later writes reaches the
 * backend exact, after the head, and no byte more. */
static void test_h1forward_content_length_body_after_head(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
	pause_ms(e, 20);
	say(e->client.fd, "hello ");
	pause_ms(e, 20);
	say(e->client.fd, "world");
	UNTIL(e, has(&e->be[0], "\r\n\r\nhello world"));
	assert_true(starts(&e->be[0], "POST /u HTTP/1.1\r\n"));
	assert_true(has(&e->be[0], "\r\nContent-Length: 11\r\n"));
	assert_string_equal(strstr(e->be[0].in, "\r\n\r\n"), "\r\n\r\nhello world");
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, has(&e->client, "\r\n\r\nok"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

/* A chunked body streamed in pieces (the head goes first) reaches the
 * backend as the client framed it, trailer included; the request after it
 * is the next one. */
static void test_h1forward_chunked_body_relayed_exact(void **state)
{
	struct env *e = *state;
	const char *body = "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n";

	start(e, "");
	say(e->client.fd, "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->client.fd, "4\r\nwiki\r\n5;ext=1\r\npe");
	UNTIL(e, has(&e->be[0], "\r\npe"));
	say(e->client.fd, "dia\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, has(&e->be[0], "t\r\n\r\n"));
	pause_ms(e, 20);
	assert_true(has(&e->be[0], "\r\nTransfer-Encoding: chunked\r\n"));
	assert_string_equal(strstr(e->be[0].in, "\r\n\r\n") + 4, body);
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
	UNTIL(e, has(&e->be[0], "GET /next "));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
	UNTIL(e, has(&e->client, "\r\n\r\n2"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"
					  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
}

/* A body over the 64 KiB kept for retries is streamed: every byte reaches
 * the backend in order, and the connection lives on after the answer. */
static void test_h1forward_large_body_streamed(void **state)
{
	struct env *e = *state;
	char head[128];
	char *body = pattern(LARGE);
	const char *got;

	start(e, "");
	snprintf(head, sizeof(head), "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
		 LARGE);
	say(e->client.fd, head);
	feed(e, e->client.fd, body, LARGE);
	UNTIL(e, e->nbe == 1 && body_len(&e->be[0]) >= LARGE);
	assert_int_equal(body_len(&e->be[0]), LARGE);
	got = strstr(e->be[0].in, "\r\n\r\n") + 4;
	assert_memory_equal(got, body, LARGE);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
	UNTIL(e, has(&e->client, "done"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
	forget(&e->client);
	forget(&e->be[0]);
	say(e->client.fd, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, has(&e->be[0], "GET /after "));
	assert_int_equal(e->nbe, 1);
	free(body);
}

/* RFC 9112 §9.6: a backend that answers before the upload ended makes the
 * rest of the body impossible to tell from a next request, so the response
 * says connection: close and the connection ends after it. */
static void test_h1forward_answer_before_upload_ended_closes(void **state)
{
	struct env *e = *state;
	char head[128];
	char *body = pattern(LARGE);

	start(e, "");
	snprintf(head, sizeof(head), "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
		 LARGE);
	say(e->client.fd, head);
	feed(e, e->client.fd, body, 4096);
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\n\r\nbig");
	UNTIL(e, e->client.eof);
	assert_string_equal(e->client.in, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\n"
					  "connection: close\r\n\r\nbig");
	assert_false(e->client.reset);
	free(body);
}

/* A chunked response is relayed byte for byte (extensions, trailer), in
 * pieces as it comes; the backend connection is reused after it. */
static void test_h1forward_chunked_response_relayed_exact(void **state)
{
	struct env *e = *state;
	const char *want = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "4\r\nwiki\r\n5;e=v\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";

	start(e, "");
	say(e->client.fd, "GET /ch HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwi");
	UNTIL(e, has(&e->client, "wi"));
	say(e->be[0].fd, "ki\r\n5;e=v\r\npedia\r\n0\r\nX-T: 1\r\n\r\n");
	UNTIL(e, has(&e->client, "X-T: 1\r\n\r\n"));
	assert_string_equal(e->client.in, want);
	forget(&e->client);
	forget(&e->be[0]);
	say(e->client.fd, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
	UNTIL(e, has(&e->client, "\r\n\r\n2"));
	assert_int_equal(e->nbe, 1);
	assert_false(e->client.eof);
}

/* A Content-Length body that comes in pieces arrives whole, and the
 * response after it is not mixed into it. */
static void test_h1forward_response_body_in_pieces(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /p HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
	UNTIL(e, has(&e->client, "01234"));
	assert_false(has(&e->client, "56789"));
	say(e->be[0].fd, "56789");
	UNTIL(e, has(&e->client, "56789"));
	assert_string_equal(e->client.in,
			    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
	assert_false(e->client.eof);
}

/* A large Content-Length response goes through the body relay whole. */
static void test_h1forward_large_response_body(void **state)
{
	struct env *e = *state;
	char head[128];
	char *body = pattern(LARGE);
	size_t hl;

	start(e, "");
	say(e->client.fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	hl = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
			      LARGE);
	say(e->be[0].fd, head);
	feed(e, e->be[0].fd, body, LARGE);
	UNTIL(e, e->client.len >= hl + LARGE);
	assert_int_equal(e->client.len, hl + LARGE);
	assert_memory_equal(e->client.in, head, hl);
	assert_memory_equal(e->client.in + hl, body, LARGE);
	assert_false(e->client.eof);
	free(body);
}

/* 204 and 304 have no body whatever their head says: the next response on
 * the same backend connection is read as a response. */
static void test_h1forward_no_body_statuses(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "DELETE /d HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 204 No Content\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 204 No Content\r\n\r\n");
	forget(&e->client);
	say(e->client.fd, "GET /e HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\"\r\n\r\n");
	HEAD_AT(e, 0);
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"a\"\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(
		e->client.in,
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"a\"\r\n\r\n");
	forget(&e->client);
	say(e->client.fd, "GET /f HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes");
	UNTIL(e, has(&e->client, "yes"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes");
	assert_int_equal(e->nbe, 1);
}

/* A body cut short by the backend: the client's connection closes, which
 * is all that tells it the body is incomplete. */
static void test_h1forward_truncated_response_closes(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /t HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	UNTIL(e, has(&e->client, "abc"));
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->client.eof);
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
}

/* An HTTP/1.0 client never sees a 1xx (RFC 9110 §15.2): only the final
 * response reaches it. */
static void test_h1forward_interim_response_dropped_for_http10(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /i HTTP/1.0\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
	pause_ms(e, 20);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
	UNTIL(e, e->client.eof);
	assert_string_equal(e->client.in,
			    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nconnection: close\r\n\r\nx");
}

/* A response head over 64 KiB: 503, invalid response. */
static void test_h1forward_response_head_too_large(void **state)
{
	struct env *e = *state;
	char *big = malloc(70000);

	assert_non_null(big);
	memset(big, 'b', 70000);
	start(e, "");
	say(e->client.fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nX-Big: ");
	feed(e, e->be[0].fd, big, 70000);
	UNTIL(e, has(&e->client, "invalid response"));
	answered(&e->client, "HTTP/1.1 503 Service Unavailable",
		 "upstream call failed: invalid response: Message too long", false);
	free(big);
}

/* A 101 to a request that offered no upgrade: 503, never a tunnel. */
static void test_h1forward_unsolicited_101(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\n\r\nraw");
	UNTIL(e, has(&e->client, "invalid response"));
	answered(&e->client, "HTTP/1.1 503 Service Unavailable",
		 "upstream call failed: invalid response: Protocol error", false);
	UNTIL(e, e->be[0].eof);
}

/* An offered Upgrade answered 101: the connection becomes a tunnel, bytes
 * pass both ways as they are, including those sent with the 101. */
static void test_h1forward_upgrade_becomes_tunnel(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
			  "Upgrade: websocket\r\n\r\n");
	HEAD_AT(e, 0);
	assert_true(has(&e->be[0], "\r\nconnection: upgrade\r\nupgrade: websocket\r\n"));
	say(e->be[0].fd, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\n\r\nhello");
	UNTIL(e, has(&e->client, "hello"));
	assert_true(starts(&e->client, "HTTP/1.1 101 Switching Protocols\r\n"));
	assert_true(has(&e->client, "\r\n\r\nhello"));
	forget(&e->be[0]);
	say(e->client.fd, "GET / HTTP/1.1\r\n\r\n"); /* no request now: tunnel bytes */
	UNTIL(e, has(&e->be[0], "GET / HTTP/1.1\r\n\r\n"));
	assert_string_equal(e->be[0].in, "GET / HTTP/1.1\r\n\r\n");
	forget(&e->client);
	say(e->be[0].fd, "pong");
	UNTIL(e, has(&e->client, "pong"));
	assert_string_equal(e->client.in, "pong");
	shutdown(e->client.fd, SHUT_WR);
	UNTIL(e, e->be[0].eof);
}

/* CONNECT: the backend's 2xx opens a tunnel. */
static void test_h1forward_connect_tunnel(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	HEAD_AT(e, 0);
	assert_true(starts(&e->be[0], "CONNECT example.com:443 HTTP/1.1\r\n"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 Connection Established\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_true(starts(&e->client, "HTTP/1.1 200 Connection Established\r\n"));
	forget(&e->client);
	say(e->client.fd, "\x16\x03\x01 tls hello");
	UNTIL(e, has(&e->be[0], "tls hello"));
	assert_string_equal(e->be[0].in, "\x16\x03\x01 tls hello");
	say(e->be[0].fd, "server bytes");
	UNTIL(e, has(&e->client, "server bytes"));
	assert_string_equal(e->client.in, "server bytes");
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->client.eof);
}

/* CONNECT refused by the backend: its answer, then the connection ends
 * (bytes after a CONNECT head are never a next request). */
static void test_h1forward_connect_refused_closes(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno");
	UNTIL(e, e->client.eof);
	assert_string_equal(
		e->client.in,
		"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nconnection: close\r\n\r\nno");
}

/* A small body read whole before the first try goes with the head, and
 * the backend is not asked to wait for it: Expect is dropped from the
 * copy it gets (the client had its 100 from the gateway). */
static void test_h1forward_small_body_goes_without_expect(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			  "Content-Length: 4\r\n\r\ndata");
	HEAD_AT(e, 0);
	UNTIL(e, has(&e->be[0], "\r\n\r\ndata"));
	assert_true(starts(&e->be[0], "POST /e HTTP/1.1\r\n"));
	assert_null(strcasestr(e->be[0].in, "expect:"));
	assert_string_equal(strstr(e->be[0].in, "\r\n\r\n"), "\r\n\r\ndata");
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, has(&e->client, "\r\n\r\nok"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

/* A relayed body's bytes are counted once each way, under the engine that
 * moved them (copy here): the upload's LARGE and the response's 3. */
static void test_h1forward_body_bytes_counted_once(void **state)
{
	struct env *e = *state;
	char *body = pattern(LARGE);
	char head[128];

	start(e, "");
	snprintf(head, sizeof(head), "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: %u\r\n\r\n",
		 (unsigned)LARGE);
	say(e->client.fd, head);
	feed(e, e->client.fd, body, LARGE);
	UNTIL(e, e->nbe == 1 && body_len(&e->be[0]) >= LARGE);
	assert_memory_equal(strstr(e->be[0].in, "\r\n\r\n") + 4, body, LARGE);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes");
	UNTIL(e, has(&e->client, "\r\n\r\nyes"));
	/* Once the request is over and its pumps released. */
	UNTIL(e, e->stats.counters[SG_STAT_BYTES_COPY] >= LARGE + 3);
	pause_ms(e, 20);
	assert_int_equal(e->stats.counters[SG_STAT_BYTES_COPY], LARGE + 3);
	assert_int_equal(e->stats.counters[SG_STAT_BYTES_SPLICE], 0);
	assert_int_equal(e->stats.counters[SG_STAT_BYTES_SOCKMAP], 0);
	free(body);
}

/* A response without the fields of one name (h1h2.c sends a chunked
 * answer without its Content-Length): matched without regard to case,
 * every other one kept in order, the original untouched. */
static void test_h1forward_without_header(void **state)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nA: 1\r\nx-drop: a\r\nB: 2\r\n"
				   "X-Drop: b\r\nContent-Length: 5\r\n\r\n";
	struct sg_h1_header in[8], slots[8];
	struct sg_h1_resp resp = { .headers = in, .headers_cap = 8 }, out;

	(void)state;
	assert_int_equal(sg_h1_parse_response(head, sizeof(head) - 1, 8, &resp), SG_H1_DONE);
	h1c_without_header(&resp, "x-drop", &out, slots);
	assert_int_equal(out.status, 200);
	assert_int_equal(out.content_length, 5);
	assert_int_equal(out.nheaders, 3);
	assert_ptr_equal(out.headers, slots);
	assert_memory_equal(out.headers[0].name.p, "A", 1);
	assert_memory_equal(out.headers[1].name.p, "B", 1);
	assert_memory_equal(out.headers[2].name.p, "Content-Length", 14);
	assert_int_equal(resp.nheaders, 5);
	assert_ptr_equal(resp.headers, in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h1forward_interim_response_passed_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_invalid_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_content_length_body_after_head,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_chunked_body_relayed_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_large_body_streamed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_answer_before_upload_ended_closes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_chunked_response_relayed_exact,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_response_body_in_pieces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_large_response_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_no_body_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_truncated_response_closes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_interim_response_dropped_for_http10,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_response_head_too_large, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_unsolicited_101, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_upgrade_becomes_tunnel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_connect_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_connect_refused_closes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_small_body_goes_without_expect,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1forward_body_bytes_counted_once, setup,
						teardown),
		cmocka_unit_test(test_h1forward_without_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
