/* The attempt engine (user/attempt.h): the retry, deadline and endpoint
 * rules of a request, written once for every frontend. It never touches a
 * byte of the request: the owner writes and reads a->conn. */
#include "user/attempt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/duration.h"
#include "user/lb.h"
#include "user/tls.h"
#include "policy/route.h"

static uint64_t now(const struct sg_attempt *a)
{
	return sg_loop_now(a->loop);
}

static uint64_t ms(sg_dur d)
{
	return sg_dur_to_ms_ceil(d);
}

static void count(struct sg_attempt *a, enum sg_stat which)
{
	sg_stats_add(a->stats, which, 1);
}

static uint64_t now_ns(const struct sg_attempt *a)
{
	return sg_loop_now_ns(a->loop);
}

/* The current try's outcome for passive health, once: `status` its
 * response's, 0 when it failed without one. */
static void judge(struct sg_attempt *a, uint16_t status)
{
	const struct sg_retry *r = a->route ? a->route->eff_retry : NULL;

	if (!a->lb_ep || a->lb_judged)
		return;
	a->lb_judged = true;
	sg_lb_judge(sg_pool_lb(a->pool), a->lb_ep, a->backend ? a->backend->eff_health : NULL,
		    r ? r->backoff : SG_DUR_UNSET, status, a->try_ns ? now_ns(a) - a->try_ns : 0);
}

/* The current try no longer counts as outstanding at its endpoint. */
static void lb_done(struct sg_attempt *a)
{
	if (a->lb_ep)
		sg_lb_end(a->lb_ep);
	a->lb_ep = NULL;
}

/* The current try is over (response head, or failed): its duration. */
static void try_over(struct sg_attempt *a)
{
	if (!a->try_ns)
		return;
	sg_stats_observe(a->series, SG_HIST_ATTEMPT, now_ns(a) - a->try_ns);
	a->try_ns = 0;
}

/* The request stops counting as active. */
static void leave(struct sg_attempt *a)
{
	if (!a->in_flight)
		return;
	a->in_flight = false;
	sg_stats_requests_active(a->stats, -1);
}

/* The backend's own request timeout (a BackendTrafficPolicy or the
 * backend's policies) beats the route's per-try one. */
static sg_dur try_timeout(const struct sg_attempt *a)
{
	if (a->backend && a->backend->eff_request_timeout != SG_DUR_UNSET)
		return a->backend->eff_request_timeout;
	return a->route->eff_timeout.backend_request;
}

static bool may_retry(const struct sg_attempt *a)
{
	const struct sg_retry *r = a->route ? a->route->eff_retry : NULL;

	return r && a->replayable && !a->answered && a->n < r->attempts;
}

void sg_attempt_init(struct sg_attempt *a, const struct sg_attempt_ops *ops, void *owner,
		     struct sg_loop *loop, struct sg_pool *pool, struct sg_h2b_pool *h2pool,
		     struct sg_stats *stats, uint64_t *rng)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->owner = owner;
	a->loop = loop;
	a->pool = pool;
	a->h2pool = h2pool;
	a->stats = stats;
	a->rng = rng;
}

void sg_attempt_begin(struct sg_attempt *a, const char *listener, const struct sg_route *route,
		      bool replayable, const struct sg_global *g)
{
	sg_dur whole = route ? route->eff_timeout.request : 0;

	leave(a); /* the last request, if nothing said it was over */
	a->series = sg_stats_series(a->stats, listener, route ? route->key : "");
	a->begun_ns = now_ns(a);
	a->try_ns = a->connect_ns = 0;
	a->in_flight = true;
	sg_stats_requests_active(a->stats, 1);
	a->route = route;
	a->global = g;
	a->replayable = replayable;
	a->answered = false;
	a->n = 0;
	a->tried = 0;
	a->stale_retry_used = false;
	a->refused = 0;
	a->backend = NULL;
	a->endpoint[0] = '\0';
	a->try_at = a->connect_at = a->backoff_at = 0;
	a->request_at = whole > 0 ? now(a) + ms(whole) : 0;
}

