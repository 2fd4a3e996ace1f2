/* config_dump's `mcp` backend: each target as its local.rs form reads it
 * (stdio {cmd, args, env, clearEnv}, mcp and sse {host, port, path} or
 * {host: an https URI}) and its policies (backendTLS, backendAuth), then
 * the backend's modes. */
#include "admin/mcpdump.h"

#include <string.h>

#include "admin/dumppolicy.h"

static struct sg_json *stdio(const struct sg_mcp_target *t)
{
	struct sg_json *o = sg_json_object(), *env;

	sg_json_add_str(o, "cmd", t->cmd);
	if (t->args.n)
		sg_json_add(o, "args", sg_dump_strs(&t->args));
	if (t->env.n) {
		env = sg_json_add_object(o, "env");
		for (size_t i = 0; i < t->env.n; i++) {
			const char *eq = strchr(t->env.v[i], '=');
			char name[256];
			size_t n = (size_t)(eq - t->env.v[i]);

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, t->env.v[i], n);
			name[n] = '\0';
			sg_json_add_str(env, name, eq + 1);
		}
	}
	if (t->clear_env)
		sg_json_add_bool(o, "clearEnv", true);
	return o;
}

/* host, port and path (McpBackendHost's parts, plain HTTP); an https
 * target as the URI written (its HostUri form: the parts have no TLS).
 * An openapi target's document is not shown, as agentgateway skips it. */
static struct sg_json *http(const struct sg_mcp_target *t)
{
	struct sg_json *o = sg_json_object();

	if (t->tls) {
		sg_json_add_str(o, "host", t->host);
		return o;
	}
	sg_json_add_str(o, "host", t->addr);
	sg_json_add_num(o, "port", t->port);
	if (t->kind != SG_MCP_OPENAPI) /* its path is unused */
		sg_json_add_str(o, "path", t->path);
	return o;
}

struct sg_json *sg_dump_mcp(const struct sg_mcp_backend *m)
{
	struct sg_json *o = sg_json_object(), *ts = sg_json_add_array(o, "targets");

	for (size_t i = 0; i < m->n; i++) {
		const struct sg_mcp_target *t = &m->targets[i];
		struct sg_json *to = sg_json_object();

		sg_json_add_str(to, "name", t->name);
		sg_json_add(to,
			    t->kind == SG_MCP_STDIO	? "stdio"
			    : t->kind == SG_MCP_SSE	? "sse"
			    : t->kind == SG_MCP_OPENAPI ? "openapi"
							: "mcp",
			    t->kind == SG_MCP_STDIO ? stdio(t) : http(t));
		if (t->backend_tls || t->backend_auth) {
			struct sg_json *p = sg_json_add_object(to, "policies");

			if (t->backend_tls)
				sg_json_add(p, "backendTLS", sg_dump_backend_tls(t->backend_tls));
			if (t->backend_auth)
				sg_json_add(p, "backendAuth",
					    sg_dump_backend_auth(t->backend_auth));
		}
		sg_json_push(ts, to);
	}
	sg_json_add_str(o, "statefulMode", m->stateless ? "stateless" : "stateful");
	if (m->prefix_set)
		sg_json_add_str(o, "prefixMode", m->prefix_always ? "always" : "conditional");
	if (m->fail_set)
		sg_json_add_str(o, "failureMode", m->fail_open ? "failOpen" : "failClosed");
	if (m->dns_rebinding)
		sg_json_add_bool(o, "dnsRebindingProtection", true);
	return o;
}
