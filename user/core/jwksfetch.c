/* Remote JWKS over the gateway's HTTP/1.1 client (the contract is
 * jwksfetch.h): one request per fetch, on a connection of its own closed
 * after ("Connection: close") or on one its caller keeps between fetches
 * (struct sg_fetch_conn), with non-blocking sockets and poll(2) against
 * one deadline, on the caller's thread. */
#include "user/core/jwksfetch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "policy/failure.h"
#include "user/auth/jwksremote.h"
#include "user/auth/jwt.h"
#include "user/base/dns.h"
#include "user/base/log.h"
#include "user/codec/h1.h"
#include "user/codec/h1chunk.h"
#include "user/tls/tls.h"

/* A connection kept between fetches: its origin, socket and TLS. */
struct sg_fetch_conn {
	char host[256];
	uint16_t port;
	bool tls;
	int fd;
	struct sg_tls_client *client;
	struct sg_tls *t;
};

/* One fetch under way. */
struct get {
	const char *url;
	char host[256], path[2048];
	uint16_t port;
	const char *dial_addr; /* connect there instead (sg_fetch's); NULL: host */
	uint16_t dial_port;
	bool tls;
	const struct sg_backend_tls *tlscfg; /* NULL: the system's CAs */
	int fd;
	struct sg_tls_client *client;
	struct sg_tls *t;
	bool keep;     /* the caller keeps the connection if it can */
	bool reused;   /* the connection is a kept one */
	bool dropped;  /* the server closed or reset it */
	bool reusable; /* the answer left it fit for another request */
	int64_t deadline;
	int timeout_ms;
	const int *stop; /* readable: give up */
	char *err;
	size_t errlen;
	char *buf; /* what was read: head, then body; grows to max + a head */
	size_t len, cap, max;
};

