/* user/core/authzcall.c: a route's extAuthz over its HTTP protocol,
 * through the request module (tests/unit/reqenv.h, a fake sink) on real
 * config, the authorization service a loopback listener the test reads
 * and answers by hand (tests/unit/httpserve.h). What a user sees: the
 * check the service gets (method, path, the headers asked for, a CEL
 * path and added headers), an allowed request going on with the
 * service's headers, a denied one answered with the service's status,
 * lines and body, the failure mode when the service is down or slow, and
 * answers replayed from the cache without a call. The gRPC protocol
 * (Authorization/Check) is not covered here (e2e http-auth-extauthz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "httpserve.h"
#include "reqenv.h"

#include "user/auth/authzcache.h"
#include "user/core/authzcall.h"

/* Routes to the test's backend behind extAuthz over HTTP: /h passes on
 * x-token and takes the service's x-auth-user, /p asks a CEL path with
 * an added header, /c caches answers by x-token for a minute, /dead and
 * /open a service that refuses (deny, allow), /slow one that answers
 * within 100 ms. %1$u the backend, %2$u the refusing port, %3$u the
 * service. */
#define AZ(name, policy)                                                                           \
	"    - name: " name "\n"                                                                   \
	"      matches: [{path: {pathPrefix: /" name "}}]\n"                                       \
	"      policies:\n"                                                                        \
	"        extAuthz: " policy "\n"                                                           \
	"      backends: [{host: 127.0.0.1:%1$u}]\n"

static const char az_config[] =
	"binds:\n- port: 8080\n  listeners:\n  - name: web\n    protocol: HTTP\n    routes:\n" AZ(
		"h", "{host: '127.0.0.1:%3$u', includeRequestHeaders: [x-token], protocol: {http: "
		     "{includeResponseHeaders: [x-auth-user]}}}")
		AZ("p",
		   "{host: '127.0.0.1:%3$u', protocol: {http: {path: '\"/check\" + request.path', "
		   "addRequestHeaders: {x-from: '\"gw\"'}}}}")
			AZ("c",
			   "{host: '127.0.0.1:%3$u', includeRequestHeaders: [x-token], cache: "
			   "{key: ['request.headers[\"x-token\"]'], ttl: 60s}, protocol: {http: "
			   "{includeResponseHeaders: [x-auth-user]}}}")
				AZ("dead", "{host: '127.0.0.1:%2$u', protocol: {http: {}}}")
					AZ("open", "{host: '127.0.0.1:%2$u', failureMode: allow, "
						   "protocol: {http: {}}}")
						AZ("slow",
						   "{host: '127.0.0.1:%3$u', protocol: {http: {}}, "
						   "policies: {http: {requestTimeout: 100ms}}}");

struct azenv {
	struct env *e; /* reqenv.h's */
	int service;   /* the authorization service's listener */
	uint16_t port;
	char asked[4096]; /* the last check */
	size_t head_len;
};

static int az_setup(void **state)
{
	struct azenv *t = calloc(1, sizeof(*t));
	struct sg_diag d;
	void *e;

	assert_non_null(t);
	setup(&e);
	t->e = e;
	t->service = test_loopback(true, SOCK_NONBLOCK, &t->port);
	config(t->e, 0, az_config, t->e->port, t->e->refused_port, t->port);
	sg_diag_init(&d);
	assert_int_equal(sg_authz_cache_prepare(t->e->cfgs[0], &d), 0);
	sg_diag_free(&d);
	start(t->e, t->e->cfgs[0]);
	*state = t;
	return 0;
}

static int az_teardown(void **state)
{
	struct azenv *t = *state;

	free_requests(t->e);
	sg_extauthz_reloaded(t->e->f.pool);
	teardown((void **)&t->e);
	close(t->service);
	free(t);
	return 0;
}

/* The service's next check, answered `answer`. */
static void check(struct azenv *t, const char *answer)
{
	test_http_serve(t->e->loop, t->service, answer, t->asked, sizeof(t->asked), &t->head_len);
}

#define GET(path, more) "GET " path " HTTP/1.1\r\nHost: web.example\r\n" more "\r\n"
#define ALLOW "HTTP/1.1 200 OK\r\nx-auth-user: alice\r\nx-other: o\r\ncontent-length: 0\r\n\r\n"

/* Allowed: the check is the request's method and path with the header
 * asked for; the request goes on with the service's header it takes. */
static void test_authzcall_http_allowed(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;

	begin_start(e, 0, GET("/h/x?q=1", "x-token: t1\r\nx-secret: s\r\n"));
	check(t, ALLOW);
	UNTIL(e, e->seen.sends == 1);
	assert_true(!strncmp(t->asked, "GET /h/x?q=1 HTTP/1.1\r\n", 23));
	assert_non_null(strcasestr(t->asked, "\r\nx-token: t1\r\n"));
	assert_null(strcasestr(t->asked, "x-secret"));
	assert_non_null(strstr(e->seen.sent, "\r\nx-auth-user: alice\r\n"));
	assert_null(strstr(e->seen.sent, "x-other"));
	assert_int_equal(e->seen.answers, 0);
}

