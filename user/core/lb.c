/* Per-worker endpoint state (user/core/lb.h). The worker is the only writer;
 * the admin thread reads while it runs: numbers are relaxed atomics, and
 * the table's shape (inserts, growth) changes under `lock`, which the
 * admin holds while it walks it. Entries are never moved or freed before
 * the table, so an attempt may keep a pointer to one. */
#include "user/core/lb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/duration.h"
#include "policy/health.h"
#include "policy/route.h"
#include "policy/session.h"
#include "user/base/httpdate.h"
#include "user/base/loop.h"
#include "user/codec/h1.h"

struct sg_lb_ep {
	struct sg_lb_ep *next; /* hash chain */
	struct sg_lb *lb;
	uint32_t hash;
	uint16_t port;
	char key[SG_ENDPOINT_TEXT_SIZE];     /* "addr:port" */
	char addr[SG_ENDPOINT_ADDR_MAX + 1]; /* as configured */
	_Atomic double health;		     /* EWMA of 1 (healthy try) and 0 (unhealthy) */
	_Atomic double latency;		     /* EWMA of healthy tries' time to response head, s */
	_Atomic unsigned pending;	     /* tries begun and not ended */
	_Atomic uint64_t failures;	     /* unhealthy tries in a row */
	_Atomic uint64_t times_evicted;	     /* since the last healthy try: the backoff */
	_Atomic uint64_t evicted_until;	     /* loop ms, 0: not evicted */
	_Atomic uint64_t evictions, restores;
	_Atomic uint64_t tries, failed; /* judged, and judged unhealthy */
	double restore_health;		/* set on restore, < 0: kept */
	struct sg_timer timer;		/* the restore */
};

struct sg_lb {
	struct sg_loop *loop;
	pthread_mutex_t lock;
	struct sg_lb_ep **buckets;
	size_t nbuckets, n;
	_Atomic uint64_t nevicted, evictions, restores;
};

static double getd(_Atomic double *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void setd(_Atomic double *v, double x)
{
	atomic_store_explicit(v, x, memory_order_relaxed);
}

static uint64_t getu(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void setu(_Atomic uint64_t *v, uint64_t x)
{
	atomic_store_explicit(v, x, memory_order_relaxed);
}

static void addu(_Atomic uint64_t *v, int64_t d)
{
	/* One writer: a load and a store, no locked instruction. */
	setu(v, getu(v) + (uint64_t)d);
}

struct sg_lb *sg_lb_new(struct sg_loop *loop)
{
	struct sg_lb *lb = calloc(1, sizeof(*lb));

	if (!lb)
		return NULL;
	lb->nbuckets = 64;
	lb->buckets = calloc(lb->nbuckets, sizeof(*lb->buckets));
	if (!lb->buckets || pthread_mutex_init(&lb->lock, NULL) != 0) {
		free(lb->buckets);
		free(lb);
		return NULL;
	}
	lb->loop = loop;
	return lb;
}

void sg_lb_free(struct sg_lb *lb)
{
	if (!lb)
		return;
	for (size_t i = 0; i < lb->nbuckets; i++) {
		struct sg_lb_ep *e = lb->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			sg_timer_stop(lb->loop, &e->timer);
			free(e);
		}
	}
	pthread_mutex_destroy(&lb->lock);
	free(lb->buckets);
	free(lb);
}

static uint32_t hash_ep(const char *addr, uint16_t port)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = addr; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	return (h ^ (port >> 8)) * 16777619u;
}

static struct sg_lb_ep *find(struct sg_lb *lb, const struct sg_endpoint *ep, uint32_t h)
{
	struct sg_lb_ep *e = lb->buckets[h & (lb->nbuckets - 1)];

	for (; e; e = e->next)
		if (e->hash == h && e->port == ep->port && !strcmp(e->addr, ep->addr))
			return e;
	return NULL;
}

/* Twice the buckets once entries outnumber them; a failed allocation
 * keeps the chains longer. Under the lock: the admin may be walking. */
static void grow(struct sg_lb *lb)
{
	size_t nb = lb->nbuckets * 2;
	struct sg_lb_ep **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < lb->nbuckets; i++) {
		struct sg_lb_ep *e = lb->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(lb->buckets);
	lb->buckets = b;
	lb->nbuckets = nb;
}

