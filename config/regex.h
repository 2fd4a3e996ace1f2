/* Regular expressions of a loaded config (path, header and query matches):
 * compiled once at load with POSIX extended syntax, matched whole-value. */
#ifndef SG_REGEX_H
#define SG_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"
#include "config/diag.h"

/* Compile every regex reachable from cfg's listeners (SG_PATH_REGEX paths,
 * header and query matches with `regex` set) into their `re` fields,
 * anchored so that a match is a match of the whole value, as the Gateway
 * API's RegularExpression is. A match shared by several routes is compiled
 * once. The compiled forms are owned by cfg (cfg->regexes, released by
 * sg_cfg_free()).
 * Returns 0; -EINVAL after one error in `d` per invalid expression (at its
 * re_at, named by its re_key); -ENOMEM after "out of memory" in `d`. */
int sg_regex_compile_all(struct sg_cfg *cfg, struct sg_diag *d);

/* Whether `re` (a `re` field filled by sg_regex_compile_all) matches all of
 * s[0..len). `s` need not be NUL-terminated; a value that holds a NUL byte
 * matches nothing. A NULL or failed `re` matches nothing. Allocates
 * nothing below 1 KiB. */
bool sg_regex_match(const void *re, const char *s, size_t len);

#endif
