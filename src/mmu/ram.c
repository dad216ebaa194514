/*
 * ram.c — guest-physical memory: a memfd the size of guest RAM, one RW view
 * of it for the monitor; creating and tearing down the whole mmu; and the
 * monitor's own accesses to guest memory by linear address.
 *
 * Flow: mmu_init (here) creates RAM, the views of every cached address
 * space (window.c, space.c), the reverse map and the page-table copies; loaders and devices write RAM through mmu_gpa_ptr; emulated
 * instructions use mmu_copy_from_gla / mmu_copy_to_gla, which walk the guest
 * page tables (paging.c) and honour the code-page check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "window.h"

/* Read vm.max_map_count; as root, raise it to `want` if lower. */
static void mapping_limit(struct mmu *m, uint64_t want)
{
	uint64_t cur = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r+");
	if (f) {
		unsigned long long v;
		if (fscanf(f, "%llu", &v) == 1)
			cur = v;
		m->max_map_count_was = cur;
		if (cur < want && geteuid() == 0 && fseek(f, 0, SEEK_SET) == 0 &&
		    fprintf(f, "%llu\n", (unsigned long long)want) > 0 && fflush(f) == 0)
			cur = want;
		fclose(f);
	} else {
		m->max_map_count_was = cur;
	}
	m->max_map_count = cur;
	/* Headroom: the monitor, libraries and the arena need mappings too, and
	 * near the limit even unmapping can fail (DESIGN.md §9). */
	m->map_budget = cur * 7 / 10;
}

bt_status mmu_init(struct mmu *m, uint64_t ram_bytes)
{
	memset(m, 0, sizeof(*m));
	m->ram_fd = -1;
	ram_bytes = (ram_bytes + BT_PAGE_SIZE - 1) & ~(uint64_t)(BT_PAGE_SIZE - 1);
	if (ram_bytes == 0 || ram_bytes > 0xC0000000ull)
		return BT_ERR_INVAL;
	m->ram_size = (uint32_t)ram_bytes;

	m->ram_fd = memfd_create("btmon-guest-ram", MFD_CLOEXEC);
	if (m->ram_fd < 0)
		return BT_ERR_HOST;
	if (ftruncate(m->ram_fd, (off_t)ram_bytes) != 0)
		goto fail_fd;
	m->ram = mmap(NULL, ram_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m->ram_fd, 0);
	if (m->ram == MAP_FAILED)
		goto fail_fd;
	uint32_t pages = m->ram_size / BT_PAGE_SIZE;
	m->code_bitmap = calloc(pages / 8 + 1, 1);
	m->mapped_bitmap = calloc(m->ram_size / MMU_FILL_RUN / 8 + 2, 1);
	m->rmap = calloc(pages, sizeof(*m->rmap));
	if (!m->code_bitmap || !m->mapped_bitmap || !m->rmap || coherence_init(m) != BT_OK)
		goto fail_map;
	for (unsigned i = 0; i < MMU_NVIEWS; i++)
		if (view_reserve(&m->views[i]) != BT_OK)
			goto fail_view;
	m->spaces[0].used = true;
	m->window = m->views[0].base;
	mapping_limit(m, 262144);
	return BT_OK;

fail_view:
	for (unsigned i = 0; i < MMU_NVIEWS; i++)
		view_release(&m->views[i]);
fail_map:
	coherence_fini(m);
	free(m->code_bitmap);
	free(m->mapped_bitmap);
	free(m->rmap);
	munmap(m->ram, ram_bytes);
fail_fd:
	close(m->ram_fd);
	m->ram_fd = -1;
	return BT_ERR_HOST;
}

void mmu_fini(struct mmu *m)
{
	if (m->ram_fd < 0)
		return;
	for (unsigned i = 0; i < MMU_NVIEWS; i++)
		view_release(&m->views[i]);
	for (uint32_t i = 0; i < m->ram_size / BT_PAGE_SIZE; i++)
		free(m->rmap[i].la);
	free(m->rmap);
	coherence_fini(m);
	munmap(m->ram, m->ram_size);
	close(m->ram_fd);
	free(m->code_bitmap);
	free(m->mapped_bitmap);
	m->ram_fd = -1;
}

/* Most monitor accesses are a descriptor or a few stack dwords: a byte loop
 * beats the `rep movs` the compiler inlines for a variable-size memcpy
 * (measured: it was a third of an INT 0x80 + IRET round trip). */
static inline void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	if (len > 64) {
		memcpy(dst, src, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		dst[i] = src[i];
}

bool mmu_copy_from_gla(struct mmu *m, gla_t la, void *buf, uint32_t len, unsigned acc)
{
	uint8_t *dst = buf;
	while (len > 0) {
		uint32_t chunk = BT_PAGE_SIZE - (la & (BT_PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		gpa_t pa;
		if (!mmu_translate(m, la, acc & ~MMU_ACC_WRITE, &pa))
			return false;
		copy_bytes(dst, m->ram + pa, chunk);
		dst += chunk;
		la += chunk;
		len -= chunk;
	}
	return true;
}

bool mmu_copy_to_gla(struct mmu *m, gla_t la, const void *buf, uint32_t len, unsigned acc,
		     void (*on_code_write)(void *ctx, gpa_t page), void *ctx)
{
	const uint8_t *src = buf;
	/* Translate every page first: a write that faults half way writes nothing. */
	for (uint32_t off = 0; off < len;) {
		uint32_t chunk = BT_PAGE_SIZE - ((la + off) & (BT_PAGE_SIZE - 1));
		gpa_t pa;
		if (!mmu_translate(m, la + off, acc | MMU_ACC_WRITE, &pa))
			return false;
		off += chunk;
	}
	while (len > 0) {
		uint32_t chunk = BT_PAGE_SIZE - (la & (BT_PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		gpa_t pa;
		if (!mmu_translate(m, la, acc | MMU_ACC_WRITE, &pa))
			return false;
		if (mmu_is_code_page(m, pa) && on_code_write)
			on_code_write(ctx, pa & BT_PAGE_MASK);
		copy_bytes(m->ram + pa, src, chunk);
		src += chunk;
		la += chunk;
		len -= chunk;
	}
	return true;
}

bool mmu_read_gla(struct mmu *m, gla_t la, void *buf, uint32_t len)
{
	return mmu_copy_from_gla(m, la, buf, len, 0);
}

bool mmu_write_gla(struct mmu *m, gla_t la, const void *buf, uint32_t len,
		   void (*on_code_write)(void *ctx, gpa_t page), void *ctx)
{
	return mmu_copy_to_gla(m, la, buf, len, 0, on_code_write, ctx);
}
