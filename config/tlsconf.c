/* TLS settings of both dialects. The contract is tlsconf.h. */
#include "config/tlsconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/duration.h"

void sg_frontend_tls_defaults(struct sg_frontend_tls *t)
{
	memset(t, 0, sizeof(*t));
	t->handshake_timeout = SG_DUR_S(15); /* agentgateway's tls_handshake_timeout */
}

int sg_f_tls_version(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct {
		const char *name;
		enum sg_tls_version v;
	} names[] = {
		{ "TLS_V1_2", SG_TLS_1_2 },
		{ "TLS_V1_3", SG_TLS_1_3 },
		{ "1.2", SG_TLS_1_2 },
		{ "1.3", SG_TLS_1_3 },
	};

	if (n->kind == SG_NODE_SCALAR && !sg_node_is_null(n)) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(n->str, names[i].name)) {
				*(enum sg_tls_version *)dst = names[i].v;
				return 0;
			}
		if (!strcmp(n->str, "TLS_V1_0") || !strcmp(n->str, "TLS_V1_1") ||
		    !strcmp(n->str, "1.0") || !strcmp(n->str, "1.1")) {
			sg_diag_err(c->d, n, "%s: %s is not supported (TLS 1.2 is the minimum)",
				    path, n->str);
			return -1;
		}
	}
	return sg_expected(c, n, path, "TLS_V1_2 or TLS_V1_3 (Kubernetes: \"1.2\" or \"1.3\")");
}

/* agentgateway's CipherSuite: the IANA name, the alias it also takes, and
 * OpenSSL's name for it. */
static const struct suite {
	const char *iana, *alias, *openssl;
	bool tls13;
} suites[] = {
	{ "TLS_AES_256_GCM_SHA384", "TLS13_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", true },
	{ "TLS_AES_128_GCM_SHA256", "TLS13_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", true },
	{ "TLS_CHACHA20_POLY1305_SHA256", "TLS13_CHACHA20_POLY1305_SHA256",
	  "TLS_CHACHA20_POLY1305_SHA256", true },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
	  "ECDHE-ECDSA-AES256-GCM-SHA384", false },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
	  "ECDHE-ECDSA-AES128-GCM-SHA256", false },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
	  "ECDHE-ECDSA-CHACHA20-POLY1305", false },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	  "ECDHE-RSA-AES256-GCM-SHA384", false },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	  "ECDHE-RSA-AES128-GCM-SHA256", false },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
	  "ECDHE-RSA-CHACHA20-POLY1305", false },
};

const char sg_tls_suite_names[] =
	"TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, "
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";

static const char *join(struct sg_arena *a, const char *list, const char *item)
{
	return *list ? sg_arena_printf(a, "%s:%s", list, item) : item;
}

int sg_f_cipher_suites(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_tls_suites *s = dst;
	int ret = 0;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	s->tls13 = s->tls12 = "";
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i];
		const struct suite *found = NULL;
		const char **slot;

		for (size_t j = 0;
		     it->kind == SG_NODE_SCALAR && j < sizeof(suites) / sizeof(*suites); j++)
			if (!strcmp(it->str, suites[j].iana) || !strcmp(it->str, suites[j].alias))
				found = &suites[j];
		if (!found) {
			sg_diag_err(c->d, it, "%s: expected one of %s", sg_path_idx(c, path, i),
				    sg_tls_suite_names);
			ret = -1;
			continue;
		}
		if (found->tls13)
			s->tls13 = join(c->a, s->tls13, found->openssl);
		else
			s->tls12 = join(c->a, s->tls12, found->openssl);
		slot = sg_arena_push(c->a, &s->names.v, &s->names.n, &s->names.cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = found->iana;
	}
	if (!ret && n->n == 0)
		return sg_expected(c, n, path, "at least one cipher suite");
	return ret;
}

/* ALPN protocol names: strings ("h2"), or agentgateway's serialized form,
 * lists of byte values ([104, 50]). Each 1..255 bytes. */
