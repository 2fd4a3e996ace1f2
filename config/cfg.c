/* The configuration model's lifetime: shared references, release, and
 * kubectl's names for the resource kinds. */
#include "config/cfg.h"
#include "config/cel.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

int sg_res_id_cmp(const struct sg_res_id *a, const struct sg_res_id *b)
{
	int c = strcmp(a->kind, b->kind);

	if (!c)
		c = strcmp(a->ns, b->ns);
	return c ? c : strcmp(a->name, b->name);
}

const char *sg_res_type(const char *kind)
{
	static const struct {
		const char *kind, *type;
	} types[] = {
		{ "Gateway", "gateway.gateway.networking.k8s.io" },
		{ "ListenerSet", "listenerset.gateway.networking.k8s.io" },
		{ "XListenerSet", "xlistenerset.gateway.networking.x-k8s.io" },
		{ "HTTPRoute", "httproute.gateway.networking.k8s.io" },
		{ "GRPCRoute", "grpcroute.gateway.networking.k8s.io" },
		{ "TCPRoute", "tcproute.gateway.networking.k8s.io" },
		{ "TLSRoute", "tlsroute.gateway.networking.k8s.io" },
		{ "AgentgatewayPolicy", "agentgatewaypolicy.agentgateway.dev" },
		{ "BackendTLSPolicy", "backendtlspolicy.gateway.networking.k8s.io" },
		{ "ConfigMap", "configmap" },
		{ "Secret", "secret" },
		{ "Service", "service" },
		{ "EndpointSlice", "endpointslice.discovery.k8s.io" },
		{ "Namespace", "namespace" },
		{ "ReferenceGrant", "referencegrant.gateway.networking.k8s.io" },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].kind, kind))
			return types[i].type;
	return kind;
}

const char *sg_proto_name(enum sg_proto proto)
{
	switch (proto) {
	case SG_PROTO_TCP:
		return "TCP";
	case SG_PROTO_TLS:
		return "TLS";
	case SG_PROTO_HTTPS:
		return "HTTPS";
	case SG_PROTO_HTTP:
		break;
	}
	return "HTTP";
}

const char *sg_route_kind_name(unsigned kind)
{
	switch (kind) {
	case SG_KIND_TCPROUTE:
		return "TCPRoute";
	case SG_KIND_TLSROUTE:
		return "TLSRoute";
	case SG_KIND_GRPCROUTE:
		return "GRPCRoute";
	}
	return "HTTPRoute";
}

struct sg_cfg *sg_cfg_ref(struct sg_cfg *cfg)
{
	cfg->refs++;
	return cfg;
}

void sg_cfg_unref(struct sg_cfg *cfg)
{
	if (cfg && --cfg->refs == 0)
		sg_cfg_free(cfg);
}

/* The compiled regexes config/regex.c left in cfg->regexes. Released here,
 * not by a call into regex.c, so that the model does not depend back on a
 * module that depends on it. */
static void free_regexes(struct sg_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nregexes; i++)
		regfree(cfg->regexes[i]);
	cfg->nregexes = 0;
}

/* What user/ built of the tree's jwtAuth, apiKey, basicAuth, oidc,
 * extAuthz cache and jwtSign policies (struct sg_cfg_rt). */
static void free_rt(struct sg_cfg_rt *rt)
{
	if (rt->p && rt->release)
		rt->release(rt->p);
	rt->p = NULL;
}

static void free_rts(struct sg_cfg *cfg)
{
	for (size_t i = 0; i < cfg->njwts; i++)
		free_rt(cfg->jwts[i]->rt);
	for (size_t i = 0; i < cfg->napikeys; i++)
		free_rt(cfg->apikeys[i]->rt);
	for (size_t i = 0; i < cfg->nbasics; i++)
		free_rt(cfg->basics[i]->rt);
	for (size_t i = 0; i < cfg->noidcs; i++)
		free_rt(cfg->oidcs[i]->rt);
	for (size_t i = 0; i < cfg->nauthz_caches; i++)
		free_rt(cfg->authz_caches[i]->rt);
	for (size_t i = 0; i < cfg->nsigners; i++)
		free_rt(cfg->signers[i]->rt);
	cfg->njwts = cfg->napikeys = cfg->nbasics = cfg->noidcs = cfg->nauthz_caches = 0;
	cfg->nsigners = 0;
}

void sg_cfg_free(struct sg_cfg *cfg)
{
	if (!cfg)
		return;
	free_regexes(cfg);
	for (size_t i = 0; i < cfg->ncels; i++)
		sg_cel_free(cfg->cels[i]);
	free_rts(cfg);
	sg_arena_free(&cfg->arena);
	free(cfg);
}
