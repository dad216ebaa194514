/*
 * test_cache.c — the translation cache (src/cache): insert and lookup by
 * (guest-physical address, mode), host-address and side-table lookups,
 * chaining with incoming lists, per-page invalidation, flush, arena limits.
 *
 * Blocks are described by hand: their "host code" is a few `jmp rel32`
 * exits (e9 00 00 00 00) followed by stub bytes, enough to check that chaining
 * patches the right rel32 and unchaining restores it. Nothing is executed.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "btmon/cache.h"

#define ARENA (64 * 1024)
#define RAM (1024 * 1024)
#define CODE_LEN 48
#define STUB0 32            /* exit i's stub is at STUB0 + 4*i */

static struct tc tc;
static unsigned drops, flushes;
static struct tc_block *last_dropped;

static void count_drop(void *ctx, struct tc_block *b)
{
	(void)ctx;
	drops++;
	last_dropped = b;
}

static void count_flush(void *ctx)
{
	(void)ctx;
	flushes++;
}

static void setup(void)
{
	ck_assert_int_eq(tc_init(&tc, ARENA, RAM), BT_OK);
	tc.on_drop = count_drop;
	tc.on_flush = count_flush;
	drops = flushes = 0;
	last_dropped = NULL;
}

static void teardown(void)
{
	tc_fini(&tc);
}

/* A described block and the storage it points into. */
struct fake_block {
	struct tc_block_desc d;
	uint8_t code[CODE_LEN];
	struct tc_exit_desc exits[2];
	struct tc_map_entry map[4];
};

/*
 * Describe a block at guest-physical pa (guest-linear eip = pa) covering the
 * given pages, with nexits exits to targets[]: exit i is `jmp rel32` at code
 * offset 5*i pointing at its stub at STUB0 + 4*i. Side table: the block's two
 * "instructions" at host 0 and 5, then one stub entry per exit.
 */
static void describe(struct fake_block *f, gpa_t pa, uint32_t mode, const gpa_t *pages,
		     unsigned npages, const gla_t *targets, unsigned nexits)
{
	memset(f, 0, sizeof(*f));
	memset(f->code, 0xcc, sizeof(f->code));
	f->d.key = (struct tc_key){ .pa = pa, .mode = mode };
	f->d.eip = pa;
	f->d.guest_len = 7;
	for (unsigned i = 0; i < npages; i++)
		f->d.pages[i] = pages[i];
	f->d.npages = npages;
	f->d.code = f->code;
	f->d.code_len = CODE_LEN;
	f->d.code_hash = tc_hash_code(&pa, sizeof(pa));
	f->map[0] = (struct tc_map_entry){ .host_off = 0, .guest_eip = pa, .guest_len = 2 };
	f->map[1] = (struct tc_map_entry){ .host_off = 5, .guest_eip = pa + 2, .guest_len = 5 };
	for (unsigned i = 0; i < nexits; i++) {
		uint32_t site = 5 * i + 1, stub = STUB0 + 4 * i;
		int32_t rel = (int32_t)(stub - (site + 4));
		f->code[5 * i] = 0xe9;
		memcpy(f->code + site, &rel, 4);
		f->exits[i] = (struct tc_exit_desc){ .site_off = site, .stub_off = stub, .target = targets[i] };
		f->map[2 + i] = (struct tc_map_entry){ .host_off = stub, .guest_eip = targets[i],
						       .flags = TC_MAP_STUB };
	}
	f->d.exits = f->exits;
	f->d.nexits = nexits;
	f->d.map = f->map;
	f->d.nmap = 2 + nexits;
}

/* Insert a one-page block at pa with exits to targets (0..2 of them). */
static struct tc_block *insert_block(gpa_t pa, uint32_t mode, const gla_t *targets, unsigned nexits)
{
	static struct fake_block f;
	gpa_t page = pa & BT_PAGE_MASK;
	struct tc_block *b = NULL;
	describe(&f, pa, mode, &page, 1, targets, nexits);
	ck_assert_int_eq(tc_insert(&tc, &f.d, &b), BT_OK);
	ck_assert_ptr_nonnull(b);
	return b;
}

