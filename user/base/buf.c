/* Growable byte buffers (user/base/buf.h): the request, response and output
 * buffers of the HTTP/2 frontend, the admin port and the config dump. */
#include "user/base/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/mem.h"

/* The first allocation: small enough for malloc's per-thread cache (a
 * request's fields, a small response), which bigger ones never use. */
#define SG_BUF_MIN 512

int sg_buf_reserve(struct sg_buf *b, size_t more)
{
	size_t need, ncap;
	char *grown;

	if (more <= sg_buf_room(b))
		return 0;
	/* No object is larger than PTRDIFF_MAX: such a size cannot be had,
	 * and one that wraps around must not look small. */
	if (more > PTRDIFF_MAX || b->len > PTRDIFF_MAX - more)
		return -ENOMEM;
	need = b->len + more;
	/* Moving the held bytes down is worth it when they are few beside the
	 * consumed front: at most two bytes moved for every byte consumed.
	 * A buffer kept nearly full (a stream's response waiting for its
	 * client, consumed a frame at a time) would otherwise move all it
	 * holds for every frame. */
	if (need <= b->cap && (b->len / 2 <= b->off || b->cap > PTRDIFF_MAX / 2)) {
		sg_buf_compact(b);
		return 0;
	}
	ncap = b->cap ? b->cap : SG_BUF_MIN;
	if (need <= b->cap)
		ncap *= 2;
	while (ncap < need)
		ncap = ncap > PTRDIFF_MAX / 2 ? need : ncap * 2;
	/* A fresh allocation: realloc would copy the consumed front too. */
	grown = sg_mem_alloc(ncap);
	if (!grown)
		return -ENOMEM;
	if (b->len)
		memcpy(grown, b->data + b->off, b->len);
	sg_mem_free_sized(b->data, b->cap);
	b->data = grown;
	b->cap = ncap;
	b->off = 0;
	return 0;
}

int sg_buf_append(struct sg_buf *b, const void *p, size_t n)
{
	int rc;

	if (p && p == sg_buf_tail(b) && n <= sg_buf_room(b)) {
		b->len += n;
		return 0;
	}
	rc = sg_buf_reserve(b, n);

	if (rc < 0)
		return rc;
	if (n)
		memcpy(sg_buf_tail(b), p, n);
	b->len += n;
	return 0;
}

void sg_buf_consume(struct sg_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len)
		b->off = 0;
}

void sg_buf_compact(struct sg_buf *b)
{
	if (!b->off)
		return;
	memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
}

void sg_buf_reset(struct sg_buf *b)
{
	b->off = b->len = 0;
}

void sg_buf_free(struct sg_buf *b)
{
	sg_mem_free_sized(b->data, b->cap);
	*b = (struct sg_buf){ 0 };
}
