/* An MCP target's `policies` (backendTLS, backendAuth) made ready for the
 * gateway's HTTP client (user/core/jwksfetch.h): copied out of the config,
 * which a reload frees while sessions live on, and shared, read-only, by
 * the target's exchanges on their threads. */
#ifndef SG_MCP_MCPPOLICY_H
#define SG_MCP_MCPPOLICY_H

#include "config/cfg.h"

struct sg_mcp_policy;

/* t's policies copied: 0 with *out (one reference, the caller's; NULL
 * when t has none), or -ENOMEM. The credentials become header lines
 * (a header location: "name: prefix value"; cookies: one Cookie line)
 * and a query (form-encoded) added to every URL. */
int sg_mcp_policy_new(const struct sg_mcp_target *t, struct sg_mcp_policy **out);

/* One more reference / the caller's dropped (the last frees p). Any
 * thread. NULL is fine. */
void sg_mcp_policy_ref(struct sg_mcp_policy *p);
void sg_mcp_policy_unref(struct sg_mcp_policy *p);

/* p's backendTLS (valid while the caller holds its reference), NULL:
 * none (p NULL too). */
const struct sg_backend_tls *sg_mcp_policy_tls(const struct sg_mcp_policy *p);

/* p's credentials as header lines ("Name: value\r\n" each), "" when none
 * (p NULL too). Valid while the caller holds its reference. */
const char *sg_mcp_policy_headers(const struct sg_mcp_policy *p);

/* url with p's query credentials added (after its own query, if any):
 * malloc'd, NULL when out of memory. p NULL: a copy of url. */
char *sg_mcp_policy_url(const struct sg_mcp_policy *p, const char *url);

#endif
