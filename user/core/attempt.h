/* The attempt engine: one request's tries at its route's backends, the
 * same for an HTTP/1 connection (user/http1/proxy.c) and an HTTP/2 stream
 * (user/http2/h2proxy.c). It picks an endpoint (the backend by weight, then the
 * better of two of its endpoints not evicted, untried ones first: user/core/lb.h
 * judges every try for passive health), connects or
 * reuses a pooled connection, keeps the request, per-try and connect
 * deadlines and the backoff between tries, and decides retries (the
 * route's retry policy; the one free retry of a stale pooled connection).
 *
 * The owner embeds one struct sg_attempt, calls in when something happened
 * (connected, a write or read failed, a response status came, its timer
 * fired) and is called back through struct sg_attempt_ops: "send the
 * request", "no try is left: answer the client", "wait" (refresh timer and
 * I/O mask), and the response's head, data and end. Who speaks the
 * protocol: to an HTTP/2 backend, always the exchange (user/core/h2backend.h);
 * to an HTTP/1 backend, sg_h1x (user/core/h1backend.h): from the owner's
 * messages, or from bytes it built, and then, at the response head, the
 * owner may take the connection to relay the body socket to socket
 * (user/http1/: splice(2), the socket map). Every
 * callback may be made from inside any sg_attempt_* call except
 * sg_attempt_due/_release. */
#ifndef SG_ATTEMPT_H
#define SG_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "policy/failure.h"
#include "user/base/loop.h"
#include "user/core/stats.h"
#include "user/core/backend.h"
#include "user/core/h1backend.h"
#include "user/core/h2backend.h"

struct sg_attempt;

/* An HTTP/2 backend's refused streams (not processed) sent again, per
 * request, without counting as tries. */
#define SG_ATTEMPT_MAX_REFUSED 16

/* The largest response head an HTTP/1 backend may send. */
#define SG_ATTEMPT_HEAD_MAX (64 * 1024)

/* What an owner's prepare says of a try (struct sg_attempt_ops). */
enum sg_attempt_prep {
	SG_ATTEMPT_GO,	 /* connect now */
	SG_ATTEMPT_HOLD, /* the owner calls sg_attempt_go later */
	SG_ATTEMPT_STOP, /* the owner failed the request */
};

struct sg_attempt_ops {
	/* The try's backend and endpoint are chosen (a->backend, a->ep) and
	 * its deadlines armed, before any connection: the owner may make it
	 * wait for something of its own (a backendAuth token exchange,
	 * user/core/tokenx.h) by answering SG_ATTEMPT_HOLD and calling
	 * sg_attempt_go once it is there; the deadlines run meanwhile (on
	 * expiry the try fails as any does, and a retry prepares again).
	 * NULL: every try goes at once. */
	enum sg_attempt_prep (*prepare)(struct sg_attempt *a);
	/* a->conn is connected (or was taken from the pool): write the
	 * request on it, from its first byte. */
	void (*send)(struct sg_attempt *a);
	/* No try is left: answer the client with `kind` (policy/failure.h),
	 * err the errno behind it (0: none). a->conn is gone already. */
	void (*fail)(struct sg_attempt *a, enum sg_fail kind, int err);
	/* a->conn was closed: forget what was kept of this try (request bytes
	 * being written, a body relay to it). */
	void (*dropped)(struct sg_attempt *a);
	/* The deadlines or a->conn changed and nothing else was called:
	 * refresh the timer (sg_attempt_due) and the I/O masks. NULL for an
	 * owner that refreshes both at the end of every dispatch anyway. */
	void (*wait)(struct sg_attempt *a);
	/* Optional: after each event of a->conn that the attempt handled (its
	 * connect, its HTTP/1 exchange), for an owner that refreshes its
	 * timer and I/O masks at the end of its own dispatches (wait NULL). */
	void (*settle)(struct sg_attempt *a);
	/* Installed as a->conn's I/O callback, with the owner as its data,
	 * once the owner took the connection (sg_attempt_take). */
	void (*on_io)(struct sg_loop *loop, struct sg_io *io, uint32_t revents);
	/* Optional: storage for the HTTP/1 exchange of a try (user/core/
	 * h1backend.h, sg_h1x_init), which the owner keeps from one request
	 * to the next, so that a try costs no allocation; NULL (or its
	 * storage busy): the exchange is allocated. */
	struct sg_h1x *(*h1x)(struct sg_attempt *a);
	/* An HTTP/1 backend's request sent in bytes (sg_attempt_send_bytes):
	 * its bytes are all written; the connection takes more of the body
	 * the owner relays itself; EOF came with bytes still passed to it
	 * (user/core/exchange.h's callbacks of the same names). */
	void (*written)(struct sg_attempt *a);
	void (*writable)(struct sg_attempt *a);
	bool (*early_eof)(struct sg_attempt *a);

