/* The config store of a running gateway: the texts its config was built
 * from (files read at start, bodies applied since) and the resources
 * deleted since. Apply and delete build a whole new config from them; a
 * change that does not build leaves everything as it was. */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

struct sg_store;

/* What a built config needs before it can go in force, as both the store
 * and `splicegate check` run it: Secrets' certificates loaded (a listener
 * whose do not is left serving nothing, sg_tls_vet_secrets, never the
 * whole change refused for it); oidc's providers discovered and
 * jwtAuth's keys compiled (either failing refuses the config, as
 * agentgateway refuses it); apiKey's keys hashed, basicAuth's htpasswd
 * parsed, extAuthz's caches sized. Returns 0, or -1 with reasons in d. */
int sg_store_prepare(struct sg_cfg *cfg, struct sg_diag *d);

/* Read the files (none: the embedded default) and build the first config.
 * Returns NULL with reasons in d. */
struct sg_store *sg_store_open(const char *const *paths, size_t npaths, struct sg_diag *d);
void sg_store_close(struct sg_store *s);

/* The config in force (the store holds one reference). */
struct sg_cfg *sg_store_current(const struct sg_store *s);
/* How many applied bodies the store keeps: of each resource in force, the
 * one it was created in and its last, at most (older ones are dropped as
 * changes come). */
size_t sg_store_applied(const struct sg_store *s);

/* How many changes (applies and deletes) went in force so far: the number
 * of the last one. */
unsigned sg_store_changes(const struct sg_store *s);
/* Whether the body applied as change number `era` is still kept: some
 * resource of it is in force from it (the store drops a body once every
 * resource it held was applied again since, by a body that is kept). */
bool sg_store_holds(const struct sg_store *s, unsigned era);

/* A change as kubectl apply/delete would make it, from a YAML body of
 * Kubernetes resources. On success the new config is in force and *report
 * (malloc'd) has one line per resource ("httproute.gateway.networking.k8s.io/x
 * created|configured|unchanged|deleted"), then the warnings located in the
 * body (a reference that does not resolve: accepted all the same); returns 0, or 1 when some resource to delete
 * did not exist (the others are deleted and the report says which). On
 * failure nothing changes and -1 is returned with reasons in d. */
typedef int (*sg_store_check_fn)(void *ctx, const struct sg_cfg *old, const struct sg_cfg *cfg,
				 struct sg_diag *d);
/* `ns` (may be NULL: "default") is the namespace of the body's resources
 * that name none, as kubectl apply -n gives it (one that names another is
 * refused). `check` (may be NULL) vets the new config before it goes in force: -1
 * rejects the change (reasons in d). It runs last, once everything the change
 * needs is had, so a change it passes goes in force (the gateway's journals
 * it there). `names` (NULL: not wanted) gets on
 * success the change for a log, malloc'd, one "httproute ns/name
 * configured" line per resource. */
int sg_store_change(struct sg_store *s, const char *body, size_t len, bool del, const char *ns,
		    sg_store_check_fn check, void *check_ctx, char **report, char **names,
		    struct sg_diag *d);

/* Re-read the files the store was opened with and rebuild, keeping what
 * was applied and deleted since. Returns 0 when a new config is in force,
 * 1 when the files did not change (nothing rebuilt), 2 when they are the
 * very texts whose build failed last time, with nothing applied since
 * (nothing rebuilt, nothing reported again), -1 on failure with nothing
 * changed (reasons in d). */
int sg_store_reload(struct sg_store *s, const char *const *paths, size_t npaths,
		    sg_store_check_fn check, void *check_ctx, struct sg_diag *d);
/* The same from file texts the caller read (sg_sources_read), which the
 * store takes over whatever it returns. */
int sg_store_reload_sources(struct sg_store *s, struct sg_source *files, size_t nfiles,
			    sg_store_check_fn check, void *check_ctx, struct sg_diag *d);
/* Build again from the same texts: the files a config names (certificates)
 * changed while the config files did not. 0 = a new config is in force,
 * -1 = failed, nothing changed (reasons in d). */
int sg_store_rebuild(struct sg_store *s, sg_store_check_fn check, void *check_ctx,
		     struct sg_diag *d);

#endif
