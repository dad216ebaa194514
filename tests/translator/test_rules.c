/*
 * test_rules.c — every row of the translator's rule table (src/translator/
 * rules.c): guest x86-32 bytes in, host x86-64 bytes out.
 *
 * Each test places guest code in a small fake guest memory (guest-linear =
 * guest-physical unless a test remaps a page), translates one block with
 * xlate_block and re-decodes the host code twice — Zydis in 64-bit mode and,
 * as an independent opinion, Capstone — requiring both to agree on every
 * instruction boundary. Every block must also pass xlate_verify (DESIGN.md
 * §8.1). The tests then look at the decoded host instructions of the guest
 * instruction's note, not at raw bytes, except where the bytes are the point.
 *
 * Guest memory is filled with HLT, so a block under test ends at the first
 * filler byte with a monitor exit unless its own instructions end it.
 */
#include "xlate_fixture.h"

/* Host target offset of the relative branch at index i. */
static uint32_t branch_target(unsigned i)
{
	ZyanU64 to = 0;
	ck_assert(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&hc[i].in, &hc[i].ops[0], hc[i].off, &to)));
	return (uint32_t)to;
}

/* The exit whose rel32 belongs to the jmp/jcc at index i. */
static const struct tc_exit_desc *exit_of(unsigned i)
{
	for (unsigned e = 0; e < blk.desc.nexits; e++)
		if (blk.exits[e].site_off == hc[i].off + hc[i].in.raw.imm[0].offset)
			return &blk.exits[e];
	return NULL;
}

/* ---- copy ---- */

START_TEST(test_add_reg_reg_is_copied_verbatim)
{
	TRANSLATE(0x01, 0xd8);                       /* add eax, ebx */
	ck_assert_int_eq(blk.notes[0].rule, XR_COPY);
	ck_assert_uint_eq(blk.notes[0].host_len, 2);
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, guest_mem + EIP0, 2);
}
END_TEST

START_TEST(test_x87_and_sse2_registers_only_are_copied_verbatim)
{
	TRANSLATE(0xd8, 0xc1,                        /* fadd st0, st1 */
		  0x66, 0x0f, 0xfe, 0xc1);           /* paddd xmm0, xmm1 */
	for (unsigned k = 0; k < 2; k++)
		ck_assert_int_eq(blk.notes[k].rule, XR_COPY);
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, guest_mem + EIP0, 6);
}
END_TEST

/* ---- memory operands ---- */

START_TEST(test_load_from_ebp_disp8_gains_gs_and_addr32_prefixes)
{
	static const uint8_t want[] = { 0x65, 0x67, 0x8b, 0x45, 0x08 };
	TRANSLATE(0x8b, 0x45, 0x08);                 /* mov eax, [ebp+8] */
	ck_assert_int_eq(blk.notes[0].rule, XR_COPY_MEM);
	ck_assert_uint_eq(blk.notes[0].host_len, sizeof(want));
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, want, sizeof(want));
}
END_TEST

START_TEST(test_store_with_sib_keeps_the_sib_byte)
{
	static const uint8_t want[] = { 0x65, 0x67, 0x89, 0x54, 0x88, 0x10 };
	TRANSLATE(0x89, 0x54, 0x88, 0x10);           /* mov [eax+ecx*4+0x10], edx */
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, want, sizeof(want));
	unsigned i = insn_at(blk.notes[0].host_off);
	const ZydisDecodedOperand *m = mem_op(i);
	ck_assert(is_window_op(i, ZYDIS_REGISTER_EAX, 0x10));
	ck_assert_int_eq(m->mem.index, ZYDIS_REGISTER_ECX);
	ck_assert_uint_eq(m->mem.scale, 4);
}
END_TEST

START_TEST(test_store_immediate_keeps_its_immediate_after_the_displacement)
{
	static const uint8_t want[] = { 0x65, 0x67, 0xc7, 0x45, 0x08, 0x78, 0x56, 0x34, 0x12 };
	TRANSLATE(0xc7, 0x45, 0x08, 0x78, 0x56, 0x34, 0x12);   /* mov dword [ebp+8], 0x12345678 */
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, want, sizeof(want));
}
END_TEST

/* Both encodings of an absolute address: ModRM mod 00 rm 101 and moffs (A1). */
static const uint8_t abs_forms[][6] = {
	{ 0x8b, 0x05, 0x34, 0x12, 0x00, 0x00 },      /* mov eax, [0x1234] */
	{ 0xa1, 0x34, 0x12, 0x00, 0x00, 0xf4 },      /* mov eax, [0x1234] (moffs) */
};

