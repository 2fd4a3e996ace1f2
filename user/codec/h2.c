/* The nghttp2 wrapper: a server or client session whose callbacks are
 * translated into struct sg_h2_callbacks (SETTINGS from a policy and the
 * header translations are h2head.c). nghttp2 types stay in this file. */
#include "user/codec/h2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "user/base/base64url.h"
#include "user/base/buf.h"
#include "user/base/httpdate.h"
#include "user/base/list.h"
#include "user/base/log.h"
#include "user/base/mem.h"
#include "user/base/pages.h"
#include "user/base/slab.h"

/* The frame buffer nghttp2 allocates with each session and keeps while it
 * lives (NGHTTP2_FRAMEBUF_CHUNKLEN in its nghttp2_frame.h: a frame header,
 * a pad length byte and a 16 KiB payload). */
#define H2_FRAMEBUF_LEN (9 + 1 + 16384)
/* The ring of entry pointers nghttp2 gives each HPACK table when a session
 * is built (nghttp2_hd.c's hd_context_init: room for a 4096-byte table, 128
 * entries of 32 bytes at least, a power of two), the encoder's first, then
 * the decoder's. */
#define H2_HD_RING_LEN (128 * sizeof(void *))
#define H2_ARENA_BLOCKS 4

/* One allocation nghttp2 made in the session's arena. */
struct arena_block {
	char *p;
	uint32_t cap; /* whole pages, at most SG_H2_ARENA_SIZE */
	bool frames;  /* the frame buffer: its bytes are dead between frames */
	bool dead;    /* freed, or moved out by a realloc */
};

/* HPACK bytes (RFC 7541 §4.1) of the dynamic table a response encoder
 * keeps: a typical response's fields, about ten. */
#define H2_RESPONSE_TABLE 1024

/* The SETTINGS identifiers nghttp2 knows (RFC 9113 §6.5.2, RFC 8441 §3,
 * RFC 9218 §2.1); 0x7 is none. */
static const uint16_t setting_ids[] = { 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x8, 0x9 };
#define H2_NSETTINGS (sizeof(setting_ids) / sizeof(setting_ids[0]))

/* What a sleeping server session agreed with its client. */
struct h2_sleep {
	uint32_t remote[H2_NSETTINGS]; /* the client's SETTINGS, by setting_ids */
	uint32_t local[H2_NSETTINGS];  /* ours, all acknowledged */
	int32_t local_window;	       /* our connection window's size */
	int32_t remote_window;	       /* DATA the client lets us send now */
	int32_t last_id;	       /* the last stream the client opened */
};

/* Owned by whoever made it (sg_h2_session_new, sg_h2_client_new). Fields
 * ordered so that it has no holes: every connection keeps one. */
struct sg_h2_session {
	nghttp2_session *ng;
	const struct sg_h2_callbacks *cb;
	void *conn;
	/* The session's arena: one slot of `pages` (NULL: none) holding the
	 * allocations of a page or more that nghttp2 makes while the session
	 * is built (its stream table and frame buffer), so that they cost
	 * memory only for the pages written, and sg_h2_trim can give pages
	 * back while the session waits. */
	struct sg_pages *pages;
	char *arena;
	size_t arena_used;
	/* A server session's allocations under a page made while it is built
	 * (nghttp2's session struct, the HPACK decoder's ring) and while header
	 * blocks are decoded (the table's entries), packed into arena pages
	 * (pack): freed with the slot when the session sleeps, where malloc's
	 * would leave holes that stay resident. `small` is the page being
	 * filled, `small_used` its bytes taken. */
	char *small;
	size_t small_used;
	struct arena_block blocks[H2_ARENA_BLOCKS];
	/* Inside sg_h2_flush: where its frames are gathered, up to `batch`
	 * bytes. A DATA frame's body is copied there straight from the body
	 * callback, not through nghttp2's frame buffer (read_body). */
	struct sg_buf *out;
	size_t batch;
	uint8_t nblocks;
	bool client;   /* to a backend */
	bool building; /* inside nghttp2's session constructor */
	bool dirty;    /* frames were made since the last trim */
	bool ring_put; /* the encoder's HPACK ring is in the arena */
	/* In a header block, after its stream was made: what nghttp2 allocates
	 * is the HPACK decoder's (mem_malloc). */
	bool decoding;
	/* In nghttp2_session_mem_send, outside our callbacks: what nghttp2
	 * allocates there is the HPACK encoder's table entries (a DATA frame's
	 * item, the other allocation a response made there, is submitted with
	 * its HEADERS: sg_h2_respond), packed as the decoder's are, so that
	 * they go with the arena when the session sleeps: from the heap they
	 * left holes, 0.87 -> 2.0 KiB per idle h2c connection (`make load`). */
	bool encoding;
	/* The stream of the header block being decoded (block_id 0: none),
	 * looked up once for the block's fields instead of once a field. */
	int32_t block_id;
	void *block_stream;
	/* Fields submitted and not yet sent or given up (struct fieldblock). */
	struct sg_list fieldblocks;
	/* Sleep (sg_h2_sleep). What the client agreed to while nghttp2's
	 * session is gone; where the client's frames begin
	 * and end in the bytes fed (follow_frames: the session sleeps only
	 * between two); the streams nghttp2 has open; SETTINGS of ours not
	 * yet acknowledged. */
	struct h2_sleep sleep; /* valid while `asleep` */
	uint32_t frame_left;   /* payload bytes of the client's frame still to come */
	/* Frames that cost work and make no progress, against what they may
	 * answer (flood(): RFC 9113 10.5, CVE-2019-9513/9518): PRIORITY per
	 * stream opened, WINDOW_UPDATE per DATA frame sent, empty DATA in a
	 * row. */
	uint32_t priorities, window_updates, opened, data_sent;
	uint16_t empty_run;
	uint16_t live;	      /* streams the client opened that are not closed */
	uint8_t head_have;    /* bytes of the next frame's 9-byte head seen */
	uint8_t preface_left; /* bytes of the client preface still to come */
	uint8_t head[5];      /* that head's length, type and flags */
	uint8_t unacked;      /* our SETTINGS frames not acknowledged yet */
	/* The client's frames stopped inside a header block: a HEADERS (or
	 * CONTINUATION) whose payload is not all here, or that did not say
	 * END_HEADERS (sg_h2_in_header_block). */
	bool in_head, head_ends;
	bool sleepy;	 /* sg_h2_sleep asked, and no stream opened since */
	bool table_zero; /* our last SETTINGS_HEADER_TABLE_SIZE asked 0 */
	/* The client's HPACK table holds nothing: no header block came while
	 * our SETTINGS let it have one (since the connection began, or since
	 * its size 0 was acknowledged). */
	bool table_empty;
	bool thawing; /* a session is being built again: no callback */
	bool goaway;  /* a GOAWAY went or came: the session ends */
	bool asleep;  /* nghttp2's session is gone (sg_h2_sleep) */
	bool in_slab; /* from sg_h2_session_new's slab, not malloc */
};

