/* user/codec/otlpjson.c: an ExportTraceServiceRequest in OTLP's JSON
 * encoding, compared whole with the text a collector reads (OTLP's JSON
 * rules: lowerCamelCase names, hex ids, integer enums, 64-bit integers
 * as strings, defaults left out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "user/codec/otlpjson.h"

/* The span test_otlppb.c encodes, with times past 2^53 (a double would
 * round them: they go as strings). */
static void sample(struct sg_otlp_span *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(i + 1);
	memset(s->span_id, 0xab, 8);
	memset(s->parent_id, 0xcd, 8);
	s->name = "GET r";
	s->trace_state = "k=v";
	s->kind = SG_OTLP_KIND_SERVER;
	s->start_ns = 1764460800123456789u;
	s->end_ns = 1764460800123456999u;
	s->flags = 1;
	sg_otlp_attr_str(s, "http.request.method", "GET");
	sg_otlp_attr_int(s, "http.response.status_code", 503);
	sg_otlp_attr_str(s, "empty", "");
	sg_otlp_attr_str(s, "left out", NULL);
	sg_otlp_attr_int(s, "neg", -7);
	s->events[s->nevents++] = (struct sg_otlp_event){ "response.head", 1764460800123456900u };
	s->status = SG_OTLP_STATUS_ERROR;
	s->message = "upstream call failed";
}

static const struct sg_otlp_attr resource[] = { { "service.name", "splicegate", 0 },
						{ "deployment.id", NULL, 7 } };

static void test_otlpjson_exact(void **unused)
{
	struct sg_otlp_span s;
	char *out;
	size_t len;

	sample(&s);
	assert_int_equal(sg_otlpjson_export(&s, 1, resource, 2, "1.2", &out, &len), 0);
	assert_string_equal(
		out,
		"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"splicegate\"}},"
		"{\"key\":\"deployment.id\",\"value\":{\"intValue\":\"7\"}}]},"
		"\"scopeSpans\":[{\"scope\":{\"name\":\"splicegate\",\"version\":\"1.2\"},"
		"\"spans\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
		"\"spanId\":\"abababababababab\",\"traceState\":\"k=v\","
		"\"parentSpanId\":\"cdcdcdcdcdcdcdcd\",\"flags\":1,\"name\":\"GET r\",\"kind\":2,"
		"\"startTimeUnixNano\":\"1764460800123456789\","
		"\"endTimeUnixNano\":\"1764460800123456999\",\"attributes\":["
		"{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
		"{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
		"{\"key\":\"empty\",\"value\":{\"stringValue\":\"\"}},"
		"{\"key\":\"neg\",\"value\":{\"intValue\":\"-7\"}}],"
		"\"events\":[{\"timeUnixNano\":\"1764460800123456900\",\"name\":\"response.head\"}]"
		","
		"\"status\":{\"message\":\"upstream call failed\",\"code\":2}}]}]}]}");
	assert_int_equal(len, strlen(out));
	free(out);
}

/* A root client span that did not fail, without version or tracestate:
 * no parentSpanId, traceState, attributes, events nor status fields;
 * two spans in one scope; text that JSON escapes is escaped. */
static void test_otlpjson_defaults_left_out(void **unused)
{
	static const struct sg_otlp_attr svc[] = { { "service.name", "a\"b\\c\n", 0 } };
	struct sg_otlp_span s[2];
	char *out;
	size_t len;

	memset(s, 0, sizeof(s));
	s[0].trace_id[15] = 1;
	s[0].span_id[7] = 2;
	s[0].name = "GET";
	s[0].kind = SG_OTLP_KIND_CLIENT;
	s[0].start_ns = 5;
	s[0].end_ns = 6;
	s[1] = s[0];
	s[1].name = "tab\there";
	assert_int_equal(sg_otlpjson_export(s, 2, svc, 1, NULL, &out, &len), 0);
	assert_string_equal(
		out, "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		     "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\\\"b\\\\c\\n\"}}]},"
		     "\"scopeSpans\":[{\"scope\":{\"name\":\"splicegate\"},\"spans\":["
		     "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":"
		     "\"0000000000000002\",\"name\":\"GET\",\"kind\":3,\"startTimeUnixNano\":\"5\","
		     "\"endTimeUnixNano\":\"6\",\"status\":{}},"
		     "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":"
		     "\"0000000000000002\",\"name\":\"tab\\there\",\"kind\":3,"
		     "\"startTimeUnixNano\":\"5\",\"endTimeUnixNano\":\"6\",\"status\":{}}]}]}]}");
	free(out);
}

/* No spans: the request is still whole, with an empty list. */
static void test_otlpjson_empty(void **unused)
{
	char *out;
	size_t len;

	assert_int_equal(sg_otlpjson_export(NULL, 0, resource, 1, NULL, &out, &len), 0);
	assert_string_equal(out, "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
				 "{\"key\":\"service.name\",\"value\":{\"stringValue\":"
				 "\"splicegate\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
				 "\"splicegate\"},\"spans\":[]}]}]}");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_otlpjson_exact),
		cmocka_unit_test(test_otlpjson_defaults_left_out),
		cmocka_unit_test(test_otlpjson_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
