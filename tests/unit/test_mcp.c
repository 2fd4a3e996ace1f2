/* Unit tests for user/mcp/mcp.c, the hub, on a real loop with real stdio
 * targets (tests/e2e/mcp_stdio_fake.py run by python3; skipped when it
 * cannot be found from the working directory): a target whose process
 * goes is started again and initialized with the client's initialize;
 * a stateless backend gives no session, starts what a request needs and
 * nothing is left once it is answered; the GET stream's events carry ids
 * and a GET with Last-Event-ID gets what it missed, within the session's
 * bound on what its clients leave unread; a session serves the route and
 * the caller that began it, with the targets it began with; a prompt's completion goes to
 * its prompt's target, a cancellation the target's id for the request. */
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

#include "mcphub.h"

static void test_mcp_restarts_a_target_that_went(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1], text[128];
	char *body;
	long pid1, pid2;

	session(e, &m, sid);
	body = call(e, &m, sid, "pid", NULL);
	pid1 = atol(text_of(body, text, sizeof(text)));
	free(body);
	assert_true(pid1 > 0);
	assert_int_equal(kill((pid_t)pid1, SIGKILL), 0);
	/* the hub sees it go (a call sent before that could reach the dying
	 * process and be lost with it, answered -32002) */
	for (int i = 0; i < 10; i++)
		sg_loop_run_once(e->loop, 20);
	/* held through the back-off, then served by the new process */
	body = call(e, &m, sid, "hello", NULL);
	assert_string_equal(text_of(body, text, sizeof(text)), "hello");
	free(body);
	assert_int_equal(sg_mcp_hub_restarts(e->hub), 1);
	body = call(e, &m, sid, "pid", NULL);
	pid2 = atol(text_of(body, text, sizeof(text)));
	free(body);
	assert_true(pid2 > 0 && pid2 != pid1);
	assert_int_equal(sg_mcp_children(), 1);
	/* given the client's own initialize, then notifications/initialized */
	body = call(e, &m, sid, "init", NULL);
	assert_string_equal(text_of(body, text, sizeof(text)), "unit 2025-06-18 initialized");
	free(body);
}

static void test_mcp_waiting_call_fails_when_target_goes(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1], text[128];
	struct slot s;
	char *body;

	session(e, &m, sid);
	ask(e, &m, SG_MCP_POST, sid,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/"
	    "call\",\"params\":{\"name\":\"exit\"}}",
	    NULL, &s);
	run_until(e, &s.done);
	assert_string_equal(s.rep.body, "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32002,"
					"\"message\":\"target fake: it exited\"}}");
	free(s.rep.body);
	body = call(e, &m, sid, "hello", NULL);
	assert_string_equal(text_of(body, text, sizeof(text)), "hello");
	free(body);
}

static void test_mcp_stateless(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 2, .stateless = true };
	char text[128];
	struct slot s;
	char *body;

	ask(e, &m, SG_MCP_POST, NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
	    NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 200);
	assert_string_equal(s.rep.sid, "");
	assert_non_null(strstr(s.rep.body, "\"a_hello\""));
	assert_non_null(strstr(s.rep.body, "\"b_hello\""));
	free(s.rep.body);
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 0); /* killed with the answer */
	/* the gateway's own initialize, the version the request names */
	body = call(e, &m, NULL, "a_init", NULL);
	assert_string_equal(text_of(body, text, sizeof(text)), "splicegate 2025-11-25 initialized");
	free(body);
	ask(e, &m, SG_MCP_POST, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/"
	    "call\",\"params\":{\"name\":\"b_init\"}}",
	    "2025-03-26", &s);
	run_until(e, &s.done);
	assert_string_equal(text_of(s.rep.body, text, sizeof(text)),
			    "splicegate 2025-03-26 initialized");
	free(s.rep.body);
	/* a notification goes to every target, each started for it (as
	 * agentgateway forwards it); nothing to start for a ping; GET and
	 * DELETE 405 */
	ask(e, &m, SG_MCP_POST, NULL,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NULL, &s);
	assert_int_equal(sg_mcp_children(), 2);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 202);
	assert_null(s.rep.body);
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 0);
	ask(e, &m, SG_MCP_POST, NULL, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", NULL,
	    &s);
	assert_int_equal(sg_mcp_children(), 0);
	run_until(e, &s.done);
	assert_string_equal(s.rep.body, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");
	free(s.rep.body);
	ask(e, &m, SG_MCP_GET, NULL, NULL, NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 405);
	assert_string_equal(s.rep.allow, "POST");
	ask(e, &m, SG_MCP_DELETE, "00ff", NULL, NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 405);
	/* a tool's call starts its own target alone; given up, it goes */
	ask(e, &m, SG_MCP_POST, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/"
	    "call\",\"params\":{\"name\":\"a_wait\"}}",
	    NULL, &s);
	assert_int_equal(sg_mcp_children(), 1);
	sg_loop_run_once(e->loop, 50);
	sg_mcp_hub_cancel(e->hub, &s);
	assert_true(s.done && !s.replied);
	assert_int_equal(sg_mcp_children(), 0);
}

