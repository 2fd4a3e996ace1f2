/* Envoy's CheckRequest written and CheckResponse read in protobuf's wire
 * format (the contract is authzpb.h). Field numbers are those of
 * envoy/service/auth/v3/{external_auth,attribute_context}.proto and
 * envoy/config/core/v3/{address,base}.proto. */
#include "user/codec/authzpb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user/codec/pbwrite.h"

/* ---- writing ------------------------------------------------------------- */

static void span(struct sg_pbw *w, unsigned field, struct sg_h1_span s)
{
	sg_pbw_bytes(w, field, s.p, s.len);
}

/* A map<string, string> entry: {key = 1, value = 2} under `field`. */
static void map_entry(struct sg_pbw *w, unsigned field, const char *k, size_t klen, const char *v,
		      size_t vlen)
{
	size_t at = sg_pbw_begin(w, field);

	sg_pbw_bytes(w, 1, k, klen);
	sg_pbw_bytes(w, 2, v, vlen);
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

	span(w, 1, q->id);
	span(w, 2, q->method);
	for (size_t i = 0; i < q->nheaders; i++)
		map_entry(w, 3, q->headers[i].name.p, q->headers[i].name.len, q->headers[i].value.p,
			  q->headers[i].value.len);
	span(w, 4, q->path);
	span(w, 5, q->host);
	span(w, 6, q->scheme);
	if (q->size) { /* int64: -1 (unknown) as its ten-byte two's complement */
		sg_pbw_tag(w, 9, SG_PBW_VARINT);
		sg_pbw_varint(w, (uint64_t)q->size);
	}
	span(w, 10, q->protocol);
	if (q->body)
		sg_pbw_bytes(w, q->raw_body ? 12 : 11, q->body, q->body_len);
	sg_pbw_end(w, at);
}

