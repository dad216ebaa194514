/*
 * trap.c — the miniature trap-and-emulate monitor (trap.h has the design):
 * the emulated PC whose ports it serves, and the native runner context
 * (src/native) its programs run in, whose fault hook is the monitor.
 *
 * The context's code area holds the program (loop.c, BENCH_PROG_TRAP: it
 * falls off its end into the runner's exit), its data area the block's
 * scratch and the loop's control block, as in translated mode. Entering
 * 32-bit mode, catching faults and coming back are the runner's; all this
 * file adds is the hook: a #GP at CPL 3 (SIGSEGV, SI_KERNEL) on an
 * instruction the virtual CPU can emulate resumes the guest after it.
 */
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "btmon/board.h"
#include "btmon/x86.h"
#include "trap.h"

struct bench_trap {
	struct native_ctx *nc;    /* where programs run; its hook is on_fault */
	struct board board;       /* the emulated PC: the same devices btmon has */
	struct bench_vcpu vcpu;
};

/* ---- the emulated PC's callbacks: output and exits go nowhere ---- */

static void sink_drop(void *ctx, uint8_t byte) { (void)ctx; (void)byte; }
static void exit_drop(void *ctx, int status) { (void)ctx; (void)status; }
static void reset_drop(void *ctx) { (void)ctx; }
static void intr_drop(void *ctx, bool intr) { (void)ctx; (void)intr; }
static int64_t wall_now(void *ctx) { (void)ctx; return (int64_t)time(NULL); }

static uint64_t clock_ns(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the trap ---- */

/* The native runner's fault hook: a privileged instruction at CPL 3 is
 * #GP(0); emulate it and resume. Any other fault ends the run. */
static bool on_fault(void *opaque, struct native_trap *nt)
{
	struct bench_trap *t = opaque;
	const struct native_fault *f = &nt->fault;

	return f->signo == SIGSEGV && f->si_code == SI_KERNEL && f->vector == X86_EXC_GP &&
	       bench_vcpu_emulate(&t->vcpu, nt);
}

/* ---- lifecycle ---- */

bt_status bench_trap_new(struct bench_trap **out)
{
	struct bench_trap *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return BT_ERR_NOMEM;
	struct board_config cfg = {
		.serial_out = { sink_drop, NULL }, .debugcon_out = { sink_drop, NULL },
		.clock = { clock_ns, NULL }, .wall_seconds = wall_now,
		.request_exit = exit_drop, .request_reset = reset_drop,
		.intr_changed = intr_drop,
	};
	bt_status s = board_init(&t->board, &cfg);
	if (s != BT_OK)
		goto fail;
	if ((s = native_new(&t->nc, BENCH_DATA_SIZE)) != BT_OK)
		goto fail_board;
	native_set_fault_hook(t->nc, on_fault, t);
	bench_vcpu_init(&t->vcpu, t->board.bus);
	*out = t;
	return BT_OK;

fail_board:
	board_fini(&t->board);
fail:
	free(t);
	return s;
}

void bench_trap_free(struct bench_trap *t)
{
	if (t == NULL)
		return;
	native_free(t->nc);
	board_fini(&t->board);
	free(t);
}

void bench_trap_prog(const struct bench_trap *t, struct bench_prog *p)
{
	p->kind = BENCH_PROG_TRAP;
	p->base = native_code_addr(t->nc);
	p->ctl = native_data_addr(t->nc) + BENCH_CTL_OFF;
}

struct bench_ctl *bench_trap_ctl(struct bench_trap *t)
{
	return (struct bench_ctl *)(native_data(t->nc) + BENCH_CTL_OFF);
}

struct bench_vcpu *bench_trap_vcpu(struct bench_trap *t) { return &t->vcpu; }
uint32_t bench_trap_data_addr(const struct bench_trap *t) { return native_data_addr(t->nc); }
uint8_t *bench_trap_data(struct bench_trap *t) { return native_data(t->nc); }
uint32_t bench_trap_stack_top(const struct bench_trap *t) { return native_stack_top(t->nc); }

bool bench_trap_cpuid_faulting(struct bench_trap *t, bool on)
{
	return native_set_cpuid_faulting(t->nc, on);
}

bt_status bench_trap_run(struct bench_trap *t, const void *prog, uint32_t len,
			 const struct native_state *in, struct native_state *out,
			 struct native_fault *fault)
{
	return native_run(t->nc, prog, len, in, out, fault);
}
