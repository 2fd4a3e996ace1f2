/* splicegate's entry point: argv -> subcommand. Only wiring lives here. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/build.h"
#include "config/cfg.h"
#include "config/duration.h"
#include "user/ctl/ctl.h"
#include "user/ctl/store.h"
#include "user/ctl/usage.h"
#include "user/gateway.h"
#include "user/relay/splice.h"
#include "user/base/log.h"
#include "user/tls/tls.h"

/* The one version: `splicegate version`, the man page and the Debian
 * package (scripts/deb-build.sh reads it from this line) all take it here. */
#define SG_VERSION "0.2.0"
/* A build from a git checkout adds "+gitYYYYMMDD.<commit>" (the Makefile
 * defines SG_GIT_VERSION), so that each commit's build is newer. */
#ifndef SG_GIT_VERSION
#define SG_GIT_VERSION ""
#endif
#define SG_FULL_VERSION SG_VERSION SG_GIT_VERSION
#define SG_MAX_CONFIGS 64

/* --help prints about, then usage; scripts/man-page.sh makes splicegate(8)
 * from that output: the first line is the page's NAME, each "word:" line a
 * section, each line indented less than 10 columns an entry (its term ends
 * at the first two spaces) and deeper lines continue an entry's text.
 * tests/build/man-page.sh checks that `man` shows the same words. */
static const char about[] =
	"splicegate - HTTP and TCP host gateway with in-kernel splicing (BPF sockmap)\n\n";
