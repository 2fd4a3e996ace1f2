/* Precedence, most specific wins and takes the whole object:
 *   Gateway < Gateway listener < HTTPRoute < HTTPRoute rule < route inline.
 * A backend's own http.requestTimeout overrides the route's per-try
 * timeout; its tcp settings override config.backend. Frontend policies
 * attach per Gateway, or per listener with sectionName. */
#include "config/resolve.h"

#include <errno.h>
#include <string.h>

#include "config/accesslog.h"
#include "config/cel.h"
#include "config/targeted.h"
#include "config/transform.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Whether target t is backend br by agentgateway's name for it (local
 * backends' namespace is ""; none has a section). */
static bool names_backend(const struct sg_target *t, const struct sg_backend_ref *br)
{
	return t->kind == SG_TARGET_BACKEND && !t->section && br->name &&
	       streq(t->name, br->name) && t->ns && !*t->ns;
}

/* How specifically `p` targets listener `l` and route `r` (r may be NULL):
 * 0 = not at all, higher = more specific. A listener is its Gateway's
 * own or a ListenerSet's, so a Gateway's sectionName and a ListenerSet
 * never meet (agentgateway: Gateway < ListenerSet < its listener,
 * Gateway < Gateway listener). */
static int route_rank(const struct sg_policy *p, const struct sg_listener *l,
		      const struct sg_route *r)
{
	const struct sg_target *t = &p->target;

	switch (t->kind) {
	case SG_TARGET_GATEWAY:
		if (!streq(t->ns, l->gw_ns) || !streq(t->name, l->gw_name))
			return 0;
		if (t->port && t->port != l->port) /* a standalone listener's own */
			return 0;
		if (!t->section)
			return 1;
		/* A Gateway's sectionName names its own listeners, not its
		 * ListenerSets'. */
		return !l->ls_kind && streq(t->section, l->name) ? 3 : 0;
	case SG_TARGET_LISTENERSET:
		/* Kind ListenerSet only, as agentgateway's targetRefs. */
		if (!streq(l->ls_kind, "ListenerSet") || !streq(t->ns, l->ls_ns) ||
		    !streq(t->name, l->ls_name))
			return 0;
		if (!t->section)
			return 2;
		return streq(t->section, l->name) ? 3 : 0;
	case SG_TARGET_ROUTE:
		if (!r)
			return 0;
		/* No kind: a route of the standalone file, by its own name
		 * (agentgateway's RouteName without kind or rule). */
		if (!t->route_kind &&
		    (r->hr_name || !streq(t->ns, r->ns) || !streq(t->name, r->name)))
			return 0;
		if (t->route_kind && (r->hr_kind != t->route_kind || !streq(t->ns, r->hr_ns) ||
				      !streq(t->name, r->hr_name)))
			return 0;
		if (!t->section)
			return 4;
		return streq(t->section, r->rule_name) ? 5 : 0;
	default:
		return 0;
	}
}

/* Ties go to the policy listed first, so the result is deterministic.
 * gw: of the gateway phase's policies only, else of the others. */
static const struct sg_policy *best_rank(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					 const struct sg_listener *l, const struct sg_route *r,
					 bool gw, int *rank_out)
{
	const struct sg_policy *win = NULL;
	int win_rank = 0;

	for (size_t i = 0; i < cfg->npolicies; i++) {
		const struct sg_policy *p = &cfg->policies[i];
		int rank;

		if (p->kind != kind || p->gateway_phase != gw)
			continue;
		rank = route_rank(p, l, r);
		if (rank > win_rank) {
			win = p;
			win_rank = rank;
		}
	}
	if (rank_out)
		*rank_out = win_rank;
	return win;
}

static const struct sg_policy *best(const struct sg_cfg *cfg, enum sg_pol_kind kind,
				    const struct sg_listener *l, const struct sg_route *r, bool gw)
{
	return best_rank(cfg, kind, l, r, gw, NULL);
}

const struct sg_policy *sg_policy_for_route(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					    const struct sg_listener *l, const struct sg_route *r)
{
	return best(cfg, kind, l, r, false);
}

const struct sg_policy *sg_policy_for_listener(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					       const struct sg_listener *l)
{
	return best(cfg, kind, l, NULL, false);
}

/* A policy aimed at br by agentgateway's name for it (the first listed). */
static const struct sg_policy *for_named(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					 const struct sg_backend_ref *br)
{
	for (size_t i = 0; br->name && i < cfg->npolicies; i++) {
		const struct sg_policy *p = &cfg->policies[i];

		if (p->kind == kind && names_backend(&p->target, br))
			return p;
	}
	return NULL;
}

