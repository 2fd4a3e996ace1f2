/* The config watch: inotify on the directories of the config paths, so that
 * a file written in place, replaced by rename, or a Kubernetes ConfigMap's
 * `..data` symlink swap each lead to one reload once the files settled. */
#ifndef SG_WATCH_H
#define SG_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/base/loop.h"

struct sg_watch;

typedef void (*sg_watch_fn)(void *ctx);

/* Watch the files and directories in `paths` (as sg_sources_read takes
 * them; "-" and paths that do not exist are skipped) and call fn(ctx) from
 * `loop` once they settled: `settle_ms` after the last change, and never
 * while a config file among them is being written in place (modified and
 * not yet closed), so that a half-written file is never read. A directory
 * that cannot be watched is logged and skipped. On success *out is the watch
 * (the caller owns it: sg_watch_stop) and 0 is returned; else -errno. */
int sg_watch_start(struct sg_loop *loop, const char *const *paths, size_t npaths,
		   uint64_t settle_ms, sg_watch_fn fn, void *ctx, struct sg_watch **out);

/* A reload is asked for (SIGHUP, or a read put off): fn(ctx) is called
 * from the loop's next pass; while a config file is being written, as
 * soon as the last one is closed. */
void sg_watch_request(struct sg_watch *w);

/* Around the reload's reading of the config files. sg_watch_begin_read()
 * returns -EAGAIN when a config file is being written or open for writing
 * (do not read; sg_watch_request() to be called again once it is closed),
 * else 0 with a mark, and until sg_watch_end_read() it holds a read lease
 * on each config file, so no process can open one for writing meanwhile
 * (its open waits). Where a lease cannot be had (a file of another owner:
 * CAP_LEASE is not kept) only the events guard it. sg_watch_end_read()
 * drops the leases and says whether anything changed since the mark (a
 * file created or renamed into place meanwhile): then what was read may
 * be torn, read again. The watch ignores SIGIO, the lease-break signal. */
int sg_watch_begin_read(struct sg_watch *w, uint64_t *mark);
bool sg_watch_end_read(struct sg_watch *w, uint64_t mark);

/* Stops watching and frees w (NULL is fine). Call it from the loop's thread,
 * outside w's own callback. */
void sg_watch_stop(struct sg_watch *w);

#endif
