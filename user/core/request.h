/* One request's life, written once for every frontend: from a complete
 * head (routed, admitted, planned, watched) through each try's plan and
 * mirrors and the failure answers the gateway makes, to its end (counted,
 * logged, released). The HTTP/1 frontend (user/http1/proxy.c) and the HTTP/2
 * one (user/http2/h2proxy.c: a stream is a request) each embed a struct
 * sg_request per request in flight and give it a sink: how their protocol
 * writes an answer, cuts a response that began, and sends a try's copy of
 * the request. Neither writes any of the steps below itself.
 *
 * The phases a request passes, in order, and what runs at each (the
 * places where authentication, authorization and tracing slot in, once):
 *
 *   routed          sg_request_begin: the path normalised (policy/
 *                   pathnorm.h), route by Host and path, then the
 *                   steps of begin_steps[] in order: admission
 *                   (maxConcurrentRequests), the listener's gateway
 *                   phase (CORS, oidc, jwtAuth, basicAuth, apiKey,
 *                   authorization), then those of route_steps[]: no route
 *                   -> 404/421, the route's filter plan (CORS, oidc,
 *                   jwtAuth, rate limit, CSRF, redirects, direct
 *                   responses), the body watchdog
 *   gateway authz   sg_request_start: a listener with extAuthz holds the
 *                   request after its authentication; the service is
 *                   asked on the loop, and on its verdict the listener's
 *                   authorization and route_steps[] run
 *   logged in       an OIDC callback's code exchanged (a thread of its
 *                   own), answered 302 with the session (the listener's
 *                   callback whether a route matches it or not); or
 *                   mcpAuthentication's authorization server asked (its
 *                   metadata, a client registration), answered
 *   authorized      the route's extAuthz asked, on the
 *                   loop, after its CORS, oidc and authentication; its
 *                   verdict answers, or the rest of its filter plan
 *                   (authorization, rate limits, CSRF, edits, direct
 *                   responses) runs over the request it edited
 *   rate checked    the route's remoteRateLimit asked, on the loop; its
 *                   verdict goes on or answers (429, 500)
 *   delayed         the route's delay (a loop timer; the request's
 *                   requestTimeout counts it), then the route's
 *                   directResponse or the first try
 *   each try        sg_request_send: the try's backend's plan, its
 *                   traceparent (a traced request's), the first try's
 *                   backend mirrors, then the sink sends
 *   response head   sg_request_hold_response: a route whose response
 *                   transformation reads response.body (or replaces the
 *                   body) holds the response whole, up to maxBufferSize,
 *                   whichever protocol brought it; its transformation then
 *                   runs and the response goes out with one
 *                   Content-Length (sink->respond), or, past the bound,
 *                   as it came (sink->release). sg_request_response_head:
 *                   counted with its status
 *   end             sg_request_log, sg_request_release */
#ifndef SG_REQUEST_H
#define SG_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/core/a2a.h"
#include "policy/failure.h"
#include "policy/idle.h"
#include "policy/session.h"
#include "user/core/attempt.h"
#include "user/core/authn.h"
#include "user/core/celreq.h"
#include "user/core/filter.h"
#include "user/core/frontend.h"
#include "user/codec/h1.h"
#include "user/codec/h2head.h"
#include "user/core/mirror.h"
#include "user/relay/relay.h"

struct sg_request;
struct sg_request_resp; /* a held response (request.c) */

/* The most of a body a route that reads it holds when its listener sets
 * no maxBufferSize: agentgateway's DEFAULT_BUFFER_LIMIT. */
#define SG_REQUEST_BODY_MAX (2 * 1024 * 1024)
/* An MCP request's own fields: what CEL's `mcp` reads (pointing into the
 * texts here). */
struct sg_request_mcp {
	struct sg_celreq_mcp cel;
	/* The method as the metrics label it (a static text of a bounded
	 * set); NULL: not counted (no JSON-RPC method: GET, DELETE). */
	const char *metric_method;
	char method[64], kind[12], target[64], name[256], session[40];
};

