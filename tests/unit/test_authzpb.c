/* user/codec/authzpb: the CheckRequest written byte for byte as Python's
 * protobuf (python3-protobuf, from tests/e2e/proto/ext_authz.proto)
 * serialises the same message; CheckResponses it serialised read back
 * (allowed with header edits, denied with status, headers and body);
 * unknown fields skipped; truncated, mistyped and oversized ones
 * refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/json.h"
#include "user/codec/authzpb.h"
#include "user/codec/pbwire.h"

#define S(lit) ((struct sg_h1_span){ lit, sizeof(lit) - 1 })

static void span_is(struct sg_h1_span s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void test_authzpb_request_as_protobuf_writes_it(void **state)
{
	/* python: CheckRequest with source 10.0.0.1, time 1700000000.5ns,
	 * GET /p?q, host h, scheme http, header x-a: 1, size -1, HTTP/1.1,
	 * body "hi", context k: v */
	static const char want[] =
		"\x0a\x5d\x0a\x0e\x0a\x0c\x0a\x0a\x12\x08\x31\x30\x2e\x30\x2e\x30\x2e\x31\x22\x43"
		"\x0a\x08\x08\x80\xe2\xcf\xaa\x06\x10\x05\x12\x37\x12\x03\x47\x45\x54\x1a\x08\x0a"
		"\x03\x78\x2d\x61\x12\x01\x31\x22\x04\x2f\x70\x3f\x71\x2a\x01\x68\x32\x04\x68\x74"
		"\x74\x70\x48\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x52\x08\x48\x54\x54\x50\x2f"
		"\x31\x2e\x31\x5a\x02\x68\x69\x52\x06\x0a\x01\x6b\x12\x01\x76";
	static const char *const context[] = { "k", "v" };
	const struct sg_authzpb_header h[] = { { S("x-a"), S("1"), false } };
	struct sg_authzpb_request q = {
		.source = { "10.0.0.1", 0 },
		.time_s = 1700000000,
		.time_ns = 5,
		.method = S("GET"),
		.path = S("/p?q"),
		.host = S("h"),
		.scheme = S("http"),
		.protocol = S("HTTP/1.1"),
		.headers = h,
		.nheaders = 1,
		.body = "hi",
		.body_len = 2,
		.size = -1,
		.context = context,
		.ncontext = 2,
	};
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sg_authzpb_check_request(&q, &out, &len), 0);
	assert_int_equal(len, 5 + sizeof(want) - 1);
	/* the gRPC prefix: not compressed, the length big-endian */
	assert_memory_equal(out, "\x00\x00\x00\x00\x5f", 5);
	assert_memory_equal(out + 5, want, sizeof(want) - 1);
	free(out);
}

/* What a client sent that is not UTF-8 (obs-text in a header, a body's
 * Latin-1) goes made U+FFFD, as agentgateway's from_utf8_lossy sends it
 * (one U+FFFD for a character cut short, "\xe2\x82"; one for each other
 * bad byte): a service (grpc-go, Python's protobuf)
 * refuses the whole CheckRequest for one string that is not UTF-8, so a
 * client could fail every check it asks for, and pass those with
 * failureMode allow. A raw body stays as it came. */
