/* What the client sees when the gateway, not the backend, answers: the
 * status and exact text/plain body of DESIGN §3, and which failures a retry
 * policy may retry. */
#ifndef SG_FAILURE_H
#define SG_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

enum sg_fail {
	SG_FAIL_NO_ROUTE,	   /* 404 route not found */
	SG_FAIL_NO_BACKEND,	   /* 500 no valid backends */
	SG_FAIL_REQUEST_TIMEOUT,   /* 504 request timeout */
	SG_FAIL_ATTEMPT_TIMEOUT,   /* 504 upstream call timeout (per try) */
	SG_FAIL_CONNECT_TIMEOUT,   /* 504 upstream call timeout */
	SG_FAIL_CONNECT,	   /* 503 upstream call failed: connect: <cause> */
	SG_FAIL_RESET,		   /* 503 upstream call failed: reset: <cause> */
	SG_FAIL_CLOSED,		   /* 503 upstream call failed: closed: <cause> */
	SG_FAIL_BAD_RESPONSE,	   /* 503 upstream call failed: invalid response: <cause> */
	SG_FAIL_BAD_REQUEST,	   /* 400 bad request */
	SG_FAIL_HEAD_TOO_LARGE,	   /* 431 request header fields too large */
	SG_FAIL_HEAD_TIMEOUT,	   /* 408 request header timeout */
	SG_FAIL_BODY_TIMEOUT,	   /* 408 request body timeout */
	SG_FAIL_FILTER,		   /* 500 invalid filter configuration: a route
				  * filter cannot apply to this request */
	SG_FAIL_OVERLOAD,	   /* 503 request limit exceeded (the bind's
				  * maxConcurrentRequests) */
	SG_FAIL_TLS,		   /* 503 upstream call failed: tls: <cause> */
	SG_FAIL_MISDIRECTED,	   /* 421 misdirected request: an HTTPS request whose
				  * Host another listener of the port takes than
				  * the one its handshake's SNI chose */
	SG_FAIL_URI_TOO_LONG,	   /* 414 uri too long: a request line longer than
				  * the most a head may be */
	SG_FAIL_RATE_LIMIT,	   /* 429 rate limit exceeded: a route's
				  * localRateLimit has no token left */
	SG_FAIL_CSRF,		   /* 403 CSRF validation failed */
	SG_FAIL_JWT,		   /* 401 authentication failure: <cause>: jwtAuth
				  * refused the request's token, or it had none
				  * (strict) */
	SG_FAIL_APIKEY,		   /* 401 api key authentication failure: <cause> */
	SG_FAIL_BASIC,		   /* 401 basic authentication failure: <cause> */
	SG_FAIL_BASIC_PROXY,	   /* 407 the same, credentials read from
				    * Proxy-Authorization */
	SG_FAIL_EXT_AUTHZ,	   /* 403 external authorization failed: the
				  * authorization service could not decide
				  * (failureMode deny) */
	SG_FAIL_EXT_AUTHZ_BODY,	   /* 413 external authorization failed: the body
				  * is over includeRequestBody's bound */
	SG_FAIL_RATE_LIMIT_FAILED, /* 500 rate limit failed: the rate limit
				    * service could not decide (failureMode
				    * failClosed) */
	SG_FAIL_AUTHZ,		   /* 403 authorization failed: a route's
				  * authorization rules refused the request */
	SG_FAIL_OIDC,		   /* 400 oidc failure: <cause>: an OIDC login's
				  * callback or transaction is not one the
				  * gateway started (csrf, nonce, expired) */
	SG_FAIL_OIDC_ERROR,	   /* 500 oidc failure: <cause>: the code exchange
				  * or the ID token failed */
	/* A tunnelProtocol: connect bind's refusals (agentgateway's) */
	SG_FAIL_NOT_CONNECT,	/* 405 method not allowed: not a CONNECT */
	SG_FAIL_CONNECT_TARGET, /* 400 invalid request: no host:port */
	SG_FAIL_BIND_NOT_FOUND, /* 404 bind not found: no bind on that port */
	/* backendAuth oauthTokenExchange's (agentgateway's): */
	SG_FAIL_INVALID_REQUEST, /* 400 invalid request: no subject token, or
				  * the token endpoint refused it (4xx) */
	SG_FAIL_BACKEND_AUTH,	 /* 500 backend authentication failed: <cause>:
				  * the token endpoint failed */
	SG_FAIL_PROCESSING,	 /* 503 processing failed: <cause>: an a2a route's
			     * agent card that is no card */
	SG_FAIL_BODY_TOO_LARGE,	 /* 413 payload too large: a route whose
				 * expressions read the body got one over
				 * maxBufferSize */
	SG_FAIL_BODIES_HELD,	 /* 503 too many bodies held for this
				  * client: its address's bodies held for
				  * routes' expressions would pass
				  * SG_REQUEST_SOURCE_HELD maxBufferSizes (the
				  * last kind: user/core/stats.h counts to it) */
};

uint16_t sg_fail_status(enum sg_fail kind);
/* A short name for `kind` ("connect", "attempt_timeout"): the metrics'
 * label value and the access log's reason=. */
const char *sg_fail_name(enum sg_fail kind);
/* The body (no trailing newline) into buf; `cause` completes the 503/502
 * texts (e.g. strerror of the socket error). Returns buf. */
const char *sg_fail_body(enum sg_fail kind, const char *cause, char *buf, size_t len);
/* A cause that is not an errno value: a backend's name did not resolve,
 * getaddrinfo()'s EAI_* code `gai` as SG_FAIL_DNS(gai) (in errno's place,
 * so that it travels wherever a socket error does). */
#define SG_FAIL_DNS_BASE 0x10000
#define SG_FAIL_DNS(gai) (SG_FAIL_DNS_BASE - (gai)) /* EAI_* codes are negative */
/* The gateway's own: its resolver holds as many lookups as it may (no
 * EAI_* code is this low). */
#define SG_FAIL_DNS_BUSY SG_FAIL_DNS(-1000)

/* The cause a 503 body names for socket error `err` (0: the backend closed
 * before response headers; SG_FAIL_DNS(..): "dns: " and the resolver's
 * text): a short fixed text, or strerror's. */
const char *sg_fail_cause(int err);
/* Connection failures and backend timeouts may be retried; the request
 * timeout and the gateway's own 4xx never are. */
bool sg_fail_retryable(enum sg_fail kind);
/* gRPC callers get the gateway's failures as gRPC statuses (agentgateway's
 * into_response_with_grpc): HTTP 200, content-type application/grpc,
 * grpc-status and a percent-encoded grpc-message, no body. */

/* A gRPC request: its Content-Type (v[0..len), NULL: none) is
 * application/grpc or application/grpc+<subtype>, parameters aside. */
bool sg_grpc_request(const char *v, size_t len);
/* The grpc-status for failure `kind`: gRPC's HTTP-to-status table over
 * its HTTP status (400 INTERNAL 13, 404 UNIMPLEMENTED 12, 503 and 504
 * UNAVAILABLE 14, others UNKNOWN 2), except that no valid backend is
 * UNAVAILABLE too (Gateway API's 500 is for HTTP callers). */
unsigned sg_fail_grpc_status(enum sg_fail kind);
/* msg percent-encoded as grpc-message (controls, space, '%' and every
 * non-ASCII byte as %XX) into out[0..cap), NUL-terminated, cut at a whole
 * escape when cap is short. Returns out. */
const char *sg_grpc_message(const char *msg, char *out, size_t cap);

/* A response status the route's retry policy lists. */
bool sg_retry_on_status(const struct sg_retry *r, uint16_t status);

#endif