/* A request begins at the loop's pass time (when the head's last bytes
 * were in) but ends at the clock's: the gateway's own answers (a 404, a
 * refused connect's 503) begin and end within one pass, and a response's
 * last write is part of its duration. One vDSO read per request. */
void sg_attempt_over(struct sg_attempt *a, uint64_t request_bytes, uint64_t response_bytes)
{
	struct timespec ts;
	uint64_t end;

	if (!a->in_flight)
		return;
	/* CLOCK_MONOTONIC with a valid pointer cannot fail. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	sg_stats_request_over(a->series, end > a->begun_ns ? end - a->begun_ns : 0, request_bytes,
			      response_bytes, a->n);
	leave(a);
}

void sg_attempt_drop(struct sg_attempt *a)
{
	bool had = a->conn || a->h2;

	a->try_ns = a->connect_ns = 0; /* an abandoned try is not timed */
	lb_done(a);

	sg_backend_close(a->conn);
	a->conn = NULL;
	sg_h2b_close(a->h2);
	a->h2 = NULL;
	a->connected = false;
	a->try_at = a->connect_at = 0;
	if (had && a->ops->dropped)
		a->ops->dropped(a);
}

void sg_attempt_release(struct sg_attempt *a, bool reusable, const struct sg_global *g)
{
	uint64_t idle_ms = ms(g->pool_idle_timeout);
	struct sg_backend_conn *u = a->conn;

	sg_h2b_close(a->h2); /* the stream ended: its connection stays shared */
	lb_done(a);
	a->h2 = NULL;
	a->conn = NULL;
	a->connected = false;
	if (!u)
		return;
	if (reusable && idle_ms)
		sg_pool_put(a->pool, u, idle_ms, g->pool_max_size);
	else
		sg_backend_close(u);
}

void sg_attempt_end(struct sg_attempt *a)
{
	leave(a);
	lb_done(a);
	a->try_ns = a->connect_ns = 0;
	sg_backend_close(a->conn);
	a->conn = NULL;
	sg_h2b_close(a->h2);
	a->h2 = NULL;
	a->connected = false;
	a->request_at = a->try_at = a->connect_at = a->backoff_at = 0;
}

/* No try follows: the owner answers. */
static void give_up(struct sg_attempt *a, enum sg_fail kind, int err)
{
	sg_attempt_drop(a);
	a->request_at = a->try_at = a->connect_at = a->backoff_at = 0;
	a->ops->fail(a, kind, err);
}

/* Drop this try and begin the next after the policy's backoff. */
static void retry(struct sg_attempt *a)
{
	const struct sg_retry *r = a->route->eff_retry;
	uint64_t backoff = r->backoff == SG_DUR_UNSET ? 0 : ms(r->backoff);

	sg_attempt_drop(a);
	a->n++;
	count(a, SG_STAT_RETRIES);
	if (backoff == 0) {
		sg_attempt_start(a);
		return;
	}
	a->backoff_at = now(a) + backoff;
	if (a->ops->wait)
		a->ops->wait(a);
}

/* The request surely did not reach the backend's application (a stale
 * pooled connection, a refused stream): it is sent again, once per request,
 * without counting as a try. Returns false when it cannot be. */
static bool replay_uncounted(struct sg_attempt *a)
{
	if (a->stale_retry_used || !a->replayable || a->answered)
		return false;
	a->stale_retry_used = true;
	a->tried = 0;
	sg_attempt_drop(a);
	sg_attempt_start(a);
	return true;
}

/* ---- an HTTP/2 backend's stream: user/h2backend.h's callbacks ------------ */

static void h2_ready(void *data)
{
	struct sg_attempt *a = data;

	a->connected = true;
	a->connect_at = 0;
	a->ops->send(a);
}

