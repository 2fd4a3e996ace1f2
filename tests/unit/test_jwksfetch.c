/* user/core/jwksfetch.c against a real loopback HTTP server on a thread of
 * the test: what the GET sends, the bodies it reads (Content-Length,
 * chunked, close-delimited), max-age, and its failures by name; what MCP's
 * targets use of it (a POST's Accept, the answer's Content-Type and
 * Mcp-Session-Id, a larger body, a read ended early, a stop, a
 * connection kept between fetches); and
 * user/auth/jwksremote.c fetching through it: keys appear, a kid miss
 * fetches again, bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/dialer.h"
#include "user/auth/jwksremote.h"
#include "user/auth/jwt.h"
#include "user/core/jwksfetch.h"

#define JWKS                                                                                       \
	"{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"k1\",\"crv\":\"Ed25519\","                          \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}"

/* A server answering each connection with `answer` after reading the
 * request head, which it keeps (the last one) in `head`; counts requests
 * and connections. */
struct server {
	int fd;
	uint16_t port;
	const char *answer;
	int linger_ms;	/* the connection stays open this long after the answer */
	bool keep;	/* every request of a connection is answered, not only its first */
	int drop_after; /* keep: the request after this many answers is read and
			 * the connection closed, unanswered (0: none) */
	char head[2048];
	int requests, accepts;
	pthread_t t;
	pthread_mutex_t mu;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) != -1) {
		pthread_mutex_lock(&s->mu);
		s->accepts++;
		pthread_mutex_unlock(&s->mu);
		for (int answered = 0;; answered++) {
			char buf[2048];
			size_t n = 0;
			ssize_t k;

			while (n < sizeof(buf) - 1 &&
			       (k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
				n += (size_t)k;
				buf[n] = '\0';
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			if (!n || (s->drop_after && answered == s->drop_after))
				break;
			pthread_mutex_lock(&s->mu);
			memcpy(s->head, buf, n + 1);
			s->requests++;
			pthread_mutex_unlock(&s->mu);
			if (write(c, s->answer, strlen(s->answer)) < 0 || !s->keep)
				break;
		}
		if (s->linger_ms)
			usleep((useconds_t)s->linger_ms * 1000);
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s, const char *answer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 16), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->t, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->t, NULL);
	close(s->fd);
}

/* One of s's counters (requests, accepts), read under its lock. */
static int counted(struct server *s, const int *counter)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = *counter;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int requests(struct server *s)
{
	return counted(s, &s->requests);
}

static int accepts(struct server *s)
{
	return counted(s, &s->accepts);
}

/* GET http://127.0.0.1:<port><path>: its return, body and err. */
static int get(const struct server *s, const char *path, char **body, size_t *len, int64_t *ttl,
	       char *err)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->port, path);
	*body = NULL;
	err[0] = '\0';
	return sg_jwksfetch_get(url, body, len, ttl, err, 256);
}

static void test_jwksfetch_content_length_and_max_age(void **state)
{
	struct server s;
	char *body, err[256], want[256];
	size_t len;
	int64_t ttl;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: public, "
			 "max-age=120\r\n\r\nhello");
	assert_int_equal(get(&s, "/keys?x=1", &body, &len, &ttl, err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(body, "hello");
	assert_int_equal(ttl, 120000);
	snprintf(want, sizeof(want),
		 "GET /keys?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: application/json\r\n"
		 "User-Agent: splicegate\r\nConnection: close\r\n\r\n",
		 s.port);
	assert_string_equal(s.head, want);
	free(body);
	server_stop(&s);
}

/* max-age is RFC 9111's delta-seconds: digits alone (quoted or not), at
 * most 2^31 s however large; a sign, a letter or a directive that only
 * ends in "max-age" is none (0). strtoll took "-5" and overflowed on
 * 9223372036854775807 once multiplied by 1000 (review 3, item 3). */
static void test_jwksfetch_max_age_is_delta_seconds(void **state)
{
	static const struct {
		const char *cc;
		int64_t ttl_ms;
	} cases[] = {
		{ "max-age=300", 300000 },
		{ "public, max-age=300, must-revalidate", 300000 },
		{ "max-age=\"300\"", 300000 },
		{ "max-age=315360000", 315360000000 }, /* ten years: jwksremote bounds it */
		{ "max-age=2147483648", 2147483648000 },
		{ "max-age=9223372036854775", 2147483648000 },
		{ "max-age=9223372036854775807", 2147483648000 },
		{ "max-age=99999999999999999999999999999999", 2147483648000 },
		{ "max-age=-5", 0 },
		{ "max-age=+5", 0 },
		{ "max-age=abc", 0 },
		{ "max-age=5x", 0 },
		{ "max-age=", 0 },
		{ "max-age=\"300", 0 },
		{ "x-max-age=60", 0 },
		{ "x-max-age=60, max-age=120", 120000 },
	};
	char answer[256], *body, err[256];
	struct server s;
	size_t len;
	int64_t ttl;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(answer, sizeof(answer),
			 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: %s\r\n\r\n{}",
			 cases[i].cc);
		server_start(&s, answer);
		ttl = -1;
		assert_int_equal(get(&s, "/", &body, &len, &ttl, err), 0);
		if (ttl != cases[i].ttl_ms)
			fail_msg("Cache-Control: %s: want %lld ms, got %lld", cases[i].cc,
				 (long long)cases[i].ttl_ms, (long long)ttl);
		free(body);
		server_stop(&s);
	}
}

