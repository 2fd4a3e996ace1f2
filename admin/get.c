/* GET /resources: the Kubernetes resources in force as `kubectl get -o
 * json` would print them, secrets redacted, each with the Gateway API
 * status the build left in its struct sg_res_status (and, for Gateways
 * and ListenerSets, their listeners), and the generations and transition
 * times the history kept across configs. */
#include "admin/get.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"
#include "user/base/json.h"

#define CONTROLLER "splicegate.dev/gateway-controller"

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

static const char *target_group(const char *kind);

static struct sg_json *route_status(const struct sg_res_status *st)
{
	struct sg_json *o = sg_json_object(), *parents = sg_json_add_array(o, "parents");

	for (size_t i = 0; i < st->nparents; i++) {
		const struct sg_parent_status *ps = &st->parents[i];
		struct sg_json *p = sg_json_object(), *conds;

		sg_json_add(p, "parentRef", ref(target_group(ps->kind), ps));
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
	return !strcmp(kind, "Service")	       ? ""
	       : !strcmp(kind, "XListenerSet") ? "gateway.networking.x-k8s.io"
					       : "gateway.networking.k8s.io";
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
	if (l->no_valid_ca)
		add_condition(conds, "Accepted", false, "NoValidCACertificate", l->tls_message);
	else
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
		add_condition(
			conds, "Programmed", false, "Invalid",
			l->no_valid_ca
				? "no client CA to verify with: the listener serves no connection"
				: "no certificate: the listener serves no connection");
	else
		add_condition(conds, "Programmed", true, "Programmed", "listening");
	if (l->tls_reason)
		add_condition(conds, "ResolvedRefs", false, l->tls_reason, l->tls_message);
	else if (l->ca_reason)
		add_condition(conds, "ResolvedRefs", false, l->ca_reason, l->ca_message);
	else if (l->invalid_kinds)
		add_condition(
			conds, "ResolvedRefs", false, "InvalidRouteKinds",
			l->proto == SG_PROTO_HTTP || l->proto == SG_PROTO_HTTPS
				? "allowedRoutes.kinds: an HTTP listener takes HTTPRoute and "
				  "GRPCRoute only"
			: l->proto == SG_PROTO_TCP
				? "allowedRoutes.kinds: a TCP listener takes TCPRoute only"
			: sg_listener_terminates_tls(l)
				? "allowedRoutes.kinds: a TLS listener in mode Terminate takes "
				  "TLSRoute and TCPRoute only"
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

/* ---- ListenerSet ------------------------------------------------------------ */

static bool of_set(const char *kind, const char *ns, const char *name, const struct sg_res_id *id)
{
	return kind && !strcmp(kind, id->kind) && !strcmp(ns, id->ns) && !strcmp(name, id->name);
}

static bool serves(const struct sg_listener *l)
{
	return !l->conflicted && !l->tls_reason;
}

/* A listener of a ListenerSet that lost to one before it in precedence
 * (HostnameConflict, ProtocolConflict): neither accepted nor programmed,
 * as the Gateway API asks of a ListenerSet's. */
static void lost(struct sg_json *o, const char *reason, const char *message)
{
	struct sg_json *conds;

	sg_json_remove(o, "conditions");
	conds = sg_json_add_array(o, "conditions");
	add_condition(conds, "Accepted", false, reason, message);
	add_condition(conds, "Conflicted", true, reason, message);
	add_condition(conds, "Programmed", false, reason, message);
	add_condition(conds, "ResolvedRefs", true, "ResolvedRefs", "resolved");
}

/* A ListenerSet attached to a Gateway: accepted and programmed while one
 * of its listeners serves (ListenersNotValid when some do not); one its
 * Gateway does not take says why (sg_res_status.detached). */
static struct sg_json *listenerset_status(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	struct sg_json *o = sg_json_object(), *conds, *ls, *j;
	const struct sg_condition *d = id->status ? &id->status->detached : NULL;
	size_t programmed = 0, not_valid = 0;

	conds = sg_json_add_array(o, "conditions");
	ls = sg_json_add_array(o, "listeners");
	if (d && d->reason) {
		add_condition(conds, "Accepted", false, d->reason, d->message);
		add_condition(conds, "Programmed", false, d->reason, d->message);
		return o;
	}
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			if (!of_set(l->ls_kind, l->ls_ns, l->ls_name, id))
				continue;
			j = listener_status(l);
			sg_json_push(ls, j);
			if (l->conflicted)
				lost(j, "HostnameConflict",
				     "a listener before it in precedence has its port and "
				     "hostname: it "
				     "serves nothing");
			programmed += serves(l);
			not_valid += !serves(l) || l->invalid_kinds || l->ca_reason;
		}
	for (size_t i = 0; i < cfg->nbad_listeners; i++) {
		const struct sg_bad_listener *bl = &cfg->bad_listeners[i];

		if (!of_set(bl->ls_kind, bl->ls_ns, bl->ls_name, id))
			continue;
		j = bad_listener_status(bl);
		sg_json_push(ls, j);
		if (!strcmp(bl->reason, "ProtocolConflict"))
			lost(j, bl->reason, bl->message);
		not_valid++;
	}
	if (!programmed) {
		add_condition(conds, "Accepted", false, "ListenersNotValid",
			      "no listener is valid");
		add_condition(conds, "Programmed", false, "ListenersNotValid",
			      "no listener is programmed");
		return o;
	}
	if (not_valid)
		add_condition(conds, "Accepted", true, "ListenersNotValid",
			      "some listeners are not valid and serve nothing");
	else
		add_condition(conds, "Accepted", true, "Accepted", "listener set accepted");
	add_condition(conds, "Programmed", true, "Programmed", "listening on the host");
	return o;
}

/* Whether serving listener (b, i) of a ListenerSet is the first serving
 * one of its set: each set counts once. */
static bool first_of_set(const struct sg_cfg *cfg, size_t b, size_t i)
{
	const struct sg_listener *l = &cfg->binds[b].listeners[i];

	for (size_t pb = 0; pb <= b; pb++)
		for (size_t pi = 0; pi < (pb == b ? i : cfg->binds[pb].nlisteners); pi++) {
			const struct sg_listener *o = &cfg->binds[pb].listeners[pi];

			if (o->ls_kind && serves(o) && !strcmp(o->ls_kind, l->ls_kind) &&
			    !strcmp(o->ls_ns, l->ls_ns) && !strcmp(o->ls_name, l->ls_name))
				return false;
		}
	return true;
}

/* A Gateway's status.attachedListenerSets: its ListenerSets that are
 * accepted (one of their listeners serves). Shown where the Gateway
 * takes ListenerSets or has some. */
static void attached_sets(struct sg_json *o, const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	const struct sg_node *spec = id->doc ? sg_map_get(id->doc, "spec") : NULL;
	size_t total = 0;

	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			total += l->ls_kind && serves(l) && !strcmp(l->gw_ns, id->ns) &&
				 !strcmp(l->gw_name, id->name) && first_of_set(cfg, b, i);
		}
	if (total || sg_map_get(spec, "allowedListeners"))
		sg_json_add_num(o, "attachedListenerSets", (double)total);
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

			if (!l->gw_ns || l->ls_kind || strcmp(l->gw_ns, id->ns) ||
			    strcmp(l->gw_name, id->name))
				continue;
			sg_json_push(ls, listener_status(l));
			n++;
			accepted += !l->no_valid_ca;
			not_valid +=
				l->conflicted || l->tls_reason || l->invalid_kinds || l->ca_reason;
			programmed += !l->conflicted && !l->tls_reason;
		}
	for (size_t i = 0; i < cfg->nbad_listeners; i++) {
		const struct sg_bad_listener *bl = &cfg->bad_listeners[i];

		if (bl->ls_kind || strcmp(bl->gw_ns, id->ns) || strcmp(bl->gw_name, id->name))
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
	if (id->status && id->status->gw_resolved.type)
		sg_json_push(conds, condition(&id->status->gw_resolved));
	if (id->status && id->status->gw_insecure.type)
		sg_json_push(conds, condition(&id->status->gw_insecure));
	attached_sets(o, cfg, id);
	return o;
}

/* The status of resource id as cfg has it, or NULL for kinds without. */
static struct sg_json *status_of(const struct sg_cfg *cfg, const struct sg_res_id *id)
{
	if (!strcmp(id->kind, "Gateway"))
		return gateway_status(cfg, id);
	if (!strcmp(id->kind, "ListenerSet") || !strcmp(id->kind, "XListenerSet"))
		return listenerset_status(cfg, id);
	if ((!strcmp(id->kind, "HTTPRoute") || !strcmp(id->kind, "GRPCRoute") ||
	     !strcmp(id->kind, "TCPRoute") || !strcmp(id->kind, "TLSRoute")) &&
	    id->status)
		return route_status(id->status);
	if ((!strcmp(id->kind, "AgentgatewayPolicy") || !strcmp(id->kind, "BackendTLSPolicy")) &&
	    id->status)
		return policy_status(id->status);
	return NULL;
}

/* ---- history: generations and transition times across configs ---------- */

/* One resource (its spec's hash and generation) or one condition (its
 * status and when it last changed), under a key naming where it is. */
struct hist_entry {
	char *key;
	uint64_t hash;
	unsigned gen;
	bool status;
	char time[24]; /* RFC 3339, UTC, seconds: a condition's last change, a
			* resource's creation */
	struct hist_entry *next;
};

/* Owned by the gateway; rebuilt whole by each sg_get_record. */
struct sg_get_history {
	struct hist_entry **slots;
	size_t cap; /* a power of two, or 0 */
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* the end, so "ab","c" != "a","bc" */
}

/* The content of a node tree: a spec changed when its hash did. */
static uint64_t node_hash(uint64_t h, const struct sg_node *n)
{
	if (!n)
		return h;
	h = fnv(h, n->kind == SG_NODE_SCALAR ? "s" : n->kind == SG_NODE_SEQ ? "q" : "m");
	if (n->kind == SG_NODE_SCALAR)
		return fnv(h, n->str ? n->str : "");
	for (size_t i = 0; i < n->n; i++)
		h = node_hash(h, n->items[i]);
	return h;
}

static struct hist_entry *hist_find(const struct sg_get_history *h, const char *key)
{
	if (!h || !h->cap)
		return NULL;
	for (struct hist_entry *e = h->slots[fnv(14695981039346656037ull, key) & (h->cap - 1)]; e;
	     e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static struct hist_entry *hist_add(struct sg_get_history *h, const char *key)
{
	struct hist_entry *e = calloc(1, sizeof(*e));
	size_t slot;

	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	slot = fnv(14695981039346656037ull, key) & (h->cap - 1);
	e->next = h->slots[slot];
	h->slots[slot] = e;
	return e;
}

static void hist_clear(struct sg_get_history *h)
{
	for (size_t i = 0; i < h->cap; i++)
		for (struct hist_entry *e = h->slots[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	free(h->slots);
	h->slots = NULL;
	h->cap = 0;
}

struct sg_get_history *sg_get_history_new(void)
{
	return calloc(1, sizeof(struct sg_get_history));
}

void sg_get_history_free(struct sg_get_history *h)
{
	if (!h)
		return;
	hist_clear(h);
	free(h);
}

static void res_key(char *out, size_t len, const struct sg_res_id *id)
{
	snprintf(out, len, "%s/%s/%s", id->kind, id->ns, id->name);
}

typedef void (*cond_fn)(void *ctx, const char *key, struct sg_json *cond);

/* Each condition of a status, with a key of the resource's (rkey), where
 * the condition sits (the Gateway's own, a listener by name, a route
 * parent or policy ancestor by its reference) and its type. */
static void each_condition(struct sg_json *status, const char *rkey, cond_fn fn, void *ctx)
{
	static const char *const lists[] = { "listeners", "parents", "ancestors" };
	char key[1024];

	for (struct sg_json *c = sg_json_first(sg_json_get(status, "conditions")); c;
	     c = sg_json_next(c)) {
		snprintf(key, sizeof(key), "%s|gateway|%s", rkey,
			 sg_json_str(sg_json_get(c, "type")));
		fn(ctx, key, c);
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		for (struct sg_json *p = sg_json_first(sg_json_get(status, lists[i])); p;
		     p = sg_json_next(p)) {
			struct sg_json *ref = sg_json_get(p, i == 1 ? "parentRef" : "ancestorRef");
			char *where = i == 0 ? NULL : sg_json_print(ref, SG_JSON_COMPACT);

			for (struct sg_json *c = sg_json_first(sg_json_get(p, "conditions")); c;
			     c = sg_json_next(c)) {
				snprintf(key, sizeof(key), "%s|%s|%s|%s", rkey, lists[i],
					 i == 0	 ? sg_json_str(sg_json_get(p, "name"))
					 : where ? where
						 : "",
					 sg_json_str(sg_json_get(c, "type")));
				fn(ctx, key, c);
			}
			free(where);
		}
}

struct record_ctx {
	const struct sg_get_history *old;
	struct sg_get_history *next;
	const char *now;
	int err;
};

static void record_condition(void *ctx, const char *key, struct sg_json *cond)
{
	struct record_ctx *rc = ctx;
	const struct hist_entry *was = hist_find(rc->old, key);
	struct hist_entry *e = hist_add(rc->next, key);
	const char *st = sg_json_str(sg_json_get(cond, "status"));

	if (!e) {
		rc->err = -ENOMEM;
		return;
	}
	e->status = st && !strcmp(st, "True");
	/* Kubernetes' rule: the time moves when the status does. */
	snprintf(e->time, sizeof(e->time), "%s",
		 was && was->status == e->status ? was->time : rc->now);
}

int sg_get_record(struct sg_get_history *h, const struct sg_cfg *cfg, time_t now)
{
	struct sg_get_history next = { NULL, 64 };
	struct record_ctx rc = { h, &next, NULL, 0 };
	char stamp[24], rkey[800];
	struct tm tm;

	while (next.cap < 4 * cfg->nresources)
		next.cap <<= 1;
	if (!(next.slots = calloc(next.cap, sizeof(*next.slots))))
		return -ENOMEM;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc.now = stamp;
	for (size_t i = 0; i < cfg->nresources && !rc.err; i++) {
		const struct sg_res_id *id = &cfg->resources[i];
		const struct hist_entry *was;
		struct hist_entry *e;
		struct sg_json *st;

		if (!id->doc)
			continue;
		res_key(rkey, sizeof(rkey), id);
		was = hist_find(h, rkey);
		if (!(e = hist_add(&next, rkey))) {
			rc.err = -ENOMEM;
			break;
		}
		e->hash = node_hash(14695981039346656037ull, sg_map_get(id->doc, "spec"));
		e->gen = !was ? 1 : was->hash == e->hash ? was->gen : was->gen + 1;
		snprintf(e->time, sizeof(e->time), "%s", was ? was->time : stamp);
		if ((st = status_of(cfg, id)))
			each_condition(st, rkey, record_condition, &rc);
		sg_json_free(st);
	}
	if (rc.err) {
		hist_clear(&next);
		return rc.err;
	}
	hist_clear(h);
	*h = next;
	return 0;
}

struct annotate_ctx {
	const struct sg_get_history *h;
	unsigned gen;
};

static void annotate_condition(void *ctx, const char *key, struct sg_json *cond)
{
	struct annotate_ctx *ac = ctx;
	const struct hist_entry *e = hist_find(ac->h, key);

	sg_json_add_num(cond, "observedGeneration", ac->gen);
	if (e)
		sg_json_add_str(cond, "lastTransitionTime", e->time);
}

/* metadata.generation and creationTimestamp (when the gateway first had
 * the resource, as an API server sets it: one the file gives is not kept),
 * and each condition's observedGeneration and lastTransitionTime, from the
 * history. */
static void annotate(struct sg_json *o, const struct sg_get_history *h, const struct sg_res_id *id)
{
	struct annotate_ctx ac = { h, 1 };
	const struct hist_entry *e;
	struct sg_json *meta = sg_json_get(o, "metadata");
	char rkey[800];

	res_key(rkey, sizeof(rkey), id);
	if ((e = hist_find(h, rkey)))
		ac.gen = e->gen;
	if (sg_json_type(meta) == SG_JSON_OBJECT) {
		sg_json_remove(meta, "generation");
		sg_json_add_num(meta, "generation", ac.gen);
		sg_json_remove(meta, "creationTimestamp");
		if (e)
			sg_json_add_str(meta, "creationTimestamp", e->time);
	}
	each_condition(sg_json_get(o, "status"), rkey, annotate_condition, &ac);
}

/* ---- secrets ------------------------------------------------------------ */

/* What /resources never prints: the TCP admin port, read-only, serves it
 * to every user of the host, where config_dump already hides the same
 * secrets. Each value becomes "<redacted>" (a list each of its items), the
 * keys staying, so that one still sees which a Secret holds. */
#define GET_REDACTED "<redacted>"

/* An AgentgatewayPolicy's secrets given inline, by the key of the map
 * that holds them, wherever in its spec: basicAuthentication's htpasswd
 * lines, backend.auth's key, an inline JWKS (it may hold an HMAC key). */
static const struct {
	const char *parent, *key;
} inline_secrets[] = {
	{ "basicAuthentication", "users" },
	{ "auth", "key" },
	{ "jwks", "inline" },
};

static struct sg_json *redacted_like(const struct sg_json *v)
{
	struct sg_json *out;

	if (sg_json_type(v) != SG_JSON_ARRAY)
		return sg_json_string(GET_REDACTED);
	out = sg_json_array();
	for (const struct sg_json *c = sg_json_first(v); c; c = sg_json_next(c))
		sg_json_push(out, sg_json_string(GET_REDACTED));
	return out;
}

/* Member c of object o redacted, in its place. */
static void redact(struct sg_json *o, const struct sg_json *c)
{
	char *key = strdup(sg_json_key(c)); /* c, and its key, go */

	if (key)
		sg_json_set(o, key, redacted_like(c));
	else
		sg_json_remove(o, sg_json_key(c));
	free(key);
}

/* Every member of o redacted (a Secret's data, stringData). */
static void redact_all(struct sg_json *o)
{
	for (struct sg_json *c = sg_json_first(o), *next; c; c = next) {
		next = sg_json_next(c);
		redact(o, c);
	}
}

static bool inline_secret(const char *parent, const char *key)
{
	for (size_t i = 0; parent && i < sizeof(inline_secrets) / sizeof(inline_secrets[0]); i++)
		if (!strcmp(parent, inline_secrets[i].parent) &&
		    !strcmp(key, inline_secrets[i].key))
			return true;
	return false;
}

/* The inline secrets under v, whose key in its parent map is `key`
 * (NULL: an item of a list, or the root). */
static void redact_inline(struct sg_json *v, const char *key)
{
	bool map = sg_json_type(v) == SG_JSON_OBJECT;

	for (struct sg_json *c = sg_json_first(v), *next; c; c = next) {
		next = sg_json_next(c);
		if (map && inline_secret(key, sg_json_key(c)))
			redact(v, c);
		else
			redact_inline(c, map ? sg_json_key(c) : NULL);
	}
}

/* Resource o (of `kind`) as it may be printed. kubectl's copy of what was
 * applied, an annotation, holds the same secrets. */
static void redact_secrets(struct sg_json *o, const char *kind)
{
	static const char *const contents[] = { "data", "stringData", "binaryData" };
	bool secret = !strcmp(kind, "Secret");
	struct sg_json *ann;

	if (!secret && strcmp(kind, "AgentgatewayPolicy"))
		return;
	ann = sg_json_get(sg_json_get(o, "metadata"), "annotations");
	for (struct sg_json *c = sg_json_first(ann), *next; c; c = next) {
		next = sg_json_next(c);
		if (!strcmp(sg_json_key(c), "kubectl.kubernetes.io/last-applied-configuration"))
			redact(ann, c);
	}
	if (!secret) {
		redact_inline(sg_json_get(o, "spec"), "spec");
		return;
	}
	for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		struct sg_json *v = sg_json_get(o, contents[i]);

		if (sg_json_type(v) == SG_JSON_OBJECT)
			redact_all(v);
		else if (v)
			redact(o, v);
	}
}

static struct sg_json *resource(const struct sg_cfg *cfg, const struct sg_get_history *h,
				const struct sg_res_id *id)
{
	struct sg_json *o = sg_json_of_node(id->doc), *meta, *st;

	redact_secrets(o, id->kind);
	meta = sg_json_get(o, "metadata");
	if (sg_json_type(meta) == SG_JSON_OBJECT && strcmp(id->kind, "Namespace") != 0 &&
	    !sg_json_get(meta, "namespace"))
		sg_json_add_str(meta, "namespace", id->ns);
	sg_json_remove(o, "status");
	if ((st = status_of(cfg, id)))
		sg_json_add(o, "status", st);
	if (h)
		annotate(o, h, id);
	return o;
}

char *sg_get_resources(const struct sg_cfg *cfg, const struct sg_get_history *h, const char *kind,
		       const char *name, const char *ns)
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
		sg_json_push(items, resource(cfg, h, id));
	}
	out = sg_json_print(list, SG_JSON_TABS);
	sg_json_free(list);
	return out;
}
