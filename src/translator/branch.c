/*
 * branch.c — control transfers and block exits.
 *
 * Direct branches end in `jmp rel32` / `jcc rel32` whose target is first an
 * exit stub at the end of the block; when the exit is taken the monitor
 * chains it by patching the rel32 to the target block (src/cache/chain.c).
 * Every stub:
 *     mov  dword [r15+exit_eip], target
 *     mov  dword [r15+exit_reason], VCPU_EXIT_BRANCH
 *     lea  r14, [rip - to the rel32 field]      ; exit_link: what to patch
 *     mov  [r15+exit_link], r14
 *     jmp  [r15+exit_tramp]
 * Indirect branches load the target into r14d and look it up in the
 * VirtualCPU's indirect-branch table without touching flags:
 *     mov r13d, 0 ; crc32 r13d, r14d ; movzx r13d, r13w
 *                                         ; index: vcpu_ibt_index(EIP)
 *                                         ; (no SSE4.2: bswap and lea, see vcpu.h)
 *     mov   r12d, [r15 + r13*4 + ibt[t].neg]  ; -(cached guest EIP); t: CPL 3 or not
 *     lea   r12d, [r12 + r14]             ; 0 iff it is ours
 *     xchg  rcx, r12 ; jrcxz hit0 ; xchg rcx, r12
 *     (the same with slot r13 + 1: disp + 4)      ; jrcxz hit1
 *     <exit INDIRECT>
 *  hitN: xchg  rcx, r12 ; jmp [r15 + r13*8 + ibt[t].host + 8*N]
 */
#include "xlate_int.h"

/* The IBT hash in use (vcpu.h): defined here, where the lookup code is
 * emitted; the monitor's vcpu_new sets it from the host CPU before any
 * translation, and translator-only programs keep the portable hash. */
bool vcpu_ibt_crc;

void xlate_map(struct xctx *x, gla_t eip, uint16_t flags, uint16_t len)
{
	struct xlate_block *o = x->out;
	if (x->nmap >= BT_ARRAY_SIZE(o->map)) {
		x->fail = "side table full";
		return;
	}
	o->map[x->nmap++] = (struct tc_map_entry){
		.host_off = x->e.len, .guest_eip = eip, .flags = flags, .guest_len = len };
}

static void store_exit(struct xctx *x, enum vcpu_exit r, gla_t eip)
{
	x64_mov_store_imm32(&x->e, 0, mem_b(H_VCPU, VOFF(exit_eip)), eip);
	x64_mov_store_imm32(&x->e, 0, mem_b(H_VCPU, VOFF(exit_reason)), (uint32_t)r);
}

static void jmp_tramp(struct xctx *x)
{
	x64_jmp_mem(&x->e, mem_b(H_VCPU, VOFF(exit_tramp)));
}

void emit_exit_reason(struct xctx *x, enum vcpu_exit r, gla_t eip)
{
	store_exit(x, r, eip);
	jmp_tramp(x);
	x->ended = true;
}

/* Under guest paging a chained jump to another page could outlive that
 * page's mapping; such exits look the target up in the IBT, which is
 * flushed on every CR3 write, INVLPG and CPL change. */
static bool exit_is_far(const struct xctx *x, gla_t target)
{
	return (x->env->mode & TC_MODE_PG) && ((target ^ x->block_eip) & BT_PAGE_MASK);
}

static void add_exit(struct xctx *x, uint32_t site, gla_t target)
{
	if (exit_is_far(x, target)) {
		if (x->nfar >= XLATE_MAX_EXITS) {
			x->fail = "too many exits in one block";
			return;
		}
		x->far_exits[x->nfar].site_off = site;
		x->far_exits[x->nfar++].target = target;
		return;
	}
	if (x->nexits >= XLATE_MAX_EXITS) {
		x->fail = "too many exits in one block";
		return;
	}
	x->out->exits[x->nexits++] = (struct tc_exit_desc){ .site_off = site, .target = target };
}