static const char usage[] =
	"usage:\n"
	"  splicegate [-c FILE|DIR]... [options]   run the gateway (no -c: the embedded\n"
	"                                           default config: :8080 -> 127.0.0.1:8000)\n"
	"  splicegate check -c FILE|DIR...         validate config, print errors, exit 0/1\n"
	"  splicegate apply -f FILE|-              add or replace resources in the running "
	"gateway\n"
	"  splicegate delete -f FILE|-             remove those resources from the running "
	"gateway\n"
	"  splicegate delete KIND NAME... [-n NS]  remove resources (also KIND/NAME...), as\n"
	"                                          kubectl delete does\n"
	"  splicegate get KIND[,KIND...] [NAME] [-n NS|-A] [-o wide|name|yaml|json]\n"
	"                                           the resources in force with their Gateway\n"
	"                                           API status (default: a table)\n"
	"  splicegate describe KIND NAME [-n NS]   one resource with its conditions, as\n"
	"                                           kubectl describe shows it\n"
	"  splicegate bpf load|unload|status       the bundled BPF loader (pins under\n"
	"                                           /sys/fs/bpf/splicegate)\n"
	"  splicegate version                      also --version\n"
	"  splicegate help [COMMAND]               a command's own help, with examples\n"
	"                                           (also splicegate COMMAND --help)\n"
	"\n"
	"options:\n"
	"  -c, --config FILE|DIR   config file or directory of .yaml files (repeatable)\n"
	"  -f, --filename FILE|DIR|-\n"
	"                          (apply, delete) Kubernetes resources to send; repeatable,\n"
	"                          each a change of its own; a directory: its .yaml, .yml\n"
	"                          and .json files by name\n"
	"      --ignore-not-found  (delete) a resource that does not exist is no error and\n"
	"                          is not reported\n"
	"      --server-side       (apply) accepted as kubectl does; apply always replaces\n"
	"                          whole resources\n"
	"  -n, --namespace NS      (apply, delete, get, describe) the namespace of resources that "
	"name\n"
	"                          none (default \"default\"; one that names another is\n"
	"                          refused, as kubectl does)\n"
	"  -A, --all-namespaces    (get) every namespace\n"
	"  -o, --output FMT        (get) wide, name, yaml or json\n"
	"      --admin ADDR        admin address (default: config.adminAddr, 127.0.0.1:15000);\n"
	"                          read-only (config_dump, stats, get) unless\n"
	"                          --admin-tcp-writes; apply, delete and get given --admin\n"
	"                          send every request there\n"
	"      --admin-socket PATH the unix socket that takes admin writes (apply, delete,\n"
	"                          logging, quit) and reads, made 0660 for the gateway's\n"
	"                          user (default: $SPLICEGATE_ADMIN_SOCKET, else\n"
	"                          /run/splicegate/admin.sock); apply, delete and get use\n"
	"                          it (get reads through --admin when it cannot open it);\n"
	"                          one per gateway on a host\n"
	"      --admin-tcp-writes  take writes on the TCP admin port too: anyone on the host\n"
	"                          who can connect to it can then change the config and\n"
	"                          stop the gateway (for tests and single-user hosts)\n"
	"      --admin-allow-remote\n"
	"                          serve the admin API to non-loopback clients too (default:\n"
	"                          403; it can change the config and stop the gateway)\n"
	"      --splice MODE       auto|sockmap|splice|copy: how body bytes move (default auto)\n"
	"      --workers N         worker loops (default: one per core)\n"
	"      --busy-poll DUR     each worker keeps polling its sockets instead of\n"
	"                          sleeping until DUR has passed since its last event\n"
	"                          (e.g. 1ms, at most 1s; default 0: never): whoever\n"
	"                          sends to it seldom has to wake it, at the cost of a\n"
	"                          busy core under load and for DUR after the last\n"
	"                          event; not for 1 ms after a bulk read (the core\n"
	"                          is then the kernel's, moving those bytes); for a\n"
	"                          gateway with cores of its own\n"
	"      --coalesce DUR      while busy (an event in the last millisecond), each\n"
	"                          worker about to sleep first naps DUR on its own\n"
	"                          timer and takes what came meanwhile in one pass, so\n"
	"                          that senders seldom have to wake it (e.g. 50us, at\n"
	"                          most 1ms; default 0: never); adds up to DUR of\n"
	"                          latency under load; only while naps catch several\n"
	"                          events and the worker has time to spare\n"
	"      --tunnel-idle-timeout DUR\n"
	"                          close a TCP-route or tunnel (101, CONNECT) connection\n"
	"                          when no byte moved either way for DUR (Go syntax,\n"
	"                          e.g. 5m; default: never)\n"
	"      --request-head-timeout DUR\n"
	"                          answer 408 and close when a request head is not\n"
	"                          complete DUR after its first byte (default 10s; 0: never);\n"
	"                          on TLS passthrough listeners, close when the ClientHello\n"
	"                          is not in DUR after the connect (0: 15s)\n"
	"      --body-idle-timeout DUR\n"
	"                          cut a request whose body (either way) moved no byte\n"
	"                          for DUR: 408 if nothing was answered yet, else both\n"
	"                          sides closed (default 5m; 0: never)\n"
	"      --backend-h2-keepalive-interval DUR\n"
	"                          PING an HTTP/2 backend connection that sent nothing\n"
	"                          for DUR (default: never; 0: never)\n"
	"      --backend-h2-keepalive-timeout DUR\n"
	"                          close it when the PING's ack is not back within DUR\n"
	"                          (default 20s)\n"
	"      --backend-max-connection-age DUR\n"
	"                          send no more requests on a backend connection opened\n"
	"                          DUR ago: it closes once its requests are done\n"
	"                          (default: never; 0: never)\n"
	"      --max-connections-per-source N\n"
	"                          close new connections from an address that already\n"
	"                          has N open, unread (default: no limit)\n"
	"      --client-rcvbuf SIZE, --client-sndbuf SIZE\n"
	"      --backend-rcvbuf SIZE, --backend-sndbuf SIZE\n"
	"                          fixed socket buffers (such as 256k) toward clients or\n"
	"                          backends: a peer that stops reading pins no more\n"
	"                          than them in kernel memory, and a fast transfer's\n"
	"                          window is bounded too (default: the kernel's\n"
	"                          autotuning)\n"
	"      --client-notsent-lowat SIZE\n"
	"                          at most SIZE bytes wait unsent toward a client\n"
	"                          (TCP_NOTSENT_LOWAT): bounds what a client that stops\n"
	"                          reading pins in the socket's send queue, without\n"
	"                          bounding the window (default: no bound)\n"
	"      --state-dir DIR     journal every apply and delete in DIR/journal, fsync'd\n"
	"                          before it is answered, and replay it at start on top\n"
	"                          of the config files (the unit: /var/lib/splicegate);\n"
	"                          a torn or corrupt tail is reported and set aside in\n"
	"                          DIR/journal.bad.TIME (default: no journal: applied\n"
	"                          changes last until exit)\n"
	"      --reset-state       start from the config files alone: the journal is set\n"
	"                          aside as DIR/journal.old.TIME and a new one begun\n"
	"      --drain-delay DUR   on SIGTERM, /healthz/ready answers 503 at once and the\n"
	"                          listeners accept for DUR more before the drain begins,\n"
	"                          so that a load balancer sees the gateway leave before\n"
	"                          it refuses connections (default 5s; 0: drain at once;\n"
	"                          a second SIGTERM ends the wait; SIGINT and\n"
	"                          /quitquitquit drain at once)\n"
	"      --tls-ticket-keys FILE\n"
	"                          TLS session ticket keys shared by every gateway of a\n"
	"                          fleet, so that a session resumes on any of them: one\n"
	"                          key a line, base64 of 80 bytes (`openssl rand -base64\n"
	"                          80`); the first encrypts, all decrypt; read again when\n"
	"                          the file changes (default: a random key per process)\n"
	"      --refuse-empty-reload\n"
	"                          refuse a reload, apply or delete that would leave no\n"
	"                          listener while some are open (default: it goes in\n"
	"                          force, with a warning)\n"
	"      --log-level LEVEL   error|warn|info|debug (default info)\n"
	"      --access-log FMT    text|json|off: one line per request on stdout (default text)\n"
	"      --access-log-file FILE\n"
	"                          write the access log to FILE (appended; made 0640)\n"
	"                          instead of stdout, and open it again on SIGUSR1, so\n"
	"                          that logrotate can move it and no line is lost\n"
	"      --pin-dir DIR       (bpf) where the BPF maps and programs are pinned\n"
	"                          (default /sys/fs/bpf/splicegate)\n"
	"      --backlog BYTES     (bpf load) the bytes a spliced socket may hold unread\n"
	"                          before the kernel path takes no more (default 2097152)\n"
	"  -h, --help              this text (with a command: that command's help)\n"
	"      --version           the version\n";