const struct sg_policy *sg_policy_for_backend(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					      const struct sg_backend_ref *br)
{
	const struct sg_policy *win = NULL;

	if (br->kind != SG_BREF_SERVICE)
		return for_named(cfg, kind, br);
	for (size_t i = 0; i < cfg->npolicies; i++) {
		const struct sg_policy *p = &cfg->policies[i];
		const struct sg_target *t = &p->target;

		if (p->kind != kind || t->kind != SG_TARGET_SERVICE || !streq(t->ns, br->svc->ns) ||
		    !streq(t->name, br->svc->name))
			continue;
		if (t->port && t->port != br->port)
			continue;
		if (t->section && !t->port)
			continue; /* a port name the Service does not have */
		/* A port-specific policy beats one for the whole Service. */
		if (!win || (t->port && !win->target.port))
			win = p;
	}
	return win;
}

/* A backend policy of kind `kind` for br, a backend of route r (NULL: a TCP
 * route's) on listener l: agentgateway's order, route rule > route >
 * service > listener > gateway (standalone policies: aim backend
 * policies at gateways and routes too). */
static const struct sg_policy *backend_policy(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					      const struct sg_backend_ref *br,
					      const struct sg_listener *l, const struct sg_route *r)
{
	int rank = 0;
	const struct sg_policy *above = l ? best_rank(cfg, kind, l, r, false, &rank) : NULL;
	const struct sg_policy *svc = sg_policy_for_backend(cfg, kind, br);

	if (above && rank >= 4) /* a route's or its rule's */
		return above;
	/* then the routes that delegated to it, the nearest first */
	for (const struct sg_route *p = r ? r->parent : NULL; l && p; p = p->parent) {
		const struct sg_policy *up = best_rank(cfg, kind, l, p, false, &rank);

		if (up && rank >= 4)
			return up;
	}
	return svc ? svc : above;
}

/* Made once here so that no request formats it (sg_attempt_default_host). */
static void resolve_authority(struct sg_cfg *cfg, struct sg_backend_ref *br)
{
	br->eff_authority = NULL;
	if (br->kind == SG_BREF_HOST)
		br->eff_authority = br->host;
	else if (br->kind == SG_BREF_SERVICE && br->svc && br->svc->hostname)
		br->eff_authority =
			sg_arena_printf(&cfg->arena, "%s:%u", br->svc->hostname, br->port);
}

/* A BackendTLSPolicy's TLS as the connections of a listener whose
 * Gateway has spec.tls.backend.clientCertificateRef make it: presenting
 * that certificate (or failing with why it is unusable), as
 * agentgateway's controller adds it to the policies of that Gateway. */
static const struct sg_backend_tls *with_client(struct sg_cfg *cfg, const struct sg_policy *p,
						const struct sg_backend_tls *client)
{
	struct sg_backend_tls *t;

	if (!client || !streq(p->src_kind, "BackendTLSPolicy"))
		return p->u.btls;
	if (!(t = sg_arena_alloc(&cfg->arena, sizeof(*t))))
		return p->u.btls; /* out of memory: the build fails on its own */
	*t = *p->u.btls;
	t->cert_pem = client->cert_pem;
	t->cert_len = client->cert_len;
	t->key_pem = client->key_pem;
	t->key_len = client->key_len;
	if (!t->invalid)
		t->invalid = client->invalid;
	return t;
}

/* br's filters, and for each kind of the backend phase they lack
 * (agentgateway's backend requestHeaderModifier, responseHeaderModifier,
 * requestRedirect, requestMirror) a standalone policy's aimed at br (by
 * name, or its service). The backend's own first, as agentgateway's
 * backend policies merge. */
static void resolve_backend_filters(struct sg_cfg *cfg, struct sg_backend_ref *br)
{
	const struct sg_policy *req = NULL, *resp = NULL, *redir = NULL, *mir = NULL;
	struct sg_filters *f;

	br->eff_filters = &br->filters;
	if (!br->filters.request_headers)
		req = sg_policy_for_backend(cfg, SG_POL_REQUEST_HEADERS, br);
	if (!br->filters.response_headers)
		resp = sg_policy_for_backend(cfg, SG_POL_RESPONSE_HEADERS, br);
	if (!br->filters.redirect)
		redir = sg_policy_for_backend(cfg, SG_POL_REDIRECT, br);
	if (!br->filters.mirrors.n)
		mir = sg_policy_for_backend(cfg, SG_POL_MIRROR, br);
	if ((!req && !resp && !redir && !mir) || !(f = sg_arena_alloc(&cfg->arena, sizeof(*f))))
		return; /* out of memory: the build fails on the arena's error */
	*f = br->filters;
	if (req)
		f->request_headers = req->u.hdrmod;
	if (resp)
		f->response_headers = resp->u.hdrmod;
	if (redir)
		f->redirect = redir->u.redirect;
	if (mir)
		f->mirrors = *mir->u.mirrors;
	br->eff_filters = f;
}

/* grpc: a GRPCRoute's backend, spoken to in HTTP/2 whatever its Service
 * port's appProtocol says (gRPC is HTTP/2: h2c in clear text, ALPN h2
 * over TLS); an explicit http.version still wins. client: the listener's
 * backend_client. */
