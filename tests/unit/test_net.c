/* Tests for user/base/net.c: address parsing and socket options read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "user/base/net.h"

static void test_net_parses_addresses(void **state)
{
	static const struct {
		const char *in, *out, *ip;
	} ok[] = {
		{ "127.0.0.1:15000", "127.0.0.1:15000", "127.0.0.1" },
		{ "0.0.0.0:8080", "0.0.0.0:8080", "0.0.0.0" },
		{ ":8080", "0.0.0.0:8080", "0.0.0.0" },
		{ "[::1]:15000", "[::1]:15000", "::1" },
	};
	static const char *const bad[] = { "127.0.0.1",	   "127.0.0.1:", "127.0.0.1:70000",
					   "localhost:80", "[::1:80",	 "1.2.3.4:8x" };
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[80];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(sg_net_parse_addr(ok[i].in, &ss, &len), 0);
		assert_string_equal(sg_net_addr_str(&ss, buf, sizeof(buf)), ok[i].out);
		assert_string_equal(sg_net_ip_str(&ss, buf, sizeof(buf)), ok[i].ip);
	}
	assert_string_equal(sg_net_ip_str(&ss, buf, 3), "?"); /* ::1 needs 4 */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sg_net_parse_addr(bad[i], &ss, &len), -1);
}

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, opt, &v, &len), 0);
	return v;
}

static void test_net_keepalive_options_read_back(void **state)
{
	struct sg_keepalive ka = { .enabled = true,
				   .time = SG_DUR_S(30),
				   .interval = SG_DUR_MS(4500), /* rounds up to 5 */
				   .retries = 3 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(sg_net_keepalive(fd, &ka), 0);
	assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	ka.enabled = false;
	assert_int_equal(sg_net_keepalive(fd, &ka), 0);
	assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	assert_int_equal(sg_net_nodelay(fd), 0);
	assert_int_equal(getint(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	close(fd);
}

static void test_net_listen_reuseport(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a, b;
	struct sockaddr_in got;
	socklen_t glen = sizeof(got);
	char addr[32];

	assert_int_equal(sg_net_parse_addr("127.0.0.1:0", &ss, &len), 0);
	a = sg_net_listen(&ss, len, true);
	assert_int_not_equal(a, -1);
	assert_int_equal(getsockname(a, (struct sockaddr *)&got, &glen), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(got.sin_port));
	assert_int_equal(sg_net_parse_addr(addr, &ss, &len), 0);
	b = sg_net_listen(&ss, len, true); /* a second worker's socket */
	assert_int_not_equal(b, -1);
	close(b);
	b = sg_net_listen(&ss, len, false); /* without REUSEPORT: in use */
	assert_int_equal(b, -1);
	/* A connection accepted from it has TCP_NODELAY already. */
	b = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(b, (struct sockaddr *)&got, glen), 0);
	{
		int acc = accept(a, NULL, NULL);

		assert_int_not_equal(acc, -1);
		assert_int_equal(getint(acc, IPPROTO_TCP, TCP_NODELAY), 1);
		close(acc);
	}
	close(b);
	close(a);
}

/* A listening socket on `spec` ("0.0.0.0:0" picks a port); *ss gets its
 * address as a probe would take it, on 0.0.0.0. */
static int listen_on(const char *spec, bool reuseport, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in got;
	socklen_t glen = sizeof(got);
	char addr[32];
	int fd;

	assert_int_equal(sg_net_parse_addr(spec, ss, len), 0);
	fd = sg_net_listen(ss, *len, reuseport);
	assert_int_not_equal(fd, -1);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&got, &glen), 0);
	snprintf(addr, sizeof(addr), "0.0.0.0:%u", ntohs(got.sin_port));
	assert_int_equal(sg_net_parse_addr(addr, ss, len), 0);
	return fd;
}

/* Someone else's listener, with SO_REUSEPORT or without (a second
 * gateway under the same uid would have joined the first's with it), makes
 * the port busy; once it is closed the port is free. */
static void test_net_probe_finds_busy_port(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = listen_on("0.0.0.0:0", false, &ss, &len);
	assert_int_equal(sg_net_probe(&ss, len), -EADDRINUSE);
	close(fd);
	assert_int_equal(sg_net_probe(&ss, len), 0);
	fd = listen_on("0.0.0.0:0", true, &ss, &len);
	assert_int_equal(sg_net_probe(&ss, len), -EADDRINUSE);
	close(fd);
	assert_int_equal(sg_net_probe(&ss, len), 0);
}

struct prober {
	struct sockaddr_storage ss;
	socklen_t len;
	atomic_bool stop;
	unsigned n, failed;
};

static void *probe_loop(void *arg)
{
	struct prober *p = arg;

	while (!atomic_load(&p->stop)) {
		p->failed += sg_net_probe(&p->ss, p->len) != -EADDRINUSE;
		p->n++;
	}
	return NULL;
}

