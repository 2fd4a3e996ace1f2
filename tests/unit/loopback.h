/* For the unit tests that need real loopback TCP (test_attempt, test_proxy,
 * test_relay, test_tls): a socket bound to 127.0.0.1 on a port of the
 * kernel's choice, and a connected pair. Include after cmocka.h. */
#ifndef SG_TEST_LOOPBACK_H
#define SG_TEST_LOOPBACK_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* Listening, it is a backend to accept from; bound but not listening, its
 * port refuses every connect. `flags`: SOCK_NONBLOCK or 0. */
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

/* A connected pair, both ends non-blocking. client_rcvbuf, unless 0, is
 * the client's SO_RCVBUF, set before connect() so that the window it
 * offers starts from it. */
static inline void test_tcp_pair(int *client, int *server, int client_rcvbuf)
{
	uint16_t port;
	int lfd = test_loopback(true, 0, &port);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*client >= 0);
	if (client_rcvbuf)
		assert_int_equal(setsockopt(*client, SOL_SOCKET, SO_RCVBUF, &client_rcvbuf,
					    sizeof(client_rcvbuf)),
				 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
	*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*server >= 0);
	close(lfd);
	assert_int_equal(fcntl(*client, F_SETFL, fcntl(*client, F_GETFL) | O_NONBLOCK), 0);
	assert_int_equal(fcntl(*server, F_SETFL, fcntl(*server, F_GETFL) | O_NONBLOCK), 0);
}

#endif
