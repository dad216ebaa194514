/*
 * host_measure.h — the timing loop of the host-side system benchmarks
 * (native.c, an i386 Linux process; hostprobe.c, an x86-64 one): a warm-up
 * run, then `reps` timed runs of a body that returns ticks for n operations;
 * prints the same "bench:" line the guest kernels print, so run.sh parses
 * every column alike. Define MAX_REPS before including it.
 */
#ifndef SYSBENCH_HOST_MEASURE_H
#define SYSBENCH_HOST_MEASURE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t (*body_fn)(uint32_t n);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void measure(const char *name, body_fn body, uint32_t n, uint32_t reps)
{
	uint64_t per[MAX_REPS], warm = body(n) / n;
	for (uint32_t r = 0; r < reps; r++)
		per[r] = body(n) / n;
	qsort(per, reps, sizeof(per[0]), cmp_u64);
	uint64_t med = reps & 1 ? per[reps / 2] : (per[reps / 2 - 1] + per[reps / 2]) / 2;
	printf("bench: %s cycles_per_op=%" PRIu64 " n=%" PRIu32 " reps=%" PRIu32 " min=%" PRIu64
	       " max=%" PRIu64 " warmup=%" PRIu64 "\n", name, med, n, reps, per[0], per[reps - 1], warm);
	fflush(stdout);
}

#endif
