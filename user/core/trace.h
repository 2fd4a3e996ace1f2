/* Tracing (config.tracing, frontendPolicies.tracing): W3C trace context
 * taken from the client or started, a child traceparent written on every
 * try, one server span per request and one client span per try, and their
 * export to an OTLP collector (OTLP/HTTP protobuf, or OTLP/gRPC) in
 * batches, on the worker's loop, off the request path.
 *
 * Per worker, one struct sg_tracer: a bounded queue of ended spans
 * (SG_TRACE_QUEUE; a span that finds it full is dropped and counted), a
 * timer that sends what is queued every SG_TRACE_FLUSH_MS (at once when
 * a batch is full), one export in flight at a time (a connection of its
 * own over HTTP/1.1, or a stream on the worker's shared HTTP/2
 * connection to the collector for gRPC), each bounded by
 * SG_TRACE_EXPORT_TIMEOUT_MS. An export that fails drops its spans,
 * counted. The request path only fills a record and queues it. */
#ifndef SG_TRACE_H
#define SG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/base/loop.h"
#include "user/codec/h1.h"
#include "user/core/backend.h"
#include "user/core/celreq.h"
#include "user/core/frontend.h"
#include "user/core/h2backend.h"
#include "user/core/stats.h"

#define SG_TRACE_QUEUE 2048		/* spans queued per worker, at most */
#define SG_TRACE_BATCH 512		/* spans in one export, at most */
#define SG_TRACE_POLICY_FIELDS 8	/* attributes a span's tracing fields add */
#define SG_TRACE_MAX_FIELDS 14		/* ... and an MCP call's own (6), first */
#define SG_TRACE_FIELDS_BYTES 1536	/* their names and values, NUL-terminated */
#define SG_TRACE_FLUSH_MS 1000		/* how often what is queued is sent */
#define SG_TRACE_EXPORT_TIMEOUT_MS 5000 /* one export's bound */

struct sg_tracer;
struct sg_trace;

/* A worker's exporter. NULL when out of memory (then nothing is traced).
 * The queue's memory is taken when the first span comes. */
struct sg_tracer *sg_tracer_new(struct sg_loop *loop, struct sg_pool *pool,
				struct sg_h2b_pool *h2pool, struct sg_stats *stats);
/* The export in flight is stopped, what is queued is let go. NULL is
 * fine. */
void sg_tracer_free(struct sg_tracer *t);
/* Spans queued now (for tests). */
size_t sg_tracer_queued(const struct sg_tracer *t);

/* A request on a listener with tracing `cfg` begins: its client's
 * traceparent (and tracestate) read from req, the sampling decided as
 * agentgateway decides it: a request with a valid traceparent is traced
 * with probability cfg->client (its span keeps the client's sampled
 * flag, and is exported only when that is set), one without with
 * cfg->random (a new trace, sampled); a probability given as an
 * expression is evaluated over v (NULL when cfg has none). Returns the
 * request's trace (malloc'd, the caller's until sg_trace_free), or NULL:
 * not traced (nothing more is done for it; out of memory is the same). */
struct sg_trace *sg_trace_begin(struct sg_tracer *t, const struct sg_tracing *cfg,
				const struct sg_h1_req *req, const struct sg_celreq_view *v);

/* A try begins (attempt: tries before it; endpoint "addr:port"): the
 * previous try's span, if one is open, ends as failed, with the status
 * its response had (0: none) and why it was retried (NULL: "retried"); a
 * new client span opens. Returns the traceparent to send on this try (the
 * client span's; valid until the next call). */
const char *sg_trace_try(struct sg_trace *tr, unsigned attempt, const char *endpoint,
			 const char *method, size_t method_len, uint16_t retried_status,
			 const char *retried_why);

/* The response head the client gets came (status): the open try's span
 * ends with it; the server span notes the time. */
void sg_trace_head(struct sg_trace *tr, uint16_t status);

/* The request is over (e: its access log entry, reason/error set when
 * the gateway failed it): an open try span ends with e's failure, the
 * server span ends; both are queued when sampled and `keep` (the span
 * filter held; with a filter, the tries' spans wait for this too, and
 * without keep none is exported). e->trace_id and e->span_id are pointed
 * at tr's text first (valid until tr is freed). tr is not freed:
 * sg_trace_free after the line is written. */
void sg_trace_end(struct sg_trace *tr, struct sg_access_entry *e, const struct sg_celreq_field *f,
		  size_t nf, bool keep);

/* A call the gateway made for the request itself (an MCP target's,
 * user/mcp/mcplog.h): a client span, child of the server span, named
 * `name`, from start_ns to end_ns (Unix ns), with the string attributes
 * attrs[0..2*nattrs) (name, value, ...; those past SG_TRACE_MAX_FIELDS
 * or SG_TRACE_FIELDS_BYTES left out), failed with `error` (NULL: it did
 * not). Queued when the trace is sampled (under a span filter, held for
 * the request's end, as a try's). NULL tr is fine. */
void sg_trace_call(struct sg_trace *tr, const char *name, uint64_t start_ns, uint64_t end_ns,
		   const char *const *attrs, size_t nattrs, const char *error);

/* The tracing fields (config.tracing's, the frontend policy's attributes,
 * remove and filter) a sampled trace's server span takes: the caller
 * evaluates the filter and the `add` over the ended request into
 * sg_trace_end's keep and f[0..nf). NULL: none, or not sampled. */
const struct sg_log_policy *sg_trace_fields(const struct sg_trace *tr);

/* tr's memory (NULL is fine). */
void sg_trace_free(struct sg_trace *tr);

#endif
