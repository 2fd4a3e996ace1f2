/* user/mcp/mcppolicy.c: an MCP target's backendTLS and backendAuth, copied
 * out of the config, as the HTTP client takes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/mcp/mcppolicy.h"

static void test_mcppolicy_none(void **state)
{
	struct sg_mcp_target t = { .name = "a" };
	struct sg_mcp_policy *p = (void *)1;
	char *u;

	(void)state;
	assert_int_equal(sg_mcp_policy_new(&t, &p), 0);
	assert_null(p);
	assert_null(sg_mcp_policy_tls(p));
	assert_string_equal(sg_mcp_policy_headers(p), "");
	u = sg_mcp_policy_url(p, "http://h:1/mcp");
	assert_string_equal(u, "http://h:1/mcp");
	free(u);
	sg_mcp_policy_unref(p);
}

/* key at a header with its prefix; credentials: two cookies on one line,
 * a header of their own, two query parameters form-encoded. */
static void test_mcppolicy_credentials(void **state)
{
	struct sg_backend_cred creds[] = {
		{ { SG_CRED_COOKIE, "tenant", NULL }, "t-42", true },
		{ { SG_CRED_QUERY, "sig", NULL }, "a b&c", true },
		{ { SG_CRED_HEADER, "x-api-key", NULL }, "k", true },
		{ { SG_CRED_COOKIE, "zone", NULL }, "eu", true },
		{ { SG_CRED_QUERY, "v", NULL }, "1", true },
	};
	struct sg_backend_auth b = {
		.kind = SG_BACKEND_AUTH_KEY,
		.main = { { SG_CRED_HEADER, "authorization", "Bearer " }, "sekret", false },
		.creds = creds,
		.ncreds = 5,
	};
	struct sg_mcp_target t = { .name = "a", .backend_auth = &b };
	struct sg_mcp_policy *p;
	char *u;

	(void)state;
	assert_int_equal(sg_mcp_policy_new(&t, &p), 0);
	assert_non_null(p);
	assert_null(sg_mcp_policy_tls(p));
	assert_string_equal(sg_mcp_policy_headers(p), "authorization: Bearer sekret\r\n"
						      "x-api-key: k\r\n"
						      "Cookie: tenant=t-42; zone=eu\r\n");
	u = sg_mcp_policy_url(p, "http://h:1/mcp");
	assert_string_equal(u, "http://h:1/mcp?sig=a+b%26c&v=1");
	free(u);
	u = sg_mcp_policy_url(p, "http://h:1/message?sessionId=x");
	assert_string_equal(u, "http://h:1/message?sessionId=x&sig=a+b%26c&v=1");
	free(u);
	sg_mcp_policy_unref(p);
}

/* backendTLS copied whole: its PEMs, names and lists outlive the config's. */
static void test_mcppolicy_tls_copied(void **state)
{
	char root[] = "-----BEGIN CERTIFICATE-----\nx\n", host[] = "mcp.test", san[] = "a.test",
	     h1[] = "http/1.1";
	const char *sans[] = { san }, *alpn[] = { h1 };
	struct sg_backend_tls tls = {
		.root_pem = root,
		.root_len = strlen(root),
		.hostname = host,
		.insecure_host = true,
		.has_alpn = true,
		.alpn = { alpn, 1, 1 },
		.sans = { sans, 1, 1 },
	};
	struct sg_mcp_target t = { .name = "a", .backend_tls = &tls };
	const struct sg_backend_tls *c;
	struct sg_mcp_policy *p;

	(void)state;
	assert_int_equal(sg_mcp_policy_new(&t, &p), 0);
	sg_mcp_policy_ref(p);
	sg_mcp_policy_unref(p);
	memset(root, 'z', sizeof(root) - 1);
	memset(host, 'z', sizeof(host) - 1);
	san[0] = h1[0] = 'z';
	c = sg_mcp_policy_tls(p);
	assert_non_null(c);
	assert_int_equal(c->root_len, strlen("-----BEGIN CERTIFICATE-----\nx\n"));
	assert_string_equal(c->root_pem, "-----BEGIN CERTIFICATE-----\nx\n");
	assert_null(c->cert_pem);
	assert_null(c->key_pem);
	assert_string_equal(c->hostname, "mcp.test");
	assert_true(c->insecure_host);
	assert_false(c->insecure);
	assert_true(c->has_alpn);
	assert_int_equal(c->alpn.n, 1);
	assert_string_equal(c->alpn.v[0], "http/1.1");
	assert_int_equal(c->sans.n, 1);
	assert_string_equal(c->sans.v[0], "a.test");
	assert_string_equal(sg_mcp_policy_headers(p), "");
	sg_mcp_policy_unref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcppolicy_none),
		cmocka_unit_test(test_mcppolicy_credentials),
		cmocka_unit_test(test_mcppolicy_tls_copied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
