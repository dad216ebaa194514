/*
 * hostprobe.c — sysbench_hostprobe: the host operations btmon's shadow MMU
 * is made of, timed in a 64-bit process like btmon's own (DESIGN.md §9
 * lists them; this measures them on the machine the benchmarks ran on):
 *
 *	sysbench_hostprobe [n=OPS] [reps=R]
 *
 *	host_segv_roundtrip   a load from a PROT_NONE page, SIGSEGV (on an
 *	                      alternate stack, as btmon's), the handler only
 *	                      steps RIP over the load: the signal round trip
 *	                      every exit through a host fault pays
 *	host_map_unmap        mmap a memfd page (MAP_SHARED|MAP_FIXED) into a
 *	                      PROT_NONE reservation, then PROT_NONE anonymous
 *	                      memory over it: a shadow fill's and an INVLPG's
 *	                      host calls
 *	host_map_touch_unmap  the same with a load from the page between: the
 *	                      load takes the host page fault that fills in the
 *	                      new mapping's PTE (mmap does not)
 *	host_segv_map_unmap   all together: touch, SIGSEGV, the handler maps
 *	                      the page, the access retries (and faults in the
 *	                      PTE), then the unmap
 *	host_reset_4g         PROT_NONE anonymous memory over a whole 4 GiB
 *	                      window that holds nothing (btmon's view reset)
 *
 * Lines are in the guests' format (sysbench.h); run.sh reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#define PAGE 4096u
#define MAX_REPS 31
#include "host_measure.h"
#define ALTSTACK_SIZE (256u << 10)


static volatile uint8_t *page;   /* one page of a PROT_NONE reservation */
static int memfd = -1;
static int skip_load;            /* on_segv: step over the load, do not map */
static uint8_t *window;          /* a 4 GiB PROT_NONE reservation */
#define WINDOW_SIZE (4ull << 30)

static void map_page(void)
{
	if (mmap((void *)page, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0) !=
	    (void *)page)
		abort();
}

static void unmap_page(void)
{
	if (mmap((void *)page, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) != (void *)page)
		abort();
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	(void)sig;
	if ((volatile uint8_t *)si->si_addr != page)
		abort();
	if (skip_load)
		uc->uc_mcontext.gregs[REG_RIP] += 2;    /* movl (%rdi), %eax: 8b 07 */
	else
		map_page();
}

static uint64_t segv_roundtrip(uint32_t n)
{
	uint64_t t0 = __rdtsc();
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile(".byte 0x8b, 0x07" : : "D"(page) : "eax", "memory");
	return __rdtsc() - t0;
}

static uint64_t map_touch_unmap(uint32_t n)
{
	uint64_t t0 = __rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		map_page();
		(void)page[0];
		unmap_page();
	}
	return __rdtsc() - t0;
}

static uint64_t reset_4g(uint32_t n)
{
	uint64_t t0 = __rdtsc();
	for (uint32_t i = 0; i < n; i++)
		if (mmap(window, WINDOW_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != window)
			abort();
	return __rdtsc() - t0;
}

static uint64_t segv_map_unmap(uint32_t n)
{
	uint64_t t0 = __rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		(void)page[0];
		unmap_page();
	}
	return __rdtsc() - t0;
}

static uint64_t map_unmap(uint32_t n)
{
	uint64_t t0 = __rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		map_page();
		unmap_page();
	}
	return __rdtsc() - t0;
}

/* Read "key=DIGITS" words from argv; false on anything else. */
static int parse_args(int argc, char **argv, uint32_t *n, uint32_t *reps)
{
	for (int i = 1; i < argc; i++) {
		char *end, *val = strchr(argv[i], '=');
		uint32_t *out = !strncmp(argv[i], "n=", 2) ? n : !strncmp(argv[i], "reps=", 5) ? reps : NULL;
		if (!out)
			return 0;
		errno = 0;
		unsigned long v = strtoul(val + 1, &end, 10);
		if (errno || *end || end == val + 1 || v < 1 || v > (out == n ? 100000000ul : MAX_REPS))
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
	memfd = memfd_create("sysbench", 0);
	if (memfd < 0 || ftruncate(memfd, PAGE) != 0) {
		perror("sysbench_hostprobe: memfd");
		return 1;
	}
	page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	stack_t ss = { .ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), .ss_size = ALTSTACK_SIZE };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	if (page == MAP_FAILED || ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0 ||
	    sigaction(SIGSEGV, &sa, NULL) != 0) {
		perror("sysbench_hostprobe: setting up");
		return 1;
	}
	skip_load = 1;
	measure("host_segv_roundtrip", segv_roundtrip, n, reps);
	skip_load = 0;
	measure("host_map_unmap", map_unmap, n, reps);
	measure("host_map_touch_unmap", map_touch_unmap, n, reps);
	measure("host_segv_map_unmap", segv_map_unmap, n, reps);
	window = mmap(NULL, WINDOW_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (window == MAP_FAILED) {
		perror("sysbench_hostprobe: 4 GiB reservation");
		return 1;
	}
	measure("host_reset_4g", reset_4g, n, reps);
	return 0;
}
