/*
 * shadow_fill.c — the hidden page fault (Adams & Agesen §2.4): the guest
 * touches a page that is present in its own page tables but not in the
 * monitor's shadow of them. The guest sees nothing; natively this is a TLB
 * miss that the hardware walk serves in tens of cycles.
 *
 *	shadow_fill.elf        shadow_fill_hidden: cycles per first touch
 *
 * SB_PAGES test pages are present (non-global, accessed already), the
 * kernel's pages global. Each round reloads CR3 with its own value — which
 * flushes the non-global translations, so the shadow forgets the test pages
 * — and then reads one word of each test page once. Only the reads are
 * timed, not the CR3 write.
 */
#include "sysbench.h"

#define SB_PAGES 256u

static uint64_t touch_body(uint32_t n)
{
	uint64_t ticks = 0;
	while (n) {
		uint32_t k = n < SB_PAGES ? n : SB_PAGES, p = SB_LIN(0), v;
		n -= k;
		write_cr3((uint32_t)sb_pd_a);
		uint64_t t0 = rdtsc();
		__asm__ volatile("1:\tmovl (%1), %2\n\taddl $0x1000, %1\n\tdecl %0\n\tjnz 1b"
				 : "+r"(k), "+r"(p), "=&r"(v) : : "memory", "cc");
		ticks += rdtsc() - t0;
	}
	return ticks;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	if (!sysbench_start(magic, info, &a))
		return 1;
	sysbench_paging_on(true);
	for (uint32_t k = 0; k < SB_PAGES; k++)
		sb_pt_test_a[k] = SB_FRAME(k) | PTE_P | PTE_W | PTE_A;
	sysbench_measure("shadow_fill_hidden", touch_body, 0, &a);
	return 0;
}
