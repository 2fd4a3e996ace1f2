/* Unit tests of user/gateway.c, the running gateway, through
 * sg_gateway_run in a child process (it owns its signals and runs until
 * SIGTERM): the exit codes (0 after SIGTERM, 1 for a bad config, 2 for a
 * port another socket holds), a request served on the config's port,
 * /healthz/ready on the admin port, a SIGHUP reload that moves the
 * listener, and a broken reload that keeps the config in force. The
 * client and backend are the test's, on 127.0.0.1, with generous bounds;
 * the child's log is read back from a file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dialer.h"
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "user/gateway.h"

#define DATE "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"

struct env {
	char dir[64], config[96], log[96];
	uint16_t port, admin, ready, stats, bport;
	int backend; /* listening */
	pid_t pid;
};

/* The config file: one HTTP route on `port` to the test's backend, the
 * readiness and stats listeners on ports of the test's own (their
 * defaults are shared with every gateway on the host), or `text` as it
 * is. */
static void write_config(struct env *e, uint16_t port, const char *text)
{
	char buf[512];
	FILE *f;

	if (!text) {
		snprintf(buf, sizeof(buf),
			 "config: {statsAddr: 127.0.0.1:%u, readinessAddr: 127.0.0.1:%u}\n"
			 "binds:\n- port: %u\n  listeners:\n  - routes:\n"
			 "    - backends: [{host: 127.0.0.1:%u}]\n",
			 e->stats, e->ready, port, e->bport);
		text = buf;
	}
	f = fopen(e->config, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/sg-test-gateway-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->config, sizeof(e->config), "%s/config.yaml", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/log", e->dir);
	e->backend = test_loopback(true, 0, &e->bport);
	e->port = free_port();
	do
		e->admin = free_port();
	while (e->admin == e->port);
	do
		e->ready = free_port();
	while (e->ready == e->port || e->ready == e->admin);
	do
		e->stats = free_port();
	while (e->stats == e->port || e->stats == e->admin || e->stats == e->ready);
	write_config(e, e->port, NULL);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char path[128];

	if (e->pid > 0) { /* a case that failed with its gateway running */
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	close(e->backend);
	unlink(e->config);
	unlink(e->log);
	snprintf(path, sizeof(path), "%s/admin.sock", e->dir);
	unlink(path);
	rmdir(e->dir);
	free(e);
	return 0;
}

/* The gateway on e's config in a child, its stdout and stderr to e->log. */
static void run(struct env *e)
{
	int fd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	fflush(NULL);
	e->pid = fork();
	assert_true(e->pid >= 0);
	if (e->pid == 0) {
		static char admin[32], sock[128];
		const char *paths[1] = { e->config };
		struct sg_gateway_opts o = {
			.version = "test",
			.config_paths = paths,
			.nconfig_paths = 1,
			.admin_addr = admin,
			.splice = "copy",
			.workers = 1,
			.access_log = "off",
			.admin_socket = sock,
		};

		snprintf(admin, sizeof(admin), "127.0.0.1:%u", e->admin);
		snprintf(sock, sizeof(sock), "%s/admin.sock", e->dir);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		_exit(sg_gateway_run(&o));
	}
	close(fd);
}

/* The child's exit code, waited for (WAIT_MS at most). */
static int exit_code(struct env *e)
{
	int status = 0;

	for (uint64_t end = now_ms() + WAIT_MS; now_ms() < end; usleep(10000)) {
		pid_t p = waitpid(e->pid, &status, WNOHANG);

		assert_true(p >= 0);
		if (p == e->pid) {
			e->pid = 0;
			assert_true(WIFEXITED(status));
			return WEXITSTATUS(status);
		}
	}
	fail_msg("the gateway did not exit");
	return -1;
}

/* The child's log so far. */
static const char *log_text(struct env *e)
{
	static char buf[8192];
	int fd = open(e->log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* GET / through port, answered by the test's backend: the client's bytes
 * are exactly the backend's answer. */
static void served(struct env *e, uint16_t port)
{
	struct pollfd p = { .fd = e->backend, .events = POLLIN };
	char buf[1024];
	int c = dial_until(port, true), b;

	say(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	b = accept4(e->backend, NULL, NULL, SOCK_CLOEXEC);
	assert_true(b >= 0);
	read_until(b, buf, sizeof(buf), "\r\n\r\n");
	assert_true(!strncmp(buf, "GET / HTTP/1.1\r\n", 16));
	say(b, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" DATE "\r\nok");
	read_until(c, buf, sizeof(buf), "\r\n\r\nok");
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" DATE "\r\nok");
	close(b);
	close(c);
}

/* A request served, /healthz/ready 200, and exit 0 on SIGTERM. */
static void test_gateway_serves_and_exits_0_on_sigterm(void **state)
{
	struct env *e = *state;
	char buf[1024];
	int a;

	run(e);
	served(e, e->port);
	a = dial_until(e->ready, true);
	say(a, "GET /healthz/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	read_until(a, buf, sizeof(buf), "\r\n\r\n");
	assert_true(!strncmp(buf, "HTTP/1.1 200 ", 13));
	close(a);
	a = dial(e->admin); /* the admin API is up too */
	assert_true(a >= 0);
	close(a);
	assert_int_equal(kill(e->pid, SIGTERM), 0);
	assert_int_equal(exit_code(e), 0);
}

/* A config that does not load: exit 1, the error in the log, nothing
 * bound. */
static void test_gateway_bad_config_exits_1(void **state)
{
	struct env *e = *state;

	write_config(e, 0, "binds:\n- port: 8080\n  colour: blue\n");
	run(e);
	assert_int_equal(exit_code(e), 1);
	assert_non_null(strstr(log_text(e), "colour"));
	assert_int_equal(dial(e->admin), -1);
}

/* A listener's port held by another socket: exit 2, before serving. */
static void test_gateway_port_in_use_exits_2(void **state)
{
	struct env *e = *state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(e->port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char want[32];

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	run(e);
	assert_int_equal(exit_code(e), 2);
	snprintf(want, sizeof(want), "%u", e->port);
	assert_non_null(strstr(log_text(e), want));
	close(fd);
}

/* SIGHUP reads the files again: the listener moves to the new port; a
 * broken file then keeps that config in force, said in the log. */
static void test_gateway_reload_on_sighup(void **state)
{
	struct env *e = *state;
	uint16_t moved;

	do
		moved = free_port();
	while (moved == e->port || moved == e->admin || moved == e->ready || moved == e->stats);
	run(e);
	served(e, e->port);
	write_config(e, moved, NULL);
	assert_int_equal(kill(e->pid, SIGHUP), 0);
	dial_until(e->port, false);
	served(e, moved);
	write_config(e, 0, "binds: [\n");
	assert_int_equal(kill(e->pid, SIGHUP), 0);
	for (uint64_t end = now_ms() + WAIT_MS;
	     !strstr(log_text(e), "reload failed; the config in force is unchanged") &&
	     now_ms() < end;)
		usleep(10000);
	assert_non_null(strstr(log_text(e), "reload failed; the config in force is unchanged"));
	served(e, moved);
	assert_int_equal(kill(e->pid, SIGTERM), 0);
	assert_int_equal(exit_code(e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gateway_serves_and_exits_0_on_sigterm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gateway_bad_config_exits_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_port_in_use_exits_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_reload_on_sighup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