	/* The response, as user/core/exchange.h's callbacks of the same names say
	 * (head: interim ones too; its retry decision is the owner's,
	 * sg_attempt_took_status, or for a request sg_request_took_response). Body bytes passed on are given back with
	 * sg_attempt_consume; a body that had none yet is resumed with
	 * sg_attempt_resume. room and space: optional, as in exchange.h. */
	void (*head)(struct sg_attempt *a, const struct sg_h1_resp *resp, bool end);
	void (*data)(struct sg_attempt *a, const char *p, size_t n);
	void (*end)(struct sg_attempt *a, const struct sg_h2_field *t, size_t n, int err);
	ssize_t (*body)(struct sg_attempt *a, char *buf, size_t len, bool *eof);
	size_t (*trailers)(struct sg_attempt *a, const struct sg_h2_field **t); /* NULL: none */
	bool (*room)(struct sg_attempt *a);
	char *(*space)(struct sg_attempt *a, size_t want);
};

struct sg_attempt {
	const struct sg_attempt_ops *ops;
	void *owner;
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_h2b_pool *h2pool;
	struct sg_stats *stats;
	uint64_t *rng; /* the worker's xorshift state, for endpoint choice */

	/* The request. */
	const struct sg_route *route;	/* NULL until routed */
	const struct sg_global *global; /* pool settings of its config */
	bool replayable;		/* it can be sent again (its body is in hand) */
	bool no_retry;			/* the retry's precondition was false: one try */
	bool idempotent;		/* GET or HEAD: see sg_attempt_lost */
	bool answered;			/* its response head was taken: no more tries */

	/* Its tries. */
	unsigned n;	/* tries before the current one: 0 during the first */
	uint64_t tried; /* SG_ROUTE_TRIED_BIT of each endpoint tried */
	/* The endpoint the request's session names (policy/session.h's id),
	 * which its first try takes while the route has it and it is not
	 * evicted; 0: none. The owner sets it before sg_attempt_start. */
	uint64_t session;
	bool stale_retry_used;
	unsigned refused; /* streams an HTTP/2 backend refused, sent again */
	/* Why the try before the current one was not the answer, for its
	 * span (user/core/trace.h): the status its response had, when the
	 * route retries it; else what ended it (sg_fail_name, or
	 * "stale_connection" and "refused_stream" for a resend that does not
	 * count). NULL and 0 during a request's first try. */
	const char *retried_why;
	uint16_t retried_status;
	/* Where a dynamic backend sends it: the Host of head `req` (the
	 * owner's), at its port, else 443 when the client came over TLS
	 * (https), else 80. Set by the owner before sg_attempt_start. */
	const struct sg_h1_req *req;
	bool https;
	struct sg_endpoint dyn_ep; /* that endpoint, in dyn_host */
	char dyn_host[SG_ENDPOINT_ADDR_MAX + 1];
	const struct sg_backend_ref *backend; /* of the current (or last) try */
	const struct sg_endpoint *ep;	      /* of the current (or last) try */
	char endpoint[SG_ENDPOINT_TEXT_SIZE]; /* "addr:port" of the current (or last) try */
	/* Why the last try's TLS failed (SG_FAIL_TLS): sg_attempt_cause. */
	char tls_cause[160];
	/* Deadlines in loop ms, 0 = none. */
	uint64_t request_at, try_at, connect_at, backoff_at;

	/* The current try's backend connection (HTTP/1), or its stream on a
	 * shared connection (HTTP/2, the backend's eff_h2); NULL between
	 * tries. a->h1, the exchange on conn once connected, and a->h2 speak
	 * through ops->head, data and end; conn's bytes are the owner's only
	 * once it took it (sg_attempt_take: a->h1 is NULL then). */
	struct sg_backend_conn *conn;
	struct sg_h2b_stream *h2;
	struct sg_h1x *h1;
	bool connected;
	/* The current try's endpoint state (user/core/lb.h): outstanding from the
	 * try's start until its response is over or it is dropped; judged
	 * healthy or not once, at its response head or failure. NULL: none. */
	struct sg_lb_ep *lb_ep;
	bool lb_judged;
	/* The current try's 429 asked for this wait (sg_lb_retry_after), set
	 * by the owner before sg_attempt_took: the eviction's time when the
	 * health policy gives none, before the route's retry backoff. */
	bool has_retry_after;
	sg_dur retry_after;

