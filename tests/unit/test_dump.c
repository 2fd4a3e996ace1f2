/* Unit tests of config_dump's JSON (admin/dump.c, sg_dump_config) over
 * configs loaded from YAML: what `curl :15000/config_dump` shows, in
 * agentgateway's shape (the e2e scenarios run the seeds' jq queries on
 * it; these pin whole documents and a route's and the frontend
 * policies' parts). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/json.h"

/* The dump of the config `text`. */
static char *dump(const char *text)
{
	struct sg_diag d;
	struct sg_cfg *c;
	char *json;

	sg_diag_init(&d);
	c = sg_cfg_load_text("t.yaml", text, &d);
	if (!c)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	json = sg_dump_config(c);
	assert_non_null(json);
	sg_cfg_unref(c);
	return json;
}

/* The part of `json` at path (keys separated by '\x1f', so that keys may
 * hold '/' and '.'; a number picks an array's element), compact. */
static char *part(const char *json, const char *path)
{
	struct sg_json *root = sg_json_parse(json);
	const struct sg_json *v = root;
	char key[128], *out;

	assert_non_null(root);
	while (v && *path) {
		size_t n = strcspn(path, "\x1f");

		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		if (sg_json_type(v) == SG_JSON_ARRAY) {
			v = sg_json_first(v);
			for (long i = strtol(key, NULL, 10); v && i > 0; i--)
				v = sg_json_next(v);
		} else {
			v = sg_json_get(v, key);
		}
		path += n + (path[n] ? 1 : 0);
	}
	assert_non_null(v);
	out = sg_json_print(v, SG_JSON_COMPACT);
	sg_json_free(root);
	assert_non_null(out);
	return out;
}

#define AT "\x1f"

/* One listener, one route, one backend: the whole document, defaults
 * spelled out as agentgateway dumps them. */
static void test_dump_minimal_standalone(void **unused)
{
	char *json = dump("binds:\n- port: 8080\n  listeners:\n  - name: web\n"
			  "    protocol: HTTP\n    routes:\n    - name: r\n"
			  "      backends: [{host: 127.0.0.1:8000}]\n");

	assert_string_equal(json, "{\n"
				  "  \"binds\": [\n"
				  "    {\n"
				  "      \"key\": \"bind/8080\",\n"
				  "      \"address\": \"0.0.0.0:8080\",\n"
				  "      \"protocol\": \"http\",\n"
				  "      \"tunnelProtocol\": \"direct\",\n"
				  "      \"mode\": \"standard\",\n"
				  "      \"listeners\": {\n"
				  "        \"bind/8080/web\": {\n"
				  "          \"key\": \"bind/8080/web\",\n"
				  "          \"gatewayName\": \"default\",\n"
				  "          \"gatewayNamespace\": \"default\",\n"
				  "          \"listenerName\": \"web\",\n"
				  "          \"hostname\": \"\",\n"
				  "          \"protocol\": \"HTTP\",\n"
				  "          \"routes\": {\n"
				  "            \"bind/8080/web/r\": {\n"
				  "              \"key\": \"bind/8080/web/r\",\n"
				  "              \"name\": \"r\",\n"
				  "              \"namespace\": \"default\",\n"
				  "              \"matches\": [\n"
				  "                {\n"
				  "                  \"path\": {\n"
				  "                    \"pathPrefix\": \"/\"\n"
				  "                  }\n"
				  "                }\n"
				  "              ],\n"
				  "              \"backends\": [\n"
				  "                {\n"
				  "                  \"weight\": 1,\n"
				  "                  \"host\": \"127.0.0.1:8000\"\n"
				  "                }\n"
				  "              ]\n"
				  "            }\n"
				  "          },\n"
				  "          \"tcpRoutes\": {}\n"
				  "        }\n"
				  "      }\n"
				  "    }\n"
				  "  ],\n"
				  "  \"policies\": [],\n"
				  "  \"backends\": [\n"
				  "    {\n"
				  "      \"host\": {\n"
				  "        \"name\": \"bind/8080/web/r/backend0\",\n"
				  "        \"target\": \"127.0.0.1:8000\"\n"
				  "      }\n"
				  "    }\n"
				  "  ],\n"
				  "  \"services\": [],\n"
				  "  \"workloads\": [],\n"
				  "  \"config\": {\n"
				  "    \"adminAddr\": \"127.0.0.1:15000\",\n"
				  "    \"statsAddr\": \"0.0.0.0:15020\",\n"
				  "    \"readinessAddr\": \"0.0.0.0:15021\",\n"
				  "    \"connectionTerminationDeadline\": \"10s\",\n"
				  "    \"backend\": {\n"
				  "      \"keepalives\": {\n"
				  "        \"enabled\": true,\n"
				  "        \"time\": \"3m0s\",\n"
				  "        \"interval\": \"3m0s\",\n"
				  "        \"retries\": 9\n"
				  "      },\n"
				  "      \"connectTimeout\": \"10s\",\n"
				  "      \"poolIdleTimeout\": \"1m30s\",\n"
				  "      \"poolMaxSize\": null\n"
				  "    }\n"
				  "  }\n"
				  "}\n");
	free(json);
}

