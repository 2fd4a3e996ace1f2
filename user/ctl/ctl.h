/* The client side of `splicegate apply`, `delete` and `get`: send
 * resources to a running gateway's admin API and print its answer. */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>
#include <stddef.h>

/* Where a running gateway's admin API is. Its unix socket takes writes
 * and reads; the TCP port takes reads, and writes only when the gateway
 * runs with --admin-tcp-writes. */
struct sg_ctl_admin {
	const char *socket; /* --admin-socket, or its default */
	const char *addr;   /* --admin, or its default */
	bool addr_given;    /* --admin: every request goes to addr */
	/* The longest answer read (0: SG_CTL_ANSWER_MAX); a longer one is
	 * an error. Whoever listens on the TCP port answers a read when the
	 * gateway is down. */
	size_t answer_max;
};

#define SG_CTL_ANSWER_MAX ((size_t)256 << 20)

/* A change sent to a running gateway's admin API (apply or delete). */
struct sg_ctl_change {
	struct sg_ctl_admin admin;
	bool del;	       /* DELETE /config, else POST */
	const char *ns;	       /* -n: the namespace of resources that name none (NULL: none) */
	bool ignore_not_found; /* delete --ignore-not-found: resources that do not
				* exist are no error and are not reported (kubectl's) */
};

/* Send FILE (or "-" for stdin) to POST/DELETE /config as `how` says.
 * Returns the process exit code: 0 done, 1 rejected, 2 unreachable. */
int sg_ctl_send_file(const struct sg_ctl_change *how, const char *file);

/* kubectl's `delete KIND NAME -n NS` (how->del is taken as true): KIND as
 * kubectl spells it (httproute, HTTPRoute, agentgatewaypolicy,
 * AgentgatewayPolicy, ...). Returns the exit code as above. */
int sg_ctl_delete_named(const struct sg_ctl_change *how, const char *kind, const char *name);

/* kubectl's `get KIND[,KIND...] [NAME] [-n NS | -A] [-o wide|name|yaml|json]`
 * against GET /resources: a table by default (NAME, the kind's columns and
 * AGE; -o wide adds some; one table a kind, names as kind.group/name when
 * there are several), kind.group/name lines, or the resources with their
 * Gateway API status (JSON indented by two spaces; a List unless one kind
 * and NAME). A user who cannot open the admin socket reads through the TCP
 * port. Returns the exit code: 0, 1 (unknown kind, NAME not found, bad
 * -o), 2 (unreachable). */
int sg_ctl_get(const struct sg_ctl_admin *admin, const char *kind, const char *name, const char *ns,
	       bool all_ns, const char *output);

/* kubectl's `describe KIND NAME [-n NS]`: the resource as kubectl's generic
 * describer prints it, its status conditions with their observedGeneration
 * and lastTransitionTime. Exit codes as sg_ctl_get's. */
int sg_ctl_describe(const struct sg_ctl_admin *admin, const char *kind, const char *name,
		    const char *ns);

#endif