/* Where a request is. A frontend moves it; the body watchdog reads it. */
enum sg_request_phase {
	SG_REQUEST_HEAD,     /* its head is being read */
	SG_REQUEST_BODY,     /* a small body is read whole before the first try */
	SG_REQUEST_ATTEMPT,  /* tries: backoff, connect, send, wait for a response head */
	SG_REQUEST_RESPONSE, /* the response body is relayed */
	SG_REQUEST_DONE,     /* answered; the frontend finishes it */
};

/* What a frontend gives the request module: its protocol's side of the
 * steps. Every callback gets the request; r->owner is the frontend's
 * object (an HTTP/1 connection, an HTTP/2 stream). */
struct sg_request_sink {
	/* Write a whole answer the gateway makes: `status`, the lines of
	 * *edit, then body[0..len) (a HEAD request gets the head alone; text:
	 * the gateway's own failure text, labelled text/plain unless the edit
	 * sets a content-type). The answer ends the request for the client:
	 * the frontend finishes it (next request, or close). May close the
	 * connection; r may be gone afterwards. */
	void (*answer)(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
		       const char *body, size_t len, bool text);
	/* A failure after part of the response went out: the only honest
	 * signal left is to cut it (close the connection, reset the stream). */
	void (*cut)(struct sg_request *r);
	/* The try's plan is made and its exchange is ready (r->at.conn or
	 * r->at.h2): write this try's copy of the request. */
	void (*send)(struct sg_request *r);
	/* A failure was answered from a backend's events, outside the
	 * frontend's own dispatch: flush, refresh timers and I/O. */
	void (*failed)(struct sg_request *r);
	/* A held response (sg_request_hold_response) is whole: write
	 * `resp`'s status and headers (it has no framing field), the lines
	 * of *edit, "content-length: len", then body[0..len) (copy it: it is
	 * freed on return), then its trailers t[0..nt) (names in lowercase;
	 * valid during the call) where the client takes them: an HTTP/2
	 * client's trailing HEADERS, an HTTP/1.1 client that sent `TE:
	 * trailers` a chunked body in place of the Content-Length; anyone
	 * else's are dropped. The response is over for the frontend, which
	 * gives back its backend as after any response. May close the
	 * connection. Never for a HEAD request, a 1xx, 204 or 304. */
	void (*respond)(struct sg_request *r, const struct sg_h1_resp *resp,
			const struct sg_h1_edit *edit, const char *body, size_t len,
			const struct sg_h2_field *t, size_t nt);
	/* A held response passed maxBufferSize: it goes as it came. Write
	 * `resp` (the backend's head, copied: valid during the call) as the
	 * frontend writes any response head (sg_request_transform_response
	 * runs there over response.bodyPrefix), then body[0..len), its first
	 * bytes (copy them); the rest of the body comes as ordinary body
	 * bytes from here. May close the connection. */
	void (*release)(struct sg_request *r, const struct sg_h1_resp *resp, const char *body,
			size_t len);
	/* The body held for retries and mirrors: fills m's body fields. */
	void (*held_body)(const struct sg_request *r, struct sg_mirror_request *m);
	/* Body bytes moved so far, either way (the watchdog compares them). */
	uint64_t (*progress)(const struct sg_request *r);
	/* Optional (NULL: none): the request was just routed (r->listener,
	 * r->match, r->at.route are set; nothing was answered yet). */
	void (*routed)(struct sg_request *r);
	/* The protocol version the access log names; NULL: HTTP/1.<minor>
	 * of the head. */
	const char *version;
};

/* A request's own state. Embedded in the frontend's per-request object,
 * which owns it; sg_request_init once, then sg_request_begin per request
 * (the object may serve several in turn: an HTTP/1 connection's). */
