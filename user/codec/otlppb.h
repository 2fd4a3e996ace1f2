/* OpenTelemetry spans as an OTLP ExportTraceServiceRequest
 * (opentelemetry/proto/collector/trace/v1/trace_service.proto and
 * trace/v1/trace.proto, common/v1/common.proto) in protobuf's wire
 * format: the body of an OTLP/HTTP POST, or framed as one gRPC message
 * for TraceService/Export. Written by hand (user/codec/pbwire.h), as
 * authzpb.c is and for its reasons: one message with a dozen fields is
 * written and nothing is read, where protobuf-c would bring the
 * generated code of the whole opentelemetry-proto tree. No I/O. */
#ifndef SG_OTLPPB_H
#define SG_OTLPPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Span.SpanKind and Status.StatusCode values. */
enum { SG_OTLP_KIND_SERVER = 2, SG_OTLP_KIND_CLIENT = 3 };
enum { SG_OTLP_STATUS_UNSET = 0, SG_OTLP_STATUS_ERROR = 2 };

/* A KeyValue: a string (str non-NULL) or an int64. */
struct sg_otlp_attr {
	const char *key;
	const char *str;
	int64_t num;
};

struct sg_otlp_event {
	const char *name;
	uint64_t ns; /* Unix ns */
};

#define SG_OTLP_MAX_ATTRS 24
#define SG_OTLP_MAX_EVENTS 2

/* One span, its strings borrowed. parent all zero: a root span. */
struct sg_otlp_span {
	uint8_t trace_id[16], span_id[8], parent_id[8];
	const char *name;
	const char *trace_state; /* NULL: none */
	int kind;
	uint64_t start_ns, end_ns; /* Unix ns */
	struct sg_otlp_attr attrs[SG_OTLP_MAX_ATTRS];
	size_t nattrs;
	struct sg_otlp_event events[SG_OTLP_MAX_EVENTS];
	size_t nevents;
	int status;	     /* SG_OTLP_STATUS_* */
	const char *message; /* the status's, NULL: none */
	uint8_t flags;	     /* W3C trace flags (Span.flags' low byte) */
};

/* spans[0..n) as one ExportTraceServiceRequest: one ResourceSpans whose
 * resource has the attributes resource[0..nresource) (service.name among
 * them), one ScopeSpans of scope "splicegate" version `version`. grpc:
 * the 5-byte gRPC prefix first. *out (malloc'd, the caller frees it) and
 * *len. Returns 0 or -ENOMEM. */
int sg_otlppb_export(const struct sg_otlp_span *spans, size_t n,
		     const struct sg_otlp_attr *resource, size_t nresource, const char *version,
		     bool grpc, char **out, size_t *len);

/* Append attribute key = str (NULL: left out) or key = num to s, if it
 * has room (SG_OTLP_MAX_ATTRS; more are left out). */
void sg_otlp_attr_str(struct sg_otlp_span *s, const char *key, const char *str);
void sg_otlp_attr_int(struct sg_otlp_span *s, const char *key, int64_t num);

#endif
