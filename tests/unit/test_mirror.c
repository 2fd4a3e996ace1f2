/* user/core/mirror.c over real loopback sockets and a real loop: what a mirror
 * backend receives, and how copies are counted and bounded. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loopback.h"
#include "user/codec/h1.h"
#include "user/core/mirror.h"

struct env {
	struct sg_loop *loop;
	struct sg_pool *pool;
	struct sg_stats stats;
	struct sg_mirroring *m;
	int listener, refusing;
	uint16_t port, refused_port;
	struct sg_endpoint ep;
	struct sg_backend_ref backend;
	struct sg_mirror mirror;
	struct sg_mirrors mirrors;
	struct sg_h1_header slots[16];
	struct sg_h1_req req;
};

static const char head[] = "POST /up?x=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
			   "Content-Length: 5\r\n\r\n";

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	e->pool = sg_pool_new(e->loop);
	sg_stats_init(&e->stats);
	e->m = sg_mirroring_new(e->loop, e->pool, NULL, &e->stats);
	assert_non_null(e->m);
	e->listener = test_loopback(true, 0, &e->port);
	e->refusing = test_loopback(false, 0, &e->refused_port);
	e->ep = (struct sg_endpoint){ "127.0.0.1", e->port };
	e->backend = (struct sg_backend_ref){ .kind = SG_BREF_HOST, .eps = &e->ep, .neps = 1 };
	e->mirror = (struct sg_mirror){ &e->backend, 1.0 };
	e->mirrors = (struct sg_mirrors){ &e->mirror, 1, 1 };
	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(head, sizeof(head) - 1, 16, &e->req), SG_H1_DONE);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_mirroring_free(e->m);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_pool_free(e->pool);
	sg_loop_free(e->loop);
	sg_stats_destroy(&e->stats);
	close(e->listener);
	close(e->refusing);
	free(e);
	return 0;
}

static void send_copy(struct env *e, const char *body, size_t len, bool whole)
{
	struct sg_mirror_request r = { &e->req, NULL, "192.0.2.9", body, len, whole };
	uint64_t rng = 1;

	sg_mirroring_send(e->m, &e->mirrors, &r, &rng);
}

/* Run the loop until the copies in flight are `n` (bounded: 5 s). */
static void run_until_inflight(struct env *e, size_t n)
{
	for (int i = 0; i < 500 && sg_mirroring_inflight(e->m) != n; i++)
		sg_loop_run_once(e->loop, 10);
	assert_int_equal(sg_mirroring_inflight(e->m), n);
}

static uint64_t counted(struct env *e, enum sg_stat which)
{
	return e->stats.counters[which];
}

/* Accept the copy's connection and read until `want` bytes came (the loop
 * runs meanwhile: the copy is written by it). */
static int take_copy(struct env *e, char *buf, size_t want)
{
	struct pollfd p = { .fd = e->listener, .events = POLLIN };
	size_t got = 0;
	int fd;

	for (int i = 0; i < 500 && poll(&p, 1, 0) == 0; i++)
		sg_loop_run_once(e->loop, 10);
	fd = accept(e->listener, NULL, NULL);
	assert_true(fd >= 0);
	for (int i = 0; i < 500 && got < want; i++) {
		ssize_t n;

		sg_loop_run_once(e->loop, 10);
		n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, want);
	return fd;
}

static void test_mirror_copy_reaches_the_backend_and_is_counted_sent(void **state)
{
	static const char want[] = "POST /up?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
				   "X-Forwarded-For: 192.0.2.9\r\nconnection: close\r\n"
				   "x-splicegate-mirror: 1\r\n\r\nhello";
	struct env *e = *state;
	char got[sizeof(want)] = { 0 };
	int fd;

	send_copy(e, "hello", 5, true);
	assert_int_equal(sg_mirroring_inflight(e->m), 1);
	fd = take_copy(e, got, sizeof(want) - 1);
	assert_string_equal(got, want);
	/* The copy waits for the answer, which it drops, and the close. */
	sg_loop_run_once(e->loop, 10);
	assert_int_equal(sg_mirroring_inflight(e->m), 1);
	assert_int_equal(write(fd, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 38), 38);
	close(fd);
	run_until_inflight(e, 0);
	assert_int_equal(counted(e, SG_STAT_MIRROR_SENT), 1);
	assert_int_equal(counted(e, SG_STAT_MIRROR_FAILED), 0);
}

/* An HTTP/1.0 request without Host is copied with the mirror backend's
 * authority as Host, as a try to a backend is: an HTTP/1.1 request without
 * one is refused by backends (nginx answers 400). */
