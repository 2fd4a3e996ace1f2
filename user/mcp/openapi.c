/* An MCP openapi target (the contract is openapi.h). What the gateway
 * answers itself (initialize, lists, ping) waits in a queue told from a
 * timer; a tools/call is a sg_fetchcall (the blocking client on a thread
 * of its own, heard on the loop), so a target closed mid-call only stops
 * the thread and forgets it. */
#include "user/mcp/openapi.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/pct.h"
#include "config/utf8.h"
#include "policy/status.h"
#include "user/base/base64url.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/codec/h1.h"
#include "user/core/fetchcall.h"
#include "user/core/jwksfetch.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcp.h"
#include "user/mcp/mcppolicy.h"

/* Calls waiting for a thread (and answers waiting for the loop) per
 * target, at most: a session has 64 calls in flight at most. */
#define OA_WAITING_MAX 64
/* A target whose calls wait for the process's bound looks again after. */
#define OA_RETRY_MS 50

/* Calls the process has started and not yet let go of (sg_fetchcall's). */
static atomic_int inflight;

/* ---- text ------------------------------------------------------------------------ */

/* A growing malloc'd text; `bad` once memory ran out. */
struct txt {
	char *p;
	size_t len, cap;
	bool bad;
};

/* Whether t has room for n more bytes and a NUL (grown when it had not). */
static bool room(struct txt *t, size_t n)
{
	if (t->bad)
		return false;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 128;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		if (!(p = realloc(t->p, cap))) {
			t->bad = true;
			return false;
		}
		t->p = p;
		t->cap = cap;
	}
	return true;
}

static void add(struct txt *t, const char *s, size_t n)
{
	if (!room(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void adds(struct txt *t, const char *s)
{
	add(t, s, strlen(s));
}

/* s percent-encoded as the percent-encoding crate writes it (upper-case
 * hex). */
static void add_enc(struct txt *t, const char *s, enum sg_pct_keep keep)
{
	size_t len = strlen(s);

	if (room(t, sg_pct_len(s, len, keep)))
		sg_pct_append(t->p, t->cap, &t->len, s, len, keep);
}

/* A JSON number as serde_json prints it: an integer's digits, else the
 * shortest digits that read back (cJSON keeps a double). */
static void add_num(struct txt *t, double v)
{
	char b[40];

	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(b, sizeof(b), "%.0f", v);
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(b, sizeof(b), "%.*g", prec, v);
			if (strtod(b, NULL) == v)
				break;
		}
	}
	adds(t, b);
}

/* ---- the request ------------------------------------------------------------------ */

/* The path template with args.path's values in its {templates}. */
static void add_path(struct txt *t, const char *tmpl, const struct sg_json *vals)
{
	const char *p = tmpl, *open, *close;

	while ((open = strchr(p, '{')) && (close = strchr(open + 1, '}')) && close > open + 1) {
		char name[256];
		size_t n = (size_t)(close - open - 1);
		const struct sg_json *v = NULL;
		double num;

		add(t, p, (size_t)(open - p));
		if (n < sizeof(name)) {
			memcpy(name, open + 1, n);
			name[n] = '\0';
			v = sg_json_get(vals, name);
		}
		if (sg_json_str(v))
			add_enc(t, sg_json_str(v), SG_PCT_UNRESERVED);
		else if (!sg_json_num(v, &num))
			add_num(t, num);
		else /* left as it is */
			add(t, open, n + 2);
		p = close + 1;
	}
	adds(t, p);
}

/* One key=value of the query (NULL: a value that is dropped). */
static void add_pair(struct txt *t, const char *key, const struct sg_json *v, bool *first)
{
	enum sg_json_type ty = sg_json_type(v);
	double num;

	if (ty == SG_JSON_ARRAY || ty == SG_JSON_OBJECT || ty == SG_JSON_INVALID)
		return;
	add(t, *first ? "?" : "&", 1);
	*first = false;
	add_enc(t, key, SG_PCT_ALNUM);
	if (ty == SG_JSON_NULL)
		return;
	add(t, "=", 1);
	if (ty == SG_JSON_TRUE || ty == SG_JSON_FALSE)
		adds(t, ty == SG_JSON_TRUE ? "true" : "false");
	else if (!sg_json_num(v, &num))
		add_num(t, num);
	else
		add_enc(t, sg_json_str(v), SG_PCT_ALNUM);
}

/* Whether header lines `lines` ("Name: value\r\n" each) set `name`. */
static bool has_header(const char *lines, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = lines; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : "")
		if (!strncasecmp(l, name, n) && l[n] == ':')
			return true;
	return false;
}

