/* Admin endpoints over plain HTTP/1.1. Requests are small and rare, so each
 * connection reads one request, gets one answer and is closed. Every
 * listener (admin, stats, readiness) bounds what a client can hold: the
 * head's size, the time to send the request and to take the answer, and
 * the number of connections open at once. */
#include "admin/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/dump.h"
#include "admin/get.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/base/httpdate.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/net.h"
#include "user/core/srclimit.h"

#define ADMIN_MAX_HEAD (16u << 10) /* request line and headers */
#define ADMIN_MAX_HEADERS 100
/* The request, head and body, must be in this long after the accept, and
 * the answer must make progress this often: a client that sends nothing,
 * trickles its head or stops reading is cut. */
#define ADMIN_TIMEOUT_MS 10000
/* Connections open at once per listener, and from one address; beyond
 * them new ones are reset. The second keeps one client (slow or idle
 * connections, each cut after ADMIN_TIMEOUT_MS, and opened again) from
 * taking the whole listener: readiness probes and scrapes from other
 * addresses go on. */
#define ADMIN_MAX_CONNS 128
#define ADMIN_MAX_PER_SOURCE 16
/* Bytes of answers a listener holds that their clients have not taken
 * yet; past them an answer rendered anew (config_dump, resources,
 * metrics, stats) is 503. A client that reads one byte every few seconds
 * keeps its answer (it must only move every ADMIN_TIMEOUT_MS): 128 such
 * clients held 128 config_dumps, tens of MiB each for a large config, and
 * rendering each one stalled the loop, readiness answers too. One answer
 * always goes out, however large. */
#define ADMIN_MAX_HELD (32u << 20)

struct sg_admin {
	struct sg_loop *loop;
	enum sg_admin_role role;
	struct sg_io listen_io;
	struct sg_admin_ops ops;
	struct sg_list conns; /* open connections (admin_conn.link), for stop */
	unsigned nconns;
	struct sg_srclimit *per_source; /* ADMIN_MAX_PER_SOURCE */
	bool allow_remote;		/* SG_ADMIN_API: serve non-loopback peers too */
	char *read_only; /* the admin socket that takes writes; NULL: this one does */
	char *unix_path; /* a unix socket's file, removed at stop; NULL: TCP */
	struct sg_net_file_id unix_id;
	bool full_told; /* the cap was logged; again once below it */
	size_t held;	/* bytes the answers of open connections hold (ADMIN_MAX_HELD) */
	char *addr;	/* as given, for the log */
};

/* One admin connection. Owned by its sg_admin; freed in the close queue. */
struct admin_conn {
	struct sg_admin *admin;
	struct sg_list link; /* in admin->conns */
	struct sg_io io;
	struct sg_timer timer; /* ADMIN_TIMEOUT_MS */
	struct sg_closing closing;
	struct sg_buf in;  /* the request, from its first byte */
	struct sg_buf out; /* the answer not yet written; set once answering */
	bool closed;
	bool refused; /* a remote peer of the admin API: every request gets 403 */
	bool head;    /* a HEAD request: its answers carry the head alone */
	size_t skip;  /* body bytes still to come that are dropped, not held (skip_body) */
	char ip[INET6_ADDRSTRLEN]; /* counted in admin->per_source */
};

struct route {
	const char *method;
	const char *path;
	void (*handle)(struct admin_conn *c, const struct sg_h1_req *req);
	bool write; /* changes the gateway: only where writes are taken */
	bool body;  /* reads the request body (the others' is dropped unread) */
};

static void conn_free(struct sg_closing *cl)
{
	struct admin_conn *c =
		(struct admin_conn *)((char *)cl - offsetof(struct admin_conn, closing));

	sg_buf_free(&c->in);
	sg_buf_free(&c->out);
	free(c);
}

