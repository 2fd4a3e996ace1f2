/* user/mcp/openapi.c: an openapi target's call made the API's HTTP
 * request (exact request target, header lines and body, agentgateway's
 * encodings), and the API's answer made the call's result or error. */
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
#include "user/mcp/openapi.h"

static const char *get_headers[] = { "X-Request-ID" };
static const struct sg_openapi_tool get_user = {
	.name = "get_user",
	.method = "GET",
	.path = "/users/{user_id}",
	.headers = { get_headers, 1, 1 },
};
static const char *post_headers[] = { "X-API-Key", "Content-Type", "host" };
static const struct sg_openapi_tool create_user = {
	.name = "create_user",
	.method = "POST",
	.path = "/users",
	.headers = { post_headers, 3, 3 },
};
static const struct sg_openapi_tool upload = {
	.name = "upload",
	.method = "POST",
	.path = "upload",
	.octet = true,
};

/* The request of tool with args (JSON text) under prefix: 0 expected. */
static void request(const struct sg_openapi_tool *tool, const char *prefix, const char *args,
		    struct sg_openapi_req *r)
{
	struct sg_json *a = sg_json_parse(args);
	char why[64];

	assert_non_null(a);
	assert_int_equal(sg_openapi_request(tool, prefix, a, "authorization: Bearer x\r\n", r, why,
					    sizeof(why)),
			 0);
	sg_json_free(a);
}

static void target_is(const struct sg_openapi_tool *tool, const char *prefix, const char *args,
		      const char *want)
{
	struct sg_openapi_req r;

	request(tool, prefix, args, &r);
	if (strcmp(r.target, want))
		fail_msg("%s: want %s, got %s", args, want, r.target);
	sg_openapi_req_free(&r);
}

/* A path parameter percent-encoded but for RFC 3986's unreserved
 * characters (agentgateway's test_path_param_encoding), a number as it
 * prints, another value left as the template; the server's prefix
 * joined with one slash. */
static void test_openapi_path(void **state)
{
	static const char *const cases[][2] = {
		{ "123", "/users/123" },
		{ "user name", "/users/user%20name" },
		{ "user\xc3\xa9", "/users/user%C3%A9" },
		{ "../admin", "/users/..%2Fadmin" },
		{ "user-1/o/er-1001", "/users/user-1%2Fo%2Fer-1001" },
		{ "123?admin=true", "/users/123%3Fadmin%3Dtrue" },
		{ "123?a=1&b=2", "/users/123%3Fa%3D1%26b%3D2" },
		{ "user#section", "/users/user%23section" },
		{ "a_b.c~d", "/users/a_b.c~d" },
	};
	char args[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(args, sizeof(args), "{\"path\":{\"user_id\":\"%s\"}}", cases[i][0]);
		target_is(&get_user, "", args, cases[i][1]);
	}
	target_is(&get_user, "", "{\"path\":{\"user_id\":12345}}", "/users/12345");
	target_is(&get_user, "", "{\"path\":{\"user_id\":1.5}}", "/users/1.5");
	target_is(&get_user, "", "{\"path\":{\"user_id\":true}}", "/users/{user_id}");
	target_is(&get_user, "", "{}", "/users/{user_id}");
	target_is(&get_user, "/api/v3/", "{\"path\":{\"user_id\":\"7\"}}", "/api/v3/users/7");
	target_is(&get_user, "/api/v3", "{\"path\":{\"user_id\":\"7\"}}", "/api/v3/users/7");
	target_is(&upload, "", "{}", "/upload");
	target_is(&upload, "/v2", "{}", "/v2/upload");
}

/* The query as agentgateway writes it (test_query_param_types): keys and
 * values percent-encoded but for letters and digits, booleans and
 * numbers as they print, an array repeating its key, null the key
 * alone, objects and nested arrays dropped. */