/* args.header's members the tool takes, as header lines after `set`. */
static void add_headers(struct txt *t, const struct sg_openapi_tool *tool,
			const struct sg_json *vals, const char *taken)
{
	static const char *const protected[] = { "host",	 "content-length",
						 "content-type", "transfer-encoding",
						 "accept",	 "user-agent",
						 "connection" };

	for (const struct sg_json *h = sg_json_first(vals); h; h = sg_json_next(h)) {
		const char *name = sg_json_key(h), *v = sg_json_str(h);
		bool allowed = false;

		for (size_t i = 0; i < tool->headers.n && !allowed; i++)
			allowed = !strcmp(tool->headers.v[i], name);
		if (!allowed || !v ||
		    !sg_h1_field_ok((struct sg_h1_span){ name, strlen(name) },
				    (struct sg_h1_span){ v, strlen(v) }))
			continue;
		for (size_t i = 0; i < sizeof(protected) / sizeof(protected[0]) && allowed; i++)
			allowed = strcasecmp(name, protected[i]) != 0;
		if (!allowed || has_header(taken, name) || has_header(t->p, name))
			continue;
		adds(t, name);
		add(t, ": ", 2);
		adds(t, v);
		add(t, "\r\n", 2);
	}
}

int sg_openapi_request(const struct sg_openapi_tool *tool, const char *prefix,
		       const struct sg_json *args, const char *taken, struct sg_openapi_req *out,
		       char *why, size_t whylen)
{
	const struct sg_json *query = sg_json_get(args, "query"), *body = sg_json_get(args, "body");
	struct txt target = { 0 }, headers = { 0 };
	size_t plen = strlen(prefix);
	bool first = true;

	*out = (struct sg_openapi_req){ 0 };
	while (plen && prefix[plen - 1] == '/')
		plen--;
	add(&target, prefix, plen);
	if (tool->path[0] != '/')
		add(&target, "/", 1);
	add_path(&target, tool->path, sg_json_get(args, "path"));
	if (sg_json_type(query) == SG_JSON_OBJECT)
		for (const struct sg_json *q = sg_json_first(query); q; q = sg_json_next(q)) {
			if (sg_json_type(q) != SG_JSON_ARRAY) {
				add_pair(&target, sg_json_key(q), q, &first);
				continue;
			}
			for (const struct sg_json *e = sg_json_first(q); e; e = sg_json_next(e))
				add_pair(&target, sg_json_key(q), e, &first);
		}
	add(&headers, "", 0);
	if (body && tool->octet) {
		const char *s = sg_json_str(body) ? sg_json_str(body) : "";
		size_t n = strlen(s);

		adds(&headers, "Content-Type: application/octet-stream\r\n");
		if (!(out->body = malloc(n * 3 / 4 + 1)))
			goto oom;
		ssize_t got = sg_base64_decode_std(s, n, (uint8_t *)out->body, n * 3 / 4 + 1);
		if (got < 0) {
			snprintf(why, whylen, "the body is not base64");
			free(target.p);
			free(headers.p);
			sg_openapi_req_free(out);
			return -EINVAL;
		}
		out->body_len = (size_t)got;
	} else if (body) {
		adds(&headers, "Content-Type: application/json\r\n");
		if (!(out->body = sg_json_print(body, SG_JSON_COMPACT)))
			goto oom;
		out->body_len = strlen(out->body);
	}
	if (sg_json_type(sg_json_get(args, "header")) == SG_JSON_OBJECT)
		add_headers(&headers, tool, sg_json_get(args, "header"), taken);
	if (target.bad || headers.bad)
		goto oom;
	out->target = target.p;
	out->headers = headers.p;
	return 0;
oom:
	free(target.p);
	free(headers.p);
	sg_openapi_req_free(out);
	return -ENOMEM;
}

void sg_openapi_req_free(struct sg_openapi_req *r)
{
	free(r->target);
	free(r->headers);
	free(r->body);
	*r = (struct sg_openapi_req){ 0 };
}

/* ---- the answer ------------------------------------------------------------------- */

/* body[0..len) as text: invalid UTF-8 (and NUL) replaced by U+FFFD, as
 * Rust's from_utf8_lossy does. Malloc'd; NULL: out of memory. */
