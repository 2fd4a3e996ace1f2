/* user/core/celreq.c: what CEL reads of one request (request.*,
 * response.*, source.* and destination.* off a real loopback socket,
 * proxy.*, backend, jwt from a really signed token, apiKey, basicAuth,
 * mcp), each value with its CEL type; the access log's filter and
 * fields; transformations' header values and bodies; and the numbers
 * conditions, delays and samplers read. Expressions and policies come
 * from a real config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "edtoken.h"
#include "loopback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/build.h"
#include "config/cel.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/jwt.h"
#include "user/base/json.h"
#include "user/base/loop.h"
#include "user/core/authn.h"
#include "user/core/celreq.h"
#include "user/core/filter.h"

#define ISSUER "https://issuer.example"

struct env {
	struct sg_cfg *cfg;
	EVP_PKEY *key;
	/* the request's head and its parse, and the input a frontend fills */
	char head[1024];
	struct sg_h1_header slots[16];
	struct sg_h1_req req;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	/* where kept values go (sg_celreq_keep_fn) */
	_Alignas(16) char kept[4096];
	size_t nkept;
};

static const struct sg_route *route_of(const struct env *e)
{
	return &e->cfg->binds[0].listeners[0].routes[0];
}

static int setup(void **state)
{
	static const char fmt[] =
		"config:\n"
		"  logging:\n"
		"    filter: 'response.code >= 400'\n"
		"    fields:\n"
		"      add:\n"
		"        s: request.path\n"
		"        n: '1 + 2'\n"
		"        b: 'true'\n"
		"        l: '[1, \"a\\u00e9\", 2.5]'\n"
		"        m: '{\"k\": request.method, \"q\": \"say \\\"hi\\\"\"}'\n"
		"        none: 'request.headers[\"x-none\"]'\n"
		"        nul: 'null'\n"
		"        d: 'duration(\"1.5s\")'\n"
		"        by: 'b\"hi\"'\n"
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - name: web\n"
		"    routes:\n"
		"    - name: app\n"
		"      policies:\n"
		"        jwtAuth: {issuer: " ISSUER ", audiences: [api], jwks: '%s'}\n"
		"        transformations:\n"
		"          request:\n"
		"            add: {x-m: request.method}\n"
		"            set: {x-p: request.path, x-bad: '\"a\\nb\"', x-err: "
		"'request.headers[\"x-none\"]', x-n: '1 + 1'}\n"
		"            remove: [x-gone]\n"
		"      backends:\n"
		"      - host: 127.0.0.1:1\n";
	struct env *e = calloc(1, sizeof(*e));
	char jwks[512], text[4096];
	struct sg_diag d;

	assert_non_null(e);
	e->key = ed_key(jwks, sizeof(jwks));
	snprintf(text, sizeof(text), fmt, jwks);
	sg_diag_init(&d);
	e->cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->cfg || sg_jwt_prepare(e->cfg, &d) < 0)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_cfg_free(e->cfg);
	EVP_PKEY_free(e->key);
	free(e);
	return 0;
}

/* As a plan keeps them: each piece aligned as malloc's (celreq keeps
 * arrays of pointers there too). */
static char *keep(void *arg, const char *s, size_t n)
{
	struct env *e = arg;
	char *p;

	e->nkept = (e->nkept + 15) & ~(size_t)15;
	p = e->kept + e->nkept;
	assert_true(e->nkept + n + 1 <= sizeof(e->kept));
	if (s)
		memcpy(p, s, n);
	p[n] = '\0';
	e->nkept += n + 1;
	return p;
}

/* The request `text` (a head) as the frontend hands it on, from
 * 192.0.2.7:40000 over plain HTTP, routed: e->v its view. */
static struct sg_celreq_view *request(struct env *e, const char *text)
{
	const struct sg_h1_span *host;

