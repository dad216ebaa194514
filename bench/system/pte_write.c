/*
 * pte_write.c — changing the mapping of a page in use (Adams & Agesen's
 * "ptemod"): write the PTE of a mapped page, then INVLPG it, as an OS does
 * when it remaps, write-protects or pages out.
 *
 *	pte_write.elf           pte_write: PTE write + INVLPG + one read
 *	                        through the new mapping, so the page is mapped
 *	                        (in the TLB, and in btmon's shadow) again before
 *	                        the next update
 *	pte_write.elf touch=0   pte_write_notouch: PTE write + INVLPG only;
 *	                        after the first, the page is never in the
 *	                        shadow when INVLPG runs
 *
 * The PTE of SB_LIN(0) alternates between two frames, both present.
 */
#include "sysbench.h"

static uint32_t touch = 1;

static uint64_t update_body(uint32_t n)
{
	uint32_t x = SB_FRAME(0) | PTE_P | PTE_W | PTE_A, y = SB_FRAME(1) | PTE_P | PTE_W | PTE_A;
	uint32_t p = SB_LIN(0), v;
	volatile uint32_t *pte = &sb_pt_test_a[0];
	uint64_t t0 = rdtsc();
	if (touch)
		__asm__ volatile("1:\tmovl %[y], (%[pte])\n\tinvlpg (%[p])\n\tmovl (%[p]), %[v]\n\t"
				 "xchgl %[x], %[y]\n\tdecl %[n]\n\tjnz 1b"
				 : [n] "+r"(n), [x] "+r"(x), [y] "+r"(y), [v] "=&r"(v)
				 : [p] "r"(p), [pte] "r"(pte) : "memory", "cc");
	else
		__asm__ volatile("1:\tmovl %[y], (%[pte])\n\tinvlpg (%[p])\n\t"
				 "xchgl %[x], %[y]\n\tdecl %[n]\n\tjnz 1b"
				 : [n] "+r"(n), [x] "+r"(x), [y] "+r"(y)
				 : [p] "r"(p), [pte] "r"(pte) : "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	if (!sysbench_start(magic, info, &a) || !sysbench_arg(&a, "touch", 0, 1, &touch))
		return 1;
	sysbench_paging_on(true);
	sb_pt_test_a[0] = SB_FRAME(0) | PTE_P | PTE_W | PTE_A;
	sysbench_measure(touch ? "pte_write" : "pte_write_notouch", update_body, 0, &a);
	return 0;
}
