/* The attempt engine (user/core/attempt.h): the retry, deadline and endpoint
 * rules of a request, written once for every frontend. It never touches a
 * byte of the request: the owner writes and reads a->conn. */
#include "user/core/attempt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "config/duration.h"
#include "config/hostname.h"
#include "user/core/h1backend.h"
#include "user/core/lb.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/tls/tls.h"
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

	sg_dur fallback = a->has_retry_after ? a->retry_after : r ? r->backoff : SG_DUR_UNSET;

	a->has_retry_after = false; /* the next try's answer says its own */
	if (!a->lb_ep || a->lb_judged)
		return;
	a->lb_judged = true;
	sg_lb_judge(sg_pool_lb(a->pool), a->lb_ep, a->backend ? a->backend->eff_health : NULL,
		    fallback, status, a->try_ns ? now_ns(a) - a->try_ns : 0);
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

	return r && a->replayable && !a->answered && !a->no_retry && a->n < r->attempts;
}

/* Nothing but time or a connect is awaited: the owner refreshes its timer
 * (ops->wait). An HTTP/1 connection being made is watched here: its owner
 * never touches it before it takes it. */
static void waiting(struct sg_attempt *a)
{
	if (a->conn && !a->connected &&
	    sg_io_set(a->loop, &a->conn->io, sg_backend_connect_events(a->conn)) == -1) {
		sg_attempt_failed(a, SG_FAIL_CONNECT, errno);
		return;
	}
	if (a->ops->wait)
		a->ops->wait(a);
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
	a->no_retry = false;
	a->fed = NULL;
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
	a->retried_why = NULL;
	a->retried_status = 0;
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
	uint64_t end;

	if (!a->in_flight)
		return;
	end = sg_clock_ns();
	sg_stats_request_over(a->series, end > a->begun_ns ? end - a->begun_ns : 0, request_bytes,
			      response_bytes, a->n);
	leave(a);
}

/* Close the try's exchange and connection; it is not timed any more. */
static void close_try(struct sg_attempt *a)
{
	a->try_ns = a->connect_ns = 0;
	lb_done(a);
	sg_h1x_close(a->h1);
	a->h1 = NULL;
	sg_backend_close(a->conn);
	a->conn = NULL;
	sg_h2b_close(a->h2);
	a->h2 = NULL;
	a->connected = false;
}

void sg_attempt_drop(struct sg_attempt *a)
{
	bool had = a->conn || a->h2;

	close_try(a);
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
	if (a->h1) {
		reusable = reusable && sg_h1x_reusable(a->h1);
		sg_h1x_close(a->h1);
		a->h1 = NULL;
	}
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
	close_try(a);
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
	waiting(a);
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
	a->retried_why = "stale_connection";
	a->retried_status = 0;
	sg_attempt_drop(a);
	sg_attempt_start(a);
	return true;
}

/* ---- the exchange's callbacks (user/core/exchange.h): an HTTP/2 backend's
 * stream, or an HTTP/1 connection ------------------------------------------- */

static void x_ready(void *data)
{
	struct sg_attempt *a = data;

	a->connected = true;
	a->connect_at = 0;
	a->ops->send(a);
}

/* A try that failed in a way no retry mends: 503 invalid response. */
static void not_retried(struct sg_attempt *a, int err)
{
	judge(a, 0);
	try_over(a);
	sg_stats_failure(a->stats, SG_FAIL_BAD_RESPONSE);
	give_up(a, SG_FAIL_BAD_RESPONSE, err);
}

