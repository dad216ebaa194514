/*
 * rules.c — THE rule table: how each guest instruction is translated.
 *
 * Classification happens in this order:
 *   1. opcodes whose meaning differs in 64-bit mode (INC/DEC 40–4F, 0x82,
 *      string ops, moffs MOV) by raw opcode;
 *   2. the mnemonic table below (sensitive instructions, stack, branches);
 *   3. everything else: an ISA extension the modelled CPU (P6 + SSE2) has →
 *      copied (with 65 67 when it touches memory); anything else → #UD.
 * At CPL > 0 the inline IF procedures become monitor calls (IOPL checks);
 * at CPL 3 with paging, so do segment loads and VERR/VERW (segload.c).
 */
#include "xlate_int.h"

struct rule_row {
	ZydisMnemonic mn;
	enum xlate_rule rule;
	const char *why;
};

#define EMU(m, why) { ZYDIS_MNEMONIC_##m, XR_EMULATE, why }

static const struct rule_row rule_table[] = {
	/* inline monitor procedures on the VirtualCPU */
	{ ZYDIS_MNEMONIC_CLI,    XR_CLI,   "cli → VirtualCPU.IF = 0 (inline)" },
	{ ZYDIS_MNEMONIC_STI,    XR_STI,   "sti → VirtualCPU.IF = 1, poll for interrupts after the next instruction (inline)" },
	{ ZYDIS_MNEMONIC_PUSHFD, XR_PUSHF, "pushfd → host arithmetic flags + VirtualCPU IF/IOPL/AC/ID pushed through the window (inline)" },
	{ ZYDIS_MNEMONIC_POPFD,  XR_POPF,  "popfd → arithmetic flags to host RFLAGS, IF/IOPL/AC/ID to VirtualCPU, then poll (inline)" },
	{ ZYDIS_MNEMONIC_RDTSC,  XR_RDTSC, "rdtsc → host TSC passed through (copied)" },
	/* stack: explicit gs:[esp±n] accesses, memory written before ESP changes */
	{ ZYDIS_MNEMONIC_PUSH,   XR_PUSH,  "push → mov gs:[esp-4], src; lea esp, [rsp-4]" },
	{ ZYDIS_MNEMONIC_POP,    XR_POP,   "pop → load gs:[esp]; lea esp, [rsp+4]; store" },
	{ ZYDIS_MNEMONIC_PUSHAD, XR_PUSHA, "pushad → eight gs:[esp-n] stores, then ESP" },
	{ ZYDIS_MNEMONIC_POPAD,  XR_POPA,  "popad → seven loads into scratch, then registers and ESP" },
	{ ZYDIS_MNEMONIC_ENTER,  XR_ENTER, "enter → push ebp; mov ebp, esp; lea esp, [rsp-n]" },
	{ ZYDIS_MNEMONIC_LEAVE,  XR_LEAVE, "leave → load gs:[ebp] into scratch; lea esp, [rbp+4]; mov ebp" },
	/* control transfer */
	{ ZYDIS_MNEMONIC_JMP,    XR_JMP,   "jmp → chained jmp rel32 (exit stub until the target is translated)" },
	{ ZYDIS_MNEMONIC_CALL,   XR_CALL,  "call → return address stored at gs:[esp-4], chained jmp" },
	{ ZYDIS_MNEMONIC_RET,    XR_RET,   "ret → target loaded from gs:[esp], flag-free indirect-branch-table lookup" },
	{ ZYDIS_MNEMONIC_LOOP,   XR_LOOP,  "loop → 67 e2 (ECX) over two chained exits" },
	{ ZYDIS_MNEMONIC_LOOPE,  XR_LOOP,  "loope → 67 e1 (ECX) over two chained exits" },
	{ ZYDIS_MNEMONIC_LOOPNE, XR_LOOP,  "loopne → 67 e0 (ECX) over two chained exits" },
	{ ZYDIS_MNEMONIC_JECXZ,  XR_LOOP,  "jecxz → 67 e3 (ECX) over two chained exits" },
	/* monitor procedures in C (VCPU_EXIT_EMULATE) */
	EMU(HLT, "hlt → monitor: wait for an interrupt"),
	EMU(IN, "in → monitor: port I/O dispatch"),
	EMU(OUT, "out → monitor: port I/O dispatch"),
	EMU(INSB, "insb → monitor: string port input"), EMU(INSW, "insw → monitor: string port input"),
	EMU(INSD, "insd → monitor: string port input"),
	EMU(OUTSB, "outsb → monitor: string port output"), EMU(OUTSW, "outsw → monitor: string port output"),
	EMU(OUTSD, "outsd → monitor: string port output"),
	EMU(CPUID, "cpuid → monitor: the modelled P6-class CPU"),
	EMU(LGDT, "lgdt → monitor: VirtualCPU.GDTR"), EMU(LIDT, "lidt → monitor: VirtualCPU.IDTR"),
	EMU(SGDT, "sgdt → monitor: stores VirtualCPU.GDTR, not the host's"),
	EMU(SIDT, "sidt → monitor: stores VirtualCPU.IDTR, not the host's"),
	EMU(SLDT, "sldt → monitor"), EMU(STR, "str → monitor"), EMU(LLDT, "lldt → monitor"), EMU(LTR, "ltr → monitor"),
	EMU(SMSW, "smsw → monitor: VirtualCPU.CR0"), EMU(LMSW, "lmsw → monitor: VirtualCPU.CR0"),
	EMU(CLTS, "clts → monitor: VirtualCPU.CR0.TS = 0"),
	EMU(INVLPG, "invlpg → monitor: shadow TLB"), EMU(WBINVD, "wbinvd → monitor (no-op)"), EMU(INVD, "invd → monitor (no-op)"),
	EMU(INT, "int n → monitor: delivery through the guest IDT"), EMU(INT3, "int3 → monitor: #BP through the guest IDT"),
	EMU(INT1, "int1 → monitor: #DB through the guest IDT"), EMU(INTO, "into → monitor: #OF if OF"),
	EMU(IRETD, "iretd → monitor: return from interrupt"), EMU(IRET, "iret (16-bit) → monitor"),
	EMU(SYSENTER, "sysenter → monitor"), EMU(SYSEXIT, "sysexit → monitor"),
	EMU(RDMSR, "rdmsr → monitor: modelled MSRs"), EMU(WRMSR, "wrmsr → monitor: modelled MSRs"),
	EMU(RDPMC, "rdpmc → monitor"),
	EMU(LAR, "lar → monitor: descriptor access rights"), EMU(LSL, "lsl → monitor: segment limit"),
	EMU(LDS, "lds → monitor: segment load"), EMU(LES, "les → monitor: segment load"),
	EMU(LFS, "lfs → monitor: segment load"), EMU(LGS, "lgs → monitor: segment load"), EMU(LSS, "lss → monitor: segment load"),
	EMU(DAA, "daa → monitor (invalid in 64-bit mode)"), EMU(DAS, "das → monitor (invalid in 64-bit mode)"),
	EMU(AAA, "aaa → monitor (invalid in 64-bit mode)"), EMU(AAS, "aas → monitor (invalid in 64-bit mode)"),
	EMU(AAM, "aam → monitor (invalid in 64-bit mode)"), EMU(AAD, "aad → monitor (invalid in 64-bit mode)"),
	EMU(SALC, "salc → monitor (invalid in 64-bit mode)"), EMU(BOUND, "bound → monitor (EVEX in 64-bit mode)"),
	EMU(ARPL, "arpl → monitor (MOVSXD in 64-bit mode)"),
	EMU(PUSHFD, "pushfd at CPL>0 → monitor"), EMU(PUSHF, "pushf (16-bit) → monitor"), EMU(POPF, "popf (16-bit) → monitor"),
	EMU(PUSHA, "pusha (16-bit) → monitor"), EMU(POPA, "popa (16-bit) → monitor"),
	/* not understood */
	{ ZYDIS_MNEMONIC_UD0, XR_UD, "ud0 → #UD" },
	{ ZYDIS_MNEMONIC_UD1, XR_UD, "ud1 → #UD" },
	{ ZYDIS_MNEMONIC_UD2, XR_UD, "ud2 → #UD" },
};

