/* Unit tests of user/core/request.c, one request's life for every frontend,
 * on a real loop, a real config and real loopback backends: the frontend
 * is a fake sink that records what the request module asks of it (the
 * answers the gateway makes, a cut, a try's send), and what is asserted
 * is what a client would see through it (status, edit lines, exact body),
 * what a backend would receive, the stats and the access log line. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reqenv.h"

/* ---- routing ---------------------------------------------------------------- */

/* A routed request is forwarded: nothing is answered, its listener and
 * route are the ones its Host and path choose, the routed hook ran once
 * and the body watchdog runs with --body-idle-timeout. */
static void test_request_routed_and_forwarded(void **state)
{
	struct env *e = *state;

	e->f.body_idle_ms = 5000;
	START(e, "");
	assert_true(begin(e, 0, "GET /app/x HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.routed, 1);
	assert_int_equal(e->seen.answers + e->seen.cuts + e->seen.sends, 0);
	assert_non_null(e->r[0].listener);
	assert_string_equal(e->r[0].listener->key, "bind/8080/web");
	assert_non_null(e->r[0].at.route);
	assert_string_equal(e->r[0].at.route->key, "bind/8080/web/app");
	assert_true(e->r[0].held);
	assert_false(e->r[0].is_head);
	assert_int_equal(e->r[0].status, 0);
	assert_int_equal(e->r[0].body_idle.limit, 5000);
	assert_false(e->r[0].route_idle);
	assert_int_equal(e->stats.requests_active, 1);
	assert_int_equal(counted_all(e), 0); /* counted when answered */
}

/* A path no route takes: 404 with the failure text, counted under its
 * listener with no route. */
static void test_request_no_route_404(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /nothing HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.routed, 1);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.body, "route not found");
	assert_true(e->seen.text);
	assert_string_equal(e->seen.lines, "");
	assert_string_equal(e->r[0].listener->key, "bind/8080/web");
	assert_null(e->r[0].at.route);
	assert_int_equal(counted(e, "bind/8080/web", "", 404), 1);
	assert_int_equal(counted_all(e), 1);
}

/* A Host that no listener of the bind takes: 404, counted under the bind. */
static void test_request_host_without_listener_404(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /app HTTP/1.1\r\nHost: other.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.body, "route not found");
	assert_null(e->r[0].listener);
	assert_null(e->r[0].at.route);
	assert_int_equal(counted(e, "bind/8080", "", 404), 1);
	assert_int_equal(counted_all(e), 1);
}

/* Requests in turn on one struct sg_request (an HTTP/1 connection's),
 * ended as the frontends end one (logged, released, its plan reset): the
 * second, with no route, gets no line of the first's route response edit,
 * and each is counted and logged once. */
static void test_request_in_turn_forget_the_last(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_string_equal(e->seen.lines, "X-Direct: yes\n");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 2);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.lines, "");
	assert_null(e->r[0].at.route);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log,
			    "info  request gateway=default/default listener=bind/8080/web "
			    "route=bind/8080/web/direct endpoint=- src.addr=192.0.2.7:40000 "
			    "http.method=GET http.host=web.example http.path=/direct "
			    "http.version=HTTP/1.1 http.status=418 protocol=HTTP attempts=1 "
			    "duration=0ms bytes_in=0 bytes_out=0 engine=copy\n"
			    "info  request gateway=default/default listener=bind/8080/web "
			    "route=- endpoint=- src.addr=192.0.2.7:40000 http.method=GET "
			    "http.host=web.example http.path=/none http.version=HTTP/1.1 "
			    "http.status=404 protocol=HTTP attempts=1 duration=0ms bytes_in=0 "
			    "bytes_out=0 engine=copy reason=no_route error=\"route not found\"\n");
	assert_int_equal(counted_all(e), 2);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 0);
}

/* src.addr is the client's socket address, as agentgateway logs it: its
 * port after the address, an IPv6 one in brackets. */
static void test_request_log_src_addr_ipv6(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	e->r[0].ip = "2001:db8::7";
	assert_false(begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " src.addr=[2001:db8::7]:40000 http.method=GET "));
}

/* ---- admission -------------------------------------------------------------- */

/* maxConcurrentRequests 1: a second request while the first is in
 * progress gets 503 "request limit exceeded" (counted as refused); once
 * the first is released, another is let in. */
