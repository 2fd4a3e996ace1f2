/* JSON-RPC 2.0 messages as MCP carries them: one message read from a
 * bounded text (a POST body, a line of a stdio target), and the texts the
 * gateway writes (errors, results, requests with its own ids). No I/O. */
#ifndef SG_JSONRPC_H
#define SG_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/base/json.h"

/* The largest message read, either way. */
#define SG_JSONRPC_MAX (4u << 20)

/* JSON-RPC's error codes the gateway answers with. */
#define SG_JSONRPC_PARSE_ERROR (-32700)
#define SG_JSONRPC_INVALID_REQUEST (-32600)
#define SG_JSONRPC_METHOD_NOT_FOUND (-32601)
#define SG_JSONRPC_INVALID_PARAMS (-32602)
#define SG_JSONRPC_INTERNAL_ERROR (-32603)
/* MCP's (implementation-defined range): no such session; a target failed. */
#define SG_JSONRPC_SESSION_ERROR (-32001)
#define SG_JSONRPC_TARGET_ERROR (-32002)

enum sg_jsonrpc_kind {
	SG_JSONRPC_REQUEST,	 /* method and id */
	SG_JSONRPC_NOTIFICATION, /* method, no id */
	SG_JSONRPC_RESPONSE,	 /* id and result or error */
};

/* One message. Owns root; the other pointers are into it. */
struct sg_jsonrpc {
	enum sg_jsonrpc_kind kind;
	struct sg_json *root;
	const struct sg_json *id;     /* a string or a number (as written); NULL: none (or an
				       * error response's null id) */
	const char *method;	      /* requests and notifications */
	const struct sg_json *params; /* an object or array; NULL: none */
	const struct sg_json *result; /* responses: one of these two */
	const struct sg_json *error;
};

/* Read one message from text[0..len) (need not be NUL-terminated; at most
 * SG_JSONRPC_MAX bytes). Returns 0 with *m filled (the caller frees it
 * with sg_jsonrpc_free), or a JSON-RPC error code with *why saying what
 * was wrong: SG_JSONRPC_PARSE_ERROR for text that is not one JSON value
 * (or too long), SG_JSONRPC_INVALID_REQUEST for JSON that is not a
 * JSON-RPC 2.0 message (a batch among them: MCP 2025-06-18 has none);
 * -ENOMEM when memory ran out. On failure *m holds nothing to free, but
 * m->id is the message's id when one could be read (for the error's id);
 * the caller then frees m->root with sg_json_free. */
int sg_jsonrpc_parse(const char *text, size_t len, struct sg_jsonrpc *m, const char **why);

/* Release what m holds; m may be zeroed or freed already. */
void sg_jsonrpc_free(struct sg_jsonrpc *m);

/* id (a message's "id") as one of the gateway's own ids: a whole number
 * from 1 to 2^64 - 1, exactly. False for anything else (a string, 1.5,
 * 0, 1e30), which is then no answer to the gateway's requests. */
bool sg_jsonrpc_id_u64(const struct sg_json *id, uint64_t *out);

/* Texts, malloc'd (free()); NULL when out of memory. `id` NULL writes
 * "id":null. */
/* {"jsonrpc":"2.0","id":ID,"error":{"code":CODE,"message":MSG}} */
char *sg_jsonrpc_error_text(const struct sg_json *id, int code, const char *msg);
/* {"jsonrpc":"2.0","id":ID,"result":RESULT} with RESULT as given (JSON text).
 * ID is a request's: a result never carries "id":null (JSON-RPC 2.0 §5). */
char *sg_jsonrpc_result_text(const struct sg_json *id, const char *result);
/* Response `resp` (a target's) with the id `id` instead of its own. */
char *sg_jsonrpc_reply_text(const struct sg_json *id, const struct sg_jsonrpc *resp);
/* m with its id replaced by the number `id` (a request the gateway sends
 * on with its own id), or dropped (id 0: a notification goes on as it is). */
char *sg_jsonrpc_with_id(const struct sg_jsonrpc *m, uint64_t id);

#endif
