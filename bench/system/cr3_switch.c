/*
 * cr3_switch.c — switching between two address spaces, as a context switch
 * does, each time using a page that only the new address space maps.
 *
 *	cr3_switch.elf             cr3_switch_global: the kernel's 0–4 MiB are
 *	                           global pages (CR4.PGE), so a CR3 write keeps
 *	                           them, as Linux does for its kernel
 *	cr3_switch.elf global=0    cr3_switch_nonglobal: everything is
 *	                           non-global and is flushed by every CR3 write
 *	cr3_switch.elf touch=0     cr3_switch_notouch: the CR3 writes alone
 *	                           (global kernel), without the reads: what the
 *	                           switch costs before anything is refilled
 *
 * Address spaces A (sb_pd_a) and B (sb_pd_b) share the kernel and both map
 * SB_LIN(0), onto different frames. One operation = one MOV to CR3 (to the
 * other address space) + one read of SB_LIN(0) (unless touch=0). Both address spaces stay the
 * same throughout: a monitor that keeps the shadows of recent address spaces
 * ("cached address spaces", DESIGN.md §5) can switch without refilling.
 */
#include "sysbench.h"

#define WORD(a) (*(volatile uint32_t *)(a))

static uint32_t touch = 1;

static uint64_t switch_body(uint32_t n)
{
	uint32_t a = (uint32_t)sb_pd_a, b = (uint32_t)sb_pd_b, p = SB_LIN(0), v;
	uint64_t t0 = rdtsc();
	if (touch)
		__asm__ volatile("1:\tmovl %[b], %%cr3\n\tmovl (%[p]), %[v]\n\txchgl %[a], %[b]\n\t"
				 "decl %[n]\n\tjnz 1b"
				 : [n] "+r"(n), [a] "+r"(a), [b] "+r"(b), [v] "=&r"(v)
				 : [p] "r"(p) : "memory", "cc");
	else
		__asm__ volatile("1:\tmovl %[b], %%cr3\n\txchgl %[a], %[b]\n\tdecl %[n]\n\tjnz 1b"
				 : [n] "+r"(n), [a] "+r"(a), [b] "+r"(b) : : "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	uint32_t global = 1;
	if (!sysbench_start(magic, info, &a) || !sysbench_arg(&a, "global", 0, 1, &global) ||
	    !sysbench_arg(&a, "touch", 0, 1, &touch))
		return 1;
	WORD(SB_FRAME(0)) = 0xaaaa;      /* physical: paging is still off */
	WORD(SB_FRAME(1)) = 0xbbbb;
	sysbench_paging_on(global);
	sb_pt_test_a[0] = SB_FRAME(0) | PTE_P | PTE_W | PTE_A;
	sb_pt_test_b[0] = SB_FRAME(1) | PTE_P | PTE_W | PTE_A;

	write_cr3((uint32_t)sb_pd_b);
	uint32_t in_b = WORD(SB_LIN(0));
	write_cr3((uint32_t)sb_pd_a);
	uint32_t in_a = WORD(SB_LIN(0));
	if (in_a != 0xaaaa || in_b != 0xbbbb) {
		console_printf("bench: cr3_switch: SB_LIN(0) reads %x in A, %x in B (want aaaa, bbbb)\n",
			       in_a, in_b);
		return 1;
	}
	sysbench_measure(!touch ? (global ? "cr3_switch_notouch" : "cr3_switch_nonglobal_notouch") :
			 global ? "cr3_switch_global" : "cr3_switch_nonglobal", switch_body, 0, &a);
	return 0;
}
