/* The journal of applied changes: a file of records, each a header line
 * and the change's body:
 *
 *   splicegate-journal v1 apply|delete NS|- LEN CRC\n  BODY(LEN bytes)  \n
 *
 * CRC is zlib's CRC-32 of "apply|delete NS|- LEN" and then the body, so a
 * flipped bit anywhere in a record, or a record cut short, is found. The
 * one module that includes zlib. */
#include "user/ctl/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "config/cfg.h"

#define JOURNAL_MAGIC "splicegate-journal v1"
#define JOURNAL_MAX_HEAD 512
#define JOURNAL_NAME "journal"
#define JOURNAL_NEW "journal.new" /* compaction's copy, before it takes the name */

/* Owned by the gateway; holds the file open and locked, and its directory
 * open: every file of the journal is reached from dirfd by its name. */
struct sg_journal {
	int fd, dirfd;
	char *dir, *path;
	off_t size; /* where the next record goes: the end of the valid ones */
};

const char *sg_journal_path(const struct sg_journal *j)
{
	return j->path;
}

/* The fields the checksum covers before the body: "apply e2e 123". */
static int fields(char *buf, size_t cap, bool del, const char *ns, size_t len)
{
	int n = snprintf(buf, cap, "%s %s %zu", del ? "delete" : "apply", ns && *ns ? ns : "-",
			 len);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

static uint32_t checksum(const char *f, size_t flen, const char *body, size_t len)
{
	uLong crc = crc32(0L, (const Bytef *)f, (uInt)flen);

	/* zlib takes at most UINT_MAX a call; a body is at most 4 MiB. */
	return (uint32_t)crc32(crc, (const Bytef *)body, (uInt)len);
}

static int sync_dir(const struct sg_journal *j)
{
	return fsync(j->dirfd) == -1 ? -errno : 0;
}

/* DIR/journal.WHAT.<unix time>[.N] into buf: a name nothing has yet, for
 * what is set aside; *name is where its last component begins. */
static int aside_name(const struct sg_journal *j, const char *what, char *buf, size_t cap,
		      const char **name)
{
	struct stat st;
	long now = (long)time(NULL);

	for (int n = 0; n < 100; n++) {
		int len = n ? snprintf(buf, cap, "%s/journal.%s.%ld.%d", j->dir, what, now, n)
			    : snprintf(buf, cap, "%s/journal.%s.%ld", j->dir, what, now);

		if (len < 0 || (size_t)len >= cap)
			return -ENAMETOOLONG;
		*name = buf + strlen(j->dir) + 1;
		if (fstatat(j->dirfd, *name, &st, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

/* Opens DIR, made 0700 when missing. The gateway (root, often) writes,
 * truncates and renames files there, and replays what it finds as
 * config changes: a directory where another user could put a name (a
 * link to /etc/passwd, a journal of their own) is refused, as sshd
 * refuses a home that others may write. Owned by the gateway's user or
 * root, not writable by group or others; DIR itself may be a link
 * (systemd's StateDirectory= with DynamicUser= is one). */
static int open_dir(struct sg_journal *j, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(j->dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", j->dir, strerror(errno));
		return -1;
	}
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd == -1 || fstat(j->dirfd, &st) == -1) {
		snprintf(err, errlen, "state directory %s: %s", j->dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
			 "state directory %s: owned by uid %u, not by the gateway's user (uid %u) "
			 "or root, who alone may put files in it; chown it or choose another",
			 j->dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "state directory %s: writable by %s (mode %04o), who could put files "
			 "in it; chmod go-w it or choose another",
			 j->dir, st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Opens and locks DIR/journal: a regular file, never through a link. */
static int open_locked(struct sg_journal *j, char *err, size_t errlen)
{
	struct stat st;

	j->fd = openat(j->dirfd, JOURNAL_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd == -1) {
		snprintf(err, errlen, "%s: %s", j->path,
			 errno == ELOOP ? "a symbolic link, refused: the journal is a file of "
					  "its own"
					: strerror(errno));
		return -1;
	}
	if (fstat(j->fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file: refused", j->path);
		return -1;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s: %s", j->path,
			 errno == EWOULDBLOCK ? "in use by another gateway (--state-dir DIR "
						"chooses another)"
					      : strerror(errno));
		return -1;
	}
	return 0;
}

/* --reset-state: the file's records go aside, a new one is begun. */
static int set_aside(struct sg_journal *j, char *err, size_t errlen)
{
	char old[4200];
	const char *name;
	struct stat st;
	int rc;

	if (fstat(j->fd, &st) == -1 || st.st_size == 0)
		return 0;
	rc = aside_name(j, "old", old, sizeof(old), &name);
	if (rc == 0 && renameat(j->dirfd, JOURNAL_NAME, j->dirfd, name) == -1)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "%s: setting it aside: %s", j->path, strerror(-rc));
		return -1;
	}
	close(j->fd);
	return open_locked(j, err, errlen);
}

int sg_journal_open(const char *dir, bool reset, struct sg_journal **out, char *err, size_t errlen)
{
	struct sg_journal *j = calloc(1, sizeof(*j));
	struct stat st;

	*out = NULL;
	if (j)
		j->fd = j->dirfd = -1;
	if (!j || !(j->dir = strdup(dir)) || asprintf(&j->path, "%s/" JOURNAL_NAME, dir) == -1) {
		if (j)
			j->path = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (open_dir(j, err, errlen) == -1 || open_locked(j, err, errlen) == -1 ||
	    (reset && set_aside(j, err, errlen) == -1))
		goto fail;
	if (fstat(j->fd, &st) == -1 || sync_dir(j) < 0) {
		snprintf(err, errlen, "%s: %s", j->path, strerror(errno));
		goto fail;
	}
	j->size = st.st_size;
	*out = j;
	return 0;
fail:
	sg_journal_close(j);
	return -1;
}

void sg_journal_close(struct sg_journal *j)
{
	if (!j)
		return;
	if (j->fd != -1)
		close(j->fd);
	if (j->dirfd != -1)
		close(j->dirfd);
	free(j->dir);
	free(j->path);
	free(j);
}

static int read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EIO : -errno;
		got += (size_t)n;
	}
	return 0;
}

/* The record at data[pos..size): 0 with *rec (and *next, the offset after
 * it), or -1 with why it is not one. ns_buf holds the namespace. */
static int parse_record(const char *data, size_t size, size_t pos, struct sg_journal_rec *rec,
			size_t *next, char ns_buf[static 256], const char **why)
{
	const char *head = data + pos, *nl;
	size_t room = size - pos, hlen, len;
	char op[8], f[320], line[JOURNAL_MAX_HEAD];
	unsigned crc;
	int used = -1, flen;

	nl = memchr(head, '\n', room < JOURNAL_MAX_HEAD ? room : JOURNAL_MAX_HEAD);
	if (!nl) {
		*why = room < JOURNAL_MAX_HEAD ? "torn: the file ends inside its header"
					       : "corrupt: no header line";
		return -1;
	}
	hlen = (size_t)(nl - head);
	/* sscanf reads a string to its NUL: the file's bytes have none. */
	memcpy(line, head, hlen);
	line[hlen] = '\0';
	if (strncmp(line, JOURNAL_MAGIC " ", sizeof(JOURNAL_MAGIC)) != 0 ||
	    sscanf(line + sizeof(JOURNAL_MAGIC), "%7s %255s %zu %8x%n", op, ns_buf, &len, &crc,
		   &used) != 4 ||
	    (size_t)used != hlen - sizeof(JOURNAL_MAGIC) ||
	    (strcmp(op, "apply") && strcmp(op, "delete")) || len > SG_CFG_MAX_TEXT) {
		*why = "corrupt: not a record header";
		return -1;
	}
	if (hlen + 1 + len + 1 > room) {
		*why = "torn: the file ends inside its body";
		return -1;
	}
	rec->del = !strcmp(op, "delete");
	rec->ns = strcmp(ns_buf, "-") ? ns_buf : NULL;
	rec->body = head + hlen + 1;
	rec->len = len;
	rec->offset = pos;
	flen = fields(f, sizeof(f), rec->del, rec->ns, len);
	if (rec->body[len] != '\n' || flen < 0 ||
	    checksum(f, (size_t)flen, rec->body, len) != (uint32_t)crc) {
		*why = "corrupt: its checksum does not match";
		return -1;
	}
	*next = rec->next = pos + hlen + 1 + len + 1;
	return 0;
}

/* data[pos..size) goes to DIR/journal.bad.<time> and off the journal. */
static int cut_tail(struct sg_journal *j, const char *data, size_t pos, size_t size, char *aside,
		    size_t cap)
{
	const char *name;
	int rc = aside_name(j, "bad", aside, cap, &name), fd;

	if (rc < 0)
		return rc;
	fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -errno;
	for (size_t off = pos; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? -EIO : -errno;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) == -1)
		rc = -errno;
	close(fd);
	if (rc == 0 && (ftruncate(j->fd, (off_t)pos) == -1 || fsync(j->fd) == -1))
		rc = -errno;
	if (rc == 0)
		rc = sync_dir(j);
	return rc;
}

long sg_journal_replay(struct sg_journal *j, sg_journal_fn fn, void *ctx, struct sg_diag *d)
{
	size_t size = (size_t)j->size, pos = 0, n = 0;
	char *data = malloc(size ? size : 1), ns[256], aside[4200];
	const char *why = NULL;
	int rc;

	if (!data) {
		sg_diag_err(d, NULL, "%s: out of memory reading it", j->path);
		return -1;
	}
	rc = read_all(j->fd, data, size);
	if (rc < 0) {
		sg_diag_err(d, NULL, "%s: %s", j->path, strerror(-rc));
		free(data);
		return -1;
	}
	while (pos < size) {
		struct sg_journal_rec rec = { 0 };
		size_t next;

		if (parse_record(data, size, pos, &rec, &next, ns, &why) == -1)
			break;
		rec.index = ++n;
		fn(ctx, &rec);
		pos = next;
	}
	if (pos < size) {
		rc = cut_tail(j, data, pos, size, aside, sizeof(aside));
		if (rc < 0) {
			sg_diag_err(d, NULL,
				    "%s: record %zu at byte %zu is %s, and setting it aside "
				    "failed: %s",
				    j->path, n + 1, pos, why, strerror(-rc));
			free(data);
			return -1;
		}
		sg_diag_warn(d, NULL,
			     "%s: record %zu at byte %zu is %s; the %zu records before it are "
			     "replayed, the %zu bytes from there are set aside in %s",
			     j->path, n + 1, pos, why, n, size - pos, aside);
		j->size = (off_t)pos;
	}
	free(data);
	return (long)n;
}

/* Writes all of buf[0..len) at fd's end. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EIO : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

long sg_journal_compact(struct sg_journal *j, sg_journal_keep_fn keep, void *ctx, struct sg_diag *d)
{
	size_t size = (size_t)j->size, pos = 0, n = 0, kept = 0;
	char *data = malloc(size ? size : 1), ns[256];
	const char *why;
	int fd = -1, rc = -ENOMEM;

	if (!data || (rc = read_all(j->fd, data, size)) < 0)
		goto fail;
	fd = openat(j->dirfd, JOURNAL_NEW, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1)
		rc = -errno;
	while (rc == 0 && pos < size) {
		struct sg_journal_rec rec = { 0 };

		if (parse_record(data, size, pos, &rec, &pos, ns, &why) == -1) {
			rc = -EINVAL; /* replay cut what does not parse: cannot be */
			break;
		}
		if (keep(ctx, ++n)) {
			rc = write_all(fd, data + rec.offset, rec.next - rec.offset);
			kept++;
		}
	}
	if (rc == 0 &&
	    (fsync(fd) == -1 || renameat(j->dirfd, JOURNAL_NEW, j->dirfd, JOURNAL_NAME) == -1))
		rc = -errno;
	if (rc < 0)
		goto fail;
	/* fd is the journal now, locked before it took the name. */
	close(j->fd);
	j->fd = fd;
	j->size = lseek(fd, 0, SEEK_END);
	free(data);
	rc = sync_dir(j);
	if (rc < 0)
		sg_diag_warn(d, NULL, "%s: compacted, but its directory not synced: %s", j->path,
			     strerror(-rc));
	return (long)kept;
fail:
	sg_diag_err(d, NULL, "%s: compacting it: %s; it stays as it is", j->path, strerror(-rc));
	if (fd != -1) {
		unlinkat(j->dirfd, JOURNAL_NEW, 0);
		close(fd);
	}
	free(data);
	return -1;
}

