/* The sockmap splice engine's kernel side and `splicegate bpf`: the skeleton
 * lifecycle (load, attach with bpf_link, pin, open pinned), the pairing and
 * budget protocol of DESIGN §5 over the maps of bpf/splice.bpf.c, and the
 * drain barrier. The only module that includes libbpf. */
#include "user/relay/splice.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "user/base/log.h"

/* The generated skeleton: bpftool's code, compiled without our -Wcast-qual. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "bpf/splice.skel.h"
#pragma GCC diagnostic pop

/* tcp_info.tcpi_state values (include/net/tcp_states.h; <netinet/tcp.h>
 * has them too, but its struct tcp_info lacks the byte counters). */
#define TCPS_ESTABLISHED 1
#define TCPS_CLOSE_WAIT 8

#define LINK_PIN "sg_verdict_link"
#define PROG_PIN "sg_verdict"

/* Owned by the caller of sg_splice_open(). Read-only once open. */
struct sg_splice {
	struct splice_bpf *skel; /* maps reached as skel->maps.x; loaded only if private */
	int link_fd;		 /* our link (private) or the pinned one, held open */
	bool pinned;
	uint64_t backlog; /* the loaded default limit, 0 if unknown */
	char desc[PATH_MAX + 64];
};

/* Ring ids handed out by this process (see sg_splice_ring_open). */
static _Atomic unsigned ring_seq;

/* Owned by one consumer thread. */
struct sg_splice_ring {
	struct sg_splice *s;
	struct ring_buffer *rb;
	int map_fd;
	__u32 id;
	void (*fn)(void *ctx, uint64_t cookie, unsigned verdict);
	void *ctx;
};

static const char *const verdict_names[SG_V_MAX] = {
	[SG_V_REDIRECT] = "redirect",
	[SG_V_NO_STATE] = "no_state",
	[SG_V_PENDING] = "pending",
	[SG_V_BUDGET] = "budget",
	[SG_V_NO_PEER] = "no_peer",
	[SG_V_BACKLOG] = "backlog",
	[SG_V_REDIRECT_FAILED] = "redirect_failed",
	[SG_V_EMPTY] = "empty",
	[SG_V_DUPLICATE] = "duplicate",
	[SG_V_CORRUPT] = "corrupt",
	[SG_V_TRIMMED] = "trimmed",
};

const char *sg_splice_verdict_name(unsigned v)
{
	return v < SG_V_MAX ? verdict_names[v] : "?";
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* libbpf's own warnings (verifier logs among them) go to the debug log:
 * a failed load is reported once, by the caller, with errno. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	SG_DEBUG("libbpf: %s", line);
	return 0;
}

/* The maps that are pinned and shared, in pin order. */
static size_t pinned_maps(struct splice_bpf *skel, struct bpf_map **out)
{
	out[0] = skel->maps.socks;
	out[1] = skel->maps.sock_state;
	out[2] = skel->maps.sock_ctl;
	out[3] = skel->maps.verdicts;
	out[4] = skel->maps.rings;
	return 5;
}
#define NMAPS 5

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *default_dir(const struct sg_splice_opts *opts)
{
	return opts && opts->pin_dir ? opts->pin_dir : SG_SPLICE_PIN_DIR;
}

/* A pinned map must have the layout this build expects, or every value read
 * from it is garbage: compare with the skeleton's definition. */
static int check_map(struct bpf_map *m, int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m) ||
	    info.max_entries != bpf_map__max_entries(m))
		return -EPROTO;
	return 0;
}

/* The pinned program's load-time constants (its .rodata map), read through
 * the program's pin at path: 0, or -EPROTO when it has none of this build's
 * layout (another build's), -errno when the pin cannot be opened. */
static int pinned_rodata(const char *path, struct splice_bpf__rodata *ro)
{
	struct bpf_prog_info pinfo = { 0 };
	__u32 ids[8], len = sizeof(pinfo);
	int fd, rc;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	pinfo.nr_map_ids = 8;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	rc = bpf_obj_get_info_by_fd(fd, &pinfo, &len) ? -errno : -EPROTO;
	for (__u32 i = 0; rc == -EPROTO && i < pinfo.nr_map_ids && i < 8; i++) {
		struct bpf_map_info m = { 0 };
		__u32 mlen = sizeof(m), zero = 0;
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &m, &mlen) && strstr(m.name, ".rodata") &&
		    m.value_size == sizeof(*ro) && !bpf_map_lookup_elem(mfd, &zero, ro))
			rc = 0;
		close(mfd);
	}
	close(fd);
	return rc;
}

