/* Fuzz target: CheckResponses from an external authorization service
 * (user/codec/authzpb.c). Any input is read, or refused as malformed
 * (-EBADMSG) or with too many header lines (-E2BIG); a message read has
 * every view inside the input and every list within its bound, and its
 * dynamic_metadata reads as a JSON object or is refused (-EBADMSG), never
 * nesting past SG_AUTHZPB_MAX_DEPTH. Seeds: an
 * allowed response with header edits and a denied one with status,
 * headers and body (serialised by Python's protobuf). */
#include <errno.h>

#include "tests/fuzz/fuzz.h"
#include "user/base/json.h"
#include "user/codec/authzpb.h"

static int inside(struct sg_h1_span s, const uint8_t *data, size_t size)
{
	return !s.len ||
	       ((const uint8_t *)s.p >= data && (const uint8_t *)s.p + s.len <= data + size);
}

static int header_inside(const struct sg_authzpb_header *h, const uint8_t *data, size_t size)
{
	return inside(h->name, data, size) && inside(h->value, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_authzpb_response r;
	int rc = sg_authzpb_check_response((const char *)data, size, &r);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
	if (rc)
		return 0;
	FUZZ_CHECK(r.nheaders <= SG_AUTHZPB_MAX_HEADERS);
	FUZZ_CHECK(r.nremove <= SG_AUTHZPB_MAX_HEADERS);
	FUZZ_CHECK(r.nresponse <= SG_AUTHZPB_MAX_HEADERS);
	FUZZ_CHECK(inside(r.message, data, size) && inside(r.body, data, size));
	/* every header read is one the gateway may write into a head */
	for (size_t i = 0; i < r.nheaders; i++)
		FUZZ_CHECK(header_inside(&r.headers[i], data, size) &&
			   sg_h1_field_ok(r.headers[i].name, r.headers[i].value));
	for (size_t i = 0; i < r.nresponse; i++)
		FUZZ_CHECK(header_inside(&r.response[i], data, size) &&
			   sg_h1_field_ok(r.response[i].name, r.response[i].value));
	for (size_t i = 0; i < r.nremove; i++)
		FUZZ_CHECK(inside(r.remove[i], data, size) &&
			   sg_h1_field_ok(r.remove[i], (struct sg_h1_span){ "", 0 }));
	FUZZ_CHECK(inside(r.metadata, data, size));
	if (r.metadata.p) {
		struct sg_json *j;

		rc = sg_authzpb_struct(r.metadata.p, r.metadata.len, &j);
		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
		FUZZ_CHECK(rc ? !j : sg_json_type(j) == SG_JSON_OBJECT);
		sg_json_free(j);
	}
	return 0;
}
