/* Small allocations kept for reuse by the thread that freed them: the
 * request path's short-lived objects (HTTP/2 streams, nghttp2's frames and
 * header tables, buffers) come and go in bursts of a connection's
 * concurrent streams, longer than malloc's own per-thread cache (seven
 * blocks a size) and so into its slower bins on every request.
 *
 * Every pointer is an ordinary malloc'd block: sg_mem_free takes blocks
 * from plain malloc, and free() takes blocks from sg_mem_alloc, so the two
 * mix safely. Blocks are kept by their usable size, in classes of 2^k + 8
 * bytes (what malloc(2^k) gives on glibc), 32 to 8192; others go back to
 * malloc at once. A thread keeps at most SG_MEM_CLASS_BYTES of each class
 * (and 512 blocks), so that one kind of load cannot fill the cache for the
 * next: with one bound for all classes, an HTTP/1 load left it full of its
 * own sizes and the h2c requests after it went to malloc for seconds, 18 %
 * more CPU a request (scripts/BENCH.md). A loop's thread keeps none after
 * a pass in which no socket had news (user/base/loop.c): a quiet worker holds
 * nothing for requests that do not come. Built with
 * AddressSanitizer, nothing is kept, so that a use after free is caught. */
#ifndef SG_MEM_H
#define SG_MEM_H

#include <stdbool.h>
#include <stddef.h>

#define SG_MEM_CLASS_BYTES (256u * 1024)
/* A bound on what a thread keeps: its nine classes (user/base/mem.c), each at
 * most SG_MEM_CLASS_BYTES. */
#define SG_MEM_KEEP_BYTES (9 * SG_MEM_CLASS_BYTES)

/* 0 in a build with AddressSanitizer (gcc's or clang's), else 1. */
#if defined(__SANITIZE_ADDRESS__)
#define SG_MEM_KEEPS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_MEM_KEEPS 0
#endif
#endif
#ifndef SG_MEM_KEEPS
#define SG_MEM_KEEPS 1
#endif

/* At least n bytes (a kept block of n's class, else malloc's), or NULL
 * when out of memory. */
void *sg_mem_alloc(size_t n);

/* k * n zeroed bytes, as calloc; NULL when out of memory or k * n
 * overflows. */
void *sg_mem_calloc(size_t k, size_t n);

/* p (NULL, or any malloc'd block) is no longer used: kept for this
 * thread's next sg_mem_alloc of its class while there is room, else freed. */
void sg_mem_free(void *p);

/* The same for a block p from sg_mem_alloc(m) or sg_mem_calloc, n <= m,
 * without asking malloc its size (which reads the next block's header, a
 * cache miss as often as not). Never for a block from plain malloc: its
 * size is not a class's. */
void sg_mem_free_sized(void *p, size_t n);

/* Blocks that carry their size in the 16 bytes before them, so that a
 * free needs no look into malloc's header (nghttp2's allocations outside
 * a session's arena, user/codec/h2.c: on an h2c request's path it frees
 * sixteen blocks, and malloc_usable_size's read of the next block's
 * header was a cache miss as often as not). `exact`: n bytes from plain
 * malloc (a block kept for long); else sg_mem_alloc's class. NULL when
 * out of memory. Freed with sg_mem_free_headed; sg_mem_headed_size is
 * the n asked. */
void *sg_mem_alloc_headed(size_t n, bool exact);
size_t sg_mem_headed_size(const void *p);
void sg_mem_free_headed(void *p);

/* Room for element n in the array *v of *cap elements of `size` bytes:
 * when n reaches *cap, the array is realloc'd to twice as many (8 at
 * first). Returns 0, or -ENOMEM with *v and *cap as they were. */
int sg_mem_grow(void **v, size_t *cap, size_t n, size_t size);

/* Bytes this thread keeps. */
size_t sg_mem_kept(void);

/* Free every block this thread keeps (a worker, before it ends, and its
 * loop after a quiet pass); when there were any, malloc_trim gives the
 * heap's free pages back to the kernel. */
void sg_mem_drain(void);

#endif
