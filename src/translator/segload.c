/*
 * segload.c — segment-register loads (MOV/POP to DS, ES, FS, GS) and the
 * descriptor probes VERR/VERW without leaving translated code, checked
 * against memos the monitor fills.
 *
 * Where it sits: rules.c picks XR_LOAD_SREG / XR_VERX, translate.c calls the
 * emitters here. The monitor's seg_load (monitor/segments.c) and its
 * VERR/VERW procedure (monitor/emulate_seg.c) fill struct vcpu's seg_memo[s]
 * / verr_memo / verw_memo after each load or probe they run; LGDT, LLDT and
 * a boot clear them (vcpu_memo_clear).
 *
 * Why a memo hit is exact: what a load (or probe) produces depends only on
 * the selector, the CPL, the 8 descriptor bytes and where the descriptor
 * tables are. The first two are the memo's key; the bytes are read again at
 * the memo's linear address and compared on every use, so a guest that
 * rewrites a GDT entry and reloads the same selector (Linux does, for TLS)
 * gets the new descriptor; the tables cannot move while a memo lives.
 *
 *   movzx r12d, <selector>                 ; register, gs:[mem] or gs:[esp]
 *  [xchg rcx,r12 ; jrcxz T ; xchg rcx,r12 ; jmp MEMO ; T: jmp NUL]  ; loads
 * MEMO:
 *   mov r13d,[memo.key] ; not r13d ; lea r13d,[r13+r12+K+1]  ; 0 iff key = sel|K
 *   xchg rcx,r13 ; jrcxz KEY
 * MISS: xchg rcx,r13                                 ; RCX is the guest's again
 *   mov [exit_eip],eip ; mov [exit_reason],EMULATE ; jmp [exit_tramp]
 * KEY: xchg rcx,r13
 *   mov r13d,[memo.la] ; mov r14,gs:[r13d]           ; TC_MAP_DESC: may fault
 *   mov r13,[memo.desc] ; not r13 ; lea r13,[r13+r14+1]      ; 0 iff unchanged
 *   xchg rcx,r13 ; jrcxz HIT ; jmp MISS
 * HIT: xchg rcx,r13
 *   load:  seg[s] = memo.seg (two 8-byte moves), seg_base[s] = its base,
 *          [pop: lea esp,[rsp+n]] ; jmp DONE
 *          NUL: xchg rcx,r12 ; seg[s].sel = 0, .flags = 0 (as seg_load) [; lea esp]
 *          DONE:
 *   probe: pushfq on the VirtualCPU scratch stack, ZF := memo.zf, popfq
 *
 * K is the CPL the block runs at with VCPU_MEMO_VALID, so an empty (zeroed)
 * memo never matches. Guest flags: only MOVZX, MOV, NOT, LEA, XCHG and JRCXZ
 * run on them; a probe changes ZF and nothing else.
 * INVARIANT (precise faults): the selector and the descriptor are read
 * before any guest state changes and while RCX holds the guest's ECX, so a
 * fault anywhere restarts the instruction. A fault on the descriptor read
 * that is not a TLB fill (the page is gone, a hole, not readable at this
 * CPL) falls back to the monitor procedure (fault.c, TC_MAP_DESC). A miss
 * exits with every guest register intact; the monitor procedure runs and
 * fills the memo for next time.
 */
#include "xlate_int.h"

static const uint8_t OP_MOVZX16[2] = { 0x0f, 0xb7 }, OP_XCHG = 0x87, OP_NOT = 0xf7;

/* movzx r12d, <16-bit selector operand> (a register or memory); false on failure. */
static bool read_selector(struct xctx *x, const ZydisDecodedOperand *op)
{
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		ZydisRegisterClass c = ZydisRegisterGetClass(op->reg.value);
		if (c != ZYDIS_REGCLASS_GPR16 && c != ZYDIS_REGCLASS_GPR32) {
			x->fail = "selector operand is not a general register";
			return false;
		}
		x64_rr_insn(&x->e, 0, OP_MOVZX16, 2, H_R12, (unsigned)ZydisRegisterGetId(op->reg.value));
		return true;
	}
	struct x64_mem m;
	unsigned flags;
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || !memop_host(x, op, &m, &flags)) {
		if (!x->fail)
			x->fail = "selector operand kind not supported";
		return false;
	}
	x64_mem_insn(&x->e, flags, NULL, 0, OP_MOVZX16, 2, H_R12, &m);
	return true;
}

