/* The running gateway: the config in force, its listening sockets, the
 * admin server and the worker loop, wired together. */
#ifndef SG_GATEWAY_H
#define SG_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"
#include "user/base/net.h"

struct sg_gateway_opts {
	const char *version;		 /* splicegate_build_info's (NULL: "unknown") */
	const char *const *config_paths; /* none: the embedded default */
	size_t nconfig_paths;
	const char *admin_addr; /* NULL: config's adminAddr */
	const char *splice;	/* auto|sockmap|splice|copy */
	int workers;		/* 0: one per core */
	const char *access_log; /* text|json|off; NULL: config.logging's format, else text */
	bool log_level_fixed;	/* --log-level was given: config.logging's level is not used */
	/* The access log's file instead of stdout, opened again on SIGUSR1
	 * (NULL: stdout). */
	const char *access_log_file;
	/* Else the admin API answers 403 to non-loopback clients. */
	bool admin_allow_remote;
	/* The unix socket that takes admin writes (config changes, logging,
	 * quit), made 0660 for the gateway's user and group. */
	const char *admin_socket;
	/* Writes on the TCP admin port too (else it is read-only). */
	bool admin_tcp_writes;
	/* Where applied changes are journalled and replayed from at start
	 * (NULL: nowhere, they last until exit); reset_state: start from the
	 * config files alone, the journal set aside. */
	const char *state_dir;
	bool reset_state;
	/* SIGTERM: readiness fails at once, listeners close this much later
	 * (--drain-delay; 0: at once). */
	uint64_t drain_delay_ms;
	uint64_t tunnel_idle_ms; /* 0: tunnels never idle out */
	uint64_t
		head_timeout_ms; /* a request head must be complete this soon after its first byte */
	uint64_t body_idle_ms;	 /* a body relay with no byte moving this long is cut */
	/* HTTP/2 backends' PING keepalive (user/core/h2backend.h), 0: off. */
	uint64_t backend_ping_ms, backend_pong_ms;
	uint64_t backend_max_age_ms; /* --backend-max-connection-age, 0: none */
	unsigned max_per_source;     /* open connections per client address; 0: no limit */
	unsigned held_per_source;    /* bodies held per client address, in maxBufferSizes */
	struct sg_net_bufs bufs;     /* --client-rcvbuf and the others; 0s: autotuned */
	uint64_t busy_poll_ns;	     /* --busy-poll, 0: off */
	uint64_t coalesce_ns;	     /* --coalesce, 0: off */
	/* A reload, apply or delete that would leave no listener while some
	 * are open is refused (else it goes in force with a warning). */
	bool refuse_empty_reload;
	/* Session ticket keys shared by a fleet (user/tls/tls.h), read at
	 * start and again when the file changes; NULL: a random key. */
	const char *tls_ticket_keys;
};

/* Load the config, bind every listener and the admin server, then run until
 * SIGTERM/SIGINT or POST /quitquitquit. Returns the process exit code:
 * 0 ok, 1 bad config, 2 runtime failure. */
int sg_gateway_run(const struct sg_gateway_opts *opts);

#endif