static void resolve_backend(struct sg_cfg *cfg, struct sg_backend_ref *br, bool grpc,
			    const struct sg_backend_tls *client, const struct sg_listener *l,
			    const struct sg_route *r)
{
	const struct sg_policy *tcp = sg_policy_for_backend(cfg, SG_POL_BACKEND_TCP, br);
	const struct sg_policy *http = sg_policy_for_backend(cfg, SG_POL_BACKEND_HTTP, br);
	const struct sg_backend_tcp *btcp = br->tcp ? br->tcp : tcp ? &tcp->u.btcp : NULL;
	const struct sg_backend_http *bhttp = br->http ? br->http : http ? &http->u.bhttp : NULL;
	const struct sg_policy *health = sg_policy_for_backend(cfg, SG_POL_BACKEND_HEALTH, br);
	const struct sg_policy *tls = backend_policy(cfg, SG_POL_BACKEND_TLS, br, l, r);
	/* a route's own backendAuth is its backends' inline policy */
	const struct sg_policy *auth = r && r->filters.backend_auth
					       ? NULL
					       : backend_policy(cfg, SG_POL_BACKEND_AUTH, br, l, r);

	br->eff_connect_timeout = cfg->global.connect_timeout;
	br->eff_keepalive = cfg->global.keepalives;
	br->eff_request_timeout = SG_DUR_UNSET;
	br->eff_health = br->health ? br->health : health ? health->u.health : NULL;
	br->eff_tls = br->tls ? br->tls : tls ? with_client(cfg, tls, client) : NULL;
	br->eff_backend_auth = br->filters.backend_auth ? br->filters.backend_auth
			       : auth			? auth->u.backend_auth
							: NULL;
	resolve_authority(cfg, br);
	resolve_backend_filters(cfg, br);
	if (btcp && btcp->connect_timeout != SG_DUR_UNSET)
		br->eff_connect_timeout = btcp->connect_timeout;
	if (btcp && btcp->has_keepalives)
		br->eff_keepalive = btcp->keepalives;
	if (bhttp)
		br->eff_request_timeout = bhttp->request_timeout;
	/* agentgateway: the backend's http.version beats the appProtocol. */
	if (bhttp && bhttp->version != SG_HTTP_VERSION_UNSET)
		br->eff_h2 = bhttp->version == SG_HTTP_VERSION_2;
	else
		br->eff_h2 = br->h2c || grpc;
}

/* The policy of `kind` that reaches route r of listener l. A route a
 * routeGroup backend reached (parent: the route that delegated) takes
 * only one aimed at itself (rank 4 and up): whatever else reaches it comes
 * through its parent's effective policies (agentgateway merges the
 * listener's, then each route of the chain's, the last one winning). */
static const struct sg_policy *chain_policy(const struct sg_cfg *cfg, enum sg_pol_kind kind,
					    const struct sg_listener *l, const struct sg_route *r,
					    const struct sg_route *parent)
{
	int rank;
	const struct sg_policy *p = best_rank(cfg, kind, l, r, false, &rank);

	return parent && rank < 4 ? NULL : p;
}

/* The route's own filters, and for each kind it has not, the most specific
 * AgentgatewayPolicy's (agentgateway: inline filters are the most specific
 * attachment), else its parent's. */
static void resolve_filters(const struct sg_cfg *cfg, const struct sg_listener *l,
			    struct sg_route *r, const struct sg_route *parent)
{
	const struct sg_policy *p;

	r->eff_filters = r->filters;
	r->eff_filters.oidc_cookies = cfg->noidcs > 0;
#define PICK(field, kind, member)                                                                  \
	if (!r->eff_filters.field) {                                                               \
		if ((p = chain_policy(cfg, kind, l, r, parent)))                                   \
			r->eff_filters.field = p->u.member;                                        \
		else if (parent)                                                                   \
			r->eff_filters.field = parent->eff_filters.field;                          \
	}
	PICK(request_headers, SG_POL_REQUEST_HEADERS, hdrmod)
	PICK(response_headers, SG_POL_RESPONSE_HEADERS, hdrmod)
	PICK(cors, SG_POL_CORS, cors)
	PICK(direct, SG_POL_DIRECT, direct)
	if (!r->filters.rewrite && (p = chain_policy(cfg, SG_POL_HOST_REWRITE, l, r, parent)))
		r->eff_filters.rewrite = p->u.rewrite;
	PICK(ratelimits, SG_POL_LOCAL_RATE_LIMIT, ratelimits)
	PICK(csrf, SG_POL_CSRF, csrf)
	PICK(remote_rl, SG_POL_REMOTE_RATE_LIMIT, remote_rl)
	PICK(jwt, SG_POL_JWT, jwt)
	PICK(basic, SG_POL_BASIC, basic)
	PICK(apikeys, SG_POL_API_KEYS, apikeys)
	PICK(ext_authz, SG_POL_EXT_AUTHZ, ext_authz)
	PICK(authz, SG_POL_AUTHZ, authz)
	/* Kinds only standalone top-level policies: aim at routes. */
	PICK(oidc, SG_POL_OIDC, oidc)
	PICK(redirect, SG_POL_REDIRECT, redirect)
	PICK(rewrite, SG_POL_URL_REWRITE, rewrite)
	PICK(transform, SG_POL_TRANSFORM, transform)
	PICK(delay, SG_POL_DELAY, delay)
#undef PICK
	if (!r->filters.mirrors.n) {
		if ((p = chain_policy(cfg, SG_POL_MIRROR, l, r, parent)))
			r->eff_filters.mirrors = *p->u.mirrors;
		else if (parent)
			r->eff_filters.mirrors = parent->eff_filters.mirrors;
	}
}