/* The program pinned at path must be built from this build's source: the
 * maps' layout alone (check_map) lets another version's rules run on our
 * sockets. Sets s->backlog from it. */
static int check_program(struct sg_splice *s, const char *path)
{
	struct splice_bpf__rodata ro;
	int rc = pinned_rodata(path, &ro);

	if (rc)
		return rc;
	if (ro.sg_source_id != s->skel->rodata->sg_source_id)
		return -EPROTO;
	s->backlog = ro.sg_backlog_limit;
	return 0;
}

/* Points the skeleton's maps at the pinned ones and holds the pinned link,
 * so `bpf unload` cannot detach the program under a running gateway. */
static int open_pinned(struct sg_splice *s, const char *dir, char *err, size_t errlen)
{
	struct bpf_map *maps[NMAPS];
	char path[PATH_MAX];
	size_t n = pinned_maps(s->skel, maps);
	int fd, rc;

	rc = pin_path(path, sizeof(path), dir, PROG_PIN);
	if (!rc)
		rc = check_program(s, path);
	if (rc)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		rc = pin_path(path, sizeof(path), dir, bpf_map__name(maps[i]));
		if (rc)
			goto fail;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			rc = -errno;
			goto fail;
		}
		rc = check_map(maps[i], fd);
		if (!rc && bpf_map__reuse_fd(maps[i], fd))
			rc = -errno;
		close(fd);
		if (rc)
			goto fail;
	}
	rc = pin_path(path, sizeof(path), dir, LINK_PIN);
	if (rc)
		goto fail;
	s->link_fd = bpf_obj_get(path);
	if (s->link_fd < 0) {
		rc = -errno;
		goto fail;
	}
	s->pinned = true;
	snprintf(s->desc, sizeof(s->desc), "pinned at %s (backlog limit %llu bytes)", dir,
		 (unsigned long long)s->backlog);
	return 0;
fail:
	errf(err, errlen, "%s: %s%s", path, strerror(-rc),
	     rc == -EPROTO ? " (pinned by another splicegate build: run `splicegate bpf unload`,"
			     " then `splicegate bpf load` if it should stay pinned)"
			   : "");
	return rc;
}

static int load_private(struct sg_splice *s, uint64_t backlog, uint32_t max_socks, char *err,
			size_t errlen)
{
	int rc;

	s->skel->rodata->sg_backlog_limit = backlog ? backlog : SG_BACKLOG_DEFAULT;
	if (max_socks) {
		bpf_map__set_max_entries(s->skel->maps.socks, max_socks);
		bpf_map__set_max_entries(s->skel->maps.sock_state, max_socks);
		bpf_map__set_max_entries(s->skel->maps.sock_ctl, max_socks);
	}
	rc = splice_bpf__load(s->skel);
	if (rc) {
		errf(err, errlen, "loading the BPF program failed: %s%s", strerror(-rc),
		     rc == -EPERM ? " (needs root, or `splicegate bpf load` first)" : "");
		return rc;
	}
	s->link_fd =
		bpf_link_create(bpf_program__fd(s->skel->progs.sg_verdict),
				bpf_map__fd(s->skel->maps.socks), BPF_SK_SKB_STREAM_VERDICT, NULL);
	if (s->link_fd < 0) {
		rc = -errno;
		errf(err, errlen, "attaching the stream verdict to the socket map failed: %s",
		     strerror(-rc));
		return rc;
	}
	s->backlog = s->skel->rodata->sg_backlog_limit;
	snprintf(s->desc, sizeof(s->desc), "loaded privately (backlog limit %llu bytes)",
		 (unsigned long long)s->backlog);
	return 0;
}

/* 1 when the link is pinned under dir, 0 when not, -errno when that cannot
 * be told (EACCES: the pin directory is root's, mode 0700). */
