/* Unit tests for user/auth/mcpoauth.c, MCP authentication's OAuth
 * documents, exactly as a client gets them: the protected-resource
 * metadata (the computed members, resourceMetadata's own in snake case
 * and key order, one named as a computed one in its place), an
 * authorization server's metadata as each provider's adaptation rewrites
 * it, the mock registration, where each provider's metadata and
 * registration are asked, and Entra's authorize redirect, token URL and
 * token form. The policy is a real config's (mcpAuthentication on a
 * route); what the request module makes of these documents is
 * test_mcpauthn's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/auth/mcpoauth.h"

/* A route's mcpAuthentication, its issuer http://idp.example/tenant/
 * (its JWKS URL derived: nothing is fetched), resourceMetadata as
 * given. */
static struct sg_cfg *load(const char *metadata)
{
	char text[2048];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		 "        mcpAuthentication:\n"
		 "          issuer: http://idp.example/tenant/\n"
		 "          audiences: [urn:a, urn:b]\n"
		 "          resourceMetadata: %s\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 metadata);
	sg_diag_init(&d);
	c = sg_cfg_load_text("t.yaml", text, &d);
	if (!c) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static const struct sg_mcp_authn *authn_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.mcp_authn;
}

static void test_mcpoauth_under_and_origin(void **state)
{
	char out[64];

	(void)state;
	assert_true(sg_mcpoauth_under("/a/b", 4, "/a/b"));
	assert_true(sg_mcpoauth_under("/a/b/c", 6, "/a/b"));
	assert_false(sg_mcpoauth_under("/a/bc", 5, "/a/b"));
	assert_false(sg_mcpoauth_under("/a/b/c", 3, "/a/b")); /* its length, not its NUL */
	assert_false(sg_mcpoauth_under("/a", 2, "/a/b"));

	assert_true(sg_mcpoauth_origin("https://h.example:8443/p?q#f", out, sizeof(out)));
	assert_string_equal(out, "https://h.example:8443");
	assert_true(sg_mcpoauth_origin("http://h?x", out, sizeof(out)));
	assert_string_equal(out, "http://h");
	assert_false(sg_mcpoauth_origin("http:///p", out, sizeof(out)));     /* no authority */
	assert_false(sg_mcpoauth_origin("://h/p", out, sizeof(out)));	     /* no scheme */
	assert_false(sg_mcpoauth_origin("/p?u=http://h", out, sizeof(out))); /* relative */
	assert_false(sg_mcpoauth_origin(NULL, out, sizeof(out)));
	assert_false(sg_mcpoauth_origin("https://a-long-host.example", out, 10)); /* no room */
}

static void test_mcpoauth_resource_metadata(void **state)
{
	struct sg_cfg *c = load("{zeta: 1, resourceName: Tools, alpha: [x], "
				"mcpProtocolVersion: '2099-01-01'}");
	struct sg_mcp_authn m = *authn_of(c);
	char *out;

	(void)state;
	/* The computed members first, the one the user named in its place,
	 * then the user's in key order, snake case. */
	out = sg_mcpoauth_resource_metadata(&m, "http://gw:3000/mcp");
	assert_string_equal(out,
			    "{\"resource\":\"http://gw:3000/mcp\",\"authorization_servers\":"
			    "[\"http://idp.example/tenant/\"],\"mcp_protocol_version\":"
			    "\"2099-01-01\",\"resource_type\":\"mcp-server\",\"alpha\":[\"x\"],"
			    "\"resource_name\":\"Tools\",\"zeta\":1}");
	free(out);
	/* With a provider, the gateway is the authorization server. */
	m.provider = SG_MCP_IDP_KEYCLOAK;
	out = sg_mcpoauth_resource_metadata(&m, "http://gw:3000/mcp");
	assert_string_equal(out,
			    "{\"resource\":\"http://gw:3000/mcp\",\"authorization_servers\":"
			    "[\"http://gw:3000/mcp\"],\"mcp_protocol_version\":"
			    "\"2099-01-01\",\"resource_type\":\"mcp-server\",\"alpha\":[\"x\"],"
			    "\"resource_name\":\"Tools\",\"zeta\":1}");
	free(out);
	sg_cfg_free(c);
	c = load("{resource: 'urn:r', authorizationServers: [a, b]}");
	out = sg_mcpoauth_resource_metadata(authn_of(c), "http://gw:3000/mcp");
	assert_string_equal(out, "{\"resource\":\"urn:r\",\"authorization_servers\":[\"a\",\"b\"],"
				 "\"mcp_protocol_version\":\"2025-06-18\",\"resource_type\":"
				 "\"mcp-server\"}");
	free(out);
	sg_cfg_free(c);
}

