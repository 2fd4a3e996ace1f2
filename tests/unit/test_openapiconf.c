/* config/openapiconf.c: an OpenAPI document made an MCP openapi target's
 * tools as agentgateway makes them (exact tool JSON), its server prefix,
 * and what is refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/openapiconf.h"
#include "tests/unit/cfgtext.h"

struct doc {
	struct sg_arena a;
	struct sg_diag d;
	struct sg_mcp_target t;
	int rc;
};

/* text (JSON or YAML) converted into f->t; f->rc the result. */
static void convert(struct doc *f, const char *text)
{
	struct sg_node **docs = NULL;
	size_t n = 0, cap = 0;

	memset(f, 0, sizeof(*f));
	sg_arena_init(&f->a);
	sg_diag_init(&f->d);
	if (sg_yaml_parse(&f->a, "api.json", text, strlen(text), &docs, &n, &cap, &f->d) || n != 1)
		fail_msg("not YAML: %s", f->d.n ? f->d.lines[0] : "?");
	f->rc = sg_openapi_tools(&f->a, &f->d, docs[0], &f->t);
}

static void done(struct doc *f)
{
	sg_diag_free(&f->d);
	sg_arena_free(&f->a);
}

/* text converts with no error. */
static void convert_ok(struct doc *f, const char *text)
{
	convert(f, text);
	if (f->rc || f->d.n)
		fail_msg("convert: %s", f->d.n ? f->d.lines[0] : "?");
}

/* text is refused with an error containing `want`. */
static void refused(const char *text, const char *want)
{
	struct doc f;

	convert(&f, text);
	assert_int_equal(f.rc, -1);
	assert_int_equal(f.d.errors, 1);
	if (!strstr(f.d.lines[0], want))
		fail_msg("want \"%s\" in: %s", want, f.d.lines[0]);
	done(&f);
}

#define HEAD "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"T\",\"version\":\"1\"},"

/* Path-level parameters merged with the operation's (the operation's
 * taking its slot; a header's name read without case), a body through
 * a $ref whose nested $ref is followed, the summary as title (cut at 64
 * bytes), the input schema in agentgateway's JsonSchema order. */
static void test_openapiconf_tool_json(void **state)
{
	struct doc f;

	(void)state;
	convert_ok(
		&f, HEAD
		"\"servers\":[{\"url\":\"https://api.example.com/v2/\"}],"
		"\"paths\":{\"/ws/{ws}/tags\":{"
		"\"parameters\":["
		"{\"name\":\"ws\",\"in\":\"path\",\"required\":true,\"description\":\"path-level\","
		"\"schema\":{\"type\":\"string\"}},"
		"{\"name\":\"X-Req\",\"in\":\"header\",\"schema\":{\"type\":\"string\"}}],"
		"\"post\":{\"operationId\":\"addTag\","
		"\"summary\":\"Add a tag to a workspace, with a summary longer than sixty-four "
		"bytes\","
		"\"parameters\":["
		"{\"name\":\"ws\",\"in\":\"path\",\"required\":true,\"description\":\"op-level\","
		"\"schema\":{\"type\":\"string\",\"pattern\":\"^ws_\",\"description\":\"s\"}},"
		"{\"name\":\"x-req\",\"in\":\"header\",\"schema\":{\"$ref\":\"#/components/"
		"schemas/Id\"}},"
		"{\"name\":\"limit\",\"in\":\"query\",\"schema\":{\"type\":\"integer\","
		"\"minimum\":1,\"maximum\":100}}],"
		"\"requestBody\":{\"$ref\":\"#/components/requestBodies/Tag\"},"
		"\"responses\":{\"200\":{\"description\":\"ok\"}}}}},"
		"\"components\":{\"schemas\":{"
		"\"Id\":{\"type\":\"integer\",\"format\":\"int64\",\"nullable\":false},"
		"\"Tag\":{\"type\":\"object\",\"required\":[\"name\"],\"xml\":{\"name\":\"tag\"},"
		"\"properties\":{\"name\":{\"type\":\"string\",\"example\":\"red\"},"
		"\"id\":{\"$ref\":\"#/components/schemas/Id\"}}}},"
		"\"requestBodies\":{\"Tag\":{\"required\":true,\"content\":{"
		"\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Tag\"}}}}}}}");
	assert_string_equal(f.t.api_prefix, "/v2");
	assert_int_equal(f.t.ntools, 1);
	assert_string_equal(f.t.tools[0].name, "addTag");
	assert_string_equal(f.t.tools[0].method, "POST");
	assert_string_equal(f.t.tools[0].path, "/ws/{ws}/tags");
	assert_false(f.t.tools[0].octet);
	assert_int_equal(f.t.tools[0].headers.n, 1);
	assert_string_equal(f.t.tools[0].headers.v[0], "x-req");
	assert_string_equal(
		f.t.tools[0].json,
		"{\"name\":\"addTag\","
		"\"title\":\"Add a tag to a workspace, with a summary longer than sixty-four \","
		"\"description\":\"Add a tag to a workspace, with a summary longer than sixty-four "
		"bytes\","
		"\"inputSchema\":{\"required\":[\"body\",\"path\"],\"properties\":{"
		"\"body\":{\"type\":\"object\",\"properties\":{"
		"\"name\":{\"example\":\"red\",\"type\":\"string\"},"
		"\"id\":{\"type\":\"integer\",\"format\":\"int64\"}},\"required\":[\"name\"]},"
		"\"path\":{\"required\":[\"ws\"],\"properties\":{\"ws\":{\"description\":\"op-"
		"level\","
		"\"type\":\"string\",\"pattern\":\"^ws_\"}},\"type\":\"object\"},"
		"\"query\":{\"required\":[],\"properties\":{\"limit\":{\"type\":\"integer\","
		"\"minimum\":1,\"maximum\":100}},\"type\":\"object\"},"
		"\"header\":{\"required\":[],\"properties\":{\"x-req\":{\"type\":\"integer\","
		"\"format\":\"int64\"}},\"type\":\"object\"}},"
		"\"type\":\"object\"}}");
	done(&f);
}

