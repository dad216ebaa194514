/*
 * cache.h — the translation cache (src/cache): code arena, lookup by
 * (guest-physical EIP, mode), chaining with incoming lists, per-page
 * invalidation, whole-cache flush.
 *
 * Flow: the monitor looks a block up (tc_lookup); on a miss the translator
 * produces a position-independent tc_block_desc which tc_insert copies into the
 * arena; when a block's exit is taken the monitor chains it (tc_chain) so the
 * next run jumps straight to the target. A write to a code page makes the
 * monitor call tc_invalidate_page, which unchains everything that jumps into
 * the page's blocks and drops them from lookup. The cache never calls the
 * translator; it tells its owner about dropped blocks through on_drop.
 *
 * INVARIANT: a chained jump never targets an invalidated block.
 */
#ifndef BTMON_CACHE_H
#define BTMON_CACHE_H

#include "btmon/types.h"

/* A block is identified by where its code is in guest-physical memory and
 * the mode it was translated for. */
struct tc_key {
	gpa_t pa;
	uint32_t mode;      /* TC_MODE_* bits */
	gla_t eip;          /* linear EIP: code at one physical address reached through two
			     * linear aliases has different return addresses and exit targets */
};
#define TC_MODE_CPL_MASK 3u         /* CPL the block was translated for */
#define TC_MODE_PG       (1u << 2)  /* guest paging on */
#define TC_MODE_STEP     (1u << 3)  /* guest TF: one-instruction blocks, never chained */

/* One patchable exit of a block: a rel32 branch that first targets a stub. */
struct tc_exit_desc {
	uint32_t site_off;  /* offset of the rel32 field within the block's code */
	uint32_t stub_off;  /* offset of the exit stub it targets while unchained */
	gla_t target;       /* guest EIP the exit continues at */
};

/* Side table: host code [host_off, next entry's host_off) belongs to the guest
 * instruction at guest_eip. Entries are sorted by host_off. */
struct tc_map_entry {
	uint32_t host_off;
	gla_t guest_eip;
	uint16_t flags;     /* TC_MAP_* */
	uint16_t guest_len;
};
#define TC_MAP_STRING 1u    /* RSI/RDI are biased by the window base in here */
#define TC_MAP_STRSEG_SHIFT 8  /* bits 8–10: 1 + segment whose base also biases RSI (0: flat) */
#define TC_MAP_STR_SRC 0x10u   /* with TC_MAP_STRING: RSI is biased */
#define TC_MAP_STR_DST 0x20u   /* with TC_MAP_STRING: RDI is biased */
#define TC_MAP_STUB   2u    /* exit stubs: no guest instruction, guest_eip = exit target */
#define TC_MAP_PROLOGUE 4u  /* block-entry poll: state is that of guest_eip's start */
#define TC_MAP_DESC   8u    /* an inline segment load's / VERR's / VERW's read of a memoized
			     * descriptor: a fault here (other than a TLB fill) means the
			     * memo cannot be checked; the monitor procedure runs instead */

/* What the translator hands the cache. */
struct tc_block_desc {
	struct tc_key key;
	gla_t eip;                  /* guest-linear start (trace, IBT) */
	uint32_t guest_len;
	gpa_t pages[2];             /* guest-physical pages its code bytes touch */
	unsigned npages;
	uint64_t code_hash;         /* XXH3-64 of its guest code bytes */
	const uint8_t *code;        /* position-independent host code */
	uint32_t code_len;
	const struct tc_exit_desc *exits;
	unsigned nexits;
	const struct tc_map_entry *map;
	unsigned nmap;
};

struct tc_block;

struct tc_exit {
	struct tc_block *from;
	uint8_t *site;              /* exec address of the rel32 field */
	uint8_t *stub;              /* exec address of its unchained target */
	gla_t target;
	struct tc_block *to;        /* chained target, or NULL */
	struct tc_exit *in_next;    /* in to->incoming */
	struct tc_exit **in_pprev;
};

struct tc_block {
	struct tc_key key;
	gla_t eip;
	uint32_t guest_len;
	gpa_t pages[2];
	unsigned npages;
	bool valid;
	uint64_t code_hash;
	uint8_t *host;              /* exec address */
	uint32_t host_len;
	struct tc_exit *exits;
	unsigned nexits;
	struct tc_map_entry *map;
	unsigned nmap;
	uint64_t execs;             /* times entered from the monitor */
	struct tc_block *hash_next;
	struct tc_block *page_next[2];
	struct tc_exit *incoming;   /* exits chained to this block */
};

struct tc_stats {
	uint64_t blocks, guest_bytes, host_bytes;
	uint64_t lookups_hit, lookups_miss;
	uint64_t chains, unchains;
	uint64_t invalidated_blocks, invalidated_pages;
	uint64_t flushes;
};

struct tc {
	int arena_fd;
	uint8_t *arena_rw;          /* writable view of the arena */
	uint8_t *arena_rx;          /* executable view (same memfd) */
	size_t arena_size, arena_used;
	uint8_t *meta;              /* block metadata arena */
	size_t meta_size, meta_used;
	struct tc_block **buckets;  /* hash by XXH3(key) */
	unsigned nbuckets;
	struct tc_block **by_addr;  /* all blocks, in arena (address) order */
	unsigned nblocks, cap_blocks;
	struct tc_block **page_heads; /* per guest-physical page */
	uint32_t npages;
	/* Owner callback: a block left lookup (invalidation or flush). */
	void (*on_drop)(void *ctx, struct tc_block *b);
	void (*on_flush)(void *ctx);
	void *ctx;
	struct tc_stats stats;
};

/* Create a cache with an arena of arena_bytes, for guest RAM of ram_bytes. */
bt_status tc_init(struct tc *tc, size_t arena_bytes, uint32_t ram_bytes);
void tc_fini(struct tc *tc);

/* The valid block for key, or NULL. Counts hits/misses. */
struct tc_block *tc_lookup(struct tc *tc, struct tc_key key);

/* Copy a translated block into the arena. BT_ERR_NOSPACE: the caller flushes
 * (tc_flush) and retries. */
bt_status tc_insert(struct tc *tc, const struct tc_block_desc *d, struct tc_block **out);

/* The block whose host code contains exec address rip (valid or not), or NULL. */
struct tc_block *tc_find_by_host(const struct tc *tc, const void *rip);
/* The exit of b whose rel32 field is at exec address site, or NULL. */
struct tc_exit *tc_find_exit(struct tc_block *b, const void *site);
/* The side-table entry covering exec address rip inside b. */
const struct tc_map_entry *tc_map_lookup(const struct tc_block *b, const void *rip);

/* Point exit e straight at block `to` (both valid, same mode). */
void tc_chain(struct tc *tc, struct tc_exit *e, struct tc_block *to);

/* Drop every block whose code touches guest-physical page pa (any offset in it)
 * from lookup and unchain every jump into them. Their code stays in the arena
 * until the next flush, so a block may finish running after it is dropped.
 * Returns the number of blocks dropped. */
unsigned tc_invalidate_page(struct tc *tc, gpa_t pa);

/* Drop everything and reset the arena. Only call with no translated code on
 * any host stack frame (i.e. from the monitor's run loop). */
void tc_flush(struct tc *tc);

/* XXH3-64 of guest code bytes, as stored in tc_block.code_hash. */
uint64_t tc_hash_code(const void *bytes, size_t len);

#endif
