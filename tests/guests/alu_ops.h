/*
 * alu_ops.h — the instructions the alu_flags guest runs, and the inputs it
 * runs them on. Shared, unchanged, by the guest (alu_flags.c, under btmon or
 * QEMU) and by gen/alu_flags_gen.c (a normal 32-bit Linux program that runs
 * the very same asm on the host CPU and writes alu_flags_table.h, the
 * expected results). So the table is what real silicon computed.
 *
 * Each op is one instruction (or a locked one) run by ALU_RUN on a struct
 * alu_state: EAX..EDX and two memory dwords are loaded, EFLAGS is loaded with
 * POPF, the instruction runs, PUSHF captures EFLAGS, everything is stored
 * back. ALU_M0/ALU_M1 name the memory dwords for memory-operand forms.
 *
 * Each op has an input class (which inputs: alu_case_input) and a flag rule
 * (which EFLAGS bits the SDM defines after it for those inputs: alu_flag_mask;
 * undefined bits differ between CPUs and emulators, so they are not compared).
 */
#ifndef GUEST_ALU_OPS_H
#define GUEST_ALU_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct alu_state {
	uint32_t eax, ebx, ecx, edx;    /* +0 +4 +8 +12 */
	uint32_t flags;                 /* +16: in: loaded by POPF; out: PUSHF */
	uint32_t mem[2];                /* +20 +24: ALU_M0, ALU_M1 */
};
#define ALU_NWORDS 7                    /* uint32_t words in a struct alu_state */

#define ALU_M0 "20(%%esi)"
#define ALU_M1 "24(%%esi)"

/* Run insn on *s; s is in ESI, which insn must not change. */
#define ALU_RUN(s, insn)                                                       \
	__asm__ volatile("movl 0(%%esi), %%eax\n\t"                            \
			 "movl 4(%%esi), %%ebx\n\t"                            \
			 "movl 8(%%esi), %%ecx\n\t"                            \
			 "movl 12(%%esi), %%edx\n\t"                           \
			 "pushl 16(%%esi)\n\t"                                 \
			 "popfl\n\t"                                           \
			 insn "\n\t"                                           \
			 "pushfl\n\t"                                          \
			 "popl 16(%%esi)\n\t"                                  \
			 "movl %%eax, 0(%%esi)\n\t"                            \
			 "movl %%ebx, 4(%%esi)\n\t"                            \
			 "movl %%ecx, 8(%%esi)\n\t"                            \
			 "movl %%edx, 12(%%esi)"                               \
			 : : "S"(s) : "eax", "ebx", "ecx", "edx", "memory", "cc")

/* EFLAGS bits (SDM Vol. 1 §3.4.3). */
#define ALU_CF 0x001u
#define ALU_PF 0x004u
#define ALU_AF 0x010u
#define ALU_ZF 0x040u
#define ALU_SF 0x080u
#define ALU_OF 0x800u
#define ALU_ARITH (ALU_CF | ALU_PF | ALU_AF | ALU_ZF | ALU_SF | ALU_OF)

/* Input classes: see alu_case_input for what each one enumerates. */
enum alu_class {
	IN_BIN,     /* a x b over alu_vals; EFLAGS in alternates all-clear/all-set */
	IN_BIN2,    /* a x b x both EFLAGS (for ops that read CF) */
	IN_UN,      /* a over alu_vals, both EFLAGS */
	IN_SH,      /* a x count {0,1,2,7,31,32,33} in ECX; EFLAGS in alternates */
	IN_SHC,     /* the same x both EFLAGS (RCL/RCR read CF) */
	IN_SH8,     /* a x count {0,1,2,7} (below the 8-bit operand size) */
	IN_SH16,    /* a x count {0,1,5,15} */
	IN_ROT8,    /* a x count {0,1,7,8,9,10,17,31}: RCL/ROL 8-bit wrap */
	IN_ROT16,   /* a x count {0,1,15,16,17,18,31} */
	IN_SHD,     /* SHLD/SHRD: a x count {0,1,4,16,31} with EBX fixed */
	IN_MUL,     /* a x b over alu_mul_vals */
	IN_DIV,     /* EDX:EAX / EBX candidates, filtered to those that do not #DE */
	IN_BT,      /* a x bit index {0,1,5,31,32,33,63} in EBX */
	IN_BSX,     /* source in EBX and ALU_M0 over alu_bsx_vals */
	IN_CC,      /* the 32 combinations of CF PF ZF SF OF */
	IN_FL6,     /* the 64 combinations of CF PF AF ZF SF OF */
	IN_CMPX,    /* EAX = a, ALU_M0 = ECX = a (equal) or another value */
	IN_CX8,     /* EDX:EAX vs ALU_M0/M1 equal or not; ECX:EBX new value */
	IN_AH,      /* AH over alu_ah_vals, both EFLAGS (SAHF) */
	IN_BCD,     /* AL over alu_bcd_vals x AH {0, 0x12} x both EFLAGS */
};

