/*
 * test_verify.c — the translation verifier (src/translator/verify.c) on
 * hand-made host code: what DESIGN.md §8.1 allows is accepted, and each way
 * of breaking it is rejected with a message naming the problem, the block and
 * the offending host instruction.
 *
 * A block here is a byte string plus the notes that attribute ranges of it to
 * guest instructions; bytes outside every note are glue (polls, stubs).
 */
#include <check.h>
#include <string.h>

#include "btmon/translator.h"
#include "btmon/vcpu.h"

#define EIP0 0x1000u

/* Glue and guest-derived pieces used to build blocks (host x86-64); each
 * ends with a comma so they concatenate inside an initializer. */
#define POLL        0x45, 0x8b, 0x6f, 0x24,                           /* mov r13d, [r15+vif] */ \
		    0x47, 0x8a, 0xac, 0xef, 0x00, 0x10, 0x00, 0x00,   /* mov r13b, [r15+r13*8+poll] */
#define TO_TRAMP    0x41, 0xff, 0x67, 0x50,                           /* jmp [r15+exit_tramp] */
#define GS_LOAD     0x65, 0x67, 0x8b, 0x45, 0x08,                     /* mov eax, gs:[ebp+8] */
#define SAVE_RSP    0x49, 0x89, 0xe5,                                 /* mov r13, rsp */
#define TO_SCRATCH  0x49, 0x8d, 0xa7, 0xc0, 0x00, 0x00, 0x00,         /* lea rsp, [r15+0xc0] */
#define BACK_RSP    0x4c, 0x89, 0xec,                                 /* mov rsp, r13 */

static char err[256];

/* Verify code with one note [off, off+len) of the given rule. */
static bt_status verify1(const uint8_t *code, uint32_t code_len, enum xlate_rule rule,
			 uint32_t off, uint32_t len)
{
	struct tc_block_desc d = { .eip = EIP0, .code = code, .code_len = code_len };
	struct xlate_note n = { .eip = EIP0, .len = 1, .rule = rule, .host_off = off, .host_len = len };
	err[0] = 0;
	return xlate_verify(&d, &n, 1, err, sizeof(err));
}

/* Verify code that is entirely one note of the given rule. */
#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ })
#define VERIFY_AS(rule, ...) \
	verify1(BYTES(__VA_ARGS__), sizeof(BYTES(__VA_ARGS__)), rule, 0, sizeof(BYTES(__VA_ARGS__)))

#define ASSERT_REJECTED(status, what) do { \
	ck_assert_int_eq((status), BT_ERR_UNSUPPORTED); \
	ck_assert_msg(strstr(err, (what)) != NULL, "message \"%s\" lacks \"%s\"", err, (what)); \
} while (0)

/* ---- accepted ---- */

START_TEST(test_poll_window_load_and_trampoline_jump_are_accepted)
{
	static const uint8_t code[] = { POLL GS_LOAD TO_TRAMP };
	ck_assert_int_eq(verify1(code, sizeof(code), XR_COPY_MEM, 12, 5), BT_OK);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_ibt_jump_through_r15_plus_r13_is_accepted)
{
	/* jmp [r15+r13*8+ibt_host] ; mov r12d, [r15+r13*4+ibt_neg] */
	ck_assert_int_eq(VERIFY_AS(XR_RET, 0x43, 0xff, 0xa4, 0xef, 0x00, 0x30, 0x04, 0x00,
				   0x47, 0x8b, 0xa4, 0xaf, 0x00, 0x30, 0x00, 0x00), BT_OK);
}
END_TEST

START_TEST(test_absolute_window_address_through_sib_is_accepted)
{
	ck_assert_int_eq(VERIFY_AS(XR_COPY_MEM_ABS, 0x65, 0x67, 0x8b, 0x04, 0x25, 0x34, 0x12, 0x00, 0x00),
			 BT_OK);
}
END_TEST

START_TEST(test_lea_and_nop_with_memory_operands_are_accepted)
{
	ck_assert_int_eq(VERIFY_AS(XR_COPY, 0x48, 0x8d, 0x04, 0x18,        /* lea rax, [rax+rbx] */
				   0x0f, 0x1f, 0x40, 0x00), BT_OK);    /* nop [rax] */
}
END_TEST

START_TEST(test_pushfq_on_the_scratch_stack_in_a_pushf_note_is_accepted)
{
	ck_assert_int_eq(VERIFY_AS(XR_PUSHF, SAVE_RSP TO_SCRATCH 0x9c, 0x41, 0x5c, BACK_RSP), BT_OK);
	ck_assert_int_eq(VERIFY_AS(XR_POPF, SAVE_RSP TO_SCRATCH 0x41, 0x54, 0x9d, BACK_RSP), BT_OK);
}
END_TEST

