/* The MCP service (contract in mcpsvc.h). A job is owned by whoever holds
 * it: the worker while it builds it, the service's inbox and then the hub
 * until the reply, the port's inbox until the worker takes it. Only the
 * worker frees a job it gets back; a job whose port is closed is freed
 * where it stands. The one thing both threads touch is a job's `gone`,
 * set when its request ends first; the worker then also posts a cancel,
 * which the service compares with its pending calls' jobs; and its
 * stream's `waiting` bytes.
 *
 * A call that streams (a GET, a POST whose client takes an event stream)
 * sends events before its reply, through the same port: the worker
 * writes the response head at the first, each event as body bytes, and
 * the reply ends the stream. The response goes out through the request's
 * attempt ops, as an HTTP/2 backend's would (chunked to an HTTP/1.1
 * client, DATA frames to an HTTP/2 one), and the bytes the frontend
 * passes on are counted back (sg_attempt's fed), so the hub knows what
 * each stream holds unread. An event always precedes its job's reply in
 * the port's inbox, so it finds its job alive. */
#include "user/mcp/mcpsvc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/inbox.h"
#include "user/base/log.h"
#include "user/codec/sse.h"
#include "user/core/request.h"
#include "user/mcp/mcp.h"
#include "user/mcp/mcpauthz.h"
#include "user/mcp/mcphttp.h"
#include "user/mcp/mcplog.h"
#include "user/mcp/openapi.h"
#include "user/mcp/stdio.h"

struct port {
	struct sg_inbox in; /* replies, in the worker's loop */
	bool open;
	struct sg_mcp_service *svc;
};

/* What the service's inbox holds: jobs, cancels, relays and the stop; a
 * port's: jobs (replies) and events. */
enum item_kind { ITEM_JOB, ITEM_CANCEL, ITEM_STOP, ITEM_EVENT, ITEM_RELAY };

struct item {
	struct sg_list link;
	enum item_kind kind;
};

struct sg_mcp_service {
	struct sg_loop *loop;
	struct sg_inbox in;	/* items */
	struct item stop;	/* posted to end the thread */
	struct sg_mcp_hub *hub; /* on loop */
	pthread_mutex_t lock;	/* guards started */
	bool started;
	pthread_t thread;
	unsigned nports;
	struct port ports[];
};

struct job {
	struct item item;     /* ITEM_JOB; its link is in one inbox at a time */
	uint64_t seq;	      /* unique in the process: a cancel names it */
	struct port *port;    /* where its reply goes */
	struct sg_request *r; /* the worker's alone: NULL once cancelled */
	atomic_bool gone;     /* its request ended: no one waits for the reply */
	struct sg_cfg *cfg;   /* held: ask.m is in it */
	struct sg_mcp_ask ask;
	struct sg_mcp_authz_ask authz; /* what mcpAuthorization needs of the reply */
	struct sg_mcp_reply rep;
	bool replied; /* rep is the hub's (else it was given up or the hub ended) */
	/* Its stream's bytes posted by the hub and not yet passed on to the
	 * client's socket by the frontend. */
	atomic_size_t waiting;
	bool streaming; /* the worker's: its stream's head went out */
};

/* One event of a job's stream, on its way to the worker. */
struct event {
	struct item item; /* ITEM_EVENT */
	struct job *j;
	char *text; /* NULL: the head alone */
	size_t len;
};

/* A worker's word that a job's request ended: the service gives its call
 * up, so that a request's timeout ends the initialize it waited for (and
 * its children) then, not when the targets answer. */
struct cancel {
	struct item item; /* ITEM_CANCEL */
	struct job *j;	  /* compared with pending calls' jobs; read only when one matches */
	uint64_t seq;
};

/* A legacy POST's answer, filtered by its worker, for its session's
 * stream (sg_mcp_hub_relay). */
struct relay {
	struct item item; /* ITEM_RELAY */
	char sid[SG_MCP_SID_LEN + 2];
	char *route;  /* the POST's route's key (a copy: its config may go first) */
	char *caller; /* its caller (sg_mcp_caller_of) */
	char *text;
};

static void relay_free(struct relay *x)
{
	free(x->route);
	free(x->caller);
	free(x->text);
	free(x);
}

static _Atomic uint64_t job_seq;

static void job_free(struct job *j)
{
	sg_mcp_ask_free(&j->ask);
	free(j->rep.body);
	free(j->rep.tcalls);
	sg_cfg_unref(j->cfg);
	free(j);
}

/* An item never taken: the service's inbox closed with it. */
static void drop_item(struct sg_list *l)
{
	struct item *it = SG_LIST_ENTRY(l, struct item, link);

	if (it->kind == ITEM_JOB)
		job_free((struct job *)it);
	else if (it->kind == ITEM_CANCEL)
		free(it);
	else if (it->kind == ITEM_RELAY)
		relay_free((struct relay *)it);
}