void emit_exit_to(struct xctx *x, gla_t target)
{
	add_exit(x, x64_jmp_rel32(&x->e), target);
	x->ended = true;
}

void emit_stubs(struct xctx *x)
{
	for (unsigned i = 0; i < x->nfar; i++) {
		xlate_map(x, x->far_exits[i].target, TC_MAP_STUB, 0);
		x64_patch_rel32(&x->e, x->far_exits[i].site_off, x->e.len);
		static const uint8_t mov_r14_imm = 0xbe;   /* mov r14d, imm32 (41 be) */
		e8(&x->e, 0x41);
		e8(&x->e, mov_r14_imm);
		e32(&x->e, x->far_exits[i].target);
		emit_ibt_lookup(x);
	}
	for (unsigned i = 0; i < x->nexits; i++) {
		struct tc_exit_desc *d = &x->out->exits[i];
		xlate_map(x, d->target, TC_MAP_STUB, 0);
		d->stub_off = x->e.len;
		x64_patch_rel32(&x->e, d->site_off, d->stub_off);
		store_exit(x, VCPU_EXIT_BRANCH, d->target);
		uint32_t lea_end = x->e.len + 7;   /* lea r14, [rip+disp32] is 7 bytes */
		x64_lea(&x->e, X_W, H_R14, (struct x64_mem){ .rip = true,
			.disp = (int32_t)(d->site_off - lea_end) });
		x64_mov_store32(&x->e, X_W, H_R14, mem_b(H_VCPU, VOFF(exit_link)));
		jmp_tramp(x);
	}
}

static gla_t branch_target(const struct xctx *x)
{
	ZyanU64 abs = 0;
	ZydisCalcAbsoluteAddress(&x->in, &x->ops[0], x->eip, &abs);
	return (gla_t)abs;
}

static bool near_32(struct xctx *x)
{
	if (x->in.operand_width != 32) {
		x->fail = "16-bit near branch (target truncated to IP) is not supported";
		return false;
	}
	return true;
}

void emit_jmp(struct xctx *x)
{
	if (x->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		emit_jmp_ind(x);
		return;
	}
	if (near_32(x))
		emit_exit_to(x, branch_target(x));
}

void emit_jcc(struct xctx *x)
{
	unsigned cc = x->in.opcode & 15;
	add_exit(x, x64_jcc_rel32(&x->e, cc), branch_target(x));
	emit_exit_to(x, x->next);
}

/*
 * LOOP/LOOPE/LOOPNE/JCXZ with a 0x67 prefix count CX, which 64-bit mode
 * cannot: decrement CX and test it for zero without touching flags.
 *     [lea r13d,[rcx-1]; mov cx,r13w]         ; LOOPcc: CX -= 1
 *     movzx r13d, cx ; xchg r13, rcx ; jrcxz Z ; xchg r13, rcx
 *     [jne/je F]                              ; LOOPE / LOOPNE: ZF condition
 *     jmp taken
 *  Z: xchg r13, rcx
 *  F: jmp fall-through
 */