START_TEST(test_absolute_disp32_is_addressed_through_sib_not_rip_relative)
{
	translate_at(EIP0, abs_forms[_i], sizeof(abs_forms[_i]));
	unsigned i = insn_at(blk.notes[0].host_off);
	const ZydisDecodedOperand *m = mem_op(i);
	ck_assert_int_eq(hc[i].in.mnemonic, ZYDIS_MNEMONIC_MOV);
	ck_assert_int_eq(hc[i].ops[0].reg.value, ZYDIS_REGISTER_EAX);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->mem.base, ZYDIS_REGISTER_NONE);    /* not RIP */
	ck_assert_int_eq(m->mem.index, ZYDIS_REGISTER_NONE);
	ck_assert_int_eq(m->mem.disp.value, 0x1234);
	ck_assert_int_eq(m->mem.segment, ZYDIS_REGISTER_GS);
	ck_assert_uint_eq(hc[i].in.address_width, 32);
	ck_assert(hc[i].in.attributes & ZYDIS_ATTRIB_HAS_SIB);
}
END_TEST

START_TEST(test_fs_operand_adds_the_segment_base_without_touching_flags)
{
	TRANSLATE(0x64, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00);   /* mov eax, fs:[0x10] */
	ck_assert_int_eq(blk.notes[0].rule, XR_COPY_MEM_SEG);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 4);
	/* lea r13d, [0x10] ; mov r14d, [r15+seg_base[FS]] ; lea r14d, [r14+r13] */
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_LEA);
	ck_assert_int_eq(hc[first].ops[0].reg.value, ZYDIS_REGISTER_R13D);
	ck_assert_int_eq(hc[first].ops[1].mem.disp.value, 0x10);
	ck_assert(is_vcpu_op(first + 1, VCPU_OFF(seg_base[X86_FS])));
	ck_assert_int_eq(hc[first + 1].ops[0].reg.value, ZYDIS_REGISTER_R14D);
	ck_assert_int_eq(hc[first + 2].in.mnemonic, ZYDIS_MNEMONIC_LEA);
	ck_assert_int_eq(hc[first + 2].ops[0].reg.value, ZYDIS_REGISTER_R14D);
	/* ... mov eax, gs:[r14d] */
	ck_assert(is_window_op(first + 3, ZYDIS_REGISTER_R14D, 0));
	ck_assert_int_eq(hc[first + 3].ops[0].reg.value, ZYDIS_REGISTER_EAX);
	for (unsigned i = first; i < first + 3; i++) {
		const ZydisAccessedFlags *f = hc[i].in.cpu_flags;
		ck_assert_msg(!f || !(f->modified | f->set_0 | f->set_1 | f->undefined),
			      "segment-base glue changes flags at +0x%x", hc[i].off);
	}
}
END_TEST

START_TEST(test_lea_gets_addr32_and_no_segment)
{
	static const uint8_t want[] = { 0x67, 0x8d, 0x44, 0x24, 0x04 };
	TRANSLATE(0x8d, 0x44, 0x24, 0x04);           /* lea eax, [esp+4] */
	ck_assert_int_eq(blk.notes[0].rule, XR_LEA);
	ck_assert_mem_eq(blk.code + blk.notes[0].host_off, want, sizeof(want));
}
END_TEST

/* ---- opcodes that mean something else in 64-bit mode ---- */

START_TEST(test_inc_and_dec_short_forms_become_ff_0_and_ff_1)
{
	TRANSLATE(0x40, 0x4b);                       /* inc eax ; dec ebx */
	ck_assert_int_eq(blk.notes[0].rule, XR_INCDEC);
	ck_assert_int_eq(blk.notes[1].rule, XR_INCDEC);
	unsigned a = insn_at(blk.notes[0].host_off), b = insn_at(blk.notes[1].host_off);
	ck_assert_int_eq(hc[a].in.mnemonic, ZYDIS_MNEMONIC_INC);
	ck_assert_int_eq(hc[a].ops[0].reg.value, ZYDIS_REGISTER_EAX);
	ck_assert_int_eq(hc[b].in.mnemonic, ZYDIS_MNEMONIC_DEC);
	ck_assert_int_eq(hc[b].ops[0].reg.value, ZYDIS_REGISTER_EBX);
	ck_assert_uint_eq(blk.code[hc[a].off], 0xff);
	ck_assert_uint_eq(blk.code[hc[b].off], 0xff);
}
END_TEST

/* ---- stack ---- */

START_TEST(test_push_reg_stores_below_esp_before_moving_esp)
{
	TRANSLATE(0x50);                             /* push eax */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 2);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, -4));
	ck_assert_int_eq(hc[first].ops[1].reg.value, ZYDIS_REGISTER_EAX);
	ck_assert(is_lea_esp(first + 1, -4));
	assert_memory_before_esp(0);
}
END_TEST

START_TEST(test_push_imm_stores_the_sign_extended_immediate)
{
	TRANSLATE(0x68, 0x78, 0x56, 0x34, 0x12,      /* push 0x12345678 */
		  0x6a, 0xfe);                       /* push -2 */
	static const uint64_t want[2] = { 0x12345678, 0xfffffffe };
	for (unsigned k = 0; k < 2; k++) {
		unsigned first, end;
		note_insns(k, &first, &end);
		ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, -4));
		ck_assert_uint_eq(hc[first].ops[1].imm.value.u & 0xffffffffu, want[k]);
		ck_assert(is_lea_esp(first + 1, -4));
		assert_memory_before_esp(k);
	}
}
END_TEST

