/* The MCP endpoint (the contract is mcp.h): the hub's sessions and calls,
 * each one client request waiting for its targets (or a GET's stream);
 * every reply is told from a timer callback, never from inside
 * sg_mcp_hub_call. The targets themselves, and what they send the client,
 * are mcptarget.c's (the two share mcptarget.h). Beside them, the two ends a
 * worker runs on its own thread: the ask read from a request, and the
 * reply written to it. */
#include "user/mcp/mcp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "user/base/list.h"
#include "user/base/log.h"
#include "user/codec/sse.h"
#include "user/core/request.h"
#include "user/core/srclimit.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcptarget.h"
#include "user/mcp/mcphttp.h"
#include "user/mcp/mcpreplay.h"
#include "user/mcp/merge.h"
#include "user/mcp/openapi.h"
#include "user/mcp/stdio.h"

/* ---- sessions ------------------------------------------------------------- */

static void answer_later(struct call *c, uint16_t status, char *body);
static void call_error(struct call *c, uint16_t status, int code, const char *msg);

static void get_end(struct session *s);

void sg_mcp_session_end(struct session *s)
{
	struct sg_list *l;

	get_end(s);
	for (size_t k = 0; k < SG_MCP_UPREQS_MAX; k++)
		free(s->ups[k].orig);
	while ((l = sg_list_first(&s->calls))) {
		struct call *c = (struct call *)((char *)l - offsetof(struct call, link));

		sg_list_remove(&c->link);
		sg_list_init(&c->link);
		c->s = NULL;
		call_error(c, 200, SG_JSONRPC_SESSION_ERROR, "the session ended");
	}
	for (size_t i = 0; i < s->n; i++) {
		struct target *t = &s->targets[i];

		sg_mcp_target_kill(t);
		sg_mcp_http_close(t->http);
		sg_mcp_openapi_close(t->api);
		sg_timer_stop(s->hub->loop, &t->restart);
		sg_timer_stop(s->hub->loop, &t->hs_timer);
		sg_mcp_held_drop(t);
		free(t->conf);
		free(s->names[i]);
	}
	sg_timer_stop(s->hub->loop, &s->idle);
	sg_list_remove(&s->link);
	s->hub->nsessions--;
	sg_srclimit_release(s->hub->src_sessions, s->source);
	sg_mcp_replay_free(&s->replay);
	free(s->init);
	free(s->names);
	free(s->targets);
	free(s->route);
	free(s->caller);
	free(s);
}

void sg_mcp_session_idle(struct sg_loop *loop, struct sg_timer *t)
{
	struct session *s = t->data;

	(void)loop;
	if (!sg_list_empty(&s->calls)) { /* busy: not idle */
		sg_timer_arm(s->hub->loop, &s->idle,
			     sg_loop_now(s->hub->loop) + SG_MCP_SESSION_IDLE_MS);
		return;
	}
	SG_INFO("mcp session %s: idle for %d s: ended", s->id, SG_MCP_SESSION_IDLE_MS / 1000);
	sg_mcp_session_end(s);
}

/* The ready session `id` of route `route` begun by `caller` (NULL: ""
 * each), or NULL. Another route's is none: its policies (authentication,
 * mcpAuthorization) are not the ones its session began under, as
 * agentgateway's session is its backend's alone. Nor is another caller's
 * (sg_mcp_ask's caller). */
static struct session *session_find(struct sg_mcp_hub *hub, const char *id, const char *route,
				    const char *caller)
{
	for (struct sg_list *l = hub->sessions.next; l != &hub->sessions; l = l->next) {
		struct session *s = (struct session *)((char *)l - offsetof(struct session, link));

		if (s->ready && !strcmp(s->id, id) && !strcmp(s->route, route ? route : "") &&
		    !strcmp(s->caller, caller ? caller : ""))
			return s;
	}
	return NULL;
}

/* s names its targets as m does (the same, in the same order, prefixed
 * alike). The worker decides mcpAuthorization on the names of the
 * route's config, the session routes by its own: after a reload that
 * changed them, a tool refused by one name could be called by another. */
static bool named_alike(const struct session *s, const struct sg_mcp_backend *m)
{
	if (s->n != m->n || s->prefix != sg_mcp_prefixed(m))
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], m->targets[i].name))
			return false;
	return true;
}

/* The session ask names, of its route and its caller, named as its
 * route's backend names its targets; NULL: none (unknown, ended, another
 * route's or caller's, or one a reload changed the targets of: the
 * client begins another). */
static struct session *session_of(struct sg_mcp_hub *hub, const struct sg_mcp_ask *ask)
{
	struct session *s =
		ask->has_sid ? session_find(hub, ask->sid, ask->route, ask->caller) : NULL;

	return s && named_alike(s, ask->m) ? s : NULL;
}

/* The call of s waiting for target i's response `id`, or NULL. */
struct call *sg_mcp_waiting_for(struct session *s, size_t i, uint64_t id)
{
	for (struct sg_list *l = s->calls.next; l != &s->calls; l = l->next) {
		struct call *c = (struct call *)((char *)l - offsetof(struct call, link));

		if (c->ids[i] == id)
			return c;
	}
	return NULL;
}

/* ---- answers -------------------------------------------------------------- */

/* The session's HTTP targets' own GET streams, opened while the client
 * has its GET stream open (agentgateway's fan-out of a GET), or closed. */
static void targets_listen(struct session *s, bool on)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->targets[i].dead)
			sg_mcp_http_listen(s->targets[i].http, on);
}

static void free_call(struct sg_closing *cl)
{
	struct call *c = (struct call *)((char *)cl - offsetof(struct call, closing));

	sg_jsonrpc_free(&c->msg);
	free(c->got);
	free(c->ids);
	free(c->body);
	free(c->tc);
	free(c->headers);
	free(c);
}

