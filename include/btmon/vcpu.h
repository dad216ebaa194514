/*
 * vcpu.h — the VirtualCPU: all guest-visible CPU state the monitor keeps.
 *
 * Where it sits: translated code reaches the "hot" part of this structure
 * through R15 (vcpu base) at fixed displacements — that is how CLI becomes
 * `mov dword [r15+VCPU_VIF], 0`. The monitor (src/monitor) owns the structure;
 * the translator only uses the VCPU_* offsets below, which are static-asserted
 * in monitor/vcpu.c.
 *
 * While guest code runs, guest EAX..EDI and ESP live in host EAX..EDI / ESP,
 * arithmetic flags and DF in host RFLAGS. The copies in `gpr`/`rflags` are
 * valid only while the monitor runs (after an exit, before the next entry).
 *
 * The structure is allocated page-aligned with mmap (vcpu_new) because it
 * contains the two poll pages.
 */
#ifndef BTMON_VCPU_H
#define BTMON_VCPU_H

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "btmon/types.h"
#include "btmon/x86.h"
#endif

/* Indirect-branch table: guest EIP -> host code, indexed by the low 16 bits. */
#define VCPU_IBT_BITS 16
#define VCPU_IBT_SIZE (1 << VCPU_IBT_BITS)
#ifndef __ASSEMBLER__
/* The IBT slot of a guest EIP: a hash translated code computes without
 * touching flags (branch.c): CRC32C of EIP (seed 0) with SSE4.2 (the CRC32
 * instruction leaves the flags alone), else a mix of multiplies by 3, 8 and
 * 9 and byte swaps that LEA and BSWAP can compute. vcpu_new sets vcpu_ibt_crc from the host CPU. */
extern bool vcpu_ibt_crc;
static inline unsigned vcpu_ibt_index(uint32_t eip)
{
	uint32_t h = 0;
	if (vcpu_ibt_crc)
		__asm__("crc32l %1, %0" : "+r"(h) : "r"(eip));
	else {   /* a = 9*EIP + 8*bswap(EIP); a + 3*bswap(a): mov, bswap, lea only */
		uint32_t a = 9 * eip + 8 * __builtin_bswap32(eip);
		h = a + 3 * __builtin_bswap32(a);
	}
	return h & (VCPU_IBT_SIZE - 1);
}
#endif

/* Offsets translated code and the trampolines use (checked in monitor/vcpu.c). */
#define VCPU_GPR(r)       ((r) * 4)
#define VCPU_EIP          32
#define VCPU_VIF          36
#define VCPU_VFLAGS       40
#define VCPU_EXIT_REASON  44
#define VCPU_RFLAGS       48
#define VCPU_HOST_RSP     56
#define VCPU_EXIT_LINK    64
#define VCPU_EXIT_EIP     72
#define VCPU_EXIT_INFO    76
#define VCPU_EXIT_TRAMP   80
#define VCPU_RESUME_RIP   88
#define VCPU_SEG_BASE(s)  (96 + (s) * 4)
#define VCPU_SCRATCH      128
#define VCPU_SCRATCH_TOP  (VCPU_SCRATCH + 64)
#define VCPU_FXSAVE       192
#define VCPU_POLL         4096
#define VCPU_IBT          (VCPU_POLL + 4 * 4096)

#define VCPU_EXIT_INDIRECT_NUM 2   /* VCPU_EXIT_INDIRECT, for assembly */

#ifndef __ASSEMBLER__

/* Why translated code returned to the monitor (vcpu.exit_reason). */
enum vcpu_exit {
	VCPU_EXIT_NONE = 0,
	VCPU_EXIT_BRANCH,    /* direct branch to an untranslated/unchained block; exit_link = patch site */
	VCPU_EXIT_INDIRECT,  /* indirect branch missed the IBT; exit_eip = target */
	VCPU_EXIT_EMULATE,   /* sensitive instruction at exit_eip needs a monitor procedure */
	VCPU_EXIT_POLL,      /* poll page fault at a block entry: interrupt or stop request */
	VCPU_EXIT_FAULT,     /* host fault in translated code, already decoded into vcpu->fault */
	VCPU_EXIT_UD,        /* untranslatable instruction at exit_eip: #UD */
	VCPU_EXIT_NREASONS
};