static void x_failed(void *data, enum sg_xfail why, int err)
{
	struct sg_attempt *a = data;

	switch (why) {
	case SG_XFAIL_CONNECT:
		sg_attempt_failed(a, SG_FAIL_CONNECT, err);
		return;
	case SG_XFAIL_TLS:
		if (a->h2)
			snprintf(a->tls_cause, sizeof(a->tls_cause), "%s", sg_h2b_tls_cause(a->h2));
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
		return;
	case SG_XFAIL_REFUSED:
		/* Not processed (RFC 9113 §8.7): sent again on another
		 * connection without counting as a try, up to
		 * SG_ATTEMPT_MAX_REFUSED times (backends that drain one
		 * connection after another can refuse a stream twice). */
		if (a->refused < SG_ATTEMPT_MAX_REFUSED && a->replayable && !a->answered) {
			a->refused++;
			a->tried = 0;
			a->retried_why = "refused_stream";
			a->retried_status = 0;
			sg_attempt_drop(a);
			sg_attempt_start(a);
			return;
		}
		sg_attempt_failed(a, SG_FAIL_RESET, err);
		return;
	case SG_XFAIL_UNSENT:
	case SG_XFAIL_WRITE:
		sg_attempt_write_failed(a, err, why == SG_XFAIL_WRITE);
		return;
	case SG_XFAIL_RESET:
		sg_attempt_read_failed(a, err);
		return;
	case SG_XFAIL_LOST:
		sg_attempt_lost(a, err);
		return;
	case SG_XFAIL_INVALID:
		sg_attempt_failed(a, SG_FAIL_BAD_RESPONSE, err);
		return;
	case SG_XFAIL_TOO_LARGE:
		SG_WARN("backend %s: response head over %zu KiB", a->endpoint,
			(size_t)SG_ATTEMPT_HEAD_MAX / 1024);
		not_retried(a, err);
		return;
	case SG_XFAIL_NOMEM:
		not_retried(a, err);
		return;
	}
}

static void x_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct sg_attempt *a = data;

	a->ops->head(a, resp, end);
}

static void x_data(void *data, const char *p, size_t n)
{
	struct sg_attempt *a = data;

	a->ops->data(a, p, n);
}

static void x_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct sg_attempt *a = data;

	a->ops->end(a, t, n, err);
}

static ssize_t x_body(void *data, char *buf, size_t len, bool *eof)
{
	struct sg_attempt *a = data;

	return a->ops->body(a, buf, len, eof);
}

static size_t x_trailers(void *data, const struct sg_h2_field **t)
{
	struct sg_attempt *a = data;

	return a->ops->trailers ? a->ops->trailers(a, t) : 0;
}

static bool x_room(void *data)
{
	struct sg_attempt *a = data;

	return !a->ops->room || a->ops->room(a);
}

static char *x_space(void *data, size_t want)
{
	struct sg_attempt *a = data;

	return a->ops->space ? a->ops->space(a, want) : NULL;
}

static void x_written(void *data)
{
	struct sg_attempt *a = data;

	a->ops->written(a);
}

static void x_writable(void *data)
{
	struct sg_attempt *a = data;

	a->ops->writable(a);
}

static bool x_early_eof(void *data)
{
	struct sg_attempt *a = data;

	return a->ops->early_eof && a->ops->early_eof(a);
}

static const struct sg_exchange_ops x_ops = {
	.ready = x_ready,
	.failed = x_failed,
	.head = x_head,
	.data = x_data,
	.end = x_end,
	.body = x_body,
	.trailers = x_trailers,
	.room = x_room,
	.space = x_space,
	.written = x_written,
	.writable = x_writable,
	.early_eof = x_early_eof,
};

/* The HTTP/1 connection is up: its exchange begins (in the owner's
 * storage when it keeps one free), and the owner sends. */
static void h1_ready(struct sg_attempt *a)
{
	struct sg_h1x *x = a->ops->h1x ? a->ops->h1x(a) : NULL;

	if (x && sg_h1x_init(x, a->loop, a->conn, &x_ops, a, SG_ATTEMPT_HEAD_MAX))
		a->h1 = x;
	else
		a->h1 = sg_h1x_new(a->loop, a->conn, &x_ops, a, SG_ATTEMPT_HEAD_MAX);
	if (!a->h1) {
		sg_attempt_failed(a, SG_FAIL_CONNECT, ENOMEM);
		return;
	}
	a->ops->send(a);
}

