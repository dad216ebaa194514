/*
 * bench_int.h — private to src/bench (and its test): the block catalogue,
 * the timed loop every mode runs, and the three ways to run it.
 *
 *   catalogue.c  the built-in blocks and the probes that show what a guest
 *                observes when a sensitive instruction does not trap
 *   loop.c       emits the timed loop (32-bit code) around a block
 *   modes.c      native / translated / trap-and-emulate measurements, medians,
 *                the native-vs-translated state comparison
 *   trap.c, trap_emulate.c
 *                the miniature trap-and-emulate monitor (trap.h), a fault
 *                hook of the native runner
 *   report.c     the table, --json and --svg
 *   bench_main.c the command line
 *
 * What a block sees, in every mode: EBX = the start of BENCH_SCRATCH_SIZE
 * bytes of data (filled with the same pattern before each run), EBP = the
 * address of the block's first byte (so it can compute jump targets without
 * knowing where it was loaded), ESP = the top of a 64 KiB stack, the other
 * GPRs and the arithmetic flags 0, DF = 0. Each iteration starts from the
 * state the previous one ended in; ECX is saved and restored around the loop's
 * own counter, so the block may use every register.
 */
#ifndef BTMON_BENCH_INT_H
#define BTMON_BENCH_INT_H

/* ---- the data area and the loop's control block (sizes need native.h) ---- */

#define BENCH_SCRATCH_SIZE (8u * 1024)   /* the block's data, at EBX */
#define BENCH_CTL_OFF      BENCH_SCRATCH_SIZE  /* translated mode: control block here */
#define BENCH_DATA_SIZE    (16u * 1024)  /* scratch, control page, spare page */
#define BENCH_REPS_MAX     64u           /* timed repetitions per run, warm-up included */

/* Where the block sits in an emitted program: the loop's entry (setup, the
 * repetition loop) fills the first page, the block starts the second, so the
 * inner loop (block + counter) stays on pages of its own. */
#define BENCH_BLOCK_OFF    BT_PAGE_SIZE
#define BENCH_SETUP_MAX    2048u
#define BENCH_PROG_MAX     (NATIVE_CODE_SIZE + BT_PAGE_SIZE)  /* a whole program */
/* Longest block: its program must fit the native runner's code area too,
 * where the trap monitor runs it. */
#define BENCH_BLOCK_MAX    (NATIVE_CODE_MAX - BENCH_BLOCK_OFF - 512u)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "btmon/native.h"
#include "btmon/types.h"

/*
 * The loop's control block, read and written by the emitted 32-bit code
 * through absolute addresses. Every mode that runs loop.c's program keeps
 * it in the guest's data area, at BENCH_CTL_OFF.
 */
struct bench_ctl {
	uint32_t iters;           /* iterations per repetition (set by C) */
	uint32_t reps;            /* repetitions (set by C) */
	uint32_t counter;         /* iterations left in this repetition */
	uint32_t rep;             /* index of the running repetition */
	uint32_t ecx_tmp, eax_tmp, edx_tmp;
	uint64_t t0[BENCH_REPS_MAX], t1[BENCH_REPS_MAX];       /* RDTSC per repetition */
};

/* ---- the catalogue ---- */

/* A probe: a short sequence run once translated (btmon's semantics, the
 * reference) and under the trap monitor. `check` gets both final states and
 * the trap monitor's virtual IF, and writes into note what the guest observed
 * when the trap monitor got it wrong: that is the "incorrect" verdict. */
struct bench_probe {
	const uint8_t *code;
	uint32_t len;
	bool (*check)(const struct native_state *trap, const struct native_state *xlat,
		      uint32_t trap_vif, char *note, size_t note_size);
};

struct bench_block {
	const char *name;         /* short id, for the command line and JSON */
	const char *title;        /* what the table says */
	const uint8_t *setup;     /* run once before the timed loop (may be NULL) */
	uint32_t setup_len;
	const uint8_t *code;      /* the loop body */
	uint32_t len;
	uint32_t copies;          /* instances of the operation in the body (ticks / copies) */
	uint32_t iterations;      /* per repetition, unless --iterations says */
	const struct bench_probe *probe;
	bool sensitive;           /* native results may rightly differ from btmon's */
	bool extra;               /* not in the catalogue */
};

