/* One request's life, the same for HTTP/1 and HTTP/2 clients: the steps
 * from a complete head to the access log line (see request.h for the
 * phases). The frontends give the protocol's side through the sink. */
#include "user/core/request.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config/accesslog.h"
#include "policy/pathnorm.h"
#include "policy/route.h"
#include "policy/session.h"
#include "user/base/log.h"
#include "user/core/authzcall.h"
#include "user/core/lb.h"
#include "user/core/mcpauthn.h"
#include "user/core/reqheld.h"
#include "user/core/oidcflow.h"
#include "user/core/rlcall.h"
#include "user/core/tokenx.h"
#include "user/core/trace.h"

static uint64_t now(const struct sg_request *r)
{
	return sg_loop_now(r->ctx->loop);
}

static void delay_over(struct sg_loop *loop, struct sg_timer *t);

void sg_request_init(struct sg_request *r, const struct sg_request_sink *sink, void *owner,
		     struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip,
		     uint16_t port, int sock, const struct sg_attempt_ops *ops)
{
	r->sink = sink;
	r->owner = owner;
	r->ctx = ctx;
	r->bind = bind;
	r->ip = ip;
	r->port = port;
	r->sock = sock;
	r->logged = true; /* nothing to log before a first head */
	sg_attempt_init(&r->at, ops, owner, ctx->loop, ctx->pool, ctx->h2pool, ctx->stats,
			&ctx->rng);
	sg_authn_init(&r->authn, &ctx->jwt_cache);
	sg_timer_init(&r->delay, delay_over, r);
}

void sg_request_input(struct sg_request *r, struct sg_filter_input *in)
{
	sg_filter_input_init(in, r->req, r->match, r->bind);
	in->client_ip = r->ip;
	in->client_port = r->port;
	in->sock = r->sock;
	in->frontend = r->ctx;
	in->start_ns = r->at.begun_ns;
	in->listener = r->listener;
	in->route = r->gw_authz ? NULL : r->at.route; /* the gateway phase has none */
	in->backend = r->at.backend;
	in->authn = &r->authn;
	in->tls = r->tls;
	in->body = r->body;
	in->has_body = r->body_held;
}

const struct sg_bind *sg_request_follow_config(const struct sg_frontend *ctx,
					       const struct sg_cfg *have,
					       const struct sg_bind *bind)
{
	const struct sg_cfg *now = ctx->cfg;

	if (now == have)
		return NULL;
	for (size_t i = 0; i < now->nbinds; i++)
		if (now->binds[i].port == bind->port && now->binds[i].proto == bind->proto)
			return &now->binds[i];
	return NULL;
}

static void count(struct sg_request *r, uint16_t status)
{
	r->status = status;
	sg_stats_request(r->ctx->stats, r->listener ? r->listener->key : r->bind->key,
			 r->at.route ? r->at.route->key : "", status);
}

static bool grpc(const struct sg_request *r)
{
	const struct sg_h1_span *ct = r->req ? sg_h1_header(r->req, "content-type") : NULL;

	return ct && sg_grpc_request(ct->p, ct->len);
}

/* Copies of the request, as the filters so far left it, to `mirrors`. */
static void mirror(struct sg_request *r, const struct sg_mirrors *mirrors)
{
	struct sg_h1_edit edit;
	struct sg_mirror_request m = {
		.req = r->req,
		.edit = &edit,
		.client_ip = r->ip,
	};

	if (!mirrors->n)
		return;
	r->sink->held_body(r, &m);
	sg_filter_request_edit(&r->plan, &edit);
	sg_mirroring_send(r->ctx->mirroring, mirrors, &m, &r->ctx->rng);
}

/* ---- answers the gateway makes ------------------------------------------ */

/* The token a try's exchange gave, wiped. */
static void forget_token(struct sg_request *r)
{
	if (r->tx_token)
		OPENSSL_cleanse(r->tx_token, strlen(r->tx_token));
	free(r->tx_token);
	r->tx_token = NULL;
}

/* The questions under way to policy services (extAuthz,
 * remoteRateLimit) stop, and so does the gateway's own service answering
 * r (MCP). */
static void stop_calls(struct sg_request *r)
{
	sg_extauthz_cancel(r->authz);
	r->authz = NULL;
	sg_oidc_exchange_cancel(r->oidc);
	r->oidc = NULL;
	sg_mcp_authn_cancel(r->mcp_call);
	r->mcp_call = NULL;
	sg_rlcall_cancel(r->rl);
	r->rl = NULL;
	sg_tokenx_cancel(r->tx);
	r->tx = NULL;
	forget_token(r);
	if (r->served) {
		r->ctx->mcp.cancel(r->served);
		r->served = NULL;
	}
}

/* Why r failed as kind: a route policy's refusal says why (jwtAuth), else
 * the attempt's cause. For the answer and the access log alike. */
static const char *fail_cause(const struct sg_request *r, enum sg_fail kind, int err)
{
	return r->plan.cause && kind == r->plan.refusal ? r->plan.cause
							: sg_attempt_cause(&r->at, kind, err);
}

/* The gateway's own answer, as the log and span see it and as the client
 * gets it. A 204 or a 304 has no content (RFC 9110 §15.3.5, §15.4.5):
 * a configured body is not sent, in either protocol (HTTP/1 would read it
 * as the next response, HTTP/2 calls it malformed). */
static void respond(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
		    const char *body, size_t len, bool text)
{
	if (status == 204 || status == 304) {
		body = "";
		len = 0;
		text = false;
	}
	sg_request_answer_seen(r, status, edit, body, len, text);
	r->sink->answer(r, status, edit, body, len, text);
}

