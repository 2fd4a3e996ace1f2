/* config_dump's pieces that more than one of its files prints (the
 * contract is dumppolicy.h). */
#include "admin/dumppolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/auth.h"
#include "config/backendauth.h"
#include "config/cel.h"
#include "config/duration.h"

struct sg_json *sg_dump_dur(sg_dur d)
{
	char buf[SG_DUR_STRLEN];

	if (d == SG_DUR_UNSET)
		return sg_json_null();
	return sg_json_string(sg_dur_format(d, buf));
}

struct sg_json *sg_dump_strs(const struct sg_strs *s)
{
	struct sg_json *arr = sg_json_array();

	for (size_t i = 0; i < s->n; i++)
		sg_json_push(arr, sg_json_string(s->v[i]));
	return arr;
}

/* agentgateway's location: {"header": {"name", "prefix"}} (no prefix: left
 * out), {"queryParameter": {"name"}}, {"cookie": {"name"}}. */
struct sg_json *sg_dump_location(const struct sg_cred_location *l)
{
	static const char *const kinds[] = { [SG_CRED_HEADER] = "header",
					     [SG_CRED_QUERY] = "queryParameter",
					     [SG_CRED_COOKIE] = "cookie" };
	struct sg_json *o = sg_json_object(), *in = sg_json_add_object(o, kinds[l->where]);

	sg_json_add_str(in, "name", l->name);
	if (l->prefix)
		sg_json_add_str(in, "prefix", l->prefix);
	return o;
}

/* A policy service's target as agentgateway prints a
 * SimpleBackendReference: {"service": {"name": "ns/hostname", "port": p}}
 * for a Service, {"host": "addr:port"} else; nothing for a Service that
 * did not resolve (agentgateway's controller leaves the target out). */
void sg_dump_service_target(struct sg_json *o, const struct sg_policy_service *to)
{
	char name[2 * SG_ENDPOINT_TEXT_SIZE];
	struct sg_json *svc;

	if (!to->ref_at) {
		sg_json_add_str(o, "host", to->host);
		return;
	}
	if (!to->svc)
		return;
	snprintf(name, sizeof(name), "%s/%s", to->svc->ns, to->svc->hostname);
	svc = sg_json_add_object(o, "service");
	sg_json_add_str(svc, "name", name);
	sg_json_add_num(svc, "port", to->svc_port);
}

/* agentgateway's BackendTLSInfo: PEM as text, flags only when true,
 * systemRoots when no root is given. */
struct sg_json *sg_dump_backend_tls(const struct sg_backend_tls *t)
{
	struct sg_json *o = sg_json_object();

	if (t->cert_pem)
		sg_json_add(o, "cert", sg_json_string(t->cert_pem));
	if (t->invalid)
		sg_json_add_str(o, "root", "invalid"); /* agentgateway's controller sentinel */
	else if (t->root_pem)
		sg_json_add(o, "root", sg_json_string(t->root_pem));
	if (t->hostname)
		sg_json_add_str(o, "hostname", t->hostname);
	if (t->insecure)
		sg_json_add_bool(o, "insecure", true);
	if (t->insecure_host)
		sg_json_add_bool(o, "insecureHost", true);
	if (!t->root_pem && !t->invalid)
		sg_json_add_bool(o, "systemRoots", true);
	if (t->has_alpn)
		sg_json_add(o, "alpn", sg_dump_strs(&t->alpn));
	if (t->sans.n)
		sg_json_add(o, "subjectAltNames", sg_dump_strs(&t->sans));
	return o;
}

/* jwtSign as agentgateway prints it (never the key): alg, kid when
 * given, the claims, ttl when given; o returned, for its location. */
static struct sg_json *jwt_sign(struct sg_json *o, const struct sg_jwt_sign *j)
{
	char *text = malloc(strlen(j->claims) + 3);
	struct sg_json *claims = NULL;

	sg_json_add_str(o, "alg", sg_jws_alg_name(j->alg));
	if (j->kid)
		sg_json_add_str(o, "kid", j->kid);
	if (text) {
		sprintf(text, "{%s}", j->claims);
		claims = sg_json_parse(text);
		free(text);
	}
	sg_json_add(o, "claims", claims ? claims : sg_json_object());
	if (j->ttl != SG_DUR_UNSET)
		sg_json_add(o, "ttl", sg_dump_dur(j->ttl));
	return o;
}

