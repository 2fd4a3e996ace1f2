/* TLS termination and TLS to backends: the one wrapper around OpenSSL. A
 * server holds the certificates of one port that terminates TLS (HTTPS, or
 * TLS in mode Terminate; one per listener, chosen by SNI) with the
 * frontend TLS policy's versions, cipher suites and ALPN list; a connection
 * is one client's session on it, read and written like a non-blocking
 * socket. No kTLS here (the kernel has none): records are encrypted in
 * userspace, so a TLS connection's bytes always take the copy engine. */
#ifndef SG_TLS_H
#define SG_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "config/cfg.h"
#include "user/base/loop.h"

struct sg_tls_server;
struct sg_tls_client;
struct sg_tls;

/* The plaintext of a full TLS record (RFC 8446 §5.1): sg_tls_send cuts
 * what it is given into records of this size. */
#define SG_TLS_RECORD 16384

/* The server for bind `b` (its listeners with a certificate; the others
 * serve nothing, or on a TLS bind pass through). NULL with a message in
 * err when a certificate, key or client CA does not load or a setting is
 * refused by the library: "listener NAME: <why>". */
struct sg_tls_server *sg_tls_server_new(const struct sg_bind *b, char *err, size_t errlen);

/* Whether bind `b` decrypts: an HTTPS bind, or a TLS bind with a
 * listener in mode Terminate (one with a certificate: its routes get the
 * plaintext, as a TCP route's backend would). */
bool sg_tls_bind_terminates(const struct sg_bind *b);

/* Session ticket keys from `path` (--tls-ticket-keys), for every HTTPS
 * context of the process from now on: one key a line, base64 of 80 bytes
 * (16 name, 32 AES-256, 32 HMAC-SHA256: HAProxy's tls-ticket-keys layout;
 * `openssl rand -base64 80` makes one), at most SG_TLS_TICKET_KEYS_MAX,
 * blank lines and '#' comments skipped. The first key encrypts new
 * tickets, every key decrypts: rotate by writing a new key first and
 * keeping the old ones after it for a ticket's lifetime. Returns the
 * number of keys, or -1 with err (the keys in use are kept). Without it a
 * random key of the process's own is used. */
#define SG_TLS_TICKET_KEYS_MAX 16
int sg_tls_ticket_keys_load(const char *path, char *err, size_t errlen);
/* Loads the certificates of every bind of cfg that terminates TLS
 * (sg_tls_bind_terminates) as sg_tls_server_new
 * would, reporting each failure in d ("port P: listener NAME: why"), and
 * the root and client certificate files of its standalone backendTLS
 * policies as sg_tls_client_new would ("backendTLS: key does not match
 * cert"). Returns 0, or -1 when any failed: such a config must not go in
 * force. */
struct sg_diag;
int sg_tls_check(const struct sg_cfg *cfg, struct sg_diag *d);
/* Kubernetes listeners whose Secret's certificate or key does not load
 * (not PEM, a key that is not the certificate's) are taken out of cfg,
 * fresh from sg_cfg_build and not yet shared: each keeps its place with
 * ResolvedRefs False/InvalidCertificateRef and serves nothing, with a
 * warning in d naming its Gateway or ListenerSet, as a missing Secret
 * does; the rest of cfg is served (Gateway API: one bad Secret never
 * refuses the other listeners). So are those whose client CAs (Gateway
 * spec.tls) hold no certificate that loads: InvalidCACertificateRef,
 * Accepted False NoValidCACertificate. A Gateway whose backend client
 * certificate (spec.tls.backend) does not load, or is not its key's,
 * shows ResolvedRefs False/InvalidClientCertificateRef, with a warning. */
void sg_tls_vet_secrets(struct sg_cfg *cfg, struct sg_diag *d);
/* Takes a reference more (one worker's: not atomic). */
void sg_tls_server_ref(struct sg_tls_server *s);
/* Drops the caller's reference; connections still in their handshake keep
 * the server until they are done. NULL is fine. */
void sg_tls_server_unref(struct sg_tls_server *s);

/* The handshake timeout of the server's port, in ms (its first listener's
 * frontend TLS policy; agentgateway's default 15 s). */
uint64_t sg_tls_server_handshake_ms(const struct sg_tls_server *s);

/* ---- the client side: TLS to backends ------------------------------------ */

/* A client context for backend TLS policy `cfg`: its CAs (cfg's PEM, else
 * the system's through OpenSSL's default paths), its client certificate,
 * TLS 1.2 at least, ALPN cfg's list else "h2" (h2) or "http/1.1", and a
 * cache of sessions per host name for resumption. One owner (a worker's
 * pool): not for use by two threads. NULL with the reason in err when
 * cfg->invalid is set or a PEM does not load. */
struct sg_tls_client *sg_tls_client_new(const struct sg_backend_tls *cfg, bool h2, char *err,
					size_t errlen);
/* Takes one more reference / drops the caller's; sessions made on it keep
 * it until freed. NULL is fine for unref. */
void sg_tls_client_ref(struct sg_tls_client *c);
void sg_tls_client_unref(struct sg_tls_client *c);

/* A client session on connected socket `fd` (not owned) to `host` (an
 * endpoint's name or IP literal), resuming a cached session to it when
 * there is one. Sends SNI (cfg's hostname, else host unless an IP) and
 * verifies the certificate as cfg says. Drive it with sg_tls_handshake,
 * whose failure text then names the cause ("certificate verify failed:
 * Hostname mismatch", "tlsv1 alert unknown ca"). NULL when out of memory. */
struct sg_tls *sg_tls_connect(struct sg_tls_client *c, int fd, const char *host);
/* After a client handshake: the protocol ALPN chose ("" when none). */
const char *sg_tls_alpn(const struct sg_tls *t);