/* The buffer's first size, and the room a head gets beside the body. */
#define FETCH_BUF_FIRST 16384
#define FETCH_HEAD_ROOM 16384

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static int fail(struct get *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, g->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* http[s]://host[:port][/path] into g (the config checked the scheme). */
static int parse_url(struct get *g)
{
	const char *u = g->url, *a, *end, *colon = NULL;
	unsigned long port;

	g->tls = !strncmp(u, "https://", 8);
	a = u + (g->tls ? 8 : 7);
	end = a + strcspn(a, "/?");
	if (*a == '[') { /* an IPv6 literal */
		const char *close = memchr(a, ']', (size_t)(end - a));

		if (!close || close - a - 1 >= (long)sizeof(g->host))
			return fail(g, "bad host in %s", u);
		memcpy(g->host, a + 1, (size_t)(close - a - 1));
		g->host[close - a - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		if ((colon ? colon : end) - a >= (long)sizeof(g->host) ||
		    (colon ? colon : end) == a)
			return fail(g, "bad host in %s", u);
		memcpy(g->host, a, (size_t)((colon ? colon : end) - a));
		g->host[(colon ? colon : end) - a] = '\0';
	}
	port = g->tls ? 443 : 80;
	if (colon) {
		char *e;

		port = strtoul(colon + 1, &e, 10);
		if (e != end || port == 0 || port > 65535)
			return fail(g, "bad port in %s", u);
	}
	g->port = (uint16_t)port;
	snprintf(g->path, sizeof(g->path), "%s%s", *end == '/' ? "" : "/", end);
	return 0;
}

/* Waits until fd is ready for `events`, within the deadline, unless
 * the stop descriptor is readable first. */
static int wait_fd(struct get *g, short events, const char *what)
{
	struct pollfd pfd[2] = { { g->fd, events, 0 }, { g->stop ? *g->stop : -1, POLLIN, 0 } };
	int64_t left = g->deadline - mono_ms();
	int n;

	do
		n = left > 0 ? poll(pfd, g->stop ? 2 : 1, (int)left) : 0;
	while (n == -1 && errno == EINTR && (left = g->deadline - mono_ms()) > 0);
	if (n == 0)
		return fail(g, "%s: timed out after %d ms", what, g->timeout_ms);
	if (n > 0 && pfd[1].revents)
		return fail(g, "stopped");
	return n < 0 ? fail(g, "%s: %s", what, strerror(errno)) : 0;
}

static int dial(struct get *g)
{
	struct sg_dns_addrs addrs;
	int rc = g->dial_addr ? sg_dns_lookup(g->dial_addr, g->dial_port, 0, &addrs)
			      : sg_dns_lookup(g->host, g->port, 0, &addrs),
	    soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (rc)
		return fail(g, "%s: %s", g->host, sg_fail_cause(rc));
	/* the first address only: a JWKS host is one service */
	g->fd = socket(addrs.ss[0].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd == -1)
		return fail(g, "socket: %s", strerror(errno));
	if (connect(g->fd, (struct sockaddr *)&addrs.ss[0], addrs.len[0]) == -1) {
		if (errno != EINPROGRESS)
			return fail(g, "connect %s:%u: %s", g->host, g->port, strerror(errno));
		if (wait_fd(g, POLLOUT, "connect") < 0)
			return -1;
		if (getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 || soerr)
			return fail(g, "connect %s:%u: %s", g->host, g->port,
				    strerror(soerr ? soerr : errno));
	}
	return 0;
}

static int handshake(struct get *g)
{
	static const struct sg_backend_tls system_cas;
	char why[200];
	uint32_t want = 0;
	int rc;

	g->client = sg_tls_client_new(g->tlscfg ? g->tlscfg : &system_cas, false, why, sizeof(why));
	if (!g->client)
		return fail(g, "tls: %s", why);
	g->t = sg_tls_connect(g->client, g->fd, g->host);
	if (!g->t)
		return fail(g, "tls: out of memory");
	while ((rc = sg_tls_handshake(g->t, &want, why, sizeof(why))) == 0)
		if (wait_fd(g, (short)want, "tls handshake") < 0)
			return -1;
	return rc < 0 ? fail(g, "tls: %s", why) : 0;
}

static int send_all(struct get *g, const char *p, size_t n)
{
	while (n) {
		ssize_t k = sg_sock_send(g->t, g->fd, p, n, MSG_NOSIGNAL);

		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k == -1 && errno == EAGAIN) {
			if (wait_fd(g, POLLOUT, "send") < 0)
				return -1;
		} else if (k == -1 && errno != EINTR) {
			g->dropped = errno == EPIPE || errno == ECONNRESET;
			return fail(g, "send: %s", strerror(errno));
		}
	}
	return 0;
}

/* More bytes into g->buf: > 0, 0 at EOF, -1 failed (err set). */
static ssize_t more(struct get *g)
{
	for (;;) {
		ssize_t k;

		if (g->len == g->cap) {
			size_t cap = g->cap * 2 < g->max + FETCH_HEAD_ROOM
					     ? g->cap * 2
					     : g->max + FETCH_HEAD_ROOM;
			char *grown;

			if (cap == g->cap)
				return fail(g, "answer over %zu bytes", g->max);
			if (!(grown = realloc(g->buf, cap)))
				return fail(g, "out of memory");
			g->buf = grown;
			g->cap = cap;
		}
		k = sg_sock_recv(g->t, g->fd, g->buf + g->len, g->cap - g->len, 0);
		if (k >= 0) {
			g->len += (size_t)k;
			g->dropped = k == 0;
			return k;
		}
		if (errno == EAGAIN) {
			if (wait_fd(g, POLLIN, "read") < 0)
				return -1;
		} else if (errno != EINTR) {
			g->dropped = errno == ECONNRESET;
			return fail(g, "read: %s", strerror(errno));
		}
	}
}

/* RFC 9111 1.2.2: a delta-seconds too large to represent is taken as
 * 2^31 s, so that no later sum overflows; jwksremote.c bounds the refresh
 * much lower still. */
#define DELTA_SECONDS_MAX ((int64_t)1 << 31)

/* The "max-age=" that starts a directive of v (not "x-max-age="), NULL:
 * none. */
static const char *max_age_at(const char *v)
{
	for (const char *m = v; (m = strcasestr(m, "max-age=")); m++)
		if (m == v || m[-1] == ',' || m[-1] == ' ' || m[-1] == '\t')
			return m;
	return NULL;
}

/* Cache-Control's max-age in ms (0: none, no-cache / no-store, or a value
 * that is not delta-seconds). Digits only, as RFC 9111's 1*DIGIT: a sign
 * ("-5") or a trailing letter ("5x") is no max-age, and a value past
 * 2^31 s is 2^31 s (strtoll took "-5", and 9223372036854775807 overflowed
 * once multiplied by 1000). The quoted form (max-age="300") is taken too,
 * as RFC 9111 5.2 asks of a recipient. */
static int64_t max_age(const struct sg_h1_resp *resp)
{
	const struct sg_h1_span *cc = sg_h1_resp_header(resp, "cache-control");
	char v[256];
	const char *m;
	int64_t s = 0;
	bool quoted;

	if (!cc || cc->len >= sizeof(v))
		return 0;
	memcpy(v, cc->p, cc->len);
	v[cc->len] = '\0';
	if (strcasestr(v, "no-cache") || strcasestr(v, "no-store") || !(m = max_age_at(v)))
		return 0;
	m += strlen("max-age=");
	quoted = *m == '"';
	m += quoted;
	if (*m < '0' || *m > '9')
		return 0;
	/* s is at most 2^31 * 10 + 9 however many digits come: no overflow */
	for (; *m >= '0' && *m <= '9'; m++)
		if (s <= DELTA_SECONDS_MAX)
			s = s * 10 + (*m - '0');
	if (quoted && *m++ != '"')
		return 0;
	if (*m && *m != ',' && *m != ' ' && *m != '\t')
		return 0;
	return (s < DELTA_SECONDS_MAX ? s : DELTA_SECONDS_MAX) * 1000;
}

/* After `enough` ended the read of a body at g->buf[..keep), on a
 * connection to keep: the rest of it read and dropped, for
 * SG_FETCH_LINGER_MS at most; true when it ended there, with no byte
 * after. `at`: where the bytes not yet decoded start (st: the chunked
 * framing's state); `left`: the bytes a length-framed body still has. A
 * failure here only costs the connection: its text goes nowhere. */
static bool linger(struct get *g, enum sg_h1_body kind, struct sg_h1_chunked *st, size_t keep,
		   size_t at, uint64_t left)
{
	int64_t until = mono_ms() + SG_FETCH_LINGER_MS;
	char *err = g->err, scratch[160];
	size_t errlen = g->errlen;
	bool done = false, ok = false;

	if (kind != SG_H1_BODY_CHUNKED && kind != SG_H1_BODY_LENGTH)
		return false;
	g->err = scratch;
	g->errlen = sizeof(scratch);
	if (until < g->deadline)
		g->deadline = until;
	for (;;) {
		while (kind == SG_H1_BODY_CHUNKED && !done && at < g->len) {
			struct sg_h1_span d;
			ssize_t c = sg_h1_chunked_decode(st, g->buf + at, g->len - at, &d, &done);

			if (c < 0)
				goto out;
			at += (size_t)c;
		}
		if (kind == SG_H1_BODY_LENGTH) {
			if (g->len - at > left)
				goto out; /* bytes of no answer */
			left -= g->len - at;
			at = g->len;
			done = !left;
		}
		if (done) {
			ok = at == g->len;
			goto out;
		}
		memmove(g->buf + keep, g->buf + at, g->len - at);
		g->len = keep + (g->len - at);
		at = keep;
		if (more(g) <= 0)
			goto out;
	}
out:
	g->err = err;
	g->errlen = errlen;
	return ok;
}

/* The body after the head at g->buf[head..len), read to its end or until
 * f->enough finds the part read enough, into out's body. */
static int body(struct get *g, const struct sg_fetch *f, struct sg_fetched *out,
		const struct sg_h1_resp *resp, size_t head)
{
	enum sg_h1_body kind = sg_h1_response_body(resp, false);
	struct sg_h1_chunked st = { 0 };
	size_t at = head, n = 0, dropped = 0; /* dropped: bytes a stream's enough had */
	bool done = false, ended = false;     /* ended: the body's own end was read */
	ssize_t k = 1;

	if (kind == SG_H1_BODY_LENGTH && !f->stream && (uint64_t)resp->content_length > g->max)
		return fail(g, "answer over %zu bytes", g->max);
	while (!done) {
		if (kind == SG_H1_BODY_LENGTH)
			done = dropped + g->len - head >= (size_t)resp->content_length;
		while (kind == SG_H1_BODY_CHUNKED && !done && at < g->len) {
			struct sg_h1_span d;
			ssize_t c = sg_h1_chunked_decode(&st, g->buf + at, g->len - at, &d, &done);

			if (c < 0)
				return fail(g, "malformed chunked body");
			/* the data moves down over the framing already read */
			memmove(g->buf + head + n, d.p, d.len);
			n += d.len;
			at += (size_t)c;
		}
		if (kind != SG_H1_BODY_CHUNKED) /* past a length: bytes of no answer */
			n = kind == SG_H1_BODY_LENGTH && done
				    ? (size_t)resp->content_length - dropped
				    : g->len - head;
		ended = done;
		if (!done && f->enough && f->enough(f->arg, out, g->buf + head, n)) {
			done = true;
			g->reusable = g->keep && !f->stream &&
				      linger(g, kind, &st, head + n,
					     kind == SG_H1_BODY_CHUNKED ? at : head + n,
					     kind == SG_H1_BODY_LENGTH
						     ? (uint64_t)resp->content_length - dropped - n
						     : 0);
		}
		if (!done && f->stream) { /* what enough had goes; framing not read yet stays */
			size_t rest = kind == SG_H1_BODY_CHUNKED ? g->len - at : 0;

			memmove(g->buf + head, g->buf + at, rest);
			dropped += n;
			g->len = head + rest;
			at = head;
			n = 0;
		}
		if (done || kind == SG_H1_BODY_NONE || (k = more(g)) <= 0)
			break;
	}
	if (k < 0)
		return -1;
	if (!done && kind != SG_H1_BODY_CLOSE && kind != SG_H1_BODY_NONE)
		return fail(g, "the answer ended early");
	/* The connection may carry another request when the body ended
	 * exactly where its framing says (no byte of no answer after it). */
	if (ended || kind == SG_H1_BODY_NONE)
		g->reusable = g->keep && !f->stream &&
			      (kind == SG_H1_BODY_NONE	    ? g->len == head
			       : kind == SG_H1_BODY_CHUNKED ? at == g->len
			       : kind == SG_H1_BODY_LENGTH
				       ? g->len - head == (size_t)resp->content_length - dropped
				       : false);
	g->reusable = g->reusable && resp->keep_alive && resp->minor == 1;
	if (!(out->body = malloc(n + 1)))
		return fail(g, "out of memory");
	memcpy(out->body, g->buf + head, n);
	out->body[n] = '\0';
	out->len = n;
	return 0;
}

/* Response header `name` into out[0..size) when it fits and every byte
 * is visible ASCII (spaces too with `spaces`); else "". */
static void header_copy(const struct sg_h1_resp *resp, const char *name, bool spaces, char *out,
			size_t size)
{
	const struct sg_h1_span *v = sg_h1_resp_header(resp, name);

	out[0] = '\0';
	if (!v || !v->len || v->len >= size)
		return;
	for (size_t i = 0; i < v->len; i++)
		if ((unsigned char)v->p[i] > 0x7e ||
		    (unsigned char)v->p[i] < (spaces ? 0x20 : 0x21))
			return;
	memcpy(out, v->p, v->len);
	out[v->len] = '\0';
}

/* The request, then the answer's head and body: any status. */
static int exchange(struct get *g, const struct sg_fetch *f, struct sg_fetched *out)
{
	struct sg_h1_header h[64];
	struct sg_h1_resp resp = { .headers = h, .headers_cap = 64 };
	char req[16384]; /* an openapi target's request carries its client's headers */
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nAccept: %s\r\n"
			 "User-Agent: splicegate\r\n%s%s",
			 f->method ? f->method : "GET", g->path, strchr(g->host, ':') ? "[" : "",
			 g->host, strchr(g->host, ':') ? "]" : "", g->port,
			 f->accept ? f->accept : "application/json",
			 g->keep ? "" : "Connection: close\r\n", f->headers ? f->headers : "");
	enum sg_h1_result rc = SG_H1_PARTIAL;

	if (n >= 0 && (size_t)n < sizeof(req) && f->body)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Content-Length: %zu\r\n",
			      f->body_len);
	if (n < 0 || (size_t)n + 2 >= sizeof(req))
		return fail(g, "URL or headers too long");
	memcpy(req + n, "\r\n", 2);
	if (send_all(g, req, (size_t)n + 2) < 0 ||
	    (f->body && send_all(g, f->body, f->body_len) < 0))
		return -1;
	while (rc == SG_H1_PARTIAL) {
		ssize_t k = more(g);

		if (k <= 0)
			return k < 0 ? -1 : fail(g, "closed before an answer");
		rc = sg_h1_parse_response(g->buf, g->len, 64, &resp);
	}
	if (rc != SG_H1_DONE)
		return fail(g, "not an HTTP/1.1 answer");
	out->status = resp.status;
	out->ttl_ms = max_age(&resp);
	header_copy(&resp, "content-type", true, out->content_type, sizeof(out->content_type));
	header_copy(&resp, "mcp-session-id", false, out->session, sizeof(out->session));
	return body(g, f, out, &resp, resp.head_len);
}