/* The call stops waiting: out of its session, its timer stopped. */
static void call_over(struct call *c)
{
	if (c->over)
		return;
	c->over = true;
	if (c->gs) { /* a GET given up (its client left): its stream ends */
		struct session *s = c->gs;

		s->get = NULL;
		c->gs = NULL;
		targets_listen(s, false);
		if (s->legacy)
			sg_mcp_session_end(s);
	}
	sg_list_remove(&c->all);
	sg_timer_stop(c->hub->loop, &c->timer);
	if (c->s) {
		sg_list_remove(&c->link);
		c->s->ncalls--;
	}
	for (size_t i = 0; c->got && i < c->n; i++)
		sg_jsonrpc_free(&c->got[i]);
	free(c->got);
	c->got = NULL;
	c->s = NULL;
	sg_loop_defer_close(c->hub->loop, &c->closing, free_call);
}

static struct sg_h1_span span(const char *s)
{
	return (struct sg_h1_span){ s, strlen(s) };
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* msg went to target i for c (traced): its span begins. */
static void tcall_begin(struct call *c, size_t i, const struct sg_jsonrpc *msg)
{
	struct sg_mcp_tcall *tc = &c->tc[i];
	const char *tool = sg_json_str(sg_json_get(msg->params, "name"));

	snprintf(tc->target, sizeof(tc->target), "%s", c->s->names[i]);
	snprintf(tc->method, sizeof(tc->method), "%s", msg->method);
	if (!strcmp(msg->method, "tools/call") && tool)
		snprintf(tc->tool, sizeof(tc->tool), "%s", tool);
	tc->start_ns = wall_ns();
}

/* Target i's part of c ended: m its response (NULL: it failed, why in
 * its target). */
static void tcall_end(struct call *c, size_t i, const struct sg_jsonrpc *m)
{
	struct sg_mcp_tcall *tc = &c->tc[i];
	const char *why = m && m->error ? sg_json_str(sg_json_get(m->error, "message")) : NULL;

	if (!tc->start_ns || tc->end_ns)
		return;
	tc->end_ns = wall_ns();
	if (!m || m->error)
		snprintf(tc->error, sizeof(tc->error), "%s",
			 why			? why
			 : c->s->targets[i].why ? c->s->targets[i].why
						: "failed");
}

/* c's spans handed to its reply: a target still waited for when c was
 * answered ends now. */
static void tcalls_hand(struct call *c, struct sg_mcp_reply *rep)
{
	for (size_t i = 0; c->tc && i < c->n; i++)
		if (c->tc[i].start_ns && !c->tc[i].end_ns) {
			c->tc[i].end_ns = wall_ns();
			snprintf(c->tc[i].error, sizeof(c->tc[i].error), "%s",
				 "the call was answered before it");
		}
	rep->tcalls = c->tc;
	rep->ntcalls = c->tc ? c->n : 0;
	c->tc = NULL;
}

static void answer_now(struct sg_loop *loop, struct sg_timer *t)
{
	struct call *c = t->data;
	struct session *s = c->init_s;
	struct sg_mcp_reply rep = { .status = c->status, .body = c->body, .allow = c->allow };

	(void)loop;
	tcalls_hand(c, &rep);
	c->init_s = NULL;
	c->body = NULL;
	if (s && !s->ready) { /* initialize failed: its children go */
		sg_mcp_session_end(s);
		s = NULL;
	}
	if (s)
		memcpy(rep.sid, s->id, sizeof(rep.sid));
	if (!c->done(c->data, &rep) && s) /* its client left: no one knows the id */
		sg_mcp_session_end(s);
	call_over(c);
}

/* Answer status with body (malloc'd, taken; NULL: none) from the loop. */
static void answer_later(struct call *c, uint16_t status, char *body)
{
	if (c->body || c->status) { /* answered already */
		free(body);
		return;
	}
	c->status = status;
	c->body = body;
	sg_timer_arm(c->hub->loop, &c->timer, sg_loop_now(c->hub->loop));
}

static void call_error(struct call *c, uint16_t status, int code, const char *msg)
{
	answer_later(c, status, sg_jsonrpc_error_text(c->msg.id, code, msg));
}

static void call_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	struct call *c = t->data;

	(void)loop;
	if (c->status) {
		answer_now(loop, t);
		return;
	}
	call_error(c, 200, SG_JSONRPC_TARGET_ERROR, "the MCP targets did not answer in time");
}

/* ---- fan-out -------------------------------------------------------------- */

/* The target's failure as the client's error text: "target NAME: WHY". */
static void target_error(struct call *c, size_t i, const struct sg_jsonrpc *m)
{
	char msg[256];
	const char *why = m && m->error ? sg_json_str(sg_json_get(m->error, "message")) : NULL;

	double code = 0;

	if (m && m->error && c->op != CALL_LIST && c->op != CALL_INIT) {
		/* an openapi target's failed call is agentgateway's SendError:
		 * HTTP 500 with the JSON-RPC error */
		sg_json_num(sg_json_get(m->error, "code"), &code);
		answer_later(c,
			     c->s->targets[i].api && code == SG_JSONRPC_INTERNAL_ERROR ? 500 : 200,
			     sg_jsonrpc_reply_text(c->msg.id, m));
		return;
	}
	snprintf(msg, sizeof(msg), "target %s: %s", c->s->names[i],
		 why			? why
		 : c->s->targets[i].why ? c->s->targets[i].why
					: "failed");
	/* a notification has no id to answer with: an HTTP error, as MCP says */
	call_error(c, c->op == CALL_NOTE ? 500 : 200, SG_JSONRPC_TARGET_ERROR, msg);
}

static void merged(struct call *c)
{
	struct session *s = c->s;
	struct sg_mcp_part parts[64];
	size_t n = s->n < 64 ? s->n : 64;
	const char *want = sg_json_str(sg_json_get(c->msg.params, "protocolVersion"));
	char *res;

	for (size_t i = 0; i < n; i++) {
		parts[i].name = s->names[i];
		parts[i].result = c->got[i].result;
		if (!parts[i].result && !s->fail_open) {
			target_error(c, i, c->got[i].root ? &c->got[i] : NULL);
			return;
		}
	}
	res = c->op == CALL_INIT ? sg_mcp_merge_initialize(parts, n, want)
				 : sg_mcp_merge_list(parts, n, c->key, c->field, s->prefix);
	if (!res) {
		call_error(c, 200, SG_JSONRPC_TARGET_ERROR, "no MCP target answered");
		return;
	}
	if (c->op == CALL_INIT && !s->stateless)
		s->ready = true;
	if (c->op == CALL_INIT && s->legacy && s->get)
		targets_listen(s, true); /* their sessions are known now */
	answer_later(c, 200, sg_jsonrpc_result_text(c->msg.id, res));
	free(res);
}