static void list_jwt(struct sg_cfg *cfg, const struct sg_jwt_auth *j);

/* A route's oidc is named after the first route that has it
 * (agentgateway's "route/<key>"; its cookies' names derive from it; a
 * listener's is named where it is parsed), and its ID token's verifier
 * joins the jwtAuths' list. */
static void name_oidc(struct sg_cfg *cfg, const struct sg_route *r)
{
	for (size_t i = 0; r->eff_filters.oidc && i < cfg->noidcs; i++) {
		struct sg_oidc *o = cfg->oidcs[i]; /* the tree's, mutable while it builds */

		if (o != r->eff_filters.oidc || o->policy_id)
			continue;
		o->policy_id = sg_arena_printf(&cfg->arena, "route/%s", r->key);
		list_jwt(cfg, &o->validator);
	}
}

/* A route's basicAuth joins the tree's list, once, for user/ to parse. */
static void list_basic(struct sg_cfg *cfg, const struct sg_basic_auth *b)
{
	const struct sg_basic_auth **slot;

	if (!b || b->rt->listed)
		return;
	slot = sg_arena_push(&cfg->arena, &cfg->basics, &cfg->nbasics, &cfg->capbasics,
			     sizeof(*slot));
	if (slot) {
		*slot = b;
		b->rt->listed = true;
	}
}

/* A route's apiKey joins the tree's list, once, for user/ to hash. */
static void list_apikeys(struct sg_cfg *cfg, const struct sg_api_keys *k)
{
	const struct sg_api_keys **slot;

	if (!k || k->rt->listed)
		return;
	slot = sg_arena_push(&cfg->arena, &cfg->apikeys, &cfg->napikeys, &cfg->capapikeys,
			     sizeof(*slot));
	if (slot) {
		*slot = k;
		k->rt->listed = true;
	}
}

/* A route's jwtAuth joins the tree's list, once, for user/ to compile. */
static void list_jwt(struct sg_cfg *cfg, const struct sg_jwt_auth *j)
{
	const struct sg_jwt_auth **slot;

	if (!j || j->rt->listed)
		return;
	slot = sg_arena_push(&cfg->arena, &cfg->jwts, &cfg->njwts, &cfg->capjwts, sizeof(*slot));
	if (slot) {
		*slot = j;
		j->rt->listed = true;
	}
}

/* A mirror's backend is resolved as a route's is: whether it wants TLS
 * (user/core/mirror.c leaves it out rather than copy a request to it in clear
 * text), its HTTP version (a copy to an h2c port is an HTTP/2 stream),
 * keepalive, and its authority for a copy of a request that came without
 * Host. */
static void resolve_mirrors(struct sg_cfg *cfg, const struct sg_mirrors *ms, bool grpc,
			    const struct sg_backend_tls *client)
{
	for (size_t i = 0; i < ms->n; i++)
		resolve_backend(cfg, ms->v[i].backend, grpc, client, NULL, NULL);
}

/* A rule's backendRefs are shared by every listener its routes attach
 * to. Where their TLS is the listener's own (`mine`: its Gateway presents
 * a client certificate, with_client; a TLS listener that terminates
 * encrypts again where a TCP listener of the same TCPRoute does not), the
 * route gets a copy of its own, so that the last listener resolved does
 * not decide for all. False when out of memory. */
static bool own_backends(struct sg_cfg *cfg, bool mine, struct sg_brefs *bs)
{
	struct sg_backend_ref *v;

	if (!mine || !bs->n)
		return true;
	if (!(v = sg_arena_alloc(&cfg->arena, bs->n * sizeof(*v))))
		return false;
	memcpy(v, bs->v, bs->n * sizeof(*v));
	bs->v = v;
	bs->cap = bs->n;
	return true;
}

static int resolve_route(struct sg_cfg *cfg, const struct sg_listener *l, struct sg_route *r,
			 const struct sg_route *parent, size_t *copies, struct sg_diag *d);

/* Each routeGroup backend of r (reached from listener l) gets its own
 * copy of the group's routes, resolved with r as their parent: one group
 * reached from two routes takes each one's policies (agentgateway
 * resolves them per request, along the chain). *copies counts the routes
 * copied so far. */
