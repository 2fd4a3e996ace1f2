/* Unit tests of mcpAuthentication (config/mcpauthconf.c, user/core/
 * mcpauthn.c): agentgateway's mcp-authentication example's first route
 * with an Ed25519 JWKS made here, through the route's filter plan as a
 * frontend plans it: the 401 and its challenge, a valid token's claims,
 * the protected-resource metadata document, the authorization server's
 * steps deferred, Entra's endpoints through the gateway; the JWKS URLs
 * derived; config_dump's shape. The documents themselves, exactly, are
 * test_mcpoauth's (user/auth/mcpoauth.c); the calls to a real
 * authorization server run in e2e (mcp-authn). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/dump.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/mcpauthconf.h"
#include "user/auth/jwt.h"
#include "user/base/json.h"
#include "user/core/authn.h"
#include "user/core/filter.h"
#include "user/core/mcpauthn.h"
#include "tests/unit/edtoken.h"

#define NOW 1800000000 /* Unix seconds, every case's clock */
#define RES "http://localhost:3000/stdio/mcp"

static EVP_PKEY *key;
static struct sg_cfg *cfg;

/* The example's scenario A route (policies as written there; the JWKS
 * inline in place of its URL), `extra` appended to mcpAuthentication. */
static struct sg_cfg *load(const char *jwks, const char *extra, bool prepare)
{
	static char text[8192];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 3000\n  listeners:\n  - routes:\n"
		 "    - matches:\n"
		 "      - path: {exact: /stdio/mcp}\n"
		 "      - path: {exact: /.well-known/oauth-protected-resource/stdio/mcp}\n"
		 "      policies:\n"
		 "        mcpAuthentication:\n"
		 "          mode: strict\n"
		 "          issuer: http://localhost:9000\n"
		 "          audiences:\n"
		 "          - " RES "\n"
		 "          jwks: %s\n"
		 "          resourceMetadata:\n"
		 "            resource: " RES "\n"
		 "            scopesSupported:\n"
		 "            - read:all\n"
		 "            bearerMethodsSupported:\n"
		 "            - header\n"
		 "            - body\n"
		 "            - query\n"
		 "            resourceDocumentation: http://localhost:3000/stdio/docs\n"
		 "            resourcePolicyUri: http://localhost:3000/stdio/policies\n"
		 "%s"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 jwks, extra);
	sg_diag_init(&d);
	c = sg_cfg_load_text("t.yaml", text, &d);
	if (!c || (prepare && sg_jwt_prepare(c, &d) < 0)) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static int setup(void **state)
{
	char jwks[256], quoted[300];

	(void)state;
	key = ed_key(jwks, sizeof(jwks));
	snprintf(quoted, sizeof(quoted), "'%s'", jwks);
	cfg = load(quoted, "", true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sg_cfg_free(cfg);
	EVP_PKEY_free(key);
	return 0;
}

static const struct sg_mcp_authn *authn_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.mcp_authn;
}

/* ---- one request through the plan ---------------------------------------- */

static const char *hdr_auth, *hdr_proto;

static const char *lookup(void *ctx, const char *name, size_t *len)
{
	const char *v = !strcasecmp(name, "authorization")	 ? hdr_auth
			: !strcasecmp(name, "x-forwarded-proto") ? hdr_proto
								 : NULL;

	(void)ctx;
	if (v)
		*len = strlen(v);
	return v;
}

static struct sg_filter_input input(const char *target, struct sg_authn *a)
{
	return (struct sg_filter_input){
		.scheme = "http",
		.method = { "POST", 4 },
		.target = { target, strlen(target) },
		.host = { "localhost:3000", 14 },
		.header = lookup,
		.authn = a,
	};
}

static enum sg_filter_result plan(struct sg_filter_plan *p, struct sg_authn *a, const char *target,
				  const char *auth)
{
	struct sg_filter_input in = input(target, a);

	hdr_auth = auth;
	sg_filter_plan_reset(p);
	return sg_filter_plan_request(p, &cfg->binds[0].listeners[0].routes[0].eff_filters, &in);
}