/* Target i answered c (m, taken) or is gone (m NULL). */
void sg_mcp_target_response(struct call *c, size_t i, struct sg_jsonrpc *m)
{
	if (c->tc)
		tcall_end(c, i, m);
	c->ids[i] = 0;
	c->waiting--;
	if (m)
		c->got[i] = *m;
	if (c->op == CALL_ONE || (c->op == CALL_FIRST && m && m->result)) {
		if (m && m->result)
			answer_later(c, 200, sg_jsonrpc_reply_text(c->msg.id, m));
		else
			target_error(c, i, m);
	}
	if (c->op == CALL_NOTE && !m && !c->s->fail_open) /* any answer to the ping will do */
		target_error(c, i, NULL);
	if (c->waiting)
		return;
	if (c->op == CALL_INIT || c->op == CALL_LIST)
		merged(c);
	else if (c->op == CALL_NOTE)
		answer_later(c, 202, NULL); /* nothing when an error answered */
	else if (!c->status)		    /* CALL_FIRST with no success: the first failure */
		for (size_t k = 0; k < c->s->n && !c->status; k++)
			target_error(c, k, c->got[k].root ? &c->got[k] : NULL);
	if (c->s && !c->over) { /* no longer waiting on the session */
		sg_list_remove(&c->link);
		sg_list_init(&c->link);
		c->s->ncalls--;
		c->s = NULL;
	}
}

/* Send msg (its method and params; text: with params rewritten, NULL: as
 * it came) to target i with a new id, waited for by c. */
static bool send_to(struct call *c, size_t i, const struct sg_jsonrpc *msg)
{
	struct target *t = &c->s->targets[i];
	uint64_t id = ++c->s->next_id;
	char *text;
	int rc;

	if (t->dead)
		return false;
	if (!t->started && !sg_mcp_target_begin(t, c->op == CALL_INIT))
		return false;
	if (msg->kind != SG_JSONRPC_REQUEST)
		id = 0;
	text = sg_jsonrpc_with_id(msg, id);
	c->hub->sending = c->headers;
	rc = text ? sg_mcp_target_send(t, text, strlen(text), id, c->op == CALL_INIT) : -ENOMEM;
	if (rc == -EPIPE && t->down) /* it went just now: the message waits for its restart */
		rc = sg_mcp_target_send(t, text, strlen(text), id, c->op == CALL_INIT);
	c->hub->sending = NULL;
	free(text);
	if (rc)
		return false;
	if (msg->kind == SG_JSONRPC_REQUEST && c->tc)
		tcall_begin(c, i, msg);
	if (msg->kind == SG_JSONRPC_REQUEST) {
		c->ids[i] = id;
		c->waiting++;
	}
	return true;
}

/* ---- requests ------------------------------------------------------------- */

static const struct {
	const char *method, *key;
} lists[] = {
	{ "tools/list", "tools" },
	{ "prompts/list", "prompts" },
	{ "resources/list", "resources" },
	{ "resources/templates/list", "resourceTemplates" },
};

/* tools/call, prompts/get, a prompt's completion/complete: the target
 * the prefix of `holder`'s name names (holder: the params, or their ref),
 * the name without it written back into the message. -1: none. */
static int route_by_name(struct call *c, struct sg_json *holder)
{
	struct session *s = c->s;
	const char *name = sg_json_str(sg_json_get(holder, "name")), *rest;
	char *copy;
	int i;

	if (!name)
		return -1;
	if (!s->prefix)
		return s->n == 1 ? 0 : -1;
	if ((i = sg_mcp_unprefix((const char *const *)s->names, s->n, name, &rest)) < 0)
		return -1;
	if (!(copy = strdup(rest)))
		return -1;
	sg_json_remove(holder, "name");
	sg_json_add_str(holder, "name", copy);
	free(copy);
	return i;
}

static void fan_out(struct call *c, enum call_op op)
{
	struct session *s = c->s;

	c->op = op;
	for (size_t i = 0; i < s->n; i++)
		if (!send_to(c, i, &c->msg) && !s->fail_open && op != CALL_FIRST) {
			target_error(c, i, NULL);
			return;
		}
	if (!c->waiting)
		call_error(c, 200, SG_JSONRPC_TARGET_ERROR, "no MCP target is running");
}

/* A stateless backend's notification goes on as agentgateway sends it:
 * every target started and initialized by the gateway, then given it. A
 * ping follows it to each, whose answer tells that the target read it
 * before the request's end kills its process (a stdio target killed with
 * the notification in its pipe would never see it); 202 once each
 * answered, 500 when one is gone first (unless failOpen). */
