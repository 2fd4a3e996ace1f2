/* Unit tests for user/mcp/mcptarget.c, a session's targets, through the
 * hub's contract (mcp.h; mcptarget.h is the hub's insides) on a real
 * loop with real stdio targets (tests/unit/mcphub.h): a stateful
 * session's processes started with its initialize (one that cannot run
 * failing it unless failOpen), a target's request to the client on the
 * call's stream under the gateway's id and the client's response back
 * with the target's own, refused when no stream is open or the backend
 * is stateless, notifications on the GET stream or dropped, a target cut
 * off (never restarted) for a flood or for more than its client reads,
 * a process that goes restarted after 250 ms doubled each time, five
 * times in a row at most, and a restarted process that does not answer
 * the gateway's initialize taken for gone after SG_MCP_HANDSHAKE_MS.
 * What test_mcp holds (a restart's handshake with the client's
 * initialize, a stateless backend, resumption) is not repeated. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#define TOOL_CALL(id, name)                                                                        \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id                                                         \
	",\"method\":\"tools/call\",\"params\":{\"name\":\"" name "\"}}"
#define BIG(id)                                                                                    \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"tools/call\",\"params\":{\"name\":"      \
	"\"big\",\"arguments\":{\"n\":2,\"size\":1}}}"
#define INITIALIZE                                                                                 \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"                     \
	"\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"                                  \
	"\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}"
#define RESULT(id, text)                                                                           \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"result\":{\"content\":[{\"type\":\"text\","         \
	"\"text\":\"" text "\"}]}}"
#define GONE(id, why)                                                                              \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"error\":{\"code\":-32002,\"message\":\"" why "\"}}"

/* ask answered: its reply's body is `want` (200). */
static void answered(struct env *e, struct slot *s, const char *want)
{
	run_until(e, &s->done);
	assert_true(s->replied);
	assert_int_equal(s->rep.status, 200);
	assert_string_equal(s->rep.body, want);
	free(s->rep.body);
	s->rep.body = NULL;
}

static void test_mcptarget_stateful_targets_start_with_initialize(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 2 };
	struct slot s;

	/* Both processes run as the initialize goes, before any answer. */
	ask(e, &m, SG_MCP_POST, NULL, INITIALIZE, NULL, &s);
	assert_false(s.done);
	assert_int_equal(sg_mcp_children(), 2);
	run_until(e, &s.done);
	assert_int_equal(s.rep.status, 200);
	assert_int_equal(strlen(s.rep.sid), SG_MCP_SID_LEN);
	free(s.rep.body);
	/* One that cannot run fails the initialize, which ends the session
	 * and its children (failOpen aside). */
	t[1].cmd = "/nonexistent/x";
	ask(e, &m, SG_MCP_POST, NULL, INITIALIZE, NULL, &s);
	run_until(e, &s.done);
	/* (it exited, or its stdin closed first: the exec's failure races) */
	{
		static const char gone[] =
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,"
			"\"message\":\"target b: i";

		assert_int_equal(strncmp(s.rep.body, gone, sizeof(gone) - 1), 0);
	}
	free(s.rep.body);
	assert_string_equal(s.rep.sid, "");
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 2); /* the first session's */
	m.fail_open = true;
	ask(e, &m, SG_MCP_POST, NULL, INITIALIZE, NULL, &s);
	run_until(e, &s.done);
	assert_int_equal(strlen(s.rep.sid), SG_MCP_SID_LEN);
	free(s.rep.body);
	assert_int_equal(sg_mcp_children(), 3);
}

