/* Unit tests of user/core/a2a.c, agentgateway's a2a policy's pieces: which
 * requests are agent cards or calls; a v0.3 card's url and a v1.0 card's
 * interfaces made the gateway's (under the agent's path, or not, on
 * whole segments only); cards that are no cards; a call's method and its
 * answer's outcome, error code, kind, task state and contextId in both
 * spec generations' shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/core/a2a.h"

static enum sg_a2a_kind kind(const char *method, const char *path)
{
	return sg_a2a_classify(method, strlen(method), path, strlen(path));
}

static void test_a2a_classify(void **state)
{
	(void)state;
	assert_int_equal(kind("GET", "/.well-known/agent.json"), SG_A2A_CARD);
	assert_int_equal(kind("GET", "/a/b/.well-known/agent-card.json"), SG_A2A_CARD);
	assert_int_equal(kind("GET", "/.well-known/agent.jsonx"), SG_A2A_NONE);
	assert_int_equal(kind("HEAD", "/.well-known/agent.json"), SG_A2A_NONE);
	assert_int_equal(kind("POST", "/"), SG_A2A_CALL);
	assert_int_equal(kind("GET", "/tasks"), SG_A2A_NONE);
	assert_int_equal(sg_a2a_base_len("/a/.well-known/agent.json", 25), 2);
	assert_int_equal(sg_a2a_base_len("/.well-known/agent-card.json", 28), 0);
}

/* card(BODY, GATEWAY, AGENT): the rewritten card, or "ERR: why". */
static const char *card(const char *body, const char *gateway, const char *agent)
{
	static char buf[1024];
	const char *why;
	char *out = NULL;
	size_t n;

	if (sg_a2a_card(body, strlen(body), gateway, agent, &out, &n, &why) != 0) {
		snprintf(buf, sizeof(buf), "ERR: %s", why);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s", out);
	assert_int_equal(n, strlen(out));
	free(out);
	return buf;
}

static void test_a2a_card(void **state)
{
	(void)state;
	assert_string_equal(card("{\"name\":\"a\",\"url\":\"http://10.0.0.1:9999/\",\"n\":1}",
				 "http://gw:3000", ""),
			    "{\"name\":\"a\",\"url\":\"http://gw:3000\",\"n\":1}");
	/* v1.0: each interface under the agent's path, else its whole path */
	assert_string_equal(
		card("{\"supportedInterfaces\":[{\"url\":\"http://b:1/agents/w/rpc\"},"
		     "{\"url\":\"http://b:1/agents/w-v2/rpc?x=1\"},{\"url\":\"http://b:1\"},"
		     "{\"url\":\"not a url\"}]}",
		     "http://gw/w", "/agents/w"),
		"{\"supportedInterfaces\":[{\"url\":\"http://gw/w/rpc\"},{\"url\":\"http://gw/w/"
		"agents/w-v2/rpc?x=1\"},{\"url\":\"http://gw/w/\"},{\"url\":\"not a url\"}]}");
	assert_string_equal(card("{\"supportedInterfaces\":{}}", "http://gw", ""),
			    "ERR: agent card supportedInterfaces is not an array");
	assert_string_equal(
		card("{\"name\":\"a\"}", "http://gw", ""),
		"ERR: agent card missing URL (no 'url' or 'supportedInterfaces' field)");
	assert_string_equal(card("<html>", "http://gw", ""), "ERR: agent card invalid JSON");
}

static void test_a2a_log(void **state)
{
	struct sg_a2a_log l;
	const char *call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"message/send\"}";

	(void)state;
	memset(&l, 0, sizeof(l));
	sg_a2a_method(call, strlen(call), &l);
	assert_string_equal(l.method, "message/send");
	sg_a2a_method("x", 1, &l);
	assert_string_equal(l.method, "unknown");
	/* an empty name says nothing either (the fuzzer's find) */
	sg_a2a_method("{\"method\":\"\"}", 13, &l);
	assert_string_equal(l.method, "unknown");

	/* v0.3: the result's own fields */
	memset(&l, 0, sizeof(l));
	const char *v03 = "{\"result\":{\"kind\":\"task\",\"status\":{\"state\":\"completed\"},"
			  "\"contextId\":\"c1\"}}";
	sg_a2a_answer(v03, strlen(v03), &l);
	assert_true(l.answered);
	assert_string_equal(l.outcome, "success");
	assert_string_equal(l.kind, "task");
	assert_string_equal(l.state, "completed");
	assert_string_equal(l.context, "c1");
	assert_false(l.has_code);

	/* v1.0: result.task or result.message, whose arm is the kind */
	memset(&l, 0, sizeof(l));
	const char *v10 = "{\"result\":{\"task\":{\"status\":{\"state\":\"TASK_STATE_WORKING\"},"
			  "\"contextId\":\"c2\"}}}";
	sg_a2a_answer(v10, strlen(v10), &l);
	assert_string_equal(l.kind, "task");
	assert_string_equal(l.state, "TASK_STATE_WORKING");
	assert_string_equal(l.context, "c2");

	memset(&l, 0, sizeof(l));
	const char *err = "{\"error\":{\"code\":-32602,\"message\":\"bad\"},\"result\":null}";
	sg_a2a_answer(err, strlen(err), &l);
	assert_string_equal(l.outcome, "error");
	assert_true(l.has_code);
	assert_string_equal(l.code_text, "-32602");

	/* a code no int64 holds is no code (fuzz_a2a found its cast) */
	memset(&l, 0, sizeof(l));
	const char *huge = "{\"error\":{\"code\":-3266666666666666666666666666}}";
	sg_a2a_answer(huge, strlen(huge), &l);
	assert_string_equal(l.outcome, "error");
	assert_false(l.has_code);

	memset(&l, 0, sizeof(l));
	sg_a2a_answer("{}", 2, &l);
	assert_string_equal(l.outcome, "unknown");
	memset(&l, 0, sizeof(l));
	sg_a2a_answer("data: x", 7, &l);
	assert_false(l.answered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a2a_classify),
		cmocka_unit_test(test_a2a_card),
		cmocka_unit_test(test_a2a_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
