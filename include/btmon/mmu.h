/*
 * mmu.h — guest memory: RAM as a memfd, the 4 GiB window translated code
 * addresses through GS, and code-page tracking (src/mmu).
 *
 * The window is a PROT_NONE reservation of 4 GiB + a 64 KiB guard. Guest
 * pages appear in it as MAP_SHARED|MAP_FIXED mappings of the RAM memfd, so the
 * host MMU does the guest's address translation. With guest paging off,
 * guest-linear == guest-physical and RAM is mapped lazily on first touch, a
 * 2 MiB-aligned run at a time. Pages that hold translated code are kept
 * read-only; a write to one is reported (mmu_fault_classify) so the monitor
 * can invalidate that page's translations.
 */
#ifndef BTMON_MMU_H
#define BTMON_MMU_H

#include "btmon/types.h"

#define MMU_WINDOW_SIZE  (1ull << 32)
#define MMU_GUARD_SIZE   (64u << 10)
#define MMU_FILL_RUN     (2u << 20)    /* paging-off lazy fill granule */

struct mmu_stats {
	uint64_t fills;          /* window faults satisfied by mapping RAM */
	uint64_t fill_pages;     /* pages those fills mapped */
	uint64_t code_protects;  /* pages made read-only because they hold code */
	uint64_t code_writes;    /* writes that hit a code page */
	uint64_t mmio_faults;    /* accesses to guest-physical holes */
	uint64_t guest_pf;       /* faults that are the guest's (#PF) */
	uint64_t dirty_upgrades; /* read-only mappings made writable on first write (D bit) */
	uint64_t flushes;        /* every space reset (paging mode changes) */
	uint64_t cr3_writes;     /* CR3 writes */
	uint64_t space_hits;     /* ... that found their address space cached */
	uint64_t space_evictions;/* spaces emptied for another CR3 (LRU) or the budget */
	uint64_t budget_resets;  /* the current space emptied to stay under vm.max_map_count */
	uint64_t invlpgs;
	uint64_t prefills;       /* pages mapped at IRET after the guest's #PF handler */
	uint64_t space_checks;   /* cached spaces checked against their page tables */
	uint64_t pt_changed;     /* page-table pages found changed by a check */
	uint64_t pt_dropped;     /* shadow mappings dropped because their PDE/PTE changed */
};

/* Access kinds (mmu_translate, mmu_copy_*_gla). */
#define MMU_ACC_WRITE 1u
#define MMU_ACC_USER  2u   /* a CPL 3 access: the page must be U/S=1 */
#define MMU_ACC_FETCH 4u

/* The last guest page fault a translation found (for #PF delivery). */
struct mmu_pf {
	gla_t la;                /* -> CR2 */
	uint32_t err;            /* X86_PFEC_* */
};

/* A view: one 4 GiB window (+ guards) and what is mapped in it. With guest
 * paging on each address space has two — supervisor (CPL 0–2) and user
 * (CPL 3), so user code never reaches supervisor pages; with paging off both
 * CPLs share view 0. */
struct mmu_view {
	uint8_t *base;           /* guest-linear 0 */
	uint32_t *map;           /* per linear page: (gpa page) | gen while mapped */
	uint32_t gen;            /* 1..4095; bumped by a reset */
};

/* Reverse map: where a guest-physical page is mapped (linear page | view). */
struct mmu_rmap {
	uint32_t *la;
	uint16_t n, cap;
};

/*
 * The window cache (DESIGN.md §5): the views of the MMU_SPACES most recently
 * used address spaces stay mapped across CR3 writes. Space s owns views 2s
 * (supervisor) and 2s+1 (user). A space remembers, for its page directory and
 * every page table it derived a mapping from, which entries it used and a
 * copy of the table (struct mmu_ptcopy); when it becomes current again the
 * copies are compared with the tables and mappings whose entries changed are
 * dropped (coherence.c). So a cached space agrees with its page tables, which
 * is all the TLB flush of a CR3 write guarantees.
 */
#define MMU_SPACES     32
#define MMU_NVIEWS     (2 * MMU_SPACES)
#define MMU_SPACE_PTS  48      /* page tables a space keeps copies of */
#define MMU_PT_WHOLE   0xffffu /* region of a page directory's copy */

