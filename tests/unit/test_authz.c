/* policy/authz (agentgateway's RuleSets decision), config/ruleset (rules
 * as its configs write them, refused at their column) and user/core/
 * authorize (a route's authorization step in the filter plan, over what
 * apiKey and basicAuth proved; networkAuthorization over a connection's
 * source). Configs are real YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "policy/authz.h"
#include "user/auth/apikey.h"
#include "user/auth/htpasswd.h"
#include "user/core/authn.h"
#include "user/core/authorize.h"
#include "user/core/celreq.h"
#include "user/core/filter.h"
#include "tests/unit/authstep.h"

/* A config whose first route has `policies` (YAML flow text); NULL with
 * the errors in *err when it does not load. */
static struct sg_cfg *load(const char *policies, char **err)
{
	char text[4096];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies: %s\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 policies);
	sg_diag_init(&d);
	c = sg_cfg_load_text("a.yaml", text, &d);
	if (c && (sg_apikey_prepare(c, &d) < 0 || sg_htpasswd_prepare(c, &d) < 0)) {
		sg_cfg_free(c);
		c = NULL;
	}
	*err = sg_diag_join(&d);
	sg_diag_free(&d);
	return c;
}

static const struct sg_authz *authz_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.authz;
}

/* ---- the decision ------------------------------------------------------- */

/* The context: request.path is `path`; source.address is absent, so a
 * rule reading it fails. */
static bool path_attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	if (a != SG_CEL_REQ_PATH)
		return false;
	*out = (struct sg_cel_val){ .type = SG_CEL_STRING, .s = { ud, strlen(ud) } };
	return true;
}

static bool decide(const struct sg_authz *const *sets, size_t n, const char *path)
{
	struct sg_cel_ctx ctx = { .ud = (void *)(uintptr_t)path, .attr = path_attr };
	struct sg_cel_run run;
	bool ok;

	sg_cel_run_init(&run, &ctx);
	ok = sg_authz_allows(sets, n, &run);
	sg_cel_run_done(&run);
	return ok;
}

/* A list whose comprehensions nested five deep pass the step bound, and
 * whose maps nested four deep pass the memory bound. */
#define TEN "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"

