/*
 * native.h — run a block of 32-bit x86 code natively on the host CPU, in
 * 32-bit compatibility mode (code selector 0x23), from this 64-bit process.
 *
 * It is the oracle of the differential tests (DESIGN.md §8 invariant 3: the
 * translated block and the native block must end in the same state, bit for
 * bit) and the "native" column of `btmon bench`. It does not depend on any
 * other btmon module.
 *
 * A context owns memory below 4 GiB, mapped at the same address in the host
 * and in the 32-bit code (identity): native_data(c) is
 * (uint8_t *)(uintptr_t)native_data_addr(c). Layout, low to high:
 *
 *   control + stubs | guard | code area | guard | data area | guard | stack | guard
 *
 * The guard pages are never mapped: an access just before or just past the
 * data area, or below the stack, faults with #PF at that address.
 *
 * Usage:
 *	struct native_ctx *c;
 *	struct native_state in, out;
 *	struct native_fault f;
 *	static const uint8_t code[] = { 0x01, 0xd8 };       // add eax, ebx
 *	native_new(&c, 4096);
 *	native_state_init(c, &in);                           // ESP = stack top
 *	in.gpr[NATIVE_EAX] = 1; in.gpr[NATIVE_EBX] = 2;
 *	native_run(c, code, sizeof(code), &in, &out, &f);    // out.gpr[EAX] == 3
 *	native_free(c);
 *
 * What the block may do: anything a 32-bit user program may, with these
 * limits. It runs straight through to its end (falling off the last byte
 * returns to the runner; a jump elsewhere is the caller's problem, an endless
 * loop can only be stopped by SIGKILL). It must not load segment registers.
 * It runs with this process's privileges: `int 0x80` and SYSENTER (and
 * SYSCALL on AMD) are real 32-bit Linux system calls, so blocks must not
 * contain them, and the kernel emulates SGDT/SIDT/SMSW/SLDT/STR under UMIP.
 * The AVX upper halves are not part of the state.
 *
 * Signals: while a block runs, the calling thread blocks every signal but
 * the five fault signals (others are delivered after the run, and no foreign
 * handler pushes a frame onto the block's stack); the fault signals go to the
 * runner's handler on its own 256 KiB alternate stack, which passes faults
 * that are not the block's to the handler installed before. Because those
 * handlers are process-wide, runs in different threads are serialised by a
 * process-wide lock. A context is used by one thread at a time.
 *
 * Trap and emulate: a context may carry a fault hook (native_set_fault_hook)
 * that sees each fault of its blocks first, and may emulate the faulting
 * instruction and resume the block instead of ending the run: a privileged
 * instruction at CPL 3 raises #GP(0), so a hook that emulates CLI, IN, MOV
 * CR3, ... makes the runner a classic trap-and-emulate monitor (the third
 * column of `btmon bench`, src/bench/trap.c). native_set_cpuid_faulting
 * adds CPUID to the instructions that trap.
 */
#ifndef BTMON_NATIVE_H
#define BTMON_NATIVE_H

#include <stdint.h>

#include "btmon/types.h"
#include "btmon/x86.h"

/* Index of each register in native_state.gpr: hardware (ModRM) order. */
enum native_gpr {
	NATIVE_EAX, NATIVE_ECX, NATIVE_EDX, NATIVE_EBX,
	NATIVE_ESP, NATIVE_EBP, NATIVE_ESI, NATIVE_EDI,
};

/* The EFLAGS bits native_run takes from its input and reports back:
 * the arithmetic flags and DF. Others (TF, AC, ID, ...) are never set on
 * entry and are dropped from the output (IF and bit 1 included). */
#define NATIVE_EFLAGS_MASK X86_FL_HOST

/* Sizes of the areas of a context. */
#define NATIVE_CODE_SIZE  (64u * 1024)  /* the code area */
#define NATIVE_CODE_MAX   (NATIVE_CODE_SIZE - 64u) /* longest block: room for the runner's tail */
#define NATIVE_STACK_SIZE (64u * 1024)  /* the stack area */
#define NATIVE_DATA_MAX   (256u * 1024 * 1024)

/* Offsets into native_state.fxsave (FXSAVE layout, SDM Vol. 1 §10.5.1). */
#define NATIVE_FX_FCW   0    /* x87 control word (u16) */
#define NATIVE_FX_MXCSR 24   /* u32 */
#define NATIVE_FX_ST(i)  (32 + 16 * (i))   /* ST(i)/MMi, 10 of 16 bytes used */
#define NATIVE_FX_XMM(i) (160 + 16 * (i))  /* XMM0..XMM7 in 32-bit code */

/* 32-bit user-level state. FXSAVE is taken in its 32-bit form: FIP/FDP and
 * their selectors say where the last x87 instruction ran here, not in the
 * guest, and do not belong in a comparison. */
struct native_state {
	uint32_t gpr[8];        /* indexed by enum native_gpr */
	uint32_t eflags;        /* NATIVE_EFLAGS_MASK bits (others ignored on input) */
	uint8_t fxsave[512] __attribute__((aligned(16)));
};

