/*
 * sensitive.c — inline monitor procedures: instructions whose effect is on
 * state only the VirtualCPU holds, done in a few host instructions without
 * leaving translated code, and without touching guest-visible host flags
 * unless the instruction itself overwrites them (POPF).
 *
 *   cli       mov dword [r15+vif], 0
 *   sti       mov dword [r15+vif], 0x200 ; (after the next insn) poll page 1
 *   pushfd    host RFLAGS read on a private scratch stack, merged with the
 *             virtual IF/IOPL/AC/ID by flag-free LEA, stored at gs:[esp-4]
 *   popfd     the reverse; virtual bits to the VirtualCPU, then a poll
 *   mov r,sr  movzx r32, word [r15+seg[sr].sel]
 *
 * The poll (DESIGN.md §4): vif is 0 or 0x200, so [r15 + vif*8 + poll] reads
 * poll page 0 with IF=0 and page 1 with IF=1; the monitor revokes access to
 * page 1 when an interrupt is pending, page 0 too when it must stop the
 * guest. The fault lands on an instruction boundary recorded in the side
 * table (TC_MAP_PROLOGUE).
 *
 * String instructions are here too: ES:EDI cannot take a GS override in
 * 64-bit mode, so RSI/RDI are biased by the window base around a copy of the
 * instruction with 64-bit addressing, and un-biased (wrapping to 32 bits)
 * after; the lower and upper window guards catch runs past either end.
 */
#include "xlate_int.h"

static const uint8_t OP_AND_OR_IMM = 0x81, OP_MOVZX16[2] = { 0x0f, 0xb7 };

void emit_poll(struct xctx *x, gla_t eip, bool indexed_by_if)
{
	static const uint8_t mov8 = 0x8a;
	xlate_map(x, eip, TC_MAP_PROLOGUE, 0);
	if (indexed_by_if) {
		x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vif)));
		struct x64_mem m = { .base = H_VCPU, .index = H_R13, .scale = 3, .disp = VOFF(poll) };
		x64_mem_insn(&x->e, 0, NULL, 0, &mov8, 1, H_R13, &m);
	} else {
		struct x64_mem m = mem_b(H_VCPU, VOFF(poll[1]));
		x64_mem_insn(&x->e, 0, NULL, 0, &mov8, 1, H_R13, &m);
	}
}

void emit_cli(struct xctx *x)
{
	x64_mov_store_imm32(&x->e, 0, mem_b(H_VCPU, VOFF(vif)), 0);
}

void emit_sti(struct xctx *x)
{
	x64_mov_store_imm32(&x->e, 0, mem_b(H_VCPU, VOFF(vif)), X86_FL_IF);
	x->sti_shadow = true;   /* the translate loop polls after the next instruction */
}

/* r12 = host RFLAGS, read with pushfq on the VirtualCPU's scratch stack. */
static void read_host_flags(struct xctx *x)
{
	x64_mov_rr64(&x->e, H_R13, H_RSP);
	x64_lea(&x->e, X_W, H_RSP, mem_b(H_VCPU, VOFF(scratch) + (int32_t)sizeof(((struct vcpu *)0)->scratch)));
	e8(&x->e, 0x9c);                 /* pushfq */
	e8(&x->e, 0x41);
	e8(&x->e, 0x5c);                 /* pop r12 */
	x64_mov_rr64(&x->e, H_RSP, H_R13);
}

void emit_pushf(struct xctx *x)
{
	read_host_flags(x);
	/* Host IF is always 1 at user level: remove it, add the virtual bits. */
	x64_lea(&x->e, 0, H_R12, mem_b(H_R12, -(int32_t)X86_FL_IF));
	x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vif)));
	x64_lea(&x->e, 0, H_R12, (struct x64_mem){ .base = H_R12, .index = H_R13 });
	x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vflags)));
	x64_lea(&x->e, 0, H_R12, (struct x64_mem){ .base = H_R12, .index = H_R13 });
	x64_mov_store32(&x->e, X_GS | X_A32, H_R12, mem_b(H_RSP, -4));
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, -4));
}

static void and_imm(struct xctx *x, unsigned reg, uint32_t imm)
{
	x64_rr_insn(&x->e, 0, &OP_AND_OR_IMM, 1, 4, reg);
	e32(&x->e, imm);
}

void emit_popf(struct xctx *x)
{
	/* Bits POPF may change at CPL 0, besides IF and those living in host RFLAGS. */
	const uint32_t virt = X86_FL_TF | X86_FL_IOPL | X86_FL_NT | X86_FL_AC | X86_FL_ID;
	x64_mov_load32(&x->e, X_GS | X_A32, H_R12, mem_b(H_RSP, 0));
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, 4));
	/* Flags are dead from here: POPF overwrites all of them. */
	x64_mov_rr32(&x->e, H_R13, H_R12);
	and_imm(x, H_R13, X86_FL_IF);
	x64_mov_store32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vif)));
	x64_mov_rr32(&x->e, H_R13, H_R12);
	and_imm(x, H_R13, virt);
	x64_mov_store32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vflags)));
	/* r11d = TF ? 0x400 : 0 — added to the poll index below, it selects the
	 * never-readable poll pages 2–3, so setting TF exits to the monitor. */
	x64_mov_rr32(&x->e, H_R11, H_R12);
	and_imm(x, H_R11, X86_FL_TF);
	static const uint8_t shl2[] = { 0x41, 0xc1, 0xe3, 0x02 };   /* shl r11d, 2 */
	ebytes(&x->e, shl2, sizeof(shl2));
	and_imm(x, H_R12, X86_FL_HOST);
	x64_rr_insn(&x->e, 0, &OP_AND_OR_IMM, 1, 1, H_R12);   /* or r12d, 0x202 */
	e32(&x->e, X86_FL_IF | X86_FL_FIXED1);
	x64_mov_rr64(&x->e, H_R13, H_RSP);
	x64_lea(&x->e, X_W, H_RSP, mem_b(H_VCPU, VOFF(scratch) + (int32_t)sizeof(((struct vcpu *)0)->scratch)));
	e8(&x->e, 0x41);
	e8(&x->e, 0x54);                 /* push r12 */
	e8(&x->e, 0x9d);                 /* popfq */
	x64_mov_rr64(&x->e, H_RSP, H_R13);
	/* poll page (IF | TF) — flag-free from here on */
	static const uint8_t mov8 = 0x8a;
	xlate_map(x, x->next, TC_MAP_PROLOGUE, 0);
	x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(vif)));
	x64_lea(&x->e, 0, H_R13, (struct x64_mem){ .base = H_R13, .index = H_R11 });
	struct x64_mem m = { .base = H_VCPU, .index = H_R13, .scale = 3, .disp = VOFF(poll) };
	x64_mem_insn(&x->e, 0, NULL, 0, &mov8, 1, H_R13, &m);
}