/* The ids of a stream's events, "1,2,": and their data lines' count. */
static const char *ids_of(const struct slot *s, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = s->events; (p = strstr(p, "id: ")); p += 4)
		n += (size_t)snprintf(out + n, cap - n, "%.*s,", (int)strcspn(p + 4, "\n"), p + 4);
	return out;
}

static void test_mcp_get_stream_resumes(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1], ids[128];
	struct slot g, g2;
	struct sg_mcp_ask a = { .m = &m, .method = SG_MCP_GET, .sse = true, .has_sid = true };

	session(e, &m, sid);
	ask(e, &m, SG_MCP_GET, sid, NULL, NULL, &g);
	assert_true(g.head);
	free(call(e, &m, sid, "big", "{\"n\":2,\"size\":1}"));
	assert_int_equal(g.nevents, 2);
	assert_string_equal(ids_of(&g, ids, sizeof(ids)), "1,2,");
	assert_non_null(strstr(g.events, "id: 1\nevent: message\ndata: {"));
	sg_mcp_hub_cancel(e->hub, &g);			       /* its client left */
	free(call(e, &m, sid, "big", "{\"n\":3,\"size\":1}")); /* kept while none is open */
	snprintf(a.sid, sizeof(a.sid), "%s", sid);
	a.has_last_id = true;
	snprintf(a.last_id, sizeof(a.last_id), "2");
	memset(&g2, 0, sizeof(g2));
	sg_mcp_hub_call(e->hub, &a, on_done, &g2);
	assert_true(g2.head);
	assert_int_equal(g2.nevents, 3);
	assert_string_equal(ids_of(&g2, ids, sizeof(ids)), "3,4,5,");
	assert_non_null(strstr(g2.events, "\"data\":\"0:x\""));
	/* an id never given replays nothing; the stream goes on */
	snprintf(a.last_id, sizeof(a.last_id), "9");
	memset(&g, 0, sizeof(g));
	sg_mcp_hub_call(e->hub, &a, on_done, &g);
	assert_true(g.head);
	assert_int_equal(g.nevents, 0);
	run_until(e, &g2.done); /* the first GET ended: taken over */
	free(call(e, &m, sid, "big", "{\"n\":1,\"size\":1}"));
	assert_string_equal(ids_of(&g, ids, sizeof(ids)), "6,");
	sg_mcp_hub_cancel(e->hub, &g);
}

/* What a GET resuming the stream replays counts against the session's
 * bound on what its clients leave unread (SG_MCP_QUEUE_MAX), as the
 * targets' events do: it replayed all it kept whatever was unread. The
 * events left out come to a GET that resumes from the last one it got. */
