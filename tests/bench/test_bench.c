/*
 * test_bench.c — the machinery of `btmon bench` (src/bench), checked for
 * correctness only: timings depend on the machine and are never asserted.
 *
 *   translated  every innocuous catalogue block, looped under btmon's
 *               translator, ends in the state the host CPU reaches natively
 *               (GPRs, EFLAGS, the scratch data);
 *   trap        the miniature trap-and-emulate monitor keeps the virtual IF
 *               through trapped CLI/STI, and serves IN from the emulated PC;
 *   verdicts    the probes flag PUSHF/POPF as incorrect under
 *               trap-and-emulate (they do not trap) and not CLI/STI.
 */
#include <check.h>
#include <string.h>

#include "bench_int.h"
#include "btmon/x86.h"

static struct bench_env *env;

static void setup(void)
{
	char err[256] = "";
	ck_assert_msg(bench_env_new(&env, 1, true, err, sizeof(err)) == BT_OK, "%s", err);
}

static void teardown(void)
{
	bench_env_free(env);
	env = NULL;
}

static const struct bench_block *catalogue_block(const char *name)
{
	size_t n;
	const struct bench_block *cat = bench_catalogue(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(cat[i].name, name) == 0)
			return &cat[i];
	ck_abort_msg("no block %s in the catalogue", name);
	return NULL;
}

/* ---- translated == native ---- */

static void check_innocuous_blocks(uint32_t iterations)
{
	size_t n, checked = 0;
	const struct bench_block *cat = bench_catalogue(&n);
	char diff[240];

	for (size_t i = 0; i < n; i++) {
		if (cat[i].sensitive)
			continue;
		int same = bench_compare(env, &cat[i], iterations, diff, sizeof(diff));
		ck_assert_msg(same == 1, "%s, %u iterations: %s", cat[i].name, iterations,
			      same < 0 ? "did not run in both modes" : diff);
		checked++;
	}
	ck_assert_uint_ge(checked, 7);
}

START_TEST(test_bench_translated_innocuous_blocks_end_in_the_native_state_after_one_iteration)
{
	check_innocuous_blocks(1);
}
END_TEST

START_TEST(test_bench_translated_innocuous_blocks_end_in_the_native_state_after_many_iterations)
{
	check_innocuous_blocks(257);
}
END_TEST

START_TEST(test_bench_a_block_that_differs_natively_is_reported_as_different)
{
	/* cpuid: the host's CPU natively, btmon's modelled P6 translated. */
	static const uint8_t code[] = { 0x31, 0xc0, 0x0f, 0xa2 };   /* xor eax, eax ; cpuid */
	struct bench_block b = { .name = "cpuid", .code = code, .len = sizeof(code), .copies = 1 };
	char diff[240];

	ck_assert_int_eq(bench_compare(env, &b, 1, diff, sizeof(diff)), 0);
	ck_assert_ptr_nonnull(strstr(diff, "native"));
}
END_TEST

/* ---- the trap-and-emulate monitor ---- */

/* Run code under the trap monitor; it must not end in a fault. */
static uint32_t trap_vif_after(const uint8_t *code, uint32_t len, struct native_state *out)
{
	struct native_fault f;
	uint32_t vif = 0xdead;

	ck_assert_int_eq(bench_trap_once(env, code, len, out, &f, &vif), BT_OK);
	ck_assert_msg(f.signo == 0, "fault: signal %d vector %u at 0x%08x", f.signo, f.vector,
		      f.eip);
	return vif;
}

START_TEST(test_bench_trap_cli_and_sti_set_the_virtual_if)
{
	static const uint8_t sti[] = { 0xfb };
	static const uint8_t sti_cli[] = { 0xfb, 0xfa };
	static const uint8_t cli_sti[] = { 0xfa, 0xfb };
	static const uint8_t pairs[] = { 0xfa, 0xfb, 0xfa, 0xfb, 0xfa };
	struct native_state out;

	ck_assert_uint_eq(trap_vif_after(sti, sizeof(sti), &out), X86_FL_IF);
	ck_assert_uint_eq(trap_vif_after(sti_cli, sizeof(sti_cli), &out), 0);
	ck_assert_uint_eq(trap_vif_after(cli_sti, sizeof(cli_sti), &out), X86_FL_IF);
	ck_assert_uint_eq(trap_vif_after(pairs, sizeof(pairs), &out), 0);
}
END_TEST

