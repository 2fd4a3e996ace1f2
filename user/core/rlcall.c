/* A route's remoteRateLimit asked about one request over gRPC, on the
 * worker's loop (the contract is rlcall.h). */
#include "user/core/rlcall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cel.h"
#include "config/duration.h"
#include "config/remoterl.h"
#include "config/utf8.h"
#include "user/base/base64url.h"
#include "user/base/buf.h"
#include "user/base/log.h"
#include "user/codec/h2.h"
#include "user/codec/pbwire.h"
#include "user/codec/rlspb.h"
#include "user/core/celreq.h"
#include "user/core/h2backend.h"
#include "user/core/request.h"
#include "user/core/svccall.h"

/* The most of the service's answer read. */
#define RLCALL_ANSWER_MAX (64 * 1024)
/* The service's connection is kept this long without a call. */
#define RLCALL_IDLE_MS 60000
/* The x-ratelimit-* lines, and the most lines an answer carries. */
#define RLCALL_LIMIT_LINES 3
#define RLCALL_LINES (SG_RLSPB_MAX_HEADERS + RLCALL_LIMIT_LINES)

static const char should_path[] = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

/* One question. Owned by its request (r->rl) until the verdict or a
 * cancel; then freed from the loop's close queue. */
struct sg_rlcall {
	struct sg_request *r;
	const struct sg_remote_rl *l;
	struct sg_loop *loop;
	unsigned *inflight; /* the worker's count, this call in it */
	struct sg_timer timer;
	struct sg_closing closing;
	bool over;
	struct sg_h2b_stream *h2;
	struct sg_h1_req req;
	struct sg_h1_header lines[4];
	char len_text[SG_H1_DIGITS_MAX];
	char *body; /* the RateLimitRequest, framed */
	size_t body_len, body_off;
	uint16_t status;
	int grpc_status; /* -1: none yet */
	struct sg_buf in;
};

static void free_call(struct sg_closing *cl)
{
	struct sg_rlcall *c =
		(struct sg_rlcall *)((char *)cl - offsetof(struct sg_rlcall, closing));

	sg_buf_free(&c->in);
	free(c->body);
	free(c);
}

static void stop(struct sg_rlcall *c)
{
	if (c->over)
		return;
	c->over = true;
	(*c->inflight)--;
	sg_timer_stop(c->loop, &c->timer);
	sg_h2b_close(c->h2);
	c->h2 = NULL;
	sg_loop_defer_close(c->loop, &c->closing, free_call);
}

void sg_rlcall_cancel(struct sg_rlcall *c)
{
	if (c)
		stop(c);
}

/* The service could not decide: the failure mode's verdict. */
static void undecided(struct sg_rlcall *c, const char *why)
{
	struct sg_request *r = c->r;

	SG_WARN("%s: remoteRateLimit %s (domain %s): %s; %s", r->ip, c->l->to.host, c->l->domain,
		why,
		c->l->fail_open ? "failOpen: the request passes"
				: "failClosed: the request is answered 500");
	stop(c);
	if (c->l->fail_open)
		sg_request_rate_checked(r);
	else
		sg_request_denied(r, SG_FAIL_RATE_LIMIT_FAILED);
}

/* The x-ratelimit-* lines of a's most constrained status into out (text
 * in the plan). Returns how many (0: no status named a limit), -ENOMEM. */
static int limit_lines(struct sg_filter_plan *p, const struct sg_rlspb_response *a,
		       struct sg_h1_header *out)
{
	static const char *const names[RLCALL_LIMIT_LINES] = { "x-ratelimit-limit",
							       "x-ratelimit-remaining",
							       "x-ratelimit-reset" };
	const uint64_t v[RLCALL_LIMIT_LINES] = { a->limit, a->remaining, a->reset_s };

	if (!a->has_limit)
		return 0;
	for (size_t i = 0; i < RLCALL_LIMIT_LINES; i++) {
		char tmp[SG_H1_DIGITS_MAX];
		const char *d = sg_h1_digits(tmp, v[i]);
		size_t n = (size_t)(tmp + SG_H1_DIGITS_MAX - d);
		const char *kept = sg_filter_plan_keep(p, d, n);

		if (!kept)
			return -ENOMEM;
		out[i] = (struct sg_h1_header){ { names[i], strlen(names[i]) }, { kept, n } };
	}
	return RLCALL_LIMIT_LINES;
}

