/* TLS termination with OpenSSL 3. The contract is tls.h.
 *
 * One SSL_CTX per listener with a certificate, all configured alike (the
 * listener's versions and suites over its frontend policy's); the first is
 * where every handshake starts. The client-hello callback reads the SNI,
 * picks the listener (exact host name, then the longest wildcard, then the
 * listener without one; no SNI: that one, else the first) and moves the
 * session onto its context, copying the settings a context switch does not
 * carry. Session tickets share one key across workers and reloads. */
#include "user/tls/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config/diag.h"
#include "config/hostname.h"
#include "config/duration.h"
#include "config/node.h"
#include "user/tls/tlsmint.h"
#include "user/tls/tlspeer.h"

struct tls_listener {
	const struct sg_listener *l;
	SSL_CTX *ctx;
	struct sg_tls_mint *mint;     /* tls.mode dynamicCa: leaves per SNI; NULL: static */
	int min_version, max_version; /* OpenSSL's TLS1_x_VERSION */
	const char *tls13, *tls12;    /* NULL = the library's defaults */
	bool verify;		      /* client certificates (root CA given) */
	unsigned char alpn[256];      /* the policy's list, wire format */
	size_t alpn_len;
};

struct sg_tls_server {
	unsigned refs;
	uint64_t handshake_ms;
	struct tls_listener *ls;
	size_t n;
};

/* Sessions kept for resumption, by host name: a few backends per policy. */
#define TLS_CLIENT_SESSIONS 8

struct tls_session {
	char host[256];
	SSL_SESSION *sess;
};

struct sg_tls_client {
	unsigned refs;
	SSL_CTX *ctx;
	char *hostname; /* cfg's, copied: SNI and the name verified */
	char **sans;	/* cfg's subjectAltNames, copied */
	size_t nsans;
	bool insecure, insecure_host;
	struct tls_session sessions[TLS_CLIENT_SESSIONS];
	unsigned next; /* the slot a new host takes */
};

struct sg_tls {
	SSL *ssl;
	struct sg_tls_peer *peer;	   /* the client's certificate, once read */
	struct sg_tls_server *srv;	   /* held until the handshake ends */
	struct sg_tls_client *cli;	   /* a backend session's client, held */
	const struct tls_listener *chosen; /* in srv: only while it is held */
	const struct sg_listener *l;	   /* chosen's, kept past it (tls.h) */
	char *lkey;			   /* l's key, copied at the handshake's end */
	struct sg_loop *loop;
	struct sg_io *io;
	bool no_cert; /* the SNI named no listener */
	bool more;    /* sg_tls_send has records after the one being written */
	bool in_step; /* inside sg_tls_handshake's SSL_do_handshake */
	bool sent;    /* that step has written to the socket */
	int fd;	      /* the socket under ssl (set_socket), for sock_write_ex */
	char sni[256];
};

/* ---- the library's error queue, as one line ------------------------------ */

static void lib_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[200] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", buf);
	ERR_clear_error();
}

/* ---- session ticket keys -------------------------------------------------- */

/* One set per process, shared by every HTTPS context and read by every
 * worker: a random key made at start (its tickets resume on this process
 * only), or the keys of --tls-ticket-keys (a fleet sharing the file resumes
 * each other's tickets). The first key encrypts; each of them decrypts, and
 * a ticket under another than the first is renewed under the first. */
struct ticket_key {
	unsigned char name[16], aes[32], hmac[32]; /* HAProxy's 80-byte layout */
};

static struct ticket_key ticket_keys[SG_TLS_TICKET_KEYS_MAX];
static size_t nticket_keys;
static pthread_rwlock_t ticket_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_once_t ticket_once = PTHREAD_ONCE_INIT;

static void make_ticket_key(void)
{
	pthread_rwlock_wrlock(&ticket_lock);
	if (nticket_keys == 0 &&
	    RAND_bytes((unsigned char *)&ticket_keys[0], sizeof(ticket_keys[0])) == 1)
		nticket_keys = 1;
	pthread_rwlock_unlock(&ticket_lock);
}

/* One line of the file: base64 of exactly 80 bytes. */
static bool ticket_line(const char *line, size_t len, struct ticket_key *k)
{
	unsigned char out[84]; /* 112 characters decode to 84 */
	size_t pad = 0;

	if (len != 108) /* 80 bytes: 26 groups of 3, then 2 bytes and one '=' */
		return false;
	while (pad < 2 && line[len - 1 - pad] == '=')
		pad++;
	if (EVP_DecodeBlock(out, (const unsigned char *)line, (int)len) != 81 || pad != 1)
		return false;
	memcpy(k, out, sizeof(*k));
	OPENSSL_cleanse(out, sizeof(out));
	return true;
}

int sg_tls_ticket_keys_load(const char *path, char *err, size_t errlen)
{
	struct ticket_key keys[SG_TLS_TICKET_KEYS_MAX];
	char text[SG_TLS_TICKET_KEYS_MAX * 120 + 4096], *p, *nl;
	size_t n = 0, len, lineno = 0;
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	len = fread(text, 1, sizeof(text) - 1, f);
	if (ferror(f) || !feof(f)) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? strerror(errno) : "longer than the keys it may hold");
		goto out;
	}
	text[len] = '\0';
	for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
		size_t l;

		nl = strchr(p, '\n');
		l = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (l && p[l - 1] == '\r')
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if (n == SG_TLS_TICKET_KEYS_MAX) {
			snprintf(err, errlen, "%s:%zu: more than %d keys", path, lineno,
				 SG_TLS_TICKET_KEYS_MAX);
			goto out;
		}
		if (!ticket_line(p, l, &keys[n++])) {
			snprintf(err, errlen,
				 "%s:%zu: not a key (base64 of 80 random bytes, as `openssl rand "
				 "-base64 80` writes)",
				 path, lineno);
			goto out;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no key", path);
		goto out;
	}
	pthread_rwlock_wrlock(&ticket_lock);
	memcpy(ticket_keys, keys, n * sizeof(keys[0]));
	OPENSSL_cleanse(ticket_keys + n, (SG_TLS_TICKET_KEYS_MAX - n) * sizeof(keys[0]));
	nticket_keys = n;
	pthread_rwlock_unlock(&ticket_lock);
	rc = (int)n;
out:
	OPENSSL_cleanse(keys, sizeof(keys));
	OPENSSL_cleanse(text, sizeof(text));
	fclose(f);
	return rc;
}