static int expand_groups(struct sg_cfg *cfg, const struct sg_listener *l, struct sg_route *r,
			 size_t *copies, struct sg_diag *d)
{
	for (size_t i = 0; i < r->backends.n; i++) {
		struct sg_backend_ref *br = &r->backends.v[i];
		const struct sg_route_group *g = NULL;

		if (br->kind != SG_BREF_GROUP)
			continue;
		for (size_t j = 0; j < cfg->ngroups && !g; j++)
			if (streq(cfg->groups[j].name, br->group))
				g = &cfg->groups[j];
		if (!g) /* the loader refused it */
			continue;
		r->delegates = true;
		*copies += g->nroutes;
		if (*copies > SG_ROUTE_GROUP_COPIES) {
			sg_diag_err(
				d, g->at,
				"routeGroups: the routes that delegate to route groups make more "
				"than %d copies of their routes (each delegating route has its "
				"own, with its policies): delegate to fewer groups",
				SG_ROUTE_GROUP_COPIES);
			return -1;
		}
		br->nsub = g->nroutes;
		if (!(br->sub = sg_arena_alloc(&cfg->arena, g->nroutes * sizeof(*br->sub) + 1)))
			return -ENOMEM;
		for (size_t j = 0; j < g->nroutes; j++) {
			br->sub[j] = g->routes[j];
			br->sub[j].parent = r;
			/* its backends are resolved for this chain */
			if (!own_backends(cfg, true, &br->sub[j].backends))
				return -ENOMEM;
			int err = resolve_route(cfg, l, &br->sub[j], r, copies, d);

			if (err < 0)
				return err;
		}
	}
	return 0;
}

/* A policy of `kind` aimed at route p or a route that delegated to it
 * (their own names, or rules). */
static bool aimed_up(const struct sg_cfg *cfg, enum sg_pol_kind kind, const struct sg_listener *l,
		     const struct sg_route *p)
{
	int rank;

	for (; p; p = p->parent)
		if (best_rank(cfg, kind, l, p, false, &rank) && rank >= 4)
			return true;
	return false;
}

/* agentgateway's a2a is a backend policy: a route's own, or one aimed at
 * the route (or at a route that delegated to it), its listener or its
 * gateway, reaches each of its backends; a backend's own, or one aimed at
 * that backend, that backend alone. splicegate decides it per route (a
 * call's body is held, and a card's path read, before a backend is
 * drawn): the route is a2a when it has it, or when every backend it draws
 * has it; some of them only is refused. 0, or -1 after recording why. */
static int resolve_a2a(const struct sg_cfg *cfg, const struct sg_listener *l, struct sg_route *r,
		       const struct sg_route *parent, struct sg_diag *d)
{
	const struct sg_backend_ref *first = NULL;
	size_t n = 0, with = 0;

	for (size_t i = 0; i < r->backends.n; i++) {
		struct sg_backend_ref *br = &r->backends.v[i];

		br->eff_a2a = br->filters.a2a || sg_policy_for_backend(cfg, SG_POL_A2A, br);
		if (br->kind == SG_BREF_GROUP || !br->weight)
			continue;
		n++;
		with += br->eff_a2a;
		if (br->eff_a2a && !first)
			first = br;
	}
	if (r->eff_filters.a2a || best(cfg, SG_POL_A2A, l, r, false))
		r->eff_filters.a2a = true;
	else if (aimed_up(cfg, SG_POL_A2A, l, parent))
		r->eff_filters.a2a = true;
	else if (with && with == n)
		r->eff_filters.a2a = true;
	else if (with) {
		sg_diag_err(d, first->at,
			    "a2a: not supported on some of route %s's backends only (splicegate "
			    "treats a route's requests as A2A or not before a backend is drawn): "
			    "give it to every backend of the route, or to the route",
			    r->key);
		return -1;
	}
	return 0;
}

