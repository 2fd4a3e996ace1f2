/* For the unit tests that need real loopback TCP (test_attempt, test_proxy):
 * a socket bound to 127.0.0.1 on a port of the kernel's choice. Listening,
 * it is a backend to accept from; bound but not listening, its port
 * refuses every connect. `flags`: SOCK_NONBLOCK or 0. Include after
 * cmocka.h. */
#ifndef SG_TEST_LOOPBACK_H
#define SG_TEST_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

static inline int test_loopback(bool listening, int flags, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (listening)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

#endif
