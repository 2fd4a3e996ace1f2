/* MCP targets over streamable HTTP (the contract is mcphttp.h). Each
 * POST is an exchange run by a detached thread with the blocking client
 * (sg_fetch); the thread reads the answer into its messages and signals
 * an eventfd of the exchange's, which the target's loop watches. Two hold
 * an exchange, its thread and its target, and the last to let go frees it
 * (user/core/oidcflow.c's code exchange is the same shape), so a target
 * closed mid-POST only stops the thread and forgets it. An eventfd per
 * exchange rather than one inbox per target: a thread may outlive its
 * target, and its eventfd lives exactly as long as it does.
 *
 * A request's event stream hands each message over as it comes (progress
 * before the response): under the exchange's lock, with a signal each
 * time, and a last one once `done`. The target's GET stream
 * (sg_mcp_http_listen) is an exchange of the same shape, opened again a
 * moment after it ends while it is wanted.
 *
 * The POSTs' connections are kept alive between them, per target (its
 * pool: at most as many as POSTs may be in flight, each closed after
 * HTTP_CONN_IDLE_MS unused, all of them when a POST fails to connect or
 * read): an exchange's thread takes one from the pool and hands it back
 * when the answer left it fit for another request. A target's GET stream
 * has a connection of its own, for as long as it is read.
 *
 * A target over the legacy HTTP+SSE transport (an `sse` target) is the
 * same with its stream opened at once and for good: its first event
 * names the URL its POSTs go to (they wait for it), each POST is only
 * accepted (202), and the answers come on the stream. The stream's end
 * is the target's. */
#include "user/mcp/mcphttp.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "user/base/json.h"
#include "user/base/log.h"
#include "user/codec/sse.h"
#include "user/core/jwksfetch.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcp.h"
#include "user/mcp/mcppolicy.h"

/* An answer's body: one message, or an SSE stream of them and its
 * framing. */
#define HTTP_BODY_MAX (SG_JSONRPC_MAX + SG_JSONRPC_MAX / 4)
/* A target whose POSTs wait for the process's bound looks again after. */
#define HTTP_RETRY_MS 50
/* A protocol version kept, at most (they read "2025-06-18"). */
#define HTTP_VERSION_MAX 31
/* A target's GET stream is read this long at most, and opened again this
 * long after it ended. */
#define HTTP_LISTEN_MS (10 * 60 * 1000)
#define HTTP_RELISTEN_MS 2000
/* An sse target's stream (its session) is read this long at most. */
#define HTTP_SSE_MS (24 * 60 * 60 * 1000)
/* A connection kept for a target's POSTs is closed after this unused. */
#define HTTP_CONN_IDLE_MS 30000

static atomic_uint threads, listeners;

/* One POST (or the closing DELETE). Its thread owns the answer fields
 * until it signals; `h` is the loop's alone. */
struct exchange {
	_Atomic int refs;
	struct sg_list link;   /* in its target's queue, then its flight */
	struct sg_mcp_http *h; /* NULL once the target let go */
	struct sg_loop *loop;
	struct sg_io io; /* eventfd: the answer is in (-1: no one listens) */
	int stop;	 /* eventfd: the target let go, stop waiting */
	struct sg_closing closing;
	uint64_t id; /* the request's; 0: a notification or response */
	bool init;
	char *msg, *url, *headers;
	size_t len;
	struct sg_mcp_policy *policy; /* a reference: its TLS settings, read by the thread */
	struct sg_fetch f;
	struct sg_fetch_conn *conn; /* the connection, the thread's while it runs */
	/* the answer, the thread's until it signals */
	int rc;
	struct sg_fetched got;
	struct sg_sse sse; /* an event stream's, read as it comes */
	size_t fed;	   /* bytes of it the parser had */
	int sse_rc;	   /* the parser's failure */
	bool answered;	   /* the response to `id` was among the events */
	char err[320];
	char **msgs;
	size_t *lens, nmsgs, capmsgs;
	char version[HTTP_VERSION_MAX + 1];
	/* Messages go to the loop as they come, under the lock (a request's
	 * event stream, a GET stream); done: the thread ended (then a last
	 * signal); delivered: messages the loop took before. */
	bool listen;	/* the target's GET stream */
	char *endpoint; /* its last `endpoint` event's data, for the loop */
	pthread_mutex_t lock;
	atomic_bool done;
	size_t delivered;
};

/* Owned by its session's target (user/mcp/mcp.c) until sg_mcp_http_close;
 * freed from the loop's close queue. */
