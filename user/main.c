/* splicegate's entry point: argv -> subcommand. Only wiring lives here. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
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
	"                          serve the admin API to non-loopback clients, and for any\n"
	"                          Host, too (default: 403; it can change the config and stop\n"
	"                          the gateway)\n"
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
	"                          has N open, unread; IPv6 addresses count by /64\n"
	"                          (default: no limit)\n"
	"      --held-bodies-per-source N\n"
	"                          the request and response bodies held for routes'\n"
	"                          expressions from one address stay within N times\n"
	"                          maxBufferSize; past it, 503 (default: no limit)\n"
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

/* A socket buffer size: bytes, or KiB or MiB with k or m after them,
 * from 4k to 64m. 0, or -1 with *out unchanged. */
static int parse_buf(const char *arg, int *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(arg, &end, 10);
	if (end == arg || errno || n < 0 || n > (64 << 20))
		return -1;
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		n <<= 20, end++;
	if (*end || n < 4096 || n > (64 << 20))
		return -1;
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

/* How an option's argument is read, and the type of the field it sets. */
enum opt_kind {
	OPT_FILE,	 /* -f: appended to cli->files */
	OPT_CONFIG,	 /* -c: appended to cli->configs */
	OPT_STR,	 /* const char *: the argument as given */
	OPT_TRUE,	 /* bool, no argument: set */
	OPT_IGNORED,	 /* no argument, nothing set (kubectl's --server-side: apply always is) */
	OPT_WORD,	 /* const char *: one of `words` */
	OPT_COUNT,	 /* int or unsigned (by `size`): a whole number from 1 to `max` */
	OPT_TIMEOUT,	 /* uint64_t: a duration in milliseconds, 0 for off */
	OPT_POSITIVE_MS, /* uint64_t: a duration above 0, in milliseconds */
	OPT_NS,		 /* uint64_t: a duration from 0 to `max` ns, in nanoseconds */
	OPT_BUF,	 /* int: a socket buffer size (parse_buf) */
	OPT_LOG_LEVEL,	 /* sets the level now; log_level_fixed records it */
	OPT_HELP,
	OPT_VERSION,
};

/* One option: its long name, its short letter (0: none), how it is read
 * and where it goes (`at`, an offset in struct cli checked against the
 * field's type by AT). */
struct opt {
	const char *name;
	char letter;
	enum opt_kind kind;
	size_t at, size;
	long long max;	    /* OPT_COUNT and OPT_NS */
	const char *words;  /* OPT_WORD: the words, each followed by a space */
	const char *expect; /* OPT_WORD, OPT_COUNT, OPT_NS: what the refusal says */
};

/* offsetof(struct cli, field) and its size, refused at build time unless
 * the field is a T (comparing distinct pointer types is an error). */
#define AT(field, T)                                                                               \
	.at = offsetof(struct cli, field) + 0 * sizeof(&((struct cli *)0)->field == (T *)0),       \
	.size = sizeof(T)

static const struct opt opts[] = {
	{ "config", 'c', OPT_CONFIG },
	{ "filename", 'f', OPT_FILE },
	{ "server-side", 0, OPT_IGNORED },
	{ "ignore-not-found", 0, OPT_TRUE, AT(ignore_not_found, bool) },
	{ "namespace", 'n', OPT_STR, AT(ns, const char *) },
	{ "output", 'o', OPT_STR, AT(output, const char *) },
	{ "all-namespaces", 'A', OPT_TRUE, AT(all_ns, bool) },
	{ "admin", 0, OPT_STR, AT(gw.admin_addr, const char *) },
	{ "admin-allow-remote", 0, OPT_TRUE, AT(gw.admin_allow_remote, bool) },
	{ "admin-socket", 0, OPT_STR, AT(gw.admin_socket, const char *) },
	{ "admin-tcp-writes", 0, OPT_TRUE, AT(gw.admin_tcp_writes, bool) },
	{ "splice", 0, OPT_WORD, AT(gw.splice, const char *), .words = "auto sockmap splice copy ",
	  .expect = "expected auto, sockmap, splice or copy" },
	{ "workers", 0, OPT_COUNT, AT(gw.workers, int), .max = 256, .expect = "expected 1 to 256" },
	{ "log-level", 0, OPT_LOG_LEVEL, AT(gw.log_level_fixed, bool) },
	{ "access-log", 0, OPT_WORD, AT(gw.access_log, const char *), .words = "text json off ",
	  .expect = "expected text, json or off" },
	{ "access-log-file", 0, OPT_STR, AT(gw.access_log_file, const char *) },
	{ "tunnel-idle-timeout", 0, OPT_POSITIVE_MS, AT(gw.tunnel_idle_ms, uint64_t) },
	{ "request-head-timeout", 0, OPT_TIMEOUT, AT(gw.head_timeout_ms, uint64_t) },
	{ "body-idle-timeout", 0, OPT_TIMEOUT, AT(gw.body_idle_ms, uint64_t) },
	{ "max-connections-per-source", 0, OPT_COUNT, AT(gw.max_per_source, unsigned),
	  .max = 1000000, .expect = "expected 1 to 1000000" },
	{ "held-bodies-per-source", 0, OPT_COUNT, AT(gw.held_per_source, unsigned), .max = 1000000,
	  .expect = "expected 1 to 1000000" },
	{ "client-rcvbuf", 0, OPT_BUF, AT(gw.bufs.client_rcv, int) },
	{ "client-sndbuf", 0, OPT_BUF, AT(gw.bufs.client_snd, int) },
	{ "backend-rcvbuf", 0, OPT_BUF, AT(gw.bufs.backend_rcv, int) },
	{ "backend-sndbuf", 0, OPT_BUF, AT(gw.bufs.backend_snd, int) },
	{ "client-notsent-lowat", 0, OPT_BUF, AT(gw.bufs.client_lowat, int) },
	{ "backend-h2-keepalive-interval", 0, OPT_TIMEOUT, AT(gw.backend_ping_ms, uint64_t) },
	{ "backend-h2-keepalive-timeout", 0, OPT_TIMEOUT, AT(gw.backend_pong_ms, uint64_t) },
	{ "backend-max-connection-age", 0, OPT_TIMEOUT, AT(gw.backend_max_age_ms, uint64_t) },
	{ "refuse-empty-reload", 0, OPT_TRUE, AT(gw.refuse_empty_reload, bool) },
	{ "drain-delay", 0, OPT_TIMEOUT, AT(gw.drain_delay_ms, uint64_t) },
	{ "tls-ticket-keys", 0, OPT_STR, AT(gw.tls_ticket_keys, const char *) },
	{ "state-dir", 0, OPT_STR, AT(gw.state_dir, const char *) },
	{ "reset-state", 0, OPT_TRUE, AT(gw.reset_state, bool) },
	{ "busy-poll", 0, OPT_NS, AT(gw.busy_poll_ns, uint64_t), .max = 1000000000,
	  .expect = "expected a duration from 0 to 1s, such as 1ms" },
	{ "coalesce", 0, OPT_NS, AT(gw.coalesce_ns, uint64_t), .max = 1000000,
	  .expect = "expected a duration from 0 to 1ms, such as 50us" },
	{ "help", 'h', OPT_HELP },
	{ "version", 0, OPT_VERSION },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))
