/* For the unit tests of the HTTP/1 frontend (test_proxy, test_h1forward,
 * test_h1h2) and of TCP routes (test_tcpconn, which connects its clients
 * itself): a client on one end of a socketpair handed to sg_proxy_accept,
 * a loopback backend the test answers by hand between loop passes, and
 * what each side received. Include after cmocka.h. */
#ifndef SG_TEST_H1ENV_H
#define SG_TEST_H1ENV_H

#include "loopback.h"
#include "tests/unit/httpdate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/loop.h"
#include "user/core/backend.h"
#include "user/core/frontend.h"
#include "user/core/h2backend.h"
#include "user/core/stats.h"
#include "user/http1/proxy.h"
#include "user/tcp/tcpconn.h"

/* Room for the largest body a case moves (LARGE) and its head. */
#define BUF (256 * 1024)
#define LARGE (150 * 1024)

struct side {
	int fd; /* -1 once the test closed it */
	char in[BUF];
	size_t len;
	bool eof, reset; /* read 0; read ECONNRESET */
	bool paused;	 /* not read by the rounds: a client that does not drain */
	/* The client's: each Date line the gateway adds (RFC 9110 §6.6.1),
	 * checked to hold the time now, is taken out of `in` and counted, so
	 * that cases compare the rest as sent; `scanned`: `in` up to there
	 * has none left. */
	bool dated;
	unsigned dates;
	size_t scanned;
};

struct env {
	struct sg_loop *loop;
	struct sg_stats stats;
	struct sg_frontend f;
	int listener; /* the backend's */
	uint16_t port;
	int refused; /* bound, not listening: a connect there is refused */
	uint16_t refused_port;
	int saved_stdout, log_pipe; /* while the access log is captured */
	struct side client;
	struct side be[4]; /* backend connections, in accept order */
	int nbe;
	int client_sndbuf; /* SO_SNDBUF of the gateway's end of the client, if set */
};

static inline int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->loop = sg_loop_new();
	sg_stats_init(&e->stats);
	e->f.loop = e->loop;
	e->f.pool = sg_pool_new(e->loop);
	e->f.relays.download = e->f.relays.upload = e->f.relays.tunnel = SG_RELAY_COPY;
	e->f.stats = &e->stats;
	e->f.access_log = SG_ACCESS_LOG_OFF;
	sg_list_init(&e->f.clients);
	sg_list_init(&e->f.tcpconns);
	sg_list_init(&e->f.h2conns);
	e->listener = test_loopback(true, SOCK_NONBLOCK, &e->port);
	e->refused = test_loopback(false, SOCK_NONBLOCK, &e->refused_port);
	e->client.fd = -1;
	e->saved_stdout = e->log_pipe = -1;
	*state = e;
	return 0;
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	sg_proxy_close_all(&e->f);
	sg_tcpconn_close_all(&e->f);
	sg_loop_run_once(e->loop, 0);
	sg_h2b_pool_free(e->f.h2pool); /* NULL unless the case speaks HTTP/2 to backends */
	sg_pool_free(e->f.pool);
	sg_loop_run_once(e->loop, 0);
	sg_loop_free(e->loop);
	/* Every connection the case made was freed (user/base/slab.h). */
	assert_int_equal(sg_frontend_release_mem(&e->f), 0);
	assert_int_equal(e->f.client_mem.chunks + e->f.tcpconn_mem.chunks + e->f.h2conn_mem.chunks +
				 e->f.h2session_mem.chunks,
			 0);
	sg_cfg_unref(e->f.cfg);
	sg_stats_destroy(&e->stats);
	if (e->saved_stdout >= 0) { /* a case that failed while capturing */
		dup2(e->saved_stdout, STDOUT_FILENO);
		close(e->saved_stdout);
		close(e->log_pipe);
	}
	if (e->client.fd >= 0)
		close(e->client.fd);
	for (int i = 0; i < e->nbe; i++)
		if (e->be[i].fd >= 0)
			close(e->be[i].fd);
	close(e->listener);
	close(e->refused);
	free(e);
	return 0;
}

/* A client connects to the config in force's first bind, from
 * 127.0.0.1: one end of a socketpair handed to sg_proxy_accept, the
 * other e->client. */
