/*
 * mmio.c — guest accesses to guest-physical addresses with no RAM behind
 * them (holes: where device memory would be). Such pages are never mapped, so
 * the access faults and lands here; the instruction is emulated with reads
 * returning all-ones and writes dropped (what an empty PCI bus returns), then
 * the guest continues after it. Results and flags of ALU forms are computed by
 * the host CPU itself (the same instruction on the same values), so they are
 * exact. Devices with MMIO registers will hook in here.
 */
#include <string.h>

#include "emulate.h"

#define ONES 0xffffffffu

/* `op` on a (destination) and b at `size` bytes, flags from fin (for ADC/SBB);
 * returns the result and the host's RFLAGS in *fout. The red zone is skipped
 * before pushing. */
#define ALU(op, sfx, cons, T)                                                                 \
	do {                                                                                  \
		T ta = (T)a, tb = (T)b;                                                       \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopfq\n\t"        \
				 op sfx " %[b], %[a]\n\tpushfq\n\tpop %[fout]\n\tlea 128(%%rsp), %%rsp" \
				 : [a] "+" cons(ta), [fout] "=&r"(fl)                           \
				 : [b] cons(tb), [fin] "r"(fin)                                  \
				 : "cc", "memory");                                              \
		r = ta;                                                                       \
	} while (0)

#define ALU_SIZES(op)                                               \
	do {                                                        \
		if (size == 1)                                      \
			ALU(op, "b", "q", uint8_t);                 \
		else if (size == 2)                                 \
			ALU(op, "w", "r", uint16_t);                \
		else                                                \
			ALU(op, "l", "r", uint32_t);                \
	} while (0)

static bool host_alu(ZydisMnemonic mn, unsigned size, uint32_t a, uint32_t b, uint64_t fin,
		     uint32_t *out, uint64_t *fout)
{
	uint64_t fl = 0;
	uint32_t r = a;
	fin &= X86_FL_HOST;
	fin |= 0x202;
	switch (mn) {
	case ZYDIS_MNEMONIC_ADD: ALU_SIZES("add"); break;
	case ZYDIS_MNEMONIC_ADC: ALU_SIZES("adc"); break;
	case ZYDIS_MNEMONIC_SUB: ALU_SIZES("sub"); break;
	case ZYDIS_MNEMONIC_SBB: ALU_SIZES("sbb"); break;
	case ZYDIS_MNEMONIC_AND: ALU_SIZES("and"); break;
	case ZYDIS_MNEMONIC_OR:  ALU_SIZES("or"); break;
	case ZYDIS_MNEMONIC_XOR: ALU_SIZES("xor"); break;
	case ZYDIS_MNEMONIC_CMP: ALU_SIZES("cmp"); break;
	case ZYDIS_MNEMONIC_TEST: ALU_SIZES("test"); break;
	default: return false;
	}
	*out = r;
	*fout = fl;
	return true;
}

/* Flags of INC/DEC/NEG (one operand; INC/DEC keep CF). */
static bool host_unary(ZydisMnemonic mn, unsigned size, uint32_t a, uint64_t fin, uint64_t *fout)
{
	/* INC x = ADD x,1 but CF is kept; DEC x = SUB x,1 with CF kept; NEG x = SUB 0,x. */
	uint32_t r;
	uint64_t fl;
	bool ok;
	if (mn == ZYDIS_MNEMONIC_INC || mn == ZYDIS_MNEMONIC_DEC) {
		ok = host_alu(mn == ZYDIS_MNEMONIC_INC ? ZYDIS_MNEMONIC_ADD : ZYDIS_MNEMONIC_SUB,
			      size, a, 1, fin, &r, &fl);
		fl = (fl & ~(uint64_t)X86_FL_CF) | (fin & X86_FL_CF);
	} else if (mn == ZYDIS_MNEMONIC_NEG) {
		ok = host_alu(ZYDIS_MNEMONIC_SUB, size, 0, a, fin, &r, &fl);
	} else if (mn == ZYDIS_MNEMONIC_NOT) {
		ok = true;
		fl = fin;   /* NOT changes no flags */
	} else {
		return false;
	}
	*fout = fl;
	return ok;
}

static void set_host_flags(struct vcpu *v, uint64_t fl)
{
	v->rflags = (v->rflags & ~(uint64_t)X86_FL_ARITH) | (fl & X86_FL_ARITH);
}

/* Read operand op, a hole reading all-ones. */
static uint32_t value_of(struct machine *m, const ZydisDecodedOperand *op)
{
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return op->size >= 32 ? ONES : (1u << op->size) - 1;
	uint32_t v = 0;
	emu_operand_read(m, op, &v);   /* immediates come sign-extended; host_alu truncates */
	return v;
}

/* Guest-linear la with access acc: is it a hole? (false if RAM or unmapped) */
static bool is_hole(struct machine *m, gla_t la, unsigned acc)
{
	gpa_t pa;
	return !mmu_translate(&m->mmu, la, acc, &pa) && m->mmu.last_pf.err == 0xffffffffu;
}

/* MOVS/STOS/LODS with a hole on either side, one element at a time. */
static bool string_op(struct machine *m, const struct emu_insn *e)
{
	struct vcpu *v = m->vcpu;
	uint8_t op = e->in.opcode;
	unsigned size = (op & 1) ? e->in.operand_width / 8 : 1;
	bool rep = e->in.attributes & ZYDIS_ATTRIB_HAS_REP;
	int step = (v->rflags & X86_FL_DF) ? -(int)size : (int)size;
	unsigned acc = v->cpl == 3 ? MMU_ACC_USER : 0;
	if (!(op >= 0xa4 && op <= 0xa5) && !(op >= 0xaa && op <= 0xad))
		return false;
	while (!rep || v->gpr[X86_ECX] != 0) {
		uint32_t val = v->gpr[X86_EAX];
		if (op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad) {   /* source */
			gla_t s = v->gpr[X86_ESI] + v->seg_base[X86_DS];
			val = ONES;
			if (!is_hole(m, s, acc) && !emu_read_mem(m, s, &val, size))
				return true;
			v->gpr[X86_ESI] += (uint32_t)step;
		}
		if (op == 0xac || op == 0xad) {
			emu_reg_write(v, size == 1 ? ZYDIS_REGISTER_AL : size == 2 ? ZYDIS_REGISTER_AX
						: ZYDIS_REGISTER_EAX, val);
		} else {
			gla_t d = v->gpr[X86_EDI];
			if (!is_hole(m, d, acc | MMU_ACC_WRITE) && !emu_write_mem(m, d, &val, size))
				return true;
			v->gpr[X86_EDI] += (uint32_t)step;
		}
		if (!rep)
			break;
		v->gpr[X86_ECX]--;
	}
	return true;
}

bool mmio_emulate(struct machine *m, gla_t eip)
{
	struct emu_insn e;
	struct vcpu *v = m->vcpu;
	if (!emulate_decode(m, eip, &e.in, e.ops))
		return false;
	ZydisMnemonic mn = e.in.mnemonic;
	const ZydisDecodedOperand *d = &e.ops[0], *s = &e.ops[1];
	bool done = true;
	uint32_t r;
	uint64_t fl;
	switch (mn) {
	case ZYDIS_MNEMONIC_MOV:
		if (d->type == ZYDIS_OPERAND_TYPE_REGISTER)
			emu_reg_write(v, d->reg.value, ONES);
		break;   /* a store: dropped */
	case ZYDIS_MNEMONIC_MOVZX:
		emu_reg_write(v, d->reg.value, (1u << s->size) - 1);
		break;
	case ZYDIS_MNEMONIC_MOVSX:
		emu_reg_write(v, d->reg.value, ONES);
		break;
	case ZYDIS_MNEMONIC_XCHG:
		emu_reg_write(v, (d->type == ZYDIS_OPERAND_TYPE_REGISTER ? d : s)->reg.value, ONES);
		break;
	case ZYDIS_MNEMONIC_PUSH: {
		uint32_t ones = ONES;
		unsigned size = e.in.operand_width / 8;
		if (!emu_write_mem(m, v->gpr[X86_ESP] - size, &ones, size))
			return true;
		v->gpr[X86_ESP] -= size;
		break;
	}
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
	case ZYDIS_MNEMONIC_NEG: case ZYDIS_MNEMONIC_NOT:
		done = host_unary(mn, d->size / 8, value_of(m, d), v->rflags, &fl);
		if (done)
			set_host_flags(v, fl);
		break;
	default:
		if (e.in.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		    ((e.in.opcode >= 0xa4 && e.in.opcode <= 0xa5) || (e.in.opcode >= 0xaa && e.in.opcode <= 0xad))) {
			done = string_op(m, &e);
			break;
		}
		done = e.in.operand_count_visible == 2 &&
		       host_alu(mn, d->size / 8, value_of(m, d), value_of(m, s), v->rflags, &r, &fl);
		if (!done)
			break;
		set_host_flags(v, fl);
		if (d->type == ZYDIS_OPERAND_TYPE_REGISTER && mn != ZYDIS_MNEMONIC_CMP &&
		    mn != ZYDIS_MNEMONIC_TEST)
			emu_reg_write(v, d->reg.value, r);
	}
	if (!done)
		return false;
	m->stats.mmio_emulated++;
	if (!m->stop && v->eip == eip)
		v->eip = eip + e.in.length;
	return true;
}
