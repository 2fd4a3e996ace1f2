/* agentgateway's a2a policy (Agent2Agent) on a route's requests: an agent
 * card (GET .../.well-known/agent.json or agent-card.json) comes back
 * with its URLs pointing at the gateway, so that clients keep going
 * through it, and a JSON-RPC call's method and its JSON answer's outcome
 * are logged (a2a.* fields). No I/O: user/core/request.c holds the card
 * and the answers and calls these. */
#ifndef SG_A2A_H
#define SG_A2A_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sg_a2a_kind {
	SG_A2A_NONE, /* not an a2a route, or neither of the two */
	SG_A2A_CARD, /* GET of an agent card */
	SG_A2A_CALL, /* POST: a JSON-RPC call */
};

/* What a request on an a2a route is, by its method and path (no query). */
enum sg_a2a_kind sg_a2a_classify(const char *method, size_t mlen, const char *path, size_t plen);

/* path[0..len) without the agent card's suffix: its length. */
size_t sg_a2a_base_len(const char *path, size_t len);

/* The card body[0..len) with its URL(s) pointing at the gateway: the
 * v0.3 `url` becomes `gateway` (the URL the client asked, without the
 * card's suffix); each v1.0 `supportedInterfaces[].url` becomes gateway
 * with the interface's path past `agent` (the backend's agent path: the
 * path the backend was asked, without the suffix) appended, or its whole
 * path when it is not under it. 0 with *out (malloc'd, compact JSON, the
 * members in their order), or -1 with why (agentgateway's words). */
int sg_a2a_card(const char *body, size_t len, const char *gateway, const char *agent, char **out,
		size_t *outlen, const char **why);

/* A call's logged fields: its method (from the request body), and from a
 * JSON answer the outcome (success, error, unknown), the error's code,
 * the result's kind, task state and contextId (A2A v0.3's flat result or
 * v1.0's result.task / result.message); "" or has_* false: absent. */
struct sg_a2a_log {
	char method[64];
	bool answered; /* a JSON answer was read */
	const char *outcome;
	bool has_code;
	int64_t code;
	char code_text[24]; /* code in decimal */
	char kind[16], state[32], context[128];
};

/* The JSON-RPC method of request body[0..len) into l->method; "unknown"
 * when the body is not JSON with a non-empty string method. */
void sg_a2a_method(const char *body, size_t len, struct sg_a2a_log *l);

/* The answer body[0..len) read into l (answered set; nothing when it is
 * not JSON). */
void sg_a2a_answer(const char *body, size_t len, struct sg_a2a_log *l);

#endif
