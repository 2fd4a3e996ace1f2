/* Unit tests for policy/resolve.c: timeout and retry precedence (Gateway <
 * listener < HTTPRoute < rule < route inline, whole objects), backend
 * http/tcp settings, and frontend policies per Gateway and per listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/resolve.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SEC SG_DUR_S(1)
#define MS SG_DUR_MS(1)

struct loaded {
	struct sg_cfg *cfg;
	struct sg_diag diag;
	char *text;
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

static void loaded_reset(struct loaded *l)
{
	sg_cfg_free(l->cfg);
	l->cfg = NULL;
	sg_diag_free(&l->diag);
	free(l->text);
	l->text = NULL;
}

static int loaded_teardown(void **state)
{
	struct loaded *l = *state;

	loaded_reset(l);
	free(l);
	return 0;
}

/* Loads `text`; it must load with exactly `warnings` warnings. */
static struct sg_cfg *load_ok(struct loaded *l, const char *text, size_t warnings)
{
	sg_cfg_free(l->cfg);
	sg_diag_free(&l->diag);
	l->cfg = sg_cfg_load_text("r.yaml", text, &l->diag);
	if (!l->cfg || l->diag.errors || l->diag.warnings != warnings) {
		for (size_t i = 0; i < l->diag.n; i++)
			print_message("  %s\n", l->diag.lines[i]);
		fail_msg("load: cfg %p, %zu errors, %zu warnings (want %zu)\n%s", (void *)l->cfg,
			 l->diag.errors, l->diag.warnings, warnings, text);
	}
	return l->cfg;
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

/* The route `key` and the listener it hangs off. */
static struct sg_route *find_route(const struct sg_cfg *cfg, const char *key,
				   struct sg_listener **lp)
{
	for (size_t b = 0; b < cfg->nbinds; b++) {
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			struct sg_listener *ls = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < ls->nroutes; r++) {
				if (strcmp(ls->routes[r].key, key) != 0)
					continue;
				if (lp)
					*lp = ls;
				return &ls->routes[r];
			}
		}
	}
	fail_msg("no route %s", key);
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

static void assert_keepalive(const struct sg_keepalive *k, bool enabled, sg_dur time,
			     sg_dur interval, uint32_t retries)
{
	assert_int_equal(k->enabled, enabled);
	assert_int_equal(k->time, time);
	assert_int_equal(k->interval, interval);
	assert_int_equal(k->retries, retries);
}

/* ---- timeout and retry precedence ------------------------------------- */

/* Gateway gw (listeners http and other), Service svc, HTTPRoute r with
 * rules rule0 (inline policies go there) and rule1, on both listeners. */
#define PREC_BASE                                                                                  \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw, namespace: ns}\n"                                                    \
	"spec:\n"                                                                                  \
	"  listeners:\n"                                                                           \
	"  - {name: http, port: 8080, protocol: HTTP}\n"                                           \
	"  - {name: other, port: 8081, protocol: HTTP}\n"                                          \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: svc, namespace: ns}\n"                                                   \
	"spec: {clusterIP: 127.0.0.1, ports: [{port: 8000}]}\n"                                    \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata: {name: r, namespace: ns}\n"                                                     \
	"spec:\n"                                                                                  \
	"  parentRefs: [{name: gw}]\n"                                                             \
	"  rules:\n"                                                                               \
	"  - name: rule0\n"                                                                        \
	"    backendRefs: [{name: svc, port: 8000}]\n"                                             \
	"%s"                                                                                       \
	"  - name: rule1\n"                                                                        \
	"    backendRefs: [{name: svc, port: 8000}]\n"

enum level {
	NONE = -1,
	GW,
	LISTENER,
	ROUTE,
	RULE,
	INLINE,
	NLEVELS,
};

#define BIT(l) (1u << (l))

/* What each level sets: a different subset of fields each time, so that a
 * winner that merged with a loser would show. */
static const struct level_def {
	const char *name;
	const char *target; /* targetRefs entry */
	const char *timeouts, *retry;
	sg_dur request, backend_request;
	uint32_t attempts;
	sg_dur backoff;
	uint16_t codes[2];
	size_t ncodes;
} levels[NLEVELS] = {
	[GW] = { "gw",
		 "{kind: Gateway, name: gw}",
		 "{request: 1s, backendRequest: 100ms}",
		 "{attempts: 1, codes: [503]}",
		 SEC,
		 100 * MS,
		 1,
		 SG_DUR_UNSET,
		 { 503 },
		 1 },
	[LISTENER] = { "listener",
		       "{kind: Gateway, name: gw, sectionName: http}",
		       "{request: 2s}",
		       "{attempts: 2, backoff: 200ms}",
		       2 * SEC,
		       SG_DUR_UNSET,
		       2,
		       200 * MS,
		       { 0 },
		       0 },
	[ROUTE] = { "route",
		    "{kind: HTTPRoute, name: r}",
		    "{backendRequest: 300ms}",
		    "{attempts: 3}",
		    SG_DUR_UNSET,
		    300 * MS,
		    3,
		    SG_DUR_UNSET,
		    { 0 },
		    0 },
	[RULE] = { "rule",
		   "{kind: HTTPRoute, name: r, sectionName: rule0}",
		   "{request: 4s, backendRequest: 400ms}",
		   "{attempts: 4, backoff: 400ms, codes: "
		   "[502, 504]}",
		   4 * SEC,
		   400 * MS,
		   4,
		   400 * MS,
		   { 502, 504 },
		   2 },
	[INLINE] = { "inline",
		     NULL,
		     "{backendRequest: 500ms}",
		     "{attempts: 5, backoff: 1s, codes: [517]}",
		     SG_DUR_UNSET,
		     500 * MS,
		     5,
		     SEC,
		     { 517 },
		     1 },
};

