/*
 * coherence.c — keeps the cached address spaces (space.c) true to the guest's
 * page tables without write-protecting them (DESIGN.md §5 and why not
 * tracing: docs/ARCHITECTURE.md, "Window cache").
 *
 * A fill (shadow.c) tells coherence_record which page-directory entry and,
 * for a 4 KiB page, which page-table entry it was derived from. The current
 * space keeps, for its page directory and for each page table it used, a copy
 * of the table and a bit per entry it derived a mapping from. While a space
 * is current the guest itself must invalidate (INVLPG, CR3 reload) after
 * changing an entry, as on x86; when a space becomes current again, or at a
 * CR3 reload or global flush, coherence_check compares each copy with the
 * table (one memcmp when nothing changed) and drops the mappings whose entries
 * changed — exactly what a TLB flush plus a fresh page walk would give.
 *
 * Flow: shadow_map → coherence_record; mmu_set_cr3 / mmu_set_paging
 * (space.c) → coherence_check; space_reset → coherence_forget.
 */
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define ENTRIES     (BT_PAGE_SIZE / 4)
#define REGION_SIZE (4u << 20)
/* Entry bits whose change does not matter to a mapping already made: the
 * accessed bit (the walk sets it; clearing it needs no flush on x86). */
#define IGNORED_BITS X86_PTE_A

bt_status coherence_init(struct mmu *m)
{
	for (unsigned s = 0; s < MMU_SPACES; s++) {
		m->spaces[s].pd = calloc(1, sizeof(struct mmu_ptcopy));
		m->spaces[s].pts = calloc(MMU_SPACE_PTS, sizeof(struct mmu_ptcopy));
		if (!m->spaces[s].pd || !m->spaces[s].pts)
			return BT_ERR_NOMEM;
	}
	return BT_OK;
}

void coherence_fini(struct mmu *m)
{
	for (unsigned s = 0; s < MMU_SPACES; s++) {
		free(m->spaces[s].pd);
		free(m->spaces[s].pts);
		m->spaces[s].pd = NULL;
		m->spaces[s].pts = NULL;
	}
}

void coherence_forget(struct mmu *m, unsigned s)
{
	struct mmu_space *sp = &m->spaces[s];
	if (!sp->pd)
		return;
	memset(sp->pd->used, 0, sizeof(sp->pd->used));
	sp->pd->pa = 0;
	for (unsigned i = 0; i < MMU_SPACE_PTS; i++)
		sp->pts[i].pa = 0;
}

static void drop_region(struct mmu *m, unsigned s, uint32_t pde_idx)
{
	for (unsigned user = 0; user < 2; user++)
		view_unmap_range(&m->views[space_view(s, user)], pde_idx << 22, REGION_SIZE);
	m->stats.pt_dropped++;
}

static void drop_page(struct mmu *m, unsigned s, gla_t la)
{
	for (unsigned user = 0; user < 2; user++) {
		struct mmu_view *v = &m->views[space_view(s, user)];
		gpa_t pa;
		if (view_lookup(v, la, &pa) && !view_is_large(v, la)) {
			view_unmap_page(v, la);
			m->stats.pt_dropped++;
		}
	}
}

/* Start a copy of the table at pa in slot c: entries unused so far. */
static void copy_start(struct mmu *m, struct mmu_ptcopy *c, gpa_t pa, uint16_t region)
{
	c->pa = pa;
	c->region = region;
	memset(c->used, 0, sizeof(c->used));
	memcpy(c->copy, m->ram + pa, BT_PAGE_SIZE);
}

