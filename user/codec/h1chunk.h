/* Chunked bodies (RFC 9112 §7.1) for the HTTP/1 codec (user/codec/h1.h):
 * the boundary scanner the relays use, the decoder the HTTP/2 paths use
 * (with the trailer lines kept), and the size line of a chunk. No I/O. */
#ifndef SG_H1CHUNK_H
#define SG_H1CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "user/base/buf.h"
#include "user/codec/h1.h"

/* Where a chunked body ends, fed in pieces of any size. Owned and embedded by
 * the caller; zero-initialised means "at the start of a body". The fields are
 * private to h1chunk.c. */
struct sg_h1_chunked {
	uint64_t n;	/* chunk size being read, then data bytes left */
	uint32_t count; /* bytes of the current extension or of the trailers */
	uint8_t state;
};

/* Consume up to len bytes of a chunked body (framing, data, trailers). Returns
 * how many bytes of buf belong to the body (<= len); *done is set once the
 * CRLF ending the trailer section has been consumed, and the bytes after it
 * belong to the next message. Returns -1, and keeps returning it, on malformed
 * framing: bad hex, chunk size over 2^62, missing CRLF, bare LF, a chunk-size
 * line (size and extensions) over 4 KiB, a trailer section over 64 KiB or a
 * bad trailer line (no name, no colon, obs-fold, control characters). */
ssize_t sg_h1_chunked_scan(struct sg_h1_chunked *st, const char *buf, size_t len, bool *done);

/* Bytes of chunk data still expected in the current chunk: callers may move
 * that many bytes without looking at them. 0 when inside framing. */
uint64_t sg_h1_chunked_data_left(const struct sg_h1_chunked *st);

/* Account for n bytes of chunk data moved without scanning. n must not exceed
 * sg_h1_chunked_data_left(); more aborts (a caller bug). */
void sg_h1_chunked_skip(struct sg_h1_chunked *st, uint64_t n);

/* Decode the next piece of a chunked body from buf[0..len): framing (sizes,
 * extensions, CRLFs, trailers) is consumed and dropped, chunk data comes out
 * in *data, a span of buf (empty when the piece was framing). Returns the
 * bytes of buf consumed, or -1 on malformed framing as sg_h1_chunked_scan;
 * call again with the rest. *done once the body ended: bytes after it are
 * not the body's. */
ssize_t sg_h1_chunked_decode(struct sg_h1_chunked *st, const char *buf, size_t len,
			     struct sg_h1_span *data, bool *done);

/* The size line that opens a chunk of n data bytes ("<hex>\r\n"), for
 * encoding a body as chunks: then the data, then "\r\n"; a body ends with
 * "0\r\n\r\n". Returns its length. */
#define SG_H1_CHUNK_LINE 20
size_t sg_h1_chunk_size_line(size_t n, char out[static SG_H1_CHUNK_LINE]);

/* sg_h1_chunked_decode that also appends the trailer section's field lines
 * ("name: value\r\n" each, as received; the final CRLF not) to
 * `trailers` (NULL: dropped). Returns -1 too when trailers cannot grow. */
ssize_t sg_h1_chunked_decode_trailers(struct sg_h1_chunked *st, const char *buf, size_t len,
				      struct sg_h1_span *data, bool *done, struct sg_buf *trailers);

#endif