#define CLI_MAX_FILES 32

struct cli {
	const char *files[CLI_MAX_FILES]; /* apply/delete -f, in order */
	size_t nfiles;
	const char *ns;
	const char *output;
	bool all_ns;
	bool ignore_not_found;
	const char *configs[SG_MAX_CONFIGS];
	size_t nconfigs;
	struct sg_gateway_opts gw;
};

/* Option `name`'s duration: from 0 to `max` (0: no bound), else a message
 * that says why, or `expect` when the duration parsed but is out of range. */
static int parse_dur(const char *name, const char *arg, const char *expect, sg_dur max, sg_dur *out)
{
	char why[160];
	sg_dur d = 0;

	snprintf(why, sizeof(why), "%s", expect);
	if (sg_dur_parse(arg, &d, why, sizeof(why)) == -1 || d < 0 || (max && d > max)) {
		fprintf(stderr, "splicegate: %s: %s, got \"%s\"\n", name, why, arg);
		return -1;
	}
	*out = d;
	return 0;
}

/* A bounded duration option (parse_dur), into nanoseconds. */
static int parse_ns(const char *name, const char *arg, const char *expect, sg_dur max,
		    uint64_t *out)
{
	sg_dur d;

	if (parse_dur(name, arg, expect, max, &d) == -1)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

/* A duration option that may be 0 (off): into milliseconds. */
static int parse_timeout(const char *name, const char *arg, uint64_t *out)
{
	sg_dur d;

	if (parse_dur(name, arg, "expected a duration such as 10s or 0", 0, &d) == -1)
		return -1;
	*out = sg_dur_to_ms_ceil(d);
	return 0;
}

/* Long options with no letter of their own. */
enum {
	OPT_CLIENT_RCVBUF = 0x100,
	OPT_CLIENT_SNDBUF,
	OPT_BACKEND_RCVBUF,
	OPT_BACKEND_SNDBUF,
	OPT_CLIENT_NOTSENT_LOWAT,
};

/* A socket buffer size: bytes, or KiB or MiB with k or m after them,
 * from 4k to 64m. */
static int parse_buf(const char *name, const char *arg, int *out)
{
	char *end;
	long long n = strtoll(arg, &end, 10);

	if (end != arg && (*end == 'k' || *end == 'K'))
		n <<= 10, end++;
	else if (end != arg && (*end == 'm' || *end == 'M'))
		n <<= 20, end++;
	if (end == arg || *end || n < 4096 || n > (64 << 20)) {
		fprintf(stderr,
			"splicegate: %s: expected a size from 4k to 64m, such as 256k, got "
			"\"%s\"\n",
			name, arg);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* A bad option or argument: one line, naming what to read (kubectl's
 * way: no wall of help), and the usage exit status. */
static int bad_usage(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "splicegate%s%s: %s \"%s\"; see 'splicegate %s%s--help'\n", cmd ? " " : "",
		cmd ? cmd : "", what, arg, cmd ? cmd : "", cmd ? " " : "");
	return -1;
}

/* The option getopt_long refused (opterr 0, ':' leading the short ones):
 * the one line bad_usage writes. A long option is named as it was
 * written: its optopt is the internal letter of longopts (--drain-delay
 * without a value said "-Y"). */
static int bad_option(const char *cmd, int opt, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *given = argv[optind - 1];
	const char *arg = optopt && strncmp(given, "--", 2) ? shortopt : given;

	return bad_usage(cmd, opt == ':' ? "option needs a value:" : "unknown option", arg);
}

static int parse_args(const char *cmd, int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "filename", required_argument, NULL, 'f' },
		{ "server-side", no_argument, NULL, 'S' },
		{ "ignore-not-found", no_argument, NULL, 'I' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "all-namespaces", no_argument, NULL, 'A' },
		{ "admin", required_argument, NULL, 'a' },
		{ "admin-allow-remote", no_argument, NULL, 'R' },
		{ "admin-socket", required_argument, NULL, 'U' },
		{ "admin-tcp-writes", no_argument, NULL, 'W' },
		{ "splice", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "access-log", required_argument, NULL, 'g' },
		{ "access-log-file", required_argument, NULL, 'L' },
		{ "tunnel-idle-timeout", required_argument, NULL, 'T' },
		{ "request-head-timeout", required_argument, NULL, 'H' },
		{ "body-idle-timeout", required_argument, NULL, 'B' },
		{ "max-connections-per-source", required_argument, NULL, 'M' },
		{ "client-rcvbuf", required_argument, NULL, OPT_CLIENT_RCVBUF },
		{ "client-sndbuf", required_argument, NULL, OPT_CLIENT_SNDBUF },
		{ "backend-rcvbuf", required_argument, NULL, OPT_BACKEND_RCVBUF },
		{ "backend-sndbuf", required_argument, NULL, OPT_BACKEND_SNDBUF },
		{ "client-notsent-lowat", required_argument, NULL, OPT_CLIENT_NOTSENT_LOWAT },
		{ "backend-h2-keepalive-interval", required_argument, NULL, 'P' },
		{ "backend-h2-keepalive-timeout", required_argument, NULL, 'Q' },
		{ "backend-max-connection-age", required_argument, NULL, 'D' },
		{ "refuse-empty-reload", no_argument, NULL, 'E' },
		{ "drain-delay", required_argument, NULL, 'Y' },
		{ "tls-ticket-keys", required_argument, NULL, 'K' },
		{ "state-dir", required_argument, NULL, 'Z' },
		{ "reset-state", no_argument, NULL, 'X' },
		{ "busy-poll", required_argument, NULL, 'b' },
		{ "coalesce", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:f:n:o:Ah", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (cli->nfiles == CLI_MAX_FILES) {
				fprintf(stderr, "splicegate: at most %d -f\n", CLI_MAX_FILES);
				return -1;
			}
			cli->files[cli->nfiles++] = optarg;
			break;
		case 'n':
			cli->ns = optarg;
			break;
		case 'o':
			cli->output = optarg;
			break;
		case 'A':
			cli->all_ns = true;
			break;
		case 'S':
			break;
		case 'I':
			cli->ignore_not_found = true;
			break;
		case 'c':
			if (cli->nconfigs == SG_MAX_CONFIGS) {
				fprintf(stderr, "splicegate: at most %d -c options\n",
					SG_MAX_CONFIGS);
				return -1;
			}
			cli->configs[cli->nconfigs++] = optarg;
			break;
		case 'a':
			cli->gw.admin_addr = optarg;
			break;
		case 'R':
			cli->gw.admin_allow_remote = true;
			break;
		case 'U':
			cli->gw.admin_socket = optarg;
			break;
		case 'W':
			cli->gw.admin_tcp_writes = true;
			break;
		case 'Z':
			cli->gw.state_dir = optarg;
			break;
		case 'X':
			cli->gw.reset_state = true;
			break;
		case 'E':
			cli->gw.refuse_empty_reload = true;
			break;
		case 's':
			if (strcmp(optarg, "auto") && strcmp(optarg, "sockmap") &&
			    strcmp(optarg, "splice") && strcmp(optarg, "copy")) {
				fprintf(stderr,
					"splicegate: --splice: expected auto, sockmap, "
					"splice or copy, got \"%s\"\n",
					optarg);
				return -1;
			}
			cli->gw.splice = optarg;
			break;
		case 'w':
			cli->gw.workers = atoi(optarg);
			if (cli->gw.workers < 1 || cli->gw.workers > 256) {
				fprintf(stderr,
					"splicegate: --workers: expected 1 to 256, got "
					"\"%s\"\n",
					optarg);
				return -1;
			}
			break;
		case 'T': {
			char why[160] = "expected a positive duration";
			sg_dur d = 0;

			if (sg_dur_parse(optarg, &d, why, sizeof(why)) == -1 || d <= 0) {
				/* why: the parser's reason, else the initial one */
				fprintf(stderr,
					"splicegate: --tunnel-idle-timeout: %s, got \"%s\"\n", why,
					optarg);
				return -1;
			}
			cli->gw.tunnel_idle_ms = sg_dur_to_ms_ceil(d);
			break;
		}
		case 'H':
		case 'B':
			if (parse_timeout(opt == 'H' ? "--request-head-timeout"
						     : "--body-idle-timeout",
					  optarg,
					  opt == 'H' ? &cli->gw.head_timeout_ms
						     : &cli->gw.body_idle_ms) == -1)
				return -1;
			break;
		case 'b':
			if (parse_ns("--busy-poll", optarg,
				     "expected a duration from 0 to 1s, such as 1ms", 1000000000,
				     &cli->gw.busy_poll_ns) == -1)
				return -1;
			break;
		case 'C':
			if (parse_ns("--coalesce", optarg,
				     "expected a duration from 0 to 1ms, such as 50us", 1000000,
				     &cli->gw.coalesce_ns) == -1)
				return -1;
			break;
		case 'D':
			if (parse_timeout("--backend-max-connection-age", optarg,
					  &cli->gw.backend_max_age_ms) == -1)
				return -1;
			break;
		case 'Y':
			if (parse_timeout("--drain-delay", optarg, &cli->gw.drain_delay_ms) == -1)
				return -1;
			break;
		case 'K':
			cli->gw.tls_ticket_keys = optarg;
			break;
		case 'P':
		case 'Q':
			if (parse_timeout(opt == 'P' ? "--backend-h2-keepalive-interval"
						     : "--backend-h2-keepalive-timeout",
					  optarg,
					  opt == 'P' ? &cli->gw.backend_ping_ms
						     : &cli->gw.backend_pong_ms) == -1)
				return -1;
			break;
		case OPT_CLIENT_RCVBUF:
			if (parse_buf("--client-rcvbuf", optarg, &cli->gw.bufs.client_rcv) == -1)
				return -1;
			break;
		case OPT_CLIENT_SNDBUF:
			if (parse_buf("--client-sndbuf", optarg, &cli->gw.bufs.client_snd) == -1)
				return -1;
			break;
		case OPT_BACKEND_RCVBUF:
			if (parse_buf("--backend-rcvbuf", optarg, &cli->gw.bufs.backend_rcv) == -1)
				return -1;
			break;
		case OPT_BACKEND_SNDBUF:
			if (parse_buf("--backend-sndbuf", optarg, &cli->gw.bufs.backend_snd) == -1)
				return -1;
			break;
		case OPT_CLIENT_NOTSENT_LOWAT:
			if (parse_buf("--client-notsent-lowat", optarg,
				      &cli->gw.bufs.client_lowat) == -1)
				return -1;
			break;
		case 'M': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 1 || n > 1000000) {
				fprintf(stderr,
					"splicegate: --max-connections-per-source: expected 1 "
					"to 1000000, got \"%s\"\n",
					optarg);
				return -1;
			}
			cli->gw.max_per_source = (unsigned)n;
			break;
		}
		case 'g':
			if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
			    strcmp(optarg, "off")) {
				fprintf(stderr,
					"splicegate: --access-log: expected text, json or off, "
					"got \"%s\"\n",
					optarg);
				return -1;
			}
			cli->gw.access_log = optarg;
			break;
		case 'L':
			cli->gw.access_log_file = optarg;
			break;
		case 'l':
			if (sg_log_set_level(optarg) == -1) {
				fprintf(stderr,
					"splicegate: --log-level: expected error, warn, "
					"info or debug, got \"%s\"\n",
					optarg);
				return -1;
			}
			cli->gw.log_level_fixed = true;
			break;
		case 'h':
			if (!sg_usage_print(cmd, stdout)) {
				fputs(about, stdout);
				fputs(usage, stdout);
			}
			exit(0);
		case 'V':
			printf("splicegate %s\n", SG_FULL_VERSION);
			exit(0);
		default:
			return bad_option(cmd, opt, argv);
		}
	}
	cli->gw.config_paths = cli->configs;
	cli->gw.nconfig_paths = cli->nconfigs;
	return 0;
}

