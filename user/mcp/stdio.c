/* stdio MCP targets: a child process per target and session, its pipes
 * on the worker's loop (the contract is stdio.h). */
#include "user/mcp/stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user/base/buf.h"
#include "user/base/log.h"
#include "user/mcp/jsonrpc.h"

/* What of a child's stderr reaches the log: its first lines, each cut. */
#define STDIO_ERR_LINES 50
#define STDIO_ERR_LINE_MAX 512
/* A pipe buffer grown past this for a long message is let go once it is
 * drained, so that an idle child holds at most this much per direction
 * whatever it sent before (the per-session bound in docs/mcp.md). */
#define STDIO_BUF_KEEP 65536

extern char **environ;

static atomic_size_t children;

/* Owned by the session's target that spawned it; freed from the loop's
 * close queue after sg_mcp_child_kill. */
struct sg_mcp_child {
	struct sg_loop *loop;
	const struct sg_mcp_child_ops *ops;
	void *arg;
	char *name; /* the target's, for the log */
	pid_t pid;
	struct sg_io in, out, err; /* our ends: child's stdin, stdout, stderr */
	char *obuf;		   /* queued for stdin */
	size_t olen, ocap;
	char *ibuf; /* stdout read, up to a newline */
	size_t ilen, icap;
	size_t iscanned; /* ibuf's first bytes already searched: no newline */
	char ebuf[STDIO_ERR_LINE_MAX];
	size_t elen;
	unsigned elines;
	bool gone, dead;
	struct sg_closing closing;
};

size_t sg_mcp_children(void)
{
	return atomic_load(&children);
}

static void gone(struct sg_mcp_child *ch, const char *why)
{
	if (ch->gone)
		return;
	ch->gone = true;
	sg_io_set(ch->loop, &ch->in, 0);
	sg_io_set(ch->loop, &ch->out, 0);
	ch->ops->gone(ch->arg, why);
}

