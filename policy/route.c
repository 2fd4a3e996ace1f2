/* Route selection over a const listener: hostname rank, then the best
 * match (agentgateway's select_best_route order), and weighted picking of
 * a backend endpoint for each attempt. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/hex.h"
#include "config/hostname.h"
#include "config/regex.h"
#include "policy/route.h"

/* Host ranks, higher is more specific; a wildcard ranks 2 + its suffix
 * length so "*.a.example" beats "*.example". */
#define HOST_NONE 0
#define HOST_ANY 1
#define HOST_WILDCARD 2
#define HOST_EXACT SIZE_MAX

/* How good a matching match is, compared field by field. */
struct match_key {
	unsigned kind; /* exact 3, prefix 2, regex 1 */
	size_t path_len;
	unsigned method;
	size_t nheaders, nquery;
	const struct sg_match *m; /* the match itself (not compared) */
};

static bool ieq(const char *a, const char *b, size_t n)
{
	return strncasecmp(a, b, n) == 0;
}

static bool eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* The host of a Host value: without its port ("example.com:8080" ->
 * "example.com", "[::1]:8080" -> "[::1]"), and without the trailing dot
 * of a fully qualified name ("a.example." is "a.example"). */
static size_t strip_port(const char *h, size_t len)
{
	len = sg_authority_host_len(h, len);
	return len > 1 && h[len - 1] == '.' && h[0] != '[' ? len - 1 : len;
}

/* "*.example.com" needs at least one label before ".example.com". */
static size_t host_rank_one(const char *pat, const char *h, size_t hlen)
{
	size_t plen = strlen(pat);

	if (pat[0] == '*') {
		size_t slen = plen - 1;

		if (hlen > slen && ieq(h + hlen - slen, pat + 1, slen))
			return HOST_WILDCARD + slen;
		return HOST_NONE;
	}
	return plen == hlen && ieq(h, pat, hlen) ? HOST_EXACT : HOST_NONE;
}

static size_t host_rank(const struct sg_route *r, const char *h, size_t hlen)
{
	size_t best = HOST_NONE;

	if (r->hostnames.n == 0)
		return HOST_ANY;
	for (size_t i = 0; i < r->hostnames.n; i++) {
		size_t rank = host_rank_one(r->hostnames.v[i], h, hlen);

		if (rank > best)
			best = rank;
	}
	return best;
}

/* Segment-wise: "/foo" (or "/foo/") matches "/foo", "/foo/", "/foo/bar",
 * never "/foobar"; "/" matches every path. */
static bool prefix_ok(const char *prefix, const char *path, size_t len)
{
	size_t plen = strlen(prefix);

	while (plen && prefix[plen - 1] == '/')
		plen--;
	return len >= plen && memcmp(path, prefix, plen) == 0 && (len == plen || path[plen] == '/');
}

static bool path_ok(const struct sg_match *m, const char *path, size_t len)
{
	switch (m->path_kind) {
	case SG_PATH_EXACT:
		return eq(path, len, m->path);
	case SG_PATH_PREFIX:
		return prefix_ok(m->path, path, len);
	case SG_PATH_REGEX:
		return sg_regex_match(m->re, path, len);
	}
	return false;
}

static bool value_ok(const struct sg_kv_match *kv, const char *v, size_t len)
{
	if (!v)
		return false;
	if (kv->regex)
		return sg_regex_match(kv->re, v, len);
	return eq(v, len, kv->value);
}

/* The next byte of application/x-www-form-urlencoded text at *p (before
 * end), decoded as agentgateway's url::form_urlencoded does: '+' is a
 * space, "%XX" a byte, a '%' without two hex digits itself. */
static char form_next(const char **p, const char *end)
{
	const char *s = *p;

	if (*s == '%' && end - s >= 3 && sg_hex_digit(s[1]) >= 0 && sg_hex_digit(s[2]) >= 0) {
		*p = s + 3;
		return (char)(sg_hex_digit(s[1]) << 4 | sg_hex_digit(s[2]));
	}
	*p = s + 1;
	return *s == '+' ? ' ' : *s;
}

