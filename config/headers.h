/* Header names and values that a config writes into heads (filters,
 * transformations, extAuthz's added headers): the checks every reader of
 * them applies, so that what the gateway writes is a well-formed field
 * line. Shared by config/filters.c, config/transform.c and their
 * neighbours. */
#ifndef SG_HEADERS_H
#define SG_HEADERS_H

#include "config/cfg.h"
#include "config/fields.h"

/* Header lists longer than this are refused (Gateway API allows 16). */
#define SG_FILTER_MAX_HEADERS 64

/* n is a map of at most SG_FILTER_MAX_HEADERS headers; else -1 after an
 * error. */
int sg_header_map_check(struct sg_pctx *c, const struct sg_node *n, const char *path);

/* A header a filter writes: `name` must be an RFC 9110 token and `value`
 * free of control characters other than tab (a CR or LF would split the
 * head it is written into). NULL value: a name alone (remove lists).
 * Returns 0, or -1 after recording an error at `at`. */
int sg_check_header(struct sg_pctx *c, const struct sg_node *at, const char *path, const char *name,
		    const char *value);

/* A list of header names (struct sg_strs): tokens, at most
 * SG_FILTER_MAX_HEADERS of them. */
int sg_f_header_names(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

#endif
