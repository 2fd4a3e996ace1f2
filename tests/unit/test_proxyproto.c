/* Unit tests for user/codec/proxyproto: PROXY protocol headers, versions 1
 * and 2, whole, cut at every byte, and malformed; the bytes after a header
 * are never part of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "user/codec/proxyproto.h"

#define BOTH (SG_PP_V1 | SG_PP_V2)

static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static enum sg_pp_result parse(const void *p, size_t n, unsigned versions, struct sg_pp_header *h)
{
	const char *why;
	enum sg_pp_result r = sg_pp_parse(p, n, versions, h, &why);

	assert_true((r == SG_PP_BAD) == (why != NULL));
	return r;
}

static const char *bad_why(const char *line, unsigned versions)
{
	struct sg_pp_header h;
	const char *why = NULL;

	assert_int_equal(sg_pp_parse((const uint8_t *)line, strlen(line), versions, &h, &why),
			 SG_PP_BAD);
	return why;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	char got[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, got, sizeof(got));
		assert_int_equal(ntohs(s->sin_port), port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		assert_int_equal(ss->ss_family, AF_INET6);
		inet_ntop(AF_INET6, &s->sin6_addr, got, sizeof(got));
		assert_int_equal(ntohs(s->sin6_port), port);
	}
	assert_string_equal(got, ip);
}

/* Every proper prefix of a header asks for more; the whole one is taken,
 * and nothing after it. */
static void assert_cut_everywhere(const uint8_t *hdr, size_t len)
{
	uint8_t buf[SG_PP_MAX + sizeof(request)];
	struct sg_pp_header h;

	memcpy(buf, hdr, len);
	memcpy(buf + len, request, sizeof(request) - 1);
	for (size_t n = 0; n < len; n++)
		assert_int_equal(parse(buf, n, BOTH, &h), SG_PP_MORE);
	assert_int_equal(parse(buf, len + sizeof(request) - 1, BOTH, &h), SG_PP_DONE);
	assert_int_equal(h.len, len);
}

/* ---- version 1 ------------------------------------------------------------ */

static void test_v1_tcp4(void **state)
{
	static const char line[] = "PROXY TCP4 192.0.2.10 198.51.100.7 56324 443\r\n";
	struct sg_pp_header h;

	assert_cut_everywhere((const uint8_t *)line, strlen(line));
	assert_int_equal(parse(line, strlen(line), SG_PP_V1, &h), SG_PP_DONE);
	assert_int_equal(h.version, SG_PP_V1);
	assert_true(h.has_addrs);
	assert_addr(&h.src, "192.0.2.10", 56324);
	assert_addr(&h.dst, "198.51.100.7", 443);
}

static void test_v1_tcp6_and_unknown(void **state)
{
	static const char six[] = "PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n";
	static const char unknown[] = "PROXY UNKNOWN ff:: whatever 1 2\r\n";
	static const char bare[] = "PROXY UNKNOWN\r\n";
	struct sg_pp_header h;

	assert_int_equal(parse(six, strlen(six), BOTH, &h), SG_PP_DONE);
	assert_addr(&h.src, "2001:db8::1", 65535);
	assert_addr(&h.dst, "2001:db8::2", 0);
	assert_int_equal(parse(unknown, strlen(unknown), BOTH, &h), SG_PP_DONE);
	assert_false(h.has_addrs);
	assert_int_equal(h.len, strlen(unknown));
	assert_int_equal(parse(bare, strlen(bare), BOTH, &h), SG_PP_DONE);
	assert_false(h.has_addrs);
}

static void test_v1_malformed(void **state)
{
	char longest[SG_PP_V1_MAX + 8];

	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 1 65536\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2 192.0.2.2 1 2\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 2001:db8::1 192.0.2.2 1 2\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP6 192.0.2.1 192.0.2.2 1 2\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 1 -2\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 1\r2\r\n", BOTH));
	assert_non_null(bad_why("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n", BOTH));
	assert_non_null(bad_why("PROXY \r\n", BOTH));
	/* proxy-protocol.txt: "Heading zeroes are not permitted" in a port
	 * (octal or decimal?); 0 alone is a port. */
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 080 443\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 80 0443\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP4 192.0.2.1 192.0.2.2 00 443\r\n", BOTH));
	assert_non_null(bad_why("PROXY TCP6 2001:db8::1 2001:db8::2 1 00001\r\n", BOTH));
	/* No CRLF within 107 bytes. */
	memset(longest, 'x', sizeof(longest));
	memcpy(longest, "PROXY UNKNOWN ", 14);
	longest[sizeof(longest) - 1] = '\0';
	assert_string_equal(bad_why(longest, BOTH), "a version 1 line longer than 107 bytes");
	/* The one version not accepted. */
	assert_string_equal(bad_why("PROXY UNKNOWN\r\n", SG_PP_V2),
			    "a version 1 header where only version 2 is accepted");
}

