/* API key lookup (the contract is apikey.h). */
#include "user/auth/apikey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/diag.h"

#define HASH_LEN 32

static int sha256(const void *p, size_t len, uint8_t out[HASH_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

/* rt->p: the keys' hashes, in k's order. */
static int hash_keys(const struct sg_api_keys *k, struct sg_diag *d)
{
	uint8_t(*h)[HASH_LEN] = calloc(k->n ? k->n : 1, HASH_LEN);

	if (!h) {
		sg_diag_err(d, k->at, "apiKey: out of memory");
		return -1;
	}
	for (size_t i = 0; i < k->n; i++) {
		if (!k->v[i].key) {
			memcpy(h[i], k->v[i].hash, HASH_LEN);
		} else if (sha256(k->v[i].key, strlen(k->v[i].key), h[i]) < 0) {
			sg_diag_err(d, k->at, "apiKey: SHA-256 is not available");
			free(h);
			return -1;
		}
	}
	k->rt->p = h;
	k->rt->release = free;
	return 0;
}

int sg_apikey_prepare(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->napikeys; i++)
		if (!cfg->apikeys[i]->rt->p && hash_keys(cfg->apikeys[i], d) < 0)
			ret = -1;
	return ret;
}

const struct sg_api_key *sg_apikey_find(const struct sg_api_keys *k, const char *key, size_t len)
{
	const uint8_t(*h)[HASH_LEN] = k->rt ? k->rt->p : NULL;
	const struct sg_api_key *found = NULL;
	uint8_t want[HASH_LEN];

	if (!h || sha256(key, len, want) < 0)
		return NULL;
	for (size_t i = 0; i < k->n; i++)
		if (CRYPTO_memcmp(h[i], want, HASH_LEN) == 0 && !found)
			found = &k->v[i];
	return found;
}
