/* The gateway's state directory (--state-dir): the journal of applied
 * changes (user/ctl/journal.h) replayed into the config store at start. */
#ifndef SG_STATE_H
#define SG_STATE_H

#include <stdbool.h>

#include "user/ctl/journal.h"
#include "user/ctl/store.h"

/* Open DIR's journal (`reset`: set it aside and begin a new one), replay
 * its records into `store` in order (one that no longer builds on the
 * config files is skipped with a warning), log each change, and compact
 * the journal when the store dropped enough of what it applied. Returns
 * the journal, the caller's to append to and close, or NULL (logged). */
struct sg_journal *sg_state_open(const char *dir, bool reset, struct sg_store *store);

/* "WHAT: httproute e2e/r1 configured", one log line for each line of a
 * change's names (sg_store_change). */
void sg_state_log(const char *what, const char *names);

#endif
