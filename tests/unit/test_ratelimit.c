/* policy/ratelimit: local rate limits' token buckets (starting full,
 * filled at whole intervals, capped), several limits on one route, the
 * bound across threads, and a reload carrying the buckets of the limits it
 * did not change (configs loaded from real YAML). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "policy/ratelimit.h"

#define SEC 1000000000ull
#define T0 (1000 * SEC) /* an arbitrary clock reading */

/* A bucket as the config loader leaves it: full, clock not started. */
static void limit_init(struct sg_ratelimit *rl, uint64_t max, uint64_t per_fill, uint64_t fill_s)
{
	memset(rl, 0, sizeof(*rl));
	rl->max_tokens = max;
	rl->tokens_per_fill = per_fill;
	rl->fill_interval = (sg_dur)(fill_s * SEC);
	atomic_init(&rl->available, max);
	atomic_init(&rl->refill_at, 0);
}

static bool take_at(struct sg_ratelimits *l, uint64_t now, struct sg_ratelimit_status *st)
{
	return sg_ratelimits_take(l, now, st);
}

/* Full at first; each request takes one; without one, refused with
 * nothing left and the whole seconds to the next fill. */
static void test_ratelimit_takes_then_refuses(void **unused)
{
	struct sg_ratelimit rl;
	struct sg_ratelimits l = { &rl, 1, 1 };
	struct sg_ratelimit_status st;

	limit_init(&rl, 3, 1, 10);
	for (uint64_t want = 2; want != UINT64_MAX; want--) {
		assert_true(take_at(&l, T0, &st));
		assert_int_equal(st.limit, 3);
		assert_int_equal(st.remaining, want);
		assert_int_equal(st.reset_s, 10); /* the clock starts at the first take */
	}
	assert_false(take_at(&l, T0 + 2500000000ull, &st));
	assert_int_equal(st.limit, 3);
	assert_int_equal(st.remaining, 0);
	assert_int_equal(st.reset_s, 7); /* 7.5 s, whole seconds */
}

/* Fills come at whole intervals after the clock started, tokensPerFill
 * each, for every interval that ended, never above maxTokens. */
static void test_ratelimit_fills_at_whole_intervals(void **unused)
{
	struct sg_ratelimit rl;
	struct sg_ratelimits l = { &rl, 1, 1 };
	struct sg_ratelimit_status st;

	limit_init(&rl, 5, 2, 10);
	for (int i = 0; i < 5; i++)
		assert_true(take_at(&l, T0, &st));
	assert_false(take_at(&l, T0 + 10 * SEC - 1, &st)); /* just before the fill */
	assert_true(take_at(&l, T0 + 10 * SEC, &st));	   /* 2 in, 1 taken */
	assert_int_equal(st.remaining, 1);
	assert_int_equal(st.reset_s, 10);
	assert_true(take_at(&l, T0 + 15 * SEC, &st)); /* no fill until 20 s */
	assert_int_equal(st.remaining, 0);
	assert_int_equal(st.reset_s, 5);
	assert_false(take_at(&l, T0 + 19 * SEC, &st));
	/* Three intervals ended by 45 s: 6 tokens, held to 5; the next fill
	 * is at 50 s. */
	assert_true(take_at(&l, T0 + 45 * SEC, &st));
	assert_int_equal(st.remaining, 4);
	assert_int_equal(st.reset_s, 5);
	/* Two million intervals later the bucket is merely full. */
	assert_true(take_at(&l, T0 + 20000000 * SEC, &st));
	assert_int_equal(st.remaining, 4);
}

/* Each request takes from every limit; the fields name the one with the
 * fewest left; the first limit that has none refuses, the earlier ones
 * keeping the token they gave (agentgateway's order). A limit of tokens
 * counts no request; with only such limits there are no fields. */