/* check -c ...: every error (sg_diag keeps SG_DIAG_MAX_LINES and counts
 * the rest), then one closing line, as haproxy -c and nginx -t end. */
static int cmd_check(const struct cli *cli)
{
	struct sg_diag d;
	struct sg_cfg *cfg;
	size_t errors;

	if (cli->nconfigs == 0) {
		fprintf(stderr,
			"splicegate check: needs -c FILE|DIR; see 'splicegate check --help'\n");
		return 1;
	}
	sg_diag_init(&d);
	cfg = sg_cfg_load(cli->configs, cli->nconfigs, &d);
	/* oidc: discovery documents are not fetched, the key not required */
	if (cfg && (sg_store_prepare(cfg, &d) < 0 || sg_tls_check(cfg, &d) == -1)) {
		sg_cfg_free(cfg);
		cfg = NULL;
	}
	sg_diag_print(&d, stderr);
	errors = d.errors;
	sg_diag_free(&d);
	if (!cfg) {
		errors = errors ? errors : 1;
		fprintf(stderr, "%zu error%s: configuration invalid\n", errors,
			errors == 1 ? "" : "s");
		return 1;
	}
	/* Valid, but as a reload it would stop all traffic. */
	if (cfg->nbinds == 0)
		fprintf(stderr, "warning: this config has no listeners: a gateway reloading it "
				"closes every "
				"listener and serves no traffic (unless started with "
				"--refuse-empty-reload, which refuses such a reload)\n");
	sg_cfg_free(cfg);
	printf("configuration ok\n");
	return 0;
}