static inline void connect_client(struct env *e)
{
	struct sockaddr_storage peer = { 0 };
	struct sockaddr_in *p4 = (struct sockaddr_in *)&peer;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	p4->sin_family = AF_INET;
	p4->sin_addr.s_addr = htonl(0x7f000001);
	memset(&e->client, 0, sizeof(e->client));
	e->client.fd = sv[0];
	e->client.dated = true;
	if (e->client_sndbuf)
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &e->client_sndbuf,
					    sizeof(e->client_sndbuf)),
				 0);
	sg_proxy_accept(&e->f, &e->f.cfg->binds[0], sv[1], &peer);
}

/* Config `text` in force (it must load). */
static inline void load_text(struct env *e, const char *text)
{
	struct sg_diag d;

	sg_diag_init(&d);
	e->f.cfg = sg_cfg_load_text("t.yaml", text, &d);
	if (!e->f.cfg)
		fail_msg("config: %s", d.n ? d.lines[0] : "?");
	sg_diag_free(&d);
}

/* The same, and a client connected. */
static inline void start_text(struct env *e, const char *text)
{
	load_text(e, text);
	connect_client(e);
}

/* Load the config and connect a client: `top` is YAML before binds:
 * (frontendPolicies, may be ""), `route` lines at a route's indent (its
 * matches and policies, may be ""), `hosts` its backends (NULL: the
 * test's backend alone). */
static inline void start_config(struct env *e, const char *top, const char *route, const char *hosts)
{
	char text[2048], one[64];

	snprintf(one, sizeof(one), "      - host: 127.0.0.1:%u\n", e->port);
	snprintf(text, sizeof(text),
		 "%s"
		 "binds:\n"
		 "- port: 8080\n"
		 "  listeners:\n"
		 "  - protocol: HTTP\n"
		 "    routes:\n"
		 "    - name: r\n"
		 "%s"
		 "      backends:\n"
		 "%s",
		 top, route, hosts ? hosts : one);
	start_text(e, text);
}

/* One HTTP route to the test's backend, with `policies` as YAML lines at
 * the route's policies: indent. */
static inline void start(struct env *e, const char *policies)
{
	start_config(e, "", policies, NULL);
}

/* Takes the gateway's Date lines out of s->in (struct side). A Date that
 * is not the time now (a backend's) stays. */
static inline void undate(struct side *s)
{
	static const char line[] = "\r\ndate: ";
	const size_t at = sizeof(line) - 1, whole = at + SG_HTTP_DATE_LEN + 2;
	char *p;

	while ((p = strstr(s->in + s->scanned, line))) {
		size_t off = (size_t)(p - s->in);

		if (s->len - off < whole) {
			s->scanned = off; /* the rest is still to come */
			return;
		}
		if (http_date_is_now(p + at) && !memcmp(p + at + SG_HTTP_DATE_LEN, "\r\n", 2)) {
			memmove(p + 2, p + whole, s->len - off - whole + 1);
			s->len -= whole - 2;
			s->dates++;
		}
		s->scanned = off + 1;
	}
	s->scanned = s->len > at ? s->len - at : 0;
}

/* Read what is there on s (non-blocking); EOF is only a read of 0. */
static inline void take(struct side *s)
{
	if (s->fd < 0 || s->paused)
		return;
	for (;;) {
		ssize_t n;

		assert_true(s->len < sizeof(s->in) - 1); /* a read of 0 would look like EOF */
		n = read(s->fd, s->in + s->len, sizeof(s->in) - 1 - s->len);

		if (n > 0) {
			s->len += (size_t)n;
			s->in[s->len] = '\0';
			if (s->dated)
				undate(s);
			continue;
		}
		if (n == 0)
			s->eof = true;
		else if (errno == ECONNRESET)
			s->reset = s->eof = true;
		else
			assert_int_equal(errno, EAGAIN);
		return;
	}
}

/* One round: a loop pass, then every side's bytes and new backend
 * connections taken. */
