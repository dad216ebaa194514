/*
 * syscall.c — system call loop: getppid() through syscall(2), so the C
 * library cannot cache it; each call enters and leaves the kernel.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 7000000ul);
	unsigned long long sum = 0;
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++)
		sum += (unsigned long)syscall(SYS_getppid) != 0;
	double t1 = wl_now();
	return wl_report("syscall", t1 - t0, sum);
}
