/* The config watch: inotify on the directories of the config paths, so that
 * a file written in place, replaced by rename, or a Kubernetes ConfigMap's
 * `..data` symlink swap each lead to one reload once the files settled. */
#ifndef SG_WATCH_H
#define SG_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "user/loop.h"

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

/* Stops watching and frees w (NULL is fine). Call it from the loop's thread,
 * outside w's own callback. */
void sg_watch_stop(struct sg_watch *w);

#endif
