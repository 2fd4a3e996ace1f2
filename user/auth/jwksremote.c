/* Remote JWKS (the contract is jwksremote.h): one thread per URL sleeps
 * until the keys are due, or a kid miss asks, fetches, parses, and swaps
 * the pointer workers read. Old keys are not reference-counted (that would
 * cost every verification an atomic pair on a shared line): they are kept
 * SG_JWKS_RETIRE_MS, longer than any verification holds them. */
#include "user/auth/jwksremote.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "user/auth/jwks.h"
#include "user/base/log.h"

/* agentgateway's resource manager: JWKS_TTL, MIN_HTTP_REFRESH,
 * FAILED_HTTP_REFRESH. */
#define TTL_DEFAULT_MS (15 * 60 * 1000)
#define TTL_MIN_MS (60 * 1000)
#define FAIL_MAX_MS (15 * 1000)
/* An answer's max-age is heeded up to a day. agentgateway's resource
 * manager has no ceiling (its max-age only meets MIN_HTTP_REFRESH from
 * below); 24 h is ours, so that an issuer answering max-age=315360000
 * (or anyone on an http:// path) cannot pin its keys for ten years: a
 * rotation is seen within a day even with no kid miss to ask for it. */
#define TTL_MAX_MS ((int64_t)24 * 60 * 60 * 1000)

struct retired {
	struct sg_jwks *keys;
	int64_t at_ms;
	struct retired *next;
};

/* Shared by the config (until sg_jwks_remote_release) and the thread
 * (until it exits): refs counts them, under mu. */
struct sg_jwks_remote {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *url;
	struct sg_jwks *keys; /* written under mu, read by any thread atomically */
	uint64_t version;     /* likewise */
	/* The body the keys in force came from (the thread's alone): an
	 * answer byte for byte the same publishes nothing, so the tokens
	 * verified with those keys stay verified (sg_jwt_check's cache is
	 * by version). */
	char *body;
	size_t body_len;
	struct retired *retired;
	sg_jwks_get_fn get;
	int64_t refresh_ms; /* when an answer names no max-age */
	int refs;
	bool started, stop, kick;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sg_jwks_remote *sg_jwks_remote_new(const char *url, int64_t refresh_ms)
{
	struct sg_jwks_remote *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;

	if (!r || !(r->url = strdup(url))) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	r->refs = 1;
	r->refresh_ms = refresh_ms > 0 ? refresh_ms : TTL_DEFAULT_MS;
	return r;
}

/* Frees what retired before `before` (all of it: INT64_MAX). Under mu. */
static void reap(struct sg_jwks_remote *r, int64_t before)
{
	struct retired **pp = &r->retired;

	while (*pp) {
		struct retired *x = *pp;

		if (x->at_ms < before) {
			*pp = x->next;
			sg_jwks_free(x->keys);
			free(x);
		} else {
			pp = &x->next;
		}
	}
}

static void put(struct sg_jwks_remote *r)
{
	bool last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (!last)
		return;
	reap(r, INT64_MAX);
	sg_jwks_free(r->keys);
	free(r->body);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->url);
	free(r);
}

void sg_jwks_remote_release(struct sg_jwks_remote *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	put(r);
}

const struct sg_jwks *sg_jwks_remote_keys(const struct sg_jwks_remote *r)
{
	return __atomic_load_n(&r->keys, __ATOMIC_ACQUIRE);
}

uint64_t sg_jwks_remote_version(const struct sg_jwks_remote *r)
{
	return __atomic_load_n(&r->version, __ATOMIC_ACQUIRE);
}

const char *sg_jwks_remote_url(const struct sg_jwks_remote *r)
{
	return r->url;
}