static struct tc_block *insert_plain(gpa_t pa)
{
	return insert_block(pa, 0, NULL, 0);
}

/* Where the rel32 at exec address site jumps (read back through the exec view). */
static const uint8_t *jump_target(const uint8_t *site)
{
	int32_t rel;
	memcpy(&rel, site, 4);
	return site + 4 + rel;
}

static struct tc_key key(gpa_t pa, uint32_t mode)
{
	return (struct tc_key){ .pa = pa, .mode = mode };
}

/* ---- insert and lookup ---- */

START_TEST(test_insert_then_lookup_by_key_hits_and_another_mode_misses)
{
	struct tc_block *b = insert_block(0x5010, 0, NULL, 0);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5010, 0)), b);
	ck_assert_ptr_null(tc_lookup(&tc, key(0x5010, TC_MODE_PG)));
	ck_assert_ptr_null(tc_lookup(&tc, key(0x5010, 3)));
	ck_assert_ptr_null(tc_lookup(&tc, key(0x5011, 0)));
	ck_assert_uint_eq(tc.stats.lookups_hit, 1);
	ck_assert_uint_eq(tc.stats.lookups_miss, 3);
	ck_assert(b->valid);
	ck_assert_uint_eq(b->eip, 0x5010);
	ck_assert_uint_eq(b->host_len, CODE_LEN);
	ck_assert(b->host >= tc.arena_rx && b->host + b->host_len <= tc.arena_rx + tc.arena_size);
}
END_TEST

START_TEST(test_inserted_code_is_readable_through_the_exec_view)
{
	static struct fake_block f;
	gpa_t page = 0x5000;
	struct tc_block *b;
	describe(&f, 0x5000, 0, &page, 1, NULL, 0);
	for (unsigned i = 0; i < CODE_LEN; i++)
		f.code[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(tc_insert(&tc, &f.d, &b), BT_OK);
	ck_assert_mem_eq(b->host, f.code, CODE_LEN);
	ck_assert_uint_eq(tc.stats.host_bytes, CODE_LEN);
	ck_assert_uint_eq(tc.stats.guest_bytes, 7);
}
END_TEST

START_TEST(test_the_same_address_in_two_modes_is_two_blocks)
{
	struct tc_block *k = insert_block(0x5000, 0, NULL, 0);
	struct tc_block *u = insert_block(0x5000, 3 | TC_MODE_PG, NULL, 0);
	ck_assert_ptr_ne(k, u);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5000, 0)), k);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5000, 3 | TC_MODE_PG)), u);
}
END_TEST

START_TEST(test_find_by_host_finds_the_block_containing_an_address)
{
	struct tc_block *a = insert_plain(0x5000), *b = insert_plain(0x6000), *c = insert_plain(0x7000);
	ck_assert_ptr_eq(tc_find_by_host(&tc, a->host), a);
	ck_assert_ptr_eq(tc_find_by_host(&tc, b->host), b);
	ck_assert_ptr_eq(tc_find_by_host(&tc, b->host + 17), b);
	ck_assert_ptr_eq(tc_find_by_host(&tc, b->host + b->host_len - 1), b);
	ck_assert_ptr_eq(tc_find_by_host(&tc, c->host + c->host_len - 1), c);
	ck_assert_ptr_null(tc_find_by_host(&tc, c->host + c->host_len));
	ck_assert_ptr_null(tc_find_by_host(&tc, tc.arena_rx - 1));
	ck_assert_ptr_null(tc_find_by_host(&tc, &tc));               /* not in the arena at all */
}
END_TEST

