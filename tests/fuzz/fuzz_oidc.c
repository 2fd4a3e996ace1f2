/* Fuzz target: what an OIDC login reads from outside (user/auth/oidc.c).
 * The first byte chooses the reader of the rest: a provider's discovery
 * document (parsed with its endpoints as http(s) URLs, or refused with a
 * reason), a token endpoint's answer, a `state` parameter, a sealed cookie
 * value (a browser may send anything: it opens only if it was sealed with
 * the key, and what opens decodes or not), a transaction's or a session's
 * JSON (decoded ones encode and decode again to the same), a return path.
 * Never a crash, a leak or an unterminated string. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/auth/oidc.h"

static void discovery(const char *s, size_t n)
{
	struct sg_oidc_discovered d;
	char err[300] = "";

	if (sg_oidc_discovery_parse(s, n, "https://idp", &d, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0]);
		return;
	}
	FUZZ_CHECK(!strncmp(d.token_endpoint, "http", 4));
	FUZZ_CHECK(!strncmp(d.authorization_endpoint, "http", 4));
	FUZZ_CHECK(!strncmp(d.jwks_uri, "http", 4));
	sg_oidc_discovered_free(&d);
}

static void txn(const char *json)
{
	struct sg_oidc_txn t, again;
	char *out;

	if (sg_oidc_txn_decode(json, &t) < 0)
		return;
	out = sg_oidc_txn_encode(&t);
	FUZZ_CHECK(out && sg_oidc_txn_decode(out, &again) == 0);
	FUZZ_CHECK(!strcmp(t.verifier, again.verifier) && !strcmp(t.original, again.original));
	FUZZ_CHECK(t.expires == again.expires);
	sg_oidc_txn_free(&again);
	sg_oidc_txn_free(&t);
	free(out);
}

static void session(const char *json)
{
	struct sg_oidc_session s, again;
	char *out;

	if (sg_oidc_session_decode(json, &s) < 0)
		return;
	out = sg_oidc_session_encode(&s);
	FUZZ_CHECK(out && sg_oidc_session_decode(out, &again) == 0);
	FUZZ_CHECK(!strcmp(s.id_token, again.id_token) && s.expires == again.expires);
	sg_oidc_session_free(&again);
	sg_oidc_session_free(&s);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sg_oidc_key key = { { 1, 2, 3 } };
	char *s, *out, *id, *csrf;
	size_t n;

	if (!size)
		return 0;
	s = strndup((const char *)data + 1, size - 1); /* NUL-terminated, for the JSON readers */
	n = strlen(s);
	switch (data[0] % 7) {
	case 0:
		discovery((const char *)data + 1, size - 1);
		break;
	case 1:
		out = sg_oidc_token_answer((const char *)data + 1, size - 1);
		FUZZ_CHECK(!out || out[0]);
		free(out);
		break;
	case 2:
		if (sg_oidc_state_decode(s, n, &id, &csrf) == 0) {
			out = sg_oidc_state_encode(id, csrf);
			FUZZ_CHECK(out != NULL);
			free(out);
			free(id);
			free(csrf);
		}
		break;
	case 3:
		out = sg_oidc_open(&key, (const char *)data + 1, size - 1, &n);
		if (out) {
			FUZZ_CHECK(strlen(out) <= n);
			txn(out);
			session(out);
		}
		free(out);
		break;
	case 4:
		txn(s);
		break;
	case 5:
		session(s);
		break;
	case 6:
		(void)sg_oidc_local_target((const char *)data + 1, size - 1);
		break;
	}
	free(s);
	return 0;
}
