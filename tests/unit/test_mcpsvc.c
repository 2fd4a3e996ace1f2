/* Unit tests for user/mcp/mcpsvc.c, the MCP service: requests begun
 * through the request module (reqenv.h) on a worker's loop, routed to an
 * `mcp` backend whose target is a real stdio child
 * (tests/e2e/mcp_stdio_fake.py run by python3; the binary runs from the
 * repository's root), answered by the service's own thread through the
 * worker's ports: the reply and its session id, a session begun through
 * one port found through another, a call's event stream written through
 * the attempt's message ops and its bytes counted back as the frontend
 * passes them on (12 MB streamed, none cut), a call mcpAuthorization
 * refuses answered on the worker, a request ended first ending the
 * initialize it waited for (its child killed), the legacy transport's
 * POST answered 202 with its answer on the session's stream, and a freed
 * service leaving no child. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "reqenv.h"

#include "user/mcp/mcp.h"
#include "user/mcp/mcpsvc.h"
#include "user/mcp/stdio.h"

#define FAKE "tests/e2e/mcp_stdio_fake.py"

/* /mcp: the fake target; /hang: one that never answers its initialize
 * while the file %1$s exists; /authz: the fake behind mcpAuthorization,
 * which lets `hello` alone be called. */
#define TARGET(extra)                                                                              \
	"      - mcp:\n"                                                                           \
	"          targets:\n"                                                                     \
	"          - name: fake\n"                                                                 \
	"            stdio: {cmd: /usr/bin/python3, args: [-I, -S, " FAKE extra "]}\n"
#define MCP_CONFIG                                                                                 \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: web\n"                                                                          \
	"    protocol: HTTP\n"                                                                     \
	"    routes:\n"                                                                            \
	"    - name: mcp\n"                                                                        \
	"      matches: [{path: {pathPrefix: /mcp}}]\n"                                            \
	"      backends:\n" TARGET(                                                                \
		"") "    - name: hang\n"                                                           \
		    "      matches: [{path: {pathPrefix: /hang}}]\n"                               \
		    "      backends:\n" TARGET(                                                    \
			    ", --hang-init, '%1$s'") "    - name: authz\n"                         \
						     "      matches: [{path: {pathPrefix: "        \
						     "/authz}}]\n"                                 \
						     "      policies:\n"                           \
						     "        mcpAuthorization: {rules: "          \
						     "['mcp.tool.name == \"hello\"']}\n"           \
						     "      backends:\n" TARGET(                   \
							     "") "    - name: legacy\n"            \
								 "      matches: [{path: "         \
								 "{pathPrefix: /sse}}]\n"          \
								 "      backends:\n" TARGET("")

#define INITIALIZE                                                                                 \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"                     \
	"\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"                                  \
	"\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}"

struct svc {
	struct env *e;
	struct sg_mcp_service *m;
	struct sg_request_service port[2];
	char hang[64]; /* the file that holds /hang's initialize */
};

static int svc_setup(void **state)
{
	struct svc *s;
	void *inner;
	int fd;

	if (access(FAKE, R_OK) || access("/usr/bin/python3", X_OK)) {
		fprintf(stderr, "test_mcpsvc: run from the repository's root (%s, python3)\n",
			FAKE);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN); /* as the gateway: a gone child's pipe */
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	setup(&inner);
	s->e = inner;
	snprintf(s->hang, sizeof(s->hang), "/tmp/test_mcpsvc.XXXXXX");
	fd = mkstemp(s->hang);
	assert_true(fd >= 0);
	close(fd);
	s->m = sg_mcp_service_new(2);
	assert_non_null(s->m);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(sg_mcp_service_port_open(s->m, i, s->e->loop, &s->port[i]), 0);
	s->e->f.mcp = s->port[0];
	start(s->e, config(s->e, 0, MCP_CONFIG, s->hang));
	*state = s;
	return 0;
}

static int svc_teardown(void **state)
{
	struct svc *s = *state;
	void *inner = s->e;

	free_requests(s->e); /* a call still under way is cancelled */
	sg_mcp_service_port_close(s->m, 0);
	sg_mcp_service_port_close(s->m, 1);
	sg_mcp_service_free(s->m);
	unlink(s->hang);
	teardown(&inner);
	free(s);
	assert_int_equal(sg_mcp_children(), 0);
	return 0;
}

/* Loop passes until `cond` holds, for at most 10 s (a child's start on a
 * busy host). */
#define WAIT(e, cond) UNTIL_MS(e, cond, 10000)

