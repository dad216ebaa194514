/*
 * emulate_seg.c — monitor procedures that work on segments and privilege:
 * SYSENTER/SYSEXIT (SDM Vol. 2B), far CALL/RET within a privilege level (and
 * far RET to an outer one), and the descriptor probes LAR/LSL/VERR/VERW,
 * which report their result in ZF.
 */
#include "emulate.h"

static void set_zf(struct vcpu *v, bool zf)
{
	if (zf)
		v->rflags |= X86_FL_ZF;
	else
		v->rflags &= ~(uint64_t)X86_FL_ZF;
}

/* A flat 4 GiB segment as SYSENTER/SYSEXIT load it (no descriptor read). */
static void flat_seg(struct vcpu *v, int s, uint16_t sel, unsigned dpl, bool code)
{
	struct vcpu_seg *sg = &v->seg[s];
	sg->sel = sel;
	sg->base = 0;
	sg->limit = 0xffffffffu;
	sg->flags = ((code ? 0xbu : 0x3u) << 8) | X86_DESC_S | (dpl << 13) | X86_DESC_P |
		    X86_DESC_DB | X86_DESC_G;
	v->seg_base[s] = 0;
}

static enum emu_result op_sysenter(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	struct vcpu *v = m->vcpu;
	uint16_t cs = (uint16_t)(v->msr_sysenter_cs & 0xfffc);
	if (cs == 0) {
		deliver_exception(m, X86_EXC_GP, true, 0);
		return EMU_EXCEPTION;
	}
	flat_seg(v, X86_CS, cs, 0, true);
	flat_seg(v, X86_SS, (uint16_t)(cs + 8), 0, false);
	v->vif = 0;
	v->vflags &= ~(X86_FL_VM | X86_FL_RF);
	v->gpr[X86_ESP] = (uint32_t)v->msr_sysenter_esp;
	v->eip = (uint32_t)v->msr_sysenter_eip;
	if (v->cpl != 0) {
		v->cpl = 0;
		machine_cpl_changed(m);
	}
	return EMU_JUMPED;
}

static enum emu_result op_sysexit(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	struct vcpu *v = m->vcpu;
	uint16_t cs = (uint16_t)(v->msr_sysenter_cs & 0xfffc);
	if (v->cpl != 0 || cs == 0) {
		deliver_exception(m, X86_EXC_GP, true, 0);
		return EMU_EXCEPTION;
	}
	flat_seg(v, X86_CS, (uint16_t)((cs + 16) | 3), 3, true);
	flat_seg(v, X86_SS, (uint16_t)((cs + 24) | 3), 3, false);
	v->gpr[X86_ESP] = v->gpr[X86_ECX];
	v->eip = v->gpr[X86_EDX];
	v->cpl = 3;
	machine_cpl_changed(m);
	return EMU_JUMPED;
}

/* Far pointer operand: ptr16:32 immediate or m16:32 in memory. */
static bool far_operand(struct machine *m, const struct emu_insn *e, uint16_t *sel, uint32_t *off)
{
	const ZydisDecodedOperand *op = &e->ops[0];
	if (op->type == ZYDIS_OPERAND_TYPE_POINTER) {
		*sel = op->ptr.segment;
		*off = op->ptr.offset;
		return true;
	}
	uint8_t b[6] = { 0 };
	unsigned osz = e->in.operand_width / 8;
	if (!emu_read_mem(m, emulate_ea(m, op), b, osz + 2))
		return false;
	*off = osz == 4 ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
			: (uint32_t)b[0] | (uint32_t)b[1] << 8;
	*sel = (uint16_t)(b[osz] | b[osz + 1] << 8);
	return true;
}

static enum emu_result op_far_call(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint16_t sel;
	uint32_t off;
	if (e->in.operand_width != 32) {
		machine_stop(m, 1, true, "16-bit far call is not supported");
		return EMU_STOP;
	}
	if (!far_operand(m, e, &sel, &off))
		return EMU_EXCEPTION;
	uint32_t frame[2] = { v->eip + e->in.length, v->seg[X86_CS].sel };
	uint32_t esp = v->gpr[X86_ESP] - 8;
	if (!emu_write_mem(m, esp, frame, 8))
		return EMU_EXCEPTION;
	uint32_t saved_esp = v->gpr[X86_ESP];
	v->gpr[X86_ESP] = esp;
	if (!seg_far_jump(m, sel, off)) {
		v->gpr[X86_ESP] = saved_esp;
		return EMU_EXCEPTION;
	}
	return EMU_JUMPED;
}

static enum emu_result op_far_ret(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint32_t frame[2], outer[2];
	uint32_t pop = e->in.operand_count_visible ? (uint32_t)e->ops[0].imm.value.u & 0xffff : 0;
	uint32_t esp = v->gpr[X86_ESP];
	if (e->in.operand_width != 32 || !emu_read_mem(m, esp, frame, 8))
		return e->in.operand_width != 32 ? EMU_STOP : EMU_EXCEPTION;
	unsigned rpl = frame[1] & 3;
	if (rpl < v->cpl) {
		deliver_exception(m, X86_EXC_GP, true, frame[1] & 0xfffc);
		return EMU_EXCEPTION;
	}
	if (rpl == v->cpl) {
		if (!seg_far_jump(m, (uint16_t)frame[1], frame[0]))
			return EMU_EXCEPTION;
		v->gpr[X86_ESP] = esp + 8 + pop;
		return EMU_JUMPED;
	}
	/* To an outer level: the caller's ESP and SS follow the parameters. */
	if (!emu_read_mem(m, esp + 8 + pop, outer, 8))
		return EMU_EXCEPTION;
	unsigned old = v->cpl;
	v->cpl = rpl;              /* CS and SS are checked against the new CPL */
	if (!seg_far_jump(m, (uint16_t)frame[1], frame[0]) || !seg_load(m, X86_SS, (uint16_t)outer[1])) {
		v->cpl = old;
		return EMU_EXCEPTION;
	}
	machine_cpl_changed(m);
	v->gpr[X86_ESP] = outer[0] + pop;
	return EMU_JUMPED;
}

