/* Unit tests for user/core/lb.c: per-worker passive health (eviction after the
 * threshold, restore on the loop's timer, backoff on repeated eviction,
 * never an empty set) and power-of-two-choices within weighted backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/cfg.h"
#include "policy/route.h"
#include "policy/session.h"
#include "user/core/lb.h"
#include "user/base/httpdate.h"
#include "user/base/loop.h"
#include "user/codec/h1.h"
#include "fakeclock.h"

static struct sg_endpoint eps3[] = { { "10.0.0.1", 80 }, { "10.0.0.2", 80 }, { "10.0.0.3", 80 } };

static struct sg_health_policy evict_after(int64_t failures, sg_dur d)
{
	return (struct sg_health_policy){ .has_eviction = true,
					  .duration = d,
					  .restore_health = -1,
					  .consecutive_failures = failures,
					  .health_threshold = -1 };
}

static void one_backend(struct sg_brefs *bs, struct sg_backend_ref *br)
{
	memset(br, 0, sizeof(*br));
	br->kind = SG_BREF_SERVICE;
	br->weight = 1;
	br->eps = eps3;
	br->neps = 3;
	*bs = (struct sg_brefs){ br, 1, 1 };
}

/* Picks n times from a fixed xorshift sequence; count[ei] per endpoint. */
static void pick_n(struct sg_lb *lb, const struct sg_brefs *bs, int n, unsigned *count)
{
	uint64_t rng = 42;

	for (int i = 0; i < n; i++) {
		size_t bi, ei;

		assert_true(sg_lb_pick(lb, bs, sg_route_random(&rng), 0, false, &bi, &ei));
		count[bi * 8 + ei]++;
	}
}

static void fail_once(struct sg_lb *lb, struct sg_lb_ep *e, const struct sg_health_policy *p)
{
	sg_lb_judge(lb, e, p, SG_DUR_UNSET, 500, 1000000);
}

static void test_lb_evicts_after_consecutive_failures(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_health_policy p = evict_after(3, SG_DUR_S(10));
	struct sg_lb_ep *e = sg_lb_get(lb, &eps3[2]);
	struct sg_backend_ref br;
	struct sg_brefs bs;
	unsigned count[8] = { 0 };
	uint64_t ev, re, now;

	one_backend(&bs, &br);
	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 503, 0));
	/* A healthy try in between starts the run again. */
	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 200, 1000000));
	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 0, 0)); /* no response */
	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 502, 0));
	assert_false(sg_lb_evicted(e));
	assert_true(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 500, 0));
	assert_true(sg_lb_evicted(e));
	sg_lb_totals(lb, &ev, &re, &now);
	assert_int_equal(ev, 1);
	assert_int_equal(now, 1);
	pick_n(lb, &bs, 300, count);
	assert_int_equal(count[2], 0);
	assert_int_equal(count[0] + count[1], 300);
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* Restored by the loop's timer after `duration`; evicted again at once
 * (the failure run goes on), for twice as long; a success resets the
 * backoff. A failure of a try begun before the eviction changes nothing.
 * On a fake clock, to the ms: on the real one, a 20 ms eviction took 47
 * ms under ASan beside a busy core (make flake-check). */
static void test_lb_restores_and_backs_off(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct fake_clock fc;
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_health_policy p = evict_after(1, SG_DUR_MS(20));
	struct sg_lb_ep *e = sg_lb_get(lb, &eps3[0]);
	uint64_t t0, ev, re, now;

	fake_clock_start(loop, &fc);
	assert_true(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 500, 0));
	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 500, 0)); /* in flight before */
	sg_lb_totals(lb, &ev, &re, &now);
	assert_int_equal(ev, 1);
	t0 = sg_loop_now(loop);
	while (sg_lb_evicted(e))
		sg_loop_run_once(loop, 100);
	assert_int_equal(sg_loop_now(loop) - t0, 20);
	sg_lb_totals(lb, &ev, &re, &now);
	assert_int_equal(re, 1);
	assert_int_equal(now, 0);

	assert_true(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 500, 0));
	t0 = sg_loop_now(loop);
	while (sg_lb_evicted(e))
		sg_loop_run_once(loop, 100);
	assert_int_equal(sg_loop_now(loop) - t0, 40); /* 2 x 20ms */

	assert_false(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 200, 1000000));
	assert_true(sg_lb_judge(lb, e, &p, SG_DUR_UNSET, 500, 0));
	t0 = sg_loop_now(loop);
	while (sg_lb_evicted(e))
		sg_loop_run_once(loop, 100);
	assert_int_equal(sg_loop_now(loop) - t0, 20); /* back to 1 x */
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* Every endpoint evicted: all are candidates again (an all-failing backend
 * still gets its requests). */
