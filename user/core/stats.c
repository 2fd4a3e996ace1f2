/* Counters, histograms and their Prometheus rendering. Hot counters are
 * atomics with one writer each, the histograms too (one atomic per bucket,
 * summed over the workers when scraped); the request table takes a
 * per-worker mutex that only the scrape contends for. */
#include "user/core/stats.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/process.h"

/* Labels of the overflow series and of request counters past the cap. */
#define OTHER "_other"

/* A histogram's finite bucket bounds: in ns for bucketing, as text for the
 * `le` label (agentgateway's values, printed as its Prometheus client
 * prints them). */
struct bound {
	uint64_t ns;
	const char *le;
};

/* agentgateway's HTTP_REQUEST_DURATION_BUCKET: 1 ms to 80 s. */
static const struct bound http_bounds[] = {
	{ 1000000, "0.001" },	 { 5000000, "0.005" },	  { 10000000, "0.01" },
	{ 25000000, "0.025" },	 { 50000000, "0.05" },	  { 100000000, "0.1" },
	{ 250000000, "0.25" },	 { 500000000, "0.5" },	  { 1000000000, "1.0" },
	{ 2500000000, "2.5" },	 { 5000000000, "5.0" },	  { 10000000000, "10.0" },
	{ 30000000000, "30.0" }, { 80000000000, "80.0" },
};

/* agentgateway's CONNECT_DURATION_BUCKET: 0.5 ms to 8 s. */
static const struct bound connect_bounds[] = {
	{ 500000, "0.0005" },	{ 1500000, "0.0015" },	{ 4300000, "0.0043" },
	{ 12600000, "0.0126" }, { 36800000, "0.0368" }, { 108000000, "0.108" },
	{ 316000000, "0.316" }, { 924000000, "0.924" }, { 2710000000, "2.71" },
	{ 8000000000, "8.0" },
};

#define NBOUNDS(a) (sizeof(a) / sizeof(a[0]))
_Static_assert(NBOUNDS(http_bounds) + 1 <= SG_HIST_SLOTS, "SG_HIST_SLOTS too small");
_Static_assert(NBOUNDS(connect_bounds) + 1 <= SG_HIST_SLOTS, "SG_HIST_SLOTS too small");

/* The histogram families: agentgateway's names; `labels` are the constant
 * ones its series carry (kept so its dashboards' selectors match). */
static const struct hist_family {
	const char *name, *help, *labels;
	const struct bound *b;
	size_t nb;
} hists[SG_HIST__COUNT] = {
	[SG_HIST_REQUEST] = { "agentgateway_request_duration_seconds",
			      "Duration of HTTP requests, from the complete request head to the "
			      "end of the response, by listener and route.",
			      "", http_bounds, NBOUNDS(http_bounds) },
	[SG_HIST_CONNECT] = { "agentgateway_upstream_connect_duration_seconds",
			      "Duration of new backend connections, from the connect (name lookup "
			      "included) to the socket being writable, by listener and route.",
			      ",transport=\"plaintext\"", connect_bounds, NBOUNDS(connect_bounds) },
	[SG_HIST_ATTEMPT] = { "agentgateway_upstream_call_duration_seconds",
			      "Duration of each try at a backend, from its start (connect or "
			      "pooled connection) to the response head or its failure, by "
			      "listener and route.",
			      ",kind=\"Primary\",subtype=\"Http\"", http_bounds,
			      NBOUNDS(http_bounds) },
};

/* The kinds user/core/attempt.c counts, in the order they are rendered: the
 * others are the frontends' own answers, seen in the status label. */
static const enum sg_fail attempt_kinds[] = {
	SG_FAIL_CONNECT,	 SG_FAIL_CONNECT_TIMEOUT, SG_FAIL_RESET,
	SG_FAIL_CLOSED,		 SG_FAIL_BAD_RESPONSE,	  SG_FAIL_ATTEMPT_TIMEOUT,
	SG_FAIL_REQUEST_TIMEOUT, SG_FAIL_NO_BACKEND,	  SG_FAIL_TLS,
};

/* One writer per value (its worker): a relaxed load and store is enough
 * (a scrape sees each value whole) and costs no locked instruction. */
static void bump(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void sg_stats_init(struct sg_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	atomic_store(&s->series[SG_STATS_SERIES].used, true);
}

void sg_stats_destroy(struct sg_stats *s)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		free(s->reqs[i].listener);
		free(s->reqs[i].route);
	}
	free(s->reqs);
	for (size_t i = 0; i < s->nmcp; i++)
		for (size_t k = 0; k < SG_STATS_MCP_LABELS; k++)
			free(s->mcp[i].labels[k]);
	free(s->mcp);
	for (size_t i = 0; i < SG_STATS_SERIES; i++) {
		free(s->series[i].listener);
		free(s->series[i].route);
	}
	pthread_mutex_destroy(&s->lock);
}

void sg_stats_add(struct sg_stats *s, enum sg_stat which, uint64_t n)
{
	s->counters[which] += n;
}

