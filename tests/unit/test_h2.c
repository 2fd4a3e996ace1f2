/* Unit tests for user/codec/h2.c: a session driven with hand-made frames
 * (no second HTTP/2 stack), and its frames gathered and written
 * (sg_h2_flush). What needs no session is test_h2head.c's. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config/fields.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/codec/h2.h"
#include "user/base/pages.h"
#include "user/base/slab.h"
#include "tests/unit/httpdate.h"

#include <nghttp2/nghttp2.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct sg_h2_field field(const char *name, const char *value)
{
	return (struct sg_h2_field){ name, strlen(name), value, strlen(value) };
}

/* ---- SETTINGS -------------------------------------------------------------- */

/* ---- a session ---------------------------------------------------------------- */

struct probe {
	int opened, heads, ends, closed, pings;
	bool end_stream;
	char fields[512];
	char data[64];
	size_t data_len;
	const char *body; /* what the body callback serves */
	size_t body_len, body_off;
	int stream_obj;
};

static void *p_open(void *conn, int32_t id)
{
	struct probe *p = conn;

	p->opened++;
	return &p->stream_obj;
}

static int p_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct probe *p = conn;
	size_t n = strlen(p->fields);

	snprintf(p->fields + n, sizeof(p->fields) - n, "%.*s=%.*s;", (int)f->name_len, f->name,
		 (int)f->value_len, f->value);
	return 0;
}

static int p_head(void *conn, void *stream, bool end_stream)
{
	struct probe *p = conn;

	p->heads++;
	p->end_stream = end_stream;
	return 0;
}

static int p_data(void *conn, void *stream, const char *d, size_t len)
{
	struct probe *p = conn;

	memcpy(p->data + p->data_len, d, len);
	p->data_len += len;
	return 0;
}

static int p_end(void *conn, void *stream)
{
	((struct probe *)conn)->ends++;
	return 0;
}

static void p_closed(void *conn, void *stream, uint32_t code)
{
	((struct probe *)conn)->closed++;
}

static void p_ping_ack(void *conn)
{
	((struct probe *)conn)->pings++;
}

static ssize_t p_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct probe *p = conn;
	size_t n = p->body_len - p->body_off;

	if (n > len)
		n = len;
	memcpy(buf, p->body + p->body_off, n);
	p->body_off += n;
	*eof = p->body_off == p->body_len;
	return (ssize_t)n;
}

static const struct sg_h2_callbacks probe_cb = {
	p_open, p_field, p_head, p_data, p_end, p_closed, p_ping_ack, p_body,
};

/* One frame: 9-byte header (RFC 9113 §4.1), then the payload. */
static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t stream, const void *payload,
		    size_t len)
{
	out[0] = (uint8_t)(len >> 16);
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	out[3] = type;
	out[4] = flags;
	out[5] = (uint8_t)(stream >> 24);
	out[6] = (uint8_t)(stream >> 16);
	out[7] = (uint8_t)(stream >> 8);
	out[8] = (uint8_t)stream;
	if (len) /* payload may be NULL */
		memcpy(out + 9, payload, len);
	return 9 + len;
}

/* Everything the session has to send, concatenated. */
static size_t drain_out(struct sg_h2_session *s, uint8_t *out, size_t cap)
{
	size_t len = 0;
	const char *data;
	ssize_t n;

	while ((n = sg_h2_pending(s, &data)) > 0) {
		assert_true(len + (size_t)n <= cap);
		memcpy(out + len, data, (size_t)n);
		len += (size_t)n;
	}
	assert_int_equal(n, 0);
	return len;
}

/* The first frame of `type` on `stream` in out[0..len), or NULL. */
static const uint8_t *find_frame(const uint8_t *out, size_t len, uint8_t type, uint32_t stream,
				 size_t *plen)
{
	for (size_t i = 0; i + 9 <= len;) {
		size_t n = (size_t)out[i] << 16 | (size_t)out[i + 1] << 8 | out[i + 2];
		uint32_t id = (uint32_t)out[i + 5] << 24 | (uint32_t)out[i + 6] << 16 |
			      (uint32_t)out[i + 7] << 8 | out[i + 8];

		if (out[i + 3] == type && id == stream) {
			*plen = n;
			return out + i;
		}
		i += 9 + n;
	}
	return NULL;
}

