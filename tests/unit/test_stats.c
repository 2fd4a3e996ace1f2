/* Tests for user/core/stats.c: histogram bucketing, the (listener, route) series
 * and their cap, and the exact Prometheus text of a known set of
 * observations, summed over workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "user/base/loop.h"
#include "user/core/lb.h"
#include "user/core/stats.h"

#define MS 1000000ull

struct env {
	struct sg_stats w[2];
	struct sg_stats *all[2];
	struct sg_stats_extra x;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	for (size_t i = 0; i < 2; i++) {
		sg_stats_init(&e->w[i]);
		e->all[i] = &e->w[i];
	}
	e->x.workers = 2;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_stats_destroy(&e->w[0]);
	sg_stats_destroy(&e->w[1]);
	free(e);
	return 0;
}

/* The lines of `text` from "# HELP <family> " to the next family's HELP,
 * malloc'd; fails the test when the family is missing. */
static char *family(const char *text, const char *name)
{
	char head[160];
	const char *at, *end;
	char *out;

	snprintf(head, sizeof(head), "# HELP %s ", name);
	at = strstr(text, head);
	assert_non_null(at);
	end = strstr(at + strlen(head), "# HELP ");
	if (!end)
		end = at + strlen(at);
	out = strndup(at, (size_t)(end - at));
	assert_non_null(out);
	return out;
}

static char *render(struct env *e)
{
	char *text = sg_stats_render(e->all, 2, &e->x);

	assert_non_null(text);
	return text;
}

static void test_stats_buckets_by_upper_bound(void **state)
{
	struct env *e = *state;
	struct sg_series *se = sg_stats_series(&e->w[0], "l", "r");
	const struct sg_hist *h = &se->hist[SG_HIST_REQUEST];

	/* A bound is inclusive (Prometheus' le): 1 ms is in the 0.001 bucket,
	 * one ns more is in the next; past 80 s is +Inf (slot 14). */
	sg_stats_observe(se, SG_HIST_REQUEST, 0);
	sg_stats_observe(se, SG_HIST_REQUEST, 1 * MS);
	sg_stats_observe(se, SG_HIST_REQUEST, 1 * MS + 1);
	sg_stats_observe(se, SG_HIST_REQUEST, 80000 * MS);
	sg_stats_observe(se, SG_HIST_REQUEST, 80000 * MS + 1);
	assert_int_equal(h->n[0], 2);
	assert_int_equal(h->n[1], 1);
	assert_int_equal(h->n[13], 1);
	assert_int_equal(h->n[14], 1);
	assert_int_equal(h->sum_ns, 2 * MS + 1 + 160000 * MS + 1);
	/* The connect histogram has its own bounds: 0.5 ms, then 1.5 ms,
	 * and +Inf past 8 s is slot 10. */
	sg_stats_observe(se, SG_HIST_CONNECT, MS / 2);
	sg_stats_observe(se, SG_HIST_CONNECT, MS);
	sg_stats_observe(se, SG_HIST_CONNECT, 9000 * MS);
	assert_int_equal(se->hist[SG_HIST_CONNECT].n[0], 1);
	assert_int_equal(se->hist[SG_HIST_CONNECT].n[1], 1);
	assert_int_equal(se->hist[SG_HIST_CONNECT].n[10], 1);
}

static void test_stats_series_found_again(void **state)
{
	struct env *e = *state;
	struct sg_series *a = sg_stats_series(&e->w[0], "l", "r");

	assert_ptr_equal(sg_stats_series(&e->w[0], "l", "r"), a);
	assert_ptr_not_equal(sg_stats_series(&e->w[0], "l", "r2"), a);
	assert_ptr_not_equal(sg_stats_series(&e->w[0], "lr", ""),
			     sg_stats_series(&e->w[0], "l", "r"));
	/* NULL labels are "". */
	assert_ptr_equal(sg_stats_series(&e->w[0], NULL, NULL), sg_stats_series(&e->w[0], "", ""));
	assert_string_equal(a->listener, "l");
	assert_string_equal(a->route, "r");
}

/* The last series is tried first by its labels' bytes, not their
 * addresses: labels at another address, or other labels at the same one
 * (a reloaded config's), find their own series. */
