/* user/core/frontend.c: the access log line as a user reads it on stdout
 * (text and JSON, compared whole but for the time of day: the fields in
 * agentgateway's order, escaping, the policy's added and removed fields,
 * stdout gone), the format config.logging picks, the admission bounds a
 * connection and a request head meet (networkAuthorization, per source,
 * maxConnections, maxConcurrentRequests, each refusal counted), a
 * failure answered to a gRPC client, and routing by Host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/core/a2a.h"
#include "user/core/admit.h"
#include "user/core/celreq.h"
#include "user/core/frontend.h"
#include "user/core/srclimit.h"
#include "user/core/stats.h"

struct env {
	struct sg_cfg *cfg;
	struct sg_stats stats;
	struct sg_frontend f;
	struct test_capture out;
	char log[16384];
	char head[512];
	struct sg_h1_header slots[16];
	struct sg_h1_req req;
};

static int setup(void **state)
{
	static const char text[] = "config:\n  logging: {format: json}\n"
				   "frontendPolicies:\n"
				   "  networkAuthorization:\n"
				   "    rules:\n"
				   "    - 'cidr(\"127.0.0.0/8\").containsIP(source.address)'\n"
				   "    - deny: 'source.port == 40123'\n"
				   "  tcp: {maxConnections: 2}\n"
				   "  http: {maxConcurrentRequests: 1}\n"
				   "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - name: web\n"
				   "    hostname: web.example\n"
				   "    protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: api\n"
				   "      matches: [{path: {exact: /api}}]\n"
				   "      backends: [{host: 127.0.0.1:1}]\n"
				   "    - name: root\n"
				   "      matches: [{path: {exact: /}}]\n"
				   "      backends: [{host: 127.0.0.1:1}]\n"
				   "  - name: other\n"
				   "    hostname: '*.other.example'\n"
				   "    protocol: HTTP\n"
				   "    routes:\n"
				   "    - name: any\n"
				   "      backends: [{host: 127.0.0.1:1}]\n";
	struct env *e = calloc(1, sizeof(*e));
	struct sg_diag d;

	assert_non_null(e);
	sg_diag_init(&d);
	e->cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->cfg)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	sg_stats_init(&e->stats);
	e->f.stats = &e->stats;
	e->f.admit = sg_admit_new();
	assert_non_null(e->f.admit);
	e->f.access_log = SG_ACCESS_LOG_TEXT;
	test_capture_init(&e->out);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_capture_end(&e->out, NULL, 0);
	sg_srclimit_free(e->f.srclimit);
	sg_admit_free(e->f.admit);
	sg_stats_destroy(&e->stats);
	sg_cfg_free(e->cfg);
	free(e);
	return 0;
}

/* ---- the access log --------------------------------------------------------- */

/* A request as both frontends describe it: GET /a?b=1 to web.example,
 * answered 200 by 127.0.0.1:9000 on the first try. */
static struct sg_access_entry entry(enum sg_access_log format)
{
	return (struct sg_access_entry){
		.listener = "web",
		.route = "api",
		.endpoint = "127.0.0.1:9000",
		.src = "192.0.2.7",
		.method = "GET",
		.method_len = 3,
		.target = "/a?b=1",
		.target_len = 6,
		.host = "web.example",
		.host_len = 11,
		.minor = 1,
		.protocol = "HTTP",
		.status = 200,
		.attempts = 1,
		.duration_ms = 12,
		.bytes_in = 10,
		.bytes_out = 2048,
		.engine = SG_RELAY_COPY,
		.format = format,
	};
}

/* What sg_frontend_log wrote for each of e[0..n), the times taken out. */
static const char *logged(struct env *env, const struct sg_access_entry *e, size_t n)
{
	test_capture_start(&env->out, STDOUT_FILENO);
	for (size_t i = 0; i < n; i++)
		sg_frontend_log(&env->f, &e[i]);
	test_capture_end(&env->out, env->log, sizeof(env->log));
	test_log_untimed(env->log);
	return env->log;
}

/* The fields in agentgateway's order, text and JSON; a line each, with
 * the time of day first (checked, then taken out). */
