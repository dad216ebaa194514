/*
 * machine.c — building and tearing down one guest machine: RAM and window
 * (mmu), translation cache, VirtualCPU, board devices, trace; and the
 * callbacks that connect them (cache drops → IBT, code writes → cache).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "monitor.h"
#include "ibt_spaces.h"

#define ARENA_BYTES (64u << 20)

static void serial_put(void *ctx, uint8_t byte)
{
	(void)ctx;
	fputc(byte, stdout);
	if (byte == '\n')
		fflush(stdout);
}

static void debugcon_put(void *ctx, uint8_t byte)
{
	(void)ctx;
	fputc(byte, stderr);
}

static void request_exit(void *ctx, int status)
{
	struct machine *m = ctx;
	if (status == 0)
		machine_stop(m, 0, false, "guest powered off (ACPI PM1a control, SLP_EN)");
	else
		machine_stop(m, status, false, "guest wrote %d to the debug-exit port: exit status %d",
			     status >> 1, status);
}

static uint64_t host_clock(void *ctx)
{
	(void)ctx;
	return irq_now_ns();
}

static int64_t host_wall(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static void request_reset(void *ctx)
{
	struct machine *m = ctx;
	m->reset_requested = true;
}

/* The cache dropped a block: forget it in the indirect-branch table. */
static void on_block_drop(void *ctx, struct tc_block *b)
{
	struct machine *m = ctx;
	vcpu_ibt_remove(m->vcpu, b->eip, b->host);
	ibt_spaces_remove(m->vcpu, b->host);
	for (unsigned i = 0; i < b->npages; i++)
		if (m->tc.page_heads[b->pages[i] >> 12] == NULL)
			mmu_unprotect_code(&m->mmu, b->pages[i]);
}

static void on_cache_flush(void *ctx)
{
	struct machine *m = ctx;
	vcpu_ibt_flush(m->vcpu);
	ibt_spaces_forget(m->vcpu);
	for (uint32_t pa = 0; pa < m->mmu.ram_size; pa += BT_PAGE_SIZE)
		if (mmu_is_code_page(&m->mmu, pa))
			mmu_unprotect_code(&m->mmu, pa);
	trace_event(&m->trace, TRACE_CACHE, m->vcpu->eip, "flush", "translation cache full: flushed");
}

void machine_code_written(void *ctx, gpa_t page)
{
	struct machine *m = ctx;
	unsigned n = tc_invalidate_page(&m->tc, page);
	mmu_unprotect_code(&m->mmu, page);
	trace_event(&m->trace, TRACE_CACHE, m->vcpu->eip, "invalidate",
		    "code page 0x%08x written: %u block(s) dropped", page, n);
}

static bool have_wrgsbase;

/* Point GS at the current view (a CPL switch or a paging change may move it). */
void machine_sync_gs(struct machine *m)
{
	uint64_t base = (uint64_t)(uintptr_t)m->mmu.window;
	if (m->vcpu->win_base == base)
		return;
	m->vcpu->win_base = base;
	m->vcpu->win_neg = (uint64_t)0 - base;
	if (have_wrgsbase)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else
		syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)base);
}

/* Paging state changed (CR0/CR3/CR4): flush the shadow and the IBT. */
void machine_paging_changed(struct machine *m)
{
	struct vcpu *v = m->vcpu;
	mmu_set_paging(&m->mmu, v->cr0, v->cr3, v->cr4);
	vcpu_ibt_flush(v);
	ibt_spaces_forget(v);
	machine_sync_gs(m);
}

/* CR3 write: switch to the address space's cached windows (src/mmu/space.c)
 * and its saved user IBT (ibt_spaces.c); the supervisor IBT forgets
 * non-global targets, as the TLB forgets non-global pages. */
void machine_cr3_changed(struct machine *m)
{
	unsigned from = m->mmu.cur;
	uint64_t from_epoch = m->mmu.spaces[from].epoch;
	mmu_set_cr3(&m->mmu, m->vcpu->cr3);
	ibt_spaces_leave(m->vcpu, from, from_epoch);
	vcpu_ibt_flush_nonglobal(m->vcpu);
	ibt_spaces_enter(m->vcpu, m->mmu.cur, m->mmu.spaces[m->mmu.cur].epoch);
	machine_sync_gs(m);
}

/* The CPL changed: switch views. */
void machine_cpl_changed(struct machine *m)
{
	mmu_set_cpl(&m->mmu, m->vcpu->cpl);   /* the IBTs are per CPL class: no flush */
	machine_sync_gs(m);
}