/* 0, -ENOMEM, or -1 after recording why in d. */
static int resolve_route(struct sg_cfg *cfg, const struct sg_listener *l, struct sg_route *r,
			 const struct sg_route *parent, size_t *copies, struct sg_diag *d)
{
	bool grpc = r->hr_kind == SG_KIND_GRPCROUTE;
	const struct sg_policy *tp = chain_policy(cfg, SG_POL_TIMEOUT, l, r, parent);
	const struct sg_policy *rp = chain_policy(cfg, SG_POL_RETRY, l, r, parent);

	r->eff_timeout.request = SG_DUR_UNSET;
	r->eff_timeout.backend_request = SG_DUR_UNSET;
	r->eff_timeout.response_idle = SG_DUR_UNSET;
	if (r->has_timeout)
		r->eff_timeout = r->timeout;
	else if (tp)
		r->eff_timeout = tp->u.timeout;
	else if (parent)
		r->eff_timeout = parent->eff_timeout;
	/* An HTTPRoute's timeouts have no idle key: a policy's still holds. */
	if (r->eff_timeout.response_idle == SG_DUR_UNSET && tp)
		r->eff_timeout.response_idle = tp->u.timeout.response_idle;
	r->eff_retry = r->has_retry ? &r->retry
		       : rp	    ? &rp->u.retry
		       : parent	    ? parent->eff_retry
				    : NULL;
	resolve_filters(cfg, l, r, parent);
	if (resolve_a2a(cfg, l, r, parent, d) == -1)
		return -1;
	r->defer = (uint8_t)sg_transform_defer(&r->eff_filters);
	/* an a2a call's method is read from its body (user/core/a2a.h) */
	if (r->eff_filters.a2a)
		r->defer |= SG_ROUTE_DEFER_BODY;
	/* A retry precondition runs before the first try, once the route's
	 * plan did: over the body, held for it as for the plan. */
	if (r->eff_retry && r->eff_retry->precondition &&
	    (sg_cel_needs(r->eff_retry->precondition) & SG_CEL_NEED_REQ_BODY))
		r->defer |= SG_ROUTE_DEFER_BODY;
	/* response.body in the access log or the span's attributes: the
	 * route's responses are held to read it (agentgateway records it
	 * as it streams). */
	if (sg_log_policy_reads(l->access, SG_CEL_NEED_RESP_BODY))
		r->defer |= SG_ROUTE_HOLD_LOG;
	if (l->tracing && sg_log_policy_reads(&l->tracing->fields, SG_CEL_NEED_RESP_BODY))
		r->defer |= SG_ROUTE_HOLD_TRACE;
	/* response.headers there: the head the client got is kept. */
	if (sg_log_policy_reads(l->access, SG_CEL_NEED_RESP_HEADERS))
		r->defer |= SG_ROUTE_HEAD_LOG;
	if (l->tracing && sg_log_policy_reads(&l->tracing->fields, SG_CEL_NEED_RESP_HEADERS))
		r->defer |= SG_ROUTE_HEAD_TRACE;
	/* request.body there: the body is held, and kept for the line. */
	if (sg_log_policy_reads(l->access, SG_CEL_NEED_REQ_BODY) ||
	    (l->tracing && sg_log_policy_reads(&l->tracing->fields, SG_CEL_NEED_REQ_BODY)))
		r->defer |= SG_ROUTE_LOG_REQ_BODY;
	list_jwt(cfg, r->eff_filters.jwt);
	if (r->eff_filters.mcp_authn)
		list_jwt(cfg, &r->eff_filters.mcp_authn->jwt);
	list_apikeys(cfg, r->eff_filters.apikeys);
	list_basic(cfg, r->eff_filters.basic);
	name_oidc(cfg, r);
	if (r->eff_retry && r->eff_retry->attempts == 0)
		r->eff_retry = NULL; /* attempts: 0 means "no retry" */
	if (!own_backends(cfg, l->backend_client != NULL, &r->backends))
		return -ENOMEM;
	for (size_t i = 0; i < r->backends.n; i++) {
		resolve_backend(cfg, &r->backends.v[i], grpc, l->backend_client, l, r);
		resolve_mirrors(cfg, &sg_bref_filters(&r->backends.v[i])->mirrors, grpc,
				l->backend_client);
	}
	/* the route's own mirrors, or a targeted policy's */
	resolve_mirrors(cfg, &r->eff_filters.mirrors, grpc, l->backend_client);
	return expand_groups(cfg, l, r, copies, d);
}

/* The gateway phase's policies of listener l (the most specific of each
 * kind: its own over its Gateway's) into l->gw_filters (and gw_after:
 * the authorization that waits for an extAuthz's verdict), their
 * jwtAuth, apiKey, basicAuth and oidc's verifier listed as a route's
 * are. */
static void resolve_gateway_phase(struct sg_cfg *cfg, struct sg_listener *l)
{
	const struct sg_policy *jwt = best(cfg, SG_POL_JWT, l, NULL, true);
	const struct sg_policy *basic = best(cfg, SG_POL_BASIC, l, NULL, true);
	const struct sg_policy *keys = best(cfg, SG_POL_API_KEYS, l, NULL, true);
	const struct sg_policy *authz = best(cfg, SG_POL_AUTHZ, l, NULL, true);
	const struct sg_policy *cors = best(cfg, SG_POL_CORS, l, NULL, true);
	const struct sg_policy *ext = best(cfg, SG_POL_EXT_AUTHZ, l, NULL, true);
	const struct sg_policy *oidc = best(cfg, SG_POL_OIDC, l, NULL, true);
	struct sg_filters *f, *after = NULL;

	l->gw_filters = l->gw_after = NULL;
	if (!jwt && !basic && !keys && !authz && !cors && !ext && !oidc)
		return;
	f = sg_arena_alloc(&cfg->arena, sizeof(*f));
	/* agentgateway asks the service before the authorization rules */
	if (ext && authz && !(after = sg_arena_alloc(&cfg->arena, sizeof(*after))))
		return; /* sg_cfg_build fails on the arena's error */
	if (!f)
		return;
	f->jwt = jwt ? jwt->u.jwt : NULL;
	f->basic = basic ? basic->u.basic : NULL;
	f->apikeys = keys ? keys->u.apikeys : NULL;
	f->cors = cors ? cors->u.cors : NULL;
	f->ext_authz = ext ? ext->u.ext_authz : NULL;
	f->oidc = oidc ? oidc->u.oidc : NULL;
	if (after)
		after->authz = authz->u.authz;
	else
		f->authz = authz ? authz->u.authz : NULL;
	list_jwt(cfg, f->jwt);
	list_apikeys(cfg, f->apikeys);
	list_basic(cfg, f->basic);
	if (f->oidc)
		list_jwt(cfg, &f->oidc->validator);
	l->gw_filters = f;
	l->gw_after = after;
}