/* OpenSSL's ticket key callback: enc, the first key and a fresh IV; else
 * the key the ticket names, 2 when it is not the first (renew), 0 when
 * none is (a full handshake). */
static int on_ticket_key(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
			 EVP_MAC_CTX *hctx, int enc)
{
	static char digest[] = "SHA256";
	struct ticket_key k;
	OSSL_PARAM params[3];
	size_t i = 0;
	int ret;

	pthread_rwlock_rdlock(&ticket_lock);
	if (!enc)
		while (i < nticket_keys && memcmp(name, ticket_keys[i].name, 16))
			i++;
	if (i == nticket_keys) {
		pthread_rwlock_unlock(&ticket_lock);
		return enc ? -1 : 0;
	}
	k = ticket_keys[i];
	pthread_rwlock_unlock(&ticket_lock);
	ret = i ? 2 : 1;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, k.name, sizeof(k.name));
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes, iv) != 1)
			ret = -1;
	} else if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes, iv) != 1) {
		ret = -1;
	}
	if (ret > 0 && EVP_MAC_CTX_set_params(hctx, params) != 1)
		ret = -1;
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

/* ---- the socket under a connection ----------------------------------------- */

/* OpenSSL's socket BIO with one change: a record written while the caller
 * has more for the same send (sg_tls_send) goes with MSG_MORE, so TCP
 * sends full segments, not one per 16 KiB record. With TCP_NODELAY each
 * record was a segment of its own: a 1 GiB download through the gateway
 * made 3 times as many segments towards the client as nginx's (which,
 * behind its reader, finds the window closed and coalesces), each one
 * received in the gateway's softirq. The last record of a send goes
 * without the flag and pushes what the others left. */
static BIO_METHOD *sock_method;
static pthread_once_t sock_once = PTHREAD_ONCE_INIT;

/* A TLS 1.3 server writes its session tickets once the client's Finished
 * is in. When the client's request came with that Finished (read ahead,
 * it waits in the library), its answer follows as soon as there is one,
 * and the tickets wait for it in the socket (MSG_MORE) to leave in its
 * segment: one segment to the client less, and one wake-up of it. Not
 * when the Finished came alone: the tickets then carry the ACK of the
 * Finished, and held back they would leave it to a pure ACK when the
 * request comes (two small segments unacknowledged). Should the answer
 * take long, the kernel sends what waits after its probe timer (an RTO,
 * at least 200 ms: TCP_CORK's bound): a ticket is only needed by a later
 * connection. TLS 1.2's ticket is part of the server's last flight,
 * which the client waits for: never that one. */
static bool ticket_waits(const struct sg_tls *t)
{
	return t->srv && SSL_get_state(t->ssl) == TLS_ST_SW_SESSION_TICKET &&
	       SSL_version(t->ssl) == TLS1_3_VERSION && SSL_has_pending(t->ssl);
}

static int sock_write_ex(BIO *b, const char *buf, size_t len, size_t *put)
{
	struct sg_tls *t = BIO_get_data(b);
	bool more = t->more || ticket_waits(t);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = send(t->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	t->sent |= t->in_step;
	if (n < 0) {
		if (BIO_sock_should_retry(-1)) /* OpenSSL's socket BIO's errnos */
			BIO_set_retry_write(b);
		*put = 0;
		return 0;
	}
	*put = (size_t)n;
	return 1;
}

/* A handshake step that has just written its flight reads next what the
 * peer answers to it, which cannot be there yet: the peer has to receive
 * the flight and compute its answer first (a read there was EAGAIN every
 * time, strace: one wasted read(2) per handshake). Wanting to read without
 * asking the socket registers EPOLLIN as the EAGAIN would, and epoll is
 * level-triggered: bytes already in are reported at once. */
static int (*sock_read_base)(BIO *, char *, int);

static int sock_read(BIO *b, char *buf, int len)
{
	const struct sg_tls *t = BIO_get_data(b);

	if (t->in_step && t->sent) {
		BIO_clear_retry_flags(b);
		BIO_set_retry_read(b);
		return -1;
	}
	return sock_read_base(b, buf, len);
}

static void make_sock_method(void)
{
	const BIO_METHOD *base = BIO_s_socket();
	BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOCKET, "splicegate socket");

	sock_read_base = BIO_meth_get_read(base);
	if (!m || !sock_read_base || !BIO_meth_set_write_ex(m, sock_write_ex) ||
	    !BIO_meth_set_read(m, sock_read) || !BIO_meth_set_puts(m, BIO_meth_get_puts(base)) ||
	    !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base)) ||
	    !BIO_meth_set_create(m, BIO_meth_get_create(base)) ||
	    !BIO_meth_set_destroy(m, BIO_meth_get_destroy(base))) {
		BIO_meth_free(m);
		return;
	}
	sock_method = m;
}

/* Connection t reads and writes socket fd (not closed with it). */
static int set_socket(struct sg_tls *t, int fd)
{
	BIO *b;

	pthread_once(&sock_once, make_sock_method);
	b = sock_method ? BIO_new(sock_method) : NULL;
	if (!b)
		return -1;
	BIO_set_fd(b, fd, BIO_NOCLOSE);
	t->fd = fd;
	BIO_set_data(b, t);
	SSL_set_bio(t->ssl, b, b);
	return 0;
}

/* ---- contexts -------------------------------------------------------------- */

static int ossl_version(enum sg_tls_version v, int unset)
{
	return v == SG_TLS_1_3 ? TLS1_3_VERSION : v == SG_TLS_1_2 ? TLS1_2_VERSION : unset;
}

/* A client certificate that does not verify is let through
 * (AllowInsecureFallback); SSL_get_verify_result still says why, so it
 * is no identity (sg_tls_peer). */
static int verify_any(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	(void)xs;
	return 1;
}

/* The listener's client CAs (mTLS): asked for, and required unless
 * root_optional. */
static int load_client_ca(SSL_CTX *ctx, const struct sg_tls_cert *c, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	BIO *bio = BIO_new_mem_buf(c->root_pem, (int)c->root_len);
	size_t n = 0;

	for (X509 *ca; bio && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)); n++) {
		X509_STORE_add_cert(store, ca);
		if (names)
			sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
		X509_free(ca);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (!n) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		snprintf(err, errlen, "root: no PEM certificate");
		return -1;
	}
	/* Each certificate given is an anchor, an intermediate CA too, as
	 * agentgateway's rustls takes its roots (OpenSSL wants one that is
	 * self-signed). */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_client_CA_list(ctx, names);
	if (c->root_optional)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_any);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/* The listener's PEM chain and key. */
