/* GET /stats: one batch lookup over the state map, rendered with cJSON. */
#include "admin/sockstats.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

/* Enough for every socket the map can hold. */
#define SOCKSTATS_MAX SG_MAX_SOCKS

static cJSON *socket_json(const struct sg_splice_sock *k)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "cookie", (double)k->cookie);
	cJSON_AddNumberToObject(o, "bytes", (double)k->bytes);
	cJSON_AddNumberToObject(o, "redirected", (double)k->redirected);
	cJSON_AddNumberToObject(o, "passed", (double)k->passed);
	cJSON_AddNumberToObject(o, "idleMs", (double)(k->idle_ns / 1000000u));
	cJSON_AddBoolToObject(o, "passing", k->passing);
	if (k->corrupt)
		cJSON_AddBoolToObject(o, "corrupt", true);
	return o;
}

static cJSON *verdicts_json(struct sg_splice *s)
{
	struct sg_splice_counters c;
	cJSON *o = cJSON_CreateObject();

	if (!o || sg_splice_counters(s, &c))
		return o;
	for (unsigned v = 0; v < SG_V_MAX; v++) {
		cJSON *e = cJSON_AddObjectToObject(o, sg_splice_verdict_name(v));

		if (!e)
			break;
		cJSON_AddNumberToObject(e, "skbs", (double)c.skbs[v]);
		cJSON_AddNumberToObject(e, "bytes", (double)c.bytes[v]);
	}
	return o;
}

char *sg_sockstats_json(struct sg_splice *s, const char *engine)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	struct sg_splice_sock *socks = NULL;
	ssize_t n = 0;
	char *out;

	if (!doc)
		return NULL;
	cJSON_AddStringToObject(doc, "engine", engine);
	cJSON_AddStringToObject(doc, "bpf", s ? sg_splice_describe(s) : "not in use");
	if (s) {
		socks = malloc(SOCKSTATS_MAX * sizeof(*socks));
		n = socks ? sg_splice_stats(s, socks, SOCKSTATS_MAX) : -1;
		if (n < 0)
			n = 0;
	}
	cJSON_AddNumberToObject(doc, "splicedSockets", (double)n);
	arr = cJSON_AddArrayToObject(doc, "sockets");
	for (ssize_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, socket_json(&socks[i]));
	free(socks);
	if (s)
		cJSON_AddItemToObject(doc, "verdicts", verdicts_json(s));
	out = cJSON_Print(doc);
	cJSON_Delete(doc);
	return out;
}
