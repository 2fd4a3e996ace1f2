/* Fuzz target: the HTTP/2 server session (user/codec/h2.c) fed what a client sends,
 * driven as user/http2/h2proxy.c drives it, minus the sockets: streams answered
 * inside the callbacks or later, bodies served at once, deferred or failed,
 * flow control given back at once or later, PING and GOAWAY on our side.
 *
 * Input: byte 0 = flags (below), byte 1 = seed of the choices the "proxy"
 * makes; with H2F_UPGRADE, byte 2 = n and the next n bytes are the
 * HTTP2-Settings value of an h2c upgrade; the rest is what the client sends,
 * after the client preface when H2F_PREFACE is set (else the input must
 * bring its own). Properties: every callback names a live stream of this
 * session and comes in order (fields, head, data, end, closed once); field
 * names are lowercase with pseudo-headers first; a complete head translates
 * to an HTTP/1 head or is refused cleanly; request body bytes held by the
 * proxy never exceed the windows it announced; a failing callback fails
 * sg_h2_recv; what the session writes is whole frames, SETTINGS first,
 * with the session's arena given back (sg_h2_trim) at random points
 * between writes. */
#include <errno.h>
#include <string.h>

#include "config/fields.h"
#include "tests/fuzz/fuzz.h"
#include "user/base/buf.h"
#include "user/codec/h2.h"
#include "user/base/pages.h"
#include "user/base/slab.h"

enum {
	H2F_PREFACE = 1 << 0,	   /* the harness sends the client preface */
	H2F_UPGRADE = 1 << 1,	   /* stream 1 from an HTTP/1.1 upgrade */
	H2F_UPGRADE_HEAD = 1 << 2, /* ... that was a HEAD request */
	H2F_POLICY_SHIFT = 3,	   /* 2 bits: which frontend policy */
	H2F_SPLIT_SHIFT = 5,	   /* 2 bits: how the bytes are split into reads */
};

#define STREAM_MAGIC 0x5354524du
#define HEAD_MAX (64 * 1024)		   /* as H2P_HEAD_MAX */
#define MAX_FIELDS (SG_H1_MAX_HEADERS + 4) /* as h2proxy's add_field */
#define DEFAULT_WINDOW 65535u

enum answer { A_NOW, A_NOW_NO_BODY, A_RESET, A_CONTINUE_LATER, A_LATER, A_NEVER, A_NR };
enum body_mode { B_NOW, B_DEFER, B_ERROR, B_NR };

/* One request stream; owned by the harness, freed in `closed`. */
struct stream {
	uint32_t magic;
	struct app *app;
	struct stream *next, *prev;
	int32_t id;
	bool head_done, ended, regular_seen, too_large;
	bool answer_pending, continue_pending, resume_pending;
	enum body_mode body;
	size_t body_left;   /* response body bytes still to serve */
	size_t unconsumed;  /* request body bytes not given back */
	bool consume_later; /* gives them back after the read, not in the callback */
	char *hbuf;	    /* HEAD_MAX bytes, from the first field on */
	size_t hbuf_len;
	struct sg_h2_field f[MAX_FIELDS];
	size_t nf;
};

/* The connection as the proxy sees it. */
struct app {
	struct sg_h2_session *h2;
	struct sg_pages *pages; /* the session's arena */
	uint64_t rng;
	struct stream *streams;
	size_t unconsumed; /* every stream's, and those closed with it held */
	size_t conn_window, stream_window;
	bool fail_now; /* a callback failed on purpose during this read */
	/* Output framing: bytes left of the current frame's header/payload. */
	uint8_t hdr[9];
	size_t hdr_len, payload_left, frames;
	struct sg_buf out; /* what sg_h2_flush gathered and the socket did not take */
};

/* xorshift64: the choices replay from the input. */
static uint64_t next(struct app *a)
{
	a->rng ^= a->rng << 13;
	a->rng ^= a->rng >> 7;
	a->rng ^= a->rng << 17;
	return a->rng;
}

static unsigned pick(struct app *a, unsigned n)
{
	return (unsigned)(next(a) % n);
}

static struct stream *live(struct app *a, void *p)
{
	struct stream *s = p;

	FUZZ_CHECK(s && s->magic == STREAM_MAGIC && s->app == a);
	return s;
}