	assert_true(strlen(text) < sizeof(e->head));
	strcpy(e->head, text);
	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(e->head, strlen(text), 16, &e->req), SG_H1_DONE);
	host = sg_h1_header(&e->req, "host");
	e->in = (struct sg_filter_input){
		.scheme = "http",
		.method = e->req.method,
		.target = e->req.target,
		.host = host ? *host : (struct sg_h1_span){ "", 0 },
		.req = &e->req,
		.client_ip = "192.0.2.7",
		.client_port = 40000,
		.sock = -1,
		.bind = &e->cfg->binds[0],
		.listener = &e->cfg->binds[0].listeners[0],
		.route = route_of(e),
		.backend = &route_of(e)->backends.v[0],
	};
	sg_celreq_view_of(&e->v, &e->in, NULL);
	return &e->v;
}

#define GET "GET /app/x?q=1&r=2 HTTP/1.1\r\nHost: web.example:8080\r\n"

/* `src` evaluated over v as an expression reads it: "<type> <text>"
 * (a list or map as JSON), or "error" when it fails (an absent
 * attribute among others). */
static const char *eval(const struct sg_celreq_view *v, const char *src)
{
	static char out[1024];
	struct sg_cel_err err;
	struct sg_cel *e;
	struct sg_celreq c;
	struct sg_cel_val val;
	const char *s;
	size_t n;

	if (sg_cel_compile(src, &e, &err))
		fail_msg("%s: does not compile", src);
	sg_celreq_begin(&c, v);
	sg_cel_eval(e, &c.run, &val);
	if (val.type == SG_CEL_ERROR) {
		snprintf(out, sizeof(out), "error");
	} else if (val.type == SG_CEL_LIST || val.type == SG_CEL_MAP) {
		struct env k = { 0 };
		struct sg_h1_span body;

		assert_int_equal(sg_celreq_body(e, v, keep, &k, &body), 0);
		snprintf(out, sizeof(out), "%s %.*s", sg_cel_type_name(val.type), (int)body.len,
			 body.p);
	} else {
		assert_int_equal(sg_cel_to_text(&c.run, &val, &s, &n), 0);
		snprintf(out, sizeof(out), "%s %.*s", sg_cel_type_name(val.type), (int)n, s);
	}
	sg_celreq_end(&c);
	sg_cel_free(e);
	return out;
}

/* ---- request.* ------------------------------------------------------------ */

static void test_celreq_request(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "X-A: one\r\nx-a: two\r\n\r\n");
	struct timespec now;
	char *end;

	assert_string_equal(eval(v, "request.method"), "string GET");
	assert_string_equal(eval(v, "request.path"), "string /app/x");
	assert_string_equal(eval(v, "request.pathAndQuery"), "string /app/x?q=1&r=2");
	assert_string_equal(eval(v, "request.host"), "string web.example:8080");
	assert_string_equal(eval(v, "request.scheme"), "string http");
	assert_string_equal(eval(v, "request.uri"), "string http://web.example:8080/app/x?q=1&r=2");
	assert_string_equal(eval(v, "request.version"), "string HTTP/1.1");
	/* a header's lines: a list when there are several */
	assert_string_equal(eval(v, "request.headers[\"x-a\"]"), "list [\"one\",\"two\"]");
	assert_string_equal(eval(v, "request.headers[\"X-A\"]"), "list [\"one\",\"two\"]");
	assert_string_equal(eval(v, "request.headers[\"host\"]"), "string web.example:8080");
	assert_string_equal(eval(v, "request.headers[\"x-none\"]"), "error");
	/* not held, not known in this phase: absent */
	assert_string_equal(eval(v, "request.body"), "error");
	assert_string_equal(eval(v, "request.startTime"), "error");
	assert_string_equal(eval(v, "response.code"), "error");

	/* the body held whole: bytes; the times: timestamps now */
	v->body = (struct sg_h1_span){ "{\"user\":\"ann\"}", 14 };
	v->has_body = true;
	v->end_ns = sg_clock_ns();
	v->start_ns = v->end_ns - 2000000000ull;
	assert_string_equal(eval(v, "request.body"), "bytes {\"user\":\"ann\"}");
	assert_string_equal(eval(v, "request.bodyPrefix"), "bytes {\"user\":\"ann\"}");
	assert_string_equal(eval(v, "json(request.body).user"), "string ann");
	assert_string_equal(eval(v, "string(request.endTime - request.startTime)"), "string 2s");
	clock_gettime(CLOCK_REALTIME, &now);
	assert_memory_equal(eval(v, "request.endTime"), "google.protobuf.Timestamp 20", 28);
	assert_memory_equal(eval(v, "int(request.endTime)"), "int ", 4);
	assert_in_range(strtoll(eval(v, "int(request.endTime)") + 4, &end, 10), now.tv_sec - 5,
			now.tv_sec + 5);

	/* HTTP/2's version; HTTP/1.0 without Host: the target alone */
	v->version = "HTTP/2";
	assert_string_equal(eval(v, "request.version"), "string HTTP/2");
	v = request(e, "OPTIONS * HTTP/1.0\r\n\r\n");
	assert_string_equal(eval(v, "request.version"), "string HTTP/1.0");
	assert_string_equal(eval(v, "request.host"), "error");
	assert_string_equal(eval(v, "request.uri"), "string *");
	assert_string_equal(eval(v, "request.path"), "string *");
}

