/*
 * arena.c — the code arena and the block metadata arena.
 *
 * The arena is a memfd mapped twice: a writable view the cache copies code
 * into and patches, and an executable view translated code runs from, so no
 * page is ever writable and executable at once (W^X). Both arenas are bump
 * allocated and only ever reset whole (tc_flush): a dropped block's code stays
 * valid until then, which lets a block finish running after it was dropped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "cache_int.h"

#define TC_BUCKETS (1u << 16)

bt_status tc_init(struct tc *tc, size_t arena_bytes, uint32_t ram_bytes)
{
	memset(tc, 0, sizeof(*tc));
	tc->arena_size = (arena_bytes + 4095) & ~(size_t)4095;
	tc->arena_fd = memfd_create("btmon-code-arena", MFD_CLOEXEC);
	if (tc->arena_fd < 0)
		return BT_ERR_HOST;
	if (ftruncate(tc->arena_fd, (off_t)tc->arena_size) != 0)
		goto fail_fd;
	tc->arena_rw = mmap(NULL, tc->arena_size, PROT_READ | PROT_WRITE, MAP_SHARED, tc->arena_fd, 0);
	if (tc->arena_rw == MAP_FAILED)
		goto fail_fd;
	tc->arena_rx = mmap(NULL, tc->arena_size, PROT_READ | PROT_EXEC, MAP_SHARED, tc->arena_fd, 0);
	if (tc->arena_rx == MAP_FAILED)
		goto fail_rw;
	tc->meta_size = tc->arena_size;  /* metadata is about as large as code */
	tc->meta = malloc(tc->meta_size);
	tc->nbuckets = TC_BUCKETS;
	tc->buckets = calloc(tc->nbuckets, sizeof(*tc->buckets));
	tc->npages = (ram_bytes + 4095) / 4096;
	tc->page_heads = calloc(tc->npages ? tc->npages : 1, sizeof(*tc->page_heads));
	tc->cap_blocks = 1024;
	tc->by_addr = malloc(tc->cap_blocks * sizeof(*tc->by_addr));
	if (!tc->meta || !tc->buckets || !tc->page_heads || !tc->by_addr) {
		tc_fini(tc);
		return BT_ERR_NOMEM;
	}
	return BT_OK;

fail_rw:
	munmap(tc->arena_rw, tc->arena_size);
fail_fd:
	close(tc->arena_fd);
	tc->arena_fd = -1;
	return BT_ERR_HOST;
}

void tc_fini(struct tc *tc)
{
	if (tc->arena_rx && tc->arena_rx != MAP_FAILED)
		munmap(tc->arena_rx, tc->arena_size);
	if (tc->arena_rw && tc->arena_rw != MAP_FAILED)
		munmap(tc->arena_rw, tc->arena_size);
	if (tc->arena_fd >= 0)
		close(tc->arena_fd);
	free(tc->meta);
	free(tc->buckets);
	free(tc->page_heads);
	free(tc->by_addr);
	memset(tc, 0, sizeof(*tc));
	tc->arena_fd = -1;
}

size_t arena_alloc(struct tc *tc, size_t len)
{
	size_t at = (tc->arena_used + 15) & ~(size_t)15;  /* 16-byte aligned blocks */
	if (at + len > tc->arena_size)
		return SIZE_MAX;
	tc->arena_used = at + len;
	return at;
}

void *meta_alloc(struct tc *tc, size_t len)
{
	size_t at = (tc->meta_used + 15) & ~(size_t)15;
	if (at + len > tc->meta_size)
		return NULL;
	tc->meta_used = at + len;
	memset(tc->meta + at, 0, len);
	return tc->meta + at;
}

void tc_flush(struct tc *tc)
{
	memset(tc->buckets, 0, tc->nbuckets * sizeof(*tc->buckets));
	memset(tc->page_heads, 0, tc->npages * sizeof(*tc->page_heads));
	tc->nblocks = 0;
	tc->arena_used = 0;
	tc->meta_used = 0;
	tc->stats.flushes++;
	if (tc->on_flush)
		tc->on_flush(tc->ctx);
}

uint64_t tc_hash_code(const void *bytes, size_t len)
{
	return XXH3_64bits(bytes, len);
}
