/* An OAuth token endpoint's answer (RFC 6749 §5.1, RFC 8693 §2.2), read
 * as agentgateway's backendAuth oauthTokenExchange reads it, and how long
 * its token may be kept (user/core/tokenx.c). No I/O. */
#ifndef SG_OAUTHTOKEN_H
#define SG_OAUTHTOKEN_H

#include <stddef.h>
#include <stdint.h>

/* The answer `status` with NUL-terminated `body`: 0 with the access
 * token (malloc'd, the caller's) and its lifetime in s (-1: not given),
 * or SG_FAIL_INVALID_REQUEST (a 4xx but 401 and 403) or
 * SG_FAIL_BACKEND_AUTH (policy/failure.h) with why in why[0..cap)
 * (agentgateway's words: "token exchange returned status 401
 * Unauthorized"). Only a Bearer token_type is taken; requested: the
 * requested_token_type asked for (NULL: none), which issued_token_type,
 * when given, must be. */
int sg_oauth_token_answer(uint16_t status, const char *body, const char *requested, char **token,
			  int64_t *expires_in, char *why, size_t cap);

/* How long (ms) a token may be kept from now_s (Unix seconds): until 15 s
 * before it expires (expires_in s, else default_ms), never past the
 * subject[0..len)'s JWT exp when it is a JWT with one; 0: not at all. */
uint64_t sg_oauth_token_keep_ms(int64_t expires_in, uint64_t default_ms, const char *subject,
				size_t len, uint64_t now_s);

#endif
