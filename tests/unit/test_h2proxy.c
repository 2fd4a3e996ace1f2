/* Unit tests of the HTTP/2 frontend (user/http2/h2proxy.c) through its
 * public API on a real loop: the client is one end of a socketpair handed
 * to sg_h2proxy_accept, spoken to by the project's own HTTP/2 codec as a
 * client session (user/codec/h2.h, as an HTTP/2 backend is spoken to);
 * the backend a loopback listener the test answers by hand between loop
 * passes. What is asserted is what each side sees: each stream's status,
 * fields, body and reset, the request head the backend got, the access
 * log line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h2env.h"

/* ---- cases ------------------------------------------------------------------------ */

/* No route takes the path: 404 with the failure text on the stream, the
 * connection carries on (a directResponse on it next). */
static void test_h2proxy_no_route_404(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/nothing", NULL, NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "404");
	assert_string_equal(e->st[0].fields, "content-length=15;content-type=text/plain;");
	assert_string_equal(e->st[0].body, "route not found");
	assert_int_equal(e->st[0].heads, 1);

	ask(e, 1, "GET", "/direct", NULL, NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "418");
	assert_string_equal(e->st[1].body, "hello!");
	assert_int_equal(e->nbe, 0);
	assert_int_equal(e->goaways, 0);
}

/* RFC 9113 §8.3.1: a Host field naming another entity than :authority
 * makes the request malformed: 400 on that stream, never routed, and the
 * connection carries on; one naming the same entity (case, default port)
 * is served. */
static void test_h2proxy_host_differing_from_authority_400(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/direct", NULL, "host", "other.example", NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "400");
	assert_string_equal(e->st[0].body, "bad request");
	ask(e, 1, "GET", "/direct", NULL, "host", "WEB.example:80", NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "418");
	assert_string_equal(e->st[1].body, "hello!");
	assert_int_equal(e->nbe, 0);
	assert_int_equal(e->goaways, 0);
}

/* A :path byte from 0x80 up: 400 on that stream (as HTTP/1 answers such
 * a target), not routed; the connection carries on. */
static void test_h2proxy_non_ascii_path_400(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/direct\xc3\xa9", NULL, NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "400");
	assert_string_equal(e->st[0].body, "bad request");
	ask(e, 1, "GET", "/direct", NULL, NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "418");
	assert_int_equal(e->goaways, 0);
}

/* A GET goes to the HTTP/1 backend as an HTTP/1.1 request; its response
 * comes back on the stream: status, fields, exact body; one log line. */