static void test_mcpoauth_metadata_and_registration_urls(void **state)
{
	struct sg_cfg *c = load("{}");
	struct sg_mcp_authn m = *authn_of(c);
	static const struct {
		enum sg_mcp_idp idp;
		const char *issuer, *metadata, *registration; /* NULL: -1 */
	} cases[] = {
		/* RFC 8414: the well-known name between the origin and the
		 * path, the path as written (agentgateway's) */
		{ SG_MCP_IDP_NONE, "http://idp.example/tenant/",
		  "http://idp.example/.well-known/oauth-authorization-server/tenant/",
		  "http://idp.example/tenant/clients-registrations/openid-connect" },
		{ SG_MCP_IDP_NONE, "http://idp.example/",
		  "http://idp.example/.well-known/oauth-authorization-server",
		  "http://idp.example/clients-registrations/openid-connect" },
		{ SG_MCP_IDP_NONE, "http://idp.example",
		  "http://idp.example/.well-known/oauth-authorization-server",
		  "http://idp.example/clients-registrations/openid-connect" },
		{ SG_MCP_IDP_NONE, "http://idp.example/t?x=1",
		  "http://idp.example/.well-known/oauth-authorization-server/t",
		  "http://idp.example/t?x=1/clients-registrations/openid-connect" },
		{ SG_MCP_IDP_NONE, "idp/", "idp/.well-known/oauth-authorization-server",
		  "idp/clients-registrations/openid-connect" },
		{ SG_MCP_IDP_AUTH0, "https://t.auth0.com/",
		  "https://t.auth0.com/.well-known/oauth-authorization-server",
		  "https://t.auth0.com/clients-registrations/openid-connect" },
		/* OIDC discovery, and Keycloak's registration under the issuer */
		{ SG_MCP_IDP_KEYCLOAK, "http://kc:7080/realms/mcp/",
		  "http://kc:7080/realms/mcp/.well-known/openid-configuration",
		  "http://kc:7080/realms/mcp/clients-registrations/openid-connect" },
		/* Okta's org; Descope's management endpoint */
		{ SG_MCP_IDP_OKTA, "https://org.okta.com/oauth2/default",
		  "https://org.okta.com/oauth2/default/.well-known/openid-configuration",
		  "https://org.okta.com/oauth2/v1/clients" },
		{ SG_MCP_IDP_DESCOPE, "https://api.descope.com:8443/v1/apps/agentic/P1/S1",
		  "https://api.descope.com:8443/v1/apps/agentic/P1/S1/.well-known/"
		  "openid-configuration",
		  "https://api.descope.com:8443/v1/mgmt/mcp/client/P1/S1/register" },
		{ SG_MCP_IDP_DESCOPE, "https://d/other",
		  "https://d/other/.well-known/openid-configuration", NULL },
		{ SG_MCP_IDP_AUTHENTIK, "https://ak/application/o/app/",
		  "https://ak/application/o/app/.well-known/openid-configuration", NULL },
		/* Entra: the v2.0 document of its tenant, whatever the issuer's
		 * version; none without a tenant */
		{ SG_MCP_IDP_ENTRA, "https://sts.windows.net/t1/",
		  "https://login.microsoftonline.com/t1/v2.0/.well-known/openid-configuration",
		  NULL },
		{ SG_MCP_IDP_ENTRA, "https://login.microsoftonline.com/", NULL, NULL },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n;

		m.provider = cases[i].idp;
		m.issuer = cases[i].issuer;
		n = sg_mcpoauth_metadata_url(&m, out, sizeof(out));
		if (cases[i].metadata
			    ? n != (int)strlen(cases[i].metadata) || strcmp(out, cases[i].metadata)
			    : n != -1)
			fail_msg("%s: metadata %d %s", cases[i].issuer, n, n > 0 ? out : "");
		n = sg_mcpoauth_registration_url(&m, out, sizeof(out));
		if (cases[i].registration ? n != (int)strlen(cases[i].registration) ||
						    strcmp(out, cases[i].registration)
					  : n != -1)
			fail_msg("%s: registration %d %s", cases[i].issuer, n, n > 0 ? out : "");
	}
	/* snprintf's count when it does not fit */
	m.provider = SG_MCP_IDP_KEYCLOAK;
	m.issuer = "http://kc";
	assert_int_equal(sg_mcpoauth_metadata_url(&m, out, 8), 42);
	assert_string_equal(out, "http://");
	sg_cfg_free(c);
}

