/*
 * divzero.c — an exception that involves no MMU (Adams & Agesen's
 * "divzero"): DIV by zero raises #DE, whose handler, a bare assembly stub,
 * steps EIP over the two-byte DIV and IRETs. Next to page_fault_true it
 * separates the cost of delivering a guest exception from the cost of the
 * shadow MMU's part in a page fault.
 *
 *	divzero.elf     divzero: cycles per #DE delivered and returned from
 */
#include "sysbench.h"

void de_entry(void);
__asm__(".text\n"
	".globl de_entry\nde_entry:\n\t"
	"addl $2, (%esp)\n\t"        /* the saved EIP: past "divl %ecx" (f7 f1) */
	"iret\n");

static uint64_t div_body(uint32_t n)
{
	uint32_t zero = 0;
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl $1, %%eax\n\txorl %%edx, %%edx\n\t"
			 "divl %%ecx\n\t"            /* f7 f1, with ECX = 0 */
			 "decl %0\n\tjnz 1b"
			 : "+r"(n) : "c"(zero) : "eax", "edx", "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	if (!sysbench_start(magic, info, &a))
		return 1;
	sysbench_paging_on(true);
	sysbench_set_gate(0, de_entry, 0);
	sysbench_measure("divzero", div_body, 0, &a);
	return 0;
}
