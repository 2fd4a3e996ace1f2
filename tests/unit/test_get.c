/* Tests for admin/get.c: the status history, generations and transition
 * times across configs, as GET /resources prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin/get.h"
#include "config/build.h"
#include "user/base/json.h"

#define GW                                                                                         \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw, namespace: ns}\n"                                                    \
	"spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}\n"                          \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata: {name: r, namespace: ns, generation: 7}\n"

/* One config in force: loaded, recorded at `now`. */
static struct sg_cfg *take(struct sg_get_history *h, const char *text, time_t now)
{
	struct sg_diag d;
	struct sg_cfg *cfg;

	sg_diag_init(&d);
	cfg = sg_cfg_load_text("t.yaml", text, &d);
	sg_diag_free(&d);
	assert_non_null(cfg);
	assert_int_equal(sg_get_record(h, cfg, now), 0);
	return cfg;
}

/* "generation observedGeneration status lastTransitionTime" of the
 * route's Accepted condition, and of the Gateway's. */
static void route_and_gateway(const struct sg_cfg *cfg, const struct sg_get_history *h, char *r,
			      char *g)
{
	char *text = sg_get_resources(cfg, h, NULL, NULL, NULL);
	struct sg_json *list = sg_json_parse(text);

	for (struct sg_json *it = sg_json_first(sg_json_get(list, "items")); it;
	     it = sg_json_next(it)) {
		const char *kind = sg_json_str(sg_json_get(it, "kind"));
		struct sg_json *st = sg_json_get(it, "status"), *c;
		double gen = 0, og = 0;

		c = !strcmp(kind, "Gateway")
			    ? sg_json_first(sg_json_get(st, "conditions"))
			    : sg_json_first(sg_json_get(sg_json_first(sg_json_get(st, "parents")),
							"conditions"));
		sg_json_num(sg_json_get(sg_json_get(it, "metadata"), "generation"), &gen);
		sg_json_num(sg_json_get(c, "observedGeneration"), &og);
		sprintf(!strcmp(kind, "Gateway") ? g : r, "%.0f %.0f %s %s", gen, og,
			sg_json_str(sg_json_get(c, "status")),
			sg_json_str(sg_json_get(c, "lastTransitionTime")));
	}
	sg_json_free(list);
	free(text);
}

static void test_get_generations_and_transition_times(void **state)
{
	static const char *const texts[] = {
		GW "spec: {parentRefs: [{name: gw}], rules: [{matches: [{path: {value: /a}}]}]}\n",
		GW "spec: {parentRefs: [{name: gw}], rules: [{matches: [{path: {value: /a}}]}]}\n",
		GW "spec: {parentRefs: [{name: gw}], rules: [{matches: [{path: {value: /b}}]}]}\n",
		GW "spec: {parentRefs: [{name: no}], rules: [{matches: [{path: {value: /b}}]}]}\n",
		GW "spec: {parentRefs: [{name: gw}], rules: [{matches: [{path: {value: /b}}]}]}\n",
	};
	static const char *const want[] = {
		"1 1 True 1970-01-01T00:16:40Z",  /* new: the YAML's 7 is not kept */
		"1 1 True 1970-01-01T00:16:40Z",  /* the same spec */
		"2 2 True 1970-01-01T00:16:40Z",  /* new spec, same status: time kept */
		"3 3 False 1970-01-01T01:06:40Z", /* the status changed: time moved */
		"4 4 True 1970-01-01T01:23:20Z",
	};
	struct sg_get_history *h = sg_get_history_new();
	char r[256], g[256];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sg_cfg *cfg = take(h, texts[i], 1000 + (time_t)i * 1000);

		route_and_gateway(cfg, h, r, g);
		assert_string_equal(r, want[i]);
		assert_string_equal(g, "1 1 True 1970-01-01T00:16:40Z");
		sg_cfg_free(cfg);
	}
	/* Gone from one config, the route starts again at 1. */
	sg_cfg_free(take(h,
			 GW "spec: {parentRefs: [{name: gw}]}\n"
			    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
			 9000));
	sg_cfg_free(take(h,
			 "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
			 "metadata: {name: gw, namespace: ns}\n"
			 "spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}\n",
			 9500));
	{
		struct sg_cfg *cfg = take(h, texts[0], 10000);

		route_and_gateway(cfg, h, r, g);
		assert_string_equal(r, "1 1 True 1970-01-01T02:46:40Z");
		sg_cfg_free(cfg);
	}
	sg_get_history_free(h);
}