static void test_mcp_replay_within_the_queue_bound(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1], ids[128];
	struct slot g, g2, g3, g4;
	struct sg_mcp_ask a = { .m = &m, .method = SG_MCP_GET, .sse = true, .has_sid = true };

	session(e, &m, sid);
	ask(e, &m, SG_MCP_GET, sid, NULL, NULL, &g);
	sg_mcp_hub_cancel(e->hub, &g);
	/* three events of about 1.1 KB, kept while no GET is open */
	free(call(e, &m, sid, "big", "{\"n\":3,\"size\":1000}"));
	snprintf(a.sid, sizeof(a.sid), "%s", sid);
	a.has_last_id = true;
	snprintf(a.last_id, sizeof(a.last_id), "0");
	memset(&g2, 0, sizeof(g2));
	g2.waiting = SG_MCP_QUEUE_MAX - 1500; /* its client has that much unread */
	sg_mcp_hub_call(e->hub, &a, on_done, &g2);
	assert_true(g2.head);
	assert_int_equal(g2.nevents, 1);
	assert_string_equal(ids_of(&g2, ids, sizeof(ids)), "1,");
	/* no room at all: nothing */
	memset(&g3, 0, sizeof(g3));
	g3.waiting = SG_MCP_QUEUE_MAX;
	sg_mcp_hub_call(e->hub, &a, on_done, &g3);
	assert_true(g3.head);
	assert_int_equal(g3.nevents, 0);
	/* read, resumed from the last it got: the rest */
	snprintf(a.last_id, sizeof(a.last_id), "1");
	memset(&g4, 0, sizeof(g4));
	sg_mcp_hub_call(e->hub, &a, on_done, &g4);
	assert_string_equal(ids_of(&g4, ids, sizeof(ids)), "2,3,");
	run_until(e, &g2.done); /* taken over */
	run_until(e, &g3.done);
	sg_mcp_hub_cancel(e->hub, &g4);
}

/* An ask from w in session sid, a POST's body, answered: its status (a
 * GET whose stream opened: 200, given up then). */
static int status_from(struct env *e, const struct sg_mcp_backend *m, const struct who *w,
		       enum sg_mcp_method method, const char *sid, const char *body)
{
	struct slot s = { 0 };

	ask_on(e, m, w, method, sid, body, NULL, method == SG_MCP_GET, &s);
	if (s.head) {
		sg_mcp_hub_cancel(e->hub, &s);
		return 200;
	}
	run_until(e, &s.done);
	free(s.rep.body);
	free(s.rep.tcalls);
	return s.rep.status;
}

