/*
 * random.c — random differential sequences: random bytes decoded by Zydis
 * (32-bit), kept only when the instruction is user-level, not control
 * flow, supported by the modelled CPU (P6 + MMX/SSE/SSE2, as the
 * translator's rules.c), and cannot reach outside the areas; explicit
 * memory operands are re-encoded to address the data area or the stack.
 *
 * Address registers. EBX (data+0x800), EBP (data+0xff0: a page boundary
 * 16 bytes up) and ESP (stack top - 0x200) are never written by a sequence,
 * except ESP by PUSH/POP/PUSHAD. Two flavours:
 *   A: EDI is a small index (0..0x3f) for SIB forms; no string ops.
 *   B: ESI/EDI point into the data area, ECX is a small count (0..0x20):
 *      string ops, REP included.
 * Memory forms: [ebx+d8], [ebp+d8], [ebx+d32], [esp+d8] (SIB), [base+edi*s+d8]
 * and [edi*s+d32] (A), and absolute [d32]; rarely an absolute address at or
 * across the data area's edges, which faults (#PF) on both sides.
 *
 * Sequences are 1..8 instructions, one in 16 is 56..80 (past the
 * translator's 64-instruction block cap); a quarter of them run across the
 * boundary between the first and second page of the code area (in->place),
 * so translated blocks straddle pages as well.
 */
#include <string.h>

#include <Zydis/Zydis.h>

#include "difftest.h"
#include "btmon/translator.h"

#define REG_BIT(r) (1u << (r))
#define RESERVED_A (REG_BIT(NATIVE_EBX) | REG_BIT(NATIVE_EBP) | REG_BIT(NATIVE_ESP) | \
		    REG_BIT(NATIVE_EDI))
#define RESERVED_B (REG_BIT(NATIVE_EBX) | REG_BIT(NATIVE_EBP) | REG_BIT(NATIVE_ESP) | \
		    REG_BIT(NATIVE_ESI) | REG_BIT(NATIVE_EDI) | REG_BIT(NATIVE_ECX))
#define EBX_OFF 0x800u
#define EBP_OFF 0xff0u

uint64_t dt_rand(struct dt_rng *r)
{
	uint64_t x = (r->s += 0x9e3779b97f4a7c15ull);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static unsigned below(struct dt_rng *r, unsigned n)
{
	return (unsigned)(dt_rand(r) % n);
}

/* Sensitive, system-revealing, control- or FPU-environment-changing
 * instructions that the random stream leaves to the curated sequences. */
static bool mnemonic_denied(ZydisMnemonic mn)
{
	switch (mn) {
	case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_RDTSC: case ZYDIS_MNEMONIC_RDTSCP:
	case ZYDIS_MNEMONIC_RDPMC: case ZYDIS_MNEMONIC_HLT: case ZYDIS_MNEMONIC_PUSHFD:
	case ZYDIS_MNEMONIC_POPFD: case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI: case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW: case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES:
	case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS: case ZYDIS_MNEMONIC_LSS:
	case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT: case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR: case ZYDIS_MNEMONIC_SMSW: case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2: case ZYDIS_MNEMONIC_FXSAVE:
	case ZYDIS_MNEMONIC_FXRSTOR: case ZYDIS_MNEMONIC_FNSAVE: case ZYDIS_MNEMONIC_FRSTOR:
	case ZYDIS_MNEMONIC_FNSTENV: case ZYDIS_MNEMONIC_FLDENV: case ZYDIS_MNEMONIC_FLDCW:
	case ZYDIS_MNEMONIC_LDMXCSR: case ZYDIS_MNEMONIC_ENTER: case ZYDIS_MNEMONIC_LEAVE:
	case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT:
		return true;
	default:
		return false;
	}
}

static bool category_denied(ZydisInstructionCategory c)
{
	switch (c) {
	case ZYDIS_CATEGORY_COND_BR: case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_INTERRUPT: case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET: case ZYDIS_CATEGORY_SYSTEM: case ZYDIS_CATEGORY_IO:
	case ZYDIS_CATEGORY_IOSTRINGOP: case ZYDIS_CATEGORY_SEGOP:
		return true;
	default:
		return false;
	}
}

static bool regclass_allowed(ZydisRegisterClass c)
{
	switch (c) {
	case ZYDIS_REGCLASS_SEGMENT: case ZYDIS_REGCLASS_CONTROL: case ZYDIS_REGCLASS_DEBUG:
	case ZYDIS_REGCLASS_TEST: case ZYDIS_REGCLASS_BOUND: case ZYDIS_REGCLASS_MASK:
	case ZYDIS_REGCLASS_GPR64: case ZYDIS_REGCLASS_YMM: case ZYDIS_REGCLASS_ZMM:
	case ZYDIS_REGCLASS_TMM: case ZYDIS_REGCLASS_TABLE: case ZYDIS_REGCLASS_IP:
		return false;
	default:
		return true;
	}
}

/* The 32-bit register (native_gpr index) a GPR operand lives in, or -1. */
static int gpr_index(ZydisRegister reg)
{
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_COMPAT_32, reg);
	if (ZydisRegisterGetClass(big) != ZYDIS_REGCLASS_GPR32)
		return -1;
	return ZydisRegisterGetId(big);
}

