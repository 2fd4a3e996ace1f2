/* CEL over one request (the context an expression reads, config/cel.h)
 * and transformations at run time: a route's CEL header values (config/
 * transform.h) evaluated over one request, or its response, into header
 * edits. No I/O: the filter plan (user/core/filter.c) applies what this
 * gives. */
#ifndef SG_CELREQ_H
#define SG_CELREQ_H

#include <stddef.h>

#include "config/cfg.h"
#include "user/codec/h1.h"

/* What an expression may read of the request (and of the response once
 * its head came). Spans are borrowed for the call. */
struct sg_celreq_view {
	const char *scheme;
	struct sg_h1_span method, target, host;
	const char *client_ip; /* may be NULL */
	const struct sg_h1_req *req;
	const struct sg_h1_resp *resp; /* NULL before the response */
};

/* Storage the results are copied into, kept as long as the edits that
 * borrow it (the plan's): `n` bytes, a copy of s[0..n) when s is given;
 * NULL when out of memory. */
typedef char *(*sg_celreq_keep_fn)(void *arg, const char *s, size_t n);

/* Evaluate side `s` over `v` into *m: its add and set pairs with the
 * values the expressions gave (an expression that fails, or whose value
 * is no string or number or has a control character, leaves its header
 * alone, as agentgateway does), and its remove names. m's arrays and
 * values are keep's. Returns 0, or -ENOMEM. */
int sg_celreq_headers(const struct sg_transform_side *s, const struct sg_celreq_view *v,
		      struct sg_hdrmod *m, sg_celreq_keep_fn keep, void *arg);

#endif
