/* GET /resources: the Kubernetes resources in force as `kubectl get -o
 * json` would print them, each with the Gateway API status the build left
 * in its struct sg_res_status (and, for Gateways, its listeners). */
#include "admin/get.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"

#define CONTROLLER "splicegate.dev/gateway-controller"

/* A plain scalar as YAML's core schema reads it: integers and booleans
 * keep their type, null stays null, everything else is a string. */
static cJSON *scalar_json(const struct sg_node *n)
{
	const char *s = n->str;
	char *end;

	if (!n->plain)
		return cJSON_CreateString(s);
	if (sg_node_is_null(n))
		return cJSON_CreateNull();
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return cJSON_CreateBool(!strcmp(s, "true"));
	if ((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')) {
		long long v = strtoll(s, &end, 10);

		if (*end == '\0' && (s[0] != '0' || s[1] == '\0'))
			return cJSON_CreateNumber((double)v);
	}
	return cJSON_CreateString(s);
}

static cJSON *node_json(const struct sg_node *n)
{
	cJSON *o;

	switch (n->kind) {
	case SG_NODE_SCALAR:
		return scalar_json(n);
	case SG_NODE_SEQ:
		o = cJSON_CreateArray();
		for (size_t i = 0; i < n->n; i++)
			cJSON_AddItemToArray(o, node_json(n->items[i]));
		return o;
	case SG_NODE_MAP:
		break;
	}
	o = cJSON_CreateObject();
	for (size_t i = 0; i < sg_map_len(n); i++) {
		const char *key = sg_map_key(n, i)->str;

		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		cJSON_AddItemToObject(o, key, node_json(sg_map_val(n, i)));
	}
	return o;
}

static cJSON *condition(const struct sg_condition *cd)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", cd->type);
	cJSON_AddStringToObject(o, "status", cd->status ? "True" : "False");
	cJSON_AddStringToObject(o, "reason", cd->reason);
	cJSON_AddStringToObject(o, "message", cd->message ? cd->message : "");
	return o;
}

static void add_condition(cJSON *arr, const char *type, bool ok, const char *reason,
			  const char *message)
{
	struct sg_condition cd = { type, ok, reason, message };

	cJSON_AddItemToArray(arr, condition(&cd));
}

static cJSON *ref(const char *group, const struct sg_parent_status *ps)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "group", group);
	cJSON_AddStringToObject(o, "kind", ps->kind);
	cJSON_AddStringToObject(o, "namespace", ps->ns);
	cJSON_AddStringToObject(o, "name", ps->name);
	if (ps->section)
		cJSON_AddStringToObject(o, "sectionName", ps->section);
	if (ps->port)
		cJSON_AddNumberToObject(o, "port", ps->port);
	return o;
}

static cJSON *route_status(const struct sg_res_status *st)
{
	cJSON *o = cJSON_CreateObject(), *parents = cJSON_AddArrayToObject(o, "parents");

	for (size_t i = 0; i < st->nparents; i++) {
		const struct sg_parent_status *ps = &st->parents[i];
		cJSON *p = cJSON_CreateObject(), *conds;

		cJSON_AddItemToObject(p, "parentRef", ref("gateway.networking.k8s.io", ps));
		cJSON_AddStringToObject(p, "controllerName", CONTROLLER);
		conds = cJSON_AddArrayToObject(p, "conditions");
		cJSON_AddItemToArray(conds, condition(&ps->accepted));
		cJSON_AddItemToArray(conds, condition(&ps->resolved));
		cJSON_AddItemToArray(parents, p);
	}
	return o;
}

static const char *target_group(const char *kind)
{
	return !strcmp(kind, "Service") ? "" : "gateway.networking.k8s.io";
}

static cJSON *policy_status(const struct sg_res_status *st)
{
	cJSON *o = cJSON_CreateObject(), *ancestors = cJSON_AddArrayToObject(o, "ancestors");

	for (size_t i = 0; i < st->nparents; i++) {
		const struct sg_parent_status *ps = &st->parents[i];
		cJSON *p = cJSON_CreateObject();

		cJSON_AddItemToObject(p, "ancestorRef", ref(target_group(ps->kind), ps));
		cJSON_AddStringToObject(p, "controllerName", CONTROLLER);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "conditions"),
				     condition(&ps->accepted));
		cJSON_AddItemToArray(ancestors, p);
	}
	return o;
}

