/* The MCP endpoint (the contract is mcp.h): the hub's sessions, each with
 * its targets' children, and calls, each one client request waiting for
 * its targets (or a GET's stream); every reply is told from a timer
 * callback, never from inside sg_mcp_hub_call. What a target sends the
 * client goes on a call's stream (to_client). Beside them, the two ends a
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
#include <sys/random.h>
#include <time.h>

#include "user/base/list.h"
#include "user/base/log.h"
#include "user/codec/sse.h"
#include "user/core/request.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcphttp.h"
#include "user/mcp/mcpreplay.h"
#include "user/mcp/merge.h"
#include "user/mcp/openapi.h"
#include "user/mcp/stdio.h"

/* Calls a session has in flight at most. */
#define MCP_CALLS_MAX 64
/* Response header lines an answer carries besides the route's. */
#define MCP_LINES 4

struct sg_mcp_hub {
	struct sg_loop *loop;
	const struct sg_mcp_stream_ops *stream; /* NULL: no call streams */
	struct sg_list sessions;
	size_t nsessions;
	struct sg_list calls;	   /* every call not over (struct call's `all`) */
	_Atomic uint64_t restarts; /* target processes restarted; read by the metrics */
	/* the client's header lines of the call whose message send_to is
	 * sending (an openapi target passes them on); NULL: none */
	const char *sending;
};

struct session;

/* One target of a session: its child, or its streamable HTTP end; dead
 * once it is gone for good. A target that is not yet initialized by the
 * gateway itself (a restarted process, a stateless backend's) holds what
 * is sent to it until its initialize is answered: its handshake. */
struct target {
	struct session *s;
	size_t idx;
	struct sg_mcp_child *child;
	struct sg_mcp_http *http;
	struct sg_mcp_openapi *api; /* an openapi target's: the gateway is the server */
	bool sse; /* http speaks the legacy transport: its messages name no call */
	bool dead;
	bool started;	   /* its process spawned or its HTTP end opened, once */
	bool down;	   /* its process went: a new one starts at `restart` */
	bool cut;	   /* cut off for what it sent: never started again */
	const char *why;   /* static text or `failure`: why it is dead or failed */
	char failure[200]; /* why it is dead or failed, as it was told */
	uint64_t flood_at; /* loop ms: the second its messages for the client count in */
	unsigned flood_n;
	/* stdio of a stateful session: its config, copied (a reload frees
	 * the session's), for restarts; NULL: it is never restarted. */
	struct sg_mcp_target *conf;
	unsigned restarts; /* in a row */
	uint64_t born;	   /* loop ms its process started */
	struct sg_timer restart;
	uint64_t hs_id;		  /* the gateway's initialize to it, unanswered; 0: none */
	struct sg_timer hs_timer; /* hs_id's bound: SG_MCP_HANDSHAKE_MS */
	struct sg_list held;	  /* messages for it until its handshake ends (struct held) */
	size_t held_bytes;
};

/* A message held for a target until its handshake ends. */
struct held {
	struct sg_list link;
	uint64_t id; /* the request's (0: a notification or response) */
	size_t len;
	char text[];
};

/* A target's request relayed to the client (sampling, elicitation,
 * roots) under an id of the gateway's: the client's response goes back
 * to it with its own. */
struct upreq {
	uint64_t id; /* the client's; 0: a free slot */
	size_t target;
	char *orig; /* the target's id, JSON text */
};

struct call;

/* Owned by its hub from initialize until DELETE, idle expiry or the
 * hub's end. Its names are copies: a reload frees the config. */
struct session {
	struct sg_list link;
	struct sg_mcp_hub *hub;
	char id[33];
	bool ready;  /* initialize answered: the client may use it */
	bool prefix; /* names carry "<target>_" */
	bool fail_open;
	size_t n;
	char **names;
	struct target *targets;
	struct sg_list calls;
	size_t ncalls;
	uint64_t next_id;
	struct sg_timer idle;
	struct call *get; /* its GET stream; NULL: none open */
	bool legacy;	  /* begun by a legacy GET (/sse): it ends with that stream */
	uint64_t next_up;
	struct upreq ups[SG_MCP_UPREQS_MAX];
	/* statefulMode: stateless: the session of one request, never found
	 * by id, its targets started as that request needs them and
	 * initialized by the gateway with `version`; m is valid while its
	 * request lives, which the session does not outlive. */
	bool stateless;
	const struct sg_mcp_backend *m;
	char version[16];
	char *init; /* the client's initialize params (JSON): a restarted target's */
	/* The GET stream's event ids and replay (MCP's resumability), once a
	 * GET opened it: what it would carry is kept while none is open. */
	bool resumable;
	struct sg_mcp_replay replay;
};

enum call_op {
	CALL_LOCAL,  /* answered by the gateway alone */
	CALL_INIT,   /* initialize: every target, merged */
	CALL_LIST,   /* a list: every target, merged */
	CALL_ONE,    /* routed to one target */
	CALL_FIRST,  /* every target; the first success answers */
	CALL_NOTE,   /* a stateless notification: every target, then a ping each */
	CALL_STREAM, /* a GET: its session's stream, until the session ends */
};

/* One client request. Owned by the hub until its reply is told; then
 * freed from the loop's close queue. */
