/* HTTP/1.x codec: parses message heads into views over the caller's buffer.
 * No I/O and no allocation; the only module that includes llhttp.h. */
#ifndef SG_H1_H
#define SG_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_H1_MAX_HEADERS 256

/* A span of the caller's buffer (not NUL-terminated). */
struct sg_h1_span {
	const char *p;
	size_t len;
};

struct sg_h1_header {
	struct sg_h1_span name;
	struct sg_h1_span value;
};

/* A parsed request head. Spans point into the buffer given to the parser
 * and stay valid while that buffer is unchanged. */
struct sg_h1_req {
	struct sg_h1_span method;
	struct sg_h1_span target;
	uint8_t minor; /* HTTP/1.<minor> */
	struct sg_h1_header headers[SG_H1_MAX_HEADERS];
	size_t nheaders;
	int64_t content_length; /* -1 = none */
	bool chunked;
	bool keep_alive;
	size_t head_len; /* bytes of the head, including the blank line */
};

enum sg_h1_result {
	SG_H1_DONE = 1,	      /* head complete: head_len is set */
	SG_H1_PARTIAL = 0,    /* need more bytes */
	SG_H1_INVALID = -1,   /* malformed: 400 */
	SG_H1_TOO_LARGE = -2, /* more than max_headers headers: 431 */
};

/* Parse the request head at the start of buf[0..len). `max_headers` bounds
 * the header count (at most SG_H1_MAX_HEADERS). */
enum sg_h1_result sg_h1_parse_request(const char *buf, size_t len, size_t max_headers,
				      struct sg_h1_req *req);

/* The value of header `name` (case-insensitive), or NULL. */
const struct sg_h1_span *sg_h1_header(const struct sg_h1_req *req, const char *name);

#endif