static void h2_failed(void *data, enum sg_h2b_failure why, int err)
{
	struct sg_attempt *a = data;

	switch (why) {
	case SG_H2B_CONNECT:
		sg_attempt_failed(a, SG_FAIL_CONNECT, err);
		return;
	case SG_H2B_TLS:
		snprintf(a->tls_cause, sizeof(a->tls_cause), "%s", sg_h2b_tls_cause(a->h2));
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
		return;
	case SG_H2B_REFUSED:
		/* Not processed (RFC 9113 §8.7): sent again on another
		 * connection without counting as a try, up to
		 * SG_ATTEMPT_MAX_REFUSED times (backends that drain one
		 * connection after another can refuse a stream twice). */
		if (a->refused < SG_ATTEMPT_MAX_REFUSED && a->replayable && !a->answered) {
			a->refused++;
			a->tried = 0;
			sg_attempt_drop(a);
			sg_attempt_start(a);
			return;
		}
		sg_attempt_failed(a, SG_FAIL_RESET, err);
		return;
	case SG_H2B_RESET:
		sg_attempt_read_failed(a, err);
		return;
	case SG_H2B_INVALID:
		sg_attempt_failed(a, SG_FAIL_BAD_RESPONSE, err);
		return;
	}
}

static void h2_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct sg_attempt *a = data;

	a->ops->h2_head(a, resp, end);
}

static void h2_data(void *data, const char *p, size_t n)
{
	struct sg_attempt *a = data;

	a->ops->h2_data(a, p, n);
}

static void h2_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct sg_attempt *a = data;

	a->ops->h2_end(a, t, n, err);
}

static ssize_t h2_body(void *data, char *buf, size_t len, bool *eof)
{
	struct sg_attempt *a = data;

	return a->ops->h2_body(a, buf, len, eof);
}

static size_t h2_trailers(void *data, const struct sg_h2_field **t)
{
	struct sg_attempt *a = data;

	return a->ops->h2_trailers ? a->ops->h2_trailers(a, t) : 0;
}

static const struct sg_h2b_ops h2_ops = {
	.trailers = h2_trailers,
	.ready = h2_ready,
	.failed = h2_failed,
	.head = h2_head,
	.data = h2_data,
	.end = h2_end,
	.body = h2_body,
};

static const char *tls_host(const struct sg_attempt *a);

static void start_h2(struct sg_attempt *a, const struct sg_endpoint *ep)
{
	uint64_t idle_ms = a->global ? ms(a->global->pool_idle_timeout) : 0;
	bool ready = false, reused = false;
	int err = 0;

	struct sg_tls_client *tc = NULL;
	char key[sizeof(a->endpoint) + 24];

	snprintf(key, sizeof(key), "%s", a->endpoint);
	if (a->backend->eff_tls) {
		uint64_t h;

		tc = sg_pool_tls_client(a->pool, a->backend->eff_tls, true, &h, a->tls_cause,
					sizeof(a->tls_cause));
		if (!tc) {
			sg_attempt_failed(a, SG_FAIL_TLS, 0);
			return;
		}
		snprintf(key, sizeof(key), "%s#%016llx", a->endpoint, (unsigned long long)h);
	}
	a->h2 = sg_h2b_open_tls(a->h2pool, ep, key, &a->backend->eff_keepalive, idle_ms, tc,
				tc ? tls_host(a) : NULL, &h2_ops, a, &ready, &reused, &err);
	if (!a->h2) {
		sg_attempt_failed(a, SG_FAIL_CONNECT, err);
		return;
	}
	count(a, reused ? SG_STAT_POOL_REUSE : SG_STAT_BACKEND_CONNECTS);
	if (ready) {
		h2_ready(a);
		return;
	}
	if (a->backend->eff_connect_timeout > 0)
		a->connect_at = now(a) + ms(a->backend->eff_connect_timeout);
	if (a->ops->wait)
		a->ops->wait(a);
}

const char *sg_attempt_cause(const struct sg_attempt *a, enum sg_fail kind, int err)
{
	return kind == SG_FAIL_TLS && a->tls_cause[0] ? a->tls_cause : sg_fail_cause(err);
}

