/* user/core/preface.c: a connection's PROXY protocol header on a real
 * loopback TCP connection and loop: the destination it names is where the
 * connection arrived for the request (sg_preface_local_addr), and only for
 * that connection, not a later one on the same fd number; while it waits
 * for its header it holds a place in the port's maxConnections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/base/loop.h"
#include "user/base/net.h"
#include "user/core/admit.h"
#include "user/core/preface.h"
#include "user/core/stats.h"

struct env {
	struct sg_frontend f;
	struct sg_stats stats;
	struct sg_bind bind;
	int listener;
	struct sockaddr_in addr;
	int handed;  /* the fd the preface handed on; -1: none yet */
	char ip[64]; /* the client it named */
};

static void next(void *owner, uint16_t port, int fd, const struct sockaddr_storage *peer)
{
	struct env *e = owner;

	e->handed = fd;
	sg_net_ip_str(peer, e->ip, sizeof(e->ip));
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	socklen_t len = sizeof(e->addr);

	assert_non_null(e);
	e->f.loop = sg_loop_new();
	assert_non_null(e->f.loop);
	sg_stats_init(&e->stats);
	e->f.stats = &e->stats;
	e->f.admit = sg_admit_new();
	sg_list_init(&e->f.prefaces);
	e->bind.port = 8080;
	e->bind.proxy.versions = SG_PROXY_V1 | SG_PROXY_V2;
	e->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e->addr.sin_family = AF_INET;
	e->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(e->listener, (struct sockaddr *)&e->addr, sizeof(e->addr)), 0);
	assert_int_equal(listen(e->listener, 8), 0);
	assert_int_equal(getsockname(e->listener, (struct sockaddr *)&e->addr, &len), 0);
	e->handed = -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_preface_close_all(&e->f);
	sg_loop_run_once(e->f.loop, 0);
	sg_preface_free(&e->f);
	sg_loop_free(e->f.loop);
	sg_admit_free(e->f.admit);
	sg_stats_destroy(&e->stats);
	close(e->listener);
	free(e);
	return 0;
}

/* A client connects and writes `hdr`; its accepted socket goes to the
 * preface. Returns the client's end. */
static int client(struct env *e, const char *hdr)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	assert_int_equal(connect(c, (struct sockaddr *)&e->addr, sizeof(e->addr)), 0);
	if (*hdr)
		assert_int_equal(send(c, hdr, strlen(hdr), 0), (ssize_t)strlen(hdr));
	fd = accept4(e->listener, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	e->handed = -1;
	sg_preface_accept(&e->f, &e->bind, fd, &peer, next, e);
	for (int i = 0; i < 50 && e->handed < 0 && *hdr; i++)
		sg_loop_run_once(e->f.loop, 20);
	return c;
}

static void assert_local(struct env *e, int fd, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	char got[64];

	assert_int_equal(sg_preface_local_addr(&e->f, fd, &ss), 0);
	assert_string_equal(sg_net_ip_str(&ss, got, sizeof(got)), ip);
	assert_int_equal(sg_net_port(&ss), port);
}

static void test_preface_destination_is_the_headers(void **state)
{
	struct env *e = *state;
	int c = client(e, "PROXY TCP4 203.0.113.7 10.0.0.1 40000 8443\r\n"), fd = e->handed;

	assert_true(fd >= 0);
	assert_string_equal(e->ip, "203.0.113.7");
	assert_local(e, fd, "10.0.0.1", 8443);
	/* Without the frontend: the socket's own. */
	{
		struct sockaddr_storage ss;

		assert_int_equal(sg_preface_local_addr(NULL, fd, &ss), 0);
		assert_int_equal(sg_net_port(&ss), ntohs(e->addr.sin_port));
	}
	close(fd);
	close(c);
	/* The next connection gets the same fd number; its header names no
	 * addresses (a balancer's health check): its own address stands. */
	c = client(e, "PROXY UNKNOWN\r\n");
	assert_int_equal(e->handed, fd);
	assert_local(e, fd, "127.0.0.1", ntohs(e->addr.sin_port));
	close(e->handed);
	close(c);
}

static void test_preface_waiting_holds_a_place(void **state)
{
	struct env *e = *state;
	int c = client(e, "");

	assert_int_equal(e->handed, -1);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_CONN, 8080), 1);
	e->bind.max_connections = 1;
	{
		int c2 = client(e, "PROXY TCP4 203.0.113.7 10.0.0.1 40000 8443\r\n");
		char b;

		/* Refused at accept: closed unread (a reset: its header was
		 * not read), never handed on. */
		assert_int_equal(e->handed, -1);
		assert_true(recv(c2, &b, 1, 0) <= 0);
		close(c2);
	}
	assert_int_equal(e->stats.counters[SG_STAT_REFUSED_MAX_CONN], 1);
	/* Its header comes: handed on, the place given back (the next stage
	 * counts the connection as the header's client). */
	assert_int_equal(send(c, "PROXY TCP4 203.0.113.7 10.0.0.1 40000 8443\r\n", 44, 0), 44);
	for (int i = 0; i < 50 && e->handed < 0; i++)
		sg_loop_run_once(e->f.loop, 20);
	assert_true(e->handed >= 0);
	assert_int_equal(sg_admit_count(e->f.admit, SG_ADMIT_CONN, 8080), 0);
	close(e->handed);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_preface_destination_is_the_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_preface_waiting_holds_a_place, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
