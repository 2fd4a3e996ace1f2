/* HTTP/2 without a session: the SETTINGS a frontend policy asks for, the
 * translations between HTTP/2 header lists and HTTP/1 heads (both ways,
 * both directions), the trailers a request keeps for its tries, the client
 * preface and the h2c upgrade request. No I/O and no nghttp2 (user/codec/h2.h is the session, and
 * includes this). The names keep the codec's sg_h2_ prefix: they were
 * h2.h's, and every frontend and backend module calls them. */
#ifndef SG_H2HEAD_H
#define SG_H2HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "user/base/buf.h"
#include "config/cfg.h"
#include "user/codec/h1.h"

/* The client connection preface (RFC 9113 §3.4). */
#define SG_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define SG_H2_PREFACE_LEN 24

/* SETTINGS identifiers (RFC 9113 §6.5.2). */
enum sg_h2_setting_id {
	SG_H2_SET_HEADER_TABLE_SIZE = 0x1,
	SG_H2_SET_ENABLE_PUSH = 0x2,
	SG_H2_SET_MAX_CONCURRENT_STREAMS = 0x3,
	SG_H2_SET_INITIAL_WINDOW_SIZE = 0x4,
	SG_H2_SET_MAX_FRAME_SIZE = 0x5,
};

/* What the protocol allows (RFC 9113 §6.5.2, §6.9). */
#define SG_H2_MAX_WINDOW 0x7fffffffu
#define SG_H2_MIN_CONN_WINDOW 65535u
#define SG_H2_MIN_FRAME 16384u
#define SG_H2_MAX_FRAME 16777215u

/* Streams one connection may have open at once. */
#define SG_H2_MAX_STREAMS 100

struct sg_h2_setting {
	uint16_t id;
	uint32_t value;
};

/* What the gateway announces when a connection starts. */
struct sg_h2_settings {
	struct sg_h2_setting v[4];
	size_t n;
	/* Connection-level receive window; 0 = the protocol's 65535. */
	uint32_t connection_window;
};

/* The SETTINGS for frontend policy `h`: MAX_CONCURRENT_STREAMS always,
 * INITIAL_WINDOW_SIZE from http2WindowSize and MAX_FRAME_SIZE from
 * http2FrameSize when set, and the connection window from
 * http2ConnectionWindowSize. Unset values keep the protocol defaults (and are
 * not sent); set ones are clamped to what the protocol allows (windows at
 * most 2^31-1, the connection window at least 65535, frames 16384..2^24-1). */
void sg_h2head_settings_from_policy(const struct sg_frontend_http *h, struct sg_h2_settings *out);

/* One header field; not NUL-terminated. */
struct sg_h2_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* The request head an HTTP/1.1 backend gets for an HTTP/2 request whose
 * fields are f[0..n): method and target from :method and :path; Host from
 * :authority (a received host field is used only when :authority is
 * absent); Cookie fields joined with "; " into one (RFC 9113 §8.2.3),
 * written to store[0..cap); every other regular field as received. Spans
 * of *req point into the fields and store. content_length is set from a
 * content-length field (-1 when none); keep_alive is true;
 * head_len is 0. The header slots are the caller's (req->headers and
 * req->headers_cap, kept). Returns 0, -EINVAL without :method or :path (or
 * with a :path that does not start with '/' and is not "*" for OPTIONS, a
 * :method that sg_h1_method_ok refuses, a :path with a fragment, a
 * content-length field that is not one readable value, or a Host value
 * that is not empty nor a uri-host[:port]), -E2BIG for more fields than
 * SG_H1_MAX_HEADERS or req->headers_cap, or a store too small. */
int sg_h2head_request_head(const struct sg_h2_field *f, size_t n, char *store, size_t cap,
			   struct sg_h1_req *req);

/* The response head for an HTTP/2 client: ":status" (its digits written to
 * store), then the backend's fields in order with names lowercased into
 * store. Dropped: Connection and every field it names, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, Upgrade, TE (connection-specific
 * fields are malformed in HTTP/2, RFC 9113 §8.2.2), and Content-Length when
 * Transfer-Encoding was present. A route filter's edit (NULL = none) leaves
 * out received fields it drops and adds its lines at the end, as
 * sg_h1_write_response_edit does. Returns the number of fields written to
 * out[0..max), or -1 when out or store is too small. */
