/* Unit tests for user/ctl/watch.c: a burst of changes is one callback, a config
 * file being written in place (truncated, not yet closed) holds the
 * callback back until it is closed, and no writer gets in while the files
 * are read, so a reload never reads one half-written (ops-reload lost its
 * listener to an empty file read mid-write). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "user/base/loop.h"
#include "user/ctl/watch.h"

#define SETTLE_MS 50

struct fixture {
	char dir[64];
	char path[96]; /* dir/gw.yaml */
	struct sg_loop *loop;
	struct sg_watch *watch;
	int calls;
};

/* A reload as the gateway does it: counted only when the files could be
 * read; put off (asked again) otherwise. */
static void count_call(void *ctx)
{
	struct fixture *f = ctx;
	uint64_t mark;

	if (sg_watch_begin_read(f->watch, &mark) < 0) {
		sg_watch_request(f->watch);
		return;
	}
	if (sg_watch_end_read(f->watch, mark)) {
		sg_watch_request(f->watch);
		return;
	}
	f->calls++;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop for `ms` of real time. */
static void run_for(struct fixture *f, uint64_t ms)
{
	uint64_t end = real_ms() + ms;

	for (uint64_t now = real_ms(); now < end; now = real_ms())
		assert_int_equal(sg_loop_run_once(f->loop, (int)(end - now)), 0);
}

static void start_settle(struct fixture *f, const char *path, uint64_t settle_ms)
{
	const char *paths[1] = { path };

	assert_int_equal(sg_watch_start(f->loop, paths, 1, settle_ms, count_call, f, &f->watch), 0);
	assert_non_null(f->watch);
}

static void start(struct fixture *f, const char *path)
{
	start_settle(f, path, SETTLE_MS);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/sg-watch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/gw.yaml", f->dir);
	write_file(f->path, "binds: []\n");
	f->loop = sg_loop_new();
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	sg_watch_stop(f->watch);
	sg_loop_free(f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_watch_burst_is_one_call(void **state)
{
	struct fixture *f = *state;

	start(f, f->dir);
	for (int i = 0; i < 5; i++)
		write_file(f->path, "binds: []\n");
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
	run_for(f, SETTLE_MS * 2);
	assert_int_equal(f->calls, 1);
}

/* The shape of the ops-reload flake: a complete write arms the timer, the
 * next write truncates the file and stalls past the settle time. */
static void test_watch_waits_for_file_being_written(void **state)
{
	struct fixture *f = *state;
	int fd;

	start(f, f->dir);
	write_file(f->path, "binds: []\n");
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_not_equal(fd, -1);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 0);
	assert_int_equal(write(fd, "binds: []\n", 10), 10);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 0);
	close(fd);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
}

/* An editor's swap file (no config name) written and held open does not
 * hold a reload back. */
static void test_watch_ignores_other_files_being_written(void **state)
{
	struct fixture *f = *state;
	char swp[128];
	int fd;

	snprintf(swp, sizeof(swp), "%s/.gw.yaml.swp", f->dir);
	start(f, f->dir);
	fd = open(swp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, "x", 1), 1);
	write_file(f->path, "binds: []\n");
	assert_int_equal(write(fd, "y", 1), 1);
	run_for(f, SETTLE_MS * 4);
	close(fd);
	assert_int_equal(f->calls, 1);
}

/* -c FILE: only that file being written holds the reload back, not another
 * YAML file in its directory. */
static void test_watch_file_path_waits_for_that_file_only(void **state)
{
	struct fixture *f = *state;
	char other[128];
	int fd;

	snprintf(other, sizeof(other), "%s/other.yaml", f->dir);
	start(f, f->path);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, "x", 1), 1);
	write_file(f->path, "binds: []\n");
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
	close(fd);

	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_not_equal(fd, -1);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
	close(fd);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 2);
}

/* A file being written that is then removed or renamed away no longer
 * holds the reload back. */
static void test_watch_removed_writer_releases(void **state)
{
	struct fixture *f = *state;
	int fd;

	start(f, f->dir);
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_not_equal(fd, -1);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 0);
	assert_int_equal(unlink(f->path), 0);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
	close(fd);
}

/* "-" and paths that do not exist are skipped, not errors. */
static void test_watch_skips_stdin_and_missing(void **state)
{
	struct fixture *f = *state;
	const char *paths[3] = { "-", "/nonexistent/sg-watch/gw.yaml", f->dir };

	assert_int_equal(sg_watch_start(f->loop, paths, 3, SETTLE_MS, count_call, f, &f->watch), 0);
	write_file(f->path, "binds: []\n");
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
}