/* ---- response.* ----------------------------------------------------------- */

static void test_celreq_response(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sg_h1_header lines[2] = { { { "X-Failed", 8 }, { "yes", 3 } },
					 { { "content-type", 12 }, { "text/plain", 10 } } };
	struct sg_h1_resp resp = {
		.status = 503, .minor = 1, .headers = lines, .headers_cap = 2, .nheaders = 2
	};

	/* before the response: absent; the status the gateway answered */
	assert_string_equal(eval(v, "response.code"), "error");
	v->status = 429;
	assert_string_equal(eval(v, "response.code"), "int 429");
	assert_string_equal(eval(v, "response.headers[\"x-failed\"]"), "error");
	v->resp = &resp;
	assert_string_equal(eval(v, "response.code"), "int 503");
	assert_string_equal(eval(v, "response.headers[\"x-failed\"]"), "string yes");
	assert_string_equal(eval(v, "response.headers[\"Content-Type\"]"), "string text/plain");
	assert_string_equal(eval(v, "request.headers[\"x-failed\"]"), "error");
	assert_string_equal(eval(v, "response.body"), "error");
	/* a body over maxBufferSize: its prefix alone */
	v->resp_body = (struct sg_h1_span){ "{\"a\":", 5 };
	v->resp_prefix = true;
	assert_string_equal(eval(v, "response.body"), "error");
	assert_string_equal(eval(v, "response.bodyPrefix"), "bytes {\"a\":");
	v->resp_body = (struct sg_h1_span){ "{\"a\":1}", 7 };
	v->resp_prefix = false;
	v->has_resp_body = true;
	assert_string_equal(eval(v, "json(response.body).a"), "uint 1");
	assert_string_equal(eval(v, "response.bodyPrefix"), "bytes {\"a\":1}");
}

/* ---- source.*, destination.*, proxy.*, backend, env ------------------------- */