static void test_h2_session_request_response_ping(void **unused)
{
	/* HPACK: indexed :method GET (2), :scheme http (6), :path / (4);
	 * :authority (name index 1) literal "a.b", without indexing. */
	static const uint8_t hpack[] = { 0x82, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };
	static const uint8_t post[] = { 0x83, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { .body = "hello", .body_len = 5 };
	struct sg_h2_field resp[] = { field(":status", "200"), field("content-length", "5") };
	uint8_t in[512], out[4096];
	size_t n = 0, len, plen;
	const uint8_t *f;

	sg_frontend_http_defaults(&h);
	h.http2_window_size = 1048576;
	h.http2_frame_size = 32768;
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);

	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN;
	n += frame(in + n, 0x4, 0, 0, NULL, 0);			/* SETTINGS */
	n += frame(in + n, 0x1, 0x5, 1, hpack, sizeof(hpack));	/* HEADERS, END_STREAM */
	n += frame(in + n, 0x1, 0x4, 3, post, sizeof(post));	/* HEADERS */
	n += frame(in + n, 0x0, 0x1, 3, "body", 4);		/* DATA, END_STREAM */
	n += frame(in + n, 0x6, 0x1, 0, "\0\0\0\0\0\0\0\0", 8); /* PING ACK */
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_int_equal(p.opened, 2);
	assert_int_equal(p.heads, 2);
	assert_false(p.end_stream); /* the last head, stream 3, has a body */
	assert_string_equal(p.fields, ":method=GET;:scheme=http;:path=/;:authority=a.b;"
				      ":method=POST;:scheme=http;:path=/;:authority=a.b;");
	assert_int_equal(p.data_len, 4);
	assert_memory_equal(p.data, "body", 4);
	assert_int_equal(p.ends, 1);
	assert_int_equal(p.pings, 1);

	assert_int_equal(sg_h2_respond(s, 1, resp, ARRAY_LEN(resp), true), 0);
	assert_int_equal(sg_h2_ping(s), 0);
	assert_int_equal(sg_h2_continue(s, 3), 0);
	len = drain_out(s, out, sizeof(out));
	/* Our SETTINGS come first and carry the policy's values. */
	assert_true(len > 9 && out[3] == 0x4 && out[4] == 0);
	f = find_frame(out, len, 0x4, 0, &plen);
	assert_ptr_equal(f, out);
	assert_int_equal(plen, 18);
	assert_memory_equal(f + 9, "\0\3\0\0\0\x64\0\4\0\x10\0\0\0\5\0\0\x80\0", 18);
	f = find_frame(out, len, 0x1, 1, &plen); /* HEADERS */
	assert_non_null(f);
	f = find_frame(out, len, 0x0, 1, &plen); /* DATA "hello", END_STREAM */
	assert_non_null(f);
	assert_int_equal(plen, 5);
	assert_int_equal(f[4], 0x1);
	assert_memory_equal(f + 9, "hello", 5);
	assert_non_null(find_frame(out, len, 0x6, 0, &plen)); /* our PING */
	f = find_frame(out, len, 0x1, 3, &plen);	      /* 100 Continue */
	assert_non_null(f);
	assert_int_equal(f[4], 0x4);   /* END_HEADERS, and the stream goes on */
	assert_int_equal(p.closed, 1); /* stream 1 is over */
	/* Consuming the body opens the windows again. */
	assert_int_equal(sg_h2_consume(s, 3, 4), 0);
	assert_int_equal(sg_h2_goaway(s, SG_H2_NO_ERROR, "bye"), 0);
	len = drain_out(s, out, sizeof(out));
	f = find_frame(out, len, 0x7, 0, &plen); /* GOAWAY: last stream 3, NO_ERROR, "bye" */
	assert_non_null(f);
	assert_memory_equal(f + 9, "\0\0\0\3\0\0\0\0bye", 11);
	assert_true(sg_h2_alive(s)); /* stream 3 still waits for its answer */
	sg_h2_session_free(s);
}

/* `count` frames of one kind after the preface and SETTINGS, in pieces:
 * whether the session answered GOAWAY(ENHANCE_YOUR_CALM) by the end. */
static bool calmed_after(uint8_t type, uint8_t flags, uint32_t stream, const void *payload,
			 size_t len, size_t count)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { 0 };
	static uint8_t in[64 * 1024], out[64 * 1024];
	size_t n = SG_H2_PREFACE_LEN, olen, plen;
	const uint8_t *f;
	bool calm;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	/* DATA needs an open stream: a POST's HEADERS without END_STREAM. */
	static const uint8_t post[] = { 0x83, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };

	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n += frame(in + n, 0x4, 0, 0, NULL, 0);
	if (type == 0x0)
		n += frame(in + n, 0x1, 0x4, stream, post, sizeof(post));
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	drain_out(s, out, sizeof(out));
	while (count) {
		size_t k = 0;

		for (n = 0; count && n + 9 + len <= sizeof(in); count--, k++)
			n += frame(in + n, type, flags, stream, payload, len);
		sg_h2_recv(s, (const char *)in, n);
		olen = drain_out(s, out, sizeof(out));
		f = find_frame(out, olen, 0x7, 0, &plen);
		if (f) {
			calm = f[9 + 7] == 0xb; /* error code ENHANCE_YOUR_CALM */
			sg_h2_session_free(s);
			return calm;
		}
	}
	sg_h2_session_free(s);
	return false;
}

/* Floods of frames that make no progress end the connection
 * (CVE-2019-9513 and -9518): PRIORITY past 100 a stream opened,
 * WINDOW_UPDATE past 10 a DATA frame sent (each with 1,000 of slack),
 * more than 100 empty DATA frames in a row; a client that stays within
 * them is served. */
static void test_h2_session_frame_floods_calmed(void **unused)
{
	static const uint8_t prio[5] = { 0, 0, 0, 0, 16 };
	static const uint8_t wu[4] = { 0, 0, 0, 1 };

	assert_true(calmed_after(0x2, 0, 1, prio, 5, 5000));
	assert_false(calmed_after(0x2, 0, 1, prio, 5, 900));
	assert_true(calmed_after(0x8, 0, 0, wu, 4, 5000));
	assert_false(calmed_after(0x8, 0, 0, wu, 4, 900));
	assert_true(calmed_after(0x0, 0, 1, NULL, 0, 200));
	assert_false(calmed_after(0x0, 0, 1, NULL, 0, 90));
}

static void test_h2_session_bad_preface_fails(void **unused)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { 0 };
	const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	assert_int_equal(sg_h2_recv(s, junk, strlen(junk)), -EPROTO);
	assert_int_equal(p.opened, 0);
	sg_h2_session_free(s);
}

static void test_h2_session_upgrade_makes_stream_1(void **unused)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { .body = "ok", .body_len = 2 };
	struct sg_h2_field resp[] = { field(":status", "200") };
	uint8_t in[64], out[1024];
	size_t n, len, plen;
	const uint8_t *f;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	assert_int_equal(sg_h2_upgrade(s, "AAMAAABkAAQCAAAAAAIAAAAA", 24, false, &p.stream_obj), 0);
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN + frame(in + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_int_equal(sg_h2_respond(s, 1, resp, 1, true), 0);
	len = drain_out(s, out, sizeof(out));
	f = find_frame(out, len, 0x0, 1, &plen);
	assert_non_null(f); /* the body callback reached the upgraded stream */
	assert_memory_equal(f + 9, "ok", 2);
	assert_int_equal(p.closed, 1);
	/* A bad HTTP2-Settings value is refused. */
	assert_int_equal(sg_h2_upgrade(s, "A", 1, false, NULL), -EINVAL);
	sg_h2_session_free(s);
}

/* One GET on `stream` answered with p->body: the DATA frames' payload,
 * concatenated, in got[0..*got_len). */
