/* For the unit tests that read protobuf's wire format back as a peer
 * would (test_otlppb, test_trace): a message walked field by field, no
 * schema. Include after cmocka.h. */
#ifndef SG_TEST_PBREAD_H
#define SG_TEST_PBREAD_H

#include <stddef.h>
#include <stdint.h>

/* A field read back: number, wire type, varint or fixed value, bytes. */
struct fld {
	unsigned f, w;
	uint64_t v;
	const uint8_t *p;
	size_t n;
};

static inline size_t rd_varint(const uint8_t *p, size_t i, size_t end, uint64_t *v)
{
	unsigned s = 0;

	*v = 0;
	while (i < end) {
		*v |= (uint64_t)(p[i] & 0x7f) << s;
		s += 7;
		if (!(p[i++] & 0x80))
			return i;
	}
	fail_msg("varint runs past the message");
	return end;
}

/* The fields of message p[0..n) into out (at most cap); returns how many. */
static inline size_t walk(const uint8_t *p, size_t n, struct fld *out, size_t cap)
{
	size_t i = 0, k = 0;

	while (i < n && k < cap) {
		uint64_t key, len;
		struct fld *f = &out[k++];

		i = rd_varint(p, i, n, &key);
		*f = (struct fld){ .f = (unsigned)(key >> 3), .w = (unsigned)(key & 7) };
		switch (f->w) {
		case 0:
			i = rd_varint(p, i, n, &f->v);
			break;
		case 1:
		case 5:
			for (unsigned b = 0; b < (f->w == 1 ? 8u : 4u); b++)
				f->v |= (uint64_t)p[i + b] << (8 * b);
			i += f->w == 1 ? 8 : 4;
			break;
		case 2:
			i = rd_varint(p, i, n, &len);
			f->p = p + i;
			f->n = (size_t)len;
			i += (size_t)len;
			break;
		default:
			fail_msg("wire type %u", f->w);
		}
	}
	assert_int_equal(i, n);
	return k;
}

/* The first field numbered f of out[0..k). */
static inline const struct fld *field(const struct fld *out, size_t k, unsigned f)
{
	for (size_t i = 0; i < k; i++)
		if (out[i].f == f)
			return &out[i];
	fail_msg("no field %u", f);
	return NULL;
}

#endif