/* The backend's TLS client context (per worker, by content); NULL after
 * the try failed with SG_FAIL_TLS. key: the settings' hash. */
static struct sg_tls_client *tls_client(struct sg_attempt *a, uint64_t *key)
{
	struct sg_tls_client *tc = sg_pool_tls_client(a->pool, a->backend->eff_tls, false, key,
						      a->tls_cause, sizeof(a->tls_cause));

	if (!tc)
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
	return tc;
}

/* The name a backend's certificate is checked against (unless the policy
 * names one): a Service's host name, else the endpoint's address. */
static const char *tls_host(const struct sg_attempt *a)
{
	if (a->backend->kind == SG_BREF_SERVICE && a->backend->svc->hostname)
		return a->backend->svc->hostname;
	return a->ep->addr;
}

/* One step of a->conn's TLS handshake: 1 done, 0 waiting (ops->wait), -1
 * the try failed. */
static int tls_step(struct sg_attempt *a)
{
	struct sg_backend_conn *u = a->conn;
	struct sg_tls_client *tc = NULL;
	uint64_t key;

	if (!u->tls && !(tc = tls_client(a, &key)))
		return -1;
	switch (sg_backend_tls_step(u, tc, tls_host(a), a->tls_cause, sizeof(a->tls_cause))) {
	case 1:
		return 1;
	case 0:
		if (a->ops->wait)
			a->ops->wait(a);
		return 0;
	default:
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
		return -1;
	}
}

void sg_attempt_start(struct sg_attempt *a)
{
	struct sg_lb *lb = a->pool ? sg_pool_lb(a->pool) : NULL;
	const struct sg_endpoint *ep;
	struct sg_backend_conn *u;
	sg_dur per_try;
	size_t bi, ei;
	int err = 0;
	char key[sizeof(u->key)];

	a->backoff_at = 0;
	a->tls_cause[0] = '\0';
	lb_done(a);
	if (!(lb ? sg_lb_pick(lb, &a->route->backends, sg_route_random(a->rng), a->tried, &bi, &ei)
		 : sg_route_pick(&a->route->backends, sg_route_random(a->rng), a->tried, &bi,
				 &ei))) {
		sg_stats_failure(a->stats, SG_FAIL_NO_BACKEND);
		give_up(a, SG_FAIL_NO_BACKEND, 0);
		return;
	}
	a->tried |= SG_ROUTE_TRIED_BIT(bi, ei);
	a->backend = &a->route->backends.v[bi];
	ep = a->ep = &a->backend->eps[ei];
	snprintf(a->endpoint, sizeof(a->endpoint), "%s:%u", ep->addr, ep->port);
	a->lb_ep = lb ? sg_lb_get(lb, ep) : NULL;
	a->lb_judged = false;
	if (a->lb_ep)
		sg_lb_begin(a->lb_ep);
	per_try = try_timeout(a);
	a->try_at = per_try > 0 ? now(a) + ms(per_try) : 0;
	a->try_ns = now_ns(a);
	if (a->backend->eff_h2 && a->h2pool) {
		start_h2(a, ep);
		return;
	}
	snprintf(key, sizeof(key), "%s", a->endpoint);
	if (a->backend->eff_tls) {
		uint64_t h;

		if (!tls_client(a, &h))
			return;
		snprintf(key, sizeof(key), "%s#%016llx", a->endpoint, (unsigned long long)h);
	}
	u = sg_pool_take(a->pool, key);
	if (u) {
		count(a, SG_STAT_POOL_REUSE);
	} else {
		count(a, SG_STAT_BACKEND_CONNECTS);
		a->connect_ns = a->try_ns;
		u = sg_backend_connect(a->pool, ep, &a->backend->eff_keepalive, &err);
		if (!u) {
			sg_attempt_failed(a, SG_FAIL_CONNECT, err);
			return;
		}
		snprintf(u->key, sizeof(u->key), "%s", key);
		if (a->backend->eff_connect_timeout > 0)
			a->connect_at = now(a) + ms(a->backend->eff_connect_timeout);
	}
	a->conn = u;
	a->connected = u->reused;
	u->io.cb = a->ops->on_io;
	u->io.data = a->owner;
	if (a->connected)
		a->ops->send(a);
	else if (a->ops->wait)
		a->ops->wait(a);
}