struct sg_request {
	const struct sg_request_sink *sink;
	void *owner;		 /* the frontend's object */
	struct sg_frontend *ctx; /* the worker's */
	const char *ip;		 /* the client's address, as text (the owner's) */
	uint16_t port;		 /* its port (a PROXY protocol header's, when one came) */
	int sock;		 /* the connection's socket (the owner's) */
	struct sg_tls *tls;	 /* its TLS session (the owner's); NULL: plaintext */
	/* The head, the frontend's (spans into its buffers); NULL until it
	 * parsed, and again once the request is logged. */
	struct sg_h1_req *req;
	/* The target as the client sent it when normalising its path changed
	 * it (req->target is then the plan's copy); p NULL: unchanged. The
	 * access log shows this one. */
	struct sg_h1_span raw_target;
	struct sg_cfg *cfg;	    /* the config it is served by (the frontend holds it) */
	const struct sg_bind *bind; /* routed on */
	const struct sg_listener *listener;
	const struct sg_match *match;
	/* Its config's config.logging (NULL: none) and the access log policy
	 * its listener follows (NULL: none), from sg_request_begin. */
	const struct sg_logging *logging;
	const struct sg_log_policy *log_policy;
	/* Its tries (route, endpoint, deadlines, the backend connection), and
	 * what the route's filters and each try's backend's make of it. */
	struct sg_attempt at;
	struct sg_filter_plan plan;
	/* The session it named, when its route keeps them (policy/session.h;
	 * id 0: none, or one not live), read before its first try. */
	struct sg_session_token session;
	/* Who the caller proved to be (a route's jwtAuth: its claims). */
	struct sg_authn authn;
	/* The route's extAuthz being asked about it (user/core/authzcall.h);
	 * NULL: none under way. */
	struct sg_extauthz *authz;
	/* An OIDC login's code exchange (user/core/oidcflow.h); NULL: none under
	 * way. */
	struct sg_oidc_exchange *oidc;
	/* mcpAuthentication's call to the authorization server (user/core/
	 * mcpauthn.h); NULL: none under way. */
	struct sg_mcp_oauth *mcp_call;
	/* The route's remoteRateLimit being asked (user/core/rlcall.h); NULL:
	 * none under way. */
	struct sg_rlcall *rl;
	/* The try's backendAuth token exchange under way (user/core/tokenx.h;
	 * NULL: none), and the token it gave for the current try (malloc'd;
	 * NULL: none). */
	struct sg_tokenx *tx;
	char *tx_token;
	/* Its trace (user/core/trace.h); NULL: not traced. */
	struct sg_trace *trace;
	/* The gateway's own service answering it (ctx->mcp's call); NULL:
	 * none under way. */
	void *served;
	/* What it asked of the MCP service, for its log line, CEL's `mcp` and
	 * the MCP metrics (user/mcp/mcplog.h fills it; malloc'd, freed when
	 * the request is logged); NULL: not an MCP call. */
	struct sg_request_mcp *mcp;
	enum sg_request_phase phase;
	bool is_head;	     /* HEAD: answers carry no body */
	bool held;	     /* counted in its bind's maxConcurrentRequests */
	bool logged;	     /* its access log line is written */
	bool route_mirrored; /* the route's mirrors were sent */
	bool mirrored;	     /* the first try's backend's were */
	bool resp_started;   /* part of a response went to the client */
	uint16_t status;     /* what the client was answered, 0: nothing yet */
	/* The gateway's own failure answered (or cut) for it, kind and errno
	 * (sg_request_fail), for the access log; failed false: none. */
	bool failed;
	enum sg_fail fail_kind;
	int fail_err;
	uint64_t started;	      /* loop ms at sg_request_begin; 0: not begun */
	uint64_t bytes_in, bytes_out; /* body bytes counted so far */
	enum sg_relay_engine engine;  /* what moved the response body */
	/* The body watchdog: the route's responseIdleTimeout when it has one
	 * (route_idle), else --body-idle-timeout. */
	struct sg_idle body_idle;
	bool route_idle;
	/* The route's delay (fault injection) being waited out, armed in
	 * sg_request_start; answer_pending: the route's directResponse is
	 * made when it is over (agentgateway delays it too). */
	struct sg_timer delay;
	bool answer_pending;
	/* The listener's gateway phase stopped sg_request_begin before the
	 * route's steps: for its OIDC callback, whose code exchange ends r
	 * (routed or not); or for its extAuthz (gw_authz), asked when r
	 * starts (its body held), on whose verdict the route's steps run,
	 * no_route kept for them. */
	bool gw_held, gw_authz;
	enum sg_fail no_route;
	/* Its route's filters read the body (SG_ROUTE_DEFER_BODY): the
	 * frontend holds it whole (at.replayable), up to body_max bytes, and
	 * the route's plan waits for it (sg_request_start). body_held: it is
	 * whole in `body` (the frontend's, as it came), which CEL's
	 * request.body reads. */
	bool body_wanted, body_held;
	size_t body_max;
	/* KiB its address's held bodies count for it (ctx->held), from
	 * hold_body to its end: its declared length, else body_max. */
	unsigned body_kib;
	unsigned resp_kib; /* the same for its held response (reqheld.c) */
	struct sg_h1_span body;
	/* Its response, held whole while its route reads the body
	 * (sg_request_hold_response: its head copied, its body so far;
	 * malloc'd); NULL: none is held. */
	struct sg_request_resp *held_resp;
	/* A held response's body, kept once it went to the client (or was
	 * released past the bound) for the access log and span attributes
	 * that read it (SG_ROUTE_HOLD_LOG, _TRACE); freed when r is logged.
	 * NULL: none. */
	struct sg_request_resp *log_resp;
	/* The response had no body to hold (HEAD, 204, 304) on such a
	 * route: the log's response.body is empty bytes. */
	bool resp_bodyless;
	/* The response head the client got (its status and fields: the
	 * backend's after the route's edits, or the gateway's own answer's),
	 * kept for the access log and span attributes that read
	 * response.headers (SG_ROUTE_HEAD_LOG, _TRACE; its `head`); freed
	 * when r is logged. NULL: none. */
	struct sg_request_resp *log_head;
	/* The held request body copied for the access log and span
	 * attributes that read request.body (SG_ROUTE_LOG_REQ_BODY; malloc'd,
	 * freed when r is logged). NULL: none. */
	char *log_body;
	size_t log_body_len;
	/* On an a2a route (user/core/a2a.h): what the request is (an agent
	 * card's response is held and rewritten; a call's JSON answer held
	 * and read), and a call's log fields (malloc'd; NULL: none). */
	enum sg_a2a_kind a2a;
	struct sg_a2a_log *a2a_log;
	/* A response released past maxBufferSize (sink->release): its first
	 * maxBufferSize bytes, which response.bodyPrefix reads during the
	 * call; p NULL: none. */
	struct sg_h1_span resp_prefix;
};