static const char policies_yaml[] =
	"frontendPolicies:\n"
	"  http: {maxConcurrentRequests: 3}\n"
	"  tcp: {maxConnections: 4}\n"
	"binds:\n"
	"- port: 8080\n"
	"  listeners:\n"
	"  - name: web\n"
	"    hostname: web.example\n"
	"    protocol: HTTP\n"
	"    routes:\n"
	"    - name: direct\n"
	"      matches: [{path: {pathPrefix: /direct}}]\n"
	"      policies:\n"
	"        directResponse: {body: \"hello!\", status: 418}\n"
	"    - name: app\n"
	"      hostnames: [a.example]\n"
	"      matches: [{path: {exact: /app}, method: POST,\n"
	"                 headers: [{name: x-env, value: {exact: canary}}]}]\n"
	"      policies:\n"
	"        retry: {attempts: 2, codes: [503], backoff: 100ms,\n"
	"                condition: 'response.headers[\"x-failed\"] == \"yes\"',\n"
	"                precondition: 'request.method != \"POST\"'}\n"
	"        timeout: {requestTimeout: 5s}\n"
	"        requestHeaderModifier: {add: {X-A: a}, remove: [X-B]}\n"
	"      backends:\n"
	"      - host: 127.0.0.1:8000\n"
	"        weight: 3\n";

/* A route's matches, hostnames, weighted backends and inline policies:
 * a directResponse body in base64, retry codes by name, policies in
 * agentgateway's order. */
static void test_dump_routes_and_inline_policies(void **unused)
{
	char *json = dump(policies_yaml);
	char *direct = part(json, "binds" AT "0" AT "listeners" AT "bind/8080/web" AT "routes" AT
				  "bind/8080/web/direct");
	char *app = part(json, "binds" AT "0" AT "listeners" AT "bind/8080/web" AT "routes" AT
			       "bind/8080/web/app");
	char *hostname = part(json, "binds" AT "0" AT "listeners" AT "bind/8080/web" AT "hostname");

	assert_string_equal(direct, "{\"key\":\"bind/8080/web/direct\",\"name\":\"direct\","
				    "\"namespace\":\"default\","
				    "\"matches\":[{\"path\":{\"pathPrefix\":\"/direct\"}}],"
				    "\"inlinePolicies\":[{\"directResponse\":"
				    "{\"body\":\"aGVsbG8h\",\"status\":418}}]}");
	assert_string_equal(
		app, "{\"key\":\"bind/8080/web/app\",\"name\":\"app\","
		     "\"namespace\":\"default\",\"hostnames\":[\"a.example\"],"
		     "\"matches\":[{\"headers\":[{\"name\":\"x-env\","
		     "\"value\":{\"exact\":\"canary\"}}],"
		     "\"path\":{\"exact\":\"/app\"},\"method\":\"POST\"}],"
		     "\"backends\":[{\"weight\":3,\"host\":\"127.0.0.1:8000\"}],"
		     "\"inlinePolicies\":["
		     "{\"requestHeaderModifier\":{\"add\":{\"X-A\":\"a\"},"
		     "\"remove\":[\"X-B\"]}},"
		     "{\"timeout\":{\"requestTimeout\":\"5s\"}},"
		     "{\"retry\":{\"attempts\":2,\"backoff\":\"100ms\","
		     "\"codes\":[\"503 Service Unavailable\"],"
		     "\"precondition\":\"request.method != \\\"POST\\\"\","
		     "\"condition\":\"response.headers[\\\"x-failed\\\"] == \\\"yes\\\"\"}}]}");
	assert_string_equal(hostname, "\"web.example\"");
	free(direct);
	free(app);
	free(hostname);
	free(json);
}

