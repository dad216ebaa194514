/*
 * test_segload.c — the inline segment-register rules (src/translator/
 * segload.c, stack.c's PUSH sreg): which instructions they take at which
 * CPL, and what their host code does in which order — selector and
 * descriptor read before any guest state changes, no host flags written
 * (VERR/VERW: ZF only, on the scratch stack), the descriptor read marked in
 * the side table, the memo key formed for the block's CPL, a miss exiting
 * at the instruction — plus the verifier's RCX-swap tracking these
 * sequences rely on. What the sequences compute is checked by the guest
 * kernel tests/guests/system/segload.c.
 */
#include "xlate_fixture.h"

/* Host instructions of note k that access guest memory (gs:). */
static unsigned window_accesses(unsigned k, unsigned *idx, unsigned max)
{
	unsigned first, end, n = 0;
	note_insns(k, &first, &end);
	for (unsigned i = first; i < end; i++) {
		const ZydisDecodedOperand *m = mem_op(i);
		if (m && m->mem.type != ZYDIS_MEMOP_TYPE_AGEN && m->mem.segment == ZYDIS_REGISTER_GS && n < max)
			idx[n++] = i;
	}
	return n;
}

/* Does instruction i write to the VirtualCPU in [lo, hi)? */
static bool writes_vcpu_range(unsigned i, int64_t lo, int64_t hi)
{
	const ZydisDecodedOperand *m = mem_op(i);
	return m && m->mem.base == ZYDIS_REGISTER_R15 && m->mem.index == ZYDIS_REGISTER_NONE &&
	       (m->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && m->mem.disp.value >= lo &&
	       m->mem.disp.value < hi;
}

/* INVARIANT under test: in code order (the null path comes last), no guest
 * memory is touched after note k first changes ESP. */
static void assert_window_before_esp(unsigned k)
{
	unsigned first, end, i;
	note_insns(k, &first, &end);
	for (i = first; i < end && !writes_esp(i); i++)
		;
	for (; i < end; i++) {
		const ZydisDecodedOperand *m = mem_op(i);
		ck_assert_msg(!m || m->mem.type == ZYDIS_MEMOP_TYPE_AGEN || m->mem.segment != ZYDIS_REGISTER_GS,
			      "note %u reads guest memory after changing ESP (+0x%x)", k, hc[i].off);
	}
}

static bool changes_flags(unsigned i)
{
	const ZydisAccessedFlags *f = hc[i].in.cpu_flags;
	return f && (f->modified | f->set_0 | f->set_1 | f->undefined);
}

/* ---- which instructions take the inline rules ---- */

static const struct { uint8_t bytes[4]; unsigned len, seg, size; } push_forms[] = {
	{ { 0x06 }, 1, X86_ES, 4 }, { { 0x0e }, 1, X86_CS, 4 }, { { 0x16 }, 1, X86_SS, 4 },
	{ { 0x1e }, 1, X86_DS, 4 }, { { 0x0f, 0xa0 }, 2, X86_FS, 4 }, { { 0x0f, 0xa8 }, 2, X86_GS, 4 },
	{ { 0x66, 0x1e }, 2, X86_DS, 2 }, { { 0x66, 0x0f, 0xa0 }, 3, X86_FS, 2 },
};

START_TEST(test_push_of_each_segment_register_stores_the_selector_below_esp)
{
	translate_at(EIP0, push_forms[_i].bytes, push_forms[_i].len);
	ck_assert_int_eq(blk.notes[0].rule, XR_PUSH_SREG);
	ck_assert_uint_ge(blk.nnotes, 2);                         /* the block goes on */
	unsigned first, end, size = push_forms[_i].size;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(end - first, 3);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_MOVZX);
	ck_assert_int_eq(hc[first].ops[0].reg.value, ZYDIS_REGISTER_R12D);
	ck_assert(is_vcpu_op(first, VCPU_OFF(seg[push_forms[_i].seg].sel)));
	ck_assert(is_window_op(first + 1, ZYDIS_REGISTER_ESP, -(int64_t)size));
	ck_assert_uint_eq(hc[first + 1].ops[0].size, size * 8);   /* zero-extended for 32 bits */
	ck_assert(is_lea_esp(first + 2, -(int64_t)size));
}
END_TEST