struct call {
	struct sg_list link; /* in its session's calls, while it waits */
	struct sg_list all;  /* in the hub's calls, until over */
	struct sg_mcp_hub *hub;
	sg_mcp_done_fn done; /* told the reply, with data */
	void *data;
	struct session *s; /* NULL: none (yet) */
	/* initialize's new session: ended with the answer unless it is ready */
	struct session *init_s;
	size_t n; /* entries of ids and got */
	struct sg_jsonrpc msg;
	enum call_op op;
	const char *key, *field; /* CALL_LIST: the list and its names */
	uint64_t *ids;		 /* per target: the id sent, 0: not waited for */
	struct sg_jsonrpc *got;	 /* per target: its response */
	size_t waiting;
	bool sse;		     /* its client takes an event stream */
	bool streamed;		     /* events went to it */
	struct session *gs;	     /* a GET's session, while it is that one's stream */
	const struct sg_json *token; /* its params' _meta.progressToken; NULL: none */
	struct sg_mcp_tcall *tc;     /* traced: per target, its message's span; NULL: none */
	char *headers;		     /* the ask's header lines (an openapi target's); NULL: none */
	/* The answer, once known. */
	uint16_t status;
	char *body;
	const char *allow; /* a 405's Allow; NULL: the default */
	struct sg_timer timer;
	struct sg_closing closing;
	bool over;
};

/* ---- sessions ------------------------------------------------------------- */

static void answer_later(struct call *c, uint16_t status, char *body);
static void call_error(struct call *c, uint16_t status, int code, const char *msg);
static void target_response(struct call *c, size_t i, struct sg_jsonrpc *m);

static void get_end(struct session *s);

/* What is held for t, dropped (the calls waiting for it are the caller's
 * to answer). */
static void held_drop(struct target *t)
{
	struct sg_list *l;

	while ((l = sg_list_first(&t->held))) {
		sg_list_remove(l);
		free(SG_LIST_ENTRY(l, struct held, link));
	}
	t->held_bytes = 0;
}

static void session_end(struct session *s)
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

		sg_mcp_child_kill(t->child);
		sg_mcp_http_close(t->http);
		sg_mcp_openapi_close(t->api);
		sg_timer_stop(s->hub->loop, &t->restart);
		sg_timer_stop(s->hub->loop, &t->hs_timer);
		held_drop(t);
		free(t->conf);
		free(s->names[i]);
	}
	sg_timer_stop(s->hub->loop, &s->idle);
	sg_list_remove(&s->link);
	s->hub->nsessions--;
	sg_mcp_replay_free(&s->replay);
	free(s->init);
	free(s->names);
	free(s->targets);
	free(s);
}

static void session_idle(struct sg_loop *loop, struct sg_timer *t)
{
	struct session *s = t->data;

	(void)loop;
	if (!sg_list_empty(&s->calls)) { /* busy: not idle */
		sg_timer_arm(s->hub->loop, &s->idle,
			     sg_loop_now(s->hub->loop) + SG_MCP_SESSION_IDLE_MS);
		return;
	}
	SG_INFO("mcp session %s: idle for %d s: ended", s->id, SG_MCP_SESSION_IDLE_MS / 1000);
	session_end(s);
}

static struct session *session_find(struct sg_mcp_hub *hub, const char *id)
{
	for (struct sg_list *l = hub->sessions.next; l != &hub->sessions; l = l->next) {
		struct session *s = (struct session *)((char *)l - offsetof(struct session, link));

		if (s->ready && !strcmp(s->id, id))
			return s;
	}
	return NULL;
}

/* The call of s waiting for target i's response `id`, or NULL. */
static struct call *waiting_for(struct session *s, size_t i, uint64_t id)
{
	for (struct sg_list *l = s->calls.next; l != &s->calls; l = l->next) {
		struct call *c = (struct call *)((char *)l - offsetof(struct call, link));

		if (c->ids[i] == id)
			return c;
	}
	return NULL;
}

/* msg[0..len) to t now, a request with id (0: a notification or
 * response). */
static int raw_send(struct target *t, const char *msg, size_t len, uint64_t id, bool init)
{
	int rc;

	if (t->api) {
		/* the call's client headers: the one sending now, or (a message
		 * held for the handshake) the one waiting for it */
		const struct call *c =
			id && !t->s->hub->sending ? waiting_for(t->s, t->idx, id) : NULL;

		rc = sg_mcp_openapi_send(t->api, msg, len, id, c ? c->headers : t->s->hub->sending);
	} else if (!t->http) {
		rc = t->child ? sg_mcp_child_send(t->child, msg, len) : -EPIPE;
	} else {
		rc = sg_mcp_http_send(t->http, msg, len, id, init);
	}
	if (rc && rc != -EPIPE) /* gone: on_gone said why */
		t->why = rc == -ENOBUFS ? "too many messages wait for it" : "out of memory";
	return rc;
}

/* msg[0..len) kept for t until its handshake ends: -ENOBUFS past
 * SG_JSONRPC_MAX bytes held, -ENOMEM. */
static int hold(struct target *t, const char *msg, size_t len, uint64_t id)
{
	struct held *h;

	if (t->held_bytes + len > SG_JSONRPC_MAX) {
		t->why = "too many messages wait for it";
		return -ENOBUFS;
	}
	if (!(h = malloc(sizeof(*h) + len))) {
		t->why = "out of memory";
		return -ENOMEM;
	}
	h->id = id;
	h->len = len;
	memcpy(h->text, msg, len);
	sg_list_insert_tail(&t->held, &h->link);
	t->held_bytes += len;
	return 0;
}