/* The policy document of one level. */
static void append_policy(char **text, enum level lv)
{
	const struct level_def *d = &levels[lv];
	char *grown;

	if (asprintf(&grown,
		     "%s---\n"
		     "apiVersion: agentgateway.dev/v1alpha1\n"
		     "kind: AgentgatewayPolicy\n"
		     "metadata: {name: p-%s, namespace: ns}\n"
		     "spec:\n"
		     "  targetRefs: [%s]\n"
		     "  traffic:\n"
		     "    timeouts: %s\n"
		     "    retry: %s\n",
		     *text, d->name, d->target, d->timeouts, d->retry) == -1)
		fail_msg("out of memory");
	free(*text);
	*text = grown;
}

/* PREC_BASE with the levels in `mask`, policies in level order or
 * reversed (so precedence cannot come from the order they are listed). */
static char *prec_text(unsigned mask, bool reversed)
{
	char *inline_part = NULL, *text = NULL;

	if (mask & BIT(INLINE)) {
		if (asprintf(&inline_part, "    timeouts: %s\n    retry: %s\n",
			     levels[INLINE].timeouts, levels[INLINE].retry) == -1)
			fail_msg("out of memory");
	}
	if (asprintf(&text, PREC_BASE, inline_part ? inline_part : "") == -1)
		fail_msg("out of memory");
	free(inline_part);
	for (int i = 0; i < INLINE; i++) {
		enum level lv = reversed ? (enum level)(INLINE - 1 - i) : (enum level)i;

		if (mask & BIT(lv))
			append_policy(&text, lv);
	}
	return text;
}

static const char *policy_key(enum level lv, const char *what)
{
	static char key[128];
	static const char *const targets[] = {
		[GW] = "ns/gw",
		[LISTENER] = "ns/gw/http",
		[ROUTE] = "ns/r",
		[RULE] = "ns/r/rule0",
	};

	snprintf(key, sizeof(key), "traffic/ns/p-%s:%s:%s", levels[lv].name, what, targets[lv]);
	return key;
}

/* Route `key` must have exactly level `want`'s timeout and retry. */
static void expect_winner(const struct sg_cfg *cfg, const char *key, enum level want,
			  const char *row)
{
	struct sg_listener *ls;
	struct sg_route *r = find_route(cfg, key, &ls);
	const struct sg_policy *tp = sg_policy_for_route(cfg, SG_POL_TIMEOUT, ls, r);
	const struct sg_policy *rp = sg_policy_for_route(cfg, SG_POL_RETRY, ls, r);
	const struct sg_retry *er = r->eff_retry;

	if (want == NONE) {
		if (r->eff_timeout.request != SG_DUR_UNSET ||
		    r->eff_timeout.backend_request != SG_DUR_UNSET || er || tp || rp)
			fail_msg("%s, %s: want no timeout and no retry", row, key);
		return;
	}
	const struct level_def *d = &levels[want];

	if (r->eff_timeout.request != d->request ||
	    r->eff_timeout.backend_request != d->backend_request)
		fail_msg("%s, %s: timeout %lld/%lld, want %s's %lld/%lld", row, key,
			 (long long)r->eff_timeout.request,
			 (long long)r->eff_timeout.backend_request, d->name, (long long)d->request,
			 (long long)d->backend_request);
	if (!er || er->attempts != d->attempts || er->backoff != d->backoff ||
	    er->codes.n != d->ncodes)
		fail_msg("%s, %s: retry %u attempts, want %s's %u", row, key, er ? er->attempts : 0,
			 d->name, d->attempts);
	for (size_t i = 0; i < d->ncodes; i++)
		assert_int_equal(er->codes.v[i], d->codes[i]);
	if (want == INLINE) {
		assert_true(r->has_timeout && r->has_retry);
		assert_ptr_equal(er, &r->retry);
		return;
	}
	/* The policy that won is the one the lookup names. */
	if (!tp || strcmp(tp->key, policy_key(want, "timeout")) != 0)
		fail_msg("%s, %s: timeout policy %s, want %s", row, key, tp ? tp->key : "none",
			 policy_key(want, "timeout"));
	if (!rp || strcmp(rp->key, policy_key(want, "retry")) != 0)
		fail_msg("%s, %s: retry policy %s, want %s", row, key, rp ? rp->key : "none",
			 policy_key(want, "retry"));
	assert_ptr_equal(er, &rp->u.retry);
}