void sg_attempt_connected(struct sg_attempt *a)
{
	int err = a->conn->tls ? 0 : sg_backend_connect_error(a->conn);

	if (err == EINPROGRESS)
		return; /* the name's next address */
	if (err) {
		sg_attempt_failed(a, SG_FAIL_CONNECT, err);
		return;
	}
	/* The handshake runs under the connect deadline, still armed. */
	if (a->backend->eff_tls && tls_step(a) != 1)
		return;
	a->connected = true;
	a->connect_at = 0;
	if (a->connect_ns)
		sg_stats_observe(a->series, SG_HIST_CONNECT, now_ns(a) - a->connect_ns);
	a->connect_ns = 0;
	a->ops->send(a);
}

void sg_attempt_failed(struct sg_attempt *a, enum sg_fail kind, int err)
{
	judge(a, 0);
	try_over(a);
	sg_stats_failure(a->stats, kind);
	if (!sg_fail_retryable(kind) || !may_retry(a)) {
		give_up(a, kind, err);
		return;
	}
	retry(a);
}

void sg_attempt_write_failed(struct sg_attempt *a, int err, bool taken)
{
	/* A request the backend may have read, then reset or closed, is a
	 * try like any other (Gateway API HTTPRouteRetryConnectionError). */
	if (a->conn->reused && !taken && replay_uncounted(a))
		return;
	sg_attempt_failed(a, err == ECONNRESET ? SG_FAIL_RESET : SG_FAIL_CLOSED, err);
}

void sg_attempt_read_failed(struct sg_attempt *a, int err)
{
	sg_attempt_failed(a, err == ECONNRESET ? SG_FAIL_RESET : SG_FAIL_CLOSED, err);
}

bool sg_attempt_took_status(struct sg_attempt *a, uint16_t status)
{
	const struct sg_retry *r = a->route->eff_retry;

	judge(a, status);
	try_over(a);
	if (r && sg_retry_on_status(r, status) && may_retry(a)) {
		retry(a);
		return true;
	}
	a->answered = true;
	a->request_at = a->try_at = 0;
	return false;
}

uint64_t sg_attempt_due(const struct sg_attempt *a)
{
	uint64_t due = 0, cand[] = { a->request_at, a->try_at, a->connect_at, a->backoff_at };

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (cand[i] && (!due || cand[i] < due))
			due = cand[i];
	return due;
}

bool sg_attempt_expire(struct sg_attempt *a, uint64_t t)
{
	if (a->request_at && t >= a->request_at) {
		count(a, SG_STAT_TIMEOUT_REQUEST);
		judge(a, 0);
		try_over(a);
		sg_stats_failure(a->stats, SG_FAIL_REQUEST_TIMEOUT);
		give_up(a, SG_FAIL_REQUEST_TIMEOUT, 0);
		return true;
	}
	if (a->connect_at && t >= a->connect_at) {
		a->connect_at = 0;
		count(a, SG_STAT_TIMEOUT_CONNECT);
		sg_attempt_failed(a, SG_FAIL_CONNECT_TIMEOUT, ETIMEDOUT);
		return true;
	}
	if (a->try_at && t >= a->try_at) {
		a->try_at = 0;
		count(a, SG_STAT_TIMEOUT_BACKEND);
		sg_attempt_failed(a, SG_FAIL_ATTEMPT_TIMEOUT, ETIMEDOUT);
		return true;
	}
	if (a->backoff_at && t >= a->backoff_at) {
		sg_attempt_start(a);
		return true;
	}
	return false;
}
