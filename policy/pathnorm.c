/* Request path normalisation: escapes, then slashes, then dot segments
 * (see pathnorm.h). The order makes the result a fixed point: decoding
 * may make dots and slashes, merging never makes a dot segment, and
 * removing dot segments never makes an empty one. */
#include "policy/pathnorm.h"

#include <string.h>

#include "config/hex.h"

bool sg_pathnorm_needed(const char *path, size_t len, const struct sg_path_rules *rules)
{
	bool escapes = rules->normalize || rules->escaped_slashes != SG_SLASHES_KEEP;

	for (size_t i = 0; i < len; i++) {
		if (path[i] == '%' && escapes)
			return true;
		if (path[i] == '/' && i + 1 < len &&
		    ((path[i + 1] == '/' && rules->merge_slashes) ||
		     (path[i + 1] == '.' && rules->normalize)))
			return true;
	}
	return false;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'f' ? (char)(c - 'a' + 'A') : c;
}

/* RFC 3986 §2.3. */
static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* The escapes of in[0..len) into out: the length written, or -1 to
 * refuse. A stray '%' is refused under normalize: kept, it could stand
 * before digits a decoded escape makes ("%%34%31" would read "%41"), and
 * the form would not be final. */
static long unescape(const char *in, size_t len, const struct sg_path_rules *rules, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		int hi = -1, lo = -1;
		unsigned char c;

		if (in[i] != '%') {
			out[o++] = in[i++];
			continue;
		}
		if (i + 2 < len) {
			hi = sg_hex_digit(in[i + 1]);
			lo = sg_hex_digit(in[i + 2]);
		}
		if (hi < 0 || lo < 0) {
			if (rules->normalize)
				return -1;
			out[o++] = in[i++];
			continue;
		}
		c = (unsigned char)(hi << 4 | lo);
		if ((c == '/' || c == '\\') && rules->escaped_slashes == SG_SLASHES_REJECT)
			return -1;
		if (((c == '/' || c == '\\') && rules->escaped_slashes == SG_SLASHES_DECODE) ||
		    (rules->normalize && unreserved(c))) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = rules->normalize ? upper(in[i + 1]) : in[i + 1];
			out[o++] = rules->normalize ? upper(in[i + 2]) : in[i + 2];
		}
		i += 3;
	}
	return (long)o;
}

/* Runs of '/' in p[0..len) made one, in place; the new length. */
static size_t merge_slashes(char *p, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++)
		if (p[i] != '/' || !w || p[w - 1] != '/')
			p[w++] = p[i];
	return w;
}

/* RFC 3986 §5.2.4 over p[0..len) (it begins with '/'), in place, segment
 * by segment: "." goes, ".." takes the segment before it with it, and a
 * path that ends in either keeps its trailing '/'. The new length. */
static size_t remove_dots(char *p, size_t len)
{
	size_t w = 0, i = 0;

	while (i < len) {
		const char *seg = p + i + 1;
		const char *end = memchr(seg, '/', len - i - 1);
		size_t n = end ? (size_t)(end - seg) : len - i - 1;
		bool last = !end;

		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			if (n == 2)
				while (w > 0 && p[--w] != '/')
					;
			if (last)
				p[w++] = '/';
		} else {
			memmove(p + w, p + i, n + 1);
			w += n + 1;
		}
		i += n + 1;
	}
	return w; /* never 0: a path's last segment writes at least its '/' */
}

enum sg_pathnorm_result sg_pathnorm(const char *path, size_t len, const struct sg_path_rules *rules,
				    char *out, size_t *out_len)
{
	long n = unescape(path, len, rules, out);
	size_t o;

	if (n < 0)
		return SG_PATHNORM_REJECT;
	o = (size_t)n;
	if (rules->merge_slashes)
		o = merge_slashes(out, o);
	if (rules->normalize && o && out[0] == '/')
		o = remove_dots(out, o);
	*out_len = o;
	return o == len && !memcmp(out, path, len) ? SG_PATHNORM_SAME : SG_PATHNORM_CHANGED;
}
