/* Unit tests of the admin server (admin/admin.c) on a real loop: a
 * loopback client sends whole requests and reads the answer to its close,
 * the gateway's side is a set of recording ops. What is asserted is what
 * an operator's client sees (status line, content-type, exact body) and
 * what the gateway was asked (the body, delete or apply, the namespace). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/admin.h"
#include "config/build.h"
#include "config/cfg.h"
#include "config/diag.h"
#include "user/base/loop.h"

struct env {
	struct sg_loop *loop;
	struct sg_admin *admin;
	struct sg_cfg *cfg;
	uint16_t port;
	int quits, changes;
	char body[256]; /* the last change's */
	bool del;
	char ns[64];	    /* "" when none came */
	int status;	    /* what the next change answers */
	size_t metrics_len; /* of the metrics text; 0: a short one */
	char answer[65536];
};

static const struct sg_cfg *op_current(void *ctx)
{
	return ((struct env *)ctx)->cfg;
}

static void op_quit(void *ctx)
{
	((struct env *)ctx)->quits++;
}

static int op_change(void *ctx, const char *body, size_t len, bool del, const char *ns,
		     char **answer)
{
	struct env *e = ctx;

	e->changes++;
	snprintf(e->body, sizeof(e->body), "%.*s", (int)len, body);
	e->del = del;
	snprintf(e->ns, sizeof(e->ns), "%s", ns ? ns : "");
	*answer = strdup(del ? "deleted\n" : "applied\n");
	return e->status;
}

static char *op_metrics(void *ctx)
{
	struct env *e = ctx;
	char *text;

	if (!e->metrics_len)
		return strdup("splicegate_up 1\n");
	text = malloc(e->metrics_len + 1);
	if (text) {
		memset(text, '#', e->metrics_len);
		text[e->metrics_len] = '\0';
	}
	return text;
}

static char *op_sockstats(void *ctx)
{
	return strdup("{\"sockets\":0}");
}

static const struct sg_admin_ops ops = {
	.current = op_current,
	.quit = op_quit,
	.change = op_change,
	.metrics = op_metrics,
	.sockstats = op_sockstats,
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct sg_diag d;

	assert_non_null(e);
	e->loop = sg_loop_new();
	assert_non_null(e->loop);
	sg_diag_init(&d);
	e->cfg = sg_cfg_load_text("t.yaml",
				  "binds:\n- port: 8080\n  listeners:\n  - protocol: HTTP\n"
				  "    routes: [{backends: [{host: 127.0.0.1:8000}]}]\n",
				  &d);
	assert_non_null(e->cfg);
	sg_diag_free(&d);
	e->status = 200;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sg_admin_stop(e->admin);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_loop_free(e->loop);
	sg_cfg_unref(e->cfg);
	free(e);
	return 0;
}

/* The server with `role`, on a loopback port that was free a moment ago. */
static void start(struct env *e, enum sg_admin_role role)
{
	struct sg_admin_ops mine = ops;
	char addr[32], err[256];
	int fd = test_loopback(false, 0, &e->port);

	close(fd);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", e->port);
	mine.ctx = e;
	e->admin = sg_admin_start(e->loop, addr, role, &mine, err, sizeof(err));
	if (!e->admin)
		fail_msg("admin: %s", err);
}

static void stop(struct env *e)
{
	sg_admin_stop(e->admin);
	e->admin = NULL;
	sg_loop_run_once(e->loop, 0); /* the close queue */
}

/* Sends `request` (len bytes) and reads the answer until the server
 * closes, running the loop meanwhile (3 s at most). */
