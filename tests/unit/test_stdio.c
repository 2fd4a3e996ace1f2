/* Unit tests for user/mcp/stdio.c, an MCP target's child process, on a
 * real loop with real children (sh, printf, cat, env): its argv run
 * without a shell and with only its three pipes, lines both ways (a CR
 * before the newline and empty lines dropped), the environment added or
 * alone (clearEnv), its stderr logged a bounded number of lines each cut,
 * its end reported (exit, a program that cannot be run, a line over the
 * bound) and its process group killed and reaped at the end. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/capture.h"
#include "user/base/log.h"
#include "user/base/loop.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/stdio.h"

/* What the child's owner was told. */
struct seen {
	char lines[16][256]; /* each cut at 255 bytes */
	size_t lens[16];     /* as it came */
	int nlines;
	const char *why; /* gone's, NULL while it is not */
	int ngone;
};

static void on_line(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;

	if (s->nlines < 16)
		s->lens[s->nlines] = len;
	if (s->nlines < 16)
		snprintf(s->lines[s->nlines], sizeof(s->lines[0]), "%.*s", (int)len, line);
	s->nlines++;
}

static void on_gone(void *arg, const char *why)
{
	struct seen *s = arg;

	s->why = why;
	s->ngone++;
}

static const struct sg_mcp_child_ops ops = { .line = on_line, .gone = on_gone };

struct env {
	struct sg_loop *loop;
	struct sg_mcp_child *ch;
	struct seen seen;
	struct test_capture cap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The loop runs until the child has written n lines or is gone (10 s). */
static void run_until(struct env *e, int n)
{
	uint64_t end = now_ms() + 10000;

	while (e->seen.nlines < n && !e->seen.ngone && now_ms() < end)
		sg_loop_run_once(e->loop, 5);
}

static void run_until_gone(struct env *e)
{
	uint64_t end = now_ms() + 10000;

	while (!e->seen.ngone && now_ms() < end)
		sg_loop_run_once(e->loop, 5);
	assert_int_equal(e->seen.ngone, 1);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	signal(SIGPIPE, SIG_IGN); /* as the gateway */
	e->loop = sg_loop_new();
	test_capture_init(&e->cap);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_capture_end(&e->cap, NULL, 0);
	sg_mcp_child_kill(e->ch);
	sg_loop_run_once(e->loop, 0); /* the close queue */
	sg_loop_free(e->loop);
	free(e);
	assert_int_equal(sg_mcp_children(), 0);
	return 0;
}

/* A target running cmd with args (NULL-terminated). */
static struct sg_mcp_target target(const char *cmd, const char **args)
{
	size_t n = 0;

	while (args && args[n])
		n++;
	return (struct sg_mcp_target){
		.name = "t1",
		.kind = SG_MCP_STDIO,
		.cmd = cmd,
		.args = { args, n, n },
	};
}

static void spawn(struct env *e, const struct sg_mcp_target *t)
{
	assert_int_equal(sg_mcp_child_spawn(e->loop, t, &ops, &e->seen, &e->ch), 0);
	assert_int_equal(sg_mcp_children(), 1);
}

/* Lines go to the child's stdin with their newline and come back from its
 * stdout one at a time, without CR and without empty ones. */
static void test_stdio_lines_both_ways(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = target("cat", NULL);

	spawn(e, &t);
	assert_int_equal(sg_mcp_child_send(e->ch, "{\"id\":1}", 8), 0);
	assert_int_equal(sg_mcp_child_send(e->ch, "two\r", 4), 0);
	assert_int_equal(sg_mcp_child_send(e->ch, "", 0), 0);
	assert_int_equal(sg_mcp_child_send(e->ch, "three", 5), 0);
	run_until(e, 3);
	assert_int_equal(e->seen.ngone, 0);
	assert_int_equal(e->seen.nlines, 3);
	assert_string_equal(e->seen.lines[0], "{\"id\":1}");
	assert_string_equal(e->seen.lines[1], "two");
	assert_string_equal(e->seen.lines[2], "three");
	/* a message bigger than the pipe's buffer waits on the loop */
	{
		size_t len = 300000;
		char *big = malloc(len);

		memset(big, 'x', len);
		assert_int_equal(sg_mcp_child_send(e->ch, big, len), 0);
		free(big);
		run_until(e, 4);
		assert_int_equal(e->seen.nlines, 4);
		assert_int_equal(e->seen.lens[3], len);
		assert_int_equal(strspn(e->seen.lines[3], "x"), 255);
	}
	sg_mcp_child_kill(e->ch);
	e->ch = NULL;
	assert_int_equal(e->seen.ngone, 0); /* no callback after kill */
	assert_int_equal(sg_mcp_children(), 0);
}

/* argv reaches the program as written: no shell reads it. */
static void test_stdio_no_shell(void **state)
{
	struct env *e = *state;
	const char *args[] = { "%s|%s\\n", "$HOME; echo x", "`id`", NULL };
	struct sg_mcp_target t = target("printf", args);

	spawn(e, &t);
	run_until(e, 1);
	assert_int_equal(e->seen.nlines, 1);
	assert_string_equal(e->seen.lines[0], "$HOME; echo x|`id`");
	run_until_gone(e);
	assert_string_equal(e->seen.why, "it exited");
	assert_int_equal(e->seen.nlines, 1);
}

/* The child has its three pipes and nothing else of the gateway's: a
 * descriptor the gateway holds without close-on-exec is not inherited. */
static void test_stdio_no_inherited_fds(void **state)
{
	struct env *e = *state;
	const char *args[] = { "-c",
			       "for f in 0 1 2 40; do "
			       "if [ -e /proc/$$/fd/$f ]; then echo $f $(readlink /proc/$$/fd/$f | "
			       "cut -d: -f1); else echo $f none; fi; done",
			       NULL };
	struct sg_mcp_target t = target("sh", args);
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */

	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 40), 40);
	close(fd);
	spawn(e, &t);
	run_until(e, 4);
	close(40);
	assert_int_equal(e->seen.nlines, 4);
	assert_string_equal(e->seen.lines[0], "0 pipe");
	assert_string_equal(e->seen.lines[1], "1 pipe");
	assert_string_equal(e->seen.lines[2], "2 pipe");
	assert_string_equal(e->seen.lines[3], "40 none");
}

