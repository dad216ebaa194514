/*
 * harness.c — one block of guest code run translated, state in and out: the
 * translated side of the differential tests (harness.h has the contract).
 *
 * Guest-physical layout (small; the areas' linear addresses come from the
 * caller and are reached through page tables):
 *
 *   0x00000  unused
 *   0x01000  page directory
 *   0x02000  page tables (one per 4 MiB of linear space the areas touch)
 *   FRAMES   code area frames | data area frames | stack area frames
 *
 * Every PTE is present, writable, user, accessed and dirty (no A/D upgrade
 * faults); linear pages outside the areas are not present, so they fault
 * with #PF like the native runner's guard pages.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "monitor.h"

#define PD_PA        0x1000u
#define PT_PA        0x2000u
#define PT_MAX       30u                        /* page tables the pool holds */
#define FRAMES_PA    (PT_PA + PT_MAX * BT_PAGE_SIZE)
#define DATA_MAX     (64u << 20)
#define SEL_CODE     0x08
#define SEL_DATA     0x10
#define HLT          0xf4

struct harness {
	struct machine m;
	struct btmon_options opt;
	struct harness_layout lay;
	gpa_t code_pa, data_pa, stack_pa;   /* first frame of each area */
	unsigned npt;                       /* page tables used */
	uint32_t mxcsr_mask;
};

static bool area_ok(uint32_t addr, uint32_t size)
{
	return size > 0 && (addr & (BT_PAGE_SIZE - 1)) == 0 && (size & (BT_PAGE_SIZE - 1)) == 0 &&
	       (uint64_t)addr + size <= (1ull << 32);
}

static bool areas_overlap(uint32_t a, uint32_t as, uint32_t b, uint32_t bs)
{
	return (uint64_t)a < (uint64_t)b + bs && (uint64_t)b < (uint64_t)a + as;
}

static bool layout_ok(const struct harness_layout *l)
{
	return area_ok(l->code_addr, l->code_size) && area_ok(l->data_addr, l->data_size) &&
	       area_ok(l->stack_addr, l->stack_size) && l->data_size <= DATA_MAX &&
	       l->code_size <= DATA_MAX && l->stack_size <= DATA_MAX &&
	       !areas_overlap(l->code_addr, l->code_size, l->data_addr, l->data_size) &&
	       !areas_overlap(l->code_addr, l->code_size, l->stack_addr, l->stack_size) &&
	       !areas_overlap(l->data_addr, l->data_size, l->stack_addr, l->stack_size);
}

/* Map linear page la to physical page pa: P, W, U, A, D (a table from the
 * pool when the directory entry is empty). False when the pool is empty. */
static bool map_page(struct harness *h, gla_t la, gpa_t pa)
{
	uint8_t *ram = h->m.mmu.ram;
	uint32_t pde, pte = pa | X86_PTE_P | X86_PTE_W | X86_PTE_U | X86_PTE_A | X86_PTE_D;
	gpa_t pde_a = PD_PA + X86_PDE_INDEX(la) * 4;
	memcpy(&pde, ram + pde_a, 4);
	if (!(pde & X86_PTE_P)) {
		if (h->npt == PT_MAX)
			return false;
		pde = (PT_PA + h->npt++ * BT_PAGE_SIZE) | X86_PTE_P | X86_PTE_W | X86_PTE_U | X86_PTE_A;
		memcpy(ram + pde_a, &pde, 4);
	}
	memcpy(ram + (pde & X86_PTE_FRAME) + X86_PTE_INDEX(la) * 4, &pte, 4);
	return true;
}

static bool map_area(struct harness *h, gla_t la, uint32_t size, gpa_t pa)
{
	for (uint32_t off = 0; off < size; off += BT_PAGE_SIZE)
		if (!map_page(h, la + off, pa + off))
			return false;
	return true;
}

/* The CPU's MXCSR_MASK: FXRSTOR (on entry to guest code) refuses other bits. */
static uint32_t host_mxcsr_mask(void)
{
	uint8_t fx[512] __attribute__((aligned(16)));
	uint32_t mask;
	memset(fx, 0, sizeof(fx));
	__asm__ volatile("fxsave %0" : "=m"(fx));
	memcpy(&mask, &fx[28], sizeof(mask));
	return mask != 0 ? mask : 0xffbf;
}

/* Flat protected mode at CPL 0, IF = 0, paging on with the harness's tables. */
static bool setup_guest(struct harness *h)
{
	const struct harness_layout *l = &h->lay;
	h->code_pa = FRAMES_PA;
	h->data_pa = h->code_pa + l->code_size;
	h->stack_pa = h->data_pa + l->data_size;
	if (!map_area(h, l->code_addr, l->code_size, h->code_pa) ||
	    !map_area(h, l->data_addr, l->data_size, h->data_pa) ||
	    !map_area(h, l->stack_addr, l->stack_size, h->stack_pa))
		return false;
	struct vcpu *v = h->m.vcpu;
	vcpu_reset_protected(v, SEL_CODE, SEL_DATA);
	/* The control bits Linux gives the native runner's user code: x87 errors
	 * as #MF (NE), WAIT honours TS (MP), SSE on with #XM (OSFXSR, OSXMMEXCPT). */
	v->cr0 |= X86_CR0_MP | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	v->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	v->cr3 = PD_PA;
	machine_paging_changed(&h->m);
	return true;
}

