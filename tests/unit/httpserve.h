/* For the unit tests whose module asks an HTTP/1 service (test_trace's
 * collector, test_tokenx's token endpoint, test_mcphttp's MCP server):
 * one request read whole off a loopback listener between passes of the
 * module's loop, answered as the test says (or its connection kept, for
 * a stream). Include after cmocka.h. */
#ifndef SG_TEST_HTTPSERVE_H
#define SG_TEST_HTTPSERVE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/base/loop.h"

/* Passes of `loop` (each waiting up to 5 ms) until one whole request (a
 * head and its Content-Length body, none without one) came to listening
 * socket lfd: the request in buf[0..cap) (NUL-terminated), *len its
 * length, *head_len its head's bytes. Returns its connection (the
 * caller's, non-blocking), unanswered. The test fails when none came in
 * 4000 passes. */
static inline int test_http_take(struct sg_loop *loop, int lfd, char *buf, size_t cap, size_t *len,
				 size_t *head_len)
{
	size_t need = 0;
	int fd = -1;

	*len = *head_len = 0;
	buf[0] = '\0';
	for (int i = 0; i < 4000; i++) {
		ssize_t n;
		char *eoh;

		sg_loop_run_once(loop, 5);
		if (fd < 0 && (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
			continue;
		while ((n = read(fd, buf + *len, cap - 1 - *len)) > 0)
			*len += (size_t)n;
		buf[*len] = '\0';
		if (!need && (eoh = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\ncontent-length:");

			*head_len = (size_t)(eoh + 4 - buf);
			need = *head_len + (cl && cl < eoh ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (need && *len >= need) {
			assert_int_equal(*len, need);
			return fd;
		}
	}
	fail_msg("no whole request came (%zu bytes)", *len);
	return -1;
}

/* The same, the request answered `answer` and its connection closed.
 * Returns its length. */
static inline size_t test_http_serve(struct sg_loop *loop, int lfd, const char *answer, char *buf,
				     size_t cap, size_t *head_len)
{
	size_t len;
	int fd = test_http_take(loop, lfd, buf, cap, &len, head_len);

	assert_int_equal(write(fd, answer, strlen(answer)), (ssize_t)strlen(answer));
	close(fd);
	return len;
}

/* An answer: `status` (its line's rest), header lines `lines` (each
 * ending "\r\n"), `body` with its Content-Length, the connection closed
 * after it (a static buffer, until the next call). */
static inline const char *test_http_answer(const char *status, const char *lines, const char *body)
{
	static char out[8192];

	assert_true((size_t)snprintf(out, sizeof(out),
				     "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n"
				     "\r\n%s",
				     status, lines, strlen(body), body) < sizeof(out));
	return out;
}

#endif
