/* Unit tests for user/auth/jwksremote.c, a JWKS by URL refreshed on a
 * thread of its own, on the real clock with the test's fetch function
 * (the contract's sg_jwks_get_fn; test_jwksfetch.c runs it over the
 * gateway's HTTP client): nothing fetched before start and one thread
 * however often started; a failed or unparsable fetch tried again after
 * 1 s, then 2 s, and keeps the keys in force, logged by name; an answer's
 * max-age below 60 s not heeded, one past a day (or past the clock's
 * range) taken as a day; a kid miss fetches again once, not sooner than
 * SG_JWKS_KICK_MS after the last; an answer the same as the one in force
 * publishes nothing; released, its thread ends and fetches no more. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/capture.h"
#include "user/auth/jwksremote.h"
#include "user/auth/jwt.h"
#include "user/base/log.h"

#define JWKS(kid)                                                                                  \
	"{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"" kid "\",\"crv\":\"Ed25519\","                     \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}"

/* What the fetch function answers, in turn (the last one again when they
 * run out), and when it was called. */
struct answer {
	int rc;		  /* 0: body; -1: err */
	const char *text; /* the body, or the error */
	int64_t ttl_ms;
};

static struct {
	pthread_mutex_t mu;
	const struct answer *answers;
	int nanswers;
	int calls;
	int64_t at[16]; /* ms, each call's */
	char url[128];
} fx = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int get(const char *url, char **body, size_t *len, int64_t *ttl_ms, char *err, size_t errlen)
{
	const struct answer *a;

	pthread_mutex_lock(&fx.mu);
	a = &fx.answers[fx.calls < fx.nanswers ? fx.calls : fx.nanswers - 1];
	if (fx.calls < 16)
		fx.at[fx.calls] = now_ms();
	fx.calls++;
	snprintf(fx.url, sizeof(fx.url), "%s", url);
	pthread_mutex_unlock(&fx.mu);
	if (a->rc) {
		snprintf(err, errlen, "%s", a->text);
		return -1;
	}
	*body = strdup(a->text);
	*len = strlen(a->text);
	*ttl_ms = a->ttl_ms;
	return 0;
}

static int calls(void)
{
	int n;

	pthread_mutex_lock(&fx.mu);
	n = fx.calls;
	pthread_mutex_unlock(&fx.mu);
	return n;
}

static int64_t called_at(int i)
{
	int64_t t;

	pthread_mutex_lock(&fx.mu);
	t = fx.at[i];
	pthread_mutex_unlock(&fx.mu);
	return t;
}

static void script(const struct answer *a, int n)
{
	pthread_mutex_lock(&fx.mu);
	fx.answers = a;
	fx.nanswers = n;
	fx.calls = 0;
	fx.url[0] = '\0';
	pthread_mutex_unlock(&fx.mu);
}

/* Waits until cond or 20 s (a busy host's bound). */
#define EVENTUALLY(cond)                                                                           \
	do {                                                                                       \
		int64_t until_ = now_ms() + 20000;                                                 \
		while (!(cond) && now_ms() < until_)                                               \
			usleep(5000);                                                              \
		assert_true(cond);                                                                 \
	} while (0)

static const char *kid0(const struct sg_jwks_remote *r)
{
	const struct sg_jwks *k = sg_jwks_remote_keys(r);

	return k && sg_jwks_count(k) ? sg_jwks_kid(k, 0) : "";
}

/* Before start it holds nothing and fetches nothing; started (twice) it
 * fetches its URL once, and an answer's max-age under 60 s is not heeded:
 * no second fetch follows soon. */
static void test_jwksremote_fetches_once_started(void **state)
{
	static const struct answer a[] = { { 0, JWKS("k1"), 200 } };
	struct sg_jwks_remote *r = sg_jwks_remote_new("https://idp.example/jwks", 0);

	(void)state;
	script(a, 1);
	assert_non_null(r);
	assert_string_equal(sg_jwks_remote_url(r), "https://idp.example/jwks");
	assert_null(sg_jwks_remote_keys(r));
	assert_int_equal(sg_jwks_remote_version(r), 0);
	usleep(100000);
	assert_int_equal(calls(), 0);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(sg_jwks_remote_version(r) == 1);
	assert_string_equal(kid0(r), "k1");
	assert_string_equal(fx.url, "https://idp.example/jwks");
	/* a max-age of 200 ms waits 60 s all the same */
	usleep(1500000);
	assert_int_equal(calls(), 1);
	assert_int_equal(sg_jwks_remote_version(r), 1);
	sg_jwks_remote_release(r);
}

