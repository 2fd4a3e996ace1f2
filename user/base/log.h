/* Logging: one line per event to stderr, with a level that can change at
 * run time (POST /logging?level=). */
#ifndef SG_LOG_H
#define SG_LOG_H

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