static void test_authz_decides_as_agentgateway(void **state)
{
	static const struct {
		const char *rules, *path;
		bool want;
	} rows[] = {
		{ "[]", "/a", true }, /* no rule: everyone */
		{ "['request.path == \"/a\"']", "/a", true },
		{ "['request.path == \"/a\"']", "/b", false }, /* allowlist */
		{ "[{deny: 'request.path == \"/a\"'}]", "/a", false },
		{ "[{deny: 'request.path == \"/a\"'}]", "/b", true }, /* denylist */
		{ "[{require: 'request.path.startsWith(\"/a\")'}]", "/ab", true },
		{ "[{require: 'request.path.startsWith(\"/a\")'}]", "/b", false },
		/* deny wins over allow; a require that fails denies an allowed one */
		{ "['true', {deny: 'request.path == \"/a\"'}]", "/a", false },
		{ "['true', {require: 'request.path == \"/a\"'}]", "/b", false },
		{ "['true', {require: 'request.path == \"/a\"'}]", "/a", true },
		/* an error is false: a failing deny does not deny, a failing
		 * require or allow does not hold */
		{ "[{deny: 'source.address == \"10.0.0.1\"'}]", "/a", true },
		{ "[{require: 'source.address != \"10.0.0.1\"'}]", "/a", false },
		{ "['source.address == \"1\"', 'request.path == \"/a\"']", "/a", true },
		{ "['source.address == \"1\"']", "/a", false },
		/* not a bool: does not hold */
		{ "['request.path']", "/a", false },
		{ "[{deny: '1 / 0 == 1'}, {allow: 'int(\"x\") == 1 || true'}]", "/a", true },
		/* past splicegate's own bounds (agentgateway has none): a deny
		 * rule denies, whatever it would have said, and the rules after
		 * one that passed the memory bound still run */
		{ "[{deny: '" TEN ".all(a, " TEN ".all(b, " TEN ".all(c, " TEN ".all(d, " TEN
		  ".all(e, true))))) && request.path == \"/a\"'}]",
		  "/a", false },
		{ "[{deny: '" TEN ".map(a, " TEN ".map(b, " TEN ".map(c, " TEN ".map(d, " TEN "))))"
		  " == []'}, {deny: 'request.path == \"/a\"'}]",
		  "/a", false },
		{ "[{allow: '" TEN ".all(a, " TEN ".all(b, " TEN ".all(c, " TEN ".all(d, " TEN
		  ".all(e, true)))))'}]",
		  "/a", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char policies[1024], *err;
		struct sg_cfg *c;
		const struct sg_authz *a;

		snprintf(policies, sizeof(policies), "{authorization: {rules: %s}}", rows[i].rules);
		c = load(policies, &err);
		if (!c)
			fail_msg("%s: %s", rows[i].rules, err);
		free(err);
		a = authz_of(c);
		if (decide(&a, 1, rows[i].path) != rows[i].want)
			fail_msg("%s on %s: want %s", rows[i].rules, rows[i].path,
				 rows[i].want ? "allowed" : "denied");
		sg_cfg_free(c);
	}
}

/* Two sets apply together (agentgateway's merge): a deny in either
 * denies, allows are OR'd, and a set of deny rules alone leaves the other
 * set's allowlist in force. */
static void test_authz_sets_merge(void **state)
{
	char *err;
	struct sg_cfg *allow = load("{authorization: {rules: ['request.path == \"/a\"']}}", &err);
	struct sg_cfg *deny;
	const struct sg_authz *sets[2];

	(void)state;
	free(err);
	deny = load("{authorization: {rules: [{deny: 'request.path == \"/x\"'}]}}", &err);
	free(err);
	assert_non_null(allow);
	assert_non_null(deny);
	sets[0] = authz_of(allow);
	sets[1] = authz_of(deny);
	assert_true(decide(sets, 2, "/a"));
	assert_false(decide(sets, 2, "/b")); /* the allowlist still holds */
	sets[0] = authz_of(deny);
	assert_false(decide(sets, 1, "/x"));
	assert_true(decide(sets, 1, "/y"));
	sg_cfg_free(allow);
	sg_cfg_free(deny);
}

/* ---- as configs write them ------------------------------------------------ */

static void test_authz_rules_refused_at_their_column(void **state)
{
	static const struct {
		const char *policies, *want;
	} rows[] = {
		{ "{authorization: {rules: [{deny: 'jwt.sub =='}]}}",
		  "a.yaml:5:49: binds[0].listeners[0].routes[0].policies.authorization.rules[0]."
		  "deny: column 11 of the expression: unexpected token" },
		{ "{authorization: {rules: ['nosuch.x']}}",
		  "a.yaml:5:42: binds[0].listeners[0].routes[0].policies.authorization.rules[0]: "
		  "column 1 of the expression: undeclared reference to 'nosuch'" },
		{ "{authorization: {rules: [{permit: 'true'}]}}",
		  "a.yaml:5:42: binds[0].listeners[0].routes[0].policies.authorization.rules[0]: "
		  "expected a CEL expression, or one of {allow: ...}, {deny: ...}, {require: "
		  "...}, got a map" },
		{ "{authorization: {rules: [{allow: 'true', deny: 'true'}]}}",
		  "a.yaml:5:42: binds[0].listeners[0].routes[0].policies.authorization.rules[0]: "
		  "expected a CEL expression, or one of" },
		{ "{authorization: {rules: [[x]]}}",
		  "a.yaml:5:42: binds[0].listeners[0].routes[0].policies.authorization.rules[0]: "
		  "expected a CEL expression, got a list" },
		{ "{authorization: {}}", "a.yaml:5:33: binds[0].listeners[0].routes[0].policies."
					 "authorization: missing required field \"rules\"" },
		{ "{authorization: {rules: ['true'], mode: x}}",
		  "a.yaml:5:51: binds[0].listeners[0].routes[0].policies.authorization: unknown "
		  "field \"mode\", expected one of: rules" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *err;
		struct sg_cfg *c = load(rows[i].policies, &err);

		if (c || strncmp(err, rows[i].want, strlen(rows[i].want)))
			fail_msg("%s: got \"%s\", want \"%s...\"", rows[i].policies, err,
				 rows[i].want);
		free(err);
	}
}

/* ---- the route's step, after authentication -------------------------------- */

static void test_authz_step_reads_what_authentication_proved(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };
	struct sg_cfg *keyed, *basic;
	char *err;

	(void)state;
	keyed = load("{apiKey: {keys: [{key: sk-a, metadata: {group: admins, tier: 2, on: true,"
		     " tags: [x, y], n: {m: 'q'}}}, {key: sk-b}]},"
		     " authorization: {rules: ['apiKey.group == \"admins\" && apiKey.tier > 1"
		     " && apiKey.on && \"y\" in apiKey.tags && apiKey.n.m == \"q\""
		     " && apiKey.key.unredacted() == \"sk-a\" && apiKey.key != \"sk-a\"']}}",
		     &err);
	if (!keyed)
		fail_msg("%s", err);
	free(err);
	auth_header = "authorization";
	assert_int_equal(auth_step(keyed, &a, &p, "Bearer sk-a"), SG_FILTER_FORWARD);
	sg_authn_reset(&a);
	assert_int_equal(auth_step(keyed, &a, &p, "Bearer sk-b"), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_AUTHZ);
	sg_authn_reset(&a);
	assert_int_equal(auth_step(keyed, &a, &p, NULL), SG_FILTER_REFUSED); /* no apiKey */
	assert_int_equal(p.refusal, SG_FAIL_AUTHZ);
	sg_authn_reset(&a);

	/* ann:x, bob:x */
	basic = load("{basicAuth: {htpasswd: \"ann:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\\n"
		     "bob:$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS.\"},"
		     " authorization: {rules: ['basicAuth.username == \"ann\"']}}",
		     &err);
	if (!basic)
		fail_msg("%s", err);
	free(err);
	assert_int_equal(auth_step(basic, &a, &p, "Basic YW5uOng="), SG_FILTER_FORWARD);
	sg_authn_reset(&a);
	assert_int_equal(auth_step(basic, &a, &p, "Basic Ym9iOng="), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_AUTHZ);
	sg_authn_reset(&a);
	sg_filter_plan_reset(&p);
	sg_cfg_free(keyed);
	sg_cfg_free(basic);
}

/* The answer a refusal gets, as agentgateway's ProxyError::
 * AuthorizationFailed. */
static void test_authz_refusal_is_403(void **state)
{
	char body[128];

	(void)state;
	assert_int_equal(sg_fail_status(SG_FAIL_AUTHZ), 403);
	assert_string_equal(sg_fail_body(SG_FAIL_AUTHZ, NULL, body, sizeof(body)),
			    "authorization failed");
	assert_int_equal(sg_fail_grpc_status(SG_FAIL_AUTHZ), 7);
	assert_string_equal(sg_fail_name(SG_FAIL_AUTHZ), "authorization");
}

/* ---- mcpAuthorization ----------------------------------------------------- */

/* Rules `a` over an MCP call of the `kind` named `name` at `target`, as
 * user/mcp/mcpauthz.c evaluates them (name NULL: not an MCP request, so
 * `mcp` is absent). */
static bool mcp_eval(const struct sg_authz *a, const struct sg_celreq_mcp *m)
{
	struct sg_celreq_view v = { .sock = -1, .mcp = m };
	struct sg_celreq c;
	bool ok;

	sg_celreq_begin(&c, &v);
	ok = sg_authz_allows(&a, 1, &c.run);
	sg_celreq_end(&c);
	return ok;
}

static bool mcp_allows(const struct sg_authz *a, const char *kind, const char *target,
		       const char *name)
{
	struct sg_celreq_mcp m = { kind, target, name };

	return mcp_eval(a, name ? &m : NULL);
}

/* agentgateway's CEL `mcp` is {tool|prompt|resource: {target, name}}: a
 * rule over one kind fails (so does not hold) for another, and outside
 * MCP every rule reading `mcp` fails. */
static void test_authz_mcp_rules(void **state)
{
	const struct sg_authz *a;
	struct sg_cfg *c;
	char *err;

	(void)state;
	c = load("{mcpAuthorization: {rules: ['mcp.tool.name == \"echo\"',"
		 " 'mcp.tool.target == \"b\" && mcp.tool.name.startsWith(\"get-\")',"
		 " 'mcp.prompt.name == \"p\"', 'mcp.resource.name == \"file:///a\"',"
		 " {deny: 'mcp.tool.name == \"get-env\"'}]}}",
		 &err);
	if (!c)
		fail_msg("%s", err);
	free(err);
	a = c->binds[0].listeners[0].routes[0].eff_filters.mcp_authz;
	assert_non_null(a);
	assert_null(authz_of(c)); /* not the route's authorization */
	assert_true(mcp_allows(a, "tool", "a", "echo"));
	assert_false(mcp_allows(a, "tool", "a", "get-sum"));
	assert_true(mcp_allows(a, "tool", "b", "get-sum"));
	assert_false(mcp_allows(a, "tool", "b", "get-env")); /* denied though allowed */
	assert_false(mcp_allows(a, "tool", "b", "add"));
	assert_true(mcp_allows(a, "prompt", "a", "p"));
	assert_false(mcp_allows(a, "prompt", "a", "echo"));
	assert_true(mcp_allows(a, "resource", "", "file:///a"));
	assert_false(mcp_allows(a, "resource", "", "file:///b"));
	assert_false(mcp_allows(a, "tool", "a", NULL));
	sg_cfg_free(c);
}

/* What an ended MCP request's CEL reads (the access log's, mcpAuthorization
 * alike): mcp.methodName and mcp.sessionId beside what it touched. */
static bool mcp_call_allows(const struct sg_authz *a, const char *method, const char *session,
			    const char *kind, const char *name)
{
	struct sg_celreq_mcp m = { kind, "t", name, method, session };

	return mcp_eval(a, &m);
}

static void test_authz_mcp_method_and_session(void **state)
{
	const struct sg_authz *a;
	struct sg_cfg *c;
	char *err;

	(void)state;
	c = load("{mcpAuthorization: {rules: ['mcp.methodName == \"tools/list\"',"
		 " 'mcp.sessionId == \"s1\" && mcp.tool.name == \"echo\"']}}",
		 &err);
	if (!c)
		fail_msg("%s", err);
	free(err);
	a = c->binds[0].listeners[0].routes[0].eff_filters.mcp_authz;
	assert_true(mcp_call_allows(a, "tools/list", NULL, NULL, NULL));
	assert_false(mcp_call_allows(a, "tools/call", NULL, NULL, NULL));
	assert_true(mcp_call_allows(a, "tools/call", "s1", "tool", "echo"));
	assert_false(mcp_call_allows(a, "tools/call", "s2", "tool", "echo"));
	assert_false(mcp_call_allows(a, "tools/call", NULL, "tool", "echo"));
	assert_false(mcp_call_allows(a, NULL, "s1", "prompt", "echo"));
	sg_cfg_free(c);
}

/* ---- networkAuthorization ------------------------------------------------ */

static void test_authz_network_reads_the_source(void **state)
{
	struct sg_diag d;
	struct sg_cfg *c;
	const struct sg_authz *a;

	(void)state;
	sg_diag_init(&d);
	c = sg_cfg_load_text("n.yaml",
			     "frontendPolicies:\n  networkAuthorization:\n    rules:\n"
			     "    - 'cidr(\"10.0.0.0/8\").containsIP(source.address)'\n"
			     "    - deny: 'source.port < 1024'\n"
			     "    - deny: 'request.path == \"/\"'\n" /* absent for a connection */
			     "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
			     "    - backends: [{host: 127.0.0.1:1}]\n",
			     &d);
	if (!c)
		sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	assert_non_null(c);
	a = c->binds[0].netauthz;
	assert_non_null(a);
	assert_ptr_equal(c->binds[0].listeners[0].netauthz, a);
	assert_true(sg_authz_connection(a, "10.1.2.3", 40000));
	assert_false(sg_authz_connection(a, "10.1.2.3", 1000));
	assert_false(sg_authz_connection(a, "192.0.2.1", 40000));
	assert_false(sg_authz_connection(a, "::1", 40000));
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authz_decides_as_agentgateway),
		cmocka_unit_test(test_authz_sets_merge),
		cmocka_unit_test(test_authz_rules_refused_at_their_column),
		cmocka_unit_test(test_authz_step_reads_what_authentication_proved),
		cmocka_unit_test(test_authz_refusal_is_403),
		cmocka_unit_test(test_authz_network_reads_the_source),
		cmocka_unit_test(test_authz_mcp_rules),
		cmocka_unit_test(test_authz_mcp_method_and_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
