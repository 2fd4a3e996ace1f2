/* A bump allocator for trees that live and die together (a parsed config).
 * Nothing is freed one at a time: sg_arena_free releases everything. */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct sg_arena_block;

struct sg_arena {
	struct sg_arena_block *head;
	size_t used;  /* bytes used in head */
	size_t total; /* bytes handed out, for diagnostics */
};

void sg_arena_init(struct sg_arena *a);
void sg_arena_free(struct sg_arena *a);

/* Zeroed memory aligned for any type, or NULL when malloc fails. */
void *sg_arena_alloc(struct sg_arena *a, size_t size);
char *sg_arena_strndup(struct sg_arena *a, const char *s, size_t n);
char *sg_arena_strdup(struct sg_arena *a, const char *s);
char *sg_arena_printf(struct sg_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append one element of `size` bytes to an arena-backed array *items of
 * *n elements, growing it by doubling (the old copy is left in the arena).
 * Returns the new zeroed slot, or NULL when out of memory. */
void *sg_arena_push(struct sg_arena *a, void *items, size_t *n, size_t *cap, size_t size);

#endif
