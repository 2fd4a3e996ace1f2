/* Internal to config/: the standalone dialect's listeners and routes, as
 * its binds:, gateways:, routeGroups: and mcp: keys make them. */
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

/* A route's own policies map `n` into r, as sg_standalone_route reads a
 * route's: its filters in config_dump's order, its session named (the mcp:
 * shorthand's one route). Returns 0, or -1 after recording errors. */
int sg_standalone_own_policies(struct sg_pctx *c, const struct sg_node *n, struct sg_route *r,
			       const char *path);

/* The document's binds: list `n`: each bind's listeners and their routes.
 * Returns 0, or -1 after recording errors. */
int sg_standalone_binds(struct sg_draft *b, const struct sg_node *n);

/* The document's routeGroups: list `n`, before any route that may
 * delegate to one; sg_standalone_check_groups once every route is read:
 * no chain of routeGroup backends loops or runs too deep. Each returns 0,
 * or -1 after recording errors. */
int sg_standalone_groups(struct sg_draft *b, const struct sg_node *n);
int sg_standalone_check_groups(struct sg_draft *b);

#endif