/* Each schema as the openapiv3 crate writes it back: SchemaData first
 * (x- extensions after), the kind's fields in its struct's order, f64
 * fields as f64s, false defaults dropped; a mix of kinds (AnySchema) in
 * its order, Option booleans kept; nested references of a parameter's
 * schema left as they are; an operation with nothing: an empty schema,
 * the name its description. YAML reads as JSON does. */
static void test_openapiconf_schemas(void **state)
{
	struct doc f;

	(void)state;
	convert_ok(
		&f,
		"openapi: 3.0.3\n"
		"info: {title: T, version: '1'}\n"
		"x-top: ignored\n"
		"paths:\n"
		"  x-ext: 1\n"
		"  /a:\n"
		"    get:\n"
		"      operationId: a\n"
		"      parameters:\n"
		"      - name: n\n"
		"        in: query\n"
		"        schema: {maximum: 10, type: number, minimum: 0.5, exclusiveMinimum: false,"
		" x-k: v, deprecated: true}\n"
		"      - name: m\n"
		"        in: query\n"
		"        schema: {type: string, minimum: 1, exclusiveMaximum: false}\n"
		"      - name: o\n"
		"        in: query\n"
		"        schema: {type: array, items: {$ref: '#/components/schemas/S'},"
		" uniqueItems: false}\n"
		"      responses: {}\n"
		"    delete:\n"
		"      operationId: b\n"
		"      responses: {}\n"
		"components:\n"
		"  schemas:\n"
		"    S: {type: string}\n");
	assert_int_equal(f.t.ntools, 2);
	assert_string_equal(f.t.api_prefix, "");
	assert_string_equal(
		f.t.tools[0].json,
		"{\"name\":\"a\",\"description\":\"a\",\"inputSchema\":{\"required\":[],"
		"\"properties\":{\"query\":{\"required\":[],\"properties\":{"
		"\"n\":{\"deprecated\":true,\"x-k\":\"v\",\"type\":\"number\","
		"\"minimum\":0.5,\"maximum\":10.0},"
		"\"m\":{\"type\":\"string\",\"exclusiveMaximum\":false,\"minimum\":1.0},"
		"\"o\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/S\"}}"
		"},\"type\":\"object\"}},\"type\":\"object\"}}");
	assert_string_equal(
		f.t.tools[1].json,
		"{\"name\":\"b\",\"description\":\"b\",\"inputSchema\":{\"required\":[],"
		"\"properties\":{},\"type\":\"object\"}}");
	assert_string_equal(f.t.tools[1].method, "DELETE");
	done(&f);
}

/* An octet-stream body (JSON preferred when both are offered). */
static void test_openapiconf_octet_body(void **state)
{
	struct doc f;

	(void)state;
	convert_ok(&f,
		   HEAD "\"paths\":{\"/up\":{\"put\":{\"operationId\":\"up\","
			"\"requestBody\":{\"content\":{\"application/octet-stream\":{\"schema\":"
			"{\"type\":\"string\",\"format\":\"binary\"}}}},\"responses\":{}},"
			"\"post\":{\"operationId\":\"both\",\"requestBody\":{\"content\":{"
			"\"application/octet-stream\":{},\"application/json\":{\"schema\":{}}}},"
			"\"responses\":{}}}}}");
	assert_int_equal(f.t.ntools, 2);
	assert_true(f.t.tools[0].octet);
	assert_string_equal(
		f.t.tools[0].json,
		"{\"name\":\"up\",\"description\":\"up\",\"inputSchema\":{\"required\":[],"
		"\"properties\":{\"body\":{\"type\":\"string\",\"format\":\"byte\","
		"\"description\":\"Base64-encoded binary content\"}},\"type\":\"object\"}}");
	assert_false(f.t.tools[1].octet);
	assert_string_equal(f.t.tools[1].json,
			    "{\"name\":\"both\",\"description\":\"both\",\"inputSchema\":{"
			    "\"required\":[],\"properties\":{\"body\":{}},\"type\":\"object\"}}");
	done(&f);
}

