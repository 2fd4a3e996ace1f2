/* Unit tests for the config loader (sg_cfg_load_text / sg_cfg_load): the
 * seeds' resources in both dialects, defaults, keys, and every error the
 * reader reports, checked line for line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cel.h"
#include "config/cfg.h"
#include "config/diag.h"

/* The time bounds below hold for an optimised build with room to spare;
 * under AddressSanitizer the same work takes several times as long. They
 * are CPU time, which a busy neighbour does not stretch: on the wall
 * clock, 40,000 HTTPRoutes took 68 s under ASan beside a busy core. */
#ifdef __SANITIZE_ADDRESS__
#define TIME_SCALE 4.0
#else
#define TIME_SCALE 1.0
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SEC SG_DUR_S(1)
#define MS SG_DUR_MS(1)

/* ---- fixtures: the resources the seeds assume and the seeds' own ------- */

#define GATEWAY                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata:\n"                                                                              \
	"  name: agentgateway-proxy\n"                                                             \
	"  namespace: agentgateway-system\n"                                                       \
	"spec:\n"                                                                                  \
	"  gatewayClassName: agentgateway\n"                                                       \
	"  listeners:\n"                                                                           \
	"  - name: http\n"                                                                         \
	"    port: 8080\n"                                                                         \
	"    protocol: HTTP\n"                                                                     \
	"    allowedRoutes: {namespaces: {from: All}}\n"

#define HTTPBIN                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata:\n"                                                                              \
	"  name: httpbin\n"                                                                        \
	"  namespace: httpbin\n"                                                                   \
	"spec:\n"                                                                                  \
	"  clusterIP: 127.0.0.1\n"                                                                 \
	"  ports:\n"                                                                               \
	"  - name: http\n"                                                                         \
	"    port: 8000\n"

/* Seed 000, the namespace snippet filled in. */
#define SEED000_ROUTE                                                                              \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata:\n"                                                                              \
	"  name: idle-timeout\n"                                                                   \
	"  namespace: httpbin\n"                                                                   \
	"spec:\n"                                                                                  \
	"  hostnames:\n"                                                                           \
	"  - idle.example\n"                                                                       \
	"  parentRefs:\n"                                                                          \
	"  - name: agentgateway-proxy\n"                                                           \
	"    namespace: agentgateway-system\n"                                                     \
	"  rules:\n"                                                                               \
	"  - matches: \n"                                                                          \
	"    - path:\n"                                                                            \
	"        type: PathPrefix\n"                                                               \
	"        value: /headers\n"                                                                \
	"    backendRefs:\n"                                                                       \
	"    - kind: Service\n"                                                                    \
	"      name: httpbin\n"                                                                    \
	"      port: 8000\n"                                                                       \
	"    name: timeout\n"

#define SEED000_POLICY                                                                             \
	"apiVersion: agentgateway.dev/v1alpha1\n"                                                  \
	"kind: AgentgatewayPolicy\n"                                                               \
	"metadata:\n"                                                                              \
	"  name: idle-time\n"                                                                      \
	"  namespace: agentgateway-system\n"                                                       \
	"spec:\n"                                                                                  \
	"  targetRefs:\n"                                                                          \
	"    - kind: Gateway\n"                                                                    \
	"      name: agentgateway-proxy\n"                                                         \
	"      group: gateway.networking.k8s.io\n"                                                 \
	"  frontend:\n"                                                                            \
	"    http:\n"                                                                              \
	"      http1IdleTimeout: 1s\n"

/* Seed 002: both policies are named httpbin-keepalive, applied one at a
 * time; both target a Gateway in namespace httpbin that does not exist. */
#define SEED002_HEAD                                                                               \
	"apiVersion: agentgateway.dev/v1alpha1\n"                                                  \
	"kind: AgentgatewayPolicy\n"                                                               \
	"metadata:\n"                                                                              \
	"  name: httpbin-keepalive\n"                                                              \
	"  namespace: httpbin\n"                                                                   \
	"spec:\n"                                                                                  \
	"  targetRefs:\n"                                                                          \
	"  - kind: Gateway\n"                                                                      \
	"    name: agentgateway-proxy\n"                                                           \
	"    group: gateway.networking.k8s.io\n"

#define SEED002_TCP                                                                                \
	SEED002_HEAD "  frontend:\n"                                                               \
		     "    tcp:\n"                                                                  \
		     "      keepalive:\n"                                                          \
		     "        retries: 3\n"                                                        \
		     "        time: 30s\n"                                                         \
		     "        interval: 5s\n"

#define SEED002_HTTP                                                                               \
	SEED002_HEAD "  frontend:\n"                                                               \
		     "    http:\n"                                                                 \
		     "      http2KeepaliveInterval: 5s\n"                                          \
		     "      http2KeepaliveTimeout: 30s\n"

#define SEED004_ROUTE                                                                              \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata:\n"                                                                              \
	"  name: retry\n"                                                                          \
	"  namespace: httpbin\n"                                                                   \
	"spec:\n"                                                                                  \
	"  hostnames:\n"                                                                           \
	"  - retry.example\n"                                                                      \
	"  parentRefs:\n"                                                                          \
	"  - name: agentgateway-proxy\n"                                                           \
	"    namespace: agentgateway-system\n"                                                     \
	"  rules:\n"                                                                               \
	"  - matches: \n"                                                                          \
	"    - path:\n"                                                                            \
	"        type: PathPrefix\n"                                                               \
	"        value: /\n"                                                                       \
	"    backendRefs:\n"                                                                       \
	"    - name: httpbin\n"                                                                    \
	"      port: 8000\n"                                                                       \
	"    retry:\n"                                                                             \
	"      attempts: 3\n"                                                                      \
	"      backoff: 1s  \n"                                                                    \
	"      codes: \n"                                                                          \
	"      - 517\n"                                                                            \
	"    timeouts:\n"                                                                          \
	"      backendRequest: 5s \n"

/* Seed 003's backend example, standalone dialect. */
#define SEED003                                                                                    \
	"# yaml-language-server: $schema=https://agentgateway.dev/schema/config\n"                 \
	"binds:\n"                                                                                 \
	"- port: 3000\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - routes:\n"                                                                            \
	"    - backends:\n"                                                                        \
	"      - host: localhost:8080\n"                                                           \
	"        policies:\n"                                                                      \
	"          http:\n"                                                                        \
	"            requestTimeout: 1s\n"                                                         \
	"          tcp:\n"                                                                         \
	"            connectTimeout:\n"                                                            \
	"              secs: 10\n"                                                                 \
	"              nanos: 0\n"                                                                 \
	"            # Required when setting tcp connection options; {} keeps keepalive "          \
	"defaults\n"                                                                               \
	"            keepalives: {}\n"

#define SEED002_WARNING                                                                            \
	"t.yaml:8:5: warning: spec.targetRefs[0]: Gateway httpbin/agentgateway-proxy is not "      \
	"defined; policy httpbin/httpbin-keepalive has no effect until it is"

/* ---- helpers ------------------------------------------------------------ */

struct loaded {
	struct sg_cfg *cfg;
	struct sg_diag diag;
};

static int loaded_setup(void **state)
{
	struct loaded *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	sg_diag_init(&l->diag);
	*state = l;
	return 0;
}

static int loaded_teardown(void **state)
{
	struct loaded *l = *state;

	sg_cfg_free(l->cfg);
	sg_diag_free(&l->diag);
	free(l);
	return 0;
}

static void loaded_reset(struct loaded *l)
{
	sg_cfg_free(l->cfg);
	l->cfg = NULL;
	sg_diag_free(&l->diag);
}

static void print_diag(const struct sg_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s\n", d->lines[i]);
}

/* Loads `text` as t.yaml; it must load with `warnings` warnings. */
static struct sg_cfg *load_ok(struct loaded *l, const char *text, size_t warnings)
{
	loaded_reset(l);
	l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag);
	if (!l->cfg || l->diag.errors || l->diag.warnings != warnings || l->diag.n != warnings) {
		print_diag(&l->diag);
		fail_msg("load: cfg %p, %zu errors, %zu warnings (want %zu)", (void *)l->cfg,
			 l->diag.errors, l->diag.warnings, warnings);
	}
	return l->cfg;
}

struct err_case {
	const char *what;
	const char *text;
	const char *want; /* the one line */
};

/* Each text must fail to load with exactly one line, `want`. */
static void expect_errors(struct loaded *l, const struct err_case *c, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		loaded_reset(l);
		l->cfg = sg_cfg_load_text("t.yaml", c[i].text, &l->diag);
		if (!l->cfg && l->diag.n == 1 && l->diag.errors == 1 &&
		    !strcmp(l->diag.lines[0], c[i].want))
			continue;
		print_message("%s: cfg %p, %zu lines, want \"%s\"\n", c[i].what, (void *)l->cfg,
			      l->diag.n, c[i].want);
		print_diag(&l->diag);
		bad++;
	}
	if (bad)
		fail_msg("%d of %zu cases", bad, n);
}

static struct sg_listener *find_listener(const struct sg_cfg *cfg, const char *key)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++)
			if (!strcmp(cfg->binds[b].listeners[i].key, key))
				return &cfg->binds[b].listeners[i];
	fail_msg("no listener %s", key);
	return NULL;
}

/* A GRPCRoute's method matches are paths /<service>/<method>: a whole
 * method Exact, a service's methods or a method of any service as
 * whole-path regexes, RegularExpression's pieces as regexes; header
 * matches and backends as HTTPRoute's; keys end in ".grpc". */
static void test_k8s_grpcroute_matches(void **state)
{
	struct loaded *l = *state;
	static const struct {
		enum sg_path_kind kind;
		const char *path;
	} want[] = {
		{ SG_PATH_EXACT, "/a.B/M" },
		{ SG_PATH_REGEX, "/a\\.B/[^/]+" },
		{ SG_PATH_REGEX, "/[^/]+/M" },
		{ SG_PATH_REGEX, "/(a.*)/([^/]+)" },
	};
	struct sg_cfg *cfg =
		load_ok(l,
			GATEWAY "---\n" HTTPBIN "---\n"
				"apiVersion: gateway.networking.k8s.io/v1\n"
				"kind: GRPCRoute\n"
				"metadata: {name: g, namespace: httpbin}\n"
				"spec:\n"
				"  parentRefs: [{name: agentgateway-proxy, namespace: "
				"agentgateway-system}]\n"
				"  rules:\n"
				"  - matches:\n"
				"    - method: {service: a.B, method: M}\n"
				"      headers: [{name: x, value: y}]\n"
				"    - method: {service: a.B}\n"
				"    - method: {method: M}\n"
				"    - method: {type: RegularExpression, service: a.*}\n"
				"    backendRefs: [{name: httpbin, port: 8000}]\n",
			0);
	struct sg_listener *ls = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");

	assert_non_null(ls);
	assert_true(ls->kinds & SG_KIND_GRPCROUTE);
	assert_int_equal(ls->nroutes, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct sg_route *rt = &ls->routes[i];
		char key[64];

		snprintf(key, sizeof(key), "httpbin/g.0.%zu.http.grpc", i);
		assert_string_equal(rt->key, key);
		assert_int_equal(rt->matches[0].path_kind, want[i].kind);
		assert_string_equal(rt->matches[0].path, want[i].path);
		assert_int_equal(rt->matches[0].nheaders, i == 0 ? 1 : 0);
		assert_int_equal(rt->backends.n, 1);
	}
}

static struct sg_route *find_route(const struct sg_listener *l, const char *key)
{
	for (size_t i = 0; i < l->nroutes; i++)
		if (!strcmp(l->routes[i].key, key))
			return &l->routes[i];
	fail_msg("no route %s in %s", key, l->key);
	return NULL;
}

static const struct sg_policy *find_policy(const struct sg_cfg *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->npolicies; i++)
		if (!strcmp(cfg->policies[i].key, key))
			return &cfg->policies[i];
	fail_msg("no policy %s", key);
	return NULL;
}

static const struct sg_bind *find_bind(const struct sg_cfg *cfg, uint16_t port)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		if (cfg->binds[b].port == port)
			return &cfg->binds[b];
	fail_msg("no bind on port %u", port);
	return NULL;
}

static void assert_frontend_defaults(const struct sg_frontend_http *h, sg_dur idle)
{
	assert_int_equal(h->max_buffer_size, 2097152);
	assert_int_equal(h->http1_max_headers, SG_UNSET);
	assert_int_equal(h->http1_idle_timeout, idle);
	assert_int_equal(h->http2_window_size, SG_UNSET);
	assert_int_equal(h->http2_connection_window_size, SG_UNSET);
	assert_int_equal(h->http2_frame_size, SG_UNSET);
}

static void assert_keepalive(const struct sg_keepalive *k, bool enabled, sg_dur time,
			     sg_dur interval, uint32_t retries)
{
	assert_int_equal(k->enabled, enabled);
	assert_int_equal(k->time, time);
	assert_int_equal(k->interval, interval);
	assert_int_equal(k->retries, retries);
}

/* ---- the seeds ---------------------------------------------------------- */

static void test_config_loads_seed_000(void **state)
{
	static const char text[] =
		GATEWAY "---\n" HTTPBIN "---\n" SEED000_ROUTE "---\n" SEED000_POLICY;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *ls = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");
	struct sg_route *r = find_route(ls, "httpbin/idle-timeout.0.0.http");
	const struct sg_policy *p =
		find_policy(cfg, "frontend/agentgateway-system/idle-time:frontend-http:"
				 "agentgateway-system/agentgateway-proxy");
	const struct sg_backend_ref *br;

	/* The Gateway listener. */
	assert_int_equal(cfg->nbinds, 1);
	assert_int_equal(cfg->binds[0].port, 8080);
	assert_string_equal(cfg->binds[0].key, "bind/8080");
	assert_int_equal(cfg->binds[0].proto, SG_PROTO_HTTP);
	assert_string_equal(ls->gw_ns, "agentgateway-system");
	assert_string_equal(ls->gw_name, "agentgateway-proxy");
	assert_string_equal(ls->name, "http");
	assert_string_equal(ls->hostname, "");
	assert_int_equal(ls->port, 8080);
	assert_int_equal(ls->nroutes, 1);

	/* The route: one rule, one match. */
	assert_string_equal(r->name, "idle-timeout");
	assert_string_equal(r->ns, "httpbin");
	assert_string_equal(r->rule_name, "timeout");
	assert_int_equal(r->hostnames.n, 1);
	assert_string_equal(r->hostnames.v[0], "idle.example");
	assert_int_equal(r->nmatches, 1);
	assert_int_equal(r->matches[0].path_kind, SG_PATH_PREFIX);
	assert_string_equal(r->matches[0].path, "/headers");
	assert_null(r->matches[0].method);
	assert_false(r->has_timeout);
	assert_false(r->has_retry);
	assert_null(r->eff_retry);

	/* Its backend: the httpbin Service's clusterIP on the service port. */
	assert_int_equal(r->backends.n, 1);
	br = &r->backends.v[0];
	assert_int_equal(br->kind, SG_BREF_SERVICE);
	assert_int_equal(br->weight, 1);
	assert_int_equal(br->port, 8000);
	assert_string_equal(br->svc->ns, "httpbin");
	assert_string_equal(br->svc->name, "httpbin");
	assert_string_equal(br->svc->hostname, "httpbin.httpbin.svc.cluster.local");
	assert_int_equal(br->neps, 1);
	assert_string_equal(br->eps[0].addr, "127.0.0.1");
	assert_int_equal(br->eps[0].port, 8000);

	/* The policy, aimed at the whole Gateway. */
	assert_int_equal(cfg->npolicies, 1);
	assert_int_equal(p->kind, SG_POL_FRONTEND_HTTP);
	assert_string_equal(p->src_kind, "AgentgatewayPolicy");
	assert_string_equal(p->src_name, "idle-time");
	assert_string_equal(p->src_ns, "agentgateway-system");
	assert_int_equal(p->target.kind, SG_TARGET_GATEWAY);
	assert_string_equal(p->target.ns, "agentgateway-system");
	assert_string_equal(p->target.name, "agentgateway-proxy");
	assert_null(p->target.section);
	assert_true(p->attached);
	assert_frontend_defaults(&p->u.fhttp, SEC);
	assert_int_equal(p->u.fhttp.http2_keepalive_interval, SG_DUR_UNSET);
	assert_int_equal(p->u.fhttp.http2_keepalive_timeout, SG_DUR_UNSET);
	assert_ptr_equal(ls->fhttp, &p->u.fhttp);
	assert_null(ls->ftcp);
}

static void test_config_loads_seed_002_tcp_keepalive(void **state)
{
	static const char text[] = GATEWAY "---\n" SEED002_TCP;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, SEED002_TCP, 1);
	const struct sg_policy *p;

	assert_string_equal(l->diag.lines[0], SEED002_WARNING);
	p = find_policy(cfg, "frontend/httpbin/httpbin-keepalive:frontend-tcp:"
			     "httpbin/agentgateway-proxy");
	assert_int_equal(cfg->npolicies, 1);
	assert_int_equal(p->kind, SG_POL_FRONTEND_TCP);
	assert_string_equal(p->target.ns, "httpbin");
	assert_false(p->attached);
	assert_keepalive(&p->u.ftcp.keepalives, true, 30 * SEC, 5 * SEC, 3);

	/* With the real Gateway in another namespace it still attaches to
	 * nothing, and the listener keeps no keepalive. */
	cfg = load_ok(l, text, 1);
	assert_string_equal(l->diag.lines[0],
			    "t.yaml:21:5: warning: spec.targetRefs[0]: Gateway "
			    "httpbin/agentgateway-proxy is not defined; policy "
			    "httpbin/httpbin-keepalive has no effect until it is");
	assert_null(find_listener(cfg, "agentgateway-system/agentgateway-proxy.http")->ftcp);
	assert_false(cfg->policies[0].attached);
}

static void test_config_loads_seed_002_http_keepalive(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, SEED002_HTTP, 1);
	const struct sg_policy *p;

	assert_string_equal(l->diag.lines[0], SEED002_WARNING);
	p = find_policy(cfg, "frontend/httpbin/httpbin-keepalive:frontend-http:"
			     "httpbin/agentgateway-proxy");
	assert_int_equal(cfg->npolicies, 1);
	assert_int_equal(p->kind, SG_POL_FRONTEND_HTTP);
	assert_false(p->attached);
	/* What was not written keeps its default (10m0s idle in the dump). */
	assert_frontend_defaults(&p->u.fhttp, 600 * SEC);
	assert_int_equal(p->u.fhttp.http2_keepalive_interval, 5 * SEC);
	assert_int_equal(p->u.fhttp.http2_keepalive_timeout, 30 * SEC);
}

static void test_config_loads_seed_004_retry_route(void **state)
{
	static const char text[] = GATEWAY "---\n" HTTPBIN "---\n" SEED004_ROUTE;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *ls = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");
	struct sg_route *r = find_route(ls, "httpbin/retry.0.0.http");

	assert_string_equal(r->name, "retry");
	assert_null(r->rule_name);
	assert_string_equal(r->hostnames.v[0], "retry.example");
	assert_string_equal(r->matches[0].path, "/");
	assert_true(r->has_timeout);
	assert_int_equal(r->timeout.request, SG_DUR_UNSET);
	assert_int_equal(r->timeout.backend_request, 5 * SEC);
	assert_true(r->has_retry);
	assert_int_equal(r->retry.attempts, 3);
	assert_int_equal(r->retry.backoff, SEC);
	assert_int_equal(r->retry.codes.n, 1);
	assert_int_equal(r->retry.codes.v[0], 517);
	/* Inline, so effective as written. */
	assert_ptr_equal(r->eff_retry, &r->retry);
	assert_int_equal(r->eff_timeout.request, SG_DUR_UNSET);
	assert_int_equal(r->eff_timeout.backend_request, 5 * SEC);
	assert_int_equal(r->backends.v[0].eps[0].port, 8000);
	/* The listener has no policy: the default frontend. */
	assert_ptr_equal(ls->fhttp, &cfg->default_fhttp);
}

/* agentgateway's controller writes min(attempts, 255) (its proxy keeps a
 * u8): a route's 100000 were as many tries of each request. */
static void test_config_k8s_retry_attempts_capped(void **state)
{
	static const char text[] = GATEWAY
		"---\n" HTTPBIN "---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: retry, namespace: httpbin}\n"
		"spec:\n"
		"  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]\n"
		"  rules:\n"
		"  - backendRefs: [{name: httpbin, port: 8000}]\n"
		"    retry: {attempts: 100000, codes: [503]}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: r, namespace: agentgateway-system}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: "
		"agentgateway-proxy}]\n"
		"  traffic: {retry: {attempts: 4294967295}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *ls = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");
	struct sg_route *r = find_route(ls, "httpbin/retry.0.0.http");
	size_t n = 0;

	assert_int_equal(r->eff_retry->attempts, 255);
	for (size_t i = 0; i < cfg->npolicies; i++) {
		if (cfg->policies[i].kind != SG_POL_RETRY)
			continue;
		assert_int_equal(cfg->policies[i].u.retry.attempts, 255);
		n++;
	}
	assert_int_equal(n, 1);
}

static void test_config_loads_seed_003_standalone(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, SEED003, 0);
	const struct sg_bind *bind = find_bind(cfg, 3000);
	struct sg_listener *ls = find_listener(cfg, "bind/3000/listener0");
	struct sg_route *r = find_route(ls, "bind/3000/listener0/route0");
	const struct sg_backend_ref *br = &r->backends.v[0];

	assert_string_equal(bind->key, "bind/3000");
	assert_int_equal(bind->nlisteners, 1);
	assert_int_equal(ls->proto, SG_PROTO_HTTP);
	assert_string_equal(ls->name, "listener0");
	assert_string_equal(r->name, "route0");
	/* No matches written: everything. */
	assert_int_equal(r->nmatches, 1);
	assert_int_equal(r->matches[0].path_kind, SG_PATH_PREFIX);
	assert_string_equal(r->matches[0].path, "/");

	assert_int_equal(r->backends.n, 1);
	assert_int_equal(br->kind, SG_BREF_HOST);
	assert_string_equal(br->host, "localhost:8080");
	assert_int_equal(br->port, 8080);
	assert_int_equal(br->neps, 1);
	assert_string_equal(br->eps[0].addr, "localhost");
	assert_int_equal(br->eps[0].port, 8080);
	assert_non_null(br->http);
	assert_int_equal(br->http->request_timeout, SEC);
	assert_non_null(br->tcp);
	/* {secs: 10, nanos: 0} is 10s; keepalives: {} is on, with defaults. */
	assert_int_equal(br->tcp->connect_timeout, 10 * SEC);
	assert_true(br->tcp->has_keepalives);
	assert_keepalive(&br->tcp->keepalives, true, 180 * SEC, 180 * SEC, 9);
	assert_int_equal(br->eff_request_timeout, SEC);
	assert_int_equal(br->eff_connect_timeout, 10 * SEC);
	assert_int_equal(cfg->npolicies, 0);
}

/* The streamable HTTP target's forms, as McpBackendHost reads them: a
 * URI (http, https with TLS, none meaning http; the path "/" when it has
 * none) or host, port and path. */
static void test_config_mcp_http_targets(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg =
		load_ok(l,
			"mcp:\n  targets:\n"
			"  - {name: a, mcp: {host: \"http://127.0.0.1:3001/mcp\"}}\n"
			"  - {name: b, mcp: {host: \"https://mcp.example.com\"}}\n"
			"  - {name: c, mcp: {host: \"[::1]:9000/x/y\"}}\n"
			"  - {name: d, mcp: {host: localhost, port: 8080, path: /m}}\n",
			0);
	static const struct {
		const char *addr;
		uint16_t port;
		const char *path;
		bool tls;
	} want[] = {
		{ "127.0.0.1", 3001, "/mcp", false },
		{ "mcp.example.com", 443, "/", true },
		{ "::1", 9000, "/x/y", false },
		{ "localhost", 8080, "/m", false },
	};
	const struct sg_bind *bind = find_bind(cfg, 3000);
	const struct sg_mcp_backend *m = bind->listeners[0].routes[0].backends.v[0].mcp;

	assert_int_equal(m->n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(m->targets[i].kind, SG_MCP_HTTP);
		assert_string_equal(m->targets[i].addr, want[i].addr);
		assert_int_equal(m->targets[i].port, want[i].port);
		assert_string_equal(m->targets[i].path, want[i].path);
		assert_int_equal(m->targets[i].tls, want[i].tls);
	}
}

/* statefulMode: stateless, agentgateway's, is served (user/mcp/mcp.c). */
static void test_config_mcp_stateless(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(
		l, "mcp:\n  statefulMode: stateless\n  targets: [{name: a, stdio: {cmd: x}}]\n", 0);
	const struct sg_bind *bind = find_bind(cfg, 3000);

	assert_true(bind->listeners[0].routes[0].backends.v[0].mcp->stateless);
}

static void test_config_mixes_dialects(void **state)
{
	/* Standalone first, then Kubernetes, in one multi-document text. */
	static const char text[] =
		"config:\n"
		"  adminAddr: 127.0.0.1:15001\n"
		"binds:\n"
		"- port: 3000\n"
		"  listeners:\n"
		"  - name: local\n"
		"    routes:\n"
		"    - name: all\n"
		"      backends:\n"
		"      - host: 127.0.0.1:8000\n"
		"---\n" GATEWAY "---\n" HTTPBIN "---\n" SEED004_ROUTE "---\n" SEED000_POLICY;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *local = find_listener(cfg, "bind/3000/local");
	struct sg_listener *gw = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");

	assert_int_equal(cfg->nbinds, 2);
	assert_string_equal(cfg->global.admin_addr, "127.0.0.1:15001");
	find_route(local, "bind/3000/local/all");
	find_route(gw, "httpbin/retry.0.0.http");
	/* The Kubernetes policy does not reach the standalone listener. */
	assert_int_equal(gw->fhttp->http1_idle_timeout, SEC);
	assert_ptr_equal(local->fhttp, &cfg->default_fhttp);
}

/* ---- defaults and keys -------------------------------------------------- */

static void test_config_applies_defaults(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, GATEWAY, 0);
	struct sg_listener *ls = find_listener(cfg, "agentgateway-system/agentgateway-proxy.http");

	assert_string_equal(cfg->global.admin_addr, "127.0.0.1:15000");
	assert_string_equal(cfg->global.stats_addr, "0.0.0.0:15020");
	assert_string_equal(cfg->global.readiness_addr, "0.0.0.0:15021");
	assert_int_equal(cfg->global.connect_timeout, 10 * SEC);
	assert_int_equal(cfg->global.pool_idle_timeout, 90 * SEC);
	assert_keepalive(&cfg->global.keepalives, true, 180 * SEC, 180 * SEC, 9);
	/* 2097152 bytes, 10m. */
	assert_frontend_defaults(&cfg->default_fhttp, 10 * 60 * SEC);
	assert_int_equal(cfg->default_fhttp.http2_keepalive_interval, SG_DUR_UNSET);
	assert_int_equal(cfg->default_fhttp.http2_keepalive_timeout, SG_DUR_UNSET);
	assert_ptr_equal(ls->fhttp, &cfg->default_fhttp);
	assert_null(ls->ftcp);
	assert_int_equal(cfg->npolicies, 0);
	assert_int_equal(cfg->nservices, 0);
}

static void test_config_overrides_globals(void **state)
{
	static const char text[] =
		"config:\n"
		"  adminAddr: 127.0.0.1:16000\n"
		"  statsAddr: 127.0.0.1:16020\n"
		"  readinessAddr: 127.0.0.1:16021\n"
		"  backend:\n"
		"    connectTimeout: 1.5s\n"
		"    poolIdleTimeout: 10m0s\n"
		"    keepalives: {enabled: false, time: 1m, interval: 10s, retries: 2}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);

	assert_string_equal(cfg->global.admin_addr, "127.0.0.1:16000");
	assert_string_equal(cfg->global.stats_addr, "127.0.0.1:16020");
	assert_string_equal(cfg->global.readiness_addr, "127.0.0.1:16021");
	assert_int_equal(cfg->global.connect_timeout, 1500 * MS);
	assert_int_equal(cfg->global.pool_idle_timeout, 600 * SEC);
	assert_keepalive(&cfg->global.keepalives, false, 60 * SEC, 10 * SEC, 2);
	assert_int_equal(cfg->nbinds, 0);

	/* Keepalive keys left out keep their defaults. */
	cfg = load_ok(l, "config:\n  backend:\n    keepalives: {time: 30s}\n", 0);
	assert_keepalive(&cfg->global.keepalives, true, 30 * SEC, 180 * SEC, 9);
}

static void test_config_loads_embedded_default(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg;
	struct sg_listener *ls;
	struct sg_route *r;

	loaded_reset(l);
	cfg = l->cfg = sg_cfg_load(NULL, 0, &l->diag);
	assert_non_null(cfg);
	assert_int_equal(l->diag.n, 0);
	assert_int_equal(cfg->nbinds, 1);
	assert_int_equal(cfg->binds[0].port, 8080);
	ls = &cfg->binds[0].listeners[0];
	assert_int_equal(ls->proto, SG_PROTO_HTTP);
	assert_int_equal(ls->nroutes, 1);
	r = &ls->routes[0];
	assert_string_equal(r->matches[0].path, "/");
	assert_string_equal(r->backends.v[0].eps[0].addr, "127.0.0.1");
	assert_int_equal(r->backends.v[0].eps[0].port, 8000);
	assert_string_equal(cfg->global.admin_addr, "127.0.0.1:15000");
	assert_ptr_equal(ls->fhttp, &cfg->default_fhttp);
}

static void test_config_names_routes_and_listeners(void **state)
{
	/* Two listeners, a rule with two matches and a second rule: one route
	 * per (rule, match, listener). */
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  listeners:\n"
		"  - {name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: "
		"All}}}\n"
		"  - {name: alt, port: 8081, protocol: HTTP, hostname: a.example,\n"
		"     allowedRoutes: {namespaces: {from: All}}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec: {clusterIP: 10.0.0.1, ports: [{port: 80, targetPort: 8000}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r}\n"
		"spec:\n"
		"  parentRefs: [{name: gw, namespace: ns}]\n"
		"  rules:\n"
		"  - matches:\n"
		"    - path: {type: Exact, value: /a}\n"
		"    - path: {type: RegularExpression, value: '^/b'}\n"
		"      method: POST\n"
		"      headers: [{name: x, value: y}, {name: X, value: other}]\n"
		"      queryParams: [{type: RegularExpression, name: q, value: z},\n"
		"                    {name: Q, value: w}, {name: q, value: dup}]\n"
		"    backendRefs: [{name: svc, namespace: ns, port: 80, weight: 3}]\n"
		"  - name: second\n"
		"---\n"
		"binds:\n"
		"- port: 9000\n"
		"  listeners:\n"
		"  - {name: l4, protocol: TCP, tcpRoutes: [{backends: [{host: "
		"'[::1]:7'}]}]}\n"
		"  - protocol: TCP\n"
		"    tcpRoutes: [{name: named, backends: [{host: 127.0.0.1:7}]}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1beta1\n"
		"kind: ReferenceGrant\n"
		"metadata: {name: from-default, namespace: ns}\n"
		"spec:\n"
		"  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: "
		"default}]\n"
		"  to: [{group: '', kind: Service}]\n";
	static const char *const http_keys[] = {
		"default/r.0.0.http",
		"default/r.0.1.http",
		"default/r.1.0.http",
	};
	static const char *const alt_keys[] = {
		"default/r.0.0.alt",
		"default/r.0.1.alt",
		"default/r.1.0.alt",
	};
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *http = find_listener(cfg, "ns/gw.http");
	struct sg_listener *alt = find_listener(cfg, "ns/gw.alt");
	const struct sg_bind *tcp = find_bind(cfg, 9000);
	const struct sg_route *r;

	assert_int_equal(http->nroutes, ARRAY_LEN(http_keys));
	for (size_t i = 0; i < ARRAY_LEN(http_keys); i++) {
		assert_string_equal(http->routes[i].key, http_keys[i]);
		assert_string_equal(alt->routes[i].key, alt_keys[i]);
	}
	assert_string_equal(alt->hostname, "a.example");
	r = find_route(http, "default/r.0.1.http");
	assert_int_equal(r->matches[0].path_kind, SG_PATH_REGEX);
	assert_string_equal(r->matches[0].path, "^/b");
	assert_string_equal(r->matches[0].method, "POST");
	/* Of equivalent names only the first entry counts: header names
	 * fold case, query names do not. */
	assert_int_equal(r->matches[0].nheaders, 1);
	assert_false(r->matches[0].headers[0].regex);
	assert_string_equal(r->matches[0].headers[0].value, "y");
	assert_int_equal(r->matches[0].nquery, 2);
	assert_true(r->matches[0].query[0].regex);
	assert_string_equal(r->matches[0].query[1].name, "Q");
	assert_int_equal(r->backends.v[0].weight, 3);
	/* clusterIP with the target port. */
	assert_string_equal(r->backends.v[0].eps[0].addr, "10.0.0.1");
	assert_int_equal(r->backends.v[0].eps[0].port, 8000);
	r = find_route(http, "default/r.0.0.http");
	assert_int_equal(r->matches[0].path_kind, SG_PATH_EXACT);
	r = find_route(http, "default/r.1.0.http");
	assert_string_equal(r->rule_name, "second");
	assert_int_equal(r->backends.n, 0);

	assert_int_equal(tcp->proto, SG_PROTO_TCP);
	assert_int_equal(tcp->nlisteners, 2);
	assert_string_equal(tcp->listeners[0].key, "bind/9000/l4");
	assert_string_equal(tcp->listeners[0].tcp_routes[0].key, "bind/9000/l4/tcproute0");
	assert_string_equal(tcp->listeners[0].tcp_routes[0].backends.v[0].eps[0].addr, "::1");
	assert_string_equal(tcp->listeners[1].key, "bind/9000/listener1");
	assert_string_equal(tcp->listeners[1].tcp_routes[0].key, "bind/9000/listener1/named");
}

