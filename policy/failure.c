/* Error -> status/body mapping and retry eligibility. Pure. */
#include "policy/failure.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/pct.h"

struct fail_info {
	uint16_t status;
	const char *text; /* followed by the cause when it ends in ": " */
	bool retryable;
	const char *name; /* metrics' label and the access log's reason */
};

static const struct fail_info infos[] = {
	[SG_FAIL_NO_ROUTE] = { 404, "route not found", false, "no_route" },
	[SG_FAIL_NO_BACKEND] = { 500, "no valid backends", false, "no_backend" },
	[SG_FAIL_REQUEST_TIMEOUT] = { 504, "request timeout", false, "request_timeout" },
	[SG_FAIL_ATTEMPT_TIMEOUT] = { 504, "upstream call timeout", true, "attempt_timeout" },
	[SG_FAIL_CONNECT_TIMEOUT] = { 504, "upstream call timeout", true, "connect_timeout" },
	[SG_FAIL_CONNECT] = { 503, "upstream call failed: connect: ", true, "connect" },
	[SG_FAIL_RESET] = { 503, "upstream call failed: reset: ", true, "reset" },
	[SG_FAIL_CLOSED] = { 503, "upstream call failed: closed: ", true, "closed" },
	[SG_FAIL_BAD_RESPONSE] = { 503, "upstream call failed: invalid response: ", true,
				   "invalid_response" },
	[SG_FAIL_BAD_REQUEST] = { 400, "bad request", false, "bad_request" },
	[SG_FAIL_HEAD_TOO_LARGE] = { 431, "request header fields too large", false,
				     "head_too_large" },
	[SG_FAIL_HEAD_TIMEOUT] = { 408, "request header timeout", false, "head_timeout" },
	[SG_FAIL_BODY_TIMEOUT] = { 408, "request body timeout", false, "body_timeout" },
	[SG_FAIL_FILTER] = { 500, "invalid filter configuration", false, "filter" },
	/* agentgateway's ProxyError::RequestLimitExceeded */
	[SG_FAIL_OVERLOAD] = { 503, "request limit exceeded", false, "overload" },
	[SG_FAIL_TLS] = { 503, "upstream call failed: tls: ", true, "tls" },
	[SG_FAIL_MISDIRECTED] = { 421, "misdirected request", false, "misdirected" },
	[SG_FAIL_URI_TOO_LONG] = { 414, "uri too long", false, "uri_too_long" },
	/* agentgateway's ProxyError::RateLimitExceeded */
	[SG_FAIL_RATE_LIMIT] = { 429, "rate limit exceeded", false, "rate_limit" },
	/* agentgateway's ProxyError::CsrfValidationFailed */
	[SG_FAIL_CSRF] = { 403, "CSRF validation failed", false, "csrf" },
	/* agentgateway's ProxyError::JwtAuthenticationFailure */
	[SG_FAIL_JWT] = { 401, "authentication failure: ", false, "jwt" },
	/* agentgateway's ProxyError::APIKeyAuthenticationFailure */
	[SG_FAIL_APIKEY] = { 401, "api key authentication failure: ", false, "apikey" },
	/* agentgateway's ProxyError::BasicAuthenticationFailure */
	[SG_FAIL_BASIC] = { 401, "basic authentication failure: ", false, "basic" },
	/* the same addressed to the gateway as a forward proxy (its is_proxy) */
	[SG_FAIL_BASIC_PROXY] = { 407, "basic authentication failure: ", false, "basic_proxy" },
	/* agentgateway's ProxyError::ExternalAuthorizationFailed */
	[SG_FAIL_EXT_AUTHZ] = { 403, "external authorization failed", false, "ext_authz" },
	[SG_FAIL_EXT_AUTHZ_BODY] = { 413, "external authorization failed", false,
				     "ext_authz_body" },
	/* agentgateway's ProxyError::RateLimitFailed */
	[SG_FAIL_RATE_LIMIT_FAILED] = { 500, "rate limit failed", false, "rate_limit_failed" },
	/* agentgateway's ProxyError::AuthorizationFailed */
	[SG_FAIL_AUTHZ] = { 403, "authorization failed", false, "authorization" },
	/* agentgateway's ProxyError::OidcFailure: 400 for a callback it did
	 * not start, 500 for a provider that failed it */
	[SG_FAIL_OIDC] = { 400, "oidc failure: ", false, "oidc" },
	[SG_FAIL_OIDC_ERROR] = { 500, "oidc failure: ", false, "oidc_error" },
	/* agentgateway's ProxyError::MethodNotAllowed, InvalidRequest and
	 * BindNotFound, from its CONNECT tunnel */
	[SG_FAIL_NOT_CONNECT] = { 405, "method not allowed", false, "not_connect" },
	[SG_FAIL_CONNECT_TARGET] = { 400, "invalid request", false, "connect_target" },
	[SG_FAIL_BIND_NOT_FOUND] = { 404, "bind not found", false, "bind_not_found" },
	/* agentgateway's ProxyError::InvalidRequest and
	 * BackendAuthenticationFailed, from backendAuth oauthTokenExchange */
	[SG_FAIL_INVALID_REQUEST] = { 400, "invalid request", false, "invalid_request" },
	[SG_FAIL_BACKEND_AUTH] = { 500, "backend authentication failed: ", false, "backend_auth" },
	/* agentgateway's ProxyError::Processing, from its a2a policy */
	[SG_FAIL_PROCESSING] = { 503, "processing failed: ", false, "processing" },
	[SG_FAIL_BODY_TOO_LARGE] = { 413, "payload too large", false, "body_too_large" },
	[SG_FAIL_BODIES_HELD] = { 503, "too many bodies held for this client", false,
				  "bodies_held" },
};

