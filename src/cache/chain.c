/*
 * chain.c — linking blocks to each other and undoing it: chaining an exit
 * straight to its target, unchaining every jump into a dropped block, and
 * per-page invalidation.
 *
 * INVARIANT: a chained jump never targets an invalidated block — dropping a
 * block first re-points every incoming exit at its own stub.
 */
#include <string.h>

#include "cache_int.h"

void chain_patch_rel32(struct tc *tc, uint8_t *site, const uint8_t *to)
{
	int32_t rel = (int32_t)(to - (site + 4));
	uint8_t *rw = tc->arena_rw + (site - tc->arena_rx);
	memcpy(rw, &rel, 4);
}

static void exit_unlink(struct tc_exit *e)
{
	if (!e->to)
		return;
	*e->in_pprev = e->in_next;
	if (e->in_next)
		e->in_next->in_pprev = e->in_pprev;
	e->to = NULL;
	e->in_next = NULL;
	e->in_pprev = NULL;
}

void tc_chain(struct tc *tc, struct tc_exit *e, struct tc_block *to)
{
	if (!to->valid || !e->from->valid || e->to == to)
		return;
	exit_unlink(e);
	chain_patch_rel32(tc, e->site, to->host);
	e->to = to;
	e->in_next = to->incoming;
	e->in_pprev = &to->incoming;
	if (to->incoming)
		to->incoming->in_pprev = &e->in_next;
	to->incoming = e;
	tc->stats.chains++;
}

static void unchain_exit(struct tc *tc, struct tc_exit *e)
{
	chain_patch_rel32(tc, e->site, e->stub);
	exit_unlink(e);
	tc->stats.unchains++;
}

static void unlink_from_hash(struct tc *tc, struct tc_block *b)
{
	for (struct tc_block **pp = tc_bucket_head(tc, b->key); *pp; pp = &(*pp)->hash_next) {
		if (*pp == b) {
			*pp = b->hash_next;
			return;
		}
	}
}

static void unlink_from_page(struct tc *tc, struct tc_block *b, gpa_t page)
{
	uint32_t pfn = page >> 12;
	if (pfn >= tc->npages)
		return;
	struct tc_block **pp = &tc->page_heads[pfn];
	while (*pp) {
		struct tc_block *c = *pp;
		unsigned slot = (c->npages > 1 && (c->pages[1] >> 12) == pfn) ? 1 : 0;
		if (c == b) {
			*pp = c->page_next[slot];
			return;
		}
		pp = &c->page_next[slot];
	}
}

void chain_drop_block(struct tc *tc, struct tc_block *b)
{
	b->valid = false;
	unlink_from_hash(tc, b);
	for (unsigned i = 0; i < b->npages; i++)
		unlink_from_page(tc, b, b->pages[i]);
	while (b->incoming)
		unchain_exit(tc, b->incoming);
	for (unsigned i = 0; i < b->nexits; i++)
		exit_unlink(&b->exits[i]);
	tc->stats.invalidated_blocks++;
	if (tc->on_drop)
		tc->on_drop(tc->ctx, b);
}

unsigned tc_invalidate_page(struct tc *tc, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	unsigned n = 0;
	if (pfn >= tc->npages)
		return 0;
	while (tc->page_heads[pfn]) {
		chain_drop_block(tc, tc->page_heads[pfn]);
		n++;
	}
	if (n)
		tc->stats.invalidated_pages++;
	return n;
}