bt_status harness_new(struct harness **out, const struct harness_layout *l)
{
	if (!layout_ok(l))
		return BT_ERR_INVAL;
	struct harness *h = calloc(1, sizeof(*h));
	if (!h)
		return BT_ERR_NOMEM;
	h->lay = *l;
	h->opt.action = CLI_RUN;
	h->opt.no_reboot = true;
	h->opt.verify = true;
	h->opt.trace = 0;
	h->opt.mem_bytes = (uint64_t)FRAMES_PA + l->code_size + l->data_size + l->stack_size;
	bt_status s = machine_init(&h->m, &h->opt);
	if (s != BT_OK) {
		free(h);
		return s;
	}
	if (!setup_guest(h)) {
		harness_free(h);
		return BT_ERR_INVAL;   /* the areas are spread over too many 4 MiB regions */
	}
	h->m.capture_exceptions = true;
	h->mxcsr_mask = host_mxcsr_mask();
	*out = h;
	return BT_OK;
}

void harness_free(struct harness *h)
{
	if (!h)
		return;
	machine_fini(&h->m);
	free(h);
}

const char *harness_stop_reason(const struct harness *h)
{
	return h->m.stop_reason;
}

uint8_t *harness_mem(struct harness *h, uint32_t la, uint32_t len)
{
	const struct harness_layout *l = &h->lay;
	if (la >= l->data_addr && (uint64_t)la + len <= (uint64_t)l->data_addr + l->data_size)
		return h->m.mmu.ram + h->data_pa + (la - l->data_addr);
	if (la >= l->stack_addr && (uint64_t)la + len <= (uint64_t)l->stack_addr + l->stack_size)
		return h->m.mmu.ram + h->stack_pa + (la - l->stack_addr);
	return NULL;
}

/* The host signal the native runner reports for an exception vector. */
static int vector_signal(unsigned vec)
{
	switch (vec) {
	case X86_EXC_DE: case 16: case 19: return SIGFPE;   /* #DE, #MF, #XM */
	case X86_EXC_UD: return SIGILL;
	case X86_EXC_DB: case X86_EXC_BP: return SIGTRAP;
	case 17: return SIGBUS;                              /* #AC */
	default: return SIGSEGV;
	}
}

/* Put the block (and its HLT) in the code area through the monitor's write
 * path: translations made from the old bytes on those pages are dropped. */
static bool load_code(struct harness *h, const void *code, uint32_t len)
{
	struct machine *m = &h->m;
	static const uint8_t hlt = HLT;
	if (len > 0 && !mmu_write_gla(&m->mmu, h->lay.code_addr, code, len, machine_code_written, m))
		return false;
	return mmu_write_gla(&m->mmu, h->lay.code_addr + len, &hlt, 1, machine_code_written, m);
}

static void load_state(struct harness *h, const struct native_state *in)
{
	struct machine *m = &h->m;
	struct vcpu *v = m->vcpu;
	m->stop = false;
	m->exit_status = 0;
	m->stop_reason[0] = '\0';
	m->want_dump = false;
	m->reset_requested = false;
	m->captured = (struct machine_capture){ .hit = false };
	memcpy(v->gpr, in->gpr, sizeof(v->gpr));
	v->eip = h->lay.code_addr;
	vcpu_set_eflags(v, in->eflags & NATIVE_EFLAGS_MASK);   /* IF = 0: HLT stops */
	memcpy(v->fxsave, in->fxsave, sizeof(v->fxsave));
	v->resume_rip = 0;
	v->halted = 0;
	v->interrupt_shadow = 0;
	/* Something else in this process (the native runner) may have moved the
	 * GS base since the last run: point it at the window again. */
	v->win_base = 0;
	machine_sync_gs(m);
}

static void store_state(const struct harness *h, struct native_state *out)
{
	const struct vcpu *v = h->m.vcpu;
	memcpy(out->gpr, v->gpr, sizeof(out->gpr));
	out->eflags = vcpu_eflags(v) & NATIVE_EFLAGS_MASK;
	memcpy(out->fxsave, v->fxsave, sizeof(out->fxsave));
}

bt_status harness_run(struct harness *h, const void *code, uint32_t len,
		      const struct native_state *in, struct native_state *out,
		      struct native_fault *fault, const void *data_in, void *data_out)
{
	struct machine *m = &h->m;
	uint32_t mxcsr;
	memcpy(&mxcsr, &in->fxsave[NATIVE_FX_MXCSR], 4);
	if (len >= h->lay.code_size || (code == NULL && len > 0) || (mxcsr & ~h->mxcsr_mask))
		return BT_ERR_INVAL;
	if (data_in)
		memcpy(m->mmu.ram + h->data_pa, data_in, h->lay.data_size);
	if (!load_code(h, code, len))
		return BT_ERR_INVAL;
	load_state(h, in);
	struct native_state end;   /* in and out may be the same */
	uint64_t hlts = m->stats.emulated[ZYDIS_MNEMONIC_HLT];
	machine_run(m);
	store_state(h, &end);
	*out = end;
	if (data_out)
		memcpy(data_out, m->mmu.ram + h->data_pa, h->lay.data_size);

	struct native_fault f = { 0 };
	const struct machine_capture *c = &m->captured;
	gla_t hlt = h->lay.code_addr + len;
	bt_status s = BT_OK;
	if (c->hit) {
		f.signo = vector_signal(c->vec);
		f.vector = c->vec;
		f.error_code = c->has_err ? c->err : 0;
		f.eip = c->eip;
		f.addr = c->cr2;
	} else if (m->stats.emulated[ZYDIS_MNEMONIC_HLT] != hlts &&
		   (m->vcpu->eip == hlt || m->vcpu->eip == hlt + 1)) {
		/* The terminator ran (HLT with IF=0 stops, EIP at or after it). */
		m->stop_reason[0] = '\0';
	} else {
		s = BT_ERR_UNSUPPORTED;
	}
	if (fault)
		*fault = f;
	return s;
}