static int f_alpn(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_frontend_tls *t = dst;

	if (sg_need_seq(c, n, path) == -1)
		return -1;
	t->has_alpn = true;
	memset(&t->alpn, 0, sizeof(t->alpn));
	for (size_t i = 0; i < n->n; i++) {
		const struct sg_node *it = n->items[i];
		const char *ip = sg_path_idx(c, path, i);
		const char **slot;
		char *name = NULL;

		if (it->kind == SG_NODE_SCALAR && !sg_node_is_null(it)) {
			name = sg_arena_strdup(c->a, it->str);
		} else if (it->kind == SG_NODE_SEQ && it->n > 0) {
			name = sg_arena_alloc(c->a, it->n + 1);
			if (!name)
				return -1;
			for (size_t j = 0; j < it->n; j++) {
				const struct sg_node *b = it->items[j];
				char *end;
				long v = b->kind == SG_NODE_SCALAR ? strtol(b->str, &end, 10) : -1;

				if (v < 1 || v > 255 || *end)
					return sg_expected(c, b, sg_path_idx(c, ip, j),
							   "a byte value 1..255");
				name[j] = (char)v;
			}
			name[it->n] = '\0';
		}
		if (!name || !*name || strlen(name) > 255)
			return sg_expected(c, it, ip,
					   "a protocol name such as \"h2\" (1..255 bytes)");
		slot = sg_arena_push(c->a, &t->alpn.v, &t->alpn.n, &t->alpn.cap, sizeof(*slot));
		if (!slot)
			return -1;
		*slot = name;
	}
	if (n->n == 0)
		return sg_expected(c, n, path, "at least one protocol name");
	return 0;
}

static int check_range(struct sg_pctx *c, const struct sg_node *n, const char *path,
		       enum sg_tls_version min, enum sg_tls_version max)
{
	if (min && max && min > max) {
		sg_diag_err(c->d, n, "%s: the minimum TLS version is above the maximum", path);
		return -1;
	}
	return 0;
}

static int f_handshake(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	if (sg_f_dur(c, n, dst, path) == -1)
		return -1;
	if (*(sg_dur *)dst < SG_DUR_MS(100))
		return sg_expected(c, n, path, "a handshake timeout of at least 100ms");
	return 0;
}

static int f_groups(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: choosing key exchange groups is not supported (the TLS "
		    "library's defaults apply: X25519, P-256, ...)",
		    path);
	return -1;
}

static int parse_frontend_tls(struct sg_pctx *c, const struct sg_node *n, void *dst,
			      const char *path, const struct sg_field *fields)
{
	struct sg_frontend_tls *t = dst;

	sg_frontend_tls_defaults(t);
	if (sg_parse_fields(c, n, fields, t, path) == -1)
		return -1;
	return check_range(c, n, path, t->min_version, t->max_version);
}

#define F(key, fn, member)                                                                         \
	{                                                                                          \
		key, fn, offsetof(struct sg_frontend_tls, member)                                  \
	}

int sg_f_frontend_tls(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		F("handshakeTimeout", f_handshake, handshake_timeout),
		{ "alpn", f_alpn, 0 },
		F("minVersion", sg_f_tls_version, min_version),
		F("maxVersion", sg_f_tls_version, max_version),
		F("cipherSuites", sg_f_cipher_suites, suites),
		{ "keyExchangeGroups", f_groups, 0 },
		{ 0 },
	};

	return parse_frontend_tls(c, n, dst, path, fields);
}

int sg_f_frontend_tls_k8s(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	static const struct sg_field fields[] = {
		F("handshakeTimeout", f_handshake, handshake_timeout),
		{ "alpnProtocols", f_alpn, 0 },
		F("minProtocolVersion", sg_f_tls_version, min_version),
		F("maxProtocolVersion", sg_f_tls_version, max_version),
		F("cipherSuites", sg_f_cipher_suites, suites),
		{ "keyExchangeGroups", f_groups, 0 },
		{ 0 },
	};

	return parse_frontend_tls(c, n, dst, path, fields);
}

#undef F

/* ---- certificates -------------------------------------------------------- */

/* A file's bytes, at most 1 MiB (a chain of a few certificates, a JWKS, is a
 * few KiB). */
#define TLSCONF_PEM_MAX (1 << 20)