static const char *const rule_names[XR_NRULES] = {
	[XR_COPY] = "copy", [XR_COPY_MEM] = "copy+gs", [XR_COPY_MEM_ABS] = "copy+gs+sib",
	[XR_COPY_MEM_SEG] = "copy+segbase", [XR_LEA] = "lea", [XR_INCDEC] = "incdec",
	[XR_REENCODE] = "reencode", [XR_PUSH] = "push", [XR_POP] = "pop", [XR_PUSHA] = "pusha",
	[XR_POPA] = "popa", [XR_ENTER] = "enter", [XR_LEAVE] = "leave", [XR_CALL] = "call",
	[XR_CALL_IND] = "call-ind", [XR_RET] = "ret", [XR_JMP] = "jmp", [XR_JCC] = "jcc",
	[XR_JMP_IND] = "jmp-ind", [XR_LOOP] = "loop", [XR_STRING] = "string", [XR_CLI] = "cli",
	[XR_STI] = "sti", [XR_PUSHF] = "pushf", [XR_POPF] = "popf", [XR_MOV_FROM_SREG] = "mov-sreg",
	[XR_RDTSC] = "rdtsc", [XR_PUSH_SREG] = "push-sreg", [XR_LOAD_SREG] = "load-sreg",
	[XR_VERX] = "verr-verw", [XR_EMULATE] = "emulate", [XR_UD] = "ud",
};

