/* Unit tests of user/relay/splice.c's side that is not the kernel's data
 * path (that is tests/bpf/test_splice.c: real sockets spliced, verdicts
 * counted): `splicegate bpf` (sg_splice_cli), its usage errors and exit
 * codes, and, as root, the whole lifecycle in a pin directory of the
 * test's own under /sys/fs/bpf: status before, load, load again, status
 * with the backlog limit asked for, a gateway's open of the pinned
 * objects, unload, status after. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/relay/splice.h"

static char out[8192], err[4096];
static char pinned_at[64]; /* the lifecycle's pin directory, "" when none */

/* `splicegate bpf ARGS...` (NULL-terminated): its exit code, stdout in
 * out and stderr in err. */
static int bpf_cli(const char *first, ...)
{
	const char *args[16];
	char *argv[16];
	struct test_capture o, e;
	va_list ap;
	int argc = 0, rc;

	va_start(ap, first);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
		args[argc++] = a;
	va_end(ap);
	for (int i = 0; i < argc; i++)
		assert_non_null(argv[i] = strdup(args[i]));
	argv[argc] = NULL;
	test_capture_init(&o);
	test_capture_init(&e);
	test_capture_start(&o, STDOUT_FILENO);
	test_capture_start(&e, STDERR_FILENO);
	rc = sg_splice_cli(argc, argv);
	test_capture_end(&e, err, sizeof(err));
	test_capture_end(&o, out, sizeof(out));
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static void test_splice_cli_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(bpf_cli("attach", NULL), 1);
	assert_string_equal(
		err,
		"usage: splicegate bpf load|unload|status [--pin-dir DIR] [--backlog BYTES]\n");
	assert_int_equal(bpf_cli("status", "--pin-dir", "relative/dir", NULL), 1);
	assert_string_equal(
		err,
		"splicegate bpf: --pin-dir: expected an absolute path, got \"relative/dir\"\n");
	assert_int_equal(bpf_cli("load", "--backlog", "0", NULL), 1);
	assert_string_equal(err, "splicegate bpf: --backlog: expected a byte count such as "
				 "2097152, got \"0\"\n");
	assert_int_equal(bpf_cli("load", "--backlog", "2M", NULL), 1);
	assert_string_equal(err, "splicegate bpf: --backlog: expected a byte count such as "
				 "2097152, got \"2M\"\n");
	assert_int_equal(bpf_cli("status", "now", NULL), 1);
	assert_string_equal(err, "splicegate bpf: unexpected argument \"now\"\n");
	assert_string_equal(out, "");
}

/* A directory nothing was pinned at is "not loaded" (exit 0), for status
 * and unload alike. */
static void test_splice_cli_nothing_pinned(void **state)
{
	char dir[64], want[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sg-test-splice-none-%d", (int)getpid());
	snprintf(want, sizeof(want), "not loaded (nothing pinned at %s)\n", dir);
	assert_int_equal(bpf_cli("status", "--pin-dir", dir, NULL), 0);
	assert_string_equal(out, want);
	assert_int_equal(bpf_cli("unload", "--pin-dir", dir, NULL), 0);
	assert_string_equal(out, want);
}

/* load, status, a gateway's open, unload: each as a user sees it. */
static void test_splice_cli_lifecycle(void **state)
{
	struct sg_splice_opts so = { 0 };
	struct sg_splice *s;
	char dir[64], want[256], why[256];
	struct stat st;

	(void)state;
	if (geteuid() != 0) {
		skip(); /* loading a BPF program is root's */
		return;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/sg-test-splice-%d", (int)getpid());
	snprintf(pinned_at, sizeof(pinned_at), "%s", dir);
	assert_int_equal(bpf_cli("load", "--pin-dir", dir, "--backlog", "65536", NULL), 0);
	snprintf(want, sizeof(want), "loaded and pinned at %s (backlog limit 65536 bytes)\n", dir);
	assert_string_equal(out, want);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(bpf_cli("load", "--pin-dir", dir, NULL), 0);
	assert_true(!strncmp(out, "already loaded: ", 16));

	assert_int_equal(bpf_cli("status", "--pin-dir", dir, NULL), 0);
	snprintf(want, sizeof(want), "pinned at %s: program ", dir);
	assert_true(!strncmp(out, want, strlen(want)));
	assert_non_null(strstr(out, "(backlog limit 65536 bytes)\n"));
	assert_non_null(strstr(out, "verdict "));

	so.pin_dir = dir;
	s = sg_splice_open(&so, why, sizeof(why));
	if (!s)
		fail_msg("open pinned: %s", why);
	assert_non_null(sg_splice_describe(s));
	sg_splice_close(s);

	assert_int_equal(bpf_cli("unload", "--pin-dir", dir, NULL), 0);
	{
		static const char *const pins[] = {
			"sg_verdict_link", "sg_verdict", "socks", "sock_state",
			"sock_ctl",	   "verdicts",	 "rings"
		};
		char all[1024];
		size_t n = 0;

		for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
			n += (size_t)snprintf(all + n, sizeof(all) - n, "  removed %s/%s\n", dir,
					      pins[i]);
		snprintf(all + n, sizeof(all) - n,
			 "unloaded: %s removed; running gateways keep their open copies\n", dir);
		assert_string_equal(out, all);
	}
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(bpf_cli("status", "--pin-dir", dir, NULL), 0);
	snprintf(want, sizeof(want), "not loaded (nothing pinned at %s)\n", dir);
	assert_string_equal(out, want);
}

/* A lifecycle that failed half-way leaves no pins behind. */
static int unpin(void **state)
{
	struct stat st;

	(void)state;
	if (pinned_at[0] && stat(pinned_at, &st) == 0)
		bpf_cli("unload", "--pin-dir", pinned_at, NULL);
	pinned_at[0] = '\0';
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splice_cli_usage_errors),
		cmocka_unit_test(test_splice_cli_nothing_pinned),
		cmocka_unit_test_teardown(test_splice_cli_lifecycle, unpin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
