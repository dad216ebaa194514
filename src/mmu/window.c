/*
 * window.c — views: the 4 GiB windows translated code addresses as
 * gs:[addr32], and the host mappings of guest RAM inside them.
 *
 * Layout of a view's reservation (all PROT_NONE until filled):
 *
 *   [ 64 KiB guard ][ 4 GiB: guest-linear 0 .. 0xFFFFFFFF ][ 64 KiB guard ]
 *                   ^ view.base (the GS base while this view is current)
 *
 * The lower guard catches string instructions that run below linear 0 with
 * DF=1 (they address through RSI/RDI biased by the window base); the upper
 * guard catches accesses whose bytes run past 4 GiB (the 0x67 prefix wraps the
 * effective address, not the bytes of the access).
 *
 * Mappings are MAP_SHARED|MAP_FIXED mappings of the RAM memfd; forgetting one
 * maps PROT_NONE anonymous memory over it (never munmap: no hole ever opens in
 * the reservation). view.map records, per linear page, which guest-physical
 * page is there, tagged with the view's generation so a whole-view reset
 * (one mmap) invalidates every record at once.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "window.h"

#define VIEW_RESERVE (MMU_WINDOW_SIZE + 2 * (size_t)MMU_GUARD_SIZE)
#define MAP_ENTRIES  (1u << 20)

bt_status view_reserve(struct mmu_view *v)
{
	uint8_t *r = mmap(NULL, VIEW_RESERVE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return BT_ERR_HOST;
	v->map = mmap(NULL, MAP_ENTRIES * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->map == MAP_FAILED) {
		munmap(r, VIEW_RESERVE);
		v->map = NULL;
		return BT_ERR_HOST;
	}
	v->base = r + MMU_GUARD_SIZE;
	v->gen = 1;
	return BT_OK;
}

void view_release(struct mmu_view *v)
{
	if (v->base)
		munmap(v->base - MMU_GUARD_SIZE, VIEW_RESERVE);
	if (v->map)
		munmap(v->map, MAP_ENTRIES * sizeof(uint32_t));
	v->base = NULL;
	v->map = NULL;
}

void view_reset(struct mmu_view *v)
{
	mmap(v->base, MMU_WINDOW_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (++v->gen == MMU_GEN_LIMIT) {   /* generations exhausted: clear the records */
		madvise(v->map, MAP_ENTRIES * sizeof(uint32_t), MADV_DONTNEED);
		v->gen = 1;
	}
}

bool view_map(struct mmu *m, unsigned view, gla_t la, gpa_t pa, uint32_t len, int prot)
{
	struct mmu_view *v = &m->views[view];
	void *at = v->base + la;
	uint32_t tag = v->gen | (len > BT_PAGE_SIZE && m->paging ? MMU_MAP_LARGE : 0);
	if (mmap(at, len, prot, MAP_SHARED | MAP_FIXED, m->ram_fd, pa) != at)
		return false;
	for (uint32_t off = 0; off < len; off += BT_PAGE_SIZE)
		v->map[(la + off) >> 12] = (pa + off) | tag;
	m->map_count += 2;   /* the mapping, and the split of the reservation around it */
	m->spaces[view / 2].map_count += 2;
	return true;
}

void view_unmap_page(struct mmu_view *v, gla_t la)
{
	la &= BT_PAGE_MASK;
	mmap(v->base + la, BT_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	v->map[la >> 12] = 0;
}

void view_unmap_range(struct mmu_view *v, gla_t la, uint32_t len)
{
	la &= BT_PAGE_MASK;
	mmap(v->base + la, len, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	memset(&v->map[la >> 12], 0, (len / BT_PAGE_SIZE) * sizeof(uint32_t));
}

bool view_lookup(const struct mmu_view *v, gla_t la, gpa_t *pa)
{
	uint32_t e = v->map[la >> 12];
	if ((e & MMU_GEN_MASK) != v->gen)
		return false;
	*pa = e & BT_PAGE_MASK;
	return true;
}

bool view_is_large(const struct mmu_view *v, gla_t la)
{
	uint32_t e = v->map[la >> 12];
	return (e & MMU_GEN_MASK) == v->gen && (e & MMU_MAP_LARGE);
}

bool window_fill_run(struct mmu *m, gpa_t pa)
{
	uint32_t run = pa / MMU_FILL_RUN;
	uint32_t start = run * MMU_FILL_RUN;
	uint32_t end = start + MMU_FILL_RUN;
	if (end > m->ram_size)
		end = m->ram_size;
	if (!view_map(m, 0, start, start, end - start, PROT_READ | PROT_WRITE))
		return false;
	for (uint32_t p = start; p < end; p += BT_PAGE_SIZE)
		if (mmu_is_code_page(m, p))
			mprotect(m->views[0].base + p, BT_PAGE_SIZE, PROT_READ);
	bit_set(m->mapped_bitmap, run, true);
	m->stats.fills++;
	m->stats.fill_pages += (end - start) / BT_PAGE_SIZE;
	return true;
}
