/*
 * irq.c — getting interrupts into the guest at block boundaries.
 *
 * Translated code reads poll page 0 (IF=0) or 1 (IF=1) at every block entry
 * (and after STI/POPF). The monitor revokes access to:
 *   page 1 while the PIC asserts INTR — the guest stops at the next block
 *          boundary where IF=1, or right after the STI/POPF that sets IF;
 *   both   while a "kick" is pending — a device deadline passed (the PIT or
 *          RTC timer fired) and the monitor must run the devices.
 * The timer is a POSIX timer aimed at the vCPU thread; its signal handler
 * only sets the kick and revokes the pages (mprotect is async-signal-safe),
 * so it is harmless when it lands in monitor code.
 *
 * Ordering (no lost kicks): the handler sets `kick` before revoking; the
 * monitor clears `kick`, services devices, restores the pages, then looks at
 * `kick` again before entering the guest.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static struct vcpu *g_vcpu;
static atomic_int g_kick;
static timer_t g_timer;
static bool g_timer_ok;
static uint64_t g_armed = UINT64_MAX;   /* deadline the timer is set for */
static int g_prot[2] = { -1, -1 };      /* current protection of the poll pages */

static void on_timer(int sig)
{
	(void)sig;
	atomic_store(&g_kick, 1);
	g_armed = UINT64_MAX;               /* it fired */
	if (g_vcpu) {
		mprotect(g_vcpu->poll, sizeof(g_vcpu->poll), PROT_NONE);
		g_prot[0] = g_prot[1] = PROT_NONE;
	}
}

uint64_t irq_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bt_status irq_init(struct machine *m)
{
	g_vcpu = m->vcpu;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) != 0)
		return BT_ERR_HOST;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &g_timer) != 0)
		return BT_ERR_HOST;
	g_timer_ok = true;
	return BT_OK;
}

void irq_fini(void)
{
	if (g_timer_ok)
		timer_delete(g_timer);
	g_timer_ok = false;
	signal(SIGRTMIN, SIG_DFL);
	g_vcpu = NULL;
}

/* Arm the timer for the earliest device deadline (absolute, CLOCK_MONOTONIC). */
static void arm_timer(uint64_t deadline)
{
	if (!g_timer_ok || deadline == g_armed)
		return;
	g_armed = deadline;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (deadline != UINT64_MAX) {
		if (deadline == 0)
			deadline = 1;
		its.it_value.tv_sec = (time_t)(deadline / 1000000000u);
		its.it_value.tv_nsec = (long)(deadline % 1000000000u);
	}
	timer_settime(g_timer, TIMER_ABSTIME, &its, NULL);
}

/* Set the poll pages' protection from the kick and the PIC's INTR. */
static void set_poll(struct vcpu *v, int page, int prot)
{
	if (g_prot[page] != prot) {
		mprotect(v->poll[page], 4096, prot);
		g_prot[page] = prot;
	}
}

void irq_update_poll(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	bool intr = board_intr(&m->board);
	bool kick = atomic_load(&g_kick);
	set_poll(v, 0, kick ? PROT_NONE : PROT_READ);
	set_poll(v, 1, (intr || kick) ? PROT_NONE : PROT_READ);
}

/* Run the devices' clocks; returns the next deadline. */
static uint64_t run_devices(struct machine *m)
{
	uint64_t next = board_update(&m->board);
	arm_timer(next);
	return next;
}

/* Deliver a pending external interrupt if the guest accepts one now. */
static bool take_interrupt(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	if (!v->vif || !board_intr(&m->board))
		return false;
	uint8_t vec = board_acknowledge(&m->board);
	m->stats.interrupts++;
	trace_event(&m->trace, TRACE_EXIT, v->eip, "interrupt", "vector 0x%02x", vec);
	deliver_external(m, vec);
	v->halted = 0;
	return true;
}

void irq_service(struct machine *m)
{
	do {
		atomic_store(&g_kick, 0);
		run_devices(m);
		take_interrupt(m);
		irq_update_poll(m);
	} while (atomic_load(&g_kick) && !m->stop);
}

void irq_halt(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	if (!v->vif) {
		machine_stop(m, 1, true, "guest executed HLT with interrupts disabled: nothing can wake it");
		return;
	}
	v->halted = 1;
	while (!m->stop) {
		atomic_store(&g_kick, 0);
		uint64_t next = run_devices(m);
		if (take_interrupt(m))
			break;
		if (next == UINT64_MAX && !board_intr(&m->board)) {
			machine_stop(m, 1, true, "guest halted waiting for an interrupt, but no device "
				     "will raise one (no timer programmed)");
			return;
		}
		/* Sleep until the deadline; the timer signal (same deadline) may cut it short. */
		struct timespec ts = { (time_t)(next / 1000000000u), (long)(next % 1000000000u) };
		m->stats.halt_sleeps++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	irq_update_poll(m);
}
