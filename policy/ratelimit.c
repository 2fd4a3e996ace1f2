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

/* prev's routes that have limits, sorted by key, in *out (malloc'd);
 * returns how many (0 when none, or out of memory: nothing is carried). */
static size_t limited_routes(const struct sg_cfg *prev, const struct sg_route ***out)
{
	const struct sg_route **v = NULL;
	size_t n = 0, cap = 0;

	for (size_t b = 0; prev && b < prev->nbinds; b++)
		for (size_t i = 0; i < prev->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &prev->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++) {
				if (!l->routes[r].eff_filters.ratelimits)
					continue;
				if (n == cap) {
					const struct sg_route **grown;

					cap = cap ? cap * 2 : 16;
					grown = realloc(v, cap * sizeof(*v));
					if (!grown) {
						free(v);
						return 0;
					}
					v = grown;
				}
				v[n++] = &l->routes[r];
			}
		}
	if (n)
		qsort(v, n, sizeof(*v), by_key);
	*out = v;
	return n;
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

void sg_ratelimits_carry(struct sg_cfg *next, const struct sg_cfg *prev, uint64_t now_ns)
{
	const struct sg_route **old = NULL;
	size_t nold = limited_routes(prev, &old);

	for (size_t b = 0; b < next->nbinds; b++)
		for (size_t i = 0; i < next->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &next->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++) {
				const struct sg_route *route = &l->routes[r], *key = route;
				const struct sg_route **hit = NULL;

				if (!route->eff_filters.ratelimits)
					continue;
				if (nold)
					hit = bsearch(&key, old, nold, sizeof(*old), by_key);
				carry_route(route, hit ? *hit : NULL, now_ns);
			}
		}
	free(old);
}
