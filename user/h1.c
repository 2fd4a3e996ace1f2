/* The llhttp wrapper. Each call parses a head from the start of the buffer,
 * so every span llhttp reports arrives in one piece. */
#include "user/h1.h"

#include <llhttp.h>
#include <string.h>
#include <strings.h>

struct h1_state {
	struct sg_h1_req *req;
	size_t max_headers;
	bool too_many;
	bool in_value;
};

static struct h1_state *state(llhttp_t *p)
{
	return p->data;
}

static int on_method(llhttp_t *p, const char *at, size_t len)
{
	state(p)->req->method = (struct sg_h1_span){ at, len };
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	state(p)->req->target = (struct sg_h1_span){ at, len };
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct h1_state *s = state(p);
	struct sg_h1_req *req = s->req;

	if (req->nheaders >= s->max_headers) {
		s->too_many = true;
		return -1;
	}
	req->headers[req->nheaders].name = (struct sg_h1_span){ at, len };
	req->headers[req->nheaders].value = (struct sg_h1_span){ at + len, 0 };
	req->nheaders++;
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct sg_h1_req *req = state(p)->req;

	if (req->nheaders)
		req->headers[req->nheaders - 1].value = (struct sg_h1_span){ at, len };
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct sg_h1_req *req = state(p)->req;

	req->minor = p->http_minor;
	req->keep_alive = llhttp_should_keep_alive(p);
	req->chunked = (p->flags & F_CHUNKED) != 0;
	if (p->flags & F_CONTENT_LENGTH)
		req->content_length = (int64_t)p->content_length;
	return HPE_PAUSED;
}

static const llhttp_settings_t request_settings = {
	.on_method = on_method,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
};

enum sg_h1_result sg_h1_parse_request(const char *buf, size_t len, size_t max_headers,
				      struct sg_h1_req *req)
{
	struct h1_state s = { .req = req };
	llhttp_t parser;
	llhttp_errno_t err;

	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	s.max_headers = max_headers < SG_H1_MAX_HEADERS ? max_headers : SG_H1_MAX_HEADERS;
	llhttp_init(&parser, HTTP_REQUEST, &request_settings);
	parser.data = &s;
	err = llhttp_execute(&parser, buf, len);
	if (err == HPE_PAUSED) {
		req->head_len = (size_t)(llhttp_get_error_pos(&parser) - buf);
		return SG_H1_DONE;
	}
	if (s.too_many)
		return SG_H1_TOO_LARGE;
	return err == HPE_OK ? SG_H1_PARTIAL : SG_H1_INVALID;
}

const struct sg_h1_span *sg_h1_header(const struct sg_h1_req *req, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].name.len == n &&
		    strncasecmp(req->headers[i].name.p, name, n) == 0)
			return &req->headers[i].value;
	return NULL;
}
