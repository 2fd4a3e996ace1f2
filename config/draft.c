/* A config being built: the binds, listeners and policies both dialects add
 * to the struct sg_cfg they fill. */
#include "config/draft.h"

struct sg_bind *sg_draft_bind(struct sg_draft *b, uint16_t port, enum sg_proto proto,
			      const struct sg_node *at)
{
	struct sg_cfg *cfg = b->cfg;
	struct sg_bind *bind;

	for (size_t i = 0; i < cfg->nbinds; i++) {
		bind = &cfg->binds[i];
		if (bind->port != port)
			continue;
		if (bind->connect) {
			sg_diag_err(
				b->c.d, at,
				"port %u: a tunnelProtocol: connect bind's port takes no listeners",
				port);
			return NULL;
		}
		if (bind->proto != proto) {
			sg_diag_err(b->c.d, at,
				    "port %u: listener protocol %s conflicts with %s listeners on "
				    "the same port",
				    port, sg_proto_name(proto), sg_proto_name(bind->proto));
			return NULL;
		}
		return bind;
	}
	bind = sg_arena_push(&cfg->arena, &cfg->binds, &cfg->nbinds, &cfg->capbinds, sizeof(*bind));
	if (!bind)
		return NULL;
	bind->port = port;
	bind->proto = proto;
	bind->key = sg_arena_printf(&cfg->arena, "bind/%u", port);
	return bind;
}

struct sg_listener *sg_draft_listener(struct sg_draft *b, struct sg_bind *bind,
				      const struct sg_node *at)
{
	struct sg_listener *l = sg_arena_push(&b->cfg->arena, &bind->listeners, &bind->nlisteners,
					      &bind->caplisteners, sizeof(*l));

	if (l)
		l->at = at;
	return l;
}

struct sg_policy *sg_draft_policy(struct sg_draft *b)
{
	struct sg_cfg *cfg = b->cfg;

	return sg_arena_push(&cfg->arena, &cfg->policies, &cfg->npolicies, &cfg->cappolicies,
			     sizeof(struct sg_policy));
}
