/*
 * irq.c — getting interrupts into the guest at block boundaries.
 *
 * Translated code reads poll page 0 (IF=0) or 1 (IF=1) at every block entry
 * (and after STI/POPF). The monitor revokes access to:
 *   page 1 while the PIC asserts INTR — the guest stops at the next block
 *          boundary where IF=1, or right after the STI/POPF that sets IF;
 *   page 1 also while a "kick" is pending — a device deadline passed (the PIT
 *          or RTC timer fired) or console input arrived: the devices must run;
 *   both   when the monitor must stop the guest (a SIGUSR1 status request).
 * The timer is a POSIX timer aimed at the vCPU thread; its signal handler
 * only sets the kick and revokes the pages (mprotect is async-signal-safe),
 * so it is harmless when it lands in monitor code.
 *
 * Ordering (no lost kicks): the handler sets `kick` before revoking; the
 * monitor clears `kick`, services devices, restores the pages, then looks at
 * `kick` again before entering the guest.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static struct vcpu *g_vcpu;
static pthread_t g_vcpu_thread;
static atomic_int g_kick;
static timer_t g_timer;
static bool g_timer_ok;
static uint64_t g_armed = UINT64_MAX;   /* deadline the timer is set for */
static atomic_uint g_timer_gen;         /* bumped by every timer signal */
static int g_prot[2] = { -1, -1 };      /* current protection of the poll pages */
/* The PIC's INTR as irq_update_poll last saw it. INVARIANT: device state
 * changes only in irq_service/irq_halt (clocks, console input, interrupt
 * acknowledge) and by port I/O, which irq_after_emulate follows with
 * irq_service; all of them end in irq_update_poll, which refreshes it. */
static bool g_intr;

static atomic_int g_status_wanted;

/*
 * From a signal handler: devices need servicing. The guest exits at its next
 * block boundary where IF=1 (poll page 1); while IF=0 it could not take an
 * interrupt anyway, so it runs on and the devices catch up at its next exit
 * (port I/O, STI/POPF setting IF, HLT) — no exits, and no timing jitter, in
 * IF=0 stretches such as Linux's TSC calibration. `urgent` stops it either way.
 */
static void kick_from_signal(bool urgent)
{
	atomic_store(&g_kick, 1);
	atomic_fetch_add(&g_timer_gen, 1);
	if (!g_vcpu)
		return;
	mprotect(g_vcpu->poll[1], 4096, PROT_NONE);
	g_prot[1] = PROT_NONE;
	if (urgent) {
		mprotect(g_vcpu->poll[0], 4096, PROT_NONE);
		g_prot[0] = PROT_NONE;
	}
}

/* SIGUSR1: print where the guest is (at the next block boundary). */
static void on_status(int sig)
{
	(void)sig;
	atomic_store(&g_status_wanted, 1);
	kick_from_signal(true);
}

static void on_timer(int sig)
{
	(void)sig;
	g_armed = UINT64_MAX;               /* it fired */
	kick_from_signal(false);
}

/* While run_devices runs: the one clock reading every device is advanced to
 * (a vDSO clock_gettime is ~40 ticks, and each device read it). 0: none. */
static uint64_t g_devices_now;

static uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t irq_now_ns(void)
{
	return g_devices_now ? g_devices_now : clock_ns();
}

void irq_kick(void)
{
	pthread_kill(g_vcpu_thread, SIGRTMIN);
}

bt_status irq_init(struct machine *m)
{
	g_vcpu = m->vcpu;
	g_vcpu_thread = pthread_self();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) != 0)
		return BT_ERR_HOST;
	sa.sa_handler = on_status;
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
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
	signal(SIGUSR1, SIG_DFL);
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
	unsigned gen;
	g_intr = intr;
	do {   /* a timer signal in between changes the pages behind g_prot's back: redo */
		gen = atomic_load(&g_timer_gen);
		bool kick = atomic_load(&g_kick), urgent = atomic_load(&g_status_wanted);
		set_poll(v, 0, urgent ? PROT_NONE : PROT_READ);
		/* in an interrupt shadow the next instruction runs first */
		set_poll(v, 1, ((intr || kick) && !v->interrupt_shadow) || urgent ? PROT_NONE : PROT_READ);
	} while (gen != atomic_load(&g_timer_gen));
}