/* Flag rules: which EFLAGS bits are defined after the op (alu_flag_mask). */
enum alu_rule {
	R_ALL,      /* all six arithmetic flags defined or unchanged */
	R_LOGIC,    /* AND/OR/XOR/TEST: AF undefined */
	R_SH,       /* SHL/SHR/SAR/SHLD/SHRD: by masked count */
	R_ROT,      /* ROL/ROR/RCL/RCR: by masked count */
	R_MUL,      /* CF, OF only */
	R_DIVU,     /* none defined; inputs must not overflow unsigned */
	R_DIVS,     /* none defined; inputs must not overflow signed */
	R_BT,       /* CF; ZF unchanged (SDM: OF SF AF PF undefined) */
	R_BSX,      /* ZF only; destination undefined when the source is 0 */
	R_DAA,      /* DAA/DAS: OF undefined */
	R_AAA,      /* AAA/AAS: AF, CF only */
	R_AAM,      /* AAM/AAD: SF, ZF, PF only */
};

/*
 * X(name, class, rule, bits, count, insn): bits is the operand size, count
 * an immediate shift count (-1: the count is CL).
 */
#define ALU_OPS(X)                                                                   \
	/* binary arithmetic and logic */                                            \
	X(add,        IN_BIN,  R_ALL,   32, -1, "addl %%ebx, %%eax")                 \
	X(adc,        IN_BIN2, R_ALL,   32, -1, "adcl %%ebx, %%eax")                 \
	X(sub,        IN_BIN,  R_ALL,   32, -1, "subl %%ebx, %%eax")                 \
	X(sbb,        IN_BIN2, R_ALL,   32, -1, "sbbl %%ebx, %%eax")                 \
	X(and,        IN_BIN,  R_LOGIC, 32, -1, "andl %%ebx, %%eax")                 \
	X(or,         IN_BIN,  R_LOGIC, 32, -1, "orl %%ebx, %%eax")                  \
	X(xor,        IN_BIN,  R_LOGIC, 32, -1, "xorl %%ebx, %%eax")                 \
	X(cmp,        IN_BIN,  R_ALL,   32, -1, "cmpl %%ebx, %%eax")                 \
	X(test,       IN_BIN,  R_LOGIC, 32, -1, "testl %%ebx, %%eax")                \
	X(add8,       IN_BIN,  R_ALL,    8, -1, "addb %%bl, %%al")                   \
	X(adc8_hi,    IN_BIN2, R_ALL,    8, -1, "adcb %%bh, %%ah")                   \
	X(sub8,       IN_BIN,  R_ALL,    8, -1, "subb %%bl, %%ah")                   \
	X(add16,      IN_BIN,  R_ALL,   16, -1, "addw %%bx, %%ax")                   \
	X(sbb16,      IN_BIN2, R_ALL,   16, -1, "sbbw %%bx, %%ax")                   \
	X(cmp16,      IN_BIN,  R_ALL,   16, -1, "cmpw %%bx, %%ax")                   \
	X(add_imm8,   IN_UN,   R_ALL,   32, -1, "addl $0x7f, %%eax")                 \
	X(adc_imm8,   IN_UN,   R_ALL,   32, -1, "adcl $-1, %%eax")                   \
	X(sub_imm32,  IN_UN,   R_ALL,   32, -1, "subl $0x80000000, %%eax")           \
	X(and_imm32,  IN_UN,   R_LOGIC, 32, -1, "andl $0xff00ff00, %%eax")           \
	X(cmp_imm8,   IN_UN,   R_ALL,   32, -1, "cmpl $-1, %%eax")                   \
	X(add_al_imm, IN_UN,   R_ALL,    8, -1, "addb $0x80, %%al")                  \
	X(test_eax_imm, IN_UN, R_LOGIC, 32, -1, "testl $0x80000001, %%eax")          \
	X(add_m,      IN_BIN,  R_ALL,   32, -1, "addl %%ebx, " ALU_M0)               \
	X(sub_from_m, IN_BIN,  R_ALL,   32, -1, "subl " ALU_M1 ", %%eax")            \
	X(adc_m,      IN_BIN2, R_ALL,   32, -1, "adcl %%ebx, " ALU_M0)               \
	X(and_m8,     IN_BIN,  R_LOGIC,  8, -1, "andb %%bl, " ALU_M0)                \
	X(or_m_imm,   IN_UN,   R_LOGIC, 32, -1, "orl $0x100, " ALU_M0)               \
	X(xor_m16,    IN_BIN,  R_LOGIC, 16, -1, "xorw %%bx, " ALU_M0)                \
	X(cmp_m,      IN_BIN,  R_ALL,   32, -1, "cmpl %%ebx, " ALU_M0)               \
	X(test_m,     IN_BIN,  R_LOGIC, 32, -1, "testl %%ebx, " ALU_M0)              \
	/* unary: INC/DEC EAX/EBX are the one-byte 0x40+r/0x48+r forms */            \
	X(inc,        IN_UN,   R_ALL,   32, -1, "incl %%eax")                        \
	X(dec,        IN_UN,   R_ALL,   32, -1, "decl %%eax")                        \
	X(inc_ebx,    IN_UN,   R_ALL,   32, -1, "incl %%ebx")                        \
	X(dec_edx,    IN_UN,   R_ALL,   32, -1, "decl %%edx")                        \
	X(inc_m,      IN_UN,   R_ALL,   32, -1, "incl " ALU_M0)                      \
	X(dec8,       IN_UN,   R_ALL,    8, -1, "decb %%al")                         \
	X(inc16,      IN_UN,   R_ALL,   16, -1, "incw %%ax")                         \
	X(neg,        IN_UN,   R_ALL,   32, -1, "negl %%eax")                        \
	X(neg8,       IN_UN,   R_ALL,    8, -1, "negb %%al")                         \
	X(neg_m,      IN_UN,   R_ALL,   32, -1, "negl " ALU_M0)                      \
	X(not,        IN_UN,   R_ALL,   32, -1, "notl %%eax")                        \
	X(not_m16,    IN_UN,   R_ALL,   16, -1, "notw " ALU_M0)                      \
	/* shifts and rotates by CL */                                               \
	X(shl,        IN_SH,   R_SH,    32, -1, "shll %%cl, %%eax")                  \
	X(shr,        IN_SH,   R_SH,    32, -1, "shrl %%cl, %%eax")                  \
	X(sar,        IN_SH,   R_SH,    32, -1, "sarl %%cl, %%eax")                  \
	X(rol,        IN_SH,   R_ROT,   32, -1, "roll %%cl, %%eax")                  \
	X(ror,        IN_SH,   R_ROT,   32, -1, "rorl %%cl, %%eax")                  \
	X(rcl,        IN_SHC,  R_ROT,   32, -1, "rcll %%cl, %%eax")                  \
	X(rcr,        IN_SHC,  R_ROT,   32, -1, "rcrl %%cl, %%eax")                  \
	X(shl_m,      IN_SH,   R_SH,    32, -1, "shll %%cl, " ALU_M0)                \
	X(sar_m8,     IN_SH8,  R_SH,     8, -1, "sarb %%cl, " ALU_M0)                \
	X(shr8,       IN_SH8,  R_SH,     8, -1, "shrb %%cl, %%al")                   \
	X(sar16,      IN_SH16, R_SH,    16, -1, "sarw %%cl, %%ax")                   \
	X(rcl8,       IN_ROT8, R_ROT,    8, -1, "rclb %%cl, %%al")                   \
	X(rol8,       IN_ROT8, R_ROT,    8, -1, "rolb %%cl, %%al")                   \
	X(rcr16,      IN_ROT16, R_ROT,  16, -1, "rcrw %%cl, %%ax")                   \
	X(shld,       IN_SHD,  R_SH,    32, -1, "shldl %%cl, %%ebx, %%eax")          \
	X(shrd,       IN_SHD,  R_SH,    32, -1, "shrdl %%cl, %%ebx, %%eax")          \
	/* shifts and rotates by an immediate (D1 /r for 1, C1 /r ib otherwise) */   \
	X(shl_1,      IN_UN,   R_SH,    32,  1, "shll $1, %%eax")                    \
	X(shl_5,      IN_UN,   R_SH,    32,  5, "shll $5, %%eax")                    \
	X(shl_32,     IN_UN,   R_SH,    32, 32, "shll $32, %%eax")                   \
	X(shr_31,     IN_UN,   R_SH,    32, 31, "shrl $31, %%eax")                   \
	X(sar_1,      IN_UN,   R_SH,    32,  1, "sarl $1, %%eax")                    \
	X(rol_1,      IN_UN,   R_ROT,   32,  1, "roll $1, %%eax")                    \
	X(ror_8,      IN_UN,   R_ROT,   32,  8, "rorl $8, %%eax")                    \
	X(rcl_1,      IN_UN,   R_ROT,   32,  1, "rcll $1, %%eax")                    \
	X(rcr_3,      IN_UN,   R_ROT,   32,  3, "rcrl $3, %%eax")                    \
	X(rcr_m_1,    IN_UN,   R_ROT,   32,  1, "rcrl $1, " ALU_M0)                  \
	X(shrd_imm,   IN_UN,   R_SH,    32,  4, "shrdl $4, %%ebx, %%eax")            \
	/* multiply (EDX is not an input of MUL: it starts as junk) */               \
	X(mul,        IN_MUL,  R_MUL,   32, -1, "mull %%ebx")                        \
	X(imul1,      IN_MUL,  R_MUL,   32, -1, "imull %%ebx")                       \
	X(imul2,      IN_MUL,  R_MUL,   32, -1, "imull %%ebx, %%eax")                \
	X(imul3_imm8, IN_MUL,  R_MUL,   32, -1, "imull $-3, %%ebx, %%eax")           \
	X(imul3_imm32, IN_MUL, R_MUL,   32, -1, "imull $0x10001, %%ebx, %%eax")      \
	X(mul8,       IN_MUL,  R_MUL,    8, -1, "mulb %%bl")                         \
	X(imul8,      IN_MUL,  R_MUL,    8, -1, "imulb %%bl")                        \
	X(mul16,      IN_MUL,  R_MUL,   16, -1, "mulw %%bx")                         \
	X(imul16_2,   IN_MUL,  R_MUL,   16, -1, "imulw %%bx, %%ax")                  \
	X(mul_m,      IN_MUL,  R_MUL,   32, -1, "mull " ALU_M1)                      \
	X(imul_m,     IN_MUL,  R_MUL,   32, -1, "imull " ALU_M1 ", %%eax")           \
	/* divide */                                                                 \
	X(div,        IN_DIV,  R_DIVU,  32, -1, "divl %%ebx")                        \
	X(idiv,       IN_DIV,  R_DIVS,  32, -1, "idivl %%ebx")                       \
	X(div8,       IN_DIV,  R_DIVU,   8, -1, "divb %%bl")                         \
	X(idiv8,      IN_DIV,  R_DIVS,   8, -1, "idivb %%bl")                        \
	X(div16,      IN_DIV,  R_DIVU,  16, -1, "divw %%bx")                         \
	X(idiv16,     IN_DIV,  R_DIVS,  16, -1, "idivw %%bx")                        \
	X(div_m,      IN_DIV,  R_DIVU,  32, -1, "divl " ALU_M1)                      \
	X(idiv_m,     IN_DIV,  R_DIVS,  32, -1, "idivl " ALU_M1)                     \
	/* bit test and scan; a register bit offset into memory may leave M0 */      \
	X(bt,         IN_BT,   R_BT,    32, -1, "btl %%ebx, %%eax")                  \
	X(bts,        IN_BT,   R_BT,    32, -1, "btsl %%ebx, %%eax")                 \
	X(btr,        IN_BT,   R_BT,    32, -1, "btrl %%ebx, %%eax")                 \
	X(btc,        IN_BT,   R_BT,    32, -1, "btcl %%ebx, %%eax")                 \
	X(bt16,       IN_BT,   R_BT,    16, -1, "btw %%bx, %%ax")                    \
	X(bt_imm,     IN_UN,   R_BT,    32, -1, "btl $5, %%eax")                     \
	X(bts_imm,    IN_UN,   R_BT,    32, -1, "btsl $31, %%eax")                   \
	X(bt_m,       IN_BT,   R_BT,    32, -1, "btl %%ebx, " ALU_M0)                \
	X(bts_m,      IN_BT,   R_BT,    32, -1, "btsl %%ebx, " ALU_M0)               \
	X(btr_m,      IN_BT,   R_BT,    32, -1, "btrl %%ebx, " ALU_M0)               \
	X(btc_m,      IN_BT,   R_BT,    32, -1, "btcl %%ebx, " ALU_M0)               \
	X(btc_m_imm,  IN_UN,   R_BT,    32, -1, "btcl $3, " ALU_M0)                  \
	X(bsf,        IN_BSX,  R_BSX,   32, -1, "bsfl %%ebx, %%eax")                 \
	X(bsr,        IN_BSX,  R_BSX,   32, -1, "bsrl %%ebx, %%eax")                 \
	X(bsf_m,      IN_BSX,  R_BSX,   32, -1, "bsfl " ALU_M0 ", %%eax")            \
	X(bsr16,      IN_BSX,  R_BSX,   16, -1, "bsrw %%bx, %%ax")                   \
	/* SETcc, CMOVcc */                                                          \
	X(seto,  IN_CC, R_ALL, 8, -1, "seto %%al")                                   \
	X(setno, IN_CC, R_ALL, 8, -1, "setno %%al")                                  \
	X(setb,  IN_CC, R_ALL, 8, -1, "setb %%al")                                   \
	X(setae, IN_CC, R_ALL, 8, -1, "setae %%al")                                  \
	X(sete,  IN_CC, R_ALL, 8, -1, "sete %%al")                                   \
	X(setne, IN_CC, R_ALL, 8, -1, "setne %%al")                                  \
	X(setbe, IN_CC, R_ALL, 8, -1, "setbe %%al")                                  \
	X(seta,  IN_CC, R_ALL, 8, -1, "seta %%al")                                   \
	X(sets,  IN_CC, R_ALL, 8, -1, "sets %%al")                                   \
	X(setns, IN_CC, R_ALL, 8, -1, "setns %%al")                                  \
	X(setp,  IN_CC, R_ALL, 8, -1, "setp %%al")                                   \
	X(setnp, IN_CC, R_ALL, 8, -1, "setnp %%al")                                  \
	X(setl,  IN_CC, R_ALL, 8, -1, "setl %%al")                                   \
	X(setge, IN_CC, R_ALL, 8, -1, "setge %%al")                                  \
	X(setle, IN_CC, R_ALL, 8, -1, "setle %%al")                                  \
	X(setg,  IN_CC, R_ALL, 8, -1, "setg %%al")                                   \
	X(setbe_m, IN_CC, R_ALL, 8, -1, "setbe " ALU_M0)                             \
	X(setg_bh, IN_CC, R_ALL, 8, -1, "setg %%bh")                                 \
	X(cmovo,  IN_CC, R_ALL, 32, -1, "cmovol %%ebx, %%eax")                       \
	X(cmovno, IN_CC, R_ALL, 32, -1, "cmovnol %%ebx, %%eax")                      \
	X(cmovb,  IN_CC, R_ALL, 32, -1, "cmovbl %%ebx, %%eax")                       \
	X(cmovae, IN_CC, R_ALL, 32, -1, "cmovael %%ebx, %%eax")                      \
	X(cmove,  IN_CC, R_ALL, 32, -1, "cmovel %%ebx, %%eax")                       \
	X(cmovne, IN_CC, R_ALL, 32, -1, "cmovnel %%ebx, %%eax")                      \
	X(cmovbe, IN_CC, R_ALL, 32, -1, "cmovbel %%ebx, %%eax")                      \
	X(cmova,  IN_CC, R_ALL, 32, -1, "cmoval %%ebx, %%eax")                       \
	X(cmovs,  IN_CC, R_ALL, 32, -1, "cmovsl %%ebx, %%eax")                       \
	X(cmovns, IN_CC, R_ALL, 32, -1, "cmovnsl %%ebx, %%eax")                      \
	X(cmovp,  IN_CC, R_ALL, 32, -1, "cmovpl %%ebx, %%eax")                       \
	X(cmovnp, IN_CC, R_ALL, 32, -1, "cmovnpl %%ebx, %%eax")                      \
	X(cmovl,  IN_CC, R_ALL, 32, -1, "cmovll %%ebx, %%eax")                       \
	X(cmovge, IN_CC, R_ALL, 32, -1, "cmovgel %%ebx, %%eax")                      \
	X(cmovle, IN_CC, R_ALL, 32, -1, "cmovlel %%ebx, %%eax")                      \
	X(cmovg,  IN_CC, R_ALL, 32, -1, "cmovgl %%ebx, %%eax")                       \
	X(cmovl_m, IN_CC, R_ALL, 32, -1, "cmovll " ALU_M0 ", %%eax")                 \
	X(cmova16, IN_CC, R_ALL, 16, -1, "cmovaw %%bx, %%ax")                        \
	/* byte swap, exchanges, atomics */                                          \
	X(bswap,      IN_UN,   R_ALL,   32, -1, "bswapl %%eax")                      \
	X(bswap_ecx,  IN_UN,   R_ALL,   32, -1, "bswapl %%ecx")                      \
	X(xchg,       IN_BIN,  R_ALL,   32, -1, "xchgl %%ebx, %%eax")                \
	X(xchg_m,     IN_BIN,  R_ALL,   32, -1, "xchgl %%ebx, " ALU_M0)              \
	X(xchg8,      IN_BIN,  R_ALL,    8, -1, "xchgb %%bl, %%ah")                  \
	X(cmpxchg_m,  IN_CMPX, R_ALL,   32, -1, "cmpxchgl %%ebx, " ALU_M0)           \
	X(cmpxchg_r,  IN_CMPX, R_ALL,   32, -1, "cmpxchgl %%ebx, %%ecx")             \
	X(lock_cmpxchg, IN_CMPX, R_ALL, 32, -1, "lock cmpxchgl %%ebx, " ALU_M0)      \
	X(cmpxchg8,   IN_CMPX, R_ALL,    8, -1, "cmpxchgb %%bl, " ALU_M0)            \
	X(xadd,       IN_BIN,  R_ALL,   32, -1, "xaddl %%ebx, %%eax")                \
	X(xadd_m,     IN_BIN,  R_ALL,   32, -1, "xaddl %%ebx, " ALU_M0)              \
	X(lock_xadd,  IN_BIN,  R_ALL,   32, -1, "lock xaddl %%ebx, " ALU_M0)         \
	X(cmpxchg8b,  IN_CX8,  R_ALL,   32, -1, "cmpxchg8b " ALU_M0)                 \
	X(lock_cmpxchg8b, IN_CX8, R_ALL, 32, -1, "lock cmpxchg8b " ALU_M0)           \
	/* flags to and from AH, sign extension */                                   \
	X(lahf,       IN_FL6,  R_ALL,   32, -1, "lahf")                              \
	X(sahf,       IN_AH,   R_ALL,   32, -1, "sahf")                              \
	X(cdq,        IN_UN,   R_ALL,   32, -1, "cltd")                              \
	X(cwde,       IN_UN,   R_ALL,   32, -1, "cwtl")                              \
	X(cbw,        IN_UN,   R_ALL,   16, -1, "cbtw")                              \
	X(cwd,        IN_UN,   R_ALL,   16, -1, "cwtd")                              \
	/* BCD adjust: invalid in 64-bit mode, so the translator must emulate */     \
	X(daa,        IN_BCD,  R_DAA,    8, -1, "daa")                               \
	X(das,        IN_BCD,  R_DAA,    8, -1, "das")                               \
	X(aaa,        IN_BCD,  R_AAA,    8, -1, "aaa")                               \
	X(aas,        IN_BCD,  R_AAA,    8, -1, "aas")                               \
	X(aam,        IN_BCD,  R_AAM,    8, -1, "aam")                               \
	X(aam16,      IN_BCD,  R_AAM,    8, -1, "aam $16")                           \
	X(aad,        IN_BCD,  R_AAM,    8, -1, "aad")                               \
	X(aad7,       IN_BCD,  R_AAM,    8, -1, "aad $7")

