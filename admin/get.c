/* GET /resources: the Kubernetes resources in force as `kubectl get -o
 * json` would print them, each with the Gateway API status the build left
 * in its struct sg_res_status (and, for Gateways, its listeners). */
#include "admin/get.h"

#include <stdlib.h>
#include <string.h>

#include "config/node.h"
#include "user/json.h"

#define CONTROLLER "splicegate.dev/gateway-controller"

/* A plain scalar as YAML's core schema reads it: integers and booleans
 * keep their type, null stays null, everything else is a string. */
static struct sg_json *scalar_json(const struct sg_node *n)
{
	const char *s = n->str;
	char *end;

	if (!n->plain)
		return sg_json_string(s);
	if (sg_node_is_null(n))
		return sg_json_null();
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return sg_json_bool(!strcmp(s, "true"));
	if ((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')) {
		long long v = strtoll(s, &end, 10);

		if (*end == '\0' && (s[0] != '0' || s[1] == '\0'))
			return sg_json_number((double)v);
	}
	return sg_json_string(s);
}

static struct sg_json *node_json(const struct sg_node *n)
{
	struct sg_json *o;

	switch (n->kind) {
	case SG_NODE_SCALAR:
		return scalar_json(n);
	case SG_NODE_SEQ:
		o = sg_json_array();
		for (size_t i = 0; i < n->n; i++)
			sg_json_push(o, node_json(n->items[i]));
		return o;
	case SG_NODE_MAP:
		break;
	}
	o = sg_json_object();
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const char *key = sg_map_key(n, i)->str;

		sg_json_remove(o, key);
		sg_json_add(o, key, node_json(sg_map_val(n, i)));
	}
	return o;
}

static struct sg_json *condition(const struct sg_condition *cd)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "type", cd->type);
	sg_json_add_str(o, "status", cd->status ? "True" : "False");
	sg_json_add_str(o, "reason", cd->reason);
	sg_json_add_str(o, "message", cd->message ? cd->message : "");
	return o;
}

static void add_condition(struct sg_json *arr, const char *type, bool ok, const char *reason,
			  const char *message)
{
	struct sg_condition cd = { type, ok, reason, message };

	sg_json_push(arr, condition(&cd));
}

static struct sg_json *ref(const char *group, const struct sg_parent_status *ps)
{
	struct sg_json *o = sg_json_object();

	sg_json_add_str(o, "group", group);
	sg_json_add_str(o, "kind", ps->kind);
	sg_json_add_str(o, "namespace", ps->ns);
	sg_json_add_str(o, "name", ps->name);
	if (ps->section)
		sg_json_add_str(o, "sectionName", ps->section);
	if (ps->port)
		sg_json_add_num(o, "port", ps->port);
	return o;
}

static struct sg_json *route_status(const struct sg_res_status *st)
{
	struct sg_json *o = sg_json_object(), *parents = sg_json_add_array(o, "parents");

	for (size_t i = 0; i < st->nparents; i++) {
		const struct sg_parent_status *ps = &st->parents[i];
		struct sg_json *p = sg_json_object(), *conds;

		sg_json_add(p, "parentRef", ref("gateway.networking.k8s.io", ps));
		sg_json_add_str(p, "controllerName", CONTROLLER);
		conds = sg_json_add_array(p, "conditions");
		sg_json_push(conds, condition(&ps->accepted));
		sg_json_push(conds, condition(&ps->resolved));
		sg_json_push(parents, p);
	}
	return o;
}

static const char *target_group(const char *kind)
{
	return !strcmp(kind, "Service") ? "" : "gateway.networking.k8s.io";
}

static struct sg_json *policy_status(const struct sg_res_status *st)
{
	struct sg_json *o = sg_json_object(), *ancestors = sg_json_add_array(o, "ancestors");

	for (size_t i = 0; i < st->nparents; i++) {
		const struct sg_parent_status *ps = &st->parents[i];
		struct sg_json *p = sg_json_object(), *conds;

		sg_json_add(p, "ancestorRef", ref(target_group(ps->kind), ps));
		sg_json_add_str(p, "controllerName", CONTROLLER);
		conds = sg_json_add_array(p, "conditions");
		sg_json_push(conds, condition(&ps->accepted));
		if (ps->resolved.type) /* BackendTLSPolicy's ResolvedRefs */
			sg_json_push(conds, condition(&ps->resolved));
		sg_json_push(ancestors, p);
	}
	return o;
}

static struct sg_json *listener_status(const struct sg_listener *l)
{
	struct sg_json *o = sg_json_object(), *kinds, *conds;

