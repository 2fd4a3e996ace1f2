/* user/base/pages.c: slots page-aligned, zero-filled and apart; only written
 * pages resident; trim and put give pages back (mincore, and the process's
 * RssAnon); freed slots handed out again; a new mapping when one is full. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/pages.h"

/* The process's resident anonymous memory, KiB (/proc/self/status). */
static long rss_anon_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_pages_slots_aligned_zeroed_and_apart(void **state)
{
	struct sg_pages *p = sg_pages_new(10000, 8);
	size_t page, slot;
	char *a, *b;

	assert_non_null(p);
	page = sg_pages_page_size(p);
	slot = sg_pages_slot_size(p);
	assert_int_equal(slot % page, 0);
	assert_true(slot >= 10000 && slot < 10000 + page);
	a = sg_pages_get(p);
	b = sg_pages_get(p);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal((uintptr_t)a % page, 0);
	assert_int_equal((uintptr_t)b % page, 0);
	assert_true(a + slot <= b || b + slot <= a);
	assert_int_equal(sg_pages_resident(p), 0);
	assert_true(all_zero(a, slot) && all_zero(b, slot));
	assert_int_equal(sg_pages_taken(p), 2);
	sg_pages_free(p);
	assert_null(sg_pages_new(0, 8));
	assert_null(sg_pages_new(4096, 0));
}

static void test_pages_only_written_pages_resident(void **state)
{
	struct sg_pages *p = sg_pages_new(5 * 4096, 4);
	size_t page = sg_pages_page_size(p);
	char *a = sg_pages_get(p);

	a[0] = 1;
	a[sg_pages_slot_size(p) - 1] = 2;
	assert_int_equal(sg_pages_resident(p), page == 4096 ? 2 : 1);
	sg_pages_free(p);
}

static void test_pages_trim_gives_pages_back_and_reads_zero(void **state)
{
	struct sg_pages *p = sg_pages_new(4 * 4096, 4);
	size_t page = sg_pages_page_size(p), slot = sg_pages_slot_size(p);
	char *a = sg_pages_get(p);

	memset(a, 'x', slot);
	assert_int_equal(sg_pages_resident(p), slot / page);
	/* Every page but the first goes back; the first keeps its bytes. */
	assert_int_equal(sg_pages_trim(p, a + page, slot - page), 0);
	assert_int_equal(sg_pages_resident(p), 1);
	/* Written again, a page costs memory again. */
	a[page] = 'y';
	assert_int_equal(sg_pages_resident(p), 2);
	assert_true(all_zero(a + page + 1, slot - page - 1));
	assert_int_equal(a[0], 'x');
	assert_int_equal(a[page - 1], 'x');
	assert_int_equal(sg_pages_trim(p, a + 1, page), -EINVAL);
	assert_int_equal(sg_pages_trim(p, a, page + 1), -EINVAL);
	assert_int_equal(sg_pages_trim(p, a, 0), 0);
	sg_pages_free(p);
}

/* A put slot comes back first, zero-filled and not resident. */
static void test_pages_put_slot_handed_out_again_zeroed(void **state)
{
	struct sg_pages *p = sg_pages_new(3 * 4096, 4);
	size_t slot = sg_pages_slot_size(p);
	char *a = sg_pages_get(p), *b;

	memset(a, 'x', slot);
	assert_int_equal(sg_pages_put(p, a), 0);
	assert_int_equal(sg_pages_taken(p), 0);
	assert_int_equal(sg_pages_resident(p), 0);
	b = sg_pages_get(p);
	assert_ptr_equal(a, b);
	assert_int_equal(sg_pages_resident(p), 0);
	assert_true(all_zero(b, slot));
	sg_pages_free(p);
}

/* 3 slots a mapping: 64 slots take 22 mappings, all apart; written, then
 * put, the process's RSS comes back down. */
static void test_pages_new_mapping_when_full_and_rss_back(void **state)
{
	enum { N = 64 };
	struct sg_pages *p = sg_pages_new(4 * 4096, 3);
	size_t slot = sg_pages_slot_size(p);
	char *s[N];
	long before, written, after;

	before = rss_anon_kb();
	for (int i = 0; i < N; i++) {
		s[i] = sg_pages_get(p);
		assert_non_null(s[i]);
		memset(s[i], 'a' + i % 26, slot);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			assert_true(s[i] + slot <= s[j] || s[j] + slot <= s[i]);
	for (int i = 0; i < N; i++)
		assert_int_equal(s[i][slot - 1], 'a' + i % 26);
	written = rss_anon_kb();
	assert_true(written - before >= (long)(N * slot / 1024) * 9 / 10);
	for (int i = 0; i < N; i++)
		assert_int_equal(sg_pages_put(p, s[i]), 0);
	after = rss_anon_kb();
	assert_true(written - after >= (long)(N * slot / 1024) * 9 / 10);
	assert_int_equal(sg_pages_resident(p), 0);
	assert_int_equal(sg_pages_taken(p), 0);
	sg_pages_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_slots_aligned_zeroed_and_apart),
		cmocka_unit_test(test_pages_only_written_pages_resident),
		cmocka_unit_test(test_pages_trim_gives_pages_back_and_reads_zero),
		cmocka_unit_test(test_pages_put_slot_handed_out_again_zeroed),
		cmocka_unit_test(test_pages_new_mapping_when_full_and_rss_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