static void test_resolve_timeout_and_retry_precedence(void **state)
{
	/* rule0 on http sees every level; rule1 on http sees no rule policy
	 * and no inline; rule0 on other sees no listener policy. */
	static const struct {
		const char *row;
		unsigned mask;
		bool reversed;
		enum level r0_http, r1_http, r0_other;
	} cases[] = {
		{ "nothing", 0, false, NONE, NONE, NONE },
		{ "gateway", BIT(GW), false, GW, GW, GW },
		{ "listener over gateway", BIT(GW) | BIT(LISTENER), false, LISTENER, LISTENER, GW },
		{ "listener over gateway, reversed", BIT(GW) | BIT(LISTENER), true, LISTENER,
		  LISTENER, GW },
		{ "route over listener", BIT(GW) | BIT(LISTENER) | BIT(ROUTE), false, ROUTE, ROUTE,
		  ROUTE },
		{ "rule over route", BIT(GW) | BIT(LISTENER) | BIT(ROUTE) | BIT(RULE), false, RULE,
		  ROUTE, RULE },
		{ "rule over route, reversed", BIT(GW) | BIT(LISTENER) | BIT(ROUTE) | BIT(RULE),
		  true, RULE, ROUTE, RULE },
		{ "inline over all", BIT(GW) | BIT(LISTENER) | BIT(ROUTE) | BIT(RULE) | BIT(INLINE),
		  false, INLINE, ROUTE, INLINE },
		{ "inline over all, reversed",
		  BIT(GW) | BIT(LISTENER) | BIT(ROUTE) | BIT(RULE) | BIT(INLINE), true, INLINE,
		  ROUTE, INLINE },
		{ "listener and rule", BIT(LISTENER) | BIT(RULE), false, RULE, LISTENER, RULE },
		{ "gateway and inline", BIT(GW) | BIT(INLINE), false, INLINE, GW, INLINE },
		{ "route alone", BIT(ROUTE), false, ROUTE, ROUTE, ROUTE },
		{ "listener alone", BIT(LISTENER), false, LISTENER, LISTENER, NONE },
		{ "rule alone", BIT(RULE), false, RULE, NONE, RULE },
		{ "inline alone", BIT(INLINE), false, INLINE, NONE, INLINE },
		{ "gateway and rule, reversed", BIT(GW) | BIT(RULE), true, RULE, GW, RULE },
	};
	struct loaded *l = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sg_cfg *cfg;

		loaded_reset(l);
		l->text = prec_text(cases[i].mask, cases[i].reversed);
		cfg = load_ok(l, l->text, 0);
		expect_winner(cfg, "ns/r.0.0.http", cases[i].r0_http, cases[i].row);
		expect_winner(cfg, "ns/r.1.0.http", cases[i].r1_http, cases[i].row);
		expect_winner(cfg, "ns/r.0.0.other", cases[i].r0_other, cases[i].row);
		/* Every policy here targets something that exists. */
		for (size_t p = 0; p < cfg->npolicies; p++)
			if (!cfg->policies[p].attached)
				fail_msg("%s: %s not attached", cases[i].row, cfg->policies[p].key);
	}
}

static void test_resolve_ignores_policies_for_other_sections(void **state)
{
	/* A listener or rule that does not exist matches nothing; the policy
	 * loads (as agentgateway does) and stays unattached. */
	static const char policies[] =
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: p-nolistener, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{kind: Gateway, name: gw, sectionName: https}]\n"
		"  traffic: {timeouts: {request: 7s}}\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: p-norule, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{kind: HTTPRoute, name: r, sectionName: rule9}]\n"
		"  traffic: {timeouts: {request: 8s}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg;

	assert_true(asprintf(&l->text, PREC_BASE "%s", "", policies) != -1);
	cfg = load_ok(l, l->text, 0);
	expect_winner(cfg, "ns/r.0.0.http", NONE, "other sections");
	expect_winner(cfg, "ns/r.1.0.other", NONE, "other sections");
	assert_false(find_policy(cfg, "traffic/ns/p-nolistener:timeout:ns/gw/https")->attached);
	assert_false(find_policy(cfg, "traffic/ns/p-norule:timeout:ns/r/rule9")->attached);
}

static void test_resolve_first_listed_wins_a_tie(void **state)
{
	static const char policies[] = "---\n"
				       "apiVersion: agentgateway.dev/v1alpha1\n"
				       "kind: AgentgatewayPolicy\n"
				       "metadata: {name: first, namespace: ns}\n"
				       "spec:\n"
				       "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic: {timeouts: {request: 1s}}\n"
				       "---\n"
				       "apiVersion: agentgateway.dev/v1alpha1\n"
				       "kind: AgentgatewayPolicy\n"
				       "metadata: {name: second, namespace: ns}\n"
				       "spec:\n"
				       "  targetRefs: [{kind: Gateway, name: gw}]\n"
				       "  traffic: {timeouts: {request: 2s}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg;
	struct sg_route *r;

	assert_true(asprintf(&l->text, PREC_BASE "%s", "", policies) != -1);
	cfg = load_ok(l, l->text, 0);
	r = find_route(cfg, "ns/r.0.0.http", NULL);
	assert_int_equal(r->eff_timeout.request, SEC);
	assert_true(find_policy(cfg, "traffic/ns/second:timeout:ns/gw")->attached);
}

