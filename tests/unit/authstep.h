/* For the authentication tests (test_apikey, test_htpasswd): one request
 * with at most one header, `auth_header: auth_value`, through the filter
 * plan of the first route of a config, as a frontend would plan it. */
#ifndef SG_TEST_AUTHSTEP_H
#define SG_TEST_AUTHSTEP_H

#include <string.h>
#include <strings.h>

#include "config/cfg.h"
#include "user/core/authn.h"
#include "user/core/filter.h"

static const char *auth_header, *auth_value;

static const char *auth_lookup(void *ctx, const char *name, size_t *len)
{
	if (!auth_value || strcasecmp(name, auth_header))
		return NULL;
	*len = strlen(auth_value);
	return auth_value;
}

/* The plan p (reset first) of GET / with `value` (NULL: no header) for c's
 * first route, the request's authentication state in a. */
static enum sg_filter_result auth_step(const struct sg_cfg *c, struct sg_authn *a,
				       struct sg_filter_plan *p, const char *value)
{
	struct sg_filter_input in = {
		.scheme = "http",
		.method = { "GET", 3 },
		.target = { "/", 1 },
		.header = auth_lookup,
		.authn = a,
	};

	auth_value = value;
	sg_filter_plan_reset(p);
	return sg_filter_plan_request(p, &c->binds[0].listeners[0].routes[0].eff_filters, &in);
}

#endif
