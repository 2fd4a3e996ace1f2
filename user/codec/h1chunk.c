/* Chunked bodies (RFC 9112 §7.1), the contract is h1chunk.h: where one
 * ends, fed in pieces of any size, its data decoded out of its framing,
 * its trailer lines kept, and the size line that opens a chunk. */
#include "user/codec/h1chunk.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/hex.h"
#include "user/base/buf.h"
#include "user/base/log.h"

#define H1_CHUNK_MAX (UINT64_C(1) << 62)
#define H1_EXT_MAX 4096
#define H1_TRAILERS_MAX 65536

/* Zero must stay the first state: a zeroed scanner is at the start of a body. */
enum {
	CH_SIZE_FIRST, /* first hex digit of a chunk-size */
	CH_SIZE,       /* more hex digits */
	CH_SIZE_BWS,   /* whitespace after the size: only ';' may follow */
	CH_EXT,	       /* chunk extensions, up to CR */
	CH_SIZE_LF,    /* LF ending the chunk-size line */
	CH_DATA,       /* n bytes of data left */
	CH_DATA_CR,    /* CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER_START, /* a trailer line or the final CRLF */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_FINAL_LF,
	CH_DONE,
	CH_ERROR,
};

/* Control characters other than HTAB end a line or are refused; a bare LF in
 * particular is read as a line end by some backends and not by others. */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int size_digit(struct sg_h1_chunked *st, unsigned char c)
{
	int d = sg_hex_digit(c);

	if (d < 0 || st->n > (H1_CHUNK_MAX - (uint64_t)d) / 16)
		return CH_ERROR;
	st->n = st->n * 16 + (uint64_t)d;
	return CH_SIZE;
}

/* The chunk-size line: size [BWS ";" extensions] CRLF. */
static int size_line_byte(struct sg_h1_chunked *st, unsigned char c)
{
	if (st->state == CH_SIZE_FIRST)
		return size_digit(st, c);
	if (c == '\r' && st->state != CH_SIZE_BWS)
		return CH_SIZE_LF;
	if (++st->count > H1_EXT_MAX)
		return CH_ERROR;
	if (st->state == CH_EXT)
		return is_ctl(c) ? CH_ERROR : CH_EXT;
	if (c == ';')
		return CH_EXT;
	if (c == ' ' || c == '\t') /* OWS */
		return CH_SIZE_BWS;
	return st->state == CH_SIZE ? size_digit(st, c) : CH_ERROR;
}

/* Trailer field lines, then the final CRLF; obs-fold is refused. */
static int trailer_byte(struct sg_h1_chunked *st, unsigned char c)
{
	if (++st->count > H1_TRAILERS_MAX)
		return CH_ERROR;
	switch (st->state) {
	case CH_TRAILER_START:
		if (c == '\r')
			return CH_FINAL_LF;
		return sg_h1_tchar[c] ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_NAME:
		if (c == ':')
			return CH_TRAILER_VALUE;
		return sg_h1_tchar[c] ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_VALUE:
		if (c == '\r')
			return CH_TRAILER_LF;
		return is_ctl(c) ? CH_ERROR : CH_TRAILER_VALUE;
	case CH_TRAILER_LF:
		return c == '\n' ? CH_TRAILER_START : CH_ERROR;
	default: /* CH_FINAL_LF */
		return c == '\n' ? CH_DONE : CH_ERROR;
	}
}

/* One framing byte; chunk data never comes here. */
static int framing_byte(struct sg_h1_chunked *st, unsigned char c)
{
	switch (st->state) {
	case CH_SIZE_FIRST:
	case CH_SIZE:
	case CH_SIZE_BWS:
	case CH_EXT:
		return size_line_byte(st, c);
	case CH_SIZE_LF:
		if (c != '\n')
			return CH_ERROR;
		st->count = 0;
		return st->n ? CH_DATA : CH_TRAILER_START;
	case CH_DATA_CR:
		return c == '\r' ? CH_DATA_LF : CH_ERROR;
	case CH_DATA_LF:
		if (c != '\n')
			return CH_ERROR;
		st->n = 0;
		st->count = 0;
		return CH_SIZE_FIRST;
	default:
		return trailer_byte(st, c);
	}
}

ssize_t sg_h1_chunked_scan(struct sg_h1_chunked *st, const char *buf, size_t len, bool *done)
{
	size_t i = 0;

	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	while (i < len && st->state != CH_DONE && st->state != CH_ERROR) {
		if (st->state == CH_DATA) {
			uint64_t n = len - i < st->n ? len - i : st->n;

			sg_h1_chunked_skip(st, n);
			i += (size_t)n;
			continue;
		}
		st->state = (uint8_t)framing_byte(st, (unsigned char)buf[i++]);
	}
	*done = st->state == CH_DONE;
	return st->state == CH_ERROR ? -1 : (ssize_t)i;
}

uint64_t sg_h1_chunked_data_left(const struct sg_h1_chunked *st)
{
	return st->state == CH_DATA ? st->n : 0;
}

void sg_h1_chunked_skip(struct sg_h1_chunked *st, uint64_t n)
{
	SG_BUG_ON(n > sg_h1_chunked_data_left(st));
	st->n -= n;
	if (st->state == CH_DATA && st->n == 0)
		st->state = CH_DATA_CR;
}

ssize_t sg_h1_chunked_decode(struct sg_h1_chunked *st, const char *buf, size_t len,
			     struct sg_h1_span *data, bool *done)
{
	return sg_h1_chunked_decode_trailers(st, buf, len, data, done, NULL);
}

/* A trailer line's byte: the state before it was in a trailer line, or at
 * a line's start with anything but the final CR. */
static bool trailer_line_byte(uint8_t before, uint8_t after)
{
	return (before >= CH_TRAILER_NAME && before <= CH_TRAILER_LF) ||
	       (before == CH_TRAILER_START && after != CH_FINAL_LF && after != CH_ERROR);
}

ssize_t sg_h1_chunked_decode_trailers(struct sg_h1_chunked *st, const char *buf, size_t len,
				      struct sg_h1_span *data, bool *done, struct sg_buf *trailers)
{
	uint64_t left = sg_h1_chunked_data_left(st);
	size_t i = 0;

	*done = false;
	data->p = buf;
	data->len = 0;
	if (left) {
		data->len = len < left ? len : (size_t)left;
		sg_h1_chunked_skip(st, data->len);
		return (ssize_t)data->len;
	}
	/* Framing goes byte by byte, so that data never passes the scanner. */
	while (i < len && !*done && !sg_h1_chunked_data_left(st)) {
		uint8_t before = st->state;
		ssize_t used = sg_h1_chunked_scan(st, buf + i, 1, done);

		if (used < 0)
			return -1;
		if (trailers && used && trailer_line_byte(before, st->state) &&
		    sg_buf_append(trailers, buf + i, 1) < 0)
			return -1;
		i += (size_t)used;
	}
	return (ssize_t)i;
}

size_t sg_h1_chunk_size_line(size_t n, char out[static SG_H1_CHUNK_LINE])
{
	return (size_t)snprintf(out, SG_H1_CHUNK_LINE, "%zx\r\n", n);
}