static int pinned(const char *dir)
{
	char path[PATH_MAX];

	if (!*dir || pin_path(path, sizeof(path), dir, LINK_PIN))
		return 0;
	if (access(path, F_OK) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

static bool is_pinned(const char *dir)
{
	return pinned(dir) == 1;
}

struct sg_splice *sg_splice_open(const struct sg_splice_opts *opts, char *err, size_t errlen)
{
	const char *dir = default_dir(opts);
	struct sg_splice *s;
	int rc;

	errf(err, errlen, "unknown error");
	libbpf_set_print(libbpf_log);
	s = calloc(1, sizeof(*s));
	if (!s) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	s->link_fd = -1;
	s->skel = splice_bpf__open();
	if (!s->skel) {
		rc = -errno;
		errf(err, errlen, "opening the BPF object failed: %s", strerror(-rc));
		goto free_s;
	}
	if (is_pinned(dir))
		rc = open_pinned(s, dir, err, errlen);
	else
		rc = load_private(s, opts ? opts->backlog : 0, opts ? opts->max_socks : 0, err,
				  errlen);
	if (rc)
		goto destroy_skel;
	return s;

destroy_skel:
	if (s->link_fd >= 0)
		close(s->link_fd);
	splice_bpf__destroy(s->skel);
free_s:
	free(s);
	errno = -rc;
	return NULL;
}

void sg_splice_close(struct sg_splice *s)
{
	if (!s)
		return;
	if (s->link_fd >= 0)
		close(s->link_fd);
	splice_bpf__destroy(s->skel);
	free(s);
}

const char *sg_splice_describe(const struct sg_splice *s)
{
	return s->desc;
}

/* ---- the pairing protocol ------------------------------------------------ */

static int state_fd(const struct sg_splice *s)
{
	return bpf_map__fd(s->skel->maps.sock_state);
}

static int ctl_fd(const struct sg_splice *s)
{
	return bpf_map__fd(s->skel->maps.sock_ctl);
}

int sg_splice_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) == -1)
		return -errno;
	return 0;
}

static int tcp_info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) == -1)
		return errno == ENOPROTOOPT ? -EOPNOTSUPP : -errno;
	return 0;
}

/* Bytes ever queued on fd's send side: sent once, or not sent yet. */
static uint64_t stream_pos(const struct tcp_info *ti)
{
	return ti->tcpi_bytes_sent - ti->tcpi_bytes_retrans + ti->tcpi_notsent_bytes;
}

static uint64_t now_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int lookup(int map_fd, uint64_t cookie, void *value)
{
	return bpf_map_lookup_elem(map_fd, &cookie, value) ? -errno : 0;
}

/* Whether the verdict may be redirecting fd's bytes right now: then its
 * redirected count moves under us and no budget can be placed exactly. */
static bool redirecting(const struct sg_sock_state *st, const struct sg_sock_ctl *ctl)
{
	return st->passed == ctl->acked && st->seen < ctl->end;
}

static uint64_t budget_end(const struct sg_sock_state *st, uint64_t consumed, uint64_t budget)
{
	uint64_t pos = st->redirected + consumed;

	return budget > SG_END_NONE - pos ? SG_END_NONE : pos + budget;
}

/* What pairing one side will write, worked out before anything is written. */
struct plan {
	uint64_t cookie;
	bool fresh; /* no state entry yet: create one */
	struct sg_sock_state st;
	struct sg_sock_ctl old, ctl;
	bool had_ctl;
};

static int plan_side(struct sg_splice *s, const struct sg_splice_side *side, struct plan *p)
{
	struct tcp_info ti;
	int rc;

	rc = sg_splice_cookie(side->fd, &p->cookie);
	if (rc)
		return rc == -ENOTSOCK || rc == -EBADF ? -EINVAL : rc;
	rc = tcp_info_of(side->fd, &ti);
	if (rc)
		return rc;
	if (ti.tcpi_state != TCPS_ESTABLISHED)
		return -EOPNOTSUPP;
	memset(&p->st, 0, sizeof(p->st));
	rc = lookup(state_fd(s), p->cookie, &p->st);
	if (rc && rc != -ENOENT)
		return rc;
	p->fresh = rc == -ENOENT;
	p->had_ctl = !p->fresh && !lookup(ctl_fd(s), p->cookie, &p->old);
	if (side->consumed > p->st.passed)
		return -EINVAL;
	if (p->had_ctl && redirecting(&p->st, &p->old))
		return -EBUSY;
	memset(&p->ctl, 0, sizeof(p->ctl));
	p->ctl.backlog = side->backlog;
	p->ctl.acked = side->consumed;
	p->ctl.end = budget_end(&p->st, side->consumed, side->budget);
	p->ctl.base = stream_pos(&ti);
	p->ctl.redir_base = p->st.redirected;
	if (p->fresh)
		p->st.last_ns = now_coarse_ns();
	return 0;
}