/* ---- nghttp2 callbacks ----------------------------------------------------- */

static void *stream_of(nghttp2_session *ng, int32_t id)
{
	return nghttp2_session_get_stream_user_data(ng, id);
}

/* The header block being decoded is stream id's, whose data is `stream`. */
static void block_is(struct sg_h2_session *s, int32_t id, void *stream)
{
	s->block_id = id;
	s->block_stream = stream;
}

/* SETTINGS_HEADER_TABLE_SIZE of ours: 0 before a session sleeps, the
 * protocol's 4096 again once a stream opens. */
static int ask_table(struct sg_h2_session *s, bool zero)
{
	nghttp2_settings_entry e = { NGHTTP2_SETTINGS_HEADER_TABLE_SIZE,
				     zero ? 0 : NGHTTP2_DEFAULT_HEADER_TABLE_SIZE };

	if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, &e, 1))
		return -ENOMEM;
	s->table_zero = zero;
	s->unacked++;
	return 1;
}

/* A stream nghttp2 opened or closed for the client (not while a sleeping
 * session is built again, whose stream is not the client's). */
static void count_stream(struct sg_h2_session *s, bool open)
{
	if (s->client || s->thawing)
		return;
	if (open) {
		s->live++;
		s->sleepy = false;
		if (s->table_zero)
			ask_table(s, false); /* out of memory: the table stays 0 */
	} else if (s->live) {
		s->live--;
	}
}

/* A client's frames that make no progress, past what it can need: so
 * many PRIORITY frames per stream it opened, WINDOW_UPDATEs per DATA
 * frame it was sent, empty DATA frames (no END_STREAM) in a row. Envoy's
 * defaults are 100, 10 and 1; the slack here is for clients that do
 * more than the least. */
#define H2_PRIORITIES_PER_STREAM 100
#define H2_WINDOW_UPDATES_PER_DATA 10
#define H2_FRAMES_SLACK 1000
#define H2_EMPTY_DATA_RUN 100

static bool flood(struct sg_h2_session *s, const nghttp2_frame_hd *hd)
{
	switch (hd->type) {
	case NGHTTP2_DATA:
		if (hd->length || (hd->flags & NGHTTP2_FLAG_END_STREAM)) {
			s->empty_run = 0;
			return false;
		}
		return ++s->empty_run > H2_EMPTY_DATA_RUN;
	case NGHTTP2_HEADERS:
		s->empty_run = 0;
		return false;
	case NGHTTP2_PRIORITY:
		return ++s->priorities >
		       (uint64_t)H2_PRIORITIES_PER_STREAM * s->opened + H2_FRAMES_SLACK;
	case NGHTTP2_WINDOW_UPDATE:
		return ++s->window_updates >
		       (uint64_t)H2_WINDOW_UPDATES_PER_DATA * s->data_sent + H2_FRAMES_SLACK;
	}
	return false;
}

/* A frame begins: a header block ends with the frame that has
 * END_HEADERS, so any but a CONTINUATION is past it; a server session
 * counts the client's frames for flood(). */