/* Where apply, delete and get find the gateway (user/ctl/ctl.h). */
static struct sg_ctl_admin admin_of(const struct cli *cli)
{
	return (struct sg_ctl_admin){
		.socket = cli->gw.admin_socket,
		.addr = cli->gw.admin_addr ? cli->gw.admin_addr : "127.0.0.1:15000",
		.addr_given = cli->gw.admin_addr != NULL,
	};
}

/* A guide's first step installs the Gateway API CRDs from a release URL
 * (kubectl apply --server-side -f https://.../experimental-install.yaml).
 * Here the kinds are built in: say so and succeed. Other URLs are not
 * fetched: the admin API takes what the client sends. */
static int apply_url(const char *url, bool del)
{
	if (strstr(url, "gateway-api") || strstr(url, "gateway.networking.k8s.io")) {
		printf("the Gateway API kinds (Gateway, HTTPRoute, TCPRoute, ReferenceGrant, ...) "
		       "are built into splicegate: nothing to %s from %s\n",
		       del ? "delete" : "install", url);
		return 0;
	}
	fprintf(stderr,
		"splicegate %s: -f takes a file or -, not a URL; fetch it first: "
		"curl -sL '%s' | splicegate %s -f-\n",
		del ? "delete" : "apply", url, del ? "delete" : "apply");
	return 1;
}