/* What a frontend knows of a head when it is complete. */
struct sg_request_head {
	struct sg_h1_req *req;	     /* the head (borrowed for the request's life) */
	struct sg_cfg *cfg;	     /* the config it is served by */
	const struct sg_bind *bind;  /* of that config, the port it came on */
	const char *sni_listener;    /* the TLS handshake's listener key; NULL: not TLS */
	bool replayable;	     /* its body is (or will be) whole in hand */
	enum sg_relay_engine engine; /* what the access log names if no body moves */
};

/* Ready r (zeroed by its owner) for its first request on `bind` (the
 * connection's, until a head is routed): the attempt engine with `ops`,
 * whose owner is `owner` too. */
void sg_request_init(struct sg_request *r, const struct sg_request_sink *sink, void *owner,
		     struct sg_frontend *ctx, const struct sg_bind *bind, const char *ip,
		     uint16_t port, int sock, const struct sg_attempt_ops *ops);

/* The body r's tries send, of the one the frontend holds (held[0..len)):
 * that one, or the one a request transformation made of it. */
static inline struct sg_h1_span sg_request_body(const struct sg_request *r, const char *held,
						size_t len)
{
	return r->plan.body_set ? r->plan.new_body : (struct sg_h1_span){ held, len };
}

/* What the filter plans and CEL expressions read of r: its head, client,
 * start, where it was routed and the try's backend, its authentication. */