/* msg[0..len) to t, a request with id (0: a notification or response):
 * held while t is restarting or its handshake runs. */
static int target_send(struct target *t, const char *msg, size_t len, uint64_t id, bool init)
{
	if (t->down || t->hs_id)
		return hold(t, msg, len, id);
	return raw_send(t, msg, len, id, init);
}

/* ---- what targets send the client ---------------------------------------- */

/* a and b (tokens, ids: strings or numbers) are the same. */
static bool json_same(const struct sg_json *a, const struct sg_json *b)
{
	const char *sa = sg_json_str(a), *sb = sg_json_str(b);
	double x, y;

	if (sa || sb)
		return sa && sb && !strcmp(sa, sb);
	return !sg_json_num(a, &x) && !sg_json_num(b, &y) && x == y;
}

/* The call whose stream carries target i's message m to the client: a
 * progress notification's is the call whose request carried its token;
 * any other's the call whose POST it came in (`related`, an HTTP
 * target's: 0, its GET stream's, is none), or the one call waiting on the
 * target (a stdio target's, whose messages say no more). Each only when
 * its client takes a stream; else the session's GET stream. NULL: none is
 * open. */
static struct call *stream_for(struct session *s, size_t i, const struct sg_jsonrpc *m,
			       uint64_t related)
{
	bool known = s->targets[i].http && !s->targets[i].sse;
	const struct sg_json *token = NULL;
	struct call *one = NULL;
	size_t waiting = 0;
	struct sg_list *l;

	if (m->kind == SG_JSONRPC_NOTIFICATION && !strcmp(m->method, "notifications/progress"))
		token = sg_json_get(m->params, "progressToken");
	SG_LIST_FOR_EACH(l, &s->calls) {
		struct call *c = SG_LIST_ENTRY(l, struct call, link);

		if (token && c->token && json_same(c->token, token))
			return c->sse ? c : s->get;
		if (!token && related && c->ids[i] == related)
			return c->sse ? c : s->get;
		if (c->ids[i]) {
			one = c;
			waiting++;
		}
	}
	if (!token && !known && waiting == 1 && one->sse)
		return one;
	return s->get;
}

/* Bytes waiting for the clients of s's streams. */
static size_t session_waiting(const struct session *s)
{
	const struct sg_mcp_stream_ops *o = s->hub->stream;
	size_t n = s->get ? o->waiting(s->get->data) : 0;
	const struct sg_list *l;

	SG_LIST_FOR_EACH(l, &s->calls) {
		const struct call *c =
			(const struct call *)((const char *)l - offsetof(struct call, link));

		if (c->streamed)
			n += o->waiting(c->data);
	}
	return n;
}

/* A slot for target i's request with id `id`: the client's id for it,
 * 0 when every slot is taken or memory ran out. */
static uint64_t upreq_add(struct session *s, size_t i, const struct sg_json *id)
{
	for (size_t k = 0; k < SG_MCP_UPREQS_MAX; k++) {
		struct upreq *u = &s->ups[k];

		if (u->id)
			continue;
		if (!id || !(u->orig = sg_json_print(id, SG_JSON_COMPACT)))
			return 0;
		u->id = ++s->next_up;
		u->target = i;
		return u->id;
	}
	return 0;
}

static struct upreq *upreq_find(struct session *s, uint64_t id)
{
	for (size_t k = 0; id && k < SG_MCP_UPREQS_MAX; k++)
		if (s->ups[k].id == id)
			return &s->ups[k];
	return NULL;
}

static void upreq_drop(struct upreq *u)
{
	free(u->orig);
	u->orig = NULL;
	u->id = 0;
}

/* The client's response m to a target's request relayed to it: to that
 * target, with the target's own id. */
static void upreq_answered(struct session *s, const struct sg_jsonrpc *m)
{
	double id;
	struct upreq *u = sg_json_num(m->id, &id) || id < 1 ? NULL : upreq_find(s, (uint64_t)id);
	struct sg_json *orig;
	struct target *t;
	char *text;

	if (!u)
		return;
	t = &s->targets[u->target];
	orig = sg_json_parse(u->orig);
	text = orig ? sg_jsonrpc_reply_text(orig, m) : NULL;
	if (text && !t->dead)
		target_send(t, text, strlen(text), 0, false);
	free(text);
	sg_json_free(orig);
	upreq_drop(u);
}

static void on_gone(void *arg, const char *why);

/* t is gone (its child killed, its HTTP end let go), why; cut: for
 * what it sent, never started again. */
static void target_lost(struct target *t, const char *why, bool cut)
{
	t->cut = t->cut || cut;
	sg_mcp_child_kill(t->child);
	t->child = NULL;
	sg_mcp_http_close(t->http);
	t->http = NULL;
	sg_mcp_openapi_close(t->api);
	t->api = NULL;
	on_gone(t, why);
}

/* t is cut off for what it sent, why. */
static void target_cut(struct target *t, const char *why)
{
	SG_WARN("mcp session %s: target %s cut off: %s", t->s->id, t->s->names[t->idx], why);
	target_lost(t, why, true);
}

/* One more message of t's for the client: true past SG_MCP_FLOOD_PER_SEC
 * in the current second. */
static bool flooded(struct target *t)
{
	uint64_t now = sg_loop_now(t->s->hub->loop);

	if (now - t->flood_at >= 1000) {
		t->flood_at = now;
		t->flood_n = 0;
	}
	return ++t->flood_n > SG_MCP_FLOOD_PER_SEC;
}

