/* HTTP status codes and their reason phrases, as agentgateway prints them
 * ("503 Service Unavailable", "517 <unknown status code>"). */
#ifndef SG_STATUS_H
#define SG_STATUS_H

#include <stdint.h>

/* The canonical reason phrase, or NULL for an unassigned code. */
const char *sg_status_reason(uint16_t code);

#endif
