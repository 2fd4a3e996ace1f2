/* HTTP/2 codec: an nghttp2 session (server for clients, client for
 * backends) behind a small callback API, the SETTINGS a frontend policy asks
 * for, and the translations between HTTP/2 header lists and HTTP/1 heads.
 * No I/O; the only module that includes nghttp2.h. */
#ifndef SG_H2_H
#define SG_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"

/* The client connection preface (RFC 9113 §3.4). */
#define SG_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define SG_H2_PREFACE_LEN 24

/* Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
#define SG_H2_NO_ERROR 0x0
#define SG_H2_PROTOCOL_ERROR 0x1
#define SG_H2_INTERNAL_ERROR 0x2
#define SG_H2_REFUSED_STREAM 0x7
#define SG_H2_CANCEL 0x8
#define SG_H2_ENHANCE_YOUR_CALM 0xb

/* SETTINGS identifiers (RFC 9113 §6.5.2). */
enum sg_h2_setting_id {
	SG_H2_SET_HEADER_TABLE_SIZE = 0x1,
	SG_H2_SET_MAX_CONCURRENT_STREAMS = 0x3,
	SG_H2_SET_INITIAL_WINDOW_SIZE = 0x4,
	SG_H2_SET_MAX_FRAME_SIZE = 0x5,
};

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
void sg_h2_settings_from_policy(const struct sg_frontend_http *h, struct sg_h2_settings *out);

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
 * content-length field (-1 when none or unparsable); keep_alive is true;
 * head_len is 0. The header slots are the caller's (req->headers and
 * req->headers_cap, kept). Returns 0, -EINVAL without :method or :path (or
 * with a :path that does not start with '/' and is not "*" for OPTIONS, or
 * a Host value that is not empty nor a uri-host[:port]), -E2BIG for more fields than
 * SG_H1_MAX_HEADERS or req->headers_cap, or a store too small. */
