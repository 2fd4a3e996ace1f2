/* Unit tests for config/cel (with celparse and celfn): cel-spec's own
 * conformance cases for the subset, agentgateway's example expressions,
 * the request context, CEL's error rules, refusals with their column, and
 * the bounds an expression cannot pass. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config/cel.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct spec_row {
	const char *name, *expr, *want;
};

static const struct spec_row spec_rows[] = {
#include "cel_spec.h"
};

/* ---- a request as the context ------------------------------------------ */

struct fake {
	const char *headers[8][2];
	const char *resp_headers[4][2];
	const char *path, *method, *address;
	int64_t code;
};

static bool fake_attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	const struct fake *f = ud;
	const char *s = a == SG_CEL_REQ_PATH	  ? f->path
			: a == SG_CEL_REQ_METHOD  ? f->method
			: a == SG_CEL_SRC_ADDRESS ? f->address
						  : NULL;

	if (a == SG_CEL_RESP_CODE && f->code) {
		out->type = SG_CEL_INT;
		out->i = f->code;
		return true;
	}
	if (!s)
		return false;
	out->type = SG_CEL_STRING;
	out->s.p = s;
	out->s.n = strlen(s);
	return true;
}

static bool fake_header(void *ud, bool response, size_t i, struct sg_cel_header *h)
{
	const struct fake *f = ud;
	const char *const(*list)[2] = response ? f->resp_headers : f->headers;
	size_t cap = response ? ARRAY_LEN(f->resp_headers) : ARRAY_LEN(f->headers);

	if (i >= cap || !list[i][0])
		return false;
	h->name = list[i][0];
	h->nlen = strlen(h->name);
	h->value = list[i][1];
	h->vlen = strlen(h->value);
	return true;
}

static const struct fake request = {
	.headers = { { "Host", "example.com" },
		     { "User-Agent", "curl/8.0" },
		     { "x-forwarded-for", "10.0.0.1" },
		     { "X-Forwarded-For", "10.0.0.2" },
		     { "authorization", "Bearer a.eyJzdWIiOiJtZSIsImF1ZCI6WyJ4Il19.c" } },
	.resp_headers = { { "content-type", "text/plain" } },
	.path = "/api/v1/users",
	.method = "GET",
	.address = "127.0.0.1",
	.code = 503,
};

/* Compile src and evaluate it over `f` (NULL: an empty context); the run
 * is left for the caller to read and finish. Fails the test when src does
 * not compile. */
static struct sg_cel *run_expr(const char *src, const struct fake *f, struct sg_cel_ctx *ctx,
			       struct sg_cel_run *run, struct sg_cel_val *out)
{
	struct sg_cel_err err;
	struct sg_cel *e = NULL;

	memset(ctx, 0, sizeof(*ctx));
	ctx->ud = (void *)(uintptr_t)f;
	ctx->attr = f ? fake_attr : NULL;
	ctx->header = f ? fake_header : NULL;
	if (sg_cel_compile(src, &e, &err))
		fail_msg("%s: column %u: %s", src, err.col, err.msg);
	sg_cel_run_init(run, ctx);
	sg_cel_eval(e, run, out);
	return e;
}

/* The value as text for a message (string() of it, or its type). */
static const char *show(struct sg_cel_run *run, const struct sg_cel_val *v, char *buf, size_t n)
{
	const char *s;
	size_t len;

	if (v->type == SG_CEL_ERROR)
		snprintf(buf, n, "error: %.*s", (int)v->s.n, v->s.p);
	else if (!sg_cel_to_text(run, v, &s, &len))
		snprintf(buf, n, "%s %.*s", sg_cel_type_name(v->type), (int)len, s);
	else
		snprintf(buf, n, "%s of %zu", sg_cel_type_name(v->type), v->list.n);
	return buf;
}

/* Whether `got` is what the CEL text `want` evaluates to, same type. */
static bool matches_want(const char *want, const struct sg_cel_val *got, char *why, size_t n)
{
	struct sg_cel_ctx ctx;
	struct sg_cel_run run;
	struct sg_cel_val w;
	struct sg_cel *e;
	bool ok;

	if (!strcmp(want, "@error"))
		return got->type == SG_CEL_ERROR;
	if (!strcmp(want, "@nan"))
		return got->type == SG_CEL_DOUBLE && isnan(got->d);
	if (got->type == SG_CEL_ERROR) {
		snprintf(why, n, "error: %.*s", (int)got->s.n, got->s.p);
		return false;
	}
	e = run_expr(want, NULL, &ctx, &run, &w);
	ok = w.type == got->type && sg_cel_equal(&w, got);
	sg_cel_run_done(&run);
	sg_cel_free(e);
	return ok;
}

static void want_value(const char *src, const struct fake *f, const char *want)
{
	struct sg_cel_ctx ctx;
	struct sg_cel_run run;
	struct sg_cel_val got;
	struct sg_cel *e = run_expr(src, f, &ctx, &run, &got);
	char why[256] = "", buf[256];

	if (!matches_want(want, &got, why, sizeof(why)))
		fail_msg("%s: want %s, got %s %s", src, want, show(&run, &got, buf, sizeof(buf)),
			 why);
	sg_cel_run_done(&run);
	sg_cel_free(e);
}

/* src evaluates to an error whose message holds `msg`. */
static void want_error(const char *src, const struct fake *f, const char *msg)
{
	struct sg_cel_ctx ctx;
	struct sg_cel_run run;
	struct sg_cel_val got;
	struct sg_cel *e = run_expr(src, f, &ctx, &run, &got);
	char buf[256];

	if (got.type != SG_CEL_ERROR || !strstr(show(&run, &got, buf, sizeof(buf)), msg))
		fail_msg("%s: want an error with \"%s\", got %s", src, msg,
			 show(&run, &got, buf, sizeof(buf)));
	sg_cel_run_done(&run);
	sg_cel_free(e);
}