/* Whether encoded raw[0..len) decodes to `want`. */
static bool form_eq(const char *raw, size_t len, const char *want)
{
	const char *end = raw + len;

	while (raw < end)
		if (!*want || form_next(&raw, end) != *want++)
			return false;
	return !*want;
}

/* The value of the first parameter of a raw query whose name decodes to
 * `name` ("" for a bare "name"), decoded into out[0..cap) (the query's
 * length is enough: decoding never lengthens), or NULL. */
static const char *query_get(const char *q, size_t qlen, const char *name, char *out, size_t *len)
{
	const char *end = q + qlen;

	while (q && q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp ? amp : end;
		const char *equals = memchr(q, '=', (size_t)(stop - q));
		const char *kend = equals ? equals : stop;

		if (form_eq(q, (size_t)(kend - q), name)) {
			const char *v = equals ? equals + 1 : stop;

			*len = 0;
			while (v < stop)
				out[(*len)++] = form_next(&v, stop);
			return out;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static bool headers_ok(const struct sg_match *m, const struct sg_route_input *in)
{
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct sg_kv_match *kv = &m->headers[i];
		size_t len = 0;
		const char *v = in->header ? in->header(in->ctx, kv->name, &len) : NULL;

		if (!value_ok(kv, v, len))
			return false;
	}
	return true;
}

/* Query parameters compare decoded, names and values (agentgateway's
 * route.rs; Gateway API leaves it to the implementation). */
static bool query_ok(const struct sg_match *m, const struct sg_route_input *in)
{
	char small[512], *buf = small;
	bool ok = true;

	if (!m->nquery)
		return true;
	if (in->query_len > sizeof(small) && !(buf = malloc(in->query_len)))
		return false;
	for (size_t i = 0; i < m->nquery && ok; i++) {
		const struct sg_kv_match *kv = &m->query[i];
		size_t len = 0;
		const char *v = query_get(in->query, in->query_len, kv->name, buf, &len);

		ok = value_ok(kv, v, len);
	}
	if (buf != small)
		free(buf);
	return ok;
}

static bool match_ok(const struct sg_match *m, const struct sg_route_input *in)
{
	if (!path_ok(m, in->path ? in->path : "", in->path ? in->path_len : 0))
		return false;
	if (m->method && (!in->method || !eq(in->method, in->method_len, m->method)))
		return false;
	return headers_ok(m, in) && query_ok(m, in);
}

static struct match_key match_key(const struct sg_match *m)
{
	static const unsigned kind[] = {
		[SG_PATH_EXACT] = 3,
		[SG_PATH_PREFIX] = 2,
		[SG_PATH_REGEX] = 1,
	};
	struct match_key k = {
		.kind = kind[m->path_kind],
		.path_len = strlen(m->path),
		.method = m->method != NULL,
		.nheaders = m->nheaders,
		.nquery = m->nquery,
		.m = m,
	};
	return k;
}

/* > 0 when a is better than b. */
static int key_cmp(const struct match_key *a, const struct match_key *b)
{
	if (a->kind != b->kind)
		return a->kind > b->kind ? 1 : -1;
	if (a->path_len != b->path_len)
		return a->path_len > b->path_len ? 1 : -1;
	if (a->method != b->method)
		return a->method > b->method ? 1 : -1;
	if (a->nheaders != b->nheaders)
		return a->nheaders > b->nheaders ? 1 : -1;
	if (a->nquery != b->nquery)
		return a->nquery > b->nquery ? 1 : -1;
	return 0;
}

/* The route's best matching match, into *best; false when none matches. */
static bool route_best(const struct sg_route *r, const struct sg_route_input *in,
		       struct match_key *best)
{
	bool found = false;

	for (size_t i = 0; i < r->nmatches; i++) {
		struct match_key k;

		if (!match_ok(&r->matches[i], in))
			continue;
		k = match_key(&r->matches[i]);
		if (!found || key_cmp(&k, best) > 0)
			*best = k;
		found = true;
	}
	return found;
}

/* Gateway API's last ties between routes of different resources: the
 * older resource (era: sg_route.era), then "{namespace}/{name}"
 * alphabetically. Routes of one resource, and standalone ones (no
 * resource), keep their config order: false. */
static bool created_before(bool k8s_a, unsigned era_a, const char *ns_a, const char *name_a,
			   bool k8s_b, unsigned era_b, const char *ns_b, const char *name_b)
{
	int c;

	if (!k8s_a || !k8s_b)
		return false;
	if (era_a != era_b)
		return era_a < era_b;
	c = strcmp(ns_a, ns_b);
	return c < 0 || (c == 0 && strcmp(name_a, name_b) < 0);
}

static bool route_before(const struct sg_route *a, const struct sg_route *b)
{
	return created_before(a->hr_name != NULL, a->era, a->hr_ns, a->hr_name, b->hr_name != NULL,
			      b->era, b->hr_ns, b->hr_name);
}

static bool tcp_route_before(const struct sg_tcp_route *a, const struct sg_tcp_route *b)
{
	return created_before(a->k8s, a->era, a->ns, a->name, b->k8s, b->era, b->ns, b->name);
}

/* Taking the maximum of (host rank, match key) over all routes is the same
 * as agentgateway's walk from the most specific hostname down, stopping at
 * the first rank with a match; on ties the older resource wins
 * (route_before), else the earlier route. */
const struct sg_route *sg_route_select(const struct sg_listener *l, const struct sg_route_input *in)
{
	return sg_route_select_match(l, in, NULL);
}

static const struct sg_route *select_in(const struct sg_route *routes, size_t n,
					const struct sg_route_input *in,
					const struct sg_match **matched)
{
	const struct sg_route *best = NULL;
	struct match_key best_key = { 0 };
	size_t best_rank = HOST_NONE;
	size_t hlen = in->host ? strip_port(in->host, in->host_len) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct sg_route *r = &routes[i];
		size_t rank = host_rank(r, in->host ? in->host : "", hlen);
		struct match_key k;

		if (rank == HOST_NONE || rank < best_rank || !route_best(r, in, &k))
			continue;
		if (best && rank == best_rank) {
			int c = key_cmp(&k, &best_key);

			if (c < 0 || (c == 0 && !route_before(r, best)))
				continue;
		}
		best = r;
		best_rank = rank;
		best_key = k;
	}
	if (matched)
		*matched = best ? best_key.m : NULL;
	return best;
}

const struct sg_route *sg_route_select_match(const struct sg_listener *l,
					     const struct sg_route_input *in,
					     const struct sg_match **matched)
{
	return select_in(l->routes, l->nroutes, in, matched);
}

/* The backend of r a request draws (agentgateway's choose_weighted over
 * all of them, groups too), or NULL when every weight is 0. */
static const struct sg_backend_ref *draw(const struct sg_route *r, uint64_t rnd)
{
	uint64_t total = 0;

	for (size_t i = 0; i < r->backends.n; i++)
		total += r->backends.v[i].weight;
	if (!total)
		return NULL;
	rnd %= total;
	for (size_t i = 0; i < r->backends.n; i++) {
		if (rnd < r->backends.v[i].weight)
			return &r->backends.v[i];
		rnd -= r->backends.v[i].weight;
	}
	return NULL; /* not reached */
}

const struct sg_route *sg_route_follow(const struct sg_route *r, const struct sg_route_input *in,
				       uint64_t *rng, const struct sg_match **matched)
{
	/* The loader refuses cycles and deeper chains: the bound is a guard. */
	for (int depth = 0; r && depth < SG_ROUTE_GROUP_DEPTH; depth++) {
		const struct sg_backend_ref *br;

		if (!r->delegates)
			return r;
		br = draw(r, sg_route_random(rng));
		if (!br || br->kind != SG_BREF_GROUP)
			return r;
		r = select_in(br->sub, br->nsub, in, matched);
	}
	if (matched)
		*matched = NULL;
	return NULL;
}

const struct sg_listener *sg_route_listener(const struct sg_bind *b, const char *host,
					    size_t host_len)
{
	const struct sg_listener *any = NULL, *wild = NULL;
	size_t hlen = host ? strip_port(host, host_len) : 0;

	for (size_t i = 0; i < b->nlisteners; i++) {
		const struct sg_listener *l = &b->listeners[i];
		size_t ll = strlen(l->hostname);

		if (l->conflicted)
			continue;
		if (ll == 0) {
			if (!any)
				any = l;
		} else if (l->hostname[0] == '*' && host && hlen > ll - 1 &&
			   ieq(host + hlen - (ll - 1), l->hostname + 1, ll - 1)) {
			/* The longest wildcard is the most specific. */
			if (!wild || ll > strlen(wild->hostname))
				wild = l;
		} else if (host && ll == hlen && ieq(host, l->hostname, ll)) {
			return l;
		}
	}
	return wild ? wild : any;
}

const struct sg_tcp_route *sg_route_tls(const struct sg_listener *l, const char *sni)
{
	const struct sg_tcp_route *best = NULL;
	size_t best_rank = HOST_NONE, slen = strlen(sni);

	for (size_t i = 0; i < l->ntcp_routes; i++) {
		const struct sg_tcp_route *r = &l->tcp_routes[i];
		size_t rank = r->hostnames.n ? HOST_NONE : HOST_ANY;

		for (size_t j = 0; j < r->hostnames.n; j++) {
			size_t one = host_rank_one(r->hostnames.v[j], sni, slen);

			if (one > rank)
				rank = one;
		}
		if (rank > best_rank ||
		    (best && rank == best_rank && rank != HOST_NONE && tcp_route_before(r, best))) {
			best = r;
			best_rank = rank;
		}
	}
	return best;
}

const struct sg_tcp_route *sg_route_tcp(const struct sg_listener *l)
{
	const struct sg_tcp_route *best = l->ntcp_routes ? &l->tcp_routes[0] : NULL;

	for (size_t i = 1; i < l->ntcp_routes; i++)
		if (tcp_route_before(&l->tcp_routes[i], best))
			best = &l->tcp_routes[i];
	return best;
}

const struct sg_tcp_route *sg_route_sni(const struct sg_bind *b, const char *sni,
					const struct sg_listener **listener)
{
	const struct sg_listener *l = sni ? sg_route_listener(b, sni, strlen(sni)) : NULL;

	*listener = l;
	return l ? sg_route_tls(l, sni) : NULL;
}

/* ---- endpoint picking --------------------------------------------------- */

static bool tried_ep(uint64_t tried, size_t bi, size_t ei)
{
	return (tried & SG_ROUTE_TRIED_BIT(bi, ei)) != 0;
}

/* Endpoints of backend bi still worth an attempt. */
static size_t untried(const struct sg_backend_ref *br, size_t bi, uint64_t tried)
{
	size_t n = 0;

	for (size_t ei = 0; ei < br->neps; ei++)
		n += !tried_ep(tried, bi, ei);
	return n;
}

/* Whether backend bi takes part in this draw. */
static bool candidate(const struct sg_brefs *bs, size_t bi, uint64_t tried, bool fresh_only,
		      bool again)
{
	const struct sg_backend_ref *br = &bs->v[bi];

	/* a route group was drawn, or not, when the request was routed
	 * (sg_route_follow) */
	if (br->weight == 0 || br->kind == SG_BREF_GROUP)
		return false;
	if (br->kind == SG_BREF_DYNAMIC)
		return true;
	/* An invalid ref, or a Service without a ready endpoint, is drawn
	 * for its share and answered 500 (Gateway API: its share fails, the
	 * others' traffic does not grow; agentgateway too draws the backend
	 * before its endpoint), by a request's first draw only. */
	if (br->kind == SG_BREF_INVALID || br->neps == 0)
		return !again;
	return !fresh_only || untried(br, bi, tried) > 0;
}

/* Whether an endpoint is left untried (a backend that has none to try,
 * invalid or empty, does not count: it would win every retry's draw). */
static bool any_fresh(const struct sg_brefs *bs, uint64_t tried)
{
	for (size_t bi = 0; bi < bs->n; bi++)
		if (bs->v[bi].weight && bs->v[bi].kind != SG_BREF_INVALID &&
		    bs->v[bi].kind != SG_BREF_GROUP && untried(&bs->v[bi], bi, tried) > 0)
			return true;
	return false;
}

/* Whether endpoint ei of br may be drawn: `healthy_only` leaves the
 * evicted out, `fresh_only` the tried. */
struct ep_filter {
	const struct sg_route_lb *lb;
	size_t bi;
	uint64_t tried;
	bool healthy_only, fresh_only;
};

static bool ep_ok(const struct sg_backend_ref *br, const struct ep_filter *f, size_t ei)
{
	if (f->fresh_only && tried_ep(f->tried, f->bi, ei))
		return false;
	return !f->healthy_only || !f->lb->evicted(f->lb->ctx, &br->eps[ei]);
}

static size_t count_ok(const struct sg_backend_ref *br, const struct ep_filter *f)
{
	size_t n = 0;

	for (size_t ei = 0; ei < br->neps; ei++)
		n += ep_ok(br, f, ei);
	return n;
}

static size_t nth_ok(const struct sg_backend_ref *br, const struct ep_filter *f, size_t k)
{
	for (size_t ei = 0; ei < br->neps; ei++)
		if (ep_ok(br, f, ei) && k-- == 0)
			return ei;
	return 0; /* not reached: k < count_ok */
}

/* Endpoint of backend bi from `draw` (uniform): the candidates are the
 * healthy untried ones, else the healthy ones, else the untried ones, else
 * all; two draws, the better score wins. */
static size_t pick_ep(const struct sg_backend_ref *br, size_t bi, uint64_t tried, bool fresh_only,
		      const struct sg_route_lb *lb, uint64_t draw)
{
	struct ep_filter f = { lb, bi, tried, lb && lb->evicted, fresh_only };
	size_t n = count_ok(br, &f), a, b;

	if (n == 0 && f.fresh_only) {
		/* Every untried one is evicted: a healthy one tried before
		 * beats an evicted one not tried yet. */
		f.fresh_only = false;
		n = count_ok(br, &f);
	}
	if (n == 0) {
		f.healthy_only = false; /* never an empty set */
		f.fresh_only = fresh_only;
		n = count_ok(br, &f);
	}
	a = nth_ok(br, &f, (size_t)(draw % n));
	if (!lb || !lb->score || n == 1)
		return a;
	b = nth_ok(br, &f, (size_t)((draw / n) % n));
	return lb->score(lb->ctx, &br->eps[b]) > lb->score(lb->ctx, &br->eps[a]) ? b : a;
}

bool sg_route_pick_lb(const struct sg_brefs *backends, uint64_t rnd, uint64_t tried,
		      const struct sg_route_lb *lb, size_t *bi, size_t *ei)
{
	bool fresh_only = any_fresh(backends, tried), again = lb && lb->again;
	const struct sg_backend_ref *br;
	uint64_t total = 0, r;
	size_t b;

	for (b = 0; b < backends->n; b++)
		if (candidate(backends, b, tried, fresh_only, again))
			total += backends->v[b].weight;
	if (total == 0)
		return false;
	/* One draw for every choice: the remainder picks the backend, the
	 * quotient (still uniform for a 64-bit rnd) the endpoints. */
	r = rnd % total;
	for (b = 0; b < backends->n; b++) {
		if (!candidate(backends, b, tried, fresh_only, again))
			continue;
		if (r < backends->v[b].weight)
			break;
		r -= backends->v[b].weight;
	}
	br = &backends->v[b];
	if (br->kind == SG_BREF_DYNAMIC) { /* the connection names its endpoint */
		*bi = b;
		*ei = 0;
		return true;
	}
	if (br->kind == SG_BREF_INVALID || br->neps == 0)
		return false;
	*bi = b;
	*ei = pick_ep(br, b, tried, fresh_only, lb, rnd / total);
	return true;
}

bool sg_route_pick(const struct sg_brefs *backends, uint64_t rnd, uint64_t tried, size_t *bi,
		   size_t *ei)
{
	return sg_route_pick_lb(backends, rnd, tried, NULL, bi, ei);
}

uint64_t sg_route_random(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}
