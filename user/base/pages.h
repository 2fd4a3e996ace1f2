/* Page-granular slots: fixed-size, page-aligned slots carved from a few
 * large anonymous mappings, for buffers that cost memory (RSS) only for the
 * pages written and that can give pages back while the slot is kept. One
 * pool per worker thread; not thread-safe. */
#ifndef SG_PAGES_H
#define SG_PAGES_H

#include <stddef.h>

struct sg_pages;

/* A pool of slots of slot_size bytes (rounded up to whole pages), mapped
 * per_region slots at a time as they are needed: one mapping holds many
 * slots, so vm.max_map_count never bounds the number of slots. The
 * mappings are MAP_NORESERVE: address space, not memory, until written.
 * Returns the pool (the caller's, freed with sg_pages_free) or NULL when
 * out of memory or for a zero size. */
struct sg_pages *sg_pages_new(size_t slot_size, size_t per_region);

/* Unmaps every region: slots still taken become invalid. NULL is fine. */
void sg_pages_free(struct sg_pages *p);

/* The size of every slot (whole pages). */
size_t sg_pages_slot_size(const struct sg_pages *p);

/* The page size the pool rounds to. */
size_t sg_pages_page_size(const struct sg_pages *p);

/* A slot, zero-filled, none of its pages resident yet: the caller's until
 * sg_pages_put. NULL when no slot is free and no region can be mapped. */
void *sg_pages_get(struct sg_pages *p);

/* Give a slot back (from sg_pages_get of this pool): its pages go back to
 * the kernel and it is handed out again, zero-filled. Returns 0, or
 * -ENOMEM when the free list could not grow (the slot is then lost, its
 * pages given back all the same). */
int sg_pages_put(struct sg_pages *p, void *slot);

/* The pages of [addr, addr + len) go back to the kernel (MADV_DONTNEED):
 * they read as zero afterwards, and cost memory again once written. addr
 * and len are whole pages inside one slot the caller holds. Returns 0 or a
 * negative errno. */
int sg_pages_trim(struct sg_pages *p, void *addr, size_t len);

/* Slots taken, and how many of the pool's pages are resident (mincore):
 * for tests and stats. A page read but never written since it was given
 * back counts too, though it costs nothing (the kernel maps its shared
 * zero page there). */
size_t sg_pages_taken(const struct sg_pages *p);
size_t sg_pages_resident(const struct sg_pages *p);

#endif