static void test_request_admission_503_and_release(void **state)
{
	struct env *e = *state;

	START(e, "frontendPolicies:\n  http: {maxConcurrentRequests: 1}\n");
	assert_true(begin(e, 0, "GET /app/1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);

	assert_false(begin(e, 1, "GET /app/2 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "request limit exceeded");
	assert_true(e->seen.text);
	assert_false(e->r[1].held);
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 503), 1);
	sg_request_release(&e->r[1]); /* not held: gives nothing back */
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);

	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_request_release(&e->r[0]); /* once */
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 0);

	assert_true(begin(e, 1, "GET /app/3 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_true(e->r[1].held);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_REQ, 8080), 1);
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_REQ], 1);
}

/* ---- the route's own answers --------------------------------------------- */

/* A directResponse: its status and exact body, the route's response edit,
 * not the gateway's failure text; no try. */
static void test_request_direct_response(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /direct/x HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 418);
	assert_string_equal(e->seen.body, "hello!");
	assert_int_equal(e->seen.body_len, 6);
	assert_false(e->seen.text);
	assert_string_equal(e->seen.lines, "X-Direct: yes\n");
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/direct", 418), 1);
}

/* directResponse's CEL: bodyExpression (a map is written as JSON) and
 * headers (a line whose expression fails is left out); a body expression
 * that fails answers 500, agentgateway's invalid filter configuration. */
static void test_request_direct_response_expressions(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /expr HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.body, "{\"path\":\"/expr\",\"n\":1}");
	assert_string_equal(e->seen.lines, "x-method: GET\n");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_false(begin(e, 0, "GET /broken HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 2);
	assert_int_equal(e->seen.status, 500);
	assert_true(e->seen.text);
	assert_int_equal(e->seen.sends, 0);
}

/* A route whose expressions read request.body: its filters wait for the
 * body (begin plans nothing), then run over it at start: an
 * authorization rule refuses by it (403), a transformation sets a header
 * from it and replaces it, and the head the backend gets says the new
 * body's length. A declared length over maxBufferSize is answered 413
 * before any of it is read. */
static void test_request_body_held_for_expressions(void **state)
{
	struct env *e = *state;

	START(e, "frontendPolicies:\n  http: {maxBufferSize: 64}\n");
	assert_false(begin(
		e, 0, "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nContent-Length: 65\r\n\r\n"));
	assert_int_equal(e->seen.status, 413);
	assert_string_equal(e->seen.body, "payload too large");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(
		e, 0, "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nContent-Length: 18\r\n\r\n"));
	assert_true(e->r[0].body_wanted && e->r[0].at.replayable);
	assert_int_equal(e->r[0].body_max, 64);
	e->held = "{\"user\":\"mallory\"}";
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.status, 403);
	assert_string_equal(e->seen.body, "authorization failed");
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 0,
			  "POST /bodyx HTTP/1.1\r\nHost: web.example\r\nTransfer-Encoding: "
			  "chunked\r\n\r\n"));
	e->held = "{\"user\":\"alice\"}";
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 2);
	assert_true(!strncmp(e->seen.sent, "POST /bodyx HTTP/1.1\r\n", 22));
	assert_non_null(strstr(e->seen.sent, "\r\ncontent-length: 15\r\n"));
	assert_null(strstr(e->seen.sent, "Transfer-Encoding"));
	assert_non_null(strstr(e->seen.sent, "\r\nx-user: alice\r\n"));
	assert_true(e->r[0].plan.body_set);
	assert_int_equal(e->r[0].plan.new_body.len, 15);
	assert_memory_equal(e->r[0].plan.new_body.p, "{\"who\":\"alice\"}", 15);
	sg_request_free(&e->r[0]);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	start(e, e->f.cfg);

	/* no body came, none goes (the expression failed: empty): the head
	 * gets no content-length */
	assert_true(begin(e, 0, "GET /bodyx HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	e->held = NULL;
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 2);
	assert_null(strstr(e->seen.sent, "content-length"));
	assert_int_equal(e->r[0].plan.new_body.len, 0);
}

/* A requestRedirect: the status and Location, no body. */
static void test_request_redirect(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "GET /old/page?q=1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 301);
	assert_string_equal(e->seen.lines, "location: https://example.org/old/page?q=1\n");
	assert_int_equal(e->seen.body_len, 0);
	assert_false(e->seen.text);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/redirect", 301), 1);
}

