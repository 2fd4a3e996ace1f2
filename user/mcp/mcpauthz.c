/* mcpAuthorization on a worker (the contract is mcpauthz.h): each
 * decision is one evaluation of the rule sets over the request's CEL
 * context with `mcp` set to what is touched. */
#include "user/mcp/mcpauthz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/authz.h"
#include "user/core/celreq.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/merge.h"

/* What a rule decides on, as agentgateway's ResourceType names it: the
 * method that lists them (and its result's member), CEL's mcp.<what>,
 * and the member that names one (a request's params', a list entry's).
 * The requests that use one are `uses` below. */
static const struct kind {
	const char *list, *key, *what, *id;
} kinds[] = {
	{ "tools/list", "tools", "tool", "name" },
	{ "prompts/list", "prompts", "prompt", "name" },
	{ "resources/list", "resources", "resource", "uri" },
	/* a template is a resource to the rules, named by its uriTemplate
	 * (agentgateway's merge_resource_templates) */
	{ "resources/templates/list", "resourceTemplates", "resource", "uriTemplate" },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define KIND_PROMPT 1
#define KIND_RESOURCE 2
#define KIND_TEMPLATE 3

/* The requests that use one tool, prompt or resource, as agentgateway
 * authorizes them: its name (uri) is a member of their params, or of
 * params.ref when that ref is of type `ref` (completion/complete of a
 * prompt's or a resource template's argument). */
static const struct use {
	const char *method;
	size_t kind; /* in kinds[] */
	const char *ref;
} uses[] = {
	{ "tools/call", 0, NULL },
	{ "prompts/get", KIND_PROMPT, NULL },
	{ "resources/read", KIND_RESOURCE, NULL },
	{ "resources/subscribe", KIND_RESOURCE, NULL },
	{ "resources/unsubscribe", KIND_RESOURCE, NULL },
	{ "completion/complete", KIND_PROMPT, "ref/prompt" },
	{ "completion/complete", KIND_RESOURCE, "ref/resource" },
};

/* Targets a prefix is looked for among (a backend has a handful). */
#define MCP_AUTHZ_TARGETS 64

/* The rule sets over r: its route's, then its mcp backend's. */
static size_t sets(const struct sg_request *r, const struct sg_authz *out[2])
{
	const struct sg_route *route = r->at.route;
	size_t n = 0;

	if (route->eff_filters.mcp_authz)
		out[n++] = route->eff_filters.mcp_authz;
	if (route->backends.n && route->backends.v[0].filters.mcp_authz)
		out[n++] = route->backends.v[0].filters.mcp_authz;
	return n;
}

bool sg_mcp_authz_on(const struct sg_request *r)
{
	const struct sg_authz *a[2];

	return sets(r, a) > 0;
}

static const struct sg_mcp_backend *backend(const struct sg_request *r)
{
	return r->at.route->backends.v[0].mcp;
}

const char *sg_mcp_target_of(const struct sg_mcp_backend *m, const char *name, const char **rest)
{
	const char *names[MCP_AUTHZ_TARGETS];
	size_t n = m->n < MCP_AUTHZ_TARGETS ? m->n : MCP_AUTHZ_TARGETS;
	int i;

	*rest = name;
	if (!n)
		return NULL;
	if (!sg_mcp_prefixed(m))
		return m->targets[0].name;
	for (size_t k = 0; k < n; k++)
		names[k] = m->targets[k].name;
	i = sg_mcp_unprefix(names, n, name, rest);
	if (i < 0) {
		*rest = name;
		return NULL;
	}
	return names[i];
}

/* Whether the rules a[0..n) let r touch the `what` named `name` of
 * `target`. */
static bool allowed(struct sg_request *r, const struct sg_authz *const *a, size_t n,
		    const char *what, const char *target, const char *name)
{
	struct sg_celreq_mcp m = { what, target, name };
	struct sg_filter_input in;
	struct sg_celreq_view v;
	struct sg_celreq c;
	bool ok;

	sg_request_input(r, &in);
	sg_celreq_view_of(&v, &in, NULL);
	v.mcp = &m;
	sg_celreq_begin(&c, &v);
	ok = sg_authz_allows(a, n, &c.run);
	sg_celreq_end(&c);
	return ok;
}

/* A refused call's answer: as if `name` did not exist (agentgateway hides
 * what is there: "Unknown tool: NAME", invalid params). */
static char *unknown(const struct sg_json *id, const char *what, const char *name)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "Unknown %s: %.256s", what, name);
	return sg_jsonrpc_error_text(id, SG_JSONRPC_INVALID_PARAMS, msg);
}