/* The value of response line `name` of p ("" when it has none): the
 * plan's, or the step's own before the plan takes them (a step called
 * alone). */
static const char *response_line(const struct sg_filter_plan *p, const char *name, char *buf,
				 size_t cap)
{
	const struct sg_header_edit *edits[] = { &p->response, &p->route_response };

	buf[0] = '\0';
	for (size_t e = 0; e < 2; e++)
		for (size_t i = 0; i < edits[e]->nadd; i++)
			if (edits[e]->add[i].name.len == strlen(name) &&
			    !strncasecmp(edits[e]->add[i].name.p, name, strlen(name)))
				snprintf(buf, cap, "%.*s", (int)edits[e]->add[i].value.len,
					 edits[e]->add[i].value.p);
	return buf;
}

static void test_mcpauthn_no_token_401_with_challenge(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };
	char buf[512];

	(void)state;
	assert_int_equal(plan(&p, &a, "/stdio/mcp", NULL), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_JWT);
	assert_string_equal(p.cause, "no bearer token found");
	assert_string_equal(response_line(&p, "www-authenticate", buf, sizeof(buf)),
			    "Bearer resource_metadata=\"http://localhost:3000/.well-known/"
			    "oauth-protected-resource/stdio/mcp\"");
	assert_string_equal(response_line(&p, "content-type", buf, sizeof(buf)),
			    "application/json");
	assert_int_equal(p.refusal_body.len, strlen(p.refusal_body.p));
	assert_string_equal(p.refusal_body.p, "{\"error\":\"unauthorized\",\"error_description\":"
					      "\"JWT token required\"}");
	/* a bad token: the same answer */
	assert_int_equal(plan(&p, &a, "/stdio/mcp", "Bearer x.y.z"), SG_FILTER_REFUSED);
	assert_string_equal(response_line(&p, "www-authenticate", buf, sizeof(buf)),
			    "Bearer resource_metadata=\"http://localhost:3000/.well-known/"
			    "oauth-protected-resource/stdio/mcp\"");
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

static void test_mcpauthn_valid_token_forwards_with_claims(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };
	char claims[256], auth[4200], *tok;

	(void)state;
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"http://localhost:9000\",\"aud\":\"" RES "\",\"sub\":\"alice\","
		 "\"exp\":%d}",
		 NOW + 3600);
	tok = ed_mint(key, claims);
	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	assert_int_equal(plan(&p, &a, "/stdio/mcp", auth), SG_FILTER_FORWARD);
	assert_non_null(a.jwt);
	assert_string_equal(sg_jwt_claims_sub(a.jwt), "alice");
	assert_true(sg_header_edit_drops(&p.request, "authorization", 13));
	/* another audience: refused */
	free(tok);
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"http://localhost:9000\",\"aud\":\"other\",\"exp\":%d}", NOW + 3600);
	tok = ed_mint(key, claims);
	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	assert_int_equal(plan(&p, &a, "/stdio/mcp", auth), SG_FILTER_REFUSED);
	free(tok);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

/* RFC 9728's document, as agentgateway's to_rfc_json writes it: the
 * computed members, then resourceMetadata's keys in order, snake case. */
static void test_mcpauthn_protected_resource_metadata(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };
	char buf[128];

	(void)state;
	assert_int_equal(plan(&p, &a, "/.well-known/oauth-protected-resource/stdio/mcp?x=1", NULL),
			 SG_FILTER_ANSWER);
	assert_int_equal(p.status, 200);
	assert_int_equal(p.body.len, strlen(p.body.p));
	assert_string_equal(
		p.body.p,
		"{\"resource\":\"" RES "\",\"authorization_servers\":[\"http://localhost:9000\"],"
		"\"mcp_protocol_version\":\"2025-06-18\",\"resource_type\":\"mcp-server\","
		"\"bearer_methods_supported\":[\"header\",\"body\",\"query\"],"
		"\"resource_documentation\":\"http://localhost:3000/stdio/docs\","
		"\"resource_policy_uri\":\"http://localhost:3000/stdio/policies\","
		"\"scopes_supported\":[\"read:all\"]}");
	assert_string_equal(response_line(&p, "content-type", buf, sizeof(buf)),
			    "application/json");
	assert_string_equal(response_line(&p, "access-control-allow-origin", buf, sizeof(buf)),
			    "*");
	assert_string_equal(response_line(&p, "access-control-allow-methods", buf, sizeof(buf)),
			    "GET, OPTIONS");
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

