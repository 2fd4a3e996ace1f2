/* Loading: files, directories and texts -> YAML documents -> the dialect
 * of each (config/standalone.h, config/k8s.h) -> regexes and resolved
 * policies -> one checked struct sg_cfg. Only orchestrates. */
#ifndef SG_CONFIG_BUILD_H
#define SG_CONFIG_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "config/arena.h"
#include "config/cfg.h"
#include "config/diag.h"

/* Load every path (file or directory of .yaml/.yml files, sorted), or the
 * embedded default config when npaths is 0. Returns the checked, resolved
 * config (one reference, the caller's: sg_cfg_unref or sg_cfg_free), or
 * NULL with the reasons in `d` (warnings may be there either way). */
struct sg_cfg *sg_cfg_load(const char *const *paths, size_t npaths, struct sg_diag *d);
/* Same, from YAML text already in memory (the admin API, tests). */
struct sg_cfg *sg_cfg_load_text(const char *name, const char *text, struct sg_diag *d);

/* Build from sources (see struct sg_cfg_input), which stay the caller's.
 * Returns as sg_cfg_load does. */
struct sg_cfg *sg_cfg_build(const struct sg_cfg_input *in, struct sg_diag *d);
/* Read files and directories (no paths: the embedded default config) into
 * malloc'd sources, in load order. Only regular files are read ("-" is
 * standard input), SG_CFG_MAX_TEXT bytes each at most: anything else (a
 * FIFO, a link to a device) is an error naming it, and never waited for.
 * Returns 0 or -1 with reasons in d; either way *out is the caller's, for
 * sg_sources_free. */
int sg_sources_read(const char *const *paths, size_t npaths, struct sg_source **out, size_t *nout,
		    struct sg_diag *d);
void sg_sources_free(struct sg_source *s, size_t n);
/* Frees one source's strings (name, text, ns) and empties it. */
void sg_source_free(struct sg_source *s);
/* Whether sg_sources_read reads a directory entry of this name (*.yaml and
 * *.yml, no dot files). */
bool sg_sources_wanted(const char *name);
/* The Kubernetes resources a text holds (for apply/delete), names in `a`;
 * those that name no namespace are in `ns` (NULL: "default"; given, one
 * that names another is an error, as kubectl's -n). A standalone document
 * is an error: apply takes resources only. Returns 0, or -1 with the
 * reasons in d. */
int sg_cfg_identify(const char *name, const char *text, size_t len, const char *ns,
		    struct sg_arena *a, struct sg_res_id **ids, size_t *n, struct sg_diag *d);

/* The config used when no path is given: :8080 -> 127.0.0.1:8000. */
extern const char sg_default_config[];

#endif