/* getopt_long's value for opts[i]: its letter, else past every letter. */
#define OPT_VAL(i) (opts[i].letter ? opts[i].letter : 0x100 + (int)(i))

/* `word` is one of `words` (each followed by a space). */
static bool one_of(const char *words, const char *word)
{
	size_t n = strlen(word);

	for (const char *w = words; *w; w = strchr(w, ' ') + 1) {
		if (n && !strncmp(w, word, n) && w[n] == ' ')
			return true;
	}
	return false;
}

/* A whole number from 1 to max, else -1. */
static long long parse_count(const char *arg, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(arg, &end, 10);
	return end == arg || *end || errno || n < 1 || n > max ? -1 : n;
}

/* o's argument into its field of cli. 0, or -1 with one line on stderr
 * that names the option, what it expects and what it got. */
static int set_opt(const char *cmd, const struct opt *o, const char *arg, struct cli *cli)
{
	void *at = (char *)cli + o->at;
	long long n;
	sg_dur d;

	switch (o->kind) {
	case OPT_FILE:
		if (cli->nfiles == CLI_MAX_FILES) {
			fprintf(stderr, "splicegate: at most %d -f\n", CLI_MAX_FILES);
			return -1;
		}
		cli->files[cli->nfiles++] = arg;
		return 0;
	case OPT_CONFIG:
		if (cli->nconfigs == SG_MAX_CONFIGS) {
			fprintf(stderr, "splicegate: at most %d -c options\n", SG_MAX_CONFIGS);
			return -1;
		}
		cli->configs[cli->nconfigs++] = arg;
		return 0;
	case OPT_STR:
		*(const char **)at = arg;
		return 0;
	case OPT_TRUE:
		*(bool *)at = true;
		return 0;
	case OPT_IGNORED:
		return 0;
	case OPT_WORD:
		if (!one_of(o->words, arg))
			break;
		*(const char **)at = arg;
		return 0;
	case OPT_COUNT:
		if ((n = parse_count(arg, o->max)) == -1)
			break;
		if (o->size == sizeof(int))
			*(int *)at = (int)n;
		else
			*(unsigned *)at = (unsigned)n;
		return 0;
	case OPT_TIMEOUT:
	case OPT_POSITIVE_MS:
	case OPT_NS: {
		const bool positive = o->kind == OPT_POSITIVE_MS;
		char why[160];

		snprintf(why, sizeof(why), "%s",
			 o->kind == OPT_NS ? o->expect
			 : positive	   ? "expected a positive duration"
					   : "expected a duration such as 10s or 0");
		d = 0;
		/* why: the parser's reason, else the one above */
		if (sg_dur_parse(arg, &d, why, sizeof(why)) == -1 || d < 0 || (positive && !d) ||
		    (o->kind == OPT_NS && d > o->max)) {
			fprintf(stderr, "splicegate: --%s: %s, got \"%s\"\n", o->name, why, arg);
			return -1;
		}
		*(uint64_t *)at = o->kind == OPT_NS ? (uint64_t)d : sg_dur_to_ms_ceil(d);
		return 0;
	}
	case OPT_BUF:
		if (parse_buf(arg, at) == -1) {
			fprintf(stderr,
				"splicegate: --%s: expected a size from 4k to 64m, such as 256k, "
				"got "
				"\"%s\"\n",
				o->name, arg);
			return -1;
		}
		return 0;
	case OPT_LOG_LEVEL:
		if (sg_log_set_level(arg) == -1) {
			fprintf(stderr,
				"splicegate: --log-level: expected error, warn, info or debug, got "
				"\"%s\"\n",
				arg);
			return -1;
		}
		*(bool *)at = true;
		return 0;
	case OPT_HELP:
		if (!sg_usage_print(cmd, stdout)) {
			fputs(about, stdout);
			fputs(usage, stdout);
		}
		exit(0);
	case OPT_VERSION:
		printf("splicegate %s\n", SG_FULL_VERSION);
		exit(0);
	}
	fprintf(stderr, "splicegate: --%s: %s, got \"%s\"\n", o->name, o->expect, arg);
	return -1;
}

/* An option takes an argument unless it sets a flag or prints and exits. */
static bool takes_arg(enum opt_kind k)
{
	return k != OPT_TRUE && k != OPT_IGNORED && k != OPT_HELP && k != OPT_VERSION;
}

static int parse_args(const char *cmd, int argc, char **argv, struct cli *cli)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 2] = ":";
	size_t ns = 1;
	int val;

	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] =
			(struct option){ opts[i].name,
					 takes_arg(opts[i].kind) ? required_argument : no_argument,
					 NULL, OPT_VAL(i) };
		if (opts[i].letter) {
			shortopts[ns++] = opts[i].letter;
			if (takes_arg(opts[i].kind))
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	longopts[NOPTS] = (struct option){ 0 };
	opterr = 0;
	while ((val = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t i = 0;

		while (i < NOPTS && OPT_VAL(i) != val)
			i++;
		if (i == NOPTS)
			return bad_option(cmd, val, argv);
		if (set_opt(cmd, &opts[i], optarg, cli) == -1)
			return -1;
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
