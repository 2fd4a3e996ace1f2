/* A JWKS given by URL (jwtAuth's jwks {url}): its keys as last fetched,
 * refreshed off the data path by a thread of its own, as agentgateway's
 * resource manager refreshes them (the answer's Cache-Control max-age,
 * else 15 minutes, never sooner than 60 s; Expires is not read; a failure
 * is tried again after 1, 2, 4 ... up to 15 s and keeps the keys it had),
 * but a max-age is heeded up to 24 h only (agentgateway has no ceiling). A token
 * whose kid is unknown asks for a fetch at once, at most one per
 * SG_JWKS_KICK_MS. The fetch itself is the caller's function
 * (user/core/jwksfetch.c: the gateway's HTTP/1.1 and TLS client). */
#ifndef SG_JWKSREMOTE_H
#define SG_JWKSREMOTE_H

#include <stddef.h>
#include <stdint.h>

struct sg_jwks;
struct sg_jwks_remote;

/* Fetches between two a kid miss may ask for, at least. */
#define SG_JWKS_KICK_MS 5000
/* Keys replaced by a fetch are freed this long after (a worker that read
 * them verifies one token with them: microseconds). */
#define SG_JWKS_RETIRE_MS 60000

/* GET url: 0 with *body (malloc'd, *len bytes, the caller's) and *ttl_ms
 * (how long the answer may be kept: 0 = the answer does not say), or -1
 * with why in err. Blocking: called on the remote's thread only. */
typedef int (*sg_jwks_get_fn)(const char *url, char **body, size_t *len, int64_t *ttl_ms, char *err,
			      size_t errlen);

/* A remote for url (copied), holding no keys, not fetching; refresh_ms:
 * the refresh period when an answer names no max-age (0: 15 min). NULL:
 * out of memory. */
struct sg_jwks_remote *sg_jwks_remote_new(const char *url, int64_t refresh_ms);
/* The config's reference is dropped: the thread, if any, stops at its next
 * wake-up (now, unless a fetch is under way) and frees it. NULL is fine. */
void sg_jwks_remote_release(struct sg_jwks_remote *r);
/* Starts r's thread fetching with get (once: later calls return 0).
 * Returns 0, or -errno when the thread cannot start. */
int sg_jwks_remote_start(struct sg_jwks_remote *r, sg_jwks_get_fn get);

/* At the gateway's exit, once its configs are released: waits up to
 * timeout_ms for the remotes' threads to end (one still fetching is left
 * to the process's exit). */
void sg_jwks_remote_join(int64_t timeout_ms);

/* The keys of the last good fetch, NULL before one. Any thread; valid for
 * SG_JWKS_RETIRE_MS after a later fetch replaces them. */
const struct sg_jwks *sg_jwks_remote_keys(const struct sg_jwks_remote *r);
/* Bumped by each fetch that replaces the keys (caches key on it). */
uint64_t sg_jwks_remote_version(const struct sg_jwks_remote *r);
/* A token named a kid r's keys lack: fetch again soon (bounded). */
void sg_jwks_remote_kick(struct sg_jwks_remote *r);
const char *sg_jwks_remote_url(const struct sg_jwks_remote *r);

#endif
