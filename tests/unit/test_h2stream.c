/* Unit tests of user/http2/h2stream.c, an HTTP/2 stream as a request,
 * over a socketpair and a real loop (tests/unit/h2env.h): the client
 * speaks HTTP/2 with the project's codec, the backend is a loopback
 * listener answered by hand in HTTP/1.1. What is asserted is what each
 * side sees: the request the backend got (its framing, exact bytes), each
 * stream's status, fields, DATA and trailers, a retry's replayed body,
 * the 431 of a head too large. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h2env.h"

/* The backend's chunked response becomes DATA of the bytes alone, and its
 * trailer section HTTP/2 trailers; no HTTP/1 framing field reaches the
 * client. */
static void test_h2stream_chunked_response_to_data_and_trailers(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/app/t", NULL, "te", "trailers", NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
			 "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Sum: abc\r\n\r\n");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(e->st[0].fields, "x-a=1;");
	assert_string_equal(e->st[0].body, "wikipedia");
	assert_true(e->st[0].trailered);
	assert_string_equal(e->st[0].trailers, "x-sum=abc;");
	assert_int_equal(e->st[0].code, 0);
}

/* A request body sent as DATA without a content-length reaches the
 * HTTP/1 backend chunked, byte-exact; one with a content-length goes as
 * it is, with that length. */
static void test_h2stream_request_body_framing(void **state)
{
	struct env *e = *state;
	const char *end;

	start(e);
	ask(e, 0, "POST", "/app/u", "hello world", NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n0\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "POST /app/u HTTP/1.1\r\n", 22));
	assert_non_null(strcasestr(e->be[0].in, "\r\ntransfer-encoding: chunked\r\n"));
	assert_null(strcasestr(e->be[0].in, "content-length"));
	end = strstr(e->be[0].in, "\r\n\r\n") + 4;
	assert_string_equal(end, "b\r\nhello world\r\n0\r\n\r\n");
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].body, "ok");

	ask(e, 1, "POST", "/app/v", "12345", "content-length", "5", NULL);
	UNTIL(e, e->nbe >= 1 && strstr(e->be[e->nbe - 1].in, "POST /app/v") &&
			 strstr(strstr(e->be[e->nbe - 1].in, "POST /app/v"), "\r\n\r\n12345"));
	end = strstr(e->be[e->nbe - 1].in, "POST /app/v");
	assert_non_null(strcasestr(end, "\r\ncontent-length: 5\r\n"));
	assert_null(strcasestr(end, "transfer-encoding"));
	assert_string_equal(strstr(end, "\r\n\r\n"), "\r\n\r\n12345");
	say(e->be[e->nbe - 1].fd, "HTTP/1.1 204 No Content\r\n\r\n");
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "204");
	assert_string_equal(e->st[1].body, "");
}

/* A listed status is retried: the same body, kept for it, goes again on
 * a new connection; the client sees the second answer alone. */
static void test_h2stream_retry_replays_the_body(void **state)
{
	struct env *e = *state;

	start_route(
		e, "",
		"      policies:\n        retry:\n          attempts: 1\n          codes: [503]\n");
	ask(e, 0, "PUT", "/app/r", "the body", "content-length", "8", NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\nthe body"));
	say(e->be[0].fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
	UNTIL(e, e->nbe == 2 && strstr(e->be[1].in, "\r\n\r\nthe body"));
	assert_true(!strncmp(e->be[1].in, "PUT /app/r HTTP/1.1\r\n", 21));
	assert_non_null(strstr(e->be[1].in, "\r\nx-retry-attempt: 1\r\n"));
	say(e->be[1].fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(e->st[0].body, "done");
	assert_int_equal(e->st[0].heads, 1);
}

/* More fields than a head may have: 431 on that stream, nothing sent to
 * the backend; the connection carries on. */
static void test_h2stream_head_too_large_431(void **state)
{
	struct env *e = *state;
	struct sg_h2_field f[4 + SG_H1_MAX_HEADERS + 8] = {
		{ ":method", 7, "GET", 3 },
		{ ":scheme", 7, "http", 4 },
		{ ":authority", 10, "web.example", 11 },
		{ ":path", 5, "/app/big", 8 },
	};
	char names[SG_H1_MAX_HEADERS + 8][8];

	start(e);
	for (size_t i = 0; i < SG_H1_MAX_HEADERS + 8; i++) {
		snprintf(names[i], sizeof(names[i]), "x-%zu", i);
		f[4 + i] = (struct sg_h2_field){ names[i], strlen(names[i]), "v", 1 };
	}
	memset(&e->st[0], 0, sizeof(e->st[0]));
	e->st[0].id = sg_h2_request(e->client, f, ARRAY_LEN(f), false, &e->st[0]);
	assert_true(e->st[0].id > 0);
	UNTIL(e, e->st[0].ended || e->st[0].closed);
	assert_string_equal(e->st[0].status, "431");
	assert_int_equal(e->nbe, 0);

	ask(e, 1, "GET", "/direct", NULL, NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "418");
	assert_int_equal(e->goaways, 0);
}

/* The response's DATA and the request's body are counted on the request:
 * the access log line's bytes_in and bytes_out. */
static void test_h2stream_bytes_in_the_log(void **state)
{
	struct env *e = *state;
	char log[2048];

	start(e);
	capture_log(e);
	ask(e, 0, "POST", "/app/b", "0123456789", "content-length", "10", NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n0123456789"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	UNTIL(e, e->st[0].ended);
	UNTIL(e, e->stats.requests_active == 0);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " http.method=POST "));
	assert_non_null(strstr(log, " http.status=200 "));
	assert_non_null(strstr(log, " bytes_in=10 bytes_out=3 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h2stream_chunked_response_to_data_and_trailers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2stream_request_body_framing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2stream_retry_replays_the_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2stream_head_too_large_431, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2stream_bytes_in_the_log, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