enum alu_op_id {
#define ALU_ENUM(name, class, rule, bits, count, insn) ALU_OP_##name,
	ALU_OPS(ALU_ENUM)
#undef ALU_ENUM
	ALU_NOPS
};

#define ALU_FN(name, class, rule, bits, count, insn) \
	static void alu_run_##name(struct alu_state *s) { ALU_RUN(s, insn); }
ALU_OPS(ALU_FN)
#undef ALU_FN

struct alu_op {
	const char *name;
	void (*run)(struct alu_state *s);
	enum alu_class class;
	enum alu_rule rule;
	int bits;       /* operand size */
	int count;      /* immediate shift count, or -1: CL */
};

static const struct alu_op alu_ops[ALU_NOPS] = {
#define ALU_ENTRY(name, class, rule, bits, count, insn) \
	{ #name, alu_run_##name, class, rule, bits, count },
	ALU_OPS(ALU_ENTRY)
#undef ALU_ENTRY
};

/* ---- inputs ---- */

#define ALU_F0 0x002u                   /* EFLAGS in: arithmetic flags clear */
#define ALU_F1 (0x002u | ALU_ARITH)     /* EFLAGS in: arithmetic flags set */
#define ALU_N(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t alu_vals[] = {
	0, 1, 0x7f, 0x80, 0x7fffffff, 0x80000000, 0xffffffff, 0x12348765,
};
static const uint32_t alu_mul_vals[] = {
	0, 1, 0x7f, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
};
static const uint32_t alu_sh_counts[] = { 0, 1, 2, 7, 31, 32, 33 };
static const uint32_t alu_sh8_counts[] = { 0, 1, 2, 7 };
static const uint32_t alu_sh16_counts[] = { 0, 1, 5, 15 };
static const uint32_t alu_rot8_counts[] = { 0, 1, 7, 8, 9, 10, 17, 31 };
static const uint32_t alu_rot16_counts[] = { 0, 1, 15, 16, 17, 18, 31 };
static const uint32_t alu_shd_counts[] = { 0, 1, 4, 16, 31 };
static const uint32_t alu_div_hi[] = { 0, 1, 0xffffffff };
static const uint32_t alu_div_lo[] = { 0, 0x7fffffff, 0x80000000, 0xffffffff, 0x12348765 };
static const uint32_t alu_div_by[] = {
	1, 3, 7, 0xff, 0x8000, 0x10000, 0x7fffffff, 0xfffffffd,
};
static const uint32_t alu_bt_vals[] = { 0, 0xffffffff, 0x12348765, 0x80000001 };
static const uint32_t alu_bt_bits[] = { 0, 1, 5, 31, 32, 33, 63 };
static const uint32_t alu_bsx_vals[] = {
	0, 1, 0x80000000, 0x00f00000, 0xffffffff, 0x10, 0x12348765, 0x00018000,
};
static const uint32_t alu_ah_vals[] = { 0x00, 0xff, 0xd5, 0x2a, 0x01, 0x40, 0x80, 0x04, 0x10 };
static const uint32_t alu_bcd_vals[] = {
	0x00, 0x09, 0x0a, 0x0f, 0x19, 0x99, 0x9a, 0xf0, 0xff, 0x5e,
};