static void event_free(struct event *e)
{
	free(e->text);
	free(e);
}

static void drop_reply(struct sg_list *l)
{
	struct item *it = SG_LIST_ENTRY(l, struct item, link);

	if (it->kind == ITEM_EVENT)
		event_free((struct event *)it);
	else
		job_free((struct job *)it);
}

/* ---- the service's thread ------------------------------------------------- */

static bool job_done(void *data, struct sg_mcp_reply *rep)
{
	struct job *j = data;
	bool wanted = !atomic_load(&j->gone);

	sg_mcp_ask_free(&j->ask); /* read when the call began */
	if (rep) {
		j->rep = *rep;
		j->replied = true;
	}
	/* Posted, the job is its worker's: not touched here again. */
	if (!sg_inbox_post(&j->port->in, &j->item.link))
		job_free(j); /* its worker is gone */
	return wanted;
}

static bool job_event(void *data, char *text, size_t len)
{
	struct job *j = data;
	struct event *e = atomic_load(&j->gone) ? NULL : calloc(1, sizeof(*e));

	if (!e) {
		free(text);
		return false;
	}
	e->item.kind = ITEM_EVENT;
	e->j = j;
	e->text = text;
	e->len = text ? len : 0;
	sg_list_init(&e->item.link);
	atomic_fetch_add(&j->waiting, e->len);
	if (!sg_inbox_post(&j->port->in, &e->item.link)) {
		atomic_fetch_sub(&j->waiting, e->len);
		event_free(e); /* its worker is gone */
		return false;
	}
	return true;
}

static size_t job_waiting(const void *data)
{
	return atomic_load(&((const struct job *)data)->waiting);
}

static const struct sg_mcp_stream_ops stream_ops = {
	.event = job_event,
	.waiting = job_waiting,
};

static void take_item(void *data, struct sg_list *l)
{
	struct sg_mcp_service *m = data;
	struct item *it = SG_LIST_ENTRY(l, struct item, link);
	struct cancel *x;
	struct relay *rl;

	switch (it->kind) {
	case ITEM_JOB: /* the job may be gone when this returns */
		sg_mcp_hub_call(m->hub, &((struct job *)it)->ask, job_done, it);
		break;
	case ITEM_CANCEL:
		x = (struct cancel *)it;
		/* x->j is read only once a pending call holds it (alive then);
		 * the seq tells it from a later job at the same address. */
		if (sg_mcp_hub_pending(m->hub, x->j) && x->j->seq == x->seq)
			sg_mcp_hub_cancel(m->hub, x->j);
		free(x);
		break;
	case ITEM_RELAY:
		rl = (struct relay *)it;
		sg_mcp_hub_relay(m->hub, rl->sid, rl->route, rl->caller, rl->text);
		rl->text = NULL; /* taken */
		relay_free(rl);
		break;
	case ITEM_STOP:
		sg_loop_stop(m->loop);
		break;
	default:
		break;
	}
}

static void *service_main(void *arg)
{
	struct sg_mcp_service *m = arg;

	if (sg_loop_run(m->loop) == -1)
		SG_ERR("mcp service: event loop failed: %s", strerror(errno));
	return NULL;
}

/* The thread, started by the first job. */
static bool started(struct sg_mcp_service *m)
{
	bool ok;

	pthread_mutex_lock(&m->lock);
	if (!m->started && pthread_create(&m->thread, NULL, service_main, m) == 0)
		m->started = true;
	ok = m->started;
	pthread_mutex_unlock(&m->lock);
	return ok;
}

/* ---- a worker's side ------------------------------------------------------- */

static struct sg_h1_span span(const char *s)
{
	return (struct sg_h1_span){ s, strlen(s) };
}

/* The frontend passed n bytes of the stream on to the client. */
static void stream_fed(struct sg_attempt *a, size_t n)
{
	struct sg_request *r = (struct sg_request *)((char *)a - offsetof(struct sg_request, at));
	struct job *j = r->served;

	if (j)
		atomic_fetch_sub(&j->waiting, n);
}

/* The stream's head goes to j's client: 200, text/event-stream, with the
 * route's response edit (the frontend's, as for a backend's head). False
 * when the request ended meanwhile. */