void emit_mov_from_sreg(struct xctx *x)
{
	int dst = memop_gpr(x->ops[0].reg.value);
	int s = ZydisRegisterGetId(x->ops[1].reg.value);
	if (dst < 0 || s < 0 || s >= X86_NSEG) {
		x->fail = "mov from a segment register to this operand is not supported inline";
		return;
	}
	x64_mem_insn(&x->e, 0, NULL, 0, OP_MOVZX16, 2, (unsigned)dst,
		     &(struct x64_mem){ .base = H_VCPU, .index = H_NONE, .disp = VOFF(seg[s].sel) });
}

static void bias(struct xctx *x, int32_t field, bool src, bool dst, bool unbias)
{
	x64_mov_load32(&x->e, X_W, H_R13, mem_b(H_VCPU, field));
	if (dst) {
		x64_lea(&x->e, X_W, H_RDI, (struct x64_mem){ .base = H_RDI, .index = H_R13 });
		if (unbias)
			x64_mov_rr32(&x->e, H_RDI, H_RDI);
	}
	if (src) {
		x64_lea(&x->e, X_W, H_RSI, (struct x64_mem){ .base = H_RSI, .index = H_R13 });
		if (unbias)
			x64_mov_rr32(&x->e, H_RSI, H_RSI);
	}
}

/* RSI += / -= an FS/GS base (the source of a string op with an override). */
static void bias_source_segment(struct xctx *x, int seg, bool unbias)
{
	static const uint8_t not_r13[] = { 0x49, 0xf7, 0xd5 };
	x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, VOFF(seg_base[seg])));
	if (unbias) {
		ebytes(&x->e, not_r13, sizeof(not_r13));   /* -base = ~base + 1, flag-free */
		x64_lea(&x->e, X_W, H_RSI, (struct x64_mem){ .base = H_RSI, .index = H_R13, .disp = 1 });
		x64_mov_rr32(&x->e, H_RSI, H_RSI);
	} else {
		x64_lea(&x->e, X_W, H_RSI, (struct x64_mem){ .base = H_RSI, .index = H_R13 });
	}
}

/* MASKMOVQ/MASKMOVDQU store to DS:[EDI]: same treatment as STOS. */
static void emit_maskmov(struct xctx *x)
{
	if (x->in.address_width != 32 ||
	    (x->in.attributes & (ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS))) {
		x->fail = "maskmov with 16-bit addressing or an fs:/gs: override is not supported";
		return;
	}
	x->out->map[x->nmap - 1].flags |= TC_MAP_STR_DST;
	bias(x, VOFF(win_base), false, true, false);
	for (unsigned i = 0; i < x->in.length; i++) {
		uint8_t b = x->bytes[i];
		bool prefix = i < x->in.raw.prefix_count;
		if (!prefix || (b != 0x67 && b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e))
			e8(&x->e, b);
	}
	bias(x, VOFF(win_neg), false, true, true);
}

void emit_string(struct xctx *x)
{
	uint8_t op = x->in.opcode;
	if (x->in.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT) {
		emit_maskmov(x);
		return;
	}
	bool src = op == 0xa4 || op == 0xa5 || op == 0xa6 || op == 0xa7 || op == 0xac || op == 0xad;
	bool dst = op != 0xac && op != 0xad;
	int seg = -1;
	if (x->in.address_width != 32) {
		x->fail = "string instruction with 16-bit addressing is not supported";
		return;
	}
	if (src && (x->in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS))
		seg = X86_FS;
	else if (src && (x->in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS))
		seg = X86_GS;
	if (seg >= 0)
		x->out->map[x->nmap - 1].flags |= (uint16_t)((seg + 1) << TC_MAP_STRSEG_SHIFT);
	x->out->map[x->nmap - 1].flags |= (uint16_t)((src ? TC_MAP_STR_SRC : 0) | (dst ? TC_MAP_STR_DST : 0));
	bias(x, VOFF(win_base), src, dst, false);
	if (seg >= 0)
		bias_source_segment(x, seg, false);
	for (unsigned i = 0; i < x->in.raw.prefix_count; i++) {
		uint8_t p = x->in.raw.prefixes[i].value;
		if (p == 0x66 || p == 0xf2 || p == 0xf3 || p == 0xf0)
			e8(&x->e, p);
	}
	e8(&x->e, op);
	bias(x, VOFF(win_neg), src, dst, true);
	if (seg >= 0)
		bias_source_segment(x, seg, true);
}