void sg_request_fail(struct sg_request *r, enum sg_fail kind, int err)
{
	uint16_t status = sg_fail_status(kind);
	struct sg_grpc_failure g;
	struct sg_h1_edit edit;
	char body[256];
	const char *cause = fail_cause(r, kind, err);

	stop_calls(r); /* the services are not waited for any longer */
	sg_timer_stop(r->ctx->loop, &r->delay);
	sg_request_drop_held(r);
	sg_fail_body(kind, cause, body, sizeof(body));
	SG_DEBUG("%s: %u %s", r->ip, status, body);
	r->failed = true;
	r->fail_kind = kind;
	r->fail_err = err;
	sg_attempt_drop(&r->at);
	if (r->resp_started) {
		r->sink->cut(r);
		return;
	}
	if (grpc(r)) {
		sg_grpc_failure(kind, err, cause, r->plan.limits, &g, &edit);
		count(r, 200);
		respond(r, 200, &edit, NULL, 0, false);
		return;
	}
	sg_filter_response_edit(&r->plan, &edit);
	count(r, status);
	if (r->plan.refusal_body.p && kind == r->plan.refusal) {
		respond(r, status, &edit, r->plan.refusal_body.p, r->plan.refusal_body.len, false);
	} else {
		respond(r, status, &edit, body, strlen(body), true);
	}
}

/* A route filter's own answer (redirect, direct response, CORS
 * preflight): no backend sees the request. */
static void answer_plan(struct sg_request *r)
{
	struct sg_h1_edit edit;

	sg_attempt_drop(&r->at);
	sg_filter_response_edit(&r->plan, &edit);
	count(r, r->plan.status);
	respond(r, r->plan.status, &edit, r->plan.body.p, r->plan.body.len, false);
}

/* Go on after a filter plan: true to forward the request; false when the
 * plan answered it (or could not be made, and the request failed). */
static bool follow_plan(struct sg_request *r, enum sg_filter_result res)
{
	switch (res) {
	case SG_FILTER_FORWARD:
	case SG_FILTER_DEFER: /* sg_request_start makes its call */
		return true;
	case SG_FILTER_ANSWER:
		answer_plan(r);
		break;
	case SG_FILTER_FAILED:
		sg_request_fail(r, SG_FAIL_FILTER, 0);
		break;
	case SG_FILTER_REFUSED:
		sg_request_fail(r, r->plan.refusal, 0);
		break;
	case SG_FILTER_NOMEM:
		sg_request_fail(r, SG_FAIL_CONNECT, ENOMEM);
		break;
	}
	return false;
}

/* ---- the path -------------------------------------------------------------- */

/* The request's path made normal under its port's rules, before anything
 * reads it (routing, policies, rewrites, the backend): req->target then
 * points to the plan's copy, raw_target to what the client sent. False:
 * the path is refused, *why says how to answer. */
static bool normalise(struct sg_request *r, const struct sg_request_head *h, enum sg_fail *why)
{
	const struct sg_bind *b = h->bind;
	const struct sg_path_rules *rules =
		&(b->nlisteners ? b->listeners[0].fhttp : &h->cfg->default_fhttp)->path;
	struct sg_h1_span t = h->req->target;
	const char *q;
	size_t plen, n;
	char *out;

	r->raw_target = (struct sg_h1_span){ 0 };
	if (!t.len || t.p[0] != '/') /* "*", or CONNECT's authority */
		return true;
	q = memchr(t.p, '?', t.len);
	plen = q ? (size_t)(q - t.p) : t.len;
	if (!sg_pathnorm_needed(t.p, plen, rules))
		return true;
	out = sg_filter_plan_room(&r->plan, t.len);
	if (!out) {
		*why = SG_FAIL_CONNECT; /* answered 503 as any allocation failure */
		return false;
	}
	switch (sg_pathnorm(t.p, plen, rules, out, &n)) {
	case SG_PATHNORM_SAME:
		return true;
	case SG_PATHNORM_REJECT:
		*why = SG_FAIL_BAD_REQUEST;
		return false;
	case SG_PATHNORM_CHANGED:
		break;
	}
	memcpy(out + n, t.p + plen, t.len - plen);
	r->raw_target = t;
	h->req->target = (struct sg_h1_span){ out, n + t.len - plen };
	return true;
}

/* ---- the routed steps ---------------------------------------------------- */

/* Each step takes the routed request; false: it answered it (stop). */
typedef bool (*step_fn)(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route);

/* The request counts against its bind's maxConcurrentRequests from here
 * until sg_request_release; over the bound it is answered 503. */
static bool admit(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	r->held = sg_frontend_admit_request(r->ctx, r->bind);
	if (!r->held)
		sg_request_fail(r, SG_FAIL_OVERLOAD, 0);
	return r->held;
}

/* in over r as the plan's edits so far leave its header lines (those
 * extAuthz set or removed among them): what the policies after the
 * service read, as agentgateway's read the request it edited. *q is that
 * head, its lines in the plan's storage; out of memory: the head as it
 * came. */
static void after_authz(struct sg_request *r, struct sg_filter_input *in, struct sg_h1_req *q)
{
	size_t cap = r->req->nheaders + r->plan.route_request.nadd;
	struct sg_h1_header *lines = (struct sg_h1_header *)(void *)sg_filter_plan_room(
		&r->plan, (cap + 1) * sizeof(*lines));

	if (!lines)
		return;
	*q = *r->req;
	q->headers = lines;
	q->headers_cap = cap + 1;
	q->nheaders = sg_filter_plan_headers(&r->plan, r->req, lines, cap);
	in->req = q;
	in->ctx = q;
}

/* Whether r's listener asked its gateway phase's extAuthz about r. */
static bool gateway_asked(const struct sg_request *r)
{
	return r->listener && r->listener->gw_filters && r->listener->gw_filters->ext_authz;
}

/* Listener filters g (of its gateway phase) over r, which they see
 * without a route (after: those that follow its extAuthz). */
static bool plan_listener(struct sg_request *r, const struct sg_filters *g, bool after)
{
	struct sg_filter_input in;
	struct sg_h1_req q;

	sg_request_input(r, &in);
	in.route = NULL;
	if (after)
		after_authz(r, &in, &q);
	return follow_plan(r, sg_filter_plan_request(&r->plan, g, &in));
}

static bool watch_body(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route);

/* The listener's gateway-phase policies (PreRouting, a standalone
 * listener's own: CORS, oidc, authentication, authorization), before the
 * route is acted on: a request they refuse is refused whether a route
 * matches or not, as agentgateway runs them before it selects one. Route
 * matching is pure, so choosing the route first changes nothing these
 * policies see but `route` (absent for them). An OIDC callback holds r
 * for its exchange, and an extAuthz holds it to be asked when r starts
 * (the body held, watched meanwhile): the route's steps wait. */
