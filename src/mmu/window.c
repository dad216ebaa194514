/*
 * window.c — the 4 GiB window translated code addresses as gs:[addr32].
 *
 * Layout of the reservation (all PROT_NONE until filled):
 *
 *   [ 64 KiB guard ][ 4 GiB: guest-linear 0 .. 0xFFFFFFFF ][ 64 KiB guard ]
 *                   ^ m->window == GS base
 *
 * The lower guard catches string instructions that run below linear 0 with
 * DF=1 (they address through RSI/RDI biased by the window base); the upper
 * guard catches accesses whose bytes run past 4 GiB (the 0x67 prefix wraps the
 * effective address, not the bytes of the access).
 *
 * With guest paging off, a fault on RAM maps a 2 MiB-aligned run of the memfd
 * with one mmap (MAP_FIXED over the reservation, never munmap, so no hole ever
 * opens), then re-protects the code pages inside it. That keeps the number of
 * host mappings small (DESIGN.md §9: mappings are a budget).
 */
#include <errno.h>
#include <sys/mman.h>

#include "window.h"

bt_status window_reserve(struct mmu *m)
{
	size_t total = MMU_WINDOW_SIZE + 2 * (size_t)MMU_GUARD_SIZE;
	uint8_t *r = mmap(NULL, total, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return BT_ERR_HOST;
	m->window = r + MMU_GUARD_SIZE;
	return BT_OK;
}

void window_release(struct mmu *m)
{
	if (m->window)
		munmap(m->window - MMU_GUARD_SIZE, MMU_WINDOW_SIZE + 2 * (size_t)MMU_GUARD_SIZE);
	m->window = NULL;
}

static bool bit_test(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(uint8_t *bm, uint32_t i, bool v)
{
	if (v)
		bm[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		bm[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* Map the fill run containing `pa` (async-signal-safe: only syscalls). */
static bool window_fill_run(struct mmu *m, gpa_t pa)
{
	uint32_t run = pa / MMU_FILL_RUN;
	uint32_t start = run * MMU_FILL_RUN;
	uint32_t end = start + MMU_FILL_RUN;
	if (end > m->ram_size)
		end = m->ram_size;
	void *at = m->window + start;
	if (mmap(at, end - start, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 m->ram_fd, start) != at)
		return false;
	for (uint32_t p = start; p < end; p += BT_PAGE_SIZE)
		if (mmu_is_code_page(m, p))
			mprotect(m->window + p, BT_PAGE_SIZE, PROT_READ);
	bit_set(m->mapped_bitmap, run, true);
	m->stats.fills++;
	m->stats.fill_pages += (end - start) / BT_PAGE_SIZE;
	return true;
}

enum mmu_fault_kind mmu_fault_classify(struct mmu *m, uint64_t la, bool write)
{
	if (la >= MMU_WINDOW_SIZE)
		return MMU_FAULT_WRAP;
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
	/* Mapped, not code, yet it faulted: a stale protection or a btmon bug. */
	return MMU_FAULT_BAD;
}

bt_status mmu_protect_code(struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	if (pa >= m->ram_size)
		return BT_ERR_INVAL;
	if (bit_test(m->code_bitmap, pfn))
		return BT_OK;
	bit_set(m->code_bitmap, pfn, true);
	m->stats.code_protects++;
	if (bit_test(m->mapped_bitmap, pa / MMU_FILL_RUN) &&
	    mprotect(m->window + (pa & BT_PAGE_MASK), BT_PAGE_SIZE, PROT_READ) != 0)
		return BT_ERR_HOST;
	return BT_OK;
}

bt_status mmu_unprotect_code(struct mmu *m, gpa_t pa)
{
	uint32_t pfn = pa >> 12;
	if (pa >= m->ram_size)
		return BT_ERR_INVAL;
	if (!bit_test(m->code_bitmap, pfn))
		return BT_OK;
	bit_set(m->code_bitmap, pfn, false);
	if (bit_test(m->mapped_bitmap, pa / MMU_FILL_RUN) &&
	    mprotect(m->window + (pa & BT_PAGE_MASK), BT_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		return BT_ERR_HOST;
	return BT_OK;
}
