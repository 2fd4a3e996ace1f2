/* A session's GET stream made resumable (MCP's "Resumability and
 * Redelivery"): each event it carries gets an id, a number counted per
 * session (so unique across the session's streams), and the last events
 * are kept, bounded, so that a GET that comes back with Last-Event-ID
 * gets those it missed, including those made while no GET was open. No
 * I/O. */
#ifndef SG_MCP_MCPREPLAY_H
#define SG_MCP_MCPREPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "user/base/list.h"

/* Events kept per stream at most, and their bytes (each event's whole
 * text): past either the oldest are let go. */
#define SG_MCP_REPLAY_EVENTS 64
#define SG_MCP_REPLAY_BYTES (256u << 10)

/* Owned by its session; zeroed, then sg_mcp_replay_init. */
struct sg_mcp_replay {
	struct sg_list events; /* kept, oldest first */
	size_t n, bytes;
	uint64_t last; /* the last id given; 0: none yet */
};

void sg_mcp_replay_init(struct sg_mcp_replay *r);

/* The stream's next event, a message carrying data[0..len): "id: N\n"
 * then sg_sse_event_text's "event: message\ndata: ...\n\n". Returns it
 * malloc'd (the caller's; *out_len its length) and keeps a copy, letting
 * the oldest go past the bounds above (an event larger than
 * SG_MCP_REPLAY_BYTES alone is not kept). NULL when out of memory (no id
 * is used then). */
char *sg_mcp_replay_add(struct sg_mcp_replay *r, const char *data, size_t len, size_t *out_len);

/* Told each event to replay: text[0..len) malloc'd, taken. */
typedef void (*sg_mcp_replay_fn)(void *arg, char *text, size_t len);

/* Each kept event after id[0..id_len) (a Last-Event-ID as the client sent
 * it) to fn, oldest first, while their texts together fit in `room`
 * bytes: the first that does not, and those after it, are not told (a
 * client that reads what it got and comes back with the last id it saw
 * gets them then, while they are kept). An id older than the oldest kept
 * replays all that is kept (the rest is lost). Returns the events told;
 * -EINVAL when id is not one this stream gave (not a decimal number, or
 * past the last given): nothing is told; -ENOMEM when a copy failed
 * (those before it were told). */
int sg_mcp_replay_since(const struct sg_mcp_replay *r, const char *id, size_t id_len, size_t room,
			sg_mcp_replay_fn fn, void *arg);

/* What r keeps, let go; r may be used again after sg_mcp_replay_init. */
void sg_mcp_replay_free(struct sg_mcp_replay *r);

#endif