static void test_frontend_log_lines(void **state)
{
	struct env *env = *state;
	struct sg_access_entry e[3] = { entry(SG_ACCESS_LOG_TEXT), entry(SG_ACCESS_LOG_JSON),
					entry(SG_ACCESS_LOG_OFF) };
	char raw[1024];

	test_capture_start(&env->out, STDOUT_FILENO);
	sg_frontend_log(&env->f, &e[0]);
	test_capture_end(&env->out, raw, sizeof(raw));
	assert_true(strlen(raw) > 25 && raw[4] == '-' && raw[7] == '-' && raw[10] == 'T' &&
		    raw[13] == ':' && raw[16] == ':' && raw[19] == '.' && raw[23] == 'Z');
	assert_true(!strncmp(raw, "20", 2) && strspn(raw + 20, "0123456789") == 3);

	assert_string_equal(
		logged(env, e, 3),
		"info  request gateway=- listener=web route=api endpoint=127.0.0.1:9000 "
		"src.addr=192.0.2.7 http.method=GET http.host=web.example http.path=/a?b=1 "
		"http.version=HTTP/1.1 http.status=200 protocol=HTTP attempts=1 duration=12ms "
		"bytes_in=10 bytes_out=2048 engine=copy\n"
		"{\"level\":\"info\",\"gateway\":\"\",\"listener\":\"web\",\"route\":\"api\","
		"\"endpoint\":\"127.0.0.1:9000\",\"src.addr\":\"192.0.2.7\",\"http.method\":"
		"\"GET\","
		"\"http.host\":\"web.example\",\"http.path\":\"/a?b=1\",\"http.version\":\"HTTP/"
		"1.1\","
		"\"http.status\":200,\"protocol\":\"HTTP\",\"attempts\":1,\"duration_ms\":12,"
		"\"bytes_in\":10,\"bytes_out\":2048,\"engine\":\"copy\"}\n");
}

/* What the gateway knows about some requests: their Gateway, an HTTP/2
 * version, a trace, its own failure, an MCP or a2a call; names it does
 * not know as "-" (text) and "" (JSON). */
static void test_frontend_log_optional_fields(void **state)
{
	struct env *env = *state;
	struct sg_celreq_mcp mcp = { .kind = "tool",
				     .target = "t",
				     .name = "echo",
				     .method = "tools/call",
				     .session = "s1" };
	struct sg_a2a_log a2a = { .method = "message/send",
				  .answered = true,
				  .outcome = "error",
				  .has_code = true,
				  .code_text = "-32601" };
	struct sg_access_entry e[2];

	e[0] = entry(SG_ACCESS_LOG_TEXT);
	e[0].gw_ns = "infra";
	e[0].gw_name = "gw";
	e[0].version = "HTTP/2";
	e[0].trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
	e[0].span_id = "00f067aa0ba902b7";
	e[0].route = e[0].endpoint = e[0].host = NULL;
	e[0].status = 503;
	e[0].reason = "no_healthy_backend";
	e[0].error = "no healthy backend: \"all down\"";
	e[0].mcp = &mcp;
	e[1] = e[0];
	e[1].format = SG_ACCESS_LOG_JSON;
	e[1].mcp = NULL;
	e[1].a2a = &a2a;
	assert_string_equal(
		logged(env, e, 2),
		"info  request gateway=infra/gw listener=web route=- endpoint=- src.addr=192.0.2.7 "
		"http.method=GET http.host=- http.path=/a?b=1 http.version=HTTP/2 http.status=503 "
		"trace.id=4bf92f3577b34da6a3ce929d0e0e4736 span.id=00f067aa0ba902b7 protocol=HTTP "
		"attempts=1 duration=12ms bytes_in=10 bytes_out=2048 engine=copy "
		"mcp.method.name=tools/call mcp.target=t mcp.resource.type=tool "
		"gen_ai.tool.name=echo mcp.session.id=s1 reason=no_healthy_backend "
		"error=\"no healthy backend: \\\"all down\\\"\"\n"
		"{\"level\":\"info\",\"gateway\":\"infra/gw\",\"listener\":\"web\",\"route\":\"\","
		"\"endpoint\":\"\",\"src.addr\":\"192.0.2.7\",\"http.method\":\"GET\","
		"\"http.host\":\"\",\"http.path\":\"/a?b=1\",\"http.version\":\"HTTP/2\","
		"\"http.status\":503,\"trace.id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
		"\"span.id\":\"00f067aa0ba902b7\",\"protocol\":\"HTTP\",\"attempts\":1,"
		"\"duration_ms\":12,\"bytes_in\":10,\"bytes_out\":2048,\"engine\":\"copy\","
		"\"a2a.method\":\"message/send\",\"a2a.response.outcome\":\"error\","
		"\"a2a.response.error_code\":-32601,\"reason\":\"no_healthy_backend\","
		"\"error\":\"no healthy backend: \\\"all down\\\"\"}\n");
}