START_TEST(test_map_lookup_maps_a_host_offset_to_the_right_guest_eip)
{
	gla_t t = 0x9000;
	struct tc_block *b = insert_block(0x5000, 0, &t, 1);
	ck_assert_uint_eq(tc_map_lookup(b, b->host + 0)->guest_eip, 0x5000);
	ck_assert_uint_eq(tc_map_lookup(b, b->host + 4)->guest_eip, 0x5000);
	ck_assert_uint_eq(tc_map_lookup(b, b->host + 5)->guest_eip, 0x5002);
	ck_assert_uint_eq(tc_map_lookup(b, b->host + STUB0 - 1)->guest_eip, 0x5002);
	const struct tc_map_entry *s = tc_map_lookup(b, b->host + STUB0 + 2);
	ck_assert_uint_eq(s->guest_eip, 0x9000);
	ck_assert(s->flags & TC_MAP_STUB);
}
END_TEST

/* ---- chaining ---- */

START_TEST(test_chain_patches_the_rel32_to_jump_to_the_target_block)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000);
	struct tc_exit *e = tc_find_exit(a, a->host + 1);
	ck_assert_ptr_eq(e, &a->exits[0]);
	ck_assert_ptr_eq(e->from, a);
	ck_assert_uint_eq(e->target, 0x6000);
	ck_assert_ptr_eq(jump_target(e->site), a->host + STUB0);    /* unchained: its stub */
	ck_assert_ptr_eq(e->stub, a->host + STUB0);
	tc_chain(&tc, e, b);
	ck_assert_ptr_eq(jump_target(e->site), b->host);
	ck_assert_ptr_eq(e->to, b);
	ck_assert_ptr_eq(b->incoming, e);
	ck_assert_uint_eq(tc.stats.chains, 1);
	ck_assert_uint_eq(a->host[0], 0xe9);                        /* opcode untouched */
}
END_TEST

START_TEST(test_rechaining_an_exit_moves_it_to_the_new_targets_incoming_list)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *c = insert_block(0x5100, 0, &t, 1);
	struct tc_block *d = insert_block(0x5200, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000), *e2 = insert_plain(0x7000);
	tc_chain(&tc, &a->exits[0], b);
	tc_chain(&tc, &c->exits[0], b);
	tc_chain(&tc, &d->exits[0], b);
	tc_chain(&tc, &c->exits[0], e2);                            /* the middle one leaves */
	ck_assert_ptr_eq(e2->incoming, &c->exits[0]);
	ck_assert_ptr_eq(jump_target(c->exits[0].site), e2->host);
	unsigned n = 0;
	for (struct tc_exit *x = b->incoming; x; x = x->in_next, n++)
		ck_assert(x == &a->exits[0] || x == &d->exits[0]);
	ck_assert_uint_eq(n, 2);
	/* Dropping b unchains a and d but leaves c chained to e2. */
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x6000), 1);
	ck_assert_ptr_eq(jump_target(a->exits[0].site), a->exits[0].stub);
	ck_assert_ptr_eq(jump_target(d->exits[0].site), d->exits[0].stub);
	ck_assert_ptr_eq(jump_target(c->exits[0].site), e2->host);
	ck_assert_ptr_eq(c->exits[0].to, e2);
}
END_TEST

START_TEST(test_chain_refuses_a_dropped_target)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000);
	tc_invalidate_page(&tc, 0x6000);
	tc_chain(&tc, &a->exits[0], b);
	ck_assert_ptr_null(a->exits[0].to);
	ck_assert_ptr_eq(jump_target(a->exits[0].site), a->exits[0].stub);
	ck_assert_uint_eq(tc.stats.chains, 0);
}
END_TEST

/* ---- invalidation ---- */