START_TEST(test_push_mem_loads_then_stores_then_moves_esp)
{
	TRANSLATE(0xff, 0x74, 0x24, 0x08);           /* push dword [esp+8] */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 8));      /* the old ESP */
	ck_assert(is_window_op(first + 1, ZYDIS_REGISTER_ESP, -4));
	ck_assert(is_lea_esp(first + 2, -4));
	assert_memory_before_esp(0);
}
END_TEST

START_TEST(test_pop_reg_loads_before_moving_esp)
{
	TRANSLATE(0x5b);                             /* pop ebx */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 0));
	ck_assert(is_lea_esp(first + 1, 4));
	ck_assert_int_eq(hc[end - 1].ops[0].reg.value, ZYDIS_REGISTER_EBX);
	assert_memory_before_esp(0);
}
END_TEST

START_TEST(test_pop_to_esp_relative_memory_addresses_the_incremented_esp)
{
	TRANSLATE(0x8f, 0x44, 0x24, 0x04);           /* pop dword [esp+4] */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 0));      /* load the top */
	ck_assert(is_window_op(first + 1, ZYDIS_REGISTER_ESP, 8));  /* [esp+4] after pop */
	ck_assert(is_lea_esp(first + 2, 4));
	assert_memory_before_esp(0);
}
END_TEST

START_TEST(test_pushad_stores_all_eight_before_moving_esp)
{
	TRANSLATE(0x60);                             /* pushad */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 9);
	for (unsigned r = 0; r < 8; r++)
		ck_assert(is_window_op(first + r, ZYDIS_REGISTER_ESP, -4 * (int64_t)(r + 1)));
	ck_assert(is_lea_esp(first + 8, -32));
}
END_TEST

/* ---- control transfer ---- */

START_TEST(test_call_rel32_stores_the_return_address_and_exits_through_a_stub)
{
	TRANSLATE(0xe8, 0x10, 0x00, 0x00, 0x00);     /* call 0x1015 */
	ck_assert_int_eq(blk.notes[0].rule, XR_CALL);
	ck_assert_uint_eq(blk.nnotes, 1);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, -4));
	ck_assert_uint_eq(hc[first].ops[1].imm.value.u, EIP0 + 5);  /* return address */
	ck_assert(is_lea_esp(first + 1, -4));
	unsigned j = first + 2;
	ck_assert_int_eq(hc[j].in.mnemonic, ZYDIS_MNEMONIC_JMP);
	ck_assert_uint_eq(hc[j].in.raw.imm[0].size, 32);
	ck_assert_uint_eq(blk.desc.nexits, 1);
	const struct tc_exit_desc *x = exit_of(j);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->target, EIP0 + 5 + 0x10);
	ck_assert_uint_eq(branch_target(j), x->stub_off);
	/* The stub tells the monitor where the guest goes. */
	unsigned s = insn_at(x->stub_off);
	ck_assert(is_mov_imm_to_vcpu(s, VCPU_OFF(exit_eip), x->target));
	ck_assert(is_mov_imm_to_vcpu(s + 1, VCPU_OFF(exit_reason), VCPU_EXIT_BRANCH));
}
END_TEST

/* Short and near forms of jz. */
static const uint8_t jcc_forms[][6] = {
	{ 0x74, 0x10, 0xf4, 0xf4, 0xf4, 0xf4 },      /* jz +0x10 → 0x1012 */
	{ 0x0f, 0x84, 0x00, 0x01, 0x00, 0x00 },      /* jz +0x100 → 0x1106 */
};
static const gla_t jcc_taken[] = { EIP0 + 2 + 0x10, EIP0 + 6 + 0x100 };
static const gla_t jcc_next[] = { EIP0 + 2, EIP0 + 6 };

/*
 * Regression (translator bug found while writing these tests): Jcc used to be
 * classified XR_COPY and copied verbatim, so its rel8/rel32 landed at an
 * arbitrary host offset and the block did not end. The verifier now rejects
 * such a block too ("relative branch into another instruction's translation").
 */
START_TEST(test_jcc_ends_the_block_with_a_taken_and_a_fallthrough_exit)
{
	place(EIP0, jcc_forms[_i], sizeof(jcc_forms[_i]));
	translate_raw(EIP0, 0);
	ck_assert_msg(blk.notes[0].rule == XR_JCC,
		      "jz (%02x %02x) translated by rule '%s', not 'jcc'",
		      jcc_forms[_i][0], jcc_forms[_i][1], xlate_rule_name(blk.notes[0].rule));
	assert_verified();
	ck_assert_uint_eq(blk.nnotes, 1);
	ck_assert_uint_eq(blk.desc.nexits, 2);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_JZ);
	const struct tc_exit_desc *taken = exit_of(first), *fall = exit_of(first + 1);
	ck_assert_ptr_nonnull(taken);
	ck_assert_ptr_nonnull(fall);
	ck_assert_uint_eq(taken->target, jcc_taken[_i]);
	ck_assert_uint_eq(fall->target, jcc_next[_i]);
	for (unsigned e = 0; e < 2; e++) {
		ck_assert_uint_lt(blk.exits[e].stub_off, blk.desc.code_len);
		ck_assert(is_boundary(blk.exits[e].stub_off));
	}
	ck_assert_uint_eq(branch_target(first), taken->stub_off);
	ck_assert_uint_eq(branch_target(first + 1), fall->stub_off);
}
END_TEST