static void note_all(struct call *c)
{
	static const char text[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"ping\"}";
	struct sg_jsonrpc ping;
	const char *why;

	c->op = CALL_NOTE;
	if (sg_jsonrpc_parse(text, sizeof(text) - 1, &ping, &why)) {
		sg_json_free(ping.root);
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->s->n; i++)
		if ((!send_to(c, i, &c->msg) || !send_to(c, i, &ping)) && !c->s->fail_open) {
			target_error(c, i, NULL);
			break;
		}
	sg_jsonrpc_free(&ping);
	if (!c->waiting)
		answer_later(c, 202, NULL); /* nothing when an error answered */
}

/* What names the one target of c's request: its params for tools/call
 * and prompts/get, their ref for the completion of a prompt's argument
 * (agentgateway routes it as prompts/get). NULL: no one target. */
static struct sg_json *named_by(const struct call *c)
{
	const char *method = c->msg.method;
	struct sg_json *params = sg_json_get(c->msg.root, "params");
	struct sg_json *ref = sg_json_get(params, "ref");
	const char *type = sg_json_str(sg_json_get(ref, "type"));

	if (!strcmp(method, "tools/call") || !strcmp(method, "prompts/get"))
		return params;
	if (!strcmp(method, "completion/complete") && type && !strcmp(type, "ref/prompt"))
		return ref;
	return NULL;
}

/* notifications/cancelled names the client's id of one of its requests:
 * each target that request waits on is told the id the gateway gave it
 * there, which is all it knows (told the client's, it cancelled nothing,
 * or another request of the session). One that names no request waiting
 * goes nowhere. */
static void cancel_on(struct call *c)
{
	struct session *s = c->s;
	struct sg_json *params = sg_json_get(c->msg.root, "params");
	const struct sg_json *id = sg_json_get(params, "requestId");
	struct call *w = NULL;
	struct sg_list *l;

	SG_LIST_FOR_EACH(l, &s->calls) {
		struct call *o = SG_LIST_ENTRY(l, struct call, link);

		if (o != c && id && o->msg.id && sg_mcp_same_id(o->msg.id, id))
			w = o;
	}
	for (size_t i = 0; w && i < s->n; i++) {
		if (!w->ids[i])
			continue;
		sg_json_remove(params, "requestId");
		sg_json_add_num(params, "requestId", (double)w->ids[i]);
		send_to(c, i, &c->msg);
	}
}

/* A request (or notification) of a session, to its targets. */
static void dispatch(struct call *c)
{
	const char *method = c->msg.method;
	struct sg_json *holder;
	int i;

	if (c->msg.kind == SG_JSONRPC_NOTIFICATION && c->s->stateless) {
		note_all(c);
		return;
	}
	if (c->msg.kind == SG_JSONRPC_NOTIFICATION) {
		if (!strcmp(method, "notifications/cancelled"))
			cancel_on(c);
		else
			for (size_t k = 0; k < c->s->n; k++)
				send_to(c, k, &c->msg);
		answer_later(c, 202, NULL);
		return;
	}
	if (!strcmp(method, "ping")) {
		answer_later(c, 200, sg_jsonrpc_result_text(c->msg.id, "{}"));
		return;
	}
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		if (!strcmp(method, lists[k].method)) {
			c->key = lists[k].key;
			c->field = "name";
			fan_out(c, CALL_LIST);
			return;
		}
	if ((holder = named_by(c))) {
		c->op = CALL_ONE;
		if ((i = route_by_name(c, holder)) < 0)
			call_error(c, 200, SG_JSONRPC_INVALID_PARAMS,
				   "the name does not start with a target's name and \"_\"");
		else if (!send_to(c, (size_t)i, &c->msg))
			target_error(c, (size_t)i, NULL);
		return;
	}
	fan_out(c, c->s->n == 1 ? CALL_ONE : CALL_FIRST);
}

static const char *const versions[] = { "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25" };

static bool version_known(const struct sg_h1_span *v)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (v->len == strlen(versions[i]) && !memcmp(v->p, versions[i], v->len))
			return true;
	return false;
}

/* An MCP-Protocol-Version the gateway does not speak, on any method of a
 * session: c answered 400, true. */
static bool version_refused(struct call *c, const struct sg_mcp_ask *ask)
{
	if (!ask->version_unknown)
		return false;
	call_error(c, 400, SG_JSONRPC_INVALID_REQUEST,
		   "MCP-Protocol-Version names a version the gateway does not speak");
	return true;
}

/* The client's initialize params kept in s, for a target restarted
 * later. False when out of memory. */
static bool keep_init(struct session *s, const struct sg_jsonrpc *msg)
{
	s->init = msg->params ? sg_json_print(msg->params, SG_JSON_COMPACT) : strdup("{}");
	return s->init != NULL;
}

/* Room for one more session, of ask's client address: the gateway's
 * bound, and that address's share of it (SG_MCP_SESSIONS_PER_SOURCE).
 * False: c is answered 503 -32001, `full` when the gateway is full, else
 * `mine` (agentgateway bounds neither: as the gateway's bound answers). */
static bool session_room(struct call *c, const struct sg_mcp_ask *ask, const char *full,
			 const char *mine)
{
	bool room = c->hub->nsessions < SG_MCP_SESSIONS_MAX;

	if (room &&
	    sg_srclimit_count(c->hub->src_sessions, ask->source) < SG_MCP_SESSIONS_PER_SOURCE)
		return true;
	call_error(c, 503, SG_JSONRPC_SESSION_ERROR, room ? mine : full);
	return false;
}

/* statefulMode: stateless (agentgateway's): each request is served on
 * its own, by a session of its own that no id names and that ends with
 * its answer, its targets started as the request needs them (a tool's
 * call starts its target alone) and initialized by the gateway first,
 * notifications too (note_all); responses have nothing to go to, since
 * no target's request is relayed in such a session: 202. False when c
 * is answered already; else c->s and c->init_s are the session. */
static bool stateless_session(struct call *c, const struct sg_mcp_ask *ask)
{
	struct sg_mcp_hub *hub = c->hub;
	struct session *s;

	if (version_refused(c, ask))
		return false;
	if (c->msg.kind == SG_JSONRPC_RESPONSE) { /* no target's request was relayed */
		answer_later(c, 202, NULL);
		return false;
	}
	if (!session_room(c, ask, "too many MCP requests in flight",
			  "too many MCP requests in flight from this client address"))
		return false;
	if (!(s = sg_mcp_session_new(hub, ask, true))) {
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return false;
	}
	snprintf(s->version, sizeof(s->version), "%s",
		 ask->version[0] ? ask->version : SG_MCP_STATELESS_VERSION);
	c->s = c->init_s = s;
	return true;
}