static struct stream *stream_new(struct app *a, int32_t id)
{
	struct stream *s = calloc(1, sizeof(*s));

	FUZZ_CHECK(s);
	s->magic = STREAM_MAGIC;
	s->app = a;
	s->id = id;
	s->next = a->streams;
	if (a->streams)
		a->streams->prev = s;
	a->streams = s;
	return s;
}

static void stream_free(struct stream *s)
{
	struct app *a = s->app;

	if (s->prev)
		s->prev->next = s->next;
	else
		a->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->magic = 0;
	free(s->hbuf);
	free(s);
}

static void give_back(struct stream *s, size_t n)
{
	FUZZ_CHECK(n <= s->unconsumed && n <= s->app->unconsumed);
	s->unconsumed -= n;
	s->app->unconsumed -= n;
	FUZZ_CHECK(sg_h2_consume(s->app->h2, s->id, n) == 0);
}

/* ---- answers ---------------------------------------------------------------- */

static void respond(struct stream *s, bool body)
{
	static const struct sg_h2_field f[] = {
		{ ":status", 7, "200", 3 },
		{ "content-type", 12, "text/plain", 10 },
	};

	s->answer_pending = false;
	/* The session may refuse a stream it already reset: that is fine. */
	(void)sg_h2_respond(s->app->h2, s->id, f, 2, body);
}

/* The head is complete: choose how the proxy answers, as h2proxy may. */
static void answer(struct stream *s)
{
	struct app *a = s->app;

	s->body = (enum body_mode)pick(a, B_NR);
	s->body_left = pick(a, 4) ? pick(a, 64) : pick(a, 200000);
	s->consume_later = pick(a, 2);
	switch ((enum answer)pick(a, A_NR)) {
	case A_NOW: /* as h2proxy's fail(), inside the callback */
		respond(s, true);
		break;
	case A_NOW_NO_BODY:
		respond(s, false);
		break;
	case A_RESET:
		(void)sg_h2_reset(a->h2, s->id, pick(a, 2) ? SG_H2_CANCEL : SG_H2_INTERNAL_ERROR);
		break;
	case A_CONTINUE_LATER:
		s->continue_pending = true;
		s->answer_pending = true;
		break;
	case A_LATER:
		s->answer_pending = true;
		break;
	default: /* a backend that never answers */
		break;
	}
}

/* What h2proxy does with a complete head: translate it to HTTP/1. */
static void translate(struct stream *s)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS];
	static struct sg_h1_req req = { .headers = slots, .headers_cap = SG_H1_MAX_HEADERS };
	char *store = malloc(s->hbuf_len + 1);
	int rc;

	FUZZ_CHECK(store);
	rc = sg_h2head_request_head(s->f, s->nf, store, s->hbuf_len + 1, &req);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc == 0) {
		/* origin-form, or "*" for OPTIONS (RFC 9113 §8.3.1) */
		FUZZ_CHECK(req.method.len && req.target.len &&
			   (req.target.p[0] == '/' ||
			    (req.target.len == 1 && req.target.p[0] == '*' && req.method.len == 7 &&
			     !memcmp(req.method.p, "OPTIONS", 7))));
		FUZZ_CHECK(req.nheaders <= SG_H1_MAX_HEADERS);
		FUZZ_CHECK(req.content_length >= -1);
	}
	free(store);
}

/* ---- session callbacks -------------------------------------------------------- */

static void *cb_open(void *conn, int32_t id)
{
	struct app *a = conn;

	FUZZ_CHECK(id > 0 && id % 2 == 1);
	if (!pick(a, 16))
		return NULL; /* refused, as a closing connection does */
	return stream_new(a, id);
}

static bool is_lower(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return false;
	return true;
}