static inline void round_once(struct env *e)
{
	int fd;

	sg_loop_run_once(e->loop, 5);
	while ((fd = accept4(e->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(e->nbe < 4);
		memset(&e->be[e->nbe], 0, sizeof(e->be[0]));
		e->be[e->nbe++].fd = fd;
	}
	take(&e->client);
	for (int i = 0; i < e->nbe; i++)
		take(&e->be[i]);
}

/* Rounds until `cond` holds, for at most 3 s. */
#define UNTIL(e, cond)                                                                             \
	do {                                                                                       \
		for (int r_ = 0; r_ < 600 && !(cond); r_++)                                        \
			round_once(e);                                                             \
		if (!(cond))                                                                       \
			fail_msg("timed out waiting for %s", #cond);                               \
	} while (0)

static inline void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Whether `text` was received on s so far. */
static inline bool has(const struct side *s, const char *text)
{
	return strstr(s->in, text) != NULL;
}

/* Whether what s received so far begins with `text`. */
static inline bool starts(const struct side *s, const char *text)
{
	return !strncmp(s->in, text, strlen(text));
}

static inline void forget(struct side *s)
{
	s->len = s->scanned = 0;
	s->in[0] = '\0';
}

static inline uint64_t now_ms(struct env *e)
{
	sg_loop_update_time(e->loop);
	return sg_loop_now(e->loop);
}

/* Write all of data to fd, running rounds while the socket is full. */
static inline void feed(struct env *e, int fd, const char *data, size_t len)
{
	size_t off = 0;

	for (int r = 0; off < len && r < 600; r++) {
		ssize_t n = write(fd, data + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		assert_true(n == -1 && errno == EAGAIN);
		round_once(e);
	}
	assert_int_equal(off, len);
}

/* The backend connection s goes away with a reset (SO_LINGER 0). */
static inline void reset_side(struct side *s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	assert_int_equal(setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(s->fd);
	s->fd = -1;
}

/* How many times `text` was received on s. */
static inline int count(const struct side *s, const char *text)
{
	int n = 0;

	for (const char *p = strstr(s->in, text); p; p = strstr(p + 1, text))
		n++;
	return n;
}

/* Wait for backend connection i to have a whole request head. */
#define HEAD_AT(e, i) UNTIL(e, (e)->nbe > (i) && has(&(e)->be[i], "\r\n\r\n"))

/* A body of `len` bytes of a known pattern, at least LARGE + 1 long. */
static inline char *pattern(size_t len)
{
	char *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)('a' + (i * 7) % 26);
	return p;
}

/* Rounds for about `ms` milliseconds. */
static inline void pause_ms(struct env *e, uint64_t ms)
{
	uint64_t until = now_ms(e) + ms;

	while (now_ms(e) < until)
		round_once(e);
}

/* A tunnel between e->client and backend side `be` under a
 * --tunnel-idle-timeout of 300 ms (e->f.tunnel_idle_ms): a byte every 100
 * ms for 400 ms keeps it open; then, quiet both ways, both its sides are
 * closed within [250, 2000) ms, counted. */
static inline void tunnel_idles_out(struct env *e, struct side *be)
{
	uint64_t t0;

	for (int i = 0; i < 4; i++) {
		pause_ms(e, 100);
		say(e->client.fd, "x");
	}
	UNTIL(e, be->len == 4);
	assert_false(e->client.eof);
	t0 = now_ms(e);
	UNTIL(e, e->client.eof && be->eof);
	assert_in_range(now_ms(e) - t0, 250, 2000);
	assert_int_equal(e->stats.counters[SG_STAT_TIMEOUT_IDLE], 1);
}

/* Bytes received on s after the first head. */
static inline size_t body_len(const struct side *s)
{
	const char *end = strstr(s->in, "\r\n\r\n");

	return end ? s->len - (size_t)(end + 4 - s->in) : 0;
}

static inline void forget_backends(struct env *e)
{
	for (int i = 0; i < e->nbe; i++)
		forget(&e->be[i]);
}

/* The backend connection that received a whole head since the backends
 * were last forgotten, waited for (3 s at most). */
static inline struct side *next_head(struct env *e)
{
	for (int r = 0; r < 600; r++) {
		for (int i = 0; i < e->nbe; i++)
			if (has(&e->be[i], "\r\n\r\n"))
				return &e->be[i];
		round_once(e);
	}
	fail_msg("no request head reached the backend");
	return NULL;
}

/* Whether the client's bytes are a gateway answer of `status` with `body`,
 * closing (connection: close) or not. */
static inline void answered(const struct side *s, const char *status_line, const char *body, bool close)
{
	char want[512];

	snprintf(want, sizeof(want),
		 "%s\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n%s\r\n%s", status_line,
		 strlen(body), close ? "connection: close\r\n" : "", body);
	assert_string_equal(s->in, want);
}

#endif
