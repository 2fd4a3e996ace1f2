/* Per-source tables: a chained hash of addresses under one mutex, taken
 * once per event counted (an accept and a close for sg_srclimit, and only
 * when the option is set; an HTTP/2 stream reset for sg_srcrate).
 *
 * sg_srclimit keeps an entry while its address has a connection open, so
 * its memory follows the open connections. sg_srcrate keeps an entry until
 * its window is over and room is needed, within a fixed number of
 * entries (a full table is swept at most once a second, so addresses
 * beyond it cost no more than a lookup). */
#include "user/core/srclimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "user/base/hash.h"

#define SRC_BUCKETS 4096

struct src_entry {
	struct src_entry *next;
	unsigned count;
	uint64_t since; /* sg_srcrate: when the entry's window began */
	char ip[];	/* NUL-terminated */
};

struct src_table {
	pthread_mutex_t lock;
	size_t n; /* entries */
	struct src_entry *buckets[SRC_BUCKETS];
};

/* Keyed (sg_hash): an IPv6 client picks 64 bits of its address, and with
 * a fixed hash could put all its addresses in one bucket, whose chain
 * every accept then walks under the lock. */
static struct src_entry **bucket(struct src_table *t, const char *ip)
{
	return &t->buckets[sg_hash(ip, strlen(ip)) % SRC_BUCKETS];
}

/* The link that points at ip's entry, or at the chain's end. */
static struct src_entry **find(struct src_table *t, const char *ip)
{
	struct src_entry **pp = bucket(t, ip);

	while (*pp && strcmp((*pp)->ip, ip))
		pp = &(*pp)->next;
	return pp;
}

/* A zeroed entry for `ip` linked at *end (a chain's end from find), or
 * NULL when out of memory. */
static struct src_entry *add_entry(struct src_table *t, struct src_entry **end, const char *ip)
{
	size_t n = strlen(ip) + 1;
	struct src_entry *e = malloc(sizeof(*e) + n);

	if (!e)
		return NULL;
	memcpy(e->ip, ip, n);
	e->count = 0;
	e->since = 0;
	e->next = NULL;
	*end = e;
	t->n++;
	return e;
}

static void remove_entry(struct src_table *t, struct src_entry **pp)
{
	struct src_entry *e = *pp;

	*pp = e->next;
	free(e);
	t->n--;
}

static void table_init(struct src_table *t)
{
	pthread_mutex_init(&t->lock, NULL);
}

static void table_destroy(struct src_table *t)
{
	for (size_t i = 0; i < SRC_BUCKETS; i++)
		while (t->buckets[i])
			remove_entry(t, &t->buckets[i]);
	pthread_mutex_destroy(&t->lock);
}

/* The source an address belongs to, as text into buf (SRC_KEY_LEN bytes):
 * an IPv6 address's /64 ("2001:db8:1:2::/64"), for a client is handed a
 * /64 and may connect from any address in it; an IPv4-mapped one as its
 * IPv4 address; anything else as it is. */
#define SRC_KEY_LEN (INET6_ADDRSTRLEN + 3)

static const char *source_key(const char *ip, char *buf)
{
	struct in6_addr a;
	size_t n;

	if (!strchr(ip, ':') || inet_pton(AF_INET6, ip, &a) != 1)
		return ip;
	if (IN6_IS_ADDR_V4MAPPED(&a))
		return inet_ntop(AF_INET, &a.s6_addr[12], buf, SRC_KEY_LEN) ? buf : ip;
	memset(&a.s6_addr[8], 0, 8);
	if (!inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN))
		return ip;
	n = strlen(buf);
	memcpy(buf + n, "/64", 4);
	return buf;
}

/* ---- open connections per source ------------------------------------------- */

struct sg_srclimit {
	struct src_table t;
	unsigned max;
};

struct sg_srclimit *sg_srclimit_new(unsigned max)
{
	struct sg_srclimit *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	table_init(&s->t);
	s->max = max;
	return s;
}

void sg_srclimit_free(struct sg_srclimit *s)
{
	if (!s)
		return;
	table_destroy(&s->t);
	free(s);
}

