/* extAuthz's cache (ExtAuthz.cache): the authorization service's answers
 * kept by key for a time, one store per cache of the config, shared by
 * the workers (a mutex), made before the config is in force and released
 * with it. What a key and an answer are is the caller's
 * (user/core/authzcall.c): bytes here. A store holds at most its
 * maxEntries; a new entry then replaces the oldest (first in, first out). */
#ifndef SG_AUTHZCACHE_H
#define SG_AUTHZCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "config/diag.h"

/* The longest key and answer kept: a longer one is not cached (the
 * service is asked each time), so that a store's memory is bounded by
 * its maxEntries times about 24 KiB. */
#define SG_AUTHZ_CACHE_KEY_MAX 8192
#define SG_AUTHZ_CACHE_ANSWER_MAX 16384

/* Make the store of each cache of cfg (their rt). Returns 0, or -1 with
 * the error in d (out of memory). */
int sg_authz_cache_prepare(const struct sg_cfg *cfg, struct sg_diag *d);

enum sg_authz_cache_result {
	SG_AUTHZ_CACHE_MISS,	/* no entry, or it expired */
	SG_AUTHZ_CACHE_HIT,	/* *out holds its answer */
	SG_AUTHZ_CACHE_REFRESH, /* the entry is in its last tenth (at most 5 s):
				 * this caller asks the service again, the
				 * others keep hitting until it is replaced */
};

/* Look key[0..klen) up in k's store at now_ms (monotonic). On a hit the
 * answer is copied into *out (malloc'd, the caller frees it) and its
 * length into *len; out of memory reads as a miss. */
enum sg_authz_cache_result sg_authz_cache_get(const struct sg_ext_authz_cache *k, const void *key,
					      size_t klen, uint64_t now_ms, char **out,
					      size_t *len);

/* Keep answer[0..alen) under key[0..klen) until now_ms + ttl_ms,
 * replacing any entry of that key. Returns 0, -E2BIG when either is over
 * its bound, -EINVAL for a zero ttl, or -ENOMEM (nothing kept then). */
int sg_authz_cache_put(const struct sg_ext_authz_cache *k, const void *key, size_t klen,
		       const void *answer, size_t alen, uint64_t now_ms, uint64_t ttl_ms);

/* How many entries k's store holds (for tests and the log). */
size_t sg_authz_cache_count(const struct sg_ext_authz_cache *k);

#endif