START_TEST(test_loop_keeps_ecx_counting_and_has_two_exits)
{
	TRANSLATE(0xe2, 0x10);                       /* loop 0x1012 */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_LOOP);
	ck_assert_uint_eq(hc[first].in.address_width, 32);          /* ECX, not RCX */
	ck_assert_uint_eq(blk.desc.nexits, 2);
	ck_assert_uint_eq(blk.exits[0].target, EIP0 + 2 + 0x10);
	ck_assert_uint_eq(blk.exits[1].target, EIP0 + 2);
}
END_TEST

/*
 * Regression: `67 e2 rel8` (LOOP counting CX: 16-bit address size) was once
 * emitted as `67 e2`, which in 64-bit mode counts ECX. 64-bit mode has no CX
 * form: CX must be decremented and tested as a 16-bit register.
 */
START_TEST(test_loop_with_16_bit_address_size_is_not_run_on_ecx)
{
	static const uint8_t dec_cx[] = { 0x66, 0x44, 0x89, 0xe9 };   /* mov cx, r13w */
	TRANSLATE(0x67, 0xe2, 0x10);                 /* loop (cx) */
	ck_assert_int_eq(blk.notes[0].rule, XR_LOOP);
	/* CX is decremented as a 16-bit register; no `67 e2` (an ECX loop) is emitted */
	ck_assert_ptr_nonnull(memmem(blk.code + blk.notes[0].host_off, blk.notes[0].host_len,
				     dec_cx, sizeof(dec_cx)));
	ck_assert_ptr_null(memmem(blk.code + blk.notes[0].host_off, blk.notes[0].host_len,
				  "\x67\xe2", 2));
	ck_assert_uint_eq(blk.desc.nexits, 2);
}
END_TEST

START_TEST(test_jmp_rel8_becomes_a_chainable_jmp_rel32)
{
	TRANSLATE(0xeb, 0x10);                       /* jmp 0x1012 */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_JMP);
	ck_assert_uint_eq(hc[first].in.raw.imm[0].size, 32);
	ck_assert_uint_eq(blk.desc.nexits, 1);
	ck_assert_uint_eq(exit_of(first)->target, EIP0 + 0x12);
}
END_TEST

/* ret and ret 8: the target from gs:[esp], ESP released, then the IBT. */
static const uint8_t ret_forms[][3] = { { 0xc3, 0xf4, 0xf4 }, { 0xc2, 0x08, 0x00 } };
static const int64_t ret_release[] = { 4, 12 };

START_TEST(test_ret_loads_the_target_then_looks_it_up_in_the_ibt)
{
	translate_at(EIP0, ret_forms[_i], sizeof(ret_forms[_i]));
	ck_assert_int_eq(blk.notes[0].rule, XR_RET);
	ck_assert_uint_eq(blk.desc.nexits, 0);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 0));
	ck_assert_int_eq(hc[first].ops[0].reg.value, ZYDIS_REGISTER_R14D);
	ck_assert(is_lea_esp(first + 1, ret_release[_i]));
	unsigned j0 = find_mn(first, end, ZYDIS_MNEMONIC_JRCXZ);
	ck_assert_uint_lt(j0, end);
	ck_assert_uint_lt(find_mn(j0 + 1, end, ZYDIS_MNEMONIC_JRCXZ), end);   /* two ways */
	/* the hits jump through both ways' host slots; the block ends with way 1 */
	for (unsigned w = 0; w < 2; w++) {
		unsigned at = end - 1 - 2 * (1 - w);
		const ZydisDecodedOperand *m = mem_op(at);
		ck_assert_int_eq(hc[at].in.mnemonic, ZYDIS_MNEMONIC_JMP);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(m->mem.base, ZYDIS_REGISTER_R15);
		ck_assert_int_eq(m->mem.index, ZYDIS_REGISTER_R13);
		ck_assert_uint_eq(m->mem.scale, 8);
		ck_assert_int_eq(m->mem.disp.value, VCPU_OFF(ibt[0].host) + 8 * w);
	}
	/* the miss path stores the target and the INDIRECT reason */
	bool miss = false;
	for (unsigned i = first; i < end; i++)
		miss |= is_mov_imm_to_vcpu(i, VCPU_OFF(exit_reason), VCPU_EXIT_INDIRECT);
	ck_assert(miss);
}
END_TEST

/* ---- inline monitor procedures ---- */

START_TEST(test_cli_is_a_single_store_of_zero_to_the_virtual_if)
{
	TRANSLATE(0xfa);                             /* cli */
	ck_assert_int_eq(blk.notes[0].rule, XR_CLI);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 1);
	ck_assert(is_mov_imm_to_vcpu(first, VCPU_OFF(vif), 0));
	ck_assert_uint_eq(hc[first].in.operand_width, 32);
}
END_TEST