static void test_config_standalone_frontend_policies(void **state)
{
	static const char text[] =
		"frontendPolicies:\n"
		"  http: {maxBufferSize: 1024, http1MaxHeaders: 50,\n"
		"         http1IdleTimeout: 2m, http2WindowSize: 65535,\n"
		"         http2ConnectionWindowSize: 1048576, http2FrameSize: 16384,\n"
		"         http2KeepaliveInterval: 5s, http2KeepaliveTimeout: 30s}\n"
		"  tcp: {keepalives: {time: 30s, interval: 5s, retries: 3}}\n"
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - routes: [{backends: [{host: 127.0.0.1:8000}]}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_policy *h = find_policy(cfg, "frontend/http");
	const struct sg_policy *t = find_policy(cfg, "frontend/tcp");
	struct sg_listener *ls = find_listener(cfg, "bind/8080/listener0");

	assert_null(h->src_kind);
	assert_null(t->src_kind);
	assert_true(h->attached);
	assert_int_equal(h->u.fhttp.max_buffer_size, 1024);
	assert_int_equal(h->u.fhttp.http1_max_headers, 50);
	assert_int_equal(h->u.fhttp.http1_idle_timeout, 120 * SEC);
	assert_int_equal(h->u.fhttp.http2_window_size, 65535);
	assert_int_equal(h->u.fhttp.http2_connection_window_size, 1048576);
	assert_int_equal(h->u.fhttp.http2_frame_size, 16384);
	assert_int_equal(h->u.fhttp.http2_keepalive_interval, 5 * SEC);
	assert_int_equal(h->u.fhttp.http2_keepalive_timeout, 30 * SEC);
	assert_keepalive(&t->u.ftcp.keepalives, true, 30 * SEC, 5 * SEC, 3);
	assert_ptr_equal(ls->fhttp, &h->u.fhttp);
	assert_ptr_equal(ls->ftcp, &t->u.ftcp);
}

/* Which backends get HTTP/2: a standalone backend's http.version, a
 * Service port's appProtocol kubernetes.io/h2c, and the version beating the
 * appProtocol (agentgateway's precedence); a bad version is refused. */
static void test_config_backend_http_version(void **state)
{
	static const char standalone[] =
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - routes:\n"
		"    - name: two\n"
		"      backends:\n"
		"      - {host: 127.0.0.1:8000, policies: {http: {version: HTTP/2.0}}}\n"
		"      - {host: 127.0.0.1:8001, policies: {http: {version: \"1.1\"}}}\n"
		"      - {host: 127.0.0.1:8002}\n";
	static const char k8s[] =
		"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n  gatewayClassName: agentgateway\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: g, namespace: ns}\n"
		"spec:\n  clusterIP: 10.0.0.1\n"
		"  ports: [{port: 80, appProtocol: kubernetes.io/h2c}, {port: 81}]\n"
		"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec:\n  parentRefs: [{name: gw}]\n"
		"  rules: [{backendRefs: [{name: g, port: 80}, {name: g, port: 81}]}]\n";
	static const struct err_case bad[] = {
		{ "version 3",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - backends:\n"
		  "      - {host: 127.0.0.1:8000, policies: {http: {version: HTTP/3}}}\n",
		  "t.yaml:6:59: binds[0].listeners[0].routes[0].backends[0].policies.http.version: "
		  "expected \"HTTP/1.1\" or \"HTTP/2.0\", got \"HTTP/3\"" },
	};
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, standalone, 0);
	const struct sg_brefs *b = &cfg->binds[0].listeners[0].routes[0].backends;

	assert_int_equal(b->n, 3);
	assert_true(b->v[0].eff_h2);
	assert_int_equal(b->v[0].http->version, SG_HTTP_VERSION_2);
	assert_false(b->v[1].eff_h2);
	assert_int_equal(b->v[1].http->version, SG_HTTP_VERSION_1_1);
	assert_false(b->v[2].eff_h2);
	cfg = load_ok(l, k8s, 0);
	b = &cfg->binds[0].listeners[0].routes[0].backends;
	assert_int_equal(b->n, 2);
	assert_true(b->v[0].h2c);
	assert_true(b->v[0].eff_h2);
	assert_false(b->v[1].eff_h2);
	expect_errors(l, bad, sizeof(bad) / sizeof(bad[0]));
}

/* ---- what loads, with or without a warning ------------------------------ */

static void test_config_warns_policy_for_missing_gateway(void **state)
{
	static const char text[] = GATEWAY "---\n" SEED002_HTTP;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 1);

	/* Accepted with a warning, not attached, and not applied to the
	 * Gateway of the same name in another namespace. */
	assert_string_equal(l->diag.lines[0],
			    "t.yaml:21:5: warning: spec.targetRefs[0]: Gateway "
			    "httpbin/agentgateway-proxy is not defined; policy "
			    "httpbin/httpbin-keepalive has no effect until it is");
	assert_int_equal(l->diag.errors, 0);
	assert_false(cfg->policies[0].attached);
	assert_ptr_equal(find_listener(cfg, "agentgateway-system/agentgateway-proxy.http")->fhttp,
			 &cfg->default_fhttp);
}

static void test_config_warns_service_without_endpoints(void **state)
{
	static const char text[] =
		GATEWAY "---\n"
			"apiVersion: v1\n"
			"kind: Service\n"
			"metadata: {name: empty, namespace: agentgateway-system}\n"
			"spec: {ports: [{port: 80}]}\n"
			"---\n"
			"apiVersion: gateway.networking.k8s.io/v1\n"
			"kind: HTTPRoute\n"
			"metadata: {name: r, namespace: agentgateway-system}\n"
			"spec:\n"
			"  parentRefs: [{name: agentgateway-proxy}]\n"
			"  rules: [{backendRefs: [{name: empty, port: 80}]}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 1);

	assert_string_equal(
		l->diag.lines[0],
		"t.yaml:24:26: warning: spec.rules[0].backendRefs[0]: Service "
		"agentgateway-system/empty has no endpoints, clusterIP or externalName; "
		"requests to it get 500 \"no valid backends\"");
	assert_int_equal(find_listener(cfg, "agentgateway-system/agentgateway-proxy.http")
				 ->routes[0]
				 .backends.v[0]
				 .neps,
			 0);
}

static void test_config_resolves_endpoint_slices(void **state)
{
	static const char text[] =
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec:\n"
		"  clusterIP: 10.0.0.1\n"
		"  ports: [{name: web, port: 80, targetPort: http}]\n"
		"---\n"
		"apiVersion: discovery.k8s.io/v1\n"
		"kind: EndpointSlice\n"
		"metadata:\n"
		"  name: svc-1\n"
		"  namespace: ns\n"
		"  labels: {kubernetes.io/service-name: svc}\n"
		"addressType: IPv4\n"
		"endpoints:\n"
		"- addresses: [127.0.0.2, 127.0.0.3]\n"
		"- addresses: [127.0.0.4]\n"
		"  conditions: {ready: false}\n"
		"ports: [{name: web, port: 8000}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec: {listeners: [{name: l, port: 8080, protocol: HTTP}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: svc, "
		"port: 80}]}]}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_backend_ref *br = &find_listener(cfg, "ns/gw.l")->routes[0].backends.v[0];

	/* Ready slice endpoints win over the clusterIP. */
	assert_int_equal(br->neps, 2);
	assert_string_equal(br->eps[0].addr, "127.0.0.2");
	assert_int_equal(br->eps[0].port, 8000);
	assert_string_equal(br->eps[1].addr, "127.0.0.3");
}

static void test_config_accepts_null_optional_fields(void **state)
{
	/* Null where a default exists is the default, never a crash. */
	static const char text[] = GATEWAY "---\n" HTTPBIN "---\n"
					   "apiVersion: gateway.networking.k8s.io/v1\n"
					   "kind: HTTPRoute\n"
					   "metadata: {name: r, namespace: httpbin, labels: ~}\n"
					   "spec:\n"
					   "  hostnames: []\n"
					   "  parentRefs:\n"
					   "  - {name: agentgateway-proxy, namespace: "
					   "agentgateway-system, sectionName: ~}\n"
					   "  rules:\n"
					   "  - name: ~\n"
					   "    matches:\n"
					   "    - path: {type: ~, value: ~}\n"
					   "      headers: [{type: ~, name: x, value: y}]\n"
					   "    backendRefs: [{name: httpbin, port: 8000}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_route *r =
		find_route(find_listener(cfg, "agentgateway-system/agentgateway-proxy.http"),
			   "httpbin/r.0.0.http");

	assert_int_equal(r->matches[0].path_kind, SG_PATH_PREFIX);
	assert_string_equal(r->matches[0].path, "/");
	assert_false(r->matches[0].headers[0].regex);
	assert_null(r->rule_name);

	/* The standalone addresses keep their defaults too. */
	cfg = load_ok(l, "config: {adminAddr: ~, statsAddr: , readinessAddr: null}\n", 0);
	assert_string_equal(cfg->global.admin_addr, "127.0.0.1:15000");
	assert_string_equal(cfg->global.stats_addr, "0.0.0.0:15020");
	assert_string_equal(cfg->global.readiness_addr, "0.0.0.0:15021");
}

static void test_config_loads_files_and_directories(void **state)
{
	char dir[] = "/tmp/sg-test-config-XXXXXX";
	char path[4][128];
	const char *paths[2];
	struct loaded *l = *state;
	struct sg_cfg *cfg;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path[0], sizeof(path[0]), "%s/b.yaml", dir);
	snprintf(path[1], sizeof(path[1]), "%s/a.yml", dir);
	snprintf(path[2], sizeof(path[2]), "%s/.hidden.yaml", dir);
	snprintf(path[3], sizeof(path[3]), "%s/notes.txt", dir);
	/* a.yml holds the Gateway b.yaml's route needs; the others are not
	 * read (they would not load). */
	f = fopen(path[0], "w");
	assert_non_null(f);
	fputs(HTTPBIN "---\n" SEED004_ROUTE, f);
	fclose(f);
	f = fopen(path[1], "w");
	assert_non_null(f);
	fputs(GATEWAY, f);
	fclose(f);
	for (int i = 2; i < 4; i++) {
		f = fopen(path[i], "w");
		assert_non_null(f);
		fputs("not: [valid\n", f);
		fclose(f);
	}

	loaded_reset(l);
	paths[0] = dir;
	cfg = l->cfg = sg_cfg_load(paths, 1, &l->diag);
	print_diag(&l->diag);
	assert_non_null(cfg);
	assert_int_equal(l->diag.n, 0);
	find_route(find_listener(cfg, "agentgateway-system/agentgateway-proxy.http"),
		   "httpbin/retry.0.0.http");

	/* Errors name the file they are in. */
	loaded_reset(l);
	paths[0] = path[1];
	paths[1] = path[2];
	assert_null(l->cfg = sg_cfg_load(paths, 2, &l->diag));
	assert_int_equal(l->diag.n, 1);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "%s:2:1: invalid YAML: did not find expected ',' or ']' while parsing a "
			 "flow sequence",
			 path[2]);
		assert_string_equal(l->diag.lines[0], want);
		loaded_reset(l);
		snprintf(path[3], sizeof(path[3]), "%s/missing.yaml", dir);
		paths[0] = path[3];
		assert_null(l->cfg = sg_cfg_load(paths, 1, &l->diag));
		assert_int_equal(l->diag.n, 1);
		snprintf(want, sizeof(want), "%s: No such file or directory", path[3]);
		assert_string_equal(l->diag.lines[0], want);
	}

	unlink(path[0]);
	unlink(path[1]);
	unlink(path[2]);
	snprintf(path[3], sizeof(path[3]), "%s/notes.txt", dir);
	unlink(path[3]);
	rmdir(dir);
}

/* ---- errors: one line each, file:line:col, key, expected, found --------- */

/* The shortest Kubernetes base: Gateway gw and Service svc in ns; the
 * document under test starts on line 16. */
#define K8S_BASE                                                                                   \
	"apiVersion: gateway.networking.k8s.io/v1\n"	 /* 1 */                                   \
	"kind: Gateway\n"				 /* 2 */                                   \
	"metadata: {name: gw, namespace: ns}\n"		 /* 3 */                                   \
	"spec:\n"					 /* 4 */                                   \
	"  listeners:\n"				 /* 5 */                                   \
	"  - {name: http, port: 8080, protocol: HTTP}\n" /* 6 */                                   \
	"---\n"						 /* 7 */                                   \
	"apiVersion: v1\n"				 /* 8 */                                   \
	"kind: Service\n"				 /* 9 */                                   \
	"metadata: {name: svc, namespace: ns}\n"	 /* 10 */                                  \
	"spec:\n"					 /* 11 */                                  \
	"  clusterIP: 127.0.0.1\n"			 /* 12 */                                  \
	"  ports:\n"					 /* 13 */                                  \
	"  - {name: http, port: 8000}\n"		 /* 14 */                                  \
	"---\n"						 /* 15 */

/* An HTTPRoute head on lines 16-19. */
#define ROUTE_HEAD                                                                                 \
	"apiVersion: gateway.networking.k8s.io/v1\n" /* 16 */                                      \
	"kind: HTTPRoute\n"			     /* 17 */                                      \
	"metadata: {name: r, namespace: ns}\n"	     /* 18 */                                      \
	"spec:\n"				     /* 19 */

/* An AgentgatewayPolicy head on lines 16-19. */
#define POLICY_HEAD                                                                                \
	"apiVersion: agentgateway.dev/v1alpha1\n" /* 16 */                                         \
	"kind: AgentgatewayPolicy\n"		  /* 17 */                                         \
	"metadata: {name: p, namespace: ns}\n"	  /* 18 */                                         \
	"spec:\n"				  /* 19 */

/* Only regular files are read, SG_CFG_MAX_TEXT bytes at most: a FIFO named
 * *.yaml used to block the load until a writer came, a link to /dev/zero
 * to be read until memory ran out. alarm() turns a block into a failure. */
/* A v1 List (kubectl get -o yaml of several objects) is its items. */
static void test_config_list_of_resources(void **state)
{
	static const char text[] = "apiVersion: v1\n"
				   "kind: List\n"
				   "items:\n"
				   "- apiVersion: v1\n"
				   "  kind: Service\n"
				   "  metadata: {name: a, namespace: ns, resourceVersion: \"7\"}\n"
				   "  spec: {clusterIP: 127.0.0.1, ports: [{port: 80}]}\n"
				   "- apiVersion: v1\n"
				   "  kind: Service\n"
				   "  metadata: {name: b, namespace: ns}\n"
				   "  spec: {clusterIP: 127.0.0.1, ports: [{port: 81}]}\n"
				   "metadata: {resourceVersion: \"\"}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);

	assert_int_equal(cfg->nservices, 2);
	assert_int_equal(cfg->nresources, 2);
	assert_string_equal(cfg->resources[1].name, "b");
}

/* A Gateway listener of a protocol that is not served, or on a port that
 * another protocol's listeners hold, does not refuse the file: the
 * Gateway is taken without it, which serves nothing and shows why in
 * the status (Gateway API: UnsupportedProtocol, ProtocolConflict), with
 * a warning. Standalone binds still refuse both. */
static void test_config_gateway_listener_problems_are_status(void **state)
{
	static const char text[] = K8S_BASE "apiVersion: gateway.networking.k8s.io/v1\n"
					    "kind: Gateway\n"
					    "metadata: {name: more, namespace: ns}\n"
					    "spec:\n"
					    "  listeners:\n"
					    "  - {name: raw, port: 8080, protocol: TCP}\n"
					    "  - {name: dns, port: 5353, protocol: UDP}\n"
					    "  - {name: tcp, port: 9000, protocol: TCP}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 2);

	assert_int_equal(cfg->nbad_listeners, 2);

	assert_string_equal(cfg->bad_listeners[0].name, "raw");
	assert_string_equal(cfg->bad_listeners[0].reason, "ProtocolConflict");
	assert_string_equal(cfg->bad_listeners[0].message, "port 8080 is HTTP listeners' already");
	assert_string_equal(cfg->bad_listeners[1].name, "dns");
	assert_string_equal(cfg->bad_listeners[1].reason, "UnsupportedProtocol");
	assert_non_null(find_listener(cfg, "ns/gw.http"));
	assert_non_null(find_listener(cfg, "ns/more.tcp"));
	assert_int_equal(find_bind(cfg, 8080)->proto, SG_PROTO_HTTP);
	for (size_t i = 0; i < cfg->nbinds; i++)
		assert_int_not_equal(cfg->binds[i].port, 5353);
}

/* A TLS listener in mode Terminate (the Gateway API default) takes its
 * Secret as an HTTPS listener does, and TLSRoutes and TCPRoutes (as
 * agentgateway's does); the standalone form is a TLS listener with `tls`.
 * Both keep protocol TLS; a passthrough listener may share the port. */
static void test_config_tls_listener_terminates(void **state)
{
	static const char k8s[] =
		K8S_BASE "apiVersion: gateway.networking.k8s.io/v1\n"
			 "kind: Gateway\n"
			 "metadata: {name: t, namespace: ns}\n"
			 "spec:\n"
			 "  listeners:\n"
			 "  - name: term\n"
			 "    port: 9443\n"
			 "    protocol: TLS\n"
			 "    hostname: a.example\n"
			 "    tls: {certificateRefs: [{name: c}]}\n"
			 "  - {name: pass, port: 9443, protocol: TLS, hostname: b.example, "
			 "tls: {mode: Passthrough}}\n"
			 "---\n"
			 "apiVersion: v1\n"
			 "kind: Secret\n"
			 "metadata: {name: c, namespace: ns}\n"
			 "type: kubernetes.io/tls\n"
			 "stringData: {tls.crt: CERT, tls.key: KEY}\n"
			 "---\n"
			 "apiVersion: gateway.networking.k8s.io/v1\n"
			 "kind: TLSRoute\n"
			 "metadata: {name: r, namespace: ns}\n"
			 "spec:\n"
			 "  parentRefs: [{name: t, sectionName: term}]\n"
			 "  hostnames: [a.example]\n"
			 "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n"
			 "---\n"
			 "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
			 "kind: TCPRoute\n"
			 "metadata: {name: tcp, namespace: ns}\n"
			 "spec:\n"
			 "  parentRefs: [{name: t, sectionName: term}]\n"
			 "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n";
	char pem[] = "/tmp/sg-test-config-pem-XXXXXX", standalone[512];
	int fd = mkstemp(pem);
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, k8s, 0);
	const struct sg_listener *term = find_listener(cfg, "ns/t.term");
	const struct sg_listener *pass = find_listener(cfg, "ns/t.pass");

	assert_int_equal(find_bind(cfg, 9443)->proto, SG_PROTO_TLS);
	assert_non_null(term);
	assert_non_null(pass);
	assert_null(term->tls_reason);
	assert_non_null(term->tls);
	assert_memory_equal(term->tls->cert_pem, "CERT", 4);
	assert_int_equal(term->ntcp_routes, 2);
	assert_null(pass->tls);

	/* The files are read at load, not checked as PEM (the gateway does). */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "PEM\n", 4), 4);
	close(fd);
	snprintf(standalone, sizeof(standalone),
		 "binds:\n- port: 9443\n  listeners:\n  - protocol: TLS\n"
		 "    tls: {cert: %s, key: %s}\n"
		 "    tcpRoutes: [{backends: [{host: '127.0.0.1:9'}]}]\n",
		 pem, pem);
	cfg = load_ok(l, standalone, 0);
	unlink(pem);
	assert_int_equal(cfg->binds[0].proto, SG_PROTO_TLS);
	assert_int_equal(cfg->binds[0].nlisteners, 1);
	assert_non_null(cfg->binds[0].listeners[0].tls);
	assert_int_equal(cfg->binds[0].listeners[0].ntcp_routes, 1);
}

/* A ListenerSet's listeners join its Gateway's binds (a shared port where
 * the protocols agree, a port of their own otherwise) under keys of their
 * own (ns/set.listener, as agentgateway's); a route naming the
 * ListenerSet attaches to them only. A listener with the hostname of one
 * before it in precedence, or on another protocol's port, serves nothing;
 * a ListenerSet from a namespace the Gateway's allowedListeners does not
 * take is not attached, and a route naming it attaches to nothing. Each
 * is a warning, not an error. */
static void test_config_listenerset(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: Same}}\n"
		"  listeners:\n"
		"  - {name: http, port: 8080, protocol: HTTP, hostname: gw.example}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners:\n"
		"  - {name: http, port: 8080, protocol: HTTP, hostname: ls.example}\n"
		"  - {name: taken, port: 8080, protocol: HTTP, hostname: gw.example}\n"
		"  - {name: raw, port: 8080, protocol: TCP}\n"
		"  - {name: tcp, port: 9000, protocol: TCP}\n"
		"---\n"
		"apiVersion: gateway.networking.x-k8s.io/v1alpha1\n"
		"kind: XListenerSet\n"
		"metadata: {name: far, namespace: other}\n"
		"spec:\n"
		"  parentRef: {name: gw, namespace: ns}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP, hostname: far.example}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{kind: ListenerSet, group: gateway.networking.k8s.io, name: ls}]\n"
		"  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: 8000}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r2, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{kind: XListenerSet, group: gateway.networking.x-k8s.io, name: "
		"far,\n"
		"    namespace: other}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 3);
	const struct sg_listener *ls = find_listener(cfg, "ns/ls.http");
	const struct sg_listener *gw = find_listener(cfg, "ns/gw.http");
	const struct sg_res_id *far = NULL, *r = NULL;

	assert_string_equal(l->diag.lines[0],
			    "t.yaml:17:5: warning: ListenerSet ns/ls: listener \"raw\" serves "
			    "nothing (ProtocolConflict): port 8080 is HTTP listeners' already");
	assert_string_equal(l->diag.lines[1],
			    "t.yaml:24:14: warning: XListenerSet other/far: not attached "
			    "(NotAllowed): Gateway ns/gw takes no ListenerSet from namespace other "
			    "(its spec.allowedListeners)");
	assert_string_equal(
		l->diag.lines[2],
		"t.yaml:43:16: warning: HTTPRoute ns/r2: spec.parentRefs[0]: not attached "
		"(NoMatchingParent): XListenerSet other/far is not attached to its Gateway "
		"(NotAllowed)");
	assert_string_equal(ls->gw_ns, "ns");
	assert_string_equal(ls->gw_name, "gw");
	assert_string_equal(ls->ls_kind, "ListenerSet");
	assert_string_equal(ls->ls_name, "ls");
	assert_null(gw->ls_kind);
	assert_int_equal(ls->nroutes, 1);
	assert_int_equal(gw->nroutes, 0);
	assert_false(ls->conflicted);
	assert_false(gw->conflicted);
	assert_true(find_listener(cfg, "ns/ls.taken")->conflicted);
	assert_int_equal(find_bind(cfg, 8080)->nlisteners, 3);
	assert_string_equal(find_bind(cfg, 9000)->listeners[0].key, "ns/ls.tcp");
	assert_int_equal(cfg->nbad_listeners, 1);
	assert_string_equal(cfg->bad_listeners[0].gw_name, "gw");
	assert_string_equal(cfg->bad_listeners[0].ls_name, "ls");
	for (size_t i = 0; i < cfg->nresources; i++) {
		if (!strcmp(cfg->resources[i].kind, "XListenerSet"))
			far = &cfg->resources[i];
		if (!strcmp(cfg->resources[i].kind, "HTTPRoute") && !r)
			r = &cfg->resources[i];
	}
	assert_non_null(far);
	assert_string_equal(far->status->detached.reason, "NotAllowed");
	assert_non_null(r);
	assert_int_equal(r->status->nparents, 1);
	assert_string_equal(r->status->parents[0].kind, "ListenerSet");
	assert_true(r->status->parents[0].accepted.status);
}

/* Of two ListenerSets whose listeners conflict, the older keeps serving
 * (the change that first brought it; applying it again keeps its age),
 * whatever their names say. */
static void test_config_listenerset_age(void **state)
{
	static char gw[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: Same}}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: zz, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners: [{name: l, port: 8080, protocol: HTTP, hostname: h.example}]\n";
	static char aa[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: aa, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners: [{name: l, port: 8080, protocol: HTTP, hostname: h.example}]\n";
	static char n1[] = "one", n2[] = "two", n3[] = "three";
	struct sg_source srcs[3] = { { n1, gw, sizeof(gw) - 1, 1, NULL },
				     { n2, aa, sizeof(aa) - 1, 2, NULL },
				     { n3, gw, sizeof(gw) - 1, 3, NULL } };
	struct sg_cfg_input in = { .srcs = srcs, .nsrcs = 3, .replace_from = 1 };
	struct loaded *l = *state;

	loaded_reset(l);
	l->cfg = sg_cfg_build(&in, &l->diag);
	print_diag(&l->diag);
	assert_non_null(l->cfg);
	assert_false(find_listener(l->cfg, "ns/zz.l")->conflicted);
	assert_true(find_listener(l->cfg, "ns/aa.l")->conflicted);
}

/* What the API server refuses of a ListenerSet and of allowedListeners. */
#define LS_HEAD                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: ListenerSet\n"                                                                      \
	"metadata: {name: ls, namespace: ns}\n"                                                    \
	"spec:\n"

static void test_config_listenerset_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "parentRef kind",
		  LS_HEAD "  parentRef: {kind: Service, name: gw}\n"
			  "  listeners: [{name: a, port: 80, protocol: HTTP}]\n",
		  "t.yaml:5:14: spec.parentRef: expected a Gateway (group "
		  "gateway.networking.k8s.io, "
		  "kind Gateway), got a map" },
		{ "parentRef sectionName",
		  LS_HEAD "  parentRef: {name: gw, sectionName: http}\n"
			  "  listeners: [{name: a, port: 80, protocol: HTTP}]\n",
		  "t.yaml:5:25: spec.parentRef: unknown field \"sectionName\", expected one of: "
		  "group, kind, name, namespace" },
		{ "no listeners", LS_HEAD "  parentRef: {name: gw}\n  listeners: []\n",
		  "t.yaml:6:14: spec.listeners: expected 1 to 64 listeners, got an empty list" },
		{ "listener names",
		  LS_HEAD "  parentRef: {name: gw}\n"
			  "  listeners:\n"
			  "  - {name: a, port: 80, protocol: HTTP}\n"
			  "  - {name: a, port: 81, protocol: HTTP}\n",
		  "t.yaml:8:12: spec.listeners[1].name: \"a\" is spec.listeners[0]'s already: "
		  "listener names are unique in a ListenerSet" },
		{ "allowedListeners from",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
		  "spec:\n  allowedListeners: {namespaces: {from: Some}}\n"
		  "  listeners: [{name: http, port: 8080, protocol: HTTP}]\n",
		  "t.yaml:5:41: spec.allowedListeners.namespaces.from: expected None, Same, All or "
		  "Selector, got \"Some\"" },
		{ "allowedListeners Selector",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
		  "spec:\n  allowedListeners: {namespaces: {from: Selector}}\n"
		  "  listeners: [{name: http, port: 8080, protocol: HTTP}]\n",
		  "t.yaml:5:34: spec.allowedListeners.namespaces: expected a selector when from is "
		  "Selector, got a map" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* Gateway spec.tls (Gateway API v1.4). frontend: the terminating
 * listeners of a port ask for client certificates signed by the CAs of
 * its perPort entry, else of the default (a ListenerSet's listeners by
 * their Gateway's); a CA reference of another kind, in another namespace
 * without a ReferenceGrant or not found is the listener's ResolvedRefs
 * (its reason as the Gateway API names it), and when none resolves the
 * listener serves nothing (NoValidCACertificate). backend: the
 * certificate that connections to a BackendTLSPolicy's backends present,
 * from the listeners of that Gateway only; one that does not resolve
 * makes them fail. Each unusable reference is a warning. */
static void test_config_gateway_spec_tls(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: Same}}\n"
		"  tls:\n"
		"    frontend:\n"
		"      default:\n"
		"        validation:\n"
		"          mode: AllowInsecureFallback\n"
		"          caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]\n"
		"      perPort:\n"
		"      - port: 8444\n"
		"        tls: {validation: {caCertificateRefs: [{group: '', kind: Service, name: "
		"ca}]}}\n"
		"      - port: 8445\n"
		"        tls:\n"
		"          validation:\n"
		"            caCertificateRefs:\n"
		"            - {group: '', kind: ConfigMap, name: missing}\n"
		"            - {group: '', kind: Secret, name: ca2}\n"
		"      - port: 8446\n"
		"        tls: {validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: "
		"ca, namespace: other}]}}\n"
		"      - port: 8080\n"
		"        tls: {validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: "
		"missing}]}}\n"
		"    backend: {clientCertificateRef: {name: client}}\n"
		"  listeners:\n"
		"  - {name: http, port: 8080, protocol: HTTP}\n"
		"  - {name: a, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}\n"
		"  - {name: kind, port: 8444, protocol: HTTPS, tls: {certificateRefs: [{name: "
		"c}]}}\n"
		"  - {name: some, port: 8445, protocol: HTTPS, tls: {certificateRefs: [{name: "
		"c}]}}\n"
		"  - {name: grant, port: 8446, protocol: HTTPS, tls: {certificateRefs: [{name: "
		"c}]}}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners: [{name: l, port: 9443, protocol: HTTPS, tls: {certificateRefs: "
		"[{name: "
		"c}]}}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: bad, namespace: ns}\n"
		"spec:\n"
		"  tls: {backend: {clientCertificateRef: {name: nope}}}\n"
		"  listeners: [{name: http, port: 8081, protocol: HTTP}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: plain, namespace: ns}\n"
		"spec: {listeners: [{name: http, port: 8082, protocol: HTTP}]}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: ca, namespace: ns}\n"
		"data: {ca.crt: \"-----BEGIN CERTIFICATE-----\\nCA\\n-----END "
		"CERTIFICATE-----\\n\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: ca, namespace: other}\n"
		"data: {ca.crt: \"-----BEGIN CERTIFICATE-----\\nCA\\n-----END "
		"CERTIFICATE-----\\n\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata: {name: ca2, namespace: ns}\n"
		"stringData: {ca.crt: \"-----BEGIN CERTIFICATE-----\\nCA2\\n-----END "
		"CERTIFICATE-----\\n\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata: {name: c, namespace: ns}\n"
		"type: kubernetes.io/tls\n"
		"stringData: {tls.crt: CERT, tls.key: KEY}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata: {name: client, namespace: ns}\n"
		"type: kubernetes.io/tls\n"
		"stringData: {tls.crt: \"-----BEGIN CERTIFICATE-----\\nCLIENT\\n\", tls.key: "
		"\"-----BEGIN PRIVATE KEY-----\\nK\\n\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec: {clusterIP: 127.0.0.1, ports: [{name: https, port: 443, targetPort: "
		"8443}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: BackendTLSPolicy\n"
		"metadata: {name: p, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: '', kind: Service, name: svc}]\n"
		"  validation: {hostname: svc.example, caCertificateRefs: [{group: '', kind: "
		"ConfigMap, name: ca}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{name: gw, sectionName: http}, {name: bad}, {name: plain}]\n"
		"  rules: [{backendRefs: [{name: svc, port: 443}]}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 4);
	const struct sg_listener *a = find_listener(cfg, "ns/gw.a");
	const struct sg_listener *kind = find_listener(cfg, "ns/gw.kind");
	const struct sg_listener *some = find_listener(cfg, "ns/gw.some");
	const struct sg_listener *grant = find_listener(cfg, "ns/gw.grant");
	const struct sg_listener *ls = find_listener(cfg, "ns/ls.l");
	const struct sg_listener *http = find_listener(cfg, "ns/gw.http");
	const struct sg_backend_tls *t;

	assert_non_null(a->tls);
	assert_string_equal(a->tls->root_pem, "-----BEGIN CERTIFICATE-----\nCA\n-----END "
					      "CERTIFICATE-----\n");
	assert_true(a->tls->root_optional);
	assert_null(a->ca_reason);
	assert_false(a->no_valid_ca);
	assert_non_null(ls->tls);
	assert_true(ls->tls->root_optional);

	assert_null(kind->tls);
	assert_true(kind->no_valid_ca);
	assert_string_equal(kind->tls_reason, "InvalidCACertificateKind");
	assert_string_equal(
		kind->tls_message,
		"caCertificateRefs[0]: kind Service is neither a ConfigMap nor a Secret");
	assert_null(grant->tls);
	assert_string_equal(grant->tls_reason, "RefNotPermitted");
	assert_string_equal(grant->tls_message,
			    "caCertificateRefs[0]: ConfigMap other/ca: no ReferenceGrant in other "
			    "allows it");

	assert_non_null(some->tls); /* the one that resolves */
	assert_string_equal(some->tls->root_pem, "-----BEGIN CERTIFICATE-----\nCA2\n-----END "
						 "CERTIFICATE-----\n");
	assert_false(some->tls->root_optional);
	assert_false(some->no_valid_ca);
	assert_null(some->tls_reason);
	assert_string_equal(some->ca_reason, "InvalidCACertificateRef");
	assert_string_equal(some->ca_message,
			    "caCertificateRefs[0]: ConfigMap ns/missing not found");

	/* An HTTP listener terminates nothing: its port's entry is moot. */
	assert_null(http->tls);
	assert_null(http->tls_reason);

	/* The Gateway's client certificate, on its policy's backends only. */
	t = http->routes[0].backends.v[0].eff_tls;
	assert_non_null(t);
	assert_string_equal(t->hostname, "svc.example");
	assert_string_equal(t->cert_pem, "-----BEGIN CERTIFICATE-----\nCLIENT\n");
	assert_string_equal(t->key_pem, "-----BEGIN PRIVATE KEY-----\nK\n");
	assert_null(t->invalid);
	t = find_listener(cfg, "ns/bad.http")->routes[0].backends.v[0].eff_tls;
	assert_null(t->cert_pem);
	assert_string_equal(t->invalid,
			    "spec.tls.backend.clientCertificateRef: Secret ns/nope not found");
	t = find_listener(cfg, "ns/plain.http")->routes[0].backends.v[0].eff_tls;
	assert_null(t->cert_pem);
	assert_null(t->invalid);
}

