/* The config watch: inotify on the config directories, a settle timer, the
 * set of config files being written in place, which holds the reload back
 * until they are closed, and read leases that keep writers out while the
 * files are read. The contract is watch.h. */
#include "user/ctl/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/build.h"
#include "config/cfg.h"
#include "user/base/log.h"

/* A config path: a directory (every entry sg_sources_read takes) or one
 * file in a watched directory. */
struct target {
	int wd;
	char *dir;
	char *name; /* NULL: the whole directory */
};

/* A config file some process writes in place: IN_MODIFY seen (a truncating
 * open raises it too), its IN_CLOSE_WRITE not yet. */
struct writing {
	int wd;
	char *path;
};

/* Owned by whoever started it; owns its fd, strings and arrays. */
struct sg_watch {
	struct sg_loop *loop;
	struct sg_io io;
	struct sg_timer settle;
	uint64_t settle_ms;
	sg_watch_fn fn;
	void *ctx;
	struct target *targets;
	size_t ntargets;
	struct writing *writing;
	size_t nwriting;
	uint64_t gen;	/* changes seen so far */
	bool requested; /* sg_watch_request: call fn once settled */
	bool told;	/* the wait for a writer was logged */
	int *leases;	/* fds holding a read lease, between begin and end */
	size_t nleases;
	char *busy; /* the file whose lease was refused last, else NULL */
};

/* A writer that opened a file but has not written yet (or whose IN_MODIFY
 * is still to come) is only seen by a refused lease: no event will say
 * when it is done, so the watch tries again this often. */
#define WATCH_BUSY_RETRY_MS 100

static bool is_config(const struct sg_watch *w, int wd, const char *name)
{
	for (size_t i = 0; i < w->ntargets; i++) {
		const struct target *t = &w->targets[i];

		if (t->wd == wd && (t->name ? !strcmp(t->name, name) : sg_sources_wanted(name)))
			return true;
	}
	return false;
}

static const char *dir_of(const struct sg_watch *w, int wd)
{
	for (size_t i = 0; i < w->ntargets; i++)
		if (w->targets[i].wd == wd)
			return w->targets[i].dir;
	return "?";
}

static size_t find_writing(const struct sg_watch *w, int wd, const char *path)
{
	size_t i;

	for (i = 0; i < w->nwriting; i++)
		if (w->writing[i].wd == wd && !strcmp(w->writing[i].path, path))
			break;
	return i;
}

/* Out of memory the file is not tracked: the reload then works as if it
 * had been closed, which is what the watch did before it tracked writers. */
static void mark_writing(struct sg_watch *w, int wd, const char *name)
{
	struct writing *grown;
	char *path;

	if (asprintf(&path, "%s/%s", dir_of(w, wd), name) == -1)
		return;
	if (find_writing(w, wd, path) < w->nwriting) {
		free(path);
		return;
	}
	grown = realloc(w->writing, (w->nwriting + 1) * sizeof(*grown));
	if (!grown) {
		free(path);
		return;
	}
	w->writing = grown;
	w->writing[w->nwriting].wd = wd;
	w->writing[w->nwriting++].path = path;
}

/* A reload asked for while files were being written runs once the last
 * of them is closed, without the settle time. */
static void unmark_writing(struct sg_watch *w, int wd, const char *name)
{
	char *path;
	size_t i;

	if (asprintf(&path, "%s/%s", dir_of(w, wd), name) == -1)
		return;
	i = find_writing(w, wd, path);
	free(path);
	if (i < w->nwriting) {
		free(w->writing[i].path);
		w->writing[i] = w->writing[--w->nwriting];
	}
	if (w->requested && w->nwriting == 0)
		sg_timer_arm(w->loop, &w->settle, sg_loop_now(w->loop));
}

static void forget_writing(struct sg_watch *w)
{
	while (w->nwriting)
		free(w->writing[--w->nwriting].path);
}

