/*
 * compute.h — the benchmark kernel's contract. compute.c is compiled once,
 * with the guests' code-generation flags, into bench_kernel.o, which is
 * linked both into the guest kernel bench_guest.elf (bench/guest_main.c)
 * and into the native 32-bit program bench_native (bench/native_main.c). bench/run.sh runs both
 * with the same n and compares results and cycle counts.
 */
#ifndef BENCH_COMPUTE_H
#define BENCH_COMPUTE_H

#include <stdint.h>

/* Rounds when the command line names none; about 1 s natively on a ~3 GHz
 * x86-64 host. bench/run.sh passes its own n (BENCH_N) explicitly. */
#define BENCH_N_DEFAULT 3000u

/* Run n rounds of the integer kernel (sieve, CRC-32, insertion sort, hash
 * table; see compute.c) and return a checksum of everything they computed.
 * Deterministic: the same n gives the same result on every machine, guest or
 * native, and on every call. Pure computation: no I/O, no library calls. */
uint32_t bench_kernel(uint32_t n);

#endif
