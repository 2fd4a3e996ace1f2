/* Unit tests for user/tlshello: the server_name of a ClientHello, from a
 * real one (openssl s_client), built ones split across records and reads,
 * and truncated or malformed input, which must never read out of bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/tls/tlshello.h"

/* `openssl s_client -connect ... -servername App.Example.COM -tls1_2`: its
 * first record as it came off the wire (OpenSSL 3.0). */
static const uint8_t real_hello[] = {
	0x16, 0x03, 0x01, 0x00, 0xcf, 0x01, 0x00, 0x00, 0xcb, 0x03, 0x03, 0x63, 0x37, 0x14, 0x02,
	0xf9, 0xc7, 0xf0, 0x36, 0xec, 0x2e, 0x1f, 0xd6, 0x57, 0x5b, 0xe2, 0xf5, 0xba, 0x7e, 0xf3,
	0xdf, 0x5c, 0x22, 0x61, 0x5a, 0x44, 0x63, 0xf3, 0x6e, 0x44, 0xc0, 0xe3, 0x82, 0x00, 0x00,
	0x38, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
	0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00,
	0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
	0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00,
	0x6a, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x41, 0x70, 0x70, 0x2e, 0x45,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x43, 0x4f, 0x4d, 0x00, 0x0b, 0x00, 0x04, 0x03,
	0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e,
	0x00, 0x19, 0x00, 0x18, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00,
	0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07,
	0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04,
	0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
	0x06, 0x02,
};

/* ---- building hellos ---------------------------------------------------- */

struct bytes {
	uint8_t v[70000];
	size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->v));
	memcpy(b->v + b->n, p, n);
	b->n += n;
}

static void put8(struct bytes *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void put16(struct bytes *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

/* An extension of `type` with data[0..n). */
static void ext(struct bytes *e, unsigned type, const void *data, size_t n)
{
	put16(e, type);
	put16(e, (unsigned)n);
	put(e, data, n);
}

/* server_name extension data naming `host` (type 0). */
static void sni_data(struct bytes *d, const char *host)
{
	size_t n = strlen(host);

	put16(d, (unsigned)(n + 3));
	put8(d, 0);
	put16(d, (unsigned)n);
	put(d, host, n);
}

/* A ClientHello handshake message (header included) with extensions
 * exts (NULL: no extensions block at all). */
static void hello_msg(struct bytes *m, const struct bytes *exts)
{
	struct bytes body = { .n = 0 };
	uint8_t random[32];

	memset(random, 0x5a, sizeof(random));
	put16(&body, 0x0303);
	put(&body, random, sizeof(random));
	put8(&body, 32); /* session id */
	put(&body, random, 32);
	put16(&body, 4); /* two cipher suites */
	put16(&body, 0x1301);
	put16(&body, 0xc02f);
	put8(&body, 1); /* compression: null */
	put8(&body, 0);
	if (exts) {
		put16(&body, (unsigned)exts->n);
		put(&body, exts->v, exts->n);
	}
	put8(m, 1);
	put8(m, (unsigned)(body.n >> 16));
	put16(m, (unsigned)(body.n & 0xffff));
	put(m, body.v, body.n);
}

/* msg wrapped in handshake records of at most `chunk` bytes each. */
static void records(struct bytes *out, const struct bytes *msg, size_t chunk)
{
	for (size_t off = 0; off < msg->n; off += chunk) {
		size_t n = msg->n - off < chunk ? msg->n - off : chunk;

		put8(out, 22);
		put16(out, 0x0301);
		put16(out, (unsigned)n);
		put(out, msg->v + off, n);
	}
}

/* A whole hello naming `host` (NULL: a server_name-less one with another
 * extension), in records of `chunk` bytes. */
static struct bytes *make_hello(const char *host, size_t chunk)
{
	struct bytes *out = calloc(1, sizeof(*out)), *exts = calloc(1, sizeof(*exts));
	struct bytes *d = calloc(1, sizeof(*d)), *m = calloc(1, sizeof(*m));
	static const uint8_t groups[] = { 0x00, 0x02, 0x00, 0x1d };

	assert_non_null(out);
	assert_non_null(exts);
	assert_non_null(d);
	assert_non_null(m);
	ext(exts, 10, groups, sizeof(groups)); /* supported_groups first */
	if (host) {
		sni_data(d, host);
		ext(exts, 0, d->v, d->n);
	}
	ext(exts, 0xff01, "\0", 1); /* renegotiation_info after */
	hello_msg(m, exts);
	records(out, m, chunk);
	free(exts);
	free(d);
	free(m);
	return out;
}

static int sni(const uint8_t *buf, size_t len, char *name, size_t *need)
{
	return sg_tlshello_sni(buf, len, name, SG_TLSHELLO_NAME_MAX + 1, need);
}

/* ---- cases -------------------------------------------------------------- */

static void test_tlshello_reads_openssl_hello(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	size_t need = 0;

	assert_int_equal(sni(real_hello, sizeof(real_hello), name, &need), 0);
	assert_string_equal(name, "app.example.com");
}

/* Every prefix of the real hello asks for more, and for a length past what
 * it has: a reader that tops up to *need each time gets there. */
static void test_tlshello_every_prefix_wants_more(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];

	for (size_t len = 0; len < sizeof(real_hello); len++) {
		size_t need = 0;

		assert_int_equal(sni(real_hello, len, name, &need), -EAGAIN);
		assert_true(need > len);
		assert_true(need <= sizeof(real_hello));
	}
}

static void test_tlshello_reads_by_need(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *h = make_hello("split.example", 7);
	size_t len = 0, steps = 0, need = 0;
	int ret;

	while ((ret = sni(h->v, len, name, &need)) == -EAGAIN) {
		assert_true(need > len && need <= h->n);
		len = need;
		steps++;
	}
	assert_int_equal(ret, 0);
	assert_string_equal(name, "split.example");
	assert_true(steps > 10); /* 7-byte records: many headers on the way */
	free(h);
}

static void test_tlshello_split_across_records(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 50, 100, 16384 };
	char name[SG_TLSHELLO_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct bytes *h = make_hello("a.b.example.com", chunks[i]);
		size_t need = 0;

		assert_int_equal(sni(h->v, h->n, name, &need), 0);
		assert_string_equal(name, "a.b.example.com");
		free(h);
	}
}