/* A session begun from w, initialized: its id in sid. */
static void session_from(struct env *e, const struct sg_mcp_backend *m, const struct who *w,
			 char *sid)
{
	struct slot s = { 0 };

	ask_on(e, m, w, SG_MCP_POST, NULL,
	       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	       "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{"
	       "\"name\":\"unit\",\"version\":\"1\"}}}",
	       NULL, false, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 200);
	memcpy(sid, s.rep.sid, SG_MCP_SID_LEN + 1);
	free(s.rep.body);
	assert_int_equal(
		status_from(e, m, w, SG_MCP_POST, sid,
			    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
		202);
}

static const char hello[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
			    "\"params\":{\"name\":\"hello\"}}";

/* Session sid is none of w's: a call, the GET stream, its end: 404. */
static void none_for(struct env *e, const struct sg_mcp_backend *m, const struct who *w,
		     const char *sid)
{
	assert_int_equal(status_from(e, m, w, SG_MCP_POST, sid, hello), 404);
	assert_int_equal(status_from(e, m, w, SG_MCP_GET, sid, NULL), 404);
	assert_int_equal(status_from(e, m, w, SG_MCP_DELETE, sid, NULL), 404);
}

/* A session serves the route that began it (agentgateway's serve their
 * backend, named after its route), while that route names its targets as
 * the session does: mcpAuthorization decides on the route's names, the
 * session routes by its own. Another route's request, or one after a
 * reload that changed the route's targets, finds no session (404); a
 * reload that left them keeps it. */
static void test_mcp_session_serves_its_route(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 1 };
	struct sg_mcp_backend same = m, more = { .targets = t, .n = 2 };
	const struct who r1 = { "bind/l/r1", NULL }, r2 = { "bind/l/r2", NULL };
	char sid[SG_MCP_SID_LEN + 1];

	session_from(e, &m, &r1, sid);
	none_for(e, &m, &r2, sid);
	assert_int_equal(status_from(e, &more, &r1, SG_MCP_POST, sid, hello), 404);
	assert_int_equal(status_from(e, &same, &r1, SG_MCP_POST, sid, hello), 200);
	assert_int_equal(status_from(e, &m, &r1, SG_MCP_DELETE, sid, NULL), 200);
	assert_int_equal(sg_mcp_children(), 0);
}

/* A session serves the caller that began it (MCP's security practices:
 * bind a session to its user): another caller's request with its id, on
 * the same route, finds none (404): not its calls, its GET stream (what
 * its targets ask the client), its end; nor a request without the
 * credentials that began it. */
static void test_mcp_session_serves_its_caller(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("a");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	const struct who alice = { "r", "jwt 1:i 5:alice" }, bob = { "r", "jwt 1:i 3:bob" };
	const struct who anyone = { "r", NULL };
	char sid[SG_MCP_SID_LEN + 1];

	session_from(e, &m, &alice, sid);
	none_for(e, &m, &bob, sid);
	assert_int_equal(status_from(e, &m, &anyone, SG_MCP_POST, sid, hello), 404);
	assert_int_equal(status_from(e, &m, &alice, SG_MCP_POST, sid, hello), 200);
	assert_int_equal(status_from(e, &m, &alice, SG_MCP_DELETE, sid, NULL), 200);
}

/* The completion of a prompt's argument goes to the target its ref's
 * prefix names, as prompts/get does, the name there without it (it went
 * to every target, prefix and all, which none knew). */
static void test_mcp_completion_routed_by_prompt(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 2 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s;

	session(e, &m, sid);
	posted(e, &m, sid,
	       "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"completion/complete\",\"params\":{"
	       "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"b_p\"},\"argument\":{\"name\":\"x\","
	       "\"value\":\"\"}}}",
	       &s);
	assert_string_equal(s.rep.body, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"completion\":"
					"{\"values\":[\"p\"]}}}");
	free(s.rep.body);
	posted(e, &m, sid,
	       "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"completion/complete\",\"params\":{"
	       "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"c_p\"}}}",
	       &s);
	assert_non_null(strstr(s.rep.body, "\"code\":-32602"));
	free(s.rep.body);
}

/* A client's notifications/cancelled names its own id for the request:
 * the target that request waits on is told the gateway's id for it there
 * (the fake answers the id it is told with an error), not the client's,
 * which it never saw (it cancelled nothing, or another request). */
static void test_mcp_cancel_names_the_targets_id(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot w, n;

	session(e, &m, sid);
	ask(e, &m, SG_MCP_POST, sid,
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"wait\"}}",
	    NULL, &w);
	posted(e, &m, sid,
	       "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
	       "\"requestId\":7,\"reason\":\"unit\"}}",
	       &n);
	assert_int_equal(n.rep.status, 202);
	run_until(e, &w.done);
	assert_string_equal(w.rep.body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32800,"
					"\"message\":\"cancelled\"}}");
	free(w.rep.body);
	/* one that names no request waiting is dropped */
	posted(e, &m, sid,
	       "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
	       "\"requestId\":2}}",
	       &n);
	assert_int_equal(n.rep.status, 202);
}

/* ask a (as it is) answered into *s. */
static void asked(struct env *e, const struct sg_mcp_ask *a, struct slot *s)
{
	memset(s, 0, sizeof(*s));
	sg_mcp_hub_call(e->hub, a, on_done, s);
	run_until(e, &s->done);
}

/* DELETE with an MCP-Protocol-Version the gateway does not speak is
 * refused as POST and GET are (400), and the session goes on: it ended
 * the session whatever the version said. */
static void test_mcp_delete_checks_protocol_version(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	struct sg_mcp_ask a = { .m = &m, .method = SG_MCP_DELETE, .has_sid = true };
	char sid[SG_MCP_SID_LEN + 1], text[128];
	struct slot s = { 0 };
	char *body;

	session(e, &m, sid);
	snprintf(a.sid, sizeof(a.sid), "%s", sid);
	a.version_unknown = true;
	asked(e, &a, &s);
	assert_int_equal(s.rep.status, 400);
	assert_string_equal(s.rep.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			    "\"message\":\"MCP-Protocol-Version names a version the gateway does "
			    "not speak\"}}");
	free(s.rep.body);
	body = call(e, &m, sid, "hello", NULL);
	assert_string_equal(text_of(body, text, sizeof(text)), "hello");
	free(body);
	a.version_unknown = false;
	asked(e, &a, &s);
	assert_int_equal(s.rep.status, 200);
	assert_int_equal(sg_mcp_children(), 0);
}

/* A client's id comes back as it was written, through the gateway's own
 * ids at each target (two targets: the call is renumbered there): ids
 * past 2^53 and fractions went through a double and came back changed. */
static void test_mcp_ids_come_back_as_written(void **state)
{
	static const char *const ids[] = { "9007199254740993", "1.5", "\"s-1\"" };
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 2 };
	char sid[SG_MCP_SID_LEN + 1], body[256], want[64];
	struct slot s;

	session(e, &m, sid);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"tools/call\",\"params\":{"
			 "\"name\":\"b_hello\"}}",
			 ids[i]);
		posted(e, &m, sid, body, &s);
		assert_int_equal(s.rep.status, 200);
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":", ids[i]);
		assert_memory_equal(s.rep.body, want, strlen(want));
		free(s.rep.body);
		/* and a list the gateway merges, and a ping it answers */
		snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"%s\"}",
			 ids[i], i ? "ping" : "tools/list");
		posted(e, &m, sid, body, &s);
		assert_memory_equal(s.rep.body, want, strlen(want));
		free(s.rep.body);
	}
}

