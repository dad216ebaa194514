/*
 * demo.c — btmon's demo guest: a tiny Multiboot kernel that shows a
 * translated guest doing the things a kernel does, and checks each one.
 *
 * Built by guests/meson.build into demo.elf (with guests/common/start.S,
 * console.c, mem.c) and embedded into btmon as btmon_demo_guest[]. It runs
 * unchanged under QEMU:
 *	qemu-system-i386 -kernel demo.elf -nographic -no-reboot \
 *		-device isa-debug-exit,iobase=0xf4,iosize=4 -append hello
 *
 * In order it: prints a banner on COM1, prints the Multiboot magic and
 * command line, toggles IF with CLI/STI and POPF and reads it back with
 * PUSHF, round-trips the UART scratch register through port I/O, checks the
 * loader zeroed .bss, counts primes below 50000 with a sieve, and checksums a
 * buffer after an overlapping memmove. It returns 0 if every check passed,
 * 1 otherwise; start.S writes that to the debug-exit port.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "io.h"
#include "mem.h"
#include "multiboot.h"

#define PIC1_DATA     0x21          /* master 8259A interrupt mask */
#define PIC2_DATA     0xA1          /* slave 8259A interrupt mask */
#define UART_SCR      (COM1_BASE + 7)   /* 16550A scratch register */
#define PRIME_LIMIT   50000u
#define PRIME_COUNT   5133u         /* primes below 50000 */
#define CSUM_LEN      4096u
#define CSUM_EXPECTED 0xd19df771u   /* Adler-32 of the buffer demo_checksum builds */

static unsigned demo_failures;
static uint8_t demo_sieve[PRIME_LIMIT];   /* .bss: must arrive zeroed */
static uint8_t demo_buf[CSUM_LEN];

/* Report one check: "ok" or what went wrong. */
static void demo_check(const char *what, uint32_t got, uint32_t want)
{
	if (got == want) {
		console_printf("demo: ok   %s\n", what);
		return;
	}
	console_printf("demo: FAIL %s: got 0x%x, expected 0x%x\n", what, got, want);
	demo_failures++;
}

/* POPF f, then PUSHF: EFLAGS as the CPU kept them (one asm block, so no
 * compiler-generated instruction can touch the flags in between). */
static uint32_t demo_popf_pushf(uint32_t f)
{
	__asm__ volatile("pushl %0; popfl; pushfl; popl %0" : "+r"(f) : : "memory", "cc");
	return f;
}

static void demo_boot_info(uint32_t magic, const struct mb_info *info)
{
	console_printf("demo: multiboot magic 0x%08x\n", magic);
	demo_check("boot magic in eax", magic, MB_BOOT_MAGIC);
	if (magic != MB_BOOT_MAGIC || !info)
		return;
	if (info->flags & MB_INFO_CMDLINE)
		console_printf("demo: command line \"%s\"\n", (const char *)(uintptr_t)info->cmdline);
	if (info->flags & MB_INFO_LOADER_NAME)
		console_printf("demo: boot loader \"%s\"\n",
			       (const char *)(uintptr_t)info->boot_loader_name);
	if (info->flags & MB_INFO_MEM)
		console_printf("demo: memory %u KiB low, %u KiB high\n", info->mem_lower,
			       info->mem_upper);
}

/* CLI/STI and POPF change IF; PUSHF shows it. The PICs are masked first so
 * no interrupt arrives while IF = 1 (there is no IDT). */
static void demo_interrupt_flag(void)
{
	uint32_t f;

	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	cli();
	f = read_eflags();
	demo_check("pushf after cli shows IF=0", f & EFLAGS_IF, 0);
	sti();
	demo_check("pushf after sti shows IF=1", read_eflags() & EFLAGS_IF, EFLAGS_IF);
	cli();
	demo_check("popf sets IF", demo_popf_pushf(f | EFLAGS_IF) & EFLAGS_IF, EFLAGS_IF);
	demo_check("popf clears IF", demo_popf_pushf(f & ~EFLAGS_IF) & EFLAGS_IF, 0);
	demo_check("popf sets CF", demo_popf_pushf(f | EFLAGS_CF) & EFLAGS_CF, EFLAGS_CF);
	cli();
}

/* The 16550A scratch register keeps whatever was written to it. */
static void demo_port_io(void)
{
	static const uint8_t values[] = { 0x5a, 0xa5, 0x00, 0xff };
	uint32_t bad = 0;

	for (size_t i = 0; i < sizeof values; i++) {
		outb(UART_SCR, values[i]);
		if (inb(UART_SCR) != values[i])
			bad++;
	}
	demo_check("UART scratch register 0x3ff reads back", bad, 0);
}

static void demo_primes(void)
{
	uint32_t nonzero = 0, count = 0;

	for (uint32_t i = 0; i < PRIME_LIMIT; i++)
		nonzero += demo_sieve[i] != 0;
	demo_check(".bss is zero at entry", nonzero, 0);

	/* demo_sieve[i] != 0: i is composite. */
	for (uint32_t i = 2; i * i < PRIME_LIMIT; i++)
		if (!demo_sieve[i])
			for (uint32_t j = i * i; j < PRIME_LIMIT; j += i)
				demo_sieve[j] = 1;
	for (uint32_t i = 2; i < PRIME_LIMIT; i++)
		count += !demo_sieve[i];
	console_printf("demo: primes below %u: %u\n", PRIME_LIMIT, count);
	demo_check("prime count", count, PRIME_COUNT);
}

/* Adler-32 (RFC 1950) of buf[0..n). */
static uint32_t demo_adler32(const uint8_t *buf, size_t n)
{
	uint32_t a = 1, b = 0;

	for (size_t i = 0; i < n; i++) {
		a = (a + buf[i]) % 65521u;
		b = (b + a) % 65521u;
	}
	return b << 16 | a;
}

/* Fill a buffer, shift it up one byte with an overlapping memmove (a
 * backwards REP MOVSB), and checksum it. */
static void demo_checksum(void)
{
	uint32_t sum;

	for (uint32_t i = 0; i < CSUM_LEN; i++)
		demo_buf[i] = (uint8_t)(i * 7 + 3);
	memmove(demo_buf + 1, demo_buf, CSUM_LEN - 1);
	sum = demo_adler32(demo_buf, CSUM_LEN);
	console_printf("demo: adler32 of %u bytes: 0x%08x\n", CSUM_LEN, sum);
	demo_check("buffer checksum", sum, CSUM_EXPECTED);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	console_init();
	console_puts("btmon demo guest: hello from a translated kernel\n");
	demo_boot_info(magic, info);
	demo_interrupt_flag();
	demo_port_io();
	demo_primes();
	demo_checksum();
	if (demo_failures) {
		console_printf("demo: %u check(s) FAILED\n", demo_failures);
		return 1;
	}
	console_puts("demo: all checks passed\n");
	return 0;
}
