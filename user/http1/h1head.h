/* The HTTP/1 frontend reading a request (user/http1/): its head parsed in
 * the connection's input, a small body held whole before the first try,
 * the HTTP/2 preface and h2c upgrade handed to user/http2/, and each
 * request following the config in force when its head came. */
#ifndef SG_H1HEAD_H
#define SG_H1HEAD_H

#include "user/http1/h1conn.h"

/* Read from the client while the connection waits for a head (C_HEAD) or
 * holds a body (C_BODY), and act on what is complete: the request module
 * takes a whole head, the gateway answers a bad one. Parses bytes already
 * in `in` (pipelined) first. */
void h1c_read_request(struct client *c);
/* Drop the finished request from `in`, keeping pipelined bytes. */
void h1c_consume_request(struct client *c);

#endif