START_TEST(test_bench_trap_resumes_after_the_emulated_instruction)
{
	/* sti ; mov eax, 7 ; cli ; add eax, 1: the instructions after each trap run. */
	static const uint8_t code[] = { 0xfb, 0xb8, 0x07, 0x00, 0x00, 0x00, 0xfa, 0x83, 0xc0, 0x01 };
	struct native_state out;

	ck_assert_uint_eq(trap_vif_after(code, sizeof(code), &out), 0);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 8);
}
END_TEST

START_TEST(test_bench_trap_in_reads_the_emulated_debug_console)
{
	/* mov eax, 0x12345678 ; in al, 0xe9: the port answers 0xe9 in AL only */
	static const uint8_t code[] = { 0xb8, 0x78, 0x56, 0x34, 0x12, 0xe4, 0xe9 };
	struct native_state out;

	trap_vif_after(code, sizeof(code), &out);
	ck_assert_uint_eq(out.gpr[NATIVE_EAX], 0x123456e9);
}
END_TEST

START_TEST(test_bench_trap_mov_cr3_round_trips_the_virtual_cr3)
{
	/* mov eax, 0x5000 ; mov cr3, eax ; xor eax, eax ; mov ecx, cr3 */
	static const uint8_t code[] = { 0xb8, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xd8,
					0x31, 0xc0, 0x0f, 0x20, 0xd9 };
	struct native_state out;

	trap_vif_after(code, sizeof(code), &out);
	ck_assert_uint_eq(out.gpr[NATIVE_ECX], 0x5000);
}
END_TEST

/* ---- verdicts ---- */

START_TEST(test_bench_pushf_popf_is_flagged_incorrect_under_trap_and_emulate)
{
	struct bench_row row;

	bench_measure(env, catalogue_block("pushfpopf"), 10, &row);
	ck_assert_int_eq(row.mode[BENCH_TRAP].status, BENCH_INCORRECT);
	ck_assert_ptr_nonnull(strstr(row.mode[BENCH_TRAP].note, "pushf after cli shows IF=1"));
	ck_assert_int_eq(row.mode[BENCH_XLAT].status, BENCH_OK);
}
END_TEST

START_TEST(test_bench_cli_sti_traps_and_is_correct_under_trap_and_emulate)
{
	struct bench_row row;

	bench_measure(env, catalogue_block("clisti"), 4, &row);
	ck_assert_int_eq(row.mode[BENCH_NATIVE].status, BENCH_NA);      /* #GP at CPL 3 */
	ck_assert_int_eq(row.mode[BENCH_XLAT].status, BENCH_OK);
	ck_assert_int_eq(row.mode[BENCH_TRAP].status, BENCH_OK);
	ck_assert(row.mode[BENCH_TRAP].traps > 1.99 && row.mode[BENCH_TRAP].traps < 2.01);
}
END_TEST

static Suite *bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("translated");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_translated_innocuous_blocks_end_in_the_native_state_after_one_iteration);
	tcase_add_test(tc, test_bench_translated_innocuous_blocks_end_in_the_native_state_after_many_iterations);
	tcase_add_test(tc, test_bench_a_block_that_differs_natively_is_reported_as_different);
	suite_add_tcase(s, tc);

	tc = tcase_create("trap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_trap_cli_and_sti_set_the_virtual_if);
	tcase_add_test(tc, test_bench_trap_resumes_after_the_emulated_instruction);
	tcase_add_test(tc, test_bench_trap_in_reads_the_emulated_debug_console);
	tcase_add_test(tc, test_bench_trap_mov_cr3_round_trips_the_virtual_cr3);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdicts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_pushf_popf_is_flagged_incorrect_under_trap_and_emulate);
	tcase_add_test(tc, test_bench_cli_sti_traps_and_is_correct_under_trap_and_emulate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bench_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
