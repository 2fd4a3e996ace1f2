/* config/targeted.c: the standalone dialect's top-level policies: what
 * each target reaches, precedence against inline policies and between
 * targets, the gateway phase, backend policies aimed at routes, the
 * refusals and bad references, and config_dump's entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/json.h"
#include "tests/unit/cfgtext.h"

/* Two ports: listener l (routes r1, r2 with an inline header modifier)
 * and listener m (route r3); the tests append a policies: list. */
#define BINDS                                                                                      \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: l\n"                                                                            \
	"    routes:\n"                                                                            \
	"    - name: r1\n"                                                                         \
	"      backends: [{host: 127.0.0.1:8000}]\n"                                               \
	"    - name: r2\n"                                                                         \
	"      policies: {requestHeaderModifier: {set: {x-pol: inline}}}\n"                        \
	"      backends: [{host: 127.0.0.1:8000}]\n"                                               \
	"- port: 8081\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: m\n"                                                                            \
	"    routes:\n"                                                                            \
	"    - name: r3\n"                                                                         \
	"      backends: [{host: 127.0.0.1:8000}]\n"                                               \
	"policies:\n"

#define GATEWAY "{gateway: {gatewayName: default, gatewayNamespace: default}}"
#define SET(v) "{requestHeaderModifier: {set: {x-pol: " v "}}}"

static struct sg_listener *listener(const struct sg_cfg *cfg, const char *name)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++)
			if (!strcmp(cfg->binds[b].listeners[i].name, name))
				return &cfg->binds[b].listeners[i];
	fail_msg("no listener %s", name);
	return NULL;
}

static struct sg_route *route(const struct sg_cfg *cfg, const char *name)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++)
			for (size_t r = 0; r < cfg->binds[b].listeners[i].nroutes; r++)
				if (!strcmp(cfg->binds[b].listeners[i].routes[r].name, name))
					return &cfg->binds[b].listeners[i].routes[r];
	fail_msg("no route %s", name);
	return NULL;
}

static const struct sg_policy *policy(const struct sg_cfg *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->npolicies; i++)
		if (!strcmp(cfg->policies[i].key, key))
			return &cfg->policies[i];
	fail_msg("no policy %s", key);
	return NULL;
}

/* The most specific target wins, the route's own inline policy over all. */
static void test_targeted_precedence(void **unused)
{
	struct sg_cfg *cfg = load(
		BINDS
		"- name: {name: gw, namespace: default}\n"
		"  target: " GATEWAY "\n"
		"  policy: " SET(
			"gateway") "\n"
				   "- name: {name: lis, namespace: default}\n"
				   "  target: {gateway: {gatewayName: default, gatewayNamespace: "
				   "default, listenerName: l}}\n"
				   "  policy: " SET(
					   "listener") "\n"
						       "- name: {name: rt, namespace: default}\n"
						       "  target: {route: {name: r1, namespace: "
						       "default}}\n"
						       "  policy: " SET(
							       "route") "\n"
									"- name: {name: rl, "
									"namespace: other}\n"
									"  target: {gateway: "
									"{gatewayName: default, "
									"gatewayNamespace: "
									"default, listenerName: "
									"m}}\n"
									"  policy: "
									"{localRateLimit: "
									"[{maxTokens: 1, "
									"tokensPerFill: 1, "
									"fillInterval: 1s}]}\n");
	const struct sg_route *r1 = route(cfg, "r1"), *r2 = route(cfg, "r2"),
			      *r3 = route(cfg, "r3");

	(void)unused;
	assert_ptr_equal(r1->eff_filters.request_headers, policy(cfg, "default/rt")->u.hdrmod);
	assert_ptr_equal(r2->eff_filters.request_headers, r2->filters.request_headers);
	assert_ptr_not_equal(r2->filters.request_headers, NULL);
	assert_ptr_equal(r3->eff_filters.request_headers, policy(cfg, "default/gw")->u.hdrmod);
	/* a kind no other target has: the listener's, on its routes only */
	assert_ptr_equal(r3->eff_filters.ratelimits, policy(cfg, "other/rl")->u.ratelimits);
	assert_null(r1->eff_filters.ratelimits);
	assert_string_equal(policy(cfg, "other/rl")->src_kind, "Local");
	assert_string_equal(policy(cfg, "other/rl")->src_name, "rl");
	assert_string_equal(policy(cfg, "other/rl")->src_ns, "other");
	sg_cfg_unref(cfg);
}

/* Timeouts and retries; a rule-less route target; the gateway phase;
 * backend policies aimed at a route. */