static void test_authzpb_request_text_not_utf8_replaced(void **state)
{
	const struct sg_authzpb_header h[] = { { S("x-name"), S("b\xe9la \xe2\x82"), false },
					       { S("x-ok"), S("\xc3\xa9t\xc3\xa9"), false } };
	struct sg_authzpb_request q = {
		.method = S("GET"),
		.id = S("\x80"),
		.path = S("/p"),
		.headers = h,
		.nheaders = 2,
		.body = "\xff!",
		.body_len = 2,
	};
	struct sg_pbr r, attrs, req, http, kv;
	struct sg_pbf f, g;
	char *out = NULL, seen[256];
	size_t len = 0, n = 0;

	(void)state;
	for (int raw = 0; raw < 2; raw++) {
		q.raw_body = raw;
		assert_int_equal(sg_authzpb_check_request(&q, &out, &len), 0);
		n = 0;
		r = (struct sg_pbr){ out + 5, out + len };
		assert_int_equal(sg_pbr_next(&r, &f), 1); /* attributes */
		attrs = sg_pbr_sub(&f);
		do
			assert_int_equal(sg_pbr_next(&attrs, &f), 1);
		while (f.field != 4); /* request */
		req = sg_pbr_sub(&f);
		assert_int_equal(sg_pbr_next(&req, &f), 1);
		assert_int_equal(f.field, 2); /* http */
		http = sg_pbr_sub(&f);
		while (sg_pbr_next(&http, &f) > 0) {
			if (f.field == 3) { /* headers: {key, value} */
				kv = sg_pbr_sub(&f);
				n += (size_t)snprintf(seen + n, sizeof(seen) - n, "3:");
				while (sg_pbr_next(&kv, &g) > 0)
					n += (size_t)snprintf(seen + n, sizeof(seen) - n, "%.*s;",
							      (int)g.s.len, g.s.p);
				continue;
			}
			if (f.wire == SG_PB_LEN)
				n += (size_t)snprintf(seen + n, sizeof(seen) - n, "%u:%.*s;",
						      f.field, (int)f.s.len, f.s.p);
		}
		assert_string_equal(seen, raw ? "1:\xef\xbf\xbd;2:GET;"
						"3:x-name;b\xef\xbf\xbdla \xef\xbf\xbd;"
						"3:x-ok;\xc3\xa9t\xc3\xa9;4:/p;12:\xff!;"
					      : "1:\xef\xbf\xbd;2:GET;"
						"3:x-name;b\xef\xbf\xbdla \xef\xbf\xbd;"
						"3:x-ok;\xc3\xa9t\xc3\xa9;4:/p;11:\xef\xbf\xbd!;");
		free(out);
	}
}

/* The CheckRequest's metadata_context (AttributeContext field 11) of
 * m's JSON, if it sends one: the JSON each filter_metadata entry's
 * Struct reads back as, "key=json;" after one another, into out. */
static int metadata_of(const char *m, char *out, size_t cap)
{
	struct sg_json *j = m ? sg_json_parse(m) : NULL;
	struct sg_authzpb_request q = { .method = S("GET"), .metadata = j };
	struct sg_pbr r, attrs, md, entry;
	struct sg_pbf f, a, e, kv;
	char *bytes = NULL;
	size_t len = 0, n = 0;
	int found = 0;

	assert_int_equal(sg_authzpb_check_request(&q, &bytes, &len), 0);
	sg_json_free(j);
	out[0] = '\0';
	r = (struct sg_pbr){ bytes + 5, bytes + len };
	assert_int_equal(sg_pbr_next(&r, &f), 1);
	assert_int_equal(f.field, 1);
	attrs = sg_pbr_sub(&f);
	while (sg_pbr_next(&attrs, &a) > 0) {
		if (a.field != 11)
			continue;
		found++;
		md = sg_pbr_sub(&a);
		while (sg_pbr_next(&md, &e) > 0) {
			struct sg_h1_span key = { 0 }, st = { 0 };
			struct sg_json *sj;
			char *text;

			assert_int_equal(e.field, 1);
			entry = sg_pbr_sub(&e);
			while (sg_pbr_next(&entry, &kv) > 0)
				if (kv.field == 1)
					key = kv.s;
				else if (kv.field == 2)
					st = kv.s;
			assert_int_equal(sg_authzpb_struct(st.p, st.len, &sj), 0);
			text = sg_json_print(sj, SG_JSON_COMPACT);
			n += (size_t)snprintf(out + n, cap - n, "%.*s=%s;", (int)key.len, key.p,
					      text);
			free(text);
			sg_json_free(sj);
		}
	}
	free(bytes);
	return found;
}

/* metadata_context: filter_metadata's object members as Structs (strings,
 * numbers, bools, null, lists and structs, an empty string kept), read
 * back as the JSON they came from; a member that is no object left out;
 * an empty object still sends an empty Metadata (as Envoy always does);
 * none sends none. */