static void test_resolve_zero_attempts_means_no_retry(void **state)
{
	static const struct {
		const char *row;
		const char *inline_part; /* under rule0 */
		const char *rule_retry;	 /* a rule0 policy's retry, or NULL */
		int r0_attempts;	 /* -1 = no retry */
		int r1_attempts;
	} cases[] = {
		{ "inline zero over gateway", "    retry: {attempts: 0}\n", NULL, -1, 1 },
		{ "rule policy zero over gateway", "", "{attempts: 0, codes: [503]}", -1, 1 },
		{ "inline without attempts retries once", "    retry: {codes: [503]}\n", NULL, 1,
		  1 },
		{ "inline over a zero rule policy", "    retry: {attempts: 2}\n", "{attempts: 0}",
		  2, 1 },
	};
	struct loaded *l = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *base = NULL, *rule = NULL;
		struct sg_route *r0, *r1;
		struct sg_cfg *cfg;

		loaded_reset(l);
		if (cases[i].rule_retry &&
		    asprintf(&rule,
			     "---\n"
			     "apiVersion: agentgateway.dev/v1alpha1\n"
			     "kind: AgentgatewayPolicy\n"
			     "metadata: {name: p-rule, namespace: ns}\n"
			     "spec:\n"
			     "  targetRefs: [{kind: HTTPRoute, name: r, sectionName: rule0}]\n"
			     "  traffic: {retry: %s}\n",
			     cases[i].rule_retry) == -1)
			fail_msg("out of memory");
		assert_true(asprintf(&base, PREC_BASE, cases[i].inline_part) != -1);
		assert_true(asprintf(&l->text,
				     "%s---\n"
				     "apiVersion: agentgateway.dev/v1alpha1\n"
				     "kind: AgentgatewayPolicy\n"
				     "metadata: {name: p-gw, namespace: ns}\n"
				     "spec:\n"
				     "  targetRefs: [{kind: Gateway, name: gw}]\n"
				     "  traffic: {retry: {attempts: 1}}\n"
				     "%s",
				     base, rule ? rule : "") != -1);
		free(base);
		free(rule);
		cfg = load_ok(l, l->text, 0);
		r0 = find_route(cfg, "ns/r.0.0.http", NULL);
		r1 = find_route(cfg, "ns/r.1.0.http", NULL);
		if ((cases[i].r0_attempts < 0) != (r0->eff_retry == NULL) ||
		    (r0->eff_retry && (int)r0->eff_retry->attempts != cases[i].r0_attempts))
			fail_msg("%s: rule0 retry %d, want %d", cases[i].row,
				 r0->eff_retry ? (int)r0->eff_retry->attempts : -1,
				 cases[i].r0_attempts);
		assert_non_null(r1->eff_retry);
		assert_int_equal(r1->eff_retry->attempts, cases[i].r1_attempts);
	}
}

static void test_resolve_standalone_inline_policies(void **state)
{
	static const char text[] =
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - routes:\n"
		"    - name: plain\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: tuned\n"
		"      policies:\n"
		"        timeout: {requestTimeout: 1s}\n"
		"      backends: [{host: 127.0.0.1:8000}]\n"
		"    - name: retried\n"
		"      policies:\n"
		"        timeout: {backendRequestTimeout: 250ms}\n"
		"        retry: {attempts: 2, backoff: 100ms, codes: [503, 517]}\n"
		"      backends: [{host: 127.0.0.1:8000}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	struct sg_route *plain = find_route(cfg, "bind/8080/listener0/plain", NULL);
	struct sg_route *tuned = find_route(cfg, "bind/8080/listener0/tuned", NULL);
	struct sg_route *retried = find_route(cfg, "bind/8080/listener0/retried", NULL);

	assert_int_equal(plain->eff_timeout.request, SG_DUR_UNSET);
	assert_int_equal(plain->eff_timeout.backend_request, SG_DUR_UNSET);
	assert_null(plain->eff_retry);
	/* A field left out of an inline timeout is unset, not zero. */
	assert_int_equal(tuned->eff_timeout.request, SEC);
	assert_int_equal(tuned->eff_timeout.backend_request, SG_DUR_UNSET);
	assert_null(tuned->eff_retry);
	assert_int_equal(retried->eff_timeout.request, SG_DUR_UNSET);
	assert_int_equal(retried->eff_timeout.backend_request, 250 * MS);
	assert_ptr_equal(retried->eff_retry, &retried->retry);
	assert_int_equal(retried->eff_retry->attempts, 2);
	assert_int_equal(retried->eff_retry->backoff, 100 * MS);
	assert_int_equal(retried->eff_retry->codes.n, 2);
	assert_int_equal(retried->eff_retry->codes.v[1], 517);
}

/* ---- backends ----------------------------------------------------------- */