static void test_openapi_query(void **state)
{
	(void)state;
	target_is(&get_user, "", "{\"path\":{\"user_id\":\"u\"},\"query\":{\"verbose\":\"\"}}",
		  "/users/u?verbose=");
	target_is(&get_user, "",
		  "{\"path\":{\"user_id\":\"u\"},\"query\":{\"a\":true,\"b\":false,\"n\":42,"
		  "\"f\":0.25}}",
		  "/users/u?a=true&b=false&n=42&f=0.25");
	target_is(&get_user, "",
		  "{\"path\":{\"user_id\":\"u\"},\"query\":{\"v\":[\"a\",\"b\",1,[2],{}]}}",
		  "/users/u?v=a&v=b&v=1");
	target_is(&get_user, "",
		  "{\"path\":{\"user_id\":\"u\"},\"query\":{\"v\":\"x&evil=1&admin=true\"}}",
		  "/users/u?v=x%26evil%3D1%26admin%3Dtrue");
	target_is(&get_user, "",
		  "{\"path\":{\"user_id\":\"u\"},\"query\":{\"v\":\"hello world-_.~\"}}",
		  "/users/u?v=hello%20world%2D%5F%2E%7E");
	target_is(&get_user, "",
		  "{\"path\":{\"user_id\":\"u\"},\"query\":{\"flag\":null,\"o\":{\"k\":1},\"my "
		  "key\":1}}",
		  "/users/u?flag&my%20key=1");
}

/* Headers: a string among the tool's header parameters (the name as the
 * schema writes it), not one the request has already (Content-Type, the
 * policy's credentials) nor Host and the framing's; a JSON body
 * compact. */
static void test_openapi_headers_and_body(void **state)
{
	struct sg_openapi_req r;

	(void)state;
	request(&get_user, "",
		"{\"path\":{\"user_id\":\"u\"},\"header\":{\"X-Request-ID\":\"req-1\","
		"\"X-Malicious\":\"no\",\"x-request-id\":\"case\"}}",
		&r);
	assert_string_equal(r.headers, "X-Request-ID: req-1\r\n");
	assert_null(r.body);
	sg_openapi_req_free(&r);
	request(&get_user, "", "{\"path\":{\"user_id\":\"u\"},\"header\":{\"X-Request-ID\":12345}}",
		&r);
	assert_string_equal(r.headers, "");
	sg_openapi_req_free(&r);
	request(&get_user, "",
		"{\"path\":{\"user_id\":\"u\"},\"header\":{\"X-Request-ID\":\"a\\r\\nInjected: "
		"1\"}}",
		&r);
	assert_string_equal(r.headers, "");
	sg_openapi_req_free(&r);
	request(&create_user, "",
		"{\"body\":{\"name\":\"New User\",\"email\":\"new@example.com\",\"n\":[1,2]},"
		"\"query\":{\"source\":\"test\"},"
		"\"header\":{\"X-API-Key\":\"secret\",\"Content-Type\":\"text/"
		"plain\",\"host\":\"evil\"}}",
		&r);
	assert_string_equal(r.target, "/users?source=test");
	assert_string_equal(r.headers, "Content-Type: application/json\r\nX-API-Key: secret\r\n");
	assert_int_equal(r.body_len, strlen(r.body));
	assert_string_equal(r.body,
			    "{\"name\":\"New User\",\"email\":\"new@example.com\",\"n\":[1,2]}");
	sg_openapi_req_free(&r);
}