/* t's env is added to the gateway's (and wins over it); with clearEnv it
 * is all the child has. */
static void test_stdio_environment(void **state)
{
	struct env *e = *state;
	const char *env[] = { "SG_T1=one", "SG_T2=mine" };
	const char *args[] = { "-c", "echo \"$SG_T1|$SG_T2|$SG_OURS\"", NULL };
	struct sg_mcp_target t = target("sh", args);

	setenv("SG_OURS", "gw", 1);
	setenv("SG_T2", "gateway's", 1);
	t.env = (struct sg_strs){ env, 2, 2 };
	spawn(e, &t);
	run_until(e, 1);
	assert_int_equal(e->seen.nlines, 1);
	assert_string_equal(e->seen.lines[0], "one|mine|gw");
	run_until_gone(e);
	sg_mcp_child_kill(e->ch);
	e->ch = NULL;

	/* clearEnv: env prints the one variable given (found in the gateway's
	 * PATH all the same) */
	memset(&e->seen, 0, sizeof(e->seen));
	t = target("env", NULL);
	t.env = (struct sg_strs){ env, 1, 1 };
	t.clear_env = true;
	spawn(e, &t);
	run_until_gone(e);
	unsetenv("SG_OURS");
	unsetenv("SG_T2");
	assert_int_equal(e->seen.nlines, 1);
	assert_string_equal(e->seen.lines[0], "SG_T1=one");
	assert_string_equal(e->seen.why, "it exited");
}

/* Its stderr reaches the log with the target's name: the first 50 lines,
 * each cut at 511 bytes; the rest is dropped. */
static void test_stdio_stderr_bounded(void **state)
{
	struct env *e = *state;
	const char *args[] = { "-c",
			       "i=0; while [ $i -lt 60 ]; do echo \"err $i\" >&2; i=$((i+1)); done",
			       NULL };
	struct sg_mcp_target t = target("sh", args);
	static char out[65536];
	int n = 0;

	sg_log_set_level("info");
	test_capture_start(&e->cap, STDERR_FILENO);
	spawn(e, &t);
	run_until_gone(e);
	sg_mcp_child_kill(e->ch); /* reads what is left on stderr */
	e->ch = NULL;
	test_capture_end(&e->cap, out, sizeof(out));
	for (const char *p = out; (p = strstr(p, "mcp target t1: stderr: ")); p++)
		n++;
	assert_int_equal(n, 50);
	assert_non_null(strstr(out, "mcp target t1: stderr: err 0\n"));
	assert_non_null(strstr(out, "mcp target t1: stderr: err 49\n"));
	assert_null(strstr(out, "err 50"));
}

/* A long stderr line is cut at 511 bytes. */
static void test_stdio_stderr_line_cut(void **state)
{
	struct env *e = *state;
	const char *args[] = { "-c", "head -c 2000 /dev/zero | tr '\\0' y >&2; echo >&2", NULL };
	struct sg_mcp_target t = target("sh", args);
	static char out[65536];
	const char *p;

	sg_log_set_level("info");
	test_capture_start(&e->cap, STDERR_FILENO);
	spawn(e, &t);
	run_until_gone(e);
	sg_mcp_child_kill(e->ch);
	e->ch = NULL;
	test_capture_end(&e->cap, out, sizeof(out));
	p = strstr(out, "mcp target t1: stderr: ");
	assert_non_null(p);
	p += strlen("mcp target t1: stderr: ");
	assert_int_equal(strspn(p, "y"), 511);
	assert_int_equal(p[511], '\n');
}