static void test_resolve_standalone_backend_policies(void **state)
{
	static const char text[] = "config:\n"
				   "  backend:\n"
				   "    connectTimeout: 5s\n"
				   "    keepalives: {enabled: false}\n"
				   "binds:\n"
				   "- port: 8080\n"
				   "  listeners:\n"
				   "  - routes:\n"
				   "    - name: plain\n"
				   "      backends:\n"
				   "      - host: 127.0.0.1:8000\n"
				   "    - name: tuned\n"
				   "      backends:\n"
				   "      - host: 127.0.0.1:8000\n"
				   "        policies:\n"
				   "          http: {requestTimeout: 1s}\n"
				   "          tcp:\n"
				   "            connectTimeout: {secs: 3, nanos: 500000000}\n"
				   "            keepalives: {}\n"
				   "    - name: connect-only\n"
				   "      backends:\n"
				   "      - host: 127.0.0.1:8000\n"
				   "        policies: {tcp: {connectTimeout: 2s}}\n"
				   "      - host: 127.0.0.1:8001\n"
				   "        policies: {tcp: {keepalives: {time: 1m, retries: 2}}}\n"
				   "- port: 9000\n"
				   "  listeners:\n"
				   "  - protocol: TCP\n"
				   "    tcpRoutes:\n"
				   "    - backends:\n"
				   "      - host: 127.0.0.1:7000\n"
				   "        policies: {tcp: {connectTimeout: 750ms}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_backend_ref *plain =
		&find_route(cfg, "bind/8080/listener0/plain", NULL)->backends.v[0];
	const struct sg_backend_ref *tuned =
		&find_route(cfg, "bind/8080/listener0/tuned", NULL)->backends.v[0];
	const struct sg_route *co = find_route(cfg, "bind/8080/listener0/connect-only", NULL);
	const struct sg_listener *tcp = find_listener(cfg, "bind/9000/listener0");
	const struct sg_backend_ref *raw = &tcp->tcp_routes[0].backends.v[0];

	/* No backend policy: config.backend. */
	assert_int_equal(plain->eff_connect_timeout, 5 * SEC);
	assert_keepalive(&plain->eff_keepalive, false, 180 * SEC, 180 * SEC, 9);
	assert_int_equal(plain->eff_request_timeout, SG_DUR_UNSET);
	/* Seed 003's shape: everything overridden, keepalives: {} = defaults. */
	assert_int_equal(tuned->eff_request_timeout, SEC);
	assert_int_equal(tuned->eff_connect_timeout, 3500 * MS);
	assert_keepalive(&tuned->eff_keepalive, true, 180 * SEC, 180 * SEC, 9);
	/* Only what the tcp policy sets overrides. */
	assert_int_equal(co->backends.v[0].eff_connect_timeout, 2 * SEC);
	assert_keepalive(&co->backends.v[0].eff_keepalive, false, 180 * SEC, 180 * SEC, 9);
	assert_int_equal(co->backends.v[1].eff_connect_timeout, 5 * SEC);
	assert_keepalive(&co->backends.v[1].eff_keepalive, true, 60 * SEC, 180 * SEC, 2);
	assert_int_equal(co->backends.v[1].eff_request_timeout, SG_DUR_UNSET);
	/* TCP routes' backends too. */
	assert_int_equal(raw->eff_connect_timeout, 750 * MS);
	assert_keepalive(&raw->eff_keepalive, false, 180 * SEC, 180 * SEC, 9);
}

#define BACKEND_BASE                                                                               \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw, namespace: ns}\n"                                                    \
	"spec:\n"                                                                                  \
	"  listeners:\n"                                                                           \
	"  - {name: http, port: 8080, protocol: HTTP}\n"                                           \
	"  - {name: raw, port: 9000, protocol: TCP}\n"                                             \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: svc, namespace: ns}\n"                                                   \
	"spec: {clusterIP: 127.0.0.1, ports: [{port: 8000}, {port: 8001}]}\n"                      \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: other, namespace: ns}\n"                                                 \
	"spec: {clusterIP: 127.0.0.2, ports: [{port: 8000}]}\n"                                    \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: HTTPRoute\n"                                                                        \
	"metadata: {name: r, namespace: ns}\n"                                                     \
	"spec:\n"                                                                                  \
	"  parentRefs: [{name: gw}]\n"                                                             \
	"  rules:\n"                                                                               \
	"  - timeouts: {backendRequest: 5s}\n"                                                     \
	"    backendRefs:\n"                                                                       \
	"    - {name: svc, port: 8000}\n"                                                          \
	"    - {name: svc, port: 8001}\n"                                                          \
	"    - {name: other, port: 8000}\n"                                                        \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1alpha2\n"                                         \
	"kind: TCPRoute\n"                                                                         \
	"metadata: {name: t, namespace: ns}\n"                                                     \
	"spec:\n"                                                                                  \
	"  parentRefs: [{name: gw}]\n"                                                             \
	"  rules: [{backendRefs: [{name: svc, port: 8000}]}]\n"

static void test_resolve_service_backend_policies(void **state)
{
	static const char text[] =
		BACKEND_BASE "---\n"
			     "apiVersion: agentgateway.dev/v1alpha1\n"
			     "kind: AgentgatewayPolicy\n"
			     "metadata: {name: svc-http, namespace: ns}\n"
			     "spec:\n"
			     "  targetRefs: [{kind: Service, name: svc}]\n"
			     "  backend: {http: {requestTimeout: 2s}}\n"
			     "---\n"
			     "apiVersion: agentgateway.dev/v1alpha1\n"
			     "kind: AgentgatewayPolicy\n"
			     "metadata: {name: svc-tcp, namespace: ns}\n"
			     "spec:\n"
			     "  targetRefs: [{kind: Service, name: svc}]\n"
			     "  backend:\n"
			     "    tcp:\n"
			     "      connectTimeout: 2s\n"
			     "      keepalive: {time: 30s, interval: 5s, retries: 3}\n"
			     "---\n"
			     "apiVersion: agentgateway.dev/v1alpha1\n"
			     "kind: AgentgatewayPolicy\n"
			     "metadata: {name: other-tcp, namespace: ns}\n"
			     "spec:\n"
			     "  targetRefs: [{kind: Service, name: other}]\n"
			     "  backend: {tcp: {connectTimeout: 1s}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_route *r = find_route(cfg, "ns/r.0.0.http", NULL);
	const struct sg_backend_ref *svc0 = &r->backends.v[0], *svc1 = &r->backends.v[1];
	const struct sg_backend_ref *other = &r->backends.v[2];
	const struct sg_listener *raw = find_listener(cfg, "ns/gw.raw");
	const struct sg_backend_ref *tcp = &raw->tcp_routes[0].backends.v[0];

	/* backend.http.requestTimeout on every port of the Service; the
	 * route's own per-try timeout is still there for the data path to
	 * compare. */
	assert_int_equal(svc0->eff_request_timeout, 2 * SEC);
	assert_int_equal(svc1->eff_request_timeout, 2 * SEC);
	assert_int_equal(r->eff_timeout.backend_request, 5 * SEC);
	assert_int_equal(other->eff_request_timeout, SG_DUR_UNSET);
	/* backend.tcp overrides the globals. */
	assert_int_equal(svc0->eff_connect_timeout, 2 * SEC);
	assert_keepalive(&svc0->eff_keepalive, true, 30 * SEC, 5 * SEC, 3);
	assert_int_equal(svc1->eff_connect_timeout, 2 * SEC);
	/* A tcp policy without keepalive keeps the global keepalive. */
	assert_int_equal(other->eff_connect_timeout, SEC);
	assert_keepalive(&other->eff_keepalive, true, 180 * SEC, 180 * SEC, 9);
	/* TCPRoute backends resolve the same way. */
	assert_int_equal(tcp->eff_connect_timeout, 2 * SEC);
	assert_int_equal(tcp->eff_request_timeout, 2 * SEC);
	assert_ptr_equal(sg_policy_for_backend(cfg, SG_POL_BACKEND_HTTP, svc0),
			 find_policy(cfg, "backend/ns/svc-http:backend-http:ns/svc"));
	assert_null(sg_policy_for_backend(cfg, SG_POL_BACKEND_HTTP, other));
	for (size_t i = 0; i < cfg->npolicies; i++)
		assert_true(cfg->policies[i].attached);
}