static const struct { uint8_t bytes[4]; unsigned len; } load_forms[] = {
	{ { 0x8e, 0xd8 }, 2 },                   /* mov ds, eax */
	{ { 0x8e, 0xc2 }, 2 },                   /* mov es, edx */
	{ { 0x8e, 0xe0 }, 2 },                   /* mov fs, eax */
	{ { 0x66, 0x8e, 0xe9 }, 3 },             /* mov gs, cx */
	{ { 0x8e, 0x18 }, 2 },                   /* mov ds, [eax] */
	{ { 0x8e, 0x64, 0x24, 0x24 }, 4 },       /* mov fs, [esp+0x24] (Linux's SYSEXIT path) */
	{ { 0x64, 0x8e, 0x18 }, 3 },             /* mov ds, fs:[eax] */
	{ { 0x1f }, 1 },                         /* pop ds */
	{ { 0x07 }, 1 },                         /* pop es */
	{ { 0x0f, 0xa1 }, 2 },                   /* pop fs */
	{ { 0x66, 0x0f, 0xa9 }, 3 },             /* pop gs (16-bit) */
};

START_TEST(test_loads_of_ds_es_fs_gs_are_inline_and_the_block_goes_on)
{
	translate_at(EIP0, load_forms[_i].bytes, load_forms[_i].len);
	ck_assert_int_eq(blk.notes[0].rule, XR_LOAD_SREG);
	ck_assert_uint_ge(blk.nnotes, 2);
	ck_assert_uint_eq(blk.notes[1].eip, EIP0 + load_forms[_i].len);
}
END_TEST

START_TEST(test_ss_and_cs_loads_still_end_the_block_with_an_exit)
{
	static const uint8_t forms[][2] = { { 0x8e, 0xd0 }, { 0x17, 0xf4 } };   /* mov ss, eax; pop ss */
	translate_at(EIP0, forms[_i], _i == 0 ? 2 : 1);
	ck_assert_int_eq(blk.notes[0].rule, XR_EMULATE);
	ck_assert_uint_eq(blk.nnotes, 1);
}
END_TEST

static const struct { uint8_t bytes[8]; unsigned len; bool verw; } probe_forms[] = {
	{ { 0x0f, 0x00, 0xe8 }, 3, true },                         /* verw ax */
	{ { 0x0f, 0x00, 0xe1 }, 3, false },                        /* verr cx */
	{ { 0x0f, 0x00, 0x28 }, 3, true },                         /* verw [eax] */
	{ { 0x2e, 0x0f, 0x00, 0x2d, 0x34, 0x12, 0, 0 }, 8, true }, /* verw cs:[0x1234] (Linux's MDS clear) */
};

START_TEST(test_verr_and_verw_are_inline)
{
	translate_at(EIP0, probe_forms[_i].bytes, probe_forms[_i].len);
	ck_assert_int_eq(blk.notes[0].rule, XR_VERX);
	ck_assert_uint_ge(blk.nnotes, 2);
}
END_TEST

/* At CPL 3 with paging the user window cannot read the GDT: exits. */
START_TEST(test_loads_and_probes_exit_at_cpl3_with_paging_only)
{
	static const uint8_t mov_ds[] = { 0x8e, 0xd8 }, pop_fs[] = { 0x0f, 0xa1 },
		verw[] = { 0x0f, 0x00, 0xe8 }, push_ds[] = { 0x1e };
	const struct { const uint8_t *b; unsigned len; enum xlate_rule inline_rule; } f[] = {
		{ mov_ds, 2, XR_LOAD_SREG }, { pop_fs, 2, XR_LOAD_SREG }, { verw, 3, XR_VERX },
		{ push_ds, 1, XR_PUSH_SREG } };
	for (unsigned i = 0; i < BT_ARRAY_SIZE(f); i++) {
		fixture_mode = 3 | TC_MODE_PG;
		translate_at(EIP0, f[i].b, f[i].len);
		ck_assert_int_eq(blk.notes[0].rule, f[i].inline_rule == XR_PUSH_SREG ? XR_PUSH_SREG : XR_EMULATE);
		fixture_mode = 3;
		translate_at(EIP0, f[i].b, f[i].len);
		ck_assert_int_eq(blk.notes[0].rule, f[i].inline_rule);
	}
}
END_TEST

/* ---- the load sequence ---- */

/* The index of the host instruction at offset off in the side table's
 * TC_MAP_DESC entry, checking that the entry covers exactly one instruction. */
