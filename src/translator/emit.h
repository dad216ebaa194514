/*
 * emit.h — private to src/translator: a byte buffer and a small x86-64
 * encoder for the instructions the translator writes itself (glue, rewritten
 * stack and branch sequences, re-encoded memory operands).
 *
 * Host registers use hardware numbers 0..15 (RAX=0 ... RDI=7, R8..R15).
 * Guest EAX..EDI live in host EAX..EDI and ESP in ESP; R15 holds the
 * VirtualCPU; R12–R14 are translator scratch (see docs/ARCHITECTURE.md).
 */
#ifndef BTMON_XLATE_EMIT_H
#define BTMON_XLATE_EMIT_H

#include <stdbool.h>
#include <stdint.h>

enum { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };
#define H_VCPU H_R15
#define H_NONE (-1)

struct emit {
	uint8_t *buf;
	uint32_t len, cap;
	bool overflow;
};

static inline void e8(struct emit *e, uint8_t b)
{
	if (e->len < e->cap)
		e->buf[e->len++] = b;
	else
		e->overflow = true;
}

void e32(struct emit *e, uint32_t v);
void ebytes(struct emit *e, const uint8_t *p, unsigned n);

/* A host memory operand. base/index are host register numbers or H_NONE. */
struct x64_mem {
	int base, index;
	unsigned scale;     /* log2: 0..3 */
	int32_t disp;
	bool rip;           /* [rip + disp] (disp relative to the instruction end) */
};

static inline struct x64_mem mem_b(int base, int32_t disp)
{
	return (struct x64_mem){ .base = base, .index = H_NONE, .disp = disp };
}

#define X_GS   1u    /* 0x65 prefix: segment GS */
#define X_A32  2u    /* 0x67 prefix: 32-bit addressing */
#define X_W    4u    /* REX.W */
#define X_REX  8u    /* force a REX prefix even if no bit is set */

/*
 * Emit one instruction with a memory operand:
 *   [65][67][legacy...][REX][op...][ModRM][SIB][disp]
 * reg is the ModRM.reg field (a register number or an opcode extension).
 * Immediates, if any, are appended by the caller. Returns the offset of the
 * first byte after the displacement (where an immediate goes).
 */
void x64_mem_insn(struct emit *e, unsigned flags, const uint8_t *legacy, unsigned nlegacy,
		  const uint8_t *op, unsigned oplen, unsigned reg, const struct x64_mem *m);
/* Register-register form (ModRM.mod = 11). */
void x64_rr_insn(struct emit *e, unsigned flags, const uint8_t *op, unsigned oplen,
		 unsigned reg, unsigned rm);

/* Common instructions. */
void x64_mov_load32(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m);   /* mov r32, [m] */
void x64_mov_store32(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m);  /* mov [m], r32 */
void x64_mov_store_imm32(struct emit *e, unsigned flags, struct x64_mem m, uint32_t imm);
void x64_lea(struct emit *e, unsigned flags, unsigned reg, struct x64_mem m);          /* lea r, [m] */
void x64_mov_rr32(struct emit *e, unsigned dst, unsigned src);                       /* mov r32, r32 */
void x64_mov_rr64(struct emit *e, unsigned dst, unsigned src);
void x64_jmp_mem(struct emit *e, struct x64_mem m);                                  /* jmp qword [m] */
/* jmp rel32 / jcc rel32 with a zero displacement; return the rel32 offset. */
uint32_t x64_jmp_rel32(struct emit *e);
uint32_t x64_jcc_rel32(struct emit *e, unsigned cc);
/* Point the rel32 at `site` to buffer offset `target`. */
void x64_patch_rel32(struct emit *e, uint32_t site, uint32_t target);

#endif
