/* Fuzz target: a server-sent event stream as an MCP target over
 * streamable HTTP may send it (user/codec/sse.c). The input's first byte
 * says where to cut the rest in two; fed whole or in those two pieces
 * the stream tells the same events (or fails alike), each event's data
 * is within the bound and NUL-terminated, and a failure is only the
 * bound's. The rest, written as one event (sg_sse_event_text), reads
 * back as one message event whose data is it, its line ends LF. */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/codec/sse.h"

#define MAX 256

/* Every event told, as type, NUL, length, data. */
struct seen {
	char *text;
	size_t len, cap;
};

static void add(struct seen *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->text = realloc(s->text, s->cap);
		FUZZ_CHECK(s->text);
	}
	memcpy(s->text + s->len, p, n);
	s->len += n;
}

static int record_any(void *arg, const char *type, const char *data, size_t len)
{
	FUZZ_CHECK(data[len] == '\0');
	FUZZ_CHECK(strlen(type) <= SG_SSE_TYPE_MAX && type[0]);
	add(arg, type, strlen(type) + 1);
	add(arg, &len, sizeof(len));
	add(arg, data, len);
	return 0;
}

static int record(void *arg, const char *type, const char *data, size_t len)
{
	FUZZ_CHECK(len + 1 <= MAX);
	return record_any(arg, type, data, len);
}

/* s[0..n) as one event, read back. */
static void round_trip(const char *s, size_t n)
{
	struct seen got = { 0 };
	struct sg_sse p;
	size_t len = 0, k = 0, want_len = 0;
	char *ev = sg_sse_event_text("message", s, n, &len), *want = malloc(n + 1);

	FUZZ_CHECK(ev && want && len == strlen(ev));
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		want[want_len++] = s[i] == '\r' ? '\n' : s[i];
	}
	sg_sse_init(&p, n + 64);
	FUZZ_CHECK(sg_sse_feed(&p, ev, len, record_any, &got) == 0);
	sg_sse_free(&p);
	/* one event: "message", NUL, its length, its data */
	FUZZ_CHECK(got.len == 8 + sizeof(size_t) + want_len && !memcmp(got.text, "message", 8));
	memcpy(&k, got.text + 8, sizeof(k));
	FUZZ_CHECK(k == want_len && !memcmp(got.text + 8 + sizeof(k), want, want_len));
	free(got.text);
	free(want);
	free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole = { 0 }, parts = { 0 };
	const char *s = (const char *)data + 1;
	struct sg_sse p;
	size_t n, cut;
	int a, b;

	if (!size)
		return 0;
	n = size - 1;
	cut = n ? data[0] % (n + 1) : 0;
	sg_sse_init(&p, MAX);
	a = sg_sse_feed(&p, s, n, record, &whole);
	sg_sse_free(&p);
	sg_sse_init(&p, MAX);
	b = sg_sse_feed(&p, s, cut, record, &parts);
	if (!b)
		b = sg_sse_feed(&p, s + cut, n - cut, record, &parts);
	sg_sse_free(&p);
	FUZZ_CHECK(a == 0 || a == -E2BIG);
	FUZZ_CHECK(a == b);
	if (!a)
		FUZZ_CHECK(whole.len == parts.len &&
			   (!whole.len || !memcmp(whole.text, parts.text, whole.len)));
	free(whole.text);
	free(parts.text);
	if (!memchr(s, '\0', n)) /* the writer takes text */
		round_trip(s, n);
	return 0;
}