static void test_mcptarget_target_request_relayed_to_the_client(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s = { 0 }, r;

	session(e, &m, sid);
	/* The target asks roots/list (its id "roots-1") while it works on a
	 * call whose client takes a stream: on that stream, under an id of
	 * the gateway's. */
	ask_as(e, &m, SG_MCP_POST, sid, TOOL_CALL(5, "ask"), NULL, true, &s);
	for (int i = 0; i < 500 && !s.nevents; i++)
		sg_loop_run_once(e->loop, 20);
	assert_string_equal(s.events,
			    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			    "\"roots/list\"}\n\n");
	assert_false(s.done);
	/* The client's response goes back to it with its own id (else the
	 * target would not take it), and the call is answered. */
	ask(e, &m, SG_MCP_POST, sid,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"roots\":[{\"uri\":\"file:///u\"}]}}", NULL,
	    &r);
	run_until(e, &r.done);
	assert_int_equal(r.rep.status, 202);
	assert_null(r.rep.body);
	answered(e, &s, RESULT(5, "file:///u"));
	assert_int_equal(s.nevents, 1);
	/* No stream to ask on: the target is told, by a JSON-RPC error. */
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(6, "ask"), NULL, &s);
	answered(e, &s, RESULT(6, "error: the client has no stream open to be asked on"));
}

static void test_mcptarget_stateless_target_never_asks_the_client(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1, .stateless = true };
	struct slot s = { 0 };

	ask_as(e, &m, SG_MCP_POST, NULL, TOOL_CALL(2, "ask"), NULL, true, &s);
	answered(e, &s, RESULT(2, "error: the backend is stateless: the client cannot be asked"));
	assert_int_equal(s.nevents, 0);
}

static void test_mcptarget_notifications_on_the_get_stream(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s, g;

	session(e, &m, sid);
	/* The call's client takes no stream, and no GET is open: dropped. */
	ask(e, &m, SG_MCP_POST, sid, BIG(7), NULL, &s);
	answered(e, &s, RESULT(7, "sent"));
	assert_int_equal(s.nevents, 0);
	/* A GET open: the notifications go on it, the call's reply alone. */
	ask(e, &m, SG_MCP_GET, sid, NULL, NULL, &g);
	assert_true(g.head);
	ask(e, &m, SG_MCP_POST, sid, BIG(8), NULL, &s);
	answered(e, &s, RESULT(8, "sent"));
	assert_int_equal(s.nevents, 0);
	assert_int_equal(g.nevents, 2);
	assert_non_null(strstr(g.events, "\"data\":\"0:x\""));
	assert_non_null(strstr(g.events, "\"data\":\"1:x\""));
	sg_mcp_hub_cancel(e->hub, &g);
}

static void test_mcptarget_cut_off_when_its_client_reads_less(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s, g;

	session(e, &m, sid);
	ask(e, &m, SG_MCP_GET, sid, NULL, NULL, &g);
	g.waiting = SG_MCP_QUEUE_MAX; /* its client reads nothing */
	ask(e, &m, SG_MCP_POST, sid, BIG(8), NULL, &s);
	answered(e, &s,
		 GONE(8, "target fake: it sent more than the client reads: 8 MiB wait for it"));
	assert_int_equal(g.nevents, 0);
	/* Cut off for what it sent: never started again. */
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 0);
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(9, "hello"), NULL, &s);
	answered(e, &s,
		 GONE(9, "target fake: it sent more than the client reads: 8 MiB wait for it"));
	assert_int_equal(sg_mcp_hub_restarts(e->hub), 0);
	sg_mcp_hub_cancel(e->hub, &g);
}

static void test_mcptarget_cut_off_for_a_flood(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t[2] = { fake("a"), fake("b") };
	struct sg_mcp_backend m = { .targets = t, .n = 2 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s;

	session(e, &m, sid);
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(2, "a_flood"), NULL, &s);
	answered(e, &s,
		 GONE(2, "target a: it sent more than 1000 messages for the client in a second"));
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(3, "a_hello"), NULL, &s);
	answered(e, &s,
		 GONE(3, "target a: it sent more than 1000 messages for the client in a second"));
	/* The other target serves on. */
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(4, "b_hello"), NULL, &s);
	answered(e, &s, RESULT(4, "hello"));
	assert_int_equal(sg_mcp_children(), 1);
	assert_int_equal(sg_mcp_hub_restarts(e->hub), 0);
}