/* 0, -ENOMEM, or -1 after recording why in d. */
static int resolve_listener(struct sg_cfg *cfg, struct sg_listener *l, size_t *copies,
			    struct sg_diag *d)
{
	const struct sg_policy *fh = sg_policy_for_listener(cfg, SG_POL_FRONTEND_HTTP, l);
	const struct sg_policy *ft = sg_policy_for_listener(cfg, SG_POL_FRONTEND_TCP, l);
	const struct sg_policy *fs = sg_policy_for_listener(cfg, SG_POL_FRONTEND_TLS, l);
	const struct sg_policy *fp = sg_policy_for_listener(cfg, SG_POL_FRONTEND_PROXY, l);
	const struct sg_policy *al = sg_policy_for_listener(cfg, SG_POL_FRONTEND_ACCESS_LOG, l);
	const struct sg_policy *fa = sg_policy_for_listener(cfg, SG_POL_FRONTEND_NETAUTHZ, l);
	const struct sg_policy *tr = sg_policy_for_listener(cfg, SG_POL_FRONTEND_TRACING, l);

	l->fhttp = fh ? &fh->u.fhttp : &cfg->default_fhttp;
	l->ftcp = ft ? &ft->u.ftcp : NULL;
	l->ftls = fs ? &fs->u.ftls : &cfg->default_ftls;
	l->fproxy = fp ? &fp->u.fproxy : NULL;
	l->access = sg_log_policy_merge(&cfg->arena, al ? al->u.access : NULL, cfg->global.logging);
	l->netauthz = fa ? fa->u.netauthz : NULL;
	l->tracing = tr ? tr->u.tracing : cfg->global.tracing;
	resolve_gateway_phase(cfg, l);
	for (size_t i = 0; i < l->nroutes; i++) {
		int err = resolve_route(cfg, l, &l->routes[i], NULL, copies, d);

		if (err < 0)
			return err;
	}
	for (size_t i = 0; i < l->ntcp_routes; i++) {
		if (!own_backends(cfg, l->backend_client || sg_listener_terminates_tls(l),
				  &l->tcp_routes[i].backends))
			return -ENOMEM;
		for (size_t j = 0; j < l->tcp_routes[i].backends.n; j++) {
			struct sg_backend_ref *br = &l->tcp_routes[i].backends.v[j];

			resolve_backend(cfg, br, false, l->backend_client, l, NULL);
			/* TCP routes and TLS passthrough move bytes as they
			 * are: a Service's BackendTLSPolicy serves its HTTP
			 * routes. A TLS listener that terminates encrypts
			 * again where the backend's policy says so. */
			if (!sg_listener_terminates_tls(l))
				br->eff_tls = NULL;
		}
	}
	return 0;
}

/* An inline backendTLS where it cannot apply is an error, not plaintext. */
static int check_tcp_tls(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < l->ntcp_routes; r++)
				for (size_t j = 0; j < l->tcp_routes[r].backends.n; j++) {
					const struct sg_backend_ref *br =
						&l->tcp_routes[r].backends.v[j];

					if (!br->tls || sg_listener_terminates_tls(l))
						continue;
					sg_diag_err(d, br->at,
						    "backendTLS: TLS to the backends of TCP "
						    "routes is not supported (HTTP routes, and "
						    "TLS listeners that terminate, only)");
					ret = -1;
				}
		}
	return ret;
}

static bool rules_read_body(const struct sg_authz_rules *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (sg_cel_needs(l->v[i]) & SG_CEL_NEED_REQ_BODY)
			return true;
	return false;
}

/* A gateway-phase (PreRouting) authorization runs before a route is
 * chosen, and a body is held only for a route's policies: a rule of it
 * reading request.body could never hold, so it is refused. */
static int check_gateway_body(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t p = 0; p < cfg->npolicies; p++) {
		const struct sg_policy *pol = &cfg->policies[p];
		const struct sg_authz *z = pol->u.authz;

		if (pol->kind != SG_POL_AUTHZ || !pol->gateway_phase ||
		    !(rules_read_body(&z->allow) || rules_read_body(&z->deny) ||
		      rules_read_body(&z->require)))
			continue;
		sg_diag_err(d, pol->at,
			    "authorization: request.body is not supported in the gateway phase "
			    "(PreRouting): its rules run before a route holds the body");
		ret = -1;
	}
	return ret;
}

