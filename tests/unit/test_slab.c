/* user/base/slab.c: objects of one size in 64 KiB chunks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "user/base/slab.h"

#define CHUNK ((size_t)64 << 10)
#define SIZE 552 /* struct client's, rounded to 560 */
#define PER_CHUNK ((CHUNK - 64) / 560)

static uintptr_t chunk_of(const void *p)
{
	return (uintptr_t)p & ~(uintptr_t)(CHUNK - 1);
}

/* Whether the page at p is mapped at all (msync says ENOMEM when not). */
static int mapped(uintptr_t p)
{
	return msync((void *)p, (size_t)sysconf(_SC_PAGESIZE), MS_ASYNC) == 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A chunk holds (64 KiB - its 64-byte header) / 560 objects side by side;
 * the next one maps a second chunk. Every object comes zeroed, a freed one
 * too when it is handed out again (the last freed first). */
static void test_slab_packs_and_zeroes(void **state)
{
	struct sg_slab s = { 0 };
	unsigned char *o[PER_CHUNK + 1];

	(void)state;
	for (size_t i = 0; i <= PER_CHUNK; i++) {
		o[i] = sg_slab_alloc(&s, SIZE);
		assert_non_null(o[i]);
		assert_true(all_zero(o[i], SIZE));
		memset(o[i], 0xa5, SIZE);
	}
	assert_int_equal(s.size, 560);
	assert_int_equal(PER_CHUNK, 116);
	for (size_t i = 1; i < PER_CHUNK; i++) {
		assert_int_equal(chunk_of(o[i]), chunk_of(o[0]));
		assert_int_equal(o[i] - o[i - 1], 560);
	}
	assert_int_not_equal(chunk_of(o[PER_CHUNK]), chunk_of(o[0]));
	assert_int_equal(s.chunks, 2);
	assert_int_equal(s.live, PER_CHUNK + 1);

	sg_slab_free(o[7]);
	sg_slab_free(o[3]);
	assert_ptr_equal(sg_slab_alloc(&s, SIZE), o[3]);
	assert_true(all_zero(o[3], SIZE));
	assert_ptr_equal(sg_slab_alloc(&s, SIZE), o[7]);
	assert_true(all_zero(o[7], SIZE));
	assert_int_equal(s.chunks, 2);

	for (size_t i = 0; i <= PER_CHUNK; i++)
		sg_slab_free(o[i]);
	assert_int_equal(s.live, 0);
	assert_int_equal(sg_slab_release(&s), 0);
	assert_int_equal(s.chunks, 0);
	assert_false(mapped(chunk_of(o[0])));
	assert_false(mapped(chunk_of(o[PER_CHUNK])));
}

/* An emptied chunk goes back to the kernel while another has room; the
 * last chunk with room stays mapped for the next connection. */
static void test_slab_gives_empty_chunks_back(void **state)
{
	struct sg_slab s = { 0 };
	void **o = calloc(3 * PER_CHUNK, sizeof(*o));
	uintptr_t first, last;

	(void)state;
	assert_non_null(o);
	for (size_t i = 0; i < 3 * PER_CHUNK; i++)
		assert_non_null(o[i] = sg_slab_alloc(&s, SIZE));
	assert_int_equal(s.chunks, 3);
	first = chunk_of(o[0]);
	last = chunk_of(o[3 * PER_CHUNK - 1]);

	sg_slab_free(o[3 * PER_CHUNK - 1]); /* the last chunk has room */
	for (size_t i = 0; i < PER_CHUNK; i++)
		sg_slab_free(o[i]);
	assert_int_equal(s.chunks, 2);
	assert_false(mapped(first));

	for (size_t i = PER_CHUNK; i < 3 * PER_CHUNK - 1; i++)
		sg_slab_free(o[i]);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.chunks, 1);
	assert_true(mapped(last));
	/* It serves the next object without a new mapping. */
	o[0] = sg_slab_alloc(&s, SIZE);
	assert_int_equal(chunk_of(o[0]), last);
	assert_int_equal(s.chunks, 1);

	assert_int_equal(sg_slab_release(&s), -1); /* one is still out */
	assert_true(mapped(last));
	sg_slab_free(o[0]);
	assert_int_equal(sg_slab_release(&s), 0);
	assert_false(mapped(last));
	free(o);
}

/* A size over the bound, or none, is refused, and so is one larger than
 * the slab's objects; NULL frees nothing; a slab with an object out is
 * not released. */
static void test_slab_bounds(void **state)
{
	struct sg_slab s = { 0 };
	void *p, *q;

	(void)state;
	assert_null(sg_slab_alloc(&s, SG_SLAB_MAX_SIZE + 1));
	assert_null(sg_slab_alloc(&s, 0));
	assert_int_equal(s.chunks, 0);
	p = sg_slab_alloc(&s, SIZE);
	assert_non_null(p);
	assert_null(sg_slab_alloc(&s, 561)); /* larger than its objects */
	q = sg_slab_alloc(&s, 16);	     /* smaller: one of its objects */
	assert_non_null(q);
	assert_int_equal(s.live, 2);
	sg_slab_free(NULL);
	assert_int_equal(sg_slab_release(&s), -1);
	sg_slab_free(p);
	sg_slab_free(q);
	assert_int_equal(sg_slab_release(&s), 0);
	assert_int_equal(s.chunks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slab_packs_and_zeroes),
		cmocka_unit_test(test_slab_gives_empty_chunks_back),
		cmocka_unit_test(test_slab_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
