/* A growable byte buffer: bytes are appended at the back and consumed from
 * the front; the consumed front is reclaimed before the buffer grows. */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stddef.h>

/* data[off, off + len) is held, not yet consumed; cap bytes are allocated.
 * Owned by whoever embeds it; data is malloc'd (NULL until the first byte)
 * and freed by sg_buf_free. A zeroed struct is an empty buffer. */
struct sg_buf {
	char *data;
	size_t off, len, cap;
};

/* Room for `more` bytes after the held ones, at sg_buf_tail: the consumed
 * front is reclaimed when it is at least half as long as the held bytes,
 * else the allocation doubles (from 512 bytes) until they fit. Returns 0, or
 * -ENOMEM with b unchanged. */
int sg_buf_reserve(struct sg_buf *b, size_t more);

/* Copy n bytes from p after the held ones; p may be sg_buf_tail(b) with
 * n <= sg_buf_room(b) (bytes read in place), which are then only counted.
 * Returns 0, or -ENOMEM with b unchanged. */
int sg_buf_append(struct sg_buf *b, const void *p, size_t n);

/* The first n (<= b->len) held bytes are used up; once none is held, the
 * next byte goes to the start of the allocation again. */
void sg_buf_consume(struct sg_buf *b, size_t n);

/* Move the held bytes to the start of the allocation (off = 0). */
void sg_buf_compact(struct sg_buf *b);

/* Hold nothing; the allocation stays for the next bytes. */
void sg_buf_reset(struct sg_buf *b);

/* Release the allocation; b is an empty buffer again. */
void sg_buf_free(struct sg_buf *b);

/* The held bytes (b->len of them); NULL before the first allocation. */
static inline char *sg_buf_data(const struct sg_buf *b)
{
	return b->data ? b->data + b->off : NULL;
}

/* Where the next byte goes, for reading into the buffer after
 * sg_buf_reserve: sg_buf_room(b) bytes are free there, and sg_buf_commit
 * counts the ones written. */
static inline char *sg_buf_tail(const struct sg_buf *b)
{
	return b->data ? b->data + b->off + b->len : NULL;
}

static inline size_t sg_buf_room(const struct sg_buf *b)
{
	return b->cap - b->off - b->len;
}

/* n (<= sg_buf_room) bytes were written at sg_buf_tail: they are held. */
static inline void sg_buf_commit(struct sg_buf *b, size_t n)
{
	b->len += n;
}

#endif