/* Whatever a request's target holds, a line stays one line (and valid
 * JSON): control bytes escaped, bytes that are not UTF-8 replaced (a
 * surrogate's and an overlong form's too), quotes
 * escaped, a value cut at 1 KiB. */
static void test_frontend_log_escapes(void **state)
{
	static const char target[] = "/\"q\\\r\n\t\x7f/caf\xc3\xa9/\xff\xc3/\xed\xa0\x80/\xc0\xaf";
	struct env *env = *state;
	struct sg_access_entry e[2] = { entry(SG_ACCESS_LOG_JSON), entry(SG_ACCESS_LOG_TEXT) };
	char long_path[3000];
	const char *s;

	e[0].target = target;
	e[0].target_len = sizeof(target) - 1;
	s = logged(env, e, 1);
	assert_non_null(
		strstr(s, "\"http.path\":\"/\\\"q\\\\\\u000d\\u000a\\u0009\\u007f/"
			  "caf\xc3\xa9/\\ufffd\\ufffd/\\ufffd\\ufffd\\ufffd/\\ufffd\\ufffd\","));
	assert_int_equal(strchr(s, '\n') - s, strlen(s) - 1);

	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	e[1].target = long_path;
	e[1].target_len = sizeof(long_path);
	s = logged(env, e + 1, 1);
	s = strstr(s, "http.path=");
	assert_non_null(s);
	assert_int_equal(strcspn(s, " ") - strlen("http.path="), 1024);
}

/* The access log policy's fields: added ones at the end (a string
 * quoted in JSON, JSON text as it is), one that has a built-in field's
 * name replaces it, and removed ones go, by either format's name. */
static void test_frontend_log_policy_fields(void **state)
{
	static const char *gone[] = { "src.addr", "duration_ms", "engine" };
	static const struct sg_strs remove = { gone, 3, 3 };
	static const struct sg_celreq_field added[] = {
		{ "user", "ann \"a\"", 7, true },
		{ "n", "3", 1, false },
		{ "m", "{\"k\":[1,\"x\"]}", 13, false },
		{ "http.status", "\"teapot\"", 8, false },
	};
	struct env *env = *state;
	struct sg_access_entry e[2] = { entry(SG_ACCESS_LOG_TEXT), entry(SG_ACCESS_LOG_JSON) };

	for (int i = 0; i < 2; i++) {
		e[i].added = added;
		e[i].nadded = 4;
		e[i].remove = &remove;
	}
	assert_string_equal(
		logged(env, e, 2),
		"info  request gateway=- listener=web route=api endpoint=127.0.0.1:9000 "
		"http.method=GET http.host=web.example http.path=/a?b=1 http.version=HTTP/1.1 "
		"protocol=HTTP attempts=1 bytes_in=10 bytes_out=2048 user=ann \\\"a\\\" n=3 "
		"m={\"k\":[1,\"x\"]} http.status=\"teapot\"\n"
		"{\"level\":\"info\",\"gateway\":\"\",\"listener\":\"web\",\"route\":\"api\","
		"\"endpoint\":\"127.0.0.1:9000\",\"http.method\":\"GET\","
		"\"http.host\":\"web.example\",\"http.path\":\"/a?b=1\",\"http.version\":\"HTTP/"
		"1.1\","
		"\"protocol\":\"HTTP\",\"attempts\":1,\"bytes_in\":10,\"bytes_out\":2048,"
		"\"user\":\"ann \\\"a\\\"\",\"n\":3,\"m\":{\"k\":[1,\"x\"]},"
		"\"http.status\":\"teapot\"}\n");
}

/* stdout gone: logging stops for good (and --access-log's choice is
 * fixed so config.logging does not start it again). */