/* HEAD is flagged, so that the frontend answers with the head alone. */
static void test_request_head_flag(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0, "HEAD /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_true(e->r[0].is_head);
	assert_int_equal(e->seen.status, 418);
	assert_false(begin(e, 1, "GET /direct HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_false(e->r[1].is_head);
}

/* ---- failures ----------------------------------------------------------------- */

/* A gRPC caller's failure: 200 with content-type, grpc-status and a
 * percent-encoded grpc-message, no body. */
static void test_request_grpc_failure(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_false(begin(e, 0,
			   "POST /pkg.Svc/Call HTTP/1.1\r\nHost: web.example\r\n"
			   "Content-Type: application/grpc+proto\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines, "content-type: application/grpc\n"
					   "grpc-status: 12\n"
					   "grpc-message: route%20not%20found\n");
	assert_int_equal(e->seen.body_len, 0);
	assert_false(e->seen.text);
	assert_int_equal(counted(e, "bind/8080/web", "", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* A failure once part of the response went out: the response is cut,
 * nothing is answered, the status it began with stays counted alone. */
static void test_request_failure_after_response_began_cuts(void **state)
{
	struct env *e = *state;

	START(e, "");
	assert_true(begin(e, 0, "GET /app HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	head_sent(&e->r[0], 200);
	e->r[0].resp_started = true;
	sg_request_fail(&e->r[0], SG_FAIL_RESET, ECONNRESET);
	assert_int_equal(e->seen.cuts, 1);
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(e->r[0].status, 200);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* ---- counted and logged once ------------------------------------------------- */

/* A request answered is counted once with its status and leaves one
 * access log line with what the client saw, however often it is logged;
 * the active requests gauge goes back to 0 once. */
static void test_request_counted_and_logged_once(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct/a?b=c HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->stats.requests_active, 1);
	e->r[0].bytes_in = 3;
	e->r[0].bytes_out = 5;
	sg_request_log(&e->r[0], 2, 4);
	sg_request_log(&e->r[0], 2, 4);
	assert_null(e->r[0].req);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "info  request gateway=default/default listener=bind/8080/web "
				 "route=bind/8080/web/direct endpoint=- src.addr=192.0.2.7:40000 "
				 "http.method=GET http.host=web.example http.path=/direct/a?b=c "
				 "http.version=HTTP/1.1 http.status=418 protocol=HTTP attempts=1 "
				 "duration=0ms bytes_in=5 bytes_out=9 engine=copy\n");
	assert_int_equal(e->stats.requests_active, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/direct", 418), 1);
	assert_int_equal(counted_all(e), 1);
}

/* The JSON line of a request no listener took: empty names. */
static void test_request_logged_json_without_listener(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_JSON);
	assert_false(begin(e, 0, "DELETE /x HTTP/1.1\r\nHost: nobody.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log,
			    "{\"level\":\"info\",\"gateway\":\"\",\"listener\":\"\","
			    "\"route\":\"\",\"endpoint\":\"\",\"src.addr\":\"192.0.2.7:40000\","
			    "\"http.method\":\"DELETE\",\"http.host\":\"nobody.example\","
			    "\"http.path\":\"/x\",\"http.version\":\"HTTP/1.1\","
			    "\"http.status\":404,\"protocol\":\"HTTP\",\"attempts\":1,"
			    "\"duration_ms\":0,\"bytes_in\":0,\"bytes_out\":0,\"engine\":\"copy\","
			    "\"reason\":\"no_route\",\"error\":\"route not found\"}\n");
}

/* frontendPolicies.accessLog: its filter leaves out the request it is
 * false for (still counted), its fields are added at the end of the line
 * (a name the line has is replaced there) and its removed names are gone. */
static void test_request_log_policy_text(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "frontendPolicies:\n"
		 "  accessLog:\n"
		 "    filter: 'request.path.startsWith(\"/direct\")'\n"
		 "    add:\n"
		 "      user: 'request.headers[\"x-user\"]'\n"
		 "      http.host: '\"hidden\"'\n"
		 "      code: 'response.code + 1'\n"
		 "      missing: 'request.headers[\"x-none\"]'\n"
		 "    remove: [src.addr, duration, engine]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(
		begin(e, 0, "GET /direct HTTP/1.1\r\nHost: web.example\r\nX-User: ann\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "info  request gateway=default/default listener=bind/8080/web "
				 "route=bind/8080/web/direct endpoint=- http.method=GET "
				 "http.path=/direct http.version=HTTP/1.1 http.status=418 "
				 "protocol=HTTP attempts=1 bytes_in=0 bytes_out=0 user=ann "
				 "http.host=hidden code=419\n");
	assert_int_equal(counted_all(e), 2);
}

/* config.logging: its format (json) and fields when no accessLog policy
 * has any; numbers, lists and maps are JSON, strings escaped. */
static void test_request_log_policy_json_from_config(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "config:\n"
		 "  logging:\n"
		 "    format: json\n"
		 "    fields:\n"
		 "      add:\n"
		 "        n: '1 + 2'\n"
		 "        l: '[1, \"a\\\"b\", true]'\n"
		 "        m: '{\"k\": request.method}'\n"
		 "      remove: [gateway, listener, route, endpoint, src.addr, http.host,\n"
		 "               http.version, protocol, attempts, duration, bytes_in,\n"
		 "               bytes_out, engine, reason, error]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "PUT /q\"x HTTP/1.1\r\nHost: nobody.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "{\"level\":\"info\",\"http.method\":\"PUT\","
				 "\"http.path\":\"/q\\\"x\",\"http.status\":404,\"n\":3,"
				 "\"l\":[1,\"a\\\"b\",true],\"m\":{\"k\":\"PUT\"}}\n");
}

/* The context beyond the head: source.port (the connection's), request.uri,
 * env.* (POD_NAME, NAMESPACE and GATEWAY, as agentgateway reads them; an
 * unset one is absent) and the request's start and end times. */
static void test_request_log_policy_context(void **state)
{
	struct env *e = *state;
	char log[2048];

	setenv("POD_NAME", "pod-7", 1);
	unsetenv("NAMESPACE");
	START(e, "config:\n"
		 "  logging:\n"
		 "    format: json\n"
		 "    fields:\n"
		 "      add:\n"
		 "        port: source.port\n"
		 "        uri: request.uri\n"
		 "        pod: env.podName\n"
		 "        ns: 'default(env.namespace, \"none\")'\n"
		 "        times: 'request.startTime <= request.endTime &&\n"
		 "          request.endTime - request.startTime < duration(\"60s\") &&\n"
		 "          request.startTime > timestamp(\"2026-01-01T00:00:00Z\")'\n"
		 "      remove: [gateway, listener, route, endpoint, src.addr, http.host,\n"
		 "               http.version, protocol, attempts, duration, bytes_in,\n"
		 "               bytes_out, engine, reason, error]\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /direct?a=1 HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "{\"level\":\"info\",\"http.method\":\"GET\","
				 "\"http.path\":\"/direct?a=1\",\"http.status\":418,\"port\":40000,"
				 "\"uri\":\"http://web.example/direct?a=1\",\"pod\":\"pod-7\","
				 "\"ns\":\"none\",\"times\":true}\n");
}

/* config.logging level warn: no request line (agentgateway's are info);
 * --access-log given (fixed) keeps its own format over config.logging's. */
static void test_request_log_level_and_fixed_format(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "config:\n  logging: {level: warn}\n");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	assert_string_equal(log, "");
	assert_int_equal(counted_all(e), 1);

	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);
	capture_log(e, SG_ACCESS_LOG_TEXT);
	e->f.access_log_fixed = true;
	assert_false(begin(e, 0, "GET /none HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	assert_non_null(strstr(log, " info  request gateway="));
}

/* A request that never began (no head yet) logs nothing. */
static void test_request_not_begun_not_logged(void **state)
{
	struct env *e = *state;
	char log[256];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_string_equal(log, "");
}

/* A route's local rate limit: the first request takes the token and is
 * forwarded; the next is answered 429 with the failure text and the
 * x-ratelimit-* lines; a gRPC caller's gets grpc-status 14 with them. */
static void test_request_rate_limit_refused_429(void **state)
{
	struct env *e = *state;
	static const char lines[] = "x-ratelimit-limit: 1\n"
				    "x-ratelimit-remaining: 0\n"
				    "x-ratelimit-reset: ";
	unsigned long reset;

	START(e, "");
	assert_true(begin(e, 0, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_false(begin(e, 1, "GET /limited HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 429);
	assert_string_equal(e->seen.body, "rate limit exceeded");
	assert_true(e->seen.text);
	assert_true(!strncmp(e->seen.lines, lines, sizeof(lines) - 1));
	reset = strtoul(e->seen.lines + sizeof(lines) - 1, NULL, 10);
	assert_true(reset >= 1 && reset <= 3600);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/limited", 429), 1);

	sg_request_log(&e->r[1], 0, 0);
	sg_request_release(&e->r[1]);
	sg_filter_plan_reset(&e->r[1].plan);
	assert_false(begin(e, 1,
			   "POST /limited/S/M HTTP/1.1\r\nHost: web.example\r\n"
			   "Content-Type: application/grpc\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(e->seen.status, 200);
	assert_false(e->seen.text);
	assert_true(!strncmp(e->seen.lines,
			     "content-type: application/grpc\n"
			     "grpc-status: 14\n"
			     "grpc-message: rate%20limit%20exceeded\n"
			     "x-ratelimit-limit: 1\n"
			     "x-ratelimit-remaining: 0\n",
			     strlen("content-type: application/grpc\n"
				    "grpc-status: 14\n"
				    "grpc-message: rate%20limit%20exceeded\n"
				    "x-ratelimit-limit: 1\n"
				    "x-ratelimit-remaining: 0\n")));
}

/* ---- tries ----------------------------------------------------------------------- */

/* The first try reaches the backend: its backend's plan is made on top
 * of the route's (X-Route added by the route, removed by the backend,
 * X-Backend added), then the sink sends; the response head is counted,
 * and the log line names the endpoint. */
static void test_request_try_runs_backend_plan_and_sends(void **state)
{
	struct env *e = *state;
	char log[2048], want[128];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /app/y HTTP/1.1\r\nHost: web.example\r\nX-Route: c\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->r[0].phase, SG_REQUEST_ATTEMPT);
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 0);
	assert_non_null(e->r[0].at.backend);
	assert_true(!strncmp(e->seen.sent, "GET /app/y HTTP/1.1\r\nHost: web.example\r\n", 40));
	assert_null(strstr(e->seen.sent, "X-Route"));
	assert_non_null(strstr(e->seen.sent, "\r\nX-Backend: b\r\n"));
	assert_false(sg_attempt_took_status(&e->r[0].at, 200));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 11);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	snprintf(want, sizeof(want), " endpoint=127.0.0.1:%u ", e->port);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log,
			       " http.method=GET http.host=web.example http.path=/app/y "
			       "http.version=HTTP/1.1 http.status=200 protocol=HTTP attempts=1 "));
	assert_non_null(strstr(log, " bytes_in=0 bytes_out=11 engine=copy\n"));
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/app", 200), 1);
	assert_int_equal(counted_all(e), 1);
}

/* Every try refused (retry attempts 2: three tries): the request fails
 * with the last cause, 503 with its text, through the sink's answer and
 * its failed hook; the log counts the three tries. */
static void test_request_tries_exhausted_503(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /dead HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(e->seen.failed, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "upstream call failed: connect: connection refused");
	assert_true(e->seen.text);
	assert_int_equal(e->r[0].at.n, 2);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_non_null(strstr(log, " http.status=503 protocol=HTTP attempts=3 "));
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/dead", 503), 1);
	assert_int_equal(counted_all(e), 1);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 2);
}

/* A response status the route's retry policy lists: the try is given up
 * and the next one sends again, numbered (x-retry-attempt: 1); the one
 * taken is counted once, and the log says two tries. */
static void test_request_retry_on_status(void **state)
{
	struct env *e = *state;
	char log[2048];

	START(e, "");
	capture_log(e, SG_ACCESS_LOG_TEXT);
	assert_true(begin(e, 0, "GET /again HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_null(strstr(e->seen.sent, "x-retry-attempt"));
	assert_true(sg_attempt_took_status(&e->r[0].at, 503));
	UNTIL(e, e->seen.sends == 2);
	assert_int_equal(e->r[0].at.n, 1);
	assert_non_null(strstr(e->seen.sent, "\r\nx-retry-attempt: 1\r\n"));
	assert_false(sg_attempt_took_status(&e->r[0].at, 200));
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	test_capture_end(&e->log, log, sizeof(log));
	test_log_untimed(log);
	assert_non_null(strstr(log, " route=bind/8080/web/again "));
	assert_non_null(strstr(log, " http.status=200 protocol=HTTP attempts=2 "));
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(counted_all(e), 1);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 1);
}

/* retry.condition: a response it holds for is retried as a listed code
 * is (a 200 saying it failed in a header); precondition false (a POST)
 * leaves the request one try, even for a listed code. */
static void test_request_retry_condition_and_precondition(void **state)
{
	struct env *e = *state;
	struct sg_h1_header slots[8];
	struct sg_h1_resp failed = { .headers = slots, .headers_cap = 4 };
	struct sg_h1_resp ok = { .headers = slots + 4, .headers_cap = 2 };
	struct sg_h1_resp busy = { .headers = slots + 6, .headers_cap = 2 };
	static const char failed_text[] = "HTTP/1.1 200 OK\r\nX-Failed: yes\r\n\r\n";
	static const char ok_text[] = "HTTP/1.1 200 OK\r\nX-Failed: no\r\n\r\n";
	static const char busy_text[] = "HTTP/1.1 503 Busy\r\n\r\n";

	assert_int_equal(sg_h1_parse_response(failed_text, strlen(failed_text), 4, &failed),
			 SG_H1_DONE);
	assert_int_equal(sg_h1_parse_response(ok_text, strlen(ok_text), 2, &ok), SG_H1_DONE);
	assert_int_equal(sg_h1_parse_response(busy_text, strlen(busy_text), 2, &busy), SG_H1_DONE);
	START(e, "");
	assert_true(begin(e, 0, "GET /cond HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	UNTIL(e, e->seen.sends == 1);
	assert_true(sg_request_took_response(&e->r[0], &failed));
	UNTIL(e, e->seen.sends == 2);
	assert_true(sg_request_took_response(&e->r[0], &busy));
	UNTIL(e, e->seen.sends == 3);
	assert_false(sg_request_took_response(&e->r[0], &ok));
	assert_int_equal(e->r[0].at.n, 2);
	head_sent(&e->r[0], 200);
	sg_request_log(&e->r[0], 0, 0);
	sg_request_release(&e->r[0]);
	sg_filter_plan_reset(&e->r[0].plan);

	/* Another request (the first one's connection stays with it, as its
	 * frontend would keep it until the response is over). */
	assert_true(begin(e, 1, "POST /cond HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[1]);
	UNTIL(e, e->seen.sends == 4);
	assert_false(sg_request_took_response(&e->r[1], &busy));
	assert_int_equal(e->r[1].at.n, 0);
	assert_int_equal(e->stats.counters[SG_STAT_RETRIES], 2);
}

/* The route's requestMirror: one copy when the first try starts, with
 * the held body asked for once, to the mirror backend, counted as sent
 * once that answers and closes; the request's own try goes on (its
 * backend refuses: 503 as if no mirror were there). */
static void test_request_route_mirror_sent_once(void **state)
{
	struct env *e = *state;
	char copy[1024] = "";
	size_t len = 0;
	int fd = -1;

	START(e, "");
	assert_true(begin(e, 0, "GET /mirrored/m HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.held, 1);
	for (int i = 0; i < 600 && !strstr(copy, "\r\n\r\n"); i++) {
		ssize_t n;

		sg_loop_run_once(e->loop, 5);
		if (fd < 0)
			fd = accept4(e->backend, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0 && (n = read(fd, copy + len, sizeof(copy) - 1 - len)) > 0)
			copy[len += (size_t)n] = '\0';
	}
	assert_true(fd >= 0);
	assert_true(!strncmp(copy, "GET /mirrored/m HTTP/1.1\r\nHost: web.example\r\n", 45));
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 503);
	assert_int_equal(e->seen.held, 1);
	assert_int_equal(write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38), 38);
	close(fd);
	UNTIL(e, e->stats.counters[SG_STAT_MIRROR_SENT] == 1);
	assert_int_equal(e->stats.counters[SG_STAT_MIRROR_FAILED], 0);
}

/* ---- a reload ------------------------------------------------------------------ */

/* A long-lived connection's next head follows the config in force to its
 * bind of the same port; nothing when its config is in force, or when the
 * new config has no such port. */
static void test_request_follow_config(void **state)
{
	struct env *e = *state;
	const struct sg_cfg *old = config(e, 0, WEB_CONFIG(""), e->port, e->refused_port);
	struct sg_cfg *two = config(e, 1,
				    "binds:\n"
				    "- port: 9090\n"
				    "  listeners:\n"
				    "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n"
				    "- port: 8080\n"
				    "  listeners:\n"
				    "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n",
				    e->port);
	struct sg_cfg *gone = config(e, 2,
				     "binds:\n"
				     "- port: 9090\n"
				     "  listeners:\n"
				     "  - routes: [{backends: [{host: 127.0.0.1:%1$u}]}]\n",
				     e->port);
	const struct sg_bind *b;

	e->f.cfg = e->cfgs[0];
	assert_null(sg_request_follow_config(&e->f, old, &old->binds[0]));
	e->f.cfg = two;
	b = sg_request_follow_config(&e->f, old, &old->binds[0]);
	assert_ptr_equal(b, &two->binds[1]);
	assert_int_equal(b->port, 8080);
	assert_null(sg_request_follow_config(&e->f, two, &two->binds[1]));
	e->f.cfg = gone;
	assert_null(sg_request_follow_config(&e->f, old, &old->binds[0]));
	e->f.cfg = NULL; /* the case's configs are unref'd by teardown */
}

/* ---- fault injection (delay, conditional directResponse) ------------------- */

#define FAULT_CONFIG                                                                               \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: web\n"                                                                          \
	"    protocol: HTTP\n"                                                                     \
	"    routes:\n"                                                                            \
	"    - name: late\n"                                                                       \
	"      matches: [{path: {pathPrefix: /late}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        delay: {duration: '\"x-ms\" in request.headers ? 0 : 150'}\n"                     \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"                                               \
	"    - name: gate\n"                                                                       \
	"      matches: [{path: {pathPrefix: /gate}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        directResponse:\n"                                                                \
	"          conditional:\n"                                                                 \
	"          - {condition: 'request.headers[\"x-fail\"] == \"1\"', status: 503, body: "      \
	"boom}\n"                                                                                  \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"                                               \
	"    - name: held\n"                                                                       \
	"      matches: [{path: {pathPrefix: /held}}]\n"                                           \
	"      policies:\n"                                                                        \
	"        delay: {duration: 100ms}\n"                                                       \
	"        directResponse: {status: 200, body: late}\n"

/* A delay is a timer on the loop: sg_request_start returns with nothing
 * sent, the try goes out once it passed; a zero delay sends at once. */
static void test_request_delay_on_the_loop(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	start(e, config(e, 0, FAULT_CONFIG, e->port));
	assert_true(begin(e, 0, "GET /late HTTP/1.1\r\nHost: a\r\n\r\n"));
	t0 = sg_loop_now(e->loop);
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.sends, 0);
	assert_true(sg_timer_armed(&e->r[0].delay));
	UNTIL(e, e->seen.sends == 1);
	assert_true(sg_loop_now(e->loop) >= t0 + 150);
	assert_int_equal(e->seen.answers, 0);
	sg_request_log(&e->r[0], 0, 0);
	sg_attempt_drop(&e->r[0].at);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 1, "GET /late HTTP/1.1\r\nHost: a\r\nx-ms: 0\r\n\r\n"));
	sg_request_start(&e->r[1]);
	assert_false(sg_timer_armed(&e->r[1].delay));
}

/* directResponse's conditional form: the entry whose condition holds
 * answers with its status and exact body; none: forwarded. A route's
 * directResponse waits for its delay. A request failed during its delay
 * (here, its log written) stops the timer. */
static void test_request_conditional_answer_and_delayed_answer(void **state)
{
	struct env *e = *state;

	start(e, config(e, 0, FAULT_CONFIG, e->port));
	assert_false(begin(e, 0, "GET /gate HTTP/1.1\r\nHost: a\r\nx-fail: 1\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 503);
	assert_string_equal(e->seen.body, "boom");
	sg_request_log(&e->r[0], 0, 0);
	sg_filter_plan_reset(&e->r[0].plan);
	assert_true(begin(e, 1, "GET /gate HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(e->seen.answers, 1);
	sg_request_log(&e->r[1], 0, 0);
	sg_filter_plan_reset(&e->r[1].plan);

	assert_true(begin(e, 0, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n"));
	sg_request_start(&e->r[0]);
	assert_int_equal(e->seen.answers, 1);
	UNTIL(e, e->seen.answers == 2);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.body, "late");
	assert_int_equal(e->seen.sends, 0);
	sg_request_log(&e->r[0], 0, 0);
	sg_filter_plan_reset(&e->r[0].plan);

	assert_true(begin(e, 1, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n"));
	sg_request_start(&e->r[1]);
	assert_true(sg_timer_armed(&e->r[1].delay));
	sg_request_fail(&e->r[1], SG_FAIL_REQUEST_TIMEOUT, 0);
	assert_false(sg_timer_armed(&e->r[1].delay));
	assert_int_equal(e->seen.status, 504);
}

/* ---- the body watchdog ------------------------------------------------------- */

/* --body-idle-timeout: no stall before the deadline; at it with no byte
 * moved while a body flows, a stall, and the timeout answers 408 (counted
 * under its own counter); a byte moved in time moves the deadline on. */
static void test_request_body_watchdog(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	e->f.body_idle_ms = 100;
	START(e, "");
	assert_true(begin(e, 0,
			  "POST /app HTTP/1.1\r\nHost: web.example\r\n"
			  "Content-Length: 10\r\n\r\n"));
	t0 = e->r[0].started;
	e->r[0].phase = SG_REQUEST_BODY;
	assert_int_equal(e->r[0].body_idle.due, t0 + 100);
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 99, false, NULL, NULL));
	/* A byte moved at t0 + 50: the deadline is 100 ms after it. */
	e->moved[0] = 1;
	sg_idle_note(&e->r[0].body_idle, t0 + 50, sink_progress(&e->r[0]));
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 100, false, NULL, NULL));
	assert_int_equal(e->r[0].body_idle.due, t0 + 150);
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 149, false, NULL, NULL));
	assert_true(sg_request_body_stalled(&e->r[0], t0 + 150, false, NULL, NULL));
	sg_request_body_timeout(&e->r[0]);
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 408);
	assert_string_equal(e->seen.body, "request body timeout");
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_BODY], 1);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_RESPONSE_IDLE], 0);
	assert_int_equal(e->r[0].body_idle.due, 0);
}

/* While the request waits for a response head (no body flowing), the
 * deadline passing is no stall; the route's responseIdleTimeout replaces
 * --body-idle-timeout and is counted as such. */
static void test_request_body_watchdog_route_idle(void **state)
{
	struct env *e = *state;
	uint64_t t0;

	e->f.body_idle_ms = 100;
	START(e, "");
	assert_true(begin(e, 0, "GET /slow HTTP/1.1\r\nHost: web.example\r\n\r\n"));
	t0 = e->r[0].started;
	assert_true(e->r[0].route_idle);
	assert_int_equal(e->r[0].body_idle.limit, 200);
	e->r[0].phase = SG_REQUEST_ATTEMPT;
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 200, false, NULL, NULL));
	/* The quiet time restarted; the response body then flows, idle. */
	e->r[0].phase = SG_REQUEST_RESPONSE;
	assert_false(sg_request_body_stalled(&e->r[0], t0 + 399, false, NULL, NULL));
	assert_true(sg_request_body_stalled(&e->r[0], t0 + 400, false, NULL, NULL));
	e->r[0].resp_started = true;
	sg_request_body_timeout(&e->r[0]);
	assert_int_equal(e->seen.cuts, 1);
	assert_int_equal(e->seen.answers, 0);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_RESPONSE_IDLE], 1);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_BODY], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_routed_and_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_no_route_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_host_without_listener_404, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_in_turn_forget_the_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_src_addr_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_admission_503_and_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_direct_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_held_for_expressions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_delay_on_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_conditional_answer_and_delayed_answer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_head_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_grpc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_failure_after_response_began_cuts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_counted_and_logged_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_logged_json_without_listener, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_json_from_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_log_policy_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_direct_response_expressions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_retry_condition_and_precondition,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_log_level_and_fixed_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_not_begun_not_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_try_runs_backend_plan_and_sends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_tries_exhausted_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_rate_limit_refused_429, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_retry_on_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_route_mirror_sent_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_follow_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_body_watchdog_route_idle, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
