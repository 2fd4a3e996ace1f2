/* Fuzz target: what an a2a route reads of JSON it did not write (user/core/
 * a2a.c) and what a backendAuth token exchange reads of its token
 * endpoint (user/auth/oauthtoken.c). The input is an agent card, a call
 * or an answer: rewritten as a card, a v1.0 card's every interface is
 * under the gateway's base and the result is JSON again (a second
 * rewrite keeps it); read as a call or an answer, the log fields are
 * NUL-terminated within their bounds; read as a token endpoint's answer,
 * a token is given exactly when the answer is a 2xx, and is not empty. */
#include <string.h>

#include "policy/failure.h"
#include "tests/fuzz/fuzz.h"
#include "user/auth/oauthtoken.h"
#include "user/core/a2a.h"

/* the gateway serves the agent at its own path: a rewrite is then stable */
#define GW "https://gw.example:8443/w"

static void card(const char *s, size_t n)
{
	const char *why = NULL, *why2 = NULL;
	char *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (sg_a2a_card(s, n, GW, "/w", &out, &len, &why) != 0) {
		FUZZ_CHECK(why && *why && !out);
		return;
	}
	FUZZ_CHECK(out && strlen(out) == len);
	/* what came out is a card again, and rewriting it changes nothing */
	FUZZ_CHECK(sg_a2a_card(out, len, GW, "/w", &again, &len2, &why2) == 0);
	FUZZ_CHECK(len2 == len && !memcmp(again, out, len));
	free(again);
	free(out);
}

static void log_fields(const char *s, size_t n)
{
	struct sg_a2a_log l;

	memset(&l, 0, sizeof(l));
	sg_a2a_method(s, n, &l);
	FUZZ_CHECK(memchr(l.method, '\0', sizeof(l.method)) && l.method[0]);
	sg_a2a_answer(s, n, &l);
	FUZZ_CHECK(!l.answered || l.outcome);
	FUZZ_CHECK(memchr(l.kind, '\0', sizeof(l.kind)) && memchr(l.state, '\0', sizeof(l.state)) &&
		   memchr(l.context, '\0', sizeof(l.context)));
}

static void token(const char *s, uint16_t status)
{
	char why[128], *tok = NULL;
	int64_t exp;
	int rc = sg_oauth_token_answer(status, s, "urn:ietf:params:oauth:token-type:jwt", &tok,
				       &exp, why, sizeof(why));

	FUZZ_CHECK(rc == 0 || rc == SG_FAIL_INVALID_REQUEST || rc == SG_FAIL_BACKEND_AUTH);
	FUZZ_CHECK((rc == 0) == (tok != NULL));
	FUZZ_CHECK(!tok || (status >= 200 && status <= 299 && *tok));
	if (rc)
		FUZZ_CHECK(memchr(why, '\0', sizeof(why)) && why[0]);
	free(tok);
	(void)sg_oauth_token_keep_ms(exp, 300000, s, strlen(s), 1800000000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	card(s, size);
	log_fields(s, size);
	token(s, 200);
	token(s, size ? (uint16_t)(100 + data[0] * 2) : 400);
	free(s);
	return 0;
}