/* A connection's own bytes: told from a header's as soon as they differ,
 * and not before ("PRO" may be "PROPFIND" or "PROXY "). */
static void test_not_a_header(void **state)
{
	struct sg_pp_header h;

	assert_int_equal(parse(request, strlen(request), BOTH, &h), SG_PP_NONE);
	assert_int_equal(parse("\x16\x03\x01", 3, BOTH, &h), SG_PP_NONE);
	assert_int_equal(parse("PRO", 3, BOTH, &h), SG_PP_MORE);
	assert_int_equal(parse("PROP", 4, BOTH, &h), SG_PP_NONE);
	assert_int_equal(parse("PROPFIND / HTTP/1.1\r\n", 21, BOTH, &h), SG_PP_NONE);
	assert_int_equal(parse("\r\n\r\n\0\r\nX", 8, BOTH, &h), SG_PP_NONE);
	assert_int_equal(parse("", 0, BOTH, &h), SG_PP_MORE);
}

/* ---- version 2 ------------------------------------------------------------ */

struct v2 {
	uint8_t b[SG_PP_MAX + 64];
	size_t n;
};

static void v2_begin(struct v2 *v, uint8_t ver_cmd, uint8_t fam)
{
	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

	memcpy(v->b, sig, sizeof(sig));
	v->b[12] = ver_cmd;
	v->b[13] = fam;
	v->n = 16;
}

static void v2_put(struct v2 *v, const void *p, size_t len)
{
	memcpy(v->b + v->n, p, len);
	v->n += len;
}

static void v2_tlv(struct v2 *v, uint8_t type, const void *p, uint16_t len)
{
	uint8_t t[3] = { type, (uint8_t)(len >> 8), (uint8_t)len };

	v2_put(v, t, 3);
	v2_put(v, p, len);
}

static void v2_end(struct v2 *v)
{
	size_t len = v->n - 16;

	v->b[14] = (uint8_t)(len >> 8);
	v->b[15] = (uint8_t)len;
}

/* PROXY, TCP over IPv4, as HAProxy's send-proxy-v2-ssl writes it. */
static void v2_inet(struct v2 *v)
{
	static const uint8_t addrs[12] = { 203, 0, 113, 5, 10, 0, 0, 1, 0xdc, 0x04, 0x01, 0xbb };
	static const uint8_t ssl[5] = { 0x01, 0, 0, 0, 0 };

	v2_begin(v, 0x21, 0x11);
	v2_put(v, addrs, sizeof(addrs));
	v2_tlv(v, 0x01, "h2", 2);
	v2_tlv(v, 0x02, "app.example", 11);
	v2_tlv(v, 0x20, ssl, sizeof(ssl));
	v2_tlv(v, 0x04, "", 0); /* NOOP: skipped */
	v2_end(v);
}

static void test_v2_inet_with_tlvs(void **state)
{
	struct v2 v;
	struct sg_pp_header h;

	v2_inet(&v);
	assert_cut_everywhere(v.b, v.n);
	assert_int_equal(parse(v.b, v.n, SG_PP_V2, &h), SG_PP_DONE);
	assert_int_equal(h.version, SG_PP_V2);
	assert_int_equal(h.len, v.n);
	assert_true(h.has_addrs);
	assert_addr(&h.src, "203.0.113.5", 56324);
	assert_addr(&h.dst, "10.0.0.1", 443);
	assert_string_equal(h.alpn, "h2");
	assert_string_equal(h.authority, "app.example");
	assert_true(h.ssl);
}