int sg_journal_append(struct sg_journal *j, bool del, const char *ns, const char *body, size_t len)
{
	char f[320], head[JOURNAL_MAX_HEAD];
	int flen = fields(f, sizeof(f), del, ns, len), hlen;
	static char newline[] = "\n";
	struct iovec iov[3];
	size_t total, done = 0;
	int saved;

	if (flen < 0)
		return -ENAMETOOLONG;
	hlen = snprintf(head, sizeof(head), JOURNAL_MAGIC " %s %08" PRIx32 "\n", f,
			checksum(f, (size_t)flen, body, len));
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		return -ENAMETOOLONG;
	total = (size_t)hlen + len + 1;
	while (done < total) {
		size_t skip = done;
		ssize_t n;
		int k = 0;

		iov[0] = (struct iovec){ head, (size_t)hlen };
		/* writev does not write to its buffers; iovec has no const. */
		iov[1] = (struct iovec){ (void *)(uintptr_t)body, len };
		iov[2] = (struct iovec){ newline, 1 };
		for (; skip >= iov[k].iov_len; k++)
			skip -= iov[k].iov_len;
		iov[k].iov_base = (char *)iov[k].iov_base + skip;
		iov[k].iov_len -= skip;
		n = pwritev(j->fd, iov + k, 3 - k, j->size + (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto undo;
		done += (size_t)n;
	}
	if (fdatasync(j->fd) == -1)
		goto undo;
	j->size += (off_t)total;
	return 0;
undo:
	saved = errno ? errno : EIO;

	/* Nothing of a record that failed stays: the next one, or the next
	 * start, finds the valid ones only. */
	if (ftruncate(j->fd, j->size) == 0)
		fdatasync(j->fd);
	return -saved;
}
