/* Page-granular slots carved from large anonymous mappings (user/base/pages.h).
 * A free slot's pages are given back when it is put, so the free list lives
 * apart from the slots (an intrusive one would write a page of each). */
#include "user/base/pages.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* One mapping of per_region slots; the first `used` were handed out at
 * least once (the rest were never touched). */
struct region {
	char *base;
	size_t used;
};

/* Owned by its creator (a worker). */
struct sg_pages {
	size_t slot, page, per_region;
	struct region *regions;
	size_t nregions, regions_cap;
	void **free; /* slots put back, handed out again last in, first out */
	size_t nfree, free_cap;
	size_t taken;
};

struct sg_pages *sg_pages_new(size_t slot_size, size_t per_region)
{
	struct sg_pages *p;
	long page = sysconf(_SC_PAGESIZE);

	if (!slot_size || !per_region || page <= 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->page = (size_t)page;
	p->slot = (slot_size + p->page - 1) / p->page * p->page;
	p->per_region = per_region;
	return p;
}

void sg_pages_free(struct sg_pages *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nregions; i++)
		munmap(p->regions[i].base, p->slot * p->per_region);
	free(p->regions);
	free(p->free);
	free(p);
}

size_t sg_pages_slot_size(const struct sg_pages *p)
{
	return p->slot;
}

size_t sg_pages_page_size(const struct sg_pages *p)
{
	return p->page;
}

static int grow(void **v, size_t *cap, size_t elem)
{
	size_t n = *cap ? 2 * *cap : 16;
	void *nv = realloc(*v, n * elem);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

/* A new region at the end of the list; -ENOMEM when it cannot be mapped. */
static int map_region(struct sg_pages *p)
{
	void *base;

	if (p->nregions == p->regions_cap &&
	    grow((void **)&p->regions, &p->regions_cap, sizeof(*p->regions)) < 0)
		return -ENOMEM;
	base = mmap(NULL, p->slot * p->per_region, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	p->regions[p->nregions++] = (struct region){ base, 0 };
	return 0;
}

void *sg_pages_get(struct sg_pages *p)
{
	struct region *r;

	if (p->nfree) {
		p->taken++;
		return p->free[--p->nfree];
	}
	r = p->nregions ? &p->regions[p->nregions - 1] : NULL;
	if (!r || r->used == p->per_region) {
		if (map_region(p) < 0)
			return NULL;
		r = &p->regions[p->nregions - 1];
	}
	p->taken++;
	return r->base + p->slot * r->used++;
}

int sg_pages_put(struct sg_pages *p, void *slot)
{
	/* Given back first: a slot that cannot be listed is lost as address
	 * space only. */
	madvise(slot, p->slot, MADV_DONTNEED);
	p->taken--;
	if (p->nfree == p->free_cap && grow((void **)&p->free, &p->free_cap, sizeof(*p->free)) < 0)
		return -ENOMEM;
	p->free[p->nfree++] = slot;
	return 0;
}

int sg_pages_trim(struct sg_pages *p, void *addr, size_t len)
{
	if ((uintptr_t)addr % p->page || len % p->page)
		return -EINVAL;
	if (len && madvise(addr, len, MADV_DONTNEED) == -1)
		return -errno;
	return 0;
}

size_t sg_pages_taken(const struct sg_pages *p)
{
	return p->taken;
}

size_t sg_pages_resident(const struct sg_pages *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nregions; i++) {
		size_t pages = p->slot * p->regions[i].used / p->page;
		unsigned char v[256];

		for (size_t at = 0; at < pages; at += sizeof(v)) {
			size_t k = pages - at < sizeof(v) ? pages - at : sizeof(v);

			if (mincore(p->regions[i].base + at * p->page, k * p->page, v) == -1)
				return 0;
			for (size_t j = 0; j < k; j++)
				n += v[j] & 1;
		}
	}
	return n;
}