static char *lossy(const char *body, size_t len)
{
	struct txt t = { 0 };

	if (!room(&t, sg_utf8_lossy(NULL, body, len, SG_UTF8_LOSSY_NUL)))
		return NULL;
	t.len = sg_utf8_lossy(t.p, body, len, SG_UTF8_LOSSY_NUL);
	t.p[t.len] = '\0';
	return t.p;
}

/* How much of body[0..len) a 5xx error quotes: all of it up to
 * SG_MCP_OPENAPI_ERR_BODY_MAX bytes, else that much short of the
 * character the cut would split. Quoted whole, 2 MiB of control bytes
 * escaped to a 12 MB message, over SG_JSONRPC_MAX: the hub dropped it and
 * the client waited the call's 60 s for an answer. */
static size_t quoted(const char *body, size_t len)
{
	return sg_utf8_cut(body, len, SG_MCP_OPENAPI_ERR_BODY_MAX);
}

/* The structured content a body below 500 gives. */
static struct sg_json *structured(uint16_t status, const char *body, size_t len)
{
	struct sg_json *v = len && strlen(body) == len ? sg_json_parse(body) : NULL, *o;
	char *text;

	switch (sg_json_type(v)) {
	case SG_JSON_OBJECT:
	case SG_JSON_NULL:
		return v;
	case SG_JSON_INVALID:
		break;
	default:
		if ((o = sg_json_object()))
			sg_json_add(o, "data", v);
		else
			sg_json_free(v);
		return o;
	}
	if (!(text = lossy(body, len)) || !(o = sg_json_object())) {
		free(text);
		return NULL;
	}
	sg_json_add_num(o, "code", status);
	sg_json_add_str(o, "message", text);
	free(text);
	return o;
}

char *sg_openapi_result(const char *tool, uint16_t status, const char *body, size_t len, char **err)
{
	struct sg_json *res, *o, *content, *item;
	const char *reason = sg_status_reason(status);
	char *text, *out, *b;
	size_t n;

	*err = NULL;
	if (status >= 500) {
		size_t cut = quoted(body, len);
		char more[48] = "";

		if (cut < len)
			snprintf(more, sizeof(more), "... (%zu bytes in all)", len);
		if (!(b = lossy(body, cut)))
			return NULL;
		n = strlen(tool) + strlen(b) + strlen(more) + 128;
		if ((*err = malloc(n)))
			snprintf(*err, n,
				 "Upstream API call for tool '%s' failed with status %u%s%s: %s%s",
				 tool, status, reason ? " " : "", reason ? reason : "", b, more);
		free(b);
		return NULL;
	}
	if (!(res = structured(status, body, len)))
		return NULL;
	text = sg_json_print(res, SG_JSON_COMPACT);
	o = sg_json_object();
	content = sg_json_add_array(o, "content");
	if (!text || !content || !(item = sg_json_object())) {
		free(text);
		sg_json_free(res);
		sg_json_free(o);
		return NULL;
	}
	sg_json_add_str(item, "type", "text");
	sg_json_add_str(item, "text", text);
	free(text);
	sg_json_push(content, item);
	sg_json_add(o, "structuredContent", res);
	sg_json_add_bool(o, "isError", false);
	out = sg_json_print(o, SG_JSON_COMPACT);
	sg_json_free(o);
	return out;
}

/* ---- the target --------------------------------------------------------------------- */

/* One call (a tools/call's HTTP request), waiting for its turn, then
 * made by a sg_fetchcall (on a thread of its own). The target's alone. */
struct exchange {
	struct sg_list link; /* in its target's queue, then its flight */
	struct sg_mcp_openapi *o;
	uint64_t id;
	char *tool, *url, *headers;
	struct sg_openapi_req req;
	struct sg_fetch f;
	struct sg_fetchcall *call; /* while in flight */
};

/* An answer the gateway made itself, waiting for the loop. */
struct reply {
	struct sg_list link;
	uint64_t id;
	size_t len;
	char text[];
};

struct sg_mcp_openapi {
	struct sg_loop *loop;
	const struct sg_mcp_http_ops *ops;
	void *arg;
	char *name, *base, *prefix; /* base: "http://host:port" */
	struct sg_openapi_tool *tools;
	size_t ntools;
	char *block; /* the tools' texts */
	struct sg_mcp_policy *policy;
	struct sg_list queue, flight, replies;
	size_t nqueue, nflight, nreplies;
	struct sg_timer tell, retry;
	bool closed;
	struct sg_closing closing;
};