void machine_stop(struct machine *m, int status, bool dump, const char *fmt, ...)
{
	if (m->stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->stop_reason, sizeof(m->stop_reason), fmt, ap);
	va_end(ap);
	m->stop = true;
	m->exit_status = status;
	m->want_dump = dump;
}

static struct board_config board_cfg(struct machine *m)
{
	return (struct board_config){
		.serial_out = { serial_put, m },
		.debugcon_out = { debugcon_put, m },
		.clock = { host_clock, m },
		.wall_seconds = host_wall,
		.request_exit = request_exit,
		.request_reset = request_reset,
		/* INTR is re-read after every port access and timer event (irq.c). */
		.intr_changed = NULL,
		.ctx = m,
	};
}

int machine_reset(struct machine *m)
{
	struct board_config cfg = board_cfg(m);
	m->stats.resets++;
	m->reset_requested = false;
	tc_flush(&m->tc);
	/* RAM reads as zero again (a hole punched in the memfd frees it too). */
	fallocate(m->mmu.ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, m->mmu.ram_size);
	memset(m->mmu.code_bitmap, 0, m->mmu.ram_size / BT_PAGE_SIZE / 8 + 1);
	board_fini(&m->board);
	if (board_init(&m->board, &cfg) != BT_OK) {
		machine_stop(m, 1, false, "reset: cannot recreate the devices");
		return 1;
	}
	m->vcpu->cpl = 0;
	m->vcpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	m->vcpu->cr3 = m->vcpu->cr4 = 0;
	machine_paging_changed(m);
	machine_cpl_changed(m);
	return m->boot ? m->boot(m, m->boot_ctx) : 0;
}

bt_status machine_init(struct machine *m, const struct btmon_options *opt)
{
	bt_status s;
	memset(m, 0, sizeof(*m));
	m->opt = opt;
	m->chain = !(opt->trace & TRACE_EXEC);
	ZydisDecoderInit(&m->dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);

	m->xb = malloc(sizeof(*m->xb));
	m->vcpu = vcpu_new();
	if (!m->xb || !m->vcpu || ibt_spaces_new(m->vcpu, MMU_SPACES) != BT_OK) {
		s = BT_ERR_NOMEM;
		goto fail;
	}
	if ((s = mmu_init(&m->mmu, opt->mem_bytes)) != BT_OK)
		goto fail;
	m->vcpu->win_base = (uint64_t)(uintptr_t)m->mmu.window;
	m->vcpu->win_neg = (uint64_t)0 - m->vcpu->win_base;
	have_wrgsbase = getauxval(AT_HWCAP2) & 2;   /* HWCAP2_FSGSBASE */
	/* GS base = the window: translated code's gs:[addr32] lands in it. */
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)m->vcpu->win_base) != 0) {
		s = BT_ERR_HOST;
		goto fail_mmu;
	}
	if ((s = tc_init(&m->tc, ARENA_BYTES, m->mmu.ram_size)) != BT_OK)
		goto fail_mmu;
	m->tc.on_drop = on_block_drop;
	m->tc.on_flush = on_cache_flush;
	m->tc.ctx = m;
	struct board_config cfg = board_cfg(m);
	if ((s = board_init(&m->board, &cfg)) != BT_OK)
		goto fail_tc;
	if ((s = trace_open(&m->trace, opt->trace, opt->trace_format, opt->trace_file)) != BT_OK) {
		m->init_errno = errno;
		goto fail_board;
	}
	if ((s = signals_init(m)) != BT_OK)
		goto fail_trace;
	if ((s = irq_init(m)) != BT_OK)
		goto fail_signals;
	if ((s = console_init(m)) != BT_OK)
		goto fail_irq;
	return BT_OK;

fail_irq:
	irq_fini();
fail_signals:
	signals_fini();
fail_trace:
	trace_close(&m->trace);
fail_board:
	board_fini(&m->board);
fail_tc:
	tc_fini(&m->tc);
fail_mmu:
	mmu_fini(&m->mmu);
fail:
	if (m->vcpu)
		ibt_spaces_free(m->vcpu);
	vcpu_free(m->vcpu);
	free(m->xb);
	m->vcpu = NULL;
	m->xb = NULL;
	return s;
}

void machine_fini(struct machine *m)
{
	fflush(stdout);
	console_fini();
	irq_fini();
	signals_fini();
	trace_close(&m->trace);
	board_fini(&m->board);
	tc_fini(&m->tc);
	mmu_fini(&m->mmu);
	ibt_spaces_free(m->vcpu);
	vcpu_free(m->vcpu);
	free(m->xb);
}