static int write_side(struct sg_splice *s, struct plan *p)
{
	if (p->fresh && bpf_map_update_elem(state_fd(s), &p->cookie, &p->st, BPF_NOEXIST))
		return errno == EEXIST ? -EBUSY : -errno;
	if (bpf_map_update_elem(ctl_fd(s), &p->cookie, &p->ctl, BPF_ANY)) {
		int rc = -errno;

		if (p->fresh)
			bpf_map_delete_elem(state_fd(s), &p->cookie);
		return rc;
	}
	return 0;
}

/* Undoes write_side: a known socket gets its previous control entry back;
 * a fresh one loses its control entry, so the verdict passes its bytes, and
 * its state entry too unless it made it into the socket map: the verdict
 * still cuts TCP's duplicate heads (bpf/splice.bpf.c dedup()) for a socket
 * with state, which userspace then reads as a plain socket until close. */
static void unwrite_side(struct sg_splice *s, struct plan *p, bool in_map)
{
	if (p->had_ctl)
		bpf_map_update_elem(ctl_fd(s), &p->cookie, &p->old, BPF_ANY);
	else
		bpf_map_delete_elem(ctl_fd(s), &p->cookie);
	if (p->fresh && !in_map)
		bpf_map_delete_elem(state_fd(s), &p->cookie);
}

/* A socket already in the map (paired before) stays there: fine. The
 * kernel reports that as EBUSY (the socket has a verdict program already,
 * checked before the key), so look it up before calling it an error. */
static int insert(struct sg_splice *s, int fd, uint64_t cookie)
{
	int map = bpf_map__fd(s->skel->maps.socks);
	uint64_t value = (uint64_t)fd;
	int rc;

	if (!bpf_map_update_elem(map, &cookie, &value, BPF_NOEXIST))
		return 0;
	rc = -errno;
	if ((rc == -EEXIST || rc == -EBUSY) && !bpf_map_lookup_elem(map, &cookie, &value))
		return 0;
	return rc;
}

static int kick(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) == -1 ? -errno : 0;
}

int sg_splice_pair(struct sg_splice *s, const struct sg_splice_side *a,
		   const struct sg_splice_side *b, const struct sg_splice_ring *ring)
{
	struct plan pa, pb;
	int rc;

	if (a->fd == b->fd)
		return -EINVAL;
	rc = plan_side(s, a, &pa);
	if (!rc)
		rc = plan_side(s, b, &pb);
	if (rc)
		return rc;
	pa.ctl.peer = pb.cookie;
	pb.ctl.peer = pa.cookie;
	pa.ctl.ring = pb.ctl.ring = ring ? ring->id : 0;

	rc = write_side(s, &pa);
	if (rc)
		return rc;
	rc = write_side(s, &pb);
	if (rc)
		goto unwrite_a;
	/* Target before source (fact 2): b is a's target. */
	rc = insert(s, b->fd, pb.cookie);
	if (rc)
		goto unwrite_b;
	rc = insert(s, a->fd, pa.cookie);
	if (rc)
		goto unwrite_b_in_map; /* b stays in the map until close (fact 6) */
	/* Bytes that arrived before insertion sit in the receive queue until
	 * something runs the verdict: this does, under the socket lock (fact 3). */
	rc = kick(b->fd);
	if (!rc)
		rc = kick(a->fd);
	return rc;

unwrite_b_in_map:
	unwrite_side(s, &pb, true);
	unwrite_side(s, &pa, !pa.fresh);
	return rc == -ENOSPC ? -E2BIG : rc;
unwrite_b:
	unwrite_side(s, &pb, !pb.fresh);
unwrite_a:
	unwrite_side(s, &pa, !pa.fresh);
	return rc == -ENOSPC ? -E2BIG : rc;
}

static int get_entries(struct sg_splice *s, int fd, uint64_t *cookie, struct sg_sock_state *st,
		       struct sg_sock_ctl *ctl)
{
	int rc = sg_splice_cookie(fd, cookie);

