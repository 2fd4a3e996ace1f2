/* Route filters at run time: what a route's filters (config/cfg.h struct
 * sg_filters) and then its chosen backend's make of one request, computed
 * on the head the frontend already parsed, for HTTP/1 and HTTP/2 clients
 * alike. Nothing here does I/O: the frontend asks for a plan once the
 * route is chosen (and again per try for the backend's filters), then
 * either answers locally (redirect, directResponse, CORS preflight) or
 * forwards with the plan's target, Host and header edits, and edits the
 * response head with the plan's response edit before writing it.
 *
 * Order, as agentgateway applies route policies (its proxy/httpproxy.rs):
 * CORS, oidc, jwtAuth (or mcpAuthentication), basicAuth, apiKey, (extAuthz:
 * user/core/authzcall.c, between SG_FILTER_EARLY and SG_FILTER_LATE),
 * authorization, localRateLimit, csrf, requestHeaderModifier, urlRewrite,
 * requestRedirect, directResponse; the first that answers wins. responseHeaderModifier (route, then
 * backend) applies to every response, local ones included; CORS headers
 * are added to the response last. */
#ifndef SG_FILTER_H
#define SG_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "policy/failure.h"
#include "user/codec/h1.h"

struct sg_frontend;

/* Header edits accumulated from header modifiers (and CORS): a received
 * header whose name (case-insensitive) is in drop is not forwarded; the
 * lines in add are appended, in order. Names and values are borrowed from
 * the config (or from the plan's own storage) and stay valid while the
 * plan does. Zero-initialised = no edit. */
struct sg_header_edit {
	struct sg_h1_span *drop;
	size_t ndrop, capdrop;
	struct sg_h1_header *add;
	size_t nadd, capadd;
};

/* Apply modifier m on top of e: each add entry is appended; each set entry
 * first removes added lines of that name, drops the received ones and is
 * appended; each remove entry removes added lines and drops received
 * ones. Returns 0 or -ENOMEM (e unchanged in meaning but maybe partly
 * applied: the request is then failed). The name "host" is the frontend's
 * business (see sg_filter_plan_request) and is not handled here. */
int sg_header_edit_apply(struct sg_header_edit *e, const struct sg_hdrmod *m);

/* Whether a received header called name[0..len) is dropped by e. */
bool sg_header_edit_drops(const struct sg_header_edit *e, const char *name, size_t len);
/* Whether e adds a line called name[0..len) (any case). */
bool sg_header_edit_adds(const struct sg_header_edit *e, const char *name, size_t len);

/* e's added lines as "name: value\r\n" text into out[0..cap), NUL-
 * terminated; returns its length, or -1 when it does not fit. */
ssize_t sg_header_edit_render(const struct sg_header_edit *e, char *out, size_t cap);

/* Copy src into dst (dst's arrays are replaced; dst must be reset or
 * zero). Returns 0 or -ENOMEM. */
int sg_header_edit_copy(struct sg_header_edit *dst, const struct sg_header_edit *src);

void sg_header_edit_reset(struct sg_header_edit *e);