static void conn_close(struct admin_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->admin->held -= c->out.cap;
	sg_timer_stop(c->admin->loop, &c->timer);
	sg_io_set(c->admin->loop, &c->io, 0);
	close(c->io.fd);
	sg_srclimit_release(c->admin->per_source, c->ip);
	if (--c->admin->nconns < ADMIN_MAX_CONNS / 2)
		c->admin->full_told = false; /* a new flood is logged again */
	sg_list_remove(&c->link);
	sg_loop_defer_close(c->admin->loop, &c->closing, conn_free);
}

/* A whole answer; `extra` (NULL: none) is header lines, each with its
 * CRLF. */
static void respond_with(struct admin_conn *c, int status, const char *reason, const char *ctype,
			 const char *extra, const char *body, size_t body_len)
{
	char head[384];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\n"
			 "%sdate: %s\r\nconnection: close\r\n\r\n",
			 status, reason, ctype, body_len, extra ? extra : "", sg_http_date());

	c->admin->held -= c->out.cap;
	sg_buf_reset(&c->out);
	/* RFC 9110 §9.3.2: a HEAD answer has the GET one's fields, no body. */
	if (n < 0 || (size_t)n >= sizeof(head) || sg_buf_append(&c->out, head, (size_t)n) < 0 ||
	    (!c->head && sg_buf_append(&c->out, body, body_len) < 0)) {
		c->admin->held += c->out.cap; /* conn_close takes it off */
		conn_close(c);
		return;
	}
	c->admin->held += c->out.cap;
	sg_io_set(c->admin->loop, &c->io, EPOLLOUT);
	sg_timer_arm(c->admin->loop, &c->timer, sg_loop_now(c->admin->loop) + ADMIN_TIMEOUT_MS);
}

static void respond(struct admin_conn *c, int status, const char *reason, const char *ctype,
		    const char *body, size_t body_len)
{
	respond_with(c, status, reason, ctype, NULL, body, body_len);
}

static void respond_text(struct admin_conn *c, int status, const char *reason, const char *text)
{
	respond(c, status, reason, "text/plain", text, strlen(text));
}

/* Answers not yet taken hold more than ADMIN_MAX_HELD: this one is not
 * rendered but answered 503. */
static bool busy(struct admin_conn *c)
{
	static const char text[] = "busy: answers not yet taken by their clients hold more than "
				   "32 MiB; try again\n";

	if (c->admin->held <= ADMIN_MAX_HELD)
		return false;
	respond_with(c, 503, "Service Unavailable", "text/plain", "retry-after: 1\r\n", text,
		     sizeof(text) - 1);
	return true;
}

static void handle_config_dump(struct admin_conn *c, const struct sg_h1_req *req)
{
	const struct sg_cfg *cfg = c->admin->ops.current(c->admin->ops.ctx);
	char *json;

	if (busy(c))
		return;
	json = cfg ? sg_dump_config(cfg) : NULL;
	if (!json) {
		respond_text(c, 500, "Internal Server Error", "config dump failed\n");
		return;
	}
	respond(c, 200, "OK", "application/json", json, strlen(json));
	free(json);
}

/* The value of query parameter `key` of the request target, copied into
 * buf, which has room for any target; NULL when absent or empty. It is not
 * percent-decoded: kinds, names and namespaces are DNS labels, and a value
 * with a '%' is none (refused or matching nothing, never another name). */
static const char *query_param(const struct sg_h1_req *req, const char *key,
			       char buf[static ADMIN_MAX_HEAD])
{
	const char *q = memchr(req->target.p, '?', req->target.len);
	const char *end = req->target.p + req->target.len;
	size_t klen = strlen(key);

	while (q && q < end) {
		const char *p = q + 1, *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = (size_t)(stop - p) - klen - 1;

			if (n == 0 || n >= ADMIN_MAX_HEAD)
				return NULL;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		q = amp;
	}
	return NULL;
}