	if (!rc)
		rc = lookup(state_fd(s), *cookie, st);
	if (!rc)
		rc = lookup(ctl_fd(s), *cookie, ctl);
	return rc;
}

static int update_ctl(struct sg_splice *s, int fd, uint64_t consumed, bool set, uint64_t budget)
{
	struct sg_sock_state st;
	struct sg_sock_ctl ctl;
	uint64_t cookie;
	int rc;

	rc = get_entries(s, fd, &cookie, &st, &ctl);
	if (rc)
		return rc;
	if (st.flags & SG_SF_CORRUPT)
		return -EPROTO;
	if (consumed > st.passed)
		return -EINVAL;
	if (set) {
		if (redirecting(&st, &ctl))
			return -EBUSY;
		ctl.end = budget_end(&st, consumed, budget);
	}
	ctl.acked = consumed;
	return bpf_map_update_elem(ctl_fd(s), &cookie, &ctl, BPF_EXIST) ? -errno : 0;
}

int sg_splice_set_budget(struct sg_splice *s, int fd, uint64_t consumed, uint64_t budget)
{
	return update_ctl(s, fd, consumed, true, budget);
}

int sg_splice_ack(struct sg_splice *s, int fd, uint64_t consumed)
{
	return update_ctl(s, fd, consumed, false, 0);
}

int sg_splice_settled(struct sg_splice *s, uint64_t cookie, uint64_t consumed)
{
	struct sg_sock_state st;
	int rc;

	/* The ack's store (made in the kernel on this CPU) before this load:
	 * bpf/splice.bpf.c pass() keeps the mirror order. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rc = lookup(state_fd(s), cookie, &st);
	if (rc)
		return rc;
	return st.passed == consumed;
}

int sg_splice_budget_left(struct sg_splice *s, int fd, uint64_t consumed, uint64_t *left)
{
	struct sg_sock_state st;
	struct sg_sock_ctl ctl;
	uint64_t cookie, pos;
	int rc;

	rc = get_entries(s, fd, &cookie, &st, &ctl);
	if (rc)
		return rc;
	pos = st.redirected + consumed;
	if (ctl.end == SG_END_NONE)
		*left = UINT64_MAX;
	else
		*left = ctl.end > pos ? ctl.end - pos : 0;
	return 0;
}

int sg_splice_drained(struct sg_splice *s, int fd_dst, uint64_t written)
{
	struct sg_sock_state src_st;
	struct sg_sock_ctl dst_ctl = { 0 }, src_ctl;
	struct tcp_info ti;
	uint64_t cookie;
	bool peer_gone = false;
	int rc;

	rc = sg_splice_cookie(fd_dst, &cookie);
	if (!rc)
		rc = lookup(ctl_fd(s), cookie, &dst_ctl);
	if (!rc)
		rc = lookup(ctl_fd(s), dst_ctl.peer, &src_ctl);
	if (!rc)
		rc = lookup(state_fd(s), dst_ctl.peer, &src_st);
	if (rc == -ENOENT && dst_ctl.peer) {
		/* The peer closed (and was forgotten) after its last
		 * redirects were drained: only our own writes count. */
		peer_gone = true;
		rc = 0;
	}
	if (!rc)
		rc = tcp_info_of(fd_dst, &ti);
	if (rc)
		return rc;
	if (!peer_gone && (src_st.flags & SG_SF_CORRUPT))
		return -EPROTO;
	if (ti.tcpi_state != TCPS_ESTABLISHED && ti.tcpi_state != TCPS_CLOSE_WAIT)
		return -EPIPE;
	/* The source may have been re-targeted since: then none of its
	 * redirects since are ours, and ours were drained before it moved. */
	if (peer_gone || src_ctl.peer != cookie)
		return stream_pos(&ti) >= dst_ctl.base + written;
	return stream_pos(&ti) >= dst_ctl.base + written + (src_st.redirected - src_ctl.redir_base);
}

int sg_splice_drain_wait(struct sg_splice *s, int fd_dst, uint64_t written, int timeout_ms)
{
	uint64_t deadline = now_coarse_ns() + (uint64_t)timeout_ms * 1000000u;
	struct timespec pause = { 0, 20000 };
	int rc;

	while ((rc = sg_splice_drained(s, fd_dst, written)) == 0) {
		if (now_coarse_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 1000000)
			pause.tv_nsec *= 2;
	}
	return rc < 0 ? rc : 0;
}

