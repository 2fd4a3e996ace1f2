/* Internal to config/: agentgateway's standalone document, its top-level
 * keys each handed to the module that reads them. */
#ifndef SG_CONFIG_DOCUMENT_H
#define SG_CONFIG_DOCUMENT_H

#include "config/draft.h"
#include "config/node.h"

/* Parse one standalone document `doc` (a map) into b->cfg. Returns 0, or
 * -1 after recording errors in b->c.d. */
int sg_document_parse(struct sg_draft *b, const struct sg_node *doc);

#endif
