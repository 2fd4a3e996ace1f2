/* Fuzz target: the HTTP/1 response-head parser and the head the gateway
 * writes to a client from what it parsed. Properties: every span lies in
 * the head; the head ends with CRLF CRLF and does not depend on the bytes
 * after it; and the written head parses again to the same status, reason
 * and body framing, so a client never reads the body differently than the
 * gateway did. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/h1.h"

#define MAX_HEADERS 100

static bool in_head(struct sg_h1_span s, const char *buf, size_t head_len)
{
	return !s.len || (s.p >= buf && s.p + s.len <= buf + head_len);
}

static bool same_span(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0);
}

static void check_parsed(const struct sg_h1_resp *resp, const char *buf, size_t len)
{
	FUZZ_CHECK(resp->head_len >= 4 && resp->head_len <= len);
	FUZZ_CHECK(memcmp(buf + resp->head_len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(resp->status >= 100 && resp->status <= 599);
	FUZZ_CHECK(in_head(resp->reason, buf, resp->head_len));
	FUZZ_CHECK(resp->minor <= 1 && resp->nheaders <= MAX_HEADERS);
	for (size_t i = 0; i < resp->nheaders; i++) {
		FUZZ_CHECK(resp->headers[i].name.len);
		FUZZ_CHECK(in_head(resp->headers[i].name, buf, resp->head_len));
		FUZZ_CHECK(in_head(resp->headers[i].value, buf, resp->head_len));
	}
	FUZZ_CHECK(resp->content_length >= -1);
	FUZZ_CHECK(!(resp->chunked && resp->content_length >= 0));
}

static void check_prefix(const struct sg_h1_resp *resp, const char *buf)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };

	FUZZ_CHECK(sg_h1_parse_response(buf, resp->head_len, MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == resp->head_len);
	FUZZ_CHECK(sg_h1_parse_response(buf, resp->head_len - 1, MAX_HEADERS, &again) ==
		   SG_H1_PARTIAL);
}

static void check_written(const struct sg_h1_resp *resp, bool close)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	size_t cap = resp->head_len + 256;
	char *out = malloc(cap);
	ssize_t n;

	FUZZ_CHECK(out);
	n = sg_h1_write_response(resp, close, NULL, out, cap);
	FUZZ_CHECK(n > 0 && (size_t)n <= cap);
	FUZZ_CHECK(sg_h1_write_response(resp, close, NULL, out, (size_t)n - 1) == -1);
	FUZZ_CHECK(sg_h1_parse_response(out, (size_t)n, SG_H1_MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == (size_t)n);
	FUZZ_CHECK(again.status == resp->status);
	FUZZ_CHECK(same_span(again.reason, resp->reason));
	for (int head = 0; head < 2; head++)
		FUZZ_CHECK(sg_h1_response_body(&again, head) == sg_h1_response_body(resp, head));
	if (sg_h1_response_body(resp, false) == SG_H1_BODY_LENGTH)
		FUZZ_CHECK(again.content_length == resp->content_length);
	if (close)
		FUZZ_CHECK(!again.keep_alive);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_resp resp = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char *buf = (const char *)data;
	enum sg_h1_result rc = sg_h1_parse_response(buf, size, MAX_HEADERS, &resp);

	FUZZ_CHECK(rc == SG_H1_DONE || rc == SG_H1_PARTIAL || rc == SG_H1_INVALID ||
		   rc == SG_H1_TOO_LARGE);
	if (rc != SG_H1_DONE)
		return 0;
	check_parsed(&resp, buf, size);
	check_prefix(&resp, buf);
	check_written(&resp, false);
	check_written(&resp, true);
	return 0;
}