/* src evaluates to an error whose message is exactly `msg`. */
static void want_error_is(const char *src, const struct fake *f, const char *msg)
{
	struct sg_cel_ctx ctx;
	struct sg_cel_run run;
	struct sg_cel_val got;
	struct sg_cel *e = run_expr(src, f, &ctx, &run, &got);
	char buf[256];

	if (got.type != SG_CEL_ERROR || got.s.n != strlen(msg) || memcmp(got.s.p, msg, got.s.n))
		fail_msg("%s: want the error \"%s\", got %s", src, msg,
			 show(&run, &got, buf, sizeof(buf)));
	sg_cel_run_done(&run);
	sg_cel_free(e);
}

static void want_refused(const char *src, unsigned col, const char *msg)
{
	struct sg_cel_err err;
	struct sg_cel *e = NULL;
	int rc = sg_cel_compile(src, &e, &err);

	if (rc != -EINVAL || err.col != col || !strstr(err.msg, msg))
		fail_msg("%s: want refused at column %u with \"%s\", got rc %d column %u \"%s\"",
			 src, col, msg, rc, err.col, rc ? err.msg : "");
	assert_null(e);
}

/* ---- cases -------------------------------------------------------------- */

static void test_cel_spec_conformance(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(spec_rows); i++) {
		struct sg_cel_ctx ctx = { 0 };
		struct sg_cel_run run;
		struct sg_cel_val got;
		struct sg_cel_err err;
		struct sg_cel *e;
		char why[256] = "", buf[256];

		if (sg_cel_compile(spec_rows[i].expr, &e, &err)) {
			print_message("%s: %s: column %u: %s\n", spec_rows[i].name,
				      spec_rows[i].expr, err.col, err.msg);
			failed++;
			continue;
		}
		sg_cel_run_init(&run, &ctx);
		sg_cel_eval(e, &run, &got);
		if (!matches_want(spec_rows[i].want, &got, why, sizeof(why))) {
			print_message("%s: %s: want %s, got %s %s\n", spec_rows[i].name,
				      spec_rows[i].expr, spec_rows[i].want,
				      show(&run, &got, buf, sizeof(buf)), why);
			failed++;
		}
		sg_cel_run_done(&run);
		sg_cel_free(e);
	}
	assert_int_equal(failed, 0);
	assert_true(ARRAY_LEN(spec_rows) > 1000);
}

/* agentgateway's examples and documentation pages, as extracted (the
 * sources and commits are named in the file). */
static const struct {
	const char *where, *src, *refused;
} corpus[] = {
#include "cel_examples.h"
};

/* src compiles (refused NULL), or is refused naming `refused` (quoted as
 * the message quotes it) at the variable's column. */
static void compiles_or_refused(const char *src, const char *refused)
{
	struct sg_cel_err err;
	struct sg_cel *e = NULL;
	int rc = sg_cel_compile(src, &e, &err);

	if (!refused && rc)
		fail_msg("%s: column %u: %s", src, err.col, err.msg);
	if (refused && (!rc || !strstr(err.msg, refused) ||
			strncmp(src + err.col - 1, refused + 1, strlen(refused) - 2)))
		fail_msg("%s: want refused naming %s at its column, got %d %s column %u", src,
			 refused, rc, rc ? err.msg : "", err.col);
	sg_cel_free(e);
}

/* Every expression in agentgateway's examples/<name>/config.yaml, the
 * examples of its schema/cel-functions.md and its documentation's
 * traffic-management pages (tests/unit/cel_examples.h) compiles, or is
 * refused by the name of a variable splicegate has no source for: the
 * LLM-only llmRequest, and `metadata` (transformations' metadata, which
 * splicegate refuses). */
