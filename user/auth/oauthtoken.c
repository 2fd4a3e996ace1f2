/* An OAuth token endpoint's answer read (the contract is oauthtoken.h). */
#include "user/auth/oauthtoken.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/failure.h"
#include "policy/status.h"
#include "user/base/base64url.h"
#include "user/base/json.h"

/* A token is not used this close to its expiry (agentgateway's margin). */
#define SAFETY_S 15

/* RFC 6749 A.12's VSCHAR, every byte of s: what an access token is. */
static bool vschars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

int sg_oauth_token_answer(uint16_t status, const char *body, const char *requested, char **token,
			  int64_t *expires_in, char *why, size_t cap)
{
	struct sg_json *j, *v;
	const char *s;
	double d;
	int rc = SG_FAIL_BACKEND_AUTH;

	*token = NULL;
	*expires_in = -1;
	if (status < 200 || status > 299) {
		const char *reason = sg_status_reason(status);

		snprintf(why, cap, "token exchange returned status %u %s", status,
			 reason ? reason : "<unknown status code>");
		/* 401 and 403 say the gateway's own credentials failed */
		return status >= 400 && status < 500 && status != 401 && status != 403
			       ? SG_FAIL_INVALID_REQUEST
			       : SG_FAIL_BACKEND_AUTH;
	}
	if (!(j = sg_json_parse(body)) || sg_json_type(j) != SG_JSON_OBJECT) {
		snprintf(why, cap, "token exchange response decode failed: not a JSON object");
		sg_json_free(j);
		return rc;
	}
	s = sg_json_str(sg_json_get(j, "access_token"));
	if (!s)
		snprintf(why, cap,
			 "token exchange response decode failed: missing field "
			 "`access_token`");
	else if (!(v = sg_json_get(j, "token_type")) || !sg_json_str(v))
		snprintf(why, cap, "token exchange response missing token_type");
	else if (strcasecmp(sg_json_str(v), "Bearer"))
		snprintf(why, cap, "token exchange returned unsupported token_type: %.64s",
			 sg_json_str(v));
	else if (requested && (v = sg_json_get(j, "issued_token_type")) && sg_json_str(v) &&
		 strcmp(sg_json_str(v), requested))
		snprintf(why, cap, "token exchange returned issued_token_type %.96s, expected %s",
			 sg_json_str(v), requested);
	else if (!*s)
		snprintf(why, cap, "token exchange response contained an empty access_token");
	else if (!vschars(s))
		/* it goes into an Authorization header as it is */
		snprintf(why, cap,
			 "token exchange response's access_token holds a byte outside "
			 "%%x20-7E (RFC 6749 A.12)");
	else if ((*token = strdup(s)))
		rc = 0;
	else
		snprintf(why, cap, "out of memory");
	if (rc == 0 && sg_json_num(sg_json_get(j, "expires_in"), &d) == 0 && d >= 0)
		*expires_in = (int64_t)(d < 1e12 ? d : 1e12); /* past any cache's life */
	sg_json_free(j);
	return rc;
}

/* The subject's exp, when it is a JWT that has one; 0: none. */
static uint64_t jwt_exp(const char *s, size_t len)
{
	const char *a = memchr(s, '.', len), *b;
	uint8_t buf[4096];
	struct sg_json *j;
	ssize_t n;
	double d = 0;

	if (!a || !(b = memchr(a + 1, '.', len - (size_t)(a + 1 - s))))
		return 0;
	n = sg_base64url_decode(a + 1, (size_t)(b - a - 1), buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	j = sg_json_parse((const char *)buf);
	if (!j || sg_json_num(sg_json_get(j, "exp"), &d) != 0 || d < 0)
		d = 0;
	sg_json_free(j);
	return d < 1e12 ? (uint64_t)d : 0; /* a time past any clock: none */
}

uint64_t sg_oauth_token_keep_ms(int64_t expires_in, uint64_t default_ms, const char *subject,
				size_t len, uint64_t now_s)
{
	uint64_t until_ms = expires_in >= 0 ? (uint64_t)expires_in * 1000 : default_ms;
	uint64_t exp = jwt_exp(subject, len);

	if (exp && (exp <= now_s || (exp - now_s) * 1000 < until_ms))
		until_ms = exp > now_s ? (exp - now_s) * 1000 : 0;
	return until_ms > SAFETY_S * 1000 ? until_ms - SAFETY_S * 1000 : 0;
}