void sg_request_input(struct sg_request *r, struct sg_filter_input *in);

/* The bind of the config in force (ctx->cfg) that serves a head arriving
 * on `bind` of config `have`: the same port and protocol, so that a route
 * made invalid or a grant revoked since holds for the next request of a
 * long-lived connection. NULL: `have` is in force, or the port is gone
 * from the new config (the connection keeps its own). */
const struct sg_bind *sg_request_follow_config(const struct sg_frontend *ctx,
					       const struct sg_cfg *have,
					       const struct sg_bind *bind);

/* A complete head: the request begins (its former counts, flags and route
 * forgotten; its plan must be empty: sg_filter_plan_reset once the last
 * request on r is over, as each frontend does), is routed and goes
 * through the routed steps. True: forward it (the
 * frontend reads its body or starts its first try; with r->body_wanted
 * it reads the body whole first, any framing, answering one over
 * r->body_max with sg_request_fail(SG_FAIL_BODY_TOO_LARGE)); false: it
 * was answered or failed through the sink (r may be gone). */
bool sg_request_begin(struct sg_request *r, const struct sg_request_head *h);

/* The first try starts, with the route's mirrors first (once). With
 * r->body_wanted, the route's filters run first over the body the
 * frontend holds (sink->held_body), and the head's framing becomes its
 * Content-Length (or the length of the body a transformation made);
 * they may answer r. */
void sg_request_start(struct sg_request *r);

/* The verdict of the listener's or the route's extAuthz (user/core/
 * authzcall.c), which came outside the frontend's dispatch: the route's
 * steps go on (authorized: after the listener's, route_steps[] and the
 * route's calls; after the route's, its rate limit and first try);
 * the request is answered status, the lines of *edit, body[0..len) (the
 * service's denial; text: the gateway's own words); or it fails as
 * `kind`. */
void sg_request_authorized(struct sg_request *r);
/* remoteRateLimit's (user/core/rlcall.c) let the request pass: the first
 * try starts. Its refusals come through sg_request_answer and
 * sg_request_denied. */
void sg_request_rate_checked(struct sg_request *r);
void sg_request_answer(struct sg_request *r, uint16_t status, const struct sg_h1_edit *edit,
		       const char *body, size_t len, bool text);
void sg_request_denied(struct sg_request *r, enum sg_fail kind);

/* attempt ops: the try's exchange is ready (ops->send) and no try is left
 * (ops->fail). A frontend's struct sg_attempt_ops names these two; the
 * attempt must be the r->at of a struct sg_request. */
void sg_request_try_send(struct sg_attempt *a);
/* attempt ops->prepare: a try whose backend's backendAuth is an
 * oauthTokenExchange waits for its token (user/core/tokenx.h). */
enum sg_attempt_prep sg_request_try_prepare(struct sg_attempt *a);
void sg_request_try_failed(struct sg_attempt *a, enum sg_fail kind, int err);

/* The gateway's failure `kind` (err: its errno, 0: none) answered: a
 * gRPC caller's as grpc-status, anyone else's as DESIGN §3's status and
 * text with the route's response edit; a response that began is cut. */
void sg_request_fail(struct sg_request *r, enum sg_fail kind, int err);

/* The route's response transformations (none: nothing is done) evaluated
 * over the backend's response head into the plan's response edit; call
 * before sg_filter_response_edit. A failure leaves the head as it came. */
void sg_request_transform_response(struct sg_request *r, const struct sg_h1_resp *resp);

/* A final response head came from the try's backend: the route's retry
 * decides (its codes, or its condition over resp). True: it is retried
 * (sg_attempt_took_status); false: it is the answer. */
bool sg_request_took_response(struct sg_request *r, const struct sg_h1_resp *resp);

/* A final response head that is the answer (sg_request_took_response
 * said so), before the frontend writes anything of it: true when r holds
 * it (its route's response transformation reads its body, or its
 * listener's access log or sampled span attributes do): the frontend
 * writes nothing and hands its body over, decoded of its framing, to
 * sg_request_response_data and its end to sg_request_response_end, which
 * answer through the sink. False (a flag test for any other route; a HEAD
 * request, a 204 or 304, or no memory): the frontend goes on as usual. */