static void exchange_free(struct exchange *x)
{
	free(x->tool);
	free(x->url);
	free(x->headers);
	sg_openapi_req_free(&x->req);
	free(x);
}

/* The hub's message: a JSON-RPC response with id to `text` (a result's
 * JSON, or with err set an error of agentgateway's for it). -EMSGSIZE: it
 * would be over SG_JSONRPC_MAX, which the hub drops (the caller fails the
 * call instead); -ENOMEM. */
static int reply(struct sg_mcp_openapi *o, uint64_t id, const char *result, int code,
		 const char *err)
{
	struct sg_json *jid = sg_json_number((double)id);
	char *text = !jid     ? NULL
		     : result ? sg_jsonrpc_result_text(jid, result)
			      : sg_jsonrpc_error_text(jid, code, err);
	size_t n = text ? strlen(text) : 0;
	struct reply *r = text && n <= SG_JSONRPC_MAX ? malloc(sizeof(*r) + n + 1) : NULL;

	sg_json_free(jid);
	if (!r) {
		free(text);
		return n > SG_JSONRPC_MAX ? -EMSGSIZE : -ENOMEM;
	}
	r->id = id;
	r->len = n;
	memcpy(r->text, text, n + 1);
	free(text);
	sg_list_insert_tail(&o->replies, &r->link);
	o->nreplies++;
	sg_timer_arm(o->loop, &o->tell, sg_loop_now(o->loop));
	return 0;
}

/* The replies waiting, to the hub (which may close o meanwhile). */
static void tell_now(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_mcp_openapi *o = t->data;
	struct sg_list *l;

	(void)loop;
	while (!o->closed && (l = sg_list_first(&o->replies))) {
		struct reply *r = SG_LIST_ENTRY(l, struct reply, link);

		sg_list_remove(l);
		o->nreplies--;
		o->ops->message(o->arg, r->text, r->len, r->id);
		free(r);
	}
}

static void pump(struct sg_mcp_openapi *o);

/* x's answer: the call's result or agentgateway's error; an API that
 * could not be asked, or an answer that makes a message the hub would
 * drop (over SG_JSONRPC_MAX), fails the call. */
static void heard(struct sg_mcp_openapi *o, struct exchange *x, int rc,
		  const struct sg_fetched *got, const char *why)
{
	char *res, *err, *msg = NULL;
	size_t n;

	if (rc < 0) {
		SG_INFO("mcp target %s: %s %s: %s", o->name, x->f.method, x->url, why);
		o->ops->failed(o->arg, x->id, why);
		return;
	}
	res = sg_openapi_result(x->tool, got->status, got->body ? got->body : "", got->len, &err);
	if (res) {
		rc = reply(o, x->id, res, 0, NULL);
		why = "its answer makes a result over 4 MiB";
	} else if (err) {
		n = strlen(err) + 64;
		if ((msg = malloc(n)))
			snprintf(msg, n, "failed to send message: openapi upstream error: %s", err);
		rc = msg ? reply(o, x->id, NULL, SG_JSONRPC_INTERNAL_ERROR, msg) : -ENOMEM;
		why = "its error makes a message over 4 MiB";
	} else {
		rc = -ENOMEM;
	}
	if (rc)
		o->ops->failed(o->arg, x->id, rc == -EMSGSIZE ? why : "out of memory");
	free(res);
	free(msg);
	free(err);
}

/* x's call ended, on the loop. */
static void done(void *arg, int rc, const struct sg_fetched *got, const char *why)
{
	struct exchange *x = arg;
	struct sg_mcp_openapi *o = x->o;

	sg_list_remove(&x->link);
	o->nflight--;
	heard(o, x, rc, got, why);
	exchange_free(x);
	if (!o->closed)
		pump(o);
}

static void drop_policy(void *p)
{
	sg_mcp_policy_unref(p);
}

/* x's call started (it holds a reference on the policy whose TLS settings
 * it reads): 0, -EAGAIN when the process has none to spare, or a
 * negative errno. */
static int start(struct sg_mcp_openapi *o, struct exchange *x)
{
	x->f.tls = sg_mcp_policy_tls(o->policy);
	sg_mcp_policy_ref(o->policy);
	x->call = sg_fetchcall_start_held(o->loop, &x->f, done, x, &inflight,
					  SG_MCP_OPENAPI_THREADS_MAX, drop_policy, o->policy);
	if (!x->call)
		return -errno;
	sg_list_remove(&x->link);
	sg_list_insert_tail(&o->flight, &x->link);
	o->nqueue--;
	o->nflight++;
	return 0;
}

