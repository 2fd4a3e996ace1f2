/* Envoy's CheckRequest written and CheckResponse read in protobuf's wire
 * format (the contract is authzpb.h). Field numbers are those of
 * envoy/service/auth/v3/{external_auth,attribute_context}.proto and
 * envoy/config/core/v3/{address,base}.proto. */
#include "user/codec/authzpb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ------------------------------------------------------------- */

/* A growing buffer; `bad` once an allocation failed (every write after
 * is dropped and the result refused). */
struct pbw {
	char *p;
	size_t len, cap;
	bool bad;
};

static bool room(struct pbw *w, size_t n)
{
	char *p;
	size_t cap;

	if (w->bad)
		return false;
	if (w->len + n <= w->cap)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->p, cap);
	if (!p) {
		w->bad = true;
		return false;
	}
	w->p = p;
	w->cap = cap;
	return true;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void varint_at(char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (char)(0x80 | (v & 0x7f));
		v >>= 7;
	}
	*p = (char)v;
}

static void varint(struct pbw *w, uint64_t v)
{
	if (!room(w, 10))
		return;
	varint_at(w->p + w->len, v);
	w->len += varint_len(v);
}

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

static void tag(struct pbw *w, unsigned field, unsigned wire)
{
	varint(w, (uint64_t)field << 3 | wire);
}

static void bytes(struct pbw *w, unsigned field, const char *p, size_t n)
{
	if (!n)
		return; /* proto3: an empty string is not sent */
	tag(w, field, WIRE_LEN);
	varint(w, n);
	if (!room(w, n))
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void str(struct pbw *w, unsigned field, const char *s)
{
	if (s)
		bytes(w, field, s, strlen(s));
}

static void span(struct pbw *w, unsigned field, struct sg_h1_span s)
{
	bytes(w, field, s.p, s.len);
}

static void uint_field(struct pbw *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	tag(w, field, WIRE_VARINT);
	varint(w, v);
}

/* A nested message begins: its content is written after the returned
 * offset, and end() puts its length in front of it. */
static size_t begin(struct pbw *w, unsigned field)
{
	tag(w, field, WIRE_LEN);
	return w->len;
}

static void end(struct pbw *w, size_t at)
{
	size_t n = w->len - at, k = varint_len(n);

	if (!room(w, k))
		return;
	memmove(w->p + at + k, w->p + at, n);
	varint_at(w->p + at, n);
	w->len += k;
}

/* A map<string, string> entry: {key = 1, value = 2} under `field`. */
static void map_entry(struct pbw *w, unsigned field, const char *k, size_t klen, const char *v,
		      size_t vlen)
{
	size_t at = begin(w, field);

	bytes(w, 1, k, klen);
	bytes(w, 2, v, vlen);
	end(w, at);
}

/* AttributeContext.Peer {address = 1: Address {socket_address = 1:
 * SocketAddress {address = 2, port_value = 3}}}. */
static void peer(struct pbw *w, unsigned field, const struct sg_authzpb_peer *p)
{
	size_t at, addr, sock;

	if (!p->addr)
		return;
	at = begin(w, field);
	addr = begin(w, 1);
	sock = begin(w, 1);
	str(w, 2, p->addr);
	uint_field(w, 3, p->port);
	end(w, sock);
	end(w, addr);
	end(w, at);
}

/* AttributeContext.HttpRequest. */
static void http_request(struct pbw *w, const struct sg_authzpb_request *q)
{
	size_t at = begin(w, 2);

	span(w, 1, q->id);
	span(w, 2, q->method);
	for (size_t i = 0; i < q->nheaders; i++)
		map_entry(w, 3, q->headers[i].name.p, q->headers[i].name.len, q->headers[i].value.p,
			  q->headers[i].value.len);
	span(w, 4, q->path);
	span(w, 5, q->host);
	span(w, 6, q->scheme);
	if (q->size) { /* int64: -1 (unknown) as its ten-byte two's complement */
		tag(w, 9, WIRE_VARINT);
		varint(w, (uint64_t)q->size);
	}
	span(w, 10, q->protocol);
	if (q->body)
		bytes(w, q->raw_body ? 12 : 11, q->body, q->body_len);
	end(w, at);
}

int sg_authzpb_check_request(const struct sg_authzpb_request *q, char **out, size_t *len)
{
	struct pbw w = { 0 };
	size_t attrs, req, t;

	if (!room(&w, 5))
		return -ENOMEM;
	w.len = 5; /* the gRPC message prefix, filled last */
	attrs = begin(&w, 1);
	peer(&w, 1, &q->source);
	peer(&w, 2, &q->destination);
	req = begin(&w, 4);
	if (q->time_s) { /* google.protobuf.Timestamp {seconds = 1, nanos = 2} */
		t = begin(&w, 1);
		uint_field(&w, 1, (uint64_t)q->time_s);
		uint_field(&w, 2, (uint64_t)q->time_ns);
		end(&w, t);
	}
	http_request(&w, q);
	end(&w, req);
	for (size_t i = 0; i + 1 < q->ncontext; i += 2)
		map_entry(&w, 10, q->context[i], strlen(q->context[i]), q->context[i + 1],
			  strlen(q->context[i + 1]));
	if (q->sni) { /* TLSSession {sni = 1} */
		t = begin(&w, 12);
		str(&w, 1, q->sni);
		end(&w, t);
	}
	end(&w, attrs);
	if (w.bad) {
		free(w.p);
		return -ENOMEM;
	}
	w.p[0] = 0; /* not compressed */
	w.p[1] = (char)((w.len - 5) >> 24);
	w.p[2] = (char)((w.len - 5) >> 16);
	w.p[3] = (char)((w.len - 5) >> 8);
	w.p[4] = (char)(w.len - 5);
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
	case WIRE_VARINT:
		return read_varint(r, &f->v) < 0 ? -EBADMSG : 1;
	case WIRE_I64:
	case WIRE_I32:
		n = f->wire == WIRE_I64 ? 8 : 4;
		break;
	case WIRE_LEN:
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
		if ((k = is(&f, 1, WIRE_VARINT)) != 0) {
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
		if ((k = is(&f, 2, WIRE_LEN)) != 0) {
			if (k < 0 || bool_value(sub(&f), &h.append) < 0)
				return -EBADMSG;
			continue;
		}
		if ((k = is(&f, 1, WIRE_LEN)) == 0)
			continue;
		if (k < 0)
			return k;
		hv = sub(&f);
		while ((rc = next(&hv, &g)) > 0) {
			if (g.field < 1 || g.field > 3)
				continue;
			if (g.wire != WIRE_LEN)
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
		if ((k = is(&f, 1, WIRE_VARINT)) != 0) {
			if (k < 0)
				return k;
			out->code = (int32_t)(uint32_t)f.v;
		} else if ((k = is(&f, 2, WIRE_LEN)) != 0) {
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
		if (f.wire != WIRE_LEN)
			return -EBADMSG;
		if (f.field == 2) {
			if ((k = header_option(sub(&f), out->headers, &out->nheaders)) < 0)
				return k;
		} else if (f.field == 3) {
			out->body = f.s;
		} else {
			st = sub(&f);
			while ((k = next(&st, &g)) > 0)
				if (is(&g, 1, WIRE_VARINT) > 0)
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
		if (f.wire != WIRE_LEN)
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
		if (f.wire != WIRE_LEN)
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
