/* CEL header transformations over one request: the context an expression
 * reads (struct sg_cel_ctx callbacks over the parsed head) and the
 * evaluation of each value. */
#include "user/core/celreq.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/cel.h"

static bool text(struct sg_cel_val *out, const char *p, size_t n)
{
	out->type = SG_CEL_STRING;
	out->s.p = p;
	out->s.n = n;
	return true;
}

static bool attr(void *ud, enum sg_cel_attr a, struct sg_cel_val *out)
{
	const struct sg_celreq_view *v = ud;
	const char *q;

	switch (a) {
	case SG_CEL_REQ_METHOD:
		return text(out, v->method.p, v->method.len);
	case SG_CEL_REQ_PATH:
		q = memchr(v->target.p, '?', v->target.len);
		return text(out, v->target.p, q ? (size_t)(q - v->target.p) : v->target.len);
	case SG_CEL_REQ_PATH_AND_QUERY:
		return text(out, v->target.p, v->target.len);
	case SG_CEL_REQ_HOST:
		return v->host.len && text(out, v->host.p, v->host.len);
	case SG_CEL_REQ_SCHEME:
		return text(out, v->scheme, strlen(v->scheme));
	case SG_CEL_SRC_ADDRESS:
		return v->client_ip && text(out, v->client_ip, strlen(v->client_ip));
	case SG_CEL_RESP_CODE:
		if (!v->resp && !v->status)
			return false;
		out->type = SG_CEL_INT;
		out->i = v->resp ? v->resp->status : v->status;
		return true;
	default:
		return false; /* not kept for this phase */
	}
}

static bool header(void *ud, bool response, size_t i, struct sg_cel_header *h)
{
	const struct sg_celreq_view *v = ud;
	const struct sg_h1_header *list =
		response ? (v->resp ? v->resp->headers : NULL) : v->req->headers;
	size_t n = response ? (v->resp ? v->resp->nheaders : 0) : v->req->nheaders;

	if (i >= n)
		return false;
	h->name = list[i].name.p;
	h->nlen = list[i].name.len;
	h->value = list[i].value.p;
	h->vlen = list[i].value.len;
	return true;
}

/* A header value: no control character but HTAB (RFC 9110 5.5). */
static bool field_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

static int eval_list(const struct sg_transform_exprs *l, struct sg_cel_run *run,
		     struct sg_header_kvs *out, sg_celreq_keep_fn keep, void *arg)
{
	out->n = out->cap = 0;
	out->v = l->n ? (struct sg_header_kv *)(void *)keep(arg, NULL, l->n * sizeof(*out->v))
		      : NULL;
	if (l->n && !out->v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct sg_cel_val val;
		const char *s;
		size_t n;
		char *copy;

		sg_cel_eval(l->v[i].expr, run, &val);
		if (sg_cel_to_text(run, &val, &s, &n) || !field_value(s, n))
			continue;
		if (!(copy = keep(arg, s, n)))
			return -ENOMEM;
		out->v[out->n++] = (struct sg_header_kv){ l->v[i].name, copy };
	}
	out->cap = out->n;
	return 0;
}

int sg_celreq_headers(const struct sg_transform_side *s, const struct sg_celreq_view *v,
		      struct sg_hdrmod *m, sg_celreq_keep_fn keep, void *arg)
{
	struct sg_cel_ctx ctx = {
		.ud = (void *)(uintptr_t)v,
		.attr = attr,
		.header = header,
		.seed = (uintptr_t)v->req ^ v->target.len,
	};
	struct sg_cel_run run;
	int rc;

	memset(m, 0, sizeof(*m));
	m->remove = s->remove;
	sg_cel_run_init(&run, &ctx);
	rc = eval_list(&s->add, &run, &m->add, keep, arg);
	if (!rc)
		rc = eval_list(&s->set, &run, &m->set, keep, arg);
	sg_cel_run_done(&run);
	return rc;
}

/* ---- the access log's policy --------------------------------------------- */