static void test_targeted_kinds(void **unused)
{
	struct sg_cfg *cfg =
		load(BINDS "- name: {name: to, namespace: default}\n"
			   "  target: {route: {name: r3, namespace: default}}\n"
			   "  policy: {timeout: {requestTimeout: 2s}}\n"
			   "- name: {name: re, namespace: default}\n"
			   "  target: " GATEWAY "\n"
			   "  policy: {retry: {attempts: 2, codes: [503]}}\n"
			   "- name: {name: cors, namespace: default}\n"
			   "  target: {gateway: {gatewayName: default, gatewayNamespace: "
			   "default, listenerName: l}}\n"
			   "  phase: gateway\n"
			   "  policy: {cors: {allowOrigins: ['https://a.example']}}\n"
			   "- name: {name: tls, namespace: default}\n"
			   "  target: {route: {name: r1, namespace: default}}\n"
			   "  policy: {backendTLS: {insecure: true}}\n"
			   "- name: {name: dly, namespace: default}\n"
			   "  target: {route: {name: r2, namespace: default}}\n"
			   "  policy: {delay: {duration: 10ms}}\n");
	const struct sg_route *r1 = route(cfg, "r1"), *r2 = route(cfg, "r2"),
			      *r3 = route(cfg, "r3");

	(void)unused;
	assert_int_equal(r3->eff_timeout.request, SG_DUR_S(2));
	assert_int_equal(r1->eff_timeout.request, SG_DUR_UNSET);
	assert_non_null(r1->eff_retry);
	assert_int_equal(r1->eff_retry->attempts, 2);
	assert_non_null(listener(cfg, "l")->gw_filters);
	assert_non_null(listener(cfg, "l")->gw_filters->cors);
	assert_null(listener(cfg, "m")->gw_filters);
	assert_null(r1->eff_filters.cors); /* the gateway phase's, not the route's */
	assert_ptr_equal(r1->backends.v[0].eff_tls, policy(cfg, "default/tls")->u.btls);
	assert_null(r3->backends.v[0].eff_tls);
	assert_ptr_equal(r2->eff_filters.delay, policy(cfg, "default/dly")->u.delay);
	assert_null(r1->eff_filters.delay);
	sg_cfg_unref(cfg);
}

struct refusal {
	const char *what, *policies, *want;
};

