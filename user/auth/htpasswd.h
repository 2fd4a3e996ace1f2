/* htpasswd files as agentgateway's basicAuth reads them: "user:hash" lines
 * with bcrypt ($2a$, $2b$, $2y$) and SHA-crypt ($5$, $6$) hashes checked by
 * libcrypt (libxcrypt), Apache's apr1 MD5 ($apr1$, written here) and
 * {SHA} (base64 of SHA-1). Hashes are compared in constant time. No I/O. */
#ifndef SG_HTPASSWD_H
#define SG_HTPASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "config/cfg.h"

struct sg_diag;

/* One parsed htpasswd text. */
struct sg_htpasswd;

/* Parse text[0..len): blank lines and '#' comments skipped, each other
 * line "user:hash" with a hash of a supported kind. Returns 0 with *out
 * (the caller's: sg_htpasswd_free), or -EINVAL with why in err ("line 3:
 * ..."), -ENOMEM. */
int sg_htpasswd_parse(const char *text, size_t len, struct sg_htpasswd **out, char *err,
		      size_t errlen);
void sg_htpasswd_free(struct sg_htpasswd *h);

/* Parses the htpasswd of every basicAuth of cfg (cfg->basics) not parsed
 * yet, into their rt (released with cfg). Call before cfg is shared with
 * the workers. Returns 0, or -1 after recording each that does not parse
 * in d: such a config must not go in force. */
int sg_htpasswd_prepare(const struct sg_cfg *cfg, struct sg_diag *d);

/* The user name (b's own copy) that user[0..ulen) with password pw[0..plen)
 * proves to be, or NULL: no such user, a wrong password, or b not
 * prepared. A user on several lines has the last line's password, as
 * agentgateway's htpasswd map keeps. */
const char *sg_htpasswd_check(const struct sg_basic_auth *b, const char *user, size_t ulen,
			      const char *pw, size_t plen);

/* Apache's apr1 MD5 crypt of pw[0..len) with the salt of `setting`
 * ("$apr1$SALT[$...]", at most 8 salt characters) into out (at least 40
 * bytes): "$apr1$SALT$HASH". Returns its length, or -1 when setting is not
 * apr1. */
ssize_t sg_apr1_crypt(const char *pw, size_t len, const char *setting, char *out, size_t cap);

#endif
