/*
 * cache_int.h — private to src/cache: helpers shared by its files.
 */
#ifndef BTMON_CACHE_INT_H
#define BTMON_CACHE_INT_H

#include "btmon/cache.h"

/* Reserve len bytes of code in the arena; returns the offset or SIZE_MAX. */
size_t arena_alloc(struct tc *tc, size_t len);
/* Allocate zeroed metadata, or NULL when the metadata arena is full. */
void *meta_alloc(struct tc *tc, size_t len);

/* The hash chain key belongs to. */
struct tc_block **tc_bucket_head(struct tc *tc, struct tc_key key);

/* Write a rel32 at exec address site so that it jumps to exec address to. */
void chain_patch_rel32(struct tc *tc, uint8_t *site, const uint8_t *to);

/* Remove b from the hash table and page lists, unchain it both ways. */
void chain_drop_block(struct tc *tc, struct tc_block *b);

#endif