static void call_n(struct env *e, const char *request, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(e->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	size_t sent = 0, got = 0;
	bool eof = false;

	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	for (int r = 0; r < 600 && !eof; r++) {
		ssize_t n;

		sg_loop_run_once(e->loop, 5);
		if (sent < len && (n = send(fd, request + sent, len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		while ((n = read(fd, e->answer + got, sizeof(e->answer) - 1 - got)) > 0)
			got += (size_t)n;
		eof = n == 0 || (n == -1 && errno == ECONNRESET);
	}
	close(fd);
	e->answer[got] = '\0';
	if (!eof)
		fail_msg("no whole answer to %.40s", request);
}

static void call(struct env *e, const char *request)
{
	call_n(e, request, strlen(request));
}

/* The answer's status line is `line` and its body `body`, with the
 * content-type `ctype` and its length. */
static void answered(const struct env *e, const char *line, const char *ctype, const char *body)
{
	char want[256];
	const char *end = strstr(e->answer, "\r\n\r\n");

	assert_non_null(end);
	if (strncmp(e->answer, line, strlen(line)))
		fail_msg("answer: %.200s", e->answer);
	assert_true(!strncmp(e->answer + strlen(line), "\r\n", 2));
	snprintf(want, sizeof(want), "\r\ncontent-type: %s\r\ncontent-length: %zu\r\n", ctype,
		 strlen(body));
	assert_non_null(strstr(e->answer, want));
	assert_non_null(strstr(e->answer, "\r\nconnection: close\r\n"));
	assert_string_equal(end + 4, body);
}

/* GET /config_dump: the config in force, as JSON. */
static void test_admin_config_dump(void **state)
{
	struct env *e = *state;
	const char *body;

	start(e, SG_ADMIN_API);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_true(
		!strncmp(e->answer, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n", 49));
	body = strstr(e->answer, "\r\n\r\n") + 4;
	assert_int_equal(body[0], '{');
	assert_non_null(strstr(body, "8080"));
}

/* POST /config: the body whole to the gateway with -n's namespace, its
 * answer back; DELETE /config: a delete, its status passed on. */
static void test_admin_apply_and_delete(void **state)
{
	struct env *e = *state;

	start(e, SG_ADMIN_API);
	call(e,
	     "POST /config?namespace=prod HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\n"
	     "kind: Gtw\n\n");
	assert_int_equal(e->changes, 1);
	assert_string_equal(e->body, "kind: Gtw\n\n");
	assert_false(e->del);
	assert_string_equal(e->ns, "prod");
	answered(e, "HTTP/1.1 200 OK", "text/plain", "applied\n");

	e->status = 404;
	call(e, "DELETE /config HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nx: 1");
	assert_int_equal(e->changes, 2);
	assert_string_equal(e->body, "x: ");
	assert_true(e->del);
	assert_string_equal(e->ns, "");
	answered(e, "HTTP/1.1 404 Not Found", "text/plain", "deleted\n");
}

/* POST /quitquitquit: the gateway is told once, the client gets OK. */
static void test_admin_quit(void **state)
{
	struct env *e = *state;

	start(e, SG_ADMIN_API);
	call(e, "POST /quitquitquit HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_int_equal(e->quits, 1);
	answered(e, "HTTP/1.1 200 OK", "text/plain", "OK\n");
}

/* Writes from a web page (a browser names its origin): refused whatever
 * the port, since any site the browser shows could send them (a POST of
 * text needs no CORS preflight); reads and other clients' writes served. */
static void test_admin_refuses_browser_writes(void **state)
{
	struct env *e = *state;
	static const char refused[] = "the admin API takes no changes from a web browser (the "
				      "request has an Origin or Sec-Fetch-Site header): use "
				      "splicegate apply, delete or curl\n";

	start(e, SG_ADMIN_API);
	call(e, "POST /quitquitquit HTTP/1.1\r\nHost: 127.0.0.1:15000\r\n"
		"Origin: https://evil.example\r\nContent-Type: text/plain\r\n\r\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	call(e, "POST /config HTTP/1.1\r\nHost: localhost\r\nSec-Fetch-Site: cross-site\r\n"
		"Content-Length: 11\r\n\r\nkind: Gtw\n\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	call(e, "POST /logging?level=debug HTTP/1.1\r\nHost: localhost\r\nOrigin: null\r\n\r\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	assert_int_equal(e->quits, 0);
	assert_int_equal(e->changes, 0);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: localhost\r\nOrigin: "
		"https://evil.example\r\n\r\n");
	assert_true(!strncmp(e->answer, "HTTP/1.1 200 OK\r\n", 17));
	call(e, "POST /quitquitquit HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_int_equal(e->quits, 1);
}

/* The admin socket answers any Host (no browser reaches a unix socket):
 * `curl --unix-socket ... http://x/config_dump`. */
static void unix_any_host(struct env *e)
{
	static const char req[] = "GET /config_dump HTTP/1.1\r\nHost: x\r\n\r\n";
	struct sg_admin_ops mine = ops;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_admin.XXXXXX", err[256];
	size_t got = 0;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/admin.sock", dir);
	mine.ctx = e;
	e->admin = sg_admin_start_unix(e->loop, a.sun_path, 0600, &mine, err, sizeof(err));
	if (!e->admin)
		fail_msg("admin: %s", err);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	for (int r = 0; r < 600 && got < 17; r++) {
		ssize_t n;

		sg_loop_run_once(e->loop, 5);
		if ((n = read(fd, e->answer + got, sizeof(e->answer) - 1 - got)) > 0)
			got += (size_t)n;
	}
	close(fd);
	e->answer[got] = '\0';
	assert_true(!strncmp(e->answer, "HTTP/1.1 200 OK\r\n", 17));
	stop(e);
	assert_int_equal(rmdir(dir), 0);
}

/* DNS rebinding: a web page whose name was made to resolve to 127.0.0.1
 * is same-origin with what it reads on the admin port. The admin API
 * answers a Host that is localhost or an IP literal (any port, any case,
 * none at all), and refuses another name with 403, its body unread and
 * nothing done; --admin-allow-remote serves any Host, and the stats
 * listener (scraped by names) any too. */
static void test_admin_refuses_other_hosts(void **state)
{
	struct env *e = *state;
	static const char refused[] =
		"the admin API answers requests for localhost or an IP address only: a Host "
		"that is another name may be a web page's (DNS rebinding); start splicegate "
		"with --admin-allow-remote to serve any Host\n";
	static const char *const ok[] = {
		"Host: 127.0.0.1:15000\r\n", "Host: localhost\r\n", "Host: LocalHost:15000\r\n",
		"Host: [::1]:15000\r\n",     "Host: 10.1.2.3\r\n",  "",
	};
	char req[256];

	start(e, SG_ADMIN_API);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: evil.example:15000\r\n\r\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: 127.0.0.1.nip.example\r\n\r\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	call(e, "POST /config HTTP/1.1\r\nHost: rebind.example\r\nContent-Length: 11\r\n\r\n"
		"kind: Gtw\n\n");
	answered(e, "HTTP/1.1 403 Forbidden", "text/plain", refused);
	assert_int_equal(e->changes, 0);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(req, sizeof(req), "GET /config_dump HTTP/1.%d\r\n%s\r\n", ok[i][0] ? 1 : 0,
			 ok[i]);
		call(e, req);
		if (strncmp(e->answer, "HTTP/1.1 200 OK\r\n", 17))
			fail_msg("%s: %.40s", req, e->answer);
	}
	sg_admin_allow_remote(e->admin, true);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: gw.example:15000\r\n\r\n");
	assert_true(!strncmp(e->answer, "HTTP/1.1 200 OK\r\n", 17));
	stop(e);

	start(e, SG_ADMIN_STATS);
	call(e, "GET /metrics HTTP/1.1\r\nHost: gw.example:15020\r\n\r\n");
	answered(e, "HTTP/1.1 200 OK", "text/plain; version=0.0.4", "splicegate_up 1\n");
	stop(e);
	unix_any_host(e);
}

/* A known path with another method: 405 naming what it takes; an
 * unknown path: 404. */
static void test_admin_method_and_path(void **state)
{
	struct env *e = *state;

	start(e, SG_ADMIN_API);
	call(e, "GET /config HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 405 Method Not Allowed", "text/plain", "method not allowed\n");
	assert_non_null(strstr(e->answer, "\r\nallow: POST, DELETE\r\n"));
	call(e, "PUT /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_non_null(strstr(e->answer, "\r\nallow: GET, HEAD\r\n"));
	call(e, "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 404 Not Found", "text/plain", "not found\n");
	assert_int_equal(e->changes, 0);
}

/* The stats listener serves /metrics alone; the readiness one
 * /healthz/ready alone. */
static void test_admin_stats_and_ready_roles(void **state)
{
	struct env *e = *state;

	start(e, SG_ADMIN_STATS);
	call(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 200 OK", "text/plain; version=0.0.4", "splicegate_up 1\n");
	call(e, "GET /config_dump HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 404 Not Found", "text/plain", "not found\n");
	call(e, "POST /quitquitquit HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_int_equal(e->quits, 0);
	stop(e);

	start(e, SG_ADMIN_READY);
	call(e, "GET /healthz/ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 200 OK", "text/plain", "ready\n");
	/* HEAD: the GET answer's head, its content-length, and no body
	 * (issue 63: the body was sent too). */
	call(e, "HEAD /healthz/ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
	assert_non_null(strstr(e->answer, "\r\ncontent-length: 6\r\n"));
	assert_string_equal(strstr(e->answer, "\r\n\r\n"), "\r\n\r\n");
	call(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 404 Not Found", "text/plain", "not found\n");
}

/* What a request may not be: chunked (411), a body where none is taken or
 * over 4 MiB (413), a head over 16 KiB (431), not HTTP (400); nothing
 * reaches the gateway. */
static void test_admin_refuses_bad_requests(void **state)
{
	struct env *e = *state;
	char *big = malloc(20000);

	assert_non_null(big);
	start(e, SG_ADMIN_API);
	call(e, "POST /config HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: "
		"chunked\r\n\r\n0\r\n\r\n");
	answered(e, "HTTP/1.1 411 Length Required", "text/plain", "send a Content-Length body\n");
	call(e, "POST /config HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n");
	answered(e, "HTTP/1.1 413 Payload Too Large", "text/plain",
		 "request body too large: 4 MiB at most\n");
	memset(big, 'a', 20000);
	memcpy(big, "GET /config_dump HTTP/1.1\r\nX: ", 30);
	call_n(e, big, 20000);
	answered(e, "HTTP/1.1 431 Request Header Fields Too Large", "text/plain",
		 "request head too large: 16 KiB at most\n");
	call(e, "hello\r\n\r\n");
	answered(e, "HTTP/1.1 400 Bad Request", "text/plain", "bad request\n");
	assert_int_equal(e->changes, 0);
	stop(e);

	start(e, SG_ADMIN_STATS);
	call(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
	answered(e, "HTTP/1.1 413 Payload Too Large", "text/plain",
		 "this endpoint takes no request body\n");
	free(big);
}

/* Bytes the process has allocated (heap and mmap'd chunks). */
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Sends p[0..len) on the non-blocking fd, running the loop meanwhile. */
static void push(struct env *e, int fd, const char *p, size_t len)
{
	for (int r = 0; r < 20000 && len; r++) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
		sg_loop_run_once(e->loop, 1);
	}
	assert_int_equal(len, 0);
}

/* A connection to the server that has sent the head of a POST /config
 * with a 4 MiB body and all of that body but its last byte. */
static int unfinished_apply(struct env *e, const char *body)
{
	static const char head[] = "POST /config HTTP/1.1\r\nHost: localhost\r\n"
				   "Content-Length: 4194304\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(e->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	push(e, fd, head, sizeof(head) - 1);
	push(e, fd, body, (4u << 20) - 1);
	return fd;
}

/* call_n of `head` followed by a body of 1 MiB. */
static void call_with_mib(struct env *e, char *buf, const char *head)
{
	size_t n = strlen(head);

	memcpy(buf, head, n);
	memset(buf + n, 'y', 1u << 20);
	call_n(e, buf, n + (1u << 20));
}

/* A body that no route reads (a write on the read-only TCP port, or a
 * refused one) is dropped as it comes: 8 clients each 1 byte short of a
 * 4 MiB body leave the heap within 1 MiB of what it was (the server held
 * all 32 MiB until their 10 s ran out, and a client refused anyway could
 * make it hold 512 MiB); a whole one is answered 403 after its body, which
 * never reaches the gateway. A GET's body is dropped too, and the GET
 * served. */
static void test_admin_unread_body_not_held(void **state)
{
	struct env *e = *state;
	char *body = malloc(4u << 20), *req;
	int fds[8];
	size_t before;

	assert_non_null(body);
	memset(body, 'x', 4u << 20);
	start(e, SG_ADMIN_API);
	assert_int_equal(sg_admin_read_only(e->admin, "/run/sg-test.sock"), 0);
	before = heap_bytes();
	for (int i = 0; i < 8; i++)
		fds[i] = unfinished_apply(e, body);
	for (int r = 0; r < 20; r++)
		sg_loop_run_once(e->loop, 1);
	if (heap_bytes() > before + (1u << 20))
		fail_msg("8 unfinished refused bodies hold %zu bytes", heap_bytes() - before);
	for (int i = 0; i < 8; i++)
		close(fds[i]);

	req = malloc((1u << 20) + 128);
	assert_non_null(req);
	call_with_mib(
		e, req,
		"POST /config HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n");
	assert_true(!strncmp(e->answer, "HTTP/1.1 403 Forbidden\r\n", 24));
	assert_non_null(strstr(e->answer, "this admin port is read-only"));
	assert_int_equal(e->changes, 0);
	call_with_mib(
		e, req,
		"GET /config_dump HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n");
	assert_true(
		!strncmp(e->answer, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n", 49));
	free(req);
	free(body);
}

/* A connection that sent `request` and reads nothing (a receive buffer
 * of 4 KiB), the loop run a little meanwhile. */
static int no_reader(struct env *e, const char *request)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(e->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), small = 4096;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_true(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	push(e, fd, request, strlen(request));
	for (int r = 0; r < 20; r++)
		sg_loop_run_once(e->loop, 1);
	return fd;
}

/* Answers their clients do not take are held up to 32 MiB: past that an
 * answer to render anew is 503 with Retry-After, not rendered (clients
 * that read a byte every few seconds held one each, 128 of them: here 6
 * held 96 MiB); one answer always goes out, and once the slow clients are
 * gone the next is served. */
static void test_admin_bounds_answers_not_taken(void **state)
{
	struct env *e = *state;
	int fds[6];
	size_t before;

	e->metrics_len = 16u << 20;
	start(e, SG_ADMIN_API);
	before = heap_bytes();
	for (int i = 0; i < 6; i++)
		fds[i] = no_reader(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	if (heap_bytes() > before + (80u << 20))
		fail_msg("6 slow readers of 16 MiB hold %zu bytes", heap_bytes() - before);
	call(e, "GET /config_dump HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 503 Service Unavailable", "text/plain",
		 "busy: answers not yet taken by their clients hold more than 32 MiB; try "
		 "again\n");
	assert_non_null(strstr(e->answer, "\r\nretry-after: 1\r\n"));
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	for (int r = 0; r < 20; r++)
		sg_loop_run_once(e->loop, 1);
	e->metrics_len = 0;
	call(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	answered(e, "HTTP/1.1 200 OK", "text/plain; version=0.0.4", "splicegate_up 1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admin_config_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_apply_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_method_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_stats_and_ready_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_refuses_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_unread_body_not_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_refuses_browser_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_refuses_other_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_bounds_answers_not_taken, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