static void test_frontend_log_stdout_gone(void **state)
{
	struct env *env = *state;
	struct sg_access_entry e = entry(SG_ACCESS_LOG_TEXT);
	int saved = dup(STDOUT_FILENO);

	assert_true(saved >= 0);
	fflush(stdout);
	close(STDOUT_FILENO);
	sg_frontend_log(&env->f, &e);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_int_equal(env->f.access_log, SG_ACCESS_LOG_OFF);
	assert_true(env->f.access_log_fixed);
	assert_int_equal(sg_frontend_log_format(&env->f, env->cfg->global.logging),
			 SG_ACCESS_LOG_OFF);
}

/* config.logging picks the format unless --access-log did; its level
 * warn or error means no request line. */
static void test_frontend_log_format(void **state)
{
	struct env *env = *state;
	struct sg_logging l = { .format = SG_LOG_FORMAT_UNSET };

	assert_int_equal(sg_frontend_log_format(&env->f, NULL), SG_ACCESS_LOG_TEXT);
	assert_int_equal(sg_frontend_log_format(&env->f, env->cfg->global.logging),
			 SG_ACCESS_LOG_JSON);
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_TEXT);
	l.format = SG_LOG_FORMAT_TEXT;
	env->f.access_log = SG_ACCESS_LOG_JSON;
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_TEXT);
	l.level = "warn";
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_OFF);
	l.level = "error";
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_OFF);
	l.level = "debug";
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_TEXT);
	env->f.access_log_fixed = true;
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_JSON);
	l.level = "warn";
	assert_int_equal(sg_frontend_log_format(&env->f, &l), SG_ACCESS_LOG_JSON);
}

/* ---- admission ------------------------------------------------------------- */

#define COUNT(e, which) ((e)->stats.counters[SG_STAT_##which])

/* networkAuthorization first, then the per-source bound, then the
 * bind's maxConnections; each refusal counted apart, and a connection
 * refused by a later bound holds no place in an earlier one. */
static void test_frontend_admit_connections(void **state)
{
	struct env *e = *state;
	const struct sg_bind *b = &e->cfg->binds[0];

	e->f.srclimit = sg_srclimit_new(1);
	assert_non_null(e->f.srclimit);
	assert_false(sg_frontend_admit(&e->f, b, "192.0.2.7", 5000));  /* not 127/8 */
	assert_false(sg_frontend_admit(&e->f, b, "127.0.0.1", 40123)); /* denied port */
	assert_int_equal(COUNT(e, REFUSED_NETAUTHZ), 2);

	assert_true(sg_frontend_admit(&e->f, b, "127.0.0.1", 5000));
	assert_false(sg_frontend_admit(&e->f, b, "127.0.0.1", 5001)); /* one per source */
	assert_int_equal(COUNT(e, REFUSED_SOURCE), 1);
	assert_true(sg_frontend_admit(&e->f, b, "127.0.0.2", 5000));
	assert_false(sg_frontend_admit(&e->f, b, "127.0.0.3", 5000)); /* maxConnections 2 */
	assert_int_equal(COUNT(e, REFUSED_MAX_CONN), 1);
	/* .3 was refused by the bind: it holds no per-source place */
	sg_frontend_release(&e->f, b->port, "127.0.0.1");
	assert_true(sg_frontend_admit(&e->f, b, "127.0.0.3", 5000));
	assert_false(sg_frontend_admit(&e->f, b, "127.0.0.1", 5000));
	assert_int_equal(COUNT(e, REFUSED_MAX_CONN), 2);
	assert_int_equal(COUNT(e, REFUSED_SOURCE), 1);
	assert_int_equal(COUNT(e, REFUSED_NETAUTHZ), 2);
}

/* maxConcurrentRequests: a head over it is refused and counted, one
 * after a release is let in. */
static void test_frontend_admit_requests(void **state)
{
	struct env *e = *state;
	const struct sg_bind *b = &e->cfg->binds[0];

	assert_true(sg_frontend_admit_request(&e->f, b));
	assert_false(sg_frontend_admit_request(&e->f, b));
	assert_int_equal(COUNT(e, REFUSED_MAX_REQ), 1);
	sg_admit_release(e->f.admit, SG_ADMIT_REQ, b->port);
	assert_true(sg_frontend_admit_request(&e->f, b));
	assert_int_equal(COUNT(e, REFUSED_MAX_REQ), 1);
}

/* ---- a gRPC client's failure -------------------------------------------------- */