/* GET /resources?kind=HTTPRoute&name=r&namespace=ns (each optional). */
static void handle_resources(struct admin_conn *c, const struct sg_h1_req *req)
{
	const struct sg_cfg *cfg = c->admin->ops.current(c->admin->ops.ctx);
	char kind[ADMIN_MAX_HEAD], name[ADMIN_MAX_HEAD], ns[ADMIN_MAX_HEAD];
	const struct sg_get_history *h =
		c->admin->ops.history ? c->admin->ops.history(c->admin->ops.ctx) : NULL;
	char *json;

	if (busy(c))
		return;
	json = cfg ? sg_get_resources(cfg, h, query_param(req, "kind", kind),
				      query_param(req, "name", name),
				      query_param(req, "namespace", ns))
		   : NULL;
	if (!json) {
		respond_text(c, 500, "Internal Server Error", "resources failed\n");
		return;
	}
	respond(c, 200, "OK", "application/json", json, strlen(json));
	free(json);
}

static void on_writable(struct admin_conn *c);

static void handle_quit(struct admin_conn *c, const struct sg_h1_req *req)
{
	struct sg_admin *a = c->admin;

	respond_text(c, 200, "OK", "OK\n");
	/* quit() stops the loop, and teardown closes this connection before
	 * the loop would have written the answer: write it now (a few bytes
	 * into an empty socket buffer). */
	on_writable(c);
	a->ops.quit(a->ops.ctx);
}

/* POST /logging?level=debug, as Envoy and agentgateway take it. */
static void handle_logging(struct admin_conn *c, const struct sg_h1_req *req)
{
	const char *q = memchr(req->target.p, '?', req->target.len);
	char level[16] = "", body[64];
	size_t qlen;

	if (q) {
		qlen = req->target.len - (size_t)(q + 1 - req->target.p);
		if (qlen > 6 && qlen - 6 < sizeof(level) && !strncmp(q + 1, "level=", 6))
			memcpy(level, q + 7, qlen - 6);
	}
	if (level[0] && sg_log_set_level(level) == -1) {
		respond_text(c, 400, "Bad Request",
			     "unknown level; expected one of: error, warn, info, debug\n");
		return;
	}
	snprintf(body, sizeof(body), "current log level is %s\n", sg_log_level_name());
	respond_text(c, 200, "OK", body);
}

static void handle_change(struct admin_conn *c, const struct sg_h1_req *req, bool del)
{
	const char *body = c->in.data + req->head_len;
	size_t len = req->content_length > 0 ? (size_t)req->content_length : 0;
	char *answer = NULL, ns[ADMIN_MAX_HEAD];
	/* ?namespace=NS: kubectl apply -n's (splicegate apply -n sends it). */
	int status = c->admin->ops.change(c->admin->ops.ctx, body, len, del,
					  query_param(req, "namespace", ns), &answer);
	const char *reason = status == 200   ? "OK"
			     : status == 404 ? "Not Found"
			     : status == 400 ? "Bad Request"
					     : "Internal Server Error";

	respond_text(c, status, reason, answer ? answer : "out of memory\n");
	free(answer);
}

static void handle_apply(struct admin_conn *c, const struct sg_h1_req *req)
{
	handle_change(c, req, false);
}

static void handle_delete(struct admin_conn *c, const struct sg_h1_req *req)
{
	handle_change(c, req, true);
}

static void handle_metrics(struct admin_conn *c, const struct sg_h1_req *req)
{
	char *text;

	if (busy(c))
		return;
	text = c->admin->ops.metrics(c->admin->ops.ctx);
	if (!text) {
		respond_text(c, 500, "Internal Server Error", "metrics failed\n");
		return;
	}
	respond(c, 200, "OK", "text/plain; version=0.0.4", text, strlen(text));
	free(text);
}

