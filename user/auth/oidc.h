/* OIDC browser login's pieces that do no I/O, as agentgateway's oidc
 * policy makes them (its http/oidc): the cookie key (AES-256-GCM, from
 * OIDC_COOKIE_SECRET), sealed cookie values, the login transaction and the
 * browser session as the JSON sealed in them, the `state` parameter, PKCE,
 * the cookie names a policy derives, the safe return path, the Set-Cookie
 * lines, and the provider's discovery document and token answer read. */
#ifndef SG_OIDC_H
#define SG_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "user/auth/jwksremote.h"

struct sg_diag;

/* Every cookie the policy sets starts with this; the backend never sees
 * one (they are stripped from its requests). */
#define SG_OIDC_COOKIE_PREFIX "agw_oidc_"
/* A session lasts an hour at most (less when the ID token expires
 * sooner); a login must come back within five minutes. */
#define SG_OIDC_SESSION_TTL_S 3600
#define SG_OIDC_TRANSACTION_TTL_S 300
/* The largest sealed session a browser is asked to keep (below the ~4 KiB
 * per-cookie limit, room left for its attributes). */
#define SG_OIDC_MAX_COOKIE 3800
/* A return path longer than this returns to "/" instead. */
#define SG_OIDC_MAX_RETURN 2048
/* Random values: 16 bytes (22 base64url characters; the verifier: 32,
 * 43 characters). */
#define SG_OIDC_TOKEN_CHARS 23
#define SG_OIDC_VERIFIER_CHARS 44

/* A cookie name's room: "agw_oidc_s_" and 16 hex digits. */
#define SG_OIDC_NAME_CHARS 28

/* The cookie key: 32 bytes. */
struct sg_oidc_key {
	uint8_t k[32];
};

/* What a policy's rt holds once its config is prepared (user/core/oidcflow.c
 * makes it): the cookie key, the provider's endpoints (discovered or the
 * config's), and the cookie names derived from the policy id. */
struct sg_oidc_ready {
	struct sg_oidc_key key;
	bool keyed; /* OIDC_COOKIE_SECRET was set (`check` may lack it) */
	char *authorization_endpoint, *token_endpoint; /* NULL: not discovered (`check`) */
	char *jwks_uri;				       /* discovered; NULL: the config's jwks */
	bool post;				       /* client_secret_post, else basic */
	char session_cookie[SG_OIDC_NAME_CHARS], txn_prefix[SG_OIDC_NAME_CHARS];
};

/* OIDC_COOKIE_SECRET's value, 64 hex digits (spaces around it ignored),
 * into *k: 0, or -1 with why in err. */
int sg_oidc_key_parse(const char *hex, struct sg_oidc_key *k, char *err, size_t errlen);

/* plain[0..len) sealed with AES-256-GCM under k: base64 of nonce (12) ||
 * ciphertext || tag (16), malloc'd and NUL-terminated; NULL: no memory.
 * sg_oidc_open reverses it: the plaintext (malloc'd, NUL-terminated, its
 * length in *outlen), or NULL when in is not such a value under k. */
char *sg_oidc_seal(const struct sg_oidc_key *k, const char *plain, size_t len);
char *sg_oidc_open(const struct sg_oidc_key *k, const char *in, size_t len, size_t *outlen);

/* nbytes random bytes (16 or 32) as base64url into out (SG_OIDC_TOKEN_CHARS
 * or SG_OIDC_VERIFIER_CHARS bytes). */
void sg_oidc_random(char *out, size_t nbytes);
/* The PKCE S256 challenge of verifier (RFC 7636 §4.2) into out[44]. */
void sg_oidc_challenge(const char *verifier, char out[44]);

/* The cookie names policy_id's policy uses: the session's
 * "agw_oidc_s_<16 hex of SHA-256(policy_id)>" and the transactions'
 * prefix "agw_oidc_t_<same>" (a transaction's cookie is the prefix, '.'
 * and its id). */
void sg_oidc_cookie_names(const char *policy_id, char session[SG_OIDC_NAME_CHARS],
			  char transaction[SG_OIDC_NAME_CHARS]);