/* SIGHUP while a file is being written: the reload runs once it is closed,
 * without waiting the settle time (1 s here). */
static void test_watch_request_waits_for_writer(void **state)
{
	struct fixture *f = *state;
	uint64_t mark;
	int fd;

	start_settle(f, f->dir, 1000);
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_not_equal(fd, -1);
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), -EAGAIN);
	sg_watch_request(f->watch);
	run_for(f, 200);
	assert_int_equal(f->calls, 0);
	assert_int_equal(write(fd, "binds: []\n", 10), 10);
	close(fd);
	run_for(f, 300);
	assert_int_equal(f->calls, 1);
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), 0);
	assert_false(sg_watch_end_read(f->watch, mark));

	/* Nothing being written: the next pass. */
	sg_watch_request(f->watch);
	run_for(f, 100);
	assert_int_equal(f->calls, 2);
}

/* Opened for writing, not written yet (no event at all, or its IN_MODIFY
 * still to come: a truncating open makes the file empty before the event
 * is queued): the refused lease says so, and the reload asked for runs once
 * the writer closes. */
static void test_watch_open_writer_without_events(void **state)
{
	struct fixture *f = *state;
	uint64_t mark;
	int fd;

	start(f, f->dir);
	fd = open(f->path, O_WRONLY);
	assert_int_not_equal(fd, -1);
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), -EAGAIN);
	sg_watch_request(f->watch);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 0);
	close(fd);
	run_for(f, SETTLE_MS * 4);
	assert_int_equal(f->calls, 1);
}

/* `since`: when the test started the writer, which a busy host may start
 * late but never early, so a lower bound counted from it holds however
 * slow the run (a bound counted from the thread's own start did not). */
struct opener {
	const char *path;
	uint64_t since, waited_ms;
};

static void *open_trunc(void *arg)
{
	struct opener *o = arg;
	int fd = open(o->path, O_WRONLY | O_TRUNC);

	o->waited_ms = real_ms() - o->since;
	if (fd != -1) {
		assert_int_equal(write(fd, "binds: []\n", 10), 10);
		close(fd);
	}
	return NULL;
}

/* Between begin and end no writer gets in: a truncating open waits, so the
 * file read meanwhile is whole. */
static void test_watch_read_keeps_writers_out(void **state)
{
	struct fixture *f = *state;
	struct opener o = { f->path, 0, 0 };
	char buf[64];
	pthread_t t;
	uint64_t mark;
	ssize_t n;
	int fd;

	write_file(f->path, "binds: [] # whole\n");
	start(f, f->dir);
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), 0);
	o.since = real_ms();
	assert_int_equal(pthread_create(&t, NULL, open_trunc, &o), 0);
	usleep(200 * 1000);
	fd = open(f->path, O_RDONLY);
	assert_int_not_equal(fd, -1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, 18);
	assert_false(sg_watch_end_read(f->watch, mark));
	pthread_join(t, NULL);
	assert_true(o.waited_ms >= 200);
}

/* A change made while the files were read (here: a file renamed into
 * place, which leases do not hold back) is seen. */
static void test_watch_end_read_sees_rename(void **state)
{
	struct fixture *f = *state;
	char tmp[128];
	uint64_t mark;

	snprintf(tmp, sizeof(tmp), "%s/.gw.yaml.tmp", f->dir);
	write_file(tmp, "binds: []\n");
	start(f, f->dir);
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), 0);
	assert_false(sg_watch_end_read(f->watch, mark));
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), 0);
	assert_int_equal(rename(tmp, f->path), 0);
	assert_true(sg_watch_end_read(f->watch, mark));
	assert_int_equal(sg_watch_begin_read(f->watch, &mark), 0);
	assert_false(sg_watch_end_read(f->watch, mark));
}

#define WATCH_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WATCH_TEST(test_watch_burst_is_one_call),
		WATCH_TEST(test_watch_waits_for_file_being_written),
		WATCH_TEST(test_watch_ignores_other_files_being_written),
		WATCH_TEST(test_watch_file_path_waits_for_that_file_only),
		WATCH_TEST(test_watch_removed_writer_releases),
		WATCH_TEST(test_watch_skips_stdin_and_missing),
		WATCH_TEST(test_watch_request_waits_for_writer),
		WATCH_TEST(test_watch_open_writer_without_events),
		WATCH_TEST(test_watch_read_keeps_writers_out),
		WATCH_TEST(test_watch_end_read_sees_rename),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
