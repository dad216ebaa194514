/*
 * guest_main.c — the benchmark as a guest kernel: bench_guest.elf, a
 * Multiboot kernel built from this file, bench/kernels/compute.c and
 * guests/common (see bench/meson.build). It runs under btmon and QEMU:
 *
 *	btmon -kernel bench_guest.elf -append n=3000
 *	qemu-system-i386 -kernel bench_guest.elf -append n=3000 -nographic \
 *		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4
 *
 * It reads n from the command line, times bench_kernel(n) with RDTSC and
 * prints the line bench.h describes on COM1. Returning 0 powers the machine
 * off (btmon exits 0); 1 (bad command line) leaves through the debug-exit
 * port.
 */
#include <stdint.h>

#include "bench.h"
#include "compute.h"
#include "console.h"
#include "multiboot.h"

/* console_printf has no 64-bit conversions, and 64-bit division would need
 * libgcc: print v in decimal by long division of four 16-bit limbs by 10. */
static void bench_put_u64(uint64_t v)
{
	uint32_t limb[4] = { (uint32_t)(v >> 48), (uint32_t)(v >> 32) & 0xffff,
			     (uint32_t)(v >> 16) & 0xffff, (uint32_t)v & 0xffff };
	char digits[21];
	int nd = 0;
	uint32_t any;

	do {
		uint32_t rem = 0;

		any = 0;
		for (int i = 0; i < 4; i++) {
			uint32_t cur = rem << 16 | limb[i];

			limb[i] = cur / 10;
			rem = cur % 10;
			any |= limb[i];
		}
		digits[nd++] = (char)('0' + rem);
	} while (any);
	while (nd)
		console_putc(digits[--nd]);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	uint32_t n = BENCH_N_DEFAULT, result;
	uint64_t t0, t1;

	console_init();
	if (magic == MB_BOOT_MAGIC && info && (info->flags & MB_INFO_CMDLINE) &&
	    !bench_parse_n((const char *)(uintptr_t)info->cmdline, &n)) {
		console_printf("bench: bad command line \"%s\" (want n=ROUNDS, 1 to 10^9)\n",
			       (const char *)(uintptr_t)info->cmdline);
		return 1;
	}
	t0 = bench_rdtsc();
	result = bench_kernel(n);
	t1 = bench_rdtsc();
	console_printf("bench: n=%u result=0x%08x cycles=", n, result);
	bench_put_u64(t1 - t0);
	console_putc('\n');
	return 0;
}