static void test_ratelimit_several_limits(void **unused)
{
	struct sg_ratelimit rl[3];
	struct sg_ratelimits l = { rl, 3, 3 };
	struct sg_ratelimit_status st;

	limit_init(&rl[0], 5, 5, 60);
	limit_init(&rl[1], 1, 1, 60);
	rl[1].tokens = true;
	limit_init(&rl[2], 2, 2, 30);
	assert_true(take_at(&l, T0, &st));
	assert_int_equal(st.limit, 2);
	assert_int_equal(st.remaining, 1);
	assert_int_equal(st.reset_s, 30);
	assert_true(take_at(&l, T0, &st));
	assert_false(take_at(&l, T0, &st));
	assert_int_equal(st.limit, 2);
	assert_int_equal(st.remaining, 0);
	assert_int_equal(atomic_load(&rl[0].available), 2); /* 3 taken, the last refused */
	assert_int_equal(atomic_load(&rl[1].available), 1); /* never taken from */

	l = (struct sg_ratelimits){ &rl[1], 1, 1 };
	assert_true(take_at(&l, T0, &st));
	assert_int_equal(st.limit, 0);
	l = (struct sg_ratelimits){ NULL, 0, 0 };
	assert_true(take_at(&l, T0, &st));
	assert_int_equal(st.limit, 0);
}

/* maxTokens 0 refuses every request, and cannot say when it would not. */
static void test_ratelimit_zero_refuses_all(void **unused)
{
	struct sg_ratelimit rl;
	struct sg_ratelimits l = { &rl, 1, 1 };
	struct sg_ratelimit_status st;

	limit_init(&rl, 0, 0, 1);
	assert_false(take_at(&l, T0, &st));
	assert_false(take_at(&l, T0 + 100 * SEC, &st));
	assert_int_equal(st.limit, 0);
	assert_int_equal(st.reset_s, 0);
}

/* Workers take from one bucket at once: exactly its tokens are given. */
struct taker {
	struct sg_ratelimits *l;
	unsigned got;
};

static void *take_many(void *arg)
{
	struct taker *t = arg;
	struct sg_ratelimit_status st;

	for (int i = 0; i < 20000; i++)
		t->got += sg_ratelimits_take(t->l, T0 + (uint64_t)i, &st);
	return NULL;
}

static void test_ratelimit_bound_across_threads(void **unused)
{
	struct sg_ratelimit rl;
	struct sg_ratelimits l = { &rl, 1, 1 };
	struct taker t[4];
	pthread_t th[4];
	unsigned got = 0;

	limit_init(&rl, 25000, 1, 3600);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct taker){ &l, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, take_many, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		got += t[i].got;
	}
	assert_int_equal(got, 25000);
	assert_int_equal(atomic_load(&rl.available), 0);
}

/* ---- reload ------------------------------------------------------------ */

static struct sg_cfg *load(const char *interval_a, const char *extra_route)
{
	char text[2048];
	struct sg_diag d;
	struct sg_cfg *cfg;

