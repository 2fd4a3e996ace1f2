/* Internal to config/: the standalone dialect, agentgateway's local config
 * file (config:, frontendPolicies:, binds:). */
#ifndef SG_CONFIG_STANDALONE_H
#define SG_CONFIG_STANDALONE_H

#include <stdint.h>

#include "config/draft.h"
#include "config/node.h"

/* What a listener is made of, in both of the file's forms (a bind's
 * listener, a gateway or a gateway's listener). */
struct sg_standalone_listener {
	const char *name;     /* never NULL */
	const char *protocol; /* HTTP, HTTPS, TCP, TLS; NULL: HTTP */
	const char *hostname; /* NULL: any */
	const struct sg_node *tls;
};

/* A listener on `port` from `in` (the map it came from is `at`: errors
 * point there and at its protocol key), keyed "bind/PORT/NAME", in the
 * standalone gateway. Returns it (valid until the next listener is added
 * to its bind), or NULL after recording an error. */
struct sg_listener *sg_standalone_listener(struct sg_draft *b, uint16_t port,
					   const struct sg_standalone_listener *in,
					   const struct sg_node *at, const char *path);

/* Listener l's gateway-phase policies (agentgateway's LocalGatewayPolicy:
 * cors, jwtAuth, basicAuth, apiKey, authorization, extAuthz, oidc) from
 * the map `n` (errors under `path`): policies keyed <owner>/<index> in
 * agentgateway's order, an oidc named policy/<owner>. Returns 0, or -1
 * after recording errors. */
int sg_standalone_gateway_policies(struct sg_draft *b, const struct sg_listener *l,
				   const struct sg_node *n, const char *owner, const char *path);

/* One route map `n` ({name, hostnames, matches, policies, backends}), or a
 * TCP route ({name, hostnames, backends}), appended to l in namespace ns
 * (unnamed: routeN / tcprouteN by its place in l). Returns 0, or -1 after
 * recording errors. */
int sg_standalone_route(struct sg_draft *b, struct sg_listener *l, const struct sg_node *n,
			const char *ns, const char *path);
int sg_standalone_tcp_route(struct sg_draft *b, struct sg_listener *l, const struct sg_node *n,
			    const char *ns, const char *path);

/* A route's policies map `n` (agentgateway's FilterOrPolicy) into r's
 * inline policies and filters, as a route of the file takes them (errors
 * under `path`). Returns 0, or -1 after recording errors. */
int sg_standalone_route_policies(struct sg_pctx *c, const struct sg_node *n, struct sg_route *r,
				 const char *path);

/* Name oidc o as agentgateway names an attached one, "policy/<owner>" (its
 * cookies' names derive from it), in the tree's list where sg_f_oidc put
 * it (mutable while the tree builds). Returns 0, or -1 out of memory. */
int sg_standalone_name_oidc(struct sg_draft *b, const struct sg_oidc *o, const char *owner);

/* Parse one standalone document `doc` (a map) into b->cfg. Returns 0, or
 * -1 after recording errors in b->c.d. */
int sg_standalone_parse(struct sg_draft *b, const struct sg_node *doc);

#endif
