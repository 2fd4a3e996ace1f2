/* user/base/list.h: insert at either end, remove (twice), and walks that
 * remove as they go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "user/base/list.h"

struct item {
	int v;
	struct sg_list link;
};

/* The values of head's items in order, into out; returns how many. */
static int values(struct sg_list *head, int *out, int max)
{
	struct sg_list *l;
	int n = 0;

	SG_LIST_FOR_EACH(l, head) {
		assert_true(n < max);
		out[n++] = SG_LIST_ENTRY(l, struct item, link)->v;
	}
	return n;
}

static void test_list_empty_head(void **state)
{
	struct sg_list head;
	struct sg_list *l;
	int seen = 0;

	sg_list_init(&head);
	assert_true(sg_list_empty(&head));
	assert_null(sg_list_first(&head));
	SG_LIST_FOR_EACH(l, &head) {
		seen++;
	}
	assert_int_equal(seen, 0);
}

static void test_list_insert_head_and_tail_order(void **state)
{
	struct sg_list head;
	struct item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
	int got[8];

	sg_list_init(&head);
	sg_list_insert_head(&head, &it[1].link);
	sg_list_insert_head(&head, &it[0].link);
	sg_list_insert_tail(&head, &it[2].link);
	sg_list_insert_tail(&head, &it[3].link);
	assert_false(sg_list_empty(&head));
	assert_ptr_equal(SG_LIST_ENTRY(sg_list_first(&head), struct item, link), &it[0]);
	assert_int_equal(values(&head, got, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], i);
	/* Backwards through prev as well. */
	assert_ptr_equal(head.prev, &it[3].link);
	assert_ptr_equal(it[3].link.prev, &it[2].link);
	assert_ptr_equal(it[0].link.prev, &head);
}

static void test_list_remove_twice_is_harmless(void **state)
{
	struct sg_list head;
	struct item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 }, lone = { .v = 9 };
	int got[8];

	sg_list_init(&head);
	sg_list_insert_tail(&head, &a.link);
	sg_list_insert_tail(&head, &b.link);
	sg_list_insert_tail(&head, &c.link);
	sg_list_remove(&b.link);
	assert_ptr_equal(b.link.next, &b.link);
	assert_ptr_equal(b.link.prev, &b.link);
	sg_list_remove(&b.link);
	assert_int_equal(values(&head, got, 8), 2);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 3);
	/* A node that was initialised and never inserted. */
	sg_list_init(&lone.link);
	sg_list_remove(&lone.link);
	assert_int_equal(values(&head, got, 8), 2);
	sg_list_remove(&a.link);
	sg_list_remove(&c.link);
	sg_list_remove(&c.link);
	assert_true(sg_list_empty(&head));
	assert_null(sg_list_first(&head));
	/* A removed node can go on a list again. */
	sg_list_insert_head(&head, &b.link);
	assert_int_equal(values(&head, got, 8), 1);
	assert_int_equal(got[0], 2);
}

/* A walk that removes the node it is on (the pool's and the drain's
 * loops) sees every node once and leaves the rest in order. */
static void test_list_foreach_safe_removes_current(void **state)
{
	struct sg_list head, *l, *tmp;
	struct item it[6];
	int got[8], seen = 0;

	sg_list_init(&head);
	for (int i = 0; i < 6; i++) {
		it[i].v = i;
		sg_list_insert_tail(&head, &it[i].link);
	}
	SG_LIST_FOR_EACH_SAFE(l, tmp, &head) {
		struct item *x = SG_LIST_ENTRY(l, struct item, link);

		assert_int_equal(x->v, seen++);
		if (x->v % 2 == 0)
			sg_list_remove(l);
	}
	assert_int_equal(seen, 6);
	assert_int_equal(values(&head, got, 8), 3);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 3);
	assert_int_equal(got[2], 5);
	/* Emptying it the same way. */
	SG_LIST_FOR_EACH_SAFE(l, tmp, &head) {
		sg_list_remove(l);
	}
	assert_true(sg_list_empty(&head));
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(it[i].link.next, &it[i].link);
}

/* Closing everything the way close_all does: take the first until none. */
static void test_list_drain_by_first(void **state)
{
	struct sg_list head, *l;
	struct item it[3] = { { .v = 0 }, { .v = 1 }, { .v = 2 } };
	int n = 0;

	sg_list_init(&head);
	for (int i = 0; i < 3; i++)
		sg_list_insert_head(&head, &it[i].link);
	while ((l = sg_list_first(&head))) {
		assert_int_equal(SG_LIST_ENTRY(l, struct item, link)->v, 2 - n);
		sg_list_remove(l);
		n++;
	}
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_empty_head),
		cmocka_unit_test(test_list_insert_head_and_tail_order),
		cmocka_unit_test(test_list_remove_twice_is_harmless),
		cmocka_unit_test(test_list_foreach_safe_removes_current),
		cmocka_unit_test(test_list_drain_by_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
