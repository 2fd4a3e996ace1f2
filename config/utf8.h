/* UTF-8 (RFC 3629) measured, checked and made lossy, for every place that
 * takes bytes from a client as text: CEL strings, protobuf strings, log
 * lines, MCP answers. No I/O. */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not a well-formed one: a stray continuation byte, a lead byte
 * C0, C1 or F5-FF, too few continuation bytes, an overlong form, a
 * surrogate (U+D800-DFFF) or past U+10FFFF. NUL is a sequence of 1. */
size_t sg_utf8_len(const char *s, size_t n);

/* How much of s[0..n) is well-formed UTF-8 from its start: where the
 * first sequence that is not begins, n when there is none. */
size_t sg_utf8_span(const char *s, size_t n);

/* How much of s[0..n) to keep so that at most max bytes stay and no
 * character is split: n when n <= max, else max moved back over the
 * continuation bytes at s[max] (three at most: more begin no character,
 * and a cut there splits none). */
size_t sg_utf8_cut(const char *s, size_t n, size_t max);

/* sg_utf8_lossy: NUL is replaced too (text for a C string). */
#define SG_UTF8_LOSSY_NUL 1u

/* s[0..n) with what is not well-formed replaced by U+FFFD (EF BF BD) as
 * Rust's String::from_utf8_lossy replaces it (agentgateway's): one for
 * each maximal subpart, the longest start of a well-formed sequence
 * ("\xe2\x82" cut short: one), else one byte ("\xed\xa0\x80", a
 * surrogate: three). Written at out, which has room for the length, or
 * only measured when out is NULL. flags: 0 or SG_UTF8_LOSSY_NUL.
 * Returns the length (no NUL is written). */
size_t sg_utf8_lossy(char *out, const char *s, size_t n, unsigned flags);

#endif
