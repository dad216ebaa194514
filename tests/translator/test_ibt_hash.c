/*
 * test_ibt_hash.c — the indirect-branch-table slot hash (vcpu_ibt_index,
 * emitted flag-free by branch.c): both variants spread code addresses over
 * the table. A weak hash sends every indirect branch of a guest kernel to the
 * monitor (CRC32C seeded with the EIP itself is constant; "low half +
 * byte-swapped high half" maps kernel functions whose middle bytes sum alike
 * to one slot) — a performance bug no functional test sees.
 */
#include <check.h>
#include <stdlib.h>

#include "btmon/vcpu.h"

static unsigned distinct_slots(const uint32_t *eips, unsigned n)
{
	static uint8_t seen[VCPU_IBT_SIZE];
	unsigned d = 0;
	for (unsigned i = 0; i < VCPU_IBT_SIZE; i++)
		seen[i] = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned s = vcpu_ibt_index(eips[i]);
		ck_assert_uint_lt(s, VCPU_IBT_SIZE);
		d += !seen[s];
		seen[s] = 1;
	}
	return d;
}

static void check_spread(bool crc)
{
	vcpu_ibt_crc = crc;
	static uint32_t eips[8192];
	uint32_t x = 0x12345678;
	for (unsigned i = 0; i < 8192; i++) {   /* function starts in a 12 MiB kernel text */
		x = x * 1664525u + 1013904223u;
		eips[i] = 0xc1000000u + ((x >> 8) % (12u << 20) & ~0xfu);
	}
	/* 8192 keys into 65536 slots: a uniform hash leaves ~7700 distinct */
	ck_assert_uint_ge(distinct_slots(eips, 8192), 7000);
	for (unsigned i = 0; i < 4096; i++)    /* the same low 16 bits, 64 KiB apart */
		eips[i] = 0xc0000000u + i * 0x10000u + 0x12f0u;
	ck_assert_uint_ge(distinct_slots(eips, 4096), 2048);
}

START_TEST(test_ibt_hash_crc_spreads)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sse4.2"))
		return;   /* the host cannot run this variant at all */
	check_spread(true);
	/* two hot Linux functions that shared a slot under the first hash */
	ck_assert_uint_ne(vcpu_ibt_index(0xc826a2f0u), vcpu_ibt_index(0xc802c6f0u));
}
END_TEST

START_TEST(test_ibt_hash_portable_spreads)
{
	check_spread(false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ibt_hash");
	TCase *t = tcase_create("spread");
	tcase_add_test(t, test_ibt_hash_crc_spreads);
	tcase_add_test(t, test_ibt_hash_portable_spreads);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
