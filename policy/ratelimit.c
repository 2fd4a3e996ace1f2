/* Token buckets as agentgateway's forked `ratelimit` crate keeps them:
 * fills happen at whole intervals after the first, every taker may do the
 * one that is due, and the bucket never holds more than its size. */
#include "policy/ratelimit.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

/* Add the fills due at `now` (a bucket whose clock has not started starts
 * it: its next fill is an interval away). Returns the ns until the next
 * fill. */
static uint64_t refill(struct sg_ratelimit *rl, uint64_t now)
{
	uint64_t iv = (uint64_t)rl->fill_interval, at = atomic_load(&rl->refill_at);
	uint64_t intervals, next, add, avail, want;

	for (;;) {
		if (at == 0) {
			if (atomic_compare_exchange_weak(&rl->refill_at, &at, now + iv))
				return iv;
			continue;
		}
		if (now < at)
			return at - now;
		intervals = (now - at) / iv + 1;
		next = at + intervals * iv;
		if (atomic_compare_exchange_weak(&rl->refill_at, &at, next))
			break;
	}
	/* One taker won the fill: it adds the tokens, up to the size. */
	add = rl->tokens_per_fill && intervals > rl->max_tokens / rl->tokens_per_fill
		      ? rl->max_tokens
		      : intervals * rl->tokens_per_fill;
	avail = atomic_load(&rl->available);
	do
		want = avail + add > rl->max_tokens || avail + add < avail ? rl->max_tokens
									   : avail + add;
	while (!atomic_compare_exchange_weak(&rl->available, &avail, want));
	return next - now;
}

/* One token from rl: true with what is left in *left, false when empty. */
static bool take_one(struct sg_ratelimit *rl, uint64_t *left)
{
	uint64_t avail = atomic_load(&rl->available);

	do {
		if (avail == 0) {
			*left = 0;
			return false;
		}
	} while (!atomic_compare_exchange_weak(&rl->available, &avail, avail - 1));
	*left = avail - 1;
	return true;
}

bool sg_ratelimits_take(const struct sg_ratelimits *l, uint64_t now_ns,
			struct sg_ratelimit_status *st)
{
	bool have = false;

	*st = (struct sg_ratelimit_status){ 0 };
	for (size_t i = 0; l && i < l->n; i++) {
		struct sg_ratelimit *rl = &l->v[i];
		uint64_t wait, left;
		bool ok;

		if (rl->tokens)
			continue;
		wait = refill(rl, now_ns);
		ok = take_one(rl, &left);
		if (!ok || !have || left < st->remaining)
			*st = (struct sg_ratelimit_status){
				.limit = rl->max_tokens,
				.remaining = left,
				/* agentgateway: a limit of 0 cannot say when */
				.reset_s = rl->max_tokens ? wait / NS_PER_S : 0,
			};
		if (!ok)
			return false;
		have = true;
	}
	return true;
}

/* ---- reload ------------------------------------------------------------ */

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct sg_route *const *)a)->key,
		      (*(const struct sg_route *const *)b)->key);
}

/* fn on each of routes[0..n) that has local rate limits, and on the
 * copies of route groups they delegate to (sg_backend_ref.sub). */
static void each_in(const struct sg_route *routes, size_t n,
		    void (*fn)(const struct sg_route *, void *), void *arg)
{
	for (size_t r = 0; r < n; r++) {
		if (routes[r].eff_filters.ratelimits)
			fn(&routes[r], arg);
		for (size_t i = 0; routes[r].delegates && i < routes[r].backends.n; i++)
			each_in(routes[r].backends.v[i].sub, routes[r].backends.v[i].nsub, fn, arg);
	}
}

/* fn on each route of cfg that has local rate limits. */
static void each_limited(const struct sg_cfg *cfg, void (*fn)(const struct sg_route *, void *),
			 void *arg)
{
	for (size_t b = 0; cfg && b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++)
			each_in(cfg->binds[b].listeners[i].routes,
				cfg->binds[b].listeners[i].nroutes, fn, arg);
}

/* The routes of the config in force that have limits, by key. */
struct limited {
	const struct sg_route **v;
	size_t n, cap;
	bool oom; /* then nothing is carried */
};

static void collect(const struct sg_route *r, void *arg)
{
	struct limited *o = arg;

	if (o->n == o->cap && !o->oom) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		const struct sg_route **grown = realloc(o->v, cap * sizeof(*grown));

		if (grown) {
			o->v = grown;
			o->cap = cap;
		}
		o->oom = !grown;
	}
	if (!o->oom)
		o->v[o->n++] = r;
}

static bool same_limit(const struct sg_ratelimit *a, const struct sg_ratelimit *b)
{
	return a->max_tokens == b->max_tokens && a->tokens_per_fill == b->tokens_per_fill &&
	       a->fill_interval == b->fill_interval && a->tokens == b->tokens;
}

static void carry_route(const struct sg_route *r, const struct sg_route *old, uint64_t now)
{
	const struct sg_ratelimits *l = r->eff_filters.ratelimits;
	const struct sg_ratelimits *ol = old ? old->eff_filters.ratelimits : NULL;

	for (size_t i = 0; i < l->n; i++) {
		struct sg_ratelimit *rl = &l->v[i];
		struct sg_ratelimit *was = ol && i < ol->n ? &ol->v[i] : NULL;
		uint64_t at;

		if (atomic_load(&rl->refill_at))
			continue; /* shared with a route already done */
		if (was && same_limit(rl, was) && (at = atomic_load(&was->refill_at))) {
			atomic_store(&rl->available, atomic_load(&was->available));
			atomic_store(&rl->refill_at, at);
		} else {
			atomic_store(&rl->refill_at, now + (uint64_t)rl->fill_interval);
		}
	}
}

struct carry {
	const struct limited *old;
	uint64_t now;
};

static void carry_one(const struct sg_route *r, void *arg)
{
	const struct carry *c = arg;
	const struct sg_route **hit = NULL;

	if (c->old->n)
		hit = bsearch(&r, c->old->v, c->old->n, sizeof(*c->old->v), by_key);
	carry_route(r, hit ? *hit : NULL, c->now);
}

void sg_ratelimits_carry(struct sg_cfg *next, const struct sg_cfg *prev, uint64_t now_ns)
{
	struct limited old = { 0 };
	struct carry c = { &old, now_ns };

	each_limited(prev, collect, &old);
	if (old.oom)
		old.n = 0;
	if (old.n)
		qsort(old.v, old.n, sizeof(*old.v), by_key);
	each_limited(next, carry_one, &c);
	free(old.v);
}