/* Run the devices' clocks; returns the next deadline. */
static uint64_t run_devices(struct machine *m)
{
	g_devices_now = clock_ns();
	uint64_t next = board_update(&m->board);
	g_devices_now = 0;
	arm_timer(next);
	return next;
}

/* Deliver a pending external interrupt if the guest accepts one now. */
static bool take_interrupt(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	if (!v->vif || v->interrupt_shadow || !board_intr(&m->board))
		return false;
	uint8_t vec = board_acknowledge(&m->board);
	m->stats.interrupts++;
	trace_event(&m->trace, TRACE_EXIT, v->eip, "interrupt", "vector 0x%02x", vec);
	deliver_external(m, vec);
	v->halted = 0;
	return true;
}

static void print_status(struct machine *m)
{
	const struct vcpu *v = m->vcpu;
	const struct machine_stats *st = &m->stats;
	fprintf(stderr, "btmon: status: EIP=%08x CPL=%u IF=%u CR3=%08x exits: branch %llu indirect %llu "
		"emulate %llu poll %llu fault %llu; interrupts %llu, blocks %llu, PIC INTR %d\n",
		v->eip, v->cpl, v->vif ? 1 : 0, v->cr3,
		(unsigned long long)st->exits[VCPU_EXIT_BRANCH], (unsigned long long)st->exits[VCPU_EXIT_INDIRECT],
		(unsigned long long)st->exits[VCPU_EXIT_EMULATE], (unsigned long long)st->exits[VCPU_EXIT_POLL],
		(unsigned long long)st->exits[VCPU_EXIT_FAULT], (unsigned long long)st->interrupts,
		(unsigned long long)m->tc.stats.blocks, board_intr(&m->board));
}

void irq_service(struct machine *m)
{
	if (atomic_exchange(&g_status_wanted, 0))
		print_status(m);
	do {
		atomic_store(&g_kick, 0);
		console_drain(m);
		run_devices(m);
		take_interrupt(m);
		irq_update_poll(m);
	} while (atomic_load(&g_kick) && !m->stop);
}

void irq_after_emulate(struct machine *m, bool port_io)
{
	if (port_io || atomic_load(&g_kick) || atomic_load(&g_status_wanted)) {
		irq_service(m);   /* device state or deadlines may have changed */
		return;
	}
	/* No device ran and no port was touched since the last irq_update_poll:
	 * INTR is still g_intr and the poll pages still show it. Only a new
	 * IF=1 (IRET, POPF, STI...) lets an interrupt in now. */
	if (m->vcpu->vif && g_intr && take_interrupt(m))
		irq_update_poll(m);
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
		console_drain(m);
		uint64_t next = run_devices(m);
		if (take_interrupt(m) || m->stop)
			break;
		/* Sleep until the next device deadline or console input (the eventfd
		 * makes input that arrives just before the sleep wake it at once). */
		if (next == UINT64_MAX && !console_can_wake() && !console_pending()) {
			machine_stop(m, 1, true, "guest halted waiting for an interrupt, but nothing "
				     "can raise one (no timer programmed, no console input)");
			break;
		}
		int timeout = -1;
		if (next != UINT64_MAX) {
			uint64_t now = irq_now_ns();
			timeout = next <= now ? 0 : (int)((next - now + 999999) / 1000000);
		}
		struct pollfd pfd = { .fd = console_wake_fd(), .events = POLLIN };
		m->stats.halt_sleeps++;
		fflush(stdout);   /* the guest went idle: show what it printed (a prompt has no newline) */
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, timeout);
	}
	irq_update_poll(m);
}
