/* user/auth/apikey: API keys inline and as keyHash (sha256:<hex>, made here
 * with OpenSSL) found by their hash, the metadata of the key that matched,
 * none for a prefix, an extension or an empty key; and user/core/authn's
 * apiKey step: the modes, agentgateway's texts, the key stripped. Configs
 * are real YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "config/node.h"
#include "user/auth/apikey.h"
#include "user/core/authn.h"
#include "user/core/filter.h"
#include "tests/unit/authstep.h"

/* A config whose one route has apiKey `policy`, prepared. */
static struct sg_cfg *load(const char *policy)
{
	char text[4096];
	struct sg_diag d;
	struct sg_cfg *c;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		 "    - policies:\n        apiKey: %s\n"
		 "      backends: [{host: 127.0.0.1:1}]\n",
		 policy);
	sg_diag_init(&d);
	c = sg_cfg_load_text("k.yaml", text, &d);
	if (!c || sg_apikey_prepare(c, &d) < 0) {
		sg_diag_print(&d, stderr);
		fail();
	}
	sg_diag_free(&d);
	return c;
}

static const struct sg_api_keys *keys_of(const struct sg_cfg *c)
{
	return c->binds[0].listeners[0].routes[0].eff_filters.apikeys;
}

/* "sha256:<hex of SHA-256(key)>" */
static const char *key_hash(const char *key)
{
	static char out[80];
	unsigned char h[32];
	unsigned int n = 0;

	EVP_Digest(key, strlen(key), h, &n, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02X", h[i]); /* upper case is accepted too */
	return out;
}

static const char *metadata_of(const struct sg_api_key *k)
{
	return k && k->metadata ? sg_map_get(k->metadata, "team")->str : "-";
}

static void test_apikey_inline_and_hashed(void **state)
{
	char policy[512];
	struct sg_cfg *c;
	const struct sg_api_keys *k;

	snprintf(policy, sizeof(policy),
		 "{keys: [{key: sk-alpha, metadata: {team: a}}, "
		 "{keyHash: '%s', metadata: {team: b}}, {key: sk-gamma}]}",
		 key_hash("sk-beta"));
	c = load(policy);
	k = keys_of(c);
	assert_int_equal(k->mode, SG_AUTH_OPTIONAL);
	assert_string_equal(metadata_of(sg_apikey_find(k, "sk-alpha", 8)), "a");
	assert_string_equal(metadata_of(sg_apikey_find(k, "sk-beta", 7)), "b");
	assert_ptr_equal(sg_apikey_find(k, "sk-gamma", 8), &k->v[2]);
	assert_null(sg_apikey_find(k, "sk-alph", 7));
	assert_null(sg_apikey_find(k, "sk-alphaX", 9));
	assert_null(sg_apikey_find(k, "", 0));
	/* the hash itself is not a key */
	assert_null(sg_apikey_find(k, key_hash("sk-beta") + 7, 64));
	sg_cfg_free(c);
}

static void test_apikey_config_refusals(void **state)
{
	static const struct {
		const char *policy, *want;
	} cases[] = {
		{ "{keys: [{keyHash: 'md5:00'}]}",
		  "k.yaml:5:44: binds[0].listeners[0].routes[0].policies.apiKey.keys[0].keyHash: "
		  "expected sha256:<64 hex digits>, got \"md5:00\"\n" },
		{ "{keys: [{key: a, keyHash: 'sha256:00'}]}", NULL },
		{ "{keys: [{key: a, allowedModels: [gpt]}]}",
		  "k.yaml:5:58: binds[0].listeners[0].routes[0].policies.apiKey.keys[0]."
		  "allowedModels: not supported (no LLM backends)\n" },
		{ "{keys: [], mode: lenient}", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct sg_diag d;
		struct sg_cfg *c;
		char *got;

		snprintf(text, sizeof(text),
			 "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
			 "    - policies: {apiKey: %s}\n      backends: [{host: 127.0.0.1:1}]\n",
			 cases[i].policy);
		sg_diag_init(&d);
		c = sg_cfg_load_text("k.yaml", text, &d);
		assert_null(c);
		got = sg_diag_join(&d);
		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		free(got);
		sg_diag_free(&d);
	}
}

static void test_apikey_modes(void **state)
{
	struct sg_cfg *strict = load("{mode: strict, location: {header: {name: X-Api-Key}}, "
				     "keys: [{key: k1, metadata: {team: t}}]}");
	struct sg_cfg *perm = load("{mode: permissive, location: {header: {name: x-api-key}}, "
				   "keys: [{key: k1}]}");
	struct sg_filter_plan p = { 0 };
	struct sg_authn a = { 0 };

	auth_header = "x-api-key";
	assert_int_equal(auth_step(strict, &a, &p, "k1"), SG_FILTER_FORWARD);
	assert_string_equal(metadata_of(a.apikey), "t");
	assert_true(sg_header_edit_drops(&p.request, "x-api-key", 9));
	sg_authn_reset(&a);
	assert_int_equal(auth_step(strict, &a, &p, NULL), SG_FILTER_REFUSED);
	assert_int_equal(p.refusal, SG_FAIL_APIKEY);
	assert_string_equal(p.cause, "no API Key found");
	assert_int_equal(p.response.nadd, 0); /* no challenge, as agentgateway */
	assert_int_equal(auth_step(strict, &a, &p, "k2"), SG_FILTER_REFUSED);
	assert_string_equal(p.cause, "invalid credentials");
	assert_null(a.apikey);
	assert_int_equal(auth_step(perm, &a, &p, "k2"), SG_FILTER_FORWARD);
	assert_null(a.apikey);
	assert_false(sg_header_edit_drops(&p.request, "x-api-key", 9));
	sg_filter_plan_reset(&p);
	sg_cfg_free(strict);
	sg_cfg_free(perm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apikey_inline_and_hashed),
		cmocka_unit_test(test_apikey_config_refusals),
		cmocka_unit_test(test_apikey_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