/* ---- sessions ---------------------------------------------------------------- */

/* A session for accepted socket `fd` (not owned: the caller closes it).
 * NULL when out of memory. */
struct sg_tls *sg_tls_new(struct sg_tls_server *s, int fd);
/* Frees the session (and its buffers) without a close_notify; the io given
 * to sg_tls_watch leaves the loop's pending list. NULL is fine. */
void sg_tls_free(struct sg_tls *t);

/* One handshake step: 1 = done, 0 = call again when *want (EPOLLIN or
 * EPOLLOUT) is ready, -1 = failed (why in err: the peer's or the
 * library's reason, or "no certificate for SNI NAME"). */
int sg_tls_handshake(struct sg_tls *t, uint32_t *want, char *err, size_t errlen);

/* After the handshake: the listener whose certificate was served (chosen
 * by SNI; it is in the config the server was built from, so valid while
 * the caller holds that config: the handshake's, not a later one's),
 * whether ALPN chose "h2", the SNI the client sent ("" without), the
 * protocol version's name ("TLSv1.3"). */
const struct sg_listener *sg_tls_listener(const struct sg_tls *t);
/* That listener's key, valid for the connection's life whatever config
 * follows: HTTPS requests must name a Host it takes (sg_frontend_route).
 * NULL before the handshake ends, and on a backend's connection. */
const char *sg_tls_listener_key(const struct sg_tls *t);
bool sg_tls_h2(const struct sg_tls *t);
const char *sg_tls_sni(const struct sg_tls *t);
const char *sg_tls_version(const struct sg_tls *t);
/* Whether the handshake resumed a session (a ticket) instead of a full one. */
bool sg_tls_resumed(const struct sg_tls *t);

/* The certificate the client presented, as agentgateway's CEL reads it
 * (source.*, its TlsInfo): issuer and subject as "C=US, O=Org, CN=name"
 * (the names in the certificate's order), the subject's CN, the subject
 * alt names (DNS names, URIs and IP addresses, in order), the first of
 * them that is a spiffe:// URI, and the certificate as PEM. NULL for a
 * field it lacks. */
struct sg_tls_peer {
	const char *issuer, *subject, *subject_cn, *spiffe_id, *pem;
	const char *const *sans;
	size_t nsans;
	/* source.identity: the first URI among the alt names that is an
	 * Istio identity, "spiffe://TD/ns/NS/sa/SA": TD, NS and SA, spans
	 * into it (identity[0] NULL: none). */
	const char *identity[3];
	size_t identity_len[3];
};

/* t's client certificate, read on the first call and kept with the
 * session (valid until sg_tls_free); NULL when the client presented none
 * or one that did not verify (let through by AllowInsecureFallback), or
 * out of memory. */
const struct sg_tls_peer *sg_tls_peer(struct sg_tls *t);

/* The session's reads leave decrypted bytes in the library's buffer that
 * epoll cannot see: after each read the session marks `io` pending on
 * `loop` (sg_io_pending) while such bytes remain, so the owner's callback
 * runs again for them. Call once the session has its owner's io. */
void sg_tls_watch(struct sg_tls *t, struct sg_loop *loop, struct sg_io *io);

/* Like recv(2)/send(2) on a non-blocking socket: > 0 bytes, 0 = the peer
 * closed (close_notify or EOF), -1 with errno (EAGAIN: wait for the
 * socket; a send that returned EAGAIN must be repeated with the same
 * bytes first, as the caller's queue does anyway). `peek` leaves the
 * bytes to be read again. sg_tls_sendv writes up to 16 KiB of small
 * pieces as one record. */
ssize_t sg_tls_recv(struct sg_tls *t, void *buf, size_t len, bool peek);
ssize_t sg_tls_send(struct sg_tls *t, const void *buf, size_t len);
ssize_t sg_tls_sendv(struct sg_tls *t, const struct iovec *iov, size_t cnt);

/* The connection waits for its peer with nothing in flight: the library's
 * read and write buffers (some 34 KiB) are freed until the next record, as
 * nginx does for its idle keep-alive connections. Kept while busy: freeing
 * them after every record (SSL_MODE_RELEASE_BUFFERS) cost 13% more CPU per
 * GB in make bench W8. */
void sg_tls_idle(struct sg_tls *t);

/* Sends close_notify (best effort, never blocks): before a graceful close
 * or a lingering close's shutdown(SHUT_WR), which must follow at once: the
 * alert goes with MSG_MORE, to leave with the FIN. */
void sg_tls_close_notify(struct sg_tls *t);

/* Reads and writes through `t` when it is not NULL, else the plain socket
 * `fd`: the frontends call these for a client that may be either. */
ssize_t sg_sock_recv(struct sg_tls *t, int fd, void *buf, size_t len, int flags);
ssize_t sg_sock_send(struct sg_tls *t, int fd, const void *buf, size_t len, int flags);
ssize_t sg_sock_sendv(struct sg_tls *t, int fd, const struct iovec *iov, size_t cnt, int flags);

/* After sg_sock_recv returned `n` into a buffer of `len` bytes: whether
 * the socket is known to be empty, so that a reader woken by epoll (level
 * triggered: more bytes wake it again) can stop without another read that
 * would only say EAGAIN. A short read of a plain TCP socket took all that
 * was queued; through TLS it says nothing (one record per read, more may
 * be decrypted or buffered above the socket). */
static inline bool sg_sock_drained(const struct sg_tls *t, ssize_t n, size_t len)
{
	return !t && n >= 0 && (size_t)n < len;
}

#endif