/* What a filter plan needs to know of the request. */
struct sg_filter_input {
	const char *scheme;	/* "http" (the listener's) */
	uint16_t listener_port; /* for a redirect without scheme or port */
	struct sg_h1_span method;
	struct sg_h1_span target; /* origin-form path with its query */
	struct sg_h1_span host;	  /* Host / :authority as received; may be empty */
	/* The route match that chose the route (ReplacePrefixMatch needs its
	 * PathPrefix); NULL reads as PathPrefix "/". */
	const struct sg_match *match;
	/* The host name of the try's backend (sg_filter_plan_backend: an
	 * "auto" authority rewrite sends it as the Host); may be empty. */
	struct sg_h1_span backend_host;
	/* The value of a request header (case-insensitive), or NULL. */
	const char *(*header)(void *ctx, const char *name, size_t *len);
	void *ctx;
	/* What transformations' expressions read: the head, the client. */
	const struct sg_h1_req *req;
	const char *client_ip; /* may be NULL */
	uint16_t client_port;  /* 0: unknown */
	/* The client connection's socket, read for the TCP peer and where it
	 * arrived when an expression asks (source.rawAddress,
	 * destination.*); -1: none. */
	int sock;
	/* The worker's frontend, which knows where a PROXY protocol header
	 * said the connection arrived (sg_preface_local_addr); NULL: none. */
	const struct sg_frontend *frontend;
	/* When the request began (loop ns, user/base/loop.h); 0: unknown. */
	uint64_t start_ns;
	/* Where it came and went (CEL's proxy.* and backend): its bind, and
	 * once known its listener, route and the try's backend; NULL: not
	 * known yet. */
	const struct sg_bind *bind;
	const struct sg_listener *listener;
	const struct sg_route *route;
	const struct sg_backend_ref *backend;
	/* The request's authentication state (user/core/authn.h), where a
	 * route's jwtAuth keeps what it verified; NULL: verified uncached and
	 * not kept. */
	struct sg_authn *authn;
	/* The token the try's backendAuth oauthTokenExchange got
	 * (user/core/tokenx.h); NULL: none. */
	const char *exchanged;
	/* Where the request's random() starts (CEL); 0: from the head's
	 * address. */
	uint64_t seed;
	/* The client connection's TLS session, whose certificate CEL's
	 * source.* reads; NULL: plaintext (or not kept). */
	struct sg_tls *tls;
	/* The request's body, held whole (CEL's request.body); has_body
	 * false: not held (absent). */
	struct sg_h1_span body;
	bool has_body;
	/* The response's, held whole (response.body, at the response
	 * transformation of a route that holds it); has_resp_body false:
	 * absent. resp_prefix: resp_body is the first maxBufferSize bytes of
	 * a larger one (response.bodyPrefix's alone). */
	struct sg_h1_span resp_body;
	bool has_resp_body, resp_prefix;
};

/* A local rate limit's x-ratelimit-* lines, with their digits. */
#define SG_FILTER_LIMIT_LINES 3
struct sg_filter_limits {
	struct sg_h1_header lines[SG_FILTER_LIMIT_LINES];
	char text[SG_FILTER_LIMIT_LINES][24];
};

/* One request's plan. Zero-initialised before the first use; reset after
 * the request. */
struct sg_filter_plan {
	/* Forwarding: the target and Host to send (p NULL = as received),
	 * then the header edits of the request and of the response (for a
	 * local answer, its lines: a redirect's Location first). */
	struct sg_h1_span target, host;
	struct sg_header_edit request, response;
	/* Answering locally: status != 0, with body (directResponse,
	 * borrowed from the config) and the response edit. */
	uint16_t status;
	struct sg_h1_span body;
	/* What the route's filters made, kept to add each try's backend's:
	 * its edits, its Host, the CORS lines the response gets last, and a
	 * redirect's Location. */
	struct sg_header_edit route_request, route_response, cors;
	struct sg_h1_span route_host, route_target, location;
	bool auto_host;		   /* a rewrite: the backend's own host name */
	bool route_auto_host;	   /* the route's did */
	bool preflight;		   /* a CORS preflight (its answer has the CORS lines alone) */
	bool response_transformed; /* sg_filter_transform_response ran */
	bool direct;		   /* the answer is the route's directResponse */
	/* A request transformation's body (in the plan's storage), which the
	 * request gets in place of its own; body_set false: none. */
	bool body_set;
	struct sg_h1_span new_body;
	/* A response transformation's body, the same for a held response
	 * (user/core/request.h); resp_body_set false: none. */
	bool resp_body_set;
	struct sg_h1_span resp_new_body;
	/* The route's local rate limits' x-ratelimit-limit, -remaining and
	 * -reset lines (NULL: the route counts no requests), added to the
	 * response last; a forwarded one keeps its own instead when it has
	 * any (sg_h1_edit.nfill). In the plan's storage. */
	struct sg_filter_limits *limits;
	enum sg_fail refusal; /* SG_FILTER_REFUSED's */
	const char *cause;    /* its text's end (jwtAuth's why), NULL: none */
	/* The refusal's body in place of the failure's text (its
	 * content-type among the response lines): mcpAuthentication's JSON;
	 * p NULL: the text. */
	struct sg_h1_span refusal_body;
	/* Storage the spans above may point into (freed by reset). */
	char **owned;
	size_t nowned, capowned;
};