static void on_restore(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_lb_ep *e = t->data;
	struct sg_lb *lb = e->lb;

	setu(&e->evicted_until, 0);
	if (e->restore_health >= 0)
		setd(&e->health, e->restore_health);
	addu(&e->restores, 1);
	addu(&lb->restores, 1);
	addu(&lb->nevicted, -1);
}

struct sg_lb_ep *sg_lb_get(struct sg_lb *lb, const struct sg_endpoint *ep)
{
	uint32_t h = hash_ep(ep->addr, ep->port);
	struct sg_lb_ep *e = find(lb, ep, h);

	if (e || lb->n >= SG_LB_MAX_ENDPOINTS || strlen(ep->addr) >= sizeof(e->addr))
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->lb = lb;
	e->hash = h;
	e->port = ep->port;
	snprintf(e->addr, sizeof(e->addr), "%s", ep->addr);
	snprintf(e->key, sizeof(e->key), "%s:%u", ep->addr, ep->port);
	setd(&e->health, 1.0);
	e->restore_health = -1;
	sg_timer_init(&e->timer, on_restore, e);
	pthread_mutex_lock(&lb->lock);
	if (++lb->n > lb->nbuckets)
		grow(lb);
	e->next = lb->buckets[h & (lb->nbuckets - 1)];
	lb->buckets[h & (lb->nbuckets - 1)] = e;
	pthread_mutex_unlock(&lb->lock);
	return e;
}

static bool pick_evicted(void *ctx, const struct sg_endpoint *ep)
{
	struct sg_lb *lb = ctx;
	struct sg_lb_ep *e = find(lb, ep, hash_ep(ep->addr, ep->port));

	return e && sg_lb_evicted(e);
}

static double pick_score(void *ctx, const struct sg_endpoint *ep)
{
	struct sg_lb *lb = ctx;
	struct sg_lb_ep *e = find(lb, ep, hash_ep(ep->addr, ep->port));

	if (!e)
		return sg_health_score(1.0, 0.0, 0);
	return sg_health_score(getd(&e->health), getd(&e->latency),
			       atomic_load_explicit(&e->pending, memory_order_relaxed));
}

bool sg_lb_pick(struct sg_lb *lb, const struct sg_brefs *backends, uint64_t rnd, uint64_t tried,
		bool again, size_t *bi, size_t *ei)
{
	/* Nothing evicted in this worker (the usual case): no lookup per
	 * endpoint, only the two draws'. */
	struct sg_route_lb v = { lb && getu(&lb->nevicted) ? pick_evicted : NULL,
				 lb ? pick_score : NULL, lb, again };

	return sg_route_pick_lb(backends, rnd, tried, &v, bi, ei);
}

bool sg_lb_pick_session(struct sg_lb *lb, const struct sg_brefs *backends, uint64_t id, size_t *bi,
			size_t *ei)
{
	/* Every backend, a weight of 0 too: a session outlives a weight
	 * (GEP-1619, traffic splitting). */
	for (size_t b = 0; b < backends->n; b++) {
		const struct sg_backend_ref *br = &backends->v[b];

		if (br->kind != SG_BREF_HOST && br->kind != SG_BREF_SERVICE)
			continue;
		for (size_t e = 0; e < br->neps; e++) {
			if (sg_session_id(br, &br->eps[e]) != id)
				continue;
			if (lb && getu(&lb->nevicted) && pick_evicted(lb, &br->eps[e]))
				return false;
			*bi = b;
			*ei = e;
			return true;
		}
	}
	return false;
}

