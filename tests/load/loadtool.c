/* Load tool for scripts/load.sh and tests/e2e/load-connections.sh: `hold`
 * opens and holds many keep-alive connections through the gateway, checks
 * that each one answers, measures the gateway's RSS and fds per idle
 * connection, then pushes a fixed number of requests and counts every error;
 * `serve` is a minimal keep-alive HTTP/1.1 origin answering every request
 * with a fixed body. One thread, epoll, no dependencies.
 *
 *   loadtool hold --port P --conns N --requests R [--conc C] [--window W]
 *                 [--path /p] [--body-len L] [--pid GATEWAY_PID]
 *                 [--idle-ms MS] [--timeout-ms MS] [--deadline-s S]
 *   loadtool serve --port P [--body-len L]
 *
 * hold prints one line per phase and a last line `RESULT key=value ...`;
 * it exits 0 only when every connection was held and answered and no
 * request failed. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { C_FREE, C_CONNECTING, C_IDLE, C_SENT, C_DEAD };

struct conn {
	int fd;
	enum state state;
	uint64_t deadline_ms;
	size_t head_len; /* bytes of the response head buffered so far */
	long long body_left;
	bool in_body;
	char head[2048];
};

struct opts {
	int port;
	long conns, requests, conc, window;
	const char *path;
	long long body_len; /* -1: any */
	int pid;
	long idle_ms, timeout_ms, deadline_s;
};

struct counts {
	long held, answered, ok;
	long connect_err, status_err, io_err, timeouts, closed;
};

static struct opts o = { .port = 0,
			 .conns = 1000,
			 .requests = 0,
			 .conc = 64,
			 .window = 256,
			 .path = "/",
			 .body_len = -1,
			 .pid = 0,
			 .idle_ms = 2000,
			 .timeout_ms = 10000,
			 .deadline_s = 300 };
static struct counts n;
static struct conn *conns;
static int ep;
static char request[512];
static size_t request_len;
static uint64_t end_ms; /* the whole run's deadline */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* VmRSS (kB) and open fds of pid, 0 when unknown. */
static void proc_usage(int pid, long *rss_kb, long *fds)
{
	char path[64], line[256];
	struct dirent *e;
	FILE *f;
	DIR *d;

	*rss_kb = *fds = 0;
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			*rss_kb = atol(line + 6);
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		*fds += e->d_name[0] != '.';
	if (d)
		closedir(d);
}

static void watch(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(ep, op, c->fd, &ev);
}

static void kill_conn(struct conn *c, long *counter)
{
	(*counter)++;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = C_DEAD;
}

