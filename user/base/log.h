/* Logging: one line per event to stderr, with a level that can change at
 * run time (POST /logging?level=). */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum sg_log_level {
	SG_LOG_ERROR,
	SG_LOG_WARN,
	SG_LOG_INFO,
	SG_LOG_DEBUG,
};

/* Returns 0, or -1 for a name that is not error|warn|info|debug. */
int sg_log_set_level(const char *name);
const char *sg_log_level_name(void);
void sg_log(enum sg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A bound on lines of one kind, so that a failure repeated at request
 * rate cannot flood the log: at most `burst` lines a second, the ones over
 * it held back and counted. Owned by the one thread that logs them;
 * zeroed: ready. */
struct sg_log_limit {
	uint64_t second; /* ms its current second began */
	unsigned n;	 /* lines let through in it */
	unsigned held;	 /* held back since the last line let through */
};

/* True: log this line, *held being the lines of its kind held back since
 * the last one let through (the line should say so); false: it is held
 * back. now_ms: the caller's clock. */
bool sg_log_limit_take(struct sg_log_limit *l, uint64_t now_ms, unsigned burst, unsigned *held);

#define SG_ERR(...) sg_log(SG_LOG_ERROR, __VA_ARGS__)
#define SG_WARN(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define SG_INFO(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define SG_DEBUG(...) sg_log(SG_LOG_DEBUG, __VA_ARGS__)

/* An invariant ("cannot happen"), never input: abort, naming the place.
 * Needs nothing linked (the codecs' fuzzers use it too). */
#define SG_BUG_ON(cond)                                                                            \
	do {                                                                                       \
		if (cond) {                                                                        \
			fprintf(stderr, "%s:%d: BUG: %s\n", __FILE__, __LINE__, #cond);            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