START_TEST(test_sti_sets_the_virtual_if_and_polls_after_the_next_instruction)
{
	TRANSLATE(0xfb, 0x01, 0xd8);                 /* sti ; add eax, ebx */
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 1);
	ck_assert(is_mov_imm_to_vcpu(first, VCPU_OFF(vif), X86_FL_IF));
	/* Right after the add: a read of poll page 1, mapped to the next EIP. */
	uint32_t after = blk.notes[1].host_off + blk.notes[1].host_len;
	unsigned p = insn_at(after);
	ck_assert_uint_lt(p, nhc);
	ck_assert(is_vcpu_op(p, VCPU_OFF(poll[1])));
	ck_assert(hc[p].ops[1].actions & ZYDIS_OPERAND_ACTION_READ);
	bool mapped = false;
	for (unsigned m = 0; m < blk.desc.nmap; m++)
		mapped |= blk.map[m].host_off == after && blk.map[m].guest_eip == EIP0 + 3 &&
			  (blk.map[m].flags & TC_MAP_PROLOGUE);
	ck_assert_msg(mapped, "the post-STI poll has no side-table entry");
}
END_TEST

/* Is host instruction i `lea rsp, [r15 + d]` with d inside vcpu.scratch? */
static bool is_switch_to_scratch(unsigned i)
{
	const int64_t lo = VCPU_OFF(scratch), hi = lo + (int64_t)sizeof(((struct vcpu *)0)->scratch);
	return hc[i].in.mnemonic == ZYDIS_MNEMONIC_LEA && hc[i].ops[0].reg.value == ZYDIS_REGISTER_RSP &&
	       hc[i].ops[1].mem.base == ZYDIS_REGISTER_R15 && hc[i].ops[1].mem.disp.value > lo &&
	       hc[i].ops[1].mem.disp.value <= hi;
}

static void assert_host_stack_only_on_scratch(unsigned k, ZydisMnemonic op)
{
	unsigned first, end;
	note_insns(k, &first, &end);
	unsigned at = find_mn(first, end, op);
	ck_assert_uint_lt(at, end);
	/* Walk back over the glue's own push/pop to the RSP switch. */
	unsigned i = at;
	while (i > first && (hc[i - 1].in.meta.category == ZYDIS_CATEGORY_PUSH ||
			     hc[i - 1].in.meta.category == ZYDIS_CATEGORY_POP))
		i--;
	ck_assert_msg(i > first && is_switch_to_scratch(i - 1),
		      "no lea rsp, [r15+scratch] before the host stack use at +0x%x", hc[at].off);
}

START_TEST(test_pushfd_reads_host_flags_only_on_the_vcpu_scratch_stack)
{
	TRANSLATE(0x9c);                             /* pushfd */
	ck_assert_int_eq(blk.notes[0].rule, XR_PUSHF);
	assert_host_stack_only_on_scratch(0, ZYDIS_MNEMONIC_PUSHFQ);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(end - 2, ZYDIS_REGISTER_ESP, -4));
	ck_assert(is_lea_esp(end - 1, -4));
}
END_TEST

START_TEST(test_popfd_writes_host_flags_only_on_the_vcpu_scratch_stack)
{
	TRANSLATE(0x9d);                             /* popfd */
	ck_assert_int_eq(blk.notes[0].rule, XR_POPF);
	assert_host_stack_only_on_scratch(0, ZYDIS_MNEMONIC_POPFQ);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 0));
	ck_assert(is_lea_esp(first + 1, 4));
}
END_TEST

/* Is host instruction i `lea r64, [r64 + r13]`? */
static bool is_bias(unsigned i, ZydisRegister r)
{
	return hc[i].in.mnemonic == ZYDIS_MNEMONIC_LEA && hc[i].ops[0].reg.value == r &&
	       hc[i].ops[1].mem.base == r && hc[i].ops[1].mem.index == ZYDIS_REGISTER_R13;
}