struct sg_mcp_http {
	struct sg_loop *loop;
	const struct sg_mcp_http_ops *ops;
	void *arg;
	char *name, *url;			/* url with the policy's query */
	struct sg_mcp_policy *policy;		/* its policies; NULL: none */
	char session[SG_FETCH_SESSION_MAX + 1]; /* the target's Mcp-Session-Id */
	char version[HTTP_VERSION_MAX + 1];	/* the protocol version it agreed */
	struct sg_list queue;			/* exchanges not started, in order */
	struct sg_list flight;			/* started, not heard */
	size_t nflight, queued;			/* started; bytes waiting */
	unsigned notices;			/* notifications in flight: the rest waits */
	bool gone, closed;
	bool sse;		  /* the legacy transport: the stream is the session */
	char *post_url;		  /* an sse target's, from its endpoint event */
	bool listening;		  /* its GET stream is wanted */
	struct exchange *listen;  /* that stream, while its thread reads it */
	struct sg_timer relisten; /* to open it again */
	struct sg_timer retry;
	/* Connections kept for the POSTs, the newest last, each with the
	 * time it was kept; the timer closes those unused too long. */
	struct sg_fetch_conn *idle[SG_MCP_HTTP_PER_TARGET];
	uint64_t idle_at[SG_MCP_HTTP_PER_TARGET];
	size_t nidle;
	struct sg_timer idle_timer;
	unsigned dials; /* connections made for the POSTs, for the log */
	struct sg_closing closing;
};

/* ---- an exchange ------------------------------------------------------------ */