static void retry_pump(struct sg_loop *loop, struct sg_timer *t)
{
	(void)loop;
	pump(t->data);
}

/* Start what waits, in order, while the bounds allow. */
static void pump(struct sg_mcp_openapi *o)
{
	struct sg_list *l;

	while (!o->closed && o->nflight < SG_MCP_OPENAPI_PER_TARGET &&
	       (l = sg_list_first(&o->queue))) {
		struct exchange *x = SG_LIST_ENTRY(l, struct exchange, link);
		int rc = start(o, x);

		if (rc == -EAGAIN) {
			sg_timer_arm(o->loop, &o->retry, sg_loop_now(o->loop) + OA_RETRY_MS);
			return;
		}
		if (rc) {
			sg_list_remove(l);
			o->nqueue--;
			o->ops->failed(o->arg, x->id, "the gateway could not start its request");
			exchange_free(x);
		}
	}
}

/* The lines of `lines` whose name neither `a` nor `b` sets (malloc'd,
 * NULL: out of memory). */
static char *lines_without(const char *lines, const char *a, const char *b)
{
	struct txt t = { 0 };

	add(&t, "", 0);
	for (const char *l = lines; l && *l;) {
		const char *end = strstr(l, "\r\n"), *colon = strchr(l, ':');
		size_t n = end ? (size_t)(end - l) + 2 : strlen(l);
		char name[256];

		if (colon && colon < l + n && (size_t)(colon - l) < sizeof(name)) {
			memcpy(name, l, (size_t)(colon - l));
			name[colon - l] = '\0';
			if (!has_header(a, name) && !has_header(b, name))
				add(&t, l, n);
		}
		l += n;
	}
	if (t.bad) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

/* tools/call of m: its exchange queued; an answer the gateway can give
 * at once (no such tool, a body that is not base64) replied instead. The
 * request's headers: the body's Content-Type, the policy's credentials,
 * the client's (but those two), the arguments' (but all those). */
static int call(struct sg_mcp_openapi *o, const struct sg_jsonrpc *m, uint64_t id,
		const char *client)
{
	const char *name = sg_json_str(sg_json_get(m->params, "name"));
	const struct sg_json *args = sg_json_get(m->params, "arguments");
	const struct sg_openapi_tool *tool = NULL;
	const char *policy = sg_mcp_policy_headers(o->policy);
	char why[128], msg[400], *theirs = NULL, *taken = NULL, *full;
	struct exchange *x;
	size_t n;
	int rc;

	for (size_t i = 0; name && i < o->ntools && !tool; i++)
		if (!strcmp(o->tools[i].name, name))
			tool = &o->tools[i];
	if (!tool) {
		snprintf(msg, sizeof(msg),
			 "failed to send message: openapi upstream error: tool %s not found",
			 name ? name : "");
		return reply(o, id, NULL, SG_JSONRPC_INTERNAL_ERROR, msg);
	}
	if (!(x = calloc(1, sizeof(*x))))
		return -ENOMEM;
	x->o = o;
	x->id = id;
	rc = -ENOMEM;
	if (!(theirs = lines_without(client, policy, "Content-Type: \r\n")) ||
	    !(taken = malloc(strlen(policy) + strlen(theirs) + 1)))
		goto fail;
	sprintf(taken, "%s%s", policy, theirs);
	rc = sg_openapi_request(tool, o->prefix, sg_json_type(args) == SG_JSON_OBJECT ? args : NULL,
				taken, &x->req, why, sizeof(why));
	if (rc == -EINVAL) {
		exchange_free(x);
		free(theirs);
		free(taken);
		snprintf(msg, sizeof(msg), "failed to send message: openapi upstream error: %s",
			 why);
		return reply(o, id, NULL, SG_JSONRPC_INTERNAL_ERROR, msg);
	}
	n = strlen(o->base) + (rc ? 0 : strlen(x->req.target)) + 1;
	if (rc || !(x->tool = strdup(tool->name)) || !(x->url = malloc(n)) ||
	    !(x->headers = malloc(strlen(x->req.headers) + strlen(taken) + 1))) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(x->url, n, "%s%s", o->base, x->req.target);
	if (!(full = sg_mcp_policy_url(o->policy, x->url)))
		goto fail;
	free(x->url);
	x->url = full;
	sprintf(x->headers, "%s%s", x->req.headers, taken);
	free(theirs);
	free(taken);
	x->f = (struct sg_fetch){
		.method = tool->method,
		.url = x->url,
		.headers = x->headers,
		.body = x->req.body,
		.body_len = x->req.body_len,
		.timeout_ms = SG_MCP_CALL_MS,
		.accept = "application/json",
		.max_body = SG_MCP_OPENAPI_BODY_MAX,
	};
	sg_list_insert_tail(&o->queue, &x->link);
	o->nqueue++;
	pump(o);
	return 0;
fail:
	exchange_free(x);
	free(theirs);
	free(taken);
	return -ENOMEM;
}

/* The initialize result: the version the client asked (when it names
 * one) and the tools capability, as agentgateway's ServerInfo says. */
static int initialized(struct sg_mcp_openapi *o, const struct sg_jsonrpc *m, uint64_t id)
{
	const char *v = sg_json_str(sg_json_get(m->params, "protocolVersion"));
	char res[256];

	if (!v || strlen(v) > 32 || strspn(v, "0123456789-") != strlen(v))
		v = "2025-06-18";
	snprintf(res, sizeof(res),
		 "{\"protocolVersion\":\"%s\",\"capabilities\":{\"tools\":{}},"
		 "\"serverInfo\":{\"name\":\"splicegate\",\"version\":\"1.0\"}}",
		 v);
	return reply(o, id, res, 0, NULL);
}

static int tools_list(struct sg_mcp_openapi *o, uint64_t id)
{
	struct txt t = { 0 };
	int rc;

	adds(&t, "{\"tools\":[");
	for (size_t i = 0; i < o->ntools; i++) {
		if (i)
			add(&t, ",", 1);
		adds(&t, o->tools[i].json);
	}
	adds(&t, "]}");
	rc = t.bad ? -ENOMEM : reply(o, id, t.p, 0, NULL);
	free(t.p);
	return rc;
}

/* What agentgateway's openapi handler answers empty. */
static const struct {
	const char *method, *result;
} empties[] = {
	{ "prompts/list", "{\"prompts\":[]}" },
	{ "resources/list", "{\"resources\":[]}" },
	{ "resources/templates/list", "{\"resourceTemplates\":[]}" },
	{ "resources/read", "{\"contents\":[]}" },
	{ "prompts/get", "{\"messages\":[]}" },
	{ "ping", "{}" },
	{ "logging/setLevel", "{}" },
	{ "resources/subscribe", "{}" },
	{ "resources/unsubscribe", "{}" },
};

int sg_mcp_openapi_send(struct sg_mcp_openapi *o, const char *msg, size_t len, uint64_t id,
			const char *client)
{
	struct sg_jsonrpc m;
	const char *why;
	char text[160];
	int rc;

	if (o->nqueue + o->nreplies >= OA_WAITING_MAX)
		return -ENOBUFS;
	rc = sg_jsonrpc_parse(msg, len, &m, &why);
	if (rc) {
		sg_json_free(m.root);
		return rc == -ENOMEM ? -ENOMEM : 0; /* the hub's own text: cannot be wrong */
	}
	if (m.kind != SG_JSONRPC_REQUEST || !id) {
		sg_jsonrpc_free(&m);
		return 0;
	}
	if (!strcmp(m.method, "initialize"))
		rc = initialized(o, &m, id);
	else if (!strcmp(m.method, "tools/list"))
		rc = tools_list(o, id);
	else if (!strcmp(m.method, "tools/call"))
		rc = call(o, &m, id, client);
	else {
		rc = 1;
		for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]) && rc == 1; i++)
			if (!strcmp(m.method, empties[i].method))
				rc = reply(o, id, empties[i].result, 0, NULL);
		if (rc == 1) {
			snprintf(text, sizeof(text), "method not found: %.100s", m.method);
			rc = reply(o, id, NULL, SG_JSONRPC_METHOD_NOT_FOUND, text);
		}
	}
	sg_jsonrpc_free(&m);
	return rc;
}