bool sg_mcp_touches(const struct sg_mcp_backend *m, const struct sg_jsonrpc *msg,
		    struct sg_celreq_mcp *out, const char **written)
{
	const char *name, *target, *rest;

	for (size_t u = 0; msg->kind == SG_JSONRPC_REQUEST && u < sizeof(uses) / sizeof(uses[0]);
	     u++) {
		const struct sg_json *in = msg->params;
		size_t k = uses[u].kind;

		if (strcmp(msg->method, uses[u].method))
			continue;
		if (uses[u].ref) {
			const char *type;

			in = sg_json_get(in, "ref");
			if (!(type = sg_json_str(sg_json_get(in, "type"))) ||
			    strcmp(type, uses[u].ref))
				continue;
		}
		if (!(name = sg_json_str(sg_json_get(in, kinds[k].id))))
			return false; /* the hub or the target refuses it */
		/* A resource's URI has no prefix: the hub asks every target,
		 * so its target is known only when there is one. */
		if (k == KIND_RESOURCE) {
			rest = name;
			target = m->n == 1 ? m->targets[0].name : "";
		} else if (!(target = sg_mcp_target_of(m, name, &rest))) {
			return false; /* no such target: the hub says so */
		}
		out->kind = kinds[k].what;
		out->target = target;
		out->name = rest;
		*written = name;
		return true;
	}
	return false;
}

char *sg_mcp_authz_request(struct sg_request *r, const char *body, size_t len,
			   struct sg_mcp_authz_ask *ask)
{
	const struct sg_authz *a[2];
	size_t n = sets(r, a);
	struct sg_celreq_mcp t = { 0 };
	struct sg_jsonrpc msg;
	const char *why, *name;
	char *err = NULL;

	ask->list = 0;
	if (!n || !body)
		return NULL;
	/* What does not parse, or is no request, is the hub's to answer. */
	if (sg_jsonrpc_parse(body, len, &msg, &why)) {
		sg_jsonrpc_free(&msg);
		return NULL;
	}
	for (size_t k = 0; msg.kind == SG_JSONRPC_REQUEST && k < NKINDS; k++)
		if (!strcmp(msg.method, kinds[k].list))
			ask->list = (int)k + 1;
	if (!ask->list && sg_mcp_touches(backend(r), &msg, &t, &name) &&
	    !allowed(r, a, n, t.kind, t.target, t.name) && !(err = unknown(msg.id, t.kind, name)))
		err = sg_jsonrpc_error_text(msg.id, SG_JSONRPC_INTERNAL_ERROR, "out of memory");
	sg_jsonrpc_free(&msg);
	return err;
}

/* Appends s to the growing *text (*len bytes, *cap room); false when out
 * of memory. */
static bool append(char **text, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t want = *cap ? *cap * 2 : 1024;
		char *p;

		while (want < *len + n + 1)
			want *= 2;
		if (!(p = realloc(*text, want)))
			return false;
		*text = p;
		*cap = want;
	}
	memcpy(*text + *len, s, n + 1);
	*len += n;
	return true;
}

/* One member of a result object, `"key":`, the key as JSON writes it. */
static bool append_key(char **text, size_t *len, size_t *cap, const char *key)
{
	struct sg_json *k = sg_json_string(key);
	char *quoted = k ? sg_json_print(k, SG_JSON_COMPACT) : NULL;
	bool ok = quoted && append(text, len, cap, quoted) && append(text, len, cap, ":");

	free(quoted);
	sg_json_free(k);
	return ok;
}

/* The entries of `list` (m's) that `see` lets the client see, appended
 * as a JSON array; false when out of memory. *dropped: how many went. */