/* A target's request the client cannot be asked: the target is told. */
static void refuse_request(struct target *t, const struct sg_jsonrpc *m, const char *why)
{
	char *err = sg_jsonrpc_error_text(m->id, SG_JSONRPC_METHOD_NOT_FOUND, why);

	if (err && !t->dead)
		target_send(t, err, strlen(err), 0, false);
	free(err);
}

/* The event carrying text to the client: on the session's resumable GET
 * stream (to_get) with the next id, kept for a GET that comes back. */
static char *event_of(struct session *s, bool to_get, const char *text, size_t *len)
{
	if (to_get && s->resumable)
		return sg_mcp_replay_add(&s->replay, text, strlen(text), len);
	return sg_sse_event_text("message", text, strlen(text), len);
}

/* Target t's notification or request m (related: the request whose POST
 * it came in, 0: unknown) to the client, on the stream stream_for
 * chooses; a request under an id of the gateway's. No stream: a
 * notification is dropped (kept for the GET stream once one was open:
 * a client that comes back with Last-Event-ID gets it), a request
 * refused, as a stateless session's always is. The session's streams
 * full (its clients read less than its targets send): t is cut off. */
static void to_client(struct target *t, const struct sg_jsonrpc *m, uint64_t related)
{
	struct session *s = t->s;
	struct call *c = s->hub->stream ? stream_for(s, t->idx, m, related) : NULL;
	bool request = m->kind == SG_JSONRPC_REQUEST;
	bool to_get = c ? c == s->get : s->resumable && !request;
	struct upreq *u = NULL;
	char *text = NULL, *ev = NULL;
	size_t len = 0;

	if (request && s->stateless) {
		refuse_request(t, m, "the backend is stateless: the client cannot be asked");
		return;
	}
	if (c && request)
		u = upreq_find(s, upreq_add(s, t->idx, m->id));
	if ((c || to_get) && (!request || u))
		text = u ? sg_jsonrpc_with_id(m, u->id) : sg_json_print(m->root, SG_JSON_COMPACT);
	if (text)
		ev = event_of(s, to_get, text, &len);
	free(text);
	if (!ev) {
		if (u)
			upreq_drop(u);
		if (request)
			refuse_request(t, m,
				       c ? "too many requests wait for the client"
					 : "the client has no stream open to be asked on");
		else
			SG_DEBUG("mcp session %s: target %s: %s: no stream to the client: dropped",
				 s->id, s->names[t->idx], m->method);
		return;
	}
	if (!c) { /* kept for the GET that comes back */
		free(ev);
		return;
	}
	if (session_waiting(s) + len > SG_MCP_QUEUE_MAX) {
		free(ev);
		if (u)
			upreq_drop(u);
		target_cut(t, "it sent more than the client reads: 8 MiB wait for it");
		return;
	}
	/* Progress keeps a call alive: its bound counts from the last. */
	if (c != s->get && !request && !c->status && !strcmp(m->method, "notifications/progress"))
		sg_timer_arm(s->hub->loop, &c->timer, sg_loop_now(s->hub->loop) + SG_MCP_CALL_MS);
	c->streamed = true;
	if (!s->hub->stream->event(c->data, ev, len) && u)
		upreq_drop(u);
}

/* ---- a target's handshake and restarts ------------------------------------- */

static void handshake_end(struct target *t, const struct sg_jsonrpc *m);

/* A message from target t: the response a call waits for, or one for the
 * client (related: the request whose POST it came in, 0: unknown). */
static void on_message(void *arg, const char *line, size_t len, uint64_t related)
{
	struct target *t = arg;
	struct session *s = t->s;
	struct sg_jsonrpc m;
	const char *why;
	double id;
	struct call *c;
	int rc = sg_jsonrpc_parse(line, len, &m, &why);

	if (rc) {
		SG_DEBUG("mcp target %s: not JSON-RPC (%s): dropped", s->names[t->idx], why);
		sg_json_free(m.root);
		return;
	}
	if (m.kind != SG_JSONRPC_RESPONSE) {
		if (flooded(t))
			target_cut(t, "it sent more than 1000 messages for the client in a second");
		else
			to_client(t, &m, related);
		sg_jsonrpc_free(&m);
		return;
	}
	if (!sg_json_num(m.id, &id) && t->hs_id && id == (double)t->hs_id) {
		handshake_end(t, &m);
		sg_jsonrpc_free(&m);
		return;
	}
	if (sg_json_num(m.id, &id) || id < 1 || !(c = waiting_for(s, t->idx, (uint64_t)id))) {
		sg_jsonrpc_free(&m);
		return;
	}
	target_response(c, t->idx, &m);
}

static void on_line(void *arg, const char *line, size_t len)
{
	on_message(arg, line, len, 0);
}

/* The calls waiting on t are answered with its failure (t->why); what
 * was held for it is dropped, and its requests to the client with it
 * (their answers have no one to go to). */
static void fail_waiting(struct target *t)
{
	struct session *s = t->s;
	struct sg_list *l, *next;

	held_drop(t);
	t->hs_id = 0;
	sg_timer_stop(s->hub->loop, &t->hs_timer);
	for (size_t k = 0; k < SG_MCP_UPREQS_MAX; k++)
		if (s->ups[k].id && s->ups[k].target == t->idx)
			upreq_drop(&s->ups[k]);
	for (l = s->calls.next; l != &s->calls; l = next) {
		struct call *c = SG_LIST_ENTRY(l, struct call, link);

		next = l->next;
		if (c->ids[t->idx])
			target_response(c, t->idx, NULL);
	}
}

