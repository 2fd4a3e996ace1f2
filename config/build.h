/* Internal to config/: what the two dialect readers share while they build
 * one struct sg_cfg. Not for user/ or admin/. */
#ifndef SG_CONFIG_BUILD_H
#define SG_CONFIG_BUILD_H

#include "config/cfg.h"
#include "config/fields.h"
#include "config/node.h"

/* A Kubernetes resource's identity, for duplicates and references. */
struct sg_res {
	const char *api, *kind, *ns, *name;
	const struct sg_node *doc, *spec, *metadata;
	const struct sg_node *labels;
	struct sg_res_status status;
};

struct sg_build {
	struct sg_cfg *cfg;
	struct sg_pctx c;
	struct sg_res *res; /* Kubernetes resources, in load order */
	size_t nres, capres;
	/* res by kind, namespace and name: an open-addressing table of
	 * index + 1 (0: empty), in the arena; k8s.c keeps it. */
	size_t *res_slots;
	size_t res_cap;
	size_t nstandalone;
	bool replace;			 /* duplicates replace (applied sources) */
	const struct sg_res_id *deleted; /* resources to leave out */
	size_t ndeleted;
};

/* The bind on `port`, created on first use. A port is HTTP or TCP, never
 * both: a second protocol is an error at `at`. Returns NULL on error. */
struct sg_bind *sg_build_bind(struct sg_build *b, uint16_t port, enum sg_proto proto,
			      const struct sg_node *at);
struct sg_listener *sg_build_listener(struct sg_build *b, struct sg_bind *bind,
				      const struct sg_node *at);
struct sg_policy *sg_build_policy(struct sg_build *b);

/* Shared field tables: keepalives {enabled, time, interval, retries}. */
int sg_f_keepalive(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_frontend_http(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_retry(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_parse_match_path(struct sg_pctx *c, const struct sg_node *n, struct sg_match *m,
			const char *path);

/* The dialects. */
int sg_standalone_parse(struct sg_build *b, const struct sg_node *doc);
int sg_k8s_collect(struct sg_build *b, const struct sg_node *doc);
int sg_k8s_build(struct sg_build *b);
/* Whether a LabelSelector (matchLabels, matchExpressions) selects
 * namespace `ns`, by the labels of its Namespace resource in `b` (plus
 * kubernetes.io/metadata.name). Exposed for tests. */
bool sg_k8s_selector_matches(const struct sg_build *b, const struct sg_node *sel, const char *ns);

#endif