#define KC "http://localhost:7080/realms/mcp"
#define KC_DOC                                                                                     \
	"{\"issuer\":\"" KC "\",\"authorization_endpoint\":\"" KC                                  \
	"/protocol/openid-connect/auth\","                                                         \
	"\"token_endpoint\":\"" KC "/protocol/openid-connect/token\","                             \
	"\"registration_endpoint\":\"" KC "/clients-registrations/openid-connect\"}"
#define AS_URL "http://localhost:3000/.well-known/oauth-authorization-server/keycloak/mcp"

static void test_mcpoauth_provider_adaptations(void **state)
{
	struct sg_cfg *c = load("{}");
	struct sg_mcp_authn m = *authn_of(c);
	const char *aud[] = { "urn:agent-gateway", "b" };
	char *out;

	(void)state;
	/* no provider: the document as it is, whatever JSON it is */
	m.provider = SG_MCP_IDP_NONE;
	out = sg_mcpoauth_as_metadata(&m, AS_URL, KC_DOC);
	assert_string_equal(out, KC_DOC);
	free(out);
	out = sg_mcpoauth_as_metadata(&m, AS_URL, "[1, 2]");
	assert_string_equal(out, "[1,2]");
	free(out);
	assert_null(sg_mcpoauth_as_metadata(&m, AS_URL, "not json"));
	/* keycloak: the gateway is the issuer, and registration goes through it */
	m.provider = SG_MCP_IDP_KEYCLOAK;
	out = sg_mcpoauth_as_metadata(&m, AS_URL, KC_DOC);
	assert_string_equal(
		out,
		"{\"issuer\":\"http://localhost:3000/keycloak/mcp\",\"authorization_endpoint\":"
		"\"" KC "/protocol/openid-connect/auth\",\"token_endpoint\":\"" KC
		"/protocol/openid-connect/token\",\"registration_endpoint\":\"" AS_URL
		"/client-registration\"}");
	free(out);
	/* ... which it needs */
	assert_null(sg_mcpoauth_as_metadata(&m, AS_URL, "{\"issuer\":\"x\"}"));
	assert_null(sg_mcpoauth_as_metadata(&m, AS_URL, "[1]"));
	assert_null(sg_mcpoauth_as_metadata(&m, AS_URL, "not json"));
	/* auth0: the first audience on the authorization endpoint */
	m.provider = SG_MCP_IDP_AUTH0;
	m.audiences = (struct sg_strs){ aud, 2, 2 };
	out = sg_mcpoauth_as_metadata(&m, "https://gw/.well-known/oauth-authorization-server",
				      "{\"authorization_endpoint\":\"https://a/authorize\"}");
	assert_string_equal(out, "{\"authorization_endpoint\":\"https://a/authorize?audience=urn:"
				 "agent-gateway\",\"issuer\":\"https://gw\"}");
	free(out);
	/* okta: that too, and its registration through the gateway */
	m.provider = SG_MCP_IDP_OKTA;
	out = sg_mcpoauth_as_metadata(&m, "https://gw/.well-known/oauth-authorization-server/o",
				      "{\"issuer\":\"https://org.okta.com/oauth2/default\","
				      "\"authorization_endpoint\":\"https://o/v1/authorize\","
				      "\"registration_endpoint\":\"https://o/v1/clients\"}");
	assert_string_equal(out, "{\"issuer\":\"https://gw/o\",\"authorization_endpoint\":"
				 "\"https://o/v1/authorize?audience=urn:agent-gateway\","
				 "\"registration_endpoint\":\"https://gw/.well-known/"
				 "oauth-authorization-server/o/client-registration\"}");
	free(out);
	/* ... without audiences, its endpoint as it is; none, no document */
	m.audiences = (struct sg_strs){ 0 };
	out = sg_mcpoauth_as_metadata(&m, "https://gw/.well-known/oauth-authorization-server",
				      "{\"authorization_endpoint\":\"https://o/v1/authorize\"}");
	assert_string_equal(out, "{\"authorization_endpoint\":\"https://o/v1/authorize\","
				 "\"issuer\":\"https://gw\"}");
	free(out);
	assert_null(sg_mcpoauth_as_metadata(&m, "https://gw/.well-known/oauth-authorization-server",
					    "{\"issuer\":\"x\"}"));
	/* descope: a registration endpoint it has goes through the gateway;
	 * none is added */
	m.provider = SG_MCP_IDP_DESCOPE;
	out = sg_mcpoauth_as_metadata(&m, "http://gw/.well-known/oauth-authorization-server",
				      "{\"registration_endpoint\":\"https://d/reg\"}");
	assert_string_equal(out, "{\"registration_endpoint\":\"http://gw/.well-known/"
				 "oauth-authorization-server/client-registration\","
				 "\"issuer\":\"http://gw\"}");
	free(out);
	out = sg_mcpoauth_as_metadata(&m, "http://gw/.well-known/oauth-authorization-server",
				      "{\"token_endpoint\":\"https://d/t\"}");
	assert_string_equal(out, "{\"token_endpoint\":\"https://d/t\",\"issuer\":\"http://gw\"}");
	free(out);
	/* authentik: a registration endpoint at the gateway */
	m.provider = SG_MCP_IDP_AUTHENTIK;
	out = sg_mcpoauth_as_metadata(&m, "http://gw/.well-known/oauth-authorization-server/a",
				      "{\"issuer\":\"https://ak/application/o/app/\"}");
	assert_string_equal(out, "{\"issuer\":\"http://gw/a\",\"registration_endpoint\":"
				 "\"http://gw/.well-known/oauth-authorization-server/a/"
				 "client-registration\"}");
	free(out);
	/* a URL that is not under the well-known name: the issuer as it was */
	out = sg_mcpoauth_as_metadata(&m, "http://gw/other", "{\"issuer\":\"https://ak/\"}");
	assert_string_equal(out, "{\"issuer\":\"https://ak/\",\"registration_endpoint\":"
				 "\"http://gw/other/client-registration\"}");
	free(out);
	sg_cfg_free(c);
}