void sg_jwks_remote_kick(struct sg_jwks_remote *r)
{
	pthread_mutex_lock(&r->mu);
	if (!r->kick) {
		r->kick = true;
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

/* How long until the next fetch after a good answer of max-age ttl (ms,
 * 0: none). The config's refresh period (cacheDuration) is the
 * operator's and stays as given; only the answer's max-age is bounded
 * above. */
static int64_t next_fetch(const struct sg_jwks_remote *r, int64_t ttl)
{
	if (ttl <= 0)
		ttl = r->refresh_ms;
	else if (ttl > TTL_MAX_MS)
		ttl = TTL_MAX_MS;
	return ttl < TTL_MIN_MS ? TTL_MIN_MS : ttl;
}

/* One fetch: the new keys published (the old ones retired), or why not
 * logged. Returns how long until the next one is due, in ms. */
static int64_t fetch(struct sg_jwks_remote *r, unsigned *fails)
{
	struct sg_jwks *ks = NULL;
	char err[256] = "", *body = NULL;
	size_t len = 0;
	int64_t ttl = 0, wait;
	struct retired *old;
	bool got = r->get(r->url, &body, &len, &ttl, err, sizeof(err)) == 0;

	if (got && r->body && len == r->body_len && !memcmp(body, r->body, len)) {
		free(body);
		*fails = 0;
		ttl = next_fetch(r, ttl);
		SG_INFO("jwtAuth: jwks %s: unchanged, %zu keys kept (next fetch in %lld s)", r->url,
			sg_jwks_count(r->keys), (long long)(ttl / 1000));
		return ttl;
	}
	if (got && sg_jwks_parse(body, len, &ks, err, sizeof(err)) < 0)
		ks = NULL;
	if (!ks) {
		free(body);
		wait = (int64_t)1000 << (*fails < 4 ? *fails : 4);
		(*fails)++;
		SG_WARN("jwtAuth: jwks %s: %s (the keys in force kept; next try in %lld ms)",
			r->url, err[0] ? err : "not a JWKS",
			(long long)(wait < FAIL_MAX_MS ? wait : FAIL_MAX_MS));
		return wait < FAIL_MAX_MS ? wait : FAIL_MAX_MS;
	}
	*fails = 0;
	old = calloc(1, sizeof(*old));
	pthread_mutex_lock(&r->mu);
	if (old && r->keys) {
		old->keys = r->keys;
		old->at_ms = mono_ms();
		old->next = r->retired;
		r->retired = old;
		old = NULL;
	}
	/* Without memory to retire them the old keys stay reachable: leaked
	 * rather than freed under a reader. */
	__atomic_store_n(&r->keys, ks, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->version, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&r->mu);
	free(old);
	free(r->body);
	r->body = body;
	r->body_len = len;
	ttl = next_fetch(r, ttl);
	SG_INFO("jwtAuth: jwks %s: %zu keys loaded (next fetch in %lld s)", r->url,
		sg_jwks_count(ks), (long long)(ttl / 1000));
	return ttl;
}

/* now + ms, INT64_MAX past it: a due time that wrapped negative would be
 * due at once, and the thread would fetch in a tight loop. */
static int64_t later(int64_t now, int64_t ms)
{
	return ms > INT64_MAX - now ? INT64_MAX : now + ms;
}

static void *remote_main(void *arg)
{
	struct sg_jwks_remote *r = arg;
	int64_t next = 0, last = -SG_JWKS_KICK_MS;
	unsigned fails = 0;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		int64_t now = mono_ms(), due = next;
		struct timespec ts;

		if (r->kick && last + SG_JWKS_KICK_MS < due)
			due = last + SG_JWKS_KICK_MS;
		if (now < due) {
			ts.tv_sec = due / 1000;
			ts.tv_nsec = (due % 1000) * 1000000;
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
			continue;
		}
		r->kick = false;
		last = now;
		pthread_mutex_unlock(&r->mu);
		next = later(now, fetch(r, &fails));
		/* The library's per-thread state (its error queue, random
		 * generators) goes between fetches: a thread asleep until the
		 * next one holds none of it, also at exit (LSan does not scan
		 * a live thread's thread-local blocks). */
		OPENSSL_thread_stop();
		pthread_mutex_lock(&r->mu);
		reap(r, mono_ms() - SG_JWKS_RETIRE_MS);
	}
	pthread_mutex_unlock(&r->mu);
	put(r);
	return NULL;
}

/* Every remote's thread, joinable, so that the gateway's exit can wait
 * for the ones its configs told to stop (a thread still exiting while
 * LSan checks for leaks at exit is a false report); the ended ones are
 * reaped as new ones start. */
static pthread_mutex_t threads_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t *threads;
static size_t nthreads, capthreads;

/* Under threads_mu: the threads that ended are joined and forgotten. */
static void reap_threads(void)
{
	size_t kept = 0;

	for (size_t i = 0; i < nthreads; i++)
		if (pthread_tryjoin_np(threads[i], NULL) != 0)
			threads[kept++] = threads[i];
	nthreads = kept;
}

static bool keep_thread(pthread_t t)
{
	pthread_t *grown;

	reap_threads();
	if (nthreads == capthreads) {
		grown = realloc(threads, (capthreads ? 2 * capthreads : 8) * sizeof(*threads));
		if (!grown)
			return false;
		threads = grown;
		capthreads = capthreads ? 2 * capthreads : 8;
	}
	threads[nthreads++] = t;
	return true;
}

void sg_jwks_remote_join(int64_t timeout_ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&threads_mu);
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_timedjoin_np(threads[i], NULL, &deadline) != 0)
			pthread_detach(threads[i]); /* still fetching, or not told to stop */
	free(threads);
	threads = NULL;
	nthreads = capthreads = 0;
	pthread_mutex_unlock(&threads_mu);
}

int sg_jwks_remote_start(struct sg_jwks_remote *r, sg_jwks_get_fn get)
{
	sigset_t all, old;
	pthread_attr_t at;
	pthread_t t;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (r->started)
		goto out;
	r->get = get;
	r->refs++;
	/* signals are the main thread's: the new one starts with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&at);
	pthread_mutex_lock(&threads_mu);
	rc = pthread_create(&t, &at, remote_main, r);
	if (rc == 0 && !keep_thread(t))
		pthread_detach(t); /* no room to remember it: it is not waited for */
	pthread_mutex_unlock(&threads_mu);
	pthread_attr_destroy(&at);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		r->refs--;
		rc = -rc;
		goto out;
	}
	r->started = true;
out:
	pthread_mutex_unlock(&r->mu);
	return rc;
}
