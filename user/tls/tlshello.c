/* The ClientHello's server_name, read from the first records of a TLS
 * connection: record layer first (the hello may span records), then the
 * hello itself, checked length by length. */
#include "user/tls/tlshello.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define REC_HEADER 5
#define REC_HANDSHAKE 22
#define REC_MAX 16384 /* a plaintext record's fragment, 2^14 */
#define HS_HEADER 4
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define NAME_HOST 0

/* A bounded cursor over the hello's bytes: every read checks what is left. */
struct cur {
	const uint8_t *p;
	size_t left;
};

static bool take(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return false;
	if (out)
		*out = c->p;
	c->p += n;
	c->left -= n;
	return true;
}

static bool u8(struct cur *c, size_t *v)
{
	const uint8_t *p;

	if (!take(c, 1, &p))
		return false;
	*v = p[0];
	return true;
}

static bool u16(struct cur *c, size_t *v)
{
	const uint8_t *p;

	if (!take(c, 2, &p))
		return false;
	*v = (size_t)p[0] << 8 | p[1];
	return true;
}

/* A length-prefixed vector (1 or 2 length bytes) as a cursor of its own. */
static bool vec(struct cur *c, int width, struct cur *v)
{
	size_t n;

	if (!(width == 1 ? u8(c, &n) : u16(c, &n)))
		return false;
	v->p = c->p;
	v->left = n;
	return take(c, n, NULL);
}

static size_t be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* The handshake bytes of the records at the start of buf, copied into hs
 * (SG_TLSHELLO_MAX bytes) until the first handshake message is whole:
 * 0 with its length in *hslen, or sg_tlshello_sni's -EAGAIN (with *need),
 * -EINVAL or -E2BIG. */
static int gather(const uint8_t *buf, size_t len, uint8_t *hs, size_t *hslen, size_t *need)
{
	size_t off = 0, have = 0, want = 0; /* want: the message's length, 0 = not known yet */

	for (;;) {
		size_t rlen, frag, missing;

		if (off + REC_HEADER > len) {
			*need = off + REC_HEADER;
			return *need > SG_TLSHELLO_MAX ? -E2BIG : -EAGAIN;
		}
		rlen = be16(buf + off + 3);
		/* RFC 8446 §5.1: no zero-length handshake fragments; nothing
		 * but handshake records before the hello. */
		if (buf[off] != REC_HANDSHAKE || buf[off + 1] != 3 || rlen == 0 || rlen > REC_MAX)
			return -EINVAL;
		frag = len - off - REC_HEADER < rlen ? len - off - REC_HEADER : rlen;
		memcpy(hs + have, buf + off + REC_HEADER, frag);
		have += frag;
		if (!want && have >= HS_HEADER) {
			if (hs[0] != HS_CLIENT_HELLO)
				return -EINVAL;
			want = HS_HEADER + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (want > SG_TLSHELLO_MAX - REC_HEADER)
				return -E2BIG; /* cannot fit even in one record's worth */
		}
		if (want && have >= want) {
			*hslen = want;
			return 0;
		}
		if (frag == rlen) {
			off += REC_HEADER + rlen;
			continue;
		}
		/* Part of this record is still to come: up to its end, or as
		 * far as the message goes if it ends inside it. */
		missing = want ? want - have : HS_HEADER - have;
		if (missing > rlen - frag)
			missing = rlen - frag;
		*need = len + missing;
		return *need > SG_TLSHELLO_MAX ? -E2BIG : -EAGAIN;
	}
}

/* A host name's characters (letters, digits, '-', '_', dots between
 * labels), copied lowercased; a single trailing dot is dropped. */
static int copy_name(const uint8_t *s, size_t n, char *name, size_t namecap)
{
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > SG_TLSHELLO_NAME_MAX || n >= namecap || s[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_' || ch == '.'))
			return -EINVAL;
		if (ch == '.' && s[i - 1] == '.')
			return -EINVAL;
		name[i] = (char)ch;
	}
	name[n] = '\0';
	return 0;
}

/* server_name's extension_data: a ServerNameList of (type, name); the
 * host_name one, if any (RFC 6066 §3: one name per type). */
static int server_name(struct cur *ext, char *name, size_t namecap)
{
	struct cur list;
	bool found = false;

	if (!vec(ext, 2, &list) || ext->left || !list.left)
		return -EINVAL;
	while (list.left) {
		struct cur host;
		size_t type;
		int err;

		if (!u8(&list, &type) || !vec(&list, 2, &host))
			return -EINVAL;
		if (type != NAME_HOST)
			continue;
		if (found)
			return -EINVAL;
		err = copy_name(host.p, host.left, name, namecap);
		if (err)
			return err;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

/* The ClientHello body (after its 4-byte header). */
static int hello(struct cur *c, char *name, size_t namecap)
{
	struct cur sid, suites, comp, exts;
	int ret = -ENOENT;
	bool seen = false;

	if (!take(c, 2 + 32, NULL) || !vec(c, 1, &sid) || sid.left > 32 || !vec(c, 2, &suites) ||
	    suites.left < 2 || suites.left % 2 || !vec(c, 1, &comp) || comp.left < 1)
		return -EINVAL;
	if (!c->left)
		return -ENOENT; /* no extensions at all (SSL 3.0 style) */
	if (!vec(c, 2, &exts) || c->left)
		return -EINVAL;
	while (exts.left) {
		struct cur data;
		size_t type;

		if (!u16(&exts, &type) || !vec(&exts, 2, &data))
			return -EINVAL;
		if (type != EXT_SERVER_NAME)
			continue;
		if (seen)
			return -EINVAL; /* RFC 8446 §4.2: each extension once */
		seen = true;
		ret = server_name(&data, name, namecap);
		if (ret == -EINVAL)
			return ret;
	}
	return ret;
}

int sg_tlshello_sni(const uint8_t *buf, size_t len, char *name, size_t namecap, size_t *need)
{
	uint8_t hs[SG_TLSHELLO_MAX];
	struct cur c;
	size_t hslen = 0;
	int err;

	if (len > SG_TLSHELLO_MAX)
		len = SG_TLSHELLO_MAX;
	err = gather(buf, len, hs, &hslen, need);
	if (err)
		return err;
	c.p = hs + HS_HEADER;
	c.left = hslen - HS_HEADER;
	return hello(&c, name, namecap);
}