static void test_jwksfetch_chunked_and_close_delimited(void **state)
{
	struct server s;
	char *body, err[256];
	size_t len;
	int64_t ttl;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: "
			 "no-store, max-age=9\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
	assert_int_equal(get(&s, "", &body, &len, &ttl, err), 0);
	assert_string_equal(body, "abcdefg");
	assert_int_equal(ttl, 0);
	assert_non_null(strstr(s.head, "GET / HTTP/1.1\r\n"));
	free(body);
	server_stop(&s);

	server_start(&s, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), 0);
	assert_string_equal(body, "until the end");
	free(body);
	server_stop(&s);
}

static void test_jwksfetch_failures_say_why(void **state)
{
	struct server s;
	char *body, err[256], want[128];
	size_t len;
	int64_t ttl;
	uint16_t port = free_port();

	(void)state;
	server_start(&s, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), -1);
	assert_string_equal(err, "status 503");
	server_stop(&s);

	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n");
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), -1);
	assert_string_equal(err, "answer over 1048576 bytes");
	server_stop(&s);

	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), -1);
	assert_string_equal(err, "the answer ended early");
	server_stop(&s);

	server_start(&s, "SSH-2.0-OpenSSH\r\n");
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), -1);
	assert_string_equal(err, "not an HTTP/1.1 answer");
	s.port = port; /* nothing listens there */
	assert_int_equal(get(&s, "/", &body, &len, &ttl, err), -1);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%u: Connection refused", port);
	assert_string_equal(err, want);
	server_stop(&s);
}

/* f to the server's /mcp: its return, with got and err. */
static int fetch(const struct server *s, struct sg_fetch *f, struct sg_fetched *got, char *err)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/mcp", s->port);
	f->url = url;
	err[0] = '\0';
	return sg_fetch(f, got, err, 256);
}

static void test_fetch_mcp_answer_fields(void **state)
{
	struct server s;
	struct sg_fetch f = { .method = "POST",
			      .headers = "Content-Type: application/json\r\n",
			      .body = "{}",
			      .body_len = 2,
			      .accept = "application/json, text/event-stream" };
	struct sg_fetched got;
	char err[256], want[512];

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
			 "Mcp-Session-Id: 1868a90c-c6d2\r\nContent-Length: 9\r\n\r\ndata: 1\n\n");
	assert_int_equal(fetch(&s, &f, &got, err), 0);
	assert_string_equal(got.content_type, "text/event-stream; charset=utf-8");
	assert_string_equal(got.session, "1868a90c-c6d2");
	assert_string_equal(got.body, "data: 1\n\n");
	snprintf(want, sizeof(want),
		 "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: application/json, "
		 "text/event-stream\r\nUser-Agent: splicegate\r\nConnection: close\r\n"
		 "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n",
		 s.port);
	/* (the body may have come with the head) */
	assert_int_equal(strncmp(s.head, want, strlen(want)), 0);
	free(got.body);
	server_stop(&s);

	/* a session id MCP would not send (a space in it) is not kept */
	server_start(&s, "HTTP/1.1 202 Accepted\r\nMcp-Session-Id: a b\r\n"
			 "Content-Length: 0\r\n\r\n");
	assert_int_equal(fetch(&s, &f, &got, err), 0);
	assert_int_equal(got.status, 202);
	assert_string_equal(got.session, "");
	assert_string_equal(got.content_type, "");
	free(got.body);
	server_stop(&s);
}