void sg_stats_relayed(struct sg_stats *s, enum sg_relay_engine engine, uint64_t n)
{
	static const enum sg_stat by_engine[] = {
		[SG_RELAY_COPY] = SG_STAT_BYTES_COPY,
		[SG_RELAY_SPLICE] = SG_STAT_BYTES_SPLICE,
		[SG_RELAY_SOCKMAP] = SG_STAT_BYTES_SOCKMAP,
	};

	s->counters[by_engine[engine]] += n;
}

/* FNV-1a over both labels, with a separator between them. */
static uint32_t pair_hash(const char *l, const char *r)
{
	uint32_t h = 2166136261u;

	for (; *l; l++)
		h = (h ^ (unsigned char)*l) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (; *r; r++)
		h = (h ^ (unsigned char)*r) * 16777619u;
	return h;
}

/* sg_stats_series without the last lookup remembered. */
static struct sg_series *find_series(struct sg_stats *s, const char *l, const char *r)
{
	uint32_t h = pair_hash(l, r);
	struct sg_series *se;

	for (size_t i = 0; i < SG_STATS_SERIES; i++) {
		se = &s->series[(h + i) % SG_STATS_SERIES];
		/* Relaxed: this worker is the only one that sets `used`. */
		if (!atomic_load_explicit(&se->used, memory_order_relaxed))
			break;
		if (se->hash == h && !strcmp(se->listener, l) && !strcmp(se->route, r))
			return se;
		se = NULL;
	}
	if (!se)
		return &s->series[SG_STATS_SERIES];
	se->listener = strdup(l);
	se->route = strdup(r);
	if (!se->listener || !se->route) {
		free(se->listener);
		free(se->route);
		se->listener = se->route = NULL;
		return &s->series[SG_STATS_SERIES];
	}
	se->hash = h;
	atomic_store_explicit(&se->used, true, memory_order_release);
	return se;
}

struct sg_series *sg_stats_series(struct sg_stats *s, const char *listener, const char *route)
{
	const char *l = listener ? listener : "", *r = route ? route : "";
	struct sg_series *se = s->last;

	if (se && !strcmp(se->listener, l) && !strcmp(se->route, r))
		return se;
	se = find_series(s, l, r);
	s->last = se == &s->series[SG_STATS_SERIES] ? NULL : se;
	return se;
}

void sg_stats_observe(struct sg_series *se, enum sg_hist_kind h, uint64_t ns)
{
	const struct hist_family *f = &hists[h];
	size_t i = 0;

	while (i < f->nb && ns > f->b[i].ns)
		i++;
	bump(&se->hist[h].n[i], 1);
	bump(&se->hist[h].sum_ns, ns);
}

void sg_stats_request_over(struct sg_series *se, uint64_t ns, uint64_t request_bytes,
			   uint64_t response_bytes, unsigned retries)
{
	sg_stats_observe(se, SG_HIST_REQUEST, ns);
	bump(&se->counters[SG_SERIES_REQUEST_BYTES], request_bytes);
	bump(&se->counters[SG_SERIES_RESPONSE_BYTES], response_bytes);
	bump(&se->counters[SG_SERIES_RETRIES], retries);
}

void sg_stats_requests_active(struct sg_stats *s, int delta)
{
	atomic_store_explicit(&s->requests_active,
			      atomic_load_explicit(&s->requests_active, memory_order_relaxed) +
				      delta,
			      memory_order_relaxed);
}

void sg_stats_failure(struct sg_stats *s, enum sg_fail kind)
{
	if ((unsigned)kind < SG_STATS_FAIL_KINDS)
		bump(&s->failures[kind], 1);
}

