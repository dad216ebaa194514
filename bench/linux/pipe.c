/*
 * pipe.c — pipe ping-pong: a parent and a child pass one byte back and
 * forth through two pipes; each round trip is two writes, two reads and
 * two switches between the processes.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 360000ul);
	int ping[2], pong[2];
	if (pipe(ping) != 0 || pipe(pong) != 0) {
		perror("pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {   /* the child: echo each byte back, plus one */
		close(ping[1]);   /* so the parent's close is our EOF */
		close(pong[0]);
		uint8_t b;
		while (read(ping[0], &b, 1) == 1) {
			b++;
			if (write(pong[1], &b, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	unsigned long long sum = 0;
	uint8_t b = 0;
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++) {
		if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1) {
			perror("ping-pong");
			return 1;
		}
		sum += b;
	}
	double t1 = wl_now();
	close(ping[1]);
	waitpid(pid, NULL, 0);
	return wl_report("pipe", t1 - t0, sum);
}
