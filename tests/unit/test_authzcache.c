/* user/auth/authzcache: extAuthz's answer store, made from a real config's
 * cache (config/extauthz.c): an answer is found by its key until its ttl,
 * once sent to be asked again in its last tenth (at most 5 s), replaced
 * by a newer answer of its key, the oldest dropped when the store is
 * full; keys and answers over their bounds and a zero ttl are not kept. */
#include <errno.h>
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
#include "user/auth/authzcache.h"

/* A config whose one route's extAuthz has cache {key, ttl 5m,
 * maxEntries max}, its store made. */
static struct sg_cfg *load(unsigned max)
{
	char text[1024];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies:\n"
		 "        extAuthz: {host: 127.0.0.1:1, cache: {key: [request.path], ttl: 5m, "
		 "maxEntries: %u}}\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 max);
	sg_diag_init(&d);
	c = sg_cfg_load_text("c.yaml", text, &d);
	if (!c || sg_authz_cache_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static const struct sg_ext_authz_cache *cache_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.ext_authz->cache;
}

/* k's answer for key at now, "" for none; what get said in *res. */
static const char *get(const struct sg_ext_authz_cache *k, const char *key, uint64_t now,
		       enum sg_authz_cache_result *res)
{
	static char out[64];
	char *a = NULL;
	size_t n = 0;

	*res = sg_authz_cache_get(k, key, strlen(key), now, &a, &n);
	snprintf(out, sizeof(out), "%.*s", a ? (int)n : 0, a ? a : "");
	free(a);
	return out;
}

static void put(const struct sg_ext_authz_cache *k, const char *key, const char *answer,
		uint64_t now, uint64_t ttl)
{
	assert_int_equal(sg_authz_cache_put(k, key, strlen(key), answer, strlen(answer), now, ttl),
			 0);
}

static void test_authzcache_hit_until_ttl(void **state)
{
	struct sg_cfg *c = load(10);
	const struct sg_ext_authz_cache *k = cache_of(c);
	enum sg_authz_cache_result res;

	(void)state;
	assert_int_equal(c->nauthz_caches, 1);
	assert_int_equal(k->max_entries, 10);
	assert_string_equal(get(k, "/a", 0, &res), "");
	assert_int_equal(res, SG_AUTHZ_CACHE_MISS);
	put(k, "/a", "allowed", 1000, 1000);
	assert_string_equal(get(k, "/a", 1500, &res), "allowed");
	assert_int_equal(res, SG_AUTHZ_CACHE_HIT);
	assert_string_equal(get(k, "/b", 1500, &res), "");
	assert_int_equal(res, SG_AUTHZ_CACHE_MISS);
	get(k, "/a", 2000, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_MISS); /* expired, and dropped */
	assert_int_equal(sg_authz_cache_count(k), 0);
	sg_cfg_free(c);
}

/* In the last tenth of its ttl one caller is sent to the service; the
 * others hit until the new answer replaces it. At most the last 5 s. */
static void test_authzcache_refresh_once(void **state)
{
	struct sg_cfg *c = load(10);
	const struct sg_ext_authz_cache *k = cache_of(c);
	enum sg_authz_cache_result res;

	(void)state;
	put(k, "/a", "old", 0, 1000);
	get(k, "/a", 899, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_HIT);
	get(k, "/a", 900, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_REFRESH);
	assert_string_equal(get(k, "/a", 950, &res), "old");
	assert_int_equal(res, SG_AUTHZ_CACHE_HIT);
	put(k, "/a", "new", 960, 1000);
	assert_string_equal(get(k, "/a", 1500, &res), "new");
	assert_int_equal(res, SG_AUTHZ_CACHE_HIT);
	assert_int_equal(sg_authz_cache_count(k), 1);
	put(k, "/long", "x", 0, 100000);
	get(k, "/long", 94999, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_HIT);
	get(k, "/long", 95000, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_REFRESH);
	sg_cfg_free(c);
}

static void test_authzcache_drops_oldest_when_full(void **state)
{
	struct sg_cfg *c = load(2);
	const struct sg_ext_authz_cache *k = cache_of(c);
	enum sg_authz_cache_result res;

	(void)state;
	put(k, "/a", "1", 0, 1000);
	put(k, "/b", "2", 0, 1000);
	put(k, "/a", "3", 0, 1000); /* replaced: /a is now the newest */
	put(k, "/c", "4", 0, 1000);
	assert_int_equal(sg_authz_cache_count(k), 2);
	get(k, "/b", 1, &res);
	assert_int_equal(res, SG_AUTHZ_CACHE_MISS);
	assert_string_equal(get(k, "/a", 1, &res), "3");
	assert_string_equal(get(k, "/c", 1, &res), "4");
	sg_cfg_free(c);
}

static void test_authzcache_bounds(void **state)
{
	struct sg_cfg *c = load(10);
	const struct sg_ext_authz_cache *k = cache_of(c);
	char *big = calloc(1, SG_AUTHZ_CACHE_ANSWER_MAX + 1);

	(void)state;
	assert_non_null(big);
	assert_int_equal(sg_authz_cache_put(k, big, SG_AUTHZ_CACHE_KEY_MAX + 1, "a", 1, 0, 10),
			 -E2BIG);
	assert_int_equal(sg_authz_cache_put(k, "k", 1, big, SG_AUTHZ_CACHE_ANSWER_MAX + 1, 0, 10),
			 -E2BIG);
	assert_int_equal(sg_authz_cache_put(k, "k", 1, "a", 1, 0, 0), -EINVAL);
	assert_int_equal(sg_authz_cache_put(k, big, SG_AUTHZ_CACHE_KEY_MAX, big,
					    SG_AUTHZ_CACHE_ANSWER_MAX, 0, 10),
			 0);
	assert_int_equal(sg_authz_cache_count(k), 1);
	free(big);
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authzcache_hit_until_ttl),
		cmocka_unit_test(test_authzcache_refresh_once),
		cmocka_unit_test(test_authzcache_drops_oldest_when_full),
		cmocka_unit_test(test_authzcache_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