static int on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *user)
{
	struct sg_h2_session *s = user;

	if (hd->type != NGHTTP2_CONTINUATION) {
		s->decoding = false;
		s->block_id = 0;
	}
	if (!s->client && !s->thawing && !s->goaway && flood(s, hd)) {
		if (s->cb->flood)
			s->cb->flood(s->conn);
		else
			nghttp2_session_terminate_session(ng, NGHTTP2_ENHANCE_YOUR_CALM);
	}
	return 0;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct sg_h2_session *s = user;
	void *stream;

	s->decoding = true; /* nghttp2 made the stream before this call */
	s->block_id = 0;
	if (!s->client &&
	    nghttp2_session_get_local_settings(ng, NGHTTP2_SETTINGS_HEADER_TABLE_SIZE))
		s->table_empty = false; /* the block may index fields */
	if (s->client || s->thawing || frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
		block_is(s, frame->hd.stream_id, stream_of(ng, frame->hd.stream_id));
		return 0;
	}
	count_stream(s, true);
	s->opened++;
	stream = s->cb->open(s->conn, frame->hd.stream_id);
	if (!stream) {
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
					  NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, stream);
	block_is(s, frame->hd.stream_id, stream);
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	struct sg_h2_session *s = user;
	void *stream = frame->hd.stream_id == s->block_id ? s->block_stream
							  : stream_of(ng, frame->hd.stream_id);
	struct sg_h2_field f = { (const char *)name, namelen, (const char *)value, valuelen };

	if (!stream || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* A server's request trailers go to their own callback, if any. */
	if (!s->client && frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return s->cb->trailer && s->cb->trailer(s->conn, stream, &f) < 0
			       ? NGHTTP2_ERR_CALLBACK_FAILURE
			       : 0;
	return s->cb->field(s->conn, stream, &f) < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct sg_h2_session *s = user;
	bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
	void *stream;
	int rc = 0;

	s->decoding = false;
	s->block_id = 0;
	switch (frame->hd.type) {
	case NGHTTP2_PING:
		if (frame->hd.flags & NGHTTP2_FLAG_ACK)
			s->cb->ping_ack(s->conn);
		return 0;
	case NGHTTP2_HEADERS:
		stream = stream_of(ng, frame->hd.stream_id);
		if (!stream)
			return 0;
		if (s->client || frame->headers.cat == NGHTTP2_HCAT_REQUEST)
			rc = s->cb->head(s->conn, stream, end);
		else if (end)
			rc = s->cb->end(s->conn, stream);
		break;
	case NGHTTP2_DATA:
		stream = stream_of(ng, frame->hd.stream_id);
		if (stream && end)
			rc = s->cb->end(s->conn, stream);
		break;
	case NGHTTP2_SETTINGS:
		if (s->thawing)
			return 0;
		if (frame->hd.flags & NGHTTP2_FLAG_ACK) {
			if (s->unacked && !--s->unacked && s->table_zero)
				s->table_empty = true; /* its size is 0: it was emptied */
		} else if (s->cb->settings) {
			s->cb->settings(s->conn);
		}
		return 0;
	case NGHTTP2_GOAWAY:
		s->goaway = true;
		if (s->cb->goaway)
			s->cb->goaway(s->conn, frame->goaway.last_stream_id,
				      frame->goaway.error_code);
		return 0;
	default:
		return 0;
	}
	return rc < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

/* The bytes of a head's fields, given to nghttp2 as they are
 * (NGHTTP2_NV_FLAG_NO_COPY_*): its own copy would lowercase every name
 * again. They live until the HEADERS frame is sent or given up
 * (release_fields), or the session ends. */
struct fieldblock {
	struct sg_list node; /* on the session's fieldblocks */
	char bytes[];
};

static void unlink_fields(struct fieldblock *b)
{
	sg_list_remove(&b->node);
	sg_mem_free(b);
}

/* A HEADERS frame was sent or given up: the block its fields came from
 * (to_nv_kept's flags mark one) goes. */
static void release_fields(const nghttp2_frame *frame)
{
	const nghttp2_nv *first = frame->headers.nva;

	if (frame->hd.type != NGHTTP2_HEADERS || !frame->headers.nvlen ||
	    !(first->flags & NGHTTP2_NV_FLAG_NO_COPY_NAME))
		return;
	unlink_fields((struct fieldblock *)(void *)((char *)first->name -
						    offsetof(struct fieldblock, bytes)));
}

size_t sg_h2_heads_unsent(const struct sg_h2_session *s)
{
	const struct sg_list *pos;
	size_t n = 0;

	SG_LIST_FOR_EACH(pos, &s->fieldblocks)
		n++;
	return n;
}

/* The session ends: frames never made leave their blocks. */
static void release_all_fields(struct sg_h2_session *s)
{
	while (!sg_list_empty(&s->fieldblocks))
		unlink_fields(SG_LIST_ENTRY(s->fieldblocks.next, struct fieldblock, node));
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct sg_h2_session *s = user;

	(void)ng;
	if (frame->hd.type == NGHTTP2_DATA)
		s->data_sent++;
	release_fields(frame);
	return 0;
}

static int on_frame_not_send(nghttp2_session *ng, const nghttp2_frame *frame, int err, void *user)
{
	struct sg_h2_session *s = user;

	(void)ng;
	(void)err;
	release_fields(frame);
	if (s->client && frame->hd.type == NGHTTP2_HEADERS &&
	    frame->headers.cat == NGHTTP2_HCAT_REQUEST && s->cb->not_sent)
		s->cb->not_sent(s->conn, frame->hd.stream_id);
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *user)
{
	struct sg_h2_session *s = user;
	void *stream = stream_of(ng, id);

	if (!stream) {
		/* Nobody will pass these on: give the window back now. */
		nghttp2_session_consume(ng, id, len);
		return 0;
	}
	return s->cb->data(s->conn, stream, (const char *)data, len) < 0
		       ? NGHTTP2_ERR_CALLBACK_FAILURE
		       : 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user)
{
	struct sg_h2_session *s = user;
	void *stream = stream_of(ng, id);

	count_stream(s, false);
	if (id == s->block_id)
		s->block_id = 0;
	if (stream) {
		bool encoding = s->encoding;

		nghttp2_session_set_stream_user_data(ng, id, NULL);
		s->encoding = false;
		s->cb->closed(s->conn, stream, code);
		s->encoding = encoding;
	}
	return 0;
}

/* A frame header's bytes (RFC 9113 §4.1). */
#define H2_FRAME_HEAD 9

static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	struct sg_h2_session *s = user;
	void *stream = stream_of(ng, id);
	bool eof = false, direct, encoding;
	ssize_t n;

	(void)src;
	if (!stream)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	/* In a flush the body goes where the frame will be, behind room for
	 * its header (send_data writes it): one copy instead of two. */
	direct = s->out && sg_buf_reserve(s->out, H2_FRAME_HEAD + len) == 0;
	if (direct)
		buf = (uint8_t *)sg_buf_tail(s->out) + H2_FRAME_HEAD;
	encoding = s->encoding; /* what our callbacks submit is not the encoder's */
	s->encoding = false;
	n = s->cb->body(s->conn, stream, (char *)buf, len, &eof);
	if (n >= 0 && eof && s->cb->trailers && s->cb->trailers(s->conn, stream, id) == 1)
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
	s->encoding = encoding;
	if (n == -EAGAIN)
		return NGHTTP2_ERR_DEFERRED;
	if (n < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if (direct)
		*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (eof)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return n;
}

/* The DATA frame read_body filled in place is sent: nghttp2 calls this
 * right after it, within the same nghttp2_session_mem_send, so the body
 * is still where read_body put it. The session pads no frame. */
static int send_data(nghttp2_session *ng, nghttp2_frame *frame, const uint8_t *head, size_t len,
		     nghttp2_data_source *src, void *user)
{
	struct sg_h2_session *s = user;

	(void)ng;
	(void)src;
	SG_BUG_ON(!s->out || frame->data.padlen || sg_buf_room(s->out) < H2_FRAME_HEAD + len);
	memcpy(sg_buf_tail(s->out), head, H2_FRAME_HEAD);
	sg_buf_commit(s->out, H2_FRAME_HEAD + len);
	s->dirty = true;
	/* A full batch is written before more frames are made. */
	return s->out->len >= s->batch ? NGHTTP2_ERR_PAUSE : 0;
}

/* ---- the session's memory ------------------------------------------------------ */

static struct arena_block *block_of(struct sg_h2_session *s, const void *p)
{
	for (size_t i = 0; i < s->nblocks; i++)
		if (s->blocks[i].p == p)
			return &s->blocks[i];
	return NULL;
}

/* Room for n bytes in the arena, page-aligned and zero-filled (a fresh
 * slot reads as zero); NULL: malloc's. Only n of a page or more, unless
 * `small` (a block that is never written: its page costs nothing). */
static void *arena_take(struct sg_h2_session *s, size_t n, bool small)
{
	size_t page, cap;
	struct arena_block *b;

	if (!s->building || !s->arena || s->nblocks == H2_ARENA_BLOCKS)
		return NULL;
	page = sg_pages_page_size(s->pages);
	cap = (n + page - 1) / page * page;
	if ((n < page && !small) || cap > sg_pages_slot_size(s->pages) - s->arena_used)
		return NULL;
	b = &s->blocks[s->nblocks++];
	*b = (struct arena_block){ s->arena + s->arena_used, (uint32_t)cap, n == H2_FRAMEBUF_LEN,
				   false };
	s->arena_used += cap;
	return b->p;
}

/* Whether p lies in the session's arena slot. */
static bool in_arena(const struct sg_h2_session *s, const void *p)
{
	const char *c = p;

	return s->arena && c >= s->arena && c < s->arena + sg_pages_slot_size(s->pages);
}

/* n bytes (under a page) of a server session's small allocations, 16-byte
 * aligned, in the page being filled, or a new arena page while the slot
 * has one (the session struct and the decoder's ring fill the first; the
 * HPACK tables' entries, the decoder's and the encoder's, go to the next:
 * freed one by one with malloc when a session sleeps, they left holes in
 * the heap, a third of an idle connection's memory). NULL: malloc's. Never
 * freed one by one: the slot goes whole. */
static void *pack(struct sg_h2_session *s, size_t n)
{
	size_t page, need = (n + 15) & ~(size_t)15;
	void *p;

	if (s->client || !s->arena)
		return NULL;
	page = sg_pages_page_size(s->pages);
	if (need > page)
		return NULL;
	if (!s->small || s->small_used + need > page) {
		if (page > sg_pages_slot_size(s->pages) - s->arena_used)
			return NULL;
		s->small = s->arena + s->arena_used;
		s->arena_used += page;
		s->small_used = 0;
	}
	p = s->small + s->small_used;
	s->small_used += need;
	return p;
}

/* Whether an allocation of n bytes is a server session's encoder ring: the
 * first of H2_HD_RING_LEN while it is built. nghttp2 writes it only once an
 * answer indexes a field (H2_RESPONSE_TABLE): on a page of the arena of its
 * own, it costs nothing until then, and the page goes with the slot when
 * the session sleeps, where malloc's 1 KiB would be held for the
 * connection's life. Should another nghttp2 build the decoder's first, that
 * ring's page is written at once and stays (a trim keeps pages that are
 * not all zero): test_h2's trim test fails on it. */
static bool encoder_ring(const struct sg_h2_session *s, size_t n)
{
	return s->building && !s->client && !s->ring_put && n == H2_HD_RING_LEN;
}

/* What the session keeps for its whole life is allocated while it is
 * built: at its exact size (sg_mem rounds up to a size class, which an
 * idle connection would hold for nothing). So are the HPACK decoder's
 * allocations, made while a header block is decoded: the entries of its
 * dynamic table (80 bytes and a string of 41 and more each, which sg_mem
 * made 136 and 72 and more) stay while the connection waits, and the
 * strings of fields not indexed go at once. The rest comes and goes with
 * streams and frames: sg_mem's reused blocks. */
static void *mem_malloc(size_t n, void *user)
{
	struct sg_h2_session *s = user;
	bool ring = encoder_ring(s, n);
	void *p = arena_take(s, n, ring);

	if (p) {
		s->ring_put |= ring;
		return p;
	}
	if (s->building || s->decoding || s->encoding) {
		p = pack(s, n);
		return p ? p : sg_mem_alloc_headed(n, true);
	}
	return sg_mem_alloc_headed(n, false);
}

static void *mem_calloc(size_t k, size_t n, void *user)
{
	void *p;

	if (n && k > SIZE_MAX / n)
		return NULL;
	p = mem_malloc(k * n, user);
	if (p)
		memset(p, 0, k * n);
	return p;
}

static void *mem_realloc(void *p, size_t n, void *user)
{
	struct arena_block *b;
	size_t had;
	void *q;

	if (!p)
		return mem_malloc(n, user);
	if (!in_arena(user, p)) {
		had = sg_mem_headed_size(p);
		if (n <= had)
			return p;
		q = mem_malloc(n, user);
		if (q) {
			memcpy(q, p, had);
			sg_mem_free_headed(p);
		}
		return q;
	}
	b = block_of(user, p);
	if (!b) {
		/* A packed block: its size is not kept, but the bytes up to its
		 * page's end can be read, and the new block needs no more. The
		 * new one may be packed right after it, inside those bytes:
		 * memmove, whose copy is of the bytes as they were (the old
		 * block's come first, before the new one begins). */
		const struct sg_h2_session *s = user;
		size_t page = sg_pages_page_size(s->pages);
		size_t left = page - (size_t)((const char *)p - s->arena) % page;

		q = mem_malloc(n, user);
		if (q)
			memmove(q, p, n < left ? n : left);
		return q;
	}
	if (n <= b->cap)
		return p;
	q = sg_mem_alloc_headed(n, true);
	if (!q)
		return NULL;
	memcpy(q, p, b->cap);
	b->dead = true;
	return q;
}

static void mem_free(void *p, void *user)
{
	struct arena_block *b;

	if (!p)
		return;
	if (!in_arena(user, p)) {
		sg_mem_free_headed(p);
		return;
	}
	b = block_of(user, p);
	if (b)
		b->dead = true; /* the slot goes back with the session */
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int sg_h2_trim(struct sg_h2_session *s)
{
	char *from = NULL, *to = NULL;
	int rc = 0;

	/* Nothing queued: the frame buffer holds no byte still to go out. */
	if (!s->arena || !s->dirty || nghttp2_session_want_write(s->ng))
		return 0;
	s->dirty = false;
	/* Blocks lie in the arena in order: contiguous ones go back together. */
	for (size_t i = 0; i <= s->nblocks && !rc; i++) {
		struct arena_block *b = i < s->nblocks ? &s->blocks[i] : NULL;
		bool give = b && (b->dead || b->frames || all_zero(b->p, b->cap));

		if (give && from && b->p == to) {
			to += b->cap;
			continue;
		}
		if (from)
			rc = sg_pages_trim(s->pages, from, (size_t)(to - from));
		from = give ? b->p : NULL;
		to = give ? b->p + b->cap : NULL;
	}
	return rc;
}

bool sg_h2_dirty(const struct sg_h2_session *s)
{
	return s->arena && s->dirty;
}

/* ---- the session ----------------------------------------------------------- */

static int setup(struct sg_h2_session *s, const struct sg_h2_settings *set)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	nghttp2_mem mem = { s, mem_malloc, mem_free, mem_calloc, mem_realloc };
	nghttp2_settings_entry iv[sizeof(set->v) / sizeof(set->v[0]) + 1];
	size_t niv = 0;
	int rc;

	if (nghttp2_session_callbacks_new(&cbs))
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
	nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
	nghttp2_session_callbacks_set_send_data_callback(cbs, send_data);
	if (nghttp2_option_new(&opt)) {
		nghttp2_session_callbacks_del(cbs);
		return -ENOMEM;
	}
	/* Windows open only as far as bytes really left for the backend:
	 * that is what bounds a stream's buffered request body. */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	/* Closed streams are kept only for RFC 7540 priorities, which the
	 * gateway does not use: 224 bytes each, up to 100 a connection. */
	nghttp2_option_set_no_closed_streams(opt, 1);
	/* Responses to clients are encoded with a small dynamic table
	 * (H2_RESPONSE_TABLE): a backend's repeated fields (server,
	 * cache-control, content-type, ...) then cost an index each instead
	 * of a Huffman-coded literal, which was 7 % of the gateway's
	 * instructions per proxied h2c request (scripts/BENCH.md, "h2c per
	 * request"). Its entries are packed in the arena (`encoding`), so
	 * they go with it when the session sleeps; a client keeps the old
	 * entries, which the next session's encoder never names and which
	 * are evicted first (RFC 7541 §4.4), so the two tables agree. A
	 * backend connection carries many clients' requests: it keeps the
	 * protocol's 4 KiB. */
	if (!s->client)
		nghttp2_option_set_max_deflate_dynamic_table_size(opt, H2_RESPONSE_TABLE);
	s->building = true;
	if (s->client)
		rc = nghttp2_session_client_new3(&s->ng, cbs, s, opt, &mem);
	else
		rc = nghttp2_session_server_new3(&s->ng, cbs, s, opt, &mem);
	s->building = false;
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	if (rc)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++)
		iv[niv++] = (nghttp2_settings_entry){ set->v[i].id, set->v[i].value };
	if (s->client) /* a backend pushes nothing */
		iv[niv++] = (nghttp2_settings_entry){ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 };
	if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, niv))
		return -ENOMEM;
	if (set->connection_window &&
	    nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0,
						  (int32_t)set->connection_window))
		return -ENOMEM;
	return 0;
}

