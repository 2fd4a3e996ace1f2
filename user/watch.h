/* The config watch: inotify on the directories of the config paths, so that
 * a file written in place, replaced by rename, or a Kubernetes ConfigMap's
 * `..data` symlink swap each lead to one reload once the files settled. */
#ifndef SG_WATCH_H
#define SG_WATCH_H

#include <stdbool.h>
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

/* A reload is asked for (SIGHUP): fn(ctx) is called from the loop's next
 * pass, or, while a config file is being written, as soon as the last one
 * is closed. */
void sg_watch_request(struct sg_watch *w);

/* For the reload itself, which reads the files: sg_watch_settled() before
 * reading says whether none is being written (false: do not read now, ask
 * again with sg_watch_request) and takes a mark in *gen;
 * sg_watch_changed(w, mark) after reading says whether anything changed
 * meanwhile, so that what was read may be torn (read again once settled).
 * Both first take in every event already queued. */
bool sg_watch_settled(struct sg_watch *w, uint64_t *gen);
bool sg_watch_changed(struct sg_watch *w, uint64_t gen);

/* Stops watching and frees w (NULL is fine). Call it from the loop's thread,
 * outside w's own callback. */
void sg_watch_stop(struct sg_watch *w);

#endif
