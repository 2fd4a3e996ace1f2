/* Admission counters: one pair of atomics per port in a table the size of
 * the port space (512 KiB of address space; calloc's pages stay untouched,
 * so only the ports in use cost memory). A take is one atomic add, undone
 * when it went past the bound, so the count may pass `max` for an instant
 * but no more than `max` are ever let in at once. */
#include "user/core/admit.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "user/base/log.h"

struct sg_admit {
	_Atomic uint32_t n[65536][2]; /* [port][enum sg_admit_kind] */
};

struct sg_admit *sg_admit_new(void)
{
	return calloc(1, sizeof(struct sg_admit));
}

void sg_admit_free(struct sg_admit *a)
{
	free(a);
}

bool sg_admit_take(struct sg_admit *a, enum sg_admit_kind kind, uint16_t port, uint32_t max)
{
	uint32_t before;

	if (!a)
		return true;
	before = atomic_fetch_add_explicit(&a->n[port][kind], 1, memory_order_relaxed);
	if (max && before >= max) {
		atomic_fetch_sub_explicit(&a->n[port][kind], 1, memory_order_relaxed);
		return false;
	}
	return true;
}

void sg_admit_release(struct sg_admit *a, enum sg_admit_kind kind, uint16_t port)
{
	uint32_t before;

	if (!a)
		return;
	before = atomic_fetch_sub_explicit(&a->n[port][kind], 1, memory_order_relaxed);
	if (before == 0) { /* a release without its take: a bug, never input */
		SG_ERR("%s:%d: admission count of port %u below zero", __FILE__, __LINE__, port);
		abort();
	}
}

uint32_t sg_admit_count(const struct sg_admit *a, enum sg_admit_kind kind, uint16_t port)
{
	return a ? atomic_load_explicit(&a->n[port][kind], memory_order_relaxed) : 0;
}