START_TEST(test_rep_movsd_runs_with_64_bit_addressing_between_bias_and_unbias)
{
	TRANSLATE(0xf3, 0xa5);                       /* rep movsd */
	ck_assert_int_eq(blk.notes[0].rule, XR_STRING);
	unsigned first, end;
	note_insns(0, &first, &end);
	unsigned s = find_mn(first, end, ZYDIS_MNEMONIC_MOVSD);
	ck_assert_uint_lt(s, end);
	ck_assert(hc[s].in.attributes & ZYDIS_ATTRIB_HAS_REP);
	ck_assert(!(hc[s].in.attributes & ZYDIS_ATTRIB_HAS_ADDRESSSIZE));   /* no 67 */
	ck_assert_uint_eq(hc[s].in.address_width, 64);
	/* before: r13 = window base; rdi += r13; rsi += r13 */
	ck_assert(is_vcpu_op(first, VCPU_OFF(win_base)));
	ck_assert(is_bias(first + 1, ZYDIS_REGISTER_RDI));
	ck_assert(is_bias(first + 2, ZYDIS_REGISTER_RSI));
	ck_assert_uint_eq(s, first + 3);
	/* after: r13 = -window base; both un-biased and cut back to 32 bits */
	ck_assert(is_vcpu_op(s + 1, VCPU_OFF(win_neg)));
	ck_assert(is_bias(s + 2, ZYDIS_REGISTER_RDI));
	ck_assert_int_eq(hc[s + 3].ops[0].reg.value, ZYDIS_REGISTER_EDI);
	ck_assert(is_bias(s + 4, ZYDIS_REGISTER_RSI));
	ck_assert_int_eq(hc[s + 5].ops[0].reg.value, ZYDIS_REGISTER_ESI);
	/* a fault inside must be recognised as a biased string op */
	bool flagged = false;
	for (unsigned m = 0; m < blk.desc.nmap; m++)
		if (blk.map[m].host_off == blk.notes[0].host_off && !(blk.map[m].flags & TC_MAP_PROLOGUE))
			flagged = blk.map[m].flags & TC_MAP_STRING;
	ck_assert(flagged);
}
END_TEST

START_TEST(test_mov_from_ds_reads_the_selector_from_the_vcpu)
{
	TRANSLATE(0x8c, 0xd8);                       /* mov eax, ds */
	ck_assert_int_eq(blk.notes[0].rule, XR_MOV_FROM_SREG);
	unsigned first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 1);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_MOVZX);
	ck_assert_int_eq(hc[first].ops[0].reg.value, ZYDIS_REGISTER_EAX);
	ck_assert(is_vcpu_op(first, VCPU_OFF(seg[X86_DS].sel)));
	ck_assert_uint_eq(hc[first].ops[1].size, 16);
}
END_TEST

/* ---- exits to the monitor ---- */

/* Instructions that need a monitor procedure, each after `add eax, ebx`. */
static const uint8_t emulate_forms[][5] = {
	{ 0x01, 0xd8, 0xec },                        /* in al, dx */
	{ 0x01, 0xd8, 0x0f, 0xa2 },                  /* cpuid */
	{ 0x01, 0xd8, 0xf4 },                        /* hlt */
	{ 0x01, 0xd8, 0x0f, 0x22, 0xc0 },            /* mov cr0, eax */
	{ 0x01, 0xd8, 0x0f, 0x01, 0x10 },            /* lgdt [eax] */
};
static const unsigned emulate_len[] = { 3, 4, 3, 5, 5 };

/* The block stores reason and eip into the VirtualCPU and jumps to the trampoline. */
static void assert_exits_with(enum vcpu_exit reason, gla_t eip)
{
	bool r = false, e = false;
	for (unsigned i = 0; i < nhc; i++) {
		r |= is_mov_imm_to_vcpu(i, VCPU_OFF(exit_reason), reason);
		e |= is_mov_imm_to_vcpu(i, VCPU_OFF(exit_eip), eip);
	}
	ck_assert_msg(r && e, "no exit with reason %d at 0x%x", reason, eip);
	ck_assert_int_eq(hc[nhc - 1].in.mnemonic, ZYDIS_MNEMONIC_JMP);
	ck_assert(is_vcpu_op(nhc - 1, VCPU_OFF(exit_tramp)));
}

START_TEST(test_monitor_instructions_end_the_block_with_an_emulate_exit)
{
	translate_at(EIP0, emulate_forms[_i], emulate_len[_i]);
	ck_assert_uint_eq(blk.nnotes, 2);
	ck_assert_int_eq(blk.notes[1].rule, XR_EMULATE);
	ck_assert_uint_eq(blk.desc.nexits, 0);
	ck_assert_uint_eq(blk.desc.guest_len, emulate_len[_i]);
	assert_exits_with(VCPU_EXIT_EMULATE, EIP0 + 2);
}
END_TEST

static const uint8_t ud_forms[][4] = {
	{ 0x0f, 0x0b },                              /* ud2 */
	{ 0xff, 0xff },                              /* ff /7: undecodable */
	{ 0xf2, 0x0f, 0x7c, 0xc1 },                  /* haddps xmm0, xmm1 (SSE3) */
};

START_TEST(test_ud2_undecodable_bytes_and_sse3_exit_with_ud)
{
	translate_at(EIP0, ud_forms[_i], sizeof(ud_forms[_i]));
	ck_assert_uint_eq(blk.nnotes, 1);
	ck_assert_int_eq(blk.notes[0].rule, XR_UD);
	ck_assert_uint_eq(blk.desc.nexits, 0);
	assert_exits_with(VCPU_EXIT_UD, EIP0);
}
END_TEST

/*
 * Regression: the note of an undecodable first instruction once recorded the
 * offset *after* its exit code (host_len 0), so the trace showed no host code.
 */