/* An HTTP/1 connection: its connect, then its exchange. */
static void on_h1_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_attempt *a = io->data;

	(void)loop;
	if (!a->conn || io != &a->conn->io)
		return;
	if (!a->connected)
		sg_attempt_connected(a);
	else
		sg_h1x_io(a->h1, revents);
	/* a is the owner's, whose memory outlives the loop's pass */
	if (a->ops->settle)
		a->ops->settle(a);
}

void sg_attempt_default_host(const struct sg_backend_ref *b, const struct sg_h1_req *req,
			     struct sg_h1_edit *edit)
{
	if (edit->host.p || !b || !b->eff_authority || sg_h1_header(req, "host"))
		return;
	edit->host = (struct sg_h1_span){ b->eff_authority, strlen(b->eff_authority) };
}

int sg_attempt_send(struct sg_attempt *a, const struct sg_h1_req *req,
		    const struct sg_h1_edit *edit, const char *client_ip, bool body)
{
	struct sg_h1_edit e = *edit;

	sg_attempt_default_host(a->backend, req, &e);
	if (a->h2)
		return sg_h2b_send(a->h2, req, &e, client_ip, a->n, NULL, body);
	if (a->h1)
		return sg_h1x_send(a->h1, req, &e, client_ip, a->n, body);
	return -ENOTCONN;
}

int sg_attempt_send_bytes(struct sg_attempt *a, const struct sg_h1_req *req,
			  const struct sg_h1_edit *edit, const char *client_ip, const char *extra,
			  const char *body, size_t body_len, bool body_given, bool tunnel)
{
	struct sg_h1_edit e = *edit;
	int rc;

	if (!a->h1)
		return -ENOTCONN;
	sg_attempt_default_host(a->backend, req, &e);
	rc = sg_h1backend_build(&a->h1->hx, req, &e, client_ip, a->n, extra, body, body_len);
	if (rc < 0)
		return rc;
	sg_h1x_send_bytes(a->h1, req, body_given, tunnel);
	return 0;
}

bool sg_attempt_offered(const struct sg_attempt *a)
{
	return sg_h1x_offering(a->h1);
}

char *sg_attempt_take(struct sg_attempt *a, size_t *n, enum sg_h1_body *body)
{
	char *p = sg_h1x_take(a->h1, n, body);

	sg_h1x_close(a->h1);
	a->h1 = NULL;
	a->conn->io.cb = a->ops->on_io;
	a->conn->io.data = a->owner;
	return p;
}

void sg_attempt_want_write(struct sg_attempt *a, bool want)
{
	sg_h1x_want_write(a->h1, want);
}

void sg_attempt_read_again(struct sg_attempt *a)
{
	if (a->h1 && a->connected)
		sg_h1x_io(a->h1, EPOLLIN);
}

void sg_attempt_resume(struct sg_attempt *a)
{
	if (a->h2)
		sg_h2b_resume(a->h2);
	else
		sg_h1x_resume(a->h1);
}

size_t sg_attempt_consume(struct sg_attempt *a, size_t n, size_t widen)
{
	if (a->fed) {
		a->fed(a, n);
		return 0;
	}
	if (a->h2)
		return sg_h2b_consume(a->h2, n, widen);
	sg_h1x_consume(a->h1);
	return 0;
}

static const char *tls_host(const struct sg_attempt *a);
static bool endpoint_key(struct sg_attempt *a, bool h2, char key[SG_POOL_KEY_SIZE],
			 struct sg_tls_client **tc);

static void start_h2(struct sg_attempt *a, const struct sg_endpoint *ep)
{
	uint64_t idle_ms = a->global ? ms(a->global->pool_idle_timeout) : 0;
	bool ready = false, reused = false;
	int err = 0;

	struct sg_tls_client *tc;
	char key[SG_POOL_KEY_SIZE];

	if (!endpoint_key(a, true, key, &tc))
		return;
	a->h2 = sg_h2b_open_tls(a->h2pool, ep, key, &a->backend->eff_keepalive, idle_ms, tc,
				tc ? tls_host(a) : NULL, &x_ops, a, &ready, &reused, &err);
	if (!a->h2) {
		sg_attempt_failed(a, SG_FAIL_CONNECT, err);
		return;
	}
	count(a, reused ? SG_STAT_POOL_REUSE : SG_STAT_BACKEND_CONNECTS);
	if (ready) {
		x_ready(a);
		return;
	}
	if (a->backend->eff_connect_timeout > 0)
		a->connect_at = now(a) + ms(a->backend->eff_connect_timeout);
	waiting(a);
}