static void test_stats_series_last_one_by_its_labels(void **state)
{
	struct env *e = *state;
	char l[8] = "l", r[8] = "r";
	struct sg_series *a = sg_stats_series(&e->w[0], "l", "r"), *b;

	assert_ptr_equal(sg_stats_series(&e->w[0], l, r), a);
	strcpy(r, "r2");
	b = sg_stats_series(&e->w[0], l, r);
	assert_ptr_not_equal(b, a);
	assert_string_equal(b->route, "r2");
	strcpy(r, "r");
	assert_ptr_equal(sg_stats_series(&e->w[0], l, r), a);
	assert_ptr_equal(sg_stats_series(&e->w[0], "l", "r2"), b);
	/* another worker's are its own */
	assert_ptr_not_equal(sg_stats_series(&e->w[1], l, r), a);
}

/* The exact text of the request duration histogram: series of both
 * workers with the same labels are summed, series are sorted by labels,
 * buckets are cumulative, +Inf equals _count, _sum is in seconds. */
static void test_stats_renders_histogram_exactly(void **state)
{
	struct env *e = *state;
	struct sg_series *a0 = sg_stats_series(&e->w[0], "bind/80/l", "bind/80/l/b");
	struct sg_series *a1 = sg_stats_series(&e->w[1], "bind/80/l", "bind/80/l/b");
	struct sg_series *b0 = sg_stats_series(&e->w[0], "bind/80/l", "bind/80/l/a");
	char *text, *fam;

	sg_stats_request_over(a0, 3 * MS, 10, 100, 0);	 /* le 0.005 */
	sg_stats_request_over(a1, 200 * MS, 0, 50, 2);	 /* le 0.25 */
	sg_stats_request_over(a1, 100000 * MS, 5, 0, 1); /* +Inf */
	sg_stats_request_over(b0, 1 * MS, 0, 0, 0);	 /* le 0.001 */
	text = render(e);
	fam = family(text, "agentgateway_request_duration_seconds");
	assert_string_equal(
		fam,
		"# HELP agentgateway_request_duration_seconds Duration of HTTP requests, from the "
		"complete request head to the end of the response, by listener and route.\n"
		"# TYPE agentgateway_request_duration_seconds histogram\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.001\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.005\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.01\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.025\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.05\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.1\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.25\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"0.5\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"1.0\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"2.5\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"5.0\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"10.0\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"30.0\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"80.0\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\",le=\"+Inf\"} 1\n"
		"agentgateway_request_duration_seconds_sum{listener=\"bind/80/l\",route=\"bind/80/"
		"l/"
		"a\"} 0.001000000\n"
		"agentgateway_request_duration_seconds_count{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/a\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.001\"} 0\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.005\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.01\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.025\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.05\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.1\"} 1\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.25\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"0.5\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"1.0\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"2.5\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"5.0\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"10.0\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"30.0\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"80.0\"} 2\n"
		"agentgateway_request_duration_seconds_bucket{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\",le=\"+Inf\"} 3\n"
		"agentgateway_request_duration_seconds_sum{listener=\"bind/80/l\",route=\"bind/80/"
		"l/"
		"b\"} 100.203000000\n"
		"agentgateway_request_duration_seconds_count{listener=\"bind/80/l\",route=\"bind/"
		"80/"
		"l/b\"} 3\n");
	free(fam);
	/* The per-series counters, summed the same way. */
	assert_non_null(strstr(text, "splicegate_request_bytes_total{listener=\"bind/80/l\","
				     "route=\"bind/80/l/b\"} 15\n"));
	assert_non_null(strstr(text, "agentgateway_response_bytes_total{listener=\"bind/80/l\","
				     "route=\"bind/80/l/b\"} 150\n"));
	assert_non_null(strstr(text, "agentgateway_retries_total{listener=\"bind/80/l\","
				     "route=\"bind/80/l/b\"} 3\n"));
	free(text);
}

/* The connect and per-try histograms carry agentgateway's constant labels
 * and their own bounds. */
