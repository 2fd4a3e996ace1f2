/* Durations as nanoseconds, read and written in Go's time.Duration text
 * format ("300ms", "1.5s", "1h2m3s") so configs match the Go tooling's. */
#ifndef SG_DURATION_H
#define SG_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sg_dur;		  /* nanoseconds */
#define SG_DUR_UNSET ((sg_dur)-1) /* "not configured" */
#define SG_DUR_MS(x) ((sg_dur)(x)*1000000LL)
#define SG_DUR_S(x) ((sg_dur)(x)*1000000000LL)

/* Parse Go duration syntax: "300ms", "1.5s", "10m0s", "1h2m3s", "0", "0s", units ns us µs
 * (U+00B5 and U+03BC) ms s m h, optional leading '+'. Negative values are rejected ("-0s"
 * is zero, as in Go). Overflow, "" and a number without unit (other than "0") are rejected.
 * Returns 0 and sets *out, or -1, leaves *out alone and writes a short reason ("empty",
 * "expected number", "missing unit", "unknown unit \"x\"", "negative duration", "overflow")
 * into why (NUL-terminated, truncated to whylen bytes; why may be NULL). */
int sg_dur_parse(const char *s, sg_dur *out, char *why, size_t whylen);

/* Print as Go's Duration.String() does: "0s", "500ms", "1.5s", "10m0s", "1m30s", "1h2m3s",
 * "1µs" (U+00B5 micro sign), "100ns", "2h0m0s", "1.000000001s"; negatives (SG_DUR_UNSET
 * too) as "-" and the magnitude, as Go does. Writes into buf (at least SG_DUR_STRLEN
 * bytes), returns buf. */
#define SG_DUR_STRLEN 40
char *sg_dur_format(sg_dur d, char *buf);

/* Milliseconds, rounding up any sub-ms remainder (for timers). 0 for d <= 0, which
 * includes SG_DUR_UNSET: check for it first. */
uint64_t sg_dur_to_ms_ceil(sg_dur d);

#endif
