/*
 * fork.c — process creation: fork(), the child _exit()s at once, the
 * parent waitpid()s; 22,000 times by default: eleven of the
 * 2,000-process batches issue 5 names, about 1 s natively.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 22000ul);
	unsigned long long ok = 0;
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit((int)(i & 0x7f));
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		int status;
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == (int)(i & 0x7f))
			ok++;
	}
	double t1 = wl_now();
	return wl_report("fork", t1 - t0, ok);
}
