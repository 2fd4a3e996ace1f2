/* Fuzz target: a server-sent event stream as an MCP target over
 * streamable HTTP may send it (user/codec/sse.c). The input's first byte
 * says where to cut the rest in two; fed whole or in those two pieces
 * the stream tells the same events (or fails alike), each event's data
 * is within the bound and NUL-terminated, and a failure is only the
 * bound's. */
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

static int record(void *arg, const char *type, const char *data, size_t len)
{
	FUZZ_CHECK(len + 1 <= MAX && data[len] == '\0');
	FUZZ_CHECK(strlen(type) <= SG_SSE_TYPE_MAX && type[0]);
	add(arg, type, strlen(type) + 1);
	add(arg, &len, sizeof(len));
	add(arg, data, len);
	return 0;
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
	return 0;
}
