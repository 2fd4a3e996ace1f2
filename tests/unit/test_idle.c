/* Tests for policy/idle.c: the body idle watchdog's deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "policy/idle.h"

static void test_idle_off(void **state)
{
	struct sg_idle w;

	sg_idle_start(&w, 0, 100, 0);
	assert_int_equal(w.due, 0);
	assert_false(sg_idle_expired(&w, 10000, 0, true, NULL, NULL));
}

static void test_idle_stall_expires(void **state)
{
	struct sg_idle w;

	sg_idle_start(&w, 1000, 100, 5);
	assert_int_equal(w.due, 1100);
	assert_true(sg_idle_expired(&w, 1100, 5, true, NULL, NULL));
	sg_idle_stop(&w);
	assert_int_equal(w.due, 0);
}

/* A byte noted at 600 moves the deadline to 1600, not to the check's
 * time plus the limit. */
static void test_idle_counts_from_last_byte(void **state)
{
	struct sg_idle w;

	sg_idle_start(&w, 1000, 100, 0);
	sg_idle_note(&w, 600, 1);
	assert_false(sg_idle_expired(&w, 1100, 1, true, NULL, NULL));
	assert_int_equal(w.due, 1600);
	assert_true(sg_idle_expired(&w, 1600, 1, true, NULL, NULL));
}

/* Bytes not noted (or no body on its way) restart the quiet time at the
 * check. */
static void test_idle_unnoted_progress_and_not_flowing(void **state)
{
	struct sg_idle w;

	sg_idle_start(&w, 1000, 0, 0);
	assert_false(sg_idle_expired(&w, 1000, 7, true, NULL, NULL));
	assert_int_equal(w.due, 2000);
	assert_false(sg_idle_expired(&w, 2000, 7, false, NULL, NULL));
	assert_int_equal(w.due, 3000);
}

static uint64_t kernel_moved_300ms_ago(void *arg, uint64_t idle)
{
	(void)arg;
	return idle < 300 ? idle : 300;
}

/* What the kernel moved alone (the socket map's stamps) keeps it alive. */
static void test_idle_kernel_activity(void **state)
{
	struct sg_idle w;

	sg_idle_start(&w, 1000, 0, 0);
	assert_false(sg_idle_expired(&w, 1000, 0, true, kernel_moved_300ms_ago, NULL));
	assert_int_equal(w.due, 1700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_off),
		cmocka_unit_test(test_idle_stall_expires),
		cmocka_unit_test(test_idle_counts_from_last_byte),
		cmocka_unit_test(test_idle_unnoted_progress_and_not_flowing),
		cmocka_unit_test(test_idle_kernel_activity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
