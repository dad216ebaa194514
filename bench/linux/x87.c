/*
 * x87.c — x87 floating-point loop (built with -mfpmath=387): add, multiply,
 * divide and square root in double precision, a dependency chain the
 * compiler cannot vectorise. Only correctly rounded operations, so every
 * machine must produce the same bits.
 */
#include <string.h>

#include "workload.h"

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 70000000ul);
	double x = 1.0, y = 0.5, acc = 0.0;
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++) {
		x = x * 1.0000001 + y;
		y = __builtin_sqrt(x) / (1.0 + y);
		acc += y - x * 1e-9;
		if (x > 1e6)
			x *= 1e-6;
	}
	double t1 = wl_now();
	unsigned long long bits;
	memcpy(&bits, &acc, sizeof(bits));
	return wl_report("x87", t1 - t0, bits);
}