	/* Metrics: the request's (listener, route) series; loop ns when the
	 * request, the current try and its connect began (0: none running);
	 * whether the request counts in the active requests gauge. */
	struct sg_series *series;
	uint64_t begun_ns, try_ns, connect_ns;
	bool in_flight;

	/* The response is the gateway's own, written through ops->head, data
	 * and end by a service (an MCP stream: user/mcp/mcpsvc.c), which is
	 * told here of the body bytes the owner passed on (sg_attempt_consume),
	 * as an HTTP/2 backend's window would be. NULL: none; each request
	 * begins without (sg_attempt_begin). */
	void (*fed)(struct sg_attempt *a, size_t n);
};

/* Ready `a` for its owner's first request; nothing runs yet. */
void sg_attempt_init(struct sg_attempt *a, const struct sg_attempt_ops *ops, void *owner,
		     struct sg_loop *loop, struct sg_pool *pool, struct sg_h2b_pool *h2pool,
		     struct sg_stats *stats, uint64_t *rng);

/* A new request on `listener` (the key its metrics are labelled with),
 * routed to `route` (NULL: it has none, and is answered without a try):
 * forgets the last request's tries, arms the route's request deadline and
 * counts the request as active until sg_attempt_over or sg_attempt_end; g:
 * the config's global settings (the pools'). a->conn and a->h2 must be
 * NULL. */
void sg_attempt_begin(struct sg_attempt *a, const char *listener, const struct sg_route *route,
		      bool replayable, const struct sg_global *g);

/* The request is over (its access log point): its duration since
 * sg_attempt_begin, its body bytes each way and its retries go to its
 * (listener, route) series, and it stops counting as active. Once per
 * request: later calls do nothing. */
void sg_attempt_over(struct sg_attempt *a, uint64_t request_bytes, uint64_t response_bytes);

/* The cause a failure's 503 body names: the TLS failure's text for
 * SG_FAIL_TLS, else sg_fail_cause(err). */
const char *sg_attempt_cause(const struct sg_attempt *a, enum sg_fail kind, int err);

/* Start a try: pick an endpoint, take a pooled connection (then ops->send
 * at once) or start a connect (ops->wait; call sg_attempt_connected when
 * a->conn turns writable). For an HTTP/2 backend, open a stream on a
 * connection with room or a new one: ops->send once that is up (its
 * failures come in by themselves). No endpoint:
 * ops->fail(SG_FAIL_NO_BACKEND). */
void sg_attempt_start(struct sg_attempt *a);

/* A try its owner held (ops->prepare) goes on: it connects, or takes a
 * pooled connection or an HTTP/2 stream, as sg_attempt_start would have. */
void sg_attempt_go(struct sg_attempt *a);

/* a->conn became writable (or, during its TLS handshake, ready as
 * sg_backend_connect_events says) while !a->connected: once connected, and
 * for a backend with TLS once the handshake is over (bounded by the
 * connect timeout), ops->send; on a failed connect or handshake the try
 * failed (SG_FAIL_TLS: sg_attempt_cause says why); nothing while the
 * name's next address is being tried or the handshake waits (ops->wait). */
void sg_attempt_connected(struct sg_attempt *a);

/* The current try failed: the next one starts (at once, or after the
 * policy's backoff: ops->wait) when the policy allows it, the request is
 * replayable and not answered; else ops->fail(kind, err). */
void sg_attempt_failed(struct sg_attempt *a, enum sg_fail kind, int err);

/* Writing the request to a->conn failed with errno `err`; `taken`: the
 * backend took some of its bytes. A pooled connection the backend closed
 * before taking any byte cannot have the request: the try is made again on
 * a fresh connection, once, without counting. Else the try failed. */
void sg_attempt_write_failed(struct sg_attempt *a, int err, bool taken);

/* Reading the response head from a->conn got EOF (err 0) or errno `err`. */
void sg_attempt_read_failed(struct sg_attempt *a, int err);

/* The same before a byte of the response came: an idempotent request on a
 * pooled connection the backend closed (EOF, or EPIPE after its FIN: it
 * closed it idle as the request went out) is made again on a fresh
 * connection, once per request, without counting as a try (shared with
 * sg_attempt_write_failed's); else read_failed. */
void sg_attempt_lost(struct sg_attempt *a, int err);

/* A final response head with `status` came. Returns true when the policy
 * retries on it (the try was dropped and the next one begun, as by
 * sg_attempt_failed); false when it is the answer: the request and per-try
 * deadlines are cleared and no try follows. */
bool sg_attempt_took_status(struct sg_attempt *a, uint16_t status);
/* The same, `wanted` saying that the route's retry condition (CEL) held
 * over the response: retried as a listed status is. */
