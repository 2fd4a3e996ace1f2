/* Envoy's CheckRequest written and CheckResponse read in protobuf's wire
 * format (the contract is authzpb.h). Field numbers are those of
 * envoy/service/auth/v3/{external_auth,attribute_context}.proto and
 * envoy/config/core/v3/{address,base}.proto. */
#include "user/codec/authzpb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/json.h"
#include "user/codec/pbwire.h"

/* ---- writing ------------------------------------------------------------- */

/* A map<string, string> entry: {key = 1, value = 2} under `field`. */
static void map_entry(struct sg_pbw *w, unsigned field, const char *k, size_t klen, const char *v,
		      size_t vlen)
{
	size_t at = sg_pbw_begin(w, field);

	sg_pbw_text(w, 1, k, klen);
	sg_pbw_text(w, 2, v, vlen);
	sg_pbw_end(w, at);
}

/* AttributeContext.Peer {address = 1: Address {socket_address = 1:
 * SocketAddress {address = 2, port_value = 3}}}. */
static void peer(struct sg_pbw *w, unsigned field, const struct sg_authzpb_peer *p)
{
	size_t at, addr, sock;

	if (!p->addr)
		return;
	at = sg_pbw_begin(w, field);
	addr = sg_pbw_begin(w, 1);
	sock = sg_pbw_begin(w, 1);
	sg_pbw_str(w, 2, p->addr);
	sg_pbw_uint(w, 3, p->port);
	sg_pbw_end(w, sock);
	sg_pbw_end(w, addr);
	sg_pbw_end(w, at);
}

/* AttributeContext.HttpRequest. */
static void http_request(struct sg_pbw *w, const struct sg_authzpb_request *q)
{
	size_t at = sg_pbw_begin(w, 2);

	sg_pbw_text(w, 1, q->id.p, q->id.len);
	sg_pbw_span(w, 2, q->method);
	for (size_t i = 0; i < q->nheaders; i++)
		map_entry(w, 3, q->headers[i].name.p, q->headers[i].name.len, q->headers[i].value.p,
			  q->headers[i].value.len);
	sg_pbw_text(w, 4, q->path.p, q->path.len);
	sg_pbw_text(w, 5, q->host.p, q->host.len);
	sg_pbw_span(w, 6, q->scheme);
	if (q->size) { /* int64: -1 (unknown) as its ten-byte two's complement */
		sg_pbw_tag(w, 9, SG_PB_VARINT);
		sg_pbw_varint(w, (uint64_t)q->size);
	}
	sg_pbw_span(w, 10, q->protocol);
	if (q->body && q->raw_body)
		sg_pbw_bytes(w, 12, q->body, q->body_len);
	else if (q->body)
		sg_pbw_text(w, 11, q->body, q->body_len);
	sg_pbw_end(w, at);
}

