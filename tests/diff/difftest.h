/*
 * difftest.h — the differential tester: the host CPU as oracle (DESIGN.md §8
 * invariant 3). A sequence of 32-bit code runs natively (native_run, in
 * compatibility mode) and translated (harness_run, through btmon) from the
 * same initial state, and the two final states must agree bit for bit:
 * GPRs, EFLAGS (arithmetic flags and DF, "undefined" ones included: same
 * CPU), x87/SSE state, the data area, the top of the stack, and the fault.
 *
 * Files: difftest.c (contexts, one comparison, reports, shrinking),
 * random.c (random sequences filtered by Zydis), curated.c (seed classes and
 * the curated-sequence driver), curated_{alu,mem,fpu}.S (the curated
 * sequences), curated_known.S (known departures from the CPU: FXSAVE),
 * test_diff.c (the Check suite), difftest_main.c (btmon-difftest).
 *
 * Both sides see the same addresses: the harness maps its areas at the
 * native runner's code/data/stack addresses, so CALL's return addresses,
 * fault EIPs and #PF addresses compare directly.
 */
#ifndef BTMON_DIFFTEST_H
#define BTMON_DIFFTEST_H

/* Seed classes of the curated sequences (curated.c): how many runs a
 * sequence gets and which initial states. Shared with the .S files. */
#define DT_SEEDS_ONE     0   /* one run from the base state */
#define DT_SEEDS_ALU2    1   /* EAX x ECX over interesting values, flags clear / all set */
#define DT_SEEDS_ALU1    2   /* EAX over interesting values x four flag patterns */
#define DT_SEEDS_SHIFT   3   /* EAX x CL = 0..2,7..9,15..17,31..33,63..65,255 x flags clear/set */
#define DT_SEEDS_DIV     4   /* EDX:EAX, ECX: normal, divide by 0, quotient overflow x flags */
#define DT_SEEDS_FLAGS   5   /* all 64 combinations of CF PF AF ZF SF OF */
#define DT_SEEDS_COUNT   6   /* ECX = 0..5,7,8,15..17,100,0x800,0x900 (#PF) x DF 0/1 */
#define DT_SEEDS_BITMEM  7   /* ECX = bit offsets reaching inside and past the data area */
#define DT_SEEDS_FPU     8   /* x87: empty / full stack, rounding modes */
#define DT_SEEDS_SSE     9   /* random XMM registers, MXCSR rounding/FTZ/DAZ */
#define DT_SEEDS_RANDOM 10   /* 32 random register states */
#define DT_SEEDS_ABS    11   /* one run; skipped unless the data area is at DT_DATA_ADDR */
#define DT_SEEDS_COUNT_NF 12 /* the same up to 100, then 0x1ff: string ops that stay inside */
#define DT_NSEEDS       13

/* Where the data area is when the native runner got its preferred address
 * (0x10000000 + control, stubs, guard, code area, guard): sequences with
 * absolute addresses assume it. */
#define DT_DATA_ADDR 0x10014000
#define DT_DATA_SIZE 0x2000          /* two pages: a page boundary at +0x1000 */

/* Base state registers (curated.c): EBX = data, ESI = data+0x400,
 * EDI = data+0x800, EBP = data+0xc00, ESP = stack top - DT_STACK_SLACK. */
#define DT_STACK_SLACK 0x200

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "btmon/native.h"

/* The top of the stack that is filled before and compared after each run. */
#define DT_STACK_CHECK 0x1000
#define DT_CODE_MAX    4096         /* a sequence's length */
#define DT_PLACE_MAX   (2 * 4096)   /* highest in->place */

/* A curated sequence: its table lives in a curated_*.S file. */
struct dt_case {
	const char *name;
	const uint8_t *code, *end;
	uint32_t seeds;             /* DT_SEEDS_* */
	uint32_t ign_off, ign_len;  /* data bytes not compared (FNSTENV's pointers) */
	uint32_t pad;
};

/* The initial state of one run. */
struct dt_input {
	struct native_state st;
	uint8_t data[DT_DATA_SIZE];
	uint32_t ign_off, ign_len;  /* data bytes not compared */
	uint32_t place;             /* 0, or: run the code at this offset in the code
				     * area, entered by a JMP rel32 (blocks across pages) */
};