void sg_lb_begin(struct sg_lb_ep *e)
{
	atomic_store_explicit(&e->pending,
			      atomic_load_explicit(&e->pending, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

void sg_lb_end(struct sg_lb_ep *e)
{
	unsigned n = atomic_load_explicit(&e->pending, memory_order_relaxed);

	atomic_store_explicit(&e->pending, n ? n - 1 : 0, memory_order_relaxed);
}

bool sg_lb_evicted(const struct sg_lb_ep *e)
{
	return atomic_load_explicit(&e->evicted_until, memory_order_relaxed) != 0;
}

static void evict(struct sg_lb *lb, struct sg_lb_ep *e, sg_dur d, const struct sg_health_policy *p)
{
	uint64_t until = sg_loop_now(lb->loop) + sg_dur_to_ms_ceil(d);

	if (until < sg_loop_now(lb->loop)) /* a backoff past the clock's range */
		until = UINT64_MAX;
	e->restore_health = p && p->has_eviction ? p->restore_health : -1;
	setu(&e->evicted_until, until);
	addu(&e->times_evicted, 1);
	addu(&e->evictions, 1);
	addu(&lb->evictions, 1);
	addu(&lb->nevicted, 1);
	sg_timer_arm(lb->loop, &e->timer, until);
}

/* A value of unsigned decimal digits, as Rust's u64 parse reads one (a
 * leading '+' allowed); false when it is not one or overflows. */
static bool read_u64(const struct sg_h1_span *v, uint64_t *out)
{
	size_t i = v->len && v->p[0] == '+';

	if (i == v->len)
		return false;
	*out = 0;
	for (; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9' || *out > (UINT64_MAX - 9) / 10)
			return false;
		*out = *out * 10 + (uint64_t)(v->p[i] - '0');
	}
	return true;
}

static sg_dur scaled(uint64_t v, sg_dur unit)
{
	return v > (uint64_t)(INT64_MAX / unit) ? INT64_MAX : (sg_dur)v * unit;
}

/* Seconds from now until Unix time `at`; SG_DUR_UNSET when it is past. */
static sg_dur until(time_t now, uint64_t at)
{
	return at < (uint64_t)now ? SG_DUR_UNSET : scaled(at - (uint64_t)now, SG_DUR_S(1));
}

/* A reset header's Go duration, or seconds when it ends in a digit
 * ("11.1" is 11.1 s). Only visible ASCII, as the http crate's to_str. */
static sg_dur reset_duration(const struct sg_h1_span *v)
{
	char text[64];
	sg_dur d;

	if (!v->len || v->len > sizeof(text) - 2)
		return SG_DUR_UNSET;
	for (size_t i = 0; i < v->len; i++)
		if ((unsigned char)v->p[i] < 0x20 || (unsigned char)v->p[i] > 0x7e)
			return SG_DUR_UNSET;
	memcpy(text, v->p, v->len);
	text[v->len] = 0;
	if (sg_dur_parse(text, &d, NULL, 0) == 0)
		return d;
	if (text[v->len - 1] < '0' || text[v->len - 1] > '9')
		return SG_DUR_UNSET;
	text[v->len] = 's';
	text[v->len + 1] = 0;
	return sg_dur_parse(text, &d, NULL, 0) == 0 ? d : SG_DUR_UNSET;
}

sg_dur sg_lb_retry_after(const struct sg_h1_resp *resp, time_t now)
{
	static const char *const resets[] = { "x-ratelimit-reset-requests",
					      "x-ratelimit-reset-tokens",
					      "x-ratelimit-reset-requests-day",
					      "x-ratelimit-reset-tokens-minute" };
	const struct sg_h1_span *v;
	sg_dur least = SG_DUR_UNSET;
	uint64_t n;
	time_t at;

	if (resp->status != 429)
		return SG_DUR_UNSET;
	if ((v = sg_h1_find(resp->headers, resp->nheaders, "retry-after"))) {
		if (read_u64(v, &n))
			return scaled(n, SG_DUR_S(1));
		if (sg_http_date_parse(v->p, v->len, &at) && at >= now)
			return until(now, (uint64_t)at);
	}
	if ((v = sg_h1_find(resp->headers, resp->nheaders, "retry-after-ms")) && read_u64(v, &n))
		return scaled(n, SG_DUR_MS(1));
	if ((v = sg_h1_find(resp->headers, resp->nheaders, "x-ratelimit-reset")) &&
	    read_u64(v, &n)) {
		if (n < 30 * 86400) /* seconds; past that, a Unix time */
			return scaled(n, SG_DUR_S(1));
		if (until(now, n) != SG_DUR_UNSET)
			return until(now, n);
	}
	for (size_t i = 0; i < sizeof(resets) / sizeof(resets[0]); i++) {
		sg_dur d;

		if ((v = sg_h1_find(resp->headers, resp->nheaders, resets[i])) &&
		    (d = reset_duration(v)) != SG_DUR_UNSET && (least == SG_DUR_UNSET || d < least))
			least = d;
	}
	return least;
}

bool sg_lb_judge(struct sg_lb *lb, struct sg_lb_ep *e, const struct sg_health_policy *p,
		 sg_dur fallback, uint16_t status, uint64_t latency_ns)
{
	sg_dur d;

	addu(&e->tries, 1);
	if (!sg_health_unhealthy(p, status)) {
		setd(&e->latency, sg_health_ewma(getd(&e->latency), (double)latency_ns / 1e9));
		setd(&e->health, sg_health_ewma(getd(&e->health), 1.0));
		setu(&e->failures, 0);
		setu(&e->times_evicted, 0);
		return false;
	}
	/* The decision sees the numbers from before this try, as
	 * agentgateway's. */
	d = sg_health_eviction(p, fallback, getd(&e->health), getu(&e->failures),
			       getu(&e->times_evicted));
	setd(&e->health, sg_health_ewma(getd(&e->health), 0.0));
	addu(&e->failures, 1);
	addu(&e->failed, 1);
	/* A failure while evicted (a try that began before) neither extends
	 * the eviction nor adds to its backoff. */
	if (d <= 0 || sg_lb_evicted(e))
		return false;
	evict(lb, e, d, p);
	return true;
}

void sg_lb_totals(struct sg_lb *lb, uint64_t *evictions, uint64_t *restores, uint64_t *evicted)
{
	*evictions = getu(&lb->evictions);
	*restores = getu(&lb->restores);
	*evicted = getu(&lb->nevicted);
}

void sg_lb_each(struct sg_lb *lb, sg_lb_visit *fn, void *ctx)
{
	pthread_mutex_lock(&lb->lock);
	for (size_t i = 0; i < lb->nbuckets; i++)
		for (struct sg_lb_ep *e = lb->buckets[i]; e; e = e->next)
			fn(ctx, e->key, getu(&e->tries), getu(&e->failed), getu(&e->evictions));
	pthread_mutex_unlock(&lb->lock);
}

/* The loop's clock in ms, read now. */
static uint64_t mono_ms(void)
{
	return sg_clock_ns() / 1000000;
}

static struct sg_json *ep_json(struct sg_lb_ep *e, size_t worker, uint64_t now)
{
	struct sg_json *o = sg_json_object();
	uint64_t until = getu(&e->evicted_until);

	if (!o)
		return NULL;
	sg_json_add_num(o, "worker", (double)worker);
	sg_json_add_str(o, "endpoint", e->key);
	sg_json_add_bool(o, "evicted", until != 0);
	sg_json_add_num(o, "evictedForMs", until > now ? (double)(until - now) : 0);
	sg_json_add_num(o, "health", getd(&e->health));
	sg_json_add_num(o, "latencyMs", getd(&e->latency) * 1000);
	sg_json_add_num(o, "pending", atomic_load_explicit(&e->pending, memory_order_relaxed));
	sg_json_add_num(o, "consecutiveFailures", (double)getu(&e->failures));
	sg_json_add_num(o, "timesEvicted", (double)getu(&e->times_evicted));
	sg_json_add_num(o, "evictions", (double)getu(&e->evictions));
	sg_json_add_num(o, "restores", (double)getu(&e->restores));
	return o;
}

struct sg_json *sg_lb_json(struct sg_lb *const *all, size_t n)
{
	struct sg_json *arr = sg_json_array();
	uint64_t now = mono_ms();

	for (size_t w = 0; arr && w < n; w++) {
		struct sg_lb *lb = all[w];

		if (!lb)
			continue;
		pthread_mutex_lock(&lb->lock);
		for (size_t i = 0; i < lb->nbuckets; i++)
			for (struct sg_lb_ep *e = lb->buckets[i]; e; e = e->next)
				sg_json_push(arr, ep_json(e, w, now));
		pthread_mutex_unlock(&lb->lock);
	}
	return arr;
}