/* A segment register with its descriptor cache (SDM §3.4.3). */
struct vcpu_seg {
	uint16_t sel;
	uint16_t pad;
	uint32_t base;
	uint32_t limit;   /* byte granular, already scaled by G */
	uint32_t flags;   /* descriptor hi dword bits 8..23 (type, S, DPL, P, AVL, D/B, G) */
};

struct vcpu_table_reg {
	uint32_t base;
	uint16_t limit;
	uint16_t sel;     /* LDTR/TR only */
	uint32_t flags;   /* LDTR/TR descriptor flags */
	uint32_t seg_limit;
};

/* A pending host-fault description, filled by the signal handler. */
struct vcpu_fault {
	int signo;
	int si_code;
	uint64_t host_rip;
	uint64_t host_addr;   /* faulting host address (SIGSEGV) */
	uint32_t guest_addr;  /* the same, as a window offset when inside the window */
	uint32_t write;       /* 1 if the access was a write (from the page-fault error code) */
	uint32_t in_window;   /* 1 if host_addr is inside the current window or its guards */
	uint32_t kind;        /* enum mmu_fault_kind, when in_window */
	uint32_t trapno;      /* the host CPU's exception vector (SIGFPE: 0, 16 or 19) */
	uint64_t host_rsi, host_rdi; /* raw, possibly biased by the window base (string ops) */
};

struct vcpu {
	/* ---- hot: reached by translated code and the switch trampolines ---- */
	uint32_t gpr[8];          /* EAX..EDI, hardware order; valid in the monitor */
	uint32_t eip;             /* valid in the monitor */
	uint32_t vif;             /* virtual IF: 0 or X86_FL_IF (0x200); poll page index */
	uint32_t vflags;          /* virtual EFLAGS bits other than IF (X86_FL_VIRTUAL) */
	uint32_t exit_reason;     /* enum vcpu_exit */
	uint64_t rflags;          /* host RFLAGS image: guest arithmetic flags + DF */
	uint64_t host_rsp;        /* monitor stack pointer inside vcpu_enter */
	uint64_t exit_link;       /* VCPU_EXIT_BRANCH: exec address of the rel32 to patch */
	uint32_t exit_eip;        /* guest EIP the exit refers to */
	uint32_t exit_info;       /* reason-specific */
	uint64_t exit_tramp;      /* address of the common exit trampoline (jmp [r15+..]) */
	uint64_t resume_rip;      /* host address to resume at, if non-zero */
	uint32_t seg_base[X86_NSEG]; /* copies of seg[].base, for FS/GS LEA sequences */
	uint32_t pad0[2];
	uint64_t scratch[8];      /* a tiny stack for the PUSHF/POPF glue's pushfq/popfq */
	uint8_t fxsave[512] __attribute__((aligned(16))); /* guest x87/SSE state in the monitor */

	/* ---- poll pages (DESIGN.md §4): poll[vif >> 9] is read at every block entry;
	 * POPF also adds TF (pages 2–3, never readable: a guest that sets TF exits) ---- */
	uint8_t poll[4][4096] __attribute__((aligned(4096)));

	/* ---- indirect-branch tables (two-way: EIP's slot vcpu_ibt_index and the
	 * next one), one for CPL 0–2 blocks and one for CPL 3
	 * blocks (user code can never reach a supervisor block through them, so a
	 * CPL change needs no flush): neg[i] = -guest EIP, host[i] = host code ---- */
	struct vcpu_ibt {
		uint32_t neg[VCPU_IBT_SIZE + 1];   /* two ways: slots i and i + 1 */
		uint64_t host[VCPU_IBT_SIZE + 1];
		/* Slots filled since the last flush, so a flush clears only those
		 * (every slot if a list overflowed): `filled` those whose code is in
		 * a non-global page (a CR3 write clears them), `gfilled` the global
		 * ones (supervisor table only). A slot may be listed twice. */
		uint32_t nfilled, ngfilled;
		uint32_t filled[VCPU_IBT_SIZE + 1];
		uint32_t gfilled[VCPU_IBT_SIZE + 1];
		uint32_t victim;             /* which way a full pair gives up next */
		/* one bit per (EIP >> 12) mod 4096 with an entry since the last
		 * full flush: INVLPG of a page without entries does nothing */
		uint8_t pages[512];
	} ibt[2];