/* Failures are tried again after 1 s, then 2 s, each logged with its
 * reason; a body that is not a JWKS is one; the next good answer's keys
 * are taken. */
static void test_jwksremote_failure_backs_off(void **state)
{
	static const struct answer a[] = {
		{ -1, "connect: Connection refused", 0 },
		{ 0, "{\"keys\":", 0 },
		{ 0, JWKS("k2"), 0 },
	};
	static char out[8192];
	struct test_capture cap;
	struct sg_jwks_remote *r = sg_jwks_remote_new("http://127.0.0.1:9/jwks", 0);

	(void)state;
	script(a, 3);
	sg_log_set_level("info");
	test_capture_init(&cap);
	test_capture_start(&cap, STDERR_FILENO);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(sg_jwks_remote_version(r) == 1);
	test_capture_end(&cap, out, sizeof(out));
	assert_int_equal(calls(), 3);
	assert_string_equal(kid0(r), "k2");
	/* 1 s, then 2 s (lower bounds: a busy host is only later) */
	assert_true(called_at(1) - called_at(0) >= 990);
	assert_true(called_at(2) - called_at(1) >= 1990);
	assert_true(called_at(2) - called_at(1) < 10000);
	assert_non_null(strstr(out, "jwtAuth: jwks http://127.0.0.1:9/jwks: connect: Connection "
				    "refused (the keys in force kept; next try in 1000 ms)"));
	assert_non_null(strstr(out, "(the keys in force kept; next try in 2000 ms)"));
	assert_non_null(strstr(out, "jwtAuth: jwks http://127.0.0.1:9/jwks: 1 keys loaded"));
	sg_jwks_remote_release(r);
}

/* A kid miss asks for a fetch: many of them make one, not sooner than
 * SG_JWKS_KICK_MS after the last; a failed one keeps the keys and their
 * version; a good one replaces them. */
static void test_jwksremote_kick_bounded_and_keys_kept(void **state)
{
	static const struct answer a[] = {
		{ 0, JWKS("k1"), 0 },
		{ -1, "HTTP status 503", 0 },
		{ 0, JWKS("k3"), 0 },
	};
	struct sg_jwks_remote *r = sg_jwks_remote_new("https://idp.example/jwks", 0);
	const struct sg_jwks *first;

	(void)state;
	script(a, 3);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(sg_jwks_remote_version(r) == 1);
	first = sg_jwks_remote_keys(r);
	for (int i = 0; i < 100; i++)
		sg_jwks_remote_kick(r);
	EVENTUALLY(calls() == 2);
	assert_true(called_at(1) - called_at(0) >= SG_JWKS_KICK_MS - 10);
	/* the failure kept the keys in force */
	assert_ptr_equal(sg_jwks_remote_keys(r), first);
	assert_int_equal(sg_jwks_remote_version(r), 1);
	assert_string_equal(kid0(r), "k1");
	/* its retry (1 s) brings the new keys; the old ones stay readable */
	EVENTUALLY(sg_jwks_remote_version(r) == 2);
	assert_string_equal(kid0(r), "k3");
	assert_string_equal(sg_jwks_kid(first, 0), "k1");
	assert_int_equal(calls(), 3);
	sg_jwks_remote_release(r);
}

/* An answer byte for byte the one in force publishes nothing: the keys,
 * and the version that sg_jwt_check's cache is keyed by, stay, so a kid
 * miss (at most one fetch per SG_JWKS_KICK_MS) does not make every token
 * verified since be verified again; a changed answer does. Before, each
 * good fetch was a new version. */
static void test_jwksremote_unchanged_answer_keeps_version(void **state)
{
	static const struct answer a[] = {
		{ 0, JWKS("k1"), 0 },
		{ 0, JWKS("k1"), 0 },
		{ 0, JWKS("k2"), 0 },
	};
	struct sg_jwks_remote *r = sg_jwks_remote_new("https://idp.example/jwks", 0);
	const struct sg_jwks *first;

	(void)state;
	script(a, 3);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(sg_jwks_remote_version(r) == 1);
	first = sg_jwks_remote_keys(r);
	sg_jwks_remote_kick(r);
	EVENTUALLY(calls() == 2);
	usleep(100 * 1000); /* what the second answer would have published */
	assert_int_equal(sg_jwks_remote_version(r), 1);
	assert_ptr_equal(sg_jwks_remote_keys(r), first);
	sg_jwks_remote_kick(r);
	EVENTUALLY(sg_jwks_remote_version(r) == 2);
	assert_string_equal(kid0(r), "k2");
	assert_int_equal(calls(), 3);
	sg_jwks_remote_release(r);
}