/* Sign-extend the low `bits` bits of v. */
static inline int64_t alu_sext(uint64_t v, int bits)
{
	uint64_t m = 1ull << (bits - 1);

	v &= (m << 1) - 1;
	return (int64_t)((v ^ m) - m);
}

/* n / d by shift and subtract: the guests link without libgcc. */
static inline uint64_t alu_udiv64(uint64_t n, uint64_t d)
{
	uint64_t q = 0, r = 0;

	for (int b = 63; b >= 0; b--) {
		r = r << 1 | ((n >> b) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << b;
		}
	}
	return q;
}

/* True if DIV/IDIV of this size does not raise #DE on s (SDM Vol. 2A DIV,
 * IDIV): the divisor is not 0 and the quotient fits the destination. */
static inline bool alu_div_ok(const struct alu_op *op, const struct alu_state *s)
{
	int bits = op->bits;
	uint64_t mask = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
	uint64_t d = s->ebx & mask;   /* ALU_M1 holds the same divisor */
	uint64_t n;

	if (bits == 8)
		n = s->eax & 0xffff;
	else if (bits == 16)
		n = ((uint64_t)(s->edx & 0xffff) << 16) | (s->eax & 0xffff);
	else
		n = ((uint64_t)s->edx << 32) | s->eax;
	if (d == 0)
		return false;
	if (op->rule == R_DIVU)
		return alu_udiv64(n, d) <= mask;
	/* Signed: divide magnitudes; the quotient is negative if signs differ. */
	int64_t sn = alu_sext(n, 2 * bits), sd = alu_sext(d, bits);
	uint64_t q = alu_udiv64(sn < 0 ? 0 - (uint64_t)sn : (uint64_t)sn,
				sd < 0 ? 0 - (uint64_t)sd : (uint64_t)sd);
	uint64_t limit = 1ull << (bits - 1);   /* |quotient| bound */
	return (sn < 0) != (sd < 0) ? q <= limit : q < limit;
}