static void test_mcptarget_restarts_back_off_then_stop(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s, h;

	session(e, &m, sid);
	for (unsigned k = 0; k <= SG_MCP_RESTARTS; k++) {
		uint64_t went;

		/* Its process exits: the call waiting fails... */
		ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(2, "exit"), NULL, &s);
		answered(e, &s, GONE(2, "target fake: it exited"));
		went = sg_loop_now(e->loop); /* the pass that saw it go and armed the restart */
		/* ...and one that comes meanwhile waits for the new process,
		 * started SG_MCP_RESTART_MS later, doubled at each restart in a
		 * row; after SG_MCP_RESTARTS of them, none. */
		ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(3, "hello"), NULL, &h);
		if (k == SG_MCP_RESTARTS) {
			answered(e, &h, GONE(3, "target fake: it exited"));
			break;
		}
		answered(e, &h, RESULT(3, "hello"));
		if (sg_loop_now(e->loop) - went + 10 < (uint64_t)SG_MCP_RESTART_MS << k)
			fail_msg("restart %u after %" PRIu64 " ms", k + 1,
				 sg_loop_now(e->loop) - went);
		assert_int_equal(sg_mcp_hub_restarts(e->hub), k + 1);
	}
	sg_loop_run_once(e->loop, 0);
	assert_int_equal(sg_mcp_children(), 0);
	assert_int_equal(sg_mcp_hub_restarts(e->hub), SG_MCP_RESTARTS);
}

static void test_mcptarget_restart_handshake_bounded(void **state)
{
	struct env *e = *state;
	char file[] = "/tmp/test_mcptarget.XXXXXX";
	const char *args[] = { "-I", "-S", FAKE, "--hang-init", file };
	struct sg_mcp_target t = fake("fake");
	struct sg_mcp_backend m = { .targets = &t, .n = 1 };
	char sid[SG_MCP_SID_LEN + 1];
	struct slot s, h;
	uint64_t went;
	int fd = mkstemp(file);

	assert_true(fd >= 0);
	close(fd);
	unlink(file); /* the first process answers */
	t.args = (struct sg_strs){ args, 5, 5 };
	session(e, &m, sid);
	/* Its next process never answers the gateway's initialize: what
	 * waits for it fails after SG_MCP_HANDSHAKE_MS, as if it had gone. */
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(2, "exit"), NULL, &s);
	answered(e, &s, GONE(2, "target fake: it exited"));
	went = sg_loop_now(e->loop);
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(3, "hello"), NULL, &h);
	while (!h.done && sg_loop_now(e->loop) - went < SG_MCP_HANDSHAKE_MS + 5000)
		sg_loop_run_once(e->loop, 20);
	answered(e, &h, GONE(3, "target fake: it did not answer its initialize in 10 s"));
	if (sg_loop_now(e->loop) - went < SG_MCP_RESTART_MS + SG_MCP_HANDSHAKE_MS)
		fail_msg("failed after %" PRIu64 " ms", sg_loop_now(e->loop) - went);
	/* Killed and started again after the back-off: this one answers. */
	unlink(file);
	ask(e, &m, SG_MCP_POST, sid, TOOL_CALL(4, "hello"), NULL, &h);
	answered(e, &h, RESULT(4, "hello"));
	assert_int_equal(sg_mcp_hub_restarts(e->hub), 2);
	assert_int_equal(sg_mcp_children(), 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_mcptarget_##name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(stateful_targets_start_with_initialize),
		T(target_request_relayed_to_the_client),
		T(stateless_target_never_asks_the_client),
		T(notifications_on_the_get_stream),
		T(cut_off_when_its_client_reads_less),
		T(cut_off_for_a_flood),
		T(restarts_back_off_then_stop),
		T(restart_handshake_bounded),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
