/* user/tcp/tunnel.c: both directions of a tunnel over real socket pairs (the
 * copy and splice(2) engines), each EOF passed on as a FIN, the end, a
 * broken side, the sockets' wanted events, the activity stamp, and auto's
 * verdict that a tunnel is interactive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/tcp/tunnel.h"

/* A client and a backend, each a TCP-like stream pair: the test plays the
 * far ends (client, backend), the tunnel owns the near ones (gw_c, gw_b). */
struct rig {
	int client, gw_c, gw_b, backend;
	struct sg_pump up, down;
	struct sg_tunnel t;
};

static void rig_open(struct rig *r, enum sg_relay_engine e, bool watch_turns)
{
	int a[2], b[2];

	memset(r, 0, sizeof(*r));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	r->client = a[0];
	r->gw_c = a[1];
	r->gw_b = b[0];
	r->backend = b[1];
	fcntl(r->gw_c, F_SETFL, O_NONBLOCK);
	fcntl(r->gw_b, F_SETFL, O_NONBLOCK);
	sg_pump_init(&r->up, e, r->gw_c, r->gw_b, UINT64_MAX);
	sg_pump_init(&r->down, e, r->gw_b, r->gw_c, UINT64_MAX);
	sg_tunnel_begin(&r->t, &r->up, &r->down, watch_turns, 1000);
}

static void rig_close(struct rig *r)
{
	sg_pump_release(&r->up);
	sg_pump_release(&r->down);
	close(r->client);
	close(r->gw_c);
	close(r->gw_b);
	if (r->backend != -1)
		close(r->backend);
}

/* Reads exactly n bytes from fd (blocking, 2 s at most) into buf. */
static void read_exactly(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k;

		assert_int_equal(poll(&p, 1, 2000), 1);
		k = read(fd, buf + got, n - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
}

/* fd's peer closed its half: a read waits (2 s at most) and gets 0. */
static void assert_eof(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(fd, &c, 1), 0);
}

/* No byte and no EOF waiting on fd. */
static void assert_quiet(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	assert_int_equal(poll(&p, 1, 0), 0);
}

/* n bytes of `fill` from `from` (the client or the backend) through the
 * tunnel to the other end; returns what the run said. */
static enum sg_tunnel_status burst(struct rig *r, int from, size_t n, char fill, uint64_t now)
{
	char out[32768], in[32768];
	enum sg_tunnel_status st;

	assert_true(n <= sizeof(out));
	memset(out, fill, n);
	assert_int_equal(write(from, out, n), (ssize_t)n);
	st = sg_tunnel_run(&r->t, now);
	read_exactly(from == r->client ? r->backend : r->client, in, n);
	assert_memory_equal(in, out, n);
	return st;
}