static void exchange_free(struct exchange *x)
{
	if (x->io.fd != -1)
		close(x->io.fd);
	if (x->stop != -1)
		close(x->stop);
	for (size_t i = 0; i < x->nmsgs; i++)
		free(x->msgs[i]);
	free(x->msgs);
	free(x->lens);
	free(x->msg);
	free(x->url);
	free(x->headers);
	free(x->got.body);
	free(x->endpoint);
	sg_fetch_conn_close(x->conn);
	sg_mcp_policy_unref(x->policy);
	sg_sse_free(&x->sse);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

/* An exchange with nothing yet; NULL when out of memory. */
static struct exchange *exchange_new(void)
{
	struct exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->io.fd = x->stop = -1;
	sg_sse_init(&x->sse, SG_JSONRPC_MAX);
	pthread_mutex_init(&x->lock, NULL);
	return x;
}

/* The thread tells the loop: messages, or its end. */
static void tell(struct exchange *x)
{
	uint64_t one = 1;

	if (x->io.fd != -1 && write(x->io.fd, &one, sizeof(one)) < 0)
		SG_ERR("mcp: cannot signal a target's answer: %s", strerror(errno));
}

static void put(struct exchange *x)
{
	if (atomic_fetch_sub(&x->refs, 1) == 1)
		exchange_free(x);
}

static int add_message(struct exchange *x, char *text, size_t len)
{
	if (x->nmsgs == x->capmsgs) {
		size_t cap = x->capmsgs ? 2 * x->capmsgs : 4;
		char **m = realloc(x->msgs, cap * sizeof(*m));
		size_t *l = m ? realloc(x->lens, cap * sizeof(*l)) : NULL;

		if (m)
			x->msgs = m;
		if (!l)
			return -ENOMEM;
		x->lens = l;
		x->capmsgs = cap;
	}
	x->msgs[x->nmsgs] = text;
	x->lens[x->nmsgs++] = len;
	return 0;
}

/* text is the response to request id. */
static bool answers(const char *text, uint64_t id)
{
	struct sg_json *root = sg_json_parse(text);
	double v;
	bool yes = sg_json_num(sg_json_get(root, "id"), &v) == 0 && v == (double)id &&
		   (sg_json_get(root, "result") || sg_json_get(root, "error"));

	sg_json_free(root);
	return yes;
}

/* An SSE event: a "message" event with data is one message. Such data
 * (or an endpoint's) with a NUL byte in it is neither a message (JSON
 * text has none) nor a URL: the stream is malformed, -EBADMSG stops it.
 * (Read as a C string, the JSON before the NUL passed for the response
 * while the owner, reading all len bytes, dropped it: the call failed
 * with no word of why, or, an sse target's, waited for its bound.) */
static int on_event(void *arg, const char *type, const char *data, size_t len)
{
	struct exchange *x = arg;
	bool endpoint = x->listen && !strcmp(type, "endpoint");
	char *copy;

	if ((endpoint || !strcmp(type, "message")) && memchr(data, '\0', len))
		return -EBADMSG;
	if (endpoint && len) { /* the legacy transport's */
		if (!(copy = strdup(data)))
			return -ENOMEM;
		free(x->endpoint);
		x->endpoint = copy;
		return 0;
	}
	if (strcmp(type, "message") || !len) /* a priming event's empty data */
		return 0;
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	memcpy(copy, data, len + 1);
	if (add_message(x, copy, len)) {
		free(copy);
		return -ENOMEM;
	}
	if (x->id && !x->answered)
		x->answered = answers(copy, x->id);
	return 0;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

/* The body of an event stream read so far, body[0..len): the part not yet
 * parsed goes to the parser. 0 or the parser's failure. */
static int feed(struct exchange *x, const char *body, size_t len)
{
	if (!x->sse_rc && len > x->fed)
		x->sse_rc = sg_sse_feed(&x->sse, body + x->fed, len - x->fed, on_event, x);
	x->fed = len;
	return x->sse_rc;
}

/* sg_fetch's `enough`, on the thread: an event stream is parsed as it
 * comes, and its read ends with the response to the request (a target
 * need not end the stream then), or with a failure to parse it. */
static bool enough(void *arg, const struct sg_fetched *head, const char *body, size_t len)
{
	struct exchange *x = arg;
	bool stop;
	size_t n;

	if (head->status / 100 != 2 || !starts(head->content_type, "text/event-stream"))
		return false;
	pthread_mutex_lock(&x->lock);
	stop = feed(x, body, len) || x->answered;
	n = x->nmsgs;
	pthread_mutex_unlock(&x->lock);
	/* What came before the response goes now (progress); the response
	 * and the rest with the end. initialize's wait: its version is read
	 * from its messages on the thread. */
	if (n && !stop && !x->init)
		tell(x);
	return stop;
}

/* initialize's answer: the protocol version its result names, if it
 * reads as one (it goes into a header). */
static void version_of(struct exchange *x, const char *text)
{
	struct sg_json *root = sg_json_parse(text);
	const char *v = sg_json_str(sg_json_get(sg_json_get(root, "result"), "protocolVersion"));
	size_t n = v ? strlen(v) : 0;

	if (n && n <= HTTP_VERSION_MAX && strspn(v, "0123456789-abcdefghijklmnopqrstuvwxyz") == n)
		memcpy(x->version, v, n + 1);
	sg_json_free(root);
}

/* printable(s): control bytes of a server's text replaced, for the log
 * and the client's error message. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Why an event stream could not be read (the parser's failure rc). */
static const char *sse_why(int rc)
{
	return rc == -E2BIG	? "it sent an event larger than the gateway reads"
	       : rc == -EBADMSG ? "it sent an event whose data holds a NUL byte"
				: "out of memory";
}

/* A 2xx answer's messages, read on the thread. */
static void read_answer(struct exchange *x)
{
	int rc;

	if (x->got.status == 202 || x->got.status == 204 || !x->got.len)
		return;
	if (starts(x->got.content_type, "text/event-stream")) {
		pthread_mutex_lock(&x->lock);
		rc = feed(x, x->got.body, x->got.len);
		pthread_mutex_unlock(&x->lock);
		if (rc != 0) {
			x->rc = -1;
			snprintf(x->err, sizeof(x->err), "%s", sse_why(rc));
		}
	} else if (starts(x->got.content_type, "application/json")) {
		if (x->got.len > SG_JSONRPC_MAX) {
			x->rc = -1;
			snprintf(x->err, sizeof(x->err), "it sent a message larger than 4 MiB");
		} else if (memchr(x->got.body, '\0', x->got.len)) {
			x->rc = -1;
			snprintf(x->err, sizeof(x->err), "it sent a message with a NUL byte in it");
		} else {
			pthread_mutex_lock(&x->lock);
			if (add_message(x, x->got.body, x->got.len) == 0)
				x->got.body = NULL;
			pthread_mutex_unlock(&x->lock);
		}
	} else if (x->id) {
		x->rc = -1;
		snprintf(x->err, sizeof(x->err), "it answered %u with Content-Type \"%s\"",
			 x->got.status, x->got.content_type);
		printable(x->err);
	}
	for (size_t i = 0; x->init && i < x->nmsgs && !x->version[0]; i++)
		version_of(x, x->msgs[i]);
}

/* A failed status's why: its JSON-RPC error's message, when it has one. */
static void status_why(struct exchange *x)
{
	struct sg_json *root = x->got.body ? sg_json_parse(x->got.body) : NULL;
	const char *m = sg_json_str(sg_json_get(sg_json_get(root, "error"), "message"));

	snprintf(x->err, sizeof(x->err), "it answered %u%s%.200s", x->got.status, m ? ": " : "",
		 m ? m : "");
	printable(x->err);
	sg_json_free(root);
}

/* A GET stream's new bytes body[0..len) parsed, on its thread: each
 * message (and an endpoint event) goes to the loop now. 0 or the
 * parser's failure. */
static int listen_feed(struct exchange *x, const char *body, size_t len)
{
	size_t n;
	int rc;

	pthread_mutex_lock(&x->lock);
	if (!x->sse_rc && len)
		x->sse_rc = sg_sse_feed(&x->sse, body, len, on_event, x);
	rc = x->sse_rc;
	n = x->nmsgs + (x->endpoint != NULL);
	pthread_mutex_unlock(&x->lock);
	if (n)
		tell(x);
	return rc;
}

/* sg_fetch's `enough` for a GET stream (read as a stream: each call has
 * new bytes), on its thread: the read goes on until the target ends the
 * stream (or the bounds do). Any other answer ends it at once. */
static bool listen_enough(void *arg, const struct sg_fetched *head, const char *body, size_t len)
{
	struct exchange *x = arg;

	if (head->status != 200 || !starts(head->content_type, "text/event-stream"))
		return true;
	return listen_feed(x, body, len) != 0;
}

static void *run(void *arg)
{
	struct exchange *x = arg;
	bool streams = x->listen;

	x->rc = sg_fetch(&x->f, &x->got, x->err, sizeof(x->err));
	if (streams && x->rc == 0 && x->got.status == 200 &&
	    starts(x->got.content_type, "text/event-stream"))
		listen_feed(x, x->got.body, x->got.len); /* the stream's last bytes */
	/* A stream that could not be read says so at its end. */
	if (streams && x->rc == 0 && x->sse_rc) {
		x->rc = -1;
		snprintf(x->err, sizeof(x->err), "%s", sse_why(x->sse_rc));
	}
	if (!streams && x->rc == 0 && x->got.status / 100 == 2)
		read_answer(x);
	else if (!streams && x->rc == 0)
		status_why(x);
	atomic_store(&x->done, true);
	tell(x);
	put(x);
	if (streams)
		atomic_fetch_sub(&listeners, 1);
	atomic_fetch_sub(&threads, 1); /* last: sg_mcp_http_wait reads it */
	return NULL;
}

/* x's thread started (x->refs set by the caller): 0, or a negative errno. */
static int spawn(struct exchange *x)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (pthread_attr_init(&attr))
		return -ENOMEM;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = -pthread_create(&t, &attr, run, x);
	pthread_attr_destroy(&attr);
	return rc;
}

/* A thread of the process's bound taken: false when there is none. */
static bool take_thread(void)
{
	if (atomic_fetch_add(&threads, 1) < SG_MCP_HTTP_THREADS_MAX)
		return true;
	atomic_fetch_sub(&threads, 1);
	return false;
}

/* ---- a target's kept connections ------------------------------------------------ */

static void idle_arm(struct sg_mcp_http *h)
{
	if (h->nidle)
		sg_timer_arm(h->loop, &h->idle_timer, h->idle_at[0] + HTTP_CONN_IDLE_MS);
	else
		sg_timer_stop(h->loop, &h->idle_timer);
}

/* The oldest kept connection closed. */
static void idle_drop(struct sg_mcp_http *h)
{
	sg_fetch_conn_close(h->idle[0]);
	h->nidle--;
	memmove(h->idle, h->idle + 1, h->nidle * sizeof(h->idle[0]));
	memmove(h->idle_at, h->idle_at + 1, h->nidle * sizeof(h->idle_at[0]));
}

static void idle_expire(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_mcp_http *h = t->data;

	while (h->nidle && h->idle_at[0] + HTTP_CONN_IDLE_MS <= sg_loop_now(loop))
		idle_drop(h);
	idle_arm(h);
}

/* c (taken; NULL is fine) kept for a later POST: the oldest kept one
 * closed when the pool is full. */
static void conn_put(struct sg_mcp_http *h, struct sg_fetch_conn *c)
{
	if (!c)
		return;
	if (h->nidle == SG_MCP_HTTP_PER_TARGET)
		idle_drop(h);
	h->idle[h->nidle] = c;
	h->idle_at[h->nidle++] = sg_loop_now(h->loop);
	if (h->nidle == 1)
		idle_arm(h);
}

/* The newest kept connection, the caller's; NULL: none. */
static struct sg_fetch_conn *conn_take(struct sg_mcp_http *h)
{
	struct sg_fetch_conn *c = h->nidle ? h->idle[--h->nidle] : NULL;

	if (!h->nidle)
		idle_arm(h);
	return c;
}

/* Every kept connection closed. */
static void conns_close(struct sg_mcp_http *h)
{
	while (h->nidle)
		idle_drop(h);
	idle_arm(h);
}

/* ---- a target's side ----------------------------------------------------------- */

static void let_go(struct sg_closing *c)
{
	put((struct exchange *)((char *)c - offsetof(struct exchange, closing)));
}

/* The target's side lets go of x (after the dispatch: the loop may hold
 * the io in this pass's batch). */
static void release(struct exchange *x)
{
	sg_io_set(x->loop, &x->io, 0);
	x->h = NULL;
	sg_loop_defer_close(x->loop, &x->closing, let_go);
}

static void pump(struct sg_mcp_http *h);

static void failed(struct sg_mcp_http *h, const struct exchange *x, const char *why)
{
	SG_INFO("mcp target %s: %s %s", h->name,
		x->id ? "a request failed:" : "a message failed:", why);
	if (x->id)
		h->ops->failed(h->arg, x->id, why);
}

/* The messages x's thread handed over so far, to h's owner (with x's
 * request id), who may close h meanwhile. */
static void take_messages(struct sg_mcp_http *h, struct exchange *x)
{
	char **msgs;
	size_t *lens, n;

	pthread_mutex_lock(&x->lock);
	msgs = x->msgs;
	lens = x->lens;
	n = x->nmsgs;
	x->msgs = NULL;
	x->lens = NULL;
	x->nmsgs = x->capmsgs = 0;
	pthread_mutex_unlock(&x->lock);
	x->delivered += n;
	for (size_t i = 0; i < n; i++) {
		if (x->h && !h->closed && !h->gone)
			h->ops->message(h->arg, msgs[i], lens[i], x->id);
		free(msgs[i]);
	}
	free(msgs);
	free(lens);
}

/* x's answer, on the loop. */
static void heard(struct sg_mcp_http *h, struct exchange *x)
{
	uint16_t st = x->got.status;

	if (x->rc < 0) {
		failed(h, x, x->err);
		return;
	}
	if (st == 404 && h->session[0]) { /* MCP: the session is no more */
		h->gone = true;
		h->ops->gone(h->arg, "its session ended (404)");
		return;
	}
	if (st / 100 != 2) {
		failed(h, x, x->err);
		return;
	}
	if (x->got.session[0] && (x->init || !h->session[0]))
		memcpy(h->session, x->got.session, sizeof(h->session));
	if (x->version[0])
		memcpy(h->version, x->version, sizeof(h->version));
	for (size_t i = 0; i < x->nmsgs && !h->closed; i++)
		h->ops->message(h->arg, x->msgs[i], x->lens[i], x->id);
	if (x->id && !h->closed && !h->sse) /* an sse target answers on its stream */
		h->ops->failed(h->arg, x->id,
			       x->nmsgs || x->delivered
				       ? "its answer held no response to the request"
				       : "it answered with no message");
}

static void on_signal(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct exchange *x = io->data;
	struct sg_mcp_http *h = x->h;
	uint64_t n;

	(void)loop;
	(void)revents;
	if (read(io->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (!atomic_load(&x->done)) { /* messages before the response */
		if (h && !h->gone)
			take_messages(h, x);
		return;
	}
	release(x); /* x lives until the dispatch is over */
	if (!h)
		return;
	sg_list_remove(&x->link);
	h->nflight--;
	if (!x->id)
		h->notices--;
	if (x->got.dials) {
		h->dials += x->got.dials;
		SG_DEBUG("mcp target %s: connected (%u connections made)", h->name, h->dials);
	}
	if (x->rc < 0) /* those kept may be as dead as this one */
		conns_close(h);
	else if (!h->closed && !h->gone)
		conn_put(h, x->conn);
	else
		sg_fetch_conn_close(x->conn);
	x->conn = NULL;
	if (!h->gone)
		heard(h, x);
	if (!h->closed)
		pump(h);
}

/* The request's header lines: the target's session and version, once
 * initialize gave them, and its policy's credentials. */
static char *headers_of(const struct sg_mcp_http *h)
{
	const char *creds = sg_mcp_policy_headers(h->policy);
	char *s = malloc(512 + sizeof(h->session) + strlen(creds));

	if (!s)
		return NULL;
	sprintf(s, "Content-Type: application/json\r\n%s%s%s%s%s%s%s",
		h->session[0] ? "Mcp-Session-Id: " : "", h->session, h->session[0] ? "\r\n" : "",
		h->version[0] ? "MCP-Protocol-Version: " : "", h->version,
		h->version[0] ? "\r\n" : "", creds);
	return s;
}

/* x goes as h's policy says: its TLS settings, held by x's thread. */
static void with_policy(struct sg_mcp_http *h, struct exchange *x)
{
	if (!x->policy) { /* once: a POST that could not start tries again */
		sg_mcp_policy_ref(h->policy);
		x->policy = h->policy;
	}
	x->f.tls = sg_mcp_policy_tls(x->policy);
}

/* x (queued) started: 0, -EAGAIN when the process has no thread to
 * spare, or a negative errno (x is then the caller's still). */
/* x's thread started on its fetch (x->f), x->io watching the thread's
 * signals with cb: 0, or -errno with no thread started. */
static int launch(struct sg_mcp_http *h, struct exchange *x,
		  void (*cb)(struct sg_loop *, struct sg_io *, uint32_t))
{
	int rc;

	x->loop = h->loop;
	x->io.cb = cb;
	x->io.data = x;
	if (sg_io_set(h->loop, &x->io, EPOLLIN) != 0)
		return -errno;
	atomic_init(&x->refs, 2);
	if ((rc = spawn(x)) != 0) {
		sg_io_set(h->loop, &x->io, 0);
		return rc;
	}
	x->h = h;
	return 0;
}

static int start(struct sg_mcp_http *h, struct exchange *x)
{
	int rc = -ENOMEM;

	if (!take_thread())
		return -EAGAIN;
	free(x->url);
	free(x->headers);
	x->headers = NULL;
	if (!(x->url = strdup(h->sse ? h->post_url : h->url)) || !(x->headers = headers_of(h)) ||
	    (x->io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (x->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	x->f = (struct sg_fetch){
		.method = "POST",
		.url = x->url,
		.headers = x->headers,
		.body = x->msg,
		.body_len = x->len,
		.timeout_ms = SG_MCP_CALL_MS,
		.accept = "application/json, text/event-stream",
		.max_body = HTTP_BODY_MAX,
		.stop = &x->stop,
		.enough = x->id ? enough : NULL,
		.arg = x,
		.conn = &x->conn,
	};
	with_policy(h, x);
	x->conn = conn_take(h);
	if ((rc = launch(h, x, on_signal)) != 0) {
		conn_put(h, x->conn);
		x->conn = NULL;
		goto fail;
	}
	sg_list_remove(&x->link);
	sg_list_insert_tail(&h->flight, &x->link);
	h->nflight++;
	h->queued -= x->len;
	if (!x->id)
		h->notices++;
	return 0;
fail:
	/* Not registered (launch undid that): the next try makes new ones. */
	if (x->io.fd != -1)
		close(x->io.fd);
	if (x->stop != -1)
		close(x->stop);
	x->io.fd = x->stop = -1;
	atomic_fetch_sub(&threads, 1);
	return rc;
}

static void retry_pump(struct sg_loop *loop, struct sg_timer *t)
{
	(void)loop;
	pump(t->data);
}

/* Start what waits, in order, while the bounds allow: a notification in
 * flight holds back what follows it. A POST that cannot start fails its
 * request. */
static void pump(struct sg_mcp_http *h)
{
	struct sg_list *l;

	while (!h->closed && !h->gone && !h->notices && h->nflight < SG_MCP_HTTP_PER_TARGET &&
	       (!h->sse || h->post_url) && (l = sg_list_first(&h->queue))) {
		struct exchange *x = SG_LIST_ENTRY(l, struct exchange, link);
		int rc = start(h, x);

		if (rc == -EAGAIN) {
			sg_timer_arm(h->loop, &h->retry, sg_loop_now(h->loop) + HTTP_RETRY_MS);
			return;
		}
		if (rc) {
			sg_list_remove(&x->link);
			h->queued -= x->len;
			failed(h, x, "the gateway could not start its POST");
			exchange_free(x);
		}
	}
}

int sg_mcp_http_send(struct sg_mcp_http *h, const char *msg, size_t len, uint64_t id, bool init)
{
	struct exchange *x;

	if (h->gone)
		return -EPIPE;
	if (h->queued + len > SG_JSONRPC_MAX)
		return -ENOBUFS;
	if (!(x = exchange_new()))
		return -ENOMEM;
	x->id = id;
	x->init = init;
	x->len = len;
	if (!(x->msg = malloc(len))) {
		exchange_free(x);
		return -ENOMEM;
	}
	memcpy(x->msg, msg, len);
	sg_list_insert_tail(&h->queue, &x->link);
	h->queued += len;
	if (h->notices || h->nflight >= SG_MCP_HTTP_PER_TARGET ||
	    sg_list_first(&h->queue) != &x->link || (h->sse && !h->post_url))
		return 0; /* its turn comes with an answer (or an sse target's endpoint) */
	switch (start(h, x)) {
	case 0:
		return 0;
	case -EAGAIN:
		sg_timer_arm(h->loop, &h->retry, sg_loop_now(h->loop) + HTTP_RETRY_MS);
		return 0;
	default: /* not started: the caller hears it now, not later */
		sg_list_remove(&x->link);
		h->queued -= len;
		exchange_free(x);
		return -ENOMEM;
	}
}

/* ---- the target's GET stream ------------------------------------------------------- */

static int listen_start(struct sg_mcp_http *h);
static void listen_stop(struct sg_mcp_http *h);

static void relisten(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_mcp_http *h = t->data;

	(void)loop;
	if (h->listening && !h->listen && listen_start(h))
		sg_timer_arm(h->loop, &h->relisten, sg_loop_now(h->loop) + HTTP_RELISTEN_MS);
}

/* The stream's thread ended: it is opened again unless the target offers
 * none (405, or any 4xx) or it is no longer wanted. */
static void listen_over(struct sg_mcp_http *h, struct exchange *x)
{
	uint16_t st = x->rc == 0 ? x->got.status : 0;
	char why[360];

	release(x);
	h->listen = NULL;
	if (h->sse) { /* the legacy transport's session was its stream */
		if (x->rc)
			snprintf(why, sizeof(why), "its event stream ended: %s", x->err);
		else if (st != 200)
			snprintf(why, sizeof(why), "it answered %u to its event stream's GET", st);
		else
			snprintf(why, sizeof(why), "its event stream ended");
		h->gone = true;
		h->ops->gone(h->arg, why);
		return;
	}
	if (st / 100 == 4) {
		SG_DEBUG("mcp target %s: its GET stream: answered %u: not opened again", h->name,
			 st);
		h->listening = false;
		return;
	}
	SG_DEBUG("mcp target %s: its GET stream ended (%s): opened again", h->name,
		 x->rc ? x->err : "by the target");
	if (h->listening && !h->closed && !h->gone)
		sg_timer_arm(h->loop, &h->relisten, sg_loop_now(h->loop) + HTTP_RELISTEN_MS);
}

/* The URL an sse target's endpoint event names, resolved against its
 * stream's URL: an absolute path there, or an absolute URL of the same
 * origin; printable, without spaces (it goes into a request line).
 * Malloc'd; NULL: none of those, or out of memory. */
static char *endpoint_url(const char *stream, const char *ep)
{
	const char *host = strstr(stream, "://"), *path = host ? strchr(host + 3, '/') : NULL;
	size_t origin = path ? (size_t)(path - stream) : strlen(stream);
	char *u;

	for (const char *p = ep; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return NULL;
	if (ep[0] == '/' && ep[1] != '/') {
		if ((u = malloc(origin + strlen(ep) + 1)))
			sprintf(u, "%.*s%s", (int)origin, stream, ep);
		return u;
	}
	if (!strncmp(ep, stream, origin) && (ep[origin] == '/' || !ep[origin]))
		return strdup(ep);
	return NULL;
}

/* An sse target's endpoint event, once it came: its POSTs may go. */
static void take_endpoint(struct sg_mcp_http *h, struct exchange *x)
{
	char *ep;

	pthread_mutex_lock(&x->lock);
	ep = x->endpoint;
	x->endpoint = NULL;
	pthread_mutex_unlock(&x->lock);
	if (!ep)
		return;
	h->post_url = endpoint_url(h->url, ep);
	if (h->post_url) { /* the policy's query, on the POSTs too */
		char *u = sg_mcp_policy_url(h->policy, h->post_url);

		free(h->post_url);
		h->post_url = u; /* NULL when out of memory: as a bad endpoint */
	}
	if (!h->post_url) {
		SG_INFO("mcp target %s: its endpoint event names %.200s: not its own origin",
			h->name, ep);
		free(ep);
		listen_stop(h);
		h->gone = true;
		h->ops->gone(h->arg, "its endpoint event names another origin");
		return;
	}
	free(ep);
	pump(h);
}

/* Messages the stream's thread handed over, to the target's owner; its
 * end, once the thread is done. */
static void on_listen_signal(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct exchange *x = io->data;
	struct sg_mcp_http *h = x->h;
	bool done = atomic_load(&x->done); /* before the messages: all are in then */
	uint64_t v;

	(void)loop;
	(void)revents;
	if (read(io->fd, &v, sizeof(v)) < 0 && errno == EAGAIN)
		return;
	if (h && h->sse && !h->post_url)
		take_endpoint(h, x);
	if (h && !h->closed && !h->gone)
		take_messages(h, x);
	if (done && x->h && x->h->listen == x)
		listen_over(h, x);
}

/* h's GET stream opened: 0, -EAGAIN when the process has as many open
 * as it may, -ENOMEM or a thread's failure. */
static int listen_start(struct sg_mcp_http *h)
{
	struct exchange *x;
	int rc = -ENOMEM;

	if (atomic_fetch_add(&listeners, 1) >= SG_MCP_HTTP_LISTENERS_MAX) {
		atomic_fetch_sub(&listeners, 1);
		return -EAGAIN;
	}
	atomic_fetch_add(&threads, 1);
	if (!(x = exchange_new()))
		goto fail_count;
	x->listen = true;
	if (!(x->url = strdup(h->url)) || !(x->headers = headers_of(h)) ||
	    (x->io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (x->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	x->f = (struct sg_fetch){
		.method = "GET",
		.url = x->url,
		.headers = x->headers,
		.timeout_ms = h->sse ? HTTP_SSE_MS : HTTP_LISTEN_MS,
		.accept = "text/event-stream",
		.max_body = HTTP_BODY_MAX,
		.stop = &x->stop,
		.enough = listen_enough,
		.arg = x,
		.stream = true,
	};
	with_policy(h, x);
	if ((rc = launch(h, x, on_listen_signal)) != 0)
		goto fail;
	h->listen = x;
	return 0;
fail:
	exchange_free(x);
fail_count:
	atomic_fetch_sub(&threads, 1);
	atomic_fetch_sub(&listeners, 1);
	return rc;
}

/* The stream's thread told to stop where it waits, and forgotten. */
static void listen_stop(struct sg_mcp_http *h)
{
	static const uint64_t one = 1;
	struct exchange *x = h->listen;

	sg_timer_stop(h->loop, &h->relisten);
	if (!x)
		return;
	h->listen = NULL;
	if (write(x->stop, &one, sizeof(one)) < 0)
		SG_WARN("mcp target %s: cannot stop its GET stream: %s", h->name, strerror(errno));
	release(x);
}

void sg_mcp_http_listen(struct sg_mcp_http *h, bool on)
{
	if (!h || h->closed || h->sse) /* an sse target's stream is always open */
		return;
	h->listening = on && !h->gone;
	if (!h->listening) {
		listen_stop(h);
		return;
	}
	if (!h->listen && !sg_timer_armed(&h->relisten) && listen_start(h))
		sg_timer_arm(h->loop, &h->relisten, sg_loop_now(h->loop) + HTTP_RELISTEN_MS);
}

/* ---- life ---------------------------------------------------------------------- */

/* "http[s]://host:port/path" of t. */
static char *url_of(const struct sg_mcp_target *t)
{
	bool v6 = strchr(t->addr, ':') != NULL;
	const char *path = t->path && t->path[0] ? t->path : "/";
	size_t n = strlen(t->addr) + strlen(path) + 32;
	char *u = malloc(n);

	if (u)
		snprintf(u, n, "%s://%s%s%s:%u%s%s", t->tls ? "https" : "http", v6 ? "[" : "",
			 t->addr, v6 ? "]" : "", t->port, path[0] == '/' ? "" : "/", path);
	return u;
}

int sg_mcp_http_open(struct sg_loop *loop, const struct sg_mcp_target *t,
		     const struct sg_mcp_http_ops *ops, void *arg, struct sg_mcp_http **out)
{
	struct sg_mcp_http *h = calloc(1, sizeof(*h));
	char *url = NULL;

	if (!h || !(h->name = strdup(t->name)) || sg_mcp_policy_new(t, &h->policy) ||
	    !(url = url_of(t)) || !(h->url = sg_mcp_policy_url(h->policy, url))) {
		if (h) {
			free(h->name);
			sg_mcp_policy_unref(h->policy);
		}
		free(url);
		free(h);
		return -ENOMEM;
	}
	free(url);
	h->loop = loop;
	h->ops = ops;
	h->arg = arg;
	sg_list_init(&h->queue);
	sg_list_init(&h->flight);
	sg_timer_init(&h->retry, retry_pump, h);
	sg_timer_init(&h->relisten, relisten, h);
	sg_timer_init(&h->idle_timer, idle_expire, h);
	if (t->kind == SG_MCP_SSE) { /* its session is its stream: opened now */
		h->sse = h->listening = true;
		if (listen_start(h))
			sg_timer_arm(h->loop, &h->relisten,
				     sg_loop_now(h->loop) + HTTP_RELISTEN_MS);
	}
	*out = h;
	return 0;
}

/* DELETE of h's session, on a thread no one waits for. */
static void end_session(struct sg_mcp_http *h)
{
	struct exchange *x;

	if (!h->session[0] || h->gone || !take_thread())
		return;
	x = exchange_new();
	if (!x || !(x->url = strdup(h->url)) ||
	    !(x->headers =
		      malloc(sizeof(h->session) + 32 + strlen(sg_mcp_policy_headers(h->policy))))) {
		if (x)
			exchange_free(x);
		atomic_fetch_sub(&threads, 1);
		return;
	}
	sprintf(x->headers, "Mcp-Session-Id: %s\r\n%s", h->session,
		sg_mcp_policy_headers(h->policy));
	x->conn = conn_take(h); /* closed with x */
	x->f = (struct sg_fetch){
		.method = "DELETE",
		.url = x->url,
		.headers = x->headers,
		.timeout_ms = SG_MCP_HTTP_DELETE_MS,
		.max_body = 65536,
		.conn = &x->conn,
	};
	with_policy(h, x);
	atomic_init(&x->refs, 1);
	if (spawn(x)) {
		exchange_free(x);
		atomic_fetch_sub(&threads, 1);
	}
}

static void free_http(struct sg_closing *c)
{
	struct sg_mcp_http *h =
		(struct sg_mcp_http *)((char *)c - offsetof(struct sg_mcp_http, closing));

	free(h->name);
	free(h->url);
	free(h->post_url);
	sg_mcp_policy_unref(h->policy);
	free(h);
}

void sg_mcp_http_close(struct sg_mcp_http *h)
{
	static const uint64_t one = 1;
	struct sg_list *l;

	if (!h || h->closed)
		return;
	h->closed = true;
	sg_timer_stop(h->loop, &h->retry);
	listen_stop(h);
	while ((l = sg_list_first(&h->queue))) {
		sg_list_remove(l);
		exchange_free(SG_LIST_ENTRY(l, struct exchange, link));
	}
	while ((l = sg_list_first(&h->flight))) {
		struct exchange *x = SG_LIST_ENTRY(l, struct exchange, link);

		sg_list_remove(l);
		if (write(x->stop, &one, sizeof(one)) < 0)
			SG_WARN("mcp target %s: cannot stop a POST: %s", h->name, strerror(errno));
		release(x);
	}
	end_session(h);
	conns_close(h);
	sg_loop_defer_close(h->loop, &h->closing, free_http);
}

unsigned sg_mcp_http_wait(int ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; atomic_load(&threads) && waited < ms; waited += 10)
		nanosleep(&nap, NULL);
	return atomic_load(&threads);
}