static void handle_stats(struct admin_conn *c, const struct sg_h1_req *req)
{
	char *text;

	if (busy(c))
		return;
	text = c->admin->ops.sockstats(c->admin->ops.ctx);
	if (!text) {
		respond_text(c, 500, "Internal Server Error", "stats failed\n");
		return;
	}
	respond(c, 200, "OK", "application/json", text, strlen(text));
	free(text);
}

/* Listeners are bound and the config loaded before this server starts;
 * after SIGTERM it answers 503 while the listeners still accept. */
static void handle_ready(struct admin_conn *c, const struct sg_h1_req *req)
{
	if (!c->admin->ops.ready || c->admin->ops.ready(c->admin->ops.ctx))
		respond_text(c, 200, "OK", "ready\n");
	else
		respond_text(c, 503, "Service Unavailable", "draining\n");
}

static const struct route api_routes[] = {
	{ "GET", "/config_dump", handle_config_dump },
	{ "GET", "/resources", handle_resources },
	{ "POST", "/quitquitquit", handle_quit, true },
	{ "POST", "/logging", handle_logging, true },
	{ "POST", "/config", handle_apply, true, true },
	{ "DELETE", "/config", handle_delete, true, true },
	{ "GET", "/metrics", handle_metrics },
	{ "GET", "/stats", handle_stats },
	{ NULL },
};

static const struct route stats_routes[] = {
	{ "GET", "/metrics", handle_metrics },
	{ NULL },
};

static const struct route ready_routes[] = {
	{ "GET", "/healthz/ready", handle_ready },
	{ NULL },
};

static const char *const role_names[] = {
	[SG_ADMIN_API] = "admin",
	[SG_ADMIN_STATS] = "stats",
	[SG_ADMIN_READY] = "readiness",
};

/* The standalone config key that sets each address. */
static const char *const role_keys[] = {
	[SG_ADMIN_API] = "adminAddr",
	[SG_ADMIN_STATS] = "statsAddr",
	[SG_ADMIN_READY] = "readinessAddr",
};

static const struct route *const role_routes[] = {
	[SG_ADMIN_API] = api_routes,
	[SG_ADMIN_STATS] = stats_routes,
	[SG_ADMIN_READY] = ready_routes,
};

static bool span_is(const struct sg_h1_span *s, const char *lit)
{
	return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

/* A write on a read-only TCP admin port: where to send it instead. */
static void refuse_write(struct admin_conn *c)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "this admin port is read-only: configuration changes, logging and quit go "
		 "over the admin socket %s (splicegate apply, delete use it; root only), or "
		 "start splicegate with --admin-tcp-writes\n",
		 c->admin->read_only);
	respond_text(c, 403, "Forbidden", text);
}

/* A web page's request, which a browser on the host would send for any
 * site it shows (a form, fetch with mode no-cors: no preflight for a POST
 * of text): browsers name the page's origin in Origin, and newer ones say
 * where a request comes from in Sec-Fetch-Site; splicegate apply, curl
 * and scripts send neither. */
static bool from_browser(const struct sg_h1_req *req)
{
	return sg_h1_header(req, "origin") || sg_h1_header(req, "sec-fetch-site");
}

/* A write route that this request may not use: on a read-only port, or
 * from a web page (cross-site request forgery: with --admin-tcp-writes a
 * page could change the config or stop the gateway). */
static bool write_refused(const struct admin_conn *c, const struct sg_h1_req *req,
			  const struct route *r)
{
	return r->write && (c->admin->read_only || from_browser(req));
}

static void refuse_browser(struct admin_conn *c)
{
	respond_text(c, 403, "Forbidden",
		     "the admin API takes no changes from a web browser (the request has an "
		     "Origin or Sec-Fetch-Site header): use splicegate apply, delete or curl\n");
}

/* Whether the Host a loopback-only admin API was asked by names this host:
 * "localhost" or an IP literal, with or without a port (none at all:
 * HTTP/1.0), on a TCP port. Any other name reached it through a resolver, and a web page
 * whose name was made to resolve to 127.0.0.1 (DNS rebinding) is
 * same-origin with what it reads there: config_dump, /resources. An
 * operator who names the host otherwise starts the gateway with
 * --admin-allow-remote, which serves any Host. */