static void start_connect(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(o.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		fprintf(stderr, "socket: %s\n", strerror(errno));
		kill_conn(c, &n.connect_err);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS) {
		fprintf(stderr, "connect: %s\n", strerror(errno));
		kill_conn(c, &n.connect_err);
		return;
	}
	c->state = C_CONNECTING;
	c->deadline_ms = now_ms() + (uint64_t)o.timeout_ms;
	watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static bool send_request(struct conn *c)
{
	ssize_t w = send(c->fd, request, request_len, MSG_NOSIGNAL);

	if (w != (ssize_t)request_len) {
		kill_conn(c, &n.io_err);
		return false;
	}
	c->state = C_SENT;
	c->head_len = 0;
	c->in_body = false;
	c->deadline_ms = now_ms() + (uint64_t)o.timeout_ms;
	return true;
}

/* A complete head in c->head: status 200 and a Content-Length, else -1. */
static int parse_head(struct conn *c, size_t end)
{
	char *p = c->head, *line;
	long long cl = -1;

	c->head[end] = '\0';
	if (strncmp(p, "HTTP/1.1 200 ", 13) != 0)
		return -1;
	for (line = strstr(p, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
		if (!strncasecmp(line + 2, "content-length:", 15))
			cl = atoll(line + 17);
		else if (!strncasecmp(line + 2, "connection: close", 17))
			return -1;
	}
	if (cl < 0 || (o.body_len >= 0 && cl != o.body_len))
		return -1;
	c->body_left = cl;
	return 0;
}

/* Reads what c has. Returns 1 when a whole response arrived, 0 for more. */
static int on_readable(struct conn *c)
{
	char buf[65536];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (r == 0) {
			kill_conn(c, &n.closed);
			return -1;
		}
		if (r == -1) {
			if (errno == EAGAIN)
				return 0;
			kill_conn(c, &n.io_err);
			return -1;
		}
		if (c->state != C_SENT) { /* bytes nobody asked for */
			kill_conn(c, &n.status_err);
			return -1;
		}
		while (!c->in_body && off < (size_t)r) {
			char *end;

			if (c->head_len == sizeof(c->head) - 1) {
				kill_conn(c, &n.status_err);
				return -1;
			}
			c->head[c->head_len++] = buf[off++];
			c->head[c->head_len] = '\0';
			end = c->head_len >= 4 ? strstr(c->head + c->head_len - 4, "\r\n\r\n")
					       : NULL;
			if (!end)
				continue;
			if (parse_head(c, c->head_len) == -1) {
				fprintf(stderr, "bad response: %.80s\n", c->head);
				kill_conn(c, &n.status_err);
				return -1;
			}
			c->in_body = true;
		}
		if (c->in_body) {
			c->body_left -= (long long)((size_t)r - off);
			if (c->body_left < 0) {
				kill_conn(c, &n.status_err);
				return -1;
			}
			if (c->body_left == 0) {
				c->state = C_IDLE;
				return 1;
			}
		}
	}
}

/* Fails every request past its deadline; returns how many. */
static long expire(struct conn *set, long count)
{
	uint64_t now = now_ms();
	long k = 0;

	for (long i = 0; i < count; i++) {
		struct conn *c = &set[i];

		if ((c->state == C_SENT || c->state == C_CONNECTING) && now >= c->deadline_ms) {
			kill_conn(c, c->state == C_SENT ? &n.timeouts : &n.connect_err);
			k++;
		}
	}
	return k;
}

/* Opens o.conns connections, at most o.window connecting at once. */
static void phase_connect(void)
{
	long next = 0, pending = 0, done = 0;
	struct epoll_event evs[512];

	while (done < o.conns && now_ms() < end_ms) {
		while (next < o.conns && pending < o.window) {
			start_connect(&conns[next++]);
			if (conns[next - 1].state == C_CONNECTING)
				pending++;
			else
				done++;
		}
		int k = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			int err = 0;
			socklen_t len = sizeof(err);

			if (c->state == C_IDLE) { /* closed or talking while idle */
				on_readable(c);
				continue;
			}
			if (c->state != C_CONNECTING)
				continue;
			pending--;
			done++;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				fprintf(stderr, "connect: %s\n", strerror(err));
				kill_conn(c, &n.connect_err);
				continue;
			}
			c->state = C_IDLE;
			n.held++;
			/* EPOLLRDHUP while idle means the gateway let go of it. */
			watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		}
		long x = expire(conns, next);

		pending -= x;
		done += x;
	}
}

/* One request on every live connection, o.window in flight at a time. */
static void phase_round(void)
{
	long next = 0, pending = 0;
	struct epoll_event evs[512];

	while ((next < o.conns || pending > 0) && now_ms() < end_ms) {
		while (next < o.conns && pending < o.window) {
			struct conn *c = &conns[next++];

			if (c->state == C_IDLE && send_request(c))
				pending++;
		}
		int k = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			bool was_sent = c->state == C_SENT;
			int r;

			if (c->state == C_DEAD)
				continue;
			r = on_readable(c);
			if (r == 1) {
				n.answered++;
				pending--;
			} else if (r == -1 && was_sent) {
				pending--;
			}
		}
		pending -= expire(conns, next);
	}
}

/* o.requests requests over the first o.conc connections, one at a time on
 * each (keep-alive, no pipelining). */
