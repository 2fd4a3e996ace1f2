/* The PROXY protocol header, versions 1 and 2 (see proxyproto.h). */
#include "user/codec/proxyproto.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static const char v1_sig[] = "PROXY ";
static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

enum {
	V2_LOCAL = 0x0,
	V2_PROXY = 0x1,
	V2_AF_UNSPEC = 0x0,
	V2_AF_INET = 0x1,
	V2_AF_INET6 = 0x2,
	V2_AF_UNIX = 0x3,
	V2_STREAM = 0x1,
	V2_TLV_ALPN = 0x01,
	V2_TLV_AUTHORITY = 0x02,
	V2_TLV_SSL = 0x20,
	V2_CLIENT_SSL = 0x01,
};

static enum sg_pp_result bad(const char **why, const char *what)
{
	*why = what;
	return SG_PP_BAD;
}

/* Whether p[0..n) agrees with sig as far as both go. */
static bool agrees(const uint8_t *p, size_t n, const void *sig, size_t siglen)
{
	return memcmp(p, sig, n < siglen ? n : siglen) == 0;
}

/* ---- version 1: "PROXY TCP4 src dst sport dport\r\n" -------------------- */

/* The next space-separated word of [*s, end), copied into out (NUL-
 * terminated); false when it is empty or longer than cap - 1. */
static bool word(const char **s, const char *end, char *out, size_t cap)
{
	const char *w = *s, *sp = memchr(w, ' ', (size_t)(end - w));
	size_t len = (size_t)((sp ? sp : end) - w);

	if (len == 0 || len >= cap)
		return false;
	memcpy(out, w, len);
	out[len] = '\0';
	*s = sp ? sp + 1 : end;
	return true;
}

/* A port: decimal, 0-65535, as the protocol writes it: without heading
 * zeroes ("to avoid any possible confusion with octal numbers"). */
static bool port(const char *s, uint16_t *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 5 || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool v1_addr(int family, const char *ip, const char *p, struct sockaddr_storage *ss)
{
	uint16_t port_no;

	memset(ss, 0, sizeof(*ss));
	if (!port(p, &port_no))
		return false;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port_no);
		return inet_pton(AF_INET, ip, &sin->sin_addr) == 1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port_no);
	return inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1;
}

static enum sg_pp_result parse_v1(const uint8_t *p, size_t n, struct sg_pp_header *h,
				  const char **why)
{
	const uint8_t *crlf = NULL;
	size_t look = n < SG_PP_V1_MAX ? n : SG_PP_V1_MAX;
	char proto[8], src[40], dst[40], sport[6], dport[6];
	const char *s, *end;
	int family;

	for (size_t i = 0; i + 1 < look; i++)
		if (p[i] == '\r' && p[i + 1] == '\n') {
			crlf = p + i;
			break;
		}
	if (!crlf)
		return n >= SG_PP_V1_MAX ? bad(why, "a version 1 line longer than 107 bytes")
					 : SG_PP_MORE;
	h->version = SG_PP_V1;
	h->len = (size_t)(crlf - p) + 2;
	s = (const char *)p + sizeof(v1_sig) - 1;
	end = (const char *)crlf;
	if (memchr(s, '\0', (size_t)(end - s)) || memchr(s, '\r', (size_t)(end - s)) ||
	    memchr(s, '\n', (size_t)(end - s)))
		return bad(why, "a control character in a version 1 line");
	if (!word(&s, end, proto, sizeof(proto)))
		return bad(why, "a version 1 line without its protocol (TCP4, TCP6 or UNKNOWN)");
	if (!strcmp(proto, "UNKNOWN")) {
		h->has_addrs = false; /* the rest of the line is to be ignored */
		return SG_PP_DONE;
	}
	if (strcmp(proto, "TCP4") && strcmp(proto, "TCP6"))
		return bad(why, "a version 1 protocol other than TCP4, TCP6 or UNKNOWN");
	family = proto[3] == '4' ? AF_INET : AF_INET6;
	if (!word(&s, end, src, sizeof(src)) || !word(&s, end, dst, sizeof(dst)) ||
	    !word(&s, end, sport, sizeof(sport)) || !word(&s, end, dport, sizeof(dport)) ||
	    s != end)
		return bad(why, "a version 1 line without exactly two addresses and two ports");
	if (!v1_addr(family, src, sport, &h->src) || !v1_addr(family, dst, dport, &h->dst))
		return bad(why, "a version 1 address or port that does not parse");
	h->has_addrs = true;
	return SG_PP_DONE;
}