/* POP sreg: the whole stack slot (2 or 4 bytes, as the monitor reads it). */
static void read_selector_from_stack(struct xctx *x, unsigned size)
{
	if (size == 4) {
		x64_mov_load32(&x->e, X_GS | X_A32, H_R12, mem_b(H_RSP, 0));
		x64_rr_insn(&x->e, 0, OP_MOVZX16, 2, H_R12, H_R12);
	} else {
		struct x64_mem m = mem_b(H_RSP, 0);
		x64_mem_insn(&x->e, X_GS | X_A32, NULL, 0, OP_MOVZX16, 2, H_R12, &m);
	}
}

static void xchg_rcx(struct xctx *x, unsigned r)
{
	x64_rr_insn(&x->e, X_W, &OP_XCHG, 1, r, H_RCX);
}

/* A short branch (jrcxz e3 / jmp eb) to be patched; returns its rel8 offset. */
static uint32_t branch8(struct xctx *x, uint8_t op)
{
	e8(&x->e, op);
	e8(&x->e, 0);
	return x->e.len - 1;
}

static void patch8(struct xctx *x, uint32_t site, uint32_t target)
{
	int32_t rel = (int32_t)target - (int32_t)(site + 1);
	if (rel < -128 || rel > 127)
		x->fail = "segment memo sequence: short branch out of range";
	else if (!x->e.overflow)
		x->e.buf[site] = (uint8_t)rel;
}

/* r13 = 0 iff r12d (the selector) matches the memo key for this CPL. */
static void key_difference(struct xctx *x, int32_t key_off)
{
	uint32_t cpl = x->env->mode & TC_MODE_CPL_MASK;
	x64_mov_load32(&x->e, 0, H_R13, mem_b(H_VCPU, key_off));
	x64_rr_insn(&x->e, 0, &OP_NOT, 1, 2, H_R13);
	x64_lea(&x->e, 0, H_R13, (struct x64_mem){ .base = H_R13, .index = H_R12,
		.disp = (int32_t)(VCPU_MEMO_KEY(0, cpl) + 1) });
}

/*
 * The memo check shared by loads and probes, for the memo at `memo` (offsets
 * of its key, la and desc fields). Emits everything from the key comparison
 * to the HIT label; execution continues after it only on a hit, with RCX
 * restored. The miss path exits to the monitor procedure for this instruction.
 */
static void memo_check(struct xctx *x, int32_t key_off, int32_t la_off, int32_t desc_off)
{
	struct emit *e = &x->e;
	key_difference(x, key_off);
	xchg_rcx(x, H_R13);
	uint32_t to_key = branch8(x, 0xe3);                 /* jrcxz KEY */
	uint32_t miss = e->len;
	xchg_rcx(x, H_R13);                                 /* MISS: */
	x64_mov_store_imm32(e, 0, mem_b(H_VCPU, VOFF(exit_eip)), x->eip);
	x64_mov_store_imm32(e, 0, mem_b(H_VCPU, VOFF(exit_reason)), VCPU_EXIT_EMULATE);
	x64_jmp_mem(e, mem_b(H_VCPU, VOFF(exit_tramp)));
	patch8(x, to_key, e->len);
	xchg_rcx(x, H_R13);                                 /* KEY: */
	x64_mov_load32(e, 0, H_R13, mem_b(H_VCPU, la_off));
	xlate_map(x, x->eip, TC_MAP_DESC, x->in.length);
	x64_mov_load32(e, X_GS | X_A32 | X_W, H_R14, mem_b(H_R13, 0));
	xlate_map(x, x->eip, 0, x->in.length);
	x64_mov_load32(e, X_W, H_R13, mem_b(H_VCPU, desc_off));
	x64_rr_insn(e, X_W, &OP_NOT, 1, 2, H_R13);
	x64_lea(e, X_W, H_R13, (struct x64_mem){ .base = H_R13, .index = H_R14, .disp = 1 });
	xchg_rcx(x, H_R13);
	uint32_t to_hit = branch8(x, 0xe3);                 /* jrcxz HIT */
	uint32_t back = branch8(x, 0xeb);                   /* jmp MISS */
	patch8(x, back, miss);
	patch8(x, to_hit, e->len);
	xchg_rcx(x, H_R13);                                 /* HIT: */
}

