/* Unit tests of user/main.c. main.c only wires (argv -> subcommand), so
 * what is tested is what it decides: each option's value as the gateway
 * gets it (parse_args into struct sg_gateway_opts), each bad option's one
 * line on stderr, and the exit code and output of the subcommands that do
 * not start a gateway (check, version, help, an unknown command or
 * argument). main.c is compiled into this test with its main renamed;
 * the gateway itself (sg_gateway_run) is test_gateway's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int splicegate_main(int argc, char **argv);
#define main splicegate_main
#include "user/main.c"
#undef main

static char err[4096], out[4096];
static char **parsed; /* the last parse's argv */

/* A writable copy of the NULL-terminated args (as the kernel gives argv):
 * its count in *argc; free it with args_free. */
static char **args_copy(const char *const *args, int *argc)
{
	char **v;
	int n = 0;

	while (args[n])
		n++;
	v = calloc((size_t)n + 1, sizeof(*v));
	assert_non_null(v);
	for (int i = 0; i < n; i++)
		assert_non_null(v[i] = strdup(args[i]));
	*argc = n;
	return v;
}

static void args_free(char **v)
{
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* parse_args of argv (argv[0] first) into *cli, as main makes it; stderr
 * kept in err. */
static int parse(const char *const *args, struct cli *cli)
{
	struct test_capture c;
	int argc, rc;
	char **argv = args_copy(args, &argc);

	memset(cli, 0, sizeof(*cli));
	optind = 0; /* getopt starts afresh */
	test_capture_init(&c);
	test_capture_start(&c, STDERR_FILENO);
	rc = parse_args(NULL, argc, argv, cli);
	test_capture_end(&c, err, sizeof(err));
	/* What cli keeps points into argv: kept until the next parse. */
	if (parsed)
		args_free(parsed);
	parsed = argv;
	return rc;
}

/* splicegate_main(argv): its exit code, stdout in out and stderr in err. */
static int run(const char *const *args)
{
	struct test_capture o, e;
	int argc, rc;
	char **argv = args_copy(args, &argc);

	optind = 0;
	test_capture_init(&o);
	test_capture_init(&e);
	test_capture_start(&o, STDOUT_FILENO);
	test_capture_start(&e, STDERR_FILENO);
	rc = splicegate_main(argc, argv);
	test_capture_end(&e, err, sizeof(err));
	test_capture_end(&o, out, sizeof(out));
	args_free(argv);
	return rc;
}

/* A config file under /tmp holding `text`; its path in path[]. */
static void config_file(char *path, size_t cap, const char *text)
{
	int fd;

	snprintf(path, cap, "/tmp/sg-test-main-XXXXXX.yaml");
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_main_options_reach_the_gateway(void **state)
{
	const char *argv[] = { "splicegate",
			       "-c",
			       "a.yaml",
			       "--config",
			       "dir",
			       "--workers",
			       "3",
			       "--splice",
			       "copy",
			       "--access-log",
			       "json",
			       "--tunnel-idle-timeout",
			       "90s",
			       "--request-head-timeout",
			       "0",
			       "--body-idle-timeout",
			       "1500ms",
			       "--busy-poll",
			       "50us",
			       "--coalesce",
			       "20us",
			       "--drain-delay",
			       "2s",
			       "--max-connections-per-source",
			       "7",
			       "--held-bodies-per-source",
			       "64",
			       "--client-rcvbuf",
			       "65536",
			       "--client-sndbuf",
			       "256k",
			       "--backend-rcvbuf",
			       "1m",
			       "--backend-sndbuf",
			       "4K",
			       "--client-notsent-lowat",
			       "128k",
			       "--backend-h2-keepalive-interval",
			       "10s",
			       "--backend-max-connection-age",
			       "1m",
			       "--admin",
			       "127.0.0.1:9",
			       "--admin-socket",
			       "/tmp/x.sock",
			       "--state-dir",
			       "/var/lib/x",
			       "--reset-state",
			       "--refuse-empty-reload",
			       "--admin-tcp-writes",
			       NULL };
	struct cli cli;

	(void)state;
	assert_int_equal(parse(argv, &cli), 0);
	assert_string_equal(err, "");
	assert_int_equal(cli.gw.nconfig_paths, 2);
	assert_string_equal(cli.gw.config_paths[0], "a.yaml");
	assert_string_equal(cli.gw.config_paths[1], "dir");
	assert_int_equal(cli.gw.workers, 3);
	assert_string_equal(cli.gw.splice, "copy");
	assert_string_equal(cli.gw.access_log, "json");
	assert_int_equal(cli.gw.tunnel_idle_ms, 90000);
	assert_int_equal(cli.gw.head_timeout_ms, 0);
	assert_int_equal(cli.gw.body_idle_ms, 1500);
	assert_int_equal(cli.gw.busy_poll_ns, 50000);
	assert_int_equal(cli.gw.coalesce_ns, 20000);
	assert_int_equal(cli.gw.drain_delay_ms, 2000);
	assert_int_equal(cli.gw.max_per_source, 7);
	assert_int_equal(cli.gw.held_per_source, 64);
	assert_int_equal(cli.gw.bufs.client_rcv, 65536);
	assert_int_equal(cli.gw.bufs.client_snd, 256 << 10);
	assert_int_equal(cli.gw.bufs.backend_rcv, 1 << 20);
	assert_int_equal(cli.gw.bufs.backend_snd, 4096);
	assert_int_equal(cli.gw.bufs.client_lowat, 128 << 10);
	assert_int_equal(cli.gw.backend_ping_ms, 10000);
	assert_int_equal(cli.gw.backend_max_age_ms, 60000);
	assert_string_equal(cli.gw.admin_addr, "127.0.0.1:9");
	assert_string_equal(cli.gw.admin_socket, "/tmp/x.sock");
	assert_string_equal(cli.gw.state_dir, "/var/lib/x");
	assert_true(cli.gw.reset_state);
	assert_true(cli.gw.refuse_empty_reload);
	assert_true(cli.gw.admin_tcp_writes);
	assert_false(cli.gw.admin_allow_remote);
}

/* Each bad value: -1 and one line that names the option, what it expects
 * and what it got. */
static void test_main_bad_values_refused_by_name(void **state)
{
	static const struct {
		const char *opt, *arg, *line;
	} cases[] = {
		{ "--workers", "0", "splicegate: --workers: expected 1 to 256, got \"0\"\n" },
		{ "--workers", "257", "splicegate: --workers: expected 1 to 256, got \"257\"\n" },
		{ "--workers", "3x", "splicegate: --workers: expected 1 to 256, got \"3x\"\n" },
		{ "--splice", "fast",
		  "splicegate: --splice: expected auto, sockmap, splice or copy, got \"fast\"\n" },
		{ "--access-log", "xml",
		  "splicegate: --access-log: expected text, json or off, got \"xml\"\n" },
		{ "--log-level", "loud",
		  "splicegate: --log-level: expected error, warn, info or debug, got \"loud\"\n" },
		{ "--coalesce", "2ms",
		  "splicegate: --coalesce: expected a duration from 0 to 1ms, such as 50us, got "
		  "\"2ms\"\n" },
		{ "--busy-poll", "2s",
		  "splicegate: --busy-poll: expected a duration from 0 to 1s, such as 1ms, got "
		  "\"2s\"\n" },
		{ "--tunnel-idle-timeout", "0",
		  "splicegate: --tunnel-idle-timeout: expected a positive duration, got \"0\"\n" },
		{ "--max-connections-per-source", "7x",
		  "splicegate: --max-connections-per-source: expected 1 to 1000000, got \"7x\"\n" },
		{ "--client-sndbuf", "1k",
		  "splicegate: --client-sndbuf: expected a size from 4k to 64m, such as 256k, got "
		  "\"1k\"\n" },
		{ "--backend-rcvbuf", "65m",
		  "splicegate: --backend-rcvbuf: expected a size from 4k to 64m, such as 256k, got "
		  "\"65m\"\n" },
		{ "--backend-rcvbuf", "99999999999999999999m",
		  "splicegate: --backend-rcvbuf: expected a size from 4k to 64m, such as 256k, got "
		  "\"99999999999999999999m\"\n" },
		{ "--client-rcvbuf", "4398046511104k",
		  "splicegate: --client-rcvbuf: expected a size from 4k to 64m, such as 256k, got "
		  "\"4398046511104k\"\n" },
		{ "--backend-sndbuf", "2g",
		  "splicegate: --backend-sndbuf: expected a size from 4k to 64m, such as 256k, got "
		  "\"2g\"\n" },
		{ "--client-notsent-lowat", "100",
		  "splicegate: --client-notsent-lowat: expected a size from 4k to 64m, such as "
		  "256k, "
		  "got \"100\"\n" },
		{ "--bogus", "1",
		  "splicegate: unknown option \"--bogus\"; see 'splicegate --help'\n" },
	};
	struct cli cli;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "splicegate", cases[i].opt, cases[i].arg, NULL };

		assert_int_equal(parse(argv, &cli), -1);
		assert_string_equal(err, cases[i].line);
	}
	{
		const char *argv[] = { "splicegate", "--drain-delay", NULL };

		assert_int_equal(parse(argv, &cli), -1);
		assert_string_equal(err, "splicegate: option needs a value: \"--drain-delay\"; see "
					 "'splicegate --help'\n");
	}
}

