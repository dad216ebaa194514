/*
 * test_ibt.c — the indirect-branch tables' bookkeeping (src/monitor/vcpu.c)
 * and the per-address-space user tables (ibt_spaces.c): what each flush must
 * remove and what it must keep. A missing removal is a guest jumping to code
 * of another mapping; a needless one is a slow guest.
 */
#include <check.h>
#include <stdlib.h>

#include "monitor.h"
#include "ibt_spaces.h"

bool vcpu_ibt_crc;   /* normally in the translator, which emits the lookup */

static struct vcpu *v;
static const void *const CODE_A = (const void *)0x1000, *const CODE_B = (const void *)0x2000;

static void setup(void)
{
	v = vcpu_new();
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(ibt_spaces_new(v, 4), BT_OK);
}

static void teardown(void)
{
	ibt_spaces_free(v);
	vcpu_free(v);
}

/* The host code the table gives for eip, or NULL on a miss. */
static const void *lookup(unsigned table, uint32_t eip)
{
	const struct vcpu_ibt *t = &v->ibt[table];
	unsigned i = vcpu_ibt_index(eip);
	for (unsigned w = i; w <= i + 1; w++)   /* the two ways, as branch.c probes them */
		if (t->neg[w] + eip == 0 && t->host[w] != (uint64_t)(uintptr_t)vcpu_ibt_empty)
			return (const void *)(uintptr_t)t->host[w];
	return NULL;
}

START_TEST(test_cr3_write_keeps_global_supervisor_entries)
{
	vcpu_ibt_insert(v, 0, 0xc1000000, CODE_A, true);
	vcpu_ibt_insert(v, 0, 0xd0000000, CODE_B, false);
	vcpu_ibt_insert(v, 1, 0x08048000, CODE_B, false);
	vcpu_ibt_flush_nonglobal(v);
	ck_assert_ptr_eq(lookup(0, 0xc1000000), CODE_A);
	ck_assert_ptr_null(lookup(0, 0xd0000000));
	ck_assert_ptr_null(lookup(1, 0x08048000));
}
END_TEST

START_TEST(test_many_global_entries_survive_cr3_writes)
{
	/* more than the old 4096-slot list: it overflowed and emptied all */
	for (uint32_t k = 0; k < 6000; k++)
		vcpu_ibt_insert(v, 0, 0xc1000000 + k * 16, CODE_A, true);
	vcpu_ibt_flush_nonglobal(v);
	unsigned kept = 0;
	for (uint32_t k = 0; k < 6000; k++)
		kept += lookup(0, 0xc1000000 + k * 16) != NULL;
	ck_assert_uint_ge(kept, 5000);   /* all but those sharing a slot */
}
END_TEST

START_TEST(test_global_slot_reused_by_nonglobal_entry_is_flushed)
{
	uint32_t a = 0xc1000000, b = a;
	for (uint32_t k = 1; vcpu_ibt_index(b) != vcpu_ibt_index(a) || b == a; k++)
		b = a + k * 16;                       /* another EIP, same slot */
	vcpu_ibt_insert(v, 0, a, CODE_A, true);
	vcpu_ibt_insert(v, 0, b, CODE_B, false);   /* replaces it */
	vcpu_ibt_flush_nonglobal(v);
	ck_assert_ptr_null(lookup(0, b));
}
END_TEST

START_TEST(test_two_eips_of_one_slot_both_stay)
{
	uint32_t a = 0xc1000000, b = a;
	for (uint32_t k = 1; vcpu_ibt_index(b) != vcpu_ibt_index(a) || b == a; k++)
		b = a + k * 16;
	vcpu_ibt_insert(v, 0, a, CODE_A, true);
	vcpu_ibt_insert(v, 0, b, CODE_B, true);
	ck_assert_ptr_eq(lookup(0, a), CODE_A);
	ck_assert_ptr_eq(lookup(0, b), CODE_B);
	vcpu_ibt_remove(v, b, CODE_B);
	ck_assert_ptr_null(lookup(0, b));
	ck_assert_ptr_eq(lookup(0, a), CODE_A);
}
END_TEST