static int cb_field(void *conn, void *stream, const struct sg_h2_field *f)
{
	struct app *a = conn;
	struct stream *s = live(a, stream);
	bool pseudo = f->name_len && f->name[0] == ':';

	FUZZ_CHECK(!s->head_done && f->name_len && is_lower(f->name, f->name_len));
	FUZZ_CHECK(!(pseudo && s->regular_seen));
	s->regular_seen |= !pseudo;
	if (!pick(a, 256)) {
		a->fail_now = true;
		return -ENOMEM;
	}
	if (s->too_large || s->nf == MAX_FIELDS ||
	    f->name_len + f->value_len > HEAD_MAX - s->hbuf_len) {
		s->too_large = true;
		return 0;
	}
	if (!s->hbuf)
		s->hbuf = malloc(HEAD_MAX);
	FUZZ_CHECK(s->hbuf);
	memcpy(s->hbuf + s->hbuf_len, f->name, f->name_len);
	memcpy(s->hbuf + s->hbuf_len + f->name_len, f->value, f->value_len);
	s->f[s->nf++] = (struct sg_h2_field){ s->hbuf + s->hbuf_len, f->name_len,
					      s->hbuf + s->hbuf_len + f->name_len, f->value_len };
	s->hbuf_len += f->name_len + f->value_len;
	return 0;
}

static int cb_head(void *conn, void *stream, bool end_stream)
{
	struct stream *s = live(conn, stream);

	FUZZ_CHECK(!s->head_done && !s->ended);
	s->head_done = true;
	s->ended = end_stream;
	if (!s->too_large)
		translate(s);
	answer(s);
	return 0;
}

static int cb_data(void *conn, void *stream, const char *p, size_t len)
{
	struct app *a = conn;
	struct stream *s = live(a, stream);

	FUZZ_CHECK(s->head_done && !s->ended && len);
	s->unconsumed += len;
	a->unconsumed += len;
	/* Held bytes are bounded by what we announced: the proxy's memory
	 * bound for request bodies. */
	FUZZ_CHECK(s->unconsumed <= s->app->stream_window);
	FUZZ_CHECK(a->unconsumed <= a->conn_window);
	if (!s->consume_later)
		give_back(s, s->unconsumed);
	if (!pick(a, 512)) {
		a->fail_now = true;
		return -EIO;
	}
	return 0;
}

static int cb_end(void *conn, void *stream)
{
	struct stream *s = live(conn, stream);

	FUZZ_CHECK(s->head_done && !s->ended);
	s->ended = true;
	return 0;
}

static void cb_closed(void *conn, void *stream, uint32_t code)
{
	struct stream *s = live(conn, stream);

	/* As h2proxy's stream_close: the held bytes go back to the session. */
	if (s->unconsumed)
		give_back(s, s->unconsumed);
	stream_free(s);
}

static void cb_ping_ack(void *conn)
{
}

static ssize_t cb_body(void *conn, void *stream, char *buf, size_t len, bool *eof)
{
	struct app *a = conn;
	struct stream *s = live(a, stream);
	size_t n = s->body_left < len ? s->body_left : len;

	FUZZ_CHECK(len > 0);
	if (s->body == B_ERROR)
		return -EIO;
	if (s->body == B_DEFER && !s->resume_pending && pick(a, 2)) {
		s->resume_pending = true;
		return -EAGAIN;
	}
	memset(buf, 'x', n);
	s->body_left -= n;
	*eof = s->body_left == 0;
	return (ssize_t)n;
}

static const struct sg_h2_callbacks callbacks = {
	.open = cb_open,
	.field = cb_field,
	.head = cb_head,
	.data = cb_data,
	.end = cb_end,
	.closed = cb_closed,
	.ping_ack = cb_ping_ack,
	.body = cb_body,
};

/* ---- the connection -------------------------------------------------------------- */

/* One frame header we wrote: stream frames on a stream, connection frames
 * on 0, never a push. (The cases also give the fuzzer coverage of what the
 * uninstrumented nghttp2 answered.) */
static void check_frame(const uint8_t *h)
{
	uint32_t id = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
		      0x7fffffffu;

	switch (h[3]) {
	case 0x0: /* DATA */
	case 0x1: /* HEADERS */
	case 0x3: /* RST_STREAM */
		FUZZ_CHECK(id != 0 && id % 2 == 1);
		break;
	case 0x4: /* SETTINGS */
	case 0x6: /* PING */
	case 0x7: /* GOAWAY */
		FUZZ_CHECK(id == 0);
		break;
	case 0x8: /* WINDOW_UPDATE */
		break;
	default: /* PUSH_PROMISE, PRIORITY, CONTINUATION, ...: never from us */
		FUZZ_CHECK(!"unexpected frame type");
	}
}

/* Follow the frame headers across writes: the first frame is our SETTINGS
 * (the server preface), and the output never ends inside a frame. */