/* check: 0 and "configuration ok" for a valid config; 1 and the errors
 * with their closing count for a bad one; 1 without -c. */
static void test_main_check_exit_codes(void **state)
{
	char good[64], bad[64];

	(void)state;
	config_file(good, sizeof(good),
		    "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		    "    - backends: [{host: 127.0.0.1:8000}]\n");
	config_file(bad, sizeof(bad),
		    "binds:\n- port: 8080\n  listeners:\n  - routes:\n"
		    "    - backends: [{host: 127.0.0.1:8000}]\n      colour: blue\n");
	{
		const char *argv[] = { "splicegate", "check", "-c", good, NULL };

		assert_int_equal(run(argv), 0);
		assert_string_equal(out, "configuration ok\n");
		assert_string_equal(err, "");
	}
	{
		const char *argv[] = { "splicegate", "check", "-c", bad, NULL };

		assert_int_equal(run(argv), 1);
		assert_string_equal(out, "");
		assert_non_null(strstr(err, "colour"));
		assert_non_null(strstr(err, "\n1 error: configuration invalid\n"));
	}
	{
		const char *argv[] = { "splicegate", "check", NULL };

		assert_int_equal(run(argv), 1);
		assert_string_equal(
			err,
			"splicegate check: needs -c FILE|DIR; see 'splicegate check --help'\n");
	}
	{
		const char *argv[] = { "splicegate", "check", "-c", good, "extra", NULL };

		assert_int_equal(run(argv), 1);
		assert_string_equal(
			err, "splicegate check: unexpected argument \"extra\"; see 'splicegate "
			     "check --help'\n");
	}
	unlink(good);
	unlink(bad);
}

/* version, help, an unknown command, --reset-state alone. */
static void test_main_other_commands(void **state)
{
	(void)state;
	{
		const char *argv[] = { "splicegate", "version", NULL };

		assert_int_equal(run(argv), 0);
		assert_string_equal(out, "splicegate " SG_FULL_VERSION "\n");
	}
	{
		const char *argv[] = { "splicegate", "help", NULL };

		assert_int_equal(run(argv), 0);
		assert_true(!strncmp(out, about, strlen(about)));
	}
	{
		const char *argv[] = { "splicegate", "help", "check", NULL };

		assert_int_equal(run(argv), 0);
		assert_non_null(strstr(out, "check"));
		assert_null(strstr(out, about));
	}
	{
		const char *argv[] = { "splicegate", "launch", NULL };

		assert_int_equal(run(argv), 1);
		assert_string_equal(
			err, "splicegate: unknown command \"launch\"; see 'splicegate --help'\n");
	}
	{
		const char *argv[] = { "splicegate", "--reset-state", NULL };

		assert_int_equal(run(argv), 1);
		assert_string_equal(err, "splicegate: --reset-state: needs --state-dir DIR\n");
	}
}

static int forget_parsed(void **state)
{
	(void)state;
	if (parsed)
		args_free(parsed);
	parsed = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_options_reach_the_gateway),
		cmocka_unit_test(test_main_bad_values_refused_by_name),
		cmocka_unit_test(test_main_check_exit_codes),
		cmocka_unit_test(test_main_other_commands),
	};

	return cmocka_run_group_tests(tests, NULL, forget_parsed);
}
