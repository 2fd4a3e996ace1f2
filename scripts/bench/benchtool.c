/* Helpers for scripts/bench.sh that no Debian package provides as such:
 * an HTTP upload sink that really reads every body byte, a TCP echo
 * server, and a 64-byte ping-pong latency client (TCP or HTTP/1.1).
 *
 *   benchtool sink PORT                 HTTP/1.1 keep-alive sink on 127.0.0.1
 *   benchtool echo PORT                 TCP echo on 127.0.0.1
 *   benchtool ping tcp|http PORT COUNT  prints "COUNT P50_US P99_US"
 *
 * Servers are thread-per-connection: the benchmark opens at most a few
 * dozen connections to them, and blocking code is the shortest path. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024)
#define PING_SIZE 64
#define PING_WARMUP 500
#define PING_DEADLINE_S 60

static void die(const char *what)
{
	fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until `want` bytes are in buf; 0 on success, -1 on EOF or error. */
static int read_full(int fd, char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = read(fd, buf + got, want - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* ---- servers ---------------------------------------------------------- */

static int listen_on(int port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("bind");
	if (listen(fd, 1024) == -1)
		die("listen");
	return fd;
}

static void serve(int port, void *(*fn)(void *))
{
	int lfd = listen_on(port);

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;

		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if (pthread_create(&t, NULL, fn, (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	int one = 1;
	char buf[64 * 1024];
	ssize_t n;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) == -1)
			break;
	close(fd);
	return NULL;
}

/* Case-insensitive header value lookup in a NUL-terminated head. */
static const char *header(const char *head, const char *name)
{
	size_t len = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
			p += len + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Discards `n` body bytes. MSG_TRUNC makes TCP drop them without a copy
 * to userspace, so the sink costs less than any proxy in front of it. */
static int discard(int fd, uint64_t n)
{
	static char scratch[1];

	while (n > 0) {
		size_t want = n > (1u << 30) ? (1u << 30) : (size_t)n;
		ssize_t r = recv(fd, scratch, want, MSG_TRUNC);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n -= (uint64_t)r;
	}
	return 0;
}

/* Parses one request head out of buf[0..*len); returns the head length
 * (0: incomplete). Fills body length and the keep-alive decision. */
static size_t parse_head(char *buf, size_t len, uint64_t *body, int *keep, int *expect)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4);
	char saved;
	const char *v;

	if (!end)
		return 0;
	end += 4;
	saved = *end;
	*end = '\0';
	*body = 0;
	if ((v = header(buf, "content-length")))
		*body = strtoull(v, NULL, 10);
	*keep = !(((v = header(buf, "connection")) && strncasecmp(v, "close", 5) == 0) ||
		  strstr(buf, " HTTP/1.0\r\n"));
	*expect = (v = header(buf, "expect")) && strncasecmp(v, "100-continue", 12) == 0;
	if (header(buf, "transfer-encoding"))
		*keep = -1; /* chunked is not needed by the benchmark: refuse it */
	*end = saved;
	return (size_t)(end - buf);
}

/* One keep-alive connection: every request's body is read and dropped,
 * and the answer's body is the byte count, so the client can check that
 * the whole upload arrived. */
static void *sink_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(HEAD_MAX);
	size_t len = 0;

	while (buf) {
		uint64_t body;
		int keep, expect;
		size_t hl;
		ssize_t r;
		char resp[256];
		uint64_t in_buf;

		while (!(hl = parse_head(buf, len, &body, &keep, &expect))) {
			if (len == HEAD_MAX)
				goto out;
			r = read(fd, buf + len, HEAD_MAX - len);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		if (keep == -1) {
			static const char e[] = "HTTP/1.1 501 Not Implemented\r\n"
						"Content-Length: 0\r\nConnection: close\r\n\r\n";
			write_all(fd, e, sizeof(e) - 1);
			goto out;
		}
		if (expect && write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) == -1)
			goto out;
		in_buf = len - hl < body ? len - hl : body;
		if (discard(fd, body - in_buf) == -1)
			goto out;
		/* Keep pipelined bytes that followed this body. */
		memmove(buf, buf + hl + in_buf, len - hl - (size_t)in_buf);
		len -= hl + (size_t)in_buf;
		{
			char count[32];
			int cl = snprintf(count, sizeof(count), "%llu\n", (unsigned long long)body);
			int n = snprintf(resp, sizeof(resp),
					 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
					 "Content-Length: %d\r\n%s\r\n%s",
					 cl, keep ? "" : "Connection: close\r\n", count);

			if (write_all(fd, resp, (size_t)n) == -1 || !keep)
				goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return NULL;
}

/* ---- ping-pong client ------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int ping_tcp(int fd)
{
	static char out[PING_SIZE], in[PING_SIZE];

	if (out[0] == 0)
		memset(out, 'p', sizeof(out));
	if (write_all(fd, out, sizeof(out)) == -1 || read_full(fd, in, sizeof(in)) == -1)
		return -1;
	return memcmp(in, out, sizeof(in)) == 0 ? 0 : -1;
}

/* One GET of the 64-byte file; the status must be 200 and the body
 * exactly PING_SIZE bytes. Responses are read one at a time, so nothing
 * follows the body. */
static int ping_http(int fd)
{
	static const char req[] = "GET /64b HTTP/1.1\r\nHost: bench\r\n\r\n";
	char buf[4096];
	size_t len = 0;
	char *end = NULL;
	const char *cl;

	if (write_all(fd, req, sizeof(req) - 1) == -1)
		return -1;
	while (!end) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end && len == sizeof(buf) - 1)
			return -1;
	}
	end += 4;
	if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0)
		return -1;
	cl = header(buf, "content-length");
	if (!cl || strtoul(cl, NULL, 10) != PING_SIZE)
		return -1;
	len -= (size_t)(end - buf);
	if (len > PING_SIZE)
		return -1;
	return read_full(fd, buf, PING_SIZE - len);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int ping(const char *mode, int port, long count)
{
	struct sockaddr_in sa = loopback(port);
	int (*fn)(int) = strcmp(mode, "http") == 0 ? ping_http : ping_tcp;
	uint64_t *lat = calloc((size_t)count, sizeof(*lat));
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (!lat || fd == -1)
		die("setup");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (long i = 0; i < PING_WARMUP + count; i++) {
		uint64_t t0 = now_ns();

		if (fn(fd) == -1) {
			fprintf(stderr, "benchtool: ping %s: bad or missing answer at round %ld\n",
				mode, i);
			return 1;
		}
		if (i >= PING_WARMUP)
			lat[i - PING_WARMUP] = now_ns() - t0;
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	/* Nearest-rank percentiles. */
	printf("%ld %.1f %.1f\n", count, lat[(count * 50 + 99) / 100 - 1] / 1e3,
	       lat[(count * 99 + 99) / 100 - 1] / 1e3);
	close(fd);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		serve(atoi(argv[2]), sink_conn);
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		serve(atoi(argv[2]), echo_conn);
	if (argc == 5 && strcmp(argv[1], "ping") == 0 && atol(argv[4]) > 0) {
		/* A stuck proxy must not stall the whole benchmark. */
		alarm(PING_DEADLINE_S);
		return ping(argv[2], atoi(argv[3]), atol(argv[4]));
	}
	fprintf(stderr, "usage: benchtool sink PORT | echo PORT | ping tcp|http PORT COUNT\n");
	return 1;
}
