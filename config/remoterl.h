/* agentgateway's remoteRateLimit route policy (its RemoteRateLimit,
 * schema/config.json) and AgentgatewayPolicy traffic.rateLimit.global
 * parsed into struct sg_remote_rl; what user/core/rlcall.c asks the rate
 * limit service with. */
#ifndef SG_REMOTERL_H
#define SG_REMOTERL_H

#include "config/cfg.h"
#include "config/fields.h"

/* The most descriptors one policy sends, and entries one descriptor has
 * (the AgentgatewayPolicy CRD's bounds, for both dialects). */
#define SG_REMOTE_RL_MAX 16

/* remoteRateLimit into ((struct sg_filters *)dst)->remote_rl: {domain,
 * host: "addr:port", descriptors: [{entries: [{key, value: CEL}], type:
 * requests}], failureMode: failClosed | failOpen (or FailClosed |
 * FailOpen), policies: {http: {requestTimeout}}}. service and backend
 * targets, type tokens, cost, limitOverride and the conditional form are
 * refused by name. */
int sg_f_remote_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* AgentgatewayPolicy traffic.rateLimit.global into *(struct sg_remote_rl
 * **)dst: {backendRef | url, domain, failureMode: FailOpen |
 * FailClosed, descriptors: [{entries: [{name, expression}], unit:
 * Requests}]}: exactly one of url "http://addr:port" and backendRef (a
 * Service, left in to.ref_at for config/k8s.c to resolve); unit Tokens,
 * cost and limitOverride are refused by name. */
int sg_f_global_rate_limit(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
