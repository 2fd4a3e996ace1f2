/* HTTP/2 codec: an nghttp2 session (server for clients, client for
 * backends) behind a small callback API, and the SETTINGS a frontend policy
 * asks for; the translations between HTTP/2 header lists and HTTP/1 heads
 * are h2head.h (included here). No I/O; the only module that includes
 * nghttp2.h. */
#ifndef SG_H2_H
#define SG_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/cfg.h"
#include "user/base/buf.h"
#include "user/codec/h1.h"
#include "user/codec/h2head.h"

/* Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
#define SG_H2_NO_ERROR 0x0
#define SG_H2_PROTOCOL_ERROR 0x1
#define SG_H2_INTERNAL_ERROR 0x2
#define SG_H2_REFUSED_STREAM 0x7
#define SG_H2_CANCEL 0x8
#define SG_H2_ENHANCE_YOUR_CALM 0xb

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