static int load_cert(SSL_CTX *ctx, const struct sg_tls_cert *c, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(c->cert_pem, (int)c->cert_len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (!x) {
		lib_error(err, errlen, "certificate: no PEM certificate");
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		lib_error(err, errlen, "certificate");
		goto out;
	}
	for (X509 *ca; (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL));)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			lib_error(err, errlen, "certificate chain");
			goto out;
		}
	ERR_clear_error(); /* the chain's end reads as "no start line" */
	BIO_free(bio);
	bio = BIO_new_mem_buf(c->key_pem, (int)c->key_len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!key) {
		lib_error(err, errlen,
			  "key: no PEM private key (an encrypted one is not supported)");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		lib_error(err, errlen, "key does not match the certificate");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rc;
}

static int on_client_hello(SSL *ssl, int *alert, void *arg);

static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	struct sg_tls *t = SSL_get_app_data(ssl);
	const struct tls_listener *tl = t->chosen;
	unsigned char *sel;

	/* Server preference: the first of ours the client offers. A client
	 * that offers none of ours is refused with no_application_protocol
	 * (RFC 7301 §3.2; nginx since 1.21.4): it said it speaks nothing we
	 * serve. One that offers no ALPN at all gets HTTP/1.1. */
	if (tl->l->proto == SG_PROTO_TLS && !tl->alpn_len)
		return SSL_TLSEXT_ERR_NOACK; /* its bytes are opaque: no claim */
	if (SSL_select_next_proto(&sel, outlen, tl->alpn, (unsigned)tl->alpn_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* A session resumes only on the listener, certificate and client
 * verification it was made under: the session id context (which tickets
 * carry too) is a digest of the listener's key, its certificate and its
 * client CA. One context for all let a session made without a client
 * certificate on one listener resume on a listener that wants one, or
 * after its CA changed (nginx derives it the same way). */
static int session_context(SSL_CTX *ctx, const struct sg_listener *l, const struct sg_tls_cert *c,
			   char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(h, l->key, strlen(l->key) + 1) &&
		 EVP_DigestUpdate(h, c->cert_pem, c->cert_len) && EVP_DigestUpdate(h, "\0", 1) &&
		 (!c->root_pem || EVP_DigestUpdate(h, c->root_pem, c->root_len)) &&
		 EVP_DigestUpdate(h, c->root_optional ? "?" : "!", 1) &&
		 EVP_DigestFinal_ex(h, md, &len) &&
		 SSL_CTX_set_session_id_context(
			 ctx, md, len < SSL_MAX_SID_CTX_LENGTH ? len : SSL_MAX_SID_CTX_LENGTH);

	EVP_MD_CTX_free(h);
	if (!ok) {
		lib_error(err, errlen, "session id context");
		return -1;
	}
	return 0;
}

static int listener_ctx(struct tls_listener *tl, const struct sg_listener *l, char *err,
			size_t errlen)
{
	const struct sg_frontend_tls *p = l->ftls;
	const struct sg_tls_cert *c = l->tls;
	const struct sg_tls_suites *suites = c->suites.names.n ? &c->suites : &p->suites;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const struct sg_strs *alpn = &p->alpn;
	static const char *const alpn_default[] = { "h2", "http/1.1" };

	tl->l = l;
	tl->ctx = ctx;
	if (!ctx) {
		lib_error(err, errlen, "SSL_CTX_new");
		return -1;
	}
	tl->min_version =
		ossl_version(c->min_version ? c->min_version : p->min_version, TLS1_2_VERSION);
	tl->max_version = ossl_version(c->max_version ? c->max_version : p->max_version, 0);
	if (suites->names.n) {
		tl->tls13 = suites->tls13;
		tl->tls12 = suites->tls12;
	}
	tl->verify = c->root_pem != NULL;
	/* A TLS listener in mode Terminate carries a protocol it does not
	 * know: it names none unless its policy lists some (HTTP's h2 or
	 * http/1.1 would be a claim about the backend). */
	for (size_t i = 0; i < (p->has_alpn ? alpn->n : l->proto == SG_PROTO_TLS ? 0 : 2); i++) {
		const char *name = p->has_alpn ? alpn->v[i] : alpn_default[i];
		size_t len = strlen(name);

		if (tl->alpn_len + 1 + len > sizeof(tl->alpn))
			break;
		tl->alpn[tl->alpn_len++] = (unsigned char)len;
		memcpy(tl->alpn + tl->alpn_len, name, len);
		tl->alpn_len += len;
	}
	SSL_CTX_set_min_proto_version(ctx, tl->min_version);
	SSL_CTX_set_max_proto_version(ctx, tl->max_version);
	/* No renegotiation (a client-driven CPU cost and an old attack
	 * surface); buffers released while a connection is idle. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1); /* see sg_tls_recv */
	if (tl->tls13 && SSL_CTX_set_ciphersuites(ctx, tl->tls13) != 1) {
		lib_error(err, errlen, "cipherSuites (TLS 1.3)");
		return -1;
	}
	/* A list of TLS 1.3 suites only leaves TLS 1.2 with none. */
	if (tl->tls12 && SSL_CTX_set_cipher_list(ctx, *tl->tls12 ? tl->tls12 : "-ALL") != 1 &&
	    *tl->tls12) {
		lib_error(err, errlen, "cipherSuites (TLS 1.2)");
		return -1;
	}
	ERR_clear_error();
	/* dynamicCa: cert and key are a CA's, never served; each handshake
	 * gets a leaf for its SNI (on_client_hello). */
	if (c->dynamic_ca && !(tl->mint = sg_tls_mint_new(c->cert_pem, c->cert_len, c->key_pem,
							  c->key_len, err, errlen)))
		return -1;
	if ((!c->dynamic_ca && load_cert(ctx, c, err, errlen) == -1) ||
	    (c->root_pem && load_client_ca(ctx, c, err, errlen) == -1))
		return -1;
	if (session_context(ctx, l, c, err, errlen) == -1)
		return -1;
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key) != 1)
		ERR_clear_error(); /* tickets then use the context's own key */
	SSL_CTX_set_client_hello_cb(ctx, on_client_hello, NULL);
	SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
	return 0;
}

