/* CEL over one request (the context an expression reads, config/cel.h)
 * and transformations at run time: a route's CEL header values (config/
 * transform.h) evaluated over one request, or its response, into header
 * edits. No I/O: the filter plan (user/core/filter.c) applies what this
 * gives. */
#ifndef SG_CELREQ_H
#define SG_CELREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cel.h"
#include "config/cfg.h"
#include "user/codec/h1.h"
#include "user/core/filter.h"

struct sg_authn;
struct sg_json;

/* What an MCP call touches (CEL's `mcp`, mcpAuthorization's): kind
 * "tool", "prompt" or "resource" (NULL: none), the target serving it (""
 * when not known) and its name there (a resource's URI); and, once the
 * request is over, its JSON-RPC method and its session (mcp.methodName,
 * mcp.sessionId; NULL: absent). */
struct sg_celreq_mcp {
	const char *kind, *target, *name;
	const char *method, *session;
};

/* What an expression may read of the request (and of the response once
 * its head came). Spans are borrowed for the call. */
struct sg_celreq_view {
	const char *scheme;
	struct sg_h1_span method, target, host;
	const char *client_ip; /* may be NULL */
	uint16_t client_port;  /* 0: unknown (absent) */
	int sock;	       /* the client's socket (filter.h's sg_filter_input); -1: none */
	const struct sg_frontend *frontend; /* filter.h's sg_filter_input's */
	const struct sg_h1_req *req;
	const struct sg_h1_resp *resp; /* NULL before the response */
	uint16_t status; /* without resp: the status answered (response.code), 0: none */
	/* What authentication proved (jwt, apiKey, basicAuth); NULL: none. */
	const struct sg_authn *authn;
	uint64_t seed; /* where random() starts; 0: from the head's address */
	/* request.version ("HTTP/2"); NULL: HTTP/1.<minor> of req. */
	const char *version;
	/* proxy.* and backend: where the request went; NULL: not known in
	 * this phase (absent). */
	const struct sg_bind *bind;
	const struct sg_listener *listener;
	const struct sg_route *route;
	const struct sg_backend_ref *backend;
	/* request.startTime and endTime: loop ns (user/base/loop.h), made
	 * timestamps when read; 0: not known in this phase (absent). */
	uint64_t start_ns, end_ns;
	const struct sg_celreq_mcp *mcp; /* NULL: not an MCP call (absent) */
	struct sg_tls *tls; /* the client's session (source.*'s certificate); NULL: none */
	/* request.body: the body held whole; has_body false: absent. */
	struct sg_h1_span body;
	bool has_body;
	/* response.body: the response's, held whole, or an HTTP extAuthz
	 * service's answer for its metadata expressions; has_resp_body
	 * false: absent. resp_prefix: resp_body is only its first maxBufferSize
	 * bytes (response.bodyPrefix alone reads them). */
	struct sg_h1_span resp_body;
	bool has_resp_body, resp_prefix;
};

/* The view of the request a filter plan's input `in` describes, and of
 * its response head `resp` (NULL: before it). */
void sg_celreq_view_of(struct sg_celreq_view *v, const struct sg_filter_input *in,
		       const struct sg_h1_resp *resp);

/* One evaluation over a view: sg_celreq_begin, sg_cel_eval(e, &c->run,
 * ...) for each expression, sg_celreq_end. The verified token's claims
 * and the API key's metadata are made into CEL maps when an expression
 * first reads them, in the run's memory (bounded as the run is). The
 * view is borrowed until sg_celreq_end. */
struct sg_celreq {
	const struct sg_celreq_view *v;
	struct sg_cel_ctx ctx;
	struct sg_cel_run run;
	/* jwt, apiKey, basicAuth, extauthz: made on first read (made[i]). */
	struct sg_cel_val proved[4];
	bool made[4];
	/* The wall clock less the monotonic one (ns) when a time was first
	 * read; 0: not yet. */
	int64_t wall_offset;
};

