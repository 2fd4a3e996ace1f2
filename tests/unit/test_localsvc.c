/* config/localsvc.c: the standalone dialect's services: and workloads:,
 * a route's `service:` backend resolved to the workloads' endpoints, the
 * tracing policy's `service:` form, a policy aimed at a service, the
 * refusals, and config_dump's services and workloads. */
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

/* A service on port 80 (target 8000, HTTP/2) and three workloads: one
 * mapping the port to 9000, one taking the service's target port, one
 * unhealthy. */
#define SERVICES                                                                                   \
	"services:\n"                                                                              \
	"- name: svc\n"                                                                            \
	"  namespace: default\n"                                                                   \
	"  hostname: svc.example\n"                                                                \
	"  vips: [/10.0.0.1]\n"                                                                    \
	"  ports: {80: 8000}\n"                                                                    \
	"  appProtocols: {80: Http2}\n"                                                            \
	"workloads:\n"                                                                             \
	"- {uid: w1, name: w1, namespace: default, workloadIps: [127.0.0.2],\n"                    \
	"   services: {default/svc.example: {80: 9000}}}\n"                                        \
	"- {uid: w2, name: w2, namespace: default, workloadIps: [127.0.0.3],\n"                    \
	"   services: {default/svc.example: {}}}\n"                                                \
	"- {uid: w3, name: w3, namespace: default, workloadIps: [127.0.0.4], status: Unhealthy,\n" \
	"   services: {default/svc.example: {80: 9000}}}\n"

#define ROUTE(backend)                                                                             \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - name: l\n"                                                                            \
	"    routes:\n"                                                                            \
	"    - name: r\n"                                                                          \
	"      backends: [" backend "]\n"

static const struct sg_backend_ref *the_backend(const struct sg_cfg *cfg)
{
	assert_int_equal(cfg->nbinds, 1);
	assert_int_equal(cfg->binds[0].listeners[0].nroutes, 1);
	return &cfg->binds[0].listeners[0].routes[0].backends.v[0];
}

static void test_localsvc_backend(void **unused)
{
	struct sg_cfg *cfg =
		load(SERVICES ROUTE("{service: {name: default/svc.example, port: 80}}"));
	const struct sg_backend_ref *br = the_backend(cfg);

	(void)unused;
	assert_int_equal(br->kind, SG_BREF_SERVICE);
	assert_int_equal(br->port, 80);
	assert_string_equal(br->svc->hostname, "svc.example");
	assert_true(br->eff_h2); /* appProtocols Http2 */
	assert_int_equal(br->neps, 2);
	assert_string_equal(br->eps[0].addr, "127.0.0.2");
	assert_int_equal(br->eps[0].port, 9000);
	assert_string_equal(br->eps[1].addr, "127.0.0.3");
	assert_int_equal(br->eps[1].port, 8000);
	assert_string_equal(br->eff_authority, "svc.example:80");
	sg_cfg_unref(cfg);
}

/* frontendPolicies.tracing's service form, and a backendTLS policy aimed
 * at the service (by hostname and port). */
static void test_localsvc_references(void **unused)
{
	struct sg_cfg *cfg =
		load(SERVICES "frontendPolicies:\n"
			      "  tracing: {service: {name: default/svc.example, port: 80}}\n"
			      "policies:\n"
			      "- name: {name: tls, namespace: default}\n"
			      "  target: {backend: {service: {hostname: svc.example, namespace: "
			      "default, port: 80}}}\n"
			      "  policy: {backendTLS: {insecure: true}}\n" ROUTE(
				      "{service: {name: default/svc.example, port: 80}}"));
	const struct sg_backend_ref *br = the_backend(cfg);
	const struct sg_tracing *t = cfg->binds[0].listeners[0].tracing;

	(void)unused;
	assert_non_null(t);
	assert_string_equal(t->to.ep.addr, "127.0.0.2");
	assert_int_equal(t->to.ep.port, 9000);
	assert_string_equal(t->to.host, "svc.example:80");
	assert_non_null(br->eff_tls);
	assert_true(br->eff_tls->insecure);
	sg_cfg_unref(cfg);
}

struct refusal {
	const char *what, *text, *want;
};