/* A POST's message `c->msg`, read. */
static void post(struct call *c, const struct sg_mcp_ask *ask)
{
	struct sg_mcp_hub *hub = c->hub;
	struct session *s;

	if (ask->legacy) {
		if (ask->sid_twice) {
			call_error(c, 400, SG_JSONRPC_SESSION_ERROR,
				   "the sessionId query parameter is given twice");
			return;
		}
		if (!(s = session_of(hub, ask)) || !s->legacy) {
			call_error(c, ask->has_sid ? 404 : 400, SG_JSONRPC_SESSION_ERROR,
				   ask->has_sid ? "no such MCP session"
						: "the sessionId query parameter is required");
			return;
		}
		c->s = s; /* initialize too: the GET began the session */
		if (c->msg.kind == SG_JSONRPC_REQUEST && !strcmp(c->msg.method, "initialize") &&
		    !s->init)
			keep_init(s, &c->msg); /* none: a restart initializes as stateless does */
	} else if (ask->m->stateless) {
		if (!stateless_session(c, ask))
			return;
		s = c->s;
	} else if (c->msg.kind == SG_JSONRPC_REQUEST && !strcmp(c->msg.method, "initialize")) {
		if (!session_room(c, ask, "too many MCP sessions: end one with DELETE",
				  "too many MCP sessions from this client address: end one with "
				  "DELETE"))
			return;
		if (!(s = sg_mcp_session_new(hub, ask, false)) || !keep_init(s, &c->msg)) {
			if (s)
				sg_mcp_session_end(s);
			call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
			return;
		}
		c->s = c->init_s = s;
	} else if (!ask->has_sid) {
		call_error(c, 400, SG_JSONRPC_SESSION_ERROR,
			   "Mcp-Session-Id is required: initialize first");
		return;
	} else if (!(s = session_of(hub, ask))) {
		call_error(c, 404, SG_JSONRPC_SESSION_ERROR, "no such MCP session");
		return;
	} else if (version_refused(c, ask)) {
		return;
	} else {
		c->s = s;
	}
	if (c->msg.kind == SG_JSONRPC_RESPONSE) { /* to a target's request relayed */
		sg_mcp_upreq_answered(s, &c->msg);
		c->s = NULL;
		answer_later(c, 202, NULL);
		return;
	}
	if (s->ncalls >= MCP_CALLS_MAX) {
		c->s = NULL;
		call_error(c, 429, SG_JSONRPC_INTERNAL_ERROR, "too many MCP calls in flight");
		return;
	}
	c->n = s->n;
	if (!(c->ids = calloc(s->n, sizeof(*c->ids))) ||
	    !(c->got = calloc(s->n, sizeof(*c->got)))) {
		c->s = NULL;
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (ask->traced) /* none for want of memory: no spans */
		c->tc = calloc(s->n, sizeof(*c->tc));
	/* initialize's answer names the session on its head: never a stream
	 * (a stateless one's names none); nor a legacy POST's (its answer
	 * goes on the session's stream) */
	c->sse = ask->sse && !ask->legacy && (!c->init_s || s->stateless) &&
		 c->msg.kind == SG_JSONRPC_REQUEST;
	c->token = sg_json_get(sg_json_get(c->msg.params, "_meta"), "progressToken");
	sg_list_insert_tail(&s->calls, &c->link);
	s->ncalls++;
	sg_timer_arm(hub->loop, &s->idle, sg_loop_now(hub->loop) + SG_MCP_SESSION_IDLE_MS);
	if (!strcmp(c->msg.method ? c->msg.method : "", "initialize"))
		fan_out(c, CALL_INIT);
	else
		dispatch(c);
	if (c->waiting && !c->status) /* answered already: a target failed at once */
		sg_timer_arm(hub->loop, &c->timer, sg_loop_now(hub->loop) + SG_MCP_CALL_MS);
	else if (c->s) {
		sg_list_remove(&c->link);
		sg_list_init(&c->link);
		c->s->ncalls--;
		if (!c->s->ready) /* an initialize that failed, a stateless call answered */
			sg_mcp_session_end(c->s);
		c->s = c->init_s = NULL;
	}
}

static bool method_is(const struct sg_h1_req *req, const char *m)
{
	return req->method.len == strlen(m) && !memcmp(req->method.p, m, req->method.len);
}

static void delete_session(struct call *c, const struct sg_mcp_ask *ask)
{
	struct session *s = session_of(c->hub, ask);

	if (!s) {
		call_error(c, ask->has_sid ? 404 : 400, SG_JSONRPC_SESSION_ERROR,
			   ask->has_sid ? "no such MCP session" : "Mcp-Session-Id is required");
		return;
	}
	if (version_refused(c, ask))
		return;
	sg_mcp_session_end(s);
	answer_later(c, 200, NULL);
}

/* The session's GET stream ends: its client is told the end (a new GET
 * opens another). */
static void get_end(struct session *s)
{
	struct call *g = s->get;

	if (!g)
		return;
	s->get = NULL;
	g->gs = NULL;
	targets_listen(s, false);
	answer_later(g, 200, NULL);
}

/* A GET taken over while its client left bytes of it unread: cut, its
 * bytes dropped (a reset stream, a closed connection). Ended as get_end
 * ends it, they would be written as its client reads, outside the
 * session's bound (SG_MCP_QUEUE_MAX counts the stream in use), and each
 * takeover of a client that reads nothing would hold as much again. Its
 * events stay in the replay buffer for a GET with Last-Event-ID. */
static void get_cut(struct session *s)
{
	struct call *g = s->get;

	s->get = NULL;
	g->gs = NULL; /* the session goes on: not a GET given up */
	targets_listen(s, false);
	g->done(g->data, NULL); /* no reply: the worker cuts the stream */
	call_over(g);
}

/* An event a GET resuming the stream missed, to it (text taken). */
static void replay_one(void *arg, char *text, size_t len)
{
	struct call *c = arg;

	c->hub->stream->event(c->data, text, len);
}

/* A GET: the session's stream opens (its head goes at once) and carries
 * what the targets send outside any call, until the session ends. A
 * second GET takes the stream over: the first one's connection may be
 * dead unnoticed, and MCP allows one stream to carry a message (the first
 * ends, or is cut if its client left bytes unread: get_cut). Its
 * events carry ids; a GET with Last-Event-ID gets first the events after
 * that one (MCP's resumability: those the stream carried, or would have,
 * while the client was away), as many as the replay buffer keeps and
 * the session's bound on what its clients leave unread has room for:
 * they count against SG_MCP_QUEUE_MAX as the targets' events do (a GET
 * replayed up to 256 KiB past it, however much its session's streams
 * held unread). */
static void get_stream(struct call *c, const struct sg_mcp_ask *ask)
{
	struct session *s = session_of(c->hub, ask);
	size_t waiting;

	if (!ask->sse) {
		call_error(c, 406, SG_JSONRPC_INVALID_REQUEST,
			   "Accept must name text/event-stream");
		return;
	}
	if (!s) {
		call_error(c, ask->has_sid ? 404 : 400, SG_JSONRPC_SESSION_ERROR,
			   ask->has_sid ? "no such MCP session" : "Mcp-Session-Id is required");
		return;
	}
	if (version_refused(c, ask))
		return;
	if (s->get && c->hub->stream->waiting(s->get->data))
		get_cut(s);
	else
		get_end(s);
	c->op = CALL_STREAM;
	c->gs = s;
	s->get = c;
	c->streamed = true;
	c->hub->stream->event(c->data, NULL, 0);
	if (!s->legacy) /* a legacy session ends with its stream: nothing to resume */
		s->resumable = true;
	waiting = sg_mcp_session_waiting(s);
	if (s->resumable && ask->has_last_id &&
	    sg_mcp_replay_since(&s->replay, ask->last_id, strlen(ask->last_id),
				waiting < SG_MCP_QUEUE_MAX ? SG_MCP_QUEUE_MAX - waiting : 0,
				replay_one, c) == -EINVAL)
		SG_DEBUG("mcp session %s: Last-Event-ID %s is none of its stream's: nothing "
			 "replayed",
			 s->id, ask->last_id);
	targets_listen(s, true);
}

/* The endpoint a legacy stream names: the GET's target ("/sse" when it
 * is not known) with sessionId=ID added to its query. Malloc'd; NULL:
 * out of memory. */
static char *endpoint_of(const char *target, const char *id)
{
	const char *t = target ? target : "/sse";
	size_t n = strlen(t) + strlen(id) + 16;
	char *u = malloc(n);

	if (u)
		snprintf(u, n, "%s%ssessionId=%s", t, strchr(t, '?') ? "&" : "?", id);
	return u;
}

/* A legacy GET (/sse): a new session, and its stream, whose first event
 * names where the client POSTs. The stream carries every answer and
 * message for the client; the session ends with it. */
static void legacy_open(struct call *c, const struct sg_mcp_ask *ask)
{
	struct sg_mcp_hub *hub = c->hub;
	struct session *s;
	char *url, *ev = NULL;
	size_t len = 0;

	if (!ask->sse) {
		call_error(c, 406, SG_JSONRPC_INVALID_REQUEST,
			   "Accept must name text/event-stream");
		return;
	}
	if (!session_room(c, ask, "too many MCP sessions",
			  "too many MCP sessions from this client address"))
		return;
	if (!(s = sg_mcp_session_new(hub, ask, false))) {
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	s->legacy = s->ready = true;
	if ((url = endpoint_of(ask->endpoint, s->id)))
		ev = sg_sse_event_text("endpoint", url, strlen(url), &len);
	free(url);
	if (!ev) {
		sg_mcp_session_end(s);
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	c->op = CALL_STREAM;
	c->gs = s;
	s->get = c;
	c->streamed = true;
	hub->stream->event(c->data, ev, len);
}

void sg_mcp_hub_relay(struct sg_mcp_hub *hub, const char *sid, const char *route,
		      const char *caller, char *text)
{
	struct session *s = session_find(hub, sid, route, caller);
	char *ev = NULL;
	size_t len = 0;

	if (s && s->legacy && s->get && hub->stream)
		ev = sg_sse_event_text("message", text, strlen(text), &len);
	free(text);
	if (ev)
		hub->stream->event(s->get->data, ev, len);
}

static bool json_content(const struct sg_h1_req *req)
{
	const struct sg_h1_span *ct = sg_h1_header(req, "content-type");

	return ct && ct->len >= 16 && !strncasecmp(ct->p, "application/json", 16);
}

/* Accept names the media type `type` (anywhere in it, as agentgateway
 * reads it: case-sensitive, no wildcard standing for it). */
static bool accepts(const struct sg_h1_req *req, const char *type)
{
	const struct sg_h1_span *v = sg_h1_header(req, "accept");

	return v && memmem(v->p, v->len, type, strlen(type));
}

/* value's host (past a scheme, before a port) is a loopback name. */
static bool loopback(const struct sg_h1_span *v)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };
	const char *p = v->p, *end = v->p + v->len, *scheme = memmem(p, v->len, "://", 3);
	size_t len;

	if (scheme)
		p = scheme + 3;
	len = (size_t)(end - p);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (len >= n && !strncasecmp(p, names[i], n) && (len == n || p[n] == ':'))
			return true;
	}
	return false;
}

