/* Internal to config/: the Kubernetes dialect (Gateway API resources,
 * AgentgatewayPolicy, Service, EndpointSlice, Namespace, ReferenceGrant).
 * Resources are collected first, in any order, then built at once. */
#ifndef SG_CONFIG_K8S_H
#define SG_CONFIG_K8S_H

#include <stdbool.h>

#include "config/draft.h"
#include "config/node.h"

/* Record the resource `doc` (a map with apiVersion and kind) in b->res,
 * or each item of a `kind: List`. Returns 0, or -1 after recording an
 * error in b->c.d. */
int sg_k8s_collect(struct sg_draft *b, const struct sg_node *doc);
/* Build every collected resource into b->cfg, in dependency order. Returns
 * 0, or -1 after recording errors. */
int sg_k8s_build(struct sg_draft *b);
/* Whether a LabelSelector (matchLabels, matchExpressions) selects
 * namespace `ns`, by the labels of its Namespace resource in `b` (plus
 * kubernetes.io/metadata.name). Exposed for tests. */
bool sg_k8s_selector_matches(const struct sg_draft *b, const struct sg_node *sel, const char *ns);

#endif
