/* The client side of `splicegate apply` and `splicegate delete`: send
 * resources to a running gateway's admin API and print its answer. */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>

/* Send FILE (or "-" for stdin) to POST/DELETE /config on admin_addr.
 * Returns the process exit code: 0 done, 1 rejected, 2 unreachable. */
int sg_ctl_send_file(const char *admin_addr, const char *file, bool del);

/* kubectl's `delete KIND NAME -n NS`: KIND as kubectl spells it
 * (httproute, HTTPRoute, agentgatewaypolicy, AgentgatewayPolicy, ...).
 * Returns the exit code as above. */
int sg_ctl_delete_named(const char *admin_addr, const char *kind, const char *name, const char *ns);

#endif