static bool stream_begin(struct job *j)
{
	struct sg_request *r = j->r;
	struct sg_h1_header h[] = {
		{ span("content-type"), span("text/event-stream") },
		{ span("cache-control"), span("no-cache") },
	};
	struct sg_h1_resp resp = {
		.status = 200,
		.reason = span("OK"),
		.minor = 1,
		.headers = h,
		.headers_cap = 2,
		.nheaders = 2,
		.content_length = -1,
		.head_len = 256, /* what an HTTP/2 frontend sizes its copy by */
	};

	j->streaming = true;
	r->at.no_retry = true; /* the route's retry codes never redo a stream */
	r->at.fed = stream_fed;
	r->at.ops->head(&r->at, &resp, false);
	return j->r != NULL;
}

/* Bytes of j's stream the client will never get (its request ended). */
static void unsent(struct job *j, size_t n)
{
	atomic_fetch_sub(&j->waiting, n);
}

static void take_event(struct event *e)
{
	struct job *j = e->j;

	if (j->r && (j->streaming || stream_begin(j)) && e->text) {
		j->r->at.ops->data(&j->r->at, e->text, e->len);
		e->len = 0; /* the frontend's now: fed counts it back */
	}
	unsent(j, e->len);
	event_free(e);
}

/* j's reply ends its stream: its body the last event. A reply the
 * service never gave (it ended first) cuts the stream. */
static void stream_end(struct job *j)
{
	struct sg_request *r = j->r;
	struct sg_attempt *a = &r->at;
	char *ev = NULL;
	size_t len = 0;

	if (j->replied && j->rep.body &&
	    !(ev = sg_sse_event_text("message", j->rep.body, strlen(j->rep.body), &len))) {
		j->replied = false; /* out of memory: cut, never a stream without its answer */
	}
	if (ev) {
		atomic_fetch_add(&j->waiting, len); /* as every event's: fed may count it back */
		a->ops->data(a, ev, len);
		free(ev);
		if (!j->r)
			return; /* cut meanwhile */
	}
	r->served = NULL; /* over: the request's end cancels nothing */
	j->r = NULL;
	a->ops->end(a, NULL, 0, j->replied ? 0 : EPIPE);
}

/* A legacy POST's answer `text` (malloc'd, taken) goes to its session's
 * stream, through the service; the POST itself is answered 202, as MCP's
 * legacy transport has it. */
static void legacy_relay(struct port *p, struct sg_request *r, const char *sid, char *text)
{
	struct relay *x = calloc(1, sizeof(*x));
	struct sg_mcp_reply accepted = { .status = 202 };

	if (x && (x->route = strdup(r->at.route->key)) && !sg_mcp_caller_of(r, &x->caller)) {
		x->item.kind = ITEM_RELAY;
		memcpy(x->sid, sid, sizeof(x->sid));
		x->text = text;
		sg_list_init(&x->item.link);
		text = NULL;
		if (!sg_inbox_post(&p->svc->in, &x->item.link))
			relay_free(x);
	} else if (x) {
		relay_free(x);
	}
	free(text); /* out of memory: the answer is lost, as a dropped event would be */
	sg_mcp_answer(r, &accepted);
}

static void take_reply(struct job *j)
{
	if (j->r && j->replied && j->authz.list && j->rep.body &&
	    !(j->rep.body = sg_mcp_authz_reply(j->r, &j->authz, j->rep.body)))
		j->rep.status = 503; /* never the whole list for want of memory */
	if (j->r && j->replied) {
		sg_mcp_log_reply(j->r, &j->rep);
		sg_mcp_log_spans(j->r, &j->rep);
	}
	if (j->r && j->replied && j->ask.legacy && j->rep.status == 200 && j->rep.body) {
		legacy_relay(j->port, j->r, j->ask.sid, j->rep.body);
		j->rep.body = NULL;
	} else if (j->r && j->streaming)
		stream_end(j);
	else if (j->r && j->replied)
		sg_mcp_answer(j->r, &j->rep);
	else if (j->r) /* the service ended first */
		sg_request_fail(j->r, SG_FAIL_NO_BACKEND, 0);
	job_free(j);
}

static void take(void *data, struct sg_list *l)
{
	struct item *it = SG_LIST_ENTRY(l, struct item, link);

	(void)data;
	if (it->kind == ITEM_EVENT)
		take_event((struct event *)it);
	else
		take_reply((struct job *)it);
}

