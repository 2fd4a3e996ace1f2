/* A request's response held whole, and the heads and bodies its access
 * log and span read (reqheld.h). */
#include "user/core/reqheld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/route.h"
#include "user/base/log.h"
#include "user/core/trace.h"

static bool framing_field(struct sg_h1_span name)
{
	return sg_h1_span_is(name, "content-length") || sg_h1_span_is(name, "transfer-encoding");
}

/* A span of resp's copied to *p, which moves past it. */
static struct sg_h1_span copy_span(struct sg_h1_span s, char **p)
{
	struct sg_h1_span c = { *p, s.len };

	if (s.len)
		memcpy(*p, s.p, s.len);
	*p += s.len;
	return c;
}

/* resp copied into one allocation: the struct, its two header arrays and
 * their text. NULL: no memory. */
static struct sg_request_resp *held_new(const struct sg_h1_resp *resp)
{
	size_t n = resp->nheaders, text = resp->reason.len;
	struct sg_h1_header *all, *kept;
	struct sg_request_resp *h;
	char *p;

	for (size_t i = 0; i < n; i++)
		text += resp->headers[i].name.len + resp->headers[i].value.len;
	h = calloc(1, sizeof(*h) + 2 * n * sizeof(*all) + text + 1);
	if (!h)
		return NULL;
	all = (struct sg_h1_header *)(h + 1);
	kept = all + n;
	p = (char *)(kept + n);
	h->head = *resp;
	h->head.headers = all;
	h->head.headers_cap = n;
	if (resp->reason.p)
		h->head.reason = copy_span(resp->reason, &p);
	h->out = h->head;
	h->out.headers = kept;
	h->out.nheaders = 0;
	h->out.content_length = -1;
	h->out.chunked = false;
	for (size_t i = 0; i < n; i++) {
		all[i].name = copy_span(resp->headers[i].name, &p);
		all[i].value = copy_span(resp->headers[i].value, &p);
		if (!framing_field(all[i].name))
			kept[h->out.nheaders++] = all[i];
	}
	return h;
}

void sg_request_free_held(struct sg_request_resp *h)
{
	if (h)
		free(h->body);
	free(h);
}

/* A response held and not answered (r failed meanwhile, or is over). */
void sg_request_drop_held(struct sg_request *r)
{
	sg_request_free_held(r->held_resp);
	r->held_resp = NULL;
}

/* The held response h went to the client: its body is kept for the log
 * line when its route's log or span attributes read it (and r was not
 * logged meanwhile), else freed. */
static void keep_held(struct sg_request *r, struct sg_request_resp *h)
{
	if (!h->keep || r->logged) {
		sg_request_free_held(h);
		return;
	}
	sg_request_free_held(r->log_resp);
	r->log_resp = h;
}

static void retire_held(struct sg_request *r)
{
	struct sg_request_resp *h = r->held_resp;

	r->held_resp = NULL;
	keep_held(r, h);
}

/* Whether r's access log line or its sampled span's attributes read
 * response.body (its route says they may; SG_ROUTE_HOLD_LOG, _TRACE). */
static bool log_reads_body(const struct sg_request *r)
{
	unsigned d = r->at.route->defer;

	return ((d & SG_ROUTE_HOLD_LOG) && r->log_policy &&
		sg_frontend_log_format(r->ctx, r->logging) != SG_ACCESS_LOG_OFF) ||
	       ((d & SG_ROUTE_HOLD_TRACE) && sg_trace_fields(r->trace));
}

/* Whether r's access log line or its sampled span's attributes read
 * response.headers (its route says they may: SG_ROUTE_HEAD_LOG, _TRACE;
 * none: false). */
bool sg_request_log_reads_head(const struct sg_request *r)
{
	unsigned d = r->at.route ? r->at.route->defer : 0;

	return ((d & SG_ROUTE_HEAD_LOG) && r->log_policy &&
		sg_frontend_log_format(r->ctx, r->logging) != SG_ACCESS_LOG_OFF) ||
	       ((d & SG_ROUTE_HEAD_TRACE) && sg_trace_fields(r->trace));
}

/* The head the client got, kept in r->log_head for the log line's and
 * span's response.headers: `status`, the fields first[0..nfirst), resp's
 * fields (NULL: none) that the edit does not drop, then the edit's lines
 * as the frontends write them (sg_h1_edit_lines). */
