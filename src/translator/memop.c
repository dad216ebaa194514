/*
 * memop.c — a guest memory operand, re-expressed for the host.
 *
 * A flat-segment operand keeps its registers and displacement and gains the
 * 65 67 prefixes: gs:[addr32] inside the window. An absolute [disp32] is
 * written in SIB form (mod 00 rm 101 would be RIP-relative in 64-bit mode).
 * An FS:/GS: operand (non-zero bases: Linux per-CPU data and TLS) has its
 * linear address computed first, without touching flags:
 *     lea  r13d, [guest EA]                 ; 32-bit result wraps like the guest
 *     mov  r14d, [r15 + seg_base[FS|GS]]
 *     lea  r14d, [r14 + r13]
 * and the access becomes gs:[r14d].
 */
#include "xlate_int.h"

int memop_gpr(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI)
		return (int)(r - ZYDIS_REGISTER_EAX);
	return -1;
}

/* 16-bit registers as address components (BX, BP, SI, DI). */
static int memop_gpr16(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI)
		return (int)(r - ZYDIS_REGISTER_AX);
	return -1;
}

/*
 * 16-bit addressing (a 0x67 prefix in 32-bit code): EA = (base + index +
 * disp) mod 64 KiB. Computed flag-free into r14d:
 *     lea r13d, [base32 + index32 + disp] ; movzx r14d, r13w
 */
static bool memop_ea16(struct xctx *x, const ZydisDecodedOperand *op)
{
	static const uint8_t movzx16[2] = { 0x0f, 0xb7 };
	struct x64_mem m = { .base = H_NONE, .index = H_NONE, .disp = (int32_t)op->mem.disp.value };
	if (op->mem.base != ZYDIS_REGISTER_NONE && (m.base = memop_gpr16(op->mem.base)) < 0)
		goto bad;
	if (op->mem.index != ZYDIS_REGISTER_NONE && (m.index = memop_gpr16(op->mem.index)) < 0)
		goto bad;
	x64_lea(&x->e, 0, H_R13, m);
	x64_rr_insn(&x->e, 0, movzx16, 2, H_R14, H_R13);
	return true;
bad:
	x->fail = "16-bit memory operand with an unexpected register";
	return false;
}

const ZydisDecodedOperand *memop_find(const struct xctx *x)
{
	for (unsigned i = 0; i < x->in.operand_count; i++) {
		const ZydisDecodedOperand *o = &x->ops[i];
		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.type == ZYDIS_MEMOP_TYPE_MEM &&
		    o->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
			return o;
	}
	return NULL;
}

/* The guest EA (registers + displacement) as a host operand, no segment. */
static bool memop_guest_ea(struct xctx *x, const ZydisDecodedOperand *op, struct x64_mem *m)
{
	m->rip = false;
	m->base = H_NONE;
	m->index = H_NONE;
	m->scale = 0;
	m->disp = (int32_t)op->mem.disp.value;
	if (op->mem.base != ZYDIS_REGISTER_NONE) {
		m->base = memop_gpr(op->mem.base);
		if (m->base < 0)
			goto bad;
	}
	if (op->mem.index != ZYDIS_REGISTER_NONE) {
		m->index = memop_gpr(op->mem.index);
		if (m->index < 0)
			goto bad;
		switch (op->mem.scale) {
		case 0: case 1: m->scale = 0; break;
		case 2: m->scale = 1; break;
		case 4: m->scale = 2; break;
		case 8: m->scale = 3; break;
		default: goto bad;
		}
	}
	return true;
bad:
	x->fail = "memory operand uses 16-bit addressing or an unexpected register";
	return false;
}

bool memop_host(struct xctx *x, const ZydisDecodedOperand *op, struct x64_mem *m, unsigned *flags)
{
	ZydisRegister seg = op->mem.segment;
	*flags = X_GS | X_A32;
	if (x->in.address_width == 16) {
		if (!memop_ea16(x, op))
			return false;
		*m = mem_b(H_R14, 0);
		if (seg == ZYDIS_REGISTER_FS || seg == ZYDIS_REGISTER_GS) {
			int s = seg == ZYDIS_REGISTER_FS ? X86_FS : X86_GS;
			x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(seg_base[s])));
			x64_lea(&x->e, 0, H_R14, (struct x64_mem){ .base = H_R14, .index = H_R13 });
		}
		return true;
	}
	if (!memop_guest_ea(x, op, m))
		return false;
	if (seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS)
		return true;

	int s = seg == ZYDIS_REGISTER_FS ? X86_FS : X86_GS;
	x64_lea(&x->e, 0, H_R13, *m);
	x64_mov_load32(&x->e, 0, H_R14, mem_b(H_VCPU, VOFF(seg_base[s])));
	x64_lea(&x->e, 0, H_R14, (struct x64_mem){ .base = H_R14, .index = H_R13 });
	*m = mem_b(H_R14, 0);
	return true;
}
