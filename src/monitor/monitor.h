/*
 * monitor.h — private to src/monitor: the machine (one guest: its RAM and
 * window, VirtualCPU, translation cache, board, trace) and the pieces of the
 * monitor that operate on it.
 *
 * Flow: main.c parses the command line and builds a machine (machine.c),
 * a loader places the kernel, run.c runs the guest: look up or translate the
 * block at EIP, enter it (switch.S), and handle whatever brought it back —
 * a branch to chain, an indirect-branch miss, a sensitive instruction
 * (emulate.c), a host fault (fault.c, signals.c), an exception to deliver
 * (deliver.c).
 */
#ifndef BTMON_MONITOR_H
#define BTMON_MONITOR_H

#include <Zydis/Zydis.h>

#include "btmon/board.h"
#include "btmon/cache.h"
#include "btmon/mmu.h"
#include "btmon/translator.h"
#include "btmon/vcpu.h"
#include "cli.h"
#include "decode_cache.h"
#include "trace.h"

/* switch.S */
uint32_t vcpu_enter(struct vcpu *v, const void *host_code);
void vcpu_exit_common(void);
void vcpu_fault_exit(void);
void vcpu_ibt_empty(void);
/* Make v->fxsave whole: an exit saves only XMM0-15 and MXCSR and leaves the
 * guest's x87 state in the registers (switch.S). Call before reading or
 * writing v->fxsave; machine_run does on return and before a reset. */
void vcpu_fpu_sync(struct vcpu *v);
void vcpu_enter_end(void);     /* labels: the ends of the trampolines */
void vcpu_exit_end(void);

/* vcpu.c */
struct vcpu *vcpu_new(void);
void vcpu_free(struct vcpu *v);
void vcpu_reset_protected(struct vcpu *v, uint16_t cs, uint16_t ds);
void vcpu_ibt_flush(struct vcpu *v);
/* table: 0 for blocks translated for CPL 0–2, 1 for CPL 3 (vcpu_ibt_table). */
void vcpu_ibt_insert(struct vcpu *v, unsigned table, gla_t eip, const void *host, bool global);
/* CR3 write: forget the entries whose code is not in a global page. */
void vcpu_ibt_flush_nonglobal(struct vcpu *v);
/* Forget the entries for guest EIPs in [base, base+len) (INVLPG). */
void vcpu_ibt_flush_range(struct vcpu *v, gla_t base, uint32_t len);
void vcpu_ibt_remove(struct vcpu *v, gla_t eip, const void *host);

struct machine_stats {
	uint64_t exits[VCPU_EXIT_NREASONS];
	uint64_t translated_by_rule[XR_NRULES];   /* guest instructions translated, per rule */
	uint64_t emulated[ZYDIS_MNEMONIC_MAX_VALUE + 1]; /* monitor procedures run, per mnemonic */
	uint64_t exceptions[32];
	uint64_t code_write_faults;
	uint64_t mmio_emulated;
	uint64_t resumes;                         /* re-entries in the middle of a block */
	uint64_t interrupts;                      /* external interrupts delivered */
	uint64_t halt_sleeps;                     /* host sleeps in HLT */
	uint64_t resets;
	uint64_t events_delivered;                /* exceptions and interrupts through the IDT */
	uint64_t port_io;                         /* IN/OUT/INS/OUTS procedures run */
	uint64_t smc_steps;                       /* writes into the running block, finished by stepping */
};

struct machine {
	const struct btmon_options *opt;
	struct mmu mmu;
	struct tc tc;
	struct vcpu *vcpu;
	struct board board;
	struct trace trace;
	struct xlate_block *xb;     /* translation scratch (large) */
	ZydisDecoder dec;           /* 32-bit decoder for monitor procedures */
	struct dcache dcache;       /* decoded instructions of emulate exits (emulate.c) */
	bool chain;                 /* chaining and the IBT on (off while tracing exec) */
	bool stop;
	int exit_status;
	char stop_reason[160];
	bool want_dump;             /* print a register dump when stopping */
	int init_errno;             /* errno of a failed host call in machine_init */
	bool reset_requested;       /* triple fault, or the keyboard controller pulsed reset */
	/* Place the kernel and set the boot CPU state (again, on a reset). */
	int (*boot)(struct machine *m, void *ctx);
	void *boot_ctx;
	struct machine_stats stats;
	/* harness.c (differential tests): record guest exceptions and stop
	 * instead of delivering them through the IDT (deliver.c checks first). */
	bool capture_exceptions;
	struct machine_capture {
		bool hit;
		unsigned vec;
		bool has_err;
		uint32_t eip, err, cr2;   /* cr2: #PF only */
	} captured;
};

/* machine.c */
bt_status machine_init(struct machine *m, const struct btmon_options *opt);
void machine_fini(struct machine *m);
/* Power-on reset: fresh RAM, devices, caches and CPU, then m->boot again.
 * Returns the boot function's status (0 = booted). */
