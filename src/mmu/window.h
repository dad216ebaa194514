/*
 * window.h — private to src/mmu: views (GS windows) and the mappings in them.
 */
#ifndef BTMON_MMU_WINDOW_H
#define BTMON_MMU_WINDOW_H

#include "btmon/mmu.h"
#include "btmon/x86.h"

/* view.map entries: guest-physical page | MMU_MAP_LARGE? | generation. */
#define MMU_GEN_MASK   0x7ffu
#define MMU_GEN_LIMIT  0x800u
#define MMU_MAP_LARGE  0x800u   /* part of a 4 MiB page mapped as one */

bt_status view_reserve(struct mmu_view *v);
void view_release(struct mmu_view *v);
/* Forget every mapping (PROT_NONE over the whole window, never a hole). */
void view_reset(struct mmu_view *v);
/* Map guest-physical [pa, pa+len) at linear la with prot; records it. */
bool view_map(struct mmu *m, unsigned view, gla_t la, gpa_t pa, uint32_t len, int prot);
/* Forget every mapping in [la, la+len), with one mmap. */
void view_unmap_range(struct mmu_view *v, gla_t la, uint32_t len);
/* Forget the 4 KiB mapping at la. */
void view_unmap_page(struct mmu_view *v, gla_t la);
/* The guest-physical page mapped at la in v, if any. */
bool view_lookup(const struct mmu_view *v, gla_t la, gpa_t *pa);
bool view_is_large(const struct mmu_view *v, gla_t la);

/* Paging off: map the 2 MiB run around pa (view 0, identity). */
bool window_fill_run(struct mmu *m, gpa_t pa);

/* paging.c: the result of a page walk. */
struct walk {
	gpa_t pa;        /* guest-physical address of la */
	uint32_t span;   /* bytes of the page it lies in: 4 KiB or 4 MiB */
	bool map_rw;     /* a host mapping may be writable: write allowed and D set */
	bool global;     /* G set and CR4.PGE on: survives CR3 writes */
	gpa_t pd_page;   /* the page directory it went through */
	gpa_t pt_page;   /* the page table (4 KiB pages only) */
	uint32_t pde, pte; /* the entries as left by the walk (A/D set) */
};
/* Walk for la with access acc. set_ad: update A/D bits and, on a fault, fill
 * m->last_pf; without it the walk has no side effects. */
bool paging_walk(struct mmu *m, gla_t la, unsigned acc, bool set_ad, struct walk *w);

/* paging.c: forget the monitor's own TLB. */
void mmu_stlb_flush(struct mmu *m);

/* space.c: the window cache. Views of space s: */
static inline unsigned space_view(unsigned s, bool user)
{
	return 2 * s + (user ? 1u : 0u);
}
/* The view the current CPL uses in the current space. */
static inline unsigned mmu_cur_view(const struct mmu *m)
{
	return space_view(m->cur, m->paging && m->cpl == 3);
}
/* Empty space s (both views) and forget its page-table copies. */
void space_reset(struct mmu *m, unsigned s);
/* Evict least recently used spaces (or empty the current one) while the
 * mapping budget is spent. */
void mmu_check_budget(struct mmu *m);

/* shadow.c */
enum mmu_fault_kind shadow_fill(struct mmu *m, gla_t la, bool write);
/* Map la into view (of the current space) as a fill for access acc would,
 * if that walk changes no entry (A, and D for a write, already set): a TLB
 * fill made early, which the guest cannot tell from one made later. */
bool shadow_fill_quiet(struct mmu *m, unsigned view, gla_t la, unsigned acc);
void rmap_add(struct mmu *m, gpa_t pa, gla_t la, unsigned view);

/* coherence.c: page-table copies per space. */
/* A fill in the current space used PDE pde_idx (value pde, after its A bit
 * was set) and, for a 4 KiB page, PTE pte_idx of page table w->pt_page. */
void coherence_record(struct mmu *m, const struct walk *w, gla_t la);
/* Compare space s's copies with the page tables; drop stale mappings. */
void coherence_check(struct mmu *m, unsigned s);
/* Forget space s's copies (it was emptied). */
void coherence_forget(struct mmu *m, unsigned s);
bt_status coherence_init(struct mmu *m);
void coherence_fini(struct mmu *m);

static inline bool bit_test(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static inline void bit_set(uint8_t *bm, uint32_t i, bool v)
{
	if (v)
		bm[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		bm[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

#endif
