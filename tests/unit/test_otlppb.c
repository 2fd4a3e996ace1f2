/* user/codec/otlppb.c: an ExportTraceServiceRequest walked field by field
 * as a collector reads it (opentelemetry-proto's numbers), and
 * user/codec/pbwire.c's wire format under it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "user/codec/otlppb.h"
#include "user/codec/pbwire.h"

#include "pbread.h"

static void sample(struct sg_otlp_span *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(i + 1);
	memset(s->span_id, 0xab, 8);
	memset(s->parent_id, 0xcd, 8);
	s->name = "GET r";
	s->kind = SG_OTLP_KIND_SERVER;
	s->start_ns = 1000;
	s->end_ns = 2500;
	s->flags = 1;
	sg_otlp_attr_str(s, "http.request.method", "GET");
	sg_otlp_attr_int(s, "http.response.status_code", 503);
	sg_otlp_attr_str(s, "empty", "");
	sg_otlp_attr_str(s, "left out", NULL);
	s->events[s->nevents++] = (struct sg_otlp_event){ "response.head", 2000 };
	s->status = SG_OTLP_STATUS_ERROR;
	s->message = "upstream call failed";
}

/* The resource's attributes: service.name alone, or with others. */
static const struct sg_otlp_attr service[] = { { "service.name", "splicegate", 0 } };
static const struct sg_otlp_attr resource[] = { { "service.name", "splicegate", 0 },
						{ "deployment.id", NULL, 7 } };

static void test_otlppb_span_fields(void **unused)
{
	struct sg_otlp_span s;
	struct fld top[4], rs[4], ss[4], sp[32], kv[4], any[4], ev[4], st[4], res[4];
	size_t k, nsp;
	char *out;
	size_t len;
	const uint8_t *b;

	sample(&s);
	assert_int_equal(sg_otlppb_export(&s, 1, resource, 2, "1.2", false, &out, &len), 0);
	b = (const uint8_t *)out;
	k = walk(b, len, top, 4);
	assert_int_equal(k, 1); /* one ResourceSpans */
	assert_int_equal(top[0].f, 1);
	k = walk(top[0].p, top[0].n, rs, 4);
	assert_int_equal(k, 2);
	/* Resource {attributes: service.name, deployment.id} */
	assert_int_equal(walk(field(rs, k, 1)->p, field(rs, k, 1)->n, res, 4), 2);
	walk(res[0].p, res[0].n, kv, 4);
	assert_memory_equal(kv[0].p, "service.name", 12);
	walk(kv[1].p, kv[1].n, any, 4);
	assert_int_equal(any[0].f, 1);
	assert_memory_equal(any[0].p, "splicegate", 10);
	walk(res[1].p, res[1].n, kv, 4);
	assert_memory_equal(kv[0].p, "deployment.id", 13);
	walk(kv[1].p, kv[1].n, any, 4);
	assert_int_equal(any[0].f, 3);
	assert_int_equal(any[0].v, 7);
	/* ScopeSpans {scope {name, version}, spans} */
	k = walk(field(rs, 2, 2)->p, field(rs, 2, 2)->n, ss, 4);
	assert_int_equal(k, 2);
	nsp = walk(field(ss, k, 2)->p, field(ss, k, 2)->n, sp, 32);
	assert_int_equal(field(sp, nsp, 1)->n, 16);
	assert_memory_equal(field(sp, nsp, 1)->p, s.trace_id, 16);
	assert_memory_equal(field(sp, nsp, 2)->p, s.span_id, 8);
	assert_memory_equal(field(sp, nsp, 4)->p, s.parent_id, 8);
	assert_int_equal(field(sp, nsp, 5)->n, 5);
	assert_memory_equal(field(sp, nsp, 5)->p, "GET r", 5);
	assert_int_equal(field(sp, nsp, 6)->v, 2);
	assert_int_equal(field(sp, nsp, 7)->w, 1);
	assert_int_equal(field(sp, nsp, 7)->v, 1000);
	assert_int_equal(field(sp, nsp, 8)->v, 2500);
	assert_int_equal(field(sp, nsp, 16)->w, 5);
	assert_int_equal(field(sp, nsp, 16)->v, 1);
	/* three attributes (the NULL one left out): a string, an int, "" */
	k = 0;
	for (size_t i = 0; i < nsp; i++)
		k += sp[i].f == 9;
	assert_int_equal(k, 3);
	walk(sp[8].p, sp[8].n, kv, 4); /* the second attribute (after seven fields) */
	assert_memory_equal(kv[0].p, "http.response.status_code", 25);
	walk(kv[1].p, kv[1].n, any, 4);
	assert_int_equal(any[0].f, 3);
	assert_int_equal(any[0].v, 503);
	walk(sp[9].p, sp[9].n, kv, 4); /* "" is still a string value */
	assert_int_equal(kv[1].n, 2);
	walk(field(sp, nsp, 11)->p, field(sp, nsp, 11)->n, ev, 4);
	assert_int_equal(ev[0].v, 2000);
	assert_memory_equal(ev[1].p, "response.head", 13);
	walk(field(sp, nsp, 15)->p, field(sp, nsp, 15)->n, st, 4);
	assert_memory_equal(st[0].p, "upstream call failed", 20);
	assert_int_equal(st[1].v, SG_OTLP_STATUS_ERROR);
	free(out);
}

