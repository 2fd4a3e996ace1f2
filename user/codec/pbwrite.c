/* Protobuf's wire format written by hand (the contract is pbwrite.h). */
#include "user/codec/pbwrite.h"

#include <stdlib.h>
#include <string.h>

bool sg_pbw_room(struct sg_pbw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 256;
	char *p;

	if (w->bad)
		return false;
	if (w->len + n <= w->cap)
		return true;
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
	sg_pbw_tag(w, field, SG_PBW_LEN);
	sg_pbw_varint(w, n);
	if (!sg_pbw_room(w, n))
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void sg_pbw_str(struct sg_pbw *w, unsigned field, const char *s)
{
	if (s)
		sg_pbw_bytes(w, field, s, strlen(s));
}

void sg_pbw_uint(struct sg_pbw *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	sg_pbw_tag(w, field, SG_PBW_VARINT);
	sg_pbw_varint(w, v);
}

void sg_pbw_fixed64(struct sg_pbw *w, unsigned field, uint64_t v)
{
	sg_pbw_tag(w, field, SG_PBW_I64);
	if (!sg_pbw_room(w, 8))
		return;
	for (int i = 0; i < 8; i++)
		w->p[w->len++] = (char)(v >> (8 * i));
}

size_t sg_pbw_begin(struct sg_pbw *w, unsigned field)
{
	sg_pbw_tag(w, field, SG_PBW_LEN);
	return w->len;
}

void sg_pbw_end(struct sg_pbw *w, size_t at)
{
	size_t n = w->len - at, k = varint_len(n);

	if (!sg_pbw_room(w, k))
		return;
	memmove(w->p + at + k, w->p + at, n);
	varint_at(w->p + at, n);
	w->len += k;
}

void sg_pbw_grpc_prefix(struct sg_pbw *w)
{
	size_t n = w->len - 5;

	if (w->bad || w->len < 5)
		return;
	w->p[0] = 0; /* not compressed */
	w->p[1] = (char)(n >> 24);
	w->p[2] = (char)(n >> 16);
	w->p[3] = (char)(n >> 8);
	w->p[4] = (char)n;
}