static cJSON *listener_status(const struct sg_listener *l)
{
	cJSON *o = cJSON_CreateObject(), *kinds, *conds;

	cJSON_AddStringToObject(o, "name", l->name);
	kinds = cJSON_AddArrayToObject(o, "supportedKinds");
	for (unsigned k = SG_KIND_HTTPROUTE; k <= SG_KIND_TCPROUTE; k <<= 1) {
		cJSON *gk;

		if (!(l->kinds & k))
			continue;
		gk = cJSON_CreateObject();
		cJSON_AddStringToObject(gk, "group", "gateway.networking.k8s.io");
		cJSON_AddStringToObject(gk, "kind",
					k == SG_KIND_HTTPROUTE ? "HTTPRoute" : "TCPRoute");
		cJSON_AddItemToArray(kinds, gk);
	}
	cJSON_AddNumberToObject(o, "attachedRoutes", l->attached_routes);
	conds = cJSON_AddArrayToObject(o, "conditions");
	add_condition(conds, "Accepted", true, "Accepted", "listener accepted");
	add_condition(conds, "Programmed", true, "Programmed", "listening");
	if (l->invalid_kinds)
		add_condition(conds, "ResolvedRefs", false, "InvalidRouteKinds",
			      l->proto == SG_PROTO_HTTP
				      ? "allowedRoutes.kinds: an HTTP listener takes HTTPRoute only"
				      : "allowedRoutes.kinds: a TCP listener takes TCPRoute only");
	else
		add_condition(conds, "ResolvedRefs", true, "ResolvedRefs", "resolved");
	return o;
}

static cJSON *gateway_status(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	cJSON *o = cJSON_CreateObject(), *conds, *ls;

	conds = cJSON_AddArrayToObject(o, "conditions");
	add_condition(conds, "Accepted", true, "Accepted", "gateway accepted");
	add_condition(conds, "Programmed", true, "Programmed", "listening on the host");
	ls = cJSON_AddArrayToObject(o, "listeners");
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			if (l->gw_ns && !strcmp(l->gw_ns, id->ns) && !strcmp(l->gw_name, id->name))
				cJSON_AddItemToArray(ls, listener_status(l));
		}
	return o;
}

static cJSON *resource(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	cJSON *o = node_json(id->doc), *meta;

	meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	if (cJSON_IsObject(meta) && strcmp(id->kind, "Namespace") != 0 &&
	    !cJSON_GetObjectItemCaseSensitive(meta, "namespace"))
		cJSON_AddStringToObject(meta, "namespace", id->ns);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
	if (!strcmp(id->kind, "Gateway"))
		cJSON_AddItemToObject(o, "status", gateway_status(cfg, id));
	else if ((!strcmp(id->kind, "HTTPRoute") || !strcmp(id->kind, "TCPRoute")) && id->status)
		cJSON_AddItemToObject(o, "status", route_status(id->status));
	else if (!strcmp(id->kind, "AgentgatewayPolicy") && id->status)
		cJSON_AddItemToObject(o, "status", policy_status(id->status));
	return o;
}

char *sg_get_resources(const struct sg_cfg *cfg, const char *kind, const char *name, const char *ns)
{
	cJSON *list = cJSON_CreateObject(), *items;
	char *out;

	cJSON_AddStringToObject(list, "apiVersion", "v1");
	items = cJSON_AddArrayToObject(list, "items");
	cJSON_AddStringToObject(list, "kind", "List");
	for (size_t i = 0; i < cfg->nresources; i++) {
		const struct sg_res_id *id = &cfg->resources[i];

		if (!id->doc || (kind && strcmp(id->kind, kind)) ||
		    (name && strcmp(id->name, name)))
			continue;
		if (ns && strcmp(id->kind, "Namespace") != 0 && strcmp(id->ns, ns) != 0)
			continue;
		cJSON_AddItemToArray(items, resource(cfg, id));
	}
	out = cJSON_Print(list);
	cJSON_Delete(list);
	return out;
}