/* The service's lines h[0..n) kept in the plan into out[*k..). */
static int keep_lines(struct sg_filter_plan *p, const struct sg_h1_header *h, size_t n,
		      struct sg_h1_header *out, size_t *k)
{
	for (size_t i = 0; i < n; i++) {
		const char *name, *value;

		if (sg_svc_owned(h[i].name))
			continue;
		name = sg_filter_plan_keep(p, h[i].name.p, h[i].name.len);
		value = name ? sg_filter_plan_keep(p, h[i].value.p, h[i].value.len) : NULL;
		if (!value)
			return -ENOMEM;
		out[(*k)++] =
			(struct sg_h1_header){ { name, h[i].name.len }, { value, h[i].value.len } };
	}
	return 0;
}

/* The answer's lines: the service's response headers, then the limit's. */
static int answer_lines(struct sg_filter_plan *p, const struct sg_rlspb_response *a,
			struct sg_h1_header *out, size_t *n)
{
	int k;

	*n = 0;
	if (keep_lines(p, a->response, a->nresponse, out, n) < 0)
		return -ENOMEM;
	k = limit_lines(p, a, out + *n);
	if (k < 0)
		return k;
	*n += (size_t)k;
	return 0;
}

static void over_limit(struct sg_rlcall *c, const struct sg_rlspb_response *a)
{
	struct sg_request *r = c->r;
	struct sg_h1_header lines[RLCALL_LINES];
	struct sg_h1_edit edit = { .add = lines };
	const char *body = a->body.len ? sg_filter_plan_keep(&r->plan, a->body.p, a->body.len) : "";
	int rc = answer_lines(&r->plan, a, lines, &edit.nadd);

	stop(c);
	if (rc < 0 || !body)
		sg_request_denied(r, SG_FAIL_CONNECT); /* 503, as any allocation failure */
	else
		sg_request_answer(r, 429, &edit, body, a->body.len, false);
}

static void allowed(struct sg_rlcall *c, const struct sg_rlspb_response *a)
{
	struct sg_request *r = c->r;
	struct sg_filter_plan *p = &r->plan;
	struct sg_h1_header lines[RLCALL_LINES];
	size_t n = 0;
	int rc = answer_lines(p, a, lines, &n);

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = sg_filter_plan_response_line(p, lines[i].name, lines[i].value);
	n = 0;
	if (rc == 0)
		rc = keep_lines(p, a->request, a->nrequest, lines, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = sg_filter_plan_request_line(p, lines[i].name, lines[i].value.p,
						 lines[i].value.len);
	stop(c);
	if (rc < 0)
		sg_request_denied(r, SG_FAIL_CONNECT);
	else
		sg_request_rate_checked(r);
}

static void verdict(struct sg_rlcall *c)
{
	struct sg_rlspb_response *a;
	const char *m;
	size_t n;

	if (c->status != 200 || c->grpc_status != 0) {
		undecided(c, c->status != 200 ? "the service answered HTTP, not gRPC"
					      : "the ShouldRateLimit call failed (grpc-status)");
		return;
	}
	a = malloc(sizeof(*a)); /* two header lists: too large for the stack */
	if (!a) {
		undecided(c, "out of memory");
		return;
	}
	if (sg_pbr_grpc_message(c->in.data + c->in.off, c->in.len, &m, &n) < 0 ||
	    sg_rlspb_response(m, n, a) < 0)
		undecided(c, "the RateLimitResponse is not one well-formed message");
	else if (a->code == SG_RLSPB_OVER_LIMIT)
		over_limit(c, a);
	else if (a->code == SG_RLSPB_OK)
		allowed(c, a);
	else
		undecided(c, "the RateLimitResponse's overall code is UNKNOWN");
	free(a);
}

/* ---- the exchange's callbacks ---------------------------------------------- */

static void x_ready(void *data)
{
	struct sg_rlcall *c = data;

	if (sg_h2b_send(c->h2, &c->req, NULL, NULL, 0, NULL, true) < 0)
		undecided(c, "the ShouldRateLimit call could not be sent");
}

static void x_failed(void *data, enum sg_xfail why, int err)
{
	struct sg_rlcall *c = data;
	char text[160];

	(void)why;
	snprintf(text, sizeof(text), "the rate limit service is unavailable: %s",
		 sg_fail_cause(err));
	undecided(c, text);
}

static void x_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct sg_rlcall *c = data;

	(void)end;
	if (resp->status < 200)
		return;
	c->status = resp->status;
	c->grpc_status = sg_svc_grpc_in_head(resp, c->grpc_status);
}

