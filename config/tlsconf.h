/* TLS settings in both dialects: versions, cipher suites, ALPN lists,
 * agentgateway's frontend TLS policy, an HTTPS listener's certificate
 * (files, or a kubernetes.io/tls Secret's base64 data). Only parsing and
 * reading: the TLS library sees these bytes in user/tls/tls.c, which is where
 * a certificate that does not load is refused. */
#ifndef SG_TLSCONF_H
#define SG_TLSCONF_H

#include "config/cfg.h"
#include "config/fields.h"

/* A listener without a frontend TLS policy: handshake 15 s, ALPN h2 then
 * http/1.1, versions and suites the library's (TLS 1.2 floor). */
void sg_frontend_tls_defaults(struct sg_frontend_tls *t);

/* "TLS_V1_2" | "TLS_V1_3" (agentgateway's names) or "1.2" | "1.3" (the
 * Kubernetes API's) -> enum sg_tls_version. */
int sg_f_tls_version(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
/* A list of agentgateway's cipher suite names (IANA names, or its
 * aliases) -> struct sg_tls_suites. */
int sg_f_cipher_suites(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* frontendPolicies.tls (standalone keys) and an AgentgatewayPolicy's
 * spec.frontend.tls (Kubernetes keys) -> struct sg_frontend_tls. */
int sg_f_frontend_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);
int sg_f_frontend_tls_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path);

/* The bytes of `file` (at most 1 MiB, not empty), NUL-terminated in the
 * arena, into *out and *out_len. Returns 0, or -1 after recording at `at`
 * why it cannot be read (path names the key). A PEM file, a JWKS file. */
int sg_conf_read_file(struct sg_pctx *c, const struct sg_node *at, const char *path,
		      const char *file, const char **out, size_t *out_len);
/* The same with `max` bytes at most (a whole number of MiB). */
int sg_conf_read_file_max(struct sg_pctx *c, const struct sg_node *at, const char *path,
			  const char *file, size_t max, const char **out, size_t *out_len);

/* A standalone HTTPS listener's `tls: {cert, key, root, cipherSuites,
 * minTLSVersion, maxTLSVersion}`: the files are read now. Returns the
 * certificate (arena) or NULL after recording an error. */
struct sg_tls_cert *sg_parse_tls_files(struct sg_pctx *c, const struct sg_node *n,
				       const char *path);

/* A standalone backend's `policies.backendTLS` (agentgateway's
 * LocalBackendTLS: cert, key, root files, hostname, insecure, insecureHost,
 * alpn, subjectAltNames): the files are read now. Returns the policy
 * (arena) or NULL after recording an error. */
struct sg_backend_tls *sg_parse_backend_tls(struct sg_pctx *c, const struct sg_node *n,
					    const char *path);

/* Decodes base64 (RFC 4648, padding optional, whitespace skipped) into the
 * arena; NULL when `in` is not base64. */
char *sg_base64_decode(struct sg_arena *a, const char *in, size_t *out_len);

/* The IANA names of the suites splicegate knows, for messages. */
extern const char sg_tls_suite_names[];

#endif