static void get_and_answer(struct sg_h2_session *s, struct probe *p, uint32_t stream,
			   const uint8_t *pre, size_t pre_len, uint8_t *got, size_t *got_len)
{
	static const uint8_t hpack[] = { 0x82, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };
	static uint8_t out[65536];
	struct sg_h2_field resp[] = { field(":status", "200") };
	uint8_t in[128];
	size_t n = pre_len, len;

	memcpy(in, pre, pre_len);
	n += frame(in + n, 0x1, 0x5, stream, hpack, sizeof(hpack)); /* HEADERS, END_STREAM */
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	p->body_off = 0;
	assert_int_equal(sg_h2_respond(s, (int32_t)stream, resp, 1, true), 0);
	len = drain_out(s, out, sizeof(out));
	*got_len = 0;
	for (size_t i = 0; i + 9 <= len;) {
		size_t plen = (size_t)out[i] << 16 | (size_t)out[i + 1] << 8 | out[i + 2];

		if (out[i + 3] == 0x0) {
			memcpy(got + *got_len, out + i + 9, plen);
			*got_len += plen;
		}
		i += 9 + plen;
	}
}

/* With a page pool, the frame buffer and the stream table live in the
 * session's arena: a 40 KiB answer writes every page of the frame buffer,
 * and a trim once the stream is over gives all of them back (the stream
 * table is empty again), keeping only the page of small allocations
 * (nghttp2's session struct, the decoder's ring); the next answer is whole
 * and right. A trim with frames still queued changes nothing. */
static void test_h2_session_trim_gives_arena_pages_back(void **unused)
{
	static char body[40000];
	static uint8_t got[65536];
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_pages *pages = sg_pages_new(SG_H2_ARENA_SIZE, 4);
	struct sg_h2_session *s;
	struct probe p = { .body = body, .body_len = sizeof(body) };
	uint8_t pre[64];
	size_t pre_len, got_len, page;

	assert_non_null(pages);
	page = sg_pages_page_size(pages);
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 23);
	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, pages, NULL, &s), 0);
	assert_int_equal(sg_pages_taken(pages), 1);

	memcpy(pre, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	pre_len = SG_H2_PREFACE_LEN + frame(pre + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	get_and_answer(s, &p, 1, pre, pre_len, got, &got_len);
	assert_int_equal(got_len, sizeof(body));
	assert_memory_equal(got, body, sizeof(body));
	assert_int_equal(p.closed, 1);
	/* The stream table's page and the frame buffer's, 16 KiB and more. */
	assert_true(sg_pages_resident(pages) * page >= 16384 + page);

	assert_int_equal(sg_h2_ping(s), 0); /* queued: nothing is given back */
	assert_int_equal(sg_h2_trim(s), 0);
	assert_true(sg_pages_resident(pages) * page >= 16384 + page);
	drain_out(s, got, sizeof(got));
	assert_int_equal(sg_h2_trim(s), 0);
	assert_int_equal(sg_pages_resident(pages), 1);

	/* The client takes the first answer's bytes out of its window. */
	pre_len = frame(pre, 0x8, 0, 0, "\0\0\x9c\x40", 4); /* WINDOW_UPDATE 40000 */
	get_and_answer(s, &p, 3, pre, pre_len, got, &got_len);
	assert_int_equal(got_len, sizeof(body));
	assert_memory_equal(got, body, sizeof(body));
	assert_int_equal(p.closed, 2);
	assert_int_equal(sg_h2_trim(s), 0);
	assert_int_equal(sg_pages_resident(pages), 1);
	sg_h2_session_free(s);
	assert_int_equal(sg_pages_taken(pages), 0);
	sg_pages_free(pages);
}

/* A server session on `pages` (default settings) that has read the
 * client's preface, its SETTINGS and a HEADERS frame on stream 1 holding
 * the header block `block`. */
static struct sg_h2_session *arena_session_asked(struct sg_pages *pages, struct probe *p,
						 const uint8_t *block, size_t len)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	uint8_t in[128];
	size_t n;

	assert_true(SG_H2_PREFACE_LEN + 2 * 9 + len <= sizeof(in));
	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, p, &set, pages, NULL, &s), 0);
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN + frame(in + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	n += frame(in + n, 0x1, 0x5, 1, block, len);
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	return s;
}

/* A server session's HPACK encoder ring, which nghttp2 leaves untouched
 * while answers index nothing (":status 204" is in the static table), sits
 * on an arena page of its own that is then never written; the decoder's, written with the client's indexed
 * fields, is packed with the session struct on one page, the indexed
 * entry on the next: after a request that indexes :authority, its answer
 * and a trim, the arena holds those two pages alone, and the next
 * request's reference to the indexed field still decodes. */
static void test_h2_session_encoder_ring_costs_no_page(void **unused)
{
	/* :method GET, :scheme http, :path /, :authority a.b with indexing */
	static const uint8_t first[] = { 0x82, 0x86, 0x84, 0x41, 0x03, 'a', '.', 'b' };
	static const uint8_t again[] = { 0x82, 0x86, 0x84, 0xbe }; /* :authority: entry 62 */
	struct sg_pages *pages = sg_pages_new(SG_H2_ARENA_SIZE, 4);
	struct sg_h2_session *s;
	struct probe p = { 0 };
	struct sg_h2_field resp[] = { field(":status", "204") };
	uint8_t in[128], out[1024];
	size_t n;

	assert_non_null(pages);
	s = arena_session_asked(pages, &p, first, sizeof(first));
	assert_int_equal(sg_h2_respond(s, 1, resp, 1, false), 0);
	drain_out(s, out, sizeof(out));
	assert_int_equal(p.closed, 1);
	assert_int_equal(sg_h2_trim(s), 0);
	assert_int_equal(sg_pages_resident(pages), 2);

	p.fields[0] = '\0';
	n = frame(in, 0x1, 0x5, 3, again, sizeof(again));
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_string_equal(p.fields, ":method=GET;:scheme=http;:path=/;:authority=a.b;");
	assert_int_equal(sg_h2_respond(s, 3, resp, 1, false), 0);
	drain_out(s, out, sizeof(out));
	assert_int_equal(p.closed, 2);
	sg_h2_session_free(s);
	sg_pages_free(pages);
}

