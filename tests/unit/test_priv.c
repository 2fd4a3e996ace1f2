/* Tests for user/priv.c. Capabilities belong to threads and cannot come
 * back once dropped, so every drop happens in a forked child, which sends
 * what it observed back through a pipe; the test process keeps its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "user/priv.h"

/* What a child saw after sg_priv_drop. */
struct seen {
	int rc;
	struct sg_priv_caps before, after, thread;
	int bind81_errno; /* 0 when bind to 127.0.0.1:81 worked */
	int raw_errno;	  /* 0 when a raw socket could be opened */
	char err[128];
};

static void *read_in_thread(void *arg)
{
	sg_priv_read(arg);
	return NULL;
}

/* errno of bind(127.0.0.1:81), 0 on success; EADDRINUSE also means the
 * permission check passed (it comes first in the kernel). */
static int bind81(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(81),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 0;

	if (fd == -1)
		return errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		rc = errno == EADDRINUSE ? 0 : errno;
	close(fd);
	return rc;
}

static int raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}

static void drop_in_child(uint64_t keep, struct seen *out)
{
	int fds[2];
	pid_t pid;
	int status;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct seen s = { 0 };
		pthread_t t;

		sg_priv_read(&s.before);
		s.rc = sg_priv_drop(keep, s.err, sizeof(s.err));
		sg_priv_read(&s.after);
		pthread_create(&t, NULL, read_in_thread, &s.thread);
		pthread_join(t, NULL);
		s.bind81_errno = bind81();
		s.raw_errno = raw_socket();
		_exit(write(fds[1], &s, sizeof(s)) == (ssize_t)sizeof(s) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], out, sizeof(*out)), sizeof(*out));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
}

static bool is_root_with_setpcap(const struct sg_priv_caps *c)
{
	return (c->effective & SG_PRIV_CAP(CAP_SETPCAP)) &&
	       (c->effective & SG_PRIV_CAP(CAP_NET_BIND_SERVICE));
}

static void test_priv_drop_keeps_only_what_is_asked(void **state)
{
	const uint64_t keep = SG_PRIV_CAP(CAP_NET_BIND_SERVICE) | SG_PRIV_CAP(CAP_BPF);
	struct seen s;

	drop_in_child(keep, &s);
	assert_int_equal(s.rc, 0);
	assert_true(s.after.no_new_privs);
	assert_int_equal(s.after.inheritable, 0);
	assert_int_equal(s.after.ambient, 0);
	/* Nothing is granted that the process did not have. */
	assert_int_equal(s.after.permitted, keep & s.before.permitted);
	assert_int_equal(s.after.effective, s.after.permitted);
	if (!is_root_with_setpcap(&s.before)) {
		/* Unprivileged: nothing to keep, the bounding set untouched. */
		assert_int_equal(s.after.bounding, s.before.bounding);
		return;
	}
	assert_int_equal(s.after.bounding, keep & s.before.bounding);
	assert_int_equal(s.bind81_errno, 0);
	assert_int_equal(s.raw_errno, EPERM);
}

static void test_priv_drop_reaches_later_threads(void **state)
{
	const uint64_t keep = SG_PRIV_CAP(CAP_NET_BIND_SERVICE);
	struct seen s;

	drop_in_child(keep, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.thread.effective, s.after.effective);
	assert_int_equal(s.thread.permitted, s.after.permitted);
	assert_int_equal(s.thread.bounding, s.after.bounding);
	assert_true(s.thread.no_new_privs);
}

static void test_priv_drop_all_refuses_privileged_ports(void **state)
{
	struct seen s;

	drop_in_child(0, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.after.effective, 0);
	assert_int_equal(s.after.permitted, 0);
	assert_int_equal(s.bind81_errno, EACCES);
	if (is_root_with_setpcap(&s.before))
		assert_int_equal(s.after.bounding, 0);
}

static void test_priv_names(void **state)
{
	char buf[64];

	assert_string_equal(sg_priv_names(0, buf, sizeof(buf)), "none");
	assert_string_equal(sg_priv_names(SG_PRIV_CAP(CAP_BPF) | SG_PRIV_CAP(CAP_NET_BIND_SERVICE),
					  buf, sizeof(buf)),
			    "cap_net_bind_service,cap_bpf");
	assert_string_equal(
		sg_priv_names(SG_PRIV_CAP(CAP_CHOWN) | SG_PRIV_CAP(50), buf, sizeof(buf)),
		"cap_chown,cap_50");
	/* Too small: cut, still terminated. */
	assert_string_equal(sg_priv_names(SG_PRIV_CAP(CAP_NET_ADMIN), buf, 8), "cap_net");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priv_drop_keeps_only_what_is_asked),
		cmocka_unit_test(test_priv_drop_reaches_later_threads),
		cmocka_unit_test(test_priv_drop_all_refuses_privileged_ports),
		cmocka_unit_test(test_priv_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
