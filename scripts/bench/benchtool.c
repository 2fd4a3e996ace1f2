/* Helpers for scripts/bench.sh that no Debian package provides as such:
 * an HTTP upload sink that really reads every body byte, a TCP echo
 * server, a 64-byte ping-pong latency client (TCP or HTTP/1.1), and bulk
 * HTTP/1.1 clients that move every body byte through their own buffer
 * (curl, which W3 and W4 use, is the limit of an upload through a proxy).
 *
 *   benchtool sink PORT                 HTTP/1.1 keep-alive sink on 127.0.0.1
 *   benchtool echo PORT                 TCP echo on 127.0.0.1
 *   benchtool ping tcp|http PORT COUNT  prints "COUNT P50_US P99_US"
 *   benchtool get PORT PATH BYTES STREAMS [REQS]
 *       STREAMS connections at once (a thread each), each making REQS
 *       (default 1) GETs of PATH on one keep-alive connection; every
 *       answer must be a 200 with Content-Length BYTES, and that many
 *       body bytes are recv()'d into a buffer. Prints "TOTAL_BYTES SECONDS"
 *       (from the first connect to the last byte).
 *   benchtool put PORT PATH BYTES STREAMS
 *       STREAMS connections at once, each a PUT of PATH with Content-Length
 *       BYTES, sent from a buffer with send(); the answer must be the
 *       sink's 200 with the byte count it read, equal to BYTES. Prints
 *       "TOTAL_BYTES SECONDS" (from the first connect to the last answer).
 *   benchtool rusage FILE CMD [ARG...]
 *       runs CMD (a load generator) and appends to FILE a line of what it
 *       and the children it reaped cost, from wait4(2): "USER_S SYS_S
 *       VOLUNTARY INVOLUNTARY" (context switches: a voluntary one is a
 *       sleep, and a wake-up to come); exits as CMD did.
 *
 * Servers are thread-per-connection: the benchmark opens at most a few
 * dozen connections to them, and blocking code is the shortest path. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024)
#define PING_SIZE 64
#define PING_WARMUP 500
#define PING_DEADLINE_S 60
/* The bulk clients' buffer: curl reads 16 KiB at a time and sends 64 KiB. */
#define XFER_BUF (256 * 1024)
#define XFER_STREAMS_MAX 64
#define XFER_DEADLINE_S 120

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

/* ---- bulk clients --------------------------------------------------------- */

struct xfer {
	pthread_t thread;
	int port;
	const char *path;
	uint64_t bytes; /* each body: expected (get) or sent (put) */
	long reqs;	/* requests on the connection (get) */
	bool upload;
	uint64_t moved; /* body bytes received, or confirmed by the sink */
	char err[256];	/* empty: every check passed */
};