static void test_celreq_source_and_proxy(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char want[64];
	int client, server;

	assert_string_equal(eval(v, "source.address"), "string 192.0.2.7");
	assert_string_equal(eval(v, "source.port"), "int 40000");
	/* no socket: the TCP peer and where it arrived are absent; no TLS:
	 * no certificate */
	assert_string_equal(eval(v, "source.rawAddress"), "error");
	assert_string_equal(eval(v, "destination.port"), "error");
	assert_string_equal(eval(v, "source.subjectAltNames"), "error");
	assert_string_equal(eval(v, "source.identity"), "error");
	v->client_port = 0;
	assert_string_equal(eval(v, "source.port"), "error");

	/* a real connection: the peer's and our ends, read when asked */
	test_tcp_pair(&client, &server, 0);
	v->sock = server;
	assert_string_equal(eval(v, "source.rawAddress"), "string 127.0.0.1");
	assert_string_equal(eval(v, "destination.address"), "string 127.0.0.1");
	assert_int_equal(getsockname(client, (struct sockaddr *)&a, &len), 0);
	snprintf(want, sizeof(want), "int %u", ntohs(a.sin_port));
	assert_string_equal(eval(v, "source.rawPort"), want);
	len = sizeof(a);
	assert_int_equal(getsockname(server, (struct sockaddr *)&a, &len), 0);
	snprintf(want, sizeof(want), "int %u", ntohs(a.sin_port));
	assert_string_equal(eval(v, "destination.port"), want);
	close(client);
	close(server);

	assert_string_equal(eval(v, "proxy.bind"), "string bind/8080");
	assert_string_equal(eval(v, "proxy.listener.name"), "string web");
	assert_string_equal(eval(v, "proxy.route.name"), "string app");
	assert_string_equal(eval(v, "proxy.route.kind"), "string HTTPRoute");
	/* a standalone listener's Gateway: agentgateway's default/default */
	assert_string_equal(eval(v, "proxy.gateway.name"), "string default");
	assert_string_equal(eval(v, "proxy.gateway.namespace"), "string default");
	assert_string_equal(
		eval(v, "backend"),
		"map {\"name\":\"127.0.0.1:1\",\"type\":\"static\",\"protocol\":\"http\"}");
	v->route = NULL;
	v->backend = NULL;
	assert_string_equal(eval(v, "proxy.route.name"), "error");
	assert_string_equal(eval(v, "backend"), "error");

	/* env: the process's POD_NAME (read once: main sets it), unset ones
	 * absent */
	assert_string_equal(eval(v, "env.podName"), "string gw-0");
	assert_string_equal(eval(v, "env.gateway"), "error");
}

/* ---- jwt, apiKey, basicAuth, mcp --------------------------------------------- */