/* A server session's HPACK encoder entries (an answer's indexed field) are
 * packed in the arena, where they go with the slot when the session
 * sleeps, not malloc'd among the heap's long-lived blocks (holes: 0.87 ->
 * 2.0 KiB per idle connection in `make load`). The request indexes
 * nothing (:authority without indexing), so the answer's "server" field
 * is the only entry: after it and a trim the arena holds one page more
 * than before, the one the entry was packed in (malloc'd, it adds none). */
static void test_h2_session_answer_table_entries_live_in_the_arena(void **unused)
{
	static const uint8_t get[] = { 0x82, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };
	struct sg_pages *pages = sg_pages_new(SG_H2_ARENA_SIZE, 4);
	struct sg_h2_session *s;
	struct probe p = { 0 };
	struct sg_h2_field resp[] = { field(":status", "204"), field("server", "t") };
	uint8_t out[1024];
	size_t before;

	assert_non_null(pages);
	s = arena_session_asked(pages, &p, get, sizeof(get));
	assert_int_equal(sg_h2_trim(s), 0);
	before = sg_pages_resident(pages);
	assert_int_equal(sg_h2_respond(s, 1, resp, ARRAY_LEN(resp), false), 0);
	drain_out(s, out, sizeof(out));
	assert_int_equal(p.closed, 1);
	assert_int_equal(sg_h2_trim(s), 0);
	assert_int_equal(sg_pages_resident(pages), before + 1);
	sg_h2_session_free(s);
	sg_pages_free(pages);
}

/* ---- sleep ---------------------------------------------------------------------- */

/* The other end of a sleeping server session: our client session (a real
 * nghttp2 client: it indexes its request fields in its HPACK table,
 * checks every frame, enforces its windows, which it opens only when the
 * test consumes what it received). */
struct peer {
	int heads, ends, closed, goaways;
	uint32_t last_code;
	int32_t goaway_last;
	size_t body; /* DATA bytes received, all streams */
	char status[8];
	char fields[128]; /* the last answer's regular fields, "name=value;" */
	int obj;
};

static int k_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct peer *k = conn;

	size_t at = strlen(k->fields);

	if (f->name_len == 7 && !memcmp(f->name, ":status", 7) && f->value_len < sizeof(k->status))
		snprintf(k->status, sizeof(k->status), "%.*s", (int)f->value_len, f->value);
	else
		snprintf(k->fields + at, sizeof(k->fields) - at, "%.*s=%.*s;", (int)f->name_len,
			 f->name, (int)f->value_len, f->value);
	return 0;
}

static int k_head(void *conn, void *stream, bool end_stream)
{
	((struct peer *)conn)->heads++;
	return 0;
}

static int k_data(void *conn, void *stream, const char *d, size_t len)
{
	((struct peer *)conn)->body += len;
	return 0;
}

static int k_end(void *conn, void *stream)
{
	((struct peer *)conn)->ends++;
	return 0;
}

static void k_closed(void *conn, void *stream, uint32_t code)
{
	struct peer *k = conn;

	k->closed++;
	k->last_code = code;
}

static void k_ping_ack(void *conn)
{
}

static ssize_t k_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	*eof = true;
	return 0;
}

static void k_goaway(void *conn, int32_t last_id, uint32_t code)
{
	struct peer *k = conn;

	k->goaways++;
	k->goaway_last = last_id;
	k->last_code = code;
}

static const struct sg_h2_callbacks peer_cb = {
	.field = k_field,
	.head = k_head,
	.data = k_data,
	.end = k_end,
	.closed = k_closed,
	.ping_ack = k_ping_ack,
	.body = k_body,
	.goaway = k_goaway,
};

/* Bytes both ways until neither session has any to send. */
static void shuttle(struct sg_h2_session *server, struct sg_h2_session *client)
{
	for (int round = 0; round < 100; round++) {
		const char *d;
		ssize_t n;
		bool moved = false;

		while ((n = sg_h2_pending(client, &d)) > 0) {
			assert_int_equal(sg_h2_recv(server, d, (size_t)n), 0);
			moved = true;
		}
		assert_int_equal(n, 0);
		while ((n = sg_h2_pending(server, &d)) > 0) {
			assert_int_equal(sg_h2_recv(client, d, (size_t)n), 0);
			moved = true;
		}
		assert_int_equal(n, 0);
		if (!moved)
			return;
	}
	fail_msg("the sessions kept talking");
}

/* The client asks GET /x on a new stream; the server answers it with
 * p->body, a field the same every time (an index in the server's HPACK
 * table after the first) and one new every time (a new entry), which the
 * client must decode as sent. */
static void ask(struct sg_h2_session *server, struct probe *p, struct sg_h2_session *client,
		struct peer *k)
{
	struct sg_h2_field req[] = { field(":method", "GET"), field(":scheme", "http"),
				     field(":authority", "a.b"), field(":path", "/x"),
				     field("user-agent", "test/1") };
	char n[16], want[64];
	struct sg_h2_field resp[] = { field(":status", "200"),
				      field("server", "sg-test"),
				      { "x-n", 3, n, 0 } };
	int opened = p->opened;
	int32_t id = sg_h2_request(client, req, ARRAY_LEN(req), false, &k->obj);

	resp[2].value_len = (size_t)snprintf(n, sizeof(n), "%d", k->heads);
	snprintf(want, sizeof(want), "server=sg-test;x-n=%s;date=", n);

	assert_true(id > 0);
	p->fields[0] = '\0';
	shuttle(server, client);
	assert_int_equal(p->opened, opened + 1);
	assert_string_equal(p->fields,
			    ":method=GET;:scheme=http;:authority=a.b;:path=/x;user-agent=test/1;");
	p->body_off = 0;
	k->fields[0] = '\0';
	assert_int_equal(sg_h2_respond(server, id, resp, ARRAY_LEN(resp), true), 0);
	shuttle(server, client);
	/* the Date the gateway adds, never indexed (to_nv_kept) */
	assert_memory_equal(k->fields, want, strlen(want));
	assert_true(http_date_is_now(k->fields + strlen(want)));
	assert_string_equal(k->fields + strlen(want) + SG_HTTP_DATE_LEN, ";");
}

static void pair(struct sg_h2_session **server, struct probe *p, struct sg_pages *pages,
		 struct sg_slab *mem, struct sg_h2_session **client, struct peer *k)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, p, &set, pages, mem, server), 0);
	assert_int_equal(sg_h2_client_new(&peer_cb, k, &set, NULL, client), 0);
}