/* Fill *s for division candidate i (the divisor goes in EBX and ALU_M1). */
static inline void alu_div_candidate(unsigned i, struct alu_state *s)
{
	unsigned nb = ALU_N(alu_div_by), nl = ALU_N(alu_div_lo);

	s->ebx = s->mem[1] = alu_div_by[i % nb];
	s->eax = alu_div_lo[(i / nb) % nl];
	s->edx = alu_div_hi[i / nb / nl];
	s->flags = i & 1 ? ALU_F1 : ALU_F0;
}

/* Spread the low bits of i over CF PF ZF SF OF (and AF if with_af). */
static inline uint32_t alu_flags_combo(unsigned i, bool with_af)
{
	static const uint32_t bits[] = { ALU_CF, ALU_PF, ALU_ZF, ALU_SF, ALU_OF, ALU_AF };
	unsigned n = with_af ? 6 : 5;
	uint32_t f = 0x002;

	for (unsigned b = 0; b < n; b++)
		if (i & (1u << b))
			f |= bits[b];
	return f;
}

/*
 * Fill *s with the inputs of case i of op. Returns false when i is past the
 * op's last case. Registers an input class does not set hold fixed junk, so
 * an op that wrongly touches them shows up.
 */
static inline bool alu_case_input(const struct alu_op *op, unsigned i, struct alu_state *s)
{
	const unsigned nv = ALU_N(alu_vals);
	const uint32_t *counts = 0;
	unsigned nc = 0;

	s->eax = 0xa5a5a5a5;
	s->ebx = 0x5a5a5a5a;
	s->ecx = 0x0c0c0c0c;
	s->edx = 0xd0d0d0d0;
	s->mem[0] = 0x3c3c3c3c;
	s->mem[1] = 0xc3c3c3c3;
	s->flags = i & 1 ? ALU_F1 : ALU_F0;

	switch (op->class) {
	case IN_BIN:
	case IN_BIN2: {
		unsigned j = op->class == IN_BIN2 ? i / 2 : i;
		if (j >= nv * nv)
			return false;
		s->eax = s->mem[0] = alu_vals[j % nv];
		s->ebx = s->mem[1] = alu_vals[j / nv];
		if (op->class == IN_BIN2)
			s->flags = i & 1 ? ALU_F1 : ALU_F0;
		else
			s->flags = (j + j / nv) & 1 ? ALU_F1 : ALU_F0;
		return true;
	}
	case IN_UN:
		if (i >= 2 * nv)
			return false;
		s->eax = s->mem[0] = alu_vals[i / 2];
		s->ebx = s->mem[1] = ~alu_vals[i / 2];
		s->edx = alu_vals[(i / 2 + 3) % nv];
		return true;
	case IN_SH:
	case IN_SHC:   counts = alu_sh_counts;    nc = ALU_N(alu_sh_counts);    break;
	case IN_SH8:   counts = alu_sh8_counts;   nc = ALU_N(alu_sh8_counts);   break;
	case IN_SH16:  counts = alu_sh16_counts;  nc = ALU_N(alu_sh16_counts);  break;
	case IN_ROT8:  counts = alu_rot8_counts;  nc = ALU_N(alu_rot8_counts);  break;
	case IN_ROT16: counts = alu_rot16_counts; nc = ALU_N(alu_rot16_counts); break;
	case IN_SHD:   counts = alu_shd_counts;   nc = ALU_N(alu_shd_counts);   break;
	case IN_MUL: {
		unsigned nm = ALU_N(alu_mul_vals);
		if (i >= nm * nm)
			return false;
		s->eax = alu_mul_vals[i % nm];
		s->ebx = s->mem[1] = alu_mul_vals[i / nm];
		s->flags = (i + i / nm) & 1 ? ALU_F1 : ALU_F0;
		return true;
	}
	case IN_DIV: {
		unsigned n = ALU_N(alu_div_by) * ALU_N(alu_div_lo) * ALU_N(alu_div_hi);
		for (unsigned c = 0, k = 0; c < n; c++) {
			alu_div_candidate(c, s);
			if (alu_div_ok(op, s) && k++ == i)
				return true;
		}
		return false;
	}
	case IN_BT: {
		unsigned nb = ALU_N(alu_bt_bits), nx = ALU_N(alu_bt_vals);
		if (i >= nb * nx)
			return false;
		s->eax = s->mem[0] = alu_bt_vals[i / nb];
		s->mem[1] = ~s->mem[0];
		s->ebx = alu_bt_bits[i % nb];
		s->flags = (i + i / nb) & 1 ? ALU_F1 : ALU_F0;
		return true;
	}
	case IN_BSX:
		if (i >= ALU_N(alu_bsx_vals))
			return false;
		s->ebx = s->mem[0] = alu_bsx_vals[i];
		return true;
	case IN_CC:
		if (i >= 32)
			return false;
		s->eax = 0xaaaaaaaa;
		s->ebx = 0x55555555;
		s->flags = alu_flags_combo(i, false);
		return true;
	case IN_FL6:
		if (i >= 64)
			return false;
		s->eax = 0x12345678;
		s->flags = alu_flags_combo(i, true);
		return true;
	case IN_CMPX:
		if (i >= 2 * nv)
			return false;
		s->eax = alu_vals[i / 2];
		s->ebx = alu_vals[(i / 2 + 5) % nv];
		s->ecx = s->mem[0] = i & 1 ? s->eax : alu_vals[(i / 2 + 2) % nv];
		return true;
	case IN_CX8:
		if (i >= 6)
			return false;
		s->mem[0] = 0x89abcdef;
		s->mem[1] = 0x01234567;
		s->eax = s->mem[0] ^ (i / 2 == 1 ? 1 : 0);
		s->edx = s->mem[1] ^ (i / 2 == 2 ? 0x80000000 : 0);
		s->ebx = 0xfeedface;
		s->ecx = 0xcafef00d;
		return true;
	case IN_AH:
		if (i >= 2 * ALU_N(alu_ah_vals))
			return false;
		s->eax = 0x11110034 | alu_ah_vals[i / 2] << 8;
		return true;
	case IN_BCD:
		if (i >= 4 * ALU_N(alu_bcd_vals))
			return false;
		s->eax = 0x77770000 | alu_bcd_vals[i / 4] | (i & 2 ? 0x1200 : 0);
		return true;
	}
	/* shifts: value x count, times both EFLAGS unless IN_SH */
	unsigned j = op->class == IN_SH ? i : i / 2;
	if (j >= nc * nv)
		return false;
	s->eax = s->mem[0] = alu_vals[j % nv];
	s->ebx = op->class == IN_SHD ? 0x9abcdef0 : ~s->eax;
	s->ecx = 0x0c0c0c00 | counts[j / nv];
	if (op->class == IN_SH)
		s->flags = (j + j / nv) & 1 ? ALU_F1 : ALU_F0;
	return true;
}

