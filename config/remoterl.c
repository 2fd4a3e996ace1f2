/* remoteRateLimit as agentgateway's standalone config writes it, and
 * AgentgatewayPolicy's traffic.rateLimit.global (the contract is
 * config/remoterl.h). */
#include "config/remoterl.h"

#include <string.h>

#include "config/duration.h"
#include "config/extauthz.h"
#include "config/node.h"

static int refused(struct sg_pctx *c, const struct sg_node *n, const char *path, const char *why)
{
	sg_diag_err(c->d, n, "%s: not supported (%s)", path, why);
	return -1;
}

static int f_target(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "give the rate limit service as host: \"addr:port\"");
}

static int f_cost(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "every request counts one hit");
}

static int f_override(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "the service's own limits apply");
}

static int f_conditional(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return refused(c, n, path, "conditional remote rate limits are not implemented");
}

static int f_host(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_remote_rl *l = dst;

	return sg_service_host(c, n, path, &l->to.host, &l->to.ep);
}

/* What a descriptor's entry is read into: key and value's text. */
struct entry_in {
	const char *key, *value;
};

/* A list of entries into descriptor d (keys: `key`, `value` of the
 * standalone form or `name`, `expression` of the CRD's). */
static int entries(struct sg_pctx *c, const struct sg_node *n, struct sg_rl_descriptor *d,
		   const struct sg_field *fields, const char *path)
{
	if (n->kind != SG_NODE_SEQ || !n->n)
		return sg_expected(c, n, path, "a list of one or more entries");
	if (n->n > SG_REMOTE_RL_MAX)
		return sg_expected(c, n, path, "at most 16 entries");
	for (size_t i = 0; i < n->n; i++) {
		const char *at = sg_path_idx(c, path, i);
		struct entry_in in = { 0 };
		struct sg_rl_entry *e;

		if (sg_parse_fields(c, n->items[i], fields, &in, at) == -1)
			return -1;
		if (!in.key[0])
			return sg_expected(c, n->items[i], at, "a key that is not empty");
		e = sg_arena_push(c->a, &d->entries, &d->n, &d->cap, sizeof(*e));
		if (!e)
			return -1;
		e->key = in.key;
		if (sg_cel_field(c, n->items[i], in.value, &e->value, at) == -1)
			return -1;
	}
	return 0;
}

static int f_entries(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "key", sg_f_str, offsetof(struct entry_in, key), true },
		{ "value", sg_f_str, offsetof(struct entry_in, value), true },
		{ 0 },
	};

	return entries(c, n, dst, fields, path);
}

static int f_entries_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "name", sg_f_str, offsetof(struct entry_in, key), true },
		{ "expression", sg_f_str, offsetof(struct entry_in, value), true },
		{ 0 },
	};

	return entries(c, n, dst, fields, path);
}

/* type (standalone) / unit (CRD): what a descriptor counts; `want`, the
 * requests spelling, only. */
static int count_type(struct sg_pctx *c, const struct sg_node *n, const char *path,
		      const char *want)
{
	if (n->kind == SG_NODE_SCALAR && !strcmp(n->str, want))
		return 0;
	if (n->kind == SG_NODE_SCALAR && (!strcmp(n->str, "tokens") || !strcmp(n->str, "Tokens")))
		return refused(c, n, path, "LLM token limits are not implemented");
	return sg_expected(c, n, path, want);
}

static int f_type(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return count_type(c, n, path, "requests");
}

static int f_unit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	(void)dst;
	return count_type(c, n, path, "Requests");
}

static int descriptors(struct sg_pctx *c, const struct sg_node *n, struct sg_remote_rl *l,
		       const struct sg_field *fields, const char *path)
{
	int ret = 0;

	if (n->kind != SG_NODE_SEQ || !n->n)
		return sg_expected(c, n, path, "a list of one or more descriptors");
	if (n->n > SG_REMOTE_RL_MAX)
		return sg_expected(c, n, path, "at most 16 descriptors");
	for (size_t i = 0; i < n->n; i++) {
		struct sg_rl_descriptor *d =
			sg_arena_push(c->a, &l->d, &l->nd, &l->capd, sizeof(*d));

		if (!d)
			return -1;
		if (sg_parse_fields(c, n->items[i], fields, d, sg_path_idx(c, path, i)) == -1)
			ret = -1; /* the next descriptor's errors are reported too */
	}
	return ret;
}