static int session_new(const struct sg_h2_callbacks *cb, void *conn,
		       const struct sg_h2_settings *set, struct sg_pages *pages,
		       struct sg_slab *mem, bool client, struct sg_h2_session **out)
{
	struct sg_h2_session *s = mem ? sg_slab_alloc(mem, sizeof(*s)) : calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->in_slab = mem != NULL;
	sg_list_init(&s->fieldblocks);
	s->cb = cb;
	s->conn = conn;
	s->client = client;
	s->pages = pages;
	/* Without a slot, nghttp2's allocations go to malloc. */
	s->arena = pages ? sg_pages_get(pages) : NULL;
	rc = setup(s, set);
	if (rc) {
		sg_h2_session_free(s);
		return rc;
	}
	s->unacked = 1;
	s->table_empty = true;
	if (!client)
		s->preface_left = SG_H2_PREFACE_LEN;
	*out = s;
	return 0;
}

int sg_h2_session_new(const struct sg_h2_callbacks *cb, void *conn,
		      const struct sg_h2_settings *set, struct sg_pages *pages, struct sg_slab *mem,
		      struct sg_h2_session **out)
{
	return session_new(cb, conn, set, pages, mem, false, out);
}

int sg_h2_client_new(const struct sg_h2_callbacks *cb, void *conn, const struct sg_h2_settings *set,
		     struct sg_pages *pages, struct sg_h2_session **out)
{
	return session_new(cb, conn, set, pages, NULL, true, out);
}