/* Bytes after the hello (a second record, early data) change nothing. */
static void test_tlshello_ignores_what_follows(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *h = make_hello("x.example", 16384);
	size_t need = 0;

	put(h, "\x17\x03\x03\x00\x02hi", 7);
	assert_int_equal(sni(h->v, h->n, name, &need), 0);
	assert_string_equal(name, "x.example");
	free(h);
}

static void test_tlshello_without_sni(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *h = make_hello(NULL, 16384), *m = calloc(1, sizeof(*m));
	struct bytes *out = calloc(1, sizeof(*out));
	size_t need = 0;

	assert_int_equal(sni(h->v, h->n, name, &need), -ENOENT);
	/* No extensions block at all. */
	hello_msg(m, NULL);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -ENOENT);
	free(h);
	free(m);
	free(out);
}

static void test_tlshello_lowercases_and_drops_root_dot(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *h = make_hello("WWW.Example.ORG.", 16384);
	size_t need = 0;

	assert_int_equal(sni(h->v, h->n, name, &need), 0);
	assert_string_equal(name, "www.example.org");
	free(h);
}

static void test_tlshello_rejects_bad_names(void **state)
{
	static const char *const bad[] = { "", ".", "a..b", ".a", "a b", "a/b", "é.x", "a\x01" };
	char name[SG_TLSHELLO_NAME_MAX + 1], longest[300];
	size_t need = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bytes *h = make_hello(bad[i], 16384);

		assert_int_equal(sni(h->v, h->n, name, &need), -EINVAL);
		free(h);
	}
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	{
		struct bytes *h = make_hello(longest, 16384);

		assert_int_equal(sni(h->v, h->n, name, &need), -EINVAL);
		free(h);
	}
	/* A name longer than the caller's buffer is refused, not cut. */
	{
		struct bytes *h = make_hello("abcdefgh.example", 16384);

		assert_int_equal(sg_tlshello_sni(h->v, h->n, name, 8, &need), -EINVAL);
		free(h);
	}
}

static void test_tlshello_rejects_non_tls(void **state)
{
	static const char *const plain[] = { "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
					     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" };
	/* SSLv2-compatible hello (high bit set length, type 1). */
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15 };
	char name[SG_TLSHELLO_NAME_MAX + 1];
	size_t need = 0;

	for (size_t i = 0; i < 2; i++)
		assert_int_equal(sni((const uint8_t *)plain[i], strlen(plain[i]), name, &need),
				 -EINVAL);
	assert_int_equal(sni(sslv2, sizeof(sslv2), name, &need), -EINVAL);
}

/* Record-layer problems: wrong content type, version, empty or oversized
 * records, a handshake that is not a ClientHello. */
static void test_tlshello_rejects_bad_records(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	size_t need = 0;
	uint8_t b[sizeof(real_hello)];

	memcpy(b, real_hello, sizeof(b));
	b[0] = 21; /* alert */
	assert_int_equal(sni(b, sizeof(b), name, &need), -EINVAL);
	memcpy(b, real_hello, sizeof(b));
	b[1] = 2;
	assert_int_equal(sni(b, sizeof(b), name, &need), -EINVAL);
	memcpy(b, real_hello, sizeof(b));
	b[3] = 0;
	b[4] = 0; /* zero-length record */
	assert_int_equal(sni(b, sizeof(b), name, &need), -EINVAL);
	memcpy(b, real_hello, sizeof(b));
	b[3] = 0x40;
	b[4] = 0x01; /* 16385 > 2^14 */
	assert_int_equal(sni(b, sizeof(b), name, &need), -EINVAL);
	memcpy(b, real_hello, sizeof(b));
	b[5] = 2; /* ServerHello */
	assert_int_equal(sni(b, sizeof(b), name, &need), -EINVAL);
}

