/* user/tcp/tcpconn.c: a TCP route's connection on a real loop
 * (tests/unit/h1env.h's backend, a loopback listener the test answers by
 * hand; the client a loopback TCP connection handed to sg_tcpconn_accept,
 * or to sg_tcpconn_start as a TLS listener's): bytes both ways, each EOF
 * passed on as a FIN and a reset as a reset, the idle and connect bounds,
 * a backend that refuses, a dynamic backend without a name, and what a
 * drain and a shutdown do to it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "h1env.h"
#include "policy/route.h"

/* A client connected to the config in force's first bind over loopback
 * TCP (a reset is one only there), from 127.0.0.1. */
static void connect_tcp(struct env *e)
{
	struct sockaddr_storage peer = { 0 };
	struct sockaddr_in *p4 = (struct sockaddr_in *)&peer;
	int gw;

	p4->sin_family = AF_INET;
	p4->sin_addr.s_addr = htonl(0x7f000001);
	memset(&e->client, 0, sizeof(e->client));
	test_tcp_pair(&e->client.fd, &gw, 0);
	sg_tcpconn_accept(&e->f, &e->f.cfg->binds[0], gw, &peer);
}

/* A TCP listener whose route goes to `port` (`top`: YAML before binds:),
 * and a client connected. */
static void start_tcp(struct env *e, const char *top, uint16_t port)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "%sbinds:\n- port: 9000\n  listeners:\n  - protocol: TCP\n    tcpRoutes:\n"
		 "    - backends: [{host: 127.0.0.1:%u}]\n",
		 top, port);
	load_text(e, text);
	connect_tcp(e);
}

/* Closes fd with RST. */
static void reset_close(int *fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	assert_int_equal(setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(*fd);
	*fd = -1;
}

/* Bytes go both ways as they are; the client's FIN reaches the backend
 * (which may still answer), the backend's close ends the connection, and
 * every byte is counted once, by the engine that moved it. */
static void test_tcpconn_both_ways(void **state)
{
	struct env *e = *state;

	start_tcp(e, "", e->port);
	UNTIL(e, e->nbe == 1);
	assert_int_equal(e->stats.counters[SG_STAT_CONNECTIONS], 1);
	assert_int_equal(e->stats.active, 1);
	say(e->client.fd, "GET / HTTP/1.1\r\n\r\nnot HTTP to the gateway");
	UNTIL(e, has(&e->be[0], "not HTTP to the gateway"));
	assert_string_equal(e->be[0].in, "GET / HTTP/1.1\r\n\r\nnot HTTP to the gateway");
	say(e->be[0].fd, "pong");
	UNTIL(e, has(&e->client, "pong"));
	shutdown(e->client.fd, SHUT_WR);
	UNTIL(e, e->be[0].eof);
	assert_false(e->be[0].reset);
	say(e->be[0].fd, " and late");
	UNTIL(e, has(&e->client, " and late"));
	assert_string_equal(e->client.in, "pong and late");
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->client.eof);
	assert_false(e->client.reset);
	UNTIL(e, e->stats.active == 0);
	assert_int_equal(e->stats.counters[SG_STAT_BYTES_COPY],
			 strlen("GET / HTTP/1.1\r\n\r\nnot HTTP to the gateway") +
				 strlen("pong and late"));
}

/* The backend's FIN first: the client reads EOF and may still send, and
 * its bytes reach the backend. */
static void test_tcpconn_backend_fin_first(void **state)
{
	struct env *e = *state;

	start_tcp(e, "", e->port);
	UNTIL(e, e->nbe == 1);
	say(e->be[0].fd, "banner");
	shutdown(e->be[0].fd, SHUT_WR);
	UNTIL(e, e->client.eof);
	assert_string_equal(e->client.in, "banner");
	say(e->client.fd, "after");
	UNTIL(e, has(&e->be[0], "after"));
	close(e->client.fd);
	e->client.fd = -1;
	UNTIL(e, e->be[0].eof);
	UNTIL(e, e->stats.active == 0);
}

/* A backend's reset reaches the client as a reset, not as a FIN that
 * would make a cut stream look whole; and the client's reaches the
 * backend. */
static void test_tcpconn_reset_passed_on(void **state)
{
	struct env *e = *state;

	start_tcp(e, "", e->port);
	UNTIL(e, e->nbe == 1);
	say(e->be[0].fd, "partial");
	UNTIL(e, has(&e->client, "partial"));
	reset_close(&e->be[0].fd);
	UNTIL(e, e->client.eof);
	assert_true(e->client.reset);
	UNTIL(e, e->stats.active == 0);

	close(e->client.fd);
	connect_tcp(e);
	UNTIL(e, e->nbe == 2);
	say(e->client.fd, "partial");
	UNTIL(e, has(&e->be[1], "partial"));
	reset_close(&e->client.fd);
	UNTIL(e, e->be[1].eof);
	assert_true(e->be[1].reset);
	UNTIL(e, e->stats.active == 0);
}

/* A backend that refuses: the client's connection is closed, not a byte
 * written to it. */