/* A GRPCRoute's backends are HTTP/2 whatever the Service port's
 * appProtocol (none here), mirrors included; the HTTPRoute's to the same
 * port stay HTTP/1.1, and a backend.http version still wins. */
static void test_resolve_grpcroute_backends_are_h2(void **state)
{
	static const char text[] = BACKEND_BASE
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: GRPCRoute\n"
		"metadata: {name: g, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{name: gw}]\n"
		"  rules:\n"
		"  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: svc, "
		"port: 8001}}}]\n"
		"    backendRefs: [{name: svc, port: 8000}, {name: other, port: 8000}]\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: h1, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{kind: Service, name: other}]\n"
		"  backend: {http: {version: HTTP/1.1}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_route *g = find_route(cfg, "ns/g.0.0.http.grpc", NULL);
	const struct sg_route *r = find_route(cfg, "ns/r.0.0.http", NULL);

	assert_true(g->backends.v[0].eff_h2);
	assert_false(g->backends.v[1].eff_h2);
	assert_int_equal(g->filters.mirrors.n, 1);
	assert_true(g->filters.mirrors.v[0].backend->eff_h2);
	assert_false(r->backends.v[0].eff_h2);
}

static void test_resolve_backend_defaults(void **state)
{
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, BACKEND_BASE, 0);
	const struct sg_route *r = find_route(cfg, "ns/r.0.0.http", NULL);

	for (size_t i = 0; i < r->backends.n; i++) {
		const struct sg_backend_ref *br = &r->backends.v[i];

		assert_int_equal(br->eff_connect_timeout, 10 * SEC);
		assert_keepalive(&br->eff_keepalive, true, 180 * SEC, 180 * SEC, 9);
		assert_int_equal(br->eff_request_timeout, SG_DUR_UNSET);
		assert_null(sg_policy_for_backend(cfg, SG_POL_BACKEND_TCP, br));
	}
}

/* Every backend's authority, the Host of a request that came without one,
 * is made at load: a Service's "hostname:port", a host as written, a
 * mirror's too; none for a backendRef that does not resolve. */
static void test_resolve_backend_authority(void **state)
{
	static const char text[] =
		BACKEND_BASE "---\n"
			     "apiVersion: gateway.networking.k8s.io/v1\n"
			     "kind: HTTPRoute\n"
			     "metadata: {name: m, namespace: ns}\n"
			     "spec:\n"
			     "  parentRefs: [{name: gw}]\n"
			     "  hostnames: [m.example]\n"
			     "  rules:\n"
			     "  - filters:\n"
			     "    - type: RequestMirror\n"
			     "      requestMirror: {backendRef: {name: other, port: 8000}}\n"
			     "    backendRefs: [{name: ghost, port: 80}]\n";
	static const char standalone[] =
		"binds:\n"
		"- port: 8080\n"
		"  listeners:\n"
		"  - routes:\n"
		"    - policies:\n"
		"        requestMirror: {backend: {host: 127.0.0.1:9000}, percentage: 1}\n"
		"      backends: [{host: 'localhost:8000'}]\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 1);
	const struct sg_route *r = find_route(cfg, "ns/r.0.0.http", NULL);
	const struct sg_route *m = find_route(cfg, "ns/m.0.0.http", NULL);

	assert_string_equal(r->backends.v[0].eff_authority, "svc.ns.svc.cluster.local:8000");
	assert_string_equal(r->backends.v[1].eff_authority, "svc.ns.svc.cluster.local:8001");
	assert_string_equal(r->backends.v[2].eff_authority, "other.ns.svc.cluster.local:8000");
	assert_int_equal(m->backends.v[0].kind, SG_BREF_INVALID);
	assert_null(m->backends.v[0].eff_authority);
	assert_int_equal(m->filters.mirrors.n, 1);
	assert_string_equal(m->filters.mirrors.v[0].backend->eff_authority,
			    "other.ns.svc.cluster.local:8000");
	cfg = load_ok(l, standalone, 0);
	r = find_route(cfg, "bind/8080/listener0/route0", NULL);
	assert_string_equal(r->backends.v[0].eff_authority, "localhost:8000");
	assert_string_equal(r->filters.mirrors.v[0].backend->eff_authority, "127.0.0.1:9000");
}

