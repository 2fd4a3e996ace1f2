/* Unit tests for user/mcp/jsonrpc.c: the three kinds of message read,
 * what is refused (and with which JSON-RPC code), the bound on size, and
 * the texts the gateway writes byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/mcp/jsonrpc.h"

static int parse(const char *text, struct sg_jsonrpc *m, const char **why)
{
	return sg_jsonrpc_parse(text, strlen(text), m, why);
}

static void test_jsonrpc_reads_request(void **state)
{
	struct sg_jsonrpc m;
	const char *why;
	double id = 0;

	(void)state;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\","
			       "\"params\":{}}",
			       &m, &why),
			 0);
	assert_int_equal(m.kind, SG_JSONRPC_REQUEST);
	assert_string_equal(m.method, "tools/list");
	assert_int_equal(sg_json_num(m.id, &id), 0);
	assert_true(id == 3);
	assert_non_null(m.params);
	sg_jsonrpc_free(&m);
	/* the members it does not read may come twice (a tool's arguments) */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
			       "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":1,\"a\":2}}}",
			       &m, &why),
			 0);
	sg_jsonrpc_free(&m);
}

static void test_jsonrpc_reads_notification_and_response(void **state)
{
	struct sg_jsonrpc m;
	const char *why;

	(void)state;
	assert_int_equal(
		parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &m, &why),
		0);
	assert_int_equal(m.kind, SG_JSONRPC_NOTIFICATION);
	assert_null(m.id);
	sg_jsonrpc_free(&m);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":-1,"
			       "\"message\":\"no\"}}",
			       &m, &why),
			 0);
	assert_int_equal(m.kind, SG_JSONRPC_RESPONSE);
	assert_non_null(m.error);
	assert_string_equal(sg_json_str(m.id), "a");
	sg_jsonrpc_free(&m);
	/* an error about a message whose id could not be read */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			       "\"message\":\"x\"}}",
			       &m, &why),
			 0);
	assert_int_equal(m.kind, SG_JSONRPC_RESPONSE);
	assert_null(m.id);
	sg_jsonrpc_free(&m);
}

/* Each refused text, its code, and the id kept for the error's id. */
static void test_jsonrpc_refuses(void **state)
{
	static const struct {
		const char *text;
		int code;
		bool has_id;
	} cases[] = {
		{ "not json", SG_JSONRPC_PARSE_ERROR, false },
		{ "", SG_JSONRPC_PARSE_ERROR, false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}garbage",
		  SG_JSONRPC_PARSE_ERROR, false },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
		  SG_JSONRPC_INVALID_REQUEST, false },
		{ "{\"id\":1,\"method\":\"ping\"}", SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", SG_JSONRPC_INVALID_REQUEST,
		  true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", SG_JSONRPC_INVALID_REQUEST,
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", SG_JSONRPC_INVALID_REQUEST,
		  true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":3}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}", SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"result\":1}", SG_JSONRPC_INVALID_REQUEST, false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", SG_JSONRPC_INVALID_REQUEST,
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}", SG_JSONRPC_INVALID_REQUEST,
		  false },
		/* infinity as a double: it would be written back as "id":null */
		{ "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"result\":1}", SG_JSONRPC_INVALID_REQUEST,
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":-1e999,\"method\":\"x\"}",
		  SG_JSONRPC_INVALID_REQUEST, false },
		/* a member the gateway reads, given twice: it reads the first, a
		 * target's JSON.parse the last (a call authorized as echo ran
		 * get-env) */
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		  "\"name\":\"echo\",\"arguments\":{},\"name\":\"get-env\"}}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{"
		  "\"uri\":\"file:///a\",\"uri\":\"file:///b\"}}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{"
		  "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"p\",\"name\":\"q\"}}}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":\"tools/call\"}",
		  SG_JSONRPC_INVALID_REQUEST, true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{},\"params\":{}}",
		  SG_JSONRPC_INVALID_REQUEST, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_jsonrpc m;
		const char *why = NULL;

		assert_int_equal(parse(cases[i].text, &m, &why), cases[i].code);
		assert_non_null(why);
		assert_int_equal(m.id != NULL, cases[i].has_id);
		sg_json_free(m.root);
	}
}

/* An id read as one of the gateway's own: whole, 1 to 2^64 - 1, exactly
 * (1e30 was cast to uint64_t, which is undefined; 1.5 was read as 1). */