static void server_free(struct sg_tls_server *s)
{
	for (size_t i = 0; i < s->n; i++) {
		SSL_CTX_free(s->ls[i].ctx);
		sg_tls_mint_free(s->ls[i].mint);
	}
	free(s->ls);
	free(s);
}

struct sg_tls_server *sg_tls_server_new(const struct sg_bind *b, char *err, size_t errlen)
{
	struct sg_tls_server *s = calloc(1, sizeof(*s));

	pthread_once(&ticket_once, make_ticket_key);
	if (!s || !(s->ls = calloc(b->nlisteners ? b->nlisteners : 1, sizeof(*s->ls)))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->refs = 1;
	s->handshake_ms = 15000;
	for (size_t i = 0; i < b->nlisteners; i++) {
		const struct sg_listener *l = &b->listeners[i];
		char why[256];

		if (!l->tls || l->conflicted)
			continue;
		if (s->n == 0)
			s->handshake_ms = sg_dur_to_ms_ceil(l->ftls->handshake_timeout);
		if (listener_ctx(&s->ls[s->n], l, why, sizeof(why)) == -1) {
			SSL_CTX_free(s->ls[s->n].ctx);
			sg_tls_mint_free(s->ls[s->n].mint);
			snprintf(err, errlen, "listener %s: %s", l->name, why);
			server_free(s);
			return NULL;
		}
		s->n++;
	}
	return s;
}

/* Listener l's certificate (or its client CAs, `ca`) does not load: it
 * serves nothing, its status says why, and so does a warning naming its
 * Gateway or ListenerSet, where that is and where the Secret is when it
 * came in another text (each applier hears of it). */
static void vet_failed(struct sg_cfg *cfg, struct sg_diag *d, struct sg_listener *l, bool ca,
		       const char *why)
{
	const struct sg_node *at = l->tls->secret_at;
	const char *kind = l->ls_kind ? l->ls_kind : "Gateway";
	const char *ns = l->ls_kind ? l->ls_ns : l->gw_ns;
	const char *name = l->ls_kind ? l->ls_name : l->gw_name;

	l->tls_reason = ca ? "InvalidCACertificateRef" : "InvalidCertificateRef";
	l->tls_message = ca ? sg_arena_printf(&cfg->arena, "client CA certificates: %s", why)
			    : sg_arena_printf(&cfg->arena, "Secret %s: %s", l->tls->secret, why);
	l->no_valid_ca = ca;
	l->tls = NULL;
	sg_diag_warn(d, l->at, "%s %s/%s: listener %s: %s; it serves nothing", kind, ns, name,
		     l->name, l->tls_message);
	if (!ca && at && l->at && strcmp(at->file, l->at->file))
		sg_diag_warn(d, at, "%s %s/%s: listener %s: %s; it serves nothing", kind, ns, name,
			     l->name, l->tls_message);
}

static int client_roots(SSL_CTX *ctx, const struct sg_backend_tls *cfg, char *err, size_t errlen);
static int client_cert(SSL_CTX *ctx, const struct sg_backend_tls *cfg, char *err, size_t errlen);

/* A Gateway's backend client certificate that does not load, or whose
 * key is not its certificate's: its ResolvedRefs says so (Gateway API:
 * InvalidClientCertificateRef, with why), as a missing Secret does. */
static void vet_gw_clients(struct sg_cfg *cfg, struct sg_diag *d)
{
	for (size_t i = 0; i < cfg->ngw_clients; i++) {
		struct sg_gw_client *g = &cfg->gw_clients[i];
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		char why[256];
		int rc;

		if (!ctx)
			continue; /* out of memory: connections will say so */
		rc = client_cert(ctx, g->t, why, sizeof(why));
		SSL_CTX_free(ctx);
		if (rc == 0)
			continue;
		g->resolved->status = false;
		g->resolved->reason = "InvalidClientCertificateRef";
		g->resolved->message = sg_arena_printf(
			&cfg->arena, "spec.tls.backend.clientCertificateRef: Secret %s: %s",
			g->secret, why);
		sg_diag_warn(d, g->at,
			     "Gateway %s/%s: %s; TLS to the backends of its BackendTLSPolicies "
			     "fails until it is",
			     g->gw_ns, g->gw_name, g->resolved->message);
	}
}

void sg_tls_vet_secrets(struct sg_cfg *cfg, struct sg_diag *d)
{
	vet_gw_clients(cfg, d);
	for (size_t i = 0; i < cfg->nbinds; i++)
		for (size_t j = 0; j < cfg->binds[i].nlisteners; j++) {
			struct sg_listener *l = &cfg->binds[i].listeners[j];
			SSL_CTX *ctx;
			char why[256];
			int rc;
			bool ca = false;

			if (!l->tls || !l->tls->secret)
				continue;
			if (!(ctx = SSL_CTX_new(TLS_server_method())))
				continue; /* out of memory: sg_tls_check will say so */
			rc = load_cert(ctx, l->tls, why, sizeof(why));
			if (rc == 0 && l->tls->root_pem) {
				ca = true;
				rc = load_client_ca(ctx, l->tls, why, sizeof(why));
			}
			SSL_CTX_free(ctx);
			if (rc != 0)
				vet_failed(cfg, d, l, ca, why);
		}
}

/* The root and client certificate files of cfg's standalone backendTLS
 * policies load, and each client certificate is its key's; else the
 * config is refused where the policy is written. */
static int check_backend_files(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < cfg->nbtls_files; i++) {
		const struct sg_backend_tls *t = cfg->btls_files[i];
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		char why[256] = "out of memory";

		if (!ctx || (t->root_pem && client_roots(ctx, t, why, sizeof(why)) == -1) ||
		    client_cert(ctx, t, why, sizeof(why)) == -1) {
			sg_diag_err(d, t->at, "backendTLS: %s", why);
			ret = -1;
		}
		SSL_CTX_free(ctx);
	}
	return ret;
}

int sg_tls_check(const struct sg_cfg *cfg, struct sg_diag *d)
{
	int ret = check_backend_files(cfg, d);

	for (size_t i = 0; i < cfg->nbinds; i++) {
		const struct sg_bind *b = &cfg->binds[i];
		struct sg_tls_server *s;
		char why[512];

		if (!sg_tls_bind_terminates(b))
			continue;
		if ((s = sg_tls_server_new(b, why, sizeof(why)))) {
			sg_tls_server_unref(s);
			continue;
		}
		sg_diag_err(d, b->nlisteners ? b->listeners[0].at : NULL, "port %u: %s", b->port,
			    why);
		ret = -1;
	}
	return ret;
}