static bool is_stack_op(ZydisMnemonic mn)
{
	return mn == ZYDIS_MNEMONIC_PUSH || mn == ZYDIS_MNEMONIC_POP || mn == ZYDIS_MNEMONIC_PUSHAD ||
	       mn == ZYDIS_MNEMONIC_PUSHA;
}

/* A hidden (implicit) memory operand we can allow: the stack of PUSH/POP,
 * [ebx+al] of XLAT, [esi]/[edi] in flavour B. */
static bool hidden_mem_ok(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op,
			  unsigned reserved)
{
	int base = gpr_index(op->mem.base);
	if (op->mem.segment == ZYDIS_REGISTER_FS || op->mem.segment == ZYDIS_REGISTER_GS)
		return false;
	/* MASKMOVQ/MASKMOVDQU with a CS override: as below. */
	if (op->mem.segment == ZYDIS_REGISTER_CS && (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
		return false;
	if (base == NATIVE_ESP)
		return is_stack_op(in->mnemonic);
	if (base == NATIVE_EBX)
		return op->mem.index == ZYDIS_REGISTER_NONE || op->mem.index == ZYDIS_REGISTER_AL;
	if ((base == NATIVE_ESI || base == NATIVE_EDI) && (reserved & REG_BIT(NATIVE_ESI)))
		return op->mem.index == ZYDIS_REGISTER_NONE;
	return false;
}

/* Whether an operand keeps the sequence inside the rules above. */
static bool operand_ok(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op,
		       unsigned reserved)
{
	bool hidden = op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN;
	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER: {
		if (!regclass_allowed(ZydisRegisterGetClass(op->reg.value)))
			return false;
		int g = gpr_index(op->reg.value);
		if (g < 0 || !(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) || !(reserved & REG_BIT(g)))
			return true;
		if (g == NATIVE_ESP)
			return hidden && is_stack_op(in->mnemonic);
		/* String ops step ESI/EDI and count ECX down (flavour B only). */
		return (g == NATIVE_ESI || g == NATIVE_EDI || g == NATIVE_ECX) && hidden &&
		       in->meta.category == ZYDIS_CATEGORY_STRINGOP;
	}
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
			return true;            /* LEA: any address, no access */
		if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			return false;
		if (hidden)
			return hidden_mem_ok(in, op, reserved);
		if (op->mem.segment == ZYDIS_REGISTER_FS || op->mem.segment == ZYDIS_REGISTER_GS)
			return false;
		/* A CS override on a write: #GP natively; btmon ignores segment types. */
		return !(op->mem.segment == ZYDIS_REGISTER_CS &&
			 (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE));
	case ZYDIS_OPERAND_TYPE_POINTER:
		return false;
	default:
		return true;
	}
}

static bool acceptable(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
		       unsigned reserved)
{
	if ((in->attributes & (ZYDIS_ATTRIB_IS_PRIVILEGED | ZYDIS_ATTRIB_HAS_ADDRESSSIZE)) ||
	    !xlate_isa_modelled(in->meta.isa_ext) || category_denied(in->meta.category) ||
	    mnemonic_denied(in->mnemonic))
		return false;
	if (in->meta.category == ZYDIS_CATEGORY_STRINGOP && !(reserved & REG_BIT(NATIVE_ESI)))
		return false;
	/* BT m, r addresses m + (r >> 3): anywhere. */
	if ((in->mnemonic == ZYDIS_MNEMONIC_BT || in->mnemonic == ZYDIS_MNEMONIC_BTS ||
	     in->mnemonic == ZYDIS_MNEMONIC_BTR || in->mnemonic == ZYDIS_MNEMONIC_BTC) &&
	    ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return false;
	for (unsigned i = 0; i < in->operand_count; i++)
		if (!operand_ok(in, &ops[i], reserved))
			return false;
	return true;
}

/* An explicit ModRM memory operand (not LEA's), or NULL. */
static const ZydisDecodedOperand *explicit_mem(const ZydisDecodedInstruction *in,
					       const ZydisDecodedOperand *ops)
{
	for (unsigned i = 0; i < in->operand_count_visible; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM)
			return &ops[i];
	return NULL;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* The new ModRM (+SIB, displacement) for a memory operand in the areas.
 * Returns its length; reg is the ModRM reg field to keep. */
static unsigned new_address(struct dt_rng *r, const struct dt_ctx *c, unsigned reg,
			    unsigned reserved, unsigned align, uint8_t *out)
{
	uint32_t data = dt_data_addr(c);
	bool index_ok = reserved & REG_BIT(NATIVE_EDI) && !(reserved & REG_BIT(NATIVE_ESI));
	uint8_t d8 = (uint8_t)below(r, 256);
	if (align > 1) {                        /* aligned to `align` bytes: based on EBX */
		out[0] = (uint8_t)(0x80 | (reg << 3) | 3);
		put32(out + 1, (uint32_t)(((int32_t)below(r, 0xe00) - 0x700) & -(int32_t)align));
		return 5;
	}
	reg <<= 3;
	if (below(r, 48) == 0) {                /* [disp32] at or across the guard pages: #PF */
		out[0] = (uint8_t)(reg | 5);
		put32(out + 1, below(r, 2) ? data + DT_DATA_SIZE - 8 + below(r, 24) : data - 1 - below(r, 16));
		return 5;
	}
	switch (below(r, index_ok ? 8 : 6)) {
	case 0: case 1:                         /* [ebx+disp8] */
		out[0] = (uint8_t)(0x40 | reg | 3);
		out[1] = d8;
		return 2;
	case 2:                                 /* [ebp+disp8]: around the page boundary */
		out[0] = (uint8_t)(0x40 | reg | 5);
		out[1] = d8;
		return 2;
	case 3:                                 /* [ebx+disp32] */
		out[0] = (uint8_t)(0x80 | reg | 3);
		put32(out + 1, (uint32_t)((int32_t)below(r, 0xe00) - 0x700));
		return 5;
	case 4:                                 /* [esp+disp8] */
		out[0] = (uint8_t)(0x40 | reg | 4);
		out[1] = 0x24;
		out[2] = (uint8_t)(d8 & 0x7f);
		return 3;
	case 5:                                 /* [disp32], absolute */
		out[0] = (uint8_t)(reg | 5);
		put32(out + 1, data + 0x100 + below(r, 0x1d00));
		return 5;
	case 6:                                 /* [ebx|ebp + edi*scale + disp8] */
		out[0] = (uint8_t)(0x40 | reg | 4);
		out[1] = (uint8_t)((below(r, 4) << 6) | (NATIVE_EDI << 3) | (below(r, 2) ? 3 : 5));
		out[2] = d8;
		return 3;
	default:                                /* [edi*scale + disp32] */
		out[0] = (uint8_t)(reg | 4);
		out[1] = (uint8_t)((below(r, 4) << 6) | (NATIVE_EDI << 3) | 5);
		put32(out + 2, data + 0x100 + below(r, 0x1000));
		return 6;
	}
}

/* How to align a rewritten memory operand: SSE operands of 16 bytes must
 * be aligned, so mostly they are; locked accesses across a cache line are
 * split locks, which Linux punishes with a ~10 ms sleep (curated_mem.S has
 * one), so they are always naturally aligned. */
static unsigned mem_alignment(struct dt_rng *r, const ZydisDecodedInstruction *in,
			      const ZydisDecodedOperand *m)
{
	bool locked = (in->attributes & ZYDIS_ATTRIB_HAS_LOCK) || in->mnemonic == ZYDIS_MNEMONIC_XCHG;
	if (locked)
		return m->size >= 16 ? m->size / 8 : 1;
	return m->size == 128 && below(r, 8) != 0 ? 16 : 1;
}

/* Random candidate bytes: an optional prefix, then an opcode drawn from
 * all one- and two-byte opcodes, with extra weight on the x87 escapes and
 * the MMX/SSE/SSE2 rows of the 0F map; the rest random. */
static void candidate(struct dt_rng *r, uint8_t *b)
{
	static const uint8_t prefixes[] = { 0x66, 0x66, 0x66, 0xf3, 0xf2, 0xf0, 0x26, 0x2e, 0x36, 0x3e };
	static const uint8_t sse_rows[] = { 0x10, 0x20, 0x50, 0x60, 0x70, 0xc0, 0xd0, 0xe0, 0xf0 };
	unsigned n = 0, np = below(r, 3) == 0 ? 1 + (below(r, 4) == 0 ? below(r, 3) : 0) : 0;
	while (n < np)                          /* up to three, repeats included */
		b[n++] = prefixes[below(r, sizeof(prefixes))];
	switch (below(r, 8)) {
	case 0:                                 /* x87 */
		b[n++] = (uint8_t)(0xd8 + below(r, 8));
		break;
	case 1: case 2:                         /* MMX, SSE, SSE2 */
		b[n++] = 0x0f;
		b[n++] = (uint8_t)(sse_rows[below(r, sizeof(sse_rows))] + below(r, 16));
		break;
	case 3:                                 /* the rest of the 0F map */
		b[n++] = 0x0f;
		break;
	default:
		break;
	}
	while (n < 15)
		b[n++] = (uint8_t)dt_rand(r);
}

/* One acceptable instruction, memory operand re-encoded, into out. */
static unsigned one_insn(struct dt_rng *r, const struct dt_ctx *c, const ZydisDecoder *dec,
			 unsigned reserved, uint8_t *out)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t b[15], nb[32];
	for (;;) {
		candidate(r, b);
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, b, sizeof(b), &in, ops)) ||
		    !acceptable(&in, ops, reserved))
			continue;
		unsigned len = in.length;
		if (explicit_mem(&in, ops)) {
			if (!(in.attributes & ZYDIS_ATTRIB_HAS_MODRM))
				continue;       /* moffs forms */
			unsigned at = in.raw.modrm.offset;
			unsigned tail = in.raw.imm[0].size ? in.raw.imm[0].offset : in.length;
			memcpy(nb, b, at);
			unsigned align = mem_alignment(r, &in, explicit_mem(&in, ops));
			unsigned n = at + new_address(r, c, in.raw.modrm.reg, reserved, align, nb + at);
			memcpy(nb + n, b + tail, in.length - tail);
			len = n + in.length - tail;
			ZydisMnemonic mn = in.mnemonic;
			if (len > 15 || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, nb, len, &in, ops)) ||
			    in.length != len || in.mnemonic != mn || !acceptable(&in, ops, reserved))
				continue;
			memcpy(b, nb, len);
		}
		memcpy(out, b, len);
		return len;
	}
}