/* ---- version 2: binary ----------------------------------------------------- */

static void tlv_str(char *out, size_t cap, const uint8_t *v, size_t len)
{
	if (len >= cap)
		return; /* longer than anything legitimate: not kept */
	memcpy(out, v, len);
	out[len] = '\0';
}

static enum sg_pp_result parse_tlvs(const uint8_t *p, const uint8_t *end, struct sg_pp_header *h,
				    const char **why)
{
	while (p < end) {
		size_t len;

		if (end - p < 3)
			return bad(why, "a version 2 TLV cut short");
		len = (size_t)p[1] << 8 | p[2];
		if ((size_t)(end - p - 3) < len)
			return bad(why, "a version 2 TLV longer than its header");
		if (p[0] == V2_TLV_ALPN)
			tlv_str(h->alpn, sizeof(h->alpn), p + 3, len);
		else if (p[0] == V2_TLV_AUTHORITY)
			tlv_str(h->authority, sizeof(h->authority), p + 3, len);
		else if (p[0] == V2_TLV_SSL && len >= 5)
			h->ssl = p[3] & V2_CLIENT_SSL;
		p += 3 + len;
	}
	return SG_PP_DONE;
}

static enum sg_pp_result parse_v2(const uint8_t *p, size_t n, struct sg_pp_header *h,
				  const char **why)
{
	unsigned cmd, family;
	size_t len, addrs;

	if (n < 16)
		return SG_PP_MORE;
	if (p[12] >> 4 != 2)
		return bad(why, "a version 2 signature with another version number");
	len = (size_t)p[14] << 8 | p[15];
	if (16 + len > SG_PP_V2_MAX)
		return bad(why, "a version 2 header longer than 528 bytes");
	if (n < 16 + len)
		return SG_PP_MORE;
	h->version = SG_PP_V2;
	h->len = 16 + len;
	cmd = p[12] & 0xf;
	family = p[13] >> 4;
	if (cmd != V2_LOCAL && cmd != V2_PROXY)
		return bad(why, "a version 2 command other than LOCAL or PROXY");
	/* LOCAL: the balancer's own connection (a health check); its
	 * address block, if any, says nothing. */
	if (cmd == V2_LOCAL || family == V2_AF_UNSPEC)
		return SG_PP_DONE;
	if ((p[13] & 0xf) != V2_STREAM)
		return bad(why, "a version 2 header for a transport other than TCP");
	if (family == V2_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&h->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&h->dst;

		addrs = 12;
		if (len < addrs)
			return bad(why, "a version 2 header too short for IPv4 addresses");
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, p + 16, 4);
		memcpy(&d->sin_addr, p + 20, 4);
		memcpy(&s->sin_port, p + 24, 2);
		memcpy(&d->sin_port, p + 26, 2);
	} else if (family == V2_AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&h->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&h->dst;

		addrs = 36;
		if (len < addrs)
			return bad(why, "a version 2 header too short for IPv6 addresses");
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, p + 16, 16);
		memcpy(&d->sin6_addr, p + 32, 16);
		memcpy(&s->sin6_port, p + 48, 2);
		memcpy(&d->sin6_port, p + 50, 2);
	} else if (family == V2_AF_UNIX) {
		return bad(why, "a version 2 header with UNIX addresses (not supported)");
	} else {
		return bad(why, "a version 2 header with an unknown address family");
	}
	h->has_addrs = true;
	return parse_tlvs(p + 16 + addrs, p + 16 + len, h, why);
}

enum sg_pp_result sg_pp_parse(const uint8_t *p, size_t n, unsigned versions, struct sg_pp_header *h,
			      const char **why)
{
	bool v1 = agrees(p, n, v1_sig, sizeof(v1_sig) - 1);
	bool v2 = agrees(p, n, v2_sig, sizeof(v2_sig));

	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (n == 0)
		return SG_PP_MORE;
	if (!v1 && !v2)
		return SG_PP_NONE;
	if (v1) {
		if (n < sizeof(v1_sig) - 1)
			return SG_PP_MORE; /* the first bytes of "PROXY " so far */
		if (!(versions & SG_PP_V1))
			return bad(why, "a version 1 header where only version 2 is accepted");
		return parse_v1(p, n, h, why);
	}
	if (n < sizeof(v2_sig))
		return SG_PP_MORE;
	if (!(versions & SG_PP_V2))
		return bad(why, "a version 2 header where only version 1 is accepted");
	return parse_v2(p, n, h, why);
}
