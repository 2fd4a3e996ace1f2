/* The gateway's MCP endpoint: a route whose backend is agentgateway's
 * `mcp` serves MCP's streamable HTTP transport itself (POST of JSON-RPC
 * messages, Mcp-Session-Id sessions, the GET stream, DELETE to end one)
 * and federates the
 * backend's targets (stdio children) behind it: initialize fanned out
 * and merged, lists merged with target prefixes, calls routed by prefix.
 *
 * One hub serves the whole gateway, on the MCP service's thread
 * (user/mcp/mcpsvc.h), so that a session begun on one worker's
 * connection is found from every other's. A worker reads what the hub
 * needs of a request into an ask (sg_mcp_ask_of, on its own thread), and
 * writes the hub's reply to the client (sg_mcp_answer). What targets send
 * the client (notifications, progress, their own requests) goes on a
 * call's event stream: a GET's, or a POST's whose client accepts one. */
#ifndef SG_MCP_H
#define SG_MCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/base/loop.h"

struct sg_mcp_hub;
struct sg_request;

/* Sessions the gateway holds at most, and a session's idle life. */
#define SG_MCP_SESSIONS_MAX 256
#define SG_MCP_SESSION_IDLE_MS (30 * 60 * 1000)
/* A call to the targets is answered with a JSON-RPC error after this. */
#define SG_MCP_CALL_MS 60000
/* Child processes in the whole process, at most. */
#define SG_MCP_CHILDREN_MAX 512
/* One client address's share of each (1/8): no source holds more at
 * once, so that one client of an open route cannot take them all and
 * deny every other. */
#define SG_MCP_SESSIONS_PER_SOURCE (SG_MCP_SESSIONS_MAX / 8)
#define SG_MCP_CHILDREN_PER_SOURCE (SG_MCP_CHILDREN_MAX / 8)
/* A session id: 32 hex digits. */
#define SG_MCP_SID_LEN 32
/* Bytes a session's event streams may hold for their clients (handed to a
 * worker, not yet written to a socket: twice the largest message), and
 * messages for the client a target may send in a second: past either,
 * the target is cut off. */
#define SG_MCP_QUEUE_MAX (8u << 20)
#define SG_MCP_FLOOD_PER_SEC 1000
/* A session's targets' requests waiting for the client's response. */
#define SG_MCP_UPREQS_MAX 32
/* A stdio target whose process goes while its session is in use is
 * started again after SG_MCP_RESTART_MS, doubled at each restart in a
 * row, SG_MCP_RESTARTS in a row at most (a process that lived
 * SG_MCP_RESTART_RESET_MS starts the count again); then it is gone for
 * the session. */
#define SG_MCP_RESTARTS 5
#define SG_MCP_RESTART_MS 250
#define SG_MCP_RESTART_RESET_MS 60000
/* A restarted process that has not answered the gateway's initialize
 * after this is taken for gone: what waits for it fails, and it is
 * killed and started again with the back-off above. agentgateway bounds
 * no handshake (it restarts nothing); a silent one would hold every call
 * for SG_MCP_CALL_MS. Generous, since a program such as node or npx may
 * take seconds to start on a busy host; a stateless backend's handshake,
 * a first start as a client's initialize is, has its call's bound. */
#define SG_MCP_HANDSHAKE_MS 10000
/* The protocol version a stateless backend's targets are initialized
 * with when the request names none (agentgateway's). */
#define SG_MCP_STATELESS_VERSION "2025-11-25"

enum sg_mcp_method { SG_MCP_POST, SG_MCP_GET, SG_MCP_DELETE, SG_MCP_OTHER };

/* A client request as the hub reads it: copies, so that it may be read on
 * another thread while the request's own buffers change. */
struct sg_mcp_ask {
	const struct sg_mcp_backend *m; /* the route's; its config held by the asker */
	/* The route's key (its config's; NULL: ""). A session serves the
	 * route that began it, as agentgateway's serves the backend it
	 * names after its route ("<route key>/backend0"). */
	const char *route;
	/* Who the route's authentication proved the caller is (its token's
	 * issuer and subject, its API key, its basicAuth user; malloc'd;
	 * NULL: no one). A session serves the caller that began it, as MCP's
	 * security practices have a server bind its sessions to the user:
	 * an id read in an access log or a trace, or taken from another
	 * client, is no way into that caller's session (its targets, its GET
	 * stream and what they ask the client on it). */
	char *caller;
	/* The client's address as text (a PROXY protocol header's, when one
	 * came); "": none known. Its sessions and their processes count
	 * against its share (SG_MCP_SESSIONS_PER_SOURCE). */
	char source[64];
	enum sg_mcp_method method;
	bool json; /* Content-Type: application/json */
	bool sse;  /* Accept names text/event-stream: the answer may be a stream */
	/* Accept does not name both application/json and text/event-stream,
	 * as a POST's must (MCP's streamable HTTP: 406, agentgateway's
	 * InvalidAccept; a legacy POST's need not). */
	bool accept_lacks;
	/* MCP's legacy SSE transport (2024-11-05), as agentgateway serves it
	 * at the path /sse: a GET opens a session and its stream, whose first
	 * event names where to POST (`endpoint`, the GET's target with
	 * ?sessionId= added); a POST names its session in that query. */
	bool legacy;
	char *endpoint;	 /* a legacy GET's target as the client sent it (malloc'd) */
	bool rebound;	 /* Host or Origin is not the loopback's (dnsRebindingProtection) */
	bool body_whole; /* the body is all in `body` */
	bool has_sid;	 /* Mcp-Session-Id was sent */
	/* A legacy POST's query gives sessionId twice (has_sid false then):
	 * a link to the stream that carried one (a session fixed for its
	 * client by whoever holds that one's stream) made an endpoint
	 * naming both, which agentgateway's query reader refuses too. */
	bool sid_twice;
	bool version_unknown; /* MCP-Protocol-Version names a version not spoken */
	char version[16];     /* MCP-Protocol-Version when it names one spoken; "": none */
	/* Last-Event-ID (a GET resuming the session's stream), as sent; a
	 * longer one cut to a length no id has. */
	bool has_last_id;
	char last_id[24];
	bool traced; /* the request is traced: the reply tells its calls to targets */
	char sid[SG_MCP_SID_LEN + 2]; /* as sent (a legacy POST's sessionId); a longer one
				       * cut to a length no session has */
	char *body;		      /* malloc'd; NULL with body_len 0 */
	size_t body_len;
	/* A POST's header lines ("Name: value\r\n" each) that an openapi
	 * target passes on to its API, as agentgateway does (malloc'd; NULL:
	 * none, or the backend has no openapi target). */
	char *headers;
};