static void test_stats_renders_connect_and_attempt(void **state)
{
	struct env *e = *state;
	struct sg_series *se = sg_stats_series(&e->w[1], "l", "r");
	char *text, *fam;

	sg_stats_observe(se, SG_HIST_CONNECT, 2 * MS);
	sg_stats_observe(se, SG_HIST_ATTEMPT, 30 * MS);
	text = render(e);
	fam = family(text, "agentgateway_upstream_connect_duration_seconds");
	assert_non_null(strstr(fam, "# TYPE agentgateway_upstream_connect_duration_seconds "
				    "histogram\n"));
	assert_non_null(strstr(fam, "_bucket{listener=\"l\",route=\"r\",transport=\"plaintext\","
				    "le=\"0.0015\"} 0\n"));
	assert_non_null(strstr(fam, "_bucket{listener=\"l\",route=\"r\",transport=\"plaintext\","
				    "le=\"0.0043\"} 1\n"));
	assert_non_null(strstr(fam, "_bucket{listener=\"l\",route=\"r\",transport=\"plaintext\","
				    "le=\"8.0\"} 1\n"));
	assert_non_null(strstr(fam, "_sum{listener=\"l\",route=\"r\",transport=\"plaintext\"} "
				    "0.002000000\n"));
	free(fam);
	fam = family(text, "agentgateway_upstream_call_duration_seconds");
	assert_non_null(strstr(fam, "_bucket{listener=\"l\",route=\"r\",kind=\"Primary\","
				    "subtype=\"Http\",le=\"0.025\"} 0\n"));
	assert_non_null(strstr(fam, "_bucket{listener=\"l\",route=\"r\",kind=\"Primary\","
				    "subtype=\"Http\",le=\"0.05\"} 1\n"));
	assert_non_null(strstr(fam, "_count{listener=\"l\",route=\"r\",kind=\"Primary\","
				    "subtype=\"Http\"} 1\n"));
	free(fam);
	free(text);
}

static void test_stats_label_values_escaped(void **state)
{
	struct env *e = *state;
	char *text;

	sg_stats_request_over(sg_stats_series(&e->w[0], "a\"b", "c\\d\ne"), MS, 0, 0, 0);
	text = render(e);
	assert_non_null(strstr(text, "agentgateway_request_duration_seconds_count{listener="
				     "\"a\\\"b\",route=\"c\\\\d\\ne\"} 1\n"));
	free(text);
}

/* Past SG_STATS_SERIES pairs a worker counts in the overflow series,
 * which is rendered as "_other" once it has counted something. */
static void test_stats_series_capped(void **state)
{
	struct env *e = *state;
	struct sg_series *other;
	char name[32], *text;

	text = render(e);
	assert_null(strstr(text, "_other"));
	free(text);
	for (int i = 0; i < SG_STATS_SERIES; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		assert_ptr_not_equal(sg_stats_series(&e->w[0], "l", name),
				     &e->w[0].series[SG_STATS_SERIES]);
	}
	other = sg_stats_series(&e->w[0], "l", "one too many");
	assert_ptr_equal(other, &e->w[0].series[SG_STATS_SERIES]);
	/* Pairs already there are still found. */
	assert_ptr_not_equal(sg_stats_series(&e->w[0], "l", "r7"), other);
	sg_stats_request_over(other, 2 * MS, 0, 0, 0);
	text = render(e);
	assert_non_null(strstr(text, "agentgateway_request_duration_seconds_count{listener="
				     "\"_other\",route=\"_other\"} 1\n"));
	free(text);
}

/* splicegate_requests_total and agentgateway's name both sum over the
 * workers: no worker label multiplies the series. */
static void test_stats_requests_summed_for_agentgateway(void **state)
{
	struct env *e = *state;
	char *text;

	sg_stats_request(&e->w[0], "l", "r", 200);
	sg_stats_request(&e->w[1], "l", "r", 200);
	sg_stats_request(&e->w[1], "l", "r", 200);
	sg_stats_request(&e->w[1], "l", "", 404);
	text = render(e);
	assert_non_null(strstr(text, "splicegate_requests_total{listener=\"l\",route=\"r\","
				     "status=\"200\"} 3\n"));
	assert_null(strstr(text, "worker=\""));
	assert_non_null(strstr(text, "# TYPE agentgateway_requests_total counter\n"
				     "agentgateway_requests_total{listener=\"l\",route=\"\","
				     "status=\"404\"} 1\n"
				     "agentgateway_requests_total{listener=\"l\",route=\"r\","
				     "status=\"200\"} 3\n"));
	free(text);
}

/* What an alert reads: which build runs, the last config change's outcome
 * and time, and the process (CPU, memory, fds, start time). */
