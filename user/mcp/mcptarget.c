/* A session's targets (mcptarget.h): each started (a child process, a
 * streamable HTTP or SSE end, an OpenAPI document's tools), initialized
 * by the gateway when the client's initialize is not theirs, restarted
 * with back-off, sent to (held while a handshake runs), and what each
 * sends the client put on the right call's stream. */
#include "user/mcp/mcptarget.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "user/base/log.h"
#include "user/codec/sse.h"
#include "user/core/srclimit.h"
#include "user/mcp/mcphttp.h"
#include "user/mcp/openapi.h"
#include "user/mcp/stdio.h"

/* ---- sending to a target ------------------------------------------------- */

/* What is held for t, dropped (the calls waiting for it are the caller's
 * to answer). */
void sg_mcp_held_drop(struct target *t)
{
	struct sg_list *l;

	while ((l = sg_list_first(&t->held))) {
		sg_list_remove(l);
		free(SG_LIST_ENTRY(l, struct held, link));
	}
	t->held_bytes = 0;
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
			id && !t->s->hub->sending ? sg_mcp_waiting_for(t->s, t->idx, id) : NULL;

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
int sg_mcp_target_send(struct target *t, const char *msg, size_t len, uint64_t id, bool init)
{
	if (t->down || t->hs_id)
		return hold(t, msg, len, id);
	return raw_send(t, msg, len, id, init);
}

/* ---- what targets send the client ---------------------------------------- */

bool sg_mcp_same_id(const struct sg_json *a, const struct sg_json *b)
{
	const char *sa = sg_json_str(a), *sb = sg_json_str(b);
	double x, y;

	if (sa || sb)
		return sa && sb && !strcmp(sa, sb);
	/* kept as written (past 2^53, fractions): their doubles may be one */
	sa = sg_json_num_text(a);
	sb = sg_json_num_text(b);
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

		if (token && c->token && sg_mcp_same_id(c->token, token))
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

size_t sg_mcp_session_waiting(const struct session *s)
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
void sg_mcp_upreq_answered(struct session *s, const struct sg_jsonrpc *m)
{
	uint64_t id;
	struct upreq *u = sg_jsonrpc_id_u64(m->id, &id) ? upreq_find(s, id) : NULL;
	struct sg_json *orig;
	struct target *t;
	char *text;

	if (!u)
		return;
	t = &s->targets[u->target];
	orig = sg_json_parse_exact(u->orig);
	text = orig ? sg_jsonrpc_reply_text(orig, m) : NULL;
	if (text && !t->dead)
		sg_mcp_target_send(t, text, strlen(text), 0, false);
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
	sg_mcp_target_kill(t);
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
		sg_mcp_target_send(t, err, strlen(err), 0, false);
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
	if (sg_mcp_session_waiting(s) + len > SG_MCP_QUEUE_MAX) {
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
	uint64_t own; /* the id as the gateway numbers its requests */
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
	if (t->hs_id && sg_jsonrpc_id_u64(m.id, &own) && own == t->hs_id) {
		handshake_end(t, &m);
		sg_jsonrpc_free(&m);
		return;
	}
	if (!sg_jsonrpc_id_u64(m.id, &own) || !(c = sg_mcp_waiting_for(s, t->idx, own))) {
		sg_jsonrpc_free(&m);
		return;
	}
	sg_mcp_target_response(c, t->idx, &m);
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

	sg_mcp_held_drop(t);
	t->hs_id = 0;
	sg_timer_stop(s->hub->loop, &t->hs_timer);
	for (size_t k = 0; k < SG_MCP_UPREQS_MAX; k++)
		if (s->ups[k].id && s->ups[k].target == t->idx)
			upreq_drop(&s->ups[k]);
	for (l = s->calls.next; l != &s->calls; l = next) {
		struct call *c = SG_LIST_ENTRY(l, struct call, link);

		next = l->next;
		if (c->ids[t->idx])
			sg_mcp_target_response(c, t->idx, NULL);
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
	sg_mcp_target_kill(t);
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
	struct call *c = id ? sg_mcp_waiting_for(t->s, t->idx, id) : NULL;
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
	sg_mcp_target_response(c, t->idx, NULL);
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
		if (rc && id && (c = sg_mcp_waiting_for(t->s, t->idx, id)))
			sg_mcp_target_response(c, t->idx, NULL);
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
	} else if (!sg_srclimit_take(t->s->hub->src_children, t->s->source)) {
		t->why = "the gateway runs as many target processes for this client address as "
			 "it may";
	} else if (!sg_mcp_child_spawn(loop, conf, &child_ops, t, &t->child)) {
		return true;
	} else {
		sg_srclimit_release(t->s->hub->src_children, t->s->source);
		t->why = "it could not be started";
	}
	t->dead = true;
	return false;
}

void sg_mcp_target_kill(struct target *t)
{
	if (!t->child)
		return;
	sg_mcp_child_kill(t->child);
	t->child = NULL;
	sg_srclimit_release(t->s->hub->src_children, t->s->source);
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

/* A session of ask's route and of its backend's targets: started now
 * (stateful: the client's initialize is their handshake; stdio ones may
 * restart), or each when a request first goes to it (stateless:
 * sg_mcp_target_begin). */
struct session *sg_mcp_session_new(struct sg_mcp_hub *hub, const struct sg_mcp_ask *ask,
				   bool stateless)
{
	const struct sg_mcp_backend *m = ask->m;
	struct session *s = calloc(1, sizeof(*s));
	unsigned char rnd[16];

	if (!s || !(s->names = calloc(m->n, sizeof(*s->names))) ||
	    !(s->targets = calloc(m->n, sizeof(*s->targets))) ||
	    !(s->route = strdup(ask->route ? ask->route : "")) ||
	    !(s->caller = strdup(ask->caller ? ask->caller : "")) ||
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
	snprintf(s->source, sizeof(s->source), "%s", ask->source);
	if (!sg_srclimit_take(hub->src_sessions, s->source))
		goto fail; /* its share is taken (the caller checked), or no memory */
	sg_list_init(&s->calls);
	sg_timer_init(&s->idle, sg_mcp_session_idle, s);
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
	sg_mcp_session_end(s);
	return NULL;
fail:
	if (s) {
		free(s->names);
		free(s->targets);
		free(s->route);
		free(s->caller);
	}
	free(s);
	return NULL;
}

/* A stateless session's target i, started for the first request to it:
 * initialized by the gateway first unless that request is the client's
 * initialize. False when it cannot be. */
bool sg_mcp_target_begin(struct target *t, bool initialize)
{
	if (!target_start(t, &t->s->m->targets[t->idx]))
		return false;
	if (!initialize)
		handshake(t);
	return !t->dead;
}
