/*
 * triple_fault.c — a guest that triple faults: with an empty IDT (limit 0),
 * UD2's #UD cannot be delivered (#GP), nor can that #GP (#DF), nor the #DF:
 * the CPU shuts down. Under btmon -no-reboot that must be a clean stop with
 * a register dump on stderr and a non-zero status — never a host crash
 * (meson.build runs it with should_fail, and through expect_status.sh to
 * check the dump). Without -no-reboot the machine would reset and run this
 * again forever.
 */
#include "sys.h"

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	pic_mask_all();
	console_printf("triple_fault: empty IDT, then UD2\n");
	idt_load(0);
	__asm__ volatile("ud2");
	/* Still running: the machine missed the shutdown. Power off with
	 * status 0, which the should_fail test counts as a failure. */
	console_printf("FAIL the CPU continued after a triple fault\n");
	return 0;
}