enum sg_filter_result {
	SG_FILTER_FORWARD = 0, /* forward with the plan */
	SG_FILTER_ANSWER = 1,  /* answer with plan->status, never reach a backend */
	SG_FILTER_REFUSED = 2, /* a route policy refuses the request: answer
				* plan->refusal (SG_FAIL_RATE_LIMIT: a local rate
				* limit has no token; SG_FAIL_CSRF;
				* SG_FAIL_BAD_REQUEST: a redirect naming no
				* host for a request without one) as the
				* gateway's failures are, with the plan's
				* response edit (x-ratelimit-* lines among them) */
	SG_FILTER_DEFER = 3,   /* a route policy answers once a call it needs is
				* made when the request starts (an OIDC login's
				* code exchange: authn->exchange); no filter after
				* it ran */
	SG_FILTER_FAILED = -1, /* a filter cannot apply to this request (a
				* prefix rewrite whose route matched no
				* PathPrefix, a path outside the matched prefix
				* boundary): answer 500 */
	SG_FILTER_NOMEM = -2,
};

/* Which of a route's filters a plan runs: all of them; those agentgateway
 * runs before extAuthz (CORS, OIDC, authentication); those after it. */
enum sg_filter_part { SG_FILTER_ALL, SG_FILTER_EARLY, SG_FILTER_LATE };

/* The route's filters on the request: fills the plan (target, Host,
 * request and response edits, or a local answer). A requestHeaderModifier
 * that adds or sets "host" replaces the Host instead (removing it does
 * nothing); urlRewrite authority host h replaces the Host without port.
 * f NULL or empty: SG_FILTER_FORWARD with an empty plan. */
enum sg_filter_result sg_filter_plan_part(struct sg_filter_plan *p, const struct sg_filters *f,
					  const struct sg_filter_input *in,
					  enum sg_filter_part part);

/* All of them (EARLY, then LATE on the same plan, are the same). */
static inline enum sg_filter_result sg_filter_plan_request(struct sg_filter_plan *p,
							   const struct sg_filters *f,
							   const struct sg_filter_input *in)
{
	return sg_filter_plan_part(p, f, in, SG_FILTER_ALL);
}

/* The backendAuth a try to `backend` on `route` carries: the backend's
 * own (or its service's, its listener's: resolved as eff_backend_auth),
 * else the route's; NULL: none. */
static inline const struct sg_backend_auth *
sg_filter_backend_auth(const struct sg_route *route, const struct sg_backend_ref *backend)
{
	if (backend && backend->eff_backend_auth)
		return backend->eff_backend_auth;
	return route ? route->eff_filters.backend_auth : NULL;
}

/* The chosen backend's filters for one try, on top of the route's plan:
 * request and response edits are rebuilt from the route's plus the
 * backend's modifiers; a backend requestRedirect answers. Call for every
 * try (a retry may choose another backend). */
enum sg_filter_result sg_filter_plan_backend(struct sg_filter_plan *p, const struct sg_filters *f,
					     const struct sg_filter_input *in);

/* req's header lines as p's route edits so far leave them (received
 * ones whose names it drops left out, its added lines after them) into
 * out[0..cap): what the policies after extAuthz read, as agentgateway's
 * read the request ext_authz edited. Returns how many. */
size_t sg_filter_plan_headers(const struct sg_filter_plan *p, const struct sg_h1_req *req,
			      struct sg_h1_header *out, size_t cap);

void sg_filter_plan_reset(struct sg_filter_plan *p);

/* cap bytes the plan keeps until sg_filter_plan_reset (the request's
 * normalised path lives there), or NULL when memory ran out. */
char *sg_filter_plan_room(struct sg_filter_plan *p, size_t cap);
/* For the route policies that run inside the plan from their own module
 * (user/core/authn.c): before the plan's edits are settled, the request
 * the backend gets drops received header `name` (borrowed for the plan's
 * life) and, with value, gets `name: value[0..len)` instead (copied); its
 * target becomes target[0..len) (copied); an answer or refusal carries
 * `name: value` (both borrowed); a copy of s[0..len), NUL-terminated, lives
 * as long as the plan. 0 (or the copy), -ENOMEM (NULL). */