void sg_request_keep_head(struct sg_request *r, uint16_t status, const struct sg_h1_header *first,
			  size_t nfirst, const struct sg_h1_resp *resp,
			  const struct sg_h1_edit *edit)
{
	size_t nresp = resp ? resp->nheaders : 0, nadd = sg_h1_edit_lines(edit, resp);
	struct sg_h1_header *v = malloc((nfirst + nresp + nadd + 1) * sizeof(*v));
	struct sg_h1_resp head = { .status = status, .content_length = -1 };
	size_t n = 0;

	if (!v) {
		SG_DEBUG("%s: response head for the log: out of memory", r->ip);
		return;
	}
	for (size_t i = 0; i < nfirst; i++)
		v[n++] = first[i];
	for (size_t i = 0; i < nresp; i++)
		if (!edit || !edit->drops ||
		    !edit->drops(edit->arg, resp->headers[i].name.p, resp->headers[i].name.len))
			v[n++] = resp->headers[i];
	for (size_t i = 0; i < nadd; i++)
		v[n++] = edit->add[i];
	head.headers = v;
	head.nheaders = n;
	head.headers_cap = n;
	sg_request_free_held(r->log_head);
	r->log_head = held_new(&head);
	free(v);
	if (!r->log_head)
		SG_DEBUG("%s: response head for the log: out of memory", r->ip);
}

/* The gateway's own answer (a direct response, a refusal, a failure):
 * its head and body are what the log line's and span's response.headers
 * and response.body read when they read them, as agentgateway's log reads
 * the answer it made (its head as sink->answer writes it: text/plain
 * unless the edit sets a content-type, the body's length, the edit). */
void sg_request_answer_seen(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
			    const char *body, size_t len, bool text)
{
	struct sg_request_resp *h;

	if (sg_request_log_reads_head(r)) {
		struct sg_h1_header first[2];
		char digits[24];
		size_t n = 0;

		if (text && !(edit && edit->drops && edit->drops(edit->arg, "content-type", 12)))
			first[n++] = (struct sg_h1_header){ { "content-type", 12 },
							    { "text/plain", 10 } };
		first[n++] = (struct sg_h1_header){
			{ "content-length", 14 },
			{ digits, (size_t)snprintf(digits, sizeof(digits), "%zu", len) }
		};
		sg_request_keep_head(r, status, first, n, NULL, edit);
	}
	if (!r->at.route || !(r->at.route->defer & (SG_ROUTE_HOLD_LOG | SG_ROUTE_HOLD_TRACE)) ||
	    !log_reads_body(r))
		return;
	if (r->is_head)
		len = 0;
	h = calloc(1, sizeof(*h));
	if (h && len && !(h->body = malloc(len))) {
		free(h);
		h = NULL;
	}
	if (!h) { /* its response.body is absent */
		SG_DEBUG("%s: response body for the log: out of memory", r->ip);
		return;
	}
	if (len)
		memcpy(h->body, body, len);
	h->len = len;
	h->keep = true;
	keep_held(r, h);
}

/* A response with no body (to a HEAD request, a 204, a 304): its
 * response.body is empty bytes, as agentgateway reads its empty body. */
bool sg_request_bodyless(const struct sg_request *r, uint16_t status)
{
	return r->is_head || status == 204 || status == 304;
}

/* An event stream (SSE: MCP's, an LLM's) never ends on its own time: the
 * access log and span attributes do not hold one (their response.body
 * is absent), so that it streams to the client as it comes. */
static bool event_stream(const struct sg_h1_resp *resp)
{
	const struct sg_h1_span *ct = sg_h1_resp_header(resp, "content-type");

	return ct && ct->len >= 17 && !strncasecmp(ct->p, "text/event-stream", 17);
}

void sg_request_empty_body(struct sg_filter_input *in)
{
	in->resp_body = (struct sg_h1_span){ "", 0 };
	in->has_resp_body = true;
	in->resp_prefix = false;
}

/* What CEL reads of the held body: response.body (and bodyPrefix), or
 * past the bound bodyPrefix alone. */
void sg_request_held_input(const struct sg_request_resp *h, struct sg_filter_input *in)
{
	in->resp_body = (struct sg_h1_span){ h->body ? h->body : "", h->len };
	in->has_resp_body = !h->over;
	in->resp_prefix = h->over;
}