static void *serve(void *arg, struct sg_request *r)
{
	struct port *p = arg;
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !sg_mcp_ask_of(&j->ask, r)) {
		free(j);
		sg_request_fail(r, SG_FAIL_OVERLOAD, ENOMEM);
		return NULL;
	}
	sg_mcp_log_ask(r, &j->ask);
	/* A call the rules refuse is answered here; the hub never hears. But
	 * a legacy POST that names no one session is the hub's to refuse
	 * (400): here its answer would go on a stream, the first sessionId's
	 * of a query that gives two (sid_twice). */
	if (j->ask.body && sg_mcp_authz_on(r) && (!j->ask.legacy || j->ask.has_sid)) {
		struct sg_mcp_reply no = { .status = 200 };

		no.body = sg_mcp_authz_request(r, j->ask.body, j->ask.body_len, &j->authz);
		if (no.body) {
			sg_mcp_ask_free(&j->ask);
			if (j->ask.legacy)
				legacy_relay(p, r, j->ask.sid, no.body);
			else
				sg_mcp_answer(r, &no);
			free(j);
			return NULL;
		}
	}
	j->item.kind = ITEM_JOB;
	j->seq = atomic_fetch_add(&job_seq, 1) + 1;
	j->port = p;
	j->r = r;
	j->cfg = sg_cfg_ref(r->cfg);
	sg_list_init(&j->item.link);
	if (!started(p->svc) || !sg_inbox_post(&p->svc->in, &j->item.link)) {
		job_free(j);
		sg_request_fail(r, SG_FAIL_OVERLOAD, EAGAIN);
		return NULL;
	}
	return j;
}

static void cancel(void *call)
{
	struct job *j = call;
	struct cancel *x = calloc(1, sizeof(*x));

	j->r = NULL;
	atomic_store(&j->gone, true);
	if (!x)
		return; /* the call ends when its targets answer */
	x->item.kind = ITEM_CANCEL;
	x->j = j;
	x->seq = j->seq; /* read now: j may be freed before the service reads x */
	sg_list_init(&x->item.link);
	if (!sg_inbox_post(&j->port->svc->in, &x->item.link))
		free(x);
}

/* ---- life ------------------------------------------------------------------ */

bool sg_mcp_service_counts(struct sg_mcp_service *m, uint64_t *restarts, uint64_t *processes)
{
	bool on;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	on = m->started;
	pthread_mutex_unlock(&m->lock);
	if (!on)
		return false;
	*restarts = sg_mcp_hub_restarts(m->hub);
	*processes = sg_mcp_children();
	return true;
}

struct sg_mcp_service *sg_mcp_service_new(unsigned nports)
{
	struct sg_mcp_service *m = calloc(1, sizeof(*m) + nports * sizeof(m->ports[0]));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->nports = nports;
	m->stop.kind = ITEM_STOP;
	sg_list_init(&m->stop.link);
	m->loop = sg_loop_new();
	if (m->loop)
		sg_loop_set_name(m->loop, "mcp");
	if (m->loop && (m->hub = sg_mcp_hub_new(m->loop)))
		sg_mcp_hub_set_stream(m->hub, &stream_ops);
	if (!m->loop || !m->hub || sg_inbox_open(&m->in, m->loop, take_item, m) == -1) {
		sg_mcp_hub_free(m->hub);
		sg_loop_free(m->loop);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

int sg_mcp_service_port_open(struct sg_mcp_service *m, unsigned index, struct sg_loop *loop,
			     struct sg_request_service *svc)
{
	struct port *p;

	if (index >= m->nports) {
		errno = EINVAL;
		return -1;
	}
	p = &m->ports[index];
	p->svc = m;
	if (sg_inbox_open(&p->in, loop, take, p) == -1)
		return -1;
	p->open = true;
	svc->serve = serve;
	svc->cancel = cancel;
	svc->arg = p;
	return 0;
}

void sg_mcp_service_port_close(struct sg_mcp_service *m, unsigned index)
{
	if (index < m->nports && m->ports[index].open)
		sg_inbox_close(&m->ports[index].in, drop_reply);
}

void sg_mcp_service_free(struct sg_mcp_service *m)
{
	if (!m)
		return;
	if (m->started) {
		sg_inbox_post(&m->in, &m->stop.link);
		pthread_join(m->thread, NULL);
	}
	/* The thread is gone: what it held is this thread's now (the stop
	 * was taken; a job left has a closed port). */
	sg_inbox_close(&m->in, drop_item);
	sg_mcp_hub_free(m->hub); /* pending calls' jobs: to closed ports, freed */
	/* HTTP targets' threads, told to stop, and their DELETEs: ended
	 * before the process is (a sanitizer's leak check then finds none
	 * running); bounded, as a DELETE is. */
	if (sg_mcp_http_wait(SG_MCP_HTTP_DELETE_MS + 500))
		SG_WARN("mcp service: HTTP targets' threads still running at exit");
	sg_loop_free(m->loop);
	/* openapi targets' calls, told to stop: the loop's side of each was
	 * let go as the loop ended */
	if (sg_mcp_openapi_wait(500))
		SG_WARN("mcp service: openapi targets' calls still running at exit");
	for (unsigned i = 0; i < m->nports; i++)
		if (m->ports[i].open)
			sg_inbox_destroy(&m->ports[i].in);
	sg_inbox_destroy(&m->in);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
