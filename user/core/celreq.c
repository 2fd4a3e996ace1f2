/* CEL header transformations over one request: the context an expression
 * reads (struct sg_cel_ctx callbacks over the parsed head) and the
 * evaluation of each value. */
#include "user/core/celreq.h"

#include <errno.h>
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
		if (!v->resp)
			return false;
		out->type = SG_CEL_INT;
		out->i = v->resp->status;
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