START_TEST(test_invlpg_range_flush)
{
	vcpu_ibt_insert(v, 0, 0xc1000010, CODE_A, true);
	vcpu_ibt_insert(v, 0, 0xc1001010, CODE_B, true);
	vcpu_ibt_insert(v, 1, 0x08048010, CODE_A, false);
	vcpu_ibt_flush_range(v, 0xc1000000, 4096);
	ck_assert_ptr_null(lookup(0, 0xc1000010));
	ck_assert_ptr_eq(lookup(0, 0xc1001010), CODE_B);
	vcpu_ibt_flush_range(v, 0x08400000, 4096);   /* a page without entries */
	ck_assert_ptr_eq(lookup(1, 0x08048010), CODE_A);
	vcpu_ibt_flush_range(v, 0x08000000, 4u << 20);   /* a 4 MiB page */
	ck_assert_ptr_null(lookup(1, 0x08048010));
	/* INVLPG of a page flushes the page before it too (op_invlpg): a block
	 * starting there may run into the page */
	vcpu_ibt_insert(v, 1, 0x08048ff0, CODE_A, false);
	vcpu_ibt_flush_range(v, 0x08048000, 2 * 4096);
	ck_assert_ptr_null(lookup(1, 0x08048ff0));
}
END_TEST

START_TEST(test_user_table_follows_its_space)
{
	vcpu_ibt_insert(v, 1, 0x08048000, CODE_A, false);   /* space 0, epoch 5 */
	ibt_spaces_enter(v, 0, 5);
	ibt_spaces_leave(v, 0, 5);
	vcpu_ibt_flush_nonglobal(v);
	ibt_spaces_enter(v, 1, 1);                           /* space 1 */
	ck_assert_ptr_null(lookup(1, 0x08048000));
	vcpu_ibt_insert(v, 1, 0x08048000, CODE_B, false);
	ibt_spaces_leave(v, 1, 1);
	vcpu_ibt_flush_nonglobal(v);
	ibt_spaces_enter(v, 0, 5);                           /* back, unchanged */
	ck_assert_ptr_eq(lookup(1, 0x08048000), CODE_A);
	vcpu_ibt_flush_range(v, 0x08048000, 4096);           /* INVLPG finds restored entries */
	ck_assert_ptr_null(lookup(1, 0x08048000));
	ibt_spaces_leave(v, 0, 5);
	vcpu_ibt_flush_nonglobal(v);
	ibt_spaces_enter(v, 1, 2);                           /* space 1's mappings changed */
	ck_assert_ptr_null(lookup(1, 0x08048000));
}
END_TEST

START_TEST(test_dropped_block_leaves_saved_tables)
{
	vcpu_ibt_insert(v, 1, 0x08048000, CODE_A, false);
	ibt_spaces_enter(v, 0, 1);
	ibt_spaces_leave(v, 0, 1);
	vcpu_ibt_flush_nonglobal(v);
	ibt_spaces_remove(v, CODE_A);
	ibt_spaces_enter(v, 0, 1);
	ck_assert_ptr_null(lookup(1, 0x08048000));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ibt");
	TCase *t = tcase_create("tables");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_cr3_write_keeps_global_supervisor_entries);
	tcase_add_test(t, test_many_global_entries_survive_cr3_writes);
	tcase_add_test(t, test_global_slot_reused_by_nonglobal_entry_is_flushed);
	tcase_add_test(t, test_invlpg_range_flush);
	tcase_add_test(t, test_two_eips_of_one_slot_both_stay);
	tcase_add_test(t, test_user_table_follows_its_space);
	tcase_add_test(t, test_dropped_block_leaves_saved_tables);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