/* agentgateway's get_server_prefix cases. */
static void test_openapiconf_server_prefix(void **state)
{
	static const char *const cases[][2] = {
		{ "https://api.example.com/", "" },
		{ "https://api.example.com", "" },
		{ "https://api.example.com/v2", "/v2" },
		{ "https://api.example.com/v2/", "/v2" },
		{ "https://{tenant}.example.com/v1", "/v1" },
		{ "https://{tenant}.example.com", "" },
		{ "https://api.example.com/v1/{version}", "/v1/{version}" },
		{ "https://api.example.com/v1?x=1#y", "/v1" },
		{ "//cdn.example.com/v9/", "/v9" },
		{ "/api/v1", "/api/v1" },
		{ "/api/v3", "/api/v3" },
		{ "", "" },
	};
	struct sg_arena a;

	(void)state;
	sg_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = sg_openapi_server_prefix(&a, cases[i][0]);

		if (strcmp(got, cases[i][1]))
			fail_msg("%s: want \"%s\", got \"%s\"", cases[i][0], cases[i][1], got);
	}
	sg_arena_free(&a);
}

#define OP(x)                                                                                      \
	HEAD "\"paths\":{\"/p/{id}\":{\"get\":{\"operationId\":\"g\"," x "\"responses\":{}}}}}"
#define PARAM(x) OP("\"parameters\":[{\"name\":\"id\",\"schema\":{}," x "}],")

/* What agentgateway refuses, and what it would send wrongly or drop,
 * refused by name with its reason. */
static void test_openapiconf_refusals(void **state)
{
	(void)state;
	refused(HEAD "\"paths\":{\"/p\":{\"get\":{\"responses\":{}}}}}",
		"paths.\"/p\".get: information required: operation_id is required for /p");
	refused(PARAM("\"in\":\"cookie\""), "cookie parameters are not supported");
	refused(HEAD "\"paths\":{\"/p\":{\"parameters\":[{\"name\":\"s\",\"in\":\"cookie\","
		     "\"schema\":{}}],\"get\":{\"operationId\":\"g\",\"responses\":{}}}}}",
		"cookie parameters are not supported");
	refused(PARAM("\"in\":\"query\",\"style\":\"pipeDelimited\""),
		"style pipeDelimited is not supported (a query parameter is sent as style form)");
	refused(PARAM("\"in\":\"query\",\"explode\":false"), "explode: false is not supported");
	refused(PARAM("\"in\":\"path\",\"style\":\"label\""), "style label is not supported");
	refused(PARAM("\"in\":\"query\",\"allowReserved\":true"), "allowReserved is not supported");
	refused(OP("\"parameters\":[{\"name\":\"id\",\"in\":\"query\",\"content\":{}}],"),
		"content is not supported for parameters");
	refused(OP("\"parameters\":[{\"$ref\":\"other.json#/id\"}],"),
		"$ref \"other.json#/id\": only references to #/components/parameters/ are "
		"supported");
	refused(OP("\"parameters\":[{\"$ref\":\"#/components/parameters/nope\"}],"),
		"$ref \"#/components/parameters/nope\": the document has no components");
	refused(OP("\"requestBody\":{\"content\":{\"text/xml\":{}}},"),
		"only application/json and application/octet-stream bodies are supported, it has "
		"text/xml");
	refused(OP("\"servers\":[{\"url\":\"/x\"}],"), "an operation's own servers");
	refused(HEAD "\"servers\":[{\"url\":\"/a\"},{\"url\":\"/b\"}],\"paths\":{}}",
		"servers: multiple servers are not supported");
	refused(HEAD "\"paths\":{\"/p\":{\"$ref\":\"#/x\"}}}", "unsupported reference: /p");
	refused(HEAD "\"paths\":{\"/p\":{\"get\":{\"operationId\":\"g\",\"responses\":{}}},"
		     "\"/q\":{\"get\":{\"operationId\":\"g\",\"responses\":{}}}}}",
		"operationId \"g\" names another operation too");
	refused(HEAD "\"x\":{}}", "missing field `paths`");
	refused(HEAD "\"paths\":{\"/p q\":{}}}", "a path of spaces or control characters");
	refused(HEAD "\"servers\":[{\"url\":\"/v1\\r\\nX: y\"}],\"paths\":{}}",
		"servers[0].url: a path of spaces or control characters");
	refused("{\"openapi\":\"3.0.0\",\"paths\":{}}", "missing field `info`");
	refused(OP("\"parameters\":[{\"name\":\"id\",\"in\":\"query\",\"schema\":{\"type\":"
		   "\"string\",\"minLength\":-1}}],"),
		"minLength: expected a non-negative integer");
	/* a body's references are followed: a schema that contains itself
	 * would never end (agentgateway's stack overflows) */
	refused(HEAD
		"\"paths\":{\"/p\":{\"post\":{\"operationId\":\"g\",\"requestBody\":{"
		"\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
		"N\"}}}},\"responses\":{}}}},\"components\":{\"schemas\":{\"N\":{\"type\":"
		"\"object\",\"properties\":{\"next\":{\"$ref\":\"#/components/schemas/N\"}}}}}}",
		"recursive schemas are not supported in a request body");
}

