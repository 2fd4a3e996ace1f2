/* Tests for user/ctl/journal.c: records come back as appended, across a
 * reopen; a torn or corrupt tail ends the replay, is reported with its
 * place, set aside and cut off; the file is one gateway's at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "user/ctl/journal.h"

struct seen {
	size_t n;
	char text[8][128]; /* "apply ns body@offset" */
};

static void collect(void *ctx, const struct sg_journal_rec *rec)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	assert_int_equal(rec->index, s->n + 1);
	snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %s %.*s@%zu",
		 rec->del ? "delete" : "apply", rec->ns ? rec->ns : "-", (int)rec->len, rec->body,
		 rec->offset);
}

/* Opens DIR's journal, replays it into *s; returns the count. */
static long replay(const char *dir, struct seen *s, struct sg_diag *d, struct sg_journal **j)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	assert_int_equal(sg_journal_open(dir, false, j, err, sizeof(err)), 0);
	return sg_journal_replay(*j, collect, s, d);
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/sg-test-journal.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void remove_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_journal_records_come_back_in_order(void **state)
{
	char *dir = make_dir();
	struct sg_journal *j;
	struct sg_diag d;
	struct seen s;

	sg_diag_init(&d);
	assert_int_equal(replay(dir, &s, &d, &j), 0);
	assert_int_equal(sg_journal_append(j, false, "e2e", "kind: A\n", 8), 0);
	assert_int_equal(sg_journal_append(j, true, NULL, "kind: B\n", 8), 0);
	assert_int_equal(sg_journal_append(j, false, NULL, "", 0), 0);
	sg_journal_close(j);
	assert_int_equal(replay(dir, &s, &d, &j), 3);
	assert_int_equal(d.n, 0);
	assert_string_equal(s.text[0], "apply e2e kind: A\n@0");
	assert_string_equal(s.text[1], "delete - kind: B\n@52");
	assert_string_equal(s.text[2], "apply - @103");
	sg_journal_close(j);
	sg_diag_free(&d);
	remove_dir(dir);
}

/* path's bytes from `at` on, replaced by `with` (NULL: cut there). */
static void damage(const char *path, off_t at, const char *with)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	if (with)
		assert_int_equal(pwrite(fd, with, strlen(with), at), (ssize_t)strlen(with));
	else
		assert_int_equal(ftruncate(fd, at), 0);
	close(fd);
}

static void check_tail(const char *dir, off_t at, const char *why, long want)
{
	char path[512], line[800];
	struct sg_journal *j;
	struct sg_diag d;
	struct seen s;

	sg_diag_init(&d);
	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(replay(dir, &s, &d, &j), want);
	assert_int_equal(d.n, 1);
	snprintf(line, sizeof(line), "%s: record %ld at byte %lld is %s", path, want + 1,
		 (long long)at, why);
	assert_non_null(strstr(d.lines[0], line));
	assert_non_null(strstr(d.lines[0], "set aside in"));
	assert_int_equal(file_size(path), at);
	/* Appends follow the valid records, and come back. */
	assert_int_equal(sg_journal_append(j, false, NULL, "kind: C\n", 8), 0);
	sg_journal_close(j);
	sg_diag_free(&d);
	sg_diag_init(&d);
	assert_int_equal(replay(dir, &s, &d, &j), want + 1);
	assert_int_equal(d.n, 0);
	sg_journal_close(j);
	sg_diag_free(&d);
}

static void test_journal_torn_and_corrupt_tails_are_cut(void **state)
{
	char *dir = make_dir(), path[512];
	struct sg_journal *j;
	struct sg_diag d;
	struct seen s;

	sg_diag_init(&d);
	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(replay(dir, &s, &d, &j), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sg_journal_append(j, false, "ns", "kind: A\n", 8), 0);
	sg_journal_close(j);
	sg_diag_free(&d);
	/* Records of 51 bytes: a 42-byte header, 8 of body, a newline. */
	damage(path, 148, NULL); /* inside the third body */
	check_tail(dir, 102, "torn: the file ends inside its body", 2);
	damage(path, 60, "X"); /* the second record's header */
	check_tail(dir, 51, "corrupt: not a record header", 1);
	damage(path, 45, "Z"); /* the first body */
	check_tail(dir, 0, "corrupt: its checksum does not match", 0);
	remove_dir(dir);
}