const char *sg_fail_name(enum sg_fail kind)
{
	return infos[kind].name;
}

uint16_t sg_fail_status(enum sg_fail kind)
{
	return infos[kind].status;
}

const char *sg_fail_body(enum sg_fail kind, const char *cause, char *buf, size_t len)
{
	const char *text = infos[kind].text;
	size_t n = strlen(text);
	bool with_cause = n > 2 && text[n - 2] == ':' && text[n - 1] == ' ';

	snprintf(buf, len, "%s%s", text, with_cause ? (cause ? cause : "unknown") : "");
	return buf;
}

/* A failed name lookup's cause, by getaddrinfo()'s code. */
static const char *dns_cause(int gai)
{
	switch (gai) {
	case EAI_NONAME:
		return "dns: name does not resolve";
	case EAI_AGAIN:
		return "dns: no answer from a name server (temporary failure)";
	case EAI_FAIL:
		return "dns: the name server failed";
	case EAI_MEMORY:
		return "dns: out of memory";
	case SG_FAIL_DNS_BASE - SG_FAIL_DNS_BUSY:
		return "dns: too many lookups waiting";
	default:
		return "dns: lookup failed";
	}
}

const char *sg_fail_cause(int err)
{
	if (err > SG_FAIL_DNS_BASE)
		return dns_cause(SG_FAIL_DNS_BASE - err);
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection reset by peer";
	case EPIPE:
		return "broken pipe";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case 0:
		return "connection closed before response headers";
	default:
		return strerror(err);
	}
}

bool sg_fail_retryable(enum sg_fail kind)
{
	return infos[kind].retryable;
}

bool sg_retry_on_status(const struct sg_retry *r, uint16_t status)
{
	for (size_t i = 0; i < r->codes.n; i++)
		if (r->codes.v[i] == status)
			return true;
	return false;
}

bool sg_grpc_request(const char *v, size_t len)
{
	size_t end = 0;

	if (!v)
		return false;
	while (end < len && v[end] != ';')
		end++;
	while (len && end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	while (end && (*v == ' ' || *v == '\t')) {
		v++;
		end--;
	}
	if (end < 16 || strncasecmp(v, "application/grpc", 16) != 0)
		return false;
	return end == 16 || (v[16] == '+' && end > 17);
}

unsigned sg_fail_grpc_status(enum sg_fail kind)
{
	if (kind == SG_FAIL_NO_BACKEND)
		return 14;
	switch (sg_fail_status(kind)) {
	case 400:
		return 13;
	case 401:
	case 407:
		return 16;
	case 403:
		return 7;
	case 404:
		return 12;
	case 429:
	case 502:
	case 503:
	case 504:
		return 14;
	default:
		return 2;
	}
}

const char *sg_grpc_message(const char *msg, char *out, size_t cap)
{
	size_t n = 0;

	sg_pct_append(out, cap, &n, msg, strlen(msg), SG_PCT_GRPC);
	return out;
}
