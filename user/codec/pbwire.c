/* Protobuf's wire format (the contract is pbwire.h). */
#include "user/codec/pbwire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/utf8.h"

/* ---- writing ------------------------------------------------------------- */

bool sg_pbw_room(struct sg_pbw *w, size_t n)
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

void sg_pbw_varint(struct sg_pbw *w, uint64_t v)
{
	if (!sg_pbw_room(w, 10))
		return;
	varint_at(w->p + w->len, v);
	w->len += varint_len(v);
}

void sg_pbw_tag(struct sg_pbw *w, unsigned field, unsigned wire)
{
	sg_pbw_varint(w, (uint64_t)field << 3 | wire);
}

void sg_pbw_bytes(struct sg_pbw *w, unsigned field, const void *p, size_t n)
{
	if (!n)
		return;
	sg_pbw_tag(w, field, SG_PB_LEN);
	sg_pbw_varint(w, n);
	if (!sg_pbw_room(w, n))
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void sg_pbw_text(struct sg_pbw *w, unsigned field, const char *p, size_t n)
{
	size_t len = sg_utf8_lossy(NULL, p, n, 0);

	if (len == n) {
		sg_pbw_bytes(w, field, p, n);
		return;
	}
	sg_pbw_tag(w, field, SG_PB_LEN);
	sg_pbw_varint(w, len);
	if (!sg_pbw_room(w, len))
		return;
	w->len += sg_utf8_lossy(w->p + w->len, p, n, 0);
}

void sg_pbw_fixed64(struct sg_pbw *w, unsigned field, uint64_t v)
{
	sg_pbw_tag(w, field, SG_PB_I64);
	if (!sg_pbw_room(w, 8))
		return;
	for (int i = 0; i < 8; i++)
		w->p[w->len++] = (char)(v >> (8 * i));
}

void sg_pbw_str(struct sg_pbw *w, unsigned field, const char *s)
{
	if (s)
		sg_pbw_bytes(w, field, s, strlen(s));
}

void sg_pbw_span(struct sg_pbw *w, unsigned field, struct sg_h1_span s)
{
	sg_pbw_bytes(w, field, s.p, s.len);
}

void sg_pbw_uint(struct sg_pbw *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	sg_pbw_tag(w, field, SG_PB_VARINT);
	sg_pbw_varint(w, v);
}

size_t sg_pbw_begin(struct sg_pbw *w, unsigned field)
{
	sg_pbw_tag(w, field, SG_PB_LEN);
	return w->len;
}

void sg_pbw_end(struct sg_pbw *w, size_t at)
{
	size_t n, k;

	if (w->bad)
		return;
	n = w->len - at;
	k = varint_len(n);
	if (!sg_pbw_room(w, k))
		return;
	memmove(w->p + at + k, w->p + at, n);
	varint_at(w->p + at, n);
	w->len += k;
}

int sg_pbw_grpc_begin(struct sg_pbw *w)
{
	if (!sg_pbw_room(w, 5))
		return -ENOMEM;
	w->len = 5;
	return 0;
}

int sg_pbw_grpc_done(struct sg_pbw *w, char **out, size_t *len)
{
	size_t n = w->len - 5;

	if (w->bad) {
		free(w->p);
		*w = (struct sg_pbw){ 0 };
		return -ENOMEM;
	}
	w->p[0] = 0; /* not compressed */
	w->p[1] = (char)(n >> 24);
	w->p[2] = (char)(n >> 16);
	w->p[3] = (char)(n >> 8);
	w->p[4] = (char)n;
	*out = w->p;
	*len = w->len;
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int read_varint(struct sg_pbr *r, uint64_t *v)
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

int sg_pbr_next(struct sg_pbr *r, struct sg_pbf *f)
{
	uint64_t key, n;

	if (r->p == r->end)
		return 0;
	if (read_varint(r, &key) < 0 || !(key >> 3) || key >> 32)
		return -EBADMSG;
	f->field = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	switch (f->wire) {
	case SG_PB_VARINT:
		return read_varint(r, &f->v) < 0 ? -EBADMSG : 1;
	case SG_PB_I64:
	case SG_PB_I32:
		n = f->wire == SG_PB_I64 ? 8 : 4;
		break;
	case SG_PB_LEN:
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

int sg_pbr_is(const struct sg_pbf *f, unsigned field, unsigned wire)
{
	if (f->field != field)
		return 0;
	return f->wire == wire ? 1 : -EBADMSG;
}

struct sg_pbr sg_pbr_sub(const struct sg_pbf *f)
{
	return (struct sg_pbr){ f->s.p, f->s.p + f->s.len };
}

int sg_pbr_grpc_message(const char *m, size_t len, const char **p, size_t *n)
{
	uint32_t k;

	if (len < 5 || m[0] != 0)
		return -EBADMSG;
	k = (uint32_t)(uint8_t)m[1] << 24 | (uint32_t)(uint8_t)m[2] << 16 |
	    (uint32_t)(uint8_t)m[3] << 8 | (uint8_t)m[4];
	if (k != len - 5)
		return -EBADMSG;
	*p = m + 5;
	*n = k;
	return 0;
}
