/*
 * bench.h — what the two benchmark drivers share, so that the guest
 * (guest_main.c) and the native program (native_main.c) read n the same way
 * and time the kernel the same way. Header-only: the guest has no libc.
 *
 * Both drivers print one line that bench/run.sh parses:
 *	bench: n=3000 result=0x1c0ffee5 cycles=3012345678
 * cycles are RDTSC ticks (the host's constant-rate TSC: btmon passes RDTSC
 * through) around the bench_kernel() call only.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

/* The time-stamp counter (Intel SDM Vol. 2B, RDTSC), EDX:EAX as 64 bits. */
static inline uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * Find a word "n=DIGITS" in the space-separated string s (a Multiboot command
 * line, which QEMU prefixes with the kernel's file name; or argv[1]) and
 * store DIGITS in *n. Leaves *n alone and returns true if there is no such
 * word; returns false if there is one but its value is not a decimal number
 * from 1 to 10^9.
 */
static inline bool bench_parse_n(const char *s, uint32_t *n)
{
	while (*s) {
		uint32_t v = 0;
		const char *d;

		while (*s == ' ')
			s++;
		if (s[0] != 'n' || s[1] != '=') {
			while (*s && *s != ' ')
				s++;
			continue;
		}
		for (d = s + 2; *d >= '0' && *d <= '9'; d++) {
			if (v > 100000000u)
				return false;
			v = v * 10 + (uint32_t)(*d - '0');
		}
		if (d == s + 2 || (*d && *d != ' ') || v == 0 || v > 1000000000u)
			return false;
		*n = v;
		return true;
	}
	return true;
}

#endif
