/*
 * workload.h — the shared frame of the Linux guest workloads (the .c files in bench/linux).
 *
 * Each workload is a static 32-bit program (gcc -m32 -static -O2) that runs
 * the same way natively on the host, in the guest under btmon and in the
 * guest under qemu-system-i386. It times only its own loop with
 * clock_gettime(CLOCK_MONOTONIC) and prints one line,
 *
 *     bench-linux: NAME SECONDS RESULT
 *
 * which bench/linux/run.sh collects. RESULT is a checksum of what the loop
 * computed (or its count): it keeps the compiler from dropping the loop and
 * lets run.sh check that all three machines computed the same thing.
 * The optional first argument replaces the default size of the loop.
 */
#ifndef BENCH_LINUX_WORKLOAD_H
#define BENCH_LINUX_WORKLOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double wl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The loop size: argv[1] if given (a positive number), else fallback. */
static inline unsigned long wl_size(int argc, char **argv, unsigned long fallback)
{
	if (argc < 2)
		return fallback;
	char *end;
	unsigned long n = strtoul(argv[1], &end, 0);
	if (*end != '\0' || n == 0) {
		fprintf(stderr, "%s: size '%s' is not a positive number\n", argv[0], argv[1]);
		exit(2);
	}
	return n;
}

/* Print the result line; returns main's exit status. */
static inline int wl_report(const char *name, double seconds, unsigned long long result)
{
	printf("bench-linux: %s %.6f %llx\n", name, seconds, result);
	return 0;
}

#endif
