/* Server-sent events (the contract is sse.h): bytes gathered into lines,
 * lines into fields, fields into events, each step bounded. */
#include "user/codec/sse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A line may be an event's whole data plus its field's name and ": ". */
#define SSE_NAME_SLACK 64

void sg_sse_init(struct sg_sse *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
}

void sg_sse_free(struct sg_sse *p)
{
	sg_buf_free(&p->line);
	sg_buf_free(&p->data);
}

static bool field_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(name, want, len);
}

/* A blank line: the event gathered so far, told if it had data. */
static int dispatch(struct sg_sse *p, sg_sse_event_fn fn, void *arg)
{
	size_t len = p->data.len;
	int rc = 0;

	if (len) { /* its last "\n" is no part of the data */
		char *d = sg_buf_data(&p->data);

		d[len - 1] = '\0';
		rc = fn(arg, p->type[0] ? p->type : "message", d, len - 1);
	}
	sg_buf_reset(&p->data);
	p->type[0] = '\0';
	return rc;
}

static int data_line(struct sg_sse *p, const char *v, size_t len)
{
	static const char nl = '\n';

	if (p->data.len + len + 1 > p->max)
		return -E2BIG;
	/* room for the NUL that dispatch writes over the last "\n" is there */
	if (sg_buf_append(&p->data, v, len) || sg_buf_append(&p->data, &nl, 1))
		return -ENOMEM;
	return 0;
}

/* One whole line (without its end). */
static int take_line(struct sg_sse *p, const char *line, size_t len, sg_sse_event_fn fn, void *arg)
{
	const char *colon, *v;
	size_t name_len, vlen;

	if (!p->begun && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3;
		len -= 3;
	}
	p->begun = true;
	if (!len)
		return dispatch(p, fn, arg);
	if (line[0] == ':')
		return 0;
	colon = memchr(line, ':', len);
	name_len = colon ? (size_t)(colon - line) : len;
	v = colon ? colon + 1 : line + len;
	vlen = len - (size_t)(v - line);
	if (vlen && v[0] == ' ') {
		v++;
		vlen--;
	}
	if (field_is(line, name_len, "data"))
		return data_line(p, v, vlen);
	if (field_is(line, name_len, "event")) {
		if (vlen > SG_SSE_TYPE_MAX)
			vlen = SG_SSE_TYPE_MAX;
		memcpy(p->type, v, vlen);
		p->type[vlen] = '\0';
	}
	return 0;
}

/* The first CR or LF in buf[0..len), or NULL. */
static const char *line_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			return buf + i;
	return NULL;
}

int sg_sse_feed(struct sg_sse *p, const char *buf, size_t len, sg_sse_event_fn fn, void *arg)
{
	size_t i = 0;

	while (i < len) {
		const char *end, *line;
		size_t n, linelen;
		int rc;

		if (p->cr && buf[i] == '\n') { /* the LF of a CRLF split at the CR */
			p->cr = false;
			i++;
			continue;
		}
		p->cr = false;
		end = line_end(buf + i, len - i);
		n = end ? (size_t)(end - (buf + i)) : len - i;
		if (p->line.len + n > p->max + SSE_NAME_SLACK)
			return -E2BIG;
		if (!end || p->line.len) { /* kept until its end comes */
			if (sg_buf_append(&p->line, buf + i, n))
				return -ENOMEM;
			if (!end)
				return 0;
		}
		line = p->line.len ? sg_buf_data(&p->line) : buf + i;
		linelen = p->line.len ? p->line.len : n;
		p->cr = *end == '\r';
		i += n + 1;
		rc = take_line(p, line, linelen, fn, arg);
		sg_buf_reset(&p->line);
		if (rc)
			return rc;
	}
	return 0;
}

char *sg_sse_event_text(const char *type, const char *data, size_t len, size_t *out_len)
{
	static const char line[] = "\ndata: ";
	size_t tlen = strlen(type), lines = 0, n;
	char *out;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')))
			lines++;
	if (!(out = malloc(7 + tlen + (sizeof(line) - 1) * (lines + 1) + len + 3)))
		return NULL;
	memcpy(out, "event: ", 7);
	memcpy(out + 7, type, tlen);
	n = 7 + tlen;
	memcpy(out + n, line, sizeof(line) - 1);
	n += sizeof(line) - 1;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue; /* the LF that follows ends the line */
		if (data[i] == '\n' || data[i] == '\r') {
			memcpy(out + n, line, sizeof(line) - 1);
			n += sizeof(line) - 1;
			continue;
		}
		out[n++] = data[i];
	}
	memcpy(out + n, "\n\n", 3);
	*out_len = n + 2;
	return out;
}
