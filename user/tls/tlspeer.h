/* A client certificate read as agentgateway's CEL reads it (source.*, its
 * TlsInfo): struct sg_tls_peer (user/tls/tls.h), made once per session by
 * tls.c's sg_tls_peer. Apart so that the handshake's file stays about the
 * handshake. */
#ifndef SG_TLSPEER_H
#define SG_TLSPEER_H

#include <stdbool.h>
#include <stddef.h>

#include "user/tls/tls.h"

/* The fields of the certificate der[0..len) (DER), each its own copy;
 * NULL when it does not parse, or out of memory. */
struct sg_tls_peer *sg_tls_peer_read(const unsigned char *der, size_t len);
void sg_tls_peer_free(struct sg_tls_peer *p);

/* Whether `uri` is an Istio identity, "spiffe://TD/ns/NS/sa/SA" with
 * exactly those five '/'-separated parts (any of them may be empty, as
 * agentgateway's parser allows); its parts into td, ns and sa, spans into
 * uri, with their lengths. */
bool sg_tls_istio_identity(const char *uri, const char *part[3], size_t len[3]);

#endif
