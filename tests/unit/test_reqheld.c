/* Unit tests of user/core/reqheld.c, a request's response held whole:
 * transformed, read by the access log and span (response.body,
 * response.headers, request.body), released past maxBufferSize, and
 * nothing kept that nobody reads; on the request module's test bench
 * (reqenv.h: a real loop, config and loopback backends, a fake sink). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reqenv.h"

/* A parsed response head (its slots the case's). */
static void response(struct sg_h1_resp *resp, struct sg_h1_header *slots, const char *text)
{
	*resp = (struct sg_h1_resp){ .headers = slots, .headers_cap = 4 };
	assert_int_equal(sg_h1_parse_response(text, strlen(text), 4, resp), SG_H1_DONE);
}

/* Request i on `path` is sent and its response head `resp` is the answer;
 * whether the request module holds it. */
static bool held_answer(struct env *e, int i, const char *path, const struct sg_h1_resp *resp)
{
	char head[128];
	int sends = e->seen.sends;

	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: web.example\r\n\r\n", path);
	assert_true(begin(e, i, head));
	sg_request_start(&e->r[i]);
	UNTIL(e, e->seen.sends == sends + 1);
	assert_false(sg_request_took_response(&e->r[i], resp));
	return sg_request_hold_response(&e->r[i], resp);
}

/* A route whose response transformation reads response.body holds the
 * response whatever its framing: its body, handed over in pieces, is
 * read whole by the header expressions and replaced by the body one, and
 * the frontend gets the head without its framing fields (it writes the
 * new body's Content-Length) and the trailers that ended it. A HEAD
 * request's response, a 204 (its response.body empty bytes) and any
 * response of a route that reads no body are not held; a body cut short
 * is answered 503. */