/* t's process may be started again: a stdio target of a session in use,
 * not cut off, fewer than SG_MCP_RESTARTS restarts in a row. */
static bool restartable(struct target *t)
{
	uint64_t now = sg_loop_now(t->s->hub->loop);

	if (!t->conf || t->cut || !t->s->ready || t->s->stateless)
		return false;
	if (now - t->born >= SG_MCP_RESTART_RESET_MS)
		t->restarts = 0;
	return t->restarts < SG_MCP_RESTARTS;
}

static void on_gone(void *arg, const char *why)
{
	struct target *t = arg;
	struct session *s = t->s;
	bool again = restartable(t);
	unsigned ms = SG_MCP_RESTART_MS << t->restarts;

	SG_INFO("mcp session %s: target %s: %s", s->id, s->names[t->idx], why);
	/* A child that went is reaped now, not at the session's end: it holds
	 * a pid and a place in SG_MCP_CHILDREN_MAX. */
	sg_mcp_child_kill(t->child);
	t->child = NULL;
	if (why != t->failure) /* why may be the caller's, for the call only */
		snprintf(t->failure, sizeof(t->failure), "%s", why);
	t->why = t->failure;
	t->down = again;
	t->dead = !again;
	/* Its waiting calls fail as they would without a restart; those that
	 * come during the back-off wait for the new process. */
	fail_waiting(t);
	if (!again) {
		if (t->conf && !t->cut && s->ready && !s->stateless)
			SG_WARN("mcp session %s: target %s: %d restarts in a row: not started "
				"again",
				s->id, s->names[t->idx], SG_MCP_RESTARTS);
		return;
	}
	SG_WARN("mcp session %s: target %s: %s: restart %u in %u ms", s->id, s->names[t->idx],
		t->failure, t->restarts + 1, ms);
	sg_timer_arm(s->hub->loop, &t->restart, sg_loop_now(s->hub->loop) + ms);
}

/* An HTTP target's POST of request id failed: the call waiting for it
 * fails as it would if the target were gone; an initialize's target takes
 * no further part in the session (failOpen goes on without it), nor does
 * one whose handshake failed. */
static void on_failed(void *arg, uint64_t id, const char *why)
{
	struct target *t = arg;
	struct call *c = id ? waiting_for(t->s, t->idx, id) : NULL;
	char msg[sizeof(t->failure)];

	if (id && id == t->hs_id) {
		snprintf(msg, sizeof(msg), "%s", why);
		target_lost(t, msg, false);
		return;
	}
	if (!c)
		return; /* answered already */
	snprintf(t->failure, sizeof(t->failure), "%s", why);
	t->why = t->failure;
	if (c->op == CALL_INIT)
		t->dead = true;
	target_response(c, t->idx, NULL);
}

static const struct sg_mcp_child_ops child_ops = {
	.line = on_line,
	.gone = on_gone,
};

static const struct sg_mcp_http_ops http_ops = {
	.message = on_message,
	.failed = on_failed,
	.gone = on_gone,
};

/* The initialize the gateway sends t with id: the client's params (a
 * restart), or the gateway's own (a stateless session's). Malloc'd;
 * NULL: out of memory. */
static char *init_text(const struct session *s, uint64_t id)
{
	char own[192];
	const char *params = s->init;
	size_t n;
	char *text;

	if (!params) {
		snprintf(own, sizeof(own),
			 "{\"protocolVersion\":\"%s\",\"capabilities\":{},"
			 "\"clientInfo\":{\"name\":\"splicegate\",\"version\":\"1.0\"}}",
			 s->version[0] ? s->version : SG_MCP_STATELESS_VERSION);
		params = own;
	}
	n = strlen(params) + 80;
	if ((text = malloc(n)))
		snprintf(text, n,
			 "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"initialize\","
			 "\"params\":%s}",
			 id, params);
	return text;
}

/* t's handshake begins: its initialize goes; what is sent to it is held
 * until the answer (handshake_end). */
static void handshake(struct target *t)
{
	uint64_t id = ++t->s->next_id;
	char *text = init_text(t->s, id);
	int rc = text ? raw_send(t, text, strlen(text), id, true) : -ENOMEM;

	free(text);
	if (!rc) {
		t->hs_id = id;
		if (!t->s->stateless)
			sg_timer_arm(t->s->hub->loop, &t->hs_timer,
				     sg_loop_now(t->s->hub->loop) + SG_MCP_HANDSHAKE_MS);
	} else if (rc != -EPIPE) /* gone: on_gone ran */
		target_lost(t, rc == -ENOMEM ? "out of memory" : "its initialize could not be sent",
			    false);
}

/* A restarted t's handshake's initialize went unanswered for
 * SG_MCP_HANDSHAKE_MS: t is taken for gone, as a process that exited
 * (on_gone: what waits for it fails with why, and its process is started
 * again after the back-off). */
static void handshake_timeout(struct sg_loop *loop, struct sg_timer *tm)
{
	struct target *t = tm->data;
	char msg[64];

	(void)loop;
	if (!t->hs_id)
		return;
	snprintf(msg, sizeof(msg), "it did not answer its initialize in %d s",
		 SG_MCP_HANDSHAKE_MS / 1000);
	target_lost(t, msg, false);
}