static void test_cel_agentgateway_examples(void **state)
{
	static const struct {
		const char *src, *refused;
	} ex[] = {
		/* examples/fault-injection */
		{ "random() < 0.1 ? 2000 : 0", NULL },
		{ "request.headers[\"x-chaos\"] == \"1\" ? 500 : 0", NULL },
		{ "random() < 0.1", NULL },
		/* examples/mcp-authorization */
		{ "mcp.tool.name == \"echo\"", NULL },
		{ "jwt.sub == \"test-user\" && mcp.tool.name == \"get-sum\"", NULL },
		{ "mcp.tool.name == \"get-env\" && jwt.nested.key == \"value\"", NULL },
		/* examples/traffic-a2a */
		{ "backend", NULL },
		/* examples/traffic-http */
		{ "cidr(\"127.0.0.1/8\").containsIP(source.address)", NULL },
		/* examples/traffic-oauth2-proxy */
		{ "extauthz.githubUser", NULL },
		{ "\"/oauth2/start?rd=\" + request.path", NULL },
		{ "response.headers[\"x-auth-request-user\"]", NULL },
		{ "request.host", NULL },
		/* examples/traffic-oidc */
		{ "jwt.sub", NULL },
		{ "jwt.email", NULL },
		/* examples/traffic-ratelimiting-global */
		{ "request.method", NULL },
		{ "request.path", NULL },
		/* examples/traffic-spiffe */
		{ "\"Your SPIFFE ID is: \" + source.spiffeId", NULL },
		/* schema/cel.md's source.identity */
		{ "source.identity.namespace + \"/\" + source.identity.serviceAccount", NULL },
		/* examples/traffic-tailscale-auth */
		{ "\"/localapi/v0/whois?addr=\" + source.address", NULL },
		{ "json(response.body).Node.Name", NULL },
		{ "json(response.body).UserProfile.LoginName", NULL },
		/* examples/traffic-token-exchange/extauthz */
		{ "request.headers[\"authorization\"]", NULL },
		{ "form.encode({\n  \"grant_type\": "
		  "\"urn:ietf:params:oauth:grant-type:token-exchange\",\n"
		  "  \"subject_token\": request.headers[\"authorization\"].split(\" \")[1],\n"
		  "  \"audience\": \"target-client\"\n})",
		  NULL },
		{ "json(response.body).access_token", NULL },
		{ "unvalidatedJwtPayload(json(response.body).access_token).sub", NULL },
		{ "\"Bearer \" + extauthz.token", NULL },
		/* examples/traffic-unified-gateway */
		{ "jwt.email.endsWith(\"@example.com\")", NULL },
		/* schema/cel-functions.md */
		{ "json(request.body).some_field", NULL },
		{ "toJson({\"hello\": \"world\"})", NULL },
		{ "unvalidatedJwtPayload(request.headers.authorization.split(\" \")[1]).sub",
		  NULL },
		{ "json(request.body).with(b, b.field_a + b.field_b)", NULL },
		{ "{\"a\":1,\"b\":2}.filterKeys(k, k == \"a\")", NULL },
		{ "{\"a\":2,\"k\":\"v\"}.merge({\"a\":3})", NULL },
		{ "base64.encode(\"hello\")", NULL },
		{ "string(base64.decode(\"aGVsbG8K\"))", NULL },
		{ "url.encode(\"hello world/?x=1\")", NULL },
		{ "url.decode(\"hello%20world\")", NULL },
		{ "default(request.headers[\"missing-header\"], \"fallback\")", NULL },
		{ "coalesce(request.headers[\"x-id\"], json(request.body).id, \"fallback\")",
		  NULL },
		{ "\"/id/1234/data\".regexReplace(\"/id/[0-9]*/\", \"/id/{id}/\")", NULL },
		{ "jwt.rawToken.unredacted()", NULL },
		{ "llm.requestModel", "'llm'" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ex); i++)
		compiles_or_refused(ex[i].src, ex[i].refused);
	for (size_t i = 0; i < ARRAY_LEN(corpus); i++)
		compiles_or_refused(corpus[i].src, corpus[i].refused);
	/* and what they give */
	want_value("\"/id/1234/data\".regexReplace(\"/id/[0-9]*/\", \"/id/{id}/\")", NULL,
		   "\"/id/{id}/data\"");
	want_value("{\"a\":1,\"b\":2}.filterKeys(k, k == \"a\")", NULL, "{\"a\": 1}");
	want_value("{\"a\":2,\"k\":\"v\"}.merge({\"a\":3})", NULL, "{\"a\": 3, \"k\": \"v\"}");
	want_value("url.encode(\"hello world/?x=1\")", NULL, "\"hello%20world%2F%3Fx%3D1\"");
	want_value("toJson({\"hello\": \"world\"})", NULL, "'{\"hello\":\"world\"}'");
	want_value("json('{\"a\": [1, true, null, \"x\\\\u00e9\"]}').a", NULL,
		   "[1u, true, null, \"x\\u00e9\"]");
	/* a repeated key once, as serde_json reads it: its first place, its
	 * last value */
	want_value("json('{\"a\":1,\"b\":2,\"a\":3,\"\":4,\"\":5}')", NULL,
		   "{\"a\": 3u, \"b\": 2u, \"\": 5u}");
	want_value("size(json('{\"a\":1,\"a\":2,\"a\":3}'))", NULL, "1");
	/* numbers as serde_json reads them (agentgateway's json()): a uint, an
	 * int when negative, a double with a fraction or an exponent or past
	 * 64 bits; so two ids past 2^53 stay apart */
	want_value("json('1234567890123456789') == 1234567890123456789 && "
		   "json('1234567890123456788') != 1234567890123456789",
		   NULL, "true");
	want_value("string(json('{\"id\": 1234567890123456789}').id)", NULL,
		   "\"1234567890123456789\"");
	want_value("[json('1'), json('-1'), json('1.0'), json('1e2'), json('-0'),"
		   " json('18446744073709551616')].map(x, type(x))",
		   NULL, "[uint, int, double, double, double, double]");
	want_value("json('{\"n\": 2}').n + 1u", NULL, "3u");
	want_value("form.encode({\"scope\": \"openid profile\", \"a\": [\"1\", \"2\"]})", NULL,
		   "\"a=1&a=2&scope=openid+profile\"");
	want_value("cidr(\"127.0.0.1/8\").containsIP(source.address)", &request, "true");
	want_value("cidr(\"10.0.0.0/8\").containsIP(source.address)", &request, "false");
	want_value("unvalidatedJwtPayload(request.headers.authorization.split(\" \")[1]).sub",
		   &request, "\"me\"");
	want_value("[1, 2].with(l, l[0] + l[1])", NULL, "3");
}