static void test_localsvc_refusals(void **unused)
{
	static const struct refusal cases[] = {
		{ "no such service", SERVICES ROUTE("{service: {name: default/nope, port: 80}}"),
		  "t.yaml:21:35: binds[0].listeners[0].routes[0].backends[0].service.name: no "
		  "service \"default/nope\" in the top-level services: list (a service is named "
		  "\"namespace/hostname\")" },
		{ "no such port",
		  SERVICES ROUTE("{service: {name: default/svc.example, port: 81}}"),
		  "t.yaml:21:62: binds[0].listeners[0].routes[0].backends[0].service.port: service "
		  "default/svc.example has no port 81 (and no workload maps it)" },
		{ "a vip without its network",
		  "services: [{name: s, namespace: d, hostname: h, vips: [10.0.0.1], ports: {}}]\n",
		  "t.yaml:1:56: services[0].vips[0]: expected \"network/IP\" such as "
		  "\"/10.0.0.1\", got \"10.0.0.1\"" },
		{ "a waypoint",
		  "services: [{name: s, namespace: d, hostname: h, vips: [], ports: {}, waypoint: "
		  "{}}]\n",
		  "t.yaml:1:80: services[0].waypoint: not supported (a mesh setting of "
		  "agentgateway's discovery records: splicegate dials a service's workloads "
		  "directly, in plain TCP)" },
		{ "a TLS port",
		  "services: [{name: s, namespace: d, hostname: h, vips: [], ports: {443: 8443}, "
		  "appProtocols: {443: Tls}}]\n",
		  "t.yaml:1:99: services[0].appProtocols.443: \"Tls\" is not supported (a "
		  "service's HTTP routes speak Http11, Http2 or Grpc to it)" },
		{ "a service given twice",
		  "services:\n- {name: s, namespace: d, hostname: h, vips: [], ports: {}}\n"
		  "- {name: t, namespace: d, hostname: h, vips: [], ports: {}}\n",
		  "t.yaml:3:37: services[1].hostname: service d/h is given twice" },
		{ "capacity",
		  "workloads: [{namespace: d, workloadIps: [], services: {}, capacity: 2}]\n",
		  "t.yaml:1:69: workloads[0].capacity: 2 is not supported (endpoints weighted by "
		  "capacity are not implemented: 1, or 0 for no traffic)" },
		{ "HBONE",
		  "workloads: [{namespace: d, workloadIps: [], services: {}, protocol: HBONE}]\n",
		  "t.yaml:1:69: workloads[0].protocol: \"HBONE\" is not supported (only TCP)" },
		{ "a service key without namespace",
		  "workloads: [{namespace: d, workloadIps: [], services: {svc: {}}}]\n",
		  "t.yaml:1:56: workloads[0].services.svc: expected a service as "
		  "\"namespace/hostname\", got \"svc\"" },
		{ "a tracing service without endpoints",
		  "services: [{name: s, namespace: d, hostname: h, vips: [], ports: {80: 80}}]\n"
		  "frontendPolicies:\n  tracing: {service: {name: d/h, port: 80}}\n",
		  "t.yaml:3:22: frontendPolicies.tracing.service: service d/h has no healthy "
		  "workload on port 80 to send spans to" },
	};
	int bad = 0;

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = error_of(cases[i].text);

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

/* The part of config_dump at top-level key `key`, element `i`, compact. */
static char *dumped(const struct sg_cfg *cfg, const char *key, int i)
{
	char *json = sg_dump_config(cfg), *out;
	struct sg_json *root = sg_json_parse(json);
	const struct sg_json *v = sg_json_first(sg_json_get(root, key));

	while (v && i-- > 0)
		v = sg_json_next(v);
	assert_non_null(v);
	out = sg_json_print(v, SG_JSON_COMPACT);
	sg_json_free(root);
	free(json);
	return out;
}

static void test_localsvc_dump(void **unused)
{
	struct sg_cfg *cfg =
		load(SERVICES ROUTE("{service: {name: default/svc.example, port: 80}}"));
	char *s = dumped(cfg, "services", 0), *w = dumped(cfg, "workloads", 0),
	     *b = dumped(cfg, "binds", 0);

	(void)unused;
	assert_string_equal(
		s, "{\"name\":\"svc\",\"namespace\":\"default\",\"hostname\":\"svc.example\","
		   "\"vips\":[\"/10.0.0.1\"],\"ports\":{\"80\":8000},\"appProtocols\":{\"80\":"
		   "\"Http2\"},\"endpoints\":[{\"active\":{\"w1\":{\"endpoint\":{\"workloadUid\":"
		   "\"w1\",\"port\":{\"80\":9000},\"status\":\"Healthy\"},\"capacity\":1},\"w2\":{"
		   "\"endpoint\":{\"workloadUid\":\"w2\",\"port\":{},\"status\":\"Healthy\"},"
		   "\"capacity\":1}},\"rejected\":{}}],\"subjectAltNames\":[]}");
	assert_string_equal(w,
			    "{\"workloadIps\":[\"127.0.0.2\"],\"protocol\":\"TCP\","
			    "\"networkMode\":\"Standard\",\"uid\":\"w1\",\"name\":\"w1\","
			    "\"namespace\":\"default\",\"status\":\"Healthy\",\"clusterId\":\"\","
			    "\"services\":{\"default/svc.example\":{\"80\":9000}},\"capacity\":1}");
	assert_non_null(strstr(b, "\"backends\":[{\"weight\":1,\"service\":{\"name\":"
				  "\"default/svc.example\",\"port\":80}}]"));
	free(s);
	free(w);
	free(b);
	sg_cfg_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localsvc_backend),
		cmocka_unit_test(test_localsvc_references),
		cmocka_unit_test(test_localsvc_refusals),
		cmocka_unit_test(test_localsvc_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