/* MOV sreg, r/m16 and POP sreg for DS, ES, FS, GS. */
void emit_load_sreg(struct xctx *x)
{
	struct emit *e = &x->e;
	bool pop = x->in.mnemonic == ZYDIS_MNEMONIC_POP;
	int s = ZydisRegisterGetId(x->ops[0].reg.value);
	unsigned size = x->in.operand_width / 8;
	if (s != X86_DS && s != X86_ES && s != X86_FS && s != X86_GS) {
		x->fail = "only DS, ES, FS and GS loads are inline";
		return;
	}
	if (pop && size != 2 && size != 4) {
		x->fail = "pop with an unexpected operand size";
		return;
	}
	if (pop)
		read_selector_from_stack(x, size);
	else if (!read_selector(x, &x->ops[1]))
		return;

	/* Selector 0 goes to NUL, at the end (through a near jump: too far for
	 * jrcxz), so that in code order every state change follows the reads. */
	xchg_rcx(x, H_R12);
	uint32_t to_null = branch8(x, 0xe3);                /* jrcxz T */
	xchg_rcx(x, H_R12);
	uint32_t to_memo = branch8(x, 0xeb);                /* jmp MEMO */
	patch8(x, to_null, e->len);
	uint32_t to_nul = x64_jmp_rel32(e);                 /* T: jmp NUL */
	patch8(x, to_memo, e->len);

	memo_check(x, VOFF(seg_memo[s].key), VOFF(seg_memo[s].la), VOFF(seg_memo[s].desc));
	x64_mov_load32(e, X_W, H_R13, mem_b(H_VCPU, VOFF(seg_memo[s].seg)));
	x64_mov_store32(e, X_W, H_R13, mem_b(H_VCPU, VOFF(seg[s])));
	x64_mov_load32(e, X_W, H_R13, mem_b(H_VCPU, VOFF(seg_memo[s].seg) + 8));
	x64_mov_store32(e, X_W, H_R13, mem_b(H_VCPU, VOFF(seg[s]) + 8));
	x64_mov_load32(e, 0, H_R13, mem_b(H_VCPU, VOFF(seg_memo[s].seg.base)));
	x64_mov_store32(e, 0, H_R13, mem_b(H_VCPU, VOFF(seg_base[s])));
	if (pop)
		x64_lea(e, 0, H_RSP, mem_b(H_RSP, (int32_t)size));
	uint32_t to_done = branch8(x, 0xeb);                /* jmp DONE */

	x64_patch_rel32(e, to_nul, e->len);
	xchg_rcx(x, H_R12);                                 /* NUL: r12 = 0, as seg_load does */
	static const uint8_t p66 = 0x66, op_mov = 0x89;
	struct x64_mem sel = mem_b(H_VCPU, VOFF(seg[s].sel));
	x64_mem_insn(e, 0, &p66, 1, &op_mov, 1, H_R12, &sel);
	x64_mov_store_imm32(e, 0, mem_b(H_VCPU, VOFF(seg[s].flags)), 0);
	if (pop)
		x64_lea(e, 0, H_RSP, mem_b(H_RSP, (int32_t)size));
	patch8(x, to_done, e->len);                         /* DONE: */
}

/* VERR/VERW r/m16: ZF from the memo, every other flag kept. */
void emit_verx(struct xctx *x)
{
	struct emit *e = &x->e;
	bool verw = x->in.mnemonic == ZYDIS_MNEMONIC_VERW;
	const int32_t memo = verw ? VOFF(verw_memo) : VOFF(verr_memo);
#define PROBE_OFF(f) (memo + (int32_t)offsetof(struct vcpu_probe_memo, f))
	const int32_t key = PROBE_OFF(key), la = PROBE_OFF(la), desc = PROBE_OFF(desc), zf = PROBE_OFF(zf);
#undef PROBE_OFF
	if (!read_selector(x, &x->ops[0]))
		return;
	memo_check(x, key, la, desc);
	/* The flags, on the VirtualCPU's scratch stack: out, ZF replaced, back. */
	static const uint8_t and_imm = 0x81, or_load = 0x0b;
	x64_mov_rr64(e, H_R13, H_RSP);
	x64_lea(e, X_W, H_RSP, mem_b(H_VCPU, VOFF(scratch) + (int32_t)sizeof(((struct vcpu *)0)->scratch)));
	e8(e, 0x9c);                                        /* pushfq */
	e8(e, 0x41);
	e8(e, 0x5c);                                        /* pop r12 */
	x64_rr_insn(e, 0, &and_imm, 1, 4, H_R12);           /* and r12d, ~ZF */
	e32(e, ~(uint32_t)X86_FL_ZF);
	struct x64_mem m = mem_b(H_VCPU, zf);
	x64_mem_insn(e, 0, NULL, 0, &or_load, 1, H_R12, &m);  /* or r12d, [memo.zf] */
	e8(e, 0x41);
	e8(e, 0x54);                                        /* push r12 */
	e8(e, 0x9d);                                        /* popfq */
	x64_mov_rr64(e, H_RSP, H_R13);
}