static void test_mirror_copy_without_host_gets_the_backends_authority(void **state)
{
	static const char bare[] = "GET /h10 HTTP/1.0\r\n\r\n";
	static const char want[] = "GET /h10 HTTP/1.1\r\nHost: mirror.example:9000\r\n"
				   "X-Forwarded-For: 192.0.2.9\r\nconnection: close\r\n"
				   "x-splicegate-mirror: 1\r\n\r\n";
	struct env *e = *state;
	char got[sizeof(want)] = { 0 };
	int fd;

	e->backend.eff_authority = "mirror.example:9000";
	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(bare, sizeof(bare) - 1, 16, &e->req), SG_H1_DONE);
	send_copy(e, NULL, 0, true);
	fd = take_copy(e, got, sizeof(want) - 1);
	assert_string_equal(got, want);
	close(fd);
	run_until_inflight(e, 0);
	assert_int_equal(counted(e, SG_STAT_MIRROR_SENT), 1);
}

static void test_mirror_refused_is_counted_failed(void **state)
{
	struct env *e = *state;

	e->ep.port = e->refused_port;
	send_copy(e, "hello", 5, true);
	run_until_inflight(e, 0);
	assert_int_equal(counted(e, SG_STAT_MIRROR_FAILED), 1);
	assert_int_equal(counted(e, SG_STAT_MIRROR_SENT), 0);
}

static void test_mirror_percentage_zero_sends_nothing(void **state)
{
	struct env *e = *state;

	e->mirror.percentage = 0;
	for (int i = 0; i < 100; i++)
		send_copy(e, "hello", 5, true);
	assert_int_equal(sg_mirroring_inflight(e->m), 0);
	assert_int_equal(counted(e, SG_STAT_MIRROR_DROPPED), 0);
}

/* A body not held whole, or over SG_MIRROR_MAX_BODY, is not mirrored; nor
 * is a copy over SG_MIRROR_MAX_INFLIGHT; each is counted dropped. */
static void test_mirror_bounds_drop(void **state)
{
	struct env *e = *state;
	char *big = calloc(1, SG_MIRROR_MAX_BODY + 1);

	assert_non_null(big);
	send_copy(e, "hel", 3, false);
	send_copy(e, big, SG_MIRROR_MAX_BODY + 1, true);
	assert_int_equal(counted(e, SG_STAT_MIRROR_DROPPED), 2);
	assert_int_equal(sg_mirroring_inflight(e->m), 0);
	/* The listener never accepts: every copy waits in flight. */
	for (int i = 0; i < SG_MIRROR_MAX_INFLIGHT + 3; i++)
		send_copy(e, "hello", 5, true);
	assert_int_equal(sg_mirroring_inflight(e->m), SG_MIRROR_MAX_INFLIGHT);
	assert_int_equal(counted(e, SG_STAT_MIRROR_DROPPED), 5);
	free(big);
}

/* Issue 63: a mirror that reaches the gateway again. A request that
 * carries the mark is a copy: it is never mirrored (counted looped), and
 * a client's mark never reaches a backend (the codec drops it). */
static void test_mirror_copy_is_not_mirrored_again(void **state)
{
	static const char copy[] = "GET /loop HTTP/1.1\r\nHost: loop.test\r\n"
				   "X-Splicegate-Mirror: 1\r\n\r\n";
	struct env *e = *state;
	char out[256];
	ssize_t n;

	e->req = (struct sg_h1_req){ .headers = e->slots, .headers_cap = 16 };
	assert_int_equal(sg_h1_parse_request(copy, sizeof(copy) - 1, 16, &e->req), SG_H1_DONE);
	send_copy(e, NULL, 0, true);
	assert_int_equal(sg_mirroring_inflight(e->m), 0);
	assert_int_equal(counted(e, SG_STAT_MIRROR_LOOPED), 1);
	n = sg_h1_write_request_edit(&e->req, NULL, NULL, 0, NULL, out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "GET /loop HTTP/1.1\r\nHost: loop.test\r\n\r\n");
}

/* At most SG_MIRROR_MAX_PER_SECOND copies a second for one mirror (the
 * loop's time stands still between the sends), the rest counted limited;
 * the next second sends again. */
static void test_mirror_copies_a_second_bounded(void **state)
{
	struct env *e = *state;

	e->ep.port = e->refused_port; /* copies fail at once, none stays */
	for (int i = 0; i < SG_MIRROR_MAX_PER_SECOND + 3; i++)
		send_copy(e, "hello", 5, true);
	assert_int_equal(counted(e, SG_STAT_MIRROR_LIMITED), 3);
	assert_int_equal(counted(e, SG_STAT_MIRROR_DROPPED) + sg_mirroring_inflight(e->m) +
				 counted(e, SG_STAT_MIRROR_FAILED),
			 SG_MIRROR_MAX_PER_SECOND);
	run_until_inflight(e, 0);
	usleep(1100 * 1000);
	sg_loop_run_once(e->loop, 0);
	send_copy(e, "hello", 5, true);
	assert_int_equal(counted(e, SG_STAT_MIRROR_LIMITED), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_mirror_copy_reaches_the_backend_and_is_counted_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_mirror_copy_without_host_gets_the_backends_authority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_refused_is_counted_failed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mirror_copy_is_not_mirrored_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mirror_copies_a_second_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mirror_percentage_zero_sends_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mirror_bounds_drop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
