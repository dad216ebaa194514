/*
 * trap.c — the miniature trap-and-emulate monitor (trap.h has the design):
 * its low memory, the emulated PC whose ports it serves, the run, and the
 * fault handler that emulates a trapping instruction and resumes the guest.
 *
 * Low memory (MAP_32BIT, identity-addressed by the 32-bit program):
 *
 *   control page (struct bench_ctl) | landing stub page | code | data | stack
 *
 * A run mirrors src/native: bench_trap_enter far-returns into the program,
 * whose epilogue far-returns to the 64-bit landing stub, which jumps to
 * bench_trap_ret64 on the saved host stack. What differs is the handler:
 * for a #GP at CPL 3 (SIGSEGV, SI_KERNEL) on an instruction the virtual CPU
 * can emulate, it edits the register context and *returns to the guest*.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "btmon/board.h"
#include "btmon/x86.h"
#include "trap.h"

_Static_assert(offsetof(struct bench_ctl, host_rsp) == BC_HOST_RSP, "BC_HOST_RSP");
_Static_assert(offsetof(struct bench_ctl, ret64) == BC_RET64, "BC_RET64");
_Static_assert(offsetof(struct bench_ctl, host_fx) == BC_HOST_FX, "BC_HOST_FX");
_Static_assert(offsetof(struct bench_ctl, host_ds) == BC_HOST_DS, "BC_HOST_DS");
_Static_assert(offsetof(struct bench_ctl, host_es) == BC_HOST_ES, "BC_HOST_ES");
_Static_assert(sizeof(struct bench_ctl) <= BT_PAGE_SIZE, "control block fits a page");

#define SEL_CS32 0x23   /* Linux __USER32_CS */
#define SEL_CS64 0x33   /* __USER_CS */
#define SEL_DS   0x2b   /* __USER_DS */

#define OFF_CTL   0u
#define OFF_STUB  BT_PAGE_SIZE
#define OFF_CODE  (2u * BT_PAGE_SIZE)
#define OFF_DATA  (OFF_CODE + BENCH_PROG_MAX)
#define OFF_STACK (OFF_DATA + BENCH_DATA_SIZE)
#define STACK_SIZE (64u * 1024)
#define LOW_SIZE  (OFF_STACK + STACK_SIZE)
#define ALTSTACK_SIZE (256u * 1024)

struct bench_trap {
	uint8_t *low;
	struct bench_ctl *ctl;
	uint32_t landing64;
	void *altstack;
	bool cpuid_faulting;
	struct board board;       /* the emulated PC: the same devices btmon has */
	struct bench_vcpu vcpu;
	struct native_fault fault;
};

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

/* What install replaced; valid during a run. */
static struct {
	struct sigaction act[BT_ARRAY_SIZE(fault_signals)];
	stack_t altstack;
	sigset_t mask;
} saved;

/* The monitor whose program this thread runs, if any. */
static __thread struct bench_trap *active __attribute__((tls_model("initial-exec")));

static const int greg_of[8] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
};

static uint32_t a32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

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

/* ---- the fault handler ---- */

static void chain(int sig, siginfo_t *si, void *uc)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(fault_signals); i++) {
		if (fault_signals[i] != sig)
			continue;
		struct sigaction *old = &saved.act[i];
		if (old->sa_flags & SA_SIGINFO) {
			old->sa_sigaction(sig, si, uc);
		} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
			old->sa_handler(sig);
		} else {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return;
	}
}

/* End the run at the faulting instruction: record it and make sigreturn land
 * in bench_trap_ret64, in 64-bit mode, on the host stack. */
static void end_run(struct bench_trap *t, int sig, const siginfo_t *si, greg_t *g)
{
	struct native_fault *f = &t->fault;
	uint64_t trapno = (uint64_t)g[REG_TRAPNO];

	f->signo = sig;
	f->si_code = si->si_code;
	f->vector = trapno < 32 ? (uint32_t)trapno : (sig == SIGILL ? X86_EXC_UD : X86_EXC_GP);
	f->error_code = X86_EXC_HAS_ERRCODE(f->vector) ? (uint32_t)g[REG_ERR] : 0;
	f->eip = (uint32_t)g[REG_RIP];
	f->addr = f->vector == X86_EXC_PF ? a32(si->si_addr) : 0;
	for (unsigned r = 0; r < 8; r++)
		t->ctl->gpr_out[r] = (uint32_t)g[greg_of[r]];
	t->ctl->eflags_out = (uint32_t)g[REG_EFL];
	g[REG_CSGSFS] = (greg_t)((uint64_t)SEL_CS64 | (uint64_t)SEL_DS << 48);
	g[REG_RIP] = (greg_t)(uintptr_t)bench_trap_ret64;
	g[REG_RSP] = (greg_t)t->ctl->host_rsp;
	g[REG_EFL] = 2;
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct bench_trap *t = active;

	if (t == NULL || (uint16_t)g[REG_CSGSFS] != SEL_CS32) {
		chain(sig, si, ucv);
		return;
	}
	/* The trap: a privileged instruction at CPL 3 is #GP(0). */
	if (sig == SIGSEGV && si->si_code == SI_KERNEL && g[REG_TRAPNO] == X86_EXC_GP &&
	    bench_vcpu_emulate(&t->vcpu, g))
		return;                 /* resume the guest after the instruction */
	end_run(t, sig, si, g);
}