/* cfg's first target is an openapi target at addr:port with the server
 * path prefix and ntools tools; cfg freed. */
static void target_is(struct sg_cfg *cfg, const char *addr, uint16_t port, const char *prefix,
		      size_t ntools)
{
	const struct sg_mcp_target *t =
		&cfg->binds[0].listeners[0].routes[0].backends.v[0].mcp->targets[0];

	assert_int_equal(t->kind, SG_MCP_OPENAPI);
	assert_string_equal(t->addr, addr);
	assert_int_equal(t->port, port);
	assert_string_equal(t->api_prefix, prefix);
	assert_int_equal(t->ntools, ntools);
	sg_cfg_free(cfg);
}

/* An openapi target whose schema is `schema` is refused with an error
 * containing `want`. */
static void refused_in_config(const char *schema, const char *want)
{
	char text[512], *err;

	snprintf(text, sizeof(text),
		 "mcp:\n  targets:\n  - name: api\n    openapi:\n      host: localhost:8080\n"
		 "      schema: %s\n",
		 schema);
	err = error_of(text);
	if (!strstr(err, want))
		fail_msg("want \"%s\" in: %s", want, err);
	free(err);
}

/* Through the config: an inline document (a string) and a file; a URL is
 * refused by name; config_dump leaves the document out (as agentgateway
 * does). */
static void test_openapiconf_in_config(void **state)
{
	struct sg_cfg *cfg;

	(void)state;
	cfg = load("binds:\n"
		   "- port: 3000\n"
		   "  listeners:\n"
		   "  - routes:\n"
		   "    - backends:\n"
		   "      - mcp:\n"
		   "          targets:\n"
		   "          - name: api\n"
		   "            openapi:\n"
		   "              host: localhost:8080\n"
		   "              schema: |\n"
		   "                openapi: 3.0.0\n"
		   "                info: {title: t, version: '1'}\n"
		   "                servers: [{url: /api/v3}]\n"
		   "                paths: {/x: {get: {operationId: x, responses: {}}}}\n");
	target_is(cfg, "localhost", 8080, "/api/v3", 1);
	/* host, port and path together (McpBackendHost's parts; the path unused) */
	cfg = load(
		"mcp:\n"
		"  targets:\n"
		"  - name: api\n"
		"    openapi:\n"
		"      host: 127.0.0.1\n"
		"      port: 8081\n"
		"      path: /unused\n"
		"      schema: '{openapi: 3.0.0, info: {title: t, version: \"1\"}, paths: {}}'\n");
	target_is(cfg, "127.0.0.1", 8081, "", 0);
	refused_in_config("{url: http://127.0.0.1/openapi.json}",
			  "schema.url: fetching the schema from a URL is not supported");
	refused_in_config("{file: /nonexistent/openapi.json}",
			  "cannot read /nonexistent/openapi.json");
	refused_in_config("'{\"openapi\": \"3.0.0\", \"info\": {\"title\": \"t\", \"version\": "
			  "\"1\"}, \"paths\": {\"/x\": {\"get\": {}}}}'",
			  "(mcp.targets[0].openapi.schema, inline):1:");
	refused_in_config("'{\"openapi\": \"3.0.0\", \"info\": {\"title\": \"t\", \"version\": "
			  "\"1\"}, \"paths\": {\"/x\": {\"get\": {}}}}'",
			  "operation_id is required for /x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openapiconf_tool_json),
		cmocka_unit_test(test_openapiconf_schemas),
		cmocka_unit_test(test_openapiconf_octet_body),
		cmocka_unit_test(test_openapiconf_server_prefix),
		cmocka_unit_test(test_openapiconf_refusals),
		cmocka_unit_test(test_openapiconf_in_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
