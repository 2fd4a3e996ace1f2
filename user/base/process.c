/* This process's figures for /metrics (see process.h), from
 * /proc/self/stat (CPU ticks, start ticks after boot, sizes), /proc/stat's
 * btime (the boot's time of day), /proc/self/fd and getrlimit. */
#include "user/base/process.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The boot's time of day in seconds (/proc/stat's btime); 0: unknown. */
static uint64_t boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	unsigned long long bt = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static uint64_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the directory's own fd */
}

int sg_process_read(struct sg_process *p)
{
	FILE *f = fopen("/proc/self/stat", "re");
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime, stime, start, vsize;
	long long rss;
	struct rlimit rl;
	char buf[1024], *after;
	int n = 0;

	memset(p, 0, sizeof(*p));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur;
	p->open_fds = count_fds();
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* The command name is in parentheses and may hold spaces: the
	 * fields are counted from the last ')'. utime is field 14, stime
	 * 15, starttime 22, vsize 23, rss 24. */
	after = strrchr(buf, ')');
	if (after)
		n = sscanf(after + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
			   "%*d %*d %llu %llu %lld",
			   &utime, &stime, &start, &vsize, &rss);
	if (n != 5 || tick <= 0)
		return -EIO;
	p->cpu_seconds = (double)(utime + stime) / (double)tick;
	p->start_seconds = (double)boot_time() + (double)start / (double)tick;
	p->vsize_bytes = vsize;
	p->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	return 0;
}
