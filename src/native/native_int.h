/*
 * native_int.h — private to src/native: the control block the mode switch
 * works on (shared by C and switch.S, hence the offsets), the context, and
 * the functions of the module's files:
 *
 *   native.c   contexts, native_run, native_time
 *   stubs.c    the 32-bit entry/exit stubs and per-run tails, emitted as bytes
 *   faults.c   fault handlers installed for the duration of a run, the
 *              fault hook and CPUID faulting
 *   switch.S   64-bit side of the switch: native_enter, native_ret64
 */
#ifndef BTMON_NATIVE_INT_H
#define BTMON_NATIVE_INT_H

/* Linux x86-64 GDT selectors (arch/x86/include/asm/segment.h). */
#define NATIVE_SEL_CS32 0x23    /* __USER32_CS: 32-bit compatibility-mode code */
#define NATIVE_SEL_DS   0x2b    /* __USER_DS: flat data, also SS */
#define NATIVE_SEL_CS64 0x33    /* __USER_CS: 64-bit code */

/* Offsets into struct native_low used by switch.S (checked in native.c). */
#define NL_FX       0x000
#define NL_HOST_FX  0x200
#define NL_HOST_RSP 0x400
#define NL_RET64    0x408
#define NL_HOST_DS  0x410
#define NL_HOST_ES  0x412
#define NL_HAS_AVX  0x414

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stdint.h>

#include "btmon/native.h"

/*
 * The control block: the first page of a context's low memory, read and
 * written by the 32-bit stubs through absolute addresses.
 */
struct native_low {
	uint8_t fx[512];          /* guest x87/SSE: loaded on entry, saved on exit */
	uint8_t host_fx[512];     /* the caller's x87/SSE across the run */
	uint64_t host_rsp;        /* host RSP inside native_enter: where to return */
	uint64_t ret64;           /* &native_ret64, for the low landing stub */
	uint16_t host_ds, host_es;
	uint8_t has_avx;          /* issue VZEROUPPER around the block */
	uint8_t pad0[3];
	uint32_t gpr_in[8];       /* loaded by the 32-bit entry stub */
	uint32_t gpr_out[8];      /* stored by the exit stub or the fault handler */
	uint32_t eflags_out;
	uint32_t counter;         /* native_time: iterations left */
	uint32_t ecx_tmp;         /* native_time: ECX while the loop uses it */
	uint32_t pad1;
	uint64_t tsc0, tsc1;      /* native_time: RDTSC at loop start and end */
	/* lretq frame of native_enter (RIP, CS) then the EFLAGS the entry stub
	 * pops; written by C before each run. */
	uint64_t entry_frame[4] __attribute__((aligned(16)));
	uint32_t exit_stack[16];  /* the exit stub's own stack (pushfd, far return) */
};

/* Addresses of the stubs, in the stub page (see stubs.c). */
struct native_stubs {
	uint32_t entry32;         /* popfd, load GPRs, jump to the code */
	uint32_t entry_timed32;   /* the same with RDTSC after popfd */
	uint32_t exit32;          /* save GPRs + EFLAGS, far return to landing64 */
	uint32_t exit_timed32;    /* RDTSC, then exit32 */
	uint32_t landing64;       /* 64-bit: reload host RSP, jump to native_ret64 */
};

struct native_ctx {
	uint8_t *base;            /* the whole low reservation */
	size_t size;
	struct native_low *low;   /* == base */
	uint8_t *code;            /* NATIVE_CODE_SIZE, RWX */
	uint8_t *data;
	uint32_t data_size;
	uint8_t *stack;           /* NATIVE_STACK_SIZE */
	struct native_stubs stubs;
	void *altstack;           /* for the fault handlers, NATIVE_ALTSTACK_SIZE */
	struct native_fault fault;/* filled by the fault handler */
	uint32_t mxcsr_mask;      /* the CPU's MXCSR_MASK (FXRSTOR refuses other bits) */
	native_fault_hook *hook;  /* sees each fault first (NULL: none) */
	void *hook_opaque;
	bool cpuid_faulting;      /* CPUID faults while a block runs */
};

#define NATIVE_ALTSTACK_SIZE (256u * 1024)

/* The 32-bit address of a pointer into the low reservation. */
static inline uint32_t native_a32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

/* stubs.c */
void native_emit_stubs(struct native_ctx *c, uint8_t *page);
uint32_t native_emit_tail(struct native_ctx *c, uint32_t len);
uint32_t native_emit_loop_tail(struct native_ctx *c, uint32_t len);

/* faults.c: handlers for SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP on the context's
 * alternate stack, all other signals blocked, and CPUID faulting if the
 * context asks for it. Call with the run lock held. */
bt_status native_faults_install(struct native_ctx *c);
void native_faults_restore(void);

/* switch.S */
void native_enter(struct native_low *low, uint64_t entry_rsp);
void native_ret64(void);

#endif /* __ASSEMBLER__ */
#endif
