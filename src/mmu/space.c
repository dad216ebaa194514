/*
 * space.c — the window cache (DESIGN.md §5, §9): the views of the
 * MMU_SPACES most recently used guest address spaces stay mapped across CR3
 * writes, so switching back to a cached space is a GS-base change, not a
 * refault of its working set. Spaces are keyed by the page-directory base;
 * the least recently used one is emptied for a CR3 value not cached, and
 * spaces are evicted whole when the host mapping budget runs out.
 *
 * Coherence does not come from flushing: a space keeps copies of the page
 * tables its mappings came from (coherence.c); when it becomes current again,
 * at a reload of the same CR3 and at a global flush (CR4.PGE toggle), the
 * mappings whose entries changed are dropped. So a space agrees with its page
 * tables whenever the guest could tell, which is what a TLB flush guarantees.
 *
 * Flow: the CR3/CR0/CR4 procedures (src/monitor/emulate_sys.c) call
 * mmu_set_cr3 / mmu_set_paging, then reload GS from m->window.
 */
#include <string.h>

#include "window.h"

void space_reset(struct mmu *m, unsigned s)
{
	struct mmu_space *sp = &m->spaces[s];
	view_reset(&m->views[space_view(s, false)]);
	view_reset(&m->views[space_view(s, true)]);
	m->map_count -= sp->map_count;   /* the total is the spaces' sum */
	sp->map_count = 0;
	sp->epoch++;
	coherence_forget(m, s);
	if (s == 0)
		memset(m->mapped_bitmap, 0, m->ram_size / MMU_FILL_RUN / 8 + 2);
}

/* Empty every space and forget all tracing (paging mode changes). */
static void reset_all(struct mmu *m)
{
	for (unsigned s = 0; s < MMU_SPACES; s++) {
		if (m->spaces[s].used || s == 0)
			space_reset(m, s);
		m->spaces[s].used = false;
	}
	m->stats.flushes++;
}

/* The least recently used space other than the current one, or -1. */
static int lru_victim(const struct mmu *m, bool only_used)
{
	int best = -1;
	for (unsigned s = 0; s < MMU_SPACES; s++) {
		const struct mmu_space *sp = &m->spaces[s];
		if (s == m->cur || (only_used && !sp->used))
			continue;
		if (!sp->used && !only_used)
			return (int)s;
		if (best < 0 || sp->last_use < m->spaces[best].last_use)
			best = (int)s;
	}
	return best;
}

/* Make the space of page directory pd current. */
static void select_space(struct mmu *m, uint32_t pd)
{
	for (unsigned s = 0; s < MMU_SPACES; s++) {
		if (m->spaces[s].used && m->spaces[s].cr3 == pd) {
			if (s != m->cur)
				m->stats.space_hits++;
			coherence_check(m, s);   /* a CR3 write flushes the TLB: drop what changed */
			m->cur = s;
			m->spaces[s].last_use = ++m->clock;
			return;
		}
	}
	int v = lru_victim(m, false);
	unsigned s = v < 0 ? m->cur : (unsigned)v;
	if (m->spaces[s].used) {
		m->stats.space_evictions++;
		space_reset(m, s);
	}
	m->spaces[s].used = true;
	m->spaces[s].cr3 = pd;
	m->spaces[s].last_use = ++m->clock;
	m->cur = s;
}

void mmu_check_budget(struct mmu *m)
{
	while (m->map_count >= m->map_budget) {
		int v = lru_victim(m, true);
		if (v >= 0) {
			m->stats.space_evictions++;
			space_reset(m, (unsigned)v);
			m->spaces[v].used = false;
			continue;
		}
		m->stats.budget_resets++;
		space_reset(m, m->cur);   /* the only one left */
		return;
	}
}

void mmu_set_paging(struct mmu *m, uint32_t cr0, uint32_t cr3, uint32_t cr4)
{
	mmu_stlb_flush(m);
	bool paging = cr0 & X86_CR0_PG, wp = cr0 & X86_CR0_WP, pse = cr4 & X86_CR4_PSE;
	if (paging != m->paging || wp != m->wp || pse != m->pse || !m->spaces[m->cur].used) {
		m->paging = paging;
		m->wp = wp;
		m->pse = pse;
		reset_all(m);
		m->cur = 0;
		m->spaces[0].used = true;
		m->spaces[0].cr3 = paging ? cr3 & X86_PTE_FRAME : 0;
		m->spaces[0].last_use = ++m->clock;
	}
	m->pge = cr4 & X86_CR4_PGE;
	m->cr3 = cr3;
	if (paging)
		select_space(m, cr3 & X86_PTE_FRAME);   /* checks it: a global flush */
	mmu_set_cpl(m, m->cpl);
}

void mmu_set_cr3(struct mmu *m, uint32_t cr3)
{
	m->cr3 = cr3;
	m->stats.cr3_writes++;
	mmu_stlb_flush(m);
	if (!m->paging)
		return;
	select_space(m, cr3 & X86_PTE_FRAME);
	mmu_set_cpl(m, m->cpl);
}

uint32_t mmu_invlpg(struct mmu *m, gla_t la)
{
	uint32_t span = BT_PAGE_SIZE;
	m->stats.invlpgs++;
	mmu_stlb_flush(m);   /* 64 entries: cheaper than finding a 4 MiB page's */
	for (unsigned user = 0; user < 2; user++) {
		struct mmu_view *v = &m->views[space_view(m->cur, user)];
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
	m->window = m->views[mmu_cur_view(m)].base;
	return m->window;
}
