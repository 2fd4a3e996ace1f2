/* API keys as agentgateway's apiKey checks them: each configured key known
 * by its SHA-256 (inline keys hashed when the config loads, keyHash as
 * given), a presented key hashed and compared with every one in constant
 * time, so that neither the key nor how much of it matched shows in the
 * time an answer takes. No I/O. */
#ifndef SG_APIKEY_H
#define SG_APIKEY_H

#include <stddef.h>

#include "config/cfg.h"

struct sg_diag;

/* Hashes the inline keys of every apiKey of cfg (cfg->apikeys) not done
 * yet, into their rt (released with cfg). Call before cfg is shared with
 * the workers. Returns 0, or -1 with the reason in d (out of memory). */
int sg_apikey_prepare(const struct sg_cfg *cfg, struct sg_diag *d);

/* The key of k that key[0..len) is, or NULL (none, or k not prepared).
 * Every configured key is compared, whatever matched. */
const struct sg_api_key *sg_apikey_find(const struct sg_api_keys *k, const char *key, size_t len);

#endif