static void frames_out(struct app *a, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k;

		if (a->payload_left) {
			k = a->payload_left < n ? a->payload_left : n;
			a->payload_left -= k;
			p += k;
			n -= k;
			continue;
		}
		k = 9 - a->hdr_len < n ? 9 - a->hdr_len : n;
		memcpy(a->hdr + a->hdr_len, p, k);
		a->hdr_len += k;
		p += k;
		n -= k;
		if (a->hdr_len < 9)
			continue;
		if (a->frames++ == 0)
			FUZZ_CHECK(a->hdr[3] == 0x4 && a->hdr[4] == 0);
		check_frame(a->hdr);
		a->payload_left = (size_t)a->hdr[0] << 16 | (size_t)a->hdr[1] << 8 | a->hdr[2];
		a->hdr_len = 0;
	}
}

/* A socket that takes all it is given, a part, or nothing (EAGAIN). */
static ssize_t put(void *ctx, const char *p, size_t len)
{
	struct app *a = ctx;
	size_t k = len;

	switch (pick(a, 4)) {
	case 0:
		errno = EAGAIN;
		return -1;
	case 1:
		k = 1 + pick(a, (unsigned)(len < 100000 ? len : 100000));
		break;
	}
	frames_out(a, (const uint8_t *)p, k);
	return (ssize_t)k;
}

/* Write out everything the session has: as conn_flush does, in batches
 * through a socket that fills up (sg_h2_flush), or frame by frame
 * (sg_h2_pending), as the input picks. */
static bool flush(struct app *a)
{
	static const size_t batches[] = { 4096, 16384, 65536 };
	const char *data;
	ssize_t n;
	int rounds = 0;

	if (pick(a, 2)) {
		size_t batch = batches[pick(a, 3)], record = pick(a, 2) ? 0 : 16384 - 29;
		int rc;

		/* until the socket took everything, EPOLLOUT after EPOLLOUT */
		while ((rc = sg_h2_flush(a->h2, &a->out, batch, record, put, a)) == 0 && a->out.len)
			FUZZ_CHECK(++rounds < 100000);
		FUZZ_CHECK(rc == 0 || rc == -EPROTO);
		n = rc;
	} else {
		while ((n = sg_h2_pending(a->h2, &data)) > 0) {
			frames_out(a, (const uint8_t *)data, (size_t)n);
			FUZZ_CHECK(++rounds < 100000);
		}
	}
	FUZZ_CHECK(a->hdr_len == 0 && a->payload_left == 0);
	/* The proxy trims only with no stream open; any time nothing is
	 * queued must be as safe. */
	if (n == 0 && (!a->streams || pick(a, 2)))
		FUZZ_CHECK(sg_h2_trim(a->h2) == 0);
	return n == 0;
}

/* What the proxy does between reads: answers and bodies that were not
 * ready in the callbacks, flow control given back late, PING, GOAWAY. */
static void between_reads(struct app *a)
{
	for (struct stream *s = a->streams; s; s = s->next) {
		if (s->continue_pending && pick(a, 2)) {
			(void)sg_h2_continue(a->h2, s->id);
			s->continue_pending = false;
		}
		if (s->answer_pending && pick(a, 2))
			respond(s, pick(a, 4) != 0);
		if (s->resume_pending && pick(a, 2)) {
			s->resume_pending = false;
			(void)sg_h2_resume(a->h2, s->id);
		}
		if (s->unconsumed && pick(a, 2))
			give_back(s, s->unconsumed);
	}
	if (!pick(a, 16))
		FUZZ_CHECK(sg_h2_ping(a->h2) == 0);
	if (!pick(a, 32))
		FUZZ_CHECK(sg_h2_goaway(a->h2, SG_H2_NO_ERROR, pick(a, 2) ? "drain" : NULL) == 0);
	/* The proxy puts an idle connection to sleep (no stream open): the
	 * next bytes wake it, and nothing the client sends may tell. */
	if (!a->streams && !pick(a, 4)) {
		int rc = sg_h2_sleep(a->h2);

		FUZZ_CHECK(rc == 0 || rc == 1);
	}
}

static size_t piece(struct app *a, unsigned split, size_t left)
{
	switch (split) {
	case 0:
		return left;
	case 1:
		return 1;
	case 2:
		return 1 + pick(a, 64) % left;
	default: /* a frame header may end anywhere */
		return 1 + pick(a, 9) % left;
	}
}

