/* External authorization (a route's extAuthz): before a request's first
 * try, the authorization service is asked about it over gRPC (Envoy's
 * envoy.service.auth.v3.Authorization/Check, on the worker's shared HTTP/2
 * backend connections) or HTTP/1.1 (the request's method, path and chosen
 * headers, on a connection the worker keeps for the service's next
 * checks; a service may listen on a unix socket), on the worker's loop:
 * the request waits, nothing else does. Its answer, as agentgateway applies it: an
 * allowed request gets the headers the service adds (and loses those it
 * removes), its response the lines the service adds; a denied one is
 * answered with the service's status, headers and body (gRPC: 403 when it
 * names none); a service that cannot be asked or answers nothing usable
 * within the timeout is the failureMode's (deny: 403 "external
 * authorization failed"). The HTTP protocol's CEL shapes the question
 * (http.path, http.body, addRequestHeaders, whose pseudo-headers set the
 * check's method, path and Host; a path or body that fails is 403), a
 * 401 or 403 with http.redirect becomes a 302 there, and an allowing
 * answer's http.metadata (CEL over it) is CEL's `extauthz` after it; a
 * Check call carries grpc.metadata's values (or the verified JWT's
 * claims) as its metadata_context. With a cache, the
 * answer agentgateway keeps (any CheckResponse; HTTP 2xx, 401, 403) is
 * kept under the request's key (user/auth/authzcache.h) and replayed
 * through the same verdict to requests of that key until its ttl. */
#ifndef SG_AUTHZCALL_H
#define SG_AUTHZCALL_H

#include "config/cfg.h"

struct sg_request;
struct sg_extauthz;
struct sg_pool;

/* Ask x about r (routed, its plan made; its first try not begun). Returns
 * the call under way (the request module keeps it, then hears the verdict
 * through sg_request_authorized / sg_request_answer / sg_request_fail), or
 * NULL when the verdict came at once (the call could not be made and the
 * failure mode decided, or the body is over the bound): r was then told
 * already. */
struct sg_extauthz *sg_extauthz_start(struct sg_request *r, const struct sg_ext_authz *x);

/* The call's request is over before a verdict (its client left, it timed
 * out): the call stops, nothing is heard of it again. NULL: nothing. */
void sg_extauthz_cancel(struct sg_extauthz *z);

/* The config changed: the HTTP services' idle connections in the
 * worker's `pool` close (the next checks connect to the services the new
 * config names). */
void sg_extauthz_reloaded(struct sg_pool *pool);

#endif
