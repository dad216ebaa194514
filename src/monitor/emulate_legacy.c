/*
 * emulate_legacy.c — monitor procedures for instructions that are invalid
 * in 64-bit mode and so cannot be copied: the decimal adjusts
 * (DAA/DAS/AAA/AAS/AAM/AAD), SALC, ARPL, BOUND, and ENTER with a nesting
 * level. Semantics follow the SDM Vol. 2 pseudo-code; flags the SDM leaves
 * undefined are computed as current Intel cores do (from the result).
 */
#include "emulate.h"

static uint8_t al(const struct vcpu *v) { return (uint8_t)v->gpr[X86_EAX]; }
static uint8_t ah(const struct vcpu *v) { return (uint8_t)(v->gpr[X86_EAX] >> 8); }

static void set_ax(struct vcpu *v, uint8_t lo, uint8_t hi)
{
	v->gpr[X86_EAX] = (v->gpr[X86_EAX] & 0xffff0000u) | ((uint32_t)hi << 8) | lo;
}

static bool flag(const struct vcpu *v, uint32_t f)
{
	return v->rflags & f;
}

/* Set the arithmetic flags in `mask` to `val`, SF/ZF/PF from result r. */
static void set_flags(struct vcpu *v, uint32_t mask, uint32_t val, uint8_t r, bool szp)
{
	if (szp) {
		mask |= X86_FL_SF | X86_FL_ZF | X86_FL_PF;
		val |= (r & 0x80) ? X86_FL_SF : 0;
		val |= r == 0 ? X86_FL_ZF : 0;
		val |= __builtin_parity(r) ? 0 : X86_FL_PF;
	}
	v->rflags = (v->rflags & ~(uint64_t)mask) | (val & mask);
}

static enum emu_result op_daa_das(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	bool sub = e->in.mnemonic == ZYDIS_MNEMONIC_DAS;
	uint8_t old = al(v), a = old;
	bool cf = false, af = false, old_cf = flag(v, X86_FL_CF);
	if ((a & 0xf) > 9 || flag(v, X86_FL_AF)) {
		cf = old_cf || (sub ? a < 6 : a > 0xf9);
		a = (uint8_t)(sub ? a - 6 : a + 6);
		af = true;
	}
	if (old > 0x99 || old_cf) {
		a = (uint8_t)(sub ? a - 0x60 : a + 0x60);
		cf = true;
	}
	set_ax(v, a, ah(v));
	set_flags(v, X86_FL_CF | X86_FL_AF | X86_FL_OF,
		  (cf ? X86_FL_CF : 0) | (af ? X86_FL_AF : 0), a, true);
	return EMU_NEXT;
}

static enum emu_result op_aaa_aas(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	bool sub = e->in.mnemonic == ZYDIS_MNEMONIC_AAS;
	uint16_t ax = (uint16_t)v->gpr[X86_EAX];
	bool adj = (al(v) & 0xf) > 9 || flag(v, X86_FL_AF);
	if (adj && !sub)
		ax = (uint16_t)(ax + 0x106);
	else if (adj)
		ax = (uint16_t)(ax - 6 - 0x100);   /* AX -= 6 (borrowing from AH), then AH -= 1 */
	uint8_t lo = (uint8_t)(ax & 0x0f);
	set_ax(v, lo, (uint8_t)(ax >> 8));
	uint32_t f = adj ? (X86_FL_CF | X86_FL_AF) : 0;
	set_flags(v, X86_FL_CF | X86_FL_AF | X86_FL_OF, f, lo, true);   /* SF/ZF/PF: final AL */
	return EMU_NEXT;
}

static enum emu_result op_aam_aad(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint8_t base = (uint8_t)e->ops[0].imm.value.u;
	uint8_t a;
	if (e->in.mnemonic == ZYDIS_MNEMONIC_AAM) {
		if (base == 0) {
			deliver_exception(m, X86_EXC_DE, false, 0);
			return EMU_EXCEPTION;
		}
		a = (uint8_t)(al(v) % base);
		set_ax(v, a, (uint8_t)(al(v) / base));
		set_flags(v, X86_FL_CF | X86_FL_AF | X86_FL_OF, 0, a, true);
		return EMU_NEXT;
	}
	/* AAD: flags as the 8-bit ADD AL + (AH * imm8) that produces the result. */
	uint8_t t = (uint8_t)(ah(v) * base), l = al(v);
	unsigned sum = (unsigned)l + t;
	a = (uint8_t)sum;
	uint32_t f = (sum > 0xff ? X86_FL_CF : 0) | (((l & 0xf) + (t & 0xf)) > 0xf ? X86_FL_AF : 0) |
		     (((l ^ a) & (t ^ a) & 0x80) ? X86_FL_OF : 0);
	set_ax(v, a, 0);
	set_flags(v, X86_FL_CF | X86_FL_AF | X86_FL_OF, f, a, true);
	return EMU_NEXT;
}

static enum emu_result op_salc(struct machine *m, const struct emu_insn *e)
{
	(void)e;
	struct vcpu *v = m->vcpu;
	set_ax(v, flag(v, X86_FL_CF) ? 0xff : 0, ah(v));
	return EMU_NEXT;
}

