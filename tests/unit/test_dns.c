/* Unit tests for user/dns.c: lookups answered on the loop, each once, with
 * the address and port; cancelled ones never answered; freeing the
 * resolver with lookups queued or under way. Names come from /etc/hosts
 * ("localhost"), so no name server is involved. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "user/dns.h"
#include "user/loop.h"

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

static uint16_t port_of(const struct sg_dns_query *q)
{
	if (q->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&q->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&q->addr)->sin6_port);
}

static void test_dns_answers_on_the_loop(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_dns *d = sg_dns_new(loop);
	struct sg_dns_query q[3];

	(void)state;
	answered = 0;
	for (int i = 0; i < 3; i++) {
		init_query(&q[i], "localhost", (uint16_t)(8080 + i));
		assert_int_equal(sg_dns_query(d, &q[i]), 0);
	}
	assert_int_equal(answered, 0); /* never from inside sg_dns_query */
	run_until(loop, 3);
	assert_int_equal(answered, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(q[i].err, 0);
		assert_true(q[i].addr.ss_family == AF_INET || q[i].addr.ss_family == AF_INET6);
		assert_true(q[i].addrlen > 0);
		assert_int_equal(port_of(&q[i]), 8080 + i);
	}
	/* Nothing more comes. */
	sg_loop_run_once(loop, 100);
	assert_int_equal(answered, 3);
	sg_dns_free(d);
	sg_loop_free(loop);
}

static void test_dns_cancelled_is_not_answered(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_dns *d = sg_dns_new(loop);
	struct sg_dns_query gone, kept;

	(void)state;
	answered = 0;
	init_query(&gone, "localhost", 1);
	init_query(&kept, "localhost", 2);
	assert_int_equal(sg_dns_query(d, &gone), 0);
	assert_int_equal(sg_dns_query(d, &kept), 0);
	sg_dns_cancel(d, &gone);
	memset(&gone, 0xa5, sizeof(gone)); /* the caller's memory again */
	run_until(loop, 1);
	assert_int_equal(answered, 1);
	assert_int_equal(kept.err, 0);
	assert_int_equal(port_of(&kept), 2);
	sg_loop_run_once(loop, 100);
	assert_int_equal(answered, 1);
	sg_dns_free(d);
	sg_loop_free(loop);
}

static void test_dns_free_with_lookups_pending(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_dns *d = sg_dns_new(loop);
	struct sg_dns_query q[8];

	(void)state;
	answered = 0;
	for (int i = 0; i < 8; i++) {
		init_query(&q[i], "localhost", 80);
		assert_int_equal(sg_dns_query(d, &q[i]), 0);
	}
	sg_dns_free(d); /* the thread may be inside getaddrinfo */
	sg_loop_run_once(loop, 100);
	assert_int_equal(answered, 0);
	sg_loop_free(loop);
	sg_dns_free(NULL);
}

static void test_dns_host_too_long(void **state)
{
	struct sg_loop *loop = sg_loop_new();
	struct sg_dns *d = sg_dns_new(loop);
	struct sg_dns_query q;

	(void)state;
	memset(&q, 'a', sizeof(q));
	q.done = count_answer;
	assert_int_equal(sg_dns_query(d, &q), -1);
	sg_dns_free(d);
	sg_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_answers_on_the_loop),
		cmocka_unit_test(test_dns_cancelled_is_not_answered),
		cmocka_unit_test(test_dns_free_with_lookups_pending),
		cmocka_unit_test(test_dns_host_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