static void relays_both_ways_and_passes_each_eof(enum sg_relay_engine e)
{
	struct rig r;
	char buf[16];

	rig_open(&r, e, false);
	assert_int_equal(write(r.client, "hello", 5), 5);
	assert_int_equal(sg_tunnel_run(&r.t, 1001), SG_TUNNEL_OPEN);
	read_exactly(r.backend, buf, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(write(r.backend, "world!", 6), 6);
	assert_int_equal(sg_tunnel_run(&r.t, 1002), SG_TUNNEL_OPEN);
	read_exactly(r.client, buf, 6);
	assert_memory_equal(buf, "world!", 6);

	/* The client's FIN reaches the backend; the other way stays open. */
	shutdown(r.client, SHUT_WR);
	assert_int_equal(sg_tunnel_run(&r.t, 1003), SG_TUNNEL_OPEN);
	assert_true(r.t.up_done);
	assert_false(r.t.down_done);
	assert_eof(r.backend);
	assert_int_equal(write(r.backend, "late", 4), 4);
	assert_int_equal(sg_tunnel_run(&r.t, 1004), SG_TUNNEL_OPEN);
	read_exactly(r.client, buf, 4);
	assert_memory_equal(buf, "late", 4);
	assert_quiet(r.client);

	/* Then the backend's: the tunnel is over. */
	shutdown(r.backend, SHUT_WR);
	assert_int_equal(sg_tunnel_run(&r.t, 1005), SG_TUNNEL_DONE);
	assert_eof(r.client);
	assert_int_equal(r.up.moved, 5);
	assert_int_equal(r.down.moved, 10);
	rig_close(&r);
}

static void test_tunnel_copy_relays_both_ways_and_passes_each_eof(void **state)
{
	relays_both_ways_and_passes_each_eof(SG_RELAY_COPY);
}

static void test_tunnel_splice_relays_both_ways_and_passes_each_eof(void **state)
{
	relays_both_ways_and_passes_each_eof(SG_RELAY_SPLICE);
}

static void test_tunnel_broken_side_is_an_error(void **state)
{
	struct rig r;

	rig_open(&r, SG_RELAY_COPY, false);
	close(r.backend); /* gone without reading */
	r.backend = -1;
	assert_int_equal(write(r.client, "x", 1), 1);
	assert_int_equal(sg_tunnel_run(&r.t, 1001), SG_TUNNEL_ERROR);
	rig_close(&r);
}

static void test_tunnel_events_follow_each_direction(void **state)
{
	struct rig r;
	uint32_t cev, bev;

	rig_open(&r, SG_RELAY_COPY, false);
	sg_tunnel_events(&r.t, &cev, &bev);
	assert_int_equal(cev, EPOLLIN);
	assert_int_equal(bev, EPOLLIN);
	/* Bytes for the backend that it does not take: write-wait there,
	 * and the client is not read meanwhile. */
	r.up.pending = 1;
	sg_tunnel_events(&r.t, &cev, &bev);
	assert_int_equal(cev, 0);
	assert_int_equal(bev, EPOLLIN | EPOLLOUT);
	r.up.pending = 0;
	/* The client's half is over: only the backend is read. */
	shutdown(r.client, SHUT_WR);
	assert_int_equal(sg_tunnel_run(&r.t, 1001), SG_TUNNEL_OPEN);
	sg_tunnel_events(&r.t, &cev, &bev);
	assert_int_equal(cev, 0);
	assert_int_equal(bev, EPOLLIN);
	rig_close(&r);
}

static void test_tunnel_active_at_moves_with_bytes_only(void **state)
{
	struct rig r;

	rig_open(&r, SG_RELAY_COPY, false);
	assert_int_equal(r.t.active_at, 1000);
	assert_int_equal(sg_tunnel_run(&r.t, 2000), SG_TUNNEL_OPEN);
	assert_int_equal(r.t.active_at, 1000); /* nothing moved */
	burst(&r, r.backend, 3, 'b', 3000);
	assert_int_equal(r.t.active_at, 3000);
	rig_close(&r);
}

static void test_tunnel_interactive_after_four_turns(void **state)
{
	struct rig r;

	/* Small bursts, each answering the last: the fifth burst completes
	 * the fourth turn, and the tunnel says so once. */
	rig_open(&r, SG_RELAY_SPLICE, true);
	for (int i = 0; i < 4; i++)
		assert_int_equal(burst(&r, i % 2 ? r.backend : r.client, 100, 'a' + i, 1001 + i),
				 SG_TUNNEL_OPEN);
	assert_int_equal(burst(&r, r.client, 100, 'e', 1010), SG_TUNNEL_PROMOTE);
	assert_true(r.t.promoted);
	assert_int_equal(burst(&r, r.backend, 100, 'f', 1011), SG_TUNNEL_OPEN);
	rig_close(&r);

	/* Not watched (not auto, or on the socket map already): never. */
	rig_open(&r, SG_RELAY_COPY, false);
	for (int i = 0; i < 12; i++)
		assert_int_equal(burst(&r, i % 2 ? r.backend : r.client, 100, 'a', 1001 + i),
				 SG_TUNNEL_OPEN);
	rig_close(&r);
}

/* TLS passthrough: the handshake's four small turns (and the request's)
 * do not count; four more small turns do. */
static void test_tunnel_tls_needs_turns_past_the_handshake(void **state)
{
	struct rig r;

	rig_open(&r, SG_RELAY_COPY, true);
	sg_tunnel_tls(&r.t);
	for (int i = 0; i < 8; i++)
		assert_int_equal(burst(&r, i % 2 ? r.backend : r.client, 100, 'a' + i, 1001 + i),
				 SG_TUNNEL_OPEN);
	assert_false(r.t.promoted);
	assert_int_equal(burst(&r, r.client, 100, 'z', 1010), SG_TUNNEL_PROMOTE);
	rig_close(&r);
}

static void test_tunnel_big_burst_starts_the_count_again(void **state)
{
	struct rig r;
	int from[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	size_t size[] = { 100, 100, 100, 20000, 100, 100, 100, 100 };

	rig_open(&r, SG_RELAY_COPY, true);
	/* Turns 1-3, then a 20,000-byte answer (over 16 KiB): back to none;
	 * four more small turns are needed, so the ninth burst promotes. */
	for (int i = 0; i < 8; i++)
		assert_int_equal(burst(&r, from[i] ? r.backend : r.client, size[i], 'x', 1001 + i),
				 SG_TUNNEL_OPEN);
	assert_int_equal(burst(&r, r.client, 100, 'y', 1010), SG_TUNNEL_PROMOTE);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_copy_relays_both_ways_and_passes_each_eof),
		cmocka_unit_test(test_tunnel_splice_relays_both_ways_and_passes_each_eof),
		cmocka_unit_test(test_tunnel_broken_side_is_an_error),
		cmocka_unit_test(test_tunnel_events_follow_each_direction),
		cmocka_unit_test(test_tunnel_active_at_moves_with_bytes_only),
		cmocka_unit_test(test_tunnel_interactive_after_four_turns),
		cmocka_unit_test(test_tunnel_big_burst_starts_the_count_again),
		cmocka_unit_test(test_tunnel_tls_needs_turns_past_the_handshake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