/* One message of a call to a target, for its span (a traced request's). */
struct sg_mcp_tcall {
	char target[64];	   /* the target's name (cut past that) */
	char method[48];	   /* the JSON-RPC method */
	char tool[64];		   /* tools/call: the tool's name at the target; "": none */
	uint64_t start_ns, end_ns; /* Unix ns; start 0: no message went to it */
	char error[128];	   /* why it failed; "": it did not */
};

/* The hub's reply to an ask. */
struct sg_mcp_reply {
	uint16_t status;
	char *body;		      /* malloc'd JSON text; NULL: none */
	char sid[SG_MCP_SID_LEN + 1]; /* the session to name (initialize's); "": none */
	const char *allow;	      /* a 405's Allow (static); NULL: GET, POST, DELETE */
	/* A traced ask's calls to targets (malloc'd, the receiver's to free):
	 * ntcalls entries, those with start_ns 0 unused. */
	struct sg_mcp_tcall *tcalls;
	size_t ntcalls;
};

/* *a read from r (routed to an `mcp` backend); false when out of memory
 * (*a holds nothing then). */
bool sg_mcp_ask_of(struct sg_mcp_ask *a, const struct sg_request *r);

/* Who r's authentication proved the caller is, as an ask's `caller`: 0
 * with *out (malloc'd; NULL: no one), or -ENOMEM. */
int sg_mcp_caller_of(const struct sg_request *r, char **out);
void sg_mcp_ask_free(struct sg_mcp_ask *a);

/* The reply written to r's client (with the route's response edit);
 * rep->body is freed. On r's thread. */
void sg_mcp_answer(struct sg_request *r, struct sg_mcp_reply *rep);

/* Told once of a call's reply, on the hub's loop: rep NULL when the hub
 * ended first without one. Returns whether someone still waits for it:
 * false ends the session an initialize began (its client never learns
 * the id). */
typedef bool (*sg_mcp_done_fn)(void *data, struct sg_mcp_reply *rep);

/* How the hub hands a call's event stream to whoever asked (done's data
 * names the call). Without them no call streams and GET is answered 405. */
struct sg_mcp_stream_ops {
	/* Before the call's reply, on the hub's loop: text[0..len) (malloc'd,
	 * taken) is the next server-sent event for its client, or with text
	 * NULL the stream's head goes now (a GET's). The reply that follows
	 * ends the stream (its body the last event). Returns false when no
	 * one reads it any more (text freed). */
	bool (*event)(void *data, char *text, size_t len);
	/* Bytes of the call's events not yet written to its client's socket. */
	size_t (*waiting)(const void *data);
};

/* A hub on `loop` (the caller's: sg_mcp_hub_free), NULL when out of
 * memory. Every call below is on loop's thread. */
struct sg_mcp_hub *sg_mcp_hub_new(struct sg_loop *loop);

/* The hub's calls may stream through ops (static; set once, first). */
void sg_mcp_hub_set_stream(struct sg_mcp_hub *hub, const struct sg_mcp_stream_ops *ops);

/* text (a JSON-RPC message, malloc'd, taken) to the client of legacy
 * session `sid` of route `route` and of `caller` (as an ask's) on its
 * stream, as an event: a legacy POST's answer, which its worker filtered
 * first (mcpAuthorization). No such session or stream: dropped. */
void sg_mcp_hub_relay(struct sg_mcp_hub *hub, const char *sid, const char *route,
		      const char *caller, char *text);

/* Answer `ask` (read now, not kept): done(data, reply) follows, from the
 * loop; from inside this call only when out of memory (a 503). */
void sg_mcp_hub_call(struct sg_mcp_hub *hub, const struct sg_mcp_ask *ask, sg_mcp_done_fn done,
		     void *data);

/* Whether a call with done's data `data` is pending: compared by
 * address, `data` not read. */
bool sg_mcp_hub_pending(const struct sg_mcp_hub *hub, const void *data);

/* The pending call with done's data `data` is given up: done(data, NULL)
 * now, and the session an initialize began ends (its children killed).
 * No such call: nothing. */
void sg_mcp_hub_cancel(struct sg_mcp_hub *hub, const void *data);

/* Target processes restarted by the hub since it began. Any thread. */
uint64_t sg_mcp_hub_restarts(const struct sg_mcp_hub *hub);

/* Every session ended (their children killed); every call still
 * pending is told done(data, NULL); hub freed. NULL is fine. */
void sg_mcp_hub_free(struct sg_mcp_hub *hub);

#endif