bool sg_srclimit_take_n(struct sg_srclimit *s, const char *addr, unsigned n, unsigned max)
{
	char buf[SRC_KEY_LEN];
	const char *ip = source_key(addr, buf);
	struct src_entry **pp, *e;
	bool ok = true;

	pthread_mutex_lock(&s->t.lock);
	pp = find(&s->t, ip);
	e = *pp ? *pp : add_entry(&s->t, pp, ip);
	if (!e || n > max || e->count > max - n) {
		ok = false;
		if (e && !e->count)
			remove_entry(&s->t, pp);
	} else {
		e->count += n;
	}
	pthread_mutex_unlock(&s->t.lock);
	return ok;
}

bool sg_srclimit_take(struct sg_srclimit *s, const char *addr)
{
	return sg_srclimit_take_n(s, addr, 1, s->max);
}

void sg_srclimit_release_n(struct sg_srclimit *s, const char *addr, unsigned n)
{
	char buf[SRC_KEY_LEN];
	const char *ip = source_key(addr, buf);
	struct src_entry **pp, *e;

	pthread_mutex_lock(&s->t.lock);
	pp = find(&s->t, ip);
	e = *pp;
	if (e) {
		e->count = e->count > n ? e->count - n : 0;
		if (!e->count)
			remove_entry(&s->t, pp);
	}
	pthread_mutex_unlock(&s->t.lock);
}

void sg_srclimit_release(struct sg_srclimit *s, const char *addr)
{
	sg_srclimit_release_n(s, addr, 1);
}

unsigned sg_srclimit_count(struct sg_srclimit *s, const char *addr)
{
	char buf[SRC_KEY_LEN];
	const char *ip = source_key(addr, buf);
	struct src_entry *e;
	unsigned n;

	pthread_mutex_lock(&s->t.lock);
	e = *find(&s->t, ip);
	n = e ? e->count : 0;
	pthread_mutex_unlock(&s->t.lock);
	return n;
}

/* ---- events per source per window ------------------------------------------- */

struct sg_srcrate {
	struct src_table t;
	uint64_t window_ms;
	size_t max;
	uint64_t swept_at; /* the last sweep, so a full table costs one per second */
};

struct sg_srcrate *sg_srcrate_new(uint64_t window_ms, size_t max_sources)
{
	struct sg_srcrate *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	table_init(&r->t);
	r->window_ms = window_ms;
	r->max = max_sources;
	return r;
}

void sg_srcrate_free(struct sg_srcrate *r)
{
	if (!r)
		return;
	table_destroy(&r->t);
	free(r);
}

static bool window_over(const struct sg_srcrate *r, const struct src_entry *e, uint64_t now)
{
	/* Each caller's clock is a cached reading: one may lag another. */
	return now > e->since && now - e->since >= r->window_ms;
}

/* Drop every entry whose window is over. */
static void sweep(struct sg_srcrate *r, uint64_t now)
{
	for (size_t i = 0; i < SRC_BUCKETS; i++) {
		struct src_entry **pp = &r->t.buckets[i];

		while (*pp)
			if (window_over(r, *pp, now))
				remove_entry(&r->t, pp);
			else
				pp = &(*pp)->next;
	}
}

unsigned sg_srcrate_add(struct sg_srcrate *r, const char *addr, uint64_t now_ms)
{
	char buf[SRC_KEY_LEN];
	const char *ip = source_key(addr, buf);
	struct src_entry **pp, *e;
	unsigned n = 0;

	pthread_mutex_lock(&r->t.lock);
	pp = find(&r->t, ip);
	e = *pp;
	if (!e && r->t.n >= r->max && now_ms - r->swept_at >= 1000) {
		r->swept_at = now_ms;
		sweep(r, now_ms);
		pp = find(&r->t, ip);
	}
	if (!e && r->t.n < r->max)
		e = add_entry(&r->t, pp, ip);
	if (e) {
		if (!e->count || window_over(r, e, now_ms)) {
			e->since = now_ms;
			e->count = 0;
		}
		n = ++e->count;
	}
	pthread_mutex_unlock(&r->t.lock);
	return n;
}