/* The authorization server's metadata and a registration are asked when
 * the request starts (no token needed for the well-known path). */
static void test_mcpauthn_authorization_server_deferred(void **state)
{
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };

	(void)state;
	assert_int_equal(plan(&p, &a, "/.well-known/oauth-authorization-server/stdio/mcp", NULL),
			 SG_FILTER_DEFER);
	assert_non_null(a.mcp_oauth);
	sg_authn_reset(&a);
	assert_null(a.mcp_oauth);
	/* a registration off the well-known paths needs a token first */
	assert_int_equal(plan(&p, &a, "/stdio/client-registration", NULL), SG_FILTER_REFUSED);
	assert_null(a.mcp_oauth);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
}

static void test_mcpauthn_challenge_base(void **state)
{
	struct sg_cfg *c = load("{url: http://localhost:9000/.well-known/jwks.json}", "", false);
	struct sg_mcp_authn m = *authn_of(c);
	struct sg_filter_input in = input("/", NULL);
	char out[512];
	ssize_t n;

	(void)state;
	/* the configured resource's origin, whatever the request's */
	in.host = (struct sg_h1_span){ "gw.internal:8080", 16 };
	n = sg_mcp_authn_challenge(&m, &in, "/", 1, out, sizeof(out));
	assert_int_equal(n, (ssize_t)strlen(out));
	assert_string_equal(out, "Bearer resource_metadata=\"http://localhost:3000/.well-known/"
				 "oauth-protected-resource/\"");
	/* none: the request's, its scheme x-forwarded-proto's */
	m.resource = NULL;
	hdr_proto = "HTTPS, http";
	sg_mcp_authn_challenge(&m, &in, "/sse", 4, out, sizeof(out));
	hdr_proto = NULL;
	assert_string_equal(out, "Bearer resource_metadata=\"https://gw.internal:8080/.well-known/"
				 "oauth-protected-resource/sse\"");
	/* a value that is no scheme (a blank inside): the listener's */
	hdr_proto = "https x";
	sg_mcp_authn_challenge(&m, &in, "/sse", 4, out, sizeof(out));
	hdr_proto = NULL;
	assert_string_equal(out, "Bearer resource_metadata=\"http://gw.internal:8080/.well-known/"
				 "oauth-protected-resource/sse\"");
	m.resource = "not a URL";
	sg_mcp_authn_challenge(&m, &in, "/x", 2, out, sizeof(out));
	assert_string_equal(out, "Bearer resource_metadata=\"http://gw.internal:8080/.well-known/"
				 "oauth-protected-resource/x\"");
	assert_int_equal(sg_mcp_authn_challenge(&m, &in, "/x", 2, out, 20), -1);
	/* A path's '"', '\\' and bytes past ASCII are percent-encoded: as they
	 * came, the first would end the quoted parameter. */
	n = sg_mcp_authn_challenge(&m, &in, "/a\"b\\c\xc3\xa9", 8, out, sizeof(out));
	assert_int_equal(n, (ssize_t)strlen(out));
	assert_string_equal(out, "Bearer resource_metadata=\"http://gw.internal:8080/.well-known/"
				 "oauth-protected-resource/a%22b%5Cc%C3%A9\"");
	/* Room for all but the closing quote: refused, not cut. */
	n = (ssize_t)strlen("Bearer resource_metadata=\"http://gw.internal:8080/.well-known/"
			    "oauth-protected-resource/x");
	assert_int_equal(sg_mcp_authn_challenge(&m, &in, "/x", 2, out, (size_t)n + 1), -1);
	assert_int_equal(sg_mcp_authn_challenge(&m, &in, "/x", 2, out, (size_t)n + 2), n + 1);
	sg_cfg_free(c);
}

