/* user/base/mem.c: which blocks a thread keeps, which it gives back to malloc,
 * its bound, and that the pointers stay malloc's. In a build with
 * AddressSanitizer nothing is kept: the cases check that instead. */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/mem.h"

static int drain(void **state)
{
	(void)state;
	sg_mem_drain();
	return 0;
}

static void test_mem_a_freed_block_is_given_again_to_its_class(void **state)
{
	char *p = sg_mem_alloc(100), *q;

	assert_non_null(p);
	memset(p, 'x', 100);
	sg_mem_free(p);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 136 : 0); /* class 2^7 + 8 */
	q = sg_mem_alloc(120);
	if (SG_MEM_KEEPS)
		assert_ptr_equal(q, p);
	assert_int_equal(sg_mem_kept(), 0);
	/* still malloc's: free() takes it */
	free(q);
}

static void test_mem_every_size_gets_its_bytes(void **state)
{
	for (size_t n = 1; n <= 20000; n += n < 300 ? 1 : 97) {
		char *p = sg_mem_alloc(n);

		assert_non_null(p);
		assert_true(malloc_usable_size(p) >= n);
		memset(p, 0xa5, n);
		sg_mem_free(p);
	}
	assert_true(sg_mem_kept() <= SG_MEM_KEEP_BYTES);
}

static void test_mem_a_size_gets_the_smallest_class_that_holds_it(void **state)
{
	struct {
		size_t n, kept;
	} want[] = { { 1, 40 },	     { 40, 40 },     { 41, 72 },     { 72, 72 }, { 73, 136 },
		     { 4104, 4104 }, { 4105, 8200 }, { 8200, 8200 }, { 8201, 0 } };

	if (!SG_MEM_KEEPS)
		skip();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *p = sg_mem_alloc(want[i].n);

		assert_non_null(p);
		memset(p, 0x5a, want[i].n);
		sg_mem_free(p);
		assert_int_equal(sg_mem_kept(), want[i].kept);
		sg_mem_drain();
	}
}

static void test_mem_a_plain_malloc_block_of_a_class_is_kept(void **state)
{
	void *p = malloc(256); /* 264 usable on glibc: a class */

	assert_non_null(p);
	sg_mem_free(p);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 264 : 0);
	if (SG_MEM_KEEPS) {
		assert_ptr_equal(sg_mem_alloc(200), p);
		sg_mem_free(p);
	}
}

static void test_mem_blocks_of_no_class_go_back_at_once(void **state)
{
	sg_mem_free(malloc(100)); /* 104 usable */
	sg_mem_free(malloc(20000));
	sg_mem_free(NULL);
	assert_int_equal(sg_mem_kept(), 0);
}

static void test_mem_keeps_no_more_than_its_bound(void **state)
{
	enum { N = SG_MEM_CLASS_BYTES / 8192 + 10 };
	void *p[N];

	for (size_t i = 0; i < N; i++)
		assert_non_null(p[i] = sg_mem_alloc(8192));
	for (size_t i = 0; i < N; i++)
		sg_mem_free(p[i]);
	if (SG_MEM_KEEPS) {
		assert_true(sg_mem_kept() <= SG_MEM_CLASS_BYTES);
		assert_true(sg_mem_kept() > SG_MEM_CLASS_BYTES - 8200);
	} else {
		assert_int_equal(sg_mem_kept(), 0);
	}
	sg_mem_drain();
	assert_int_equal(sg_mem_kept(), 0);
}

static void test_mem_calloc_zeroes_a_kept_block(void **state)
{
	unsigned char *p = sg_mem_alloc(64), *q;

	memset(p, 0xff, 64);
	sg_mem_free(p);
	q = sg_mem_calloc(8, 8);
	assert_non_null(q);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(q[i], 0);
	sg_mem_free(q);
	assert_null(sg_mem_calloc(SIZE_MAX / 2, 4));
}

static void test_mem_a_sized_free_keeps_the_block_by_the_size_asked(void **state)
{
	char *p = sg_mem_alloc(100), *q;

	assert_non_null(p);
	memset(p, 'x', 100);
	sg_mem_free_sized(p, 100);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 136 : 0);
	q = sg_mem_alloc(136);
	if (SG_MEM_KEEPS)
		assert_ptr_equal(q, p);
	memset(q, 'y', 136);
	/* freed as smaller than it is: kept in the smaller class, whose
	 * takers get at least their bytes */
	sg_mem_free_sized(q, 60);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 72 : 0);
	q = sg_mem_alloc(72);
	assert_true(malloc_usable_size(q) >= 72);
	memset(q, 'z', 72);
	sg_mem_free_sized(q, 72);
	sg_mem_free_sized(NULL, 8);
	/* of no class: back to malloc */
	sg_mem_free_sized(sg_mem_alloc(9000), 9000);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 72 : 0);
}