	/* ---- cold: privileged state that exists only here ---- */
	struct vcpu_seg seg[X86_NSEG];
	struct vcpu_table_reg gdtr, idtr, ldtr, tr;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	uint32_t cpl;
	uint64_t msr_sysenter_cs, msr_sysenter_esp, msr_sysenter_eip;
	uint64_t msr_perf[4];      /* PERFCTR0/1, EVNTSEL0/1 */
	uint64_t tsc_offset;
	uint32_t interrupt_shadow; /* 1: the instruction after STI/MOV SS blocks interrupts */
	uint32_t halted;
	struct vcpu_fault fault;
	/* Single-stepping one guest instruction on the host (TF), used to finish
	 * a write into the running block's own code page: host code in
	 * [step_lo, step_hi) is that instruction. */
	uint32_t single_step;
	uint64_t step_lo, step_hi;
	uint64_t win_base;         /* GS base: host address of guest-linear 0 */
	uint64_t win_neg;          /* -win_base, for the string glue's flag-free un-bias */

	/* ---- memos for inline segment loads and VERR/VERW (translator/segload.c) ----
	 * What the last monitor-run load of a non-null selector produced, keyed
	 * by selector and CPL; translated code re-reads the 8 descriptor bytes at
	 * `la` and uses the memo only if they are unchanged. Valid only while the
	 * GDTR/LDTR it was filled under hold: vcpu_memo_clear on every change. */
	struct vcpu_seg_memo {
		uint32_t key;          /* VCPU_MEMO_KEY(sel, cpl); 0: empty */
		uint32_t la;           /* guest-linear address of the descriptor (GDT or LDT) */
		uint64_t desc;         /* the descriptor as read then */
		struct vcpu_seg seg;   /* the resulting selector and hidden state */
	} seg_memo[X86_NSEG];      /* DS, ES, FS, GS used (SS and CS always exit) */
	struct vcpu_probe_memo {
		uint32_t key, la;
		uint64_t desc;
		uint32_t zf;           /* the result: X86_FL_ZF or 0 */
		uint32_t pad;
	} verr_memo, verw_memo;
	/* The user IBTs of address spaces that are not current (ibt_spaces.c). */
	struct ibt_spaces *ibt_spaces;
};

/* Memo keys: the selector, the CPL it was loaded at, and a bit no empty
 * (zeroed) memo has. Translated code compares the whole 32-bit key. */
#define VCPU_MEMO_VALID (1u << 24)
#define VCPU_MEMO_KEY(sel, cpl) ((uint32_t)(sel) | (uint32_t)(cpl) << 16 | VCPU_MEMO_VALID)

/* Forget every segment-load and VERR/VERW memo: the GDTR or LDTR changed
 * (LGDT, LLDT, a boot or reset), so a selector may name another descriptor. */
static inline void vcpu_memo_clear(struct vcpu *v)
{
	for (int s = 0; s < X86_NSEG; s++)
		v->seg_memo[s].key = 0;
	v->verr_memo.key = v->verw_memo.key = 0;
}

/* The architectural EFLAGS value the guest would read. */
static inline uint32_t vcpu_eflags(const struct vcpu *v)
{
	return ((uint32_t)v->rflags & X86_FL_HOST) | X86_FL_FIXED1 | v->vif | v->vflags;
}

/* Set EFLAGS from an architectural value (no privilege checks: callers do them). */
static inline void vcpu_set_eflags(struct vcpu *v, uint32_t fl)
{
	v->rflags = (v->rflags & ~(uint64_t)X86_FL_HOST) | (fl & X86_FL_HOST);
	v->vif = fl & X86_FL_IF;
	v->vflags = fl & X86_FL_VIRTUAL;
}

/* Remember that table t has an entry for eip's page (INVLPG's fast path). */
static inline void vcpu_ibt_note_page(struct vcpu_ibt *t, uint32_t eip)
{
	uint32_t b = (eip >> 12) & 4095;
	t->pages[b >> 3] |= (uint8_t)(1u << (b & 7));
}

#endif /* __ASSEMBLER__ */
#endif