	snprintf(text, sizeof(text),
		 "binds:\n"
		 "- port: 8080\n"
		 "  listeners:\n"
		 "  - routes:\n"
		 "    %s\n"
		 "    - name: a\n"
		 "      matches: [{path: {pathPrefix: /a}}]\n"
		 "      policies:\n"
		 "        localRateLimit:\n"
		 "        - {maxTokens: 4, tokensPerFill: 1, fillInterval: %s}\n"
		 "        - {maxTokens: 9, tokensPerFill: 9, fillInterval: 1h}\n"
		 "      backends: [{host: 127.0.0.1:1}]\n"
		 "    - name: b\n"
		 "      policies:\n"
		 "        localRateLimit: [{maxTokens: 2, tokensPerFill: 2, fillInterval: 1m}]\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 extra_route, interval_a);
	sg_diag_init(&d);
	cfg = sg_cfg_load_text("rl.yaml", text, &d);
	for (size_t i = 0; i < d.n; i++)
		print_message("  %s\n", d.lines[i]);
	assert_non_null(cfg);
	assert_int_equal(d.errors, 0);
	sg_diag_free(&d);
	return cfg;
}

static const struct sg_ratelimits *limits_of(const struct sg_cfg *cfg, const char *name)
{
	const struct sg_listener *l = &cfg->binds[0].listeners[0];

	for (size_t i = 0; i < l->nroutes; i++)
		if (!strcmp(l->routes[i].name, name))
			return l->routes[i].eff_filters.ratelimits;
	fail_msg("no route %s", name);
	return NULL;
}

/* The first config: every bucket full, its first fill an interval after
 * it went in force. A reload that changes nothing of a limit keeps its
 * tokens and fill time, whatever else changed (here: a route added before
 * it); one that changes a limit's numbers starts that one afresh, and the
 * other limit of the same route keeps its tokens. */
static void test_ratelimit_carried_over_a_reload(void **unused)
{
	struct sg_cfg *first = load("10s", ""), *second, *third;
	struct sg_ratelimit_status st;

	sg_ratelimits_carry(first, NULL, T0);
	assert_int_equal(atomic_load(&limits_of(first, "a")->v[0].refill_at), T0 + 10 * SEC);
	assert_int_equal(atomic_load(&limits_of(first, "b")->v[0].refill_at), T0 + 60 * SEC);
	for (int i = 0; i < 3; i++)
		assert_true(sg_ratelimits_take(limits_of(first, "a"), T0 + SEC, &st));
	assert_true(sg_ratelimits_take(limits_of(first, "b"), T0 + SEC, &st));

	second = load("10s", "- {name: new, backends: [{host: 127.0.0.1:1}]}");
	sg_ratelimits_carry(second, first, T0 + 2 * SEC);
	assert_int_equal(atomic_load(&limits_of(second, "a")->v[0].available), 1);
	assert_int_equal(atomic_load(&limits_of(second, "a")->v[0].refill_at), T0 + 10 * SEC);
	assert_int_equal(atomic_load(&limits_of(second, "a")->v[1].available), 6);
	assert_int_equal(atomic_load(&limits_of(second, "b")->v[0].available), 1);

	third = load("20s", "");
	sg_ratelimits_carry(third, second, T0 + 3 * SEC);
	assert_int_equal(atomic_load(&limits_of(third, "a")->v[0].available), 4);
	assert_int_equal(atomic_load(&limits_of(third, "a")->v[0].refill_at), T0 + 23 * SEC);
	assert_int_equal(atomic_load(&limits_of(third, "a")->v[1].available), 6);
	assert_int_equal(atomic_load(&limits_of(third, "b")->v[0].available), 1);
	sg_cfg_free(first);
	sg_cfg_free(second);
	sg_cfg_free(third);
}

/* A route group's route: its copy behind the delegating route is carried
 * over a reload as a listener's route is. */
static void test_ratelimit_route_group_carried(void **unused)
{
	static const char text[] =
		"binds: [{port: 8080, listeners: [{routes: [{backends: [{routeGroup: g}]}]}]}]\n"
		"routeGroups:\n"
		"- name: g\n"
		"  routes:\n"
		"  - policies:\n"
		"      localRateLimit: [{maxTokens: 3, tokensPerFill: 1, fillInterval: 10s}]\n"
		"    backends: [{host: 127.0.0.1:1}]\n";
	struct sg_cfg *cfg[2];
	struct sg_ratelimit_status st;
	const struct sg_ratelimits *l0, *l1;

	for (int i = 0; i < 2; i++) {
		struct sg_diag d;

		sg_diag_init(&d);
		cfg[i] = sg_cfg_load_text("rl.yaml", text, &d);
		assert_non_null(cfg[i]);
		sg_diag_free(&d);
		sg_ratelimits_carry(cfg[i], i ? cfg[0] : NULL, T0 + (uint64_t)i * SEC);
	}
	/* the copies a request reaches */
	l0 = cfg[0]->binds[0].listeners[0].routes[0].backends.v[0].sub[0].eff_filters.ratelimits;
	l1 = cfg[1]->binds[0].listeners[0].routes[0].backends.v[0].sub[0].eff_filters.ratelimits;

	assert_int_equal(atomic_load(&l0->v[0].refill_at), T0 + 10 * SEC);
	assert_int_equal(atomic_load(&l1->v[0].refill_at), T0 + 10 * SEC);
	assert_true(sg_ratelimits_take(l1, T0 + 2 * SEC, &st));
	assert_int_equal(atomic_load(&l1->v[0].available), 2);
	sg_cfg_free(cfg[0]);
	sg_cfg_free(cfg[1]);
}

/* An AgentgatewayPolicy on a Gateway: one bucket for all its routes,
 * carried once over a reload. */
static void test_ratelimit_policy_shared_by_routes(void **unused)
{
	static const char text[] =
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: gw, namespace: ns}\n"
		"spec:\n"
		"  gatewayClassName: agentgateway\n"
		"  listeners: [{name: http, port: 8080, protocol: HTTP}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: one, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{name: gw}]\n"
		"  rules: [{matches: [{path: {type: PathPrefix, value: /one}}]}]\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\n"
		"kind: HTTPRoute\n"
		"metadata: {name: two, namespace: ns}\n"
		"spec:\n"
		"  parentRefs: [{name: gw}]\n"
		"  rules: [{matches: [{path: {type: PathPrefix, value: /two}}]}]\n"
		"---\n"
		"apiVersion: agentgateway.dev/v1alpha1\n"
		"kind: AgentgatewayPolicy\n"
		"metadata: {name: rl, namespace: ns}\n"
		"spec:\n"
		"  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n"
		"  traffic: {rateLimit: {local: [{requests: 3, unit: Seconds, burst: 2}]}}\n";
	struct sg_cfg *cfg[2];
	const struct sg_listener *l;
	struct sg_ratelimit_status st;

