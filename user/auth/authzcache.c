/* extAuthz's answer stores (the contract is authzcache.h): a hash table
 * of entries chained per bucket, and a list of them oldest first for
 * eviction, under one mutex per store. */
#include "user/auth/authzcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/hash.h"

/* The longest wait before an entry is asked about again: agentgateway
 * refreshes in the last tenth of a ttl, at most the last 5 s. */
#define REFRESH_MAX_MS 5000
/* The most buckets a store has, whatever its maxEntries. */
#define BUCKETS_MAX (1u << 20)

/* One kept answer: key then answer bytes in data. Owned by its store. */
struct entry {
	struct entry *chain;	     /* the next of its bucket */
	struct entry *older, *newer; /* in insertion order */
	uint64_t hash;
	uint64_t expires, ttl; /* ms */
	bool refreshing;       /* one caller was sent to ask again */
	size_t klen, alen;
	char data[];
};

/* rt->p of one cache. */
struct store {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t n, max;
	struct entry *oldest, *newest;
};

static void release(void *p)
{
	struct store *s = p;
	struct entry *e = s->oldest, *next;

	for (; e; e = next) {
		next = e->newer;
		free(e);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->buckets);
	free(s);
}

static int make_store(const struct sg_ext_authz_cache *k, struct sg_diag *d)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s) {
		sg_diag_err(d, NULL, "extAuthz cache: out of memory");
		return -1;
	}
	s->max = k->max_entries ? k->max_entries : 1;
	s->nbuckets = 16;
	while (s->nbuckets < s->max && s->nbuckets < BUCKETS_MAX)
		s->nbuckets *= 2;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->buckets) {
		free(s);
		sg_diag_err(d, NULL, "extAuthz cache: out of memory");
		return -1;
	}
	pthread_mutex_init(&s->mu, NULL);
	k->rt->p = s;
	k->rt->release = release;
	return 0;
}

int sg_authz_cache_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	for (size_t i = 0; i < cfg->nauthz_caches; i++)
		if (!cfg->authz_caches[i]->rt->p && make_store(cfg->authz_caches[i], d) < 0)
			return -1;
	return 0;
}

static struct entry **slot_of(struct store *s, uint64_t h, const void *key, size_t klen)
{
	struct entry **at = &s->buckets[h & (s->nbuckets - 1)];

	for (; *at; at = &(*at)->chain)
		if ((*at)->hash == h && (*at)->klen == klen && !memcmp((*at)->data, key, klen))
			return at;
	return at;
}

/* e out of its bucket (at: where it is linked) and of the age list. */
static void unlink_entry(struct store *s, struct entry **at)
{
	struct entry *e = *at;

	*at = e->chain;
	if (e->older)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	s->n--;
	free(e);
}

static void drop_oldest(struct store *s)
{
	struct entry *e = s->oldest;

	unlink_entry(s, slot_of(s, e->hash, e->data, e->klen));
}

enum sg_authz_cache_result sg_authz_cache_get(const struct sg_ext_authz_cache *k, const void *key,
					      size_t klen, uint64_t now_ms, char **out, size_t *len)
{
	struct store *s = k->rt ? k->rt->p : NULL;
	enum sg_authz_cache_result res = SG_AUTHZ_CACHE_MISS;
	uint64_t h = sg_hash(key, klen), window;
	struct entry **at, *e;

	if (!s)
		return SG_AUTHZ_CACHE_MISS;
	pthread_mutex_lock(&s->mu);
	at = slot_of(s, h, key, klen);
	e = *at;
	if (e && e->expires <= now_ms) {
		unlink_entry(s, at);
		e = NULL;
	}
	if (e) {
		window = e->ttl / 10 < REFRESH_MAX_MS ? e->ttl / 10 : REFRESH_MAX_MS;
		res = SG_AUTHZ_CACHE_HIT;
		if (e->expires - now_ms <= window && !e->refreshing) {
			e->refreshing = true;
			res = SG_AUTHZ_CACHE_REFRESH;
		}
	}
	if (res == SG_AUTHZ_CACHE_HIT) {
		*out = malloc(e->alen ? e->alen : 1);
		if (*out) {
			memcpy(*out, e->data + e->klen, e->alen);
			*len = e->alen;
		} else {
			res = SG_AUTHZ_CACHE_MISS;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return res;
}

int sg_authz_cache_put(const struct sg_ext_authz_cache *k, const void *key, size_t klen,
		       const void *answer, size_t alen, uint64_t now_ms, uint64_t ttl_ms)
{
	struct store *s = k->rt ? k->rt->p : NULL;
	uint64_t h = sg_hash(key, klen);
	struct entry **at, *e;

	if (klen > SG_AUTHZ_CACHE_KEY_MAX || alen > SG_AUTHZ_CACHE_ANSWER_MAX)
		return -E2BIG;
	if (!ttl_ms)
		return -EINVAL;
	if (!s)
		return -ENOMEM;
	e = malloc(sizeof(*e) + klen + alen);
	if (!e)
		return -ENOMEM;
	*e = (struct entry){ .hash = h, .ttl = ttl_ms, .klen = klen, .alen = alen };
	e->expires = now_ms + ttl_ms < now_ms ? UINT64_MAX : now_ms + ttl_ms;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, answer, alen);
	pthread_mutex_lock(&s->mu);
	at = slot_of(s, h, key, klen);
	if (*at)
		unlink_entry(s, at);
	if (s->n >= s->max)
		drop_oldest(s);
	at = &s->buckets[h & (s->nbuckets - 1)];
	e->chain = *at;
	*at = e;
	e->older = s->newest;
	if (s->newest)
		s->newest->newer = e;
	else
		s->oldest = e;
	s->newest = e;
	s->n++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t sg_authz_cache_count(const struct sg_ext_authz_cache *k)
{
	struct store *s = k->rt ? k->rt->p : NULL;
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}
