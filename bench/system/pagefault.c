/*
 * pagefault.c — a true page fault delivered to the guest (Adams & Agesen's
 * "pgfault"): the guest touches a not-present page, its #PF handler maps the
 * page (writes the PTE) and returns, and the touch is retried.
 *
 *	pagefault.elf          page_fault_true: the touching loop at CPL 0
 *	pagefault.elf cpl=3    page_fault_true_cpl3: at CPL 3 (demand paging
 *	                       of a user process: the fault switches stacks)
 *
 * The loop alternates between two pages, SB_LIN(0) and SB_LIN(1). The
 * handler, a bare assembly stub (no C dispatch), maps the page that faulted
 * and unmaps the other one (PTE cleared, INVLPG), so every touch faults:
 * one operation = one #PF delivered, handled (CR2 read, two PTE writes,
 * INVLPG) and returned from with IRET, plus the retried load.
 */
#include "sysbench.h"

void pf_entry(void);

/* The stub, with the layout's constants as immediates. */
__attribute__((used)) static void pf_stub_holder(void)
{
	__asm__ volatile(".pushsection .text\n"
			 ".globl pf_entry\npf_entry:\n\t"
			 "pushl %%eax\n\tpushl %%ecx\n\t"
			 "movl %%cr2, %%eax\n\t"
			 "subl $%c[lin0], %%eax\n\t"
			 "shrl $12, %%eax\n\t"                 /* k: 0 or 1 */
			 "movl %%eax, %%ecx\n\t"
			 "shll $12, %%ecx\n\t"
			 "addl $%c[pte0], %%ecx\n\t"
			 "movl %%ecx, sb_pt_test_a(,%%eax,4)\n\t"   /* map page k */
			 "xorl $1, %%eax\n\t"
			 "movl $0, sb_pt_test_a(,%%eax,4)\n\t"      /* unmap the other */
			 "shll $12, %%eax\n\t"
			 "invlpg %c[lin0](%%eax)\n\t"
			 "popl %%ecx\n\tpopl %%eax\n\t"
			 "addl $4, %%esp\n\t"                  /* the error code */
			 "iret\n"
			 ".popsection"
			 : : [lin0] "i"(SB_LIN(0)), [pte0] "i"(SB_FRAME(0) | PTE_P | PTE_W | PTE_U));
}

static uint64_t touch_body(uint32_t n)
{
	uint32_t p = SB_LIN(0), v;
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl (%1), %2\n\txorl $0x1000, %1\n\tdecl %0\n\tjnz 1b"
			 : "+r"(n), "+r"(p), "=&r"(v) : : "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	uint32_t cpl = 0;
	if (!sysbench_start(magic, info, &a) || !sysbench_arg(&a, "cpl", 0, 3, &cpl))
		return 1;
	if (cpl != 0 && cpl != 3) {
		console_printf("bench: cpl=%u: want 0 or 3\n", cpl);
		return 1;
	}
	sysbench_paging_on(true);
	sysbench_set_gate(14, pf_entry, 0);
	sysbench_measure(cpl ? "page_fault_true_cpl3" : "page_fault_true", touch_body, cpl, &a);
	return 0;
}