bool sg_attempt_took(struct sg_attempt *a, uint16_t status, bool wanted);

/* Send the request on the try's exchange (an HTTP/1
 * connection, or an HTTP/2 stream), from ops->send: `req` as
 * sg_h1_write_request_edit writes it (edit, client_ip; the try's number;
 * sg_attempt_default_host's Host where it came without one);
 * body: ops->body gives it. Returns 0 or a negative errno (the owner fails
 * the request). Callbacks may come from inside. */
int sg_attempt_send(struct sg_attempt *a, const struct sg_h1_req *req,
		    const struct sg_h1_edit *edit, const char *client_ip, bool body);

/* The Host a request that came without one is forwarded with. An HTTP/1.0
 * client may send none, but every HTTP/1.1 request carries one (RFC 9112
 * §3.2) and backends refuse a request without (nginx answers 400): it
 * gets the authority of the backend b it goes to (b->eff_authority:
 * "addr:port" as configured, or a Service's hostname and port), as nginx's
 * proxy_pass and hyper's client send. Sets edit->host when req has no
 * Host and the edit sets none; b NULL (no try yet) leaves it alone. The
 * value is the config's. sg_attempt_send applies it for the try's
 * backend; an owner that writes the request itself, and a mirror copy,
 * call it first. */
void sg_attempt_default_host(const struct sg_backend_ref *b, const struct sg_h1_req *req,
			     struct sg_h1_edit *edit);

/* The same to an HTTP/1 backend in bytes, from ops->send when a->h1 is
 * set: the head as sg_h1backend_build writes it (extra lines: an upgrade
 * offer) with body[0..body_len) when the body is whole in hand, else,
 * `body_given`, the owner relays the body itself once ops->written says
 * the head is out (sg_attempt_want_write, ops->writable). `tunnel`: a 101
 * or a CONNECT's 2xx may answer. At the final response head ops->head may
 * take the connection (sg_attempt_take). Returns 0 or a negative errno
 * (the owner fails the request); callbacks may come from inside. */
int sg_attempt_send_bytes(struct sg_attempt *a, const struct sg_h1_req *req,
			  const struct sg_h1_edit *edit, const char *client_ip, const char *extra,
			  const char *body, size_t body_len, bool body_given, bool tunnel);

/* Inside ops->head: the final head of an HTTP/1 backend sent bytes, whose
 * connection the owner may take. */
bool sg_attempt_offered(const struct sg_attempt *a);

/* Take it: the response bytes read after the head (*n, valid until
 * ops->head returns) are returned, and *body is its body's framing; from
 * now on a->conn's bytes and I/O are the owner's (ops->on_io), and no
 * exchange speaks for it. */
char *sg_attempt_take(struct sg_attempt *a, size_t *n, enum sg_h1_body *body);

/* The owner's body relay (body_given) has bytes for the backend: ask for
 * ops->writable, or no longer. */
void sg_attempt_want_write(struct sg_attempt *a, bool want);

/* Read the connection again, as its readiness would (after ops->early_eof
 * said to wait). */
void sg_attempt_read_again(struct sg_attempt *a);

/* ops->body has bytes (or the end) again. */
void sg_attempt_resume(struct sg_attempt *a);

/* n response body bytes were passed on (0: ops->room may say yes again);
 * an HTTP/2 backend's stream window may grow by up to `widen` bytes more
 * (sg_h2b_consume). Returns by how much it grew. */
size_t sg_attempt_consume(struct sg_attempt *a, size_t n, size_t widen);

/* The earliest deadline (loop ms), 0 when none. */
uint64_t sg_attempt_due(const struct sg_attempt *a);

/* The owner's timer fired at `now`: handles the deadline that passed (the
 * request deadline: ops->fail(SG_FAIL_REQUEST_TIMEOUT); connect or per-try:
 * the try failed; backoff: the next try starts) and returns true; false
 * when none of them passed. Counts the timeout in stats. */
bool sg_attempt_expire(struct sg_attempt *a, uint64_t now);

/* Close a->conn (if any) and clear the try's deadlines; ops->dropped. */
void sg_attempt_drop(struct sg_attempt *a);

/* The response is over: a->conn goes back to the pool when `reusable` (and,
 * while the exchange speaks for it, the exchange says it may) and the pool keeps idle
 * connections (global poolIdleTimeout, poolMaxSize), else it is closed.
 * a->conn is NULL afterwards; ops->dropped is not called. */
void sg_attempt_release(struct sg_attempt *a, bool reusable, const struct sg_global *g);

/* Stop everything: no callback follows; a request not over yet stops
 * counting as active (without a duration). */
void sg_attempt_end(struct sg_attempt *a);

#endif
