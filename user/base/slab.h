/* Objects of one size carved from 64 KiB mappings of their own, for objects
 * that live long among short-lived ones: an idle connection's struct client
 * outlives the request buffers allocated around it, and in malloc's heap
 * each pins the page it shares with them, so that how much a quiet worker
 * can give back (malloc_trim) depended on how its last requests
 * interleaved: 0.8 to 1.1 KiB a held connection where the struct is 552
 * bytes (tests/README.md, make load). Here connections sit side by side,
 * and a chunk whose objects are all freed is unmapped unless it is the
 * slab's last one with room.
 *
 * A zeroed struct sg_slab is an empty slab. One thread at a time: a slab
 * belongs to a worker (user/core/frontend.h). */
#ifndef SG_SLAB_H
#define SG_SLAB_H

#include <stddef.h>

struct sg_slab_chunk;

struct sg_slab {
	size_t size;		    /* of every object: the first sg_slab_alloc's, rounded */
	struct sg_slab_chunk *open; /* chunks with a free object, the newest room first */
	size_t chunks, live;	    /* chunks mapped, objects handed out */
};

/* The largest object a slab holds. */
#define SG_SLAB_MAX_SIZE 8192u

/* A zero-filled object of `size` bytes (the same size at every call on one
 * slab, at most SG_SLAB_MAX_SIZE), or NULL when a chunk cannot be mapped. */
void *sg_slab_alloc(struct sg_slab *s, size_t size);

/* p (NULL, or from sg_slab_alloc of any slab) is no longer used. */
void sg_slab_free(void *p);

/* Unmaps every chunk left, once every object is freed (a worker, as it
 * ends); with objects still out, -1 and nothing is unmapped. */
int sg_slab_release(struct sg_slab *s);

#endif
