/*
 * sysbench.h — what the system microbenchmark kernels share (bench/system/):
 * a protected-mode machine with paging, a TSS and a way into CPL 3, and a
 * timing harness that runs a benchmark body several times and prints the
 * median cycles per operation on COM1, the line run.sh parses:
 *
 *	bench: syscall_int80 cycles_per_op=1234 n=1000 reps=31 min=1200 max=1300 warmup=1500
 *
 * Cycles are RDTSC ticks: btmon passes the host's TSC through, so they are
 * host TSC ticks. A kernel looks like this:
 *
 *	static uint64_t body(uint32_t n) { ...n operations...; return ticks; }
 *	int guest_main(uint32_t magic, const struct mb_info *info)
 *	{
 *		struct sysbench_args a;
 *		if (!sysbench_start(magic, info, &a))
 *			return 1;
 *		sysbench_paging_on(global);
 *		sysbench_measure("name", body, 0, &a);
 *		return 0;
 *	}
 *
 * The descriptor tables and the C trap dispatcher come from
 * tests/guests/system/idt.c (sys.h); benchmarks that want a bare handler
 * (no C dispatch) point the gate at their own stub with sysbench_set_gate.
 */
#ifndef BENCH_SYSBENCH_H
#define BENCH_SYSBENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "multiboot.h"
#include "sys.h"

/* PTE/PDE bits (Intel SDM Vol. 3A §4.3, Table 4-6). */
#define PTE_P  0x001u        /* present */
#define PTE_W  0x002u        /* writable */
#define PTE_U  0x004u        /* user */
#define PTE_A  0x020u        /* accessed */
#define PTE_D  0x040u        /* dirty */
#define PTE_G  0x100u        /* global (with CR4.PGE) */
#define CR0_PG (1u << 31)
#define CR0_WP (1u << 16)
#define CR4_PGE (1u << 7)

/*
 * Memory layout once sysbench_paging_on has run:
 *
 *   linear 0–4 MiB   identity, 4 KiB pages (sb_pt_low): the kernel, its stacks
 *                    and tables; user-accessible, so CPL 3 code can run the
 *                    kernel's own C functions; global if asked
 *   linear 8–12 MiB  test pages SB_LIN(k), k < 1024, non-global, through
 *                    sb_pt_test_a in address space A (sb_pd_a) and
 *                    sb_pt_test_b in address space B (sb_pd_b); all
 *                    not present until a benchmark fills them in
 *   physical 4 MiB+  the frames SB_FRAME(k) test pages map to
 */
#define SB_LIN(k)   (0x800000u + (uint32_t)(k) * 0x1000u)
#define SB_FRAME(k) (0x400000u + (uint32_t)(k) * 0x1000u)
#define SB_LIN_PDE  2u         /* SB_LIN(0) >> 22 */

extern volatile uint32_t sb_pd_a[1024], sb_pd_b[1024], sb_pt_low[1024];
extern volatile uint32_t sb_pt_test_a[1024], sb_pt_test_b[1024];

/* Most reps a run may ask for. */
#define SB_MAX_REPS 31

struct sysbench_args {
	const char *cmdline;   /* the Multiboot command line ("" if none) */
	uint32_t n;            /* operations per repetition (n=, default 1000) */
	uint32_t reps;         /* timed repetitions (reps=, default 31) */
};

/*
 * Bring the machine up: COM1, the GDT/IDT of idt.c, the PIC with every line
 * masked, a TSS whose ESP0 is a kernel stack, and the command line parsed
 * into *a (n=, reps=). With pit=1 on the command line, also time the TSC
 * against 50 ms of PIT channel 2 and print "bench: tsc_khz_pit=...".
 * Reports a bad command line on COM1 and returns false. Call it first: the
 * command line is read before paging is on.
 */
bool sysbench_start(uint32_t magic, const struct mb_info *info, struct sysbench_args *a);

/*
 * Read the word "key=DIGITS" of the command line into *out if it is there
 * (leave *out alone if not). Returns false, after a line on COM1, if the
 * value is not a decimal number from lo to hi.
 */
bool sysbench_arg(const struct sysbench_args *a, const char *key, uint32_t lo, uint32_t hi,
		  uint32_t *out);

/* Turn paging on in address space A (layout above); with global set, the
 * kernel's 0–4 MiB are global pages and CR4.PGE is on. */
void sysbench_paging_on(bool global);

/* Point IDT vector vec straight at entry (an assembly stub that ends in
 * IRET), as an interrupt gate callable from CPL dpl. */
void sysbench_set_gate(unsigned vec, void (*entry)(void), unsigned dpl);

/* The top of the kernel stack the TSS gives CPL 3 → 0 transitions. */
uint32_t sysbench_kstack_top(void);

/*
 * A benchmark body: do n operations and return the TSC ticks they took
 * (usually rdtsc() around the loop; a body that must prepare state between
 * operations leaves that outside the ticks it counts).
 */
typedef uint64_t (*sysbench_body)(uint32_t n);

/*
 * Run body once to warm up (translation, first fills), then a->reps times,
 * at CPL 0 or at CPL 3 (cpl 3: the body runs as user code in the kernel's
 * image, entered by IRET and leaving through INT 0x81). Prints the report
 * line for name; returns the median cycles per operation.
 */
uint32_t sysbench_measure(const char *name, sysbench_body body, unsigned cpl,
			  const struct sysbench_args *a);

#endif