int sg_splice_forget(struct sg_splice *s, int fd)
{
	uint64_t cookie;
	int rc = sg_splice_cookie(fd, &cookie);

	if (rc)
		return rc;
	if (bpf_map_delete_elem(ctl_fd(s), &cookie) && errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(state_fd(s), &cookie) && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- observation ------------------------------------------------------- */

static void fill_sock(struct sg_splice_sock *o, uint64_t cookie, const struct sg_sock_state *st,
		      uint64_t now)
{
	o->cookie = cookie;
	o->bytes = st->seen;
	o->redirected = st->redirected;
	o->passed = st->passed;
	o->idle_ns = now > st->last_ns ? now - st->last_ns : 0;
	o->passing = st->flags & SG_SF_PASSING;
	o->corrupt = st->flags & SG_SF_CORRUPT;
}

int sg_splice_sock(struct sg_splice *s, int fd, struct sg_splice_sock *out)
{
	struct sg_sock_state st;
	uint64_t cookie;
	int rc = sg_splice_cookie(fd, &cookie);

	if (!rc)
		rc = lookup(state_fd(s), cookie, &st);
	if (rc)
		return rc;
	fill_sock(out, cookie, &st, now_coarse_ns());
	return 0;
}

#define STATS_BATCH 1024

ssize_t sg_splice_stats(struct sg_splice *s, struct sg_splice_sock *out, size_t max)
{
	static const size_t batch = STATS_BATCH;
	uint64_t keys[STATS_BATCH], in, next, now = now_coarse_ns();
	struct sg_sock_state *vals;
	bool first = true, done = false;
	size_t n = 0;
	int rc = 0;

	vals = calloc(batch, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!done && n < max) {
		/* Always a whole batch: the kernel wants room for a bucket. */
		__u32 count = (__u32)batch;

		if (bpf_map_lookup_batch(state_fd(s), first ? NULL : &in, &next, keys, vals, &count,
					 NULL)) {
			if (errno != ENOENT) {
				rc = -errno;
				break;
			}
			done = true; /* the last batch, possibly with entries */
		}
		for (__u32 i = 0; i < count && n < max; i++)
			fill_sock(&out[n++], keys[i], &vals[i], now);
		in = next;
		first = false;
	}
	free(vals);
	return rc ? rc : (ssize_t)n;
}

int sg_splice_counters(struct sg_splice *s, struct sg_splice_counters *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_verdict_count *per;
	int rc = 0;

	if (ncpu < 0)
		return ncpu;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (__u32 v = 0; v < SG_V_MAX; v++) {
		if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.verdicts), &v, per)) {
			rc = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++) {
			out->skbs[v] += per[c].skbs;
			out->bytes[v] += per[c].bytes;
		}
	}
	free(per);
	return rc;
}

/* ---- notification rings -------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t len)
{
	struct sg_splice_ring *r = ctx;
	const struct sg_pass_event *ev = data;

	if (len >= sizeof(*ev))
		r->fn(r->ctx, ev->cookie, ev->verdict);
	return 0;
}

struct sg_splice_ring *sg_splice_ring_open(struct sg_splice *s, char *err, size_t errlen)
{
	struct sg_splice_ring *r;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r) {
		errf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->s = s;
	/* The pid (at most 22 bits) and a per-process sequence number: unique
	 * among live processes host-wide, so gateways sharing pinned maps never
	 * collide; an entry left by a dead process of the same pid is stale
	 * and replaced. */
	r->id = ((__u32)getpid() << 8) | (atomic_fetch_add(&ring_seq, 1) & 0xffu);
	r->map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sg_ring", 0, 0, SG_RING_BYTES, NULL);
	if (r->map_fd < 0) {
		rc = -errno;
		errf(err, errlen, "creating a notification ring failed: %s", strerror(-rc));
		goto free_r;
	}
	r->rb = ring_buffer__new(r->map_fd, on_event, r, NULL);
	if (!r->rb) {
		rc = -errno;
		errf(err, errlen, "mapping a notification ring failed: %s", strerror(-rc));
		goto close_map;
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.rings), &r->id, &r->map_fd, BPF_ANY)) {
		rc = -errno;
		errf(err, errlen, "registering a notification ring failed: %s", strerror(-rc));
		goto free_rb;
	}
	return r;

