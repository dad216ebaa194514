/*
 * test_decode_cache.c — Check suite for the decode cache of emulate exits
 * (src/monitor/decode_cache.c): an instruction decoded at an EIP is found
 * again only while the bytes at that EIP are the ones it was decoded from.
 * decode_cache.c is compiled into the test with Zydis; nothing else of the
 * monitor is linked.
 */
#include <check.h>
#include <string.h>

#include "decode_cache.h"

static struct dcache cache;    /* large: static, emptied by setup */
static ZydisDecoder dec;

static void setup(void)
{
	memset(&cache, 0xa5, sizeof(cache));   /* garbage first: clear must empty it */
	dcache_clear(&cache);
	cache.hits = cache.misses = cache.next_hits = 0;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
}

static const uint8_t mov_eax_cr0[] = { 0x0f, 0x20, 0xc0 };
static const uint8_t mov_eax_cr2[] = { 0x0f, 0x20, 0xd0 };   /* same length, one byte differs */
static const uint8_t in_al_e9[] = { 0xe4, 0xe9 };
static const uint8_t in_al_dx[] = { 0xec };

/* Decode code at eip into the cache; the entry. */
static struct dcache_entry *fill(gla_t eip, const uint8_t *code, uint32_t n)
{
	struct dcache_entry *d = NULL;
	ck_assert(ZYAN_SUCCESS(dcache_fill(&cache, &dec, eip, code, n, &d)));
	ck_assert_ptr_nonnull(d);
	return d;
}

static enum emu_result fake_proc(struct machine *m, const struct emu_insn *e)
{
	(void)m;
	(void)e;
	return EMU_NEXT;
}

/* ---- TCase hit_and_miss ---- */

START_TEST(test_dcache_empty_cache_misses)
{
	ck_assert_ptr_null(dcache_lookup(&cache, 0x1000, mov_eax_cr0, sizeof(mov_eax_cr0)));
	ck_assert_uint_eq(cache.misses, 1);
}
END_TEST

START_TEST(test_dcache_same_bytes_at_same_eip_hit_with_procedure_kept)
{
	struct dcache_entry *d = fill(0xc0101234, mov_eax_cr0, sizeof(mov_eax_cr0));
	ck_assert_uint_eq(d->len, 3);
	ck_assert_int_eq(d->e.in.mnemonic, ZYDIS_MNEMONIC_MOV);
	ck_assert_ptr_null(d->fn);
	d->fn = fake_proc;
	uint8_t again[15] = { 0x0f, 0x20, 0xc0, 0x90, 0x90 };   /* whatever follows is ignored */
	ck_assert_ptr_eq(dcache_lookup(&cache, 0xc0101234, again, sizeof(again)), d);
	ck_assert_ptr_eq(d->fn, fake_proc);
	ck_assert_uint_eq(cache.hits, 1);
}
END_TEST

START_TEST(test_dcache_changed_bytes_at_same_eip_miss_and_decode_the_new_instruction)
{
	gla_t eip = 0x00100000;
	struct dcache_entry *d = fill(eip, mov_eax_cr0, sizeof(mov_eax_cr0));
	d->fn = fake_proc;
	/* The guest rewrote the instruction in place: same EIP, same length. */
	ck_assert_ptr_null(dcache_lookup(&cache, eip, mov_eax_cr2, sizeof(mov_eax_cr2)));
	d = fill(eip, mov_eax_cr2, sizeof(mov_eax_cr2));
	ck_assert_int_eq(d->e.ops[1].reg.value, ZYDIS_REGISTER_CR2);
	ck_assert_ptr_null(d->fn);                /* dispatched again */
	ck_assert_ptr_eq(dcache_lookup(&cache, eip, mov_eax_cr2, sizeof(mov_eax_cr2)), d);
	ck_assert_ptr_null(dcache_lookup(&cache, eip, mov_eax_cr0, sizeof(mov_eax_cr0)));
}
END_TEST

