/* For the unit tests that reach a gateway running on its own thread or in
 * its own process (test_worker, test_gateway): blocking loopback clients
 * with generous bounds, dialling until a port accepts or refuses, reading
 * until a text came. Include after cmocka.h. */
#ifndef SG_TEST_DIALER_H
#define SG_TEST_DIALER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Each wait's bound: far beyond what any pass takes. */
#define WAIT_MS 10000

/* A port nothing listens on now. */
static inline uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A blocking connection to 127.0.0.1:port, or -1 with errno. */
static inline int dial(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Dial until a connection is `accepted` (true) or refused (false). */
static inline int dial_until(uint16_t port, bool accepted)
{
	for (uint64_t end = now_ms() + WAIT_MS; now_ms() < end; usleep(10000)) {
		int fd = dial(port);

		if (accepted && fd >= 0)
			return fd;
		if (!accepted && fd == -1 && errno == ECONNREFUSED)
			return -1;
		if (fd >= 0)
			close(fd);
	}
	fail_msg("port %u never %s", port, accepted ? "accepted" : "refused");
	return -1;
}

/* Read from fd into buf until `needle` is in it (or EOF when NULL). */
static inline void read_until(int fd, char *buf, size_t cap, const char *needle)
{
	size_t len = 0;

	buf[0] = '\0';
	while (!needle || !strstr(buf, needle)) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n == 0 && !needle)
			return;
		if (n <= 0)
			fail_msg("read: %s, have \"%s\"", n ? strerror(errno) : "EOF", buf);
		len += (size_t)n;
		buf[len] = '\0';
	}
}

static inline void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

#endif
