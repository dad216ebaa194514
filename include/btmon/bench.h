/*
 * bench.h — `btmon bench`: the same 32-bit guest blocks run natively (in
 * compatibility mode), translated by btmon, and under a miniature
 * trap-and-emulate monitor, timed with RDTSC and compared (src/bench/).
 *
 * main.c hands the command line over when argv[1] is "bench":
 *	btmon bench [--block FILE.bin] [--iterations N] [--svg FILE] [--json] [NAME...]
 */
#ifndef BTMON_BENCH_H
#define BTMON_BENCH_H

/* Run `btmon bench`; argv[0] is "bench". Returns the process exit status:
 * 0 when every block ran, 1 when a measurement failed, 2 for bad usage. */
int bench_main(int argc, char **argv);

#endif
