/* GET /stats on the admin port: the spliced sockets of the BPF socket map
 * (bytes moved, idle time), the verdict counters and the endpoints' passive
 * health per worker, as JSON. */
#ifndef SG_SOCKSTATS_H
#define SG_SOCKSTATS_H

#include <stddef.h>

#include "user/core/lb.h"
#include "user/relay/splice.h"

/* The document for `s` (NULL: the gateway runs without BPF, which the
 * document says), malloc'd; NULL when out of memory. `engine` is the
 * --splice mode in force; `lbs` the workers' endpoint state (nlbs of them,
 * NULL entries skipped), listed under "endpoints". */
char *sg_sockstats_json(struct sg_splice *s, const char *engine, struct sg_lb *const *lbs,
			size_t nlbs);

#endif