ssize_t sg_h2head_response_fields(const struct sg_h1_resp *resp, const struct sg_h1_edit *edit,
				  char *store, size_t cap, struct sg_h2_field *out, size_t max);

/* The request an HTTP/2 backend gets for the head the gateway wrote as for
 * an HTTP/1 backend (sg_h1_write_request_lines: edits applied, forwarding
 * fields added, hop-by-hop ones gone, names lowercase): :method, :scheme
 * "http", :authority from Host, :path from the target, then every line but
 * Host and the connection-specific ones (Transfer-Encoding is the one such
 * a head can have; the caller adds "te: trailers" from the client's
 * request). The fields point into the head. Returns how many were written
 * to out[0..max), or -1 when out is too small. */
ssize_t sg_h2head_request_from_lines(const struct sg_h1_lines *l, struct sg_h2_field *out,
				     size_t max);

/* A request's trailers kept for a backend that takes them (an HTTP/2 one):
 * as "name: value\r\n" lines (the trailer section of an HTTP/1 chunked
 * body, appended to `lines` by sg_h1_chunked_decode_trailers, or fields
 * added one at a time from an HTTP/2 client), turned into fields when a
 * try sends them. A zeroed struct is empty. */
#define SG_H2_KEPT_TRAILERS 32
struct sg_h2_kept {
	struct sg_buf lines, parsed; /* parsed: the fields' bytes (a copy of lines) */
	struct sg_h2_field f[SG_H2_KEPT_TRAILERS];
};

/* Keep field f; past `max` bytes of lines it is left out. Returns 0, or
 * -ENOMEM. */
int sg_h2head_kept_add(struct sg_h2_kept *k, const struct sg_h2_field *f, size_t max);

/* The kept trailers as fields (*t, valid until the next call or free): their
 * number, 0 for none. Parsed from a copy, so every try may ask again. */
size_t sg_h2head_kept_fields(struct sg_h2_kept *k, const struct sg_h2_field **t);

void sg_h2head_kept_free(struct sg_h2_kept *k);

/* A Content-Length value, all of it digits (sg_h1_decimal, HTTP/1's reader:
 * leading zeros, at most 2^63-1), or -1. */
int64_t sg_h2head_content_length(const char *p, size_t len);

/* Header lines "name: value\r\n" in lines[0..len) as fields: names
 * lowercased in place (HTTP/2 wants them so), values without the
 * whitespace around them. Returns the number written to out[0..max)
 * (further lines are left out), or -1 on a line without a colon. */
ssize_t sg_h2head_fields_from_lines(char *lines, size_t len, struct sg_h2_field *out, size_t max);

/* The fields of a route filter's answer (redirect, direct response, CORS
 * preflight): ":status", the edit's lines (names lowercased into store),
 * then "content-length: <body_len>" (its digits in store too; none for a
 * 204 or a 304). Returns the
 * number of fields or -1 as above. */
ssize_t sg_h2head_answer_fields(uint16_t status, const struct sg_h1_edit *edit, size_t body_len,
				char *store, size_t cap, struct sg_h2_field *out, size_t max);

/* Whether p[0..len), the first bytes of a connection, are the client
 * preface: 1 = all of it is there, 0 = a proper prefix of it (wait for
 * more), -1 = not HTTP/2. */
int sg_h2head_preface(const char *p, size_t len);

/* An HTTP/1.1 request the gateway upgrades to h2c (RFC 7540 §3.2):
 * Connection lists "upgrade", Upgrade lists "h2c", exactly one
 * HTTP2-Settings header whose value is valid settings (base64url, whole
 * settings, values in range), and no body (a body would have to be read
 * before the switch, which the gateway does not do). Any other request
 * stays HTTP/1.1 and is served as such. */
bool sg_h2head_upgrade_request(const struct sg_h1_req *req);

/* Decode base64url without padding (the HTTP2-Settings header, RFC 7540
 * §3.2.1; '=' padding is tolerated) into out[0..cap). Returns the decoded
 * length or -1 on a bad character, a bad length or a short out. */
ssize_t sg_h2head_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