static void emit_loop16(struct xctx *x)
{
	static const uint8_t lea_dec[] = { 0x44, 0x8d, 0x69, 0xff },  /* lea r13d, [rcx-1] */
		mov_cx[] = { 0x66, 0x44, 0x89, 0xe9 },                 /* mov cx, r13w */
		movzx[] = { 0x44, 0x0f, 0xb7, 0xe9 },                  /* movzx r13d, cx */
		xchg[] = { 0x4c, 0x87, 0xe9 };                         /* xchg rcx, r13 */
	struct emit *e = &x->e;
	uint8_t op = x->in.opcode;
	if (op != 0xe3) {
		ebytes(e, lea_dec, sizeof(lea_dec));
		ebytes(e, mov_cx, sizeof(mov_cx));
	}
	ebytes(e, movzx, sizeof(movzx));
	ebytes(e, xchg, sizeof(xchg));
	e8(e, 0xe3);                                  /* jrcxz Z */
	uint32_t to_zero = e->len;
	e8(e, 0);
	ebytes(e, xchg, sizeof(xchg));
	uint32_t to_fall = 0;
	if (op == 0xe1 || op == 0xe0) {               /* loope: ZF=1 needed; loopne: ZF=0 */
		e8(e, op == 0xe1 ? 0x75 : 0x74);
		to_fall = e->len;
		e8(e, 0);
	}
	bool jcxz = op == 0xe3;
	uint32_t taken_site = x64_jmp_rel32(e);
	if (!e->overflow)
		e->buf[to_zero] = (uint8_t)(e->len - (to_zero + 1));
	ebytes(e, xchg, sizeof(xchg));                /* Z: */
	if (jcxz) {                                   /* JCXZ jumps when CX == 0 */
		uint32_t zero_site = x64_jmp_rel32(e);
		add_exit(x, zero_site, branch_target(x));
		if (to_fall && !e->overflow)
			e->buf[to_fall] = (uint8_t)(e->len - (to_fall + 1));
		add_exit(x, taken_site, x->next);     /* CX != 0: fall through */
		x->ended = true;
		return;
	}
	if (to_fall && !e->overflow)
		e->buf[to_fall] = (uint8_t)(e->len - (to_fall + 1));
	add_exit(x, taken_site, branch_target(x));
	emit_exit_to(x, x->next);
}

void emit_loop(struct xctx *x)
{
	if (x->in.address_width == 16) {
		emit_loop16(x);
		return;
	}
	/* 67 e2 02 (loop → T) ; eb 05 (→ F) ; T: jmp taken ; F: jmp fallthrough */
	e8(&x->e, 0x67);
	e8(&x->e, x->in.opcode);
	e8(&x->e, 0x02);
	e8(&x->e, 0xeb);
	e8(&x->e, 0x05);
	add_exit(x, x64_jmp_rel32(&x->e), branch_target(x));
	emit_exit_to(x, x->next);
}

bool emit_load_target(struct xctx *x)
{
	const ZydisDecodedOperand *op = &x->ops[0];
	if (!near_32(x))
		return false;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		x64_mov_rr32(&x->e, H_R14, (unsigned)memop_gpr(op->reg.value));
		return true;
	}
	struct x64_mem m;
	unsigned flags;
	if (!memop_host(x, op, &m, &flags))
		return false;
	x64_mov_load32(&x->e, flags, H_R14, m);
	return true;
}

