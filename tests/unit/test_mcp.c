/* Unit tests for user/mcp/mcp.c, the hub, on a real loop with real stdio
 * targets (tests/e2e/mcp_stdio_fake.py run by python3; skipped when it
 * cannot be found from the working directory): a target whose process
 * goes is started again and initialized with the client's initialize;
 * a stateless backend gives no session, starts what a request needs and
 * nothing is left once it is answered; the GET stream's events carry ids
 * and a GET with Last-Event-ID gets what it missed. */
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

#include "user/base/loop.h"
#include "user/mcp/mcp.h"
#include "user/mcp/stdio.h"

#define FAKE "tests/e2e/mcp_stdio_fake.py"

static const char *fake_args[] = { "-I", "-S", FAKE };

/* What one call was told: its reply, or its stream's events. */
struct slot {
	bool done, replied;
	struct sg_mcp_reply rep;
	bool head;	   /* a stream's head went */
	char events[8192]; /* its events' texts, one after another */
	size_t elen;
	int nevents;
};

static bool on_done(void *data, struct sg_mcp_reply *rep)
{
	struct slot *s = data;

	s->done = true;
	if (rep) {
		s->rep = *rep;
		s->replied = true;
	}
	return true;
}

static bool on_event(void *data, char *text, size_t len)
{
	struct slot *s = data;

	if (!text) {
		s->head = true;
		return true;
	}
	if (len < sizeof(s->events) - s->elen) {
		memcpy(s->events + s->elen, text, len);
		s->elen += len;
		s->events[s->elen] = '\0';
	}
	s->nevents++;
	free(text);
	return true;
}

static size_t on_waiting(const void *data)
{
	(void)data;
	return 0;
}

static const struct sg_mcp_stream_ops stream_ops = { .event = on_event, .waiting = on_waiting };

struct env {
	struct sg_loop *loop;
	struct sg_mcp_hub *hub;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The loop runs until *flag (at most 10 s). */
static void run_until(struct env *e, const bool *flag)
{
	uint64_t end = now_ms() + 10000;

	while (!*flag && now_ms() < end)
		sg_loop_run_once(e->loop, 20);
	assert_true(*flag);
}

static struct sg_mcp_target fake(const char *name)
{
	return (struct sg_mcp_target){
		.name = name,
		.kind = SG_MCP_STDIO,
		.cmd = "/usr/bin/python3",
		.args = { fake_args, 3, 3 },
	};
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (access(FAKE, R_OK) || access("/usr/bin/python3", X_OK)) {
		fprintf(stderr, "test_mcp: run from the repository's root (%s, python3)\n", FAKE);
		free(e);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN); /* as the gateway: a gone child's pipe */
	e->loop = sg_loop_new();
	e->hub = sg_mcp_hub_new(e->loop);
	sg_mcp_hub_set_stream(e->hub, &stream_ops);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_mcp_hub_free(e->hub);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_loop_free(e->loop);
	free(e);
	assert_int_equal(sg_mcp_children(), 0);
	return 0;
}

/* ask (method, session sid or NULL, body or NULL) answered into *s. */
static void ask(struct env *e, const struct sg_mcp_backend *m, enum sg_mcp_method method,
		const char *sid, const char *body, const char *header_version, struct slot *s)
{
	struct sg_mcp_ask a = { .m = m, .method = method, .json = true };

	memset(s, 0, sizeof(*s));
	if (sid) {
		a.has_sid = true;
		snprintf(a.sid, sizeof(a.sid), "%s", sid);
	}
	if (header_version)
		snprintf(a.version, sizeof(a.version), "%s", header_version);
	if (body) {
		a.body_whole = true;
		a.body = strdup(body);
		a.body_len = strlen(body);
	}
	a.sse = method == SG_MCP_GET;
	sg_mcp_hub_call(e->hub, &a, on_done, s);
	sg_mcp_ask_free(&a);
}

/* tools/call TOOL in session sid: the reply's body (malloc'd). */
static char *call(struct env *e, const struct sg_mcp_backend *m, const char *sid, const char *tool,
		  const char *args)
{
	char body[256];
	struct slot s;

	snprintf(body, sizeof(body),
		 "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/"
		 "call\",\"params\":{\"name\":\"%s\","
		 "\"arguments\":%s}}",
		 tool, args ? args : "{}");
	ask(e, m, SG_MCP_POST, sid, body, NULL, &s);
	run_until(e, &s.done);
	assert_true(s.replied);
	assert_int_equal(s.rep.status, 200);
	free(s.rep.tcalls);
	return s.rep.body;
}

/* The text of a tools/call result body, or its error's message. */
static const char *text_of(const char *body, char *out, size_t cap)
{
	const char *p = strstr(body, "\"text\":\"");
	const char *q = p ? NULL : strstr(body, "\"message\":\"");
	const char *from = p ? p + 8 : q ? q + 11 : body;

	snprintf(out, cap, "%.*s", (int)strcspn(from, "\""), from);
	return out;
}

/* A session begun and initialized; its id in sid. */
static void session(struct env *e, const struct sg_mcp_backend *m, char *sid)
{
	struct slot s;

	ask(e, m, SG_MCP_POST, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	    "\"protocolVersion\":"
	    "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"unit\",\"version\":"
	    "\"1\"}}}",
	    NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 200);
	assert_int_equal(strlen(s.rep.sid), SG_MCP_SID_LEN);
	memcpy(sid, s.rep.sid, SG_MCP_SID_LEN + 1);
	free(s.rep.body);
	ask(e, m, SG_MCP_POST, sid,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 202);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mcp_restarts_a_target_that_went, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_waiting_call_fails_when_target_goes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp_stateless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp_get_stream_resumes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