static unsigned desc_read_of_note(unsigned k)
{
	unsigned found = nhc;
	for (unsigned m = 0; m < blk.desc.nmap; m++) {
		if (!(blk.map[m].flags & TC_MAP_DESC))
			continue;
		ck_assert_uint_eq(found, nhc);                            /* only one */
		ck_assert_uint_eq(blk.map[m].guest_eip, blk.notes[k].eip);
		found = insn_at(blk.map[m].host_off);
		ck_assert_uint_lt(found, nhc);
		ck_assert_uint_lt(m + 1, blk.desc.nmap);                  /* closed right after */
		ck_assert_uint_eq(blk.map[m + 1].host_off, hc[found].off + hc[found].in.length);
		ck_assert_uint_eq(blk.map[m + 1].guest_eip, blk.notes[k].eip);
		ck_assert_uint_eq(blk.map[m + 1].flags & TC_MAP_DESC, 0);
	}
	ck_assert_msg(found < nhc, "no TC_MAP_DESC side-table entry");
	return found;
}

START_TEST(test_load_reads_selector_then_descriptor_before_changing_state)
{
	static const uint8_t code[] = { 0x8e, 0x18 };                 /* mov ds, [eax] */
	translate_at(EIP0, code, sizeof(code));
	unsigned acc[4], first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(window_accesses(0, acc, 4), 2);
	/* 1: the selector, first of all */
	ck_assert_uint_eq(acc[0], first);
	ck_assert_int_eq(hc[first].in.mnemonic, ZYDIS_MNEMONIC_MOVZX);
	ck_assert_int_eq(hc[first].ops[0].reg.value, ZYDIS_REGISTER_R12D);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_EAX, 0));
	/* 2: the 8 descriptor bytes at the memo's address, marked for fault.c */
	ck_assert_uint_eq(acc[1], desc_read_of_note(0));
	ck_assert(is_window_op(acc[1], ZYDIS_REGISTER_R13D, 0));
	ck_assert_uint_eq(hc[acc[1]].ops[0].size, 64);
	ck_assert_int_eq(hc[acc[1] - 1].ops[0].reg.value, ZYDIS_REGISTER_R13D);
	ck_assert(is_vcpu_op(acc[1] - 1, VCPU_OFF(seg_memo[X86_DS].la)));
	/* the segment register is written only after both reads */
	const int64_t seg_lo = VCPU_OFF(seg[X86_DS]), seg_hi = seg_lo + (int64_t)sizeof(struct vcpu_seg);
	for (unsigned i = first; i < acc[1]; i++)
		ck_assert_msg(!writes_vcpu_range(i, seg_lo, seg_hi), "segment written before the reads (+0x%x)",
			      hc[i].off);
}
END_TEST

START_TEST(test_pop_moves_esp_only_after_both_reads)
{
	static const uint8_t forms[][3] = { { 0x0f, 0xa1 }, { 0x66, 0x0f, 0xa1 } };   /* pop fs (32, 16) */
	static const unsigned len[] = { 2, 3 };
	static const int64_t size[] = { 4, 2 };
	translate_at(EIP0, forms[_i], len[_i]);
	ck_assert_int_eq(blk.notes[0].rule, XR_LOAD_SREG);
	assert_window_before_esp(0);
	unsigned acc[4], first, end;
	note_insns(0, &first, &end);
	ck_assert_uint_eq(window_accesses(0, acc, 4), 2);
	ck_assert(is_window_op(first, ZYDIS_REGISTER_ESP, 0));
	ck_assert_uint_eq(hc[first].ops[1].size, (unsigned)size[_i] * 8);   /* the whole slot */
	unsigned lea = 0;
	for (unsigned i = first; i < end; i++)
		lea += is_lea_esp(i, size[_i]);
	ck_assert_uint_eq(lea, 2);                         /* the null path and the hit path */
}
END_TEST

START_TEST(test_load_key_is_formed_for_the_blocks_cpl)
{
	static const uint8_t code[] = { 0x8e, 0xe0 };                 /* mov fs, eax */
	for (unsigned cpl = 0; cpl < 4; cpl++) {
		fixture_mode = cpl;
		translate_at(EIP0, code, sizeof(code));
		unsigned first, end, hits = 0;
		note_insns(0, &first, &end);
		for (unsigned i = first; i + 2 < end; i++) {
			if (!is_vcpu_op(i, VCPU_OFF(seg_memo[X86_FS].key)))
				continue;
			ck_assert_int_eq(hc[i + 1].in.mnemonic, ZYDIS_MNEMONIC_NOT);
			const ZydisDecodedOperand *m = &hc[i + 2].ops[1];
			ck_assert_int_eq(hc[i + 2].in.mnemonic, ZYDIS_MNEMONIC_LEA);
			ck_assert_int_eq(m->mem.index, ZYDIS_REGISTER_R12);
			ck_assert_int_eq(m->mem.disp.value, (int64_t)VCPU_MEMO_KEY(0, cpl) + 1);
			hits++;
		}
		ck_assert_uint_eq(hits, 1);
	}
}
END_TEST