static int f_descriptors(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "entries", f_entries, 0, true },
		{ "type", f_type, 0 },
		{ "cost", f_cost, 0 },
		{ "limitOverride", f_override, 0 },
		{ 0 },
	};

	return descriptors(c, n, dst, fields, path);
}

static int f_descriptors_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst,
			     const char *path)
{
	static const struct sg_field fields[] = {
		{ "entries", f_entries_k8s, 0, true },
		{ "unit", f_unit, 0 },
		{ "cost", f_cost, 0 },
		{ "limitOverride", f_override, 0 },
		{ 0 },
	};

	return descriptors(c, n, dst, fields, path);
}

/* failureMode: failClosed | failOpen, in either case of its first letter. */
static int f_failure(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_remote_rl *l = dst;
	const char *s = n->kind == SG_NODE_SCALAR ? n->str : "";

	if (!strcmp(s, "failOpen") || !strcmp(s, "FailOpen"))
		l->fail_open = true;
	else if (!strcmp(s, "failClosed") || !strcmp(s, "FailClosed"))
		l->fail_open = false;
	else
		return sg_expected(c, n, path, "failClosed or failOpen");
	return 0;
}

static struct sg_remote_rl *new_limit(struct sg_pctx *c, const struct sg_node *n)
{
	struct sg_remote_rl *l = sg_arena_alloc(c->a, sizeof(*l));

	if (l) {
		l->at = n;
		l->timeout = SG_DUR_MS(2000);
	}
	return l;
}

int sg_f_remote_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "domain", sg_f_str, offsetof(struct sg_remote_rl, domain), true },
		{ "host", f_host, 0, true },
		{ "service", f_target, 0 },
		{ "backend", f_target, 0 },
		{ "descriptors", f_descriptors, 0, true },
		{ "failureMode", f_failure, 0 },
		{ "policies", sg_f_service_policies, offsetof(struct sg_remote_rl, timeout) },
		{ "conditional", f_conditional, 0 },
		{ 0 },
	};
	struct sg_remote_rl *l;

	if (n->kind == SG_NODE_MAP && sg_map_get(n, "conditional"))
		return f_conditional(c, sg_map_get(n, "conditional"), NULL,
				     sg_path_key(c, path, "conditional"));
	l = new_limit(c, n);
	if (!l)
		return -1;
	((struct sg_filters *)dst)->remote_rl = l;
	if (sg_parse_fields(c, n, fields, l, path) == -1)
		return -1;
	if (!l->timeout)
		return sg_expected(c, n, sg_path_key(c, path, "policies.http.requestTimeout"),
				   "a duration above zero");
	return 0;
}

/* url: "http://addr:port", no path. */
static int f_url(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_remote_rl *l = dst;

	return sg_service_url(c, n, path, &l->to.host, &l->to.ep);
}

/* backendRef: left for config/k8s.c, which has the Services. */
static int f_backend_ref(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_remote_rl *l = dst;

	if (sg_need_map(c, n, path) == -1)
		return -1;
	l->to.ref_at = n;
	return 0;
}

int sg_f_global_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		{ "domain", sg_f_str, offsetof(struct sg_remote_rl, domain), true },
		{ "url", f_url, 0 },
		{ "backendRef", f_backend_ref, 0 },
		{ "descriptors", f_descriptors_k8s, 0, true },
		{ "failureMode", f_failure, 0 },
		{ 0 },
	};
	struct sg_remote_rl *l = new_limit(c, n);

	if (!l)
		return -1;
	*(struct sg_remote_rl **)dst = l;
	if (sg_parse_fields(c, n, fields, l, path) == -1)
		return -1;
	if (!sg_map_get(n, "url") == !l->to.ref_at) {
		sg_diag_err(c->d, n, "%s: give exactly one of url and backendRef", path);
		return -1;
	}
	return 0;
}