bool sg_celreq_log_filter(struct sg_celreq_log *l, const struct sg_log_policy *p,
			  const struct sg_celreq_view *v)
{
	struct sg_cel_val val;

	l->ctx = (struct sg_cel_ctx){
		.ud = (void *)(uintptr_t)v,
		.attr = attr,
		.header = header,
		.seed = (uintptr_t)v->req ^ v->target.len,
	};
	sg_cel_run_init(&l->run, &l->ctx);
	if (!p->filter)
		return true;
	sg_cel_eval(p->filter, &l->run, &val);
	return sg_cel_true(&val);
}

/* A growing text in the run's memory (JSON of a list or map). */
struct text {
	struct sg_cel_run *run;
	char *p;
	size_t n, cap;
	bool failed;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t cap = (t->n + n + 1) * 2;
		char *g = sg_cel_alloc(t->run, cap);

		if (!g) {
			t->failed = true;
			return;
		}
		if (t->n)
			memcpy(g, t->p, t->n);
		t->p = g;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

/* A JSON string; bytes past 0x7f go as they are (the log line's writer
 * replaces what is not UTF-8). */
static void put_string(struct text *t, const char *s, size_t n)
{
	put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(t, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(t, esc, 6);
		} else {
			put(t, s + i, 1);
		}
	}
	put(t, "\"", 1);
}

/* v as JSON: str is set when it is a plain string (written as the line's
 * format writes strings). False: null, an error, or nothing JSON has. */
static bool put_json(struct text *t, const struct sg_cel_val *v, int depth)
{
	const char *s;
	size_t n;

	switch (v->type) {
	case SG_CEL_NULL:
		put(t, "null", 4);
		return depth > 0;
	case SG_CEL_ERROR:
	case SG_CEL_TYPE:
		return false;
	case SG_CEL_LIST:
	case SG_CEL_MAP: {
		bool map = v->type == SG_CEL_MAP;

		if (depth > 16)
			return false;
		put(t, map ? "{" : "[", 1);
		for (size_t i = 0; i < v->list.n; i++) {
			const struct sg_cel_val *item = map ? &v->list.v[2 * i] : &v->list.v[i];

			if (i)
				put(t, ",", 1);
			if (map) {
				if (sg_cel_to_text(t->run, item, &s, &n))
					return false;
				put_string(t, s, n);
				put(t, ":", 1);
				item++;
			}
			if (!put_json(t, item, depth + 1))
				return false;
		}
		put(t, map ? "}" : "]", 1);
		return true;
	}
	default:
		if (sg_cel_to_text(t->run, v, &s, &n))
			return false;
		if (v->type == SG_CEL_BOOL || v->type == SG_CEL_INT || v->type == SG_CEL_UINT ||
		    (v->type == SG_CEL_DOUBLE && isfinite(v->d)))
			put(t, s, n);
		else
			put_string(t, s, n);
		return true;
	}
}

size_t sg_celreq_log_fields(struct sg_celreq_log *l, const struct sg_log_policy *p,
			    struct sg_celreq_field *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < p->add.n && k < cap; i++) {
		struct text t = { .run = &l->run };
		struct sg_cel_val val;
		struct sg_celreq_field *f = &out[k];

		sg_cel_eval(p->add.v[i].expr, &l->run, &val);
		f->name = p->add.v[i].name;
		f->str = val.type == SG_CEL_STRING || val.type == SG_CEL_BYTES ||
			 val.type == SG_CEL_DURATION || val.type == SG_CEL_TIMESTAMP;
		if (f->str) {
			if (sg_cel_to_text(&l->run, &val, &f->v, &f->n))
				continue;
		} else {
			if (!put_json(&t, &val, 0) || t.failed)
				continue;
			f->v = t.p;
			f->n = t.n;
		}
		k++;
	}
	return k;
}

void sg_celreq_log_done(struct sg_celreq_log *l)
{
	sg_cel_run_done(&l->run);
}