/* Each -f in order, as kubectl does, a directory's *.yaml, *.yml and
 * *.json files by name; each is a change of its own (one that fails does
 * not stop the next). The worst exit status. */
static int send_files(const struct cli *cli, const struct sg_ctl_change *how)
{
	int worst = 0;

	for (size_t i = 0; i < cli->nfiles; i++) {
		const char *f = cli->files[i];
		struct dirent **names;
		int n, rc;

		if (!strcmp(f, "-") || (n = scandir(f, &names, NULL, alphasort)) < 0) {
			rc = sg_ctl_send_file(how, f);
			worst = rc > worst ? rc : worst;
			continue;
		}
		for (int k = 0; k < n; k++) {
			const char *name = names[k]->d_name;
			size_t len = strlen(name);
			char path[4096];

			if (name[0] != '.' &&
			    (sg_sources_wanted(name) ||
			     (len > 5 && !strcmp(name + len - 5, ".json"))) &&
			    (size_t)snprintf(path, sizeof(path), "%s/%s", f, name) < sizeof(path)) {
				rc = sg_ctl_send_file(how, path);
				worst = rc > worst ? rc : worst;
			}
			free(names[k]);
		}
		free(names);
	}
	return worst;
}

/* delete KIND NAME [NAME...] or delete KIND/NAME [KIND/NAME...], as
 * kubectl takes them: each deleted in turn, the worst exit status. */