/* Request i: a POST of `body` to `path` through port `port`, in session
 * sid (NULL: none), its client taking JSON and event streams (as a POST
 * must: 406 otherwise). */
static void post(struct svc *s, int i, unsigned port, const char *path, const char *sid,
		 const char *body)
{
	char head[384];

	snprintf(head, sizeof(head),
		 "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
		 "Accept: application/json, text/event-stream\r\n%s%s%s",
		 path, sid ? "Mcp-Session-Id: " : "", sid ? sid : "", sid ? "\r\n" : "");
	s->e->f.mcp = s->port[port];
	begin_body(s->e, i, head, body);
}

/* The session id the last answer named (its mcp-session-id line). */
static void session_of(struct svc *s, char *sid)
{
	const char *p = strstr(s->e->seen.lines, "mcp-session-id: ");

	assert_non_null(p);
	p += strlen("mcp-session-id: ");
	assert_int_equal(strcspn(p, "\n"), SG_MCP_SID_LEN);
	memcpy(sid, p, SG_MCP_SID_LEN);
	sid[SG_MCP_SID_LEN] = '\0';
}

/* A session begun on `path` through port 0 and its request done: its id. */
static void initialize(struct svc *s, const char *path, char *sid)
{
	post(s, 0, 0, path, NULL, INITIALIZE);
	WAIT(s->e, s->e->seen.answers == 1);
	assert_int_equal(s->e->seen.status, 200);
	session_of(s, sid);
	finish(s->e, 0);
}

#define RESULT_INIT                                                                                \
	"\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{},"           \
	"\"logging\":{}},\"serverInfo\":{\"name\":\"splicegate\",\"version\":\"1.0\"}}}"

/* A tools/call body: id, the tool, its arguments' JSON. */
static const char *tool_call(char *buf, size_t cap, int id, const char *name, const char *args)
{
	snprintf(buf, cap,
		 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
		 "\"params\":{\"name\":\"%s\",\"arguments\":%s}}",
		 id, name, args);
	return buf;
}

static void test_mcpsvc_answers_initialize_with_its_session(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;
	uint64_t restarts = 7, processes = 7;
	char sid[SG_MCP_SID_LEN + 1], lines[128];

	/* No job yet: no thread, so no MCP metric. */
	assert_false(sg_mcp_service_counts(s->m, &restarts, &processes));
	assert_int_equal(restarts, 7);
	assert_false(sg_mcp_service_counts(NULL, &restarts, &processes));

	post(s, 0, 0, "/mcp", NULL, INITIALIZE);
	assert_int_equal(e->seen.answers, 0); /* the service's thread answers, later */
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 200);
	session_of(s, sid);
	assert_int_equal(strspn(sid, "0123456789abcdef"), SG_MCP_SID_LEN);
	snprintf(lines, sizeof(lines), "content-type: application/json\nmcp-session-id: %s\n", sid);
	assert_string_equal(e->seen.lines, lines);
	assert_string_equal(e->seen.body, "{\"jsonrpc\":\"2.0\",\"id\":1," RESULT_INIT);
	assert_int_equal(e->seen.heads, 0);
	/* The thread started with that job, and the session's child runs. */
	assert_true(sg_mcp_service_counts(s->m, &restarts, &processes));
	assert_int_equal(restarts, 0);
	assert_int_equal(processes, 1);
}

static void test_mcpsvc_port_index_bounded(void **state)
{
	struct svc *s = *state;
	struct sg_request_service svc = { 0 };

	errno = 0;
	assert_int_equal(sg_mcp_service_port_open(s->m, 2, s->e->loop, &svc), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(svc.serve);
	sg_mcp_service_port_close(s->m, 2); /* nothing */
}

static void test_mcpsvc_session_found_through_every_port(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;
	char sid[SG_MCP_SID_LEN + 1], body[256];

	initialize(s, "/mcp", sid);
	/* Begun through port 0, called through port 1: one service holds it. */
	post(s, 1, 1, "/mcp", sid, tool_call(body, sizeof(body), 2, "hello", "{}"));
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines, "content-type: application/json\n");
	assert_string_equal(e->seen.body, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":"
					  "[{\"type\":\"text\",\"text\":\"hello\"}]}}");
	finish(e, 1);
	/* A session no one began is not found through either. */
	post(s, 1, 1, "/mcp", "0123456789abcdef0123456789abcdef",
	     tool_call(body, sizeof(body), 3, "hello", "{}"));
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 404);
	assert_string_equal(e->seen.lines, "content-type: application/json\n");
	assert_string_equal(e->seen.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32001,"
			    "\"message\":\"no such MCP session\"}}");
}

