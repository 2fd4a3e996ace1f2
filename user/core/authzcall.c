/* A route's extAuthz asked about one request, over gRPC or HTTP/1.1, on
 * the worker's loop (the contract is extauthz.h). */
#include "user/core/authzcall.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/cel.h"
#include "config/duration.h"
#include "config/extauthz.h"
#include "user/auth/authzcache.h"
#include "user/auth/jwt.h"
#include "user/base/buf.h"
#include "user/base/json.h"
#include "user/base/log.h"
#include "user/base/net.h"
#include "user/codec/authzpb.h"
#include "user/codec/h2.h"
#include "user/codec/pbwire.h"
#include "user/core/backend.h"
#include "user/core/celreq.h"
#include "user/core/h1backend.h"
#include "user/core/h2backend.h"
#include "user/core/preface.h"
#include "user/core/request.h"
#include "user/core/svccall.h"

/* The most of the service's answer read (a CheckResponse, or an HTTP
 * denial's body) and of the header lines a request sends it. */
#define EXTAUTHZ_ANSWER_MAX (64 * 1024)
#define EXTAUTHZ_LINES 128
/* A service's connection is kept this long without a call; an HTTP
 * service's idle ones, at most EXTAUTHZ_IDLE_MAX per worker, in the
 * worker's pool under the service's endpoint and EXTAUTHZ_POOL_TAG. */
#define EXTAUTHZ_IDLE_MS 60000
#define EXTAUTHZ_IDLE_MAX 8
#define EXTAUTHZ_POOL_TAG "#authz"

static const char check_path[] = "/envoy.service.auth.v3.Authorization/Check";

/* One question. Owned by its request (r->authz) until the verdict or a
 * cancel; then freed from the loop's close queue. */
struct sg_extauthz {
	struct sg_request *r;
	const struct sg_ext_authz *x;
	struct sg_loop *loop;
	struct sg_timer timer;
	struct sg_closing closing;
	bool over;
	struct sg_h2b_stream *h2;  /* gRPC */
	struct sg_backend_conn *u; /* HTTP: its connection, and exchange */
	struct sg_h1x *h1;
	bool connected;
	bool retried; /* a kept connection the service had closed was replaced */
	/* What is sent: the check request's head (its header slots and the
	 * text they point into) and body. */
	struct sg_h1_req req;
	char *text;
	char *body;
	size_t body_len, body_off;
	/* What came back: the status, the head's lines (HTTP: kept in the
	 * request's plan), the body, gRPC's status. */
	uint16_t status;
	size_t nhead;
	int grpc_status; /* -1: none yet */
	struct sg_buf in;
	/* The cache's key for the request (malloc'd; NULL: not cached), and
	 * whether the answer came from the cache (not kept again). */
	char *key;
	size_t klen;
	bool replayed;
	struct sg_h1_span path; /* http.path's value (p NULL: the request's) */
	/* The header slots last, and not zeroed (8 KiB a call): each is
	 * written before it is read, up to req's and nhead's counts. */
	struct sg_h1_header lines[EXTAUTHZ_LINES];
	struct sg_h1_header head[EXTAUTHZ_LINES];
};

/* ---- the verdict ------------------------------------------------------------ */

static void free_call(struct sg_closing *cl)
{
	struct sg_extauthz *z =
		(struct sg_extauthz *)((char *)cl - offsetof(struct sg_extauthz, closing));

	sg_buf_free(&z->in);
	free(z->text);
	free(z->body);
	free(z->key);
	free(z);
}

/* The call stops: no callback of its exchange follows. */
static void stop(struct sg_extauthz *z)
{
	if (z->over)
		return;
	z->over = true;
	sg_timer_stop(z->loop, &z->timer);
	sg_h2b_close(z->h2);
	z->h2 = NULL;
	sg_h1x_close(z->h1);
	z->h1 = NULL;
	if (z->u)
		sg_backend_close(z->u);
	z->u = NULL;
	sg_loop_defer_close(z->loop, &z->closing, free_call);
}

void sg_extauthz_cancel(struct sg_extauthz *z)
{
	if (z)
		stop(z);
}

/* The service could not decide (why: for the log and denyWithStatus's
 * body): the failure mode's verdict. */
static void undecided(struct sg_extauthz *z, const char *why)
{
	struct sg_request *r = z->r;
	const struct sg_ext_authz *x = z->x;

	SG_DEBUG("%s: extAuthz %s: %s (failureMode %s)", r->ip, x->to.host, why,
		 x->failure == SG_EXT_AUTHZ_ALLOW ? "allow" : "deny");
	stop(z);
	switch (x->failure) {
	case SG_EXT_AUTHZ_ALLOW:
		sg_request_authorized(r);
		break;
	case SG_EXT_AUTHZ_STATUS: { /* agentgateway's words for a gRPC service */
		struct sg_h1_edit edit;

		if (!x->http)
			why = "Authorization service unavailable";
		/* the route's response filters, as on any answer of the gateway's */
		sg_filter_response_edit(&r->plan, &edit);
		sg_request_answer(r, x->deny_status, &edit, why, strlen(why), true);
		break;
	}
	case SG_EXT_AUTHZ_DENY:
		sg_request_denied(r, SG_FAIL_EXT_AUTHZ);
		break;
	}
}

/* name: value kept in the plan (both), as a span pair. */
static bool keep_line(struct sg_filter_plan *p, struct sg_h1_span name, struct sg_h1_span value,
		      struct sg_h1_header *out)
{
	const char *n = sg_filter_plan_keep(p, name.p, name.len);
	const char *v = n ? sg_filter_plan_keep(p, value.p, value.len) : NULL;

	if (!v)
		return false;
	*out = (struct sg_h1_header){ { n, name.len }, { v, value.len } };
	return true;
}

/* A line the request the backend gets has (append: beside any received
 * one of its name, else in its place). */
static int request_line(struct sg_filter_plan *p, struct sg_h1_span name, struct sg_h1_span value,
			bool append)
{
	const char *n = sg_filter_plan_keep(p, name.p, name.len);

	if (!n)
		return -ENOMEM;
	return append ? sg_filter_plan_request_add(p, (struct sg_h1_span){ n, name.len }, value.p,
						   value.len)
		      : sg_filter_plan_request_line(p, (struct sg_h1_span){ n, name.len }, value.p,
						    value.len);
}

/* c's dynamic_metadata, CEL's `extauthz` (agentgateway's
 * ExtAuthzDynamicMetadata: absent when empty), kept with r's
 * authentication. 0, -EBADMSG, -ENOMEM. */