const char *xlate_rule_name(enum xlate_rule r)
{
	return (unsigned)r < XR_NRULES && rule_names[r] ? rule_names[r] : "?";
}

/* ISA extensions of the modelled CPU (CPUID: P6 family with MMX, SSE, SSE2). */
bool xlate_isa_modelled(int ext)
{
	switch ((ZydisISAExt)ext) {
	case ZYDIS_ISA_EXT_BASE: case ZYDIS_ISA_EXT_X87: case ZYDIS_ISA_EXT_MMX:
	case ZYDIS_ISA_EXT_SSE: case ZYDIS_ISA_EXT_SSE2: case ZYDIS_ISA_EXT_PAUSE:
	case ZYDIS_ISA_EXT_CLFSH:
		return true;
	default:
		return false;
	}
}

static bool has_reg_class(const struct xctx *x, ZydisRegisterClass cls)
{
	for (unsigned i = 0; i < x->in.operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(x->ops[i].reg.value) == cls)
			return true;
	return false;
}

/* F3-prefixed encodings a P6 executes as something older: TZCNT/LZCNT are
 * REP BSF/BSR there (compilers emit `rep bsf` on purpose), ENDBR32 a NOP. */
static enum xlate_rule classify_legacy_alias(const struct xctx *x, const char **why)
{
	switch (x->in.mnemonic) {
	case ZYDIS_MNEMONIC_TZCNT:
	case ZYDIS_MNEMONIC_LZCNT:
		*why = "rep bsf/bsr (tzcnt/lzcnt on newer CPUs) → bsf/bsr: the modelled CPU has no BMI1/LZCNT";
		return XR_REENCODE;
	case ZYDIS_MNEMONIC_ENDBR32:
		*why = "endbr32 → copied: a hint NOP on the modelled CPU";
		return XR_COPY;
	default:
		return XR_NRULES;
	}
}

static uint8_t opcode_byte(const struct xctx *x)
{
	return x->in.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT ? x->in.opcode : 0;
}