static struct sg_stat_req *find_or_add(struct sg_stats *s, const char *l, const char *r,
				       uint16_t status)
{
	struct sg_stat_req *e;

	for (size_t i = 0; i < s->nreqs; i++) {
		e = &s->reqs[i];
		if (e->status == status && !strcmp(e->route, r) && !strcmp(e->listener, l))
			return e;
	}
	if (s->nreqs >= SG_STATS_REQS_MAX && strcmp(l, OTHER))
		return find_or_add(s, OTHER, OTHER, status);
	if (s->nreqs == s->capreqs) {
		size_t ncap = s->capreqs ? s->capreqs * 2 : 16;
		struct sg_stat_req *grown = realloc(s->reqs, ncap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->reqs = grown;
		s->capreqs = ncap;
	}
	e = &s->reqs[s->nreqs];
	e->listener = strdup(l);
	e->route = strdup(r);
	e->status = status;
	e->count = 0;
	if (!e->listener || !e->route) {
		free(e->listener);
		free(e->route);
		return NULL;
	}
	s->nreqs++;
	return e;
}

void sg_stats_request(struct sg_stats *s, const char *listener, const char *route, uint16_t status)
{
	struct sg_stat_req *e;

	pthread_mutex_lock(&s->lock);
	e = find_or_add(s, listener ? listener : "", route ? route : "", status);
	if (e)
		e->count++;
	pthread_mutex_unlock(&s->lock);
}

/* The MCP entry of labels v (each set), added at 0 when new. */
static struct sg_stat_mcp *mcp_entry(struct sg_stats *s, const char *const *v)
{
	static const char *const other[SG_STATS_MCP_LABELS] = { OTHER, OTHER, OTHER,
								OTHER, OTHER, OTHER };
	struct sg_stat_mcp *e;
	size_t k;

	for (size_t i = 0; i < s->nmcp; i++) {
		for (k = 0; k < SG_STATS_MCP_LABELS && !strcmp(s->mcp[i].labels[k], v[k]); k++)
			;
		if (k == SG_STATS_MCP_LABELS)
			return &s->mcp[i];
	}
	if (s->nmcp >= SG_STATS_MCP_MAX && v != other)
		return mcp_entry(s, other);
	if (s->nmcp == s->capmcp) {
		size_t ncap = s->capmcp ? s->capmcp * 2 : 8;
		struct sg_stat_mcp *grown = realloc(s->mcp, ncap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->mcp = grown;
		s->capmcp = ncap;
	}
	e = &s->mcp[s->nmcp];
	e->count = 0;
	for (k = 0; k < SG_STATS_MCP_LABELS && (e->labels[k] = strdup(v[k])); k++)
		;
	if (k < SG_STATS_MCP_LABELS) {
		while (k--)
			free(e->labels[k]);
		return NULL;
	}
	s->nmcp++;
	return e;
}

static const char *known(const char *v)
{
	return v && v[0] ? v : "unknown";
}

void sg_stats_mcp(struct sg_stats *s, const char *listener, const char *route, const char *method,
		  const char *kind, const char *target, const char *name)
{
	const char *v[SG_STATS_MCP_LABELS] = { listener ? listener : "",
					       route ? route : "",
					       known(method),
					       known(kind),
					       known(target),
					       known(name) };
	struct sg_stat_mcp *e;

	pthread_mutex_lock(&s->lock);
	e = mcp_entry(s, v);
	if (e)
		e->count++;
	pthread_mutex_unlock(&s->lock);
}

/* Label values escaped as the text format wants (\\, \", \n). */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static uint64_t sum(struct sg_stats *const *all, size_t n, enum sg_stat which)
{
	uint64_t t = 0;

	for (size_t w = 0; w < n; w++)
		t += all[w]->counters[which];
	return t;
}

/* The worker counters, one table so each metric family gets its HELP and
 * TYPE once, followed by its samples. */
static const struct metric {
	const char *name, *help, *labels;
	enum sg_stat stat;
} metrics[] = {
	{ "splicegate_connections_total", "Client connections accepted.", "", SG_STAT_CONNECTIONS },
	{ "agentgateway_downstream_connections_total",
	  "Client connections accepted (splicegate_connections_total under agentgateway's name).",
	  "", SG_STAT_CONNECTIONS },
	{ "splicegate_retries_total", "Attempts after the first.", "", SG_STAT_RETRIES },
	{ "splicegate_timeouts_total", "Timeouts, by kind.", "{kind=\"request\"}",
	  SG_STAT_TIMEOUT_REQUEST },
	{ "splicegate_timeouts_total", NULL, "{kind=\"backend\"}", SG_STAT_TIMEOUT_BACKEND },
	{ "splicegate_timeouts_total", NULL, "{kind=\"connect\"}", SG_STAT_TIMEOUT_CONNECT },
	{ "splicegate_timeouts_total", NULL, "{kind=\"idle\"}", SG_STAT_TIMEOUT_IDLE },
	{ "splicegate_timeouts_total", NULL, "{kind=\"h2_keepalive\"}", SG_STAT_TIMEOUT_H2_PING },
	{ "splicegate_timeouts_total", NULL, "{kind=\"request_head\"}", SG_STAT_TIMEOUT_HEAD },
	{ "splicegate_timeouts_total", NULL, "{kind=\"body_idle\"}", SG_STAT_TIMEOUT_BODY },
	{ "splicegate_timeouts_total", NULL, "{kind=\"response_idle\"}",
	  SG_STAT_TIMEOUT_RESPONSE_IDLE },
	{ "splicegate_timeouts_total", NULL, "{kind=\"tls_client_hello\"}",
	  SG_STAT_TIMEOUT_TLS_HELLO },
	{ "splicegate_timeouts_total", NULL, "{kind=\"tls_handshake\"}",
	  SG_STAT_TIMEOUT_TLS_HANDSHAKE },
	{ "splicegate_timeouts_total", NULL, "{kind=\"proxy_protocol\"}", SG_STAT_TIMEOUT_PROXY },
	{ "splicegate_tls_handshakes_total", "TLS handshakes on HTTPS listeners, by result.",
	  "{result=\"full\"}", SG_STAT_TLS_HANDSHAKES },
	{ "splicegate_tls_handshakes_total", NULL, "{result=\"resumed\"}", SG_STAT_TLS_RESUMED },
	{ "splicegate_tls_handshakes_total", NULL, "{result=\"failed\"}", SG_STAT_TLS_FAILED },
	{ "splicegate_connections_refused_total", "Client connections closed unread, by reason.",
	  "{reason=\"per_source\"}", SG_STAT_REFUSED_SOURCE },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"max_connections\"}",
	  SG_STAT_REFUSED_MAX_CONN },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"network_authorization\"}",
	  SG_STAT_REFUSED_NETAUTHZ },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"h2_reset_flood\"}",
	  SG_STAT_H2_RESET_FLOOD },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"h2_frame_flood\"}",
	  SG_STAT_H2_FRAME_FLOOD },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_no_sni\"}",
	  SG_STAT_TLS_NO_SNI },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_no_route\"}",
	  SG_STAT_TLS_NO_ROUTE },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_bad_client_hello\"}",
	  SG_STAT_TLS_BAD_HELLO },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"proxy_protocol\"}",
	  SG_STAT_PROXY_BAD },
	{ "splicegate_requests_refused_total",
	  "Requests the gateway answered 503 without routing them, by reason.",
	  "{reason=\"max_concurrent_requests\"}", SG_STAT_REFUSED_MAX_REQ },
	{ "splicegate_h2_session_sleeps_total",
	  "Idle HTTP/2 client sessions freed while they wait, and built again, by event.",
	  "{event=\"slept\"}", SG_STAT_H2_SLEEPS },
	{ "splicegate_h2_session_sleeps_total", NULL, "{event=\"woke\"}", SG_STAT_H2_WAKES },
	{ "splicegate_backend_connects_total", "New backend connections.", "",
	  SG_STAT_BACKEND_CONNECTS },
	{ "splicegate_pool_reuse_total", "Requests sent on a pooled connection.", "",
	  SG_STAT_POOL_REUSE },
	{ "splicegate_body_bytes_total", "Body bytes moved, by engine.", "{engine=\"copy\"}",
	  SG_STAT_BYTES_COPY },
	{ "splicegate_body_bytes_total", NULL, "{engine=\"splice\"}", SG_STAT_BYTES_SPLICE },
	{ "splicegate_body_bytes_total", NULL, "{engine=\"sockmap\"}", SG_STAT_BYTES_SOCKMAP },
	{ "splicegate_sockmap_fallbacks_total",
	  "Connections kept in userspace because pairing their sockets failed.", "",
	  SG_STAT_SOCKMAP_FALLBACKS },
	{ "splicegate_mirror_requests_total",
	  "Request copies for RequestMirror filters, by result.", "{result=\"sent\"}",
	  SG_STAT_MIRROR_SENT },
	{ "splicegate_mirror_requests_total", NULL, "{result=\"failed\"}", SG_STAT_MIRROR_FAILED },
	{ "splicegate_mirror_requests_total", NULL, "{result=\"dropped\"}",
	  SG_STAT_MIRROR_DROPPED },
	{ "splicegate_mirror_requests_total", NULL, "{result=\"looped\"}", SG_STAT_MIRROR_LOOPED },
	{ "splicegate_mirror_requests_total", NULL, "{result=\"limited\"}",
	  SG_STAT_MIRROR_LIMITED },
	{ "splicegate_trace_spans_total", "Spans of traced requests, by result.",
	  "{result=\"exported\"}", SG_STAT_SPANS_EXPORTED },
	{ "splicegate_trace_spans_total", NULL, "{result=\"dropped\"}", SG_STAT_SPANS_DROPPED },
	{ "splicegate_trace_export_failures_total",
	  "Span exports to the OTLP collector that failed.", "", SG_STAT_TRACE_EXPORT_FAILED },
};