int sg_conf_read_file_max(struct sg_pctx *c, const struct sg_node *at, const char *path,
			  const char *file, size_t max, const char **out, size_t *out_len)
{
	FILE *f = fopen(file, "re");
	char *buf, over[32];
	size_t n;

	if (!f) {
		sg_diag_err(c->d, at, "%s: cannot read %s: %s", path, file, strerror(errno));
		return -1;
	}
	buf = sg_arena_alloc(c->a, max + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max || n == 0) {
		snprintf(over, sizeof(over), "over %zu MiB", max >> 20);
		sg_diag_err(c->d, at, "%s: %s: %s", path, file,
			    ferror(f) ? strerror(errno)
			    : n	      ? over
				      : "empty");
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int sg_conf_read_file(struct sg_pctx *c, const struct sg_node *at, const char *path,
		      const char *file, const char **out, size_t *out_len)
{
	return sg_conf_read_file_max(c, at, path, file, TLSCONF_PEM_MAX, out, out_len);
}

struct tls_files_in {
	const char *cert, *key, *root;
	struct sg_tls_cert *t;
};

/* tls.mode: static (cert and key are the listener's certificate) or
 * dynamicCa (they are a CA's, which signs a certificate per SNI). */
static int f_files_mode(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct tls_files_in *in = dst;
	const char *mode = ""; /* set by sg_f_str; LTO cannot tell */

	if (sg_f_str(c, n, &mode, path) == -1)
		return -1;
	if (!strcmp(mode, "static") || !strcmp(mode, "dynamicCa")) {
		in->t->dynamic_ca = !strcmp(mode, "dynamicCa");
		return 0;
	}
	return sg_expected(c, n, path, "static or dynamicCa");
}

static int f_files_suites(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_cipher_suites(c, n, &((struct tls_files_in *)dst)->t->suites, path);
}

static int f_files_min(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_tls_version(c, n, &((struct tls_files_in *)dst)->t->min_version, path);
}

static int f_files_max(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	return sg_f_tls_version(c, n, &((struct tls_files_in *)dst)->t->max_version, path);
}

static int f_unsupported(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n, "%s: not supported (certificates come from cert and key files)", path);
	return -1;
}

struct sg_tls_cert *sg_parse_tls_files(struct sg_pctx *c, const struct sg_node *n, const char *path)
{
	static const struct sg_field fields[] = {
		{ "cert", sg_f_str, offsetof(struct tls_files_in, cert) },
		{ "key", sg_f_str, offsetof(struct tls_files_in, key) },
		{ "root", sg_f_str, offsetof(struct tls_files_in, root) },
		{ "cipherSuites", f_files_suites, 0 },
		{ "minTLSVersion", f_files_min, 0 },
		{ "minTlsVersion", f_files_min, 0 },
		{ "maxTLSVersion", f_files_max, 0 },
		{ "maxTlsVersion", f_files_max, 0 },
		{ "keyExchangeGroups", f_groups, 0 },
		{ "mode", f_files_mode, 0 },
		{ "spiffe", f_unsupported, 0 },
		{ 0 },
	};
	struct tls_files_in in = { 0 };
	int ret = 0;

	in.t = sg_arena_alloc(c->a, sizeof(*in.t));
	if (!in.t)
		return NULL;
	memset(in.t, 0, sizeof(*in.t));
	if (sg_parse_fields(c, n, fields, &in, path) == -1)
		return NULL;
	if (!in.cert || !in.key) {
		sg_diag_err(c->d, n, "%s: an HTTPS listener needs cert and key (PEM files)", path);
		return NULL;
	}
	if (in.t->dynamic_ca && in.root) {
		sg_diag_err(c->d, sg_map_get(n, "root"),
			    "%s.root: not supported with mode: dynamicCa (client certificates are "
			    "not asked for where each certificate is minted per name)",
			    path);
		return NULL;
	}
	in.t->cert_path = in.cert;
	in.t->key_path = in.key;
	in.t->root_path = in.root;
	if (sg_conf_read_file(c, sg_map_get(n, "cert"), sg_path_key(c, path, "cert"), in.cert,
			      &in.t->cert_pem, &in.t->cert_len) == -1)
		ret = -1;
	if (sg_conf_read_file(c, sg_map_get(n, "key"), sg_path_key(c, path, "key"), in.key,
			      &in.t->key_pem, &in.t->key_len) == -1)
		ret = -1;
	if (in.root && sg_conf_read_file(c, sg_map_get(n, "root"), sg_path_key(c, path, "root"),
					 in.root, &in.t->root_pem, &in.t->root_len) == -1)
		ret = -1;
	if (check_range(c, n, path, in.t->min_version, in.t->max_version) == -1)
		ret = -1;
	return ret ? NULL : in.t;
}

/* ---- TLS to backends ------------------------------------------------------ */

static int f_btls_alpn(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	struct sg_backend_tls *t = dst;

	t->has_alpn = true;
	return sg_f_strs(c, n, &t->alpn, path);
}

static int f_btls_spiffe(struct sg_pctx *c, const struct sg_node *n, void *dst, const char *path)
{
	sg_diag_err(c->d, n,
		    "%s: SPIFFE identities are not supported (give root, and cert and key for "
		    "mutual TLS)",
		    path);
	return -1;
}

struct sg_backend_tls *sg_parse_backend_tls(struct sg_pctx *c, const struct sg_node *n,
					    const char *path)
{
#define BT(key, fn, field)                                                                         \
	{                                                                                          \
		key, fn, offsetof(struct sg_backend_tls, field)                                    \
	}
	static const struct sg_field fields[] = {
		BT("cert", sg_f_str, cert_path),
		BT("key", sg_f_str, key_path),
		BT("root", sg_f_str, root_path),
		BT("hostname", sg_f_str, hostname),
		BT("insecure", sg_f_bool, insecure),
		BT("insecureHost", sg_f_bool, insecure_host),
		{ "alpn", f_btls_alpn, 0 },
		BT("subjectAltNames", sg_f_strs, sans),
		{ "keyExchangeGroups", f_groups, 0 },
		{ "spiffe", f_btls_spiffe, 0 },
		{ 0 },
	};
#undef BT
	struct sg_backend_tls *t = sg_arena_alloc(c->a, sizeof(*t));
	int ret = 0;

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	if (sg_node_is_null(n))
		return t; /* `backendTLS: {}` or null: system CAs, the endpoint's name */
	if (sg_parse_fields(c, n, fields, t, path) == -1)
		return NULL;
	if (!t->cert_path != !t->key_path) {
		sg_diag_err(c->d, n, "%s: a client certificate needs both cert and key (PEM files)",
			    path);
		return NULL;
	}
	if (t->cert_path &&
	    (sg_conf_read_file(c, sg_map_get(n, "cert"), sg_path_key(c, path, "cert"), t->cert_path,
			       &t->cert_pem, &t->cert_len) == -1 ||
	     sg_conf_read_file(c, sg_map_get(n, "key"), sg_path_key(c, path, "key"), t->key_path,
			       &t->key_pem, &t->key_len) == -1))
		ret = -1;
	if (t->root_path &&
	    sg_conf_read_file(c, sg_map_get(n, "root"), sg_path_key(c, path, "root"), t->root_path,
			      &t->root_pem, &t->root_len) == -1)
		ret = -1;
	if (ret)
		return NULL;
	t->at = n;
	if (c->cfg && (t->root_pem || t->cert_pem)) {
		const struct sg_backend_tls **slot =
			sg_arena_push(c->a, &c->cfg->btls_files, &c->cfg->nbtls_files,
				      &c->cfg->capbtls_files, sizeof(*slot));

		if (!slot)
			return NULL;
		*slot = t;
	}
	return t;
}

char *sg_base64_decode(struct sg_arena *a, const char *in, size_t *out_len)
{
	size_t len = strlen(in), o = 0;
	char *out = sg_arena_alloc(a, len / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (!out)
		return NULL;
	for (const char *p = in; *p; p++) {
		int v;

		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		if (pad)
			return NULL; /* data after padding */
		if (*p >= 'A' && *p <= 'Z')
			v = *p - 'A';
		else if (*p >= 'a' && *p <= 'z')
			v = *p - 'a' + 26;
		else if (*p >= '0' && *p <= '9')
			v = *p - '0' + 52;
		else if (*p == '+')
			v = 62;
		else if (*p == '/')
			v = 63;
		else
			return NULL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if (bits >= 6 || pad > 2)
		return NULL; /* a lone sextet is not a byte */
	out[o] = '\0';
	*out_len = o;
	return out;
}