static uint32_t random_value(struct dt_rng *r)
{
	static const uint32_t special[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
					    0x7fffffff, 0x80000000, 0xffffffff, 31, 32, 33 };
	uint64_t x = dt_rand(r);
	return (x & 3) == 0 ? special[(x >> 2) % BT_ARRAY_SIZE(special)] : (uint32_t)(x >> 32);
}

/* x87 stack (0..8 deep, TOP accordingly), FCW rounding/precision, MXCSR
 * rounding/FTZ/DAZ, XMM/MMX contents; every exception stays masked. */
static void random_fpu(struct dt_rng *r, struct dt_input *in)
{
	static const double vals[] = { 1.5, -2.25, 0.0, -0.0, 1e300, 1e-310, 3.0e38, 0.1, -1e10,
				       2147483648.0, 0.5, 12345.678 };
	uint8_t *fx = in->st.fxsave;
	static const uint16_t precision[3] = { 0x000, 0x200, 0x300 };   /* single, double, extended */
	uint16_t fcw = (uint16_t)(0x7f | (below(r, 4) << 10) | precision[below(r, 3)]);
	unsigned n = below(r, 9);
	uint16_t fsw = (uint16_t)(((8 - n) & 7) << 11);
	uint32_t mxcsr = 0x1f80 | (below(r, 4) << 13) | (below(r, 4) == 0 ? 0x8040 : 0);
	memcpy(fx, &fcw, 2);
	memcpy(fx + 2, &fsw, 2);
	fx[4] = (uint8_t)(0xff00u >> n);
	memcpy(fx + NATIVE_FX_MXCSR, &mxcsr, 4);
	for (unsigned i = 0; i < 8; i++) {
		long double v = vals[below(r, BT_ARRAY_SIZE(vals))] * (long double)(below(r, 100) + 1);
		memset(fx + NATIVE_FX_ST(i), 0, 16);
		if (i < n)
			memcpy(fx + NATIVE_FX_ST(i), &v, 10);
		uint64_t a = dt_rand(r), b = dt_rand(r);
		if (below(r, 2)) {
			double d[2] = { vals[a % BT_ARRAY_SIZE(vals)], vals[b % BT_ARRAY_SIZE(vals)] };
			memcpy(&a, &d[0], 8);
			memcpy(&b, &d[1], 8);
		}
		memcpy(fx + NATIVE_FX_XMM(i), &a, 8);
		memcpy(fx + NATIVE_FX_XMM(i) + 8, &b, 8);
	}
}