/* An edit's lines, "name: value\n" each. */
static const char *lines(const struct sg_h1_edit *edit)
{
	static char got[1024];

	got[0] = '\0';
	for (size_t i = 0; i < edit->nadd; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%.*s: %.*s\n",
			 (int)edit->add[i].name.len, edit->add[i].name.p,
			 (int)edit->add[i].value.len, edit->add[i].value.p);
	return got;
}

/* A failure answered to a gRPC client: a 200 whose lines carry the
 * status gRPC gives the failure and its text, percent-encoded; a local
 * rate limit's lines after them. */
static void test_frontend_grpc_failure(void **state)
{
	struct sg_filter_limits limits = { .lines = {
						   { { "x-ratelimit-limit", 17 }, { "1", 1 } },
						   { { "x-ratelimit-remaining", 21 }, { "0", 1 } },
						   { { "x-ratelimit-reset", 17 }, { "60", 2 } } } };
	struct sg_grpc_failure g;
	struct sg_h1_edit edit;

	(void)state;
	sg_grpc_failure(SG_FAIL_NO_ROUTE, 0, NULL, NULL, &g, &edit);
	assert_string_equal(lines(&edit), "content-type: application/grpc\n"
					  "grpc-status: 12\n"
					  "grpc-message: route%20not%20found\n");

	sg_grpc_failure(SG_FAIL_RATE_LIMIT, 0, NULL, &limits, &g, &edit);
	assert_string_equal(lines(&edit), "content-type: application/grpc\n"
					  "grpc-status: 14\n"
					  "grpc-message: rate%20limit%20exceeded\n"
					  "x-ratelimit-limit: 1\n"
					  "x-ratelimit-remaining: 0\n"
					  "x-ratelimit-reset: 60\n");
}

/* ---- routing -------------------------------------------------------------- */

/* The route request `text` (a head) takes on bind 8080: "listener/route",
 * or why there is none. */
static const char *routed(struct env *e, const char *text, const char *sni)
{
	static char out[128];
	const struct sg_listener *l;
	const struct sg_match *m;
	const struct sg_route *r;
	enum sg_fail why;
	uint64_t rng = 1; /* no routeGroup here: nothing is drawn */

	assert_true(strlen(text) < sizeof(e->head));
	strcpy(e->head, text);
	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(e->head, strlen(text), 16, &e->req), SG_H1_DONE);
	r = sg_frontend_route(&e->cfg->binds[0], &e->req, sni, &l, &m, &rng, &why);
	if (r)
		snprintf(out, sizeof(out), "%s/%s", l->name, r->name);
	else
		snprintf(out, sizeof(out), "%s: %s", l ? l->name : "-", sg_fail_name(why));
	return out;
}

/* A listener by Host (a wildcard's too), then its route by path without
 * the query; CONNECT's and OPTIONS *'s routes see "/"; a Host whose
 * listener is not the one the TLS handshake chose is misdirected. */
static void test_frontend_route(void **state)
{
	struct env *e = *state;

	assert_string_equal(routed(e, "GET /api?x=1 HTTP/1.1\r\nHost: web.example\r\n\r\n", NULL),
			    "web/api");
	assert_string_equal(routed(e, "GET /api/v2 HTTP/1.1\r\nHost: web.example\r\n\r\n", NULL),
			    "web: no_route");
	assert_string_equal(
		routed(e, "GET /x HTTP/1.1\r\nHost: a.other.example:8080\r\n\r\n", NULL),
		"other/any");
	assert_string_equal(routed(e, "GET /api HTTP/1.1\r\nHost: nowhere.example\r\n\r\n", NULL),
			    "-: no_route");
	assert_string_equal(routed(e, "OPTIONS * HTTP/1.1\r\nHost: web.example\r\n\r\n", NULL),
			    "web/root");
	assert_string_equal(
		routed(e, "CONNECT web.example:443 HTTP/1.1\r\nHost: web.example:443\r\n\r\n",
		       NULL),
		"web/root");
	assert_string_equal(
		routed(e, "GET /api HTTP/1.1\r\nHost: web.example\r\n\r\n", "bind/8080/web"),
		"web/api");
	assert_string_equal(
		routed(e, "GET /api HTTP/1.1\r\nHost: b.other.example\r\n\r\n", "bind/8080/web"),
		"-: misdirected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frontend_log_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_log_optional_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_log_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_log_policy_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_log_stdout_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_log_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_admit_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_admit_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_grpc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_route, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