static void test_mcpauthn_well_known_paths(void **state)
{
	static const struct {
		const char *path;
		bool yes;
	} cases[] = {
		{ "/.well-known/oauth-protected-resource", true },
		{ "/.well-known/oauth-protected-resource/mcp", true },
		{ "/.well-known/oauth-authorization-server/tenant", true },
		{ "/mcp/.well-known/oauth-protected-resource", false },
		{ "/.well-known/oauth-protected-resource-evil", false },
		{ "/.well-known/openid-configuration", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sg_mcp_authn_well_known(cases[i].path, strlen(cases[i].path)) != cases[i].yes)
			fail_msg("%s", cases[i].path);
}

#define KC "http://localhost:7080/realms/mcp"

/* ---- config ----------------------------------------------------------------- */

static void test_mcpauthn_jwks_url_derived(void **state)
{
	struct sg_arena a;

	(void)state;
	sg_arena_init(&a);
	assert_string_equal(sg_mcp_authn_jwks_url(&a, "https://idp", SG_MCP_IDP_NONE),
			    "https://idp/.well-known/jwks.json");
	assert_string_equal(sg_mcp_authn_jwks_url(&a, "https://t.auth0.com", SG_MCP_IDP_AUTH0),
			    "https://t.auth0.com/.well-known/jwks.json");
	assert_string_equal(sg_mcp_authn_jwks_url(&a, KC, SG_MCP_IDP_KEYCLOAK),
			    KC "/protocol/openid-connect/certs");
	assert_string_equal(
		sg_mcp_authn_jwks_url(&a, "https://ak/application/o/app/", SG_MCP_IDP_AUTHENTIK),
		"https://ak/application/o/app/jwks/");
	assert_string_equal(
		sg_mcp_authn_jwks_url(&a, "https://api.descope.com:8443/v1/apps/agentic/P1/S1",
				      SG_MCP_IDP_DESCOPE),
		"https://api.descope.com/P1/.well-known/jwks.json");
	assert_string_equal(sg_mcp_authn_jwks_url(&a, "https://d/other", SG_MCP_IDP_DESCOPE),
			    "https://d/other/.well-known/jwks.json");
	sg_arena_free(&a);
}

/* What is not agentgateway's shape, or not implemented, is refused by
 * name. */
static void test_mcpauthn_refusals(void **state)
{
	(void)state;
	refused_text("binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		     "        mcpAuthentication: {issuer: i, audiences: [], resourceMetadata: {},"
		     " provider: {okta: {x: 1}}}\n"
		     "      backends: [{host: 127.0.0.1:1}]\n",
		     "mcpAuthentication.provider.okta: expected {}");
	refused_text("binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		     "        mcpAuthentication: {issuer: i, audiences: [], resourceMetadata: {},"
		     " provider: {azure: {}}}\n"
		     "      backends: [{host: 127.0.0.1:1}]\n",
		     "mcpAuthentication.provider: expected one of auth0, keycloak, okta, descope, "
		     "authentik, entra");
	/* entra without jwks: its issuer must name the tenant its keys are at */
	refused_text("binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		     "        mcpAuthentication: {issuer: 'https://login.microsoftonline.com',"
		     " audiences: [], resourceMetadata: {}, provider: {entra: {}}}\n"
		     "      backends: [{host: 127.0.0.1:1}]\n",
		     "mcpAuthentication.jwks: not given, and the issuer "
		     "\"https://login.microsoftonline.com\" names no Entra tenant");
	refused_text("binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		     "        mcpAuthentication: {issuer: i, audiences: [], resourceMetadata: []}\n"
		     "      backends: [{host: 127.0.0.1:1}]\n",
		     "mcpAuthentication.resourceMetadata: expected a map");
	/* no jwks: derived from the issuer, which must make an http(s) URL */
	refused_text(
		"binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n"
		"        mcpAuthentication: {issuer: idp, audiences: [], resourceMetadata: {}}\n"
		"      backends: [{host: 127.0.0.1:1}]\n",
		"mcpAuthentication.jwks: not given, and the URL derived from the issuer, "
		"\"idp/.well-known/jwks.json\", is not an http:// or https:// URL");
}

/* ---- entra -------------------------------------------------------------------- */

#define ENTRA "https://login.microsoftonline.com/11111111-2222"

static void test_mcpauthn_entra_authority(void **state)
{
	struct sg_arena a;
	char out[256];

	(void)state;
	assert_true(sg_mcp_entra_authority(ENTRA "/v2.0", out, sizeof(out)));
	assert_string_equal(out, ENTRA);
	/* v1 issuers: the interactive endpoints are on the login host */
	assert_true(sg_mcp_entra_authority("https://sts.windows.net/t1/", out, sizeof(out)));
	assert_string_equal(out, "https://login.microsoftonline.com/t1");
	/* a sovereign cloud's host as it is; a port goes, as in agentgateway */
	assert_true(sg_mcp_entra_authority("https://login.microsoftonline.us/t/v2.0", out, 256));
	assert_string_equal(out, "https://login.microsoftonline.us/t");
	assert_true(sg_mcp_entra_authority("http://127.0.0.1:9443/t/v2.0", out, sizeof(out)));
	assert_string_equal(out, "https://127.0.0.1/t");
	assert_false(sg_mcp_entra_authority("https://login.microsoftonline.com/", out, 256));
	assert_false(sg_mcp_entra_authority("https://login.microsoftonline.com", out, 256));
	assert_false(sg_mcp_entra_authority("tenant", out, sizeof(out)));
	sg_arena_init(&a);
	assert_string_equal(sg_mcp_authn_jwks_url(&a, ENTRA "/v2.0", SG_MCP_IDP_ENTRA),
			    ENTRA "/discovery/v2.0/keys");
	assert_null(sg_mcp_authn_jwks_url(&a, "https://idp", SG_MCP_IDP_ENTRA));
	sg_arena_free(&a);
}

#define ENTRA_AS "http://localhost:3000/.well-known/oauth-authorization-server/mcp"

static void test_mcpauthn_entra_endpoints(void **state)
{
	struct sg_mcp_authn m = *authn_of(cfg);
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { .now = NOW };
	struct sg_filter_input in;
	char buf[512];

	(void)state;
	m.issuer = ENTRA "/v2.0";
	m.provider = SG_MCP_IDP_ENTRA;
	m.client_id = "cid";
	m.client_secret = "s3 cr&t";
	/* authorize: a redirect to Entra's, the RFC 8707 resource taken out */
	in = input(ENTRA_AS "/authorize", &a);
	in.target =
		(struct sg_h1_span){ "/.well-known/oauth-authorization-server/mcp/authorize?"
				     "response_type=code&resource=http%3A%2F%2Flocalhost%3A3000%"
				     "2Fmcp&client_id=cid&resource=x&scope=openid",
				     0 };
	in.target.len = strlen(in.target.p);
	hdr_auth = NULL;
	assert_int_equal(sg_mcp_authn_request(&a, &p, &m, &in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 302);
	assert_string_equal(response_line(&p, "location", buf, sizeof(buf)),
			    ENTRA "/oauth2/v2.0/authorize?response_type=code&client_id=cid&"
				  "scope=openid");
	sg_filter_plan_reset(&p);
	/* token: a GET is 405; a POST is deferred to the call */
	in.target = (struct sg_h1_span){ "/.well-known/oauth-authorization-server/mcp/token", 0 };
	in.target.len = strlen(in.target.p);
	in.method = (struct sg_h1_span){ "GET", 3 };
	assert_int_equal(sg_mcp_authn_request(&a, &p, &m, &in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 405);
	assert_string_equal(response_line(&p, "allow", buf, sizeof(buf)), "POST");
	sg_filter_plan_reset(&p);
	in.method = (struct sg_h1_span){ "POST", 4 };
	assert_int_equal(sg_mcp_authn_request(&a, &p, &m, &in), SG_FILTER_DEFER);
	assert_non_null(a.mcp_oauth);
	sg_filter_plan_reset(&p);
	sg_authn_reset(&a);
	/* an issuer without a tenant: 500 */
	m.issuer = "https://idp";
	in.target = (struct sg_h1_span){ "/.well-known/oauth-authorization-server/authorize", 0 };
	in.target.len = strlen(in.target.p);
	assert_int_equal(sg_mcp_authn_request(&a, &p, &m, &in), SG_FILTER_ANSWER);
	assert_int_equal(p.status, 500);
	sg_filter_plan_reset(&p);
}

/* config_dump: agentgateway's route jwtAuth with its `mcp` part, the
 * secret redacted. */
#define JWT_FIELDS                                                                                 \
	"\"mode\":\"strict\",\"providers\":[{\"issuer\":\"http://localhost:9000\",\"keys\":[]}],"  \
	"\"location\":{\"header\":{\"name\":\"authorization\",\"prefix\":\"Bearer \"}}"

static void test_mcpauthn_dump(void **state)
{
	struct sg_cfg *c = load("{url: http://localhost:9000/.well-known/jwks.json}",
				"          provider: {keycloak: {}}\n"
				"          clientId: cid\n"
				"          clientSecret: s3cret\n",
				false);
	char *json = sg_dump_config(c), *got;
	struct sg_json *root = sg_json_parse(json);
	const struct sg_json *route;

	(void)state;
	/* binds[0].listeners.<first>.routes.<first> */
	route = sg_json_first(sg_json_get(
		sg_json_first(sg_json_get(sg_json_first(sg_json_get(root, "binds")), "listeners")),
		"routes"));
	got = sg_json_print(sg_json_get(route, "inlinePolicies"), SG_JSON_COMPACT);
	assert_non_null(got);
	assert_string_equal(
		got, "[{\"jwtAuth\":{" JWT_FIELDS ",\"mcp\":{\"issuer\":\"http://localhost:9000\","
		     "\"audiences\":[\"" RES "\"],\"provider\":{\"keycloak\":{}},"
		     "\"resourceMetadata\":{\"bearerMethodsSupported\":[\"header\",\"body\","
		     "\"query\"],\"resource\":\"" RES "\",\"resourceDocumentation\":"
		     "\"http://localhost:3000/stdio/docs\",\"resourcePolicyUri\":"
		     "\"http://localhost:3000/stdio/policies\",\"scopesSupported\":[\"read:all\"]},"
		     "\"jwtValidator\":{" JWT_FIELDS "},\"mode\":\"strict\",\"clientId\":\"cid\","
		     "\"clientSecret\":\"<redacted>\"}}}]");
	free(got);
	sg_json_free(root);
	free(json);
	sg_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcpauthn_no_token_401_with_challenge),
		cmocka_unit_test(test_mcpauthn_valid_token_forwards_with_claims),
		cmocka_unit_test(test_mcpauthn_protected_resource_metadata),
		cmocka_unit_test(test_mcpauthn_authorization_server_deferred),
		cmocka_unit_test(test_mcpauthn_challenge_base),
		cmocka_unit_test(test_mcpauthn_well_known_paths),
		cmocka_unit_test(test_mcpauthn_jwks_url_derived),
		cmocka_unit_test(test_mcpauthn_entra_authority),
		cmocka_unit_test(test_mcpauthn_entra_endpoints),
		cmocka_unit_test(test_mcpauthn_refusals),
		cmocka_unit_test(test_mcpauthn_dump),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