static bool in_brefs(const struct sg_brefs *bs, const struct sg_target *t)
{
	for (size_t i = 0; i < bs->n; i++)
		if (names_backend(t, &bs->v[i]))
			return true;
	return false;
}

/* Whether a backend of the config is t (a SG_TARGET_BACKEND). */
static bool backend_named(const struct sg_cfg *cfg, const struct sg_target *t)
{
	for (size_t b = 0; b < cfg->nbinds; b++)
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t r = 0; r < l->nroutes; r++)
				if (in_brefs(&l->routes[r].backends, t))
					return true;
			for (size_t r = 0; r < l->ntcp_routes; r++)
				if (in_brefs(&l->tcp_routes[r].backends, t))
					return true;
		}
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t r = 0; r < cfg->groups[g].nroutes; r++)
			if (in_brefs(&cfg->groups[g].routes[r].backends, t))
				return true;
	return false;
}

/* A policy is attached when at least one listener, route or backend of the
 * config is one of its targets. */
static void mark_attached(struct sg_cfg *cfg)
{
	for (size_t b = 0; b < cfg->nbinds; b++) {
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			const struct sg_listener *l = &cfg->binds[b].listeners[i];

			for (size_t p = 0; p < cfg->npolicies; p++) {
				struct sg_policy *pol = &cfg->policies[p];

				if (route_rank(pol, l, NULL))
					pol->attached = true;
				for (size_t r = 0; r < l->nroutes && !pol->attached; r++)
					pol->attached = route_rank(pol, l, &l->routes[r]) > 0;
			}
		}
	}
	/* A route of a route group, by its name (route_rank reads no
	 * listener for a route target). */
	for (size_t p = 0; p < cfg->npolicies; p++) {
		struct sg_policy *pol = &cfg->policies[p];

		if (pol->target.kind != SG_TARGET_ROUTE)
			continue;
		for (size_t g = 0; g < cfg->ngroups && !pol->attached; g++)
			for (size_t r = 0; r < cfg->groups[g].nroutes && !pol->attached; r++)
				pol->attached =
					route_rank(pol, NULL, &cfg->groups[g].routes[r]) > 0;
	}
	for (size_t p = 0; p < cfg->npolicies; p++) {
		struct sg_policy *pol = &cfg->policies[p];

		if (pol->target.kind == SG_TARGET_BACKEND)
			pol->attached = backend_named(cfg, &pol->target);
		if (pol->target.kind != SG_TARGET_SERVICE)
			continue;
		for (size_t s = 0; s < cfg->nservices && !pol->attached; s++)
			pol->attached = streq(pol->target.ns, cfg->services[s].ns) &&
					streq(pol->target.name, cfg->services[s].name);
	}
}

/* The smaller of bound `cur` (0: none yet) and limit `v` (SG_UNSET: none). */
static uint32_t tighter(uint32_t cur, int64_t v)
{
	if (v == SG_UNSET || v <= 0)
		return cur;
	return cur && cur <= (uint64_t)v ? cur : (uint32_t)v;
}

/* A connection is counted at accept and a request before its host picks a
 * listener, so the bind takes the tightest bound its listeners name. So
 * with the PROXY protocol, read before anything else: any listener that
 * expects a header makes the bind expect one, in any version one of them
 * accepts, optional only when each of them says so. */
static void resolve_bind_limits(struct sg_bind *b)
{
	b->max_connections = b->max_requests = 0;
	b->proxy = (struct sg_frontend_proxy){ 0 };
	b->netauthz = NULL;
	for (size_t i = 0; i < b->nlisteners; i++) {
		const struct sg_listener *l = &b->listeners[i];

		if (!b->netauthz)
			b->netauthz = l->netauthz;

		if (l->fproxy) {
			b->proxy.optional =
				(!b->proxy.versions || b->proxy.optional) && l->fproxy->optional;
			b->proxy.versions |= l->fproxy->versions;
		}

		if (l->ftcp)
			b->max_connections = tighter(b->max_connections, l->ftcp->max_connections);
		b->max_requests = tighter(b->max_requests, l->fhttp->max_concurrent_requests);
	}
}

int sg_resolve(struct sg_cfg *cfg, struct sg_diag *d)
{
	size_t copies = 0;

	sg_targeted_bind(cfg);
	for (size_t b = 0; b < cfg->nbinds; b++) {
		for (size_t i = 0; i < cfg->binds[b].nlisteners; i++) {
			int err = resolve_listener(cfg, &cfg->binds[b].listeners[i], &copies, d);

			if (err == -ENOMEM)
				sg_diag_err(d, NULL, "out of memory");
			if (err < 0)
				return -1;
		}
		resolve_bind_limits(&cfg->binds[b]);
	}
	mark_attached(cfg);
	if (sg_targeted_check(cfg, d) == -1 || check_gateway_body(cfg, d) < 0)
		return -1;
	return check_tcp_tls(cfg, d);
}