static void test_h2proxy_get_relayed_from_http1_backend(void **state)
{
	struct env *e = *state;
	char log[2048];
	char want[256];

	start(e);
	capture_log(e);
	ask(e, 0, "GET", "/app/x?q=1", NULL, "user-agent", "t/1", NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	assert_true(!strncmp(e->be[0].in, "GET /app/x?q=1 HTTP/1.1\r\n", 25));
	assert_non_null(strstr(e->be[0].in, "\r\nhost: web.example\r\n"));
	assert_non_null(strstr(e->be[0].in, "\r\nuser-agent: t/1\r\n"));
	say(e->be[0].fd, "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Be: one\r\n\r\nhello");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "201");
	assert_string_equal(e->st[0].fields, "content-length=5;x-be=one;");
	assert_string_equal(e->st[0].body, "hello");
	assert_int_equal(e->st[0].code, 0);
	UNTIL(e, e->stats.requests_active == 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	snprintf(want, sizeof(want),
		 "info  request gateway=default/default listener=bind/8080/web "
		 "route=bind/8080/web/app endpoint=127.0.0.1:%u src.addr=192.0.2.7:40000 "
		 "http.method=GET http.host=web.example http.path=/app/x?q=1 "
		 "http.version=HTTP/2 http.status=201 protocol=HTTP attempts=1 ",
		 e->port);
	assert_true(!strncmp(log, want, strlen(want)));
	assert_non_null(strstr(log, " bytes_in=0 bytes_out=5 engine=copy\n"));
	assert_int_equal(strchr(log, '\n') - log, (long)strlen(log) - 1); /* one line */
}

/* Two streams at once, each on a backend connection of its own, answered
 * in the other order: each gets its own response. */
static void test_h2proxy_two_streams_at_once(void **state)
{
	struct env *e = *state;
	struct side *one, *two;

	start(e);
	ask(e, 0, "GET", "/app/1", NULL, NULL);
	ask(e, 1, "GET", "/app/2", NULL, NULL);
	UNTIL(e, e->nbe == 2 && strstr(e->be[0].in, "\r\n\r\n") && strstr(e->be[1].in, "\r\n\r\n"));
	one = strstr(e->be[0].in, "GET /app/1 ") == e->be[0].in ? &e->be[0] : &e->be[1];
	two = one == &e->be[0] ? &e->be[1] : &e->be[0];
	assert_true(!strncmp(two->in, "GET /app/2 HTTP/1.1\r\n", 21));
	say(two->fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
	UNTIL(e, e->st[1].ended);
	assert_false(e->st[0].ended);
	assert_int_equal(e->st[0].heads, 0);
	say(one->fd, "HTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\none");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "202");
	assert_string_equal(e->st[0].body, "one");
	assert_string_equal(e->st[1].status, "200");
	assert_string_equal(e->st[1].body, "two");
}

/* A gRPC call no backend can take (connect refused): trailers-only, one
 * HEADERS with :status 200, content-type, grpc-status 14, the
 * percent-encoded cause and content-length 0, ending the stream, no DATA. */
static void test_h2proxy_grpc_failure_trailers_only(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "POST", "/dead/pkg.Svc/Call", NULL, "content-type", "application/grpc", "te",
	    "trailers", NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(
		e->st[0].fields,
		"content-type=application/grpc;grpc-status=14;"
		"grpc-message=upstream%20call%20failed:%20connect:%20connection%20refused;"
		"content-length=0;");
	assert_int_equal(e->st[0].heads, 1);
	assert_int_equal(e->st[0].body_len, 0);
	assert_false(e->st[0].trailered);
	assert_int_equal(e->st[0].code, 0);
}

/* The client resets its stream before the answer: the backend's
 * connection is closed (the request is abandoned), the stream is gone,
 * the request is over (not active), and the connection serves the next. */
static void test_h2proxy_client_reset_before_answer(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/app/slow", NULL, NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	assert_int_equal(e->stats.requests_active, 1);
	assert_int_equal(sg_h2_reset(e->client, e->st[0].id, SG_H2_CANCEL), 0);
	UNTIL(e, e->be[0].eof);
	assert_true(e->st[0].closed);
	assert_int_equal(e->st[0].code, SG_H2_CANCEL);
	assert_int_equal(e->st[0].heads, 0);
	UNTIL(e, e->stats.requests_active == 0);

	ask(e, 1, "GET", "/app/next", NULL, NULL);
	UNTIL(e, e->nbe == 2 && strstr(e->be[1].in, "\r\n\r\n"));
	assert_true(!strncmp(e->be[1].in, "GET /app/next HTTP/1.1\r\n", 24));
	say(e->be[1].fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "200");
	assert_string_equal(e->st[1].body, "ok");
	assert_int_equal(e->goaways, 0);
}

/* A POST's DATA reaches the backend after its head: chunked when the
 * client gave no content-length, as it is when it did; the response's
 * body comes back. */
static void test_h2proxy_post_body_relayed(void **state)
{
	struct env *e = *state;
	static const char chunked[] = "POST /app/up HTTP/1.1\r\n"
				      "host: web.example\r\n"
				      "content-type: text/plain\r\n"
				      "X-Forwarded-For: 192.0.2.7\r\n"
				      "transfer-encoding: chunked\r\n"
				      "\r\n"
				      "14\r\na body of 20 bytes..\r\n0\r\n\r\n";
	static const char sized[] = "POST /app/up2 HTTP/1.1\r\n"
				    "host: web.example\r\n"
				    "content-length: 20\r\n"
				    "X-Forwarded-For: 192.0.2.7\r\n"
				    "\r\n"
				    "a body of 20 bytes..";

	start(e);
	ask(e, 0, "POST", "/app/up", "a body of 20 bytes..", "content-type", "text/plain", NULL);
	UNTIL(e, e->nbe == 1 && e->be[0].len >= sizeof(chunked) - 1);
	assert_string_equal(e->be[0].in, chunked);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngot!");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(e->st[0].body, "got!");

	e->be[0].len = 0; /* the pooled connection serves the next */
	ask(e, 1, "POST", "/app/up2", "a body of 20 bytes..", "content-length", "20", NULL);
	UNTIL(e, e->be[e->nbe - 1].len >= sizeof(sized) - 1);
	assert_int_equal(e->nbe, 1);
	assert_string_equal(e->be[0].in, sized);
	say(e->be[0].fd, "HTTP/1.1 204 No Content\r\n\r\n");
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "204");
	assert_int_equal(e->st[1].body_len, 0);
}

