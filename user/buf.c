/* Growable byte buffers (user/buf.h): the request, response and output
 * buffers of the HTTP/2 frontend, the admin port and the config dump. */
#include "user/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SG_BUF_MIN 4096 /* the first allocation */

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
	if (need <= b->cap) {
		sg_buf_compact(b);
		return 0;
	}
	ncap = b->cap ? b->cap : SG_BUF_MIN;
	while (ncap < need)
		ncap = ncap > PTRDIFF_MAX / 2 ? need : ncap * 2;
	grown = realloc(b->data, ncap);
	if (!grown)
		return -ENOMEM;
	b->data = grown;
	b->cap = ncap;
	sg_buf_compact(b);
	return 0;
}

int sg_buf_append(struct sg_buf *b, const void *p, size_t n)
{
	int rc = sg_buf_reserve(b, n);

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
	free(b->data);
	*b = (struct sg_buf){ 0 };
}
