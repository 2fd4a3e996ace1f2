/* Leveled logging to stderr. The level is the one piece of process-wide
 * state the logger keeps: it is an atomic int so workers may read it while
 * the admin thread of control changes it. */
#include "user/base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const names[] = { "error", "warn", "info", "debug" };
static _Atomic int current = SG_LOG_INFO;

int sg_log_set_level(const char *name)
{
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		if (strcmp(names[i], name) == 0) {
			current = i;
			return 0;
		}
	}
	return -1;
}

const char *sg_log_level_name(void)
{
	return names[current];
}

void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if ((int)level > current)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, names[level], line);
}

bool sg_log_limit_take(struct sg_log_limit *l, uint64_t now_ms, unsigned burst, unsigned *held)
{
	if (now_ms - l->second >= 1000 || !l->second) {
		l->second = now_ms ? now_ms : 1;
		l->n = 0;
	}
	if (l->n >= burst) {
		l->held++;
		return false;
	}
	l->n++;
	*held = l->held;
	l->held = 0;
	return true;
}