static bool host_refused(const struct admin_conn *c, const struct sg_h1_req *req)
{
	const struct sg_h1_span *h = sg_h1_header(req, "host");
	char name[64];
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;

	if (c->admin->role != SG_ADMIN_API || c->admin->allow_remote || c->admin->unix_path || !h ||
	    !h->len)
		return false; /* no browser reaches a unix socket */
	if (h->p[0] == '[') { /* [v6] or [v6]:port */
		const char *end = memchr(h->p, ']', h->len);

		n = end ? (size_t)(end - h->p - 1) : sizeof(name);
		if (n >= sizeof(name))
			return true;
		memcpy(name, h->p + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &a6) != 1;
	}
	n = h->len;
	for (size_t i = 0; i < h->len; i++)
		if (h->p[i] == ':') {
			n = i;
			break;
		}
	if (n >= sizeof(name))
		return true;
	memcpy(name, h->p, n);
	name[n] = '\0';
	return strcasecmp(name, "localhost") != 0 && inet_pton(AF_INET, name, &a4) != 1;
}

static void refuse_host(struct admin_conn *c)
{
	respond_text(c, 403, "Forbidden",
		     "the admin API answers requests for localhost or an IP address only: "
		     "a Host that is another name may be a web page's (DNS rebinding); "
		     "start splicegate with --admin-allow-remote to serve any Host\n");
}

/* The request target without its query. */
static struct sg_h1_span path_of(const struct sg_h1_req *req)
{
	const char *q = memchr(req->target.p, '?', req->target.len);

	return (struct sg_h1_span){ req->target.p,
				    q ? (size_t)(q - req->target.p) : req->target.len };
}

static bool method_is(const struct sg_h1_req *req, const struct route *r)
{
	return span_is(&req->method, r->method) ||
	       (span_is(&req->method, "HEAD") && !strcmp(r->method, "GET"));
}

/* The route that will serve req, or NULL when dispatch() answers it
 * without one: 403 (a remote peer, a Host that names another host, a
 * write on a read-only port or from a browser), 404, 405. */
static const struct route *serving_route(const struct admin_conn *c, const struct sg_h1_req *req)
{
	const struct route *routes = role_routes[c->admin->role];
	struct sg_h1_span path = path_of(req);

	if (c->refused || host_refused(c, req))
		return NULL;
	for (size_t i = 0; routes[i].path; i++)
		if (span_is(&path, routes[i].path) && method_is(req, &routes[i]))
			return write_refused(c, req, &routes[i]) ? NULL : &routes[i];
	return NULL;
}

static void dispatch(struct admin_conn *c, const struct sg_h1_req *req)
{
	struct sg_h1_span path = path_of(req);
	const struct route *routes = role_routes[c->admin->role];
	bool path_known = false;
	char allow[96] = "allow: ";

	c->head = span_is(&req->method, "HEAD");
	if (c->refused) {
		respond_text(c, 403, "Forbidden",
			     "the admin API answers loopback clients only; start splicegate "
			     "with --admin-allow-remote to allow others\n");
		return;
	}
	if (host_refused(c, req)) {
		refuse_host(c);
		return;
	}
	for (size_t i = 0; routes[i].path; i++) {
		if (!span_is(&path, routes[i].path))
			continue;
		path_known = true;
		/* RFC 9110 15.5.6: a 405 says what the path takes. */
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s%s",
			 allow[7] ? ", " : "", routes[i].method,
			 strcmp(routes[i].method, "GET") ? "" : ", HEAD");
		if (method_is(req, &routes[i])) {
			if (routes[i].write && c->admin->read_only)
				refuse_write(c);
			else if (write_refused(c, req, &routes[i]))
				refuse_browser(c);
			else
				routes[i].handle(c, req);
			return;
		}
	}
	if (path_known) {
		strcat(allow, "\r\n");
		respond_with(c, 405, "Method Not Allowed", "text/plain", allow,
			     "method not allowed\n", 19);
	} else {
		respond_text(c, 404, "Not Found", "not found\n");
	}
}