START_TEST(test_biased_string_op_in_a_string_note_is_accepted)
{
	ck_assert_int_eq(VERIFY_AS(XR_STRING, 0x4a, 0x8d, 0x3c, 0x2f,   /* lea rdi, [rdi+r13] */
				   0xf3, 0xa5,                          /* rep movsd */
				   0x89, 0xff), BT_OK);                 /* mov edi, edi */
}
END_TEST

START_TEST(test_branch_from_a_note_to_a_stub_is_accepted)
{
	/* note: jz rel32 → +0x0b (glue stub: jmp [r15+exit_tramp]) ; add eax, ebx */
	static const uint8_t code[] = { 0x0f, 0x84, 0x05, 0x00, 0x00, 0x00, 0x01, 0xd8,
					0x90, 0x90, 0x90, TO_TRAMP };
	ck_assert_int_eq(verify1(code, sizeof(code), XR_JCC, 0, 6), BT_OK);
}
END_TEST

/* ---- rejected ---- */

START_TEST(test_load_through_a_host_register_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x8b, 0x00),                 /* mov eax, [rax] */
			"memory operand is neither gs:[addr32] nor a VirtualCPU access");
	ck_assert_str_eq(err, "verify: block 0x00001000 +0x0: memory operand is neither gs:[addr32] "
			      "nor a VirtualCPU access [r15+...]: mov eax, [rax]");
}
END_TEST

START_TEST(test_gs_without_32_bit_addressing_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY_MEM, 0x65, 0x8b, 0x45, 0x08), "neither gs:[addr32]");
}
END_TEST

START_TEST(test_rip_relative_and_fs_operands_are_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY_MEM_ABS, 0x8b, 0x05, 0x34, 0x12, 0x00, 0x00), "neither gs:[addr32]");
	ASSERT_REJECTED(VERIFY_AS(XR_COPY_MEM_SEG, 0x64, 0x67, 0x8b, 0x00), "neither gs:[addr32]");
}
END_TEST

START_TEST(test_r15_with_another_index_than_r13_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x43, 0x8b, 0x04, 0xe7),     /* mov eax, [r15+r12*8] */
			"neither gs:[addr32]");
}
END_TEST

START_TEST(test_host_push_in_guest_derived_code_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x50), "host stack instruction in guest-derived code");
	ck_assert_msg(strstr(err, ": push rax"), "%s", err);
}
END_TEST

START_TEST(test_host_call_ret_and_pushfq_outside_the_flag_rules_are_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_CALL, 0xe8, 0x00, 0x00, 0x00, 0x00), "host stack instruction");
	ASSERT_REJECTED(VERIFY_AS(XR_RET, 0xc3), "host stack instruction");
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, SAVE_RSP TO_SCRATCH 0x9c, BACK_RSP), "host stack instruction");
}
END_TEST

START_TEST(test_host_stack_in_glue_is_rejected)
{
	static const uint8_t code[] = { 0x01, 0xd8, 0x9c };            /* add ; pushfq (glue) */
	ASSERT_REJECTED(verify1(code, sizeof(code), XR_COPY, 0, 2), "host stack instruction in glue");
	ck_assert_msg(strstr(err, "+0x2:"), "%s", err);
}
END_TEST

START_TEST(test_pushfq_without_the_switch_to_scratch_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_PUSHF, 0x9c, 0x41, 0x5c), "host stack instruction");
	/* lea rsp, [r15+0x1000]: not the scratch area */
	ASSERT_REJECTED(VERIFY_AS(XR_PUSHF, SAVE_RSP 0x49, 0x8d, 0xa7, 0x00, 0x10, 0x00, 0x00, 0x9c,
				  BACK_RSP), "host stack instruction");
	/* back on the guest stack before popfq */
	ASSERT_REJECTED(VERIFY_AS(XR_POPF, SAVE_RSP TO_SCRATCH BACK_RSP 0x41, 0x54, 0x9d),
			"host stack instruction");
}
END_TEST

START_TEST(test_string_op_outside_a_string_note_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0xf3, 0xa5), "string instruction outside a string rule");
	ck_assert_msg(strstr(err, "movsd"), "%s", err);
}
END_TEST

START_TEST(test_string_op_with_32_bit_addressing_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_STRING, 0x67, 0xa5), "without 64-bit addressing");
}
END_TEST

START_TEST(test_write_to_r15_is_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x49, 0x89, 0xff), "writes r15");          /* mov r15, rdi */
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x45, 0x8b, 0x3f), "writes r15");          /* mov r15d, [r15] */
	static const uint8_t glue[] = { 0x4d, 0x31, 0xff };                           /* xor r15, r15 */
	ASSERT_REJECTED(verify1(glue, sizeof(glue), XR_COPY, 0, 0), "writes r15");
}
END_TEST