void sg_h2_session_free(struct sg_h2_session *s)
{
	if (!s)
		return;
	nghttp2_session_del(s->ng);
	release_all_fields(s);
	if (s->arena)
		sg_pages_put(s->pages, s->arena);
	if (s->in_slab)
		sg_slab_free(s);
	else
		free(s);
}

/* ---- sleep --------------------------------------------------------------------- */

/* Follows the client's frames through the bytes fed, reading only their
 * heads: nghttp2 holds a frame's first bytes until the rest comes, which
 * a session built again would not have, so a session sleeps only between
 * two frames. */
static void follow_frames(struct sg_h2_session *s, const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = 1;

		if (s->preface_left) {
			n = len < s->preface_left ? len : s->preface_left;
			s->preface_left -= (uint8_t)n;
		} else if (s->frame_left) {
			n = len < s->frame_left ? len : s->frame_left;
			s->frame_left -= (uint32_t)n;
			if (!s->frame_left && s->head_ends)
				s->in_head = false;
		} else {
			if (s->head_have < sizeof(s->head))
				s->head[s->head_have] = *p;
			if (++s->head_have == H2_FRAME_HEAD) {
				uint8_t type = s->head[3];

				s->frame_left = (uint32_t)s->head[0] << 16 |
						(uint32_t)s->head[1] << 8 | s->head[2];
				s->head_have = 0;
				s->in_head = type == NGHTTP2_HEADERS ||
					     type == NGHTTP2_CONTINUATION ||
					     type == NGHTTP2_PUSH_PROMISE;
				s->head_ends = s->head[4] & NGHTTP2_FLAG_END_HEADERS;
				if (!s->frame_left && s->head_ends)
					s->in_head = false;
			}
		}
		p += n;
		len -= n;
	}
}

/* Asked to sleep, and nothing but what struct h2_sleep holds would be
 * lost: the client's table is empty, our SETTINGS acknowledged, no
 * stream, nothing to write, no frame half read, no GOAWAY. */
static bool can_sleep(const struct sg_h2_session *s)
{
	return !s->client && s->sleepy && !s->asleep && s->table_empty && !s->unacked && !s->live &&
	       !s->goaway && !s->preface_left && !s->frame_left && !s->head_have &&
	       !nghttp2_session_want_write(s->ng) && nghttp2_session_want_read(s->ng);
}

/* nghttp2's session and the arena slot it lived in go back. */
static void drop_session(struct sg_h2_session *s)
{
	nghttp2_session_del(s->ng);
	release_all_fields(s);
	s->ng = NULL;
	if (s->arena)
		sg_pages_put(s->pages, s->arena);
	s->arena = s->small = NULL;
	s->arena_used = s->small_used = 0;
	s->nblocks = 0;
	s->ring_put = s->dirty = false;
}

/* nghttp2's session goes, and the arena's slot with it; unless it could
 * not be built again (our DATA took the client's window below its initial
 * 65535 without a stream to give it back on: thaw), when it stays awake. */
static void freeze(struct sg_h2_session *s)
{
	struct h2_sleep *z = &s->sleep;

	if (nghttp2_session_get_remote_window_size(s->ng) < (int32_t)SG_H2_MIN_CONN_WINDOW &&
	    nghttp2_session_get_last_proc_stream_id(s->ng) <= 0)
		return;
	for (size_t i = 0; i < H2_NSETTINGS; i++) {
		z->remote[i] = nghttp2_session_get_remote_settings(
			s->ng, (nghttp2_settings_id)setting_ids[i]);
		z->local[i] = nghttp2_session_get_local_settings(
			s->ng, (nghttp2_settings_id)setting_ids[i]);
	}
	z->local_window = nghttp2_session_get_effective_local_window_size(s->ng);
	z->remote_window = nghttp2_session_get_remote_window_size(s->ng);
	z->last_id = nghttp2_session_get_last_proc_stream_id(s->ng);
	drop_session(s);
	s->asleep = true;
}

static uint32_t setting_of(const uint32_t *v, uint16_t id)
{
	for (size_t i = 0; i < H2_NSETTINGS; i++)
		if (setting_ids[i] == id)
			return v[i];
	return 0;
}