/* What the head allows: 0 when the whole request is in (dispatched), 1 to
 * read on, -1 when it was answered with an error. The input buffer grows
 * (doubling from 4 KiB) to the head limit while the head is incomplete
 * (on_readable), and here to the whole request once the head says how
 * long its body is, if a route reads that body. */
static int check_request(struct admin_conn *c, const struct sg_h1_req *req)
{
	size_t max_body = c->admin->role == SG_ADMIN_API ? SG_CFG_MAX_TEXT : 0;
	size_t body = req->content_length > 0 ? (size_t)req->content_length : 0;
	const struct route *r;

	if (req->chunked) {
		respond_text(c, 411, "Length Required", "send a Content-Length body\n");
		return -1;
	}
	if (body > max_body) {
		respond_text(c, 413, "Payload Too Large",
			     max_body ? "request body too large: 4 MiB at most\n"
				      : "this endpoint takes no request body\n");
		return -1;
	}
	if (c->in.len >= req->head_len + body)
		return 0;
	r = serving_route(c, req);
	if (!r || !r->body) {
		/* Nothing reads this body: it is dropped as it comes and the
		 * head answered after it (skip_body). Held, it let anyone
		 * who is refused anyway (a remote peer, a write on the
		 * read-only port) make the server hold 4 MiB on each of its
		 * 128 connections; not read at all, a client that sends it
		 * whole before it reads (splicegate apply) would miss the
		 * answer. */
		c->skip = req->head_len + body - c->in.len;
		c->in.len = req->head_len;
		return 1;
	}
	if (sg_buf_reserve(&c->in, req->head_len + body - c->in.len) < 0) {
		respond_text(c, 500, "Internal Server Error", "out of memory\n");
		return -1;
	}
	return 1;
}

/* The head held in c->in, whole, parsed again and answered. */
static void dispatch_held(struct admin_conn *c)
{
	struct sg_h1_header slots[ADMIN_MAX_HEADERS];
	struct sg_h1_req req = { .headers = slots, .headers_cap = ADMIN_MAX_HEADERS };
	enum sg_h1_result rc = sg_h1_parse_request(c->in.data, c->in.len, ADMIN_MAX_HEADERS, &req);

	SG_BUG_ON(rc != SG_H1_DONE); /* it was whole when first parsed */
	dispatch(c, &req);
}

/* A body that no route reads (check_request): read into a scratch buffer
 * and dropped, a few reads a wake-up, then the head is answered. */
static void skip_body(struct admin_conn *c)
{
	char sink[16384];

	for (int i = 0; i < 4 && c->skip; i++) {
		ssize_t n = read(c->io.fd, sink, c->skip < sizeof(sink) ? c->skip : sizeof(sink));

		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n == -1)
			return;
		c->skip -= (size_t)n;
	}
	if (!c->skip)
		dispatch_held(c);
}