/* t's tools copied into one block: o->tools, o->block. */
static int copy_tools(struct sg_mcp_openapi *o, const struct sg_mcp_target *t)
{
	size_t n = 0, nh = 0;
	const char **hv;
	char *p;

	for (size_t i = 0; i < t->ntools; i++) {
		const struct sg_openapi_tool *s = &t->tools[i];

		n += strlen(s->name) + strlen(s->json) + strlen(s->method) + strlen(s->path) + 4;
		for (size_t k = 0; k < s->headers.n; k++)
			n += strlen(s->headers.v[k]) + 1;
		nh += s->headers.n;
	}
	o->tools = calloc(t->ntools ? t->ntools : 1, sizeof(*o->tools));
	o->block = malloc(n + nh * sizeof(char *) + 1);
	if (!o->tools || !o->block)
		return -ENOMEM;
	hv = (const char **)(void *)o->block;
	p = o->block + nh * sizeof(char *);
	for (size_t i = 0; i < t->ntools; i++) {
		const struct sg_openapi_tool *s = &t->tools[i];
		struct sg_openapi_tool *d = &o->tools[i];

		d->octet = s->octet;
		d->name = p;
		p = stpcpy(p, s->name) + 1;
		d->json = p;
		p = stpcpy(p, s->json) + 1;
		d->method = p;
		p = stpcpy(p, s->method) + 1;
		d->path = p;
		p = stpcpy(p, s->path) + 1;
		d->headers = (struct sg_strs){ hv, s->headers.n, s->headers.n };
		for (size_t k = 0; k < s->headers.n; k++) {
			*hv++ = p;
			p = stpcpy(p, s->headers.v[k]) + 1;
		}
	}
	o->ntools = t->ntools;
	return 0;
}