/* In a new session, tools/call 3 of `big` with `args`, its client taking
 * an event stream: the stream over. */
static void stream_big(struct svc *s, const char *args)
{
	char sid[SG_MCP_SID_LEN + 1], body[256];

	initialize(s, "/mcp", sid);
	post(s, 0, 0, "/mcp", sid, tool_call(body, sizeof(body), 3, "big", args));
	WAIT(s->e, s->e->seen.ends == 1);
}

static void test_mcpsvc_streams_a_call_through_the_attempt(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;

	stream_big(s, "{\"n\":2,\"size\":3}");
	/* The head through the attempt's ops, as a backend's, then each
	 * event as body bytes and the reply as the last; no answer. */
	assert_int_equal(e->seen.heads, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines,
			    "content-type: text/event-stream\ncache-control: no-cache\n");
	assert_string_equal(e->seen.stream,
			    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
			    "\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":"
			    "\"0:xxx\"}}\n\n"
			    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
			    "\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":"
			    "\"1:xxx\"}}\n\n"
			    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
			    "{\"content\":[{\"type\":\"text\",\"text\":\"sent\"}]}}\n\n");
	assert_int_equal(e->seen.end_err, 0);
	assert_int_equal(e->seen.answers, 0);
	/* Never retried: a stream is not redone on the route's retry codes. */
	assert_true(e->r[0].at.no_retry);
}

