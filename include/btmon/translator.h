/*
 * translator.h — guest x86-32 code in, host x86-64 code out (src/translator).
 *
 * xlate_block decodes one basic block with Zydis (32-bit mode), classifies
 * each instruction through the rule table (rules.c) and emits host code that
 * is position independent: all monitor addresses are reached through R15 (the
 * VirtualCPU), all guest memory through gs:[addr32]. The result is a
 * tc_block_desc the cache can insert, plus per-instruction notes for the trace.
 *
 * Blocks end at a control transfer, at a sensitive instruction that needs the
 * monitor, at a page boundary, or at XLATE_MAX_INSNS instructions.
 */
#ifndef BTMON_TRANSLATOR_H
#define BTMON_TRANSLATOR_H

#include "btmon/cache.h"
#include "btmon/types.h"

#define XLATE_MAX_INSNS 64
#define XLATE_MAX_CODE  (XLATE_MAX_INSNS * 96 + 512)
#define XLATE_MAX_EXITS 4

/* How an instruction was translated: the rows of the rule table. */
enum xlate_rule {
	XR_COPY,          /* innocuous, no memory operand: copied verbatim */
	XR_COPY_MEM,      /* innocuous with memory operand: 65 67 prefixes */
	XR_COPY_MEM_ABS,  /* ... absolute [disp32] re-encoded through SIB */
	XR_COPY_MEM_SEG,  /* ... FS/GS base added by a flag-free LEA into r14 */
	XR_LEA,           /* LEA: 67 prefix only, no access */
	XR_INCDEC,        /* INC/DEC r32 short form → FF /0, /1 */
	XR_REENCODE,      /* other opcodes whose meaning differs in 64-bit mode */
	XR_PUSH, XR_POP,
	XR_PUSHA, XR_POPA,
	XR_ENTER, XR_LEAVE,
	XR_CALL, XR_CALL_IND, XR_RET,
	XR_JMP, XR_JCC, XR_JMP_IND, XR_LOOP,
	XR_STRING,        /* MOVS/STOS/LODS/SCAS/CMPS: RSI/RDI biased by the window base */
	XR_CLI, XR_STI, XR_PUSHF, XR_POPF,   /* inline monitor procedures */
	XR_MOV_FROM_SREG, /* inline: read the selector from the VirtualCPU */
	XR_PUSH_SREG,     /* inline: the selector from the VirtualCPU, pushed */
	XR_LOAD_SREG,     /* inline: MOV/POP to DS/ES/FS/GS through the segment memo */
	XR_VERX,          /* inline: VERR/VERW through their memo, ZF set on the scratch stack */
	XR_RDTSC,         /* host TSC passed through */
	XR_EMULATE,       /* exit to a monitor procedure in C */
	XR_UD,            /* not understood: #UD to the guest */
	XR_NRULES
};

/* One guest instruction of a translated block, for the trace and tests. */
struct xlate_note {
	gla_t eip;
	uint8_t len;
	uint8_t bytes[15];
	enum xlate_rule rule;
	uint32_t host_off, host_len;
	const char *why;         /* the rule's one-line explanation */
	uint16_t mnemonic;       /* ZydisMnemonic */
};

/* Where the translator reads guest code from (the monitor provides it). */
struct xlate_env {
	/* Copy up to len code bytes at guest-linear la into buf; returns how many
	 * could be read (fewer at a page with no RAM or a page fault). */
	uint32_t (*fetch)(void *ctx, gla_t la, uint8_t *buf, uint32_t len);
	/* Guest-physical address of la for the block's key and page list. */
	bool (*gla_to_gpa)(void *ctx, gla_t la, gpa_t *pa);
	void *ctx;
	uint32_t mode;           /* TC_MODE_* the block is for */
	unsigned max_insns;      /* 0 = XLATE_MAX_INSNS */
};

struct xlate_block {
	struct tc_block_desc desc;   /* points into the arrays below */
	uint8_t code[XLATE_MAX_CODE];
	struct tc_exit_desc exits[XLATE_MAX_EXITS];
	/* side table: up to 3 entries per instruction (a segment load marks its
	 * descriptor read; POPF and the post-STI poll add one), the entry poll, stubs */
	struct tc_map_entry map[3 * XLATE_MAX_INSNS + 2 * XLATE_MAX_EXITS + 2];
	struct xlate_note notes[XLATE_MAX_INSNS];
	unsigned nnotes;
	uint8_t guest[XLATE_MAX_INSNS * 15];
	/* Why the block ended, for the trace. */
	const char *end_reason;
	uint32_t flags_live_out;     /* arithmetic flags possibly read after the block */
};

/*
 * Translate the block at guest-linear eip. BT_ERR_FETCH if not even the first
 * instruction's bytes could be fetched (the caller raises the guest fault).
 * An undecodable or unsupported first instruction still yields a block: one
 * that exits with VCPU_EXIT_UD.
 */
bt_status xlate_block(const struct xlate_env *env, gla_t eip, struct xlate_block *out);

/* The rule's short name ("copy+gs", "push", ...) and description. */
const char *xlate_rule_name(enum xlate_rule r);

/* Is this ISA extension (a ZydisISAExt) one the modelled CPU has? Others
 * translate to #UD (the differential tester generates only these). */
bool xlate_isa_modelled(int zydis_isa_ext);

/*
 * Verifier (--verify): re-decode the host code of a translated block in
 * 64-bit mode and check DESIGN.md §8.1 — every memory operand of code derived
 * from guest instructions is gs:+addr32, every other one is a VirtualCPU
 * access ([r15+disp] or the poll/IBT forms the glue uses); no host stack
 * instruction appears in guest-derived code. On failure writes one line about
 * the first offending host instruction into err.
 */
bt_status xlate_verify(const struct tc_block_desc *d, const struct xlate_note *notes,
		       unsigned nnotes, char *err, size_t errlen);

#endif