static void test_authzpb_request_metadata_context(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(metadata_of("{\"tenant\": {\"name\": \"acme\", \"n\": 2, \"ok\": true, "
				     "\"none\": null, \"l\": [\"a\", \"\"], \"in\": {\"x\": 0.5}}, "
				     "\"skipped\": \"str\", \"envoy.filters.http.jwt_authn\": "
				     "{\"jwt_payload\": {\"sub\": \"alice\"}}}",
				     out, sizeof(out)),
			 1);
	assert_string_equal(out,
			    "tenant={\"name\":\"acme\",\"n\":2,\"ok\":true,\"none\":null,"
			    "\"l\":[\"a\",\"\"],\"in\":{\"x\":0.5}};"
			    "envoy.filters.http.jwt_authn={\"jwt_payload\":{\"sub\":\"alice\"}};");
	assert_int_equal(metadata_of("{}", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(metadata_of(NULL, out, sizeof(out)), 0);
}

static void test_authzpb_response_allowed_with_edits(void **state)
{
	static const char msg[] =
		"\x0a\x00\x1a\x2c\x12\x15\x0a\x0f\x0a\x06\x78\x2d\x75\x73\x65\x72\x12\x05\x61\x6c"
		"\x69\x63\x65\x12\x02\x08\x01\x2a\x06\x78\x2d\x64\x72\x6f\x70\x32\x0b\x0a\x09\x0a"
		"\x03\x78\x2d\x64\x12\x02\x6f\x6b";
	struct sg_authzpb_response r;

	(void)state;
	assert_int_equal(sg_authzpb_check_response(msg, sizeof(msg) - 1, &r), 0);
	assert_int_equal(r.code, 0);
	assert_false(r.denied);
	assert_int_equal(r.nheaders, 1);
	span_is(r.headers[0].name, "x-user");
	span_is(r.headers[0].value, "alice");
	assert_true(r.headers[0].append);
	assert_int_equal(r.nremove, 1);
	span_is(r.remove[0], "x-drop");
	assert_int_equal(r.nresponse, 1);
	span_is(r.response[0].name, "x-d");
	span_is(r.response[0].value, "ok");
}

static void test_authzpb_response_denied_as_sent(void **state)
{
	static const char msg[] =
		"\x0a\x06\x08\x07\x12\x02\x6e\x6f\x12\x20\x0a\x03\x08\xa2\x03\x12\x11\x0a\x0f\x0a"
		"\x05\x78\x2d\x77\x68\x79\x12\x06\x70\x6f\x6c\x69\x63\x79\x1a\x06\x64\x65\x6e\x69"
		"\x65\x64";
	struct sg_authzpb_response r;

	(void)state;
	assert_int_equal(sg_authzpb_check_response(msg, sizeof(msg) - 1, &r), 0);
	assert_int_equal(r.code, 7);
	span_is(r.message, "no");
	assert_true(r.denied);
	assert_int_equal(r.status, 418);
	assert_int_equal(r.nheaders, 1);
	span_is(r.headers[0].name, "x-why");
	span_is(r.headers[0].value, "policy");
	assert_false(r.headers[0].append);
	span_is(r.body, "denied");
}

static void test_authzpb_response_unknown_fields_skipped(void **state)
{
	/* status {code 7}, then field 4 (dynamic_metadata: its bytes kept,
	 * read by sg_authzpb_struct), field 15
	 * (varint), field 14 (fixed32) and field 13 (fixed64) */
	static const char msg[] = "\x0a\x02\x08\x07"
				  "\x22\x03\x0a\x01\x78"
				  "\x78\x2a"
				  "\x75\x01\x02\x03\x04"
				  "\x69\x01\x02\x03\x04\x05\x06\x07\x08";
	struct sg_authzpb_response r;

	(void)state;
	assert_int_equal(sg_authzpb_check_response(msg, sizeof(msg) - 1, &r), 0);
	assert_int_equal(r.code, 7);
	assert_false(r.denied);
	assert_int_equal(sg_authzpb_check_response("", 0, &r), 0);
	assert_int_equal(r.code, 0); /* an empty message: OK, as proto3 reads it */
}

/* Bytes p[0..n) put before buf[at..), at moved back. */
static void before(char *buf, size_t *at, const char *p, size_t n)
{
	*at -= n;
	memcpy(buf + *at, p, n);
}

/* A field's tag and length put before its at..cap bytes. */
static void framed(char *buf, size_t cap, size_t *at, char tag)
{
	size_t len = cap - *at; /* under 2^14: a varint of one or two bytes */
	char v[2] = { (char)(len < 128 ? len : (len & 0x7f) | 0x80), (char)(len >> 7) };

	before(buf, at, v, len < 128 ? 1 : 2);
	before(buf, at, &tag, 1);
}

/* {"a": {"a": ... {}}}, `levels` structs inside the outer one, at the end
 * of buf[0..cap): where it begins. */
static size_t nest(char *buf, size_t cap, unsigned levels)
{
	size_t at = cap;

	for (unsigned i = 0; i < levels; i++) {
		framed(buf, cap, &at, 0x2a);	     /* Value.struct_value */
		framed(buf, cap, &at, 0x12);	     /* the entry's value */
		before(buf, &at, "\x0a\x01\x61", 3); /* its key "a" */
		framed(buf, cap, &at, 0x0a);	     /* Struct.fields */
	}
	return at;
}

/* dynamic_metadata: a google.protobuf.Struct as Python's protobuf
 * serialises {"user": "alice", "groups": ["dev", "ops"], "level": 3,
 * "nested": {"ok": true}, "none": null}, read as the JSON agentgateway
 * makes of it; malformed and too deeply nested ones refused. */
static void test_authzpb_struct_as_json(void **state)
{
	static const char st[] =
		"\x0a\x0a\x0a\x04\x6e\x6f\x6e\x65\x12\x02\x08\x00\x0a\x16\x0a\x06\x6e\x65\x73\x74"
		"\x65\x64\x12\x0c\x2a\x0a\x0a\x08\x0a\x02\x6f\x6b\x12\x02\x20\x01\x0a\x12\x0a\x05"
		"\x6c\x65\x76\x65\x6c\x12\x09\x11\x00\x00\x00\x00\x00\x00\x08\x40\x0a\x1a\x0a\x06"
		"\x67\x72\x6f\x75\x70\x73\x12\x10\x32\x0e\x0a\x05\x1a\x03\x64\x65\x76\x0a\x05\x1a"
		"\x03\x6f\x70\x73\x0a\x0f\x0a\x04\x75\x73\x65\x72\x12\x07\x1a\x05\x61\x6c\x69\x63"
		"\x65";
	char msg[sizeof(st) + 8], deep[1024];
	struct sg_authzpb_response r;
	struct sg_json *j;
	size_t n = 0;
	char *text;

	(void)state;
	/* CheckResponse {status {}, dynamic_metadata = 4} */
	memcpy(msg, "\x0a\x00\x22\x65", 4);
	memcpy(msg + 4, st, sizeof(st) - 1);
	assert_int_equal(sg_authzpb_check_response(msg, 4 + sizeof(st) - 1, &r), 0);
	assert_int_equal(r.metadata.len, sizeof(st) - 1);
	assert_int_equal(sg_authzpb_struct(r.metadata.p, r.metadata.len, &j), 0);
	text = sg_json_print(j, SG_JSON_COMPACT);
	assert_string_equal(text, "{\"none\":null,\"nested\":{\"ok\":true},\"level\":3,"
				  "\"groups\":[\"dev\",\"ops\"],\"user\":\"alice\"}");
	free(text);
	sg_json_free(j);

	assert_int_equal(sg_authzpb_struct("", 0, &j), 0); /* {} */
	assert_null(sg_json_first(j));
	sg_json_free(j);
	/* an entry whose value is a varint; a value cut short */
	assert_int_equal(sg_authzpb_struct("\x0a\x05\x0a\x01\x61\x10\x01", 7, &j), -EBADMSG);
	assert_null(j);
	assert_int_equal(sg_authzpb_struct("\x0a\x06\x0a\x01\x61\x12\x05\x1a", 8, &j), -EBADMSG);
	/* structs in structs: 16 deep read (each adds a Struct and a Value),
	 * 17 past SG_AUTHZPB_MAX_DEPTH refused */
	n = nest(deep, sizeof(deep), SG_AUTHZPB_MAX_DEPTH / 2);
	assert_int_equal(sg_authzpb_struct(deep + n, sizeof(deep) - n, &j), 0);
	sg_json_free(j);
	n = nest(deep, sizeof(deep), SG_AUTHZPB_MAX_DEPTH / 2 + 1);
	assert_int_equal(sg_authzpb_struct(deep + n, sizeof(deep) - n, &j), -EBADMSG);
}

static void test_authzpb_response_malformed_refused(void **state)
{
	static const struct {
		const char *p;
		size_t len;
	} bad[] = {
		{ "\x0a\x05\x08\x07", 4 },     /* status longer than the message */
		{ "\x0a", 1 },		       /* a key without its length */
		{ "\x08\x07", 2 },	       /* status as a varint */
		{ "\x0b\x0c", 2 },	       /* a group */
		{ "\x0a\x02\x12\x05", 4 },     /* status.message cut short */
		{ "\x12\x03\x0a\x01\x08", 5 }, /* HttpStatus {code} cut */
		{ "\x00\x01", 2 },	       /* field 0 */
		{ "\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13 }, /* varint of 11 */
	};
	struct sg_authzpb_response r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sg_authzpb_check_response(bad[i].p, bad[i].len, &r), -EBADMSG);
}

/* ok_response {headers {header {key k, value v}}} into m: its length. */
static size_t ok_header(char *m, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v), hv = 4 + kl + vl, n = 0;

	m[n++] = 0x1a;
	m[n++] = (char)(hv + 4);
	m[n++] = 0x12;
	m[n++] = (char)(hv + 2);
	m[n++] = 0x0a;
	m[n++] = (char)hv;
	m[n++] = 0x0a;
	m[n++] = (char)kl;
	memcpy(m + n, k, kl);
	n += kl;
	m[n++] = 0x12;
	m[n++] = (char)vl;
	memcpy(m + n, v, vl);
	return n + vl;
}

/* A header the service asks for is written into a head as it is: one
 * that is not a field (a CR LF in its value, a space in its name) makes
 * the answer malformed, where it once ended its line and started others
 * (x-smuggled on the backend's request, set-cookie on the client's). */
static void test_authzpb_response_header_not_a_field_refused(void **state)
{
	struct sg_authzpb_response r;
	char m[64];

	(void)state;
	assert_int_equal(sg_authzpb_check_response(m, ok_header(m, "x-user", "a\tb"), &r), 0);
	span_is(r.headers[0].value, "a\tb");
	assert_int_equal(sg_authzpb_check_response(m, ok_header(m, "x-user", "a\r\nx: y"), &r),
			 -EBADMSG);
	assert_int_equal(sg_authzpb_check_response(m, ok_header(m, "x-user", "a\nb"), &r),
			 -EBADMSG);
	assert_int_equal(sg_authzpb_check_response(m, ok_header(m, "x user", "a"), &r), -EBADMSG);
	assert_int_equal(sg_authzpb_check_response(m, ok_header(m, "", "a"), &r), -EBADMSG);
	/* ok_response {headers_to_remove "a\r\n"} */
	assert_int_equal(sg_authzpb_check_response("\x1a\x05\x2a\x03\x61\r\n", 7, &r), -EBADMSG);
}

static void test_authzpb_response_too_many_headers_refused(void **state)
{
	/* ok_response with SG_AUTHZPB_MAX_HEADERS + 1 headers {header {key "a"}} */
	size_t n = SG_AUTHZPB_MAX_HEADERS + 1, inner = n * 7;
	char *msg = malloc(4 + inner), *p = msg;
	struct sg_authzpb_response r;

	(void)state;
	*p++ = 0x1a;
	*p++ = (char)(0x80 | (inner & 0x7f));
	*p++ = (char)(inner >> 7);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, "\x12\x05\x0a\x03\x0a\x01\x61", 7);
		p += 7;
	}
	assert_int_equal(sg_authzpb_check_response(msg, (size_t)(p - msg), &r), -E2BIG);
	/* one fewer fits */
	msg[1] = (char)(0x80 | ((inner - 7) & 0x7f));
	msg[2] = (char)((inner - 7) >> 7);
	assert_int_equal(sg_authzpb_check_response(msg, (size_t)(p - msg) - 7, &r), 0);
	assert_int_equal(r.nheaders, SG_AUTHZPB_MAX_HEADERS);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authzpb_request_as_protobuf_writes_it),
		cmocka_unit_test(test_authzpb_request_metadata_context),
		cmocka_unit_test(test_authzpb_request_text_not_utf8_replaced),
		cmocka_unit_test(test_authzpb_response_allowed_with_edits),
		cmocka_unit_test(test_authzpb_response_denied_as_sent),
		cmocka_unit_test(test_authzpb_response_unknown_fields_skipped),
		cmocka_unit_test(test_authzpb_struct_as_json),
		cmocka_unit_test(test_authzpb_response_malformed_refused),
		cmocka_unit_test(test_authzpb_response_header_not_a_field_refused),
		cmocka_unit_test(test_authzpb_response_too_many_headers_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