START_TEST(test_load_hit_copies_the_memo_and_the_base_copy)
{
	static const uint8_t code[] = { 0x8e, 0xe8 };                 /* mov gs, eax */
	translate_at(EIP0, code, sizeof(code));
	unsigned first, end;
	note_insns(0, &first, &end);
	bool seg0 = false, seg8 = false, base = false, null_sel = false, null_flags = false;
	for (unsigned i = first; i < end; i++) {
		seg0 |= writes_vcpu_range(i, VCPU_OFF(seg[X86_GS]), VCPU_OFF(seg[X86_GS]) + 1) &&
			hc[i].ops[0].size == 64 && is_vcpu_op(i - 1, VCPU_OFF(seg_memo[X86_GS].seg));
		seg8 |= writes_vcpu_range(i, VCPU_OFF(seg[X86_GS]) + 8, VCPU_OFF(seg[X86_GS]) + 9) &&
			hc[i].ops[0].size == 64 && is_vcpu_op(i - 1, VCPU_OFF(seg_memo[X86_GS].seg) + 8);
		base |= writes_vcpu_range(i, VCPU_OFF(seg_base[X86_GS]), VCPU_OFF(seg_base[X86_GS]) + 1) &&
			is_vcpu_op(i - 1, VCPU_OFF(seg_memo[X86_GS].seg.base));
		null_sel |= writes_vcpu_range(i, VCPU_OFF(seg[X86_GS].sel), VCPU_OFF(seg[X86_GS].sel) + 1) &&
			    hc[i].ops[0].size == 16 && hc[i].ops[1].reg.value == ZYDIS_REGISTER_R12W;
		null_flags |= is_mov_imm_to_vcpu(i, VCPU_OFF(seg[X86_GS].flags), 0);
	}
	ck_assert(seg0 && seg8 && base);
	ck_assert(null_sel && null_flags);
}
END_TEST

START_TEST(test_load_miss_exits_to_the_monitor_at_the_instruction)
{
	static const uint8_t code[] = { 0x01, 0xd8, 0x8e, 0xd8 };     /* add eax, ebx; mov ds, eax */
	translate_at(EIP0, code, sizeof(code));
	ck_assert_int_eq(blk.notes[1].rule, XR_LOAD_SREG);
	unsigned first, end, exits = 0;
	note_insns(1, &first, &end);
	for (unsigned i = first; i + 2 < end; i++)
		if (is_mov_imm_to_vcpu(i, VCPU_OFF(exit_eip), EIP0 + 2)) {
			ck_assert(is_mov_imm_to_vcpu(i + 1, VCPU_OFF(exit_reason), VCPU_EXIT_EMULATE));
			ck_assert(is_vcpu_op(i + 2, VCPU_OFF(exit_tramp)));
			exits++;
		}
	ck_assert_uint_eq(exits, 1);     /* key and descriptor misses share it */
}
END_TEST

/* Guest flags live in host RFLAGS: the whole sequence is flag-free. */
START_TEST(test_load_and_push_sequences_change_no_flags)
{
	static const uint8_t code[] = { 0x8e, 0x64, 0x24, 0x24, 0x0f, 0xa9, 0x0f, 0xa0, 0x64, 0x8e, 0x18 };
	translate_at(EIP0, code, sizeof(code));   /* mov fs,[esp+0x24]; pop gs; push fs; mov ds,fs:[eax] */
	for (unsigned k = 0; k < 4; k++) {
		unsigned first, end;
		note_insns(k, &first, &end);
		for (unsigned i = first; i < end; i++)
			ck_assert_msg(!changes_flags(i), "note %u changes flags at +0x%x", k, hc[i].off);
	}
}
END_TEST

/* ---- the probe sequence ---- */