#define TLS_HEAD                                                                                   \
	"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"          \
	"spec:\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"

static void test_config_gateway_spec_tls_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "mode",
		  TLS_HEAD "  tls: {frontend: {default: {validation: {mode: Bogus, "
			   "caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]}}}}\n",
		  "t.yaml:6:49: spec.tls.frontend.default.validation.mode: expected AllowValidOnly "
		  "or AllowInsecureFallback, got \"Bogus\"" },
		{ "perPort twice",
		  TLS_HEAD "  tls: {frontend: {default: {}, perPort: [{port: 443, tls: {}}, {port: "
			   "443, tls: {}}]}}\n",
		  "t.yaml:6:72: spec.tls.frontend.perPort[1].port: expected a port no other "
		  "perPort entry names, got \"443\"" },
		{ "no CA",
		  TLS_HEAD "  tls: {frontend: {default: {validation: {caCertificateRefs: []}}}}\n",
		  "t.yaml:6:62: spec.tls.frontend.default.validation.caCertificateRefs: expected 1 "
		  "to 16 references, got an empty list" },
		{ "no default", TLS_HEAD "  tls: {frontend: {perPort: []}}\n",
		  "t.yaml:6:19: spec.tls.frontend: missing required field \"default\"" },
		{ "no name", TLS_HEAD "  tls: {backend: {clientCertificateRef: {kind: Secret}}}\n",
		  "t.yaml:6:41: spec.tls.backend.clientCertificateRef: missing required field "
		  "\"name\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* An AgentgatewayPolicy's traffic settings may target a ListenerSet, or
 * one of its listeners by sectionName (agentgateway's ListenerSetTarget):
 * more specific than its Gateway, less than a route. An XListenerSet is
 * another kind: a ListenerSet target does not reach it. The policy's
 * ancestor and config_dump target name the ListenerSet. */
static void test_config_listenerset_policy_target(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: Same}}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP, hostname: gw.example}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners:\n"
		"  - {name: a, port: 8080, protocol: HTTP, hostname: a.example}\n"
		"  - {name: b, port: 8080, protocol: HTTP, hostname: b.example}\n"
		"---\n"
		"apiVersion: gateway.networking.x-k8s.io/v1alpha1\n"
		"kind: XListenerSet\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  parentRef: {name: gw}\n"
		"  listeners: [{name: x, port: 8080, protocol: HTTP, hostname: x.example}]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: svc, namespace: ns}\n"
		"spec: {clusterIP: 127.0.0.1, ports: [{name: http, port: 8000}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: ns}\n"
		"spec:\n"
		"  parentRefs:\n"
		"  - {name: gw}\n"
		"  - {kind: ListenerSet, group: gateway.networking.k8s.io, name: ls}\n"
		"  - {kind: XListenerSet, group: gateway.networking.x-k8s.io, name: ls}\n"
		"  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n"
		"  traffic: {timeouts: {request: 1s}}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: ls, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: ls}]\n"
		"  traffic: {timeouts: {request: 2s}}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: lsb, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: ls, "
		"sectionName: b}]\n"
		"  traffic: {timeouts: {request: 3s}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_policy *p = find_policy(cfg, "traffic/ns/lsb:timeout:ns/ls/b");
	const struct sg_res_id *id = NULL;

	assert_int_equal(find_listener(cfg, "ns/gw.http")->routes[0].eff_timeout.request,
			 SG_DUR_S(1));
	assert_int_equal(find_listener(cfg, "ns/ls.a")->routes[0].eff_timeout.request, SG_DUR_S(2));
	assert_int_equal(find_listener(cfg, "ns/ls.b")->routes[0].eff_timeout.request, SG_DUR_S(3));
	assert_int_equal(find_listener(cfg, "ns/ls.x")->routes[0].eff_timeout.request, SG_DUR_S(1));
	assert_int_equal(p->target.kind, SG_TARGET_LISTENERSET);
	assert_string_equal(p->target.section, "b");
	assert_true(p->attached);
	for (size_t i = 0; i < cfg->nresources; i++)
		if (!strcmp(cfg->resources[i].kind, "AgentgatewayPolicy") &&
		    !strcmp(cfg->resources[i].name, "ls"))
			id = &cfg->resources[i];
	assert_non_null(id);
	assert_int_equal(id->status->nparents, 1);
	assert_string_equal(id->status->parents[0].kind, "ListenerSet");
	assert_true(id->status->parents[0].accepted.status);
}

static void test_config_reads_regular_files_only(void **state)
{
	static const struct {
		const char *name, *what;
	} cases[] = {
		/* in the order a directory is read */
		{ "dir.yaml", "a directory" },
		{ "fifo.yaml", "a FIFO" },
		{ "zero.yaml", "a character device" },
	};
	char dir[] = "/tmp/sg-test-config-XXXXXX";
	char path[4][128], want[1024];
	const char *paths[1] = { dir };
	struct loaded *l = *state;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, cases[i].name);
	snprintf(path[3], sizeof(path[3]), "%s/big.yaml", dir);
	assert_int_equal(mkdir(path[0], 0700), 0);
	assert_int_equal(mkfifo(path[1], 0600), 0);
	assert_int_equal(symlink("/dev/zero", path[2]), 0);

	alarm(10);
	for (size_t i = 1; i < 3; i++) { /* a directory given with -c is read as one */
		loaded_reset(l);
		paths[0] = path[i];
		assert_null(l->cfg = sg_cfg_load(paths, 1, &l->diag));
		snprintf(want, sizeof(want),
			 "%s: %s, not a regular file: config is read from regular files only",
			 path[i], cases[i].what);
		assert_int_equal(l->diag.n, 1);
		assert_string_equal(l->diag.lines[0], want);
	}
	/* In a directory, each is named; none is waited for. */
	loaded_reset(l);
	paths[0] = dir;
	assert_null(l->cfg = sg_cfg_load(paths, 1, &l->diag));
	assert_int_equal(l->diag.n, 3);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(want, sizeof(want),
			 "%s: %s, not a regular file: config is read from regular files only",
			 path[i], cases[i].what);
		assert_string_equal(l->diag.lines[i], want);
	}
	alarm(0);

	/* One byte over 4 MiB. */
	f = fopen(path[3], "w");
	assert_non_null(f);
	for (int i = 0; i < SG_CFG_MAX_TEXT; i++)
		fputc('#', f);
	fputs("\n", f);
	fclose(f);
	loaded_reset(l);
	paths[0] = path[3];
	assert_null(l->cfg = sg_cfg_load(paths, 1, &l->diag));
	snprintf(want, sizeof(want),
		 "%s: 4194305 bytes, more than the 4194304 bytes (4 MiB) a config text may have",
		 path[3]);
	assert_int_equal(l->diag.n, 1);
	assert_string_equal(l->diag.lines[0], want);
	/* 4 MiB is fine. */
	assert_int_equal(truncate(path[3], SG_CFG_MAX_TEXT), 0);
	loaded_reset(l);
	l->cfg = sg_cfg_load(paths, 1, &l->diag);
	print_diag(&l->diag);
	assert_non_null(l->cfg);

	for (size_t i = 0; i < 4; i++)
		(i == 0 ? rmdir : unlink)(path[i]);
	rmdir(dir);
}

/* 100,000 unknown keys: 100 lines and a count of the rest, quickly (the
 * pairwise check for repeated keys took 16 s). */
static void test_config_reports_many_unknown_keys(void **state)
{
	char *text = malloc(100000 * 16 + 32), *p = text, *joined;
	struct loaded *l = *state;
	struct timespec t0, t1;

	assert_non_null(text);
	p += sprintf(p, "binds: []\n");
	for (int i = 0; i < 100000; i++)
		p += sprintf(p, "k%d: 1\n", i);
	loaded_reset(l);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	assert_null(l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	if ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 >
	    3.0 * TIME_SCALE)
		fail_msg("100,000 unknown keys took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	assert_int_equal(l->diag.errors, 100000);
	assert_int_equal(l->diag.n, SG_DIAG_MAX_LINES);
	assert_int_equal(l->diag.dropped, 100000 - SG_DIAG_MAX_LINES);
	assert_string_equal(l->diag.lines[0],
			    "t.yaml:2:1: (top level): unknown field \"k0\", expected one of: "
			    "config, frontendPolicies, binds, gateways, routes, tcpRoutes, mcp, "
			    "policies, backends, services, workloads, routeGroups");
	joined = sg_diag_join(&l->diag);
	assert_non_null(joined);
	assert_non_null(strstr(joined, "unknown field \"k99\""));
	assert_null(strstr(joined, "unknown field \"k100\""));
	assert_string_equal(joined + strlen(joined) - 38,
			    "... and 99900 more errors or warnings\n");
	free(joined);
	free(text);
}

/* AgentgatewayPolicy traffic.authorization: each matchExpression a rule of
 * the action's kind on the routes it targets (Allow by default); a bad
 * action and an empty list are refused where they stand. */
#define AUTHZ_ROUTE                                                                                \
	K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"			    /* 20 */       \
			    "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n" /* 21 */       \
			    "---\n" POLICY_HEAD					    /* 22-26 */    \
			    "  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "  \
			    "name: r}]\n"	   /* 27 */                                        \
			    "  traffic:\n"	   /* 28 */                                        \
			    "    authorization:\n" /* 29 */
static void test_config_k8s_authorization_policy(void **state)
{
	static const char deny[] = AUTHZ_ROUTE "      action: Deny\n"
					       "      policy:\n"
					       "        matchExpressions:\n"
					       "        - 'request.path == \"/a\"'\n"
					       "        - 'request.method == \"PUT\"'\n";
	static const char allow[] = AUTHZ_ROUTE "      policy: {matchExpressions: ['true']}\n";
	static const struct err_case cases[] = {
		{ "an unknown action",
		  AUTHZ_ROUTE "      action: Maybe\n      policy: {matchExpressions: ['true']}\n",
		  "t.yaml:30:15: spec.traffic.authorization.action: expected Allow, Deny or "
		  "Require, got \"Maybe\"" },
		{ "no expressions", AUTHZ_ROUTE "      policy: {matchExpressions: []}\n",
		  "t.yaml:30:34: spec.traffic.authorization.policy.matchExpressions: expected 1 to "
		  "256 CEL expressions, got an empty list" },
	};
	struct loaded *l = *state;
	const struct sg_authz *a;

	a = load_ok(l, deny, 0)->binds[0].listeners[0].routes[0].eff_filters.authz;
	assert_non_null(a);
	assert_int_equal(a->deny.n, 2);
	assert_int_equal(a->allow.n + a->require.n, 0);
	a = load_ok(l, allow, 0)->binds[0].listeners[0].routes[0].eff_filters.authz;
	assert_non_null(a);
	assert_int_equal(a->allow.n, 1);
	assert_int_equal(a->deny.n + a->require.n, 0);
	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* A 3 KB HTTPRoute whose rules, matches and headers are aliases made a
 * config of 1,000,000 header matches (+323 MB in the running gateway). */
static void test_config_rejects_alias_bomb_route(void **state)
{
	const char *head = K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n" /* 20 */
					       "  rules:\n"		      /* 21 */
					       "  - &R\n"		      /* 22 */
					       "    backendRefs: [{name: svc, port: 8000}]\n"
					       "    matches:\n"
					       "    - &M\n" /* 25 */
					       "      path: {type: PathPrefix, value: /}\n"
					       "      headers:\n"
					       "      - &H {name: x, value: y}\n"; /* 28 */
	char text[8192], *p = text;
	struct loaded *l = *state;

	p += sprintf(p, "%s", head);
	for (int i = 0; i < 99; i++)
		p += sprintf(p, "      - *H\n"); /* 29..127 */
	for (int i = 0; i < 99; i++)
		p += sprintf(p, "    - *M\n"); /* 128..226 */
	for (int i = 0; i < 99; i++)
		p += sprintf(p, "  - *R\n");
	loaded_reset(l);
	assert_null(l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag));
	assert_int_equal(l->diag.n, 1);
	/* the 19th *M: 99 * 5 (*H) + 19 * 509 (*M) = 10166 > 88 + 10000 */
	assert_string_equal(
		l->diag.lines[0],
		"t.yaml:146:7: alias *M: aliases expand this YAML by 10166 nodes, more "
		"than the 88 nodes it spells out plus 10000 (an alias bomb?); write the "
		"repeated parts out");
}

/* Resources are found by identity in constant time: 40,000 HTTPRoutes (in
 * two texts: one may not expand past 1,000,000 nodes) were compared
 * pairwise, every route with every earlier resource (8.9 s here; 0.6 s
 * with the index, 2 s under ASan; the bound is 10 s, twice the worst seen
 * on a busy 2-core machine). A repeated one is still an error
 * naming both. */
static void test_config_indexes_many_resources(void **state)
{
	static const char route[] = "apiVersion: gateway.networking.k8s.io/v1\n"
				    "kind: HTTPRoute\n"
				    "metadata: {name: r%d, namespace: ns}\n"
				    "spec:\n"
				    "  parentRefs: [{name: gw}]\n"
				    "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n"
				    "---\n";
	size_t cap = sizeof(K8S_BASE) + 20001 * (sizeof(route) + 8);
	static char name1[] = "t1.yaml", name2[] = "t2.yaml";
	struct sg_source srcs[2] = { { name1, malloc(cap), 0 }, { name2, malloc(cap), 0 } };
	struct sg_cfg_input in = { .srcs = srcs, .nsrcs = 2, .replace_from = 2 };
	struct loaded *l = *state;
	struct timespec t0, t1;
	char *p;

	assert_non_null(srcs[0].text);
	assert_non_null(srcs[1].text);
	p = srcs[0].text + sprintf(srcs[0].text, "%s", K8S_BASE);
	for (int i = 0; i < 20000; i++)
		p += sprintf(p, route, i);
	srcs[0].len = (size_t)(p - srcs[0].text);
	p = srcs[1].text;
	for (int i = 20000; i < 40000; i++)
		p += sprintf(p, route, i);
	srcs[1].len = (size_t)(p - srcs[1].text);
	loaded_reset(l);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	l->cfg = sg_cfg_build(&in, &l->diag);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	print_diag(&l->diag);
	assert_non_null(l->cfg);
	assert_int_equal(find_listener(l->cfg, "ns/gw.http")->nroutes, 40000);
	if ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 >
	    10.0 * TIME_SCALE)
		fail_msg("40,000 HTTPRoutes took %ld s", (long)(t1.tv_sec - t0.tv_sec));

	/* Route i of t1.yaml begins on line 16 + 7 * i, of t2.yaml on 1 + 7 * i. */
	srcs[1].len += (size_t)sprintf(p, route, 5);
	loaded_reset(l);
	assert_null(l->cfg = sg_cfg_build(&in, &l->diag));
	assert_int_equal(l->diag.n, 1);
	assert_string_equal(l->diag.lines[0], "t2.yaml:140001:1: HTTPRoute ns/r5 is defined twice "
					      "(first at t1.yaml:51:1)");
	free(srcs[0].text);
	free(srcs[1].text);
}

/* frontendPolicies.accessLog over config.logging, piece by piece as
 * agentgateway merges them; a listener with neither has none. */