	sg_json_add_str(o, "name", l->name);
	kinds = sg_json_add_array(o, "supportedKinds");
	for (unsigned k = SG_KIND_HTTPROUTE; k <= SG_KIND_GRPCROUTE; k <<= 1) {
		struct sg_json *gk;

		if (!(l->kinds & k))
			continue;
		gk = sg_json_object();
		sg_json_add_str(gk, "group", "gateway.networking.k8s.io");
		sg_json_add_str(gk, "kind", sg_route_kind_name(k));
		sg_json_push(kinds, gk);
	}
	sg_json_add_num(o, "attachedRoutes", l->attached_routes);
	conds = sg_json_add_array(o, "conditions");
	add_condition(conds, "Accepted", true, "Accepted", "listener accepted");
	if (l->conflicted)
		add_condition(conds, "Conflicted", true, "HostnameConflict",
			      "another listener on this port has the same hostname: neither "
			      "takes routes or requests");
	else
		add_condition(conds, "Conflicted", false, "NoConflicts", "no conflicts");
	if (l->conflicted)
		add_condition(conds, "Programmed", false, "Invalid",
			      "conflicted: the listener serves nothing");
	else if (l->tls_reason)
		add_condition(conds, "Programmed", false, "Invalid",
			      "no certificate: the listener serves no connection");
	else
		add_condition(conds, "Programmed", true, "Programmed", "listening");
	if (l->tls_reason)
		add_condition(conds, "ResolvedRefs", false, l->tls_reason, l->tls_message);
	else if (l->invalid_kinds)
		add_condition(conds, "ResolvedRefs", false, "InvalidRouteKinds",
			      l->proto == SG_PROTO_HTTP || l->proto == SG_PROTO_HTTPS
				      ? "allowedRoutes.kinds: an HTTP listener takes HTTPRoute and "
					"GRPCRoute only"
			      : l->proto == SG_PROTO_TCP
				      ? "allowedRoutes.kinds: a TCP listener takes TCPRoute only"
				      : "allowedRoutes.kinds: a TLS listener takes TLSRoute only");
	else
		add_condition(conds, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	return o;
}

/* A listener the Gateway was taken without: its protocol is not served,
 * or its port is another protocol's. */
static struct sg_json *bad_listener_status(const struct sg_bad_listener *bl)
{
	struct sg_json *o = sg_json_object(), *conds;
	bool conflict = !strcmp(bl->reason, "ProtocolConflict");

	sg_json_add_str(o, "name", bl->name);
	sg_json_add_array(o, "supportedKinds");
	sg_json_add_num(o, "attachedRoutes", 0);
	conds = sg_json_add_array(o, "conditions");
	if (conflict) {
		add_condition(conds, "Accepted", true, "Accepted", "listener accepted");
		add_condition(conds, "Conflicted", true, "ProtocolConflict", bl->message);
	} else {
		add_condition(conds, "Accepted", false, bl->reason, bl->message);
		add_condition(conds, "Conflicted", false, "NoConflicts", "no conflicts");
	}
	add_condition(conds, "Programmed", false, "Invalid", "the listener serves nothing");
	add_condition(conds, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	return o;
}

static struct sg_json *gateway_status(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	struct sg_json *o = sg_json_object(), *conds, *ls;
	size_t n = 0, not_valid = 0, programmed = 0, accepted = 0;

	conds = sg_json_add_array(o, "conditions");
	ls = sg_json_add_array(o, "listeners");
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			if (!l->gw_ns || strcmp(l->gw_ns, id->ns) || strcmp(l->gw_name, id->name))
				continue;
			sg_json_push(ls, listener_status(l));
			n++;
			accepted++;
			not_valid += l->conflicted || l->tls_reason || l->invalid_kinds;
			programmed += !l->conflicted && !l->tls_reason;
		}
	for (size_t i = 0; i < cfg->nbad_listeners; i++) {
		const struct sg_bad_listener *bl = &cfg->bad_listeners[i];

		if (strcmp(bl->gw_ns, id->ns) || strcmp(bl->gw_name, id->name))
			continue;
		sg_json_push(ls, bad_listener_status(bl));
		n++;
		not_valid++;
		accepted += !strcmp(bl->reason, "ProtocolConflict");
	}
	/* Gateway API: accepted while one listener is, ListenersNotValid when
	 * some are not valid (the others are served); Programmed while one
	 * listener is. */
	if (n && !accepted)
		add_condition(conds, "Accepted", false, "ListenersNotValid",
			      "no listener is accepted");
	else if (not_valid)
		add_condition(conds, "Accepted", true, "ListenersNotValid",
			      "some listeners are not valid and serve nothing");
	else
		add_condition(conds, "Accepted", true, "Accepted", "gateway accepted");
	if (n && !programmed)
		add_condition(conds, "Programmed", false, "Invalid", "no listener is programmed");
	else
		add_condition(conds, "Programmed", true, "Programmed", "listening on the host");
	return o;
}

static struct sg_json *resource(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	struct sg_json *o = node_json(id->doc), *meta;

	meta = sg_json_get(o, "metadata");
	if (sg_json_type(meta) == SG_JSON_OBJECT && strcmp(id->kind, "Namespace") != 0 &&
	    !sg_json_get(meta, "namespace"))
		sg_json_add_str(meta, "namespace", id->ns);
	sg_json_remove(o, "status");
	if (!strcmp(id->kind, "Gateway"))
		sg_json_add(o, "status", gateway_status(cfg, id));
	else if ((!strcmp(id->kind, "HTTPRoute") || !strcmp(id->kind, "GRPCRoute") ||
		  !strcmp(id->kind, "TCPRoute") || !strcmp(id->kind, "TLSRoute")) &&
		 id->status)
		sg_json_add(o, "status", route_status(id->status));
	else if ((!strcmp(id->kind, "AgentgatewayPolicy") ||
		  !strcmp(id->kind, "BackendTLSPolicy")) &&
		 id->status)
		sg_json_add(o, "status", policy_status(id->status));
	return o;
}

char *sg_get_resources(const struct sg_cfg *cfg, const char *kind, const char *name, const char *ns)
{
	struct sg_json *list = sg_json_object(), *items;
	char *out;

	sg_json_add_str(list, "apiVersion", "v1");
	items = sg_json_add_array(list, "items");
	sg_json_add_str(list, "kind", "List");
	for (size_t i = 0; i < cfg->nresources; i++) {
		const struct sg_res_id *id = &cfg->resources[i];

		if (!id->doc || (kind && strcmp(id->kind, kind)) ||
		    (name && strcmp(id->name, name)))
			continue;
		if (ns && strcmp(id->kind, "Namespace") != 0 && strcmp(id->ns, ns) != 0)
			continue;
		sg_json_push(items, resource(cfg, id));
	}
	out = sg_json_print(list, SG_JSON_TABS);
	sg_json_free(list);
	return out;
}
