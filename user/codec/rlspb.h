/* Envoy's rate limit service messages (envoy.service.ratelimit.v3, the
 * public rls.proto, with envoy.extensions.common.ratelimit.v3's
 * RateLimitDescriptor) in protobuf's wire format: the RateLimitRequest
 * the gateway sends to ShouldRateLimit, framed as one gRPC message, and
 * the RateLimitResponse it reads back. Hand-written over user/codec/
 * pbwire.h, as authzpb.h is. No I/O; the response's views point into the
 * caller's buffer. */
#ifndef SG_RLSPB_H
#define SG_RLSPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/codec/h1.h"

/* One descriptor entry: key, value. */
struct sg_rlspb_entry {
	struct sg_h1_span key, value;
};

/* One descriptor: its entries, in order. */
struct sg_rlspb_descriptor {
	const struct sg_rlspb_entry *entries;
	size_t nentries;
};

/* The RateLimitRequest {domain, descriptors} as one gRPC length-prefixed
 * message: *out (malloc'd, the caller frees it) and *len. Each request
 * counts one hit (hits_addend is not sent). Returns 0 or -ENOMEM. */
int sg_rlspb_request(const char *domain, const struct sg_rlspb_descriptor *d, size_t n, char **out,
		     size_t *len);

/* The most header lines a response may carry in each list. */
#define SG_RLSPB_MAX_HEADERS 64

/* RateLimitResponse.Code. */
enum { SG_RLSPB_UNKNOWN = 0, SG_RLSPB_OK = 1, SG_RLSPB_OVER_LIMIT = 2 };

/* A RateLimitResponse. Views into the decoded buffer. */
struct sg_rlspb_response {
	uint32_t code; /* overall_code */
	/* The most constrained of the statuses that name a current_limit
	 * (the fewest limit_remaining, the first of equals), for the
	 * x-ratelimit-* fields: has_limit false when none names one. */
	bool has_limit;
	uint32_t limit;	    /* its requests_per_unit */
	uint32_t remaining; /* its limit_remaining */
	uint64_t reset_s;   /* its duration_until_reset's whole seconds (negative: 0) */
	/* response_headers_to_add and request_headers_to_add (HeaderValue:
	 * raw_value, when given, wins over value). */
	struct sg_h1_header response[SG_RLSPB_MAX_HEADERS];
	size_t nresponse;
	struct sg_h1_header request[SG_RLSPB_MAX_HEADERS];
	size_t nrequest;
	struct sg_h1_span body; /* raw_body */
};

/* Decode a RateLimitResponse's protobuf bytes p[0..len) (without gRPC
 * framing) into *r. Returns 0, -EBADMSG for bytes that are not a
 * well-formed message of that shape (a header whose name or value could
 * not be written as a field, sg_h1_field_ok, among them), or -E2BIG for
 * more header lines than
 * SG_RLSPB_MAX_HEADERS in one list. Unknown fields (dynamic_metadata,
 * quota) are skipped. */
int sg_rlspb_response(const char *p, size_t len, struct sg_rlspb_response *r);

#endif