/* The built-in catalogue, in table order. */
const struct bench_block *bench_catalogue(size_t *count);

/* ---- the timed loop (loop.c) ---- */

enum bench_prog_kind {
	BENCH_PROG_XLAT,  /* registers from the harness; ends with CLI then falls off */
	BENCH_PROG_TRAP,  /* run by the native runner: falls off its end into its exit */
};

struct bench_prog {
	enum bench_prog_kind kind;
	uint32_t base;            /* 32-bit address of the program's first byte */
	uint32_t ctl;             /* 32-bit address of its struct bench_ctl */
	const uint8_t *setup;
	uint32_t setup_len;
	const uint8_t *code;
	uint32_t len;
};

/* Emit the program into buf (BENCH_PROG_MAX bytes): setup once, then
 * ctl.reps repetitions of ctl.iters iterations of the block, each repetition
 * between two RDTSC stored in ctl.t0/t1[rep]. The block lands at
 * base + BENCH_BLOCK_OFF. Returns the length; 0 when setup or block is too
 * long. */
uint32_t bench_emit_loop(uint8_t *buf, const struct bench_prog *p);

/* ---- measurements (modes.c) ---- */

enum bench_mode { BENCH_NATIVE, BENCH_XLAT, BENCH_TRAP, BENCH_NMODES };

enum bench_status {
	BENCH_OK,         /* measured, and the guest saw what it should */
	BENCH_NA,         /* the mode cannot run it (native: privileged at CPL 3) */
	BENCH_INCORRECT,  /* measured, but the guest observed something wrong */
	BENCH_FAILED,     /* the block faulted or btmon stopped: note says why */
};

struct bench_result {
	enum bench_status status;
	double ticks;             /* per iteration: median, empty loop subtracted */
	double traps;             /* trap mode: traps to the monitor per iteration */
	char note[240];
};

/* One block measured in every mode. */
struct bench_row {
	const struct bench_block *block;
	uint32_t iterations;
	struct bench_result mode[BENCH_NMODES];
	int same_state;           /* native and translated end alike: 1, differ: 0, n/a: -1 */
	char diff[240];
};

struct bench_env;

/* Set up the three runners: a native context, a translating harness (one per
 * process), the trap monitor. cpuid_faulting: make CPUID trap in the trap
 * monitor when the host can (arch_prctl ARCH_SET_CPUID). err gets one line. */
bt_status bench_env_new(struct bench_env **out, unsigned reps, bool cpuid_faulting,
			char *err, size_t err_size);
void bench_env_free(struct bench_env *e);
/* TSC ticks per core clock cycle, from a dependent chain of ADDs run
 * natively (0 if that failed): the TSC runs at a constant rate, the core
 * does not. */
double bench_ticks_per_cycle(struct bench_env *e);
/* Whether CPUID traps in the trap monitor. */
bool bench_env_cpuid_traps(const struct bench_env *e);

/* Measure block b with `iterations` per repetition in all modes, and compare
 * native and translated final states. */
void bench_measure(struct bench_env *e, const struct bench_block *b, uint32_t iterations,
		   struct bench_row *row);

/* Run block b natively and translated, `iterations` times from the same
 * state and data, and compare GPRs, EFLAGS (arithmetic + DF) and the scratch
 * data. Returns 1 when they agree, 0 when not (diff says where), -1 when
 * the block does not run natively or translated. */
int bench_compare(struct bench_env *e, const struct bench_block *b, uint32_t iterations,
		  char *diff, size_t diff_size);

/* Run code once under the trap monitor (from the standard block state) and
 * report the final state, fault and the virtual IF after it. */
bt_status bench_trap_once(struct bench_env *e, const uint8_t *code, uint32_t len,
			  struct native_state *out, struct native_fault *fault, uint32_t *vif);

/* ---- output (report.c) ---- */

/* What the whole run shares, for the report's header and notes. */
struct bench_run_info {
	unsigned reps;
	bool cpuid_traps;
	double ticks_per_cycle;   /* 0: unknown */
};

void bench_print_table(FILE *f, const struct bench_row *rows, size_t n,
		       const struct bench_run_info *info);
void bench_print_json(FILE *f, const struct bench_row *rows, size_t n,
		      const struct bench_run_info *info);
bt_status bench_write_svg(const char *path, const struct bench_row *rows, size_t n);

#endif