static void test_request_response_held_and_transformed(void **state)
{
	static const struct sg_h2_field trailers[] = {
		{ "grpc-status", 11, "5", 1 },
		{ "grpc-message", 12, "gone", 4 },
	};
	struct env *e = *state;
	struct sg_h1_header slots[3][4];
	struct sg_h1_resp chunked, empty, plain;
	struct sg_h1_edit edit;
	const char *rest;
	size_t nrest;

	response(&chunked, slots[0],
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n");
	response(&empty, slots[1], "HTTP/1.1 204 No Content\r\n\r\n");
	response(&plain, slots[2], "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
	START(e, "");
	assert_true(held_answer(e, 0, "/held", &chunked));
	assert_int_equal(sg_request_response_data(&e->r[0], "{\"a\":", 5, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[0], "\"x\"}", 4, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(e->seen.responds, 0);
	sg_request_response_end(&e->r[0], 0, trailers, 2);
	assert_int_equal(e->seen.responds, 1);
	assert_null(e->r[0].held_resp);
	assert_string_equal(e->seen.trailers, "grpc-status: 5\ngrpc-message: gone\n");
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.fields, "Content-Type\n");
	assert_string_equal(e->seen.body, "{\"a\":\"x\",\"n\":9}");
	assert_non_null(strstr(e->seen.lines, "x-n: 9\n"));
	assert_non_null(strstr(e->seen.lines, "x-p: {\"a\":\"x\"}\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	/* a body cut short: nothing went to the client, which gets 503 */
	assert_true(held_answer(e, 1, "/held", &plain));
	assert_int_equal(sg_request_response_data(&e->r[1], "{}", 2, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[1], EPIPE, NULL, 0);
	assert_null(e->r[1].held_resp);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "upstream call failed: closed: broken pipe");
	sg_request_log(&e->r[1], 0, 0);
	sg_request_release(&e->r[1]);
	sg_filter_plan_reset(&e->r[1].plan);
	sg_request_free(&e->r[0]);
	sg_request_free(&e->r[1]);
	start(e, e->f.cfg);

	assert_false(held_answer(e, 0, "/held", &empty));
	/* its response.body is empty bytes, as agentgateway's */
	sg_request_transform_response(&e->r[0], &empty);
	sg_filter_response_edit(&e->r[0].plan, &edit);
	keep(&e->seen, &edit, NULL, 0);
	assert_non_null(strstr(e->seen.lines, "x-n: 0\n"));
	assert_false(held_answer(e, 1, "/app", &plain));
	assert_int_equal(e->seen.responds + e->seen.releases, 1);
	sg_request_release(&e->r[0]);
	sg_request_release(&e->r[1]);
	sg_request_free(&e->r[0]);
	sg_request_free(&e->r[1]);
	start(e, e->f.cfg);
	assert_true(begin(e, 0, "HEAD /held HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 5);
	assert_false(sg_request_took_response(&e->r[0], &plain));
	assert_false(sg_request_hold_response(&e->r[0], &plain));
}

/* Past maxBufferSize (8 here), as agentgateway: response.body is absent
 * and the response goes as it came, its first 8 bytes given to the
 * frontend with the head (response.bodyPrefix reads them), the rest of
 * the bytes that passed the bound left to it; a route whose
 * transformation replaces the body keeps reading and replaces it all the
 * same (its expression failing on response.body: empty). */
static void test_request_response_past_the_bound(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[4];
	struct sg_h1_resp resp;
	const char *rest;
	size_t nrest;

	response(&resp, slots, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	START(e, "frontendPolicies:\n  http: {maxBufferSize: 8}\n");
	assert_true(held_answer(e, 0, "/peek", &resp));
	assert_int_equal(sg_request_response_data(&e->r[0], "0123456", 7, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[0], "789abc", 6, &rest, &nrest),
			 SG_REQUEST_RELEASED);
	assert_int_equal(nrest, 5);
	assert_memory_equal(rest, "89abc", 5);
	assert_null(e->r[0].held_resp);
	assert_int_equal(e->seen.releases, 1);
	assert_string_equal(e->seen.body, "01234567");
	assert_string_equal(e->seen.lines, "x-p: 01234567\n");
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(held_answer(e, 1, "/held", &resp));
	assert_int_equal(sg_request_response_data(&e->r[1], "0123456789", 10, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_data(&e->r[1], "more", 4, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[1], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_int_equal(e->seen.releases, 1);
	assert_string_equal(e->seen.body, "");
	assert_string_equal(e->seen.lines, "x-p: 01234567\n");
}

/* An access log reading response.body holds the responses of its
 * listener's routes and reads them once they went out: the whole body;
 * past maxBufferSize (8 here) no response.body (the field is left out)
 * and the first 8 bytes as response.bodyPrefix; a 204's is empty bytes;
 * an event stream is not held (neither field); the gateway's own answer
 * (a direct response here) is read as it was written; a response the
 * frontend can hold no more of goes as it came, as past the bound. */
/* Request 0 was logged: it is done with, and the next begins afresh. */
static void logged_next(struct env *e)
{
	sg_request_release(&e->r[0]);
	sg_request_free(&e->r[0]);
	start(e, e->f.cfg);
}

static void test_request_log_reads_response_body(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[3][4];
	struct sg_h1_resp plain, empty, sse;
	const char *rest;
	size_t nrest;
	char log[4096];

	response(&plain, slots[0], "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	response(&empty, slots[1], "HTTP/1.1 204 No Content\r\n\r\n");
	response(&sse, slots[2], "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream\r\n\r\n");
	START(e, "frontendPolicies:\n"
		 "  http: {maxBufferSize: 8}\n"
		 "  accessLog:\n"
		 "    add: {size: 'size(response.body)', pre: 'string(response.bodyPrefix)'}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "abc", 3, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[0], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_string_equal(e->seen.body, "abc");
	assert_non_null(e->r[0].log_resp);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_resp);
	logged_next(e);

	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "0123456789", 10, &rest, &nrest),
			 SG_REQUEST_RELEASED);
	assert_int_equal(e->seen.releases, 1);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(held_answer(e, 0, "/app", &empty));
	head_sent(&e->r[0], 204);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(held_answer(e, 0, "/app", &sse)); /* a stream goes as it comes */
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	/* the frontend can hold no more (an HTTP/2 connection's budget): it
	 * goes as it came, what was held first; a transformation's fails */
	assert_true(held_answer(e, 0, "/app", &plain));
	assert_int_equal(sg_request_response_data(&e->r[0], "xy", 2, &rest, &nrest),
			 SG_REQUEST_HELD);
	assert_int_equal(sg_request_response_unhold(&e->r[0]), SG_REQUEST_RELEASED);
	assert_int_equal(e->seen.releases, 2);
	assert_string_equal(e->seen.body, "xy");
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	assert_true(held_answer(e, 0, "/held", &plain));
	assert_int_equal(sg_request_response_unhold(&e->r[0]), SG_REQUEST_GONE);
	assert_int_equal(e->seen.status, 503);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " size=3 pre=abc\n"));
	assert_non_null(strstr(log, " pre=01234567\n"));
	assert_null(strstr(log, "size=10"));
	assert_non_null(strstr(log, " size=0 pre=\n"));
	assert_non_null(strstr(log, " engine=copy\n"));	      /* the stream's line: neither field */
	assert_non_null(strstr(log, " size=6 pre=hello!\n")); /* the direct response's */
	assert_non_null(strstr(log, " pre=xy\n"));
}

/* An access log reading response.headers reads the head the client got,
 * once it went out: a forwarded one's fields less those the route's
 * edits removed, plus theirs; a held one's with its new Content-Length;
 * the gateway's own answer's (its edit's lines, its length, text/plain
 * for a failure's text). A field the head lacks is left out. Nothing is
 * kept on a listener whose log does not read them. */
static void test_request_log_reads_response_headers(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[2][4];
	struct sg_h1_resp plain, json;
	struct sg_h1_edit edit;
	const char *rest;
	size_t nrest;
	char log[4096];

	response(&plain, slots[0],
		 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
		 "Content-Length: 3\r\n\r\n");
	response(&json, slots[1],
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n");
	START(e, "frontendPolicies:\n"
		 "  accessLog:\n"
		 "    filter: '\"content-length\" in response.headers'\n"
		 "    add: {ct: 'response.headers[\"content-type\"]', "
		 "len: 'response.headers[\"content-length\"]', "
		 "xn: 'response.headers[\"x-n\"]', xd: 'response.headers[\"x-direct\"]'}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	/* forwarded as it came */
	assert_false(held_answer(e, 0, "/app", &plain));
	sg_request_transform_response(&e->r[0], &plain);
	sg_filter_response_edit(&e->r[0].plan, &edit);
	sg_request_response_head(&e->r[0], &plain, &edit);
	assert_non_null(e->r[0].log_head);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_head);
	logged_next(e);

	/* held and transformed: x-n added, the new body's length */
	assert_true(held_answer(e, 0, "/held", &json));
	assert_int_equal(sg_request_response_data(&e->r[0], "{\"a\": 1}", 8, &rest, &nrest),
			 SG_REQUEST_HELD);
	sg_request_response_end(&e->r[0], 0, NULL, 0);
	assert_int_equal(e->seen.responds, 1);
	assert_string_equal(e->seen.body, "{\"a\":1,\"n\":8}");
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	/* the gateway's own answers: a direct response and a failure */
	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	/* (its one token: a head without a Content-Length, the filter
	 * leaves its line out) */
	assert_false(held_answer(e, 0, "/limited", &json));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	assert_false(begin(e, 0, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.status, 429);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, "http.path=/app "));
	assert_non_null(strstr(log, " ct=text/html len=3\n"));
	assert_non_null(strstr(log, " ct=application/json len=13 xn=8\n"));
	assert_non_null(strstr(log, " len=6 xd=yes\n"));
	assert_non_null(strstr(log, "http.status=429 "));
	assert_non_null(strstr(log, " ct=text/plain len=19\n"));
	assert_null(strstr(log, "http.path=/limited http.version=HTTP/1.1 http.status=200"));
}

/* An access log reading request.body: the listener's routes hold the
 * body while the line is written (not with the log off), up to
 * maxBufferSize (a declared length over it is answered 413), and the
 * line reads the copy kept for it once the frontend's is gone. */
static void test_request_log_reads_request_body(void **state)
{
	struct env *e = *state;
	char log[4096];

	START(e, "frontendPolicies:\n"
		 "  http: {maxBufferSize: 64}\n"
		 "  accessLog:\n"
		 "    add: {b: 'string(request.body)', n: 'size(request.body)'}\n");
	/* the log off: nothing is held */
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			  "5\r\n\r\n"));
	assert_false(e->r[0].body_wanted);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			  "5\r\n\r\n"));
	assert_true(e->r[0].body_wanted && e->r[0].at.replayable);
	e->held = "hello";
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	e->held = NULL; /* the frontend's is gone */
	head_sent(&e->r[0], 200);
	assert_non_null(e->r[0].log_body);
	sg_request_log(&e->r[0], 0, 0);
	assert_null(e->r[0].log_body);
	logged_next(e);

	/* no body: empty bytes */
	assert_true(begin(e, 0, "GET /app HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 2);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);

	assert_false(begin(e, 0,
			   "POST /app HTTP/1.1\r\nHost: web.example\r\nContent-Length: "
			   "65\r\n\r\n"));
	assert_int_equal(e->seen.status, 413);
	sg_request_log(&e->r[0], 0, 0);
	logged_next(e);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, "http.method=POST http.host=web.example http.path=/app "));
	assert_non_null(strstr(log, " b=hello n=5\n"));
	assert_non_null(strstr(log, "http.method=GET http.host=web.example http.path=/app "));
	assert_non_null(strstr(log, " b= n=0\n"));
	assert_non_null(strstr(log, "http.status=413 "));
}

/* A listener whose log reads no response.headers keeps no head. */
static void test_request_log_keeps_no_head_unasked(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[4];
	struct sg_h1_resp plain;

	response(&plain, slots, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	START(e, "frontendPolicies:\n  accessLog:\n    add: {c: 'response.code'}\n");
	assert_false(held_answer(e, 0, "/app", &plain));
	sg_request_response_head(&e->r[0], &plain, NULL);
	assert_null(e->r[0].log_head);
	sg_request_log(&e->r[0], 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_response_held_and_transformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_response_past_the_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_response_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_response_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_keeps_no_head_unasked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_reads_request_body, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