static void random_state(struct dt_rng *r, const struct dt_ctx *c, unsigned reserved,
			 struct dt_input *in)
{
	uint32_t data = dt_data_addr(c);
	dt_base_state(c, in);
	uint32_t *g = in->st.gpr;
	for (unsigned i = 0; i < 8; i++)
		g[i] = random_value(r);
	g[NATIVE_EBX] = data + EBX_OFF;
	g[NATIVE_EBP] = data + EBP_OFF;
	g[NATIVE_ESP] = dt_stack_top(c) - DT_STACK_SLACK;
	if (reserved & REG_BIT(NATIVE_ESI)) {
		g[NATIVE_ESI] = data + 0x400 + below(r, 0x100);
		g[NATIVE_EDI] = data + 0xa00 + below(r, 0x100);
		g[NATIVE_ECX] = below(r, 0x21);
	} else {
		g[NATIVE_EDI] = below(r, 0x40);
	}
	in->st.eflags = (uint32_t)dt_rand(r) & (X86_FL_ARITH | X86_FL_DF);
	random_fpu(r, in);
	for (unsigned i = 0; i < DT_DATA_SIZE; i += 8) {
		uint64_t v = dt_rand(r);
		if ((v & 7) == 0) {
			double d = (double)(int32_t)(v >> 32) / (double)((v >> 8 & 0xff) + 1);
			memcpy(&v, &d, 8);
		}
		memcpy(in->data + i, &v, 8);
	}
}