bool sg_tls_bind_terminates(const struct sg_bind *b)
{
	if (b->proto == SG_PROTO_HTTPS)
		return true;
	for (size_t i = 0; b->proto == SG_PROTO_TLS && i < b->nlisteners; i++)
		if (b->listeners[i].tls)
			return true;
	return false;
}

void sg_tls_server_ref(struct sg_tls_server *s)
{
	s->refs++;
}

void sg_tls_server_unref(struct sg_tls_server *s)
{
	if (s && --s->refs == 0)
		server_free(s);
}

uint64_t sg_tls_server_handshake_ms(const struct sg_tls_server *s)
{
	return s->handshake_ms;
}

/* ---- choosing the certificate -------------------------------------------- */

static bool host_eq(const char *a, const char *b, size_t n)
{
	return strncasecmp(a, b, n) == 0;
}

static const struct tls_listener *pick(const struct sg_tls_server *s, const char *sni)
{
	const struct tls_listener *any = NULL, *wild = NULL;
	size_t hlen = strlen(sni);

	for (size_t i = 0; i < s->n; i++) {
		const char *h = s->ls[i].l->hostname;
		size_t ll = strlen(h);

		if (ll == 0) {
			if (!any)
				any = &s->ls[i];
		} else if (hlen && h[0] == '*' && hlen > ll - 1 &&
			   host_eq(sni + hlen - (ll - 1), h + 1, ll - 1)) {
			if (!wild || ll > strlen(wild->l->hostname))
				wild = &s->ls[i];
		} else if (hlen && ll == hlen && host_eq(sni, h, ll)) {
			return &s->ls[i];
		}
	}
	if (wild || any)
		return wild ? wild : any;
	/* No SNI: the default certificate, the first listener's. */
	return hlen || !s->n ? NULL : &s->ls[0];
}

/* The server_name extension: list length, then entries of type (0 =
 * host_name), length, name. */
static void read_sni(SSL *ssl, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len, n;

	out[0] = '\0';
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5)
		return;
	n = (size_t)p[0] << 8 | p[1];
	if (n + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name)
		return;
	n = (size_t)p[3] << 8 | p[4];
	if (n + 5 > len || n >= outlen || memchr(p + 5, '\0', n))
		return;
	/* A fully qualified name's trailing dot names the same host (TLS
	 * passthrough reads it the same way). */
	if (n > 1 && p[5 + n - 1] == '.')
		n--;
	memcpy(out, p + 5, n);
	out[n] = '\0';
}

/* A dynamicCa listener's leaf for the SNI, on this handshake only; false
 * when there is no name to mint one for (or it could not be made). */
static bool use_minted(SSL *ssl, const struct tls_listener *tl, const char *sni)
{
	const unsigned char *der, *key;
	size_t len, klen;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!*sni || !sg_sni_name_valid(sni, strlen(sni)) || sni[0] == '*' ||
	    sg_tls_mint_leaf(tl->mint, sni,
			     (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, &der,
			     &len) == -1)
		return false;
	sg_tls_mint_key(tl->mint, &key, &klen);
	if (SSL_use_certificate_ASN1(ssl, der, (int)len) != 1 ||
	    SSL_use_PrivateKey_ASN1(EVP_PKEY_EC, ssl, key, (long)klen) != 1) {
		ERR_clear_error();
		return false;
	}
	return true;
}

