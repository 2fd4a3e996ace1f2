/* Fuzz target: any bytes as the journal a gateway finds in its state
 * directory at start (user/ctl/journal.c). Properties: replay never fails on a
 * readable file; the records it replays follow each other from byte 0 and
 * the journal is cut where the last one ends, a warning saying so when it
 * was longer; a record appended after that comes back, last, from a clean
 * replay; compaction to every other record replays as that many. The file lives in a directory of this process's (tmpfs). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "user/ctl/journal.h"

struct walk {
	size_t n, end;
	bool last_is_probe;
};

static void follow(void *ctx, const struct sg_journal_rec *rec)
{
	struct walk *w = ctx;

	FUZZ_CHECK(rec->index == w->n + 1);
	FUZZ_CHECK(rec->offset == w->end);
	FUZZ_CHECK(rec->len <= 4 << 20);
	FUZZ_CHECK(rec->next > rec->offset + rec->len);
	w->n++;
	w->end = rec->next;
	w->last_is_probe = rec->del && rec->ns && !strcmp(rec->ns, "probe") && rec->len == 5 &&
			   !memcmp(rec->body, "p: 1\n", 5);
}

static char dir[64];

/* Compaction keeps records 1, 3, 5... */
static bool odd(void *ctx, size_t index)
{
	return index % 2;
}

/* Removes what a replay set aside (journal.bad.*). */
static void clear_aside(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[512];

		if (strncmp(e->d_name, "journal.", 8))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

/* At exit: the directory and what is in it. */
static void remove_dir(void)
{
	char p[128];

	clear_aside();
	snprintf(p, sizeof(p), "%s/journal", dir);
	unlink(p);
	rmdir(dir);
}

static off_t size_of(const char *path)
{
	struct stat st;

	FUZZ_CHECK(stat(path, &st) == 0);
	return st.st_size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_journal *j;
	struct walk w = { 0 };
	struct sg_diag d;
	char path[128], err[512];
	long n;
	int fd;

	if (!dir[0]) {
		/* tmpfs: the journal fsyncs every record. */
		strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/sg-fuzz-journal.XXXXXX"
							  : "/tmp/sg-fuzz-journal.XXXXXX");
		FUZZ_CHECK(mkdtemp(dir) != NULL);
		atexit(remove_dir);
	}
	snprintf(path, sizeof(path), "%s/journal", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size);
	close(fd);

	sg_diag_init(&d);
	FUZZ_CHECK(sg_journal_open(dir, false, &j, err, sizeof(err)) == 0);
	n = sg_journal_replay(j, follow, &w, &d);
	FUZZ_CHECK(n >= 0 && (size_t)n == w.n);
	FUZZ_CHECK(d.errors == 0);
	FUZZ_CHECK((size_t)size_of(path) == w.end);
	FUZZ_CHECK(((size_t)size_of(path) < size) == (d.n == 1));
	FUZZ_CHECK(sg_journal_append(j, true, "probe", "p: 1\n", 5) == 0);
	sg_journal_close(j);
	sg_diag_free(&d);

	sg_diag_init(&d);
	w = (struct walk){ 0 };
	FUZZ_CHECK(sg_journal_open(dir, false, &j, err, sizeof(err)) == 0);
	FUZZ_CHECK(sg_journal_replay(j, follow, &w, &d) == n + 1);
	FUZZ_CHECK(d.n == 0 && w.last_is_probe);
	FUZZ_CHECK(sg_journal_compact(j, odd, NULL, &d) == (n + 2) / 2);
	sg_journal_close(j);
	sg_diag_free(&d);

	sg_diag_init(&d);
	w = (struct walk){ 0 };
	FUZZ_CHECK(sg_journal_open(dir, false, &j, err, sizeof(err)) == 0);
	FUZZ_CHECK(sg_journal_replay(j, follow, &w, &d) == (n + 2) / 2);
	FUZZ_CHECK(d.n == 0 && (size_t)size_of(path) == w.end);
	sg_journal_close(j);
	sg_diag_free(&d);
	clear_aside();
	return 0;
}