static size_t put_head(uint8_t *out, size_t len, uint8_t type, uint8_t flags, int32_t id)
{
	const uint8_t head[H2_FRAME_HEAD] = {
		(uint8_t)(len >> 16),
		(uint8_t)(len >> 8),
		(uint8_t)len,
		type,
		flags,
		(uint8_t)((uint32_t)id >> 24),
		(uint8_t)(id >> 16),
		(uint8_t)(id >> 8),
		(uint8_t)id,
	};

	memcpy(out, head, sizeof(head));
	return sizeof(head);
}

static size_t put_u32(uint8_t *out, uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
	return 4;
}

static size_t put_window_update(uint8_t *out, int32_t id, uint32_t increment)
{
	size_t n = put_head(out, 4, NGHTTP2_WINDOW_UPDATE, NGHTTP2_FLAG_NONE, id);

	return n + put_u32(out + n, increment);
}

/* Everything the session has to send goes nowhere: the client has it. */
static int discard_output(nghttp2_session *ng)
{
	const uint8_t *p;
	ssize_t n;

	while ((n = nghttp2_session_mem_send(ng, &p)) > 0)
		;
	return n < 0 ? -EPROTO : 0;
}

/* DATA of zeros that the thawed session sends and discard_output drops. */
static ssize_t burn_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	uint32_t *left = src->ptr;
	size_t n = len < *left ? len : *left;

	(void)ng;
	(void)id;
	(void)user;
	memset(buf, 0, n);
	*left -= (uint32_t)n;
	if (!*left)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* A new nghttp2 session the client cannot tell from the one that slept:
 * it is told, as if the client had said it, the client's preface and
 * SETTINGS, the ack of ours (the same, the table's size among them), the
 * client's window beyond 65535; then a request on the last stream the
 * client opened, answered with as many bytes of DATA as the client's
 * window lacked of 65535. That request's header block starts with a
 * table size of 0, which the client's table had (empty, and 0 unless it
 * has not sent a block since our 4096 came back), and which nghttp2
 * insists on after a table shrank; a new stream below it is not taken
 * for new. What the session writes in all this is dropped. On failure
 * the session is as asleep as before: nothing half built is kept. */
static int thaw(struct sg_h2_session *s)
{
	/* A size update to 0, :method GET, :scheme http, :path /, :authority x */
	static const uint8_t block[] = { 0x20, 0x82, 0x86, 0x84, 0x01, 0x01, 'x' };
	const struct h2_sleep *z = &s->sleep;
	struct sg_h2_settings set = {
		.v = { { SG_H2_SET_HEADER_TABLE_SIZE,
			 setting_of(z->local, SG_H2_SET_HEADER_TABLE_SIZE) },
		       { SG_H2_SET_MAX_CONCURRENT_STREAMS,
			 setting_of(z->local, SG_H2_SET_MAX_CONCURRENT_STREAMS) },
		       { SG_H2_SET_INITIAL_WINDOW_SIZE,
			 setting_of(z->local, SG_H2_SET_INITIAL_WINDOW_SIZE) },
		       { SG_H2_SET_MAX_FRAME_SIZE,
			 setting_of(z->local, SG_H2_SET_MAX_FRAME_SIZE) } },
		.n = 4,
		.connection_window = z->local_window > (int32_t)SG_H2_MIN_CONN_WINDOW
					     ? (uint32_t)z->local_window
					     : 0,
	};
	uint32_t lack = z->remote_window < (int32_t)SG_H2_MIN_CONN_WINDOW
				? SG_H2_MIN_CONN_WINDOW - (uint32_t)z->remote_window
				: 0;
	nghttp2_data_provider burn = { .source.ptr = &lack, .read_callback = burn_body };
	static uint8_t name[] = ":status", value[] = "200";
	nghttp2_nv status = { name, value, 7, 3, NGHTTP2_NV_FLAG_NONE };
	uint8_t in[SG_H2_PREFACE_LEN + 2 * H2_FRAME_HEAD + 6 * H2_NSETTINGS + 3 * 13 +
		   sizeof(block)];
	size_t n = SG_H2_PREFACE_LEN, at;
	int rc;

	s->arena = s->pages ? sg_pages_get(s->pages) : NULL;
	s->thawing = true;
	rc = setup(s, &set);
	if (rc == 0)
		rc = discard_output(s->ng);
	if (rc)
		goto out;
	memcpy(in, SG_H2_PREFACE, SG_H2_PREFACE_LEN);
	at = n;
	n += H2_FRAME_HEAD;
	for (size_t i = 0; i < H2_NSETTINGS; i++) {
		if (setting_ids[i] >= 0x8 && !z->remote[i])
			continue; /* flags a client leaves unset */
		in[n++] = 0;
		in[n++] = (uint8_t)setting_ids[i];
		n += put_u32(in + n, z->remote[i]);
	}
	put_head(in + at, n - at - H2_FRAME_HEAD, NGHTTP2_SETTINGS, NGHTTP2_FLAG_NONE, 0);
	n += put_head(in + n, 0, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0);
	if (z->remote_window > (int32_t)SG_H2_MIN_CONN_WINDOW)
		n += put_window_update(in + n, 0,
				       (uint32_t)z->remote_window - SG_H2_MIN_CONN_WINDOW);
	if (z->last_id > 0) {
		n += put_head(in + n, sizeof(block), NGHTTP2_HEADERS,
			      NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, z->last_id);
		memcpy(in + n, block, sizeof(block));
		n += sizeof(block);
		if (lack > setting_of(z->remote, SG_H2_SET_INITIAL_WINDOW_SIZE))
			n += put_window_update(in + n, z->last_id, lack);
	}
	rc = -EPROTO;
	if (nghttp2_session_mem_recv(s->ng, in, n) != (ssize_t)n)
		goto out;
	if (z->last_id > 0 &&
	    nghttp2_submit_response(s->ng, z->last_id, &status, 1, lack ? &burn : NULL))
		goto out;
	if (discard_output(s->ng) ||
	    nghttp2_session_get_remote_window_size(s->ng) != z->remote_window ||
	    nghttp2_session_get_last_proc_stream_id(s->ng) != z->last_id)
		goto out;
	rc = 0;
	s->unacked = 0;
	s->table_zero = !setting_of(z->local, SG_H2_SET_HEADER_TABLE_SIZE);
	s->table_empty = true;
	s->sleepy = false;
	s->dirty = true; /* the frame buffer's pages were written */
	s->asleep = false;
out:
	if (rc)
		drop_session(s); /* still asleep, as before the call */
	s->thawing = false;
	return rc;
}

int sg_h2_sleep(struct sg_h2_session *s)
{
	if (s->client || s->asleep || s->goaway)
		return 0;
	s->sleepy = true;
	if (can_sleep(s)) {
		freeze(s);
		return 0;
	}
	if (s->table_empty || s->table_zero || s->live || nghttp2_session_want_write(s->ng))
		return 0;
	return ask_table(s, true);
}