int sg_filter_plan_request_line(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
				size_t len);
/* The same line added beside any received one of its name. */
int sg_filter_plan_request_add(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			       size_t len);
/* sg_filter_plan_request_line that also replaces the lines of that name
 * the plan added before: the request then has this one alone (value
 * NULL: none). */
int sg_filter_plan_request_set(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			       size_t len);
/* Header `name` of the request the backend would get so far: the last
 * line of that name the plan added, else none when it drops the received
 * ones, else in's (*len bytes, borrowed). NULL: none. */
const char *sg_filter_plan_request_value(const struct sg_filter_plan *p,
					 const struct sg_filter_input *in, const char *name,
					 size_t *len);
int sg_filter_plan_target(struct sg_filter_plan *p, const char *target, size_t len);
int sg_filter_plan_response_line(struct sg_filter_plan *p, struct sg_h1_span name,
				 struct sg_h1_span value);
const char *sg_filter_plan_keep(struct sg_filter_plan *p, const char *s, size_t len);
/* At the response head, after the plan's edits are settled: the response
 * gets `name: value[0..len)` (value copied, name borrowed for the plan's
 * life), before the rate limit's lines. 0 or -ENOMEM. */
int sg_filter_response_add(struct sg_filter_plan *p, struct sg_h1_span name, const char *value,
			   size_t len);

/* The pieces, exposed for their tests. */

/* The request target after path modifier pm (with m the matched match,
 * NULL = PathPrefix "/"): written into out[0..cap), NUL-terminated; returns
 * its length, -1 when it does not fit, -2 when pm cannot apply (prefix
 * without a PathPrefix match, or target not within the prefix at a
 * segment boundary). The query is kept verbatim. */
ssize_t sg_filter_rewrite_path(const struct sg_pathmod *pm, const struct sg_match *m,
			       const char *target, size_t len, char *out, size_t cap);

/* The Location of redirect r for the request in `in` (absolute URI:
 * scheme://authority/path?query), into out[0..cap), NUL-terminated;
 * returns its length, -1 when it does not fit, -2 when the path modifier
 * cannot apply. Port rules as Gateway API asks (a redirect without port
 * takes the scheme's well-known port when it sets a scheme, else the
 * listener's port; a port that is the final scheme's default is not
 * written). */
ssize_t sg_filter_redirect_location(const struct sg_redirect *r, const struct sg_filter_input *in,
				    char *out, size_t cap);

/* ---- for the frontends: plans over HTTP/1 heads (user/codec/h1.h) ------------ */

/* The input for a plan of `req` (HTTP/1 or an HTTP/2 stream's request as
 * user/codec/h2.c makes it), chosen by match on a listener of `bind` (its port;
 * scheme https on an HTTPS bind). Borrows req's spans: make it again
 * whenever they move. */
void sg_filter_input_init(struct sg_filter_input *in, struct sg_h1_req *req,
			  const struct sg_match *match, const struct sg_bind *bind);

/* The scheme the client used, into out[0..cap), NUL-terminated: the
 * first X-Forwarded-Proto value that is not empty, lowercased, when it
 * is a scheme (agentgateway's forwarded_scheme), else in->scheme. */
void sg_filter_scheme(const struct sg_filter_input *in, char *out, size_t cap);

/* The host name of backend br (without port; a Service's DNS name), for
 * in->backend_host. */
struct sg_h1_span sg_filter_backend_host(const struct sg_backend_ref *br);

/* The plan's edit of the request head a backend gets. */
void sg_filter_request_edit(const struct sg_filter_plan *p, struct sg_h1_edit *e);

/* The plan's edit of the response head (and, for a local answer, its
 * lines: a redirect's Location among them). */
void sg_filter_response_edit(const struct sg_filter_plan *p, struct sg_h1_edit *e);

/* The route's response transformations (t NULL: none) evaluated over
 * the response head `resp` into p's response edit, once per plan (a
 * retried request's later heads add nothing). Returns 0 or -ENOMEM. */
int sg_filter_transform_response(struct sg_filter_plan *p, const struct sg_transform *t,
				 const struct sg_filter_input *in, const struct sg_h1_resp *resp);

#endif