START_TEST(test_undecodable_first_instruction_note_covers_its_exit_code)
{
	TRANSLATE(0xff, 0xff);
	ck_assert_msg(blk.notes[0].host_len > 0,
		      "note of undecodable bytes has host_off %u, host_len 0",
		      blk.notes[0].host_off);
	ck_assert_uint_eq(blk.notes[0].host_off, blk.map[1].host_off);
}
END_TEST

/* ---- block formation and description ---- */

START_TEST(test_block_stops_at_a_page_boundary)
{
	static const uint8_t adds[] = { 0x01, 0xd8, 0x01, 0xd8, 0x01, 0xd8 };
	translate_at(0x1ffc, adds, sizeof(adds));
	ck_assert_uint_eq(blk.nnotes, 2);
	ck_assert_uint_eq(blk.desc.guest_len, 4);
	ck_assert_uint_eq(blk.desc.nexits, 1);
	ck_assert_uint_eq(blk.exits[0].target, 0x2000);
	ck_assert_uint_eq(blk.desc.npages, 1);
}
END_TEST

START_TEST(test_block_is_capped_at_max_insns)
{
	static const uint8_t nops[8] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	place(EIP0, nops, sizeof(nops));
	translate_raw(EIP0, 3);
	assert_verified();
	ck_assert_uint_eq(blk.nnotes, 3);
	ck_assert_uint_eq(blk.desc.nexits, 1);
	ck_assert_uint_eq(blk.exits[0].target, EIP0 + 3);
}
END_TEST

START_TEST(test_side_table_maps_each_note_to_its_guest_eip)
{
	TRANSLATE(0x01, 0xd8, 0x8b, 0x45, 0x08, 0x50, 0x64, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00,
		  0xfa, 0xe8, 0x00, 0x00, 0x00, 0x00);
	ck_assert_uint_eq(blk.nnotes, 6);
	for (unsigned m = 1; m < blk.desc.nmap; m++)
		ck_assert_uint_le(blk.map[m - 1].host_off, blk.map[m].host_off);
	for (unsigned k = 0; k < blk.nnotes; k++) {
		bool found = false;
		for (unsigned m = 0; m < blk.desc.nmap; m++)
			found |= blk.map[m].host_off == blk.notes[k].host_off &&
				 blk.map[m].guest_eip == blk.notes[k].eip &&
				 blk.map[m].guest_len == blk.notes[k].len && blk.map[m].flags == 0;
		ck_assert_msg(found, "note %u (eip 0x%x) has no side-table entry", k, blk.notes[k].eip);
	}
	for (unsigned e = 0; e < blk.desc.nexits; e++) {
		bool found = false;
		for (unsigned m = 0; m < blk.desc.nmap; m++)
			found |= blk.map[m].host_off == blk.exits[e].stub_off &&
				 (blk.map[m].flags & TC_MAP_STUB) && blk.map[m].guest_eip == blk.exits[e].target;
		ck_assert(found);
	}
}
END_TEST

START_TEST(test_code_hash_is_xxh3_of_the_guest_bytes)
{
	TRANSLATE(0x01, 0xd8, 0x8b, 0x45, 0x08, 0x40);
	uint32_t sum = 0;
	for (unsigned k = 0; k < blk.nnotes; k++)
		sum += blk.notes[k].len;
	ck_assert_uint_eq(blk.desc.guest_len, sum);
	ck_assert_uint_eq(blk.desc.eip, EIP0);
	ck_assert(blk.desc.code_hash == tc_hash_code(guest_mem + EIP0, blk.desc.guest_len));
	ck_assert(blk.desc.code_hash != tc_hash_code(guest_mem + EIP0, blk.desc.guest_len - 1));
}
END_TEST

START_TEST(test_block_straddling_two_pages_lists_both_physical_pages)
{
	gpa_of_page[1] = 0x7000;                     /* guest-linear 0x1000 page */
	gpa_of_page[2] = 0x3000;                     /* guest-linear 0x2000 page */
	static const uint8_t code[] = { 0x01, 0xd8, 0x8b, 0x45, 0x08 };
	translate_at(0x1ffd, code, sizeof(code));    /* the mov straddles 0x2000 */
	ck_assert_uint_eq(blk.nnotes, 2);
	ck_assert_uint_eq(blk.desc.key.pa, 0x7ffd);
	ck_assert_uint_eq(blk.desc.npages, 2);
	ck_assert_uint_eq(blk.desc.pages[0], 0x7000);
	ck_assert_uint_eq(blk.desc.pages[1], 0x3000);
	ck_assert_uint_eq(blk.exits[0].target, 0x2002);
}
END_TEST

/* ---- the verifier on hand-made bad blocks ---- */

static bt_status verify_copy_note(const uint8_t *code, uint32_t len, char *err, size_t errlen)
{
	struct tc_block_desc d = { .eip = EIP0, .code = code, .code_len = len };
	struct xlate_note n = { .eip = EIP0, .rule = XR_COPY, .host_off = 0, .host_len = len };
	return xlate_verify(&d, &n, 1, err, errlen);
}