static const char *quiet_args[] = { "60" };

/* A stdio target that never answers: /bin/sleep, cheap to run by the
 * dozen, whose initialize waits until it is given up. */
static struct sg_mcp_target quiet(const char *name)
{
	return (struct sg_mcp_target){
		.name = name,
		.kind = SG_MCP_STDIO,
		.cmd = "/bin/sleep",
		.args = { quiet_args, 1, 1 },
	};
}

/* An initialize of m from the client address `source`, into *s. */
static void init_from(struct env *e, const struct sg_mcp_backend *m, const char *source,
		      struct slot *s)
{
	static const char init[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
		"\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":"
		"{},\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}";
	struct sg_mcp_ask a = { .m = m, .method = SG_MCP_POST, .json = true, .body_whole = true };

	memset(s, 0, sizeof(*s));
	snprintf(a.source, sizeof(a.source), "%s", source);
	a.body = strdup(init);
	a.body_len = strlen(init);
	sg_mcp_hub_call(e->hub, &a, on_done, s);
	sg_mcp_ask_free(&a);
}

#define PER_SOURCE SG_MCP_SESSIONS_PER_SOURCE

/* The calls s[0..n) but s[answered] given up, their sessions with them:
 * no process is left. */
static void given_up(struct env *e, struct slot *s, int n, int answered)
{
	for (int i = 0; i < n; i++)
		if (i != answered)
			sg_mcp_hub_cancel(e->hub, &s[i]);
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 0);
}

/* One client address holds at most 1/8 of the gateway's sessions: the
 * next initialize from it is refused as the gateway's own bound refuses
 * (503, -32001) while another address still begins one, and it begins
 * one again once one of its own is gone. One client of an open route
 * filled all 256 and denied everyone else. */
