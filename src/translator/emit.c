/*
 * emit.c — the translator's x86-64 encoder: ModRM/SIB/displacement forms for
 * memory operands (never the RIP-relative form by accident: an absolute
 * address becomes SIB with no base and no index), REX computation, and the
 * handful of fixed instructions glue code needs.
 */
#include <string.h>

#include "emit.h"

void e32(struct emit *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		e8(e, (uint8_t)(v >> (8 * i)));
}

void ebytes(struct emit *e, const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		e8(e, p[i]);
}

static void emit_rex(struct emit *e, unsigned flags, unsigned reg, int index, int base)
{
	uint8_t rex = 0x40;
	if (flags & X_W)
		rex |= 8;
	if (reg & 8)
		rex |= 4;
	if (index != H_NONE && (index & 8))
		rex |= 2;
	if (base != H_NONE && (base & 8))
		rex |= 1;
	if (rex != 0x40 || (flags & X_REX))
		e8(e, rex);
}

static void emit_prefixes(struct emit *e, unsigned flags, const uint8_t *legacy, unsigned n)
{
	if (flags & X_GS)
		e8(e, 0x65);
	if (flags & X_A32)
		e8(e, 0x67);
	ebytes(e, legacy, n);
}

static void emit_modrm_mem(struct emit *e, unsigned reg, const struct x64_mem *m)
{
	uint8_t r = (uint8_t)((reg & 7) << 3);
	if (m->rip) {
		e8(e, r | 5);
		e32(e, (uint32_t)m->disp);
		return;
	}
	if (m->base == H_NONE) {
		/* [index*s + disp32] or [disp32]: SIB with base=101, mod=00. */
		unsigned idx = m->index == H_NONE ? 4 : (unsigned)(m->index & 7);
		e8(e, r | 4);
		e8(e, (uint8_t)((m->scale << 6) | (idx << 3) | 5));
		e32(e, (uint32_t)m->disp);
		return;
	}
	unsigned mod;
	if (m->disp == 0 && (m->base & 7) != 5)
		mod = 0;
	else if (m->disp >= -128 && m->disp <= 127)
		mod = 1;
	else
		mod = 2;
	if (m->index != H_NONE || (m->base & 7) == 4) {
		unsigned idx = m->index == H_NONE ? 4 : (unsigned)(m->index & 7);
		e8(e, (uint8_t)((mod << 6) | r | 4));
		e8(e, (uint8_t)((m->scale << 6) | (idx << 3) | (m->base & 7)));
	} else {
		e8(e, (uint8_t)((mod << 6) | r | (m->base & 7)));
	}
	if (mod == 1)
		e8(e, (uint8_t)m->disp);
	else if (mod == 2)
		e32(e, (uint32_t)m->disp);
}

void x64_mem_insn(struct emit *e, unsigned flags, const uint8_t *legacy, unsigned nlegacy,
		  const uint8_t *op, unsigned oplen, unsigned reg, const struct x64_mem *m)
{
	emit_prefixes(e, flags, legacy, nlegacy);
	emit_rex(e, flags, reg, m->rip ? H_NONE : m->index, m->rip ? H_NONE : m->base);
	ebytes(e, op, oplen);
	emit_modrm_mem(e, reg, m);
}

void x64_rr_insn(struct emit *e, unsigned flags, const uint8_t *op, unsigned oplen,
		 unsigned reg, unsigned rm)
{
	emit_rex(e, flags, reg, H_NONE, (int)rm);
	ebytes(e, op, oplen);
	e8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

void x64_mov_load32(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m)
{
	static const uint8_t op = 0x8b;
	x64_mem_insn(e, flags, NULL, 0, &op, 1, reg, &m);
}

void x64_mov_store32(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m)
{
	static const uint8_t op = 0x89;
	x64_mem_insn(e, flags, NULL, 0, &op, 1, reg, &m);
}

void x64_mov_store_imm32(struct emit *e, unsigned flags, struct x64_mem m, uint32_t imm)
{
	static const uint8_t op = 0xc7;
	x64_mem_insn(e, flags, NULL, 0, &op, 1, 0, &m);
	e32(e, imm);
}

void x64_lea(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m)
{
	static const uint8_t op = 0x8d;
	x64_mem_insn(e, flags, NULL, 0, &op, 1, reg, &m);
}

void x64_mov_rr32(struct emit *e, unsigned dst, unsigned src)
{
	static const uint8_t op = 0x89;
	x64_rr_insn(e, 0, &op, 1, src, dst);
}

void x64_mov_rr64(struct emit *e, unsigned dst, unsigned src)
{
	static const uint8_t op = 0x89;
	x64_rr_insn(e, X_W, &op, 1, src, dst);
}

void x64_jmp_mem(struct emit *e, struct x64_mem m)
{
	static const uint8_t op = 0xff;
	x64_mem_insn(e, 0, NULL, 0, &op, 1, 4, &m);
}

uint32_t x64_jmp_rel32(struct emit *e)
{
	e8(e, 0xe9);
	uint32_t site = e->len;
	e32(e, 0);
	return site;
}

uint32_t x64_jcc_rel32(struct emit *e, unsigned cc)
{
	e8(e, 0x0f);
	e8(e, (uint8_t)(0x80 | (cc & 15)));
	uint32_t site = e->len;
	e32(e, 0);
	return site;
}

void x64_patch_rel32(struct emit *e, uint32_t site, uint32_t target)
{
	if (site + 4 > e->len)
		return;
	int32_t rel = (int32_t)(target - (site + 4));
	memcpy(e->buf + site, &rel, 4);
}