bool sg_request_hold_response_slow(struct sg_request *r, const struct sg_h1_resp *resp)
{
	bool keep = log_reads_body(r);
	const struct sg_h1_span *ct;

	if (!keep && !r->a2a && !(r->at.route->defer & SG_ROUTE_DEFER_RESP_BODY))
		return false;
	if (resp->status < 200)
		return false;
	if (sg_request_bodyless(r, resp->status)) {
		r->resp_bodyless = keep;
		return false;
	}
	if (!(r->at.route->defer & SG_ROUTE_DEFER_RESP_BODY) && event_stream(resp))
		return false;
	/* an a2a call's answer is read when it is JSON (an event stream goes) */
	if (!(r->at.route->defer & SG_ROUTE_DEFER_RESP_BODY) && !keep && r->a2a == SG_A2A_CALL &&
	    (!(ct = sg_h1_resp_header(resp, "content-type")) ||
	     !sg_request_json_type(ct->p, ct->len)))
		return false;
	r->held_resp = held_new(resp);
	if (!r->held_resp) {
		SG_DEBUG("%s: response body: out of memory, the response goes as it came", r->ip);
		return false;
	}
	r->held_resp->max = sg_request_buffer_max(r);
	r->held_resp->keep = keep;
	if (!sg_request_hold_bytes(r,
				   resp->content_length >= 0 && (uint64_t)resp->content_length <
									r->held_resp->max
					   ? (uint64_t)resp->content_length
					   : r->held_resp->max,
				   &r->resp_kib)) {
		r->held_resp->max = 0;
		r->held_resp->refused = true;
	}
	return true;
}

/* Room in h->body for `need` bytes (at most h->max): 0 or -ENOMEM. */
static int held_room(struct sg_request_resp *h, size_t need)
{
	size_t cap = h->cap ? h->cap : 16384;
	char *more;

	if (need <= h->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > h->max)
		cap = h->max;
	more = realloc(h->body, cap);
	if (!more)
		return -ENOMEM;
	h->body = more;
	h->cap = cap;
	return 0;
}

/* Past the bound: the response goes as it came, through the frontend,
 * with its first max bytes; response.bodyPrefix reads them meanwhile. */
static void release_held(struct sg_request *r)
{
	struct sg_request_resp *h = r->held_resp;

	r->resp_prefix = (struct sg_h1_span){ h->body ? h->body : "", h->len };
	h->over = true;
	r->held_resp = NULL;
	r->sink->release(r, &h->head, r->resp_prefix.p, h->len);
	r->resp_prefix = (struct sg_h1_span){ 0 };
	keep_held(r, h);
}

/* A card the gateway cannot rewrite is never sent with the backend's
 * URLs in it: 503 "processing failed: WHY", as agentgateway fails it. */
static void a2a_card_fail(struct sg_request *r, const char *why)
{
	retire_held(r);
	r->plan.refusal = SG_FAIL_PROCESSING;
	r->plan.cause = sg_filter_plan_keep(&r->plan, why, strlen(why));
	sg_request_fail(r, SG_FAIL_PROCESSING, 0);
}

enum sg_request_held sg_request_response_data(struct sg_request *r, const char *p, size_t n,
					      const char **rest, size_t *nrest)
{
	const struct sg_transform *t = r->at.route->eff_filters.transform;
	struct sg_request_resp *h = r->held_resp;
	size_t take = n;

	*rest = NULL;
	*nrest = 0;
	if (h->over)
		return SG_REQUEST_HELD;
	if (take > h->max - h->len)
		take = h->max - h->len;
	if (take && held_room(h, h->len + take) < 0) {
		sg_request_fail(r, SG_FAIL_BAD_RESPONSE, ENOMEM);
		return SG_REQUEST_GONE;
	}
	if (take)
		memcpy(h->body + h->len, p, take);
	h->len += take;
	if (take == n)
		return SG_REQUEST_HELD;
	if (h->refused &&
	    ((r->at.route->defer & SG_ROUTE_DEFER_RESP_BODY) || r->a2a == SG_A2A_CARD)) {
		sg_request_fail(r, SG_FAIL_BODIES_HELD, 0);
		return SG_REQUEST_GONE;
	}
	/* agentgateway's response.body is absent past the bound: a body
	 * transformation still makes the body, else it goes as it came. */
	if (t && t->response.body) {
		h->over = true;
		return SG_REQUEST_HELD;
	}
	/* agentgateway reads a card within the bound or fails it (its JSON
	 * read stops there): the card cannot be rewritten, so it never goes. */
	if (r->a2a == SG_A2A_CARD) {
		a2a_card_fail(r, "agent card invalid JSON");
		return SG_REQUEST_GONE;
	}
	release_held(r);
	if (r->failed)
		return SG_REQUEST_GONE;
	*rest = p + take;
	*nrest = n - take;
	return SG_REQUEST_RELEASED;
}

