/* A keyed hash for tables whose keys a peer chooses (SipHash-2-4 under a
 * key drawn from getrandom(2) once per process). With a fixed function
 * (FNV), anyone who can pick keys can pick keys that share a bucket, and
 * every lookup of that table then walks them all: an IPv6 client owns 64
 * bits of its address, and an extAuthz cache key is a request's header.
 * Tables whose keys come from the config alone may hash as they like. */
#ifndef SG_HASH_H
#define SG_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of p[0..n) under the 16-byte `key`. */
uint64_t sg_siphash(const uint8_t key[16], const void *p, size_t n);

/* p[0..n) under this process's key (the same for every thread). If the
 * kernel gives no random bytes, the key is made from the clock and the pid
 * and a warning is logged once. */
uint64_t sg_hash(const void *p, size_t n);

#endif