/* dnsRebindingProtection: a Host or Origin other than the loopback's is a
 * page elsewhere reaching a local server through a rebound name. */
static bool rebound(const struct sg_h1_req *req)
{
	const struct sg_h1_span *host = sg_h1_header(req, "host");
	const struct sg_h1_span *origin = sg_h1_header(req, "origin");

	return (host && !loopback(host)) || (origin && !loopback(origin));
}

void sg_mcp_hub_call(struct sg_mcp_hub *hub, const struct sg_mcp_ask *ask, sg_mcp_done_fn done,
		     void *data)
{
	struct call *c = calloc(1, sizeof(*c));
	const char *why;
	int rc;

	if (!c) {
		struct sg_mcp_reply rep = { .status = 503 };

		done(data, &rep); /* no call to defer it on: out of memory */
		return;
	}
	c->hub = hub;
	c->done = done;
	c->data = data;
	sg_list_init(&c->link);
	sg_list_insert_tail(&hub->calls, &c->all);
	sg_timer_init(&c->timer, call_timeout, c);
	c->timer.cb = answer_now; /* until it waits for targets */
	if (ask->m->dns_rebinding && ask->rebound) {
		call_error(c, 403, SG_JSONRPC_INVALID_REQUEST,
			   "Host and Origin must be localhost (dnsRebindingProtection)");
		return;
	}
	if (ask->m->stateless && ask->method != SG_MCP_POST) {
		c->allow = "POST"; /* no session to stream or end (agentgateway's 405) */
		answer_later(c, 405, NULL);
		return;
	}
	if (ask->method == SG_MCP_DELETE) {
		delete_session(c, ask);
		return;
	}
	if (ask->method == SG_MCP_GET && hub->stream) {
		if (ask->legacy)
			legacy_open(c, ask);
		else
			get_stream(c, ask);
		return;
	}
	if (ask->method != SG_MCP_POST) {
		answer_later(c, 405, NULL);
		return;
	}
	if (ask->accept_lacks && !ask->legacy) {
		call_error(c, 406, SG_JSONRPC_INVALID_REQUEST,
			   "Accept must name both application/json and text/event-stream");
		return;
	}
	if (!ask->json) {
		call_error(c, 415, SG_JSONRPC_INVALID_REQUEST,
			   "Content-Type must be application/json");
		return;
	}
	if (!ask->body_whole) {
		call_error(c, 413, SG_JSONRPC_INVALID_REQUEST,
			   "the message is larger than the gateway reads");
		return;
	}
	rc = sg_jsonrpc_parse(ask->body ? ask->body : "", ask->body_len, &c->msg, &why);
	if (rc) {
		call_error(c, 400, rc == -ENOMEM ? SG_JSONRPC_INTERNAL_ERROR : rc,
			   rc == -ENOMEM ? "out of memory" : why);
		return;
	}
	if (ask->headers && !(c->headers = strdup(ask->headers))) {
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	c->timer.cb = call_timeout;
	post(c, ask);
}

bool sg_mcp_hub_pending(const struct sg_mcp_hub *hub, const void *data)
{
	for (const struct sg_list *l = hub->calls.next; l != &hub->calls; l = l->next)
		if (((const struct call *)((const char *)l - offsetof(struct call, all)))->data ==
		    data)
			return true;
	return false;
}

void sg_mcp_hub_cancel(struct sg_mcp_hub *hub, const void *data)
{
	struct sg_list *l;

	SG_LIST_FOR_EACH(l, &hub->calls) {
		struct call *c = SG_LIST_ENTRY(l, struct call, all);
		struct session *s = c->init_s;

		if (c->data != data)
			continue;
		c->init_s = NULL;
		c->done(c->data, NULL);
		call_over(c);
		if (s && !s->ready) /* an initialize given up: its children go */
			sg_mcp_session_end(s);
		return;
	}
}

uint64_t sg_mcp_hub_restarts(const struct sg_mcp_hub *hub)
{
	return atomic_load_explicit(&hub->restarts, memory_order_relaxed);
}

void sg_mcp_hub_set_stream(struct sg_mcp_hub *hub, const struct sg_mcp_stream_ops *ops)
{
	hub->stream = ops;
}

struct sg_mcp_hub *sg_mcp_hub_new(struct sg_loop *loop)
{
	struct sg_mcp_hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return NULL;
	hub->loop = loop;
	sg_list_init(&hub->sessions);
	sg_list_init(&hub->calls);
	hub->src_sessions = sg_srclimit_new(SG_MCP_SESSIONS_PER_SOURCE);
	hub->src_children = sg_srclimit_new(SG_MCP_CHILDREN_PER_SOURCE);
	if (!hub->src_sessions || !hub->src_children) {
		sg_mcp_hub_free(hub);
		return NULL;
	}
	return hub;
}

void sg_mcp_hub_free(struct sg_mcp_hub *hub)
{
	struct sg_list *l;

	if (!hub)
		return;
	while ((l = sg_list_first(&hub->sessions)))
		sg_mcp_session_end((struct session *)((char *)l - offsetof(struct session, link)));
	while ((l = sg_list_first(&hub->calls))) {
		struct call *c = SG_LIST_ENTRY(l, struct call, all);

		c->done(c->data, NULL);
		call_over(c);
	}
	sg_srclimit_free(hub->src_sessions);
	sg_srclimit_free(hub->src_children);
	free(hub);
}

/* ---- a worker's ends: the ask and the answer --------------------------------- */

/* a's session id: p[0..len), cut to a length no session has when longer. */
static void sid_of(struct sg_mcp_ask *a, const char *p, size_t len)
{
	size_t n = len < sizeof(a->sid) - 1 ? len : sizeof(a->sid) - 1;

	a->has_sid = true;
	memcpy(a->sid, p, n);
	a->sid[n] = '\0';
}

/* The legacy SSE transport: r's path is /sse. A GET keeps its target as
 * sent (for the endpoint event); a POST's session is its sessionId query
 * parameter, given once. False when out of memory. */
static bool legacy_of(struct sg_mcp_ask *a, const struct sg_request *r)
{
	const struct sg_h1_span *t = &r->req->target;
	const struct sg_h1_span *raw = r->raw_target.p ? &r->raw_target : t;
	const char *q = memchr(t->p, '?', t->len), *end = t->p + t->len;

	a->legacy = (size_t)((q ? q : end) - t->p) == 4 && !memcmp(t->p, "/sse", 4);
	if (!a->legacy)
		return true;
	if (a->method == SG_MCP_GET)
		return (a->endpoint = strndup(raw->p, raw->len)) != NULL;
	for (const char *p = q ? q + 1 : end; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *next = amp ? amp : end;
		bool named = next - p >= 10 && !memcmp(p, "sessionId=", 10);

		if (named && a->has_sid) {
			a->has_sid = false; /* neither: see sid_twice */
			a->sid_twice = true;
			break;
		}
		if (named)
			sid_of(a, p + 10, (size_t)(next - p - 10));
		p = next + 1;
	}
	return true;
}

/* The issuer's and the subject's lengths tell where each ends. */
int sg_mcp_caller_of(const struct sg_request *r, char **out)
{
	const struct sg_authn *au = &r->authn;
	char hex[2 * sizeof(au->apikey->hash) + 1];
	int n = 0;

	*out = NULL;
	if (au->jwt) {
		const char *iss = sg_json_str(sg_json_get(sg_jwt_claims_json(au->jwt), "iss"));
		const char *sub = sg_jwt_claims_sub(au->jwt);

		iss = iss ? iss : "";
		sub = sub ? sub : "";
		n = asprintf(out, "jwt %zu:%s %zu:%s", strlen(iss), iss, strlen(sub), sub);
	} else if (au->apikey) {
		for (size_t i = 0; i < sizeof(au->apikey->hash); i++)
			snprintf(hex + 2 * i, 3, "%02x", au->apikey->hash[i]);
		n = asprintf(out, "apikey %s", hex);
	} else if (au->basic_user) {
		n = asprintf(out, "basic %s", au->basic_user);
	}
	if (n != -1)
		return 0;
	*out = NULL;
	return -ENOMEM;
}

/* What agentgateway's IncomingRequestContext::apply leaves out of the
 * client's headers it copies onto an openapi target's request, and those
 * the gateway's client sets itself (Accept-Encoding: its answers are read
 * undecoded). */
static const char *const not_passed[] = {
	"content-length", "content-encoding", "mcp-session-id",	   "host",	   "connection",
	"keep-alive",	  "proxy-connection", "transfer-encoding", "te",	   "upgrade",
	"accept",	  "accept-encoding",  "user-agent",	   "content-type", "expect",
};

/* A POST's header lines for its backend's openapi targets, if it has any:
 * false when out of memory. */
static bool headers_of(struct sg_mcp_ask *a, const struct sg_h1_req *req)
{
	size_t n = 0, k = 0;
	bool any = false;

	for (size_t i = 0; i < a->m->n && !any; i++)
		any = a->m->targets[i].kind == SG_MCP_OPENAPI;
	if (!any)
		return true;
	for (size_t i = 0; i < req->nheaders; i++)
		n += req->headers[i].name.len + req->headers[i].value.len + 4;
	if (!(a->headers = malloc(n + 1)))
		return false;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sg_h1_header *h = &req->headers[i];
		bool skip = !h->name.len || h->name.p[0] == ':';

		for (size_t j = 0; j < sizeof(not_passed) / sizeof(not_passed[0]) && !skip; j++)
			skip = h->name.len == strlen(not_passed[j]) &&
			       !strncasecmp(h->name.p, not_passed[j], h->name.len);
		if (skip)
			continue;
		memcpy(a->headers + k, h->name.p, h->name.len);
		k += h->name.len;
		memcpy(a->headers + k, ": ", 2);
		memcpy(a->headers + k + 2, h->value.p, h->value.len);
		k += 2 + h->value.len;
		memcpy(a->headers + k, "\r\n", 2);
		k += 2;
	}
	a->headers[k] = '\0';
	return true;
}