/* Without a history (none recorded), the resources print as applied. */
static void test_get_without_history(void **state)
{
	struct sg_diag d;
	struct sg_cfg *cfg;
	char *text;

	sg_diag_init(&d);
	cfg = sg_cfg_load_text("t.yaml", GW "spec: {parentRefs: [{name: gw}]}\n", &d);
	sg_diag_free(&d);
	text = sg_get_resources(cfg, NULL, "HTTPRoute", NULL, NULL);
	assert_non_null(strstr(text, "\"generation\":\t7"));
	assert_null(strstr(text, "lastTransitionTime"));
	free(text);
	sg_cfg_free(cfg);
}

/* The status of an XListenerSet (the experimental group): accepted while
 * a listener serves, its listeners as a Gateway's; a route's parentRef to
 * it in its own group; the Gateway counting it in attachedListenerSets. */
static void test_get_listenerset_status(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: Same}}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP, hostname: gw.example}]\n"
		"---\n"
		"apiVersion: gateway.networking.x-k8s.io/v1alpha1\n"
		"kind: XListenerSet\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners:\n"
		"  - {name: a, port: 8080, protocol: HTTP, hostname: a.example}\n"
		"  - {name: b, port: 8080, protocol: HTTP, hostname: gw.example}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{kind: XListenerSet, group: gateway.networking.x-k8s.io, name: "
		"ls,\n"
		"    sectionName: a}]\n";
	struct sg_get_history *h = sg_get_history_new();
	struct sg_cfg *cfg = take(h, text, 1000);
	char *text_ls = sg_get_resources(cfg, h, "XListenerSet", "ls", "ns");
	char *text_gw = sg_get_resources(cfg, h, "Gateway", "gw", "ns");
	char *text_r = sg_get_resources(cfg, h, "HTTPRoute", "r", "ns");
	struct sg_json *ls = sg_json_parse(text_ls), *gw = sg_json_parse(text_gw);
	struct sg_json *r = sg_json_parse(text_r), *st, *l;
	double n = -1;

	st = sg_json_get(sg_json_first(sg_json_get(ls, "items")), "status");
	l = sg_json_first(sg_json_get(st, "conditions"));
	assert_string_equal(sg_json_str(sg_json_get(l, "type")), "Accepted");
	assert_string_equal(sg_json_str(sg_json_get(l, "status")), "True");
	assert_string_equal(sg_json_str(sg_json_get(l, "reason")), "ListenersNotValid");
	l = sg_json_next(sg_json_first(sg_json_get(st, "listeners")));
	assert_string_equal(sg_json_str(sg_json_get(l, "name")), "b");
	l = sg_json_first(sg_json_get(l, "conditions"));
	assert_string_equal(sg_json_str(sg_json_get(l, "status")), "False");
	assert_string_equal(sg_json_str(sg_json_get(l, "reason")), "HostnameConflict");
	assert_int_equal(sg_json_num(sg_json_get(l, "observedGeneration"), &n), 0);
	assert_true(n == 1);

	st = sg_json_get(sg_json_first(sg_json_get(gw, "items")), "status");
	assert_int_equal(sg_json_num(sg_json_get(st, "attachedListenerSets"), &n), 0);
	assert_true(n == 1);
	l = sg_json_first(sg_json_get(st, "listeners")); /* its own only */
	assert_string_equal(sg_json_str(sg_json_get(l, "name")), "http");
	assert_null(sg_json_next(l));

	st = sg_json_get(sg_json_first(sg_json_get(r, "items")), "status");
	l = sg_json_get(sg_json_first(sg_json_get(st, "parents")), "parentRef");
	assert_string_equal(sg_json_str(sg_json_get(l, "group")), "gateway.networking.x-k8s.io");
	assert_string_equal(sg_json_str(sg_json_get(l, "kind")), "XListenerSet");
	assert_string_equal(sg_json_str(sg_json_get(l, "sectionName")), "a");
	sg_json_free(ls);
	sg_json_free(gw);
	sg_json_free(r);
	free(text_ls);
	free(text_gw);
	free(text_r);
	sg_cfg_free(cfg);
	sg_get_history_free(h);
}