/* The copy of page table pt (mapping region) in space s; a new one if none. */
static struct mmu_ptcopy *pt_copy(struct mmu *m, unsigned s, gpa_t pt, uint16_t region)
{
	struct mmu_space *sp = &m->spaces[s];
	struct mmu_ptcopy *c = &sp->pts[sp->last_pt];
	if (c->pa == pt && c->region == region)
		return c;
	struct mmu_ptcopy *free_slot = NULL;
	for (unsigned i = 0; i < MMU_SPACE_PTS; i++) {
		c = &sp->pts[i];
		if (c->pa == pt && c->region == region) {
			sp->last_pt = i;
			return c;
		}
		if (!c->pa && !free_slot)
			free_slot = c;
	}
	if (!free_slot) {
		/* Full: whatever the victim's copy vouched for must go. */
		free_slot = &sp->pts[sp->next_victim];
		sp->next_victim = (sp->next_victim + 1) % MMU_SPACE_PTS;
		drop_region(m, s, free_slot->region);
		sp->epoch++;
	}
	copy_start(m, free_slot, pt, region);
	sp->last_pt = (unsigned)(free_slot - sp->pts);
	return free_slot;
}

static void use_entry(struct mmu_ptcopy *c, uint32_t e, uint32_t value)
{
	c->used[e >> 3] |= (uint8_t)(1u << (e & 7));
	c->copy[e] = value;
}

void coherence_record(struct mmu *m, const struct walk *w, gla_t la)
{
	if (!m->paging || w->pd_page + BT_PAGE_SIZE > m->ram_size)
		return;
	unsigned s = m->cur;
	struct mmu_space *sp = &m->spaces[s];
	uint32_t pde_idx = X86_PDE_INDEX(la);
	if (sp->pd->pa != w->pd_page)
		copy_start(m, sp->pd, w->pd_page, MMU_PT_WHOLE);
	use_entry(sp->pd, pde_idx, w->pde);
	if (w->span == BT_PAGE_SIZE && w->pt_page + BT_PAGE_SIZE <= m->ram_size)
		use_entry(pt_copy(m, s, w->pt_page, (uint16_t)pde_idx), X86_PTE_INDEX(la), w->pte);
}

static bool entry_used(const struct mmu_ptcopy *c, uint32_t e)
{
	return (c->used[e >> 3] >> (e & 7)) & 1;
}

/* Compare copy c with its table: call drop(e) for each used entry that
 * changed, then take the table as the new copy. True if anything changed. */
static bool compare(struct mmu *m, struct mmu_ptcopy *c, uint32_t *changed, unsigned *nchanged)
{
	const uint32_t *now = (const uint32_t *)(m->ram + c->pa);
	*nchanged = 0;
	if (memcmp(c->copy, now, BT_PAGE_SIZE) == 0)
		return false;
	for (uint32_t e = 0; e < ENTRIES; e++) {
		if (c->copy[e] != now[e] && entry_used(c, e) &&
		    ((c->copy[e] ^ now[e]) & ~(uint32_t)IGNORED_BITS)) {
			c->used[e >> 3] &= (uint8_t)~(1u << (e & 7));
			changed[(*nchanged)++] = e;
		}
	}
	memcpy(c->copy, now, BT_PAGE_SIZE);
	return true;
}

void coherence_check(struct mmu *m, unsigned s)
{
	struct mmu_space *sp = &m->spaces[s];
	static uint32_t changed[ENTRIES];
	unsigned n;
	m->stats.space_checks++;
	if (sp->pd->pa && compare(m, sp->pd, changed, &n)) {
		m->stats.pt_changed++;
		if (n)
			sp->epoch++;
		for (unsigned i = 0; i < n; i++) {
			drop_region(m, s, changed[i]);
			for (unsigned k = 0; k < MMU_SPACE_PTS; k++)   /* its table is gone */
				if (sp->pts[k].pa && sp->pts[k].region == changed[i])
					sp->pts[k].pa = 0;
		}
	}
	for (unsigned k = 0; k < MMU_SPACE_PTS; k++) {
		struct mmu_ptcopy *c = &sp->pts[k];
		if (!c->pa || !compare(m, c, changed, &n))
			continue;
		m->stats.pt_changed++;
		if (n)
			sp->epoch++;
		for (unsigned i = 0; i < n; i++)
			drop_page(m, s, ((gla_t)c->region << 22) | (changed[i] << 12));
	}
}

void mmu_note_fetch(struct mmu *m, gla_t la)
{
	struct walk w;
	if (m->paging && paging_walk(m, la, 0, false, &w))
		coherence_record(m, &w, la);
}