/* ---- the per-series and merged families -------------------------------- */

/* One worker's series or request counter, with its labels, for sorting. */
struct ref {
	const char *l, *r;
	const struct sg_series *se; /* a series, or */
	uint16_t status;	    /* a request counter: its status and count */
	uint64_t count;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->l, y->l);

	if (!c)
		c = strcmp(x->r, y->r);
	if (!c)
		c = (int)x->status - (int)y->status;
	return c;
}

static bool same(const struct ref *x, const struct ref *y)
{
	return ref_cmp(x, y) == 0;
}

static bool series_empty(const struct sg_series *se)
{
	for (size_t h = 0; h < SG_HIST__COUNT; h++)
		for (size_t b = 0; b < SG_HIST_SLOTS; b++)
			if (get(&se->hist[h].n[b]))
				return false;
	for (size_t c = 0; c < SG_SERIES__COUNT; c++)
		if (get(&se->counters[c]))
			return false;
	return true;
}

/* Every claimed series of every worker (the overflow series when it has
 * counted something), sorted by labels so that a pair's series across
 * workers are adjacent. NULL when out of memory; *len may be 0. */
static struct ref *collect_series(struct sg_stats *const *all, size_t n, size_t *len)
{
	struct ref *v = malloc((n * (SG_STATS_SERIES + 1) + 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t w = 0; w < n; w++) {
		for (size_t i = 0; i <= SG_STATS_SERIES; i++) {
			const struct sg_series *se = &all[w]->series[i];

			/* Acquire: the labels were written before `used`. */
			if (!atomic_load_explicit(&se->used, memory_order_acquire))
				continue;
			if (i == SG_STATS_SERIES && series_empty(se))
				continue;
			v[k++] = (struct ref){ se->listener ? se->listener : OTHER,
					       se->route ? se->route : OTHER, se, 0, 0 };
		}
	}
	qsort(v, k, sizeof(*v), ref_cmp);
	*len = k;
	return v;
}

static void put_pair(FILE *f, const char *l, const char *r)
{
	fputs("listener=\"", f);
	put_label(f, l);
	fputs("\",route=\"", f);
	put_label(f, r);
	fputc('"', f);
}

static void render_hist(FILE *f, const struct ref *v, size_t len, enum sg_hist_kind h)
{
	const struct hist_family *hf = &hists[h];

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", hf->name, hf->help, hf->name);
	for (size_t i = 0, j; i < len; i = j) {
		uint64_t cnt[SG_HIST_SLOTS] = { 0 }, sum_ns = 0, cum = 0;

		for (j = i; j < len && same(&v[i], &v[j]); j++) {
			for (size_t b = 0; b <= hf->nb; b++)
				cnt[b] += get(&v[j].se->hist[h].n[b]);
			sum_ns += get(&v[j].se->hist[h].sum_ns);
		}
		for (size_t b = 0; b <= hf->nb; b++) {
			cum += cnt[b];
			fprintf(f, "%s_bucket{", hf->name);
			put_pair(f, v[i].l, v[i].r);
			fprintf(f, "%s,le=\"%s\"} %llu\n", hf->labels,
				b < hf->nb ? hf->b[b].le : "+Inf", (unsigned long long)cum);
		}
		fprintf(f, "%s_sum{", hf->name);
		put_pair(f, v[i].l, v[i].r);
		fprintf(f, "%s} %llu.%09llu\n", hf->labels,
			(unsigned long long)(sum_ns / 1000000000),
			(unsigned long long)(sum_ns % 1000000000));
		fprintf(f, "%s_count{", hf->name);
		put_pair(f, v[i].l, v[i].r);
		fprintf(f, "%s} %llu\n", hf->labels, (unsigned long long)cum);
	}
}

/* The counters kept per series. */
static const struct series_family {
	const char *name, *help;
	enum sg_series_counter c;
} series_counters[] = {
	{ "splicegate_request_bytes_total",
	  "Request body bytes moved from clients to backends, by listener and route.",
	  SG_SERIES_REQUEST_BYTES },
	{ "agentgateway_response_bytes_total",
	  "Response body bytes moved from backends to clients, by listener and route.",
	  SG_SERIES_RESPONSE_BYTES },
	{ "agentgateway_retries_total",
	  "Tries after the first, counted when their request is over, by listener and route.",
	  SG_SERIES_RETRIES },
};

static void render_series_counter(FILE *f, const struct ref *v, size_t len,
				  const struct series_family *sf)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", sf->name, sf->help, sf->name);
	for (size_t i = 0, j; i < len; i = j) {
		uint64_t t = 0;

		for (j = i; j < len && same(&v[i], &v[j]); j++)
			t += get(&v[j].se->counters[sf->c]);
		fprintf(f, "%s{", sf->name);
		put_pair(f, v[i].l, v[i].r);
		fprintf(f, "} %llu\n", (unsigned long long)t);
	}
}

