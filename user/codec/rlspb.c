/* Envoy's RateLimitRequest written and RateLimitResponse read in
 * protobuf's wire format (the contract is rlspb.h). Field numbers are
 * those of envoy/service/ratelimit/v3/rls.proto, envoy/extensions/common/
 * ratelimit/v3/ratelimit.proto, envoy/config/core/v3/base.proto and
 * google/protobuf/duration.proto. */
#include "user/codec/rlspb.h"

#include <errno.h>
#include <string.h>

#include "user/codec/pbwire.h"

int sg_rlspb_request(const char *domain, const struct sg_rlspb_descriptor *d, size_t n, char **out,
		     size_t *len)
{
	struct sg_pbw w = { 0 };

	if (sg_pbw_grpc_begin(&w) < 0)
		return -ENOMEM;
	sg_pbw_str(&w, 1, domain);
	for (size_t i = 0; i < n; i++) { /* RateLimitDescriptor {entries = 1} */
		size_t at = sg_pbw_begin(&w, 2);

		for (size_t k = 0; k < d[i].nentries; k++) { /* Entry {key = 1, value = 2} */
			size_t e = sg_pbw_begin(&w, 1);

			sg_pbw_span(&w, 1, d[i].entries[k].key);
			sg_pbw_span(&w, 2, d[i].entries[k].value);
			sg_pbw_end(&w, e);
		}
		sg_pbw_end(&w, at);
	}
	return sg_pbw_grpc_done(&w, out, len);
}

/* HeaderValue {key = 1, value = 2, raw_value = 3}, added to list[*n]. */
static int header(struct sg_pbr r, struct sg_h1_header *list, size_t *n)
{
	struct sg_h1_header h = { 0 };
	struct sg_pbf f;
	int rc;

	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field < 1 || f.field > 3)
			continue;
		if (f.wire != SG_PB_LEN)
			return -EBADMSG;
		if (f.field == 1)
			h.name = f.s;
		else if (f.field == 3 || !h.value.len)
			h.value = f.s;
	}
	if (rc < 0)
		return rc;
	/* written into the request or the response as it is */
	if (!sg_h1_field_ok(h.name, h.value))
		return -EBADMSG;
	if (*n == SG_RLSPB_MAX_HEADERS)
		return -E2BIG;
	list[(*n)++] = h;
	return 0;
}

/* A message of varint fields: field `want` into *v (absent: unchanged). */
static int varint_of(struct sg_pbr r, unsigned want, uint64_t *v)
{
	struct sg_pbf f;
	int rc, k;

	while ((rc = sg_pbr_next(&r, &f)) > 0)
		if ((k = sg_pbr_is(&f, want, SG_PB_VARINT)) != 0) {
			if (k < 0)
				return k;
			*v = f.v;
		}
	return rc;
}

/* DescriptorStatus {code = 1, current_limit = 2: RateLimit
 * {requests_per_unit = 1, unit = 2, name = 3}, limit_remaining = 3,
 * duration_until_reset = 4: Duration {seconds = 1, nanos = 2}}: kept
 * when it is the most constrained so far. */
static int status(struct sg_pbr r, struct sg_rlspb_response *out)
{
	struct sg_pbf f;
	bool has = false;
	uint64_t limit = 0, remaining = 0, reset = 0;
	int rc, k;

	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field == 2 || f.field == 4) {
			if (f.wire != SG_PB_LEN)
				return -EBADMSG;
			k = varint_of(sg_pbr_sub(&f), 1, f.field == 2 ? &limit : &reset);
			if (k < 0)
				return k;
			has |= f.field == 2;
		} else if ((k = sg_pbr_is(&f, 3, SG_PB_VARINT)) != 0) {
			if (k < 0)
				return k;
			remaining = f.v;
		} else if ((k = sg_pbr_is(&f, 1, SG_PB_VARINT)) < 0) {
			return k;
		}
	}
	if (rc < 0)
		return rc;
	if (has && (!out->has_limit || (uint32_t)remaining < out->remaining)) {
		out->has_limit = true;
		out->limit = (uint32_t)limit;
		out->remaining = (uint32_t)remaining;
		out->reset_s = (int64_t)reset < 0 ? 0 : reset; /* int64 seconds */
	}
	return 0;
}

int sg_rlspb_response(const char *p, size_t len, struct sg_rlspb_response *out)
{
	struct sg_pbr r = { p, p + len };
	struct sg_pbf f;
	int rc, k = 0;

	memset(out, 0, sizeof(*out));
	while ((rc = sg_pbr_next(&r, &f)) > 0) {
		if (f.field == 1) {
			if (f.wire != SG_PB_VARINT)
				return -EBADMSG;
			out->code = (uint32_t)f.v;
			continue;
		}
		if (f.field < 2 || f.field > 5)
			continue; /* dynamic_metadata, quota, and what later versions add */
		if (f.wire != SG_PB_LEN)
			return -EBADMSG;
		if (f.field == 2)
			k = status(sg_pbr_sub(&f), out);
		else if (f.field == 3)
			k = header(sg_pbr_sub(&f), out->response, &out->nresponse);
		else if (f.field == 4)
			k = header(sg_pbr_sub(&f), out->request, &out->nrequest);
		else
			out->body = f.s;
		if (k < 0)
			return k;
	}
	return rc < 0 ? rc : 0;
}