static void x_data(void *data, const char *p, size_t n)
{
	struct sg_rlcall *c = data;

	if (c->in.len + n > RLCALL_ANSWER_MAX || sg_buf_append(&c->in, p, n) < 0) {
		undecided(c, "the service's answer is over 64 KiB");
		return;
	}
	sg_h2b_consume(c->h2, n, 0);
}

static void x_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct sg_rlcall *c = data;

	if (c->over)
		return;
	if (err) {
		undecided(c, "the service's answer was cut");
		return;
	}
	c->grpc_status = sg_svc_grpc_in_trailers(t, n, c->grpc_status);
	verdict(c);
}

static ssize_t x_body(void *data, char *buf, size_t len, bool *eof)
{
	struct sg_rlcall *c = data;

	return sg_svc_body(c->body, c->body_len, &c->body_off, buf, len, eof);
}

static const struct sg_exchange_ops ops = {
	.ready = x_ready,
	.failed = x_failed,
	.head = x_head,
	.data = x_data,
	.end = x_end,
	.body = x_body,
};

static void on_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	(void)loop;
	undecided(t->data, "no answer within the timeout");
}

/* ---- the question ------------------------------------------------------------ */

/* An entry's value as agentgateway's as_str gives it, into *out (in the
 * run's memory or v's): a string as it is, an int, uint or bool as
 * string() writes it, bytes in base64. false for any other value, and for
 * a string that is not UTF-8 (a header's obs-text: agentgateway has no
 * string for it, and the service would refuse the whole call for one
 * such protobuf string, limits and all): the descriptor is left out. */
static bool entry_value(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_h1_span *out)
{
	char *b64;

	switch (v->type) {
	case SG_CEL_STRING:
	case SG_CEL_INT:
	case SG_CEL_UINT:
	case SG_CEL_BOOL:
		if (sg_cel_to_text(run, v, &out->p, &out->len) < 0)
			return false;
		return sg_utf8_span(out->p, out->len) == out->len;
	case SG_CEL_BYTES:
		if (!(b64 = sg_cel_alloc(run, (v->s.n + 2) / 3 * 4 + 1)))
			return false;
		out->len = sg_base64_encode_std((const uint8_t *)v->s.p, v->s.n, b64);
		out->p = b64;
		return true;
	default:
		return false;
	}
}

/* The descriptors evaluated over r into d[0..*nd), their entries in e
 * (values in the run's memory, until sg_celreq_end), then the message.
 * -E2BIG when an entry's expression passed its step or memory bound. */
