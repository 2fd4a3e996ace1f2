/* A session's targets (user/mcp/mcptarget.c: started, initialized,
 * restarted, sent to, and what they send the client), and the hub's
 * insides they share with user/mcp/mcp.c (the sessions, the calls, their
 * fan-out and answers). Only those two include it: mcp.h is the hub's
 * contract. */
#ifndef SG_MCP_MCPTARGET_H
#define SG_MCP_MCPTARGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/base/list.h"
#include "user/base/loop.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/mcp.h"
#include "user/mcp/mcpreplay.h"

/* Calls a session has in flight at most. */
#define MCP_CALLS_MAX 64
/* Response header lines an answer carries besides the route's. */
#define MCP_LINES 4

struct sg_srclimit;

struct sg_mcp_hub {
	struct sg_loop *loop;
	const struct sg_mcp_stream_ops *stream; /* NULL: no call streams */
	struct sg_list sessions;
	size_t nsessions;
	struct sg_list calls; /* every call not over (struct call's `all`) */
	/* Sessions, and target processes, per client address (each session
	 * holds one place in the first, each process of its one in the
	 * second), within SG_MCP_*_PER_SOURCE. The hub's. */
	struct sg_srclimit *src_sessions, *src_children;
	_Atomic uint64_t restarts; /* target processes restarted; read by the metrics */
	/* the client's header lines of the call whose message send_to is
	 * sending (an openapi target passes them on); NULL: none */
	const char *sending;
};

struct session;

/* One target of a session: its child, or its streamable HTTP end; dead
 * once it is gone for good. A target that is not yet initialized by the
 * gateway itself (a restarted process, a stateless backend's) holds what
 * is sent to it until its initialize is answered: its handshake. */
struct target {
	struct session *s;
	size_t idx;
	struct sg_mcp_child *child;
	struct sg_mcp_http *http;
	struct sg_mcp_openapi *api; /* an openapi target's: the gateway is the server */
	bool sse; /* http speaks the legacy transport: its messages name no call */
	bool dead;
	bool started;	   /* its process spawned or its HTTP end opened, once */
	bool down;	   /* its process went: a new one starts at `restart` */
	bool cut;	   /* cut off for what it sent: never started again */
	const char *why;   /* static text or `failure`: why it is dead or failed */
	char failure[200]; /* why it is dead or failed, as it was told */
	uint64_t flood_at; /* loop ms: the second its messages for the client count in */
	unsigned flood_n;
	/* stdio of a stateful session: its config, copied (a reload frees
	 * the session's), for restarts; NULL: it is never restarted. */
	struct sg_mcp_target *conf;
	unsigned restarts; /* in a row */
	uint64_t born;	   /* loop ms its process started */
	struct sg_timer restart;
	uint64_t hs_id;		  /* the gateway's initialize to it, unanswered; 0: none */
	struct sg_timer hs_timer; /* hs_id's bound: SG_MCP_HANDSHAKE_MS */
	struct sg_list held;	  /* messages for it until its handshake ends (struct held) */
	size_t held_bytes;
};

/* A message held for a target until its handshake ends. */
struct held {
	struct sg_list link;
	uint64_t id; /* the request's (0: a notification or response) */
	size_t len;
	char text[];
};

/* A target's request relayed to the client (sampling, elicitation,
 * roots) under an id of the gateway's: the client's response goes back
 * to it with its own. */
struct upreq {
	uint64_t id; /* the client's; 0: a free slot */
	size_t target;
	char *orig; /* the target's id, JSON text */
};

struct call;

/* Owned by its hub from initialize until DELETE, idle expiry or the
 * hub's end. Its names are copies: a reload frees the config. */
struct session {
	struct sg_list link;
	struct sg_mcp_hub *hub;
	char id[33];
	char *route;	 /* the key of the route that began it (a copy) */
	char *caller;	 /* who began it, as its ask said ("": no one; a copy) */
	char source[64]; /* the client address it counts against (its ask's) */
	bool ready;	 /* initialize answered: the client may use it */
	bool prefix;	 /* names carry "<target>_" */
	bool fail_open;
	size_t n;
	char **names;
	struct target *targets;
	struct sg_list calls;
	size_t ncalls;
	uint64_t next_id;
	struct sg_timer idle;
	struct call *get; /* its GET stream; NULL: none open */
	bool legacy;	  /* begun by a legacy GET (/sse): it ends with that stream */
	uint64_t next_up;
	struct upreq ups[SG_MCP_UPREQS_MAX];
	/* statefulMode: stateless: the session of one request, never found
	 * by id, its targets started as that request needs them and
	 * initialized by the gateway with `version`; m is valid while its
	 * request lives, which the session does not outlive. */
	bool stateless;
	const struct sg_mcp_backend *m;
	char version[16];
	char *init; /* the client's initialize params (JSON): a restarted target's */
	/* The GET stream's event ids and replay (MCP's resumability), once a
	 * GET opened it: what it would carry is kept while none is open. */
	bool resumable;
	struct sg_mcp_replay replay;
};