/* *a read from r; false when out of memory (*a may hold some of it). */
static bool ask_read(struct sg_mcp_ask *a, const struct sg_request *r)
{
	const struct sg_h1_req *req = r->req;
	const struct sg_h1_span *sid = sg_h1_header(req, "mcp-session-id");
	const struct sg_h1_span *ver = sg_h1_header(req, "mcp-protocol-version");
	const struct sg_h1_span *last = sg_h1_header(req, "last-event-id");
	struct sg_mirror_request body = { 0 };

	memset(a, 0, sizeof(*a));
	a->m = r->at.route->backends.v[0].mcp;
	a->route = r->at.route->key;
	a->method = method_is(req, "POST")     ? SG_MCP_POST
		    : method_is(req, "GET")    ? SG_MCP_GET
		    : method_is(req, "DELETE") ? SG_MCP_DELETE
					       : SG_MCP_OTHER;
	a->json = json_content(req);
	a->sse = accepts(req, "text/event-stream");
	a->accept_lacks = !a->sse || !accepts(req, "application/json");
	snprintf(a->source, sizeof(a->source), "%s", r->ip ? r->ip : "");
	if (!legacy_of(a, r) || sg_mcp_caller_of(r, &a->caller))
		return false;
	a->rebound = rebound(req);
	a->traced = r->trace != NULL;
	a->version_unknown = ver && !version_known(ver);
	if (ver && !a->version_unknown)
		snprintf(a->version, sizeof(a->version), "%.*s", (int)ver->len, ver->p);
	if (last) {
		size_t n = last->len < sizeof(a->last_id) - 1 ? last->len : sizeof(a->last_id) - 1;

		a->has_last_id = true;
		memcpy(a->last_id, last->p, n);
		a->last_id[n] = '\0';
	}
	if (sid && !a->legacy)
		sid_of(a, sid->p, sid->len);
	if (a->method != SG_MCP_POST)
		return true;
	if (!headers_of(a, req))
		return false;
	r->sink->held_body(r, &body);
	a->body_whole = body.body_whole;
	if (!body.body_whole || !body.body_len)
		return true;
	if (!(a->body = malloc(body.body_len)))
		return false;
	memcpy(a->body, body.body, body.body_len);
	a->body_len = body.body_len;
	return true;
}

