/* GET /stats on the admin port: the spliced sockets of the BPF socket map
 * (bytes moved, idle time) and the verdict counters, as JSON. */
#ifndef SG_SOCKSTATS_H
#define SG_SOCKSTATS_H

#include "user/splice.h"

/* The document for `s` (NULL: the gateway runs without BPF, which the
 * document says), malloc'd; NULL when out of memory. `engine` is the
 * --splice mode in force. */
char *sg_sockstats_json(struct sg_splice *s, const char *engine);

#endif
