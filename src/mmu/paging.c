/*
 * paging.c — the guest's two-level 32-bit paging (SDM Vol. 3A §4.3): the
 * page walk with U/S, R/W and CR0.WP checks, A and D bits set as the hardware
 * does, 4 MiB pages with CR4.PSE; and the paging-state changes that flush the
 * shadow (CR3 writes, INVLPG, CPL switches between the views).
 *
 *   linear:  | dir (10) | table (10) | offset (12) |   PDE.PS=1: | dir (10) | offset (22) |
 */
#include <string.h>

#include "window.h"

static bool pt_read(const struct mmu *m, gpa_t a, uint32_t *v)
{
	if ((uint64_t)a + 4 > m->ram_size)
		return false;
	memcpy(v, m->ram + a, 4);
	return true;
}

static void pt_set_bits(struct mmu *m, gpa_t a, uint32_t old, uint32_t bits)
{
	if ((old & bits) != bits) {
		uint32_t v = old | bits;
		memcpy(m->ram + a, &v, 4);
	}
}

static bool walk_fault(struct mmu *m, bool record, gla_t la, uint32_t err)
{
	if (record) {
		m->last_pf.la = la;
		m->last_pf.err = err;
	}
	return false;
}

/* May the access go through an entry pair with these combined U and W bits? */
static bool allowed(const struct mmu *m, unsigned acc, bool u, bool w)
{
	if ((acc & MMU_ACC_USER) && !u)
		return false;
	if ((acc & MMU_ACC_WRITE) && !w && ((acc & MMU_ACC_USER) || m->wp))
		return false;
	return true;
}

bool paging_walk(struct mmu *m, gla_t la, unsigned acc, bool set_ad, struct walk *w)
{
	if (!m->paging) {
		if (la >= m->ram_size)
			return walk_fault(m, set_ad, la, 0xffffffffu);
		w->pa = la;
		w->span = BT_PAGE_SIZE;
		w->map_rw = true;
		w->global = true;
		return true;
	}
	uint32_t err = ((acc & MMU_ACC_WRITE) ? X86_PFEC_W : 0) | ((acc & MMU_ACC_USER) ? X86_PFEC_U : 0);
	bool write = acc & MMU_ACC_WRITE, user = acc & MMU_ACC_USER;
	gpa_t pde_a = (m->cr3 & X86_PTE_FRAME) + X86_PDE_INDEX(la) * 4, pte_a;
	uint32_t pde, pte;
	if (!pt_read(m, pde_a, &pde) || !(pde & X86_PTE_P))
		return walk_fault(m, set_ad, la, err);
	if ((pde & X86_PDE_PS) && m->pse) {
		bool u = pde & X86_PTE_U, wr = pde & X86_PTE_W;
		if (!allowed(m, acc, u, wr))
			return walk_fault(m, set_ad, la, err | X86_PFEC_P);
		if (set_ad)
			pt_set_bits(m, pde_a, pde, X86_PTE_A | (write ? X86_PTE_D : 0));
		w->pa = (pde & X86_PDE_FRAME_4M) | (la & 0x3fffffu);
		w->span = 4u << 20;
		w->global = m->pge && (pde & X86_PTE_G);
		w->map_rw = (wr || (!user && !m->wp)) && (write || (pde & X86_PTE_D));
		return true;
	}
	pte_a = (pde & X86_PTE_FRAME) + X86_PTE_INDEX(la) * 4;
	if (!pt_read(m, pte_a, &pte) || !(pte & X86_PTE_P))
		return walk_fault(m, set_ad, la, err);
	bool u = (pde & X86_PTE_U) && (pte & X86_PTE_U);
	bool wr = (pde & X86_PTE_W) && (pte & X86_PTE_W);
	if (!allowed(m, acc, u, wr))
		return walk_fault(m, set_ad, la, err | X86_PFEC_P);
	if (set_ad) {
		pt_set_bits(m, pde_a, pde, X86_PTE_A);
		pt_set_bits(m, pte_a, pte, X86_PTE_A | (write ? X86_PTE_D : 0));
	}
	w->pa = (pte & X86_PTE_FRAME) | (la & 0xfffu);
	w->span = BT_PAGE_SIZE;
	w->global = m->pge && (pte & X86_PTE_G);
	w->map_rw = (wr || (!user && !m->wp)) && (write || (pte & X86_PTE_D));
	return true;
}

bool mmu_translate(struct mmu *m, gla_t la, unsigned acc, gpa_t *pa)
{
	struct walk w;
	if (!paging_walk(m, la, acc, true, &w))
		return false;
	if (w.pa >= m->ram_size) {
		m->last_pf.la = la;
		m->last_pf.err = 0xffffffffu;   /* mapped, but no RAM there */
		return false;
	}
	*pa = w.pa;
	return true;
}

bool mmu_gla_to_gpa(const struct mmu *m, gla_t la, gpa_t *out)
{
	struct walk w;
	if (!paging_walk((struct mmu *)m, la, 0, false, &w) || w.pa >= m->ram_size)
		return false;
	*out = w.pa;
	return true;
}

bool mmu_is_global(const struct mmu *m, gla_t la)
{
	struct walk w;
	return paging_walk((struct mmu *)m, la, 0, false, &w) && w.global;
}

static void flush_views(struct mmu *m)
{
	view_reset(&m->views[0]);
	view_reset(&m->views[1]);
	memset(m->mapped_bitmap, 0, m->ram_size / MMU_FILL_RUN / 8 + 2);
	m->nnonglobal = 0;
	m->map_count = 0;
	m->stats.flushes++;
}

void mmu_check_budget(struct mmu *m)
{
	if (m->map_count < m->map_budget)
		return;
	m->stats.budget_resets++;
	flush_views(m);
}

void mmu_set_paging(struct mmu *m, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
	m->paging = cr0 & X86_CR0_PG;
	m->wp = cr0 & X86_CR0_WP;
	m->pse = cr4 & X86_CR4_PSE;
	m->pge = cr4 & X86_CR4_PGE;
	m->cr3 = cr3;
	flush_views(m);
	mmu_set_cpl(m, m->cpl);
}

void mmu_set_cr3(struct mmu *m, uint32_t cr3)
{
	m->cr3 = cr3;
	m->stats.cr3_writes++;
	if (!m->paging)
		return;
	if (m->nnonglobal > MMU_NONGLOBAL_MAX) {
		flush_views(m);
		return;
	}
	view_reset(&m->views[1]);     /* user pages are never global in practice: reset it all */
	for (uint32_t i = 0; i < m->nnonglobal; i++)
		view_unmap_range(&m->views[0], m->nonglobal[i].la, m->nonglobal[i].len);
	m->nnonglobal = 0;
}

uint32_t mmu_invlpg(struct mmu *m, gla_t la)
{
	uint32_t span = BT_PAGE_SIZE;
	m->stats.invlpgs++;
	for (unsigned i = 0; i < 2; i++) {
		struct mmu_view *v = &m->views[i];
		gpa_t pa;
		if (!view_lookup(v, la, &pa))
			continue;
		if (!view_is_large(v, la)) {
			view_unmap_page(v, la);
			continue;
		}
		span = 4u << 20;
		/* A 4 MiB page is one TLB entry: forget all of it, with one mmap. */
		view_unmap_range(v, la & X86_PDE_FRAME_4M, 4u << 20);
	}
	return span;
}

uint8_t *mmu_set_cpl(struct mmu *m, unsigned cpl)
{
	m->cpl = cpl;
	m->window = m->views[m->paging && cpl == 3 ? 1 : 0].base;
	return m->window;
}