/* t answered its handshake's initialize (m): notifications/initialized
 * goes, then what was held, in order. An error fails t. */
static void handshake_end(struct target *t, const struct sg_jsonrpc *m)
{
	static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
	const char *why = m->error ? sg_json_str(sg_json_get(m->error, "message")) : NULL;
	char msg[sizeof(t->failure)];
	struct sg_list *l;

	t->hs_id = 0;
	sg_timer_stop(t->s->hub->loop, &t->hs_timer);
	if (!m->result) {
		snprintf(msg, sizeof(msg), "its initialize failed: %s", why ? why : "no result");
		target_lost(t, msg, false);
		return;
	}
	if (raw_send(t, note, sizeof(note) - 1, 0, false) == -EPIPE)
		return;
	while (!t->dead && !t->down && (l = sg_list_first(&t->held))) {
		struct held *h = SG_LIST_ENTRY(l, struct held, link);
		uint64_t id = h->id;
		struct call *c;
		int rc;

		sg_list_remove(l);
		t->held_bytes -= h->len;
		rc = raw_send(t, h->text, h->len, id, false);
		free(h);
		if (rc == -EPIPE) /* gone: on_gone failed the rest */
			return;
		if (rc && id && (c = waiting_for(t->s, t->idx, id)))
			target_response(c, t->idx, NULL);
	}
}

/* t's process spawned, or its HTTP end opened, from conf. False when it
 * cannot be: t is dead then, why said. */
static bool target_start(struct target *t, const struct sg_mcp_target *conf)
{
	struct sg_loop *loop = t->s->hub->loop;

	t->started = true;
	t->born = sg_loop_now(loop);
	if (conf->kind == SG_MCP_OPENAPI) {
		if (!sg_mcp_openapi_open(loop, conf, &http_ops, t, &t->api))
			return true;
		t->why = "out of memory";
	} else if (conf->kind != SG_MCP_STDIO) {
		if (!sg_mcp_http_open(loop, conf, &http_ops, t, &t->http))
			return true;
		t->why = "out of memory";
	} else if (sg_mcp_children() >= SG_MCP_CHILDREN_MAX) {
		t->why = "the gateway runs as many target processes as it may";
	} else if (!sg_mcp_child_spawn(loop, conf, &child_ops, t, &t->child)) {
		return true;
	} else {
		t->why = "it could not be started";
	}
	t->dead = true;
	return false;
}

/* The back-off passed: t's new process starts, and is given the session's
 * initialize before what waits for it. */
static void restart_now(struct sg_loop *loop, struct sg_timer *tm)
{
	struct target *t = tm->data;
	struct session *s = t->s;

	(void)loop;
	t->down = false;
	t->restarts++;
	if (!target_start(t, t->conf)) {
		SG_WARN("mcp session %s: target %s: restart %u: %s", s->id, s->names[t->idx],
			t->restarts, t->why);
		fail_waiting(t);
		return;
	}
	atomic_fetch_add_explicit(&s->hub->restarts, 1, memory_order_relaxed);
	SG_WARN("mcp session %s: target %s: restarted (restart %u in a row)", s->id,
		s->names[t->idx], t->restarts);
	handshake(t);
}

/* A stdio target's config copied whole into one block (free() it). NULL:
 * out of memory. */
static struct sg_mcp_target *conf_copy(const struct sg_mcp_target *t)
{
	size_t nv = t->args.n + t->env.n, n = sizeof(*t) + nv * sizeof(char *);
	struct sg_mcp_target *c;
	const char **v;
	char *p;

	n += strlen(t->name) + strlen(t->cmd) + 2;
	for (size_t i = 0; i < t->args.n; i++)
		n += strlen(t->args.v[i]) + 1;
	for (size_t i = 0; i < t->env.n; i++)
		n += strlen(t->env.v[i]) + 1;
	if (!(c = calloc(1, n)))
		return NULL;
	v = (const char **)(c + 1);
	p = (char *)(v + nv);
	c->kind = t->kind;
	c->clear_env = t->clear_env;
	c->name = p;
	p = stpcpy(p, t->name) + 1;
	c->cmd = p;
	p = stpcpy(p, t->cmd) + 1;
	for (size_t i = 0; i < nv; i++) {
		v[i] = p;
		p = stpcpy(p, i < t->args.n ? t->args.v[i] : t->env.v[i - t->args.n]) + 1;
	}
	c->args = (struct sg_strs){ v, t->args.n, t->args.n };
	c->env = (struct sg_strs){ v + t->args.n, t->env.n, t->env.n };
	return c;
}

/* A session of m's targets: started now (stateful: the client's
 * initialize is their handshake; stdio ones may restart), or each when a
 * request first goes to it (stateless: target_begin). */