/* A oneof's string: written even when empty (sg_pbw_str is not). */
static void oneof_str(struct sg_pbw *w, unsigned field, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	sg_pbw_tag(w, field, SG_PB_LEN);
	sg_pbw_varint(w, n);
	if (!n || !sg_pbw_room(w, n))
		return;
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void pb_value(struct sg_pbw *w, unsigned field, const struct sg_json *v, int depth);

/* google.protobuf.Struct {fields = 1: map<string, Value>} of object o's
 * members. */
static void pb_struct(struct sg_pbw *w, const struct sg_json *o, int depth)
{
	for (const struct sg_json *m = sg_json_first(o); m; m = sg_json_next(m)) {
		size_t at = sg_pbw_begin(w, 1);

		sg_pbw_str(w, 1, sg_json_key(m));
		pb_value(w, 2, m, depth + 1);
		sg_pbw_end(w, at);
	}
}

/* google.protobuf.Value of v under `field` (oneof kind: null_value = 1,
 * number_value = 2, string_value = 3, bool_value = 4, struct_value = 5,
 * list_value = 6); nested deeper than SG_AUTHZPB_MAX_DEPTH: null. */
static void pb_value(struct sg_pbw *w, unsigned field, const struct sg_json *v, int depth)
{
	enum sg_json_type t = depth > SG_AUTHZPB_MAX_DEPTH ? SG_JSON_NULL : sg_json_type(v);
	size_t at = sg_pbw_begin(w, field), in;
	uint64_t bits;
	double d = 0;

	switch (t) {
	case SG_JSON_NUMBER:
		sg_json_num(v, &d);
		memcpy(&bits, &d, sizeof(bits));
		sg_pbw_fixed64(w, 2, bits);
		break;
	case SG_JSON_STRING:
		oneof_str(w, 3, sg_json_str(v));
		break;
	case SG_JSON_TRUE:
	case SG_JSON_FALSE:
		sg_pbw_tag(w, 4, SG_PB_VARINT);
		sg_pbw_varint(w, t == SG_JSON_TRUE);
		break;
	case SG_JSON_OBJECT:
		in = sg_pbw_begin(w, 5);
		pb_struct(w, v, depth);
		sg_pbw_end(w, in);
		break;
	case SG_JSON_ARRAY:
		in = sg_pbw_begin(w, 6);
		for (const struct sg_json *e = sg_json_first(v); e; e = sg_json_next(e))
			pb_value(w, 1, e, depth + 1);
		sg_pbw_end(w, in);
		break;
	default:
		sg_pbw_tag(w, 1, SG_PB_VARINT);
		sg_pbw_varint(w, 0);
		break;
	}
	sg_pbw_end(w, at);
}

/* metadata_context = 11: Metadata {filter_metadata = 1: map<string,
 * Struct>}, of m's members that are objects (none: an empty Metadata,
 * sent all the same, as Envoy does). */
static void metadata_context(struct sg_pbw *w, const struct sg_json *m)
{
	size_t at = sg_pbw_begin(w, 11), e, st;

	for (const struct sg_json *f = sg_json_first(m); f; f = sg_json_next(f)) {
		if (sg_json_type(f) != SG_JSON_OBJECT)
			continue;
		e = sg_pbw_begin(w, 1);
		sg_pbw_str(w, 1, sg_json_key(f));
		st = sg_pbw_begin(w, 2);
		pb_struct(w, f, 0);
		sg_pbw_end(w, st);
		sg_pbw_end(w, e);
	}
	sg_pbw_end(w, at);
}

int sg_authzpb_check_request(const struct sg_authzpb_request *q, char **out, size_t *len)
{
	struct sg_pbw w = { 0 };
	size_t attrs, req, t;

	if (sg_pbw_grpc_begin(&w) < 0)
		return -ENOMEM;
	attrs = sg_pbw_begin(&w, 1);
	peer(&w, 1, &q->source);
	peer(&w, 2, &q->destination);
	req = sg_pbw_begin(&w, 4);
	if (q->time_s) { /* google.protobuf.Timestamp {seconds = 1, nanos = 2} */
		t = sg_pbw_begin(&w, 1);
		sg_pbw_uint(&w, 1, (uint64_t)q->time_s);
		sg_pbw_uint(&w, 2, (uint64_t)q->time_ns);
		sg_pbw_end(&w, t);
	}
	http_request(&w, q);
	sg_pbw_end(&w, req);
	for (size_t i = 0; i + 1 < q->ncontext; i += 2)
		map_entry(&w, 10, q->context[i], strlen(q->context[i]), q->context[i + 1],
			  strlen(q->context[i + 1]));
	if (q->metadata)
		metadata_context(&w, q->metadata);
	if (q->sni) { /* TLSSession {sni = 1} */
		t = sg_pbw_begin(&w, 12);
		sg_pbw_str(&w, 1, q->sni);
		sg_pbw_end(&w, t);
	}
	sg_pbw_end(&w, attrs);
	return sg_pbw_grpc_done(&w, out, len);
}

/* ---- reading ------------------------------------------------------------- */

/* google.protobuf.BoolValue {value = 1}. */
static int bool_value(struct sg_pbr r, bool *out)
{
	struct sg_pbf f;
	int rc, k;

	while ((rc = sg_pbr_next(&r, &f)) > 0)
		if ((k = sg_pbr_is(&f, 1, SG_PB_VARINT)) != 0) {
			if (k < 0)
				return k;
			*out = f.v != 0;
		}
	return rc;
}

/* HeaderValueOption {header = 1: HeaderValue {key = 1, value = 2,
 * raw_value = 3}, append = 2: BoolValue}, added to list[*n]. */
static int header_option(struct sg_pbr r, struct sg_authzpb_header *list, size_t *n)
{
	struct sg_authzpb_header h = { 0 };
	struct sg_pbf f, g;
	struct sg_pbr hv;
	int rc, k;

	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if ((k = sg_pbr_is(&f, 2, SG_PB_LEN)) != 0) {
			if (k < 0 || bool_value(sg_pbr_sub(&f), &h.append) < 0)
				return -EBADMSG;
			continue;
		}
		if ((k = sg_pbr_is(&f, 1, SG_PB_LEN)) == 0)
			continue;
		if (k < 0)
			return k;
		hv = sg_pbr_sub(&f);
		while ((rc = sg_pbr_next(&hv, &g)) > 0) {
			if (g.field < 1 || g.field > 3)
				continue;
			if (g.wire != SG_PB_LEN)
				return -EBADMSG;
			if (g.field == 1)
				h.name = g.s;
			else if (g.field == 3 || !h.value.len)
				h.value = g.s; /* raw_value, when given, wins */
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	/* written into the request or the response as it is */
	if (!sg_h1_field_ok(h.name, h.value))
		return -EBADMSG;
	if (*n == SG_AUTHZPB_MAX_HEADERS)
		return -E2BIG;
	list[(*n)++] = h;
	return 0;
}

/* google.rpc.Status {code = 1, message = 2}. */
static int status(struct sg_pbr r, struct sg_authzpb_response *out)
{
	struct sg_pbf f;
	int rc, k;

	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if ((k = sg_pbr_is(&f, 1, SG_PB_VARINT)) != 0) {
			if (k < 0)
				return k;
			out->code = (int32_t)(uint32_t)f.v;
		} else if ((k = sg_pbr_is(&f, 2, SG_PB_LEN)) != 0) {
			if (k < 0)
				return k;
			out->message = f.s;
		}
	}
	return rc;
}

/* DeniedHttpResponse {status = 1: HttpStatus {code = 1}, headers = 2,
 * body = 3}. */
static int denied(struct sg_pbr r, struct sg_authzpb_response *out)
{
	struct sg_pbf f, g;
	struct sg_pbr st;
	int rc, k;

	out->denied = true;
	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field < 1 || f.field > 3)
			continue;
		if (f.wire != SG_PB_LEN)
			return -EBADMSG;
		if (f.field == 2) {
			if ((k = header_option(sg_pbr_sub(&f), out->headers, &out->nheaders)) < 0)
				return k;
		} else if (f.field == 3) {
			out->body = f.s;
		} else {
			st = sg_pbr_sub(&f);
			while ((k = sg_pbr_next(&st, &g)) > 0)
				if (sg_pbr_is(&g, 1, SG_PB_VARINT) > 0)
					out->status = g.v > 999 ? 0 : (uint16_t)g.v;
			if (k < 0)
				return k;
		}
	}
	return rc;
}

