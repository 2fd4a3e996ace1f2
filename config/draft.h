/* Internal to config/: a config being built, which both dialect readers
 * (config/standalone.c, config/k8s.c) fill and config/build.c starts and
 * finishes. Not for user/ or admin/. */
#ifndef SG_CONFIG_DRAFT_H
#define SG_CONFIG_DRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "config/fields.h"
#include "config/node.h"

/* A Kubernetes resource's identity, for duplicates and references. */
struct sg_res {
	const char *api, *kind, *ns, *name;
	unsigned era; /* of the source it first came in (sg_route.era) */
	const struct sg_node *doc, *spec, *metadata;
	const struct sg_node *labels;
	struct sg_res_status status;
	/* A Gateway's spec.tls.backend client certificate, made once for its
	 * listeners and its ListenerSets' (sg_listener.backend_client). */
	const struct sg_backend_tls *gw_client;
};

/* Owned by config/build.c for one build; everything it points to lives in
 * cfg's arena. */
struct sg_draft {
	struct sg_cfg *cfg;
	struct sg_pctx c;
	struct sg_res *res; /* Kubernetes resources, in load order */
	size_t nres, capres;
	/* res by kind, namespace and name: an open-addressing table of
	 * index + 1 (0: empty), in the arena; k8s.c keeps it. */
	size_t *res_slots;
	size_t res_cap;
	size_t nstandalone;
	bool replace; /* duplicates replace (applied sources) */
	unsigned era; /* of the source being read (sg_source.era) */
	/* Its resources' namespace when they name none ("default", or apply
	 * -n's: then one that names another is refused, as kubectl does). */
	const char *ns;
	bool ns_given;
	const struct sg_res_id *deleted; /* resources to leave out, sorted (sg_res_id_cmp) */
	size_t ndeleted;
};

/* The bind on `port`, created on first use. A port is HTTP or TCP, never
 * both: a second protocol is an error at `at`. Returns NULL on error. */
struct sg_bind *sg_draft_bind(struct sg_draft *b, uint16_t port, enum sg_proto proto,
			      const struct sg_node *at);
/* A new zeroed listener on `bind`, or NULL when out of memory. */
struct sg_listener *sg_draft_listener(struct sg_draft *b, struct sg_bind *bind,
				      const struct sg_node *at);
/* A new zeroed policy, or NULL when out of memory. */
struct sg_policy *sg_draft_policy(struct sg_draft *b);

#endif