int sg_h2_request_head(const struct sg_h2_field *f, size_t n, char *store, size_t cap,
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
ssize_t sg_h2_response_fields(const struct sg_h1_resp *resp, const struct sg_h1_edit *edit,
			      char *store, size_t cap, struct sg_h2_field *out, size_t max);

/* The request an HTTP/2 backend gets for the head the gateway wrote as for
 * an HTTP/1 backend (sg_h1_write_request_lines: edits applied, forwarding
 * fields added, hop-by-hop ones gone, names lowercase): :method, :scheme
 * "http", :authority from Host, :path from the target, then every line but
 * Host and the connection-specific ones (Transfer-Encoding is the one such
 * a head can have; the caller adds "te: trailers" from the client's
 * request). The fields point into the head. Returns how many were written
 * to out[0..max), or -1 when out is too small. */
ssize_t sg_h2_request_from_lines(const struct sg_h1_lines *l, struct sg_h2_field *out, size_t max);

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
int sg_h2_kept_add(struct sg_h2_kept *k, const struct sg_h2_field *f, size_t max);

/* The kept trailers as fields (*t, valid until the next call or free): their
 * number, 0 for none. Parsed from a copy, so every try may ask again. */
size_t sg_h2_kept_fields(struct sg_h2_kept *k, const struct sg_h2_field **t);

void sg_h2_kept_free(struct sg_h2_kept *k);

/* A Content-Length value (digits only, at most 18 of them: no overflow),
 * or -1. */
int64_t sg_h2_content_length(const char *p, size_t len);

/* Header lines "name: value\r\n" in lines[0..len) as fields: names
 * lowercased in place (HTTP/2 wants them so), values without the
 * whitespace around them. Returns the number written to out[0..max)
 * (further lines are left out), or -1 on a line without a colon. */
ssize_t sg_h2_fields_from_lines(char *lines, size_t len, struct sg_h2_field *out, size_t max);

/* The fields of a route filter's answer (redirect, direct response, CORS
 * preflight): ":status", the edit's lines (names lowercased into store),
 * then "content-length: <body_len>" (its digits in store too). Returns the
 * number of fields or -1 as above. */
ssize_t sg_h2_answer_fields(uint16_t status, const struct sg_h1_edit *edit, size_t body_len,
			    char *store, size_t cap, struct sg_h2_field *out, size_t max);

/* Whether p[0..len), the first bytes of a connection, are the client
 * preface: 1 = all of it is there, 0 = a proper prefix of it (wait for
 * more), -1 = not HTTP/2. */
int sg_h2_preface(const char *p, size_t len);

/* An HTTP/1.1 request the gateway upgrades to h2c (RFC 7540 §3.2):
 * Connection lists "upgrade", Upgrade lists "h2c", exactly one
 * HTTP2-Settings header whose value is valid settings (base64url, whole
 * settings, values in range), and no body (a body would have to be read
 * before the switch, which the gateway does not do). Any other request
 * stays HTTP/1.1 and is served as such. */
bool sg_h2_upgrade_request(const struct sg_h1_req *req);

/* Decode base64url without padding (the HTTP2-Settings header, RFC 7540
 * §3.2.1; '=' padding is tolerated) into out[0..cap). Returns the decoded
 * length or -1 on a bad character, a bad length or a short out. */
ssize_t sg_h2_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* ---- the session ---------------------------------------------------------- */

struct sg_h2_session;

/* How a session reports what it received. `conn` is the pointer given to
 * sg_h2_session_new; `stream` is what `open` returned for that stream. A
 * callback returning a negative value makes the session fail as a whole
 * (sg_h2_recv/sg_h2_pending then return an error). */
struct sg_h2_callbacks {
	/* Server: the client opened stream `id`. Return the caller's object
	 * for it, or NULL to refuse the stream (it is reset). Unused by a
	 * client session (its streams are opened by sg_h2_request). */
	void *(*open)(void *conn, int32_t id);
	/* One field of a head, pseudo-headers first; names are lowercase
	 * (nghttp2 checked the field). A server passes the request head's
	 * only (request trailers are dropped); a client passes every HEADERS
	 * frame's: interim heads, the final head, then trailers. */
	int (*field)(void *conn, void *stream, const struct sg_h2_field *f);
	/* The head whose fields were just passed is complete; end_stream: no
	 * body follows (for a client, after trailers too). */
	int (*head)(void *conn, void *stream, bool end_stream);
	/* Body bytes received. They count against the flow-control windows
	 * until given back with sg_h2_consume. */
	int (*data)(void *conn, void *stream, const char *p, size_t len);
	/* The peer ended its side with DATA (END_STREAM after a body). */
	int (*end)(void *conn, void *stream);
	/* The stream is gone (response sent, or reset by either side). The
	 * session never mentions `stream` again. */
	void (*closed)(void *conn, void *stream, uint32_t error_code);
	/* The client acknowledged our PING. */
	void (*ping_ack)(void *conn);
	/* Response body for a stream answered with body = true: copy up to
	 * len bytes to buf and return how many, setting *eof after the last
	 * one; return -EAGAIN when nothing is there yet (call sg_h2_resume
	 * once there is), another negative errno to reset the stream. */
	ssize_t (*body)(void *conn, void *stream, char *buf, size_t len, bool *eof);
	/* Optional: the body callback just set *eof for stream `id`. Return 1
	 * after submitting trailers for it (sg_h2_trailers), which then end
	 * the stream instead of the last DATA frame; 0 for none. */
	int (*trailers)(void *conn, void *stream, int32_t id);
	/* Optional (a client's): the peer sent GOAWAY; streams above
	 * last_id were not processed (they close with REFUSED_STREAM). */
	void (*goaway)(void *conn, int32_t last_id, uint32_t code);
	/* Optional: the peer's SETTINGS (not an ack) came and are in force. */
	void (*settings)(void *conn);
	/* Optional (a client's): the request of stream `id` was never sent
	 * (a GOAWAY came first): no callback names its stream; it was not
	 * processed. */
	void (*not_sent)(void *conn, int32_t id);
	/* Optional (a server's): one field of the request's trailers. */
	int (*trailer)(void *conn, void *stream, const struct sg_h2_field *f);
	/* Optional (a server's): the client sends frames that make no
	 * progress past any need (PRIORITY, WINDOW_UPDATE, empty DATA,
	 * CONTINUATION floods): end the connection (sg_h2_goaway ENHANCE_YOUR_CALM).
	 * Without it the session sends that GOAWAY itself. */
	void (*flood)(void *conn);
};

struct sg_pages;
struct sg_slab;

/* The slot size of the page pool (user/base/pages.h) sessions take their
 * arena from: room for nghttp2's stream table (4 KiB) and its frame
 * buffer (16 KiB and 10 bytes), each on pages of its own, for a server
 * session's unused HPACK encoder ring (1 KiB, on a page never written),
 * and for two pages of a server session's small allocations (its session
 * struct and decoder ring, then its decoder's table entries), so that a
 * sleeping session (sg_h2_sleep) leaves nothing behind in the heap. */
#define SG_H2_ARENA_SIZE (36 * 1024)

/* A server session that sends the SETTINGS of `s` (and the connection
 * window) first. Flow control is manual: received DATA keeps the windows
 * shut until sg_h2_consume. `pages` (the worker's, of SG_H2_ARENA_SIZE
 * slots; NULL: none) lends the session one slot for nghttp2's large
 * allocations, so that sg_h2_trim can give their pages back; without a
 * free slot they are malloc'd. `mem` (NULL: malloc) is where the session's
 * own struct lives, which a sleeping session keeps: a worker's slab, beside
 * its connections', rather than pinning a page of malloc's heap among
 * freed frames. Returns 0 and *out (owned by the caller, freed with
 * sg_h2_session_free, which gives the slot back), or -ENOMEM. */
int sg_h2_session_new(const struct sg_h2_callbacks *cb, void *conn, const struct sg_h2_settings *s,
		      struct sg_pages *pages, struct sg_slab *mem, struct sg_h2_session **out);
void sg_h2_session_free(struct sg_h2_session *s);

/* A client session (to a backend): its first bytes out are the connection
 * preface and the SETTINGS of `s` (push disabled). Flow control is manual and
 * `pages` is used as for a server session. */
int sg_h2_client_new(const struct sg_h2_callbacks *cb, void *conn, const struct sg_h2_settings *s,
		     struct sg_pages *pages, struct sg_h2_session **out);

/* The session waits (no stream open, nothing to write): give back the pages
 * of its arena that hold nothing it needs, the frame buffer's (its bytes
 * are dead once every frame went out: nghttp2 writes each frame whole
 * before reading it) and those of its other blocks that read all zero (an
 * empty stream table). They cost memory again once written. Does nothing
 * when frames are still queued, when no frame was made since the last
 * trim, or without an arena. Returns 0 or a negative errno (madvise). */
int sg_h2_trim(struct sg_h2_session *s);

/* Whether sg_h2_trim would have pages to give back: the session has an
 * arena and made frames since the last trim. */
bool sg_h2_dirty(const struct sg_h2_session *s);

/* A server session that waits (no stream open, nothing to write) goes to
 * sleep: its nghttp2 session is freed, and a few dozen bytes of what it
 * agreed with the client (settings, windows, the last stream) are kept,
 * from which the next bytes from the client build another that the
 * client cannot tell from it. Two steps, as HPACK needs: the client's
 * header table is state a new session could not have, so first
 * SETTINGS_HEADER_TABLE_SIZE 0 is sent (returns 1: flush the session);
 * once the client acknowledges it (its table is then empty) the session
 * sleeps, from sg_h2_recv or a later call of this. A stream that opens
 * meanwhile calls it off; the table's size comes back to 4096 when the
 * session wakes. Returns 1 when frames were queued, 0 otherwise, or
 * -ENOMEM. A client session never sleeps. */
int sg_h2_sleep(struct sg_h2_session *s);

/* Whether the session sleeps (sg_h2_sleep); any call that needs it wakes it. */
bool sg_h2_asleep(const struct sg_h2_session *s);

/* Client: open a stream with request fields f[0..n) (pseudo-headers
 * first, names lowercase as HTTP/2 sends them; copied) and `stream` as its
 * object; body: DATA frames follow from the body
 * callback, else the request ends with the HEADERS. Returns the stream id
 * (> 0) or a negative errno (-EAGAIN: the peer's stream limit or a GOAWAY
 * leaves no room on this connection). */
int32_t sg_h2_request(struct sg_h2_session *s, const struct sg_h2_field *f, size_t n, bool body,
		      void *stream);
/* Client: the peer's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until its
 * SETTINGS came), 0 once no stream may be opened (a GOAWAY). */
uint32_t sg_h2_max_streams(struct sg_h2_session *s);
/* Forget `stream` for stream `id`: no callback names it again. */
void sg_h2_detach(struct sg_h2_session *s, int32_t id);
/* Trailers f[0..n) ending stream `id`; only from the trailers callback. */
int sg_h2_trailers(struct sg_h2_session *s, int32_t id, const struct sg_h2_field *f, size_t n);

/* Take over an HTTP/1.1 request that asked for "Upgrade: h2c": `settings`
 * is its HTTP2-Settings value (base64url); the request becomes stream 1,
 * half-closed by the client, with `stream` as its object. The caller then
 * answers it like any stream. Returns 0, -EINVAL for bad settings. */
int sg_h2_upgrade(struct sg_h2_session *s, const char *settings, size_t len, bool head,
		  void *stream);

/* Feed bytes read from the client. Returns 0, or -EPROTO when the session
 * cannot go on (bad preface, a callback failed, out of memory); frames
 * telling the client why (GOAWAY) may still be pending. */
int sg_h2_recv(struct sg_h2_session *s, const char *p, size_t len);
/* The next bytes to write to the client: returns their length and *data
 * (valid until the next call into the session), 0 when nothing is pending,
 * or -EPROTO. Body callbacks run from here. */
ssize_t sg_h2_pending(struct sg_h2_session *s, const char **data);
/* False once the session is over: GOAWAY went both ways or was sent with
 * no stream left, or a fatal error, and nothing is left to write. */
bool sg_h2_alive(struct sg_h2_session *s);

/* Writes bytes for the peer as send(2) does: returns how many it took, or
 * -1 with errno (EAGAIN: the socket is full, EINTR: call again). */
typedef ssize_t (*sg_h2_write_fn)(void *ctx, const char *p, size_t len);

struct sg_buf;

/* Write what the session has for its peer: its frames gathered into `out`
 * after the bytes already there, up to `batch` bytes, and written with one
 * call of `put`, again until the session has nothing more or the socket
 * takes less than it was given. What is not written stays in `out` (the
 * caller's, owned by it: wait for EPOLLOUT and call again). Body callbacks
 * run from here, as from sg_h2_pending. `record`, when not 0, is the
 * plaintext of a whole TLS record: a full batch (more frames to come) is
 * written up to a multiple of it and the rest waits for the next batch,
 * so that 9-byte frame heads do not leave a short record (and a write of
 * its own) after every batch. Returns 0, -EPROTO when the session failed,
 * -ENOMEM when `out` could not grow, or `put`'s -errno. */
int sg_h2_flush(struct sg_h2_session *s, struct sg_buf *out, size_t batch, size_t record,
		sg_h2_write_fn put, void *ctx);

/* Answer stream `id` with fields f[0..n) (":status" first, names
 * lowercase as HTTP/2 sends them; copied); body: DATA
 * frames follow from the body callback, else the stream ends with the
 * HEADERS. Returns 0 or a negative errno. */
int sg_h2_respond(struct sg_h2_session *s, int32_t id, const struct sg_h2_field *f, size_t n,
		  bool body);
/* Heads (sg_h2_respond, sg_h2_request) submitted and neither sent nor given
 * up yet, whose fields the session holds. */
size_t sg_h2_heads_unsent(const struct sg_h2_session *s);
/* An interim "100 Continue" on stream `id` (its final answer comes later):
 * for a client that waits for it before sending a body. */
int sg_h2_continue(struct sg_h2_session *s, int32_t id);
/* The body callback has bytes again for stream `id`. */
int sg_h2_resume(struct sg_h2_session *s, int32_t id);
/* RST_STREAM with `code`. */
int sg_h2_reset(struct sg_h2_session *s, int32_t id, uint32_t code);
/* `n` request body bytes of stream `id` were passed on: open the windows by
 * that much. Works on a stream that is already closed (connection window
 * only). */
int sg_h2_consume(struct sg_h2_session *s, int32_t id, size_t n);
/* The two halves of sg_h2_consume, for a session whose connection window
 * is given back as bytes arrive while each stream's waits for its reader
 * (a backend connection many clients share: one that does not read must
 * not shut the others' window, RFC 9113 5.2.2). */
int sg_h2_consume_connection(struct sg_h2_session *s, size_t n);
int sg_h2_consume_stream(struct sg_h2_session *s, int32_t id, size_t n);
/* A server session: the client's bytes so far end inside a header block
 * (a HEADERS or CONTINUATION frame not all here, or without END_HEADERS),
 * which no request can leave until the client sends the rest. */
bool sg_h2_in_header_block(const struct sg_h2_session *s);
/* Stream id's window grown to `size` bytes (a WINDOW_UPDATE for the
 * difference; what is received and not yet consumed stays counted). */
int sg_h2_stream_window(struct sg_h2_session *s, int32_t id, size_t size);
/* Send a PING (the ack comes to the ping_ack callback). */
int sg_h2_ping(struct sg_h2_session *s);
/* GOAWAY with `code` and debug text `why` (may be NULL), naming the last
 * stream the session processed: streams already open finish, new ones are
 * refused. */
int sg_h2_goaway(struct sg_h2_session *s, uint32_t code, const char *why);

#endif