static bt_status install(struct bench_trap *t)
{
	sigset_t block;
	sigfillset(&block);
	for (size_t i = 0; i < BT_ARRAY_SIZE(fault_signals); i++)
		sigdelset(&block, fault_signals[i]);
	if (pthread_sigmask(SIG_SETMASK, &block, &saved.mask) != 0)
		return BT_ERR_HOST;
	stack_t ss = { .ss_sp = t->altstack, .ss_size = ALTSTACK_SIZE };
	if (sigaltstack(&ss, &saved.altstack) != 0)
		goto fail_mask;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	size_t n;
	for (n = 0; n < BT_ARRAY_SIZE(fault_signals); n++)
		if (sigaction(fault_signals[n], &sa, &saved.act[n]) != 0)
			goto fail_act;
	active = t;
	return BT_OK;

fail_act:
	while (n-- > 0)
		sigaction(fault_signals[n], &saved.act[n], NULL);
	sigaltstack(&saved.altstack, NULL);
fail_mask:
	pthread_sigmask(SIG_SETMASK, &saved.mask, NULL);
	return BT_ERR_HOST;
}

static void restore(void)
{
	active = NULL;
	for (size_t i = 0; i < BT_ARRAY_SIZE(fault_signals); i++)
		sigaction(fault_signals[i], &saved.act[i], NULL);
	sigaltstack(&saved.altstack, NULL);
	pthread_sigmask(SIG_SETMASK, &saved.mask, NULL);
}

/* CPUID faulting for this thread (Linux arch_prctl; Intel's CPUID-faulting
 * feature, made for VMMs). */
static bool set_cpuid_enabled(bool enabled)
{
	return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled ? 1L : 0L) == 0;
}

/* ---- lifecycle ---- */

/* 64-bit: mov rsp, [rip+host_rsp] ; jmp [rip+ret64] */
static void emit_landing(struct bench_trap *t)
{
	uint8_t *p = t->low + OFF_STUB;
	int32_t rel;

	t->landing64 = a32(p);
	memcpy(p, "\x48\x8b\x25", 3);
	rel = (int32_t)(a32(&t->ctl->host_rsp) - (a32(p) + 7));
	memcpy(p + 3, &rel, 4);
	memcpy(p + 7, "\xff\x25", 2);
	rel = (int32_t)(a32(&t->ctl->ret64) - (a32(p) + 13));
	memcpy(p + 9, &rel, 4);
}

static bt_status map_low(struct bench_trap *t)
{
	void *p = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED)
		return BT_ERR_HOST;
	t->low = p;
	t->ctl = (struct bench_ctl *)(t->low + OFF_CTL);
	t->ctl->ret64 = (uint64_t)(uintptr_t)bench_trap_ret64;
	emit_landing(t);
	if (mprotect(t->low + OFF_STUB, BT_PAGE_SIZE, PROT_READ | PROT_EXEC) != 0 ||
	    mprotect(t->low + OFF_CODE, BENCH_PROG_MAX, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
		return BT_ERR_HOST;
	return BT_OK;
}

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
	if ((s = map_low(t)) != BT_OK)
		goto fail_board;
	t->altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->altstack == MAP_FAILED) {
		s = BT_ERR_HOST;
		goto fail_low;
	}
	bench_vcpu_init(&t->vcpu, t->board.bus);
	*out = t;
	return BT_OK;

fail_low:
	munmap(t->low, LOW_SIZE);
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
	munmap(t->altstack, ALTSTACK_SIZE);
	if (t->low)
		munmap(t->low, LOW_SIZE);
	board_fini(&t->board);
	free(t);
}

void bench_trap_prog(const struct bench_trap *t, struct bench_prog *p)
{
	p->kind = BENCH_PROG_TRAP;
	p->base = a32(t->low + OFF_CODE);
	p->ctl = a32(t->ctl);
	p->landing64 = t->landing64;
}

struct bench_ctl *bench_trap_ctl(struct bench_trap *t) { return t->ctl; }
struct bench_vcpu *bench_trap_vcpu(struct bench_trap *t) { return &t->vcpu; }
uint32_t bench_trap_data_addr(const struct bench_trap *t) { return a32(t->low + OFF_DATA); }
uint8_t *bench_trap_data(struct bench_trap *t) { return t->low + OFF_DATA; }
uint32_t bench_trap_stack_top(const struct bench_trap *t) { return a32(t->low + LOW_SIZE); }

bool bench_trap_cpuid_faulting(struct bench_trap *t, bool on)
{
	/* Probe once: turning it on and off again must both work. */
	t->cpuid_faulting = on && set_cpuid_enabled(false) && set_cpuid_enabled(true);
	return t->cpuid_faulting;
}

bt_status bench_trap_run(struct bench_trap *t, const void *prog, uint32_t len,
			 const struct native_state *in, struct native_state *out,
			 struct native_fault *fault)
{
	struct bench_ctl *c = t->ctl;

	if (len > BENCH_PROG_MAX)
		return BT_ERR_INVAL;
	memcpy(t->low + OFF_CODE, prog, len);
	memcpy(c->gpr_in, in->gpr, sizeof(c->gpr_in));
	c->entry_frame[0] = a32(t->low + OFF_CODE);
	c->entry_frame[1] = SEL_CS32;
	c->entry_frame[2] = (in->eflags & NATIVE_EFLAGS_MASK) | X86_FL_FIXED1 | X86_FL_IF;
	memset(&t->fault, 0, sizeof(t->fault));

	bt_status s = install(t);
	if (s != BT_OK)
		return s;
	if (t->cpuid_faulting)
		set_cpuid_enabled(false);
	bench_trap_enter(c, (uint64_t)(uintptr_t)&c->entry_frame[0]);
	if (t->cpuid_faulting)
		set_cpuid_enabled(true);
	restore();

	memcpy(out->gpr, c->gpr_out, sizeof(out->gpr));
	out->eflags = c->eflags_out & NATIVE_EFLAGS_MASK;
	if (fault != NULL)
		*fault = t->fault;
	return BT_OK;
}
