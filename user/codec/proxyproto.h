/* The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
 * 2) that a load balancer writes at the start of a connection to say whom
 * it is forwarding: read from the first bytes a connection sent, never
 * from more. A pure parser: the caller peeks, calls again with more bytes
 * while it says SG_PP_MORE, then consumes exactly `len` bytes. */
#ifndef SG_CODEC_PROXYPROTO_H
#define SG_CODEC_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SG_PP_V1 1u
#define SG_PP_V2 2u

/* A version 1 line is at most 107 bytes (the protocol's own bound). A
 * version 2 header may announce 64 KiB; 512 bytes of addresses and TLVs
 * hold IPv6 addresses and every TLV a load balancer sends, and nothing
 * longer is read. So no header is longer than SG_PP_MAX. */
#define SG_PP_V1_MAX 107
#define SG_PP_V2_MAX (16 + 512)
#define SG_PP_MAX SG_PP_V2_MAX

enum sg_pp_result {
	SG_PP_MORE, /* a header's beginning, or nothing yet: read more */
	SG_PP_DONE, /* a header, `len` bytes long */
	SG_PP_NONE, /* not a PROXY header: the connection's own bytes */
	SG_PP_BAD,  /* a header that is malformed, too long or not accepted */
};

struct sg_pp_header {
	size_t len;	  /* bytes the header takes */
	unsigned version; /* SG_PP_V1 or SG_PP_V2 */
	/* Addresses the balancer forwards for. false: it named none (v2
	 * LOCAL, an unspecified family, v1 UNKNOWN), and the connection's
	 * own peer stands. */
	bool has_addrs;
	struct sockaddr_storage src, dst;
	/* TLVs (v2), for logs only: never a routing input. */
	char alpn[32];
	char authority[256];
	bool ssl; /* PP2_TYPE_SSL with its client-connected bit */
};

/* Parses the first n bytes of a connection, accepting the versions in
 * `versions` (SG_PP_V1 | SG_PP_V2). On SG_PP_BAD, *why says why. */
enum sg_pp_result sg_pp_parse(const uint8_t *p, size_t n, unsigned versions, struct sg_pp_header *h,
			      const char **why);

#endif