static double phase_push(void)
{
	long sent = 0, pending = 0, conc = o.conc < o.conns ? o.conc : o.conns;
	uint64_t t0 = now_ms();
	struct epoll_event evs[512];

	for (long i = 0; i < conc && sent < o.requests; i++)
		if (conns[i].state == C_IDLE && send_request(&conns[i])) {
			sent++;
			pending++;
		}
	while (pending > 0 && now_ms() < end_ms) {
		int k = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			bool was_sent = c->state == C_SENT;
			int r;

			if (c->state == C_DEAD)
				continue;
			r = on_readable(c);
			if (r == 0)
				continue;
			if (r == 1)
				n.ok++;
			if (r == 1 || was_sent)
				pending--;
			if (r == 1 && sent < o.requests && send_request(c)) {
				sent++;
				pending++;
			}
		}
		pending -= expire(conns, conc);
	}
	/* Requests never sent (connections died, or the deadline) are errors
	 * too: they are counted as what is missing from ok. */
	return (double)(now_ms() - t0) / 1000.0;
}

static long errors(void)
{
	return n.connect_err + n.status_err + n.io_err + n.timeouts + n.closed;
}

static int hold(void)
{
	long rss0, fd0, rss1, fd1;
	uint64_t t0;
	double secs = 0;
	long answered1;

	conns = calloc((size_t)o.conns, sizeof(*conns));
	if (!conns)
		return 2;
	for (long i = 0; i < o.conns; i++)
		conns[i].fd = -1;
	request_len = (size_t)snprintf(
		request, sizeof(request),
		"GET %s HTTP/1.1\r\nHost: load\r\nUser-Agent: loadtool\r\n\r\n", o.path);
	end_ms = now_ms() + (uint64_t)o.deadline_s * 1000;
	proc_usage(o.pid, &rss0, &fd0);

	t0 = now_ms();
	phase_connect();
	printf("connected %ld of %ld in %.2f s\n", n.held, o.conns, (now_ms() - t0) / 1000.0);
	t0 = now_ms();
	phase_round();
	answered1 = n.answered;
	printf("answered %ld of %ld (each connection once) in %.2f s\n", answered1, o.conns,
	       (now_ms() - t0) / 1000.0);
	usleep((useconds_t)o.idle_ms * 1000);
	proc_usage(o.pid, &rss1, &fd1);
	if (o.pid > 0)
		printf("gateway: rss %ld -> %ld kB (%.0f bytes per idle connection), fds %ld -> "
		       "%ld\n",
		       rss0, rss1, n.held ? (rss1 - rss0) * 1024.0 / n.held : 0.0, fd0, fd1);
	t0 = now_ms();
	phase_round();
	printf("answered %ld of %ld again after %ld ms idle, in %.2f s\n", n.answered - answered1,
	       o.conns, o.idle_ms, (now_ms() - t0) / 1000.0);
	if (o.requests > 0) {
		secs = phase_push();
		printf("pushed %ld of %ld requests over %ld connections in %.2f s (%.0f req/s)\n",
		       n.ok, o.requests, o.conc, secs, secs > 0 ? n.ok / secs : 0.0);
	}
	printf("RESULT conns=%ld held=%ld answered=%ld requests=%ld ok=%ld errors=%ld "
	       "connect_err=%ld status_err=%ld io_err=%ld timeouts=%ld closed=%ld "
	       "rss_base_kb=%ld rss_idle_kb=%ld rss_per_conn_b=%.0f fds_base=%ld fds_idle=%ld "
	       "push_s=%.2f rps=%.0f\n",
	       o.conns, n.held, n.answered, o.requests, n.ok, errors() + (o.requests - n.ok),
	       n.connect_err, n.status_err, n.io_err, n.timeouts, n.closed, rss0, rss1,
	       n.held ? (rss1 - rss0) * 1024.0 / n.held : 0.0, fd0, fd1, secs,
	       secs > 0 ? n.ok / secs : 0.0);
	fflush(stdout);
	for (long i = 0; i < o.conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return n.held == o.conns && n.answered == 2 * o.conns && n.ok == o.requests && errors() == 0
		       ? 0
		       : 1;
}

/* ---- serve ---------------------------------------------------------------- */

struct sconn {
	int fd;
	size_t in_len;
	char in[8192];
	size_t out_len, out_off;
	char *out;
};

static char *response;
static size_t response_len;

static void serve_close(struct sconn *s)
{
	close(s->fd);
	free(s->out);
	free(s);
}

/* Answers every complete request head in s->in. -1: close. */
static int serve_input(struct sconn *s)
{
	char *end;

	while ((end = memmem(s->in, s->in_len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end + 4 - s->in);
		char *grown = realloc(s->out, s->out_len + response_len);

		if (!grown)
			return -1;
		s->out = grown;
		memcpy(s->out + s->out_len, response, response_len);
		s->out_len += response_len;
		memmove(s->in, s->in + used, s->in_len - used);
		s->in_len -= used;
	}
	return s->in_len == sizeof(s->in) ? -1 : 0;
}

static int serve_flush(struct sconn *s)
{
	while (s->out_off < s->out_len) {
		ssize_t w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);

		if (w == -1)
			return errno == EAGAIN ? 0 : -1;
		s->out_off += (size_t)w;
	}
	s->out_off = s->out_len = 0;
	return 0;
}

static void serve_event(struct sconn *s)
{
	struct epoll_event ev = { .data.ptr = s };

	for (;;) {
		ssize_t r = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);

		if (r == 0 || (r == -1 && errno != EAGAIN)) {
			serve_close(s);
			return;
		}
		if (r == -1)
			break;
		s->in_len += (size_t)r;
		if (serve_input(s) == -1) {
			serve_close(s);
			return;
		}
	}
	if (serve_flush(s) == -1) {
		serve_close(s);
		return;
	}
	ev.events = EPOLLIN | (s->out_len ? EPOLLOUT : 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static int serve(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(o.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t blen = o.body_len >= 0 ? (size_t)o.body_len : 100;
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	int l, one = 1, head;

	response = malloc(256 + blen);
	if (!response)
		return 2;
	head = snprintf(
		response, 256,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", blen);
	memset(response + head, 'x', blen);
	response_len = (size_t)head + blen;
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(l, 4096) == -1) {
		fprintf(stderr, "serve: 127.0.0.1:%d: %s\n", o.port, strerror(errno));
		return 2;
	}
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	printf("serving 127.0.0.1:%d, %zu-byte bodies\n", o.port, blen);
	fflush(stdout);
	for (;;) {
		int k = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < k; i++) {
			struct sconn *s = evs[i].data.ptr;

			if (s) {
				serve_event(s);
				continue;
			}
			for (;;) {
				int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd == -1)
					break;
				s = calloc(1, sizeof(*s));
				if (!s) {
					close(fd);
					continue;
				}
				s->fd = fd;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.events = EPOLLIN;
				ev.data.ptr = s;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			}
		}
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: loadtool hold --port P --conns N --requests R [--conc C] "
			"[--window W] [--path /p] [--body-len L] [--pid PID] [--idle-ms MS] "
			"[--timeout-ms MS] [--deadline-s S]\n"
			"       loadtool serve --port P [--body-len L]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--port"))
			o.port = atoi(v);
		else if (!strcmp(k, "--conns"))
			o.conns = atol(v);
		else if (!strcmp(k, "--requests"))
			o.requests = atol(v);
		else if (!strcmp(k, "--conc"))
			o.conc = atol(v);
		else if (!strcmp(k, "--window"))
			o.window = atol(v);
		else if (!strcmp(k, "--path"))
			o.path = v;
		else if (!strcmp(k, "--body-len"))
			o.body_len = atoll(v);
		else if (!strcmp(k, "--pid"))
			o.pid = atoi(v);
		else if (!strcmp(k, "--idle-ms"))
			o.idle_ms = atol(v);
		else if (!strcmp(k, "--timeout-ms"))
			o.timeout_ms = atol(v);
		else if (!strcmp(k, "--deadline-s"))
			o.deadline_s = atol(v);
		else
			return usage();
	}
	if (o.port <= 0 || o.conns <= 0 || o.window <= 0 || o.conc <= 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!strcmp(argv[1], "hold"))
		return hold();
	if (!strcmp(argv[1], "serve"))
		return serve();
	return usage();
}