static int render_series(FILE *f, struct sg_stats *const *all, size_t n)
{
	size_t len = 0;
	struct ref *v = collect_series(all, n, &len);

	if (!v)
		return -ENOMEM;
	for (size_t h = 0; h < SG_HIST__COUNT; h++)
		render_hist(f, v, len, (enum sg_hist_kind)h);
	for (size_t i = 0; i < sizeof(series_counters) / sizeof(series_counters[0]); i++)
		render_series_counter(f, v, len, &series_counters[i]);
	free(v);
	return 0;
}

/* Copies of one table's entries of every worker, each worker's taken under
 * its lock: count(s) of them, written at dst by put(s, dst), `size` bytes
 * each. Returns them (malloc'd; NULL when there are none) with *len; NULL
 * with *len not 0 when memory ran out. */
static void *gather(struct sg_stats *const *all, size_t n, size_t size,
		    size_t (*count)(const struct sg_stats *s),
		    void (*put)(const struct sg_stats *s, void *dst), size_t *len)
{
	char *v = NULL, *grown;
	size_t cap = 0, k;

	*len = 0;
	for (size_t w = 0; w < n; w++) {
		pthread_mutex_lock(&all[w]->lock);
		k = count(all[w]);
		if (*len + k > cap) {
			cap = *len + k + 16;
			if (!(grown = realloc(v, cap * size))) {
				pthread_mutex_unlock(&all[w]->lock);
				free(v);
				*len = 1;
				return NULL;
			}
			v = grown;
		}
		if (k)
			put(all[w], v + *len * size);
		*len += k;
		pthread_mutex_unlock(&all[w]->lock);
	}
	return v;
}

static size_t reqs_count(const struct sg_stats *s)
{
	return s->nreqs;
}

static void reqs_put(const struct sg_stats *s, void *dst)
{
	struct ref *v = dst;

	for (size_t i = 0; i < s->nreqs; i++) {
		const struct sg_stat_req *e = &s->reqs[i];

		v[i] = (struct ref){ e->listener, e->route, NULL, e->status, e->count };
	}
}