static void test_resolve_backend_policy_for_missing_service(void **state)
{
	static const char text[] = BACKEND_BASE "---\n"
						"apiVersion: agentgateway.dev/v1alpha1\n"
						"kind: AgentgatewayPolicy\n"
						"metadata: {name: ghost, namespace: ns}\n"
						"spec:\n"
						"  targetRefs: [{kind: Service, name: ghost}]\n"
						"  backend: {http: {requestTimeout: 2s}}\n";
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 1);

	assert_string_equal(l->diag.lines[0],
			    "r.yaml:42:16: warning: spec.targetRefs[0]: Service ns/ghost is not "
			    "defined; policy ns/ghost has no effect until it is");
	assert_false(find_policy(cfg, "backend/ns/ghost:backend-http:ns/ghost")->attached);
	assert_int_equal(find_route(cfg, "ns/r.0.0.http", NULL)->backends.v[0].eff_request_timeout,
			 SG_DUR_UNSET);
}

/* ---- frontend ------------------------------------------------------------ */

/* Gateways gw (listeners http and other) and gw2 (listener http). */
#define FRONTEND_BASE                                                                              \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw, namespace: ns}\n"                                                    \
	"spec:\n"                                                                                  \
	"  listeners:\n"                                                                           \
	"  - {name: http, port: 8080, protocol: HTTP}\n"                                           \
	"  - {name: other, port: 8081, protocol: HTTP}\n"                                          \
	"---\n"                                                                                    \
	"apiVersion: gateway.networking.k8s.io/v1\n"                                               \
	"kind: Gateway\n"                                                                          \
	"metadata: {name: gw2, namespace: ns}\n"                                                   \
	"spec:\n"                                                                                  \
	"  listeners:\n"                                                                           \
	"  - {name: http, port: 8082, protocol: HTTP}\n"

#define FRONTEND_POLICY(name, target, body)                                                        \
	"---\n"                                                                                    \
	"apiVersion: agentgateway.dev/v1alpha1\n"                                                  \
	"kind: AgentgatewayPolicy\n"                                                               \
	"metadata: {name: " name ", namespace: ns}\n"                                              \
	"spec:\n"                                                                                  \
	"  targetRefs: [" target "]\n"                                                             \
	"  frontend: " body "\n"

static void test_resolve_default_frontend(void **state)
{
	static const char *const keys[] = { "ns/gw.http", "ns/gw.other", "ns/gw2.http" };
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, FRONTEND_BASE, 0);

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const struct sg_listener *ls = find_listener(cfg, keys[i]);

		assert_ptr_equal(ls->fhttp, &cfg->default_fhttp);
		assert_null(ls->ftcp);
		assert_null(sg_policy_for_listener(cfg, SG_POL_FRONTEND_HTTP, ls));
	}
	assert_int_equal(cfg->default_fhttp.max_buffer_size, 2097152);
	assert_int_equal(cfg->default_fhttp.http1_idle_timeout, 600 * SEC);
}

static void test_resolve_frontend_per_gateway_and_listener(void **state)
{
	static const struct {
		const char *row;
		const char *policies;
		/* http1IdleTimeout in seconds per listener, 0 = the default
		 * frontend; keepalive time likewise, 0 = none. */
		int idle[3];
		int ka[3];
	} cases[] = {
		{ "none", "", { 0, 0, 0 }, { 0, 0, 0 } },
		{ "gateway",
		  FRONTEND_POLICY("g", "{kind: Gateway, name: gw}",
				  "{http: {http1IdleTimeout: 1s}}"),
		  { 1, 1, 0 },
		  { 0, 0, 0 } },
		{ "listener only",
		  FRONTEND_POLICY("o", "{kind: Gateway, name: gw, sectionName: other}",
				  "{http: {http1IdleTimeout: 2s}}"),
		  { 0, 2, 0 },
		  { 0, 0, 0 } },
		{ "listener over gateway",
		  FRONTEND_POLICY("o", "{kind: Gateway, name: gw, sectionName: other}",
				  "{http: {http1IdleTimeout: 2s}}")
			  FRONTEND_POLICY("g", "{kind: Gateway, name: gw}",
					  "{http: {http1IdleTimeout: 1s}}"),
		  { 1, 2, 0 },
		  { 0, 0, 0 } },
		{ "both gateways, one target list",
		  FRONTEND_POLICY("both", "{kind: Gateway, name: gw}, {kind: Gateway, name: gw2}",
				  "{http: {http1IdleTimeout: 3s}, tcp: {keepalive: {time: 30s}}}"),
		  { 3, 3, 3 },
		  { 30, 30, 30 } },
		{ "tcp per listener, http per gateway",
		  FRONTEND_POLICY("k", "{kind: Gateway, name: gw2, sectionName: http}",
				  "{tcp: {keepalive: {time: 20s}}}")
			  FRONTEND_POLICY("g", "{kind: Gateway, name: gw2}",
					  "{http: {http1IdleTimeout: 4s}, tcp: {keepalive: "
					  "{time: 10s}}}"),
		  { 0, 0, 4 },
		  { 0, 0, 20 } },
	};
	static const char *const keys[] = { "ns/gw.http", "ns/gw.other", "ns/gw2.http" };
	struct loaded *l = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sg_cfg *cfg;

		loaded_reset(l);
		assert_true(asprintf(&l->text, "%s%s", FRONTEND_BASE, cases[i].policies) != -1);
		cfg = load_ok(l, l->text, 0);
		for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
			const struct sg_listener *ls = find_listener(cfg, keys[k]);
			const struct sg_policy *fh =
				sg_policy_for_listener(cfg, SG_POL_FRONTEND_HTTP, ls);
			const struct sg_policy *ft =
				sg_policy_for_listener(cfg, SG_POL_FRONTEND_TCP, ls);
			int idle = cases[i].idle[k], ka = cases[i].ka[k];

			if (idle == 0 && (ls->fhttp != &cfg->default_fhttp || fh))
				fail_msg("%s, %s: want the default frontend", cases[i].row,
					 keys[k]);
			if (idle && (!fh || ls->fhttp != &fh->u.fhttp ||
				     ls->fhttp->http1_idle_timeout != idle * SEC))
				fail_msg("%s, %s: idle %lld, want %ds", cases[i].row, keys[k],
					 (long long)ls->fhttp->http1_idle_timeout, idle);
			if (ka == 0 && ls->ftcp)
				fail_msg("%s, %s: want no keepalive", cases[i].row, keys[k]);
			if (ka &&
			    (!ft || ls->ftcp != &ft->u.ftcp || !ls->ftcp->keepalives.enabled ||
			     ls->ftcp->keepalives.time != ka * SEC))
				fail_msg("%s, %s: keepalive time want %ds", cases[i].row, keys[k],
					 ka);
			/* Unset fields keep their defaults in a policy too. */
			assert_int_equal(ls->fhttp->max_buffer_size, 2097152);
		}
	}
}