static int keep_metadata(struct sg_request *r, const struct sg_authzpb_response *c)
{
	struct sg_json *m;
	int rc;

	if (!c->metadata.p)
		return 0;
	if ((rc = sg_authzpb_struct(c->metadata.p, c->metadata.len, &m)) < 0)
		return rc;
	sg_json_free(r->authn.extauthz);
	r->authn.extauthz = sg_json_first(m) ? m : NULL;
	if (!r->authn.extauthz)
		sg_json_free(m);
	return 0;
}

/* Allowed by gRPC's OkHttpResponse c: its edits go on the request and its
 * response. */
static void grpc_allowed(struct sg_extauthz *z, const struct sg_authzpb_response *c)
{
	struct sg_request *r = z->r;
	struct sg_filter_plan *p = &r->plan;
	struct sg_h1_header kept;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->nremove; i++)
		if (!sg_svc_owned(c->remove[i]))
			rc = request_line(p, c->remove[i], (struct sg_h1_span){ NULL, 0 }, false);
	for (size_t i = 0; rc == 0 && i < c->nheaders; i++)
		if (!sg_svc_owned(c->headers[i].name))
			rc = request_line(p, c->headers[i].name, c->headers[i].value,
					  c->headers[i].append);
	for (size_t i = 0; rc == 0 && i < c->nresponse; i++)
		if (!sg_svc_owned(c->response[i].name))
			rc = keep_line(p, c->response[i].name, c->response[i].value, &kept)
				     ? sg_filter_plan_response_line(p, kept.name, kept.value)
				     : -ENOMEM;
	stop(z);
	if (rc < 0)
		sg_request_denied(r, SG_FAIL_CONNECT); /* 503, as any allocation failure */
	else
		sg_request_authorized(r);
}

/* lines[0..n) and after them r's CORS lines, lines[] holding cap:
 * their count. */
static size_t with_cors(const struct sg_request *r, struct sg_h1_header *lines, size_t n,
			size_t cap)
{
	for (size_t i = 0; i < r->plan.cors.nadd && n < cap; i++)
		lines[n++] = r->plan.cors.add[i];
	return n;
}

/* Denied with the lines h[0..n) (kept in the plan), status and body,
 * and the request's CORS lines (in place of the service's of their
 * names), not the rest of the route's response filters. That is
 * agentgateway's way (crates/agentgateway/src/proxy/httpproxy.rs,
 * apply_request_policies): a denial is a direct response returned from
 * the ext_authz step; the lines CORS queued before it are merged into
 * every response, a denial's included (so that a browser may read it),
 * while the route's responseHeaderModifier is only chosen for the
 * response path after that step, and never edits a denial. The failure
 * mode's answers (undecided()) carry all of the route's filters, which
 * agentgateway's do not. */
static void denied(struct sg_extauthz *z, uint16_t status, const struct sg_h1_header *h, size_t n,
		   const char *body, size_t len)
{
	struct sg_request *r = z->r;
	const struct sg_header_edit *cors = &r->plan.cors;
	struct sg_h1_header lines[EXTAUTHZ_LINES];
	struct sg_h1_edit edit = { .add = lines };
	size_t cap = EXTAUTHZ_LINES - (cors->nadd < EXTAUTHZ_LINES ? cors->nadd : EXTAUTHZ_LINES);
	const char *b = len ? sg_filter_plan_keep(&r->plan, body, len) : "";

	for (size_t i = 0; i < n && edit.nadd < cap; i++)
		if (!sg_svc_owned(h[i].name) &&
		    !sg_header_edit_adds(cors, h[i].name.p, h[i].name.len) &&
		    !keep_line(&r->plan, h[i].name, h[i].value, &lines[edit.nadd++]))
			b = NULL;
	edit.nadd = with_cors(r, lines, edit.nadd, EXTAUTHZ_LINES);
	stop(z);
	if (!b)
		sg_request_denied(r, SG_FAIL_CONNECT);
	else
		sg_request_answer(r, status, &edit, b, len, false);
}

static void grpc_verdict(struct sg_extauthz *z)
{
	struct sg_authzpb_response c;
	struct sg_h1_header h[SG_AUTHZPB_MAX_HEADERS];
	const char *m;
	size_t n;

	if (z->status != 200 || z->grpc_status != 0) {
		undecided(z, z->status != 200 ? "the service answered HTTP, not gRPC"
					      : "the Check call failed (grpc-status)");
		return;
	}
	if (sg_pbr_grpc_message(z->in.data + z->in.off, z->in.len, &m, &n) < 0 ||
	    sg_authzpb_check_response(m, n, &c) < 0) {
		undecided(z, "the CheckResponse is not one well-formed message");
		return;
	}
	/* Its dynamic_metadata is CEL's `extauthz`, allowed or denied (the
	 * access log's too), as agentgateway inserts it. */
	if (keep_metadata(z->r, &c) == -EBADMSG) {
		undecided(z, "the CheckResponse's dynamic_metadata is not a well-formed Struct");
		return;
	}
	if (c.code == 0) {
		grpc_allowed(z, &c);
		return;
	}
	if (!c.denied) { /* denied without a response: the gateway's own 403 */
		stop(z);
		sg_request_denied(z->r, SG_FAIL_EXT_AUTHZ);
		return;
	}
	for (size_t i = 0; i < c.nheaders; i++)
		h[i] = (struct sg_h1_header){ c.headers[i].name, c.headers[i].value };
	denied(z, c.status >= 200 && c.status <= 599 ? c.status : 403, h, c.nheaders, c.body.p,
	       c.body.len);
}

/* Storage for what an expression gives: the plan's, as long as r's. */
static char *keep_in(void *p, const char *s, size_t n)
{
	char *out = sg_filter_plan_room(p, n + 1);

	if (out && s) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return out;
}

/* e's value over r, a string, into *out (the plan's copy). -EINVAL: the
 * expression failed or gave something else; -ENOMEM. */