/* agentgateway_requests_total: splicegate_requests_total summed over the
 * workers (agentgateway has no worker label). The strings stay put while
 * the lock is let go: table entries are never freed before the stats. */
static int render_agw_requests(FILE *f, struct sg_stats *const *all, size_t n)
{
	size_t len;
	struct ref *v = gather(all, n, sizeof(*v), reqs_count, reqs_put, &len);

	if (!v && len)
		return -ENOMEM;
	if (len)
		qsort(v, len, sizeof(*v), ref_cmp);
	for (size_t k = 0; k < 2; k++) {
		const char *name = k ? "agentgateway_requests_total" : "splicegate_requests_total";

		fprintf(f,
			"# HELP %s HTTP requests answered, by listener, route and status (summed "
			"over the workers).\n# TYPE %s counter\n",
			name, name);
		for (size_t i = 0, j; i < len; i = j) {
			uint64_t t = 0;

			for (j = i; j < len && same(&v[i], &v[j]); j++)
				t += v[j].count;
			fprintf(f, "%s{", name);
			put_pair(f, v[i].l, v[i].r);
			fprintf(f, ",status=\"%u\"} %llu\n", v[i].status, (unsigned long long)t);
		}
	}
	free(v);
	return 0;
}

/* One MCP entry of a worker, its label texts borrowed (never freed
 * before the stats). */
struct mcp_ref {
	const char *l[SG_STATS_MCP_LABELS];
	uint64_t count;
};

static int mcp_cmp(const void *a, const void *b)
{
	const struct mcp_ref *x = a, *y = b;
	int c = 0;

	for (size_t k = 0; !c && k < SG_STATS_MCP_LABELS; k++)
		c = strcmp(x->l[k], y->l[k]);
	return c;
}

static size_t mcp_count(const struct sg_stats *s)
{
	return s->nmcp;
}

static void mcp_put(const struct sg_stats *s, void *dst)
{
	struct mcp_ref *v = dst;

	for (size_t i = 0; i < s->nmcp; i++) {
		memcpy(v[i].l, s->mcp[i].labels, sizeof(v[i].l));
		v[i].count = s->mcp[i].count;
	}
}

/* agentgateway_mcp_requests_total, summed over the workers. */
static int render_mcp(FILE *f, struct sg_stats *const *all, size_t n)
{
	static const char *const names[SG_STATS_MCP_LABELS] = {
		"listener", "route", "method", "resource_type", "server", "resource",
	};
	size_t len;
	struct mcp_ref *v = gather(all, n, sizeof(*v), mcp_count, mcp_put, &len);

	if (!v && len)
		return -ENOMEM;
	if (len)
		qsort(v, len, sizeof(*v), mcp_cmp);
	fputs("# HELP agentgateway_mcp_requests_total Total number of MCP calls, by method, what "
	      "they touched and its target (summed over the workers).\n"
	      "# TYPE agentgateway_mcp_requests_total counter\n",
	      f);
	for (size_t i = 0, j; i < len; i = j) {
		uint64_t t = 0;

		for (j = i; j < len && !mcp_cmp(&v[i], &v[j]); j++)
			t += v[j].count;
		fputs("agentgateway_mcp_requests_total{", f);
		for (size_t k = 0; k < SG_STATS_MCP_LABELS; k++) {
			fprintf(f, "%s%s=\"", k ? "," : "", names[k]);
			put_label(f, v[i].l[k]);
			fputc('"', f);
		}
		fprintf(f, "} %llu\n", (unsigned long long)t);
	}
	free(v);
	return 0;
}

/* Which build this is, and the process as Prometheus' own collector
 * shows one (process_*). */
static void render_process(FILE *f, const struct sg_stats_extra *x)
{
	struct sg_process p;

	fputs("# HELP splicegate_build_info The version of the running gateway (always 1).\n"
	      "# TYPE splicegate_build_info gauge\nsplicegate_build_info{version=\"",
	      f);
	put_label(f, x->version ? x->version : "unknown");
	fputs("\"} 1\n", f);
	if (sg_process_read(&p) < 0)
		return;
	fprintf(f,
		"# HELP process_cpu_seconds_total Total user and system CPU time spent in "
		"seconds.\n# TYPE process_cpu_seconds_total counter\n"
		"process_cpu_seconds_total %.2f\n"
		"# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n"
		"# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		"# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n"
		"# HELP process_open_fds Number of open file descriptors.\n"
		"# TYPE process_open_fds gauge\nprocess_open_fds %llu\n"
		"# HELP process_max_fds Maximum number of open file descriptors.\n"
		"# TYPE process_max_fds gauge\nprocess_max_fds %llu\n"
		"# HELP process_start_time_seconds Start time of the process since unix epoch in "
		"seconds.\n# TYPE process_start_time_seconds gauge\n"
		"process_start_time_seconds %.2f\n",
		p.cpu_seconds, (unsigned long long)p.rss_bytes, (unsigned long long)p.vsize_bytes,
		(unsigned long long)p.open_fds, (unsigned long long)p.max_fds, p.start_seconds);
}

