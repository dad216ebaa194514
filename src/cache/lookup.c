/*
 * lookup.c — putting blocks into the cache and finding them again: by key
 * (the monitor's slow-path lookup), by host address (fault → block), and by
 * host address within a block (fault → guest instruction, via the side table).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cache_int.h"

static unsigned bucket_of(const struct tc *tc, struct tc_key key)
{
	return (unsigned)XXH3_64bits(&key, sizeof(key)) & (tc->nbuckets - 1);
}

struct tc_block **tc_bucket_head(struct tc *tc, struct tc_key key)
{
	return &tc->buckets[bucket_of(tc, key)];
}

struct tc_block *tc_lookup(struct tc *tc, struct tc_key key)
{
	for (struct tc_block *b = tc->buckets[bucket_of(tc, key)]; b; b = b->hash_next) {
		if (b->key.pa == key.pa && b->key.mode == key.mode && b->key.eip == key.eip) {
			tc->stats.lookups_hit++;
			return b;
		}
	}
	tc->stats.lookups_miss++;
	return NULL;
}

static bt_status remember_block(struct tc *tc, struct tc_block *b)
{
	if (tc->nblocks == tc->cap_blocks) {
		unsigned cap = tc->cap_blocks * 2;
		struct tc_block **n = realloc(tc->by_addr, cap * sizeof(*n));
		if (!n)
			return BT_ERR_NOMEM;
		tc->by_addr = n;
		tc->cap_blocks = cap;
	}
	tc->by_addr[tc->nblocks++] = b;
	return BT_OK;
}

static void link_block(struct tc *tc, struct tc_block *b)
{
	unsigned h = bucket_of(tc, b->key);
	b->hash_next = tc->buckets[h];
	tc->buckets[h] = b;
	for (unsigned i = 0; i < b->npages; i++) {
		uint32_t pfn = b->pages[i] >> 12;
		if (pfn < tc->npages) {
			b->page_next[i] = tc->page_heads[pfn];
			tc->page_heads[pfn] = b;
		}
	}
}

bt_status tc_insert(struct tc *tc, const struct tc_block_desc *d, struct tc_block **out)
{
	size_t off = arena_alloc(tc, d->code_len);
	struct tc_block *b = meta_alloc(tc, sizeof(*b));
	struct tc_exit *ex = meta_alloc(tc, d->nexits * sizeof(*ex) + 1);
	struct tc_map_entry *map = meta_alloc(tc, d->nmap * sizeof(*map) + 1);
	if (off == SIZE_MAX || !b || !ex || !map)
		return BT_ERR_NOSPACE;

	memcpy(tc->arena_rw + off, d->code, d->code_len);
	b->key = d->key;
	b->eip = d->eip;
	b->guest_len = d->guest_len;
	b->npages = d->npages;
	memcpy(b->pages, d->pages, sizeof(b->pages));
	b->code_hash = d->code_hash;
	b->host = tc->arena_rx + off;
	b->host_len = d->code_len;
	b->exits = ex;
	b->nexits = d->nexits;
	for (unsigned i = 0; i < d->nexits; i++) {
		ex[i].from = b;
		ex[i].site = b->host + d->exits[i].site_off;
		ex[i].stub = b->host + d->exits[i].stub_off;
		ex[i].target = d->exits[i].target;
	}
	b->map = map;
	b->nmap = d->nmap;
	memcpy(map, d->map, d->nmap * sizeof(*map));
	b->valid = true;
	if (remember_block(tc, b) != BT_OK)
		return BT_ERR_NOSPACE;
	link_block(tc, b);
	tc->stats.blocks++;
	tc->stats.guest_bytes += d->guest_len;
	tc->stats.host_bytes += d->code_len;
	*out = b;
	return BT_OK;
}

struct tc_block *tc_find_by_host(const struct tc *tc, const void *rip)
{
	const uint8_t *p = rip;
	unsigned lo = 0, hi = tc->nblocks;
	while (lo < hi) {  /* blocks are in address order: find the last with host <= p */
		unsigned mid = lo + (hi - lo) / 2;
		if (tc->by_addr[mid]->host <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	struct tc_block *b = tc->by_addr[lo - 1];
	return p < b->host + b->host_len ? b : NULL;
}

struct tc_exit *tc_find_exit(struct tc_block *b, const void *site)
{
	for (unsigned i = 0; i < b->nexits; i++)
		if (b->exits[i].site == site)
			return &b->exits[i];
	return NULL;
}

const struct tc_map_entry *tc_map_lookup(const struct tc_block *b, const void *rip)
{
	uint32_t off = (uint32_t)((const uint8_t *)rip - b->host);
	const struct tc_map_entry *best = NULL;
	for (unsigned i = 0; i < b->nmap && b->map[i].host_off <= off; i++)
		best = &b->map[i];
	return best;
}
