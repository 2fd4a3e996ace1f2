/* The GET stream's replay buffer (the contract is mcpreplay.h): a list of
 * the last events' texts, their ids in order. */
#include "user/mcp/mcpreplay.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/codec/sse.h"

/* One event kept. Owned by its replay buffer. */
struct kept {
	struct sg_list link;
	uint64_t id;
	size_t len;
	char text[];
};

void sg_mcp_replay_init(struct sg_mcp_replay *r)
{
	sg_list_init(&r->events);
	r->n = r->bytes = 0;
	r->last = 0;
}

static void drop_oldest(struct sg_mcp_replay *r)
{
	struct kept *k = SG_LIST_ENTRY(sg_list_first(&r->events), struct kept, link);

	sg_list_remove(&k->link);
	r->n--;
	r->bytes -= k->len;
	free(k);
}

static void keep(struct sg_mcp_replay *r, const char *text, size_t len)
{
	struct kept *k;

	if (len > SG_MCP_REPLAY_BYTES) /* alone past the bound: lost to a reconnecting GET */
		return;
	while (r->n && (r->n >= SG_MCP_REPLAY_EVENTS || r->bytes + len > SG_MCP_REPLAY_BYTES))
		drop_oldest(r);
	if (!(k = malloc(sizeof(*k) + len)))
		return; /* out of memory: sent, not kept */
	k->id = r->last;
	k->len = len;
	memcpy(k->text, text, len);
	sg_list_insert_tail(&r->events, &k->link);
	r->n++;
	r->bytes += len;
}

char *sg_mcp_replay_add(struct sg_mcp_replay *r, const char *data, size_t len, size_t *out_len)
{
	char head[32];
	size_t elen;
	char *ev = sg_sse_event_text("message", data, len, &elen), *out;
	int hlen = snprintf(head, sizeof(head), "id: %llu\n", (unsigned long long)(r->last + 1));

	if (!ev || !(out = malloc((size_t)hlen + elen + 1))) {
		free(ev);
		return NULL;
	}
	memcpy(out, head, (size_t)hlen);
	memcpy(out + hlen, ev, elen + 1);
	free(ev);
	r->last++;
	*out_len = (size_t)hlen + elen;
	keep(r, out, *out_len);
	return out;
}

/* id[0..len) as a decimal number; false when it is not one. */
static bool number(const char *id, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!len || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (id[i] < '0' || id[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(id[i] - '0');
	}
	*out = v;
	return true;
}

int sg_mcp_replay_since(const struct sg_mcp_replay *r, const char *id, size_t id_len, size_t room,
			sg_mcp_replay_fn fn, void *arg)
{
	const struct sg_list *l;
	uint64_t after;
	int told = 0;

	if (!number(id, id_len, &after) || after > r->last)
		return -EINVAL;
	SG_LIST_FOR_EACH(l, &r->events) {
		const struct kept *k =
			(const struct kept *)((const char *)l - offsetof(struct kept, link));
		char *copy;

		if (k->id <= after)
			continue;
		if (k->len > room) /* in order or not at all: ids never skip */
			break;
		room -= k->len;
		if (!(copy = malloc(k->len + 1)))
			return -ENOMEM;
		memcpy(copy, k->text, k->len);
		copy[k->len] = '\0';
		fn(arg, copy, k->len);
		told++;
	}
	return told;
}

void sg_mcp_replay_free(struct sg_mcp_replay *r)
{
	while (r->n)
		drop_oldest(r);
}