START_TEST(test_verifier_rejects_a_load_through_a_host_register)
{
	static const uint8_t code[] = { 0x8b, 0x00 };         /* mov eax, [rax] */
	char err[256] = "";
	ck_assert_int_eq(verify_copy_note(code, sizeof(code), err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "neither gs:[addr32] nor a VirtualCPU access"), "%s", err);
	ck_assert_msg(strstr(err, "[rax]"), "%s", err);
}
END_TEST

START_TEST(test_verifier_rejects_a_host_push_in_guest_code)
{
	static const uint8_t code[] = { 0x50 };               /* push rax */
	char err[256] = "";
	ck_assert_int_eq(verify_copy_note(code, sizeof(code), err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "host stack instruction in guest-derived code"), "%s", err);
	ck_assert_msg(strstr(err, "push rax"), "%s", err);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("translator rules");
	TCase *tc;

	tc = tcase_create("copy");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_add_reg_reg_is_copied_verbatim);
	tcase_add_test(tc, test_x87_and_sse2_registers_only_are_copied_verbatim);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory operands");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_load_from_ebp_disp8_gains_gs_and_addr32_prefixes);
	tcase_add_test(tc, test_store_with_sib_keeps_the_sib_byte);
	tcase_add_test(tc, test_store_immediate_keeps_its_immediate_after_the_displacement);
	tcase_add_loop_test(tc, test_absolute_disp32_is_addressed_through_sib_not_rip_relative,
			    0, (int)BT_ARRAY_SIZE(abs_forms));
	tcase_add_test(tc, test_fs_operand_adds_the_segment_base_without_touching_flags);
	tcase_add_test(tc, test_lea_gets_addr32_and_no_segment);
	suite_add_tcase(s, tc);

	tc = tcase_create("64-bit meaning");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_inc_and_dec_short_forms_become_ff_0_and_ff_1);
	suite_add_tcase(s, tc);

	tc = tcase_create("stack");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_push_reg_stores_below_esp_before_moving_esp);
	tcase_add_test(tc, test_push_imm_stores_the_sign_extended_immediate);
	tcase_add_test(tc, test_push_mem_loads_then_stores_then_moves_esp);
	tcase_add_test(tc, test_pop_reg_loads_before_moving_esp);
	tcase_add_test(tc, test_pop_to_esp_relative_memory_addresses_the_incremented_esp);
	tcase_add_test(tc, test_pushad_stores_all_eight_before_moving_esp);
	suite_add_tcase(s, tc);

	tc = tcase_create("control transfer");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_call_rel32_stores_the_return_address_and_exits_through_a_stub);
	tcase_add_loop_test(tc, test_jcc_ends_the_block_with_a_taken_and_a_fallthrough_exit,
			    0, (int)BT_ARRAY_SIZE(jcc_forms));
	tcase_add_test(tc, test_loop_keeps_ecx_counting_and_has_two_exits);
	tcase_add_test(tc, test_loop_with_16_bit_address_size_is_not_run_on_ecx);
	tcase_add_test(tc, test_jmp_rel8_becomes_a_chainable_jmp_rel32);
	tcase_add_loop_test(tc, test_ret_loads_the_target_then_looks_it_up_in_the_ibt,
			    0, (int)BT_ARRAY_SIZE(ret_forms));
	suite_add_tcase(s, tc);

	tc = tcase_create("inline monitor procedures");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_cli_is_a_single_store_of_zero_to_the_virtual_if);
	tcase_add_test(tc, test_sti_sets_the_virtual_if_and_polls_after_the_next_instruction);
	tcase_add_test(tc, test_pushfd_reads_host_flags_only_on_the_vcpu_scratch_stack);
	tcase_add_test(tc, test_popfd_writes_host_flags_only_on_the_vcpu_scratch_stack);
	tcase_add_test(tc, test_rep_movsd_runs_with_64_bit_addressing_between_bias_and_unbias);
	tcase_add_test(tc, test_mov_from_ds_reads_the_selector_from_the_vcpu);
	suite_add_tcase(s, tc);

	tc = tcase_create("monitor exits");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_loop_test(tc, test_monitor_instructions_end_the_block_with_an_emulate_exit,
			    0, (int)BT_ARRAY_SIZE(emulate_forms));
	tcase_add_loop_test(tc, test_ud2_undecodable_bytes_and_sse3_exit_with_ud,
			    0, (int)BT_ARRAY_SIZE(ud_forms));
	tcase_add_test(tc, test_undecodable_first_instruction_note_covers_its_exit_code);
	suite_add_tcase(s, tc);

	tc = tcase_create("block description");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_block_stops_at_a_page_boundary);
	tcase_add_test(tc, test_block_is_capped_at_max_insns);
	tcase_add_test(tc, test_side_table_maps_each_note_to_its_guest_eip);
	tcase_add_test(tc, test_code_hash_is_xxh3_of_the_guest_bytes);
	tcase_add_test(tc, test_block_straddling_two_pages_lists_both_physical_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("verifier");
	tcase_add_test(tc, test_verifier_rejects_a_load_through_a_host_register);
	tcase_add_test(tc, test_verifier_rejects_a_host_push_in_guest_code);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