/* Denied: the service's status, lines and body are the client's answer;
 * no try. */
static void test_authzcall_http_denied(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;

	begin_start(e, 0, GET("/h", "x-token: bad\r\n"));
	check(t, "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer\r\ncontent-length: "
		 "4\r\n\r\nnope");
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 401);
	assert_non_null(strstr(e->seen.lines, "www-authenticate: Bearer\n"));
	assert_string_equal(e->seen.body, "nope");
	assert_int_equal(e->seen.sends, 0);
	assert_int_equal(counted(e, "bind/8080/web", "bind/8080/web/h", 401), 1);
}

/* http.path and addRequestHeaders: CEL over the request shapes the
 * check. */
static void test_authzcall_http_path_and_headers(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;

	begin_start(e, 0, GET("/p/1", ""));
	check(t, ALLOW);
	UNTIL(e, e->seen.sends == 1);
	assert_true(!strncmp(t->asked, "GET /check/p/1 HTTP/1.1\r\n", 25));
	assert_non_null(strcasestr(t->asked, "\r\nx-from: gw\r\n"));
}

/* A service that cannot be asked, or answers nothing in time: failureMode
 * deny is 403 "external authorization failed", allow lets the request
 * on. */
static void test_authzcall_failure_mode(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;

	begin_start(e, 0, GET("/dead", ""));
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 403);
	assert_string_equal(e->seen.body, "external authorization failed");
	finish(e, 0);

	begin_start(e, 0, GET("/slow", ""));
	UNTIL(e, e->seen.answers == 1); /* the service accepts, never answers */
	assert_int_equal(e->seen.status, 403);
	assert_string_equal(e->seen.body, "external authorization failed");
	assert_int_equal(e->seen.sends, 0);
	finish(e, 0);

	begin_start(e, 0, GET("/open", ""));
	UNTIL(e, e->seen.sends == 1);
	assert_int_equal(e->seen.answers, 0);
}

/* With a cache: an answer is replayed to the next request of its key
 * (its header too) without a call, another key asks, and a denial is
 * kept as well. */
static void test_authzcall_cache(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;
	int fd;

	begin_start(e, 0, GET("/c", "x-token: k1\r\n"));
	check(t, ALLOW);
	UNTIL(e, e->seen.sends == 1);
	finish(e, 0);
	begin_start(e, 0, GET("/c/again", "x-token: k1\r\n"));
	UNTIL(e, e->seen.sends == 1);
	assert_non_null(strstr(e->seen.sent, "\r\nx-auth-user: alice\r\n"));
	finish(e, 0);

	begin_start(e, 0, GET("/c", "x-token: k2\r\n"));
	check(t, "HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno");
	UNTIL(e, e->seen.answers == 1);
	finish(e, 0);
	begin_start(e, 0, GET("/c", "x-token: k2\r\n"));
	UNTIL(e, e->seen.answers == 1);
	assert_int_equal(e->seen.status, 403);
	assert_string_equal(e->seen.body, "no");
	fd = accept4(t->service, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) /* a kept connection may be there; no check came on a new one */
		close(fd);
	assert_int_equal(fd, -1);
}

/* The request is over before the verdict: nothing is heard of the call
 * again, even when the answer comes. */
static void test_authzcall_cancel(void **state)
{
	struct azenv *t = *state;
	struct env *e = t->e;
	int fd = -1;

	begin_start(e, 0, GET("/h", "x-token: t1\r\n"));
	for (int i = 0; i < 400 && fd < 0; i++) {
		sg_loop_run_once(e->loop, 5);
		fd = accept4(t->service, NULL, NULL, SOCK_CLOEXEC);
	}
	assert_true(fd >= 0);
	free_requests(e);
	assert_int_equal(write(fd, ALLOW, strlen(ALLOW)), (ssize_t)strlen(ALLOW));
	close(fd);
	for (int i = 0; i < 20; i++)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(e->seen.sends + e->seen.answers, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authzcall_http_allowed, az_setup, az_teardown),
		cmocka_unit_test_setup_teardown(test_authzcall_http_denied, az_setup, az_teardown),
		cmocka_unit_test_setup_teardown(test_authzcall_http_path_and_headers, az_setup,
						az_teardown),
		cmocka_unit_test_setup_teardown(test_authzcall_failure_mode, az_setup, az_teardown),
		cmocka_unit_test_setup_teardown(test_authzcall_cache, az_setup, az_teardown),
		cmocka_unit_test_setup_teardown(test_authzcall_cancel, az_setup, az_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
