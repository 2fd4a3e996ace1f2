/* user/base/inbox.c: items posted from other threads reach the loop's
 * thread in order, a burst costs one wake-up, and a closed inbox refuses
 * posts and hands back what it held. A real loop and real threads. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/base/inbox.h"
#include "user/base/loop.h"

#define PER_THREAD 2000

struct item {
	struct sg_list link;
	int from, seq;
};

struct taker {
	pthread_t self;
	int got, last[2];
	bool out_of_order, wrong_thread;
};

static void take(void *data, struct sg_list *l)
{
	struct taker *t = data;
	struct item *it = SG_LIST_ENTRY(l, struct item, link);

	if (!pthread_equal(pthread_self(), t->self))
		t->wrong_thread = true;
	if (it->seq != t->last[it->from] + 1)
		t->out_of_order = true;
	t->last[it->from] = it->seq;
	t->got++;
	free(it);
}

struct poster {
	struct sg_inbox *in;
	int from;
};

static void *post_many(void *arg)
{
	struct poster *p = arg;

	for (int i = 1; i <= PER_THREAD; i++) {
		struct item *it = calloc(1, sizeof(*it));

		it->from = p->from;
		it->seq = i;
		sg_list_init(&it->link);
		if (!sg_inbox_post(p->in, &it->link))
			free(it);
	}
	return NULL;
}

static void test_inbox_two_threads_in_order_on_the_loop(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_inbox in;
	struct taker t = { .self = pthread_self() };
	struct poster p[2] = { { &in, 0 }, { &in, 1 } };
	pthread_t th[2];

	(void)state;
	assert_int_equal(sg_inbox_open(&in, loop, take, &t), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, post_many, &p[i]), 0);
	/* Bounded: every item is in by then (2 x 2000 posts take
	 * milliseconds), and each pass waits at most 100 ms. */
	for (int pass = 0; pass < 2000 && t.got < 2 * PER_THREAD; pass++)
		sg_loop_run_once(loop, 100);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(t.got, 2 * PER_THREAD);
	assert_false(t.out_of_order);
	assert_false(t.wrong_thread);
	assert_int_equal(t.last[0], PER_THREAD);
	assert_int_equal(t.last[1], PER_THREAD);
	sg_inbox_close(&in, NULL);
	sg_inbox_destroy(&in);
	sg_loop_free(loop);
}

static void test_inbox_burst_taken_in_one_pass(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_inbox in;
	struct taker t = { .self = pthread_self() };
	struct poster p = { &in, 0 };
	uint64_t count;
	pthread_t th;

	(void)state;
	assert_int_equal(sg_inbox_open(&in, loop, take, &t), 0);
	assert_int_equal(pthread_create(&th, NULL, post_many, &p), 0);
	pthread_join(th, NULL); /* all posted before the loop looks */
	/* 2000 posts wrote one wake-up (the counter, read and put back). */
	assert_int_equal(read(in.io.fd, &count, sizeof(count)), sizeof(count));
	assert_int_equal(count, 1);
	assert_int_equal(write(in.io.fd, &count, sizeof(count)), sizeof(count));
	sg_loop_run_once(loop, 1000);
	assert_int_equal(t.got, PER_THREAD);
	assert_false(t.out_of_order);
	/* And the pass read it: nothing is left to wake the loop. */
	assert_int_equal(read(in.io.fd, &count, sizeof(count)), -1);
	assert_int_equal(errno, EAGAIN);
	sg_inbox_close(&in, NULL);
	sg_inbox_destroy(&in);
	sg_loop_free(loop);
}

static int dropped;
static void drop(struct sg_list *l)
{
	dropped++;
	free(SG_LIST_ENTRY(l, struct item, link));
}

static void test_inbox_closed_refuses_and_hands_back(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_inbox in;
	struct taker t = { .self = pthread_self() };
	struct item *it[3];

	(void)state;
	assert_int_equal(sg_inbox_open(&in, loop, take, &t), 0);
	for (int i = 0; i < 3; i++) {
		it[i] = calloc(1, sizeof(*it[i]));
		it[i]->seq = i + 1;
		sg_list_init(&it[i]->link);
	}
	assert_true(sg_inbox_post(&in, &it[0]->link));
	assert_true(sg_inbox_post(&in, &it[1]->link));
	dropped = 0;
	sg_inbox_close(&in, drop); /* never taken: handed to drop */
	assert_int_equal(dropped, 2);
	assert_int_equal(t.got, 0);
	assert_false(sg_inbox_post(&in, &it[2]->link)); /* still the caller's */
	free(it[2]);
	sg_loop_run_once(loop, 0);
	assert_int_equal(t.got, 0);
	sg_inbox_destroy(&in);
	sg_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbox_two_threads_in_order_on_the_loop),
		cmocka_unit_test(test_inbox_burst_taken_in_one_pass),
		cmocka_unit_test(test_inbox_closed_refuses_and_hands_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
