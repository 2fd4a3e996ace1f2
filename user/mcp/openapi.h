/* An MCP `openapi` target: an HTTP API whose operations are tools
 * (config/openapiconf.h made them at load), served as agentgateway's
 * mcp/upstream/openapi serves them. The gateway answers initialize and
 * the lists itself; a tools/call becomes the API's HTTP request (path
 * templated, query, headers, a JSON or binary body), made by the
 * gateway's own client (user/core/jwksfetch.h, the target's backendTLS
 * and backendAuth applied) on a short thread, and its answer the call's
 * result. The shape is mcphttp.h's: send, and the same callbacks. */
#ifndef SG_MCP_OPENAPI_H
#define SG_MCP_OPENAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/base/json.h"
#include "user/base/loop.h"
#include "user/mcp/mcphttp.h"

struct sg_mcp_openapi;

/* Calls in flight to one target at most (more wait, in order), and in the
 * whole process (each one a thread). */
#define SG_MCP_OPENAPI_PER_TARGET 8
#define SG_MCP_OPENAPI_THREADS_MAX 64
/* An API's answer is read up to this (agentgateway's default buffer). */
#define SG_MCP_OPENAPI_BODY_MAX (2u << 20)
/* A 5xx error's message quotes this much of the body at most. */
#define SG_MCP_OPENAPI_ERR_BODY_MAX 4096u

/* The HTTP request a call makes. */
struct sg_openapi_req {
	char *target;  /* path and query, as sent ("/api/v3/pet/7?status=sold") */
	char *headers; /* header lines, "Name: value\r\n" each ("" none) */
	char *body;    /* NULL: none */
	size_t body_len;
};

/* The request of a call of `tool` with `args` (the call's arguments, an
 * object; NULL: none) to an API whose server path is `prefix`, as
 * agentgateway builds it: args.path's values in the path's {templates}
 * (strings percent-encoded but for unreserved characters, numbers as
 * they print; another value or none leaves the template), args.query's
 * members as key=value (both percent-encoded but for letters and digits;
 * an array repeats its key, null writes the key alone, other values are
 * dropped), args.header's string members named among the tool's header
 * parameters (Host, Content-Length, Content-Type, Transfer-Encoding,
 * Accept, User-Agent, Connection and those in `taken`, header lines
 * already set, left alone; the first of a name), and args.body as JSON
 * (Content-Type: application/json) or, for an octet-stream body, its
 * base64 string decoded. Returns 0 with *out (the caller's:
 * sg_openapi_req_free), -EINVAL with why (a body that is not base64),
 * or -ENOMEM. */
int sg_openapi_request(const struct sg_openapi_tool *tool, const char *prefix,
		       const struct sg_json *args, const char *taken, struct sg_openapi_req *out,
		       char *why, size_t whylen);
void sg_openapi_req_free(struct sg_openapi_req *r);

/* A call's answer, as agentgateway makes it. Below 500: returns the
 * call's result (malloc'd JSON), its structured content the body (an
 * object or null as it is, other JSON as {"data": ...}, anything else as
 * {"code": STATUS, "message": TEXT}), its text content the same
 * serialized. 500 and above: NULL with *err the error's message
 * (malloc'd): "Upstream API call for tool 'NAME' failed with status 500
 * Internal Server Error: BODY", BODY as text (invalid UTF-8 replaced);
 * a body over SG_MCP_OPENAPI_ERR_BODY_MAX bytes is cut there, at a
 * character's start, and "... (N bytes in all)" follows it (agentgateway
 * quotes it whole). NULL with *err NULL: out of memory. */
char *sg_openapi_result(const char *tool, uint16_t status, const char *body, size_t len,
			char **err);

/* Target t (SG_MCP_OPENAPI) on `loop`, its tools copied (a reload frees
 * the config). Its messages come to ops->message (with the id of the
 * request they answer), a call whose API could not be reached (connect,
 * TLS, no answer, an answer over SG_MCP_OPENAPI_BODY_MAX) to ops->failed;
 * ops->gone is never called. Returns 0 with *out the caller's
 * (sg_mcp_openapi_close), or -ENOMEM. */
int sg_mcp_openapi_open(struct sg_loop *loop, const struct sg_mcp_target *t,
			const struct sg_mcp_http_ops *ops, void *arg, struct sg_mcp_openapi **out);

/* msg[0..len), a JSON-RPC message with the hub's id `id` (0: a
 * notification or response, which need no answer): answered from the
 * loop, never from inside this call. `client`: the header lines of the
 * client's request (NULL: none), which a tools/call's request carries
 * as agentgateway's does, but those the gateway sets (Content-Type, the
 * target's policy) or the call's arguments' header parameters: the
 * client's win over these. Returns 0, -ENOBUFS when more than 64 calls
 * wait already, -ENOMEM. */
int sg_mcp_openapi_send(struct sg_mcp_openapi *o, const char *msg, size_t len, uint64_t id,
			const char *client);

/* The target let go: its calls in flight stopped (their threads end where
 * they wait), no callback follows; o freed after the loop's dispatch.
 * NULL is fine. */
void sg_mcp_openapi_close(struct sg_mcp_openapi *o);

/* Waits (up to ms) until no call's thread runs; returns those still
 * running. */
unsigned sg_mcp_openapi_wait(int ms);

#endif
