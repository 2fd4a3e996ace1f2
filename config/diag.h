/* Diagnostics for config loading: errors and warnings, one line each,
 * "file:line:col: key: what was expected, what was found". */
#ifndef SG_DIAG_H
#define SG_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct sg_node;

/* At most this many lines are kept; the rest are counted (`dropped`) and
 * printed as one closing line, so a text with 100,000 wrong keys costs
 * 100 messages, not 100,000. */
#define SG_DIAG_MAX_LINES 100

struct sg_diag {
	char **lines; /* owned, malloc'd */
	size_t n, cap;
	size_t errors, warnings;
	size_t dropped; /* errors and warnings past SG_DIAG_MAX_LINES */
};

void sg_diag_init(struct sg_diag *d);
void sg_diag_free(struct sg_diag *d);

/* `at` may be NULL for errors with no location (a file that cannot be read
 * says so with its own name instead). */
void sg_diag_err(struct sg_diag *d, const struct sg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sg_diag_warn(struct sg_diag *d, const struct sg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error located by file/line/col directly (the YAML scanner's errors). */
void sg_diag_err_at(struct sg_diag *d, const char *file, unsigned line, unsigned col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Every line kept, then "... and N more errors or warnings" if some were
 * dropped. */
void sg_diag_print(const struct sg_diag *d, FILE *out);
/* The same joined with '\n', malloc'd (for the admin API's answers). */
char *sg_diag_join(const struct sg_diag *d);

#endif
