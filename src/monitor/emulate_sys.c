/*
 * emulate_sys.c — monitor procedures for system state: descriptor-table
 * registers, control and debug registers, segment loads and far jumps,
 * software interrupts and IRET, and the IF/IOPL instructions at CPL > 0.
 */
#include "emulate.h"

static enum emu_result op_lgdt_lidt(struct machine *m, const struct emu_insn *e)
{
	uint8_t b[6];
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	if (!emu_read_mem(m, emulate_ea(m, &e->ops[0]), b, 6))
		return EMU_EXCEPTION;
	struct vcpu_table_reg *t = e->in.mnemonic == ZYDIS_MNEMONIC_LGDT ? &m->vcpu->gdtr : &m->vcpu->idtr;
	t->limit = (uint16_t)(b[0] | b[1] << 8);
	t->base = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
	if (e->in.operand_width == 16)
		t->base &= 0x00ffffffu;
	if (t == &m->vcpu->gdtr)
		vcpu_memo_clear(m->vcpu);   /* selectors may name other descriptors now */
	return EMU_NEXT;
}

static enum emu_result op_sgdt_sidt(struct machine *m, const struct emu_insn *e)
{
	const struct vcpu_table_reg *t = e->in.mnemonic == ZYDIS_MNEMONIC_SGDT ? &m->vcpu->gdtr : &m->vcpu->idtr;
	uint8_t b[6] = { (uint8_t)t->limit, (uint8_t)(t->limit >> 8), (uint8_t)t->base,
			 (uint8_t)(t->base >> 8), (uint8_t)(t->base >> 16), (uint8_t)(t->base >> 24) };
	return emu_write_mem(m, emulate_ea(m, &e->ops[0]), b, 6) ? EMU_NEXT : EMU_EXCEPTION;
}

static enum emu_result op_smsw(struct machine *m, const struct emu_insn *e)
{
	uint32_t v = m->vcpu->cr0;
	if (e->ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY)
		v &= 0xffff;
	return emu_operand_write(m, &e->ops[0], v) ? EMU_NEXT : EMU_EXCEPTION;
}