static void test_stats_build_reload_and_process(void **state)
{
	struct env *e = *state;
	char *text, *fam;
	double start = 0;
	unsigned long long fds = 0, rss = 0;
	const char *at;

	e->x.version = "0.2.0+git20261128.abc1234";
	e->x.reload_last_ok = false;
	e->x.reload_ok_at = 1764300000;
	text = render(e);
	assert_non_null(strstr(text,
			       "# TYPE splicegate_build_info gauge\n"
			       "splicegate_build_info{version=\"0.2.0+git20261128.abc1234\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE splicegate_config_last_reload_successful gauge\n"
				     "splicegate_config_last_reload_successful 0\n"));
	assert_non_null(strstr(text, "\nsplicegate_config_last_reload_success_timestamp_seconds "
				     "1764300000\n"));
	fam = family(text, "process_cpu_seconds_total");
	assert_non_null(strstr(fam, "# TYPE process_cpu_seconds_total counter\n"));
	free(fam);
	at = strstr(text, "\nprocess_start_time_seconds ");
	assert_non_null(at);
	start = strtod(at + strlen("\nprocess_start_time_seconds "), NULL);
	assert_true(start > 1.7e9 && start <= (double)time(NULL) + 1);
	at = strstr(text, "\nprocess_open_fds ");
	assert_non_null(at);
	fds = strtoull(at + strlen("\nprocess_open_fds "), NULL, 10);
	assert_true(fds >= 3);
	at = strstr(text, "\nprocess_resident_memory_bytes ");
	assert_non_null(at);
	rss = strtoull(at + strlen("\nprocess_resident_memory_bytes "), NULL, 10);
	assert_true(rss > 100000);
	assert_non_null(strstr(text, "\nprocess_max_fds "));
	free(text);
}

/* Per-endpoint tries, failed tries and ejections, summed over the
 * workers' tables; past 256 endpoints the rest are one "_other" series. */
static void test_stats_endpoints_summed_and_capped(void **state)
{
	struct env *e = *state;
	struct sg_loop *loop = sg_loop_new();
	struct sg_lb *lbs[2] = { sg_lb_new(loop), sg_lb_new(loop) };
	struct sg_endpoint a = { "10.0.0.1", 80 }, b = { "10.0.0.2", 8080 };
	char addr[32], *text, *fam;

	assert_non_null(lbs[0]);
	assert_non_null(lbs[1]);
	sg_lb_judge(lbs[0], sg_lb_get(lbs[0], &a), NULL, SG_DUR_UNSET, 200, 1000);
	sg_lb_judge(lbs[0], sg_lb_get(lbs[0], &a), NULL, SG_DUR_UNSET, 503, 1000);
	sg_lb_judge(lbs[1], sg_lb_get(lbs[1], &a), NULL, SG_DUR_UNSET, 0, 0);
	sg_lb_judge(lbs[1], sg_lb_get(lbs[1], &b), NULL, SG_DUR_UNSET, 404, 1000);
	e->x.lbs = lbs;
	text = render(e);
	fam = family(text, "splicegate_endpoint_tries_total");
	assert_non_null(
		strstr(fam, "\nsplicegate_endpoint_tries_total{endpoint=\"10.0.0.1:80\"} 3\n"));
	assert_non_null(
		strstr(fam, "\nsplicegate_endpoint_tries_total{endpoint=\"10.0.0.2:8080\"} 1\n"));
	assert_null(strstr(fam, "_other"));
	free(fam);
	fam = family(text, "splicegate_endpoint_failed_tries_total");
	assert_non_null(strstr(fam, "{endpoint=\"10.0.0.1:80\"} 2\n"));
	assert_non_null(strstr(fam, "{endpoint=\"10.0.0.2:8080\"} 0\n"));
	free(fam);
	fam = family(text, "splicegate_endpoint_ejections_total");
	assert_non_null(strstr(fam, "{endpoint=\"10.0.0.1:80\"} 0\n"));
	free(fam);
	free(text);

	/* 300 more endpoints, one try each: 254 get series, 46 are summed. */
	for (int i = 0; i < 300; i++) {
		struct sg_endpoint many = { addr, 9 };

		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250);
		sg_lb_judge(lbs[0], sg_lb_get(lbs[0], &many), NULL, SG_DUR_UNSET, 200, 1000);
	}
	text = render(e);
	fam = family(text, "splicegate_endpoint_tries_total");
	{
		size_t series = 0;

		for (const char *at = fam; (at = strstr(at, "\nsplicegate_endpoint_tries_total{"));
		     at++)
			series++;
		assert_int_equal(series, 257);
	}
	assert_non_null(strstr(fam, "{endpoint=\"_other\"} 46\n"));
	free(fam);
	free(text);
	e->x.lbs = NULL;
	sg_lb_free(lbs[0]);
	sg_lb_free(lbs[1]);
	sg_loop_free(loop);
}

/* Past SG_STATS_REQS_MAX (listener, route, status) entries a worker counts
 * new pairs as ("_other", "_other") with their status. */