static void test_mcpoauth_mock_registration(void **state)
{
	const char *body = "{\"redirect_uris\":[\"http://localhost:33418/callback\"],"
			   "\"client_id\":\"theirs\",\"client_name\":\"Claude Code\"}";
	char *out;

	(void)state;
	out = sg_mcpoauth_mock_registration("0oa1", body, strlen(body));
	assert_string_equal(out, "{\"client_id\":\"0oa1\",\"client_id_issued_at\":0,"
				 "\"token_endpoint_auth_method\":\"none\",\"grant_types\":"
				 "[\"authorization_code\"],\"response_types\":[\"code\"],"
				 "\"redirect_uris\":[\"http://localhost:33418/callback\"]}");
	free(out);
	/* no body, one that is no JSON, redirect_uris that is no list: none */
	out = sg_mcpoauth_mock_registration("0oa1", NULL, 0);
	assert_non_null(strstr(out, "\"redirect_uris\":[]}"));
	free(out);
	out = sg_mcpoauth_mock_registration("0oa1", "{\"redirect_uris\":[1]", 20);
	assert_non_null(strstr(out, "\"redirect_uris\":[]}"));
	free(out);
	out = sg_mcpoauth_mock_registration("x", "{\"redirect_uris\":\"u\"}", 21);
	assert_string_equal(out, "{\"client_id\":\"x\",\"client_id_issued_at\":0,"
				 "\"token_endpoint_auth_method\":\"none\",\"grant_types\":"
				 "[\"authorization_code\"],\"response_types\":[\"code\"],"
				 "\"redirect_uris\":[]}");
	free(out);
}

