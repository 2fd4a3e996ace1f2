/* Server-sent events (text/event-stream, as the HTML standard reads it):
 * the events of a stream fed in pieces of any size, each told with its
 * type and data. No I/O. MCP's streamable HTTP answers a POST with such a
 * stream; the bytes are a server's, so every line and event is bounded. */
#ifndef SG_SSE_H
#define SG_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "user/base/buf.h"

/* An event type longer than this is cut (and so names no type a caller
 * looks for). */
#define SG_SSE_TYPE_MAX 63

/* One event: its type ("message" when it named none) and its data (the
 * data lines joined by "\n", NUL-terminated, len bytes: it may hold NULs).
 * Returns 0 to go on; anything else stops sg_sse_feed, which returns it. */
typedef int (*sg_sse_event_fn)(void *arg, const char *type, const char *data, size_t len);

/* A stream being read. Owned by its caller; sg_sse_init, then
 * sg_sse_feed for each piece, then sg_sse_free. */
struct sg_sse {
	size_t max;	    /* an event's data, and a line, at most this long (+ a
			    * field's name) */
	struct sg_buf line; /* an unfinished line */
	struct sg_buf data; /* the event's data lines so far, each with its "\n" */
	char type[SG_SSE_TYPE_MAX + 1];
	bool cr;    /* the last line ended with CR: an LF first is its CRLF */
	bool begun; /* a line was read (a byte order mark leads only the first) */
};

void sg_sse_init(struct sg_sse *p, size_t max);

/* The bytes buf[0..len) of the stream, after those fed before: each event
 * they complete (a blank line ends one) goes to fn(arg, ...), in order.
 * Lines end with CRLF, LF or CR; ":" lines are comments; fields other
 * than data and event (id, retry: the gateway reconnects no stream) and
 * events with no data line are passed over. Returns 0; -E2BIG when a line
 * or an event's data passes max (the stream is then unusable); -ENOMEM;
 * or fn's nonzero return. The stream's end needs no call: an event not
 * ended by a blank line is dropped, as the standard says. */
int sg_sse_feed(struct sg_sse *p, const char *buf, size_t len, sg_sse_event_fn fn, void *arg);

/* What p holds, released; p may be fed again after sg_sse_init. */
void sg_sse_free(struct sg_sse *p);

/* One event of type `type` (a line of its own, "message" for MCP's
 * messages) carrying data[0..len) as its data: "event: TYPE\ndata:
 * ...\n\n", each line of data (a CRLF, LF or CR ends one) its own data
 * line, so that a reader joins them back as they were. Returns the
 * malloc'd text (NUL-terminated) with its length in *out_len, or NULL
 * when out of memory. */
char *sg_sse_event_text(const char *type, const char *data, size_t len, size_t *out_len);

#endif