const char *sg_attempt_cause(const struct sg_attempt *a, enum sg_fail kind, int err)
{
	return kind == SG_FAIL_TLS && a->tls_cause[0] ? a->tls_cause : sg_fail_cause(err);
}

/* The backend's TLS client context (per worker, by content; ALPN h2 when
 * h2); NULL after the try failed with SG_FAIL_TLS. key: the settings'
 * hash. */
static struct sg_tls_client *tls_client(struct sg_attempt *a, bool h2, uint64_t *key)
{
	struct sg_tls_client *tc = sg_pool_tls_client(a->pool, a->backend->eff_tls, h2, key,
						      a->tls_cause, sizeof(a->tls_cause));

	if (!tc)
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
	return tc;
}

/* "addr:port" of ep into out (cap bytes, cut short as snprintf would):
 * once per try, so without printf's format machinery. */
static void endpoint_text(char *out, size_t cap, const struct sg_endpoint *ep)
{
	char tmp[SG_H1_DIGITS_MAX];
	const char *port = sg_h1_digits(tmp, ep->port);
	size_t room = cap - 1, n = strnlen(ep->addr, room),
	       digits = (size_t)(tmp + sizeof(tmp) - port);

	memcpy(out, ep->addr, n);
	if (n < room)
		out[n++] = ':';
	if (digits > room - n)
		digits = room - n;
	memcpy(out + n, port, digits);
	out[n + digits] = '\0';
}

/* The pool key of this try's endpoint: "addr:port", and for a backend
 * spoken to over TLS "#" and its settings' hash (*tc its client context,
 * else NULL). False when that context could not be made (the try failed
 * with SG_FAIL_TLS). */
static bool endpoint_key(struct sg_attempt *a, bool h2, char key[SG_POOL_KEY_SIZE],
			 struct sg_tls_client **tc)
{
	uint64_t h;

	*tc = NULL;
	if (!a->backend->eff_tls) {
		_Static_assert(SG_POOL_KEY_SIZE >= sizeof(a->endpoint), "pool key too small");
		memcpy(key, a->endpoint, strlen(a->endpoint) + 1);
		return true;
	}
	if (!(*tc = tls_client(a, h2, &h)))
		return false;
	snprintf(key, SG_POOL_KEY_SIZE, "%s#%016llx", a->endpoint, (unsigned long long)h);
	return true;
}

static const char *tls_host(const struct sg_attempt *a)
{
	return sg_backend_tls_host(a->backend, a->ep);
}

/* One step of a->conn's TLS handshake: 1 done, 0 waiting (ops->wait), -1
 * the try failed. */
static int tls_step(struct sg_attempt *a)
{
	switch (sg_backend_tls_begin(a->conn, a->backend, a->ep, a->tls_cause,
				     sizeof(a->tls_cause))) {
	case 1:
		/* Offered h2 by the policy's alpn and chosen: an HTTP/1 try
		 * cannot speak it (agentgateway would switch to HTTP/2 here;
		 * splicegate makes a backend HTTP/2 by http.version only). */
		if (!sg_tls_h2(a->conn->tls))
			return 1;
		snprintf(a->tls_cause, sizeof(a->tls_cause),
			 "the backend chose h2 by ALPN, and this backend speaks HTTP/1.1 "
			 "(http.version: HTTP/2.0 makes it HTTP/2)");
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
		return -1;
	case 0:
		waiting(a);
		return 0;
	default:
		sg_attempt_failed(a, SG_FAIL_TLS, 0);
		return -1;
	}
}