static void test_celreq_proved(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sg_authn authn = { 0 };
	struct sg_jwt_result r;
	char claims[320], *tok, want[1024];
	struct sg_diag d;
	struct sg_cfg *kc;
	int64_t now = time(NULL);

	assert_string_equal(eval(v, "jwt"), "error");
	assert_string_equal(eval(v, "apiKey"), "error");
	assert_string_equal(eval(v, "basicAuth"), "error");

	/* jwt: the verified token's claims, JSON numbers without a fraction
	 * as ints */
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"" ISSUER "\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":%lld,"
		 "\"groups\":[\"a\",\"b\"],\"n\":3,\"x\":1.5,\"ok\":true,\"o\":{\"k\":null},"
		 "\"tenant\":1234567890123456788}",
		 (long long)now + 600);
	tok = ed_mint(e->key, claims);
	assert_int_equal(
		sg_jwt_verify(route_of(e)->eff_filters.jwt, tok, strlen(tok), now, &authn.jwt, &r),
		0);
	v->authn = &authn;
	assert_string_equal(eval(v, "jwt.sub"), "string alice");
	assert_string_equal(eval(v, "jwt.groups"), "list [\"a\",\"b\"]");
	assert_string_equal(eval(v, "jwt.n"), "int 3");
	assert_string_equal(eval(v, "jwt.x"), "double 1.5");
	/* an int past 2^53 as written, not as its double: a token for tenant
	 * ...788 is not one for ...789 (their doubles are one) */
	assert_string_equal(eval(v, "jwt.tenant"), "int 1234567890123456788");
	assert_string_equal(eval(v, "jwt.tenant == 1234567890123456789"), "bool false");
	assert_string_equal(eval(v, "jwt.ok"), "bool true");
	assert_string_equal(eval(v, "jwt.o"), "map {\"k\":null}");
	assert_string_equal(eval(v, "jwt.sub == \"alice\" && \"b\" in jwt.groups"), "bool true");
	/* jwt.rawToken: the token itself, a secret as agentgateway's (not
	 * one of the claims: toJson(jwt) has none) */
	assert_string_equal(eval(v, "jwt.rawToken"), "string <redacted>");
	snprintf(want, sizeof(want), "string %s", tok);
	assert_string_equal(eval(v, "jwt.rawToken.unredacted()"), want);
	assert_string_equal(eval(v, "has(jwt.rawToken)"), "bool true");
	assert_null(strstr(eval(v, "toJson(jwt)"), "rawToken"));
	assert_string_equal(eval(v, "apiKey"), "error");

	/* apiKey: {key, <metadata's entries>}, YAML scalars typed as JSON
	 * would read them; the key "<redacted>" wherever it goes (a log
	 * field, a header, a comparison) unless unredacted() asks, as
	 * agentgateway's SecretString */
	sg_diag_init(&d);
	kc = sg_cfg_load_text("k.yaml",
			      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
			      "    - policies:\n        apiKey: {keys: [{key: sk-123, metadata: "
			      "{team: red, level: 3, ratio: 0.5, on: true, tags: [a, 2], q: '7', "
			      "none: null}}]}\n"
			      "      backends: [{host: 127.0.0.1:1}]\n",
			      &d);
	assert_non_null(kc);
	sg_diag_free(&d);
	authn.apikey = &kc->binds[0].listeners[0].routes[0].eff_filters.apikeys->v[0];
	assert_string_equal(
		eval(v, "apiKey"),
		"map {\"key\":\"<redacted>\",\"team\":\"red\",\"level\":3,\"ratio\":0.5,"
		"\"on\":true,\"tags\":[\"a\",2],\"q\":\"7\",\"none\":null}");
	assert_string_equal(eval(v, "apiKey.level + 1"), "int 4");
	assert_string_equal(eval(v, "apiKey.key"), "string <redacted>");
	assert_string_equal(eval(v, "toJson(apiKey.key)"), "string \"<redacted>\"");
	assert_string_equal(eval(v, "apiKey.key == \"sk-123\""), "bool false");
	assert_string_equal(eval(v, "apiKey.key.unredacted()"), "string sk-123");
	assert_string_equal(eval(v, "apiKey.key.unredacted() == \"sk-123\""), "bool true");
	/* what is made of it is no longer the secret: "<redacted>" stays */
	assert_string_equal(eval(v, "(apiKey.key + \"\").unredacted()"), "string <redacted>");
	assert_string_equal(eval(v, "\"<redacted>\".unredacted()"), "string <redacted>");

	/* basicAuth: {username} */
	authn.basic_user = "bob";
	assert_string_equal(eval(v, "basicAuth"), "map {\"username\":\"bob\"}");

	sg_jwt_claims_put(authn.jwt);
	sg_cfg_free(kc);
	free(tok);
}

/* mcp: each member only when known; its access log and span fields. */
static void test_celreq_mcp(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sg_celreq_mcp m = { .kind = "tool", .target = "everything", .name = "echo" };
	struct sg_celreq_field f[SG_CELREQ_MCP_FIELDS];
	char got[512] = "";
	size_t n;

	assert_string_equal(eval(v, "mcp"), "error"); /* not an MCP call */
	v->mcp = &m;
	assert_string_equal(eval(v, "mcp"),
			    "map {\"tool\":{\"target\":\"everything\",\"name\":\"echo\"}}");
	assert_string_equal(eval(v, "mcp.tool.name"), "string echo");
	assert_string_equal(eval(v, "has(mcp.methodName)"), "bool false");
	m.method = "tools/call";
	m.session = "s-1";
	assert_string_equal(eval(v, "mcp"),
			    "map {\"methodName\":\"tools/call\",\"sessionId\":\"s-1\","
			    "\"tool\":{\"target\":\"everything\",\"name\":\"echo\"}}");

	n = sg_celreq_mcp_fields(&m, f);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s=%.*s%s;", f[i].name,
			 (int)f[i].n, f[i].v, f[i].str ? "" : "(json)");
	assert_string_equal(got,
			    "mcp.method.name=tools/call;mcp.target=everything;"
			    "mcp.resource.type=tool;gen_ai.tool.name=echo;mcp.session.id=s-1;");
	m = (struct sg_celreq_mcp){ .kind = "prompt", .target = "", .name = "greet" };
	got[0] = '\0';
	n = sg_celreq_mcp_fields(&m, f);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s=%.*s;", f[i].name,
			 (int)f[i].n, f[i].v);
	assert_string_equal(got, "mcp.resource.type=prompt;gen_ai.prompt.name=greet;");
	m = (struct sg_celreq_mcp){ .kind = "resource", .target = "t", .name = "file:///a" };
	assert_int_equal(sg_celreq_mcp_fields(&m, f), 3);
	assert_string_equal(f[2].name, "mcp.resource.uri");
	m = (struct sg_celreq_mcp){ .method = "initialize" };
	assert_int_equal(sg_celreq_mcp_fields(&m, f), 1);
}

