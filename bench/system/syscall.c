/*
 * syscall.c — system call round trips from CPL 3, the first of Adams &
 * Agesen's (2006) nanobenchmarks:
 *
 *	syscall.elf               syscall_int80: INT 0x80 through a DPL 3
 *	                          interrupt gate to a handler that only IRETs
 *	syscall.elf sysenter=1    syscall_sysenter: SYSENTER to an entry that
 *	                          does STI; SYSEXIT (as Linux's fast path ends)
 *
 * Each operation is one round trip user → kernel → user, with the stack
 * switch through the TSS (INT) or the SYSENTER MSRs. A guest kernel cannot
 * run natively on a Linux host; native.c times the closest host operation,
 * a real getppid() by INT 0x80 and by the vDSO's SYSENTER, in a 32-bit
 * Linux process.
 */
#include "sysbench.h"

#define MSR_SYSENTER_CS  0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

void int80_entry(void);
void sysenter_entry(void);
__asm__(".text\n"
	".globl int80_entry\nint80_entry:\n\tiret\n"
	".globl sysenter_entry\nsysenter_entry:\n\tsti\n\tsysexit\n");

static uint64_t int80_body(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tint $0x80\n\tdecl %0\n\tjnz 1b" : "+r"(n) : : "memory", "cc");
	return rdtsc() - t0;
}

/* SYSEXIT returns to EDX with ESP = ECX. */
static uint64_t sysenter_body(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl %%esp, %%ecx\n\tmovl $2f, %%edx\n\tsysenter\n"
			 "2:\tdecl %0\n\tjnz 1b"
			 : "+b"(n) : : "ecx", "edx", "memory", "cc");
	return rdtsc() - t0;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	struct sysbench_args a;
	uint32_t use_sysenter = 0;
	if (!sysbench_start(magic, info, &a) || !sysbench_arg(&a, "sysenter", 0, 1, &use_sysenter))
		return 1;
	sysbench_paging_on(true);
	if (use_sysenter) {
		wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
		wrmsr(MSR_SYSENTER_ESP, sysbench_kstack_top());
		wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
		sysbench_measure("syscall_sysenter", sysenter_body, 3, &a);
	} else {
		sysbench_set_gate(0x80, int80_entry, 3);
		sysbench_measure("syscall_int80", int80_body, 3, &a);
	}
	return 0;
}