/* Where the client's bytes stop: inside a header block (a HEADERS frame
 * without END_HEADERS, a CONTINUATION that does not end it, a header frame
 * whose payload is not all here) or not: what the frontend's head
 * deadline follows (user/http2/h2proxy.c). */
static void test_h2_session_tells_an_unfinished_header_block(void **unused)
{
	static const uint8_t block[] = { 0x82, 0x86, 0x84, 0x41, 0x01, 'a' };
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { 0 };
	uint8_t in[128];
	size_t n;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN + frame(in + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_false(sg_h2_in_header_block(s));
	n = frame(in, 0x1, 0x1, 1, block, 3); /* END_STREAM, no END_HEADERS */
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_true(sg_h2_in_header_block(s));
	n = frame(in, 0x9, 0x0, 1, block + 3, 1);
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_true(sg_h2_in_header_block(s));
	n = frame(in, 0x9, 0x4, 1, block + 4, 2); /* END_HEADERS */
	assert_int_equal(sg_h2_recv(s, (const char *)in, n - 1), 0);
	assert_true(sg_h2_in_header_block(s)); /* its payload not all here */
	assert_int_equal(sg_h2_recv(s, (const char *)in + n - 1, 1), 0);
	assert_false(sg_h2_in_header_block(s));
	assert_int_equal(p.opened, 1);
	n = frame(in, 0x1, 0x5, 3, block, sizeof(block));
	assert_int_equal(sg_h2_recv(s, (const char *)in, 9), 0); /* its head alone */
	assert_true(sg_h2_in_header_block(s));
	assert_int_equal(sg_h2_recv(s, (const char *)in + 9, n - 9), 0);
	assert_false(sg_h2_in_header_block(s));
	assert_int_equal(p.opened, 2);
	sg_h2_session_free(s);
}

/* A final response head gets the Date its fields lack, and keeps the one
 * it has (its backend's): never two. An interim head gets none. */
static void test_h2_session_respond_dates_final_heads(void **unused)
{
	struct sg_h2_session *s, *c;
	struct probe p = { 0 };
	struct peer k = { 0 };
	struct sg_h2_field req[] = { field(":method", "GET"), field(":scheme", "http"),
				     field(":authority", "a.b"), field(":path", "/x") };
	struct sg_h2_field dated[] = { field(":status", "200"),
				       field("date", "Sun, 06 Nov 1994 08:49:37 GMT") };
	struct sg_h2_field nodate[] = { field(":status", "404") };
	int32_t id;

	pair(&s, &p, NULL, NULL, &c, &k);
	id = sg_h2_request(c, req, ARRAY_LEN(req), false, &k.obj);
	shuttle(s, c);
	k.fields[0] = '\0';
	assert_int_equal(sg_h2_continue(s, id), 0);
	assert_int_equal(sg_h2_respond(s, id, dated, ARRAY_LEN(dated), false), 0);
	shuttle(s, c);
	assert_string_equal(k.fields, "date=Sun, 06 Nov 1994 08:49:37 GMT;");

	id = sg_h2_request(c, req, ARRAY_LEN(req), false, &k.obj);
	shuttle(s, c);
	k.fields[0] = '\0';
	assert_int_equal(sg_h2_respond(s, id, nodate, ARRAY_LEN(nodate), false), 0);
	shuttle(s, c);
	assert_memory_equal(k.fields, "date=", 5);
	assert_true(http_date_is_now(k.fields + 5));
	assert_string_equal(k.fields + 5 + SG_HTTP_DATE_LEN, ";");
	sg_h2_session_free(c);
	sg_h2_session_free(s);
}

/* A head's fields are the session's once submitted: the caller's bytes may
 * change at once, and the peer decodes what was asked. Heads that never go
 * (an answer to a stream the client reset first, a request queued on a
 * session that ends) are released too: the sanitized run's leak check
 * fails this test otherwise. */
static void test_h2_session_heads_are_copied_and_released(void **unused)
{
	struct sg_h2_session *s, *c;
	struct probe p = { .body = "hello", .body_len = 5 };
	struct peer k = { 0 };
	char path[] = "/x", ua[] = "test/1", status[] = "200";
	struct sg_h2_field req[] = { field(":method", "GET"),
				     field(":scheme", "http"),
				     field(":authority", "a.b"),
				     { ":path", 5, path, 2 },
				     { "user-agent", 10, ua, 6 } };
	struct sg_h2_field resp[] = { { ":status", 7, status, 3 } };
	uint8_t out[4096];
	size_t len;
	int32_t id;

	pair(&s, &p, NULL, NULL, &c, &k);
	id = sg_h2_request(c, req, ARRAY_LEN(req), false, &k.obj);
	assert_true(id > 0);
	assert_int_equal(sg_h2_heads_unsent(c), 1);
	memcpy(path, "/y", 2);
	memcpy(ua, "xxxxxx", 6);
	p.fields[0] = '\0';
	shuttle(s, c);
	assert_int_equal(sg_h2_heads_unsent(c), 0);
	assert_string_equal(p.fields,
			    ":method=GET;:scheme=http;:authority=a.b;:path=/x;user-agent=test/1;");
	assert_int_equal(sg_h2_respond(s, id, resp, 1, true), 0);
	assert_int_equal(sg_h2_heads_unsent(s), 1);
	memcpy(status, "500", 3);
	shuttle(s, c);
	assert_int_equal(sg_h2_heads_unsent(s), 0);
	assert_string_equal(k.status, "200");
	assert_int_equal(k.ends, 1);

	/* An answer given up: the client's RST_STREAM reaches the server
	 * before the answer's HEADERS leave it. */
	id = sg_h2_request(c, req, ARRAY_LEN(req), false, &k.obj);
	assert_true(id > 0);
	shuttle(s, c);
	assert_int_equal(p.opened, 2);
	assert_int_equal(sg_h2_respond(s, id, resp, 1, true), 0);
	assert_int_equal(sg_h2_reset(c, id, SG_H2_CANCEL), 0);
	len = drain_out(c, out, sizeof(out));
	assert_int_equal(sg_h2_recv(s, (const char *)out, len), 0);
	assert_int_equal(p.closed, 2);
	len = drain_out(s, out, sizeof(out));
	assert_null(find_frame(out, len, 0x1, (uint32_t)id, &len)); /* no HEADERS went */
	assert_int_equal(sg_h2_heads_unsent(s), 0);

	/* A request queued on a session that ends. */
	assert_true(sg_h2_request(c, req, ARRAY_LEN(req), false, &k.obj) > 0);
	assert_int_equal(sg_h2_heads_unsent(c), 1);
	sg_h2_session_free(c);
	sg_h2_session_free(s);
}

/* An idle connection's session sleeps once the client acknowledged its
 * header table at 0, giving back nghttp2's session and the arena slot;
 * the next request wakes it, and the client (which indexed its fields
 * before) sees nothing amiss: its requests decode, their answers come,
 * the table is 4096 again, and a GOAWAY names the last stream. */
static void test_h2_session_sleeps_and_wakes_unnoticed(void **unused)
{
	struct sg_pages *pages = sg_pages_new(SG_H2_ARENA_SIZE, 4);
	struct sg_slab mem = { 0 };
	struct sg_h2_session *s, *c;
	struct probe p = { .body = "hello", .body_len = 5 };
	struct peer k = { 0 };

	assert_non_null(pages);
	pair(&s, &p, pages, &mem, &c, &k);
	assert_int_equal(mem.live, 1); /* the session's struct, as a worker's */
	ask(s, &p, c, &k);
	assert_string_equal(k.status, "200");
	assert_int_equal(k.body, 5);
	assert_int_equal(k.ends, 1);
	assert_int_equal(sg_h2_consume(c, 1, 5), 0);

	assert_int_equal(sg_h2_sleep(s), 1); /* SETTINGS_HEADER_TABLE_SIZE 0 */
	assert_false(sg_h2_asleep(s));
	shuttle(s, c); /* the client acknowledges */
	assert_true(sg_h2_asleep(s));
	assert_int_equal(sg_pages_taken(pages), 0);
	assert_int_equal(sg_pages_resident(pages), 0);
	assert_int_equal(mem.live, 1); /* what it agreed is kept in it */
	assert_true(sg_h2_alive(s));

	ask(s, &p, c, &k); /* stream 3 wakes it */
	assert_false(sg_h2_asleep(s));
	assert_int_equal(k.body, 10);
	assert_int_equal(k.ends, 2);
	assert_int_equal(k.goaways, 0);
	ask(s, &p, c, &k); /* with the table back at 4096 */
	assert_int_equal(k.ends, 3);
	assert_int_equal(p.closed, 3);

	/* Asleep again: a second round of the same. */
	assert_int_equal(sg_h2_sleep(s), 1);
	shuttle(s, c);
	assert_true(sg_h2_asleep(s));
	assert_int_equal(sg_h2_goaway(s, SG_H2_NO_ERROR, NULL), 0);
	shuttle(s, c);
	assert_int_equal(k.goaways, 1);
	assert_int_equal(k.goaway_last, 5);
	assert_int_equal(k.last_code, SG_H2_NO_ERROR);
	sg_h2_session_free(c);
	sg_h2_session_free(s);
	assert_int_equal(mem.live, 0);
	assert_int_equal(sg_slab_release(&mem), 0);
	sg_pages_free(pages);
}

/* nghttp2_session_mem_recv, as the gateway's calls see it (this
 * definition comes before libnghttp2's): the next `recv_failures` calls
 * fail as a session out of memory would. */
static int recv_failures;

ssize_t nghttp2_session_mem_recv(nghttp2_session *ng, const uint8_t *in, size_t len)
{
	static ssize_t (*real)(nghttp2_session *, const uint8_t *, size_t);

	if (recv_failures > 0) {
		recv_failures--;
		return NGHTTP2_ERR_NOMEM;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "nghttp2_session_mem_recv");
	return real(ng, in, len);
}

/* A wake-up that fails half way (nghttp2 rebuilt, then failing to take
 * the replayed frames) leaves the session asleep as it was, holding no
 * arena slot and no half-built session; the same bytes again wake it. */
static void test_h2_session_failed_wake_stays_asleep(void **unused)
{
	struct sg_pages *pages = sg_pages_new(SG_H2_ARENA_SIZE, 4);
	struct sg_h2_session *s, *c;
	struct probe p = { .body = "hello", .body_len = 5 };
	struct peer k = { 0 };
	struct sg_h2_field req[] = { field(":method", "GET"), field(":scheme", "http"),
				     field(":authority", "a.b"), field(":path", "/x") };
	const char *d;
	ssize_t n;

	assert_non_null(pages);
	pair(&s, &p, pages, NULL, &c, &k);
	ask(s, &p, c, &k);
	assert_int_equal(sg_h2_sleep(s), 1);
	shuttle(s, c);
	assert_true(sg_h2_asleep(s));

	assert_true(sg_h2_request(c, req, ARRAY_LEN(req), true, &k.obj) > 0);
	n = sg_h2_pending(c, &d);
	assert_true(n > 0);
	recv_failures = 1; /* the replay inside the wake-up */
	assert_int_equal(sg_h2_recv(s, d, (size_t)n), -EPROTO);
	assert_int_equal(recv_failures, 0);
	assert_true(sg_h2_asleep(s));
	assert_int_equal(sg_pages_taken(pages), 0);

	assert_int_equal(sg_h2_recv(s, d, (size_t)n), 0);
	assert_false(sg_h2_asleep(s));
	assert_int_equal(p.opened, 2);
	sg_h2_session_free(c);
	sg_h2_session_free(s);
	sg_pages_free(pages);
}

/* The client's connection window was short of its initial 65535 when the
 * session slept (it had not given back an answer's 1000 bytes): awake
 * again, the session sends no more than the client allows (a client that
 * got more would fail with FLOW_CONTROL_ERROR), and the rest once the
 * client opens its window. */
static void test_h2_session_wakes_with_the_clients_window(void **unused)
{
	static char body[65535];
	struct sg_h2_session *s, *c;
	struct probe p = { .body = body, .body_len = 1000 };
	struct peer k = { 0 };

	pair(&s, &p, NULL, NULL, &c, &k);
	ask(s, &p, c, &k);
	assert_int_equal(k.body, 1000);
	assert_int_equal(sg_h2_sleep(s), 1);
	shuttle(s, c);
	assert_true(sg_h2_asleep(s));

	p.body_len = sizeof(body);
	ask(s, &p, c, &k);
	assert_int_equal(k.body, 65535); /* 1000 + 64535: the window, no more */
	assert_int_equal(k.ends, 1);
	assert_int_equal(sg_h2_consume(c, 1, 1000), 0);
	assert_int_equal(sg_h2_consume(c, 3, 64535), 0);
	shuttle(s, c);
	assert_int_equal(k.body, 66535);
	assert_int_equal(k.ends, 2);
	assert_int_equal(k.goaways, 0);
	sg_h2_session_free(c);
	sg_h2_session_free(s);
}

/* Raw frames against a sleeping session: it sleeps only between two
 * frames (a frame half fed keeps it awake), and once awake it still knows
 * the last stream the client opened. */
static void test_h2_session_sleeps_between_frames_only(void **unused)
{
	/* A size update to 0 (the client's table was made 0), then GET /. */
	static const uint8_t hpack[] = { 0x20, 0x82, 0x86, 0x84, 0x01, 0x01, 'a' };
	static const uint8_t again[] = { 0x82, 0x86, 0x84, 0x01, 0x01, 'a' };
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct probe p = { 0 };
	struct sg_h2_field resp[] = { field(":status", "204") };
	uint8_t in[256], out[1024], ping[17];
	size_t n, len, plen;
	const uint8_t *f;

	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN + frame(in + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	n += frame(in + n, 0x4, 0x1, 0, NULL, 0); /* SETTINGS ACK (ours) */
	n += frame(in + n, 0x1, 0x5, 1, again, sizeof(again));
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_int_equal(sg_h2_respond(s, 1, resp, 1, false), 0);
	drain_out(s, out, sizeof(out));
	assert_int_equal(p.closed, 1);

	assert_int_equal(sg_h2_sleep(s), 1);
	len = drain_out(s, out, sizeof(out));
	f = find_frame(out, len, 0x4, 0, &plen);
	assert_non_null(f);
	assert_int_equal(plen, 6);
	assert_memory_equal(f + 9, "\0\1\0\0\0\0", 6); /* HEADER_TABLE_SIZE 0 */
	frame(ping, 0x6, 0, 0, "12345678", 8);
	n = frame(in, 0x4, 0x1, 0, NULL, 0); /* its ACK, and a PING's first 5 bytes */
	memcpy(in + n, ping, 5);
	assert_int_equal(sg_h2_recv(s, (const char *)in, n + 5), 0);
	assert_false(sg_h2_asleep(s));
	assert_int_equal(sg_h2_sleep(s), 0);
	assert_false(sg_h2_asleep(s));
	assert_int_equal(sg_h2_recv(s, (const char *)ping + 5, sizeof(ping) - 5), 0);
	len = drain_out(s, out, sizeof(out));
	f = find_frame(out, len, 0x6, 0, &plen); /* the PING's ACK */
	assert_non_null(f);
	assert_int_equal(f[4], 0x1);
	assert_int_equal(sg_h2_sleep(s), 0);
	assert_true(sg_h2_asleep(s));

	/* Stream 1 again: below the last stream, so not a new one; nghttp2
	 * (which keeps no closed streams) ignores it, as it would have
	 * without the sleep. A session built from nothing would open it. */
	n = frame(in, 0x1, 0x5, 1, hpack, sizeof(hpack));
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_false(sg_h2_asleep(s));
	assert_int_equal(p.opened, 1);
	len = drain_out(s, out, sizeof(out));
	assert_null(find_frame(out, len, 0x7, 0, &plen)); /* no GOAWAY */
	n = frame(in, 0x1, 0x5, 3, again, sizeof(again));
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_int_equal(p.opened, 2);
	assert_string_equal(p.fields, ":method=GET;:scheme=http;:path=/;:authority=a;"
				      ":method=GET;:scheme=http;:path=/;:authority=a;");
	sg_h2_session_free(s);
}

/* A socket for sg_h2_flush, played from a script: each call takes up to
 * take[i] bytes, or fails with err[i] when that is set. */
struct wire {
	size_t take[8];
	int err[8];
	size_t calls;
	size_t given[8]; /* bytes offered by each call */
	uint8_t got[81920];
	size_t len;
};

static ssize_t wire_write(void *ctx, const char *p, size_t len)
{
	struct wire *w = ctx;
	size_t i = w->calls++, n;

	assert_true(i < ARRAY_LEN(w->take));
	w->given[i] = len;
	if (w->err[i]) {
		errno = w->err[i];
		return -1;
	}
	n = len < w->take[i] ? len : w->take[i];
	assert_true(w->len + n <= sizeof(w->got));
	memcpy(w->got + w->len, p, n);
	w->len += n;
	return (ssize_t)n;
}

/* A fresh server session with three frames pending: SETTINGS, the
 * connection's WINDOW_UPDATE and a PING. */
static struct sg_h2_session *chatty_session(struct probe *p)
{
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;

	sg_frontend_http_defaults(&h);
	h.http2_connection_window_size = 1048576;
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, p, &set, NULL, NULL, &s), 0);
	assert_int_equal(sg_h2_ping(s), 0);
	return s;
}

