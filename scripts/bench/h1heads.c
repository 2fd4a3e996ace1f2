/* The HTTP/1 head work of one W1 request, alone: wrk's request head parsed
 * and written for the backend, nginx's response head parsed and written for
 * the client, N times; prints ns per request (best of 5 rounds). For
 * comparing builds of user/codec/h1.c where W1's proxy CPU (a few % of it is this)
 * is too noisy on a shared host:
 *
 *   make build/libsg.a && cc -O2 -I. scripts/bench/h1heads.c build/libsg.a \
 *       -lyaml -lcjson -lnghttp2 -lssl -lcrypto -lbpf -lelf -lz -lm -lpthread \
 *       -o build/h1heads && taskset -c 1 build/h1heads 1000000
 *
 * (the libraries are the Makefile's LDLIBS). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "user/codec/h1.h"

static const char req_head[] = "GET /100b HTTP/1.1\r\nHost: 127.0.0.1:28110\r\n\r\n";
static const char resp_head[] = "HTTP/1.1 200 OK\r\n"
				"Server: nginx/1.22.1\r\n"
				"Date: Wed, 25 Nov 2026 06:04:28 GMT\r\n"
				"Content-Type: application/octet-stream\r\n"
				"Content-Length: 100\r\n"
				"Last-Modified: Wed, 25 Nov 2026 06:04:27 GMT\r\n"
				"Connection: keep-alive\r\n"
				"ETag: \"6925c7fb-64\"\r\n"
				"Accept-Ranges: bytes\r\n"
				"\r\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct sg_h1_header slots[SG_H1_MAX_HEADERS], rslots[SG_H1_MAX_HEADERS];
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double best = 0;
	char out[4096];
	size_t sink = 0;

	for (int round = 0; round < 5; round++) {
		double t0 = now();

		for (long i = 0; i < n; i++) {
			struct sg_h1_req req = { .headers = slots,
						 .headers_cap = SG_H1_MAX_HEADERS };
			struct sg_h1_resp resp = { .headers = rslots,
						   .headers_cap = SG_H1_MAX_HEADERS };

			if (sg_h1_parse_request(req_head, sizeof(req_head) - 1, 100, &req) !=
				    SG_H1_DONE ||
			    sg_h1_parse_response(resp_head, sizeof(resp_head) - 1, 100, &resp) !=
				    SG_H1_DONE) {
				fprintf(stderr, "h1heads: a head did not parse\n");
				return 1;
			}
			sink += (size_t)sg_h1_write_request(&req, "127.0.0.1", 0, NULL, out,
							    sizeof(out));
			sink += (size_t)sg_h1_write_response(&resp, false, NULL, out, sizeof(out));
		}
		double ns = (now() - t0) * 1e9 / (double)n;

		if (round == 0 || ns < best)
			best = ns;
	}
	printf("%.1f ns per request's heads (best of 5 rounds of %ld; %zu bytes written)\n", best,
	       n, sink / 5);
	return 0;
}
