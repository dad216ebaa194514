/*
 * trap.h — private to src/bench: a miniature trap-and-emulate monitor, the
 * third mode of `btmon bench` (the classic VMM that binary translation
 * replaced).
 *
 * The guest program runs natively in 32-bit compatibility mode at CPL 3, in
 * a native runner context of its own (src/native: native_run). A privileged
 * instruction raises #GP, which reaches the context's fault hook; the hook
 * decodes the instruction at the faulting EIP (Zydis), applies the same
 * monitor-procedure semantics btmon's translated code reaches — CLI/STI
 * set the virtual IF, IN/OUT go to the emulated PC's port bus (board.c), MOV
 * to/from CRn reads and writes the virtual control registers, CPUID answers
 * with the virtual CPU's leaves, HLT returns at once (nothing is pending) —
 * moves EIP past it and has the runner resume the guest.
 * Instructions that should be sensitive but do not fault at CPL 3 (PUSHF,
 * POPF, SGDT/SIDT/SMSW, CPUID without CPUID faulting) simply run on the host
 * CPU: the monitor never sees them, and catalogue.c's probes show the damage.
 *
 * Any other fault ends the run as in the native runner: the state at the
 * faulting instruction and how it faulted are reported. Signal handling,
 * the mode switch and CPUID faulting are all the native runner's.
 */
#ifndef BTMON_BENCH_TRAP_H
#define BTMON_BENCH_TRAP_H

#include <Zydis/Zydis.h>

#include "bench_int.h"
#include "btmon/iobus.h"

#define BENCH_CPUID_LEAVES 8

/* The virtual CPU state the miniature monitor keeps (cf. struct vcpu). */
struct bench_vcpu {
	uint32_t vif;             /* the virtual IF: 0 or X86_FL_IF, as vcpu.vif */
	uint32_t cr0, cr2, cr3, cr4;
	uint64_t traps;           /* sensitive instructions emulated */
	uint64_t cr3_writes;      /* "TLB flushes" (there is no shadow MMU to flush) */
	struct iobus *bus;        /* the emulated PC's ports */
	uint32_t cpuid[BENCH_CPUID_LEAVES][5];  /* {leaf, EAX, EBX, ECX, EDX} */
	unsigned ncpuid;
	ZydisDecoder dec;         /* 32-bit */
};

/* trap_emulate.c */
void bench_vcpu_init(struct bench_vcpu *v, struct iobus *bus);
/* Back to reset values (IF=0, CR3 0x1000, counters 0); the bus and the
 * CPUID leaves stay. */
void bench_vcpu_reset(struct bench_vcpu *v);
/* Emulate the instruction at t->eip, which faulted with #GP at CPL 3, on
 * the registers in *t; on success t->eip moves past it. False when it is not
 * one the monitor knows (the run then ends at the fault). */
bool bench_vcpu_emulate(struct bench_vcpu *v, struct native_trap *t);

/* trap.c */
struct bench_trap;

bt_status bench_trap_new(struct bench_trap **out);
void bench_trap_free(struct bench_trap *t);

/* Fill kind, base and ctl of a program that will run here: at the native
 * context's code address, with its control block at BENCH_CTL_OFF of the
 * data area (as in translated mode). */
void bench_trap_prog(const struct bench_trap *t, struct bench_prog *p);
struct bench_ctl *bench_trap_ctl(struct bench_trap *t);
struct bench_vcpu *bench_trap_vcpu(struct bench_trap *t);
uint32_t bench_trap_data_addr(const struct bench_trap *t);
uint8_t *bench_trap_data(struct bench_trap *t);       /* BENCH_DATA_SIZE bytes, ctl inside */
uint32_t bench_trap_stack_top(const struct bench_trap *t);

/* Make CPUID fault (arch_prctl ARCH_SET_CPUID) while programs run. Returns
 * whether CPUID will trap: false when `on` is false or the host cannot. */
bool bench_trap_cpuid_faulting(struct bench_trap *t, bool on);

/* Run len bytes of program (emitted for this monitor) from *in, as
 * native_run does: GPRs, the arithmetic flags/DF and x87/SSE state (the host
 * keeps IF=1 and IOPL=0, which is the point). *out gets the final state (at
 * the fault if one ended the run, described by *fault; fault->signo 0
 * otherwise). Errors as native_run's. */
bt_status bench_trap_run(struct bench_trap *t, const void *prog, uint32_t len,
			 const struct native_state *in, struct native_state *out,
			 struct native_fault *fault);

#endif
