/*
 * privinsn.c — the bare cost of one exit to a monitor procedure: MOV EAX,
 * CR0 at CPL 0, a sensitive instruction that btmon's translator turns into
 * an exit to C (DESIGN.md §3) and that does almost nothing there. Natively
 * it takes a few cycles. Every other benchmark's exits cost at least this.
 *
 *	privinsn.elf    privinsn_cr0_read: cycles per MOV from CR0
 */
#include "sysbench.h"

static uint64_t read_body(uint32_t n)
{
	uint32_t v;
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl %%cr0, %1\n\tdecl %0\n\tjnz 1b"
			 : "+r"(n), "=&r"(v) : : "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	if (!sysbench_start(magic, info, &a))
		return 1;
	sysbench_paging_on(true);
	sysbench_measure("privinsn_cr0_read", read_body, 0, &a);
	return 0;
}
