/* Fuzz target: JWKS and JWTs (user/auth/jwks.c, user/auth/jwt.c). The
 * first byte chooses: odd, the rest is a JWKS text (sg_jwks_parse:
 * parsed, or refused with a reason, never a crash or a leak); even, the
 * rest is a token verified
 * against a fixed jwtAuth (a P-256 and an Ed25519 key, issuer "i",
 * audience "a") at a fixed time: refused with a reason, or accepted with
 * claims that name issuer "i" and that verify the same again through the
 * cache. Seeds: a valid ES256 and EdDSA token. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/auth/jwt.h"
#include "user/base/json.h"

#define NOW 1800000000

static const char jwks[] =
	"{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec256\",\"crv\":\"P-256\",\"x\":"
	"\"GIcbOPdrPGIksLTbxzLL9FMWVROqKCkOfLsgSgQLYRE\",\"y\":"
	"\"TqcktJgaMx3i8RIrhtfXcCd0fvfKpoNvAYlPsnv0xfs\"},{\"kty\":\"OKP\",\"kid\":\"ed\","
	"\"crv\":\"Ed25519\",\"x\":\"vAuZR4oAWDrUNvTFE-uw4ULZx2GH4fhWYRuCrOqvUdo\"}]}";

static const char *audiences[] = { "a" };
static struct sg_jwt_provider provider = {
	.issuer = "i",
	.audiences = { audiences, 1, 1 },
	.jwks = jwks,
	.jwks_len = sizeof(jwks) - 1,
	.required = SG_JWT_CLAIM_EXP,
};
static struct sg_cfg_rt rt;
static const struct sg_jwt_auth auth = {
	.providers = &provider,
	.nproviders = 1,
	.rt = &rt,
};

static void verify(const char *tok, size_t len)
{
	static struct sg_jwt_cache *cache;
	struct sg_jwt_claims *c = NULL, *again = NULL;
	struct sg_jwt_result r;
	char why[256];

	if (!cache)
		cache = sg_jwt_cache_new();
	if (sg_jwt_verify(&auth, tok, len, NOW, &c, &r) < 0) {
		FUZZ_CHECK(r.err != SG_JWT_OK);
		FUZZ_CHECK(strlen(sg_jwt_describe(&r, why, sizeof(why))) > 0);
		return;
	}
	FUZZ_CHECK(!strcmp(sg_json_str(sg_json_get(sg_jwt_claims_json(c), "iss")), "i"));
	FUZZ_CHECK(sg_jwt_check(cache, &auth, tok, len, NOW, &again, &r) == 0);
	sg_jwt_claims_put(again);
	sg_jwt_claims_put(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sg_cfg cfg = { .jwts = (const struct sg_jwt_auth *[]){ &auth }, .njwts = 1 };
	struct sg_jwks *k = NULL;
	char err[256];
	int rc;

	if (!rt.p)
		FUZZ_CHECK(sg_jwt_prepare(&cfg, NULL) == 0);
	if (!size)
		return 0;
	if (data[0] & 1) {
		err[0] = '\0';
		rc = sg_jwks_parse((const char *)data + 1, size - 1, &k, err, sizeof(err));
		FUZZ_CHECK(rc == 0 || (rc < 0 && err[0]));
		for (size_t i = 0; rc == 0 && i < sg_jwks_count(k); i++)
			FUZZ_CHECK(sg_jwks_kid(k, i) != NULL);
		sg_jwks_free(k);
		return 0;
	}
	verify((const char *)data + 1, size - 1);
	return 0;
}