static void test_fetch_larger_body_bound(void **state)
{
	static char answer[300000];
	struct server s;
	struct sg_fetch f = { .max_body = 250000 };
	struct sg_fetched got;
	char err[256];
	int n = sprintf(answer, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");

	(void)state;
	memset(answer + n, 'x', 200000);
	answer[n + 200000] = '\0';
	server_start(&s, answer);
	assert_int_equal(fetch(&s, &f, &got, err), 0);
	assert_int_equal(got.len, 200000);
	assert_int_equal(got.body[199999], 'x');
	free(got.body);
	server_stop(&s);

	f.max_body = 100000;
	server_start(&s, answer);
	assert_int_equal(fetch(&s, &f, &got, err), -1);
	assert_string_equal(err, "answer over 100000 bytes");
	server_stop(&s);
}

/* `enough`: true once "END" is in the body. */
static bool saw_end(void *arg, const struct sg_fetched *head, const char *body, size_t len)
{
	(void)head;
	++*(int *)arg;
	return memmem(body, len, "END", 3) != NULL;
}

static void test_fetch_enough_ends_the_read(void **state)
{
	struct server s;
	int asked = 0;
	struct sg_fetch f = { .enough = saw_end, .arg = &asked, .timeout_ms = 8000 };
	struct sg_fetched got;
	char err[256];
	uint64_t t0 = now_ms();

	(void)state;
	/* close-delimited, and the connection held open for 5 s */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			 "Connection: close\r\n\r\nfirst END");
	s.linger_ms = 5000;
	assert_int_equal(fetch(&s, &f, &got, err), 0);
	assert_true(now_ms() - t0 < 4000);
	assert_true(asked >= 1);
	assert_string_equal(got.body, "first END");
	free(got.body);
	server_stop(&s);
}

/* A stream's pieces, gathered. */
struct pieces {
	char *all;
	size_t len;
};

static bool gather(void *arg, const struct sg_fetched *head, const char *body, size_t len)
{
	struct pieces *p = arg;

	(void)head;
	assert_true(p->len + len <= 70000);
	memcpy(p->all + p->len, body, len);
	p->len += len;
	return false;
}

#define PIECE "0123456789abcdefghijklmnopqrst"
#define PIECES 2000

/* A stream is read in pieces, each told once and dropped: a body of 60 KB
 * with max_body 1000 (which fails the read otherwise) is read whole, the
 * MCP targets' event streams, chunked and close-delimited; the last piece,
 * when the body ended with it, is the answer's body. */
static void test_fetch_stream_in_pieces(void **state)
{
	char *answers[2] = { malloc(200 + PIECES * 36), malloc(200 + PIECES * 30) };
	size_t n[2];

	(void)state;
	n[0] = (size_t)sprintf(answers[0], "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n");
	n[1] = (size_t)sprintf(answers[1], "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	for (int i = 0; i < PIECES; i++) {
		n[0] += (size_t)sprintf(answers[0] + n[0], "1e\r\n" PIECE "\r\n");
		n[1] += (size_t)sprintf(answers[1] + n[1], PIECE);
	}
	sprintf(answers[0] + n[0], "0\r\n\r\n");
	for (size_t i = 0; i < 2; i++) {
		struct pieces p = { .all = malloc(70000) };
		struct sg_fetch f = { .timeout_ms = 8000, .max_body = 1000 };
		struct sg_fetched got;
		struct server s;
		char err[256];

		server_start(&s, answers[i]);
		assert_int_equal(fetch(&s, &f, &got, err), -1); /* whole, it is too large */
		assert_string_equal(err, "answer over 1000 bytes");
		server_stop(&s); /* its write may have failed: a server of its own each */
		server_start(&s, answers[i]);
		f = (struct sg_fetch){ .enough = gather,
				       .arg = &p,
				       .timeout_ms = 8000,
				       .max_body = 1000,
				       .stream = true };
		assert_int_equal(fetch(&s, &f, &got, err), 0);
		memcpy(p.all + p.len, got.body, got.len);
		p.len += got.len;
		assert_int_equal(p.len, PIECES * 30);
		for (size_t k = 0; k < p.len; k += 30)
			assert_memory_equal(p.all + k, PIECE, 30);
		free(got.body);
		free(p.all);
		server_stop(&s);
	}
	free(answers[0]);
	free(answers[1]);
}

static void test_fetch_stop(void **state)
{
	struct server s;
	int stop = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK); /* readable already */
	struct sg_fetch f = { .stop = &stop, .timeout_ms = 8000 };
	struct sg_fetched got;
	char err[256];
	uint64_t t0 = now_ms();

	(void)state;
	assert_true(stop >= 0);
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nnot all");
	s.linger_ms = 5000;
	assert_int_equal(fetch(&s, &f, &got, err), -1);
	assert_string_equal(err, "stopped");
	assert_true(now_ms() - t0 < 4000);
	server_stop(&s);
	close(stop);
}

/* Waits up to WAIT_MS for cond. */
#define EVENTUALLY(cond)                                                                           \
	do {                                                                                       \
		uint64_t until_ = now_ms() + WAIT_MS;                                              \
		while (!(cond) && now_ms() < until_)                                               \
			usleep(10000);                                                             \
	} while (0)

