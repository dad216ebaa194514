/*
 * copy.c — the innocuous rules: instructions whose guest semantics equal the
 * host's, copied verbatim or with their memory operand moved into the window,
 * plus the few opcodes that must be re-encoded because 64-bit mode gives
 * their bytes another meaning (INC/DEC r32, 0x82, MOV moffs).
 */
#include <string.h>

#include "xlate_int.h"

void emit_copy(struct xctx *x)
{
	ebytes(&x->e, x->bytes, x->in.length);
}

static bool is_segment_prefix(uint8_t p)
{
	return p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 || p == 0x65;
}

/* Legacy prefixes other than segment overrides and 0x67, in guest order. */
/*
 * Legacy prefixes other than segment overrides and 0x67, in guest order,
 * without redundant repeats: only the last of F2/F3 counts, and a prefix
 * given twice counts once. Guest code may pad an instruction with prefixes up
 * to 15 bytes; adding 65 67 (and a SIB) must not push it past the limit.
 */
static unsigned legacy_prefixes(const struct xctx *x, uint8_t *out)
{
	unsigned n = 0, count = x->in.raw.prefix_count;
	for (unsigned i = 0; i < count; i++) {
		uint8_t p = x->in.raw.prefixes[i].value;
		bool later = false;
		for (unsigned j = i + 1; j < count && !later; j++) {
			uint8_t q = x->in.raw.prefixes[j].value;
			later = q == p || ((p == 0xf2 || p == 0xf3) && (q == 0xf2 || q == 0xf3));
		}
		if (!is_segment_prefix(p) && p != 0x67 && !later)
			out[n++] = p;
	}
	return n;
}

/* Offset of the first byte after ModRM/SIB/displacement. */
static unsigned addressing_end(const ZydisDecodedInstruction *in)
{
	unsigned end = in->raw.modrm.offset + 1u;
	if (in->attributes & ZYDIS_ATTRIB_HAS_SIB)
		end++;
	if (in->raw.disp.size)
		end = in->raw.disp.offset + in->raw.disp.size / 8u;
	return end;
}

/* With REX present, ModRM.reg 4–7 of a byte operation means SPL..DIL, not AH..BH. */
static bool uses_high_byte_reg(const struct xctx *x)
{
	for (unsigned i = 0; i < x->in.operand_count; i++) {
		ZydisRegister r = x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER ? x->ops[i].reg.value : 0;
		if (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH ||
		    r == ZYDIS_REGISTER_DH || r == ZYDIS_REGISTER_BH)
			return true;
	}
	return false;
}

/* Emit opcode bytes `op` with the instruction's memory operand and ModRM.reg,
 * then the guest's trailing immediate bytes. */
static void emit_with_memop(struct xctx *x, const uint8_t *op, unsigned oplen, unsigned reg,
			    unsigned tail_from)
{
	const ZydisDecodedOperand *mo = memop_find(x);
	struct x64_mem m;
	unsigned flags;
	uint8_t legacy[16];
	unsigned nlegacy = legacy_prefixes(x, legacy);
	if (!mo) {
		x->fail = "memory operand not found";
		return;
	}
	if (!memop_host(x, mo, &m, &flags))
		return;
	if ((m.base >= 8 || m.index >= 8) && uses_high_byte_reg(x)) {
		x->fail = "fs:/gs: access with AH/CH/DH/BH cannot take the REX prefix it needs";
		return;
	}
	x64_mem_insn(&x->e, flags, legacy, nlegacy, op, oplen, reg, &m);
	if (tail_from < x->in.length)
		ebytes(&x->e, x->bytes + tail_from, x->in.length - tail_from);
}

void emit_copy_mem(struct xctx *x)
{
	if (!(x->in.attributes & ZYDIS_ATTRIB_HAS_MODRM)) {
		/* xlat: implicit [ebx+al]; flat DS only. */
		if (x->in.attributes & (ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS)) {
			x->fail = "xlat with an fs:/gs: override is not supported";
			return;
		}
		e8(&x->e, 0x65);
		e8(&x->e, 0x67);
		uint8_t legacy[16];
		unsigned n = legacy_prefixes(x, legacy);
		ebytes(&x->e, legacy, n);
		ebytes(&x->e, x->bytes + x->in.raw.prefix_count, x->in.length - x->in.raw.prefix_count);
		return;
	}
	unsigned first = x->in.raw.prefix_count;
	unsigned oplen = x->in.raw.modrm.offset - first;
	emit_with_memop(x, x->bytes + first, oplen, x->in.raw.modrm.reg, addressing_end(&x->in));
}