static void test_cel_reads_the_request(void **state)
{
	struct sg_cel_err err;
	struct sg_cel *e;

	(void)state;
	want_value("request.path.startsWith(\"/api/\") && request.method == \"GET\"", &request,
		   "true");
	/* headers by any case; one value a string, several a list */
	want_value("request.headers[\"user-agent\"]", &request, "\"curl/8.0\"");
	want_value("request.headers.HOST", &request, "\"example.com\"");
	want_value("request.headers[\"x-forwarded-for\"]", &request,
		   "[\"10.0.0.1\", \"10.0.0.2\"]");
	want_value("response.headers[\"content-type\"]", &request, "\"text/plain\"");
	want_value("response.code >= 500", &request, "true");
	/* a missing header is absent, not "" */
	want_error("request.headers[\"x-missing\"]", &request, "no such key: x-missing");
	want_error("request.headers[\"x-missing\"] == \"\"", &request, "no such key");
	want_value("has(request.headers.host)", &request, "true");
	want_value("has(request.headers.missing)", &request, "false");
	want_value("\"user-agent\" in request.headers", &request, "true");
	/* any case, as agentgateway looks a name up in its header map */
	want_value("\"User-Agent\" in request.headers && \"HOST\" in request.headers", &request,
		   "true");
	want_value("\"X-Missing\" in request.headers || \"Content-Type\" in request.headers",
		   &request, "false");
	want_value("\"Content-Type\" in response.headers", &request, "true");
	/* and a name the request gives, in any case too */
	want_value("request.headers[request.method == \"GET\" ? \"User-Agent\" : \"x\"]", &request,
		   "\"curl/8.0\"");
	want_value("[\"HOST\", \"X-Forwarded-FOR\"].all(h, h in request.headers)", &request,
		   "true");
	want_value("[\"X-Missing\"].exists(h, h in request.headers)", &request, "false");
	want_value("request.headers.exists(h, h == \"host\")", &request, "true");
	want_value("size(request.headers)", &request, "4");
	want_value("default(request.headers[\"x-missing\"], \"none\")", &request, "\"none\"");
	/* and for null, as agentgateway's default() (a JSON null, a claim) */
	want_value("default(null, \"none\")", NULL, "\"none\"");
	want_value("default(json(\"{\\\"user\\\": null}\").user, \"anonymous\")", NULL,
		   "\"anonymous\"");
	want_error("default(1 / 0, \"none\")", NULL, "division by zero");
	/* an attribute the request has not got is absent too */
	want_error("request.host", &request, "no such attribute: request.host");
	want_value("has(request.host)", &request, "false");
	want_value("has(jwt.sub)", &request, "false");
	/* what each expression reads */
	assert_int_equal(sg_cel_compile("request.headers[\"a\"] + request.path", &e, &err), 0);
	assert_int_equal(sg_cel_needs(e), SG_CEL_NEED_REQ_HEADERS | SG_CEL_NEED_REQUEST);
	sg_cel_free(e);
	assert_int_equal(sg_cel_compile("json(response.body).x == jwt.sub", &e, &err), 0);
	assert_int_equal(sg_cel_needs(e), SG_CEL_NEED_RESP_BODY | SG_CEL_NEED_JWT);
	sg_cel_free(e);
	assert_int_equal(sg_cel_compile("source.address + proxy.route.name", &e, &err), 0);
	assert_int_equal(sg_cel_needs(e), SG_CEL_NEED_SOURCE | SG_CEL_NEED_PROXY);
	sg_cel_free(e);
	assert_int_equal(sg_cel_compile("1 + 2", &e, &err), 0);
	assert_int_equal(sg_cel_needs(e), 0);
	sg_cel_free(e);
}

/* cel-spec's logic: true || error is true, false || error an error,
 * either side deciding. */
static void test_cel_errors_propagate(void **state)
{
	(void)state;
	want_value("true || 1 / 0 == 1", NULL, "true");
	want_value("1 / 0 == 1 || true", NULL, "true");
	want_error("false || 1 / 0 == 1", NULL, "division by zero");
	want_error("1 / 0 == 1 || false", NULL, "division by zero");
	want_value("false && 1 / 0 == 1", NULL, "false");
	want_value("1 / 0 == 1 && false", NULL, "false");
	want_error("true && 1 / 0 == 1", NULL, "division by zero");
	want_value("request.headers.missing == \"x\" || true", &request, "true");
	want_error("request.headers.missing == \"x\" || false", &request, "no such key");
	want_error("!(1 / 0 == 1)", NULL, "division by zero");
	want_error("(1 / 0 == 1) ? 1 : 2", NULL, "division by zero");
	want_value("[1, 0].exists(x, 1 / x == 1)", NULL, "true");
	want_error("[0, 2].all(x, 1 / x == 0)", NULL, "division by zero");
	want_value("[0, 2].all(x, 1 / x == 1)", NULL, "false");
	want_error("9223372036854775807 + 1", NULL, "overflow");
	want_error("\"a\" + 1", NULL, "no such overload");
	want_error("fail(\"stop\")", NULL, "fail() called: stop");
}

static void test_cel_refuses_with_column(void **state)
{
	(void)state;
	want_refused("request.path ==", 16, "unexpected token");
	want_refused("request.pth == \"/\"", 9, "'request' has no field 'pth'");
	want_refused("size(request.headers) > 1 && nosuch", 30, "undeclared reference to 'nosuch'");
	want_refused("request.path.nosuch()", 14, "undeclared reference to function 'nosuch'");
	want_refused("llm.prompt", 1, "only set for LLM traffic");
	want_refused("  mcpGuardrails.x", 3, "only set by mcpGuardrails");
	want_refused("request", 1, "not a value on its own");
	want_refused("\"abc", 1, "unterminated string literal");
	want_refused("1 + 'a' + @", 11, "unexpected character '@'");
	/* agentgateway's header views, which splicegate lacks: refused by
	 * name, not an error per request */
	want_refused("request.headers.join()[\"x-a\"] == \"1,2\"", 17, "join() of a header map");
	want_refused("response.headers.split()", 18, "split() of a header map");
	want_refused("request.headers.raw()", 17, "raw() of a header map");
	want_refused("request.headers.redacted()", 17, "redacted() of a header map");
	want_refused("request.headers.cookie(\"sid\")", 17, "cookie() of a header map");
	want_value("[\"a\", \"b\"].join() + \"a,b\".split(\",\")[1]", NULL, "\"abb\"");
	want_refused("request.path.raw()", 14, "undeclared reference to function 'raw'");
	want_refused("request.path.matches(\"(\")", 22, "invalid regular expression");
	/* a NUL in the pattern (an escape) would end it there: "a\0b" as "a" */
	want_refused("request.path.matches(\"a\\x00b\")", 22, "a NUL byte");
	want_refused("request.path.regexReplace(\"\\000\", \"\")", 27, "a NUL byte");
	want_refused("request.path.matches(request.method)", 30, "must be a string literal");
	/* Found by fuzz_cel: loops over groups of loops make glibc's regcomp
	 * run for seconds ("((a*)*){1000}" took 28 s); and an expression's
	 * patterns share one expansion bound. */
	want_refused("request.path.matches(\"((a*)*){1000}\")", 22, "expand it too far");
	want_refused("request.path.matches(\"a{1,1500}\") && request.host.matches(\"b{1,1500}\")",
		     59, "with the other patterns of its expression");
	want_refused("\"a\".contains()", 5, "takes 1 argument");
	want_refused("[1].all(1, true)", 9, "must be a variable name");
	want_refused("has(request)", 1, "has() takes one field selection");
	want_refused("if", 1, "reserved identifier 'if'");
	want_refused("18446744073709551616u", 1, "out of range");
	want_refused("9223372036854775808", 1, "out of range");
	want_refused("cel.expr.Type{}", 14, "message construction is not supported");
}

