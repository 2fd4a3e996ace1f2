/* OpenTelemetry spans as an OTLP ExportTraceServiceRequest in OTLP's JSON
 * encoding (OTLP/HTTP with Content-Type application/json): protobuf's
 * JSON mapping of the same message otlppb.h writes, with OTLP's own
 * rules on top of it: field names in lowerCamelCase, trace and span ids
 * as hex (not base64), enums as integers, 64-bit integers as decimal
 * strings; fields at their default value are left out. Written with
 * user/base/json.h. No I/O. */
#ifndef SG_OTLPJSON_H
#define SG_OTLPJSON_H

#include <stddef.h>

#include "user/codec/otlppb.h"

/* spans[0..n) as one JSON ExportTraceServiceRequest, in the shape
 * sg_otlppb_export gives (one ResourceSpans with the attributes
 * resource[0..nresource), one ScopeSpans of scope "splicegate" version
 * `version`, NULL: none), one line, no trailing newline. *out
 * (malloc'd, the caller frees it) and *len. Returns 0 or -ENOMEM. */
int sg_otlpjson_export(const struct sg_otlp_span *spans, size_t n,
		       const struct sg_otlp_attr *resource, size_t nresource, const char *version,
		       char **out, size_t *len);

#endif