void emit_lea(struct xctx *x)
{
	const ZydisDecodedOperand *mo = NULL;
	for (unsigned i = 0; i < x->in.operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mo = &x->ops[i];
	struct x64_mem m;
	if (!mo) {
		x->fail = "lea without a memory operand";
		return;
	}
	/* LEA ignores segments: build the EA only. */
	ZydisDecodedOperand flat = *mo;
	flat.mem.segment = ZYDIS_REGISTER_DS;
	unsigned flags;
	if (!memop_host(x, &flat, &m, &flags))
		return;
	uint8_t legacy[16];
	unsigned nlegacy = legacy_prefixes(x, legacy);
	if (x->in.address_width == 16) {
		/* the 16-bit EA is already in r14d: move it to the destination */
		static const uint8_t mov = 0x89;
		ebytes(&x->e, legacy, nlegacy);
		x64_rr_insn(&x->e, 0, &mov, 1, H_R14, x->in.raw.modrm.reg);
		return;
	}
	static const uint8_t op = 0x8d;
	x64_mem_insn(&x->e, X_A32, legacy, nlegacy, &op, 1, x->in.raw.modrm.reg, &m);
}

void emit_incdec(struct xctx *x)
{
	uint8_t legacy[16];
	unsigned n = legacy_prefixes(x, legacy);
	uint8_t op = x->in.opcode;
	ebytes(&x->e, legacy, n);
	e8(&x->e, 0xff);
	e8(&x->e, (uint8_t)(0xc0 | ((op >= 0x48 ? 1u : 0u) << 3) | (op & 7)));
}

/* Legacy prefixes without F3 (TZCNT/LZCNT → BSF/BSR). */
static unsigned prefixes_without_rep(const struct xctx *x, uint8_t *out)
{
	uint8_t all[16];
	unsigned n = legacy_prefixes(x, all), k = 0;
	for (unsigned i = 0; i < n; i++)
		if (all[i] != 0xf3)
			out[k++] = all[i];
	return k;
}

static void emit_bsf_bsr(struct xctx *x)
{
	uint8_t legacy[16];
	unsigned n = prefixes_without_rep(x, legacy);
	unsigned first = x->in.raw.prefix_count;
	const uint8_t *op = x->bytes + first;
	unsigned oplen = x->in.raw.modrm.offset - first;
	if (x->in.raw.modrm.mod == 3) {
		ebytes(&x->e, legacy, n);
		ebytes(&x->e, op, x->in.length - first);
		return;
	}
	const ZydisDecodedOperand *mo = memop_find(x);
	struct x64_mem m;
	unsigned flags;
	if (!mo || !memop_host(x, mo, &m, &flags))
		return;
	x64_mem_insn(&x->e, flags, legacy, n, op, oplen, x->in.raw.modrm.reg, &m);
}

void emit_reencode(struct xctx *x)
{
	uint8_t op = x->in.opcode;
	if (x->in.mnemonic == ZYDIS_MNEMONIC_TZCNT || x->in.mnemonic == ZYDIS_MNEMONIC_LZCNT) {
		emit_bsf_bsr(x);
		return;
	}
	if (op == 0x82) {
		static const uint8_t op80 = 0x80;
		if (x->in.raw.modrm.mod != 3) {
			emit_with_memop(x, &op80, 1, x->in.raw.modrm.reg, addressing_end(&x->in));
			return;
		}
		uint8_t buf[16];
		memcpy(buf, x->bytes, x->in.length);
		buf[x->in.raw.prefix_count] = 0x80;
		ebytes(&x->e, buf, x->in.length);
		return;
	}
	/* A0–A3: mov al/eax <-> moffs → 8A/8B/88/89 with [disp32]. */
	static const uint8_t modrm_form[4] = { 0x8a, 0x8b, 0x88, 0x89 };
	emit_with_memop(x, &modrm_form[op - 0xa0], 1, 0, x->in.length);
}