/* OkHttpResponse {headers = 2, headers_to_remove = 5,
 * response_headers_to_add = 6}; the query parameter edits (7, 8) are
 * skipped. */
static int ok(struct sg_pbr r, struct sg_authzpb_response *out)
{
	struct sg_pbf f;
	int rc, k = 0;

	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field != 2 && f.field != 5 && f.field != 6)
			continue;
		if (f.wire != SG_PB_LEN)
			return -EBADMSG;
		if (f.field == 2)
			k = header_option(sg_pbr_sub(&f), out->headers, &out->nheaders);
		else if (f.field == 6)
			k = header_option(sg_pbr_sub(&f), out->response, &out->nresponse);
		else if (out->nremove == SG_AUTHZPB_MAX_HEADERS)
			k = -E2BIG;
		else if (!sg_h1_field_ok(f.s, (struct sg_h1_span){ "", 0 }))
			k = -EBADMSG; /* a name to remove is a field name too */
		else
			out->remove[out->nremove++] = f.s;
		if (k < 0)
			return k;
	}
	return rc;
}

int sg_authzpb_check_response(const char *p, size_t len, struct sg_authzpb_response *out)
{
	struct sg_pbr r = { p, p + len };
	struct sg_pbf f;
	int rc, k = 0;

	memset(out, 0, sizeof(*out));
	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field < 1 || f.field > 4)
			continue; /* what later versions add */
		if (f.wire != SG_PB_LEN)
			return -EBADMSG;
		if (f.field == 4)
			out->metadata = f.s;
		else if (f.field == 1)
			k = status(sg_pbr_sub(&f), out);
		else if (f.field == 2)
			k = denied(sg_pbr_sub(&f), out);
		else
			k = ok(sg_pbr_sub(&f), out);
		if (k < 0)
			return k;
	}
	return rc < 0 ? rc : 0;
}

/* ---- google.protobuf.Struct as JSON --------------------------------------- */

static int struct_of(struct sg_pbr r, unsigned depth, struct sg_json **out);

/* ListValue {repeated Value values = 1}. */
static int value_of(struct sg_pbr r, unsigned depth, struct sg_json **out);