static void test_mem_every_size_freed_sized_gets_its_bytes(void **state)
{
	for (size_t n = 1; n <= 20000; n += n < 300 ? 1 : 97) {
		char *p = sg_mem_alloc(n), *q;

		assert_non_null(p);
		sg_mem_free_sized(p, n);
		q = sg_mem_alloc(n);
		assert_non_null(q);
		assert_true(malloc_usable_size(q) >= n);
		memset(q, 0xa5, n);
		sg_mem_free_sized(q, n);
	}
	assert_true(sg_mem_kept() <= SG_MEM_KEEP_BYTES);
}

static void test_mem_a_class_keeps_at_most_512_blocks(void **state)
{
	enum { N = 600 };
	void *p[N];

	for (size_t i = 0; i < N; i++)
		assert_non_null(p[i] = sg_mem_alloc(40));
	for (size_t i = 0; i < N; i++)
		sg_mem_free(p[i]);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 512 * 40 : 0);
	/* the kept ones come back, the last freed first */
	if (SG_MEM_KEEPS) {
		void *q = sg_mem_alloc(1);

		assert_ptr_equal(q, p[511]);
		sg_mem_free(q);
	}
}

/* A class at its bound keeps no other out: what one load left does not
 * send the next one's sizes to malloc. */
static void test_mem_a_full_class_keeps_no_other_out(void **state)
{
	enum { N = SG_MEM_CLASS_BYTES / 8192 + 10 };
	void *p[N], *q;

	for (size_t i = 0; i < N; i++)
		assert_non_null(p[i] = sg_mem_alloc(8192));
	for (size_t i = 0; i < N; i++)
		sg_mem_free(p[i]);
	q = sg_mem_alloc(100);
	sg_mem_free(q);
	if (SG_MEM_KEEPS)
		assert_ptr_equal(sg_mem_alloc(100), q);
	else
		q = sg_mem_alloc(100);
	sg_mem_free(q);
}

static void *alloc_elsewhere(void *arg)
{
	void **out = arg;

	out[0] = (void *)(uintptr_t)sg_mem_kept();
	out[1] = sg_mem_alloc(100);
	sg_mem_free(out[1]);
	sg_mem_drain();
	return NULL;
}

static void test_mem_kept_blocks_are_the_freeing_threads(void **state)
{
	void *p = sg_mem_alloc(100), *p2, *out[2];
	pthread_t t;

	sg_mem_free(p);
	assert_int_equal(pthread_create(&t, NULL, alloc_elsewhere, out), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal((uintptr_t)out[0], 0);
	assert_int_equal(sg_mem_kept(), SG_MEM_KEEPS ? 136 : 0);
	p2 = sg_mem_alloc(100);
	if (SG_MEM_KEEPS)
		assert_ptr_equal(p2, p);
	sg_mem_free(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_mem_a_freed_block_is_given_again_to_its_class,
					  drain),
		cmocka_unit_test_teardown(test_mem_every_size_gets_its_bytes, drain),
		cmocka_unit_test_teardown(test_mem_a_size_gets_the_smallest_class_that_holds_it,
					  drain),
		cmocka_unit_test_teardown(test_mem_a_plain_malloc_block_of_a_class_is_kept, drain),
		cmocka_unit_test_teardown(test_mem_blocks_of_no_class_go_back_at_once, drain),
		cmocka_unit_test_teardown(test_mem_keeps_no_more_than_its_bound, drain),
		cmocka_unit_test_teardown(test_mem_calloc_zeroes_a_kept_block, drain),
		cmocka_unit_test_teardown(test_mem_kept_blocks_are_the_freeing_threads, drain),
		cmocka_unit_test_teardown(test_mem_a_sized_free_keeps_the_block_by_the_size_asked,
					  drain),
		cmocka_unit_test_teardown(test_mem_every_size_freed_sized_gets_its_bytes, drain),
		cmocka_unit_test_teardown(test_mem_a_class_keeps_at_most_512_blocks, drain),
		cmocka_unit_test_teardown(test_mem_a_full_class_keeps_no_other_out, drain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
