/* Regular expressions of a loaded config (path, header and query matches):
 * compiled once at load with POSIX extended syntax, matched whole-value. */
#ifndef SG_REGEX_H
#define SG_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The expansion a pattern may make regcomp build (its atoms, repetitions
 * multiplied out): past it a pattern is refused, before regcomp runs. */
#define SG_REGEX_MAX_COST 2000

/* One pattern on its own, outside a config (CEL's matches() and
 * regexReplace(), compiled when their expression is): agentgateway's
 * syntax translated as above, with the same bounds, found anywhere in a
 * value. `budget` (NULL: SG_REGEX_MAX_COST for this one): the expansion
 * left to the caller's patterns, less this one's when it compiles, so
 * that many patterns of one expression cannot cost more than one may.
 * Returns the compiled form (the caller frees it with sg_regex_free), or
 * NULL with why in why[0..whylen). */
void *sg_regex_new(const char *pat, uint64_t *budget, char *why, size_t whylen);

void sg_regex_free(void *re);

/* The capturing groups sg_regex_find_groups tells (Rust's has more; one
 * past them is taken as one the pattern does not have). */
#define SG_REGEX_GROUPS 32

/* The first match of `re` (from sg_regex_new) in s[0..len) at or after
 * `from`: true with its bytes [*so, *eo). As sg_regex_match, `s` need
 * not be NUL-terminated; a NUL byte in it is a byte like any other (a
 * CEL string may hold one; "." matches it, as Rust's does). Allocates
 * only for a value past 1 KiB, and returns false when that fails. */
bool sg_regex_find(const void *re, const char *s, size_t len, size_t from, size_t *so, size_t *eo);

/* The first match of `re` (from sg_regex_new) in s[0..len), as
 * sg_regex_find: true with g[0] its bytes [g[0][0], g[0][1]) and g[k]
 * those of the pattern's capturing group k (numbered as Rust's regex
 * numbers them: "(?:" is none) for k < n, both SIZE_MAX for a group that
 * took no part in the match or that the pattern does not have. */
bool sg_regex_find_groups(const void *re, const char *s, size_t len, size_t g[][2], size_t n);

#endif