static void free_openapi(struct sg_closing *c)
{
	struct sg_mcp_openapi *o =
		(struct sg_mcp_openapi *)((char *)c - offsetof(struct sg_mcp_openapi, closing));

	free(o->name);
	free(o->base);
	free(o->prefix);
	free(o->tools);
	free(o->block);
	sg_mcp_policy_unref(o->policy);
	free(o);
}

int sg_mcp_openapi_open(struct sg_loop *loop, const struct sg_mcp_target *t,
			const struct sg_mcp_http_ops *ops, void *arg, struct sg_mcp_openapi **out)
{
	struct sg_mcp_openapi *o = calloc(1, sizeof(*o));
	size_t n = strlen(t->addr) + 32;

	if (!o)
		return -ENOMEM;
	o->loop = loop;
	o->ops = ops;
	o->arg = arg;
	sg_list_init(&o->queue);
	sg_list_init(&o->flight);
	sg_list_init(&o->replies);
	sg_timer_init(&o->tell, tell_now, o);
	sg_timer_init(&o->retry, retry_pump, o);
	if (!(o->name = strdup(t->name)) || !(o->prefix = strdup(t->api_prefix)) ||
	    !(o->base = malloc(n)) || copy_tools(o, t) || sg_mcp_policy_new(t, &o->policy)) {
		o->closed = true;
		free_openapi(&o->closing);
		return -ENOMEM;
	}
	snprintf(o->base, n, "%s://%s%s%s:%u", t->tls ? "https" : "http",
		 strchr(t->addr, ':') ? "[" : "", t->addr, strchr(t->addr, ':') ? "]" : "",
		 t->port);
	*out = o;
	return 0;
}

void sg_mcp_openapi_close(struct sg_mcp_openapi *o)
{
	struct sg_list *l;

	if (!o || o->closed)
		return;
	o->closed = true;
	sg_timer_stop(o->loop, &o->tell);
	sg_timer_stop(o->loop, &o->retry);
	while ((l = sg_list_first(&o->replies))) {
		sg_list_remove(l);
		free(SG_LIST_ENTRY(l, struct reply, link));
	}
	while ((l = sg_list_first(&o->queue))) {
		sg_list_remove(l);
		exchange_free(SG_LIST_ENTRY(l, struct exchange, link));
	}
	while ((l = sg_list_first(&o->flight))) {
		struct exchange *x = SG_LIST_ENTRY(l, struct exchange, link);

		sg_list_remove(l);
		sg_fetchcall_cancel(x->call); /* its thread stops where it waits */
		exchange_free(x);
	}
	sg_loop_defer_close(o->loop, &o->closing, free_openapi);
}

unsigned sg_mcp_openapi_wait(int ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; atomic_load(&inflight) && waited < ms; waited += 10)
		nanosleep(&nap, NULL);
	return (unsigned)atomic_load(&inflight);
}
