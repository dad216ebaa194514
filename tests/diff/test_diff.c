/*
 * test_diff.c — the differential suite in the default test run: every
 * curated sequence from every state of its seed class, and 100,000 random
 * sequences from fixed seeds, must end in the same state natively and
 * translated. A mismatch prints a reproducer (shrunk for random sequences)
 * on stderr. The sequences of known departures from the CPU (curated_known.S:
 * FXSAVE) run too, and only print whether each still differs. Long runs:
 * btmon-difftest.
 */
#include <check.h>
#include <stdlib.h>

#include "difftest.h"

#define RANDOM_CHUNKS     50
#define RANDOM_PER_CHUNK  2000
#define RANDOM_SEED       0x5eed0000ull

static struct dt_ctx *ctx;

static void setup(void)
{
	ck_assert_int_eq(dt_new(&ctx), 0);
}

static void teardown(void)
{
	dt_free(ctx);
	ctx = NULL;
}

START_TEST(test_curated_sequence_ends_in_the_host_cpus_state)
{
	unsigned n, runs;
	const struct dt_case *k = &dt_curated(&n)[_i];
	unsigned bad = dt_run_case(ctx, k, stderr, 2, &runs);
	ck_assert_msg(bad == 0, "%s: %u of %u runs differ (reproducers above)", k->name, bad, runs);
}
END_TEST

START_TEST(test_known_departure_sequences_are_run_and_reported)
{
	/* Not a pass/fail check: each prints whether its departure still shows. */
	unsigned n, runs;
	const struct dt_case *k = &dt_known(&n)[_i];
	unsigned bad = dt_run_case(ctx, k, NULL, 0, &runs);
	if (bad)
		fprintf(stderr, "note: known departure still differs: %s (%u of %u runs; "
			"btmon-difftest --case %s)\n", k->name, bad, runs, k->name);
	else
		fprintf(stderr, "note: %s no longer differs: move it from curated_known.S to its "
			"class and update docs/ARCHITECTURE.md\n", k->name);
}
END_TEST

START_TEST(test_random_sequences_end_in_the_host_cpus_state)
{
	uint64_t seed = RANDOM_SEED + (uint64_t)_i;
	unsigned bad = dt_run_random(ctx, seed, 0, RANDOM_PER_CHUNK, stderr, 3, 0);
	ck_assert_msg(bad == 0, "seed %#llx: %u of %u random sequences differ (reproducers above)",
		      (unsigned long long)seed, bad, RANDOM_PER_CHUNK);
}
END_TEST

START_TEST(test_both_sides_report_the_same_fault_and_memory)
{
	static struct dt_input in;
	static struct dt_result r;
	static const uint8_t ud2[] = { 0x40, 0x0f, 0x0b };   /* inc eax; ud2 */
	dt_base_state(ctx, &in);
	ck_assert_int_eq(dt_check(ctx, ud2, sizeof(ud2), &in, &r), 0);
	ck_assert_int_eq(r.nat_f.vector, 6);
	ck_assert_int_eq(r.xl_f.vector, 6);
	ck_assert_uint_eq(r.xl_f.eip, dt_code_addr(ctx) + 1);
	ck_assert_uint_eq(r.xl.gpr[NATIVE_EAX], in.st.gpr[NATIVE_EAX] + 1);
	static const uint8_t store[] = { 0x89, 0x03 };       /* mov [ebx], eax */
	ck_assert_int_eq(dt_check(ctx, store, sizeof(store), &in, &r), 0);
	ck_assert_uint_eq(r.xl_data[0], 0x67);
	ck_assert_uint_eq(r.nat_data[0], 0x67);
}
END_TEST

START_TEST(test_a_sequence_placed_across_the_code_page_boundary_runs_the_same)
{
	static struct dt_input in;
	static struct dt_result r;
	static const uint8_t call_pop[] = { 0xe8, 0, 0, 0, 0, 0x58 };   /* call 1f; 1: pop eax */
	dt_base_state(ctx, &in);
	in.place = 4096 - 3;
	ck_assert_int_eq(dt_check(ctx, call_pop, sizeof(call_pop), &in, &r), 0);
	ck_assert_uint_eq(r.xl.gpr[NATIVE_EAX], dt_code_addr(ctx) + 4096 + 2);
	ck_assert_int_eq(r.xl_f.signo, 0);
}
END_TEST

static Suite *diff_suite(void)
{
	Suite *s = suite_create("diff");
	unsigned n, nknown;
	dt_curated(&n);
	dt_known(&nknown);

	TCase *tc = tcase_create("harness");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_both_sides_report_the_same_fault_and_memory);
	tcase_add_test(tc, test_a_sequence_placed_across_the_code_page_boundary_runs_the_same);
	suite_add_tcase(s, tc);

	tc = tcase_create("curated");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_curated_sequence_ends_in_the_host_cpus_state, 0, (int)n);
	suite_add_tcase(s, tc);

	tc = tcase_create("known departures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_known_departure_sequences_are_run_and_reported, 0, (int)nknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_random_sequences_end_in_the_host_cpus_state, 0, RANDOM_CHUNKS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(diff_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