/* Both outcomes of one run. */
struct dt_result {
	struct native_state nat, xl;
	struct native_fault nat_f, xl_f;
	uint8_t nat_data[DT_DATA_SIZE], xl_data[DT_DATA_SIZE];
	int xl_status;              /* bt_status of harness_run */
	char xl_reason[160];
	char diff[2048];            /* what differs, one line per item */
};

struct dt_ctx;

/* A native context and a harness with the same layout (one per process:
 * the harness owns the process's signal handlers for translated code). */
int dt_new(struct dt_ctx **out);
void dt_free(struct dt_ctx *c);
uint32_t dt_data_addr(const struct dt_ctx *c);
uint32_t dt_stack_top(const struct dt_ctx *c);
uint32_t dt_code_addr(const struct dt_ctx *c);

/* The base state: registers point into the areas as described above. */
void dt_base_state(const struct dt_ctx *c, struct dt_input *in);

/* Run code both ways from *in. Returns 0 when they agree, 1 on a mismatch
 * (r->diff says what), -1 when a side refused the input (bad MXCSR, ...). */
int dt_check(struct dt_ctx *c, const uint8_t *code, uint32_t len, const struct dt_input *in,
	     struct dt_result *r);

/* Print a reproducer: the title line, bytes, disassembly, initial state,
 * both final states, the differences. */
void dt_report(FILE *out, struct dt_ctx *c, const char *title, const uint8_t *code, uint32_t len,
	       const struct dt_input *in, const struct dt_result *r);

/* Shrink a mismatching sequence: drop instructions while the mismatch
 * persists (only sequences without relative branches). Writes the result to
 * out (at least len bytes) and returns its length. */
uint32_t dt_shrink(struct dt_ctx *c, const uint8_t *code, uint32_t len, const struct dt_input *in,
		   uint8_t *out);

/* Disassemble one line per instruction (Zydis, Intel syntax). */
void dt_disasm(FILE *out, const uint8_t *code, uint32_t len, uint32_t addr);

/* ---- curated.c ---- */
extern const struct dt_case dt_cases_alu[], dt_cases_mem[], dt_cases_fpu[], dt_cases_known[];
/* All curated cases in one array (built on first use), and their number. */
const struct dt_case *dt_curated(unsigned *n);
/* The sequences of known departures from the CPU (curated_known.S). */
const struct dt_case *dt_known(unsigned *n);
/* Runs a seed class gives, and the initial state of run k. */
unsigned dt_seed_count(uint32_t seeds);
void dt_seed_state(const struct dt_ctx *c, uint32_t seeds, unsigned k, struct dt_input *in);
/* Run every seed of a curated case; report and count mismatches (log may be
 * NULL; at most max_reports reproducers are printed). Sets *runs. */
unsigned dt_run_case(struct dt_ctx *c, const struct dt_case *k, FILE *log, unsigned max_reports,
		     unsigned *runs);

/* ---- random.c ---- */
struct dt_rng { uint64_t s; };
uint64_t dt_rand(struct dt_rng *r);

#define DT_SEQ_MAX_INSNS 80

/* A random sequence of 1..8 (one in 16: 56..80, past the translator's
 * block cap) user-level, non-control-flow instructions the modelled CPU
 * supports, memory operands forced into the areas, and a random initial
 * state to run it from. code must hold DT_SEQ_MAX_INSNS * 15 bytes.
 * Returns its length in bytes. */
uint32_t dt_random_sequence(const struct dt_ctx *c, struct dt_rng *r, uint8_t *code,
			    struct dt_input *in);

/* Run random sequences first..first+n-1 of seed (the earlier ones are
 * generated, not run: "sequence I" of a report is reproducible alone);
 * print reproducers (shrunk) for the first max_reports mismatches; returns
 * the number of mismatches. progress: a line every that many (0: never). */
unsigned dt_run_random(struct dt_ctx *c, uint64_t seed, unsigned first, unsigned n, FILE *log,
		       unsigned max_reports, unsigned progress);

#endif /* __ASSEMBLER__ */
#endif