static struct session *session_new(struct sg_mcp_hub *hub, const struct sg_mcp_backend *m,
				   bool stateless)
{
	struct session *s = calloc(1, sizeof(*s));
	unsigned char rnd[16];

	if (!s || !(s->names = calloc(m->n, sizeof(*s->names))) ||
	    !(s->targets = calloc(m->n, sizeof(*s->targets))) ||
	    getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		goto fail;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
	s->hub = hub;
	s->n = m->n;
	s->prefix = sg_mcp_prefixed(m);
	s->fail_open = m->fail_open;
	s->stateless = stateless;
	s->m = stateless ? m : NULL;
	sg_list_init(&s->calls);
	sg_timer_init(&s->idle, session_idle, s);
	sg_mcp_replay_init(&s->replay);
	for (size_t i = 0; i < m->n; i++) {
		struct target *t = &s->targets[i];

		t->s = s;
		t->idx = i;
		t->sse = m->targets[i].kind == SG_MCP_SSE;
		sg_list_init(&t->held);
		sg_timer_init(&t->restart, restart_now, t);
		sg_timer_init(&t->hs_timer, handshake_timeout, t);
	}
	sg_list_insert_tail(&hub->sessions, &s->link);
	hub->nsessions++;
	for (size_t i = 0; i < m->n; i++) {
		struct target *t = &s->targets[i];

		if (!(s->names[i] = strdup(m->targets[i].name)))
			goto fail_session;
		if (stateless)
			continue;
		if (m->targets[i].kind == SG_MCP_STDIO)
			t->conf = conf_copy(&m->targets[i]); /* none: no restarts */
		target_start(t, &m->targets[i]);
	}
	sg_timer_arm(hub->loop, &s->idle, sg_loop_now(hub->loop) + SG_MCP_SESSION_IDLE_MS);
	return s;
fail_session:
	session_end(s);
	return NULL;
fail:
	if (s) {
		free(s->names);
		free(s->targets);
	}
	free(s);
	return NULL;
}

/* A stateless session's target i, started for the first request to it:
 * initialized by the gateway first unless that request is the client's
 * initialize. False when it cannot be. */
static bool target_begin(struct target *t, bool initialize)
{
	if (!target_start(t, &t->s->m->targets[t->idx]))
		return false;
	if (!initialize)
		handshake(t);
	return !t->dead;
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
			session_end(s);
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
		session_end(s);
		s = NULL;
	}
	if (s)
		memcpy(rep.sid, s->id, sizeof(rep.sid));
	if (!c->done(c->data, &rep) && s) /* its client left: no one knows the id */
		session_end(s);
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
static void target_response(struct call *c, size_t i, struct sg_jsonrpc *m)
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
	if (!t->started && !target_begin(t, c->op == CALL_INIT))
		return false;
	if (msg->kind != SG_JSONRPC_REQUEST)
		id = 0;
	text = sg_jsonrpc_with_id(msg, id);
	c->hub->sending = c->headers;
	rc = text ? target_send(t, text, strlen(text), id, c->op == CALL_INIT) : -ENOMEM;
	if (rc == -EPIPE && t->down) /* it went just now: the message waits for its restart */
		rc = target_send(t, text, strlen(text), id, c->op == CALL_INIT);
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

/* tools/call and prompts/get: the target its name's prefix names, the
 * name without it written back into the message. -1: none. */
static int route_by_name(struct call *c)
{
	struct session *s = c->s;
	struct sg_json *params = sg_json_get(c->msg.root, "params");
	const char *name = sg_json_str(sg_json_get(params, "name")), *rest;
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
	sg_json_remove(params, "name");
	sg_json_add_str(params, "name", copy);
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

/* A request (or notification) of a session, to its targets. */
static void dispatch(struct call *c)
{
	const char *method = c->msg.method;
	int i;

	if (c->msg.kind == SG_JSONRPC_NOTIFICATION && c->s->stateless) {
		note_all(c);
		return;
	}
	if (c->msg.kind == SG_JSONRPC_NOTIFICATION) {
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
	if (!strcmp(method, "tools/call") || !strcmp(method, "prompts/get")) {
		c->op = CALL_ONE;
		if ((i = route_by_name(c)) < 0)
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

/* The client's initialize params kept in s, for a target restarted
 * later. False when out of memory. */
static bool keep_init(struct session *s, const struct sg_jsonrpc *msg)
{
	s->init = msg->params ? sg_json_print(msg->params, SG_JSON_COMPACT) : strdup("{}");
	return s->init != NULL;
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

	if (ask->version_unknown) {
		call_error(c, 400, SG_JSONRPC_INVALID_REQUEST,
			   "MCP-Protocol-Version names a version the gateway does not speak");
		return false;
	}
	if (c->msg.kind == SG_JSONRPC_RESPONSE) { /* no target's request was relayed */
		answer_later(c, 202, NULL);
		return false;
	}
	if (hub->nsessions >= SG_MCP_SESSIONS_MAX) {
		call_error(c, 503, SG_JSONRPC_SESSION_ERROR, "too many MCP requests in flight");
		return false;
	}
	if (!(s = session_new(hub, ask->m, true))) {
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
		if (!ask->has_sid || !(s = session_find(hub, ask->sid)) || !s->legacy) {
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
		if (hub->nsessions >= SG_MCP_SESSIONS_MAX) {
			call_error(c, 503, SG_JSONRPC_SESSION_ERROR,
				   "too many MCP sessions: end one with DELETE");
			return;
		}
		if (!(s = session_new(hub, ask->m, false)) || !keep_init(s, &c->msg)) {
			if (s)
				session_end(s);
			call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
			return;
		}
		c->s = c->init_s = s;
	} else if (!ask->has_sid) {
		call_error(c, 400, SG_JSONRPC_SESSION_ERROR,
			   "Mcp-Session-Id is required: initialize first");
		return;
	} else if (!(s = session_find(hub, ask->sid))) {
		call_error(c, 404, SG_JSONRPC_SESSION_ERROR, "no such MCP session");
		return;
	} else if (ask->version_unknown) {
		call_error(c, 400, SG_JSONRPC_INVALID_REQUEST,
			   "MCP-Protocol-Version names a version the gateway does not speak");
		return;
	} else {
		c->s = s;
	}
	if (c->msg.kind == SG_JSONRPC_RESPONSE) { /* to a target's request relayed */
		upreq_answered(s, &c->msg);
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
			session_end(c->s);
		c->s = c->init_s = NULL;
	}
}

static bool method_is(const struct sg_h1_req *req, const char *m)
{
	return req->method.len == strlen(m) && !memcmp(req->method.p, m, req->method.len);
}

static void delete_session(struct call *c, const struct sg_mcp_ask *ask)
{
	struct session *s = ask->has_sid ? session_find(c->hub, ask->sid) : NULL;

	if (!s) {
		call_error(c, ask->has_sid ? 404 : 400, SG_JSONRPC_SESSION_ERROR,
			   ask->has_sid ? "no such MCP session" : "Mcp-Session-Id is required");
		return;
	}
	session_end(s);
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

/* An event a GET resuming the stream missed, to it (text taken). */
static void replay_one(void *arg, char *text, size_t len)
{
	struct call *c = arg;

	c->hub->stream->event(c->data, text, len);
}

/* A GET: the session's stream opens (its head goes at once) and carries
 * what the targets send outside any call, until the session ends. A
 * second GET takes the stream over: the first one's connection may be
 * dead unnoticed, and MCP allows one stream to carry a message. Its
 * events carry ids; a GET with Last-Event-ID gets first the events after
 * that one (MCP's resumability: those the stream carried, or would have,
 * while the client was away), as many as the replay buffer keeps. */
static void get_stream(struct call *c, const struct sg_mcp_ask *ask)
{
	struct session *s = ask->has_sid ? session_find(c->hub, ask->sid) : NULL;

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
	if (ask->version_unknown) {
		call_error(c, 400, SG_JSONRPC_INVALID_REQUEST,
			   "MCP-Protocol-Version names a version the gateway does not speak");
		return;
	}
	get_end(s);
	c->op = CALL_STREAM;
	c->gs = s;
	s->get = c;
	c->streamed = true;
	c->hub->stream->event(c->data, NULL, 0);
	if (!s->legacy) /* a legacy session ends with its stream: nothing to resume */
		s->resumable = true;
	if (s->resumable && ask->has_last_id &&
	    sg_mcp_replay_since(&s->replay, ask->last_id, strlen(ask->last_id), replay_one, c) ==
		    -EINVAL)
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
	if (hub->nsessions >= SG_MCP_SESSIONS_MAX) {
		call_error(c, 503, SG_JSONRPC_SESSION_ERROR, "too many MCP sessions");
		return;
	}
	if (!(s = session_new(hub, ask->m, false))) {
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	s->legacy = s->ready = true;
	if ((url = endpoint_of(ask->endpoint, s->id)))
		ev = sg_sse_event_text("endpoint", url, strlen(url), &len);
	free(url);
	if (!ev) {
		session_end(s);
		call_error(c, 503, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	c->op = CALL_STREAM;
	c->gs = s;
	s->get = c;
	c->streamed = true;
	hub->stream->event(c->data, ev, len);
}

void sg_mcp_hub_relay(struct sg_mcp_hub *hub, const char *sid, char *text)
{
	struct session *s = session_find(hub, sid);
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

/* Accept names text/event-stream. */
static bool accepts_sse(const struct sg_h1_req *req)
{
	const struct sg_h1_span *v = sg_h1_header(req, "accept");

	return v && memmem(v->p, v->len, "text/event-stream", 17);
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
			session_end(s);
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
	return hub;
}

void sg_mcp_hub_free(struct sg_mcp_hub *hub)
{
	struct sg_list *l;

	if (!hub)
		return;
	while ((l = sg_list_first(&hub->sessions)))
		session_end((struct session *)((char *)l - offsetof(struct session, link)));
	while ((l = sg_list_first(&hub->calls))) {
		struct call *c = SG_LIST_ENTRY(l, struct call, all);

		c->done(c->data, NULL);
		call_over(c);
	}
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
 * parameter. False when out of memory. */
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

		if (next - p >= 10 && !memcmp(p, "sessionId=", 10)) {
			sid_of(a, p + 10, (size_t)(next - p - 10));
			break;
		}
		p = next + 1;
	}
	return true;
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

bool sg_mcp_ask_of(struct sg_mcp_ask *a, const struct sg_request *r)
{
	const struct sg_h1_req *req = r->req;
	const struct sg_h1_span *sid = sg_h1_header(req, "mcp-session-id");
	const struct sg_h1_span *ver = sg_h1_header(req, "mcp-protocol-version");
	const struct sg_h1_span *last = sg_h1_header(req, "last-event-id");
	struct sg_mirror_request body = { 0 };

	memset(a, 0, sizeof(*a));
	a->m = r->at.route->backends.v[0].mcp;
	a->method = method_is(req, "POST")     ? SG_MCP_POST
		    : method_is(req, "GET")    ? SG_MCP_GET
		    : method_is(req, "DELETE") ? SG_MCP_DELETE
					       : SG_MCP_OTHER;
	a->json = json_content(req);
	a->sse = accepts_sse(req);
	if (!legacy_of(a, r))
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

void sg_mcp_ask_free(struct sg_mcp_ask *a)
{
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