/* LAR/LSL/VERR/VERW: may the current CPL see sel's descriptor (high dword hi)? */
static bool probe_desc(const struct vcpu *v, uint16_t sel, uint32_t hi)
{
	uint32_t type = X86_DESC_TYPE(hi);
	bool conforming_code = (hi & X86_DESC_S) && (type & X86_TYPE_CODE) && (type & X86_TYPE_EC);
	unsigned dpl = X86_DESC_DPL(hi);
	return conforming_code || (dpl >= v->cpl && dpl >= X86_SEL_RPL(sel));
}

static enum emu_result op_probe(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	ZydisMnemonic mn = e->in.mnemonic;
	const ZydisDecodedOperand *selop = (mn == ZYDIS_MNEMONIC_LAR || mn == ZYDIS_MNEMONIC_LSL)
		? &e->ops[1] : &e->ops[0];
	uint32_t sel, lo = 0, hi = 0;
	gla_t la = 0;
	if (!emu_operand_read(m, selop, &sel))
		return EMU_EXCEPTION;
	sel &= 0xffff;
	enum seg_desc got = (sel & ~3u) ? seg_read_desc_at(m, (uint16_t)sel, &lo, &hi, &la) : SEG_DESC_OUTSIDE;
	if (got == SEG_DESC_FAULT) {   /* the table's page faulted: #PF, as on the CPU */
		deliver_mmu_fault(m);
		return EMU_EXCEPTION;
	}
	bool read = got == SEG_DESC_OK;
	bool ok = read && probe_desc(v, (uint16_t)sel, hi);
	uint32_t type = X86_DESC_TYPE(hi);
	bool data_or_code = hi & X86_DESC_S;
	if (ok && mn == ZYDIS_MNEMONIC_VERR)
		ok = data_or_code && (!(type & X86_TYPE_CODE) || (type & X86_TYPE_RW));
	else if (ok && mn == ZYDIS_MNEMONIC_VERW)
		ok = data_or_code && !(type & X86_TYPE_CODE) && (type & X86_TYPE_RW);
	else if (ok && !data_or_code)   /* LAR/LSL accept only some system types */
		ok = type == 1 || type == 2 || type == 3 || type == 9 || type == 0xb ||
		     (mn == ZYDIS_MNEMONIC_LAR && (type == 4 || type == 5 || type == 0xc));
	set_zf(v, ok);
	if (read && (mn == ZYDIS_MNEMONIC_VERR || mn == ZYDIS_MNEMONIC_VERW)) {
		/* The result depends on sel, the CPL and the descriptor only:
		 * translated code replays it while the descriptor is unchanged. */
		struct vcpu_probe_memo *p = mn == ZYDIS_MNEMONIC_VERW ? &v->verw_memo : &v->verr_memo;
		p->key = VCPU_MEMO_KEY((uint16_t)sel, v->cpl);
		p->la = la;
		p->desc = (uint64_t)hi << 32 | lo;
		p->zf = ok ? X86_FL_ZF : 0;
	}
	if (!ok)
		return EMU_NEXT;
	if (mn == ZYDIS_MNEMONIC_LAR) {
		emu_operand_write(m, &e->ops[0], hi & 0x00ffff00u);
	} else if (mn == ZYDIS_MNEMONIC_LSL) {
		uint32_t limit = X86_DESC_LIMIT(lo, hi);
		if (hi & X86_DESC_G)
			limit = (limit << 12) | 0xfff;
		emu_operand_write(m, &e->ops[0], limit);
	}
	return EMU_NEXT;
}

static const struct emu_row seg_rows[] = {
	{ ZYDIS_MNEMONIC_SYSENTER, op_sysenter }, { ZYDIS_MNEMONIC_SYSEXIT, op_sysexit },
	{ ZYDIS_MNEMONIC_LAR, op_probe }, { ZYDIS_MNEMONIC_LSL, op_probe },
	{ ZYDIS_MNEMONIC_VERR, op_probe }, { ZYDIS_MNEMONIC_VERW, op_probe },
};

emu_fn emulate_seg_lookup(const struct emu_insn *e)
{
	if (e->in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
		if (e->in.mnemonic == ZYDIS_MNEMONIC_CALL)
			return op_far_call;
		if (e->in.mnemonic == ZYDIS_MNEMONIC_RET)
			return op_far_ret;
		return NULL;
	}
	for (size_t i = 0; i < BT_ARRAY_SIZE(seg_rows); i++)
		if (seg_rows[i].mn == e->in.mnemonic)
			return seg_rows[i].fn;
	return NULL;
}