static void test_stats_requests_capped(void **state)
{
	struct env *e = *state;
	char name[32], *text;

	for (int i = 0; i < SG_STATS_REQS_MAX; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		sg_stats_request(&e->w[0], "l", name, 200);
	}
	sg_stats_request(&e->w[0], "l", "late", 200);
	sg_stats_request(&e->w[0], "l", "later", 200);
	sg_stats_request(&e->w[0], "l", "r3", 200);
	text = render(e);
	assert_non_null(strstr(text, "agentgateway_requests_total{listener=\"_other\",route="
				     "\"_other\",status=\"200\"} 2\n"));
	assert_non_null(strstr(text, "agentgateway_requests_total{listener=\"l\",route=\"r3\","
				     "status=\"200\"} 2\n"));
	assert_null(strstr(text, "late"));
	free(text);
}

/* MCP calls by method, what they touched and its target, summed over the
 * workers, "unknown" where nothing was touched (agentgateway's labels). */
static void test_stats_mcp_calls_summed(void **state)
{
	struct env *e = *state;
	char *text, *fam;

	sg_stats_mcp(&e->w[0], "l", "r", "tools/call", "tool", "t1", "echo");
	sg_stats_mcp(&e->w[1], "l", "r", "tools/call", "tool", "t1", "echo");
	sg_stats_mcp(&e->w[1], "l", "r", "tools/list", NULL, NULL, NULL);
	text = render(e);
	fam = family(text, "agentgateway_mcp_requests_total");
	assert_string_equal(
		fam,
		"# HELP agentgateway_mcp_requests_total Total number of MCP calls, by method, "
		"what they touched and its target (summed over the workers).\n"
		"# TYPE agentgateway_mcp_requests_total counter\n"
		"agentgateway_mcp_requests_total{listener=\"l\",route=\"r\",method=\"tools/call\","
		"resource_type=\"tool\",server=\"t1\",resource=\"echo\"} 2\n"
		"agentgateway_mcp_requests_total{listener=\"l\",route=\"r\",method=\"tools/list\","
		"resource_type=\"unknown\",server=\"unknown\",resource=\"unknown\"} 1\n");
	free(fam);
	free(text);
}

/* A client naming ever new tools cannot grow a scrape: past the cap, one
 * "_other" series. */
static void test_stats_mcp_calls_capped(void **state)
{
	struct env *e = *state;
	char name[32], *text;

	for (int i = 0; i < SG_STATS_MCP_MAX + 3; i++) {
		snprintf(name, sizeof(name), "tool%d", i);
		sg_stats_mcp(&e->w[0], "l", "r", "tools/call", "tool", "t", name);
	}
	text = render(e);
	assert_non_null(strstr(text, "agentgateway_mcp_requests_total{listener=\"_other\","
				     "route=\"_other\",method=\"_other\",resource_type=\"_other\","
				     "server=\"_other\",resource=\"_other\"} 3\n"));
	assert_null(strstr(text, "resource=\"tool512\""));
	free(text);
}

static void test_stats_active_requests_and_failures(void **state)
{
	struct env *e = *state;
	char *text;

	sg_stats_requests_active(&e->w[0], 1);
	sg_stats_requests_active(&e->w[0], 1);
	sg_stats_requests_active(&e->w[1], 1);
	sg_stats_requests_active(&e->w[0], -1);
	sg_stats_failure(&e->w[0], SG_FAIL_CONNECT);
	sg_stats_failure(&e->w[1], SG_FAIL_CONNECT);
	sg_stats_failure(&e->w[1], SG_FAIL_ATTEMPT_TIMEOUT);
	text = render(e);
	assert_non_null(strstr(text, "# TYPE splicegate_active_requests gauge\n"
				     "splicegate_active_requests 2\n"));
	assert_non_null(strstr(text, "splicegate_attempt_failures_total{kind=\"connect\"} 2\n"));
	assert_non_null(
		strstr(text, "splicegate_attempt_failures_total{kind=\"attempt_timeout\"} 1\n"));
	assert_non_null(strstr(text, "splicegate_attempt_failures_total{kind=\"reset\"} 0\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_buckets_by_upper_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_series_last_one_by_its_labels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_series_found_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_renders_histogram_exactly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_renders_connect_and_attempt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_label_values_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_series_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_requests_summed_for_agentgateway, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_requests_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_endpoints_summed_and_capped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_build_reload_and_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_mcp_calls_summed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_mcp_calls_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_active_requests_and_failures, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