struct mmu_ptcopy {
	gpa_t pa;                /* the table's page; 0: slot free */
	uint16_t region;         /* the 4 MiB region it maps (PDE index), or MMU_PT_WHOLE */
	uint8_t used[128];       /* one bit per entry a mapping was derived from */
	uint32_t copy[1024];     /* the table as last seen */
};

struct mmu_space {
	uint32_t cr3;            /* page-directory base it shadows */
	uint64_t last_use;       /* LRU clock */
	uint64_t map_count;      /* host mappings made in its views */
	uint64_t epoch;          /* moves when a mapping it had may have changed (IBT reuse) */
	bool used;
	struct mmu_ptcopy *pd;   /* its page directory */
	struct mmu_ptcopy *pts;  /* MMU_SPACE_PTS page tables */
	unsigned next_victim;    /* round robin when pts is full */
	unsigned last_pt;        /* the slot the last fill used */
};

struct mmu {
	int ram_fd;              /* memfd holding guest RAM */
	uint8_t *ram;            /* monitor's own RW view of all RAM */
	uint32_t ram_size;       /* bytes, multiple of 4 KiB */
	uint8_t *window;         /* current view's base (the GS base) */
	uint8_t *code_bitmap;    /* one bit per guest-physical page: holds translated code */
	uint8_t *mapped_bitmap;  /* paging off: one bit per 2 MiB run mapped in view 0 */
	struct mmu_view views[MMU_NVIEWS];
	struct mmu_space spaces[MMU_SPACES];
	unsigned cur;            /* the current space (0 while paging is off) */
	uint64_t clock;          /* LRU clock */
	struct mmu_rmap *rmap;   /* per guest-physical page (paging on) */
	bool paging, pse, wp, pge; /* CR0.PG, CR4.PSE, CR0.WP, CR4.PGE */
	uint32_t cr3;
	unsigned cpl;
	/* Mapping budget (DESIGN.md §9): host VMAs are limited by vm.max_map_count;
	 * an isolated page mapped into a reservation costs up to two. */
	uint64_t map_count;      /* mappings made in all spaces' current contents */
	uint64_t map_budget;     /* reset everything before map_count passes this */
	uint64_t max_map_count;  /* the host limit (after raising it, if root) */
	uint64_t max_map_count_was; /* ... and before */
	struct mmu_pf last_pf;
	/* The last window fault that was the guest's #PF: after the guest's
	 * handler IRETs, mmu_prefill maps it if the tables now allow it, saving
	 * the host fault of the retried access. */
	struct { gla_t la; bool write, valid; } prefill;
	/* The monitor's own TLB (mmu_translate): linear page + access kind →
	 * physical page, flushed with the windows' TLB semantics (CR3 writes,
	 * INVLPG, paging changes). tag = page | acc | 1; 0 = empty. */
	struct { uint32_t tag, pa; } stlb[64];
	struct mmu_stats stats;
};
/* Create RAM (ram_bytes, rounded up to 4 KiB) and the window. */
bt_status mmu_init(struct mmu *m, uint64_t ram_bytes);
void mmu_fini(struct mmu *m);

/* What a host fault at window offset `la` means. */
enum mmu_fault_kind {
	MMU_FAULT_FILLED,      /* RAM was mapped: retry the access */
	MMU_FAULT_CODE_WRITE,  /* a write to a page holding translated code */
	MMU_FAULT_MMIO,        /* no RAM there: emulate the access */
	MMU_FAULT_WRAP,        /* the access runs past 4 GiB into the guard */
	MMU_FAULT_GUEST_PF,    /* the guest's page fault: deliver #PF (m->last_pf) */
	MMU_FAULT_BAD,         /* should not fault: a btmon bug */
};

/*
 * Classify a fault at guest-linear `la` (an offset in the current view, may
 * exceed 4 GiB by up to the guard) made at the current CPL and, when the guest
 * may access it, map it (the TLB fill: A/D bits set as the hardware would) so
 * a retry succeeds. MMU_FAULT_GUEST_PF leaves the #PF in m->last_pf. Called
 * from the SIGSEGV handler while translated code is interrupted.
 */