void emit_ibt_lookup(struct xctx *x)
{
	if (x->env->mode & TC_MODE_STEP) {   /* stepping: every branch returns to the monitor */
		x64_mov_store32(&x->e, 0, H_R14, mem_b(H_VCPU, VOFF(exit_eip)));
		x64_mov_store_imm32(&x->e, 0, mem_b(H_VCPU, VOFF(exit_reason)), VCPU_EXIT_INDIRECT);
		jmp_tramp(x);
		x->ended = true;
		return;
	}
	static const uint8_t movzx[2] = { 0x0f, 0xb7 }, xchg = 0x87;
	struct emit *e = &x->e;
	unsigned t = (x->env->mode & TC_MODE_CPL_MASK) == 3;   /* the user or supervisor table */
	if (vcpu_ibt_crc) {
		static const uint8_t crc32[] = {
			0x41, 0xbd, 0, 0, 0, 0,                 /* mov r13d, 0 (no flags) */
			0xf2, 0x45, 0x0f, 0x38, 0xf1, 0xee };   /* crc32 r13d, r14d */
		for (size_t i = 0; i < sizeof(crc32); i++)
			e8(e, crc32[i]);
	} else {   /* vcpu_ibt_index's portable hash, with LEA and BSWAP only */
		x64_mov_rr32(e, H_R13, H_R14);
		e8(e, 0x41);                      /* bswap r13d: t */
		e8(e, 0x0f);
		e8(e, 0xcd);
		x64_lea(e, 0, H_R12, (struct x64_mem){ .base = H_R14, .index = H_R14, .scale = 3 });
		x64_lea(e, 0, H_R13, (struct x64_mem){ .base = H_R12, .index = H_R13, .scale = 3 });
		x64_mov_rr32(e, H_R12, H_R13);    /* a = 9*EIP + 8*t */
		e8(e, 0x41);                      /* bswap r12d */
		e8(e, 0x0f);
		e8(e, 0xcc);
		x64_lea(e, 0, H_R12, (struct x64_mem){ .base = H_R12, .index = H_R12, .scale = 1 });
		x64_lea(e, 0, H_R13, (struct x64_mem){ .base = H_R13, .index = H_R12 });   /* a + 3*bswap(a) */
	}
	x64_rr_insn(e, 0, movzx, 2, H_R13, H_R13);
	/* Two ways: slot r13 and slot r13 + 1 (the arrays have one extra). */
	uint32_t hit[2];
	for (unsigned w = 0; w < 2; w++) {
		x64_mov_load32(e, 0, H_R12, (struct x64_mem){ .base = H_VCPU, .index = H_R13, .scale = 2,
			.disp = VOFF(ibt[t].neg) + 4 * (int32_t)w });
		x64_lea(e, 0, H_R12, (struct x64_mem){ .base = H_R12, .index = H_R14 });
		x64_rr_insn(e, X_W, &xchg, 1, H_R12, H_RCX);
		e8(e, 0xe3);                      /* jrcxz hit[w] */
		hit[w] = e->len;
		e8(e, 0);
		x64_rr_insn(e, X_W, &xchg, 1, H_R12, H_RCX);
	}
	x64_mov_store32(e, 0, H_R14, mem_b(H_VCPU, VOFF(exit_eip)));
	x64_mov_store_imm32(e, 0, mem_b(H_VCPU, VOFF(exit_reason)), VCPU_EXIT_INDIRECT);
	jmp_tramp(x);
	for (unsigned w = 0; w < 2; w++) {
		if (!e->overflow)
			e->buf[hit[w]] = (uint8_t)(e->len - (hit[w] + 1));
		x64_rr_insn(e, X_W, &xchg, 1, H_R12, H_RCX);   /* hit[w]: */
		x64_jmp_mem(e, (struct x64_mem){ .base = H_VCPU, .index = H_R13, .scale = 3,
			.disp = VOFF(ibt[t].host) + 8 * (int32_t)w });
	}
	x->ended = true;
}

void emit_jmp_ind(struct xctx *x)
{
	if (emit_load_target(x))
		emit_ibt_lookup(x);
}

void emit_call(struct xctx *x)
{
	if (x->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		emit_call_ind(x);
		return;
	}
	if (!near_32(x))
		return;
	x64_mov_store_imm32(&x->e, X_GS | X_A32, mem_b(H_RSP, -4), x->next);
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, -4));
	emit_exit_to(x, branch_target(x));
}

void emit_call_ind(struct xctx *x)
{
	if (!emit_load_target(x))   /* the operand may use ESP: read it first */
		return;
	x64_mov_store_imm32(&x->e, X_GS | X_A32, mem_b(H_RSP, -4), x->next);
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, -4));
	emit_ibt_lookup(x);
}

void emit_ret(struct xctx *x)
{
	int32_t pop = 4;
	if (x->in.operand_count_visible > 0 && x->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		pop += (int32_t)(x->ops[0].imm.value.u & 0xffff);
	if (!near_32(x))
		return;
	x64_mov_load32(&x->e, X_GS | X_A32, H_R14, mem_b(H_RSP, 0));
	x64_lea(&x->e, 0, H_RSP, mem_b(H_RSP, pop));
	emit_ibt_lookup(x);
}