void sg_fetch_conn_close(struct sg_fetch_conn *c)
{
	if (!c)
		return;
	sg_tls_free(c->t);
	sg_tls_client_unref(c->client);
	close(c->fd);
	free(c);
}

/* Kept connection c taken into g when it goes to g's origin and still
 * looks open (nothing to read: a server that closed it sent its end);
 * else it is closed. */
static void adopt(struct get *g, struct sg_fetch_conn *c)
{
	struct pollfd pfd = { .fd = c ? c->fd : -1, .events = POLLIN };

	if (!c)
		return;
	if (c->port != g->port || c->tls != g->tls || strcmp(c->host, g->host) ||
	    poll(&pfd, 1, 0) != 0) {
		sg_fetch_conn_close(c);
		return;
	}
	g->fd = c->fd;
	g->client = c->client;
	g->t = c->t;
	g->reused = true;
	free(c);
}

/* g's connection, kept for the caller; NULL when out of memory (closed
 * then by the caller's cleanup). */
static struct sg_fetch_conn *keep_conn(struct get *g)
{
	struct sg_fetch_conn *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	memcpy(c->host, g->host, sizeof(c->host));
	c->port = g->port;
	c->tls = g->tls;
	c->fd = g->fd;
	c->client = g->client;
	c->t = g->t;
	g->fd = -1;
	g->client = NULL;
	g->t = NULL;
	return c;
}