static int grow(char **p, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *q;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	if (!(q = realloc(*p, n)))
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* *p let go when it holds nothing and grew past STDIO_BUF_KEEP. */
static void shrink(char **p, size_t *cap, size_t len)
{
	if (len || *cap <= STDIO_BUF_KEEP)
		return;
	free(*p);
	*p = NULL;
	*cap = 0;
}

/* The child's stdout is at its end: it exited (or closed it too). */
static bool out_hung_up(const struct sg_mcp_child *ch)
{
	struct pollfd p = { .fd = ch->out.fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

static void flush(struct sg_mcp_child *ch)
{
	size_t off = 0;

	while (off < ch->olen) {
		ssize_t n = write(ch->in.fd, ch->obuf + off, ch->olen - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			/* A child that exited closed both pipes; which one the
			 * gateway meets first is chance: name the exit. */
			gone(ch, out_hung_up(ch) ? "it exited" : "its stdin closed");
			return;
		}
		off += (size_t)n;
	}
	memmove(ch->obuf, ch->obuf + off, ch->olen - off);
	ch->olen -= off;
	shrink(&ch->obuf, &ch->ocap, ch->olen);
	sg_io_set(ch->loop, &ch->in, ch->olen ? EPOLLOUT : 0);
}

static void on_in(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	(void)loop;
	(void)revents;
	flush(io->data);
}

/* Each whole line of ibuf to ops->line; a line over the bound ends it. */
static void lines(struct sg_mcp_child *ch)
{
	/* The search goes on where the last one ended: a long line read 64
	 * KiB at a time is searched once, not again after each read. */
	size_t start = 0, from = ch->iscanned;
	char *nl;

	while (!ch->gone && (nl = memchr(ch->ibuf + from, '\n', ch->ilen - from))) {
		size_t len = (size_t)(nl - (ch->ibuf + start));

		if (len && ch->ibuf[start + len - 1] == '\r')
			len--;
		if (len)
			ch->ops->line(ch->arg, ch->ibuf + start, len);
		start = from = (size_t)(nl - ch->ibuf) + 1;
	}
	memmove(ch->ibuf, ch->ibuf + start, ch->ilen - start);
	ch->ilen -= start;
	ch->iscanned = ch->ilen;
	shrink(&ch->ibuf, &ch->icap, ch->ilen);
	if (ch->ilen > SG_JSONRPC_MAX)
		gone(ch, "it wrote a message larger than the gateway reads");
}

static void on_out(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	struct sg_mcp_child *ch = io->data;

	(void)loop;
	(void)revents;
	for (int rounds = 0; rounds < 16 && !ch->gone; rounds++) {
		ssize_t n;

		if (grow(&ch->ibuf, &ch->icap, ch->ilen + STDIO_BUF_KEEP) == -ENOMEM) {
			gone(ch, "out of memory");
			return;
		}
		n = read(io->fd, ch->ibuf + ch->ilen, ch->icap - ch->ilen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			gone(ch, "it exited");
			return;
		}
		ch->ilen += (size_t)n;
		lines(ch);
	}
}

/* One read of stderr, logged a line at a time (the first
 * STDIO_ERR_LINES of them): the bytes read, 0 at its end, -1 (errno). */
static ssize_t read_err(struct sg_mcp_child *ch)
{
	char buf[4096];
	ssize_t n = read(ch->err.fd, buf, sizeof(buf));

	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && ch->elen < sizeof(ch->ebuf) - 1) {
			ch->ebuf[ch->elen++] = buf[i];
			continue;
		}
		if (buf[i] != '\n')
			continue; /* the rest of a long line is dropped */
		if (ch->elines++ < STDIO_ERR_LINES)
			SG_INFO("mcp target %s: stderr: %.*s", ch->name, (int)ch->elen, ch->ebuf);
		ch->elen = 0;
	}
	return n;
}

static void on_err(struct sg_loop *loop, struct sg_io *io, uint32_t revents)
{
	ssize_t n = read_err(io->data);

	(void)revents;
	if (n == 0 || (n == -1 && errno != EAGAIN))
		sg_io_set(loop, io, 0);
}

/* The environment: t's entries first, then the gateway's whose names t
 * does not set (none with clearEnv). NULL when out of memory. */
static char **environment(const struct sg_mcp_target *t)
{
	size_t n = 0, k = 0;
	char **env;

	while (!t->clear_env && environ[n])
		n++;
	if (!(env = calloc(n + t->env.n + 1, sizeof(*env))))
		return NULL;
	for (size_t i = 0; i < t->env.n; i++)
		env[k++] = (char *)(uintptr_t)t->env.v[i];
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		bool set = false;

		for (size_t j = 0; j < t->env.n && !set; j++)
			set = !strncmp(t->env.v[j], environ[i], len + 1);
		if (!set)
			env[k++] = environ[i];
	}
	return env;
}

static char **arguments(const struct sg_mcp_target *t)
{
	char **argv = calloc(t->args.n + 2, sizeof(*argv));

	if (!argv)
		return NULL;
	argv[0] = (char *)(uintptr_t)t->cmd;
	for (size_t i = 0; i < t->args.n; i++)
		argv[i + 1] = (char *)(uintptr_t)t->args.v[i];
	return argv;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(int fds[3][2], char **argv, char **env)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* the gateway ignores it; exec would keep that */
	setpgid(0, 0);
	if (dup2(fds[0][0], 0) == -1 || dup2(fds[1][1], 1) == -1 || dup2(fds[2][1], 2) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	execvpe(argv[0], argv, env);
	_exit(127);
}

static int attach(struct sg_mcp_child *ch, struct sg_io *io, int fd,
		  void (*cb)(struct sg_loop *, struct sg_io *, uint32_t), uint32_t events)
{
	io->cb = cb;
	io->data = ch;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 || sg_io_attach(ch->loop, io, fd) == -1)
		return -errno;
	return sg_io_set(ch->loop, io, events);
}