START_TEST(test_syscall_int_and_sysenter_are_rejected_anywhere)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x0f, 0x05), "system call or interrupt");
	ck_assert_msg(strstr(err, "syscall"), "%s", err);
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0xcd, 0x80), "system call or interrupt");
	static const uint8_t glue[] = { 0x0f, 0x34 };                                 /* sysenter */
	ASSERT_REJECTED(verify1(glue, sizeof(glue), XR_COPY, 0, 0), "system call or interrupt");
}
END_TEST

START_TEST(test_undecodable_or_truncated_host_bytes_are_rejected)
{
	ASSERT_REJECTED(VERIFY_AS(XR_COPY, 0x01, 0xd8, 0x06), "undecodable host bytes");  /* push es */
	ck_assert_str_eq(err, "verify: block 0x00001000 +0x2: undecodable host bytes: 06");
	ASSERT_REJECTED(VERIFY_AS(XR_JMP, 0xe9, 0x00, 0x00), "undecodable host bytes");
}
END_TEST

START_TEST(test_copied_guest_branch_into_another_note_is_rejected)
{
	/* jz +2 copied verbatim lands in the next instruction's translation */
	static const uint8_t code[] = { 0x74, 0x02, 0x01, 0xd8, 0x01, 0xd8 };
	struct tc_block_desc d = { .eip = EIP0, .code = code, .code_len = sizeof(code) };
	struct xlate_note n[3] = {
		{ .eip = EIP0, .rule = XR_COPY, .host_off = 0, .host_len = 2 },
		{ .eip = EIP0 + 2, .rule = XR_COPY, .host_off = 2, .host_len = 2 },
		{ .eip = EIP0 + 4, .rule = XR_COPY, .host_off = 4, .host_len = 2 },
	};
	ck_assert_int_eq(xlate_verify(&d, n, 3, err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "relative branch into another instruction"), "%s", err);
	ASSERT_REJECTED(VERIFY_AS(XR_JMP, 0xe9, 0x00, 0x01, 0x00, 0x00), "relative branch leaves the block");
}
END_TEST

START_TEST(test_a_null_error_buffer_is_tolerated)
{
	static const uint8_t code[] = { 0x50 };
	struct tc_block_desc d = { .eip = EIP0, .code = code, .code_len = 1 };
	struct xlate_note n = { .rule = XR_COPY, .host_off = 0, .host_len = 1 };
	ck_assert_int_eq(xlate_verify(&d, &n, 1, NULL, 0), BT_ERR_UNSUPPORTED);
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("translator verifier");
	TCase *ok = tcase_create("accepted");
	tcase_add_test(ok, test_poll_window_load_and_trampoline_jump_are_accepted);
	tcase_add_test(ok, test_ibt_jump_through_r15_plus_r13_is_accepted);
	tcase_add_test(ok, test_absolute_window_address_through_sib_is_accepted);
	tcase_add_test(ok, test_lea_and_nop_with_memory_operands_are_accepted);
	tcase_add_test(ok, test_pushfq_on_the_scratch_stack_in_a_pushf_note_is_accepted);
	tcase_add_test(ok, test_biased_string_op_in_a_string_note_is_accepted);
	tcase_add_test(ok, test_branch_from_a_note_to_a_stub_is_accepted);
	suite_add_tcase(s, ok);

	TCase *bad = tcase_create("rejected");
	tcase_add_test(bad, test_load_through_a_host_register_is_rejected);
	tcase_add_test(bad, test_gs_without_32_bit_addressing_is_rejected);
	tcase_add_test(bad, test_rip_relative_and_fs_operands_are_rejected);
	tcase_add_test(bad, test_r15_with_another_index_than_r13_is_rejected);
	tcase_add_test(bad, test_host_push_in_guest_derived_code_is_rejected);
	tcase_add_test(bad, test_host_call_ret_and_pushfq_outside_the_flag_rules_are_rejected);
	tcase_add_test(bad, test_host_stack_in_glue_is_rejected);
	tcase_add_test(bad, test_pushfq_without_the_switch_to_scratch_is_rejected);
	tcase_add_test(bad, test_string_op_outside_a_string_note_is_rejected);
	tcase_add_test(bad, test_string_op_with_32_bit_addressing_is_rejected);
	tcase_add_test(bad, test_write_to_r15_is_rejected);
	tcase_add_test(bad, test_syscall_int_and_sysenter_are_rejected_anywhere);
	tcase_add_test(bad, test_undecodable_or_truncated_host_bytes_are_rejected);
	tcase_add_test(bad, test_copied_guest_branch_into_another_note_is_rejected);
	tcase_add_test(bad, test_a_null_error_buffer_is_tolerated);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
