/*
 * cpu.c — integer CPU loop: xorshift, multiply, divide, branches and loads
 * and stores in a 16 KiB table. No system calls inside the loop.
 */
#include <stdint.h>

#include "workload.h"

static uint32_t table[4096];

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 360000000ul);
	uint32_t x = 2463534242u, acc = 0;
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		table[x & 4095] += x;
		acc += table[(x >> 12) & 4095] * 2654435761u;
		if (acc & 1)
			acc ^= (uint32_t)i;
		if ((i & 255) == 0)
			acc += x / ((acc | 1) & 0xffff);
	}
	double t1 = wl_now();
	return wl_report("cpu", t1 - t0, acc);
}
