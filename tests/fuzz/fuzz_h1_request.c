/* Fuzz target: the HTTP/1 request-head parser and the head the gateway
 * writes to a backend from what it parsed. Properties: every span lies in
 * the head; the head ends with CRLF CRLF and does not depend on the bytes
 * after it; the written head parses again to the same method, target and
 * body framing, so a backend never reads the body differently than the
 * gateway did; and the parser takes a head exactly when llhttp with the
 * gateway's checks takes it (tests/fuzz/h1_ref.h and ref_parse below, how
 * request heads were read before user/codec/h1.c read their fields itself),
 * reading the same fields. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/h1_ref.h"
#include "user/codec/h1.h"

#define MAX_HEADERS 100 /* the default http1MaxHeaders */

static bool in_head(struct sg_h1_span s, const char *buf, size_t head_len)
{
	return !s.len || (s.p >= buf && s.p + s.len <= buf + head_len);
}

static bool same_span(struct sg_h1_span a, struct sg_h1_span b)
{
	return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0);
}

static const struct sg_h1_span slash = { "/", 1 }, star = { "*", 1 }, host_name = { "Host", 4 };

static void check_parsed(const struct sg_h1_req *req, const char *buf, size_t len)
{
	FUZZ_CHECK(req->head_len >= 4 && req->head_len <= len);
	FUZZ_CHECK(memcmp(buf + req->head_len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(req->method.len && in_head(req->method, buf, req->head_len));
	/* an absolute-form target without a path reads as "/", or as "*" for
	 * OPTIONS (RFC 9112 §3.2.4), neither in buf */
	FUZZ_CHECK(req->target.len &&
		   (in_head(req->target, buf, req->head_len) || same_span(req->target, slash) ||
		    same_span(req->target, star)));
	FUZZ_CHECK(req->minor <= 1 && req->nheaders <= MAX_HEADERS);
	for (size_t i = 0; i < req->nheaders; i++) {
		FUZZ_CHECK(req->headers[i].name.len);
		/* the Host an HTTP/1.0 absolute-form request had not */
		FUZZ_CHECK(in_head(req->headers[i].name, buf, req->head_len) ||
			   same_span(req->headers[i].name, host_name));
		FUZZ_CHECK(in_head(req->headers[i].value, buf, req->head_len));
	}
	FUZZ_CHECK(req->content_length >= -1);
	FUZZ_CHECK(!(req->chunked && req->content_length >= 0));
}

/* The head alone parses the same; one byte less is not a head yet. */
static void check_prefix(const struct sg_h1_req *req, const char *buf)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_req again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };

	FUZZ_CHECK(sg_h1_parse_request(buf, req->head_len, MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == req->head_len);
	FUZZ_CHECK(sg_h1_parse_request(buf, req->head_len - 1, MAX_HEADERS, &again) ==
		   SG_H1_PARTIAL);
}

static void check_written(const struct sg_h1_req *req)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_req again = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	const struct sg_h1_span *host = sg_h1_header(req, "host");
	size_t cap = req->head_len + 512;
	char *out = malloc(cap), extra[256] = "";
	ssize_t n;

	FUZZ_CHECK(out);
	/* As user/http1/proxy.c builds it for an upgrade. */
	sg_h1_upgrade_offer(req, extra, sizeof(extra));
	n = sg_h1_write_request(req, "192.0.2.1", 2, extra, out, cap);
	FUZZ_CHECK(n > 0 && (size_t)n <= cap);
	/* A short buffer is refused, never overrun. */
	FUZZ_CHECK(sg_h1_write_request(req, "192.0.2.1", 2, extra, out, (size_t)n - 1) == -1);
	/* An HTTP/1.0 request may come without Host and is forwarded without
	 * one (h1.h); every other head must parse again. */
	if (req->minor == 0 && !sg_h1_header(req, "host")) {
		free(out);
		return;
	}
	FUZZ_CHECK(sg_h1_parse_request(out, (size_t)n, SG_H1_MAX_HEADERS, &again) == SG_H1_DONE);
	FUZZ_CHECK(again.head_len == (size_t)n);
	FUZZ_CHECK(same_span(again.method, req->method));
	FUZZ_CHECK(same_span(again.target, req->target));
	FUZZ_CHECK(again.chunked == req->chunked);
	FUZZ_CHECK(again.content_length == req->content_length);
	FUZZ_CHECK(sg_h1_request_body(&again) == sg_h1_request_body(req));
	FUZZ_CHECK(sg_h1_wants_upgrade(&again) == (extra[0] != '\0'));
	/* the backend gets the one Host routing saw, and a valid one */
	FUZZ_CHECK(host && same_span(*sg_h1_header(&again, "host"), *host));
	FUZZ_CHECK(!host->len || sg_h1_authority_valid(host->p, host->len, false));
	FUZZ_CHECK(!sg_h1_header(&again, "http2-settings"));
	free(out);
}

/* The request line as sg_h1_request_line reads it (not what changed), then
 * the fields by llhttp after a stand-in line, as the gateway did before. */
static enum sg_h1_result ref_parse(const char *buf, size_t len, size_t max, struct sg_h1_req *req)
{
	size_t cap = max < req->headers_cap ? max : req->headers_cap, line_len, tes, hosts;
	struct ref r = { req->headers, &req->nheaders, cap, false, NULL };
	struct sg_h1_span authority, te = { NULL, 0 };
	struct sg_h1_header *host = NULL;
	enum sg_h1_result rc = sg_h1_request_line(buf, len, req, &line_len, &authority);
	llhttp_settings_t settings;
	const char *line, *in;
	char *copy;
	size_t at;
	llhttp_errno_t err;
	llhttp_t p;

