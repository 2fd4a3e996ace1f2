/* OTLP's ExportTraceServiceRequest in OTLP's JSON encoding (the contract
 * is otlpjson.h). Field names are the lowerCamelCase JSON names of
 * opentelemetry-proto's collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, resource/v1/resource.proto and
 * common/v1/common.proto. */
#include "user/codec/otlpjson.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/traceparent.h"
#include "user/base/json.h"

/* What is being written; bad once anything failed (out of memory). */
struct w {
	bool bad;
};

static void chk(struct w *w, int rc)
{
	if (rc < 0)
		w->bad = true;
}

/* A new object (or array) under key of o, NULL (w bad) when it could not
 * be added. */
static struct sg_json *sub(struct w *w, struct sg_json *o, const char *key, bool array)
{
	struct sg_json *v = array ? sg_json_add_array(o, key) : sg_json_add_object(o, key);

	if (!v)
		w->bad = true;
	return v;
}

/* A 64-bit integer as proto3's JSON writes one: a decimal string. */
static void add_u64(struct w *w, struct sg_json *o, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	chk(w, sg_json_add_str(o, key, s));
}

/* bytes id[0..n) as OTLP writes ids in JSON: lower-case hex. */
static void add_id(struct w *w, struct sg_json *o, const char *key, const uint8_t *id, size_t n)
{
	char hex[33];

	sg_trace_hex(id, n, hex);
	chk(w, sg_json_add_str(o, key, hex));
}

/* KeyValue {key, value: AnyValue {stringValue | intValue}} appended to
 * array arr. */
static void key_value(struct w *w, struct sg_json *arr, const struct sg_otlp_attr *a)
{
	struct sg_json *kv = sg_json_object(), *v;
	char s[24];

	chk(w, sg_json_add_str(kv, "key", a->key));
	v = sub(w, kv, "value", false);
	if (a->str) {
		chk(w, sg_json_add_str(v, "stringValue", a->str));
	} else {
		snprintf(s, sizeof(s), "%" PRId64, a->num);
		chk(w, sg_json_add_str(v, "intValue", s));
	}
	chk(w, sg_json_push(arr, kv));
}

static bool zero(const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (id[i])
			return false;
	return true;
}

/* One Span, appended to array arr; its fields in trace.proto's order. */
static void span(struct w *w, struct sg_json *arr, const struct sg_otlp_span *s)
{
	struct sg_json *o = sg_json_object(), *a, *st;

	add_id(w, o, "traceId", s->trace_id, sizeof(s->trace_id));
	add_id(w, o, "spanId", s->span_id, sizeof(s->span_id));
	if (s->trace_state && *s->trace_state)
		chk(w, sg_json_add_str(o, "traceState", s->trace_state));
	if (!zero(s->parent_id, sizeof(s->parent_id)))
		add_id(w, o, "parentSpanId", s->parent_id, sizeof(s->parent_id));
	if (s->flags)
		chk(w, sg_json_add_num(o, "flags", s->flags));
	chk(w, sg_json_add_str(o, "name", s->name ? s->name : ""));
	if (s->kind)
		chk(w, sg_json_add_num(o, "kind", s->kind));
	add_u64(w, o, "startTimeUnixNano", s->start_ns);
	add_u64(w, o, "endTimeUnixNano", s->end_ns);
	if (s->nattrs) {
		a = sub(w, o, "attributes", true);
		for (size_t i = 0; i < s->nattrs; i++)
			key_value(w, a, &s->attrs[i]);
	}
	if (s->nevents) {
		a = sub(w, o, "events", true);
		for (size_t i = 0; i < s->nevents; i++) {
			struct sg_json *ev = sg_json_object();

			add_u64(w, ev, "timeUnixNano", s->events[i].ns);
			chk(w, sg_json_add_str(ev, "name", s->events[i].name));
			chk(w, sg_json_push(a, ev));
		}
	}
	st = sub(w, o, "status", false);
	if (s->message)
		chk(w, sg_json_add_str(st, "message", s->message));
	if (s->status)
		chk(w, sg_json_add_num(st, "code", s->status));
	chk(w, sg_json_push(arr, o));
}

int sg_otlpjson_export(const struct sg_otlp_span *spans, size_t n,
		       const struct sg_otlp_attr *resource, size_t nresource, const char *version,
		       char **out, size_t *len)
{
	struct w w = { 0 };
	struct sg_json *root = sg_json_object(), *rs = sg_json_object(), *res, *attrs, *ss, *scope,
		       *arr;
	char *text;

	chk(&w, sg_json_push(sub(&w, root, "resourceSpans", true), rs));
	res = sub(&w, rs, "resource", false);
	attrs = sub(&w, res, "attributes", true);
	for (size_t i = 0; i < nresource; i++)
		key_value(&w, attrs, &resource[i]);
	ss = sg_json_object();
	chk(&w, sg_json_push(sub(&w, rs, "scopeSpans", true), ss));
	scope = sub(&w, ss, "scope", false);
	chk(&w, sg_json_add_str(scope, "name", "splicegate"));
	if (version)
		chk(&w, sg_json_add_str(scope, "version", version));
	arr = sub(&w, ss, "spans", true);
	for (size_t i = 0; i < n; i++)
		span(&w, arr, &spans[i]);
	text = w.bad ? NULL : sg_json_print(root, SG_JSON_COMPACT);
	sg_json_free(root);
	if (!text)
		return -ENOMEM;
	*out = text;
	*len = strlen(text);
	return 0;
}