static int delete_named(const struct sg_ctl_change *how, char **rest, int nrest)
{
	bool slashed = strchr(rest[0], '/') != NULL;
	int worst = 0;

	if (!slashed && nrest < 2) {
		fprintf(stderr, "splicegate delete: needs KIND NAME... or KIND/NAME...\n");
		return 1;
	}
	for (int i = slashed ? 0 : 1; i < nrest; i++) {
		char kind[128];
		const char *name = rest[i], *slash = strchr(rest[i], '/');
		int rc;

		if (slashed != (slash != NULL) ||
		    (slash && (size_t)(slash - rest[i]) >= sizeof(kind))) {
			fprintf(stderr,
				"splicegate delete: there is no need to specify a resource type as "
				"a separate argument when passing arguments in resource/name form "
				"(\"%s\")\n",
				rest[i]);
			worst = worst > 1 ? worst : 1;
			continue;
		}
		if (slash) {
			memcpy(kind, rest[i], (size_t)(slash - rest[i]));
			kind[slash - rest[i]] = '\0';
			name = slash + 1;
		}
		rc = sg_ctl_delete_named(how, slash ? kind : rest[0], name);
		worst = rc > worst ? rc : worst;
	}
	return worst;
}

/* apply -f FILE | delete -f FILE | delete KIND NAME... | delete KIND/NAME... [-n NS] */
static int cmd_change(const struct cli *cli, bool del, char **rest, int nrest)
{
	const char *first = cli->nfiles ? cli->files[0] : NULL;
	struct sg_ctl_change how = { admin_of(cli), del, cli->ns, cli->ignore_not_found };

	if (first && nrest == 0 &&
	    (!strncmp(first, "http://", 7) || !strncmp(first, "https://", 8)))
		return apply_url(first, del);
	if (first && nrest == 0)
		return send_files(cli, &how);
	if (del && !first && nrest >= 1)
		return delete_named(&how, rest, nrest);
	fprintf(stderr, "splicegate %s: needs -f FILE|-%s\n", del ? "delete" : "apply",
		del ? ", or KIND NAME [-n NS]" : "");
	return 1;
}