uint32_t dt_random_sequence(const struct dt_ctx *c, struct dt_rng *r, uint8_t *code,
			    struct dt_input *in)
{
	static ZydisDecoder dec;
	static bool dec_ready;
	if (!dec_ready) {
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
		dec_ready = true;
	}
	unsigned reserved = below(r, 4) == 0 ? RESERVED_B : RESERVED_A;
	/* Mostly short; sometimes past the translator's block cap (64). */
	unsigned n = below(r, 16) == 0 ? 56 + below(r, DT_SEQ_MAX_INSNS - 55) : 1 + below(r, 8);
	uint32_t len = 0;
	for (unsigned i = 0; i < n; i++)
		len += one_insn(r, c, &dec, reserved, code + len);
	random_state(r, c, reserved, in);
	if (below(r, 4) == 0)
		in->place = BT_PAGE_SIZE - below(r, len + 1);   /* across the first code page's end */
	return len;
}

unsigned dt_run_random(struct dt_ctx *c, uint64_t seed, unsigned first, unsigned n, FILE *log,
		       unsigned max_reports, unsigned progress)
{
	static struct dt_input in;
	static struct dt_result res;
	static uint8_t code[DT_SEQ_MAX_INSNS * 15], small[DT_SEQ_MAX_INSNS * 15];
	struct dt_rng r = { seed };
	unsigned bad = 0;
	for (unsigned i = 0; i < first; i++)
		dt_random_sequence(c, &r, code, &in);
	for (unsigned i = first; i < first + n; i++) {
		uint32_t len = dt_random_sequence(c, &r, code, &in);
		int v = dt_check(c, code, len, &in, &res);
		if (v != 0) {
			bad++;
			if (log && bad <= max_reports) {
				uint32_t sl = v > 0 ? dt_shrink(c, code, len, &in, small) : len;
				if (v > 0)
					dt_check(c, small, sl, &in, &res);
				else
					memcpy(small, code, len);
				char title[96];
				snprintf(title, sizeof(title), "MISMATCH random seed %llu, sequence %u%s%s",
					 (unsigned long long)seed, i, sl < len ? " (shrunk)" : "",
					 v < 0 ? " (input refused)" : "");
				dt_report(log, c, title, small, sl, &in, &res);
				fflush(log);
			}
		}
		if (progress && log && (i + 1 - first) % progress == 0) {
			fprintf(log, "random: %u sequences, %u mismatches\n", i + 1 - first, bad);
			fflush(log);
		}
	}
	return bad;
}