/* oauthTokenExchange as agentgateway prints its OAuthTokenExchangeAuth:
 * the endpoint, the grant's fields (lists and unset ones left out), the
 * client secret redacted; its cache is not printed (agentgateway skips
 * it). */
static struct sg_json *token_exchange(struct sg_json *o, const struct sg_token_exchange *t)
{
	struct sg_json *s, *ca, *ps;

	sg_dump_service_target(o, &t->to);
	if (t->timeout != SG_DUR_S(10))
		sg_json_add(sg_json_add_object(sg_json_add_object(o, "policies"), "http"),
			    "requestTimeout", sg_dump_dur(t->timeout));
	if (*t->path)
		sg_json_add_str(o, "path", t->path);
	sg_json_add_str(o, "grantType",
			t->grant == SG_TOKENX_JWT_BEARER ? "jwtBearer" : "tokenExchange");
	s = sg_json_add_object(o, "subjectToken");
	sg_json_add(s, "source", sg_dump_location(&t->subject));
	sg_json_add_str(s, "tokenType", t->subject_type);
	if (t->actor) {
		s = sg_json_add_object(o, "actorToken");
		sg_json_add(s, "source", sg_dump_location(&t->actor_at));
		sg_json_add_str(s, "tokenType", t->actor_type);
		sg_json_add_bool(s, "enforceMayAct", false);
	}
	if (t->audiences.n)
		sg_json_add(o, "audiences", sg_dump_strs(&t->audiences));
	if (t->scopes.n)
		sg_json_add(o, "scopes", sg_dump_strs(&t->scopes));
	if (t->resources.n)
		sg_json_add(o, "resources", sg_dump_strs(&t->resources));
	if (t->requested_type)
		sg_json_add_str(o, "requestedTokenType", t->requested_type);
	if (t->client != SG_TOKENX_CLIENT_NONE) {
		ca = sg_json_add_object(o, "clientAuth");
		sg_json_add_str(ca, "clientId", t->client_id);
		sg_json_add_str(ca, "method",
				t->client == SG_TOKENX_CLIENT_BASIC ? "clientSecretBasic"
								    : "clientSecretPost");
		if (t->client_secret)
			sg_json_add_str(ca, "clientSecret", "<redacted>");
	}
	if (t->params.n) {
		ps = sg_json_add_object(o, "additionalParams");
		for (size_t i = 0; i < t->params.n; i++)
			sg_json_add_str(ps, t->params.v[i].name,
					sg_cel_source(t->params.v[i].expr));
	}
	sg_json_add(o, "authorizationLocation", sg_dump_location(&t->out));
	return NULL; /* its locations are its own: no location after it */
}

/* backendAuth as agentgateway prints it: the kind, then the further
 * credentials, the secrets redacted, a location only where one was given. */
struct sg_json *sg_dump_backend_auth(const struct sg_backend_auth *b)
{
	struct sg_json *o = sg_json_object(), *k = NULL, *cs;

	if (b->kind == SG_BACKEND_AUTH_PASSTHROUGH)
		k = sg_json_add_object(o, "passthrough");
	if (b->kind == SG_BACKEND_AUTH_KEY) {
		k = sg_json_add_object(o, "key");
		sg_json_add_str(k, "value", "<redacted>");
	}
	if (b->kind == SG_BACKEND_AUTH_JWT_SIGN)
		k = jwt_sign(sg_json_add_object(o, "jwtSign"), b->sign);
	if (b->kind == SG_BACKEND_AUTH_TOKEN_EXCHANGE)
		k = token_exchange(sg_json_add_object(o, "oauthTokenExchange"), b->exchange);
	if (k && b->main.explicit_location)
		sg_json_add(k, "location", sg_dump_location(&b->main.location));
	if (!b->ncreds)
		return o;
	cs = sg_json_add_array(o, "credentials");
	for (size_t i = 0; i < b->ncreds; i++) {
		struct sg_json *c = sg_json_object();

		sg_json_add(c, "location", sg_dump_location(&b->creds[i].location));
		sg_json_add_str(c, "key", "<redacted>");
		sg_json_push(cs, c);
	}
	return o;
}