/* Step 1: by raw opcode. Returns XR_NRULES if no raw rule applies. */
static enum xlate_rule classify_raw(const struct xctx *x, const char **why)
{
	uint8_t op = opcode_byte(x);
	if (x->in.mnemonic == ZYDIS_MNEMONIC_MASKMOVQ || x->in.mnemonic == ZYDIS_MNEMONIC_MASKMOVDQU) {
		*why = "maskmov (implicit [edi]) → RDI biased by the window base, un-biased after";
		return XR_STRING;
	}
	if (x->in.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return XR_NRULES;
	if (op >= 0x40 && op <= 0x4f) {
		*why = "inc/dec r32 (0x40–0x4f are REX in 64-bit mode) → ff /0, /1";
		return XR_INCDEC;
	}
	if (op == 0x82) {
		*why = "0x82 (invalid in 64-bit mode) → 0x80";
		return XR_REENCODE;
	}
	if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf)) {
		*why = "string op → RSI/RDI biased by the window base, 64-bit addressing, un-biased after";
		return XR_STRING;
	}
	if (op >= 0xa0 && op <= 0xa3) {
		*why = "mov moffs → mov r/m form addressed through the window";
		return XR_REENCODE;
	}
	if (op == 0xd7) {
		*why = "xlat → copied with 65 67 ([ebx+al] through the window)";
		return XR_COPY_MEM;
	}
	return XR_NRULES;
}

/*
 * Can this block read descriptor tables through the window? At CPL 3 with
 * paging the GS base is the user view, where the (supervisor) GDT pages are
 * not mapped: there segment loads and probes keep exiting to the monitor.
 */
static bool descriptors_readable(const struct xctx *x)
{
	return (x->env->mode & TC_MODE_CPL_MASK) != 3 || !(x->env->mode & TC_MODE_PG);
}

static bool is_data_sreg(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_DS || r == ZYDIS_REGISTER_ES ||
	       r == ZYDIS_REGISTER_FS || r == ZYDIS_REGISTER_GS;
}

/* Instructions with a segment-register operand. */
static enum xlate_rule classify_sreg(const struct xctx *x, const char **why)
{
	ZydisMnemonic mn = x->in.mnemonic;
	const ZydisDecodedOperand *o0 = &x->ops[0];
	bool to_sreg = o0->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		       ZydisRegisterGetClass(o0->reg.value) == ZYDIS_REGCLASS_SEGMENT;
	if (mn == ZYDIS_MNEMONIC_MOV && o0->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(o0->reg.value) == ZYDIS_REGCLASS_GPR32) {
		*why = "mov r32, sreg → movzx from VirtualCPU selector (inline)";
		return XR_MOV_FROM_SREG;
	}
	if (mn == ZYDIS_MNEMONIC_PUSH && to_sreg) {
		*why = "push sreg → movzx r12d from the VirtualCPU selector, pushed through the window (inline)";
		return XR_PUSH_SREG;
	}
	if ((mn == ZYDIS_MNEMONIC_MOV || mn == ZYDIS_MNEMONIC_POP) && to_sreg && is_data_sreg(o0->reg.value)) {
		if (descriptors_readable(x)) {
			*why = mn == ZYDIS_MNEMONIC_POP
				? "pop ds/es/fs/gs → selector from gs:[esp]; segment memo used if its key (selector, CPL) and the descriptor re-read through the window match, else monitor (inline)"
				: "mov ds/es/fs/gs → segment memo used if its key (selector, CPL) and the descriptor re-read through the window match, else monitor (inline)";
			return XR_LOAD_SREG;
		}
		*why = "segment load at CPL 3 with paging → monitor: the user window cannot read the GDT";
		return XR_EMULATE;
	}
	*why = "segment register load/store (SS, CS, LDS…) → monitor: descriptor checks and cache";
	return XR_EMULATE;
}

/* VERR/VERW: inline through their memo where descriptors are readable. */
static enum xlate_rule classify_probe(const struct xctx *x, const char **why)
{
	if (!descriptors_readable(x)) {
		*why = "verr/verw at CPL 3 with paging → monitor: the user window cannot read the GDT";
		return XR_EMULATE;
	}
	*why = "verr/verw → ZF from the probe memo (pushfq/popfq on the scratch stack) if its key (selector, CPL) and the descriptor re-read through the window match, else monitor (inline)";
	return XR_VERX;
}

