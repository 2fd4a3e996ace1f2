/* OTLP's ExportTraceServiceRequest written in protobuf's wire format (the
 * contract is otlppb.h). Field numbers are those of opentelemetry-proto's
 * collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * resource/v1/resource.proto and common/v1/common.proto. */
#include "user/codec/otlppb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user/codec/pbwire.h"

/* KeyValue {key = 1, value = 2: AnyValue {string_value = 1 | int_value =
 * 3}} under `field`. */
static void key_value(struct sg_pbw *w, unsigned field, const struct sg_otlp_attr *a)
{
	size_t kv = sg_pbw_begin(w, field), v;

	sg_pbw_str(w, 1, a->key);
	v = sg_pbw_begin(w, 2);
	if (a->str && !*a->str) {
		/* an empty string is still a value: written with its tag */
		sg_pbw_tag(w, 1, SG_PB_LEN);
		sg_pbw_varint(w, 0);
	} else if (a->str) {
		/* a request's path or header: what is not UTF-8 would make the
		 * collector refuse the whole batch, other clients' spans too */
		sg_pbw_text(w, 1, a->str, strlen(a->str));
	} else {
		sg_pbw_tag(w, 3, SG_PB_VARINT);
		sg_pbw_varint(w, (uint64_t)a->num);
	}
	sg_pbw_end(w, v);
	sg_pbw_end(w, kv);
}

static bool zero(const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (id[i])
			return false;
	return true;
}

/* Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5,
 * kind 6, start 7 and end 8 (fixed64), attributes 9, events 11 (Event:
 * time_unix_nano 1 fixed64, name 2), status 15 (message 2, code 3),
 * flags 16 (fixed32). */
static void span(struct sg_pbw *w, const struct sg_otlp_span *s)
{
	size_t at = sg_pbw_begin(w, 2), st;

	sg_pbw_bytes(w, 1, s->trace_id, sizeof(s->trace_id));
	sg_pbw_bytes(w, 2, s->span_id, sizeof(s->span_id));
	sg_pbw_str(w, 3, s->trace_state);
	if (!zero(s->parent_id, sizeof(s->parent_id)))
		sg_pbw_bytes(w, 4, s->parent_id, sizeof(s->parent_id));
	sg_pbw_str(w, 5, s->name);
	sg_pbw_uint(w, 6, (uint64_t)s->kind);
	sg_pbw_fixed64(w, 7, s->start_ns);
	sg_pbw_fixed64(w, 8, s->end_ns);
	for (size_t i = 0; i < s->nattrs; i++)
		key_value(w, 9, &s->attrs[i]);
	for (size_t i = 0; i < s->nevents; i++) {
		size_t ev = sg_pbw_begin(w, 11);

		sg_pbw_fixed64(w, 1, s->events[i].ns);
		sg_pbw_str(w, 2, s->events[i].name);
		sg_pbw_end(w, ev);
	}
	st = sg_pbw_begin(w, 15);
	sg_pbw_str(w, 2, s->message);
	sg_pbw_uint(w, 3, (uint64_t)s->status);
	sg_pbw_end(w, st);
	/* flags: fixed32, the W3C trace flags in its low byte */
	sg_pbw_tag(w, 16, SG_PB_I32);
	if (sg_pbw_room(w, 4)) {
		w->p[w->len++] = (char)s->flags;
		w->p[w->len++] = 0;
		w->p[w->len++] = 0;
		w->p[w->len++] = 0;
	}
	sg_pbw_end(w, at);
}

int sg_otlppb_export(const struct sg_otlp_span *spans, size_t n,
		     const struct sg_otlp_attr *resource, size_t nresource, const char *version,
		     bool grpc, char **out, size_t *len)
{
	struct sg_pbw w = { 0 };
	size_t rs, res, ss, scope;

	if (grpc && sg_pbw_grpc_begin(&w) < 0)
		return -ENOMEM;
	rs = sg_pbw_begin(&w, 1);  /* ResourceSpans */
	res = sg_pbw_begin(&w, 1); /* Resource {attributes = 1} */
	for (size_t i = 0; i < nresource; i++)
		key_value(&w, 1, &resource[i]);
	sg_pbw_end(&w, res);
	ss = sg_pbw_begin(&w, 2);    /* ScopeSpans */
	scope = sg_pbw_begin(&w, 1); /* InstrumentationScope {name = 1, version = 2} */
	sg_pbw_str(&w, 1, "splicegate");
	sg_pbw_str(&w, 2, version);
	sg_pbw_end(&w, scope);
	for (size_t i = 0; i < n; i++)
		span(&w, &spans[i]);
	sg_pbw_end(&w, ss);
	sg_pbw_end(&w, rs);
	if (grpc)
		return sg_pbw_grpc_done(&w, out, len);
	if (w.bad) {
		free(w.p);
		return -ENOMEM;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

void sg_otlp_attr_str(struct sg_otlp_span *s, const char *key, const char *str)
{
	if (str && s->nattrs < SG_OTLP_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct sg_otlp_attr){ key, str, 0 };
}

void sg_otlp_attr_int(struct sg_otlp_span *s, const char *key, int64_t num)
{
	if (s->nattrs < SG_OTLP_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct sg_otlp_attr){ key, NULL, num };
}