/* ---- what to compare ---- */

/* The shift/rotate count op applies to input s (before masking). */
static inline uint32_t alu_count(const struct alu_op *op, const struct alu_state *in)
{
	return op->count >= 0 ? (uint32_t)op->count : in->ecx & 0xff;
}

/* The EFLAGS bits that are defined after op on input `in` (SDM Vol. 2). */
static inline uint32_t alu_flag_mask(const struct alu_op *op, const struct alu_state *in)
{
	uint32_t c;

	switch (op->rule) {
	case R_ALL:
		return ALU_ARITH;
	case R_LOGIC:
		return ALU_ARITH & ~ALU_AF;
	case R_SH:
		c = alu_count(op, in) & 31;
		if (c == 0)
			return ALU_ARITH;          /* count 0: flags unchanged */
		if (c > (uint32_t)op->bits)
			return ALU_PF | ALU_ZF | ALU_SF;   /* CF undefined too */
		return c == 1 ? ALU_ARITH & ~ALU_AF : ALU_CF | ALU_PF | ALU_ZF | ALU_SF;
	case R_ROT:
		c = alu_count(op, in) & 31;
		return c <= 1 ? ALU_ARITH : ALU_ARITH & ~ALU_OF;
	case R_MUL:
		return ALU_CF | ALU_OF;
	case R_DIVU:
	case R_DIVS:
		return 0;
	case R_BT:
		return ALU_CF | ALU_ZF;
	case R_BSX:
		return ALU_ZF;
	case R_DAA:
		return ALU_ARITH & ~ALU_OF;
	case R_AAA:
		return ALU_AF | ALU_CF;
	case R_AAM:
		return ALU_SF | ALU_ZF | ALU_PF;
	}
	return ALU_ARITH;
}

/* Which words of struct alu_state to compare (bit n: word n), beyond flags:
 * all but the destination of a BSF/BSR whose source is 0 (undefined). */
static inline uint32_t alu_word_mask(const struct alu_op *op, const struct alu_state *in)
{
	uint32_t all = (1u << ALU_NWORDS) - 1;

	if (op->rule == R_BSX) {
		uint32_t src = op->run == alu_run_bsf_m ? in->mem[0] : in->ebx;
		if (op->bits == 16)
			src &= 0xffff;
		if (src == 0)
			return all & ~1u;    /* EAX (destination) undefined */
	}
	return all;
}

#endif