int sg_mcp_child_spawn(struct sg_loop *loop, const struct sg_mcp_target *t,
		       const struct sg_mcp_child_ops *ops, void *arg, struct sg_mcp_child **out)
{
	int fds[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	struct sg_mcp_child *ch = calloc(1, sizeof(*ch));
	char **argv = arguments(t), **env = environment(t);
	int rc = -ENOMEM;

	if (!ch || !argv || !env)
		goto fail;
	if (!(ch->name = strdup(t->name)))
		goto fail;
	for (int i = 0; i < 3; i++)
		if (pipe2(fds[i], O_CLOEXEC) == -1) {
			rc = -errno;
			goto fail;
		}
	ch->loop = loop;
	ch->ops = ops;
	ch->arg = arg;
	ch->in.fd = ch->out.fd = ch->err.fd = -1;
	ch->pid = fork();
	if (ch->pid == -1) {
		rc = -errno;
		goto fail;
	}
	if (ch->pid == 0)
		child(fds, argv, env);
	atomic_fetch_add(&children, 1);
	close(fds[0][0]);
	close(fds[1][1]);
	close(fds[2][1]);
	fds[0][0] = fds[1][1] = fds[2][1] = -1;
	if ((rc = attach(ch, &ch->in, fds[0][1], on_in, 0)) ||
	    (rc = attach(ch, &ch->out, fds[1][0], on_out, EPOLLIN)) ||
	    (rc = attach(ch, &ch->err, fds[2][0], on_err, EPOLLIN))) {
		free(argv);
		free(env);
		sg_mcp_child_kill(ch);
		return rc;
	}
	free(argv);
	free(env);
	*out = ch;
	return 0;
fail:
	for (int i = 0; i < 3; i++) {
		if (fds[i][0] != -1)
			close(fds[i][0]);
		if (fds[i][1] != -1)
			close(fds[i][1]);
	}
	free(argv);
	free(env);
	if (ch)
		free(ch->name);
	free(ch);
	return rc;
}

int sg_mcp_child_send(struct sg_mcp_child *ch, const char *msg, size_t len)
{
	if (ch->gone)
		return -EPIPE;
	if (ch->olen + len + 1 > SG_JSONRPC_MAX)
		return -ENOBUFS;
	if (grow(&ch->obuf, &ch->ocap, ch->olen + len + 1) == -ENOMEM)
		return -ENOMEM;
	memcpy(ch->obuf + ch->olen, msg, len);
	ch->olen += len;
	ch->obuf[ch->olen++] = '\n';
	flush(ch);
	return ch->gone ? -EPIPE : 0;
}

static void free_child(struct sg_closing *c)
{
	struct sg_mcp_child *ch =
		(struct sg_mcp_child *)((char *)c - offsetof(struct sg_mcp_child, closing));

	free(ch->obuf);
	free(ch->ibuf);
	free(ch->name);
	free(ch);
}

static void close_io(struct sg_loop *loop, struct sg_io *io)
{
	if (io->fd == -1)
		return;
	sg_io_set(loop, io, 0);
	close(io->fd);
	io->fd = -1;
}

void sg_mcp_child_kill(struct sg_mcp_child *ch)
{
	if (!ch || ch->dead)
		return;
	ch->dead = ch->gone = true;
	close_io(ch->loop, &ch->in);
	close_io(ch->loop, &ch->out);
	/* What it wrote on stderr before it went (a crash's last words, which
	 * may come after its stdout's end), bounded: 16 reads. */
	for (int i = 0; i < 16 && ch->err.fd != -1 && read_err(ch) > 0; i++)
		;
	close_io(ch->loop, &ch->err);
	/* The group: npx and the like run the server as their own child. */
	kill(-ch->pid, SIGKILL);
	kill(ch->pid, SIGKILL);
	while (waitpid(ch->pid, NULL, 0) == -1 && errno == EINTR)
		;
	atomic_fetch_sub(&children, 1);
	sg_loop_defer_close(ch->loop, &ch->closing, free_child);
}