static void test_jsonrpc_id_as_own(void **state)
{
	static const struct {
		const char *id;
		bool own;
		uint64_t value;
	} cases[] = {
		{ "1", true, 1 },
		{ "42", true, 42 },
		{ "18446744073709549568", true, 18446744073709549568ull }, /* below 2^64 */
		{ "0", false, 0 },
		{ "-1", false, 0 },
		{ "1.5", false, 0 },
		{ "1e30", false, 0 },
		{ "18446744073709551616", false, 0 }, /* 2^64 */
		{ "\"1\"", false, 0 },
		{ "null", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_json *j = sg_json_parse(cases[i].id);
		uint64_t v = 0;

		assert_non_null(j);
		assert_int_equal(sg_jsonrpc_id_u64(j, &v), cases[i].own);
		assert_true(v == cases[i].value);
		sg_json_free(j);
	}
}

static void test_jsonrpc_bounds_size(void **state)
{
	size_t len = SG_JSONRPC_MAX + 1;
	char *big = malloc(len);
	struct sg_jsonrpc m;
	const char *why;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	assert_int_equal(sg_jsonrpc_parse(big, len, &m, &why), SG_JSONRPC_PARSE_ERROR);
	assert_null(m.root);
	assert_int_equal(sg_jsonrpc_parse("{\"a\":1}\0x", 9, &m, &why), SG_JSONRPC_PARSE_ERROR);
	free(big);
}

static void test_jsonrpc_writes_texts(void **state)
{
	struct sg_jsonrpc m, r;
	const char *why;
	char *t;

	(void)state;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"tools/call\","
			       "\"params\":{\"name\":\"echo\"}}",
			       &m, &why),
			 0);
	t = sg_jsonrpc_with_id(&m, 12);
	assert_string_equal(t, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\","
			       "\"params\":{\"name\":\"echo\"}}");
	free(t);
	t = sg_jsonrpc_error_text(m.id, SG_JSONRPC_METHOD_NOT_FOUND, "no \"such\"");
	assert_string_equal(t, "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"error\":{\"code\":-32601,"
			       "\"message\":\"no \\\"such\\\"\"}}");
	free(t);
	t = sg_jsonrpc_error_text(NULL, SG_JSONRPC_PARSE_ERROR, "x");
	assert_string_equal(t, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			       "\"message\":\"x\"}}");
	free(t);
	assert_int_equal(
		parse("{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":{\"ok\":true}}", &r, &why), 0);
	t = sg_jsonrpc_reply_text(m.id, &r);
	assert_string_equal(t, "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"result\":{\"ok\":true}}");
	free(t);
	sg_jsonrpc_free(&r);
	sg_jsonrpc_free(&m);
}

/* A client's id goes back as it came, byte for byte (JSON-RPC 2.0: the
 * same value): ids past 2^53 and fractions went through a double, so
 * 9007199254740993 came back 9007199254740992 and 0.1 as
 * 0.10000000000000001. Read as one of the gateway's own, a number past
 * 2^53 is that number, not its double. */
static void test_jsonrpc_ids_come_back_as_written(void **state)
{
	static const char *const ids[] = {
		"9007199254740993", "1.5", "0.1", "-0", "1E2", "\"a\\\"b\"", "18446744073709551615",
	};
	char text[256], want[256];
	struct sg_jsonrpc m, r;
	const char *why;
	uint64_t own = 0;
	char *t;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(
			text, sizeof(text),
			"{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\",\"params\":{\"n\":%s}}",
			ids[i], ids[i]);
		assert_int_equal(parse(text, &m, &why), 0);
		t = sg_jsonrpc_result_text(m.id, "{}");
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}",
			 ids[i]);
		assert_string_equal(t, want);
		free(t);
		t = sg_jsonrpc_error_text(m.id, SG_JSONRPC_INTERNAL_ERROR, "x");
		snprintf(want, sizeof(want),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32603,\"message\":"
			 "\"x\"}}",
			 ids[i]);
		assert_string_equal(t, want);
		free(t);
		/* what goes on to a target keeps its params' numbers too */
		t = sg_jsonrpc_with_id(&m, 3);
		snprintf(want, sizeof(want),
			 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"n\":%s}}",
			 ids[i]);
		assert_string_equal(t, want);
		free(t);
		assert_int_equal(
			parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"v\":1.5}}", &r, &why),
			0);
		t = sg_jsonrpc_reply_text(m.id, &r);
		snprintf(want, sizeof(want),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"v\":1.5}}", ids[i]);
		assert_string_equal(t, want);
		free(t);
		sg_jsonrpc_free(&r);
		sg_jsonrpc_free(&m);
	}
	assert_int_equal(
		parse("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{}}", &r, &why), 0);
	assert_true(sg_jsonrpc_id_u64(r.id, &own));
	assert_true(own == 9007199254740993ull);
	sg_jsonrpc_free(&r);
	assert_int_equal(
		parse("{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"result\":{}}", &r, &why),
		0);
	assert_true(sg_jsonrpc_id_u64(r.id, &own));
	assert_true(own == UINT64_MAX);
	sg_jsonrpc_free(&r);
	/* a number outside JSON's grammar is no JSON, as serde_json reads it */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"ping\"}", &m, &why),
			 SG_JSONRPC_PARSE_ERROR);
	sg_json_free(m.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonrpc_reads_request),
		cmocka_unit_test(test_jsonrpc_reads_notification_and_response),
		cmocka_unit_test(test_jsonrpc_refuses),
		cmocka_unit_test(test_jsonrpc_id_as_own),
		cmocka_unit_test(test_jsonrpc_bounds_size),
		cmocka_unit_test(test_jsonrpc_writes_texts),
		cmocka_unit_test(test_jsonrpc_ids_come_back_as_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