/* Whether t[0..len) may be where a login returns the browser: a local
 * path ('/' first, not "//", no backslash, the same once percent-decoded). */
bool sg_oidc_local_target(const char *t, size_t len);

/* A Set-Cookie value into out[0..cap): name=value; HttpOnly; SameSite=Lax
 * (; Secure when secure); Path=/; Max-Age=max_age. Returns its length, or
 * -1 when it does not fit. */
int sg_oidc_set_cookie(char *out, size_t cap, const char *name, const char *value, bool secure,
		       long max_age);

/* A login under way, sealed in its transaction cookie. */
struct sg_oidc_txn {
	const char *policy;   /* the policy id that started it */
	const char *id;	      /* the transaction id (in its cookie's name and in state) */
	const char *csrf;     /* the state's CSRF part */
	const char *nonce;    /* the ID token must carry it */
	const char *verifier; /* the PKCE verifier */
	const char *original; /* where the browser returns */
	int64_t expires;      /* Unix seconds */
	char *store;	      /* a decoded one's strings live here; NULL: the caller's */
};

/* t as JSON (malloc'd; NULL: no memory), and back: 0 with t filled (its
 * strings in t->store: sg_oidc_txn_free), or -1 when json is not a whole
 * transaction. */
char *sg_oidc_txn_encode(const struct sg_oidc_txn *t);
int sg_oidc_txn_decode(const char *json, struct sg_oidc_txn *t);
void sg_oidc_txn_free(struct sg_oidc_txn *t);

/* A browser's session, sealed in its session cookie: the raw ID token. */
struct sg_oidc_session {
	const char *policy;
	const char *id_token;
	int64_t expires; /* Unix seconds; 0: none given */
	char *store;	 /* as sg_oidc_txn's */
};

char *sg_oidc_session_encode(const struct sg_oidc_session *s);
int sg_oidc_session_decode(const char *json, struct sg_oidc_session *s);
void sg_oidc_session_free(struct sg_oidc_session *s);

/* The `state` parameter: base64url of {"transactionId","csrfState"}
 * (malloc'd; NULL: no memory), and back into id and csrf (malloc'd, the
 * caller frees both): 0, or -1 when s is not one. */
char *sg_oidc_state_encode(const char *id, const char *csrf);
int sg_oidc_state_decode(const char *s, size_t len, char **id, char **csrf);

/* What a provider's discovery document says (its strings malloc'd). */
struct sg_oidc_discovered {
	char *authorization_endpoint, *token_endpoint, *jwks_uri;
	bool post; /* client_secret_post only; else client_secret_basic */
};

/* The discovery document text[0..len) of the provider `issuer`: 0 with
 * *d, or -1 with why in err (not JSON, a key missing, an endpoint that is
 * not an http(s) URL, another issuer, no client_secret_basic nor
 * client_secret_post among token_endpoint_auth_methods_supported). */
int sg_oidc_discovery_parse(const char *text, size_t len, const char *issuer,
			    struct sg_oidc_discovered *d, char *err, size_t errlen);
void sg_oidc_discovered_free(struct sg_oidc_discovered *d);

/* The id_token of a token endpoint's JSON answer text[0..len) (malloc'd),
 * or NULL when it has none. */
char *sg_oidc_token_answer(const char *text, size_t len);

/* Where the running gateway fetches discovery documents (its HTTP client,
 * user/core/jwksfetch.h); set once before any config is built. Unset (the
 * default: `check`, the tests), documents given by URL are not fetched and
 * OIDC_COOKIE_SECRET is not required. */
void sg_oidc_set_fetch(sg_jwks_get_fn get);

/* Every oidc of cfg made ready (cfg->oidcs; before sg_jwt_prepare, which
 * then compiles their ID token verifiers): the cookie key read from
 * OIDC_COOKIE_SECRET, the cookie names, the provider's endpoints and
 * jwks_uri discovered (a fetch blocks up to the client's timeout). Returns
 * 0, or -1 after recording why in d (no key, a provider that cannot be
 * discovered, another issuer): such a config must not go in force. */
int sg_oidc_prepare(const struct sg_cfg *cfg, struct sg_diag *d);

#endif