/* An octet-stream body: its base64 decoded; not base64: refused. */
static void test_openapi_octet_body(void **state)
{
	struct sg_openapi_req r;
	struct sg_json *a = sg_json_parse("{\"body\":\"not base64!\"}");
	char why[64];

	(void)state;
	request(&upload, "", "{\"body\":\"AAEC//79\"}", &r);
	assert_string_equal(r.headers, "Content-Type: application/octet-stream\r\n");
	assert_int_equal(r.body_len, 6);
	assert_memory_equal(r.body, "\x00\x01\x02\xff\xfe\xfd", 6);
	sg_openapi_req_free(&r);
	assert_int_equal(sg_openapi_request(&upload, "", a, "", &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the body is not base64");
	sg_json_free(a);
}

static void result_is(uint16_t status, const char *body, const char *want)
{
	char *err, *res = sg_openapi_result("get_user", status, body, strlen(body), &err);

	assert_null(err);
	if (!res || strcmp(res, want))
		fail_msg("%u %s: want %s, got %s", status, body, want, res ? res : "NULL");
	free(res);
}

/* agentgateway's test_call_tool_response_wrapping: an object or null as
 * it is, other JSON under "data", anything else {"code","message"}; a 4xx
 * is a result too; 5xx an error with the body. */
static void test_openapi_result(void **state)
{
	char *err;

	(void)state;
	result_is(200, "null",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"null\"}],\"structuredContent\":null,"
		  "\"isError\":false}");
	result_is(
		200, "{\"id\":\"123\",\"name\":\"Test User\"}",
		"{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"id\\\":\\\"123\\\",\\\"name\\\":"
		"\\\"Test User\\\"}\"}],\"structuredContent\":{\"id\":\"123\",\"name\":\"Test "
		"User\"},\"isError\":false}");
	result_is(200, "[{\"id\":1},{\"id\":2}]",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"data\\\":[{\\\"id\\\":1},"
		  "{\\\"id\\\":2}]}\"}],\"structuredContent\":{\"data\":[{\"id\":1},{\"id\":2}]},"
		  "\"isError\":false}");
	result_is(200, "42",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"data\\\":42}\"}],"
		  "\"structuredContent\":{\"data\":42},\"isError\":false}");
	result_is(
		200, "plain text response",
		"{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"code\\\":200,\\\"message\\\":"
		"\\\"plain text response\\\"}\"}],\"structuredContent\":{\"code\":200,\"message\":"
		"\"plain text response\"},\"isError\":false}");
	result_is(404, "{\"error\":\"User not found\"}",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"error\\\":\\\"User not "
		  "found\\\"}\"}],\"structuredContent\":{\"error\":\"User not found\"},"
		  "\"isError\":false}");
	result_is(204, "",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"code\\\":204,\\\"message\\\":"
		  "\\\"\\\"}\"}],\"structuredContent\":{\"code\":204,\"message\":\"\"},"
		  "\"isError\":false}");
	result_is(200, "bad \xff utf-8",
		  "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"code\\\":200,\\\"message\\\":"
		  "\\\"bad \xef\xbf\xbd utf-8\\\"}\"}],\"structuredContent\":{\"code\":200,"
		  "\"message\":\"bad \xef\xbf\xbd utf-8\"},\"isError\":false}");
	assert_null(sg_openapi_result("get_user", 500, "{\"error\":\"boom\"}", 16, &err));
	assert_string_equal(err, "Upstream API call for tool 'get_user' failed with status 500 "
				 "Internal Server Error: {\"error\":\"boom\"}");
	free(err);
	assert_null(sg_openapi_result("t", 503, "", 0, &err));
	assert_string_equal(err, "Upstream API call for tool 't' failed with status 503 Service "
				 "Unavailable: ");
	free(err);
}

/* The error a 5xx with body[0..len) gives, checked to fit in a JSON-RPC
 * message as heard() builds it (under SG_JSONRPC_MAX, or the hub drops
 * it and the client waits 60 s), that message read back as JSON-RPC with
 * the error's text in it. Returns the error (the caller's). */
static char *error_of(const char *body, size_t len)
{
	char *err = NULL, *msg, *text;
	struct sg_json *id = sg_json_number(7);
	struct sg_jsonrpc m;
	const char *why;
	size_t n;

	assert_null(sg_openapi_result("t", 500, body, len, &err));
	assert_non_null(err);
	n = strlen(err) + 64;
	msg = malloc(n);
	snprintf(msg, n, "failed to send message: openapi upstream error: %s", err);
	text = sg_jsonrpc_error_text(id, SG_JSONRPC_INTERNAL_ERROR, msg);
	assert_non_null(text);
	if (strlen(text) > SG_JSONRPC_MAX)
		fail_msg("a %zu-byte body: a message of %zu bytes", len, strlen(text));
	assert_int_equal(sg_jsonrpc_parse(text, strlen(text), &m, &why), 0);
	assert_int_equal(m.kind, SG_JSONRPC_RESPONSE);
	assert_string_equal(sg_json_str(sg_json_get(m.error, "message")), msg);
	sg_jsonrpc_free(&m);
	sg_json_free(id);
	free(text);
	free(msg);
	return err;
}

/* A 5xx's body is quoted up to SG_MCP_OPENAPI_ERR_BODY_MAX bytes, cut
 * before a character the bound would split and marked with the body's
 * size; the error always fits a JSON-RPC message. 2 MiB of 0x01 (each
 * escaped \u0001) made a 12.5 MB message the hub dropped, and the client
 * waited 60 s (review 3, item 4). */
static void test_openapi_error_body_bounded(void **state)
{
	const size_t big = SG_MCP_OPENAPI_BODY_MAX, max = SG_MCP_OPENAPI_ERR_BODY_MAX;
	const char *head = "Upstream API call for tool 't' failed with status 500 Internal "
			   "Server Error: ";
	char *body = malloc(big + 1), *err, want[64];

	(void)state;
	assert_non_null(body);
	/* control bytes: 4096 of them, then the mark */
	memset(body, 0x01, big);
	err = error_of(body, big);
	assert_int_equal(strlen(err), strlen(head) + max + strlen("... (2097152 bytes in all)"));
	assert_memory_equal(err, head, strlen(head));
	assert_int_equal(err[strlen(head)], 0x01);
	assert_string_equal(err + strlen(head) + max, "... (2097152 bytes in all)");
	free(err);
	/* invalid UTF-8: each byte U+FFFD, 3 bytes, still bounded */
	memset(body, 0xff, big);
	err = error_of(body, big);
	assert_int_equal(strlen(err),
			 strlen(head) + 3 * max + strlen("... (2097152 bytes in all)"));
	free(err);
	/* a character cut short is one U+FFFD, as agentgateway's
	 * from_utf8_lossy makes it */
	err = error_of("x\xe2\x82 y\xf0\x9f\x98", 7);
	assert_string_equal(err + strlen(head), "x\xef\xbf\xbd y\xef\xbf\xbd");
	free(err);
	/* exactly the bound: whole, no mark; one more: cut */
	memset(body, 'a', big);
	err = error_of(body, max);
	assert_int_equal(strlen(err), strlen(head) + max);
	free(err);
	err = error_of(body, max + 1);
	snprintf(want, sizeof(want), "... (%zu bytes in all)", max + 1);
	assert_string_equal(err + strlen(head) + max, want);
	free(err);
	/* a 2-byte character across the bound is left out whole, not split
	 * into U+FFFD */
	memcpy(body + max - 1, "\xc3\xa9", 2);
	err = error_of(body, max + 10);
	assert_int_equal(err[strlen(head) + max - 2], 'a');
	assert_string_equal(err + strlen(head) + max - 1, "... (4106 bytes in all)");
	free(err);
	/* a 4-byte one ending at the bound is in; one starting there is not */
	memset(body, 'a', big);
	memcpy(body + max - 4, "\xf0\x9f\x98\x80", 4);
	memcpy(body + max, "\xe2\x82\xac", 3);
	err = error_of(body, max + 3);
	assert_string_equal(err + strlen(head) + max - 4,
			    "\xf0\x9f\x98\x80... (4099 bytes in all)");
	free(err);
	/* a 3-byte one across it: cut 1 or 2 bytes short */
	memset(body, 'a', big);
	memcpy(body + max - 1, "\xe2\x82\xac", 3);
	err = error_of(body, max + 2);
	assert_string_equal(err + strlen(head) + max - 1, "... (4098 bytes in all)");
	free(err);
	memcpy(body + max - 2, "\xe2\x82\xac", 3);
	err = error_of(body, max + 1);
	assert_string_equal(err + strlen(head) + max - 2, "... (4097 bytes in all)");
	free(err);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openapi_path),
		cmocka_unit_test(test_openapi_query),
		cmocka_unit_test(test_openapi_headers_and_body),
		cmocka_unit_test(test_openapi_octet_body),
		cmocka_unit_test(test_openapi_result),
		cmocka_unit_test(test_openapi_error_body_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