/* The frames go out gathered in one write; a write cut short by a signal
 * is made again; what the socket does not take stays in the buffer, ahead
 * of anything the session makes later; a full socket is not an error, a
 * failed write is (its errno), and the bytes stay. */
static void test_h2_flush_gathers_and_keeps_the_rest(void **unused)
{
	struct probe p = { 0 };
	struct sg_h2_session *ref = chatty_session(&p), *s = chatty_session(&p);
	struct wire w = { .err = { EINTR, 0, EAGAIN, 0, ECONNRESET }, .take = { 0, 10, 0, 4096 } };
	struct sg_buf out = { 0 };
	uint8_t want[4096];
	size_t want_len = drain_out(ref, want, sizeof(want)), plen;

	assert_non_null(find_frame(want, want_len, 0x8, 0, &plen)); /* WINDOW_UPDATE */
	assert_non_null(find_frame(want, want_len, 0x6, 0, &plen)); /* PING */
	/* EINTR, then 10 bytes of all three frames at once: the rest waits. */
	assert_int_equal(sg_h2_flush(s, &out, 65536, 0, wire_write, &w), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.given[0], want_len);
	assert_int_equal(w.given[1], want_len);
	assert_int_equal(out.len, want_len - 10);
	/* The socket is full: nothing moves, no error. */
	assert_int_equal(sg_h2_flush(s, &out, 65536, 0, wire_write, &w), 0);
	assert_int_equal(w.calls, 3);
	assert_int_equal(out.len, want_len - 10);
	/* Room again: the rest goes, and then nothing is left to write. */
	assert_int_equal(sg_h2_flush(s, &out, 65536, 0, wire_write, &w), 0);
	assert_int_equal(w.calls, 4);
	assert_int_equal(out.len, 0);
	assert_int_equal(w.len, want_len);
	assert_memory_equal(w.got, want, want_len);
	/* A write that fails: its errno, the frames kept. */
	assert_int_equal(sg_h2_ping(s), 0);
	assert_int_equal(sg_h2_flush(s, &out, 65536, 0, wire_write, &w), -ECONNRESET);
	assert_int_equal(w.calls, 5);
	assert_int_equal(out.len, 17); /* a PING frame */
	sg_buf_free(&out);
	sg_h2_session_free(ref);
	sg_h2_session_free(s);
}