enum mmu_fault_kind mmu_fault_classify(struct mmu *m, uint64_t la, bool write);

/* Paging state changed (CR0/CR4 write): records it; a change of CR0.PG,
 * CR0.WP or CR4.PSE empties every space; otherwise (a CR4.PGE toggle: Linux's
 * global TLB flush) the current space is checked against its page tables. */
void mmu_set_paging(struct mmu *m, uint32_t cr0, uint32_t cr3, uint32_t cr4);
/* CR3 write: make the space of cr3 current (the least recently used one is
 * emptied for it if it is not cached) after dropping whatever its page
 * tables changed since it was last current. m->window may move: reload GS. */
void mmu_set_cr3(struct mmu *m, uint32_t cr3);
/* INVLPG: forget the mapping of la in the current space. Returns the size of
 * the region forgotten (4 KiB, or 4 MiB for a large page). */
uint32_t mmu_invlpg(struct mmu *m, gla_t la);
/* The CPL changed: returns the base of the view to use as GS base. */
uint8_t *mmu_set_cpl(struct mmu *m, unsigned cpl);


/* IRET (deliver.c): map the page of the last guest #PF if the guest's
 * handler made it accessible, so the faulting access does not fault again on
 * the host. Sets A/D as the retried access will; a no-op if it would fault. */
void mmu_prefill(struct mmu *m);
/* An instruction fetch at la in the current space is being remembered
 * outside the window (an indirect-branch table entry): record the page-table
 * entries it depends on, so a change to them moves the space's epoch. */
void mmu_note_fetch(struct mmu *m, gla_t la);

/* Walk the guest page tables for la with access kind acc (MMU_ACC_*),
 * setting A (and D for writes) as the hardware would. On a guest fault
 * returns false and fills m->last_pf. Paging off: identity, false past RAM
 * (last_pf.err = 0xffffffff then: no RAM, not a #PF). */
bool mmu_translate(struct mmu *m, gla_t la, unsigned acc, gpa_t *pa);

/* Copy to/from guest-linear memory with access kind acc, page by page;
 * false on the first page that faults (m->last_pf says why). Writes report
 * code pages through on_code_write. */
bool mmu_copy_from_gla(struct mmu *m, gla_t la, void *buf, uint32_t len, unsigned acc);
bool mmu_copy_to_gla(struct mmu *m, gla_t la, const void *buf, uint32_t len, unsigned acc,
		     void (*on_code_write)(void *ctx, gpa_t page), void *ctx);

/* Page `pa` now holds translated code: make it read-only in the window. */
bt_status mmu_protect_code(struct mmu *m, gpa_t pa);
/* Page `pa` no longer holds translated code: make it writable again. */
bt_status mmu_unprotect_code(struct mmu *m, gpa_t pa);
static inline bool mmu_is_code_page(const struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	return pa < m->ram_size && (m->code_bitmap[pfn >> 3] >> (pfn & 7)) & 1;
}

/* Is la in a global page (survives CR3 writes)? No side effects. With
 * paging off everything is "global" (CR3 means nothing then). */
bool mmu_is_global(const struct mmu *m, gla_t la);

/* Guest-linear → guest-physical for a supervisor read, without touching A/D
 * bits or last_pf (trace, dump, verify). False if unmapped or no RAM. */
bool mmu_gla_to_gpa(const struct mmu *m, gla_t la, gpa_t *out);

/* A host pointer to `len` bytes of RAM at `pa`, or NULL if out of RAM. */
static inline void *mmu_gpa_ptr(const struct mmu *m, gpa_t pa, uint32_t len)
{
	if ((uint64_t)pa + len > m->ram_size)
		return NULL;
	return m->ram + pa;
}

/*
 * Supervisor (implicit) accesses by linear address: descriptor tables, the
 * IDT, interrupt stack frames. Writes go through the code-page check:
 * `on_code_write` is called for each code page written. False if a page
 * faults (m->last_pf) or has no RAM.
 */
bool mmu_read_gla(struct mmu *m, gla_t la, void *buf, uint32_t len);
bool mmu_write_gla(struct mmu *m, gla_t la, const void *buf, uint32_t len,
		   void (*on_code_write)(void *ctx, gpa_t page), void *ctx);

#endif