START_TEST(test_verx_replaces_only_zf_on_the_scratch_stack)
{
	translate_at(EIP0, probe_forms[_i].bytes, probe_forms[_i].len);
	const int64_t memo = probe_forms[_i].verw ? VCPU_OFF(verw_memo) : VCPU_OFF(verr_memo);
	unsigned first, end;
	note_insns(0, &first, &end);
	unsigned pushf = find_mn(first, end, ZYDIS_MNEMONIC_PUSHFQ);
	unsigned popf = find_mn(first, end, ZYDIS_MNEMONIC_POPFQ);
	ck_assert_uint_lt(pushf, popf);
	ck_assert_uint_lt(popf, end);
	ck_assert_int_eq(hc[pushf - 1].in.mnemonic, ZYDIS_MNEMONIC_LEA);   /* lea rsp, [r15+scratch] */
	ck_assert_int_eq(hc[pushf - 1].ops[0].reg.value, ZYDIS_REGISTER_RSP);
	ck_assert_int_eq(hc[pushf - 1].ops[1].mem.base, ZYDIS_REGISTER_R15);
	/* flags change only between pushfq and popfq (restored by the latter) */
	for (unsigned i = first; i < end; i++)
		if (i <= pushf || i >= popf)
			ck_assert_msg(!changes_flags(i) || i == popf, "flags changed at +0x%x", hc[i].off);
	bool and_zf = false, or_memo = false;
	for (unsigned i = pushf; i < popf; i++) {
		and_zf |= hc[i].in.mnemonic == ZYDIS_MNEMONIC_AND && hc[i].ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
			  (uint32_t)hc[i].ops[1].imm.value.u == ~(uint32_t)X86_FL_ZF;
		or_memo |= hc[i].in.mnemonic == ZYDIS_MNEMONIC_OR &&
			   is_vcpu_op(i, memo + (int64_t)offsetof(struct vcpu_probe_memo, zf));
	}
	ck_assert(and_zf && or_memo);
	(void)desc_read_of_note(0);
	ck_assert(is_vcpu_op(find_mn(first, end, ZYDIS_MNEMONIC_NOT) - 1,
			     memo + (int64_t)offsetof(struct vcpu_probe_memo, key)));
}
END_TEST

/* ---- block limits ---- */

START_TEST(test_a_block_of_loads_ends_before_the_code_buffer_fills)
{
	uint8_t code[2 * 63];
	for (unsigned i = 0; i < sizeof(code); i += 2) {
		code[i] = 0x8e;
		code[i + 1] = 0xd8;                                   /* mov ds, eax */
	}
	translate_at(EIP0, code, sizeof(code));
	ck_assert_str_eq(blk.end_reason, "host code buffer nearly full");
	ck_assert_uint_gt(blk.nnotes, 20);
	ck_assert_uint_le(blk.desc.code_len, XLATE_MAX_CODE);
	ck_assert_uint_eq(blk.desc.nexits, 1);                    /* continues after the last load */
	ck_assert_uint_eq(blk.exits[0].target, EIP0 + 2 * blk.nnotes);
}
END_TEST

/* ---- the verifier's RCX tracking ---- */

static bt_status verify_one_note(const uint8_t *code, uint32_t len, enum xlate_rule rule,
				 char *err, size_t errlen)
{
	struct tc_block_desc d = { .eip = EIP0, .code = code, .code_len = len };
	struct xlate_note n = { .eip = EIP0, .rule = rule, .host_off = 0, .host_len = len };
	return xlate_verify(&d, &n, 1, err, errlen);
}

#define XCHG_RCX_R13 0x4c, 0x87, 0xe9
#define EXIT_TRAMP   0x41, 0xff, 0x67, 0x50                 /* jmp [r15+0x50] */

START_TEST(test_verifier_rejects_guest_memory_access_while_rcx_is_swapped)
{
	static const uint8_t code[] = { XCHG_RCX_R13, 0x65, 0x67, 0x8b, 0x01, XCHG_RCX_R13 };
	char err[256] = "";
	ck_assert_int_eq(verify_one_note(code, sizeof(code), XR_LOAD_SREG, err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "while RCX holds a scratch value"), "%s", err);
}
END_TEST

START_TEST(test_verifier_rejects_an_exit_while_rcx_is_swapped)
{
	static const uint8_t code[] = { XCHG_RCX_R13, 0xe3, 0x00, EXIT_TRAMP };
	char err[256] = "";
	ck_assert_int_eq(verify_one_note(code, sizeof(code), XR_LOAD_SREG, err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "indirect jump out while RCX holds a scratch value"), "%s", err);
}
END_TEST