static void test_targeted_refusals(void **unused)
{
	static const struct refusal cases[] = {
		{ "no such gateway",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {gateway: {gatewayName: nope, gatewayNamespace: default}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:35: policies[0].target.gateway.gatewayName: policy default/p names "
		  "nothing: no gateway default/nope in this config" },
		{ "no such listener",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {gateway: {gatewayName: default, gatewayNamespace: default, "
		  "listenerName: x}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:85: policies[0].target.gateway.listenerName: policy default/p names "
		  "nothing: gateway default/default has no listener \"x\"" },
		{ "no such route",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {route: {name: r9, namespace: default}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:26: policies[0].target.route.name: policy default/p names nothing: no "
		  "route default/r9 in this config" },
		{ "no such rule",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {route: {name: r1, namespace: default, ruleName: x}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:60: policies[0].target.route.ruleName: policy default/p names "
		  "nothing: route default/r1 has no rule \"x\"" },
		{ "no such service",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {service: {hostname: a.example, namespace: default}}}\n"
		  "  policy: {backendTLS: {insecure: true}}\n",
		  "t.yaml:19:42: policies[0].target.backend.service.hostname: policy default/p "
		  "names nothing: no service of hostname a.example in namespace default" },
		{ "two policies in one",
		  "- name: {name: p, namespace: default}\n"
		  "  target: " GATEWAY "\n"
		  "  policy: {timeout: {requestTimeout: 1s}, retry: {attempts: 1}}\n",
		  "t.yaml:20:11: policies[0].policy: must contain exactly 1 policy, found 2" },
		{ "none",
		  "- name: {name: p, namespace: default}\n"
		  "  target: " GATEWAY "\n"
		  "  policy: {}\n",
		  "t.yaml:20:11: policies[0].policy: must contain exactly 1 policy, found 0" },
		{ "two targets",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {gateway: {gatewayName: default, gatewayNamespace: default}, route: "
		  "{name: r1, namespace: default}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:11: policies[0].target: expected a map with exactly one of gateway, "
		  "route, backend, listenerSet, got a map" },
		{ "a timeout before routing",
		  "- name: {name: p, namespace: default}\n"
		  "  target: " GATEWAY "\n"
		  "  phase: gateway\n"
		  "  policy: {timeout: {requestTimeout: 1s}}\n",
		  "t.yaml:20:10: policies[0].phase: gateway runs cors, jwtAuth, basicAuth, apiKey, "
		  "authorization, extAuthz and oidc before the route is chosen; this policy takes "
		  "phase: route" },
		{ "the gateway phase on a route",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {route: {name: r1, namespace: default}}\n"
		  "  phase: gateway\n"
		  "  policy: {cors: {allowOrigins: ['*']}}\n",
		  "t.yaml:19:11: policies[0].target: a policy of phase gateway is aimed at a "
		  "gateway, a ListenerSet or one of their listeners (it runs before a route is "
		  "chosen)" },
		{ "a route policy on a service",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {service: {hostname: a.example, namespace: default}}}\n"
		  "  policy: {timeout: {requestTimeout: 1s}}\n",
		  "t.yaml:19:11: policies[0].target: not supported (agentgateway keeps this policy "
		  "a route policy, and looks none up on a backend: it would reach nothing): aim it "
		  "at a gateway, listener or route" },
		{ "a transformation on a backend by name",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {backend: {name: bind/8080/l/r1/backend0, namespace: ''}}}\n"
		  "  policy: {transformations: {request: {set: {a: '\"b\"'}}}}\n",
		  "t.yaml:19:11: policies[0].target: not supported (transformations, authorization "
		  "and extAuthz aimed at a backend are not implemented): aim it at a gateway, "
		  "listener or route" },
		{ "a backend name in a namespace",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {backend: {name: bind/8080/l/r1/backend0, namespace: "
		  "default}}}\n"
		  "  policy: {a2a: {}}\n",
		  "t.yaml:19:38: policies[0].target.backend.backend.name: policy default/p names "
		  "nothing: no backend named \"bind/8080/l/r1/backend0\" in namespace \"default\" "
		  "(a route's host or dynamic backend is \"<route key>/backend<index>\", namespace "
		  "\"\", as config_dump's backends list them)" },
		{ "a backend's section",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {backend: {name: bind/8080/l/r1/backend0, namespace: '', "
		  "section: s}}}\n"
		  "  policy: {a2a: {}}\n",
		  "t.yaml:19:87: policies[0].target.backend.backend.section: policy default/p "
		  "names "
		  "nothing: backend bind/8080/l/r1/backend0 has no section \"s\" (none here has)" },
		{ "a top-level backend",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {backend: {backend: {name: otel, namespace: ''}}}\n"
		  "  policy: {backendTLS: {insecure: true}}\n"
		  "backends: [{name: otel, host: '127.0.0.1:4317'}]\n",
		  "t.yaml:19:38: policies[0].target.backend.backend.name: policy default/p names "
		  "nothing: \"otel\" is a top-level backends: entry, which serves here as a "
		  "tracing "
		  "collector only (no route names one): give the policy in the entry's policies" },
		{ "a backend policy on a listener set",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {listenerSet: {name: ls, namespace: default}}\n"
		  "  policy: {backendTLS: {insecure: true}}\n",
		  "t.yaml:19:11: policies[0].target: not supported (agentgateway applies no "
		  "backend "
		  "policy aimed at a ListenerSet: aim it at the Gateway, its listener, a route or "
		  "a "
		  "backend)" },
		{ "a listener set",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {listenerSet: {name: ls, namespace: default}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:32: policies[0].target.listenerSet.name: policy default/p names "
		  "nothing: no ListenerSet default/ls in this config" },
		{ "a port",
		  "- name: {name: p, namespace: default}\n"
		  "  target: {gateway: {gatewayName: default, gatewayNamespace: default, port: "
		  "8080}}\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:19:77: policies[0].target.gateway.port: not supported (agentgateway "
		  "applies a gateway target's port to frontendPolicies only, and a top-level "
		  "policy "
		  "is a traffic or backend policy: it would reach nothing; name the listener with "
		  "listenerName)" },
		{ "session persistence",
		  "- name: {name: p, namespace: default}\n"
		  "  target: " GATEWAY "\n"
		  "  policy: {sessionPersistence: {type: Cookie}}\n",
		  "t.yaml:20:32: policies[0].policy.sessionPersistence: not supported (in a "
		  "targeted policy; put it in the route's policies)" },
		{ "a name given twice",
		  "- name: {name: p, namespace: default}\n"
		  "  target: " GATEWAY "\n"
		  "  policy: " SET("a") "\n"
					"- name: {name: p, namespace: default}\n"
					"  target: " GATEWAY "\n"
					"  policy: " SET("b") "\n",
		  "t.yaml:21:9: policies[1].name: policy default/p is given twice" },
		{ "a name that is a string",
		  "- name: p\n"
		  "  target: " GATEWAY "\n"
		  "  policy: " SET("a") "\n",
		  "t.yaml:18:9: policies[0].name: expected a map, got \"p\"" },
	};
	int bad = 0;

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096], *got;

		snprintf(text, sizeof(text), "%s%s", BINDS, cases[i].policies);
		got = error_of(text);
		if (strcmp(got, cases[i].want)) {
			print_message("%s:\n  got  %s\n  want %s\n", cases[i].what, got,
				      cases[i].want);
			bad++;
		}
		free(got);
	}
	if (bad)
		fail_msg("%d cases", bad);
}

/* config_dump: agentgateway's TargetedPolicy, key "ns/name", name of kind
 * Local, a route target without kind. */
/* A backend by agentgateway's name for it: backendTLS and a2a reach that
 * backend alone; a2a on every backend of a route makes the route's
 * requests A2A, an a2a aimed at a route or listener too. */
static void test_targeted_backend_by_name(void **unused)
{
	struct sg_cfg *cfg =
		load(BINDS "- name: {name: tls, namespace: default}\n"
			   "  target: {backend: {backend: {name: bind/8080/l/r1/backend0, "
			   "namespace: ''}}}\n"
			   "  policy: {backendTLS: {insecure: true}}\n"
			   "- name: {name: a2a, namespace: default}\n"
			   "  target: {backend: {backend: {name: bind/8080/l/r1/backend0, "
			   "namespace: ''}}}\n"
			   "  policy: {a2a: {}}\n"
			   "- name: {name: listener, namespace: default}\n"
			   "  target: {gateway: {gatewayName: default, gatewayNamespace: "
			   "default, listenerName: m}}\n"
			   "  policy: {a2a: {}}\n");

	(void)unused;
	assert_string_equal(route(cfg, "r1")->backends.v[0].name, "bind/8080/l/r1/backend0");
	assert_non_null(route(cfg, "r1")->backends.v[0].eff_tls);
	assert_null(route(cfg, "r2")->backends.v[0].eff_tls);
	assert_true(route(cfg, "r1")->backends.v[0].eff_a2a);
	assert_true(route(cfg, "r1")->eff_filters.a2a);
	assert_true(route(cfg, "r1")->defer & SG_ROUTE_DEFER_BODY);
	assert_false(route(cfg, "r2")->eff_filters.a2a);
	assert_true(route(cfg, "r3")->eff_filters.a2a);
	assert_true(policy(cfg, "default/a2a")->attached);
	sg_cfg_free(cfg);
	/* a backend's own header modifier beats one aimed at it; one aimed
	 * at it fills what it lacks, as a backend policy, not the route's */
	cfg = load(
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - name: l\n"
		"    routes:\n"
		"    - name: r1\n"
		"      backends:\n"
		"      - host: 127.0.0.1:8000\n"
		"      - host: 127.0.0.1:8001\n"
		"        policies: {requestHeaderModifier: {set: {x-b: own}}}\n"
		"policies:\n"
		"- name: {name: h0, namespace: default}\n"
		"  target: {backend: {backend: {name: bind/8080/l/r1/backend0, namespace: ''}}}\n"
		"  policy: {requestHeaderModifier: {set: {x-b: aimed}}}\n"
		"- name: {name: h1, namespace: default}\n"
		"  target: {backend: {backend: {name: bind/8080/l/r1/backend1, namespace: ''}}}\n"
		"  policy: {requestHeaderModifier: {set: {x-b: aimed}}}\n"
		"- name: {name: r1, namespace: default}\n"
		"  target: {backend: {backend: {name: bind/8080/l/r1/backend1, namespace: ''}}}\n"
		"  policy: {responseHeaderModifier: {set: {x-r: aimed}}}\n");
	assert_ptr_equal(sg_bref_filters(&route(cfg, "r1")->backends.v[0])->request_headers,
			 policy(cfg, "default/h0")->u.hdrmod);
	assert_null(route(cfg, "r1")->backends.v[0].filters.request_headers);
	assert_ptr_equal(sg_bref_filters(&route(cfg, "r1")->backends.v[1])->request_headers,
			 route(cfg, "r1")->backends.v[1].filters.request_headers);
	assert_ptr_equal(sg_bref_filters(&route(cfg, "r1")->backends.v[1])->response_headers,
			 policy(cfg, "default/r1")->u.hdrmod);
	assert_null(route(cfg, "r1")->eff_filters.request_headers);
	sg_cfg_free(cfg);
}

/* A route group's route: a backend policy aimed at a route that
 * delegated to it (two levels up here) reaches its backends, one aimed at
 * itself beats it; a2a aimed at the top route makes it A2A. */
static void test_targeted_route_chain(void **unused)
{
	struct sg_cfg *cfg =
		load("binds:\n"
		     "- port: 8080\n"
		     "  listeners:\n"
		     "  - routes: [{name: top, backends: [{routeGroup: mid}]}]\n"
		     "routeGroups:\n"
		     "- name: mid\n"
		     "  routes: [{name: m, backends: [{routeGroup: leaf}]}]\n"
		     "- name: leaf\n"
		     "  routes:\n"
		     "  - {name: a, matches: [{path: {pathPrefix: /a}}], backends: [{host: "
		     "127.0.0.1:1}]}\n"
		     "  - {name: b, backends: [{host: 127.0.0.1:2}]}\n"
		     "policies:\n"
		     "- name: {name: top-tls, namespace: default}\n"
		     "  target: {route: {name: top, namespace: default}}\n"
		     "  policy: {backendTLS: {insecure: true}}\n"
		     "- name: {name: a-tls, namespace: default}\n"
		     "  target: {route: {name: a, namespace: default}}\n"
		     "  policy: {backendTLS: {hostname: a.example}}\n"
		     "- name: {name: top-a2a, namespace: default}\n"
		     "  target: {route: {name: top, namespace: default}}\n"
		     "  policy: {a2a: {}}\n");
	const struct sg_route *top = route(cfg, "top");
	const struct sg_route *m = &top->backends.v[0].sub[0];
	const struct sg_route *a = &m->backends.v[0].sub[0], *b = &m->backends.v[0].sub[1];

	(void)unused;
	assert_ptr_equal(m->parent, top);
	assert_ptr_equal(a->parent, m);
	assert_ptr_equal(a->backends.v[0].eff_tls, policy(cfg, "default/a-tls")->u.btls);
	assert_ptr_equal(b->backends.v[0].eff_tls, policy(cfg, "default/top-tls")->u.btls);
	assert_true(a->eff_filters.a2a);
	assert_true(b->eff_filters.a2a);
	assert_true(policy(cfg, "default/a-tls")->attached);
	sg_cfg_free(cfg);
}

static void test_targeted_dump(void **unused)
{
	struct sg_cfg *cfg =
		load(BINDS "- name: {name: rt, namespace: default}\n"
			   "  target: {route: {name: r1, namespace: default}}\n"
			   "  policy: " SET("route") "\n"
						     "- name: {name: tls, namespace: default}\n"
						     "  target: " GATEWAY "\n"
						     "  policy: {backendTLS: {insecure: true}}\n");
	char *json = sg_dump_config(cfg);
	struct sg_json *root = sg_json_parse(json), *want;
	const struct sg_json *p = sg_json_first(sg_json_get(root, "policies"));
	char *got;

	(void)unused;
	assert_non_null(p);
	got = sg_json_print(p, SG_JSON_COMPACT);
	want = sg_json_parse(
		"{\"key\":\"default/rt\",\"name\":{\"kind\":\"Local\",\"name\":\"rt\","
		"\"namespace\":\"default\"},\"target\":{\"route\":{\"name\":\"r1\","
		"\"namespace\":\"default\"}},\"policy\":{\"traffic\":{\"phase\":"
		"\"route\",\"requestHeaderModifier\":{\"set\":{\"x-pol\":\"route\"}}}}}");
	assert_non_null(want);
	{
		char *w = sg_json_print(want, SG_JSON_COMPACT);

		assert_string_equal(got, w);
		free(w);
	}
	free(got);
	got = sg_json_print(sg_json_next(p), SG_JSON_COMPACT);
	assert_non_null(strstr(got, "\"key\":\"default/tls\""));
	assert_non_null(strstr(got, "\"target\":{\"gateway\":{\"gatewayName\":\"default\","
				    "\"gatewayNamespace\":\"default\",\"listenerName\":null}}"));
	assert_non_null(strstr(got, "\"policy\":{\"backend\":{\"backendTLS\":"));
	free(got);
	sg_json_free(want);
	sg_json_free(root);
	free(json);
	sg_cfg_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targeted_precedence),
		cmocka_unit_test(test_targeted_kinds),
		cmocka_unit_test(test_targeted_refusals),
		cmocka_unit_test(test_targeted_backend_by_name),
		cmocka_unit_test(test_targeted_route_chain),
		cmocka_unit_test(test_targeted_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