enum call_op {
	CALL_LOCAL,  /* answered by the gateway alone */
	CALL_INIT,   /* initialize: every target, merged */
	CALL_LIST,   /* a list: every target, merged */
	CALL_ONE,    /* routed to one target */
	CALL_FIRST,  /* every target; the first success answers */
	CALL_NOTE,   /* a stateless notification: every target, then a ping each */
	CALL_STREAM, /* a GET: its session's stream, until the session ends */
};

/* One client request. Owned by the hub until its reply is told; then
 * freed from the loop's close queue. */
struct call {
	struct sg_list link; /* in its session's calls, while it waits */
	struct sg_list all;  /* in the hub's calls, until over */
	struct sg_mcp_hub *hub;
	sg_mcp_done_fn done; /* told the reply, with data */
	void *data;
	struct session *s; /* NULL: none (yet) */
	/* initialize's new session: ended with the answer unless it is ready */
	struct session *init_s;
	size_t n; /* entries of ids and got */
	struct sg_jsonrpc msg;
	enum call_op op;
	const char *key, *field; /* CALL_LIST: the list and its names */
	uint64_t *ids;		 /* per target: the id sent, 0: not waited for */
	struct sg_jsonrpc *got;	 /* per target: its response */
	size_t waiting;
	bool sse;		     /* its client takes an event stream */
	bool streamed;		     /* events went to it */
	struct session *gs;	     /* a GET's session, while it is that one's stream */
	const struct sg_json *token; /* its params' _meta.progressToken; NULL: none */
	struct sg_mcp_tcall *tc;     /* traced: per target, its message's span; NULL: none */
	char *headers;		     /* the ask's header lines (an openapi target's); NULL: none */
	/* The answer, once known. */
	uint16_t status;
	char *body;
	const char *allow; /* a 405's Allow; NULL: the default */
	struct sg_timer timer;
	struct sg_closing closing;
	bool over;
};

/* ---- mcp.c's, for the targets ------------------------------------------------ */

/* s ended: its targets stopped, its calls answered, its memory freed. */
void sg_mcp_session_end(struct session *s);
/* s's idle timer: the session ends. */
void sg_mcp_session_idle(struct sg_loop *loop, struct sg_timer *t);
/* Target i answered c (m, taken) or is gone (m NULL). */
void sg_mcp_target_response(struct call *c, size_t i, struct sg_jsonrpc *m);
/* The call of s waiting for target i's response `id`, or NULL. */
struct call *sg_mcp_waiting_for(struct session *s, size_t i, uint64_t id);

/* ---- mcptarget.c's, for the sessions and calls ----------------------------- */

/* A session of ask's route and of its backend's targets: started now
 * (stateful: the client's initialize is their handshake; stdio ones may
 * restart), or each when a request first goes to it (stateless:
 * sg_mcp_target_begin). */
struct session *sg_mcp_session_new(struct sg_mcp_hub *hub, const struct sg_mcp_ask *ask,
				   bool stateless);
/* A stateless session's target, started for the first request to it:
 * initialized by the gateway first unless that request is the client's
 * initialize. False when it cannot be. */
bool sg_mcp_target_begin(struct target *t, bool initialize);
/* t's process, if it has one, killed (reaped in the loop's close queue),
 * its place in its source's share given back. */
void sg_mcp_target_kill(struct target *t);
/* msg[0..len) to t, a request with id (0: a notification or response):
 * held while t is restarting or its handshake runs. */
int sg_mcp_target_send(struct target *t, const char *msg, size_t len, uint64_t id, bool init);
/* What is held for t, dropped (the calls waiting for it are the caller's
 * to answer). */
void sg_mcp_held_drop(struct target *t);
/* The client's response m to a target's request relayed to it: to that
 * target, with the target's own id. */
void sg_mcp_upreq_answered(struct session *s, const struct sg_jsonrpc *m);
/* Bytes waiting for the clients of s's open streams (its GET's, its
 * streaming calls'), which SG_MCP_QUEUE_MAX bounds. */
size_t sg_mcp_session_waiting(const struct session *s);
/* a and b (ids, progress tokens: strings or numbers) are the same. */
bool sg_mcp_same_id(const struct sg_json *a, const struct sg_json *b);

#endif
