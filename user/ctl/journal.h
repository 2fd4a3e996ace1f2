/* The journal of changes applied at run time (apply, delete), kept in the
 * state directory so that a restart replays them on top of the config
 * files. Each change is one record, appended and fsync'd before the change
 * is answered; a record that is torn (the process died while writing it)
 * or corrupt ends what is replayed, and is set aside, never dropped. */
#ifndef SG_JOURNAL_H
#define SG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"

struct sg_journal;

/* One record as it was appended. */
struct sg_journal_rec {
	bool del;	  /* delete, else apply */
	const char *ns;	  /* the request's -n (NULL: none) */
	const char *body; /* the YAML body, len bytes (not NUL-terminated) */
	size_t len;
	size_t index;  /* 1 for the first record */
	size_t offset; /* its first byte in the file */
	size_t next;   /* the byte after it: where the next record begins */
};

/* Open DIR/journal (DIR made 0700 when missing), locked against another
 * gateway on the same directory. Refused: a DIR owned by another user than
 * the gateway's or root, or writable by its group or others (they could
 * put a link or a journal of their own there), and a journal that is a
 * symbolic link or no regular file. `reset`: the records there are not to be
 * replayed: the file is renamed DIR/journal.old.<unix time> and a new one
 * begun. Returns 0 with *out, or -1 with the reason in err. */
int sg_journal_open(const char *dir, bool reset, struct sg_journal **out, char *err, size_t errlen);
void sg_journal_close(struct sg_journal *j);

/* Calls fn for each valid record in order (fn's failure is its own: the
 * next record follows). A record whose header, length or checksum is
 * wrong, and all that follows it, is reported in d as a warning with its
 * number and byte offset, moved to DIR/journal.bad.<unix time> and cut off
 * the journal, so that appends follow the valid prefix. Returns the number
 * of valid records, or -1 when the file cannot be read or set right
 * (reasons in d). */
typedef void (*sg_journal_fn)(void *ctx, const struct sg_journal_rec *rec);
long sg_journal_replay(struct sg_journal *j, sg_journal_fn fn, void *ctx, struct sg_diag *d);

/* Rewrite the journal with only the records keep(ctx, index) wants, in
 * their order, byte for byte: written aside, fsync'd, then renamed over
 * the journal, so that a crash leaves the old file or the new one whole.
 * Call it after sg_journal_replay. Returns how many records were kept, or
 * -1 with the journal unchanged (reasons in d). */
typedef bool (*sg_journal_keep_fn)(void *ctx, size_t index);
long sg_journal_compact(struct sg_journal *j, sg_journal_keep_fn keep, void *ctx,
			struct sg_diag *d);

/* Append one record and fdatasync it. On failure nothing of it stays in
 * the file; returns -errno. */
int sg_journal_append(struct sg_journal *j, bool del, const char *ns, const char *body, size_t len);

/* The journal file's path, for messages. */
const char *sg_journal_path(const struct sg_journal *j);

#endif