static void test_lb_never_empty(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_health_policy p = evict_after(1, SG_DUR_S(10));
	struct sg_backend_ref br;
	struct sg_brefs bs;
	unsigned count[8] = { 0 };

	one_backend(&bs, &br);
	for (int i = 0; i < 3; i++)
		fail_once(lb, sg_lb_get(lb, &eps3[i]), &p);
	pick_n(lb, &bs, 300, count);
	for (int i = 0; i < 3; i++)
		assert_true(count[i] > 0);
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* No health policy: scored, never evicted. */
static void test_lb_without_policy_never_evicts(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_lb_ep *e = sg_lb_get(lb, &eps3[0]);

	for (int i = 0; i < 20; i++)
		assert_false(sg_lb_judge(lb, e, NULL, SG_DUR_S(1), 0, 0));
	assert_false(sg_lb_evicted(e));
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* One endpoint 10x slower: P2C (two draws with replacement, the better
 * score wins) sends it about 1/9 of requests, uniform random 1/3. */
static void test_lb_p2c_avoids_slow_endpoint(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_backend_ref br;
	struct sg_brefs bs;
	unsigned count[8] = { 0 };

	one_backend(&bs, &br);
	sg_lb_judge(lb, sg_lb_get(lb, &eps3[0]), NULL, SG_DUR_UNSET, 200, 10000000);
	sg_lb_judge(lb, sg_lb_get(lb, &eps3[1]), NULL, SG_DUR_UNSET, 200, 10000000);
	sg_lb_judge(lb, sg_lb_get(lb, &eps3[2]), NULL, SG_DUR_UNSET, 200, 100000000);
	pick_n(lb, &bs, 9000, count);
	assert_in_range(count[2], 700, 1300);
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* Outstanding requests count: an endpoint with many holds fewer picks. */
static void test_lb_p2c_counts_outstanding(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_backend_ref br;
	struct sg_brefs bs;
	unsigned count[8] = { 0 };
	struct sg_lb_ep *busy;

	one_backend(&bs, &br);
	for (int i = 0; i < 3; i++)
		sg_lb_judge(lb, sg_lb_get(lb, &eps3[i]), NULL, SG_DUR_UNSET, 200, 10000000);
	busy = sg_lb_get(lb, &eps3[1]);
	for (int i = 0; i < 50; i++)
		sg_lb_begin(busy);
	pick_n(lb, &bs, 9000, count);
	assert_in_range(count[1], 700, 1300);
	for (int i = 0; i < 50; i++)
		sg_lb_end(busy);
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* Backend weights split traffic exactly whatever the scores (Gateway API
 * weights); P2C only chooses within a backend. */
static void test_lb_weights_honoured(void **state)
{
	static struct sg_endpoint a = { "10.0.1.1", 80 }, b = { "10.0.2.1", 80 };
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_backend_ref brs[2];
	struct sg_brefs bs = { brs, 2, 2 };
	unsigned count[16] = { 0 };

	memset(brs, 0, sizeof(brs));
	brs[0] = (struct sg_backend_ref){ .kind = SG_BREF_HOST, .weight = 3, .eps = &a, .neps = 1 };
	brs[1] = (struct sg_backend_ref){ .kind = SG_BREF_HOST, .weight = 1, .eps = &b, .neps = 1 };
	/* b is far faster: no matter. */
	sg_lb_judge(lb, sg_lb_get(lb, &a), NULL, SG_DUR_UNSET, 200, 500000000);
	sg_lb_judge(lb, sg_lb_get(lb, &b), NULL, SG_DUR_UNSET, 200, 1000000);
	pick_n(lb, &bs, 8000, count);
	assert_in_range(count[0], 5700, 6300);
	assert_in_range(count[8], 1700, 2300);
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* A retry prefers an untried endpoint that is not evicted. */
static void test_lb_retry_prefers_untried(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_health_policy p = evict_after(1, SG_DUR_S(10));
	struct sg_backend_ref br;
	struct sg_brefs bs;
	uint64_t rng = 7;

	one_backend(&bs, &br);
	fail_once(lb, sg_lb_get(lb, &eps3[2]), &p);
	for (int i = 0; i < 200; i++) {
		size_t bi, ei;

		assert_true(sg_lb_pick(lb, &bs, sg_route_random(&rng), SG_ROUTE_TRIED_BIT(0, 0),
				       true, &bi, &ei));
		assert_int_equal(ei, 1);
	}
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* A session's endpoint, wherever it is among the route's backends (a
 * weight of 0 too), while it is there and not evicted. */
static void test_lb_session_named_endpoint(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lb = sg_lb_new(loop);
	struct sg_health_policy p = evict_after(1, SG_DUR_MS(20));
	struct fake_clock fc;
	static struct sg_endpoint eps2[] = { { "10.0.1.1", 80 }, { "10.0.1.2", 80 } };
	struct sg_backend_ref br[2];
	struct sg_brefs bs;
	uint64_t id;
	size_t bi = 9, ei = 9;

	fake_clock_start(loop, &fc);
	one_backend(&bs, &br[0]);
	br[1] = br[0];
	br[1].host = "other";
	br[1].eps = eps2;
	br[1].neps = 2;
	br[1].weight = 0;
	bs.n = bs.cap = 2;
	bs.v = br;
	id = sg_session_id(&br[1], &eps2[1]);
	for (int i = 0; i < 10; i++) {
		assert_true(sg_lb_pick_session(lb, &bs, id, &bi, &ei));
		assert_int_equal(bi, 1);
		assert_int_equal(ei, 1);
	}
	assert_true(sg_lb_pick_session(NULL, &bs, sg_session_id(&br[0], &eps3[2]), &bi, &ei));
	assert_true(bi == 0 && ei == 2);
	/* Another endpoint joins or leaves: it stays. */
	br[1].eps = &eps2[1];
	br[1].neps = 1;
	assert_true(sg_lb_pick_session(lb, &bs, id, &bi, &ei));
	assert_true(bi == 1 && ei == 0);
	/* Its own leaves, or an id nobody has: none (balanced instead). */
	br[1].eps = eps2;
	assert_false(sg_lb_pick_session(lb, &bs, id, &bi, &ei));
	assert_false(sg_lb_pick_session(lb, &bs, 12345, &bi, &ei));
	/* Evicted here: none until it is restored. */
	br[1].neps = 2;
	assert_true(sg_lb_judge(lb, sg_lb_get(lb, &eps2[1]), &p, SG_DUR_UNSET, 500, 0));
	assert_false(sg_lb_pick_session(lb, &bs, id, &bi, &ei));
	assert_true(sg_lb_pick_session(lb, &bs, sg_session_id(&br[1], &eps2[0]), &bi, &ei));
	while (sg_lb_evicted(sg_lb_get(lb, &eps2[1])))
		sg_loop_run_once(loop, 100);
	assert_true(sg_lb_pick_session(lb, &bs, id, &bi, &ei));
	sg_lb_free(lb);
	sg_loop_free(loop);
}

/* retry_after(HEAD, NOW): sg_lb_retry_after of the response head HEAD
 * (its fields, CRLF-separated, after the status line), in seconds, -1 for
 * SG_DUR_UNSET. */
static double retry_after(const char *status_line, const char *fields, time_t now)
{
	struct sg_h1_header h[16];
	struct sg_h1_resp resp = { .headers = h, .headers_cap = 16 };
	char head[1024];
	sg_dur d;

	snprintf(head, sizeof(head), "%s\r\n%s\r\n", status_line, fields);
	assert_int_equal(sg_h1_parse_response(head, strlen(head), 16, &resp), SG_H1_DONE);
	d = sg_lb_retry_after(&resp, now);
	return d == SG_DUR_UNSET ? -1 : (double)d / 1e9;
}

#define TOO_MANY "HTTP/1.1 429 Too Many Requests"

/* What a 429 asks for, read as agentgateway's outlierdetection.rs reads it
 * (its own test cases), and nothing for any other status. */
static void test_lb_retry_after(void **unused)
{
	const time_t now = 1798761599; /* Thu, 31 Dec 2026 23:59:59 GMT */
	char date[SG_HTTP_DATE_LEN + 1], field[64];

	assert_true(retry_after(TOO_MANY, "Retry-After: 120\r\n", now) == 120);
	assert_true(retry_after(TOO_MANY, "Retry-After: 0\r\n", now) == 0);
	assert_true(retry_after("HTTP/1.1 503 Busy", "Retry-After: 120\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "Retry-After: 120s\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "Retry-After: invalid\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "Retry-After:\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "", now) == -1);
	/* a date: the time until it; a past one is not read */
	sg_http_date_format(now + 300, date);
	snprintf(field, sizeof(field), "Retry-After: %s\r\n", date);
	assert_true(retry_after(TOO_MANY, field, now) == 300);
	sg_http_date_format(now - 300, date);
	snprintf(field, sizeof(field), "Retry-After: %s\r\n", date);
	assert_true(retry_after(TOO_MANY, field, now) == -1);
	/* an unreadable Retry-After gives way to the next header */
	assert_true(retry_after(TOO_MANY, "Retry-After: soon\r\nretry-after-ms: 1500\r\n", now) ==
		    1.5);
	/* x-ratelimit-reset: seconds below 30 days, else a Unix time */
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset: 1234\r\n", now) == 1234);
	snprintf(field, sizeof(field), "x-ratelimit-reset: %lld\r\n", (long long)now + 240);
	assert_true(retry_after(TOO_MANY, field, now) == 240);
	snprintf(field, sizeof(field), "x-ratelimit-reset: %lld\r\n", (long long)now - 99999);
	assert_true(retry_after(TOO_MANY, field, now) == -1);
	/* the reset durations: Go's form or seconds, the least of them */
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-requests: 5m\r\n", now) == 300);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-tokens: 2m30s\r\n", now) == 150);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-requests-day: 24h\r\n", now) == 86400);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-tokens-minute: 60s\r\n", now) == 60);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-requests: 120\r\n", now) == 120);
	assert_true(
		retry_after(TOO_MANY,
			    "x-ratelimit-reset-requests: 300\r\nx-ratelimit-reset-tokens: 60\r\n",
			    now) == 60);
	assert_true(retry_after(TOO_MANY,
				"x-ratelimit-reset-requests-day: 33011.382867097855\r\n"
				"x-ratelimit-reset-tokens-minute: 11.1\r\n",
				now) == 11.1);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-requests: 1m2x\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-requests: -1m\r\n", now) == -1);
	assert_true(retry_after(TOO_MANY, "x-ratelimit-reset-tokens: abc\r\n", now) == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lb_evicts_after_consecutive_failures),
		cmocka_unit_test(test_lb_restores_and_backs_off),
		cmocka_unit_test(test_lb_never_empty),
		cmocka_unit_test(test_lb_without_policy_never_evicts),
		cmocka_unit_test(test_lb_p2c_avoids_slow_endpoint),
		cmocka_unit_test(test_lb_p2c_counts_outstanding),
		cmocka_unit_test(test_lb_weights_honoured),
		cmocka_unit_test(test_lb_retry_prefers_untried),
		cmocka_unit_test(test_lb_session_named_endpoint),
		cmocka_unit_test(test_lb_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