static void test_mcpsvc_stream_bytes_counted_back(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;

	/* 12 MB of events, more than a session's streams may hold unread
	 * (SG_MCP_QUEUE_MAX): each passed on at once and counted back, so
	 * the target is never taken for one its client cannot keep up with. */
	stream_big(s, "{\"n\":12,\"size\":1000000}");
	assert_int_equal(e->seen.end_err, 0);
	assert_true(e->seen.stream_len > 12 * 1000000);
	assert_string_equal(e->seen.last, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,"
					  "\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
					  "\"sent\"}]}}\n\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Children in the process reach n, for at most `ms` (they are the
 * service thread's to start and reap). */
static bool children_reach(struct env *e, uint64_t n, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (sg_mcp_children() != n && now_ms() < end)
		sg_loop_run_once(e->loop, 10);
	return sg_mcp_children() == n;
}

static void test_mcpsvc_stream_ended_by_its_request(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;
	char sid[SG_MCP_SID_LEN + 1], body[256];

	initialize(s, "/mcp", sid);
	/* The target asks the client roots/list on the call's stream and
	 * waits for its answer, which never comes: the request ends first. */
	post(s, 0, 0, "/mcp", sid, tool_call(body, sizeof(body), 4, "ask", "{}"));
	WAIT(e, strstr(e->seen.stream, "roots/list"));
	assert_int_equal(e->seen.heads, 1);
	finish(e, 0);
	/* The call given up, its session lives on (a DELETE ends it, where
	 * an unknown one is 404), and nothing more of the call reached any
	 * request. */
	s->e->f.mcp = s->port[0];
	snprintf(body, sizeof(body),
		 "DELETE /mcp HTTP/1.1\r\nHost: localhost\r\n"
		 "Mcp-Session-Id: %s\r\n\r\n",
		 sid);
	begin_start(e, 1, body);
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 200);
	assert_int_equal(e->seen.body_len, 0);
	assert_true(children_reach(e, 0, 5000));
	assert_int_equal(e->seen.heads + e->seen.ends + (int)e->seen.stream_len, 0);
}

static void test_mcpsvc_ended_request_ends_its_initialize(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;

	/* A target that never answers the initialize: the call waits. */
	post(s, 0, 0, "/hang", NULL, INITIALIZE);
	assert_true(children_reach(e, 1, 10000));
	sg_loop_run_once(e->loop, 100);
	assert_int_equal(e->seen.answers, 0);
	/* Its request ends (a timeout, a client gone): the session and its
	 * child end then, not when the call's own bound (60 s) passes. */
	finish(e, 0);
	assert_true(children_reach(e, 0, 5000));
	sg_loop_run_once(e->loop, 50);
	assert_int_equal(e->seen.answers + e->seen.heads, 0);
}

static void test_mcpsvc_refused_call_answered_on_the_worker(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;
	char sid[SG_MCP_SID_LEN + 1], body[256];

	initialize(s, "/authz", sid);
	/* mcpAuthorization refuses `pid`: answered within the request's
	 * start, with no loop pass, so the service never heard of it. */
	post(s, 0, 0, "/authz", sid, tool_call(body, sizeof(body), 4, "pid", "{}"));
	assert_int_equal(e->seen.answers, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines, "content-type: application/json\n");
	assert_string_equal(e->seen.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32602,"
			    "\"message\":\"Unknown tool: pid\"}}");
	assert_null(e->r[0].served);
	finish(e, 0);
	/* The list the target gives is filtered on the worker too. */
	post(s, 0, 0, "/authz", sid, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"tools\":"
			    "[{\"name\":\"hello\",\"inputSchema\":{\"type\":\"object\"}}]}}");
}

static void test_mcpsvc_legacy_post_answered_on_its_stream(void **state)
{
	struct svc *s = *state;
	struct env *e = s->e;
	char path[64], want[512];
	const char *p;

	/* The legacy transport's GET: a session, and its stream, whose first
	 * event names where to POST. */
	begin_start(e, 0,
		    "GET /sse HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
	WAIT(e, e->seen.stream_len > 0);
	assert_int_equal(e->seen.heads, 1);
	assert_int_equal(e->seen.status, 200);
	assert_string_equal(e->seen.lines,
			    "content-type: text/event-stream\ncache-control: no-cache\n");
	p = strstr(e->seen.stream, "data: /sse?sessionId=");
	assert_non_null(p);
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(p + 6, "\n"), p + 6);
	snprintf(want, sizeof(want), "event: endpoint\ndata: %s\n\n", path);
	assert_string_equal(e->seen.stream, want);
	/* Its POST, through another port: 202 with no body, and the answer
	 * an event on the GET's stream. */
	post(s, 1, 1, path, NULL, INITIALIZE);
	WAIT(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 202);
	assert_int_equal(e->seen.body_len, 0);
	WAIT(e, strstr(e->seen.stream, "event: message"));
	snprintf(want, sizeof(want),
		 "event: endpoint\ndata: %s\n\nevent: message\ndata: "
		 "{\"jsonrpc\":\"2.0\",\"id\":1," RESULT_INIT "\n\n",
		 path);
	assert_string_equal(e->seen.stream, want);
	assert_int_equal(e->seen.ends, 0); /* the stream stays */
}

/* A POST's Accept as the client sent it: naming application/json alone
 * (or any type, the wildcard), it is refused 406 before its body is read, as agentgateway
 * refuses it (MCP's streamable HTTP: a client MUST accept both); it was
 * served. */
static void test_mcpsvc_post_needs_accept_both(void **state)
{
	static const char *const accepts[] = { "application/json", "*/*" };
	struct svc *s = *state;
	struct env *e = s->e;
	char head[256];

	for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		snprintf(head, sizeof(head),
			 "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
			 "application/json\r\nAccept: %s\r\n",
			 accepts[i]);
		e->f.mcp = s->port[0];
		begin_body(e, 0, head, INITIALIZE);
		WAIT(e, e->seen.answers == 1);
		assert_int_equal(e->seen.status, 406);
		assert_string_equal(e->seen.body,
				    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
				    "\"message\":\"Accept must name both application/json and "
				    "text/event-stream\"}}");
		finish(e, 0);
	}
	assert_int_equal(sg_mcp_children(), 0);
}

static void test_mcpsvc_free_ends_every_session(void **state)
{
	struct svc *s = *state;
	char sid[SG_MCP_SID_LEN + 1];

	initialize(s, "/mcp", sid);
	initialize(s, "/mcp", sid);
	assert_int_equal(sg_mcp_children(), 2);
	/* The ports closed, the service freed: every child killed and
	 * reaped by then, none left to the process. */
	sg_mcp_service_port_close(s->m, 0);
	sg_mcp_service_port_close(s->m, 1);
	sg_mcp_service_free(s->m);
	assert_int_equal(sg_mcp_children(), 0);
	s->m = sg_mcp_service_new(2); /* for the teardown */
	assert_non_null(s->m);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_mcpsvc_##name, svc_setup, svc_teardown)
	const struct CMUnitTest tests[] = {
		T(answers_initialize_with_its_session),
		T(port_index_bounded),
		T(session_found_through_every_port),
		T(streams_a_call_through_the_attempt),
		T(stream_bytes_counted_back),
		T(stream_ended_by_its_request),
		T(ended_request_ends_its_initialize),
		T(refused_call_answered_on_the_worker),
		T(legacy_post_answered_on_its_stream),
		T(free_ends_every_session),
		T(post_needs_accept_both),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
