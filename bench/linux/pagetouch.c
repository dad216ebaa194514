/*
 * pagetouch.c — page faults: map 64 MiB of fresh anonymous memory, write
 * one word in each 4 KiB page (a demand-zero fault each), unmap; repeated
 * ROUNDS times (default 36 of the 64 MiB passes issue 5 names,
 * about 1 s natively).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "workload.h"

#define TOUCH_BYTES (64ul << 20)
#define PAGE_BYTES 4096ul

int main(int argc, char **argv)
{
	unsigned long rounds = wl_size(argc, argv, 36ul);
	unsigned long long sum = 0;
	double t0 = wl_now();
	for (unsigned long r = 0; r < rounds; r++) {
		uint8_t *p = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (unsigned long off = 0; off < TOUCH_BYTES; off += PAGE_BYTES)
			*(volatile uint32_t *)(p + off) = (uint32_t)off;
		for (unsigned long off = 0; off < TOUCH_BYTES; off += PAGE_BYTES)
			sum += *(volatile uint32_t *)(p + off);
		munmap(p, TOUCH_BYTES);
	}
	double t1 = wl_now();
	return wl_report("pagetouch", t1 - t0, sum);
}
