/* Bump allocator: blocks of at least 16 KiB, chained, freed all at once. */
#include "config/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_ARENA_BLOCK (16 * 1024)
#define SG_ARENA_ALIGN 16

struct sg_arena_block {
	struct sg_arena_block *next;
	size_t size;
	_Alignas(SG_ARENA_ALIGN) unsigned char data[];
};

void sg_arena_init(struct sg_arena *a)
{
	memset(a, 0, sizeof(*a));
}

void sg_arena_free(struct sg_arena *a)
{
	struct sg_arena_block *b = a->head;

	while (b) {
		struct sg_arena_block *next = b->next;

		free(b);
		b = next;
	}
	sg_arena_init(a);
}

void *sg_arena_alloc(struct sg_arena *a, size_t size)
{
	size_t need = (size + SG_ARENA_ALIGN - 1) & ~(size_t)(SG_ARENA_ALIGN - 1);
	struct sg_arena_block *b = a->head;
	void *p;

	if (!b || a->used + need > b->size) {
		size_t bsize = need > SG_ARENA_BLOCK ? need : SG_ARENA_BLOCK;

		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->size = bsize;
		b->next = a->head;
		a->head = b;
		a->used = 0;
	}
	p = b->data + a->used;
	a->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

char *sg_arena_strndup(struct sg_arena *a, const char *s, size_t n)
{
	char *p = sg_arena_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

char *sg_arena_strdup(struct sg_arena *a, const char *s)
{
	return sg_arena_strndup(a, s, strlen(s));
}

char *sg_arena_printf(struct sg_arena *a, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	p = sg_arena_alloc(a, (size_t)len + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *sg_arena_push(struct sg_arena *a, void *items, size_t *n, size_t *cap, size_t size)
{
	void **arr = items;
	unsigned char *slot;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *grown = sg_arena_alloc(a, ncap * size);

		if (!grown)
			return NULL;
		if (*n)
			memcpy(grown, *arr, *n * size);
		*arr = grown;
		*cap = ncap;
	}
	slot = (unsigned char *)*arr + *n * size;
	(*n)++;
	return slot;
}
