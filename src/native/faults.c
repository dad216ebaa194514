/*
 * faults.c — catch the faults of a native block and bring the thread back to
 * 64-bit mode, for the duration of one native_run/native_time only.
 *
 * Install: all signals but the five fault signals are blocked (no foreign
 * handler can push a signal frame onto the block's stack), the context's
 * alternate stack replaces the thread's, and the five get our handler with
 * SA_ONSTACK; CPUID faulting is switched on last if the context asks for it.
 * Restore undoes it all: CPUID first, then the previous handlers, stack and
 * mask.
 *
 * The handler: if this thread is running a block (CS == 0x23), describe the
 * fault (vector and error code are the CPU's own, from the signal frame's
 * trapno/err; #PF's address from si_addr) and offer it to the context's
 * fault hook, if any. When the hook resumes the block, its registers go
 * back into the signal context and sigreturn continues the 32-bit code.
 * Otherwise the run ends: record the fault, store the GPRs and EFLAGS at
 * the fault into the control block as the exit stub would have, and edit
 * the context so that sigreturn lands in native_ret64 in 64-bit mode on the
 * runner's stack (the 64-bit rt_sigreturn loads CS and SS from the frame).
 * The kernel restores the block's x87/SSE state from the frame, and
 * native_ret64 saves it from there as on a normal exit. Any other fault
 * (another thread's, or a bug outside the block) goes to the handler that
 * was there before.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/syscall.h>

#include "native_int.h"

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

/* What native_faults_install replaced; valid while the run lock is held. */
static struct {
	struct sigaction act[BT_ARRAY_SIZE(fault_signals)];
	stack_t altstack;
	sigset_t mask;
} saved;

/* The context whose block this thread is running, if any. */
static __thread struct native_ctx *active __attribute__((tls_model("initial-exec")));

/* Order of the GPRs in gregs (glibc's REG_*), by enum native_gpr. */
static const int greg_of[8] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
};

/* The vector when the frame's trapno is not usable. */
static uint32_t vector_from_signal(int sig, int code)
{
	switch (sig) {
	case SIGFPE:  return X86_EXC_DE;
	case SIGILL:  return X86_EXC_UD;
	case SIGBUS:  return X86_EXC_AC;
	case SIGTRAP: return code == SI_KERNEL ? X86_EXC_BP : X86_EXC_DB; /* INT3: SI_KERNEL */
	default:      return code == SI_KERNEL ? X86_EXC_GP : X86_EXC_PF;
	}
}

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
			/* Default action: a synchronous fault repeats on return
			 * and kills; raise() covers a sent signal. */
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return;
	}
}

/* The fault at the signal context g, and the block's registers there. */
static void describe(struct native_trap *t, int sig, const siginfo_t *si, const greg_t *g)
{
	struct native_fault *f = &t->fault;
	uint64_t trapno = (uint64_t)g[REG_TRAPNO];

	f->signo = sig;
	f->si_code = si->si_code;
	f->vector = trapno < 32 ? (uint32_t)trapno : vector_from_signal(sig, si->si_code);
	f->error_code = X86_EXC_HAS_ERRCODE(f->vector) ? (uint32_t)g[REG_ERR] : 0;
	f->eip = (uint32_t)g[REG_RIP];
	f->addr = f->vector == X86_EXC_PF ? (uint32_t)(uintptr_t)si->si_addr : 0;
	for (unsigned r = 0; r < 8; r++)
		t->gpr[r] = (uint32_t)g[greg_of[r]];
	t->eflags = (uint32_t)g[REG_EFL];
	t->eip = f->eip;
}

/* Continue the block with the registers the hook left in *t. */
static void resume(greg_t *g, const struct native_trap *t)
{
	for (unsigned r = 0; r < 8; r++)
		g[greg_of[r]] = (greg_t)(uint64_t)t->gpr[r];
	g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)NATIVE_EFLAGS_MASK) |
			      (t->eflags & NATIVE_EFLAGS_MASK));
	g[REG_RIP] = (greg_t)(uint64_t)t->eip;
}

/* End the run at the fault: record it and make sigreturn land in
 * native_ret64, in 64-bit mode, on the runner's stack. */
static void end_run(struct native_ctx *c, greg_t *g, const struct native_trap *t)
{
	struct native_low *l = c->low;

	c->fault = t->fault;
	memcpy(l->gpr_out, t->gpr, sizeof(l->gpr_out));
	l->eflags_out = t->eflags;

	/* Back to 64-bit mode: CS in bits 0-15 of CSGSFS, SS in bits 48-63. */
	g[REG_CSGSFS] = (greg_t)((uint64_t)NATIVE_SEL_CS64 | (uint64_t)NATIVE_SEL_DS << 48);
	g[REG_RIP] = (greg_t)(uintptr_t)native_ret64;
	g[REG_RSP] = (greg_t)l->host_rsp;
	g[REG_EFL] = 2;
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct native_ctx *c = active;
	uint16_t cs = (uint16_t)g[REG_CSGSFS];
	struct native_trap t;

	if (c == NULL || cs != NATIVE_SEL_CS32) {
		chain(sig, si, ucv);
		return;
	}
	describe(&t, sig, si, g);
	if (c->hook != NULL) {
		struct native_trap offered = t;
		if (c->hook(c->hook_opaque, &offered)) {
			resume(g, &offered);
			return;
		}
	}
	end_run(c, g, &t);
}

/* CPUID faulting for this thread (Linux arch_prctl ARCH_SET_CPUID):
 * enabled false makes CPUID raise #GP. */
static bool set_cpuid_enabled(bool enabled)
{
	return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled ? 1L : 0L) == 0;
}

void native_set_fault_hook(struct native_ctx *c, native_fault_hook *hook, void *opaque)
{
	c->hook = hook;
	c->hook_opaque = opaque;
}

bool native_set_cpuid_faulting(struct native_ctx *c, bool on)
{
	/* Probe: turning it on and off again must both work. */
	c->cpuid_faulting = on && set_cpuid_enabled(false) && set_cpuid_enabled(true);
	return c->cpuid_faulting;
}

bt_status native_faults_install(struct native_ctx *c)
{
	sigset_t block;
	sigfillset(&block);
	for (size_t i = 0; i < BT_ARRAY_SIZE(fault_signals); i++)
		sigdelset(&block, fault_signals[i]);
	if (pthread_sigmask(SIG_SETMASK, &block, &saved.mask) != 0)
		return BT_ERR_HOST;

	stack_t ss = { .ss_sp = c->altstack, .ss_size = NATIVE_ALTSTACK_SIZE };
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
	active = c;
	if (c->cpuid_faulting)
		set_cpuid_enabled(false);     /* last: no CPUID runs from here to the block */
	return BT_OK;

fail_act:
	while (n-- > 0)
		sigaction(fault_signals[n], &saved.act[n], NULL);
	sigaltstack(&saved.altstack, NULL);
fail_mask:
	pthread_sigmask(SIG_SETMASK, &saved.mask, NULL);
	return BT_ERR_HOST;
}

/* Undo a successful native_faults_install, on the same thread. */
void native_faults_restore(void)
{
	if (active->cpuid_faulting)
		set_cpuid_enabled(true);
	active = NULL;
	for (size_t i = 0; i < BT_ARRAY_SIZE(fault_signals); i++)
		sigaction(fault_signals[i], &saved.act[i], NULL);
	/* The saved stack_t carries SS_DISABLE when there was none. */
	sigaltstack(&saved.altstack, NULL);
	pthread_sigmask(SIG_SETMASK, &saved.mask, NULL);
}