static void hang_up(struct get *g)
{
	sg_tls_free(g->t);
	sg_tls_client_unref(g->client);
	if (g->fd != -1)
		close(g->fd);
	g->t = NULL;
	g->client = NULL;
	g->fd = -1;
}

/* One try of f on g's connection: the kept one, else a new one. */
static int attempt(struct get *g, const struct sg_fetch *f, struct sg_fetched *out)
{
	*out = (struct sg_fetched){ .dials = out->dials };
	g->len = 0;
	g->dropped = g->reusable = false;
	if (g->fd == -1) {
		out->dials++;
		if (dial(g) < 0 || (g->tls && handshake(g) < 0))
			return -1;
	}
	return exchange(g, f, out);
}

int sg_fetch(const struct sg_fetch *f, struct sg_fetched *out, char *err, size_t errlen)
{
	struct get g = { .url = f->url,
			 .dial_addr = f->dial_addr,
			 .dial_port = f->dial_port,
			 .fd = -1,
			 .stop = f->stop,
			 .err = err,
			 .errlen = errlen };
	struct sg_fetch_conn *kept = f->conn ? *f->conn : NULL;
	int rc = -1;

	*out = (struct sg_fetched){ 0 };
	if (f->conn)
		*f->conn = NULL;
	g.keep = f->conn && !f->stream;
	g.deadline = mono_ms() + (f->timeout_ms ? f->timeout_ms : SG_JWKSFETCH_TIMEOUT_MS);
	g.timeout_ms = f->timeout_ms ? f->timeout_ms : SG_JWKSFETCH_TIMEOUT_MS;
	g.max = f->max_body ? f->max_body : SG_JWKSFETCH_MAX_BODY;
	g.cap = FETCH_BUF_FIRST;
	if (!(g.buf = malloc(g.cap))) {
		sg_fetch_conn_close(kept);
		return fail(&g, "out of memory");
	}
	if (parse_url(&g) == 0) {
		g.tlscfg = f->tls;
		g.tls = g.tls || f->tls;
		adopt(&g, kept);
		rc = attempt(&g, f, out);
		/* A kept connection the server let go as the request went: once
		 * more, on a new one. */
		if (rc < 0 && g.reused && g.dropped && !g.len) {
			hang_up(&g);
			g.reused = false;
			rc = attempt(&g, f, out);
		}
	} else {
		sg_fetch_conn_close(kept);
	}
	if (rc == 0 && g.reusable)
		*f->conn = keep_conn(&g);
	hang_up(&g);
	free(g.buf);
	return rc;
}

int sg_jwksfetch_get(const char *url, char **body, size_t *len, int64_t *ttl_ms, char *err,
		     size_t errlen)
{
	const struct sg_fetch f = { .url = url };
	struct sg_fetched got;

	if (sg_fetch(&f, &got, err, errlen) < 0)
		return -1;
	if (got.status != 200) {
		free(got.body);
		snprintf(err, errlen, "status %u", got.status);
		return -1;
	}
	*body = got.body;
	*len = got.len;
	*ttl_ms = got.ttl_ms;
	return 0;
}

void sg_jwksfetch_start(const struct sg_cfg *cfg)
{
	for (size_t i = 0; i < cfg->njwts; i++)
		for (size_t p = 0; p < cfg->jwts[i]->nproviders; p++) {
			struct sg_jwks_remote *r = sg_jwt_remote(cfg->jwts[i], p);
			int rc = r ? sg_jwks_remote_start(r, sg_jwksfetch_get) : 0;

			if (rc < 0)
				SG_ERR("jwtAuth: jwks %s: cannot start its fetching: %s",
				       sg_jwks_remote_url(r), strerror(-rc));
		}
}
