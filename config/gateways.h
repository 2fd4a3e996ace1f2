/* Internal to config/: agentgateway's current standalone form, beside
 * binds: named `gateways:` (a port each, one listener or several), and
 * top-level `routes:` and `tcpRoutes:` attached to them by name. */
#ifndef SG_CONFIG_GATEWAYS_H
#define SG_CONFIG_GATEWAYS_H

#include "config/draft.h"
#include "config/node.h"

/* The document's gateways (a map, or NULL), then its routes and tcpRoutes
 * (lists, or NULL), into b->cfg; the binds: of the same document are
 * already in it, and a port both name is an error. A route names the
 * listeners it attaches to in `gateways:` ("NAME" for every listener of a
 * gateway of its kind, "NAME/LISTENER" for one); without it, the gateway
 * named default. Returns 0, or -1 after recording every error. */
int sg_gateways_parse(struct sg_draft *b, const struct sg_node *gateways,
		      const struct sg_node *routes, const struct sg_node *tcp_routes);

#endif