static void on_readable(struct admin_conn *c)
{
	struct sg_h1_header slots[ADMIN_MAX_HEADERS];
	struct sg_h1_req req = { .headers = slots, .headers_cap = ADMIN_MAX_HEADERS };
	ssize_t n;

	if (c->skip) {
		skip_body(c);
		return;
	}
	if (!sg_buf_room(&c->in)) {
		/* Only an incomplete head gets here full: check_request made
		 * room for a body the head announced. */
		if (c->in.cap >= ADMIN_MAX_HEAD) {
			respond_text(c, 431, "Request Header Fields Too Large",
				     "request head too large: 16 KiB at most\n");
			return;
		}
		if (sg_buf_reserve(&c->in, 1) < 0) {
			conn_close(c);
			return;
		}
	}
	n = read(c->io.fd, sg_buf_tail(&c->in), sg_buf_room(&c->in));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n == -1)
		return;
	sg_buf_commit(&c->in, (size_t)n);
	switch (sg_h1_parse_request(c->in.data, c->in.len, ADMIN_MAX_HEADERS, &req)) {
	case SG_H1_PARTIAL:
		return;
	case SG_H1_INVALID:
		respond_text(c, 400, "Bad Request", "bad request\n");
		return;
	case SG_H1_TOO_LARGE:
		respond_text(c, 431, "Request Header Fields Too Large", "too many headers\n");
		return;
	case SG_H1_DONE:
		break;
	}
	if (check_request(c, &req) == 0)
		dispatch(c, &req);
}

static void on_writable(struct admin_conn *c)
{
	ssize_t n = write(c->io.fd, sg_buf_data(&c->out), c->out.len);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		conn_close(c);
		return;
	}
	sg_buf_consume(&c->out, (size_t)n);
	if (!c->out.len)
		conn_close(c);
	else
		sg_timer_arm(c->admin->loop, &c->timer,
			     sg_loop_now(c->admin->loop) + ADMIN_TIMEOUT_MS);
}

/* The request did not come in time (408 if some of it did), or the
 * answer made no progress for ADMIN_TIMEOUT_MS. */
static void on_timeout(struct sg_loop *loop, struct sg_timer *t)
{
	struct admin_conn *c = t->data;

	if (c->out.len || c->in.len == 0)
		conn_close(c);
	else
		respond_text(c, 408, "Request Timeout", "request timeout\n");
}

static void on_conn_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct admin_conn *c = io->data;

	if (c->closed)
		return;
	if (c->out.len)
		on_writable(c);
	else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(c);
}

/* 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6. */
static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
}

/* Over the cap: a reset at once, so that the client sees a refusal rather
 * than a connection that never answers. */
static void refuse(struct sg_admin *a, int fd)
{
	sg_net_reset_on_close(fd);
	close(fd);
	if (!a->full_told)
		SG_WARN("%s listener %s: %d connections open, refusing new ones until some close",
			role_names[a->role], a->addr, ADMIN_MAX_CONNS);
	a->full_told = true;
}