static int eval_string(struct sg_request *r, const struct sg_cel *e, struct sg_h1_span *out)
{
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq c;
	struct sg_cel_val val;
	int rc = -EINVAL;

	sg_request_input(r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	sg_celreq_begin(&c, &v);
	sg_cel_eval(e, &c.run, &val);
	if (val.type == SG_CEL_STRING) {
		out->p = val.s.n ? sg_filter_plan_keep(&r->plan, val.s.p, val.s.n) : "";
		out->len = val.s.n;
		rc = out->p ? 0 : -ENOMEM;
	}
	sg_celreq_end(&c);
	return rc;
}

/* A 401 or 403 of the HTTP service with http.redirect: 302 to where the
 * expression says (agentgateway's sign-in redirect, a denial as any:
 * with the CORS lines); an expression that fails is the gateway's own
 * 403. */
static void redirected(struct sg_extauthz *z)
{
	struct sg_request *r = z->r;
	struct sg_h1_header lines[8] = { { { "location", 8 }, { 0 } } };
	struct sg_h1_span *loc = &lines[0].value;
	struct sg_h1_edit edit = { .add = lines, .nadd = with_cors(r, lines, 1, 8) };
	int rc = eval_string(r, z->x->redirect, loc);

	stop(z);
	if (rc == -ENOMEM)
		sg_request_denied(r, SG_FAIL_CONNECT);
	else if (rc < 0 || memchr(loc->p, '\r', loc->len) || memchr(loc->p, '\n', loc->len))
		sg_request_denied(r, SG_FAIL_EXT_AUTHZ);
	else
		sg_request_answer(r, 302, &edit, "", 0, false);
}

static void http_verdict(struct sg_extauthz *z)
{
	struct sg_request *r = z->r;
	const struct sg_strs *want = &z->x->response;
	int rc = 0;

	if ((z->status == 401 || z->status == 403) && z->x->redirect) {
		redirected(z);
		return;
	}
	if (z->status < 200 || z->status > 299) {
		denied(z, z->status, z->head, z->nhead, z->in.data + z->in.off, z->in.len);
		return;
	}
	for (size_t i = 0; i < z->nhead && rc == 0; i++)
		for (size_t k = 0; k < want->n && rc == 0; k++)
			if (z->head[i].name.len == strlen(want->v[k]) &&
			    !strncasecmp(z->head[i].name.p, want->v[k], z->head[i].name.len))
				rc = sg_filter_plan_request_line(&r->plan, z->head[i].name,
								 z->head[i].value.p,
								 z->head[i].value.len);
	stop(z);
	if (rc < 0)
		sg_request_denied(r, SG_FAIL_CONNECT);
	else
		sg_request_authorized(r);
}

/* An allowing HTTP answer's http.metadata, CEL's `extauthz` from here
 * on (agentgateway's ExtAuthzDynamicMetadata, present even when every
 * expression failed): each expression over the request and the answer
 * (response.code, .headers, .body); a replayed answer's are the values
 * it made then (z->in, their JSON). Out of memory: absent. */
static void http_answered(struct sg_extauthz *z)
{
	struct sg_request *r = z->r;
	struct sg_h1_resp resp = { .status = z->status,
				   .headers = z->head,
				   .nheaders = z->nhead,
				   .headers_cap = EXTAUTHZ_LINES };
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_json *m = NULL;
	char *text;

	if (!z->x->metadata.n || z->status < 200 || z->status > 299)
		return;
	if (z->replayed) {
		text = malloc(z->in.len + 1);
		if (text) {
			memcpy(text, z->in.data + z->in.off, z->in.len);
			text[z->in.len] = '\0';
			m = sg_json_parse(text);
			free(text);
		}
	} else {
		sg_request_input(r, &in);
		sg_celreq_view_of(&v, &in, &resp);
		v.resp_body = (struct sg_h1_span){ z->in.data + z->in.off, z->in.len };
		v.has_resp_body = true;
		m = sg_celreq_json_fields(&z->x->metadata, &v);
	}
	sg_json_free(r->authn.extauthz);
	r->authn.extauthz = m;
}

/* ---- the cache ---------------------------------------------------------------- */

/* An answer as kept: 'G' and the gRPC message's bytes as they came, or
 * 'H', the status, the count of lines, each line's name and value with
 * their lengths, then the body (denials only). Replayed through the same
 * verdict as a fresh answer. */
struct packer {
	char buf[SG_AUTHZ_CACHE_ANSWER_MAX];
	size_t n;
	bool over;
};

static void pack(struct packer *k, const void *p, size_t n)
{
	if (k->over || n > sizeof(k->buf) - k->n) {
		k->over = true;
		return;
	}
	memcpy(k->buf + k->n, p, n);
	k->n += n;
}

static void pack_u32(struct packer *k, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	pack(k, b, 4);
}

static uint32_t unpack_u32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* An allowing HTTP answer's metadata as kept: its JSON (none when the
 * route computes none). */
static void pack_metadata(struct packer *k, const struct sg_extauthz *z)
{
	char *text;

	if (!z->x->metadata.n)
		return;
	text = sg_json_print(z->r->authn.extauthz, SG_JSON_COMPACT);
	if (!text) {
		k->over = true; /* not kept: it would come back without them */
		return;
	}
	pack(k, text, strlen(text));
	free(text);
}

/* One key value of the cache: its type, then its bytes. False: a type
 * agentgateway does not key on (lists, maps, durations...) or an error. */
static bool pack_value(struct packer *k, const struct sg_cel_val *v)
{
	unsigned char t = (unsigned char)v->type;

	pack(k, &t, 1);
	switch (v->type) {
	case SG_CEL_NULL:
		return true;
	case SG_CEL_BOOL:
		t = v->b;
		pack(k, &t, 1);
		return true;
	case SG_CEL_INT:
	case SG_CEL_UINT:
	case SG_CEL_DOUBLE: /* the union's 8 bytes: the int, or the bits */
		pack(k, &v->u, sizeof(v->u));
		return true;
	case SG_CEL_STRING:
	case SG_CEL_BYTES:
		pack_u32(k, (uint32_t)v->s.n);
		pack(k, v->s.p, v->s.n);
		return true;
	default:
		return false;
	}
}

/* The request's key: each of cache.key's values over it. False (not
 * cached this time, as agentgateway's KeyEvaluationFailed): an
 * expression failed, gave a value of another type, or the key is over
 * SG_AUTHZ_CACHE_KEY_MAX. */
