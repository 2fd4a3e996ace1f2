/* Unit tests of reading a request on an HTTP/1 connection
 * (user/http1/h1head.c): heads parsed where they arrived, pipelined
 * requests, body bytes that came with the head, a body held whole before
 * the first try and Expect: 100-continue, and the requests the gateway
 * refuses before any backend sees them (bad heads and framing, 414, 431).
 * Through the frontend's public API on a real loop, as test_proxy: the
 * client is one end of a socketpair, the backend a loopback listener the
 * test answers by hand (h1env.h); what is asserted is what each side sees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h1env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request the gateway answers itself with `status_line`/`body` and then
 * closes, without a backend and without a reset. */
static void gateway_refuses(struct env *e, const char *request, const char *status_line,
			    const char *body)
{
	start(e, "");
	say(e->client.fd, request);
	UNTIL(e, e->client.eof);
	answered(&e->client, status_line, body, true);
	assert_false(e->client.reset);
	assert_int_equal(e->nbe, 0);
}

/* Three requests in one write: one at a time to the backend, answered in
 * order, on one backend connection. */
static void test_h1head_pipelined_requests_answered_in_order(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
	HEAD_AT(e, 0);
	assert_true(starts(&e->be[0], "GET /1 "));
	assert_false(has(&e->be[0], "GET /2")); /* one request at a time */
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
	UNTIL(e, has(&e->be[0], "GET /2 "));
	assert_false(has(&e->be[0], "GET /3"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
	UNTIL(e, has(&e->be[0], "GET /3 "));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthird");
	UNTIL(e, has(&e->client, "third"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
					  "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
					  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthird");
	assert_int_equal(e->nbe, 1);
	assert_false(e->client.eof);
}

/* Body bytes in the same write as the head reach the backend whole, for
 * Content-Length and for chunked framing (relayed as it came). */
static void test_h1head_early_body(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
			  "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "5\r\nworld\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\nhello"));
	assert_true(has(&e->be[0], "\r\nContent-Length: 5\r\n"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	UNTIL(e, has(&e->be[0], "5\r\nworld\r\n0\r\n\r\n"));
	assert_true(starts(&e->be[0], "POST /c HTTP/1.1\r\n"));
	assert_true(has(&e->be[0], "\r\n\r\n5\r\nworld\r\n0\r\n\r\n"));
	assert_string_equal(strstr(e->be[0].in, "\r\n\r\n"), "\r\n\r\n5\r\nworld\r\n0\r\n\r\n");
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	/* what followed the chunked body is the next request */
	UNTIL(e, has(&e->be[0], "\r\n\r\n"));
	assert_true(starts(&e->be[0], "GET /after HTTP/1.1\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter");
	UNTIL(e, has(&e->client, "after"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
					  "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
					  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter");
}

/* Expect: 100-continue on a body the gateway reads whole first: the
 * gateway itself says 100 Continue, and the backend gets head and body;
 * with the body already there no 100 is sent. */
static void test_h1head_expect_continue_small_body(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			  "Content-Length: 4\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(e->nbe, 0); /* the body first */
	say(e->client.fd, "data");
	UNTIL(e, e->nbe == 1 && has(&e->be[0], "\r\n\r\ndata"));
	forget(&e->be[0]);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, has(&e->client, "\r\n\r\nok"));
	assert_string_equal(e->client.in, "HTTP/1.1 100 Continue\r\n\r\n"
					  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	forget(&e->client);
	say(e->client.fd, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			  "Content-Length: 4\r\n\r\nDATA");
	UNTIL(e, has(&e->be[0], "\r\n\r\nDATA"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
	UNTIL(e, has(&e->client, "\r\n\r\nOK"));
	assert_string_equal(e->client.in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
}

/* Expect: 100-continue on a streamed body: the backend decides; its 100
 * reaches the client, then the body reaches the backend. */
static void test_h1head_expect_continue_streamed_body(void **state)
{
	struct env *e = *state;
	char head[160];

	start(e, "");
	snprintf(head, sizeof(head),
		 "PUT /s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n",
		 LARGE);
	say(e->client.fd, head);
	HEAD_AT(e, 0);
	assert_true(has(&e->be[0], "\r\nExpect: 100-continue\r\n"));
	assert_int_equal(e->client.len, 0); /* not the gateway's to say */
	say(e->be[0].fd, "HTTP/1.1 100 Continue\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	assert_string_equal(e->client.in, "HTTP/1.1 100 Continue\r\n\r\n");
}

static void test_h1head_bad_host_refused(void **state)
{
	gateway_refuses(*state, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "HTTP/1.1 400 Bad Request",
			"bad request");
}

static void test_h1head_two_hosts_refused(void **state)
{
	gateway_refuses(*state, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
			"HTTP/1.1 400 Bad Request", "bad request");
}

static void test_h1head_missing_host_refused(void **state)
{
	gateway_refuses(*state, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "HTTP/1.1 400 Bad Request",
			"bad request");
}

static void test_h1head_obs_fold_refused(void **state)
{
	gateway_refuses(*state, "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n",
			"HTTP/1.1 400 Bad Request", "bad request");
}

/* Chunk framing that came with the head is checked before any backend
 * sees the request. */
static void test_h1head_bad_chunk_size_refused(void **state)
{
	gateway_refuses(
		*state,
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
		"HTTP/1.1 400 Bad Request", "bad request");
}

/* Bad chunk framing after the head went out: the client gets its 400, the
 * backend's connection is closed, and the bad bytes never reach it. */
static void test_h1head_bad_chunk_size_later(void **state)
{
	struct env *e = *state;

	start(e, "");
	say(e->client.fd, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	HEAD_AT(e, 0);
	say(e->client.fd, "3\r\nabc\r\nzz\r\nmore\r\n");
	UNTIL(e, e->client.eof && e->be[0].eof);
	answered(&e->client, "HTTP/1.1 400 Bad Request", "bad request", true);
	assert_false(has(&e->be[0], "zz"));
}

/* A head over 64 KiB: 431, and the connection closes. */
static void test_h1head_head_too_large(void **state)
{
	struct env *e = *state;
	char *big = malloc(70000);

	assert_non_null(big);
	start(e, "");
	say(e->client.fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big, 'a', 70000);
	feed(e, e->client.fd, big, 70000);
	UNTIL(e, e->client.eof);
	answered(&e->client, "HTTP/1.1 431 Request Header Fields Too Large",
		 "request header fields too large", true);
	assert_int_equal(e->nbe, 0);
	free(big);
}

/* A request line longer than a head may be: 414 (RFC 9112 §3); one
 * within it whose headers make the head too large: 431 (the next case). */
static void test_h1head_uri_too_long(void **state)
{
	struct env *e = *state;
	char *big = malloc(70000);

	assert_non_null(big);
	start(e, "");
	say(e->client.fd, "GET /");
	memset(big, 'a', 70000);
	feed(e, e->client.fd, big, 70000);
	UNTIL(e, e->client.eof);
	answered(&e->client, "HTTP/1.1 414 URI Too Long", "uri too long", true);
	assert_int_equal(e->nbe, 0);
	free(big);
}

static void test_h1head_long_uri_then_headers_431(void **state)
{
	struct env *e = *state;
	char *big = malloc(60000);

	assert_non_null(big);
	memset(big, 'a', 60000);
	start(e, "");
	say(e->client.fd, "GET /");
	feed(e, e->client.fd, big, 60000);
	say(e->client.fd, " HTTP/1.1\r\nHost: x\r\nX-Big: ");
	feed(e, e->client.fd, big, 10000);
	UNTIL(e, e->client.eof);
	answered(&e->client, "HTTP/1.1 431 Request Header Fields Too Large",
		 "request header fields too large", true);
	assert_int_equal(e->nbe, 0);
	free(big);
}

/* More headers than http1MaxHeaders: 431; as many is fine. */
static void test_h1head_too_many_headers(void **state)
{
	struct env *e = *state;
	char req[1024];
	size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n");

	start_config(e, "frontendPolicies:\n  http:\n    http1MaxHeaders: 8\n", "", NULL);
	for (int i = 0; i < 7; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X-%d: v\r\n", i);
	snprintf(req + n, sizeof(req) - n, "\r\n");
	say(e->client.fd, req);
	HEAD_AT(e, 0);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	UNTIL(e, has(&e->client, "\r\n\r\n"));
	forget(&e->client);
	snprintf(req + n, sizeof(req) - n, "X-7: v\r\n\r\n");
	say(e->client.fd, req);
	UNTIL(e, e->client.eof);
	answered(&e->client, "HTTP/1.1 431 Request Header Fields Too Large",
		 "request header fields too large", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h1head_pipelined_requests_answered_in_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_early_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_expect_continue_small_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1head_expect_continue_streamed_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1head_bad_host_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_two_hosts_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_missing_host_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_obs_fold_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_bad_chunk_size_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1head_bad_chunk_size_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_head_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_uri_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h1head_long_uri_then_headers_431, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h1head_too_many_headers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
