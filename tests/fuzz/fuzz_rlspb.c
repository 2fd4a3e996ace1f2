/* Fuzz target: RateLimitResponses from a rate limit service (user/codec/
 * rlspb.c). Any input is read, or refused as malformed (-EBADMSG) or with
 * too many header lines (-E2BIG); a message read has every view inside the
 * input and every list within its bound. Seeds: an OVER_LIMIT response
 * with statuses, headers both ways and a raw body, and an OK one
 * (serialised by Python's protobuf). */
#include <errno.h>

#include "tests/fuzz/fuzz.h"
#include "user/codec/rlspb.h"

static int inside(struct sg_h1_span s, const uint8_t *data, size_t size)
{
	return !s.len ||
	       ((const uint8_t *)s.p >= data && (const uint8_t *)s.p + s.len <= data + size);
}

static int lines_inside(const struct sg_h1_header *h, size_t n, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (!inside(h[i].name, data, size) || !inside(h[i].value, data, size))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_rlspb_response r;
	int rc = sg_rlspb_response((const char *)data, size, &r);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
	if (rc)
		return 0;
	FUZZ_CHECK(r.nresponse <= SG_RLSPB_MAX_HEADERS && r.nrequest <= SG_RLSPB_MAX_HEADERS);
	FUZZ_CHECK(inside(r.body, data, size));
	FUZZ_CHECK(lines_inside(r.response, r.nresponse, data, size));
	FUZZ_CHECK(lines_inside(r.request, r.nrequest, data, size));
	/* every header read is one the gateway may write into a head */
	for (size_t i = 0; i < r.nresponse; i++)
		FUZZ_CHECK(sg_h1_field_ok(r.response[i].name, r.response[i].value));
	for (size_t i = 0; i < r.nrequest; i++)
		FUZZ_CHECK(sg_h1_field_ok(r.request[i].name, r.request[i].value));
	FUZZ_CHECK(r.has_limit || (!r.limit && !r.remaining && !r.reset_s));
	return 0;
}
