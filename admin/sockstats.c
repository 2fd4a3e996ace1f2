/* GET /stats: one batch lookup over the state map, and the workers'
 * endpoint state, rendered as JSON. */
#include "admin/sockstats.h"

#include <stdlib.h>

#include "user/base/json.h"

/* Enough for every socket the map can hold. */
#define SOCKSTATS_MAX SG_MAX_SOCKS

static struct sg_json *socket_json(const struct sg_splice_sock *k)
{
	struct sg_json *o = sg_json_object();

	if (!o)
		return NULL;
	sg_json_add_num(o, "cookie", (double)k->cookie);
	sg_json_add_num(o, "bytes", (double)k->bytes);
	sg_json_add_num(o, "redirected", (double)k->redirected);
	sg_json_add_num(o, "passed", (double)k->passed);
	sg_json_add_num(o, "idleMs", (double)(k->idle_ns / 1000000u));
	sg_json_add_bool(o, "passing", k->passing);
	if (k->corrupt)
		sg_json_add_bool(o, "corrupt", true);
	return o;
}

static struct sg_json *verdicts_json(struct sg_splice *s)
{
	struct sg_splice_counters c;
	struct sg_json *o = sg_json_object();

	if (!o || sg_splice_counters(s, &c))
		return o;
	for (unsigned v = 0; v < SG_V_MAX; v++) {
		struct sg_json *e = sg_json_add_object(o, sg_splice_verdict_name(v));

		if (!e)
			break;
		sg_json_add_num(e, "skbs", (double)c.skbs[v]);
		sg_json_add_num(e, "bytes", (double)c.bytes[v]);
	}
	return o;
}

char *sg_sockstats_json(struct sg_splice *s, const char *engine, struct sg_lb *const *lbs,
			size_t nlbs)
{
	struct sg_json *doc = sg_json_object(), *arr;
	struct sg_splice_sock *socks = NULL;
	ssize_t n = 0;
	char *out;

	if (!doc)
		return NULL;
	sg_json_add_str(doc, "engine", engine);
	sg_json_add_str(doc, "bpf", s ? sg_splice_describe(s) : "not in use");
	if (s) {
		socks = malloc(SOCKSTATS_MAX * sizeof(*socks));
		n = socks ? sg_splice_stats(s, socks, SOCKSTATS_MAX) : -1;
		if (n < 0)
			n = 0;
	}
	sg_json_add_num(doc, "splicedSockets", (double)n);
	arr = sg_json_add_array(doc, "sockets");
	for (ssize_t i = 0; arr && i < n; i++)
		sg_json_push(arr, socket_json(&socks[i]));
	free(socks);
	if (s)
		sg_json_add(doc, "verdicts", verdicts_json(s));
	sg_json_add(doc, "endpoints", sg_lb_json(lbs, nlbs));
	out = sg_json_print(doc, SG_JSON_TABS);
	sg_json_free(doc);
	return out;
}
