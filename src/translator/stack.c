/*
 * stack.c — PUSH/POP/PUSHAD/POPAD/ENTER/LEAVE (and PUSH sreg) as explicit
 * gs:[esp±n] accesses. The host stack is never used: host RSP *is* guest ESP.
 *
 * INVARIANT (precise faults): every sequence does all its guest memory
 * accesses before it changes a guest register, so a fault anywhere leaves the
 * guest state of the instruction's start and the sequence can be restarted
 * from its first byte.
 */
#include "xlate_int.h"

static const uint8_t OP_MOV_STORE = 0x89, OP_MOV_LOAD = 0x8b;

/* mov [gs:esp+disp], reg with the given operand size (2 or 4). */
static void store_esp(struct xctx *x, unsigned reg, int32_t disp, unsigned size)
{
	static const uint8_t p66 = 0x66;
	struct x64_mem m = mem_b(H_RSP, disp);
	x64_mem_insn(&x->e, X_GS | X_A32, &p66, size == 2, &OP_MOV_STORE, 1, reg, &m);
}

static void load_esp(struct xctx *x, unsigned reg, int32_t disp, unsigned size)
{
	static const uint8_t p66 = 0x66;
	struct x64_mem m = mem_b(H_RSP, disp);
	x64_mem_insn(&x->e, X_GS | X_A32, &p66, size == 2, &OP_MOV_LOAD, 1, reg, &m);
}

static void adjust_esp(struct xctx *x, int32_t delta)
{
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, delta));
}

void emit_push(struct xctx *x)
{
	unsigned size = x->in.operand_width / 8;
	const ZydisDecodedOperand *src = &x->ops[0];
	if (size != 2 && size != 4) {
		x->fail = "push with an unexpected operand size";
		return;
	}
	if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int r = memop_gpr(src->reg.value);
		if (r < 0)  /* 16-bit register: same number, 66 prefix */
			r = ZydisRegisterGetId(src->reg.value);
		store_esp(x, (unsigned)r, -(int32_t)size, size);
	} else if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		struct x64_mem m = mem_b(H_RSP, -(int32_t)size);
		static const uint8_t p66 = 0x66, op = 0xc7;
		x64_mem_insn(&x->e, X_GS | X_A32, &p66, size == 2, &op, 1, 0, &m);
		uint32_t imm = (uint32_t)src->imm.value.s;
		e8(&x->e, (uint8_t)imm);
		e8(&x->e, (uint8_t)(imm >> 8));
		if (size == 4) {
			e8(&x->e, (uint8_t)(imm >> 16));
			e8(&x->e, (uint8_t)(imm >> 24));
		}
	} else if (src->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		struct x64_mem m;
		unsigned flags;
		static const uint8_t p66 = 0x66;
		if (!memop_host(x, src, &m, &flags))
			return;
		x64_mem_insn(&x->e, flags, &p66, size == 2, &OP_MOV_LOAD, 1, H_R12, &m);
		store_esp(x, H_R12, -(int32_t)size, size);
	} else {
		x->fail = "push operand kind not supported";
		return;
	}
	adjust_esp(x, -(int32_t)size);
}

/* PUSH ES/CS/SS/DS/FS/GS: the selector from the VirtualCPU, zero-extended
 * for a 32-bit push (as the monitor procedure did), stored like any push. */
void emit_push_sreg(struct xctx *x)
{
	static const uint8_t movzx16[2] = { 0x0f, 0xb7 };
	unsigned size = x->in.operand_width / 8;
	int s = ZydisRegisterGetId(x->ops[0].reg.value);
	if ((size != 2 && size != 4) || s < 0 || s >= X86_NSEG) {
		x->fail = "push of a segment register with an unexpected operand";
		return;
	}
	struct x64_mem sel = mem_b(H_VCPU, VOFF(seg[s].sel));
	x64_mem_insn(&x->e, 0, NULL, 0, movzx16, 2, H_R12, &sel);
	store_esp(x, H_R12, -(int32_t)size, size);
	adjust_esp(x, -(int32_t)size);
}

void emit_pop(struct xctx *x)
{
	unsigned size = x->in.operand_width / 8;
	const ZydisDecodedOperand *dst = &x->ops[0];
	if (size != 2 && size != 4) {
		x->fail = "pop with an unexpected operand size";
		return;
	}
	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int r = ZydisRegisterGetId(dst->reg.value);
		if (r == H_RSP && size == 4) {     /* pop esp: the loaded value wins */
			load_esp(x, H_RSP, 0, 4);
			return;
		}
		load_esp(x, H_R12, 0, size);        /* load first: a fault changes nothing */
		adjust_esp(x, (int32_t)size);
		static const uint8_t p66 = 0x66, op = 0x89;
		if (size == 2)
			e8(&x->e, p66);
		x64_rr_insn(&x->e, 0, &op, 1, H_R12, (unsigned)r);
		return;
	}
	if (dst->type != ZYDIS_OPERAND_TYPE_MEMORY) {
		x->fail = "pop operand kind not supported";
		return;
	}
	/* pop [mem]: the address is computed with ESP already incremented. */
	load_esp(x, H_R12, 0, size);
	ZydisDecodedOperand d = *dst;
	if (d.mem.base == ZYDIS_REGISTER_ESP)
		d.mem.disp.value += size;
	struct x64_mem m;
	unsigned flags;
	if (!memop_host(x, &d, &m, &flags))
		return;
	static const uint8_t p66 = 0x66;
	x64_mem_insn(&x->e, flags, &p66, size == 2, &OP_MOV_STORE, 1, H_R12, &m);
	adjust_esp(x, (int32_t)size);
}

void emit_pusha(struct xctx *x)
{
	/* EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI at -4 ... -32. */
	for (unsigned r = 0; r < 8; r++)
		store_esp(x, r, -4 * (int32_t)(r + 1), 4);
	adjust_esp(x, -32);
}

void emit_popa(struct xctx *x)
{
	/* Load everything into r8..r14 first (precise on a fault), skip ESP's slot. */
	static const unsigned order[7] = { H_RDI, H_RSI, H_RBP, H_RBX, H_RDX, H_RCX, H_RAX };
	static const int32_t slot[7] = { 0, 4, 8, 16, 20, 24, 28 };
	for (unsigned i = 0; i < 7; i++)
		load_esp(x, H_R8 + i, slot[i], 4);
	for (unsigned i = 0; i < 7; i++)
		x64_mov_rr32(&x->e, order[i], H_R8 + i);
	adjust_esp(x, 32);
}

void emit_enter(struct xctx *x)
{
	uint32_t alloc = (uint32_t)x->ops[0].imm.value.u & 0xffff;
	uint32_t level = (uint32_t)x->ops[1].imm.value.u & 0x1f;
	if (level != 0 || x->in.operand_width != 32) {
		x->fail = "enter with a nesting level or 16-bit operand size is not supported";
		return;
	}
	store_esp(x, H_RBP, -4, 4);
	adjust_esp(x, -4);
	x64_mov_rr32(&x->e, H_RBP, H_RSP);
	adjust_esp(x, -(int32_t)alloc);
}

void emit_leave(struct xctx *x)
{
	if (x->in.operand_width != 32) {
		x->fail = "16-bit leave is not supported";
		return;
	}
	x64_mov_load32(&x->e, X_GS | X_A32, H_R12, mem_b(H_RBP, 0));
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RBP, 4));
	x64_mov_rr32(&x->e, H_RBP, H_R12);
}