/* A string attribute that is not UTF-8 (a path or header with Latin-1
 * bytes, which the collector would refuse, the whole batch with it) goes
 * with U+FFFD in place of each such byte; UTF-8 as it is. */
static void test_otlppb_attr_not_utf8(void **unused)
{
	struct sg_otlp_span s;
	struct fld top[4], rs[4], ss[4], sp[32], kv[4], any[4];
	char *out;
	size_t len, nsp, k = 0;
	const char *want[] = { "/caf\xef\xbf\xbd", "caf\xc3\xa9" };

	(void)unused;
	memset(&s, 0, sizeof(s));
	s.trace_id[0] = 1;
	s.span_id[0] = 1;
	s.name = "GET r";
	sg_otlp_attr_str(&s, "url.path", "/caf\xe9");
	sg_otlp_attr_str(&s, "user", "caf\xc3\xa9");
	assert_int_equal(sg_otlppb_export(&s, 1, service, 1, "1.2", false, &out, &len), 0);
	walk((const uint8_t *)out, len, top, 4);
	walk(top[0].p, top[0].n, rs, 4);
	walk(field(rs, 2, 2)->p, field(rs, 2, 2)->n, ss, 4);
	nsp = walk(field(ss, 2, 2)->p, field(ss, 2, 2)->n, sp, 32);
	for (size_t i = 0; i < nsp; i++) {
		if (sp[i].f != 9)
			continue;
		walk(sp[i].p, sp[i].n, kv, 4);
		walk(kv[1].p, kv[1].n, any, 4);
		assert_int_equal(any[0].n, strlen(want[k]));
		assert_memory_equal(any[0].p, want[k], any[0].n);
		k++;
	}
	assert_int_equal(k, 2);
	free(out);
}

/* gRPC framing: a 0 byte, the message's length big-endian, the message;
 * a root span has no parent_span_id. */
static void test_otlppb_grpc_frame(void **unused)
{
	struct sg_otlp_span s[2];
	struct fld top[4], rs[4], ss[8], sp[32];
	char *plain, *framed;
	size_t plen, flen, nsp;
	const uint8_t *f;

	sample(&s[0]);
	sample(&s[1]);
	memset(s[1].parent_id, 0, 8);
	assert_int_equal(sg_otlppb_export(s, 2, service, 1, NULL, false, &plain, &plen), 0);
	assert_int_equal(sg_otlppb_export(s, 2, service, 1, NULL, true, &framed, &flen), 0);
	f = (const uint8_t *)framed;
	assert_int_equal(flen, plen + 5);
	assert_int_equal(f[0], 0);
	assert_int_equal(((size_t)f[1] << 24 | (size_t)f[2] << 16 | (size_t)f[3] << 8 | f[4]),
			 plen);
	assert_memory_equal(framed + 5, plain, plen);
	walk((const uint8_t *)plain, plen, top, 4);
	walk(top[0].p, top[0].n, rs, 4);
	assert_int_equal(walk(rs[1].p, rs[1].n, ss, 8), 3); /* scope, two spans */
	nsp = walk(ss[2].p, ss[2].n, sp, 32);
	for (size_t i = 0; i < nsp; i++)
		assert_int_not_equal(sp[i].f, 4);
	free(plain);
	free(framed);
}

/* More attributes than a span holds are left out; lengths over 127
 * take two varint bytes and nested lengths stay right. */
static void test_otlppb_bounds(void **unused)
{
	struct sg_otlp_span s;
	struct fld top[4];
	char name[300], *out;
	size_t len;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < SG_OTLP_MAX_ATTRS + 4; i++)
		sg_otlp_attr_int(&s, "n", i);
	assert_int_equal(s.nattrs, SG_OTLP_MAX_ATTRS);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s.name = name;
	assert_int_equal(sg_otlppb_export(&s, 1, service, 1, NULL, false, &out, &len), 0);
	assert_int_equal(walk((const uint8_t *)out, len, top, 4), 1);
	assert_true(len > sizeof(name));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_otlppb_span_fields),
		cmocka_unit_test(test_otlppb_attr_not_utf8),
		cmocka_unit_test(test_otlppb_grpc_frame),
		cmocka_unit_test(test_otlppb_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
