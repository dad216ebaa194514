/*
 * user.c — CPL 3 for the system guest kernels (rings.c, segload.c) and the
 * bench/system kernels (sysbench.c): a TSS
 * whose SS0:ESP0 is user_kstack, IRET into a user function on its own stack,
 * and INT 0x81 (a DPL 3 gate) back to the kernel for good, returning from
 * run_user. User code is C in the kernel image; the caller maps it for CPL 3.
 */
#include "sys.h"

struct tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
};

static struct tss tss;
uint8_t user_kstack[8192] __attribute__((aligned(4096)));
static uint8_t ustack[8192] __attribute__((aligned(4096)));
static volatile uint32_t saved_esp __attribute__((used)), user_fn, user_sp, user_flags;
extern char user_return[];

static void on_exit_to_kernel(struct trap_frame *f)
{
	f->eip = (uint32_t)user_return;
	f->cs = SEL_KCODE;
	f->eflags = 0x2;
}

void user_init(void)
{
	tss.ss0 = SEL_KDATA;
	tss.esp0 = (uint32_t)(user_kstack + sizeof(user_kstack));
	tss.iomap_base = sizeof(tss);             /* beyond the limit: no I/O bitmap */
	gdt_set(SEL_TSS, (uint32_t)&tss, sizeof(tss) - 1, DESC_TSS32, 0);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	idt_set_handler(0x81, on_exit_to_kernel);
	idt_set_gate(0x81, 0, 3);
}

void run_user(void (*fn)(void))
{
	run_user_flags(fn, 0x202);
}

__attribute__((noinline)) void run_user_flags(void (*fn)(void), uint32_t eflags)
{
	user_flags = eflags;
	user_fn = (uint32_t)fn;
	user_sp = (uint32_t)(ustack + sizeof(ustack) - 16);
	__asm__ volatile("pushal\n\t"
			 "movl %%esp, saved_esp\n\t"
			 "pushl %0\n\tpushl user_sp\n\tpushl user_flags\n\tpushl %1\n\tpushl user_fn\n\t"
			 "movl %0, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t"
			 "iret\n"
			 "user_return:\n\t"
			 "movl %2, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t"
			 "movl saved_esp, %%esp\n\t"
			 "popal"
			 : : "i"(SEL_UDATA), "i"(SEL_UCODE), "i"(SEL_KDATA) : "memory", "cc");
}