static bool plan_gateway(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	const struct sg_filters *g = r->listener ? r->listener->gw_filters : NULL;

	if (!g)
		return true;
	if (!plan_listener(r, g, false))
		return false;
	if (r->authn.exchange) {
		r->gw_held = true;
	} else if (g->ext_authz) {
		r->gw_held = r->gw_authz = true;
		r->no_route = no_route;
		watch_body(r, route, no_route);
	}
	return true;
}

/* The listener's authorization rules that wait for its extAuthz's
 * verdict (agentgateway asks the service before it reads them). */
static bool plan_gateway_after(struct sg_request *r, const struct sg_route *route,
			       enum sg_fail no_route)
{
	const struct sg_filters *g = r->listener ? r->listener->gw_after : NULL;

	return !g || plan_listener(r, g, true);
}

static bool have_route(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	if (!route)
		sg_request_fail(r, no_route, 0);
	return route != NULL;
}

/* The most of a body r's listener holds: its maxBufferSize. */
size_t sg_request_buffer_max(const struct sg_request *r)
{
	const struct sg_frontend_http *fh =
		r->listener ? r->listener->fhttp : &r->cfg->default_fhttp;

	return fh->max_buffer_size > 0 ? (size_t)fh->max_buffer_size : SG_REQUEST_BODY_MAX;
}

bool sg_request_hold_bytes(struct sg_request *r, uint64_t bytes, unsigned *kib)
{
	uint64_t n = (bytes + 1023) / 1024,
		 max = (uint64_t)r->ctx->held_max * ((sg_request_buffer_max(r) + 1023) / 1024);

	if (!n || !r->ctx->held || !r->ctx->held_max) /* no bound: nothing counted */
		return true;
	if (max > UINT_MAX)
		max = UINT_MAX;
	if (n > max || !sg_srclimit_take_n(r->ctx->held, r->ip, (unsigned)n, (unsigned)max))
		return false;
	*kib += (unsigned)n;
	return true;
}

/* r's part of its address's held bodies given back (none: nothing). */
static void unhold_body(struct sg_request *r)
{
	if (r->body_kib + r->resp_kib)
		sg_srclimit_release_n(r->ctx->held, r->ip, r->body_kib + r->resp_kib);
	r->body_kib = r->resp_kib = 0;
}

/* A route that reads the body holds it whole, up to the listener's
 * maxBufferSize: a larger declared length is answered 413 now (one that
 * declares none is bounded as it comes, by the frontend); its filters
 * wait for it (held_plan). With --held-bodies-per-source N, the bodies
 * one address has held at once stay within N maxBufferSizes, each counted from here
 * at its declared length (else maxBufferSize): past that, 503 now, so
 * that one client's many connections cannot hold the gateway's memory
 * (each holds maxBufferSize; an HTTP/2 connection four). */
static bool hold_body(struct sg_request *r)
{
	r->body_wanted = true;
	r->body_max = sg_request_buffer_max(r);
	if (r->req->content_length > (int64_t)r->body_max) {
		sg_request_fail(r, SG_FAIL_BODY_TOO_LARGE, 0);
		return false;
	}
	if (!sg_request_hold_bytes(
		    r, r->req->content_length >= 0 ? (uint64_t)r->req->content_length : r->body_max,
		    &r->body_kib)) {
		sg_request_fail(r, SG_FAIL_BODIES_HELD, 0);
		return false;
	}
	r->at.replayable = true;
	return true;
}

/* Whether r's access log line or its sampled span's attributes read
 * request.body (its route says they may: SG_ROUTE_LOG_REQ_BODY). */
static bool log_reads_req_body(const struct sg_request *r, const struct sg_route *route)
{
	const struct sg_log_policy *t;

	if (!(route->defer & SG_ROUTE_LOG_REQ_BODY))
		return false; /* every route whose log reads no body: one test */
	t = sg_trace_fields(r->trace);
	return ((r->log_policy && sg_frontend_log_format(r->ctx, r->logging) != SG_ACCESS_LOG_OFF &&
		 sg_log_policy_reads(r->log_policy, SG_CEL_NEED_REQ_BODY)) ||
		(t && sg_log_policy_reads(t, SG_CEL_NEED_REQ_BODY)));
}

/* `part` of the route's filters over the request (and its body, once
 * held). */
static bool plan(struct sg_request *r, const struct sg_route *route, enum sg_filter_part part)
{
	struct sg_filter_input in;
	enum sg_filter_result res;
	struct sg_h1_req q;

	sg_request_input(r, &in);
	if (part == SG_FILTER_LATE || (part == SG_FILTER_ALL && gateway_asked(r)))
		after_authz(r, &in, &q);
	if (route->eff_filters.direct) /* its conditions' random() */
		in.seed = sg_route_random(&r->ctx->rng);
	res = sg_filter_plan_part(&r->plan, &route->eff_filters, &in, part);
	r->answer_pending = res == SG_FILTER_ANSWER && r->plan.direct && route->eff_filters.delay;
	return r->answer_pending || follow_plan(r, res);
}

/* The part of the route's filters a route with an extAuthz runs before
 * it (the rest follow its verdict, as agentgateway's do). */
static enum sg_filter_part first_part(const struct sg_route *route)
{
	return route->defer & SG_ROUTE_DEFER_AUTHZ ? SG_FILTER_EARLY : SG_FILTER_ALL;
}

/* The route's filters: CORS, local rate limits, CSRF, header and path
 * edits, redirects and direct responses; a route that reads the body has
 * them once it is whole, one with an extAuthz those after it once the
 * service answered. */
static bool plan_route(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	bool body = (route->defer & SG_ROUTE_DEFER_BODY) ||
		    ((route->defer & SG_ROUTE_LOG_REQ_BODY) && log_reads_req_body(r, route));

	if (!body && !(route->defer & SG_ROUTE_DEFER_AUTHZ))
		return plan(r, route, SG_FILTER_ALL);
	return body ? hold_body(r) : plan(r, route, SG_FILTER_EARLY);
}

/* Starts watching the body with the route's responseIdleTimeout, else
 * --body-idle-timeout. */
