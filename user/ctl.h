/* The client side of `splicegate apply`, `delete` and `get`: send
 * resources to a running gateway's admin API and print its answer. */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>

/* Send FILE (or "-" for stdin) to POST/DELETE /config on admin_addr,
 * with ns (NULL: none) as the namespace of resources that name none.
 * Returns the process exit code: 0 done, 1 rejected, 2 unreachable. */
int sg_ctl_send_file(const char *admin_addr, const char *file, bool del, const char *ns);
/* delete --ignore-not-found: resources that do not exist are no error and
 * are not reported (kubectl's). */
void sg_ctl_ignore_not_found(bool on);

/* kubectl's `delete KIND NAME -n NS`: KIND as kubectl spells it
 * (httproute, HTTPRoute, agentgatewaypolicy, AgentgatewayPolicy, ...).
 * Returns the exit code as above. */
int sg_ctl_delete_named(const char *admin_addr, const char *kind, const char *name, const char *ns);

/* kubectl's `get KIND [NAME] [-n NS | -A] [-o yaml|json]` against GET
 * /resources: a table by default (NAME and the kind's columns, AGE left
 * out), or the resources with their Gateway API status. Returns the exit
 * code: 0, 1 (unknown kind, NAME not found, bad -o), 2 (unreachable). */
int sg_ctl_get(const char *admin_addr, const char *kind, const char *name, const char *ns,
	       bool all_ns, const char *output);

#endif