/* The keep-alive race from an HTTP/2 client (issue 63): the HTTP/1
 * backend reads a GET on a pooled connection and closes it unanswered;
 * the GET goes again on a new connection, once, not as a try. */
static void test_h2proxy_keep_alive_race(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/app/1", NULL, NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
	UNTIL(e, e->st[0].ended);
	e->be[0].len = 0;
	e->be[0].in[0] = '\0';
	ask(e, 1, "GET", "/app/2", NULL, NULL);
	UNTIL(e, strstr(e->be[0].in, "\r\n\r\n"));
	assert_int_equal(e->nbe, 1); /* on the pooled connection */
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->nbe == 2 && strstr(e->be[1].in, "\r\n\r\n"));
	assert_true(!strncmp(e->be[1].in, "GET /app/2 HTTP/1.1\r\n", 21));
	assert_null(strstr(e->be[1].in, "x-retry-attempt"));
	say(e->be[1].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "200");
	assert_string_equal(e->st[1].body, "2");
}

/* A HEAD answered by the route (directResponse): the head alone, its
 * content-length the body's, no DATA. */
static void test_h2proxy_head_gets_head_alone(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "HEAD", "/direct", NULL, NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "418");
	assert_string_equal(e->st[0].fields, "content-length=6;");
	assert_int_equal(e->st[0].body_len, 0);
	assert_int_equal(e->st[0].heads, 1);
}

/* maxConcurrentRequests 1: a second stream while the first is in
 * progress gets 503 "request limit exceeded" on its own stream, the first
 * is answered, and a stream after it is let in. */
static void test_h2proxy_admission_503_on_the_stream(void **state)
{
	struct env *e = *state;

	e->f.admit = sg_admit_new();
	assert_non_null(e->f.admit);
	start_with(e, "frontendPolicies:\n  http: {maxConcurrentRequests: 1}\n");
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_CONN, 8080), 1);
	ask(e, 0, "GET", "/app/1", NULL, NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	ask(e, 1, "GET", "/app/2", NULL, NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "503");
	assert_string_equal(e->st[1].body, "request limit exceeded");
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
	assert_false(e->st[0].ended);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].body, "1");
	UNTIL(e, sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080) == 0);
	ask(e, 2, "GET", "/direct", NULL, NULL);
	UNTIL(e, e->st[2].ended);
	assert_string_equal(e->st[2].status, "418");
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
}

/* A drain: GOAWAY to the client, the stream in flight still answered,
 * then the connection closes. */
static void test_h2proxy_drain_finishes_the_stream(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/app/d", NULL, NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	sg_h2proxy_drain(&e->f);
	UNTIL(e, e->goaways == 1);
	assert_false(e->st[0].ended);
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast");
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(e->st[0].body, "last");
	UNTIL(e, e->client_eof);
	UNTIL(e, e->stats.active == 0);
}

/* No backend takes the connect: 503 with the cause on the stream. */
static void test_h2proxy_connect_refused_503(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/dead", NULL, NULL);
	UNTIL(e, e->st[0].ended);
	assert_string_equal(e->st[0].status, "503");
	assert_string_equal(e->st[0].body, "upstream call failed: connect: connection refused");
	assert_int_equal(e->st[0].code, 0);
}

/* The backend closes in the middle of its body: the head and the bytes
 * that came are relayed, then the stream is reset with INTERNAL_ERROR
 * (never ended as if whole); the connection serves the next stream. */
static void test_h2proxy_truncated_response_resets_the_stream(void **state)
{
	struct env *e = *state;

	start(e);
	ask(e, 0, "GET", "/app/t", NULL, NULL);
	UNTIL(e, e->nbe == 1 && strstr(e->be[0].in, "\r\n\r\n"));
	say(e->be[0].fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	UNTIL(e, e->st[0].body_len == 3);
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->st[0].closed);
	assert_string_equal(e->st[0].status, "200");
	assert_string_equal(e->st[0].body, "abc");
	assert_false(e->st[0].ended);
	assert_int_equal(e->st[0].code, SG_H2_INTERNAL_ERROR);
	ask(e, 1, "GET", "/direct", NULL, NULL);
	UNTIL(e, e->st[1].ended);
	assert_string_equal(e->st[1].status, "418");
	assert_int_equal(e->goaways, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h2proxy_no_route_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_non_ascii_path_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_host_differing_from_authority_400,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_get_relayed_from_http1_backend, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_two_streams_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_keep_alive_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_post_body_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_head_gets_head_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_grpc_failure_trailers_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_connect_refused_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_truncated_response_resets_the_stream,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_admission_503_on_the_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_drain_finishes_the_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_h2proxy_client_reset_before_answer, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
