/* For the unit tests that assert on what the gateway prints (the access
 * log on stdout, a command's stdout and stderr): a standard stream sent
 * to a pipe while a case runs, then read back and restored. Include after
 * cmocka.h. */
#ifndef SG_TEST_CAPTURE_H
#define SG_TEST_CAPTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct test_capture {
	int fd;	   /* STDOUT_FILENO or STDERR_FILENO */
	int saved; /* the stream's own file, -1: not capturing */
	int pipe;  /* the read end */
};

/* Not capturing (before setup's first case). */
static inline void test_capture_init(struct test_capture *c)
{
	c->saved = -1;
}

/* What goes to fd from now on is kept (up to a pipe's 64 KiB). */
static inline void test_capture_start(struct test_capture *c, int fd)
{
	int p[2];

	fflush(stdout);
	fflush(stderr);
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	c->fd = fd;
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	c->pipe = p[0];
	assert_int_equal(dup2(p[1], fd), fd);
	close(p[1]);
}

/* The stream is back where it was; what went to it since
 * test_capture_start is in out[0..cap), NUL-terminated (out NULL: it is
 * dropped). Does nothing for a capture that ended (a case's teardown may
 * call it again). */
static inline void test_capture_end(struct test_capture *c, char *out, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	if (c->saved < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	c->saved = -1;
	while (out && len + 1 < cap && (n = read(c->pipe, out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	if (out)
		out[len] = '\0';
	close(c->pipe);
}

#endif