static void render_failures(FILE *f, struct sg_stats *const *all, size_t n)
{
	fputs("# HELP splicegate_attempt_failures_total Tries that ended without a response, and "
	      "requests given up before a try could start, by failure kind.\n"
	      "# TYPE splicegate_attempt_failures_total counter\n",
	      f);
	for (size_t i = 0; i < sizeof(attempt_kinds) / sizeof(attempt_kinds[0]); i++) {
		uint64_t t = 0;

		for (size_t w = 0; w < n; w++)
			t += get(&all[w]->failures[attempt_kinds[i]]);
		fprintf(f, "splicegate_attempt_failures_total{kind=\"%s\"} %llu\n",
			sg_fail_name(attempt_kinds[i]), (unsigned long long)t);
	}
}

/* The BPF verdict counters (shared by every process using the pinned
 * maps), skbs and bytes by verdict. */
static void render_verdicts(FILE *f, const struct sg_splice_counters *v)
{
	fputs("# HELP splicegate_bpf_verdicts_total Stream verdicts of the sockmap program, by "
	      "verdict.\n# TYPE splicegate_bpf_verdicts_total counter\n",
	      f);
	for (unsigned i = 0; i < SG_V_MAX; i++)
		fprintf(f, "splicegate_bpf_verdicts_total{verdict=\"%s\"} %llu\n",
			sg_splice_verdict_name(i), (unsigned long long)v->skbs[i]);
	fputs("# HELP splicegate_bpf_verdict_bytes_total Bytes of those verdicts.\n"
	      "# TYPE splicegate_bpf_verdict_bytes_total counter\n",
	      f);
	for (unsigned i = 0; i < SG_V_MAX; i++)
		fprintf(f, "splicegate_bpf_verdict_bytes_total{verdict=\"%s\"} %llu\n",
			sg_splice_verdict_name(i), (unsigned long long)v->bytes[i]);
}

static void render_counters(FILE *f, struct sg_stats *const *all, size_t n)
{
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *m = &metrics[i];

		if (m->help)
			fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", m->name, m->help, m->name);
		fprintf(f, "%s%s %llu\n", m->name, m->labels,
			(unsigned long long)sum(all, n, m->stat));
	}
}

/* Passive health: endpoints evicted and restored, summed over workers
 * (each evicts on its own: user/core/lb.h). agentgateway has no metric for it;
 * the names follow Envoy's outlier detection (ejections). */
static void render_evictions(FILE *f, const struct sg_stats_extra *x)
{
	uint64_t ev = 0, re = 0, now = 0;

	for (size_t w = 0; x->lbs && w < x->workers; w++) {
		uint64_t a, b, c;

		if (!x->lbs[w])
			continue;
		sg_lb_totals(x->lbs[w], &a, &b, &c);
		ev += a;
		re += b;
		now += c;
	}
	fprintf(f,
		"# HELP splicegate_endpoint_evictions_total Endpoints evicted by passive health "
		"(per worker, summed).\n# TYPE splicegate_endpoint_evictions_total counter\n"
		"splicegate_endpoint_evictions_total %llu\n"
		"# HELP splicegate_endpoint_restores_total Evicted endpoints restored after their "
		"eviction time.\n# TYPE splicegate_endpoint_restores_total counter\n"
		"splicegate_endpoint_restores_total %llu\n"
		"# HELP splicegate_endpoints_evicted Endpoints evicted now (per worker, summed).\n"
		"# TYPE splicegate_endpoints_evicted gauge\nsplicegate_endpoints_evicted %llu\n",
		(unsigned long long)ev, (unsigned long long)re, (unsigned long long)now);
}

/* Per-endpoint counters, summed over workers: the first
 * SG_STATS_ENDPOINT_SERIES endpoints met have a series each, any past that
 * are summed in one labelled "_other", so that a backend of many endpoints
 * (or endpoints churning over reloads) cannot grow a scrape without bound. */
#define SG_STATS_ENDPOINT_SERIES 256
#define EP_SLOTS (2 * SG_STATS_ENDPOINT_SERIES) /* open addressing, half full at most */

enum ep_counter { EP_TRIES, EP_FAILED, EP_EVICTIONS, EP_COUNTERS };

struct ep_sum {
	char key[SG_ENDPOINT_TEXT_SIZE]; /* "" when the slot is free */
	uint64_t v[EP_COUNTERS];
};

struct ep_sums {
	struct ep_sum slot[EP_SLOTS];
	struct ep_sum other; /* key set once an endpoint fell in it */
	size_t n;
};

static void ep_add(struct ep_sum *s, uint64_t tries, uint64_t failed, uint64_t evictions)
{
	s->v[EP_TRIES] += tries;
	s->v[EP_FAILED] += failed;
	s->v[EP_EVICTIONS] += evictions;
}

