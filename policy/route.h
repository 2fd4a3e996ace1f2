/* Route selection: which route of a listener serves a request (Gateway API
 * / agentgateway precedence), and which backend endpoint an attempt uses. */
#ifndef SG_ROUTE_H
#define SG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

/* A request as route matching sees it; every string is borrowed, none
 * needs a NUL terminator. */
struct sg_route_input {
	const char *host; /* Host / :authority as received, ":port" allowed */
	size_t host_len;
	const char *path; /* request target path, without the query */
	size_t path_len;
	const char *query; /* raw query after '?', may be empty */
	size_t query_len;
	const char *method;
	size_t method_len;
	/* The value of header `name` (case-insensitive), its length in *len,
	 * or NULL when absent. May be NULL itself: no headers. */
	const char *(*header)(void *ctx, const char *name, size_t *len);
	void *ctx;
};

/* The best route of listener `l` for the request, or NULL (-> 404).
 * Hostnames first: a route listing the request host (case-insensitive,
 * port ignored) beats one listing a wildcard "*.suffix" (longer suffix
 * first) beats one listing none; a rank with no matching route falls
 * through to the next. Within a rank, the best matching match: Exact path,
 * then PathPrefix, then RegularExpression; longer path (or pattern); with
 * a method; more headers; more query params; then config order. Pure: no
 * allocation, no I/O. Regex matches need sg_regex_compile_all() to have
 * run (the loader does); an uncompiled one matches nothing. */
const struct sg_route *sg_route_select(const struct sg_listener *l,
				       const struct sg_route_input *in);

/* As sg_route_select, also telling which of the route's matches chose it
 * (*matched, NULL when no route did): a ReplacePrefixMatch filter rewrites
 * the prefix of that match. */
const struct sg_route *sg_route_select_match(const struct sg_listener *l,
					     const struct sg_route_input *in,
					     const struct sg_match **matched);

/* Route r, or the route its routeGroup backends lead the request to: a
 * route with a routeGroup backend draws one of its backends by weight
 * (from *rng, sg_route_random's state); a route group's drawn, the
 * request is matched among that group's routes as among a listener's
 * (sg_route_select_match; *matched updated), and the route found is
 * followed in turn. Returns the route whose draw (or lack of routeGroup
 * backends) ends the chain; its attempts then draw among its other
 * backends (sg_route_pick never draws a group). NULL, *matched NULL:
 * no route of a drawn group matches (agentgateway: 404 route not
 * found). r NULL: NULL. As agentgateway's select_route_chain. */
const struct sg_route *sg_route_follow(const struct sg_route *r, const struct sg_route_input *in,
				       uint64_t *rng, const struct sg_match **matched);

/* The listener of bind `b` for a request to `host` (Host or :authority as
 * received, host_len bytes, ":port" ignored; NULL when the request has
 * none): a listener with that exact hostname (case-insensitive), else the
 * one with the longest "*.suffix" wildcard that matches it (the first of
 * equal ones), else the first catch-all "" one; NULL when none fits. The
 * request is then matched against that listener's routes only. */
const struct sg_listener *sg_route_listener(const struct sg_bind *b, const char *host,
					    size_t host_len);

/* The route of TLS passthrough listener `l` for a ClientHello naming
 * `sni` (NUL-terminated): a route listing that exact name
 * (case-insensitive) beats one listing a "*.suffix" wildcard that matches
 * it (at least one label before the suffix; the longest suffix first)
 * beats one listing no names; equal ranks go to the first in config
 * order. NULL when no route takes the name. Pure. */
const struct sg_tcp_route *sg_route_tls(const struct sg_listener *l, const char *sni);

/* The route of TCP listener `l` (NULL: none): of several TCPRoutes the
 * oldest (then the first by namespace/name), as Gateway API asks; a
 * standalone listener's first. */
const struct sg_tcp_route *sg_route_tcp(const struct sg_listener *l);

/* The listener of TLS bind `b` for `sni` (as sg_route_listener picks one
 * for a Host), in *listener (NULL when none takes it), and that
 * listener's route for it (sg_route_tls). A connection without SNI
 * (sni NULL) has neither: it cannot be routed by name. */
const struct sg_tcp_route *sg_route_sni(const struct sg_bind *b, const char *sni,
					const struct sg_listener **listener);

/* Bit of (backend bi, endpoint ei) in a `tried` mask; endpoints past the
 * 8x8 that fit are never marked tried. */
#define SG_ROUTE_TRIED_BIT(bi, ei)                                                                 \
	(((bi) < 8 && (ei) < 8) ? (uint64_t)1 << ((bi)*8 + (ei)) : (uint64_t)0)

/* The next number of the xorshift64 sequence kept in *state (0 counts as an
 * arbitrary non-zero seed): cheap, and uniform enough for sg_route_pick. */
uint64_t sg_route_random(uint64_t *state);

/* Pick a backend of `backends` by weight (weight 0: never picked; an
 * SG_BREF_INVALID one, or one without endpoints, is drawn for its weight,
 * and then false is returned: its share of requests gets 500, as the
 * Gateway API asks),
 * then one of its endpoints uniformly, both from `rnd` (a uniform
 * 64-bit random number). Backends with an endpoint whose
 * SG_ROUTE_TRIED_BIT is clear in `tried` are preferred, and within the
 * backend its untried endpoints; when everything was tried, all are
 * candidates again. Sets *bi (index into backends->v) and *ei (index into
 * its eps; 0 for a dynamic backend, whose connection names its
 * endpoint). Returns false, leaving them alone, when no backend can be
 * picked. */
bool sg_route_pick(const struct sg_brefs *backends, uint64_t rnd, uint64_t tried, size_t *bi,
		   size_t *ei);

/* What endpoint choice knows of endpoints beyond the config (user/core/lb.c
 * keeps it per worker). Either callback may be NULL. */
struct sg_route_lb {
	/* ep is evicted: not a candidate while its backend has another. */
	bool (*evicted)(void *ctx, const struct sg_endpoint *ep);
	/* Higher is better (policy/health.h's score). */
	double (*score)(void *ctx, const struct sg_endpoint *ep);
	void *ctx;
	/* The request drew before (this is a retry, or a resend): its share
	 * was a backend with endpoints, so an invalid or empty one is no
	 * candidate now (its 500 is for the requests its weight draws,
	 * once each, as agentgateway chooses a request's backend once). */
	bool again;
};

/* sg_route_pick, with the endpoint chosen by power-of-two-choices: the
 * backend is drawn by weight as there (its share of requests stays exact:
 * Gateway API weights split traffic), then two of its candidate endpoints
 * are drawn uniformly, with replacement (the worst stays reachable), and
 * the one with the higher lb->score wins (the first on a tie). Candidates
 * are the backend's endpoints lb->evicted does not name, or all of them
 * when it names every one (an all-failing backend still gets its share);
 * among those, untried ones first as in sg_route_pick; with lb->again,
 * invalid and empty backends are not drawn. lb NULL: as sg_route_pick. */
bool sg_route_pick_lb(const struct sg_brefs *backends, uint64_t rnd, uint64_t tried,
		      const struct sg_route_lb *lb, size_t *bi, size_t *ei);

#endif