/* A dynamic backend's endpoint: the request's Host (a host name or an
 * address, as a backend's host may be), at its port or the scheme's; NULL
 * when it has none. */
static const struct sg_endpoint *dynamic_ep(struct sg_attempt *a)
{
	const struct sg_h1_span *host = a->req ? sg_h1_header(a->req, "host") : NULL;
	const char *p = host ? host->p : NULL;
	size_t n = host ? host->len : 0, hlen = n ? sg_authority_host_len(p, n) : 0;
	unsigned long port = a->https ? 443 : 80;

	if (!hlen || !sg_host_addr_valid(p, hlen))
		return NULL;
	if (hlen < n) { /* ":port" */
		char *end;
		char digits[8];

		if (p[hlen] != ':' || n - hlen - 1 == 0 || n - hlen - 1 >= sizeof(digits))
			return NULL;
		memcpy(digits, p + hlen + 1, n - hlen - 1);
		digits[n - hlen - 1] = '\0';
		port = strtoul(digits, &end, 10);
		if (*end || !port || port > 65535)
			return NULL;
	}
	if (p[0] == '[') { /* the address without its brackets */
		p++;
		hlen -= 2;
	}
	if (hlen >= sizeof(a->dyn_host))
		return NULL;
	memcpy(a->dyn_host, p, hlen);
	a->dyn_host[hlen] = '\0';
	a->dyn_ep = (struct sg_endpoint){ .addr = a->dyn_host,
					  .port = (uint16_t)port,
					  .client_named = true };
	return &a->dyn_ep;
}

/* The try's endpoint: the one the request's session names, on its first
 * try, while it is there; else by weight and score. A request that drew
 * before (a->backend set) had its share of the weights. */
static bool pick(struct sg_attempt *a, struct sg_lb *lb, size_t *bi, size_t *ei)
{
	if (a->session && !a->n && sg_lb_pick_session(lb, &a->route->backends, a->session, bi, ei))
		return true;
	return sg_lb_pick(lb, &a->route->backends, sg_route_random(a->rng), a->tried,
			  a->backend != NULL, bi, ei);
}

void sg_attempt_start(struct sg_attempt *a)
{
	struct sg_lb *lb = a->pool ? sg_pool_lb(a->pool) : NULL;
	const struct sg_endpoint *ep;
	sg_dur per_try;
	size_t bi, ei;

	a->backoff_at = 0;
	a->tls_cause[0] = '\0';
	lb_done(a);
	if (!pick(a, lb, &bi, &ei)) {
		sg_stats_failure(a->stats, SG_FAIL_NO_BACKEND);
		give_up(a, SG_FAIL_NO_BACKEND, 0);
		return;
	}
	a->tried |= SG_ROUTE_TRIED_BIT(bi, ei);
	a->backend = &a->route->backends.v[bi];
	if (a->backend->kind == SG_BREF_DYNAMIC && !dynamic_ep(a)) {
		give_up(a, SG_FAIL_BAD_REQUEST, 0); /* no Host to go to */
		return;
	}
	ep = a->ep = a->backend->kind == SG_BREF_DYNAMIC ? &a->dyn_ep : &a->backend->eps[ei];
	endpoint_text(a->endpoint, sizeof(a->endpoint), ep);
	/* A dynamic endpoint is a new one each time: not scored. */
	a->lb_ep = lb && a->backend->kind != SG_BREF_DYNAMIC ? sg_lb_get(lb, ep) : NULL;
	a->lb_judged = false;
	if (a->lb_ep)
		sg_lb_begin(a->lb_ep);
	per_try = try_timeout(a);
	a->try_at = per_try > 0 ? now(a) + ms(per_try) : 0;
	a->try_ns = now_ns(a);
	switch (a->ops->prepare ? a->ops->prepare(a) : SG_ATTEMPT_GO) {
	case SG_ATTEMPT_GO:
		sg_attempt_go(a);
		return;
	case SG_ATTEMPT_HOLD:
		waiting(a);
		return;
	case SG_ATTEMPT_STOP:
		return;
	}
}