/* "status reason" of the condition `type` among conds, "none" without. */
static const char *cond_of(struct sg_json *conds, const char *type)
{
	static char out[128];

	for (struct sg_json *c = sg_json_first(conds); c; c = sg_json_next(c))
		if (!strcmp(sg_json_str(sg_json_get(c, "type")), type)) {
			snprintf(out, sizeof(out), "%s %s", sg_json_str(sg_json_get(c, "status")),
				 sg_json_str(sg_json_get(c, "reason")));
			return out;
		}
	return "none";
}

/* A Gateway's spec.tls in its status: ResolvedRefs of its backend client
 * certificate and InsecureFrontendValidationMode on the Gateway; an HTTPS
 * listener none of whose client CAs resolves is not accepted
 * (NoValidCACertificate), which makes the Gateway's ListenersNotValid. */
static void test_get_gateway_spec_tls(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  tls:\n"
		"    frontend:\n"
		"      default:\n"
		"        validation:\n"
		"          mode: AllowInsecureFallback\n"
		"          caCertificateRefs: [{group: '', kind: ConfigMap, name: missing}]\n"
		"    backend: {clientCertificateRef: {name: nope}}\n"
		"  listeners:\n"
		"  - {name: http, port: 8080, protocol: HTTP}\n"
		"  - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: "
		"c}]}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata: {name: c, namespace: ns}\n"
		"type: kubernetes.io/tls\n"
		"stringData: {tls.crt: CERT, tls.key: KEY}\n";
	struct sg_get_history *h = sg_get_history_new();
	struct sg_cfg *cfg = take(h, text, 1000);
	char *out = sg_get_resources(cfg, h, "Gateway", "gw", "ns");
	struct sg_json *list = sg_json_parse(out), *st, *l;

	st = sg_json_get(sg_json_first(sg_json_get(list, "items")), "status");
	assert_string_equal(cond_of(sg_json_get(st, "conditions"), "Accepted"),
			    "True ListenersNotValid");
	assert_string_equal(cond_of(sg_json_get(st, "conditions"), "ResolvedRefs"),
			    "False InvalidClientCertificateRef");
	assert_string_equal(
		cond_of(sg_json_get(st, "conditions"), "InsecureFrontendValidationMode"),
		"True ConfigurationChanged");
	l = sg_json_next(sg_json_first(sg_json_get(st, "listeners")));
	assert_string_equal(sg_json_str(sg_json_get(l, "name")), "https");
	assert_string_equal(cond_of(sg_json_get(l, "conditions"), "Accepted"),
			    "False NoValidCACertificate");
	assert_string_equal(cond_of(sg_json_get(l, "conditions"), "ResolvedRefs"),
			    "False InvalidCACertificateRef");
	assert_string_equal(cond_of(sg_json_get(l, "conditions"), "Programmed"), "False Invalid");
	l = sg_json_first(sg_json_get(st, "listeners"));
	assert_string_equal(cond_of(sg_json_get(l, "conditions"), "ResolvedRefs"),
			    "True ResolvedRefs");
	sg_json_free(list);
	free(out);
	sg_cfg_free(cfg);
	sg_get_history_free(h);
}

/* /resources, which any user of the host reads on the TCP admin port,
 * prints no secret (config_dump prints none either): a Secret's data and
 * stringData values, an AgentgatewayPolicy's inline htpasswd users,
 * backend key and JWKS (an HMAC key here), and kubectl's
 * last-applied-configuration copy of them, are "<redacted>"; the keys, and
 * everything else, stay as applied. */