static bool kept_list(char **text, size_t *len, size_t *cap, const struct sg_mcp_backend *m,
		      const struct kind *k, const struct sg_json *list, sg_mcp_authz_see_fn see,
		      void *arg, size_t *dropped)
{
	bool first = true, ok = append(text, len, cap, "[");
	char *item;

	for (const struct sg_json *e = sg_json_first(list); ok && e; e = sg_json_next(e)) {
		const char *label = sg_json_str(sg_json_get(e, "name"));
		const char *id = sg_json_str(sg_json_get(e, k->id)), *rest = "";
		const char *target = sg_mcp_target_of(m, label ? label : "", &rest);

		if (k == &kinds[KIND_RESOURCE] || k == &kinds[KIND_TEMPLATE])
			rest = id;
		if (!target || !rest ||
		    !see(arg, &(struct sg_celreq_mcp){ k->what, target, rest })) {
			(*dropped)++;
			continue;
		}
		if (!(item = sg_json_print(e, SG_JSON_COMPACT)))
			return false;
		ok = (first || append(text, len, cap, ",")) && append(text, len, cap, item);
		first = false;
		free(item);
	}
	return ok && append(text, len, cap, "]");
}

/* The result object `result` again, its `k->key` list holding only what
 * `see` lets the client see, every other member (nextCursor, _meta) as it
 * came; NULL when out of memory. *dropped: how many entries went. */
static char *kept(const struct sg_mcp_backend *m, const struct kind *k,
		  const struct sg_json *result, sg_mcp_authz_see_fn see, void *arg, size_t *dropped)
{
	size_t len = 0, cap = 0;
	char *text = NULL, *value;
	bool first = true, ok = append(&text, &len, &cap, "{");

	*dropped = 0;
	for (const struct sg_json *v = sg_json_first(result); ok && v; v = sg_json_next(v)) {
		const char *key = sg_json_key(v);

		ok = (first || append(&text, &len, &cap, ",")) &&
		     append_key(&text, &len, &cap, key);
		first = false;
		if (ok && !strcmp(key, k->key)) {
			ok = kept_list(&text, &len, &cap, m, k, v, see, arg, dropped);
		} else if (ok) {
			ok = (value = sg_json_print(v, SG_JSON_COMPACT)) &&
			     append(&text, &len, &cap, value);
			free(value);
		}
	}
	if (ok && append(&text, &len, &cap, "}"))
		return text;
	free(text);
	return NULL;
}

char *sg_mcp_authz_filter(const struct sg_mcp_backend *m, const char *method, char *body,
			  sg_mcp_authz_see_fn see, void *arg)
{
	const struct kind *k = NULL;
	struct sg_json *root;
	const struct sg_json *list;
	char *result, *out;
	size_t dropped;

	for (size_t i = 0; i < NKINDS && method; i++)
		if (!strcmp(method, kinds[i].list))
			k = &kinds[i];
	if (!body || !k)
		return body;
	if (!(root = sg_json_parse_exact(body))) /* its id goes back as it is */
		return body;
	list = sg_json_get(sg_json_get(root, "result"), k->key);
	if (sg_json_type(list) != SG_JSON_ARRAY) {
		sg_json_free(root); /* an error, not a list: as it is */
		return body;
	}
	result = kept(m, k, sg_json_get(root, "result"), see, arg, &dropped);
	if (result && !dropped) {
		free(result);
		sg_json_free(root);
		return body; /* nothing went: as it is */
	}
	/* Never the whole list for want of memory: an error, or nothing. */
	out = result ? sg_jsonrpc_result_text(sg_json_get(root, "id"), result)
		     : sg_jsonrpc_error_text(sg_json_get(root, "id"), SG_JSONRPC_INTERNAL_ERROR,
					     "out of memory");
	free(result);
	sg_json_free(root);
	free(body);
	return out;
}

/* The rules over a request, as sg_mcp_authz_filter asks them. */
struct rules {
	struct sg_request *r;
	const struct sg_authz *a[2];
	size_t n;
};

static bool rules_see(void *arg, const struct sg_celreq_mcp *t)
{
	struct rules *u = arg;

	return allowed(u->r, u->a, u->n, t->kind, t->target, t->name);
}

char *sg_mcp_authz_reply(struct sg_request *r, const struct sg_mcp_authz_ask *ask, char *body)
{
	struct rules u = { .r = r };

	if (!body || !ask->list)
		return body;
	u.n = sets(r, u.a);
	return sg_mcp_authz_filter(backend(r), kinds[ask->list - 1].list, body, rules_see, &u);
}