	if (rc != SG_H1_DONE)
		return rc;
	ref_init(&p, &settings, HTTP_REQUEST, &r);
	line = req->minor ? "GET / HTTP/1.1\r\n" : "GET / HTTP/1.0\r\n";
	if (llhttp_execute(&p, line, strlen(line)) != HPE_OK)
		return SG_H1_INVALID;
	copy = ref_cl_ows(buf, len);
	in = copy ? copy : buf;
	err = llhttp_execute(&p, in + line_len, len - line_len);
	at = err == HPE_PAUSED ? (size_t)(llhttp_get_error_pos(&p) - in) : 0;
	ref_back(req->headers, req->nheaders, NULL, in, len, buf);
	free(copy);
	if (err != HPE_PAUSED)
		return r.too_many ? SG_H1_TOO_LARGE : err == HPE_OK ? SG_H1_PARTIAL : SG_H1_INVALID;
	req->head_len = at;
	if (!ref_lines(buf, req->head_len) || !ref_names(req->headers, req->nheaders) ||
	    ((p.flags & F_CONTENT_LENGTH) && p.content_length > (uint64_t)INT64_MAX))
		return SG_H1_INVALID;
	/* Transfer-Encoding: one field, "chunked" without the whitespace
	 * around it (llhttp's flag misses "chunked" followed by a tab), no
	 * Content-Length, HTTP/1.1. */
	tes = ref_count(req->headers, req->nheaders, "transfer-encoding", &te);
	if (tes && (tes != 1 || !ref_named(te, "chunked") || (p.flags & F_CONTENT_LENGTH) ||
		    req->minor == 0))
		return SG_H1_INVALID;
	req->chunked = tes != 0;
	if (p.flags & F_CONTENT_LENGTH)
		req->content_length = (int64_t)p.content_length;
	req->keep_alive = req->minor ? !ref_connection(req->headers, req->nheaders, "close")
				     : ref_connection(req->headers, req->nheaders, "keep-alive");
	hosts = ref_count(req->headers, req->nheaders, "host", NULL);
	if (!(hosts == 1 || (hosts == 0 && req->minor == 0)))
		return SG_H1_INVALID;
	/* An absolute-form target's authority is the Host (added to an
	 * HTTP/1.0 request without one); a Host is empty or a uri-host. */
	for (size_t i = 0; i < req->nheaders; i++)
		if (ref_named(req->headers[i].name, "host"))
			host = &req->headers[i];
	if (authority.p && !host) {
		if (req->nheaders >= cap)
			return SG_H1_TOO_LARGE;
		host = &req->headers[req->nheaders++];
		host->name = (struct sg_h1_span){ "Host", 4 };
	}
	if (authority.p)
		host->value = authority;
	if (host && host->value.len &&
	    !sg_h1_authority_valid(host->value.p, host->value.len, false))
		return SG_H1_INVALID;
	return SG_H1_DONE;
}

/* The same place in the head, or the same bytes out of it (the Host
 * name added to an HTTP/1.0 request). */
static bool same_field(struct sg_h1_span a, struct sg_h1_span b, const char *buf, size_t n)
{
	return same_place(a, b) || (!in_head(a, buf, n) && !in_head(b, buf, n) && same_span(a, b));
}

/* The parser and the reference agree on whether the head is taken and, when
 * it is, on every field read from it. */
static void check_reference(const char *buf, size_t len, enum sg_h1_result rc,
			    const struct sg_h1_req *req)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_req ref = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	enum sg_h1_result want = ref_parse(buf, len, MAX_HEADERS, &ref);

	if (rc != SG_H1_DONE && want != SG_H1_DONE)
		return; /* refused, or not yet taken: how soon may differ */
	FUZZ_CHECK(rc == want);
	FUZZ_CHECK(req->head_len == ref.head_len && req->minor == ref.minor &&
		   same_place(req->method, ref.method) && same_span(req->target, ref.target));
	FUZZ_CHECK(req->nheaders == ref.nheaders);
	for (size_t i = 0; i < req->nheaders; i++)
		FUZZ_CHECK(same_field(req->headers[i].name, ref.headers[i].name, buf, len) &&
			   same_place(req->headers[i].value, ref.headers[i].value));
	FUZZ_CHECK(req->content_length == ref.content_length && req->chunked == ref.chunked &&
		   req->keep_alive == ref.keep_alive);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Static: the slots are 8 KiB, and the parser overwrites them anyway. */
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_req req = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	const char *buf = (const char *)data;
	enum sg_h1_result rc = sg_h1_parse_request(buf, size, MAX_HEADERS, &req);

	FUZZ_CHECK(rc == SG_H1_DONE || rc == SG_H1_PARTIAL || rc == SG_H1_INVALID ||
		   rc == SG_H1_TOO_LARGE);
	check_reference(buf, size, rc, &req);
	if (rc != SG_H1_DONE)
		return 0;
	check_parsed(&req, buf, size);
	(void)sg_h1_expects_continue(&req);
	check_prefix(&req, buf);
	check_written(&req);
	return 0;
}