START_TEST(test_invalidate_page_drops_its_blocks_and_unchains_jumps_into_them)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *c = insert_block(0x7000, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000);
	struct tc_block *b2 = insert_plain(0x6800);                 /* same page, other offset */
	tc_chain(&tc, &a->exits[0], b);
	tc_chain(&tc, &c->exits[0], b);

	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x6abc), 2);      /* any address in the page */
	ck_assert_ptr_null(tc_lookup(&tc, key(0x6000, 0)));
	ck_assert_ptr_null(tc_lookup(&tc, key(0x6800, 0)));
	ck_assert(!b->valid && !b2->valid);
	ck_assert_uint_eq(drops, 2);
	ck_assert(last_dropped == b || last_dropped == b2);
	/* INVARIANT: no chained jump into a dropped block. */
	ck_assert_ptr_eq(jump_target(a->exits[0].site), a->exits[0].stub);
	ck_assert_ptr_eq(jump_target(c->exits[0].site), c->exits[0].stub);
	ck_assert_ptr_null(a->exits[0].to);
	ck_assert_ptr_null(b->incoming);
	/* The blocks of other pages are untouched. */
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5000, 0)), a);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x7000, 0)), c);
	ck_assert(a->valid && c->valid);
	ck_assert_uint_eq(tc.stats.invalidated_blocks, 2);
	ck_assert_uint_eq(tc.stats.invalidated_pages, 1);
	/* A dropped block's code stays in place: it may still be finishing. */
	ck_assert_ptr_eq(tc_find_by_host(&tc, b->host), b);
}
END_TEST

START_TEST(test_invalidating_a_page_without_blocks_drops_nothing)
{
	struct tc_block *a = insert_plain(0x5000);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x8000), 0);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0xfffff000), 0);   /* beyond RAM */
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5000, 0)), a);
	ck_assert_uint_eq(drops, 0);
}
END_TEST

START_TEST(test_a_dropped_blocks_own_chains_are_unlinked_from_their_targets)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000);
	tc_chain(&tc, &a->exits[0], b);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x5000), 1);
	ck_assert_ptr_null(b->incoming);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x6000), 1);      /* no stale list walk */
}
END_TEST

START_TEST(test_a_block_straddling_two_pages_is_dropped_by_invalidating_either_page)
{
	/* _i: which page to invalidate; the insertion order puts the straddling
	 * block at the head of one page list and behind another block on the other. */
	static struct fake_block f;
	gpa_t pages[2] = { 0x5000, 0x6000 };
	struct tc_block *before = insert_plain(0x6100);             /* on page 2 only */
	struct tc_block *s;
	describe(&f, 0x5ffd, 0, pages, 2, NULL, 0);
	ck_assert_int_eq(tc_insert(&tc, &f.d, &s), BT_OK);
	struct tc_block *after = insert_plain(0x5100);              /* on page 1 only */

	ck_assert_uint_eq(tc_invalidate_page(&tc, pages[_i]), 2);
	ck_assert(!s->valid);
	ck_assert_ptr_null(tc_lookup(&tc, key(0x5ffd, 0)));
	/* The other page's list no longer holds s: invalidating it drops only
	 * the block that is really there. */
	ck_assert_uint_eq(tc_invalidate_page(&tc, pages[1 - _i]), 1);
	ck_assert(!before->valid && !after->valid);
	ck_assert_uint_eq(drops, 3);
}
END_TEST

START_TEST(test_a_reinserted_block_is_found_after_invalidation)
{
	struct tc_block *old = insert_plain(0x5000);
	tc_invalidate_page(&tc, 0x5000);
	struct tc_block *fresh = insert_plain(0x5000);
	ck_assert_ptr_ne(old, fresh);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x5000, 0)), fresh);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x5000), 1);
}
END_TEST

/* ---- flush and arena ---- */

START_TEST(test_flush_empties_everything_and_calls_on_flush)
{
	gla_t t = 0x6000;
	struct tc_block *a = insert_block(0x5000, 0, &t, 1);
	struct tc_block *b = insert_plain(0x6000);
	tc_chain(&tc, &a->exits[0], b);
	tc_flush(&tc);
	ck_assert_uint_eq(flushes, 1);
	ck_assert_ptr_null(tc_lookup(&tc, key(0x5000, 0)));
	ck_assert_ptr_null(tc_lookup(&tc, key(0x6000, 0)));
	ck_assert_ptr_null(tc_find_by_host(&tc, tc.arena_rx));
	ck_assert_uint_eq(tc.arena_used, 0);
	ck_assert_uint_eq(tc.nblocks, 0);
	ck_assert_uint_eq(tc_invalidate_page(&tc, 0x5000), 0);
	/* The arena is reused from its start. */
	struct tc_block *c = insert_plain(0x7000);
	ck_assert_ptr_eq(c->host, tc.arena_rx);
	ck_assert_ptr_eq(tc_lookup(&tc, key(0x7000, 0)), c);
}
END_TEST

