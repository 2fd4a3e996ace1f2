/* Fuzz target: what MCP authentication reads from outside (user/auth/
 * mcpoauth.c): an authorization server's metadata document, adapted for
 * the provider the first byte chooses (the request's URL fixed), a
 * client's registration body answered from a clientId, and for Entra an
 * authorize query and a token form taken apart and put back without
 * `resource`. Whatever comes back is one JSON object, or a URL or form
 * no longer than it should be; never a crash or a leak. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/auth/mcpoauth.h"
#include "user/base/json.h"

static void is_object(char *text)
{
	struct sg_json *v;

	if (!text)
		return;
	v = sg_json_parse(text);
	FUZZ_CHECK(v != NULL);
	sg_json_free(v);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *aud[] = { "urn:aud" };
	struct sg_mcp_authn m = { .issuer = "https://idp.example/realms/r",
				  .audiences = { aud, 1, 1 },
				  .client_id = "cid",
				  .client_secret = "s e&c" };
	char *doc, *out;

	if (!size)
		return 0;
	m.provider = (enum sg_mcp_idp)(data[0] % (SG_MCP_IDP_ENTRA + 1));
	doc = strndup((const char *)data + 1, size - 1);
	if (!doc)
		return 0;
	is_object(sg_mcpoauth_as_metadata(
		&m, "http://gw:3000/.well-known/oauth-authorization-server/a?q=1", doc));
	is_object(sg_mcpoauth_mock_registration("cid", (const char *)data + 1, size - 1));
	out = sg_mcpoauth_entra_authorize(&m, (const char *)data + 1, size - 1);
	FUZZ_CHECK(out && !strncmp(out, "https://idp.example/realms/oauth2/v2.0/authorize", 48) &&
		   strlen(out) <= 49 + size);
	free(out);
	out = sg_mcpoauth_entra_token_form(&m, (const char *)data + 1, size - 1, data[0] & 1);
	/* the parameters kept, '&' between, and at most the secret's 29 bytes */
	FUZZ_CHECK(out && strlen(out) <= size + 29);
	free(out);
	free(doc);
	return 0;
}