/* How a block stopped early. signo 0: it did not fault. */
struct native_fault {
	int signo;          /* host signal: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP */
	int si_code;        /* the signal's si_code */
	uint32_t vector;    /* x86 vector (enum x86_vector): the CPU's own, from the signal frame */
	uint32_t error_code;/* the exception's error code (#GP, #PF, ...), else 0 */
	uint32_t eip;       /* faulting instruction; for traps (#BP, #DB) the next one */
	uint32_t addr;      /* #PF: the linear address (CR2); else 0 */
};

/* A fault of the block, offered to the fault hook: how it faulted and the
 * block's registers there, which the hook may change before resuming. */
struct native_trap {
	struct native_fault fault;  /* as native_run would report it */
	uint32_t gpr[8];            /* at the fault, indexed by enum native_gpr */
	uint32_t eflags;            /* at the fault; resuming takes back the
				     * NATIVE_EFLAGS_MASK bits only */
	uint32_t eip;               /* fault.eip: where the block resumes */
};

/*
 * A fault hook. Return true to resume the block with t's registers at
 * t->eip (after emulating the faulting instruction, say); false to end the
 * run at the fault exactly as without a hook (changes to *t are dropped).
 * It runs inside the fault signal handler, on the runner's alternate stack
 * with every other signal blocked and the run lock held: it must be
 * async-signal-safe (no allocation, locks or stdio) and must not run blocks.
 */
typedef bool native_fault_hook(void *opaque, struct native_trap *t);

struct native_ctx;

/* Create a context with a data area of data_size bytes (rounded up to whole
 * pages, at least one; at most NATIVE_DATA_MAX), zero-filled. The areas sit
 * below 4 GiB, at a fixed preferred address when it is free. BT_ERR_INVAL for
 * a bad size, BT_ERR_HOST if a mapping failed (errno set). */
bt_status native_new(struct native_ctx **out, uint32_t data_size);
void native_free(struct native_ctx *c);

/* 32-bit addresses of the areas (identity-mapped, see above). */
uint32_t native_code_addr(const struct native_ctx *c);  /* where the block runs */
uint32_t native_data_addr(const struct native_ctx *c);
uint32_t native_data_size(const struct native_ctx *c);  /* after rounding */
uint8_t *native_data(struct native_ctx *c);
uint32_t native_stack_top(const struct native_ctx *c);  /* one past the stack area's last byte */

/* A clean start: GPRs 0 but ESP = native_stack_top(c), no flags, the x87/SSE
 * state FNINIT gives (FCW 0x37f, all empty) with MXCSR 0x1f80. */
void native_state_init(const struct native_ctx *c, struct native_state *s);

/* Run len bytes of 32-bit code at native_code_addr(c) from state *in.
 * The block is copied into the code area and followed by the runner's own
 * return sequence, reached by falling off its end. ESP is whatever in->gpr
 * says: callers put it inside the stack area (native_stack_top) unless they
 * mean the block to fault. Memory (data, stack) keeps its contents between
 * runs; registers do not leak from one run into the next.
 *
 * On return *out holds the final state: at the end of the block, or at the
 * faulting instruction if it faulted, in which case *fault says how
 * (fault->signo is 0 otherwise; fault may be NULL); with a fault hook, only
 * a fault the hook does not resume ends the run. in and out may be the
 * same. A fault of the block is not an error: the status is still BT_OK.
 * BT_ERR_INVAL: len > NATIVE_CODE_MAX, or an MXCSR with reserved bits set.
 * BT_ERR_HOST: installing the fault handlers failed.
 *
 * The caller's signal handlers, alternate stack and signal mask are restored
 * before it returns; so are its DF (0), x87/SSE state and DS/ES. */
bt_status native_run(struct native_ctx *c, const void *code, uint32_t len,
		     const struct native_state *in, struct native_state *out,
		     struct native_fault *fault);

/* Offer every fault of the blocks c runs from now on (native_run,
 * native_time) to hook(opaque, ...) first; hook NULL: none, the default. */
void native_set_fault_hook(struct native_ctx *c, native_fault_hook *hook, void *opaque);

/* Make CPUID fault with #GP(0) while c's blocks run, as a privileged
 * instruction does, so that a fault hook can answer it (Linux arch_prctl
 * ARCH_SET_CPUID: CPUID faulting, which Intel CPUs offer to VMMs; the
 * calling thread only, and only during runs). Returns whether CPUID will
 * fault: false when on is false or the host cannot. */
bool native_set_cpuid_faulting(struct native_ctx *c, bool on);

/* Time the block: run it `iterations` times back to back (at least 1), each
 * iteration starting from the state the previous one ended in (the first from
 * *in), and store in *cycles the RDTSC ticks from just before the first
 * iteration to just after the last: ticks of the constant-rate TSC, not core
 * clock cycles. The loop adds a few ticks per iteration (it keeps its counter
 * in memory and touches no flag and no register) and the measurement a fixed
 * overhead (~200 ticks on the development host): time an empty block (len 0)
 * the same number of times and subtract.
 *
 * out (may be NULL) receives the state after the last iteration. If the block
 * faults, *fault (may be NULL) says how, *out is the state at the fault,
 * *cycles is 0, and the status is BT_ERR_INVAL when fault is NULL (the caller
 * asked to time a block that cannot run), BT_OK otherwise. Other errors as
 * for native_run. */
bt_status native_time(struct native_ctx *c, const void *code, uint32_t len,
		      const struct native_state *in, uint32_t iterations,
		      uint64_t *cycles, struct native_state *out,
		      struct native_fault *fault);

#endif
