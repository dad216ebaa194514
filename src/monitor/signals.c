/*
 * signals.c — host signals raised by translated code, turned into monitor
 * work. Every handler runs on a 256 KiB alternate stack (SA_ONSTACK): host
 * RSP is the guest's ESP while guest code runs.
 *
 * The handler does the minimum: a first touch of guest RAM is mapped and
 * retried right here (the common case, ~3 µs); everything else is recorded
 * in vcpu->fault together with the guest registers from the signal context,
 * and the context is redirected to vcpu_fault_exit, which returns from
 * vcpu_enter into the run loop (fault.c decides what the fault means).
 * A fault outside translated code is a btmon bug: report it and die.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "monitor.h"

#define ALTSTACK_SIZE (256u << 10)

static struct machine *g_machine;
static void *g_altstack;
static const int g_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

static bool in_translated_code(const struct machine *m, uint64_t rip)
{
	uint64_t lo = (uint64_t)(uintptr_t)m->tc.arena_rx;
	return rip >= lo && rip < lo + m->tc.arena_size;
}

static void die_in_monitor(int sig, siginfo_t *si, ucontext_t *uc)
{
	char buf[200];
	int n = snprintf(buf, sizeof(buf),
			 "btmon: internal error: signal %d at host rip %#llx (address %p) outside translated code\n",
			 sig, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], si->si_addr);
	if (n > 0 && write(2, buf, (size_t)n) < 0)
		_exit(70);
	signal(sig, SIG_DFL);   /* returning re-raises it: a core dump for gdb */
}

static void save_guest_regs(struct vcpu *v, const greg_t *g);

static bool in_range(uint64_t rip, void (*lo)(void), void (*hi)(void))
{
	return rip >= (uint64_t)(uintptr_t)lo && rip < (uint64_t)(uintptr_t)hi;
}

/*
 * SIGTRAP while single-stepping one guest instruction (fault.c starts it):
 * keep stepping through the entry trampoline and the instruction's own host
 * code; once execution leaves it, stop at that guest instruction boundary.
 * Returns true if the signal was a step.
 */
static bool on_step(struct machine *m, greg_t *g)
{
	struct vcpu *v = m->vcpu;
	uint64_t rip = (uint64_t)g[REG_RIP];
	if (!v->single_step)
		return false;
	if (in_range(rip, (void (*)(void))vcpu_enter, vcpu_enter_end) ||
	    (rip >= v->step_lo && rip < v->step_hi))
		return true;                      /* keep stepping */
	v->single_step = 0;
	g[REG_EFL] &= ~(greg_t)X86_FL_TF;
	if (in_range(rip, vcpu_exit_common, vcpu_exit_end))
		return true;                      /* it left through an exit stub: normal exit */
	memset(&v->fault, 0, sizeof(v->fault));
	v->fault.signo = SIGTRAP;
	v->fault.host_rip = rip;
	save_guest_regs(v, g);
	v->exit_reason = VCPU_EXIT_FAULT;
	g[REG_RIP] = (greg_t)(uintptr_t)vcpu_fault_exit;
	return true;
}

static void save_guest_regs(struct vcpu *v, const greg_t *g)
{
	static const int order[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
				      REG_RSP, REG_RBP, REG_RSI, REG_RDI };
	for (int i = 0; i < 8; i++)
		v->gpr[i] = (uint32_t)g[order[i]];
	v->rflags = (uint64_t)g[REG_EFL] & ~(uint64_t)X86_FL_TF;
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	struct machine *m = g_machine;
	if (m && sig == SIGTRAP && on_step(m, g))
		return;
	if (!m || !in_translated_code(m, (uint64_t)g[REG_RIP])) {
		die_in_monitor(sig, si, uc);
		return;
	}
	struct vcpu *v = m->vcpu;
	struct vcpu_fault *f = &v->fault;
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
	uint64_t win = (uint64_t)(uintptr_t)m->mmu.window;
	memset(f, 0, sizeof(*f));
	f->write = (g[REG_ERR] & 2) ? 1 : 0;
	if (sig == SIGSEGV && addr >= win && addr < win + MMU_WINDOW_SIZE + MMU_GUARD_SIZE &&
	    si->si_code != SI_KERNEL) {
		f->in_window = 1;
		f->kind = mmu_fault_classify(&m->mmu, addr - win, f->write);
		if (f->kind == MMU_FAULT_FILLED)
			return;            /* mapped: retry the access */
		f->guest_addr = (uint32_t)(addr - win);
	} else if (sig == SIGSEGV && addr + MMU_GUARD_SIZE >= win && addr < win) {
		f->in_window = 1;          /* below the window: a string op ran under 0 */
		f->kind = MMU_FAULT_WRAP;
	}
	if (v->single_step) {      /* a fault (other than a fill) ends the step */
		v->single_step = 0;
		g[REG_EFL] &= ~(greg_t)X86_FL_TF;
	}
	f->signo = sig;
	f->si_code = si->si_code;
	f->trapno = (uint32_t)g[REG_TRAPNO];
	f->host_rip = (uint64_t)g[REG_RIP];
	f->host_addr = addr;
	f->host_rsi = (uint64_t)g[REG_RSI];
	f->host_rdi = (uint64_t)g[REG_RDI];
	save_guest_regs(v, g);
	uint64_t poll = (uint64_t)(uintptr_t)v->poll;
	v->exit_reason = (sig == SIGSEGV && addr >= poll && addr < poll + sizeof(v->poll))
		? VCPU_EXIT_POLL : VCPU_EXIT_FAULT;
	g[REG_RIP] = (greg_t)(uintptr_t)vcpu_fault_exit;
}

bt_status signals_init(struct machine *m)
{
	g_altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_altstack == MAP_FAILED)
		return BT_ERR_HOST;
	stack_t ss = { .ss_sp = g_altstack, .ss_size = ALTSTACK_SIZE };
	if (sigaltstack(&ss, NULL) != 0)
		return BT_ERR_HOST;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < BT_ARRAY_SIZE(g_signals); i++)
		if (sigaction(g_signals[i], &sa, NULL) != 0)
			return BT_ERR_HOST;
	g_machine = m;
	return BT_OK;
}

void signals_fini(void)
{
	for (size_t i = 0; i < BT_ARRAY_SIZE(g_signals); i++)
		signal(g_signals[i], SIG_DFL);
	g_machine = NULL;
	if (g_altstack && g_altstack != MAP_FAILED) {
		stack_t ss = { .ss_flags = SS_DISABLE };
		sigaltstack(&ss, NULL);
		munmap(g_altstack, ALTSTACK_SIZE);
	}
	g_altstack = NULL;
}