/* `splicegate help [CMD]`: the gateway's help, or CMD's; an unknown CMD
 * is a usage error. */
static int help(const char *cmd)
{
	if (!cmd) {
		fputs(about, stdout);
		fputs(usage, stdout);
		return 0;
	}
	if (sg_usage_print(cmd, stdout))
		return 0;
	bad_usage(NULL, "unknown command", cmd);
	return 1;
}

/* A subcommand's arguments ask for its help (-h, --help): answered before
 * they are parsed, so that `bpf --help` needs no valid bpf subcommand. */
static bool asks_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct cli cli = {
		.gw.version = SG_FULL_VERSION,
		.gw.splice = "auto",
		.gw.head_timeout_ms = 10000,
		.gw.body_idle_ms = 300000,
		.gw.backend_pong_ms = 20000,
		.gw.drain_delay_ms = 5000,
	};
	const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	int nargs, nrest;
	char **args, **rest;

	if (cmd && !strcmp(cmd, "help"))
		return help(argc > 2 ? argv[2] : NULL);
	if (cmd && !sg_usage_known(cmd)) {
		bad_usage(NULL, "unknown command", cmd);
		return 1;
	}
	if (cmd && asks_help(argc - 2, argv + 2))
		return help(cmd);
	if (cmd && !strcmp(cmd, "version")) {
		printf("splicegate %s\n", SG_FULL_VERSION);
		return 0;
	}
	if (cmd && !strcmp(cmd, "bpf"))
		return sg_splice_cli(argc - 2, argv + 2);
	nargs = cmd ? argc - 1 : argc;
	args = cmd ? argv + 1 : argv;
	/* The default admin socket: an environment may name another (several
	 * gateways on one host, each with its own, and its users' clients). */
	cli.gw.admin_socket = getenv("SPLICEGATE_ADMIN_SOCKET");
	if (!cli.gw.admin_socket || !*cli.gw.admin_socket)
		cli.gw.admin_socket = "/run/splicegate/admin.sock";
	if (parse_args(cmd, nargs, args, &cli) == -1)
		return 1;
	if (cli.gw.reset_state && !cli.gw.state_dir) {
		fprintf(stderr, "splicegate: --reset-state: needs --state-dir DIR\n");
		return 1;
	}
	rest = args + optind;
	nrest = nargs - optind;
	if (cmd && !strcmp(cmd, "get")) {
		struct sg_ctl_admin admin = admin_of(&cli);

		if (nrest < 1 || nrest > 2) {
			fprintf(stderr, "splicegate get: needs KIND [NAME]\n");
			return 1;
		}
		return sg_ctl_get(&admin, rest[0], nrest == 2 ? rest[1] : NULL, cli.ns, cli.all_ns,
				  cli.output);
	}
	if (cmd && !strcmp(cmd, "describe")) {
		struct sg_ctl_admin admin = admin_of(&cli);

		if (nrest != 2) {
			fprintf(stderr, "splicegate describe: needs KIND NAME\n");
			return 1;
		}
		return sg_ctl_describe(&admin, rest[0], rest[1], cli.ns);
	}
	if (cmd && strcmp(cmd, "check"))
		return cmd_change(&cli, !strcmp(cmd, "delete"), rest, nrest);
	if (nrest > 0) {
		bad_usage(cmd, "unexpected argument", rest[0]);
		return 1;
	}
	if (cmd)
		return cmd_check(&cli);
	return sg_gateway_run(&cli.gw);
}