static void on_accept(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_admin *a = io->data;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(io->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct admin_conn *c;

		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				SG_WARN("admin: accept: %s", strerror(errno));
			return;
		}
		if (a->nconns >= ADMIN_MAX_CONNS) {
			refuse(a, fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		/* Every client of a unix socket is local, and counted as one. */
		if (peer.ss_family == AF_UNIX)
			snprintf(c->ip, sizeof(c->ip), "local");
		else
			sg_net_ip_str(&peer, c->ip, sizeof(c->ip));
		if (!sg_srclimit_take(a->per_source, c->ip)) {
			sg_net_reset_on_close(fd);
			close(fd);
			free(c);
			continue;
		}
		c->admin = a;
		sg_list_init(&c->link);
		/* The request is still read, so that the peer gets a 403 with a
		 * reason rather than a reset. */
		c->refused = a->role == SG_ADMIN_API && !a->allow_remote &&
			     peer.ss_family != AF_UNIX && !is_loopback(&peer);
		c->io.fd = fd;
		c->io.cb = on_conn_io;
		c->io.data = c;
		if (sg_io_set(loop, &c->io, EPOLLIN) == -1) {
			sg_srclimit_release(a->per_source, c->ip);
			close(fd);
			free(c);
			continue;
		}
		sg_timer_init(&c->timer, on_timeout, c);
		sg_timer_arm(loop, &c->timer, sg_loop_now(loop) + ADMIN_TIMEOUT_MS);
		a->nconns++;
		sg_list_insert_head(&a->conns, &c->link);
	}
}

/* An admin server on the listening socket fd (taken, closed on failure),
 * named `addr` in the log. */
static struct sg_admin *admin_new(struct sg_loop *loop, int fd, const char *addr,
				  enum sg_admin_role role, const struct sg_admin_ops *ops,
				  char *err, size_t errlen)
{
	struct sg_admin *a = calloc(1, sizeof(*a));

	if (!a)
		goto no_memory;
	a->addr = strdup(addr);
	a->per_source = sg_srclimit_new(ADMIN_MAX_PER_SOURCE);
	if (!a->addr || !a->per_source)
		goto no_memory;
	a->loop = loop;
	sg_list_init(&a->conns);
	a->role = role;
	a->ops = *ops;
	a->listen_io.fd = fd;
	a->listen_io.cb = on_accept;
	a->listen_io.data = a;
	if (sg_io_set(loop, &a->listen_io, EPOLLIN) == -1) {
		snprintf(err, errlen, "admin: epoll: %s", strerror(errno));
		goto free_admin;
	}
	return a;

no_memory:
	snprintf(err, errlen, "out of memory");
free_admin:
	close(fd);
	if (a) {
		free(a->addr);
		sg_srclimit_free(a->per_source);
	}
	free(a);
	return NULL;
}

struct sg_admin *sg_admin_start(struct sg_loop *loop, const char *addr, enum sg_admin_role role,
				const struct sg_admin_ops *ops, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (sg_net_parse_addr(addr, &ss, &len) == -1) {
		snprintf(err, errlen, "%s address \"%s\": expected ip:port", role_names[role],
			 addr);
		return NULL;
	}
	fd = sg_net_listen(&ss, len, false);
	if (fd == -1) {
		snprintf(err, errlen, "%s address %s: %s (config.%s)", role_names[role], addr,
			 strerror(errno), role_keys[role]);
		return NULL;
	}
	return admin_new(loop, fd, addr, role, ops, err, errlen);
}

struct sg_admin *sg_admin_start_unix(struct sg_loop *loop, const char *path, mode_t mode,
				     const struct sg_admin_ops *ops, char *err, size_t errlen)
{
	struct sg_admin *a;
	struct sg_net_file_id id;
	int fd = sg_net_listen_unix(path, mode, &id);

	if (fd < 0) {
		snprintf(err, errlen, "admin socket %s: %s%s", path,
			 fd == -EADDRINUSE ? "in use by a running gateway"
			 : fd == -EPERM	   ? "its directory is another user's or others may write "
					     "it, who could put a socket of their own there"
					   : strerror(-fd),
			 fd == -EADDRINUSE || fd == -EACCES || fd == -EEXIST || fd == -EPERM
				 ? " (--admin-socket PATH chooses another)"
				 : "");
		return NULL;
	}
	a = admin_new(loop, fd, path, SG_ADMIN_API, ops, err, errlen);
	if (!a) {
		sg_net_unlink_unix(path, &id);
		return NULL;
	}
	a->unix_path = a->addr;
	a->unix_id = id;
	return a;
}

void sg_admin_allow_remote(struct sg_admin *a, bool allow)
{
	a->allow_remote = allow;
}

int sg_admin_read_only(struct sg_admin *a, const char *writes_at)
{
	free(a->read_only);
	a->read_only = writes_at ? strdup(writes_at) : NULL;
	return writes_at && !a->read_only ? -ENOMEM : 0;
}

void sg_admin_stop(struct sg_admin *a)
{
	if (!a)
		return;
	while (!sg_list_empty(&a->conns))
		conn_close(SG_LIST_ENTRY(sg_list_first(&a->conns), struct admin_conn, link));
	sg_io_set(a->loop, &a->listen_io, 0);
	close(a->listen_io.fd);
	if (a->unix_path)
		sg_net_unlink_unix(a->unix_path, &a->unix_id);
	free(a->read_only);
	free(a->addr);
	sg_srclimit_free(a->per_source);
	free(a);
}
