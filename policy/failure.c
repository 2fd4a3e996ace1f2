/* Error -> status/body mapping and retry eligibility. Pure. */
#include "policy/failure.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct fail_info {
	uint16_t status;
	const char *text; /* followed by the cause when it ends in ": " */
	bool retryable;
};

static const struct fail_info infos[] = {
	[SG_FAIL_NO_ROUTE] = { 404, "route not found", false },
	[SG_FAIL_NO_BACKEND] = { 500, "no valid backends", false },
	[SG_FAIL_REQUEST_TIMEOUT] = { 504, "request timeout", false },
	[SG_FAIL_ATTEMPT_TIMEOUT] = { 504, "upstream call timeout", true },
	[SG_FAIL_CONNECT_TIMEOUT] = { 504, "upstream call timeout", true },
	[SG_FAIL_CONNECT] = { 503, "upstream call failed: connect: ", true },
	[SG_FAIL_RESET] = { 503, "upstream call failed: reset: ", true },
	[SG_FAIL_CLOSED] = { 503, "upstream call failed: closed: ", true },
	[SG_FAIL_BAD_RESPONSE] = { 503, "upstream call failed: invalid response: ", true },
	[SG_FAIL_BAD_REQUEST] = { 400, "bad request", false },
	[SG_FAIL_HEAD_TOO_LARGE] = { 431, "request header fields too large", false },
	[SG_FAIL_HEAD_TIMEOUT] = { 408, "request header timeout", false },
	[SG_FAIL_BODY_TIMEOUT] = { 408, "request body timeout", false },
	[SG_FAIL_FILTER] = { 500, "invalid filter configuration", false },
};

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

const char *sg_fail_cause(int err)
{
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