static void test_get_redacts_secrets(void **state)
{
	static const char text[] = GW
		"spec: {parentRefs: [{name: gw}]}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata:\n"
		"  name: creds\n"
		"  namespace: ns\n"
		"  annotations:\n"
		"    kubectl.kubernetes.io/last-applied-configuration: "
		"'{\"stringData\":{\"password\":\"hunter2\"}}'\n"
		"    team: blue\n"
		"type: Opaque\n"
		"data: {tls.key: UFJJVkFURS1LRVk=, api-key: c2stbGl2ZS0xMjM=}\n"
		"stringData: {password: hunter2}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: auth, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n"
		"  traffic:\n"
		"    basicAuthentication:\n"
		"      users: ['alice:$apr1$salt$hashhashhashhash']\n"
		"    jwtAuthentication:\n"
		"      providers:\n"
		"      - issuer: me\n"
		"        jwks:\n"
		"          inline: '{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\",\"alg\":\"HS256\","
		"\"k\":\"aG1hYy1zZWNyZXQ\"}]}'\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec: {clusterIP: 127.0.0.1, ports: [{port: 9000}]}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: key, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: \"\", kind: Service, name: svc}]\n"
		"  backend:\n"
		"    auth: {key: sk-inline-456}\n";
	static const char *const secrets[] = {
		"hunter2", "UFJJVkFURS1LRVk=", "c2stbGl2ZS0xMjM=",
		"$apr1$",  "aG1hYy1zZWNyZXQ",  "sk-inline-456",
	};
	struct sg_diag d;
	struct sg_cfg *cfg;
	struct sg_json *list, *secret = NULL, *pol = NULL;
	char *out;

	sg_diag_init(&d);
	cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!cfg)
		sg_diag_print(&d, stderr);
	sg_diag_free(&d);
	assert_non_null(cfg);
	out = sg_get_resources(cfg, NULL, NULL, NULL, NULL);
	assert_non_null(out);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(out, secrets[i]))
			fail_msg("/resources prints the secret \"%s\":\n%s", secrets[i], out);
	list = sg_json_parse(out);
	for (struct sg_json *it = sg_json_first(sg_json_get(list, "items")); it;
	     it = sg_json_next(it)) {
		const char *kind = sg_json_str(sg_json_get(it, "kind"));
		const char *name = sg_json_str(sg_json_get(sg_json_get(it, "metadata"), "name"));

		if (!strcmp(kind, "Secret"))
			secret = it;
		if (!strcmp(kind, "AgentgatewayPolicy") && !strcmp(name, "auth"))
			pol = it;
	}
	assert_non_null(secret);
	assert_non_null(pol);
	assert_string_equal(sg_json_str(sg_json_get(sg_json_get(secret, "data"), "tls.key")),
			    "<redacted>");
	assert_string_equal(sg_json_str(sg_json_get(sg_json_get(secret, "data"), "api-key")),
			    "<redacted>");
	assert_string_equal(sg_json_str(sg_json_get(sg_json_get(secret, "stringData"), "password")),
			    "<redacted>");
	assert_string_equal(
		sg_json_str(sg_json_get(sg_json_get(sg_json_get(secret, "metadata"), "annotations"),
					"team")),
		"blue");
	assert_string_equal(sg_json_str(sg_json_get(secret, "type")), "Opaque");
	assert_string_equal(sg_json_str(sg_json_first(sg_json_get(
				    sg_json_get(sg_json_get(sg_json_get(pol, "spec"), "traffic"),
						"basicAuthentication"),
				    "users"))),
			    "<redacted>");
	assert_non_null(strstr(out, "\"issuer\":\t\"me\""));
	sg_json_free(list);
	free(out);
	sg_cfg_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_generations_and_transition_times),
		cmocka_unit_test(test_get_without_history),
		cmocka_unit_test(test_get_listenerset_status),
		cmocka_unit_test(test_get_gateway_spec_tls),
		cmocka_unit_test(test_get_redacts_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
