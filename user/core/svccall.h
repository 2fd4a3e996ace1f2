/* What the calls to policy services (extAuthz's, user/core/authzcall.c;
 * remoteRateLimit's, user/core/rlcall.c; span exports, user/core/trace.c) share: which header names a
 * service never sets, a grpc-status's value, feeding a request body held
 * whole to an exchange, and an HTTP extAuthz check's head set line by
 * line. No I/O. */
#ifndef SG_SVCCALL_H
#define SG_SVCCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "user/codec/h1.h"
#include "user/codec/h2head.h"

/* Whether header `name` is one the gateway owns (framing, hop-by-hop,
 * Host, pseudo-headers, the empty name): never taken from a service. */
bool sg_svc_owned(struct sg_h1_span name);

/* An HTTP check request's head as agentgateway's check_http makes it:
 * its method, target, authority (the Host it sends) and header lines
 * lines[0..n) (at most cap; names and values borrowed). */
struct sg_svc_check {
	struct sg_h1_span method, target, authority;
	struct sg_h1_header *lines;
	size_t n, cap;
};

/* Whether t is an origin-form target: "/" then no space or control
 * byte. */
bool sg_svc_origin_form(struct sg_h1_span t);

/* Set `name` on c, as agentgateway's OverwriteIfExistsOrAdd: a
 * pseudo-header sets that part of the head (:method to a method token,
 * :path to an origin-form target, :authority, and "host" alike, to an
 * authority; a value that is none of these, or value.p NULL, leaves it;
 * :scheme and :status change nothing on an HTTP/1.1 check); another name's
 * lines are replaced by `name: value` (value.p NULL, or a value with a
 * control byte: removed, as a value that failed is). Other names the gateway owns (sg_svc_owned) are left
 * alone. False: no room for the line. */
bool sg_svc_check_set(struct sg_svc_check *c, struct sg_h1_span name, struct sg_h1_span value);

/* A grpc-status value p[0..len): 0..99, or -1 when it is not one. */
int sg_svc_grpc_status(const char *p, size_t len);

/* The grpc-status a response head carries (its number, or -1 when it
 * is not one), or `cur` when it carries none. */
int sg_svc_grpc_in_head(const struct sg_h1_resp *resp, int cur);

/* The same among trailers t[0..n). */
int sg_svc_grpc_in_trailers(const struct sg_h2_field *t, size_t n, int cur);

/* The next bytes of body[0..len) from *off into buf[0..cap) (an
 * exchange's body callback): how many, *off moved on, *eof once all
 * went. */
ssize_t sg_svc_body(const char *body, size_t len, size_t *off, char *buf, size_t cap, bool *eof);

#endif
