/* Unit tests for user/mcp/mcpauthz.c: what a client's request touches,
 * which mcpAuthorization decides on (and the access log records): every
 * request that uses a tool, a prompt or a resource, as agentgateway
 * authorizes them, its name without the target's prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/core/celreq.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcpauthz.h"

/* What msg (a request's params, as JSON text) of method touches in
 * backend m, "KIND TARGET NAME WRITTEN" into out; "" when nothing. */
static const char *touched(const struct sg_mcp_backend *m, const char *method, const char *params,
			   char *out, size_t cap)
{
	char text[512];
	struct sg_jsonrpc msg;
	struct sg_celreq_mcp t = { 0 };
	const char *why, *written;

	snprintf(text, sizeof(text),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
	assert_int_equal(sg_jsonrpc_parse(text, strlen(text), &msg, &why), 0);
	out[0] = '\0';
	if (sg_mcp_touches(m, &msg, &t, &written))
		snprintf(out, cap, "%s %s %s %s", t.kind, t.target, t.name, written);
	sg_jsonrpc_free(&msg);
	return out;
}

/* A prompt's or a resource's completion, and a resource's subscription,
 * use it as prompts/get and resources/read do: a rule that hides it
 * refuses them too (they went to the target unasked: a hidden prompt's
 * argument values, a hidden resource's updates). */
static void test_mcpauthz_touches_every_use(void **state)
{
	struct sg_mcp_target t[2] = { { .name = "a" }, { .name = "b" } };
	struct sg_mcp_backend one = { .targets = t, .n = 1 }, two = { .targets = t, .n = 2 };
	char out[256];

	(void)state;
	assert_string_equal(touched(&two, "tools/call", "{\"name\":\"b_echo\"}", out, sizeof(out)),
			    "tool b echo b_echo");
	assert_string_equal(touched(&two, "prompts/get", "{\"name\":\"a_p\"}", out, sizeof(out)),
			    "prompt a p a_p");
	assert_string_equal(touched(&two, "completion/complete",
				    "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"b_p\"},"
				    "\"argument\":{\"name\":\"x\",\"value\":\"\"}}",
				    out, sizeof(out)),
			    "prompt b p b_p");
	assert_string_equal(touched(&one, "completion/complete",
				    "{\"ref\":{\"type\":\"ref/resource\",\"uri\":\"file:///{x}\"}}",
				    out, sizeof(out)),
			    "resource a file:///{x} file:///{x}");
	assert_string_equal(
		touched(&one, "resources/subscribe", "{\"uri\":\"file:///s\"}", out, sizeof(out)),
		"resource a file:///s file:///s");
	assert_string_equal(
		touched(&two, "resources/unsubscribe", "{\"uri\":\"file:///s\"}", out, sizeof(out)),
		"resource  file:///s file:///s");
	/* nothing: another ref, no name, a prefix naming no target, a list */
	assert_string_equal(touched(&two, "completion/complete",
				    "{\"ref\":{\"type\":\"ref/other\",\"name\":\"b_p\"}}", out,
				    sizeof(out)),
			    "");
	assert_string_equal(touched(&two, "completion/complete",
				    "{\"ref\":{\"type\":\"ref/prompt\"}}", out, sizeof(out)),
			    "");
	assert_string_equal(touched(&two, "prompts/get", "{\"name\":\"c_p\"}", out, sizeof(out)),
			    "");
	assert_string_equal(touched(&two, "tools/list", "{}", out, sizeof(out)), "");
}

/* Refuses the resource (or template) whose URI is file:///hidden/{id},
 * at target b; records what it was asked. */
static bool see(void *arg, const struct sg_celreq_mcp *t)
{
	char *asked = arg;
	size_t n = strlen(asked);

	snprintf(asked + n, 512 - n, "%s %s %s;", t->kind, t->target, t->name);
	return strcmp(t->target, "b") || strcmp(t->name, "file:///hidden/{id}");
}

/* resources/templates/list loses the templates the rules hide, as
 * resources/list loses the resources, each decided as a resource of its
 * target named by its uriTemplate (agentgateway's
 * merge_resource_templates): a hidden template was listed. The id comes
 * back as the client wrote it. */
static void test_mcpauthz_filters_resource_templates(void **state)
{
	struct sg_mcp_target t[2] = { { .name = "a" }, { .name = "b" } };
	struct sg_mcp_backend two = { .targets = t, .n = 2 };
	char asked[512] = "";
	char *body = strdup(
		"{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{\"resourceTemplates\":["
		"{\"name\":\"a_t\",\"uriTemplate\":\"file:///hidden/{id}\"},"
		"{\"name\":\"b_t\",\"uriTemplate\":\"file:///hidden/{id}\"},"
		"{\"name\":\"b_u\",\"uriTemplate\":\"file:///open/{id}\"}]}}");

	(void)state;
	body = sg_mcp_authz_filter(&two, "resources/templates/list", body, see, asked);
	assert_string_equal(
		body, "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{"
		      "\"resourceTemplates\":[{\"name\":\"a_t\",\"uriTemplate\":\"file:///"
		      "hidden/{id}\"},{\"name\":\"b_u\",\"uriTemplate\":\"file:///open/{id}\"}]}}");
	assert_string_equal(asked, "resource a file:///hidden/{id};resource b file:///hidden/{id};"
				   "resource b file:///open/{id};");
	free(body);
	/* another method's answer goes as it is */
	body = strdup("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"resourceTemplates\":[{"
		      "\"name\":\"b_t\",\"uriTemplate\":\"file:///hidden/{id}\"}]}}");
	asked[0] = '\0';
	assert_ptr_equal(sg_mcp_authz_filter(&two, "ping", body, see, asked), body);
	assert_string_equal(asked, "");
	free(body);
}

/* A filtered page keeps the rest of its result: the cursor to the next
 * page (without it a client stops at the first) and _meta. */
static void test_mcpauthz_filtered_page_keeps_cursor(void **state)
{
	struct sg_mcp_target t[2] = { { .name = "a" }, { .name = "b" } };
	struct sg_mcp_backend two = { .targets = t, .n = 2 };
	char asked[512] = "";
	char *body = strdup("{\"jsonrpc\":\"2.0\",\"id\":\"p2\",\"result\":{\"_meta\":{\"k\":1},"
			    "\"resourceTemplates\":[{\"name\":\"b_t\",\"uriTemplate\":"
			    "\"file:///hidden/{id}\"},{\"name\":\"b_u\",\"uriTemplate\":\"file:///"
			    "open/{id}\"}],\"nextCursor\":\"c\\\"3\"}}");

	(void)state;
	body = sg_mcp_authz_filter(&two, "resources/templates/list", body, see, asked);
	assert_string_equal(body,
			    "{\"jsonrpc\":\"2.0\",\"id\":\"p2\",\"result\":{\"_meta\":{\"k\":1},"
			    "\"resourceTemplates\":[{\"name\":\"b_u\",\"uriTemplate\":\"file:///"
			    "open/{id}\"}],\"nextCursor\":\"c\\\"3\"}}");
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcpauthz_touches_every_use),
		cmocka_unit_test(test_mcpauthz_filters_resource_templates),
		cmocka_unit_test(test_mcpauthz_filtered_page_keeps_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