/* ---- the access log's filter and fields -------------------------------------- */

/* The listener's access log policy (config.logging) over a request
 * answered 503 and one answered 200: the filter; each field's value as
 * the line writes it, a string as text, anything else as JSON; one that
 * fails or is null left out. */
static void test_celreq_log_filter_and_fields(void **state)
{
	struct env *e = *state;
	const struct sg_log_policy *p = e->cfg->binds[0].listeners[0].access;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sg_celreq_field f[16];
	struct sg_celreq l;
	char got[1024] = "";
	size_t n;

	assert_non_null(p);
	v->status = 200;
	assert_false(sg_celreq_log_filter(&l, p, v));
	sg_celreq_end(&l);
	v->status = 503;
	assert_true(sg_celreq_log_filter(&l, p, v));
	n = sg_celreq_log_fields(&l, p, f, 16);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s=%.*s\n",
			 f[i].str ? "" : "#", f[i].name, (int)f[i].n, f[i].v);
	assert_string_equal(got, "s=/app/x\n"
				 "#n=3\n"
				 "#b=true\n"
				 "#l=[1,\"a\xc3\xa9\",2.5]\n"
				 "#m={\"k\":\"GET\",\"q\":\"say \\\"hi\\\"\"}\n"
				 "d=1.5s\n"
				 "by=hi\n");
	/* at most cap, in order */
	assert_int_equal(sg_celreq_log_fields(&l, p, f, 2), 2);
	assert_string_equal(f[1].name, "n");
	sg_celreq_end(&l);

	/* an error in the filter: no line */
	v->resp = NULL;
	v->status = 0;
	assert_false(sg_celreq_log_filter(&l, p, v));
	sg_celreq_end(&l);
}

/* ---- transformations --------------------------------------------------------- */

/* A route's request transformation over a request: add and set with the
 * values their expressions gave (a number as its text), those that fail
 * or would put a control character in a header left out, remove as
 * written. */
static void test_celreq_headers(void **state)
{
	struct env *e = *state;
	const struct sg_transform *t = route_of(e)->eff_filters.transform;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	struct sg_hdrmod m;
	char got[512] = "";

	assert_non_null(t);
	assert_int_equal(sg_celreq_headers(&t->request, v, &m, keep, e), 0);
	for (size_t i = 0; i < m.add.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "add %s: %s\n",
			 m.add.v[i].name, m.add.v[i].value);
	for (size_t i = 0; i < m.set.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "set %s: %s\n",
			 m.set.v[i].name, m.set.v[i].value);
	for (size_t i = 0; i < m.remove.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "remove %s\n",
			 m.remove.v[i]);
	assert_string_equal(got, "add x-m: GET\n"
				 "set x-p: /app/x\n"
				 "set x-n: 2\n"
				 "remove x-gone\n");
}

/* An expression's value as a body: a string or bytes as they are,
 * anything else as JSON, a failure -EINVAL; as extAuthz metadata: a JSON
 * object of those that have a JSON form. */