free_rb:
	ring_buffer__free(r->rb);
close_map:
	close(r->map_fd);
free_r:
	free(r);
	errno = -rc;
	return NULL;
}

int sg_splice_ring_fd(const struct sg_splice_ring *r)
{
	return r->map_fd;
}

int sg_splice_ring_read(struct sg_splice_ring *r,
			void (*fn)(void *ctx, uint64_t cookie, unsigned verdict), void *ctx)
{
	r->fn = fn;
	r->ctx = ctx;
	return ring_buffer__consume(r->rb);
}

void sg_splice_ring_close(struct sg_splice_ring *r)
{
	if (!r)
		return;
	bpf_map_delete_elem(bpf_map__fd(r->s->skel->maps.rings), &r->id);
	ring_buffer__free(r->rb);
	close(r->map_fd);
	free(r);
}

/* ---- splicegate bpf load|unload|status ----------------------------------- */

struct cli_opts {
	const char *dir;
	uint64_t backlog;
};

/* systemd mounts bpffs at /sys/fs/bpf; a bare VM or container may not.
 * bpftool mounts it itself in that case, and so do we, for that one place. */
static int ensure_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	struct statfs sfs;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (strcmp(parent, "/sys/fs/bpf") != 0) {
		fprintf(stderr, "splicegate bpf: %s is not on a BPF filesystem (mount -t bpf)\n",
			parent);
		return -ENOTSUP;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700") == -1) {
		int rc = -errno;

		fprintf(stderr, "splicegate bpf: mounting bpffs at %s: %s\n", parent,
			strerror(-rc));
		return rc;
	}
	return 0;
}

static void unpin_all(const char *dir, bool verbose)
{
	const char *names[] = { LINK_PIN,   PROG_PIN,	"socks", "sock_state",
				"sock_ctl", "verdicts", "rings" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pin_path(path, sizeof(path), dir, names[i]))
			continue;
		if (unlink(path) == 0 && verbose)
			printf("  removed %s\n", path);
	}
}

static int pin_one(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int rc = pin_path(path, sizeof(path), dir, name);

	if (!rc && bpf_obj_pin(fd, path))
		rc = -errno;
	if (rc)
		fprintf(stderr, "splicegate bpf: pinning %s/%s: %s\n", dir, name, strerror(-rc));
	return rc;
}

static int pin_everything(struct splice_bpf *skel, int link_fd, const char *dir)
{
	struct bpf_map *maps[NMAPS];
	size_t n = pinned_maps(skel, maps);
	int rc;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = -errno;
		fprintf(stderr, "splicegate bpf: mkdir %s: %s\n", dir, strerror(-rc));
		return rc;
	}
	chmod(dir, 0700);
	for (size_t i = 0; i < n; i++) {
		rc = pin_one(bpf_map__fd(maps[i]), dir, bpf_map__name(maps[i]));
		if (rc)
			return rc;
	}
	rc = pin_one(bpf_program__fd(skel->progs.sg_verdict), dir, PROG_PIN);
	if (!rc)
		rc = pin_one(link_fd, dir, LINK_PIN);
	return rc;
}

static int cli_load(const struct cli_opts *o)
{
	char err[256];
	struct sg_splice_opts so = { .pin_dir = "", .backlog = o->backlog };
	struct sg_splice *s;
	int rc;

	if (ensure_bpffs(o->dir))
		return 2;
	if (is_pinned(o->dir)) {
		so.pin_dir = o->dir;
		s = sg_splice_open(&so, err, sizeof(err));
		if (!s) {
			fprintf(stderr, "splicegate bpf: %s\n", err);
			return 2;
		}
		printf("already loaded: %s\n", sg_splice_describe(s));
		sg_splice_close(s);
		return 0;
	}
	s = sg_splice_open(&so, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "splicegate bpf: %s\n", err);
		return 2;
	}
	rc = pin_everything(s->skel, s->link_fd, o->dir);
	if (rc) {
		unpin_all(o->dir, false);
		rmdir(o->dir);
	} else {
		printf("loaded and pinned at %s (backlog limit %llu bytes)\n", o->dir,
		       (unsigned long long)s->backlog);
	}
	sg_splice_close(s);
	return rc ? 2 : 0;
}