bool sg_mcp_ask_of(struct sg_mcp_ask *a, const struct sg_request *r)
{
	if (ask_read(a, r))
		return true;
	sg_mcp_ask_free(a);
	return false;
}

void sg_mcp_ask_free(struct sg_mcp_ask *a)
{
	free(a->caller);
	a->caller = NULL;
	free(a->headers);
	a->headers = NULL;
	free(a->body);
	a->body = NULL;
	a->body_len = 0;
	free(a->endpoint);
	a->endpoint = NULL;
}

void sg_mcp_answer(struct sg_request *r, struct sg_mcp_reply *rep)
{
	struct sg_h1_header lines[MCP_LINES + 32];
	struct sg_h1_edit route, edit = { 0 };
	size_t n = 0;

	sg_filter_response_edit(&r->plan, &route);
	if (rep->body)
		lines[n++] =
			(struct sg_h1_header){ span("content-type"), span("application/json") };
	if (rep->sid[0])
		lines[n++] = (struct sg_h1_header){ span("mcp-session-id"), span(rep->sid) };
	if (rep->status == 405)
		lines[n++] = (struct sg_h1_header){
			span("allow"), span(rep->allow ? rep->allow : "GET, POST, DELETE")
		};
	for (size_t i = 0; i < route.nadd && n < sizeof(lines) / sizeof(lines[0]); i++)
		lines[n++] = route.add[i];
	edit.add = lines;
	edit.nadd = n;
	edit.nfill = route.nfill;
	sg_request_answer(r, rep->status, &edit, rep->body, rep->body ? strlen(rep->body) : 0,
			  false);
	free(rep->body);
	rep->body = NULL;
}