static void test_mcp_sessions_per_source(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = quiet("q");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	static struct slot s[PER_SOURCE + 2];

	for (int i = 0; i < PER_SOURCE; i++) {
		init_from(e, &m, "10.0.0.1", &s[i]);
		assert_false(s[i].done); /* its session waits for its target */
	}
	init_from(e, &m, "10.0.0.1", &s[PER_SOURCE]);
	run_until(e, &s[PER_SOURCE].done);
	assert_int_equal(s[PER_SOURCE].rep.status, 503);
	assert_string_equal(s[PER_SOURCE].rep.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":"
			    "\"too many MCP sessions from this client address: end one with "
			    "DELETE\"}}");
	free(s[PER_SOURCE].rep.body);
	init_from(e, &m, "10.0.0.2", &s[PER_SOURCE + 1]);
	assert_false(s[PER_SOURCE + 1].done);
	assert_int_equal(sg_mcp_children(), PER_SOURCE + 1);
	sg_mcp_hub_cancel(e->hub, &s[0]); /* given up: its session goes */
	init_from(e, &m, "10.0.0.1", &s[0]);
	assert_false(s[0].done);
	given_up(e, s, PER_SOURCE + 2, PER_SOURCE);
}

/* And at most 1/8 of the gateway's target processes: a session from an
 * address that runs its share starts none (its initialize fails on its
 * targets, -32002), another address's starts its own. */
static void test_mcp_processes_per_source(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[8];
	struct sg_mcp_backend m = { .targets = t, .n = 8 };
	enum { FULL = SG_MCP_CHILDREN_PER_SOURCE / 8 };
	static struct slot s[FULL + 2];
	char name[8][16];

	for (int i = 0; i < 8; i++) {
		snprintf(name[i], sizeof(name[i]), "q%d", i);
		t[i] = quiet(name[i]);
	}
	for (int i = 0; i < FULL; i++)
		init_from(e, &m, "10.0.0.1", &s[i]);
	assert_int_equal(sg_mcp_children(), SG_MCP_CHILDREN_PER_SOURCE);
	init_from(e, &m, "10.0.0.1", &s[FULL]);
	run_until(e, &s[FULL].done);
	assert_int_equal(sg_mcp_children(), SG_MCP_CHILDREN_PER_SOURCE);
	assert_non_null(strstr(s[FULL].rep.body, "\"code\":-32002"));
	assert_non_null(strstr(s[FULL].rep.body, "for this client address"));
	free(s[FULL].rep.body);
	init_from(e, &m, "10.0.0.2", &s[FULL + 1]);
	assert_false(s[FULL + 1].done);
	assert_int_equal(sg_mcp_children(), SG_MCP_CHILDREN_PER_SOURCE + 8);
	given_up(e, s, FULL + 2, FULL);
}

/* A POST whose Accept does not name both application/json and
 * text/event-stream is refused 406 (MCP's streamable HTTP: the client
 * MUST list both; agentgateway's InvalidAccept), before its Content-Type
 * or its session are looked at; one that names only application/json was
 * served. A legacy POST (the HTTP+SSE transport's) needs no Accept. */
static void test_mcp_post_needs_accept_both(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	struct sg_mcp_ask a = { .m = &m,
				.method = SG_MCP_POST,
				.json = false,
				.accept_lacks = true,
				.body_whole = true };
	struct slot s = { 0 };

	a.body = strdup("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	a.body_len = strlen(a.body);
	asked(e, &a, &s);
	assert_int_equal(s.rep.status, 406);
	assert_string_equal(s.rep.body,
			    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			    "\"message\":\"Accept must name both application/json and "
			    "text/event-stream\"}}");
	free(s.rep.body);
	a.legacy = true; /* no session named: its own complaint, not Accept's */
	a.json = true;
	asked(e, &a, &s);
	assert_int_equal(s.rep.status, 400);
	assert_non_null(strstr(s.rep.body, "sessionId"));
	free(s.rep.body);
	sg_mcp_ask_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mcp_restarts_a_target_that_went, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_waiting_call_fails_when_target_goes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_stateless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_get_stream_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_session_serves_its_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_session_serves_its_caller, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_cancel_names_the_targets_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_completion_routed_by_prompt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_replay_within_the_queue_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_delete_checks_protocol_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_ids_come_back_as_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_sessions_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_processes_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_post_needs_accept_both, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