/* The second record of a split hello must be a handshake record too. */
static void test_tlshello_rejects_foreign_record_mid_hello(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *h = make_hello("mid.example", 40);
	size_t need = 0;

	h->v[45] = 23; /* the second record's type: application data */
	assert_int_equal(sni(h->v, h->n, name, &need), -EINVAL);
	free(h);
}

/* Inner lengths that overrun their container, flipped one at a time in
 * the real hello: each must be refused (or still parse if the flip is
 * harmless), never read past the buffer (ASan checks the latter). */
static void test_tlshello_survives_every_corruption(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	uint8_t b[sizeof(real_hello)];

	for (size_t i = 0; i < sizeof(real_hello); i++) {
		static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

		for (size_t k = 0; k < sizeof(vals); k++) {
			size_t need = 0;
			int ret;

			memcpy(b, real_hello, sizeof(b));
			b[i] = vals[k];
			ret = sni(b, sizeof(b), name, &need);
			assert_true(ret == 0 || ret == -ENOENT || ret == -EINVAL ||
				    ret == -EAGAIN || ret == -E2BIG);
			if (ret == -EAGAIN)
				assert_true(need > sizeof(b));
			if (ret == 0)
				assert_true(strlen(name) > 0);
		}
	}
}

static void test_tlshello_rejects_bad_extension_lengths(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *exts = calloc(1, sizeof(*exts)), *m = calloc(1, sizeof(*m));
	struct bytes *out = calloc(1, sizeof(*out)), *d = calloc(1, sizeof(*d));
	size_t need = 0;

	/* server_name whose list length says more than the extension has. */
	put16(d, 40);
	put8(d, 0);
	put16(d, 3);
	put(d, "a.b", 3);
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -EINVAL);

	/* Two server_name extensions. */
	exts->n = d->n = m->n = out->n = 0;
	sni_data(d, "one.example");
	ext(exts, 0, d->v, d->n);
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -EINVAL);

	/* Two host_name entries in one list. */
	exts->n = d->n = m->n = out->n = 0;
	put16(d, 2 * (3 + 5));
	for (int i = 0; i < 2; i++) {
		put8(d, 0);
		put16(d, 5);
		put(d, "a.xyz", 5);
	}
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -EINVAL);

	/* A list with only an unknown name type: no host name. */
	exts->n = d->n = m->n = out->n = 0;
	put16(d, 3 + 2);
	put8(d, 7);
	put16(d, 2);
	put(d, "zz", 2);
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -ENOENT);

	/* Extensions block shorter than the hello says: trailing garbage. */
	exts->n = d->n = m->n = out->n = 0;
	sni_data(d, "t.example");
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	put8(m, 0); /* one byte past the extensions, inside the message */
	m->v[3]++;
	records(out, m, 16384);
	assert_int_equal(sni(out->v, out->n, name, &need), -EINVAL);
	free(exts);
	free(m);
	free(out);
	free(d);
}

/* A hello larger than the bound is refused as soon as its length is
 * known, or when the bytes run past the bound. */
static void test_tlshello_refuses_oversized(void **state)
{
	char name[SG_TLSHELLO_NAME_MAX + 1];
	struct bytes *exts = calloc(1, sizeof(*exts)), *m = calloc(1, sizeof(*m));
	struct bytes *out = calloc(1, sizeof(*out)), *d = calloc(1, sizeof(*d));
	static uint8_t pad[20000];
	size_t need = 0;

	sni_data(d, "big.example");
	ext(exts, 21, pad, sizeof(pad)); /* padding before the name */
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 16384);
	assert_int_equal(sni(out->v, 10, name, &need), -E2BIG);
	assert_int_equal(sni(out->v, out->n, name, &need), -E2BIG);
	/* Just under the bound still parses, even in many records. */
	exts->n = m->n = out->n = 0;
	ext(exts, 21, pad, SG_TLSHELLO_MAX - 5 * 3 - 4 - 79 - 4 - 4 - d->n - 60);
	ext(exts, 0, d->v, d->n);
	hello_msg(m, exts);
	records(out, m, 6000);
	assert_true(out->n <= SG_TLSHELLO_MAX);
	assert_int_equal(sni(out->v, out->n, name, &need), 0);
	assert_string_equal(name, "big.example");
	free(exts);
	free(m);
	free(out);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlshello_reads_openssl_hello),
		cmocka_unit_test(test_tlshello_every_prefix_wants_more),
		cmocka_unit_test(test_tlshello_reads_by_need),
		cmocka_unit_test(test_tlshello_split_across_records),
		cmocka_unit_test(test_tlshello_ignores_what_follows),
		cmocka_unit_test(test_tlshello_without_sni),
		cmocka_unit_test(test_tlshello_lowercases_and_drops_root_dot),
		cmocka_unit_test(test_tlshello_rejects_bad_names),
		cmocka_unit_test(test_tlshello_rejects_non_tls),
		cmocka_unit_test(test_tlshello_rejects_bad_records),
		cmocka_unit_test(test_tlshello_rejects_foreign_record_mid_hello),
		cmocka_unit_test(test_tlshello_survives_every_corruption),
		cmocka_unit_test(test_tlshello_rejects_bad_extension_lengths),
		cmocka_unit_test(test_tlshello_refuses_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