/* Probes of a port that workers listen on (a reload re-adding a port they
 * have not closed yet) find it busy and take none of its connections: each one connected
 * while probes run is accepted by the live listener. (A probe that listened
 * took up to 10% of them, refused or reset, in 4 runs of 6.) */
static void test_net_probe_takes_no_connections(void **state)
{
	struct prober p = { .n = 0 };
	struct sockaddr_in to;
	pthread_t t;
	int lfd, accepted = 0, refused = 0;

	lfd = listen_on("0.0.0.0:0", true, &p.ss, &p.len);
	memcpy(&to, &p.ss, sizeof(to));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(pthread_create(&t, NULL, probe_loop, &p), 0);
	for (int i = 0; i < 1000; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), a;

		refused += connect(c, (struct sockaddr *)&to, sizeof(to)) == -1;
		while ((a = accept(lfd, NULL, NULL)) != -1) {
			accepted++;
			close(a);
		}
		close(c);
	}
	atomic_store(&p.stop, true);
	pthread_join(t, NULL);
	for (int a; (a = accept(lfd, NULL, NULL)) != -1;) {
		accepted++;
		close(a);
	}
	close(lfd);
	assert_true(p.n > 0);
	assert_int_equal(p.failed, 0);
	assert_int_equal(refused, 0);
	assert_int_equal(accepted, 1000);
}

/* A port our own listener holds is held by this process; once it is
 * closed, by nobody. */
static void test_net_port_held_by_self(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t port;
	int fd;

	fd = listen_on("0.0.0.0:0", true, &ss, &len);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	assert_true(sg_net_port_held_by_self(port));
	close(fd);
	assert_false(sg_net_port_held_by_self(port));
}

/* The admin socket: made with its mode whatever the umask, its directory
 * made; a second one at the same path while the first accepts is refused,
 * a file left by a listener that is gone is replaced, a file that is no
 * socket is left alone. */
static void test_net_unix_socket_replaces_only_stale(void **state)
{
	char dir[] = "/tmp/sg-test-net.XXXXXX", path[128], file[128];
	struct stat st;
	struct sg_net_file_id ino, ino2;
	mode_t old = umask(0);
	int a, b, c;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/admin.sock", dir);
	a = sg_net_listen_unix(path, 0660, &ino);
	umask(old);
	assert_true(a >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(sg_net_listen_unix(path, 0660, &ino2), -EADDRINUSE);
	c = sg_net_connect_unix(path);
	assert_true(c >= 0);
	close(c);
	close(a); /* as a gateway killed with -9 leaves it */
	assert_int_equal(sg_net_connect_unix(path), -ECONNREFUSED);
	b = sg_net_listen_unix(path, 0600, &ino2);
	assert_true(b >= 0);
	sg_net_unlink_unix(path, &ino); /* not the first one's file any more */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	sg_net_unlink_unix(path, &ino2);
	assert_int_equal(stat(path, &st), -1);
	close(b);
	snprintf(file, sizeof(file), "%s/run/plain", dir);
	close(creat(file, 0600));
	assert_int_equal(sg_net_listen_unix(file, 0660, &ino), -EEXIST);
	assert_int_equal(unlink(file), 0);
	snprintf(file, sizeof(file), "%s/run", dir);
	assert_int_equal(rmdir(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The admin socket's directory is refused (-EPERM) where another user
 * could swap the socket for their own (it was bound there all the same):
 * writable by group or others without the sticky bit, or another user's;
 * a sticky one such as /tmp is taken. */
static void test_net_unix_socket_refuses_open_directories(void **state)
{
	char dir[] = "/tmp/sg-test-net.XXXXXX", path[128];
	struct sg_net_file_id id;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.sock", dir);
	assert_int_equal(chmod(dir, 0777), 0);
	fd = sg_net_listen_unix(path, 0660, &id);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		rmdir(dir);
		fail_msg("bound in a directory everyone may write");
	}
	assert_int_equal(fd, -EPERM);
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(sg_net_listen_unix(path, 0660, &id), -EPERM);
	if (geteuid() == 0) {
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(sg_net_listen_unix(path, 0660, &id), -EPERM);
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	assert_int_equal(chmod(dir, 01777), 0);
	fd = sg_net_listen_unix(path, 0660, &id);
	assert_true(fd >= 0);
	close(fd);
	sg_net_unlink_unix(path, &id);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_parses_addresses),
		cmocka_unit_test(test_net_keepalive_options_read_back),
		cmocka_unit_test(test_net_listen_reuseport),
		cmocka_unit_test(test_net_probe_finds_busy_port),
		cmocka_unit_test(test_net_probe_takes_no_connections),
		cmocka_unit_test(test_net_port_held_by_self),
		cmocka_unit_test(test_net_unix_socket_replaces_only_stale),
		cmocka_unit_test(test_net_unix_socket_refuses_open_directories),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