enum xlate_rule rules_classify(struct xctx *x, const char **why)
{
	enum xlate_rule r = classify_raw(x, why);
	if (r != XR_NRULES)
		return r;
	r = classify_legacy_alias(x, why);
	if (r != XR_NRULES)
		return r;

	ZydisMnemonic mn = x->in.mnemonic;
	if (x->in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
		*why = "far jmp/call/ret → monitor: segment load, CS descriptor cached";
		return XR_EMULATE;
	}
	if (mn == ZYDIS_MNEMONIC_MOV && (has_reg_class(x, ZYDIS_REGCLASS_CONTROL) ||
					 has_reg_class(x, ZYDIS_REGCLASS_DEBUG))) {
		*why = "mov to/from CRn/DRn → monitor: VirtualCPU control registers";
		return XR_EMULATE;
	}
	if (has_reg_class(x, ZYDIS_REGCLASS_SEGMENT))
		return classify_sreg(x, why);
	if (x->in.meta.category == ZYDIS_CATEGORY_COND_BR && mn != ZYDIS_MNEMONIC_LOOP &&
	    mn != ZYDIS_MNEMONIC_LOOPE && mn != ZYDIS_MNEMONIC_LOOPNE && mn != ZYDIS_MNEMONIC_JECXZ) {
		if (mn == ZYDIS_MNEMONIC_JCXZ) {
			*why = "jcxz (CX) → movzx/xchg/jrcxz on CX over two chained exits";
			return XR_LOOP;
		}
		*why = "jcc → jcc rel32 + jmp rel32, both chained";
		return XR_JCC;
	}
	if (mn == ZYDIS_MNEMONIC_ENTER && (x->ops[1].imm.value.u & 0x1f) != 0) {
		*why = "enter with a nesting level → monitor: copies the enclosing frame pointers";
		return XR_EMULATE;
	}
	if (mn == ZYDIS_MNEMONIC_VERR || mn == ZYDIS_MNEMONIC_VERW)
		return classify_probe(x, why);
	bool cpl0 = (x->env->mode & TC_MODE_CPL_MASK) == 0;
	for (size_t i = 0; i < BT_ARRAY_SIZE(rule_table); i++) {
		if (rule_table[i].mn != mn)
			continue;
		r = rule_table[i].rule;
		*why = rule_table[i].why;
		if (!cpl0 && (r == XR_CLI || r == XR_STI || r == XR_POPF)) {
			*why = "cli/sti/popf at CPL>0 → monitor: IOPL check";
			return XR_EMULATE;
		}
		return r;
	}
	if (x->in.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) {
		*why = "privileged instruction btmon does not model → monitor (#GP/#UD)";
		return XR_EMULATE;
	}
	if (!xlate_isa_modelled(x->in.meta.isa_ext)) {
		*why = "instruction set extension the modelled CPU lacks → #UD";
		return XR_UD;
	}
	if (mn == ZYDIS_MNEMONIC_LEA) {
		*why = "lea → 67 prefix: 32-bit address arithmetic, no access";
		return XR_LEA;
	}
	const ZydisDecodedOperand *m = memop_find(x);
	if (!m) {
		*why = "innocuous, no memory operand → copied verbatim";
		return XR_COPY;
	}
	if (m->mem.segment == ZYDIS_REGISTER_FS || m->mem.segment == ZYDIS_REGISTER_GS) {
		*why = "fs:/gs: operand → segment base added by flag-free lea into r14, then gs:[r14d]";
		return XR_COPY_MEM_SEG;
	}
	if (m->mem.base == ZYDIS_REGISTER_NONE && m->mem.index == ZYDIS_REGISTER_NONE) {
		*why = "absolute [disp32] (RIP-relative in 64-bit mode) → SIB form, 65 67";
		return XR_COPY_MEM_ABS;
	}
	*why = "memory operand → copied with 65 67: gs:[addr32] inside the window";
	return XR_COPY_MEM;
}