enum sg_request_held sg_request_response_unhold(struct sg_request *r)
{
	if (r->at.route->defer & SG_ROUTE_DEFER_RESP_BODY) {
		sg_request_fail(r, SG_FAIL_BAD_RESPONSE, ENOBUFS);
		return SG_REQUEST_GONE;
	}
	if (r->a2a == SG_A2A_CARD) {
		a2a_card_fail(r, "agent card invalid JSON");
		return SG_REQUEST_GONE;
	}
	release_held(r);
	return r->failed ? SG_REQUEST_GONE : SG_REQUEST_RELEASED;
}

/* Where the client found the agent card: its scheme (sg_filter_scheme:
 * X-Forwarded-Proto's, else the listener's), Host and path without the card's suffix,
 * and its query (agentgateway's build_agent_path). malloc'd. */
static char *a2a_gateway(struct sg_request *r)
{
	struct sg_h1_span t = r->req->target, host = { "", 0 };
	const char *q = memchr(t.p, '?', t.len);
	size_t plen = q ? (size_t)(q - t.p) : t.len;
	char scheme[32];
	struct sg_filter_input in;
	char *out;

	sg_request_input(r, &in);
	host = in.host;
	sg_filter_scheme(&in, scheme, sizeof(scheme));
	out = malloc(strlen(scheme) + host.len + t.len + 8);
	if (out)
		sprintf(out, "%s://%.*s%.*s%.*s", scheme, (int)host.len, host.p,
			(int)sg_a2a_base_len(t.p, plen), t.p, q ? (int)(t.len - plen) : 0,
			q ? q : "");
	return out;
}

/* The held agent card goes out with its URLs the gateway's; one that
 * is no card fails r (agentgateway's 503). */
static void a2a_card(struct sg_request *r, const struct sg_h1_resp *out,
		     const struct sg_h1_edit *edit, struct sg_h1_span b)
{
	struct sg_h1_span t = r->plan.target.p ? r->plan.target : r->req->target;
	const char *q = memchr(t.p, '?', t.len), *why = "out of memory";
	char *gateway = a2a_gateway(r), *agent, *card = NULL;
	size_t alen = sg_a2a_base_len(t.p, q ? (size_t)(q - t.p) : t.len), clen = 0;
	int rc = -1;

	agent = malloc(alen + 1);
	if (gateway && agent) {
		memcpy(agent, t.p, alen);
		agent[alen] = '\0';
		rc = sg_a2a_card(b.p, b.len, gateway, agent, &card, &clen, &why);
	}
	free(gateway);
	free(agent);
	r->held_resp->sent = clen;
	if (rc == 0)
		r->sink->respond(r, out, edit, card, clen, NULL, 0);
	free(card);
	if (rc == 0)
		retire_held(r);
	else
		a2a_card_fail(r, why);
}

void sg_request_response_end(struct sg_request *r, int err, const struct sg_h2_field *t, size_t nt)
{
	struct sg_request_resp *h = r->held_resp;
	struct sg_h1_edit edit;
	struct sg_h1_span b;

	if (err) { /* nothing went to the client: the backend's failure is answered */
		sg_request_fail(r, SG_FAIL_CLOSED, err);
		return;
	}
	sg_request_transform_response(r, &h->head);
	sg_filter_response_edit(&r->plan, &edit);
	b = r->plan.resp_body_set ? r->plan.resp_new_body
				  : (struct sg_h1_span){ h->body ? h->body : "", h->len };
	if (r->a2a == SG_A2A_CALL && r->a2a_log)
		sg_a2a_answer(b.p, b.len, r->a2a_log);
	if (r->a2a == SG_A2A_CARD) {
		a2a_card(r, &h->out, &edit, b);
		return;
	}
	h->sent = b.len;
	r->sink->respond(r, &h->out, &edit, b.p, b.len, t, nt);
	retire_held(r);
}