static int compose(struct sg_rlcall *c)
{
	const struct sg_remote_rl *l = c->l;
	struct sg_request *r = c->r;
	struct sg_rlspb_entry e[SG_REMOTE_RL_MAX * SG_REMOTE_RL_MAX];
	struct sg_rlspb_descriptor d[SG_REMOTE_RL_MAX];
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq cr;
	size_t nd = 0, ne = 0;
	int rc;

	sg_request_input(r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	sg_celreq_begin(&cr, &v);
	for (size_t i = 0; i < l->nd; i++) {
		size_t first = ne;
		bool ok = true;

		for (size_t k = 0; ok && k < l->d[i].n && ne < SG_REMOTE_RL_MAX * SG_REMOTE_RL_MAX;
		     k++) {
			const struct sg_rl_entry *en = &l->d[i].entries[k];
			struct sg_cel_val val;

			cr.run.steps = 0; /* each expression its own evaluation */
			sg_cel_eval(en->value, &cr.run, &val);
			if (sg_cel_run_over(&cr.run)) {
				sg_celreq_end(&cr);
				return -E2BIG;
			}
			e[ne] = (struct sg_rlspb_entry){ { en->key, strlen(en->key) } };
			ok = entry_value(&cr.run, &val, &e[ne++].value);
		}
		if (!ok) {
			SG_DEBUG("%s: remoteRateLimit: descriptor %zu left out (an entry's value "
				 "has no text)",
				 r->ip, i);
			ne = first;
			continue;
		}
		d[nd++] = (struct sg_rlspb_descriptor){ e + first, ne - first };
	}
	rc = nd ? sg_rlspb_request(l->domain, d, nd, &c->body, &c->body_len) : 0;
	sg_celreq_end(&cr);
	return rc < 0 ? rc : (int)nd;
}

static void make_head(struct sg_rlcall *c)
{
	char tmp[SG_H1_DIGITS_MAX];
	const char *d = sg_h1_digits(tmp, c->body_len);
	size_t n = (size_t)(tmp + SG_H1_DIGITS_MAX - d);

	c->req = (struct sg_h1_req){ .headers = c->lines,
				     .headers_cap = 4,
				     .minor = 1,
				     .method = { "POST", 4 },
				     .target = { should_path, sizeof(should_path) - 1 },
				     .content_length = (int64_t)c->body_len,
				     .keep_alive = true };
	memcpy(c->len_text, d, n);
	c->lines[0] =
		(struct sg_h1_header){ { "host", 4 }, { c->l->to.host, strlen(c->l->to.host) } };
	c->lines[1] = (struct sg_h1_header){ { "content-type", 12 }, { "application/grpc", 16 } };
	c->lines[2] = (struct sg_h1_header){ { "te", 2 }, { "trailers", 8 } };
	c->lines[3] = (struct sg_h1_header){ { "content-length", 14 }, { c->len_text, n } };
	c->req.nheaders = 4;
}

struct sg_rlcall *sg_rlcall_start(struct sg_request *r, const struct sg_remote_rl *l)
{
	static const struct sg_keepalive ka; /* none: the calls are short */
	struct sg_rlcall *c = calloc(1, sizeof(*c));
	char key[SG_ENDPOINT_TEXT_SIZE];
	bool ready = false, reused;
	int rc, err = 0;

	if (!c) {
		sg_request_denied(r, SG_FAIL_CONNECT);
		return NULL;
	}
	c->r = r;
	c->l = l;
	c->loop = r->ctx->loop;
	c->inflight = &r->ctx->rl_calls;
	c->grpc_status = -1;
	(*c->inflight)++;
	sg_timer_init(&c->timer, on_timeout, c);
	rc = compose(c);
	if (rc == -E2BIG) {
		/* agentgateway, which has no such bound, would have asked with
		 * it: the service cannot be asked what it would be */
		undecided(c, "a descriptor's expression passed its bounds");
		return NULL;
	}
	if (rc <= 0) { /* nothing to ask: the request passes */
		stop(c);
		if (rc < 0)
			sg_request_denied(r, SG_FAIL_CONNECT);
		else
			sg_request_rate_checked(r);
		return NULL;
	}
	if (*c->inflight > SG_RLCALL_MAX_INFLIGHT) {
		undecided(c, "too many calls under way");
		return NULL;
	}
	if (l->to.unresolved) { /* its Service has no endpoint: no call can be made */
		undecided(c, "the rate limit service's Service has no endpoint");
		return NULL;
	}
	make_head(c);
	sg_timer_arm(c->loop, &c->timer, sg_loop_now(c->loop) + sg_dur_to_ms_ceil(l->timeout));
	snprintf(key, sizeof(key), "%s:%u", l->to.ep.addr, l->to.ep.port);
	c->h2 = sg_h2b_open(r->at.h2pool, &l->to.ep, key, &ka, RLCALL_IDLE_MS, &ops, c, &ready,
			    &reused, &err);
	if (!c->h2) {
		x_failed(c, SG_XFAIL_CONNECT, err);
		return NULL;
	}
	if (ready && sg_h2b_send(c->h2, &c->req, NULL, NULL, 0, NULL, true) < 0) {
		undecided(c, "the ShouldRateLimit call could not be sent");
		return NULL;
	}
	return c;
}
