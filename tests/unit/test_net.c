/* Tests for user/net.c: address parsing and socket options read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "user/net.h"

static void test_net_parses_addresses(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "127.0.0.1:15000", "127.0.0.1:15000" },
		{ "0.0.0.0:8080", "0.0.0.0:8080" },
		{ ":8080", "0.0.0.0:8080" },
		{ "[::1]:15000", "[::1]:15000" },
	};
	static const char *const bad[] = { "127.0.0.1",	   "127.0.0.1:", "127.0.0.1:70000",
					   "localhost:80", "[::1:80",	 "1.2.3.4:8x" };
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[80];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(sg_net_parse_addr(ok[i].in, &ss, &len), 0);
		assert_string_equal(sg_net_addr_str(&ss, buf, sizeof(buf)), ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sg_net_parse_addr(bad[i], &ss, &len), -1);
}

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, opt, &v, &len), 0);
	return v;
}

static void test_net_keepalive_options_read_back(void **state)
{
	struct sg_keepalive ka = { .enabled = true,
				   .time = SG_DUR_S(30),
				   .interval = SG_DUR_MS(4500), /* rounds up to 5 */
				   .retries = 3 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(sg_net_keepalive(fd, &ka), 0);
	assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	ka.enabled = false;
	assert_int_equal(sg_net_keepalive(fd, &ka), 0);
	assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	assert_int_equal(sg_net_nodelay(fd), 0);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	close(fd);
}

static void test_net_listen_reuseport(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a, b;
	struct sockaddr_in got;
	socklen_t glen = sizeof(got);
	char addr[32];

	assert_int_equal(sg_net_parse_addr("127.0.0.1:0", &ss, &len), 0);
	a = sg_net_listen(&ss, len, true);
	assert_int_not_equal(a, -1);
	assert_int_equal(getsockname(a, (struct sockaddr *)&got, &glen), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(got.sin_port));
	assert_int_equal(sg_net_parse_addr(addr, &ss, &len), 0);
	b = sg_net_listen(&ss, len, true); /* a second worker's socket */
	assert_int_not_equal(b, -1);
	close(b);
	b = sg_net_listen(&ss, len, false); /* without REUSEPORT: in use */
	assert_int_equal(b, -1);
	close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_parses_addresses),
		cmocka_unit_test(test_net_keepalive_options_read_back),
		cmocka_unit_test(test_net_listen_reuseport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