static void policy(unsigned which, struct sg_frontend_http *h)
{
	sg_frontend_http_defaults(h);
	switch (which) {
	case 1: /* window 0: once the client has our SETTINGS, no body fits */
		h->http2_window_size = 0;
		break;
	case 2:
		h->http2_window_size = 1048576;
		h->http2_connection_window_size = 4194304;
		h->http2_frame_size = 32768;
		break;
	case 3:
		h->http2_window_size = 0x7fffffff;
		h->http2_connection_window_size = 0x7fffffff;
		h->http2_frame_size = 16777215;
		break;
	default:
		break;
	}
}

/* The h2c upgrade: stream 1 exists, the client's side of it is done. */
static bool upgrade(struct app *a, uint8_t flags, const uint8_t **data, size_t *size)
{
	struct stream *s;
	size_t n;

	if (!*size)
		return false;
	n = (*data)[0] < *size - 1 ? (*data)[0] : *size - 1;
	s = stream_new(a, 1);
	s->head_done = s->ended = true;
	if (sg_h2_upgrade(a->h2, (const char *)*data + 1, n, flags & H2F_UPGRADE_HEAD, s) < 0) {
		stream_free(s); /* h2proxy closes the connection */
		return false;
	}
	answer(s);
	*data += 1 + n;
	*size -= 1 + n;
	return true;
}

static void feed(struct app *a, unsigned split, const uint8_t *data, size_t size)
{
	bool ok = flush(a);

	while (size && ok) {
		size_t n = piece(a, split, size);
		int rc;

		a->fail_now = false;
		rc = sg_h2_recv(a->h2, (const char *)data, n);
		FUZZ_CHECK(rc == 0 || rc == -EPROTO);
		if (a->fail_now)
			FUZZ_CHECK(rc == -EPROTO);
		if (rc == 0)
			between_reads(a);
		/* After a failure h2proxy writes what is queued (GOAWAY), then
		 * closes. */
		ok = flush(a) && rc == 0;
		data += n;
		size -= n;
	}
	/* The client is done sending: answer what is left. */
	for (int i = 0; i < 8 && ok && sg_h2_alive(a->h2); i++) {
		between_reads(a);
		ok = flush(a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The sessions' structs in a slab that outlives them, as a
	 * worker's (h2proxy.c): each input must give its session back. */
	static struct sg_slab mem;
	struct app a = { 0 };
	struct sg_frontend_http h;
	struct sg_h2_settings set;
	uint8_t flags;

	if (size < 2)
		return 0;
	flags = data[0];
	a.rng = 0x9e3779b97f4a7c15ull ^ data[1];
	data += 2;
	size -= 2;
	policy((flags >> H2F_POLICY_SHIFT) & 3, &h);
	sg_h2head_settings_from_policy(&h, &set);
	a.stream_window = DEFAULT_WINDOW;
	for (size_t i = 0; i < set.n; i++)
		if (set.v[i].id == SG_H2_SET_INITIAL_WINDOW_SIZE &&
		    set.v[i].value > a.stream_window)
			a.stream_window = set.v[i].value;
	a.conn_window =
		set.connection_window > DEFAULT_WINDOW ? set.connection_window : DEFAULT_WINDOW;
	a.pages = sg_pages_new(SG_H2_ARENA_SIZE, 1);
	FUZZ_CHECK(a.pages);
	FUZZ_CHECK(sg_h2_session_new(&callbacks, &a, &set, a.pages, &mem, &a.h2) == 0);
	if (!(flags & H2F_UPGRADE) || upgrade(&a, flags, &data, &size)) {
		if (flags & H2F_PREFACE)
			FUZZ_CHECK(sg_h2_recv(a.h2, SG_H2_PREFACE, SG_H2_PREFACE_LEN) == 0);
		feed(&a, (flags >> H2F_SPLIT_SHIFT) & 3, data, size);
	}
	/* As conn_close: the proxy lets go of its streams, then the session. */
	while (a.streams)
		stream_free(a.streams);
	sg_h2_session_free(a.h2);
	sg_buf_free(&a.out);
	FUZZ_CHECK(mem.live == 0);
	sg_pages_free(a.pages);
	return 0;
}