static enum emu_result op_arpl(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint32_t dst, src;
	if (!emu_operand_read(m, &e->ops[0], &dst) || !emu_operand_read(m, &e->ops[1], &src))
		return EMU_EXCEPTION;
	bool adjust = (dst & 3) < (src & 3);
	if (adjust && !emu_operand_write(m, &e->ops[0], (dst & ~3u) | (src & 3)))
		return EMU_EXCEPTION;
	set_flags(v, X86_FL_ZF, adjust ? X86_FL_ZF : 0, 0, false);
	return EMU_NEXT;
}

static enum emu_result op_bound(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	unsigned size = e->in.operand_width / 8;
	int32_t b[2] = { 0, 0 };
	uint32_t idx;
	if (!emu_operand_read(m, &e->ops[0], &idx))
		return EMU_EXCEPTION;
	gla_t ea = emulate_ea(m, &e->ops[1]);
	if (size == 2) {
		int16_t w[2];
		if (!emu_read_mem(m, ea, w, 4))
			return EMU_EXCEPTION;
		b[0] = w[0];
		b[1] = w[1];
		idx = (uint32_t)(int32_t)(int16_t)idx;
	} else if (!emu_read_mem(m, ea, b, 8)) {
		return EMU_EXCEPTION;
	}
	(void)v;
	if ((int32_t)idx < b[0] || (int32_t)idx > b[1]) {
		deliver_exception(m, X86_EXC_BR, false, 0);
		return EMU_EXCEPTION;
	}
	return EMU_NEXT;
}

/* PUSHA/POPA with a 16-bit operand size (66 60 / 66 61). */
static enum emu_result op_pusha16(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint16_t w[8];
	uint32_t esp = v->gpr[X86_ESP];
	if (e->in.mnemonic == ZYDIS_MNEMONIC_PUSHA) {
		for (unsigned r = 0; r < 8; r++)      /* AX CX DX BX SP BP SI DI, AX highest */
			w[7 - r] = (uint16_t)v->gpr[r];
		if (!emu_write_mem(m, esp - 16, w, 16))
			return EMU_EXCEPTION;
		v->gpr[X86_ESP] = esp - 16;
		return EMU_NEXT;
	}
	if (!emu_read_mem(m, esp, w, 16))
		return EMU_EXCEPTION;
	for (unsigned r = 0; r < 8; r++)
		if (r != X86_ESP)
			v->gpr[r] = (v->gpr[r] & 0xffff0000u) | w[7 - r];
	v->gpr[X86_ESP] = esp + 16;
	return EMU_NEXT;
}

/* ENTER size, level with level > 0 (level 0 is translated inline). */
static enum emu_result op_enter(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint32_t size = (uint32_t)e->ops[0].imm.value.u & 0xffff;
	unsigned level = (unsigned)e->ops[1].imm.value.u & 0x1f;
	uint32_t esp = v->gpr[X86_ESP], ebp = v->gpr[X86_EBP];
	uint32_t frame[34];
	unsigned n = 0;
	if (e->in.operand_width != 32) {
		machine_stop(m, 1, true, "16-bit ENTER is not supported");
		return EMU_STOP;
	}
	frame[n++] = ebp;                         /* push ebp */
	uint32_t frame_temp = esp - 4;
	for (unsigned i = 1; i < level; i++) {    /* copy the enclosing frame pointers */
		ebp -= 4;
		if (!emu_read_mem(m, ebp, &frame[n++], 4))
			return EMU_EXCEPTION;
	}
	if (level > 0)
		frame[n++] = frame_temp;
	/* Write all the pushes (memory before ESP changes), lowest address first. */
	for (unsigned i = 0; i < n; i++)
		if (!emu_write_mem(m, esp - 4 * (i + 1), &frame[i], 4))
			return EMU_EXCEPTION;
	v->gpr[X86_EBP] = frame_temp;
	v->gpr[X86_ESP] = esp - 4 * n - size;
	return EMU_NEXT;
}

static const struct emu_row legacy_rows[] = {
	{ ZYDIS_MNEMONIC_DAA, op_daa_das }, { ZYDIS_MNEMONIC_DAS, op_daa_das },
	{ ZYDIS_MNEMONIC_AAA, op_aaa_aas }, { ZYDIS_MNEMONIC_AAS, op_aaa_aas },
	{ ZYDIS_MNEMONIC_AAM, op_aam_aad }, { ZYDIS_MNEMONIC_AAD, op_aam_aad },
	{ ZYDIS_MNEMONIC_SALC, op_salc }, { ZYDIS_MNEMONIC_ARPL, op_arpl },
	{ ZYDIS_MNEMONIC_BOUND, op_bound }, { ZYDIS_MNEMONIC_ENTER, op_enter },
	{ ZYDIS_MNEMONIC_PUSHA, op_pusha16 }, { ZYDIS_MNEMONIC_POPA, op_pusha16 },
};

emu_fn emulate_legacy_lookup(const struct emu_insn *e)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(legacy_rows); i++)
		if (legacy_rows[i].mn == e->in.mnemonic)
			return legacy_rows[i].fn;
	return NULL;
}
