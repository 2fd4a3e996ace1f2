/* W3C traceparent: read, written, and a child span made (policy/
 * traceparent.h). */
#include "policy/traceparent.h"

#include <errno.h>
#include <string.h>

static int lower_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 2n lowercase hex digits at s into out[0..n); false on another byte or
 * (nonzero) when every byte is zero. */
static bool read_hex(const char *s, uint8_t *out, size_t n, bool nonzero)
{
	uint8_t any = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = lower_hex(s[2 * i]), lo = lower_hex(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
		any |= out[i];
	}
	return !nonzero || any;
}

int sg_traceparent_parse(const char *s, size_t n, struct sg_trace_ctx *out)
{
	uint8_t version;

	if (n < SG_TRACEPARENT_LEN || !read_hex(s, &version, 1, false) || version == 0xff)
		return -EINVAL;
	if ((version == 0 && n != SG_TRACEPARENT_LEN) ||
	    (n > SG_TRACEPARENT_LEN && s[SG_TRACEPARENT_LEN] != '-'))
		return -EINVAL;
	if (s[2] != '-' || s[35] != '-' || s[52] != '-')
		return -EINVAL;
	if (!read_hex(s + 3, out->trace_id, 16, true) || !read_hex(s + 36, out->span_id, 8, true) ||
	    !read_hex(s + 53, &out->flags, 1, false))
		return -EINVAL;
	return 0;
}

void sg_trace_hex(const uint8_t *id, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * n] = '\0';
}

void sg_traceparent_format(const struct sg_trace_ctx *c, char out[SG_TRACEPARENT_LEN + 1])
{
	memcpy(out, "00-", 3);
	sg_trace_hex(c->trace_id, 16, out + 3);
	out[35] = '-';
	sg_trace_hex(c->span_id, 8, out + 36);
	out[52] = '-';
	sg_trace_hex(&c->flags, 1, out + 53);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void sg_trace_child(const struct sg_trace_ctx *parent, uint64_t r1, uint64_t r2, uint64_t r3,
		    bool sampled, struct sg_trace_ctx *child)
{
	if (parent) {
		memcpy(child->trace_id, parent->trace_id, sizeof(child->trace_id));
	} else {
		put64(child->trace_id, r1);
		put64(child->trace_id + 8, r2 ? r2 : 1);
	}
	put64(child->span_id, r3 ? r3 : 1);
	child->flags = sampled ? SG_TRACE_SAMPLED : 0;
}

bool sg_trace_sampled(double p, uint64_t r)
{
	if (p >= 1.0)
		return true;
	if (p <= 0.0)
		return false;
	return (double)(r >> 11) * 0x1.0p-53 < p;
}