/* Nothing a request sends, and nothing an expression builds, runs past
 * the step and memory bounds. */
static void test_cel_bounded(void **state)
{
	static char big[SG_CEL_MAX_SOURCE + 2];
	struct sg_cel_err err;
	struct sg_cel *e;
	char deep[1024];
	size_t o = 0;

	(void)state;
	/* 10^6 iterations that allocate nothing: steps */
	want_error("[0,1,2,3,4,5,6,7,8,9].with(l, l.all(a, l.all(b, l.all(c, l.all(d, "
		   "l.all(e, l.all(f, f >= 0)))))))",
		   NULL, "took more than 100000 steps");
	/* 10^6 elements built: memory */
	want_error("[0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9]).map(b, b.map(c, "
		   "[0,1,2,3,4,5,6,7,8,9].map(d, [0,1,2,3,4,5,6,7,8,9].map(e, [0,1,2,3,4,5,6,"
		   "7,8,9].map(f, f)))))",
		   NULL, "used more than 1048576 bytes");
	/* a string that doubles: memory */
	want_error("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25].map(x, "
		   "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\")"
		   ".map(s, s + s + s + s + s + s + s + s + s + s + s + s + s + s + s + s)"
		   ".map(s, s + s + s + s + s + s + s + s + s + s + s + s + s + s + s + s)"
		   ".map(s, s + s + s + s + s + s + s + s + s + s + s + s + s + s + s + s)",
		   NULL, "bytes");
	/* too long, too deep: refused at load */
	memset(big, '1', sizeof(big) - 1);
	assert_int_equal(sg_cel_compile(big, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer than"));
	for (int i = 0; i < 200; i++)
		deep[o++] = '(';
	deep[o++] = '1';
	for (int i = 0; i < 200; i++)
		deep[o++] = ')';
	deep[o] = '\0';
	assert_int_equal(sg_cel_compile(deep, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nests more than"));
	memset(big, 0, sizeof(big));
	for (o = 0; o + 4 < 4000;) {
		memcpy(big + o, "1 + ", 4);
		o += 4;
	}
	big[o] = '1';
	assert_int_equal(sg_cel_compile(big, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nests more than"));
}

/* matches() and regexReplace() as Rust's regex (agentgateway's) and RE2
 * read them, over glibc's POSIX matcher: a NUL byte in the value (a
 * string may hold one: string(request.body), url.decode, json) is
 * searched past, not the end of the value, and "." is any character but
 * a newline. */
static void test_cel_regex_as_rust(void **state)
{
	(void)state;
	want_value("\"a\\x00DROP TABLE\".matches(\"DROP\")", NULL, "true");
	want_value("\"a\\x00b\".matches(\"a.b\")", NULL, "true");
	want_value("\"a\\x00b\".matches(\"^b\")", NULL, "false");
	want_value("\"x\\x00b\\x00b\".regexReplace(\"b$\", \"c\")", NULL, "\"x\\x00b\\x00c\"");
	want_value("\"a\\nb\".matches(\"a.b\")", NULL, "false");
	want_value("\"a\\nb\".matches(\"a[^x]b\")", NULL, "true");
	want_value("\"a.b\".matches(\"^a\\\\.b$\") && !\"axb\".matches(\"^a\\\\.b$\")", NULL,
		   "true");
	want_value("\"a.b\".matches(\"^a[.]b$\") && !\"axb\".matches(\"^a[.]b$\")", NULL, "true");
	want_value("\"\\na\".regexReplace(\".\", \"-\")", NULL, "\"\\n-\"");
}

/* regexReplace as agentgateway's (Rust's Regex::replace): the first match
 * only, "$1", "${1}" and "$$" in the replacement expanded, a reference to
 * a group the pattern lacks (or a name: it has none) empty, "(?:" not
 * counted. The first rows are agentgateway's own (celx function_tests). */
static void test_cel_regex_replace_as_rust(void **state)
{
	(void)state;
	want_value("\"blah id=1234 bar\".regexReplace(\"id=(.+?) \", \"[$1] \")", NULL,
		   "\"blah [1234] bar\"");
	want_value(
		"\"/path/1/id/499c81c2/bar\".regexReplace(\"/path/([0-9]+?)/id/([0-9a-z]{8})/bar\","
		" \"/path/{n}/id/{id}/bar\")",
		NULL, "\"/path/{n}/id/{id}/bar\"");
	want_value("\"aXbXc\".regexReplace(\"X\", \"-\")", NULL, "\"a-bXc\"");
	want_value("\"abc\".regexReplace(\"x\", \"-\")", NULL, "\"abc\"");
	want_value("\"k=v\".regexReplace(\"(?:k)=(v)\", \"$1|${1}|$0|$$1|$2|$9x|$x|${x}|$\")", NULL,
		   "\"v|v|k=v|$1|||||$\"");
	want_value("\"ab\".regexReplace(\"(a)|(b)\", \"[$2]\")", NULL, "\"[]b\"");
	want_value("\"ab\".regexReplace(\"b\", \"${1\")", NULL, "\"a${1\"");
	want_value("\"\".regexReplace(\"^\", \"x\")", NULL, "\"x\"");
}

/* agentgateway's other names for functions splicegate has (its celx
 * registers both): base64Encode, base64Decode, to_json. */
static void test_cel_agentgateway_aliases(void **state)
{
	(void)state;
	want_value("string(base64Decode(base64Encode(\"hello\"))) + base64Encode(\"hello\")", NULL,
		   "\"helloaGVsbG8=\"");
	want_value("to_json({\"a\": [1, true]}) == toJson({\"a\": [1, true]})", NULL, "true");
}

static void test_cel_strings_and_conversions(void **state)
{
	(void)state;
	want_value("\"Hello\".lowerAscii() + \"x\".upperAscii()", NULL, "\"helloX\"");
	want_value("\"a,b,,c\".split(\",\")", NULL, "[\"a\", \"b\", \"\", \"c\"]");
	want_value("\"a,b,c\".split(\",\", 2)", NULL, "[\"a\", \"b,c\"]");
	want_value("[\"a\", \"b\"].join(\", \")", NULL, "\"a, b\"");
	want_value("\"aaa\".replace(\"a\", \"b\", 2)", NULL, "\"bba\"");
	want_value("\"héllo\".size()", NULL, "5");
	want_value("\"/api/v1\".matches(\"v[0-9]$\")", NULL, "true");
	want_value("\"/API\".matches(\"(?i)^/api\")", NULL, "true");
	want_value("\"a1\".matches(\"\\\\d\")", NULL, "true");
	want_value("int(\"42\") + int(2.9) + int(3u)", NULL, "47");
	want_value("string(1.5) + \" \" + string(-7) + \" \" + string(true)", NULL,
		   "\"1.5 -7 true\"");
	want_value("duration(\"1m30s\") + duration(\"500ms\")", NULL, "duration(\"90.5s\")");
	want_value("string(duration(\"1h\"))", NULL, "\"3600s\"");
	want_value("timestamp(\"2024-02-29T12:00:00+01:00\").getHours()", NULL, "11");
	want_value("timestamp(\"2024-02-29T12:00:00Z\") - timestamp(\"2024-02-28T12:00:00Z\")",
		   NULL, "duration(\"24h\")");
	want_value("string(timestamp(\"2024-02-29T12:00:00.25Z\") + duration(\"1s\"))", NULL,
		   "\"2024-02-29T12:00:01.25Z\"");
	want_value("double(\"1e3\") == 1000.0", NULL, "true");
	want_value("type(1u) == uint && type(\"\") == string", NULL, "true");
	want_value("1 == 1.0 && 1u == 1 && 2 > 1.5", NULL, "true");
	want_error("int(\"x\")", NULL, "cannot convert");
	/* the number alone, a sign first (Rust's parse(), agentgateway's):
	 * no space before it, no minus before a uint */
	want_value("int(\"+7\") + int(\"-7\") + int(uint(\"+7\"))", NULL, "7");
	want_error("int(\" 1\")", NULL, "cannot convert");
	want_error("int(\"\\t1\")", NULL, "cannot convert");
	want_error("uint(\" 1\")", NULL, "cannot convert");
	want_error("uint(\" -1\")", NULL, "cannot convert");
	want_error("uint(\"\\n-1\")", NULL, "cannot convert");
	want_error("timestamp(\"yesterday\")", NULL, "invalid timestamp");
	want_error("duration(\"1 hour\")", NULL, "invalid duration");
}

/* Found by fuzz_cel: a timestamp below -9223372036 s (1677-09-21T00:12:44Z)
 * overflowed int64 where string() and getMilliseconds() took its
 * nanoseconds past the second. The lowest int64 nanoseconds hold is the
 * floor; past it, and past the years a text may name, is out of range. */
static void test_cel_timestamp_before_1677(void **state)
{
	(void)state;
	want_value("string(timestamp(-9223372036) - duration(\"1ns\"))", NULL,
		   "\"1677-09-21T00:12:43.999999999Z\"");
	want_value("(timestamp(-9223372036) - duration(\"1ns\")).getMilliseconds()", NULL, "999");
	want_value("(timestamp(-9223372036) - duration(\"1ns\")).getSeconds()", NULL, "43");
	want_value("(timestamp(-9223372036) - duration(\"1ns\")).getFullYear()", NULL, "1677");
	want_value("string(timestamp(-9223372036) - duration(\"854775808ns\"))", NULL,
		   "\"1677-09-21T00:12:43.145224192Z\"");
	want_value("(timestamp(-9223372036) - duration(\"854775808ns\")).getMilliseconds()", NULL,
		   "145");
	want_value("string(timestamp(\"1677-09-21T00:12:44Z\"))", NULL, "\"1677-09-21T00:12:44Z\"");
	want_value("string(timestamp(\"2262-04-11T23:47:16.854775807Z\"))", NULL,
		   "\"2262-04-11T23:47:16.854775807Z\"");
	want_error_is("timestamp(-9223372036) - duration(\"854775809ns\")", NULL,
		      "timestamp out of range");
	want_error_is("timestamp(-9223372037)", NULL, "timestamp out of range");
	want_error_is("timestamp(\"0001-01-01T00:00:00Z\")", NULL,
		      "timestamp out of range: \"0001-01-01T00:00:00Z\"");
	want_error_is("timestamp(\"9999-12-31T23:59:59Z\")", NULL,
		      "timestamp out of range: \"9999-12-31T23:59:59Z\"");
	want_error_is("timestamp(\"2024-13-01T00:00:00Z\")", NULL,
		      "invalid timestamp \"2024-13-01T00:00:00Z\"");
}

/* Found by fuzz_cel: -d for the duration INT64_MIN ns negated past int64,
 * where -i for that int was already an error. */
static void test_cel_negating_lowest_duration(void **state)
{
	(void)state;
	want_error_is("-(duration(\"-9223372036854775807ns\") - duration(\"1ns\"))", NULL,
		      "duration out of range");
	want_value("-duration(\"-9223372036854775807ns\")", NULL,
		   "duration(\"9223372036854775807ns\")");
	want_value("-duration(\"-1.5s\")", NULL, "duration(\"1.5s\")");
	want_error_is("duration(\"-9223372036854775807ns\") - duration(\"2ns\")", NULL,
		      "duration out of range");
}

/* agentgateway's `in` on two strings is a substring test (its
 * cel-rust's, not in cel-spec, where it is no overload): a deny rule
 * such as '"banned" in jwt.scope' over a space-separated claim must deny
 * here as there. */
static void test_cel_in_string(void **state)
{
	(void)state;
	want_value("\"banned\" in \"openid banned email\"", NULL, "true");
	want_value("\"x\" in \"abc\" || \"abcd\" in \"abc\"", NULL, "false");
	want_value("\"\" in \"abc\" && \"\u00e9\" in \"caf\u00e9\"", NULL, "true");
	want_error("1 in \"abc\"", NULL, "no such overload");
	want_error("b\"a\" in \"abc\"", NULL, "no such overload");
}

/* A header value that is not UTF-8 (HTTP allows bytes past 0x7f): no
 * such header, as agentgateway's header view has it (a CEL string is
 * UTF-8), so a require rule comparing it does not hold. */
static void test_cel_header_not_utf8_is_absent(void **state)
{
	static const struct fake f = {
		.headers = { { "x-user", "adm\xe9n" },
			     { "x-list", "a" },
			     { "X-List", "b\xff" },
			     { "x-ok", "caf\xc3\xa9" },
			     { "xuser", "\xe9" } },
	};

	(void)state;
	want_error("request.headers[\"x-user\"] != \"admin\"", &f, "no such key: x-user");
	want_value("has(request.headers.xuser)", &f, "false");
	want_value("default(request.headers[\"x-user\"], \"none\")", &f, "\"none\"");
	want_error("request.headers[\"x-list\"]", &f, "no such key: x-list");
	want_value("\"x-user\" in request.headers || \"x-list\" in request.headers", &f, "false");
	want_value("request.headers", &f, "{\"x-ok\": \"caf\u00e9\"}");
	want_value("size(request.headers[\"x-ok\"])", &f, "4");
}

/* Found by fuzz_cel: split() sized its list by code points, but a header
 * value may be any bytes, and "\x80\x80\x80\x80\x80\x80" split on "\x80"
 * has seven pieces and no code point: the pieces were written past the
 * list, and whatever the expression built next overwrote them. */
static void test_cel_split_counts_bytes(void **state)
{
	/* (a header value not UTF-8 is absent now; a request target may
	 * still hold such bytes) */
	static const struct fake raw = {
		.path = "\x80\x80\x80\x80\x80\x80",
		.method = "\x80",
		.address = "\x80\x80",
	};

	(void)state;
	want_value("request.path.split(request.method)"
		   ".with(l, [[1, 2, 3, 4, 5, 6, 7, 8], l][1])",
		   &raw, "[\"\", \"\", \"\", \"\", \"\", \"\", \"\"]");
	want_value("request.path.split(source.address).size()", &raw, "4");
	want_value("request.path.split(request.method, 3).size()", &raw, "3");
	want_value("request.path.split(\"\").size()", &raw, "1");
	/* and what it gave before */
	want_value("\"a--b--c\".split(\"--\")", NULL, "[\"a\", \"b\", \"c\"]");
	want_value("\"h\u00e9!\".split(\"\")", NULL, "[\"h\", \"\u00e9\", \"!\"]");
	want_value("\"a,b,c\".split(\",\", 1)", NULL, "[\"a,b,c\"]");
	want_value("\"a,b,c\".split(\",\", 9)", NULL, "[\"a\", \"b\", \"c\"]");
	want_value("\"a,b,c\".split(\",\", -1)", NULL, "[\"a\", \"b\", \"c\"]");
	want_value("\"\".split(\",\")", NULL, "[\"\"]");
}

/* string(bytes) takes well-formed UTF-8 only (cel-go's rule): it let a
 * stray continuation byte, a lead byte F8-FF, overlong forms and
 * surrogates through, strings no code point can be read from. */
static void test_cel_string_of_bytes_wants_utf8(void **state)
{
	(void)state;
	want_value("string(b\"h\\xc3\\xa9llo\")", NULL, "\"h\u00e9llo\"");
	want_value("string(b\"\\xf4\\x8f\\xbf\\xbf\").size()", NULL, "1");
	want_error_is("string(b\"\\x80\\x80\")", NULL, "invalid UTF-8 in bytes at offset 0");
	want_error_is("string(b\"ok\\xc0\\x80\")", NULL, "invalid UTF-8 in bytes at offset 2");
	want_error_is("string(b\"\\xed\\xa0\\x80\")", NULL, "invalid UTF-8 in bytes at offset 0");
	want_error_is("string(b\"\\xf4\\x90\\x80\\x80\")", NULL,
		      "invalid UTF-8 in bytes at offset 0");
	want_error_is("string(b\"\\xf8\\x80\\x80\\x80\")", NULL,
		      "invalid UTF-8 in bytes at offset 0");
	want_error_is("string(b\"a\\xe2\\x82\")", NULL, "invalid UTF-8 in bytes at offset 1");
}

/* Found by fuzz_cel: fail('') raised an error with no message at all.
 * The message is agentgateway's (crates/celx/src/general.rs): "fail()
 * called: " and the text (it was the text alone). */
static void test_cel_fail_says_something(void **state)
{
	(void)state;
	want_error_is("fail('')", NULL, "fail() called: ");
	want_error_is("fail('\\x00why')", NULL, "fail() called: ");
	want_error_is("fail()", NULL, "fail() called");
	want_error_is("fail('stop')", NULL, "fail() called: stop");
	want_error_is("fail(1)", NULL, "fail() called");
}

/* CEL strings are UTF-8: url.decode's escapes that make none ("%ff"),
 * and json()'s strings of bytes that are none, are errors, as
 * agentgateway's decode_utf8 and serde_json make them; they made
 * strings no code point could be read from. url.decode leaves a "%"
 * without two hex digits as it is (percent_decode's way; it refused
 * it). base64.decode gives bytes, which string() checks. */
static void test_cel_decoders_make_utf8(void **state)
{
	(void)state;
	want_value("url.decode('caf%C3%A9%20ok')", NULL, "\"caf\u00e9 ok\"");
	want_value("url.decode('caf%C3%A9').size()", NULL, "4");
	want_error_is("url.decode('%ff')", NULL, "url.decode: invalid UTF-8 at offset 0");
	want_error_is("url.decode('ab%C3')", NULL, "url.decode: invalid UTF-8 at offset 2");
	want_error_is("url.decode('%ED%A0%80')", NULL, "url.decode: invalid UTF-8 at offset 0");
	want_error_is("url.decode('%C0%AF')", NULL, "url.decode: invalid UTF-8 at offset 0");
	want_value("url.decode('100%')", NULL, "\"100%\"");
	want_value("url.decode('%zz%4')", NULL, "\"%zz%4\"");
	want_value("url.decode('%%41')", NULL, "\"%A\"");
	want_value("json(b'{\"a\": \"\\xc3\\xa9\"}').a", NULL, "\"\u00e9\"");
	want_error_is("json(b'{\"a\": \"\\xff\"}')", NULL, "json: invalid JSON");
	want_error_is("json(b'\"\\xc3\"')", NULL, "json: invalid JSON");
	want_error_is("json(b'\"\\xed\\xa0\\x80\"')", NULL, "json: invalid JSON");
	want_value("base64.decode('/w==')", NULL, "b\"\\xff\"");
	want_error_is("string(base64.decode('/w=='))", NULL, "invalid UTF-8 in bytes at offset 0");
}

/* Found by fuzz_cel: merge() charges a.n * b.n / 16 steps in one go, and
 * the counter went that far past the bound; it stops one past it. */
static void test_cel_steps_stop_one_past_bound(void **state)
{
	struct sg_cel_ctx ctx = { 0 };
	struct sg_cel_run run;
	struct sg_cel_val got;
	struct sg_cel *e;
	char buf[256];

	(void)state;
	/* 62 * 62 distinct keys merged with themselves: 924,482 steps */
	e = run_expr("'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'"
		     ".split('').with(l, json('{' + l.map(x, l.map(y, '\"' + x + y + '\":0')"
		     ".join(',')).join(',') + '}')).with(m, m.merge(m))",
		     NULL, &ctx, &run, &got);
	if (got.type != SG_CEL_ERROR ||
	    strcmp(show(&run, &got, buf, sizeof(buf)), "error: the expression passed its bounds"))
		fail_msg("want the step bound, got %s", show(&run, &got, buf, sizeof(buf)));
	assert_int_equal(run.steps, SG_CEL_MAX_STEPS + 1);
	sg_cel_run_done(&run);
	sg_cel_free(e);
	/* straight through the library's call, however much is charged */
	sg_cel_run_init(&run, &ctx);
	assert_true(sg_cel_step(&run, 16 * (SG_CEL_MAX_STEPS - 2)));
	assert_int_equal(run.steps, SG_CEL_MAX_STEPS - 1);
	assert_true(sg_cel_step(&run, 0));
	assert_int_equal(run.steps, SG_CEL_MAX_STEPS);
	assert_false(sg_cel_step(&run, SIZE_MAX));
	assert_int_equal(run.steps, SG_CEL_MAX_STEPS + 1);
	assert_false(sg_cel_step(&run, 0));
	assert_int_equal(run.steps, SG_CEL_MAX_STEPS + 1);
	sg_cel_run_done(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cel_spec_conformance),
		cmocka_unit_test(test_cel_agentgateway_examples),
		cmocka_unit_test(test_cel_reads_the_request),
		cmocka_unit_test(test_cel_errors_propagate),
		cmocka_unit_test(test_cel_refuses_with_column),
		cmocka_unit_test(test_cel_bounded),
		cmocka_unit_test(test_cel_strings_and_conversions),
		cmocka_unit_test(test_cel_regex_as_rust),
		cmocka_unit_test(test_cel_regex_replace_as_rust),
		cmocka_unit_test(test_cel_agentgateway_aliases),
		cmocka_unit_test(test_cel_in_string),
		cmocka_unit_test(test_cel_header_not_utf8_is_absent),
		cmocka_unit_test(test_cel_timestamp_before_1677),
		cmocka_unit_test(test_cel_negating_lowest_duration),
		cmocka_unit_test(test_cel_split_counts_bytes),
		cmocka_unit_test(test_cel_string_of_bytes_wants_utf8),
		cmocka_unit_test(test_cel_fail_says_something),
		cmocka_unit_test(test_cel_decoders_make_utf8),
		cmocka_unit_test(test_cel_steps_stop_one_past_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