static int cli_unload(const struct cli_opts *o)
{
	struct stat st;

	if (stat(o->dir, &st) == -1) {
		printf("not loaded (nothing pinned at %s)\n", o->dir);
		return 0;
	}
	unpin_all(o->dir, true);
	if (rmdir(o->dir) == -1) {
		fprintf(stderr, "splicegate bpf: rmdir %s: %s\n", o->dir, strerror(errno));
		return 2;
	}
	printf("unloaded: %s removed; running gateways keep their open copies\n", o->dir);
	return 0;
}

static long count_keys(int fd)
{
	uint64_t key, next;
	long n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key, n++)
		key = next;
	return errno == ENOENT ? n : -errno;
}

static void print_counters(struct sg_splice *s)
{
	struct sg_splice_counters c;

	if (sg_splice_counters(s, &c)) {
		printf("verdicts: unreadable\n");
		return;
	}
	printf("%-18s %14s %18s\n", "verdict", "skbs", "bytes");
	for (unsigned v = 0; v < SG_V_MAX; v++)
		printf("  %-16s %14llu %18llu\n", sg_splice_verdict_name(v),
		       (unsigned long long)c.skbs[v], (unsigned long long)c.bytes[v]);
}

static int cli_status(const struct cli_opts *o)
{
	struct sg_splice_opts so = { .pin_dir = o->dir };
	struct bpf_map *maps[NMAPS];
	struct sg_splice *s;
	char err[256];
	size_t n;
	int rc;

	rc = pinned(o->dir);
	if (rc < 0) {
		fprintf(stderr, "splicegate bpf: cannot look under %s: %s%s\n", o->dir,
			strerror(-rc), rc == -EACCES ? " (the pins are root's: run as root)" : "");
		return 2;
	}
	if (rc == 0) {
		printf("not loaded (nothing pinned at %s)\n", o->dir);
		return 0;
	}
	s = sg_splice_open(&so, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "splicegate bpf: %s\n", err);
		return 2;
	}
	printf("pinned at %s: program %s, link %s (backlog limit %llu bytes)\n", o->dir, PROG_PIN,
	       LINK_PIN, (unsigned long long)s->backlog);
	n = pinned_maps(s->skel, maps);
	for (size_t i = 0; i < n; i++) {
		if (bpf_map__type(maps[i]) == BPF_MAP_TYPE_PERCPU_ARRAY)
			continue;
		printf("  map %-12s %6ld / %u entries\n", bpf_map__name(maps[i]),
		       count_keys(bpf_map__fd(maps[i])), bpf_map__max_entries(maps[i]));
	}
	print_counters(s);
	sg_splice_close(s);
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli_opts *o)
{
	static const struct option longopts[] = {
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "backlog", required_argument, NULL, 'b' },
		{ 0 },
	};
	char *end;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->dir = optarg;
			break;
		case 'b':
			errno = 0;
			o->backlog = strtoull(optarg, &end, 10);
			if (errno || *end || o->backlog == 0) {
				fprintf(stderr,
					"splicegate bpf: --backlog: expected a byte count such "
					"as 2097152, got \"%s\"\n",
					optarg);
				return -1;
			}
			break;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "splicegate bpf: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->dir[0] != '/') {
		fprintf(stderr,
			"splicegate bpf: --pin-dir: expected an absolute path, got \"%s\"\n",
			o->dir);
		return -1;
	}
	return 0;
}

int sg_splice_cli(int argc, char **argv)
{
	struct cli_opts o = { .dir = SG_SPLICE_PIN_DIR };
	const char *cmd = argc > 0 ? argv[0] : "";

	if (strcmp(cmd, "load") && strcmp(cmd, "unload") && strcmp(cmd, "status")) {
		fprintf(stderr, "usage: splicegate bpf load|unload|status [--pin-dir DIR] "
				"[--backlog BYTES]\n");
		return 1;
	}
	if (parse_cli(argc, argv, &o))
		return 1;
	if (!strcmp(cmd, "load"))
		return cli_load(&o);
	if (!strcmp(cmd, "unload"))
		return cli_unload(&o);
	return cli_status(&o);
}