static bool make_key(struct sg_extauthz *z)
{
	const struct sg_ext_authz_cache *k = z->x->cache;
	struct packer *pk = malloc(sizeof(*pk));
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq c;
	bool ok = k->nkey > 0 && pk;

	if (!ok) {
		free(pk);
		return false;
	}
	pk->n = 0;
	pk->over = false;
	sg_request_input(z->r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	sg_celreq_begin(&c, &v);
	for (size_t i = 0; ok && i < k->nkey; i++) {
		struct sg_cel_val val;

		sg_cel_eval(k->key[i], &c.run, &val);
		ok = pack_value(pk, &val);
	}
	sg_celreq_end(&c);
	ok = ok && !pk->over && pk->n <= SG_AUTHZ_CACHE_KEY_MAX;
	if (ok && (z->key = malloc(pk->n)))
		memcpy(z->key, pk->buf, z->klen = pk->n);
	free(pk);
	return z->key != NULL;
}

static bool span_eq(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && !strncasecmp(a.p, b.p, a.len);
}

/* Whether the answer takes header `name` off the request: a gRPC
 * allowance removes it or sets it anew, an HTTP one sets it. */
static bool answer_replaces(const struct sg_extauthz *z, const struct sg_authzpb_response *c,
			    struct sg_h1_span name)
{
	const struct sg_strs *want = &z->x->response;

	for (size_t i = 0; c && i < c->nremove; i++)
		if (span_eq(c->remove[i], name))
			return true;
	for (size_t i = 0; c && i < c->nheaders; i++)
		if (!c->headers[i].append && span_eq(c->headers[i].name, name))
			return true;
	for (size_t i = 0; !c && i < z->nhead; i++)
		for (size_t k = 0; k < want->n; k++)
			if (span_eq(z->head[i].name, name) &&
			    span_eq(name, (struct sg_h1_span){ want->v[k], strlen(want->v[k]) }))
				return true;
	return false;
}

/* The request's headers as the allowing answer leaves them (c: gRPC's,
 * NULL: HTTP's included lines), into out[0..cap): what cache.ttl reads,
 * as agentgateway evaluates it after the answer is applied. */
static size_t answered_headers(const struct sg_extauthz *z, const struct sg_authzpb_response *c,
			       struct sg_h1_header *out, size_t cap)
{
	const struct sg_h1_req *q = z->r->req;
	const struct sg_strs *want = &z->x->response;
	size_t n = 0;

	for (size_t i = 0; i < q->nheaders && n < cap; i++)
		if (!answer_replaces(z, c, q->headers[i].name))
			out[n++] = q->headers[i];
	for (size_t i = 0; c && i < c->nheaders && n < cap; i++)
		if (!sg_svc_owned(c->headers[i].name))
			out[n++] = (struct sg_h1_header){ c->headers[i].name, c->headers[i].value };
	for (size_t i = 0; !c && i < z->nhead && n < cap; i++)
		for (size_t k = 0; k < want->n; k++)
			if (span_eq(z->head[i].name,
				    (struct sg_h1_span){ want->v[k], strlen(want->v[k]) }))
				out[n++] = z->head[i];
	return n;
}

/* How long an answer is kept: cache.ttl over the request (with the
 * allowing answer's headers: allowed, c for gRPC), a duration, a
 * timestamp, or seconds since the Unix epoch (ms, rounded up; 0: not
 * kept, as agentgateway skips an invalid ttl). */
static uint64_t ttl_ms(struct sg_extauthz *z, bool allowed, const struct sg_authzpb_response *c)
{
	struct sg_h1_header *lines = NULL;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq cr;
	struct sg_cel_val val;
	struct sg_h1_req q;
	struct timespec ts;
	double ms = 0, now_ms;
	size_t cap = z->r->req->nheaders + SG_AUTHZPB_MAX_HEADERS + EXTAUTHZ_LINES;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	sg_request_input(z->r, &in);
	if (allowed && (lines = malloc(cap * sizeof(*lines)))) {
		q = *z->r->req;
		q.headers = lines;
		q.nheaders = answered_headers(z, c, lines, cap);
		q.headers_cap = cap;
		in.req = &q;
		in.ctx = &q;
	}
	sg_celreq_view_of(&v, &in, NULL);
	sg_celreq_begin(&cr, &v);
	sg_cel_eval(z->x->cache->ttl, &cr.run, &val);
	switch (val.type) {
	case SG_CEL_DURATION:
		ms = (double)val.i / 1e6;
		break;
	case SG_CEL_TIMESTAMP:
		ms = (double)val.i / 1e6 - now_ms;
		break;
	case SG_CEL_INT:
		ms = (double)val.i * 1e3 - now_ms;
		break;
	case SG_CEL_UINT:
		ms = (double)val.u * 1e3 - now_ms;
		break;
	case SG_CEL_DOUBLE:
		ms = val.d * 1e3 - now_ms;
		break;
	default:
		break;
	}
	sg_celreq_end(&cr);
	free(lines);
	if (!(ms > 0)) /* NaN too */
		return 0;
	if (ms >= 1e15)
		return (uint64_t)1e15;
	return (uint64_t)ms + ((double)(uint64_t)ms < ms);
}

/* The answer that came, kept when agentgateway keeps it: every gRPC
 * CheckResponse (allowed or denied; not a failed call), and an HTTP
 * service's 2xx, 401 and 403. */
static void remember(struct sg_extauthz *z)
{
	struct sg_authzpb_response c = { 0 };
	struct packer *k;
	const char *m = NULL;
	size_t n = 0;
	uint64_t ttl;
	char tag = z->x->http ? 'H' : 'G';

	if (z->replayed)
		return;
	if (z->x->http
		    ? !(z->status >= 200 && z->status <= 299) && z->status != 401 &&
			      z->status != 403
		    : z->status != 200 || z->grpc_status != 0 ||
			      sg_pbr_grpc_message(z->in.data + z->in.off, z->in.len, &m, &n) < 0 ||
			      sg_authzpb_check_response(m, n, &c) < 0)
		return;
	if (!z->x->http)
		keep_metadata(z->r, &c); /* what cache.ttl reads, as agentgateway's */
	ttl = z->x->http ? ttl_ms(z, z->status >= 200 && z->status <= 299, NULL)
			 : ttl_ms(z, c.code == 0, &c);
	if (!ttl || !(k = malloc(sizeof(*k))))
		return;
	k->n = 0;
	k->over = false;
	pack(k, &tag, 1);
	if (z->x->http) {
		pack_u32(k, z->status);
		pack_u32(k, (uint32_t)z->nhead);
		for (size_t i = 0; i < z->nhead; i++) {
			pack_u32(k, (uint32_t)z->head[i].name.len);
			pack_u32(k, (uint32_t)z->head[i].value.len);
			pack(k, z->head[i].name.p, z->head[i].name.len);
			pack(k, z->head[i].value.p, z->head[i].value.len);
		}
		if (z->status < 200 || z->status > 299)
			pack(k, z->in.data + z->in.off, z->in.len);
		else
			pack_metadata(k, z);
	} else {
		pack(k, z->in.data + z->in.off, z->in.len);
	}
	if (!k->over)
		sg_authz_cache_put(z->x->cache, z->key, z->klen, k->buf, k->n, sg_loop_now(z->loop),
				   ttl);
	free(k);
}

/* A kept HTTP answer a[0..n) (the plan's copy) into z's status, lines
 * and body (an allowing one's: the JSON of the metadata it made). False:
 * it is not one (cannot happen: we wrote it). */
static bool unpack_http(struct sg_extauthz *z, const char *a, size_t n)
{
	size_t off = 8, lines;

	if (n < 8)
		return false;
	z->status = (uint16_t)unpack_u32(a);
	lines = unpack_u32(a + 4);
	z->nhead = 0;
	for (size_t i = 0; i < lines && z->nhead < EXTAUTHZ_LINES; i++) {
		size_t nl, vl;

		if (n - off < 8)
			return false;
		nl = unpack_u32(a + off);
		vl = unpack_u32(a + off + 4);
		off += 8;
		if (n - off < nl || n - off - nl < vl)
			return false;
		z->head[z->nhead++] =
			(struct sg_h1_header){ { a + off, nl }, { a + off + nl, vl } };
		off += nl + vl;
	}
	return sg_buf_append(&z->in, a + off, n - off) == 0;
}

/* The request's verdict from the kept answer a[0..n): the same as when
 * it came. */
static void replay(struct sg_extauthz *z, const char *a, size_t n)
{
	const char *kept = n > 1 ? sg_filter_plan_keep(&z->r->plan, a + 1, n - 1) : NULL;

	z->replayed = true;
	if (!kept ||
	    (a[0] == 'H' ? !unpack_http(z, kept, n - 1) : sg_buf_append(&z->in, kept, n - 1) < 0)) {
		undecided(z, "its cached answer could not be read");
		return;
	}
	if (a[0] == 'H') {
		http_answered(z);
		http_verdict(z);
		return;
	}
	z->status = 200;
	z->grpc_status = 0;
	grpc_verdict(z);
}

/* The cache asked about r: true when it answered (r has its verdict). */
static bool cached(struct sg_extauthz *z)
{
	char *a = NULL;
	size_t n = 0;

	if (!make_key(z))
		return false;
	if (sg_authz_cache_get(z->x->cache, z->key, z->klen, sg_loop_now(z->loop), &a, &n) !=
	    SG_AUTHZ_CACHE_HIT)
		return false;
	replay(z, a, n);
	free(a);
	return true;
}

/* ---- the exchange's callbacks ---------------------------------------------- */

static void x_ready(void *data)
{
	struct sg_extauthz *z = data;
	int rc = sg_h2b_send(z->h2, &z->req, NULL, NULL, 0, NULL, true);

	if (rc < 0)
		undecided(z, "the Check call could not be sent");
}

static int http_connect(struct sg_extauthz *z, bool fresh);

/* The HTTP exchange and its connection are over. */
static void drop_conn(struct sg_extauthz *z)
{
	sg_h1x_close(z->h1);
	z->h1 = NULL;
	sg_backend_close(z->u);
	z->u = NULL;
}

static void x_failed(void *data, enum sg_xfail why, int err)
{
	struct sg_extauthz *z = data;
	char text[160];

	/* The keep-alive race (as user/core/attempt.c's): the service closed
	 * a kept connection as the check went out on it, and answered
	 * nothing: asked once more on a new one. */
	if (z->u && z->u->reused && !z->retried &&
	    (why == SG_XFAIL_UNSENT || (why == SG_XFAIL_LOST && (err == 0 || err == EPIPE)))) {
		z->retried = true;
		drop_conn(z);
		err = -http_connect(z, true);
		if (!err)
			return;
	}
	snprintf(text, sizeof(text), "the authorization service is unavailable: %s",
		 sg_fail_cause(err));
	undecided(z, text);
}

static void x_head(void *data, const struct sg_h1_resp *resp, bool end)
{
	struct sg_extauthz *z = data;
	struct sg_request *r = z->r;

	(void)end;
	if (resp->status < 200)
		return;
	z->status = resp->status;
	z->nhead = 0;
	for (size_t i = 0; i < resp->nheaders && z->nhead < EXTAUTHZ_LINES; i++) {
		const struct sg_h1_header *h = &resp->headers[i];

		if (h->name.len == 11 && !strncasecmp(h->name.p, "grpc-status", 11))
			z->grpc_status = sg_svc_grpc_status(h->value.p, h->value.len);
		if (z->x->http && !sg_svc_owned(h->name) &&
		    !keep_line(&r->plan, h->name, h->value, &z->head[z->nhead++]))
			z->nhead--; /* out of memory: the line is left out */
	}
}

static void x_data(void *data, const char *p, size_t n)
{
	struct sg_extauthz *z = data;

	if (z->in.len + n > EXTAUTHZ_ANSWER_MAX || sg_buf_append(&z->in, p, n) < 0) {
		undecided(z, "the service's answer is over 64 KiB");
		return;
	}
	if (z->h2)
		sg_h2b_consume(z->h2, n, 0);
	else
		sg_h1x_consume(z->h1);
}

/* The HTTP answer ended well: its connection goes back to the pool when
 * it may carry another check (at most EXTAUTHZ_IDLE_MAX idle ones per
 * service; closed when the service closes it, or after EXTAUTHZ_IDLE_MS),
 * else it closes. */
static void give_back(struct sg_extauthz *z)
{
	bool reusable = z->h1 && sg_h1x_reusable(z->h1);

	sg_h1x_close(z->h1);
	z->h1 = NULL;
	if (reusable)
		sg_pool_put(z->r->at.pool, z->u, EXTAUTHZ_IDLE_MS, EXTAUTHZ_IDLE_MAX);
	else
		sg_backend_close(z->u);
	z->u = NULL;
}

static void x_end(void *data, const struct sg_h2_field *t, size_t n, int err)
{
	struct sg_extauthz *z = data;

	if (z->over)
		return;
	if (err) {
		undecided(z, "the service's answer was cut");
		return;
	}
	z->grpc_status = sg_svc_grpc_in_trailers(t, n, z->grpc_status);
	if (z->x->http) {
		give_back(z);
		http_answered(z);
	}
	if (z->key)
		remember(z);
	if (z->x->http)
		http_verdict(z);
	else
		grpc_verdict(z);
}

static ssize_t x_body(void *data, char *buf, size_t len, bool *eof)
{
	struct sg_extauthz *z = data;

	return sg_svc_body(z->body, z->body_len, &z->body_off, buf, len, eof);
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

/* The check goes out on z's connection, up. 0, or a negative errno (no
 * callback was made). */
static int exchange(struct sg_extauthz *z)
{
	z->connected = true;
	z->h1 = sg_h1x_new(z->loop, z->u, &ops, z, EXTAUTHZ_ANSWER_MAX);
	if (!z->h1)
		return -ENOMEM;
	return sg_h1x_send(z->h1, &z->req, NULL, NULL, 0, z->body_len > 0);
}

/* The HTTP service's connection: its connect, then its exchange. */
static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_extauthz *z = io->data;
	int err;

	(void)loop;
	if (z->over)
		return;
	if (z->connected) {
		sg_h1x_io(z->h1, revents);
		return;
	}
	err = sg_backend_connect_error(z->u);
	if (err == EINPROGRESS)
		return;
	if (err) {
		x_failed(z, SG_XFAIL_CONNECT, err);
		return;
	}
	if (exchange(z) < 0)
		undecided(z, "the check request could not be sent");
}

/* ---- the question ------------------------------------------------------------ */

/* Text the head's spans point into: appended as they are made. */
struct text {
	char *p;
	size_t len, cap;
};

static const char *put(struct text *t, const char *s, size_t n, bool lower)
{
	char *at = t->p + t->len;

	if (t->len + n > t->cap)
		return NULL;
	for (size_t i = 0; i < n; i++)
		at[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	t->len += n;
	return at;
}

/* Whether header `name` of the request is sent: the includeRequestHeaders
 * list, else every header (gRPC) or Authorization alone (HTTP). */
static bool wanted(const struct sg_ext_authz *x, struct sg_h1_span name)
{
	if (!x->headers.n)
		return !x->http || (name.len == 13 && !strncasecmp(name.p, "authorization", 13));
	for (size_t i = 0; i < x->headers.n; i++)
		if (name.len == strlen(x->headers.v[i]) &&
		    !strncasecmp(name.p, x->headers.v[i], name.len))
			return true;
	return false;
}

/* The request's headers as its backend would get them (the route's
 * filters' edits: a verified token stripped), those wanted, lower-case,
 * the values of a repeated name joined (", "; a Cookie's "; "), into
 * out[0..cap). Returns how many. */
static size_t gather(struct sg_extauthz *z, struct text *t, struct sg_authzpb_header *out,
		     size_t cap)
{
	const struct sg_h1_req *q = z->r->req;
	struct sg_h1_edit e;
	size_t n = 0;

	sg_filter_request_edit(&z->r->plan, &e);
	for (size_t i = 0; i < q->nheaders && n < cap; i++) {
		struct sg_h1_span name = q->headers[i].name;
		bool seen = false, cookie = name.len == 6 && !strncasecmp(name.p, "cookie", 6);
		const char *v, *start = t->p + t->len;

		if (!wanted(z->x, name) || (e.drops && e.drops(e.arg, name.p, name.len)))
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = q->headers[k].name.len == name.len &&
			       !strncasecmp(q->headers[k].name.p, name.p, name.len);
		if (seen)
			continue;
		for (size_t k = i; k < q->nheaders; k++) {
			const struct sg_h1_span *hv = &q->headers[k].value;

			if (q->headers[k].name.len != name.len ||
			    strncasecmp(q->headers[k].name.p, name.p, name.len))
				continue;
			if (k > i && !put(t, cookie ? "; " : ", ", 2, false))
				return n;
			if (!put(t, hv->p, hv->len, false))
				return n;
		}
		v = start;
		out[n].value = (struct sg_h1_span){ v, (size_t)(t->p + t->len - v) };
		if (!(v = put(t, name.p, name.len, true)))
			return n;
		out[n++].name = (struct sg_h1_span){ v, name.len };
	}
	for (size_t i = 0; i < e.nadd && n < cap; i++) {
		const char *v = put(t, e.add[i].name.p, e.add[i].name.len, true);

		if (!v || !wanted(z->x, e.add[i].name))
			continue;
		out[n].name = (struct sg_h1_span){ v, e.add[i].name.len };
		out[n++].value = e.add[i].value;
	}
	return n;
}

/* The pseudo-headers Envoy sends beside them (all of them, or those
 * includeRequestHeaders names). */
static size_t pseudo(struct sg_extauthz *z, const struct sg_authzpb_request *q,
		     struct sg_authzpb_header *out)
{
	const struct sg_h1_span v[] = { q->host, q->method, q->path, q->scheme };
	static const char *const names[] = { ":authority", ":method", ":path", ":scheme" };
	size_t n = 0;

	for (size_t i = 0; i < 4; i++) {
		struct sg_h1_span name = { names[i], strlen(names[i]) };

		if (z->x->http || (z->x->headers.n && !wanted(z->x, name)))
			continue;
		out[n++] = (struct sg_authzpb_header){ name, v[i], false };
	}
	return n;
}

/* The body sent: the one held whole, up to includeRequestBody's bound.
 * False: it is over the bound and no partial message is allowed. */
static bool request_body(struct sg_extauthz *z, struct sg_authzpb_request *q, bool *partial)
{
	const struct sg_ext_authz *x = z->x;
	struct sg_request *r = z->r;
	struct sg_mirror_request m = { .req = r->req };
	int64_t declared = r->req->content_length;

	q->size = declared >= 0 ? declared : -1;
	*partial = false;
	if (!x->body)
		return true;
	r->sink->held_body(r, &m);
	if ((m.body_whole ? (int64_t)m.body_len : declared) > (int64_t)x->body_max ||
	    (!m.body_whole && declared < 0)) {
		if (!x->body_partial)
			return false;
		*partial = true;
	}
	q->body = m.body ? m.body : "";
	q->body_len = m.body_len < x->body_max ? m.body_len : x->body_max;
	q->raw_body = x->body_raw;
	if (m.body_whole)
		q->size = (int64_t)m.body_len;
	return true;
}

static struct sg_h1_span span_of(const char *s)
{
	return (struct sg_h1_span){ s, s ? strlen(s) : 0 };
}

/* The request's value of pseudo-header `name` (":authority": its Host);
 * p NULL: it has none. */
static struct sg_h1_span pseudo_value(const struct sg_authzpb_request *q, const char *name)
{
	switch (sg_ext_authz_pseudo(name, strlen(name))) {
	case SG_EXT_AUTHZ_PSEUDO_METHOD:
		return q->method;
	case SG_EXT_AUTHZ_PSEUDO_PATH:
		return q->path;
	case SG_EXT_AUTHZ_PSEUDO_AUTHORITY:
		return q->host.len ? q->host : (struct sg_h1_span){ 0 };
	case SG_EXT_AUTHZ_PSEUDO_SCHEME:
		return q->scheme;
	default:
		return (struct sg_h1_span){ 0 };
	}
}

/* The HTTP check's head as agentgateway's check_http makes it: the
 * request's method and path (or http.path's) to the service's Host (a
 * unix socket's: its file's name); then, each set over what came before,
 * the lines includeRequestHeaders names (h[0..n), and the request's
 * values of the pseudo-headers it names), the partial body's mark, and
 * addRequestHeaders' values (adds[i] the i-th's; p NULL: it failed).
 * Into z->req and z->lines[0..*k). */
static void http_head(struct sg_extauthz *z, const struct sg_authzpb_request *q,
		      const struct sg_authzpb_header *h, size_t n, bool partial,
		      const struct sg_h1_span *adds, size_t *k)
{
	const struct sg_ext_authz *x = z->x;
	const struct sg_transform_exprs *add = &x->add_headers.set;
	struct sg_svc_check c = {
		.method = q->method,
		.target = z->path.p ? z->path : q->path,
		.authority = span_of(x->unix_socket ? strrchr(x->to.ep.addr, '/') + 1 : x->to.host),
		.lines = z->lines + 1,
		.cap = EXTAUTHZ_LINES - 2, /* Host first, Content-Length last */
	};

	/* A line with no room is left out, as the request's lines past
	 * EXTAUTHZ_LINES are. */
	for (size_t i = 0; i < n; i++)
		sg_svc_check_set(&c, h[i].name, h[i].value);
	for (size_t i = 0; i < x->headers.n; i++)
		if (x->headers.v[i][0] == ':')
			sg_svc_check_set(&c, span_of(x->headers.v[i]),
					 pseudo_value(q, x->headers.v[i]));
	if (x->body && !x->body_expr)
		sg_svc_check_set(&c, span_of("x-envoy-auth-partial-body"),
				 span_of(partial ? "true" : "false"));
	for (size_t i = 0; i < add->n; i++)
		sg_svc_check_set(&c, span_of(add->v[i].name), adds[i]);
	z->req.method = c.method;
	z->req.target = c.target;
	z->lines[0] = (struct sg_h1_header){ { "host", 4 }, c.authority };
	*k = 1 + c.n;
}

/* The check request's head: the Check call for gRPC, http_head's for
 * HTTP; the body's framing after its lines. */
static int make_head(struct sg_extauthz *z, const struct sg_authzpb_request *q,
		     const struct sg_authzpb_header *h, size_t n, bool partial,
		     const struct sg_h1_span *adds, struct text *t)
{
	struct sg_h1_req *req = &z->req;
	char num[SG_H1_DIGITS_MAX];
	const char *len = sg_h1_digits(num, z->body_len);
	size_t k = 0;

	*req = (struct sg_h1_req){ .headers = z->lines,
				   .headers_cap = EXTAUTHZ_LINES,
				   .minor = 1,
				   .content_length = (int64_t)z->body_len,
				   .keep_alive = true };
	if (!z->x->http) {
		z->lines[k++] = (struct sg_h1_header){ { "host", 4 }, span_of(z->x->to.host) };
		req->method = (struct sg_h1_span){ "POST", 4 };
		req->target = (struct sg_h1_span){ check_path, sizeof(check_path) - 1 };
		z->lines[k++] =
			(struct sg_h1_header){ { "content-type", 12 }, { "application/grpc", 16 } };
		z->lines[k++] = (struct sg_h1_header){ { "te", 2 }, { "trailers", 8 } };
	} else {
		http_head(z, q, h, n, partial, adds, &k);
	}
	len = put(t, len, (size_t)(num + SG_H1_DIGITS_MAX - len), false);
	if (!len)
		return -ENOMEM;
	z->lines[k++] = (struct sg_h1_header){ { "content-length", 14 },
					       { len, (size_t)(t->p + t->len - len) } };
	req->nheaders = k;
	return 0;
}

/* What is known of the request, for either protocol; dst (INET6_ADDRSTRLEN
 * bytes) holds the destination's address. The destination is where the
 * client's connection arrived, as agentgateway sends it (behind a PROXY
 * protocol header, the destination the header named). */
static void describe(struct sg_extauthz *z, struct sg_authzpb_request *q, char *dst)
{
	const struct sg_request *r = z->r;
	const struct sg_h1_span *host = sg_h1_header(r->req, "host");
	const struct sg_h1_span *id = sg_h1_header(r->req, "x-request-id");
	struct sockaddr_storage local;
	bool here = r->sock >= 0 && sg_preface_local_addr(r->ctx, r->sock, &local) == 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*q = (struct sg_authzpb_request){
		.source = { r->ip, r->port },
		.destination = { here ? sg_net_ip_str(&local, dst, INET6_ADDRSTRLEN) : NULL,
				 here ? sg_net_port(&local) : 0 },
		.time_s = ts.tv_sec,
		.time_ns = (int32_t)ts.tv_nsec,
		.method = r->req->method,
		.path = r->req->target,
		.host = host ? *host : (struct sg_h1_span){ 0 },
		.id = id ? *id : (struct sg_h1_span){ 0 },
		.scheme = r->listener && r->listener->proto == SG_PROTO_HTTPS
				  ? (struct sg_h1_span){ "https", 5 }
				  : (struct sg_h1_span){ "http", 4 },
		.protocol = r->sink->version ? (struct sg_h1_span){ r->sink->version,
								    strlen(r->sink->version) }
			    : r->req->minor  ? (struct sg_h1_span){ "HTTP/1.1", 8 }
					     : (struct sg_h1_span){ "HTTP/1.0", 8 },
		.context = z->x->context.v,
		.ncontext = z->x->context.n,
	};
}

/* addRequestHeaders' values over the request into *out (the i-th's text,
 * in the plan's storage; p NULL: its expression failed or gave no string
 * or number). 0 or -ENOMEM. */
static int add_values(struct sg_extauthz *z, const struct sg_celreq_view *v,
		      struct sg_h1_span **out)
{
	const struct sg_transform_exprs *l = &z->x->add_headers.set;
	struct sg_h1_span *vals;
	struct sg_celreq c;
	int rc = 0;

	if (!l->n)
		return 0;
	vals = (struct sg_h1_span *)(void *)sg_filter_plan_room(&z->r->plan, l->n * sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*out = vals;
	sg_celreq_begin(&c, v);
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		struct sg_cel_val val;
		const char *s;
		size_t n;

		vals[i] = (struct sg_h1_span){ NULL, 0 };
		sg_cel_eval(l->v[i].expr, &c.run, &val);
		if (sg_cel_to_text(&c.run, &val, &s, &n) < 0)
			continue;
		vals[i] = (struct sg_h1_span){ sg_filter_plan_keep(&z->r->plan, s, n), n };
		if (!vals[i].p)
			rc = -ENOMEM;
	}
	sg_celreq_end(&c);
	return rc;
}

/* The HTTP protocol's expressions over the request: the check path, the
 * body (into q, replacing the request's), the added headers' values
 * (into *adds). 0, -EINVAL when one failed (agentgateway's 403),
 * -ENOMEM. */
static int http_exprs(struct sg_extauthz *z, struct sg_authzpb_request *q, struct sg_h1_span **adds)
{
	const struct sg_ext_authz *x = z->x;
	struct sg_request *r = z->r;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_h1_span body;
	int rc;

	sg_request_input(r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	if (x->path) {
		rc = eval_string(r, x->path, &z->path);
		if (rc < 0)
			return rc;
		if (!sg_svc_origin_form(z->path))
			return -EINVAL;
	}
	if (x->body_expr) {
		rc = sg_celreq_body(x->body_expr, &v, keep_in, &r->plan, &body);
		if (rc < 0)
			return rc;
		q->body = body.p;
		q->body_len = body.len;
	}
	return add_values(z, &v, adds);
}

/* The Check call's metadata_context.filter_metadata, as agentgateway
 * sends it: grpc.metadata's values over the request (one that fails or
 * gives no map is left out); without any, the verified JWT's claims as
 * Envoy's jwt_authn filter gives them ({"envoy.filters.http.jwt_authn":
 * {"jwt_payload": claims}}), else none (an empty Metadata). A new object;
 * NULL when out of memory (then no metadata_context is sent). */
static struct sg_json *grpc_metadata(struct sg_extauthz *z)
{
	struct sg_request *r = z->r;
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_json *m, *claims;
	char *text;

	if (z->x->metadata.n) {
		sg_request_input(r, &in);
		sg_celreq_view_of(&v, &in, NULL);
		return sg_celreq_json_fields(&z->x->metadata, &v);
	}
	m = sg_json_object();
	if (!m || !r->authn.jwt)
		return m;
	text = sg_json_print(sg_jwt_claims_json(r->authn.jwt), SG_JSON_COMPACT);
	claims = text ? sg_json_parse(text) : NULL;
	free(text);
	if (sg_json_add(sg_json_add_object(m, "envoy.filters.http.jwt_authn"), "jwt_payload",
			claims) < 0) {
		sg_json_free(m);
		return NULL;
	}
	return m;
}

/* The question's bytes: head and body. -EINVAL: an expression of the
 * HTTP protocol failed. */
static int compose(struct sg_extauthz *z, bool *too_large)
{
	struct sg_authzpb_header h[EXTAUTHZ_LINES];
	struct sg_authzpb_request q;
	const struct sg_h1_req *in = z->r->req;
	struct sg_h1_span *adds = NULL;
	struct sg_json *md;
	struct text t = { 0 };
	char dst[INET6_ADDRSTRLEN];
	bool partial = false;
	size_t n;
	int rc;

	describe(z, &q, dst);
	*too_large = !z->x->body_expr && !request_body(z, &q, &partial);
	if (*too_large)
		return 0;
	if (z->x->http && (rc = http_exprs(z, &q, &adds)) < 0)
		return rc;
	t.cap = 64;
	for (size_t i = 0; i < in->nheaders; i++)
		t.cap += 2 * (in->headers[i].name.len + in->headers[i].value.len) + 2;
	t.p = z->text = malloc(t.cap);
	if (!t.p)
		return -ENOMEM;
	n = pseudo(z, &q, h);
	n += gather(z, &t, h + n, EXTAUTHZ_LINES - n);
	if (z->x->http) {
		z->body = q.body_len ? malloc(q.body_len) : NULL;
		if (q.body_len && !z->body)
			return -ENOMEM;
		if (q.body_len)
			memcpy(z->body, q.body, q.body_len);
		z->body_len = q.body_len;
	} else {
		q.headers = h;
		q.nheaders = n;
		q.metadata = md = grpc_metadata(z);
		rc = sg_authzpb_check_request(&q, &z->body, &z->body_len);
		sg_json_free(md);
		if (rc < 0)
			return -ENOMEM;
	}
	return make_head(z, &q, h, n, partial, adds, &t);
}

/* A connection to the HTTP service: one its pool keeps (unless fresh),
 * else a new one (on_io sends once it is up). 0, or a negative errno. */
static int http_connect(struct sg_extauthz *z, bool fresh)
{
	static const struct sg_keepalive ka; /* none: the calls are short */
	struct sg_pool *pool = z->r->at.pool;
	char key[SG_POOL_KEY_SIZE];
	int err = 0;

	snprintf(key, sizeof(key), "%s:%u" EXTAUTHZ_POOL_TAG, z->x->to.ep.addr, z->x->to.ep.port);
	z->u = fresh ? NULL : sg_pool_take(pool, key);
	if (z->u) {
		z->u->io.cb = on_io;
		z->u->io.data = z;
		if (exchange(z) == 0)
			return 0;
		drop_conn(z); /* the service closed it: a new one */
	}
	z->connected = false;
	z->u = sg_backend_connect(pool, &z->x->to.ep, &ka, &err);
	if (!z->u)
		return -err;
	snprintf(z->u->key, sizeof(z->u->key), "%s", key);
	z->u->io.cb = on_io;
	z->u->io.data = z;
	return sg_io_set(z->loop, &z->u->io, sg_backend_connect_events(z->u)) == -1 ? -errno : 0;
}

/* Connect to the service and ask. */
static int ask(struct sg_extauthz *z)
{
	static const struct sg_keepalive ka; /* none: the calls are short */
	char key[SG_ENDPOINT_TEXT_SIZE];
	bool ready = false, reused;
	int err = 0;

	if (z->x->http)
		return http_connect(z, false);
	snprintf(key, sizeof(key), "%s:%u", z->x->to.ep.addr, z->x->to.ep.port);
	z->h2 = sg_h2b_open(z->r->at.h2pool, &z->x->to.ep, key, &ka, EXTAUTHZ_IDLE_MS, &ops, z,
			    &ready, &reused, &err);
	if (!z->h2)
		return -err;
	if (ready)
		return sg_h2b_send(z->h2, &z->req, NULL, NULL, 0, NULL, true);
	return 0;
}

void sg_extauthz_reloaded(struct sg_pool *pool)
{
	sg_pool_close_tagged(pool, EXTAUTHZ_POOL_TAG);
}

struct sg_extauthz *sg_extauthz_start(struct sg_request *r, const struct sg_ext_authz *x)
{
	struct sg_extauthz *z = malloc(sizeof(*z));
	bool too_large = false;
	int rc;

	if (!z) {
		sg_request_denied(r, SG_FAIL_CONNECT);
		return NULL;
	}
	memset(z, 0, offsetof(struct sg_extauthz, lines));
	z->r = r;
	z->x = x;
	z->loop = r->ctx->loop;
	z->grpc_status = -1;
	sg_timer_init(&z->timer, on_timeout, z);
	if (x->to.unresolved) { /* its Service has no endpoint: no call can be made */
		undecided(z, "the authorization service's Service has no endpoint");
		return NULL;
	}
	if (x->cache && cached(z))
		return NULL;
	rc = compose(z, &too_large);
	if (too_large || rc < 0) {
		stop(z);
		sg_request_denied(r, too_large	     ? SG_FAIL_EXT_AUTHZ_BODY
				     : rc == -EINVAL ? SG_FAIL_EXT_AUTHZ
						     : SG_FAIL_CONNECT);
		return NULL;
	}
	sg_timer_arm(z->loop, &z->timer, sg_loop_now(z->loop) + sg_dur_to_ms_ceil(x->timeout));
	rc = ask(z);
	if (rc < 0) {
		x_failed(z, SG_XFAIL_CONNECT, -rc);
		return NULL;
	}
	return z;
}