void sg_celreq_begin(struct sg_celreq *c, const struct sg_celreq_view *v);
void sg_celreq_end(struct sg_celreq *c);

/* Storage the results are copied into, kept as long as the edits that
 * borrow it (the plan's): `n` bytes, a copy of s[0..n) when s is given;
 * NULL when out of memory. */
typedef char *(*sg_celreq_keep_fn)(void *arg, const char *s, size_t n);

/* Evaluate side `s` over `v` into *m: its add and set pairs with the
 * values the expressions gave (an expression that fails, or whose value
 * is no string or number or has a control character, leaves its header
 * alone, as agentgateway does), and its remove names. m's arrays and
 * values are keep's. Returns 0, or -ENOMEM. */
int sg_celreq_headers(const struct sg_transform_side *s, const struct sg_celreq_view *v,
		      struct sg_hdrmod *m, sg_celreq_keep_fn keep, void *arg);

/* e's value over v as a body: a string or bytes as they are, anything
 * else as JSON (agentgateway's directResponse.bodyExpression), copied
 * with keep into *out. Returns 0, -ENOMEM, or -EINVAL when e failed. */
int sg_celreq_body(const struct sg_cel *e, const struct sg_celreq_view *v, sg_celreq_keep_fn keep,
		   void *arg, struct sg_h1_span *out);

/* Each (name, expression) of l over v into a new JSON object, the
 * caller's (agentgateway's extAuthz metadata): a value as JSON, one that
 * fails or has no JSON form (an error, a type) left out. NULL: out of
 * memory. */
struct sg_json *sg_celreq_json_fields(const struct sg_transform_exprs *l,
				      const struct sg_celreq_view *v);

/* Whether e gives true over v (an error, or anything but true, is
 * false, as agentgateway's conditions read). */
bool sg_celreq_true(const struct sg_cel *e, const struct sg_celreq_view *v);

/* e's value over v as milliseconds, rounded up: a duration, or a number
 * read as milliseconds (agentgateway's delay). 0: not positive, an error,
 * or another type. At most 24 hours. */
uint64_t sg_celreq_ms(const struct sg_cel *e, const struct sg_celreq_view *v);

/* e's value over v as a probability, as agentgateway's sampler reads
 * it: true 1, false 0, an int or a double clamped to [0, 1]; an error or
 * anything else 0. */
double sg_celreq_probability(const struct sg_cel *e, const struct sg_celreq_view *v);

/* A field the access log's policy adds to a line: its value as a string
 * to escape (str), or as JSON text (numbers, bools, lists and maps). */
struct sg_celreq_field {
	const char *name;
	const char *v;
	size_t n;
	bool str;
};

/* An MCP call's fields as agentgateway logs them and puts them on its
 * server span, each only when known: mcp.method.name, mcp.target,
 * mcp.resource.type, then the name as gen_ai.tool.name, gen_ai.prompt.name
 * or mcp.resource.uri, and mcp.session.id; strings borrowed from m, into
 * out[0..SG_CELREQ_MCP_FIELDS). Returns how many. */
#define SG_CELREQ_MCP_FIELDS 6
size_t sg_celreq_mcp_fields(const struct sg_celreq_mcp *m, struct sg_celreq_field *out);

/* One access log line's evaluation is an sg_celreq: its memory holds the
 * fields' values until sg_celreq_end. */

/* Begin l over v and evaluate policy p's filter (v is borrowed until
 * done): true when the request is to be logged (no filter, or it gave
 * true; an error or anything else is false, as agentgateway's). Call
 * sg_celreq_end(l) after, whatever it returned. */
bool sg_celreq_log_filter(struct sg_celreq *l, const struct sg_log_policy *p,
			  const struct sg_celreq_view *v);

/* p's add fields evaluated into out[0..cap), in order; a field whose
 * expression fails or gives null is left out. Returns how many. */
size_t sg_celreq_log_fields(struct sg_celreq *l, const struct sg_log_policy *p,
			    struct sg_celreq_field *out, size_t cap);

#endif
