/* Counters and their Prometheus rendering. Hot counters are relaxed atomics
 * (one writer each); the request table takes a per-worker mutex that only
 * the scrape contends for. */
#include "user/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_stats_init(struct sg_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
}

void sg_stats_destroy(struct sg_stats *s)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		free(s->reqs[i].listener);
		free(s->reqs[i].route);
	}
	free(s->reqs);
	pthread_mutex_destroy(&s->lock);
}

void sg_stats_add(struct sg_stats *s, enum sg_stat which, uint64_t n)
{
	s->counters[which] += n;
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

static void render_requests(FILE *f, struct sg_stats *const *all, size_t n)
{
	fputs("# HELP splicegate_requests_total HTTP requests answered, by listener, route and "
	      "status.\n# TYPE splicegate_requests_total counter\n",
	      f);
	for (size_t w = 0; w < n; w++) {
		pthread_mutex_lock(&all[w]->lock);
		for (size_t i = 0; i < all[w]->nreqs; i++) {
			const struct sg_stat_req *e = &all[w]->reqs[i];

			fputs("splicegate_requests_total{listener=\"", f);
			put_label(f, e->listener);
			fputs("\",route=\"", f);
			put_label(f, e->route);
			fprintf(f, "\",status=\"%u\",worker=\"%zu\"} %llu\n", e->status, w,
				(unsigned long long)e->count);
		}
		pthread_mutex_unlock(&all[w]->lock);
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
	{ "splicegate_retries_total", "Attempts after the first.", "", SG_STAT_RETRIES },
	{ "splicegate_timeouts_total", "Timeouts, by kind.", "{kind=\"request\"}",
	  SG_STAT_TIMEOUT_REQUEST },
	{ "splicegate_timeouts_total", NULL, "{kind=\"backend\"}", SG_STAT_TIMEOUT_BACKEND },
	{ "splicegate_timeouts_total", NULL, "{kind=\"connect\"}", SG_STAT_TIMEOUT_CONNECT },
	{ "splicegate_timeouts_total", NULL, "{kind=\"idle\"}", SG_STAT_TIMEOUT_IDLE },
	{ "splicegate_timeouts_total", NULL, "{kind=\"h2_keepalive\"}", SG_STAT_TIMEOUT_H2_PING },
	{ "splicegate_timeouts_total", NULL, "{kind=\"request_head\"}", SG_STAT_TIMEOUT_HEAD },
	{ "splicegate_timeouts_total", NULL, "{kind=\"body_idle\"}", SG_STAT_TIMEOUT_BODY },
	{ "splicegate_timeouts_total", NULL, "{kind=\"tls_client_hello\"}",
	  SG_STAT_TIMEOUT_TLS_HELLO },
	{ "splicegate_connections_refused_total", "Client connections closed unread, by reason.",
	  "{reason=\"per_source\"}", SG_STAT_REFUSED_SOURCE },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"h2_reset_flood\"}",
	  SG_STAT_H2_RESET_FLOOD },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_no_sni\"}",
	  SG_STAT_TLS_NO_SNI },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_no_route\"}",
	  SG_STAT_TLS_NO_ROUTE },
	{ "splicegate_connections_refused_total", NULL, "{reason=\"tls_bad_client_hello\"}",
	  SG_STAT_TLS_BAD_HELLO },
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
};

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

char *sg_stats_render(struct sg_stats *const *all, size_t n, const struct sg_stats_extra *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int64_t active = 0;

	if (!f)
		return NULL;
	render_requests(f, all, n);
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
		"# HELP splicegate_workers Worker threads.\n# TYPE splicegate_workers gauge\n"
		"splicegate_workers %u\n",
		x->workers);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
