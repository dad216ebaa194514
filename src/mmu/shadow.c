/*
 * shadow.c — the host MMU as the guest's TLB. A window fault is a TLB miss:
 * walk the guest page tables (paging.c) and map the guest-physical page into
 * the current space's view with protections derived from the PTEs —
 * read-only until the guest PTE is dirty, read-only while the page holds
 * translated code — or report the guest's #PF. Each fill records the page
 * directory and page table entries it came from (coherence.c), so the space
 * can be checked when it becomes current again. A fill the guest cannot tell
 * from a later one (no A/D bit to set) is also made early: at IRET after the
 * guest's #PF handler. A reverse map (guest-physical page → linear pages in
 * each view) finds every alias of a page when it starts or stops holding
 * translated code.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "window.h"

static bool rmap_valid(const struct mmu *m, uint32_t e, gpa_t page)
{
	gpa_t pa;
	unsigned view = e & 0xfffu;
	return view_lookup(&m->views[view], e & BT_PAGE_MASK, &pa) && pa == page;
}

void rmap_add(struct mmu *m, gpa_t pa, gla_t la, unsigned view)
{
	struct mmu_rmap *r = &m->rmap[pa >> 12];
	uint32_t e = (la & BT_PAGE_MASK) | view;
	for (unsigned i = 0; i < r->n; i++)
		if (r->la[i] == e)
			return;
	if (r->n == r->cap) {
		unsigned k = 0;    /* prune stale aliases before growing */
		for (unsigned i = 0; i < r->n; i++)
			if (rmap_valid(m, r->la[i], pa & BT_PAGE_MASK))
				r->la[k++] = r->la[i];
		r->n = (uint16_t)k;
	}
	if (r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2u : 4u;
		uint32_t *n = cap <= 0xffffu ? realloc(r->la, cap * sizeof(*n)) : NULL;
		if (!n)
			return;    /* the alias stays unknown: only costs a missed protect */
		r->la = n;
		r->cap = (uint16_t)cap;
	}
	r->la[r->n++] = e;
}

/* Call fn on every live alias of guest-physical page pa. */
static void rmap_each(struct mmu *m, gpa_t pa, void (*fn)(struct mmu *m, unsigned view, gla_t la))
{
	struct mmu_rmap *r = &m->rmap[pa >> 12];
	for (unsigned i = 0; i < r->n; i++)
		if (rmap_valid(m, r->la[i], pa & BT_PAGE_MASK))
			fn(m, r->la[i] & 0xfffu, r->la[i] & BT_PAGE_MASK);
}

static void alias_protect(struct mmu *m, unsigned view, gla_t la)
{
	mprotect(m->views[view].base + la, BT_PAGE_SIZE, PROT_READ);
}

static void alias_forget(struct mmu *m, unsigned view, gla_t la)
{
	view_unmap_page(&m->views[view], la);   /* refaults with the right protection */
}

/* Map the page (or whole 4 MiB page) the walk found at la into view. */
static bool shadow_map(struct mmu *m, unsigned view, gla_t la, const struct walk *w)
{
	int prot = PROT_READ | (w->map_rw ? PROT_WRITE : 0);
	gla_t lbase = la & BT_PAGE_MASK;
	gpa_t pbase = w->pa & BT_PAGE_MASK;
	uint32_t len = BT_PAGE_SIZE;
	if (w->span > BT_PAGE_SIZE) {
		gpa_t big = w->pa & X86_PDE_FRAME_4M;
		if ((uint64_t)big + w->span <= m->ram_size) {
			lbase = la & X86_PDE_FRAME_4M;
			pbase = big;
			len = w->span;
		}
	}
	if (!view_map(m, view, lbase, pbase, len, prot))
		return false;
	for (uint32_t off = 0; off < len; off += BT_PAGE_SIZE) {
		rmap_add(m, pbase + off, lbase + off, view);
		if ((prot & PROT_WRITE) && mmu_is_code_page(m, pbase + off))
			mprotect(m->views[view].base + lbase + off, BT_PAGE_SIZE, PROT_READ);
	}
	coherence_record(m, w, la);
	m->stats.fills++;
	m->stats.fill_pages += len / BT_PAGE_SIZE;
	return true;
}

