/* CEL's functions for the evaluator (config/cel.c): strings,
 * conversions, time, and agentgateway's own (json, base64, url, cidr...).
 * Internal to the CEL module. */
#ifndef SG_CELFN_H
#define SG_CELFN_H

#include "config/cel.h"
#include "config/celparse.h"

/* Call n->fn on the receiver (NULL node: none) and args (n->nargs of
 * them, none an error): the answer, or an error, in *out. */
void sg_celfn_call(struct sg_cel_run *run, const struct sg_cel_node *n,
		   const struct sg_cel_val *recv, const struct sg_cel_val *args,
		   struct sg_cel_val *out);

/* string(v) into *out (a string, or an error for a type with no string
 * form). */
void sg_celfn_string(struct sg_cel_run *run, const struct sg_cel_val *v, struct sg_cel_val *out);

#endif