/* The threads of this process (/proc/self/task). */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_jwksremote_fetches_and_refetches_on_a_kid_miss(void **state)
{
	struct server s;
	struct sg_jwks_remote *r;
	char url[128];
	uint64_t v;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: "
			 "101"
			 "\r\n\r\n" JWKS);
	assert_int_equal(strlen(JWKS), 101);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/jwks", s.port);
	r = sg_jwks_remote_new(url, 0);
	assert_non_null(r);
	assert_null(sg_jwks_remote_keys(r));
	assert_int_equal(requests(&s), 0); /* nothing fetched before it starts */
	assert_int_equal(sg_jwks_remote_start(r, sg_jwksfetch_get), 0);
	assert_int_equal(sg_jwks_remote_start(r, sg_jwksfetch_get), 0);
	EVENTUALLY(sg_jwks_remote_keys(r));
	assert_non_null(sg_jwks_remote_keys(r));
	assert_string_equal(sg_jwks_kid(sg_jwks_remote_keys(r), 0), "k1");
	v = sg_jwks_remote_version(r);
	assert_int_equal(requests(&s), 1);

	/* many misses: one more fetch, not sooner than SG_JWKS_KICK_MS; the
	 * same answer again keeps the keys in force and their version */
	for (int i = 0; i < 100; i++)
		sg_jwks_remote_kick(r);
	EVENTUALLY(requests(&s) == 2);
	assert_int_equal(requests(&s), 2);
	usleep(200 * 1000);
	assert_int_equal(sg_jwks_remote_version(r), v);
	sg_jwks_remote_release(r);
	server_stop(&s);
	/* Released: its thread ends (and nothing of it is left at exit). */
	EVENTUALLY(threads() == 1);
	assert_int_equal(threads(), 1);
}

/* f with a kept connection, three times: the dials each made, as
 * "1 0 0", and whether a connection is kept after the last. */
static void fetch_thrice(const struct server *s, struct sg_fetch *f, char *dials, bool *kept)
{
	struct sg_fetch_conn *conn = NULL;
	struct sg_fetched got;
	char err[256];

	f->conn = &conn;
	dials[0] = '\0';
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fetch(s, f, &got, err), 0);
		sprintf(dials + strlen(dials), "%s%u", i ? " " : "", got.dials);
		free(got.body);
	}
	*kept = conn != NULL;
	sg_fetch_conn_close(conn);
}

static void test_fetch_keeps_the_connection(void **state)
{
	struct server s;
	int asked = 0;
	struct sg_fetch f = { 0 };
	char dials[32];
	bool kept;

	(void)state;
	/* a length-framed answer: three requests, one connection */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	s.keep = true;
	fetch_thrice(&s, &f, dials, &kept);
	assert_string_equal(dials, "1 0 0");
	assert_true(kept);
	assert_int_equal(accepts(&s), 1);
	assert_int_equal(requests(&s), 3);
	assert_null(strstr(s.head, "Connection: close"));
	server_stop(&s);

	/* an event stream `enough` ends early, its end right behind: kept */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n9\r\nfirst END\r\n0\r\n\r\n");
	s.keep = true;
	f = (struct sg_fetch){ .enough = saw_end, .arg = &asked };
	fetch_thrice(&s, &f, dials, &kept);
	assert_string_equal(dials, "1 0 0");
	assert_int_equal(accepts(&s), 1);
	server_stop(&s);

	/* one the server keeps open past `enough`: closed after 100 ms */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n9\r\nfirst END\r\n");
	s.linger_ms = 1000;
	fetch_thrice(&s, &f, dials, &kept);
	assert_string_equal(dials, "1 1 1");
	assert_false(kept);
	server_stop(&s);

	/* Connection: close from the server */
	server_start(&s, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
	f = (struct sg_fetch){ 0 };
	fetch_thrice(&s, &f, dials, &kept);
	assert_string_equal(dials, "1 1 1");
	assert_false(kept);
	server_stop(&s);

	/* a server that closes each connection after its first answer, as
	 * the next request goes: each request made again on a new one */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	s.keep = true;
	s.drop_after = 1;
	fetch_thrice(&s, &f, dials, &kept);
	assert_int_equal(requests(&s), 3);
	assert_int_equal(accepts(&s), 3);
	server_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwksfetch_content_length_and_max_age),
		cmocka_unit_test(test_jwksfetch_max_age_is_delta_seconds),
		cmocka_unit_test(test_jwksfetch_chunked_and_close_delimited),
		cmocka_unit_test(test_jwksfetch_failures_say_why),
		cmocka_unit_test(test_fetch_mcp_answer_fields),
		cmocka_unit_test(test_fetch_larger_body_bound),
		cmocka_unit_test(test_fetch_enough_ends_the_read),
		cmocka_unit_test(test_fetch_stream_in_pieces),
		cmocka_unit_test(test_fetch_stop),
		cmocka_unit_test(test_fetch_keeps_the_connection),
		cmocka_unit_test(test_jwksremote_fetches_and_refetches_on_a_kid_miss),
	};

	/* the test's server writes to clients that may have closed */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
