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
/* Whether ns is a namespace's name: an RFC 1123 label, as the API server
 * takes one (metadata.namespace, and apply -n's); what one is, in words. */
bool sg_k8s_namespace_ok(const char *ns);
#define SG_K8S_NAMESPACE_RULE                                                                      \
	"a lowercase RFC 1123 label (a-z, 0-9 and '-', a letter or digit at each end, at "         \
	"most 63 characters)"
/* A Gateway API Hostname ("*." may lead it when `wildcard`) or
 * PreciseHostname, as the CRDs' patterns take them: lowercase RFC 1123
 * labels, no trailing dot. */
bool sg_k8s_hostname_ok(const char *h, bool wildcard);
/* Build every collected resource into b->cfg, in dependency order. Returns
 * 0, or -1 after recording errors. */
int sg_k8s_build(struct sg_draft *b);
/* Whether a LabelSelector (matchLabels, matchExpressions) selects
 * namespace `ns`, by the labels of its Namespace resource in `b` (plus
 * kubernetes.io/metadata.name). Exposed for tests. */
bool sg_k8s_selector_matches(const struct sg_draft *b, const struct sg_node *sel, const char *ns);

#endif
