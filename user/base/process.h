/* The gateway process as Prometheus' process collector shows a process:
 * CPU time, resident memory, open and allowed file descriptors, start
 * time; read from /proc and getrlimit when /metrics is scraped. */
#ifndef SG_PROCESS_H
#define SG_PROCESS_H

#include <stdint.h>

struct sg_process {
	double cpu_seconds;   /* user + system, every thread's */
	uint64_t rss_bytes;   /* resident memory */
	uint64_t vsize_bytes; /* virtual memory */
	uint64_t open_fds;    /* entries of /proc/self/fd */
	uint64_t max_fds;     /* RLIMIT_NOFILE's soft limit */
	double start_seconds; /* since the epoch */
};

/* Fills *p for this process. Returns 0, or -errno when /proc cannot be
 * read (the fields it could not read are 0). */
int sg_process_read(struct sg_process *p);

#endif