int machine_reset(struct machine *m);
/* Stop the run loop with a host exit status and a one-line reason. */
void machine_stop(struct machine *m, int status, bool dump, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Keep GS base = the current view; react to paging and CPL changes. */
void machine_sync_gs(struct machine *m);
void machine_paging_changed(struct machine *m);
void machine_cr3_changed(struct machine *m);
void machine_cpl_changed(struct machine *m);
/* Guest code at page pa was written by the monitor or a device. */
void machine_code_written(void *ctx, gpa_t page);

/* run.c */
int machine_run(struct machine *m);
/* The block for the current EIP, translating it if needed; NULL if the fetch
 * raised a guest exception or stopped the machine. */
struct tc_block *machine_block_at(struct machine *m, gla_t eip);
/* The block already translated for eip in the current mode, whose
 * guest-physical address pa the caller found with a fetch walk: tries
 * `hint` (a block pointer kept while the cache had flushed `hint_flushes`
 * times; NULL or stale is fine), then the hash. NULL if there is none yet
 * (no translation, no fault) or under --verify. */
struct tc_block *machine_block_cached(struct machine *m, gla_t eip, gpa_t pa,
				      struct tc_block *hint, uint64_t hint_flushes);

/* emulate.c: run the monitor procedure for the sensitive instruction at EIP.
 * Returns the block to run next at the new EIP if one is translated for it
 * (found without translating or faulting), else NULL. */
struct tc_block *emulate_insn(struct machine *m);
/* Decode the guest instruction at eip for a monitor procedure. */
bool emulate_decode(struct machine *m, gla_t eip, ZydisDecodedInstruction *in,
		    ZydisDecodedOperand *ops);
/* Effective (linear) address of a memory operand with the current registers. */
gla_t emulate_ea(struct machine *m, const ZydisDecodedOperand *op);

/* fault.c: a host fault in translated code (vcpu->fault is filled in). */
void fault_handle(struct machine *m);

/* mmio.c: emulate the instruction at eip that touched a guest-physical hole
 * (reads all-ones, writes dropped); false if btmon cannot. */
bool mmio_emulate(struct machine *m, gla_t eip);

/* signals.c */
bt_status signals_init(struct machine *m);
void signals_fini(void);

/* irq.c: interrupts at block boundaries, device clocks, HLT. */
bt_status irq_init(struct machine *m);
void irq_fini(void);
uint64_t irq_now_ns(void);
/* Poll exit (or any time device state may have changed): run device clocks,
 * deliver a pending interrupt if IF=1, set the poll pages. */
void irq_service(struct machine *m);
/* After a monitor procedure: the full irq_service if it did port I/O (device
 * state, deadlines, INTR may have changed) or a kick is pending; otherwise
 * only take an interrupt the new IF may allow. */
void irq_after_emulate(struct machine *m, bool port_io);
/* Re-derive the poll pages' protection (the PIC's INTR changed). */
void irq_update_poll(struct machine *m);
/* HLT at CPL 0: sleep until an interrupt is delivered (or stop the machine). */
void irq_halt(struct machine *m);

/* Wake the vCPU thread from another thread (console input). */
void irq_kick(void);

/* console.c: stdin → COM1, terminal raw mode and Ctrl-A escapes. */
bt_status console_init(struct machine *m);
void console_fini(void);
/* Move queued input into the UART as its FIFO has room (vCPU thread). */
void console_drain(struct machine *m);
/* Input is queued that the UART could not take yet. */
bool console_pending(void);
/* More input may still arrive (stdin open). */
bool console_can_wake(void);
/* An eventfd that becomes readable when input arrives. */
int console_wake_fd(void);

/* segments.c */
/* Load segment register s with selector sel (descriptor checks, cache).
 * Returns false after raising a guest exception. */
bool seg_load(struct machine *m, int s, uint16_t sel);
/* Far jump to sel:eip (CS load with privilege checks). */
bool seg_far_jump(struct machine *m, uint16_t sel, uint32_t eip);
/* Read descriptor sel from the GDT/LDT into lo/hi; false if beyond the limit. */
bool seg_read_desc(struct machine *m, uint16_t sel, uint32_t *lo, uint32_t *hi);
/* The same, also saying at which guest-linear address the descriptor is,
 * and telling a selector outside the table from a faulting read of it
 * (m->mmu.last_pf; deliver_mmu_fault raises it). */
enum seg_desc { SEG_DESC_OK, SEG_DESC_OUTSIDE, SEG_DESC_FAULT };
enum seg_desc seg_read_desc_at(struct machine *m, uint16_t sel, uint32_t *lo, uint32_t *hi, gla_t *la);

/* deliver.c */
/* Raise exception/interrupt vec; eip must already point where delivery saves
 * (the faulting instruction for faults, the next one for traps/INT n). */
void deliver_exception(struct machine *m, unsigned vec, bool has_err, uint32_t err);
/* A page fault: CR2 = la, error code err. */
void deliver_page_fault(struct machine *m, gla_t la, uint32_t err);
/* The fault an mmu access reported (m->mmu.last_pf): #PF, or #GP if there is
 * no RAM at all behind the address. */
void deliver_mmu_fault(struct machine *m);
void deliver_software_int(struct machine *m, unsigned vec, uint32_t next_eip);
/* A hardware interrupt from the PIC (no error code, no gate DPL check). */
void deliver_external(struct machine *m, unsigned vec);
bool deliver_iret(struct machine *m);

/* dump.c */
void dump_registers(struct machine *m, FILE *out);
/* stats.c */
void stats_print(struct machine *m, FILE *out);

#endif