static bool watch_body(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	sg_dur d = route ? route->eff_timeout.response_idle : SG_DUR_UNSET;

	r->route_idle = d != SG_DUR_UNSET;
	sg_idle_start(&r->body_idle, r->route_idle ? sg_dur_to_ms_ceil(d) : r->ctx->body_idle_ms,
		      now(r), r->sink->progress(r));
	return true;
}

/* A listener with tracing: the request's trace begins (or not, as
 * sampled), first, so that every answer is in it. */
static bool trace(struct sg_request *r, const struct sg_route *route, enum sg_fail no_route)
{
	const struct sg_tracing *t = r->listener ? r->listener->tracing : NULL;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	bool exprs;

	if (!t || !r->ctx->tracer)
		return true;
	exprs = t->random_expr || t->client_expr; /* sampled by CEL: over the head */
	if (exprs) {
		sg_request_input(r, &in);
		sg_celreq_view_of(&v, &in, NULL);
	}
	r->trace = sg_trace_begin(r->ctx->tracer, t, r->req, exprs ? &v : NULL);
	return true;
}

/* In order; a new step (authentication, authorization) goes where its
 * answer belongs: after admission and routing, before the filters'. The
 * gateway phase (begin_steps) may hold the request; route_steps run
 * after it, at once or on its extAuthz's verdict. */
static const step_fn begin_steps[] = { trace, admit, plan_gateway };
static const step_fn route_steps[] = { plan_gateway_after, have_route, plan_route, watch_body };

/* steps[0..n) over r (routed to `route`) in order: false when one
 * answered it. */
static bool steps_run(const step_fn *steps, size_t n, struct sg_request *r,
		      const struct sg_route *route, enum sg_fail no_route)
{
	for (size_t i = 0; i < n; i++)
		if (!steps[i](r, route, no_route))
			return false;
	return true;
}

static bool route_steps_run(struct sg_request *r, const struct sg_route *route,
			    enum sg_fail no_route)
{
	return steps_run(route_steps, sizeof(route_steps) / sizeof(route_steps[0]), r, route,
			 no_route);
}

bool sg_request_begin(struct sg_request *r, const struct sg_request_head *h)
{
	const struct sg_route *route;
	enum sg_fail no_route;

	r->req = h->req;
	r->cfg = h->cfg;
	r->bind = h->bind;
	r->phase = SG_REQUEST_HEAD;
	r->started = now(r);
	r->logged = r->route_mirrored = r->mirrored = r->resp_started = r->failed = false;
	r->gw_held = r->gw_authz = false;
	r->body_wanted = r->body_held = false;
	unhold_body(r);		 /* an earlier request's, never ended */
	sg_request_drop_held(r); /* ... and its response */
	r->status = 0;
	r->bytes_in = r->bytes_out = 0;
	if (r->mcp) { /* an earlier request's never logged */
		free(r->mcp);
		r->mcp = NULL;
	}
	r->a2a = SG_A2A_NONE;
	free(r->a2a_log);
	r->a2a_log = NULL;
	if (r->authn.jwt || r->authn.apikey || r->authn.basic_user || r->authn.exchange ||
	    r->authn.mcp_oauth || r->authn.extauthz)
		sg_authn_reset(&r->authn);
	r->engine = h->engine;
	r->is_head = h->req->method.len == 4 && !memcmp(h->req->method.p, "HEAD", 4);
	r->listener = NULL;
	r->match = NULL;
	r->logging = h->cfg->global.logging;
	route = normalise(r, h, &no_route)
			? sg_frontend_route(h->bind, h->req, h->sni_listener, &r->listener,
					    &r->match, &r->ctx->rng, &no_route)
			: NULL;
	sg_attempt_begin(&r->at, r->listener ? r->listener->key : h->bind->key, route,
			 h->replayable, &h->cfg->global);
	r->at.req = h->req;
	r->at.https = r->tls != NULL;
	r->at.idempotent =
		r->is_head || (h->req->method.len == 3 && !memcmp(h->req->method.p, "GET", 3));
	r->log_policy = r->listener ? r->listener->access : r->logging ? &r->logging->access : NULL;
	if (r->sink->routed)
		r->sink->routed(r);
	if (!steps_run(begin_steps, sizeof(begin_steps) / sizeof(begin_steps[0]), r, route,
		       no_route))
		return false;
	return r->gw_held || route_steps_run(r, route, no_route);
}

/* ---- tries ----------------------------------------------------------------- */

/* The route's retry precondition (CEL over the request, as agentgateway's
 * reads it before the first try): false leaves the request one try. */