/* frontendPolicies as agentgateway's gateway-wide policies, keyed
 * frontend/http and frontend/tcp, every field with its default. */
static void test_dump_frontend_policies(void **unused)
{
	char *json = dump(policies_yaml);
	char *policies = part(json, "policies");

	assert_string_equal(
		policies,
		"[{\"key\":\"frontend/http\",\"name\":null,\"target\":{\"gateway\":"
		"{\"gatewayName\":\"default\",\"gatewayNamespace\":\"default\","
		"\"listenerName\":null}},\"policy\":{\"frontend\":{\"hTTP\":"
		"{\"maxBufferSize\":2097152,\"http1MaxHeaders\":null,"
		"\"http1IdleTimeout\":\"10m0s\",\"http2WindowSize\":null,"
		"\"http2ConnectionWindowSize\":null,\"http2FrameSize\":null,"
		"\"http2KeepaliveInterval\":null,\"http2KeepaliveTimeout\":null,"
		"\"maxConcurrentRequests\":3}}}},"
		"{\"key\":\"frontend/tcp\",\"name\":null,\"target\":{\"gateway\":"
		"{\"gatewayName\":\"default\",\"gatewayNamespace\":\"default\","
		"\"listenerName\":null}},\"policy\":{\"frontend\":{\"tCP\":"
		"{\"keepalives\":{\"enabled\":true,\"time\":\"3m0s\",\"interval\":\"3m0s\","
		"\"retries\":9},\"maxConnections\":4}}}}]");
	free(policies);
	free(json);
}

/* frontendPolicies.accessLog as agentgateway's LoggingPolicy and
 * config.logging as its telemetry Config (fields' expressions as their
 * text). */
static void test_dump_access_log(void **unused)
{
	char *json = dump("config:\n"
			  "  logging:\n"
			  "    format: json\n"
			  "    fields: {add: {a: 'request.path'}, remove: [engine]}\n"
			  "frontendPolicies:\n"
			  "  accessLog:\n"
			  "    filter: 'response.code >= 500'\n"
			  "    add: {user.id: 'request.headers[\"x-user\"]'}\n"
			  "binds:\n- port: 8080\n  listeners:\n  - routes: []\n");
	char *pol = part(json, "policies" AT "0");
	char *logging = part(json, "config" AT "logging");

	assert_string_equal(pol, "{\"key\":\"frontend/accessLog\",\"name\":null,\"target\":"
				 "{\"gateway\":{\"gatewayName\":\"default\",\"gatewayNamespace\":"
				 "\"default\",\"listenerName\":null}},\"policy\":{\"frontend\":"
				 "{\"accessLog\":{\"filter\":\"response.code >= 500\",\"add\":"
				 "{\"user.id\":\"request.headers[\\\"x-user\\\"]\"},"
				 "\"remove\":[]}}}}");
	assert_string_equal(logging, "{\"filter\":null,\"fields\":{\"remove\":[\"engine\"],"
				     "\"add\":{\"a\":\"request.path\"}},\"level\":\"info\","
				     "\"format\":\"json\"}");
	free(pol);
	free(logging);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_minimal_standalone),
		cmocka_unit_test(test_dump_routes_and_inline_policies),
		cmocka_unit_test(test_dump_frontend_policies),
		cmocka_unit_test(test_dump_access_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