static enum emu_result set_cr0(struct machine *m, uint32_t val)
{
	struct vcpu *v = m->vcpu;
	if (!(val & X86_CR0_PE)) {
		machine_stop(m, 1, true, "guest left protected mode (CR0.PE=0): real mode is not supported");
		return EMU_STOP;
	}
	uint32_t old = v->cr0;
	v->cr0 = val | X86_CR0_ET;
	if ((old ^ v->cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		machine_paging_changed(m);
	return EMU_NEXT;
}

static enum emu_result op_lmsw(struct machine *m, const struct emu_insn *e)
{
	uint32_t val;
	if (!emu_require_cpl0(m) || !emu_operand_read(m, &e->ops[0], &val))
		return EMU_EXCEPTION;
	/* LMSW loads PE, MP, EM, TS and cannot clear PE. */
	uint32_t cr0 = (m->vcpu->cr0 & ~0xeu) | (val & 0xfu) | (m->vcpu->cr0 & X86_CR0_PE);
	return set_cr0(m, cr0);
}

static enum emu_result op_clts(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	m->vcpu->cr0 &= ~X86_CR0_TS;
	return EMU_NEXT;
}

/* MOV to/from CRn and DRn. */
static enum emu_result op_mov_crdr(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	const ZydisDecodedOperand *dst = &e->ops[0], *src = &e->ops[1];
	if (!emu_require_cpl0(m))
		return EMU_EXCEPTION;
	bool to_special = ZydisRegisterGetClass(dst->reg.value) != ZYDIS_REGCLASS_GPR32;
	ZydisRegister special = to_special ? dst->reg.value : src->reg.value;
	int n = ZydisRegisterGetId(special);
	if (ZydisRegisterGetClass(special) == ZYDIS_REGCLASS_DEBUG) {
		if (to_special)
			v->dr[n] = emu_reg_read(v, src->reg.value);
		else
			emu_reg_write(v, dst->reg.value, v->dr[n]);
		return EMU_NEXT;
	}
	uint32_t *cr[5] = { &v->cr0, NULL, &v->cr2, &v->cr3, &v->cr4 };
	if (n > 4 || !cr[n]) {
		deliver_exception(m, X86_EXC_UD, false, 0);
		return EMU_EXCEPTION;
	}
	if (!to_special) {
		emu_reg_write(v, dst->reg.value, *cr[n]);
		return EMU_NEXT;
	}
	uint32_t val = emu_reg_read(v, src->reg.value);
	if (n == 0)
		return set_cr0(m, val);
	if (n == 4 && (val & X86_CR4_PAE)) {
		machine_stop(m, 1, true, "guest enabled PAE paging (CR4.PAE): not supported (btmon models 32-bit paging)");
		return EMU_STOP;
	}
	*cr[n] = val;
	if (n == 4)
		machine_paging_changed(m);   /* PSE/PGE changes flush everything */
	else if (n == 3)
		machine_cr3_changed(m);      /* flushes non-global translations */
	return EMU_NEXT;
}

static int sreg_index(ZydisRegister r)
{
	return ZydisRegisterGetId(r);
}

static enum emu_result op_mov_sreg(struct machine *m, const struct emu_insn *e)
{
	const ZydisDecodedOperand *dst = &e->ops[0], *src = &e->ops[1];
	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_SEGMENT) {
		uint32_t sel;
		int s = sreg_index(dst->reg.value);
		if (!emu_operand_read(m, src, &sel) || !seg_load(m, s, (uint16_t)sel))
			return EMU_EXCEPTION;
		if (s == X86_SS)   /* the next instruction (mov esp) runs before any interrupt */
			m->vcpu->interrupt_shadow = 1;
		return EMU_NEXT;
	}
	/* mov r/m16, sreg (memory or 16-bit register form) */
	uint32_t sel = m->vcpu->seg[sreg_index(src->reg.value)].sel;
	return emu_operand_write(m, dst, sel) ? EMU_NEXT : EMU_EXCEPTION;
}

static enum emu_result op_push_pop_sreg(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	int s = sreg_index(e->ops[0].reg.value);
	unsigned size = e->in.operand_width / 8;
	if (e->in.mnemonic == ZYDIS_MNEMONIC_PUSH) {
		uint32_t val = v->seg[s].sel;
		if (!emu_write_mem(m, v->gpr[X86_ESP] - size, &val, size))
			return EMU_EXCEPTION;
		v->gpr[X86_ESP] -= size;
		return EMU_NEXT;
	}
	uint32_t sel = 0;
	if (!emu_read_mem(m, v->gpr[X86_ESP], &sel, size))
		return EMU_EXCEPTION;
	if (!seg_load(m, s, (uint16_t)sel))
		return EMU_EXCEPTION;
	v->gpr[X86_ESP] += size;
	if (s == X86_SS)
		v->interrupt_shadow = 1;
	return EMU_NEXT;
}

static enum emu_result op_far_jmp(struct machine *m, const struct emu_insn *e)
{
	uint16_t sel;
	uint32_t off;
	const ZydisDecodedOperand *op = &e->ops[0];
	if (e->in.mnemonic != ZYDIS_MNEMONIC_JMP)
		return EMU_STOP;
	if (op->type == ZYDIS_OPERAND_TYPE_POINTER) {
		sel = op->ptr.segment;
		off = op->ptr.offset;
	} else {
		uint8_t b[6] = { 0 };
		unsigned osz = e->in.operand_width / 8;
		if (!emu_read_mem(m, emulate_ea(m, op), b, osz + 2))
			return EMU_EXCEPTION;
		off = osz == 4 ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
			       : (uint32_t)b[0] | (uint32_t)b[1] << 8;
		sel = (uint16_t)(b[osz] | b[osz + 1] << 8);
	}
	return seg_far_jump(m, sel, off) ? EMU_JUMPED : EMU_EXCEPTION;
}

static enum emu_result op_int(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	gla_t next = v->eip + e->in.length;
	switch (e->in.mnemonic) {
	case ZYDIS_MNEMONIC_INT3:
		deliver_software_int(m, X86_EXC_BP, next);
		break;
	case ZYDIS_MNEMONIC_INTO:
		if (!(v->rflags & X86_FL_OF))
			return EMU_NEXT;
		deliver_software_int(m, X86_EXC_OF, next);
		break;
	case ZYDIS_MNEMONIC_INT1:
		deliver_software_int(m, X86_EXC_DB, next);
		break;
	default:
		deliver_software_int(m, (unsigned)e->ops[0].imm.value.u & 0xff, next);
	}
	return EMU_JUMPED;
}

static enum emu_result op_iret(struct machine *m, const struct emu_insn *e)
{
	if (e->in.operand_width != 32) {
		machine_stop(m, 1, true, "16-bit IRET is not supported");
		return EMU_STOP;
	}
	return deliver_iret(m) ? EMU_JUMPED : EMU_EXCEPTION;
}

static enum emu_result op_ltr_lldt(struct machine *m, const struct emu_insn *e)
{
	uint32_t sel, lo, hi;
	if (!emu_require_cpl0(m) || !emu_operand_read(m, &e->ops[0], &sel))
		return EMU_EXCEPTION;
	struct vcpu_table_reg *t = e->in.mnemonic == ZYDIS_MNEMONIC_LTR ? &m->vcpu->tr : &m->vcpu->ldtr;
	if (t == &m->vcpu->ldtr)
		vcpu_memo_clear(m->vcpu);   /* LDT selectors may name other descriptors now */
	if ((sel & ~3u) == 0 && e->in.mnemonic == ZYDIS_MNEMONIC_LLDT) {
		t->sel = 0;
		t->base = 0;
		t->limit = 0;
		return EMU_NEXT;
	}
	if ((sel & X86_SEL_TI) || !seg_read_desc(m, (uint16_t)sel, &lo, &hi) || !(hi & X86_DESC_P)) {
		deliver_exception(m, X86_EXC_GP, true, sel & 0xfffc);
		return EMU_EXCEPTION;
	}
	t->sel = (uint16_t)sel;
	t->base = X86_DESC_BASE(lo, hi);
	t->seg_limit = X86_DESC_LIMIT(lo, hi);
	if (hi & X86_DESC_G)
		t->seg_limit = (t->seg_limit << 12) | 0xfff;
	t->flags = hi & 0x00f0ff00u;
	return EMU_NEXT;
}

static enum emu_result op_str_sldt(struct machine *m, const struct emu_insn *e)
{
	const struct vcpu_table_reg *t = e->in.mnemonic == ZYDIS_MNEMONIC_STR ? &m->vcpu->tr : &m->vcpu->ldtr;
	return emu_operand_write(m, &e->ops[0], t->sel) ? EMU_NEXT : EMU_EXCEPTION;
}

/* CLI/STI/POPF/PUSHF outside CPL 0 (inline at CPL 0): IOPL decides. */
static enum emu_result op_if_user(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	bool may_if = v->cpl <= ((v->vflags & X86_FL_IOPL) >> X86_FL_IOPL_SHIFT);
	switch (e->in.mnemonic) {
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI:
		if (!may_if) {
			deliver_exception(m, X86_EXC_GP, true, 0);
			return EMU_EXCEPTION;
		}
		if (e->in.mnemonic == ZYDIS_MNEMONIC_STI && !v->vif)
			v->interrupt_shadow = 1;   /* no interrupt before the next instruction */
		v->vif = e->in.mnemonic == ZYDIS_MNEMONIC_STI ? X86_FL_IF : 0;
		return EMU_NEXT;
	case ZYDIS_MNEMONIC_PUSHFD: {
		uint32_t fl = vcpu_eflags(v) & ~(X86_FL_RF | X86_FL_VM);
		if (!emu_write_mem(m, v->gpr[X86_ESP] - 4, &fl, 4))
			return EMU_EXCEPTION;
		v->gpr[X86_ESP] -= 4;
		return EMU_NEXT;
	}
	case ZYDIS_MNEMONIC_POPFD: {
		uint32_t fl;
		if (!emu_read_mem(m, v->gpr[X86_ESP], &fl, 4))
			return EMU_EXCEPTION;
		v->gpr[X86_ESP] += 4;
		uint32_t keep = X86_FL_IOPL | X86_FL_VM | X86_FL_VIF | X86_FL_VIP | (may_if ? 0 : X86_FL_IF);
		uint32_t cur = vcpu_eflags(v);
		vcpu_set_eflags(v, (cur & keep) | (fl & ~keep & ~X86_FL_RF));
		return EMU_NEXT;
	}
	default:
		return EMU_STOP;
	}
}

static const struct emu_row sys_rows[] = {
	{ ZYDIS_MNEMONIC_LGDT, op_lgdt_lidt }, { ZYDIS_MNEMONIC_LIDT, op_lgdt_lidt },
	{ ZYDIS_MNEMONIC_SGDT, op_sgdt_sidt }, { ZYDIS_MNEMONIC_SIDT, op_sgdt_sidt },
	{ ZYDIS_MNEMONIC_SMSW, op_smsw }, { ZYDIS_MNEMONIC_LMSW, op_lmsw }, { ZYDIS_MNEMONIC_CLTS, op_clts },
	{ ZYDIS_MNEMONIC_INT, op_int }, { ZYDIS_MNEMONIC_INT3, op_int }, { ZYDIS_MNEMONIC_INTO, op_int },
	{ ZYDIS_MNEMONIC_INT1, op_int }, { ZYDIS_MNEMONIC_IRETD, op_iret }, { ZYDIS_MNEMONIC_IRET, op_iret },
	{ ZYDIS_MNEMONIC_LTR, op_ltr_lldt }, { ZYDIS_MNEMONIC_LLDT, op_ltr_lldt },
	{ ZYDIS_MNEMONIC_STR, op_str_sldt }, { ZYDIS_MNEMONIC_SLDT, op_str_sldt },
	{ ZYDIS_MNEMONIC_CLI, op_if_user }, { ZYDIS_MNEMONIC_STI, op_if_user },
	{ ZYDIS_MNEMONIC_PUSHFD, op_if_user }, { ZYDIS_MNEMONIC_POPFD, op_if_user },
};

static bool has_class(const struct emu_insn *e, ZydisRegisterClass c)
{
	for (unsigned i = 0; i < e->in.operand_count_visible; i++)
		if (e->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(e->ops[i].reg.value) == c)
			return true;
	return false;
}

emu_fn emulate_sys_lookup(const struct emu_insn *e)
{
	ZydisMnemonic mn = e->in.mnemonic;
	if (e->in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR && mn == ZYDIS_MNEMONIC_JMP)
		return op_far_jmp;
	if (mn == ZYDIS_MNEMONIC_MOV && (has_class(e, ZYDIS_REGCLASS_CONTROL) || has_class(e, ZYDIS_REGCLASS_DEBUG)))
		return op_mov_crdr;
	if (has_class(e, ZYDIS_REGCLASS_SEGMENT)) {
		if (mn == ZYDIS_MNEMONIC_MOV)
			return op_mov_sreg;
		if (mn == ZYDIS_MNEMONIC_PUSH || mn == ZYDIS_MNEMONIC_POP)
			return op_push_pop_sreg;
		return NULL;
	}
	for (size_t i = 0; i < BT_ARRAY_SIZE(sys_rows); i++)
		if (sys_rows[i].mn == mn)
			return sys_rows[i].fn;
	return NULL;
}
