/* An MCP target run as a child process, spoken to over its stdin and
 * stdout one JSON-RPC message a line (MCP's stdio transport), on the
 * worker's loop. */
#ifndef SG_MCP_STDIO_H
#define SG_MCP_STDIO_H

#include <stddef.h>

#include "config/cfg.h"
#include "user/base/loop.h"

struct sg_mcp_child;

struct sg_mcp_child_ops {
	/* One line the child wrote on stdout (without its newline; at most
	 * SG_JSONRPC_MAX bytes). */
	void (*line)(void *arg, const char *line, size_t len);
	/* The child is gone or failed (why: for the client and the log):
	 * exited, closed stdout, wrote a line too long. No callback follows;
	 * the owner still calls sg_mcp_child_kill. */
	void (*gone)(void *arg, const char *why);
};

/* Start target t (stdio) as a child in a process group of its own: argv
 * {cmd, args...} by execvpe, no shell; the environment the gateway's
 * plus t's env (t's alone with clearEnv); stdin and stdout pipes, stderr
 * a pipe whose first lines are logged with the target's name (bounded);
 * no other descriptor inherited. Returns 0 with *out the caller's, or a
 * negative errno (pipes, fork). A program that cannot be run exits 127:
 * ops->gone follows. */
int sg_mcp_child_spawn(struct sg_loop *loop, const struct sg_mcp_target *t,
		       const struct sg_mcp_child_ops *ops, void *arg, struct sg_mcp_child **out);

/* Queue msg[0..len) and a newline for the child's stdin. Returns 0, -EPIPE
 * when the child is gone, -ENOBUFS when more than SG_JSONRPC_MAX bytes
 * wait already, -ENOMEM. */
int sg_mcp_child_send(struct sg_mcp_child *ch, const char *msg, size_t len);

/* End the child: its process group killed (SIGKILL), the child reaped,
 * pipes closed, ch freed after the loop's dispatch. No callback follows.
 * NULL is fine. */
void sg_mcp_child_kill(struct sg_mcp_child *ch);

/* Children alive now, in the whole process (the bound on them). */
size_t sg_mcp_children(void);

#endif
