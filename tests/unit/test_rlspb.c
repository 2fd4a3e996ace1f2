/* user/codec/rlspb: the RateLimitRequest written byte for byte as
 * Python's protobuf (python3-protobuf, from tests/e2e/proto/rls.proto)
 * serialises the same message, behind gRPC's prefix; RateLimitResponses
 * it serialised read back (over the limit with the most constrained
 * status, headers both ways and a raw body; OK without a limit); unknown
 * fields skipped; truncated, mistyped and oversized ones refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/codec/rlspb.h"

#define S(lit) ((struct sg_h1_span){ lit, sizeof(lit) - 1 })

static void span_is(struct sg_h1_span s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void test_rlspb_request_as_protobuf_writes_it(void **state)
{
	/* python: domain agw, descriptors [method GET, path /], [ip 10.0.0.1] */
	static const char want[] =
		"\x0a\x03\x61\x67\x77\x12\x1a\x0a\x0d\x0a\x06\x6d\x65\x74\x68\x6f\x64\x12\x03\x47"
		"\x45\x54\x0a\x09\x0a\x04\x70\x61\x74\x68\x12\x01\x2f\x12\x10\x0a\x0e\x0a\x02\x69"
		"\x70\x12\x08\x31\x30\x2e\x30\x2e\x30\x2e\x31";
	const struct sg_rlspb_entry e[] = { { S("method"), S("GET") },
					    { S("path"), S("/") },
					    { S("ip"), S("10.0.0.1") } };
	const struct sg_rlspb_descriptor d[] = { { e, 2 }, { e + 2, 1 } };
	char *out = NULL;
	size_t len = 0, n = sizeof(want) - 1;

	(void)state;
	assert_int_equal(sg_rlspb_request("agw", d, 2, &out, &len), 0);
	assert_int_equal(len, n + 5);
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_int_equal((uint8_t)out[4], n);
	assert_memory_equal(out + 5, want, n);
	free(out);
}

static const char over[] =
	"\x08\x02\x12\x0e\x08\x01\x12\x04\x08\x0a\x10\x02\x18\x07\x22\x02\x08\x1e\x12\x0c\x08\x02"
	"\x12\x04\x08\x05\x10\x02\x22\x02\x08\x2a\x12\x02\x08\x01\x1a\x08\x0a\x03\x78\x2d\x61\x12"
	"\x01\x31\x22\x08\x0a\x03\x78\x2d\x62\x1a\x01\x32\x2a\x09\x73\x6c\x6f\x77\x20\x64\x6f\x77"
	"\x6e";

static void test_rlspb_response_over_limit_read(void **state)
{
	/* python: OVER_LIMIT; statuses {OK, 10/minute, 7 left, 30 s},
	 * {OVER_LIMIT, 5/minute, 0 left, 42 s}, {OK}; response header x-a: 1,
	 * request header x-b: raw 2; raw_body "slow down" */
	struct sg_rlspb_response *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(sg_rlspb_response(over, sizeof(over) - 1, r), 0);
	assert_int_equal(r->code, SG_RLSPB_OVER_LIMIT);
	assert_true(r->has_limit);
	assert_int_equal(r->limit, 5); /* the fewest left */
	assert_int_equal(r->remaining, 0);
	assert_int_equal(r->reset_s, 42);
	assert_int_equal(r->nresponse, 1);
	span_is(r->response[0].name, "x-a");
	span_is(r->response[0].value, "1");
	assert_int_equal(r->nrequest, 1);
	span_is(r->request[0].name, "x-b");
	span_is(r->request[0].value, "2");
	span_is(r->body, "slow down");
	free(r);
}

