/* For the unit tests that assert on what the gateway prints (the access
 * log on stdout, a command's stdout and stderr): a standard stream sent
 * to a pipe while a case runs, then read back and restored. Include after
 * cmocka.h. */
#ifndef SG_TEST_CAPTURE_H
#define SG_TEST_CAPTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* Log lines with their time of day taken out, so that a case compares
 * the rest exactly: a text line's leading "YYYY-MM-DDTHH:MM:SS.mmmZ " and
 * a JSON line's "time":"...", in place. */
static inline void test_log_untimed(char *s)
{
	static const char json_time[] = "{\"time\":\"";
	char *line = s;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t cut = 0, at = 0, len = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (len > 25 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z' && line[24] == ' ')
			cut = 25;
		else if (!strncmp(line, json_time, strlen(json_time)) && len > 35) {
			at = 1;
			cut = strlen(json_time) - 1 + 24 + 2; /* "time":"<24>", */
		}
		memmove(line + at, line + at + cut, strlen(line + at + cut) + 1);
		line += len - cut;
	}
}

#endif