/* Past `batch` bytes gathered, the frames go in a write of their own: with
 * a batch of 1 byte each write holds one whole frame. */
static void test_h2_flush_bounds_each_write_by_batch(void **unused)
{
	struct probe p = { 0 };
	struct sg_h2_session *s = chatty_session(&p);
	struct wire w = { .take = { 4096, 4096, 4096, 4096 } };
	struct sg_buf out = { 0 };
	size_t off = 0;

	assert_int_equal(sg_h2_flush(s, &out, 1, 0, wire_write, &w), 0);
	assert_int_equal(w.calls, 3);
	for (size_t i = 0; i < w.calls; i++) {
		const uint8_t *f = w.got + off;

		assert_int_equal(w.given[i], 9 + ((size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2]));
		off += w.given[i];
	}
	assert_int_equal(w.len, off);
	assert_int_equal(out.len, 0);
	sg_buf_free(&out);
	sg_h2_session_free(s);
}

/* With `record` (a TLS record's plaintext), a full batch is written up to
 * a multiple of it and the rest goes first in the next: every write but
 * the last is whole records, where a batch of whole frames would end each
 * with a short record of their 9-byte heads. The bytes are all there, in
 * order. */
static void test_h2_flush_writes_whole_records(void **unused)
{
	static const uint8_t hpack[] = { 0x82, 0x86, 0x84, 0x01, 0x03, 'a', '.', 'b' };
	static char body[65535]; /* the client's default window */
	static struct wire w;
	struct probe p = { .body = body, .body_len = sizeof(body) };
	struct sg_h2_field resp[] = { field(":status", "200") };
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	struct sg_h2_session *s;
	struct sg_buf out = { 0 };
	uint8_t in[128];
	size_t n, got = 0;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 23);
	for (size_t i = 0; i < ARRAY_LEN(w.take); i++)
		w.take[i] = sizeof(w.got);
	sg_frontend_http_defaults(&h);
	sg_h2head_settings_from_policy(&h, &set);
	assert_int_equal(sg_h2_session_new(&probe_cb, &p, &set, NULL, NULL, &s), 0);
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	n = SG_H2_PREFACE_LEN + frame(in + SG_H2_PREFACE_LEN, 0x4, 0, 0, NULL, 0);
	n += frame(in + n, 0x1, 0x5, 1, hpack, sizeof(hpack)); /* HEADERS, END_STREAM */
	assert_int_equal(sg_h2_recv(s, (const char *)in, n), 0);
	assert_int_equal(sg_h2_respond(s, 1, resp, 1, true), 0);

	assert_int_equal(sg_h2_flush(s, &out, 32768, 16384, wire_write, &w), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(w.calls, 3);
	assert_int_equal(w.given[0], 32768);
	assert_int_equal(w.given[1], 32768);
	assert_true(w.given[2] > 0 && w.given[2] < 16384);
	for (size_t i = 0; i + 9 <= w.len;) {
		size_t plen = (size_t)w.got[i] << 16 | (size_t)w.got[i + 1] << 8 | w.got[i + 2];

		assert_true(i + 9 + plen <= w.len);
		if (w.got[i + 3] == 0x0) {
			assert_memory_equal(w.got + i + 9, body + got, plen);
			got += plen;
		}
		i += 9 + plen;
	}
	assert_int_equal(got, sizeof(body));
	assert_int_equal(p.closed, 1);
	sg_buf_free(&out);
	sg_h2_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2_session_request_response_ping),
		cmocka_unit_test(test_h2_session_bad_preface_fails),
		cmocka_unit_test(test_h2_session_frame_floods_calmed),
		cmocka_unit_test(test_h2_session_upgrade_makes_stream_1),
		cmocka_unit_test(test_h2_session_trim_gives_arena_pages_back),
		cmocka_unit_test(test_h2_session_encoder_ring_costs_no_page),
		cmocka_unit_test(test_h2_session_tells_an_unfinished_header_block),
		cmocka_unit_test(test_h2_session_respond_dates_final_heads),
		cmocka_unit_test(test_h2_session_heads_are_copied_and_released),
		cmocka_unit_test(test_h2_session_answer_table_entries_live_in_the_arena),
		cmocka_unit_test(test_h2_session_sleeps_and_wakes_unnoticed),
		cmocka_unit_test(test_h2_session_wakes_with_the_clients_window),
		cmocka_unit_test(test_h2_session_failed_wake_stays_asleep),
		cmocka_unit_test(test_h2_session_sleeps_between_frames_only),
		cmocka_unit_test(test_h2_flush_gathers_and_keeps_the_rest),
		cmocka_unit_test(test_h2_flush_bounds_each_write_by_batch),
		cmocka_unit_test(test_h2_flush_writes_whole_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