	for (int i = 0; i < 2; i++) {
		struct sg_diag d;

		sg_diag_init(&d);
		cfg[i] = sg_cfg_load_text("k.yaml", text, &d);
		assert_non_null(cfg[i]);
		assert_int_equal(d.errors, 0);
		sg_diag_free(&d);
		sg_ratelimits_carry(cfg[i], i ? cfg[0] : NULL, T0);
		l = &cfg[i]->binds[0].listeners[0];
		assert_int_equal(l->nroutes, 2);
		assert_ptr_equal(l->routes[0].eff_filters.ratelimits,
				 l->routes[1].eff_filters.ratelimits);
		assert_int_equal(l->routes[0].eff_filters.ratelimits->v[0].max_tokens, 5);
		assert_int_equal(l->routes[0].eff_filters.ratelimits->v[0].tokens_per_fill, 3);
		assert_int_equal(l->routes[0].eff_filters.ratelimits->v[0].fill_interval, SEC);
		if (!i) {
			assert_true(
				sg_ratelimits_take(l->routes[0].eff_filters.ratelimits, T0, &st));
			assert_true(
				sg_ratelimits_take(l->routes[1].eff_filters.ratelimits, T0, &st));
			assert_int_equal(st.remaining, 3);
		}
	}
	assert_int_equal(atomic_load(&l->routes[0].eff_filters.ratelimits->v[0].available), 3);
	sg_cfg_free(cfg[0]);
	sg_cfg_free(cfg[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_takes_then_refuses),
		cmocka_unit_test(test_ratelimit_fills_at_whole_intervals),
		cmocka_unit_test(test_ratelimit_several_limits),
		cmocka_unit_test(test_ratelimit_zero_refuses_all),
		cmocka_unit_test(test_ratelimit_bound_across_threads),
		cmocka_unit_test(test_ratelimit_carried_over_a_reload),
		cmocka_unit_test(test_ratelimit_policy_shared_by_routes),
		cmocka_unit_test(test_ratelimit_route_group_carried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