static int xfer_connect(struct xfer *x)
{
	struct sockaddr_in sa = loopback(x->port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1) {
		snprintf(x->err, sizeof(x->err), "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(x->err, sizeof(x->err), "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads a response head into buf (capacity cap), checks the status is 200
 * and returns its Content-Length in *clen; *len is what was read, *hl the
 * head's length (the body's first bytes follow it). -1: x->err says why. */
static int read_head(struct xfer *x, int fd, char *buf, size_t cap, size_t *len, size_t *hl,
		     uint64_t *clen)
{
	char *end = NULL, *cl;
	size_t scan = HEAD_MAX < cap - 1 ? HEAD_MAX : cap - 1;

	*len = 0;
	while (!end) {
		ssize_t r = recv(fd, buf + *len, scan - *len, 0);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(x->err, sizeof(x->err), "response head: %s",
				 r == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		*len += (size_t)r;
		buf[*len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end && *len == scan) {
			snprintf(x->err, sizeof(x->err), "response head over %zu bytes", scan);
			return -1;
		}
	}
	end += 4;
	*hl = (size_t)(end - buf);
	end[-2] = '\0'; /* the head alone for header() and the messages */
	if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0) {
		snprintf(x->err, sizeof(x->err), "status line: %.60s", buf);
		return -1;
	}
	if (header(buf, "transfer-encoding") || !(cl = (char *)header(buf, "content-length"))) {
		snprintf(x->err, sizeof(x->err), "no Content-Length in the response");
		return -1;
	}
	*clen = strtoull(cl, NULL, 10);
	return 0;
}

static void xfer_get(struct xfer *x, char *buf)
{
	int fd = xfer_connect(x);
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", x->path);

	if (fd == -1)
		return;
	for (long i = 0; i < x->reqs; i++) {
		size_t len, hl;
		uint64_t clen, got;

		if (write_all(fd, req, (size_t)n) == -1) {
			snprintf(x->err, sizeof(x->err), "request %ld: send: %s", i,
				 strerror(errno));
			break;
		}
		if (read_head(x, fd, buf, XFER_BUF, &len, &hl, &clen) == -1)
			break;
		if (clen != x->bytes) {
			snprintf(x->err, sizeof(x->err),
				 "Content-Length %" PRIu64 ", expected %" PRIu64, clen, x->bytes);
			break;
		}
		got = len - hl;
		while (got < clen) {
			ssize_t r = recv(fd, buf, XFER_BUF, 0);

			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				snprintf(x->err, sizeof(x->err),
					 "body: %s after %" PRIu64 " of %" PRIu64 " bytes",
					 r == 0 ? "connection closed" : strerror(errno), got, clen);
				break;
			}
			got += (uint64_t)r;
		}
		if (x->err[0])
			break;
		if (got != clen) { /* one response at a time: nothing may follow */
			snprintf(x->err, sizeof(x->err), "%" PRIu64 " bytes past the body",
				 got - clen);
			break;
		}
		x->moved += got;
	}
	close(fd);
}

static void xfer_put(struct xfer *x, char *buf)
{
	int fd = xfer_connect(x);
	char head[512], *body;
	int n = snprintf(head, sizeof(head),
			 "PUT %s HTTP/1.1\r\nHost: bench\r\n"
			 "Content-Type: application/octet-stream\r\n"
			 "Content-Length: %" PRIu64 "\r\n\r\n",
			 x->path, x->bytes);
	uint64_t left = x->bytes, clen, count;
	size_t len, hl;

	if (fd == -1)
		return;
	memset(buf, 'u', XFER_BUF);
	if (write_all(fd, head, (size_t)n) == -1) {
		snprintf(x->err, sizeof(x->err), "send head: %s", strerror(errno));
		goto out;
	}
	while (left > 0) {
		ssize_t w = send(fd, buf, left < XFER_BUF ? (size_t)left : XFER_BUF, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(x->err, sizeof(x->err),
				 "send body: %s after %" PRIu64 " of %" PRIu64 " bytes",
				 strerror(errno), x->bytes - left, x->bytes);
			goto out;
		}
		left -= (uint64_t)w;
	}
	if (read_head(x, fd, buf, XFER_BUF, &len, &hl, &clen) == -1)
		goto out;
	if (clen > 64) {
		snprintf(x->err, sizeof(x->err), "sink answer of %" PRIu64 " bytes", clen);
		goto out;
	}
	body = buf + hl;
	if (len - hl < clen && read_full(fd, buf + len, (size_t)(clen - (len - hl))) == -1) {
		snprintf(x->err, sizeof(x->err), "sink answer cut short");
		goto out;
	}
	body[clen] = '\0';
	count = strtoull(body, NULL, 10);
	if (count != x->bytes) {
		snprintf(x->err, sizeof(x->err), "the sink read %" PRIu64 " of %" PRIu64 " bytes",
			 count, x->bytes);
		goto out;
	}
	x->moved = count;
out:
	close(fd);
}

static void *xfer_run(void *arg)
{
	struct xfer *x = arg;
	char *buf = malloc(XFER_BUF + 1);

	if (!buf) {
		snprintf(x->err, sizeof(x->err), "out of memory");
		return NULL;
	}
	if (x->upload)
		xfer_put(x, buf);
	else
		xfer_get(x, buf);
	free(buf);
	return NULL;
}

static int xfer(bool upload, int port, const char *path, uint64_t bytes, int streams, long reqs)
{
	struct xfer *xs = calloc((size_t)streams, sizeof(*xs));
	uint64_t t0, t1, total = 0, want = 0;
	int bad = 0;

	if (!xs)
		die("calloc");
	t0 = now_ns();
	for (int i = 0; i < streams; i++) {
		xs[i] = (struct xfer){
			.port = port, .path = path, .bytes = bytes, .reqs = reqs, .upload = upload
		};
		if (pthread_create(&xs[i].thread, NULL, xfer_run, &xs[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < streams; i++)
		pthread_join(xs[i].thread, NULL);
	t1 = now_ns();
	for (int i = 0; i < streams; i++) {
		total += xs[i].moved;
		want += upload ? bytes : bytes * (uint64_t)reqs;
		if (xs[i].err[0]) {
			fprintf(stderr, "benchtool %s: stream %d: %s\n", upload ? "put" : "get",
				i + 1, xs[i].err);
			bad = 1;
		}
	}
	free(xs);
	if (bad || total != want) {
		if (!bad)
			fprintf(stderr, "benchtool: moved %" PRIu64 " of %" PRIu64 " bytes\n",
				total, want);
		return 1;
	}
	printf("%" PRIu64 " %.6f\n", total, (t1 - t0) / 1e9);
	return 0;
}

static int rusage_run(const char *file, char **cmd)
{
	struct rusage ru;
	int status;
	FILE *f;
	pid_t pid = fork();

	if (pid == -1) {
		perror("benchtool: fork");
		return 1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL); /* main() ignores it; CMD gets the default */
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("benchtool: wait4");
			return 1;
		}
	}
	f = fopen(file, "a");
	if (!f ||
	    fprintf(f, "%ld.%06ld %ld.%06ld %ld %ld\n", (long)ru.ru_utime.tv_sec,
		    (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
		    ru.ru_nvcsw, ru.ru_nivcsw) < 0 ||
	    fclose(f) != 0) {
		perror(file);
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "get") == 0) {
		int streams = atoi(argv[5]);
		long reqs = argc == 7 ? atol(argv[6]) : 1;

		if (streams > 0 && streams <= XFER_STREAMS_MAX && reqs > 0) {
			alarm(XFER_DEADLINE_S);
			return xfer(false, atoi(argv[2]), argv[3], strtoull(argv[4], NULL, 10),
				    streams, reqs);
		}
	}
	if (argc == 6 && strcmp(argv[1], "put") == 0) {
		int streams = atoi(argv[5]);

		if (streams > 0 && streams <= XFER_STREAMS_MAX) {
			alarm(XFER_DEADLINE_S);
			return xfer(true, atoi(argv[2]), argv[3], strtoull(argv[4], NULL, 10),
				    streams, 1);
		}
	}
	if (argc >= 4 && strcmp(argv[1], "rusage") == 0)
		return rusage_run(argv[2], argv + 3);
	fprintf(stderr,
		"usage: benchtool sink PORT | echo PORT | ping tcp|http PORT COUNT\n"
		"       | get PORT PATH BYTES STREAMS [REQS] | put PORT PATH BYTES STREAMS\n"
		"       | rusage FILE CMD [ARG...]\n");
	return 1;
}
