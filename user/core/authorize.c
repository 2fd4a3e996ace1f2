/* Authorization rules over one request or one new connection (the
 * contract is authorize.h). */
#include "user/core/authorize.h"

#include <string.h>

#include "policy/authz.h"
#include "user/core/celreq.h"

enum sg_filter_result sg_authz_request(struct sg_filter_plan *p, const struct sg_authz *a,
				       const struct sg_filter_input *in)
{
	struct sg_celreq_view v;
	struct sg_celreq c;
	bool ok;

	sg_celreq_view_of(&v, in, NULL);
	sg_celreq_begin(&c, &v);
	ok = sg_authz_allows(&a, 1, &c.run);
	sg_celreq_end(&c);
	if (ok)
		return SG_FILTER_FORWARD;
	p->refusal = SG_FAIL_AUTHZ;
	return SG_FILTER_REFUSED;
}

/* A connection's source, the only context networkAuthorization has. */
struct source {
	const char *ip;
	uint16_t port;
};

static bool source_attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	const struct source *s = ud;

	if (a == SG_CEL_SRC_ADDRESS || a == SG_CEL_SRC_RAW_ADDRESS) {
		*out = (struct sg_cel_val){ .type = SG_CEL_STRING, .s = { s->ip, strlen(s->ip) } };
		return true;
	}
	if (a == SG_CEL_SRC_PORT || a == SG_CEL_SRC_RAW_PORT) {
		*out = (struct sg_cel_val){ .type = SG_CEL_INT, .i = s->port };
		return true;
	}
	return false;
}

bool sg_authz_connection(const struct sg_authz *a, const char *ip, uint16_t port)
{
	struct source s = { ip, port };
	struct sg_cel_ctx ctx = { .ud = &s, .attr = source_attr, .seed = port };
	struct sg_cel_run run;
	bool ok;

	sg_cel_run_init(&run, &ctx);
	ok = sg_authz_allows(&a, 1, &run);
	sg_cel_run_done(&run);
	return ok;
}
