/* agentgateway's oidc policy (LocalOidcConfig) in the configuration: the
 * browser login's provider, client and callback, checked as agentgateway
 * checks them when it compiles the policy. Discovery and the cookie key
 * are user/'s, when the config goes in force (user/core/oidcflow.h). */
#ifndef SG_OIDCCONF_H
#define SG_OIDCCONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* oidc into ((struct sg_filters *)dst)->oidc: {issuer, discovery,
 * authorizationEndpoint, tokenEndpoint, tokenEndpointAuth, jwks, clientId,
 * clientSecret, redirectURI, scopes}. The three explicit provider keys go
 * together or not at all (then discovery finds them), tokenEndpointAuth
 * only with them; redirectURI is an absolute http or https URL with an
 * explicit path and no userinfo, query or fragment. */
int sg_f_oidc(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