static void test_resolve_frontend_keys(void **state)
{
	static const char text[] = FRONTEND_BASE FRONTEND_POLICY(
		"o", "{kind: Gateway, name: gw, sectionName: other}",
		"{http: {http1IdleTimeout: 2s}}")
		FRONTEND_POLICY("t", "{kind: Gateway, name: gw}",
				"{tcp: {keepalive: {retries: 3, time: 30s, interval: 5s}}}");
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_policy *o = find_policy(cfg, "frontend/ns/o:frontend-http:ns/gw/other");
	const struct sg_policy *t = find_policy(cfg, "frontend/ns/t:frontend-tcp:ns/gw");

	assert_string_equal(o->target.section, "other");
	assert_null(t->target.section);
	assert_true(o->attached);
	assert_true(t->attached);
	assert_keepalive(&t->u.ftcp.keepalives, true, 30 * SEC, 5 * SEC, 3);
	assert_ptr_equal(find_listener(cfg, "ns/gw.http")->ftcp, &t->u.ftcp);
}

static void test_resolve_standalone_frontend_stays_standalone(void **state)
{
	/* frontendPolicies reach the standalone binds, not Gateway listeners. */
	static const char text[] =
		"frontendPolicies:\n"
		"  http: {http1IdleTimeout: 5s}\n"
		"  tcp: {keepalives: {time: 45s}}\n"
		"binds:\n"
		"- port: 7000\n"
		"  listeners: [{name: s, routes: [{backends: [{host: 1.2.3.4:80}]}]}]\n"
		"---\n" FRONTEND_BASE;
	struct loaded *l = *state;
	struct sg_cfg *cfg = load_ok(l, text, 0);
	const struct sg_listener *s = find_listener(cfg, "bind/7000/s");
	const struct sg_listener *g = find_listener(cfg, "ns/gw.http");

	assert_ptr_equal(s->fhttp, &find_policy(cfg, "frontend/http")->u.fhttp);
	assert_int_equal(s->fhttp->http1_idle_timeout, 5 * SEC);
	assert_non_null(s->ftcp);
	assert_int_equal(s->ftcp->keepalives.time, 45 * SEC);
	assert_ptr_equal(g->fhttp, &cfg->default_fhttp);
	assert_null(g->ftcp);
}

static void test_resolve_is_repeatable(void **state)
{
	/* sg_resolve is pure over the config: running it again changes
	 * nothing. */
	struct loaded *l = *state;
	struct sg_cfg *cfg;
	struct sg_route *r;
	const struct sg_retry *retry;
	struct sg_diag d;

	l->text = prec_text(BIT(GW) | BIT(RULE), false);
	cfg = load_ok(l, l->text, 0);
	r = find_route(cfg, "ns/r.0.0.http", NULL);
	retry = r->eff_retry;
	sg_diag_init(&d);
	assert_int_equal(sg_resolve(cfg, &d), 0);
	assert_int_equal(d.n, 0);
	sg_diag_free(&d);
	assert_ptr_equal(r->eff_retry, retry);
	assert_int_equal(r->eff_timeout.request, 4 * SEC);
	assert_int_equal(r->eff_timeout.backend_request, 400 * MS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, loaded_setup, loaded_teardown)
	const struct CMUnitTest tests[] = {
		T(test_resolve_timeout_and_retry_precedence),
		T(test_resolve_ignores_policies_for_other_sections),
		T(test_resolve_first_listed_wins_a_tie),
		T(test_resolve_zero_attempts_means_no_retry),
		T(test_resolve_standalone_inline_policies),
		T(test_resolve_standalone_backend_policies),
		T(test_resolve_service_backend_policies),
		T(test_resolve_backend_defaults),
		T(test_resolve_backend_authority),
		T(test_resolve_backend_policy_for_missing_service),
		T(test_resolve_default_frontend),
		T(test_resolve_frontend_per_gateway_and_listener),
		T(test_resolve_frontend_keys),
		T(test_resolve_standalone_frontend_stays_standalone),
		T(test_resolve_is_repeatable),
		T(test_resolve_grpcroute_backends_are_h2),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
