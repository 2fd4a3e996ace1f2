/* Unit tests for user/base/dns.c: lookups answered on the loop, each once, with
 * the address and port; cancelled ones never answered; freeing the
 * resolver with lookups queued or under way; a bounded resolver refusing
 * lookups past its bound. Names come from /etc/hosts
 * ("localhost"), so no name server is involved. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/base/dns.h"
#include "user/base/loop.h"

static int answered;

static void count_answer(struct sg_dns_query *q)
{
	(void)q;
	answered++;
}

static void init_query(struct sg_dns_query *q, const char *host, uint16_t port)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->host, sizeof(q->host), "%s", host);
	q->port = port;
	q->done = count_answer;
}

/* Runs the loop until `want` answers came, for at most 5 s. */
static void run_until(struct sg_loop *loop, int want)
{
	uint64_t until;

	sg_loop_update_time(loop);
	until = sg_loop_now(loop) + 5000;
	while (answered < want && sg_loop_now(loop) < until)
		sg_loop_run_once(loop, 50);
}

/* Each test gets a loop and a resolver on it (a test may free the
 * resolver itself and set it to NULL). */
struct fixture {
	struct sg_loop *loop;
	struct sg_dns *dns;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->loop = sg_loop_new();
	f->dns = sg_dns_new(f->loop, 0);
	answered = 0;
	*state = f;
	return f->loop && f->dns ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sg_dns_free(f->dns);
	sg_loop_free(f->loop);
	free(f);
	return 0;
}

static uint16_t port_of(const struct sg_dns_query *q)
{
	if (q->addrs.ss[0].ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&q->addrs.ss[0])->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&q->addrs.ss[0])->sin6_port);
}

static void test_dns_answers_on_the_loop(void **state)
{
	struct fixture *f = *state;
	struct sg_dns_query q[3];

	for (int i = 0; i < 3; i++) {
		init_query(&q[i], "localhost", (uint16_t)(8080 + i));
		assert_int_equal(sg_dns_query(f->dns, &q[i]), 0);
	}
	assert_int_equal(answered, 0); /* never from inside sg_dns_query */
	run_until(f->loop, 3);
	assert_int_equal(answered, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(q[i].err, 0);
		assert_true(q[i].addrs.ss[0].ss_family == AF_INET ||
			    q[i].addrs.ss[0].ss_family == AF_INET6);
		assert_true(q[i].addrs.n >= 1 && q[i].addrs.len[0] > 0);
		assert_int_equal(port_of(&q[i]), 8080 + i);
	}
	/* Nothing more comes. */
	sg_loop_run_once(f->loop, 100);
	assert_int_equal(answered, 3);
}

static void test_dns_cancelled_is_not_answered(void **state)
{
	struct fixture *f = *state;
	struct sg_dns_query gone, kept;

	init_query(&gone, "localhost", 1);
	init_query(&kept, "localhost", 2);
	assert_int_equal(sg_dns_query(f->dns, &gone), 0);
	assert_int_equal(sg_dns_query(f->dns, &kept), 0);
	sg_dns_cancel(f->dns, &gone);
	memset(&gone, 0xa5, sizeof(gone)); /* the caller's memory again */
	run_until(f->loop, 1);
	assert_int_equal(answered, 1);
	assert_int_equal(kept.err, 0);
	assert_int_equal(port_of(&kept), 2);
	sg_loop_run_once(f->loop, 100);
	assert_int_equal(answered, 1);
}

static void test_dns_free_with_lookups_pending(void **state)
{
	struct fixture *f = *state;
	struct sg_dns_query q[8];

	for (int i = 0; i < 8; i++) {
		init_query(&q[i], "localhost", 80);
		assert_int_equal(sg_dns_query(f->dns, &q[i]), 0);
	}
	sg_dns_free(f->dns); /* the thread may be inside getaddrinfo */
	f->dns = NULL;
	sg_loop_run_once(f->loop, 100);
	assert_int_equal(answered, 0);
}

static void test_dns_host_too_long(void **state)
{
	struct fixture *f = *state;
	struct sg_dns_query q;

	memset(&q, 'a', sizeof(q));
	q.done = count_answer;
	assert_int_equal(sg_dns_query(f->dns, &q), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* A resolver bounded to 2 lookups refuses a third while it holds two
 * (EAGAIN, nothing answered for it), takes one again once an answer was
 * handed back or a lookup cancelled. */
static void test_dns_bounded(void **state)
{
	struct fixture *f = *state;
	struct sg_dns *d = sg_dns_new(f->loop, 2);
	struct sg_dns_query q[4];

	assert_non_null(d);
	for (int i = 0; i < 4; i++)
		init_query(&q[i], "localhost", (uint16_t)(80 + i));
	assert_int_equal(sg_dns_query(d, &q[0]), 0);
	assert_int_equal(sg_dns_query(d, &q[1]), 0);
	errno = 0;
	assert_int_equal(sg_dns_query(d, &q[2]), -1);
	assert_int_equal(errno, EAGAIN);
	sg_dns_cancel(d, &q[1]);
	assert_int_equal(sg_dns_query(d, &q[2]), 0);
	assert_int_equal(sg_dns_query(d, &q[3]), -1);
	run_until(f->loop, 2);
	assert_int_equal(answered, 2);
	assert_int_equal(q[0].err, 0);
	assert_int_equal(q[2].err, 0);
	assert_int_equal(port_of(&q[2]), 82);
	assert_int_equal(sg_dns_query(d, &q[3]), 0);
	run_until(f->loop, 3);
	assert_int_equal(answered, 3);
	assert_int_equal(port_of(&q[3]), 83);
	sg_dns_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dns_answers_on_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_cancelled_is_not_answered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dns_free_with_lookups_pending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dns_host_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
