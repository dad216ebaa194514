/*
 * xlate_int.h — private to src/translator: the per-block translation context
 * and the emitters each rule family provides.
 */
#ifndef BTMON_XLATE_INT_H
#define BTMON_XLATE_INT_H

#include <Zydis/Zydis.h>
#include <stddef.h>

#include "btmon/translator.h"
#include "btmon/vcpu.h"
#include "emit.h"

struct xctx {
	const struct xlate_env *env;
	struct xlate_block *out;
	struct emit e;
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const uint8_t *bytes;      /* this instruction's bytes */
	gla_t eip;                 /* this instruction */
	gla_t next;                /* the one after it */
	unsigned nexits;
	unsigned nmap;
	bool ended;                /* the block ends after this instruction */
	const char *end_reason;
	bool sti_shadow;           /* previous instruction was STI: poll after this one */
	gla_t block_eip;
	/* Cross-page direct branches under guest paging: not chainable (the
	 * target page's mapping may change), resolved through the IBT instead. */
	struct { uint32_t site_off; gla_t target; } far_exits[XLATE_MAX_EXITS];
	unsigned nfar;
	const char *fail;          /* set by an emitter that cannot translate the instruction */
};

/* Offsets into the VirtualCPU, for glue. */
#define VOFF(field) ((int32_t)offsetof(struct vcpu, field))

/* rules.c: pick the rule for ctx->in and say why. */
enum xlate_rule rules_classify(struct xctx *x, const char **why);

/* memop.c: the guest memory operand of ctx->in as a host operand. Emits the
 * FS/GS-base LEA sequence when needed (then the operand is [r14]). Returns
 * false if it cannot be expressed (x->fail says why). */
bool memop_host(struct xctx *x, const ZydisDecodedOperand *op, struct x64_mem *m, unsigned *flags);
const ZydisDecodedOperand *memop_find(const struct xctx *x);
int memop_gpr(ZydisRegister r);    /* host number of a guest GPR32, or -1 */

/* copy.c */
void emit_copy(struct xctx *x);
void emit_copy_mem(struct xctx *x);
void emit_lea(struct xctx *x);
void emit_incdec(struct xctx *x);
void emit_reencode(struct xctx *x);

/* stack.c */
void emit_push(struct xctx *x);
void emit_pop(struct xctx *x);
void emit_pusha(struct xctx *x);
void emit_popa(struct xctx *x);
void emit_enter(struct xctx *x);
void emit_leave(struct xctx *x);
void emit_push_sreg(struct xctx *x);

/* branch.c */
void emit_jmp(struct xctx *x);
void emit_jcc(struct xctx *x);
void emit_loop(struct xctx *x);
void emit_call(struct xctx *x);
void emit_call_ind(struct xctx *x);
void emit_jmp_ind(struct xctx *x);
void emit_ret(struct xctx *x);
void emit_exit_to(struct xctx *x, gla_t target);       /* chained jmp to target; ends block */
void emit_exit_reason(struct xctx *x, enum vcpu_exit r, gla_t eip); /* unchainable exit */
void emit_stubs(struct xctx *x);
/* Load r14d with the target of the indirect branch operand. */
bool emit_load_target(struct xctx *x);
void emit_ibt_lookup(struct xctx *x);

/* sensitive.c */
void emit_poll(struct xctx *x, gla_t eip, bool indexed_by_if);
void emit_cli(struct xctx *x);
void emit_sti(struct xctx *x);
void emit_pushf(struct xctx *x);
void emit_popf(struct xctx *x);
void emit_mov_from_sreg(struct xctx *x);
void emit_string(struct xctx *x);

/* segload.c: MOV/POP to DS/ES/FS/GS and VERR/VERW through the memos */
void emit_load_sreg(struct xctx *x);
void emit_verx(struct xctx *x);

/* Append a side-table entry for host code starting now. */
void xlate_map(struct xctx *x, gla_t eip, uint16_t flags, uint16_t len);

#endif
