/*
 * native_main.c — the benchmark as a native 32-bit Linux program,
 * bench_native: the same bench_kernel() object code the guest runs (built
 * from bench/kernels/compute.c with the guest's code-generation flags; see
 * bench/meson.build), timed the same way and reported in the same line.
 *
 *	bench_native n=3000
 */
#include <inttypes.h>
#include <stdio.h>

#include "bench.h"
#include "compute.h"

int main(int argc, char **argv)
{
	uint32_t n = BENCH_N_DEFAULT, result;
	uint64_t t0, t1;

	if (argc > 2 || (argc == 2 && !bench_parse_n(argv[1], &n))) {
		fprintf(stderr, "usage: %s [n=ROUNDS]  (ROUNDS from 1 to 10^9)\n", argv[0]);
		return 2;
	}
	t0 = bench_rdtsc();
	result = bench_kernel(n);
	t1 = bench_rdtsc();
	printf("bench: n=%" PRIu32 " result=0x%08" PRIx32 " cycles=%" PRIu64 "\n", n, result,
	       t1 - t0);
	return 0;
}
