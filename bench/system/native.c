/*
 * native.c — sysbench_native: the host side of the system microbenchmarks,
 * a static 32-bit Linux program (gcc -m32) that prints, in the guests'
 * format (sysbench.h), what run.sh compares them with:
 *
 *	sysbench_native [n=OPS] [reps=R]
 *
 *	bench: tsc_hz=...            the TSC's rate against CLOCK_MONOTONIC,
 *	                             to turn cycles into microseconds
 *	native_getppid_int80         getppid() by INT 0x80: the guests' syscall
 *	                             loop, with a real system call behind it
 *	native_getppid_sysenter      getppid() through the vDSO's
 *	                             __kernel_vsyscall (SYSENTER on Intel)
 *	native_fault_madvise         a Linux page fault: touch a shared memfd
 *	                             page after MADV_DONTNEED dropped it (the
 *	                             guests' page-fault loop: a fault maps one
 *	                             page, the other is unmapped)
 *
 * hostprobe.c measures the host operations btmon itself is made of.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define MAX_REPS 31
#include "host_measure.h"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per second over 200 ms of CLOCK_MONOTONIC (busy: no sleep, so
 * the CPU stays at its running clock, though the TSC has a constant rate). */
static uint64_t tsc_hz(void)
{
	uint64_t n0 = now_ns(), t0 = rdtsc(), n1, t1;
	do {
		n1 = now_ns();
		t1 = rdtsc();
	} while (n1 - n0 < 200000000u);
	return (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0));
}


static uint64_t getppid_int80(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl %1, %%eax\n\tint $0x80\n\tdecl %0\n\tjnz 1b"
			 : "+r"(n) : "i"(SYS_getppid) : "eax", "memory", "cc");
	return rdtsc() - t0;
}

static uint32_t vsyscall;   /* __kernel_vsyscall, from AT_SYSINFO */

static uint64_t getppid_vsyscall(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1:\tmovl %2, %%eax\n\tcall *%1\n\tdecl %0\n\tjnz 1b"
			 : "+r"(n) : "r"(vsyscall), "i"(SYS_getppid) : "eax", "memory", "cc");
	return rdtsc() - t0;
}

static volatile uint8_t *pages;   /* two pages of a memfd */

static uint64_t fault_madvise(uint32_t n)
{
	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		unsigned k = i & 1;
		(void)pages[k * PAGE];
		madvise((void *)(pages + (k ^ 1) * PAGE), PAGE, MADV_DONTNEED);
	}
	return rdtsc() - t0;
}

/* Read "key=DIGITS" words from argv; false on anything else. */
static int parse_args(int argc, char **argv, uint32_t *n, uint32_t *reps)
{
	for (int i = 1; i < argc; i++) {
		char *end;
		unsigned long v;
		uint32_t *out = !strncmp(argv[i], "n=", 2) ? n : !strncmp(argv[i], "reps=", 5) ? reps : NULL;
		if (!out)
			return 0;
		errno = 0;
		v = strtoul(strchr(argv[i], '=') + 1, &end, 10);
		if (errno || *end || end == strchr(argv[i], '=') + 1 || v < 1 ||
		    v > (out == n ? 100000000ul : MAX_REPS))
			return 0;
		*out = (uint32_t)v;
	}
	return 1;
}

int main(int argc, char **argv)
{
	uint32_t n = 1000, reps = 31;
	if (!parse_args(argc, argv, &n, &reps)) {
		fprintf(stderr, "usage: %s [n=OPS (1 to 10^8)] [reps=R (1 to %d)]\n", argv[0], MAX_REPS);
		return 2;
	}
	printf("bench: tsc_hz=%" PRIu64 "\n", tsc_hz());
	measure("native_getppid_int80", getppid_int80, n, reps);
	vsyscall = (uint32_t)getauxval(AT_SYSINFO);
	if (vsyscall)
		measure("native_getppid_sysenter", getppid_vsyscall, n, reps);
	else
		fprintf(stderr, "sysbench_native: no AT_SYSINFO (no 32-bit vDSO): SYSENTER skipped\n");

	int memfd = (int)syscall(SYS_memfd_create, "sysbench", 0);
	if (memfd < 0 || ftruncate(memfd, 2 * PAGE) != 0) {
		perror("sysbench_native: memfd");
		return 1;
	}
	pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (pages == MAP_FAILED) {
		perror("sysbench_native: mmap");
		return 1;
	}
	pages[0] = pages[PAGE] = 1;         /* both pages exist in the memfd now */
	measure("native_fault_madvise", fault_madvise, n, reps);
	return 0;
}