static void test_v2_inet6_local_unspec(void **state)
{
	uint8_t six[36] = { 0x20, 0x01, 0x0d,	  0xb8,	       [15] = 1, [16] = 0x20, 0x01,
			    0x0d, 0xb8, [31] = 2, [32] = 0x30, 0x39,	 0x00,	      0x50 };
	struct v2 v;
	struct sg_pp_header h;

	v2_begin(&v, 0x21, 0x21);
	v2_put(&v, six, sizeof(six));
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_DONE);
	assert_addr(&h.src, "2001:db8::1", 12345);
	assert_addr(&h.dst, "2001:db8::2", 80);

	/* LOCAL (a health check of the balancer's own), with or without
	 * an address block: the connection's own peer stands. */
	v2_begin(&v, 0x20, 0x00);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_DONE);
	assert_false(h.has_addrs);
	assert_int_equal(h.len, 16);
	v2_begin(&v, 0x20, 0x11);
	v2_put(&v, six, 12);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_DONE);
	assert_false(h.has_addrs);
	/* PROXY over an unspecified family. */
	v2_begin(&v, 0x21, 0x00);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_DONE);
	assert_false(h.has_addrs);
}

static void test_v2_malformed(void **state)
{
	static const uint8_t four[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2 };
	struct v2 v;
	struct sg_pp_header h;
	const char *why;

	/* Announcing more than 512 bytes: refused from its first 16. */
	v2_begin(&v, 0x21, 0x11);
	v.b[14] = 0x02;
	v.b[15] = 0x01;
	assert_int_equal(sg_pp_parse(v.b, 16, BOTH, &h, &why), SG_PP_BAD);
	assert_string_equal(why, "a version 2 header longer than 528 bytes");
	v2_begin(&v, 0x11, 0x11); /* version 1 in a version 2 signature */
	v2_put(&v, four, 12);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x22, 0x11); /* command 2 */
	v2_put(&v, four, 12);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x21, 0x12); /* UDP */
	v2_put(&v, four, 12);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x21, 0x31); /* UNIX */
	memset(v.b + 16, 0, 216);
	v.n += 216;
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x21, 0x11); /* IPv4 in 8 bytes */
	v2_put(&v, four, 8);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x21, 0x21); /* IPv6 in 12 */
	v2_put(&v, four, 12);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_begin(&v, 0x21, 0x11); /* a TLV running past the header */
	v2_put(&v, four, 12);
	v2_put(&v, "\x01\x00\x09h2", 5);
	v2_end(&v);
	assert_int_equal(sg_pp_parse(v.b, v.n, BOTH, &h, &why), SG_PP_BAD);
	assert_string_equal(why, "a version 2 TLV longer than its header");
	v2_begin(&v, 0x21, 0x11); /* two bytes of a TLV */
	v2_put(&v, four, 12);
	v2_put(&v, "\x01\x00", 2);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_BAD);
	v2_inet(&v); /* the one version not accepted */
	assert_int_equal(sg_pp_parse(v.b, v.n, SG_PP_V1, &h, &why), SG_PP_BAD);
	assert_string_equal(why, "a version 2 header where only version 1 is accepted");
}

/* A TLV value too long for the field that keeps it is not kept, and the
 * rest of the header is read on. */
static void test_v2_long_tlv_not_kept(void **state)
{
	static const uint8_t four[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2 };
	char alpn[40];
	struct v2 v;
	struct sg_pp_header h;

	memset(alpn, 'a', sizeof(alpn));
	v2_begin(&v, 0x21, 0x11);
	v2_put(&v, four, 12);
	v2_tlv(&v, 0x01, alpn, sizeof(alpn));
	v2_tlv(&v, 0x02, "b.example", 9);
	v2_end(&v);
	assert_int_equal(parse(v.b, v.n, BOTH, &h), SG_PP_DONE);
	assert_string_equal(h.alpn, "");
	assert_string_equal(h.authority, "b.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_tcp4),
		cmocka_unit_test(test_v1_tcp6_and_unknown),
		cmocka_unit_test(test_v1_malformed),
		cmocka_unit_test(test_not_a_header),
		cmocka_unit_test(test_v2_inet_with_tlvs),
		cmocka_unit_test(test_v2_inet6_local_unspec),
		cmocka_unit_test(test_v2_malformed),
		cmocka_unit_test(test_v2_long_tlv_not_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