static void test_rlspb_response_ok_without_limit(void **state)
{
	struct sg_rlspb_response *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(sg_rlspb_response("\x08\x01\x12\x02\x08\x01", 6, r), 0);
	assert_int_equal(r->code, SG_RLSPB_OK);
	assert_false(r->has_limit);
	assert_int_equal(r->nresponse + r->nrequest + r->body.len, 0);
	/* an empty message: UNKNOWN */
	assert_int_equal(sg_rlspb_response("", 0, r), 0);
	assert_int_equal(r->code, SG_RLSPB_UNKNOWN);
	free(r);
}

static void test_rlspb_response_unknown_fields_skipped(void **state)
{
	/* dynamic_metadata (6) and a field 99 varint around OK */
	static const char m[] = "\x32\x00\x98\x06\x01\x08\x01";
	struct sg_rlspb_response *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(sg_rlspb_response(m, sizeof(m) - 1, r), 0);
	assert_int_equal(r->code, SG_RLSPB_OK);
	free(r);
}

static void test_rlspb_response_malformed_refused(void **state)
{
	struct sg_rlspb_response *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	/* every cut of a well-formed message inside one of its fields */
	for (size_t n = 1; n < sizeof(over) - 1; n++) {
		int rc = sg_rlspb_response(over, n, r);

		assert_true(rc == 0 || rc == -EBADMSG);
	}
	assert_int_equal(sg_rlspb_response(over, 3, r), -EBADMSG);
	/* overall_code as bytes */
	assert_int_equal(sg_rlspb_response("\x0a\x01\x01", 3, r), -EBADMSG);
	/* statuses as a varint */
	assert_int_equal(sg_rlspb_response("\x10\x01", 2, r), -EBADMSG);
	/* a status's limit_remaining as bytes */
	assert_int_equal(sg_rlspb_response("\x12\x03\x1a\x01\x00", 5, r), -EBADMSG);
	/* a group */
	assert_int_equal(sg_rlspb_response("\x0b", 1, r), -EBADMSG);
	/* a varint past ten bytes */
	assert_int_equal(
		sg_rlspb_response("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, r),
		-EBADMSG);
	free(r);
}

/* A header the service asks for is written into a head as it is: one
 * that is not a field (CR LF in its value, no name) makes the answer
 * malformed. */
static void test_rlspb_response_header_not_a_field_refused(void **state)
{
	struct sg_rlspb_response *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	/* response_headers_to_add {key "a", value "b\r\nc"} */
	assert_int_equal(sg_rlspb_response("\x1a\x09\x0a\x01\x61\x12\x04\x62\r\n\x63", 11, r),
			 -EBADMSG);
	assert_int_equal(sg_rlspb_response("\x1a\x08\x0a\x01\x61\x12\x03\x62\x09\x63", 10, r), 0);
	/* {value "b"}: no name */
	assert_int_equal(sg_rlspb_response("\x1a\x03\x12\x01\x62", 5, r), -EBADMSG);
	free(r);
}

static void test_rlspb_response_too_many_headers_refused(void **state)
{
	char m[5 * (SG_RLSPB_MAX_HEADERS + 1)];
	struct sg_rlspb_response *r = malloc(sizeof(*r));
	size_t n = 0;

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < SG_RLSPB_MAX_HEADERS + 1; i++) { /* HeaderValue {key "a"} */
		memcpy(m + n, "\x1a\x03\x0a\x01\x61", 5);
		n += 5;
	}
	assert_int_equal(sg_rlspb_response(m, n, r), -E2BIG);
	assert_int_equal(sg_rlspb_response(m, n - 5, r), 0);
	assert_int_equal(r->nresponse, SG_RLSPB_MAX_HEADERS);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlspb_request_as_protobuf_writes_it),
		cmocka_unit_test(test_rlspb_response_over_limit_read),
		cmocka_unit_test(test_rlspb_response_ok_without_limit),
		cmocka_unit_test(test_rlspb_response_unknown_fields_skipped),
		cmocka_unit_test(test_rlspb_response_malformed_refused),
		cmocka_unit_test(test_rlspb_response_header_not_a_field_refused),
		cmocka_unit_test(test_rlspb_response_too_many_headers_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