START_TEST(test_insert_reports_nospace_when_the_arena_is_full)
{
	static uint8_t big[1000];
	struct tc_block_desc d = { .key = { .pa = 0x5000 }, .eip = 0x5000, .pages = { 0x5000 },
				   .npages = 1, .code = big, .code_len = sizeof(big) };
	struct tc small;
	struct tc_block *b;
	unsigned n = 0;
	bt_status st;
	ck_assert_int_eq(tc_init(&small, 4096, RAM), BT_OK);
	while ((st = tc_insert(&small, &d, &b)) == BT_OK) {
		d.key.pa += 0x10;
		ck_assert_uint_lt(++n, 100);
	}
	ck_assert_int_eq(st, BT_ERR_NOSPACE);
	ck_assert_uint_eq(n, 4);                    /* 4 × 1000 bytes, 16-byte aligned, in 4 KiB */
	ck_assert_uint_le(small.arena_used, small.arena_size);
	tc_flush(&small);
	ck_assert_int_eq(tc_insert(&small, &d, &b), BT_OK);   /* the caller's recovery */
	tc_fini(&small);
}
END_TEST

START_TEST(test_hash_code_is_xxh3_and_differs_for_different_bytes)
{
	static const uint8_t a[] = { 0x01, 0xd8, 0xc3 }, b[] = { 0x01, 0xd9, 0xc3 };
	ck_assert(tc_hash_code(a, sizeof(a)) != tc_hash_code(b, sizeof(b)));
	ck_assert(tc_hash_code(a, sizeof(a)) != tc_hash_code(a, sizeof(a) - 1));
	ck_assert(tc_hash_code(a, sizeof(a)) == XXH3_64bits(a, sizeof(a)));
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("translation cache");
	TCase *tc_;

	tc_ = tcase_create("insert and lookup");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_add_test(tc_, test_insert_then_lookup_by_key_hits_and_another_mode_misses);
	tcase_add_test(tc_, test_inserted_code_is_readable_through_the_exec_view);
	tcase_add_test(tc_, test_the_same_address_in_two_modes_is_two_blocks);
	tcase_add_test(tc_, test_find_by_host_finds_the_block_containing_an_address);
	tcase_add_test(tc_, test_map_lookup_maps_a_host_offset_to_the_right_guest_eip);
	suite_add_tcase(s, tc_);

	tc_ = tcase_create("chaining");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_add_test(tc_, test_chain_patches_the_rel32_to_jump_to_the_target_block);
	tcase_add_test(tc_, test_rechaining_an_exit_moves_it_to_the_new_targets_incoming_list);
	tcase_add_test(tc_, test_chain_refuses_a_dropped_target);
	suite_add_tcase(s, tc_);

	tc_ = tcase_create("invalidation");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_add_test(tc_, test_invalidate_page_drops_its_blocks_and_unchains_jumps_into_them);
	tcase_add_test(tc_, test_invalidating_a_page_without_blocks_drops_nothing);
	tcase_add_test(tc_, test_a_dropped_blocks_own_chains_are_unlinked_from_their_targets);
	tcase_add_loop_test(tc_, test_a_block_straddling_two_pages_is_dropped_by_invalidating_either_page, 0, 2);
	tcase_add_test(tc_, test_a_reinserted_block_is_found_after_invalidation);
	suite_add_tcase(s, tc_);

	tc_ = tcase_create("flush and arena");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_add_test(tc_, test_flush_empties_everything_and_calls_on_flush);
	tcase_add_test(tc_, test_insert_reports_nospace_when_the_arena_is_full);
	tcase_add_test(tc_, test_hash_code_is_xxh3_and_differs_for_different_bytes);
	suite_add_tcase(s, tc_);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
