/*
 * start.S — the Multiboot header and entry point shared by every guest kernel
 * (guests/demo and the test guests in tests/guests). guest.ld links the
 * .multiboot section first.
 *
 * Contract with the guest's C code:
 *	int guest_main(uint32_t magic, const struct mb_info *info);
 * is called with interrupts off, DF clear, ESP at the top of a 16 KiB stack
 * in .bss (16-byte aligned at the call, as the i386 SysV ABI wants). Its
 * return value is written with `out %eax, %dx` to the isa-debug-exit port
 * 0xF4: the host (btmon, or QEMU with -device isa-debug-exit,iobase=0xf4,
 * iosize=4) exits with status (value << 1) | 1. If the port is absent the
 * CPU halts forever.
 */

#define MB_HEADER_MAGIC  0x1BADB002
#define MB_PAGE_ALIGN    (1 << 0)   /* boot modules page aligned */
#define MB_MEMORY_INFO   (1 << 1)   /* we want mem_lower/mem_upper and the mmap */
#define MB_HEADER_FLAGS  (MB_PAGE_ALIGN | MB_MEMORY_INFO)
#define DEBUG_EXIT_PORT  0xF4
#define PM1A_CNT_PORT    0x604       /* ACPI PM1a control: power off */
#define PM1_SLP_EN       0x2000
#define STACK_SIZE       16384

	/* Multiboot Specification 0.6.96 §3.1.1: magic, flags, checksum. */
	.section .multiboot, "a"
	.p2align 2
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl $boot_stack_top, %esp
	xorl %ebp, %ebp
	subl $8, %esp              /* 8 + two pushes = 16: aligned at the call */
	pushl %ebx                 /* Multiboot information (physical address) */
	pushl %eax                 /* 0x2BADB002 from a Multiboot loader */
	call guest_main
	testl %eax, %eax
	jnz 2f
	movw $PM1A_CNT_PORT, %dx
	movw $PM1_SLP_EN, %ax
	outw %ax, %dx
2:	movw $DEBUG_EXIT_PORT, %dx
	outl %eax, %dx
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.section .bss
	.p2align 4
boot_stack:
	.skip STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
