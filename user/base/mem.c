/* Per-thread reuse of small malloc'd blocks (user/base/mem.h). */
#include "user/base/mem.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 5  /* class 0: 2^5 + 8 = 40 usable bytes */
#define MAX_SHIFT 13 /* the last: 2^13 + 8 */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
/* glibc gives malloc(2^k) and malloc(2^k + 8) a chunk of 2^k + 16 bytes,
 * 8 of them its header: 2^k + 8 usable. */
#define SLACK 8

/* The most blocks a class keeps (SG_MEM_CLASS_BYTES bounds the large
 * classes lower): a burst of a connection's streams needs a few hundred of
 * a size; past that, blocks go back to malloc. */
#define SLOTS 512

/* The thread's kept blocks, a stack of pointers a class: taking one reads
 * the stack, not the block (a freed block's own bytes, where a list would
 * link it, are often out of the cache by the time it is wanted again: 3 %
 * of an h2c request's CPU waited on that load). Per thread, as malloc's own
 * cache is: the allocation sites (sg_buf, nghttp2's allocator) have no
 * worker to hang it on, and a worker's blocks are all freed on its own
 * thread. */
static __thread struct {
	void *slot[NCLASS][SLOTS];
	unsigned n[NCLASS];
	size_t bytes;
} cache;

static size_t class_size(unsigned c)
{
	return ((size_t)1 << (c + MIN_SHIFT)) + SLACK;
}

/* The class whose blocks hold n bytes; NCLASS when none does: the
 * smallest c with 2^(c + MIN_SHIFT) >= n - SLACK. */
static unsigned class_for(size_t n)
{
	unsigned shift;

	if (n <= class_size(0))
		return 0;
	shift = 64 - (unsigned)__builtin_clzll((unsigned long long)(n - SLACK - 1));
	return shift > MAX_SHIFT ? NCLASS : shift - MIN_SHIFT;
}

/* The class of a block with `usable` bytes, exactly; NCLASS when none. */
static unsigned class_of(size_t usable)
{
	size_t v = usable - SLACK;
	unsigned shift;

	if (usable <= SLACK || (v & (v - 1)))
		return NCLASS;
	shift = (unsigned)__builtin_ctzll((unsigned long long)v);
	return shift < MIN_SHIFT || shift > MAX_SHIFT ? NCLASS : shift - MIN_SHIFT;
}

void *sg_mem_alloc(size_t n)
{
	unsigned c = class_for(n), left;

	if (c == NCLASS)
		return malloc(n);
	left = cache.n[c];
	if (!left)
		return malloc(class_size(c)); /* as malloc(2^k) on glibc; more elsewhere */
	cache.n[c] = --left;
	cache.bytes -= class_size(c);
	if (left) /* the next one of the class is likely wanted soon */
		__builtin_prefetch(cache.slot[c][left - 1], 1);
	return cache.slot[c][left];
}

void *sg_mem_calloc(size_t k, size_t n)
{
	void *p;

	if (n && k > SIZE_MAX / n)
		return NULL;
	p = sg_mem_alloc(k * n);
	if (p)
		memset(p, 0, k * n);
	return p;
}

/* p, of class c (NCLASS: none), kept if there is room, else freed. */
static void keep(void *p, unsigned c)
{
	if (c == NCLASS || cache.n[c] == SLOTS ||
	    (cache.n[c] + 1) * class_size(c) > SG_MEM_CLASS_BYTES) {
		free(p);
		return;
	}
	cache.slot[c][cache.n[c]++] = p;
	cache.bytes += class_size(c);
}

void sg_mem_free(void *p)
{
	if (p)
		keep(p, SG_MEM_KEEPS ? class_of(malloc_usable_size(p)) : NCLASS);
}

void sg_mem_free_sized(void *p, size_t n)
{
	if (p)
		keep(p, SG_MEM_KEEPS ? class_for(n) : NCLASS);
}

int sg_mem_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, ncap * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

size_t sg_mem_kept(void)
{
	return cache.bytes;
}

void sg_mem_drain(void)
{
	bool had = cache.bytes > 0;

	for (unsigned c = 0; c < NCLASS; c++)
		while (cache.n[c])
			free(cache.slot[c][--cache.n[c]]);
	cache.bytes = 0;
	/* Freed blocks stay resident in malloc's heap, among the live ones;
	 * a quiet worker gives their pages back. */
	if (had)
		malloc_trim(0);
}

/* ---- blocks that carry their size --------------------------------------- */

#define MEM_HEAD 16 /* malloc's alignment stays */
#define MEM_EXACT ((size_t)1 << (sizeof(size_t) * 8 - 1))

static size_t *head_of(const void *p)
{
	return (size_t *)(uintptr_t)((const char *)p - MEM_HEAD);
}

void *sg_mem_alloc_headed(size_t n, bool exact)
{
	size_t *h;

	if (n > SIZE_MAX / 2 - MEM_HEAD)
		return NULL;
	h = exact ? malloc(n + MEM_HEAD) : sg_mem_alloc(n + MEM_HEAD);
	if (!h)
		return NULL;
	*h = n | (exact ? MEM_EXACT : 0);
	return (char *)h + MEM_HEAD;
}

size_t sg_mem_headed_size(const void *p)
{
	return *head_of(p) & ~MEM_EXACT;
}

void sg_mem_free_headed(void *p)
{
	size_t *h = head_of(p);

	if (*h & MEM_EXACT)
		free(h);
	else
		sg_mem_free_sized(h, *h + MEM_HEAD);
}