static int on_client_hello(SSL *ssl, int *alert, void *arg)
{
	struct sg_tls *t = SSL_get_app_data(ssl);
	const struct tls_listener *tl;

	read_sni(ssl, t->sni, sizeof(t->sni));
	tl = pick(t->srv, t->sni);
	if (!tl) {
		t->no_cert = true;
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	t->chosen = tl;
	t->l = tl->l;
	if (SSL_get_SSL_CTX(ssl) != tl->ctx) {
		/* The context brings the certificate; versions, suites and
		 * verification were copied from the first one at SSL_new. */
		SSL_set_SSL_CTX(ssl, tl->ctx);
		SSL_set_min_proto_version(ssl, tl->min_version);
		SSL_set_max_proto_version(ssl, tl->max_version);
		if (tl->tls13)
			SSL_set_ciphersuites(ssl, tl->tls13);
		if (tl->tls12)
			SSL_set_cipher_list(ssl, *tl->tls12 ? tl->tls12 : "-ALL");
		SSL_set_verify(ssl, SSL_CTX_get_verify_mode(tl->ctx),
			       SSL_CTX_get_verify_callback(tl->ctx));
		if (tl->verify)
			SSL_set_client_CA_list(
				ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(tl->ctx)));
		ERR_clear_error();
	}
	if (tl->mint && !use_minted(ssl, tl, t->sni)) {
		t->no_cert = true;
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* ---- the client side: TLS to backends ------------------------------------ */

static int client_ex_index = -1;
static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void make_client_index(void)
{
	client_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct tls_session *session_slot(struct sg_tls_client *c, const char *host, bool take)
{
	struct tls_session *s;

	for (size_t i = 0; i < TLS_CLIENT_SESSIONS; i++)
		if (c->sessions[i].sess && !strcmp(c->sessions[i].host, host))
			return &c->sessions[i];
	if (!take)
		return NULL;
	s = &c->sessions[c->next++ % TLS_CLIENT_SESSIONS];
	SSL_SESSION_free(s->sess);
	s->sess = NULL;
	snprintf(s->host, sizeof(s->host), "%s", host);
	return s;
}

/* A new session (TLS 1.3 tickets come after the handshake): the latest
 * one per host is kept. Returns 1: the cache owns the reference. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct sg_tls_client *c = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), client_ex_index);
	const char *host =
		SSL_get_app_data(ssl) ? ((struct sg_tls *)SSL_get_app_data(ssl))->sni : NULL;
	struct tls_session *s;

	if (!c || !host || !*host || !(s = session_slot(c, host, true)))
		return 0;
	SSL_SESSION_free(s->sess);
	s->sess = sess;
	return 1;
}

/* The CAs a backend's certificate is verified with: cfg's PEM, else the
 * system's (OpenSSL's default paths). */
static int client_roots(SSL_CTX *ctx, const struct sg_backend_tls *cfg, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio;
	size_t n = 0;

	if (!cfg->root_pem) {
		if (SSL_CTX_set_default_verify_paths(ctx) == 1)
			return 0;
		lib_error(err, errlen, "the system's CA certificates");
		return -1;
	}
	bio = BIO_new_mem_buf(cfg->root_pem, (int)cfg->root_len);
	for (X509 *ca; bio && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)); n++) {
		X509_STORE_add_cert(store, ca);
		X509_free(ca);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (!n) {
		snprintf(err, errlen, "root: no PEM certificate");
		return -1;
	}
	/* As a listener's client CAs (load_client_ca): an intermediate
	 * given is an anchor. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	return 0;
}

/* cfg's client certificate (mutual TLS), its chain and its key; none
 * without one. */
static int client_cert(SSL_CTX *ctx, const struct sg_backend_tls *cfg, char *err, size_t errlen)
{
	BIO *bio;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (!cfg->cert_pem)
		return 0;
	bio = BIO_new_mem_buf(cfg->cert_pem, (int)cfg->cert_len);
	if (!bio || !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) ||
	    SSL_CTX_use_certificate(ctx, x) != 1) {
		lib_error(err, errlen, "cert: no PEM certificate");
		goto out;
	}
	for (X509 *ca; (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL));)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1)
			X509_free(ca);
	ERR_clear_error();
	BIO_free(bio);
	bio = BIO_new_mem_buf(cfg->key_pem, (int)cfg->key_len);
	if (!bio || !(key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
		lib_error(err, errlen,
			  "key: no PEM private key (an encrypted one is not supported)");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		lib_error(err, errlen, "key does not match cert");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rc;
}

static int client_alpn(SSL_CTX *ctx, const struct sg_backend_tls *cfg, bool h2)
{
	unsigned char wire[256];
	size_t len = 0, n = cfg->has_alpn ? cfg->alpn.n : 1;

	for (size_t i = 0; i < n; i++) {
		const char *name = cfg->has_alpn ? cfg->alpn.v[i] : h2 ? "h2" : "http/1.1";
		size_t l = strlen(name);

		if (l == 0 || l > 255 || len + 1 + l > sizeof(wire))
			continue;
		wire[len++] = (unsigned char)l;
		memcpy(wire + len, name, l);
		len += l;
	}
	/* SSL_CTX_set_alpn_protos returns 0 on success. */
	return len && SSL_CTX_set_alpn_protos(ctx, wire, (unsigned)len) ? -1 : 0;
}

struct sg_tls_client *sg_tls_client_new(const struct sg_backend_tls *cfg, bool h2, char *err,
					size_t errlen)
{
	struct sg_tls_client *c;

	if (cfg->invalid) {
		snprintf(err, errlen, "%s", cfg->invalid);
		return NULL;
	}
	pthread_once(&client_once, make_client_index);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->sans = calloc(cfg->sans.n + 1, sizeof(*c->sans)))) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->refs = 1;
	c->insecure = cfg->insecure;
	c->insecure_host = cfg->insecure_host;
	c->hostname = cfg->hostname ? strdup(cfg->hostname) : NULL;
	for (size_t i = 0; i < cfg->sans.n; i++)
		if ((c->sans[c->nsans] = strdup(cfg->sans.v[i])))
			c->nsans++;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		lib_error(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_ex_data(c->ctx, client_ex_index, c);
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(c->ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(c->ctx, 1); /* see sg_tls_recv */
	SSL_CTX_set_session_cache_mode(c->ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(c->ctx, on_new_session);
	SSL_CTX_set_verify(c->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (client_roots(c->ctx, cfg, err, errlen) == -1 ||
	    client_cert(c->ctx, cfg, err, errlen) == -1)
		goto fail;
	if (client_alpn(c->ctx, cfg, h2) == -1) {
		lib_error(err, errlen, "alpn");
		goto fail;
	}
	return c;
fail:
	sg_tls_client_unref(c);
	return NULL;
}

void sg_tls_client_ref(struct sg_tls_client *c)
{
	c->refs++;
}

void sg_tls_client_unref(struct sg_tls_client *c)
{
	if (!c || --c->refs)
		return;
	for (size_t i = 0; i < TLS_CLIENT_SESSIONS; i++)
		SSL_SESSION_free(c->sessions[i].sess);
	for (size_t i = 0; i < c->nsans; i++)
		free(c->sans[i]);
	free(c->sans);
	free(c->hostname);
	SSL_CTX_free(c->ctx);
	free(c);
}

static bool is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* A SAN given as a URI (a SPIFFE identity): not an IP literal, and a
 * ':' that no DNS name has. */
static bool is_uri(const char *san)
{
	return strchr(san, ':') && !is_ip(san);
}

/* How a backend's certificate names its host: by its DNS SANs alone,
 * never the subject's CN (RFC 9525 §6.3; agentgateway's rustls does the
 * same), and a wildcard only as a whole leftmost label. An IP literal is
 * matched with the iPAddress SANs only (OpenSSL's IP check never reads
 * the subject). */
#define HOST_FLAGS (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)

/* Does leaf certificate x carry one of c's SANs (DNS, IP or URI)? */
static bool leaf_has_san(const struct sg_tls_client *c, X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (size_t i = 0; i < c->nsans && !found; i++) {
		const char *san = c->sans[i];

		if (!is_uri(san)) {
			found = is_ip(san) ? X509_check_ip_asc(x, san, 0) == 1
					   : X509_check_host(x, san, 0, HOST_FLAGS, NULL) == 1;
			continue;
		}
		for (int j = 0; names && j < sk_GENERAL_NAME_num(names) && !found; j++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
			const ASN1_IA5STRING *u =
				g->type == GEN_URI ? g->d.uniformResourceIdentifier : NULL;

			found = u && (size_t)ASN1_STRING_length(u) == strlen(san) &&
				!memcmp(ASN1_STRING_get0_data(u), san, strlen(san));
		}
	}
	GENERAL_NAMES_free(names);
	return found;
}

/* The SAN check X509_VERIFY_PARAM cannot express: on the leaf, once its
 * chain verified, any one SAN of the list (Gateway API subjectAltNames);
 * else "hostname mismatch", as OpenSSL's own check says it. */
static int verify_sans(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct sg_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *x = X509_STORE_CTX_get_current_cert(xs);

	if (!ok || X509_STORE_CTX_get_error_depth(xs) != 0 || !t || !t->cli || !x)
		return ok;
	if (leaf_has_san(t->cli, x))
		return 1;
	X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

/* Whether c's SANs need verify_sans: X509_VERIFY_PARAM has no URIs, holds
 * one IP address, and wants every name it is given (a host name and an
 * address both), where any one SAN of the list must do. */
static bool sans_need_callback(const struct sg_tls_client *c)
{
	for (size_t i = 0; i < c->nsans; i++)
		if (is_uri(c->sans[i]) || (is_ip(c->sans[i]) && c->nsans > 1))
			return true;
	return false;
}

/* The names the certificate must carry: any of the SANs given, else the
 * host name (an IP literal as an iPAddress SAN). */
static int client_verify(struct sg_tls_client *c, SSL *ssl, const char *name)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	int ok = 1;

	if (c->insecure || c->insecure_host)
		return 0;
	X509_VERIFY_PARAM_set_hostflags(vp, HOST_FLAGS);
	if (sans_need_callback(c)) {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_sans);
		return 0;
	}
	if (!c->nsans)
		return (is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, name)
				    : X509_VERIFY_PARAM_set1_host(vp, name, 0)) == 1
			       ? 0
			       : -1;
	for (size_t i = 0; i < c->nsans && ok == 1; i++)
		ok = is_ip(c->sans[i]) ? X509_VERIFY_PARAM_set1_ip_asc(vp, c->sans[i])
				       : X509_VERIFY_PARAM_add1_host(vp, c->sans[i], 0);
	return ok == 1 ? 0 : -1;
}

struct sg_tls *sg_tls_connect(struct sg_tls_client *c, int fd, const char *host)
{
	const char *name = c->hostname ? c->hostname : host;
	size_t len = strlen(name);
	struct tls_session *cached;
	struct sg_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	/* A fully qualified name's trailing dot names the same host: the SNI
	 * goes without it (RFC 6066 §3), and OpenSSL's name check would
	 * match no certificate with it. */
	if (len > 1 && name[len - 1] == '.')
		len--;
	/* A DNS name is at most 253 bytes; t->sni is the copy OpenSSL is
	 * handed, since its setter takes a non-const pointer. */
	if (len >= sizeof(t->sni)) {
		free(t);
		return NULL;
	}
	memcpy(t->sni, name, len);
	t->sni[len] = '\0';
	t->ssl = SSL_new(c->ctx);
	if (!t->ssl || set_socket(t, fd) == -1 || client_verify(c, t->ssl, t->sni) == -1 ||
	    (!is_ip(t->sni) && SSL_set_tlsext_host_name(t->ssl, t->sni) != 1)) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_app_data(t->ssl, t);
	SSL_set_connect_state(t->ssl);
	if ((cached = session_slot(c, t->sni, false)))
		SSL_set_session(t->ssl, cached->sess);
	t->cli = c; /* verify_sans reads it */
	c->refs++;
	return t;
}

const char *sg_tls_alpn(const struct sg_tls *t)
{
	static __thread char out[32];
	const unsigned char *p;
	unsigned len;

	SSL_get0_alpn_selected(t->ssl, &p, &len);
	snprintf(out, sizeof(out), "%.*s", (int)len, p ? (const char *)p : "");
	return out;
}

/* Why a client handshake failed: the verification's verdict when the
 * backend's certificate was refused, else the library's reason (an alert
 * from the backend, a protocol error). */
static void client_error(struct sg_tls *t, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(t->ssl);
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	if (v != X509_V_OK)
		snprintf(err, errlen, "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	else
		snprintf(err, errlen, "%s", why ? why : "handshake failed");
	ERR_clear_error();
}

/* ---- sessions -------------------------------------------------------------- */

struct sg_tls *sg_tls_new(struct sg_tls_server *s, int fd)
{
	struct sg_tls *t;

	if (!s->n)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ssl = SSL_new(s->ls[0].ctx);
	if (!t->ssl || set_socket(t, fd) == -1) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_app_data(t->ssl, t);
	SSL_set_accept_state(t->ssl);
	t->srv = s;
	t->chosen = &s->ls[0];
	t->l = t->chosen->l;
	s->refs++;
	return t;
}

static void release_server(struct sg_tls *t)
{
	/* The worker may have dropped its reference (a renewed certificate):
	 * then this was the last, and chosen went with it. */
	sg_tls_server_unref(t->srv);
	t->srv = NULL;
	t->chosen = NULL;
}

/* ---- the client's certificate --------------------------------------------- */

const struct sg_tls_peer *sg_tls_peer(struct sg_tls *t)
{
	X509 *x = t->peer ? NULL : SSL_get0_peer_certificate(t->ssl);
	unsigned char *der = NULL;
	int len;

	/* Handed over as DER, so that no OpenSSL type crosses the header;
	 * once per connection. Out of memory: tried again next time. One
	 * let through unverified (AllowInsecureFallback) names nobody. */
	if (x && (t->cli || SSL_get_verify_result(t->ssl) == X509_V_OK) &&
	    (len = i2d_X509(x, &der)) > 0)
		t->peer = sg_tls_peer_read(der, (size_t)len);
	OPENSSL_free(der);
	ERR_clear_error();
	return t->peer;
}

void sg_tls_free(struct sg_tls *t)
{
	if (!t)
		return;
	if (t->io)
		sg_io_pending(t->loop, t->io, false);
	/* A backend connection closed without close_notify (idle, or done
	 * with) is not a broken session: without this, SSL_free marks its
	 * session not resumable, and the next connection does a full
	 * handshake. */
	if (t->cli && SSL_is_init_finished(t->ssl))
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(t->ssl);
	if (t->srv)
		release_server(t);
	sg_tls_client_unref(t->cli);
	free(t->lkey);
	sg_tls_peer_free(t->peer);
	free(t);
}

int sg_tls_handshake(struct sg_tls *t, uint32_t *want, char *err, size_t errlen)
{
	int rc;

	t->in_step = true;
	t->sent = false;
	rc = SSL_do_handshake(t->ssl);
	t->in_step = false;
	if (rc == 1) {
		/* The server is no longer needed; the listener pointer
		 * stays valid with the handshake's config (tls.h), its key
		 * for the connection's life. */
		if (t->srv && !(t->lkey = strdup(t->l->key))) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		release_server(t);
		return 1;
	}
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want = EPOLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*want = EPOLLOUT;
		return 0;
	case SSL_ERROR_SYSCALL:
		if (t->cli && !errno && SSL_get_verify_result(t->ssl) == X509_V_OK) {
			client_error(t, err, errlen);
			if (!strcmp(err, "handshake failed"))
				snprintf(err, errlen, "connection closed during the handshake");
			return -1;
		}
		snprintf(err, errlen, "%s",
			 errno	  ? strerror(errno)
			 : t->cli ? "connection closed during the handshake"
				  : "closed by the client");
		ERR_clear_error();
		return -1;
	default:
		if (t->cli)
			client_error(t, err, errlen);
		else if (t->no_cert)
			snprintf(err, errlen, "no certificate for SNI %s", t->sni);
		else
			lib_error(err, errlen, "handshake");
		ERR_clear_error();
		return -1;
	}
}

const struct sg_listener *sg_tls_listener(const struct sg_tls *t)
{
	return t->l;
}

const char *sg_tls_listener_key(const struct sg_tls *t)
{
	return t->lkey;
}

bool sg_tls_h2(const struct sg_tls *t)
{
	const unsigned char *p;
	unsigned len;

	SSL_get0_alpn_selected(t->ssl, &p, &len);
	return len == 2 && !memcmp(p, "h2", 2);
}

const char *sg_tls_sni(const struct sg_tls *t)
{
	return t->sni;
}

const char *sg_tls_version(const struct sg_tls *t)
{
	return SSL_get_version(t->ssl);
}

bool sg_tls_resumed(const struct sg_tls *t)
{
	return SSL_session_reused(t->ssl) == 1;
}

void sg_tls_idle(struct sg_tls *t)
{
	/* Fails (and keeps them) while a record is half read or written. */
	SSL_free_buffers(t->ssl);
}

void sg_tls_watch(struct sg_tls *t, struct sg_loop *loop, struct sg_io *io)
{
	if (t->io && t->io != io)
		sg_io_pending(t->loop, t->io, false);
	t->loop = loop;
	t->io = io;
	sg_io_pending(loop, io, SSL_has_pending(t->ssl) != 0);
}

/* errno for a call that did not complete: EAGAIN when the socket must be
 * ready first, ECONNRESET for a protocol failure. */
static ssize_t fail(struct sg_tls *t, int rc)
{
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0; /* close_notify */
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (!errno)
			return 0; /* EOF without close_notify: a truncation we report as EOF */
		return -1;
	default:
		ERR_clear_error();
		errno = ECONNRESET;
		return -1;
	}
}

/* Both contexts read ahead: OpenSSL takes what the socket holds, up to its
 * record buffer, in one read(2), where it would read each record's 5-byte
 * header and then its body, two reads a record (strace: read(5), read(99)
 * for every request of a keep-alive connection). Bytes so taken wait in
 * OpenSSL, not in the socket, so epoll does not report them:
 * SSL_has_pending marks the connection readable to the loop instead. */
ssize_t sg_tls_recv(struct sg_tls *t, void *buf, size_t len, bool peek)
{
	size_t got = 0;
	int rc;

	errno = 0;
	rc = peek ? SSL_peek_ex(t->ssl, buf, len, &got) : SSL_read_ex(t->ssl, buf, len, &got);
	if (t->io)
		sg_io_pending(t->loop, t->io, SSL_has_pending(t->ssl) != 0);
	if (rc == 1)
		return (ssize_t)got;
	return fail(t, 0);
}

/* SSL_MODE_ENABLE_PARTIAL_WRITE makes SSL_write return after each record;
 * going on until the socket is full gives callers a socket's meaning of a
 * short write (wait for EPOLLOUT), not one record per pass of the loop.
 * follows: more bytes come right after these (sg_tls_sendv's next
 * buffer), so even the last record goes with MSG_MORE. */
static ssize_t send_records(struct sg_tls *t, const void *buf, size_t len, bool follows)
{
	size_t done = 0;
	ssize_t rc;

	while (done < len) {
		size_t put = 0;

		errno = 0;
		t->more = follows || len - done > SG_TLS_RECORD;
		rc = SSL_write_ex(t->ssl, (const char *)buf + done, len - done, &put);
		t->more = false;
		if (rc == 1) {
			done += put;
			continue;
		}
		rc = fail(t, 0);
		if (done)
			break; /* the error, if any, comes again on the next call */
		if (rc == 0) {
			errno = EPIPE; /* the peer is gone: nothing more can be written */
			rc = -1;
		}
		return rc;
	}
	return (ssize_t)done;
}

ssize_t sg_tls_send(struct sg_tls *t, const void *buf, size_t len)
{
	return send_records(t, buf, len, false);
}

#define TLS_GATHER 16384

/* more: the caller's MSG_MORE (its last bytes, a FIN right after). */
static ssize_t sendv(struct sg_tls *t, const struct iovec *iov, size_t cnt, bool more)
{
	char buf[TLS_GATHER];
	size_t total = 0, done = 0;

	for (size_t i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (cnt > 1 && total <= sizeof(buf)) {
		for (size_t i = 0; i < cnt; i++) {
			memcpy(buf + done, iov[i].iov_base, iov[i].iov_len);
			done += iov[i].iov_len;
		}
		return send_records(t, buf, total, more);
	}
	for (size_t i = 0; i < cnt; i++) {
		/* bytes in a later buffer, or the caller's */
		bool follows = more || total - done > iov[i].iov_len;
		ssize_t n = send_records(t, iov[i].iov_base, iov[i].iov_len, follows);

		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return (ssize_t)done;
}

ssize_t sg_tls_sendv(struct sg_tls *t, const struct iovec *iov, size_t cnt)
{
	return sendv(t, iov, cnt, false);
}

void sg_tls_close_notify(struct sg_tls *t)
{
	/* The caller closes or shuts down the socket next: the alert waits
	 * for the FIN, which the kernel adds to its segment (and to the last
	 * response's, when that was sent with MSG_MORE too). */
	t->more = true;
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl);
	t->more = false;
	ERR_clear_error();
}

ssize_t sg_sock_recv(struct sg_tls *t, int fd, void *buf, size_t len, int flags)
{
	return t ? sg_tls_recv(t, buf, len, flags & MSG_PEEK) : recv(fd, buf, len, flags);
}

ssize_t sg_sock_send(struct sg_tls *t, int fd, const void *buf, size_t len, int flags)
{
	return t ? send_records(t, buf, len, flags & MSG_MORE) : send(fd, buf, len, flags);
}

ssize_t sg_sock_sendv(struct sg_tls *t, int fd, const struct iovec *iov, size_t cnt, int flags)
{
	struct msghdr m = { .msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = cnt };

	return t ? sendv(t, iov, cnt, flags & MSG_MORE) : sendmsg(fd, &m, flags);
}
