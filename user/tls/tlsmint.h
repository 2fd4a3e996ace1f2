/* Certificates minted per SNI from a CA (agentgateway's `tls.mode:
 * dynamicCa`, for egress inspection): one key made when the CA is loaded,
 * a leaf for each host name signed with it on demand and kept in a
 * bounded cache. Apart from tls.c, which puts the leaf in a handshake, so
 * that the handshake's file stays about the handshake. One per listener
 * context of a worker: not shared between threads. */
#ifndef SG_TLSMINT_H
#define SG_TLSMINT_H

#include <stddef.h>
#include <stdint.h>

/* Leaves kept (agentgateway's defaults: 256, five minutes each; the
 * oldest goes first when full). A leaf is valid from an hour before it
 * was made (clocks differ) to a day after. */
#define SG_TLS_MINT_CACHE 256
#define SG_TLS_MINT_TTL_MS (300 * 1000)

struct sg_tls_mint;

/* The CA of PEM ca[0..ca_len) (its first certificate) and its private
 * key key[0..key_len), which must match. NULL with the reason in err when
 * they do not load or match, or the CA cannot sign (no CA basic
 * constraint), or out of memory. */
struct sg_tls_mint *sg_tls_mint_new(const char *ca, size_t ca_len, const char *key, size_t key_len,
				    char *err, size_t errlen);
void sg_tls_mint_free(struct sg_tls_mint *m);

/* The leaf for host name `name` at loop time now_ms (DER, *der[0..*len),
 * the mint's: valid until the next call) and the key it certifies (DER,
 * PKCS#8, the same for every leaf). -1 when it could not be made (out of
 * memory, a name too long). */
int sg_tls_mint_leaf(struct sg_tls_mint *m, const char *name, uint64_t now_ms,
		     const unsigned char **der, size_t *len);
void sg_tls_mint_key(const struct sg_tls_mint *m, const unsigned char **der, size_t *len);

#endif