/* One remote fetching one answer of max-age ttl_ms: the next fetch it
 * logs, in s; with wait_ms, no other fetch came in that time. */
static long long next_fetch_s(int64_t ttl_ms, int wait_ms)
{
	const struct answer a[] = { { 0, JWKS("k1"), ttl_ms } };
	static char out[8192];
	struct test_capture cap;
	struct sg_jwks_remote *r = sg_jwks_remote_new("https://idp.example/jwks", 0);
	const char *at;
	long long s = -1;
	int n;

	script(a, 1);
	sg_log_set_level("info");
	test_capture_init(&cap);
	test_capture_start(&cap, STDERR_FILENO);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(sg_jwks_remote_version(r) >= 1);
	usleep((useconds_t)wait_ms * 1000);
	n = calls();
	/* its thread ended, its log line is written */
	sg_jwks_remote_release(r);
	sg_jwks_remote_join(10000);
	test_capture_end(&cap, out, sizeof(out));
	if (n != 1)
		fail_msg("max-age %lld ms: %d fetches in %d ms, not 1", (long long)ttl_ms, n,
			 wait_ms);
	at = strstr(out, "1 keys loaded (next fetch in ");
	if (!at || sscanf(at, "1 keys loaded (next fetch in %lld s)", &s) != 1)
		fail_msg("no next fetch logged: %s", out);
	return s;
}

/* An answer's max-age is heeded from 60 s up to a day: ten years, 2^31 s
 * (jwksfetch.c's largest) or a ttl whose sum with the clock overflowed
 * (it wrapped negative, and the thread fetched 6631 times in 0.3 s,
 * review 3, item 3) wait a day, and nothing is fetched again at once; no
 * max-age is the 15 min default. */
static void test_jwksremote_max_age_bounded(void **state)
{
	(void)state;
	assert_int_equal(next_fetch_s(INT64_MAX, 1000), 86400);
	assert_int_equal(next_fetch_s(9223372036854775LL * 1000, 1000), 86400);
	assert_int_equal(next_fetch_s(2147483648000LL, 0), 86400);
	assert_int_equal(next_fetch_s(315360000000LL, 0), 86400);
	assert_int_equal(next_fetch_s(86400000, 0), 86400);
	assert_int_equal(next_fetch_s(300000, 0), 300);
	assert_int_equal(next_fetch_s(200, 0), 60);
	assert_int_equal(next_fetch_s(0, 0), 900);
}

/* Released, its thread ends: no fetch after, and join returns at once. */
static void test_jwksremote_release_stops(void **state)
{
	static const struct answer a[] = { { -1, "refused", 0 } };
	struct sg_jwks_remote *r = sg_jwks_remote_new("https://idp.example/jwks", 0);
	int64_t t0;
	int n;

	(void)state;
	script(a, 1);
	assert_int_equal(sg_jwks_remote_start(r, get), 0);
	EVENTUALLY(calls() == 1);
	sg_jwks_remote_release(r);
	n = calls();
	t0 = now_ms();
	sg_jwks_remote_join(10000);
	assert_true(now_ms() - t0 < 5000); /* not the 10 s bound */
	usleep(1500000);		   /* past the retry it had due */
	assert_int_equal(calls(), n);
	/* never started: released, it is freed at once */
	sg_jwks_remote_release(sg_jwks_remote_new("https://idp.example/other", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwksremote_fetches_once_started),
		cmocka_unit_test(test_jwksremote_failure_backs_off),
		cmocka_unit_test(test_jwksremote_kick_bounded_and_keys_kept),
		cmocka_unit_test(test_jwksremote_unchanged_answer_keeps_version),
		cmocka_unit_test(test_jwksremote_max_age_bounded),
		cmocka_unit_test(test_jwksremote_release_stops),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	sg_jwks_remote_join(5000);
	return rc;
}
