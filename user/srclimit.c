/* Per-source connection counts: a chained hash of addresses with a count
 * each, under one mutex (taken once per accept and once per close, and only
 * when the option is set). An entry lives while its address has a
 * connection open, so memory follows the open connections. */
#include "user/srclimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SRC_BUCKETS 4096

struct src_entry {
	struct src_entry *next;
	unsigned count;
	char ip[]; /* NUL-terminated */
};

struct sg_srclimit {
	pthread_mutex_t lock;
	unsigned max;
	struct src_entry *buckets[SRC_BUCKETS];
};

/* FNV-1a: addresses are short and not chosen to collide in a table that
 * only ever costs a longer chain. */
static struct src_entry **bucket(struct sg_srclimit *s, const char *ip)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &s->buckets[h % SRC_BUCKETS];
}

/* The link that points at ip's entry, or at the chain's end. */
static struct src_entry **find(struct sg_srclimit *s, const char *ip)
{
	struct src_entry **pp = bucket(s, ip);

	while (*pp && strcmp((*pp)->ip, ip))
		pp = &(*pp)->next;
	return pp;
}

struct sg_srclimit *sg_srclimit_new(unsigned max)
{
	struct sg_srclimit *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->max = max;
	return s;
}

void sg_srclimit_free(struct sg_srclimit *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < SRC_BUCKETS; i++)
		while (s->buckets[i]) {
			struct src_entry *e = s->buckets[i];

			s->buckets[i] = e->next;
			free(e);
		}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

bool sg_srclimit_take(struct sg_srclimit *s, const char *ip)
{
	struct src_entry **pp, *e;
	bool ok = true;

	pthread_mutex_lock(&s->lock);
	pp = find(s, ip);
	e = *pp;
	if (!e) {
		size_t n = strlen(ip) + 1;

		e = malloc(sizeof(*e) + n);
		if (e) {
			memcpy(e->ip, ip, n);
			e->count = 0;
			e->next = NULL;
			*pp = e;
		}
	}
	if (!e || e->count >= s->max)
		ok = false;
	else
		e->count++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void sg_srclimit_release(struct sg_srclimit *s, const char *ip)
{
	struct src_entry **pp, *e;

	pthread_mutex_lock(&s->lock);
	pp = find(s, ip);
	e = *pp;
	if (e && e->count && --e->count == 0) {
		*pp = e->next;
		free(e);
	}
	pthread_mutex_unlock(&s->lock);
}

unsigned sg_srclimit_count(struct sg_srclimit *s, const char *ip)
{
	struct src_entry *e;
	unsigned n;

	pthread_mutex_lock(&s->lock);
	e = *find(s, ip);
	n = e ? e->count : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}
