/* sgtrace SECONDS: prints the verdict records of a gateway built with
 * -DSG_TRACE (bpf/splice.bpf.c) for SECONDS seconds, one line each:
 *   ns cookie verdict len seen= passed= acked= wq= transit= wnd= wmem= sndbuf= walloc=
 * ns is CLOCK_MONOTONIC (bpftrace's nsecs); wq is the peer's write_seq -
 * snd_una, transit the redirected bytes not yet in the peer's write queue,
 * wnd the peer's snd_wnd, wmem/sndbuf/walloc its sk_wmem_queued, sk_sndbuf
 * and sk_wmem_alloc (zero on lines where the verdict did not look at the
 * peer). The newest map named sg_trace is read. Build: cc -O2 sgtrace.c -lbpf */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ev {
	__u64 ns, cookie, seen, passed, acked;
	__u32 verdict, len, wq, transit, wnd, wmem, sndbuf, walloc;
};

static const char *const names[] = { "redirect", "no_state", "pending", "budget",    "no_peer",
				     "backlog",	 "failed",   "empty",	"duplicate", "corrupt" };

static int print_ev(void *ctx, void *data, size_t size)
{
	const struct ev *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	printf("%llu %llx %s %u seen=%llu passed=%llu acked=%llu wq=%u transit=%u wnd=%u "
	       "wmem=%u sndbuf=%u walloc=%u\n",
	       (unsigned long long)e->ns, (unsigned long long)e->cookie,
	       e->verdict < sizeof(names) / sizeof(names[0]) ? names[e->verdict] : "?", e->len,
	       (unsigned long long)e->seen, (unsigned long long)e->passed,
	       (unsigned long long)e->acked, e->wq, e->transit, e->wnd, e->wmem, e->sndbuf,
	       e->walloc);
	return 0;
}

int main(int argc, char **argv)
{
	__u32 id = 0, best = 0;
	struct ring_buffer *rb;
	time_t end;
	int fd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: sgtrace SECONDS\n");
		return 2;
	}
	while (bpf_map_get_next_id(id, &id) == 0) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		int f = bpf_map_get_fd_by_id(id);

		if (f < 0)
			continue;
		if (bpf_obj_get_info_by_fd(f, &info, &len) == 0 &&
		    strcmp(info.name, "sg_trace") == 0 && id > best) {
			if (fd >= 0)
				close(fd);
			fd = f;
			best = id;
		} else {
			close(f);
		}
	}
	if (fd < 0) {
		fprintf(stderr, "sgtrace: no map sg_trace (is a -DSG_TRACE gateway running?)\n");
		return 1;
	}
	rb = ring_buffer__new(fd, print_ev, NULL, NULL);
	if (!rb) {
		perror("sgtrace: ring_buffer__new");
		return 1;
	}
	end = time(NULL) + atoi(argv[1]);
	while (time(NULL) < end)
		ring_buffer__poll(rb, 100);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return 0;
}