START_TEST(test_verifier_follows_jrcxz_to_where_rcx_is_still_swapped)
{
	/* xchg; jrcxz L; xchg; L: mov eax, gs:[eax] — the two paths meet with
	 * RCX swapped on one of them */
	static const uint8_t bad[] = { XCHG_RCX_R13, 0xe3, 0x03, XCHG_RCX_R13, 0x65, 0x67, 0x8b, 0x00 };
	/* xchg; jrcxz L; xchg; exit; L: xchg; mov eax, gs:[eax] — correct */
	static const uint8_t good[] = { XCHG_RCX_R13, 0xe3, 0x07, XCHG_RCX_R13, EXIT_TRAMP,
					XCHG_RCX_R13, 0x65, 0x67, 0x8b, 0x00 };
	char err[256] = "";
	ck_assert_int_eq(verify_one_note(bad, sizeof(bad), XR_LOAD_SREG, err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "differs between paths"), "%s", err);
	ck_assert_msg(verify_one_note(good, sizeof(good), XR_LOAD_SREG, err, sizeof(err)) == BT_OK, "%s", err);
}
END_TEST

START_TEST(test_verifier_allows_the_scratch_stack_in_verx_only)
{
	/* mov r13, rsp; lea rsp, [r15+0xc0]; pushfq; pop r12; mov rsp, r13 */
	static const uint8_t code[] = { 0x49, 0x89, 0xe5, 0x49, 0x8d, 0xa7, 0xc0, 0x00, 0x00, 0x00,
					0x9c, 0x41, 0x5c, 0x4c, 0x89, 0xec };
	char err[256] = "";
	ck_assert_int_eq((int)offsetof(struct vcpu, scratch) + (int)sizeof(((struct vcpu *)0)->scratch), 0xc0);
	ck_assert_msg(verify_one_note(code, sizeof(code), XR_VERX, err, sizeof(err)) == BT_OK, "%s", err);
	ck_assert_int_eq(verify_one_note(code, sizeof(code), XR_LOAD_SREG, err, sizeof(err)), BT_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err, "host stack instruction in guest-derived code"), "%s", err);
}
END_TEST

static Suite *segload_suite(void)
{
	Suite *s = suite_create("translator segment rules");
	TCase *tc;

	tc = tcase_create("classification");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_loop_test(tc, test_push_of_each_segment_register_stores_the_selector_below_esp,
			    0, (int)BT_ARRAY_SIZE(push_forms));
	tcase_add_loop_test(tc, test_loads_of_ds_es_fs_gs_are_inline_and_the_block_goes_on,
			    0, (int)BT_ARRAY_SIZE(load_forms));
	tcase_add_loop_test(tc, test_ss_and_cs_loads_still_end_the_block_with_an_exit, 0, 2);
	tcase_add_loop_test(tc, test_verr_and_verw_are_inline, 0, (int)BT_ARRAY_SIZE(probe_forms));
	tcase_add_test(tc, test_loads_and_probes_exit_at_cpl3_with_paging_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("load sequence");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_load_reads_selector_then_descriptor_before_changing_state);
	tcase_add_loop_test(tc, test_pop_moves_esp_only_after_both_reads, 0, 2);
	tcase_add_test(tc, test_load_key_is_formed_for_the_blocks_cpl);
	tcase_add_test(tc, test_load_hit_copies_the_memo_and_the_base_copy);
	tcase_add_test(tc, test_load_miss_exits_to_the_monitor_at_the_instruction);
	tcase_add_test(tc, test_load_and_push_sequences_change_no_flags);
	suite_add_tcase(s, tc);

	tc = tcase_create("probe sequence");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_loop_test(tc, test_verx_replaces_only_zf_on_the_scratch_stack,
			    0, (int)BT_ARRAY_SIZE(probe_forms));
	suite_add_tcase(s, tc);

	tc = tcase_create("block limits");
	tcase_add_checked_fixture(tc, reset_guest, NULL);
	tcase_add_test(tc, test_a_block_of_loads_ends_before_the_code_buffer_fills);
	suite_add_tcase(s, tc);

	tc = tcase_create("verifier");
	tcase_add_test(tc, test_verifier_rejects_guest_memory_access_while_rcx_is_swapped);
	tcase_add_test(tc, test_verifier_rejects_an_exit_while_rcx_is_swapped);
	tcase_add_test(tc, test_verifier_follows_jrcxz_to_where_rcx_is_still_swapped);
	tcase_add_test(tc, test_verifier_allows_the_scratch_stack_in_verx_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(segload_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
