/*
 * paging.c — the guest's two-level 32-bit paging (SDM Vol. 3A §4.3): the
 * page walk with U/S, R/W and CR0.WP checks, A and D bits set as the hardware
 * does, 4 MiB pages with CR4.PSE. The walk also reports which page directory
 * and page table it read, so the shadow can check them later (coherence.c). Paging
 * state changes (CR0/CR3/CR4, INVLPG, CPL) are in space.c.
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
		w->pd_page = w->pt_page = 0;
		return true;
	}
	uint32_t err = ((acc & MMU_ACC_WRITE) ? X86_PFEC_W : 0) | ((acc & MMU_ACC_USER) ? X86_PFEC_U : 0);
	bool write = acc & MMU_ACC_WRITE, user = acc & MMU_ACC_USER;
	gpa_t pde_a = (m->cr3 & X86_PTE_FRAME) + X86_PDE_INDEX(la) * 4, pte_a;
	w->pd_page = m->cr3 & X86_PTE_FRAME;
	w->pt_page = 0;
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
		pt_read(m, pde_a, &w->pde);
		w->pte = 0;
		return true;
	}
	w->pt_page = pde & X86_PTE_FRAME;
	pte_a = w->pt_page + X86_PTE_INDEX(la) * 4;
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
	pt_read(m, pde_a, &w->pde);
	pt_read(m, pte_a, &w->pte);
	return true;
}

#define STLB_SIZE BT_ARRAY_SIZE(((struct mmu *)0)->stlb)

void mmu_stlb_flush(struct mmu *m)
{
	memset(m->stlb, 0, sizeof(m->stlb));
}

bool mmu_translate(struct mmu *m, gla_t la, unsigned acc, gpa_t *pa)
{
	acc &= MMU_ACC_WRITE | MMU_ACC_USER;   /* a fetch checks what a read does */
	uint32_t tag = (la & BT_PAGE_MASK) | (acc << 1) | 1u;
	unsigned i = (la >> 12) % STLB_SIZE;
	if (m->paging && m->stlb[i].tag == tag) {
		*pa = m->stlb[i].pa | (la & (BT_PAGE_SIZE - 1));
		return true;
	}
	struct walk w;
	if (!paging_walk(m, la, acc, true, &w))
		return false;
	if (w.pa >= m->ram_size) {
		m->last_pf.la = la;
		m->last_pf.err = 0xffffffffu;   /* mapped, but no RAM there */
		return false;
	}
	if (m->paging) {   /* the walk set A (and D for a write): later hits need not */
		m->stlb[i].tag = tag;
		m->stlb[i].pa = w.pa & BT_PAGE_MASK;
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
