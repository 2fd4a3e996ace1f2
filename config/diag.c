/* Diagnostics: collected, not printed, so `check`, startup and the admin
 * API can each show them their own way. */
#include "config/diag.h"
#include "config/node.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sg_diag_init(struct sg_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void sg_diag_free(struct sg_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	sg_diag_init(d);
}

static void add_line(struct sg_diag *d, char *line)
{
	if (!line)
		return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		char **grown = realloc(d->lines, ncap * sizeof(*grown));

		if (!grown) {
			free(line);
			return;
		}
		d->lines = grown;
		d->cap = ncap;
	}
	d->lines[d->n++] = line;
}

/* The attribute tells clang that fmt comes checked from the callers. */
static __attribute__((format(printf, 6, 0))) void vadd(struct sg_diag *d, const char *file,
						       unsigned line, unsigned col,
						       const char *level, const char *fmt,
						       va_list ap)
{
	char *msg = NULL, *full = NULL;
	int r;

	if (d->n >= SG_DIAG_MAX_LINES) {
		d->dropped++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) == -1)
		return;

	if (file && line)
		r = asprintf(&full, "%s:%u:%u: %s%s", file, line, col, level, msg);
	else if (file)
		r = asprintf(&full, "%s: %s%s", file, level, msg);
	else
		r = asprintf(&full, "%s%s", level, msg);
	if (r == -1)
		full = NULL;
	free(msg);
	add_line(d, full);
}

void sg_diag_err(struct sg_diag *d, const struct sg_node *at, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	vadd(d, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, "", fmt, ap);
	va_end(ap);
}

void sg_diag_warn(struct sg_diag *d, const struct sg_node *at, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	vadd(d, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, "warning: ", fmt, ap);
	va_end(ap);
}

void sg_diag_err_at(struct sg_diag *d, const char *file, unsigned line, unsigned col,
		    const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	vadd(d, file, line, col, "", fmt, ap);
	va_end(ap);
}

#define DROPPED_FMT "... and %zu more errors or warnings\n"

void sg_diag_print(const struct sg_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->lines[i]);
	if (d->dropped)
		fprintf(out, DROPPED_FMT, d->dropped);
}

char *sg_diag_join(const struct sg_diag *d)
{
	size_t len = 1 + sizeof(DROPPED_FMT) + 20;
	char *s, *p;

	for (size_t i = 0; i < d->n; i++)
		len += strlen(d->lines[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	for (size_t i = 0; i < d->n; i++)
		p += sprintf(p, "%s\n", d->lines[i]);
	if (d->dropped)
		p += sprintf(p, DROPPED_FMT, d->dropped);
	*p = '\0';
	return s;
}