static void test_config_access_log_policy(void **state)
{
	struct loaded *l = *state;
	const struct sg_listener *li;
	const struct sg_cfg *cfg;

	cfg = load_ok(l,
		      "config:\n"
		      "  logging:\n"
		      "    level: [debug]\n"
		      "    format: json\n"
		      "    filter: 'response.code >= 400'\n"
		      "    fields: {add: {a: '1'}, remove: [engine]}\n"
		      "frontendPolicies:\n"
		      "  accessLog: {add: {b: 'request.method', c: '2'}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	assert_string_equal(cfg->global.logging->level, "debug");
	assert_int_equal(cfg->global.logging->format, SG_LOG_FORMAT_JSON);
	li = find_listener(cfg, "bind/8080/l");
	assert_non_null(li->access);
	assert_string_equal(sg_cel_source(li->access->filter), "response.code >= 400");
	assert_int_equal(li->access->add.n, 2);
	assert_string_equal(li->access->add.v[1].name, "c");
	assert_int_equal(li->access->remove.n, 1);
	assert_string_equal(li->access->remove.v[0], "engine");

	/* AgentgatewayPolicy frontend.accessLog (the CRD's AccessLog: its
	 * attributes' add is a list of {name, expression}): a Gateway's
	 * listeners. */
	cfg = load_ok(l,
		      K8S_BASE POLICY_HEAD
		      "  targetRefs: [{kind: Gateway, name: gw}]\n"
		      "  frontend: {accessLog: {filter: 'true', attributes: {remove: [a], add: "
		      "[{name: u, expression: request.path}]}}}\n",
		      0);
	li = &find_bind(cfg, 8080)->listeners[0];
	assert_non_null(li->access);
	assert_string_equal(sg_cel_source(li->access->filter), "true");
	assert_string_equal(li->access->remove.v[0], "a");
	assert_int_equal(li->access->add.n, 1);
	assert_string_equal(li->access->add.v[0].name, "u");
	assert_string_equal(sg_cel_source(li->access->add.v[0].expr), "request.path");

	/* frontend.tracing, the CRD's Tracing. */
	cfg = load_ok(l,
		      K8S_BASE POLICY_HEAD
		      "  targetRefs: [{kind: Gateway, name: gw}]\n"
		      "  frontend:\n"
		      "    tracing:\n"
		      "      url: http://127.0.0.1:4318/v1/t\n"
		      "      protocol: HTTP\n"
		      "      attributes: {remove: [endpoint], add: [{name: k, expression: '1'}]}\n"
		      "      resources: [{name: service.name, expression: '\"edge\"'}]\n"
		      "      randomSampling: 'true'\n"
		      "      filter: 'response.code >= 500'\n",
		      0);
	{
		const struct sg_tracing *t = find_bind(cfg, 8080)->listeners[0].tracing;

		assert_non_null(t);
		assert_true(t->frontend);
		assert_int_equal(t->protocol, SG_OTLP_HTTP);
		assert_string_equal(t->path, "/v1/t");
		assert_int_equal(t->to.ep.port, 4318);
		assert_true(t->random == 1.0);
		assert_int_equal(t->fields.add.n, 1);
		assert_string_equal(t->fields.remove.v[0], "endpoint");
		assert_int_equal(t->nresources, 1);
		assert_string_equal(t->resources[0].value, "edge");
		assert_string_equal(sg_cel_source(t->fields.filter), "response.code >= 500");
	}

	/* ... its collector a backendRef to a Service: the Service's endpoint,
	 * the cluster's name as the authority sent. */
	cfg = load_ok(l,
		      K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
					   "  frontend:\n"
					   "    tracing: {backendRef: {name: svc, port: 8000}}\n",
		      0);
	{
		const struct sg_tracing *t = find_bind(cfg, 8080)->listeners[0].tracing;

		assert_non_null(t);
		assert_null(t->endpoint);
		assert_false(t->to.unresolved);
		assert_string_equal(t->to.ep.addr, "127.0.0.1");
		assert_int_equal(t->to.ep.port, 8000);
		assert_string_equal(t->to.host, "svc.ns.svc.cluster.local:8000");
		assert_int_equal(t->protocol, SG_OTLP_GRPC);
	}

	cfg = load_ok(l, "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n", 0);
	assert_null(cfg->global.logging);
	assert_null(find_listener(cfg, "bind/8080/l")->access);
}

static void test_config_access_log_refusals(void **state)
{
	static const struct err_case cases[] = {
		{ "otlp", "frontendPolicies:\n  accessLog: {otlp: {host: x}}\n",
		  "t.yaml:2:21: frontendPolicies.accessLog.otlp: not supported by splicegate (its "
		  "access log is written to stdout only)" },
		{ "database", "config:\n  logging: {database: {}}\n",
		  "t.yaml:2:23: config.logging.database: not supported by splicegate (its access "
		  "log is written to stdout only)" },
		{ "module level", "config:\n  logging: {level: 'info,agent=debug'}\n",
		  "t.yaml:2:20: config.logging.level: per-module levels (\"info,agent=debug\") are "
		  "not supported by splicegate: give one level, error, warn, info or debug" },
		{ "bad level", "config:\n  logging: {level: loud}\n",
		  "t.yaml:2:20: config.logging.level: expected a level: error, warn, info or "
		  "debug, got \"loud\"" },
		{ "bad format", "config:\n  logging: {format: xml}\n",
		  "t.yaml:2:21: config.logging.format: expected text or json, got \"xml\"" },
		{ "bad expression", "frontendPolicies:\n  accessLog: {filter: 'a +'}\n",
		  "t.yaml:2:23: frontendPolicies.accessLog.filter: column 4 of the expression: "
		  "unexpected token" },
	};
	expect_errors(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* sessionPersistence on HTTPRoute and GRPCRoute rules, in both of Gateway
 * API's shapes, and as a standalone route policy: the settings, a name
 * made per rule where none is written (the same for a rule's routes on
 * every listener and match), a header's name lowercased. */
static void test_config_session_persistence(void **state)
{
	static const char text[] = K8S_BASE ROUTE_HEAD
		"  parentRefs: [{name: gw}]\n"
		"  rules:\n"
		"  - matches: [{path: {value: /a}}, {path: {value: /b}}]\n"
		"    sessionPersistence: {type: Cookie}\n"
		"    backendRefs: [{name: svc, port: 8000}]\n"
		"  - sessionPersistence: {sessionName: s, absoluteTimeout: 1h, idleTimeout: 10m,\n"
		"                         cookieConfig: {lifetimeType: Permanent}}\n"
		"    backendRefs: [{name: svc, port: 8000}]\n"
		"  - sessionPersistence: {type: Header, header: {name: X-Pin}, absoluteTimeout: "
		"0s}\n"
		"    backendRefs: [{name: svc, port: 8000}]\n"
		"  - sessionPersistence: {cookie: {name: c, path: /app}}\n"
		"    backendRefs: [{name: svc, port: 8000}]\n"
		"  - backendRefs: [{name: svc, port: 8000}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_listener *ls = find_listener(cfg, "ns/gw.http");
	const struct sg_session *s = NULL;

	assert_int_equal(ls->nroutes, 6);
	for (size_t i = 0; i < ls->nroutes; i++) {
		const struct sg_route *r = &ls->routes[i];

		s = r->session;
		if (!strcmp(r->key, "ns/r.0.0.http") || !strcmp(r->key, "ns/r.0.1.http")) {
			assert_non_null(s);
			assert_int_equal(s->kind, SG_SESSION_COOKIE);
			assert_false(s->name_set);
			assert_int_equal(strlen(s->name), strlen("sg-session-") + 8);
			assert_string_equal(s->path, "/");
			assert_false(s->permanent);
			assert_true(s->absolute == SG_DUR_UNSET && s->idle == SG_DUR_UNSET);
		} else if (!strcmp(r->key, "ns/r.1.0.http")) {
			assert_string_equal(s->name, "s");
			assert_true(s->name_set && s->permanent);
			assert_true(s->absolute == 3600 * SEC && s->idle == 600 * SEC);
		} else if (!strcmp(r->key, "ns/r.2.0.http")) {
			assert_int_equal(s->kind, SG_SESSION_HEADER);
			assert_string_equal(s->name, "x-pin");
			assert_true(s->absolute == 0);
		} else if (!strcmp(r->key, "ns/r.3.0.http")) {
			assert_string_equal(s->name, "c");
			assert_string_equal(s->path, "/app");
		} else {
			assert_string_equal(r->key, "ns/r.4.0.http");
			assert_null(s);
		}
	}
	/* One rule, one session (both matches' routes); rules apart. */
	for (size_t i = 0; i < ls->nroutes; i++)
		if (!strcmp(ls->routes[i].key, "ns/r.0.0.http"))
			s = ls->routes[i].session;
	for (size_t i = 0; i < ls->nroutes; i++)
		if (!strcmp(ls->routes[i].key, "ns/r.0.1.http"))
			assert_ptr_equal(ls->routes[i].session, s);
	assert_non_null(s);
	assert_memory_equal(s->name, "sg-session-", strlen("sg-session-"));
	assert_true(strspn(s->name + strlen("sg-session-"), "0123456789abcdef") == 8);

	cfg = load_ok(l,
		      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		      "    - policies: {sessionPersistence: {idleTimeout: 5s}}\n"
		      "      backends: [{host: 127.0.0.1:1}]\n"
		      "    - name: two\n"
		      "      policies: {sessionPersistence: {type: Header, header: {name: h}}}\n"
		      "      backends: [{host: 127.0.0.1:1}]\n",
		      0);
	ls = &cfg->binds[0].listeners[0];
	assert_true(ls->routes[0].session->idle == 5 * SEC);
	assert_int_equal(strlen(ls->routes[0].session->name), strlen("sg-session-") + 8);
	assert_string_equal(ls->routes[1].session->name, "h");
	/* Two rules without names: two names. */
	cfg = load_ok(l,
		      K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
					  "  rules:\n"
					  "  - sessionPersistence: {}\n"
					  "    backendRefs: [{name: svc, port: 8000}]\n"
					  "  - sessionPersistence: {}\n"
					  "    backendRefs: [{name: svc, port: 8000}]\n",
		      0);
	ls = find_listener(cfg, "ns/gw.http");
	assert_int_equal(ls->nroutes, 2);
	assert_string_not_equal(ls->routes[0].session->name, ls->routes[1].session->name);
}

static void test_config_session_persistence_refusals(void **state)
{
#define SP_RULE(sp)                                                                                \
	K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"                                         \
			    "  rules:\n"                                                           \
			    "  - backendRefs: [{name: svc, port: 8000}]\n"                         \
			    "    sessionPersistence: " sp "\n"
	static const struct err_case cases[] = {
		{ "type", SP_RULE("{type: Url}"),
		  "t.yaml:23:32: spec.rules[0].sessionPersistence.type: expected Cookie or "
		  "Header, got \"Url\"" },
		{ "cookie on a header", SP_RULE("{type: Header, cookie: {name: a}}"),
		  "t.yaml:23:48: spec.rules[0].sessionPersistence: cookie settings need type "
		  "Cookie" },
		{ "header on a cookie", SP_RULE("{header: {name: a}}"),
		  "t.yaml:23:34: spec.rules[0].sessionPersistence: header settings need type "
		  "Header" },
		{ "both shapes", SP_RULE("{cookie: {name: a}, cookieConfig: {}}"),
		  "t.yaml:23:34: spec.rules[0].sessionPersistence: cookie and cookieConfig: "
		  "expected one of them (cookie since Gateway API v1.7, cookieConfig before), not "
		  "both" },
		{ "two names", SP_RULE("{sessionName: a, cookie: {name: b}}"),
		  "t.yaml:23:25: spec.rules[0].sessionPersistence: sessionName and a cookie's or "
		  "header's name: expected one of them, not both" },
		{ "bad name", SP_RULE("{sessionName: 'a b'}"),
		  "t.yaml:23:39: spec.rules[0].sessionPersistence.sessionName: expected a name of "
		  "at most 128 characters that a cookie or a header may have (letters, digits and "
		  "!#$%&'*+-.^_`|~), got \"a b\"" },
		{ "lifetime", SP_RULE("{cookieConfig: {lifetimeType: Forever}}"),
		  "t.yaml:23:55: spec.rules[0].sessionPersistence.cookieConfig.lifetimeType: "
		  "expected Session or Permanent, got \"Forever\"" },
		{ "permanent without timeout", SP_RULE("{cookie: {lifetimeType: Permanent}}"),
		  "t.yaml:23:25: spec.rules[0].sessionPersistence: a Permanent cookie needs an "
		  "absoluteTimeout above 0s (its Max-Age)" },
		{ "name", SP_RULE("{cookie: {name: 'a=b'}}"),
		  "t.yaml:23:41: spec.rules[0].sessionPersistence.cookie.name: expected a name "
		  "of at most 128 characters that a cookie or a header may have (letters, digits "
		  "and !#$%&'*+-.^_`|~), got \"a=b\"" },
		{ "path", SP_RULE("{cookie: {path: 'a;b'}}"),
		  "t.yaml:23:41: spec.rules[0].sessionPersistence.cookie.path: expected a cookie "
		  "path such as \"/\" (no ';', no control character), got \"a;b\"" },
		{ "unknown", SP_RULE("{sticky: true}"),
		  "t.yaml:23:26: spec.rules[0].sessionPersistence: unknown field \"sticky\", "
		  "expected one of: type, sessionName, absoluteTimeout, idleTimeout, "
		  "cookieConfig, cookie, header" },
		{ "affinity",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n"
		  "  sessionAffinity: ClientIP\n  clusterIP: 127.0.0.1\n  ports: [{port: 80}]\n",
		  "t.yaml:5:20: spec.sessionAffinity: ClientIP is not supported (agentgateway does "
		  "not honour a Service's session affinity): give the route rule a "
		  "sessionPersistence instead" },
		{ "agentgateway's sessionAffinity",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n    - backends:\n"
		  "      - host: 127.0.0.1:8000\n"
		  "        policies: {sessionAffinity: {source: 'request.headers[\"x-user\"]'}}\n",
		  "t.yaml:7:37: "
		  "binds[0].listeners[0].routes[0].backends[0].policies.sessionAffinity: "
		  "not supported (it picks among a service's endpoints, and a host backend has "
		  "one: "
		  "give the route a sessionPersistence policy to keep a client on one of its "
		  "backends)" },
	};
#undef SP_RULE
	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* config.tracing and frontendPolicies.tracing: the collector's address,
 * the POST's path (otlpEndpoint's own path first), the headers, the
 * sampling; each listener takes the frontend policy over the global. */
static void test_config_tracing(void **state)
{
	struct loaded *l = *state;
	const struct sg_tracing *t;
	const struct sg_cfg *cfg;

	cfg = load_ok(l,
		      "config:\n"
		      "  tracing:\n"
		      "    otlpEndpoint: http://collector.example:4318/otel/\n"
		      "    otlpProtocol: http\n"
		      "    headers: {X-Tenant: a, Authorization: b}\n"
		      "    randomSampling: 0.25\n"
		      "    clientSampling: false\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = find_listener(cfg, "bind/8080/l")->tracing;
	assert_ptr_equal(t, cfg->global.tracing);
	assert_string_equal(t->endpoint, "http://collector.example:4318");
	assert_string_equal(t->to.ep.addr, "collector.example");
	assert_int_equal(t->to.ep.port, 4318);
	assert_string_equal(t->to.host, "collector.example:4318");
	assert_string_equal(t->path, "/otel/");
	assert_int_equal(t->protocol, SG_OTLP_HTTP);
	assert_int_equal(t->headers.n, 4);
	assert_string_equal(t->headers.v[0], "x-tenant");
	assert_true(t->random == 0.25 && t->client == 0.0);
	assert_null(t->random_expr);
	assert_null(t->client_expr);

	/* Any other sampling is a CEL expression over the request's head. */
	cfg = load_ok(l,
		      "config:\n  tracing: {otlpEndpoint: 'http://a:1', randomSampling: "
		      "'request.headers[\"x-trace\"] == \"yes\"', clientSampling: "
		      "'source.address == \"127.0.0.1\" ? 1.0 : 0.5'}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = cfg->global.tracing;
	assert_non_null(t->random_expr);
	assert_non_null(t->client_expr);
	assert_string_equal(t->random_text, "request.headers[\"x-trace\"] == \"yes\"");
	assert_false(t->tls);

	/* https://: TLS to the collector, port 443 unless given. */
	cfg = load_ok(l,
		      "config:\n  tracing: {otlpEndpoint: 'https://otel.example/v1/t'}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = cfg->global.tracing;
	assert_true(t->tls);
	assert_int_equal(t->to.ep.port, 443);
	assert_string_equal(t->to.ep.addr, "otel.example");
	assert_string_equal(t->path, "/v1/t");

	/* OpenTelemetry's names of OTLP/HTTP's two encodings, beside
	 * agentgateway's grpc and http. */
	cfg = load_ok(l,
		      "config:\n  tracing: {otlpEndpoint: 'http://a:1', otlpProtocol: http/json}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	assert_int_equal(cfg->global.tracing->protocol, SG_OTLP_HTTP_JSON);
	cfg = load_ok(l,
		      "frontendPolicies:\n  tracing: {host: 'b:2', protocol: http/protobuf}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	assert_int_equal(find_listener(cfg, "bind/8080/l")->tracing->protocol, SG_OTLP_HTTP);

	cfg = load_ok(l,
		      "config:\n  tracing: {otlpEndpoint: 'http://[::1]', path: /v1/t}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	assert_string_equal(cfg->global.tracing->path, "/v1/t");
	assert_int_equal(cfg->global.tracing->to.ep.port, 80);
	assert_string_equal(cfg->global.tracing->to.ep.addr, "::1");
	assert_true(cfg->global.tracing->random == 0.0 && cfg->global.tracing->client == 1.0);
	cfg = load_ok(l,
		      "frontendPolicies:\n  tracing: {host: 127.0.0.1:4317, randomSampling: true}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = find_listener(cfg, "bind/8080/l")->tracing;
	assert_true(t->frontend);
	assert_int_equal(t->protocol, SG_OTLP_GRPC);
	assert_string_equal(t->path, "/v1/traces");
	assert_true(t->random == 1.0);
	assert_false(t->tls);
	assert_null(t->backend_tls);

	/* policies.backendTLS: TLS to the collector with those settings. */
	cfg = load_ok(l,
		      "frontendPolicies:\n  tracing:\n    host: 127.0.0.1:4317\n"
		      "    policies: {backendTLS: {insecure: true, hostname: otel.test}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = find_listener(cfg, "bind/8080/l")->tracing;
	assert_true(t->tls);
	assert_non_null(t->policy_tls);
	assert_ptr_equal(t->backend_tls, t->policy_tls);
	assert_string_equal(t->backend_tls->hostname, "otel.test");
	assert_true(t->backend_tls->insecure);

	/* backend: a top-level backends: entry, its address and backendTLS;
	 * the policy's own backendTLS wins over the backend's. */
	cfg = load_ok(l,
		      "backends:\n"
		      "- {name: plain, host: 'collector.test:4318'}\n"
		      "- name: otel\n  host: '[::1]:4318'\n"
		      "  policies: {backendTLS: {insecure: true}}\n"
		      "frontendPolicies:\n  tracing: {backend: otel, protocol: http}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	assert_int_equal(cfg->nnamed_backends, 2);
	assert_string_equal(cfg->named_backends[0].to.ep.addr, "collector.test");
	assert_null(cfg->named_backends[0].tls);
	t = find_listener(cfg, "bind/8080/l")->tracing;
	assert_string_equal(t->backend, "otel");
	assert_string_equal(t->to.ep.addr, "::1");
	assert_int_equal(t->to.ep.port, 4318);
	assert_string_equal(t->to.host, "[::1]:4318");
	assert_true(t->tls);
	assert_null(t->policy_tls);
	assert_ptr_equal(t->backend_tls, cfg->named_backends[1].tls);
	cfg = load_ok(l,
		      "backends: [{name: otel, host: 'c:1', policies: {backendTLS: {insecure: "
		      "true}}}]\n"
		      "frontendPolicies:\n  tracing: {backend: otel, policies: {backendTLS: "
		      "{hostname: c.test}}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - name: l\n    routes: []\n",
		      0);
	t = find_listener(cfg, "bind/8080/l")->tracing;
	assert_ptr_equal(t->backend_tls, t->policy_tls);
	assert_string_equal(t->backend_tls->hostname, "c.test");
}

static void test_config_tracing_refusals(void **state)
{
	static const struct err_case cases[] = {
		{ "cel sampling reading the body",
		  "config:\n  tracing: {otlpEndpoint: 'http://a:1', randomSampling: "
		  "'request.body == \"\"'}\n",
		  "t.yaml:2:57: config.tracing.randomSampling: a sampling expression reads the "
		  "request's head as it is routed: not its body, authentication, backend, times "
		  "nor "
		  "a response" },

		{ "out of range",
		  "config:\n  tracing: {otlpEndpoint: 'http://a:1', clientSampling: 2}\n",
		  "t.yaml:2:57: config.tracing.clientSampling: expected a number from 0.0 to 1.0, "
		  "got \"2\"" },
		{ "scheme", "config:\n  tracing: {otlpEndpoint: 'ftp://a:1'}\n",
		  "t.yaml:2:27: config.tracing.otlpEndpoint: expected a URL such as "
		  "\"http://localhost:4317\", got \"ftp://a:1\"" },
		{ "no endpoint", "config:\n  tracing: {randomSampling: true}\n",
		  "t.yaml:2:12: config.tracing: expected otlpEndpoint" },
		{ "protocol",
		  "config:\n  tracing: {otlpEndpoint: 'http://a:1', otlpProtocol: json}\n",
		  "t.yaml:2:55: config.tracing.otlpProtocol: expected grpc, http (http/protobuf) "
		  "or "
		  "http/json, got \"json\"" },
		{ "a service that is not there",
		  "frontendPolicies:\n  tracing: {service: {name: a, port: 1}}\n",
		  "t.yaml:2:29: frontendPolicies.tracing.service.name: no service \"a\" in the "
		  "top-level services: list (a service is named \"namespace/hostname\")" },
		{ "a policy the collector's connection does not take",
		  "frontendPolicies:\n  tracing: {host: 'a:1', policies: {backendAuth: {key: "
		  "k}}}\n",
		  "t.yaml:2:50: frontendPolicies.tracing.policies.backendAuth: not supported (a "
		  "tracing collector's connection takes backendTLS only, and a top-level backend "
		  "serves as a tracing collector alone)" },
		{ "both forms",
		  "config:\n  tracing: {otlpEndpoint: 'http://a:1'}\n"
		  "frontendPolicies:\n  tracing: {host: 'a:1'}\n",
		  "t.yaml:4:12: frontendPolicies.tracing: cannot use deprecated config.tracing "
		  "together with frontendPolicies.tracing" },
		{ "no collector", "frontendPolicies:\n  tracing: {protocol: http}\n",
		  "t.yaml:2:12: frontendPolicies.tracing: expected host or backend" },
		{ "a backend that is not there",
		  "backends: [{name: a, host: 'a:1'}]\nfrontendPolicies:\n  tracing: {backend: "
		  "b}\n",
		  "t.yaml:3:22: frontendPolicies.tracing.backend: no backend named \"b\" in the "
		  "top-level backends: list" },
		{ "host and backend",
		  "backends: [{name: a, host: 'a:1'}]\n"
		  "frontendPolicies:\n  tracing: {host: 'a:1', backend: a}\n",
		  "t.yaml:3:12: frontendPolicies.tracing: give exactly one of host and backend" },
		{ "a backend's name twice",
		  "backends: [{name: a, host: 'a:1'}, {name: a, host: 'b:1'}]\n",
		  "t.yaml:1:43: backends[1].name: backend \"a\" is already defined" },
		{ "a backend without host", "backends: [{name: a}]\n",
		  "t.yaml:1:12: backends[0]: missing required field \"host\"" },
		{ "a backend's other form", "backends: [{name: a, mcp: {targets: []}}]\n",
		  "t.yaml:1:27: backends[0].mcp: not supported (a top-level backend is a tracing "
		  "collector here: give host: \"host:port\")" },
		{ "a backend's policy the collector's connection does not take",
		  "backends: [{name: a, host: 'a:1', policies: {health: {}}}]\n",
		  "t.yaml:1:54: backends[0].policies.health: not supported (a tracing "
		  "collector's connection takes backendTLS only, and a top-level backend serves "
		  "as a tracing collector alone)" },
		{ "a resource that is a list",
		  "frontendPolicies:\n  tracing: {host: 'a:1', resources: {r: '[1]'}}\n",
		  "t.yaml:2:41: frontendPolicies.tracing.resources.r: a list is not supported as a "
		  "resource attribute: give a string or a number" },
		{ "host", "frontendPolicies:\n  tracing: {host: nohost}\n",
		  "t.yaml:2:19: frontendPolicies.tracing.host: expected \"host:port\" such as "
		  "\"localhost:4317\", got \"nohost\"" },
	};
	expect_errors(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A chain of SG_ROUTE_GROUP_DEPTH groups g, g1, g2...: refused, however
 * the list orders them (here the last first). */
static void route_groups_too_deep(struct loaded *l)
{
	char text[4096];
	size_t used = (size_t)snprintf(
		text, sizeof(text),
		"binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: g}]}]}]}]\n"
		"routeGroups:\n");

	for (int i = SG_ROUTE_GROUP_DEPTH - 1; i >= 0; i--) {
		char name[16] = "g", next[32] = "host: 'a:1'";

		if (i)
			snprintf(name, sizeof(name), "g%d", i);
		if (i + 1 < SG_ROUTE_GROUP_DEPTH)
			snprintf(next, sizeof(next), "routeGroup: g%d", i + 1);
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "- {name: %s, routes: [{backends: [{%s}]}]}\n", name,
					 next);
	}
	assert_true(used < sizeof(text));
	loaded_reset(l);
	l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag);
	assert_null(l->cfg);
	assert_int_equal(l->diag.n, 1);
	assert_string_equal(
		l->diag.lines[0],
		"t.yaml:17:3: routeGroups: a chain of routeGroup backends through route "
		"group \"g1\" passes more than 15 groups");
}

/* routeGroups: what loads (the groups' routes keyed under routegroup/,
 * a delegating backend of kind SG_BREF_GROUP) and what is refused. */
static void test_config_route_groups(void **state)
{
#define RG_BIND "binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: g}]}]}]}]\n"
	static const struct err_case cases[] = {
		{ "an unknown group", RG_BIND,
		  "t.yaml:1:69: binds[0].listeners[0].routes[0].backends[0].routeGroup: no route "
		  "group \"g\" in routeGroups:" },
		{ "a group given twice",
		  RG_BIND "routeGroups: [{name: g, routes: []}, {name: g, routes: []}]\n",
		  "t.yaml:2:45: routeGroups[1].name: route group \"g\" is given twice" },
		{ "a group that delegates to itself",
		  RG_BIND "routeGroups: [{name: g, routes: [{backends: [{routeGroup: g}]}]}]\n",
		  "t.yaml:2:15: routeGroups: route group \"g\" delegates back to itself (g -> g): "
		  "a routeGroup chain must end in a backend" },
		{ "policies on a group backend",
		  "binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: g, "
		  "policies: {backendTLS: {}}}]}]}]}]\n"
		  "routeGroups: [{name: g, routes: []}]\n",
		  "t.yaml:1:82: binds[0].listeners[0].routes[0].backends[0].policies: not "
		  "supported on a routeGroup backend (its policies reach no backend: put them on "
		  "the group's routes)" },
		{ "a group backend with a host",
		  "binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: g, host: "
		  "'a:1'}]}]}]}]\nrouteGroups: [{name: g, routes: []}]\n",
		  "t.yaml:1:56: binds[0].listeners[0].routes[0].backends[0]: expected host or "
		  "routeGroup, not both" },
		{ "a TCP route's group",
		  "binds: [{port: 8080, listeners: [{protocol: TCP, tcpRoutes: [{backends: "
		  "[{routeGroup: g}]}]}]}]\nrouteGroups: [{name: g, routes: []}]\n",
		  "t.yaml:1:87: binds[0].listeners[0].tcpRoutes[0].backends[0].routeGroup: not "
		  "supported in a TCP route (a route group holds HTTP routes)" },
		{ "a group backend without a name",
		  "binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: ~}]}]}]}]\n"
		  "routeGroups: [{name: g, routes: []}]\n",
		  "t.yaml:1:69: binds[0].listeners[0].routes[0].backends[0].routeGroup: expected a "
		  "route group's name, got null" },
		{ "a group without routes", "routeGroups: [{name: g}]\n",
		  "t.yaml:1:15: routeGroups[0]: missing required field \"routes\"" },
	};
	struct sg_cfg *cfg =
		load_ok(*state,
			RG_BIND "routeGroups:\n"
				"- name: g\n"
				"  routes: [{name: a, backends: [{host: 127.0.0.1:8000}]}, {}]\n",
			0);
	const struct sg_backend_ref *br = &cfg->binds[0].listeners[0].routes[0].backends.v[0];

	assert_int_equal(cfg->ngroups, 1);
	assert_string_equal(cfg->groups[0].key, "routegroup/g");
	assert_int_equal(cfg->groups[0].nroutes, 2);
	assert_string_equal(cfg->groups[0].routes[0].key, "routegroup/g/default/a");
	assert_string_equal(cfg->groups[0].routes[1].key, "routegroup/g/default/route1");
	assert_int_equal(br->kind, SG_BREF_GROUP);
	assert_string_equal(br->group, "g");
	assert_int_equal(br->nsub, 2);
	assert_true(cfg->binds[0].listeners[0].routes[0].delegates);
	expect_errors(*state, cases, sizeof(cases) / sizeof(cases[0]));
	route_groups_too_deep(*state);
#undef RG_BIND
}

/* agentgateway's egress proxy: a CONNECT bind, an internal bind, a TLS
 * passthrough route to dynamic backends. */
static void test_config_egress_proxy(void **state)
{
	static const char text[] = "binds:\n"
				   "- port: 3000\n"
				   "  tunnelProtocol: connect\n"
				   "  listeners: []\n"
				   "- port: 443\n"
				   "  mode: internal\n"
				   "  tunnelProtocol: direct\n"
				   "  listeners:\n"
				   "  - name: tls\n"
				   "    protocol: TLS\n"
				   "    tcpRoutes:\n"
				   "    - hostnames: [pypi.org]\n"
				   "      backends: [{dynamic: {}}, {dynamic: null, weight: 2}]\n";
	char pem[] = "/tmp/sg-test-config-pem-XXXXXX", https[512];
	int fd = mkstemp(pem);
	struct sg_cfg *cfg = load_ok(*state, text, 0);
	const struct sg_bind *connect = find_bind(cfg, 3000), *inner = find_bind(cfg, 443);
	const struct sg_tcp_route *r;

	assert_non_null(connect);
	assert_true(connect->connect);
	assert_false(connect->internal);
	assert_int_equal(connect->nlisteners, 0);
	assert_int_equal(connect->proto, SG_PROTO_HTTP);
	assert_non_null(inner);
	assert_false(inner->connect);
	assert_true(inner->internal);
	r = &inner->listeners[0].tcp_routes[0];
	assert_int_equal(r->backends.n, 2);
	assert_int_equal(r->backends.v[0].kind, SG_BREF_DYNAMIC);
	assert_int_equal(r->backends.v[0].neps, 0);
	assert_null(r->backends.v[0].host);
	assert_int_equal(r->backends.v[1].kind, SG_BREF_DYNAMIC);
	assert_int_equal(r->backends.v[1].weight, 2);
	/* An HTTPS listener minting per SNI, its route to the request's Host
	 * (the files are read at load, checked as PEM by the gateway). */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "PEM\n", 4), 4);
	close(fd);
	snprintf(https, sizeof(https),
		 "binds:\n- port: 8443\n  mode: internal\n  listeners:\n  - protocol: HTTPS\n"
		 "    tls: {mode: dynamicCa, cert: %s, key: %s}\n"
		 "    routes: [{backends: [{dynamic: {}, policies: {backendTLS: {}}}]}]\n",
		 pem, pem);
	cfg = load_ok(*state, https, 0);
	unlink(pem);
	inner = find_bind(cfg, 8443);
	assert_non_null(inner);
	assert_true(inner->internal);
	assert_true(inner->listeners[0].tls->dynamic_ca);
	assert_int_equal(inner->listeners[0].routes[0].backends.v[0].kind, SG_BREF_DYNAMIC);
	assert_non_null(inner->listeners[0].routes[0].backends.v[0].tls);
}

static void test_config_egress_proxy_refusals(void **state)
{
	static const struct err_case cases[] = {
		{ "an HBONE tunnel",
		  "binds:\n- port: 3000\n  tunnelProtocol: hboneGateway\n"
		  "  listeners: []\n",
		  "t.yaml:3:19: binds[0].tunnelProtocol: \"hboneGateway\" is not supported (only "
		  "direct and connect: HBONE and PROXY-protocol tunnels are not implemented)" },
		{ "a tunnel protocol agentgateway lacks",
		  "binds:\n- port: 3000\n  tunnelProtocol: socks\n  listeners: []\n",
		  "t.yaml:3:19: binds[0].tunnelProtocol: expected direct or connect, got "
		  "\"socks\"" },
		{ "a mode agentgateway lacks",
		  "binds:\n- port: 3000\n  mode: hidden\n  listeners: []\n",
		  "t.yaml:3:9: binds[0].mode: expected standard or internal, got \"hidden\"" },
		{ "a CONNECT bind with listeners",
		  "binds:\n- port: 3000\n  tunnelProtocol: connect\n  listeners: [{protocol: "
		  "HTTP}]\n",
		  "t.yaml:4:14: binds[0].listeners: a tunnelProtocol: connect bind takes "
		  "listeners: "
		  "[] (CONNECT over TLS, or listeners in front of it, are not implemented yet)" },
		{ "an internal CONNECT bind",
		  "binds:\n- port: 3000\n  tunnelProtocol: connect\n  mode: internal\n"
		  "  listeners: []\n",
		  "t.yaml:4:9: binds[0].mode: an internal bind has no socket to take CONNECT on; "
		  "tunnelProtocol: connect needs mode: standard" },
		{ "a CONNECT bind's port taken again",
		  "binds:\n- port: 3000\n  tunnelProtocol: connect\n  listeners: []\n"
		  "- port: 3000\n  listeners: [{protocol: HTTP}]\n",
		  "t.yaml:6:15: port 3000: a tunnelProtocol: connect bind's port takes no "
		  "listeners" },
		{ "dynamicCa with client certificates",
		  "binds:\n- port: 443\n  listeners:\n  - protocol: HTTPS\n"
		  "    tls: {mode: dynamicCa, cert: c, key: k, root: r}\n",
		  "t.yaml:5:51: binds[0].listeners[0].tls.root: not supported with mode: dynamicCa "
		  "(client certificates are not asked for where each certificate is minted per "
		  "name)" },
		{ "a tls mode agentgateway lacks",
		  "binds:\n- port: 443\n  listeners:\n  - protocol: HTTPS\n"
		  "    tls: {mode: acme, cert: c, key: k}\n",
		  "t.yaml:5:17: binds[0].listeners[0].tls.mode: expected static or dynamicCa, got "
		  "\"acme\"" },
		{ "a dynamic backend in a TCP listener",
		  "binds:\n- port: 9000\n  listeners:\n  - protocol: TCP\n"
		  "    tcpRoutes:\n    - backends: [{dynamic: {}}]\n",
		  "t.yaml:6:28: binds[0].listeners[0].tcpRoutes[0].backends[0].dynamic: not "
		  "supported (dynamic backends in a TCP listener's routes (there is no SNI to "
		  "connect to))" },
		{ "a dynamic backend's target",
		  "binds:\n- port: 443\n  listeners:\n  - protocol: TLS\n"
		  "    tcpRoutes:\n    - backends: [{dynamic: {target: '\"a:1\"'}}]\n",
		  "t.yaml:6:37: binds[0].listeners[0].tcpRoutes[0].backends[0].dynamic.target: not "
		  "supported (a dynamic backend's target expression is not implemented yet: the "
		  "destination is the connection's SNI at its destination port)" },
		{ "host and dynamic",
		  "binds:\n- port: 443\n  listeners:\n  - protocol: TLS\n"
		  "    tcpRoutes:\n    - backends: [{host: 'a:1', dynamic: {}}]\n",
		  "t.yaml:6:18: binds[0].listeners[0].tcpRoutes[0].backends[0]: expected host or "
		  "dynamic, not both" },
	};
	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_rejects_unknown_keys(void **state)
{
	static const struct err_case cases[] = {
		{ "standalone top level", "bogus: 1\n",
		  "t.yaml:1:1: (top level): unknown field \"bogus\", expected one of: config, "
		  "frontendPolicies, binds, gateways, routes, tcpRoutes, mcp, policies, backends, "
		  "services, workloads, routeGroups" },
		{ "standalone bind", "binds:\n- port: 8080\n  bogus: 1\n  listeners: []\n",
		  "t.yaml:3:3: binds[0]: unknown field \"bogus\", expected one of: port, "
		  "listeners, tunnelProtocol, mode" },
		{ "standalone config", "config:\n  adminAddress: x\n",
		  "t.yaml:2:3: config: unknown field \"adminAddress\" (did you mean "
		  "\"adminAddr\"?), expected one of: adminAddr, "
		  "statsAddr, readinessAddr, connectionTerminationDeadline, backend, logging, "
		  "tracing" },
		{ "standalone listener",
		  "binds:\n- port: 8080\n  listeners:\n  - name: a\n    route: []\n",
		  "t.yaml:5:5: binds[0].listeners[0]: unknown field \"route\" (did you mean "
		  "\"routes\"?), expected one of: "
		  "name, "
		  "protocol, hostname, routes, tcpRoutes, tls, policies" },
		{ "standalone backend tcp policy",
		  "binds:\n"
		  "- port: 8080\n"
		  "  listeners:\n"
		  "  - routes:\n"
		  "    - backends:\n"
		  "      - host: 127.0.0.1:8000\n"
		  "        policies: {tcp: {keepalive: {}}}\n",
		  "t.yaml:7:26: binds[0].listeners[0].routes[0].backends[0].policies.tcp: unknown "
		  "field \"keepalive\" (did you mean \"keepalives\"?), expected one of: "
		  "connectTimeout, keepalives" },
		{ "standalone frontend http", "frontendPolicies:\n  http: {idleTimeout: 1s}\n",
		  "t.yaml:2:10: frontendPolicies.http: unknown field \"idleTimeout\", expected one "
		  "of: maxBufferSize, http1MaxHeaders, http1IdleTimeout, http2WindowSize, "
		  "http2ConnectionWindowSize, http2FrameSize, http2KeepaliveInterval, "
		  "http2KeepaliveTimeout, maxConnectionDuration, maxConcurrentRequests, "
		  "normalizePath, mergeSlashes, pathWithEscapedSlashesAction" },
		{ "kubernetes top level",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspecs: {}\n",
		  "t.yaml:4:1: (top level): unknown field \"specs\" (did you mean \"spec\"?), "
		  "expected one of: apiVersion, "
		  "kind, metadata, spec, status, addressType, type, data, stringData, binaryData, "
		  "immutable, "
		  "endpoints, ports" },
		{ "kubernetes metadata",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a, label: x}\n",
		  "t.yaml:3:21: metadata: unknown field \"label\" (did you mean \"labels\"?), "
		  "expected one of: name, "
		  "namespace, "
		  "labels, annotations, uid, resourceVersion, generation, creationTimestamp, "
		  "managedFields, ownerReferences, finalizers" },
		{ "kubernetes Service spec",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  clusterIp: x\n",
		  "t.yaml:5:3: spec: unknown field \"clusterIp\" (did you mean \"clusterIP\"?), "
		  "expected one of: clusterIP, "
		  "externalName, ports, clusterIPs, type, selector, sessionAffinity, ipFamilies, "
		  "ipFamilyPolicy, internalTrafficPolicy" },
		{ "kubernetes HTTPRoute rule",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - timeout: {request: 1s}\n",
		  "t.yaml:22:5: spec.rules[0]: unknown field \"timeout\" (did you mean "
		  "\"timeouts\"?), expected one of: name, "
		  "matches, backendRefs, timeouts, retry, filters, sessionPersistence" },
		{ "kubernetes policy traffic",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic: {timeout: {request: 1s}}\n",
		  "t.yaml:21:13: spec.traffic: unknown field \"timeout\" (did you mean "
		  "\"timeouts\"?), expected one of: "
		  "timeouts, retry, headerModifiers, cors, directResponse, hostRewrite, "
		  "rateLimit, csrf, jwtAuthentication, apiKeyAuthentication, basicAuthentication, "
		  "extAuth, authorization, phase" },
		{ "kubernetes policy frontend tcp",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  frontend: {tcp: {keepalives: {}}}\n",
		  "t.yaml:21:20: spec.frontend.tcp: unknown field \"keepalives\" (did you mean "
		  "\"keepalive\"?), expected one of: "
		  "keepalive, maxConnections" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* maxConnections (frontend tcp) and maxConcurrentRequests (frontend http) in
 * both dialects: the policy keeps them, every listener of the bind sees
 * them, the bind takes them as its bounds; without them, no bound. */
static void test_config_admission_limits(void **state)
{
	static const char standalone[] = "frontendPolicies:\n"
					 "  http: {maxConcurrentRequests: 5}\n"
					 "  tcp: {maxConnections: 10}\n"
					 "binds:\n"
					 "- port: 8080\n"
					 "  listeners:\n"
					 "  - routes: [{backends: [{host: 127.0.0.1:8000}]}]\n"
					 "- port: 9000\n"
					 "  listeners:\n"
					 "  - protocol: TCP\n"
					 "    tcpRoutes: [{backends: [{host: 127.0.0.1:8000}]}]\n";
	static const char k8s[] = K8S_BASE POLICY_HEAD
		"  targetRefs: [{kind: Gateway, name: gw}]\n"
		"  frontend: {tcp: {maxConnections: 7}, http: {maxConcurrentRequests: 3}}\n";
	static const char none[] = "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - routes: [{backends: [{host: 127.0.0.1:8000}]}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, standalone, 0);
	const struct sg_policy *h = find_policy(cfg, "frontend/http");
	const struct sg_policy *t = find_policy(cfg, "frontend/tcp");

	assert_int_equal(h->u.fhttp.max_concurrent_requests, 5);
	assert_int_equal(t->u.ftcp.max_connections, 10);
	assert_keepalive(&t->u.ftcp.keepalives, true, 180 * SEC, 180 * SEC, 9);
	assert_int_equal(find_bind(cfg, 8080)->max_connections, 10);
	assert_int_equal(find_bind(cfg, 8080)->max_requests, 5);
	assert_int_equal(find_bind(cfg, 9000)->max_connections, 10);

	cfg = load_ok(l, k8s, 0);
	assert_int_equal(find_bind(cfg, 8080)->max_connections, 7);
	assert_int_equal(find_bind(cfg, 8080)->max_requests, 3);
	assert_int_equal(find_bind(cfg, 8080)->listeners[0].ftcp->max_connections, 7);
	assert_int_equal(find_bind(cfg, 8080)->listeners[0].fhttp->max_concurrent_requests, 3);

	cfg = load_ok(l, none, 0);
	assert_int_equal(find_bind(cfg, 8080)->max_connections, 0);
	assert_int_equal(find_bind(cfg, 8080)->max_requests, 0);
	assert_int_equal(find_bind(cfg, 8080)->listeners[0].fhttp->max_concurrent_requests,
			 SG_UNSET);
}

static void test_config_rejects_wrong_types(void **state)
{
	static const struct err_case cases[] = {
		{ "map for a string", "config:\n  adminAddr: {a: b}\n",
		  "t.yaml:2:14: config.adminAddr: expected a string, got a map" },
		{ "list for a string", "config:\n  adminAddr: [a]\n",
		  "t.yaml:2:14: config.adminAddr: expected a string, got a list" },
		{ "map for a list", "binds:\n  port: 8080\n",
		  "t.yaml:2:3: binds: expected a list, got a map" },
		{ "scalar for a list", "binds: 8080\n",
		  "t.yaml:1:8: binds: expected a list, got \"8080\"" },
		{ "list for a map", "config: [a]\n",
		  "t.yaml:1:9: config: expected a map, got a list" },
		{ "empty map for a list", "binds: {}\n",
		  "t.yaml:1:8: binds: expected a list, got an empty map" },
		{ "map for a port", "binds:\n- port: {n: 1}\n  listeners: []\n",
		  "t.yaml:2:9: binds[0].port: expected a port number from 1 to 65535, got a map" },
		{ "port out of range", "binds:\n- port: 70000\n  listeners: []\n",
		  "t.yaml:2:9: binds[0].port: expected a port number from 1 to 65535, got "
		  "\"70000\"" },
		{ "quoted port", "binds:\n- port: '8080'\n  listeners: []\n",
		  "t.yaml:2:9: binds[0].port: expected a port number from 1 to 65535, got "
		  "\"8080\"" },
		{ "maxConnections 0", "frontendPolicies:\n  tcp: {maxConnections: 0}\n",
		  "t.yaml:2:25: frontendPolicies.tcp.maxConnections: expected a whole number from "
		  "1 "
		  "to 4294967295, got \"0\"" },
		{ "maxConcurrentRequests negative",
		  "frontendPolicies:\n  http: {maxConcurrentRequests: -1}\n",
		  "t.yaml:2:33: frontendPolicies.http.maxConcurrentRequests: expected a whole "
		  "number "
		  "from 1 to 4294967295, got \"-1\"" },
		{ "kubernetes maxConcurrentRequests too large",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  frontend: {http: {maxConcurrentRequests: 4294967296}}\n",
		  "t.yaml:21:44: spec.frontend.http.maxConcurrentRequests: expected a whole number "
		  "from 1 to 4294967295, got \"4294967296\"" },
		{ "bool", "config:\n  backend:\n    keepalives: {enabled: yes}\n",
		  "t.yaml:3:27: config.backend.keepalives.enabled: expected true or false, got "
		  "\"yes\"" },
		{ "document not a map", "- a\n",
		  "t.yaml:1:1: (document): expected a map (a Kubernetes resource or a standalone "
		  "config), got a list" },
		{ "kubernetes map for a string",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: {a: b}}\n",
		  "t.yaml:3:18: metadata.name: expected a string, got a map" },
		{ "kubernetes map for a list",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners: {name: http}\n",
		  "t.yaml:5:14: spec.listeners: expected a list, got a map" },
		{ "kubernetes scalar for a list",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  hostnames: a.example\n",
		  "t.yaml:21:14: spec.hostnames: expected a list, got \"a.example\"" },
		{ "kubernetes retry attempts",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{retry: {attempts: -1}}]\n",
		  "t.yaml:21:30: spec.rules[0].retry.attempts: expected a whole number from 0 to "
		  "4294967295, got \"-1\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_rejects_bad_durations(void **state)
{
	static const struct err_case cases[] = {
		{ "standalone fast", "config:\n  backend:\n    connectTimeout: fast\n",
		  "t.yaml:3:21: config.backend.connectTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"fast\"" },
		{ "standalone negative", "config:\n  backend:\n    connectTimeout: -1s\n",
		  "t.yaml:3:21: config.backend.connectTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"-1s\" (negative duration)" },
		{ "standalone missing unit", "config:\n  backend:\n    poolIdleTimeout: 90\n",
		  "t.yaml:3:22: config.backend.poolIdleTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"90\" (missing unit)" },
		{ "standalone unknown unit", "config:\n  backend:\n    poolIdleTimeout: 1d\n",
		  "t.yaml:3:22: config.backend.poolIdleTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"1d\" (unknown unit \"d\")" },
		{ "standalone list", "config:\n  backend:\n    connectTimeout: [1s]\n",
		  "t.yaml:3:21: config.backend.connectTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got a list" },
		{ "standalone null", "config:\n  backend:\n    connectTimeout:\n",
		  "t.yaml:3:20: config.backend.connectTimeout: expected a duration such as "
		  "\"500ms\" or \"1s\", got null" },
		{ "negative secs",
		  "config:\n  backend:\n    connectTimeout: {secs: -1, nanos: 0}\n",
		  "t.yaml:3:28: config.backend.connectTimeout.secs: expected a non-negative whole "
		  "number, got \"-1\"" },
		{ "nanos out of range",
		  "config:\n  backend:\n    connectTimeout: {secs: 1, nanos: 1000000000}\n",
		  "t.yaml:3:38: config.backend.connectTimeout.nanos: expected nanoseconds from 0 "
		  "to "
		  "999999999, got \"1000000000\"" },
		{ "secs and something else",
		  "config:\n  backend:\n    connectTimeout: {seconds: 1}\n",
		  "t.yaml:3:22: config.backend.connectTimeout: unknown field \"seconds\", expected "
		  "one of: secs, nanos" },
		{ "route inline backoff",
		  "binds:\n"
		  "- port: 8080\n"
		  "  listeners:\n"
		  "  - routes:\n"
		  "    - policies:\n"
		  "        retry:\n"
		  "          attempts: 2\n"
		  "          backoff: fast\n"
		  "      backends:\n"
		  "      - host: 127.0.0.1:8000\n",
		  "t.yaml:8:20: binds[0].listeners[0].routes[0].policies.retry.backoff: expected a "
		  "duration such as \"500ms\" or \"1s\", got \"fast\"" },
		{ "kubernetes fast",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - timeouts: {request: fast}\n",
		  "t.yaml:22:25: spec.rules[0].timeouts.request: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"fast\"" },
		{ "kubernetes negative",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic:\n"
				       "    timeouts: {backendRequest: -5s}\n",
		  "t.yaml:22:32: spec.traffic.timeouts.backendRequest: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"-5s\" (negative duration)" },
		{ "kubernetes keepalive",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  frontend: {tcp: {keepalive: {time: soon}}}\n",
		  "t.yaml:21:38: spec.frontend.tcp.keepalive.time: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"soon\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_rejects_missing_fields(void **state)
{
	static const struct err_case cases[] = {
		{ "standalone port", "binds:\n- listeners: []\n",
		  "t.yaml:2:3: binds[0]: missing required field \"port\"" },
		{ "standalone null port", "binds:\n- port:\n  listeners: []\n",
		  "t.yaml:2:3: binds[0]: missing required field \"port\"" },
		{ "standalone listeners", "binds:\n- port: 8080\n",
		  "t.yaml:2:3: binds[0]: missing required field \"listeners\"" },
		{ "standalone host",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{weight: 1}]}]\n",
		  "t.yaml:4:26: binds[0].listeners[0].routes[0].backends[0]: missing required "
		  "field "
		  "\"host\"" },
		{ "standalone null host",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: ~}]}]\n",
		  "t.yaml:4:26: binds[0].listeners[0].routes[0].backends[0]: missing required "
		  "field "
		  "\"host\"" },
		{ "metadata.name", "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: x\n",
		  "t.yaml:4:3: metadata: missing required field \"name\"" },
		{ "null metadata.name",
		  "apiVersion: v1\nkind: Service\nmetadata:\n  name:\nspec: {}\n",
		  "t.yaml:4:3: metadata: missing required field \"name\"" },
		{ "metadata", "apiVersion: v1\nkind: Service\nspec: {}\n",
		  "t.yaml:1:1: (top level): missing required field \"metadata\"" },
		{ "null apiVersion", "apiVersion:\nkind: Service\nmetadata: {name: a}\n",
		  "t.yaml:1:1: (top level): missing required field \"apiVersion\"" },
		{ "null kind", "apiVersion: v1\nkind: ~\nmetadata: {name: a}\n",
		  "t.yaml:1:1: (top level): missing required field \"kind\"" },
		{ "spec", "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: ns}\n",
		  "t.yaml:1:1: Service ns/a: missing required field \"spec\"" },
		{ "parentRefs",
		  K8S_BASE ROUTE_HEAD "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n",
		  "t.yaml:20:3: spec: missing required field \"parentRefs\"" },
		{ "parentRef name", K8S_BASE ROUTE_HEAD "  parentRefs: [{namespace: ns}]\n",
		  "t.yaml:20:16: spec.parentRefs[0]: missing required field \"name\"" },
		{ "Gateway listener port",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - name: http\n"
		  "    protocol: HTTP\n",
		  "t.yaml:6:5: spec.listeners[0]: missing required field \"port\"" },
		{ "Gateway listener protocol",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - name: http\n"
		  "    port: 8080\n"
		  "    protocol:\n",
		  "t.yaml:6:5: spec.listeners[0]: missing required field \"protocol\"" },
		{ "backendRef port",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - backendRefs:\n"
				      "    - name: svc\n",
		  "t.yaml:23:7: spec.rules[0].backendRefs[0]: missing required field \"port\"" },
		{ "Service port",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		  "spec: {ports: [{name: http}]}\n",
		  "t.yaml:4:16: spec.ports[0]: missing required field \"port\"" },
		{ "TCPRoute rules",
		  K8S_BASE "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
			   "kind: TCPRoute\n"
			   "metadata: {name: t, namespace: ns}\n"
			   "spec:\n"
			   "  parentRefs: [{name: gw}]\n",
		  "t.yaml:20:3: spec: missing required field \"rules\"" },
		{ "targetRefs",
		  K8S_BASE POLICY_HEAD "  frontend:\n"
				       "    http: {http1IdleTimeout: 1s}\n",
		  "t.yaml:20:3: spec: missing required field \"targetRefs\"" },
		{ "targetRef kind",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{name: gw}]\n"
				       "  frontend: {http: {http1IdleTimeout: 1s}}\n",
		  "t.yaml:20:16: spec.targetRefs[0]: missing required field \"kind\"" },
		{ "header match value",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - matches: [{headers: [{name: x}]}]\n",
		  "t.yaml:5:28: binds[0].listeners[0].routes[0].matches[0].headers[0]: missing "
		  "required field \"value\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* A condition of resource kind ns/name: parent `pi`'s Accepted (or its
 * ResolvedRefs when `resolved`). */
static const struct sg_condition *res_cond(const struct sg_cfg *cfg, const char *kind,
					   const char *ns, const char *name, size_t pi,
					   bool resolved)
{
	for (size_t i = 0; i < cfg->nresources; i++) {
		const struct sg_res_id *id = &cfg->resources[i];

		if (strcmp(id->kind, kind) || strcmp(id->ns, ns) || strcmp(id->name, name))
			continue;
		if (!id->status || pi >= id->status->nparents)
			fail_msg("%s %s/%s has no parent %zu", kind, ns, name, pi);
		return resolved ? &id->status->parents[pi].resolved
				: &id->status->parents[pi].accepted;
	}
	fail_msg("no %s %s/%s", kind, ns, name);
	return NULL;
}

struct ref_case {
	const char *what;
	const char *text;
	const char *want; /* the one warning */
	bool resolved;	  /* which condition: ResolvedRefs, else Accepted */
	const char *reason;
};

/* Reference problems accept the route (the rest of the file applies),
 * with one warning and the Gateway API condition and reason. */
static void test_config_dangling_refs_set_conditions(void **state)
{
	static const struct ref_case cases[] = {
		{ "parentRef to an unknown Gateway",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - name: nogw\n"
				      "  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n",
		  "t.yaml:21:11: warning: HTTPRoute ns/r: spec.parentRefs[0]: not attached "
		  "(NoMatchingParent): Gateway ns/nogw is not defined",
		  false, "NoMatchingParent" },
		{ "parentRef to a Gateway in another namespace",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - {name: gw, namespace: other}\n",
		  "t.yaml:21:12: warning: HTTPRoute ns/r: spec.parentRefs[0]: not attached "
		  "(NoMatchingParent): Gateway other/gw is not defined",
		  false, "NoMatchingParent" },
		{ "parentRef to an unknown listener",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - {name: gw, sectionName: https}\n",
		  "t.yaml:21:5: warning: HTTPRoute ns/r: spec.parentRefs[0]: not attached "
		  "(NoMatchingParent): Gateway ns/gw has no listener named \"https\"",
		  false, "NoMatchingParent" },
		{ "parentRef to a listener on another port",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - {name: gw, sectionName: http, port: 9090}\n",
		  "t.yaml:21:5: warning: HTTPRoute ns/r: spec.parentRefs[0]: not attached "
		  "(NoMatchingParent): Gateway ns/gw: listener \"http\" is not on port 9090",
		  false, "NoMatchingParent" },
		{ "route from another namespace, listener allows Same",
		  K8S_BASE "apiVersion: gateway.networking.k8s.io/v1\n"
			   "kind: HTTPRoute\n"
			   "metadata: {name: r, namespace: b}\n"
			   "spec:\n"
			   "  parentRefs: [{name: gw, namespace: ns}]\n",
		  "t.yaml:20:16: warning: HTTPRoute b/r: spec.parentRefs[0]: not attached "
		  "(NotAllowedByListeners): no listener of Gateway ns/gw allows a HTTPRoute from "
		  "namespace b (allowedRoutes)",
		  false, "NotAllowedByListeners" },
		{ "route hostnames outside the listener's",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw, namespace: ns}\n"
		  "spec: {listeners: [{name: h, port: 8080, protocol: HTTP, hostname: "
		  "'*.a.example'}]}\n"
		  "---\n"
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: HTTPRoute\n"
		  "metadata: {name: r, namespace: ns}\n"
		  "spec: {parentRefs: [{name: gw}], hostnames: [b.example, '*.example.org']}\n",
		  "t.yaml:9:21: warning: HTTPRoute ns/r: spec.parentRefs[0]: not attached "
		  "(NoMatchingListenerHostname): no listener hostname of Gateway ns/gw intersects "
		  "the route's hostnames",
		  false, "NoMatchingListenerHostname" },
		{ "backendRef to an unknown Service",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - backendRefs:\n"
				      "    - name: nosvc\n"
				      "      port: 8000\n",
		  "t.yaml:23:7: warning: HTTPRoute ns/r: spec.rules[0].backendRefs[0]: Service "
		  "ns/nosvc is not defined (BackendNotFound); requests it would serve get 500",
		  true, "BackendNotFound" },
		{ "backendRef to a Service without the port",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - backendRefs:\n"
				      "    - name: svc\n"
				      "      port: 9000\n",
		  "t.yaml:23:7: warning: HTTPRoute ns/r: spec.rules[0].backendRefs[0]: Service "
		  "ns/svc has no port 9000 (BackendNotFound); requests it would serve get 500",
		  true, "BackendNotFound" },
		{ "backendRef kind",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - backendRefs:\n"
				      "    - {kind: Backend, name: svc, port: 8000}\n",
		  "t.yaml:23:7: warning: HTTPRoute ns/r: spec.rules[0].backendRefs[0]: kind "
		  "Backend is not supported (Service) (InvalidKind); requests it would serve get "
		  "500",
		  true, "InvalidKind" },
		{ "backendRef to another namespace without a ReferenceGrant",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{backendRefs: [{name: s2, namespace: b, port: 80}]}]\n"
		  "---\n"
		  "apiVersion: v1\n"
		  "kind: Service\n"
		  "metadata: {name: s2, namespace: b}\n"
		  "spec: {clusterIP: 127.0.0.2, ports: [{port: 80}]}\n",
		  "t.yaml:21:26: warning: HTTPRoute ns/r: spec.rules[0].backendRefs[0]: Service "
		  "b/s2 is in another namespace and no ReferenceGrant in b allows it "
		  "(RefNotPermitted); requests it would serve get 500",
		  true, "RefNotPermitted" },
		{ "a ReferenceGrant for another Service name",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{backendRefs: [{name: s2, namespace: b, port: 80}]}]\n"
		  "---\n"
		  "apiVersion: v1\n"
		  "kind: Service\n"
		  "metadata: {name: s2, namespace: b}\n"
		  "spec: {clusterIP: 127.0.0.2, ports: [{port: 80}]}\n"
		  "---\n"
		  "apiVersion: gateway.networking.k8s.io/v1beta1\n"
		  "kind: ReferenceGrant\n"
		  "metadata: {name: g, namespace: b}\n"
		  "spec:\n"
		  "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "
		  "namespace: ns}]\n"
		  "  to: [{group: '', kind: Service, name: other}]\n",
		  "t.yaml:21:26: warning: HTTPRoute ns/r: spec.rules[0].backendRefs[0]: Service "
		  "b/s2 is in another namespace and no ReferenceGrant in b allows it "
		  "(RefNotPermitted); requests it would serve get 500",
		  true, "RefNotPermitted" },
	};
	struct loaded *l = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct sg_condition *cd;
		const char *ns =
			strstr(cases[i].text, "namespace: b}\nspec:\n  parentRefs") ? "b" : "ns";

		print_message("case: %s\n", cases[i].what);
		load_ok(l, cases[i].text, 1);
		assert_string_equal(l->diag.lines[0], cases[i].want);
		cd = res_cond(l->cfg, "HTTPRoute", ns, "r", 0, cases[i].resolved);
		assert_false(cd->status);
		assert_string_equal(cd->reason, cases[i].reason);
	}
}

/* With a ReferenceGrant (any name, or this Service's), a backendRef to
 * another namespace resolves; allowedRoutes Selector takes routes from
 * namespaces whose labels match, and only those. */
static void test_config_grants_and_selectors(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: infra}\n"
		"spec:\n"
		"  listeners:\n"
		"  - name: http\n"
		"    port: 8080\n"
		"    protocol: HTTP\n"
		"    allowedRoutes:\n"
		"      namespaces:\n"
		"        from: Selector\n"
		"        selector:\n"
		"          matchLabels: {team: web}\n"
		"          matchExpressions: [{key: env, operator: NotIn, values: [dev]}]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Namespace\n"
		"metadata: {name: web, labels: {team: web}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Namespace\n"
		"metadata: {name: webdev, labels: {team: web, env: dev}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: s, namespace: back}\n"
		"spec: {clusterIP: 127.0.0.2, ports: [{port: 80}]}\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1beta1\n"
		"kind: ReferenceGrant\n"
		"metadata: {name: g, namespace: back}\n"
		"spec:\n"
		"  from:\n"
		"  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}\n"
		"  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: webdev}\n"
		"  to: [{group: '', kind: Service, name: s}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: web}\n"
		"spec:\n"
		"  parentRefs: [{name: gw, namespace: infra}]\n"
		"  rules: [{backendRefs: [{name: s, namespace: back, port: 80}]}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: r, namespace: webdev}\n"
		"spec:\n"
		"  parentRefs: [{name: gw, namespace: infra}]\n"
		"  rules: [{backendRefs: [{name: s, namespace: back, port: 80}]}]\n";
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(l, text, 1);
	const struct sg_listener *ls = find_listener(cfg, "infra/gw.http");
	const struct sg_condition *cd;

	assert_int_equal(ls->nroutes, 1);
	assert_string_equal(ls->routes[0].ns, "web");
	assert_int_equal(ls->routes[0].backends.v[0].kind, SG_BREF_SERVICE);
	assert_string_equal(ls->routes[0].backends.v[0].eps[0].addr, "127.0.0.2");
	assert_int_equal(ls->attached_routes, 1);
	cd = res_cond(cfg, "HTTPRoute", "web", "r", 0, false);
	assert_true(cd->status);
	assert_string_equal(cd->reason, "Accepted");
	cd = res_cond(cfg, "HTTPRoute", "web", "r", 0, true);
	assert_true(cd->status);
	assert_string_equal(cd->reason, "ResolvedRefs");
	cd = res_cond(cfg, "HTTPRoute", "webdev", "r", 0, false);
	assert_false(cd->status);
	assert_string_equal(cd->reason, "NotAllowedByListeners");
}

/* allowedRoutes.kinds: a TCPRoute kind on an HTTP listener is invalid
 * (ResolvedRefs False there), and an HTTPRoute is not allowed. */
static void test_config_allowed_kinds(void **state)
{
	static const char text[] = "apiVersion: gateway.networking.k8s.io/v1\n"
				   "kind: Gateway\n"
				   "metadata: {name: gw, namespace: ns}\n"
				   "spec:\n"
				   "  listeners:\n"
				   "  - {name: http, port: 8080, protocol: HTTP,\n"
				   "     allowedRoutes: {kinds: [{kind: TCPRoute}]}}\n"
				   "---\n"
				   "apiVersion: gateway.networking.k8s.io/v1\n"
				   "kind: HTTPRoute\n"
				   "metadata: {name: r, namespace: ns}\n"
				   "spec: {parentRefs: [{name: gw}]}\n";
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(l, text, 1);
	const struct sg_listener *ls = find_listener(cfg, "ns/gw.http");
	const struct sg_condition *cd = res_cond(cfg, "HTTPRoute", "ns", "r", 0, false);

	assert_true(ls->invalid_kinds);
	assert_int_equal(ls->kinds, 0);
	assert_int_equal(ls->nroutes, 0);
	assert_false(cd->status);
	assert_string_equal(cd->reason, "NotAllowedByListeners");
}

#define BTLS(name, section)                                                                        \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: BackendTLSPolicy\n"                                                                 \
	"metadata: {name: " name ", namespace: ns}\n"                                              \
	"spec:\n"                                                                                  \
	"  targetRefs: [{group: '', kind: Service, name: svc" section "}]\n"                       \
	"  validation: {wellKnownCACertificates: System, hostname: b.test}\n"

/* BackendTLSPolicy spec.options: agentgateway reads none of its keys, so
 * each is refused by name (it was accepted and ignored); an empty map is
 * nothing. An AgentgatewayPolicy's backend TLS takes certificateSource
 * Inline (its default) only. */
/* A bind's tunnelProtocol: direct and connect are taken, the tunnel
 * protocols splicegate lacks are refused by name, as are the kinds and
 * AgentgatewayPolicy sections it lacks; the defaults load. */
static void test_config_bind_defaults_only(void **state)
{
	static const struct err_case cases[] = {
		{ "GatewayClass",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
		  "metadata: {name: c}\nspec: {controllerName: x}\n",
		  "t.yaml:2:7: kind: GatewayClass is not supported (splicegate is the one gateway "
		  "of its host and serves every Gateway, whatever its gatewayClassName)" },
		{ "AgentgatewayPolicy backend.ai",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{group: '', kind: Service, name: svc}]\n"
				       "  backend: {ai: {}}\n",
		  "t.yaml:21:17: spec.backend.ai: not supported (LLM backends and policies are not "
		  "supported)" },
		{ "tunnelProtocol hboneWaypoint",
		  "binds:\n- port: 8080\n  tunnelProtocol: hboneWaypoint\n  listeners: []\n",
		  "t.yaml:3:19: binds[0].tunnelProtocol: \"hboneWaypoint\" is not supported (only "
		  "direct and connect: HBONE and PROXY-protocol tunnels are not implemented)" },
	};
	struct loaded *l = *state;

	expect_errors(l, cases, ARRAY_LEN(cases));
	load_ok(l,
		"binds:\n- port: 8080\n  mode: standard\n  tunnelProtocol: direct\n"
		"  listeners: []\n",
		0);
}

/* A BackendTLSPolicy for svc; its validation's lines after its
 * wellKnownCACertificates, each "    key: value\n". */
#define BTLS_VALIDATION(lines)                                                                     \
	K8S_BASE "---\n"                                                                           \
		 "apiVersion: gateway.networking.k8s.io/v1\n"                                      \
		 "kind: BackendTLSPolicy\n"                                                        \
		 "metadata: {name: b}\n"                                                           \
		 "spec:\n"                                                                         \
		 "  targetRefs: [{group: '', kind: Service, name: svc}]\n"                         \
		 "  validation:\n"                                                                 \
		 "    wellKnownCACertificates: System\n"                                           \
		 "    hostname: b.test\n" lines
#define BTLS_OPTIONS(options) BTLS_VALIDATION("  options: " options "\n")
static void test_config_btls_options(void **state)
{
	static const struct err_case cases[] = {
		{ "options keys", BTLS_OPTIONS("{example.com/min-version: '1.3'}"),
		  "t.yaml:25:13: spec.options: key \"example.com/min-version\" is not supported "
		  "(Gateway API leaves BackendTLSPolicy options to the implementation, and "
		  "agentgateway defines none)" },
		{ "both CA sources",
		  BTLS_VALIDATION(
			  "    caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]\n"),
		  "t.yaml:25:24: spec.validation: caCertificateRefs and wellKnownCACertificates "
		  "are exclusive: give one of them" },
	};
	static const struct err_case sans[] = {
		{ "a URI SAN with a hostname",
		  BTLS_VALIDATION(
			  "    subjectAltNames: [{type: URI, uri: 'spiffe://td/x', hostname: "
			  "evil.test}]\n"),
		  "t.yaml:25:23: spec.validation.subjectAltNames[0]: expected {type: Hostname, "
		  "hostname: NAME} or {type: URI, uri: URI}, got a map" },
	};
	static const struct err_case source[] = {
		{ "AgentgatewayPolicy backend.tls.certificateSource",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{group: '', kind: Service, name: svc}]\n"
				       "  backend: {tls: {certificateSource: Spiffe}}\n",
		  "t.yaml:21:38: spec.backend.tls.certificateSource: expected Inline (SPIFFE "
		  "identities are not supported), got \"Spiffe\"" },
	};
	struct loaded *l = *state;

	expect_errors(l, cases, ARRAY_LEN(cases));
	expect_errors(l, sans, ARRAY_LEN(sans));
	expect_errors(l, source, ARRAY_LEN(source));
	load_ok(l, BTLS_OPTIONS("{}"), 1);
}
#undef BTLS_OPTIONS

/* BackendTLSPolicy status is per Gateway whose routes reach the Service
 * (Gateway API), not per Service; of two on the same target the older
 * (then by name) is in force and the other is Accepted False Conflicted;
 * another sectionName is another target. */
static void test_config_backend_tls_status(void **state)
{
	static const char text[] = K8S_BASE ROUTE_HEAD
		"  parentRefs: [{name: gw}]\n"
		"  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n" BTLS("b", "") BTLS("a", "")
			BTLS("c",
			     ", sectionName: http") "---\n"
						    "apiVersion: gateway.networking.k8s.io/v1\n"
						    "kind: BackendTLSPolicy\n"
						    "metadata: {name: unused, namespace: ns}\n"
						    "spec:\n"
						    "  targetRefs: [{group: '', kind: Service, "
						    "name: svc2}]\n"
						    "  validation: {wellKnownCACertificates: "
						    "System, hostname: x}\n";
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(l, text, 1);
	const struct sg_condition *cd;
	size_t n = 0;

	assert_string_equal(l->diag.lines[0],
			    "t.yaml:48:16: warning: spec.targetRefs[0]: Service ns/svc2 is not "
			    "defined; BackendTLSPolicy ns/unused has no effect until it is");
	for (size_t i = 0; i < cfg->nresources; i++) {
		const struct sg_res_id *id = &cfg->resources[i];

		if (strcmp(id->kind, "BackendTLSPolicy"))
			continue;
		assert_int_equal(id->status->nparents, !strcmp(id->name, "unused") ? 0 : 1);
		for (size_t p = 0; p < id->status->nparents; p++) {
			assert_string_equal(id->status->parents[p].kind, "Gateway");
			assert_string_equal(id->status->parents[p].ns, "ns");
			assert_string_equal(id->status->parents[p].name, "gw");
			assert_null(id->status->parents[p].section);
		}
	}
	for (const char *const *name = (const char *const[]){ "a", "c", NULL }; *name; name++) {
		cd = res_cond(cfg, "BackendTLSPolicy", "ns", *name, 0, false);
		assert_true(cd->status);
		assert_string_equal(cd->reason, "Accepted");
		cd = res_cond(cfg, "BackendTLSPolicy", "ns", *name, 0, true);
		assert_string_equal(cd->reason, "ResolvedRefs");
	}
	cd = res_cond(cfg, "BackendTLSPolicy", "ns", "b", 0, false);
	assert_false(cd->status);
	assert_string_equal(cd->reason, "Conflicted");
	assert_string_equal(cd->message,
			    "policy a matches the same target but with higher priority");
	for (size_t i = 0; i < cfg->npolicies; i++)
		if (cfg->policies[i].kind == SG_POL_BACKEND_TLS) {
			assert_string_not_equal(cfg->policies[i].src_name, "b");
			n++;
		}
	assert_int_equal(n, 3); /* a, c, unused */
}

static void test_config_rejects_bad_resources(void **state)
{
	static const struct err_case cases[] = {
		{ "unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		  "t.yaml:2:7: kind: expected one of Gateway, ListenerSet, XListenerSet, "
		  "HTTPRoute, "
		  "GRPCRoute, TCPRoute, TLSRoute, AgentgatewayPolicy, BackendTLSPolicy, Service, "
		  "EndpointSlice, Namespace, "
		  "ReferenceGrant, Secret, ConfigMap, got \"Pod\"" },
		{ "wrong apiVersion",
		  "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
		  "kind: Gateway\n"
		  "metadata: {name: x}\n"
		  "spec: {listeners: []}\n",
		  "t.yaml:1:13: apiVersion: expected \"gateway.networking.k8s.io/v1\" for kind "
		  "Gateway, got \"gateway.networking.k8s.io/v1alpha2\"" },
		{ "policy apiVersion",
		  "apiVersion: gateway.kgateway.dev/v1alpha1\n"
		  "kind: AgentgatewayPolicy\n"
		  "metadata: {name: x}\n",
		  "t.yaml:1:13: apiVersion: expected \"agentgateway.dev/v1alpha1\" for kind "
		  "AgentgatewayPolicy, got \"gateway.kgateway.dev/v1alpha1\"" },
		{ "duplicate resource",
		  K8S_BASE "apiVersion: v1\n"
			   "kind: Service\n"
			   "metadata: {name: svc, namespace: ns}\n"
			   "spec: {}\n",
		  "t.yaml:16:1: Service ns/svc is defined twice (first at t.yaml:8:1)" },
		{ "duplicate in the default namespace",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}\n"
		  "---\n"
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\nspec: "
		  "{}\n",
		  "t.yaml:6:1: Service default/a is defined twice (first at t.yaml:1:1)" },
		{ "standalone TCP listener on an HTTP port",
		  "binds:\n- port: 8080\n  listeners:\n  - protocol: HTTP\n  - protocol: TCP\n",
		  "t.yaml:5:5: port 8080: listener protocol TCP conflicts with HTTP listeners on "
		  "the "
		  "same port" },
		{ "HTTPS listener without tls",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec: {listeners: [{name: https, port: 443, protocol: HTTPS}]}\n",
		  "t.yaml:4:20: spec.listeners[0]: an HTTPS listener needs tls: {certificateRefs: "
		  "[...]}" },
		{ "TLS listener without tls",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - {name: t, port: 443, protocol: TLS}\n",
		  "t.yaml:6:5: spec.listeners[0]: a TLS listener needs tls: {mode: Passthrough}, "
		  "or {certificateRefs: [...]} to terminate" },
		{ "TLS listener in mode Terminate without a certificate",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - {name: t, port: 443, protocol: TLS, tls: {mode: Terminate}}\n",
		  "t.yaml:6:46: spec.listeners[0].tls: mode Terminate needs certificateRefs (at "
		  "least one Secret)" },
		{ "HTTPS listener without certificateRefs",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - {name: t, port: 443, protocol: HTTPS, tls: {}}\n",
		  "t.yaml:6:48: spec.listeners[0].tls: mode Terminate needs certificateRefs (at "
		  "least one Secret)" },
		{ "HTTPS listener in mode Passthrough",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - {name: t, port: 443, protocol: HTTPS, tls: {mode: Passthrough}}\n",
		  "t.yaml:6:55: spec.listeners[0].tls.mode: expected Terminate (only protocol TLS "
		  "passes through), got \"Passthrough\"" },
		{ "passthrough with a certificate",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - name: t\n"
		  "    port: 443\n"
		  "    protocol: TLS\n"
		  "    tls: {mode: Passthrough, certificateRefs: [{name: c}]}\n",
		  "t.yaml:9:47: spec.listeners[0].tls.certificateRefs: expected no certificateRefs "
		  "with mode Passthrough (the backend holds the certificate), got a list" },
		{ "tls on an HTTP listener",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw}\n"
		  "spec:\n"
		  "  listeners:\n"
		  "  - {name: h, port: 80, protocol: HTTP, tls: {mode: Passthrough}}\n",
		  "t.yaml:6:46: spec.listeners[0].tls: expected no tls section (an HTTP or TCP "
		  "listener), got a map" },
		{ "TLSRoute with two rules",
		  "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
		  "kind: TLSRoute\n"
		  "metadata: {name: r}\n"
		  "spec:\n"
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{backendRefs: [{name: s, port: 1}]}, {backendRefs: [{name: s, port: "
		  "2}]}]\n",
		  "t.yaml:6:10: spec.rules: expected exactly one rule (a TLSRoute rule has no "
		  "matches to choose between several), got a list" },
		{ "TLSRoute with an IP hostname",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: TLSRoute\n"
		  "metadata: {name: r}\n"
		  "spec:\n"
		  "  parentRefs: [{name: gw}]\n"
		  "  hostnames: [10.0.0.1]\n"
		  "  rules: [{backendRefs: [{name: s, port: 1}]}]\n",
		  "t.yaml:6:15: spec.hostnames[0]: expected a host name such as "
		  "\"app.example.com\" "
		  "or \"*.example.com\" (no IP address, no trailing dot), got \"10.0.0.1\"" },
		{ "TLSRoute without rules",
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: TLSRoute\n"
		  "metadata: {name: r}\n"
		  "spec:\n"
		  "  parentRefs: [{name: gw}]\n"
		  "  hostnames: [a.example]\n",
		  "t.yaml:5:3: spec: missing required field \"rules\"" },
		{ "standalone hostnames on a TCP route",
		  "binds:\n- port: 9000\n  listeners:\n  - protocol: TCP\n    tcpRoutes:\n"
		  "    - hostnames: [a.example]\n      backends: [{host: '127.0.0.1:1'}]\n",
		  "t.yaml:6:18: binds[0].listeners[0].tcpRoutes[0].hostnames: only a TLS listener "
		  "routes by host name (SNI); a TCP listener's route takes every connection" },
		{ "standalone wildcard not first",
		  "binds:\n- port: 9000\n  listeners:\n  - protocol: TLS\n    tcpRoutes:\n"
		  "    - hostnames: ['a.*.example']\n      backends: [{host: '127.0.0.1:1'}]\n",
		  "t.yaml:6:19: binds[0].listeners[0].tcpRoutes[0].hostnames[0]: expected a host "
		  "name such as \"app.example.com\" or \"*.example.com\" (no IP address, no "
		  "trailing "
		  "dot), got \"a.*.example\"" },
		{ "standalone TCP listener with tls",
		  "binds:\n- port: 9000\n  listeners:\n  - protocol: TCP\n    tls: {cert: c.pem}\n"
		  "    tcpRoutes: []\n",
		  "t.yaml:5:10: binds[0].listeners[0].tls: expected no tls section (HTTPS and TLS "
		  "listeners terminate TLS), got a map" },
		/* names as the API server takes them (they go into keys, status,
		 * metrics and logs) */
		{ "name not RFC 1123",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: \"a b\"}\nspec: {}\n",
		  "t.yaml:3:18: metadata.name: expected a lowercase RFC 1123 name (a-z, 0-9, '-' "
		  "and '.', a letter or digit at each end, at most 253 characters), got \"a b\"" },
		{ "namespace with a dot",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x.y}\nspec: {}\n",
		  "t.yaml:3:32: metadata.namespace: expected a lowercase RFC 1123 label (a-z, 0-9 "
		  "and '-', a letter or digit at each end, at most 63 characters), got \"x.y\"" },
		/* seed 003's first example */
		{ "MCP mode without a target", "mcp:\n  port: 3000\n  targets: []\n",
		  "t.yaml:3:12: mcp.targets: expected at least one target, got an empty list" },
		{ "MCP statefulMode of another word",
		  "mcp:\n  statefulMode: sometimes\n  targets: [{name: a, stdio: {cmd: x}}]\n",
		  "t.yaml:2:17: mcp.statefulMode: expected stateful or stateless, got "
		  "\"sometimes\"" },
		{ "MCP sse target: port without path",
		  "mcp:\n  targets: [{name: a, sse: {host: 127.0.0.1, port: 1}}]\n",
		  "t.yaml:2:28: mcp.targets[0].sse: if port or path is set, both must be set; "
		  "otherwise, use only host" },
		{ "MCP target of two kinds",
		  "mcp:\n  targets: [{name: a, sse: {host: \"http://x:1/sse\"}, stdio: {cmd: "
		  "x}}]\n",
		  "t.yaml:2:13: mcp.targets[0]: expected exactly one of stdio, mcp, sse or "
		  "openapi" },
		{ "MCP streamable HTTP target: port without path",
		  "mcp:\n  targets: [{name: a, mcp: {host: 127.0.0.1, port: 1}}]\n",
		  "t.yaml:2:28: mcp.targets[0].mcp: if port or path is set, both must be set; "
		  "otherwise, use only host" },
		{ "MCP streamable HTTP target: a bad port",
		  "mcp:\n  targets: [{name: a, mcp: {host: \"http://127.0.0.1:99999/mcp\"}}]\n",
		  "t.yaml:2:35: mcp.targets[0].mcp.host: expected a URI such as "
		  "\"http://127.0.0.1:3001/mcp\", or host, port and path, got "
		  "\"http://127.0.0.1:99999/mcp\"" },
		{ "MCP target name", "mcp:\n  targets: [{name: a b, stdio: {cmd: x}}]\n",
		  "t.yaml:2:20: mcp.targets[0].name: expected a name of letters, digits, \"-\" and "
		  "\"_\", got \"a b\"" },
		/* fuzz_config found it: the second target's name was compared
		 * with the first's, which had none */
		{ "MCP target that is not a map, then another",
		  "mcp:\n  targets: [nam, {name: e, stdio: {cmd: x}}]\n",
		  "t.yaml:2:13: mcp.targets[0]: expected a map, got \"nam\"" },
		{ "MCP two targets of one name",
		  "mcp:\n  targets: [{name: a, stdio: {cmd: x}}, {name: a, stdio: {cmd: y}}]\n",
		  "t.yaml:2:48: mcp.targets[1].name: \"a\" names another target of this backend" },
		{ "MCP policies on a stdio target",
		  "mcp:\n  targets: [{name: a, stdio: {cmd: x}, policies: {backendTLS: {}}}]\n",
		  "t.yaml:2:50: mcp.targets[0].policies: not supported on a stdio target (it has "
		  "no "
		  "backend connection)" },
		{ "MCP target backendAuth passthrough",
		  "mcp:\n  targets: [{name: a, mcp: {host: \"http://h:1/m\"}, "
		  "policies: {backendAuth: {passthrough: {}}}}]\n",
		  "t.yaml:2:90: mcp.targets[0].policies.backendAuth.passthrough: not supported on "
		  "an MCP target (its requests are the gateway's, for a session, not a client's): "
		  "use key or credentials" },
		{ "MCP target policy not taken",
		  "mcp:\n  targets: [{name: a, sse: {host: \"http://h:1/sse\"}, "
		  "policies: {tcp: {}}}]\n",
		  "t.yaml:2:70: mcp.targets[0].policies.tcp: not supported on an MCP target (its "
		  "policies take backendTLS and backendAuth)" },
		{ "MCP authentication with Entra ID, no tenant to find its keys at",
		  "mcp:\n  policies: {mcpAuthentication: {issuer: x, audiences: [a], "
		  "resourceMetadata: {}, provider: {entra: {}}}}\n"
		  "  targets: [{name: a, stdio: {cmd: x}}]\n",
		  "t.yaml:2:42: mcp.policies.mcpAuthentication.jwks: not given, and the issuer "
		  "\"x\" names no Entra tenant to derive it from (expected "
		  "https://login.microsoftonline.com/<tenant>/v2.0 or "
		  "https://sts.windows.net/<tenant>/)" },
		{ "MCP authentication beside jwtAuth",
		  "mcp:\n  policies: {jwtAuth: {issuer: x, jwks: \"{}\"}, mcpAuthentication: "
		  "{issuer: x, audiences: [a], resourceMetadata: {}}}\n"
		  "  targets: [{name: a, stdio: {cmd: x}}]\n",
		  "t.yaml:2:67: mcp.policies.mcpAuthentication: a route takes jwtAuth or "
		  "mcpAuthentication, not both (agentgateway makes each the route's one jwtAuth "
		  "policy)" },
		{ "MCP authentication without resourceMetadata",
		  "mcp:\n  policies: {mcpAuthentication: {issuer: x, audiences: [a]}}\n"
		  "  targets: [{name: a, stdio: {cmd: x}}]\n",
		  "t.yaml:2:33: mcp.policies.mcpAuthentication: missing required field "
		  "\"resourceMetadata\"" },
		{ "MCP authorization rule that does not compile",
		  "mcp:\n  policies: {mcpAuthorization: {rules: ['mcp.tool.name ==']}}\n"
		  "  targets: [{name: a, stdio: {cmd: x}}]\n",
		  "t.yaml:2:41: mcp.policies.mcpAuthorization.rules[0]: column 17 of the "
		  "expression: unexpected token" },
		{ "standalone protocol", "binds:\n- port: 8080\n  listeners:\n  - protocol: UDP\n",
		  "t.yaml:4:15: binds[0].listeners[0].protocol: expected HTTP, HTTPS, TCP or TLS, "
		  "got \"UDP\"" },
		{ "routes on a TCP listener",
		  "binds:\n- port: 9000\n  listeners:\n  - protocol: TCP\n    routes: []\n",
		  "t.yaml:5:13: binds[0].listeners[0].routes: a TCP listener takes tcpRoutes" },
		{ "two standalone documents", "binds: []\n---\nconfig: {}\n",
		  "t.yaml:3:1: only one standalone document (config:/binds:) is allowed; the first "
		  "one is already loaded" },
		{ "HTTPRoute filter of an unknown type",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{filters: [{type: ExtensionRef}]}]\n",
		  "t.yaml:21:29: spec.rules[0].filters[0].type: \"ExtensionRef\" is not supported: "
		  "expected RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, "
		  "URLRewrite, RequestMirror or CORS" },
		{ "HTTPRoute redirect and rewrite",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{filters: [{type: RequestRedirect, requestRedirect: {}},\n"
		  "    {type: URLRewrite, urlRewrite: {}}]}]\n",
		  "t.yaml:21:21: spec.rules[0].filters: RequestRedirect and URLRewrite cannot be "
		  "combined" },
		{ "HTTPRoute redirect status",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{filters: [{type: RequestRedirect, requestRedirect: "
		  "{statusCode: 305}}]}]\n",
		  "t.yaml:21:76: spec.rules[0].filters[0].requestRedirect.statusCode: expected "
		  "301, "
		  "302, 303, 307 or 308, got \"305\"" },
		{ "standalone redirect status",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {requestRedirect: {status: 200}}\n",
		  "t.yaml:5:44: binds[0].listeners[0].routes[0].policies.requestRedirect.status: "
		  "200 "
		  "is not a redirect status (300-399)" },
		{ "standalone directResponse body beside bodyExpression",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {directResponse: {status: 200, body: a, bodyExpression: "
		  "'\"b\"'}}\n",
		  "t.yaml:5:73: binds[0].listeners[0].routes[0].policies.directResponse."
		  "bodyExpression: body and bodyExpression may not both be set" },
		{ "standalone directResponse CEL reading the response",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {directResponse: {status: 200, headers: {x-a: "
		  "'response.code'}}}\n",
		  "t.yaml:5:63: "
		  "binds[0].listeners[0].routes[0].policies.directResponse.headers.x-a: "
		  "a direct response reads the request: not a response" },
		{ "standalone retry condition reading a body",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {retry: {codes: [503], condition: 'response.body == \"x\"'}}\n",
		  "t.yaml:5:51: binds[0].listeners[0].routes[0].policies.retry.condition: a retry "
		  "condition is evaluated over each try's response head, before its body is read "
		  "(agentgateway's response.body is null there): response.body cannot be read" },
		{ "standalone retry condition reading the request body",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {retry: {codes: [503], condition: 'request.body == \"x\"'}}\n",
		  "t.yaml:5:51: binds[0].listeners[0].routes[0].policies.retry.condition: a retry "
		  "condition reads the request's and the response's heads, not the request's "
		  "body" },
		{ "standalone mirror percentage",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {requestMirror: {backend: {host: 127.0.0.1:9}, percentage: "
		  "50}}\n",
		  "t.yaml:5:76: binds[0].listeners[0].routes[0].policies.requestMirror.percentage: "
		  "expected a number from 0 to 1, got \"50\"" },
		{ "standalone header value with CR LF",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {requestHeaderModifier: {add: {x-a: \"1\\r\\nx-b: 2\"}}}\n",
		  "t.yaml:5:53: "
		  "binds[0].listeners[0].routes[0].policies.requestHeaderModifier.add: "
		  "the value of x-a has a control character" },
		{ "HTTPRoute header name not a token",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{filters: [{type: RequestHeaderModifier, "
		  "requestHeaderModifier: {set: [{name: \"a b\", value: v}]}}]}]\n",
		  "t.yaml:21:82: spec.rules[0].filters[0].requestHeaderModifier.set[0]: \"a b\" is "
		  "not a header name (a token: letters, digits, !#$%&'*+-.^_`|~)" },
		/* What the API server's CRD validation refuses (HTTPHeader.Value
		 * MinLength, listType=map, MaxItems, PreciseHostname, Hostname). */
		{ "HTTPRoute header value empty",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{filters: [{type: RequestHeaderModifier, "
		  "requestHeaderModifier: {set: [{name: a, value: \"\"}]}}]}]\n",
		  "t.yaml:21:99: spec.rules[0].filters[0].requestHeaderModifier.set[0].value: "
		  "expected a "
		  "value (at least 1 character), got \"\"" },
		{ "HTTPRoute header name twice",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{filters: [{type: RequestHeaderModifier, "
				      "requestHeaderModifier: {add: [{name: X-A, value: 1}, {name: "
				      "X-A, value: 2}]}}]}]\n",
		  "t.yaml:21:105: spec.rules[0].filters[0].requestHeaderModifier.add[1]: Duplicate "
		  "value: name \"X-A\"" },
		{ "HTTPRoute 17 removes",
		  K8S_BASE ROUTE_HEAD
		  "  parentRefs: [{name: gw}]\n"
		  "  rules: [{filters: [{type: ResponseHeaderModifier, "
		  "responseHeaderModifier: {remove: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]}}]}]\n",
		  "t.yaml:21:86: spec.rules[0].filters[0].responseHeaderModifier.remove: 17 "
		  "headers, "
		  "at most 16" },
		{ "HTTPRoute redirect hostname not lowercase",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{filters: [{type: RequestRedirect, "
				      "requestRedirect: {hostname: Example.ORG}}]}]\n",
		  "t.yaml:21:74: spec.rules[0].filters[0].requestRedirect.hostname: expected a "
		  "host name in lowercase, with no trailing dot (PreciseHostname), got "
		  "\"Example.ORG\"" },
		{ "HTTPRoute hostname an address",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  hostnames: [\"[::1]\"]\n",
		  "t.yaml:21:15: spec.hostnames[0]: expected a lowercase host name such as "
		  "\"app.example.com\" or \"*.example.com\" (Gateway API Hostname), got "
		  "\"[::1]\"" },
		{ "standalone authority",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - policies: {urlRewrite: {authority: {host: a, port: 1}}}\n",
		  "t.yaml:5:42: binds[0].listeners[0].routes[0].policies.urlRewrite.authority: "
		  "expected one of {full: host:port}, {host: name}, {port: n}, auto, none, got a "
		  "map" },
		{ "HTTPRoute path type",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{matches: [{path: {type: Prefix, value: /}}]}]\n",
		  "t.yaml:21:36: spec.rules[0].matches[0].path.type: expected PathPrefix, Exact or "
		  "RegularExpression, got \"Prefix\"" },
		{ "standalone path without slash",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - matches: [{path: {pathPrefix: headers}}]\n",
		  "t.yaml:5:37: binds[0].listeners[0].routes[0].matches[0].path.pathPrefix: "
		  "expected "
		  "a path starting with \"/\", got \"headers\"" },
		{ "YAML syntax error", K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}\n",
		  "t.yaml:21:1: invalid YAML: did not find expected ',' or ']' while parsing a "
		  "flow "
		  "sequence" },
		{ "YAML syntax error after a bad document", "bogus: 1\n---\na: b\n c: d\n",
		  "t.yaml:4:3: invalid YAML: mapping values are not allowed in this context" },
		{ "YAML duplicate key", "binds: []\nbinds: []\n",
		  "t.yaml:2:1: invalid YAML: duplicate key \"binds\" (first at t.yaml:1:1)" },
		{ "Gateway infrastructure (parametersRef)",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
		  "spec:\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		  "  infrastructure: {parametersRef: {group: g, kind: K, name: n}}\n",
		  "t.yaml:6:19: spec.infrastructure: expected nothing here (splicegate listens on "
		  "the host's addresses and has no infrastructure or parametersRef to apply), got "
		  "a "
		  "map" },
		{ "Gateway addresses",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
		  "spec:\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		  "  addresses: [{value: 10.0.0.1}]\n",
		  "t.yaml:6:14: spec.addresses: expected nothing here (splicegate listens on the "
		  "host's addresses and has no infrastructure or parametersRef to apply), got a "
		  "list" },
		{ "Service appProtocol wss",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
		  "spec:\n  ports: [{port: 80, appProtocol: kubernetes.io/wss}]\n",
		  "t.yaml:5:35: spec.ports[0].appProtocol: expected no appProtocol "
		  "\"kubernetes.io/wss\" (TLS to backends is not supported yet), got "
		  "\"kubernetes.io/wss\"" },
		{ "allowedRoutes from",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
		  "spec:\n  listeners: [{name: http, port: 8080, protocol: HTTP,\n"
		  "    allowedRoutes: {namespaces: {from: Some}}}]\n",
		  "t.yaml:6:40: spec.listeners[0].allowedRoutes.namespaces.from: expected Same, "
		  "All "
		  "or Selector, got \"Some\"" },
		{ "parentRef kind",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - {kind: Service, name: svc}\n",
		  "t.yaml:21:12: spec.parentRefs[0].kind: expected Gateway, ListenerSet or "
		  "XListenerSet, got \"Service\"" },
		{ "parentRef XListenerSet without its group",
		  K8S_BASE ROUTE_HEAD "  parentRefs:\n"
				      "  - {kind: XListenerSet, name: ls}\n",
		  "t.yaml:21:5: spec.parentRefs[0]: kind XListenerSet needs group: "
		  "gateway.networking.x-k8s.io (the default group has no XListenerSet)" },
		{ "ReferenceGrant without to",
		  "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
		  "metadata: {name: g}\nspec:\n  from: [{group: '', kind: HTTPRoute, namespace: "
		  "a}]\n",
		  "t.yaml:5:3: spec: missing required field \"to\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* Rules of the Gateway API and agentgateway CRDs the API server enforces
 * (patterns, bounds, CEL), refused by apply as kubectl apply is refused:
 * each was taken before. */
#define GW_LISTENERS(lines)                                                                        \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw, namespace: ns}\n"                                                    \
	"spec:\n"                                                                                  \
	"  listeners:\n" lines
#define RULES(rules) K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n  rules: " rules "\n"
#define AGP(section)                                                                               \
	K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n  " section "\n"
#define AGP_SVC(section)                                                                           \
	K8S_BASE POLICY_HEAD "  targetRefs: [{group: '', kind: Service, name: svc}]\n  " section   \
			     "\n"
#define HDR16                                                                                      \
	"{name: a, value: a}, {name: b, value: b}, {name: c, value: c}, {name: d, value: d}, "     \
	"{name: e, value: e}, {name: f, value: f}, {name: g, value: g}, {name: h, value: h}, "     \
	"{name: i, value: i}, {name: j, value: j}, {name: k, value: k}, {name: l, value: l}, "     \
	"{name: m, value: m}, {name: n, value: n}, {name: o, value: o}, {name: p, value: p}"
#define M8 "{}, {}, {}, {}, {}, {}, {}, {}, "
#define M43 "{matches: [" M8 M8 M8 M8 M8 "{}, {}, {}]}"
#define TLSROUTE(version, hostnames)                                                               \
	K8S_BASE "apiVersion: gateway.networking.k8s.io/" version "\n"                             \
		 "kind: TLSRoute\n"                                                                \
		 "metadata: {name: t, namespace: ns}\n"                                            \
		 "spec: {" hostnames "parentRefs: [{name: gw}], rules: [{backendRefs: [{name: "    \
		 "svc, port: 8000}]}]}\n"
#define BTLS_HOST(host, sans)                                                                      \
	K8S_BASE "apiVersion: gateway.networking.k8s.io/v1\n"                                      \
		 "kind: BackendTLSPolicy\n"                                                        \
		 "metadata: {name: b, namespace: ns}\n"                                            \
		 "spec:\n"                                                                         \
		 "  targetRefs: [{group: '', kind: Service, name: svc}]\n"                         \
		 "  validation: {wellKnownCACertificates: System, hostname: " host sans "}\n"
static void test_config_crd_rules(void **state)
{
	static const struct err_case cases[] = {
		{ "backendRequest longer than request",
		  RULES("[{timeouts: {request: 1s, backendRequest: 2s}}]"),
		  "t.yaml:21:52: spec.rules[0].timeouts.backendRequest: 2s is longer than "
		  "request (1s): backendRequest timeout cannot be longer than request timeout" },
		{ "weight over the maximum",
		  RULES("[{backendRefs: [{name: svc, port: 8000, weight: 1000001}]}]"),
		  "t.yaml:21:58: spec.rules[0].backendRefs[0].weight: expected a weight from "
		  "0 to 1000000, got \"1000001\"" },
		{ "a fraction of a second", RULES("[{timeouts: {request: 1.5s}}]"),
		  "t.yaml:21:32: spec.rules[0].timeouts.request: expected a Gateway API "
		  "duration (1 to 4 parts of up to 5 digits and h, m, s or ms, such as "
		  "\"500ms\" or \"1m30s\"), got \"1.5s\"" },
		{ "a backoff in microseconds", RULES("[{retry: {attempts: 1, backoff: 100us}}]"),
		  "t.yaml:21:42: spec.rules[0].retry.backoff: expected a Gateway API "
		  "duration (1 to 4 parts of up to 5 digits and h, m, s or ms, such as "
		  "\"500ms\" or \"1m30s\"), got \"100us\"" },
		{ "a duration as a map", RULES("[{timeouts: {request: {secs: 1}}}]"),
		  "t.yaml:21:32: spec.rules[0].timeouts.request: expected a Gateway API "
		  "duration (1 to 4 parts of up to 5 digits and h, m, s or ms, such as "
		  "\"500ms\" or \"1m30s\"), got a map" },
		{ "a path with //",
		  RULES("[{matches: [{path: {type: PathPrefix, value: /a//b}}]}]"),
		  "t.yaml:21:55: spec.rules[0].matches[0].path.value: expected a path of at "
		  "most 1024 characters, of RFC 3986 path characters and %XX escapes, with "
		  "no \"//\", \"/./\", \"/../\", \"%2F\" or \"#\" and not ending in \"/.\" "
		  "or \"/..\" (Gateway API HTTPPathMatch), got \"/a//b\"" },
		{ "a path ending in /..",
		  RULES("[{matches: [{path: {type: Exact, value: /a/..}}]}]"),
		  "t.yaml:21:50: spec.rules[0].matches[0].path.value: expected a path of at "
		  "most 1024 characters, of RFC 3986 path characters and %XX escapes, with "
		  "no \"//\", \"/./\", \"/../\", \"%2F\" or \"#\" and not ending in \"/.\" "
		  "or \"/..\" (Gateway API HTTPPathMatch), got \"/a/..\"" },
		{ "a path with an encoded slash",
		  RULES("[{matches: [{path: {type: Exact, value: /a%2Fb}}]}]"),
		  "t.yaml:21:50: spec.rules[0].matches[0].path.value: expected a path of at "
		  "most 1024 characters, of RFC 3986 path characters and %XX escapes, with "
		  "no \"//\", \"/./\", \"/../\", \"%2F\" or \"#\" and not ending in \"/.\" "
		  "or \"/..\" (Gateway API HTTPPathMatch), got \"/a%2Fb\"" },
		{ "a path with a space", RULES("[{matches: [{path: {value: '/a b'}}]}]"),
		  "t.yaml:21:37: spec.rules[0].matches[0].path.value: expected a path of at "
		  "most 1024 characters, of RFC 3986 path characters and %XX escapes, with "
		  "no \"//\", \"/./\", \"/../\", \"%2F\" or \"#\" and not ending in \"/.\" "
		  "or \"/..\" (Gateway API HTTPPathMatch), got \"/a b\"" },
		{ "two rules of one name", RULES("[{name: a}, {name: a}]"),
		  "t.yaml:21:29: spec.rules[1].name: \"a\" is spec.rules[0]'s already: rule "
		  "names are unique in a route" },
		{ "a Gateway and one of its listeners",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}, {name: gw, sectionName: http}]\n",
		  "t.yaml:20:28: spec.parentRefs[1]: names the parent of spec.parentRefs[0]: "
		  "sectionName or port must be specified when parentRefs includes 2 or more "
		  "references to the same parent" },
		{ "one listener twice",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw, sectionName: http}, {name: gw, "
				      "sectionName: http, group: gateway.networking.k8s.io}]\n",
		  "t.yaml:20:47: spec.parentRefs[1]: names the parent of spec.parentRefs[0]: "
		  "sectionName or port must be unique when parentRefs includes 2 or more "
		  "references to the same parent" },
		{ "two listeners of one name",
		  GW_LISTENERS("  - {name: a, port: 80, protocol: HTTP}\n"
			       "  - {name: a, port: 81, protocol: HTTP}\n"),
		  "t.yaml:7:12: spec.listeners[1].name: \"a\" is spec.listeners[0]'s "
		  "already: listener names are unique in a Gateway" },
		{ "two listeners of one port, protocol and hostname",
		  GW_LISTENERS("  - {name: a, port: 80, protocol: HTTP, hostname: x.example}\n"
			       "  - {name: b, port: 80, protocol: HTTP, hostname: x.example}\n"),
		  "t.yaml:7:5: spec.listeners[1]: the port, protocol and hostname of "
		  "spec.listeners[0]: their combination is unique for each listener of a "
		  "Gateway" },
		{ "a listener hostname in capitals",
		  GW_LISTENERS("  - {name: a, port: 80, protocol: HTTP, hostname: X.example}\n"),
		  "t.yaml:6:51: spec.listeners[0].hostname: expected a lowercase host name "
		  "such as \"app.example.com\" or \"*.example.com\" (Gateway API Hostname), "
		  "got \"X.example\"" },
		{ "a TCP listener with a hostname",
		  GW_LISTENERS("  - {name: a, port: 80, protocol: TCP, hostname: x.example}\n"),
		  "t.yaml:6:50: spec.listeners[0].hostname: expected no hostname on a TCP "
		  "listener (it takes connections, not host names), got \"x.example\"" },
		{ "connectTimeout under 100ms", AGP_SVC("backend: {tcp: {connectTimeout: 50ms}}"),
		  "t.yaml:21:35: spec.backend.tcp.connectTimeout: expected a duration of at "
		  "least 100ms, got \"50ms\"" },
		{ "keepalive time under 1s", AGP("frontend: {tcp: {keepalive: {time: 500ms}}}"),
		  "t.yaml:21:38: spec.frontend.tcp.keepalive.time: expected a duration of at "
		  "least 1s, got \"500ms\"" },
		{ "keepalive retries 0", AGP("frontend: {tcp: {keepalive: {retries: 0}}}"),
		  "t.yaml:21:41: spec.frontend.tcp.keepalive.retries: expected a whole "
		  "number from 1 to 64, got \"0\"" },
		{ "http1IdleTimeout under 1s", AGP("frontend: {http: {http1IdleTimeout: 500ms}}"),
		  "t.yaml:21:39: spec.frontend.http.http1IdleTimeout: expected a duration of "
		  "at least 1s, got \"500ms\"" },
		{ "policy request timeout 0s", AGP("traffic: {timeouts: {request: 0s}}"),
		  "t.yaml:21:33: spec.traffic.timeouts.request: expected a duration of at "
		  "least 1ms, got \"0s\"" },
		{ "backend requestTimeout with a fraction",
		  AGP_SVC("backend: {http: {requestTimeout: 1.5s}}"),
		  "t.yaml:21:36: spec.backend.http.requestTimeout: expected a Gateway API "
		  "duration (1 to 4 parts of up to 5 digits and h, m, s or ms, such as "
		  "\"500ms\" or \"1m30s\"), got \"1.5s\"" },
		{ "BackendTLSPolicy hostname a wildcard", BTLS_HOST("'*.b.test'", ""),
		  "t.yaml:21:59: spec.validation.hostname: expected a lowercase host name "
		  "such as \"backend.example.com\" (Gateway API PreciseHostname: no "
		  "wildcard, no IP address), got \"*.b.test\"" },
		{ "BackendTLSPolicy hostname an IP address", BTLS_HOST("10.0.0.1", ""),
		  "t.yaml:21:59: spec.validation.hostname: expected a lowercase host name "
		  "such as \"backend.example.com\" (Gateway API PreciseHostname: no "
		  "wildcard, no IP address), got \"10.0.0.1\"" },
		{ "BackendTLSPolicy hostname in capitals", BTLS_HOST("B.test", ""),
		  "t.yaml:21:59: spec.validation.hostname: expected a lowercase host name "
		  "such as \"backend.example.com\" (Gateway API PreciseHostname: no "
		  "wildcard, no IP address), got \"B.test\"" },
		{ "a TLSRoute v1 without hostnames", TLSROUTE("v1", ""),
		  "t.yaml:19:7: spec: missing required field \"hostnames\" (a TLSRoute of "
		  "gateway.networking.k8s.io/v1 names 1 to 1024 SNI host names)" },
		{ "a TLSRoute v1 with no hostname", TLSROUTE("v1", "hostnames: [], "),
		  "t.yaml:19:19: spec.hostnames: expected 1 to 1024 SNI host names (a "
		  "TLSRoute of gateway.networking.k8s.io/v1), got an empty list" },
		{ "a redirect hostname with a trailing dot",
		  RULES("[{filters: [{type: RequestRedirect, requestRedirect: {hostname: "
			"a.example.}}]}]"),
		  "t.yaml:21:74: spec.rules[0].filters[0].requestRedirect.hostname: expected a "
		  "host name in lowercase, with no trailing dot (PreciseHostname), got "
		  "\"a.example.\"" },
		{ "a rewrite hostname with a trailing dot",
		  RULES("[{filters: [{type: URLRewrite, urlRewrite: {hostname: a.example.}}]}]"),
		  "t.yaml:21:64: spec.rules[0].filters[0].urlRewrite.hostname: expected a host "
		  "name in lowercase, with no trailing dot (PreciseHostname), got "
		  "\"a.example.\"" },
		{ "17 rules",
		  RULES("[{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]"),
		  "t.yaml:21:10: spec.rules: expected 0 to 16 items (the HTTPRoute CRD's bounds), "
		  "got 17" },
		{ "17 headers in a match",
		  RULES("[{}, {matches: [{}, {headers: [" HDR16 ", {name: q, value: q}]}]}]"),
		  "t.yaml:21:40: spec.rules[1].matches[1].headers: expected 0 to 16 items (the "
		  "HTTPRoute CRD's bounds), got 17" },
		{ "a Gateway without listeners",
		  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
		  "metadata: {name: gw, namespace: ns}\nspec: {listeners: []}\n",
		  "t.yaml:4:19: spec.listeners: expected 1 to 64 items (the Gateway CRD's bounds), "
		  "got 0" },
		{ "129 matches over three rules", RULES("[" M43 ", " M43 ", " M43 "]"),
		  "t.yaml:21:10: spec.rules: expected at most 128 matches over all rules (the "
		  "HTTPRoute CRD's bound), got 129" },
		{ "BackendTLSPolicy SAN hostname in capitals",
		  BTLS_HOST("b.test", ", subjectAltNames: [{type: Hostname, hostname: B.test}]"),
		  "t.yaml:21:112: spec.validation.subjectAltNames[0].hostname: expected a "
		  "lowercase host name such as \"app.example.com\" or \"*.example.com\" "
		  "(Gateway API Hostname), got \"B.test\"" },
	};
	struct loaded *l = *state;

	expect_errors(l, cases, ARRAY_LEN(cases));
	/* At the bounds, and a request of 0s (no timeout) bounds no try. */
	load_ok(l,
		GW_LISTENERS("  - {name: a, port: 80, protocol: HTTP, hostname: ''}\n"
			     "  - {name: b, port: 81, protocol: TCP, hostname: ''}\n"),
		0);
	load_ok(l, RULES("[{timeouts: {request: 2s, backendRequest: 2s}}]"), 0);
	load_ok(l, RULES("[{timeouts: {request: 0s, backendRequest: 1h30m}}]"), 0);
	load_ok(l, RULES("[{backendRefs: [{name: svc, port: 8000, weight: 1000000}]}]"), 0);
	load_ok(l, RULES("[{matches: [{path: {type: RegularExpression, value: '/a//b.*'}}]}]"), 0);
	load_ok(l, RULES("[{name: a}, {name: b}, {}, {}]"), 0);
	load_ok(l,
		K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw, sectionName: http}, {name: gw, "
				    "sectionName: other}, {name: gw, namespace: other}]\n",
		2);
	load_ok(l, AGP("frontend: {tcp: {keepalive: {time: 1s, interval: 1s, retries: 64}}}"), 0);
	load_ok(l, AGP_SVC("backend: {tcp: {connectTimeout: 100ms}, http: {requestTimeout: 1ms}}"),
		0);
	load_ok(l,
		BTLS_HOST("b.test", ", subjectAltNames: [{type: Hostname, hostname: '*.b.test'}]"),
		0);
	/* (the Gateway has no TLS listener for them: not attached) */
	load_ok(l, RULES("[{}, {matches: [{}, {headers: [" HDR16 "]}]}]"), 0);
	load_ok(l, RULES("[" M43 ", " M43 ", {matches: [" M8 M8 M8 M8 M8 "{}, {}]}]"), 0);
	load_ok(l, TLSROUTE("v1alpha2", ""), 1);
	load_ok(l, TLSROUTE("v1alpha3", ""), 1);
	load_ok(l, TLSROUTE("v1", "hostnames: [a.example], "), 1);
	load_ok(l,
		RULES("[{filters: [{type: RequestRedirect, requestRedirect: {hostname: "
		      "a.example}}]}]"),
		0);
}

static void test_config_rejects_null_match_values(void **state)
{
	/* No default to fall back on: a null here is an error. */
	static const struct err_case cases[] = {
		{ "null path",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - matches: [{path: {exact: ~}}]\n",
		  "t.yaml:5:32: binds[0].listeners[0].routes[0].matches[0].path.exact: expected a "
		  "path starting with \"/\", got null" },
		{ "null header value",
		  "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		  "    - matches: [{headers: [{name: x, value: {exact: }}]}]\n",
		  "t.yaml:5:53: binds[0].listeners[0].routes[0].matches[0].headers[0].value.exact: "
		  "expected a string, got null" },
		{ "null kubernetes header value",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules: [{matches: [{headers: [{name: x, value: ~}]}]}]\n",
		  "t.yaml:21:33: spec.rules[0].matches[0].headers[0]: missing required field "
		  "\"value\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_rejects_bad_hosts_and_codes(void **state)
{
	static const struct err_case cases[] = {
		{ "nohost",
		  "binds:\n"
		  "- port: 8080\n"
		  "  listeners:\n"
		  "  - routes:\n"
		  "    - backends:\n"
		  "      - host: nohost\n",
		  "t.yaml:6:15: binds[0].listeners[0].routes[0].backends[0].host: expected "
		  "\"address:port\" such as \"127.0.0.1:8000\", got \"nohost\"" },
		{ "no port",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: 'a:'}]}]\n",
		  "t.yaml:4:33: binds[0].listeners[0].routes[0].backends[0].host: expected "
		  "\"address:port\" such as \"127.0.0.1:8000\", got \"a:\"" },
		{ "port 0",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: 'a:0'}]}]\n",
		  "t.yaml:4:33: binds[0].listeners[0].routes[0].backends[0].host: expected "
		  "\"address:port\" such as \"127.0.0.1:8000\", got \"a:0\"" },
		{ "no address",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: ':80'}]}]\n",
		  "t.yaml:4:33: binds[0].listeners[0].routes[0].backends[0].host: expected "
		  "\"address:port\" such as \"127.0.0.1:8000\", got \":80\"" },
		{ "unclosed v6",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: "
		  "'[::1:80'}]}]\n",
		  "t.yaml:4:33: binds[0].listeners[0].routes[0].backends[0].host: expected "
		  "\"address:port\" such as \"127.0.0.1:8000\", got \"[::1:80\"" },
#define BAD_HOST(what, host)                                                                       \
	{ what,                                                                                    \
	  "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: '" host             \
	  ":80'}]}]\n",                                                                            \
	  "t.yaml:4:33: binds[0].listeners[0].routes[0].backends[0].host: \"" host                 \
	  "\" is not a host name (RFC 1123), an IPv4 address or an IPv6 address in brackets; "     \
	  "expected \"address:port\" such as \"127.0.0.1:8000\", \"web.internal:8080\" or "        \
	  "\"[::1]:8000\"" }
		BAD_HOST("space", "a b"),
		BAD_HOST("underscore", "a_b"),
		BAD_HOST("leading dash", "-a.example"),
		BAD_HOST("trailing dash", "a-.example"),
		BAD_HOST("empty label", "a..example"),
		BAD_HOST("numeric last label", "1.2.3"),
		BAD_HOST("IPv4 out of range", "1.2.3.256"),
		BAD_HOST("IPv6 without brackets", "::1"),
		BAD_HOST("bad IPv6", "[::g]"),
		BAD_HOST("label of 64",
			 "a234567890123456789012345678901234567890123456789012345678901234"),
		BAD_HOST("slash", "a/b"),
		BAD_HOST("at", "u@a"),
#undef BAD_HOST
		{ "externalName with a space",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n"
		  "  externalName: a b.example\n",
		  "t.yaml:5:17: spec.externalName: expected a host name (RFC 1123) or an IPv4 "
		  "address, got \"a b.example\"" },
		{ "status 42",
		  "binds:\n"
		  "- port: 8080\n"
		  "  listeners:\n"
		  "  - routes:\n"
		  "    - policies:\n"
		  "        retry: {codes: [503, 42]}\n"
		  "      backends:\n"
		  "      - host: 127.0.0.1:8000\n",
		  "t.yaml:6:30: binds[0].listeners[0].routes[0].policies.retry.codes[1]: expected "
		  "an "
		  "HTTP status code from 100 to 599, got \"42\"" },
		{ "status 600",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{policies: {retry: {codes: "
		  "[600]}}}]\n",
		  "t.yaml:4:42: binds[0].listeners[0].routes[0].policies.retry.codes[0]: expected "
		  "an "
		  "HTTP status code from 100 to 599, got \"600\"" },
		/* agentgateway's NonZeroU8: 0 and 256 were taken (256 tries
		 * of a request, where agentgateway refuses the config). */
		{ "standalone attempts 0",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{policies: {retry: {attempts: "
		  "0}}}]\n",
		  "t.yaml:4:44: binds[0].listeners[0].routes[0].policies.retry.attempts: expected "
		  "a "
		  "whole number from 1 to 255, got \"0\"" },
		{ "standalone attempts 256",
		  "binds:\n- port: 8080\n  listeners:\n  - routes: [{policies: {retry: {attempts: "
		  "256}}}]\n",
		  "t.yaml:4:44: binds[0].listeners[0].routes[0].policies.retry.attempts: expected "
		  "a "
		  "whole number from 1 to 255, got \"256\"" },
		{ "kubernetes status 42",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - retry:\n"
				      "      codes:\n"
				      "      - 42\n",
		  "t.yaml:24:9: spec.rules[0].retry.codes[0]: expected an HTTP status code from "
		  "100 "
		  "to 599, got \"42\"" },
		{ "kubernetes policy status as text",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic: {retry: {codes: [Unavailable]}}\n",
		  "t.yaml:21:29: spec.traffic.retry.codes[0]: expected an HTTP status code from "
		  "100 "
		  "to 599, got \"Unavailable\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_accepts_good_hosts(void **state)
{
	static const char *const hosts[] = {
		"127.0.0.1:8000",
		"localhost:80",
		"web.internal:8080",
		"a-b.example.:80",
		"x1.example:1",
		"1a:80",
		"[::1]:8000",
		"[fe80::1%eth0]:80",
		"[2001:db8::1]:443",
		"a23456789012345678901234567890123456789012345678901234567890123.example:80",
	};
	struct loaded *l = *state;
	char text[512];

	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		snprintf(text, sizeof(text),
			 "binds:\n- port: 8080\n  listeners:\n  - routes: [{backends: [{host: "
			 "'%s'}]}]\n",
			 hosts[i]);
		load_ok(l, text, 0);
	}
	load_ok(l,
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n"
		"  externalName: web.example.com\n  ports: [{port: 80}]\n",
		0);
}

static void test_config_rejects_bad_policy_targets(void **state)
{
	static const struct err_case cases[] = {
		{ "no targetRefs",
		  K8S_BASE POLICY_HEAD "  frontend: {http: {http1IdleTimeout: 1s}}\n",
		  "t.yaml:20:3: spec: missing required field \"targetRefs\"" },
		{ "null targetRefs",
		  K8S_BASE POLICY_HEAD "  targetRefs:\n"
				       "  frontend: {http: {http1IdleTimeout: 1s}}\n",
		  "t.yaml:20:3: spec: missing required field \"targetRefs\"" },
		{ "empty targetRefs",
		  K8S_BASE POLICY_HEAD "  targetRefs: []\n"
				       "  frontend: {http: {http1IdleTimeout: 1s}}\n",
		  "t.yaml:20:15: spec.targetRefs: expected at least one target, got an empty "
		  "list" },
		{ "targetRefs a map",
		  K8S_BASE POLICY_HEAD "  targetRefs: {kind: Gateway, name: gw}\n"
				       "  frontend: {http: {http1IdleTimeout: 1s}}\n",
		  "t.yaml:20:15: spec.targetRefs: expected a list, got a map" },
		{ "frontend policy on an HTTPRoute",
		  K8S_BASE POLICY_HEAD "  targetRefs:\n"
				       "  - kind: HTTPRoute\n"
				       "    name: r\n"
				       "  frontend:\n"
				       "    http:\n"
				       "      http1IdleTimeout: 1s\n",
		  "t.yaml:21:11: spec.targetRefs[0].kind: expected Gateway (the target of a "
		  "frontend "
		  "policy), got \"HTTPRoute\"" },
		{ "frontend policy on a Service",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Service, name: svc}]\n"
				       "  frontend: {tcp: {keepalive: {}}}\n",
		  "t.yaml:20:23: spec.targetRefs[0].kind: expected Gateway (the target of a "
		  "frontend policy), got \"Service\"" },
		{ "traffic policy on a Service",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Service, name: svc}]\n"
				       "  traffic: {timeouts: {request: 1s}}\n",
		  "t.yaml:20:23: spec.targetRefs[0].kind: expected Gateway, ListenerSet, HTTPRoute "
		  "or GRPCRoute (the target of a traffic policy), got \"Service\"" },
		{ "frontend policy on a ListenerSet",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: ListenerSet, name: ls}]\n"
				       "  frontend: {tcp: {keepalive: {}}}\n",
		  "t.yaml:20:23: spec.targetRefs[0].kind: expected Gateway (the target of a "
		  "frontend policy), got \"ListenerSet\"" },
		{ "backend policy on a Gateway",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  backend: {http: {requestTimeout: 1s}}\n",
		  "t.yaml:20:23: spec.targetRefs[0].kind: expected Service (the target of a "
		  "backend "
		  "policy), got \"Gateway\"" },
		{ "unknown target kind",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: ConfigMap, name: x}]\n"
				       "  traffic: {timeouts: {request: 1s}}\n",
		  "t.yaml:20:23: spec.targetRefs[0].kind: expected Gateway, ListenerSet, "
		  "HTTPRoute, "
		  "GRPCRoute or Service, got \"ConfigMap\"" },
		{ "no settings", K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n",
		  "t.yaml:20:3: spec: expected at least one of frontend, traffic, backend "
		  "settings, "
		  "got a map" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

static void test_config_reports_first_failing_kind_only(void **state)
{
	/* A broken Service stops the build before routes that use it, so one
	 * mistake is one line, not a cascade. */
	static const struct err_case cases[] = {
		{ "bad Service, route to it",
		  "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: ns}\n"
		  "spec: {ports: [{port: 8000}], bogus: 1}\n"
		  "---\n"
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: Gateway\n"
		  "metadata: {name: gw, namespace: ns}\n"
		  "spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}\n"
		  "---\n"
		  "apiVersion: gateway.networking.k8s.io/v1\n"
		  "kind: HTTPRoute\n"
		  "metadata: {name: r, namespace: ns}\n"
		  "spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: svc, port: "
		  "8000}]}]}\n",
		  "t.yaml:4:31: spec: unknown field \"bogus\", expected one of: clusterIP, "
		  "externalName, ports, clusterIPs, type, selector, sessionAffinity, ipFamilies, "
		  "ipFamilyPolicy, internalTrafficPolicy" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

/* ---- backend health --------------------------------------------------- */

#define HEALTH_STANDALONE(policy)                                                                  \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - routes:\n"                                                                            \
	"    - backends:\n"                                                                        \
	"      - host: 127.0.0.1:8000\n"                                                           \
	"        policies:\n"                                                                      \
	"          health:\n" policy

static void test_config_health_standalone(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		HEALTH_STANDALONE("            unhealthyExpression: \"response.code >= 500 && "
				  "response.code != 503 || response.code == 429\"\n"
				  "            eviction: {duration: 5s, consecutiveFailures: 3, "
				  "healthThreshold: 0.5, restoreHealth: 0.25}\n"),
		0);
	const struct sg_backend_ref *br = &cfg->binds[0].listeners[0].routes[0].backends.v[0];
	const struct sg_health_policy *h = br->health;

	assert_non_null(h);
	assert_ptr_equal(br->eff_health, h);
	assert_true(h->has_eviction);
	assert_int_equal(h->duration, SG_DUR_S(5));
	assert_int_equal(h->consecutive_failures, 3);
	assert_true(h->health_threshold == 0.5);
	assert_true(h->restore_health == 0.25);
	assert_int_equal(h->nterms, 3);
	assert_int_equal(h->terms[0].op, SG_CODE_GE);
	assert_int_equal(h->terms[1].op, SG_CODE_NE);
	assert_false(h->terms[1].or_before);
	assert_int_equal(h->terms[2].value, 429);
	assert_true(h->terms[2].or_before);

	/* Nothing but the key: no expression, no eviction section. */
	cfg = load_ok(l, HEALTH_STANDALONE("            {}\n"), 0);
	h = cfg->binds[0].listeners[0].routes[0].backends.v[0].health;
	assert_non_null(h);
	assert_false(h->has_eviction);
	assert_null(h->unhealthy_expression);
	assert_int_equal(h->duration, SG_DUR_UNSET);
}

/* The JSON text without the whitespace outside strings, in place. */
static char *squash(char *s)
{
	bool in_str = false;
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r == '"' && (r == s || r[-1] != '\\'))
			in_str = !in_str;
		if (!in_str && (*r == ' ' || *r == '\n' || *r == '\t'))
			continue;
		*w++ = *r;
	}
	*w = '\0';
	return s;
}

/* cfg's config_dump, blanks squashed, must contain `want` (else the dump
 * is printed and the test fails with `why`). */
static void dump_has(const struct sg_cfg *cfg, const char *want, const char *why)
{
	char *dump = sg_dump_config(cfg);

	assert_non_null(dump);
	if (!strstr(squash(dump), want)) {
		print_message("%s\n", dump);
		fail_msg("%s", why);
	}
	free(dump);
}

/* Dumped as agentgateway serializes health::Policy: camelCase, unset
 * fields skipped, scores 0..1. */
static void test_config_health_dump(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		HEALTH_STANDALONE(
			"            unhealthyExpression: response.code >= 500\n"
			"            eviction: {consecutiveFailures: 2, restoreHealth: 0.5}\n"),
		0);
	dump_has(cfg,
		 "\"health\":{\"unhealthyExpression\":\"response.code >= "
		 "500\",\"eviction\":{\"restoreHealth\":0.5,\"consecutiveFailures\":2}}",
		 "health not dumped as agentgateway does");
}

/* config_dump shows a ListenerSet's listener as agentgateway does: keyed
 * ns/listenerset.listener, its Gateway's names, and listenerSet. */
static void test_config_listenerset_dump(void **state)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  allowedListeners: {namespaces: {from: All}}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: ListenerSet\n"
		"metadata: {name: ls, namespace: app}\n"
		"spec:\n"
		"  parentRef: {name: gw, namespace: ns}\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP, hostname: a.example}]\n";
	struct loaded *l = *state;
	char *dump = sg_dump_config(load_ok(l, text, 0));

	assert_non_null(dump);
	if (!strstr(squash(dump), "\"app/ls.http\":{\"key\":\"app/ls.http\",\"gatewayName\":\"gw\","
				  "\"gatewayNamespace\":\"ns\",\"listenerName\":\"http\","
				  "\"listenerSet\":{\"name\":\"ls\",\"namespace\":\"app\"},"
				  "\"hostname\":\"a.example\"")) {
		print_message("%s\n", dump);
		fail_msg("the ListenerSet's listener is not dumped as agentgateway does");
	}
	free(dump);
}

/* timeout.responseIdleTimeout (standalone) and traffic.timeouts.responseIdle
 * (AgentgatewayPolicy): parsed next to the request timeouts, effective on
 * the route, dumped only when set. */
static void test_config_response_idle_standalone(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg =
		load_ok(l,
			"binds:\n"
			"- port: 8080\n"
			"  listeners:\n"
			"  - routes:\n"
			"    - policies:\n"
			"        timeout: {requestTimeout: 5s, responseIdleTimeout: 1500ms}\n"
			"      backends: [{host: 127.0.0.1:8000}]\n"
			"    - policies:\n"
			"        timeout: {requestTimeout: 5s}\n"
			"      backends: [{host: 127.0.0.1:8000}]\n",
			0);
	const struct sg_route *r = &cfg->binds[0].listeners[0].routes[0];
	const struct sg_route *plain = &cfg->binds[0].listeners[0].routes[1];
	char *dump;

	assert_int_equal(r->timeout.response_idle, 1500 * MS);
	assert_int_equal(r->eff_timeout.response_idle, 1500 * MS);
	assert_int_equal(r->eff_timeout.request, 5 * SEC);
	assert_int_equal(plain->eff_timeout.response_idle, SG_DUR_UNSET);
	dump = sg_dump_config(cfg);
	assert_non_null(dump);
	squash(dump);
	if (!strstr(dump,
		    "\"timeout\":{\"requestTimeout\":\"5s\",\"responseIdleTimeout\":\"1.5s\"}") ||
	    !strstr(dump, "\"timeout\":{\"requestTimeout\":\"5s\"}")) {
		print_message("%s\n", dump);
		fail_msg("responseIdleTimeout not dumped in the timeout object, or dumped unset");
	}
	free(dump);
}

static void test_config_response_idle_k8s(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg =
		load_ok(l,
			K8S_BASE ROUTE_HEAD
			"  parentRefs: [{name: gw}]\n"
			"  rules:\n"
			"  - backendRefs: [{name: svc, port: 8000}]\n"
			"    timeouts: {request: 1s}\n"
			"---\n" POLICY_HEAD
			"  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "
			"name: r}]\n"
			"  traffic: {timeouts: {backendRequest: 3s, responseIdle: 2s}}\n",
			0);
	const struct sg_listener *ls = find_listener(cfg, "ns/gw.http");
	const struct sg_route *r = &ls->routes[0];
	const struct sg_policy *p = NULL;

	for (size_t i = 0; i < cfg->npolicies; i++)
		if (cfg->policies[i].kind == SG_POL_TIMEOUT)
			p = &cfg->policies[i];
	assert_non_null(p);
	assert_int_equal(p->u.timeout.response_idle, 2 * SEC);
	assert_int_equal(p->u.timeout.backend_request, 3 * SEC);
	/* The rule's own timeouts win, as a whole; they have no idle key, so
	 * the policy's still holds. */
	assert_int_equal(r->eff_timeout.request, SEC);
	assert_int_equal(r->eff_timeout.backend_request, SG_DUR_UNSET);
	assert_int_equal(r->eff_timeout.response_idle, 2 * SEC);
	dump_has(cfg, "\"responseIdleTimeout\":\"2s\"", "traffic.timeouts.responseIdle not dumped");
}

static void test_config_response_idle_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "HTTPRoute has no idle timeout",
		  K8S_BASE ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
				      "  rules:\n"
				      "  - timeouts: {responseIdle: 1s}\n",
		  "t.yaml:22:16: spec.rules[0].timeouts: unknown field \"responseIdle\", expected "
		  "one of: request, backendRequest" },
		{ "not a duration",
		  K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic: {timeouts: {responseIdle: soon}}\n",
		  "t.yaml:21:38: spec.traffic.timeouts.responseIdle: expected a duration such as "
		  "\"500ms\" or \"1s\", got \"soon\"" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

#define RL_STANDALONE(limit)                                                                       \
	"binds:\n"                                                                                 \
	"- port: 8080\n"                                                                           \
	"  listeners:\n"                                                                           \
	"  - routes:\n"                                                                            \
	"    - policies: {localRateLimit: [" limit "]}\n"                                          \
	"      backends: [{host: 127.0.0.1:1}]\n"
#define RL_K8S(rate_limit)                                                                         \
	K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"                         \
			     "  traffic: {rateLimit: " rate_limit "}\n"

/* Local rate limits that agentgateway (its limiter's builder) or the
 * AgentgatewayPolicy CRD refuses, refused with the reason. */
static void test_config_ratelimit_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "maxTokens below tokensPerFill",
		  RL_STANDALONE("{maxTokens: 1, tokensPerFill: 2, fillInterval: 1s}"),
		  "t.yaml:5:35: binds[0].listeners[0].routes[0].policies.localRateLimit[0]: "
		  "maxTokens (1) cannot be less than tokensPerFill (2)" },
		{ "fillInterval 0", RL_STANDALONE("{maxTokens: 1, fillInterval: 0s}"),
		  "t.yaml:5:35: binds[0].listeners[0].routes[0].policies.localRateLimit[0]: "
		  "fillInterval must be longer than 0" },
		{ "17 limits",
		  RL_STANDALONE("{fillInterval: 1s}, {fillInterval: 1s}, {fillInterval: 1s}, "
				"{fillInterval: 1s}, {fillInterval: 1s}, {fillInterval: 1s}, "
				"{fillInterval: 1s}, {fillInterval: 1s}, {fillInterval: 1s}, "
				"{fillInterval: 1s}, {fillInterval: 1s}, {fillInterval: 1s}, "
				"{fillInterval: 1s}, {fillInterval: 1s}, {fillInterval: 1s}, "
				"{fillInterval: 1s}, {fillInterval: 1s}"),
		  "t.yaml:5:355: binds[0].listeners[0].routes[0].policies.localRateLimit[16]: at "
		  "most 16 rate limits" },
		{ "a unit of days", RL_K8S("{local: [{requests: 1, unit: Days}]}"),
		  "t.yaml:21:53: spec.traffic.rateLimit.local[0].unit: expected Seconds, Minutes "
		  "or Hours, got \"Days\"" },
		{ "neither requests nor tokens", RL_K8S("{local: [{unit: Hours}]}"),
		  "t.yaml:21:33: spec.traffic.rateLimit.local[0]: expected exactly one of "
		  "requests, tokens, got a map" },
		{ "requests 0", RL_K8S("{local: [{requests: 0, unit: Hours}]}"),
		  "t.yaml:21:44: spec.traffic.rateLimit.local[0].requests: expected a whole number "
		  "from 1 to 4294967295, got \"0\"" },
		{ "a burst over the CRD's int32",
		  RL_K8S("{local: [{requests: 1, unit: Hours, burst: 2147483648}]}"),
		  "t.yaml:21:67: spec.traffic.rateLimit.local[0].burst: expected a whole number "
		  "from "
		  "0 to 2147483647, got \"2147483648\"" },
		{ "no unit", RL_K8S("{local: [{requests: 1}]}"),
		  "t.yaml:21:33: spec.traffic.rateLimit.local[0]: missing required field "
		  "\"unit\"" },
		{ "an empty list", RL_K8S("{local: []}"),
		  "t.yaml:21:32: spec.traffic.rateLimit.local: expected at least one limit, got "
		  "an empty list" },
		{ "global without descriptors",
		  RL_K8S("{global: {domain: d, url: 'http://127.0.0.1:1'}}"),
		  "t.yaml:21:33: spec.traffic.rateLimit.global: missing required field "
		  "\"descriptors\"" },
		{ "global by a backendRef without its port",
		  RL_K8S("{global: {domain: d, backendRef: {name: rl}, descriptors: "
			 "[{entries: [{name: a, expression: request.path}]}]}}"),
		  "t.yaml:21:57: spec.traffic.rateLimit.global.backendRef: missing required field "
		  "\"port\"" },
		{ "global by url and backendRef",
		  RL_K8S("{global: {domain: d, url: 'http://127.0.0.1:1', backendRef: {name: rl, "
			 "port: 1}, descriptors: [{entries: [{name: a, expression: "
			 "request.path}]}]}}"),
		  "t.yaml:21:33: spec.traffic.rateLimit.global: give exactly one of url and "
		  "backendRef" },
		{ "global counting tokens",
		  RL_K8S("{global: {domain: d, url: 'http://127.0.0.1:1', descriptors: "
			 "[{entries: [{name: a, expression: request.path}], unit: Tokens}]}}"),
		  "t.yaml:21:141: spec.traffic.rateLimit.global.descriptors[0].unit: not supported "
		  "(LLM token limits are not implemented)" },
		{ "conditional", RL_K8S("{conditional: []}"),
		  "t.yaml:21:38: spec.traffic.rateLimit.conditional: not supported (CEL "
		  "conditions); use local or global" },
	};

	expect_errors(*state, cases, ARRAY_LEN(cases));
}

#define HEALTH_K8S(eviction)                                                                       \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: s, namespace: ns}\n"                                                     \
	"spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80}]}\n"                           \
	"---\n"                                                                                    \
	"apiVersion: agentgateway.dev/v1alpha1\n"                                                  \
	"kind: AgentgatewayPolicy\n"                                                               \
	"metadata: {name: h, namespace: ns}\n"                                                     \
	"spec:\n"                                                                                  \
	"  targetRefs: [{group: \"\", kind: Service, name: s}]\n"                                  \
	"  backend:\n"                                                                             \
	"    health:\n"                                                                            \
	"      unhealthyCondition: response.code == 503\n"                                         \
	"      eviction: " eviction "\n"

/* AgentgatewayPolicy backend.health: the CRD's 0..100 scores divided by
 * 100 and its 3s default duration, as agentgateway's controller sends
 * them; keyed <ns>/<name>:health. */
static void test_config_health_k8s(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l, HEALTH_K8S("{healthThreshold: 40, restoreHealth: 100}"), 0);
	const struct sg_policy *p = find_policy(cfg, "backend/ns/h:health:ns/s");

	assert_int_equal(p->kind, SG_POL_BACKEND_HEALTH);
	assert_string_equal(p->u.health->unhealthy_expression, "response.code == 503");
	assert_true(p->u.health->health_threshold == 0.4);
	assert_true(p->u.health->restore_health == 1.0);
	assert_int_equal(p->u.health->duration, SG_DUR_S(3));
	assert_int_equal(p->u.health->consecutive_failures, SG_UNSET);
}

static void test_config_health_rejects_bad_values(void **state)
{
	static const struct err_case cases[] = {
		{ "not an expression splicegate evaluates",
		  HEALTH_STANDALONE("            unhealthyExpression: request.path == '/x'\n"),
		  "t.yaml:9:34: binds[0].listeners[0].routes[0].backends[0].policies.health."
		  "unhealthyExpression: expected an expression splicegate evaluates: comparisons "
		  "of response.code with a number joined by && and ||, such as \"response.code "
		  ">= 500\", got \"request.path == '/x'\"" },
		{ "threshold over 1",
		  HEALTH_STANDALONE("            eviction: {healthThreshold: 1.5}\n"),
		  "t.yaml:9:41: binds[0].listeners[0].routes[0].backends[0].policies.health."
		  "eviction.healthThreshold: expected a number from 0.0 to 1.0, got \"1.5\"" },
		{ "negative failures",
		  HEALTH_STANDALONE("            eviction: {consecutiveFailures: -1}\n"),
		  "t.yaml:9:45: binds[0].listeners[0].routes[0].backends[0].policies.health."
		  "eviction.consecutiveFailures: expected a whole number from 0 to 2147483647, "
		  "got \"-1\"" },
		{ "unknown key", HEALTH_STANDALONE("            eviction: {maxEjection: 1}\n"),
		  "t.yaml:9:24: binds[0].listeners[0].routes[0].backends[0].policies.health."
		  "eviction: unknown field \"maxEjection\", expected one of: duration, "
		  "restoreHealth, consecutiveFailures, healthThreshold" },
		{ "k8s score over 100", HEALTH_K8S("{restoreHealth: 101}"),
		  "t.yaml:14:33: spec.backend.health.eviction.restoreHealth: expected a whole "
		  "number from 0 to 100, got \"101\"" },
		{ "k8s duration under 1s", HEALTH_K8S("{duration: 500ms}"),
		  "t.yaml:14:28: spec.backend.health.eviction.duration: expected a duration of at "
		  "least 1s, got \"500ms\"" },
	};

	expect_errors(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- AgentgatewayPolicy extAuth, phase and secretSelector ------------- */

/* K8S_BASE, then an AgentgatewayPolicy p aimed at Gateway gw whose
 * spec.traffic is TRAFFIC (a flow map), then the documents of MORE. */
#define AGP_GW(traffic, more)                                                                      \
	K8S_BASE POLICY_HEAD "  targetRefs: [{kind: Gateway, name: gw}]\n"                         \
			     "  traffic: " traffic "\n" more

#define SECRET(name, labels, data)                                                                 \
	"---\napiVersion: v1\nkind: Secret\nmetadata: {name: " name                                \
	", namespace: ns, labels: " labels "}\nstringData: " data "\n"

/* Loads text, which must fail with an error line containing want. */
static void load_fails(struct loaded *l, const char *text, const char *want)
{
	loaded_reset(l);
	l->cfg = sg_cfg_load_text("t.yaml", text, &l->diag);
	for (size_t i = 0; !l->cfg && i < l->diag.n; i++)
		if (strstr(l->diag.lines[i], want))
			return;
	print_diag(&l->diag);
	fail_msg("want a failure naming \"%s\"", want);
}

/* extAuth {backendRef}: the Service's endpoint is asked; forwardBody is
 * includeRequestBody cut to maxSize; cache keeps its key, ttl (a plain
 * duration as duration("...")) and the default maxEntries, listed for
 * user/ to make its store; the key is agentgateway's. */
static void test_config_k8s_ext_auth_backend_ref(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		AGP_GW("{extAuth: {backendRef: {name: svc, port: 8000}, grpc: {}, forwardBody: "
		       "{maxSize: 1Ki}, cache: {key: [request.path, 'request.headers[\"x\"]'], "
		       "ttl: 5m}}}",
		       ""),
		0);
	const struct sg_policy *p = find_policy(cfg, "traffic/ns/p:extauth:ns/gw");
	const struct sg_ext_authz *x;

	assert_non_null(p);
	x = p->u.ext_authz;
	assert_non_null(x->to.svc);
	assert_false(x->to.unresolved);
	assert_string_equal(x->to.host, "svc.ns.svc.cluster.local:8000");
	assert_string_equal(x->to.ep.addr, "127.0.0.1");
	assert_int_equal(x->to.ep.port, 8000);
	assert_false(x->http);
	assert_true(x->body && x->body_partial);
	assert_int_equal(x->body_max, 1024);
	assert_non_null(x->cache);
	assert_int_equal(x->cache->nkey, 2);
	assert_string_equal(sg_cel_source(x->cache->key[1]), "request.headers[\"x\"]");
	assert_string_equal(sg_cel_source(x->cache->ttl), "duration(\"5m\")");
	assert_int_equal(x->cache->max_entries, 10000);
	assert_int_equal(cfg->nauthz_caches, 1);
}

/* A Service that is not there: the policy loads with a warning and no
 * endpoint (every call fails: its failureMode decides). */
static void test_config_k8s_ext_auth_missing_service(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l, AGP_GW("{extAuth: {backendRef: {name: nope, port: 1}, http: {}}}", ""), 1);
	const struct sg_policy *p = find_policy(cfg, "traffic/ns/p:extauth:ns/gw");

	assert_true(p->u.ext_authz->to.unresolved);
	assert_null(p->u.ext_authz->to.svc);
	assert_non_null(strstr(l->diag.lines[0], "Service ns/nope not found"));
}

/* url with a path: http.path is that path as a CEL string literal. The
 * HTTP protocol's expressions are compiled. */
static void test_config_k8s_ext_auth_url_path(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l,
			AGP_GW("{extAuth: {url: 'http://127.0.0.1:9/check/\"x\"', http: {redirect: "
			       "'\"/signin\"', addRequestHeaders: {X-A: request.path}}}}",
			       ""),
			0);
	const struct sg_ext_authz *x = find_policy(cfg, "traffic/ns/p:extauth:ns/gw")->u.ext_authz;

	assert_string_equal(x->to.host, "127.0.0.1:9");
	assert_int_equal(x->to.ep.port, 9);
	assert_true(x->http && x->url_path);
	assert_string_equal(sg_cel_source(x->path), "\"/check/\\\"x\\\"\"");
	assert_string_equal(sg_cel_source(x->redirect), "\"/signin\"");
	assert_null(x->body_expr);
	assert_int_equal(x->add_headers.set.n, 1);
	assert_string_equal(x->add_headers.set.v[0].name, "x-a");
}

static void test_config_k8s_ext_auth_refusals(void **state)
{
	static const struct {
		const char *traffic, *want;
	} cases[] = {
		{ "{extAuth: {url: 'http://127.0.0.1:1', forwardBody: {maxSize: 2Mi}, grpc: {}}}",
		  "forwardBody.maxSize: expected 1 to 1Mi bytes" },
		{ "{extAuth: {url: 'http://127.0.0.1:1', forwardBody: {maxSize: 1.5Ki}, grpc: {}}}",
		  "forwardBody.maxSize: expected a byte size" },
		{ "{extAuth: {url: 'http://127.0.0.1:1', forwardBody: {maxSize: 0}, grpc: {}}}",
		  "forwardBody.maxSize: expected 1 to 1Mi bytes" },
		{ "{extAuth: {url: 'http://127.0.0.1:1/x', grpc: {}}}",
		  "a url path is only valid with http" },
		{ "{extAuth: {url: 'https://a:1', grpc: {}}}", "TLS to the authorization service" },
		{ "{extAuth: {backendRef: {name: svc, port: 8000, namespace: other}, grpc: {}}}",
		  "backendRef.namespace: not supported" },
		{ "{extAuth: {backendRef: {name: svc}, grpc: {}}}", "backendRef: missing" },
		{ "{extAuth: {url: 'http://127.0.0.1:1', grpc: {}, cache: {key: [request.path]}}}",
		  "cache: missing" },
		{ "{extAuth: {url: 'http://127.0.0.1:1', grpc: {requestMetadata: {a: 'b.'}}}}",
		  "grpc.requestMetadata.a: column" },
		{ "{extAuth: {url: 'http://127.0.0.1:1', http: {body: 'request.'}}}",
		  "http.body: column" },
		{ "{phase: PreRouting, authorization: {policy: {matchExpressions: ['true']}}, "
		  "retry: {attempts: 1}}",
		  "phase PreRouting only supports" },
		{ "{phase: Early, authorization: {policy: {matchExpressions: ['true']}}}",
		  "spec.traffic.phase: expected PreRouting or PostRouting" },
	};
	struct loaded *l = *state;
	char text[2048];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), AGP_GW("%s", ""), cases[i].traffic);
		load_fails(l, text, cases[i].want);
	}
}

#define EXTAUTHZ_ROUTE(x)                                                                          \
	"binds:\n- port: 8080\n  listeners:\n  - routes:\n    - policies:\n        extAuthz: " x   \
	"\n      backends: [{host: 127.0.0.1:1}]\n"

/* extAuthz's HTTP protocol as agentgateway's traffic examples write it
 * (tailscale-auth, token-exchange, oauth2-proxy): a unix socket host
 * (its path the endpoint, port 0); addRequestHeaders takes pseudo-headers
 * beside header names (lower-cased); metadata is compiled in the config's
 * order, its names as written; a route with extAuthz waits for it before
 * its authorization (defer), whatever it reads; config_dump prints
 * metadata after addRequestHeaders. */
static void test_config_ext_authz_http_metadata(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		EXTAUTHZ_ROUTE(
			"{host: 'unix:/run/tailscale/tailscaled.sock', protocol: {http: {"
			"addRequestHeaders: {':authority': '\"local-tailscaled.sock\"', ':method': "
			"'\"POST\"', X-Forwarded-Host: request.host}, metadata: {githubUser: "
			"'response.headers[\"x-auth-request-user\"]', node: "
			"json(response.body).Node.Name}}}}"),
		0);
	const struct sg_route *rt = &find_listener(cfg, "bind/8080/listener0")->routes[0];
	const struct sg_ext_authz *x = rt->eff_filters.ext_authz;

	assert_non_null(x);
	assert_true(x->http && x->unix_socket);
	assert_string_equal(x->to.host, "unix:/run/tailscale/tailscaled.sock");
	assert_string_equal(x->to.ep.addr, "/run/tailscale/tailscaled.sock");
	assert_int_equal(x->to.ep.port, 0);
	assert_int_equal(x->add_headers.set.n, 3);
	assert_string_equal(x->add_headers.set.v[0].name, ":authority");
	assert_string_equal(x->add_headers.set.v[1].name, ":method");
	assert_string_equal(x->add_headers.set.v[2].name, "x-forwarded-host");
	assert_int_equal(x->metadata.n, 2);
	assert_string_equal(x->metadata.v[0].name, "githubUser");
	assert_string_equal(sg_cel_source(x->metadata.v[1].expr), "json(response.body).Node.Name");
	assert_true(rt->defer & SG_ROUTE_DEFER_AUTHZ);
	dump_has(cfg,
		 "\"addRequestHeaders\":{\":authority\":\"\\\"local-tailscaled.sock\\\"\","
		 "\":method\":\"\\\"POST\\\"\",\"x-forwarded-host\":\"request.host\"},"
		 "\"metadata\":{\"githubUser\":\"response.headers[\\\"x-auth-request-user\\\"]\","
		 "\"node\":\"json(response.body).Node.Name\"}",
		 "addRequestHeaders and metadata not dumped");
	/* The CRD's names: http.responseMetadata. */
	cfg = load_ok(
		l,
		AGP_GW("{extAuth: {url: 'http://127.0.0.1:9', http: {responseMetadata: {user: "
		       "'response.headers[\"x-user\"]'}, addRequestHeaders: {':path': "
		       "'\"/check\"'}}}}",
		       ""),
		0);
	x = find_policy(cfg, "traffic/ns/p:extauth:ns/gw")->u.ext_authz;
	assert_int_equal(x->metadata.n, 1);
	assert_string_equal(x->metadata.v[0].name, "user");
	assert_string_equal(x->add_headers.set.v[0].name, ":path");
	/* grpc.metadata (the CRD's requestMetadata): the Check call's. */
	cfg = load_ok(l,
		      EXTAUTHZ_ROUTE("{host: 127.0.0.1:9, protocol: {grpc: {metadata: {t: "
				     "'{\"tenant\": request.headers[\"x-t\"]}'}}}}"),
		      0);
	x = find_listener(cfg, "bind/8080/listener0")->routes[0].eff_filters.ext_authz;
	assert_false(x->http);
	assert_int_equal(x->metadata.n, 1);
	assert_string_equal(x->metadata.v[0].name, "t");
	dump_has(cfg,
		 "\"grpc\":{\"metadata\":{\"t\":\"{\\\"tenant\\\": "
		 "request.headers[\\\"x-t\\\"]}\"}}",
		 "grpc metadata not dumped");
}

/* What extAuthz's HTTP keys refuse: a name that is neither a header's nor
 * a pseudo-header's, metadata that does not compile or is no map, a unix
 * socket that is not an absolute path or is asked over gRPC. */
static void test_config_ext_authz_http_refusals(void **state)
{
	static const struct {
		const char *x, *want;
	} cases[] = {
		{ "{host: 127.0.0.1:9, protocol: {http: {addRequestHeaders: {':bogus': '\"x\"'}}}}",
		  "addRequestHeaders: \":bogus\" is not a header name nor one of the "
		  "pseudo-headers" },
		{ "{host: 127.0.0.1:9, protocol: {http: {addRequestHeaders: {'x y': '\"x\"'}}}}",
		  "addRequestHeaders: \"x y\" is not a header name" },
		{ "{host: 127.0.0.1:9, protocol: {http: {metadata: {a: 'request.'}}}}",
		  "protocol.http.metadata.a: column" },
		{ "{host: 127.0.0.1:9, protocol: {http: {metadata: {a: ''}}}}",
		  "protocol.http.metadata.a: expected a CEL expression" },
		{ "{host: 127.0.0.1:9, protocol: {grpc: {metadata: [request.path]}}}",
		  "protocol.grpc.metadata: expected a map" },
		{ "{host: 'unix:/run/a.sock'}",
		  "extAuthz.host: not supported (a service on a unix socket is asked over the HTTP "
		  "protocol only" },
		{ "{host: 'unix:run/a.sock', protocol: {http: {}}}",
		  "extAuthz.host: expected \"unix:/path/to/socket\"" },
	};
	struct loaded *l = *state;
	char text[1024];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), EXTAUTHZ_ROUTE("%s"), cases[i].x);
		load_fails(l, text, cases[i].want);
	}
}

/* phase PreRouting: the policy runs on the listener (gw_filters) and is
 * kept out of its routes' policies; a policy without phase still reaches
 * the routes; config_dump prints phase "gateway". */
static void test_config_k8s_pre_routing(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l,
			AGP_GW("{phase: PreRouting, apiKeyAuthentication: {secretRef: {name: k}}, "
			       "authorization: {policy: {matchExpressions: ['true']}}}",
			       SECRET("k", "{}",
				      "{a: k-1}") "---\n" ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
						  "  rules:\n"
						  "  - backendRefs: [{name: svc, port: 8000}]\n"),
			0);
	const struct sg_listener *ls = find_listener(cfg, "ns/gw.http");
	const struct sg_policy *keys = find_policy(cfg, "traffic/ns/p:apikeyauth:ns/gw");

	assert_true(keys->gateway_phase);
	assert_true(find_policy(cfg, "traffic/ns/p:rbac:ns/gw")->gateway_phase);
	assert_non_null(ls->gw_filters);
	assert_ptr_equal(ls->gw_filters->apikeys, keys->u.apikeys);
	assert_non_null(ls->gw_filters->authz);
	assert_int_equal(ls->nroutes, 1);
	assert_null(ls->routes[0].eff_filters.apikeys);
	assert_null(ls->routes[0].eff_filters.authz);
	assert_int_equal(cfg->napikeys, 1); /* listed, for user/ to hash */
	dump_has(cfg, "\"policy\":{\"traffic\":{\"phase\":\"gateway\",\"apiKey\":",
		 "phase gateway not dumped");
}

/* phase PreRouting with extAuth: the service is the listener's (asked
 * before its authorization, which waits in gw_after), not its routes'. */
static void test_config_k8s_pre_routing_ext_auth(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		AGP_GW("{phase: PreRouting, extAuth: {url: 'http://127.0.0.1:9', grpc: {}}, "
		       "authorization: {policy: {matchExpressions: ['true']}}}",
		       "---\n" ROUTE_HEAD "  parentRefs: [{name: gw}]\n"
		       "  rules:\n"
		       "  - backendRefs: [{name: svc, port: 8000}]\n"),
		0);
	const struct sg_listener *ls = find_listener(cfg, "ns/gw.http");
	const struct sg_policy *x = find_policy(cfg, "traffic/ns/p:extauth:ns/gw");

	assert_true(x->gateway_phase);
	assert_non_null(ls->gw_filters);
	assert_ptr_equal(ls->gw_filters->ext_authz, x->u.ext_authz);
	assert_null(ls->gw_filters->authz);
	assert_non_null(ls->gw_after);
	assert_ptr_equal(ls->gw_after->authz, find_policy(cfg, "traffic/ns/p:rbac:ns/gw")->u.authz);
	assert_null(ls->routes[0].eff_filters.ext_authz);
	assert_null(ls->routes[0].eff_filters.authz);
}

/* secretSelector: the keys of every Secret of the policy's namespace
 * with the labels, none of the others; none selected: a warning. */
static void test_config_k8s_api_key_secret_selector(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		AGP_GW("{apiKeyAuthentication: {secretSelector: {matchLabels: {app: k}}}}",
		       SECRET("a", "{app: k, x: y}",
			      "{c: k-a}") SECRET("b", "{app: k}",
						 "{c: k-b, d: '{\"keyHash\": "
						 "\"sha256:0000000000000000000000000000000000000"
						 "000000000000000000000000000\"}'}")
			       SECRET("o", "{app: o}", "{c: k-o}") "---\napiVersion: v1\nkind: "
								   "Secret\nmetadata: {name: "
								   "z, namespace: other, labels: "
								   "{app: k}}\nstringData: "
								   "{c: k-z}\n"),
		0);
	const struct sg_api_keys *k = find_policy(cfg, "traffic/ns/p:apikeyauth:ns/gw")->u.apikeys;

	assert_int_equal(k->n, 3);
	load_ok(l,
		AGP_GW("{apiKeyAuthentication: {secretSelector: {matchLabels: {app: none}}}}", ""),
		1);
	assert_non_null(strstr(l->diag.lines[0], "no Secret in namespace ns has these labels"));
	load_fails(l,
		   AGP_GW("{apiKeyAuthentication: {secretSelector: {matchLabels: {a: b}}, "
			  "secretRef: {name: s}}}",
			  ""),
		   "give exactly one of secretRef and secretSelector");
}

/* A listener's extAuthz and oidc: listed after its authorization, as
 * agentgateway's split_policies lists them; the rules wait for the
 * service's verdict (gw_after); the oidc is named policy/listener/<key>
 * (its cookies' names derive from it), its routes have none of them. */
static void test_config_standalone_listener_ext_authz_oidc(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l,
			"binds:\n"
			"- port: 8080\n"
			"  listeners:\n"
			"  - policies:\n"
			"      oidc: {issuer: 'http://127.0.0.1:1', clientId: c, clientSecret: s,\n"
			"             redirectURI: 'http://127.0.0.1:8080/cb'}\n"
			"      extAuthz: {host: 127.0.0.1:9}\n"
			"      authorization: {rules: ['true']}\n"
			"    routes: [{backends: [{host: 127.0.0.1:1}]}]\n",
			0);
	const struct sg_listener *a = find_listener(cfg, "bind/8080/listener0");
	const struct sg_policy *p0 = find_policy(cfg, "listener/bind/8080/listener0/0");
	const struct sg_policy *p1 = find_policy(cfg, "listener/bind/8080/listener0/1");
	const struct sg_policy *p2 = find_policy(cfg, "listener/bind/8080/listener0/2");

	assert_int_equal(p0->kind, SG_POL_AUTHZ);
	assert_int_equal(p1->kind, SG_POL_EXT_AUTHZ);
	assert_int_equal(p2->kind, SG_POL_OIDC);
	assert_ptr_equal(a->gw_filters->ext_authz, p1->u.ext_authz);
	assert_ptr_equal(a->gw_filters->oidc, p2->u.oidc);
	assert_null(a->gw_filters->authz);
	assert_ptr_equal(a->gw_after->authz, p0->u.authz);
	assert_string_equal(p2->u.oidc->policy_id, "policy/listener/bind/8080/listener0");
	assert_null(a->routes[0].eff_filters.oidc);
	assert_null(a->routes[0].eff_filters.ext_authz);
	dump_has(cfg,
		 "\"policy\":{\"traffic\":{\"phase\":\"gateway\",\"oidc\":{"
		 "\"policyId\":\"policy/listener/bind/8080/listener0\"",
		 "the listener's oidc not dumped");
}

/* A gateways: entry's own keys are its listeners' gateway phase, as
 * agentgateway's LocalGatewayPolicy flattened into it: keyed
 * gateway/<reference>/<index>, an oidc named policy/gateway/<reference>;
 * a listener's own on that listener alone. */
static void test_config_gateways_policies(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l,
			"gateways:\n"
			"  web:\n"
			"    port: 8080\n"
			"    oidc: {issuer: 'http://127.0.0.1:1', clientId: c, clientSecret: s,\n"
			"           redirectURI: 'http://127.0.0.1:8080/cb'}\n"
			"    apiKey: {keys: [{key: k-1}]}\n"
			"  multi:\n"
			"    port: 8081\n"
			"    listeners:\n"
			"    - {name: a, extAuthz: {host: 127.0.0.1:9}}\n"
			"    - {name: b}\n"
			"routes: [{gateways: [web, multi], backends: [{host: 127.0.0.1:1}]}]\n",
			0);
	const struct sg_policy *k = find_policy(cfg, "gateway/web/0");
	const struct sg_policy *o = find_policy(cfg, "gateway/web/1");
	const struct sg_policy *x = find_policy(cfg, "gateway/multi/a/0");

	assert_int_equal(k->kind, SG_POL_API_KEYS);
	assert_int_equal(o->kind, SG_POL_OIDC);
	assert_string_equal(o->u.oidc->policy_id, "policy/gateway/web");
	assert_int_equal(x->kind, SG_POL_EXT_AUTHZ);
	assert_ptr_equal(find_listener(cfg, "gateway/web")->gw_filters->oidc, o->u.oidc);
	assert_ptr_equal(find_listener(cfg, "gateway/multi/a")->gw_filters->ext_authz,
			 x->u.ext_authz);
	assert_null(find_listener(cfg, "gateway/multi/b")->gw_filters);
}

/* A standalone listener's policies are its gateway phase: listed as
 * agentgateway lists them (listener/<key>/<index>, CORS first, no name,
 * the listener its target), on its listener only (not on a listener of
 * the same name on another bind); the kinds splicegate runs after
 * routing are refused by name. */
static void test_config_standalone_listener_policies(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg =
		load_ok(l,
			"binds:\n"
			"- port: 8080\n"
			"  listeners:\n"
			"  - policies:\n"
			"      authorization: {rules: ['request.headers[\"x-t\"] == \"a\"']}\n"
			"      apiKey: {keys: [{key: k-1}]}\n"
			"      cors: {allowOrigins: ['*']}\n"
			"    routes: [{backends: [{host: 127.0.0.1:1}]}]\n"
			"- port: 8081\n"
			"  listeners:\n"
			"  - routes: [{backends: [{host: 127.0.0.1:1}]}]\n",
			0);
	const struct sg_listener *a = find_listener(cfg, "bind/8080/listener0");
	const struct sg_listener *b = find_listener(cfg, "bind/8081/listener0");
	const struct sg_policy *p0 = find_policy(cfg, "listener/bind/8080/listener0/0");
	const struct sg_policy *p1 = find_policy(cfg, "listener/bind/8080/listener0/1");
	const struct sg_policy *p2 = find_policy(cfg, "listener/bind/8080/listener0/2");

	assert_non_null(p0);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_int_equal(p0->kind, SG_POL_CORS);
	assert_int_equal(p1->kind, SG_POL_API_KEYS);
	assert_int_equal(p2->kind, SG_POL_AUTHZ);
	assert_true(p0->gateway_phase && p1->gateway_phase && p2->gateway_phase);
	assert_null(p1->src_kind);
	assert_string_equal(p1->target.section, "listener0");
	assert_non_null(a->gw_filters);
	assert_ptr_equal(a->gw_filters->apikeys, p1->u.apikeys);
	assert_non_null(a->gw_filters->cors);
	assert_non_null(a->gw_filters->authz);
	assert_null(a->gw_after); /* no extAuthz: the rules run with the rest */
	assert_null(a->routes[0].eff_filters.apikeys);
	assert_null(b->gw_filters);
	load_fails(l,
		   "binds:\n- port: 8080\n  listeners:\n"
		   "  - policies: {transformations: {request: {set: {a: '\"b\"'}}}}\n"
		   "    routes: [{backends: [{host: 127.0.0.1:1}]}]\n",
		   "binds[0].listeners[0].policies.transformations: not supported in a listener's "
		   "policies");
	load_fails(l,
		   "binds:\n- port: 8080\n  listeners:\n"
		   "  - policies: {timeout: {requestTimeout: 1s}}\n"
		   "    routes: [{backends: [{host: 127.0.0.1:1}]}]\n",
		   "binds[0].listeners[0].policies: unknown field \"timeout\"");
}

/* What a route holds for its expressions (sg_route.defer): its response
 * for a response transformation reading response.body (or bodyPrefix) or
 * replacing the body, or for its listener's access log or span
 * attributes reading it; its request body for a retry precondition, a
 * direct response or a delay reading request.body; a route reading
 * neither holds nothing. A gateway-phase authorization rule reading request.body is
 * refused by name (no body is held before a route is chosen). */
static void test_config_body_holds(void **state)
{
	struct loaded *l = *state;
	const struct sg_cfg *cfg = load_ok(
		l,
		"binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		"    - name: resp\n"
		"      policies: {transformations: {response: {set: {x-n: "
		"'string(size(response.body))'}}}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - name: prefix\n"
		"      policies: {transformations: {response: {add: {x-p: "
		"'string(response.bodyPrefix)'}}}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - name: replace\n"
		"      policies: {transformations: {response: {body: '\"x\"'}}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - name: pre\n"
		"      policies: {retry: {codes: [503], precondition: 'size(request.body) < 10'}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - name: direct\n"
		"      policies: {directResponse: {status: 200, bodyExpression: "
		"'request.body'}}\n"
		"    - name: none\n"
		"      policies: {transformations: {response: {set: {x-c: "
		"'string(response.code)'}}}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n"
		"    - name: delay\n"
		"      policies: {delay: {duration: 'size(request.body) > 3 ? \"1ms\" : \"0s\"'}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n",
		0);
	const struct sg_listener *ls = find_listener(cfg, "bind/8080/listener0");

	assert_int_equal(find_route(ls, "bind/8080/listener0/resp")->defer,
			 SG_ROUTE_DEFER_RESP_BODY);
	assert_int_equal(find_route(ls, "bind/8080/listener0/prefix")->defer,
			 SG_ROUTE_DEFER_RESP_BODY);
	assert_int_equal(find_route(ls, "bind/8080/listener0/replace")->defer,
			 SG_ROUTE_DEFER_RESP_BODY);
	assert_int_equal(find_route(ls, "bind/8080/listener0/pre")->defer, SG_ROUTE_DEFER_BODY);
	assert_int_equal(find_route(ls, "bind/8080/listener0/direct")->defer, SG_ROUTE_DEFER_BODY);
	assert_int_equal(find_route(ls, "bind/8080/listener0/none")->defer, 0);
	assert_int_equal(find_route(ls, "bind/8080/listener0/delay")->defer, SG_ROUTE_DEFER_BODY);
	cfg = load_ok(l,
		      "frontendPolicies:\n  accessLog: {filter: 'size(response.body) > 0'}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		      "    - name: logged\n"
		      "      backends: [{host: 127.0.0.1:1}]\n"
		      "    - name: both\n"
		      "      policies: {transformations: {response: {body: '\"x\"'}}}\n"
		      "      backends: [{host: 127.0.0.1:1}]\n",
		      0);
	ls = find_listener(cfg, "bind/8080/listener0");
	assert_int_equal(find_route(ls, "bind/8080/listener0/logged")->defer, SG_ROUTE_HOLD_LOG);
	assert_int_equal(find_route(ls, "bind/8080/listener0/both")->defer,
			 SG_ROUTE_HOLD_LOG | SG_ROUTE_DEFER_RESP_BODY);
	cfg = load_ok(l,
		      "frontendPolicies:\n  tracing: {host: 'a:1', attributes: {b: "
		      "'string(response.bodyPrefix)'}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		      "    - name: traced\n"
		      "      backends: [{host: 127.0.0.1:1}]\n",
		      0);
	ls = find_listener(cfg, "bind/8080/listener0");
	assert_int_equal(find_route(ls, "bind/8080/listener0/traced")->defer, SG_ROUTE_HOLD_TRACE);
	/* response.headers: the head is kept, nothing held */
	cfg = load_ok(l,
		      "frontendPolicies:\n  accessLog: {filter: "
		      "'response.headers[\"x-a\"] == \"1\"'}\n"
		      "  tracing: {host: 'a:1', attributes: {ct: "
		      "'response.headers[\"content-type\"]'}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		      "    - name: heads\n"
		      "      backends: [{host: 127.0.0.1:1}]\n",
		      0);
	ls = find_listener(cfg, "bind/8080/listener0");
	assert_int_equal(find_route(ls, "bind/8080/listener0/heads")->defer,
			 SG_ROUTE_HEAD_LOG | SG_ROUTE_HEAD_TRACE);
	/* request.body: held (while the line is written), kept for it */
	cfg = load_ok(l,
		      "frontendPolicies:\n  accessLog: {add: {b: 'string(request.body)'}}\n"
		      "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		      "    - name: logged\n"
		      "      backends: [{host: 127.0.0.1:1}]\n",
		      0);
	ls = find_listener(cfg, "bind/8080/listener0");
	assert_int_equal(find_route(ls, "bind/8080/listener0/logged")->defer,
			 SG_ROUTE_LOG_REQ_BODY);
	cfg = load_ok(
		l,
		"frontendPolicies:\n  tracing: {host: 'a:1', filter: 'request.body == b\"\"'}\n"
		"binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		"    - name: traced\n"
		"      backends: [{host: 127.0.0.1:1}]\n",
		0);
	ls = find_listener(cfg, "bind/8080/listener0");
	assert_int_equal(find_route(ls, "bind/8080/listener0/traced")->defer,
			 SG_ROUTE_LOG_REQ_BODY);
	load_fails(l,
		   "binds:\n- port: 8080\n  listeners:\n"
		   "  - policies: {authorization: {rules: ['size(request.body) > 0']}}\n"
		   "    routes: [{backends: [{host: 127.0.0.1:1}]}]\n",
		   "authorization: request.body is not supported in the gateway "
		   "phase (PreRouting): its rules run before a route holds the body");
	load_fails(l,
		   "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		   "    - policies: {retry: {codes: [503], precondition: 'response.code == 200'}}\n"
		   "      backends: [{host: 127.0.0.1:1}]\n",
		   "retry.precondition: a retry precondition reads the request before its first "
		   "try: not a response");
}

/* metadata.labels is a map of strings, as the API server takes it: a list,
 * or a value that is a map, is refused where it is (it was taken, and
 * matched no selector); null is none. */
static void test_config_k8s_labels_are_a_map_of_strings(void **state)
{
	struct loaded *l = *state;

	load_fails(l, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: [team]}\n",
		   "t.yaml:3:29: metadata.labels: expected a map, got a list");
	load_fails(
		l, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {team: {x: 1}}}\n",
		"t.yaml:3:36: metadata.labels.team: expected a label value (a string), got a map");
	loaded_reset(l);
	l->cfg =
		sg_cfg_load_text("t.yaml",
				 "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: ~}\n"
				 "---\napiVersion: v1\nkind: Namespace\n"
				 "metadata: {name: b, labels: {team: blue, tier: 1}}\n",
				 &l->diag);
	if (!l->cfg)
		print_diag(&l->diag);
	assert_non_null(l->cfg);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, loaded_setup, loaded_teardown)
	const struct CMUnitTest tests[] = {
		T(test_config_loads_seed_000),
		T(test_config_session_persistence),
		T(test_config_session_persistence_refusals),
		T(test_config_gateway_listener_problems_are_status),
		T(test_config_tls_listener_terminates),
		T(test_config_listenerset),
		T(test_config_listenerset_errors),
		T(test_config_gateway_spec_tls),
		T(test_config_gateway_spec_tls_errors),
		T(test_config_listenerset_policy_target),
		T(test_config_listenerset_age),
		T(test_config_listenerset_dump),
		T(test_config_list_of_resources),
		T(test_config_health_standalone),
		T(test_config_health_dump),
		T(test_config_response_idle_standalone),
		T(test_config_response_idle_k8s),
		T(test_config_bind_defaults_only),
		T(test_config_btls_options),
		T(test_config_response_idle_errors),
		T(test_config_ratelimit_errors),
		T(test_config_health_k8s),
		T(test_config_health_rejects_bad_values),
		T(test_config_loads_seed_002_tcp_keepalive),
		T(test_config_loads_seed_002_http_keepalive),
		T(test_config_loads_seed_004_retry_route),
		T(test_config_k8s_retry_attempts_capped),
		T(test_config_loads_seed_003_standalone),
		T(test_config_mcp_http_targets),
		T(test_config_mcp_stateless),
		T(test_config_mixes_dialects),
		T(test_config_applies_defaults),
		T(test_config_overrides_globals),
		T(test_config_loads_embedded_default),
		T(test_config_names_routes_and_listeners),
		T(test_config_standalone_frontend_policies),
		T(test_config_backend_http_version),
		T(test_config_warns_policy_for_missing_gateway),
		T(test_config_warns_service_without_endpoints),
		T(test_config_resolves_endpoint_slices),
		T(test_config_accepts_null_optional_fields),
		T(test_config_rejects_null_match_values),
		T(test_config_loads_files_and_directories),
		T(test_config_reads_regular_files_only),
		T(test_config_reports_many_unknown_keys),
		T(test_config_k8s_authorization_policy),
		T(test_config_rejects_alias_bomb_route),
		T(test_config_indexes_many_resources),
		T(test_config_access_log_policy),
		T(test_config_access_log_refusals),
		T(test_config_tracing),
		T(test_config_tracing_refusals),
		T(test_config_rejects_unknown_keys),
		T(test_config_egress_proxy),
		T(test_config_route_groups),
		T(test_config_egress_proxy_refusals),
		T(test_config_rejects_wrong_types),
		T(test_config_admission_limits),
		T(test_config_rejects_bad_durations),
		T(test_config_rejects_missing_fields),
		T(test_config_dangling_refs_set_conditions),
		T(test_config_grants_and_selectors),
		T(test_config_allowed_kinds),
		T(test_config_backend_tls_status),
		T(test_k8s_grpcroute_matches),
		T(test_config_rejects_bad_resources),
		T(test_config_crd_rules),
		T(test_config_rejects_bad_hosts_and_codes),
		T(test_config_accepts_good_hosts),
		T(test_config_rejects_bad_policy_targets),
		T(test_config_reports_first_failing_kind_only),
		T(test_config_k8s_ext_auth_backend_ref),
		T(test_config_k8s_ext_auth_missing_service),
		T(test_config_k8s_ext_auth_url_path),
		T(test_config_k8s_ext_auth_refusals),
		T(test_config_ext_authz_http_metadata),
		T(test_config_ext_authz_http_refusals),
		T(test_config_k8s_pre_routing),
		T(test_config_k8s_pre_routing_ext_auth),
		T(test_config_k8s_api_key_secret_selector),
		T(test_config_k8s_labels_are_a_map_of_strings),
		T(test_config_standalone_listener_policies),
		T(test_config_body_holds),
		T(test_config_standalone_listener_ext_authz_oidc),
		T(test_config_gateways_policies),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