static void test_tcpconn_backend_refused(void **state)
{
	struct env *e = *state;

	start_tcp(e, "", e->refused_port);
	UNTIL(e, e->client.eof);
	assert_int_equal(e->client.len, 0);
	assert_int_equal(e->nbe, 0);
	UNTIL(e, e->stats.active == 0);
}

/* A backend that never answers the SYN (its accept queue full): the
 * connect timeout closes the client, counted. */
static void test_tcpconn_connect_timeout(void **state)
{
	struct env *e = *state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint16_t port;
	int full = test_loopback(false, SOCK_NONBLOCK, &port), queued;
	uint64_t t0;

	/* One connection fills a queue of 0 (the kernel keeps one more than
	 * the backlog): the next SYN is dropped, its connect never ends. */
	assert_int_equal(listen(full, 0), 0);
	a.sin_port = htons(port);
	queued = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(queued, (struct sockaddr *)&a, sizeof(a)), 0);
	t0 = now_ms(e);
	start_tcp(e, "config:\n  backend:\n    connectTimeout: 300ms\n", port);
	UNTIL(e, e->client.eof);
	assert_in_range(now_ms(e) - t0, 250, 2500);
	assert_int_equal(e->client.len, 0);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_CONNECT], 1);
	UNTIL(e, e->stats.active == 0);
	close(queued);
	close(full);
}

/* --tunnel-idle-timeout: a tunnel quiet both ways that long is closed,
 * both sides; bytes keep it open. */
static void test_tcpconn_idle_closed(void **state)
{
	struct env *e = *state;

	e->f.tunnel_idle_ms = 300;
	start_tcp(e, "", e->port);
	UNTIL(e, e->nbe == 1);
	tunnel_idles_out(e, &e->be[0]);
}

/* A drain leaves a TCP route's connection be (it has no request to
 * finish: bytes still go both ways, and it counts as active); the
 * shutdown that ends the grace period closes both its sides. */
static void test_tcpconn_drain_then_close_all(void **state)
{
	struct env *e = *state;

	start_tcp(e, "", e->port);
	UNTIL(e, e->nbe == 1);
	sg_proxy_drain(&e->f);
	say(e->client.fd, "still");
	UNTIL(e, has(&e->be[0], "still"));
	say(e->be[0].fd, "here");
	UNTIL(e, has(&e->client, "here"));
	assert_int_equal(e->stats.active, 1);
	sg_tcpconn_close_all(&e->f);
	UNTIL(e, e->client.eof && e->be[0].eof);
	assert_int_equal(e->stats.active, 0);
}

/* A TLS listener's route chosen by SNI, passed through (sg_tcpconn_start,
 * as user/tlspass.c hands it over): the hello's bytes, unread by then,
 * reach the backend first. A dynamic backend needs the SNI as a host
 * name: none, or an address, closes the client. */
static void test_tcpconn_tls_listener(void **state)
{
	static const char *const no_name[] = { NULL, "127.0.0.1" };
	struct env *e = *state;
	char text[512];
	int gw;

	snprintf(text, sizeof(text),
		 "binds:\n- port: 443\n  listeners:\n  - protocol: TLS\n    tcpRoutes:\n"
		 "    - backends: [{host: 127.0.0.1:%u}]\n"
		 "- port: 8443\n  listeners:\n  - protocol: TLS\n    tcpRoutes:\n"
		 "    - backends: [{dynamic: {}}]\n",
		 e->port);
	load_text(e, text);
	memset(&e->client, 0, sizeof(e->client));
	test_tcp_pair(&e->client.fd, &gw, 0);
	say(e->client.fd, "\x16\x03\x01 a hello");
	sg_tcpconn_start(&e->f, sg_cfg_ref(e->f.cfg), &e->f.cfg->binds[0],
			 sg_route_tcp(&e->f.cfg->binds[0].listeners[0]), gw, NULL, NULL,
			 "127.0.0.1", false, "example.com", 443);
	UNTIL(e, e->nbe == 1);
	UNTIL(e, has(&e->be[0], "a hello"));
	assert_string_equal(e->be[0].in, "\x16\x03\x01 a hello");
	close(e->be[0].fd);
	e->be[0].fd = -1;
	UNTIL(e, e->client.eof);

	for (size_t i = 0; i < sizeof(no_name) / sizeof(no_name[0]); i++) {
		close(e->client.fd);
		memset(&e->client, 0, sizeof(e->client));
		test_tcp_pair(&e->client.fd, &gw, 0);
		sg_tcpconn_start(&e->f, sg_cfg_ref(e->f.cfg), &e->f.cfg->binds[1],
				 sg_route_tcp(&e->f.cfg->binds[1].listeners[0]), gw, NULL, NULL,
				 "127.0.0.1", false, no_name[i], 8443);
		UNTIL(e, e->client.eof);
		assert_int_equal(e->client.len, 0);
	}
	assert_int_equal(e->nbe, 1);
	UNTIL(e, e->stats.active == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcpconn_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_backend_fin_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_reset_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_backend_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_connect_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_idle_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_drain_then_close_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpconn_tls_listener, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