bool sg_h2_asleep(const struct sg_h2_session *s)
{
	return s->asleep;
}

int sg_h2_upgrade(struct sg_h2_session *s, const char *settings, size_t len, bool head,
		  void *stream)
{
	uint8_t payload[256];
	ssize_t n = sg_h2head_base64url_decode(settings, len, payload, sizeof(payload));

	if (n < 0 || n % 6)
		return -EINVAL;
	/* A server session ignores upgrade2's stream_user_data. */
	if (nghttp2_session_upgrade2(s->ng, payload, (size_t)n, head, NULL) ||
	    nghttp2_session_set_stream_user_data(s->ng, 1, stream))
		return -EINVAL;
	count_stream(s, true);
	return 0;
}

int sg_h2_recv(struct sg_h2_session *s, const char *p, size_t len)
{
	ssize_t n;

	if (s->asleep && thaw(s) < 0)
		return -EPROTO;
	if (!s->client)
		follow_frames(s, (const uint8_t *)p, len);
	n = nghttp2_session_mem_recv(s->ng, (const uint8_t *)p, len);
	/* A header block in more CONTINUATION frames than nghttp2 takes (8;
	 * CVE-2024-28182) stops the session: a flood like flood()'s, which
	 * the frontend answers with GOAWAY before it closes. */
	if (n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS && !s->client && s->cb->flood)
		s->cb->flood(s->conn);
	if (n < 0)
		return -EPROTO;
	if (can_sleep(s))
		freeze(s);
	return 0;
}

ssize_t sg_h2_pending(struct sg_h2_session *s, const char **data)
{
	const uint8_t *p = NULL;
	ssize_t n;

	if (s->asleep) {
		*data = NULL;
		return 0;
	}
	s->encoding = !s->client; /* a client session packs nothing (pack) */
	n = nghttp2_session_mem_send(s->ng, &p);
	s->encoding = false;
	if (n > 0)
		s->dirty = true;
	*data = (const char *)p;
	return n < 0 ? -EPROTO : n;
}

bool sg_h2_alive(struct sg_h2_session *s)
{
	return s->asleep || nghttp2_session_want_read(s->ng) || nghttp2_session_want_write(s->ng);
}

/* The session hands out a frame at a time: they are gathered and written
 * together, so that the frames one pass makes (the answers of several
 * streams, their window updates) leave in one segment, not one each. */
/* One round of gathering: the session's frames into `out` up to `batch`
 * bytes, DATA bodies copied there directly (read_body, send_data).
 * Returns 1 when it stopped at `batch` (the session may have more), 0 when
 * the session had nothing more, or a negative errno. */