static void on_event(struct sg_watch *w, const struct inotify_event *ev)
{
	bool config;

	/* Events were lost: which writers are still open is unknown. */
	if (ev->mask & IN_Q_OVERFLOW) {
		forget_writing(w);
		w->gen++;
		sg_timer_arm(w->loop, &w->settle, sg_loop_now(w->loop) + w->settle_ms);
		return;
	}
	config = ev->len && is_config(w, ev->wd, ev->name);
	if (ev->mask & IN_MODIFY) {
		if (!config)
			return; /* some other file written, e.g. an editor's swap file */
		mark_writing(w, ev->wd, ev->name);
	}
	w->gen++;
	sg_timer_arm(w->loop, &w->settle, sg_loop_now(w->loop) + w->settle_ms);
	if (config && (ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)))
		unmark_writing(w, ev->wd, ev->name);
}

/* Every event the kernel queued so far: it queues them inside the writer's
 * own syscalls, so after this the watch knows of every write done. */
static void drain(struct sg_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->io.fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			on_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

static void on_io(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	drain(io->data);
}

/* A file still being written is waited for: its IN_CLOSE_WRITE arms the
 * timer again. A writer that never closes (or truncate(2) by path, which
 * raises IN_MODIFY with no close) holds reloads back, SIGHUP's too, until
 * another event: the log says which file. */
static void on_settle(struct sg_loop *loop, struct sg_timer *t)
{
	struct sg_watch *w = t->data;

	if (w->nwriting) {
		if (!w->told)
			SG_INFO("config file %s is being written; reloading once it is closed",
				w->writing[0].path);
		w->told = true;
		return;
	}
	w->requested = false;
	w->fn(w->ctx);
}

void sg_watch_request(struct sg_watch *w)
{
	w->requested = true;
	drain(w);
	if (w->nwriting)
		return; /* its IN_CLOSE_WRITE arms the timer */
	sg_timer_arm(w->loop, &w->settle,
		     sg_loop_now(w->loop) + (w->busy ? WATCH_BUSY_RETRY_MS : 0));
}

static void release(struct sg_watch *w)
{
	while (w->nleases) {
		int fd = w->leases[--w->nleases];

		fcntl(fd, F_SETLEASE, F_UNLCK);
		close(fd);
	}
}

/* A read lease on `path`: 0 (taken, or none to be had: then the events
 * alone guard it), -EAGAIN when some process has the file open for
 * writing, -ENOMEM. */
static int lease(struct sg_watch *w, const char *path)
{
	int *grown, fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd == -1)
		return 0; /* gone or unreadable: the read reports it */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd); /* a FIFO or a device: the read refuses it */
		return 0;
	}
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == -1) {
		int err = errno;

		close(fd);
		if (err != EAGAIN) {
			/* EACCES: not the file's owner (CAP_LEASE is not
			 * kept); EINVAL: leases disabled. */
			SG_DEBUG("config file %s: no read lease: %s", path, strerror(err));
			return 0;
		}
		if (!w->busy || strcmp(w->busy, path)) {
			free(w->busy);
			w->busy = strdup(path);
			SG_INFO("config file %s is open for writing; reloading once it is closed",
				path);
		}
		return -EAGAIN;
	}
	grown = realloc(w->leases, (w->nleases + 1) * sizeof(*grown));
	if (!grown) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		close(fd);
		return -ENOMEM;
	}
	w->leases = grown;
	w->leases[w->nleases++] = fd;
	return 0;
}