bool sg_request_hold_response_slow(struct sg_request *r, const struct sg_h1_resp *resp);
static inline bool sg_request_hold_response(struct sg_request *r, const struct sg_h1_resp *resp)
{
	return ((r->at.route->defer & SG_ROUTE_HOLD_RESP) || r->a2a) &&
	       sg_request_hold_response_slow(r, resp);
}

/* What became of a held response's body bytes. */
enum sg_request_held {
	SG_REQUEST_HELD,     /* kept (or dropped, for a body transformation past the bound) */
	SG_REQUEST_RELEASED, /* past maxBufferSize: sink->release wrote the head and the
			      * first bytes; the frontend relays the rest of these bytes
			      * (*rest, *nrest) and what follows as usual (its client
			      * may have gone meanwhile) */
	SG_REQUEST_GONE,     /* the request failed (answered): drop the bytes */
};

/* Body bytes p[0..n) of the held response (r->held_resp), decoded. The
 * bytes of a backend whose flow control counts them are the caller's to
 * give back at once. */
enum sg_request_held sg_request_response_data(struct sg_request *r, const char *p, size_t n,
					      const char **rest, size_t *nrest);

/* The frontend cannot hold more of r's held response (an HTTP/2
 * connection's budget for held bodies is spent): one held for the
 * access log or span alone goes as it came, as past maxBufferSize
 * (SG_REQUEST_RELEASED: sink->release wrote what was held; the bytes in
 * hand and what follows go as usual; response.body is absent in the
 * line); one a transformation reads is answered 503 (SG_REQUEST_GONE,
 * as is a request that failed meanwhile). */
enum sg_request_held sg_request_response_unhold(struct sg_request *r);

/* The held response ended (err 0), with its trailers t[0..nt) (names in
 * lowercase; the caller's, read during the call), or was cut (err: the
 * errno, answered 503 as a lost connection): its transformation runs
 * over it and sink->respond writes it, trailers and all. r->held_resp
 * is NULL afterwards. */
void sg_request_response_end(struct sg_request *r, int err, const struct sg_h2_field *t, size_t nt);

/* A response head goes to the client: resp's status and fields, less
 * those `edit` drops, plus its lines (a held response's with its
 * content-length): counted, and kept for the access log and span
 * attributes when they read response.headers. */
void sg_request_response_head(struct sg_request *r, const struct sg_h1_resp *resp,
			      const struct sg_h1_edit *edit);

/* The watchdog: whether the body stalled at `now` (its deadline passed
 * with no byte moved for the whole limit; `uploading`: a request body
 * goes to the backend as it arrives; quiet, arg: the kernel's idle time of
 * spliced bytes, NULL: none), and the timeout that cuts it (counted,
 * answered 408 or cut). */
bool sg_request_body_stalled(struct sg_request *r, uint64_t now, bool uploading,
			     sg_idle_quiet_fn quiet, void *arg);
void sg_request_body_timeout(struct sg_request *r);

/* After I/O: body bytes that moved (`moved`: the sink's progress, passed
 * in so that the check costs no call) count as activity at `now`. */
static inline void sg_request_note_progress(struct sg_request *r, uint64_t now, uint64_t moved)
{
	if (r->body_idle.due)
		sg_idle_note(&r->body_idle, now, moved);
}

/* The request is over: its access log line (once, for a request that
 * began), with body bytes a relay moved and did not count in bytes_in /
 * bytes_out yet; its metrics observed. The head is forgotten. */
void sg_request_log(struct sg_request *r, uint64_t uncounted_in, uint64_t uncounted_out);

/* Its admission (maxConcurrentRequests) is given back; once. */
void sg_request_release(struct sg_request *r);

/* The frontend is done with r for good: the attempt stops (no callback
 * follows), the plan's storage is freed. */
void sg_request_free(struct sg_request *r);

#endif