static void retry_precondition(struct sg_request *r)
{
	const struct sg_retry *p = r->at.route->eff_retry;
	struct sg_filter_input in;
	struct sg_celreq_view v;

	if (!p || !p->precondition)
		return;
	sg_request_input(r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	r->at.no_retry = !sg_celreq_true(p->precondition, &v);
}

/* ---- session persistence ------------------------------------------------- */

/* The wall clock in ms: a session's times must mean the same after a
 * restart and on another host. */
static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The session r names under s (its header, or its cookie in any Cookie
 * field: HTTP/2 sends them apart) into r->session, and its endpoint for the
 * first try; id 0 when it names none, or one that is not well formed or
 * has expired. */
static void read_session(struct sg_request *r, const struct sg_session *s)
{
	const struct sg_h1_req *q = r->req;
	const char *v = NULL;
	size_t len = 0;

	for (size_t i = 0; i < q->nheaders && !v; i++) {
		const struct sg_h1_header *h = &q->headers[i];

		if (s->kind == SG_SESSION_HEADER && sg_h1_span_is(h->name, s->name)) {
			v = h->value.p;
			len = h->value.len;
		} else if (s->kind == SG_SESSION_COOKIE && sg_h1_span_is(h->name, "cookie") &&
			   !sg_session_cookie(h->value.p, h->value.len, s->name, &v, &len)) {
			v = NULL;
		}
	}
	if (!v || !sg_session_parse(v, len, &r->session) ||
	    !sg_session_live(s, &r->session, wall_ms()))
		r->session.id = 0;
	r->at.session = r->session.id;
}

/* The response names the endpoint that served it: a new session when the
 * request named another (or none), the request's renewed when its route
 * has an idleTimeout (which counts from each response); else the head is
 * left alone. */
static void give_session(struct sg_request *r, const struct sg_session *s)
{
	struct sg_session_token t = r->session;
	char val[SG_SESSION_VALUE_MAX], line[SG_SESSION_COOKIE_MAX];
	uint64_t id, now;
	size_t len;
	ssize_t n;
	int rc;

	if (!r->at.backend || !r->at.ep)
		return;
	id = sg_session_id(r->at.backend, r->at.ep);
	if (t.id == id && !(s->idle > 0))
		return;
	now = wall_ms();
	if (t.id != id)
		t = (struct sg_session_token){ .id = id, .issued = now };
	/* A session issued by a host whose clock runs ahead keeps its order. */
	t.seen = t.issued > now ? t.issued : now;
	len = sg_session_format(&t, val);
	if (s->kind == SG_SESSION_HEADER) {
		rc = sg_filter_response_add(
			&r->plan, (struct sg_h1_span){ s->name, strlen(s->name) }, val, len);
	} else {
		n = sg_session_set_cookie(s, val, len, r->tls != NULL, line, sizeof(line));
		rc = n < 0 ? -ENOMEM
			   : sg_filter_response_add(&r->plan,
						    (struct sg_h1_span){ "set-cookie", 10 }, line,
						    (size_t)n);
	}
	if (rc < 0)
		SG_DEBUG("%s: session persistence: out of memory, the response names no session",
			 r->ip);
}

/* Whether the head's content type is JSON (agentgateway's
 * WellKnownContentTypes::Json: application/json, or a +json type). */
bool sg_request_json_type(const char *v, size_t len)
{
	const char *semi = v ? memchr(v, ';', len) : NULL;

	if (!v)
		return false;
	if (semi)
		len = (size_t)(semi - v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	return (len == 16 && !strncasecmp(v, "application/json", 16)) ||
	       (len > 5 && !strncasecmp(v + len - 5, "+json", 5));
}

/* What r is on its a2a route: an agent card's GET (by the path its
 * backend gets), or a call, whose JSON-RPC method its held body names. */
static void a2a_classify(struct sg_request *r)
{
	struct sg_h1_span t = r->plan.target.p ? r->plan.target : r->req->target;
	const char *q = memchr(t.p, '?', t.len);
	const struct sg_h1_span *ct = sg_h1_header(r->req, "content-type");

	r->a2a = sg_a2a_classify(r->req->method.p, r->req->method.len, t.p,
				 q ? (size_t)(q - t.p) : t.len);
	if (r->a2a != SG_A2A_CALL || r->a2a_log || !(r->a2a_log = calloc(1, sizeof(*r->a2a_log))))
		return;
	if (ct && sg_request_json_type(ct->p, ct->len) && r->body_held)
		sg_a2a_method(r->body.p, r->body.len, r->a2a_log);
	else
		snprintf(r->a2a_log->method, sizeof(r->a2a_log->method), "unknown");
}

/* The first try, with the route's mirrors first (once); a route to the
 * gateway's own MCP service hands the request to it instead. */
static void start_tries(struct sg_request *r)
{
	const struct sg_brefs *b = &r->at.route->backends;

	if (!r->route_mirrored) {
		r->route_mirrored = true;
		mirror(r, &r->at.route->eff_filters.mirrors);
	}
	if (b->n && b->v[0].kind == SG_BREF_MCP) {
		if (r->ctx->mcp.serve)
			r->served = r->ctx->mcp.serve(r->ctx->mcp.arg, r);
		else
			sg_request_fail(r, SG_FAIL_NO_BACKEND, 0);
		return;
	}
	if (r->at.route->eff_filters.a2a)
		a2a_classify(r);
	retry_precondition(r);
	r->at.session = 0;
	if (r->at.route->session)
		read_session(r, r->at.route->session);
	sg_attempt_start(&r->at);
}

/* After the delay: the route's pending directResponse, or the first try. */
static void delayed(struct sg_request *r)
{
	if (r->answer_pending) {
		r->answer_pending = false;
		answer_plan(r);
		return;
	}
	start_tries(r);
}

static void delay_over(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_request *r = t->data;

	(void)loop;
	delayed(r);
	r->sink->failed(r); /* the frontend refreshes its timer and I/O */
}

/* The route's delay, evaluated over the request: true when it is armed
 * (delay_over goes on); false: none, go on now. */
static bool delay(struct sg_request *r)
{
	const struct sg_delay *d = r->at.route->eff_filters.delay;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	uint64_t ms;

	if (!d)
		return false;
	sg_request_input(r, &in);
	in.seed = sg_route_random(&r->ctx->rng);
	sg_celreq_view_of(&v, &in, NULL);
	ms = sg_celreq_ms(d->duration, &v);
	if (!ms)
		return false;
	sg_timer_arm(r->ctx->loop, &r->delay, now(r) + ms);
	return true;
}

/* The route's delay, then its pending directResponse or the first try. */
static void after_rate(struct sg_request *r)
{
	if (!delay(r))
		delayed(r);
}

/* The route's remoteRateLimit is asked (its verdict goes on), else its
 * delay and the first try follow. */
static void check_rate(struct sg_request *r)
{
	const struct sg_remote_rl *l = r->at.route->eff_filters.remote_rl;

	if (l)
		r->rl = sg_rlcall_start(r, l);
	else
		after_rate(r);
}

/* The head's framing says the held body's length, n: its first
 * Content-Length or Transfer-Encoding becomes `content-length: n`, the
 * others go (a head with neither gets one, in its spare slot). */
static int reframe(struct sg_request *r, size_t n)
{
	struct sg_h1_req *q = r->req;
	char *digits = sg_filter_plan_room(&r->plan, 24);
	struct sg_h1_header line;
	bool put = false;
	size_t k = 0;

	if (!digits)
		return -ENOMEM;
	line = (struct sg_h1_header){ { "content-length", 14 },
				      { digits, (size_t)snprintf(digits, 24, "%zu", n) } };
	for (size_t i = 0; i < q->nheaders; i++) {
		bool framing = sg_h1_span_is(q->headers[i].name, "content-length") ||
			       sg_h1_span_is(q->headers[i].name, "transfer-encoding");

		if (framing && put)
			continue;
		q->headers[k++] = framing ? line : q->headers[i];
		put = put || framing;
	}
	if (!put && k == q->headers_cap)
		return -ENOMEM;
	if (!put)
		q->headers[k++] = line;
	q->nheaders = k;
	q->content_length = (int64_t)n;
	q->chunked = false;
	return 0;
}

/* The held request body copied to r->log_body when the log line or the
 * span reads it: the frontend's is gone by the time they are written. */
static void keep_body(struct sg_request *r)
{
	char *copy;

	if (!log_reads_req_body(r, r->at.route))
		return;
	copy = malloc(r->body.len ? r->body.len : 1);
	if (!copy) { /* its request.body is absent */
		SG_DEBUG("%s: request body for the log: out of memory", r->ip);
		return;
	}
	memcpy(copy, r->body.p, r->body.len);
	free(r->log_body);
	r->log_body = copy;
	r->log_body_len = r->body.len;
}

/* The body is whole: the route's filters run over it (CEL's
 * request.body), and the head's framing says the length of the body the
 * tries send. False: r was answered. */
static bool held_plan(struct sg_request *r)
{
	struct sg_mirror_request m = { 0 };
	struct sg_h1_span b;

	r->sink->held_body(r, &m);
	r->body = (struct sg_h1_span){ m.body ? m.body : "", m.body_len };
	r->body_held = true;
	keep_body(r);
	if (!plan(r, r->at.route, first_part(r->at.route)))
		return false;
	b = sg_request_body(r, r->body.p, r->body.len);
	/* a request that came with no body and gets none keeps its head */
	if (!b.len && r->req->content_length < 0 && !r->req->chunked)
		return true;
	if (r->req->content_length != (int64_t)b.len && reframe(r, b.len) < 0) {
		sg_request_fail(r, SG_FAIL_CONNECT, ENOMEM);
		return false;
	}
	return true;
}

/* The routed request's calls, once a body its filters read is whole
 * (held_plan): an OIDC callback's exchange (the listener's or the
 * route's), mcpAuthentication's, the route's extAuthz, else its rate
 * limit and first try. */
static void start_route(struct sg_request *r)
{
	const struct sg_ext_authz *x;

	if (r->body_wanted && !held_plan(r))
		return;
	if (r->authn.exchange) { /* an OIDC callback: its answer ends r */
		r->oidc = sg_oidc_exchange_start(r);
		return;
	}
	if (r->authn.mcp_oauth) { /* an authorization server's: its answer ends r */
		r->mcp_call = sg_mcp_authn_start(r);
		return;
	}
	x = r->at.route->eff_filters.ext_authz;
	if (x) { /* the service is asked first; its verdict goes on */
		r->authz = sg_extauthz_start(r, x);
		return;
	}
	check_rate(r);
}

void sg_request_start(struct sg_request *r)
{
	struct sg_extauthz *z;

	r->phase = SG_REQUEST_ATTEMPT;
	if (r->gw_authz) {
		/* A verdict given at once (a cached answer, failureMode)
		 * went on already, maybe to the route's own call: keep it. */
		z = sg_extauthz_start(r, r->listener->gw_filters->ext_authz);
		if (z)
			r->authz = z;
		return;
	}
	start_route(r);
}

void sg_request_authorized(struct sg_request *r)
{
	r->authz = NULL;
	if (r->gw_authz) { /* the listener's service: the route's steps follow */
		r->gw_authz = false;
		if (route_steps_run(r, r->at.route, r->no_route))
			start_route(r);
	} else if (plan(r, r->at.route, SG_FILTER_LATE)) { /* after the service, as agentgateway */
		check_rate(r);
	}
	r->sink->failed(r); /* the frontend refreshes its timer and I/O */
}

void sg_request_rate_checked(struct sg_request *r)
{
	r->rl = NULL;
	after_rate(r);
	r->sink->failed(r);
}

void sg_request_answer(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
		       const char *body, size_t len, bool text)
{
	r->authz = NULL;
	r->oidc = NULL;
	r->mcp_call = NULL;
	r->rl = NULL;
	r->served = NULL;
	sg_attempt_drop(&r->at);
	count(r, status);
	respond(r, status, edit, body, len, text);
	r->sink->failed(r);
}

void sg_request_denied(struct sg_request *r, enum sg_fail kind)
{
	r->authz = NULL;
	r->oidc = NULL;
	r->rl = NULL;
	sg_request_fail(r, kind, 0);
	r->sink->failed(r);
}

static struct sg_request *of_attempt(struct sg_attempt *a)
{
	return (struct sg_request *)((char *)a - offsetof(struct sg_request, at));
}

/* This try's client span opens (the last one's ends with why it was
 * retried: "retried: status 503", "retried: connect_refused"); the
 * backend gets its traceparent in place of the client's. */
static int traceparent(struct sg_request *r)
{
	char why[48];
	const char *tp;

	if (r->at.retried_status)
		snprintf(why, sizeof(why), "retried: status %u", r->at.retried_status);
	else
		snprintf(why, sizeof(why), "retried: %s",
			 r->at.retried_why ? r->at.retried_why : "unknown");
	tp = sg_trace_try(r->trace, r->at.n, r->at.endpoint, r->req->method.p, r->req->method.len,
			  r->at.retried_status, why);
	struct sg_header_kv set = { "traceparent", tp };
	const struct sg_hdrmod mod = { .set = { &set, 1, 1 } };

	return sg_header_edit_apply(&r->plan.request, &mod);
}

enum sg_attempt_prep sg_request_try_prepare(struct sg_attempt *a)
{
	struct sg_request *r = of_attempt(a);
	const struct sg_backend_auth *auth = sg_filter_backend_auth(r->at.route, a->backend);
	enum sg_attempt_prep res;

	if (r->tx) { /* a try timed out while it was asked */
		sg_tokenx_cancel(r->tx);
		r->tx = NULL;
	}
	if (r->tx_token)
		forget_token(r);
	if (!auth || auth->kind != SG_BACKEND_AUTH_TOKEN_EXCHANGE)
		return SG_ATTEMPT_GO;
	res = sg_tokenx_start(r, auth->exchange);
	if (res == SG_ATTEMPT_STOP)
		r->sink->failed(r);
	return res;
}

void sg_request_try_send(struct sg_attempt *a)
{
	struct sg_request *r = of_attempt(a);
	struct sg_filter_input in;

	sg_request_input(r, &in);
	in.exchanged = r->tx_token;
	in.backend_host = sg_filter_backend_host(a->backend);
	if (!follow_plan(r, sg_filter_plan_backend(&r->plan, sg_bref_filters(a->backend), &in)))
		return;
	if (r->trace && traceparent(r) < 0) {
		sg_request_fail(r, SG_FAIL_CONNECT, ENOMEM);
		return;
	}
	if (!r->mirrored) {
		r->mirrored = true;
		mirror(r, &sg_bref_filters(a->backend)->mirrors);
	}
	r->sink->send(r);
}

void sg_request_try_failed(struct sg_attempt *a, enum sg_fail kind, int err)
{
	struct sg_request *r = of_attempt(a);

	/* r outlives the answer even when it closed the connection: owners
	 * are freed from the loop's close queue. */
	sg_request_fail(r, kind, err);
	r->sink->failed(r);
}

/* ---- the response head ------------------------------------------------------ */

void sg_request_transform_response(struct sg_request *r, const struct sg_h1_resp *resp)
{
	const struct sg_transform *t = r->at.route ? r->at.route->eff_filters.transform : NULL;
	struct sg_filter_input in;

	if (r->at.route && r->at.route->session)
		give_session(r, r->at.route->session);
	if (!t || !r->req)
		return;
	sg_request_input(r, &in);
	if (r->held_resp) {
		sg_request_held_input(r->held_resp, &in);
	} else if (r->resp_prefix.p) { /* released past the bound */
		in.resp_body = r->resp_prefix;
		in.resp_prefix = true;
	} else if ((r->at.route->defer & SG_ROUTE_HOLD_RESP) &&
		   sg_request_bodyless(r, resp->status)) {
		sg_request_empty_body(&in);
	}
	if (sg_filter_transform_response(&r->plan, t, &in, resp) < 0)
		SG_DEBUG("%s: response transformation: out of memory, the head goes as it came",
			 r->ip);
}

bool sg_request_took_response(struct sg_request *r, const struct sg_h1_resp *resp)
{
	const struct sg_retry *p = r->at.route->eff_retry;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	bool wanted = false;

	if (p && p->condition && !sg_retry_on_status(p, resp->status)) {
		sg_request_input(r, &in);
		sg_celreq_view_of(&v, &in, resp);
		wanted = sg_celreq_true(p->condition, &v);
	}
	if (resp->status == 429 && r->at.lb_ep && r->at.backend && r->at.backend->eff_health) {
		r->at.retry_after = sg_lb_retry_after(resp, time(NULL));
		r->at.has_retry_after = r->at.retry_after != SG_DUR_UNSET;
	}
	return sg_attempt_took(&r->at, resp->status, wanted);
}

void sg_request_response_head(struct sg_request *r, const struct sg_h1_resp *resp,
			      const struct sg_h1_edit *edit)
{
	uint16_t status = resp->status;

	if (sg_request_log_reads_head(r)) { /* one flag test on a route whose log reads no head */
		const struct sg_request_resp *h = r->held_resp;
		struct sg_h1_header length = { { "content-length", 14 }, { NULL, 0 } };
		char digits[24];

		/* a held response goes with its own Content-Length */
		if (h && resp == &h->out)
			length.value = (struct sg_h1_span){
				digits, (size_t)snprintf(digits, sizeof(digits), "%zu", h->sent)
			};
		sg_request_keep_head(r, status, &length, length.value.p ? 1 : 0, resp, edit);
	}
	count(r, status);
	if (r->trace)
		sg_trace_head(r->trace, status);
}

/* ---- the body watchdog ------------------------------------------------------ */

bool sg_request_body_stalled(struct sg_request *r, uint64_t t, bool uploading,
			     sg_idle_quiet_fn quiet, void *arg)
{
	bool flowing = r->phase == SG_REQUEST_BODY || r->phase == SG_REQUEST_RESPONSE || uploading;

	return r->body_idle.due && t >= r->body_idle.due &&
	       sg_idle_expired(&r->body_idle, t, r->sink->progress(r), flowing, quiet, arg);
}

void sg_request_body_timeout(struct sg_request *r)
{
	sg_stats_add(r->ctx->stats,
		     r->route_idle ? SG_STAT_TIMEOUT_RESPONSE_IDLE : SG_STAT_TIMEOUT_BODY, 1);
	SG_DEBUG("%s: no body byte moved for %" PRIu64 " ms (%s): request cut", r->ip,
		 r->body_idle.limit, r->route_idle ? "responseIdleTimeout" : "--body-idle-timeout");
	sg_idle_stop(&r->body_idle);
	sg_request_fail(r, SG_FAIL_BODY_TIMEOUT, 0);
}

/* ---- the end ---------------------------------------------------------------- */

/* What the log line read of the response's body is forgotten. */
static void forget_response(struct sg_request *r)
{
	if (!r->log_resp && !r->resp_bodyless && !r->log_head && !r->log_body)
		return; /* every request but a log's reader's */
	free(r->log_body);
	r->log_body = NULL;
	sg_request_free_held(r->log_resp);
	r->log_resp = NULL;
	sg_request_free_held(r->log_head);
	r->log_head = NULL;
	r->resp_bodyless = false;
}

/* The ended request as its access log and trace fields read it. */
static void ended_view(struct sg_request *r, struct sg_filter_input *in, struct sg_celreq_view *v)
{
	sg_request_input(r, in);
	/* request.body: the copy kept for the line (the frontend's is gone) */
	in->body = (struct sg_h1_span){ r->log_body ? r->log_body : "", r->log_body_len };
	in->has_body = r->log_body != NULL;
	if (r->log_resp)
		sg_request_held_input(r->log_resp, in);
	else if (r->resp_bodyless)
		sg_request_empty_body(in);
	/* response.headers: the head the client got, when kept (its status
	 * is r->status) */
	sg_celreq_view_of(v, in, r->log_head ? &r->log_head->head : NULL);
	v->status = r->status;
	v->version = r->sink->version;
	v->end_ns = sg_loop_now_ns(r->ctx->loop);
	v->mcp = r->mcp ? &r->mcp->cel : NULL;
}

/* The request's trace ends, its server span with its tracing fields
 * evaluated over the ended request. */
static void trace_end(struct sg_request *r, struct sg_access_entry *e)
{
	const struct sg_log_policy *p = sg_trace_fields(r->trace);
	struct sg_celreq_field added[SG_TRACE_MAX_FIELDS];
	size_t n = r->mcp ? sg_celreq_mcp_fields(&r->mcp->cel, added) : 0;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq c;
	bool keep;

	if (!p || !r->req) {
		sg_trace_end(r->trace, e, added, n, true);
		return;
	}
	ended_view(r, &in, &v);
	keep = sg_celreq_log_filter(&c, p, &v); /* no filter: true */
	if (keep)
		n += sg_celreq_log_fields(&c, p, added + n, SG_TRACE_POLICY_FIELDS);
	sg_trace_end(r->trace, e, added, n, keep);
	sg_celreq_end(&c);
}

/* The access log policy over the ended request: false when its filter
 * leaves the request out; else e's added fields (in l's memory). */
static bool log_policy(struct sg_request *r, struct sg_access_entry *e, struct sg_celreq *l,
		       struct sg_celreq_field *added, size_t cap)
{
	struct sg_filter_input in;
	struct sg_celreq_view v;

	ended_view(r, &in, &v);
	if (!sg_celreq_log_filter(l, r->log_policy, &v))
		return false;
	e->nadded = sg_celreq_log_fields(l, r->log_policy, added, cap);
	e->added = added;
	e->remove = &r->log_policy->remove;
	return true;
}

/* The client as agentgateway's src.addr shows it, a socket address
 * ("ip:port", "[ip]:port"), into buf; the address alone when its port is
 * not known, or when no line nor span will show it (the formatting is
 * about a thousand instructions, a tenth of a keep-alive request's). */
static const char *src_addr(const struct sg_request *r, enum sg_access_log format, char *buf,
			    size_t cap)
{
	if (!r->ip || !r->port || (format == SG_ACCESS_LOG_OFF && !r->trace))
		return r->ip;
	snprintf(buf, cap, strchr(r->ip, ':') ? "[%s]:%u" : "%s:%u", r->ip, r->port);
	return buf;
}

void sg_request_log(struct sg_request *r, uint64_t uncounted_in, uint64_t uncounted_out)
{
	enum sg_access_log format = sg_frontend_log_format(r->ctx, r->logging);
	const struct sg_h1_span *host = NULL;
	struct sg_celreq_field added[16];
	struct sg_celreq l;
	char error[256], src[64];
	struct sg_access_entry e;

	stop_calls(r); /* the request is over: so are its questions */
	sg_timer_stop(r->ctx->loop, &r->delay);
	sg_request_drop_held(r);
	if (r->logged || !r->started) {
		r->req = NULL;
		free(r->mcp);
		r->mcp = NULL;
		forget_response(r);
		return;
	}
	/* Only a line written shows the Host: none is, with the log off. */
	if (r->req && format != SG_ACCESS_LOG_OFF)
		host = sg_h1_header(r->req, "host");
	e = (struct sg_access_entry){
		.listener = r->listener ? r->listener->key : NULL,
		.route = r->at.route ? r->at.route->key : NULL,
		.endpoint = r->at.endpoint,
		.gw_ns = r->listener ? r->listener->gw_ns : NULL,
		.gw_name = r->listener ? r->listener->gw_name : NULL,
		.src = src_addr(r, format, src, sizeof(src)),
		.method = r->req ? r->req->method.p : NULL,
		.method_len = r->req ? r->req->method.len : 0,
		.target = r->raw_target.p ? r->raw_target.p
			  : r->req	  ? r->req->target.p
					  : NULL,
		.target_len = r->raw_target.p ? r->raw_target.len
			      : r->req	      ? r->req->target.len
					      : 0,
		.host = host ? host->p : NULL,
		.host_len = host ? host->len : 0,
		.version = r->sink->version,
		.minor = r->req ? r->req->minor : 1,
		.protocol = sg_proto_name(r->listener ? r->listener->proto : r->bind->proto),
		.status = r->status,
		.attempts = r->at.n + 1,
		.duration_ms = now(r) - r->started,
		.bytes_in = r->bytes_in + uncounted_in,
		.bytes_out = r->bytes_out + uncounted_out,
		.engine = r->engine,
		.at = &r->at,
		.format = format,
		.mcp = r->mcp ? &r->mcp->cel : NULL,
		.a2a = r->a2a_log,
	};
	if (r->failed) {
		e.reason = sg_fail_name(r->fail_kind);
		e.error = sg_fail_body(r->fail_kind, fail_cause(r, r->fail_kind, r->fail_err),
				       error, sizeof(error));
	}
	r->logged = true;
	if (r->mcp && r->mcp->metric_method)
		sg_stats_mcp(r->ctx->stats, e.listener, e.route, r->mcp->metric_method,
			     r->mcp->cel.kind, r->mcp->cel.target, r->mcp->cel.name);
	if (r->trace)
		trace_end(r, &e);
	if (r->log_policy && r->req && format != SG_ACCESS_LOG_OFF) {
		if (!log_policy(r, &e, &l, added, sizeof(added) / sizeof(added[0])))
			e.format = SG_ACCESS_LOG_OFF; /* filtered out: metrics only */
		sg_frontend_log(r->ctx, &e);
		sg_celreq_end(&l);
	} else {
		sg_frontend_log(r->ctx, &e);
	}
	sg_trace_free(r->trace);
	r->trace = NULL;
	r->req = NULL;
	free(r->mcp);
	r->mcp = NULL;
	forget_response(r);
}

void sg_request_release(struct sg_request *r)
{
	unhold_body(r);
	if (r->held)
		sg_admit_release(r->ctx->admit, SG_ADMIT_REQ, r->bind->port);
	r->held = false;
}

void sg_request_free(struct sg_request *r)
{
	unhold_body(r);
	sg_request_drop_held(r);
	forget_response(r);
	free(r->mcp);
	r->mcp = NULL;
	free(r->a2a_log);
	r->a2a_log = NULL;
	stop_calls(r);
	sg_trace_free(r->trace);
	r->trace = NULL;
	sg_timer_stop(r->ctx->loop, &r->delay);
	sg_attempt_end(&r->at);
	sg_filter_plan_reset(&r->plan);
	sg_authn_reset(&r->authn);
}