static int gather(struct sg_h2_session *s, struct sg_buf *out, size_t batch)
{
	int rc = 0;

	s->out = out;
	s->batch = batch;
	while (out->len < batch) {
		const char *p;
		size_t before = out->len;
		ssize_t n = sg_h2_pending(s, &p);

		if (n < 0) {
			rc = -EPROTO;
			break;
		}
		if (n == 0 && out->len == before)
			break;
		if (n > 0 && sg_buf_append(out, p, (size_t)n) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	s->out = NULL;
	return rc < 0 ? rc : out->len >= batch;
}

int sg_h2_flush(struct sg_h2_session *s, struct sg_buf *out, size_t batch, size_t record,
		sg_h2_write_fn put, void *ctx)
{
	for (;;) {
		ssize_t w;
		size_t len;
		int more = gather(s, out, batch);

		if (more < 0)
			return more;
		len = out->len;
		if (!len)
			return 0;
		if (more && record && len > record)
			len -= len % record;
		w = put(ctx, sg_buf_data(out), len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			return 0;
		if (w == -1)
			return errno ? -errno : -EIO;
		sg_buf_consume(out, (size_t)w);
		if ((size_t)w < len)
			return 0; /* the socket is full: EPOLLOUT */
	}
}

/* Fields passed to nghttp2 without an allocation up to this many. */
#define H2_NV_STACK 64

/* nghttp2's view of fields f[0..n): in `room` (H2_NV_STACK entries) when
 * they fit, else allocated (NULL: out of memory); release with nv_done. */
static nghttp2_nv *to_nv(const struct sg_h2_field *f, size_t n, nghttp2_nv *room)
{
	nghttp2_nv *nv = n <= H2_NV_STACK ? room : sg_mem_alloc(n * sizeof(*nv));

	for (size_t i = 0; nv && i < n; i++)
		nv[i] = (nghttp2_nv){ (uint8_t *)(uintptr_t)f[i].name,
				      (uint8_t *)(uintptr_t)f[i].value, f[i].name_len,
				      f[i].value_len, NGHTTP2_NV_FLAG_NONE };
	return nv;
}

static void nv_done(nghttp2_nv *nv, const nghttp2_nv *room)
{
	if (nv != room)
		sg_mem_free(nv);
}

/* to_nv for a head of fields whose names are lowercase (n > 0), and one
 * more after them (NULL: none) that the encoder does not index (a Date,
 * new every second, would only churn the table, whose ring an answer
 * that indexes nothing never writes: test_h2_session_encoder_ring_...):
 * their bytes copied into one fieldblock, nv[0].name at its start. NULL
 * when out of memory; on success the block is the session's
 * (keep_fields). */
static nghttp2_nv *to_nv_kept(const struct sg_h2_field *f, size_t n, const struct sg_h2_field *more,
			      nghttp2_nv *room, struct fieldblock **block)
{
	size_t total = n + (more != NULL);
	nghttp2_nv *nv = total <= H2_NV_STACK ? room : sg_mem_alloc(total * sizeof(*nv));
	size_t bytes = 0;
	char *p;

	for (size_t i = 0; i < total; i++) {
		const struct sg_h2_field *x = i < n ? &f[i] : more;

		bytes += x->name_len + x->value_len;
	}
	*block = nv ? sg_mem_alloc(sizeof(**block) + bytes) : NULL;
	if (!*block) {
		if (nv)
			nv_done(nv, room);
		return NULL;
	}
	p = (*block)->bytes;
	for (size_t i = 0; i < total; i++) {
		const struct sg_h2_field *x = i < n ? &f[i] : more;

		nv[i] = (nghttp2_nv){ (uint8_t *)p, (uint8_t *)p + x->name_len, x->name_len,
				      x->value_len,
				      NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE |
					      (i < n ? 0 : NGHTTP2_NV_FLAG_NO_INDEX) };
		memcpy(p, x->name, x->name_len);
		memcpy(p + x->name_len, x->value, x->value_len);
		p += x->name_len + x->value_len;
	}
	return nv;
}

/* The Date a final response head f[0..n) lacks (RFC 9110 §6.6.1; the
 * HTTP/1 writers' put_date), else NULL. */
static const struct sg_h2_field *missing_date(const struct sg_h2_field *f, size_t n,
					      struct sg_h2_field *date)
{
	if (f[0].value_len && f[0].value[0] == '1')
		return NULL;
	for (size_t i = 1; i < n; i++)
		if (f[i].name_len == 4 && !memcmp(f[i].name, "date", 4))
			return NULL;
	*date = (struct sg_h2_field){ "date", 4, sg_http_date(), SG_HTTP_DATE_LEN };
	return date;
}

/* After a successful submit the block is the session's until release_fields;
 * after a failed one it goes at once. */
static void keep_fields(struct sg_h2_session *s, struct fieldblock *b, bool submitted)
{
	if (!submitted) {
		sg_mem_free(b);
		return;
	}
	sg_list_insert_head(&s->fieldblocks, &b->node);
}

int sg_h2_respond(struct sg_h2_session *s, int32_t id, const struct sg_h2_field *f, size_t n,
		  bool body)
{
	nghttp2_data_provider prd = { .read_callback = read_body };
	nghttp2_nv room[H2_NV_STACK], *nv;
	struct sg_h2_field date;
	const struct sg_h2_field *more;
	struct fieldblock *b;
	int rc;

	if (!n)
		return -EINVAL;
	more = missing_date(f, n, &date);
	nv = to_nv_kept(f, n, more, room, &b);
	if (!nv)
		return -ENOMEM;
	n += more != NULL;
	/* The DATA item is made here, not by nghttp2 once the HEADERS are
	 * out (inside mem_send, where it would be packed: `encoding`). */
	if (body)
		rc = nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, id, NULL, nv, n, NULL);
	else
		rc = nghttp2_submit_response(s->ng, id, nv, n, NULL);
	keep_fields(s, b, rc == 0);
	nv_done(nv, room);
	if (rc == 0 && body)
		rc = nghttp2_submit_data(s->ng, NGHTTP2_FLAG_END_STREAM, id, &prd);
	return rc ? -EINVAL : 0;
}

int32_t sg_h2_request(struct sg_h2_session *s, const struct sg_h2_field *f, size_t n, bool body,
		      void *stream)
{
	nghttp2_data_provider prd = { .read_callback = read_body };
	nghttp2_nv room[H2_NV_STACK], *nv;
	struct fieldblock *b;
	int32_t id;

	if (!nghttp2_session_check_request_allowed(s->ng))
		return -EAGAIN;
	if (!n)
		return -EINVAL;
	nv = to_nv_kept(f, n, NULL, room, &b);
	if (!nv)
		return -ENOMEM;
	id = nghttp2_submit_request(s->ng, NULL, nv, n, body ? &prd : NULL, stream);
	keep_fields(s, b, id > 0);
	nv_done(nv, room);
	if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE)
		return -EAGAIN;
	return id < 0 ? -EINVAL : id;
}

uint32_t sg_h2_max_streams(struct sg_h2_session *s)
{
	if (!nghttp2_session_check_request_allowed(s->ng))
		return 0;
	return nghttp2_session_get_remote_settings(s->ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

void sg_h2_detach(struct sg_h2_session *s, int32_t id)
{
	if (id == s->block_id)
		s->block_id = 0;
	if (id > 0)
		nghttp2_session_set_stream_user_data(s->ng, id, NULL);
}

int sg_h2_trailers(struct sg_h2_session *s, int32_t id, const struct sg_h2_field *f, size_t n)
{
	/* Zeroed: with link-time optimization gcc cannot tell that to_nv wrote
	 * the n entries nghttp2 reads (-Wmaybe-uninitialized); a trailer block
	 * is once per response at most. */
	nghttp2_nv room[H2_NV_STACK] = { 0 }, *nv;
	int rc;

	if (!n) /* an empty trailer block still ends the stream */
		return nghttp2_submit_trailer(s->ng, id, NULL, 0) ? -EINVAL : 0;
	nv = to_nv(f, n, room);
	if (!nv)
		return -ENOMEM;
	rc = nghttp2_submit_trailer(s->ng, id, nv, n);
	nv_done(nv, room);
	return rc ? -EINVAL : 0;
}

int sg_h2_continue(struct sg_h2_session *s, int32_t id)
{
	static uint8_t name[] = ":status", value[] = "100";
	nghttp2_nv nv = { name, value, 7, 3, NGHTTP2_NV_FLAG_NONE };

	return nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, id, NULL, &nv, 1, NULL) < 0
		       ? -EINVAL
		       : 0;
}

int sg_h2_resume(struct sg_h2_session *s, int32_t id)
{
	return nghttp2_session_resume_data(s->ng, id) ? -EINVAL : 0;
}

int sg_h2_reset(struct sg_h2_session *s, int32_t id, uint32_t code)
{
	return nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, id, code) ? -EINVAL : 0;
}

int sg_h2_consume(struct sg_h2_session *s, int32_t id, size_t n)
{
	if (!n || s->asleep)
		return 0;
	return nghttp2_session_consume(s->ng, id, n) ? -EINVAL : 0;
}

int sg_h2_consume_connection(struct sg_h2_session *s, size_t n)
{
	if (!n || s->asleep)
		return 0;
	return nghttp2_session_consume_connection(s->ng, n) ? -EINVAL : 0;
}

int sg_h2_consume_stream(struct sg_h2_session *s, int32_t id, size_t n)
{
	if (!n || s->asleep)
		return 0;
	return nghttp2_session_consume_stream(s->ng, id, n) ? -EINVAL : 0;
}

bool sg_h2_in_header_block(const struct sg_h2_session *s)
{
	return s->in_head;
}

int sg_h2_stream_window(struct sg_h2_session *s, int32_t id, size_t size)
{
	if (size > SG_H2_MAX_WINDOW || s->asleep)
		return -EINVAL;
	return nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, id, (int32_t)size)
		       ? -EINVAL
		       : 0;
}

int sg_h2_ping(struct sg_h2_session *s)
{
	if (s->asleep && thaw(s) < 0)
		return -ENOMEM;
	return nghttp2_submit_ping(s->ng, NGHTTP2_FLAG_NONE, NULL) ? -ENOMEM : 0;
}

int sg_h2_goaway(struct sg_h2_session *s, uint32_t code, const char *why)
{
	int32_t last;

	if (s->asleep && thaw(s) < 0)
		return -ENOMEM;
	s->goaway = true;
	last = nghttp2_session_get_last_proc_stream_id(s->ng);
	return nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, last, code, (const uint8_t *)why,
				     why ? strlen(why) : 0)
		       ? -EINVAL
		       : 0;
}