START_TEST(test_dcache_changed_length_at_same_eip_misses)
{
	gla_t eip = 0x8000;
	fill(eip, in_al_e9, sizeof(in_al_e9));
	uint8_t now[2] = { 0xec, 0xe9 };          /* IN AL, DX; then a byte of something else */
	ck_assert_ptr_null(dcache_lookup(&cache, eip, now, sizeof(now)));
	struct dcache_entry *d = fill(eip, now, sizeof(now));
	ck_assert_uint_eq(d->len, 1);
	ck_assert_int_eq(d->e.ops[1].reg.value, ZYDIS_REGISTER_DX);
	ck_assert_ptr_eq(dcache_lookup(&cache, eip, in_al_dx, sizeof(in_al_dx)), d);
}
END_TEST

START_TEST(test_dcache_same_bytes_at_another_eip_miss)
{
	fill(0x2000, in_al_e9, sizeof(in_al_e9));
	for (gla_t eip = 0x2001; eip < 0x2001 + 4 * DCACHE_SIZE; eip++)
		ck_assert_ptr_null(dcache_lookup(&cache, eip, in_al_e9, sizeof(in_al_e9)));
	ck_assert_ptr_nonnull(dcache_lookup(&cache, 0x2000, in_al_e9, sizeof(in_al_e9)));
}
END_TEST

START_TEST(test_dcache_fewer_bytes_than_the_instruction_miss)
{
	/* Near the end of a page the caller has only the bytes up to it. */
	fill(0x3ffe, mov_eax_cr0, sizeof(mov_eax_cr0));
	ck_assert_ptr_null(dcache_lookup(&cache, 0x3ffe, mov_eax_cr0, 2));
}
END_TEST

START_TEST(test_dcache_fill_short_of_the_instruction_reports_no_more_data_and_leaves_slot_empty)
{
	gla_t eip = 0x5000;
	fill(eip, mov_eax_cr0, sizeof(mov_eax_cr0));
	struct dcache_entry *d = NULL;
	ck_assert_int_eq(dcache_fill(&cache, &dec, eip, mov_eax_cr2, 2, &d), ZYDIS_STATUS_NO_MORE_DATA);
	ck_assert_ptr_null(dcache_lookup(&cache, eip, mov_eax_cr0, sizeof(mov_eax_cr0)));
}
END_TEST

START_TEST(test_dcache_fill_forgets_the_next_block_of_the_slot)
{
	struct dcache_entry *d = fill(0x6000, in_al_e9, sizeof(in_al_e9));
	d->next = (struct tc_block *)(uintptr_t)0x1234;
	d = fill(0x6000, in_al_dx, sizeof(in_al_dx));
	ck_assert_ptr_null(d->next);
}
END_TEST

START_TEST(test_dcache_clear_forgets_everything)
{
	fill(0x7000, in_al_e9, sizeof(in_al_e9));
	dcache_clear(&cache);
	ck_assert_ptr_null(dcache_lookup(&cache, 0x7000, in_al_e9, sizeof(in_al_e9)));
}
END_TEST

static Suite *dcache_suite(void)
{
	Suite *s = suite_create("decode_cache");
	TCase *tc = tcase_create("hit_and_miss");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_dcache_empty_cache_misses);
	tcase_add_test(tc, test_dcache_same_bytes_at_same_eip_hit_with_procedure_kept);
	tcase_add_test(tc, test_dcache_changed_bytes_at_same_eip_miss_and_decode_the_new_instruction);
	tcase_add_test(tc, test_dcache_changed_length_at_same_eip_misses);
	tcase_add_test(tc, test_dcache_same_bytes_at_another_eip_miss);
	tcase_add_test(tc, test_dcache_fewer_bytes_than_the_instruction_miss);
	tcase_add_test(tc, test_dcache_fill_short_of_the_instruction_reports_no_more_data_and_leaves_slot_empty);
	tcase_add_test(tc, test_dcache_fill_forgets_the_next_block_of_the_slot);
	tcase_add_test(tc, test_dcache_clear_forgets_everything);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dcache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
