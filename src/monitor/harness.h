/*
 * harness.h — run one block of 32-bit guest code *translated*, from a given
 * register/flags/FPU state and data area, and report the final state or the
 * guest exception: the translated counterpart of native_run (native.h), for
 * the differential tests (tests/diff) and, later, the translated column of
 * `btmon bench`.
 *
 * A harness owns a whole machine (machine.c) with --verify on and no trace.
 * The guest runs flat 32-bit protected mode at CPL 0 with paging ON: small
 * page tables map exactly the caller's code, data and stack areas at their
 * linear addresses (identity with the native runner's addresses) onto a few
 * pages of guest RAM, and nothing else. So an access just past the data area
 * or below the stack raises #PF with CR2 = the address, as natively, where
 * the native runner keeps unmapped guard pages.
 *
 * Usage (mirroring a native context's layout):
 *	struct harness_layout l = {
 *		.code_addr = native_code_addr(c), .code_size = NATIVE_CODE_SIZE,
 *		.data_addr = native_data_addr(c), .data_size = native_data_size(c),
 *		.stack_addr = native_stack_top(c) - NATIVE_STACK_SIZE,
 *		.stack_size = NATIVE_STACK_SIZE };
 *	struct harness *h;
 *	harness_new(&h, &l);
 *	harness_run(h, code, len, &in, &out, &fault, data_in, data_out);
 *	harness_free(h);
 *
 * A run: the code is written at code_addr through the monitor's own guest
 * write path (so translations of the previous block on those pages are
 * invalidated, never reused) and followed by HLT; at CPL 0 with IF = 0 the
 * monitor stops the machine there, which the harness takes as the normal
 * end. Guest exceptions are recorded instead of delivered (machine.capture)
 * and end the run at the faulting instruction.
 *
 * The machine installs process-wide signal handlers for translated code, so
 * a process has one harness at a time; native_run installs its own handlers
 * only while a native block runs and restores them, so both coexist.
 * Memory (data, stack) keeps its contents between runs, like the native
 * runner's; the registers do not leak from one run into the next.
 */
#ifndef BTMON_HARNESS_H
#define BTMON_HARNESS_H

#include <stdint.h>

#include "btmon/native.h"   /* struct native_state / native_fault: types only */
#include "btmon/types.h"

/* Where the guest's areas live (guest-linear; page aligned, sizes in bytes). */
struct harness_layout {
	uint32_t code_addr, code_size;
	uint32_t data_addr, data_size;
	uint32_t stack_addr, stack_size;     /* the stack area's lowest byte */
};

struct harness;

/* Create the machine for layout *l: the areas must be page aligned, must not
 * overlap, and must stay below 4 GiB; data at most 64 MiB. BT_ERR_INVAL for
 * a bad layout; other statuses from machine_init. */
bt_status harness_new(struct harness **out, const struct harness_layout *l);
void harness_free(struct harness *h);

/*
 * Run len bytes of code at layout.code_addr from *in, with the data area
 * first set to data_in (data_size bytes; NULL: leave it as it is), and store
 * the final state in *out and the data area in data_out (may be NULL).
 *
 * Only in->eflags' NATIVE_EFLAGS_MASK bits are used (IF stays 0) and out's
 * EFLAGS has only those. When the block raised a guest exception *fault
 * says which (vector, error code, EIP of the faulting instruction — of the
 * next one for traps — and CR2 for #PF; signo is the host signal the native
 * runner would report, for readers of either) and *out is the state at that
 * instruction; fault->signo is 0 after a normal end.
 *
 * BT_OK: the block ended normally or with a guest exception.
 * BT_ERR_INVAL: len too long for the code area, an MXCSR with reserved bits.
 * BT_ERR_UNSUPPORTED: the machine stopped for another reason (an
 *   instruction btmon cannot run, a --verify failure, ...):
 *   harness_stop_reason says which; *out then holds the state at the stop.
 */
bt_status harness_run(struct harness *h, const void *code, uint32_t len,
		      const struct native_state *in, struct native_state *out,
		      struct native_fault *fault, const void *data_in, void *data_out);

/* The monitor's one-line reason for the last stop ("" after a normal end). */
const char *harness_stop_reason(const struct harness *h);

/* A host pointer to len bytes of guest memory at linear address la, when
 * they lie inside one of the areas (to prepare or inspect the stack); NULL
 * otherwise. Writing to the code area this way is not allowed. */
uint8_t *harness_mem(struct harness *h, uint32_t la, uint32_t len);

#endif