#define ENTRA "https://login.microsoftonline.com/11111111-2222"
#define ENTRA_AS "http://localhost:3000/.well-known/oauth-authorization-server/mcp"

static void test_mcpoauth_entra_metadata(void **state)
{
	struct sg_cfg *c = load("{}");
	struct sg_mcp_authn m = *authn_of(c);
	char url[256], *out;

	(void)state;
	m.issuer = ENTRA "/v2.0";
	m.provider = SG_MCP_IDP_ENTRA;
	assert_int_equal(sg_mcpoauth_metadata_url(&m, url, sizeof(url)) > 0, true);
	assert_string_equal(url, ENTRA "/v2.0/.well-known/openid-configuration");
	assert_int_equal(sg_mcpoauth_registration_url(&m, url, sizeof(url)), -1);
	out = sg_mcpoauth_as_metadata(
		&m, ENTRA_AS,
		"{\"issuer\":\"" ENTRA "/v2.0\",\"authorization_endpoint\":\"" ENTRA
		"/oauth2/v2.0/authorize\",\"token_endpoint\":\"" ENTRA "/oauth2/v2.0/token\"}");
	assert_string_equal(out, "{\"issuer\":\"http://localhost:3000/mcp\","
				 "\"authorization_endpoint\":\"" ENTRA_AS "/authorize\","
				 "\"token_endpoint\":\"" ENTRA_AS "/token\","
				 "\"registration_endpoint\":\"" ENTRA_AS "/client-registration\","
				 "\"code_challenge_methods_supported\":[\"S256\"]}");
	free(out);
	/* what Entra says of PKCE is kept; a document without its endpoints fails */
	out = sg_mcpoauth_as_metadata(&m, ENTRA_AS,
				      "{\"authorization_endpoint\":\"a\",\"token_endpoint\":\"t\","
				      "\"code_challenge_methods_supported\":[\"plain\"]}");
	assert_non_null(strstr(out, "\"code_challenge_methods_supported\":[\"plain\"]"));
	free(out);
	assert_null(sg_mcpoauth_as_metadata(&m, ENTRA_AS, "{\"authorization_endpoint\":\"a\"}"));
	sg_cfg_free(c);
}

static void test_mcpoauth_entra_endpoints(void **state)
{
	struct sg_cfg *c = load("{}");
	struct sg_mcp_authn m = *authn_of(c);
	const char *q;
	char url[256], *out;

	(void)state;
	m.issuer = ENTRA "/v2.0";
	m.provider = SG_MCP_IDP_ENTRA;
	/* every resource parameter out, by its decoded name; the rest as
	 * written, in order */
	q = "response_type=code&resource=http%3A%2F%2Fgw&client_id=cid&resourc%65=x&&"
	    "scope=openid+email&resources=kept";
	out = sg_mcpoauth_entra_authorize(&m, q, strlen(q));
	assert_string_equal(out, ENTRA "/oauth2/v2.0/authorize?response_type=code&client_id=cid&"
				       "scope=openid+email&resources=kept");
	free(out);
	out = sg_mcpoauth_entra_authorize(&m, "resource=x", 10);
	assert_string_equal(out, ENTRA "/oauth2/v2.0/authorize");
	free(out);
	out = sg_mcpoauth_entra_authorize(&m, "", 0);
	assert_string_equal(out, ENTRA "/oauth2/v2.0/authorize");
	free(out);
	assert_int_equal(sg_mcpoauth_entra_token_url(&m, url, sizeof(url)),
			 (int)strlen(ENTRA "/oauth2/v2.0/token"));
	assert_string_equal(url, ENTRA "/oauth2/v2.0/token");
	/* a v1 issuer: the login host's */
	m.issuer = "https://sts.windows.net/t1/";
	assert_true(sg_mcpoauth_entra_token_url(&m, url, sizeof(url)) > 0);
	assert_string_equal(url, "https://login.microsoftonline.com/t1/oauth2/v2.0/token");
	/* an issuer without a tenant: neither */
	m.issuer = "https://login.microsoftonline.com/";
	assert_null(sg_mcpoauth_entra_authorize(&m, "a=b", 3));
	assert_int_equal(sg_mcpoauth_entra_token_url(&m, url, sizeof(url)), -1);
	sg_cfg_free(c);
}

