/* Objects of one size in 64 KiB chunks (user/base/slab.h). */
#include "user/base/slab.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "user/base/mem.h" /* SG_MEM_KEEPS: 0 under AddressSanitizer */

/* Built with AddressSanitizer, a freed object is poisoned until it is
 * handed out again, so that a use after free is caught here too. */
#if !SG_MEM_KEEPS
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A chunk is CHUNK bytes at an address that is a multiple of CHUNK, so an
 * object finds its chunk by masking its address. The header takes the
 * first HEAD bytes; objects follow, carved in order as they are first
 * needed (pages never reached are never written, and cost no memory). */
#define CHUNK ((size_t)64 << 10)
#define HEAD ((size_t)64)
#define ALIGN ((size_t)16)

struct sg_slab_chunk {
	struct sg_slab *slab;
	struct sg_slab_chunk *prev, *next; /* in slab->open while it has room */
	void *free;			   /* freed objects, linked through their first bytes */
	unsigned live;			   /* objects handed out */
	unsigned carved;		   /* objects ever carved: the next comes from there */
	unsigned cap;			   /* objects it holds */
};

_Static_assert(sizeof(struct sg_slab_chunk) <= HEAD, "the chunk header fits its room");

static struct sg_slab_chunk *chunk_of(void *p)
{
	return (struct sg_slab_chunk *)((uintptr_t)p & ~(uintptr_t)(CHUNK - 1));
}

static void open_push(struct sg_slab *s, struct sg_slab_chunk *c)
{
	c->prev = NULL;
	c->next = s->open;
	if (s->open)
		s->open->prev = c;
	s->open = c;
}

static void open_remove(struct sg_slab *s, struct sg_slab_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* A CHUNK-aligned mapping: map twice the size, unmap the excess before
 * the aligned start (if any) and after its end (always some: the mapping
 * is page-aligned, so the start is less than CHUNK past it). */
static struct sg_slab_chunk *chunk_map(struct sg_slab *s)
{
	char *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *start;
	struct sg_slab_chunk *c;

	if (p == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	munmap(start + CHUNK, (size_t)(p + 2 * CHUNK - (start + CHUNK)));
	c = (struct sg_slab_chunk *)start;
	c->slab = s;
	c->cap = (unsigned)((CHUNK - HEAD) / s->size);
	s->chunks++;
	return c;
}

static void chunk_unmap(struct sg_slab *s, struct sg_slab_chunk *c)
{
	s->chunks--;
	UNPOISON(c, CHUNK); /* the sanitizer's marks outlive the mapping */
	munmap(c, CHUNK);
}

void *sg_slab_alloc(struct sg_slab *s, size_t size)
{
	struct sg_slab_chunk *c;
	void *p;

	if (!s->size) {
		if (!size || size > SG_SLAB_MAX_SIZE)
			return NULL;
		s->size = (size + ALIGN - 1) & ~(ALIGN - 1);
	} else if (size > s->size) {
		return NULL; /* not this slab's objects */
	}
	c = s->open;
	if (!c) {
		c = chunk_map(s);
		if (!c)
			return NULL;
		open_push(s, c);
	}
	if (c->free) {
		p = c->free;
		UNPOISON(p, s->size);
		memcpy(&c->free, p, sizeof(void *));
		memset(p, 0, s->size);
	} else {
		p = (char *)c + HEAD + (size_t)c->carved++ * s->size; /* zero since mapped */
	}
	if (++c->live == c->cap)
		open_remove(s, c);
	s->live++;
	return p;
}

void sg_slab_free(void *p)
{
	struct sg_slab_chunk *c;
	struct sg_slab *s;

	if (!p)
		return;
	c = chunk_of(p);
	s = c->slab;
	memcpy(p, &c->free, sizeof(void *));
	POISON(p, s->size);
	c->free = p;
	if (c->live-- == c->cap)
		open_push(s, c);
	s->live--;
	/* An empty chunk goes back to the kernel unless it is the only one
	 * with room: a connection that comes and goes does not map and unmap
	 * a chunk each time. */
	if (c->live == 0 && (c->prev || c->next)) {
		open_remove(s, c);
		chunk_unmap(s, c);
	}
}

int sg_slab_release(struct sg_slab *s)
{
	if (s->live)
		return -1;
	while (s->open) {
		struct sg_slab_chunk *c = s->open;

		open_remove(s, c);
		chunk_unmap(s, c);
	}
	return 0;
}
