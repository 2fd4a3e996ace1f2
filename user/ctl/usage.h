/* Each subcommand's own help (`splicegate CMD --help`, `splicegate help
 * CMD`): what it does, its options, its exit status and examples, as
 * kubectl gives each of its commands. The gateway's own options and the
 * list of commands stay in user/main.c's --help, which the man page is
 * made from. */
#ifndef SG_USAGE_H
#define SG_USAGE_H

#include <stdbool.h>
#include <stdio.h>

/* Writes `cmd`'s help to out. False when cmd is no subcommand (nothing is
 * written). */
bool sg_usage_print(const char *cmd, FILE *out);

/* The subcommand `cmd` exists (check, apply, delete, get, bpf, version,
 * help). */
bool sg_usage_known(const char *cmd);

#endif
