/* Unit tests for policy/health.c: agentgateway's passive health rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/cfg.h"
#include "policy/health.h"

static struct sg_health_policy policy(void)
{
	return (struct sg_health_policy){ .duration = SG_DUR_UNSET,
					  .restore_health = -1,
					  .consecutive_failures = SG_UNSET,
					  .health_threshold = -1 };
}

static void test_health_default_is_5xx_or_no_response(void **state)
{
	assert_true(sg_health_unhealthy(NULL, 0));
	assert_true(sg_health_unhealthy(NULL, 500));
	assert_true(sg_health_unhealthy(NULL, 599));
	assert_false(sg_health_unhealthy(NULL, 499));
	assert_false(sg_health_unhealthy(NULL, 200));
}

/* response.code >= 500 && response.code != 503 || response.code == 429 */
static void test_health_expression_ors_of_ands(void **state)
{
	struct sg_code_cmp t[] = { { SG_CODE_GE, 500, true },
				   { SG_CODE_NE, 503, false },
				   { SG_CODE_EQ, 429, true } };
	struct sg_health_policy p = policy();

	p.unhealthy_expression = "...";
	p.terms = t;
	p.nterms = 3;
	assert_true(sg_health_unhealthy(&p, 500));
	assert_false(sg_health_unhealthy(&p, 503));
	assert_true(sg_health_unhealthy(&p, 429));
	assert_false(sg_health_unhealthy(&p, 404));
	/* No response: CEL cannot read response.code, which is false. */
	assert_false(sg_health_unhealthy(&p, 0));
}

static void test_health_eviction_thresholds(void **state)
{
	struct sg_health_policy p = policy();

	/* No policy: never. No eviction section: the retry backoff, else never. */
	assert_int_equal(sg_health_eviction(NULL, SG_DUR_S(1), 1, 0, 0), 0);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, 0), 0);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 0, 0), SG_DUR_MS(300));
	/* Eviction without duration: the retry backoff, else 3s; no
	 * threshold: the first failure. */
	p.has_eviction = true;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, 0), SG_DUR_S(3));
	/* consecutiveFailures 3: the third in a row (two before it). */
	p.consecutive_failures = 3;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 1, 0), 0);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 2, 0), SG_DUR_S(3));
	/* Either threshold evicts. */
	p.health_threshold = 0.5;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 0.49, 0, 0), SG_DUR_S(3));
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 0.5, 0, 0), 0);
	/* 0 failures means "not this rule". */
	p.consecutive_failures = 0;
	p.health_threshold = -1;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 5, 0), 0);
}

/* agentgateway: eviction.duration, else the fallback (Retry-After, the
 * retry backoff), else 3s. An eviction section without a duration took
 * 3s over the route's 300ms backoff. */
static void test_health_eviction_without_duration_takes_backoff(void **state)
{
	struct sg_health_policy p = policy();

	(void)state;
	p.has_eviction = true;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 0, 0), SG_DUR_MS(300));
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 0, 2), SG_DUR_MS(900));
	p.consecutive_failures = 2;
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 0, 0), 0);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 1, 0), SG_DUR_MS(300));
	/* A duration of its own wins over the backoff. */
	p.duration = SG_DUR_S(10);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_MS(300), 1, 1, 0), SG_DUR_S(10));
}

static void test_health_eviction_backs_off(void **state)
{
	struct sg_health_policy p = policy();

	p.has_eviction = true;
	p.duration = SG_DUR_S(2);
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, 0), SG_DUR_S(2));
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, 1), SG_DUR_S(4));
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, 4), SG_DUR_S(10));
	assert_int_equal(sg_health_eviction(&p, SG_DUR_UNSET, 1, 0, UINT64_MAX - 1), INT64_MAX);
}

static void test_health_ewma_and_score(void **state)
{
	assert_true(sg_health_ewma(0.0, 0.25) == 0.25);
	assert_true(sg_health_ewma(1.0, 0.0) > 0.69 && sg_health_ewma(1.0, 0.0) < 0.71);
	assert_true(sg_health_score(1, 0, 0) == 1.0);
	assert_true(sg_health_score(1, 0.1, 0) > sg_health_score(1, 0.1, 5));
	assert_true(sg_health_score(1, 0.01, 0) > sg_health_score(1, 0.1, 0));
	assert_true(sg_health_score(0.5, 0.01, 0) < sg_health_score(1, 0.01, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_default_is_5xx_or_no_response),
		cmocka_unit_test(test_health_expression_ors_of_ands),
		cmocka_unit_test(test_health_eviction_thresholds),
		cmocka_unit_test(test_health_eviction_without_duration_takes_backoff),
		cmocka_unit_test(test_health_eviction_backs_off),
		cmocka_unit_test(test_health_ewma_and_score),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