enum mmu_fault_kind shadow_fill(struct mmu *m, gla_t la, bool write)
{
	unsigned view = mmu_cur_view(m);
	unsigned acc = (write ? MMU_ACC_WRITE : 0) | (m->cpl == 3 ? MMU_ACC_USER : 0);
	struct walk w;
	if (!paging_walk(m, la, acc, true, &w)) {
		m->stats.guest_pf++;
		m->prefill.la = la;
		m->prefill.write = write;
		m->prefill.valid = true;
		return MMU_FAULT_GUEST_PF;
	}
	if (w.pa >= m->ram_size) {
		m->stats.mmio_faults++;
		return MMU_FAULT_MMIO;
	}
	if (write && mmu_is_code_page(m, w.pa & BT_PAGE_MASK)) {
		m->stats.code_writes++;
		return MMU_FAULT_CODE_WRITE;
	}
	gpa_t old;
	if (write && view_lookup(&m->views[view], la, &old))
		m->stats.dirty_upgrades++;
	return shadow_map(m, view, la, &w) ? MMU_FAULT_FILLED : MMU_FAULT_BAD;
}

bool shadow_fill_quiet(struct mmu *m, unsigned view, gla_t la, unsigned acc)
{
	struct walk w;
	if (!paging_walk(m, la, acc, false, &w) || w.pa >= m->ram_size)
		return false;
	/* Only if the access would not change the entry: no A or D bit may be
	 * set for an access the guest might not make after all. */
	uint32_t e = w.span == BT_PAGE_SIZE ? w.pte : w.pde;
	uint32_t need = X86_PTE_A | ((acc & MMU_ACC_WRITE) ? X86_PTE_D : 0);
	if ((e & need) != need || (w.span == BT_PAGE_SIZE && !(w.pde & X86_PTE_A)))
		return false;
	if ((acc & MMU_ACC_WRITE) && mmu_is_code_page(m, w.pa & BT_PAGE_MASK))
		return false;
	mmu_check_budget(m);
	return shadow_map(m, view, la, &w);
}

void mmu_prefill(struct mmu *m)
{
	if (!m->prefill.valid || !m->paging)
		return;
	m->prefill.valid = false;
	gla_t la = m->prefill.la;
	unsigned acc = (m->prefill.write ? MMU_ACC_WRITE : 0) | (m->cpl == 3 ? MMU_ACC_USER : 0);
	unsigned view = mmu_cur_view(m);
	gpa_t pa;
	if (view_lookup(&m->views[view], la, &pa))
		return;
	if (shadow_fill_quiet(m, view, la, acc))
		m->stats.prefills++;
}

enum mmu_fault_kind mmu_fault_classify(struct mmu *m, uint64_t la, bool write)
{
	if (la >= MMU_WINDOW_SIZE)
		return MMU_FAULT_WRAP;
	mmu_check_budget(m);   /* before adding a mapping: never near the host's limit */
	if (m->paging)
		return shadow_fill(m, (gla_t)la, write);
	if (la >= m->ram_size) {
		m->stats.mmio_faults++;
		return MMU_FAULT_MMIO;
	}
	gpa_t pa = (gpa_t)la;
	if (!bit_test(m->mapped_bitmap, pa / MMU_FILL_RUN))
		return window_fill_run(m, pa) ? MMU_FAULT_FILLED : MMU_FAULT_BAD;
	if (write && mmu_is_code_page(m, pa)) {
		m->stats.code_writes++;
		return MMU_FAULT_CODE_WRITE;
	}
	return MMU_FAULT_BAD;   /* mapped, not code, yet it faulted: a btmon bug */
}

bt_status mmu_protect_code(struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	gpa_t page = pa & BT_PAGE_MASK, mapped;
	if (pa >= m->ram_size)
		return BT_ERR_INVAL;
	if (bit_test(m->code_bitmap, pfn))
		return BT_OK;
	bit_set(m->code_bitmap, pfn, true);
	m->stats.code_protects++;
	if (m->paging)
		rmap_each(m, page, alias_protect);
	else if (view_lookup(&m->views[0], page, &mapped))
		alias_protect(m, 0, page);
	return BT_OK;
}

bt_status mmu_unprotect_code(struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	gpa_t page = pa & BT_PAGE_MASK, mapped;
	if (pa >= m->ram_size)
		return BT_ERR_INVAL;
	if (!bit_test(m->code_bitmap, pfn))
		return BT_OK;
	bit_set(m->code_bitmap, pfn, false);
	if (m->paging)
		rmap_each(m, page, alias_forget);
	else if (view_lookup(&m->views[0], page, &mapped) &&
		 mprotect(m->views[0].base + page, BT_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		return BT_ERR_HOST;
	return BT_OK;
}