static int lease_target(struct sg_watch *w, const struct target *t)
{
	struct dirent **list;
	char *path;
	int n, rc = 0;

	if (t->name) {
		if (asprintf(&path, "%s/%s", t->dir, t->name) == -1)
			return -ENOMEM;
		rc = lease(w, path);
		free(path);
		return rc;
	}
	n = scandir(t->dir, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (rc == 0 && sg_sources_wanted(list[i]->d_name)) {
			if (asprintf(&path, "%s/%s", t->dir, list[i]->d_name) == -1) {
				rc = -ENOMEM;
			} else {
				rc = lease(w, path);
				free(path);
			}
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return rc;
}

/* Leases first: from then on no process can open a config file for
 * writing (its open waits for sg_watch_end_read), and the events drained
 * after them cover every write that came before. */
int sg_watch_begin_read(struct sg_watch *w, uint64_t *mark)
{
	int rc = 0;

	for (size_t i = 0; i < w->ntargets && rc == 0; i++)
		rc = lease_target(w, &w->targets[i]);
	drain(w);
	if (rc == 0 && w->nwriting)
		rc = -EAGAIN;
	if (rc < 0) {
		release(w);
		return rc;
	}
	free(w->busy);
	w->busy = NULL;
	w->told = false;
	*mark = w->gen;
	return 0;
}

/* A file created or renamed into place while the files were read (which
 * leases do not hold back) shows as an event. */
bool sg_watch_end_read(struct sg_watch *w, uint64_t mark)
{
	release(w);
	drain(w);
	return w->gen != mark || w->nwriting;
}

/* dir and name of one config path; name NULL for a directory. Returns 0,
 * 1 when the path is to be skipped, or -errno. */
static int split_path(const char *p, char **dir, char **name)
{
	struct stat st;
	const char *slash;

	*dir = *name = NULL;
	if (!strcmp(p, "-") || stat(p, &st) == -1)
		return 1;
	if (S_ISDIR(st.st_mode)) {
		*dir = strdup(p);
		return *dir ? 0 : -ENOMEM;
	}
	slash = strrchr(p, '/');
	*dir = slash ? strndup(p, slash == p ? 1 : (size_t)(slash - p)) : strdup(".");
	*name = strdup(slash ? slash + 1 : p);
	if (!*dir || !*name) {
		free(*dir);
		free(*name);
		return -ENOMEM;
	}
	return 0;
}

static int add_target(struct sg_watch *w, const char *path)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
			      IN_DELETE | IN_ATTRIB;
	struct target *t;
	char *dir, *name;
	int rc = split_path(path, &dir, &name), wd;

	if (rc)
		return rc < 0 ? rc : 0;
	wd = inotify_add_watch(w->io.fd, dir, mask);
	if (wd == -1) {
		SG_WARN("cannot watch %s: %s (SIGHUP still reloads)", dir, strerror(errno));
		free(dir);
		free(name);
		return 0;
	}
	t = realloc(w->targets, (w->ntargets + 1) * sizeof(*t));
	if (!t) {
		free(dir);
		free(name);
		return -ENOMEM;
	}
	w->targets = t;
	w->targets[w->ntargets++] = (struct target){ wd, dir, name };
	return 0;
}

int sg_watch_start(struct sg_loop *loop, const char *const *paths, size_t npaths,
		   uint64_t settle_ms, sg_watch_fn fn, void *ctx, struct sg_watch **out)
{
	struct sg_watch *w = calloc(1, sizeof(*w));
	int rc = 0;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->settle_ms = settle_ms;
	w->fn = fn;
	w->ctx = ctx;
	sg_timer_init(&w->settle, on_settle, w);
	w->io.cb = on_io;
	w->io.data = w;
	/* A writer opening a file this process holds a lease on makes the
	 * kernel send SIGIO, whose default action ends the process. The
	 * lease goes at once anyway (sg_watch_end_read). */
	signal(SIGIO, SIG_IGN);
	w->io.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->io.fd == -1) {
		rc = -errno;
		free(w);
		return rc;
	}
	for (size_t i = 0; i < npaths && rc == 0; i++)
		rc = add_target(w, paths[i]);
	if (rc == 0 && sg_io_set(loop, &w->io, EPOLLIN) == -1)
		rc = -errno;
	if (rc < 0) {
		sg_watch_stop(w);
		return rc;
	}
	*out = w;
	return 0;
}

void sg_watch_stop(struct sg_watch *w)
{
	if (!w)
		return;
	sg_timer_stop(w->loop, &w->settle);
	sg_io_set(w->loop, &w->io, 0);
	close(w->io.fd);
	release(w);
	free(w->leases);
	free(w->busy);
	forget_writing(w);
	free(w->writing);
	for (size_t i = 0; i < w->ntargets; i++) {
		free(w->targets[i].dir);
		free(w->targets[i].name);
	}
	free(w->targets);
	free(w);
}