static void ep_visit(void *ctx, const char *key, uint64_t tries, uint64_t failed,
		     uint64_t evictions)
{
	struct ep_sums *t = ctx;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (size_t i = 0; i < EP_SLOTS; i++) {
		struct ep_sum *s = &t->slot[(h + i) % EP_SLOTS];

		if (!strcmp(s->key, key)) {
			ep_add(s, tries, failed, evictions);
			return;
		}
		if (s->key[0])
			continue;
		if (t->n == SG_STATS_ENDPOINT_SERIES)
			break;
		snprintf(s->key, sizeof(s->key), "%s", key);
		t->n++;
		ep_add(s, tries, failed, evictions);
		return;
	}
	snprintf(t->other.key, sizeof(t->other.key), "%s", OTHER);
	ep_add(&t->other, tries, failed, evictions);
}

static void ep_family(FILE *f, const struct ep_sums *t, const char *name, const char *help,
		      enum ep_counter c)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i <= EP_SLOTS; i++) {
		const struct ep_sum *s = i < EP_SLOTS ? &t->slot[i] : &t->other;

		if (!s->key[0])
			continue;
		fprintf(f, "%s{endpoint=\"", name);
		put_label(f, s->key);
		fprintf(f, "\"} %llu\n", (unsigned long long)s->v[c]);
	}
}

static int render_endpoints(FILE *f, const struct sg_stats_extra *x)
{
	struct ep_sums *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	for (size_t w = 0; x->lbs && w < x->workers; w++)
		if (x->lbs[w])
			sg_lb_each(x->lbs[w], ep_visit, t);
	ep_family(f, t, "splicegate_endpoint_tries_total",
		  "Tries sent to each backend endpoint (a series for each of the first 256 "
		  "endpoints, one summing any beyond them).",
		  EP_TRIES);
	ep_family(f, t, "splicegate_endpoint_failed_tries_total",
		  "Tries to each endpoint judged unhealthy: no response, or a status its "
		  "backend's health policy counts as a failure (5xx by default).",
		  EP_FAILED);
	ep_family(f, t, "splicegate_endpoint_ejections_total",
		  "Times passive health evicted each endpoint (per worker, summed).", EP_EVICTIONS);
	free(t);
	return 0;
}

char *sg_stats_render(struct sg_stats *const *all, size_t n, const struct sg_stats_extra *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int64_t active = 0;

	if (!f)
		return NULL;
	render_process(f, x);
	render_counters(f, all, n);
	if (x->verdicts)
		render_verdicts(f, x->verdicts);
	for (size_t w = 0; w < n; w++)
		active += all[w]->active;
	fprintf(f,
		"# HELP splicegate_active_connections Open client connections.\n"
		"# TYPE splicegate_active_connections gauge\nsplicegate_active_connections %lld\n",
		(long long)active);
	fputs("# HELP splicegate_config_reloads_total Config changes (apply, delete, reload), "
	      "by result.\n# TYPE splicegate_config_reloads_total counter\n",
	      f);
	fprintf(f, "splicegate_config_reloads_total{result=\"ok\"} %llu\n",
		(unsigned long long)x->reloads_ok);
	fprintf(f, "splicegate_config_reloads_total{result=\"failed\"} %llu\n",
		(unsigned long long)x->reloads_failed);
	fprintf(f,
		"# HELP splicegate_config_last_reload_successful Whether the last config change "
		"(start, reload, apply, delete) went in force.\n"
		"# TYPE splicegate_config_last_reload_successful gauge\n"
		"splicegate_config_last_reload_successful %d\n"
		"# HELP splicegate_config_last_reload_success_timestamp_seconds When the last "
		"config "
		"that went in force did.\n"
		"# TYPE splicegate_config_last_reload_success_timestamp_seconds gauge\n"
		"splicegate_config_last_reload_success_timestamp_seconds %lld\n",
		x->reload_last_ok ? 1 : 0, (long long)x->reload_ok_at);
	fprintf(f,
		"# HELP splicegate_workers Worker threads.\n# TYPE splicegate_workers gauge\n"
		"splicegate_workers %u\n",
		x->workers);
	active = 0;
	for (size_t w = 0; w < n; w++)
		active += atomic_load_explicit(&all[w]->requests_active, memory_order_relaxed);
	fprintf(f,
		"# HELP splicegate_active_requests HTTP requests begun and not over.\n"
		"# TYPE splicegate_active_requests gauge\nsplicegate_active_requests %lld\n",
		(long long)active);
	render_failures(f, all, n);
	render_evictions(f, x);
	if (x->mcp)
		fprintf(f,
			"# HELP splicegate_mcp_target_restarts_total MCP stdio targets' processes "
			"started again after they went.\n"
			"# TYPE splicegate_mcp_target_restarts_total counter\n"
			"splicegate_mcp_target_restarts_total %llu\n"
			"# HELP splicegate_mcp_target_processes MCP stdio targets' processes "
			"running "
			"now.\n# TYPE splicegate_mcp_target_processes gauge\n"
			"splicegate_mcp_target_processes %llu\n",
			(unsigned long long)x->mcp_restarts, (unsigned long long)x->mcp_processes);
	if (render_endpoints(f, x) < 0 || render_agw_requests(f, all, n) < 0 ||
	    render_mcp(f, all, n) < 0 || render_series(f, all, n) < 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
