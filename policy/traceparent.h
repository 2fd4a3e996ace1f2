/* W3C Trace Context (https://www.w3.org/TR/trace-context/): a request's
 * `traceparent` read, and the child's written for the backend. Pure: the
 * caller supplies the random bits of a new trace or span. */
#ifndef SG_TRACEPARENT_H
#define SG_TRACEPARENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_TRACE_SAMPLED 0x01u /* trace-flags' sampled bit */
/* "00-" 32 hex "-" 16 hex "-" 2 hex: what sg_traceparent_format writes. */
#define SG_TRACEPARENT_LEN 55

/* A span's identity in a trace (neither id is all zeros once valid). */
struct sg_trace_ctx {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags;
};

/* Read a traceparent value s[0..n): version 00 exactly 55 bytes; a higher
 * version (not ff) at least 55, a '-' after the flags when longer, its
 * first four fields read as 00's (the spec's rule for versions it does
 * not know). Lowercase hex only; an all-zero trace or parent id is
 * invalid. Returns 0 with *out (span_id: the caller's parent), or -EINVAL
 * (the request is then treated as carrying no trace). */
int sg_traceparent_parse(const char *s, size_t n, struct sg_trace_ctx *out);

/* c as a version 00 traceparent into out (SG_TRACEPARENT_LEN bytes and a
 * NUL). */
void sg_traceparent_format(const struct sg_trace_ctx *c, char out[SG_TRACEPARENT_LEN + 1]);

/* A new span under `parent` (NULL: a new trace, its id from r1 and r2),
 * its id from r3 (an all-zero draw is moved off zero), flags sampled or
 * not. */
void sg_trace_child(const struct sg_trace_ctx *parent, uint64_t r1, uint64_t r2, uint64_t r3,
		    bool sampled, struct sg_trace_ctx *child);

/* Whether a request falls under sampling probability p, given a uniform
 * 64-bit draw r: p >= 1 always, p <= 0 never (r unused either way), else
 * when r's top 53 bits, as a fraction of 2^53, are below p. */
bool sg_trace_sampled(double p, uint64_t r);

/* id[0..n) as lowercase hex into out (2n bytes and a NUL): the log's and
 * OTLP/JSON's spelling of a trace or span id. */
void sg_trace_hex(const uint8_t *id, size_t n, char *out);

#endif