static void test_journal_one_gateway_and_reset(void **state)
{
	char *dir = make_dir(), err[256];
	struct sg_journal *j, *other;
	struct sg_diag d;
	struct seen s;

	sg_diag_init(&d);
	assert_int_equal(replay(dir, &s, &d, &j), 0);
	assert_int_equal(sg_journal_append(j, false, NULL, "kind: A\n", 8), 0);
	assert_int_equal(sg_journal_open(dir, false, &other, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use by another gateway"));
	sg_journal_close(j);
	assert_int_equal(sg_journal_open(dir, true, &j, err, sizeof(err)), 0);
	assert_int_equal(sg_journal_replay(j, collect, &s, &d), 0);
	sg_journal_close(j);
	sg_diag_free(&d);
	remove_dir(dir);
}

static bool odd(void *ctx, size_t index)
{
	return index % 2;
}

/* Compaction keeps the records asked for, byte for byte and in order; the
 * journal stays locked and takes appends after them. */
static void test_journal_compact_keeps_what_is_asked(void **state)
{
	char *dir = make_dir(), err[256], path[512];
	struct sg_journal *j, *other;
	struct sg_diag d;
	struct seen s;

	sg_diag_init(&d);
	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(replay(dir, &s, &d, &j), 0);
	assert_int_equal(sg_journal_append(j, false, "a", "kind: A\n", 8), 0);
	assert_int_equal(sg_journal_append(j, false, "b", "kind: B\n", 8), 0);
	assert_int_equal(sg_journal_append(j, true, "c", "kind: C\n", 8), 0);
	assert_int_equal(sg_journal_compact(j, odd, NULL, &d), 2);
	assert_int_equal(d.n, 0);
	assert_int_equal(file_size(path), 101);
	assert_int_equal(sg_journal_open(dir, false, &other, err, sizeof(err)), -1);
	assert_int_equal(sg_journal_append(j, false, "d", "kind: D\n", 8), 0);
	sg_journal_close(j);
	assert_int_equal(replay(dir, &s, &d, &j), 3);
	assert_string_equal(s.text[0], "apply a kind: A\n@0");
	assert_string_equal(s.text[1], "delete c kind: C\n@50");
	assert_string_equal(s.text[2], "apply d kind: D\n@101");
	sg_journal_close(j);
	sg_diag_free(&d);
	remove_dir(dir);
}

/* The contents of path, at most 63 bytes. */
static const char *contents(const char *path, char buf[static 64])
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, 63) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The gateway (root) never writes through a name someone else could put
 * in its state directory: a journal that is a link to another file is
 * refused and that file left whole (it was replayed as a corrupt journal,
 * copied aside and truncated to nothing: /etc/passwd, say); so is a
 * directory its group or others may write, or another user's. */
static void test_journal_refuses_links_and_open_directories(void **state)
{
	char *dir = make_dir(), *victim_dir = make_dir(), err[512], victim[512], link[512];
	char buf[64];
	struct sg_journal *j;
	struct sg_diag d;
	int fd;

	snprintf(victim, sizeof(victim), "%s/passwd", victim_dir);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "root:x:0:0::/root:/bin/sh\n", 26), 26);
	close(fd);
	snprintf(link, sizeof(link), "%s/journal", dir);
	assert_int_equal(symlink(victim, link), 0);
	sg_diag_init(&d);
	if (sg_journal_open(dir, false, &j, err, sizeof(err)) == 0) {
		sg_journal_replay(j, NULL, NULL, &d);
		sg_journal_close(j);
		fail_msg("a journal linked to %s was opened; it now holds \"%s\"", victim,
			 contents(victim, buf));
	}
	assert_non_null(strstr(err, "/journal: a symbolic link, refused"));
	assert_string_equal(contents(victim, buf), "root:x:0:0::/root:/bin/sh\n");
	assert_int_equal(unlink(link), 0);

	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(sg_journal_open(dir, false, &j, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": writable by others (mode 0777), who could put files in it"));
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(sg_journal_open(dir, false, &j, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": writable by its group (mode 0770)"));
	assert_int_equal(chmod(dir, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(sg_journal_open(dir, false, &j, err, sizeof(err)), -1);
		assert_non_null(strstr(err, ": owned by uid 65534, not by the gateway's user"));
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	assert_int_equal(sg_journal_open(dir, false, &j, err, sizeof(err)), 0);
	sg_journal_close(j);
	sg_diag_free(&d);
	remove_dir(dir);
	remove_dir(victim_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_records_come_back_in_order),
		cmocka_unit_test(test_journal_torn_and_corrupt_tails_are_cut),
		cmocka_unit_test(test_journal_one_gateway_and_reset),
		cmocka_unit_test(test_journal_compact_keeps_what_is_asked),
		cmocka_unit_test(test_journal_refuses_links_and_open_directories),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