int sg_authzpb_check_request(const struct sg_authzpb_request *q, char **out, size_t *len)
{
	struct sg_pbw w = { 0 };
	size_t attrs, req, t;

	if (!sg_pbw_room(&w, 5))
		return -ENOMEM;
	w.len = 5; /* the gRPC message prefix, filled last */
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
	if (q->sni) { /* TLSSession {sni = 1} */
		t = sg_pbw_begin(&w, 12);
		sg_pbw_str(&w, 1, q->sni);
		sg_pbw_end(&w, t);
	}
	sg_pbw_end(&w, attrs);
	if (w.bad) {
		free(w.p);
		return -ENOMEM;
	}
	sg_pbw_grpc_prefix(&w);
	*out = w.p;
	*len = w.len;
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* A message being read: [p, end). */
struct pbr {
	const char *p, *end;
};

/* One field: its number and wire type, and its value (varint) or bytes
 * (length-delimited). */
struct pbf {
	unsigned field, wire;
	uint64_t v;
	struct sg_h1_span s;
};

static int read_varint(struct pbr *r, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (r->p >= r->end)
			return -EBADMSG;
		b = (uint8_t)*r->p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -EBADMSG;
}

/* The next field of r: 1, 0 at its end, or -EBADMSG. */
static int next(struct pbr *r, struct pbf *f)
{
	uint64_t key, n;

	if (r->p == r->end)
		return 0;
	if (read_varint(r, &key) < 0 || !(key >> 3) || key >> 32)
		return -EBADMSG;
	f->field = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	switch (f->wire) {
	case SG_PBW_VARINT:
		return read_varint(r, &f->v) < 0 ? -EBADMSG : 1;
	case SG_PBW_I64:
	case SG_PBW_I32:
		n = f->wire == SG_PBW_I64 ? 8 : 4;
		break;
	case SG_PBW_LEN:
		if (read_varint(r, &n) < 0)
			return -EBADMSG;
		break;
	default: /* groups: not in these messages */
		return -EBADMSG;
	}
	if (n > (uint64_t)(r->end - r->p))
		return -EBADMSG;
	f->s = (struct sg_h1_span){ r->p, (size_t)n };
	r->p += n;
	return 1;
}

/* Whether f is field `field` with wire type `wire`: a known field of
 * another type is malformed. */
static int is(const struct pbf *f, unsigned field, unsigned wire)
{
	if (f->field != field)
		return 0;
	return f->wire == wire ? 1 : -EBADMSG;
}

static struct pbr sub(const struct pbf *f)
{
	return (struct pbr){ f->s.p, f->s.p + f->s.len };
}

/* google.protobuf.BoolValue {value = 1}. */
static int bool_value(struct pbr r, bool *out)
{
	struct pbf f;
	int rc, k;

	while ((rc = next(&r, &f)) > 0)
		if ((k = is(&f, 1, SG_PBW_VARINT)) != 0) {
			if (k < 0)
				return k;
			*out = f.v != 0;
		}
	return rc;
}

/* HeaderValueOption {header = 1: HeaderValue {key = 1, value = 2,
 * raw_value = 3}, append = 2: BoolValue}, added to list[*n]. */
static int header_option(struct pbr r, struct sg_authzpb_header *list, size_t *n)
{
	struct sg_authzpb_header h = { 0 };
	struct pbf f, g;
	struct pbr hv;
	int rc, k;

	while ((rc = next(&r, &f)) > 0) {
		if ((k = is(&f, 2, SG_PBW_LEN)) != 0) {
			if (k < 0 || bool_value(sub(&f), &h.append) < 0)
				return -EBADMSG;
			continue;
		}
		if ((k = is(&f, 1, SG_PBW_LEN)) == 0)
			continue;
		if (k < 0)
			return k;
		hv = sub(&f);
		while ((rc = next(&hv, &g)) > 0) {
			if (g.field < 1 || g.field > 3)
				continue;
			if (g.wire != SG_PBW_LEN)
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
	if (*n == SG_AUTHZPB_MAX_HEADERS)
		return -E2BIG;
	list[(*n)++] = h;
	return 0;
}

/* google.rpc.Status {code = 1, message = 2}. */
static int status(struct pbr r, struct sg_authzpb_response *out)
{
	struct pbf f;
	int rc, k;

	while ((rc = next(&r, &f)) > 0) {
		if ((k = is(&f, 1, SG_PBW_VARINT)) != 0) {
			if (k < 0)
				return k;
			out->code = (int32_t)(uint32_t)f.v;
		} else if ((k = is(&f, 2, SG_PBW_LEN)) != 0) {
			if (k < 0)
				return k;
			out->message = f.s;
		}
	}
	return rc;
}

/* DeniedHttpResponse {status = 1: HttpStatus {code = 1}, headers = 2,
 * body = 3}. */
static int denied(struct pbr r, struct sg_authzpb_response *out)
{
	struct pbf f, g;
	struct pbr st;
	int rc, k;

	out->denied = true;
	while ((rc = next(&r, &f)) > 0) {
		if (f.field < 1 || f.field > 3)
			continue;
		if (f.wire != SG_PBW_LEN)
			return -EBADMSG;
		if (f.field == 2) {
			if ((k = header_option(sub(&f), out->headers, &out->nheaders)) < 0)
				return k;
		} else if (f.field == 3) {
			out->body = f.s;
		} else {
			st = sub(&f);
			while ((k = next(&st, &g)) > 0)
				if (is(&g, 1, SG_PBW_VARINT) > 0)
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
static int ok(struct pbr r, struct sg_authzpb_response *out)
{
	struct pbf f;
	int rc, k = 0;

	while ((rc = next(&r, &f)) > 0) {
		if (f.field != 2 && f.field != 5 && f.field != 6)
			continue;
		if (f.wire != SG_PBW_LEN)
			return -EBADMSG;
		if (f.field == 2)
			k = header_option(sub(&f), out->headers, &out->nheaders);
		else if (f.field == 6)
			k = header_option(sub(&f), out->response, &out->nresponse);
		else if (out->nremove == SG_AUTHZPB_MAX_HEADERS)
			k = -E2BIG;
		else
			out->remove[out->nremove++] = f.s;
		if (k < 0)
			return k;
	}
	return rc;
}

int sg_authzpb_check_response(const char *p, size_t len, struct sg_authzpb_response *out)
{
	struct pbr r = { p, p + len };
	struct pbf f;
	int rc, k = 0;

	memset(out, 0, sizeof(*out));
	while ((rc = next(&r, &f)) > 0) {
		if (f.field < 1 || f.field > 3)
			continue; /* dynamic_metadata, and what later versions add */
		if (f.wire != SG_PBW_LEN)
			return -EBADMSG;
		if (f.field == 1)
			k = status(sub(&f), out);
		else if (f.field == 2)
			k = denied(sub(&f), out);
		else
			k = ok(sub(&f), out);
		if (k < 0)
			return k;
	}
	return rc < 0 ? rc : 0;
}