static int list_of(struct sg_pbr r, unsigned depth, struct sg_json **out)
{
	struct sg_json *a = sg_json_array(), *v;
	struct sg_pbf f;
	int rc, k;

	if (!a)
		return -ENOMEM;
	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if ((k = sg_pbr_is(&f, 1, SG_PB_LEN)) == 0)
			continue;
		if (k < 0 || (k = value_of(sg_pbr_sub(&f), depth + 1, &v)) < 0) {
			sg_json_free(a);
			return k;
		}
		if (sg_json_push(a, v) < 0) {
			sg_json_free(a);
			return -ENOMEM;
		}
	}
	if (rc < 0)
		sg_json_free(a);
	*out = rc < 0 ? NULL : a;
	return rc;
}

/* Value {null_value = 1, number_value = 2 (double), string_value = 3,
 * bool_value = 4, struct_value = 5, list_value = 6}; none set: null. */
static int value_of(struct sg_pbr r, unsigned depth, struct sg_json **out)
{
	struct sg_json *v = NULL;
	struct sg_pbf f;
	double d;
	int rc, k = 0;
	char *str;

	if (depth > SG_AUTHZPB_MAX_DEPTH)
		return -EBADMSG;
	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		struct sg_json *now = NULL;

		if (f.field < 1 || f.field > 6)
			continue;
		if ((f.field == 1 || f.field == 4) && f.wire == SG_PB_VARINT) {
			now = f.field == 1 ? sg_json_null() : sg_json_bool(f.v != 0);
		} else if (f.field == 2 && f.wire == SG_PB_I64 && f.s.len == 8) {
			memcpy(&d, f.s.p, 8); /* little-endian, as the host */
			now = sg_json_number(d);
		} else if (f.field == 3 && f.wire == SG_PB_LEN) {
			if (!(str = strndup(f.s.p, f.s.len)))
				k = -ENOMEM;
			now = str ? sg_json_string(str) : NULL;
			free(str);
		} else if (f.field == 5 && f.wire == SG_PB_LEN) {
			k = struct_of(sg_pbr_sub(&f), depth + 1, &now);
		} else if (f.field == 6 && f.wire == SG_PB_LEN) {
			k = list_of(sg_pbr_sub(&f), depth + 1, &now);
		} else {
			k = -EBADMSG;
		}
		if (!k && !now)
			k = -ENOMEM;
		if (k < 0) {
			sg_json_free(v);
			return k;
		}
		sg_json_free(v); /* a oneof: the last one set wins */
		v = now;
	}
	if (rc < 0) {
		sg_json_free(v);
		return rc;
	}
	*out = v ? v : sg_json_null();
	return *out ? 0 : -ENOMEM;
}

/* Struct {map<string, Value> fields = 1}: entries {key = 1, value = 2}. */
static int struct_of(struct sg_pbr r, unsigned depth, struct sg_json **out)
{
	struct sg_json *o = sg_json_object(), *v;
	struct sg_pbf f, g;
	int rc = 0, k = 0;

	if (!o)
		return -ENOMEM;
	if (depth > SG_AUTHZPB_MAX_DEPTH)
		k = -EBADMSG;
	while (!k && (rc = sg_pbr_next(&r, &f)) > 0) {
		struct sg_pbr e;
		struct sg_h1_span key = { "", 0 };
		struct sg_pbr val = { NULL, NULL };
		char *name;

		if ((k = sg_pbr_is(&f, 1, SG_PB_LEN)) <= 0)
			continue;
		e = sg_pbr_sub(&f);
		while ((k = sg_pbr_next(&e, &g)) > 0) {
			if (sg_pbr_is(&g, 1, SG_PB_LEN) > 0)
				key = g.s;
			else if (sg_pbr_is(&g, 2, SG_PB_LEN) > 0)
				val = sg_pbr_sub(&g);
			else if (g.field == 1 || g.field == 2)
				k = -EBADMSG;
			if (k < 0)
				break;
		}
		if (k < 0)
			break;
		if (!(name = strndup(key.p, key.len))) {
			k = -ENOMEM;
			break;
		}
		k = val.p ? value_of(val, depth + 1, &v) : ((v = sg_json_null()) ? 0 : -ENOMEM);
		if (!k && sg_json_set(o, name, v) < 0)
			k = -ENOMEM;
		free(name);
	}
	if (!k && rc < 0)
		k = rc;
	if (k < 0) {
		sg_json_free(o);
		return k;
	}
	*out = o;
	return 0;
}

int sg_authzpb_struct(const char *p, size_t len, struct sg_json **out)
{
	struct sg_pbr r = { p, p + len };

	*out = NULL;
	return struct_of(r, 0, out);
}