/* The form `body` goes on to Entra as `want` (NULL: as it came). */
static void form_is(const struct sg_mcp_authn *m, const char *body, bool authorized,
		    const char *want)
{
	char *out = sg_mcpoauth_entra_token_form(m, body, strlen(body), authorized);

	assert_string_equal(out, want ? want : body);
	free(out);
}

static void test_mcpoauth_entra_token_form(void **state)
{
	struct sg_cfg *c = load("{}");
	struct sg_mcp_authn m = *authn_of(c);

	(void)state;
	m.issuer = ENTRA "/v2.0";
	m.provider = SG_MCP_IDP_ENTRA;
	m.client_id = "cid";
	m.client_secret = "s3 cr&t";
	/* resource out, the secret in for clientId's user grants */
	form_is(&m, "grant_type=authorization_code&code=c1&client_id=cid&resource=http%3A%2F%2Fgw",
		false,
		"grant_type=authorization_code&code=c1&client_id=cid&client_secret=s3+cr%26t");
	form_is(&m, "grant_type=refresh_token&refresh_token=r&client_id=cid", false,
		"grant_type=refresh_token&refresh_token=r&client_id=cid&client_secret=s3+cr%26t");
	/* not with a credential of the request's own */
	form_is(&m, "grant_type=authorization_code&code=c1&client_id=cid&resource=http%3A%2F%2Fgw",
		true, "grant_type=authorization_code&code=c1&client_id=cid");
	form_is(&m, "grant_type=refresh_token&client_id=cid&client_secret=theirs", false, NULL);
	/* not for another client or none named, nor an app's own grant */
	form_is(&m, "grant_type=authorization_code&client_id=other", false, NULL);
	form_is(&m, "grant_type=authorization_code&code=c1", false, NULL);
	form_is(&m, "grant_type=client_credentials&client_id=cid&scope=x", false, NULL);
	/* nor one that reads as a user's grant to us and an app's to Entra:
	 * "grant_type%00" is another parameter there, a repeated one is
	 * anyone's guess (agentgateway reads the last) */
	form_is(&m, "grant_type=client_credentials&client_id=cid&grant_type%00=authorization_code",
		false, NULL);
	form_is(&m, "grant_type=client_credentials&client_id=cid&grant_type=authorization_code",
		false, NULL);
	form_is(&m, "grant_type=authorization_code%00&client_id=cid", false, NULL);
	form_is(&m, "grant_type=authorization_code&client_id=other&client_id=cid", false, NULL);
	form_is(&m, "grant_type=authorization_code&client_id=cid%00other", false, NULL);
	/* no clientSecret configured: nothing to add */
	m.client_secret = NULL;
	form_is(&m, "grant_type=authorization_code&client_id=cid&resource=r", false,
		"grant_type=authorization_code&client_id=cid");
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcpoauth_under_and_origin),
		cmocka_unit_test(test_mcpoauth_resource_metadata),
		cmocka_unit_test(test_mcpoauth_metadata_and_registration_urls),
		cmocka_unit_test(test_mcpoauth_provider_adaptations),
		cmocka_unit_test(test_mcpoauth_mock_registration),
		cmocka_unit_test(test_mcpoauth_entra_metadata),
		cmocka_unit_test(test_mcpoauth_entra_endpoints),
		cmocka_unit_test(test_mcpoauth_entra_token_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