void sg_attempt_go(struct sg_attempt *a)
{
	const struct sg_endpoint *ep = a->ep;
	struct sg_backend_conn *u;
	int err = 0;
	char key[sizeof(u->key)];
	struct sg_tls_client *tc; /* for the key only: tls_step takes it at the handshake */

	if (a->backend->eff_h2 && a->h2pool) {
		start_h2(a, ep);
		return;
	}
	if (!endpoint_key(a, false, key, &tc))
		return;
	u = sg_pool_take(a->pool, key);
	if (u) {
		count(a, SG_STAT_POOL_REUSE);
	} else {
		count(a, SG_STAT_BACKEND_CONNECTS);
		a->connect_ns = now_ns(a);
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
	u->io.cb = on_h1_io;
	u->io.data = a;
	if (a->connected)
		h1_ready(a);
	else
		waiting(a);
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
	h1_ready(a);
}

/* A try that did not reach its backend (connect refused, a name that does
 * not resolve, a connect timeout, TLS): the operator can act on it, so at
 * warn, with its cause, but at most ATTEMPT_WARN_BURST such lines a second
 * per worker so that a dead backend taking every request cannot flood the
 * log. */
#define ATTEMPT_WARN_BURST 5
static void warn_unreached(struct sg_attempt *a, enum sg_fail kind, int err)
{
	unsigned held;
	char more[64] = "";

	if (kind != SG_FAIL_CONNECT && kind != SG_FAIL_CONNECT_TIMEOUT && kind != SG_FAIL_TLS)
		return;
	if (!sg_log_limit_take(sg_pool_warn_limit(a->pool), now(a), ATTEMPT_WARN_BURST, &held))
		return;
	if (held)
		snprintf(more, sizeof(more), " (and %u more since the last one logged)", held);
	SG_WARN("backend %s (route %s) not reached: %s: %s%s", a->endpoint[0] ? a->endpoint : "-",
		a->route ? a->route->key : "-", sg_fail_name(kind), sg_attempt_cause(a, kind, err),
		more);
}

void sg_attempt_failed(struct sg_attempt *a, enum sg_fail kind, int err)
{
	warn_unreached(a, kind, err);
	judge(a, 0);
	try_over(a);
	sg_stats_failure(a->stats, kind);
	if (!sg_fail_retryable(kind) || !may_retry(a)) {
		give_up(a, kind, err);
		return;
	}
	a->retried_why = sg_fail_name(kind);
	a->retried_status = 0;
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

void sg_attempt_lost(struct sg_attempt *a, int err)
{
	/* The keep-alive race: the backend closed an idle pooled connection
	 * as the request went out on it, and answered nothing; RFC 9110
	 * §9.2.2 lets an idempotent request be sent again. Such a close is a
	 * FIN, read as EOF, or as EPIPE when the backend's RST to the request
	 * came after its FIN (Linux, a reset in CLOSE_WAIT). A reset alone
	 * (ECONNRESET) is a backend that aborted holding the request: that
	 * was a try (e2e http-retry-reused-reset). */
	if ((err == 0 || err == EPIPE) && a->conn && a->conn->reused && a->idempotent &&
	    replay_uncounted(a))
		return;
	sg_attempt_read_failed(a, err);
}

void sg_attempt_read_failed(struct sg_attempt *a, int err)
{
	sg_attempt_failed(a, err == ECONNRESET ? SG_FAIL_RESET : SG_FAIL_CLOSED, err);
}

bool sg_attempt_took_status(struct sg_attempt *a, uint16_t status)
{
	return sg_attempt_took(a, status, false);
}

bool sg_attempt_took(struct sg_attempt *a, uint16_t status, bool wanted)
{
	const struct sg_retry *r = a->route->eff_retry;

	judge(a, status);
	try_over(a);
	if (r && (wanted || sg_retry_on_status(r, status)) && may_retry(a)) {
		a->retried_why = "status";
		a->retried_status = status;
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