/* Its end is reported once: a program that cannot be run (exit 127), a
 * line over SG_JSONRPC_MAX; a send after it is refused. */
static void test_stdio_death_reported(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = target("/nonexistent/sg-mcp-server", NULL);

	spawn(e, &t);
	run_until_gone(e);
	assert_string_equal(e->seen.why, "it exited");
	assert_int_equal(sg_mcp_child_send(e->ch, "x", 1), -EPIPE);
	sg_mcp_child_kill(e->ch);
	e->ch = NULL;
	assert_int_equal(e->seen.ngone, 1);

	{
		char n[64];
		const char *args[] = { "-c", NULL, NULL };

		snprintf(n, sizeof(n), "head -c %u /dev/zero; sleep 30", SG_JSONRPC_MAX + 1);
		args[1] = n;
		memset(&e->seen, 0, sizeof(e->seen));
		t = target("sh", args);
		spawn(e, &t);
		run_until_gone(e);
		assert_string_equal(e->seen.why,
				    "it wrote a message larger than the gateway reads");
		assert_int_equal(e->seen.nlines, 0);
	}
}

/* A child that exited before its first line was written: the write meets
 * its closed stdin before the loop reads its stdout's end, and the end is
 * still named as an exit (the two were a race: e2e mcp-stdio saw "its
 * stdin closed" once under ASan). */
static void test_stdio_exit_named_before_read(void **state)
{
	struct env *e = *state;
	struct sg_mcp_target t = target("true", NULL);

	spawn(e, &t);
	usleep(300 * 1000); /* it exits; its pipes close, unread */
	assert_int_equal(e->seen.ngone, 0);
	assert_int_equal(sg_mcp_child_send(e->ch, "{\"id\":1}", 8), -EPIPE);
	assert_int_equal(e->seen.ngone, 1);
	assert_string_equal(e->seen.why, "it exited");
}

/* Nothing more than SG_JSONRPC_MAX waits for a child that does not read. */
static void test_stdio_send_bounded(void **state)
{
	struct env *e = *state;
	const char *args[] = { "30", NULL };
	struct sg_mcp_target t = target("sleep", args);
	size_t len = 1u << 20;
	char *m = malloc(len);
	int rc = 0, i;

	memset(m, 'm', len);
	spawn(e, &t);
	for (i = 0; i < 8 && !(rc = sg_mcp_child_send(e->ch, m, len)); i++)
		;
	free(m);
	assert_int_equal(rc, -ENOBUFS);
	assert_int_equal(i, 4); /* 4 MiB and 4 newlines pass the bound with the fifth */
	assert_int_equal(e->seen.ngone, 0);
}

/* Killed at the end: its process group goes (a grandchild too) and the
 * child is reaped; no callback follows. */
static void test_stdio_killed_with_its_group(void **state)
{
	struct env *e = *state;
	const char *args[] = { "-c", "sleep 30 & echo $$ $!; wait", NULL };
	struct sg_mcp_target t = target("sh", args);
	int pid = 0, grand = 0;
	char path[64];
	uint64_t end;

	spawn(e, &t);
	run_until(e, 1);
	assert_int_equal(e->seen.nlines, 1);
	assert_int_equal(sscanf(e->seen.lines[0], "%d %d", &pid, &grand), 2);
	assert_int_equal(kill(grand, 0), 0);
	sg_mcp_child_kill(e->ch);
	e->ch = NULL;
	assert_int_equal(sg_mcp_children(), 0);
	/* the child reaped by kill: no such process */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* the grandchild killed (reaped by whoever adopted it, or a zombie) */
	snprintf(path, sizeof(path), "/proc/%d/stat", grand);
	end = now_ms() + 10000;
	for (;;) {
		FILE *f = fopen(path, "r");
		char state_c = 0;

		if (!f)
			break;
		if (fscanf(f, "%*d %*s %c", &state_c) != 1)
			state_c = 0;
		fclose(f);
		if (state_c == 'Z' || state_c == 'X')
			break;
		assert_true(now_ms() < end);
		usleep(10000);
	}
	sg_loop_run_once(e->loop, 20);
	assert_int_equal(e->seen.ngone, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stdio_lines_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_no_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_no_inherited_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_stderr_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_stderr_line_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_exit_named_before_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_death_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_send_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_killed_with_its_group, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
