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
};

struct mmu {
	int ram_fd;              /* memfd holding guest RAM */
	uint8_t *ram;            /* monitor's own RW view of all RAM */
	uint32_t ram_size;       /* bytes, multiple of 4 KiB */
	uint8_t *window;         /* current window base (GS base) */
	uint8_t *code_bitmap;    /* one bit per guest-physical page: holds translated code */
	uint8_t *mapped_bitmap;  /* one bit per 2 MiB run: mapped into the window */
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
	MMU_FAULT_BAD,         /* should not fault: a btmon bug */
};

/*
 * Classify a fault at guest-linear `la` (a window offset, may exceed 4 GiB by
 * up to the guard) and, for a plain miss on RAM, map the run so a retry
 * succeeds. Async-signal-safe: called from the SIGSEGV handler.
 */
enum mmu_fault_kind mmu_fault_classify(struct mmu *m, uint64_t la, bool write);

/* Page `pa` now holds translated code: make it read-only in the window. */
bt_status mmu_protect_code(struct mmu *m, gpa_t pa);
/* Page `pa` no longer holds translated code: make it writable again. */
bt_status mmu_unprotect_code(struct mmu *m, gpa_t pa);
static inline bool mmu_is_code_page(const struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	return pa < m->ram_size && (m->code_bitmap[pfn >> 3] >> (pfn & 7)) & 1;
}

/*
 * Guest-linear → guest-physical for the monitor's own accesses (code fetch,
 * emulation). Paging is not implemented yet: identity. Returns false if `la`
 * has no RAM behind it.
 */
bool mmu_gla_to_gpa(const struct mmu *m, gla_t la, gpa_t *out);

/* A host pointer to `len` bytes of RAM at `pa`, or NULL if out of RAM. */
static inline void *mmu_gpa_ptr(const struct mmu *m, gpa_t pa, uint32_t len)
{
	if ((uint64_t)pa + len > m->ram_size)
		return NULL;
	return m->ram + pa;
}

/*
 * Monitor-side guest memory access by linear address, page by page (for
 * emulated instructions: descriptor tables, string I/O, ...). Writes go
 * through the code-page check: `on_code_write` is called for each code page
 * written. Return false if some byte has no RAM behind it.
 */
bool mmu_read_gla(const struct mmu *m, gla_t la, void *buf, uint32_t len);
bool mmu_write_gla(struct mmu *m, gla_t la, const void *buf, uint32_t len,
		   void (*on_code_write)(void *ctx, gpa_t page), void *ctx);

#endif