static void test_celreq_body_and_json(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	const struct sg_log_policy *p = e->cfg->binds[0].listeners[0].access;
	struct sg_cel_err err;
	struct sg_cel *x;
	struct sg_h1_span body;
	struct sg_json *j;
	char *text;
	int rc;

	static const struct {
		const char *src, *want; /* want NULL: -EINVAL */
	} cases[] = {
		{ "request.path", "/app/x" },
		{ "b\"\\x00\\x01\"", "\x00\x01" },
		{ "{\"path\": request.path, \"n\": 1, \"f\": 0.5, \"t\": true}",
		  "{\"path\":\"/app/x\",\"n\":1,\"f\":0.5,\"t\":true}" },
		{ "[null, \"tab\\there\", 1.0 / 0.0]", "[null,\"tab\\u0009here\",\"+Inf\"]" },
		{ "\"\"", "" },
		{ "null", "null" },
		{ "request.headers[\"x-none\"]", NULL },
		{ "{\"a\": request.headers[\"x-none\"]}", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sg_cel_compile(cases[i].src, &x, &err), 0);
		e->nkept = 0;
		rc = sg_celreq_body(x, v, keep, e, &body);
		if (rc != (cases[i].want ? 0 : -EINVAL))
			fail_msg("%s: %d", cases[i].src, rc);
		if (cases[i].want) {
			if (body.len != strlen(cases[i].want) + (i == 1 ? 2 : 0) ||
			    memcmp(body.p, cases[i].want, body.len))
				fail_msg("%s: got '%.*s'", cases[i].src, (int)body.len, body.p);
		}
		sg_cel_free(x);
	}

	/* the log policy's fields as extAuthz metadata: null is JSON's, the
	 * failed one left out */
	j = sg_celreq_json_fields(&p->add, v);
	assert_non_null(j);
	text = sg_json_print(j, SG_JSON_COMPACT);
	assert_string_equal(text,
			    "{\"s\":\"/app/x\",\"n\":3,\"b\":true,\"l\":[1,\"a\xc3\xa9\",2.5],"
			    "\"m\":{\"k\":\"GET\",\"q\":\"say \\\"hi\\\"\"},\"nul\":null,"
			    "\"d\":\"1.5s\",\"by\":\"hi\"}");
	free(text);
	sg_json_free(j);
}

/* ---- the numbers conditions, delays and samplers read ------------------------ */

static void test_celreq_numbers(void **state)
{
	struct env *e = *state;
	struct sg_celreq_view *v = request(e, GET "\r\n");
	static const struct {
		const char *src;
		uint64_t ms;
		double p;
		bool yes;
	} cases[] = {
		{ "true", 0, 1, true },
		{ "false", 0, 0, false },
		{ "1", 1, 1, false },
		{ "0", 0, 0, false },
		{ "2", 2, 1, false },
		{ "-5", 0, 0, false },
		{ "0.25", 1, 0.25, false },
		{ "1.5", 2, 1, false },
		{ "2.0", 2, 1, false },
		{ "-0.5", 0, 0, false },
		{ "duration(\"1500us\")", 2, 0, false },
		{ "duration(\"3s\")", 3000, 0, false },
		{ "duration(\"48h\")", 24 * 3600 * 1000, 0, false },
		{ "1e12", 24 * 3600 * 1000, 1, false },
		{ "\"1\"", 0, 0, false },
		{ "request.headers[\"x-none\"]", 0, 0, false },
		{ "request.method == \"GET\"", 0, 1, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_cel_err err;
		struct sg_cel *x;

		assert_int_equal(sg_cel_compile(cases[i].src, &x, &err), 0);
		if (sg_celreq_ms(x, v) != cases[i].ms ||
		    sg_celreq_probability(x, v) != cases[i].p ||
		    sg_celreq_true(x, v) != cases[i].yes)
			fail_msg("%s: ms %llu, probability %g, true %d", cases[i].src,
				 (unsigned long long)sg_celreq_ms(x, v),
				 sg_celreq_probability(x, v), sg_celreq_true(x, v));
		sg_cel_free(x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_celreq_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_source_and_proxy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_proved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_mcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_log_filter_and_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_body_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_celreq_numbers, setup, teardown),
	};

	/* env.* reads the process's environment once */
	setenv("POD_NAME", "gw-0", 1);
	unsetenv("GATEWAY");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
